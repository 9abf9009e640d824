/* attempt.c - the one place an attempt begins, progresses and ends: its
 * history row, its log file (one naming scheme for every plan), its
 * timings, and the events its subscribers receive. */
#include "autoconf.h"

#include "attempt.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app-internal.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "path.h"
#include "xalloc.h"

int attempt_subscribe(struct app *app, attempt_sub_fn *fn, void *data)
{
	if (app->nsubs >= ATTEMPT_SUBS_MAX)
		return -ENOSPC;
	app->subs[app->nsubs].fn = fn;
	app->subs[app->nsubs].data = data;
	app->nsubs++;
	return 0;
}

/* Tell every subscriber. */
static void attempt_publish(struct app *app, enum attempt_event ev, const struct attempt *a,
			    int64_t id)
{
	for (size_t i = 0; i < app->nsubs; i++)
		app->subs[i].fn(app->subs[i].data, ev, a, id);
}

void attempt_clock(struct attempt_rec *r)
{
	r->start_wall = wall_ms();
	r->start_mono = now_ms();
}

void attempt_open_log(struct app *app, struct attempt_rec *r, const char *what)
{
	char when[32], day[16];
	char *dir, *path;

	if (!app->cfg->log_dir || r->log)
		return;
	format_iso8601(r->start_wall ? r->start_wall : wall_ms(), when);
	snprintf(day, sizeof day, "%.10s", when);
	dir = xasprintf("%s/%s", app->cfg->log_dir, day);
	path = xasprintf("%s/%.2s-%.2s-%.2s.%.3s-%s.log", dir, when + 11, when + 14, when + 17,
			 when + 20, what);
	for (char *p = path + strlen(dir) + 1; *p; p++)
		if (*p == ':')
			*p = '-'; /* no colons in file names */
	if (mkdir_p(dir, 0700) == 0)
		r->log = fopen(path, "we");
	if (!r->log && !app->log_dir_warned) {
		app->log_dir_warned = true;
		log_msg(LOG_WARN, NULL, "cannot write tool logs to '%s' (continuing without)", dir);
	}
	free(dir);
	free(path);
}

void attempt_log(struct attempt_rec *r, const char *prefix, const char *line)
{
	if (r->log)
		fprintf(r->log, "%s%s\n", prefix, line);
}

void attempt_log_result(struct attempt_rec *r, enum outcome o, const char *message)
{
	if (r->log)
		fprintf(r->log, "# result: %s %s\n", outcome_name(o), message ? message : "");
}

void attempt_output(struct attempt_rec *r, enum job_stream s, const char *line)
{
	attempt_log(r, s == JOB_STDERR ? "! " : "", line);
}

void attempt_close_log(struct attempt_rec *r)
{
	if (r->log)
		fclose(r->log);
	r->log = NULL;
}

/* r's per-unit data into a (those known). */
static void unit_fields(const struct attempt_rec *r, struct attempt *a)
{
	a->serial = r->serial[0] ? r->serial : a->serial;
	a->unit_sha256 = r->unit_sha256[0] ? r->unit_sha256 : a->unit_sha256;
	a->unit_label = r->unit_label[0] ? r->unit_label : a->unit_label;
}

void attempt_begin(struct app *app, struct attempt_rec *r, struct attempt *a)
{
	struct strbuf err = STRBUF_INIT;

	if (!app->hist || r->hist_id)
		return;
	if (!r->start_wall)
		attempt_clock(r);
	a->started_ms = r->start_wall;
	unit_fields(r, a);
	if (history_begin(app->hist, a, &r->hist_id, &err) < 0) {
		r->hist_id = 0;
		app_history_failed(app, "record an attempt in", &err);
	}
	app_history_watch(app);
	if (r->hist_id)
		attempt_publish(app, ATTEMPT_BEGUN, a, r->hist_id);
	strbuf_release(&err);
}

void attempt_end(struct app *app, struct attempt_rec *r, struct attempt *a, enum outcome o,
		 const char *message)
{
	struct strbuf err = STRBUF_INIT;
	int64_t id = r->hist_id;

	if (!app->hist || !r->hist_id)
		return;
	a->started_ms = r->start_wall;
	a->finished_ms = wall_ms();
	a->outcome = o == OUTCOME_OK ? "ok" : "failed";
	a->failure_class = o == OUTCOME_OK ? NULL : outcome_name(o);
	a->message = message;
	a->duration_ms = (int64_t)(now_ms() - r->start_mono);
	unit_fields(r, a);
	if (history_finish(app->hist, r->hist_id, a, &err) < 0)
		app_history_failed(app, "complete an attempt in", &err);
	r->hist_id = 0;
	r->start_wall = 0;
	attempt_publish(app, ATTEMPT_ENDED, a, id);
	strbuf_release(&err);
}

void attempt_facts(struct app *app, struct attempt_rec *r, const char *chip, const char *mac)
{
	struct strbuf err = STRBUF_INIT;

	if (!r->hist_id || !app->hist)
		return;
	if (r->noted_id != r->hist_id) /* a new row (a retry): nothing told yet */
		r->noted_chip = r->noted_mac = false;
	r->noted_id = r->hist_id;
	chip = chip && *chip && !r->noted_chip ? chip : NULL;
	mac = mac && *mac && !r->noted_mac ? mac : NULL;
	if (!chip && !mac)
		return;
	r->noted_chip |= chip != NULL;
	r->noted_mac |= mac != NULL;
	if (history_note(app->hist, r->hist_id, chip, mac, &err) < 0)
		app_history_failed(app, "note what a board said in", &err);
	app_history_watch(app);
	strbuf_release(&err);
}

void app_history_failed(struct app *app, const char *what, struct strbuf *err)
{
	app->history_errors++;
	log_msg(LOG_ERROR, NULL, "cannot %s the flash history: %s", what, err->buf);
	app_emit(app, NULL, APP_EV_HEADER);
}
