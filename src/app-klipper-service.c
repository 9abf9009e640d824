/* app-klipper-service.c - around the flashes of a Klipper batch: Moonraker's
 * print state, the service guard, ONE systemctl stop before and ONE start
 * after (see service.h for the guard's guarantee). Every step is a job or an
 * fd on the loop. */
#include "autoconf.h"

#include "app-klipper.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "service.h"
#include "xalloc.h"

/* How long the guard may take to say ready, and Moonraker to answer (the
 * man page promises 3 s). */
#define GUARD_READY_MS 10000
#define MOONRAKER_TIMEOUT_MS 3000

static void guard_begin(struct kbatch *bt);

/* The last line of a finished job's output, or "". */
static const char *last_line(const struct job *job)
{
	const struct tail *t = job_tail(job);

	return tail_count(t) ? tail_get(t, tail_count(t) - 1) : "";
}

/* ------------------------------------------------------------ Moonraker */

/* The answer line of _moonraker-state. */
static void mr_line(struct job *job, enum job_stream s, const char *line, size_t len,
		    bool partial, void *data)
{
	struct kbatch *bt = data;

	(void)job;
	(void)len;
	if (s == JOB_STDOUT && !partial)
		moonraker_parse_line(&bt->mr, line);
}

/* Moonraker could not say (unreachable, bad reply, no libcurl): force, ask or refuse. */
static void mr_unknown(struct kbatch *bt)
{
	const char *url = bt->app->cfg->moonraker;
	char *names = service_names(bt->app->cfg);
	struct strbuf msg = STRBUF_INIT;

	strbuf_addf(&msg, "cannot ask Moonraker at %s whether the printer is busy: %s", url,
		    bt->mr.message[0] ? bt->mr.message : "no answer");
	if (bt->opts.force) {
		kb_note(bt, NULL, PHASE_SERVICE, LOG_WARN, "%s; --force: flashing anyway", msg.buf);
		guard_begin(bt);
	} else if (bt->opts.ask_unreachable) {
		bt->step = B_ASK;
		strbuf_addf(&msg, ". Stop %s and flash anyway?", names);
		batch_emit(bt, NULL, APP_KEV_QUESTION, PHASE_SERVICE, msg.buf);
	} else {
		strbuf_addf(&msg,
		            "; not stopping %s without knowing (check [klipper] moonraker, or "
		            "use --force)",
		            names);
		batch_fail_ready(bt, OUTCOME_OTHER, msg.buf);
		batch_end(bt);
	}
	free(names);
	strbuf_release(&msg);
}

/* Act on Moonraker's verdict. */
static void mr_decide(struct kbatch *bt, enum moonraker_verdict v)
{
	char *names = service_names(bt->app->cfg);
	struct strbuf msg = STRBUF_INIT;

	if (v == MOONRAKER_IDLE) {
		kb_note(bt, NULL, PHASE_SERVICE, LOG_INFO, "Moonraker: the printer is %s",
			bt->mr.state);
		guard_begin(bt);
	} else if (v == MOONRAKER_BUSY && bt->opts.force) {
		kb_note(bt, NULL, PHASE_SERVICE, LOG_WARN,
			"Moonraker: the printer is %s; --force: flashing anyway", bt->mr.state);
		guard_begin(bt);
	} else if (v == MOONRAKER_BUSY) {
		strbuf_addf(&msg,
		            "the printer is %s (Moonraker at %s); not stopping %s: wait until "
		            "it is done, or use --force",
		            bt->mr.state, bt->app->cfg->moonraker, names);
		batch_fail_ready(bt, OUTCOME_PRINTER_BUSY, msg.buf);
		batch_end(bt);
	} else {
		mr_unknown(bt);
	}
	free(names);
	strbuf_release(&msg);
}

/* Moonraker answered (or not). */
static void mr_done(struct job *job, void *data)
{
	struct kbatch *bt = data;
	enum moonraker_verdict v = moonraker_finish(&bt->mr, job_status(job));
	bool cancelled = job_status(job)->cancelled;

	bt->job = NULL;
	job_free(job);
	if (cancelled || bt->leaving || !batch_count(bt, KS_BUILT)) {
		batch_fail_ready(bt, OUTCOME_CANCELLED, "not flashed: flashbay is shutting down");
		batch_end(bt);
		return;
	}
	mr_decide(bt, v);
}

static const struct job_ops mr_ops = { mr_line, mr_done };

