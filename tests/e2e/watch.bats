#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests of `echomap watch`: rounds, the Prometheus endpoint scraped by a real
# Prometheus server, snapshots, SIGHUP reloads, signals, start-up errors, the shipped supervisor
# and systemd files. Rounds are 1 s (--every 1) to keep the suite short.

bats_require_minimum_version 1.5.0

load ../lib/netns

LISTEN=127.0.0.1:9100
PROM=127.0.0.1:9090

setup() {
	e2e_setup
	require_cmd curl
}

teardown() {
	e2e_teardown
}

# watch_start ARGS...: echomap watch ARGS (and --engine $ENGINE if set) in NS_S in the background,
# stderr in $NET_TMP/watch.err; returns once /metrics answers. exec keeps $WATCH_PID the pid of echomap itself.
watch_start() {
	ip netns exec "$NS_S" "$ECHOMAP" watch ${ENGINE:+--engine "$ENGINE"} -I "$IFACE" \
		--allow-reserved --every 1 --listen "$LISTEN" "$@" >"$NET_TMP/watch.out" 2>"$NET_TMP/watch.err" 3>&- &
	WATCH_PID=$!
	track_pid "$WATCH_PID"
	if ! wait_for 10 metrics_ok; then
		echo "echomap watch did not serve /metrics:" >&2
		cat "$NET_TMP/watch.err" >&2
		return 1
	fi
}

# METRICS_URL, METRICS_CURL: where and how /metrics is read (https, credentials).
metrics_ok() {
	# shellcheck disable=SC2086
	in_s curl -sf ${METRICS_CURL:-} -o /dev/null "${METRICS_URL:-http://$LISTEN}/metrics"
}
metrics() { in_s curl -sf "http://$LISTEN/metrics"; }

# sample NAME LABELS: the value of one sample, e.g. sample echomap_up 'target="198.18.0.1"'.
sample() {
	metrics | awk -v n="$1" -v l="$2" 'index($0, n "{" l) == 1 || $1 == n { print $NF; exit }'
}

rounds_at_least() { [ "$(sample echomap_rounds_total)" -ge "$1" ] 2>/dev/null; }
is_up() { [ "$(sample echomap_up "target=\"$1\"")" = 1 ]; }
has_series() { metrics | grep -q "^echomap_up{target=\"$1\""; }
lacks_series() { ! has_series "$1"; }

# watch_stop [SIGNAL]: signals echomap, expects exit 0 within one second.
watch_stop() {
	local sig=${1:-TERM} t0 t1 rc=0
	t0=$(date +%s%N)
	kill -"$sig" "$WATCH_PID"
	wait "$WATCH_PID" || rc=$?
	t1=$(date +%s%N)
	if [ "$rc" -ne 0 ]; then
		echo "echomap exited $rc on SIG$sig" >&2
		cat "$NET_TMP/watch.err" >&2
		return 1
	fi
	if [ $(((t1 - t0) / 1000000)) -gt 1000 ]; then
		echo "echomap took $(((t1 - t0) / 1000000)) ms to exit on SIG$sig" >&2
		return 1
	fi
}

# Prometheus in NS_S, scraping echomap every second; PROM_RULES: a rule file it loads.
prom_start() {
	local i
	cat >"$NET_TMP/prometheus.yml" <<-EOF
		global:
		  scrape_interval: 1s
		  evaluation_interval: 1s
		rule_files: [${PROM_RULES:-}]
		scrape_configs:
		  - job_name: echomap
		    ${PROM_SCRAPE:-}
		    static_configs:
		      - targets: ['$LISTEN']
	EOF
	ip netns exec "$NS_S" prometheus --config.file="$NET_TMP/prometheus.yml" \
		--storage.tsdb.path="$NET_TMP/prometheus" --web.listen-address="$PROM" \
		--log.level=warn >"$NET_TMP/prometheus.log" 2>&1 3>&- &
	track_pid $!
	for ((i = 0; i < 200; i++)); do
		in_s curl -sf -o /dev/null "http://$PROM/-/ready" && return 0
		sleep 0.1
	done
	echo "prometheus did not become ready:" >&2
	cat "$NET_TMP/prometheus.log" >&2
	return 1
}

# promql QUERY: the value of the first result of an instant query ("" if none).
promql() {
	in_s curl -sf "http://$PROM/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty'
}

# promql_ready QUERY: the query has a result.
promql_ready() { [ -n "$(promql "$1")" ]; }

# within VALUE WANT PCT: |VALUE - WANT| <= PCT % of WANT.
within() {
	awk -v v="$1" -v w="$2" -v p="$3" 'BEGIN {
		d = v - w; if (d < 0) d = -d
		if (v == "" || d > w * p / 100) { print v " is not " w " +- " p "%"; exit 1 }
	}' >&2
}

