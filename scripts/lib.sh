# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# What more than one of pintest's shell scripts needs; they source it.

# The cache: kernels' trees, initramfs images, debug builds, selftests.
pintest_cache=${PINTEST_CACHE:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/pintest}

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
