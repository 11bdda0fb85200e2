#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The whole 240.0.0.0/4 (2^28 targets) in one streamed sweep: exactness, rate, memory.
#
# 240/4 is routed inside the namespaces only (`ip route add 240.0.0.0/4 via GW`). The XDP
# responder answers sparsely and deterministically, the way the Internet does: a host answers
# when (address - 240.0.0.0) % ANSWER_MOD == 0 (default 37: 2.7 %, 7,254,978 hosts), so the
# truth is known exactly. echomap sweeps with xdp-live on QUEUES transmit queues (default 2) at
# full rate and streams text lines into a file; the check: every line a host the rule makes
# answer, each once, and as many as the rule says.
#
# Memory: peak RSS (GNU time's %M) and the memlock of every BPF map echomap holds
# (/proc/PID/fdinfo, sampled while it runs), for the /4 and for a one-target streamed sweep
# (the fixed part); per target = the difference over the 2^28 - 1 extra targets. echomap mmaps
# the kernel's two bits per target (enum em_stream_state), the only per-target state of a
# streamed sweep, and the kernel maps a BPF array's pages into the process at mmap, so RSS
# counts those pages as memlock does. Kernel and user memory together are the RSS growth, not
# RSS + memlock.
#
# zmap (empty blocklist, no rate limit) sweeps a /12 of the same set in the same run, for its
# rate beside echomap's: the whole /4 would take it about 25 minutes here.
#
# Not part of make test or make bench (about a minute on this machine; much longer under
# emulation). Prints a table and writes bench/results/scale.json.
set -euo pipefail
cd "$(dirname "$0")/.."
source tests/lib/netns.bash
source bench/lib.bash

QUEUES=${QUEUES:-2}
ANSWER_MOD=${ANSWER_MOD:-37}
ENGINE=${ENGINE:-xdp-live}
PREFIX=240.0.0.0/4
# The /4: echomap leaves out its last address, 255.255.255.255, the limited broadcast.
SWEPT=$PREFIX
TARGETS=$(((1 << 28) - 1))
RESULTS=bench/results

bench_need jq zmap /usr/bin/time:time
mkdir -p "$RESULTS"

W=$(mktemp -d)
trap 'netns_cleanup; rm -rf "$W"' EXIT
trap 'exit 130' INT TERM

netns_setup --queues "$QUEUES"
ip -n "$NS_S" route replace 240.0.0.0/4 via "$GW" dev "$IFACE"
respond_xdp "$PREFIX" --answer-mod "$ANSWER_MOD"
in_s ping -c 2 -i 0.2 -q "$GW" >/dev/null

