#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# Refusals (DESIGN §6, §7): bad usage exits 3, a system error (interface, privileges) exits 4,
# each with exactly one line on stderr, nothing on stdout, and nothing attached afterwards.

bats_require_minimum_version 1.5.0

load ../lib/netns

setup() {
	e2e_setup
}

teardown() {
	e2e_teardown
}

# refused STATUS ARGS...: echomap ARGS... exits STATUS with one line on stderr and no output.
refused() {
	local want=$1
	shift
	em_capture "$@"
	expect_status "$want"
	[ "$(wc -l <"$ERR")" -eq 1 ] || {
		echo "expected exactly one line on stderr" >&2
		em_dump
		false
	}
	[ -s "$ERR" ]
	[ ! -s "$OUT" ] || { em_dump; false; }
	assert_clean
}

@test "malformed prefix 198.18.0.1/33: exit 3" {
	refused 3 sweep -I "$IFACE" --allow-reserved 198.18.0.1/33
	grep -q '198\.18\.0\.1/33' "$ERR"
}

@test "malformed address 1.2.3: exit 3" {
	refused 3 sweep -I "$IFACE" --allow-reserved 1.2.3
	grep -q '1\.2\.3' "$ERR"
}

@test "a set that the default blocklist empties: exit 3" {
	refused 3 sweep -I "$IFACE" 198.18.0.0/24
}

@test "a single reserved address without --allow-reserved is refused, not dropped: exit 3" {
	refused 3 sweep -I "$IFACE" 198.18.0.1
	grep -q '198\.18\.0\.1' "$ERR"
	refused 3 ping -I "$IFACE" -c 1 198.18.0.1
}

@test "--ttl 0: exit 3" {
	refused 3 sweep -I "$IFACE" --allow-reserved --ttl 0 198.18.0.0/24
}

@test "--ttl 256: exit 3" {
	refused 3 sweep -I "$IFACE" --allow-reserved --ttl 256 198.18.0.0/24
}

@test "--size 100000: exit 3" {
	refused 3 sweep -I "$IFACE" --allow-reserved --size 100000 198.18.0.0/24
}

@test "--rate -5: exit 3" {
	refused 3 sweep -I "$IFACE" --allow-reserved --rate -5 198.18.0.0/24
}

@test "--shard outside --shards: exit 3" {
	refused 3 sweep -I "$IFACE" --allow-reserved --shards 3 --shard 3 198.18.0.0/24
}

@test "unknown option and unknown subcommand: exit 3" {
	refused 3 sweep -I "$IFACE" --allow-reserved --no-such-option 198.18.0.0/24
	refused 3 no-such-command 198.18.0.0/24
}

@test "unknown interface -I nosuchif0: exit 4" {
	refused 4 sweep -I nosuchif0 --allow-reserved 198.18.0.0/24
	grep -q nosuchif0 "$ERR"
}

@test "without privileges (user nobody, no capabilities): exit 4, and says why" {
	require_cmd setpriv
	local bin=$ECHOMAP dir

	# nobody must be able to reach the binary at all, or we would test the shell's 126.
	if ! setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$bin"; then
		dir=$NET_TMP/bin
		mkdir -p "$dir"
		cp "$ECHOMAP" "$dir/echomap"
		chmod 755 "$dir" "$dir/echomap"
		bin=$dir/echomap
	fi
	OUT=$NET_TMP/out ERR=$NET_TMP/err EM_STATUS=0
	ip netns exec "$NS_S" setpriv --reuid=65534 --regid=65534 --clear-groups \
		--inh-caps=-all --bounding-set=-all -- "$bin" sweep -I "$IFACE" --allow-reserved \
		198.18.0.0/24 >"$OUT" 2>"$ERR" || EM_STATUS=$?
	expect_status 4
	[ "$(wc -l <"$ERR")" -eq 1 ] || { em_dump; false; }
	grep -Eiq 'permi|privileg|root|capabilit|CAP_' "$ERR" || { em_dump; false; }
	[ ! -s "$OUT" ]
	assert_clean
}