@test "Prometheus: histogram_quantile(0.5) is the imposed 20 ms delay +- 10 %; a silent target is down with 100 % loss" {
	require_cmd prometheus
	require_cmd jq
	require_fixtures delay_responder
	# 20 ms +- 1 ms: a spread over two exported buckets, not a spike in one.
	respond_delay 198.18.0.0/24 20 1
	prom_start
	# 198.18.1.1 is not answered: the responder does not forward.
	watch_start -n 5 \
		--buckets 0.005,0.01,0.012,0.014,0.016,0.018,0.02,0.022,0.024,0.026,0.028,0.03,0.05 \
		198.18.0.1 198.18.0.2 198.18.1.1

	local q='histogram_quantile(0.5, sum by (le) (increase(echomap_rtt_seconds_bucket{target="198.18.0.1"}[1m])))'
	wait_for 30 rounds_at_least 5
	# Five rounds scraped: 25 replies a target, enough for a median.
	wait_for 20 promql_ready 'echomap_rounds_total >= 5'
	wait_for 20 promql_ready \
		'increase(echomap_rtt_seconds_count{target="198.18.0.2"}[1m]) >= 20'
	local p50
	p50=$(promql "$q")
	echo "# histogram_quantile(0.5) of 198.18.0.1: $p50 s" >&3
	within "$p50" 0.020 10
	q='histogram_quantile(0.5, sum by (le) (increase(echomap_rtt_seconds_bucket{target="198.18.0.2"}[1m])))'
	within "$(promql "$q")" 0.020 10

	[ "$(promql 'echomap_up{target="198.18.1.1"}')" = 0 ]
	[ "$(promql 'echomap_up{target="198.18.0.1"}')" = 1 ]
	local loss='1 - increase(echomap_replies_total{target="%s"}[1m]) / increase(echomap_probes_sent_total{target="%s"}[1m])'
	# shellcheck disable=SC2059
	[ "$(promql "$(printf "$loss" 198.18.1.1 198.18.1.1)")" = 1 ]
	# shellcheck disable=SC2059
	[ "$(promql "$(printf "$loss" 198.18.0.1 198.18.0.1)")" = 0 ]
	# Every series carries target, name and scope.
	[ "$(promql 'count(echomap_probes_sent_total{name="",scope="reserved",family="ipv4"})')" = 3 ]
	watch_stop TERM
	assert_clean
}

# promql_all QUERY: the query's whole answer (JSON), or nothing when Prometheus refused it.
promql_all() {
	in_s curl -sf "http://$PROM/api/v1/query" --data-urlencode "query=$1" |
		jq -ce 'select(.status == "success") | .data.result'
}

