#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests of the shared XDP hook: echomap as one program of libxdp's dispatcher, beside
# xdp-filter (xdp-tools) and beside another echomap; a hook held without the dispatcher refused in
# one line; kill -9 leaving nothing of echomap attached (its guard process detaches it).
#
# libxdp pins its dispatcher in bpffs. `ip netns exec` mounts a fresh /sys, without one, so each
# test mounts a bpffs of its own and points libxdp (echomap's, xdp-filter's) at it with
# LIBXDP_BPFFS. Kernels that cannot load freplace programs (the dispatcher's components) make
# libxdp load xdp-filter alone: the tests that need the dispatcher skip there.

bats_require_minimum_version 1.5.0

load ../lib/netns

LISTEN=127.0.0.1:9100

setup() {
	e2e_setup
	require_cmd xdp-filter
	require_cmd xdp-loader
	BPFFS=$NET_TMP/bpffs
	mkdir -p "$BPFFS"
	mount -t bpf bpf "$BPFFS"
	export LIBXDP_BPFFS=$BPFFS
}

teardown() {
	in_s xdp-filter unload "$IFACE" >/dev/null 2>&1 || true
	umount -l "$BPFFS" 2>/dev/null || true
	e2e_teardown
}

status() { in_s xdp-loader status "$IFACE"; }
has_prog() { status | grep -q "$1"; }
lacks_prog() { ! has_prog "$1"; }

# filter_load MODE: xdp-filter on IFACE in MODE (skb or native); skips unless it went into
# libxdp's dispatcher.
filter_load() {
	in_s xdp-filter load -m "$1" "$IFACE"
	if ! has_prog xdp_dispatcher; then
		in_s xdp-filter unload "$IFACE"
		skip "libxdp's dispatcher is unavailable on this kernel ($(uname -r))"
	fi
}

metrics_ok() { in_s curl -sf -o /dev/null "http://$LISTEN/metrics"; }
sample() {
	in_s curl -sf "http://$LISTEN/metrics" |
		awk -v n="$1" -v l="$2" 'index($0, n "{" l) == 1 || $1 == n { print $NF; exit }'
}
rounds_at_least() { [ "$(sample echomap_rounds_total)" -ge "$1" ] 2>/dev/null; }

watch_start() {
	ip netns exec "$NS_S" "$ECHOMAP" watch -I "$IFACE" --allow-reserved --every 1 \
		--listen "$LISTEN" "$@" >"$NET_TMP/watch.out" 2>"$NET_TMP/watch.err" 3>&- &
	WATCH_PID=$!
	track_pid "$WATCH_PID"
	wait_for 10 metrics_ok || { cat "$NET_TMP/watch.err" >&2; false; }
	# Metrics are served before the matcher is attached: "watching" is said after.
	wait_for 10 grep -q 'notice: watching ' "$NET_TMP/watch.err" ||
		{ cat "$NET_TMP/watch.err" >&2; false; }
}

watch_stop() {
	kill -TERM "$WATCH_PID"
	wait "$WATCH_PID" || { cat "$NET_TMP/watch.err" >&2; false; }
}

# ping_exact COUNT ADDR...: every engine's ping gets COUNT of COUNT replies from each ADDR.
ping_exact() {
	local n=$1 a
	shift
	for ENGINE in $(e2e_engines); do
		em_capture ping -I "$IFACE" --allow-reserved -c "$n" -p 100 "$@"
		expect_status 0
		for a in "$@"; do
			grep -q "^$a ($a): xmt/rcv/%loss = $n/$n/0%" "$ERR" || { em_dump; false; }
		done
	done
	unset ENGINE
}

@test "beside xdp-filter in generic and native mode: every reply, and the filter keeps filtering" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61
	local mode

	for mode in skb native; do
		echo "# mode $mode"
		filter_load "$mode"
		# The filter works while echomap sits beside it: the kernel's ping to a denied source fails.
		in_s xdp-filter ip -m src 198.18.0.9
		ping_exact 3 198.18.0.1 198.18.0.2
		has_prog xdpfilt
		lacks_prog echomap_xdp
		in_s ping -c 1 -W 2 198.18.0.1 >/dev/null
		! in_s ping -c 1 -W 1 198.18.0.9 >/dev/null
		in_s xdp-filter unload "$IFACE"
	done
	assert_clean
}

