/* app-klipper.c - the Klipper plan's batch: the boards picked from the
 * registry, the batch moved on after every loop event (a job's end, a timer,
 * a device event) through its steps - discovery (app-klipper-match.c),
 * builds (app-klipper-build.c), one service stop (app-klipper-service.c),
 * parallel flashes and the reappear check (app-klipper-flash.c), one service
 * start - each board's end on its row, cancel and shutdown, and what the
 * views read (app.h). The attempt's record is app-klipper-attempt.c's. */
#include "autoconf.h"

#include "app-klipper.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "portlock.h"
#include "xalloc.h"

struct app_klipper *klipper_state(struct app *app)
{
	struct app_klipper *ak = plan_state(app, &plan_klipper);

	if (!ak) {
		ak = xcalloc(1, sizeof *ak);
		plan_set_state(app, &plan_klipper, ak);
	}
	return ak;
}

struct kbatch *klipper_batch(const struct app *app)
{
	struct app_klipper *ak = plan_state(app, &plan_klipper);

	return ak ? ak->batch : NULL;
}

void batch_emit(struct kbatch *bt, struct kboard *k, enum app_kevent ev, enum phase ph,
		const char *text)
{
	struct app *app = bt->app;

	if (app->view && app->view->klipper)
		app->view->klipper(app->view_data, k ? &k->pub : NULL, ev, ph, text);
}

void kb_note(struct kbatch *bt, struct kboard *k, enum phase ph, enum log_level lvl,
	     const char *fmt, ...)
{
	va_list ap;
	char *text;

	va_start(ap, fmt);
	text = xvasprintf(fmt, ap);
	va_end(ap);
	log_msg(lvl, NULL, "%s%s%s", k ? k->pub.key : "", k ? ": " : "", text);
	if (k)
		attempt_log(&k->at, "# ", text);
	batch_emit(bt, k, APP_KEV_NOTE, ph, text);
	free(text);
}

size_t batch_count(const struct kbatch *bt, enum kstep step)
{
	size_t n = 0;

	for (size_t i = 0; i < bt->n; i++)
		n += bt->v[i]->step == step;
	return n;
}

/* ------------------------------------------------------------ rows */

void kb_phase(struct kboard *k, enum phase ph)
{
	struct app_board *b = k->run ? k->pub.row : NULL;
	bool changed = k->pub.phase != ph;

	k->pub.phase = ph;
	k->pub.prog.phase = ph;
	if (b) {
		b->state = ph == PHASE_QUEUED ? BOARD_QUEUED : BOARD_RUNNING;
		b->prog = k->pub.prog;
		b->prog.sizes = NULL; /* the row outlives the batch */
		if (changed)
			app_emit(k->batch->app, b, APP_EV_PHASE);
	}
	if (changed)
		batch_emit(k->batch, k, APP_KEV_PHASE, ph, NULL);
}

/* The row of k ends with k's outcome. */
static void row_finish(struct kboard *k)
{
	struct app *app = k->batch->app;
	struct app_board *b = k->pub.row;
	struct app_run *run = k->run;

	b->run = NULL;
	k->run = NULL;
	b->outcome = k->pub.outcome;
	b->state = k->pub.outcome == OUTCOME_OK ? BOARD_PASS : BOARD_FAIL;
	b->prog = k->pub.prog;
	b->prog.sizes = NULL;
	b->prog.phase = PHASE_DONE;
	snprintf(b->message, sizeof b->message, "%.*s", (int)sizeof b->message - 1, k->pub.message);
	b->result_wall_ms = wall_ms();
	b->exit_code = k->exit_code;
	b->duration_ms = k->pub.duration_ms;
	b->done_this_plug = true;
	portlock_release(run->lock);
	app_run_free(run);
	app_refresh_counters(app);
	app_emit(app, b, APP_EV_FINISHED);
	app_emit(app, NULL, APP_EV_HEADER);
}

/* ------------------------------------------------------------ ending a board */

void kb_finish(struct kboard *k, enum outcome o, const char *message, const struct job *job)
{
	struct kbatch *bt = k->batch;
	enum phase at = k->pub.phase;

	if (k->pub.done)
		return;
	kb_keep_output(k, job);
	loop_timer_disarm(bt->app->loop, &k->reappear);
	k->task = NULL;
	k->step = KS_DONE;
	k->pub.done = true;
	k->pub.outcome = o;
	snprintf(k->pub.message, sizeof k->pub.message, "%s",
	         message ? message : outcome_message(o));
	k->pub.duration_ms = now_ms() - k->batch_mono;
	k->pub.phase = PHASE_DONE;
	kb_hist_end(k, o, k->pub.message);
	if (o == OUTCOME_OK)
		log_msg(LOG_INFO, NULL, "%s: PASS %s", k->pub.key, k->pub.message);
	else
		log_msg(LOG_INFO, NULL, "%s: FAIL %s: %s", k->pub.key, outcome_name(o),
		        k->pub.message);
	attempt_log_result(&k->at, o, k->pub.message);
	attempt_close_log(&k->at);
	if (k->run)
		row_finish(k);
	batch_emit(bt, k, APP_KEV_FINISHED, at, NULL);
	app_busy_done(bt->app);
}

