#!/bin/sh
# flashbay board flash against the fakes: discovery, config checks, parallel
# builds and flashes with ONE systemctl stop and ONE start, the reappear
# check (boards leave for their bootloader and come back: see
# klipper-flash-lib.sh for how), Katapult -> make flash fallback, the
# reappear timeout, Moonraker refusing, and the history rows.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/klipper-lib.sh"
. "$srcdir/tests/integration/klipper-flash-lib.sh"
flash_setup
register_boards octopus nitehawk
board_plug octopus klipper
board_plug nitehawk klipper
export FAKE_KATAPULT_LOG="$T/katapult.log" FAKE_FLASH_LOG="$T/flash.log"

# flash KEY... in the background; the named boards come back after their flash
flash_bg() {
	fb board flash "$@" >"$T/out" 2>&1 &
	fpid=$!
}
finish() { wait "$fpid"; rc=$?; out=$(cat "$T/out"); }

# --- two boards: one stop, parallel flashes, one start, both come back ----------------
flash_bg octopus nitehawk
come_back octopus "$T/out"
ok $? "octopus went to its bootloader"
come_back nitehawk "$T/out"
ok $? "nitehawk went to its bootloader"
finish
is "$rc" 0 "both boards: exit 0"
like "$out" "^\[Discovery\] octopus found $ROOT/dev/serial/by-id/usb-Klipper_stm32h723xx_29001A001151313531383332-if00 \(slot [0-9]+, klipper\)" "[Discovery] names the by-id device"
like "$out" "^\[Config\] octopus .*/configs/octopus/.config \(CONFIG_MCU stm32h723xx, builds klipper.bin\)" "[Config] checked the cached config"
like "$out" "^\[Build\] nitehawk building \(" "[Build] builds"
like "$out" "^\[Service\] stopping klipper" "[Service] one stop"
like "$out" "^\[Flash\] octopus katapult klipper.bin via $ROOT/dev/serial/by-id/usb-Klipper_" "[Flash] Katapult through the by-id path"
like "$out" "^\[Flash\] octopus Flash 50%" "Katapult's flash pass is the first half"
like "$out" "^\[Verify\] octopus PASS back as usb-Klipper_stm32h723xx_29001A001151313531383332-if00" "[Verify] octopus came back as Klipper"
like "$out" "^\[Verify\] nitehawk PASS back as usb-Klipper_rp2040_E6625C05E7324B2A-if00" "[Verify] nitehawk came back"
like "$out" "Service klipper: stopped and started again" "summary: the service runs again"
is "$(cat "$CALLS")" "systemctl stop klipper
systemctl start klipper" "ONE systemctl stop and ONE start for the batch"
is "$(grep -c 'flashtool.py -d' "$T/katapult.log")" 2 "flashtool.py ran once per board"
like "$(cat "$T/katapult.log")" "-d $ROOT/dev/serial/by-id/usb-Klipper_rp2040_E6625C05E7324B2A-if00 -f $BUILD/nitehawk/klipper.bin" "each board's own OUT"
stop_line=$(grep -n '^\[Service\] stopped' "$T/out" | cut -d: -f1)
first_flash=$(grep -n '^\[Flash\]' "$T/out" | head -1 | cut -d: -f1)
last_build=$(grep -n '^\[Build\]' "$T/out" | tail -1 | cut -d: -f1)
ok "$([ "$last_build" -lt "$stop_line" ] && [ "$stop_line" -lt "$first_flash" ]; echo $?)" "builds, then the stop, then the flashes"

# the history: one row per board with method, board key and artifact SHA-256
sha=$(sha256sum "$BUILD/octopus/klipper.bin" | cut -d' ' -f1)
fb history --json --board octopus >"$T/h.json"
python3 - "$T/h.json" "$sha" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 1, rows
r = rows[0]
assert r["board"] == "octopus" and r["method"] == "katapult", r
assert r["outcome"] == "ok" and r["failure_class"] is None, r
assert r["firmware_sha256"] == sys.argv[2], r
assert r["chip"] == "stm32h723xx" and r["firmware_size"] > 0, r
assert "Programming Complete" in r["output"], r
EOF
ok $? "history --json --board octopus: method katapult, board, artifact SHA-256, MCU, output"

