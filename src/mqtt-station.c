/* mqtt-station.c - a station publishing its attempts (through the
 * history's outbox) and its status over MQTT (mqtt-station.h). */
#include "autoconf.h"

#include "mqtt-station.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "attempt.h"
#include "clock.h"
#include "config.h"
#include "histcmd.h"
#include "history-outbox.h"
#include "history.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "mqtt.h"
#include "xalloc.h"

#define STATUS_EVERY_MS 1000
/* At most this many attempts handed to libmosquitto at a time. */
#define WINDOW 32

/* A message handed to libmosquitto, waiting for its PUBACK. */
struct sent {
	int mid;
	int64_t id; /* the attempt; 0: a status message */
};

struct mqtt_station {
	struct loop *loop;
	struct app *app;
	const struct config *cfg;
	struct mqtt *m;
	char *topic_attempts, *topic_status;
	int qos;
	struct sent *sent;
	size_t nsent, sent_alloc;
	long waiting;            /* attempts in the outbox */
	bool missed;             /* the outbox may hold rows not handed over yet */
	bool kept;               /* an attempt ended while the history kept its result */
	bool closed;             /* mqtt_station_close(): outbox only */
	unsigned long status_sig;
	uint64_t status_ms;      /* when the status was last published */
	struct loop_timer status_timer;
	struct mqtt_last last;
	char link[200];
};

/* The link status line for the views. */
static void update_link(struct mqtt_station *ms)
{
	enum mqtt_state st = mqtt_state(ms->m);
	char line[sizeof ms->link];

	if (st == MQTT_UP || !*mqtt_why(ms->m))
		snprintf(line, sizeof line, "MQTT: %s, %ld waiting", mqtt_state_name(st), ms->waiting);
	else
		snprintf(line, sizeof line, "MQTT: %s (%s), %ld waiting", mqtt_state_name(st),
			 mqtt_why(ms->m), ms->waiting);
	if (strcmp(line, ms->link)) {
		snprintf(ms->link, sizeof ms->link, "%s", line);
		app_set_link_status(ms->app, ms->link);
	}
}

/* Count the outbox again. */
static void recount(struct mqtt_station *ms)
{
	struct history *h = app_history(ms->app);
	long n = h ? history_outbox_count(h) : 0;

	ms->waiting = n < 0 ? ms->waiting : n;
}

/* Remember a message handed over. */
static void sent_add(struct mqtt_station *ms, int mid, int64_t id)
{
	if (ms->nsent == ms->sent_alloc) {
		ms->sent_alloc = ms->sent_alloc ? 2 * ms->sent_alloc : 16;
		ms->sent = xrealloc(ms->sent, ms->sent_alloc * sizeof *ms->sent);
	}
	ms->sent[ms->nsent++] = (struct sent){ mid, id };
}

/* Is attempt id with libmosquitto already (sent, or kept to be sent again
 * after a reconnect)? */
static bool handed(const struct mqtt_station *ms, int64_t id)
{
	for (size_t i = 0; i < ms->nsent; i++)
		if (ms->sent[i].id == id)
			return true;
	return false;
}

/* Attempts handed to libmosquitto and not acknowledged yet. */
static size_t in_flight(const struct mqtt_station *ms)
{
	size_t n = 0;

	for (size_t i = 0; i < ms->nsent; i++)
		n += ms->sent[i].id > 0;
	return n;
}

/* Publish one attempt row (an outbox row) unless libmosquitto has it; stop
 * the walk (1) once WINDOW attempts are in flight. */
static int publish_row(const struct history_row *r, void *data)
{
	struct mqtt_station *ms = data;
	struct strbuf out = STRBUF_INIT;
	struct jw jw;
	int mid = 0, rc;

	if (handed(ms, r->id))
		return 0;
	if (in_flight(ms) >= WINDOW) {
		ms->missed = true;
		return 1;
	}
	jw_init(&jw, &out);
	jw_object_begin(&jw, NULL);
	histcol_json(&jw, r);
	jw_int(&jw, "attempt_id", r->id);
	jw_object_end(&jw);
	rc = mqtt_publish(ms->m, ms->topic_attempts, out.buf, out.len, ms->qos, false, &mid);
	if (rc == 0)
		sent_add(ms, mid, r->id);
	ms->missed |= rc != 0;
	if (rc && rc != -ENOTCONN)
		log_msg(LOG_WARN, NULL, "MQTT: cannot publish attempt %lld (it stays in the outbox)",
			(long long)r->id);
	strbuf_release(&out);
	return 0;
}

