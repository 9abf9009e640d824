#!/bin/sh
# `flashbay list` on umockdev test beds (the real binary, the udev backend):
# every field in --json, the table, hostile descriptor strings, duplicate
# by-id names, [slots] pins, allow/deny and [kinds], and no boards at all.
. "$srcdir/tests/lib.sh"
command -v umockdev-run >/dev/null 2>&1 || skip_all "umockdev-run not installed (package umockdev)"
PY=${PYTHON3:-python3}
U="$srcdir/tests/umockdev"

# run flashbay under a test bed made of the given device files
mock() { # FILE... -- ARGS...
	set -- "$@"
	files=""
	while [ "$1" != "--" ]; do files="$files -d $U/$1.umockdev"; shift; done
	shift
	# shellcheck disable=SC2086
	umockdev-run $files -- "$FLASHBAY" "$@"
}

# python3 checks on a JSON document in $T/out.json: exits non-zero with a message on failure
pycheck() {
	"$PY" - "$T/out.json" "$@" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
exec(sys.argv[2])
EOF
}

# --- enumeration: five kinds of boards, every field -------------------------------
mock boards -- list --json >"$T/out.json" 2>"$T/err"
is "$?" 0 "list --json exits 0"
is "$(cat "$T/err")" "" "nothing on stderr"
like "$(mock boards -- -v list 2>&1 >/dev/null)" "finding devices with udev" \
	"the udev backend is used under the umockdev preload"
pycheck '
want = [
 dict(slot=1, port="/dev/ttyUSB0", kind="esp32", vid="10c4", pid="ea60", manufacturer="Silicon Labs",
      product="CP2102 USB to UART Bridge Controller", serial="0001", driver="cp210x",
      by_id="/dev/serial/by-id/usb-Silicon_Labs_CP2102_USB_to_UART_Bridge_Controller_0001-if00-port0",
      by_path="/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0-port0", id_path="pci-0000:00:14.0-usb-0:1:1.0"),
 dict(slot=2, port="/dev/ttyUSB1", kind="esp32", vid="1a86", pid="7523", manufacturer=None,
      product="USB Serial", serial=None, driver="ch341",
      by_id="/dev/serial/by-id/usb-1a86_USB_Serial-if00-port0",
      by_path="/dev/serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0", id_path="pci-0000:00:14.0-usb-0:2:1.0"),
 dict(slot=3, port="/dev/ttyACM0", kind="esp32-usb", vid="303a", pid="1001", manufacturer="Espressif",
      product="USB JTAG/serial debug unit", serial="F4:12:FA:4B:2C:10", driver="cdc_acm",
      by_id="/dev/serial/by-id/usb-Espressif_USB_JTAG_serial_debug_unit_F4:12:FA:4B:2C:10-if00",
      by_path="/dev/serial/by-path/pci-0000:00:14.0-usb-0:3:1.0", id_path="pci-0000:00:14.0-usb-0:3:1.0"),
 dict(slot=4, port="/dev/ttyACM1", kind="klipper", vid="1d50", pid="614e", manufacturer="Klipper",
      product="stm32h723xx", serial="29001A001151313531383332", driver="cdc_acm",
      by_id="/dev/serial/by-id/usb-Klipper_stm32h723xx_29001A001151313531383332-if00",
      by_path="/dev/serial/by-path/pci-0000:00:14.0-usb-0:4:1.0", id_path="pci-0000:00:14.0-usb-0:4:1.0"),
 dict(slot=5, port="/dev/ttyACM2", kind="katapult", vid="1d50", pid="6177", manufacturer="katapult",
      product="stm32f446xx", serial="4A0036000F51313133353932", driver="cdc_acm",
      by_id="/dev/serial/by-id/usb-katapult_stm32f446xx_4A0036000F51313133353932-if00",
      by_path="/dev/serial/by-path/pci-0000:00:14.0-usb-0:5:1.0", id_path="pci-0000:00:14.0-usb-0:5:1.0"),
]
assert len(doc) == 5, doc
for w, d in zip(want, doc):
    for k, v in w.items():
        assert d[k] == v, (w["port"], k, d[k], v)
    assert d["interface"] == 0 and d["duplicate_by_id"] is False and d["slot_label"] is None, d
    assert type(d["slot"]) is int