void batch_phase_ready(struct kbatch *bt, enum phase ph)
{
	for (size_t i = 0; i < bt->n; i++)
		if (bt->v[i]->step == KS_BUILT)
			kb_phase(bt->v[i], ph);
}

void batch_fail_ready(struct kbatch *bt, enum outcome o, const char *message)
{
	for (size_t i = 0; i < bt->n; i++)
		if (bt->v[i]->step == KS_BUILT)
			kb_finish(bt->v[i], o, message, NULL);
}

/* Stop working on k: now if nothing runs for it, else through its job's end. */
static void kb_cancel(struct kboard *k, const char *why)
{
	struct app *app = k->batch->app;

	k->cancel = true;
	switch (k->step) {
	case KS_DESCRIBE: case KS_OLDDEF: case KS_CLEAN: case KS_BUILD:
		if (k->task)
			runner_cancel(k->batch->builds, k->task);
		break;
	case KS_FLASH:
		if (k->task)
			runner_cancel(app->runner, k->task);
		break;
	case KS_REAPPEAR:
		kb_finish(k, OUTCOME_CANCELLED,
		          "flashed, but cancelled while waiting for it to come back", NULL);
		break;
	case KS_DONE:
		break;
	default:
		kb_finish(k, OUTCOME_CANCELLED, why, NULL);
		break;
	}
}

/* ------------------------------------------------------------ the batch */

void batch_end(struct kbatch *bt)
{
	loop_timer_disarm(bt->app->loop, &bt->kick);
	bt->step = B_DONE;
	svc_release(bt);
	bt->st.active = false;
	batch_emit(bt, NULL, APP_KEV_DONE, PHASE_DONE, NULL);
	app_busy_done(bt->app);
}

/* After the builds: build-only batches end here; flash batches go on to the service. */
static void batch_builds_done(struct kbatch *bt)
{
	if (!bt->opts.flash) {
		for (size_t i = 0; i < bt->n; i++) {
			struct kboard *k = bt->v[i];
			struct strbuf msg = STRBUF_INIT;

			if (k->step != KS_BUILT)
				continue;
			strbuf_addf(&msg, "%s%s, %llu bytes, sha256 %s%s", k->kp.out,
			            k->pub.art.name, (unsigned long long)k->pub.art.size,
			            k->pub.art.sha256, k->pub.cached ? " (from the cache)" : "");
			kb_finish(k, OUTCOME_OK, msg.buf, NULL);
			strbuf_release(&msg);
		}
	} else if (bt->leaving && batch_count(bt, KS_BUILT)) {
		batch_fail_ready(bt, OUTCOME_CANCELLED, "not flashed: flashbay is shutting down");
	} else if (batch_count(bt, KS_BUILT)) {
		svc_begin(bt);
		return;
	}
	batch_end(bt);
}

/* Any board still building? */
static bool batch_building(const struct kbatch *bt)
{
	for (size_t i = 0; i < bt->n; i++)
		if (bt->v[i]->step <= KS_BUILD)
			return true;
	return false;
}

void batch_advance(struct kbatch *bt)
{
	switch (bt->step) {
	case B_BUILD:
		if (!batch_building(bt))
			batch_builds_done(bt);
		break;
	case B_MOONRAKER: case B_ASK: case B_GUARD:
		if (!batch_count(bt, KS_BUILT) || bt->leaving)
			svc_abandon(bt);
		break;
	case B_FLASH:
		if (!batch_count(bt, KS_FLASH)) {
			if (bt->stop_ran)
				svc_restart(bt);
			else
				bt->step = B_VERIFY;
		}
		if (bt->step == B_VERIFY && !batch_count(bt, KS_REAPPEAR))
			batch_end(bt);
		break;
	case B_VERIFY:
		if (!batch_count(bt, KS_REAPPEAR))
			batch_end(bt);
		break;
	default:
		break;
	}
}

