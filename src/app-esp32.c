/* app-esp32.c - the ESP32 plan: find esptool and its version once, then one
 * esptool job per board (with one lower-baud retry after a sync failure).
 * Its state (struct esp32_state) and each run's (struct esp32_run) are
 * private to this file. */
#include "autoconf.h"

#include "app-internal.h"

#include "app-esp32-test.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app-esp32-unit.h"
#include "clock.h"
#include "config.h"
#include "esptool.h"
#include "log.h"
#include "plan.h"
#include "loop.h"
#include "portlock.h"
#include "str.h"
#include "unit.h"
#include "xalloc.h"

enum tool_state { TOOL_UNKNOWN, TOOL_DETECTING, TOOL_READY, TOOL_FAILED };

/* The plan's state in an app (plan_state(), set up by esp32_init): the
 * esptool it found and the runs waiting for its version. */
struct esp32_state {
	struct esptool tool;
	enum tool_state tool_state;
	struct strbuf tool_error;
	struct app_run *waiting; /* runs waiting for the tool's version */
};

/* The plan's own state of one run (app_run.plan_run): what only an ESP32
 * attempt needs. A new field: add it here, set it up in esp32_run_new(),
 * free what it owns in esp32_run_free(); the engine never looks inside. */
struct esp32_run {
	const struct flasher *flasher; /* the flasher of its job (set by submit()) */
	unsigned baud;       /* the baud of its job: [esp32] baud, then retry_baud */
	bool retried;        /* this is the automatic lower-baud retry */
	bool cancel;         /* asked to stop */
	bool unplugged;      /* its board expired while it ran */
	bool port_seen;      /* the port existed when the job started */
	double line_pct;     /* image_pct after the last complete line of output */
	struct app_run *next; /* the waiting list (esp32_state.waiting) */
	const char *method;  /* recorded instead of the flasher's ("identical"), or NULL */
	bool checking;       /* the job is skip_identical's verify pass (esptool v4) */
	bool differs;        /* that pass found the flash differs: write */
	struct esp32_test *test; /* the test after flashing, while it runs (app-esp32-test.h) */
	bool reading_mac;    /* its job is [unit]'s read_mac (app-esp32-unit.h) */
	struct esp32_unit *unit; /* its per-unit step, once begun */
};

static void submit(struct app *app, struct app_run *run);

static struct esp32_state *esp(const struct app *app)
{
	return plan_state(app, &plan_esp32);
}

static struct esp32_run *er(const struct app_run *run)
{
	return run->plan_run;
}

/* Fail every run waiting for the tool with the tool's error. */
static void fail_waiting(struct app *app, enum outcome o)
{
	struct esp32_state *es = esp(app);

	while (es->waiting) {
		struct app_run *run = es->waiting;

		es->waiting = er(run)->next;
		er(run)->next = NULL;
		app_run_finish(run, o, es->tool_error.buf, NULL);
	}
}

/* Queue every waiting run now that the version is known. */
static void submit_waiting(struct app *app)
{
	struct esp32_state *es = esp(app);

	while (es->waiting) {
		struct app_run *run = es->waiting;

		es->waiting = er(run)->next;
		er(run)->next = NULL;
		submit(app, run);
	}
}

static void detect_line(struct runner_task *t, enum job_stream s, const char *line, size_t len,
			bool partial, void *data)
{
	struct app *app = data;

	(void)t;
	(void)s;
	(void)len;
	if (!partial && !esp(app)->tool.major)
		esptool_parse_version(&esp(app)->tool, line);
}

static void detect_done(struct runner_task *t, struct job *job, int err, void *data)
{
	struct app *app = data;
	struct esp32_state *es = esp(app);
	char *cmd = strvec_join(&es->tool.cmd, " ");

	(void)t;
	if (es->tool.major) {
		es->tool_state = TOOL_READY;
		log_msg(LOG_INFO, NULL, "using %s (esptool v%s)", cmd, es->tool.version);
		submit_waiting(app);
	} else {
		es->tool_state = TOOL_FAILED;
		strbuf_reset(&es->tool_error);
		if (err && err != -ECANCELED) {
			job_spawn_error(&es->tool_error, es->tool.cmd.v[0], err);
		} else {
			strbuf_addf(&es->tool_error, "cannot tell the version of '%s'", cmd);
			if (job && tail_count(job_tail(job)))
				strbuf_addf(&es->tool_error, ": %s",
					    tail_get(job_tail(job), tail_count(job_tail(job)) - 1));
		}
		log_msg(LOG_ERROR, NULL, "%s", es->tool_error.buf);
		fail_waiting(app, err == -ECANCELED ? OUTCOME_CANCELLED : OUTCOME_TOOL_MISSING);
	}
	free(cmd);
}

