# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash disable=SC2119,SC2120
#
# Test network for echomap's end-to-end tests and demo (DESIGN §8). Load it from bats with
# `load ../lib/netns`, or source it from a script.
#
#   sender ns "${PFX}s"                         responder ns "${PFX}r"
#   em0 192.0.2.1/30  ══════ veth ══════  em1 192.0.2.2/30
#   198.18.0.0/15 and default via 192.0.2.2     answers targets: kernel, XDP fixture or
#                                               delaying fixture; routes/unreaches others
#
# Nothing here touches the host's interfaces: links are created inside the namespaces and
# everything is configured with `ip -n` / `ip netns exec`. The namespace names carry a prefix
# unique to the run ($PFX), and netns_cleanup removes them, the per-namespace files under
# /etc/netns and every process started here. Call it from bats' teardown or a trap.
#
# After netns_setup these are set (and exported):
#   PFX      unique prefix of this network, e.g. "em4f2a9c-"
#   NS_S     sender namespace ("${PFX}s"): run echomap here with in_s
#   NS_R     responder namespace ("${PFX}r")
#   IFACE    sender's veth, in NS_S (em0)
#   RIFACE   responder's veth, in NS_R (em1)
#   SRC      sender's address (192.0.2.1)
#   GW       responder's address (192.0.2.2), next hop for 198.18.0.0/15
#   ROUTER   address ICMP errors come from when the responder routes (= GW)
#   NET_TMP  scratch directory of this network (fixture logs, outputs)
# Always set: ROOT (repository root), ECHOMAP (.output/echomap), FIXTURES (.output/tests/fixtures).
#
# Functions:
#   netns_setup [--queues N]          build the network (N rx/tx queues per veth end; default:
#                                     the kernel's, one per CPU)
#   netns_setup --nic DEV_S DEV_R     the same over two existing NICs of the host joined by a
#                                     wire (vmtest's virtio-net pair): moved into the
#                                     namespaces, back when they go (IFACE=DEV_S, RIFACE=DEV_R)
#   netns_cleanup                     remove everything netns_setup and the responders made
#   in_s CMD... / in_r CMD...         run CMD in the sender / responder namespace
#   respond_kernel PREFIX             responder's kernel answers every address of PREFIX
#   respond_xdp PREFIX [--ttl N] [--silent-mod K] [--loss-pct P] [--mode native|generic]
#               [--action redirect|tx]
#                                     XDP fixture answers PREFIX on em1, except hosts whose
#                                     offset in PREFIX is a multiple of K (silent)
#   respond_delay PREFIX MS [JITTER_MS [LOSS_PCT [fixture options...]]]
#                                     user-space fixture answers PREFIX after MS ms (+-JITTER,
#                                     LOSS_PCT % dropped); log of "<target> <hold_us>" lines in
#                                     $DELAY_LOG, complete after responder_stop
#   unreach_router PREFIX             responder routes, PREFIX is unreachable: ICMP host
#                                     unreachable from $ROUTER (at most 5 per network: see below)
#   timxceed_router PREFIX            probes to PREFIX with --ttl 1 draw ICMP time exceeded
#                                     from $ROUTER
#   responder_stop                    stop the fixture responders (flushes their logs)
#   own_drops on|off                  on: em0 drops every frame over 256 bytes (probes with
#                                     --size 400), counted in its tx_dropped as when its ring
#                                     is full; off: it takes them again
#   link_stat NS DEV COUNTER          one of DEV's statistics (/sys/class/net/DEV/statistics)
#   hosts_add ADDR NAME...            name resolution in NS_S through /etc/netns/NS_S/hosts
#   dns_start [--OPTION...] NAME=ADDR...
#                                     dnsmasq on $GW in NS_R answers these names; other names
#                                     draw REFUSED (no upstream) unless an --OPTION, passed to
#                                     dnsmasq as is, says otherwise (--local=/DOMAIN/: NXDOMAIN);
#                                     its pid in $DNS_PID (SIGHUP: it reads --addn-hosts again)
#   track_pid PID                     have netns_cleanup kill PID (e.g. a background echomap)
#   xdp_attached [NS [DEV]]           true if an XDP program is attached (default NS_S, IFACE)
#   xdp_truth PREFIX SILENT_MOD [alive|silent]
#                                     addresses of PREFIX the XDP fixture answers / ignores
#   range_list FIRST LAST             every address FIRST..LAST, one per line
#   ip2int ADDR / int2ip N            conversions
#   require_root, require_echomap, require_fixtures, require_cmd CMD   skip unless available
#   require_real_time                 skip where the CPU is emulated (vmtest under TCG)
#
# For the bats end-to-end tests (bottom of this file):
#   e2e_setup / e2e_teardown          per-test network; teardown fails the test if an echomap
#                                     process or an XDP program is left in the sender namespace
#   em ARGS...                        echomap ARGS... in NS_S (with --engine $ENGINE if set)
#   em_capture ARGS...                same, stdout to $OUT, stderr to $ERR, exit status in
#                                     $EM_STATUS (never fails itself)
#   e2e_engines                       the transmit engines to run each test with
#   wait_for SECONDS CMD...           poll until CMD succeeds
#   same_lines WANT GOT               compare two sorted files, report missing/invented lines
#
# veth quirks this relies on (kernel 6.18):
# - A veth end receives XDP_TX'd or redirected frames only if it has a NAPI instance: a native
#   XDP program of its own, or GRO enabled. netns_setup turns GRO on at both ends with the
#   set_gro fixture (ethtool is not installed), so the kernel's own ping/fping work against the
#   XDP responder while echomap is not running.
# - XDP_TX frames are flushed to the peer only if the peer runs a *native* XDP program; with
#   GRO alone they sit in its ring. The XDP responder therefore answers with bpf_redirect to
#   its own device by default (ndo_xdp_xmit flushes); --action tx gives plain XDP_TX.

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
ECHOMAP=${ECHOMAP:-$ROOT/.output/echomap}
FIXTURES=${FIXTURES:-$ROOT/.output/tests/fixtures}
export ROOT ECHOMAP FIXTURES

