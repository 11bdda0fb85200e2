#!/usr/bin/env bash
# make bench: echomap beside zmap and fping on the same test network, in the same run.
# Prints a table and writes bench/results/latest.json. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."
. tests/lib/netns.bash

ECHOMAP=$PWD/.output/echomap
RESULTS=bench/results
mkdir -p "$RESULTS"
for p in zmap fping; do
	command -v "$p" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$p" >/dev/null; }
done

WORK=$(mktemp -d)
cleanup() {
	netns_cleanup
	rm -rf "$WORK"
}
trap cleanup EXIT INT TERM

netns_setup
respond_xdp 198.18.0.0/15 --ttl 61 --silent-mod 10
: >"$WORK/empty.conf"

# Truth: every address of the /15 except host parts that are multiples of 10.
truth=$(awk 'BEGIN { n = 0; for (i = 0; i < 131072; i++) if (i % 10) n++; print n }')

# cpu_of CMD...: runs CMD, prints "wall user sys" seconds on fd 3.
cpu_of() {
	local t0 t1
	t0=$(date +%s.%N)
	/usr/bin/time -f '%U %S' -o "$WORK/time" "$@"
	t1=$(date +%s.%N)
	echo "$(echo "$t1 - $t0" | bc) $(cat "$WORK/time")" >&3
}

json=()
row() { # name probes wall user sys found
	local pps cpu_m missed invented
	pps=$(echo "$2 / $3" | bc -l)
	cpu_m=$(echo "($4 + $5) * 1000000 / $2" | bc -l)
	printf '| %-28s | %12.0f | %8d / %-8d | %10.3f |\n' "$1" "$pps" "$6" "$truth" "$cpu_m"
	json+=("{\"name\":\"$1\",\"probes\":$2,\"wall_s\":$3,\"user_s\":$4,\"sys_s\":$5,\"found\":$6,\"truth\":$truth,\"pps\":$pps}")
}

echo "| run                          |     probes/s | found / truth       | CPU s / Mprobe |"
echo "|------------------------------|--------------|---------------------|----------------|"

for rate in 0 200000 50000; do
	exec 3>"$WORK/cpu"
	cpu_of in_sender "$ECHOMAP" sweep -q -r "$rate" -w 500 --allow-reserved -I "$IFACE" \
		198.18.0.0/15 -o "$WORK/echomap.txt" 2>"$WORK/echomap.err"
	exec 3>&-
	read -r wall user sys <"$WORK/cpu"
	probes=$(grep -o '[0-9]* probes,' "$WORK/echomap.err" | grep -o '[0-9]*')
	send_s=$(grep -o '[0-9.]* s,' "$WORK/echomap.err" | grep -o '[0-9.]*')
	row "echomap afxdp rate=$rate" "$probes" "$send_s" "$user" "$sys" "$(wc -l <"$WORK/echomap.txt")"

	exec 3>"$WORK/cpu"
	cpu_of in_sender zmap -q --disable-syslog -M icmp_echoscan -i "$IFACE" -S "$SRC" \
		-G "$GWMAC" -b "$WORK/empty.conf" -r "$rate" -c 1 -o "$WORK/zmap.txt" \
		198.18.0.0/15 2>"$WORK/zmap.err"
	exec 3>&-
	read -r wall user sys <"$WORK/cpu"
	row "zmap rate=$rate" 131072 "$(echo "$wall - 1" | bc)" "$user" "$sys" \
		"$(sort -u "$WORK/zmap.txt" | wc -l)"
done

# fping on a /20, extrapolated per host: it is not built for sweeps.
exec 3>"$WORK/cpu"
cpu_of in_sender fping -q -a -g -i 1 -r 0 -t 500 198.18.0.0/20 >"$WORK/fping.txt" 2>/dev/null || true
exec 3>&-
read -r wall user sys <"$WORK/cpu"
n=$(awk 'BEGIN { for (i = 1; i < 4095; i++) if (i % 10) n++; print n }')
printf '| %-28s | %12.0f | %8d / %-8d | %10.3f |\n' "fping -g /20 (extrapolated)" \
	"$(echo "4094 / $wall" | bc -l)" "$(wc -l <"$WORK/fping.txt")" "$n" \
	"$(echo "($user + $sys) * 1000000 / 4094" | bc -l)"

{
	printf '{"date":"%s","kernel":"%s","cpus":%d,"runs":[' "$(date -u +%FT%TZ)" "$(uname -r)" "$(nproc)"
	(IFS=,; printf '%s' "${json[*]}")
	printf ']}\n'
} >"$RESULTS/latest.json"
echo "results: $RESULTS/latest.json"
