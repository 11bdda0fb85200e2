#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests of `echomap watch --config FILE`: groups of targets, each with its own
# interval, probes and spacing, in one process and one matcher, measured from the responder's
# own log; their labels as a real Prometheus scrapes them; broken files refused at start and
# kept out on SIGHUP.

bats_require_minimum_version 1.5.0

load ../lib/netns

LISTEN=127.0.0.1:9101
PROM=127.0.0.1:9091

setup() {
	e2e_setup
	require_cmd curl
	CONF=$NET_TMP/watch.yaml
}

teardown() {
	e2e_teardown
}

# watch_start ARGS...: echomap watch --config $CONF ARGS in NS_S in the background, stderr in
# $NET_TMP/watch.err; returns once /metrics answers.
watch_start() {
	ip netns exec "$NS_S" "$ECHOMAP" watch ${ENGINE:+--engine "$ENGINE"} -I "$IFACE" \
		--allow-reserved --listen "$LISTEN" --config "$CONF" "$@" \
		>"$NET_TMP/watch.out" 2>"$NET_TMP/watch.err" 3>&- &
	WATCH_PID=$!
	track_pid "$WATCH_PID"
	if ! wait_for 10 metrics_ok; then
		echo "echomap watch did not serve /metrics:" >&2
		cat "$NET_TMP/watch.err" >&2
		return 1
	fi
}

watch_stop() {
	local rc=0
	kill -TERM "$WATCH_PID"
	wait "$WATCH_PID" || rc=$?
	[ "$rc" -eq 0 ] || { echo "echomap exited $rc" >&2; cat "$NET_TMP/watch.err" >&2; false; }
}

metrics_ok() { in_s curl -sf -o /dev/null "http://$LISTEN/metrics"; }
metrics() { in_s curl -sf "http://$LISTEN/metrics"; }

# sample NAME LABELS: the value of the first sample of NAME whose labels start with LABELS.
sample() {
	metrics | awk -v n="$1" -v l="$2" 'index($0, n "{" l) == 1 || $1 == n { print $NF; exit }'
}