LINK_S=192.0.2.1
LINK_R=192.0.2.2
LINK_LEN=30
TARGET_NET=198.18.0.0/15

_NETNS_PIDS=()
_NETNS_NICS=

_netns_log() {
	[ -n "${NETNS_VERBOSE:-}" ] && echo "# netns: $*" >&2
	return 0
}

_netns_fail() {
	echo "netns: $*" >&2
	return 1
}

in_s() { ip netns exec "$NS_S" "$@"; }
in_r() { ip netns exec "$NS_R" "$@"; }

ip2int() {
	local IFS=. a b c d
	read -r a b c d <<<"$1"
	echo $(((a << 24) | (b << 16) | (c << 8) | d))
}

int2ip() {
	local n=$1
	echo "$(((n >> 24) & 255)).$(((n >> 16) & 255)).$(((n >> 8) & 255)).$((n & 255))"
}

# range_list FIRST LAST: every address from FIRST to LAST inclusive.
range_list() {
	awk -v a="$(ip2int "$1")" -v b="$(ip2int "$2")" 'BEGIN {
		for (n = a; n <= b; n++)
			printf "%d.%d.%d.%d\n", int(n / 16777216) % 256, int(n / 65536) % 256,
			       int(n / 256) % 256, n % 256
	}'
}

# xdp_truth PREFIX SILENT_MOD [alive|silent]: what the XDP fixture does, computed independently:
# an address answers unless (address - base) % SILENT_MOD == 0 (SILENT_MOD 0: all answer).
xdp_truth() {
	local base=${1%/*} len=${1#*/} mod=$2 want=${3:-alive} size
	size=$((1 << (32 - len)))
	awk -v a="$(ip2int "$base")" -v size="$size" -v mod="$mod" -v want="$want" 'BEGIN {
		for (h = 0; h < size; h++) {
			silent = mod > 0 && h % mod == 0
			if ((want == "silent") != silent)
				continue
			n = a + h
			printf "%d.%d.%d.%d\n", int(n / 16777216) % 256, int(n / 65536) % 256,
			       int(n / 256) % 256, n % 256
		}
	}'
}

# missing REASON: skip the test, or with CI=true fail it: CI has every capability and package,
# so there a missing one is a broken setup, not a reason to pass with nothing tested.
missing() {
	if [ "${CI:-}" = true ]; then
		echo "CI=true: $1" >&2
		return 1
	fi
	skip "$1"
}

