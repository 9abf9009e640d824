#!/usr/bin/env python3
# tests/helper/katapult-pty.py - start ../shared/sim/katapult_sim.py on a pty
# whose slave is LINK (a symlink, e.g. the tty node of a board in the fake
# /dev tree of klipper-flash-lib.sh).
#
#   katapult-pty.py LINK SIM.py [--flash-file F] MCU APP_START_HEX [busy]
#
# Opens a pty in raw mode, points LINK at its slave (a stale LINK is
# replaced), closes the slave (Katapult's flashtool.py refuses a tty that any
# process holds open, and so would report this launcher) and execs the
# simulator with the master inherited as --fd, so the simulator's pid is this
# process's pid. The simulator prints the slave path once it serves, and ends
# after the COMPLETE command (the board leaves its bootloader).
import os
import pty
import sys
import tty


def main():
	if len(sys.argv) < 5:
		sys.stderr.write("usage: katapult-pty.py LINK SIM.py [SIM OPTIONS] MCU APP_START_HEX [busy]\n")
		return 2
	link, sim = sys.argv[1], sys.argv[2]
	master, slave = pty.openpty()
	tty.setraw(slave)
	name = os.ttyname(slave)
	os.close(slave)
	tmp = link + ".new"
	if os.path.lexists(tmp):
		os.unlink(tmp)
	os.symlink(name, tmp)
	os.replace(tmp, link)
	os.set_inheritable(master, True)
	os.execv(sys.executable, [sys.executable, sim, "--fd", str(master)] + sys.argv[3:])
	return 127


if __name__ == "__main__":
	sys.exit(main())
