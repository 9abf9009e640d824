#!/bin/sh
# The fake esptool (tests/fake/esptool) against the real parser, through the
# real job/lines/loop code (tests/helper/test-flasher): its output parses to
# the same facts as the real v4.12.0 and v5.3.1 transcripts; flashbay passes
# each version its own spelling; the images land in the "flash"; every knob.
. "$srcdir/tests/lib.sh"
H="$builddir/tests/helper/test-flasher"
FAKE="$(cd "$srcdir/tests/fake" && pwd)/esptool"
FIX="$srcdir/tests/fixtures/esptool"
E="$T/esp"
mkdir -p "$E" "$T/v4" "$T/v5" "$T/none"
ln -s "$FAKE" "$T/v4/esptool.py"   # v4 mode: called as esptool.py
ln -s "$FAKE" "$T/v5/esptool"      # v5 mode: called as esptool
: >"$E/ttyUSB0"                     # a regular file works as a port
export FAKE_ESPTOOL_LOG="$T/argv.log" FAKE_ESPTOOL_FAIL_DELAY=0
# The fake starts with "#!/usr/bin/env python3"; put the interpreter itself
# first on PATH (a pyenv shim costs ~150 ms per start).
mkdir -p "$T/py"
ln -s "$("${PYTHON3:-python3}" -c 'import sys; print(sys.executable)')" "$T/py/python3"
export PATH="$T/py:$PATH"
unset FAKE_ESPTOOL_BEHAVIOUR FAKE_ESPTOOL_MAC FAKE_ESPTOOL_TIMED FAKE_ESPTOOL_STRICT \
	FAKE_ESPTOOL_VERSION FAKE_ESPTOOL_FLASH_DIR 2>/dev/null

# The transcripts' images: 26627 and 1048576 bytes, about 2:1 compressible.
"${PYTHON3:-python3}" - "$E" <<'EOF'
import random, sys
r = random.Random(1)
gen = lambda n: bytes((r.randrange(144) if i % 2 == 0 else 0) for i in range(n))
open(sys.argv[1] + "/bootloader.bin", "wb").write(gen(26627))
open(sys.argv[1] + "/app.bin", "wb").write(gen(1048576))
open(sys.argv[1] + "/small.bin", "wb").write(gen(65536))
EOF
IMAGES="--image 0x1000=$E/bootloader.bin --image 0x10000=$E/app.bin"
SMALL="--image 0x1000=$E/bootloader.bin --image 0x10000=$E/small.bin"   # quicker

# flash V [test-flasher options...]: run flashbay's esptool side with the fake vV
flash() {
	v=$1
	shift
	PATH="$T/v$v:$PATH" "$H" --flash --baud 460800 "$@" 2>&1 | sed "s|$E/|/tmp/esp/|g"
}
# replay NAME: the facts of a real transcript, as the engine would parse them
replay() {
	"$H" --replay "$FIX/$1" "--${1%%-*}" --sizes 26627,1048576
}
# facts TEXT: drop what depends on timing or is only printed by --flash
facts() { printf '%s\n' "$1" | grep -Ev '^(kbps|version|major|argv|flasher)='; }
val() { printf '%s\n' "$1" | sed -n "s/^$2=//p"; }

