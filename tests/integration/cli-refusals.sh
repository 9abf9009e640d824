#!/bin/sh
# Mistakes on the command line are refused before anything runs, the same
# way in every command: a missing option value, ... (exit 2, one message).
. "$srcdir/tests/lib.sh"

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

done_testing
