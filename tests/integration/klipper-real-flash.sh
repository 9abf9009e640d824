#!/bin/sh
# flashbay board flash through Katapult's real flashtool.py
# (../shared/tools/katapult) against katapult_sim.py (../shared/sim) on a pty:
# the board waits in its Katapult bootloader, its tty node in the fake /dev
# tree (klipper-flash-lib.sh) being a symlink to the simulator's pty. A flash
# writes the built klipper.bin byte for byte into the simulator's flash file,
# between ONE service stop and ONE start, and is a history row; a bootloader
# for another MCU, or a port some other program holds open, is a FAIL with
# flashtool's own error line, and the service is started again.
#
# The real tool sees a pty, not a USB device (it reads the machine's /sys, not
# the fake tree), so it talks to the bootloader at once; the simulator ends on
# COMPLETE, and the test then makes the board come back as Klipper, as a real
# one does after Katapult jumps to the application.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/klipper-lib.sh"
. "$srcdir/tests/integration/klipper-flash-lib.sh"

SHARED=${FLASHBAY_SHARED:-$(cd "$srcdir/.." 2>/dev/null && pwd)/shared}
KATAPULT="$SHARED/tools/katapult"
KSIM="$SHARED/sim/katapult_sim.py"
[ -f "$KATAPULT/scripts/flashtool.py" ] ||
	skip_all "no real Katapult flashtool.py: $KATAPULT is absent (set FLASHBAY_SHARED)"
[ -f "$KSIM" ] || skip_all "no Katapult simulator: $KSIM is absent"
# Debian's python3 with python3-serial, as ../shared/tools/README.md says
KPY=/usr/bin/python3
[ -x "$KPY" ] && "$KPY" -c 'import serial' 2>/dev/null ||
	skip_all "Katapult's flashtool.py needs $KPY with pyserial (Debian's python3-serial)"

flash_setup
sed -i "s|^katapult_dir = .*|katapult_dir = $KATAPULT\npython = $KPY|" "$CONF"
register_boards octopus
board_ident octopus # sets $tty
NODE="$ROOT/dev/$tty"
KDEV="$ROOT/dev/serial/by-id/usb-katapult_stm32h723xx_29001A001151313531383332-if00"
SIMFLASH="$T/simflash.bin"
sim_pid=""

# sim_start MCU [busy]: the board in its bootloader, its tty a pty served by
# the simulator (application start 0x8020000, as an Octopus Pro H723's)
sim_start() {
	board_unplug octopus
	board_plug octopus katapult
	rm -f "$SIMFLASH" "$T/sim.out"
	python3 "$srcdir/tests/helper/katapult-pty.py" "$NODE" "$KSIM" --flash-file "$SIMFLASH" \
		"$1" 8020000 ${2:-} >"$T/sim.out" 2>"$T/sim.err" &
	sim_pid=$!
	wait_until 10 test -s "$T/sim.out" && test -L "$NODE"
}
sim_gone() { ! kill -0 "$sim_pid" 2>/dev/null; }
sim_stop() {
	[ -n "$sim_pid" ] || return 0
	kill "$sim_pid" 2>/dev/null
	wait "$sim_pid" 2>/dev/null
	sim_pid=""
	return 0
}
on_exit sim_stop

# back_as_klipper: once flashbay waits for the board, it leaves its
# bootloader and comes back running Klipper (one step at a time, see
# klipper-flash-lib.sh)
back_as_klipper() {
	wait_until 30 grep -q '^\[Verify\] octopus .*waiting for it to come back' "$T/out" || return 1
	wait_until 5 sim_gone || return 1
	board_unplug octopus
	wait_until 10 grep -q '^\[[A-Za-z]*\] octopus the board went away' "$T/out" || return 1
	board_plug octopus klipper
}

# --- a flash through the real tool ------------------------------------------------------
sim_start stm32h723xx
ok $? "the simulator serves the board's tty"
fb board flash octopus --yes >"$T/out" 2>&1 &
fpid=$!
back_as_klipper
ok $? "flashtool.py ran, the simulator got COMPLETE, the board came back"
wait "$fpid"
rc=$?
out=$(cat "$T/out")
is "$rc" 0 "exit 0"
like "$out" "^\[Discovery\] octopus found $KDEV \(slot [0-9]+, katapult\)" "found in its bootloader"
like "$out" "^\[Flash\] octopus katapult klipper.bin via $KDEV" "[Flash] Katapult through the by-id path"
like "$out" "^\[Flash\] octopus Flash 50%" "the real tool's flash bar is the first half"
like "$out" "^\[Verify\] octopus PASS back as usb-Klipper_stm32h723xx_29001A001151313531383332-if00" "PASS"
is "$(cat "$CALLS")" "systemctl stop klipper
systemctl start klipper" "the service was stopped once and started again"
art="$BUILD/octopus/klipper.bin"
size=$(stat -c %s "$art")
cmp -s -n "$size" "$SIMFLASH" "$art"
ok $? "the simulator's flash holds the image byte for byte"
is "$(stat -c %s "$SIMFLASH")" "$(((size + 63) / 64 * 64))" "and nothing past its last 64-byte block"
is "$(tail -c +$((size + 1)) "$SIMFLASH" | od -An -v -tx1 | tr -d ' \n' | tr -d f)" "" \
	"the last block is padded with 0xFF"
sha=$(sha256sum "$art" | cut -d' ' -f1)
fb history --json --board octopus >"$T/h.json"
python3 - "$T/h.json" "$sha" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 1, rows
r = rows[0]
assert r["method"] == "katapult" and r["outcome"] == "ok" and r["failure_class"] is None, r
assert r["firmware_sha256"] == sys.argv[2], r
assert r["chip"] == "stm32h723xx", r
assert "Programming Complete" in r["output"] and "Verification Complete" in r["output"], r
EOF
ok $? "history: katapult ok, the artifact's SHA-256, the MCU, the tool's output"
grep -rqx "# result: ok .*" "$XDG_STATE_HOME/flashbay/logs"
ok $? "the attempt's log file ends with its result"

# --- the bootloader is another MCU's: flashtool's error, no make flash ---------------------
: >"$CALLS"
sim_start stm32f446xx
out=$(fb board flash octopus --yes 2>&1)
rc=$?
is "$rc" 1 "MCU mismatch: exit 1"
like "$out" "^\[Flash\] octopus FAIL mcu_mismatch: MCU returned by Katapult does not match MCU identified in klipper.bin\. Katapult MCU: stm32f446xx Klipper Binary MCU: stm32h723xx$" \
	"FAIL with flashtool's own FlashError message"
unlike "$out" "trying make flash" "no make flash for another MCU"
is "$(cat "$CALLS")" "systemctl stop klipper
systemctl start klipper" "the service was started again"
ok "$([ ! -s "$SIMFLASH" ]; echo $?)" "nothing was written"
wait_until 5 sim_gone
ok $? "flashtool.py still sent COMPLETE (the bootloader left)"
fb history --json --board octopus >"$T/h.json"
python3 - "$T/h.json" <<'EOF'
import json, sys
r = json.load(open(sys.argv[1]))[0]
assert (r["method"], r["outcome"], r["failure_class"]) == ("katapult", "failed", "mcu_mismatch"), r
assert "Katapult MCU: stm32f446xx" in r["output"], r
EOF
ok $? "history: katapult failed, mcu_mismatch"
grep -rqx "# result: mcu_mismatch MCU returned by Katapult does not match .*" "$XDG_STATE_HOME/flashbay/logs"
ok $? "... and its log file ends with that result"
sim_stop

done_testing
