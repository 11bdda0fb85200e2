#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests of `echomap trace` on a chain of kernel routers of known topology
# (tests/lib/trace_topo.bash): every hop found with its router's address, the silent hop
# silent, the refused and the blackholed branch where they end.

bats_require_minimum_version 1.5.0

load ../lib/netns
load ../lib/trace_topo

setup() {
	e2e_setup
	topo_setup
}

teardown() {
	topo_cleanup
	e2e_teardown
}

# The trace's text lines without their RTT, sorted, against the truth of TOPO_TARGETS.
hops_of() { awk '{ $4 = ""; print }' "$1" | tr -s ' ' | sort; }

truth() {
	local t
	for t in $TOPO_TARGETS; do
		topo_truth "$t" "$1"
	done | sort
}

@test "trace finds every hop of the chain with its router, and only those" {
	truth 8 >"$NET_TMP/want"
	for ENGINE in afxdp raw; do
		echo "# engine $ENGINE"
		em_capture trace -I "$IFACE" --allow-reserved -q --max-ttl 8 $TOPO_TARGETS
		expect_status 0
		# Every line: "198.18.5.1 ttl=4 from=192.0.2.14 rtt=0.081ms timxceed code=0".
		if grep -Evn '^198\.18\.[0-9.]+ ttl=[0-9]+ from=[0-9.]+ rtt=[0-9]+\.[0-9]{3}ms (timxceed|echoreply|unreach) code=[0-9]+$' \
			"$OUT" | head -5 | grep .; then
			echo "malformed lines above" >&2
			false
		fi
		hops_of "$OUT" >"$NET_TMP/got"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
		grep -q "4 targets, 32 probes (0 resent, 0 skipped), $(wc -l <"$NET_TMP/want") hop replies, 2 of 4 paths reached" "$ERR" ||
			{ em_dump; false; }
	done
	assert_clean
}

@test "trace --paths: one path per target, * for the silent hop, where each one ends" {
	em_capture trace -I "$IFACE" --allow-reserved -q --paths $TOPO_TARGETS
	expect_status 0
	cat >"$NET_TMP/want" <<-EOF
		198.18.2.1 reached hops=2: 192.0.2.2 198.18.2.1
		198.18.5.1 reached hops=5: 192.0.2.2 192.0.2.6 * 192.0.2.14 198.18.5.1
		198.18.7.1 incomplete hops=2: 192.0.2.2 192.0.2.6
		198.18.9.1 unreachable hops=3: 192.0.2.2 192.0.2.6 192.0.2.6
	EOF
	diff -u "$NET_TMP/want" "$OUT"
	# The default TTLs 1..32, every one probed.
	grep -q "4 targets, 128 probes (0 resent, 0 skipped)" "$ERR" || { em_dump; false; }

	em_capture trace -I "$IFACE" --allow-reserved -q --paths -F json $TOPO_TARGETS
	expect_status 0
	[ "$(jq -c 'select(.target == "198.18.5.1") | [.status, .hops, .path]' "$OUT")" = \
		'["reached",5,["192.0.2.2","192.0.2.6",null,"192.0.2.14","198.18.5.1"]]' ]
	[ "$(jq -r .status "$OUT" | sort | tr '\n' ' ')" = "incomplete reached reached unreachable " ]

	em_capture trace -I "$IFACE" --allow-reserved -q --paths -F csv $TOPO_TARGETS
	expect_status 0
	[ "$(head -1 "$OUT")" = "target,flow,status,hops,path" ]
	grep -qx '198.18.5.1,0,reached,5,192.0.2.2 192.0.2.6 \* 192.0.2.14 198.18.5.1' "$OUT"
	assert_clean
}

@test "trace -F json and -F csv carry the same hops as the text lines" {
	truth 6 >"$NET_TMP/want"
	em_capture trace -I "$IFACE" --allow-reserved -q --max-ttl 6 -F json $TOPO_TARGETS
	expect_status 0
	jq -r '"\(.target) ttl=\(.ttl) from=\(.from) \(.classification) code=\(.icmp_code)"' \
		"$OUT" | sort >"$NET_TMP/got"
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	# A time exceeded is type 11, an unreachable type 3; the router's reply has its own TTL.
	[ "$(jq -r 'select(.classification == "timxceed") | .icmp_type' "$OUT" | sort -u)" = 11 ]
	[ "$(jq -r 'select(.classification == "unreach") | .icmp_type' "$OUT" | sort -u)" = 3 ]
	[ "$(jq 'select(.reply_ttl < 1 or .rtt_us < 0)' "$OUT")" = "" ]

	em_capture trace -I "$IFACE" --allow-reserved -q --max-ttl 6 -F csv -o "$NET_TMP/hops.csv" \
		$TOPO_TARGETS
	expect_status 0
	[ "$(head -1 "$NET_TMP/hops.csv")" = \
		"target,flow,ttl,from,rtt_us,classification,icmp_type,icmp_code,reply_ttl" ]
	awk -F, 'NR > 1 { print $1, "ttl=" $3, "from=" $4, $6, "code=" $8 }' "$NET_TMP/hops.csv" |
		sort >"$NET_TMP/got"
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	assert_clean
}

