#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests of name resolution (user/resolve.c): names resolved in parallel through a real
# DNS server (dnsmasq in the responder namespace, serving a generated zone) and the sender's own
# /etc/netns/$NS_S/{hosts,resolv.conf,nsswitch.conf}, which `ip netns exec` bind-mounts over
# /etc. The XDP responder answers every address of 198.18.0.0/16, so each resolved name is
# probed and must come back under its name.

bats_require_minimum_version 1.5.0

load ../lib/netns

setup() {
	e2e_setup
	require_cmd dnsmasq
	require_cmd jq
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/16 --ttl 61
	nsswitch files dns
}

teardown() {
	e2e_teardown
}

# nsswitch SOURCES...: the sender's hosts line.
nsswitch() {
	printf 'hosts: %s\n' "$*" >"/etc/netns/$NS_S/nsswitch.conf"
}

# resolv LINE...: the sender's resolv.conf.
resolv() {
	printf '%s\n' "$@" >"/etc/netns/$NS_S/resolv.conf"
}

# zone N: N names n00000.zone.test... with one address each from 198.18.1.0 on, as a hosts file
# for dnsmasq in $ZONE and as "ADDR NAME" lines in $NET_TMP/want.
zone() {
	ZONE=$NET_TMP/zone
	awk -v n="$1" 'BEGIN {
		for (i = 0; i < n; i++) {
			a = 256 + i
			printf "198.18.%d.%d n%05d.zone.test\n", int(a / 256), a % 256, i
		}
	}' >"$ZONE"
	sort "$ZONE" >"$NET_TMP/want"
}

# zone_dns [--OPTION...]: dnsmasq answers for $ZONE; other names in zone.test are NXDOMAIN.
zone_dns() {
	dns_start --addn-hosts="$ZONE" --local=/zone.test/ "$@"
}

# got [--all]: "saddr name" of every echo reply in $OUT (--all: "saddr name classification" of
# every line), sorted.
got() {
	if [ "${1:-}" = --all ]; then
		jq -r '"\(.saddr) \(.name) \(.classification)"' "$OUT" | sort
	else
		jq -r 'select(.classification == "echoreply") | "\(.saddr) \(.name)"' "$OUT" | sort
	fi
}

# listening PORT: a UDP socket is bound to PORT in the responder namespace.
listening() {
	in_r ss -Hlun "sport = :$1" | grep -q .
}

# once MESSAGE: MESSAGE is on exactly one line of $ERR.
once() {
	local n
	n=$(grep -cF -- "$1" "$ERR")
	[ "$n" -eq 1 ] && return 0
	echo "expected once on stderr, found $n times: $1" >&2
	em_dump
	return 1
}

@test "10,000 names from a file resolve through DNS and are all probed, under their names" {
	zone 10000
	zone_dns
	cut -d' ' -f2 "$ZONE" >"$NET_TMP/names"

	em_capture sweep -I "$IFACE" --allow-reserved -q -v -r 0 -w 300 --all -F json \
		"@$NET_TMP/names"
	expect_status 0
	[ "$(wc -l <"$OUT")" -eq 10000 ] || { em_dump; false; }
	got --all >"$NET_TMP/got"
	sed 's/$/ echoreply/' "$NET_TMP/want" | sort >"$NET_TMP/want.all"
	same_lines "$NET_TMP/want.all" "$NET_TMP/got"
	grep -E '^echomap: resolved 10000 names in [0-9.]+ s \([0-9]+ names/s\), 0 failed$' \
		"$ERR" || { em_dump; false; }
	# Not a terminal: no progress line.
	if grep 'resolving' "$ERR"; then
		echo "progress shown on a file" >&2
		false
	fi
	assert_clean
}

