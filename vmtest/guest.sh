#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vmtest stage 2: PID 1 inside the VM after switch_root (vmtest/init has
# mounted everything). Runs the command that vmtest/run.sh left in
# /run/vmtest/cmd, writes its exit status to /run/vmtest/status (shared with
# the host) and powers off. Builtins only where possible: every exec of a
# host binary goes over 9p.
set -u

R=/run/vmtest
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb

poweroff_now() {
	# qemu's isa-debug-exit device (run.sh adds it) ends the VM at once and
	# silently; then ACPI power-off; then PID 1 exiting panics, and
	# panic=-1 with -no-reboot ends qemu too.
	sync
	printf '\0' | dd of=/dev/port bs=1 seek=244 count=1 conv=notrunc status=none 2>/dev/null
	echo o >/proc/sysrq-trigger
	sleep 10
	exit 1
}

# Environment forwarded by run.sh (TERM and VMTEST_PASSENV variables).
# shellcheck disable=SC1091
[ -f "$R/env" ] && . "$R/env"

# run.sh's two virtio-net NICs, joined by a QEMU hub, by the names tests/e2e/nic.bats knows.
modprobe -q virtio_net 2>/dev/null
for d in /sys/class/net/*; do
	read -r mac <"$d/address"
	case "$mac" in
	52:54:00:e3:76:00) ip link set "${d##*/}" name emv0 ;;
	52:54:00:e3:76:01) ip link set "${d##*/}" name emv1 ;;
	esac
done

read -r kver </proc/sys/kernel/osrelease
echo "vmtest: guest kernel $kver"
cd "$GUEST_CWD" 2>/dev/null || cd "$PROJ" || poweroff_now

# $R/cmd holds the command as a quoted word list; run it in a child with
# stdin from /dev/null so PID 1 survives whatever it does.
(
	eval "set -- $(<"$R/cmd")"
	exec "$@"
) </dev/null
echo "$?" >"$R/status"
poweroff_now
