#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# echomap --version and COMMAND --version: the VERSION file's version, the commit, the libbpf
# in use and the libxdp built against.

load lib

setup() {
	require_built
}

@test "--version: version, commit, libbpf and libxdp; exit 0; the same after a command" {
	local out v
	v=$(cat "$ROOT/VERSION")
	out=$("$ECHOMAP" --version)
	[ "$(wc -l <<<"$out")" -eq 3 ]
	grep -qE "^echomap $v \(commit ([0-9a-f]{7,}|unknown)\)\$" <<<"$out"
	grep -qE '^libbpf [0-9]+\.[0-9]+ \(built against [0-9.]+\)$' <<<"$out"
	grep -qE '^libxdp [0-9.]+ at build time' <<<"$out"
	for cmd in $COMMANDS; do
		[ "$("$ECHOMAP" "$cmd" --version)" = "$out" ]
	done
}

@test "--version names the libbpf the dynamic linker loaded" {
	local lib so
	# The file libbpf.so.1 resolves to carries its full version: 1.1.2 reports 1.1.
	so=$(ldd "$ECHOMAP" | awk '$1 == "libbpf.so.1" { print $3 }')
	[ -n "$so" ] || skip "libbpf not dynamically linked"
	lib=$(readlink -f "$so" | sed -E 's/.*\.so\.([0-9]+\.[0-9]+).*/\1/')
	"$ECHOMAP" --version | grep -q "^libbpf $lib "
}

@test "another commit recompiles only version.c, then relinks" {
	local out
	# make -n runs no recipe, so build_info.h counts as rewritten: what depends on it shows.
	out=$(make -C "$ROOT" -n EM_COMMIT=0123456789ab .output/echomap)
	[ "$(grep -oE -- ' -c [^ ]+\.c' <<<"$out")" = " -c user/cmd/version.c" ] || {
		echo "$out" >&2
		false
	}
	grep -q -- '-o \.output/echomap' <<<"$out"
	grep -q 'EM_COMMIT "%s"' <<<"$out"
}
