# tests/integration/klipper-lib.sh - shared set-up of the Klipper tests.
# Source after tests/lib.sh. Puts the fake systemctl/sudo first on PATH
# (every call recorded in $CALLS), copies the fake Klipper tree to $T/klipper
# (make writes into it) and writes a flashbay.conf pointing at the fakes.

srcdir=$(cd "$srcdir" && pwd)
export PATH="$srcdir/tests/fake/bin:$PATH"
# python3 itself first on PATH: a version manager's shim (pyenv) costs 0.1 s a
# start, and the fake tree starts python a few times per build
if py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) && [ -x "$py" ]; then
	mkdir -p "$T/pybin"
	ln -sf "$py" "$T/pybin/python3"
	export PATH="$T/pybin:$PATH"
fi
export CALLS="$T/calls" FAKE_CALLS="$T/calls" FAKE_SYSTEMCTL_STATE="$T/units"
export FLASHBAY
CONF="$XDG_CONFIG_HOME/flashbay/flashbay.conf"
BOARDS="$XDG_CONFIG_HOME/flashbay/boards.ini"
CONFIGS="$XDG_CONFIG_HOME/flashbay/configs"
BUILD="$XDG_CACHE_HOME/flashbay/build"
GUARD_LOG="$XDG_STATE_HOME/flashbay/logs/service-guard.log"
FX="$srcdir/tests/fixtures/klipper"

# klipper_setup [SERVICES]: the fake tree and a config using it.
klipper_setup() {
	mkdir -p "$XDG_CONFIG_HOME/flashbay"
	rm -rf "$T/klipper"
	cp -R "$srcdir/tests/fake/klipper" "$T/klipper"
	chmod -R u+w "$T/klipper"
	cat > "$CONF" <<EOC
[klipper]
klipper_dir = $T/klipper
katapult_dir = $srcdir/tests/fake/katapult
service = ${1:-klipper}
moonraker =
EOC
	: > "$CALLS"
}

# How many lines of $CALLS are exactly $1.
calls_count() { grep -cxF -- "$1" "$CALLS" 2>/dev/null || true; }
has_call() { [ "$(calls_count "$1")" -ge 1 ]; }
