#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Smoke test of the Debian package (make deb): its files, unpacked with dpkg -x; then, as root,
# dpkg -i, --version, the man pages, completion, a sweep in a test namespace with the
# installed binary, and dpkg -r / dpkg -P leaving none of its files behind.
#   tests/packaging/deb-smoke.sh [DEB]   (default .output/deb/echomap_VERSION_amd64.deb)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
VERSION=$(cat VERSION)
DEB=$(realpath "${1:-.output/deb/echomap_${VERSION}_amd64.deb}")

fail() { echo "deb-smoke: $*" >&2; exit 1; }
step() { echo "deb-smoke: $*"; }

[ -f "$DEB" ] || fail "$DEB not found (make deb)"
TMP=$(mktemp -d)
installed=
cleanup() {
	[ -z "$installed" ] || dpkg_locked -P echomap >/dev/null 2>&1 || true
	[ "$(type -t netns_cleanup)" != function ] || netns_cleanup
	rm -rf "$TMP"
}
trap cleanup EXIT

# dpkg_locked ARGS...: dpkg ARGS, waiting while another dpkg or apt holds the lock (make deps
# or another job on the same machine).
dpkg_locked() {
	local i rc
	for ((i = 0; i < 150; i++)); do
		rc=0
		dpkg "$@" 2>"$TMP/dpkg.err" || rc=$?
		if [ "$rc" -ne 0 ] && grep -q 'lock' "$TMP/dpkg.err"; then
			sleep 2
			continue
		fi
		cat "$TMP/dpkg.err" >&2
		return "$rc"
	done
	cat "$TMP/dpkg.err" >&2
	return 1
}

step "dpkg -x $(basename "$DEB")"
dpkg -x "$DEB" "$TMP/x"
for f in usr/bin/echomap lib/systemd/system/echomap.service \
	usr/share/bash-completion/completions/echomap usr/share/zsh/vendor-completions/_echomap \
	usr/share/doc/echomap/copyright usr/share/doc/echomap/examples/supervisor-echomap.conf \
	usr/share/man/man8/echomap.8.gz usr/share/man/man8/echomap-sweep.8.gz \
	usr/share/man/man8/echomap-ping.8.gz usr/share/man/man8/echomap-watch.8.gz \
	usr/share/man/man8/echomap-map.8.gz; do
	[ -e "$TMP/x/$f" ] || fail "$f is not in the package"
done
grep -qx 'ExecStart=/usr/bin/echomap watch .*' "$TMP/x/lib/systemd/system/echomap.service" ||
	fail "the unit does not start /usr/bin/echomap"
"$TMP/x/usr/bin/echomap" --version | grep -q "^echomap $VERSION " || fail "unpacked --version"
# The only things outside /usr are the unit's directories.
others=$(cd "$TMP/x" && find . -mindepth 1 -maxdepth 1 ! -name usr ! -name lib)
[ -z "$others" ] || fail "unexpected top-level entries: $others"

if [ "$(id -u)" -ne 0 ]; then
	step "not root: dpkg -i and the sweep skipped"
	exit 0
fi
if dpkg-query -W -f='${Status}' echomap 2>/dev/null | grep -q 'ok installed'; then
	fail "echomap is already installed here: not replacing it"
fi

step "dpkg -i"
dpkg-deb -c "$DEB" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' >"$TMP/files"
dpkg_locked -i "$DEB" >/dev/null
installed=1
[ "$(command -v echomap)" = /usr/bin/echomap ] || fail "echomap is not /usr/bin/echomap"
echomap --version
echomap --version | grep -q "^echomap $VERSION (commit " || fail "--version"
for page in echomap echomap-sweep echomap-ping echomap-watch echomap-map; do
	warn=$(MANWIDTH=80 man --warnings "$page" 2>&1 >/dev/null)
	[ -z "$warn" ] || fail "man $page: $warn"
	MANWIDTH=80 man "$page" 2>/dev/null | grep -q '^NAME' || fail "man $page shows no page"
done
bash -c 'source /usr/share/bash-completion/completions/echomap && complete -p echomap' \
	>/dev/null || fail "bash completion"

step "sweep in a test namespace with /usr/bin/echomap"
export ECHOMAP=/usr/bin/echomap
# shellcheck source=../lib/netns.bash
source "$ROOT/tests/lib/netns.bash"
netns_setup
respond_kernel 198.18.7.0/29
in_s echomap sweep -q -I "$IFACE" --allow-reserved 198.18.7.0/29 -o "$TMP/alive" ||
	fail "sweep exited $?"
cut -d' ' -f1 "$TMP/alive" | sort >"$TMP/got"
range_list 198.18.7.0 198.18.7.7 | sort >"$TMP/want"
cmp -s "$TMP/want" "$TMP/got" || { diff "$TMP/want" "$TMP/got" >&2; fail "sweep results"; }
! xdp_attached || fail "XDP left attached after the sweep"
netns_cleanup

step "dpkg -r, dpkg -P"
dpkg_locked -r echomap >/dev/null
[ ! -e /usr/bin/echomap ] || fail "dpkg -r left /usr/bin/echomap"
dpkg_locked -P echomap >/dev/null
installed=
if dpkg-query -W -f='${Status}' echomap 2>/dev/null | grep -q 'installed'; then
	fail "still known to dpkg after purge"
fi
while read -r f; do
	[ ! -e "$f" ] || fail "$f left behind"
done <"$TMP/files"
step "ok: $(wc -l <"$TMP/files") files installed and removed"
