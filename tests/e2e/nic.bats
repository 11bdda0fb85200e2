#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# echomap over a real NIC driver: the two virtio-net NICs vmtest/run.sh gives its VM, joined by
# a QEMU hub and to nothing else, moved into the test's namespaces (netns_setup --nic). The
# matcher runs in native mode on virtio_net and every engine sends through the driver. Only
# vmtest's VM has the pair: tests/run.sh runs this suite there and nowhere else.
# 198.18.0.0/15 is in the default blocklist, hence --allow-reserved.

bats_require_minimum_version 1.5.0

load ../lib/netns

LISTEN=127.0.0.1:9100

driver_of() { basename "$(ip netns exec "$1" readlink "/sys/class/net/$2/device/driver")"; }

setup() {
	require_root
	require_echomap
	require_fixtures set_gro xdp_responder
	if [ ! -e /sys/class/net/emv0 ] || [ ! -e /sys/class/net/emv1 ]; then
		# In vmtest's VM the pair is part of the machine: without it the setup is broken.
		if [ -d /run/vmtest ]; then
			missing "vmtest's virtio-net NICs emv0 and emv1 are not there"
			return
		fi
		skip "needs vmtest's virtio-net NICs emv0 and emv1 (make vmtest runs this suite)"
	fi
	netns_setup --nic emv0 emv1
	[ "$(driver_of "$NS_S" "$IFACE")" = virtio_net ]
	[ "$(driver_of "$NS_R" "$RIFACE")" = virtio_net ]
}

teardown() {
	e2e_teardown
}

@test "virtio_net: a sweep by every engine, the matcher native, finds exactly the live hosts" {
	# The responder answers natively on virtio_net too: every reply crosses the driver twice.
	respond_xdp 198.18.0.0/22 --ttl 61 --silent-mod 7 --mode native
	xdp_truth 198.18.0.0/22 7 | awk '{ print $1, "ttl=61" }' | sort >"$NET_TMP/want"

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		em_capture sweep -v -I "$IFACE" --xdp-mode native --allow-reserved -q 198.18.0.0/22
		expect_status 0
		# How the socket bound: zero-copy where the kernel's virtio_net offers it.
		if [ "$ENGINE" = afxdp ]; then
			grep -E '^echomap: afxdp: queue [0-9]+ of emv0 in (zero-copy|copy) mode$' "$ERR" |
				sed "s/^/# $(uname -r): /" >&3 || { em_dump; false; }
		fi
		awk '{ print $1, $NF }' "$OUT" | sort >"$NET_TMP/got"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
	done
	assert_clean
}

@test "virtio_net: ping, the matcher native: a line per reply, exact summaries, a silent host lost" {
	respond_xdp 198.18.0.0/24 --ttl 61 --silent-mod 7 --mode native

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		em_capture ping -I "$IFACE" --xdp-mode native --allow-reserved -c 3 -p 100 -t 500 \
			198.18.0.1 198.18.0.2 198.18.0.7
		expect_status 1
		[ "$(grep -Ec '^198\.18\.0\.[12] \(198\.18\.0\.[12]\): seq=[0-9]+ ttl=61 time=' "$OUT")" \
			-eq 6 ] || { em_dump; false; }
		[ "$(wc -l <"$OUT")" -eq 6 ]
		grep -q '^198\.18\.0\.1 (198\.18\.0\.1): xmt/rcv/%loss = 3/3/0%, min/avg/max/mdev = ' "$ERR"
		grep -q '^198\.18\.0\.2 (198\.18\.0\.2): xmt/rcv/%loss = 3/3/0%, min/avg/max/mdev = ' "$ERR"
		grep -q '^198\.18\.0\.7 (198\.18\.0\.7): xmt/rcv/%loss = 3/0/100%' "$ERR"
	done
	assert_clean
}

metrics() { in_s curl -sf "http://$LISTEN/metrics"; }
sample() {
	metrics | awk -v n="$1" -v l="$2" 'index($0, n "{" l) == 1 || $1 == n { print $NF; exit }'
}
rounds_at_least() { [ "$(sample echomap_rounds_total)" -ge "$1" ] 2>/dev/null; }
native_on() { ip -n "$NS_S" link show dev "$IFACE" | grep -Eq '(^|[[:space:]])xdp([[:space:]]|$)'; }

@test "virtio_net: watch, the matcher native, counts every reply of every round" {
	require_cmd curl
	respond_kernel 198.18.0.0/24
	ip netns exec "$NS_S" "$ECHOMAP" watch -I "$IFACE" --xdp-mode native --allow-reserved \
		--every 1 --listen "$LISTEN" 198.18.0.1 198.18.0.2 198.18.0.3 \
		>"$NET_TMP/watch.out" 2>"$NET_TMP/watch.err" 3>&- &
	local pid=$! t
	track_pid "$pid"
	wait_for 30 rounds_at_least 3 || { cat "$NET_TMP/watch.err" >&2; false; }
	# Attached natively, not in the kernel's generic mode.
	native_on || { ip -n "$NS_S" -d link show dev "$IFACE" >&2; false; }
	# Three closed rounds: every target up, none of its probes lost, nothing forged.
	metrics >"$NET_TMP/metrics"
	for t in 198.18.0.1 198.18.0.2 198.18.0.3; do
		grep -qx "echomap_up{target=\"$t\".*} 1" "$NET_TMP/metrics" ||
			{ grep "$t" "$NET_TMP/metrics" >&2; false; }
		grep -qx "echomap_lost_total{target=\"$t\".*} 0" "$NET_TMP/metrics" ||
			{ grep "$t" "$NET_TMP/metrics" >&2; false; }
		[ "$(sample echomap_replies_total "target=\"$t\"")" -ge 2 ]
	done
	[ "$(sample echomap_invalid_replies_total)" = 0 ]
	kill -TERM "$pid"
	wait "$pid"
	assert_clean
}