sent_at_least() { [ "$(sample echomap_probes_sent_total "target=\"$1\"")" -ge "$2" ] 2>/dev/null; }
replied_at_least() { [ "$(sample echomap_replies_total "target=\"$1\"")" -ge "$2" ] 2>/dev/null; }

prom_start() {
	local i
	cat >"$NET_TMP/prometheus.yml" <<-EOF
		global:
		  scrape_interval: 1s
		scrape_configs:
		  - job_name: echomap
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
	cat "$NET_TMP/prometheus.log" >&2
	return 1
}

promql() {
	in_s curl -sf "http://$PROM/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[0].value[1] // empty'
}

promql_is() { [ "$(promql "$1")" = "$2" ]; }

# gaps ADDR: the times between the responder's receptions of ADDR's requests, in ms, one a line.
gaps() {
	awk -v a="$1" '$1 == a { if (n++) printf "%.3f\n", ($3 - t) / 1000; t = $3 }' "$DELAY_LOG"
}

# median < numbers
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# near VALUE WANT PCT: |VALUE - WANT| <= PCT % of WANT, or says why not.
near() {
	awk -v v="$1" -v w="$2" -v p="$3" 'BEGIN {
		d = v - w; if (d < 0) d = -d
		if (v == "" || d > w * p / 100) { print v " is not " w " +- " p "%"; exit 1 }
	}' >&2
}

@test "groups: each at its own interval and burst spacing (from the responder's log), labels scraped by Prometheus" {
	require_cmd prometheus
	require_cmd jq
	require_fixtures delay_responder
	respond_delay 198.18.0.0/24 0 0 0 --timestamps
	cat >"$CONF" <<-EOF
		groups:
		  - name: fast
		    targets: [198.18.0.1, 198.18.0.2]
		    labels: {tier: fast, site: "par \"1\""}
		    interval: 500ms
		  - name: slow
		    targets: 198.18.0.3
		    labels: {tier: slow}
		    interval: 2s
		  - name: voice
		    targets: ["@$NET_TMP/voice.txt"]
		    labels: {tier: voice}
		    interval: 2s
		    probes: 4
		    spacing: 100ms
		    timeout: 500ms
	EOF
	echo 198.18.0.4 >"$NET_TMP/voice.txt"
	prom_start
	watch_start
	# Five rounds of the slow groups: 20 requests of the voice target's bursts.
	wait_for 30 sent_at_least 198.18.0.4 20
	wait_for 30 promql_is 'count(echomap_up{tier="fast",site="par \"1\""} == 1)' 2
	promql_is 'count(echomap_up{tier="slow"} == 1)' 1
	promql_is 'count(echomap_up{tier="voice"} == 1)' 1
	# Every probe is answered; the counts of a group are its own.
	[ "$(sample echomap_replies_total 'target="198.18.0.4"')" -ge 20 ]
	metrics | grep -q '^echomap_up{target="198.18.0.1",name="",scope="reserved",family="ipv4",tier="fast",site="par \\"1\\""} 1$'
	watch_stop
	responder_stop

	local fast slow burst between
	fast=$(gaps 198.18.0.1 | median)
	slow=$(gaps 198.18.0.3 | median)
	echo "# median gaps: fast $fast ms, slow $slow ms" >&3
	near "$fast" 500 20
	near "$slow" 2000 20
	# The voice target: bursts of 4 requests about 100 ms apart, a burst every 2 s.
	burst=$(gaps 198.18.0.4 | awk '$1 < 1000' | median)
	between=$(gaps 198.18.0.4 | awk '$1 >= 1000' | median)
	echo "# voice: median gap in a burst $burst ms, between bursts $between ms" >&3
	near "$burst" 100 40
	near "$between" 1700 20
	[ "$(gaps 198.18.0.4 | awk '$1 < 1000' | wc -l)" -ge $((3 * $(gaps 198.18.0.4 | awk '$1 >= 1000' | wc -l))) ]
	grep -q 'group voice: 1 targets in 1 series, a round every 2.000 s, 4 probe(s) in a burst, timeout 500 ms' \
		"$NET_TMP/watch.err"
	assert_clean
}

@test "IPv6 groups: an IPv6 prefix and an IPv4 address in groups of their own, labels and counts exact; no shape for IPv6" {
	v6_link
	respond_kernel 198.18.0.0/24
	cat >"$CONF" <<-EOF
		groups:
		  - name: six
		    targets: [2001:db8:1::/126]
		    labels: {tier: v6}
		    interval: 500ms
		  - name: four
		    targets: [198.18.0.1]
		    labels: {tier: v4}
		    interval: 1s
	EOF
	watch_start
	wait_for 15 replied_at_least 198.18.0.1 2
	metrics >"$NET_TMP/m"
	local a l sent
	[ "$(grep -c '^echomap_up{' "$NET_TMP/m")" -eq 5 ] || { cat "$NET_TMP/m"; false; }
	grep -q '^echomap_up{target="198.18.0.1",name="",scope="reserved",family="ipv4",tier="v4"} 1$' "$NET_TMP/m"
	for a in 2001:db8:1:: 2001:db8:1::1 2001:db8:1::2 2001:db8:1::3; do
		l="target=\"$a\",name=\"\",scope=\"documentation\",family=\"ipv6\",tier=\"v6\""
		grep -qxF "echomap_up{$l} 1" "$NET_TMP/m" || { grep -F "$a\"" "$NET_TMP/m"; false; }
		sent=$(awk -v k="echomap_probes_sent_total{$l}" '$1 == k { print $2 }' "$NET_TMP/m")
		[ "$sent" -ge 2 ]
		# Every probe of a closed round answered by the kernel, in time, once.
		grep -qxF "echomap_replies_total{$l} $sent" "$NET_TMP/m"
		grep -qxF "echomap_ttl{$l} 64" "$NET_TMP/m"
	done
	grep -q 'group six: 4 targets in 4 series, a round every 0.500 s' "$NET_TMP/watch.err"
	watch_stop

	# A group's own probe shape would reach only IPv4 probes: refused.
	cat >"$CONF" <<-EOF
		groups:
		  - name: six
		    targets: [2001:db8:1::1]
		    ttl: 9
		  - name: four
		    targets: [198.18.0.1]
	EOF
	em_capture watch -I "$IFACE" --allow-reserved --config "$CONF"
	expect_status 3
	grep -q "warn: $CONF: group six has IPv6 targets: its size, ttl, dscp, tos, df and source would apply to its IPv4 probes only$" "$ERR" ||
		{ em_dump; false; }
	assert_clean
}

@test "a broken file is refused at start with FILE:LINE and why (exit 3); so are targets or group options beside it" {
	printf 'groups:\n  - targets: [198.18.0.1]\n    interval: 10\n' >"$CONF"
	em_capture watch -I "$IFACE" --allow-reserved --config "$CONF"
	expect_status 3
	grep -Eq "^[0-9T:.-]+Z echomap\[[0-9]+\] warn: $CONF:3: interval: '10' needs a unit \(ms, s, m, h\)\$" "$ERR"
	[ "$(grep -c . "$ERR")" -eq 1 ]

	printf 'groups:\n  - targets: [198.18.0.1]\n    labels: {__name__: x}\n' >"$CONF"
	em_capture watch -I "$IFACE" --allow-reserved --config "$CONF"
	expect_status 3
	grep -q "warn: $CONF:3: label name '__name__' starts with '__'" "$ERR"

	em_capture watch -I "$IFACE" --allow-reserved --config "$NET_TMP/none.yaml"
	expect_status 3
	grep -q "cannot read the config file '$NET_TMP/none.yaml'" "$ERR"

	printf 'groups:\n  - targets: [198.18.0.1]\n' >"$CONF"
	em_capture watch -I "$IFACE" --allow-reserved --config "$CONF" 198.18.0.2
	expect_status 3
	grep -qx 'echomap: targets are given either in the --config file or on the command line' "$ERR"
	em_capture watch -I "$IFACE" --allow-reserved --config "$CONF" --every 5
	expect_status 3
	grep -qx 'echomap: --every is set per group in the --config file' "$ERR"
	# A reserved target without --allow-reserved: the session's rules hold for the file's too.
	em_capture watch -I "$IFACE" --config "$CONF"
	expect_status 3
	grep -q "198.18.0.1.*reserved" "$ERR"
	assert_clean
}

@test "SIGHUP: a good file's groups and labels replace the old; a broken one keeps them and says why" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61
	printf 'groups:\n  - targets: [198.18.0.1]\n    labels: {v: one}\n    interval: 500ms\n' >"$CONF"
	watch_start
	wait_for 10 sent_at_least 198.18.0.1 2
	metrics | grep -q '^echomap_up{target="198.18.0.1",name="",scope="reserved",family="ipv4",v="one"} 1$'
	local sent
	sent=$(sample echomap_probes_sent_total 'target="198.18.0.1"')

	cat >"$CONF" <<-EOF
		groups:
		  - targets: [198.18.0.1]
		    labels: {v: two}
		    interval: 500ms
		  - targets: [198.18.0.2]
		    interval: 1s
	EOF
	kill -HUP "$WATCH_PID"
	wait_for 10 sent_at_least 198.18.0.2 1
	metrics | grep -q '^echomap_up{target="198.18.0.1",name="",scope="reserved",family="ipv4",v="two"}'
	metrics | grep -q '^echomap_up{target="198.18.0.2",name="",scope="reserved",family="ipv4"}'
	# The target kept keeps its counters.
	[ "$(sample echomap_probes_sent_total 'target="198.18.0.1"')" -ge "$sent" ]
	grep -q 'reloaded: 2 targets in 2 series' "$NET_TMP/watch.err"

	printf 'groups:\n  - targets: [198.18.0.1]\n    probes: 99\n' >"$CONF"
	kill -HUP "$WATCH_PID"
	wait_for 10 grep -q 'reload failed' "$NET_TMP/watch.err"
	grep -q "warn: $CONF:3: probes 99 out of range 1..16" "$NET_TMP/watch.err"
	sent=$(sample echomap_probes_sent_total 'target="198.18.0.2"')
	wait_for 10 sent_at_least 198.18.0.2 $((sent + 2))
	metrics | grep -q '^echomap_up{target="198.18.0.1",name="",scope="reserved",family="ipv4",v="two"} 1$'
	watch_stop
	assert_clean
}

