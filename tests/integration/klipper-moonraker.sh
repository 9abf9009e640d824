#!/bin/sh
# The Moonraker check: flashbay _moonraker-state against a local fake
# Moonraker (printing / standby / paused / error / unreachable / timeout),
# and the answer without libcurl.
. "$srcdir/tests/lib.sh"
command -v python3 >/dev/null || skip_all "python3 needed for the fake Moonraker"

if ! grep -q 'define HAVE_CURL 1' "$builddir/autoconf.h"; then
	out=$("$FLASHBAY" _moonraker-state http://127.0.0.1:1)
	is "$?" 3 "without libcurl: exit 3"
	like "$out" "^unavailable .*built without libcurl" "without libcurl: says the check is not available"
	done_testing
	exit
fi

python3 "$srcdir/tests/fake/moonraker.py" "$T/port" "$T/state" &
server=$!
stop_server() { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; return 0; }
on_exit stop_server
wait_until 10 test -s "$T/port"
ok $? "fake Moonraker listening"
URL="http://127.0.0.1:$(cat "$T/port")"

for st in printing paused standby complete cancelled error; do
	echo "$st" > "$T/state"
	out=$("$FLASHBAY" _moonraker-state "$URL")
	is "$?:$out" "0:state $st" "print_stats.state $st"
done
like "$(cat "$T/state.log")" "^GET /printer/objects/query\?print_stats$" "asks /printer/objects/query?print_stats"

echo printing > "$T/state"
out=$("$FLASHBAY" _moonraker-state "$URL/")
is "$out" "state printing" "a trailing slash in the URL is fine"

echo http503 > "$T/state"
out=$("$FLASHBAY" _moonraker-state "$URL")
is "$?" 1 "HTTP 503: exit 1"
like "$out" "^error Moonraker at .* answered HTTP 503: Klippy Disconnected$" "HTTP error with Moonraker's message"

echo garbage > "$T/state"
out=$("$FLASHBAY" _moonraker-state "$URL")
like "$out" "^error .*no result.status.print_stats.state" "a reply that is not Moonraker's"

echo slow > "$T/state"
start=$(date +%s)
out=$("$FLASHBAY" _moonraker-state "$URL" --timeout 300)
is "$?" 1 "no answer in time: exit 1"
like "$out" "^unreachable cannot reach Moonraker at .*(timed out|Timeout)" "timeout reported as unreachable"
ok "$([ $(($(date +%s) - start)) -le 3 ]; echo $?)" "the short timeout is honoured"

stop_server
out=$("$FLASHBAY" _moonraker-state "$URL")
is "$?" 1 "nothing listening: exit 1"
like "$out" "^unreachable cannot reach Moonraker at http://127.0.0.1:[0-9]+/printer/objects/query\?print_stats: " "unreachable, with the URL"

out=$("$FLASHBAY" _moonraker-state ftp://x)
like "$out" "^error the Moonraker URL must start with http" "only http(s)"
"$FLASHBAY" _moonraker-state 2>/dev/null
is "$?" 2 "usage error: exit 2"
unlike "$("$FLASHBAY" --help)" "_moonraker-state|_service-guard" "internal commands are not in --help"
done_testing
