#!/bin/sh
# flashbay board build against the fake Klipper tree: two boards built at the
# same time into their own OUT, artifact path/size/SHA-256 printed, the build
# cache (hit, miss on a config or tree change, --rebuild, --no-clean), make's
# -j, failures and exit codes. Builds need no device and no history.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/klipper-lib.sh"
command -v python3 >/dev/null || skip_all "python3 needed"
command -v git >/dev/null || skip_all "git needed (the build cache keys on the tree's commit)"
klipper_setup
export FAKE_KLIPPER_LOG="$T/compile.log"
(cd "$T/klipper" && git init -q && git add -A && git -c user.name=t -c user.email=t@t commit -qm fake)
"$FLASHBAY" board add octopus --mcu stm32h723 --serial-pattern 'usb-Klipper_stm32h723xx_29001A001151313531383332*' \
	--config "$FX/configs/klipper-octopus-pro-h723.config" >/dev/null
"$FLASHBAY" board add nitehawk --mcu rp2040 --serial-pattern 'usb-Klipper_rp2040_E6625C05E7324B2A*' \
	--config "$FX/configs/klipper-nitehawk36-rp2040.config" >/dev/null
printf 'jobs = 3\n' >>"$CONF"
logs="$XDG_STATE_HOME/flashbay/logs"

# two boards at once, each into its own OUT
out=$(FAKE_KLIPPER_DELAY=0.03 "$FLASHBAY" board build --all 2>&1)
is "$?" 0 "board build --all: exit 0"
like "$out" "^\[Build\] octopus building \(no earlier build of this board\)" "cache miss explained"
like "$out" "^\[Build\] octopus PASS $BUILD/octopus/klipper.bin, [0-9]+ bytes, sha256 [0-9a-f]{64}$" "octopus: path, size, SHA-256"
like "$out" "^\[Build\] nitehawk PASS $BUILD/nitehawk/klipper.bin, [0-9]+ bytes, sha256 [0-9a-f]{64}$" "nitehawk: its own OUT"
sha=$(sha256sum "$BUILD/octopus/klipper.bin" | cut -d' ' -f1)
like "$out" "^octopus +PASS .* $BUILD/octopus/klipper.bin [0-9]+ bytes sha256 $sha$" "the summary has the real SHA-256"
overlap=$(awk '
	/\/octopus\// { if (!os || $3 < os) os = $3; if ($4 > oe) oe = $4 }
	/\/nitehawk\// { if (!ns || $3 < ns) ns = $3; if ($4 > ne) ne = $4 }
	END { print (os < ne && ns < oe) ? 1 : 0 }' "$FAKE_KLIPPER_LOG")
is "$overlap" 1 "the two builds compiled at the same time"
ok "$([ ! -e "$T/klipper/out" ]; echo $?)" "no shared out/ in the tree"
blog=$(cat "$logs"/*/*-klipper-octopus.log)
like "$blog" "^\\$ make -j3 KCONFIG_CONFIG=$CONFIGS/octopus/.config OUT=$BUILD/octopus/$" "make -jN with [klipper] jobs, the config as a make variable, OUT with its slash"
like "$blog" "^\\$ make KCONFIG_CONFIG=.* clean$" "make clean before the build"
like "$blog" "^\\$ make KCONFIG_CONFIG=.* olddefconfig$" "olddefconfig first"

# the cache
: >"$FAKE_KLIPPER_LOG"
out=$("$FLASHBAY" board build octopus nitehawk 2>&1)
is "$?" 0 "second build: exit 0"
like "$out" "^\[Build\] octopus PASS .*\(from the cache\)$" "unchanged: octopus from the cache"
like "$out" "^octopus +PASS \(cached\) " "summary: cached"
is "$(cat "$FAKE_KLIPPER_LOG")" "" "nothing compiled"
echo "# edited" >>"$CONFIGS/octopus/.config"
out=$("$FLASHBAY" board build octopus nitehawk 2>&1)
like "$out" "^\[Build\] octopus building \(the configuration changed\)" "config edited: rebuilt"
like "$out" "^\[Build\] nitehawk PASS .*\(from the cache\)$" "the other board is still cached"
(cd "$T/klipper" && echo x >new-file && git add new-file && git -c user.name=t -c user.email=t@t commit -qm more)
out=$("$FLASHBAY" board build nitehawk 2>&1)
like "$out" "^\[Build\] nitehawk building \(the Klipper tree changed\)" "tree moved on: rebuilt"
out=$("$FLASHBAY" board build --rebuild nitehawk 2>&1)
like "$out" "^\[Build\] nitehawk building \(--rebuild\)" "--rebuild forces it"
rm -rf "$logs"
out=$("$FLASHBAY" board build --rebuild --no-clean nitehawk 2>&1)
unlike "$(cat "$logs"/*/*-klipper-nitehawk.log)" " clean$" "--no-clean with an unchanged config: no make clean"
echo "# edited" >>"$CONFIGS/nitehawk/.config"
rm -rf "$logs"
out=$("$FLASHBAY" board build --no-clean nitehawk 2>&1)
like "$(cat "$logs"/*/*-klipper-nitehawk.log)" " clean$" "--no-clean after a config change cleans anyway"

# failures
out=$(FAKE_KLIPPER_FAIL=stm32/watchdog "$FLASHBAY" board build --rebuild octopus 2>&1)
is "$?" 1 "compile error: exit 1"
like "$out" "^\[Build\] octopus FAIL build_failed: make failed \(exit 2\): src/stm32/watchdog.c:[0-9:]+ fatal error: " "build_failed quotes the compiler error"
out=$("$FLASHBAY" board build 2>&1)
is "$?" 2 "no key with two boards: exit 2"
like "$out" "which boards\? give KEY... or --all" "explained"
out=$("$FLASHBAY" board build nosuch 2>&1)
is "$?" 2 "unknown key: exit 2"
out=$("$FLASHBAY" board build octopus --all 2>&1)
is "$?" 2 "KEY and --all: exit 2"
out=$("$FLASHBAY" board build --force octopus 2>&1)
is "$?" 2 "--force is for flash: exit 2"
ok "$([ ! -e "$XDG_STATE_HOME/flashbay/history.db" ]; echo $?)" "builds write no history"
done_testing