@test "jitter (RFC 3550) and per-round mdev against the holds the delaying responder logged" {
	require_cmd jq
	require_fixtures delay_responder
	# 20 ms +- 6 ms uniform: RFC 3550 jitter near 2 * 6 / 3 = 4 ms, a burst's mdev near 3.5 ms.
	respond_delay 198.18.0.0/24 20 6 0 --timestamps
	cat >"$CONF" <<-EOF
		groups:
		  - targets: [198.18.0.1]
		    interval: 1s
		    probes: 5
		    spacing: 50ms
		    timeout: 300ms
	EOF
	mkdir "$NET_TMP/snap"
	watch_start --snapshot-dir "$NET_TMP/snap" --keep 0
	wait_for 40 sent_at_least 198.18.0.1 60
	watch_stop
	responder_stop

	# Truth, burst by burst (a gap over 500 ms starts the next round): the population standard
	# deviation of its holds, and the running RFC 3550 jitter at its end.
	awk '$1 == "198.18.0.1" { print $2, $3 }' "$DELAY_LOG" >"$NET_TMP/holds"
	awk '{ if (NR > 1 && $2 - t > 500000) { print s / n, sqrt(q / n - (s / n) ^ 2), j; s = q = n = 0 }
	       if (NR > 1) { d = $1 - p; if (d < 0) d = -d; j += (d - j) / 16 }
	       p = $1; t = $2; s += $1; q += $1 * $1; n++ }' "$NET_TMP/holds" >"$NET_TMP/truth"
	# echomap's, round by round from the snapshots (round r is the r-th burst).
	for f in $(ls "$NET_TMP/snap"/echomap-*.jsonl | sort); do
		jq -r 'select(.saddr == "198.18.0.1" and .rtt_mdev_us != null) | "\(.round) \(.rtt_mdev_us) \(.jitter_us)"' "$f"
	done >"$NET_TMP/measured"
	echo "# rounds measured: $(wc -l <"$NET_TMP/measured"), truth bursts: $(wc -l <"$NET_TMP/truth")" >&3
	[ "$(wc -l <"$NET_TMP/measured")" -ge 8 ]
	# Join: round r of the snapshots with line r + 1 of the truth.
	awk 'NR == FNR { tm[FNR - 1] = $2; tj[FNR - 1] = $3; next }
	     ($1 in tm) { dm = $2 - tm[$1]; dj = $3 - tj[$1]; if (dm < 0) dm = -dm; if (dj < 0) dj = -dj
	                  print dm, dj, tm[$1], tj[$1] }' "$NET_TMP/truth" "$NET_TMP/measured" >"$NET_TMP/err"
	local mdev_err jit_err mdev_truth jit_truth
	mdev_err=$(cut -d' ' -f1 "$NET_TMP/err" | median)
	jit_err=$(cut -d' ' -f2 "$NET_TMP/err" | median)
	mdev_truth=$(cut -d' ' -f3 "$NET_TMP/err" | median)
	jit_truth=$(cut -d' ' -f4 "$NET_TMP/err" | median)
	echo "# mdev: truth $mdev_truth us, median |error| $mdev_err us; jitter: truth $jit_truth us, median |error| $jit_err us" >&3
	# The truth has the spread imposed (its own figures, not the nominal ones) ...
	awk -v m="$mdev_truth" -v j="$jit_truth" 'BEGIN { exit !(m > 1000 && j > 1000) }'
	# ... and echomap's figures are the truth's within a tenth (mdev) and a quarter (the jitter
	# runs across rounds, so a stalled reply weighs on it for a few rounds).
	awk -v e="$mdev_err" -v t="$mdev_truth" 'BEGIN { exit !(e <= t / 10) }'
	awk -v e="$jit_err" -v t="$jit_truth" 'BEGIN { exit !(e <= t / 4) }'
	assert_clean
}

