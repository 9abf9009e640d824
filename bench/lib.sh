# bench/lib.sh - helpers for the figure scripts (bench/NAME.sh), which bench/run
# runs one by one with these set:
#   S            the source directory          B   the build directory
#   BENCH_TMP    a scratch directory shared by the scripts of one run (removed
#                at the end): the 1M-row history database lives there
#   PY           the real python3 interpreter (not a pyenv shim); its directory
#                $BENCH_TMP/py is first on PATH so the fake esptool starts fast
#   BENCH_SECONDS  measurement window for idle figures (default 10)
#
# A figure is one line printed by figure():
#   FIGURE<TAB>no<TAB>name<TAB>value<TAB>goal<TAB>how measured
# where no is the figure number of the issue (1..8) set with figure_no; bench/run
# sorts the table by it. Nothing here passes or fails: benches print numbers. A
# figure that cannot be measured here says why in its value ("not measured: ...").

: "${BENCH_SECONDS:=10}"
: "${B:?bench/run sets B to the build directory}"
: "${S:?bench/run sets S to the source directory}"
: "${BENCH_TMP:=$B/bench-tmp}"
: "${PY:=python3}"
FLASHBAY="$B/src/flashbay"
MEASURE="$PY $S/bench/measure.py"
SPAWN="$B/tests/helper/spawn-stats"
BENCH_FIG=${BENCH_FIG:-0}
mkdir -p "$BENCH_TMP"
# numbers with a decimal point whatever the locale; the character set stays
if [ -n "${LC_ALL:-}" ]; then
	export LANG="$LC_ALL"
	unset LC_ALL
fi
export LC_NUMERIC=C

# figure_no N: the issue's figure number of the following figure() lines
figure_no() { BENCH_FIG=$1; }
# figure NAME VALUE GOAL HOW
figure() { printf 'FIGURE\t%s\t%s\t%s\t%s\t%s\n' "$BENCH_FIG" "$1" "$2" "$3" "$4"; }

# voluntary context switches of PID so far, all its threads (each wake-up from
# poll() or a futex is one)
ctxsw() { cat /proc/"$1"/task/*/status | awk '/^voluntary_ctxt_switches/ { n += $2 } END { print n }'; }
# resident set size and its peak, in KiB
rss_kib() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
hwm_kib() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }

# wake-ups per second of PID over SECS seconds
wakeups_per_s() {
	a=$(ctxsw "$1")
	sleep "$2"
	b=$(ctxsw "$1")
	awk -v a="$a" -v b="$b" -v s="$2" 'BEGIN { printf "%.2f", (b - a) / s }'
}

# wait (polling, bounded) until CMD succeeds
bench_wait() {
	secs=$1
	shift
	i=0
	until "$@"; do
		i=$((i + 1))
		[ $i -lt $((secs * 50)) ] || return 1
		sleep 0.02
	done
}

# secs MS: seconds with two decimals from milliseconds
secs() { awk -v ms="$1" 'BEGIN { printf "%.2f", ms / 1000 }'; }
mib() { awk -v k="$1" 'BEGIN { printf "%.2f MiB", k / 1024 }'; }

# kv KEY LINE: the value of KEY=value in a line of $SPAWN or $MEASURE output
kv() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# median_ms RUNS CMD...: median wall time of CMD in ms (output discarded)
median_ms() {
	n=$1
	shift
	kv median_ms "$($MEASURE median "$n" -- "$@")"
}

# bench_dir NAME: set DIR to a fresh working directory for one script, with a
# private HOME so nothing of the user's configuration or history is touched
bench_dir() {
	DIR=$(mktemp -d "$BENCH_TMP/$1.XXXXXX")
	mkdir -p "$DIR/home/.config" "$DIR/run"
	chmod 700 "$DIR/run"
	export HOME="$DIR/home" XDG_CONFIG_HOME="$DIR/home/.config" \
		XDG_STATE_HOME="$DIR/home/.state" XDG_CACHE_HOME="$DIR/home/.cache" \
		XDG_RUNTIME_DIR="$DIR/run" FLASHBAY_SYSTEM_CONFIG=
}

# history_db N: path of a history database with N generated attempts, filled
# once per bench run and shared by the scripts; the fill's own output (rows,
# seconds, rate) is kept next to it in PATH.fill
history_db() {
	db="$BENCH_TMP/history-$1.db"
	if [ ! -s "$db.fill" ]; then
		rm -f "$db" "$db-wal" "$db-shm"
		"$B/tests/helper/test-history" "$db" fill "$1" >"$db.fill.tmp" || return 1
		mv "$db.fill.tmp" "$db.fill"
		sync # ~0.7 GB: its writeback would disturb what is measured next
	fi
	echo "$db"
}

# have_umockdev: can umockdev test beds run here (umockdev-run and our helper)?
have_umockdev() {
	command -v umockdev-run >/dev/null 2>&1 && [ -x "$B/tests/helper/umockdev-ctl" ] &&
		umockdev-run -- true >/dev/null 2>&1
}

# an image of N bytes that does not compress (a real app binary compresses
# ~2:1; incompressible keeps the fake's timed flash at the full UART time)
random_image() { head -c "$2" /dev/urandom >"$1"; }

# write_config FILE MAX_WORKERS DIR: a flashbay.conf for the fake esptool, with
# the history, logs and locks inside DIR
write_config() {
	cat >"$1" <<EOF
[station]
name = bench
max_workers = $2
database = $3/history.db
log_dir = $3/logs
lock_dir = $3/locks
[esp32]
esptool = $BENCH_TMP/esptool/esptool
baud = 921600
EOF
	mkdir -p "$3/logs" "$3/locks"
}
mkdir -p "$BENCH_TMP/esptool"
[ -e "$BENCH_TMP/esptool/esptool" ] || ln -sf "$S/tests/fake/esptool" "$BENCH_TMP/esptool/esptool"
