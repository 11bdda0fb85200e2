#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests of streaming sweeps (`sweep --stream`, always above 2^27 targets): each reply
# as it arrives, repeats flagged, interrupts that keep what was found, --metadata.

bats_require_minimum_version 1.5.0

load ../lib/netns

setup() {
	e2e_setup
}

teardown() {
	e2e_teardown
}

@test "--stream -F json: exactly the answering hosts, each once, zmap's fields, nothing lost" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/16 --ttl 61 --silent-mod 7

	for ENGINE in $(e2e_engines); do
		echo "# engine $ENGINE"
		em_capture sweep -I "$IFACE" --allow-reserved -q --stream -F json --rate 100000 \
			198.18.0.0/16
		expect_status 0
		jq -r 'select(.success and .repeat == false and .ttl == 61 and
			.classification == "echoreply") | .saddr' "$OUT" | sort >"$NET_TMP/got"
		[ "$(wc -l <"$OUT")" -eq "$(wc -l <"$NET_TMP/got")" ] || { em_dump; false; }
		xdp_truth 198.18.0.0/16 7 | sort >"$NET_TMP/want"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
		grep -q "65536 targets, $(wc -l <"$NET_TMP/want") alive .* 0 lost" "$ERR" ||
			{ em_dump; false; }
	done
	assert_clean
}

@test "--stream into a reader that stalls: replies beyond the ring are lost, their targets probed again, every host once" {
	# A million replies to outrun a 16 MB ring: not under an emulated CPU.
	require_real_time
	require_fixtures xdp_responder
	ip -n "$NS_S" route replace 240.0.0.0/12 via "$GW" dev "$IFACE"
	respond_xdp 240.0.0.0/12 --silent-mod 7

	# The reader takes nothing until the sending is over: the writer blocks on the pipe, the
	# ring's 512 Ki events fill, and the first replies of the other answering targets are lost.
	OUT=$NET_TMP/out ERR=$NET_TMP/err
	# --all lists the silent ones at the end, from the kernel's states of the whole set.
	in_s "$ECHOMAP" sweep -I "$IFACE" --allow-reserved -v -q --stream --all -F csv --rate 0 \
		240.0.0.0/12 2>"$ERR" | {
		until grep -q "sent [0-9]* probes" "$ERR"; do sleep 0.1; done
		cat
	} >"$OUT"
	# CSV: saddr,name,rtt_us,ttl,classification,success,repeat,...
	awk -F, 'NR > 1 && $5 == "echoreply" && $7 == 0 { print $1 }' "$OUT" | sort >"$NET_TMP/got"
	xdp_truth 240.0.0.0/12 7 | sort >"$NET_TMP/want"
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	local alive
	alive=$(wc -l <"$NET_TMP/want")
	awk -F, 'NR > 1 && $5 == "timeout" { print $1 }' "$OUT" | sort >"$NET_TMP/got"
	xdp_truth 240.0.0.0/12 7 silent | sort >"$NET_TMP/want"
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	[ "$(wc -l <"$OUT")" -eq $((1048576 + 1)) ] || { em_dump; false; }
	# Probed again in a pass of their own, or with our interface's drops if there were some.
	grep -q "replies found the ring buffer full: their targets were probed again" "$ERR" ||
		{ em_dump; false; }
	grep -q "1048576 targets, $alive alive .* [1-9][0-9]* lost" "$ERR" ||
		{ em_dump; false; }
	assert_clean
}

@test "--stream -n 2 --repeats: every host's second reply is a repeat, flagged" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/20 --silent-mod 5

	# At a rate the slowest link (a 6.1 guest under emulation) carries without loss: both
	# probes of every host must arrive.
	em_capture sweep -I "$IFACE" --allow-reserved -q --stream -n 2 --repeats -F csv \
		--rate 20000 198.18.0.0/20
	expect_status 0
	xdp_truth 198.18.0.0/20 5 | sort >"$NET_TMP/want"
	# CSV: saddr,name,rtt_us,ttl,classification,success,repeat,...
	awk -F, 'NR > 1 && $7 == 0 { print $1 }' "$OUT" | sort >"$NET_TMP/first"
	awk -F, 'NR > 1 && $7 == 1 { print $1 }' "$OUT" | sort >"$NET_TMP/repeat"
	same_lines "$NET_TMP/want" "$NET_TMP/first"
	same_lines "$NET_TMP/want" "$NET_TMP/repeat"
	# Without --repeats, only the first.
	em_capture sweep -I "$IFACE" --allow-reserved -q --stream -n 2 --rate 20000 198.18.0.0/20
	expect_status 0
	awk '{ print $1 }' "$OUT" | sort >"$NET_TMP/got"
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	assert_clean
}

