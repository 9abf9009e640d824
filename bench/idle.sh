#!/bin/sh
# Idle cost of the event loop: wake-ups per second and RSS while the loop
# supervises one child that prints nothing (pipes, signalfd and SIGCHLD all
# registered, no timer armed).
. "$S/bench/lib.sh"

"$B/tests/helper/test-runner" -- sleep 100000 > "$B/bench-idle.out" &
pid=$!
bench_wait 5 grep -q '^pid' "$B/bench-idle.out"
sleep 0.2
w=$(wakeups_per_s "$pid" "$BENCH_SECONDS")
rss=$(rss_kib "$pid")
kill -TERM "$pid"
wait "$pid" 2>/dev/null
figure "loop idle wake-ups" "$w /s" "0 /s" "voluntary context switches of the loop process over ${BENCH_SECONDS} s (/proc/PID/status), one idle child"
figure "loop idle RSS" "$(mib "$rss")" "few MiB" "VmRSS of the same process"
