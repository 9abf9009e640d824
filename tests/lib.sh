# tests/lib.sh - TAP helpers for the shell tests. Source it first.
#
#   ok COND_EXIT_STATUS "name"   e.g.  [ "$x" = 3 ]; ok $? "x is 3"
#   check "name" CMD ARGS...      runs CMD; passes if it exits 0
#   is GOT WANT "name"            string equality
#   like TEXT PATTERN "name"      grep -E on TEXT
#   wait_until SECONDS CMD...     poll CMD (every 20 ms) until it succeeds; never a blind sleep
#   done_testing                  prints the plan; exit status 1 if anything failed
#
# Tests run in the build directory; $srcdir points at the sources, $FLASHBAY
# at the built binary. Each test gets a private $T temp dir, removed on exit.

set -u
: "${srcdir:=.}" "${builddir:=.}" "${FLASHBAY:=$builddir/src/flashbay}"
export LC_ALL=C.UTF-8 TZ=UTC
tap_n=0
tap_failed=0
T=$(mktemp -d "${TMPDIR:-/tmp}/fbtest.XXXXXX")
export HOME="$T/home" XDG_CONFIG_HOME="$T/home/.config" XDG_STATE_HOME="$T/home/.local/state" \
	XDG_CACHE_HOME="$T/home/.cache" XDG_RUNTIME_DIR="$T/run" FLASHBAY_SYSTEM_CONFIG=
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
tap_cleanup_hooks=""
tap_cleanup() {
	for h in $tap_cleanup_hooks; do "$h" || true; done
	rm -rf "$T"
}
trap tap_cleanup EXIT
on_exit() { tap_cleanup_hooks="$tap_cleanup_hooks $1"; }

ok() {
	tap_n=$((tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $tap_n - $2"
	else
		echo "not ok $tap_n - $2"
		tap_failed=$((tap_failed + 1))
	fi
}

check() {
	name=$1
	shift
	"$@" >/dev/null 2>&1
	ok $? "$name"
}

is() {
	if [ "$1" = "$2" ]; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '#   got:  %s\n#   want: %s\n' "$1" "$2"
	fi
}

like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 0 "$3"
	else
		ok 1 "$3"
		printf '%s\n' "$1" | head -n 20 | sed 's/^/#   | /'
		printf '#   expected to match: %s\n' "$2"
	fi
}

unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		ok 1 "$3"
		printf '%s\n' "$1" | grep -E -- "$2" | head -n 5 | sed 's/^/#   | /'
	else
		ok 0 "$3"
	fi
}

diag() { printf '# %s\n' "$*"; }

skip_all() {
	echo "1..0 # SKIP $*"
	exit 0
}

wait_until() {
	secs=$1
	shift
	end=$(($(date +%s%N) / 1000000 + secs * 1000))
	until "$@"; do
		[ $(($(date +%s%N) / 1000000)) -lt "$end" ] || return 1
		sleep 0.02
	done
	return 0
}

# Is any process whose command line contains $1 still alive?
procs_matching() { pgrep -f -- "$1" >/dev/null 2>&1; }
no_procs_matching() { ! procs_matching "$1"; }

done_testing() {
	echo "1..$tap_n"
	[ "$tap_failed" -eq 0 ]
}
