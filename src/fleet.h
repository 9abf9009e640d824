/* fleet.h - the line as the stations tell it over MQTT: each station's
 * retained status (<topic>/<station>/status) and the attempts it publishes
 * (<topic>/<station>/attempts), kept as a model the fleet views render
 * (`flashbay fleet --json`, the fleet dashboard) and, with a database, every
 * attempt stored once by (station, attempt_id).
 *
 * Payloads are untrusted: the topic's station must be [A-Za-z0-9_-] (at
 * most 64) and match the payload's "station"; JSON is parsed strictly with
 * bounds (jsonp.h); strings are kept raw and bounded - views sanitise them.
 */
#ifndef FLASHBAY_FLEET_H
#define FLASHBAY_FLEET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct history;

#define FLEET_MAX_STATIONS 256
#define FLEET_MAX_SLOTS 64
#define FLEET_FAILS 8 /* the last failures kept per station */

struct fleet_slot {
	int slot;
	char state[12];   /* empty idle queued running pass fail */
	char port[64];
	char phase[16];
	int percent;      /* -1: none */
	char chip[48], mac[24];
	char failure_class[32], message[160];
};

struct fleet_fail {
	int slot;
	char finished_at[32], failure_class[32], mac[24], message[160];
};

struct fleet_station {
	char name[65];
	bool has_status;
	bool online;
	char mode[12];              /* "monitor", "manual" */
	char firmware[96];          /* the images, e.g. "boot.bin@0x1000 app.bin@0x10000" */
	char fw_sha256[65];
	long attempts, ok, failed, boards, busy, waiting;
	double yield, units_per_hour; /* from the status counters */
	struct fleet_slot slots[FLEET_MAX_SLOTS];
	size_t nslots;
	char last_outcome[16], last_class[32], last_message[160], last_at[32];
	int last_slot;
	struct fleet_fail fails[FLEET_FAILS]; /* newest first */
	size_t nfails;
	long received;              /* attempts received (this run) */
	int64_t heard_ms;           /* wall clock of its last message */
};

struct fleet {
	char *topic;                 /* the prefix */
	struct fleet_station *st;    /* sorted by name */
	size_t n;
	struct history *db;          /* where attempts go, or NULL */
	long rejected;               /* messages refused (malformed, bad topic...) */
	long stored, duplicates;     /* attempts written / already there */
	char last_error[200];        /* why the last message was refused */
};

/* An empty fleet for topic prefix topic; db (may be NULL) is borrowed. */
void fleet_init(struct fleet *f, const char *topic, struct history *db);
void fleet_release(struct fleet *f);

/* One message. 1 if the model changed, 0 if not (a duplicate...), or
 * -EINVAL when refused (why in err and f->last_error; counted). */
int fleet_message(struct fleet *f, const char *topic, const void *payload, size_t len,
		  struct strbuf *err);

/* The line: stations' sums (units/h added up, first-pass yield over all
 * boards). */
struct fleet_totals {
	long stations, online, attempts, ok, failed, boards, busy, waiting;
	double yield, units_per_hour;
};
void fleet_totals(const struct fleet *f, struct fleet_totals *t);

/* The state as one JSON object: {"stations":[...],"totals":{...}}. */
void fleet_json(const struct fleet *f, struct strbuf *out);

/* Is name a station name a topic may carry ([A-Za-z0-9_-], 1..64)? */
bool fleet_name_ok(const char *name, size_t len);

/* (fleet-attempt.c) An attempt message for station st: remembered as its
 * last result / failure, and stored in f->db if there is one. 0, 1 (a
 * duplicate, already stored), or -EINVAL/-errno with why in err. */
struct jv;
int fleet_attempt(struct fleet *f, struct fleet_station *st, const struct jv *d,
		  struct strbuf *err);

#endif
