#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests of `echomap ping` (DESIGN §7): per-reply lines on stdout
# "NAME (ADDR): seq=N ttl=T time=X.XXX ms", a per-host summary on stderr
# "NAME (ADDR): xmt/rcv/%loss = 5/5/0%, min/avg/max/mdev = a/b/c/d ms", fping's exit codes.

bats_require_minimum_version 1.5.0

load ../lib/netns

setup() {
	e2e_setup
}

teardown() {
	e2e_teardown
}

# reply_re NAME ADDR TTL: a per-reply line (regex; dots in NAME/ADDR escaped).
reply_re() {
	printf '^%s \\(%s\\): seq=[0-9]+ ttl=%s time=[0-9]+\\.[0-9]{3} ms$' "${1//./\\.}" \
		"${2//./\\.}" "$3"
}

@test "a 5 ms imposed delay shows as hold + path in every reply, as the kernel's ping sees it" {
	require_fixtures delay_responder
	require_real_time
	local kping pid rlo rhi kn=160

	# Truth per reply is the hold the responder applied (it logs it per target, from the
	# kernel's receive stamp to its send) plus the path's round trip without the hold. The path
	# is measured over the same 4 s by the kernel's own ping to a second delayed target: its
	# RTT minus its logged hold. That residual is 10-150 µs on a real kernel; under emulation (a
	# TCG VM, where a stalled vCPU now and then adds 5-75 ms to one packet of either prober)
	# echomap's tail and the kernel ping's differ from run to run, so the test needs a real CPU
	# clock. No reply may be shorter than its hold (the hold is logged in whole µs, echomap
	# prints µs: 1 µs of rounding). Above, echomap's path is a part of the kernel ping's: it
	# stamps later (before the kick, or in the kernel as it builds the frame) and earlier on
	# the way back (at XDP, before the stack the kernel's reply goes through), so its residual
	# is at most the largest of the kernel ping's 160, plus the 5 µs to which the kernel's ping
	# rounds and the hold's 1 µs. One of ten may fall above that (a preemption between stamp
	# and kick that the kernel's ping missed). A bias moves them all.
	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		respond_delay 198.18.0.0/16 5 0 0 --ttl 62
		kping=$NET_TMP/kping
		ip netns exec "$NS_S" ping -n -c "$kn" -i 0.025 -W 2 198.18.0.2 >"$kping" 2>&1 &
		pid=$!
		em_capture ping -I "$IFACE" --allow-reserved -c 10 -p 400 198.18.0.1
		wait "$pid" || { cat "$kping" >&2; false; }
		expect_status 0
		responder_stop
		[ "$(wc -l <"$OUT")" -eq 10 ] || { em_dump; false; }
		[ "$(grep -c '^198\.18\.0\.1 ' "$DELAY_LOG")" -eq 10 ] || { cat "$DELAY_LOG" >&2; false; }
		[ "$(grep -c '^198\.18\.0\.2 ' "$DELAY_LOG")" -eq "$kn" ] || { cat "$DELAY_LOG" >&2; false; }
		if grep -Ev "$(reply_re 198.18.0.1 198.18.0.1 62)" "$OUT"; then
			echo "malformed reply lines above" >&2
			false
		fi
		# Ten distinct sequence numbers.
		[ "$(sed 's/.*seq=\([0-9]*\).*/\1/' "$OUT" | sort -u | wc -l)" -eq 10 ]
		# The path's residuals (ms): the kernel's ping i against the responder's hold i.
		sed -n 's/.*icmp_seq=.* time=\([0-9.]*\) ms$/\1/p' "$kping" |
			paste -d' ' - <(awk '$1 == "198.18.0.2" { print $2 }' "$DELAY_LOG") |
			awk 'NF == 2 { print $1 - $2 / 1000 }' | sort -n >"$NET_TMP/residual"
		[ "$(wc -l <"$NET_TMP/residual")" -eq "$kn" ] || { cat "$kping" >&2; false; }
		read -r rlo rhi < <(sed -n '1p;$p' "$NET_TMP/residual" | paste -sd' ')
		echo "path residual ${rlo}..${rhi} ms" >&2
		# Reply i against hold i: the responder answers one request at a time, in order.
		sed 's/.*time=\([0-9.]*\) ms.*/\1/' "$OUT" |
			paste -d' ' - <(awk '$1 == "198.18.0.1" { print $2 }' "$DELAY_LOG") |
			awk -v rhi="$rhi" '{
				hold = $2 / 1000
				r = $1 - hold
				if (NR == 1 || r < rmin)
					rmin = r
				if (NR == 1 || r > rmax)
					rmax = r
				lo = hold - 0.001
				hi = hold + rhi + 0.006
				if ($2 < 4900) {
					print "hold " $2 " us: the delay was not imposed" >"/dev/stderr"
					bad = 1
				}
				if ($1 < lo) {
					printf "rtt %s ms, shorter than its hold %.3f ms\n", $1, hold >"/dev/stderr"
					bad = 1
				}
				if ($1 > hi) {
					printf "rtt %s ms, above hold + path %.3f ms\n", $1, hi >"/dev/stderr"
					out++
				}
			}
			END {
				printf "echomap residual %.3f..%.3f ms\n", rmin, rmax >"/dev/stderr"
				exit bad || out > 1
			}'
		# The summary on stderr agrees with the reply lines.
		grep -Eq '^198\.18\.0\.1 \(198\.18\.0\.1\): xmt/rcv/%loss = 10/10/0%, min/avg/max/mdev = [0-9.]+/[0-9.]+/[0-9.]+/[0-9.]+ ms$' \
			"$ERR" || { em_dump; false; }
		sed -n 's/.*min\/avg\/max\/mdev = \([0-9.]*\)\/\([0-9.]*\)\/\([0-9.]*\)\/.*/\1 \2 \3/p' "$ERR" |
			cat - <(sed 's/.*time=\([0-9.]*\) ms.*/\1/' "$OUT") |
			awk 'NR == 1 { smin = $1; savg = $2; smax = $3; next }
				{ sum += $1; if (NR == 2 || $1 < min) min = $1; if ($1 > max) max = $1 }
				END {
					avg = sum / (NR - 1)
					d = 0.0015
					if (smin < min - d || smin > min + d || smax < max - d ||
					    smax > max + d || savg < avg - d || savg > avg + d) {
						printf "summary %s/%s/%s, replies %.3f/%.3f/%.3f\n", smin,
							savg, smax, min, avg, max
						exit 1
					}
				}' >&2
	done
	assert_clean
}