require_root() {
	[ "$(id -u)" -eq 0 ] || missing "needs root (network namespaces, XDP)" || return
	ip netns list >/dev/null 2>&1 || missing "ip netns not usable"
}

require_echomap() {
	[ -x "$ECHOMAP" ] || missing "$ECHOMAP not built (make all)"
}

require_fixtures() {
	local f
	for f in "$@"; do
		[ -x "$FIXTURES/$f" ] || missing "fixture $f not built (make all)" || return
	done
}

# require_real_time: skip a test whose truth is sub-millisecond time on a CPU that is emulated
# (vmtest under TCG): there a stalled vCPU adds milliseconds to single packets, the kernel's
# own ping's as much as ours, so no band taken from the same run holds. Under KVM and on the
# host the test runs.
require_real_time() {
	[ "${VMTEST_ACCEL:-}" != tcg ] ||
		skip "sub-millisecond timing needs a real CPU clock: this VM's CPU is emulated (TCG)"
}

require_cmd() {
	command -v "$1" >/dev/null 2>&1 || missing "$1 not installed"
}

track_pid() {
	_NETNS_PIDS+=("$1")
}

_netns_prefix() {
	local r
	r=$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')
	echo "em$(printf %x $$)${r}-"
}

# netns_setup [--queues N | --nic DEV_S DEV_R]
netns_setup() {
	local qargs=() nic=()

	while [ $# -gt 0 ]; do
		case $1 in
		--queues) qargs=(numtxqueues "$2" numrxqueues "$2"); shift 2 ;;
		--nic) nic=("$2" "$3"); shift 3 ;;
		*) _netns_fail "netns_setup: unknown option $1"; return 1 ;;
		esac
	done

	PFX=$(_netns_prefix)
	NS_S=${PFX}s
	NS_R=${PFX}r
	IFACE=${nic[0]:-em0}
	RIFACE=${nic[1]:-em1}
	_NETNS_NICS=${nic[*]}
	SRC=$LINK_S
	GW=$LINK_R
	ROUTER=$LINK_R
	NET_TMP=$(mktemp -d "${TMPDIR:-/tmp}/${PFX}XXXXXX")
	chmod 755 "$NET_TMP"
	export PFX NS_S NS_R IFACE RIFACE SRC GW ROUTER NET_TMP
	_netns_log "setup $NS_S $NS_R"

	if ! _netns_build "${qargs[@]}"; then
		netns_cleanup
		_netns_fail "netns_setup failed"
		return 1
	fi
}

_netns_build() {
	local ns dev

	ip netns add "$NS_S" || return 1
	ip netns add "$NS_R" || return 1
	if [ -n "$_NETNS_NICS" ]; then
		# A deleted namespace hands its NICs back asynchronously: the last test's may be
		# on their way.
		if ! wait_for 10 _nics_home; then
			_netns_fail "NICs $_NETNS_NICS are not in the root namespace"
			return 1
		fi
		ip link set "$IFACE" netns "$NS_S" || return 1
		ip link set "$RIFACE" netns "$NS_R" || return 1
	else
		# Both ends are created inside the namespaces: the host never sees these links.
		ip -n "$NS_S" link add "$IFACE" "$@" type veth peer name "$RIFACE" netns "$NS_R" "$@" ||
			return 1
	fi
	for ns in "$NS_S" "$NS_R"; do
		ip -n "$ns" link set lo up || return 1
		ip netns exec "$ns" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
			net.ipv4.conf.default.rp_filter=0 || return 1
	done
	ip -n "$NS_S" addr add "$LINK_S/$LINK_LEN" dev "$IFACE" || return 1
	ip -n "$NS_R" addr add "$LINK_R/$LINK_LEN" dev "$RIFACE" || return 1
	ip -n "$NS_S" link set "$IFACE" up || return 1
	ip -n "$NS_R" link set "$RIFACE" up || return 1
	ip netns exec "$NS_S" sysctl -qw "net.ipv4.conf.$IFACE.rp_filter=0" || return 1
	ip netns exec "$NS_R" sysctl -qw "net.ipv4.conf.$RIFACE.rp_filter=0" || return 1
	ip -n "$NS_S" route add "$TARGET_NET" via "$LINK_R" dev "$IFACE" || return 1
	ip -n "$NS_S" route add default via "$LINK_R" dev "$IFACE" || return 1

	# A veth end receives XDP_TX'd frames only with an XDP program or GRO (NAPI) of its own.
	for dev in "$NS_S:$IFACE" "$NS_R:$RIFACE"; do
		if [ -x "$FIXTURES/set_gro" ]; then
			ip netns exec "${dev%%:*}" "$FIXTURES/set_gro" "${dev#*:}" on || return 1
		elif command -v ethtool >/dev/null; then
			ip netns exec "${dev%%:*}" ethtool -K "${dev#*:}" gro on || return 1
		else
			echo "netns: cannot enable GRO on ${dev#*:} (no set_gro fixture, no ethtool):" \
				"XDP_TX replies reach the sender only while it runs an XDP program" >&2
		fi
	done

	# Per-namespace name resolution (ip netns exec bind-mounts these over /etc).
	mkdir -p "/etc/netns/$NS_S" || return 1
	printf '127.0.0.1\tlocalhost\n' >"/etc/netns/$NS_S/hosts"
	printf 'nameserver %s\noptions timeout:1 attempts:1\n' "$LINK_R" \
		>"/etc/netns/$NS_S/resolv.conf"
}

