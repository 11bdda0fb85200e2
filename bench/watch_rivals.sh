#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# echomap watch beside the exporters operators run today, on the same targets against the same
# XDP responder (6 in 7 addresses answer), every target probed once a second:
#   - prometheus-smokeping-prober (Debian's 0.6.1), all targets on its command line;
#   - prometheus-blackbox-exporter (Debian's 0.23), ICMP module, scraped per target by a real
#     Prometheus every second (the only way it probes);
#   - echomap watch --config, one group, interval 1s.
# For each size in SIZES (default "1000 10000 100000"): WARM s of warm-up, then a window of
# WINDOW s (defaults 10 and 20): CPU of the prober's process (all threads) per round, requests
# and replies it counted in the window, replies lost = requests x (the answering share, known
# exactly from the responder's rule) - replies, and what one scrape costs: its bytes (gzip, as
# Prometheus asks) and curl's time for it. A rival that stopped at one size (did not serve, or
# was not scraped, within UP_MAX s) is not run at the larger ones. Prints a table and writes
# bench/results/watch_rivals.json. Needs root; not part of make test or make bench.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib/netns.bash
. bench/lib.bash

SIZES=${SIZES:-1000 10000 100000}
TOOLS=${TOOLS:-echomap smokeping blackbox}
WARM=${WARM:-10}
WINDOW=${WINDOW:-20}
UP_MAX=${UP_MAX:-300} # s a prober may take before it serves its metrics
RESULTS=${RESULTS:-bench/results}
EM_LISTEN=127.0.0.1:9427
SP_LISTEN=127.0.0.1:9374
BB_LISTEN=127.0.0.1:9115
PROM=127.0.0.1:9090

bench_need prometheus-smokeping-prober:prometheus-smokeping-prober \
	prometheus-blackbox-exporter:prometheus-blackbox-exporter prometheus jq bc curl
mkdir -p "$RESULTS"
trap netns_cleanup EXIT INT TERM
netns_setup
respond_xdp 198.18.0.0/15 --ttl 61 --silent-mod 7

# cpu_ns PID: nanoseconds on a CPU, all threads.
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'; }

# sums URL REQ_RE REP_RE: "requests replies" summed over the samples whose names match.
sums() {
	in_s curl -sf "$1" | awk -v a="$2" -v b="$3" '$1 ~ a { r += $NF } $1 ~ b { p += $NF }
		END { printf "%.0f %.0f\n", r, p }'
}

# scrape URL: "bytes seconds" of one scrape as Prometheus asks for it (gzip if served so).
scrape() {
	in_s curl -sf -o /dev/null -H 'Accept-Encoding: gzip' -w '%{size_download} %{time_total}\n' "$1" ||
		echo "0 0"
}

# measure PID URL REQ_RE REP_RE N: after WARM s, the window's "cpu_ms_per_round requests replies".
measure() {
	local pid=$1 url=$2 a=$3 b=$4 n=$5 c0 c1 r0 p0 r1 p1 t0
	# Up first: smokeping_prober starts its pingers one by one before it listens.
	t0=$(date +%s)
	until in_s curl -sf -o /dev/null "$url"; do
		[ $(($(date +%s) - t0)) -lt "$UP_MAX" ] || { echo "0 0 0"; return; }
		sleep 0.2
	done
	echo "# $url answered after $(($(date +%s) - t0)) s" >&2
	sleep "$WARM"
	read -r r0 p0 <<<"$(sums "$url" "$a" "$b")"
	c0=$(cpu_ns "$pid")
	sleep "$WINDOW"
	read -r r1 p1 <<<"$(sums "$url" "$a" "$b")"
	c1=$(cpu_ns "$pid")
	if [ "$r1" = "$r0" ]; then
		echo "0 0 0"
		return
	fi
	echo "$(echo "($c1 - $c0) / 1000000 / (($r1 - $r0) / $n)" | bc -l) $((r1 - r0)) $((p1 - p0))"
}

declare -A stopped # tool -> the size it stopped at

