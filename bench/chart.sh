#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Draws docs/bench-chart.png from bench/results/latest.json (bench/run.sh): for each target rate
# of echomap and zmap, the rate achieved (x) against the share of the live hosts found (y).
# Points, not lines: a rival that falls short of its target rate lands left of it.
set -euo pipefail
cd "$(dirname "$0")/.."

JSON=${1:-bench/results/latest.json}
OUT=${2:-docs/bench-chart.png}
command -v gnuplot >/dev/null || {
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gnuplot-nox >/dev/null
}

W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

# tool FILE: "achieved_kpps percent_found label" per run of the tool, by achieved rate.
for tool in echomap zmap; do
	jq -r --arg t "$tool" '.runs[] | select(.run | startswith($t + " rate=")) |
		[.pps / 1000, 100 * .found / .truth,
		 (.run | sub(".*rate="; "") | if . == "0" then "unlimited"
			else (tonumber / 1000 | tostring) + "k" end)] | @tsv' "$JSON" |
		sort -g >"$W/$tool.dat"
	[ -s "$W/$tool.dat" ] || { echo "chart: no $tool runs in $JSON" >&2; exit 1; }
done
ymin=$(cat "$W"/*.dat | awk 'NR == 1 || $2 < m { m = $2 } END { m = int(m / 5) * 5 - 5; print m < 0 ? 0 : m }')
meta=$(jq -r '"\(.date[0:10]), kernel \(.kernel), \(.cpus) CPUs, veth + XDP responder"' "$JSON")

gnuplot <<-EOF
	set terminal pngcairo size 900,560 font "DejaVu Sans,11" noenhanced
	set output "$OUT"
	set title "Sweep of 198.18.0.0/15: rate achieved vs live hosts found\n$meta"
	set xlabel "probes/s achieved (thousands)"
	set ylabel "live hosts found (% of truth)"
	set key center right box opaque
	set grid
	set xrange [0:*]
	set yrange [$ymin:101]
	set datafile separator "\t"
	plot "$W/echomap.dat" using 1:2 with points pt 7 ps 1.6 title "echomap (AF_XDP)", \
	     "" using 1:2:3 with labels offset 0,1.1 notitle, \
	     "$W/zmap.dat" using 1:2 with points pt 5 ps 1.6 title "zmap -M icmp_echoscan", \
	     "" using 1:2:3 with labels offset 0,-1.1 notitle
EOF
echo "chart: $OUT"
