#!/bin/sh
# tests/check.sh - build flashbay and run the whole test suite.
#
#   tests/check.sh          -Werror build in build/check, then make check
#   tests/check.sh --asan   the same under AddressSanitizer + UBSan, in build/asan
#
# Ends with one line "N passed, N failed" (TAP test points, from automake's
# test-suite.log). Exit status 0 only if nothing failed.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
mode=check
flags="--enable-werror"
if [ "${1:-}" = "--asan" ]; then
	mode=asan
	flags="--enable-werror --enable-asan"
fi

missing=""
for tool in autoreconf make cc pkg-config tmux python3 umockdev-wrapper; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
if [ -n "$missing" ]; then
	echo "tests/check.sh: missing:$missing" >&2
	echo "install them with the first Quick start command in README" >&2
	exit 2
fi
if [ -f "$top/config.status" ]; then
	echo "tests/check.sh: the source tree itself is configured; run 'make distclean' in $top first" >&2
	exit 2
fi

if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
	autoreconf -fi
fi
mkdir -p "build/$mode"
cd "build/$mode"
if [ ! -f config.status ] || [ "$(cat .configure-flags 2>/dev/null)" != "$flags" ]; then
	# shellcheck disable=SC2086
	"$top/configure" $flags -q
	echo "$flags" > .configure-flags
fi
jobs=$(nproc 2>/dev/null || echo 2)
make -j"$jobs" >/dev/null
status=0
make -j"$jobs" check || status=$?

count() { sed -n "s/^# $1: *//p" test-suite.log | head -n 1; }
pass=$(count PASS)
fail=$(($(count FAIL) + $(count ERROR) + $(count XPASS)))
skip=$(count SKIP)
[ "${skip:-0}" -gt 0 ] && echo "$skip skipped (see build/$mode/test-suite.log)"
echo "${pass:-0} passed, ${fail} failed"
[ "$status" -eq 0 ] && [ "$fail" -eq 0 ]
