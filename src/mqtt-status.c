/* mqtt-status.c - what a station's retained status message says: online or
 * offline, mode, firmware, counters, each slot's state, the last result. */
#include "autoconf.h"

#include "app.h"
#include "clock.h"
#include "config.h"
#include "json.h"
#include "mqtt-station.h"
#include "yield.h"

static const char *const state_names[] = { "empty", "idle", "queued", "running", "pass", "fail" };

/* One slot's row. */
static void slot_json(struct jw *jw, const struct app_board *b)
{
	jw_object_begin(jw, NULL);
	jw_int(jw, "slot", b->slot);
	jw_str(jw, "state", b->state <= BOARD_FAIL ? state_names[b->state] : "idle");
	jw_str(jw, "port", b->dev ? b->dev->devnode : NULL);
	if (b->state == BOARD_RUNNING) {
		jw_str(jw, "phase", phase_name(b->prog.phase));
		jw_int(jw, "percent", (long long)b->prog.overall_pct);
	}
	jw_str(jw, "chip", b->chip[0] ? b->chip : NULL);
	jw_str(jw, "mac", b->mac[0] ? b->mac : NULL);
	if (b->state == BOARD_PASS || b->state == BOARD_FAIL) {
		jw_str(jw, "outcome", b->outcome == OUTCOME_OK ? "ok" : "failed");
		jw_str(jw, "failure_class", b->outcome == OUTCOME_OK ? NULL : outcome_name(b->outcome));
		jw_str(jw, "message", b->message[0] ? b->message : NULL);
	}
	jw_object_end(jw);
}

/* The header counters. */
static void counters_json(struct jw *jw, const struct history_counters *c)
{
	jw_object_begin(jw, "counters");
	jw_int(jw, "attempts", c->attempts);
	jw_int(jw, "ok", c->passed);
	jw_int(jw, "failed", c->failed);
	jw_int(jw, "cancelled", c->cancelled);
	jw_int(jw, "not_started", c->not_started);
	jw_int(jw, "boards", c->boards);
	yield_json(jw, c->first_pass_yield, c->boards);
	jw_double(jw, "units_per_hour", c->units_per_hour);
	jw_object_end(jw);
}

/* The last attempt that ended. */
static void last_json(struct jw *jw, const struct mqtt_last *l)
{
	char when[32];

	if (!l || !l->outcome[0]) {
		jw_null(jw, "last");
		return;
	}
	format_iso8601(l->finished_ms, when);
	jw_object_begin(jw, "last");
	jw_int(jw, "slot", l->slot);
	jw_str(jw, "outcome", l->outcome);
	jw_str(jw, "failure_class", l->failure_class[0] ? l->failure_class : NULL);
	jw_str(jw, "message", l->message[0] ? l->message : NULL);
	jw_str(jw, "finished_at", when);
	jw_object_end(jw);
}

/* The firmware the station writes. */
static void firmware_obj(struct jw *jw, const struct firmware *fw)
{
	struct strbuf sum = STRBUF_INIT;

	if (!fw || !fw->n) {
		jw_null(jw, "firmware");
		return;
	}
	firmware_summary(fw, &sum);
	jw_object_begin(jw, "firmware");
	jw_str(jw, "sha256", fw->sha256);
	jw_str(jw, "images", sum.buf);
	jw_int(jw, "size", (long long)fw->total_size);
	jw_object_end(jw);
	strbuf_release(&sum);
}

void mqtt_status_json(struct app *app, const struct config *cfg, bool online, long waiting,
		      const struct mqtt_last *last, struct strbuf *out)
{
	struct jw jw;
	char now[32];

	format_iso8601(wall_ms(), now);
	jw_init(&jw, out);
	jw_object_begin(&jw, NULL);
	jw_str(&jw, "station", cfg->station_name);
	jw_str(&jw, "status", online ? "online" : "offline");
	jw_str(&jw, "time", now);
	if (app) {
		jw_str(&jw, "mode", app_monitor(app) ? "monitor" : "manual");
		firmware_obj(&jw, app_firmware(app));
		counters_json(&jw, app_counters(app));
		jw_int(&jw, "waiting", waiting);
		jw_int(&jw, "busy", (long long)app_busy(app));
		jw_array_begin(&jw, "slots");
		for (size_t i = 0; i < app_board_count(app); i++)
			slot_json(&jw, app_board_at(app, i));
		jw_array_end(&jw);
		last_json(&jw, last);
	}
	jw_object_end(&jw);
}

/* FNV-1a over n bytes. */
static unsigned long mix(unsigned long h, const void *p, size_t n)
{
	const unsigned char *c = p;

	while (n--)
		h = (h ^ *c++) * 1099511628211UL;
	return h;
}

unsigned long mqtt_status_signature(struct app *app)
{
	const struct history_counters *c = app_counters(app);
	const struct firmware *fw = app_firmware(app);
	unsigned long h = 14695981039346656037UL;
	int v[4] = { app_monitor(app), (int)app_busy(app), (int)c->attempts,
		     fw && fw->n ? fw->sha256[0] + 256 * fw->sha256[1] : 0 };

	h = mix(h, v, sizeof v);
	for (size_t i = 0; i < app_board_count(app); i++) {
		const struct app_board *b = app_board_at(app, i);
		int s[4] = { (int)b->slot, (int)b->state, (int)b->prog.phase, (int)b->outcome };

		h = mix(h, s, sizeof s);
	}
	return h;
}