static const struct runner_ops detect_ops = { NULL, detect_line, detect_done };

/* Find esptool and start asking its version (once). */
static void start_detect(struct app *app)
{
	struct esp32_state *es = esp(app);
	struct job_spec spec = JOB_SPEC_INIT;

	if (esptool_resolve(&es->tool, app->cfg->esptool, &es->tool_error) < 0) {
		es->tool_state = TOOL_FAILED;
		log_msg(LOG_ERROR, NULL, "%s", es->tool_error.buf);
		fail_waiting(app, OUTCOME_TOOL_MISSING);
		return;
	}
	es->tool_state = TOOL_DETECTING;
	esptool_version_spec(&es->tool, &spec);
	spec.timeout_ms = 30000;
	runner_submit(app->runner, &spec, NULL, &detect_ops, app);
}

/* Find esptool and ask its version now, before the first board needs it
 * (monitor mode: the first plug-in need not wait; a missing tool shows early). */
static void esp32_prepare(struct app *app)
{
	if (esp(app)->tool_state == TOOL_UNKNOWN)
		start_detect(app);
}

/* Why the version check found no esptool: its error, or the time out. */
static int check_failed(struct app *app, uint64_t timeout_ms, struct strbuf *err)
{
	char *cmd;

	if (esp(app)->tool_state == TOOL_FAILED) {
		strbuf_addstr(err, esp(app)->tool_error.buf);
		return -ENOENT;
	}
	cmd = strvec_join(&esp(app)->tool.cmd, " ");
	strbuf_addf(err, "'%s version' did not answer within %llu s (is it esptool? set [esp32] esptool)",
		    cmd, (unsigned long long)(timeout_ms + 999) / 1000);
	free(cmd);
	return -ETIMEDOUT;
}

int app_esptool_check(struct app *app, uint64_t timeout_ms,
		      void (*slow)(const char *cmd, void *data), void *data, struct strbuf *err)
{
	uint64_t start = now_ms(), slow_at = start + timeout_ms / 5, end = start + timeout_ms;
	struct esp32_state *es = esp(app);
	bool told = false;

	esp32_prepare(app);
	while (es->tool_state == TOOL_DETECTING) {
		uint64_t now = now_ms();

		if (now >= end)
			break;
		if (!told && now >= slow_at) {
			char *cmd = strvec_join(&es->tool.cmd, " ");

			told = true;
			if (slow)
				slow(cmd, data);
			free(cmd);
		}
		loop_iterate(app->loop, (int)((told ? end : slow_at) - now));
	}
	return es->tool_state == TOOL_READY ? 0 : check_failed(app, timeout_ms, err);
}

/* Submit run now, fail it, or wait for the tool's version. */
static void esp32_queue(struct app *app, struct app_run *run)
{
	struct esp32_state *es = esp(app);

	switch (es->tool_state) {
	case TOOL_READY:
		submit(app, run);
		return;
	case TOOL_FAILED:
		app_run_finish(run, OUTCOME_TOOL_MISSING, es->tool_error.buf, NULL);
		return;
	default:
		er(run)->next = es->waiting;
		es->waiting = run;
		if (es->tool_state == TOOL_UNKNOWN)
			start_detect(app);
	}
}

/* Take a run off the waiting list and end it (cancelled or unplugged). */
static void esp32_cancel_waiting(struct app *app, struct app_run *run)
{
	for (struct app_run **pp = &esp(app)->waiting; *pp; pp = &er(*pp)->next) {
		if (*pp == run) {
			*pp = er(run)->next;
			app_run_finish(run, er(run)->unplugged ? OUTCOME_UNPLUGGED : OUTCOME_CANCELLED,
				       NULL, NULL);
			return;
		}
	}
}