@test "contrib: every Grafana panel's query answers, and every alerting rule evaluates, on a real Prometheus scraping watch" {
	require_cmd prometheus
	require_cmd jq
	require_fixtures delay_responder
	respond_delay 198.18.0.0/24 2 1
	PROM_RULES="$ROOT/contrib/prometheus/echomap.rules.yml" prom_start
	watch_start -n 2 198.18.0.1 198.18.0.2 198.18.1.1
	wait_for 30 rounds_at_least 3
	wait_for 20 promql_ready 'increase(echomap_rounds_total[1m]) >= 2'
	local expr res n=0
	while IFS= read -r expr; do
		# Grafana's variables as a dashboard with every target and a 1 minute step has them.
		expr=${expr//\$__rate_interval/1m}
		expr=${expr//\$target/.*}
		res=$(promql_all "$expr") || { echo "refused: $expr" >&2; false; }
		[ "$(jq length <<<"$res")" -gt 0 ] || { echo "no series: $expr" >&2; false; }
		n=$((n + 1))
	done < <(jq -r '.panels[].targets[].expr' "$ROOT/contrib/grafana/echomap.json")
	[ "$n" -eq "$(jq '[.panels[].targets[]] | length' "$ROOT/contrib/grafana/echomap.json")" ]
	echo "# $n dashboard queries answered" >&3
	# Every rule of the file loaded and evaluated without error; the silent target is down.
	rules_evaluated() {
		in_s curl -sf "http://$PROM/api/v1/rules" | jq -e '[.data.groups[].rules[]] |
			length == 6 and all(.health == "ok" and .lastEvaluation > "2000")' >/dev/null
	}
	wait_for 20 rules_evaluated || { in_s curl -s "http://$PROM/api/v1/rules" >&2; false; }
	target_down() {
		in_s curl -sf "http://$PROM/api/v1/alerts" | jq -e '[.data.alerts[] |
			select(.labels.alertname == "EchomapTargetDown") | .labels.target] ==
			["198.18.1.1"]' >/dev/null
	}
	wait_for 20 target_down || { in_s curl -s "http://$PROM/api/v1/alerts" >&2; false; }
	watch_stop
	assert_clean
}

@test "--web.config.file: /metrics over TLS with basic auth, scraped by a real Prometheus; nothing without the password" {
	require_cmd prometheus
	require_cmd openssl
	require_cmd htpasswd
	require_fixtures delay_responder
	respond_delay 198.18.0.0/24 2 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj /CN=echomap -addext subjectAltName=IP:127.0.0.1 -keyout "$NET_TMP/key.pem" \
		-out "$NET_TMP/cert.pem" 2>/dev/null
	cat >"$NET_TMP/web.yml" <<-EOF
		tls_server_config:
		  cert_file: cert.pem
		  key_file: key.pem
		basic_auth_users:
		  $(htpasswd -nbBC 10 prom s3cret | sed 's/:/: /')
	EOF
	METRICS_URL=https://$LISTEN METRICS_CURL="--cacert $NET_TMP/cert.pem -u prom:s3cret" \
		watch_start --web.config.file "$NET_TMP/web.yml" 198.18.0.1 198.18.1.1
	local code
	# No password, a wrong one, plain HTTP: nothing of the metrics.
	code=$(in_s curl -s --cacert "$NET_TMP/cert.pem" -o "$NET_TMP/body" -w '%{http_code}' \
		"https://$LISTEN/metrics")
	[ "$code" = 401 ] && ! grep -q echomap_ "$NET_TMP/body"
	code=$(in_s curl -s --cacert "$NET_TMP/cert.pem" -u prom:wrong -o "$NET_TMP/body" \
		-w '%{http_code}' "https://$LISTEN/-/healthy")
	[ "$code" = 401 ] && ! grep -q OK "$NET_TMP/body"
	! in_s curl -sf -u prom:s3cret -o /dev/null "http://$LISTEN/metrics"
	# Prometheus over TLS (our certificate as its CA) with the password: the series arrive.
	PROM_SCRAPE=$'scheme: https\n    tls_config: {ca_file: '"$NET_TMP/cert.pem"$'}\n    basic_auth: {username: prom, password: s3cret}' \
		prom_start
	wait_for 30 promql_ready 'echomap_up{target="198.18.0.1"} == 1' ||
		{ in_s curl -s "http://$PROM/api/v1/targets" >&2; false; }
	[ "$(promql 'echomap_up{target="198.18.1.1"}')" = 0 ]
	[ "$(promql 'up{job="echomap"}')" = 1 ]
	watch_stop TERM
	assert_clean
	# A broken file: exit 3, one line naming it.
	em_capture watch -I "$IFACE" --allow-reserved --listen "$LISTEN" \
		--web.config.file "$NET_TMP/cert.pem" 198.18.0.1
	expect_status 3
	grep -q "warn: $NET_TMP/cert.pem:1: expected tls_server_config" "$ERR" || { em_dump; false; }
	[ "$(wc -l <"$ERR")" -eq 1 ] || { em_dump; false; }
	assert_clean
}

@test "metrics: every family, consistent histogram, TTL, /, /-/healthy" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61 --silent-mod 7
	watch_start 198.18.0.1 198.18.0.7
	wait_for 10 rounds_at_least 2
	metrics >"$NET_TMP/m"

	local f
	for f in rtt_seconds probes_sent_total replies_total late_replies_total duplicates_total \
		icmp_errors_total up ttl invalid_replies_total interface_dropped_frames_total \
		round_duration_seconds rounds_total targets; do
		grep -q "^# TYPE echomap_$f " "$NET_TMP/m" || { echo "no echomap_$f" >&2; false; }
	done
	grep -q '^echomap_ttl{target="198.18.0.1",name="",scope="reserved",family="ipv4"} 61$' "$NET_TMP/m"
	grep -q '^echomap_up{target="198.18.0.7",name="",scope="reserved",family="ipv4"} 0$' "$NET_TMP/m"
	# Buckets are cumulative and end in _count.
	grep '^echomap_rtt_seconds_bucket{target="198.18.0.1"' "$NET_TMP/m" |
		awk '{ if ($NF < last) { print "not cumulative: " $0; exit 1 } last = $NF } END { print last }' \
			>"$NET_TMP/inf"
	[ "$(cat "$NET_TMP/inf")" = "$(awk '/^echomap_rtt_seconds_count{target="198.18.0.1"/ { print $NF }' "$NET_TMP/m")" ]
	grep -q 'le="+Inf"' "$NET_TMP/m"
	# Content type of the exposition format.
	in_s curl -sf -D - -o /dev/null "http://$LISTEN/metrics" | grep -qi '^content-type: text/plain; version=0.0.4'

	in_s curl -sf "http://$LISTEN/" | grep -q '1 of 2 series up'
	[ "$(in_s curl -sf "http://$LISTEN/-/healthy")" = OK ]
	[ "$(in_s curl -s -o /dev/null -w '%{http_code}' "http://$LISTEN/nothere")" = 404 ]
	watch_stop INT
	assert_clean
}

@test "frames our own interface dropped are counted and said, apart from the network's losses" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61
	# Frames longer than the peer's MTU are dropped on em0: every probe of 428 bytes.
	own_drops on
	watch_start --size 400 198.18.0.1 198.18.0.2
	wait_for 10 rounds_at_least 2
	metrics >"$NET_TMP/m"
	local sent drops
	sent=$(awk '/^echomap_probes_sent_total\{/ { n += $NF } END { print n }' "$NET_TMP/m")
	drops=$(awk '$1 == "echomap_interface_dropped_frames_total{interface=\"em0\"}" { print $2 }' \
		"$NET_TMP/m")
	echo "# sent $sent, dropped $drops"
	[ "$sent" -ge 4 ] && [ "$drops" = "$sent" ]
	grep -q 'warn: round 0: em0 dropped 2 frames: some of its losses may be ours$' \
		"$NET_TMP/watch.err" || { cat "$NET_TMP/watch.err"; false; }
	# Once the link takes them again, replies come back and the count stands still.
	own_drops off
	wait_for 10 is_up 198.18.0.1
	local r
	r=$(sample echomap_rounds_total)
	drops=$(sample echomap_interface_dropped_frames_total 'interface="em0"')
	wait_for 10 rounds_at_least $((r + 2))
	[ "$(sample echomap_interface_dropped_frames_total 'interface="em0"')" = "$drops" ]
	watch_stop
	assert_clean
}

@test "late replies are counted as late, never as replies of a later round" {
	require_fixtures delay_responder
	# Held 1.5 s: past the 500 ms timeout and the end of the 1 s round.
	respond_delay 198.18.0.0/24 1500
	watch_start 198.18.0.1
	wait_for 15 rounds_at_least 4
	[ "$(sample echomap_late_replies_total 'target="198.18.0.1"')" -ge 2 ]
	[ "$(sample echomap_replies_total 'target="198.18.0.1"')" -eq 0 ]
	[ "$(sample echomap_rtt_seconds_count 'target="198.18.0.1"')" -eq 0 ]
	[ "$(sample echomap_up 'target="198.18.0.1"')" -eq 0 ]
	watch_stop
	assert_clean
}

@test "--aggregate /24: one series per prefix" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/23 --ttl 61 --silent-mod 7
	watch_start --aggregate /24 198.18.0.0/24 198.18.1.0/28
	wait_for 10 rounds_at_least 2
	metrics >"$NET_TMP/m"
	[ "$(grep -c '^echomap_up{' "$NET_TMP/m")" -eq 2 ]
	grep -q '^echomap_up{target="198.18.0.0/24",name="",scope="reserved",family="ipv4"} 1$' "$NET_TMP/m"
	local rounds sent replies
	rounds=$(awk '$1 == "echomap_rounds_total" { print $2 }' "$NET_TMP/m")
	sent=$(awk '/^echomap_probes_sent_total{target="198.18.1.0\/24"/ { print $NF }' "$NET_TMP/m")
	replies=$(awk '/^echomap_replies_total{target="198.18.1.0\/24"/ { print $NF }' "$NET_TMP/m")
	# 16 targets a round; the fixture keeps silent the offsets in the /23 that are multiples
	# of 7: 198.18.1.3 (259) and 198.18.1.10 (266).
	[ "$sent" -eq $((16 * rounds)) ]
	[ "$replies" -eq $((14 * rounds)) ]
	watch_stop
	assert_clean
}

