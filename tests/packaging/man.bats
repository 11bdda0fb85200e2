#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# The man pages built from docs/man/*.scd: each renders without warnings, and documents exactly
# the options its command's --help lists.

load lib

setup() {
	require_built
	command -v man >/dev/null || skip "man not installed"
}

@test "every page renders with man -l without a warning" {
	local page n=0 warn
	for page in "$MAN_DIR"/*.8; do
		warn=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
		[ -z "$warn" ] || { echo "$page: $warn" >&2; false; }
		n=$((n + 1))
	done
	[ "$n" -eq 5 ]
}

@test "echomap-COMMAND(8) defines exactly the options of echomap COMMAND --help" {
	local cmd help man
	for cmd in $COMMANDS; do
		help=$(help_options "$cmd")
		man=$(man_options "echomap-$cmd")
		[ "$(echo "$help" | wc -l)" -ge 8 ]
		same_set "echomap $cmd --help" "$help" "echomap-$cmd(8)" "$man"
	done
}

@test "echomap(8) defines only options of echomap --help; every one is in some page" {
	local help all page
	help=$(help_options)
	same_set "echomap(8)" "$(man_options echomap)" "echomap --help" \
		"$(comm -12 <(man_options echomap) <(echo "$help"))"
	all=$(for page in echomap echomap-sweep echomap-ping echomap-watch echomap-map; do
		man_options "$page"
	done | sort -u)
	same_set "echomap --help" "$help" "the man pages" "$all"
}

@test "each page names the exit codes, its signals and its files" {
	local page text
	for page in echomap echomap-sweep echomap-ping echomap-watch echomap-map; do
		text=$(MANWIDTH=200 man -l "$MAN_DIR/$page.8" 2>/dev/null)
		for section in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" FILES SIGNALS "SEE ALSO"; do
			grep -q "^$section\$" <<<"$text" || { echo "$page: no $section" >&2; false; }
		done
	done
	text=$(MANWIDTH=200 man -l "$MAN_DIR/echomap.8" 2>/dev/null)
	for code in 0 1 2 3 4; do
		grep -qE "^       $code\$" <<<"$text" || { echo "echomap(8): exit $code" >&2; false; }
	done
	grep -q SIGHUP <<<"$(MANWIDTH=200 man -l "$MAN_DIR/echomap-watch.8")"
}

@test "the pages carry the version of --version" {
	local v
	v=$(cat "$ROOT/VERSION")
	"$ECHOMAP" --version | grep -q "^echomap $v (commit "
	MANWIDTH=80 man -l "$MAN_DIR/echomap.8" 2>/dev/null | tail -1 | grep -q "echomap $v"
}

@test "an option echomap COMMAND --help does not list is refused by COMMAND (exit 3)" {
	local cmd opt all mine
	all=$(help_options | grep -- '^--')
	for cmd in $COMMANDS; do
		mine=$(help_options "$cmd")
		for opt in $(comm -23 <(echo "$all") <(echo "$mine")); do
			run "$ECHOMAP" "$cmd" "$opt" 1 198.18.0.1
			[ "$status" -eq 3 ] && [[ $output == *"does not take $opt"* ]] || {
				echo "echomap $cmd $opt: status $status: $output" >&2
				false
			}
		done
	done
}

@test "every option echomap COMMAND --help lists is taken by COMMAND" {
	local cmd opt
	for cmd in $COMMANDS; do
		for opt in $(help_options "$cmd"); do
			# A value for the options that want one; --help ends the parse before anything runs.
			run "$ECHOMAP" "$cmd" "$opt" 1 --help
			[[ $output != *"does not take"* ]] || { echo "echomap $cmd $opt: $output" >&2; false; }
		done
	done
}
