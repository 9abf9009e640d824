# tests/integration/klipper-devices.sh - fake Klipper/Katapult USB devices in
# a fake sysfs and /dev tree under $ROOT (the scanner backend reads it):
# board_plug KEY klipper|katapult, board_unplug KEY, board_of_device PATH.
# Sourced by klipper-flash-lib.sh and by the reboot hook the fake flash tools
# run (so it needs nothing but $ROOT).

# The boards: port, tty, serial, Klipper product (the Katapult one is the same).
board_ident() { # KEY -> sets port tty serial product
	case $1 in
	octopus) port=1-4 tty=ttyACM1 serial=29001A001151313531383332 product=stm32h723xx ;;
	nitehawk) port=1-5 tty=ttyACM2 serial=E6625C05E7324B2A product=rp2040 ;;
	spider) port=1-6 tty=ttyACM3 serial=0123456789ABCDEF0123 product=stm32h723xx ;;
	*) echo "unknown board $1" >&2; return 1 ;;
	esac
}

# board_plug KEY klipper|katapult: its USB device, tty and links appear.
board_plug() {
	board_ident "$1" || return 1
	if [ "$2" = katapult ]; then pid=6177 mfr=katapult; else pid=614e mfr=Klipper; fi
	usb="$ROOT/sys/devices/pci0000:00/0000:00:14.0/usb1/$port"
	dir="$usb/$port:1.0/tty/$tty"
	mkdir -p "$dir"
	printf '1d50\n' >"$usb/idVendor"
	printf '%s\n' "$pid" >"$usb/idProduct"
	printf '%s\n' "$serial" >"$usb/serial"
	printf '%s\n' "$mfr" >"$usb/manufacturer"
	printf '%s\n' "$product" >"$usb/product"
	printf 'DEVNAME=%s\n' "$tty" >"$dir/uevent"
	: >"$ROOT/dev/$tty"
	ln -sf "../../$tty" "$ROOT/dev/serial/by-path/pci-0000:00:14.0-usb-0:${port#1-}:1.0"
	ln -sf "../../$tty" "$ROOT/dev/serial/by-id/usb-${mfr}_${product}_${serial}-if00"
	ln -s "../../${dir#"$ROOT/sys/"}" "$ROOT/sys/class/tty/$tty"
}

# board_unplug KEY: everything of it goes.
board_unplug() {
	board_ident "$1" || return 1
	rm -f "$ROOT/sys/class/tty/$tty" "$ROOT/dev/$tty"
	find "$ROOT/dev/serial" -lname "*/$tty" -delete
	rm -rf "$ROOT/sys/devices/pci0000:00/0000:00:14.0/usb1/$port"
}

# The key of a board from a device path (its serial).
board_of_device() {
	for k in octopus nitehawk spider; do
		board_ident "$k"
		case $1 in *"$serial"*) echo "$k"; return 0 ;; esac
	done
	return 1
}

