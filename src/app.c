/* app.c - the engine: board rows, device events, attempts and their records. */
#include "autoconf.h"

#include "app-internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "log.h"
#include "loop.h"
#include "path.h"
#include "plan.h"
#include "portlock.h"
#include "str.h"
#include "xalloc.h"

void app_emit(struct app *app, struct app_board *b, enum app_event ev)
{
	if (app->view && app->view->event)
		app->view->event(app->view_data, b, ev);
}

void app_refresh_counters(struct app *app)
{
	if (app->hist && history_counters(app->hist, &app->counters) < 0)
		log_msg(LOG_WARN, NULL, "cannot read the statistics from the history");
	app_history_watch(app);
}

/* The board row of a slot, created (in slot order) if needed. */
static struct app_board *board_for_slot(struct app *app, unsigned slot)
{
	struct app_board *b;
	size_t i = 0;

	for (; i < app->nboards && app->boards[i]->slot <= slot; i++)
		if (app->boards[i]->slot == slot)
			return app->boards[i];
	b = xcalloc(1, sizeof *b);
	b->slot = slot;
	b->exit_code = -1;
	b->state = BOARD_EMPTY;
	app->boards = xgrow(app->boards, &app->boards_alloc, app->nboards + 1, sizeof *app->boards);
	memmove(&app->boards[i + 1], &app->boards[i], (app->nboards - i) * sizeof *app->boards);
	app->boards[i] = b;
	app->nboards++;
	return b;
}

/* A new identity for the board just plugged into b's slot. */
static void new_unit(struct app *app, struct app_board *b)
{
	char when[32];

	format_iso8601(wall_ms(), when);
	snprintf(b->unit, sizeof b->unit, "%s/%s/%s", app->cfg->station_name,
		 b->dev && b->dev->port_key ? b->dev->port_key : "port", when);
}

static int flash_one(struct app *app, struct app_board *b, struct strbuf *why);

/* Monitor mode: queue b's freshly plugged board if its plan flashes on its
 * own (auto_flash), unless the limit of boards to start has been reached. */
static void monitor_flash(struct app *app, struct app_board *b)
{
	struct strbuf why = STRBUF_INIT;

	const struct plan_ops *plan = b->dev ? plan_for_kind(b->dev->kind) : NULL;

	if (!app->monitor || !plan || !plan->auto_flash || app->shutting_down)
		return;
	if (app->monitor_limit && app->monitor_started >= app->monitor_limit) {
		log_msg(LOG_INFO, NULL, "slot %u: not flashing: %lu %s started, the limit",
			b->slot, app->monitor_started, plural(app->monitor_started, "board", "boards"));
		return;
	}
	if (flash_one(app, b, &why) < 0)
		log_msg(LOG_WARN, NULL, "slot %u: not flashing: %s", b->slot, why.buf);
	else
		app->monitor_started++;
	strbuf_release(&why);
}

/* Every plan hears of every device event. */
static void plans_device_event(struct app *app, struct device *d, enum app_event ev)
{
	for (size_t i = 0; plan_table[i]; i++)
		if (plan_table[i]->device_event)
			plan_table[i]->device_event(app, d, ev);
}

/* Every plan gets ready (monitor mode). */
static void plans_prepare(struct app *app)
{
	for (size_t i = 0; plan_table[i]; i++)
		if (plan_table[i]->prepare)
			plan_table[i]->prepare(app);
}

static void on_attached(struct device *d, bool fresh, void *data)
{
	struct app *app = data;
	struct app_board *b = board_for_slot(app, d->slot);

	b->dev = d;
	d->user = b;
	if (fresh) {
		new_unit(app, b);
		app_unit_plugged(app, b);
		b->attempts = 0;
		b->done_this_plug = false;
		if (!b->run) {
			b->state = BOARD_IDLE;
			b->outcome = OUTCOME_OK;
			b->message[0] = '\0';
			b->chip[0] = b->mac[0] = '\0';
			flash_progress_init(&b->prog, 0, NULL);
		}
	}
	/* before app_begin(), which tells the view, the boards found at start */
	if (app->begun)
		app_emit(app, b, fresh ? APP_EV_ATTACHED : APP_EV_RETURNED);
	plans_device_event(app, d, APP_EV_ATTACHED);
	if (fresh && app->begun)
		monitor_flash(app, b);
}

