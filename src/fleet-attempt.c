/* fleet-attempt.c - an attempt a station published: its last result and
 * failures for the views, and its row in the fleet's database, stored once
 * by (station, attempt_id) (fleet.h). The fields are those of `history
 * --json` (histcol_fill()), read back with the same names. */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "fleet.h"
#include "history-outbox.h"
#include "jsonp.h"

/* A text member, NULL when absent, null or not a string. */
#define STR(key) jv_str(d, key)

/* An integer member, none when absent. */
static int64_t int_or(const struct jv *d, const char *key, int64_t none)
{
	long long v;

	return jv_int(d, key, &v) ? (int64_t)v : none;
}

/* "1a86" -> 0x1a86; 0 when absent or not four hex digits. */
static uint16_t usb_id(const char *s)
{
	char *end;
	unsigned long v;

	if (!s || strlen(s) != 4)
		return 0;
	v = strtoul(s, &end, 16);
	return *end ? 0 : (uint16_t)v;
}

/* The attempt of message d (strings borrowed from d); -EINVAL with why. */
static int read_attempt(const struct jv *d, struct attempt *a, int64_t *id, struct strbuf *err)
{
	const struct jv *reached = jv_get(d, "reached");
	const char *started = STR("started_at"), *finished = STR("finished_at");

	memset(a, 0, sizeof *a);
	*id = int_or(d, "attempt_id", 0);
	if (*id <= 0 || !started || parse_iso8601(started, &a->started_ms) ||
	    !finished || parse_iso8601(finished, &a->finished_ms) || !STR("outcome")) {
		strbuf_addstr(err, "an attempt needs attempt_id > 0, started_at, finished_at "
				   "and outcome");
		return -EINVAL;
	}
	a->station = STR("station");
	a->slot = (int)int_or(d, "slot", 0);
	a->port = STR("port");
	a->device = STR("device");
	a->by_path = STR("by_path");
	a->by_id = STR("by_id");
	a->vid = usb_id(STR("vid"));
	a->pid = usb_id(STR("pid"));
	a->usb_serial = STR("usb_serial");
	a->unit = STR("unit");
	a->board = STR("board");
	a->method = STR("method");
	a->firmware = STR("firmware");
	a->firmware_sha256 = STR("firmware_sha256");
	a->firmware_size = int_or(d, "firmware_size", -1);
	a->chip = STR("chip");
	a->mac = STR("mac");
	a->heard = reached && reached->type == JV_BOOL && reached->b && a->chip;
	a->outcome = STR("outcome");
	a->failure_class = STR("failure_class");
	a->message = STR("message");
	a->exit_code = (int)int_or(d, "exit_code", -1);
	a->duration_ms = int_or(d, "duration_ms", -1);
	a->bytes_written = int_or(d, "bytes_written", -1);
	if (!jv_num(d, "kbps", &a->kbps) || a->kbps < 0)
		a->kbps = 0;
	a->serial = STR("serial");
	a->unit_sha256 = STR("unit_sha256");
	a->unit_label = STR("unit_label");
	a->output = STR("output");
	return 0;
}

/* Remember a's result on st (a failure also in its list, newest first). */
static void remember(struct fleet_station *st, const struct attempt *a, const char *finished)
{
	snprintf(st->last_outcome, sizeof st->last_outcome, "%s", a->outcome);
	snprintf(st->last_class, sizeof st->last_class, "%s",
		 a->failure_class ? a->failure_class : "");
	snprintf(st->last_message, sizeof st->last_message, "%s", a->message ? a->message : "");
	snprintf(st->last_at, sizeof st->last_at, "%s", finished);
	st->last_slot = a->slot;
	st->received++;
	if (!strcmp(a->outcome, "ok"))
		return;
	if (st->nfails < FLEET_FAILS)
		st->nfails++;
	memmove(&st->fails[1], &st->fails[0], (st->nfails - 1) * sizeof st->fails[0]);
	st->fails[0].slot = a->slot;
	snprintf(st->fails[0].finished_at, sizeof st->fails[0].finished_at, "%s", finished);
	snprintf(st->fails[0].failure_class, sizeof st->fails[0].failure_class, "%s",
		 a->failure_class ? a->failure_class : "other");
	snprintf(st->fails[0].mac, sizeof st->fails[0].mac, "%s", a->mac ? a->mac : "");
	snprintf(st->fails[0].message, sizeof st->fails[0].message, "%s",
		 a->message ? a->message : "");
}

int fleet_attempt(struct fleet *f, struct fleet_station *st, const struct jv *d,
		  struct strbuf *err)
{
	struct attempt a;
	int64_t id;
	bool added = true;
	int r = read_attempt(d, &a, &id, err);

	if (r)
		return r;
	if (strcmp(a.outcome, "ok") && strcmp(a.outcome, "failed")) {
		strbuf_addf(err, "outcome must be ok or failed");
		return -EINVAL;
	}
	if (f->db && (r = history_import(f->db, &a, id, &added, err)) < 0)
		return r;
	if (f->db)
		added ? f->stored++ : f->duplicates++;
	if (!added)
		return 1;
	remember(st, &a, STR("finished_at"));
	return 0;
}
