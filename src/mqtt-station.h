/* mqtt-station.h - a station on the line: publishes over MQTT ([mqtt]).
 *
 * Topics under <topic>/<station name>/:
 *   attempts  each attempt as it ended (QoS [mqtt] qos, not retained): the
 *             fields of `history --json` / `export` plus "attempt_id" (its
 *             history row id at this station; station + attempt_id name it
 *             on the whole line, so a receiver drops duplicates)
 *   status    retained: "status" "online" (the last will and a clean exit:
 *             "offline"), mode, firmware, counters, each slot's state;
 *             published when something changes, at most once a second (the
 *             last state always goes out)
 * Nothing lost: an attempt goes into the history's outbox right after its
 * row is written and leaves it on the broker's PUBACK; the outbox is
 * published in order at start (left by an earlier run) and libmosquitto
 * sends again what was not acknowledged after a reconnect. A broker that is
 * down, slow or refuses the login never holds up flashing: one warning in
 * the log, and the link status (app_link_status()) says "MQTT: down (why),
 * N waiting". Without a history (--no-history) there is no outbox: only the
 * status is published.
 */
#ifndef FLASHBAY_MQTT_STATION_H
#define FLASHBAY_MQTT_STATION_H

#include <stdbool.h>
#include <stdint.h>

#include "strbuf.h"

struct loop;
struct app;
struct config;
struct mqtt_station;

/* Start publishing app's attempts and status (cfg: [mqtt] enabled, checked).
 * NULL with one line in err if the client cannot be set up. */
struct mqtt_station *mqtt_station_new(struct loop *loop, struct app *app,
				      const struct config *cfg, struct strbuf *err);
/* The run is over: give the broker up to timeout_ms to acknowledge what
 * was sent (the rest stays in the outbox), publish "offline" and disconnect.
 * Attempts that end after this (app_free() cancelling) only go to the
 * outbox. The loop runs meanwhile. */
void mqtt_station_close(struct mqtt_station *ms, unsigned timeout_ms);
/* Free (after app_free(): it must outlive the attempts). NULL is fine. */
void mqtt_station_free(struct mqtt_station *ms);

/* The last attempt that ended, for the status ("" outcome: none yet). */
struct mqtt_last {
	char outcome[16], failure_class[32], message[200];
	int slot;
	int64_t finished_ms;
};

/* The status JSON (mqtt-status.c); app NULL: just offline (the will). */
void mqtt_status_json(struct app *app, const struct config *cfg, bool online, long waiting,
		      const struct mqtt_last *last, struct strbuf *out);
/* A signature of what the status shows, to publish only on change. */
unsigned long mqtt_status_signature(struct app *app);

#endif