_nics_home() {
	local dev
	for dev in $_NETNS_NICS; do
		[ -e "/sys/class/net/$dev" ] || return 1
	done
}

# Waits until FILE holds a line "ready" or process PID died; TIMEOUT seconds (default 10).
_wait_ready() {
	local pid=$1 file=$2 what=$3 i
	for ((i = 0; i < 200; i++)); do
		grep -qx ready "$file" 2>/dev/null && return 0
		if ! kill -0 "$pid" 2>/dev/null; then
			_netns_fail "$what exited before it was ready: $(cat "$NET_TMP/$what.err" 2>/dev/null)"
			return 1
		fi
		sleep 0.05
	done
	_netns_fail "$what not ready after 10 s"
	return 1
}

# respond_kernel PREFIX: the responder's kernel owns every address of PREFIX and answers.
respond_kernel() {
	local prefix=$1
	ip netns exec "$NS_R" sysctl -qw net.ipv4.icmp_echo_ignore_all=0 || return 1
	ip -n "$NS_R" route replace local "$prefix" dev lo || return 1
}

# v6_link: 2001:db8::1 (us) and ::2 (the responder) on the veth pair; the responder's kernel
# owns 2001:db8:1::/64 and answers it; we reach it through ::2 as a gateway.
v6_link() {
	# nodad: no duplicate address detection to wait for. The link-local addresses too: the
	# kernel solicits a neighbour it is asked to resolve from one, and sends nothing while the
	# automatic one is tentative.
	ip -n "$NS_S" -6 addr add 2001:db8::1/64 dev "$IFACE" nodad
	ip -n "$NS_R" -6 addr add 2001:db8::2/64 dev "$RIFACE" nodad
	ip -n "$NS_S" -6 addr add fe80::1/64 dev "$IFACE" nodad
	ip -n "$NS_R" -6 addr add fe80::2/64 dev "$RIFACE" nodad
	ip -n "$NS_R" -6 route add local 2001:db8:1::/64 dev lo
	ip -n "$NS_S" -6 route add 2001:db8:1::/64 via 2001:db8::2 dev "$IFACE"
}

# respond_xdp PREFIX [--ttl N] [--silent-mod K] [--loss-pct P] [--mode native|generic]
respond_xdp() {
	local prefix=$1 pid
	shift
	[ -x "$FIXTURES/xdp_responder" ] || { _netns_fail "xdp_responder not built"; return 1; }
	ip netns exec "$NS_R" "$FIXTURES/xdp_responder" "$RIFACE" "$prefix" "$@" \
		>"$NET_TMP/xdp_responder.out" 2>"$NET_TMP/xdp_responder.err" 3>&- &
	pid=$!
	track_pid "$pid"
	XDP_RESPONDER_PID=$pid
	export XDP_RESPONDER_PID
	_wait_ready "$pid" "$NET_TMP/xdp_responder.out" xdp_responder
}

