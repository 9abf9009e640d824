# mqtt-lib.sh - a private mosquitto broker for the MQTT tests, on 127.0.0.1
# on a free port, with its own config, log and persistence in $T/broker
# (nothing outside $T); stopped when the test ends.
#
#   MQTT_PORT             the broker's port (picked once, kept across restarts)
#   BROKER_CONF           extra lines for mosquitto.conf (set before broker_start)
#   broker_start          start it and wait until it listens
#   broker_stop           stop it (SIGTERM: it saves its state) and wait
#   sub_start NAME ARGS   mosquitto_sub -v ARGS in the background into $T/sub-NAME.out
#   sub_stop NAME
#   count_attempts FILE   distinct attempt ids ("station/id") published in FILE
#   dup_attempts FILE     how many attempt messages in FILE repeat an id
#   mqtt_conf FILE        append an [mqtt] block for the broker to FILE ($1), topic fbt

PATH="$PATH:/usr/sbin:/sbin"
command -v mosquitto >/dev/null && command -v mosquitto_sub >/dev/null ||
	skip_all "mosquitto and mosquitto-clients are not installed (apt-get install mosquitto mosquitto-clients)"

MQTT_PORT=$("${PYTHON3:-python3}" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BROKER_CONF=${BROKER_CONF:-}
broker_pid=
mkdir -p "$T/broker"

broker_start() {
	cat > "$T/broker/mosquitto.conf" <<CONF
listener $MQTT_PORT 127.0.0.1
user $(id -un)
persistence true
persistence_location $T/broker/
log_dest file $T/broker/log
log_type all
$BROKER_CONF
CONF
	grep -q '^allow_anonymous' "$T/broker/mosquitto.conf" ||
		echo 'allow_anonymous true' >> "$T/broker/mosquitto.conf"
	: > "$T/broker/log"
	mosquitto -c "$T/broker/mosquitto.conf" 2> "$T/broker/stderr" &
	broker_pid=$!
	wait_until 10 grep -q 'Opening ipv4 listen socket on port' "$T/broker/log" ||
		{ echo "Bail out! mosquitto did not start: $(cat "$T/broker/stderr" "$T/broker/log")"; exit 1; }
	wait_until 10 grep -q 'running' "$T/broker/log"
}

broker_stop() {
	[ -n "$broker_pid" ] || return 0
	kill "$broker_pid" 2>/dev/null
	wait "$broker_pid" 2>/dev/null
	broker_pid=
}
on_exit broker_stop

sub_pids=""
sub_start() {
	name=$1
	shift
	mosquitto_sub -h 127.0.0.1 -p "$MQTT_PORT" -v "$@" > "$T/sub-$name.out" 2>&1 &
	eval "sub_pid_$name=$!"
	sub_pids="$sub_pids $!"
}
sub_stop() {
	eval "kill \$sub_pid_$1" 2>/dev/null
	eval "wait \$sub_pid_$1" 2>/dev/null
}
sub_stop_all() { for p in $sub_pids; do kill "$p" 2>/dev/null; done; }
on_exit sub_stop_all

# attempt messages ("TOPIC {json}") in FILE -> "station/attempt_id" per line
attempt_ids() {
	"${PYTHON3:-python3}" - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1], errors="replace"):
    topic, _, payload = line.partition(" ")
    if topic.endswith("/attempts"):
        d = json.loads(payload)
        print("%s/%s" % (d["station"], d["attempt_id"]))
PY
}
count_attempts() { attempt_ids "$1" | sort -u | wc -l; }
dup_attempts() { echo $(($(attempt_ids "$1" | wc -l) - $(count_attempts "$1"))); }

mqtt_conf() {
	cat >> "$1" <<CONF
[mqtt]
enabled = yes
broker = mqtt://127.0.0.1:$MQTT_PORT
topic = fbt
keepalive = 10
CONF
}