@test "--stream: the first lines reach a pipe while the sweep is still sending" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/16 --silent-mod 7
	mkfifo "$NET_TMP/pipe"

	# 65536 probes at 5000/s: about 13 s of sending. echomap -v says "sent N probes in"
	# when the sending ends; a line read from the pipe while that is not yet said was
	# delivered during the sending. No time is measured, only that order.
	ip netns exec "$NS_S" "$ECHOMAP" sweep -I "$IFACE" --allow-reserved -q -v --stream \
		-F json --rate 5000 198.18.0.0/16 >"$NET_TMP/pipe" 2>"$NET_TMP/err" &
	local pid=$! line
	track_pid "$pid"
	exec 5<"$NET_TMP/pipe"
	read -r line <&5
	if grep -q 'sent .* probes in' "$NET_TMP/err"; then
		echo "first line only after the sending: $line" >&2
		cat "$NET_TMP/err" >&2
		false
	fi
	echo "$line" | jq -e '.success and .repeat == false' >/dev/null
	# The rest still comes, and the sweep ends normally.
	cat <&5 >"$NET_TMP/rest"
	exec 5<&-
	wait "$pid"
	[ $(($(wc -l <"$NET_TMP/rest") + 1)) -eq "$(xdp_truth 198.18.0.0/16 7 | wc -l)" ]
	assert_clean
}

# The temporary file of -o FILE has lines in it.
_partial_written() {
	local f
	for f in "$NET_TMP"/hosts.tmp.*; do
		[ -s "$f" ] && return 0
	done
	return 1
}

@test "--stream: SIGINT stops the sending, keeps what was found in -o FILE, says interrupted" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/16 --silent-mod 7
	xdp_truth 198.18.0.0/16 7 | sort >"$NET_TMP/want"

	ip netns exec "$NS_S" "$ECHOMAP" sweep -I "$IFACE" --allow-reserved -q --stream \
		--rate 5000 --wait 500 --metadata "$NET_TMP/meta.json" -o "$NET_TMP/hosts" \
		198.18.0.0/16 2>"$NET_TMP/err" &
	local pid=$! status=0
	track_pid "$pid"
	# Interrupted once replies have come in (the ring is drained into the file every 100 ms).
	wait_for 60 _partial_written
	kill -INT "$pid"
	wait "$pid" || status=$?
	cat "$NET_TMP/err" >&2
	[ "$status" -eq 1 ]
	grep -q 'interrupted after [0-9]* probes' "$NET_TMP/err"
	grep -q ', interrupted$' "$NET_TMP/err"
	# Complete lines of live hosts only, each once, fewer than the whole set.
	awk '{ print $1 }' "$NET_TMP/hosts" | sort >"$NET_TMP/got"
	[ -s "$NET_TMP/got" ]
	[ -z "$(comm -13 "$NET_TMP/want" "$NET_TMP/got")" ]
	[ "$(sort -u "$NET_TMP/got" | wc -l)" -eq "$(wc -l <"$NET_TMP/got")" ]
	[ "$(wc -l <"$NET_TMP/got")" -lt "$(wc -l <"$NET_TMP/want")" ]
	jq -e '.interrupted and (.complete | not) and .probes < 65536 and
		.alive == '"$(wc -l <"$NET_TMP/got")" "$NET_TMP/meta.json"
	assert_clean
}

@test "--metadata FILE: what the run was and what it found, as one JSON object" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/20 --silent-mod 7

	em_capture sweep -I "$IFACE" --allow-reserved -q --seed 7 --rate 20000 \
		--metadata "$NET_TMP/meta.json" 198.18.0.0/20
	expect_status 0
	local alive
	alive=$(xdp_truth 198.18.0.0/20 7 | wc -l)
	jq -e --arg ifc "$IFACE" --arg k "$(uname -r)" '
		(.echomap_version | length > 0) and (.kernel | endswith($k)) and
		.interface == $ifc and .seed == "7" and .shards == 1 and .targets == 4096 and
		(.targets_digest | test("^[0-9a-f]{16}$")) and .rate_asked == 20000 and
		.rate_achieved > 0 and .probes == 4096 and .replies == '"$alive"' and
		.alive == '"$alive"' and .results_written == '"$alive"' and
		.results_spilled == 0 and .duplicates == 0 and .invalid == 0 and .lost == 0 and
		.complete and (.interrupted | not) and .start <= .end and
		(.engine | IN("afxdp", "raw", "xdp-live"))' "$NET_TMP/meta.json" ||
		{ cat "$NET_TMP/meta.json" >&2; false; }
	# The same set spelled otherwise has the same digest; another set another one.
	em_capture sweep -I "$IFACE" --allow-reserved -q --stream \
		--metadata "$NET_TMP/meta2.json" 198.18.0.0-198.18.7.255 198.18.8.0/21
	expect_status 0
	[ "$(jq -r .targets_digest "$NET_TMP/meta.json")" = \
		"$(jq -r .targets_digest "$NET_TMP/meta2.json")" ]
	em_capture sweep -I "$IFACE" --allow-reserved -q --metadata "$NET_TMP/meta3.json" \
		198.18.0.0/21
	[ "$(jq -r .targets_digest "$NET_TMP/meta.json")" != \
		"$(jq -r .targets_digest "$NET_TMP/meta3.json")" ]
	assert_clean
}