# respond_delay PREFIX MS [JITTER_MS [LOSS_PCT [more delay_responder options...]]]
respond_delay() {
	local prefix=$1 ms=$2 jitter=${3:-0} loss=${4:-0} pid
	shift 2
	[ $# -gt 0 ] && shift
	[ $# -gt 0 ] && shift
	[ -x "$FIXTURES/delay_responder" ] || { _netns_fail "delay_responder not built"; return 1; }
	# Requests must be delivered locally to reach the raw socket, and the kernel stays quiet.
	ip netns exec "$NS_R" sysctl -qw net.ipv4.icmp_echo_ignore_all=1 || return 1
	ip -n "$NS_R" route replace local "$prefix" dev lo || return 1
	DELAY_LOG=$NET_TMP/delay.log
	export DELAY_LOG
	# SCHED_FIFO (--rt) keeps a busy prober on a 2-CPU machine from making replies late;
	# DELAY_RT=0 turns it off.
	[ "${DELAY_RT:-1}" = 1 ] && set -- --rt "$@"
	ip netns exec "$NS_R" "$FIXTURES/delay_responder" --delay-ms "$ms" --jitter-ms "$jitter" \
		--loss-pct "$loss" --log "$DELAY_LOG" "$@" \
		>"$NET_TMP/delay_responder.out" 2>"$NET_TMP/delay_responder.err" 3>&- &
	pid=$!
	track_pid "$pid"
	DELAY_RESPONDER_PID=$pid
	export DELAY_RESPONDER_PID
	_wait_ready "$pid" "$NET_TMP/delay_responder.out" delay_responder
}

# timxceed_router PREFIX: the responder forwards PREFIX back towards the sender, so a probe
# sent with --ttl 1 expires there: ICMP time exceeded (code 0) from $ROUTER. (With a larger TTL
# the probe returns to the sender, which does not forward, and is dropped.)
timxceed_router() {
	local prefix=$1
	ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.icmp_ratelimit=0 ||
		return 1
	ip netns exec "$NS_R" sysctl -qw net.ipv4.icmp_msgs_per_sec=100000 2>/dev/null
	ip -n "$NS_R" route replace "$prefix" via "$LINK_S" dev "$RIFACE" || return 1
}

# own_drops on|off: a peer MTU of 256 makes em0 drop longer frames on our side of the wire.
own_drops() {
	ip -n "$NS_R" link set "$RIFACE" mtu "$([ "$1" = on ] && echo 256 || echo 1500)"
}

link_stat() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"; }

# unreach_router PREFIX: the responder forwards, and PREFIX is an unreachable route there, so
# probes to it draw ICMP destination unreachable (code 1, host) from $ROUTER. The kernel
# rate-limits these per sender (ip_error: a burst of 5, then one per second, set by the host-wide
# net.ipv4.route.error_cost/error_burst that we do not touch): probe at most 5 addresses per
# network.
unreach_router() {
	local prefix=$1
	ip netns exec "$NS_R" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.icmp_ratelimit=0 ||
		return 1
	ip netns exec "$NS_R" sysctl -qw net.ipv4.icmp_msgs_per_sec=100000 2>/dev/null
	# nftables rejects in the forward path: an `unreachable` route would answer through
	# ip_error(), which the kernel rate-limits per source with host-wide sysctls.
	ip -n "$NS_R" route replace "$prefix" via "$LINK_S" dev "$RIFACE" || return 1
	ip netns exec "$NS_R" nft -f - <<-EOF || return 1
		table ip em_unreach {
			chain reject_fwd {
				type filter hook forward priority 0;
				ip daddr $prefix reject with icmp host-unreachable
			}
		}
	EOF
}

# Stops the fixture responders (SIGTERM, so logs are flushed and counters printed).
responder_stop() {
	local pid
	for pid in ${XDP_RESPONDER_PID:-} ${DELAY_RESPONDER_PID:-}; do
		kill -TERM "$pid" 2>/dev/null || continue
		# Not our child when started in another (sub)shell: wait cannot help there.
		wait "$pid" 2>/dev/null || true
		while kill -0 "$pid" 2>/dev/null; do
			sleep 0.02
		done
	done
	XDP_RESPONDER_PID='' DELAY_RESPONDER_PID=''
	return 0
}

# hosts_add ADDR NAME...: names for the sender's resolver (/etc/hosts inside NS_S).
hosts_add() {
	local addr=$1
	shift
	printf '%s\t%s\n' "$addr" "$*" >>"/etc/netns/$NS_S/hosts"
}

# dns_start [--OPTION...] NAME=ADDR...: a real DNS server (dnsmasq) on $GW in NS_R; options
# go to dnsmasq as they are; other names: REFUSED (dnsmasq has no upstream server).
dns_start() {
	local args=() kv pid i
	command -v dnsmasq >/dev/null || { _netns_fail "dnsmasq not installed"; return 1; }
	for kv in "$@"; do
		case $kv in
		--*) args+=("$kv") ;;
		*) args+=("--host-record=${kv%%=*},${kv#*=}") ;;
		esac
	done
	ip netns exec "$NS_R" dnsmasq --keep-in-foreground --no-resolv --no-hosts --no-poll \
		--bind-interfaces --listen-address="$LINK_R" --port=53 --user=root --group=root \
		--pid-file= --conf-file=/dev/null --log-facility="$NET_TMP/dnsmasq.log" "${args[@]}" \
		>"$NET_TMP/dnsmasq.out" 2>&1 3>&- &
	pid=$!
	track_pid "$pid"
	DNS_PID=$pid
	export DNS_PID
	for ((i = 0; i < 100; i++)); do
		ip netns exec "$NS_R" ss -Hlun "sport = :53" 2>/dev/null | grep -q . && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	_netns_fail "dnsmasq did not start: $(cat "$NET_TMP/dnsmasq.out" 2>/dev/null)"
}