@test "the hosts line of nsswitch.conf orders /etc/hosts and DNS" {
	zone 2
	printf '198.18.3.2 both.zone.test\n' >>"$ZONE"
	zone_dns
	hosts_add 198.18.3.1 both.zone.test
	hosts_add 198.18.3.3 hostsonly.zone.test
	names=(both.zone.test hostsonly.zone.test n00001.zone.test)

	nsswitch files dns
	em_capture sweep -I "$IFACE" --allow-reserved -q -F json "${names[@]}"
	expect_status 0
	printf '%s\n' "198.18.1.1 n00001.zone.test" "198.18.3.1 both.zone.test" \
		"198.18.3.3 hostsonly.zone.test" >"$NET_TMP/want"
	got >"$NET_TMP/got"
	same_lines "$NET_TMP/want" "$NET_TMP/got"

	# DNS first: its answer wins; a name it does not know still comes from the file.
	nsswitch dns files
	em_capture sweep -I "$IFACE" --allow-reserved -q -F json "${names[@]}"
	expect_status 0
	printf '%s\n' "198.18.1.1 n00001.zone.test" "198.18.3.2 both.zone.test" \
		"198.18.3.3 hostsonly.zone.test" >"$NET_TMP/want"
	got >"$NET_TMP/got"
	same_lines "$NET_TMP/want" "$NET_TMP/got"

	# [NOTFOUND=return] after files: DNS is not asked.
	nsswitch files '[NOTFOUND=return]' dns
	em_capture sweep -I "$IFACE" --allow-reserved -q -F json "${names[@]}"
	expect_status 2
	once "cannot resolve 'n00001.zone.test': Domain name not found"

	# Unsupported sources are skipped with their criteria (-v says so): DNS is asked.
	nsswitch files mdns4_minimal '[NOTFOUND=return]' dns myhostname
	em_capture sweep -I "$IFACE" --allow-reserved -q -v -F json n00001.zone.test
	expect_status 0
	grep -q 'skipped: mdns4_minimal myhostname' "$ERR" || { em_dump; false; }
	[ "$(got)" = "198.18.1.1 n00001.zone.test" ] || { em_dump; false; }
	assert_clean
}

@test "search list and ndots of resolv.conf apply; the name is kept as given" {
	zone 8
	zone_dns --local=/example.test/
	resolv "nameserver $GW" "search example.test zone.test" \
		"options ndots:2 timeout:1 attempts:1"

	# Fewer dots than ndots: the search list first (n00007.example.test is NXDOMAIN, so the
	# next domain is tried). With ndots dots, the name as given first.
	em_capture sweep -I "$IFACE" --allow-reserved -q -F json n00007 n00003.zone.test
	expect_status 0
	printf '%s\n' "198.18.1.3 n00003.zone.test" "198.18.1.7 n00007" >"$NET_TMP/want"
	got >"$NET_TMP/got"
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	assert_clean
}

@test "an answer over 512 bytes comes complete over TCP (-m: every address)" {
	local tcp
	zone 1
	# 100 A records: ~1.6 kB, so the UDP answer is truncated and the query repeated over TCP.
	for i in $(seq 1 100); do
		printf '198.18.2.%d big.zone.test\n' "$i"
	done >>"$ZONE"
	zone_dns
	in_r nft -f - <<-EOF
		table inet names_test {
			chain input {
				type filter hook input priority 0;
				tcp dport 53 counter
			}
		}
	EOF

	em_capture sweep -I "$IFACE" --allow-reserved -q -m -F json big.zone.test
	expect_status 0
	range_list 198.18.2.1 198.18.2.100 | sed 's/$/ big.zone.test/' | sort >"$NET_TMP/want"
	got >"$NET_TMP/got"
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	tcp=$(in_r nft list table inet names_test |
		sed -n 's/.*tcp dport 53 counter packets \([0-9]*\).*/\1/p')
	[ "${tcp:-0}" -gt 0 ] || { echo "no DNS over TCP seen" >&2; false; }

	# Without -m, the first address only.
	em_capture sweep -I "$IFACE" --allow-reserved -q -F json big.zone.test
	expect_status 0
	[ "$(got | wc -l)" -eq 1 ] || { em_dump; false; }
	assert_clean
}

