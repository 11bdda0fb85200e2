#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests of `echomap sweep` (DESIGN §6, §7) on a network of two namespaces built per
# test by tests/lib/netns.bash. 198.18.0.0/15 is in the default blocklist, hence --allow-reserved.

bats_require_minimum_version 1.5.0

load ../lib/netns

setup() {
	e2e_setup
}

teardown() {
	e2e_teardown
}

@test "sweep of a /16 finds exactly the answering hosts, with their TTL" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/16 --ttl 61 --silent-mod 7

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		em_capture sweep -I "$IFACE" --allow-reserved -q --rate 100000 198.18.0.0/16
		expect_status 0

		# Every line: "198.18.0.1 rtt=0.081ms ttl=61".
		if grep -Evn '^198\.18\.[0-9]{1,3}\.[0-9]{1,3} rtt=[0-9]+\.[0-9]{3}ms ttl=[0-9]+$' "$OUT" |
			head -5 | grep .; then
			echo "malformed lines above" >&2
			false
		fi
		awk '{ print $1, $NF }' "$OUT" | sort >"$NET_TMP/got"
		xdp_truth 198.18.0.0/16 7 | awk '{ print $1, "ttl=61" }' | sort >"$NET_TMP/want"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
		# The summary on stderr counts targets and live hosts.
		grep -q 65536 "$ERR" || { em_dump; false; }
		grep -q "$(wc -l <"$NET_TMP/want")" "$ERR" || { em_dump; false; }
	done
	assert_clean
}

@test "sweep at --rate 0 (as fast as possible) still finds every answering host" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/16 --ttl 61 --silent-mod 7

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		# Not a speed test: whatever the rate turns out to be, nothing may be lost on our side.
		# (Where veth drops rather than pushes back, as on 6.1, --resend repairs it.)
		em_capture sweep -I "$IFACE" --allow-reserved -q --rate 0 198.18.0.0/16
		expect_status 0
		awk '{ print $1 }' "$OUT" | sort >"$NET_TMP/got"
		xdp_truth 198.18.0.0/16 7 | sort >"$NET_TMP/want"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
	done
	assert_clean
}

above() { [ "$(link_stat "$NS_S" "$IFACE" "$1")" -gt "$2" ]; }

@test "probes our interface dropped are sent again: exact after em0 dropped for a while" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/16 --ttl 61 --silent-mod 7
	xdp_truth 198.18.0.0/16 7 | sort >"$NET_TMP/want"

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		local drops pid status=0
		# Frames longer than the peer's MTU are dropped on em0 (counted in tx_dropped, as
		# when a ring is full) until the MTU goes back up, early in the 3.3 s pass.
		own_drops on
		drops=$(link_stat "$NS_S" "$IFACE" tx_dropped)
		em sweep -I "$IFACE" --allow-reserved -q --size 400 --rate 20000 198.18.0.0/16 \
			>"$NET_TMP/out" 2>"$NET_TMP/err" &
		pid=$!
		track_pid "$pid"
		wait_for 10 above tx_dropped $((drops + 1000))
		own_drops off
		wait "$pid" || status=$?
		cat "$NET_TMP/err"
		[ "$status" -eq 0 ]
		grep -Eq '^echomap: em0 dropped [0-9]+ frames: probing the [0-9]+ targets without an answer again \(pass 1 of at most 3\)$' \
			"$NET_TMP/err"
		grep -Eq ', [0-9]+ probes \([1-9][0-9]* resent\),' "$NET_TMP/err"
		awk '{ print $1 }' "$NET_TMP/out" | sort >"$NET_TMP/got"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
	done
	assert_clean
}

