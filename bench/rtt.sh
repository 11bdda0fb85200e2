#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# RTT accuracy under load (DESIGN §9): the delaying responder holds every echo request for
# 1 ms or 10 ms +- JITTER_US (uniform) and logs the hold it applied to each one; N hosts are
# pinged by echomap ping, fping -C and the system ping (a sample: it pings one host at a time)
# while zmap sweeps the XDP responder's range at LOAD_PPS through the same veth.
#
#   sender ns: echomap / fping / ping ──┐          ┌── XDP responder: 198.18.0.0/16 (load)
#              zmap -r LOAD_PPS ────────┴── veth ──┴── delay responder: 198.19.0.0/16 (timed)
#
# Truth for one reply = the hold the responder logged for that request (kernel receive stamp
# to its sendto, in ns) + the tool's idle base RTT. The base is measured first, with no load
# and zero hold, by the same tool on the same hosts with the same options: base = median of
# (measured - logged hold) over every reply. It is the fixed cost of the path and of the
# tool's own way of stamping (syscalls, wake-ups), which an imposed delay must not move.
# Replies are joined to holds one by one: per target, the k-th reply (in sequence order) is
# the k-th request the responder received (in receive order); the period is longer than the
# largest hold, so the two orders agree. A target whose reply and hold counts differ is left
# out and counted. Prints a table and writes bench/results/rtt.json (merged into latest.json).
# Needs root; builds its own namespaces and removes them.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib/netns.bash
source bench/lib.bash

N=${N:-1000}
COUNT=${COUNT:-3}
JITTER_US=${JITTER_US:-100}
LOAD_PPS=${LOAD_PPS:-100000}
LOAD_BURST=16
PING_EVERY=${PING_EVERY:-10}	# the system ping gets every PING_EVERY-th host
DELAYS_MS=${DELAYS_MS:-"1 10"}
RESULTS=bench/results
HOSTS_FIRST=198.19.0.1

bench_need zmap fping jq bc
mkdir -p "$RESULTS"

W=$(mktemp -d)
trap 'netns_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
trap 'exit 130' INT TERM

netns_setup
respond_xdp 198.18.0.0/16 --ttl 61
GWMAC=$(ip -n "$NS_R" -j link show "$RIFACE" | jq -r '.[0].address')
: >"$W/empty.conf"
range_list "$HOSTS_FIRST" "$(int2ip $(($(ip2int "$HOSTS_FIRST") + N - 1)))" >"$W/hosts"
awk -v k="$PING_EVERY" '(NR - 1) % k == 0' "$W/hosts" >"$W/hosts.ping"
# Neighbour entries warm on both sides before anything is timed.
in_s ping -c 2 -i 0.2 -q "$GW" >/dev/null

# delay_start MS JITTER_MS: the delaying responder for the hosts, logging ns holds and the
# receive time (for the order of the join).
delay_start() {
	respond_delay 198.19.0.0/16 "$1" "$2" 0 --log-ns --timestamps
}

# delay_stop OUT: stop it; its log (sorted by target, then receive time) to OUT.
delay_stop() {
	local pid=$DELAY_RESPONDER_PID
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	DELAY_RESPONDER_PID=''
	sort -k1,1 -k3,3n "$DELAY_LOG" | awk '{ print $1, n[$1]++, $2 }' >"$1"
}

rx_packets() {
	ip -n "$NS_R" -s -j link show "$RIFACE" | jq '.[0].stats64.rx.packets'
}

# Each tool writes "target k rtt_us" per reply, k the probe's number (0 for a target's first).
run_echomap() {
	in_s "$ECHOMAP" ping -q -I "$IFACE" --allow-reserved -c "$COUNT" -p 100 -t 200 -F csv \
		-o "$W/em.csv" "@$W/hosts" 2>/dev/null || true
	awk -F, 'NR > 1 && $6 == "echoreply" && $8 == 0 { print $1, $3, $4 }' "$W/em.csv" |
		sort -k1,1 -k2,2n >"$1"
}

# fping -C: "ADDR : t1 t2 t3" on stderr at the end, "-" for a probe without a reply. Under load
# it also reports "ADDR : duplicate for [N], ..." when a reply of the load (zmap's) carries its
# 16-bit ICMP id and a sequence number it used: those lines are not replies to our probes.
run_fping() {
	in_s fping -C "$COUNT" -q -p 100 -i 1 -t 200 -f "$W/hosts" 2>"$W/fping.err" || true
	awk -v c="$COUNT" '$2 == ":" && NF == c + 2 && $3 ~ /^([0-9.]+|-)$/ {
		for (i = 3; i <= NF; i++) if ($i != "-") print $1, i - 3, $i * 1000 }' \
		"$W/fping.err" | sort -k1,1 -k2,2n >"$1"
}