@test "trace --shards: disjoint slices whose union is the whole trace" {
	truth 8 >"$NET_TMP/want"
	: >"$NET_TMP/union"
	for k in 0 1 2; do
		em_capture trace -I "$IFACE" --allow-reserved -q --max-ttl 8 --seed 7 --shards 3 \
			--shard "$k" $TOPO_TARGETS
		expect_status 0
		hops_of "$OUT" >>"$NET_TMP/union"
		grep -Eo '[0-9]+ probes' "$ERR" | head -1 >>"$NET_TMP/probes"
	done
	sort "$NET_TMP/union" >"$NET_TMP/got"
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	[ "$(awk '{ n += $1 } END { print n }' "$NET_TMP/probes")" -eq 32 ]
	assert_clean
}

@test "trace --stop-early finds the same paths with fewer probes" {
	em_capture trace -I "$IFACE" --allow-reserved -q --paths $TOPO_TARGETS
	expect_status 0
	cp "$OUT" "$NET_TMP/all"
	em_capture trace -I "$IFACE" --allow-reserved -q --paths --stop-early --rate 1000 \
		$TOPO_TARGETS
	expect_status 0
	diff -u "$NET_TMP/all" "$OUT"
	# Sent and skipped make up every (target, TTL); how many are skipped is the timing's.
	read -r sent skipped < <(sed -nE 's/.* ([0-9]+) probes \(0 resent, ([0-9]+) skipped\).*/\1 \2/p' "$ERR")
	[ $((sent + skipped)) -eq 128 ] || { em_dump; false; }
	assert_clean
}

@test "trace refuses what it cannot do, in one line" {
	em_capture trace --engine xdp-live --stop-early --allow-reserved 198.18.5.1
	expect_status 3
	[ "$(cat "$ERR")" = \
		"echomap: --stop-early does not run on the xdp-live engine: use afxdp or raw" ]
	em_capture trace --ttl 3 --allow-reserved 198.18.5.1
	expect_status 3
	grep -q "trace does not take --ttl" "$ERR"
	em_capture trace -n 2 --allow-reserved 198.18.5.1
	expect_status 3
	em_capture trace --min-ttl 9 --max-ttl 8 --allow-reserved 198.18.5.1
	expect_status 3
	em_capture trace --max-ttl 33 --allow-reserved 198.18.5.1
	expect_status 3
	em_capture trace --size 25 --allow-reserved 198.18.5.1
	expect_status 3
	em_capture sweep --paths --allow-reserved 198.18.5.1
	expect_status 3
	assert_clean
}

@test "trace --flows: each flow keeps to one branch of an ECMP stage, and the flows find both" {
	topo_ecmp
	local a="192.0.2.2 192.0.2.6 192.0.2.22 192.0.2.26" b="192.0.2.2 192.0.2.6 192.0.2.34 192.0.2.38"
	local t
	for ENGINE in afxdp raw; do
		echo "# engine $ENGINE"
		em_capture trace -I "$IFACE" --allow-reserved -q --max-ttl 8 --flows 16 --paths \
			--seed 1 198.18.6.1 198.18.6.2 198.18.6.3
		expect_status 0
		[ "$(wc -l <"$OUT")" -eq 48 ] || { em_dump; false; }
		# A flow that changed branch between TTLs would mix A and B routers in its path.
		if grep -Ev "^(198\.18\.6\.[123]) flow=[0-9]+ reached hops=5: ($a|$b) \1$" "$OUT" |
			head -5 | grep .; then
			echo "paths above are on neither branch" >&2
			false
		fi
		for t in 198.18.6.1 198.18.6.2 198.18.6.3; do
			grep -q "^$t .* 192.0.2.26 $t$" "$OUT" || { echo "$t: no flow on A" >&2; false; }
			grep -q "^$t .* 192.0.2.38 $t$" "$OUT" || { echo "$t: no flow on B" >&2; false; }
		done
		# The flow id, not the order or the key, picks the branch: another seed, same paths.
		cp "$OUT" "$NET_TMP/paths"
		em_capture trace -I "$IFACE" --allow-reserved -q --max-ttl 8 --flows 16 --paths \
			--seed 2 198.18.6.1 198.18.6.2 198.18.6.3
		expect_status 0
		diff -u "$NET_TMP/paths" "$OUT"
	done
	assert_clean
}

