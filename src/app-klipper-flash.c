/* app-klipper-flash.c - the flash step of the Klipper plan: one flash job
 * per built board (Katapult's flashtool.py, or make flash, with the fallback
 * from one to the other), their progress on the rows, and the reappear check
 * that passes a board once it is back in Klipper mode (device events). */
#include "autoconf.h"

#include "app-klipper.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "path.h"
#include "portlock.h"
#include "xalloc.h"

static void kb_flash(struct kboard *k);

/* ------------------------------------------------------------ where the board is */

/* The by-id path of k's device now (it may have changed), else the one it was found under. */
static const char *kb_device_path(struct kboard *k)
{
	struct devices *devs = k->batch->app->devs;
	char serial[128];

	for (size_t i = 0; i < devices_count(devs); i++) {
		struct device *d = devices_at(devs, i);

		if (d->present && d->by_id && klipper_device_serial(d, serial, sizeof serial) &&
		    !strcmp(serial, k->serial))
			return d->by_id;
	}
	return k->pub.by_id;
}

/* Is a device of k's board in Klipper mode now? */
static bool kb_running_klipper(struct kboard *k)
{
	struct devices *devs = k->batch->app->devs;
	char serial[128];

	for (size_t i = 0; i < devices_count(devs); i++) {
		struct device *d = devices_at(devs, i);

		if (klipper_device_running(d) && klipper_device_serial(d, serial, sizeof serial) &&
		    !strcmp(serial, k->serial))
			return true;
	}
	return false;
}

/* ------------------------------------------------------------ the flash job */

/* The flash job runs: its history row opens. */
static void flash_started(struct runner_task *t, struct job *job, void *data)
{
	struct kboard *k = data;

	(void)t;
	(void)job;
	attempt_clock(&k->at);
	/* leaving counts from here: a board found in Katapult has "left" Klipper already */
	k->left = !kb_running_klipper(k);
	k->back = false;
	k->boot_noted = false;
	kb_hist_begin(k);
	kb_phase(k, PHASE_CONNECT);
	if (k->pub.row)
		app_emit(k->batch->app, k->pub.row, APP_EV_STARTED);
}

/* A line of flashtool.py or make flash: progress for the row and the views. */
static void flash_line(struct runner_task *t, enum job_stream s, const char *line, size_t len,
		       bool partial, void *data)
{
	struct kboard *k = data;
	struct flash_progress before = k->pub.prog;
	struct app_board *b = k->run ? k->pub.row : NULL;

	(void)t;
	k->flasher->parse(&k->pub.prog, s, line, len, partial);
	if (k->pub.prog.phase != before.phase) {
		kb_phase(k, k->pub.prog.phase);
	} else if ((int)k->pub.prog.overall_pct != (int)before.overall_pct) {
		if (b) {
			b->prog = k->pub.prog;
			b->prog.sizes = NULL;
			app_emit(k->batch->app, b, APP_EV_PROGRESS);
		}
		batch_emit(k->batch, k, APP_KEV_PROGRESS, k->pub.phase, NULL);
	}
	if (partial)
		return;
	attempt_output(&k->at, s, line);
	if (log_verbosity() > 0 || k->pub.prog.error != before.error)
		log_msg(k->pub.prog.error != before.error ? LOG_WARN : LOG_INFO, NULL, "[%s] %s",
			k->pub.key, line);
}

/* How the flash job ended, as an outcome and a message. */
static enum outcome flash_judge(struct kboard *k, struct job *job, int err, struct strbuf *msg)
{
	const struct job_status *st = job ? job_status(job) : NULL;
	struct flash_progress *p = &k->pub.prog;
	enum outcome o;

