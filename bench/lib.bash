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

# found FILE [TRUTH]: "found missed invented" of the lines in FILE against TRUTH (sorted; default
# $W/truth).
found() {
	local n missed invented truth=${2:-$W/truth}
	n=$(sort -u "$1" | wc -l)
	missed=$(sort -u "$1" | comm -13 - "$truth" | wc -l)
	invented=$(sort -u "$1" | comm -23 - "$truth" | wc -l)
	echo "$n $missed $invented"
}

# path_drops: "OURS RESPONDER", frames lost so far on the way to the delaying responder: OURS
# on our side of the veth (em0's tx_dropped and rx_missed, the peer's tx_dropped: what ping and
# watch warn about), RESPONDER in its raw socket's receive queue (/proc/net/raw's drops). A
# benchmark takes it before and after a run to say where a probe that never got a reply went.
path_drops() {
	local ours raw
	ours=$(($(link_stat "$NS_S" "$IFACE" tx_dropped) + $(link_stat "$NS_S" "$IFACE" rx_missed_errors) +
		$(link_stat "$NS_R" "$RIFACE" tx_dropped)))
	raw=$(in_r awk 'NR > 1 { n += $NF } END { print n + 0 }' /proc/net/raw)
	echo "$ours $raw"
}
