#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests of targets on different routes in one run: the sender reaches 198.18.0.0/16
# by em0 and 198.19.0.0/16 by a second veth pair (em2 192.0.2.5/30 - em3 192.0.2.6/30), each
# prefix answered only on its own link (an XDP responder per link), so a probe that leaves by
# the wrong interface goes unanswered.

bats_require_minimum_version 1.5.0

load ../lib/netns

IFACE2=em2
RIFACE2=em3

setup() {
	e2e_setup
	require_fixtures xdp_responder
	ip -n "$NS_S" link add "$IFACE2" type veth peer name "$RIFACE2" netns "$NS_R"
	ip -n "$NS_S" addr add 192.0.2.5/30 dev "$IFACE2"
	ip -n "$NS_R" addr add 192.0.2.6/30 dev "$RIFACE2"
	ip -n "$NS_S" link set "$IFACE2" up
	ip -n "$NS_R" link set "$RIFACE2" up
	in_s sysctl -qw "net.ipv4.conf.$IFACE2.rp_filter=0"
	in_r sysctl -qw "net.ipv4.conf.$RIFACE2.rp_filter=0"
	in_s "$FIXTURES/set_gro" "$IFACE2" on
	in_r "$FIXTURES/set_gro" "$RIFACE2" on
	ip -n "$NS_S" route del 198.18.0.0/15
	ip -n "$NS_S" route add 198.18.0.0/16 via 192.0.2.2 dev "$IFACE"
	ip -n "$NS_S" route add 198.19.0.0/16 via 192.0.2.6 dev "$IFACE2"
	respond_xdp 198.18.0.0/16 --ttl 61 --silent-mod 5
	in_r "$FIXTURES/xdp_responder" "$RIFACE2" 198.19.0.0/16 --ttl 60 --silent-mod 7 \
		>"$NET_TMP/xdp_responder2.out" 2>"$NET_TMP/xdp_responder2.err" 3>&- &
	track_pid $!
	_wait_ready $! "$NET_TMP/xdp_responder2.out" xdp_responder
}

teardown() {
	if [ -n "${NS_S:-}" ] && ip -n "$NS_S" -d link show dev "$IFACE2" 2>/dev/null |
		grep -q 'prog/xdp'; then
		echo "XDP program left attached to $IFACE2" >&2
		e2e_teardown
		return 1
	fi
	e2e_teardown
}

@test "ping: two targets behind two gateways on two interfaces, in either order, both answer" {
	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		for order in "198.18.0.1 198.19.0.1" "198.19.0.1 198.18.0.1"; do
			# shellcheck disable=SC2086
			em_capture ping --allow-reserved -c 3 -p 100 $order
			expect_status 0
			grep -q '^198.18.0.1 (198.18.0.1): xmt/rcv/%loss = 3/3/0%' "$ERR" ||
				{ em_dump; false; }
			grep -q '^198.19.0.1 (198.19.0.1): xmt/rcv/%loss = 3/3/0%' "$ERR" ||
				{ em_dump; false; }
			grep -Eq '^198.19.0.1 \(198.19.0.1\): seq=0 ttl=60 ' "$OUT"
			grep -Eq '^198.18.0.1 \(198.18.0.1\): seq=0 ttl=61 ' "$OUT"
		done
	done
	assert_clean
}

@test "sweep over both prefixes, and over the /15 spanning them: exactly the live hosts" {
	local want=$NET_TMP/want got=$NET_TMP/got
	{
		xdp_truth 198.18.0.0/24 5
		xdp_truth 198.19.0.0/24 7
	} | sort >"$want"
	for ENGINE in afxdp raw auto; do
		echo "# engine $ENGINE"
		em_capture sweep --allow-reserved -q 198.18.0.0/24 198.19.0.0/24
		expect_status 0
		awk '{ print $1 }' "$OUT" | sort >"$got"
		same_lines "$want" "$got"
	done
	# One interval across both routes: halved until each piece has one route.
	{
		xdp_truth 198.18.255.0/24 5
		xdp_truth 198.19.0.0/24 7
	} | sort >"$want"
	ENGINE=afxdp em_capture sweep --allow-reserved -q 198.18.255.0-198.19.0.255
	expect_status 0
	awk '{ print $1 }' "$OUT" | sort >"$got"
	same_lines "$want" "$got"
	assert_clean
}

@test "sweep on xdp-live over two routes: refused in one line, exit 3" {
	ENGINE=xdp-live em_capture sweep --allow-reserved -q 198.18.0.0/24 198.19.0.0/24
	expect_status 3
	grep -q '^echomap: the xdp-live engine sweeps by one route, these targets need 2' "$ERR"
	assert_clean
}

