#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Sweep RTT accuracy per engine and rate, as bench/rtt.sh measures ping's: the delaying
# responder holds every echo request for DELAY_MS +- JITTER_US and logs the hold it applied;
# echomap sweeps its N hosts once per (engine, rate), and each reply's error is
#   measured RTT - (logged hold + the engine's idle base)
# with the base the median of (measured - hold) of a sweep at --rate 10000 and zero hold: the
# fixed cost of the path, which neither rate nor batching must move. One probe per host
# (-n 1, --resend 0), so each target has one reply and one logged hold to join; a target
# without both is left out and counted, beside the frames dropped on our side of the veth and in
# the responder's socket during the sweep (path_drops). Prints a table and writes bench/results/sweep_rtt.json
# (merged into latest.json). Needs root; builds its own namespaces and removes them.
#
# The responder runs SCHED_OTHER here (DELAY_RT=0), unlike for ping: a sweep's thousands of
# replies fall due together, and a SCHED_FIFO responder busy-waiting for them starves the
# softirq thread of its CPU, which is what delivers its replies to us: some 6 % of them came
# about one hold late (1-1.25 ms at a 1 ms hold), a wait the truth does not include. Its own
# lateness is no error: the hold it logs is the one it applied.
#
#   N=2000 RATES="0 1000000 100000" ENGINES="afxdp raw xdp-live" bench/sweep_rtt.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib/netns.bash
source bench/lib.bash
export DELAY_RT=${DELAY_RT:-0}

N=${N:-10000}
DELAY_MS=${DELAY_MS:-1}
JITTER_US=${JITTER_US:-100}
RATES=${RATES:-"0 1000000 100000"}
ENGINES=${ENGINES:-"afxdp raw xdp-live"}
BASE_RATE=10000
RESULTS=bench/results
HOSTS_FIRST=198.19.0.1

bench_need jq bc
mkdir -p "$RESULTS"

W=$(mktemp -d)
trap 'netns_cleanup; [ -n "${KEEP:-}" ] || rm -rf "$W"' EXIT
trap 'exit 130' INT TERM

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
netns_setup
HOSTS_LAST=$(int2ip $(($(ip2int "$HOSTS_FIRST") + N - 1)))
in_s ping -c 2 -i 0.2 -q "$GW" >/dev/null

# sweep_once ENGINE RATE MS JITTER_MS OUT: one sweep of the hosts; "target rtt_us hold_us" per
# joined reply to OUT, the number left out to OUT.left.
sweep_once() {
	local engine=$1 rate=$2 pid ours0 raw0 ours1 raw1
	respond_delay 198.19.0.0/16 "$3" "$4" 0 --log-ns --rcvbuf-mb 32
	pid=$DELAY_RESPONDER_PID
	read -r ours0 raw0 < <(path_drops)
	in_s "$ECHOMAP" sweep -q -I "$IFACE" --allow-reserved --engine "$engine" --rate "$rate" \
		-n 1 --resend 0 -w 300 -F csv -o "$W/sweep.csv" "$HOSTS_FIRST-$HOSTS_LAST" \
		2>"$W/sweep.err" || true
	read -r ours1 raw1 < <(path_drops)
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || true
	DELAY_RESPONDER_PID=''
	echo "$((ours1 - ours0)) $((raw1 - raw0))" >"$5.drops"
	awk -F, 'NR > 1 && $5 == "echoreply" { print $1, $3 }' "$W/sweep.csv" | sort >"$W/meas"
	awk '{ n[$1]++; h[$1] = $2 } END { for (t in n) if (n[t] == 1) print t, h[t] }' \
		"$DELAY_LOG" | sort >"$W/holds"
	join "$W/meas" "$W/holds" >"$5"
	echo $((N - $(wc -l <"$5"))) >"$5.left"
}

# stats: "n median p99" of the first column.
stats() {
	sort -g | awk '{ v[NR] = $1 } END {
		if (!NR) { print 0, "null", "null"; exit }
		p50 = v[int((NR + 1) / 2)]; i = int(NR * 0.99 + 0.999); if (i < 1) i = 1
		printf "%d %.1f %.1f\n", NR, p50, v[i] }'
}

rows=()
json=()
for e in $ENGINES; do
	sweep_once "$e" "$BASE_RATE" 0 0 "$W/$e.base"
	read -r n base _ < <(awk '{ print $2 - $3 }' "$W/$e.base" | stats)
	if [ "$n" -eq 0 ]; then
		echo "bench: $e: no reply at zero hold: $(head -c 300 "$W/sweep.err")" >&2
		continue
	fi
	echo "bench: $e base $base us over $n replies" >&2
	for r in $RATES; do
		sweep_once "$e" "$r" "$DELAY_MS" "$(echo "$JITTER_US / 1000" | bc -l)" "$W/$e.$r"
		read -r n med p99 < <(awk -v b="$base" '{ e = $2 - ($3 + b); print e < 0 ? -e : e }' \
			"$W/$e.$r" | stats)
		read -r _ bias _ < <(awk -v b="$base" '{ print $2 - ($3 + b) }' "$W/$e.$r" | stats)
		left=$(cat "$W/$e.$r.left")
		read -r ours raw <"$W/$e.$r.drops"
		echo "bench:   $e --rate $r: $n of $N joined ($left left out; dropped on our side" \
			"$ours, in the responder's socket $raw), median |err| $med us, p99 $p99 us" >&2
		rows+=("$(printf '| %s | %s | %s / %s | %s | %s | %s | %s |' "$e" "$r" "$n" "$N" \
			"$base" "$bias" "$med" "$p99")")
		json+=("$(printf '{"engine":"%s","rate":%s,"replies":%s,"hosts":%s,"left_out":%s,"dropped_ours":%s,"dropped_responder":%s,"base_us":%s,"median_err_us":%s,"median_abs_err_us":%s,"p99_abs_err_us":%s}' \
			"$e" "$r" "$n" "$N" "$left" "$ours" "$raw" "$base" "$bias" "$med" "$p99")")
	done
done

printf '{"date":"%s","kernel":"%s","hosts":%d,"delay_ms":%s,"jitter_us":%s,"loadavg":"%s / %s","runs":[%s]}\n' \
	"$(date -u +%FT%TZ)" "$(uname -r)" "$N" "$DELAY_MS" "$JITTER_US" "$LOAD_BEFORE" \
	"$(cut -d' ' -f1-3 /proc/loadavg)" \
	"$(IFS=,; echo "${json[*]}")" | jq . >"$RESULTS/sweep_rtt.json"
{
	echo
	echo "sweep RTT against an imposed ${DELAY_MS} ms ± ${JITTER_US} µs, $N hosts, one probe each"
	echo
	echo "| engine | --rate | replies joined | idle base µs | median err µs | median \|err\| µs | p99 \|err\| µs |"
	echo "|---|---:|---:|---:|---:|---:|---:|"
	printf '%s\n' "${rows[@]}"
	echo
	echo "kernel $(uname -r), $(nproc) CPUs, $(date -u +%F), load average before and after:" \
		"$LOAD_BEFORE / $(cut -d' ' -f1-3 /proc/loadavg)"
}

if [ -s "$RESULTS/latest.json" ]; then
	jq -c --slurpfile r "$RESULTS/sweep_rtt.json" '.sweep_rtt = $r[0]' "$RESULTS/latest.json" \
		>"$W/latest.json"
	cp "$W/latest.json" "$RESULTS/latest.json"
fi
echo "results: $RESULTS/sweep_rtt.json"
