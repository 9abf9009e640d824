#!/usr/bin/env python3
# tests/helper/app-pty.py - a board's application on a pty, for the test
# after flashing: the cases ../shared/sim/esp_rom_sim.py --app-output cannot
# produce (a line split across reads, garbage bytes, a fail line before the
# pass line, a port that vanishes mid-test, a board answering `send`).
#
#   app-pty.py LINK STEP...
#
# Opens a pty, points LINK at its slave (a stale LINK is replaced) and closes
# the slave, prints the slave path, then waits until a host opens the port
# (the master stops reading as hung up) and plays the steps in order:
#   w:TEXT     write TEXT (Python escapes: \r\n, \x1b, \xff...)
#   ms:N       wait N milliseconds (the pty delivers what was written so far)
#   expect:T   wait (at most 10 s) until the host wrote T; its bytes go to stderr
#   close      remove LINK and close the master: the port vanishes
# After the last step it keeps the port until the host closes it (at most
# 30 s), echoing nothing. Exit 0; 3 when an expect timed out.
import os
import pty
import select
import sys
import time


def wait_open(master, limit=60.0):
	"""Until a host opens the slave: POLLHUP on the master clears."""
	p = select.poll()
	p.register(master, select.POLLIN | select.POLLHUP)
	end = time.monotonic() + limit
	while time.monotonic() < end:
		ev = p.poll(20)
		if not ev or not ev[0][1] & select.POLLHUP:
			return True
		time.sleep(0.02)  # a hung-up master polls ready at once
	return False


def expect(master, text, limit=10.0):
	got = b""
	end = time.monotonic() + limit
	while text.encode() not in got:
		left = end - time.monotonic()
		if left <= 0:
			return False
		r, _, _ = select.select([master], [], [], left)
		if r:
			try:
				got += os.read(master, 4096)
			except OSError:
				time.sleep(0.02)
	sys.stderr.write("host wrote: %r\n" % got)
	return True


def main():
	if len(sys.argv) < 2:
		sys.stderr.write("usage: app-pty.py LINK STEP...\n")
		return 2
	link = sys.argv[1]
	master, slave = pty.openpty()
	name = os.ttyname(slave)
	os.close(slave)
	tmp = link + ".new"
	if os.path.lexists(tmp):
		os.unlink(tmp)
	os.symlink(name, tmp)
	os.replace(tmp, link)
	print(name, flush=True)
	if not wait_open(master):
		return 1
	for step in sys.argv[2:]:
		kind, _, arg = step.partition(":")
		if kind == "w":
			os.write(master, arg.encode().decode("unicode_escape").encode("latin-1"))
		elif kind == "ms":
			time.sleep(int(arg) / 1000.0)
		elif kind == "expect":
			if not expect(master, arg.encode().decode("unicode_escape")):
				return 3
		elif kind == "close":
			os.unlink(link)
			os.close(master)
			return 0
	wait_closed = time.monotonic() + 30
	while time.monotonic() < wait_closed:
		try:
			os.read(master, 4096)
		except BlockingIOError:
			pass
		except OSError:
			break  # EIO: the host closed the port
		time.sleep(0.05)
	return 0


if __name__ == "__main__":
	sys.exit(main())
