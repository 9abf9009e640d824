#!/usr/bin/env python3
# Fake scripts/buildcommands.py: writes klipper.dict (compact JSON, like the
# real one) and compile_time_request.o, and prints "Version: ...".
#   buildcommands.py -d DICT AUTOCONF OBJECT
# The version is $FAKE_KLIPPER_VERSION, else `git describe` of the tree (as
# Klipper does), else v0.13.0-730-g84104bbbd.
import json
import os
import re
import subprocess
import sys

dict_path, autoconf, obj = sys.argv[2], sys.argv[3], sys.argv[4]
conf = {}
with open(autoconf) as f:
	for line in f:
		m = re.match(r'^#define CONFIG_([A-Za-z0-9_]+) (.*)$', line.strip())
		if m:
			v = m.group(2)
			conf[m.group(1)] = v[1:-1] if v.startswith('"') else v
mcu = conf.get("MCU") or ("linux" if conf.get("MACH_LINUX") == "1" else "unknown")
version = os.environ.get("FAKE_KLIPPER_VERSION")
if not version:
	try:
		version = subprocess.run(["git", "describe", "--always", "--tags", "--long", "--dirty"],
					 capture_output=True, text=True, timeout=10).stdout.strip()
	except Exception:
		version = ""
	version = version or "v0.13.0-730-g84104bbbd"
data = {
	"app": os.environ.get("FAKE_KLIPPER_APP", "Klipper"),
	"build_versions": "gcc: (fake) 12.2.1 binutils: (fake) 2.40",
	"commands": {},
	"config": {"CLOCK_FREQ": int(conf.get("CLOCK_FREQ", "0"), 0), "MCU": mcu},
	"version": version,
}
print("Version: %s" % version)
with open(dict_path, "w") as f:
	f.write(json.dumps(data, separators=(",", ":"), sort_keys=True))
with open(obj, "w") as f:
	f.write("fake compile_time_request for %s\n" % mcu)