@test "drops that persist are reported after the --resend passes, never hidden" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61
	# Frames longer than the peer's MTU are dropped on em0, every time.
	own_drops on

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		em_capture sweep -I "$IFACE" --allow-reserved -q --size 400 --resend 2 198.18.0.0/24
		expect_status 0
		[ ! -s "$OUT" ] || { em_dump; false; }
		grep -qx 'echomap: em0 dropped 256 frames: probing the 256 targets without an answer again (pass 1 of at most 2)' "$ERR" || { em_dump; false; }
		grep -qx 'echomap: em0 dropped 256 frames: probing the 256 targets without an answer again (pass 2 of at most 2)' "$ERR" || { em_dump; false; }
		grep -qx 'echomap: em0 dropped 256 frames in the last pass: up to as many hosts may be missing' "$ERR" || { em_dump; false; }
		grep -q ' 768 probes (512 resent),' "$ERR" || { em_dump; false; }
		# --resend 0: the drops are said, nothing is sent again.
		em_capture sweep -I "$IFACE" --allow-reserved -q --size 400 --resend 0 198.18.0.0/24
		expect_status 0
		grep -qx 'echomap: em0 dropped 256 frames: up to as many hosts may be missing' "$ERR" || { em_dump; false; }
		grep -q ' 256 probes (0 resent),' "$ERR" || { em_dump; false; }
	done
	# Without drops nothing is sent again.
	own_drops off
	em_capture sweep -I "$IFACE" --allow-reserved -q 198.18.0.0/24
	expect_status 0
	[ "$(wc -l <"$OUT")" -eq 256 ] || { em_dump; false; }
	! grep -q dropped "$ERR" || { em_dump; false; }
	grep -q ' 256 probes (0 resent),' "$ERR" || { em_dump; false; }
	assert_clean
}

@test "--all -F json lists silent hosts as timeout, every field present" {
	require_fixtures xdp_responder
	require_cmd jq
	respond_xdp 198.18.64.0/18 --ttl 61 --silent-mod 5

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		em_capture sweep -I "$IFACE" --allow-reserved -q --rate 100000 --all -F json \
			198.18.64.0/18
		expect_status 0
		[ "$(wc -l <"$OUT")" -eq 16384 ] || { em_dump; false; }

		# One object per line, with zmap's field names and the replying address.
		jq -e -s 'all(.[]; has("saddr") and has("name") and has("rtt_us") and has("ttl") and
			has("classification") and has("success") and has("repeat") and has("scope") and
			has("icmp_type") and has("icmp_code") and has("from"))' "$OUT" >/dev/null

		jq -r 'select(.classification == "timeout") | .saddr' "$OUT" | sort >"$NET_TMP/got"
		xdp_truth 198.18.64.0/18 5 silent | sort >"$NET_TMP/want"
		same_lines "$NET_TMP/want" "$NET_TMP/got"

		jq -r 'select(.classification == "echoreply") | "\(.saddr) \(.ttl) \(.from)"' "$OUT" |
			sort >"$NET_TMP/got"
		xdp_truth 198.18.64.0/18 5 | awk '{ print $1, 61, $1 }' | sort >"$NET_TMP/want"
		same_lines "$NET_TMP/want" "$NET_TMP/got"

		# Nothing else, and consistent fields.
		[ "$(jq -r '.classification' "$OUT" | sort -u | tr '\n' ' ')" = "echoreply timeout " ]
		jq -e -s 'all(.[] | select(.classification == "echoreply");
			(.success == true or .success == 1) and .icmp_type == 0 and .icmp_code == 0 and
			(.rtt_us | type) == "number" and .rtt_us > 0)' "$OUT" >/dev/null
		jq -e -s 'all(.[] | select(.classification == "timeout");
			(.success == false or .success == 0))' "$OUT" >/dev/null
		# 198.18.0.0/15 (benchmarking) is special-purpose: scope "reserved".
		[ "$(jq -r '.scope' "$OUT" | sort -u)" = reserved ]
	done
	assert_clean
}

@test "-F csv: header line, then one row per target with --all" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 60 --silent-mod 4

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		em_capture sweep -I "$IFACE" --allow-reserved -q --all -F csv 198.18.0.0/24
		expect_status 0
		[ "$(head -1 "$OUT")" = \
			"saddr,name,rtt_us,ttl,classification,success,repeat,scope,icmp_type,icmp_code,from,errors,error_type,error_code,error_from" ]
		[ "$(tail -n +2 "$OUT" | wc -l)" -eq 256 ]
		# Every row has 15 fields.
		[ "$(tail -n +2 "$OUT" | awk -F, 'NF != 15' | wc -l)" -eq 0 ]
		tail -n +2 "$OUT" | awk -F, '$5 == "echoreply" { print $1, $4 }' | sort >"$NET_TMP/got"
		xdp_truth 198.18.0.0/24 4 | awk '{ print $1, 60 }' | sort >"$NET_TMP/want"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
		tail -n +2 "$OUT" | awk -F, '$5 == "timeout" { print $1 }' | sort >"$NET_TMP/got"
		xdp_truth 198.18.0.0/24 4 silent | sort >"$NET_TMP/want"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
	done
	assert_clean
}

