#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests through a NAT: the responder namespace routes and masquerades (nftables)
# towards a third namespace holding the responders, so every probe leaves the router from its
# outer address and every reply, and every ICMP error quoting a translated probe, is translated
# back by conntrack before echomap sees it.
#
#   sender em0 192.0.2.1 ── em1 192.0.2.2  router (masquerade out of em4)  em4 192.0.2.9
#                                                           ══ veth ══  em5 192.0.2.10  target ns
#   198.18.0.0/24: XDP responder on em5 (TTL 61, every 5th host silent), seen with TTL 60
#   198.18.9.0/24: rejected with host-unreachable by the target ns (from 192.0.2.10)

bats_require_minimum_version 1.5.0

load ../lib/netns

LISTEN=127.0.0.1:9100

setup() {
	e2e_setup
	require_cmd nft
	require_fixtures xdp_responder
	NS_T=${PFX}t
	ip netns add "$NS_T"
	ip -n "$NS_R" link add em4 type veth peer name em5 netns "$NS_T"
	ip -n "$NS_R" addr add 192.0.2.9/30 dev em4
	ip -n "$NS_T" addr add 192.0.2.10/30 dev em5
	ip -n "$NS_R" link set em4 up
	ip -n "$NS_T" link set lo up
	ip -n "$NS_T" link set em5 up
	in_r "$FIXTURES/set_gro" em4 on
	ip netns exec "$NS_T" "$FIXTURES/set_gro" em5 on
	in_r sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.em4.rp_filter=0
	ip netns exec "$NS_T" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.icmp_ratelimit=0 \
		net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.em5.rp_filter=0
	ip -n "$NS_R" route add 198.18.0.0/16 via 192.0.2.10 dev em4
	in_r nft -f - <<-EOF
		table ip em_nat {
			chain post {
				type nat hook postrouting priority srcnat;
				oif "em4" masquerade
			}
		}
	EOF
	# Beyond the NAT: 198.18.9.0/24 is rejected in the forward path.
	ip -n "$NS_T" route add 198.18.9.0/24 via 192.0.2.9 dev em5
	ip netns exec "$NS_T" nft -f - <<-EOF
		table ip em_unreach {
			chain reject_fwd {
				type filter hook forward priority 0;
				ip daddr 198.18.9.0/24 reject with icmp host-unreachable
			}
		}
	EOF
	ip netns exec "$NS_T" "$FIXTURES/xdp_responder" em5 198.18.0.0/24 --ttl 61 --silent-mod 5 \
		>"$NET_TMP/xdp_responder.out" 2>"$NET_TMP/xdp_responder.err" 3>&- &
	track_pid $!
	_wait_ready $! "$NET_TMP/xdp_responder.out" xdp_responder
}

teardown() {
	local pid
	if [ -n "${NS_T:-}" ] && [ -e "/run/netns/$NS_T" ]; then
		for pid in $(ip netns pids "$NS_T"); do
			kill -TERM "$pid" 2>/dev/null || true
		done
		wait_for 3 eval '[ -z "$(ip netns pids "$NS_T")" ]' || true
		for pid in $(ip netns pids "$NS_T"); do
			kill -KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$NS_T"
	fi
	e2e_teardown
}

@test "sweep through a masquerading router: exactly the live hosts, with the TTL they arrive with" {
	local n
	xdp_truth 198.18.0.0/24 5 | awk '{ print $1, "ttl=60" }' | sort >"$NET_TMP/want"
	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		# Two probes a host, at a rate a TCG VM's router keeps up with (at 2000/s 6.1 lost a
		# few frames on the router's hops: losses of the network, not of the NAT).
		em_capture sweep -I "$IFACE" --allow-reserved -q --rate 500 -n 2 -w 2000 198.18.0.0/24
		expect_status 0
		awk '{ print $1, $3 }' "$OUT" | sort >"$NET_TMP/got"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
		# What the router pays: one conntrack entry per probe (the ICMP id differs per probe),
		# each kept nf_conntrack_icmp_timeout (30 s).
		n=$(in_r cat /proc/sys/net/netfilter/nf_conntrack_count)
		echo "# router: $n conntrack entries after the sweep"
		[ "$n" -ge 512 ]
	done
	assert_clean
}

@test "ICMP errors quoting translated probes are attributed after the NAT translates them back" {
	require_cmd jq
	# The error fields repeat what classifies an errors-only target (the reply policy).
	range_list 198.18.9.0 198.18.9.15 |
		awk '{ print $1, "unreach", "192.0.2.10", 3, 1, 1, 3, 1, "192.0.2.10" }' |
		sort >"$NET_TMP/want"
	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		em_capture sweep -I "$IFACE" --allow-reserved -q --all -F json -w 500 198.18.9.0/28
		expect_status 0
		jq -r '"\(.saddr) \(.classification) \(.from) \(.icmp_type) \(.icmp_code) \(.errors)" +
			" \(.error_type) \(.error_code) \(.error_from)"' "$OUT" | sort >"$NET_TMP/got"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
	done
	assert_clean
}

@test "ping and watch through the NAT: every reply of the live, none of the silent" {
	local n
	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		em_capture ping -I "$IFACE" --allow-reserved -c 3 -p 100 198.18.0.1 198.18.0.5
		expect_status 1
		grep -q '^198.18.0.1 (198.18.0.1): xmt/rcv/%loss = 3/3/0%' "$ERR" || { em_dump; false; }
		grep -q '^198.18.0.5 (198.18.0.5): xmt/rcv/%loss = 3/0/100%' "$ERR" || { em_dump; false; }
	done
	unset ENGINE
	ip netns exec "$NS_S" "$ECHOMAP" watch -I "$IFACE" --allow-reserved --every 1 \
		--listen "$LISTEN" 198.18.0.1 198.18.0.5 >"$NET_TMP/watch.out" 2>"$NET_TMP/watch.err" 3>&- &
	local pid=$!
	track_pid "$pid"
	metrics() { in_s curl -sf "http://$LISTEN/metrics"; }
	rounds() { metrics | awk '$1 == "echomap_rounds_total" { print $2 }'; }
	wait_for 15 eval '[ "$(rounds)" -ge 2 ] 2>/dev/null' || { cat "$NET_TMP/watch.err" >&2; false; }
	up() { metrics | awk -v l="echomap_up{target=\"$1\"" 'index($0, l) == 1 { print $NF; exit }'; }
	[ "$(up 198.18.0.1)" = 1 ] || { metrics | grep echomap_up >&2; false; }
	[ "$(up 198.18.0.5)" = 0 ]
	kill -TERM "$pid"
	wait "$pid"
	assert_clean
}