stop() {
	kill -TERM "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

rows=()
row() {
	local tool=$1 n=$2 cpu=$3 req=$4 rep=$5 live=$6 sbytes=${7:-0} stime=${8:-0} rounds want lost
	if [ "${req:-0}" = 0 ]; then
		printf '| %s | %d | %s |\n' "$tool" "$n" "${WHY:-no requests in the window}"
		return
	fi
	rounds=$(echo "$req / $n" | bc -l)
	want=$(echo "$req * $live / $n" | bc -l)
	lost=$(echo "$want - $rep" | bc -l)
	printf '| %s | %d | %.1f | %.2f | %d | %d | %.0f (%.1f %%) | %d | %.3f |\n' "$tool" "$n" \
		"$rounds" "$cpu" "$req" "$rep" "$lost" "$(echo "100 * $lost / $want" | bc -l)" \
		"$sbytes" "$stime"
	rows+=("$(jq -nc --arg tool "$tool" --argjson n "$n" --argjson rounds "$rounds" \
		--argjson cpu_ms "$cpu" --argjson requests "$req" --argjson replies "$rep" \
		--argjson lost "$lost" --argjson sbytes "$sbytes" --argjson stime "$stime" \
		'{tool: $tool, targets: $n, rounds: $rounds, cpu_ms_per_round: $cpu_ms,
		requests: $requests, replies: $replies, lost: $lost, scrape_bytes: $sbytes,
		scrape_s: $stime}')")
}

# Each run_TOOL probes the $n targets of $NET_TMP/targets, $live of which answer.
run_echomap() {
	# echomap
	printf 'groups:\n  - targets: ["@%s"]\n    interval: 1s\n    timeout: 500ms\n' \
		"$NET_TMP/targets" >"$NET_TMP/watch.yaml"
	ip netns exec "$NS_S" "$ECHOMAP" watch -I "$IFACE" --allow-reserved \
		--listen "$EM_LISTEN" --config "$NET_TMP/watch.yaml" 2>"$NET_TMP/watch.err" 3>&- &
	pid=$!
	track_pid "$pid"
	read -r cpu req rep <<<"$(measure "$pid" "http://$EM_LISTEN/metrics" \
		'^echomap_probes_sent_total' '^echomap_replies_total' "$n")"
	read -r sbytes stime <<<"$(scrape "http://$EM_LISTEN/metrics")"
	stop "$pid"
	row "echomap watch" "$n" "$cpu" "$req" "$rep" "$live" "$sbytes" "$stime"
}

run_smokeping() {
	# smokeping_prober
	echo 'targets: []' >"$NET_TMP/smokeping.yml"
	ip netns exec "$NS_S" prometheus-smokeping-prober --privileged -i 1s \
		--config.file="$NET_TMP/smokeping.yml" \
		--web.listen-address="$SP_LISTEN" --log.level=error $(cat "$NET_TMP/targets") \
		>/dev/null 2>"$NET_TMP/smokeping.err" 3>&- &
	pid=$!
	track_pid "$pid"
	read -r cpu req rep <<<"$(measure "$pid" "http://$SP_LISTEN/metrics" \
		'^smokeping_requests_total' '^smokeping_response_duration_seconds_count' "$n")"
	read -r sbytes stime <<<"$(scrape "http://$SP_LISTEN/metrics")"
	stop "$pid"
	WHY="did not serve /metrics within $UP_MAX s" row "smokeping_prober 0.6.1" "$n" "$cpu" \
		"$req" "$rep" "$live" "$sbytes" "$stime"
	[ "${req:-0}" != 0 ] || stopped[smokeping]=$n
}

