# bench/lib.sh - helpers for the figure scripts. Figures are printed as
#   FIGURE<TAB>name<TAB>value<TAB>goal<TAB>how measured
# and collected by bench/run into a table and bench/results.json.
# Nothing here passes or fails: benches print numbers.

: "${BENCH_SECONDS:=10}"
: "${B:?bench/run sets B to the build directory}"
: "${S:?bench/run sets S to the source directory}"

figure() { printf 'FIGURE\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4"; }

# voluntary context switches of PID so far (each wake-up from poll() is one)
ctxsw() { awk '/^voluntary_ctxt_switches/ { print $2 }' "/proc/$1/status"; }
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

mib() { awk -v k="$1" 'BEGIN { printf "%.2f MiB", k / 1024 }'; }