# --- a second run: builds come from the cache only with a git tree (not here) ------
# --- Katapult fails: make flash takes over ----------------------------------------------
: >"$CALLS"
export FAKE_KATAPULT=no-response
flash_bg octopus
come_back octopus "$T/out"
finish
unset FAKE_KATAPULT
is "$rc" 0 "Katapult failed, make flash worked: exit 0"
like "$out" "^\[Flash\] octopus Katapult failed \(no_sync: .*\); trying make flash" "the fallback is announced"
like "$(cat "$T/flash.log")" "flash_usb.py -t stm32h723xx -d $ROOT/dev/serial/by-id/usb-Klipper_stm32h723xx_29001A001151313531383332-if00" "make flash FLASH_DEVICE=<by-id>"
like "$out" "^\[Verify\] octopus PASS" "and the board came back"
fb history --json --board octopus >"$T/h.json"
python3 - "$T/h.json" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[1]))
got = [(r["method"], r["outcome"], r["failure_class"]) for r in rows[:2]]
assert got == [("make_flash", "ok", None), ("katapult", "failed", "no_sync")], got
EOF
ok $? "two history rows: katapult failed (no_sync), then make_flash ok"

# --- the board never comes back --------------------------------------------------------
sed -i 's/^reappear_timeout = .*/reappear_timeout = 1/' "$CONF"
: >"$CALLS"
after=$FAKE_KATAPULT_AFTER
export FAKE_KATAPULT_AFTER=
out=$(fb board flash octopus 2>&1)
is "$?" 1 "reappear timeout: exit 1"
like "$out" "^\[Verify\] octopus FAIL did_not_return: flashed, but it did not come back as a Klipper device with serial 29001A001151313531383332 within 1 s" "did_not_return"
is "$(cat "$CALLS")" "systemctl stop klipper
systemctl start klipper" "the service was started again"
export FAKE_KATAPULT_AFTER="$after"
sed -i 's/^reappear_timeout = .*/reappear_timeout = 8/' "$CONF"

# --- a failed restart is shouted: error, summary, exit 1, and the guard tries again ------
sed -i 's/^service = .*/service = klipper-1 klipper-2/' "$CONF"
: >"$CALLS"
export FAKE_SYSTEMCTL_FAIL=start
flash_bg octopus
come_back octopus "$T/out"
finish
unset FAKE_SYSTEMCTL_FAIL
is "$rc" 1 "the service did not start: exit 1 although the board passed"
like "$out" "^\[Verify\] octopus PASS" "the board itself passed"
like "$out" "flashbay: error: FAILED to start the printer service klipper-1 klipper-2 \(exit 1" "the failed start is an error on stderr"
like "$out" "^Service klipper-1 klipper-2: FAILED to start .*run by hand: systemctl start klipper-1 klipper-2" "and in the summary, with the command to run"
like "$(head -1 "$CALLS")" "^systemctl stop klipper-1 klipper-2$" "both services stopped in one call"
wait_until 10 grep -q "FAILED" "$GUARD_LOG"
ok $? "without 'done' the guard tried once more, and shouted too"
sed -i 's/^service = .*/service = klipper/' "$CONF"

