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
	local pid rc=0
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

	# The server would be waited for 30 s, five times: SIGINT ends it long before, exit 1.
	resolv "nameserver 192.0.2.99" "options timeout:30 attempts:5"
	# Started directly, not through a shell function, so that $! is echomap itself.
	ip netns exec "$NS_S" "$ECHOMAP" sweep -I "$IFACE" --allow-reserved -q slow.zone.test \
		198.18.0.9 2>"$NET_TMP/err" &
	pid=$!
	track_pid "$pid"
	# Interrupted once its query is out (its socket to the server exists), not before.
	asking() { [ -n "$(ip netns exec "$NS_S" ss -Hun dst 192.0.2.99)" ]; }
	wait_for 60 asking || { cat "$NET_TMP/err" >&2; false; }
	kill -INT "$pid"
	# Well within the first 30 s timeout: the signal, not the resolver, ended it.
	wait_for 20 eval '! kill -0 "$pid" 2>/dev/null' || { echo "SIGINT did not stop it" >&2; false; }
	wait "$pid" || rc=$?
	[ "$rc" -eq 1 ] || { echo "exit status $rc" >&2; cat "$NET_TMP/err" >&2; false; }
	grep -q 'interrupted while resolving names (0 of 1 done)' "$NET_TMP/err" ||
		{ cat "$NET_TMP/err" >&2; false; }
	assert_clean
}

# Watch mode: names followed as their records change (user/names.c, user/refresh.c).
LISTEN=127.0.0.1:9100

# watch_names ARGS...: echomap watch (rounds of 1 s, /metrics on $LISTEN) in NS_S in the
# background, stderr in $NET_TMP/watch.err; $WATCH_PID is echomap itself.
watch_names() {
	ip netns exec "$NS_S" "$ECHOMAP" watch -I "$IFACE" --allow-reserved --every 1 -t 500 \
		--listen "$LISTEN" "$@" >"$NET_TMP/watch.out" 2>"$NET_TMP/watch.err" 3>&- &
	WATCH_PID=$!
	track_pid "$WATCH_PID"
}

# metrics_to FILE: /metrics into FILE; fails if it cannot be had.
metrics_to() { in_s curl -sf "http://$LISTEN/metrics" >"$1"; }

# sample FAMILY ADDR NAME: the value of FAMILY for the series of ADDR labelled NAME, or nothing.
sample() {
	metrics_to "$NET_TMP/m" || return 0
	awk -v l="$1{target=\"$2\",name=\"$3\"," 'index($0, l) == 1 { print $NF }' "$NET_TMP/m"
}

# probed ADDR NAME: the series of ADDR labelled NAME has echo replies.
probed() { [ "$(sample echomap_replies_total "$1" "$2")" -ge 1 ] 2>/dev/null; }

# unwatched ADDR: /metrics answers and has no series of ADDR.
unwatched() { metrics_to "$NET_TMP/m" && ! grep -q "{target=\"$1\"," "$NET_TMP/m"; }

# moved ADDR: the record of moving.zone.test is ADDR (none: no record), and dnsmasq knows it.
moved() {
	if [ "$1" = none ]; then
		: >"$NET_TMP/moving"
	else
		printf '%s moving.zone.test\n' "$1" >"$NET_TMP/moving"
	fi
	kill -HUP "$DNS_PID"
}

# same_watch: echomap is still the process started (never restarted).
same_watch() {
	[ "$(cat "/proc/$WATCH_PID/comm" 2>/dev/null)" = echomap ] ||
		{ echo "echomap $WATCH_PID is gone" >&2; cat "$NET_TMP/watch.err" >&2; false; }
}

# logged_once TEXT: TEXT on exactly one line of watch's log.
logged_once() {
	local n
	n=$(grep -cF -- "$1" "$NET_TMP/watch.err")
	[ "$n" -eq 1 ] && return 0
	echo "expected once in the log, found $n times: $1" >&2
	cat "$NET_TMP/watch.err" >&2
	return 1
}

watch_stop() {
	kill -TERM "$WATCH_PID"
	wait "$WATCH_PID"
}

# dns_drops_at_least N: the table dns_down in NS_R dropped N DNS queries over UDP.
dns_drops_at_least() {
	local drops
	drops=$(in_r nft list table inet dns_down |
		sed -n 's/.*udp dport 53 counter packets \([0-9]*\).*/\1/p')
	[ "${drops:-0}" -ge "$1" ]
}