@test "NXDOMAIN and SERVFAIL: one message each with the reason, exit 2, the rest is probed" {
	local digest
	zone 3
	# A SERVFAIL as validating resolvers give it: fail.test is forwarded to a second dnsmasq
	# that does not sign it, under a trust anchor that makes every answer from it bogus.
	ip netns exec "$NS_R" dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll \
		--bind-interfaces --listen-address=127.0.0.1 --port=5354 --user=root --group=root \
		--pid-file= --conf-file=/dev/null --local=/fail.test/ \
		--host-record=x.fail.test,198.18.3.1 >"$NET_TMP/upstream.out" 2>&1 3>&- &
	track_pid $!
	digest=$(printf '0%.0s' {1..64})
	zone_dns --server=/fail.test/127.0.0.1#5354 --dnssec --trust-anchor=.,1,8,2,"$digest" \
		--trust-anchor=fail.test,1,8,2,"$digest"
	wait_for 5 listening 5354

	em_capture sweep -I "$IFACE" --allow-reserved -q -F json n00000.zone.test nx.zone.test \
		x.fail.test 198.18.0.9 NX.zone.test n00002.zone.test
	expect_status 2
	once "cannot resolve 'nx.zone.test': Domain name not found"
	once "cannot resolve 'x.fail.test': DNS server returned general failure"
	[ "$(grep -c 'cannot resolve' "$ERR")" -eq 2 ] || { em_dump; false; }
	printf '%s\n' "198.18.0.9 null" "198.18.1.0 n00000.zone.test" \
		"198.18.1.2 n00002.zone.test" >"$NET_TMP/want"
	got >"$NET_TMP/got"
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	assert_clean
}

@test "an unreachable DNS server: timeout or refusal reported, /etc/hosts and addresses probed" {
	hosts_add 198.18.1.1 local.zone.test

	# Nothing answers at 192.0.2.99 (the responder does not forward): the query times out.
	resolv "nameserver 192.0.2.99" "options timeout:1 attempts:1"
	em_capture sweep -I "$IFACE" --allow-reserved -q -F json gone1.zone.test local.zone.test \
		gone2.zone.test 198.18.0.9
	expect_status 2
	once "cannot resolve 'gone1.zone.test': Timeout while contacting DNS servers"
	once "cannot resolve 'gone2.zone.test': Timeout while contacting DNS servers"
	printf '%s\n' "198.18.0.9 null" "198.18.1.1 local.zone.test" >"$NET_TMP/want"
	got >"$NET_TMP/got"
	same_lines "$NET_TMP/want" "$NET_TMP/got"

	# No server on the port ($GW, no dnsmasq): refused at once.
	resolv "nameserver $GW" "options timeout:1 attempts:1"
	em_capture sweep -I "$IFACE" --allow-reserved -q -F json gone1.zone.test local.zone.test
	expect_status 2
	once "cannot resolve 'gone1.zone.test': Could not contact DNS servers"
	[ "$(got)" = "198.18.1.1 local.zone.test" ] || { em_dump; false; }
	assert_clean
}

@test "a long resolution shows its progress on a terminal, not with -q; Ctrl-C stops it" {
	local pid start rc=0
	require_cmd script
	resolv "nameserver 192.0.2.99" "options timeout:2 attempts:1"

	# script(1) gives echomap a terminal; the server never answers, so it takes 2 s.
	script -qec "ip netns exec $NS_S $ECHOMAP sweep -I $IFACE --allow-reserved slow.zone.test \
		198.18.0.9" /dev/null </dev/null >"$NET_TMP/tty" 2>&1 || true
	grep -q 'resolving 0/1 names' "$NET_TMP/tty" || { cat "$NET_TMP/tty" >&2; false; }
	grep -q "cannot resolve 'slow.zone.test'" "$NET_TMP/tty"

	script -qec "ip netns exec $NS_S $ECHOMAP sweep -I $IFACE --allow-reserved -q \
		slow.zone.test 198.18.0.9" /dev/null </dev/null >"$NET_TMP/tty" 2>&1 || true
	if grep 'resolving' "$NET_TMP/tty"; then
		echo "progress shown with -q" >&2
		false
	fi

	# The server would be waited for 30 s, five times: SIGINT ends it at once, exit 1.
	resolv "nameserver 192.0.2.99" "options timeout:30 attempts:5"
	start=$(date +%s%N)
	# Started directly, not through a shell function, so that $! is echomap itself.
	ip netns exec "$NS_S" "$ECHOMAP" sweep -I "$IFACE" --allow-reserved -q slow.zone.test \
		198.18.0.9 2>"$NET_TMP/err" &
	pid=$!
	sleep 0.5
	kill -INT "$pid"
	wait "$pid" || rc=$?
	[ $(($(date +%s%N) - start)) -lt 3000000000 ] || { echo "took too long" >&2; false; }
	[ "$rc" -eq 1 ] || { echo "exit status $rc" >&2; cat "$NET_TMP/err" >&2; false; }
	grep -q 'interrupted while resolving names (0 of 1 done)' "$NET_TMP/err" ||
		{ cat "$NET_TMP/err" >&2; false; }
	assert_clean
}
