#!/bin/sh
# The Klipper build and flash blocks driven like the engine will drive them
# (tests/helper/test-klipper-run), against the fake Klipper tree and fake
# Katapult: per-board OUT dirs built in parallel, the build cache, artifact
# and klipper.dict checks, flashtool.py and make flash outcomes.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/klipper-lib.sh"
command -v python3 >/dev/null || skip_all "python3 needed"
H="$builddir/tests/helper/test-klipper-run"
klipper_setup
export FAKE_KLIPPER_LOG="$T/compile.log"
have_git=0
if command -v git >/dev/null; then
	have_git=1
	(cd "$T/klipper" && git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm fake) >/dev/null 2>&1 || have_git=0
fi

"$FLASHBAY" board add octopus --mcu stm32h723 --serial-pattern 'usb-Klipper_stm32h723xx_29001A001151313531383332*' \
	--config "$FX/configs/klipper-octopus-pro-h723.config" >/dev/null
"$FLASHBAY" board add nitehawk --mcu rp2040 --serial-pattern 'usb-Klipper_rp2040_E6625C05E7324B2A*' \
	--config "$FX/configs/klipper-nitehawk36-rp2040.config" >/dev/null
"$FLASHBAY" board add pico --mcu rp2040 --serial-pattern 'usb-Klipper_rp2040_ABCDEF0123456789*' \
	--config "$FX/configs/klipper-rp2040-nobootloader.config" >/dev/null
"$FLASHBAY" board add ghost --mcu stm32h723 --serial-pattern 'usb-Klipper_stm32h723xx_0000000000000000*' >/dev/null