static void on_changed(struct device *d, void *data)
{
	struct app_board *b = d->user;

	if (b)
		app_emit(data, b, APP_EV_CHANGED);
	plans_device_event(data, d, APP_EV_ATTACHED);
}

static void on_detached(struct device *d, void *data)
{
	struct app_board *b = d->user;

	if (!b)
		return;
	if (b->run)
		b->run->detached = true;
	app_emit(data, b, APP_EV_DETACHED);
	plans_device_event(data, d, APP_EV_DETACHED);
}

static void on_expired(struct device *d, void *data)
{
	struct app *app = data;
	struct app_board *b = d->user;

	plans_device_event(app, d, APP_EV_EXPIRED);
	if (!b)
		return;
	b->dev = NULL;
	if (b->state == BOARD_IDLE)
		b->state = BOARD_EMPTY;
	if (b->run && b->run->plan->run_expired)
		b->run->plan->run_expired(app, b->run);
	app_emit(app, b, APP_EV_EXPIRED);
}

static const struct devices_ops device_ops = { on_attached, on_changed, on_detached, on_expired };

/* Open the history, or explain why flashing cannot start. */
static int open_history(struct app *app, const struct app_opts *opts, struct strbuf *err)
{
	int r;

	if (opts->no_history)
		return 0;
	r = history_open(app->cfg->database, &app->hist, err);
	if (r < 0) {
		strbuf_addstr(err, "\n(flashing needs a working history; --no-history runs without one)");
		return r;
	}
	if (history_recovered(app->hist))
		log_msg(LOG_WARN, NULL,
			"%d %s left running by an earlier flashbay %s now marked interrupted",
			history_recovered(app->hist),
			plural(history_recovered(app->hist), "attempt", "attempts"),
			plural(history_recovered(app->hist), "is", "are"));
	app_refresh_counters(app);
	return 0;
}

struct app *app_new(struct loop *loop, const struct app_opts *opts, struct strbuf *err)
{
	struct app *app = xcalloc(1, sizeof *app);

	app->loop = loop;
	app->cfg = opts->cfg;
	app->monitor = opts->monitor;
	firmware_init(&app->fw);
	strbuf_init(&app->fw_json);
	app->lock_dir = config_lock_dir(app->cfg);
	app->runner = runner_new(loop, app->cfg->max_workers);
	for (size_t i = 0; plan_table[i]; i++)
		if (plan_table[i]->init)
			plan_table[i]->init(app);
	if (opts->fw && opts->fw->n)
		app_set_firmware(app, opts->fw);
	if (open_history(app, opts, err) < 0 ||
	    devices_open(loop, app->cfg, opts->devices, &device_ops, app, &app->devs, err) < 0) {
		app_free(app);
		return NULL;
	}
	if (app->monitor)
		plans_prepare(app);
	return app;
}

void app_free(struct app *app)
{
	if (!app)
		return;
	/* last resort: normal exits have drained everything through the loop */
	job_kill_all_sync();
	for (size_t i = 0; plan_table[i]; i++)
		plan_table[i]->release(app);
	runner_free(app->runner);
	for (size_t i = 0; i < app->nboards; i++) {
		struct app_run *run = app->boards[i]->run;

		if (run) {
			portlock_release(run->lock);
			attempt_close_log(&run->at);
			app_run_free(run);
		}
		free(app->boards[i]);
	}
	free(app->boards);
	devices_close(app->devs);
	app_history_settle(app);
	history_close(app->hist);
	firmware_release(&app->fw);
	strbuf_release(&app->fw_json);
	free(app->link_status);
	free(app->lock_dir);
	free(app);
}

