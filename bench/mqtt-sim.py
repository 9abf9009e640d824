#!/usr/bin/env python3
"""mqtt-sim.py - N simulated stations publishing to an MQTT broker, for
bench/mqtt.sh: each station sends its retained status once a second and an
attempt every PERIOD seconds (QoS 0, plain MQTT 3.1.1 over one TCP
connection each; no library needed).

    mqtt-sim.py HOST PORT TOPIC N SECONDS [PERIOD]

Prints "sent=M" (messages) at the end."""
import json, random, socket, struct, sys, time


def enc_str(s):
    b = s.encode()
    return struct.pack("!H", len(b)) + b


def packet(kind, body):
    n, rem = len(body), b""
    while True:
        d, n = n % 128, n // 128
        rem += bytes([d | (128 if n else 0)])
        if not n:
            break
    return bytes([kind]) + rem + body


def connect(host, port, cid):
    s = socket.create_connection((host, port))
    s.sendall(packet(0x10, enc_str("MQTT") + bytes([4, 2]) + struct.pack("!H", 60) + enc_str(cid)))
    if s.recv(4)[:1] != b"\x20":
        sys.exit("no CONNACK")
    return s


def publish(s, topic, payload, retain=False):
    s.sendall(packet(0x30 | (1 if retain else 0), enc_str(topic) + payload.encode()))


def status(name, i, t):
    slots = [{"slot": k + 1, "state": random.choice(["running", "pass", "idle"]), "port": "/dev/ttyUSB%d" % k,
              "phase": "flash", "percent": random.randrange(100), "chip": "ESP32-D0WD-V3", "mac": None}
             for k in range(8)]
    return json.dumps({"station": name, "status": "online", "time": t, "mode": "monitor",
                       "firmware": {"sha256": "ab" * 32, "images": "boot.bin@0x1000 app.bin@0x10000", "size": 1 << 20},
                       "counters": {"attempts": i, "ok": i - i // 10, "failed": i // 10, "cancelled": 0,
                                    "not_started": 0, "boards": i, "first_pass_yield": 0.9, "units_per_hour": 120.0},
                       "waiting": 0, "busy": 4, "slots": slots, "last": None})


def attempt(name, i, t):
    ok = random.random() > 0.1
    return json.dumps({"id": i, "period": 1, "started_at": t, "finished_at": t, "station": name, "slot": 1 + i % 8,
                       "outcome": "ok" if ok else "failed", "failure_class": None if ok else "no_sync",
                       "message": "wrote 1048576 bytes" if ok else "no sync", "mac": "24:0a:c4:00:00:%02x" % (i % 256),
                       "duration_ms": 11700, "attempt_id": i})


def main():
    host, port, topic, n, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
    period = float(sys.argv[6]) if len(sys.argv) > 6 else 2.0
    socks = [connect(host, port, "sim-%d" % k) for k in range(n)]
    start, sent, i, nxt = time.time(), 0, 0, 0.0
    while time.time() - start < secs:
        t = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        i += 1
        for k, s in enumerate(socks):
            name = "sim-%02d" % k
            publish(s, "%s/%s/status" % (topic, name), status(name, i, t), retain=True)
            sent += 1
            if i % max(1, int(period)) == 0:
                publish(s, "%s/%s/attempts" % (topic, name), attempt(name, i, t))
                sent += 1
        nxt += 1.0
        time.sleep(max(0.0, start + nxt - time.time()))
    for s in socks:
        s.sendall(packet(0xE0, b""))
        s.close()
    print("sent=%d" % sent)


main()
