#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Start-up and BPF memory of a sweep of 198.18.0.0/15 (DESIGN §9).
#
# Time to first probe: from the exec of the prober to its first echo request on the wire. A
# shell in the sender namespace writes CLOCK_REALTIME ($EPOCHREALTIME, µs) to a file and execs
# the prober in place (same process: the stamp is the last thing before exec). tcpdump on the
# responder's end of the veth keeps the first echo request with the kernel's receive stamp
# (CLOCK_REALTIME, ns: --time-stamp-precision=nano). Probes cross the veth in the sender's
# transmit call, so that stamp is the wire time; it is taken on the responder's side because
# AF_XDP copy-mode frames skip packet taps on the sending interface. Nothing answers (the
# responder namespace neither owns nor forwards 198.18.0.0/15): the first probe is all this
# measures. The gateway's neighbour entry is warm before, and zmap is given the gateway MAC,
# as in bench/run.sh. RUNS runs each; the median is reported.
#
# BPF map memory: while echomap sweeps the /15 (at 50 kpps, so it runs for 2.6 s), every BPF map
# it holds is read from /proc/PID/fdinfo (type, sizes, memlock) and checked against
# `bpftool map show`; then again for a one-target run. Per target: the difference over the
# 131,071 extra targets.
#
# Prints a table and writes bench/results/startup.json (merged into latest.json).
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib/netns.bash
source bench/lib.bash

RUNS=${RUNS:-5}
PREFIX=198.18.0.0/15
TARGETS=131072
RESULTS=bench/results

bench_need zmap tcpdump jq bc bpftool
mkdir -p "$RESULTS"

W=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM

netns_setup
GWMAC=$(ip -n "$NS_R" -j link show "$RIFACE" | jq -r '.[0].address')
: >"$W/empty.conf"
in_s ping -c 2 -i 0.2 -q "$GW" >/dev/null

# ttfp CMD...: microseconds from exec of CMD (in the sender namespace) to its first echo
# request on the wire.
ttfp() {
	local tpid i t0 t1
	rm -f "$W/t0"
	ip netns exec "$NS_R" tcpdump -i "$RIFACE" -n -c 1 -tt --immediate-mode \
		--time-stamp-precision=nano 'icmp[icmptype] == icmp-echo' >"$W/cap" 2>"$W/cap.err" 3>&- &
	tpid=$!
	track_pid "$tpid"
	for ((i = 0; i < 200; i++)); do
		grep -q '^listening on' "$W/cap.err" && break
		sleep 0.02
	done
	ip netns exec "$NS_S" bash -c 'printf "%s\n" "$EPOCHREALTIME" >"$1"; shift; exec "$@"' _ \
		"$W/t0" "$@" >/dev/null 2>&1 </dev/null || true
	wait "$tpid" || { echo "bench: no probe captured: $(cat "$W/cap.err")" >&2; return 1; }
	t0=$(cat "$W/t0")
	t1=$(awk 'NR == 1 { print $1 }' "$W/cap")
	echo "($t1 - $t0) * 1000000" | bc -l
}

# median_of N CMD...: the median of N figures printed by CMD.
median_of() {
	local n=$1 i
	shift
	for ((i = 0; i < n; i++)); do
		"$@"
	done | sort -g | awk '{ v[NR] = $1 } END { printf "%.0f\n", v[int((NR + 1) / 2)] }'
}

echo "bench: time to first probe, $RUNS runs each" >&2
em_ttfp=$(median_of "$RUNS" ttfp "$ECHOMAP" sweep -q -I "$IFACE" --allow-reserved -r 0 -w 0 \
	-o /dev/null "$PREFIX")
zm_ttfp=$(median_of "$RUNS" ttfp zmap -q --disable-syslog -M icmp_echoscan -i "$IFACE" -S "$SRC" \
	-G "$GWMAC" -b "$W/empty.conf" -r 0 -c 0 -o /dev/null "$PREFIX")