void app_set_view(struct app *app, const struct app_view *view, void *data)
{
	app->view = view;
	app->view_data = data;
}

void app_set_monitor_limit(struct app *app, unsigned long n)
{
	app->monitor_limit = n;
}

void app_begin(struct app *app)
{
	if (app->begun)
		return;
	app->begun = true;
	/* the boards found while the app was made, before there was a view */
	for (size_t i = 0; i < app->nboards; i++)
		if (app->boards[i]->dev && app->boards[i]->dev->present)
			app_emit(app, app->boards[i], APP_EV_ATTACHED);
	for (size_t i = 0; i < app->nboards; i++) {
		struct app_board *b = app->boards[i];

		if (b->dev && b->dev->present && !b->run && !b->done_this_plug)
			monitor_flash(app, b);
	}
}

void app_set_firmware(struct app *app, struct firmware *fw)
{
	firmware_release(&app->fw);
	app->fw = *fw;
	firmware_init(fw);
	strbuf_reset(&app->fw_json);
	firmware_json(&app->fw, &app->fw_json);
	app_emit(app, NULL, APP_EV_HEADER);
}

const struct firmware *app_firmware(const struct app *app)
{
	return &app->fw;
}

void app_set_monitor(struct app *app, bool on)
{
	app->monitor = on;
	if (on)
		plans_prepare(app);
	app_emit(app, NULL, APP_EV_HEADER);
}

bool app_monitor(const struct app *app)
{
	return app->monitor;
}

size_t app_board_count(const struct app *app)
{
	return app->nboards;
}

struct app_board *app_board_at(const struct app *app, size_t i)
{
	return i < app->nboards ? app->boards[i] : NULL;
}

struct app_board *app_board_for_slot(const struct app *app, unsigned slot)
{
	for (size_t i = 0; i < app->nboards; i++)
		if (app->boards[i]->slot == slot)
			return app->boards[i];
	return NULL;
}

struct app_board *app_add_port(struct app *app, const char *path, struct strbuf *err)
{
	struct device *d = devices_find(app->devs, path);
	struct app_board *b;

	if (!d)
		d = devices_add_manual(app->devs, path, err);
	if (!d)
		return NULL;
	b = app_board_for_device(app, d);
	if (!b) {
		/* a manual port: the device table does not announce those */
		on_attached(d, true, app);
		b = app_board_for_device(app, d);
	}
	return b;
}

struct app_board *app_board_for_device(const struct app *app, const struct device *d)
{
	for (size_t i = 0; i < app->nboards; i++)
		if (app->boards[i]->dev == d)
			return app->boards[i];
	return NULL;
}

struct devices *app_devices(const struct app *app)
{
	return app->devs;
}

struct history *app_history(const struct app *app)
{
	return app->hist;
}

const struct config *app_config(const struct app *app)
{
	return app->cfg;
}

/* Copy what a run needs of its board, which may vanish while it runs. */
struct app_run *app_run_new(struct app *app, struct app_board *b)
{
	struct app_run *run = xcalloc(1, sizeof *run);
	const struct device *d = b->dev;
	char *real = realpath(d->devnode, NULL);

	run->app = app;
	run->b = b;
	run->slot = b->slot;
	run->port = xstrdup(d->devnode);
	run->lock_key = real ? real : xstrdup(d->devnode);
	run->by_path = xstrdup_or_null(d->by_path);
	run->by_id = xstrdup_or_null(d->by_id);
	run->usb_serial = xstrdup_or_null(d->serial);
	run->vid = d->vid;
	run->pid = d->pid;
	run->plan = plan_for_kind(d->kind);
	app_unit_run_new(run);
	return run;
}