	k->exit_code = st && st->exited && !st->signo ? st->code : -1;
	if (err == -ECANCELED || (st && st->cancelled) || (k->cancel && !st))
		return OUTCOME_CANCELLED;
	if (err) {
		job_spawn_error(msg, k->katapult ? k->batch->app->cfg->python : k->kp.make.v[0],
		                err);
		return OUTCOME_TOOL_MISSING;
	}
	if (st->timed_out) {
		strbuf_addf(msg, "%s timed out after %llu s (at %s, %.0f%%)", kb_method(k),
			    (unsigned long long)k->batch->app->cfg->klipper_flash_timeout_ms / 1000,
			    phase_name(p->phase), p->overall_pct);
		return OUTCOME_TIMEOUT;
	}
	o = k->flasher->finish(p, st);
	if (o == OUTCOME_OK)
		strbuf_addf(msg, "wrote %s %llu bytes with %s in %.1f s", k->pub.art.name,
			    (unsigned long long)k->pub.art.size, kb_method(k),
			    (double)(st->end_ms - st->start_ms) / 1000.0);
	else if (p->message[0])
		strbuf_addstr(msg, p->message);
	return o;
}

/* ------------------------------------------------------------ after the flash: back, or fall back */

void kb_reappear_timeout(struct loop_timer *t, void *data)
{
	struct kboard *k = data;
	struct strbuf msg = STRBUF_INIT;

	(void)t;
	strbuf_addf(&msg, "flashed, but it did not come back as a Klipper device with serial %s "
		    "within %llu s (is the firmware right for the board? see [klipper] "
		    "reappear_timeout)", k->serial,
		    (unsigned long long)k->batch->app->cfg->reappear_timeout_ms / 1000);
	kb_finish(k, OUTCOME_DID_NOT_RETURN, msg.buf, NULL);
	strbuf_release(&msg);
	batch_advance(k->batch);
}

/* k is back in Klipper mode after its flash: PASS. */
static void kb_pass(struct kboard *k)
{
	struct strbuf msg = STRBUF_INIT;

	strbuf_addf(&msg, "back as %s; %s %llu bytes, sha256 %.16s", k->pub.returned_as ?
		    path_basename(k->pub.returned_as) : "Klipper", k->pub.art.name,
		    (unsigned long long)k->pub.art.size, k->pub.art.sha256);
	kb_finish(k, OUTCOME_OK, msg.buf, NULL);
	strbuf_release(&msg);
}

/* The flash worked: wait for the board to come back (it may be back already). */
static void kb_wait_reappear(struct kboard *k, const char *what)
{
	k->step = KS_REAPPEAR;
	kb_phase(k, PHASE_REAPPEAR);
	kb_note(k->batch, k, PHASE_REAPPEAR, LOG_INFO, "%s; waiting for it to come back", what);
	if (k->back)
		kb_pass(k);
	else
		loop_timer_arm(k->batch->app->loop, &k->reappear,
			       k->batch->app->cfg->reappear_timeout_ms, 0);
}

/* Should a failed Katapult flash be tried again with make flash? */
static bool kb_fall_back(struct kboard *k, enum outcome o)
{
	/* the bootloader saw another MCU: make flash would write the wrong firmware too */
	return k->katapult && k->may_fall_back && !k->cancel && !k->batch->leaving &&
	       o != OUTCOME_CANCELLED && o != OUTCOME_MCU_MISMATCH;
}

/* The flash job ended: wait for the board, fall back to make flash, or fail. */
static void flash_done(struct runner_task *t, struct job *job, int err, void *data)
{
	struct kboard *k = data;
	struct strbuf msg = STRBUF_INIT;
	enum outcome o = flash_judge(k, job, err, &msg);

	(void)t;
	k->task = NULL;
	kb_keep_output(k, job);
	if (o == OUTCOME_OK) {
		kb_wait_reappear(k, msg.buf);
	} else if (kb_fall_back(k, o)) {
		kb_hist_end(k, o, msg.buf);
		kb_note(k->batch, k, PHASE_FLASH, LOG_WARN,
		        "Katapult failed (%s: %s); trying make flash", outcome_name(o), msg.buf);
		k->katapult = false;
		k->pub.fell_back = true;
		kb_flash(k);
	} else {
		if (o == OUTCOME_CANCELLED && !msg.len)
			strbuf_addstr(&msg, "cancelled while flashing");
		kb_finish(k, o, msg.buf, job);
	}
	strbuf_release(&msg);
	batch_advance(k->batch);
}

