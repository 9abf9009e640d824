#!/bin/sh
# Every line shape the look-alike esptool (tests/fake/esptool) prints, in each
# of its behaviours, for v4 and v5, is a shape the real esptool prints: found
# in the real transcripts (tests/fixtures/esptool, pipe captures) or, where
# ../shared/tools and ../shared/sim are present, in live captures of the real
# esptool against a simulated board (default resets, erase, a locked port,
# version). The few shapes no simulator can produce (permission denied, a
# verify mismatch) are listed below, and their text is looked up in the real
# esptool's source when it is present. A shape: a line with paths, numbers,
# hex, MACs, MD5s and progress bars replaced by placeholders; a leading CR is
# kept.
. "$srcdir/tests/lib.sh"
PY=${PYTHON3:-python3}
FAKE="$(cd "$srcdir/tests/fake" && pwd)/esptool"
FIX="$srcdir/tests/fixtures/esptool"
SHARED=${FLASHBAY_SHARED:-$(cd "$srcdir/.." 2>/dev/null && pwd)/shared}
mkdir -p "$T/v4" "$T/v5" "$T/py" "$T/cap" "$T/live" "$T/esp"
ln -s "$FAKE" "$T/v4/esptool.py"
ln -s "$FAKE" "$T/v5/esptool"
ln -s "$("$PY" -c 'import sys; print(sys.executable)')" "$T/py/python3"
export PATH="$T/py:$PATH" FAKE_ESPTOOL_FAIL_DELAY=0 FAKE_ESPTOOL_FLASH_DIR="$T/esp"
unset FAKE_ESPTOOL_BEHAVIOUR FAKE_ESPTOOL_MAC FAKE_ESPTOOL_TIMED FAKE_ESPTOOL_STRICT \
	FAKE_ESPTOOL_VERSION FAKE_ESPTOOL_LOG 2>/dev/null
"$PY" - "$T/esp" <<'EOF'
import random, sys
r = random.Random(1)
gen = lambda n: bytes((r.randrange(144) if i % 2 == 0 else 0) for i in range(n))
open(sys.argv[1] + "/boot.bin", "wb").write(gen(26627))
open(sys.argv[1] + "/app.bin", "wb").write(gen(98304))
EOF
: > "$T/esp/ttyUSB0"

# Shapes Python shared by the checks below.
cat > "$T/shapes.py" <<'EOF'
import re
def shape(line):
    s = line.rstrip("\n")
    s = re.sub(r"/[^\s:'\"(),]+", "PATH", s)
    s = re.sub(r"\b[0-9a-f]{32}\b", "MD5", s)
    s = re.sub(r"([0-9a-f]{2}:){5}[0-9a-f]{2}", "MAC", s)
    s = re.sub(r"0x[0-9a-fA-F]+", "HEX", s)
    s = re.sub(r"\[[=> ]{30}\]", "[BAR]", s)
    s = re.sub(r"\d+(\.\d+)?", "N", s)
    return re.sub(r" +", " ", s)
def shapes(path):
    data = open(path, "rb").read().decode("utf-8", "replace")
    return {shape(l) for l in data.split("\n")}
EOF

# capture NAME V BEHAVIOUR ARGS...: the fake vV's stdout and stderr in $T/cap
capture() {
	name=$1 v=$2 behaviour=$3
	shift 3
	FAKE_ESPTOOL_BEHAVIOUR=$behaviour timeout 20 "$T/v$v/esptool$([ "$v" = 4 ] && echo .py)" "$@" \
		> "$T/cap/v$v-$name.stdout" 2> "$T/cap/v$v-$name.stderr"
	echo $? > "$T/cap/v$v-$name.rc"
}