/* Why b cannot be flashed now by any plan (0 if it can); *plan gets its plan. */
static int check_flashable(struct app *app, struct app_board *b, const struct plan_ops **plan,
			   struct strbuf *why)
{
	if (app->shutting_down) {
		strbuf_addstr(why, "shutting down");
		return -EPERM;
	}
	if (b->run) {
		strbuf_addf(why, "slot %u is already %s", b->slot,
			    b->state == BOARD_QUEUED ? "queued" : "being flashed");
		return -EBUSY;
	}
	if (!b->dev || !b->dev->present) {
		strbuf_addf(why, "no board in slot %u", b->slot);
		return -ENODEV;
	}
	*plan = plan_for_kind(b->dev->kind);
	if (!*plan) {
		strbuf_addf(why, "slot %u holds a %s board: nothing flashes it", b->slot,
			    kind_name(b->dev->kind));
		return -EINVAL;
	}
	return 0;
}

/* check_flashable(), and with one_by_one, a kind its plan flashes one by one. */
static int check_order_row(struct app *app, struct app_board *b, bool one_by_one,
			   const struct plan_ops **plan, struct strbuf *why)
{
	int r = check_flashable(app, b, plan, why);

	if (r < 0)
		return r;
	if (one_by_one && !(*plan)->auto_flash) {
		strbuf_addf(why, "slot %u holds a %s board: use 'flashbay board flash'", b->slot,
			    kind_name(b->dev->kind));
		return -EINVAL;
	}
	return 0;
}

/* Add one line to why. */
static void why_line(struct strbuf *why, const struct strbuf *line)
{
	strbuf_addf(why, "%s%s", why->len ? "\n" : "", line->buf);
}

/* app_flash() of order's rows. */
static int flash_rows(struct app *app, const struct flash_order *order, struct strbuf *why)
{
	struct app_board *const *rows = order->rows;
	size_t n = order->nrows;
	const struct plan_ops **plans = xcalloc(n ? n : 1, sizeof *plans);
	struct app_board **mine = xcalloc(n ? n : 1, sizeof *mine);
	int queued = 0;

	for (size_t i = 0; i < n; i++) {
		struct strbuf one = STRBUF_INIT;

		if (check_order_row(app, rows[i], order->one_by_one, &plans[i], &one) < 0) {
			plans[i] = NULL;
			why_line(why, &one);
		}
		strbuf_release(&one);
	}
	/* each plan gets its rows at once (Klipper: one batch, one service stop) */
	for (size_t p = 0; plan_table[p]; p++) {
		struct strbuf one = STRBUF_INIT;
		size_t k = 0;

		for (size_t i = 0; i < n; i++)
			if (plans[i] == plan_table[p])
				mine[k++] = rows[i];
		if (k)
			queued += plan_table[p]->flash(app, mine, k, order, &one);
		if (one.len)
			why_line(why, &one);
		strbuf_release(&one);
	}
	free(mine);
	free(plans);
	return queued;
}

/* app_flash() of order's boards named for order->plan. */
static int flash_named(struct app *app, const struct flash_order *order, struct strbuf *why)
{
	for (size_t i = 0; plan_table[i]; i++)
		if (plan_table[i]->flash_named && !strcmp(plan_table[i]->name, order->plan))
			return plan_table[i]->flash_named(app, order, why);
	strbuf_addf(why, "no plan '%s' flashes boards by name", order->plan);
	return -ENOENT;
}

int app_flash(struct app *app, const struct flash_order *order, struct strbuf *why)
{
	return order->plan ? flash_named(app, order, why) : flash_rows(app, order, why);
}

/* One board of a kind flashed one by one (monitor mode, app_flash_all()):
 * 0, or -EINVAL with why. */
static int flash_one(struct app *app, struct app_board *b, struct strbuf *why)
{
	const struct flash_order order = { .rows = &b, .nrows = 1, .one_by_one = true };

	return app_flash(app, &order, why) == 1 ? 0 : -EINVAL;
}

