#!/bin/sh
# tests/helper/unit-cmd.sh - the [unit] command of the tests: writes
# "SERIAL=...", "MAC=...", "CHIP=...", "SLOT=..." and every other FLASHBAY_*
# variable it was given, one per line, padded with zero bytes to
# $UNIT_CMD_SIZE (default 4096), to $FLASHBAY_OUT, and keeps a copy as
# $UNIT_CMD_COPY/<serial>.bin when UNIT_CMD_COPY is set.
# UNIT_CMD_MODE changes what it does: fail (a line on stderr, exit 3), hang
# (sleeps until killed), empty (an empty file), big (UNIT_CMD_SIZE * 16
# bytes), none (writes nothing, exit 0).
set -eu
case ${UNIT_CMD_MODE:-} in
fail)
	echo "nvs: cannot open key file for $FLASHBAY_SERIAL" >&2
	exit 3 ;;
hang)
	echo "waiting for a signer that never answers" >&2
	exec sleep 600 ;;
empty)
	: > "$FLASHBAY_OUT"
	exit 0 ;;
none)
	exit 0 ;;
esac
size=${UNIT_CMD_SIZE:-4096}
[ "${UNIT_CMD_MODE:-}" = big ] && size=$((size * 16))
{
	printf 'SERIAL=%s\nMAC=%s\nCHIP=%s\nSLOT=%s\n' "$FLASHBAY_SERIAL" "$FLASHBAY_MAC" \
		"$FLASHBAY_CHIP" "$FLASHBAY_SLOT"
	env | grep '^FLASHBAY_' | grep -v '^FLASHBAY_\(SERIAL\|MAC\|CHIP\|SLOT\|OUT\)=' | sort
} > "$FLASHBAY_OUT"
truncate -s "$size" "$FLASHBAY_OUT"
if [ -n "${UNIT_CMD_COPY:-}" ]; then
	cp "$FLASHBAY_OUT" "$UNIT_CMD_COPY/$FLASHBAY_SERIAL.bin"
fi