# series_sums TARGET: "sent replies lost outage" of a target's series.
series_sums() {
	local m
	m=$(metrics)
	for f in echomap_probes_sent_total echomap_replies_total echomap_lost_total \
		echomap_outage_seconds_total; do
		awk -v n="$f" -v t="target=\"$1\"" 'index($0, n "{" t) == 1 { printf "%s ", $NF }' <<<"$m"
	done
}

lost_at_least() { [ "$(sample echomap_lost_total "target=\"$1\"")" -ge "$2" ] 2>/dev/null; }
replies_at_least() { [ "$(sample echomap_replies_total "target=\"$1\"")" -ge "$2" ] 2>/dev/null; }

@test "outage time, loss and hops: a responder stopped for a known period; never a reply counted twice" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61
	printf 'groups:\n  - targets: [198.18.0.1]\n    interval: 500ms\n    timeout: 200ms\n' >"$CONF"
	watch_start
	wait_for 10 replies_at_least 198.18.0.1 3
	[ "$(sample echomap_outage_seconds_total 'target="198.18.0.1"')" = 0 ]
	[ "$(sample echomap_lost_total 'target="198.18.0.1"')" = 0 ]
	[ "$(sample echomap_reply_hops 'target="198.18.0.1"')" = 3 ]

	local t0a t0b t1a t1b lost replies
	t0a=$(date +%s%N)
	responder_stop
	t0b=$(date +%s%N)
	wait_for 20 lost_at_least 198.18.0.1 6
	t1a=$(date +%s%N)
	respond_xdp 198.18.0.0/24 --ttl 61
	t1b=$(date +%s%N)
	replies=$(sample echomap_replies_total 'target="198.18.0.1"')
	wait_for 20 replies_at_least 198.18.0.1 $((replies + 3))

	read -r sent replies lost outage <<<"$(series_sums 198.18.0.1)"
	echo "# down between $(((t1a - t0b) / 1000000)) and $(((t1b - t0a) / 1000000)) ms; sent $sent, replies $replies, lost $lost, outage $outage s" >&3
	# Each probe is a reply or a loss, never both, never twice.
	[ $((replies + lost)) -eq "$sent" ]
	# Each lost probe stands for 500 ms; the outage is the time the responder was down, give
	# or take a probe at each end (bounds measured around its stop and start).
	awk -v o="$outage" -v l="$lost" 'BEGIN { exit !(o == l * 0.5) }'
	awk -v o="$outage" -v lo="$(((t1a - t0b) / 1000000))" -v hi="$(((t1b - t0a) / 1000000))" \
		'BEGIN { exit !(o * 1000 >= lo - 1000 && o * 1000 <= hi + 1000) }'
	watch_stop
	assert_clean
}

has_series() { metrics | grep -q "^echomap_up{target=\"$1\",name=\"\",scope=\"reserved\",family=\"ipv4\"$2}"; }
lacks_series() { ! metrics | grep -q "^echomap_up{target=\"$1\","; }

# sd_write NAME TEXT: a file_sd file replaced whole, by rename, as tools write them.
sd_write() {
	printf '%s\n' "$2" >"$NET_TMP/sd/.$1.tmp"
	mv "$NET_TMP/sd/.$1.tmp" "$NET_TMP/sd/$1"
}

@test "file_sd: files added, changed and broken are followed without a signal; POST /-/reload reads the config file" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61
	mkdir "$NET_TMP/sd"
	sd_write a.json '[{"targets": ["198.18.0.2"], "labels": {"env": "a"}}]'
	cat >"$CONF" <<-EOF
		groups:
		  - name: static
		    targets: [198.18.0.1]
		    interval: 500ms
		  - name: sd
		    labels: {team: net}
		    interval: 500ms
		    file_sd: ["sd/*.json"]
	EOF
	watch_start
	wait_for 10 has_series 198.18.0.2 ',team="net",env="a"'

	# A new file, moved into place.
	sd_write b.json '[{"targets": ["198.18.0.3:9100"], "labels": {"env": "b"}}]'
	wait_for 10 has_series 198.18.0.3 ',team="net",env="b"'
	# A file written over in place: its target moves.
	printf '[{"targets": ["198.18.0.4"], "labels": {"env": "a"}}]\n' >"$NET_TMP/sd/a.json"
	wait_for 10 has_series 198.18.0.4 ',team="net",env="a"'
	wait_for 10 lacks_series 198.18.0.2
	has_series 198.18.0.3 ',team="net",env="b"'
	# Other files of the folder are not ours.
	echo junk >"$NET_TMP/sd/notes.txt"
	# A broken file: said with its line, and what runs stays.
	sd_write b.json '[{"targets": ["198.18.0.3"], "labels": {"bad-name": "x"}}]'
	wait_for 10 grep -q 'reload failed' "$NET_TMP/watch.err"
	grep -q "warn: $NET_TMP/sd/b.json:1: label name 'bad-name' may hold only" "$NET_TMP/watch.err"
	! grep -q 'notes.txt' "$NET_TMP/watch.err"
	has_series 198.18.0.3 ',team="net",env="b"'
	has_series 198.18.0.4 ',team="net",env="a"'

	# The config file itself is read again on POST /-/reload.
	sd_write b.json '[]'
	sed -i 's/name: static/name: static\n    labels: {role: core}/' "$CONF"
	in_s curl -sf -X POST "http://$LISTEN/-/reload" | grep -q 'reload requested'
	wait_for 10 has_series 198.18.0.1 ',role="core"'
	wait_for 10 lacks_series 198.18.0.3
	# Not with GET.
	[ "$(in_s curl -s -o /dev/null -w '%{http_code}' "http://$LISTEN/-/reload")" = 404 ]
	watch_stop
	assert_clean
}

# scrape_pair: the page gzip-compressed and plain, in $NET_TMP/plain.gz and plain; true when both
# are of one round (a round renders a new page): then they are the same bytes.
scrape_pair() {
	in_s curl -sf -D "$NET_TMP/gz.headers" -H 'Accept-Encoding: gzip' -o "$NET_TMP/plain.gz" \
		"http://$LISTEN/metrics" || return 1
	in_s curl -sf -D "$NET_TMP/plain.headers" -o "$NET_TMP/plain" "http://$LISTEN/metrics" || return 1
	gzip -dc "$NET_TMP/plain.gz" | cmp -s - "$NET_TMP/plain"
}

@test "/metrics gzip-compressed when the scraper asks: the same page, its size per target" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/16 --ttl 61
	# Rounds of 10 s: two scrapes of one page fit in one, even on a slow machine.
	printf 'groups:\n  - targets: [198.18.4.0/22]\n    interval: 10s\n    labels: {site: par1}\n' >"$CONF"
	watch_start
	wait_for 60 sent_at_least 198.18.7.255 1
	wait_for 60 scrape_pair
	grep -qi '^Content-Encoding: gzip' "$NET_TMP/gz.headers"
	! grep -qi '^Content-Encoding' "$NET_TMP/plain.headers"
	grep -qi '^Vary: Accept-Encoding' "$NET_TMP/plain.headers"
	local plain gz
	plain=$(stat -c %s "$NET_TMP/plain")
	gz=$(stat -c %s "$NET_TMP/plain.gz")
	echo "# 1024 targets: $plain bytes plain ($((plain / 1024)) per target), $gz gzip ($((gz / 1024)) per target)" >&3
	[ $((gz * 10)) -lt "$plain" ]
	# The default bounds: 1 and 3 a decade, none from the timeout (1 s) on, where each would
	# repeat +Inf.
	[ "$(sed -n 's/^echomap_rtt_seconds_bucket{target="198.18.4.0",.*le="\([^"]*\)"}.*/\1/p' \
		"$NET_TMP/plain" | paste -sd ' ')" = '0.0001 0.0003 0.001 0.003 0.01 0.03 0.1 0.3 +Inf' ]
	# q=0 refuses it.
	in_s curl -sf -D - -o /dev/null -H 'Accept-Encoding: gzip;q=0' "http://$LISTEN/metrics" |
		{ ! grep -qi '^Content-Encoding'; }
	watch_stop
	assert_clean
}

# cap_eff TASK-STATUS-FILE: its CapEff, in hex.
cap_eff() { awk '$1 == "CapEff:" { print $2 }' "$1"; }

@test "after setup the prober keeps CAP_BPF, CAP_PERFMON, CAP_NET_ADMIN and CAP_NET_RAW; every other thread has none" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61
	mkdir "$NET_TMP/sd"
	sd_write a.json '[{"targets": ["198.18.0.2"]}]'
	printf 'groups:\n  - targets: [198.18.0.1]\n    interval: 500ms\n    file_sd: ["sd/*.json"]\n' >"$CONF"
	watch_start
	wait_for 10 sent_at_least 198.18.0.2 1
	local t n=0 want
	# CAP_NET_ADMIN 12, CAP_NET_RAW 13, CAP_PERFMON 38, CAP_BPF 39
	want=$(printf '%016x' $(((1 << 12) | (1 << 13) | (1 << 38) | (1 << 39))))
	[ "$(cap_eff "/proc/$WATCH_PID/status")" = "$want" ]
	for t in /proc/"$WATCH_PID"/task/*; do
		[ "${t##*/}" = "$WATCH_PID" ] && continue
		echo "# thread ${t##*/} ($(cat "$t/comm")): CapEff $(cap_eff "$t/status")" >&3
		[ "$(cap_eff "$t/status")" = 0000000000000000 ]
		grep -q '^CapPrm:[[:space:]]*0000000000000000$' "$t/status"
		n=$((n + 1))
	done
	# The HTTP server, the reporter, the resolver and the file_sd watcher.
	[ "$n" -ge 4 ]
	# A reload swaps a matcher in with what stayed.
	kill -HUP "$WATCH_PID"
	wait_for 10 grep -q 'reloaded:' "$NET_TMP/watch.err"
	local sent
	sent=$(sample echomap_probes_sent_total 'target="198.18.0.1"')
	wait_for 10 sent_at_least 198.18.0.1 $((sent + 2))
	[ "$(sample echomap_up 'target="198.18.0.1"')" = 1 ]
	watch_stop
	assert_clean
}