static const struct runner_ops flash_ops = { flash_started, flash_line, flash_done };

/* ------------------------------------------------------------ queueing the flashes */

/* Queue k's flash job: Katapult or make flash (k->katapult). */
static void kb_flash(struct kboard *k)
{
	struct app *app = k->batch->app;
	struct job_spec spec = JOB_SPEC_INIT;
	const char *dev = kb_device_path(k);
	struct flash_request req = { .port = dev, .kp = &k->kp, .python = app->cfg->python,
				     .tool_dir = app->cfg->katapult_dir, .artifact = k->pub.art.path,
				     .timeout_ms = app->cfg->klipper_flash_timeout_ms };

	k->step = KS_FLASH;
	k->flasher = flasher_find(k->katapult ? "katapult" : "make-flash");
	k->pub.method = k->flasher->method;
	k->flasher->spec(&req, &spec);
	flash_progress_init(&k->pub.prog, 1, &k->pub.art.size);
	k->pub.prog.phase = PHASE_QUEUED;
	kb_phase(k, PHASE_FLASH);
	kb_note(k->batch, k, PHASE_FLASH, LOG_INFO, "%s %s via %s", k->pub.method, k->pub.art.name,
		dev);
	kb_log_spec(k, &spec);
	spec.tail_lines = 40;
	spec.keep_fd = k->run ? portlock_fd(k->run->lock) : -1; /* held while the tool lives */
	k->task = runner_submit(app->runner, &spec, k->run ? k->run->lock_key : dev, &flash_ops, k);
}

void batch_flash_all(struct kbatch *bt)
{
	bt->step = B_FLASH;
	batch_emit(bt, NULL, APP_KEV_PHASE, PHASE_FLASH, NULL);
	for (size_t i = 0; i < bt->n; i++)
		if (bt->v[i]->step == KS_BUILT)
			kb_flash(bt->v[i]);
	batch_advance(bt);
}

/* ------------------------------------------------------------ device events */

/* k's device went away or showed up in its bootloader while flashing or after. */
static void kb_left(struct kboard *k, const struct device *d, enum app_event ev)
{
	k->left = true;
	if (ev == APP_EV_ATTACHED && !k->boot_noted) {
		k->boot_noted = true;
		kb_note(k->batch, k, k->pub.phase, LOG_INFO, "the board is in its bootloader as %s",
			d->by_id ? path_basename(d->by_id) : d->devnode);
	} else if (ev == APP_EV_DETACHED) {
		kb_note(k->batch, k, k->pub.phase, LOG_INFO, "the board went away (rebooting)");
	}
}

void klipper_device_event(struct app *app, struct device *d, enum app_event ev)
{
	struct kbatch *bt = klipper_batch(app);
	char serial[128];
	bool passed = false;

	if (ev == APP_EV_ATTACHED && kind_is_klipper(d->kind))
		klipper_row_facts(app, d);
	if (!bt || bt->step == B_DONE || !klipper_device_serial(d, serial, sizeof serial))
		return;
	for (size_t i = 0; i < bt->n; i++) {
		struct kboard *k = bt->v[i];

		if ((k->step != KS_FLASH && k->step != KS_REAPPEAR) || strcmp(serial, k->serial))
			continue;
		if (ev != APP_EV_ATTACHED || !klipper_device_running(d)) {
			kb_left(k, d, ev);
		} else if (k->left && !k->back) {
			k->back = true;
			free(k->pub.returned_as);
			k->pub.returned_as = xstrdup_or_null(d->by_id);
			if (k->step == KS_REAPPEAR) {
				kb_pass(k);
				passed = true;
			}
		}
	}
	if (passed)
		batch_advance(bt);
}
