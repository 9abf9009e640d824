#!/usr/bin/env python3
# Fake Katapult scripts/flashtool.py for flashbay's tests. Same options as the
# real one (-d DEVICE -f FIRMWARE [-b BAUD] [-r] [-s] [-v] ...); the output is
# replayed from the real transcripts in tests/fixtures/klipper/transcripts/
# (flashtool-*.txt) with this run's device, firmware, MCU and sizes put in:
# progress '#' characters one at a time without newlines, errors on stderr as
# "ERROR:root:Flash Tool Error" + traceback + "FlashError: ...".
#
# The scenario comes from a file DEVICE.fake (first word) or $FAKE_KATAPULT:
#   success (default)   flashtool-sim-stm32h723-success.txt
#   no-response         flashtool-no-response.txt
#   mcu-mismatch[=MCU]  flashtool-sim-mcu-mismatch.txt (bootloader reports MCU, default stm32f446xx)
#   port-busy           flashtool-port-busy.txt
#   no-pyserial         flashtool-no-pyserial.txt
#   not-katapult        "Device is not Katapult, exiting..." and exit 0 (from flashtool.py's
#                       _request_usb_bootloader; no capture exists)
#   stop-mid            flashtool-sim-stopped-mid-flash.txt: part of the flash bar, then
#                       "Flash write failed, flash address 0x..." raised from a failed SEND_BLOCK
#   vanish-mid          flashtool-sim-port-vanished.txt: the same after pyserial's
#                       "Error on serial read" (the port went away)
#   hang                connects, then never answers (for timeouts)
# A device that does not exist always gives flashtool-device-missing.txt, a missing
# firmware file flashtool-firmware-missing.txt, -h flashtool-help.txt. Paths,
# versions, the MCU, sizes and the verification SHA are this run's, as the real
# tool prints them (checked against the real tool and katapult_sim.py).
# Other knobs: FAKE_KATAPULT_DELAY (seconds per '#'), FAKE_KATAPULT_LOG (argv lines
# appended), FAKE_KATAPULT_AFTER (a shell command run after a success, with the
# device as $1, e.g. to make the board "come back").
import argparse
import hashlib
import json
import os
import subprocess
import sys
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.environ.get("FAKE_KATAPULT_FIXTURES") or os.path.normpath(
	os.path.join(HERE, "..", "..", "..", "fixtures", "klipper", "transcripts"))
T_DEV = "/dev/serial/by-id/usb-katapult_stm32h723xx_29001A001151313531383332-if00"
T_KDEV = "/dev/serial/by-id/usb-Klipper_stm32h723xx_29001A001151313531383332-if00"
T_FW = "/tmp/kw/serial-out/octopus-pro-h723/klipper.bin"
T_VERSION = "v0.13.0-730-g84104bbbd"
# the paths in the transcripts captured here (flashtool-sim-*-mid-flash.txt, -port-vanished.txt)
T_SIM_DEV = "/tmp/krt/dev/ttyACM1"
T_SIM_FW = "/tmp/krt/out/klipper.bin"
# where the real tool said it was, in the tracebacks
T_SCRIPTS = ("/tmp/src/katapult/scripts/flashtool.py", "/work/shared/tools/katapult/scripts/flashtool.py")


def transcript(name):
	"""(output lines, rc) of a transcript without its '#' and '$' header lines."""
	with open(os.path.join(FIXTURES, name)) as f:
		lines = f.read().split("\n")
	while lines and (lines[0].startswith("# ") or lines[0].startswith("$ ")):
		lines.pop(0)
	while lines and not lines[-1]:
		lines.pop()
	rc = int(lines.pop()[3:])
	return lines, rc


