#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: echomap's transmit engines (xdp-live, afxdp, raw) beside their ceilings and zmap,
# sweeping
# 198.18.0.0/15 as fast as they can against the XDP responder over a veth pair with one queue,
# then with two. Per run: probes/s, found/missed/invented against the responder's rule, CPU.
# The ceilings are the bare paths the engines run on (tests/fixtures/bare_tx): a live-frames
# program that only writes an echo request's header, and a copy-mode AF_XDP loop of prebuilt
# frames, both answered by the same responder; each engine's rate is given as a fraction of its
# ceiling measured in the same run.
# Then where the cycles of an xdp-live run go: BPF run times (kernel.bpf_stats_enabled) and the
# kernel's hottest symbols (perf, when installed).
# Prints a table and writes bench/results/engines.json (and engines-profile.txt).
# Needs root; builds its own namespaces and removes them.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib/netns.bash
source bench/lib.bash

RESULTS=bench/results
PREFIX=198.18.0.0/15
SILENT_MOD=10
TARGETS=131072
# Probes per target: at millions per second one probe per target is over in tens of ms, too
# short to time; every tool sends the same number.
PROBES=${PROBES:-8}
TOTAL=$((TARGETS * PROBES))
mkdir -p "$RESULTS"
bench_need zmap bc jq

W=$(mktemp -d)
STATS_BEFORE=$(sysctl -n kernel.bpf_stats_enabled)
trap 'sysctl -qw kernel.bpf_stats_enabled="$STATS_BEFORE"; netns_cleanup; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM

# busy_ticks: CPU time of the whole machine not spent idle, in USER_HZ ticks.
busy_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# timed OUT CMD...: CMD in the sender namespace; "wall user sys busy_s" into OUT, busy_s being
# the machine's non-idle CPU time meanwhile (softirq work included, which user+sys leave out).
timed() {
	local out=$1 rc=0 b0 b1 hz
	shift
	hz=$(getconf CLK_TCK)
	b0=$(busy_ticks)
	/usr/bin/time -f '%e %U %S' -o "$out.raw" ip netns exec "$NS_S" "$@" || rc=$?
	b1=$(busy_ticks)
	echo "$(tail -n 1 "$out.raw") $(echo "($b1 - $b0) / $hz" | bc -l)" >"$out"
	return "$rc"
}

rows=()
ceilings=()
json=()
# add NAME QUEUES PPS USER SYS BUSY FOUND MISSED INVENTED
add() {
	local cpu busy
	cpu=$(echo "($4 + $5) * 1000000 / $TOTAL" | bc -l)
	busy=$(echo "$6 * 1000000 / $TOTAL" | bc -l)
	rows+=("$(printf '%s|%s|%.0f|%s|%s|%s|%.3f|%.3f' "$1" "$2" "$3" "$7" "$8" "$9" "$cpu" "$busy")")
	json+=("$(printf '{"run":"%s","queues":%s,"probes":%s,"pps":%.0f,"found":%s,"missed":%s,"invented":%s,"truth":%s,"cpu_s_per_mprobe":%.3f,"machine_busy_s_per_mprobe":%.3f}' \
		"$1" "$2" "$TOTAL" "$3" "$7" "$8" "$9" "$TRUTH" "$cpu" "$busy")")
}

# sweep ENGINE QUEUES: one echomap run; its own send rate from the -v line.
sweep() {
	local pps
	echo "bench: echomap --engine $1, $2 queue(s)" >&2
	timed "$W/t" "$ECHOMAP" sweep -v -q -I "$IFACE" --engine "$1" --allow-reserved -r 0 \
		-n "$PROBES" -w 500 -o "$W/em.txt" "$PREFIX" 2>"$W/em.err"
	read -r _ user sys busy <"$W/t"
	pps=$(sed -n 's/.*sent [0-9]* probes in [0-9.]* s (\([0-9]*\) probes\/s).*/\1/p' "$W/em.err")
	cut -d' ' -f1 "$W/em.txt" >"$W/em.addrs"
	read -r n miss inv < <(found "$W/em.addrs")
	add "echomap $1" "$2" "$pps" "$user" "$sys" "$busy" "$n" "$miss" "$inv"
	eval "PPS_${1//-/_}_$2=$pps"
}