/* Hand the outbox's next attempts, in order, to libmosquitto: only while
 * the broker is there, and at most WINDOW at a time (each PUBACK makes room
 * for the next), so an outage of any length costs the station no memory -
 * what waits, waits in the database. */
static void refill(struct mqtt_station *ms)
{
	struct history *h = app_history(ms->app);
	struct strbuf err = STRBUF_INIT;

	if (!h || ms->closed)
		return;
	if (mqtt_state(ms->m) != MQTT_UP || in_flight(ms) >= WINDOW) {
		ms->missed = true;
		return;
	}
	ms->missed = false;
	if (history_outbox_rows(h, 0, publish_row, ms, &err) < 0) {
		log_msg(LOG_ERROR, NULL, "MQTT outbox: %s", err.buf);
		ms->missed = true;
	}
	strbuf_release(&err);
}

/* Publish the status now. */
static void publish_status(struct mqtt_station *ms)
{
	struct strbuf out = STRBUF_INIT;
	int mid;

	ms->status_sig = mqtt_status_signature(ms->app);
	ms->status_ms = now_ms();
	mqtt_status_json(ms->app, ms->cfg, true, ms->waiting, &ms->last, &out);
	if (mqtt_publish(ms->m, ms->topic_status, out.buf, out.len, 1, true, &mid) == 0)
		sent_add(ms, mid, 0);
	strbuf_release(&out);
}

static void on_status_timer(struct loop_timer *t, void *data)
{
	(void)t;
	publish_status(data);
}

/* Before every poll: publish the status if it changed (at most once a
 * second: else when the second is over), and refresh the link line. */
static void status_hook(void *data)
{
	struct mqtt_station *ms = data;
	uint64_t now = now_ms();

	if (ms->closed)
		return;
	if (ms->kept && app_history(ms->app) && !history_pending(app_history(ms->app))) {
		ms->kept = false; /* the results kept are written: in the outbox now */
		refill(ms);
		recount(ms);
	}
	update_link(ms);
	if (mqtt_state(ms->m) != MQTT_UP || ms->status_timer.armed ||
	    mqtt_status_signature(ms->app) == ms->status_sig)
		return;
	if (now - ms->status_ms >= STATUS_EVERY_MS)
		publish_status(ms);
	else
		loop_timer_arm(ms->loop, &ms->status_timer, STATUS_EVERY_MS - (now - ms->status_ms),
			       0);
}

static void on_up(void *data)
{
	struct mqtt_station *ms = data;

	log_msg(LOG_INFO, NULL, "MQTT: connected to %s (%ld %s waiting)", ms->cfg->mqtt_broker,
		ms->waiting, ms->waiting == 1 ? "result" : "results");
	publish_status(ms);
	/* what waits in the outbox, in order (libmosquitto sends again by
	 * itself what it had in flight) */
	refill(ms);
	update_link(ms);
}

static void on_down(void *data, const char *why)
{
	struct mqtt_station *ms = data;

	if (ms->closed)
		return;
	log_msg(LOG_WARN, NULL, "MQTT: broker %s: %s; flashing goes on, results wait in the "
				"outbox (%ld now)", ms->cfg->mqtt_broker, why, ms->waiting);
	update_link(ms);
}

/* The broker has message mid: an attempt leaves the outbox. */
static void on_published(void *data, int mid)
{
	struct mqtt_station *ms = data;
	struct history *h = app_history(ms->app);
	struct strbuf err = STRBUF_INIT;

	for (size_t i = 0; i < ms->nsent; i++) {
		if (ms->sent[i].mid != mid)
			continue;
		if (ms->sent[i].id > 0 && h && history_outbox_remove(h, ms->sent[i].id, &err))
			log_msg(LOG_ERROR, NULL, "MQTT outbox: %s", err.buf);
		ms->sent[i] = ms->sent[--ms->nsent];
		break;
	}
	if (ms->missed)
		refill(ms);
	recount(ms);
	strbuf_release(&err);
}

static const struct mqtt_handlers handlers = {
	.up = on_up, .down = on_down, .published = on_published,
};