LISTEN=127.0.0.1:9100
ttl_of() {
	in_s curl -sf "http://$LISTEN/metrics" |
		awk -v t="echomap_ttl{target=\"$1\"" 'index($0, t) == 1 { print $NF; exit }'
}
ttl_is() { [ "$(ttl_of "$1")" = "$2" ]; }

@test "watch follows a route change to another interface and gateway, says so, and back" {
	require_cmd curl
	# What the XDP responders pass, the responder's kernel answers, with TTL 64: probes to
	# 198.19.0.1 that leave by em0 draw TTL 64, by em2 (the fixture there) TTL 60.
	respond_kernel 198.19.0.0/16
	ip netns exec "$NS_S" "$ECHOMAP" watch --allow-reserved --every 1 --listen "$LISTEN" \
		198.18.0.1 198.19.0.1 >"$NET_TMP/watch.out" 2>"$NET_TMP/watch.err" 3>&- &
	local pid=$!
	track_pid "$pid"
	wait_for 20 ttl_is 198.19.0.1 60 || { cat "$NET_TMP/watch.err" >&2; false; }

	ip -n "$NS_S" route replace 198.19.0.0/16 via 192.0.2.2 dev "$IFACE"
	wait_for 20 ttl_is 198.19.0.1 64 || { cat "$NET_TMP/watch.err" >&2; false; }
	grep -q "targets now leave by $IFACE from 192.0.2.1, via 192.0.2.2 at .* (1 of 1 routes)" \
		"$NET_TMP/watch.err" ||
		{ cat "$NET_TMP/watch.err" >&2; false; }
	ttl_is 198.18.0.1 61

	ip -n "$NS_S" route replace 198.19.0.0/16 via 192.0.2.6 dev "$IFACE2"
	wait_for 20 ttl_is 198.19.0.1 60 || { cat "$NET_TMP/watch.err" >&2; false; }
	grep -q "targets now leave by $IFACE2 from 192.0.2.5, via 192.0.2.6 at .* (2 of 2 routes)" \
		"$NET_TMP/watch.err" ||
		{ cat "$NET_TMP/watch.err" >&2; false; }
	ttl_is 198.18.0.1 61
	grep 'now leave by' "$NET_TMP/watch.err" | sed 's/^/# /' >&3
	kill -TERM "$pid"
	wait "$pid"
	assert_clean
}

# replies_of TARGET: the echo replies watch counted for TARGET so far.
replies_of() {
	in_s curl -sf "http://$LISTEN/metrics" |
		awk -v t="echomap_replies_total{target=\"$1\"" 'index($0, t) == 1 { print $NF; exit }'
}

replies_above() { [ "$(replies_of "$1")" -gt "$2" ] 2>/dev/null; }

@test "watch follows the gateway's MAC when it changes without a route change (a failover)" {
	require_cmd curl
	# 198.19.0.0/16 by em0, answered by the responder's kernel, which drops frames that are not
	# addressed to its MAC: a probe sent to the old MAC goes unanswered.
	respond_kernel 198.19.0.0/16
	ip -n "$NS_S" route replace 198.19.0.0/16 via 192.0.2.2 dev "$IFACE"
	ip netns exec "$NS_S" "$ECHOMAP" watch --allow-reserved --every 1 --listen "$LISTEN" \
		198.19.0.1 >"$NET_TMP/watch.out" 2>"$NET_TMP/watch.err" 3>&- &
	local pid=$! before mac=02:00:00:00:e3:99
	track_pid "$pid"
	wait_for 20 replies_above 198.19.0.1 0 || { cat "$NET_TMP/watch.err" >&2; false; }

	# The router is replaced by one at another MAC, which announces itself (as a gratuitous ARP
	# would); the route stays.
	ip -n "$NS_R" link set dev "$RIFACE" address "$mac"
	ip -n "$NS_S" neigh replace 192.0.2.2 lladdr "$mac" dev "$IFACE" nud reachable
	wait_for 20 grep -q "targets now leave by $IFACE from 192.0.2.1, via 192.0.2.2 at $mac" \
		"$NET_TMP/watch.err" || { cat "$NET_TMP/watch.err" >&2; false; }
	before=$(replies_of 198.19.0.1)
	wait_for 20 replies_above 198.19.0.1 "$((before + 2))" || { cat "$NET_TMP/watch.err" >&2; false; }
	kill -TERM "$pid"
	wait "$pid"
	assert_clean
}