# shape_rules 'DADDR|MATCH'...: two nft counters in the responder per DADDR, before any
# routing: its echo requests, and those of them that also match the nft expression MATCH.
shape_rules() {
	local rules="" d
	for d in "$@"; do
		rules+="ip daddr ${d%%|*} icmp type echo-request counter
			ip daddr ${d%%|*} icmp type echo-request ${d#*|} counter
			"
	done
	in_r nft -f - <<-EOF
		table ip op2shape {
			chain pre {
				type filter hook prerouting priority -300; policy accept;
				$rules
			}
		}
	EOF
}

# shape_counts DADDR: "ALL MATCHED" of DADDR's two counters.
shape_counts() {
	in_r nft -j list table ip op2shape |
		jq -r --arg d "$1" '[.nftables[].rule | select(. != null) |
			select(any(.expr[]; .match.right? == $d)) | .expr[] | .counter? |
			select(. != null) | .packets] | "\(.[0]) \(.[1])"'
}

@test "per-group size, TTL, DSCP/TOS, DF and source: each group's probes carry its own (responder's nft counters), on afxdp and raw" {
	require_cmd jq
	require_cmd nft
	respond_kernel 198.18.0.0/24
	# A second address of the prober's, that the responder reaches on the link.
	ip -n "$NS_S" addr add 192.0.2.5/32 dev "$IFACE"
	ip -n "$NS_R" route add 192.0.2.5/32 dev "$RIFACE"
	cat >"$CONF" <<-EOF
		groups:
		  - name: voice
		    targets: [198.18.0.1]
		    interval: 500ms
		    size: 100
		    ttl: 33
		    dscp: ef
		    df: true
		  - name: bulk
		    targets: [198.18.0.2]
		    interval: 500ms
		    size: 1000
		    ttl: 77
		    tos: 0x28
		  - name: other-source
		    targets: [198.18.0.3]
		    interval: 500ms
		    source: 192.0.2.5
	EOF
	# tos is a number: 0x28 is refused where it is (FILE:LINE), as every bad value at start.
	em_capture watch -I "$IFACE" --allow-reserved --config "$CONF"
	expect_status 3
	grep -q "warn: $CONF:14: tos: '0x28' is not a number" "$ERR"
	sed -i 's/tos: 0x28/tos: 40/' "$CONF"
	# The generator builds every probe from one template.
	em_capture watch -I "$IFACE" --allow-reserved --config "$CONF" --engine xdp-live
	expect_status 3
	grep -q "the xdp-live engine builds every probe from one template" "$ERR"

	local engine all matched d
	for engine in afxdp raw; do
		in_r nft delete table ip op2shape 2>/dev/null || true
		# ip length is the header's: 20 + 8 + size. DSCP EF is 46, TOS 40 is DSCP 10 (AF11).
		shape_rules '198.18.0.1|ip saddr 192.0.2.1 ip length 128 ip ttl 33 ip dscp ef ip frag-off & 0x4000 != 0' \
			'198.18.0.2|ip saddr 192.0.2.1 ip length 1028 ip ttl 77 ip dscp af11 ip frag-off & 0x4000 == 0' \
			'198.18.0.3|ip saddr 192.0.2.5 ip length 52 ip ttl 64 ip dscp cs0 ip frag-off & 0x4000 == 0'
		ENGINE=$engine watch_start -v
		# Replies to the other source come back to it, and are matched.
		for d in 1 2 3; do
			wait_for 20 replied_at_least 198.18.0.$d 4
		done
		watch_stop
		for d in 1 2 3; do
			read -r all matched < <(shape_counts 198.18.0.$d)
			echo "# $engine 198.18.0.$d: $matched of $all requests with the group's header" >&3
			[ "$all" -ge 4 ]
			[ "$matched" -eq "$all" ]
		done
		grep -q "transmit engine: $engine on $IFACE" "$NET_TMP/watch.err"
	done
	assert_clean
}
