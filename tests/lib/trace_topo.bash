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
#                           └ (ECMP stage with --ecmp, see topo_setup)
#
# R1 is netns.bash's responder namespace ($NS_R); R2..R5 are "${PFX}r2".."${PFX}r5". Every router
# forwards and answers without ICMP rate limits (icmp_ratelimit=0, icmp_ratemask=0), except:
# R3 drops the time exceeded messages it sends (nft), so TTL 3 never answers; R2 refuses
# 198.18.9.0/24 with host unreachable (nft reject, after the TTL check: TTL 2 still expires
# there); R4 blackholes 198.18.7.0/24 (dropped before the TTL check: silent from TTL 4 on).
#
# topo_truth TARGET MAX_TTL prints what a trace of TARGET must find, one line per answering TTL:
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
		198.18.5.1)
			if [ "$t" -ge 5 ]; then
				echo "$target ttl=$t from=$target echoreply code=0"
			elif [ "$t" -ne 3 ]; then
				echo "$target ttl=$t from=${_TOPO_HOP[t]} timxceed code=0"
			fi
			;;
		198.18.2.1)
			if [ "$t" -ge 2 ]; then
				echo "$target ttl=$t from=$target echoreply code=0"
			else
				echo "$target ttl=$t from=${_TOPO_HOP[t]} timxceed code=0"
			fi
			;;
		198.18.9.1)
			if [ "$t" -ge 3 ]; then
				echo "$target ttl=$t from=192.0.2.6 unreach code=1"
			else
				echo "$target ttl=$t from=${_TOPO_HOP[t]} timxceed code=0"
			fi
			;;
		198.18.7.1)
			[ "$t" -le 2 ] && echo "$target ttl=$t from=${_TOPO_HOP[t]} timxceed code=0"
			;;
		esac
	done
	return 0
}
