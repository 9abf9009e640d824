#!/usr/bin/env python3
# Fake kconfiglib olddefconfig.py: brings KCONFIG_CONFIG up to date, printing
# what the real one prints (see olddefconfig-*.txt and the missing-config
# lines of menuconfig-klipper-exit-messages.txt).
import sys

import fakekconfig as k

path = k.config_path()
text = k.read(path)
if text is None:
	print("Using default symbol values (no '%s')" % path)
else:
	print("Loaded configuration '%s'" % path)
print(k.write(path, k.expand(text)))
sys.exit(0)