void svc_begin(struct kbatch *bt)
{
	const struct config *cfg = bt->app->cfg;
	struct job_spec spec = JOB_SPEC_INIT;
	int r;

	batch_emit(bt, NULL, APP_KEV_PHASE, PHASE_SERVICE, NULL);
	batch_phase_ready(bt, PHASE_SERVICE);
	if (!cfg->moonraker || !*cfg->moonraker) {
		guard_begin(bt);
		return;
	}
	bt->step = B_MOONRAKER;
	memset(&bt->mr, 0, sizeof bt->mr);
	kb_note(bt, NULL, PHASE_SERVICE, LOG_INFO,
	        "asking Moonraker at %s whether the printer is busy", cfg->moonraker);
	moonraker_spec(cfg->moonraker, MOONRAKER_TIMEOUT_MS, NULL, &spec);
	r = job_start(bt->app->loop, &spec, &mr_ops, bt, &bt->job);
	if (r) {
		struct strbuf err = STRBUF_INIT;

		job_spawn_error(&err, spec.argv.v[0], r);
		bt->mr.verdict = MOONRAKER_UNREACHABLE;
		snprintf(bt->mr.message, sizeof bt->mr.message, "%s", err.buf);
		strbuf_release(&err);
		mr_unknown(bt);
	}
	job_spec_release(&spec);
}

void svc_answer(struct kbatch *bt, bool yes)
{
	if (yes) {
		kb_note(bt, NULL, PHASE_SERVICE, LOG_WARN, "going on without Moonraker's answer");
		guard_begin(bt);
		return;
	}
	batch_fail_ready(bt, OUTCOME_OTHER,
			 "not flashed: Moonraker could not say whether the printer is busy");
	batch_end(bt);
}

/* ------------------------------------------------------------ stop */

/* systemctl stop ended: flash, or start the service again. */
static void stop_done(struct job *job, void *data)
{
	struct kbatch *bt = data;
	const struct job_status *st = job_status(job);
	char *names = service_names(bt->app->cfg);
	bool ok = st->exited && !st->code && !st->timed_out;

	bt->job = NULL;
	if (ok) {
		bt->st.stopped = true;
		kb_note(bt, NULL, PHASE_SERVICE, LOG_INFO, "stopped %s", names);
	} else {
		struct strbuf status = STRBUF_INIT, msg = STRBUF_INIT;

		job_describe(job, &status);
		service_failure_message(bt->app->cfg, "stop", status.buf, last_line(job), &msg);
		bt->st.service_failed = true;
		snprintf(bt->st.service_message, sizeof bt->st.service_message, "%s", msg.buf);
		kb_note(bt, NULL, PHASE_SERVICE, LOG_ERROR, "%s", msg.buf);
		batch_fail_ready(bt, OUTCOME_SERVICE_FAILED, msg.buf);
		strbuf_release(&status);
		strbuf_release(&msg);
	}
	job_free(job);
	free(names);
	if (bt->leaving)
		batch_fail_ready(bt, OUTCOME_CANCELLED, "not flashed: flashbay is shutting down");
	if (batch_count(bt, KS_BUILT)) {
		batch_flash_all(bt);
	} else {
		svc_restart(bt); /* a failed stop may have stopped some units */
		batch_advance(bt);
	}
}

static const struct job_ops stop_ops = { NULL, stop_done };

/* The guard is ready: ONE systemctl stop for every service. */
static void svc_stop(struct kbatch *bt)
{
	struct job_spec spec = JOB_SPEC_INIT;
	char *names = service_names(bt->app->cfg);
	int r;

	bt->step = B_STOP;
	kb_note(bt, NULL, PHASE_SERVICE, LOG_INFO, "stopping %s", names);
	service_spec(bt->app->cfg, "stop", &spec);
	r = job_start(bt->app->loop, &spec, &stop_ops, bt, &bt->job);
	if (r) {
		struct strbuf msg = STRBUF_INIT;

		job_spawn_error(&msg, spec.argv.v[0], r);
		strbuf_addf(&msg, "; %s was not stopped", names);
		batch_fail_ready(bt, OUTCOME_SERVICE_FAILED, msg.buf);
		strbuf_release(&msg);
		batch_end(bt);
	} else {
		bt->stop_ran = true;
	}
	job_spec_release(&spec);
	free(names);
}

/* ------------------------------------------------------------ the guard */

/* Stop watching the guard's socket and timer. */
static void guard_unwatch(struct kbatch *bt)
{
	if (bt->guard_watched)
		loop_fd_del(bt->app->loop, service_guard_fd(bt->guard));
	bt->guard_watched = false;
	loop_timer_disarm(bt->app->loop, &bt->guard_timer);
}

/* The guard cannot guard: flash nothing. */
static void guard_failed(struct kbatch *bt, const char *why)
{
	char *names = service_names(bt->app->cfg), *msg;

	guard_unwatch(bt);
	msg = xasprintf("%s; not stopping %s without it (it restarts the service should "
			"flashbay die)", why, names);
	kb_note(bt, NULL, PHASE_SERVICE, LOG_ERROR, "%s", msg);
	batch_fail_ready(bt, OUTCOME_SERVICE_FAILED, msg);
	batch_end(bt);
	free(msg);
	free(names);
}