# v6_drop RULES...: nftables rules on the responder's input of ICMPv6 echo requests.
v6_drop() {
	local r rules=""
	for r in "$@"; do rules+="icmpv6 type echo-request $r"$'\n'; done
	ip netns exec "$NS_R" nft -f - <<-EOF
		table ip6 em_v6drop {
			chain in {
				type filter hook input priority 0;
				$rules
			}
		}
	EOF
}

@test "IPv6 and IPv4 in one watch: a series per target, exact on /metrics and in snapshots; silent hosts down" {
	require_cmd jq
	v6_link
	respond_kernel 198.18.0.0/24
	v6_drop 'ip6 daddr { 2001:db8:1::3, 2001:db8:1::a } drop'
	mkdir "$NET_TMP/snap"
	watch_start --snapshot-dir "$NET_TMP/snap" -n 2 198.18.0.1-198.18.0.2 2001:db8:1::/124
	wait_for 15 rounds_at_least 3
	metrics >"$NET_TMP/m"
	local rounds a up want
	rounds=$(awk '$1 == "echomap_rounds_total" { print $2 }' "$NET_TMP/m")
	[ "$(grep -c '^echomap_up{' "$NET_TMP/m")" -eq 18 ] || { cat "$NET_TMP/m"; false; }
	grep -q '^echomap_up{target="198.18.0.2",name="",scope="reserved",family="ipv4"} 1$' "$NET_TMP/m"
	for a in $(v6_addrs 2001:db8:1:: 16); do
		up=1 want=$((2 * rounds))
		[ "$a" = 2001:db8:1::3 ] || [ "$a" = 2001:db8:1::a ] && up=0 want=0
		l="target=\"$a\",name=\"\",scope=\"documentation\",family=\"ipv6\""
		grep -qxF "echomap_up{$l} $up" "$NET_TMP/m" || { echo "up of $a not $up" >&2; false; }
		grep -qxF "echomap_probes_sent_total{$l} $((2 * rounds))" "$NET_TMP/m"
		grep -qxF "echomap_replies_total{$l} $want" "$NET_TMP/m" ||
			{ grep -F "$a\"" "$NET_TMP/m"; false; }
		grep -qxF "echomap_lost_total{$l} $((2 * rounds - want))" "$NET_TMP/m"
		grep -qxF "echomap_rtt_seconds_count{$l} $want" "$NET_TMP/m"
		[ "$up" = 0 ] || grep -qxF "echomap_ttl{$l} 64" "$NET_TMP/m"
	done
	# Nothing late, duplicated or in error, in either family.
	! grep -E '^echomap_(late_replies|duplicates|icmp_errors)_total\{.* [1-9]' "$NET_TMP/m"
	watch_stop
	# The snapshot has both families' targets, with the fields of sweep -F json.
	[ "$(wc -l <"$NET_TMP/snap/latest.jsonl")" -eq 18 ]
	[ "$(jq -r 'select(.saddr == "2001:db8:1::5") | "\(.classification) \(.loss) \(.from) \(.ttl)"' \
		"$NET_TMP/snap/latest.jsonl")" = "echoreply 0 2001:db8:1::5 64" ]
	[ "$(jq -r 'select(.saddr == "2001:db8:1::a") | "\(.classification) \(.loss)"' \
		"$NET_TMP/snap/latest.jsonl")" = "timeout 1" ]
	[ "$(jq -r 'select(.saddr == "198.18.0.1") | .classification' "$NET_TMP/snap/latest.jsonl")" = echoreply ]
	assert_clean
}