/* The plan's state: no esptool found yet. */
static void esp32_init(struct app *app)
{
	struct esp32_state *es = xcalloc(1, sizeof *es);

	esptool_init(&es->tool);
	strbuf_init(&es->tool_error);
	plan_set_state(app, &plan_esp32, es);
}

/* Free the plan's state. */
static void esp32_release(struct app *app)
{
	struct esp32_state *es = esp(app);

	if (!es)
		return;
	/* runs still waiting are freed with their boards by app_free() */
	esptool_release(&es->tool);
	strbuf_release(&es->tool_error);
	free(es);
	plan_set_state(app, &plan_esp32, NULL);
}

/* A run's own state: its first job at [esp32] baud. */
static struct app_run *esp32_run_new(struct app *app, struct app_board *b)
{
	struct app_run *run = app_run_new(app, b);
	struct esp32_run *e = xcalloc(1, sizeof *e);

	e->baud = app->cfg->baud;
	run->plan_run = e;
	return run;
}

static void esp32_run_free(struct app_run *run)
{
	if (run->plan_run) {
		esp32_test_free(er(run)->test);
		esp32_unit_free(er(run)->unit);
	}
	free(run->plan_run);
	run->plan_run = NULL;
}

/* What its history row says of how it was flashed. */
static void esp32_row_facts(const struct app_run *run, struct attempt *a)
{
	const struct esp32_run *e = er(run);

	a->method = e->method ? e->method : e->flasher ? e->flasher->method : "esptool";
}

/* Does the port's path (or what its link points to) exist? */
static bool port_exists(const char *port)
{
	struct stat st;

	return stat(port, &st) == 0;
}

/* The images its flash writes: with [unit], the firmware and its unit image. */
static const struct firmware *run_fw(const struct app_run *run)
{
	const struct firmware *fw = esp32_unit_firmware(er(run)->unit);

	return fw ? fw : &run->app->fw;
}

static void run_started(struct runner_task *t, struct job *job, void *data)
{
	struct app_run *run = data;
	struct app_board *b = run->b;
	const struct firmware *fw = run_fw(run);
	bool mac = er(run)->reading_mac;

	(void)t;
	(void)job;
	flash_progress_init(&b->prog, mac ? 0 : (int)fw->n, mac ? NULL : fw->sizes);
	b->prog.phase = mac ? PHASE_UNIT : PHASE_CONNECT;
	b->state = BOARD_RUNNING;
	er(run)->port_seen = port_exists(run->port);
	er(run)->line_pct = 0;
	if (run->started) { /* after [unit]'s step or skip_identical's verify pass: the same attempt */
		app_emit(run->app, b, APP_EV_PHASE);
		return;
	}
	b->run_start_ms = now_ms();
	app_run_started(run);
	app_emit(run->app, b, APP_EV_STARTED);
}

/* Tell the view what a line changed; facts go on the row at once. */
static void announce(struct app_run *run, const struct flash_progress *before)
{
	struct app_board *b = run->b;
	const struct flash_progress *p = &b->prog;
	bool facts = memcmp(&p->facts, &before->facts, sizeof p->facts) != 0;

	if (facts)
		app_board_keep_facts(b);
	if (p->phase != before->phase || p->image != before->image)
		app_emit(run->app, b, APP_EV_PHASE);
	else if (p->overall_pct != before->overall_pct || p->verified != before->verified || facts)
		app_emit(run->app, b, APP_EV_PROGRESS);
}

static void run_line(struct runner_task *t, enum job_stream s, const char *line, size_t len,
		     bool partial, void *data)
{
	struct app_run *run = data;
	struct app_board *b = run->b;
	struct flash_progress before = b->prog;
	bool progress;

	(void)t;
	er(run)->flasher->parse(&b->prog, s, line, len, partial);
	/* a partial line is a progress bar drawn before its terminator: it is
	 * news now (its completed line repeats it and changes nothing) */
	announce(run, &before);
	if (partial)
		return;
	/* progress bars are not worth a log line; errors are */
	progress = b->prog.image_pct != er(run)->line_pct;
	er(run)->line_pct = b->prog.image_pct;
	if (!progress || b->prog.error != before.error)
		/* skip_identical's verify pass failing is news only if not a mismatch */
		app_run_output(run, s, line, b->prog.error != before.error &&
				   !(er(run)->checking && b->prog.error == OUTCOME_VERIFY_FAILED));
	else
		attempt_log(&run->at, "", line);
}