# The system ping, one host after the other.
run_ping() {
	in_s bash -c 'while read -r h; do ping -n -c "$1" -i 0.02 -W 1 "$h" || true; done' _ \
		"$COUNT" <"$W/hosts.ping" >"$W/ping.out" 2>/dev/null
	sed -n 's/^[0-9]* bytes from \([0-9.]*\): icmp_seq=\([0-9]*\) .* time=\([0-9.]*\) ms.*/\1 \2 \3/p' \
		"$W/ping.out" | awk '{ print $1, $2 - 1, $3 * 1000 }' | sort -k1,1 -k2,2n >"$1"
}

# join_truth MEAS HOLDS: "target k rtt_us hold_us" per reply. The k-th request a target's
# responder received is its k-th probe if every probe to it arrived: targets with fewer (or more)
# logged requests than probes are left out; their number goes to $W/left_out.
join_truth() {
	awk -v out="$W/left_out" -v count="$COUNT" 'NR == FNR { h[$1 " " $2] = $3; nh[$1]++; next }
		{
			if (nh[$1] == count)
				print $1, $2, $3, h[$1 " " $2]
			else if (!($1 in seen))
				bad++
			seen[$1] = 1
		}
		END { print bad + 0 >out }' "$2" "$1"
}

# stats: "n median p99" of the first column.
stats() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (!NR) { print 0, "null", "null"; exit }
		p50 = v[int((NR + 1) / 2)]; i = int(NR * 0.99 + 0.999); if (i < 1) i = 1
		printf "%d %.1f %.1f\n", NR, p50, v[i] }'
}

TOOLS="echomap fping ping"
declare -A BASE
rows=()
json=()

echo "bench: RTT base (zero hold, no load): $TOOLS" >&2
for t in $TOOLS; do
	delay_start 0 0
	"run_$t" "$W/$t.base.meas"
	delay_stop "$W/$t.base.holds"
	join_truth "$W/$t.base.meas" "$W/$t.base.holds" >"$W/$t.base.joined"
	read -r n BASE[$t] _ < <(awk '{ print $3 - $4 }' "$W/$t.base.joined" | stats)
	[ "$n" -gt 0 ] || { echo "bench: $t: no reply at zero hold" >&2; exit 1; }
	echo "bench:   $t base ${BASE[$t]} us over $n replies" >&2
done

# load_start: zmap sweeps the XDP responder's /16 at LOAD_PPS until load_stop. Its -r counts
# targets, not packets: -P LOAD_BURST probes per target at LOAD_PPS / LOAD_BURST targets/s, so one
# pass of the /16 lasts 65536 * LOAD_BURST / LOAD_PPS s (10.5 s), longer than any tool's run.
load_start() {
	local r0 i
	in_s zmap -q --disable-syslog -M icmp_echoscan -i "$IFACE" -S "$SRC" -G "$GWMAC" \
		-b "$W/empty.conf" -r $((LOAD_PPS / LOAD_BURST)) -P "$LOAD_BURST" -c 0 -o /dev/null \
		198.18.0.0/16 >/dev/null 2>"$W/zmap.err" 3>&- &
	ZPID=$!
	track_pid "$ZPID"
	# Go on once the load flows.
	r0=$(rx_packets)
	for ((i = 0; i < 100; i++)); do
		sleep 0.05
		[ $(($(rx_packets) - r0)) -gt $((LOAD_PPS / 40)) ] && return 0
	done
	echo "bench: zmap sends no load: $(cat "$W/zmap.err")" >&2
	return 1
}

load_stop() {
	if ! kill -TERM "$ZPID" 2>/dev/null; then
		echo "bench: zmap ended before the tool did: load figures are low" >&2
	fi
	wait "$ZPID" 2>/dev/null || true
}