@test "--aggregate /24,/64: a series per IPv6 /64; a random-drop rule's loss within binomial bounds" {
	v6_link
	ip -n "$NS_R" -6 route add local 2001:db8:2::/64 dev lo
	ip -n "$NS_S" -6 route add 2001:db8:2::/64 via 2001:db8::2 dev "$IFACE"
	v6_drop 'ip6 daddr 2001:db8:2::/64 numgen random mod 4 == 0 counter drop'
	watch_start --aggregate /24,/64 2001:db8:1::/122 2001:db8:2::/122
	wait_for 20 rounds_at_least 4
	metrics >"$NET_TMP/m"
	local rounds l1 l2 sent lost dropped
	rounds=$(awk '$1 == "echomap_rounds_total" { print $2 }' "$NET_TMP/m")
	[ "$(grep -c '^echomap_up{' "$NET_TMP/m")" -eq 2 ] || { cat "$NET_TMP/m"; false; }
	l1='target="2001:db8:1::/64",name="",scope="documentation",family="ipv6"'
	l2='target="2001:db8:2::/64",name="",scope="documentation",family="ipv6"'
	grep -qxF "echomap_probes_sent_total{$l1} $((64 * rounds))" "$NET_TMP/m"
	grep -qxF "echomap_replies_total{$l1} $((64 * rounds))" "$NET_TMP/m"
	grep -qxF "echomap_probes_sent_total{$l2} $((64 * rounds))" "$NET_TMP/m"
	sent=$((64 * rounds))
	lost=$(awk -v k="echomap_lost_total{$l2}" '$1 == k { print $2 }' "$NET_TMP/m")
	dropped=$(ip netns exec "$NS_R" nft list table ip6 em_v6drop | awk '{ for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }')
	echo "# $sent probes to 2001:db8:2::/64 in $rounds rounds: $lost lost, the rule dropped $dropped"
	# p = 1/4: six standard deviations either side; and no loss the rule did not make.
	awk -v n="$sent" -v l="$lost" 'BEGIN { m = n / 4; sd = sqrt(n * 3 / 16)
		exit !(l >= m - 6 * sd && l <= m + 6 * sd) }'
	[ "$lost" -le "$dropped" ]
	watch_stop
	assert_clean
}

@test "snapshots: per-target JSON lines after each round, atomically, --keep N retained" {
	require_fixtures xdp_responder
	require_cmd jq
	respond_xdp 198.18.0.0/24 --ttl 61 --silent-mod 7
	mkdir "$NET_TMP/snap"
	watch_start --snapshot-dir "$NET_TMP/snap" --keep 2 198.18.0.1-198.18.0.8
	wait_for 15 rounds_at_least 4
	watch_stop

	[ "$(find "$NET_TMP/snap" -name 'echomap-*.jsonl' | wc -l)" -eq 2 ]
	# Nothing half-written left behind.
	[ "$(find "$NET_TMP/snap" -name '*tmp*' | wc -l)" -eq 0 ]
	local latest
	latest=$(readlink "$NET_TMP/snap/latest.jsonl")
	[ "$latest" = "$(cd "$NET_TMP/snap" && ls echomap-*.jsonl | tail -1)" ]
	[ "$(wc -l <"$NET_TMP/snap/latest.jsonl")" -eq 8 ]
	# The fields of sweep -F json, then round, time, sent, loss and quantiles.
	jq -e -s 'all(.[]; has("saddr") and has("name") and has("rtt_us") and has("ttl") and
		has("classification") and has("success") and has("repeat") and has("scope") and
		has("icmp_type") and has("icmp_code") and has("from") and has("round") and
		has("time") and has("sent") and has("loss") and has("rtt_p50_us") and
		has("rtt_p90_us") and has("rtt_p99_us"))' "$NET_TMP/snap/latest.jsonl" >/dev/null
	[ "$(jq -r 'select(.saddr == "198.18.0.7") | "\(.classification) \(.loss) \(.rtt_p50_us)"' \
		"$NET_TMP/snap/latest.jsonl")" = "timeout 1 null" ]
	[ "$(jq -r 'select(.success) | .loss' "$NET_TMP/snap/latest.jsonl" | sort -u)" = 0 ]
	# The quantile of one reply is its bucket's middle: within 3.2 % of the exact RTT.
	jq -e -s 'all(.[] | select(.success); (.rtt_p50_us - .rtt_us | fabs) <= .rtt_us * 0.032)' \
		"$NET_TMP/snap/latest.jsonl" >/dev/null
	# The map command reads snapshots as it reads sweep results.
	"$ECHOMAP" map --prefix 198.18.0.0/24 -o "$NET_TMP/map.png" "$NET_TMP/snap/latest.jsonl"
	[ -s "$NET_TMP/map.png" ]
	assert_clean
}

