#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: echomap beside zmap and fping, on the same test network, in the same run.
# Prints one table (absolute figures and ratios) and writes bench/results/latest.json.
# Needs root; builds its own namespaces and removes them.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib/netns.bash
source bench/lib.bash

RESULTS=bench/results
PREFIX=198.18.0.0/15
SILENT_MOD=10
mkdir -p "$RESULTS"
bench_need zmap fping bc jq

W=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM

netns_setup
respond_xdp "$PREFIX" --ttl 61 --silent-mod "$SILENT_MOD"
GWMAC=$(ip -n "$NS_R" -j link show "$RIFACE" | jq -r '.[0].address')
: >"$W/empty.conf"
xdp_truth "$PREFIX" "$SILENT_MOD" | sort >"$W/truth"
TRUTH=$(wc -l <"$W/truth")
TARGETS=131072

# timed OUT CMD...: runs CMD in the sender namespace; "wall user sys maxrss_kb" into OUT.
timed() {
	local out=$1
	shift
	local rc=0
	/usr/bin/time -f '%e %U %S %M' -o "$out.raw" ip netns exec "$NS_S" "$@" || rc=$?
	# time(1) puts "Command exited with non-zero status" first when the command fails.
	tail -n 1 "$out.raw" >"$out"
	return "$rc"
}

rows=()
json=()
# add NAME PROBES SEND_SECONDS USER SYS FOUND MISSED INVENTED
add() {
	local pps cpu
	pps=$(echo "$2 / $3" | bc -l)
	cpu=$(echo "($4 + $5) * 1000000 / $2" | bc -l)
	rows+=("$(printf '%s|%.0f|%s|%s|%s|%.3f' "$1" "$pps" "$6" "$7" "$8" "$cpu")")
	json+=("$(printf '{"run":"%s","probes":%s,"send_s":%s,"pps":%.0f,"found":%s,"missed":%s,"invented":%s,"truth":%s,"cpu_s_per_mprobe":%.3f}' \
		"$1" "$2" "$3" "$pps" "$6" "$7" "$8" "$TRUTH" "$cpu")")
	eval "PPS_${9}=$pps CPU_${9}=$cpu"
}

echo "bench: sweep of $PREFIX ($TARGETS addresses, $TRUTH answer) over veth, XDP responder" >&2
for rate in 0 500000 200000 100000 50000; do
	echo "bench: echomap --rate $rate" >&2
	timed "$W/t" "$ECHOMAP" sweep -q -I "$IFACE" --allow-reserved -r "$rate" -w 500 \
		-o "$W/em.txt" "$PREFIX" 2>"$W/em.err"
	read -r wall user sys rss <"$W/t"
	send=$(sed -n 's/.* invalid, \([0-9.]*\) s, .*/\1/p' "$W/em.err")
	# Exact after a repair pass is still exact, but the table should not hide that it took one.
	resent=$(sed -n 's/.* probes (\([0-9]*\) resent).*/\1/p' "$W/em.err")
	[ "$resent" = 0 ] || echo "bench: echomap --rate $rate resent $resent probes after drops" >&2
	cut -d' ' -f1 "$W/em.txt" >"$W/em.addrs"
	read -r n miss inv < <(found "$W/em.addrs")
	add "echomap rate=$rate" "$TARGETS" "$send" "$user" "$sys" "$n" "$miss" "$inv" "em$rate"
	[ "$rate" = 0 ] && EM_RSS=$rss

	echo "bench: zmap --rate $rate" >&2
	# zmap's -r 0 means no limit; its cooldown (-c 1) is subtracted from the wall time.
	timed "$W/t" zmap -q --disable-syslog -M icmp_echoscan -i "$IFACE" -S "$SRC" -G "$GWMAC" \
		-b "$W/empty.conf" -r "$rate" -c 1 -o "$W/zmap.txt" "$PREFIX" 2>"$W/zmap.err" || true
	read -r wall user sys rss <"$W/t"
	read -r n miss inv < <(found "$W/zmap.txt")
	add "zmap rate=$rate" "$TARGETS" "$(echo "$wall - 1" | bc)" "$user" "$sys" "$n" "$miss" \
		"$inv" "zm$rate"
