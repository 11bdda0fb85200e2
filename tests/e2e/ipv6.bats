#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# IPv6 end to end: ICMPv6 sweeps and pings on a 2001:db8::/64 link, the responder's kernel
# answering a whole prefix, a router's time exceeded, both families in one run, and neighbour
# discovery through an attached matcher.

bats_require_minimum_version 1.5.0

load ../lib/netns

setup() {
	e2e_setup
}

teardown() {
	e2e_teardown
}

# v6_addrs BASE N: BASE0 .. BASE(N-1) in hex as inet_ntop writes them (BASE itself for 0).
v6_addrs() {
	local i
	echo "$1"
	for ((i = 1; i < $2; i++)); do printf '%s%x\n' "$1" "$i"; done
}

# The engines that send IPv6 probes: xdp-live refuses them.
v6_engines() { echo afxdp raw; }

# A reply line in the ping output: echomap is attached and its probes are answered.
has_reply() { grep -q 'seq=' "$NET_TMP/ping.out"; }

# The sender's neighbour entry for 2001:db8::2 has a link-layer address.
neigh_resolved() { ip -n "$NS_S" -6 neigh show 2001:db8::2 dev "$IFACE" | grep -q lladdr; }

@test "sweep of an IPv6 /120 finds exactly every address, invents none (afxdp, raw)" {
	v6_link
	v6_addrs 2001:db8:1:: 256 | sort >"$NET_TMP/want"
	for ENGINE in $(v6_engines); do
		echo "# engine $ENGINE"
		em_capture sweep -I "$IFACE" --allow-reserved -q 2001:db8:1::/120
		expect_status 0
		if grep -Evn '^2001:db8:1::[0-9a-f]{0,2} rtt=[0-9]+\.[0-9]{3}ms ttl=64$' "$OUT" |
			head -5 | grep .; then
			echo "malformed lines above" >&2
			false
		fi
		awk '{ print $1 }' "$OUT" | sort >"$NET_TMP/got"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
		grep -q '256 targets, 256 alive' "$ERR" || { em_dump; false; }
	done
	assert_clean
}

