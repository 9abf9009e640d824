#!/bin/sh
# Mistakes on the command line are refused before anything runs, the same
# way in every command: a missing option value, a --port that is no serial
# port, an esptool that is missing, hangs or is not esptool (exit 2, one
# message, nothing started or recorded).
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/flash-lib.sh"
make_ports 1

# refused WANT_MESSAGE ARGS...: flashbay ARGS exits 2 with that first line
refused() {
	want=$1
	shift
	out=$("$FLASHBAY" --no-history "$@" 2>&1 </dev/null)
	rc=$?
	if [ "$rc" = 2 ] && [ "$(printf '%s\n' "$out" | head -n 1)" = "$want" ]; then
		ok 0 "$* -> exit 2, '$want'"
	else
		ok 1 "$* -> exit 2, '$want'"
		printf '#   got exit %s: %s\n' "$rc" "$out"
	fi
}

# --- a missing option value says so, in every command ---------------------
for a in "flash --port" "flash --slot" "flash --firmware" "flash --image" "flash --flash-args" \
	"flash --baud" "monitor --count" "monitor --firmware" "tui --firmware" "tui --image" \
	"history --port" "history --limit" "stats --since" "export --since"; do
	# shellcheck disable=SC2086
	refused "flashbay ${a% *}: option '${a#* }' needs a value" $a
done
refused "flashbay flash: option '--port' needs a value" flash --port --slot 1
refused "flashbay flash: option '--port' needs a value" flash --port= --all
refused "flashbay history: option '--port' needs a value" history --port --limit 2
refused "flashbay flash: option '--json' takes no value" flash --json=1 --all
refused "flashbay flash: unknown option '--bogus'" flash --bogus
refused "flashbay board flash: unknown option '-x'" board flash -x

# --- refused before anything is started or recorded ------------------------
# flash_refused WANT_STDERR COMMAND...: exit 2 with just that message
flash_refused() {
	want=$1
	shift
	"$@" > "$T/out" 2> "$T/err"
	rc=$?
	is "$rc $(cat "$T/err")" "2 $want" "refused: $want"
	is "$(cat "$T/out")" "" "... no board line, no summary"
	is "$(attempts)" 0 "... no attempt recorded"
}
attempts() {
	"$FLASHBAY" --db "$T/history.db" history --json --limit 0 |
		"${PYTHON3:-python3}" -c 'import json, sys; print(len(json.load(sys.stdin)))'
}
: > "$T/plain"
flash_refused "flashbay flash: '$T/plain' is not a serial port (a regular file)" \
	"$FLASHBAY" --config "$FBCONF" --db "$T/history.db" flash --port "$T/plain"
flash_refused "flashbay flash: '/dev/null' is not a serial port (a character device that is not a terminal)" \
	"$FLASHBAY" --config "$FBCONF" --db "$T/history.db" flash --port /dev/null
flash_refused "flashbay flash: cannot use port '$T/nope': No such file or directory" \
	"$FLASHBAY" --config "$FBCONF" --db "$T/history.db" flash --port "$T/nope"
flash_refused "flashbay flash: '$T' is not a serial port (a directory)" \
	"$FLASHBAY" --config "$FBCONF" --db "$T/history.db" flash --port "$T"
is "$(grep -c . "$T/argv.log" 2>/dev/null || echo 0)" 0 "esptool never ran for a bad port"

# an esptool that is not esptool: its output is no version
conf=$(with_conf echo.conf '[esp32]\nesptool = /bin/echo\n')
flash_refused "flashbay flash: cannot tell the version of '/bin/echo': version" \
	"$FLASHBAY" --config "$conf" --db "$T/history.db" flash --port "$T/ports/ttyUSB0"
# an esptool that never answers: said while waiting, refused after 5 s, not left running
printf '#!/bin/sh\nexec sleep 600\n' > "$T/bin/hang-esptool"
chmod +x "$T/bin/hang-esptool"
conf=$(with_conf hang.conf "[esp32]\nesptool = $T/bin/hang-esptool\n")
"$FLASHBAY" --config "$conf" --db "$T/history.db" flash --port "$T/ports/ttyUSB0" > "$T/out" 2> "$T/err"
is "$?" 2 "a hanging esptool: exit 2"
is "$(cat "$T/err")" "flashbay flash: waiting for '$T/bin/hang-esptool version' to answer...
flashbay flash: '$T/bin/hang-esptool version' did not answer within 5 s (is it esptool? set [esp32] esptool)" \
	"says it waits, then why it gives up, naming the command"
