#!/usr/bin/env python3
# Fake compiler of flashbay's fake Klipper tree: fakecc.py SOURCE OBJECT AUTOCONF
#
# Knobs (environment):
#   FAKE_KLIPPER_DELAY  seconds per file (a slow build; e.g. 0.05)
#   FAKE_KLIPPER_FAIL   a part of a source path: that file fails like gcc does
#   FAKE_KLIPPER_LOG    file to append "compile OBJECT START_MS END_MS" to (parallel builds)
import hashlib
import os
import sys
import time

src, obj, autoconf = sys.argv[1:4]
start = time.time()
fail = os.environ.get("FAKE_KLIPPER_FAIL")
if fail and fail in src:
	sys.stderr.write('%s:21:10: fatal error: hardware/structs/ticks.h: No such file or directory\n'
			 '   21 | #include "hardware/structs/ticks.h" // ticks_hw\n'
			 '      |          ^~~~~~~~~~~~~~~~~~~~~~~~~~\n'
			 'compilation terminated.\n' % src)
	sys.exit(1)
delay = float(os.environ.get("FAKE_KLIPPER_DELAY") or 0)
if delay:
	time.sleep(delay)
with open(autoconf, "rb") as f:
	conf = hashlib.sha256(f.read()).hexdigest()
os.makedirs(os.path.dirname(obj) or ".", exist_ok=True)
with open(obj, "w") as f:
	f.write("fake object of %s for configuration %s\n" % (src, conf))
log = os.environ.get("FAKE_KLIPPER_LOG")
if log:
	with open(log, "a") as f:
		f.write("compile %s %d %d\n" % (obj, start * 1000, time.time() * 1000))