int app_flash_all(struct app *app)
{
	int n = 0;

	for (size_t i = 0; i < app->nboards; i++) {
		struct app_board *b = app->boards[i];
		const struct plan_ops *plan = b->dev ? plan_for_kind(b->dev->kind) : NULL;
		struct strbuf why = STRBUF_INIT;

		if (b->dev && b->dev->present && plan && plan->auto_flash && !b->run &&
		    flash_one(app, b, &why) == 0)
			n++;
		strbuf_release(&why);
	}
	return n;
}

void app_stop(struct app *app, struct app_board *b)
{
	struct app_run *run = b->run;

	if (run)
		run->plan->stop(app, run);
}

void app_stop_all(struct app *app)
{
	for (size_t i = 0; i < app->nboards; i++)
		app_stop(app, app->boards[i]);
}

int app_rescan(struct app *app)
{
	return devices_rescan(app->devs);
}

int app_reset_stats(struct app *app, struct strbuf *err)
{
	int r;

	if (!app->hist) {
		strbuf_addstr(err, "no history (--no-history)");
		return -ENOENT;
	}
	r = history_reset_period(app->hist, err);
	app_refresh_counters(app);
	app_emit(app, NULL, APP_EV_HEADER);
	return r;
}

void app_shutdown(struct app *app, bool cancel)
{
	app->shutting_down = true;
	for (size_t i = 0; plan_table[i]; i++)
		plan_table[i]->shutdown(app, cancel);
	if (!app->busy)
		app_emit(app, NULL, APP_EV_IDLE);
}

bool app_shutting_down(const struct app *app)
{
	return app->shutting_down;
}

size_t app_busy(const struct app *app)
{
	return app->busy;
}

const struct history_counters *app_counters(const struct app *app)
{
	return &app->counters;
}

unsigned app_history_errors(const struct app *app)
{
	return app->history_errors;
}

void app_board_name(const struct app_board *b, struct strbuf *out)
{
	strbuf_addf(out, "slot %u", b->slot);
	if (b->dev)
		strbuf_addf(out, " %s", path_basename(b->dev->devnode));
}

/* The fields of run's history row known at its start. */
static void fill_attempt_start(struct app_run *run, struct attempt *a)
{
	struct app *app = run->app;

	memset(a, 0, sizeof *a);
	a->station = app->cfg->station_name;
	a->slot = (int)run->slot;
	a->port = run->port;
	a->by_path = run->by_path;
	a->device = run->lock_key;
	a->by_id = run->by_id;
	a->vid = run->vid;
	a->pid = run->pid;
	a->usb_serial = run->usb_serial;
	a->unit = run->b->unit;
	a->firmware = app->fw_json.buf;
	a->firmware_sha256 = app->fw.n ? app->fw.sha256 : NULL;
	a->firmware_size = (int64_t)app->fw.total_size;
	a->exit_code = -1;
	if (run->plan->row_facts)
		run->plan->row_facts(run, a);
}

void app_run_started(struct app_run *run)
{
	struct app *app = run->app;
	struct attempt a;
	char what[64];

	run->started = true;
	attempt_clock(&run->at);
	snprintf(what, sizeof what, "slot%u-%s", run->slot, path_basename(run->port));
	attempt_open_log(app, &run->at, what);
	fill_attempt_start(run, &a);
	attempt_begin(app, &run->at, &a);
}

void app_run_output(struct app_run *run, enum job_stream s, const char *line, bool important)
{
	attempt_output(&run->at, s, line);
	if (important || log_verbosity() > 0)
		log_msg(s == JOB_STDERR || important ? LOG_WARN : LOG_INFO, NULL, "[slot %u] %s",
			run->slot, line);
}

/* Write the end of run's attempt to the history (beginning it if needed):
 * the tool's exit code (-1: none) and last lines (NULL: none). */
