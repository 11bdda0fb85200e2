#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# IPv6 on an interface echomap's matcher is attached to (bpf/parse_ipv6.h): neighbour discovery
# and ICMPv6 that is not ours reach the stack, and IPv6 targets are refused by name until user
# space sends ICMPv6 probes.

bats_require_minimum_version 1.5.0

load ../lib/netns

setup() {
	e2e_setup
}

teardown() {
	e2e_teardown
}

# A reply line in the ping output: echomap is attached and its probes are answered.
has_reply() { grep -q 'seq=' "$NET_TMP/ping.out"; }

# The sender's neighbour entry for 2001:db8::2 has a link-layer address.
neigh_resolved() { ip -n "$NS_S" -6 neigh show 2001:db8::2 dev "$IFACE" | grep -q lladdr; }

@test "neighbour discovery and the kernel's ICMPv6 pass the matcher while echomap pings" {
	local pid rc=0

	# nodad: no duplicate address detection to wait for.
	ip -n "$NS_S" -6 addr add 2001:db8::1/64 dev "$IFACE" nodad
	ip -n "$NS_R" -6 addr add 2001:db8::2/64 dev "$RIFACE" nodad
	respond_kernel 198.18.0.0/16
	# Started directly, so that $! is echomap itself; -c far beyond the test, ended by SIGINT.
	ip netns exec "$NS_S" "$ECHOMAP" ping -I "$IFACE" --allow-reserved -c 100000 -p 100 \
		198.18.0.1 >"$NET_TMP/ping.out" 2>"$NET_TMP/ping.err" 3>&- &
	pid=$!
	track_pid "$pid"
	wait_for 60 has_reply || { cat "$NET_TMP/ping.err" >&2; false; }
	xdp_attached

	# The neighbour must be solicited again, through the matcher, for ping -6 to get through.
	ip -n "$NS_S" -6 neigh flush dev "$IFACE"
	if neigh_resolved; then
		echo "2001:db8::2 still resolved after the flush" >&2
		false
	fi
	in_s ping -6 -n -c 3 -i 0.2 -W 10 2001:db8::2 >"$NET_TMP/ping6.out" 2>&1 ||
		{ cat "$NET_TMP/ping6.out" >&2; false; }
	grep -q ' 0% packet loss' "$NET_TMP/ping6.out" || { cat "$NET_TMP/ping6.out" >&2; false; }
	neigh_resolved
	# Still there: the ICMPv6 above went through an attached matcher.
	kill -0 "$pid"
	xdp_attached

	kill -INT "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 0 ] || { echo "exit status $rc" >&2; cat "$NET_TMP/ping.err" >&2; false; }
	grep -q 'xmt/rcv/%loss' "$NET_TMP/ping.err" || { cat "$NET_TMP/ping.err" >&2; false; }
	assert_clean
}

@test "an IPv6 target is refused by name, exit 3" {
	em_capture ping -I "$IFACE" 2001:db8::2
	expect_status 3
	[ "$(cat "$ERR")" = "echomap: bad target '2001:db8::2': IPv6 targets are not supported yet (only the reply matcher handles ICMPv6)" ]
	em_capture sweep -I "$IFACE" 2001:db8:1::/120
	expect_status 3
	grep -q "IPv6 targets are not supported yet" "$ERR"
	assert_clean
}