@test "--shards 3 --shard k: disjoint slices whose union is the whole set" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/16 --ttl 61 --silent-mod 7
	local k n want=(1366 1365 1365)

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		: >"$NET_TMP/all"
		for k in 0 1 2; do
			em_capture sweep -I "$IFACE" --allow-reserved -q --all -F csv --seed 42 \
				--shards 3 --shard "$k" 198.18.16.0/20
			expect_status 0
			tail -n +2 "$OUT" >"$NET_TMP/shard$k"
			n=$(wc -l <"$NET_TMP/shard$k")
			# Thirds of the cyclic group mod 4099 (4098 elements, 1366 a shard), less the
			# two above the set: which shard has them is fixed by --seed 42 (perm_init).
			[ "$n" -eq "${want[k]}" ] || {
				echo "shard $k has $n of 4096 targets, --seed 42 gives ${want[k]}" >&2
				false
			}
			cat "$NET_TMP/shard$k" >>"$NET_TMP/all"
		done
		# Disjoint: no address twice; union: every address once.
		cut -d, -f1 "$NET_TMP/all" | sort >"$NET_TMP/got"
		range_list 198.18.16.0 198.18.31.255 | sort >"$NET_TMP/want"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
		# And the answers are right in every slice.
		awk -F, '$5 == "echoreply" { print $1 }' "$NET_TMP/all" | sort >"$NET_TMP/got"
		xdp_truth 198.18.0.0/16 7 | grep -E '^198\.18\.(1[6-9]|2[0-9]|3[01])\.' | sort \
			>"$NET_TMP/want"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
	done
	assert_clean
}

@test "--rate 2000: 4000 targets take about 2 s, each probed once" {
	require_fixtures delay_responder
	local rx span

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		respond_delay 198.18.0.0/16 0 0 0 --timestamps

		em_capture sweep -I "$IFACE" --allow-reserved -q --rate 2000 -w 200 \
			198.18.0.1-198.18.15.160
		expect_status 0
		responder_stop

		# Counted on the responder's side: each of the 4000 exactly once.
		rx=$(sed -n 's/.*received \([0-9]*\).*/\1/p' "$NET_TMP/delay_responder.err")
		[ "$rx" = 4000 ] || {
			echo "responder received $rx echo requests, expected 4000" >&2
			false
		}
		[ "$(awk '{ print $1 }' "$DELAY_LOG" | sort -u | wc -l)" -eq 4000 ] || {
			cat "$DELAY_LOG" >&2
			false
		}
		[ "$(wc -l <"$OUT")" -eq 4000 ] || { em_dump; false; }
		# Rate limiting, not speed: the bucket counts from the sweep's start, so after a late
		# first probe (or a stall) the sender catches up; from the first arrival 4000 probes
		# at 2000/s span 2 s less that catch-up (200 probes, 0.1 s). A stall can only make it
		# longer, so no bound is put on that side.
		span=$(sort -n -k3 "$DELAY_LOG" | awk 'NR == 1 { a = $3 } END { print $3 - a }')
		[ "$span" -ge 1900000 ] || {
			echo "requests arrived within $span us, expected about 2 s" >&2
			false
		}
	done
	assert_clean
}