def binary_info(path):
	"""(version, MCU) from the klipper.dict compressed inside a klipper.bin, as the real tool reads it."""
	if os.path.basename(path).lower() != "klipper.bin" or not os.path.isfile(path):
		return None
	data = open(path, "rb").read()
	for i in range(len(data)):
		if data[i] != 0x78:
			continue
		try:
			d = json.loads(zlib.decompressobj().decompress(data[i:]))
		except Exception:
			continue
		if isinstance(d, dict) and d.get("app") in ("Klipper", "Kalico"):
			return d.get("version", ""), d.get("config", {}).get("MCU", "")
	return None


def delay():
	d = float(os.environ.get("FAKE_KATAPULT_DELAY") or 0)
	if d:
		time.sleep(d)


def bar(hashes, end):
	"""A progress bar as the real tool writes it: '[', then '#' one at a time."""
	sys.stdout.write("[")
	sys.stdout.flush()
	for _ in range(hashes):
		sys.stdout.write("#")
		sys.stdout.flush()
		delay()
	sys.stdout.write(end)
	sys.stdout.flush()


def emit(lines, subst, err_from_error=True):
	"""Write transcript lines: stdout until ERROR:root:, stderr after; bars char by char.
	A bar cut short by the error report ("[#####ERROR:root:...", from a 2>&1 capture)
	ends without a newline on stdout."""
	out = sys.stdout
	subst = subst + [(t, os.path.abspath(__file__)) for t in T_SCRIPTS]
	for line in lines:
		for a, b in subst:
			line = line.replace(a, b)
		cut = line.find("ERROR:root:") if err_from_error and out is sys.stdout else -1
		if cut > 0 and line.startswith("[#"):
			bar(line[:cut].count("#"), "")
			line = line[cut:]
			cut = 0
		if cut == 0:
			out.flush()
			out = sys.stderr
		if line.startswith("[#") and out is sys.stdout:
			bar(line.count("#"), "]\n")
		else:
			out.write(line + "\n")
		out.flush()


def scenario(device):
	try:
		with open(device + ".fake") as f:
			words = f.read().split()
			if words:
				return words[0]
	except OSError:
		pass
	return os.environ.get("FAKE_KATAPULT", "success")


def verify_sha(fw):
	"""The SHA-1 the real tool prints: of the image padded with 0xFF to 64-byte blocks."""
	data = open(fw, "rb").read()
	if len(data) % 64:
		data += b"\xff" * (64 - len(data) % 64)
	return hashlib.sha1(data).hexdigest().upper()


