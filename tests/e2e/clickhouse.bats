#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests of `sweep -o clickhouse://...` and `map clickhouse://...` against real
# clickhouse-server processes started per test on the sender namespace's loopback
# (tests/lib/clickhouse.bash). The truth is the XDP responder's: every host of the /16 but
# every 7th.

bats_require_minimum_version 1.5.0

load ../lib/netns
load ../lib/clickhouse

NET=198.18.0.0/16

setup() {
	command -v clickhouse-server >/dev/null ||
		skip "clickhouse-server not installed (make deps installs it)"
	e2e_setup
	require_fixtures xdp_responder
	respond_xdp "$NET" --ttl 61 --silent-mod 7
	xdp_truth "$NET" 7 | sort >"$NET_TMP/want"
}

teardown() {
	e2e_teardown
}

url() { echo "clickhouse://127.0.0.1:${CH_HTTP[$1]}/$2"; }

# got NAME TABLE [WHERE]: the addresses of TABLE's rows, sorted, to $NET_TMP/got.
got() {
	ch_query "$1" "SELECT IPv4NumToString(saddr) FROM $2 ${3:+WHERE $3}" | sort >"$NET_TMP/got"
}

# once NAME TABLE: no address is in TABLE twice.
once() {
	local rows distinct
	read -r rows distinct < <(ch_query "$1" "SELECT count(), uniqExact(saddr) FROM $2")
	[ "$rows" -eq "$distinct" ] || { echo "$rows rows, $distinct addresses" >&2; false; }
}

