#!/bin/sh
# A port by any of its names, and attempts that never reached a board, with
# the real flashbay and the fake esptool on ptys: `history --port` finds an
# attempt by the path given, the device it resolves to (pts/N), a link of a
# symlink chain, or the short name; the table shows the device short; an
# empty table says so; --mac is validated. A port_busy attempt is "not
# started": no failure, and its board's first attempt is the next one.
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/flash-lib.sh"
PY=${PYTHON3:-python3}
make_ports 2
dev=$(readlink "$T/ports/ttyUSB0")
short=${dev#/dev/}
# a chain of links to the pty, as by-id -> by-path -> the port
mkdir -p "$T/links"
ln -s "$T/ports/ttyUSB0" "$T/links/by-path-0"
ln -s "$T/links/by-path-0" "$T/links/usb-Board_A-if00"

FAKE_ESPTOOL_BEHAVIOUR=port_busy fb flash --port "$T/links/usb-Board_A-if00" >/dev/null 2>&1
is "$?" 1 "a busy port: the flash fails"
fb flash --port "$T/links/usb-Board_A-if00" >/dev/null 2>&1
is "$?" 0 "then it passes"
j=$(fb history --json --limit 0)
is "$(printf '%s\n' "$j" | "$PY" -c 'import json, sys; d = json.load(sys.stdin); print([(r["failure_class"], r["reached"], r["device"]) for r in d])')" \
	"[(None, True, '$dev'), ('port_busy', False, '$dev')]" \
	"the device (realpath) is stored; port_busy never reached the board"

s=$(fb stats --json)
is "$(printf '%s\n' "$s" | "$PY" -c 'import json, sys; d = json.load(sys.stdin); print(d["failed"], d["not_started"], d["not_started_by_class"], d["boards"], d["first_pass_yield"])')" \
	"0 1 {'port_busy': 1} 1 1" "port_busy is not started, not a failure, and does not lower the first-pass yield"
like "$(fb stats)" "Attempts: +2 \(ok 1, failed 0, cancelled 0, not started 1, running 0\)" \
	"text: not started apart"
like "$(fb stats)" "Not started \(never reached a board\), by class:
  port_busy +1" "text: never-started attempts by class"

ids() { fb history "$@" | awk 'NR > 1 && $1 ~ /^[0-9]+$/ { print $1 }' | tr '\n' ' '; }
is "$(ids --port "$T/links/usb-Board_A-if00")" "2 1 " "--port: the path given"
is "$(ids --port "$dev")" "2 1 " "--port: the device it resolves to"
is "$(ids --port "$short")" "2 1 " "--port: the device without /dev/ ($short)"
is "$(ids --port "$T/links/by-path-0")" "2 1 " "--port: another link of the chain"
is "$(ids --port "$T/ports/ttyUSB0")" "2 1 " "--port: the port's own link"
is "$(ids --port "$T/ports/ttyUSB1")" "" "--port: another port finds nothing"
is "$(fb history --port "$T/ports/ttyUSB1" | sed -n '2,$p')" "no attempts match" "... and says so"
like "$(fb history --limit 1 | sed -n 2p)" " $short " "the table shows the port short: $short"

fb history --mac 24:0a:c4 >/dev/null 2>"$T/err"
is "$?" 2 "a bad --mac: exit 2"
like "$(cat "$T/err")" "bad --mac '24:0a:c4': give a MAC address" "... named"
mac=$(printf '%s\n' "$j" | "$PY" -c 'import json, sys; print(json.load(sys.stdin)[0]["mac"])')
is "$(ids --mac "$(printf '%s' "$mac" | tr 'a-f:' 'A-F-')")" "2 " "--mac AA-BB-...: upper case and dashes"

done_testing
