#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Sweep results into ClickHouse (docs/clickhouse.md): rows per second, server CPU and disk bytes
# per row, for `sweep -o clickhouse://` (RowBinary over HTTP) against the way without it, JSON
# lines to a file (`-F json -o FILE`) loaded with `clickhouse-client ... FORMAT JSONEachRow`.
#
# A clickhouse-server on the sender namespace's loopback; the XDP responder answers 240.0.0.0/12
# (1,048,576 targets) but every 7th host: 898,779 rows a run. Each way is timed from the
# sweep's start to the rows being in the table; the sweep with -o /dev/null is the baseline,
# so "output s" is the time the rows themselves took. Server CPU: utime + stime of the server
# process (/proc/PID/stat) over the run. Disk: bytes of the table's active parts after
# OPTIMIZE ... FINAL (one part), per row.
#
# The format: the same rows (read back from the table) inserted as RowBinary and as
# JSONEachRow with curl, server CPU each.
#
# Prints a table and writes bench/results/clickhouse.json.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib/netns.bash
source tests/lib/clickhouse.bash

PREFIX=240.0.0.0/12
RESULTS=bench/results
mkdir -p "$RESULTS"
command -v clickhouse-server >/dev/null || { echo "clickhouse-server not installed" >&2; exit 1; }

trap 'netns_cleanup' EXIT
trap 'exit 130' INT TERM
netns_setup
respond_xdp "$PREFIX" --ttl 61 --silent-mod 7
ch_server b
PID=$(cat "$NET_TMP/ch-b/pid")
W=$NET_TMP

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$PID/stat"; }
hz=$(getconf CLK_TCK)
now() { date +%s.%N; }
calc() { awk "BEGIN { printf \"%.6f\", $1 }"; }
q() { ch_query b "$1"; }

q 'CREATE DATABASE bench'
q "CREATE TABLE bench.json (saddr String, name Nullable(String), rtt_us Nullable(Float64),
	ttl Nullable(UInt8), classification String, replies UInt32, scope String,
	icmp_type Nullable(UInt8), icmp_code Nullable(UInt8), from Nullable(String))
	ENGINE = MergeTree ORDER BY saddr"
sweep() { ip netns exec "$NS_S" "$ECHOMAP" sweep -I "$IFACE" --allow-reserved -q -r 0 \
	--seed 1 --wait 500 "$@" "$PREFIX"; }

t0=$(now); sweep -o /dev/null 2>/dev/null; t1=$(now)
base=$(calc "$t1 - $t0")

c0=$(cpu_ticks); t0=$(now)
sweep -o "clickhouse://127.0.0.1:${CH_HTTP[b]}/bench.rows" --create-table 2>"$W/ch.err"
t1=$(now); c1=$(cpu_ticks)
ch_s=$(calc "$t1 - $t0"); ch_cpu=$(calc "($c1 - $c0) / $hz")
rows=$(q 'SELECT count() FROM bench.rows')

c0=$(cpu_ticks); t0=$(now)
sweep -F json -o "$W/rows.jsonl" 2>/dev/null
ip netns exec "$NS_S" clickhouse-client --port "${CH_TCP[b]}" \
	--input_format_skip_unknown_fields=1 \
	--query 'INSERT INTO bench.json FORMAT JSONEachRow' <"$W/rows.jsonl"
t1=$(now); c1=$(cpu_ticks)
js_s=$(calc "$t1 - $t0"); js_cpu=$(calc "($c1 - $c0) / $hz")
js_rows=$(q 'SELECT count() FROM bench.json')
js_file=$(stat -c %s "$W/rows.jsonl")

for t in rows json; do q "OPTIMIZE TABLE bench.$t FINAL"; done
disk() { q "SELECT sum(bytes) FROM system.parts WHERE database = 'bench' AND table = '$1' AND active"; }
ch_disk=$(disk rows); js_disk=$(disk json)

# The same rows in both formats, inserted by curl into empty copies.
ip netns exec "$NS_S" curl -sS "http://127.0.0.1:${CH_HTTP[b]}/?query=SELECT%20*%20FROM%20bench.rows%20FORMAT%20RowBinary" -o "$W/rows.bin" --data-binary ''
ip netns exec "$NS_S" curl -sS "http://127.0.0.1:${CH_HTTP[b]}/?query=SELECT%20*%20FROM%20bench.rows%20FORMAT%20JSONEachRow" -o "$W/rows.ndjson" --data-binary ''
fmt_cpu() {
	local c0 c1 t0 t1
	q "CREATE TABLE bench.f_$1 AS bench.rows"
	c0=$(cpu_ticks); t0=$(now)
	ip netns exec "$NS_S" curl -sS --fail-with-body \
		"http://127.0.0.1:${CH_HTTP[b]}/?query=INSERT%20INTO%20bench.f_$1%20FORMAT%20$2" \
		--data-binary @"$3"
	t1=$(now); c1=$(cpu_ticks)
	echo "$(calc "($c1 - $c0) / $hz") $(calc "$t1 - $t0") $(stat -c %s "$3")"
}
read -r rb_cpu rb_s rb_bytes < <(fmt_cpu rb RowBinary "$W/rows.bin")
read -r je_cpu je_s je_bytes < <(fmt_cpu je JSONEachRow "$W/rows.ndjson")

f() { printf '%.3f' "$1"; }
per() { printf '%.1f' "$(calc "$1 / $rows")"; }
echo "rows per run: $rows (json: $js_rows); sweep with -o /dev/null: $(f "$base") s"
printf '%-34s %9s %9s %11s %13s %11s\n' way "total s" "output s" "rows/s" "server CPU s" "disk B/row"
printf '%-34s %9s %9s %11.0f %13s %11s\n' "-o clickhouse:// (RowBinary, HTTP)" "$(f "$ch_s")" \
	"$(f "$(calc "$ch_s - $base")")" "$(calc "$rows / ($ch_s - $base)")" \
	"$(f "$ch_cpu")" "$(per "$ch_disk")"
printf '%-34s %9s %9s %11.0f %13s %11s\n' "-F json + clickhouse-client" "$(f "$js_s")" \
	"$(f "$(calc "$js_s - $base")")" "$(calc "$rows / ($js_s - $base)")" \
	"$(f "$js_cpu")" "$(per "$js_disk")"
echo "JSON lines file: $(per "$js_file") bytes/row"
echo "the same rows inserted by curl: RowBinary $(per "$rb_bytes") B/row, $(f "$rb_cpu") s server" \
	"CPU, $(f "$rb_s") s; JSONEachRow $(per "$je_bytes") B/row, $(f "$je_cpu") s server CPU," \
	"$(f "$je_s") s"
jq -n --argjson rows "$rows" --argjson base "$base" --argjson ch_s "$ch_s" \
	--argjson ch_cpu "$ch_cpu" --argjson ch_disk "$ch_disk" --argjson js_s "$js_s" \
	--argjson js_cpu "$js_cpu" --argjson js_disk "$js_disk" --argjson rb_cpu "$rb_cpu" \
	--argjson je_cpu "$je_cpu" --argjson rb_bytes "$rb_bytes" --argjson je_bytes "$je_bytes" \
	'$ARGS.named' >"$RESULTS/clickhouse.json"