@test "echomap first: xdp-filter joins and leaves the dispatcher while a watch keeps its rounds" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61
	local n

	filter_load skb
	in_s xdp-filter unload "$IFACE"
	watch_start 198.18.0.1 198.18.0.2
	wait_for 10 rounds_at_least 1
	has_prog echomap_xdp
	# A dispatcher runs in one mode: the watch chose native (veth has it).
	in_s xdp-filter load -m native "$IFACE"
	has_prog xdpfilt
	has_prog echomap_xdp
	n=$(sample echomap_rounds_total)
	wait_for 10 rounds_at_least $((n + 2))
	in_s xdp-filter unload "$IFACE"
	n=$(sample echomap_rounds_total)
	wait_for 10 rounds_at_least $((n + 2))
	[ "$(sample echomap_up 'target="198.18.0.1"')" = 1 ]
	[ "$(sample echomap_up 'target="198.18.0.2"')" = 1 ]
	watch_stop
	assert_clean
}

@test "a watch and a ping on one interface: each gets exactly its own replies" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61
	local sent got

	filter_load skb
	watch_start 198.18.0.1 198.18.0.3
	wait_for 10 rounds_at_least 1
	ping_exact 5 198.18.0.1 198.18.0.2
	has_prog echomap_xdp
	[ "$(sample echomap_up 'target="198.18.0.1"')" = 1 ]
	# The watch counted none of the ping's replies: never more replies than it sent probes
	# (both read from one scrape: a round may end between two).
	in_s curl -sf "http://$LISTEN/metrics" >"$NET_TMP/metrics"
	sent=$(awk 'index($0, "echomap_probes_sent_total{target=\"198.18.0.1\"") == 1 {
		print $NF }' "$NET_TMP/metrics")
	got=$(awk 'index($0, "echomap_replies_total{target=\"198.18.0.1\"") == 1 {
		print $NF }' "$NET_TMP/metrics")
	echo "# watch: $sent probes, $got replies to 198.18.0.1"
	[ "$got" -ge 1 ] && [ "$got" -le "$sent" ]
	watch_stop
	in_s xdp-filter unload "$IFACE"
	assert_clean
}

@test "a watch in the dispatcher reloads on SIGHUP: its successor joins, it leaves, one stays" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61

	filter_load skb
	printf '198.18.0.1\n' >"$NET_TMP/targets"
	watch_start "@$NET_TMP/targets"
	wait_for 10 rounds_at_least 1
	printf '198.18.0.1\n198.18.0.2\n' >"$NET_TMP/targets"
	kill -HUP "$WATCH_PID"
	up() { [ "$(sample echomap_up 'target="198.18.0.2"')" = 1 ]; }
	wait_for 15 up || { cat "$NET_TMP/watch.err" >&2; false; }
	[ "$(status | grep -c echomap_xdp)" -eq 1 ] || { status >&2; false; }
	has_prog xdpfilt
	watch_stop
	lacks_prog echomap_xdp
	in_s xdp-filter unload "$IFACE"
	assert_clean
}

@test "kill -9 of echomap in the dispatcher: its guard detaches it, xdp-filter stays" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/16 --ttl 61
	local pid

	filter_load skb
	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		ip netns exec "$NS_S" "$ECHOMAP" sweep --engine "$ENGINE" -I "$IFACE" \
			--allow-reserved -q --rate 1000 198.18.0.0/16 >"$NET_TMP/out" \
			2>"$NET_TMP/err" 3>&- &
		pid=$!
		track_pid "$pid"
		wait_for 10 has_prog echomap_xdp || { cat "$NET_TMP/err" >&2; false; }
		kill -KILL "$pid"
		wait "$pid" || true
		wait_for 5 lacks_prog echomap_xdp || { status >&2; false; }
		has_prog xdpfilt
		in_s ping -c 1 -W 2 198.18.0.1 >/dev/null
	done
	in_s xdp-filter unload "$IFACE"
	assert_clean
}

@test "a hook held without libxdp's dispatcher: one line naming the program, exit 4" {
	# A watch without bpffs holds the hook alone, by a bpf_link: any kernel.
	LIBXDP_BPFFS=$NET_TMP/none watch_start 198.18.0.1
	local id
	id=$(ip -n "$NS_S" -d link show dev "$IFACE" | sed -n 's/.*prog\/xdp id \([0-9]*\).*/\1/p')
	[ -n "$id" ]
	em_capture ping -I "$IFACE" --allow-reserved -c 1 198.18.0.2
	expect_status 4
	[ "$(grep -vc '^echomap: [0-9]* targets' "$ERR")" -eq 1 ] || { em_dump; false; }
	grep -q "^echomap: cannot attach XDP to $IFACE: its hook is held by program $id" \
		"$ERR" || { em_dump; false; }
	grep -q "(echomap_xdp), attached without libxdp's dispatcher" "$ERR"
	watch_stop
	assert_clean
}
