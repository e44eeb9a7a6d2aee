# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# What more than one of pintest's shell scripts needs; they source it.

# The cache: kernels' trees, initramfs images, debug builds, selftests.
pintest_cache=${PINTEST_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/pintest}

# The Debian flavour (arm64 or arm64-16k) of NAME, a kernel series or
# release whose name ends in it; fails for any other kernel.
arm64_flavour() {
	case "$1" in
	*-arm64) echo arm64 ;;
	*-arm64-16k) echo arm64-16k ;;
	*) return 1 ;;
	esac
}

# The root of the arm64 guests (vm/kernels/arm64-tree), and the path in it
# where scripts/build-arm64 builds the repository at $1 for them.
arm64_tree=$pintest_cache/trees/trixie-arm64
arm64_copy() { echo "/pintest/$(echo "$1" | sha256sum | cut -c1-8)"; }

# Runs a command in the arm64 tree (as root, with none of the caller's
# environment: a make's KERNEL= would otherwise reach the tree's make).
arm64_run() {
	chroot "$arm64_tree" env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
}

# Lets this machine run arm64 programs (the tree's) through qemu-user: its
# binfmt_misc entry, whose F flag opens the interpreter at once, so that
# it runs in a chroot too.  Fails, saying why, without qemu-user-static.
arm64_binfmt() {
	local binfmt=/proc/sys/fs/binfmt_misc conf=/usr/lib/binfmt.d/qemu-aarch64.conf
	[ -e "$binfmt/qemu-aarch64" ] && return 0
	[ -f "$conf" ] ||
		{ echo "no $conf: make deps KERNEL=7.3-arm64 installs qemu-user-static" >&2; return 1; }
	[ -e "$binfmt/register" ] || as_root mount -t binfmt_misc binfmt_misc "$binfmt" || return 1
	as_root sh -c "cat $conf > $binfmt/register"
}

# Runs a command as root: directly when root, else through sudo.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# The URIs: and Signed-By: lines of the stanza of this machine's own
# Debian source that serves bookworm: the archive pintest reuses for other
# suites, naming no host itself.  Fails without one.
debian_source() {
	local src=/etc/apt/sources.list.d/debian.sources
	awk '/^URIs:/ { u = $0 } /^Signed-By:/ { k = $0 }
	     /^Suites:/ && ($0 " ") ~ / bookworm / { s = 1 }
	     /^$/ { if (s) exit; u = k = "" }
	     END { if (!s || u == "") exit 1; print u; if (k != "") print k }' "$src" 2>/dev/null
}

# "P F S" of the last "[name: ]N passed, N failed[, N skipped]" line of
# FILE; nothing when it has none.
summary_counts() {
	grep -E '^([a-z-]+: )?[0-9]+ passed, [0-9]+ failed' "$1" | tail -n 1 |
		sed 's/^[a-z-]*: //' | tr -dc '0-9 ' | awk '{ print $1, $2, $3 + 0 }'
}

# KTAP on stdin with its top-level "ok N" lines numbered 1, 2, ... in turn.
ktap_renumber() {
	awk '/^(not )?ok / { sub(/ok [0-9]+/, "ok " ++n) } { print }'
}

# "SUITE/CASE: MESSAGE" of each failing case of the KTAP in FILE, a line
# each (the first only, with FIRST set to 1).
ktap_failures() {
	awk -v first="${2:-0}" '/^  # Subtest: / { t = substr($0, 14) }
		/^  not ok / {
			c = $0; sub(/^  not ok [0-9]+ /, "", c)
			if ((getline m) > 0 && m ~ /^  # / && m !~ /^  # Subtest:/)
				c = c ": " substr(m, 5)
			print t "/" c
			if (first) exit
		}' "$1"
}