P="--port $T/esp/ttyUSB0"
IMAGES="0x1000 $T/esp/boot.bin 0x10000 $T/esp/app.bin"
for v in 4 5; do
	if [ $v = 4 ]; then s=_; else s=-; fi
	NR="--before no${s}reset --after no${s}reset"
	capture write_flash $v "" $P $NR --baud 460800 write${s}flash $IMAGES
	capture defaults $v "" $P write${s}flash $IMAGES
	capture erase_all $v "" $P $NR write${s}flash --erase-all $IMAGES
	capture read_mac $v "" $P $NR read${s}mac
	capture chip_id $v "" $P $NR chip${s}id
	capture erase_flash $v "" $P $NR erase${s}flash
	capture no_sync $v no_sync $P $NR --connect-attempts 2 read${s}mac
	capture fail_at $v fail_at:40@2 $P $NR --baud 460800 write${s}flash $IMAGES
	capture max_baud $v max_baud:115200 $P $NR --baud 460800 write${s}flash $IMAGES
	capture no_port $v "" --port "$T/esp/ttyUSB9" $NR read${s}mac
	capture port_busy $v port_busy $P $NR read${s}mac
	capture permission $v permission $P $NR read${s}mac
	capture verify_fail $v verify_fail@2 $P $NR write${s}flash $IMAGES
	capture version $v "" version
done
is "$(cat "$T/cap/v4-write_flash.rc" "$T/cap/v5-write_flash.rc" "$T/cap/v4-no_sync.rc" "$T/cap/v5-no_sync.rc" | tr '\n' ' ')" \
	"0 0 2 2 " "the look-alike ran in every behaviour (write_flash 0, no_sync 2)"

# Live captures of the real esptool where ../shared is present.
live=no
if [ -d "$SHARED/tools" ] && [ -f "$SHARED/sim/esp_rom_sim.py" ] && [ -x /usr/bin/python3 ] &&
	/usr/bin/python3 -c 'import serial, bitstring, cryptography, ecdsa, intelhex, yaml, click, rich_click, rich' 2>/dev/null; then
	live=yes
fi

# real V NAME ARGS...: the real esptool vV against a fresh simulated board
real() {
	v=$1 name=$2
	shift 2
	exe="$SHARED/tools/esptool-$([ "$v" = 4 ] && echo 4.12.0 || echo 5.3.1)/bin/esptool"
	rm -f "$T/live/port"
	/usr/bin/python3 "$SHARED/sim/esp_rom_sim.py" --link "$T/live/port" --flash-file "$T/live/flash.bin" \
		--mac 24:0a:c4:12:34:56 --max-idle 60 > "$T/live/sim.out" 2>&1 &
	simpid=$!
	wait_until 15 test -e "$T/live/port"
	NO_COLOR=1 TERM=dumb timeout 60 "$exe" --port "$T/live/port" "$@" \
		> "$T/live/v$v-$name.stdout" 2> "$T/live/v$v-$name.stderr"
	kill "$simpid" 2>/dev/null
	wait "$simpid" 2>/dev/null
	return 0
}
if [ $live = yes ]; then
	for v in 4 5; do
		if [ $v = 4 ]; then s=_; else s=-; fi
		NR="--before no${s}reset --after no${s}reset"
		real $v defaults write${s}flash $IMAGES
		real $v erase_all $NR write${s}flash --erase-all $IMAGES
		real $v erase_flash $NR erase${s}flash
		# a port another program holds (esptool locks it exclusively)
		rm -f "$T/live/port"
		/usr/bin/python3 "$SHARED/sim/esp_rom_sim.py" --link "$T/live/port" --max-idle 60 > /dev/null 2>&1 &
		simpid=$!
		wait_until 15 test -e "$T/live/port"
		/usr/bin/python3 -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_NOCTTY)