@test "xdp-live paces in chunks: --rate 100000 over a /15 within 2 %, every host found" {
	require_fixtures xdp_responder
	[[ " $(e2e_engines) " == *" xdp-live "* ]] || skip "xdp-live needs Linux >= 5.18"
	respond_xdp 198.18.0.0/15 --ttl 61 --silent-mod 10
	local t0 t1 sent secs rx

	t0=$(date +%s%N)
	em_capture sweep --engine xdp-live -v -I "$IFACE" --allow-reserved -q --rate 100000 -w 200 \
		198.18.0.0/15
	t1=$(date +%s%N)
	expect_status 0
	responder_stop
	# Every probe reached the responder, answered or deliberately silent.
	rx=$(sed -n 's/.*answered \([0-9]*\) silent \([0-9]*\).*/\1 + \2/p' \
		"$NET_TMP/xdp_responder.err")
	[ "$((rx))" -eq 131072 ] || {
		echo "responder saw $((rx)) echo requests, expected 131072" >&2
		false
	}
	# The send loop's own span: 131072 probes at 100000/s take 1.31 s, +- 2 %.
	read -r sent secs < <(sed -n 's/.*sent \([0-9]*\) probes in \([0-9.]*\) s.*/\1 \2/p' "$ERR")
	[ "$sent" -eq 131072 ] || { em_dump; false; }
	awk -v s="$secs" 'BEGIN { exit !(s >= 1.31072 / 1.02 && s <= 1.31072 * 1.02) }' || {
		echo "sent in $secs s, expected 1.311 s +- 2 %" >&2
		false
	}
	# And not faster than the rate from the outside either.
	[ $(((t1 - t0) / 1000000)) -ge 1284 ] || {
		echo "run took $(((t1 - t0) / 1000000)) ms" >&2
		false
	}
	awk '{ print $1 }' "$OUT" | sort >"$NET_TMP/got"
	xdp_truth 198.18.0.0/15 10 | sort >"$NET_TMP/want"
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	assert_clean
}

@test "20 % imposed loss is reported within binomial bounds, and only real replies" {
	require_fixtures delay_responder
	local alive

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		respond_delay 198.18.0.0/16 0 0 20

		# At 2 kpps: the user-space responder's bursts stay within veth's rings under emulation.
		em_capture sweep -I "$IFACE" --allow-reserved -q -w 500 --rate 2000 \
			198.18.0.1-198.18.3.232
		expect_status 0
		responder_stop
		alive=$(wc -l <"$OUT")
		# 1000 targets, p = 0.8: 720..880 is more than 6 standard deviations wide.
		[ "$alive" -ge 720 ] && [ "$alive" -le 880 ] || {
			echo "alive: $alive of 1000" >&2
			false
		}
		# Exactly the hosts the responder answered.
		awk '{ print $1 }' "$OUT" | sort >"$NET_TMP/got"
		awk '{ print $1 }' "$DELAY_LOG" | sort >"$NET_TMP/want"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
	done
	assert_clean
}

@test "an unreachable route is classified unreach, with the router's address" {
	require_cmd jq
	unreach_router 198.19.255.0/24

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		em_capture sweep -I "$IFACE" --allow-reserved -q --all -F json -w 500 198.19.255.0/28
		expect_status 0
		[ "$(wc -l <"$OUT")" -eq 16 ] || { em_dump; false; }
		jq -r '"\(.saddr) \(.classification) \(.from) \(.icmp_type) \(.icmp_code)"' "$OUT" |
			sort >"$NET_TMP/got"
		range_list 198.19.255.0 198.19.255.15 | awk -v r="$ROUTER" '{ print $1, "unreach", r, 3, 1 }' |
			sort >"$NET_TMP/want"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
	done
	assert_clean
}

@test "--ttl 1 through a router is classified timxceed, with the router's address" {
	require_cmd jq
	timxceed_router 198.19.254.0/24

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		em_capture sweep -I "$IFACE" --allow-reserved -q --all -F json --ttl 1 -w 500 \
			198.19.254.0/29
		expect_status 0
		jq -r '"\(.saddr) \(.classification) \(.from) \(.icmp_type) \(.icmp_code)"' "$OUT" |
			sort >"$NET_TMP/got"
		range_list 198.19.254.0 198.19.254.7 | awk -v r="$ROUTER" '{ print $1, "timxceed", r, 11, 0 }' |
			sort >"$NET_TMP/want"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
	done
	assert_clean
}