/* The guard said ready, or went away. */
static void on_guard(int fd, short revents, void *data)
{
	struct kbatch *bt = data;
	enum service_guard_state st = service_guard_poll(bt->guard);

	(void)fd;
	(void)revents;
	if (st == SERVICE_GUARD_STARTING)
		return;
	if (st == SERVICE_GUARD_GONE) {
		guard_failed(bt, "the service guard ended before it was ready");
		return;
	}
	guard_unwatch(bt);
	if (bt->leaving || !batch_count(bt, KS_BUILT))
		svc_abandon(bt);
	else
		svc_stop(bt);
}

/* The guard took too long to get ready. */
static void on_guard_timeout(struct loop_timer *t, void *data)
{
	(void)t;
	guard_failed(data, "the service guard did not get ready in 10 s");
}

/* Start the guard; the stop follows when it is ready. */
static void guard_begin(struct kbatch *bt)
{
	const struct config *cfg = bt->app->cfg;
	struct service_guard_opts opts = { NULL };
	struct strbuf err = STRBUF_INIT;
	int r;

	if (!cfg->services.n) {
		kb_note(bt, NULL, PHASE_SERVICE, LOG_INFO, "no [klipper] service to stop");
		batch_flash_all(bt);
		return;
	}
	bt->step = B_GUARD;
	r = service_guard_start(cfg, &opts, &bt->guard, &err);
	if (!r)
		r = loop_fd_add(bt->app->loop, service_guard_fd(bt->guard), POLLIN, on_guard, bt);
	if (r) {
		struct strbuf why = STRBUF_INIT;

		strbuf_addf(&why, "cannot start the service guard: %s", err.len ? err.buf :
			    strerror(-r));
		guard_failed(bt, why.buf);
		strbuf_release(&why);
	} else {
		bt->guard_watched = true;
		loop_timer_init(&bt->guard_timer, on_guard_timeout, bt);
		loop_timer_arm(bt->app->loop, &bt->guard_timer, GUARD_READY_MS, 0);
	}
	strbuf_release(&err);
}

void svc_abandon(struct kbatch *bt)
{
	if (bt->leaving)
		batch_fail_ready(bt, OUTCOME_CANCELLED, "not flashed: flashbay is shutting down");
	if (bt->step == B_MOONRAKER) {
		if (bt->job)
			job_cancel(bt->job); /* mr_done() ends the batch */
		return;
	}
	batch_end(bt);
}

void svc_release(struct kbatch *bt)
{
	if (!bt->guard)
		return;
	guard_unwatch(bt);
	/* without "done" the guard starts the service itself, loudly */
	if (!bt->stop_ran || bt->st.restarted)
		service_guard_done(bt->guard);
	service_guard_free(bt->guard);
	bt->guard = NULL;
}

/* ------------------------------------------------------------ start */

/* The start failed: shout, and leave the guard to try again. */
static void restart_failed(struct kbatch *bt, const char *msg)
{
	bt->st.service_failed = true;
	snprintf(bt->st.service_message, sizeof bt->st.service_message, "%s", msg);
	kb_note(bt, NULL, PHASE_SERVICE, LOG_ERROR, "%s", msg);
}

/* systemctl start ended: done for the guard, or shouted. */
static void start_done(struct job *job, void *data)
{
	struct kbatch *bt = data;
	const struct job_status *st = job_status(job);
	char *names = service_names(bt->app->cfg);

	bt->job = NULL;
	if (st->exited && !st->code && !st->timed_out) {
		bt->st.restarted = true;
		kb_note(bt, NULL, PHASE_SERVICE, LOG_INFO, "started %s again", names);
	} else {
		struct strbuf status = STRBUF_INIT, msg = STRBUF_INIT;

		job_describe(job, &status);
		service_failure_message(bt->app->cfg, "start", status.buf, last_line(job), &msg);
		restart_failed(bt, msg.buf);
		strbuf_release(&status);
		strbuf_release(&msg);
	}
	job_free(job);
	free(names);
	bt->step = B_VERIFY;
	svc_release(bt);
	batch_advance(bt);
}

static const struct job_ops start_ops = { NULL, start_done };

void svc_restart(struct kbatch *bt)
{
	struct job_spec spec = JOB_SPEC_INIT;
	char *names = service_names(bt->app->cfg);
	int r;

	bt->step = B_RESTART;
	batch_emit(bt, NULL, APP_KEV_PHASE, PHASE_SERVICE, NULL);
	kb_note(bt, NULL, PHASE_SERVICE, LOG_INFO, "starting %s again", names);
	service_spec(bt->app->cfg, "start", &spec);
	r = job_start(bt->app->loop, &spec, &start_ops, bt, &bt->job);
	if (r) {
		struct strbuf err = STRBUF_INIT, msg = STRBUF_INIT;

		job_spawn_error(&err, spec.argv.v[0], r);
		service_failure_message(bt->app->cfg, "start", err.buf, NULL, &msg);
		restart_failed(bt, msg.buf);
		strbuf_release(&err);
		strbuf_release(&msg);
		bt->step = B_VERIFY;
		svc_release(bt);
	}
	job_spec_release(&spec);
	free(names);
}
