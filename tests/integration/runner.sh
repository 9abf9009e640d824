#!/bin/sh
# The runner against real child processes: parallelism, output integrity,
# timeouts with grandchildren, signals, missing programs, cancel, no orphans.
. "$srcdir/tests/lib.sh"
H="$builddir/tests/helper/test-runner"
M="fbmark$$"   # a unique marker in every child's command line
ln -s "$(command -v sleep)" "$T/$M-sleep"
SLEEP="$T/$M-sleep"

# 32 children in parallel, stdout and stderr interleaved: no line lost or mangled
cmds=""
for i in $(seq 1 32); do
	cmds="$cmds sh -c 'i=1; while [ \$i -le 300 ]; do echo \"job$i out \$i\"; echo \"job$i err \$i\" >&2; i=\$((i+1)); done' ';;'"
done
out=$(eval "$H -j 32 --lines -- $cmds")
n=$(printf '%s\n' "$out" | grep -c '^done .* exit=0 .*out_lines=300 err_lines=300')
is "$n" 32 "32 parallel children: every one exits 0 with 300 stdout and 300 stderr lines"
bad=0
for i in 1 7 32; do
	j=$((i - 1))
	want=$(seq 1 300 | sed "s/^/$j out job$i out /")
	got=$(printf '%s\n' "$out" | grep "^$j out ")
	[ "$got" = "$want" ] || bad=1
done
ok $bad "lines of each child arrive complete and in order"
like "$out" "max_running=32" "all 32 ran at the same time"

# worker limit
out=$("$H" -j 3 -- sh -c 'sleep 0.2' ';;' sh -c 'sleep 0.2' ';;' sh -c 'sleep 0.2' ';;' \
	sh -c 'sleep 0.2' ';;' sh -c 'sleep 0.2' ';;' sh -c 'sleep 0.2' ';;' sh -c 'sleep 0.2')
like "$out" "max_running=3" "max_workers 3: never more than 3 at once"
is "$(printf '%s\n' "$out" | grep -c '^done .*exit=0')" 7 "all 7 queued jobs ran"

# per-port lock: two jobs on the same key never overlap
out=$("$H" -j 8 -- @ttyUSB0 sh -c "echo start; sleep 0.2; echo end" ';;' @ttyUSB0 sh -c "echo start; sleep 0.2; echo end" \
	';;' @ttyUSB1 sh -c "sleep 0.1" --lines)
like "$out" "max_running=2" "same lock key serialised, other key in parallel"

# a chatty child: 10 MB quickly, nothing lost
out=$("$H" -- sh -c 'yes 0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789 | head -c 10100000')
like "$out" "out_lines=100000 .*bytes=10000000" "10 MB of output: 100000 lines, every byte counted"

# timeout: SIGTERM to the group, then SIGKILL; the grandchild goes too
out=$("$H" -t 300 -g 300 -- sh -c "$SLEEP 1000 & echo \$! > '$T/gc.pid'; trap '' TERM; $SLEEP 1000; wait")
like "$out" "done 0 exit=137 signo=9 timeout=1" "hanging child past its timeout: SIGTERM ignored, SIGKILL after grace"
like "$out" 'status="timed out after 1 s"' "status says it timed out"
gc=$(cat "$T/gc.pid")
wait_until 5 sh -c "! kill -0 $gc 2>/dev/null"
ok $? "the grandchild is gone too"
wait_until 5 no_procs_matching "$M"
ok $? "no process of the job is left"

# a child killed by a signal: 128 + n
out=$("$H" -- sh -c 'kill -SEGV $$')
like "$out" "done 0 exit=139 signo=11 " "killed by SIGSEGV: status 139"
like "$out" 'status="killed by SIGSEGV"' "described as killed by SIGSEGV"

# a missing program: a clear error naming it, not exit 127
out=$("$H" -- no-such-flasher-tool --port x)
like "$out" "err=ENOENT" "missing executable reported as ENOENT"
like "$out" "cannot run 'no-such-flasher-tool': No such file or directory \(is it installed and on PATH\?\)" "message explains"
unlike "$out" "exit=127" "never a mysterious 127"

# cancel all: running ones are terminated, queued ones never start
out=$("$H" -j 2 --cancel-all-after 200 -- $SLEEP 1000 ';;' $SLEEP 1001 ';;' $SLEEP 1002 ';;' $SLEEP 1003)
is "$(printf '%s\n' "$out" | grep -c 'cancelled=1')" 2 "cancel-all: both running jobs cancelled"
is "$(printf '%s\n' "$out" | grep -c 'err=ECANCELED')" 2 "cancel-all: both queued jobs dropped"
like "$out" "exit=143 signo=15" "cancelled job died of SIGTERM"
wait_until 5 no_procs_matching "$M"
ok $? "nothing left behind after cancel-all"

# cancel one
out=$("$H" -j 2 --cancel 0@100 -- $SLEEP 1000 ';;' sh -c 'sleep 0.3; echo fine')
like "$out" "done 0 .*cancelled=1" "cancel one job"
like "$out" "done 1 exit=0 .*out_lines=1" "the other one finishes normally"

# CR splitting and ANSI stripping on a live pipe
out=$("$H" --lines -- printf 'a\rb\r\nc\033[1;31mred\033[0m\n\033[1A\033[2K\n')
is "$(printf '%s\n' "$out" | grep '^0 out' | tr '\n' '|')" "0 out a|0 out b|0 out cred|" "CR splits lines, escapes stripped"

# environment, working directory, stdin is /dev/null
out=$("$H" --lines --env FB_TEST=hello --cwd / -- sh -c 'echo "$FB_TEST"; pwd; cat; echo eof')
is "$(printf '%s\n' "$out" | grep '^0 out' | tr '\n' '|')" "0 out hello|0 out /|0 out eof|" "extra env, cwd, and stdin at EOF"

# a signal to the parent: everything cancelled and reaped, exit 130
"$H" -j 4 -- $SLEEP 1000 ';;' sh -c "$SLEEP 1001 & wait" > "$T/sig.out" &
hp=$!
wait_until 5 sh -c "grep -q '^pid' '$T/sig.out' && pgrep -f '^$SLEEP 1001' >/dev/null"
kill -TERM "$hp"
wait "$hp"
rc=$?
is "$rc" 130 "SIGTERM: helper exits 130 after reaping"
is "$(grep -c 'cancelled=1' "$T/sig.out")" 2 "both jobs recorded as cancelled"
wait_until 5 no_procs_matching "$M"
ok $? "SIGTERM leaves no child or grandchild behind"

"$H" -j 4 -- $SLEEP 1000 > "$T/hup.out" &
hp=$!
wait_until 5 sh -c "grep -q '^pid' '$T/hup.out' && pgrep -P $hp -f '$M-sleep 1000' >/dev/null"
kill -HUP "$hp"
wait "$hp"
is "$?" 130 "SIGHUP handled the same way"
wait_until 5 no_procs_matching "$M"
ok $? "SIGHUP leaves nothing behind"

done_testing