# two boards built in parallel from one tree, each into its own OUT
out=$(FAKE_KLIPPER_DELAY=0.05 "$H" build octopus nitehawk)
is "$?" 0 "two boards build"
like "$out" "octopus result ok" "octopus built"
like "$out" "nitehawk result ok" "nitehawk built"
like "$out" "octopus artifact $BUILD/octopus/klipper.bin [0-9]+ [0-9a-f]{64} stm32h723xx" "octopus: klipper.bin in its own OUT, size, SHA-256, dict MCU"
like "$out" "nitehawk artifact $BUILD/nitehawk/klipper.bin [0-9]+ [0-9a-f]{64} rp2040" "nitehawk: its own OUT and MCU"
ok "$([ ! -e "$T/klipper/out" ]; echo $?)" "no shared out/ in the tree"
overlap=$(awk '
	/\/octopus\// { if (!os || $3 < os) os = $3; if ($4 > oe) oe = $4 }
	/\/nitehawk\// { if (!ns || $3 < ns) ns = $3; if ($4 > ne) ne = $4 }
	END { print (os < ne && ns < oe) ? 1 : 0 }' "$FAKE_KLIPPER_LOG")
is "$overlap" 1 "the two builds ran at the same time"
like "$out" "octopus step clean exit=0" "make clean before the build"

out=$("$H" build pico)
like "$out" "pico artifact $BUILD/pico/klipper.uf2 " "no-bootloader rp2040: the artifact is klipper.uf2"

out=$("$H" build ghost)
is "$?" 1 "a board without a config is refused"
like "$out" "ghost result refused board 'ghost' has no Klipper configuration yet .* flashbay board menuconfig ghost" "refused with the command to run"
ok "$([ ! -e "$CONFIGS/ghost/.config" ]; echo $?)" "and make never created an AVR default for it"

if [ $have_git = 1 ]; then
	out=$("$H" build octopus nitehawk)
	like "$out" "octopus result cached" "unchanged config and tree: octopus from the cache"
	like "$out" "nitehawk result cached" "unchanged config and tree: nitehawk from the cache"
	unlike "$out" "step build" "nothing built"
	echo "# edited" >> "$CONFIGS/octopus/.config"
	out=$("$H" build octopus nitehawk)
	like "$out" "octopus cache miss: the configuration changed" "octopus config edited: rebuilt"
	like "$out" "nitehawk result cached" "nitehawk still cached"
	(cd "$T/klipper" && echo x > new-file && git add new-file && git -c user.name=t -c user.email=t@t commit -qm more)
	out=$("$H" build nitehawk)
	like "$out" "nitehawk cache miss: the Klipper tree changed" "tree moved on: rebuilt"
	echo x >> "$T/klipper/new-file"
	out=$("$H" build nitehawk)
	like "$out" "nitehawk tree [^ ]+-dirty" "git describe --dirty seen"
	like "$out" "nitehawk cache miss: the Klipper tree has uncommitted changes" "a dirty tree is always rebuilt"
	(cd "$T/klipper" && git checkout -q new-file)
	out=$("$H" build --rebuild nitehawk)
	like "$out" "nitehawk cache miss: --rebuild" "--rebuild forces the build"
	out=$("$H" build --rebuild --no-clean nitehawk)
	unlike "$out" "nitehawk step clean" "--no-clean with an unchanged config skips make clean"
	echo "# edited" >> "$CONFIGS/nitehawk/.config"
	out=$("$H" build --no-clean nitehawk)
	like "$out" "nitehawk step clean exit=0" "--no-clean after a config change cleans anyway (stale OUT trap)"
fi

out=$(FAKE_KLIPPER_FAIL=stm32/watchdog "$H" build --rebuild octopus)
is "$?" 1 "compile error: failure"
like "$out" "octopus step build exit=2" "make exits 2"
like "$out" "octopus result build_failed build" "build_failed"

# flashing the last build
out=$("$H" build --rebuild octopus nitehawk pico)
mkdir -p "$T/dev"
KDEV="$T/dev/usb-katapult_stm32h723xx_29001A001151313531383332-if00"
: > "$KDEV"
out=$(FAKE_KATAPULT_DELAY=0.001 "$H" flash katapult octopus "$KDEV")
is "$?" 0 "Katapult flash"
like "$out" "outcome ok" "outcome ok"
like "$out" "pct [1-4]?[0-9] partial" "live percent during the first bar (partial lines)"
like "$out" "pct 50" "the flash pass is the first half"
like "$out" "pct 100" "done at 100 %"
like "$out" "mcu stm32h723xx" "the bootloader's MCU"
echo "mcu-mismatch=stm32f446xx" > "$KDEV.fake"
out=$("$H" flash katapult octopus "$KDEV")
like "$out" "outcome mcu_mismatch MCU returned by Katapult does not match MCU identified in klipper.bin. Katapult MCU: stm32f446xx Klipper Binary MCU: stm32h723xx" "MCU mismatch from the bootloader"
echo "not-katapult" > "$KDEV.fake"
out=$("$H" flash katapult octopus "$KDEV")
like "$out" "outcome not_in_bootloader " "exit 0 with 'Device is not Katapult': not_in_bootloader"
echo "no-response" > "$KDEV.fake"
out=$("$H" flash katapult octopus "$KDEV")
like "$out" "outcome no_sync Error sending command \[CONNECT\] to Device" "no answer: no_sync"
out=$("$H" flash katapult octopus "$T/dev/usb-katapult_gone-if00")
like "$out" "outcome no_port No Serial Device found at $T/dev/usb-katapult_gone-if00" "missing device: no_port"

KLDEV="$T/dev/usb-Klipper_stm32h723xx_29001A001151313531383332-if00"
: > "$KLDEV"
out=$(FLASHBAY_EUID=0 "$H" flash make octopus "$KLDEV")
is "$?" 0 "make flash"
like "$out" "outcome ok" "make flash: ok"
like "$out" "pct 100" "dfu-util's percent"
: > "$CALLS"
out=$(FLASHBAY_EUID=1000 "$H" flash make octopus "$KLDEV")
like "$out" "outcome ok" "not root: make flash keeps Klipper's sudo"
is "$(cat "$CALLS")" "sudo true" "... which ran through sudo"
out=$(FLASHBAY_EUID=0 FAKE_FLASH=fail "$H" flash make pico 2e8a:0003)
is "$?" 1 "rp2040 in no BOOTSEL mode: failure"
like "$out" "outcome not_in_bootloader the board is not in its bootloader \(No rp2040 in BOOTSEL mode was found\)" "even though make exits 0"
out=$(FLASHBAY_EUID=0 "$H" flash make octopus "$T/dev/usb-Klipper_gone-if00")
like "$out" "outcome no_port Failed to flash to .*: Unable to find tty device" "make flash to a missing device: no_port"
done_testing
