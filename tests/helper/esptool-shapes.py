#!/usr/bin/env python3
"""Does an esptool look-alike print only line shapes the real esptool prints?

    esptool-shapes.py CAPTURE OUT ERR RC

CAPTURE is a real capture's prefix (tests/fixtures/esptool/v4-write_flash:
its .stdout, .stderr and .rc); OUT, ERR and RC are what the look-alike
printed on stdout and stderr and its exit status, for the same command. Every
line is reduced to a shape (paths, MACs, hex, hashes, numbers, progress bars
and runs of dots replaced by placeholders) and each of the look-alike's shapes
on a stream must be one the real tool printed on that stream in that capture.
Prints every line that is not, and exits 1 if any (or the exit codes differ).
"""

import re
import sys

RULES = [
    (re.compile(r"https?://\S+"), "URL"),
    (re.compile(r"(?<![\w.])/[^\s'\":,)]+"), "PATH"),
    (re.compile(r"\b[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}\b"), "MAC"),
    (re.compile(r"\b[0-9a-f]{32}\b"), "MD5"),
    (re.compile(r"0x[0-9a-fA-F]+"), "HEX"),
    (re.compile(r"\[[=> ]{30}\]"), "[BAR]"),
    (re.compile(r"\d+(\.\d+)?"), "N"),
    (re.compile(r"\.{4,}"), "...."),
    (re.compile(r" {2,}"), " "),
]


def shape(line):
    for rx, placeholder in RULES:
        line = rx.sub(placeholder, line)
    return line


def lines(data):
    text = data.decode("utf-8", "replace")
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")


def read(path):
    with open(path, "rb") as f:
        return f.read()


def main():
    capture, out, err, rc = sys.argv[1:5]
    bad = 0
    for stream, got in (("stdout", out), ("stderr", err)):
        real = {shape(l) for l in lines(read("%s.%s" % (capture, stream)))}
        for n, line in enumerate(lines(read(got)), 1):
            if shape(line) not in real:
                print("%s line %d: %r (shape %r) is never printed there by the real tool"
                      % (stream, n, line, shape(line)))
                bad += 1
    want_rc = read(capture + ".rc").decode().strip()
    if want_rc != rc.strip():
        print("exit status %s, the real tool's %s" % (rc.strip(), want_rc))
        bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