@test "-o FILE: complete file on success, no file when the run fails" {
	require_fixtures xdp_responder
	require_cmd jq
	respond_xdp 198.18.0.0/24 --ttl 61 --silent-mod 7
	local dir=$NET_TMP/results

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		rm -rf "$dir"
		mkdir "$dir"
		# Failing runs (bad interface, bad target) leave nothing behind, not even a temporary.
		em_capture sweep -I nosuchif0 --allow-reserved -q -F json -o "$dir/out.json" 198.18.0.0/24
		expect_status 4
		[ -z "$(ls -A "$dir")" ] || { ls -la "$dir" >&2; false; }
		em_capture sweep -I "$IFACE" --allow-reserved -q -F json -o "$dir/out.json" 198.18.0.0/33
		expect_status 3
		[ -z "$(ls -A "$dir")" ] || { ls -la "$dir" >&2; false; }

		# A successful one leaves exactly the file, complete, and nothing on stdout.
		em_capture sweep -I "$IFACE" --allow-reserved -q --all -F json -o "$dir/out.json" \
			198.18.0.0/24
		expect_status 0
		[ "$(ls -A "$dir")" = out.json ] || { ls -la "$dir" >&2; false; }
		[ ! -s "$OUT" ]
		[ "$(wc -l <"$dir/out.json")" -eq 256 ]
		jq -e . "$dir/out.json" >/dev/null
		jq -r 'select(.classification == "echoreply") | .saddr' "$dir/out.json" | sort \
			>"$NET_TMP/got"
		xdp_truth 198.18.0.0/24 7 | sort >"$NET_TMP/want"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
	done
	assert_clean
}

@test "-o onto a device or a FIFO writes through it and leaves the node in place" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61 --silent-mod 7
	local null=$NET_TMP/null fifo=$NET_TMP/fifo pid

	# A private null device, not /dev/null: were it replaced, only this test's copy would be.
	mknod -m 666 "$null" c 1 3
	em_capture sweep -I "$IFACE" --allow-reserved -q -o "$null" 198.18.0.0/24
	expect_status 0
	[ -c "$null" ] || { ls -la "$null" >&2; false; }
	[ -z "$(find "$NET_TMP" -maxdepth 1 -name 'null.tmp.*')" ]

	mkfifo "$fifo"
	cat "$fifo" >"$NET_TMP/from_fifo" &
	pid=$!
	em_capture sweep -I "$IFACE" --allow-reserved -q -o "$fifo" 198.18.0.0/24
	expect_status 0
	wait "$pid"
	[ -p "$fifo" ]
	awk '{ print $1 }' "$NET_TMP/from_fifo" | sort >"$NET_TMP/got"
	xdp_truth 198.18.0.0/24 7 | sort >"$NET_TMP/want"
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	assert_clean
}

@test "-o FILE: a run killed mid-sweep leaves no (partial) FILE" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/16 --ttl 61
	local dir=$NET_TMP/results pid

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		rm -rf "$dir"
		mkdir "$dir"
		ip netns exec "$NS_S" "$ECHOMAP" sweep --engine "$ENGINE" -I "$IFACE" --allow-reserved \
			-q --rate 1000 -o "$dir/out.txt" 198.18.0.0/16 >"$NET_TMP/out" 2>"$NET_TMP/err" 3>&- &
		pid=$!
		track_pid "$pid"
		wait_for 5 xdp_attached
		sleep 0.5
		kill -KILL "$pid"
		wait "$pid" || true
		[ ! -e "$dir/out.txt" ]
	done
	assert_clean
}

@test "kill -9 mid-sweep leaves no XDP program and nothing pinned" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/16 --ttl 61
	local pid

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		ip netns exec "$NS_S" "$ECHOMAP" sweep --engine "$ENGINE" -I "$IFACE" --allow-reserved \
			-q --rate 1000 198.18.0.0/16 >"$NET_TMP/out" 2>"$NET_TMP/err" 3>&- &
		pid=$!
		track_pid "$pid"
		# It must really be attached and probing before we kill it.
		wait_for 5 xdp_attached || {
			echo "echomap never attached an XDP program" >&2
			cat "$NET_TMP/err" >&2
			false
		}
		sleep 1
		kill -0 "$pid"
		[ "$(cat "/proc/$pid/comm")" = echomap ]
		kill -KILL "$pid"
		wait "$pid" || true
		# bpf_link: the kernel detaches when the last reference goes away with the process.
		wait_for 2 _no_xdp || {
			ip -n "$NS_S" -d link show dev "$IFACE" >&2
			false
		}
		# Nothing pinned (bpffs, if mounted at all).
		[ -z "$(find /sys/fs/bpf -iname '*echomap*' 2>/dev/null)" ]
		[ -z "$(ip netns exec "$NS_S" find /sys/fs/bpf -iname '*echomap*' 2>/dev/null)" ]
		# The replies it provoked kept arriving and were left to the kernel: the host still works.
		ip netns exec "$NS_S" ping -c 1 -W 2 198.18.0.1 >/dev/null
	done
	assert_clean
}

