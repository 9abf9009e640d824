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

done_testing
