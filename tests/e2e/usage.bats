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

@test "an option its command does not take is refused, not ignored: exit 3, naming both" {
	local cases=(
		"ping|--shards 2" "ping|--shard 1" "ping|--all" "ping|--resend 1" "ping|-w 5"
		"ping|--threads 2" "ping|--seed 1" "ping|-r 5" "ping|-n 2" "ping|--every 5"
		"ping|--listen :9100" "ping|--prefix 0.0.0.0/0" "ping|--title x"
		"sweep|--listen :9100" "sweep|--every 5" "sweep|--aggregate /24" "sweep|--buckets 0.1"
		"sweep|--snapshot-dir /tmp" "sweep|--keep 5" "sweep|-c 3" "sweep|-p 100" "sweep|-t 100"
		"sweep|--prefix 0.0.0.0/0" "sweep|--title x"
		"watch|-o out" "watch|-F csv" "watch|--threads 2" "watch|-w 5" "watch|--resend 1"
		"watch|--shards 2" "watch|--all" "watch|-c 3" "watch|-p 100" "watch|--title x"
		"map|-I em0" "map|-S 192.0.2.1" "map|--ttl 5" "map|-r 5" "map|-q" "map|--engine raw"
		"map|--xdp-mode native"
		"map|-m" "map|--blocklist f" "map|--allowlist f" "map|--allow-reserved" "map|-c 3"
		"map|--every 5" "map|-t 100"
		"trace|--ttl 5" "trace|-n 2" "trace|--all" "trace|--threads 2"
		"trace|-c 3" "trace|-t 100" "trace|--every 5" "sweep|--flows 2" "sweep|--paths"
		"ping|--min-ttl 2" "watch|--stop-early" "map|--max-ttl 5"
		"watch|-4" "watch|-6" "trace|-4" "trace|--ipv6" "map|-6"
	)
	local c cmd opt long
	for c in "${cases[@]}"; do
		cmd=${c%%|*} opt=${c#*|}
		long=$(sed -e 's/^-I\b.*/--interface/; s/^-S\b.*/--source/; s/^-r\b.*/--rate/' \
			-e 's/^-n\b.*/--probes/' \
			-e 's/^-w\b.*/--wait/; s/^-c\b.*/--count/; s/^-p\b.*/--period/' \
			-e 's/^-t\b.*/--timeout/; s/^-o\b.*/--output/; s/^-F\b.*/--format/' \
			-e 's/^-q$/--quiet/; s/^-m$/--all-addresses/; s/ .*//' \
			-e 's/^-4$/--ipv4/; s/^-6$/--ipv6/' <<<"$opt")
		# shellcheck disable=SC2086
		refused 3 "$cmd" $opt 198.18.0.1
		grep -qx "echomap: $cmd does not take $long (try: echomap $cmd --help)" "$ERR" ||
			{ echo "$cmd $opt: $(cat "$ERR")" >&2; false; }
	done
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
