#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# pintest's kselftest package: runs its suites on this machine's running
# kernel (pintest/scripts/check-native: as root, on a kernel that loads the
# module the package was built for) and prints the results as KTAP on
# stdout, one subtest per suite; the suites' progress goes to stderr.
# Exits 0 when every case passed, 1 when one failed, and 4 (kselftest's
# skip) when this machine cannot run them, the reason in the KTAP.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)

usage() {
	echo "usage: run_kselftest.sh [-l] [-t pintest:SUITE]... [-h]"
	echo "  -l  list the tests    -t  run only these (default: all)"
	exit "$1"
}
suites=()
while getopts "lt:h" opt; do
	case "$opt" in
	l) cat "$here/kselftest-list.txt"; exit 0 ;;
	t)
		grep -qxF "$OPTARG" "$here/kselftest-list.txt" ||
			{ echo "run_kselftest.sh: no test $OPTARG (run_kselftest.sh -l lists them)" >&2; exit 2; }
		suites+=("${OPTARG#pintest:}") ;;
	h) usage 0 ;;
	*) usage 2 >&2 ;;
	esac
done

# skip REASON: the one-line KTAP of a machine that cannot run the suites
skip() {
	printf 'KTAP version 1\n1..1\nok 1 pintest # SKIP %s\n' "$1"
	exit 4
}
# an arm64 package on x86 (or the other way) stops here, not in the module
arch=$(cat "$here/pintest/ARCH")
[ "$(uname -m)" = "$arch" ] ||
	skip "the package is built for $arch, this machine is $(uname -m): install one built for it (make kselftest-install KERNEL=...)"
built_for=$(cat "$here/pintest/KERNEL")
[ "$(uname -r)" = "$built_for" ] ||
	skip "the package is built for $built_for, this kernel is $(uname -r): install one built for it (make kselftest-install KERNEL=... or KDIR=...)"

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
PINTEST_OUT=$out PINTEST_RESULTS_NAME=pintest CK_RUN_SUITE="${suites[*]}" \
	"$here/pintest/scripts/check-native" 2>&1 | tee "$out/console" >&2
rc=${PIPESTATUS[0]}
if [ "$rc" -eq 2 ]; then
	skip "$(grep '^check-native: ' "$out/console" | tail -n 1 | sed 's/^check-native: //')"
fi
if [ ! -s "$out/pintest.ktap" ]; then
	printf 'KTAP version 1\n1..1\nnot ok 1 pintest # check-native failed (exit %d) before the suites ran\n' "$rc"
	exit 1
fi
cat "$out/pintest.ktap"
[ "$rc" -eq 0 ] || exit 1
