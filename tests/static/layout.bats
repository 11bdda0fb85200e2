#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The tree keeps the layering docs/architecture.md states: every #include "..." of a folder is
# one the table there allows.

ROOT=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

# includes DIR: "file: header" for every project header the files directly in DIR include.
includes() {
	local f
	for f in "$ROOT/$1"/*.[ch]; do
		[ -e "$f" ] || continue
		sed -n 's/^#include "\(.*\)"/\1/p' "$f" | sed "s|^|${f#"$ROOT"/}: |"
	done
}

# allowed DIR REGEX: every header DIR's files include matches REGEX (or is DIR's own).
allowed() {
	local dir=$1 re=$2 own=${1#user/} bad
	bad=$(includes "$dir" | awk -F': ' -v re="$re" -v own="$own/" \
		'index($2, own) != 1 && $2 !~ ("^(" re ")$") { print }')
	[ -z "$bad" ] || { printf '%s includes what it may not:\n%s\n' "$dir" "$bad" >&2; false; }
}

@test "include/ uses nothing of ours but itself; bpf/ only include/" {
	allowed include 'echomap_[a-z]+\.h'
	allowed bpf 'echomap_[a-z]+\.h|maps\.h|parse\.h|parse_ipv6\.h|permute\.h'
}

@test "lib, targets, names and map know nothing of the kernel, the engines or a command" {
	allowed user/lib 'lib/[a-z0-9_]+\.h'
	allowed user/targets 'lib/[a-z0-9_]+\.h|names/resolve\.h'
	allowed user/names 'lib/[a-z0-9_]+\.h|targets/[a-z0-9_]+\.h'
	allowed user/map 'lib/[a-z0-9_]+\.h'
	! grep -l '<bpf/\|<xdp/' "$ROOT"/user/{lib,targets,names,map}/*.[ch] | grep -v bpf_map
}

@test "outputs, kernel glue and engines know no command and open no session" {
	allowed user/report \
		'lib/[a-z0-9_]+\.h|targets/[a-z0-9_]+\.h|conf/web_config\.h|echomap_[a-z]+\.h|config\.h'
	allowed user/kernel \
		'lib/[a-z0-9_]+\.h|targets/[a-z0-9_]+\.h|echomap_[a-z]+\.h|[a-z]+\.skel\.h|config\.h|tx/frame\.h'
	allowed user/tx 'lib/[a-z0-9_]+\.h|targets/[a-z0-9_]+\.h|kernel/[a-z0-9_]+\.h|echomap_[a-z]+\.h|config\.h'
	allowed user/conf 'lib/[a-z0-9_]+\.h|targets/[a-z0-9_]+\.h|report/series\.h|echomap_[a-z]+\.h|config\.h'
	allowed user/tx/engines \
		'tx/[a-z0-9_]+\.h|kernel/[a-z0-9_]+\.h|lib/[a-z0-9_]+\.h|echomap_[a-z]+\.h|config\.h'
}

@test "every folder of user/ is in docs/architecture.md, and every folder it names exists" {
	local d
	for d in $(cd "$ROOT" && find user -mindepth 1 -type d | sort); do
		grep -q "| \`$d/\` |" "$ROOT/docs/architecture.md" || { echo "$d not documented" >&2; false; }
	done
	for d in $(grep -o '^| `user/[a-z/]*/`' "$ROOT/docs/architecture.md" | tr -d '|` '); do
		[ -d "$ROOT/$d" ] || { echo "$d documented, not in the tree" >&2; false; }
	done
}
