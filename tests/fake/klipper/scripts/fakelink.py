#!/usr/bin/env python3
# Fake linker/objcopy of flashbay's fake Klipper tree.
#   fakelink.py elf OUT OBJECT...       klipper.elf
#   fakelink.py bin ELF OUT DICT        klipper.bin: carries klipper.dict zlib-compressed,
#                                       as a real klipper.bin does (Katapult reads it)
#   fakelink.py uf2 ELF OUT DICT        klipper.uf2 (UF2 blocks)
import hashlib
import struct
import sys
import zlib

mode = sys.argv[1]
if mode == "elf":
	out = sys.argv[2]
	h = hashlib.sha256()
	for o in sys.argv[3:]:
		with open(o, "rb") as f:
			h.update(f.read())
	with open(out, "wb") as f:
		f.write(b"\x7fELF" + h.digest() * 64)
	sys.exit(0)
elf, out, dict_path = sys.argv[2:5]
with open(elf, "rb") as f:
	body = f.read()
with open(dict_path, "rb") as f:
	packed = zlib.compress(f.read())
image = body + packed
if mode == "bin":
	with open(out, "wb") as f:
		f.write(image)
else:
	blocks = [image[i:i + 256] for i in range(0, len(image), 256)]
	with open(out, "wb") as f:
		for n, b in enumerate(blocks):
			f.write(struct.pack("<IIIIIIII", 0x0A324655, 0x9E5D5157, 0x2000, 0x10000000 + 256 * n,
					    256, n, len(blocks), 0xE48BFF56))
			f.write(b.ljust(476, b"\0"))
			f.write(struct.pack("<I", 0x0AB16F30))