for d in $DELAYS_MS; do
	echo "bench: RTT ${d} ms +- ${JITTER_US} us while zmap sweeps at $LOAD_PPS pps: $TOOLS" >&2
	for t in $TOOLS; do
		delay_start "$d" "$(echo "$JITTER_US / 1000" | bc -l)"
		load_start
		read -r ours0 raw0 < <(path_drops)
		p0=$(rx_packets) t0=$(date +%s%N)
		"run_$t" "$W/$t.$d.meas"
		p1=$(rx_packets) t1=$(date +%s%N)
		read -r ours1 raw1 < <(path_drops)
		load_stop
		delay_stop "$W/$t.$d.holds"
		load=$(echo "($p1 - $p0) * 1000000000 / ($t1 - $t0)" | bc)
		[ "$load" -ge $((LOAD_PPS * 9 / 10)) ] ||
			echo "bench:   the load fell short of $LOAD_PPS pps (CPU contention?)" >&2
		join_truth "$W/$t.$d.meas" "$W/$t.$d.holds" >"$W/$t.$d.joined"
		left=$(cat "$W/left_out")
		read -r n med p99 < <(awk -v b="${BASE[$t]}" '{ e = $3 - ($4 + b); print e < 0 ? -e : e }' \
			"$W/$t.$d.joined" | stats)
		read -r _ bias _ < <(awk -v b="${BASE[$t]}" '{ print $3 - ($4 + b) }' "$W/$t.$d.joined" | stats)
		hosts=$(awk '{ print $1 }' "$W/$t.$d.joined" | sort -u | wc -l)
		sent=$(($(wc -l <"$W/hosts") * COUNT))
		[ "$t" = ping ] && sent=$(($(wc -l <"$W/hosts.ping") * COUNT))
		echo "bench:   $t: $n of $sent replies joined ($hosts hosts, $left left out;" \
			"dropped on our side $((ours1 - ours0)), in the responder's socket $((raw1 - raw0)))," \
			"median |err| $med us, p99 $p99 us, load $load pps" >&2
		rows+=("$(printf '| %s | %s ms ± %s µs | %s / %s | %s | %s | %s | %s | %s |' "$t" "$d" \
			"$JITTER_US" "$n" "$sent" "${BASE[$t]}" "$bias" "$med" "$p99" "$load")")
		json+=("$(printf '{"tool":"%s","delay_ms":%s,"jitter_us":%s,"replies":%s,"probes":%s,"hosts":%s,"left_out":%s,"dropped_ours":%s,"dropped_responder":%s,"base_us":%s,"median_err_us":%s,"median_abs_err_us":%s,"p99_abs_err_us":%s,"load_pps":%s}' \
			"$t" "$d" "$JITTER_US" "$n" "$sent" "$hosts" "$left" "$((ours1 - ours0))" \
			"$((raw1 - raw0))" "${BASE[$t]}" "$bias" "$med" \
			"$p99" "$load")")
	done
done

printf '{"date":"%s","kernel":"%s","hosts":%d,"count":%d,"load":"zmap icmp_echoscan -r %d","runs":[%s]}\n' \
	"$(date -u +%FT%TZ)" "$(uname -r)" "$N" "$COUNT" "$LOAD_PPS" "$(IFS=,; echo "${json[*]}")" |
	jq . >"$RESULTS/rtt.json"
{
	echo
	echo "RTT against imposed delay, $N hosts x $COUNT probes (ping: every ${PING_EVERY}th host)," \
		"load: zmap at $LOAD_PPS pps"
	echo
	echo "| tool | imposed | replies joined | idle base µs | median err µs | median \|err\| µs | p99 \|err\| µs | load pps |"
	echo "|---|---|---:|---:|---:|---:|---:|---:|"
	printf '%s\n' "${rows[@]}"
	echo
	jq -r '.runs[] | select(.tool == "echomap") | "echomap at \(.delay_ms) ms: median |err| " +
		"\(.median_abs_err_us) µs (target <= 20), p99 \(.p99_abs_err_us) µs (target <= 100): " +
		(if .median_abs_err_us <= 20 and .p99_abs_err_us <= 100 then "met" else "MISSED" end)' \
		"$RESULTS/rtt.json"
	echo "kernel $(uname -r), $(nproc) CPUs, $(date -u +%F)"
}

if [ -s "$RESULTS/latest.json" ]; then
	jq -c --slurpfile r "$RESULTS/rtt.json" '.rtt = $r[0]' "$RESULTS/latest.json" >"$W/latest.json"
	cp "$W/latest.json" "$RESULTS/latest.json"
fi
echo "results: $RESULTS/rtt.json"
