#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: `echomap trace` beside scamper's ICMP-Paris traceroute on the router chain of
# tests/lib/trace_topo.bash: 1016 targets, a quarter each two hops away, five hops away behind
# a silent hop, refused at hop 3 and blackholed after hop 2. Per tool: probes, wall time, CPU,
# probes/s, and the hops of every path (TTL, router) against the topology's truth. Then echomap
# alone at full speed, on afxdp and xdp-live, against the XDP topology fixture, which simulates
# routers by rule behind XDP_PREFIX (default a /17: 32768 targets, 1 M probes).
# Prints a table and writes bench/results/trace.json. Needs root; builds its own namespaces.
#
# Kernel routers answer at tens of thousands of errors per second at most, on the same two
# CPUs as the tools: this measures the tools against each other on one workload, not echomap's
# ceiling. scamper is capped at 10000 probes/s by design (its -p), and waits for each hop's
# answer (-w 1: one second per silent hop, up to its gap limit of 5).
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib/netns.bash
source tests/lib/trace_topo.bash
source bench/lib.bash

RESULTS=bench/results
RATE=${RATE:-100000}
XDP_PREFIX=${XDP_PREFIX:-198.18.128.0/17}
mkdir -p "$RESULTS"
bench_need scamper jq bc

W=$(mktemp -d)
trap 'topo_cleanup; netns_cleanup; [ -n "${BENCH_KEEP:-}" ] || rm -rf "$W"' EXIT
trap 'exit 130' INT TERM

netns_setup
topo_setup
for net in 2 5 7 9; do
	range_list "198.18.$net.1" "198.18.$net.254"
done >"$W/targets"
N=$(wc -l <"$W/targets")

# The truth, "target ttl router" for each TTL up to the end of the path.
while read -r t; do
	topo_truth "$t" 32
done <"$W/targets" | awk '{
	split($3, f, "="); sub("ttl=", "", $2)
	key = $1; ttl = $2 + 0
	if (key in end && ttl > end[key]) next
	if ($4 != "timxceed") end[key] = ttl
	print $1, ttl, f[2]
}' | sort -u >"$W/truth"

# timed OUT CMD...: CMD in the sender namespace, "wall user sys" into OUT.
timed() {
	local out=$1
	shift
	/usr/bin/time -f '%e %U %S' -o "$out" ip netns exec "$NS_S" "$@"
}

rows=()
json=()
# add NAME PROBES WALL USER SYS SEND_PPS [TRUTH]: SEND_PPS is the rate while sending, probes/s
# the rate over the whole run (echomap's includes its --wait of 1 s after the last probe).
add() {
	local pps f
	pps=$(echo "$2 / $3" | bc -l)
	read -r -a f < <(found "$W/$1.hops" "${7:-$W/truth}")
	rows+=("$(printf '%s|%s|%.2f|%.2f|%.0f|%.0f|%s|%s|%s' "$1" "$2" "$3" \
		"$(echo "$4 + $5" | bc -l)" "$pps" "$6" "${f[0]}" "${f[1]}" "${f[2]}")")
	json+=("$(printf '{"tool":"%s","probes":%s,"wall_s":%.3f,"cpu_s":%.3f,"pps":%.0f,"send_pps":%.0f,"hops":%s,"missed":%s,"invented":%s}' \
		"$1" "$2" "$3" "$(echo "$4 + $5" | bc -l)" "$pps" "$6" "${f[0]}" "${f[1]}" "${f[2]}")")
}

# em_run NAME TRUTH ARGS...: echomap trace ARGS... --paths -F json, its row as NAME.
em_run() {
	local name=$1 truth=$2 probes send_pps wall user sys
	shift 2
	timed "$W/$name.time" "$ECHOMAP" trace --allow-reserved -q --paths -F json \
		-o "$W/$name.json" "$@" 2>"$W/$name.err"
	jq -r '.target as $t | .path | to_entries[] | select(.value != null) |
		"\($t) \(.key + 1) \(.value)"' "$W/$name.json" >"$W/$name.hops"
	probes=$(sed -nE 's/.* ([0-9]+) probes \(.*/\1/p' "$W/$name.err")
	send_pps=$(sed -nE 's/.* ([0-9]+) probes\/s$/\1/p' "$W/$name.err")
	read -r wall user sys <"$W/$name.time"
	add "$name" "$probes" "$wall" "$user" "$sys" "$send_pps" "$truth"
}

# echomap: every (target, TTL) at --rate, and with --stop-early; paths as JSON.
em_run echomap-all "$W/truth" --rate "$RATE" "@$W/targets"
em_run echomap-stop-early "$W/truth" --rate "$RATE" --stop-early "@$W/targets"

# scamper: ICMP-Paris, one probe per hop, at its highest rate.
timed "$W/sc.time" scamper -p 10000 -c "trace -P icmp-paris -q 1 -w 1" -O json \
	-o "$W/sc.json" -f "$W/targets"
jq -r 'select(.type == "trace") | .dst as $t | .hops[]? | "\($t) \(.probe_ttl) \(.addr)"' \
	"$W/sc.json" >"$W/scamper.hops"
probes=$(jq -s 'map(select(.type == "trace") | .probe_count) | add' "$W/sc.json")
read -r wall user sys <"$W/sc.time"
add scamper "$probes" "$wall" "$user" "$sys" "$(echo "$probes / $wall" | bc -l)"

# echomap alone against the XDP topology fixture, every (target, TTL) as fast as it goes.
topo_xdp "$XDP_PREFIX"
topo_xdp_truth "$XDP_PREFIX" 32 | awk '{
	split($3, f, "="); sub("ttl=", "", $2)
	if ($1 in end) next
	if ($4 != "timxceed") end[$1] = 1
	print $1, $2, f[2]
}' | sort -u >"$W/truth-xdp"
for engine in afxdp xdp-live; do
	em_run "echomap-xdpfix-$engine" "$W/truth-xdp" --engine "$engine" --rate 0 "$XDP_PREFIX"
done

{
	echo "trace of $N targets over kernel routers ($(wc -l <"$W/truth") hops in the truth);"
	echo "xdpfix: $XDP_PREFIX over the XDP topology fixture ($(wc -l <"$W/truth-xdp") hops)"
	printf '%-20s %8s %8s %8s %10s %10s %6s %7s %9s\n' tool probes wall_s cpu_s probes/s \
		send_pps hops missed invented
	for r in "${rows[@]}"; do
		IFS='|' read -r -a f <<<"$r"
		printf '%-20s %8s %8s %8s %10s %10s %6s %7s %9s\n' "${f[@]}"
	done
} | tee "$W/table"

{
	printf '{"date":"%s","kernel":"%s","targets":%d,"truth":%d,"rate":%d,"runs":[' \
		"$(date -u +%FT%TZ)" "$(uname -r)" "$N" "$(wc -l <"$W/truth")" "$RATE"
	(IFS=,; printf '%s' "${json[*]}")
	printf ']}\n'
} >"$RESULTS/trace.json"
echo "results: $RESULTS/trace.json"
