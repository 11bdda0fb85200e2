# SPDX-License-Identifier: GPL-2.0
# What the benchmark scripts share; sourced after tests/lib/netns.bash, from the project root.

# bench_need COMMAND[:PACKAGE]...: installs the Debian package of each missing command (PACKAGE
# defaults to COMMAND), so a script also runs on its own, outside make bench. Then checks that
# echomap is built.
bench_need() {
	local c pkgs=()
	for c in "$@"; do
		command -v "${c%%:*}" >/dev/null || pkgs+=("${c#*:}")
	done
	if [ ${#pkgs[@]} -gt 0 ]; then
		apt-get update -qq &&
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null
	fi
	[ -x "$ECHOMAP" ] || { echo "bench: $ECHOMAP not built (make all)" >&2; exit 1; }
}

# found FILE: "found missed invented" of the addresses in FILE against $W/truth (sorted).
found() {
	local n missed invented
	n=$(sort -u "$1" | wc -l)
	missed=$(sort -u "$1" | comm -13 - "$W/truth" | wc -l)
	invented=$(sort -u "$1" | comm -23 - "$W/truth" | wc -l)
	echo "$n $missed $invented"
}