is "$(attempts)" 0 "... no attempt recorded"
wait_until 5 no_procs_matching "$T/bin/hang-esptool"
ok $? "... and the hanging esptool is not left behind"
# monitor is refused the same way, at start
"$FLASHBAY" --config "$conf" --no-udev --sysfs-root "$T/sys" --dev-root "$T/dev" \
	--db "$T/history.db" monitor > "$T/out" 2> "$T/err"
is "$?" 2 "monitor with a hanging esptool: exit 2 at start"

# a lock_dir that does not exist: refused at start, not one failure per board
conf=$(with_conf nolock.conf "[station]\nlock_dir = $T/no-such-dir\n")
flash_refused "flashbay flash: lock directory '$T/no-such-dir' ([station] lock_dir): No such file or directory" \
	"$FLASHBAY" --config "$conf" --db "$T/history.db" flash --port "$T/ports/ttyUSB0"
# --config naming a directory
flash_refused "flashbay: cannot read config file '$T/fw': Is a directory
flashbay: configuration has errors; nothing was done" \
	"$FLASHBAY" --config "$T/fw" --db "$T/history.db" flash --port "$T/ports/ttyUSB0"
# a bad offset is a bad offset, not a missing file
flash_refused "flashbay flash: '$T/fw/app.bin@zz': bad offset 'zz': not a hex number (FILE@0x10000)" \
	"$FLASHBAY" --config "$FBCONF" --db "$T/history.db" flash --port "$T/ports/ttyUSB0" --firmware "$T/fw/app.bin@zz"
# an offset off a flash sector: a warning, and the board is flashed
"$FLASHBAY" --config "$FBCONF" --no-history flash --port "$T/ports/ttyUSB0" \
	--firmware "$T/fw/app.bin@0x10800" > "$T/out" 2> "$T/err"
is "$?" 0 "an unaligned offset is flashed"
is "$(cat "$T/err")" "flashbay flash: warning: image '$T/fw/app.bin' at 0x10800 is not on a 4 KiB flash sector boundary (esptool erases the whole sector around it)" \
	"... with a warning"
# config errors: exit 2, each message at its line, in order, the lines below
# an unterminated section header still checked
conf=$(with_conf sect.conf '[esp32\nbaud = fast\n')
"$FLASHBAY" --config "$conf" --no-history flash --port "$T/ports/ttyUSB0" > "$T/out" 2> "$T/err"
is "$?" 2 "an unterminated section header: exit 2"
is "$(cat "$T/err")" "flashbay: $conf:10: section header '[esp32' has no closing ']'
flashbay: $conf:11: [esp32] baud: 'fast' is not a whole number from 300 to 12000000
flashbay: configuration has errors; nothing was done" "... an error at its line; the line below checked in its section"

# --- the summary table: 80 columns, port names sanitised, columns fixed -----
nl='
'
ln -s "$(readlink "$T/ports/ttyUSB0")" "$T/ports/a${nl}b"
FAKE_ESPTOOL_BEHAVIOUR=fail_at:50 "$FLASHBAY" --config "$FBCONF" --no-history flash \
	--port "$T/ports/a${nl}b" > "$T/out" 2> "$T/err"
is "$?" 1 "a board that stops responding: exit 1"
sed -n '/^SLOT/,$p' "$T/out" > "$T/table"
is "$(awk 'length > 80' "$T/table")" "" "no line of the table is wider than 80 columns"
is "$(head -n 1 "$T/table")" "SLOT PORT         RESULT             TIME    CHIP             MAC" "the header"
is "$(tail -n 1 "$T/table")" "1 board: 0 passed, 1 failed" "'1 board', not 'board(s)'"
is "$(wc -l < "$T/table")" 3 "one row: the port's newline did not break it"
like "$(grep '^1 ' "$T/out")" "^1    a\?b          stopped_responding [0-9.]+m?s +ESP32" "the row: the newline is a '?', the long class keeps the columns"

done_testing
