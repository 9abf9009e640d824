#!/bin/sh
# Figure 8: three Klipper boards built and flashed, flashbay against the
# manual workflow. Both use the same fakes in their timed modes: the fake
# Klipper tree (FAKE_KLIPPER_DELAY s per compiled file), the fake Katapult
# flashtool.py (FAKE_KATAPULT_DELAY s per '#', two 50-'#' passes) and the
# fake systemctl. The manual workflow is what the Klipper docs have users
# type, one board after the other: cp config .config; make clean; make -jN;
# systemctl stop klipper; flashtool.py -d DEVICE; systemctl start klipper.
# flashbay: `flashbay board flash A B C` (builds two at a time into their own
# OUT, one stop, parallel flashes, one start, then waits for each board to
# come back - the fake tree's boards come back as soon as flashbay saw them
# in their bootloader, see tests/integration/klipper-flash-lib.sh).
. "$S/bench/lib.sh"

W=$(mktemp -d "$B/bench-klipper.XXXXXX")
trap 'rm -rf "$W"' EXIT
export HOME="$W/home" XDG_CONFIG_HOME="$W/home/.config" XDG_STATE_HOME="$W/home/.local/state" \
	XDG_CACHE_HOME="$W/home/.cache" XDG_RUNTIME_DIR="$W/run" FLASHBAY_SYSTEM_CONFIG=
mkdir -p "$HOME" "$XDG_RUNTIME_DIR" "$XDG_CONFIG_HOME/flashbay" "$W/lock"
py=$(python3 -c 'import sys; print(sys.executable)')
mkdir -p "$W/py" && ln -s "$py" "$W/py/python3"
export PATH="$W/py:$S/tests/fake/bin:$PATH" FAKE_CALLS="$W/calls" FAKE_SYSTEMCTL_STATE="$W/units"
export FAKE_KLIPPER_DELAY=0.25 FAKE_KATAPULT_DELAY=0.03
FX="$S/tests/fixtures/klipper"
F="$B/src/flashbay"
cp -R "$S/tests/fake/klipper" "$W/klipper" && chmod -R u+w "$W/klipper"
cat >"$XDG_CONFIG_HOME/flashbay/flashbay.conf" <<EOF
[klipper]
klipper_dir = $W/klipper
katapult_dir = $S/tests/fake/katapult
service = klipper
moonraker =
reappear_timeout = 30
[station]
lock_dir = $W/lock
EOF
ROOT="$W/root"
mkdir -p "$ROOT/sys/class/tty" "$ROOT/sys/devices" "$ROOT/dev/serial/by-id" "$ROOT/dev/serial/by-path"
. "$S/tests/integration/klipper-devices.sh"
boards="octopus nitehawk spider"
for k in $boards; do board_plug "$k" klipper; done
"$F" board add octopus --mcu stm32h723 --serial-pattern 'usb-Klipper_stm32h723xx_29001A001151313531383332*' \
	--config "$FX/configs/klipper-octopus-pro-h723.config" >/dev/null
"$F" board add nitehawk --mcu rp2040 --serial-pattern 'usb-Klipper_rp2040_E6625C05E7324B2A*' \
	--config "$FX/configs/klipper-nitehawk36-rp2040.config" >/dev/null
"$F" board add spider --mcu stm32h723 --serial-pattern 'usb-Klipper_stm32h723xx_0123456789ABCDEF0123*' \
	--config "$FX/configs/klipper-octopus-pro-h723.config" >/dev/null
ms() { date +%s%3N; }

# --- manual: one board after the other -------------------------------------------
t0=$(ms)
for k in $boards; do
	board_ident "$k"
	cp "$XDG_CONFIG_HOME/flashbay/configs/$k/.config" "$W/klipper/.config"
	(cd "$W/klipper" && make -s clean && make -s -j"$(nproc)") >/dev/null 2>&1
	systemctl stop klipper
	python3 "$S/tests/fake/katapult/scripts/flashtool.py" \
		-d "$ROOT/dev/serial/by-id/usb-Klipper_${product}_${serial}-if00" \
		-f "$W/klipper/out/klipper.bin" >/dev/null 2>&1
	systemctl start klipper
done
manual=$(($(ms) - t0))

# --- flashbay: the whole batch -------------------------------------------------------
cat >"$W/reboot.sh" <<EOF
. "$S/tests/integration/klipper-devices.sh"
ROOT="$ROOT"
k=\$(board_of_device "\$1") && board_unplug "\$k" && board_plug "\$k" katapult
EOF
export FAKE_KATAPULT_AFTER="sh $W/reboot.sh \"\$1\""
: >"$W/calls"
t0=$(ms)
"$F" --no-udev --sysfs-root "$ROOT/sys" --dev-root "$ROOT/dev" board flash $boards >"$W/out" 2>&1 &
fpid=$!
for k in $boards; do
	bench_wait 120 grep -q "^\[[A-Za-z]*\] $k the board is in its bootloader" "$W/out" &&
		board_unplug "$k" && board_plug "$k" klipper
done
wait "$fpid"
rc=$?
fb=$(($(ms) - t0))
if [ $rc != 0 ]; then
	echo "flashbay board flash failed (exit $rc):" >&2
	cat "$W/out" >&2
fi

figure "klipper 3 boards: flashbay" "$(awk -v m="$fb" 'BEGIN { printf "%.1f s", m / 1000 }')" \
	"< manual" "wall time of 'board flash' for 3 boards: clean builds (2 at a time), 1 stop, parallel Katapult, 1 start, reappear check (fake tree ${FAKE_KLIPPER_DELAY} s/file, fake flashtool ${FAKE_KATAPULT_DELAY} s/#)"
figure "klipper 3 boards: manual" "$(awk -v m="$manual" 'BEGIN { printf "%.1f s", m / 1000 }')" \
	"-" "the same fakes one board after the other: make clean, make -j$(nproc), systemctl stop, flashtool.py, systemctl start"
figure "klipper 3 boards: ratio" "$(awk -v a="$fb" -v b="$manual" 'BEGIN { printf "%.2f", a / b }')" \
	"< 1" "flashbay / manual"