done

# fping walks hosts one by one: a /20 of the same set, extrapolated per host.
echo "bench: fping -g /20" >&2
timed "$W/t" fping -q -a -i 0 -r 0 -t 200 -g 198.18.0.0/20 >"$W/fping.txt" 2>/dev/null || true
read -r wall user sys rss <"$W/t"
# fping -g leaves out the network and broadcast addresses.
fping_truth=$(xdp_truth 198.18.0.0/20 "$SILENT_MOD" | grep -vc -e '^198\.18\.0\.0$' -e '^198\.18\.15\.255$')
fping_pps=$(echo "4094 / $wall" | bc -l)
fping_found=$(wc -l <"$W/fping.txt")

# Start-up to exit for one target; its RSS is the fixed cost the per-target figure excludes.
timed "$W/t" "$ECHOMAP" sweep -q -I "$IFACE" --allow-reserved -w 0 198.18.0.1 >/dev/null 2>&1
read -r start_wall _ _ base_rss <"$W/t"

# A full-space latency map (4096 x 4096 cells, one per /24) from 1M scattered results.
echo "bench: echomap map of 0.0.0.0/0" >&2
awk 'BEGIN { srand(1); for (i = 0; i < 1000000; i++)
	printf "{\"saddr\":\"%d.%d.%d.%d\",\"rtt_us\":%.3f,\"classification\":\"echoreply\"}\n",
		int(rand() * 224), int(rand() * 256), int(rand() * 256), int(rand() * 256),
		10 + rand() * 100000 }' >"$W/map.json"
/usr/bin/time -f '%e' -o "$W/tmap" "$ECHOMAP" map -o "$W/map.png" "$W/map.json" 2>/dev/null
map_s=$(tail -n 1 "$W/tmap")

{
	echo
	echo "| run | probes/s | found | missed | invented | CPU s per M probes |"
	echo "|---|---:|---:|---:|---:|---:|"
	for r in "${rows[@]}"; do echo "| ${r//|/ | } |"; done
	printf '| fping -g /20 (4094 hosts, extrapolated) | %.0f | %s / %s | | | %.3f |\n' \
		"$fping_pps" "$fping_found" "$fping_truth" "$(echo "($user + $sys) * 1000000 / 4094" | bc -l)"
	echo
	printf 'ratios (echomap / zmap): unlimited rate %.2fx, CPU per probe %.2fx; echomap / fping rate %.0fx\n' \
		"$(echo "$PPS_em0 / $PPS_zm0" | bc -l)" "$(echo "$CPU_em0 / $CPU_zm0" | bc -l)" \
		"$(echo "$PPS_em0 / $fping_pps" | bc -l)"
	printf 'memory: peak RSS %s kB for %s targets, %s kB for one: %.1f bytes per target\n' \
		"$EM_RSS" "$TARGETS" "$base_rss" "$(echo "($EM_RSS - $base_rss) * 1024 / $TARGETS" | bc -l)"
	printf 'map: full IPv4 space (16M cells) from 1M results drawn in %s s\n' "$map_s"
	printf 'start-up to exit for one target (load, attach, probe, detach; --wait 0): %s s\n' "$start_wall"
	echo "kernel $(uname -r), $(nproc) CPUs, $(date -u +%F)"
} | tee "$W/table"

{
	printf '{"date":"%s","kernel":"%s","cpus":%d,"truth":%d,"runs":[' "$(date -u +%FT%TZ)" \
		"$(uname -r)" "$(nproc)" "$TRUTH"
	(IFS=,; printf '%s' "${json[*]}")
	printf '],"fping_pps":%.0f,"echomap_rss_kb":%s,"startup_exit_s":%s,"map_full_space_s":%s}\n' \
		"$fping_pps" "$EM_RSS" "$start_wall" "$map_s"
} >"$RESULTS/latest.json"
echo "results: $RESULTS/latest.json"