@test "SIGHUP reloads the target file and names; a broken file keeps the old set" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61
	hosts_add 198.18.0.3 moving.echomap.test
	printf '198.18.0.1\n198.18.0.2\nmoving.echomap.test\n' >"$NET_TMP/targets"
	watch_start "@$NET_TMP/targets"
	wait_for 10 rounds_at_least 2
	has_series 198.18.0.2
	metrics | grep -q '^echomap_up{target="198.18.0.3",name="moving.echomap.test",'
	local sent_before
	sent_before=$(sample echomap_probes_sent_total 'target="198.18.0.1"')

	# One target removed, one added, and the name now points elsewhere (same inode: the
	# namespace's hosts file is bind-mounted).
	printf '198.18.0.1\n198.18.0.5\nmoving.echomap.test\n' >"$NET_TMP/targets"
	printf '127.0.0.1\tlocalhost\n198.18.0.4\tmoving.echomap.test\n' >"/etc/netns/$NS_S/hosts"
	kill -HUP "$WATCH_PID"
	wait_for 10 has_series 198.18.0.5
	wait_for 5 lacks_series 198.18.0.2
	lacks_series 198.18.0.3
	metrics | grep -q '^echomap_up{target="198.18.0.4",name="moving.echomap.test",'
	grep -q 'reloaded: 3 targets' "$NET_TMP/watch.err"
	# A target kept keeps its counters.
	[ "$(sample echomap_probes_sent_total 'target="198.18.0.1"')" -ge "$sent_before" ]

	# A broken file: the reason is logged and the old set stays.
	printf '198.18.0.1\nthis is not a target\n' >"$NET_TMP/targets"
	kill -HUP "$WATCH_PID"
	wait_for 10 grep -q 'reload failed' "$NET_TMP/watch.err"
	grep -q 'this is not a target' "$NET_TMP/watch.err"
	local rounds
	rounds=$(sample echomap_rounds_total)
	wait_for 5 rounds_at_least $((rounds + 1))
	has_series 198.18.0.5
	has_series 198.18.0.4
	# Logs: timestamp, pid, level, one line per event.
	grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z echomap\[[0-9]+\] warn: reload failed' \
		"$NET_TMP/watch.err"
	watch_stop TERM
	assert_clean
}

replies_at_least() { [ "$(sample echomap_replies_total "target=\"$1\"")" -ge "$2" ] 2>/dev/null; }

@test "every engine: replies counted per target, also after a reload changes the key" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61 --silent-mod 7
	local n

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		printf '198.18.0.1\n198.18.0.7\n' >"$NET_TMP/targets"
		watch_start "@$NET_TMP/targets"
		wait_for 10 replies_at_least 198.18.0.1 2
		[ "$(sample echomap_up 'target="198.18.0.7"')" = 0 ]
		[ "$(sample echomap_replies_total 'target="198.18.0.7"')" = 0 ]
		# The reload draws a new cookie key: the probes sent from then on must carry it.
		printf '198.18.0.1\n198.18.0.2\n' >"$NET_TMP/targets"
		kill -HUP "$WATCH_PID"
		wait_for 10 replies_at_least 198.18.0.2 2
		n=$(sample echomap_replies_total 'target="198.18.0.1"')
		wait_for 5 replies_at_least 198.18.0.1 $((n + 1))
		lacks_series 198.18.0.7
		watch_stop TERM
		assert_clean
	done
}

