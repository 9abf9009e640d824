# tests/integration/klipper-flash-lib.sh - Klipper boards that disappear and
# come back, for the tests of `board flash` and the dashboard. Source after
# tests/lib.sh and klipper-lib.sh.
#
# Why a fake sysfs tree and not umockdev: the engine resolves device paths
# with realpath() (port locks), and umockdev 0.17's preload corrupts the heap
# in realpath() on /dev paths, so flashbay runs with the scanner backend
# (--no-udev --sysfs-root --dev-root) on a tree in $T that the tools change.
# The reboot of a board is made event by event so that no step can be missed
# by the scanner (it rescans 30 ms after a burst of inotify events):
#   1. the fake flashtool.py / flash_usb.py, after a successful flash, runs
#      $T/reboot.sh DEVICE (FAKE_KATAPULT_AFTER / FAKE_FLASH_AFTER): the board's
#      Klipper device is replaced by its Katapult device on the same port;
#   2. flashbay prints "[Flash] KEY the board is in its bootloader as ..." once
#      it has seen that;
#   3. only then does the test (come_back KEY) put the Klipper device back,
#      which flashbay must see for PASS.
# A board that is never put back tests the reappear timeout.

# the fake tools are python3 programs
command -v python3 >/dev/null || skip_all "python3 needed"

# need_terminal: for the tests that drive a terminal (tmux, the curses menuconfig)
need_terminal() {
	command -v tmux >/dev/null || skip_all "tmux needed"
	python3 -c 'import curses' 2>/dev/null || skip_all "python3 curses needed"
	export LC_ALL=C.UTF-8 ESCDELAY=25
}

ROOT="$T/root"
mkdir -p "$ROOT/sys/class/tty" "$ROOT/sys/devices" "$ROOT/dev/serial/by-id" "$ROOT/dev/serial/by-path"

. "$srcdir/tests/integration/klipper-devices.sh"

# The reboot hook: after a flash the board shows up in its bootloader.
cat >"$T/reboot.sh" <<EOF
#!/bin/sh
. "$srcdir/tests/integration/klipper-devices.sh"
ROOT="$ROOT"
k=\$(board_of_device "\$1") || exit 0
board_unplug "\$k"
board_plug "\$k" katapult
EOF
export FAKE_KATAPULT_AFTER="sh $T/reboot.sh \"\$1\"" FAKE_FLASH_AFTER="sh $T/reboot.sh \"\$1\""

# come_back KEY OUTFILE: once flashbay has seen KEY in its bootloader, put
# its Klipper device back.
come_back() {
	wait_until 20 grep -q "^\[[A-Za-z]*\] $1 the board is in its bootloader" "$2" || return 1
	board_unplug "$1"
	board_plug "$1" klipper
}

# klipper_setup, plus what flashing needs: port locks in $T (not the
# machine's /run/lock) and a short reappear timeout.
flash_setup() {
	klipper_setup "$@"
	mkdir -p "$T/lock"
	printf 'reappear_timeout = 8\n[station]\nlock_dir = %s/lock\n' "$T" >>"$CONF"
}

# flashbay on the fake tree.
fb() { "$FLASHBAY" --no-udev --sysfs-root "$ROOT/sys" --dev-root "$ROOT/dev" "$@"; }

# Register the boards with the fixture configs.
register_boards() {
	for k in "$@"; do
		case $k in
		octopus) "$FLASHBAY" board add octopus --mcu stm32h723 \
			--serial-pattern 'usb-Klipper_stm32h723xx_29001A001151313531383332*' \
			--config "$FX/configs/klipper-octopus-pro-h723.config" >/dev/null ;;
		nitehawk) "$FLASHBAY" board add nitehawk --mcu rp2040 \
			--serial-pattern 'usb-Klipper_rp2040_E6625C05E7324B2A*' \
			--config "$FX/configs/klipper-nitehawk36-rp2040.config" >/dev/null ;;
		spider) "$FLASHBAY" board add spider --mcu stm32h723 \
			--serial-pattern 'usb-Klipper_stm32h723xx_0123456789ABCDEF0123*' \
			--config "$FX/configs/klipper-octopus-pro-h723.config" >/dev/null ;;
		esac
	done
}
