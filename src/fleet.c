/* fleet.c - the line's model from the stations' MQTT messages: topics,
 * statuses, totals and the JSON of `fleet --json` (fleet.h). */
#include "autoconf.h"

#include "fleet.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "json.h"
#include "jsonp.h"
#include "xalloc.h"
#include "yield.h"

void fleet_init(struct fleet *f, const char *topic, struct history *db)
{
	memset(f, 0, sizeof *f);
	f->topic = xstrdup(topic);
	f->db = db;
}

void fleet_release(struct fleet *f)
{
	free(f->topic);
	free(f->st);
	memset(f, 0, sizeof *f);
}

bool fleet_name_ok(const char *name, size_t len)
{
	if (!len || len > 64)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
			    name[i]) || !name[i])
			return false;
	return true;
}

/* Copy a bounded string member (absent or not a string: ""). */
static void take(char *dst, size_t n, const struct jv *o, const char *key)
{
	const char *s = jv_str(o, key);

	snprintf(dst, n, "%s", s ? s : "");
}

/* The station named, added in name order if new; NULL when full. */
static struct fleet_station *station(struct fleet *f, const char *name, size_t len)
{
	size_t i = 0;

	for (; i < f->n; i++) {
		int c = strncmp(f->st[i].name, name, len);

		if (!c && !f->st[i].name[len])
			return &f->st[i];
		if (c > 0 || (!c && f->st[i].name[len]))
			break;
	}
	if (f->n >= FLEET_MAX_STATIONS)
		return NULL;
	f->st = xrealloc(f->st, (f->n + 1) * sizeof *f->st);
	memmove(&f->st[i + 1], &f->st[i], (f->n - i) * sizeof *f->st);
	f->n++;
	memset(&f->st[i], 0, sizeof *f->st);
	memcpy(f->st[i].name, name, len);
	return &f->st[i];
}

/* A long member, 0 when absent. */
static long num(const struct jv *o, const char *key)
{
	long long v = 0;

	return jv_int(o, key, &v) && v >= 0 && v < 1000000000 ? (long)v : 0;
}

/* One slot of a status. */
static void status_slot(struct fleet_slot *s, const struct jv *o)
{
	long long pct = -1;

	memset(s, 0, sizeof *s);
	s->slot = (int)num(o, "slot");
	take(s->state, sizeof s->state, o, "state");
	take(s->port, sizeof s->port, o, "port");
	take(s->phase, sizeof s->phase, o, "phase");
	s->percent = jv_int(o, "percent", &pct) && pct >= 0 && pct <= 100 ? (int)pct : -1;
	take(s->chip, sizeof s->chip, o, "chip");
	take(s->mac, sizeof s->mac, o, "mac");
	take(s->failure_class, sizeof s->failure_class, o, "failure_class");
	take(s->message, sizeof s->message, o, "message");
}

/* The status's last result, a failure, as the first of the last failures. */
static void last_failure(struct fleet_station *st)
{
	struct fleet_fail *f = &st->fails[0];

	st->nfails = 1;
	f->slot = st->last_slot;
	snprintf(f->finished_at, sizeof f->finished_at, "%s", st->last_at);
	snprintf(f->failure_class, sizeof f->failure_class, "%s",
		 st->last_class[0] ? st->last_class : "other");
	f->mac[0] = '\0';
	snprintf(f->message, sizeof f->message, "%s", st->last_message);
}

/* A status message. */
static void status(struct fleet_station *st, const struct jv *d)
{
	const struct jv *c = jv_get(d, "counters"), *fw = jv_get(d, "firmware");
	const struct jv *slots = jv_get(d, "slots"), *last = jv_get(d, "last");
	const char *s = jv_str(d, "status");

	st->has_status = true;
	st->online = s && !strcmp(s, "online");
	if (!jv_get(d, "mode")) /* the will says no more than offline */
		return;
	take(st->mode, sizeof st->mode, d, "mode");
	take(st->firmware, sizeof st->firmware, fw, "images");
	take(st->fw_sha256, sizeof st->fw_sha256, fw, "sha256");
	st->attempts = num(c, "attempts");
	st->ok = num(c, "ok");
	st->failed = num(c, "failed");
	st->boards = num(c, "boards");
	if (!jv_num(c, "first_pass_yield", &st->yield) || st->yield < 0 || st->yield > 1)
		st->yield = 0;
	if (!jv_num(c, "units_per_hour", &st->units_per_hour) || st->units_per_hour < 0)
		st->units_per_hour = 0;
	st->busy = num(d, "busy");
	st->waiting = num(d, "waiting");
	st->nslots = 0;
	for (size_t i = 0; slots && slots->type == JV_ARR && i < slots->n; i++)
		if (st->nslots < FLEET_MAX_SLOTS && slots->kids[i].type == JV_OBJ)
			status_slot(&st->slots[st->nslots++], &slots->kids[i]);
	if (last && last->type == JV_OBJ) {
		take(st->last_outcome, sizeof st->last_outcome, last, "outcome");
		take(st->last_class, sizeof st->last_class, last, "failure_class");
		take(st->last_message, sizeof st->last_message, last, "message");
		take(st->last_at, sizeof st->last_at, last, "finished_at");
		st->last_slot = (int)num(last, "slot");
		if (!st->nfails && st->last_outcome[0] && strcmp(st->last_outcome, "ok"))
			last_failure(st); /* a fleet that came late still shows one */
	}
}