@test "start-up errors: port in use and an unwritable snapshot dir exit 4, bad options 3" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61
	watch_start 198.18.0.1

	em_capture watch -I "$IFACE" --allow-reserved --listen "$LISTEN" 198.18.0.2
	expect_status 4
	grep -q "cannot listen on $LISTEN: Address already in use" "$ERR" || { em_dump; false; }
	watch_stop

	local bad
	for bad in 127.0.0.1 127.0.0.1: 127.0.0.1:0 127.0.0.1:65536 nosuchhost:9100 ::1:9100 \
		'[::1]9100' 300.1.1.1:9100; do
		em_capture watch --allow-reserved --listen "$bad" 198.18.0.1
		expect_status 3
		grep -qF "bad value '$bad' for --listen" "$ERR" || { em_dump; false; }
	done
	# Not an address of this host: a system error, said as such.
	em_capture watch -I "$IFACE" --allow-reserved --listen 192.0.2.99:9100 198.18.0.1
	expect_status 4
	grep -q 'cannot listen on 192.0.2.99:9100: Cannot assign requested address' "$ERR"

	# Root writes through permissions: a read-only mount makes a directory unwritable.
	mkdir "$NET_TMP/ro"
	mount -t tmpfs -o ro,size=64k tmpfs "$NET_TMP/ro"
	em_capture watch -I "$IFACE" --allow-reserved --snapshot-dir "$NET_TMP/ro" 198.18.0.1
	umount "$NET_TMP/ro"
	expect_status 4
	grep -q "cannot write snapshots to $NET_TMP/ro: Read-only file system" "$ERR"
	em_capture watch -I "$IFACE" --allow-reserved --snapshot-dir "$NET_TMP/nothere" 198.18.0.1
	expect_status 4
	grep -q "No such file or directory" "$ERR"

	em_capture watch --allow-reserved --every 1 -t 600 198.18.0.1
	expect_status 3
	grep -q 'too long for rounds every 1 s' "$ERR"
	em_capture watch --allow-reserved --buckets 0.2,0.1 198.18.0.1
	expect_status 3
	em_capture watch --allow-reserved --aggregate /33 198.18.0.1
	expect_status 3
	em_capture watch -I "$IFACE" --allow-reserved 240.0.0.0/13
	expect_status 3
	grep -q 'use --aggregate' "$ERR"
	assert_clean
}

# caps_of_unit: the capabilities contrib/systemd/echomap.service grants, as setpriv wants them.
caps_of_unit() {
	sed -n 's/^AmbientCapabilities=//p' "$ROOT/contrib/systemd/echomap.service" |
		tr ' ' '\n' | sed 's/^CAP_//' | tr 'A-Z' 'a-z' | sed 's/^/+/' | paste -sd,
}

# as_nobody CAPS ARGS...: echomap ARGS in NS_S as user nobody with exactly CAPS.
as_nobody() {
	local caps=$1
	shift
	# shellcheck disable=SC2086 # NOBODY_TIMEOUT: a bound on runs that must fail fast
	${NOBODY_TIMEOUT:+timeout $NOBODY_TIMEOUT} ip netns exec "$NS_S" setpriv --reuid=65534 \
		--regid=65534 --clear-groups --inh-caps="-all${caps:+,$caps}" \
		--ambient-caps="-all${caps:+,$caps}" --bounding-set="-all${caps:+,$caps}" -- \
		"$NOBODY_BIN" "$@"
}