# --- stops before anything is stopped -------------------------------------------------
: >"$CALLS"
cp "$CONFIGS/octopus/.config" "$T/octopus.config"
cp "$FX/configs/klipper-nitehawk36-rp2040.config" "$CONFIGS/octopus/.config"
out=$(fb board flash octopus 2>&1)
is "$?" 1 "MCU mismatch: exit 1"
like "$out" "^\[Config\] octopus FAIL mcu_mismatch: board 'octopus' is registered as mcu stm32h723 but its configuration .* is for rp2040 \(CONFIG_MCU\); fix it with: flashbay board menuconfig octopus" "mcu_mismatch, with the fix"
is "$(cat "$CALLS")" "" "nothing was stopped"
rm "$CONFIGS/octopus/.config"
out=$(fb board flash octopus </dev/null 2>&1)
is "$?" 1 "missing config: exit 1"
like "$out" "^\[Config\] octopus FAIL config_missing: .*create it with: flashbay board menuconfig octopus" "config_missing names the command to run"
is "$(cat "$CALLS")" "" "nothing was stopped"
ok "$([ ! -e "$CONFIGS/octopus/.config" ]; echo $?)" "and make never wrote an AVR default"
cp "$T/octopus.config" "$CONFIGS/octopus/.config"

# --- a board that is not connected fails; the others go on -----------------------------
board_unplug nitehawk
: >"$CALLS"
flash_bg octopus nitehawk
come_back octopus "$T/out"
finish
is "$rc" 1 "one board missing: exit 1"
like "$out" "^\[Discovery\] nitehawk FAIL no_port: board 'nitehawk' is not connected: no /dev/serial/by-id name matches its serial_pattern" "the missing board is named"
like "$out" "^\[Verify\] octopus PASS" "the connected one is flashed"

# --- no key: one connected board needs a confirmation ----------------------------------
out=$(fb board flash </dev/null 2>&1)
is "$?" 2 "no key, no terminal, no --yes: exit 2"
like "$out" "board 'octopus' is connected: name it \(board flash octopus\) or confirm with --yes" "explained"
flash_bg --yes
come_back octopus "$T/out"
finish
is "$rc" 0 "no key, --yes: the one connected board is flashed"
like "$out" "^\[Verify\] octopus PASS" "it passed"
out=$(fb board flash nosuch 2>&1)
is "$?" 2 "unknown key: exit 2"
like "$out" "no board named 'nosuch'" "explained"

# --- Moonraker says printing: refused before anything is stopped; --force goes on -------
if grep -q 'define HAVE_CURL 1' "$builddir/autoconf.h"; then
	python3 "$srcdir/tests/fake/moonraker.py" "$T/mr-port" "$T/mr-state" &
	mr=$!
	stop_mr() { kill "$mr" 2>/dev/null; wait "$mr" 2>/dev/null; return 0; }
	on_exit stop_mr
	wait_until 10 test -s "$T/mr-port"
	echo printing >"$T/mr-state"
	sed -i "s|^moonraker =.*|moonraker = http://127.0.0.1:$(cat "$T/mr-port")|" "$CONF"
	: >"$CALLS"
	out=$(fb board flash octopus 2>&1)
	is "$?" 1 "printing: exit 1"
	like "$out" "^\[Service\] octopus FAIL printer_busy: the printer is printing \(Moonraker at http://127.0.0.1:[0-9]+\); not stopping klipper: wait until it is done, or use --force" "refused with printer_busy"
	is "$(cat "$CALLS")" "" "nothing was stopped"
	flash_bg octopus --force
	come_back octopus "$T/out"
	finish
	is "$rc" 0 "--force: flashed anyway"
	like "$out" "^\[Service\] Moonraker: the printer is printing; --force: flashing anyway" "and says so"
	echo standby >"$T/mr-state"
	: >"$CALLS"
	flash_bg octopus
	come_back octopus "$T/out"
	finish
	is "$rc" 0 "standby: flashed"
	like "$out" "^\[Service\] Moonraker: the printer is standby" "Moonraker asked"
	stop_mr
	: >"$CALLS"
	out=$(fb board flash octopus </dev/null 2>&1)
	is "$?" 1 "Moonraker unreachable, no terminal: exit 1"
	like "$out" "FAIL other: cannot ask Moonraker at .* whether the printer is busy: .*; not stopping klipper without knowing" "refused"
	is "$(cat "$CALLS")" "" "nothing was stopped"
	sed -i "s|^moonraker =.*|moonraker =|" "$CONF"
fi
done_testing
