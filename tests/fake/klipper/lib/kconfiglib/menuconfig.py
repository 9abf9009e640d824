#!/usr/bin/env python3
# Fake kconfiglib menuconfig.py for flashbay's tests: a small curses screen
# with the lines and exit behaviour of the real one (see
# menuconfig-klipper-exit-messages.txt, -no-tty.txt, -term-unset.txt):
#   before the UI   "Loaded configuration 'PATH'" or "Using default symbol values (no 'PATH')"
#   keys            Space/Enter toggles "Enable extra low-level configuration options";
#                   Up/Down move; q or Esc leaves; when the configuration would change a
#                   dialog asks "Save configuration?" - y saves, n discards, c or Esc goes back
#   after the UI    "Configuration saved to 'PATH'", "Configuration (PATH) was not saved"
#                   or "No changes to save (for 'PATH')"
# The exit status is 0 whatever happened; without a terminal (or TERM) curses fails
# with a traceback, as the real one does. The file is written only when saved.
import curses
import sys

import fakekconfig as k

path = k.config_path()
loaded = k.read(path)
if loaded is None:
	print("Using default symbol values (no '%s')" % path)
else:
	print("Loaded configuration '%s'" % path)
sys.stdout.flush()

state = {"text": k.expand(loaded), "row": 0}


def arch_name(v):
	if v.get("MACH_STM32") == "y":
		return "STMicroelectronics STM32"
	if v.get("MACH_RPXXXX") == "y":
		return "Raspberry Pi RP2040/RP235x"
	if v.get("MACH_LINUX") == "y":
		return "Linux process"
	return "Atmega AVR"


def draw(scr, dialog=False):
	v = k.values(state["text"])
	scr.erase()
	h, w = scr.getmaxyx()
	scr.addnstr(0, 0, "%s - Klipper Firmware Configuration" % path, w - 1)
	scr.addnstr(2, 0, "(Top)", w - 1)
	items = [
		"[%s] Enable extra low-level configuration options" % ("*" if v.get("LOW_LEVEL_OPTIONS") == "y" else " "),
		"    Micro-controller Architecture (%s)  --->" % arch_name(v),
		"    Processor model (%s)  --->" % v.get("MCU", "linux"),
	]
	for i, item in enumerate(items):
		attr = curses.A_REVERSE if i == state["row"] else curses.A_NORMAL
		scr.addnstr(4 + i, 2, item, w - 3, attr)
	scr.addnstr(h - 1, 0, "[Space/Enter] Toggle/enter  [ESC] Leave menu  [q] Quit", w - 1)
	if dialog:
		scr.addnstr(h // 2, 4, "Save configuration?", w - 5, curses.A_BOLD)
		scr.addnstr(h // 2 + 1, 4, "(Y)es  (N)o  (C)ancel", w - 5)
	scr.refresh()


def ask_save(scr):
	while True:
		draw(scr, dialog=True)
		c = scr.getch()
		if c in (ord("y"), ord("Y")):
			return True
		if c in (ord("n"), ord("N")):
			return False
		if c in (ord("c"), ord("C"), 27):
			return None


def main(scr):
	curses.curs_set(0)
	while True:
		draw(scr)
		c = scr.getch()
		if c in (ord(" "), 10, 13) and state["row"] == 0:
			on = k.values(state["text"]).get("LOW_LEVEL_OPTIONS") == "y"
			state["text"] = k.set_bool(state["text"], "LOW_LEVEL_OPTIONS", not on)
		elif c == curses.KEY_DOWN:
			state["row"] = min(state["row"] + 1, 2)
		elif c == curses.KEY_UP:
			state["row"] = max(state["row"] - 1, 0)
		elif c in (ord("q"), 27):
			if state["text"] == loaded:
				return "No changes to save (for '%s')" % path
			answer = ask_save(scr)
			if answer is None:
				continue
			if answer:
				return k.write(path, state["text"])
			return "Configuration (%s) was not saved" % path


print(curses.wrapper(main))