/* The first step, from the loop: discovery and config, then the builds. */
static void on_kick(struct loop_timer *t, void *data)
{
	struct kbatch *bt = data;

	(void)t;
	bt->step = B_BUILD;
	if (bt->opts.flash)
		batch_emit(bt, NULL, APP_KEV_PHASE, PHASE_DETECT, NULL);
	for (size_t i = 0; i < bt->n; i++)
		if (!bt->leaving && (!bt->opts.flash || kb_discover(bt->v[i])))
			kb_config(bt->v[i]);
	batch_emit(bt, NULL, APP_KEV_PHASE, PHASE_BUILD, NULL);
	for (size_t i = 0; i < bt->n; i++) {
		struct kboard *k = bt->v[i];

		if (bt->leaving && !k->pub.done)
			kb_finish(k, OUTCOME_CANCELLED, "not started: flashbay is shutting down",
			          NULL);
		if (k->pub.done)
			continue;
		kb_open_log(k);
		k->step = KS_DESCRIBE;
		kb_phase(k, PHASE_BUILD);
		kb_build_submit(k);
	}
	batch_advance(bt);
}

/* Free one board of a batch. */
static void kb_free(struct kboard *k)
{
	if (k->run) {
		/* app_free(): the row must not keep a run we free */
		k->pub.row->run = NULL;
		portlock_release(k->run->lock);
		app_run_free(k->run);
	}
	attempt_close_log(&k->at);
	loop_timer_disarm(k->batch->app->loop, &k->reappear);
	klipper_paths_release(&k->kp);
	strbuf_release(&k->out);
	free(k->pub.key);
	free(k->pub.name);
	free(k->pub.mcu);
	free(k->pub.by_id);
	free(k->pub.returned_as);
	free(k);
}

/* Free a batch (over, or at app_free()). */
static void batch_free(struct kbatch *bt)
{
	if (!bt)
		return;
	loop_timer_disarm(bt->app->loop, &bt->kick);
	svc_release(bt);
	if (bt->job)
		job_free(bt->job);
	runner_free(bt->builds);
	for (size_t i = 0; i < bt->n; i++)
		kb_free(bt->v[i]);
	free(bt->v);
	boards_release(&bt->boards);
	free(bt);
}

/* A board of the batch for registry entry r. */
static struct kboard *kb_new(struct kbatch *bt, const struct board *r)
{
	struct kboard *k = xcalloc(1, sizeof *k);

	k->batch = bt;
	k->reg = r;
	k->pub.key = xstrdup(r->key);
	k->pub.name = xstrdup_or_null(r->name);
	k->pub.mcu = xstrdup(r->mcu);
	k->pub.phase = PHASE_QUEUED;
	k->exit_code = -1;
	k->batch_mono = now_ms();
	strbuf_init(&k->out);
	strvec_init(&k->kp.make);
	loop_timer_init(&k->reappear, kb_reappear_timeout, k);
	flash_progress_init(&k->pub.prog, 0, NULL);
	return k;
}

/* Read the registry and pick the boards asked for; 0 or -errno with why. */
static int batch_pick(struct kbatch *bt, const char *const *keys, size_t n, struct strbuf *why)
{
	int err = boards_load(&bt->boards, why);

	if (err)
		return err;
	if (!bt->boards.n) {
		strbuf_addf(why, "no boards registered in %s (add one with: flashbay board add)",
			    bt->boards.path);
		return -EINVAL;
	}
	for (size_t i = 0; i < (n ? n : bt->boards.n); i++) {
		const struct board *r = n ? boards_find(&bt->boards, keys[i]) : &bt->boards.v[i];
		bool dup = false;

		if (!r) {
			strbuf_addf(why, "no board named '%s' in %s", keys[i], bt->boards.path);
			return -ENOENT;
		}
		for (size_t j = 0; j < bt->n; j++)
			dup |= bt->v[j]->reg == r;
		if (dup)
			continue;
		bt->v = xrealloc(bt->v, (bt->n + 1) * sizeof *bt->v);
		bt->v[bt->n++] = kb_new(bt, r);
	}
	return 0;
}

/* Start a batch for the boards with these keys (n == 0: every registered
 * board), the registry read again first: 0, or -errno with why (app_flash()). */
static int batch_start(struct app *app, const char *const *keys, size_t n,
		       const struct app_klipper_opts *opts, struct strbuf *why)
{
	struct app_klipper *ak = klipper_state(app);
	struct kbatch *bt;
	int r;

	if (app->shutting_down) {
		strbuf_addstr(why, "shutting down");
		return -EPERM;
	}
	if (ak->batch && ak->batch->step != B_DONE) {
		strbuf_addstr(why, "Klipper boards are already being built or flashed");
		return -EBUSY;
	}
	bt = xcalloc(1, sizeof *bt);
	bt->app = app;
	bt->opts = *opts;
	boards_init(&bt->boards, app->cfg->boards_file);
	r = batch_pick(bt, keys, n, why);
	if (r) {
		batch_free(bt);
		return r;
	}
	batch_free(ak->batch);
	ak->batch = bt;
	bt->builds = runner_new(app->loop, KLIPPER_BUILDS_AT_ONCE);
	bt->st.active = true;
	app->busy += bt->n + 1; /* each board, and the batch until its service runs again */
	loop_timer_init(&bt->kick, on_kick, bt);
	loop_timer_arm(app->loop, &bt->kick, 0, 0);
	app_emit(app, NULL, APP_EV_HEADER);
	return 0;
}