/* "<what it means>: <what the tool said>" (the tool's words alone for other). */
static void describe_failure(struct strbuf *msg, enum outcome o, const char *tool)
{
	static const char prefix[] = "A fatal error occurred: ";

	if (str_starts_with(tool, prefix))
		tool += sizeof prefix - 1;
	if (o != OUTCOME_OTHER)
		strbuf_addf(msg, "%s: ", outcome_message(o));
	strbuf_addstr(msg, tool);
}

/* Did the port go away during the attempt: the device layer saw it leave
 * for good, or its path, there when the job started, is gone now? */
static bool port_went_away(const struct app_run *run)
{
	if (run->detached && !(run->b->dev && run->b->dev->present))
		return true;
	return er(run)->port_seen && !port_exists(run->port);
}

/* A run stopped by the user, or because its board left for good: then
 * where it was, and the tool's words if it had any. */
static enum outcome stopped(struct app_run *run, struct strbuf *msg)
{
	const struct flash_progress *p = &run->b->prog;

	if (!er(run)->unplugged)
		return OUTCOME_CANCELLED;
	strbuf_addf(msg, "%s (gone at %s, %.0f%%)", outcome_message(OUTCOME_UNPLUGGED),
		    phase_name(p->phase), p->overall_pct);
	if (p->message[0])
		strbuf_addf(msg, ": %s", p->message);
	return OUTCOME_UNPLUGGED;
}

/* How the job ended, as an outcome and a message. */
static enum outcome judge(struct app_run *run, struct job *job, int err, struct strbuf *msg)
{
	const struct job_status *st = job ? job_status(job) : NULL;
	struct flash_progress *p = &run->b->prog;
	enum outcome o;

	if (err == -ECANCELED)
		return stopped(run, msg);
	if (err) {
		job_spawn_error(msg, esp(run->app)->tool.cmd.v[0], err);
		return OUTCOME_TOOL_MISSING;
	}
	if (st->timed_out) {
		strbuf_addf(msg, "timed out after %llu s (at %s, %.0f%%)",
			    (unsigned long long)run->app->cfg->flash_timeout_ms / 1000,
			    phase_name(p->phase), p->overall_pct);
		return OUTCOME_TIMEOUT;
	}
	if (st->cancelled)
		return stopped(run, msg);
	o = er(run)->flasher->finish(p, st);
	if (o != OUTCOME_OK && port_went_away(run))
		o = OUTCOME_UNPLUGGED;
	if (o == OUTCOME_OK)
		strbuf_addf(msg, "wrote %llu bytes in %.1f s", (unsigned long long)p->bytes_written,
			    (double)(st->end_ms - st->start_ms) / 1000.0);
	else if (p->message[0])
		describe_failure(msg, o, p->message);
	return o;
}

/* Sync failures may go away at a lower baud: try once more there? */
static bool should_retry(struct app_run *run, enum outcome o)
{
	unsigned retry = run->app->cfg->retry_baud;

	return (o == OUTCOME_NO_SYNC || o == OUTCOME_STOPPED_RESPONDING) && retry &&
	       retry < er(run)->baud && !er(run)->retried && !er(run)->cancel &&
	       !run->app->shutting_down &&
	       run->b->dev && run->b->dev->present;
}

/* esptool ended with o: ok goes on to the test after flashing (if on);
 * an ok that wrote nothing (every image already in flash) is "identical". */
static void ended(struct app_run *run, enum outcome o, const char *msg, struct job *job)
{
	const struct flash_progress *p = &run->b->prog;
	struct esp32_run *e = er(run);
	char *same = NULL;

	if (o == OUTCOME_OK && p->images > 0 && p->skipped >= p->images) {
		e->method = "identical";
		same = xasprintf("identical: every image (%d) is in flash already (MD5); nothing written",
				 p->images);
		msg = same;
	}
	if (o != OUTCOME_OK || e->cancel || e->unplugged || !esp32_test_begin(run, &e->test, msg, job))
		app_run_finish(run, o, msg, job);
	free(same);
}