# v6_full ADDR: the address with every group written in four digits, none left out.
v6_full() {
	local a=$1 head tail n=8 i out="" g
	if [[ $a == *::* ]]; then
		head=${a%%::*} tail=${a#*::}
		[ -z "$head" ] || n=$((n - 1 - $(tr -cd : <<<"$head" | wc -c)))
		[ -z "$tail" ] || n=$((n - 1 - $(tr -cd : <<<"$tail" | wc -c)))
		a=$head
		for ((i = 0; i < n; i++)); do a+=${a:+:}0; done
		a+=${tail:+:$tail}
	fi
	IFS=: read -ra g <<<"$a"
	for i in "${g[@]}"; do out+=$(printf '%04x:' "0x$i"); done
	echo "${out%:}"
}

# v6_expansion_link: as v6_link, but the responder answers only the /64s given (its other
# 2001:db8:1::/48 addresses are dropped silently, so a miss is no error line).
v6_expansion_link() {
	local p
	ip -n "$NS_S" -6 addr add 2001:db8::1/64 dev "$IFACE" nodad
	ip -n "$NS_R" -6 addr add 2001:db8::2/64 dev "$RIFACE" nodad
	ip -n "$NS_S" -6 addr add fe80::1/64 dev "$IFACE" nodad
	ip -n "$NS_R" -6 addr add fe80::2/64 dev "$RIFACE" nodad
	ip -n "$NS_R" -6 route add blackhole 2001:db8:1::/48
	for p in "$@"; do ip -n "$NS_R" -6 route add local "$p" dev lo; done
	ip -n "$NS_S" -6 route add 2001:db8:1::/48 via 2001:db8::2 dev "$IFACE"
}

@test "prefix expansion /48-56 finds exactly the /64s that answer, by --iid (afxdp, raw)" {
	# The first /64 of /56s 0, 5 and 255 answer, and the second /64 of /56 7: the low IID
	# (::1 of each /56's first /64) reaches the first three; ::1:0:0:0:abcd the fourth.
	v6_expansion_link 2001:db8:1::/64 2001:db8:1:500::/64 2001:db8:1:ff00::/64 \
		2001:db8:1:701::/64
	printf '%s\n' 2001:db8:1::1 2001:db8:1:500::1 2001:db8:1:ff00::1 | sort >"$NET_TMP/want"
	for ENGINE in $(v6_engines); do
		echo "# engine $ENGINE"
		em_capture sweep -I "$IFACE" --allow-reserved -q 2001:db8:1::/48-56
		expect_status 0
		awk '{ print $1 }' "$OUT" | sort >"$NET_TMP/got"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
		grep -q '256 targets, 3 alive' "$ERR" || { em_dump; false; }
	done
	# In an @file too, with a fixed IID: only 2001:db8:1:701::abcd is inside an answering /64.
	echo "2001:db8:1::/48-56 # one address per /56" >"$NET_TMP/prefixes"
	em_capture sweep -I "$IFACE" --allow-reserved -q --iid ::1:0:0:0:abcd "@$NET_TMP/prefixes"
	expect_status 0
	[ "$(awk '{ print $1 }' "$OUT")" = 2001:db8:1:701::abcd ] || { em_dump; false; }
	grep -q '256 targets, 1 alive' "$ERR" || { em_dump; false; }
	assert_clean
}

@test "prefix expansion: --iid random, one address in each prefix, fixed by --seed" {
	v6_expansion_link 2001:db8:1::/48
	em_capture sweep -I "$IFACE" --allow-reserved -q --iid random --seed 7 2001:db8:1::/48-52
	expect_status 0
	awk '{ print $1 }' "$OUT" | sort >"$NET_TMP/first"
	[ "$(wc -l <"$NET_TMP/first")" -eq 16 ] || { em_dump; false; }
	# One in each /52 (its fourth group's first hex digit), none at the low IID ::1.
	local a full nets="" iids
	while read -r a; do
		full=$(v6_full "$a")
		echo "${full:20}" >>"$NET_TMP/iids"
		[[ $full == 2001:0db8:0001:* ]] || { echo "$a: outside the /48" >&2; false; }
		[[ ${full:16} != 000:0000:0000:0000:0001 ]] || { echo "$a: the low IID" >&2; false; }
		nets+=${full:15:1}
	done <"$NET_TMP/first"
	[ "$(echo "$nets" | fold -w1 | sort | tr -d '\n')" = 0123456789abcdef ] || {
		echo "not one per /52: $nets" >&2
		false
	}
	# Each its own IID (the last 64 bits).
	iids=$(sort -u "$NET_TMP/iids" | wc -l)
	[ "$iids" -eq 16 ] || { echo "$iids distinct IIDs of 16" >&2; false; }
	em_capture sweep -I "$IFACE" --allow-reserved -q --iid random --seed 7 2001:db8:1::/48-52
	expect_status 0
	awk '{ print $1 }' "$OUT" | sort >"$NET_TMP/again"
	same_lines "$NET_TMP/first" "$NET_TMP/again"
	assert_clean
}

@test "prefix expansion beyond a run (/32-64: 2^32 prefixes) is refused in one line, exit 3" {
	em_capture sweep --allow-reserved 2001:db8::/32-64
	expect_status 3
	[ "$(cat "$ERR")" = "echomap: bad target '2001:db8::/32-64': a /32 holds 2^32 /64 prefixes, more than the 16777216 IPv6 targets a run takes: use a longer prefix or a shorter expansion" ] || { em_dump; false; }
	em_capture sweep --allow-reserved --iid rand 2001:db8:1::/48-56
	expect_status 3
	grep -q "^echomap: bad value 'rand' for --iid" "$ERR" || { em_dump; false; }
}

@test "auto sends IPv6 through afxdp, up to 1452 data bytes; xdp-live refuses IPv6, exit 3" {
	v6_link
	ENGINE=auto em_capture sweep -I "$IFACE" --allow-reserved -q -v 2001:db8:1::/124
	expect_status 0
	[ "$(wc -l <"$OUT")" -eq 16 ] || { em_dump; false; }
	grep -q 'transmit engine: afxdp' "$ERR" || { em_dump; false; }
	# The largest IPv6 probe, a full 1514-byte frame, still goes and comes back.
	em_capture sweep -I "$IFACE" --allow-reserved -q --size 1452 2001:db8:1::/124
	expect_status 0
	[ "$(wc -l <"$OUT")" -eq 16 ] || { em_dump; false; }
	ENGINE=xdp-live em_capture sweep -I "$IFACE" --allow-reserved 2001:db8:1::/124
	expect_status 3
	[ "$(cat "$ERR")" = "echomap: IPv6 targets given, but the xdp-live engine builds IPv4 probes only: use --engine afxdp or raw" ] || { em_dump; false; }
	assert_clean
}

@test "a mixed IPv4 and IPv6 sweep finds both families exactly, in CSV and JSON" {
	v6_link
	respond_kernel 198.18.0.0/24
	{
		for i in $(seq 0 255); do echo "198.18.0.$i"; done
		v6_addrs 2001:db8:1:: 16
	} | sort >"$NET_TMP/want"
	em_capture sweep -I "$IFACE" --allow-reserved -q -F csv 198.18.0.0/24 2001:db8:1::/124
	expect_status 0
	head -1 "$OUT" | grep -qx 'saddr,name,rtt_us,ttl,classification,success,repeat,scope,icmp_type,icmp_code,from,errors,error_type,error_code,error_from'
	tail -n +2 "$OUT" | cut -d, -f1 | sort >"$NET_TMP/got"
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	# An IPv6 row: its reply came from the address probed, documentation scope, type 129.
	grep -qx '2001:db8:1::3,,[0-9.]*,64,echoreply,1,0,documentation,129,0,2001:db8:1::3,0,,,' "$OUT" ||
		{ em_dump; false; }
	grep -q '272 targets, 272 alive' "$ERR" || { em_dump; false; }
	em_capture sweep -I "$IFACE" --allow-reserved -q -F json 2001:db8:1::5 198.18.0.5
	expect_status 0
	grep -q '^{"saddr":"2001:db8:1::5","name":null,"rtt_us":[0-9.]*,"ttl":64,"classification":"echoreply","success":true,"repeat":false,"replies":1,"scope":"documentation","icmp_type":129,"icmp_code":0,"from":"2001:db8:1::5","errors":0,"error_type":null,"error_code":null,"error_from":null}$' "$OUT" ||
		{ em_dump; false; }
	grep -q '^{"saddr":"198.18.0.5",.*"icmp_type":0,' "$OUT" || { em_dump; false; }
	assert_clean
}

@test "--stream: IPv6 and IPv4 targets streamed, exactly every address; --ttl 1 errors name the router; --all lists the silent" {
	require_cmd jq
	v6_link
	respond_kernel 198.18.0.0/24
	{ v6_addrs 2001:db8:1:: 256; seq -f '198.18.0.%g' 0 15; } | sort >"$NET_TMP/want"
	for ENGINE in $(v6_engines); do
		echo "# engine $ENGINE"
		em_capture sweep -I "$IFACE" --allow-reserved -q --stream 2001:db8:1::/120 198.18.0.0/28
		expect_status 0
		awk '{ print $1 }' "$OUT" | sort >"$NET_TMP/got"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
		grep -q '272 targets, 272 alive' "$ERR" || { em_dump; false; }
	done
	# The router's time exceeded, streamed with its address; a silent address listed by --all.
	ip netns exec "$NS_R" sysctl -qw net.ipv6.conf.all.forwarding=1 net.ipv6.icmp.ratelimit=0
	ip -n "$NS_R" -6 route add 2001:db8:2::/120 via 2001:db8::1 dev "$RIFACE"
	ip -n "$NS_S" -6 route add 2001:db8:2::/120 via 2001:db8::2 dev "$IFACE"
	em_capture sweep -I "$IFACE" --allow-reserved -q --stream --ttl 1 -F json 2001:db8:2::1
	expect_status 0
	[ "$(jq -r '"\(.saddr) \(.classification) \(.icmp_type) \(.from) \(.error_from)"' "$OUT")" = \
		"2001:db8:2::1 timxceed 3 2001:db8::2 2001:db8::2" ] || { em_dump; false; }
	ip netns exec "$NS_R" nft -f - <<-EOF
		table ip6 em_silent {
			chain input {
				type filter hook input priority 0;
				icmpv6 type echo-request ip6 daddr 2001:db8:1::5 drop
			}
		}
	EOF
	em_capture sweep -I "$IFACE" --allow-reserved -q --stream --all -w 300 -F csv 2001:db8:1::/124
	expect_status 0
	[ "$(grep -c ',echoreply,1,' "$OUT")" -eq 15 ] || { em_dump; false; }
	grep -q '^2001:db8:1::5,,,,timeout,0,' "$OUT" || { em_dump; false; }
	assert_clean
}

@test "ping of an IPv6 address through a link-local gateway: reply lines and the summary" {
	v6_link
	ip -n "$NS_S" -6 route replace 2001:db8:1::/64 via fe80::2 dev "$IFACE"
	em_capture ping -I "$IFACE" --allow-reserved -c 3 -p 100 2001:db8:1::7
	expect_status 0
	[ "$(grep -Ec '^2001:db8:1::7 \(2001:db8:1::7\): seq=[0-2] ttl=64 time=[0-9]+\.[0-9]{3} ms$' "$OUT")" -eq 3 ] ||
		{ em_dump; false; }
	grep -Eq '^echomap: 2001:db8:1::7 \(2001:db8:1::7\): xmt/rcv/%loss = 3/3/0%, min/avg/max/mdev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms$|^2001:db8:1::7 \(2001:db8:1::7\): xmt/rcv/%loss = 3/3/0%, min/avg/max/mdev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms$' "$ERR" ||
		{ em_dump; false; }
	assert_clean
}

@test "--ttl 1 through an IPv6 router: timxceed from the router's address" {
	v6_link
	# The responder forwards 2001:db8:2::/120 back to us: a hop limit of 1 expires there.
	ip netns exec "$NS_R" sysctl -qw net.ipv6.conf.all.forwarding=1 \
		net.ipv6.icmp.ratelimit=0
	ip -n "$NS_R" -6 route add 2001:db8:2::/120 via 2001:db8::1 dev "$RIFACE"
	ip -n "$NS_S" -6 route add 2001:db8:2::/120 via 2001:db8::2 dev "$IFACE"
	v6_addrs 2001:db8:2:: 16 | sed 's/$/ timxceed code=0 from=2001:db8::2/' | sort >"$NET_TMP/want"
	# raw builds the IPv6 header itself too (IPPROTO_RAW): its hop limit is --ttl's.
	for ENGINE in $(v6_engines); do
		echo "# engine $ENGINE"
		em_capture sweep -I "$IFACE" --allow-reserved -q --ttl 1 2001:db8:2::/124
		expect_status 0
		awk '{ print $1, $2, $3, $4 }' "$OUT" | sort >"$NET_TMP/got"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
	done
	unset ENGINE
	em_capture sweep -I "$IFACE" --allow-reserved -q --ttl 1 -F json 2001:db8:2::1
	grep -q '"classification":"timxceed".*"icmp_type":3,"icmp_code":0,"from":"2001:db8::2","errors":1,"error_type":3,"error_code":0,"error_from":"2001:db8::2"}' "$OUT" ||
		{ em_dump; false; }
	# ping's lines name the router too.
	em_capture ping -I "$IFACE" --allow-reserved --ttl 1 -c 2 -p 100 2001:db8:2::1
	[ "$(grep -Ec '^2001:db8:2::1 \(2001:db8:2::1\): seq=[01] timxceed code=0 from 2001:db8::2$' "$OUT")" -eq 2 ] ||
		{ em_dump; false; }
	assert_clean
}

@test "neighbour discovery and the kernel's ICMPv6 pass the matcher while echomap sweeps" {
	local pid rc=0

	v6_link
	# A long sweep (--rate 1000 over 4096 targets, -n 3): ~12 s, ended by SIGINT.
	ip netns exec "$NS_S" "$ECHOMAP" sweep -I "$IFACE" --allow-reserved -q --rate 1000 -n 3 \
		2001:db8:1::/116 >"$NET_TMP/sweep.out" 2>"$NET_TMP/sweep.err" 3>&- &
	pid=$!
	track_pid "$pid"
	wait_for 60 xdp_attached || { cat "$NET_TMP/sweep.err" >&2; false; }

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
	kill -0 "$pid"
	xdp_attached
	kill -INT "$pid"
	wait "$pid" || rc=$?
	[ "$rc" -eq 1 ] || [ "$rc" -eq 0 ] || { echo "exit status $rc" >&2; cat "$NET_TMP/sweep.err" >&2; false; }
	assert_clean
}

@test "IPv6 refusals: a prefix above the limit, reserved space, --size, trace; one line, exit 3" {
	em_capture sweep -I "$IFACE" --allow-reserved 2001:db8::/64
	expect_status 3
	[ "$(cat "$ERR")" = "echomap: bad target '2001:db8::/64': a /64 holds 2^64 addresses, more than the 16777216 IPv6 targets a run takes: use a longer prefix or a hitlist" ] ||
		{ em_dump; false; }
	em_capture ping -I "$IFACE" 2001:db8::2
	expect_status 3
	[ "$(cat "$ERR")" = "echomap: target '2001:db8::2' is in the reserved special-purpose range 2001:db8::/32: use --allow-reserved to probe it" ] ||
		{ em_dump; false; }
	em_capture sweep -I "$IFACE" --allow-reserved --size 1453 2001:db8::2
	expect_status 3
	[ "$(cat "$ERR")" = "echomap: IPv6 targets given, but an IPv6 probe carries at most 1452 data bytes (--size)" ] ||
		{ em_dump; false; }
	em_capture trace -I "$IFACE" --allow-reserved 2001:db8::2
	expect_status 3
	[ "$(wc -l <"$ERR")" -eq 1 ] && grep -q 'IPv6 targets given, but trace probes IPv4 targets only$' "$ERR" ||
		{ em_dump; false; }
	assert_clean
}

@test "on-link IPv6 targets go through the kernel (raw engine), which resolves each neighbour" {
	v6_link
	em_capture sweep -I "$IFACE" --allow-reserved -v 2001:db8::2 2001:db8::5
	expect_status 0
	grep -q 'targets are on-link on em0: sending through the kernel (raw engine)' "$ERR" ||
		{ em_dump; false; }
	# ::5 has no host: no neighbour, no reply, no line.
	[ "$(awk '{ print $1 }' "$OUT")" = 2001:db8::2 ] || { em_dump; false; }
	grep -q '2 targets, 1 alive' "$ERR" || { em_dump; false; }
	assert_clean
}

# names_got: "saddr name" of every echo reply in $OUT (JSON lines), sorted.
names_got() { jq -r 'select(.classification == "echoreply") | "\(.saddr) \(.name)"' "$OUT" | sort; }

@test "dual-stack names from DNS (A and AAAA) and the hosts file under -4, -6, default and -m" {
	require_cmd dnsmasq
	require_cmd jq
	v6_link
	respond_kernel 198.18.0.0/24
	dns_start dual.test=198.18.0.5,2001:db8:1::5 v4only.test=198.18.0.7 \
		v6only.test=2001:db8:1::8
	printf 'nameserver %s\n' "$GW" >"/etc/netns/$NS_S/resolv.conf"
	printf 'hosts: files dns\n' >"/etc/netns/$NS_S/nsswitch.conf"
	hosts_add 198.18.0.9 file.test
	hosts_add 2001:db8:1::9 file.test
	sweep_names() {
		em_capture sweep -I "$IFACE" --allow-reserved -q -F json "$@"
		names_got >"$NET_TMP/got"
	}
	want() { printf '%s\n' "$@" | sort >"$NET_TMP/want"; }

	# With a route to both families, IPv6 first (RFC 6724), as getaddrinfo orders them.
	sweep_names dual.test v4only.test v6only.test file.test
	expect_status 0
	want "2001:db8:1::5 dual.test" "198.18.0.7 v4only.test" "2001:db8:1::8 v6only.test" \
		"2001:db8:1::9 file.test"
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	sweep_names -4 dual.test file.test
	expect_status 0
	want "198.18.0.5 dual.test" "198.18.0.9 file.test"
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	sweep_names -6 dual.test file.test
	expect_status 0
	want "2001:db8:1::5 dual.test" "2001:db8:1::9 file.test"
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	sweep_names -m dual.test file.test
	expect_status 0
	want "198.18.0.5 dual.test" "2001:db8:1::5 dual.test" "198.18.0.9 file.test" \
		"2001:db8:1::9 file.test"
	same_lines "$NET_TMP/want" "$NET_TMP/got"

	# A name without an address of the family asked for: reported once, exit 2.
	sweep_names -6 v4only.test dual.test
	expect_status 2
	grep -qx "echomap: cannot resolve 'v4only.test': .*" "$ERR" || { em_dump; false; }
	want "2001:db8:1::5 dual.test"
	same_lines "$NET_TMP/want" "$NET_TMP/got"

	# ping names the host at the address it chose.
	em_capture ping -I "$IFACE" --allow-reserved -c 1 dual.test
	expect_status 0
	grep -Eq '^dual\.test \(2001:db8:1::5\): seq=0 ttl=64 time=[0-9.]+ ms$' "$OUT" ||
		{ em_dump; false; }
	em_capture ping -I "$IFACE" --allow-reserved -c 1 -4 dual.test
	expect_status 0
	grep -Eq '^dual\.test \(198\.18\.0\.5\): seq=0 ttl=64 time=[0-9.]+ ms$' "$OUT" ||
		{ em_dump; false; }

	# No route to the IPv6 address: the IPv4 one, as getaddrinfo would order them.
	ip -n "$NS_S" -6 route del 2001:db8:1::/64
	sweep_names dual.test file.test
	expect_status 0
	want "198.18.0.5 dual.test" "198.18.0.9 file.test"
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	em_capture sweep -4 -6 dual.test
	expect_status 3
	[ "$(cat "$ERR")" = "echomap: -4 and -6 do not go together" ] || { em_dump; false; }
	assert_clean
}
