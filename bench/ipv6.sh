#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make bench: IPv6 sweeps beside IPv4 ones, per engine, in the same run on the same link: the
# responder's kernel answers a 198.18.0.0/16 and a 2001:db8:1::/48, echomap sweeps the /16 and
# one address in each of 65536 /64s of the /48 (2001:db8:1::/48-64, the same count) as fast as
# it can. Per run: probes/s (echomap's own send rate), found/missed/invented against every
# address, CPU, over ROUNDS (3) alternating runs; the IPv6 rate as a fraction of the same
# engine's IPv4 rate (target >= 0.9).
# xdp-live builds IPv4 probes only: its IPv4 row is given, its IPv6 one says so.
# Prints a table and writes bench/results/ipv6.json. Needs root; builds its own namespaces.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib/netns.bash
source bench/lib.bash

RESULTS=bench/results
PREFIX4=198.18.0.0/16
PREFIX6=2001:db8:1::/48-64
ENGINES=${ENGINES:-afxdp raw xdp-live}
mkdir -p "$RESULTS"
bench_need bc jq

W=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM

netns_setup
ip -n "$NS_S" -6 addr add 2001:db8::1/64 dev "$IFACE" nodad
ip -n "$NS_R" -6 addr add 2001:db8::2/64 dev "$RIFACE" nodad
ip -n "$NS_S" -6 addr add fe80::1/64 dev "$IFACE" nodad
ip -n "$NS_R" -6 addr add fe80::2/64 dev "$RIFACE" nodad
ip -n "$NS_R" -6 route add local 2001:db8:1::/48 dev lo
ip -n "$NS_S" -6 route add 2001:db8:1::/48 via 2001:db8::2 dev "$IFACE"
respond_kernel "$PREFIX4"
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)

# The addresses that answer: all of each set, as echomap prints them.
for i in $(seq 0 255); do for j in $(seq 0 255); do echo "198.18.$i.$j"; done; done |
	sort >"$W/truth4"
{ echo 2001:db8:1::1; for i in $(seq 1 65535); do printf '2001:db8:1:%x::1\n' "$i"; done; } | sort >"$W/truth6"

ROUNDS=${ROUNDS:-3}
declare -A PPS FOUND MISSED INVENTED CPU
rows=()
json=()
# run ENGINE FAMILY TARGET: one sweep, its figures appended to the (ENGINE FAMILY) lists.
run() {
	local key="$1 $2" pps user sys n miss inv cpu
	echo "bench: echomap --engine $1, IPv$2" >&2
	/usr/bin/time -f '%e %U %S' -o "$W/t" ip netns exec "$NS_S" "$ECHOMAP" sweep -v -q \
		-I "$IFACE" --engine "$1" --allow-reserved -r 0 -w 500 -o "$W/em.txt" "$3" \
		2>"$W/em.err"
	read -r _ user sys < <(tail -n 1 "$W/t")
	pps=$(sed -n 's/.*sent [0-9]* probes in [0-9.]* s (\([0-9]*\) probes\/s).*/\1/p' "$W/em.err")
	cut -d' ' -f1 "$W/em.txt" | sort -u >"$W/got"
	n=$(wc -l <"$W/got")
	miss=$(comm -13 "$W/got" "$W/truth$2" | wc -l)
	inv=$(comm -23 "$W/got" "$W/truth$2" | wc -l)
	cpu=$(echo "($user + $sys) * 1000000 / 65536" | bc -l)
	PPS[$key]+="$pps " FOUND[$key]+="$n " MISSED[$key]+="$miss " INVENTED[$key]+="$inv "
	CPU[$key]+="$cpu "
	json+=("$(printf '{"engine":"%s","family":%s,"probes":65536,"pps":%s,"found":%s,"missed":%s,"invented":%s,"cpu_s_per_mprobe":%.3f}' \
		"$1" "$2" "$pps" "$n" "$miss" "$inv" "$cpu")")
}

median() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
worst() { tr ' ' '\n' <<<"$1" | grep . | sort -g | tail -n 1; }
least() { tr ' ' '\n' <<<"$1" | grep . | sort -g | head -n 1; }

# IPv4 and IPv6 alternate, ROUNDS times, so that other load on the machine meets both alike.
for ((r = 0; r < ROUNDS; r++)); do
	for e in $ENGINES; do
		run "$e" 4 "$PREFIX4"
		[ "$e" = xdp-live ] || run "$e" 6 "$PREFIX6"
	done
done
for e in $ENGINES; do
	for f in 4 6; do
		k="$e $f"
		if [ -z "${PPS[$k]:-}" ]; then
			rows+=("$e|IPv$f|IPv4 only: refuses IPv6 targets (exit 3)||||")
			continue
		fi
		rows+=("$(printf '%s|IPv%s|%s|%s|%s|%s|%.2f' "$e" "$f" "$(median "${PPS[$k]}")" \
			"$(least "${FOUND[$k]}")" "$(worst "${MISSED[$k]}")" \
			"$(worst "${INVENTED[$k]}")" "$(median "${CPU[$k]}")")")
	done
done

{
	echo
	echo "| engine | family | probes/s | found | missed | invented | CPU s per M probes |"
	echo "|---|---|---:|---:|---:|---:|---:|"
	for r in "${rows[@]}"; do echo "| ${r//|/ | } |"; done
	echo
	for e in $ENGINES; do
		[ "$e" = xdp-live ] && continue
		printf '%s: IPv6 / IPv4 rate %.2f (target >= 0.90)\n' "$e" \
			"$(echo "$(median "${PPS[$e 6]}") / $(median "${PPS[$e 4]}")" | bc -l)"
	done
	echo "65536 targets each (IPv4 $PREFIX4, IPv6 $PREFIX6), kernel responder over veth;" \
		"median rate of $ROUNDS runs, fewest found and most missed/invented of them;" \
		"kernel $(uname -r), $(nproc) CPUs, load $LOAD, $(date -u '+%F %H:%M UTC')"
} | tee "$W/table"

{
	printf '{"date":"%s","kernel":"%s","cpus":%d,"load":"%s","runs":[' "$(date -u +%FT%TZ)" \
		"$(uname -r)" "$(nproc)" "$LOAD"
	(IFS=,; printf '%s' "${json[*]}")
	printf ']}\n'
} >"$RESULTS/ipv6.json"
echo "results: $RESULTS/ipv6.json"