# bpf_maps OUT ARGS...: echomap sweep ARGS in the background; once its maps exist, one line per
# map to OUT: "id type key value entries flags memlock bpftool_memlock".
bpf_maps() {
	local out=$1 pid i fd id
	shift
	ip netns exec "$NS_S" "$ECHOMAP" sweep -q -I "$IFACE" --allow-reserved -o /dev/null "$@" \
		>/dev/null 2>&1 3>&- &
	pid=$!
	track_pid "$pid"
	# The ring buffer is among the last maps created: wait for it, then let loading finish.
	for ((i = 0; i < 200; i++)); do
		grep -qs '^map_type:[[:space:]]*27$' /proc/"$pid"/fdinfo/* && break
		sleep 0.02
	done
	sleep 0.3
	: >"$out"
	for fd in /proc/"$pid"/fdinfo/*; do
		id=$(awk '/^map_id:/ { print $2 }' "$fd" 2>/dev/null)
		[ -n "$id" ] || continue
		awk -v id="$id" '/^(map_type|key_size|value_size|max_entries|map_flags|memlock):/ {
			v[$1] = $2 } END { printf "%s %s %s %s %s %s %s", id, v["map_type:"],
			v["key_size:"], v["value_size:"], v["max_entries:"], v["map_flags:"],
			v["memlock:"] }' "$fd" >>"$out"
		printf ' %s\n' "$(bpftool map show id "$id" -j | jq '.bytes_memlock')" >>"$out"
	done
	sort -un -o "$out" "$out"
	wait "$pid" || true
}

echo "bench: BPF maps of a /15 sweep and of a one-target sweep" >&2
bpf_maps "$W/maps15" -r 50000 -w 0 "$PREFIX"
bpf_maps "$W/maps1" -w 1000 198.18.0.1
if ! awk '$7 != $8 { exit 1 }' "$W/maps15" "$W/maps1"; then
	echo "bench: fdinfo memlock and bpftool's bytes_memlock differ:" >&2
	cat "$W/maps15" "$W/maps1" >&2
	exit 1
fi
mem15=$(awk '{ s += $7 } END { print s }' "$W/maps15")
mem1=$(awk '{ s += $7 } END { print s }' "$W/maps1")
# The result array: the map sized to the target count.
res15=$(awk -v n="$TARGETS" '$5 == n { print $7 }' "$W/maps15")
per_target=$(echo "($mem15 - $mem1) / ($TARGETS - 1)" | bc -l)

{
	echo
	echo "| start-up, sweep of $PREFIX | echomap | zmap |"
	echo "|---|---:|---:|"
	printf '| exec to first probe on the wire (median of %s), ms | %.2f | %.2f |\n' "$RUNS" \
		"$(echo "$em_ttfp / 1000" | bc -l)" "$(echo "$zm_ttfp / 1000" | bc -l)"
	echo
	printf 'BPF maps of echomap for the /15: %s maps, %s bytes memlock (bpftool agrees), of which' \
		"$(wc -l <"$W/maps15")" "$mem15"
	printf ' the result array %s; one target: %s bytes; %.2f bytes per target\n' "$res15" \
		"$mem1" "$per_target"
	echo "kernel $(uname -r), $(nproc) CPUs, $(date -u +%F)"
}

maps_json=$(awk 'BEGIN { printf "[" } { printf "%s{\"id\":%s,\"type\":%s,\"key\":%s,\"value\":%s,\"entries\":%s,\"flags\":\"%s\",\"memlock\":%s}", (NR > 1 ? "," : ""), $1, $2, $3, $4, $5, $6, $7 } END { printf "]" }' "$W/maps15")
printf '{"date":"%s","kernel":"%s","ttfp_runs":%d,"echomap_ttfp_us":%s,"zmap_ttfp_us":%s,"bpf_memlock_bytes":%s,"bpf_memlock_one_target_bytes":%s,"bpf_results_array_bytes":%s,"bpf_bytes_per_target":%.2f,"bpf_maps":%s}\n' \
	"$(date -u +%FT%TZ)" "$(uname -r)" "$RUNS" "$em_ttfp" "$zm_ttfp" "$mem15" "$mem1" "$res15" \
	"$per_target" "$maps_json" | jq -c . >"$RESULTS/startup.json"
if [ -s "$RESULTS/latest.json" ]; then
	jq -c --slurpfile r "$RESULTS/startup.json" '.startup = $r[0]' "$RESULTS/latest.json" \
		>"$W/latest.json"
	cp "$W/latest.json" "$RESULTS/latest.json"
fi
echo "results: $RESULTS/startup.json"
