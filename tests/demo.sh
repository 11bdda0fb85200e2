#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# echomap demo: builds a private test network (two namespaces joined by a veth pair; a /16 of
# 198.18.0.0/15 answered by the XDP responder fixture, every 7th host silent), sweeps it, pings
# two hosts, and removes the network again, also when interrupted. Needs root; touches none of
# the host's interfaces. Run through `make demo`, or directly after `make all`.
set -euo pipefail
cd "$(dirname "$0")/.."

source tests/lib/netns.bash

PREFIX=198.18.0.0/16
RATE=${RATE:-100000}

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
show() {
	printf '+ %s\n' "$*"
	"$@"
}

if [ "$(id -u)" -ne 0 ]; then
	echo "demo: needs root (network namespaces, XDP)" >&2
	exit 1
fi
for f in "$ECHOMAP" "$FIXTURES/xdp_responder" "$FIXTURES/set_gro"; do
	[ -x "$f" ] || { echo "demo: $f missing: run 'make all' first" >&2; exit 1; }
done

trap netns_cleanup EXIT
trap 'exit 130' INT TERM

say "Building the test network"
netns_setup
cat <<EOF
    namespace $NS_S (sender):    $IFACE $SRC/30, route to 198.18.0.0/15 via $GW
    namespace $NS_R (responder): $RIFACE $GW/30
EOF

say "Starting the XDP responder on $RIFACE: answers $PREFIX with TTL 61, every 7th host silent"
respond_xdp "$PREFIX" --ttl 61 --silent-mod 7
echo "    expected: $(xdp_truth "$PREFIX" 7 | wc -l) of 65536 hosts answer"

out=$NET_TMP/sweep.json
map=$ROOT/.output/demo-map.png
say "Sweeping $PREFIX at $RATE probes/s (198.18.0.0/15 is reserved: --allow-reserved)"
show ip netns exec "$NS_S" "$ECHOMAP" sweep -I "$IFACE" --allow-reserved -q --rate "$RATE" \
	-F json --all -o "$out" "$PREFIX"

say "Result: $(grep -c '"echoreply"' "$out") hosts answered; the first 3 lines (JSON):"
head -3 "$out"

say "Drawing the latency map of $PREFIX"
show "$ECHOMAP" map --prefix "$PREFIX" --size 1024 --title "echomap demo" -o "$map" "$out"
echo "    map: $map"

say "Pinging one live host (198.18.0.1) and one silent host (198.18.0.7)"
rc=0
show ip netns exec "$NS_S" "$ECHOMAP" ping -I "$IFACE" --allow-reserved -c 3 -p 500 \
	198.18.0.1 198.18.0.7 || rc=$?
echo "    exit status $rc (1: some host did not answer, as expected)"

say "Removing the test network"
responder_stop
netns_cleanup
trap - EXIT
echo "done"