'
ok $? "--json: five boards with correct kinds and every field (python3 json)"

out=$(COLUMNS=200 mock boards -- list)
is "$?" 0 "list exits 0"
like "$out" "^SLOT +PORT +KIND +VID:PID +PRODUCT +SERIAL +BY-ID$" "table header"
like "$out" "^1 +/dev/ttyUSB0 +esp32 +10c4:ea60 +CP2102 USB to UART Bridge Controller +0001 +Silicon_Labs_CP2102_USB_to_UART_Bridge_Controller_0001-if00-port0$" \
	"row for the CP2102 (by-id without 'usb-')"
like "$out" "^2 +/dev/ttyUSB1 +esp32 +1a86:7523 +USB Serial +- +1a86_USB_Serial-if00-port0$" \
	"CH340: no serial shown as '-'"
like "$out" "^3 +/dev/ttyACM0 +esp32-usb +303a:1001 +USB JTAG/serial debug unit +F4:12:FA:4B:2C:10 " \
	"row for the ESP32-S3"
like "$out" "^4 +/dev/ttyACM1 +klipper +1d50:614e +stm32h723xx +29001A001151313531383332 " \
	"row for the Klipper board"
like "$out" "^5 +/dev/ttyACM2 +katapult +1d50:6177 +stm32f446xx " "row for the Katapult board"

# not a terminal and no $COLUMNS: 80 columns
out=$(mock boards -- list)
printf '%s\n' "$out" | "$PY" -c 'import sys; sys.exit(max(len(l.rstrip("\n")) for l in sys.stdin) > 80)'
ok $? "fits in 80 columns"
like "$out" "^1 +/dev/ttyUSB0 +esp32 +10c4:ea60 " "... with the short columns whole"
like "$out" "Silicon_.*….*-port0$" "long by-id names shortened in the middle"
out=$(LC_ALL=C mock boards -- list)
unlike "$out" "$(printf '[\200-\377]')" "ASCII-only output when the locale is not UTF-8"
like "$out" "Silicon.*\.\.\..*-port0$" "... with '...' as the ellipsis"

# --all: non-USB ports with hardware, never placeholders or consoles
mock boards ttyS -- list --all --json >"$T/out.json"
pycheck '
other = [(d["slot"], d["port"], d["driver"], d["vid"], d["kind"]) for d in doc if not d["usb"]]
assert other == [(6, "/dev/ttyS0", "serial", None, "unknown")], other
'
ok $? "--all adds ttyS0 (driver 'serial'), not the serial8250 placeholder ttyS1 or tty0"
mock boards ttyS -- list --json >"$T/out.json"
pycheck 'assert all(d["usb"] for d in doc) and len(doc) == 5, doc'
ok $? "without --all only USB boards"

# --- hostile descriptor strings ---------------------------------------------------
rm -f /tmp/flashbay-pwned
COLUMNS=300 mock boards hostile -- list >"$T/table" 2>&1
is "$?" 0 "hostile strings: list exits 0"
is "$(tr -d '\n' <"$T/table" | tr -d '\040-\176' | LC_ALL=C tr -d '\200-\377' | wc -c)" 0 \
	"no control characters at all in the table (no ESC, BEL, CSI)"
like "$(cat "$T/table")" '^6 +/dev/ttyACM5 +esp32-usb +303a:1001 +\$\(reboo' "the row is there, inert"
like "$(cat "$T/table")" '`id`;\?\[31mRED\?\[0m\?1m' "ESC and C1 CSI shown as '?'"
like "$(cat "$T/table")" "'x' \?\]0;pwned\?\?\[2J" "OSC title sequence and BEL inert"
mock boards hostile -- list --json >"$T/out.json"
pycheck '
d = doc[5]
assert d["product"] == "$(reboot); echo \"pwned\" \x27x\x27 \x1b]0;pwned\x07\x1b[2J", repr(d["product"])
assert d["serial"] == "`id`;\x1b[31mRED\x1b[0m\x9b1m", repr(d["serial"])
assert d["manufacturer"] == "Evil \"Corp\" $(touch /tmp/flashbay-pwned)", repr(d["manufacturer"])
'
ok $? "JSON parses and holds the exact original strings"
is "$(LC_ALL=C tr -d '\040-\176\n' <"$T/out.json" | wc -c)" 0 "the JSON itself is plain ASCII (escaped)"
[ ! -e /tmp/flashbay-pwned ]
ok $? "nothing was executed"

