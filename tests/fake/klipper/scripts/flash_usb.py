#!/usr/bin/env python3
# Fake scripts/flash_usb.py of flashbay's fake Klipper tree: the argv of the
# real one (-t MCU -d DEVICE [-s START] [--no-sudo] FILE), its failure texts
# (replayed from flash-*.txt) and exit codes, dfu-util / rp2040_flash output.
#
# Knobs (environment, or a file DEVICE.fake holding the scenario word):
#   FAKE_FLASH          ok (default for a device that exists) | fail (no device in
#                       the bootloader: dfu-util "No DFU capable USB device available",
#                       rp2040 "No rp2040 in BOOTSEL mode was found" with exit 0 as for real)
#   FAKE_NO_SERIAL_DIR=1  "Unable to find serial 'by-path' folder"
#   FAKE_FLASH_DELAY    seconds per progress step (slow mode)
#   FAKE_FLASH_LOG      file to append the argv line to
#   FAKE_FLASH_AFTER    a shell command run after a success, with the device as $1
#                       (a board "coming back" after its reboot)
# Success output is made from dfu-util 0.11's messages: no capture of a real
# successful flash exists in tests/fixtures.
import optparse
import os
import subprocess
import sys
import time


class error(Exception):
	pass


DFU_BANNER = """
dfu-util 0.11

Copyright 2005-2009 Weston Schmidt, Harald Welte and OpenMoko Inc.
Copyright 2010-2021 Tormod Volden and Stefan Schmidt
This program is Free Software and has ABSOLUTELY NO WARRANTY
Please report bugs to http://sourceforge.net/p/dfu-util/tickets/

dfu-util: Warning: Invalid DFU suffix signature
dfu-util: A valid DFU suffix will be required in a future dfu-util release
"""

STM32F4_HELP = """
Failed to flash to %s: %s

If the device is already in bootloader mode it can be flashed with the
following command:
  make flash FLASH_DEVICE=0483:df11
  OR
  make flash FLASH_DEVICE=1209:beba

If attempting to flash via 3.3V serial, then use:
  make serialflash FLASH_DEVICE=%s

"""

RP2040_HELP = """
Failed to flash to %s: %s

If the device is already in bootloader mode it can be flashed with the
following command:
  make flash FLASH_DEVICE=2e8a:0003

Alternatively, one can flash rp2040 boards like the Pico by manually
entering bootloader mode(hold bootsel button during powerup), mount the
device as a usb drive, and copy klipper.uf2 to the device.

"""


def scenario(device):
	try:
		with open(device + ".fake") as f:
			word = f.read().split()
			if word and word[0] in ("ok", "fail"):
				return word[0]
	except OSError:
		pass
	return os.environ.get("FAKE_FLASH", "ok")


def pause():
	d = float(os.environ.get("FAKE_FLASH_DELAY") or 0)
	if d:
		time.sleep(d)


def run_sudo(sudo):
	# the real one runs the helper through sudo unless NOSUDO=1 (--no-sudo)
	if sudo and subprocess.call(["sudo", "true"]) != 0:
		raise error("Error running dfu-util")


def dfu(flags, binfile, sudo, ok):
	args = ["dfu-util"] + flags + ["-D", binfile]
	if sudo:
		args.insert(0, "sudo")
	sys.stderr.write(" ".join(args) + "\n\n")
	sys.stderr.flush()
	run_sudo(sudo)
	sys.stdout.write(DFU_BANNER)
	if not ok:
		sys.stdout.write("dfu-util: No DFU capable USB device available\n")
		sys.stdout.flush()
		raise error("Error running dfu-util")
	size = os.path.getsize(binfile)
	sys.stdout.write("Opening DFU capable USB device...\nDevice ID 0483:df11\n"
			 "Downloading element to address = 0x08020000, size = %d\n" % size)
	for pct in (0, 24, 48, 72, 100):
		sys.stdout.write("\rDownload\t[%-25s] %3d%% %12d bytes" % ("=" * (pct // 4), pct, size * pct // 100))
		sys.stdout.flush()
		pause()
	sys.stdout.write("\nDownload done.\nFile downloaded successfully\n"
			 "Submitting leave request...\nTransitioning to dfuMANIFEST state\n")
	sys.stdout.flush()


def picoboot(binfile, sudo, ok):
	args = ["lib/rp2040_flash/rp2040_flash", binfile]
	if sudo:
		args.insert(0, "sudo")
	sys.stderr.write(" ".join(args) + "\n\n")
	sys.stderr.flush()
	run_sudo(sudo)
	pages = (os.path.getsize(binfile) + 255) // 256 if binfile.endswith(".uf2") else 0
	print("Loaded UF2 image with %d pages" % pages)
	if not ok:
		print("No rp2040 in BOOTSEL mode was found")
		return  # exit 0: the real rp2040_flash does that too
	pause()
	print("Found rp2040 device on USB bus 1 address 7")
	print("Flashing...")
	print("Resetting interface")
	print("Locking rp2040")


def serial_checks(device):
	if os.environ.get("FAKE_NO_SERIAL_DIR") == "1":
		raise error("Unable to find serial 'by-path' folder")
	if not os.path.exists(device):
		raise error("Unable to find tty device")
	sys.stderr.write("Entering bootloader on %s\n" % device)
	pause()
	sys.stderr.write("Device reconnect on /sys/devices/pci0000:00/0000:00:14.0/usb1/1-4\n")
	sys.stderr.flush()


def main():
	opts = optparse.OptionParser("%prog [options] -t <type> -d <device> <klipper.bin>")
	opts.add_option("-t", "--type", type="string", dest="mcutype")
	opts.add_option("-d", "--device", type="string", dest="device")
	opts.add_option("-s", "--start", type="int", dest="start")
	opts.add_option("--no-sudo", action="store_false", dest="sudo", default=True)
	options, args = opts.parse_args()
	log = os.environ.get("FAKE_FLASH_LOG")
	if log:
		with open(log, "a") as f:
			f.write("flash_usb.py %s\n" % " ".join(sys.argv[1:]))
	if len(args) != 1:
		opts.error("Incorrect number of arguments")
	if not options.device:
		sys.stderr.write("\nPlease specify FLASH_DEVICE\n\n")
		sys.exit(-1)
	dev, binfile = options.device, args[0]
	rp = options.mcutype.startswith("rp2040")
	usb_id = len(dev) == 9 and dev[4] == ":"
	ok = scenario(dev) == "ok"
	try:
		if not usb_id:
			serial_checks(dev)
		if rp:
			picoboot(binfile, options.sudo, ok)
		else:
			flags = ["-d", "," + dev] if usb_id else ["-p", "1-4"]
			start = "0x%x:leave" % (options.start or 0x8000000)
			dfu(flags + ["-R", "-a", "0", "-s", start], binfile, options.sudo, ok)
	except error as e:
		sys.stderr.write((RP2040_HELP % (dev, e)) if rp else (STM32F4_HELP % (dev, e, dev)))
		sys.exit(-1)
	after = os.environ.get("FAKE_FLASH_AFTER")
	if after and ok:
		subprocess.call(["sh", "-c", after, "flash_usb.py", dev])


if __name__ == "__main__":
	main()