@test "sweep into ClickHouse: --create-table, every answering host once, with run id and shard; map reads it back" {
	ch_server a
	em_capture sweep -I "$IFACE" --allow-reserved -q --rate 100000 --batch 10000 \
		-o "$(url a em.sweep)" --create-table "$NET"
	expect_status 0
	got a em.sweep
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	once a em.sweep
	# One run, shard 0 of 1, TTL and RTT of the responder, in six batches of at most 10000.
	[ "$(ch_query a 'SELECT uniqExact(run_id), any(shard), any(shards), max(batch),
		min(ttl), max(rtt_ns) > 0, any(status) FROM em.sweep FORMAT TSV')" = \
		"$(printf '1\t0\t1\t5\t61\t1\techoreply')" ] || { ch_query a 'SELECT * FROM em.sweep LIMIT 3'; false; }
	grep -q "^echomap: $(wc -l <"$NET_TMP/want") rows written to $(url a em.sweep) (run [0-9]*, shard 0 of 1)$" "$ERR" ||
		{ em_dump; false; }
	assert_clean

	# map reads the rows back; --where narrows them.
	em_capture map -v --prefix "$NET" --size 256 -o "$NET_TMP/all.png" "$(url a em.sweep)"
	expect_status 0
	grep -q "^echomap: $(wc -l <"$NET_TMP/want") results drawn, $(wc -l <"$NET_TMP/want") alive" \
		"$ERR" || { em_dump; false; }
	em_capture map -v --prefix "$NET" --size 256 -o "$NET_TMP/some.png" "$(url a em.sweep)" \
		--where "saddr < IPv4StringToNum('198.18.1.0')"
	expect_status 0
	grep -q "^echomap: 219 results drawn, 219 alive" "$ERR" || { em_dump; false; }
	[ "$(head -c 4 "$NET_TMP/some.png" | od -An -c | tr -d ' ')" = '211PNG' ]
	em_capture map --where "no such column" -o "$NET_TMP/bad.png" "$(url a em.sweep)"
	expect_status 4
	[ ! -e "$NET_TMP/bad.png" ]
}

@test "--stream into ClickHouse: the rows as they arrive, every answering host once; --metadata counts them" {
	ch_server a
	em_capture sweep -I "$IFACE" --allow-reserved -q --stream --rate 100000 --batch 10000 \
		-o "$(url a em.stream)" --create-table --metadata "$NET_TMP/meta.json" "$NET"
	expect_status 0
	got a em.stream
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	once a em.stream
	jq -e '.stream and .results_written == '"$(wc -l <"$NET_TMP/want")"' and
		.results_spilled == 0' "$NET_TMP/meta.json" || { cat "$NET_TMP/meta.json" >&2; false; }
	assert_clean
}

@test "two shards on two servers behind a Distributed table: the union is the truth, once" {
	local cluster
	ch_server b
	cluster="<echomap><shard><replica><host>127.0.0.1</host><port>${CH_TCP[b]}</port>"
	cluster+="</replica></shard><shard><replica><host>127.0.0.1</host><port>"
	cluster+="$(ch_free_port)</port></replica></shard></echomap>"
	# Server a knows the cluster; its second shard's port is filled in once a has one.
	ch_server a "$cluster"
	ch_stop a
	cluster=${cluster%<port>*}
	cluster+="<port>${CH_TCP[a]}</port></replica></shard></echomap>"
	ch_write_config "$NET_TMP/ch-a" "${CH_HTTP[a]}" "${CH_TCP[a]}" "$cluster"
	ch_restart a
	for s in a b; do
		ch_sql_file "$s" "$ROOT/contrib/clickhouse/local.sql"
	done
	ch_sql_file a "$ROOT/contrib/clickhouse/distributed.sql"

	for k in 0 1; do
		em_capture sweep -I "$IFACE" --allow-reserved -q --rate 100000 --seed 7 --shards 2 \
			--shard $k --run-id 42 -o "$(url "$([ $k = 0 ] && echo b || echo a)" \
			echomap.sweep_local)" "$NET"
		expect_status 0
	done
	got a echomap.sweep
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	once a echomap.sweep
	# Each server holds one shard's rows, both of run 42.
	[ "$(ch_query b 'SELECT uniqExact(shard), any(shard), any(run_id) FROM echomap.sweep_local FORMAT TSV')" = \
		"$(printf '1\t0\t42')" ]
	[ "$(ch_query a 'SELECT uniqExact(shard), any(shard), any(run_id) FROM echomap.sweep_local FORMAT TSV')" = \
		"$(printf '1\t1\t42')" ]
	assert_clean
}

@test "server killed and restarted in the middle of the rows: every row there once" {
	local pid status=0 rows
	ch_server a
	ch_sql_file a "$ROOT/contrib/clickhouse/local.sql"
	# Each insert takes 50 ms more (sleep once per block): 113 batches of 500 rows take more
	# than 5 s, so the kill below comes while rows are still coming.
	ch_query a 'ALTER TABLE echomap.sweep_local ADD COLUMN pause UInt8 MATERIALIZED sleep(0.05)'
	ip netns exec "$NS_S" "$ECHOMAP" sweep -I "$IFACE" --allow-reserved -q --rate 100000 \
		--wait 200 --batch 500 \
		-o "$(url a echomap.sweep_local)" "$NET" >"$NET_TMP/out" 2>"$NET_TMP/err" &
	pid=$!
	track_pid "$pid"
	has_rows() { [ "$(ch_query a 'SELECT count() FROM echomap.sweep_local')" -gt 0 ]; }
	wait_for 60 has_rows
	ch_stop a
	kill -0 "$pid" || { cat "$NET_TMP/err"; false; }
	retrying() { grep -q 'retrying' "$NET_TMP/err"; }
	wait_for 60 retrying
	ch_restart a
	rows=$(ch_query a 'SELECT count() FROM echomap.sweep_local')
	echo "# $rows rows in when the server came back"
	[ "$rows" -lt "$(wc -l <"$NET_TMP/want")" ]
	wait "$pid" || status=$?
	cat "$NET_TMP/err"
	[ "$status" -eq 0 ]
	grep -q 'written after [0-9]* retries' "$NET_TMP/err"
	got a echomap.sweep_local
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	once a echomap.sweep_local
	assert_clean
}

@test "server gone for good: --spill keeps the rest in a file that loads to every row once" {
	local pid status=0 alter insert
	ch_server a
	ch_sql_file a "$ROOT/contrib/clickhouse/local.sql"
	ch_query a 'ALTER TABLE echomap.sweep_local ADD COLUMN pause UInt8 MATERIALIZED sleep(0.05)'
	ip netns exec "$NS_S" "$ECHOMAP" sweep -I "$IFACE" --allow-reserved -q --rate 100000 \
		--wait 200 --batch 500 --retry 2 --spill "$NET_TMP/rest.bin" \
		--metadata "$NET_TMP/meta.json" -o "$(url a echomap.sweep_local)" "$NET" \
		>"$NET_TMP/out" 2>"$NET_TMP/err" &
	pid=$!
	track_pid "$pid"
	has_rows() { [ "$(ch_query a 'SELECT count() FROM echomap.sweep_local')" -gt 0 ]; }
	wait_for 60 has_rows
	ch_stop a
	wait "$pid" || status=$?
	cat "$NET_TMP/err"
	[ "$status" -eq 4 ]
	[ -s "$NET_TMP/rest.bin" ]
	# Every row written, part of them to the spill file.
	jq -e '.results_written == '"$(wc -l <"$NET_TMP/want")"' and .results_spilled > 0 and
		.results_spilled < .results_written' "$NET_TMP/meta.json" ||
		{ cat "$NET_TMP/meta.json" >&2; false; }
	# What the summary says to do, done.
	alter=$(sed -n "s/.*load them with clickhouse-client --query '\([^']*\)'.*/\1/p" "$NET_TMP/err")
	insert=$(sed -n "s/.* && clickhouse-client --query '\([^']*\)' < .*/\1/p" "$NET_TMP/err")
	[ -n "$alter" ] && [ -n "$insert" ]
	ch_restart a
	in_s clickhouse-client --port "${CH_TCP[a]}" --query "$alter"
	in_s clickhouse-client --port "${CH_TCP[a]}" --query "$insert" <"$NET_TMP/rest.bin"
	exact() { [ "$(ch_query a 'SELECT count() FROM echomap.sweep_local')" -eq "$(wc -l <"$NET_TMP/want")" ]; }
	wait_for 60 exact
	got a echomap.sweep_local
	same_lines "$NET_TMP/want" "$NET_TMP/got"
	once a echomap.sweep_local
	assert_clean
}

@test "a sweep stopped in the middle of the rows takes its rows back" {
	local pid status=0
	ch_server a
	ch_sql_file a "$ROOT/contrib/clickhouse/local.sql"
	ch_query a 'ALTER TABLE echomap.sweep_local ADD COLUMN pause UInt8 MATERIALIZED sleep(0.05)'
	ip netns exec "$NS_S" "$ECHOMAP" sweep -I "$IFACE" --allow-reserved -q --rate 100000 \
		--wait 200 --batch 500 \
		-o "$(url a echomap.sweep_local)" "$NET" >"$NET_TMP/out" 2>"$NET_TMP/err" &
	pid=$!
	track_pid "$pid"
	has_rows() { [ "$(ch_query a 'SELECT count() FROM echomap.sweep_local')" -gt 0 ]; }
	wait_for 60 has_rows
	kill -TERM "$pid"
	wait "$pid" || status=$?
	cat "$NET_TMP/err"
	[ "$status" -eq 1 ]
	grep -q 'rows of run [0-9]* written so far are being deleted' "$NET_TMP/err"
	no_rows() { [ "$(ch_query a 'SELECT count() FROM echomap.sweep_local')" -eq 0 ]; }
	wait_for 60 no_rows
	assert_clean
}

# fails_cleanly STATUS WORDS: exit STATUS, stderr is one line holding WORDS, nothing on stdout.
fails_cleanly() {
	expect_status "$1"
	[ "$(wc -l <"$ERR")" -eq 1 ] || { em_dump; false; }
	grep -q "^echomap: .*$2" "$ERR" || { em_dump; false; }
	[ ! -s "$OUT" ]
}

@test "a wrong URL, a missing table, bad credentials: one line, exit 4, nothing written" {
	local port
	ch_server a
	port=$(ch_free_port)
	em_capture sweep -I "$IFACE" --allow-reserved -q --create-table \
		-o "clickhouse://127.0.0.1:$port/em.t" 198.18.0.0/30
	fails_cleanly 4 'cannot reach the server'

	em_capture sweep -I "$IFACE" --allow-reserved -q -o "$(url a em.t)" 198.18.0.0/30
	fails_cleanly 4 'no table em.t (--create-table creates it)'
	[ "$(ch_query a 'EXISTS TABLE em.t')" = 0 ]

	em_capture sweep -I "$IFACE" --allow-reserved -q --create-table \
		-o "clickhouse://writer:wrong@127.0.0.1:${CH_HTTP[a]}/em.t" 198.18.0.0/30
	fails_cleanly 4 'Wrong password for user writer'
	[ "$(ch_query a 'EXISTS TABLE em.t')" = 0 ]

	# The right password (from the environment) works; a table of someone else's lacks our
	# columns.
	ch_query a 'CREATE TABLE default.other (x UInt8) ENGINE = Memory'
	CLICKHOUSE_PASSWORD=secret em_capture sweep -I "$IFACE" --allow-reserved -q \
		-o "clickhouse://writer@127.0.0.1:${CH_HTTP[a]}/default.other" 198.18.0.0/30
	fails_cleanly 4 'table default.other has no column time'
	[ "$(ch_query a 'SELECT count() FROM default.other')" = 0 ]

	em_capture sweep -I "$IFACE" --allow-reserved -q -o clickhouse://127.0.0.1/nodot 198.18.0.1
	fails_cleanly 3 'is not a ClickHouse URL'
	em_capture ping --allow-reserved -c 1 -o "$(url a em.t)" 198.18.0.1
	fails_cleanly 3 'only sweep writes to ClickHouse'
	assert_clean
}