# --- duplicate by-id names ----------------------------------------------------------
out=$(COLUMNS=200 mock boards ch340-port7 -- list 2>"$T/err")
like "$out" "^2 .*\*1a86_USB_Serial-if00-port0$" "first CH340 marked as duplicate"
like "$out" "^6 +/dev/ttyUSB3 .*\*1a86_USB_Serial-if00-port0$" "second CH340 marked, its own slot"
like "$out" "^\* by-id name shared by several boards" "a footnote explains the mark"
like "$(cat "$T/err")" "warning: 2 boards share the by-id name 'usb-1a86_USB_Serial-if00-port0'" \
	"and a warning on stderr"
mock boards ch340-port7 -- list --json >"$T/out.json" 2>/dev/null
pycheck '
dups = sorted((d["slot"], d["port"]) for d in doc if d["duplicate_by_id"])
assert dups == [(2, "/dev/ttyUSB1"), (6, "/dev/ttyUSB3")], dups
'
ok $? "--json: duplicate_by_id on both, distinct slots by port"

# --- [slots] pins -------------------------------------------------------------------
cat >"$T/slots.conf" <<'EOF'
[slots]
bench-A = pci-0000:00:14.0-usb-0:4:1.0
bench-B = /dev/serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0
bench-C = pci-0000:00:14.0-usb-0:9:1.0
EOF
mock boards -- --config "$T/slots.conf" list --json >"$T/out.json"
pycheck '
got = [(d["slot"], d["slot_label"], d["port"]) for d in doc]
assert got == [(1, "bench-A", "/dev/ttyACM1"), (2, "bench-B", "/dev/ttyUSB1"),
               (4, None, "/dev/ttyUSB0"), (5, None, "/dev/ttyACM0"), (6, None, "/dev/ttyACM2")], got
'
ok $? "pinned slots get their numbers and labels; unpinned follow after the pins"
out=$(COLUMNS=200 mock boards -- list --config "$T/slots.conf")
like "$out" "^bench-A +/dev/ttyACM1 +klipper" "the table shows the label"

# --- allow/deny and [kinds] -----------------------------------------------------------
cat >"$T/rules.conf" <<'EOF'
[devices]
deny = 1a86:*
[kinds]
unknown = 10c4:ea60
esp32 = 1d50:*
EOF
mock boards -- --config "$T/rules.conf" list --json >"$T/out.json"
pycheck '
got = [(d["port"], d["kind"]) for d in doc]
assert got == [("/dev/ttyUSB0", "unknown"), ("/dev/ttyACM0", "esp32-usb"), ("/dev/ttyACM1", "esp32"),
               ("/dev/ttyACM2", "esp32")], got
'
ok $? "deny drops the CH340; [kinds] rules override the built-in kinds"
printf '[devices]\nallow = 303a:1001 1d50:6177\n' >"$T/allow.conf"
mock boards -- --config "$T/allow.conf" list --json >"$T/out.json"
pycheck '
assert [d["port"] for d in doc] == ["/dev/ttyACM0", "/dev/ttyACM2"], doc
'
ok $? "allow keeps only the listed ids"

# --- nothing connected --------------------------------------------------------------
out=$(umockdev-run -- "$FLASHBAY" list 2>&1)
is "$?" 0 "no boards: exit 0"
is "$out" "no USB serial boards found (check 'ls /dev/serial/by-id' and that you are in the 'dialout' group)" \
	"no boards: one line with a hint"
out=$(umockdev-run -- "$FLASHBAY" list --json)
is "$out" "[]" "no boards: --json prints []"

# --- errors -------------------------------------------------------------------------
printf '[kinds]\nesp32 = nonsense\n' >"$T/bad.conf"
out=$(mock boards -- --config "$T/bad.conf" list 2>&1)
is "$?" 2 "a bad config: exit 2"
like "$out" "bad.conf:2" "the error names file:line"
out=$(mock boards -- list --frob 2>&1)
is "$?" 2 "an unknown option: exit 2"

done_testing
