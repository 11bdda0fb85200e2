#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: what the reply matcher costs the packets it passes on (the host's own traffic)
# when it is attached: tests/fixtures/matcher_cost runs the matcher and a bare XDP_PASS program
# with BPF_PROG_RUN on the same frames (TCP, UDP, an echo request to the host, an echo reply
# with a forged cookie, ARP, TCP over IPv6, a neighbour solicitation) and takes the difference.
# Prints a table and writes bench/results/matcher_cost.json. Needs root (BPF); no network.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib/netns.bash
source bench/lib.bash

RESULTS=bench/results
REPEAT=${REPEAT:-10000000}
FIXTURE=$FIXTURES/matcher_cost
mkdir -p "$RESULTS"
bench_need jq
[ -x "$FIXTURE" ] || { echo "bench: $FIXTURE not built (make all)" >&2; exit 1; }

load=$(cut -d' ' -f1-3 /proc/loadavg)
out=$("$FIXTURE" "$REPEAT")
{
	echo
	echo "what the matcher adds to each packet it passes on (BPF_PROG_RUN, $REPEAT runs, best of 3)"
	echo "| frame | matcher ns | bare XDP_PASS ns | added ns |"
	echo "|---|---:|---:|---:|"
	while read -r kind m b a; do
		echo "| $kind | $m | $b | $a |"
	done <<<"$out"
	echo "kernel $(uname -r), $(nproc) CPUs, $(date -u +%F), load average $load"
}
jq -Rn --arg date "$(date -u +%FT%TZ)" --arg kernel "$(uname -r)" --arg load "$load" \
	--argjson repeat "$REPEAT" '{date: $date, kernel: $kernel, load: $load, repeat: $repeat,
	frames: [inputs | split(" ") | {frame: .[0], matcher_ns: (.[1] | tonumber),
	bare_ns: (.[2] | tonumber), added_ns: (.[3] | tonumber)}]}' <<<"$out" \
	>"$RESULTS/matcher_cost.json"
echo "results: $RESULTS/matcher_cost.json"