# xdp_attached [NS [DEV]]: an XDP program (any mode) is attached to DEV in NS.
xdp_attached() {
	local ns=${1:-$NS_S} dev=${2:-$IFACE}
	ip -n "$ns" -d link show dev "$dev" 2>/dev/null |
		grep -Eq '(^|[[:space:]])(xdp|xdpgeneric|xdpdrv|xdpoffload|xdpmulti)([[:space:]]|$)|prog/xdp'
}

# Kills what we started, then removes the namespaces and their files. Safe to call twice, and
# under `set -e` (bats, the demo): nothing in here may fail.
netns_cleanup() {
	local pid ns i alive

	for pid in "${_NETNS_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for ns in ${NS_S:-} ${NS_R:-}; do
		[ -e "/run/netns/$ns" ] || continue
		# Anything still running in our namespaces was started by this run.
		for pid in $(ip netns pids "$ns" 2>/dev/null || true); do
			kill -TERM "$pid" 2>/dev/null || true
		done
	done
	for ((i = 0; i < 40; i++)); do
		alive=0
		for pid in "${_NETNS_PIDS[@]}"; do
			if kill -0 "$pid" 2>/dev/null; then
				alive=1
			fi
		done
		for ns in ${NS_S:-} ${NS_R:-}; do
			if [ -e "/run/netns/$ns" ] && [ -n "$(ip netns pids "$ns" 2>/dev/null || true)" ]; then
				alive=1
			fi
		done
		[ $alive -eq 0 ] && break
		sleep 0.05
	done
	for pid in "${_NETNS_PIDS[@]}"; do
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	for ns in ${NS_S:-} ${NS_R:-}; do
		[ -e "/run/netns/$ns" ] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null || true); do
			kill -KILL "$pid" 2>/dev/null || true
		done
		ip netns del "$ns" 2>/dev/null || true
		rm -rf "/etc/netns/${ns:?}"
	done
	if [ -n "${NET_TMP:-}" ] && [ -d "$NET_TMP" ]; then
		rm -rf "$NET_TMP"
	fi
	# NICs go home with their namespace's deletion, some time after it.
	[ -z "$_NETNS_NICS" ] || wait_for 10 _nics_home || true
	_NETNS_PIDS=()
	XDP_RESPONDER_PID='' DELAY_RESPONDER_PID=''
	_netns_log "cleaned up ${PFX:-}"
	return 0
}

# ---------------------------------------------------------------------------------------------
# Helpers for the bats end-to-end tests.

export LC_ALL=C

# em and em_capture add --engine $ENGINE after the command when ENGINE is set (see e2e_engines).
em() { ip netns exec "$NS_S" "$ECHOMAP" "$1" ${ENGINE:+--engine "$ENGINE"} "${@:2}"; }