run_blackbox() {
	# blackbox_exporter, scraped per target by Prometheus (its CPU apart). A probe's timeout is
	# the smaller of the module's and the scrape timeout less its 0.5 s offset: 500 ms, as
	# echomap's; a scrape timeout is at most its interval.
	cat >"$NET_TMP/blackbox.yml" <<-EOF
		modules:
		  icmp:
		    prober: icmp
		    timeout: 1s
		    icmp:
		      preferred_ip_protocol: ip4
	EOF
	{
		printf 'global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n'
		printf 'scrape_configs:\n  - job_name: blackbox\n    metrics_path: /probe\n'
		printf '    params: {module: [icmp]}\n    static_configs:\n      - targets:\n'
		sed 's/^/          - /' "$NET_TMP/targets"
		printf '    relabel_configs:\n'
		printf '      - {source_labels: [__address__], target_label: __param_target}\n'
		printf '      - {source_labels: [__param_target], target_label: instance}\n'
		printf '      - {target_label: __address__, replacement: "%s"}\n' "$BB_LISTEN"
	} >"$NET_TMP/prometheus.yml"
	ip netns exec "$NS_S" prometheus-blackbox-exporter --config.file="$NET_TMP/blackbox.yml" \
		--web.listen-address="$BB_LISTEN" --log.level=error >/dev/null 2>"$NET_TMP/bb.err" 3>&- &
	bpid=$!
	track_pid "$bpid"
	rm -rf "$NET_TMP/prom"
	ip netns exec "$NS_S" prometheus --config.file="$NET_TMP/prometheus.yml" \
		--storage.tsdb.path="$NET_TMP/prom" --web.listen-address="$PROM" --log.level=error \
		>/dev/null 2>"$NET_TMP/prom.err" 3>&- &
	ppid=$!
	track_pid "$ppid"
	q() {
		in_s curl -sf "http://$PROM/api/v1/query" --data-urlencode "query=$1" |
			jq -r '.data.result[0].value[1] // 0'
	}
	# Up first: Prometheus ready and every target scraped once. Not a probe_success for each:
	# a scrape that fails (the exporter late past the scrape timeout) leaves no probe_success,
	# only up 0, and at 1,000 targets a second some always fail.
	t0=$(date +%s)
	until [ "$(q 'count(up)' 2>/dev/null || echo 0)" = "$n" ]; do
		[ $(($(date +%s) - t0)) -lt "$UP_MAX" ] || break
		sleep 0.5
	done
	echo "# blackbox: $(q 'count(up)') of $n targets scraped after $(($(date +%s) - t0)) s" >&2
	sleep "$WARM"
	c0=$(cpu_ns "$bpid")
	p0=$(cpu_ns "$ppid")
	sleep "$WINDOW"
	c1=$(cpu_ns "$bpid")
	p1=$(cpu_ns "$ppid")
	# A probe per scrape: its reply counts when the scrape brought probe_success 1.
	req=$(q "sum(count_over_time(up[${WINDOW}s]))")
	rep=$(q "sum(sum_over_time(probe_success[${WINDOW}s]))")
	echo "# blackbox: $(q "sum(count_over_time(up[${WINDOW}s])) - sum(sum_over_time(up[${WINDOW}s]))") of $req scrapes failed;" \
		"scrape time p50 $(q "quantile(0.5, scrape_duration_seconds)") s," \
		"p99 $(q "quantile(0.99, scrape_duration_seconds)") s" >&2
	read -r sbytes stime <<<"$(scrape "http://$BB_LISTEN/probe?module=icmp&target=198.18.0.1")"
	stop "$ppid"
	stop "$bpid"
	tail -n 3 "$NET_TMP/prom.err" "$NET_TMP/bb.err" >&2
	cpu=0 pcpu=0
	if [ "${req%.*}" != 0 ]; then
		cpu=$(echo "($c1 - $c0) / 1000000 / ($req / $n)" | bc -l)
		pcpu=$(echo "($p1 - $p0) / 1000000 / ($req / $n)" | bc -l)
	else
		stopped[blackbox]=$n
	fi
	WHY="its Prometheus had not scraped every target within $UP_MAX s" \
		row "blackbox_exporter 0.23 (its scraper: $(printf '%.0f' "$pcpu") ms more)" \
		"$n" "$cpu" "${req%.*}" "${rep%.*}" "$live" "$sbytes" "$stime"
}

echo "| tool | targets | rounds in window | CPU ms per round | requests | replies | replies lost | scrape bytes | scrape s |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in $SIZES; do
	range_list 198.18.0.1 "$(int2ip $(($(ip2int 198.18.0.1) + n - 1)))" >"$NET_TMP/targets"
	live=$(awk '{ split($1, o, "."); h = (o[2] - 18) * 65536 + o[3] * 256 + o[4]; if (h % 7) n++ }
		END { print n }' "$NET_TMP/targets")

	for tool in $TOOLS; do
		if [ -n "${stopped[$tool]:-}" ]; then
			printf '| %s | %d | not run: stopped at %d targets |\n' "$tool" "$n" "${stopped[$tool]}"
			continue
		fi
		"run_$tool"
	done
done
printf '%s\n' "${rows[@]}" | jq -s '{date: (now | todate), window_s: '"$WINDOW"', rows: .}' \
	>"$RESULTS/watch_rivals.json"