/* skip_identical's verify pass (esptool v4) ended: exit 0 means every
 * image is in flash already; a mismatch starts the write in the same
 * attempt. false: judge it as any failure (no sync...). */
static bool checked(struct app_run *run, struct job *job, int err)
{
	const struct job_status *st = job && !err ? job_status(job) : NULL;
	struct flash_progress *p = &run->b->prog;

	er(run)->checking = false;
	if (!st || st->timed_out || st->cancelled || er(run)->cancel)
		return false;
	if (st->exited && st->code == 0 && !st->signo) {
		p->skipped = p->verified = p->images;
		ended(run, OUTCOME_OK, NULL, job);
		return true;
	}
	if (p->error != OUTCOME_VERIFY_FAILED)
		return false;
	er(run)->differs = true;
	attempt_log(&run->at, "", "skip_identical: the flash differs from the images; writing them");
	submit(run->app, run);
	return true;
}

/* [unit]'s step is over: flash, or end the attempt. */
static void unit_done(struct app_run *run, enum outcome o, const char *message)
{
	struct strbuf msg = STRBUF_INIT;

	run->task = NULL;
	if (o == OUTCOME_OK && !er(run)->cancel) {
		submit(run->app, run);
		return;
	}
	if (o == OUTCOME_OK || o == OUTCOME_CANCELLED) {
		o = stopped(run, &msg);
		message = msg.len ? msg.buf : NULL;
	}
	app_run_finish(run, o, message, NULL);
	strbuf_release(&msg);
}

/* read_mac told the chip and MAC: [unit]'s serial and command. */
static void unit_step(struct app_run *run, const struct job *job)
{
	struct strbuf err = STRBUF_INIT;

	er(run)->reading_mac = false;
	run->task = NULL;
	run->b->prog.phase = PHASE_UNIT; /* read_mac's end said Done: the step goes on */
	if (esp32_unit_start(&er(run)->unit, run, unit_done, &run->task, &err) < 0)
		app_run_finish(run, OUTCOME_UNIT_FAILED, err.buf, job);
	else /* with its serial now */
		app_emit(run->app, run->b, APP_EV_PHASE);
	strbuf_release(&err);
}

static void run_done(struct runner_task *t, struct job *job, int err, void *data)
{
	struct app_run *run = data;
	struct strbuf msg = STRBUF_INIT;
	enum outcome o;

	(void)t;
	if (er(run)->checking && checked(run, job, err))
		return;
	o = judge(run, job, err, &msg);
	if (o == OUTCOME_OK && er(run)->reading_mac) {
		unit_step(run, job);
	} else if (should_retry(run, o)) {
		log_msg(LOG_WARN, NULL, "slot %u: %s at %u baud; retrying once at %u baud", run->slot,
			outcome_name(o), er(run)->baud, run->app->cfg->retry_baud);
		app_run_rearm(run, o, msg.len ? msg.buf : NULL, job);
		er(run)->retried = true;
		er(run)->baud = run->app->cfg->retry_baud;
		run->b->attempts++;
		submit(run->app, run);
	} else {
		ended(run, o, msg.len ? msg.buf : NULL, job);
	}
	strbuf_release(&msg);
}

static const struct runner_ops run_ops = { run_started, run_line, run_done };

