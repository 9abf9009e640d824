#!/bin/sh
# The look-alike tests/fake/esptool prints only line shapes the real esptool
# prints: it runs each command of the real captures in tests/fixtures/esptool
# (write_flash, read_mac, chip_id, no_sync, fail_at_40, no_port; v4 and v5
# spellings, pipes, TERM=dumb NO_COLOR=1 as flashbay runs it) and every line
# on stdout and on stderr must reduce to a shape (tests/helper/esptool-shapes.py)
# that the real tool printed on that stream for that command, with its exit
# status. Needs no ../shared: the captures are copied in tests/fixtures.
. "$srcdir/tests/lib.sh"
PY=${PYTHON3:-python3}
FAKE="$srcdir/tests/fake/esptool"
FIX="$srcdir/tests/fixtures/esptool"
SHAPES="$srcdir/tests/helper/esptool-shapes.py"
mkdir -p "$T/esp" "$T/flash"
export FAKE_ESPTOOL_FLASH_DIR="$T/flash" FAKE_ESPTOOL_FAIL_DELAY=0 TERM=dumb NO_COLOR=1
unset FAKE_ESPTOOL_BEHAVIOUR FAKE_ESPTOOL_MAC FAKE_ESPTOOL_TIMED FAKE_ESPTOOL_STRICT \
	FAKE_ESPTOOL_LOG 2>/dev/null
PORT="$T/esp/ttyUSB0"
: > "$PORT"
# images like the captures' (README there): ~2:1 compressible, the bootloader's first byte 0x00
"$PY" - "$T/esp" <<'PY'
import random, sys
r = random.Random(5)
for name, size in (("bootloader.bin", 26627), ("app.bin", 262144)):
    data = bytearray(r.randrange(16) for _ in range(size))
    data[0] = 0
    open(sys.argv[1] + "/" + name, "wb").write(bytes(data))
PY
BOOT="$T/esp/bootloader.bin"
APP="$T/esp/app.bin"

# shapes VER CAPTURE [BEHAVIOUR] -- ARGS...: run the fake, compare with the capture
shapes() {
	ver=$1
	cap=$2
	beh=$3
	shift 4
	FAKE_ESPTOOL_VERSION=${ver#v} FAKE_ESPTOOL_BEHAVIOUR=$beh "$PY" "$FAKE" "$@" \
		> "$T/out" 2> "$T/err"
	rc=$?
	res=$("$PY" "$SHAPES" "$FIX/$ver-$cap" "$T/out" "$T/err" "$rc" 2>&1)
	ok $? "$ver $cap${beh:+ ($beh)}: every line a shape the real esptool prints, exit $rc"
	[ -z "$res" ] || printf '%s\n' "$res" | sed 's/^/#   /'
}

for v in v4 v5; do
	if [ $v = v4 ]; then
		nr=no_reset wf=write_flash rm=read_mac ci=chip_id
	else
		nr=no-reset wf=write-flash rm=read-mac ci=chip-id
	fi
	common="--port $PORT --before $nr --after $nr"
	# shellcheck disable=SC2086
	{
		shapes $v write_flash "" -- $common --baud 460800 $wf 0x1000 "$BOOT" 0x10000 "$APP"
		shapes $v read_mac "" -- $common $rm
		shapes $v chip_id "" -- $common $ci
		shapes $v no_sync no_sync -- $common --connect-attempts 2 $rm
		shapes $v fail_at_40 fail_at:40@2 -- $common --baud 460800 $wf 0x1000 "$BOOT" 0x10000 "$APP"
		shapes $v no_port "" -- --port "$T/esp/ttyUSB9" --before $nr --after $nr $rm
	}
done

# the checker itself: a line the real tool never prints is caught
printf 'esptool v5.3.1\nHard resetting via RTS pin...\n' > "$T/out"
: > "$T/err"
res=$("$PY" "$SHAPES" "$FIX/v5-read_mac" "$T/out" "$T/err" 0)
is "$?" 1 "the checker fails a line the capture does not have"
like "$res" "Hard resetting via RTS pin" "and names it"
"$PY" "$SHAPES" "$FIX/v5-read_mac" "$FIX/v5-read_mac.stdout" "$FIX/v5-read_mac.stderr" 0 > /dev/null
ok $? "the checker passes the real capture itself"

done_testing
