#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Watch mode's cost: CPU (user + sys, every thread) of `echomap watch` per round for 10,000
# targets every 10 s, beside fping -l -Q on the same targets, the smokeping-style rival that
# handles every reply in user space. Both run in the sender namespace against the XDP responder
# fixture, one after the other, for ROUNDS rounds (default 3) after rounds that are not counted
# (start-up: BPF load, first ARP, buffers). echomap runs twice: with /metrics rendered every round
# but not fetched, and fetched every round. Prints a table and writes bench/results/watch.json.
# Needs root; not run by make test.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib/netns.bash
. bench/lib.bash

N=${N:-10000}
EVERY=${EVERY:-10}
ROUNDS=${ROUNDS:-3}
LISTEN=127.0.0.1:9100
RESULTS=bench/results

bench_need fping
mkdir -p "$RESULTS"
trap netns_cleanup EXIT INT TERM
netns_setup
respond_xdp 198.18.0.0/15 --ttl 61
# N addresses from 198.18.0.1 on.
range_list 198.18.0.1 "$(int2ip $(($(ip2int 198.18.0.1) + N - 1)))" >"$NET_TMP/targets"

# cpu_ns PID: nanoseconds on a CPU, all threads (schedstat: ns precision, unlike clock ticks).
cpu_ns() {
	cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%d\n", s }'
}

# Rounds closed, from the status page: polling the 20 MB of /metrics would be the cost measured.
rounds() {
	in_s curl -sf "http://$LISTEN/" | sed -n 's/.*Round \([0-9]*\) closed.*/\1/p' |
		awk '{ print $1 + 1 } END { if (!NR) print 0 }'
}

wait_rounds() {
	local want=$1
	while [ "$(rounds || echo 0)" -lt "$want" ]; do sleep 0.2; done
}

# em_run SCRAPE: echomap for 2 + ROUNDS rounds, CPU of the last ROUNDS (the first two set up:
# BPF load, first ARP, the page buffers). SCRAPE 1: /metrics fetched once per round, as a
# Prometheus would. Sets em_ms, sent, replies, metrics_bytes, rss.
em_run() {
	local scrape=$1 pid c0 c1 r
	ip netns exec "$NS_S" "$ECHOMAP" watch -I "$IFACE" --allow-reserved --every "$EVERY" \
		--listen "$LISTEN" "@$NET_TMP/targets" 2>"$NET_TMP/watch.err" 3>&- &
	pid=$!
	track_pid "$pid"
	wait_rounds 2
	c0=$(cpu_ns "$pid")
	for ((r = 3; r <= ROUNDS + 2; r++)); do
		wait_rounds "$r"
		[ "$scrape" = 1 ] && in_s curl -sf -o "$NET_TMP/metrics" "http://$LISTEN/metrics"
	done
	c1=$(cpu_ns "$pid")
	in_s curl -sf -o "$NET_TMP/metrics" "http://$LISTEN/metrics"
	replies=$(awk '/^echomap_replies_total\{/ { s += $NF } END { print s }' "$NET_TMP/metrics")
	sent=$(awk '/^echomap_probes_sent_total\{/ { s += $NF } END { print s }' "$NET_TMP/metrics")
	metrics_bytes=$(wc -c <"$NET_TMP/metrics")
	rss=$(awk '/^VmHWM/ { print $2 }' /proc/"$pid"/status)
	kill -TERM "$pid"
	wait "$pid" || true
	em_ms=$(echo "($c1 - $c0) / $ROUNDS / 1000000" | bc -l)
}

em_run 0
em_quiet_ms=$em_ms
em_run 1

# fping: -p the round, -i the spacing that fits N targets in it; -Q prints per-round summaries.
# Its first round is not counted either.
interval=$(echo "$EVERY * 1000 / $N" | bc -l)
ip netns exec "$NS_S" fping -l -Q "$EVERY" -p $((EVERY * 1000)) -i "$interval" -r 0 \
	-t 1000 -f "$NET_TMP/targets" >/dev/null 2>"$NET_TMP/fping.err" 3>&- &
fpid=$!
track_pid "$fpid"
sleep "$EVERY"
f0=$(cpu_ns "$fpid")
sleep $((EVERY * ROUNDS))
f1=$(cpu_ns "$fpid")
kill -INT "$fpid"
wait "$fpid" || true
fping_ms=$(echo "($f1 - $f0) / $ROUNDS / 1000000" | bc -l)

{
	echo
	echo "| $N targets every $EVERY s, $ROUNDS rounds | CPU ms per round | % of one core |"
	echo "|---|---:|---:|"
	printf '| echomap watch (XDP histograms, /metrics rendered) | %.1f | %.2f |\n' \
		"$em_quiet_ms" "$(echo "$em_quiet_ms / ($EVERY * 10)" | bc -l)"
	printf '| echomap watch, /metrics scraped every round | %.1f | %.2f |\n' "$em_ms" \
		"$(echo "$em_ms / ($EVERY * 10)" | bc -l)"
	printf '| fping -l -Q %s (user-space replies) | %.1f | %.2f |\n' "$EVERY" "$fping_ms" \
		"$(echo "$fping_ms / ($EVERY * 10)" | bc -l)"
	echo
	printf 'echomap: %s probes sent, %s replies in time, %s bytes of /metrics, peak RSS %s kB\n' \
		"$sent" "$replies" "$metrics_bytes" "$rss"
	printf 'ratio fping / echomap: %.1fx; kernel %s, %s CPUs, %s\n' \
		"$(echo "$fping_ms / $em_ms" | bc -l)" "$(uname -r)" "$(nproc)" "$(date -u +%F)"
}

printf '{"date":"%s","kernel":"%s","targets":%d,"every_s":%d,"rounds":%d,"echomap_cpu_ms_per_round":%.2f,"echomap_scraped_cpu_ms_per_round":%.2f,"fping_cpu_ms_per_round":%.2f,"echomap_metrics_bytes":%d,"echomap_rss_kb":%d}\n' \
	"$(date -u +%FT%TZ)" "$(uname -r)" "$N" "$EVERY" "$ROUNDS" "$em_quiet_ms" "$em_ms" "$fping_ms" \
	"$metrics_bytes" "$rss" >"$RESULTS/watch.json"
echo "results: $RESULTS/watch.json"
