#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Run a command (default: make test) inside a throw-away VM booted from a
# chosen kernel (default: Debian's linux-image-amd64), on a copy-on-write view
# of this machine's root filesystem, and exit with the command's status.
# See vmtest/README.md.
set -euo pipefail

usage() {
	cat <<'EOF'
usage: vmtest/run.sh [--kernel BZIMAGE] [--modules DIR] [-- COMMAND [ARG...]]

Boots BZIMAGE (default: the kernel of Debian's linux-image-amd64) under QEMU
(KVM if usable, else TCG), runs COMMAND (default: make test) as root in the
project directory and exits with its status, or 125 if the VM never reported
one (boot failure, crash, timeout). Uses vng (virtme-ng) when it is on PATH.

  --kernel BZIMAGE  kernel image to boot (also VMTEST_KERNEL)
  --modules DIR     module tree for that kernel, shown in the guest as
                    /lib/modules/$(uname -r) (also VMTEST_MODULES; default
                    /lib/modules/VERSION, VERSION read from the image)

Environment: VMTEST_TIMEOUT (s, default 1800), VMTEST_SMP (2), VMTEST_MEM (2G),
VMTEST_ACCEL (kvm|tcg, default kvm if a probe VM runs under it),
VMTEST_KVM_PROBE_TIMEOUT (s, 30), VMTEST_APPEND
(extra kernel command line), VMTEST_QEMU (qemu binary), VMTEST_QEMU_OPTS
(extra qemu arguments, word-split), VMTEST_BUSYBOX (static busybox),
VMTEST_PASSENV (names of host variables to pass to the command),
VMTEST_NO_VNG=1 (don't use vng even if present), VMTEST_KEEP=1 (keep the
temporary directory).
EOF
}

log() { echo "vmtest: $*" >&2; }
die() {
	log "error: $*"
	exit 125
}

# POSIX-shell quoting of each argument, joined by spaces.
quote() {
	local a out=()
	for a in "$@"; do
		out+=("'${a//\'/\'\\\'\'}'")
	done
	printf '%s' "${out[*]}"
}

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd -P)
PROJ=$(dirname "$HERE")

kernel=${VMTEST_KERNEL:-}
modules=${VMTEST_MODULES:-}
while (($#)); do
	case "$1" in
	--kernel) (($# >= 2)) || die "--kernel needs an argument"; kernel=$2; shift 2 ;;
	--kernel=*) kernel=${1#*=}; shift ;;
	--modules) (($# >= 2)) || die "--modules needs an argument"; modules=$2; shift 2 ;;
	--modules=*) modules=${1#*=}; shift ;;
	-h | --help) usage; exit 0 ;;
	--) shift; break ;;
	-*) usage >&2; die "unknown option $1" ;;
	*) break ;;
	esac