static void record_end(struct app_run *run, enum outcome o, const char *message, int exit_code,
		       const char *output)
{
	struct app *app = run->app;
	struct app_board *b = run->b;
	struct attempt a;

	if (!app->hist || (!run->started && o == OUTCOME_CANCELLED))
		return; /* never touched the board: not an attempt */
	if (!run->started)
		app_run_started(run);
	fill_attempt_start(run, &a);
	a.chip = b->prog.facts.chip[0] ? b->chip : NULL;
	a.mac = b->prog.facts.mac[0] ? b->prog.facts.mac : NULL;
	a.heard = b->prog.facts.chip[0] || b->prog.facts.mac[0] || b->prog.facts.mcu[0];
	a.exit_code = exit_code;
	a.bytes_written = (int64_t)b->prog.bytes_written;
	a.kbps = b->prog.kbps;
	a.output = output;
	attempt_end(app, &run->at, &a, o, message);
}

int app_job_output(const struct job *job, struct strbuf *out)
{
	if (!job)
		return -1;
	tail_join(job_tail(job), out);
	return job_status(job)->exited ? job_status(job)->code : -1;
}

void app_board_keep_facts(struct app_board *b)
{
	const struct flash_facts *f = &b->prog.facts;

	if (f->chip[0])
		snprintf(b->chip, sizeof b->chip, "%s%s%s%s", f->chip, f->revision[0] ? " (" : "",
			 f->revision, f->revision[0] ? ")" : "");
	else if (f->mcu[0])
		snprintf(b->chip, sizeof b->chip, "%s", f->mcu);
	if (f->mac[0])
		snprintf(b->mac, sizeof b->mac, "%s", f->mac);
	/* as the end of the attempt will write them */
	if (b->run)
		attempt_facts(b->run->app, &b->run->at, f->chip[0] ? b->chip : NULL, f->mac);
}

void app_run_rearm(struct app_run *run, enum outcome o, const char *message, const struct job *job)
{
	struct strbuf out = STRBUF_INIT;
	int code = app_job_output(job, &out);

	app_board_keep_facts(run->b);
	record_end(run, o, message, code, job ? out.buf : NULL);
	strbuf_release(&out);
	attempt_log_result(&run->at, o, message);
	attempt_close_log(&run->at);
	run->started = false;
	run->task = NULL;
	run->detached = false;
}

void app_run_finish(struct app_run *run, enum outcome o, const char *message,
		    const struct job *job)
{
	struct strbuf out = STRBUF_INIT;
	int code = app_job_output(job, &out);

	app_run_finish_output(run, o, message, code, job ? out.buf : NULL);
	strbuf_release(&out);
}

void app_run_finish_output(struct app_run *run, enum outcome o, const char *message,
			   int exit_code, const char *output)
{
	struct app *app = run->app;
	struct app_board *b = run->b;

	app_board_keep_facts(b);
	record_end(run, o, message, exit_code, output);
	portlock_release(run->lock);
	attempt_log_result(&run->at, o, message);
	attempt_close_log(&run->at);
	b->run = NULL;
	b->outcome = o;
	b->state = o == OUTCOME_OK ? BOARD_PASS : BOARD_FAIL;
	b->prog.phase = PHASE_DONE;
	snprintf(b->message, sizeof b->message, "%s", message ? message : outcome_message(o));
	b->result_wall_ms = wall_ms();
	b->exit_code = exit_code;
	b->duration_ms = run->started ? now_ms() - run->at.start_mono : 0;
	b->done_this_plug = true;
	if (!b->dev && b->state == BOARD_IDLE)
		b->state = BOARD_EMPTY;
	app_run_free(run);
	app_refresh_counters(app);
	app_emit(app, b, APP_EV_FINISHED);
	app_emit(app, NULL, APP_EV_HEADER);
	app_busy_done(app);
}

void app_run_free(struct app_run *run)
{
	if (run->plan && run->plan->run_free)
		run->plan->run_free(run);
	free(run->port);
	free(run->lock_key);
	free(run->by_path);
	free(run->by_id);
	free(run->usb_serial);
	free(run);
}

void app_busy_done(struct app *app)
{
	if (app->busy)
		app->busy--;
	if (!app->busy)
		app_emit(app, NULL, APP_EV_IDLE);
}