for v in 4 5; do
	if [ $v = 4 ]; then s=_; else s=-; fi
	# write_flash: the same facts as the real transcript
	out=$(FAKE_ESPTOOL_MAC=24:0a:c4:12:34:56 flash $v --port "$E/ttyUSB0" \
		--before no_reset --after no_reset $IMAGES)
	is "$(val "$out" version)" "$([ $v = 4 ] && echo 4.12.0 || echo 5.3.1)" \
		"v$v: version detected with 'esptool version'"
	is "$(val "$out" flasher)" "esptool-v$v" "v$v: the v$v parser is chosen"
	is "$(facts "$out")" "$(facts "$(replay v$v-write_flash)")" \
		"v$v write_flash: the fake parses to the facts of the real transcript"
	is "$(val "$out" argv)" "--port /tmp/esp/ttyUSB0 --baud 460800 --before no${s}reset --after no${s}reset write${s}flash 0x1000 /tmp/esp/bootloader.bin 0x10000 /tmp/esp/app.bin" \
		"v$v: argv in v$v spelling"
	cmp -s -n 26627 "$E/bootloader.bin" "$E/ttyUSB0.bin" 0 4096
	ok $? "v$v: bootloader.bin landed at 0x1000 of the port's flash file"
	cmp -s -n 1048576 "$E/app.bin" "$E/ttyUSB0.bin" 0 65536
	ok $? "v$v: app.bin landed at 0x10000"
	rm -f "$E/ttyUSB0.bin"

	# the board goes silent at 40 % of the second image
	out=$(FAKE_ESPTOOL_MAC=24:0a:c4:12:34:56 FAKE_ESPTOOL_BEHAVIOUR=ttyUSB0=fail_at:40@2 \
		flash $v --port "$E/ttyUSB0" --before no_reset --after no_reset $IMAGES)
	want=$(replay v$v-fail_at_40)
	is "$(facts "$out" | grep -v '^overall=')" "$(facts "$want" | grep -v '^overall=')" \
		"v$v fail_at_40: same facts as the real transcript"
	d=$(($(val "$out" overall) - $(val "$want" overall)))
	[ ${d#-} -le 2 ]
	ok $? "v$v fail_at_40: overall $(val "$out" overall)% ~ the real $(val "$want" overall)%"

	# not in download mode; nonexistent port
	out=$(FAKE_ESPTOOL_BEHAVIOUR=no_sync flash $v --port "$E/ttyUSB0" --before no_reset \
		--after no_reset --connect-attempts 2 $IMAGES)
	is "$(facts "$out")" "$(facts "$(replay v$v-no_sync)")" "v$v no_sync: same facts"
	out=$(flash $v --port "$E/ttyUSB9" --before no_reset --after no_reset $IMAGES)
	is "$(facts "$out")" "$(facts "$(replay v$v-no_port)")" "v$v no_port: same facts"
done

# the argv log: one JSON array per run, in each version's spelling
log=$(cat "$T/argv.log")
like "$log" '^\["version"\]$' "argv log: the version detection run"
like "$log" '"--before", "no_reset", "--after", "no_reset", "write_flash"' "argv log: v4 spelling"
like "$log" '"--before", "no-reset", "--after", "no-reset", "write-flash"' "argv log: v5 spelling"

# flash options and --erase-all, each version's spelling; strict v5 accepts it
printf 'junk' >"$E/ttyUSB1.bin"
dd if=/dev/zero bs=4096 count=1024 2>/dev/null | tr '\0' 'J' >"$E/ttyUSB1.bin"
: >"$E/ttyUSB1"
out=$(FAKE_ESPTOOL_STRICT=1 flash 5 --port "$E/ttyUSB1" --chip esp32 --flash-mode dio \
	--flash-freq 40m --flash-size 4MB --erase-all --connect-attempts 3 $SMALL)
is "$(val "$out" argv)" "--port /tmp/esp/ttyUSB1 --baud 460800 --chip esp32 --before default-reset --after hard-reset --connect-attempts 3 write-flash --flash-mode dio --flash-freq 40m --flash-size 4MB --erase-all 0x1000 /tmp/esp/bootloader.bin 0x10000 /tmp/esp/small.bin" \
	"v5 argv with flash options, --erase-all and --connect-attempts"
is "$(val "$out" outcome)" ok "strict v5 (underscores rejected) accepts flashbay's argv"
is "$(od -An -tx1 -j 0x200000 -N 4 "$E/ttyUSB1.bin" | tr -d ' ')" ffffffff \
	"--erase-all: flash outside the images erased"
out=$(flash 4 --port "$E/ttyUSB1" --flash-mode dio --flash-size 4MB $SMALL)
like "$(val "$out" argv)" "write_flash --flash_mode dio --flash_size 4MB 0x1000" "v4 flash options spelling"
is "$(val "$out" outcome)" ok "v4 accepts flashbay's argv"

# the fake enforces the real spelling rules
out=$(PATH="$T/v4:$PATH" esptool.py --port "$E/ttyUSB0" write-flash 0x1000 "$E/bootloader.bin" 2>&1)
ok $([ $? = 2 ] && echo 0 || echo 1) "v4 fake: write-flash is an error (exit 2)"
like "$out" "esptool: error: argument operation: invalid choice: 'write-flash'" "argparse's message"
out=$(PATH="$T/v4:$PATH" esptool.py --version 2>&1)
like "$out" "unrecognized arguments: --version" "v4 has no --version option (hence 'version')"
out=$(PATH="$T/v5:$PATH" esptool --port "$E/ttyUSB0" --before no_reset write_flash --flash_mode dio 0x1000 "$E/bootloader.bin" 2>&1)
like "$out" "Warning: Deprecated: Command 'write_flash' is deprecated. Use 'write-flash' instead." \
	"v5 fake: v4 command spelling warns like the real v5"
like "$out" "Choice 'no_reset' for option '--before' is deprecated" "... and v4 reset mode"
like "$out" "Option '--flash_mode' is deprecated" "... and v4 option spelling"
out=$(FAKE_ESPTOOL_STRICT=1 PATH="$T/v5:$PATH" esptool --port "$E/ttyUSB0" write_flash 0x1000 "$E/bootloader.bin" 2>&1)
like "$out" "Error: No such command 'write_flash'" "strict v5 fake rejects the v4 spelling"
out=$(FAKE_ESPTOOL_VERSION=4 PATH="$T/v5:$PATH" esptool version)
is "$out" "esptool.py v4.12.0
4.12.0" "FAKE_ESPTOOL_VERSION=4 forces v4 whatever the name"

# resolution: esptool.py only -> v4; nothing -> tool_missing naming both
out=$(PATH="$T/v4:$T/py:/usr/bin:/bin" "$H" --flash --port "$E/ttyUSB0" $SMALL)
is "$(val "$out" flasher)" esptool-v4 "only esptool.py on PATH: used, v4"
out=$(PATH="$T/none:$T/py:/usr/bin:/bin" "$H" --flash --port "$E/ttyUSB0" $SMALL)
is "$(val "$out" outcome)" tool_missing "no esptool on PATH: tool_missing"
like "$(val "$out" message)" "'esptool' nor 'esptool.py'" "message names both"
out=$(flash 5 --esptool "python3 $FAKE" --port "$E/ttyUSB0" $SMALL)
like "$(val "$out" argv)" "^$FAKE --port" "configured command with arguments"

# knobs: port_busy, a really locked port, permission, verify_fail, die, hang
for v in 4 5; do
	out=$(FAKE_ESPTOOL_BEHAVIOUR='ttyUSB3=no_sync,ttyUSB0=port_busy' flash $v --port "$E/ttyUSB0" $SMALL)
	is "$(val "$out" outcome)" port_busy "v$v port_busy knob, per port: port_busy"
	out=$(FAKE_ESPTOOL_BEHAVIOUR=permission flash $v --port "$E/ttyUSB0" $SMALL)
	is "$(val "$out" outcome)" permission "v$v permission: permission"
	out=$(FAKE_ESPTOOL_BEHAVIOUR=ttyUSB0=verify_fail@2 flash $v --port "$E/ttyUSB0" $SMALL)
	is "$(val "$out" outcome)/$(val "$out" verified)/$(val "$out" phase)" verify_failed/1/Verify \
		"v$v verify_fail@2: verify_failed after image 1 verified"
	out=$(FAKE_ESPTOOL_BEHAVIOUR=die:KILL@30 flash $v --port "$E/ttyUSB0" $SMALL)
	is "$(val "$out" outcome)/$(val "$out" exit)" other/137 "v$v die:KILL: other, exit 137"
done
"${PYTHON3:-python3}" -c '
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX)
open(sys.argv[2], "w").close()
time.sleep(30)' "$E/ttyUSB0" "$T/locked" &
locker=$!
wait_until 10 test -e "$T/locked"
out=$(flash 5 --port "$E/ttyUSB0" $SMALL)
is "$(val "$out" outcome)" port_busy "a port another process has locked: port_busy"
like "$(val "$out" message)" "Could not exclusively lock port" "the real exclusive-lock message"
kill $locker 2>/dev/null
wait $locker 2>/dev/null
MARK="fbhang$$"
ln -s "$FAKE" "$T/v5/$MARK"
out=$(FAKE_ESPTOOL_BEHAVIOUR=hang flash 5 --esptool "$MARK" --port "$E/ttyUSB0" --timeout 1000 $SMALL)
is "$(val "$out" outcome)/$(val "$out" phase)" timeout/Connect "hang: times out in Connect"
wait_until 5 no_procs_matching "$MARK"
ok $? "the hung fake is gone"

# MAC per port by default; FAKE_ESPTOOL_MAC per port
: >"$E/ttyUSB2"
m0=$(val "$(flash 5 --port "$E/ttyUSB0" $SMALL)" mac)
m2=$(val "$(flash 4 --port "$E/ttyUSB2" $SMALL)" mac)
[ -n "$m0" ] && [ "$m0" != "$m2" ]
ok $? "default MACs differ per port ($m0, $m2)"
m2=$(FAKE_ESPTOOL_MAC='ttyUSB2=aa:bb:cc:dd:ee:ff' val "$(FAKE_ESPTOOL_MAC='ttyUSB2=aa:bb:cc:dd:ee:ff' flash 5 --port "$E/ttyUSB2" $SMALL)" mac)
is "$m2" aa:bb:cc:dd:ee:ff "FAKE_ESPTOOL_MAC per port"

# ESP-IDF flash_args: options passed in the version's spelling, images land
mkdir -p "$T/build/bootloader"
cp "$E/bootloader.bin" "$T/build/bootloader/"
printf 'APP' >"$T/build/hello.bin"
printf -- '--flash_mode dio --flash_freq 80m --flash_size 2MB\n0x1000 bootloader/bootloader.bin\n0x10000 hello.bin\n' >"$T/build/flash_args"
FLASHDIR="$T/flash"
mkdir -p "$FLASHDIR"
out=$(FAKE_ESPTOOL_FLASH_DIR="$FLASHDIR" flash 5 --port "$E/ttyUSB0" --flash-args "$T/build/flash_args")
like "$(val "$out" argv)" "write-flash --flash-mode dio --flash-freq 80m --flash-size 2MB 0x1000 " \
	"flash_args options in v5 spelling"
is "$(val "$out" outcome)" ok "flash_args flashed"
is "$(od -An -c -j 65536 -N 3 "$FLASHDIR/ttyUSB0.bin" | tr -d ' ')" APP \
	"FAKE_ESPTOOL_FLASH_DIR: hello.bin at 0x10000 of the flash file there"

# timed mode: a real UART's pace (8 KiB at 115200 baud: ~0.7 s on the wire)
head -c 8192 /dev/urandom >"$T/rand.bin"
start=$(date +%s%N)
out=$(FAKE_ESPTOOL_TIMED=1 flash 5 --port "$E/ttyUSB0" --baud 115200 --image "0x10000=$T/rand.bin")
ms=$((($(date +%s%N) - start) / 1000000))
is "$(val "$out" outcome)" ok "timed mode flashes"
[ $ms -ge 700 ]
ok $? "timed mode takes the wire time (${ms} ms >= 700 ms)"

done_testing