/* An attempt ended: into the outbox, then out to the broker. */
static void on_attempt(void *data, enum attempt_event ev, const struct attempt *a, int64_t id)
{
	struct mqtt_station *ms = data;
	struct history *h = app_history(ms->app);

	if (ev != ATTEMPT_ENDED || !h)
		return;
	snprintf(ms->last.outcome, sizeof ms->last.outcome, "%s", a->outcome ? a->outcome : "");
	snprintf(ms->last.failure_class, sizeof ms->last.failure_class, "%s",
		 a->failure_class ? a->failure_class : "");
	snprintf(ms->last.message, sizeof ms->last.message, "%s", a->message ? a->message : "");
	ms->last.slot = a->slot;
	ms->last.finished_ms = a->finished_ms;
	(void)id; /* its row entered the outbox with its outcome (history-outbox.h) */
	if (history_pending(h))
		ms->kept = true; /* published once the history took it (status_hook) */
	refill(ms);
	recount(ms);
}

/* topic/station/leaf */
static char *topic(const struct config *cfg, const char *leaf)
{
	return xasprintf("%s/%s/%s", cfg->mqtt_topic, cfg->station_name, leaf);
}

struct mqtt_station *mqtt_station_new(struct loop *loop, struct app *app,
				      const struct config *cfg, struct strbuf *err)
{
	struct mqtt_station *ms = xcalloc(1, sizeof *ms);
	struct strbuf will = STRBUF_INIT;
	struct mqtt_opts o;

	ms->loop = loop;
	ms->app = app;
	ms->cfg = cfg;
	ms->qos = (int)cfg->mqtt_qos;
	ms->topic_attempts = topic(cfg, "attempts");
	ms->topic_status = topic(cfg, "status");
	loop_timer_init(&ms->status_timer, on_status_timer, ms);
	recount(ms);
	mqtt_status_json(NULL, cfg, false, 0, NULL, &will);
	mqtt_opts_from_config(&o, cfg);
	o.will_topic = ms->topic_status;
	o.will_payload = will.buf;
	ms->m = mqtt_new(loop, &o, &handlers, ms, err);
	strbuf_release(&will);
	if (!ms->m) {
		mqtt_station_free(ms);
		return NULL;
	}
	if (app_history(app) && history_outbox_enable(app_history(app), true, err)) {
		mqtt_station_free(ms);
		return NULL;
	}
	attempt_subscribe(app, on_attempt, ms);
	loop_hook_add(loop, status_hook, ms);
	ms->missed = true; /* what an earlier run left: published once connected */
	update_link(ms);
	return ms;
}

/* Are attempts still waiting for their PUBACK (or, status too, anything)? */
static bool unacked(const struct mqtt_station *ms, bool status_too)
{
	for (size_t i = 0; i < ms->nsent; i++)
		if (ms->sent[i].id > 0 || status_too)
			return true;
	return false;
}

/* Run the loop until nothing (of the kind) waits, the link is down, or deadline. */
static void drain(struct mqtt_station *ms, bool status_too, uint64_t deadline)
{
	uint64_t now;

	while (mqtt_state(ms->m) == MQTT_UP && unacked(ms, status_too) &&
	       (now = now_ms()) < deadline)
		loop_iterate(ms->loop, (int)(deadline - now));
}

void mqtt_station_close(struct mqtt_station *ms, unsigned timeout_ms)
{
	uint64_t deadline = now_ms() + timeout_ms;
	struct strbuf out = STRBUF_INIT;
	int mid;

	if (!ms || ms->closed)
		return;
	drain(ms, false, deadline);
	ms->closed = true;
	loop_hook_del(ms->loop, status_hook, ms);
	loop_timer_disarm(ms->loop, &ms->status_timer);
	if (mqtt_state(ms->m) == MQTT_UP) {
		mqtt_status_json(ms->app, ms->cfg, false, ms->waiting, &ms->last, &out);
		if (mqtt_publish(ms->m, ms->topic_status, out.buf, out.len, 1, true, &mid) == 0)
			sent_add(ms, mid, 0);
		drain(ms, true, deadline);
	}
	mqtt_disconnect(ms->m);
	strbuf_release(&out);
}

void mqtt_station_free(struct mqtt_station *ms)
{
	if (!ms)
		return;
	if (!ms->closed)
		loop_hook_del(ms->loop, status_hook, ms);
	loop_timer_disarm(ms->loop, &ms->status_timer);
	mqtt_free(ms->m);
	free(ms->topic_attempts);
	free(ms->topic_status);
	free(ms->sent);
	free(ms);
}