# ceiling MODE QUEUES: the bare path of MODE (live, afxdp), TOTAL probes on QUEUES threads.
ceiling() {
	local gwmac out pps replies
	echo "bench: bare $1 path, $2 queue(s)" >&2
	gwmac=$(ip -n "$NS_R" -j link show "$RIFACE" | jq -r '.[0].address')
	out=$(ip netns exec "$NS_S" "$FIXTURES/bare_tx" "$1" "$IFACE" "$2" "$TOTAL" \
		"${PREFIX%/*}" "$TARGETS" "$SRC" "$gwmac")
	pps=$(sed -n 's/.*(\([0-9]*\)\/s).*/\1/p' <<<"$out")
	replies=$(sed -n 's/.*replies \([0-9]*\).*/\1/p' <<<"$out")
	ceilings+=("$(printf 'bare %s|%s|%.0f|%s' "$1" "$2" "$pps" "$replies")")
	json+=("$(printf '{"run":"bare %s","queues":%s,"probes":%s,"pps":%.0f,"replies":%s}' \
		"$1" "$2" "$TOTAL" "$pps" "$replies")")
	eval "CEIL_$1_$2=$pps"
}

zmap_run() {
	local gwmac wall pps
	echo "bench: zmap, $1 queue(s)" >&2
	gwmac=$(ip -n "$NS_R" -j link show "$RIFACE" | jq -r '.[0].address')
	# -r 0: no limit; the cooldown (-c 1) is taken off the wall time.
	timed "$W/t" zmap -q --disable-syslog -M icmp_echoscan -i "$IFACE" -S "$SRC" -G "$gwmac" \
		-b "$W/empty.conf" -r 0 -P "$PROBES" -T "$1" -c 1 -o "$W/zmap.txt" "$PREFIX" \
		2>"$W/zmap.err" || true
	read -r wall user sys busy <"$W/t"
	pps=$(echo "$TOTAL / ($wall - 1)" | bc -l)
	read -r n miss inv < <(found "$W/zmap.txt")
	add "zmap -T $1" "$1" "$pps" "$user" "$sys" "$busy" "$n" "$miss" "$inv"
	eval "PPS_zmap_$1=$pps"
}

# profile: one xdp-live run with BPF run-time statistics, and perf's view of the kernel.
profile() {
	local out=$RESULTS/engines-profile.txt
	echo "bench: profile of an xdp-live run" >&2
	sysctl -qw kernel.bpf_stats_enabled=1
	ip netns exec "$NS_S" "$ECHOMAP" sweep -q -I "$IFACE" --engine xdp-live --allow-reserved \
		-r 0 -n "$PROBES" -w 2000 "$PREFIX" >/dev/null 2>"$W/prof.err" &
	local pid=$! id
	sleep 1
	{
		echo "xdp-live, $PROBES probes per target, $(nproc) CPUs, kernel $(uname -r)"
		echo "BPF programs (bpf_stats: run_time_ns / run_cnt; the generator runs inside"
		echo "echomap_xdp, which it is tail-called from, so that figure covers both):"
		for id in $(bpftool prog show -j | jq -r '.[] | select(.name == "echomap_xdp" or
				.name == "xdp_responder") | .id'); do
			bpftool prog show id "$id" -j | jq -r '"  \(.name): \(.run_time_ns // 0) ns over \(.run_cnt // 0) runs = \(if (.run_cnt // 0) > 0 then ((.run_time_ns / .run_cnt * 10 | floor) / 10) else 0 end) ns per run"'
		done
	} >"$out"
	wait "$pid"
	sysctl -qw kernel.bpf_stats_enabled="$STATS_BEFORE"
	if command -v perf >/dev/null; then
		# The whole run, start to exit: sending is most of it, and a fixed window could miss it.
		perf record -q -a -o "$W/perf.data" -- ip netns exec "$NS_S" "$ECHOMAP" sweep -q \
			-I "$IFACE" --engine xdp-live --allow-reserved -r 0 -n "$PROBES" -w 0 \
			"$PREFIX" >/dev/null 2>&1 || true
		{
			echo "perf, whole machine while sending (share of samples, top symbols):"
			perf report -i "$W/perf.data" --no-children --sort sym 2>/dev/null |
				grep -E '^ +[0-9]' | awk 'NR <= 20' # to the end: head would SIGPIPE perf
		} >>"$out"
	fi
	cat "$out"
}