/* Refuse a message: why into err and f->last_error. */
static int refuse(struct fleet *f, struct strbuf *err, const char *why, const char *topic)
{
	f->rejected++;
	strbuf_addf(err, "message on '%.120s' refused: %s", topic, why);
	snprintf(f->last_error, sizeof f->last_error, "%s", err->buf);
	return -EINVAL;
}

int fleet_message(struct fleet *f, const char *topic, const void *payload, size_t len,
		  struct strbuf *err)
{
	size_t plen = strlen(f->topic), nlen;
	const char *name = topic + plen + 1, *leaf;
	struct fleet_station *st = NULL;
	struct strbuf why = STRBUF_INIT;
	struct jv *d;
	const char *ps;
	int r = 1;

	if (strncmp(topic, f->topic, plen) || topic[plen] != '/' || !(leaf = strchr(name, '/')))
		return refuse(f, err, "not <topic>/<station>/...", topic);
	nlen = (size_t)(leaf++ - name);
	if (!fleet_name_ok(name, nlen))
		return refuse(f, err, "a station name must be 1 to 64 of A-Z a-z 0-9 _ -", topic);
	if (strcmp(leaf, "status") && strcmp(leaf, "attempts"))
		return 0; /* another station topic: not ours to read */
	if (!(d = jv_parse(payload, len, &why)) || d->type != JV_OBJ)
		r = refuse(f, err, d ? "not a JSON object" : why.buf, topic);
	else if (!(ps = jv_str(d, "station")) || strlen(ps) != nlen || strncmp(ps, name, nlen))
		r = refuse(f, err, "its \"station\" is not the topic's", topic);
	else if (!(st = station(f, name, nlen)))
		r = refuse(f, err, "too many stations", topic);
	if (r == 1) {
		st->heard_ms = wall_ms();
		if (*leaf == 's')
			status(st, d);
		else if ((r = fleet_attempt(f, st, d, &why)) < 0)
			r = refuse(f, err, why.buf, topic);
		else
			r = r == 0;
	}
	jv_free(d);
	strbuf_release(&why);
	return r;
}

void fleet_totals(const struct fleet *f, struct fleet_totals *t)
{
	double first_ok = 0;

	memset(t, 0, sizeof *t);
	for (size_t i = 0; i < f->n; i++) {
		const struct fleet_station *s = &f->st[i];

		t->stations++;
		t->online += s->online;
		t->attempts += s->attempts;
		t->ok += s->ok;
		t->failed += s->failed;
		t->boards += s->boards;
		t->busy += s->busy;
		t->waiting += s->waiting;
		t->units_per_hour += s->units_per_hour;
		first_ok += s->yield * (double)s->boards;
	}
	t->yield = t->boards ? first_ok / (double)t->boards : 0;
}

/* A string member, null when empty. */
static void jw_opt(struct jw *jw, const char *key, const char *s)
{
	jw_str(jw, key, *s ? s : NULL);
}

/* One station of fleet_json(). */
static void station_json(struct jw *jw, const struct fleet_station *s)
{
	long busy = 0;

	for (size_t i = 0; i < s->nslots; i++)
		busy += !strcmp(s->slots[i].state, "running") || !strcmp(s->slots[i].state, "queued");
	jw_object_begin(jw, NULL);
	jw_str(jw, "station", s->name);
	jw_str(jw, "status", !s->has_status ? "unknown" : s->online ? "online" : "offline");
	jw_opt(jw, "mode", s->mode);
	jw_opt(jw, "firmware", s->firmware);
	jw_opt(jw, "firmware_sha256", s->fw_sha256);
	jw_int(jw, "attempts", s->attempts);
	jw_int(jw, "ok", s->ok);
	jw_int(jw, "failed", s->failed);
	jw_int(jw, "boards", s->boards);
	yield_json(jw, s->yield, s->boards);
	jw_double(jw, "units_per_hour", s->units_per_hour);
	jw_int(jw, "busy_slots", busy);
	jw_int(jw, "slots", (long long)s->nslots);
	jw_int(jw, "waiting", s->waiting);
	if (s->last_outcome[0]) {
		jw_object_begin(jw, "last");
		jw_int(jw, "slot", s->last_slot);
		jw_str(jw, "outcome", s->last_outcome);
		jw_opt(jw, "failure_class", s->last_class);
		jw_opt(jw, "message", s->last_message);
		jw_opt(jw, "finished_at", s->last_at);
		jw_object_end(jw);
	} else {
		jw_null(jw, "last");
	}
	jw_int(jw, "received", s->received);
	jw_object_end(jw);
}

void fleet_json(const struct fleet *f, struct strbuf *out)
{
	struct fleet_totals t;
	struct jw jw;

	fleet_totals(f, &t);
	jw_init(&jw, out);
	jw_object_begin(&jw, NULL);
	jw_array_begin(&jw, "stations");
	for (size_t i = 0; i < f->n; i++)
		station_json(&jw, &f->st[i]);
	jw_array_end(&jw);
	jw_object_begin(&jw, "totals");
	jw_int(&jw, "stations", t.stations);
	jw_int(&jw, "online", t.online);
	jw_int(&jw, "attempts", t.attempts);
	jw_int(&jw, "ok", t.ok);
	jw_int(&jw, "failed", t.failed);
	jw_int(&jw, "boards", t.boards);
	yield_json(&jw, t.yield, t.boards);
	jw_double(&jw, "units_per_hour", t.units_per_hour);
	jw_int(&jw, "busy_slots", t.busy);
	jw_int(&jw, "waiting", t.waiting);
	jw_object_end(&jw);
	jw_object_end(&jw);
}