/* The same for device rows: each must hold a registered Klipper/Katapult
 * board; else -EINVAL naming the row. */
static int rows_start(struct app *app, struct app_board *const *rows, size_t n,
		      const struct app_klipper_opts *opts, struct strbuf *why)
{
	const char **keys = xcalloc(n ? n : 1, sizeof *keys);
	struct strvec owned = STRVEC_INIT;
	int r = 0;

	for (size_t i = 0; i < n && !r; i++) {
		const char *key = app_klipper_row_key(app, rows[i]);

		if (!rows[i]->dev || !rows[i]->dev->present ||
		    !kind_is_klipper(rows[i]->dev->kind)) {
			strbuf_addf(why, "slot %u holds no Klipper/Katapult board", rows[i]->slot);
			r = -EINVAL;
		} else if (!key) {
			strbuf_addf(
			    why,
			    "slot %u is not a registered board: add it with 'flashbay board add'",
			    rows[i]->slot);
			r = -EINVAL;
		} else {
			keys[i] = strvec_push(&owned, key);
		}
	}
	if (!r)
		r = batch_start(app, keys, n, opts, why);
	free(keys);
	strvec_release(&owned);
	return r;
}

/* ------------------------------------------------------------ for the views */

size_t app_klipper_count(const struct app *app)
{
	return klipper_batch(app) ? klipper_batch(app)->n : 0;
}

struct app_kboard *app_klipper_at(const struct app *app, size_t i)
{
	return i < app_klipper_count(app) ? &klipper_batch(app)->v[i]->pub : NULL;
}

const struct app_klipper_status *app_klipper_status(const struct app *app)
{
	static const struct app_klipper_status none;

	return klipper_batch(app) ? &klipper_batch(app)->st : &none;
}

void app_klipper_answer(struct app *app, bool yes)
{
	struct kbatch *bt = klipper_batch(app);

	if (bt && bt->step == B_ASK)
		svc_answer(bt, yes);
}

/* app_stop() of a row the Klipper plan owns. */
static void klipper_stop(struct app *app, struct app_run *run)
{
	struct kboard *k = run->plan_run;

	(void)app;
	kb_cancel(k, "cancelled");
	batch_advance(k->batch);
}

/* app_shutdown(): cancel the batch's boards (cancel) and start nothing new. */
static void klipper_shutdown(struct app *app, bool cancel)
{
	struct kbatch *bt = klipper_batch(app);

	if (!bt || bt->step == B_DONE)
		return;
	bt->leaving = true;
	if (cancel) {
		bt->st.cancelled = true;
		for (size_t i = 0; i < bt->n; i++)
			kb_cancel(bt->v[i], "cancelled");
	}
	if (bt->step == B_START)
		for (size_t i = 0; i < bt->n; i++)
			kb_finish(bt->v[i], OUTCOME_CANCELLED,
			          "not started: flashbay is shutting down", NULL);
	if (bt->step == B_START)
		batch_end(bt);
	else
		batch_advance(bt);
}

/* Free the plan's state (runs it owns included). */
static void klipper_release(struct app *app)
{
	struct app_klipper *ak = plan_state(app, &plan_klipper);

	if (!ak)
		return;
	batch_free(ak->batch);
	boards_release(&ak->reg);
	free(ak);
	plan_set_state(app, &plan_klipper, NULL);
}

/* The options of order's batch: its own, or the dashboard's. */
static const struct app_klipper_opts *order_opts(const struct flash_order *order)
{
	static const struct app_klipper_opts dashboard = { .flash = true, .ask_unreachable = true };

	return order->klipper ? order->klipper : &dashboard;
}

/* Rows (the dashboard's f): one batch (one service stop) for all. */
static int klipper_flash(struct app *app, struct app_board *const *rows, size_t n,
			 const struct flash_order *order, struct strbuf *why)
{
	return rows_start(app, rows, n, order_opts(order), why) < 0 ? 0 : (int)n;
}

/* Registered boards by key (board flash, board build): one batch. */
static int klipper_flash_named(struct app *app, const struct flash_order *order,
			       struct strbuf *why)
{
	int r = batch_start(app, order->names, order->nnames, order_opts(order), why);

	return r < 0 ? r : (int)klipper_batch(app)->n;
}

const struct plan_ops plan_klipper = {
	.name = "klipper",
	.owns = kind_is_klipper,
	.device_event = klipper_device_event,
	.flash = klipper_flash,
	.flash_named = klipper_flash_named,
	.stop = klipper_stop,
	.shutdown = klipper_shutdown,
	.release = klipper_release,
};