@test "the kernel's own ping keeps working on the interface during a sweep" {
	require_fixtures xdp_responder
	# The sweep only has to outlast the ping's second (3.3 s at this rate): this is not a load
	# test, and under emulation (TCG) a /16 at 20 kpps beside the ping lost 0.75 % of replies
	# on the veth path.
	respond_xdp 198.18.0.0/18 --ttl 61 --silent-mod 7
	local pid rc=0

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		rc=0
		ip netns exec "$NS_S" "$ECHOMAP" sweep --engine "$ENGINE" -I "$IFACE" --allow-reserved \
			-q --rate 5000 198.18.0.0/18 >"$NET_TMP/out" 2>"$NET_TMP/err" 3>&- &
		pid=$!
		track_pid "$pid"
		wait_for 5 xdp_attached
		run ip netns exec "$NS_S" ping -c 5 -i 0.2 -W 2 198.18.0.1
		echo "$output"
		[ "$status" -eq 0 ]
		[[ "$output" == *" 5 received"* ]]
		# The sweep was still running while ping got its replies.
		kill -0 "$pid"
		wait "$pid" || rc=$?
		[ "$rc" -eq 0 ] || { cat "$NET_TMP/err" >&2; false; }
		# ... and was not disturbed by ping's replies either.
		awk '{ print $1 }' "$NET_TMP/out" | sort >"$NET_TMP/got"
		xdp_truth 198.18.0.0/18 7 | sort >"$NET_TMP/want"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
	done
	assert_clean
}

@test "xdp-live where the driver cannot send XDP frames: a clear refusal; auto falls back" {
	[[ " $(e2e_engines) " == *" xdp-live "* ]] || skip "xdp-live needs Linux >= 5.18"
	respond_kernel 198.18.0.0/24
	# Without GRO or an XDP program on the peer, a veth takes no XDP frames (no ndo_xdp_xmit).
	ip netns exec "$NS_R" "$FIXTURES/set_gro" "$RIFACE" off

	em_capture sweep --engine xdp-live -I "$IFACE" --allow-reserved -q 198.18.0.1
	if kernel_at_least 6 3; then
		expect_status 4
		grep -q 'xdp-live engine cannot send on em0: its driver does not transmit XDP frames' \
			"$ERR" || { em_dump; false; }
	else
		# Drivers do not say before 6.3: echomap runs as asked, and says it cannot tell.
		expect_status 0
		grep -q 'cannot tell whether the driver of em0 transmits XDP frames' "$ERR" ||
			{ em_dump; false; }
	fi

	em_capture sweep --engine auto -v -I "$IFACE" --allow-reserved -q 198.18.0.0/29
	expect_status 0
	grep -q 'xdp-live unavailable on em0, using afxdp' "$ERR" || { em_dump; false; }
	grep -q 'transmit engine: afxdp on em0' "$ERR" || { em_dump; false; }
	[ "$(wc -l <"$OUT")" -eq 8 ] || { em_dump; false; }
	assert_clean
}

@test "auto picks xdp-live where it can run, and -v says so" {
	[[ " $(e2e_engines) " == *" xdp-live "* ]] || skip "xdp-live needs Linux >= 5.18"
	kernel_at_least 6 3 || skip "auto picks xdp-live only where the driver says it transmits XDP frames (Linux >= 6.3)"
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/24 --ttl 61 --silent-mod 7

	em_capture sweep --engine auto -v -I "$IFACE" --allow-reserved -q 198.18.0.0/24
	expect_status 0
	grep -q 'transmit engine: xdp-live on em0' "$ERR" || { em_dump; false; }
	awk '{ print $1 }' "$OUT" | sort >"$NET_TMP/got"
	xdp_truth 198.18.0.0/24 7 | sort >"$NET_TMP/want"
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	assert_clean
}