@test "systemd unit's capabilities: enough as nobody, and each one needed" {
	require_cmd setpriv
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61
	NOBODY_BIN=$ECHOMAP
	if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$ECHOMAP"; then
		mkdir -p "$NET_TMP/bin"
		cp "$ECHOMAP" "$NET_TMP/bin/echomap"
		chmod 755 "$NET_TMP/bin" "$NET_TMP/bin/echomap"
		NOBODY_BIN=$NET_TMP/bin/echomap
	fi
	local caps cap rest
	caps=$(caps_of_unit)
	[ "$caps" = "+bpf,+perfmon,+net_admin,+net_raw" ]
	grep -q "^CapabilityBoundingSet=CAP_BPF CAP_PERFMON CAP_NET_ADMIN CAP_NET_RAW$" \
		"$ROOT/contrib/systemd/echomap.service"

	# Not through as_nobody: $! must be echomap's pid (ip and setpriv exec it).
	ip netns exec "$NS_S" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps="-all,$caps" --ambient-caps="-all,$caps" --bounding-set="-all,$caps" -- \
		"$NOBODY_BIN" watch -I "$IFACE" --allow-reserved --every 1 --listen "$LISTEN" \
		198.18.0.1 2>"$NET_TMP/watch.err" 3>&- &
	WATCH_PID=$!
	track_pid "$WATCH_PID"
	wait_for 10 rounds_at_least 2
	[ "$(sample echomap_replies_total 'target="198.18.0.1"')" -ge 1 ]
	watch_stop

	for cap in ${caps//,/ }; do
		rest=$(echo "$caps" | tr ',' '\n' | grep -vx -- "$cap" | paste -sd,)
		EM_STATUS=0
		NOBODY_TIMEOUT=10 as_nobody "$rest" watch -I "$IFACE" --allow-reserved --every 1 \
			198.18.0.1 2>"$NET_TMP/err" || EM_STATUS=$?
		[ "$EM_STATUS" -eq 4 ] || { echo "without $cap: exit $EM_STATUS" >&2; false; }
	done
	assert_clean
}

@test "supervisord with the shipped config restarts echomap after kill -9; one XDP program" {
	require_cmd supervisord
	require_cmd supervisorctl
	require_cmd bpftool
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61
	local conf=$NET_TMP/supervisord.conf prog=$ROOT/contrib/supervisor/echomap.conf pid1 pid2
	# The keys a supervisord user expects in the shipped block.
	for key in command autostart autorestart user stopsignal; do
		grep -q "^$key=" "$prog" || { echo "no $key= in $prog" >&2; false; }
	done

	cat >"$conf" <<-EOF
		[unix_http_server]
		file=$NET_TMP/supervisor.sock
		[supervisord]
		nodaemon=true
		logfile=$NET_TMP/supervisord.log
		pidfile=$NET_TMP/supervisord.pid
		childlogdir=$NET_TMP
		[rpcinterface:supervisor]
		supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
		[supervisorctl]
		serverurl=unix://$NET_TMP/supervisor.sock
	EOF
	# Paths adapted: echomap from the build, in the test's namespace, on its interface.
	sed -e "s|^command=/usr/local/bin/echomap watch .*|command=ip netns exec $NS_S $ECHOMAP watch -I $IFACE --allow-reserved --every 1 --listen $LISTEN 198.18.0.1|" \
		-e "s|^directory=.*|directory=$NET_TMP|" -e "s|^user=.*|user=root|" \
		-e "s|^stdout_logfile=.*|stdout_logfile=$NET_TMP/echomap.log|" "$prog" >>"$conf"
	grep -q "^command=ip netns exec" "$conf"

	supervisord -c "$conf" 3>&- &
	track_pid $!
	wait_for 15 metrics_ok
	pid1=$(supervisorctl -c "$conf" pid echomap)
	[ "$(cat "/proc/$pid1/comm")" = echomap ]

	kill -9 "$pid1"
	wait_for 15 eval '[ "$(supervisorctl -c "$conf" pid echomap)" != "$pid1" ] &&
		[ "$(supervisorctl -c "$conf" pid echomap)" != 0 ]'
	pid2=$(supervisorctl -c "$conf" pid echomap)
	wait_for 15 metrics_ok
	wait_for 10 rounds_at_least 1
	# Exactly one XDP program on the interface: the new one (the old link died with its process).
	ip netns exec "$NS_S" bpftool -j net show dev "$IFACE" >"$NET_TMP/net.json"
	[ "$(jq '[.[0].xdp[]] | length' "$NET_TMP/net.json")" -eq 1 ]
	bpftool prog show id "$(jq '.[0].xdp[0].id' "$NET_TMP/net.json")" | grep -q 'name echomap_xdp'
	[ "$(ip -n "$NS_S" -d link show dev "$IFACE" | grep -c 'prog/xdp')" -eq 1 ]

	supervisorctl -c "$conf" stop echomap >/dev/null
	if kill -0 "$pid2" 2>/dev/null; then
		echo "echomap still running after supervisorctl stop" >&2
		false
	fi
	grep -q 'notice: stopping' "$NET_TMP/echomap.log"
	supervisorctl -c "$conf" shutdown >/dev/null
	assert_clean
}

# rounds_closed_at_least N: the status page (small, unlike /metrics) says round N-1 closed.
rounds_closed_at_least() {
	[ "$(in_s curl -sf "http://$LISTEN/" | sed -n 's/.*Round \([0-9]*\) closed.*/\1/p' |
		head -1)" -ge $(($1 - 1)) ] 2>/dev/null
}

@test "100,000 targets at a 1 s interval, a series each: every series on /metrics, no reply lost (kernel responder)" {
	# 100,000 probes a second through the responder's kernel: not under an emulated CPU.
	require_real_time
	respond_kernel 198.18.0.0/15
	# 198.18.0.0 + 99,999: 100,000 addresses; the default rate: spread over the round.
	watch_start -t 200 198.18.0.0-198.19.134.159
	wait_for 60 rounds_closed_at_least 3
	local series sent replies lost
	# The closed rounds' totals: probes whose round closed, and what came back in time.
	read -r series sent replies lost < <(in_s curl -sf --compressed "http://$LISTEN/metrics" |
		awk '/^echomap_up\{/ { n++ } /^echomap_probes_sent_total\{/ { s += $NF }
		     /^echomap_replies_total\{/ { r += $NF } /^echomap_lost_total\{/ { l += $NF }
		     END { print n + 0, s + 0, r + 0, l + 0 }')
	echo "# $series series; $sent probes sent, $replies replies, $lost lost" >&3
	[ "$series" -eq 100000 ]
	[ "$sent" -ge 300000 ]
	[ "$((sent % 100000))" -eq 0 ]
	[ "$replies" -eq "$sent" ]
	[ "$lost" -eq 0 ]
	grep -q 'watching 100000 targets in 100000 series on em0: a round every 1 s' "$NET_TMP/watch.err"
	! grep -q 'rounds last' "$NET_TMP/watch.err"
	# Not watch_stop's time bound: the reporter may be writing a 250 MB page.
	kill -TERM "$WATCH_PID"
	wait "$WATCH_PID"
	assert_clean
}