# bpf_memlock PID: the sum of the memlock of every BPF map PID holds (0 when it holds none).
bpf_memlock() {
	local fd sum=0 m
	for fd in /proc/"$1"/fdinfo/*; do
		grep -qs '^map_id:' "$fd" || continue
		m=$(awk '/^memlock:/ { print $2 }' "$fd" 2>/dev/null)
		sum=$((sum + ${m:-0}))
	done
	echo "$sum"
}

# run NAME TARGET: one streamed sweep under GNU time; NAME.out, NAME.err, NAME.meta,
# NAME.rss (kB), NAME.bpf (peak memlock seen, bytes).
run() {
	local name=$1 target=$2 pid=""
	ip netns exec "$NS_S" /usr/bin/time -f '%M' -o "$W/$name.rss" "$ECHOMAP" sweep \
		-I "$IFACE" --allow-reserved -q --stream --engine "$ENGINE" --rate 0 \
		--metadata "$W/$name.meta" "$target" >"$W/$name.out" 2>"$W/$name.err" &
	local tpid=$! peak=0 m
	while kill -0 "$tpid" 2>/dev/null; do
		[ -n "$pid" ] || pid=$(pgrep -P "$(pgrep -P "$tpid" time || echo 0)" -x echomap ||
			pgrep -x -P "$tpid" echomap || true)
		pid=${pid%%$'\n'*}
		if [ -n "$pid" ]; then
			m=$(bpf_memlock "$pid" 2>/dev/null || echo 0)
			[ "$m" -le "$peak" ] || peak=$m
		fi
		sleep 0.2
	done
	wait "$tpid" || { echo "bench: echomap failed:" >&2; cat "$W/$name.err" >&2; exit 1; }
	echo "$peak" >"$W/$name.bpf"
}

run one 240.0.0.0
run all "$SWEPT"

# zmap over the /12: its send rate (wall time less its 1 s cooldown) and what it found.
ZPREFIX=240.0.0.0/12
ZTARGETS=$((1 << 20))
: >"$W/empty.conf"
gwmac=$(ip -n "$NS_R" -j link show "$RIFACE" | jq -r '.[0].address')
ip netns exec "$NS_S" /usr/bin/time -f '%e' -o "$W/zmap.time" zmap -q --disable-syslog \
	-M icmp_echoscan -i "$IFACE" -S "$SRC" -G "$gwmac" -b "$W/empty.conf" -r 0 -c 1 \
	-o "$W/zmap.out" "$ZPREFIX" 2>"$W/zmap.err" || true
zwant=$(((ZTARGETS + ANSWER_MOD - 1) / ANSWER_MOD))
zfound=$(awk -v mod="$ANSWER_MOD" '{
		split($1, o, "."); h = ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4] - 240 * 16777216
		if (h % mod == 0) print $1
	}' "$W/zmap.out" | sort -u | wc -l)
zrate=$(awk -v n="$ZTARGETS" '{ printf "%.0f", n / ($1 - 1) }' "$W/zmap.time")

# The check, in one pass: each line's address answers by the rule; then no address twice.
read -r lines bad < <(awk -v mod="$ANSWER_MOD" '{
		split($1, o, "."); h = ((o[1] * 256 + o[2]) * 256 + o[3]) * 256 + o[4] - 240 * 16777216
		if (h % mod != 0) bad++
	} END { print NR, bad + 0 }' "$W/all.out")
uniq=$(cut -d' ' -f1 "$W/all.out" | sort -u | wc -l)
want=$(((TARGETS + ANSWER_MOD - 1) / ANSWER_MOD))
rate=$(jq .rate_achieved "$W/all.meta")
secs=$(jq .duration_s "$W/all.meta")
rss_one=$(cat "$W/one.rss")
rss_all=$(cat "$W/all.rss")
bpf_one=$(cat "$W/one.bpf")
bpf_all=$(cat "$W/all.bpf")
rss_bits=$(awk -v a="$rss_all" -v b="$rss_one" -v n="$TARGETS" \
	'BEGIN { printf "%.3f", (a - b) * 1024 * 8 / (n - 1) }')
bpf_bits=$(awk -v a="$bpf_all" -v b="$bpf_one" -v n="$TARGETS" \
	'BEGIN { printf "%.3f", (a - b) * 8 / (n - 1) }')

printf '| targets | answering | found | wrong | repeated | lost | probes/s | wall s | peak RSS MB | BPF MB |\n'
printf '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n'
printf '| 1 | - | - | - | - | %s | - | - | %.1f | %.1f |\n' "$(jq .lost "$W/one.meta")" \
	"$(echo "$rss_one / 1024" | bc -l)" "$(echo "$bpf_one / 1048576" | bc -l)"
printf '| %s | %s | %s | %s | %s | %s | %.0f | %.1f | %.1f | %.1f |\n' "$TARGETS" "$want" \
	"$uniq" "$bad" "$((lines - uniq))" "$(jq .lost "$W/all.meta")" "$rate" "$secs" \
	"$(echo "$rss_all / 1024" | bc -l)" "$(echo "$bpf_all / 1048576" | bc -l)"
printf '| zmap, %s | %s | %s | - | - | - | %s | - | - | - |\n' "$ZPREFIX" "$zwant" "$zfound" "$zrate"
echo "beyond the fixed part, per target: BPF maps $bpf_bits bits, RSS $rss_bits bits (kernel + user)"
printf 'echomap / zmap rate: %.2fx; the whole IPv4 space (2^32) at this rate: %.0f s\n' \
	"$(echo "$rate / $zrate" | bc -l)" "$(echo "4294967296 / $rate" | bc -l)"
tail -1 "$W/all.err"

printf '{"date":"%s","kernel":"%s","engine":"%s","queues":%d,"targets":%d,"answer_mod":%d,"answering":%d,"found":%d,"wrong":%d,"repeated":%d,"lost":%s,"probes_per_s":%s,"duration_s":%s,"rss_kb_one":%s,"rss_kb_all":%s,"bpf_bytes_one":%s,"bpf_bytes_all":%s,"bpf_bits_per_target":%s,"rss_bits_per_target":%s,"zmap_prefix":"%s","zmap_answering":%d,"zmap_found":%d,"zmap_probes_per_s":%s}\n' \
	"$(date -u +%FT%TZ)" "$(uname -r)" "$ENGINE" "$QUEUES" "$TARGETS" "$ANSWER_MOD" "$want" \
	"$uniq" "$bad" "$((lines - uniq))" "$(jq .lost "$W/all.meta")" "$rate" "$secs" \
	"$rss_one" "$rss_all" "$bpf_one" "$bpf_all" "$bpf_bits" "$rss_bits" "$ZPREFIX" "$zwant" \
	"$zfound" "$zrate" >"$RESULTS/scale.json"
[ "$uniq" -eq "$want" ] && [ "$bad" -eq 0 ] && [ "$lines" -eq "$uniq" ]