@test "watch follows a name whose TTL-2 record moves on the server, without a restart" {
	local t0 ms sent queries rounds
	printf '198.18.0.5 moving.zone.test\n' >"$NET_TMP/moving"
	# dnsmasq gives its hosts-file records the --local-ttl; SIGHUP makes it read them again.
	dns_start --addn-hosts="$NET_TMP/moving" --local=/zone.test/ --local-ttl=2 --log-queries
	hosts_add 198.18.0.3 static.zone.test
	watch_names moving.zone.test static.zone.test 198.18.0.1
	wait_for 10 probed 198.18.0.5 moving.zone.test
	probed 198.18.0.3 static.zone.test
	sent=$(sample echomap_probes_sent_total 198.18.0.1 "")

	moved 198.18.0.9
	t0=$(date +%s%N)
	# The old answer expires within 2 s, is asked for again at most a round before, and the
	# new set is swapped in at the next round's close: about 3 s; 10 s for a loaded machine.
	wait_for 10 probed 198.18.0.9 moving.zone.test
	ms=$((($(date +%s%N) - t0) / 1000000))
	echo "# moving.zone.test followed to 198.18.0.9 with replies after $ms ms" >&3
	# The old address's series goes with the set it was in.
	unwatched 198.18.0.5
	same_watch
	logged_once 'notice: moving.zone.test: 198.18.0.5 -> 198.18.0.9'
	# Neither a reload nor a restart: the other targets kept their counters.
	! grep -q reloaded "$NET_TMP/watch.err"
	[ "$(sample echomap_probes_sent_total 198.18.0.1 "")" -gt "$sent" ]
	probed 198.18.0.3 static.zone.test
	# /etc/hosts has no TTL: its name never went to the server. The moving one went about
	# once a round (asked a round before its expiry), not at every probe or nap.
	! grep -q 'query.*static.zone.test' "$NET_TMP/dnsmasq.log"
	queries=$(grep -c 'query\[A\] moving.zone.test' "$NET_TMP/dnsmasq.log")
	rounds=$(metrics_to "$NET_TMP/m" && awk '$1 == "echomap_rounds_total" { print $2 }' \
		"$NET_TMP/m")
	echo "# $queries queries for moving.zone.test in $rounds rounds" >&3
	[ "$queries" -le $((rounds + 2)) ]
	watch_stop
	assert_clean
}

@test "watch: a silent server keeps a name's address probed, retried with backoff; NXDOMAIN drops it" {
	local replies
	printf '198.18.0.5 moving.zone.test\n' >"$NET_TMP/moving"
	dns_start --addn-hosts="$NET_TMP/moving" --local=/zone.test/ --local-ttl=2
	watch_names moving.zone.test 198.18.0.1
	wait_for 10 probed 198.18.0.5 moving.zone.test

	# The server stops answering: queries time out (resolv.conf: timeout:1 attempts:1).
	in_r nft -f - <<-EOF
		table inet dns_down {
			chain input {
				type filter hook input priority 0;
				udp dport 53 counter drop
				tcp dport 53 counter drop
			}
		}
	EOF
	wait_for 10 grep -q 'moving.zone.test: Timeout while contacting DNS servers: still probing 198.18.0.5, asking again in 2 s' "$NET_TMP/watch.err"
	replies=$(sample echomap_replies_total 198.18.0.5 moving.zone.test)
	# A second failed try (2 s later) is not logged again; the address is still probed.
	wait_for 10 dns_drops_at_least 2
	wait_for 5 eval '[ "$(sample echomap_replies_total 198.18.0.5 moving.zone.test)" -gt "$replies" ]'
	logged_once 'moving.zone.test: Timeout while contacting DNS servers'
	same_watch

	# Back with a new address: followed at the next try (4 s after the second failure).
	moved 198.18.0.9
	in_r nft delete table inet dns_down
	wait_for 12 probed 198.18.0.9 moving.zone.test
	unwatched 198.18.0.5
	logged_once 'notice: moving.zone.test: 198.18.0.5 -> 198.18.0.9'

	# NXDOMAIN: the name's target goes, once; the rest is still watched.
	moved none
	wait_for 10 unwatched 198.18.0.9
	logged_once 'warn: moving.zone.test: 198.18.0.9 -> none (Domain name not found)'
	replies=$(sample echomap_replies_total 198.18.0.1 "")
	wait_for 5 eval '[ "$(sample echomap_replies_total 198.18.0.1 "")" -gt "$replies" ]'
	same_watch
	watch_stop
	assert_clean
}

@test "watch: an SRV name (_service._proto.name) is its targets' addresses, followed at its TTL" {
	printf '198.18.0.5 a.zone.test\n198.18.0.6 b.zone.test\n' >"$NET_TMP/moving"
	dns_start --addn-hosts="$NET_TMP/moving" --local=/zone.test/ --local-ttl=2 --log-queries \
		--srv-host=_ping._udp.zone.test,a.zone.test,7,0,10 \
		--srv-host=_ping._udp.zone.test,b.zone.test,7,0,20 \
		--srv-host=_none._udp.zone.test
	watch_names _ping._udp.zone.test _none._udp.zone.test 198.18.0.1
	wait_for 10 probed 198.18.0.5 _ping._udp.zone.test
	probed 198.18.0.6 _ping._udp.zone.test
	# RFC 2782's "." target: no such service, said as a name that did not resolve.
	grep -q "_none._udp.zone.test" "$NET_TMP/watch.err"

	# A target moves: the SRV name is asked again at its TTL, its targets with it.
	printf '198.18.0.5 a.zone.test\n198.18.0.9 b.zone.test\n' >"$NET_TMP/moving"
	kill -HUP "$DNS_PID"
	wait_for 10 probed 198.18.0.9 _ping._udp.zone.test
	unwatched 198.18.0.6
	probed 198.18.0.5 _ping._udp.zone.test
	same_watch
	! grep -q reloaded "$NET_TMP/watch.err"
	[ "$(grep -c 'query\[SRV\] _ping._udp.zone.test' "$NET_TMP/dnsmasq.log")" -ge 2 ]
	watch_stop
	assert_clean
}
