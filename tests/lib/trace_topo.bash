# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# A chain of kernel routers behind the sender of tests/lib/netns.bash, for `echomap trace`.
# Load it after netns (`load ../lib/netns`, `load ../lib/trace_topo`), call topo_setup after
# netns_setup and topo_cleanup before netns_cleanup.
#
#   S em0 .1 ── .2 R1 .5 ── .6 R2 .9 ── .10 R3 .13 ── .14 R4 .17 ── .18 R5     (192.0.2.0/24,
#                           │   198.18.2.0/24 local   (silent)    │     198.18.5.0/24 local   /30 links)
#                           │   198.18.9.0/24 refused             198.18.7.0/24 blackholed
#                           └── .21 A1 .25 ── .26 A2 .29 ── .30 C      ECMP stage (topo_ecmp):
#                           └── .33 B1 .37 ── .38 B2 .41 ── .42 C      198.18.6.0/24 local on C
#
# R1 is netns.bash's responder namespace ($NS_R); R2..R5 are "${PFX}r2".."${PFX}r5". Every router
# forwards and answers without ICMP rate limits (icmp_ratelimit=0, icmp_ratemask=0), except:
# R3 drops the time exceeded messages it sends (nft), so TTL 3 never answers; R2 refuses
# 198.18.9.0/24 with host unreachable (nft reject, after the TTL check: TTL 2 still expires
# there); R4 blackholes 198.18.7.0/24 (dropped before the TTL check: silent from TTL 4 on).
#
# topo_ecmp adds two parallel branches from R2 to C, which owns 198.18.6.0/24. R2 sends each
# probe towards it down one branch by a per-flow hash of its ICMP header, as routers hash the
# first bytes of the transport header: nft marks it with jhash of the ICMP checksum (seed 0, so
# the same probe always takes the same branch) and the mark selects the route. (Linux's own
# multipath routes hash ICMP on addresses only, whatever fib_multipath_hash_policy says: every
# flow to one target would take one branch.) The paths: A1 A2 = 192.0.2.22 192.0.2.26,
# B1 B2 = 192.0.2.34 192.0.2.38.
#
# topo_truth TARGET MAX_TTL prints what a trace of TARGET (in 198.18.{2,5,7,9}.0/24) must find, one line per answering TTL:
# "TARGET ttl=N from=ROUTER CLASS code=C", the fields of trace's text output but the RTT.

TOPO_TARGETS="198.18.5.1 198.18.2.1 198.18.9.1 198.18.7.1"
TOPO_NS=()

_topo_router() {
	local ns=$1
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.icmp_ratelimit=0 \
		net.ipv4.icmp_ratemask=0 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 net.ipv4.icmp_echo_ignore_all=0
}

# _topo_link NS_A DEV_A ADDR_A NS_B DEV_B ADDR_B: a veth pair, /30 addresses, both ends up.
_topo_link() {
	ip -n "$1" link add "$2" type veth peer name "$5" netns "$4" || return 1
	ip -n "$1" addr add "$3/30" dev "$2" || return 1
	ip -n "$4" addr add "$6/30" dev "$5" || return 1
	ip -n "$1" link set "$2" up || return 1
	ip -n "$4" link set "$5" up
}