em_capture() {
	OUT=$NET_TMP/out
	ERR=$NET_TMP/err
	EM_STATUS=0
	ip netns exec "$NS_S" "$ECHOMAP" "$1" ${ENGINE:+--engine "$ENGINE"} "${@:2}" >"$OUT" \
		2>"$ERR" || EM_STATUS=$?
	return 0
}

# e2e_engines: the transmit engines this kernel runs, for tests that loop over them
# (`for ENGINE in $(e2e_engines)`): afxdp and raw always, xdp-live from Linux 5.18 (XDP live
# frames). $ENGINES, if set, is the list instead.
# kernel_at_least MAJOR MINOR: the running kernel is MAJOR.MINOR or newer.
kernel_at_least() {
	local major minor
	IFS=. read -r major minor _ <<<"$(uname -r)"
	minor=${minor%%[!0-9]*}
	[ "$major" -gt "$1" ] || { [ "$major" -eq "$1" ] && [ "$minor" -ge "$2" ]; }
}

e2e_engines() {
	if [ -n "${ENGINES:-}" ]; then
		echo "$ENGINES"
	elif kernel_at_least 5 18; then
		echo afxdp raw xdp-live
	else
		echo afxdp raw
	fi
}

# wait_for SECONDS CMD...: true as soon as CMD succeeds, false after SECONDS.
wait_for() {
	local end=$(($(date +%s%N) + $1 * 1000000000))
	shift
	while ! "$@"; do
		[ "$(date +%s%N)" -lt "$end" ] || return 1
		sleep 0.05
	done
}

# same_lines WANT GOT: sorted files with the same lines; otherwise says what differs.
same_lines() {
	local missing invented
	cmp -s "$1" "$2" && return 0
	missing=$(comm -23 "$1" "$2" | wc -l)
	invented=$(comm -13 "$1" "$2" | wc -l)
	echo "expected $(wc -l <"$1") lines, got $(wc -l <"$2"): $missing missing," \
		"$invented invented" >&2
	comm -23 "$1" "$2" | head -5 | sed 's/^/  missing:  /' >&2
	comm -13 "$1" "$2" | head -5 | sed 's/^/  invented: /' >&2
	return 1
}

# Prints what ran and what it said, for failure diagnostics.
em_dump() {
	echo "exit status: ${EM_STATUS:-?}" >&2
	echo "--- stderr:" >&2
	head -20 "$ERR" >&2 2>/dev/null
	echo "--- stdout (head):" >&2
	head -10 "$OUT" >&2 2>/dev/null
}

# expect_status N: the last em_capture exited with N.
expect_status() {
	[ "$EM_STATUS" -eq "$1" ] && return 0
	echo "expected exit status $1" >&2
	em_dump
	return 1
}

_echomap_pids() {
	local pid
	for pid in $(ip netns pids "$NS_S" 2>/dev/null); do
		[ "$(cat "/proc/$pid/comm" 2>/dev/null)" = echomap ] && echo "$pid"
	done
	return 0
}

_no_echomap_running() { [ -z "$(_echomap_pids)" ]; }
_no_xdp() { ! xdp_attached; }

# assert_clean: no echomap process in NS_S and no XDP program on its interface.
assert_clean() {
	if ! wait_for 3 _no_echomap_running; then
		echo "echomap still running in $NS_S: $(_echomap_pids)" >&2
		return 1
	fi
	if ! wait_for 2 _no_xdp; then
		echo "XDP program left attached to $IFACE:" >&2
		ip -n "$NS_S" -d link show dev "$IFACE" >&2
		return 1
	fi
}

e2e_setup() {
	require_root
	require_echomap
	require_fixtures set_gro
	netns_setup
}

e2e_teardown() {
	local rc=0 pid
	if [ -n "${NS_S:-}" ] && [ -e "/run/netns/$NS_S" ]; then
		if ! _no_echomap_running; then
			echo "teardown: echomap left running after the test" >&2
			for pid in $(_echomap_pids); do
				kill -KILL "$pid" 2>/dev/null
			done
			wait_for 3 _no_echomap_running
			rc=1
		fi
		if ! wait_for 2 _no_xdp; then
			echo "teardown: XDP program left attached to $IFACE in $NS_S:" >&2
			ip -n "$NS_S" -d link show dev "$IFACE" >&2
			rc=1
		fi
	fi
	netns_cleanup
	return $rc
}