@test "every host answers: exit 0, a line per reply, a summary per host" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61 --silent-mod 7

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		em_capture ping -I "$IFACE" --allow-reserved -c 3 -p 100 -t 500 198.18.0.1 198.18.0.2
		expect_status 0
		[ "$(grep -Ec "$(reply_re 198.18.0.1 198.18.0.1 61)" "$OUT")" -eq 3 ] || { em_dump; false; }
		[ "$(grep -Ec "$(reply_re 198.18.0.2 198.18.0.2 61)" "$OUT")" -eq 3 ] || { em_dump; false; }
		[ "$(wc -l <"$OUT")" -eq 6 ]
		grep -q '^198\.18\.0\.1 (198\.18\.0\.1): xmt/rcv/%loss = 3/3/0%, min/avg/max/mdev = ' "$ERR"
		grep -q '^198\.18\.0\.2 (198\.18\.0\.2): xmt/rcv/%loss = 3/3/0%, min/avg/max/mdev = ' "$ERR"
	done
	assert_clean
}

@test "a silent host: exit 1, no reply lines for it, 100% loss in its summary" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61 --silent-mod 7

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		em_capture ping -I "$IFACE" --allow-reserved -c 3 -p 100 -t 500 198.18.0.1 198.18.0.7
		expect_status 1
		[ "$(grep -Ec "$(reply_re 198.18.0.1 198.18.0.1 61)" "$OUT")" -eq 3 ] || { em_dump; false; }
		if grep '198\.18\.0\.7' "$OUT"; then
			echo "replies reported for a silent host" >&2
			false
		fi
		grep -q '^198\.18\.0\.1 (198\.18\.0\.1): xmt/rcv/%loss = 3/3/0%' "$ERR"
		grep -q '^198\.18\.0\.7 (198\.18\.0\.7): xmt/rcv/%loss = 3/0/100%' "$ERR"
	done
	assert_clean
}

@test "losses on our own interface are said apart from the network's" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61
	# Frames longer than the peer's MTU are dropped on em0: every probe of 428 bytes.
	own_drops on

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		em_capture ping -I "$IFACE" --allow-reserved -c 3 -p 100 -t 300 --size 400 198.18.0.1
		expect_status 1
		grep -q '^198\.18\.0\.1 (198\.18\.0\.1): xmt/rcv/%loss = 3/0/100%' "$ERR" || { em_dump; false; }
		grep -qx 'echomap: em0 dropped 3 frames during the run: some of the losses may be ours' \
			"$ERR" || { em_dump; false; }
		# The same host through a link that takes the frames: no such line.
		em_capture ping -I "$IFACE" --allow-reserved -c 3 -p 100 -t 300 198.18.0.1
		expect_status 0
		! grep -q dropped "$ERR" || { em_dump; false; }
	done
	assert_clean
}

@test "names from the hosts file; a name that does not resolve: exit 2, the rest still runs" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61 --silent-mod 7
	hosts_add 198.18.0.3 up.echomap.test

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		em_capture ping -I "$IFACE" --allow-reserved -c 2 -p 100 -t 500 up.echomap.test \
			nonexistent.invalid
		expect_status 2
		[ "$(grep -Ec "$(reply_re up.echomap.test 198.18.0.3 61)" "$OUT")" -eq 2 ] ||
			{ em_dump; false; }
		grep -q 'nonexistent\.invalid' "$ERR"
		grep -q '^up\.echomap\.test (198\.18\.0\.3): xmt/rcv/%loss = 2/2/0%' "$ERR"
	done
	assert_clean
}

@test "names from a real DNS server (dnsmasq in the responder namespace)" {
	require_cmd dnsmasq
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61 --silent-mod 7
	dns_start dnsup.echomap.test=198.18.0.5

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		em_capture ping -I "$IFACE" --allow-reserved -c 2 -p 100 -t 500 dnsup.echomap.test
		expect_status 0
		[ "$(grep -Ec "$(reply_re dnsup.echomap.test 198.18.0.5 61)" "$OUT")" -eq 2 ] ||
			{ em_dump; false; }
		# A name the server does not know: NXDOMAIN, exit 2.
		em_capture ping -I "$IFACE" --allow-reserved -c 1 -t 500 dnsup.echomap.test \
			nothere.echomap.test
		expect_status 2
	done
	assert_clean
}