topo_setup() {
	local i ns
	for i in 2 3 4 5; do
		ns=${PFX}r$i
		ip netns add "$ns" || return 1
		TOPO_NS+=("$ns")
		ip -n "$ns" link set lo up || return 1
	done
	for ns in "$NS_R" "${TOPO_NS[@]}"; do
		_topo_router "$ns" || return 1
	done
	_topo_link "$NS_R" r1b 192.0.2.5 "${PFX}r2" r2a 192.0.2.6 || return 1
	_topo_link "${PFX}r2" r2b 192.0.2.9 "${PFX}r3" r3a 192.0.2.10 || return 1
	_topo_link "${PFX}r3" r3b 192.0.2.13 "${PFX}r4" r4a 192.0.2.14 || return 1
	_topo_link "${PFX}r4" r4b 192.0.2.17 "${PFX}r5" r5a 192.0.2.18 || return 1

	ip -n "$NS_R" route add 198.18.0.0/15 via 192.0.2.6 || return 1
	ip -n "${PFX}r2" route add default via 192.0.2.5 || return 1
	ip -n "${PFX}r2" route add 198.18.0.0/15 via 192.0.2.10 || return 1
	ip -n "${PFX}r2" route add local 198.18.2.0/24 dev lo || return 1
	ip -n "${PFX}r3" route add default via 192.0.2.9 || return 1
	ip -n "${PFX}r3" route add 198.18.0.0/15 via 192.0.2.14 || return 1
	ip -n "${PFX}r4" route add default via 192.0.2.13 || return 1
	ip -n "${PFX}r4" route add 198.18.0.0/15 via 192.0.2.18 || return 1
	ip -n "${PFX}r4" route add blackhole 198.18.7.0/24 || return 1
	ip -n "${PFX}r5" route add default via 192.0.2.17 || return 1
	ip -n "${PFX}r5" route add local 198.18.5.0/24 dev lo || return 1

	ip netns exec "${PFX}r2" nft -f - <<-EOF || return 1
		table ip em_topo {
			chain refuse {
				type filter hook forward priority 0;
				ip daddr 198.18.9.0/24 reject with icmp host-unreachable
			}
		}
	EOF
	ip netns exec "${PFX}r3" nft -f - <<-EOF || return 1
		table ip em_topo {
			chain silence {
				type filter hook output priority 0;
				icmp type time-exceeded drop
			}
		}
	EOF
}

topo_ecmp() {
	local r2=${PFX}r2 ns
	for ns in a1 a2 b1 b2 c; do
		ip netns add "${PFX}$ns" || return 1
		TOPO_NS+=("${PFX}$ns")
		ip -n "${PFX}$ns" link set lo up || return 1
		_topo_router "${PFX}$ns" || return 1
	done
	_topo_link "$r2" r2c 192.0.2.21 "${PFX}a1" a1a 192.0.2.22 || return 1
	_topo_link "${PFX}a1" a1b 192.0.2.25 "${PFX}a2" a2a 192.0.2.26 || return 1
	_topo_link "${PFX}a2" a2b 192.0.2.29 "${PFX}c" ca 192.0.2.30 || return 1
	_topo_link "$r2" r2d 192.0.2.33 "${PFX}b1" b1a 192.0.2.34 || return 1
	_topo_link "${PFX}b1" b1b 192.0.2.37 "${PFX}b2" b2a 192.0.2.38 || return 1
	_topo_link "${PFX}b2" b2b 192.0.2.41 "${PFX}c" cb 192.0.2.42 || return 1
	ip -n "${PFX}a1" route add default via 192.0.2.21 || return 1
	ip -n "${PFX}a1" route add 198.18.6.0/24 via 192.0.2.26 || return 1
	ip -n "${PFX}a2" route add default via 192.0.2.25 || return 1
	ip -n "${PFX}a2" route add 198.18.6.0/24 via 192.0.2.30 || return 1
	ip -n "${PFX}b1" route add default via 192.0.2.33 || return 1
	ip -n "${PFX}b1" route add 198.18.6.0/24 via 192.0.2.38 || return 1
	ip -n "${PFX}b2" route add default via 192.0.2.37 || return 1
	ip -n "${PFX}b2" route add 198.18.6.0/24 via 192.0.2.42 || return 1
	ip -n "${PFX}c" route add default via 192.0.2.29 || return 1
	ip -n "${PFX}c" route add local 198.18.6.0/24 dev lo || return 1

	ip -n "$r2" route add 198.18.6.0/24 via 192.0.2.22 table 101 || return 1
	ip -n "$r2" route add 198.18.6.0/24 via 192.0.2.34 table 102 || return 1
	ip -n "$r2" rule add fwmark 1 lookup 101 || return 1
	ip -n "$r2" rule add fwmark 2 lookup 102 || return 1
	ip netns exec "$r2" nft -f - <<-EOF
		table ip em_ecmp {
			chain flow_hash {
				type filter hook prerouting priority mangle;
				ip daddr 198.18.6.0/24 meta mark set jhash @th,16,16 mod 2 seed 0x0 offset 1
			}
		}
	EOF
}