done
if (($#)); then cmd=("$@"); else cmd=(make test); fi

timeout_s=${VMTEST_TIMEOUT:-1800}
smp=${VMTEST_SMP:-2}
mem=${VMTEST_MEM:-2G}
qemu=${VMTEST_QEMU:-qemu-system-x86_64}
[[ $timeout_s =~ ^[0-9]+$ ]] || die "VMTEST_TIMEOUT must be a number of seconds"

# The command runs where we are if that is inside the project, else at its top.
cwd=$(pwd -P)
case "$cwd/" in "$PROJ"/*) ;; *) cwd=$PROJ ;; esac

use_vng=
if [ -z "${VMTEST_NO_VNG:-}" ] && command -v vng >/dev/null 2>&1; then use_vng=1; fi

# --- packages ---------------------------------------------------------------

is_static() { [ -x "$1" ] && ! ldd "$1" >/dev/null 2>&1; }
deb_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'; }

missing=()
if [ -z "${VMTEST_QEMU:-}" ] && ! command -v "$qemu" >/dev/null 2>&1; then missing+=(qemu-system-x86); fi
if [ -z "$use_vng" ] && [ -z "${VMTEST_BUSYBOX:-}" ] && ! is_static /bin/busybox; then
	missing+=(busybox-static)
fi
if [ -z "$kernel" ] && command -v dpkg-query >/dev/null 2>&1 && ! deb_installed linux-image-amd64; then
	missing+=(linux-image-amd64)
fi
if ((${#missing[@]})); then
	command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
	sudo=()
	if [ "$(id -u)" != 0 ]; then
		command -v sudo >/dev/null 2>&1 || die "missing ${missing[*]}: run as root to install them"
		sudo=(sudo)
	fi
	log "installing ${missing[*]}"
	"${sudo[@]}" apt-get update -qq || die "apt-get update failed"
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
		"${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
fi
command -v "$qemu" >/dev/null 2>&1 || die "$qemu not found (install qemu-system-x86)"

# --- kernel -----------------------------------------------------------------

# Version string of a kernel image, e.g. 6.1.0-56-amd64: a bzImage's setup
# header points at it; an uncompressed vmlinux has it in the clear.
image_version() {
	local f=$1 off
	if [ "$(head -c 4 "$f" | tr -d '\0')" = $'\177ELF' ]; then
		LC_ALL=C grep -aom1 'Linux version [^ ]*' "$f" | cut -d' ' -f3
		return
	fi
	[ "$(dd if="$f" bs=1 skip=514 count=4 2>/dev/null | tr -d '\0')" = HdrS ] || return 1
	off=$(od -An -tu2 -j 526 -N 2 "$f" | tr -d ' ')
	[ -n "$off" ] || return 1
	dd if="$f" bs=1 skip=$((off + 512)) count=200 2>/dev/null | tr '\0' '\n' | head -n 1 | cut -d' ' -f1
}

has_pvh_note() { # XEN_ELFNOTE_PHYS32_ENTRY (18): qemu can boot the ELF directly
	readelf -n "$1" 2>/dev/null | grep -Eq '^ *Xen .*(\(0x00000012\)|PHYS32_ENTRY)'
}

# Decompress the vmlinux inside a bzImage into $2 (as scripts/extract-vmlinux
# does). Under TCG, decompressing in the guest takes seconds; here, < 1 s.
extract_vmlinux() {
	local img=$1 dst=$2 fmt m off
	local -a tool
	for fmt in xz gzip zstd lz4 bzip2; do
		case $fmt in
		xz) m=$'\3757zXZ\000' tool=(xz -dc --single-stream) ;;
		gzip) m=$'\037\213\010' tool=(gzip -dc) ;;
		zstd) m=$'\050\265\057\375' tool=(zstd -dcq) ;;
		lz4) m=$'\002\041\114\030' tool=(lz4 -dc) ;;
		bzip2) m=BZh tool=(bzip2 -dc) ;;
		esac
		command -v "${tool[0]}" >/dev/null 2>&1 || continue
		for off in $(LC_ALL=C grep -abo "$m" "$img" 2>/dev/null | cut -d: -f1 | head -n 5); do
			tail -c +$((off + 1)) "$img" | "${tool[@]}" >"$dst" 2>/dev/null || true
			if [ "$(head -c 4 "$dst" | tr -d '\0')" = $'\177ELF' ] && has_pvh_note "$dst"; then
				return 0
			fi
		done
	done
	rm -f "$dst"
	return 1
}

if [ -z "$kernel" ]; then
	kver=
	if command -v dpkg-query >/dev/null 2>&1; then
		# linux-image-amd64 depends on linux-image-VERSION (= ...)
		kver=$(dpkg-query -W -f='${Depends}' linux-image-amd64 2>/dev/null |
			sed -n 's/^linux-image-\([^ ,|]*\).*/\1/p')
	fi
	if [ -n "$kver" ] && [ -e "/boot/vmlinuz-$kver" ]; then
		kernel=/boot/vmlinuz-$kver
	else
		kernel=$(find /boot -maxdepth 1 -name 'vmlinuz-*' 2>/dev/null | sort -V | tail -n 1)
		[ -n "$kernel" ] || die "no kernel in /boot: install linux-image-amd64 or pass --kernel"
	fi
fi
[ -e "$kernel" ] || die "kernel $kernel not found"
[ -r "$kernel" ] || die "kernel $kernel not readable (run as root?)"
kernel=$(readlink -f "$kernel")
kver=$(image_version "$kernel" || true)
[ -n "$kver" ] || log "warning: $kernel has no bzImage version header"

if [ -z "$modules" ] && [ -n "$kver" ]; then modules=/lib/modules/$kver; fi
if [ -n "$modules" ]; then modules=$(readlink -f "$modules" || echo "$modules"); fi
if [ -z "$modules" ] || [ ! -f "$modules/modules.dep" ]; then
	log "note: no module tree for ${kver:-$kernel} (${modules:-none}); 9p, virtio-pci, overlay, veth etc."
	log "note: must be built in, or pass --modules DIR (a lib/modules/VERSION tree)"
	modules=
fi

# --- vng ----------------------------------------------------------------------

if [ -n "$use_vng" ]; then
	log "booting $kernel with vng (timeout ${timeout_s}s)"
	inner="echo \"vmtest: guest kernel \$(uname -r)\";"
	inner+=" mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf;"
	inner+=" cd $(quote "$cwd") && exec $(quote "${cmd[@]}") </dev/null"
	rc=0
	timeout --foreground -k 10 "$timeout_s" \
		vng --run "$kernel" --rwdir "$PROJ" --cwd "$cwd" --cpus "$smp" --memory "$mem" \
		--exec "$inner" || rc=$?
	[ "$rc" != 124 ] || { log "timed out after ${timeout_s}s"; exit 125; }
	exit "$rc"
fi

# --- initramfs + qemu ---------------------------------------------------------

busybox=${VMTEST_BUSYBOX:-/bin/busybox}
is_static "$busybox" || die "$busybox is not a static busybox (install busybox-static or set VMTEST_BUSYBOX)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/vmtest.XXXXXX")
# shellcheck disable=SC2317 # called from the trap
cleanup() {
	if [ -n "${VMTEST_KEEP:-}" ]; then log "kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
qpid=
# shellcheck disable=SC2317 # called from the traps
stop_vm() {
	if [ -n "$qpid" ]; then
		kill -TERM "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
	fi
}
trap 'stop_vm; exit 130' INT
trap 'stop_vm; exit 143' TERM HUP

root=$tmp/initramfs results=$tmp/results
mkdir -p "$root/bin" "$root/modules" "$results"
cp "$busybox" "$root/bin/busybox"
cp "$HERE/init" "$root/init"
chmod 0755 "$root/init" "$root/bin/busybox"

# Modules for 9p over virtio-pci and overlayfs with their dependencies, in
# load order (modules.dep lists each module's full dependency closure,
# innermost last); built-in ones are simply absent from modules.dep.
: >"$root/modules.list"
if [ -n "$modules" ]; then
	awk -v want="virtio_pci 9pnet_virtio 9p overlay" '
		function name(p) { sub(/.*\//, "", p); sub(/\.ko(\.(xz|zst|gz))?$/, "", p); gsub(/-/, "_", p); return p }
		{ sub(/:$/, "", $1); m = name($1); file[m] = $1; deps[m] = ""
		  for (i = NF; i >= 2; i--) deps[m] = deps[m] " " $i }
		function emit(p) { if (!(p in done)) { done[p] = 1; print p } }
		END {
			n = split(want, w, " ")
			for (i = 1; i <= n; i++) {
				if (!(w[i] in file)) continue
				k = split(deps[w[i]], d, " ")
				for (j = 1; j <= k; j++) emit(d[j])
				emit(file[w[i]])
			}
		}' "$modules/modules.dep" | while read -r rel; do
		src=$modules/$rel
		base=${rel##*/}
		base=${base%.xz}
		base=${base%.zst}
		base=${base%.gz}
		case "$rel" in
		*.xz) xz -dc "$src" >"$root/modules/$base" ;;
		*.zst) zstd -qdc "$src" >"$root/modules/$base" ;;
		*.gz) gzip -dc "$src" >"$root/modules/$base" ;;
		*) cp "$src" "$root/modules/$base" ;;
		esac
		echo "$base" >>"$root/modules.list"
	done
fi

cat >"$root/vmtest.conf" <<EOF
PROJ=$(quote "$PROJ")
GUEST_CWD=$(quote "$cwd")
VMTEST_MODULES=$(quote "$modules")
MSIZE=512000
EOF
(cd "$root" && find . | "$busybox" cpio -o -H newc -R 0:0 2>/dev/null) >"$tmp/initramfs.cpio"

quote "${cmd[@]}" >"$results/cmd"
{
	[ -z "${TERM:-}" ] || echo "export TERM=$(quote "$TERM")"
	for v in ${VMTEST_PASSENV:-}; do
		[ -z "${!v+set}" ] || echo "export $v=$(quote "${!v}")"
	done
} >"$results/env"

NIC_MAC0=52:54:00:e3:76:00 NIC_MAC1=52:54:00:e3:76:01
append="console=ttyS0 panic=-1 quiet rdinit=/init ${VMTEST_APPEND:-}"
virtfs=security_model=none,multidevs=remap

# boot ACCEL IMAGE RESULTS_DIR TIMEOUT: runs the VM once; the guest reads its command from and
# writes its status to RESULTS_DIR. Sets qrc to qemu's exit status.
boot() {
	local accel=$1 image=$2 dir=$3 tmo=$4 cpu=max
	[ "$accel" = kvm ] && cpu=host
	# shellcheck disable=SC2054 # the commas are qemu's
	local q=(
		"$qemu" -nodefaults -no-user-config -no-reboot -display none
		-accel "$accel" -cpu "$cpu" -smp "$smp" -m "$mem"
		-kernel "$image" -initrd "$tmp/initramfs.cpio" -append "$append"
		-chardev stdio,id=con -serial chardev:con
		-device isa-debug-exit,iobase=0xf4,iosize=0x04
		-virtfs "local,path=/,mount_tag=hostroot,readonly=on,$virtfs"
		-virtfs "local,path=$PROJ,mount_tag=project,$virtfs"
		-virtfs "local,path=$dir,mount_tag=results,$virtfs"
		# Two virtio-net NICs joined by a QEMU hub (and to nothing else): a real NIC
		# driver for tests/e2e/nic.bats, which vmtest/guest.sh names by these MACs.
		-netdev hubport,id=nic0,hubid=0 -device "virtio-net-pci,netdev=nic0,mac=$NIC_MAC0"
		-netdev hubport,id=nic1,hubid=0 -device "virtio-net-pci,netdev=nic1,mac=$NIC_MAC1"
	)
	# shellcheck disable=SC2206 # word splitting of extra options is intended
	q+=(${VMTEST_QEMU_OPTS:-})
	qrc=0
	# In the background so that the traps run at once on a signal (bash defers
	# them until a foreground child exits).
	timeout --foreground -k 10 "$tmo" "${q[@]}" </dev/null &
	qpid=$!
	wait "$qpid" || qrc=$?
	qpid=
}

# /dev/kvm can be present and still unusable (nested virtualisation that
# rejects the CPU model, or a guest stuck before its first console line): a
# VM running `true` must report back in time, else TCG.
accel=${VMTEST_ACCEL:-}
if [ -z "$accel" ]; then
	accel=tcg
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		mkdir "$tmp/probe"
		echo true >"$tmp/probe/cmd"
		boot kvm "$kernel" "$tmp/probe" "${VMTEST_KVM_PROBE_TIMEOUT:-30}" >"$tmp/probe/console" 2>&1
		if [ "$(cat "$tmp/probe/status" 2>/dev/null)" = 0 ]; then
			accel=kvm
		else
			log "/dev/kvm is there but a VM did not run under it (qemu status $qrc): using TCG"
		fi
	fi
fi

# Under TCG, boot the uncompressed vmlinux through its PVH entry point when
# it has one (saves about 3 s of in-guest decompression per boot).
boot_image=$kernel how=bzImage
if [ "$(head -c 4 "$kernel" | tr -d '\0')" = $'\177ELF' ]; then
	has_pvh_note "$kernel" || die "$kernel is an ELF vmlinux without a PVH entry note: pass the bzImage"
	how=PVH
elif [ "$accel" = tcg ] && [ "${VMTEST_PVH:-1}" != 0 ] && extract_vmlinux "$kernel" "$tmp/vmlinux"; then
	boot_image=$tmp/vmlinux how=PVH
fi

# Tests whose truth is time itself read this (see require_real_time in tests/lib/netns.bash).
echo "export VMTEST_ACCEL=$accel" >>"$results/env"

log "booting ${kver:-$kernel} ($how, $accel, ${smp} CPUs, $mem, timeout ${timeout_s}s): $(quote "${cmd[@]}")"
start=$SECONDS
boot "$accel" "$boot_image" "$results" "$timeout_s"

if [ -s "$results/status" ]; then
	rc=$(cat "$results/status")
	[[ $rc =~ ^[0-9]+$ ]] || die "bad status \"$rc\" from the VM"
	log "command exited with status $rc after $((SECONDS - start))s"
	exit "$rc"
fi
case "$qrc" in
124 | 137) log "error: timed out after ${timeout_s}s (VMTEST_TIMEOUT)" ;;
*) log "error: the VM stopped (qemu status $qrc) without reporting the command's status (see the output above)" ;;
esac
exit 125