fcntl.flock(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(30)' "$T/live/port" "$T/live/locked" &
		lockpid=$!
		wait_until 10 test -e "$T/live/locked"
		NO_COLOR=1 TERM=dumb timeout 60 "$SHARED/tools/esptool-$([ $v = 4 ] && echo 4.12.0 || echo 5.3.1)/bin/esptool" \
			--port "$T/live/port" $NR read${s}mac > "$T/live/v$v-port_busy.stdout" 2> "$T/live/v$v-port_busy.stderr"
		kill "$lockpid" "$simpid" 2>/dev/null
		wait "$lockpid" "$simpid" 2>/dev/null
		rm -f "$T/live/locked"
		NO_COLOR=1 TERM=dumb "$SHARED/tools/esptool-$([ $v = 4 ] && echo 4.12.0 || echo 5.3.1)/bin/esptool" version \
			> "$T/live/v$v-version.stdout" 2> "$T/live/v$v-version.stderr"
	done
	like "$(cat "$T/live/v4-defaults.stdout")" "Hard resetting via RTS pin" "live: the real v4 ran with the default resets"
	like "$(cat "$T/live/v5-port_busy.stderr")" "Could not exclusively lock port" "live: the real v5 found the port locked"
else
	diag "../shared/tools or ../shared/sim absent: only the behaviours tests/fixtures covers are checked"
fi

# Shapes no simulator produces: the fake's line, and a literal piece of it that
# must be in the real esptool's source (checked where the source is present).
# No piece: the line is the real no_port line with the OS's own errno text.
cat > "$T/nosim" <<'EOF'
4|([Errno N] could not open port PATH: [Errno N] Permission denied: 'PATH')|
4|Hint: Try to add user into dialout or uucp group.|Try to add user into dialout or uucp group
4|File md5: MD5|File  md5:
4|Flash md5: MD5|Flash md5:
4|MD5 of 0xFF is MD5|MD5 of 0xFF is
4|A fatal error occurred: MD5 of file does not match data in flash!|MD5 of file does not match data in flash!
5|([Errno N] could not open port PATH: [Errno N] Permission denied: 'PATH')|
5|Hint: Try to add user into dialout or uucp group.|Try to add user into dialout or uucp group
5|Input MD5: MD5|Input MD5:
5|Flash MD5: MD5|Flash MD5:
5|A fatal error occurred: MD5 of file does not match data in flash!|MD5 of file does not match data in flash!
EOF

# every shape the fake printed, and those no real capture or listed shape has
"$PY" - "$T" "$FIX" "$live" > "$T/unmatched" <<'EOF'
import glob, os, sys
sys.path.insert(0, sys.argv[1])
from shapes import shape, shapes
T, FIX, live = sys.argv[1:]
listed = {}
for line in open(T + "/nosim"):
    v, s, _ = line.rstrip("\n").split("|")
    listed.setdefault(v, set()).add(shape(s))
for v in ("4", "5"):
    real = set()
    for f in glob.glob("%s/v%s-*.std*" % (FIX, v)):
        if ".pty." not in f and ".pipe-xterm." not in f:
            real |= shapes(f)
    if live == "yes":
        for f in glob.glob("%s/live/v%s-*.std*" % (T, v)):
            real |= shapes(f)
    for f in sorted(glob.glob("%s/cap/v%s-*.std*" % (T, v))):
        name = os.path.basename(f).split("-", 1)[1].split(".")[0]
        # without live captures: only the behaviours the transcripts cover
        if live != "yes" and name not in ("write_flash", "read_mac", "chip_id", "no_sync", "fail_at",
                                          "no_port", "permission", "verify_fail"):
            continue
        for s in sorted(shapes(f) - real - listed.get(v, set())):
            print("v%s %s: %r" % (v, os.path.basename(f), s))
EOF
is "$(cat "$T/unmatched")" "" "every line shape of the look-alike, v4 and v5, every behaviour, is one the real esptool prints"

# the listed shapes: the fake prints each, and the real source has its text
missing=""
while IFS='|' read -r v s piece; do
	grep -qF -- "$piece" "$T/cap/v$v-permission.stdout" "$T/cap/v$v-permission.stderr" \
		"$T/cap/v$v-verify_fail.stdout" "$T/cap/v$v-verify_fail.stderr" || missing="$missing v$v:fake:$piece"
	if [ $live = yes ] && [ -n "$piece" ]; then
		src="$SHARED/tools/esptool-$([ "$v" = 4 ] && echo 4.12.0 || echo 5.3.1)"
		grep -rqF -- "$piece" "$src" || missing="$missing v$v:real:$piece"
	fi
done < "$T/nosim"
is "$missing" "" "the shapes without a transcript: printed by the fake, and their text is in the real esptool"

done_testing