@test "two transmit queues: one thread and socket or generator per queue, results exact" {
	require_fixtures xdp_responder
	# This test's own network, with two queues at each end.
	netns_cleanup
	netns_setup --queues 2
	respond_xdp 198.18.0.0/16 --ttl 61 --silent-mod 7

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		em_capture sweep -v -I "$IFACE" --allow-reserved -q --rate 100000 198.18.0.0/16
		expect_status 0
		case $ENGINE in
		afxdp) grep -q 'transmit engine: afxdp on em0, queue 1' "$ERR" || { em_dump; false; } ;;
		xdp-live) grep -q '2 thread(s) on 2 tx queue(s)' "$ERR" || { em_dump; false; } ;;
		esac
		awk '{ print $1, $NF }' "$OUT" | sort >"$NET_TMP/got"
		xdp_truth 198.18.0.0/16 7 | awk '{ print $1, "ttl=61" }' | sort >"$NET_TMP/want"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
	done
	# Asked for more threads than queues: cut down, with a warning.
	em_capture sweep --engine xdp-live --threads 8 -I "$IFACE" --allow-reserved -q 198.18.0.0/24
	if [[ " $(e2e_engines) " == *" xdp-live "* ]]; then
		expect_status 0
		grep -q -- '--threads 8: em0 has 2 transmit queue(s)' "$ERR" || { em_dump; false; }
	fi
	assert_clean
}

# src_count WHAT: the packets of the responder's rule that matches WHAT (ip saddr ... or all).
src_count() {
	in_r nft list chain ip emsrc in |
		awk -v a="$1" 'index($0, a) { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}

@test "-S with four source addresses: every probe from its target's one, all four used, results exact" {
	require_cmd nft
	local a n total sum
	for a in 11 12 13 14; do
		ip -n "$NS_S" addr add "192.0.2.$a/32" dev "$IFACE"
	done
	ip -n "$NS_R" route add 192.0.2.8/29 via "$SRC" dev "$RIFACE"
	respond_kernel 198.18.0.0/24
	# Target index i of 198.18.0.0/24 is its last byte: its source is 192.0.2.(11 + i mod 4).
	in_r nft add table ip emsrc
	in_r nft add chain ip emsrc in '{ type filter hook prerouting priority -300; }'
	in_r nft add rule ip emsrc in ip saddr 192.0.2.8/29 icmp type echo-request counter
	for a in 0 1 2 3; do
		in_r nft add rule ip emsrc in ip saddr "192.0.2.$((11 + a))" \
			ip daddr \& 0.0.0.3 == "0.0.0.$a" icmp type echo-request counter
	done
	range_list 198.18.0.0 198.18.0.255 | sort >"$NET_TMP/want"

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		in_r nft reset counters table ip emsrc >/dev/null
		em_capture sweep -I "$IFACE" -S 192.0.2.11-192.0.2.14 --allow-reserved -q \
			198.18.0.0/24
		expect_status 0
		awk '{ print $1 }' "$OUT" | sort >"$NET_TMP/got"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
		# 64 targets a source (more only for probes sent again), none from another one.
		total=$(src_count 'ip saddr 192.0.2.8/29') sum=0
		for a in 11 12 13 14; do
			n=$(src_count "ip saddr 192.0.2.$a ")
			[ "$n" -ge 64 ] || { in_r nft list ruleset >&2; false; }
			sum=$((sum + n))
		done
		[ "$sum" -eq "$total" ] || { in_r nft list ruleset >&2; false; }
	done

	# An address the interface does not have: no reply could come back to it.
	em_capture sweep -I "$IFACE" -S 192.0.2.99 --allow-reserved -q 198.18.0.0/24
	expect_status 3
	[ "$(cat "$ERR")" = "echomap: --source 192.0.2.99 is not an address of $IFACE" ] ||
		{ em_dump; false; }
	em_capture sweep -S 192.0.2.14-192.0.2.11 --allow-reserved -q 198.18.0.0/24
	expect_status 3
	grep -q "^echomap: bad value '192.0.2.14-192.0.2.11' for --source" "$ERR"
	assert_clean
}