# topo_xdp PREFIX: the xdp_topology fixture on R1's em1 simulates a network of routers behind
# PREFIX by rule (see tests/fixtures/xdp_topology.bpf.c), at rates kernel routers cannot take.
topo_xdp() {
	local pid
	ip netns exec "$NS_R" "$FIXTURES/xdp_topology" "$RIFACE" "$1" \
		>"$NET_TMP/xdp_topology.out" 2>"$NET_TMP/xdp_topology.err" 3>&- &
	pid=$!
	track_pid "$pid"
	_wait_ready "$pid" "$NET_TMP/xdp_topology.out" xdp_topology
}

# topo_xdp_truth PREFIX MAX_TTL [paths]: the fixture's rule, independently: trace's text lines
# without the RTT, or with "paths" its --paths lines.
topo_xdp_truth() {
	local base=${1%/*} len=${1#*/}
	awk -v a="$(ip2int "$base")" -v size=$((1 << (32 - len))) -v max="$2" -v paths="${3:-}" '
	function ip(n) {
		return sprintf("%d.%d.%d.%d", int(n / 16777216) % 256, int(n / 65536) % 256,
			       int(n / 256) % 256, n % 256)
	}
	BEGIN {
		for (h = 0; h < size; h++) {
			t = ip(a + h); dist = 2 + h % 7; path = ""
			for (ttl = 1; ttl <= max; ttl++) {
				if (ttl >= dist) {
					if (!paths)
						print t, "ttl=" ttl, "from=" t, "echoreply code=0"
					path = path " " t
					if (paths)
						break
				} else if (ttl == 3 && h % 5 == 0) {
					path = path " *"
				} else {
					r = "198.19." ttl "." (1 + h % 4)
					if (!paths)
						print t, "ttl=" ttl, "from=" r, "timxceed code=0"
					path = path " " r
				}
			}
			if (paths)
				print t, (dist <= max ? "reached" : "incomplete"), "hops=" dist ":" path
		}
	}'
}

topo_cleanup() {
	local ns pid
	for ns in "${TOPO_NS[@]}"; do
		[ -e "/run/netns/$ns" ] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null || true); do
			kill -KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	TOPO_NS=()
	return 0
}

# The routers on the way, by TTL (R3, at TTL 3, is silent).
_TOPO_HOP=(- 192.0.2.2 192.0.2.6 - 192.0.2.14 192.0.2.18)

topo_truth() {
	local target=$1 max=$2 t
	for ((t = 1; t <= max; t++)); do
		case $target in
		198.18.5.*)
			if [ "$t" -ge 5 ]; then
				echo "$target ttl=$t from=$target echoreply code=0"
			elif [ "$t" -ne 3 ]; then
				echo "$target ttl=$t from=${_TOPO_HOP[t]} timxceed code=0"
			fi
			;;
		198.18.2.*)
			if [ "$t" -ge 2 ]; then
				echo "$target ttl=$t from=$target echoreply code=0"
			else
				echo "$target ttl=$t from=${_TOPO_HOP[t]} timxceed code=0"
			fi
			;;
		198.18.9.*)
			if [ "$t" -ge 3 ]; then
				echo "$target ttl=$t from=192.0.2.6 unreach code=1"
			else
				echo "$target ttl=$t from=${_TOPO_HOP[t]} timxceed code=0"
			fi
			;;
		198.18.7.*)
			[ "$t" -le 2 ] && echo "$target ttl=$t from=${_TOPO_HOP[t]} timxceed code=0"
			;;
		esac
	done
	return 0
}
