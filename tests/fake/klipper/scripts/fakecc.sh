#!/bin/sh
# Fake compiler of flashbay's fake Klipper tree: fakecc.sh SOURCE OBJECT AUTOCONF
# (sh, not python: it runs once per source file and must be quick)
#
# Knobs (environment):
#   FAKE_KLIPPER_DELAY  seconds per file (a slow build; e.g. 0.05)
#   FAKE_KLIPPER_FAIL   a part of a source path: that file fails like gcc does
#   FAKE_KLIPPER_LOG    file to append "compile OBJECT START_MS END_MS" to (parallel builds)
src=$1 obj=$2 autoconf=$3
start=$(date +%s%3N)
if [ -n "${FAKE_KLIPPER_FAIL:-}" ]; then
	case $src in
	*"$FAKE_KLIPPER_FAIL"*)
		printf '%s:21:10: fatal error: hardware/structs/ticks.h: No such file or directory\n' "$src" >&2
		printf '   21 | #include "hardware/structs/ticks.h" // ticks_hw\n' >&2
		printf '      |          ^~~~~~~~~~~~~~~~~~~~~~~~~~\n' >&2
		printf 'compilation terminated.\n' >&2
		exit 1
		;;
	esac
fi
[ -n "${FAKE_KLIPPER_DELAY:-}" ] && sleep "$FAKE_KLIPPER_DELAY"
mkdir -p "$(dirname "$obj")"
printf 'fake object of %s for configuration %s\n' "$src" "$(cksum < "$autoconf")" > "$obj"
if [ -n "${FAKE_KLIPPER_LOG:-}" ]; then
	printf 'compile %s %s %s\n' "$obj" "$start" "$(date +%s%3N)" >> "$FAKE_KLIPPER_LOG"
fi
exit 0