/* Lock the port and queue the esptool job. */
static void submit(struct app *app, struct app_run *run)
{
	const struct config *cfg = app->cfg;
	struct job_spec spec = JOB_SPEC_INIT;
	struct strbuf err = STRBUF_INIT;
	struct flash_request req = {
		.port = run->port,
		.tool = &esp(app)->tool.cmd,
		.timeout_ms = cfg->flash_timeout_ms,
		.baud = er(run)->baud,
		.chip = cfg->chip,
		.before = cfg->before,
		.after = cfg->after,
		.connect_attempts = cfg->connect_attempts,
		.flash_mode = cfg->flash_mode,
		.flash_freq = cfg->flash_freq,
		.flash_size = cfg->flash_size,
		.erase_all = cfg->erase == ERASE_ALL,
		.fw = run_fw(run),
		.skip_identical = cfg->skip_identical,
	};

	if (!run->lock) {
		int r = portlock_acquire(app->lock_dir, run->port, &run->lock, &err);

		if (r < 0) {
			app_run_finish(run, r == -EBUSY ? OUTCOME_PORT_BUSY : OUTCOME_OTHER, err.buf,
				       NULL);
			strbuf_release(&err);
			return;
		}
	}
	er(run)->flasher = esptool_flasher(&esp(app)->tool);
	/* [unit]: the chip and MAC first, once per attempt (app-esp32-unit.h) */
	er(run)->reading_mac = unit_enabled(cfg) && !esp32_unit_firmware(er(run)->unit);
	/* esptool v4 has no --skip-flashed: a verify_flash first */
	er(run)->checking = !er(run)->reading_mac && req.skip_identical && !req.erase_all &&
			    esp(app)->tool.major < 5 && !er(run)->differs;
	req.verify_only = er(run)->checking;
	if (er(run)->reading_mac)
		esptool_read_mac_spec(&esp(app)->tool, &req, &spec);
	else
		er(run)->flasher->spec(&req, &spec);
	spec.tail_lines = 40;
	spec.keep_fd = portlock_fd(run->lock); /* locked while esptool lives, even if we die */
	run->task = runner_submit(app->runner, &spec, run->lock_key, &run_ops, run);
	strbuf_release(&err);
}

/* Queue one board (its row checked by the engine). */
static int esp32_flash_one(struct app *app, struct app_board *b, struct strbuf *why)
{
	struct app_run *run;

	if (!app->fw.n) {
		strbuf_addstr(why, "no firmware chosen");
		return -ENOENT;
	}
	if (app->history_errors) {
		strbuf_addstr(why, "the history cannot be written (see the log); not starting new attempts");
		return -EIO;
	}
	run = esp32_run_new(app, b);
	b->run = run;
	b->state = BOARD_QUEUED;
	b->attempts++;
	flash_progress_init(&b->prog, (int)app->fw.n, NULL);
	b->prog.phase = PHASE_QUEUED;
	app->busy++;
	app_emit(app, b, APP_EV_QUEUED);
	esp32_queue(app, run);
	return 0;
}

/* Queue each row; one line in why per refusal. */
static int esp32_flash(struct app *app, struct app_board *const *rows, size_t n,
		       const struct flash_order *order, struct strbuf *why)
{
	int queued = 0;

	(void)order; /* no per-kind options yet */

	for (size_t i = 0; i < n; i++) {
		struct strbuf one = STRBUF_INIT;

		if (esp32_flash_one(app, rows[i], &one) == 0)
			queued++;
		else
			strbuf_addf(why, "%s%s", why->len ? "\n" : "", one.buf);
		strbuf_release(&one);
	}
	return queued;
}

/* Cancel a run: its job, or its place on the waiting list. */
static void esp32_stop(struct app *app, struct app_run *run)
{
	er(run)->cancel = true;
	if (er(run)->test)
		esp32_test_stop(&er(run)->test, er(run)->unplugged);
	else if (run->task)
		runner_cancel(app->runner, run->task);
	else
		esp32_cancel_waiting(app, run);
}

/* The board is gone for good: do not wait for the tool to notice. */
static void esp32_run_expired(struct app *app, struct app_run *run)
{
	er(run)->unplugged = true;
	esp32_stop(app, run);
}

/* Queued attempts never start once we are leaving; running ones stop if cancel. */
static void esp32_shutdown(struct app *app, bool cancel)
{
	for (size_t i = 0; i < app->nboards; i++) {
		struct app_run *run = app->boards[i]->run;

		if (run && run->plan == &plan_esp32 && (cancel || !run->started))
			esp32_stop(app, run);
	}
}

const struct plan_ops plan_esp32 = {
	.name = "esp32",
	.owns = kind_is_esp32,
	.auto_flash = true,
	.init = esp32_init,
	.prepare = esp32_prepare,
	.flash = esp32_flash,
	.stop = esp32_stop,
	.run_expired = esp32_run_expired,
	.shutdown = esp32_shutdown,
	.row_facts = esp32_row_facts,
	.run_free = esp32_run_free,
	.release = esp32_release,
};