@test "trace at full speed over the simulated topology: every hop of 4096 targets, exactly" {
	require_fixtures xdp_topology
	topo_xdp 198.18.64.0/20
	topo_xdp_truth 198.18.64.0/20 32 | sort >"$NET_TMP/want"
	topo_xdp_truth 198.18.64.0/20 32 paths >"$NET_TMP/want-paths"
	for ENGINE in afxdp raw; do
		echo "# engine $ENGINE"
		# Not a speed test: 131072 probes as fast as they go, and not one hop may be lost on
		# our side (what the interface drops is sent again, as in sweep).
		em_capture trace -I "$IFACE" --allow-reserved -q --rate 0 -o "$NET_TMP/hops" \
			198.18.64.0/20
		expect_status 0
		hops_of "$NET_TMP/hops" >"$NET_TMP/got"
		same_lines "$NET_TMP/want" "$NET_TMP/got"
		! grep -q "lost in the event ring" "$ERR" || { em_dump; false; }
		em_capture trace -I "$IFACE" --allow-reserved -q --rate 0 --paths --stop-early \
			198.18.64.0/20
		expect_status 0
		diff -u "$NET_TMP/want-paths" "$OUT" | head -20
		cmp -s "$NET_TMP/want-paths" "$OUT"
	done
	assert_clean
}

@test "trace on xdp-live: the generator's probes find every hop of the simulated topology" {
	[[ " $(e2e_engines) " == *" xdp-live "* ]] || skip "xdp-live needs Linux >= 5.18"
	require_fixtures xdp_topology
	topo_xdp 198.18.64.0/24
	topo_xdp_truth 198.18.64.0/24 32 | sort >"$NET_TMP/want"
	topo_xdp_truth 198.18.64.0/24 32 paths >"$NET_TMP/want-paths"
	# 256 targets x 32 TTLs built in the kernel, as fast as they go: not one hop lost on our
	# side, none invented.
	em_capture trace --engine xdp-live -I "$IFACE" --allow-reserved -q -v --rate 0 \
		-o "$NET_TMP/hops" 198.18.64.0/24
	expect_status 0
	hops_of "$NET_TMP/hops" >"$NET_TMP/got"
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	grep -q "256 targets, 8192 probes" "$ERR" || { em_dump; false; }
	! grep -q "lost in the event ring" "$ERR" || { em_dump; false; }
	# Every run of the generator kept its marker (EM_GEN_TRACE_ROOM): a run that lost it to a
	# time exceeded built in its page would reach the matcher as a frame for the stack.
	passed=$(sed -nE 's/.*passed ([0-9]+) to the stack$/\1/p' "$ERR")
	[ -n "$passed" ] && [ "$passed" -lt 100 ] || { em_dump; false; }
	em_capture trace --engine xdp-live -I "$IFACE" --allow-reserved -q --rate 0 --paths \
		198.18.64.0/24
	expect_status 0
	diff -u "$NET_TMP/want-paths" "$OUT"
	# Flows and shards as on afxdp: two flows per target, each its own path of hops, and two
	# shards whose union is the whole trace.
	for k in 0 1; do
		em_capture trace --engine xdp-live -I "$IFACE" --allow-reserved -q --flows 2 \
			--seed 5 --shards 2 --shard "$k" --max-ttl 8 -F csv 198.18.64.0/26
		expect_status 0
		tail -n +2 "$OUT" >>"$NET_TMP/flows"
	done
	[ "$(cut -d, -f2 "$NET_TMP/flows" | sort -u | tr '\n' ' ')" = "0 1 " ]
	topo_xdp_truth 198.18.64.0/26 8 | sort >"$NET_TMP/want8"
	for f in 0 1; do
		awk -F, -v f="$f" '$2 == f { print $1, "ttl=" $3, "from=" $4, $6, "code=" $8 }' \
			"$NET_TMP/flows" | sort >"$NET_TMP/got8"
		same_lines "$NET_TMP/want8" "$NET_TMP/got8"
	done
	assert_clean
}