: >"$W/empty.conf"
xdp_truth "$PREFIX" "$SILENT_MOD" | sort >"$W/truth"
TRUTH=$(wc -l <"$W/truth")
for q in 1 2; do
	netns_setup --queues "$q"
	respond_xdp "$PREFIX" --ttl 61 --silent-mod "$SILENT_MOD"
	ceiling live "$q"
	ceiling afxdp "$q"
	for engine in xdp-live afxdp raw; do
		sweep "$engine" "$q"
	done
	zmap_run "$q"
	[ "$q" = 1 ] && profile
	netns_cleanup
done

{
	echo
	echo "sweep of $PREFIX, $PROBES probes per target ($TOTAL probes), unlimited rate"
	echo "| run | queues | probes/s | found | missed | invented | CPU s per M probes (process) | busy CPU s per M probes (machine) |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	for r in "${rows[@]}"; do echo "| ${r//|/ | } |"; done
	echo
	echo
	echo "ceilings: the bare paths, $TOTAL probes (every reply counted by an XDP program)"
	echo "| path | queues | probes/s | replies |"
	echo "|---|---:|---:|---:|"
	for r in "${ceilings[@]}"; do echo "| ${r//|/ | } |"; done
	echo
	printf 'of the ceiling: xdp-live %.2f (1 queue), %.2f (2 queues); afxdp %.2f, %.2f\n' \
		"$(echo "$PPS_xdp_live_1 / $CEIL_live_1" | bc -l)" \
		"$(echo "$PPS_xdp_live_2 / $CEIL_live_2" | bc -l)" \
		"$(echo "$PPS_afxdp_1 / $CEIL_afxdp_1" | bc -l)" "$(echo "$PPS_afxdp_2 / $CEIL_afxdp_2" | bc -l)"
	printf 'xdp-live / zmap: %.1fx (1 queue), %.1fx (2 queues); afxdp / zmap: %.1fx, %.1fx\n' \
		"$(echo "$PPS_xdp_live_1 / $PPS_zmap_1" | bc -l)" \
		"$(echo "$PPS_xdp_live_2 / $PPS_zmap_2" | bc -l)" \
		"$(echo "$PPS_afxdp_1 / $PPS_zmap_1" | bc -l)" "$(echo "$PPS_afxdp_2 / $PPS_zmap_2" | bc -l)"
	echo "kernel $(uname -r), $(nproc) CPUs, $(date -u +%F); truth: $TRUTH of $TARGETS answer"
} | tee "$W/table"

{
	printf '{"date":"%s","kernel":"%s","cpus":%d,"truth":%d,"probes_per_target":%d,"runs":[' \
		"$(date -u +%FT%TZ)" "$(uname -r)" "$(nproc)" "$TRUTH" "$PROBES"
	(IFS=,; printf '%s' "${json[*]}")
	printf ']}\n'
} >"$RESULTS/engines.json"
echo "results: $RESULTS/engines.json, $RESULTS/engines-profile.txt"
