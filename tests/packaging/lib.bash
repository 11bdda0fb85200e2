# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Shared by the packaging tests: where things are, and the option sets of --help and the man
# pages, one option per line, sorted.

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
ECHOMAP=${ECHOMAP:-$ROOT/.output/echomap}
MAN_DIR=${MAN_DIR:-$ROOT/.output/man}
COMMANDS="sweep ping watch map trace"

require_built() {
	[ -x "$ECHOMAP" ] || skip "$ECHOMAP not built (make all)"
	[ -f "$MAN_DIR/echomap.8" ] || skip "man pages not built (make man)"
}

# option_tokens < LINES: every -x and --long-name in option-definition lines.
option_tokens() {
	grep -oE '(^|[ ,])--?[A-Za-z][A-Za-z0-9.-]*[A-Za-z0-9]|(^|[ ,])-[A-Za-z0-9]' | tr -d ' ,' | sort -u
}

# help_options [COMMAND]: the options `echomap [COMMAND] --help` lists (the part of each
# option line before its description).
help_options() {
	"$ECHOMAP" ${1:+"$1"} --help | grep -E '^ {2,6}-' | sed -E 's/^ +//; s/  .*//' |
		option_tokens
}

# man_options PAGE: the options a page defines (the tagged paragraphs of its OPTIONS).
man_options() {
	MANWIDTH=200 man -l "$MAN_DIR/$1.8" 2>/dev/null | grep -E '^       -' | option_tokens
}

# same_set WANT_NAME WANT GOT_NAME GOT: equal sets of lines, else what each lacks.
same_set() {
	if [ "$2" != "$4" ]; then
		echo "in $1, not in $3:" >&2
		comm -23 <(echo "$2") <(echo "$4") >&2
		echo "in $3, not in $1:" >&2
		comm -13 <(echo "$2") <(echo "$4") >&2
		return 1
	fi
}
