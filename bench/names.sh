#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Names resolved per second from a file of 10,000 names, against a local DNS server (dnsmasq in
# the responder namespace, over veth): echomap (c-ares, in parallel) vs glibc's getaddrinfo one
# name after the other (bench/gai_seq.c) vs fping -f, which resolves the same way before it
# probes. Prints a small table. Needs root; builds its own namespaces and removes them.
#
# fping has no resolve-only mode: its figure is the time for the names file minus the time for
# the same targets as addresses, the probing being the same. It runs as users run it, asking for
# A and AAAA records (the baseline of the last column), and with -4, for A records only as
# echomap does. echomap's is the time it reports
# with -v ("resolved N names in S s"); gai_seq times its own loop. Each is the best of 3 runs.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib/netns.bash
source bench/lib.bash

N=${N:-10000}
RUNS=3
# dnsmasq-base: the program alone, without a system service.
bench_need dnsmasq:dnsmasq-base fping bc

W=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM

${CC:-cc} -O2 -Wall -Wextra -Werror -o "$W/gai_seq" bench/gai_seq.c

netns_setup
respond_xdp 198.18.0.0/16 --ttl 61
awk -v n="$N" 'BEGIN {
	for (i = 0; i < n; i++) {
		a = 256 + i
		printf "198.18.%d.%d n%05d.zone.test\n", int(a / 256), a % 256, i
	}
}' >"$W/zone"
cut -d' ' -f2 "$W/zone" >"$W/names"
cut -d' ' -f1 "$W/zone" >"$W/addrs"
dns_start --addn-hosts="$W/zone" --local=/zone.test/
printf 'hosts: files dns\n' >"/etc/netns/$NS_S/nsswitch.conf"

# best CMD...: the lowest of $RUNS figures (seconds) that CMD prints.
best() {
	local i t b=
	for ((i = 0; i < RUNS; i++)); do
		t=$("$@")
		if [ -z "$b" ] || [ "$(echo "$t < $b" | bc)" = 1 ]; then
			b=$t
		fi
	done
	echo "$b"
}

em_seconds() {
	in_s "$ECHOMAP" sweep -I "$IFACE" --allow-reserved -q -v -r 0 -w 0 "@$W/names" 2>&1 \
		>/dev/null |
		sed -n "s/^echomap: resolved $N names in \([0-9.]*\) s .*, 0 failed$/\1/p"
}

gai_seconds() {
	local names failed secs
	read -r names failed secs < <(in_s "$W/gai_seq" "$W/names")
	[ "$failed" = 0 ] || echo "bench: getaddrinfo failed for $failed of $names names" >&2
	echo "$secs"
}

# fping_seconds FILE [OPTION...]: wall time of fping over FILE.
fping_seconds() {
	local file=$1 t0 t1
	shift
	t0=$(date +%s%N)
	in_s fping "$@" -q -i 0 -r 0 -t 200 -f "$file" >/dev/null 2>&1 || true
	t1=$(date +%s%N)
	echo "($t1 - $t0) / 1000000000" | bc -l
}

# dns_cpu: the DNS server's user+sys CPU time so far, in clock ticks.
dns_cpu() { awk '{ print $14 + $15 }' "/proc/$DNS_PID/stat"; }

echo "bench: echomap" >&2
em=$(best em_seconds)
[ -n "$em" ] || { echo "bench: echomap did not resolve every name" >&2; exit 1; }
# One more run to see how busy the server is while echomap resolves: the ceiling is its, not ours.
c0=$(dns_cpu)
em1=$(em_seconds)
dns_busy=$(echo "($(dns_cpu) - $c0) / $(getconf CLK_TCK) / $em1 * 100" | bc -l)
echo "bench: getaddrinfo, one by one" >&2
gai=$(best gai_seconds)
echo "bench: fping -f and fping -4 -f (names, then addresses)" >&2
fp=$(echo "$(best fping_seconds "$W/names") - $(best fping_seconds "$W/addrs")" | bc -l)
fp4=$(echo "$(best fping_seconds "$W/names" -4) - $(best fping_seconds "$W/addrs" -4)" | bc -l)

# row TOOL SECONDS
row() {
	printf '%-36s %9.3f %10.0f %8.1fx\n' "$1" "$2" "$(echo "$N / $2" | bc -l)" \
		"$(echo "$fp / $2" | bc -l)"
}
echo
echo "$N names, dnsmasq $(dnsmasq --version | sed -n '1s/.*version \([^ ]*\).*/\1/p')" \
	"over veth, best of $RUNS"
printf '%-36s %9s %10s %9s\n' tool seconds names/s "vs fping"
row "echomap (c-ares, 32 in flight)" "$em"
row "getaddrinfo, one by one" "$gai"
row "fping -f (names minus addresses)" "$fp"
row "fping -4 -f (names minus addresses)" "$fp4"
printf 'dnsmasq (one thread) busy %.0f %% of one core while echomap resolved (%.3f s)\n' \
	"$dns_busy" "$em1"
echo "kernel $(uname -r), $(nproc) CPUs, $(date -u +%F)"
