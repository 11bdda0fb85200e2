#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0
# make install / make uninstall: every file where it belongs under PREFIX, nothing outside
# DESTDIR, and the binary installed is the one the tree was built with, whatever its flags
# (make SAN=1, CFLAGS=...): install never rebuilds it. The nested make inherits the variables
# of a `make test VAR=...` through MAKEFLAGS.

load lib

setup() {
	require_built
	DEST=$(mktemp -d)
}

teardown() {
	rm -rf "$DEST"
}

# installed_files: every file under $DEST, relative, sorted.
installed_files() { (cd "$DEST" && find . ! -type d | sed 's|^\./|/|' | sort); }

@test "make install DESTDIR: the built binary untouched, pages, completion, unit, docs" {
	local before p=/usr/local
	before=$(stat -c '%Y %s' "$ROOT/.output/echomap"; sha256sum <"$ROOT/.output/echomap")
	make -C "$ROOT" -s install DESTDIR="$DEST"
	cmp "$ROOT/.output/echomap" "$DEST$p/bin/echomap"
	[ "$(stat -c '%Y %s' "$ROOT/.output/echomap"; sha256sum <"$ROOT/.output/echomap")" = "$before" ]
	same_set expected "$(sort <<-EOF
		$p/bin/echomap
		$p/lib/systemd/system/echomap.service
		$p/share/bash-completion/completions/echomap
		$p/share/doc/echomap/README.md
		$p/share/doc/echomap/examples/supervisor-echomap.conf
		$p/share/man/man8/echomap-map.8
		$p/share/man/man8/echomap-ping.8
		$p/share/man/man8/echomap-sweep.8
		$p/share/man/man8/echomap-watch.8
		$p/share/man/man8/echomap.8
		$p/share/zsh/site-functions/_echomap
	EOF
	)" installed "$(installed_files)"
	[ "$(stat -c %a "$DEST$p/bin/echomap")" = 755 ]
	[ "$(stat -c %a "$DEST$p/share/man/man8/echomap.8")" = 644 ]
	grep -qx "ExecStart=$p/bin/echomap watch .*" "$DEST$p/lib/systemd/system/echomap.service"
	grep -q "^command=$p/bin/echomap watch " \
		"$DEST$p/share/doc/echomap/examples/supervisor-echomap.conf"
}

@test "make uninstall removes every file install wrote, and echomap's own directories" {
	make -C "$ROOT" -s install DESTDIR="$DEST"
	make -C "$ROOT" -s uninstall DESTDIR="$DEST"
	[ -z "$(installed_files)" ]
	[ ! -e "$DEST/usr/local/share/doc/echomap" ]
}

@test "PREFIX=/usr and the directory variables move every file, ExecStart too" {
	make -C "$ROOT" -s install DESTDIR="$DEST" PREFIX=/usr SYSTEMDUNITDIR=/lib/systemd/system \
		ZSHCOMPDIR=/usr/share/zsh/vendor-completions
	[ -x "$DEST/usr/bin/echomap" ]
	[ -f "$DEST/usr/share/man/man8/echomap-watch.8" ]
	[ -f "$DEST/usr/share/zsh/vendor-completions/_echomap" ]
	grep -qx 'ExecStart=/usr/bin/echomap watch .*' "$DEST/lib/systemd/system/echomap.service"
	! installed_files | grep -q '^/usr/local'
	make -C "$ROOT" -s uninstall DESTDIR="$DEST" PREFIX=/usr \
		SYSTEMDUNITDIR=/lib/systemd/system ZSHCOMPDIR=/usr/share/zsh/vendor-completions
	[ -z "$(installed_files)" ]
}

@test "make install writes nothing outside DESTDIR (the system's directories read-only)" {
	[ "$(id -u)" -eq 0 ] || skip "needs root (a mount namespace)"
	command -v unshare >/dev/null || skip "unshare not installed"
	# In a mount namespace of its own, every system directory is read-only: a write outside
	# DESTDIR (in /tmp, writable) fails the install.
	unshare -m sh -ec '
		mount --make-rprivate /
		for d in /usr /etc /var /opt /root /srv /home; do
			[ -d "$d" ] && ! [ -L "$d" ] && mount --bind -o ro "$d" "$d"
		done
		make -C "$1" -s install DESTDIR="$2"
		make -C "$1" -s uninstall DESTDIR="$2"
	' sh "$ROOT" "$DEST"
}
