#!/bin/sh
# MQTT with a login and TLS, against a real mosquitto: a password file and
# an ACL that lets a station publish only under its own name; a wrong
# password is one clear warning and flashing goes on (exit 0, the results
# wait in the outbox), the right one publishes them; TLS with a CA the test
# makes (openssl): mqtts:// with ca_file publishes, a station without the
# CA cannot connect (a warning, flashing goes on).
. "$srcdir/tests/lib.sh"
. "$srcdir/tests/integration/flash-lib.sh"
. "$srcdir/tests/integration/mqtt-lib.sh"
command -v openssl >/dev/null || skip_all "openssl is not installed"
make_ports 2
PY=${PYTHON3:-python3}

st() {
	n=$1
	shift
	"$FLASHBAY" --config "$T/$n.conf" --no-udev --sysfs-root "$T/sys" --dev-root "$T/dev" \
		--db "$T/$n.db" "$@"
}
conf() { # conf NAME LINES: station NAME with [mqtt] and LINES
	sed "s/^name = .*/name = $1/" "$T/fb.conf" > "$T/$1.conf"
	mqtt_conf "$T/$1.conf"
	printf '%s\n' "$2" >> "$T/$1.conf"
}
outbox() { "$PY" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM outbox").fetchone()[0])' "$T/$1.db"; }
seen() { [ "$(count_attempts "$T/sub-$1.out")" -ge "$2" ]; }

# --- a password file and an ACL: a station publishes under its own name only
mosquitto_passwd -c -b "$T/broker/passwd" st-a right-pw 2>/dev/null
mosquitto_passwd -b "$T/broker/passwd" watch watch-pw 2>/dev/null
cat > "$T/broker/acl" <<ACL
user watch
topic read fbt/#
pattern write fbt/%u/#
ACL
BROKER_CONF="allow_anonymous false
password_file $T/broker/passwd
acl_file $T/broker/acl"
broker_start
sub_start auth -u watch -P watch-pw -c -i fbt-watch -q 1 -t 'fbt/#'
wait_until 10 grep -q 'New client connected.*fbt-watch' "$T/broker/log"

printf 'wrong-pw\n' > "$T/pw-wrong"
chmod 600 "$T/pw-wrong"
conf st-a "username = st-a
password_file = $T/pw-wrong"
st st-a flash $(port_args 2) > "$T/out" 2> "$T/err"
is "$?" 0 "a wrong password: flashing goes on, exit 0"
like "$(tail -n 1 "$T/out")" "2 boards: 2 passed" "... both boards pass"
is "$(grep -c MQTT "$T/err")" 1 "... one warning about MQTT"
like "$(cat "$T/err")" "MQTT: broker mqtt://127.0.0.1:$MQTT_PORT: the broker refused the connection: Connection Refused: not authorised" \
	"... saying the broker refused the login"
is "$(outbox st-a)" 2 "... the two results wait in the outbox"

printf 'right-pw\n' > "$T/pw-right"
chmod 600 "$T/pw-right"
conf st-a "username = st-a
password_file = $T/pw-right"
st st-a flash --port "$T/ports/ttyUSB0" > /dev/null 2> "$T/err"
is "$?" 0 "the right password: exit 0"
is "$(grep -c MQTT "$T/err")" 0 "... no warning"
check "... the three attempts arrive (two from the outbox)" wait_until 10 seen auth 3
is "$(outbox st-a)" 0 "... the outbox is empty"

# st-a's login publishing as station st-b: the ACL drops it
conf st-b "username = st-a
password_file = $T/pw-right"
st st-b flash --port "$T/ports/ttyUSB1" > /dev/null 2>&1
is "$?" 0 "a station publishing under another station's name: exit 0"
mosquitto_pub -h 127.0.0.1 -p "$MQTT_PORT" -u st-a -P right-pw -t fbt/st-a/marker -m end -q 1
wait_until 10 grep -q '^fbt/st-a/marker end' "$T/sub-auth.out"
is "$(grep -c '^fbt/st-b/' "$T/sub-auth.out")" 0 "... the ACL let nothing of it through"
broker_stop
sub_stop auth

# --- TLS with a CA of the test's own
cd "$T/broker" || exit 1
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=fbt-ca -keyout ca.key -out ca.crt 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\n' > san.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
	-extfile san.ext -out server.crt 2>/dev/null
cd - >/dev/null || exit 1
ok "$([ -s "$T/broker/server.crt" ]; echo $?)" "openssl made a CA and the broker's certificate"
BROKER_CONF="cafile $T/broker/ca.crt
certfile $T/broker/server.crt
keyfile $T/broker/server.key"
broker_start
sub_start tls --cafile "$T/broker/ca.crt" -c -i fbt-tls -q 1 -t 'fbt/#'
wait_until 10 grep -q 'New client connected.*fbt-tls' "$T/broker/log"
conf st-t "ca_file = $T/broker/ca.crt"
sed -i "s|^broker = mqtt://|broker = mqtts://|" "$T/st-t.conf"
st st-t flash $(port_args 2) > /dev/null 2> "$T/err"
is "$?" 0 "TLS: mqtts:// with ca_file, exit 0"
is "$(grep -c MQTT "$T/err")" 0 "... no warning"
check "... both attempts arrive over TLS" wait_until 10 seen tls 2
is "$(outbox st-t)" 0 "... acknowledged"
conf st-u "ca_file = /etc/ssl/certs/ca-certificates.crt"
sed -i "s|^broker = mqtt://|broker = mqtts://|" "$T/st-u.conf"
if [ -r /etc/ssl/certs/ca-certificates.crt ]; then
	st st-u flash --port "$T/ports/ttyUSB0" > /dev/null 2> "$T/err"
	is "$?" 0 "TLS with a CA that did not sign the broker: flashing goes on"
	like "$(cat "$T/err")" "MQTT: broker mqtts://127.0.0.1:$MQTT_PORT: TLS handshake failed \(is ca_file the CA" \
		"... a warning saying the TLS handshake failed"
	is "$(outbox st-u)" 1 "... the result waits in the outbox"
fi
done_testing
