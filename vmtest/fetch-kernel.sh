#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch a Debian kernel package for vmtest without installing it: apt-get download, dpkg -x
# into DIR (default .output/kernels/META), depmod for its module tree (the package leaves that
# to its postinst). Prints two lines, for vmtest/run.sh:
#   KERNEL=DIR/boot/vmlinuz-VERSION
#   MODULES=DIR/lib/modules/VERSION
#   vmtest/fetch-kernel.sh [META-PACKAGE [DIR]]     (default linux-image-6.12-amd64)
# Nothing is fetched again when DIR already holds the version the meta package names.
set -euo pipefail
cd "$(dirname "$0")/.."

meta=${1:-linux-image-6.12-amd64}
dir=${2:-.output/kernels/$meta}
log() { echo "fetch-kernel: $*" >&2; }

# The meta package depends on the versioned image package (linux-image-6.12.NN+deb12-amd64).
pkg=$(apt-cache depends "$meta" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ ]*\).*/\1/p' |
	head -n 1)
if [ -z "$pkg" ]; then
	log "$meta unknown: running apt-get update"
	apt-get update -qq
	pkg=$(apt-cache depends "$meta" | sed -n 's/^ *Depends: \(linux-image-[^ ]*\).*/\1/p' |
		head -n 1)
fi
[ -n "$pkg" ] || { log "no image package behind $meta"; exit 1; }
kver=${pkg#linux-image-}
kver=${kver%-unsigned}

if [ ! -f "$dir/lib/modules/$kver/modules.dep" ] || [ ! -e "$dir/boot/vmlinuz-$kver" ]; then
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	log "downloading $pkg"
	(cd "$tmp" && apt-get download -qq "$pkg" >/dev/null 2>&1) ||
		(cd "$tmp" && apt-get download -qq "$pkg-unsigned" >/dev/null)
	rm -rf "$dir"
	mkdir -p "$dir"
	dpkg -x "$tmp"/*.deb "$dir"
	depmod -b "$dir" "$kver"
fi
echo "KERNEL=$dir/boot/vmlinuz-$kver"
echo "MODULES=$dir/lib/modules/$kver"