def fit_success(lines, info, mcu, fw):
	"""Put this firmware's version, MCU, sizes and SHA into the success transcript."""
	size = os.path.getsize(fw)
	out = []
	for line in lines:
		if line.startswith("Detected Klipper binary version"):
			if not info:
				continue
			line = "Detected Klipper binary version %s, MCU: %s" % info
		elif line.startswith("MCU type: "):
			line = "MCU type: " + mcu
		elif line.startswith("Write complete: "):
			line = "Write complete: %d pages" % ((size + 511) // 512)
		elif line.startswith("Verifying (block count"):
			line = "Verifying (block count = %d)..." % ((size + 63) // 64)
		elif line.startswith("Verification Complete: SHA = "):
			line = "Verification Complete: SHA = " + verify_sha(fw)
		out.append(line)
	return out


def main():
	p = argparse.ArgumentParser(description="Katapult Flash Tool")
	p.add_argument("-d", "--device")
	p.add_argument("-b", "--baud", default=250000)
	p.add_argument("-i", "--interface", default="can0")
	p.add_argument("-f", "--firmware", default="~/klipper/out/klipper.bin")
	p.add_argument("-u", "--uuid")
	p.add_argument("-q", "--query", action="store_true")
	p.add_argument("-v", "--verbose", action="store_true")
	p.add_argument("-r", "--request-bootloader", action="store_true")
	p.add_argument("-s", "--status", action="store_true")
	if "-h" in sys.argv[1:] or "--help" in sys.argv[1:]:
		emit(transcript("flashtool-help.txt")[0], [])
		return 0
	a = p.parse_args()
	log = os.environ.get("FAKE_KATAPULT_LOG")
	if log:
		with open(log, "a") as f:
			f.write("flashtool.py %s\n" % " ".join(sys.argv[1:]))
	dev, fw = a.device, os.path.expanduser(a.firmware)
	subst = [(T_DEV, dev), (T_KDEV, dev), (T_SIM_DEV, dev), (T_FW, fw), (T_SIM_FW, fw),
		 ("/nonexistent/klipper.bin", fw)]
	what = scenario(dev)
	if what == "no-pyserial":
		lines, rc = transcript("flashtool-no-pyserial.txt")
		emit(lines, subst)
		return rc
	if not os.path.isfile(fw):
		lines, rc = transcript("flashtool-firmware-missing.txt")
		emit(lines, subst)
		return rc
	if not os.path.exists(dev):
		lines, rc = transcript("flashtool-device-missing.txt")
		emit(lines, subst)
		return rc
	return run(what, dev, fw, subst)


def run(what, dev, fw, subst):
	info = binary_info(fw)
	mcu = info[1] if info and info[1] else "stm32h723xx"
	if info:
		subst = subst + [("version %s, MCU: stm32h723xx" % T_VERSION, "version %s, MCU: %s" % info)]
	if what == "port-busy":
		lines, rc = transcript("flashtool-port-busy.txt")
		holder = os.getppid()
		try:
			with open("/proc/%d/cmdline" % holder) as f:
				cmd = f.read().replace("\0", " ").strip()
		except OSError:
			cmd = "?"
		emit(lines, subst + [("Process ID: 1336", "Process ID: %d" % holder),
				     ("/root/.pyenv/versions/3.11.7/bin/python3 katasim.py stm32h723xx 0x8020000 busy", cmd)])
		return rc
	if what == "no-response":
		lines, rc = transcript("flashtool-no-response.txt")
		emit(lines, subst + [("/dev/pts/1", dev)])
		return rc
	if what.startswith("mcu-mismatch"):
		other = what.split("=", 1)[1] if "=" in what else "stm32f446xx"
		lines, rc = transcript("flashtool-sim-mcu-mismatch.txt")
		emit(lines, subst + [("stm32f446xx", other), ("MCU: stm32h723xx", "MCU: " + mcu),
				     ("Klipper Binary MCU: stm32h723xx", "Klipper Binary MCU: " + mcu)])
		return rc
	if what in ("stop-mid", "vanish-mid"):
		name = "flashtool-sim-stopped-mid-flash.txt" if what == "stop-mid" else "flashtool-sim-port-vanished.txt"
		lines, rc = transcript(name)
		lines = [l for l in lines if info or not l.startswith("Detected Klipper binary version")]
		emit(lines, subst + [("MCU type: stm32h723xx", "MCU type: " + mcu)])
		return rc
	if what == "not-katapult":
		print("Connecting to Serial Device %s, baud 250000" % dev)
		if info:
			print("Detected Klipper binary version %s, MCU: %s" % info)
		print("Detected USB device running Klipper")
		print("Requesting USB bootloader for %s..." % dev)
		sys.stdout.write("Waiting for USB Reconnect.")
		sys.stdout.flush()
		delay()
		print("..done")
		print("Detected new USB Device: 0483:df11 stmicroelectronics dfu in fs mode")
		print("Device is not Katapult, exiting...")
		print("Bootloader Request Complete")
		return 0
	lines, rc = transcript("flashtool-sim-stm32h723-success.txt")
	lines = fit_success(lines, info, mcu, fw)
	if what == "hang":
		emit(lines[:3], subst)
		while True:
			time.sleep(3600)
	emit(lines, subst)
	after = os.environ.get("FAKE_KATAPULT_AFTER")
	if after:
		subprocess.call(["sh", "-c", after, "flashtool.py", dev])
	return rc


if __name__ == "__main__":
	sys.exit(main())
