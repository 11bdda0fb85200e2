#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# What a scrape of watch's /metrics costs at each size in SIZES (default "1000 10000 100000"):
# `echomap watch --every 1` against the XDP responder fixture (6 in 7 answer), then
#   - the page's size, plain and gzip-compressed (as Prometheus asks for it);
#   - curl's time for one scrape of each (median of 3, each in a round of its own);
#   - a real Prometheus scraping it every SCRAPE_EVERY s (default 5): the median of its
#     scrape_duration_seconds over SCRAPES scrapes (default 5; fetch, decompress, parse, store);
#   - the CPU of echomap's threads per round, without scrapes and with Prometheus' (the
#     reporter renders the pages; the HTTP thread serves them).
# Prints a table and writes bench/results/watch_scrape.json. Needs root; not in make test.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib/netns.bash
. bench/lib.bash

SIZES=${SIZES:-1000 10000 100000}
SCRAPE_EVERY=${SCRAPE_EVERY:-5}
SCRAPES=${SCRAPES:-5}
QUIET=${QUIET:-10} # s of rounds without scrapes, for the CPU of the rounds alone
LISTEN=127.0.0.1:9427
PROM=127.0.0.1:9090
RESULTS=bench/results

bench_need prometheus jq bc curl
mkdir -p "$RESULTS"
trap netns_cleanup EXIT INT TERM
netns_setup
respond_xdp 198.18.0.0/15 --ttl 61 --silent-mod 7

# thread_ms PID: "total reporter http" CPU ms of the process and of its two named threads.
thread_ms() {
	local t total=0 rep=0 http=0 ns comm
	for t in /proc/"$1"/task/*; do
		ns=$(awk '{ print $1 }' "$t/schedstat" 2>/dev/null) || continue
		comm=$(cat "$t/comm" 2>/dev/null) || continue
		total=$((total + ns))
		case $comm in
		echomap-report) rep=$((rep + ns)) ;;
		echomap-http) http=$((http + ns)) ;;
		esac
	done
	echo "$((total / 1000000)) $((rep / 1000000)) $((http / 1000000))"
}

rounds() {
	in_s curl -sf "http://$LISTEN/" | sed -n 's/.*Round \([0-9]*\) closed.*/\1/p' |
		awk '{ print $1 + 1 } END { if (!NR) print 0 }'
}

wait_rounds() {
	local want=$1 t0=$SECONDS
	while [ "$(rounds || echo 0)" -lt "$want" ]; do
		[ $((SECONDS - t0)) -lt 300 ] || { echo "bench: no round $want" >&2; exit 1; }
		sleep 0.1
	done
}

