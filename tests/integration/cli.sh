#!/bin/sh
# Command line basics: --version, --help, unknown options and commands.
. "$srcdir/tests/lib.sh"

out=$("$FLASHBAY" --version)
is "$?" 0 "--version exits 0"
like "$out" "^flashbay [0-9]+\.[0-9]+" "--version prints the version"

out=$("$FLASHBAY" --help)
is "$?" 0 "--help exits 0"
like "$out" "^Usage: flashbay" "--help shows usage"
like "$out" "--config FILE" "--help lists the global options"

out=$("$FLASHBAY" --frobnicate 2>&1)
is "$?" 2 "unknown option: exit 2"
like "$out" "unknown option '--frobnicate'" "unknown option named"
like "$out" "Try 'flashbay --help'" "hint given"
is "$(printf '%s\n' "$out" | wc -l)" 2 "one-line error plus hint"

out=$("$FLASHBAY" frobnicate 2>&1)
is "$?" 2 "unknown command: exit 2"
like "$out" "unknown command 'frobnicate'" "unknown command named"

out=$("$FLASHBAY" --config 2>&1)
is "$?" 2 "option without its value: exit 2"

# each command's help: its own options, a pointer to the global ones, 80 columns
out=$("$FLASHBAY" flash --help)
is "$?" 0 "flash --help exits 0"
for o in --port --slot --all --firmware --image --flash-args --baud --json; do
	like "$out" "^  $o " "flash --help describes $o"
done
like "$out" "see 'flashbay --help'" "flash --help points to flashbay --help for the global options"
unlike "$out" "--db FILE|--sysfs-root" "... instead of repeating them"
for o in --firmware --image --flash-args --baud --count --json; do
	like "$("$FLASHBAY" monitor --help)" "^  $o " "monitor --help describes $o"
done
like "$("$FLASHBAY" tui --help)" "^  --monitor " "tui --help describes --monitor"
wide=""
for c in "" list tui flash monitor stats history export board; do
	# shellcheck disable=SC2086
	w=$("$FLASHBAY" $c --help | awk -v c="$c" 'length > 80 { print c ": " $0 }')
	wide="$wide$w"
done
is "$wide" "" "every help line fits 80 columns"
if command -v man >/dev/null 2>&1 && man -l "$srcdir/man/flashbay.1" >/dev/null 2>&1; then
	for m in flashbay.1 flashbay.conf.5; do
		is "$(MANWIDTH=80 man -l "$srcdir/man/$m" 2>/dev/null | "${PYTHON3:-python3}" -c '
import sys
for line in sys.stdin:
    if len(line.rstrip("\n")) > 80:
        print(line, end="")')" "" "$m fits 80 columns"
	done
fi
unlike "$(grep -ho '"[^"]*"' "$srcdir"/src/*.c)" '[a-z]\(s\)' "no 'board(s)'-style plurals in the messages"

# the sample configuration says what the program does: as shipped it loads,
# and with every key uncommented (each at the default it shows) it still
# loads, without an error or an unknown key
mkdir -p "$T/sample/class/tty"
sample() {
	"$FLASHBAY" --config "$1" --db "$T/sample/h.db" --no-udev --sysfs-root "$T/sample" \
		--dev-root "$T/sample" list > /dev/null 2> "$T/sample/err"
}
sample "$srcdir/etc/flashbay.conf"
is "$?:$(cat "$T/sample/err")" "0:" "the sample configuration as shipped loads"
sed -E 's/^;([a-z0-9_.-]+ *=)/\1/' "$srcdir/etc/flashbay.conf" > "$T/sample/all.conf"
n=$(grep -cE '^[a-z0-9_.-]+ *=' "$T/sample/all.conf")
[ "$n" -ge 60 ]
ok $? "the sample configuration shows its keys ($n)"
sample "$T/sample/all.conf"
is "$?:$(cat "$T/sample/err")" "0:" "... every one of them, uncommented at the default it shows, loads too"

done_testing