# resume_walk FILE: the walk line of a resume state ("walk n p g cur left").
resume_walk() { sed -n 's/^walk //p' "$1" 2>/dev/null; }

# A checkpoint newer than the first one, that is: the walk has moved in FILE since WALK.
_walk_moved() { [ -n "$(resume_walk "$1")" ] && [ "$(resume_walk "$1")" != "$2" ]; }

@test "--resume: an interrupted sweep and its resumption are one uninterrupted sweep, exactly" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/18 --silent-mod 7
	xdp_truth 198.18.0.0/18 7 | sort >"$NET_TMP/want"

	ip netns exec "$NS_S" "$ECHOMAP" sweep -I "$IFACE" --allow-reserved -q --rate 2000 \
		--resume "$NET_TMP/state" -o "$NET_TMP/part1" 198.18.0.0/18 2>"$NET_TMP/err1" &
	local pid=$! status=0 first
	track_pid "$pid"
	wait_for 60 test -s "$NET_TMP/state"
	first=$(resume_walk "$NET_TMP/state")
	wait_for 60 _walk_moved "$NET_TMP/state" "$first"
	kill -INT "$pid"
	wait "$pid" || status=$?
	cat "$NET_TMP/err1" >&2
	[ "$status" -eq 1 ]
	grep -q '^complete 0$' "$NET_TMP/state"

	em_capture sweep -I "$IFACE" --allow-reserved -q --resume "$NET_TMP/state" \
		-o "$NET_TMP/part2" 198.18.0.0/18
	expect_status 0
	grep -q '^complete 1$' "$NET_TMP/state"
	[ -s "$NET_TMP/part1" ] && [ -s "$NET_TMP/part2" ]
	cat "$NET_TMP/part1" "$NET_TMP/part2" | awk '{ print $1 }' | sort >"$NET_TMP/got"
	same_lines "$NET_TMP/want" "$NET_TMP/got"

	# Complete: nothing left to do. Another set, or other options, are refused.
	em_capture sweep -I "$IFACE" --allow-reserved -q --resume "$NET_TMP/state" 198.18.0.0/18
	expect_status 0
	grep -q 'complete, nothing left' "$ERR"
	sed -i 's/^complete 1$/complete 0/' "$NET_TMP/state"
	em_capture sweep -I "$IFACE" --allow-reserved -q --resume "$NET_TMP/state" 198.18.0.0/19
	expect_status 3
	grep -q 'another target set' "$ERR"
	em_capture sweep -I "$IFACE" --allow-reserved -q --resume "$NET_TMP/state" -n 2 \
		198.18.0.0/18
	expect_status 3
	assert_clean
}

@test "--resume after kill -9: the checkpoint lets the resumed sweep find every live host" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/18 --silent-mod 7
	xdp_truth 198.18.0.0/18 7 | sort >"$NET_TMP/want"

	ip netns exec "$NS_S" "$ECHOMAP" sweep -I "$IFACE" --allow-reserved -q --rate 2000 \
		--resume "$NET_TMP/state" 198.18.0.0/18 >"$NET_TMP/part1" 2>"$NET_TMP/err1" &
	local pid=$! first
	track_pid "$pid"
	wait_for 60 test -s "$NET_TMP/state"
	first=$(resume_walk "$NET_TMP/state")
	wait_for 60 _walk_moved "$NET_TMP/state" "$first"
	# echomap itself, not the ip netns exec around it (which execs it: the same pid).
	kill -9 "$pid"
	wait "$pid" || true
	grep -q '^complete 0$' "$NET_TMP/state"

	em_capture sweep -I "$IFACE" --allow-reserved -q --resume "$NET_TMP/state" 198.18.0.0/18
	expect_status 0
	cp "$OUT" "$NET_TMP/part2"
	cat "$NET_TMP/part1" "$NET_TMP/part2" | awk '{ print $1 }' | sort -u >"$NET_TMP/got"
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	# Both pieces did part of the work: the checkpoint was neither the start nor the end.
	[ "$(wc -l <"$NET_TMP/part2")" -lt "$(wc -l <"$NET_TMP/want")" ]
	[ -s "$NET_TMP/part1" ]
	assert_clean
}

@test "--stream into a reader that goes away (head -1): the sweep stops, nothing stays attached" {
	require_fixtures xdp_responder
	respond_xdp 198.18.0.0/16 --silent-mod 7

	# 65536 probes at 5000/s would take about 13 s: the stop comes long before the end.
	ip netns exec "$NS_S" "$ECHOMAP" sweep -I "$IFACE" --allow-reserved -q --stream -F json \
		--rate 5000 --wait 100 198.18.0.0/16 2>"$NET_TMP/err" | head -1 >"$NET_TMP/first"
	cat "$NET_TMP/err" >&2
	jq -e .success "$NET_TMP/first" >/dev/null
	grep -q 'the output was closed: stopping' "$NET_TMP/err"
	local n
	n=$(sed -n 's/.*interrupted after \([0-9]*\) probes.*/\1/p' "$NET_TMP/err")
	[ -n "$n" ] && [ "$n" -lt 65536 ]
	assert_clean
}