# scrape_s [CURL-OPTION]: curl's time for one scrape, at the start of a round of its own.
scrape_s() {
	local r
	r=$(rounds)
	wait_rounds $((r + 1))
	in_s curl -sf -o /dev/null -w '%{time_total}\n' "$@" "http://$LISTEN/metrics"
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

q() {
	in_s curl -sf "http://$PROM/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // "0"'
}

rows=()
echo "| targets | plain B | gzip B | B/target gzip | curl plain s | curl gzip s | Prometheus scrape s | samples | rounds CPU ms/round | scraped CPU ms/round |"
echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $SIZES; do
	range_list 198.18.0.1 "$(int2ip $(($(ip2int 198.18.0.1) + n - 1)))" >"$NET_TMP/targets"
	printf 'groups:\n  - targets: ["@%s"]\n    interval: 1s\n    timeout: 500ms\n' \
		"$NET_TMP/targets" >"$NET_TMP/watch.yaml"
	ip netns exec "$NS_S" "$ECHOMAP" watch -I "$IFACE" --allow-reserved --rate 200000 \
		--listen "$LISTEN" --config "$NET_TMP/watch.yaml" 2>"$NET_TMP/watch.err" 3>&- &
	pid=$!
	track_pid "$pid"
	until rounds >/dev/null 2>&1; do sleep 0.2; done
	wait_rounds 3
	# The rounds alone: no scrape.
	r0=$(rounds)
	read -r c0 rep0 _ <<<"$(thread_ms "$pid")"
	sleep "$QUIET"
	read -r c1 rep1 _ <<<"$(thread_ms "$pid")"
	r1=$(rounds)
	quiet_ms=$(echo "($c1 - $c0) / ($r1 - $r0)" | bc -l)
	quiet_rep=$(echo "($rep1 - $rep0) / ($r1 - $r0)" | bc -l)

	wait_rounds $(($(rounds) + 1))
	plain=$(in_s curl -sf "http://$LISTEN/metrics" | wc -c)
	gz=$(in_s curl -sf -H 'Accept-Encoding: gzip' "http://$LISTEN/metrics" | wc -c)
	curl_plain=$(for i in 1 2 3; do scrape_s; done | median)
	curl_gz=$(for i in 1 2 3; do scrape_s -H 'Accept-Encoding: gzip'; done | median)

	# A real Prometheus; scrape_timeout as long as its interval.
	cat >"$NET_TMP/prometheus.yml" <<-EOF
		global:
		  scrape_interval: ${SCRAPE_EVERY}s
		  scrape_timeout: ${SCRAPE_EVERY}s
		scrape_configs:
		  - job_name: echomap
		    static_configs:
		      - targets: ["$LISTEN"]
	EOF
	rm -rf "$NET_TMP/prom"
	ip netns exec "$NS_S" prometheus --config.file="$NET_TMP/prometheus.yml" \
		--storage.tsdb.path="$NET_TMP/prom" --web.listen-address="$PROM" --log.level=error \
		>/dev/null 2>"$NET_TMP/prom.err" 3>&- &
	ppid=$!
	track_pid "$ppid"
	t0=$SECONDS
	until [ "$(q 'count_over_time(scrape_duration_seconds[1h])' 2>/dev/null || echo 0)" -ge 1 ]; do
		[ $((SECONDS - t0)) -lt 300 ] || break
		sleep 0.5
	done
	r0=$(rounds)
	read -r c0 _ <<<"$(thread_ms "$pid")"
	sleep $((SCRAPE_EVERY * SCRAPES))
	read -r c1 _ <<<"$(thread_ms "$pid")"
	r1=$(rounds)
	scraped_ms=$(echo "($c1 - $c0) / ($r1 - $r0)" | bc -l)
	# Every scrape but the first (it creates the series).
	prom_s=$(in_s curl -sf "http://$PROM/api/v1/query" \
		--data-urlencode "query=scrape_duration_seconds[1h]" |
		jq -r '.data.result[0].values[1:][] | .[1]' | median)
	samples=$(q 'scrape_samples_scraped')
	up=$(q 'up')
	kill -TERM "$ppid"
	wait "$ppid" || true
	kill -TERM "$pid"
	wait "$pid" || true
	[ "$up" = 1 ] || prom_s="$prom_s (up $up)"
	printf '| %d | %d | %d | %.0f | %.3f | %.3f | %s | %s | %.0f (report %.0f) | %.0f |\n' \
		"$n" "$plain" "$gz" "$(echo "$gz / $n" | bc -l)" "$curl_plain" "$curl_gz" "$prom_s" \
		"$samples" "$quiet_ms" "$quiet_rep" "$scraped_ms"
	rows+=("$(jq -nc --argjson n "$n" --argjson plain "$plain" --argjson gz "$gz" \
		--arg curl_plain "$curl_plain" --arg curl_gz "$curl_gz" --arg prom "$prom_s" \
		--arg samples "$samples" --arg quiet "$quiet_ms" --arg scraped "$scraped_ms" \
		'{targets: $n, plain_bytes: $plain, gzip_bytes: $gz, curl_plain_s: $curl_plain,
		curl_gzip_s: $curl_gz, prometheus_scrape_s: $prom, samples: $samples,
		cpu_ms_per_round: $quiet, scraped_cpu_ms_per_round: $scraped}')")
done
printf '%s\n' "${rows[@]}" | jq -s '{date: (now | todate), rows: .}' >"$RESULTS/watch_scrape.json"
