/* app-history.c - the engine's side of "no result is lost": a result the
 * history cannot take now (another process holds the database, disk full) is
 * kept by the history; the engine says so once, retries it on a timer while
 * flashbay runs, and at the end has the rest written to the journal beside
 * the database - said loudly, and counted as a history error (exit 1). */
#include "autoconf.h"

#include "app-internal.h"

#include "log.h"
#include "loop.h"
#include "util.h"

#define RETRY_MS 1000

/* Timer: try the kept results again, without waiting for a lock. */
static void on_retry(struct loop_timer *t, void *data)
{
	struct app *app = data;

	(void)t;
	if (history_retry(app->hist) > 0)
		return;
	loop_timer_disarm(app->loop, &app->hist_retry);
	/* a warning too: it answers the one that said the results were kept */
	if (app->hist_kept_said)
		log_msg(LOG_WARN, NULL, "the flash history took the results it could not take before");
	app->hist_kept_said = false;
	app_refresh_counters(app);
	app_emit(app, NULL, APP_EV_HEADER);
}

void app_history_watch(struct app *app)
{
	if (!app->hist || !history_pending(app->hist) || app->hist_retry.armed)
		return;
	if (!app->hist_kept_said)
		log_msg(LOG_WARN, NULL,
			"cannot write to the flash history now: %s; keeping %zu %s and retrying",
			history_pending_reason(app->hist), history_pending(app->hist),
			plural(history_pending(app->hist), "result", "results"));
	app->hist_kept_said = true;
	loop_timer_init(&app->hist_retry, on_retry, app);
	loop_timer_arm(app->loop, &app->hist_retry, RETRY_MS, RETRY_MS);
}

void app_history_note_facts(struct app_board *b)
{
	struct app_run *run = b->run;
	struct strbuf err = STRBUF_INIT;
	const char *chip, *mac;

	if (!run || !run->hist_id || !run->app->hist)
		return;
	if (run->noted_id != run->hist_id) /* a new row (a retry): nothing told yet */
		run->noted_chip = run->noted_mac = false;
	run->noted_id = run->hist_id;
	/* as record_end() will write them */
	chip = b->prog.facts.chip[0] && !run->noted_chip ? b->chip : NULL;
	mac = b->prog.facts.mac[0] && !run->noted_mac ? b->prog.facts.mac : NULL;
	if (!chip && !mac)
		return;
	run->noted_chip |= chip != NULL;
	run->noted_mac |= mac != NULL;
	if (history_note(run->app->hist, run->hist_id, chip, mac, &err) < 0)
		app_history_failed(run->app, "note what a board said in", &err);
	app_history_watch(run->app);
	strbuf_release(&err);
}

void app_history_finish(struct app *app)
{
	if (app && app->hist)
		app_history_settle(app);
}

void app_history_settle(struct app *app)
{
	struct strbuf err = STRBUF_INIT;
	size_t n = history_pending(app->hist);
	int r;

	if (app->hist_retry.armed)
		loop_timer_disarm(app->loop, &app->hist_retry);
	if (!n)
		return;
	r = history_flush(app->hist, &err);
	if (r > 0) {
		app->history_errors++;
		log_msg(LOG_ERROR, NULL,
			"%d %s NOT IN THE FLASH HISTORY '%s': %s; kept in the journal '%s.pending', "
			"which the next flashbay to open the history applies",
			r, plural(r, "RESULT", "RESULTS"), history_path(app->hist), err.buf,
			history_path(app->hist));
	} else if (r < 0) {
		app->history_errors++;
		log_msg(LOG_ERROR, NULL, "%zu %s LOST: cannot write to the flash history: %s",
			n, plural(n, "RESULT", "RESULTS"), err.buf);
	}
	strbuf_release(&err);
}
