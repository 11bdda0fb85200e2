#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Two `echomap watch` instances with their own --vantage, scraped by one real Prometheus: one
# query answers for every vantage point (docs/clickhouse.md, "Many vantage points"). One XDP
# matcher per interface: the second vantage point is a third namespace ("${PFX}v", em2
# 192.0.2.5/30) with a link of its own to the responder (em3 192.0.2.6/30), where Prometheus
# runs and reaches both instances.

bats_require_minimum_version 1.5.0

load ../lib/netns

PROM=127.0.0.1:9090

setup() {
	require_cmd prometheus
	require_cmd jq
	require_cmd curl
	e2e_setup
	respond_kernel 198.18.0.0/24
	NS_V=${PFX}v
	ip netns add "$NS_V"
	ip -n "$NS_V" link add em2 type veth peer name em3 netns "$NS_R"
	ip -n "$NS_V" link set lo up
	ip -n "$NS_V" addr add 192.0.2.5/30 dev em2
	ip -n "$NS_R" addr add 192.0.2.6/30 dev em3
	ip -n "$NS_V" link set em2 up
	ip -n "$NS_R" link set em3 up
	ip -n "$NS_V" route add 198.18.0.0/15 via 192.0.2.6 dev em2
}

teardown() {
	local pid
	for pid in $(ip netns pids "$NS_V" 2>/dev/null); do
		kill -KILL "$pid" 2>/dev/null
	done
	ip netns del "$NS_V" 2>/dev/null
	e2e_teardown
}

# watch_at NS DEV ADDR NAME: watch from NS over DEV with --vantage NAME, /metrics on ADDR:9100.
watch_at() {
	ip netns exec "$1" "$ECHOMAP" watch -I "$2" --allow-reserved --every 1 --vantage "$4" \
		--listen "$3:9100" 198.18.0.1 198.18.0.2 >"$NET_TMP/$4.out" 2>"$NET_TMP/$4.err" 3>&- &
	track_pid $!
	echo $! >>"$NET_TMP/watch.pids"
	wait_for 10 in_r curl -sf -o /dev/null "http://$3:9100/metrics" ||
		{ cat "$NET_TMP/$4.err" >&2; false; }
}

# promql QUERY: the instant query's results as "vantage value" lines, sorted.
promql() {
	in_r curl -sf "http://$PROM/api/v1/query" --data-urlencode "query=$1" |
		jq -r '.data.result[] | "\(.metric.vantage) \(.value[1])"' | sort
}

two_vantages() { [ "$(promql "$1" | wc -l)" -eq 2 ]; }

@test "one Prometheus over two watch instances: every series says its vantage point" {
	watch_at "$NS_S" "$IFACE" 192.0.2.1 fra
	watch_at "$NS_V" em2 192.0.2.5 ams
	labelled() {
		in_r curl -sf "http://192.0.2.1:9100/metrics" |
			grep -q '^echomap_up{vantage="fra",target="198.18.0.1",'
	}
	wait_for 30 labelled || { in_r curl -sf "http://192.0.2.1:9100/metrics" | grep -m3 target; false; }
	cat >"$NET_TMP/prometheus.yml" <<-EOF
		global:
		  scrape_interval: 1s
		scrape_configs:
		  - job_name: echomap
		    static_configs:
		      - targets: ['192.0.2.1:9100', '192.0.2.5:9100']
	EOF
	ip netns exec "$NS_R" prometheus --config.file="$NET_TMP/prometheus.yml" \
		--storage.tsdb.path="$NET_TMP/prometheus" --web.listen-address="$PROM" \
		--log.level=warn >"$NET_TMP/prometheus.log" 2>&1 3>&- &
	track_pid $!
	echo $! >>"$NET_TMP/watch.pids"
	# The RTT to one target from every vantage point, in one query.
	local q='max by (vantage) (echomap_up{target="198.18.0.2"})'
	wait_for 60 two_vantages "$q" || { promql "$q"; cat "$NET_TMP/prometheus.log"; false; }
	[ "$(promql "$q")" = "$(printf 'ams 1\nfra 1')" ]
	q='sum by (vantage) (echomap_rtt_seconds_count{target="198.18.0.1"}) > 0'
	wait_for 30 two_vantages "$q"
	promql "$q" | awk '{ print "# " $0 }' >&3
	for pid in $(cat "$NET_TMP/watch.pids"); do
		kill -TERM "$pid"
		wait "$pid"
	done
	assert_clean
}
