/* app-klipper.c - the Klipper plan: a batch of registered boards through
 * discovery, config, parallel builds, one service stop (app-klipper-service.c),
 * parallel flashes, one service start and the reappear check. Every step is
 * a loop event: a job's end, a timer, a device event. See app.h. */
#include "autoconf.h"

#include "app-klipper.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "json.h"
#include "portlock.h"
#include "util.h"
#include "xalloc.h"

static void build_submit(struct kboard *k);
static void kb_flash(struct kboard *k);

struct app_klipper *klipper_state(struct app *app)
{
	if (!app->klipper)
		app->klipper = xcalloc(1, sizeof *app->klipper);
	return app->klipper;
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
	if (k && k->log)
		fprintf(k->log, "# %s\n", text);
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

/* Copy k's progress and phase to its row and tell the views. */
static void kb_phase(struct kboard *k, enum phase ph)
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

/* ------------------------------------------------------------ history */

/* The method k's next (or last) flash uses. */
static const char *kb_method(const struct kboard *k)
{
	return k->pub.method ? k->pub.method : k->katapult ? "katapult" : "make_flash";
}

/* The history fields of k's attempt known at its start; fw gets the firmware JSON. */
static void hist_fill(struct kboard *k, struct attempt *a, struct strbuf *fw)
{
	struct app *app = k->batch->app;
	const struct klipper_artifact *art = &k->pub.art;
	struct jw jw;

	memset(a, 0, sizeof *a);
	a->started_ms = k->start_wall;
	a->station = app->cfg->station_name;
	a->slot = (int)k->run->slot;
	a->port = k->run->port;
	a->by_path = k->run->by_path;
	a->device = k->run->lock_key, a->by_id = k->run->by_id;
	a->vid = k->run->vid;
	a->pid = k->run->pid;
	a->usb_serial = k->run->usb_serial;
	a->unit = k->pub.row->unit;
	a->board = k->pub.key;
	a->method = kb_method(k);
	a->exit_code = -1;
	if (!k->pub.built)
		return;
	jw_init(&jw, fw);
	jw_array_begin(&jw, NULL);
	jw_object_begin(&jw, NULL);
	jw_str(&jw, "path", art->path);
	jw_int(&jw, "size", (long long)art->size);
	jw_str(&jw, "sha256", art->sha256);
	jw_object_end(&jw);
	jw_array_end(&jw);
	a->firmware = fw->buf;
	a->firmware_sha256 = art->sha256;
	a->firmware_size = (int64_t)art->size;
}

/* Open k's history row (the flash job started, or a failure to record). */
static void hist_begin(struct kboard *k)
{
	struct app *app = k->batch->app;
	struct strbuf err = STRBUF_INIT, fw = STRBUF_INIT;
	struct attempt a;

	if (!app->hist || !k->run || k->hist_id)
		return;
	if (!k->start_wall) {
		k->start_wall = wall_ms();
		k->start_mono = now_ms();
	}
	hist_fill(k, &a, &fw);
	if (history_begin(app->hist, &a, &k->hist_id, &err) < 0) {
		k->hist_id = 0;
		app_history_failed(app, "record an attempt in", &err);
	}
	strbuf_release(&err);
	strbuf_release(&fw);
}

/* Complete k's attempt with outcome o (opening it first if needed). */
static void hist_end(struct kboard *k, enum outcome o, const char *message)
{
	struct app *app = k->batch->app;
	struct strbuf err = STRBUF_INIT, fw = STRBUF_INIT;
	struct attempt a;

	/* cancelled before the board was touched: not an attempt */
	if (!app->hist || !k->run || (!k->hist_id && o == OUTCOME_CANCELLED))
		return;
	hist_begin(k);
	if (!k->hist_id)
		return;
	hist_fill(k, &a, &fw);
	a.finished_ms = wall_ms();
	a.chip = k->pub.prog.facts.mcu[0] ? k->pub.prog.facts.mcu : k->pub.mcu;
	a.heard = k->pub.prog.facts.mcu[0] || k->pub.prog.facts.chip[0];
	a.outcome = o == OUTCOME_OK ? "ok" : "failed";
	a.failure_class = o == OUTCOME_OK ? NULL : outcome_name(o);
	a.message = message;
	a.exit_code = k->exit_code;
	a.duration_ms = (int64_t)(now_ms() - k->start_mono);
	a.bytes_written = (int64_t)k->pub.prog.bytes_written;
	a.output = k->out.len ? k->out.buf : NULL;
	if (history_finish(app->hist, k->hist_id, &a, &err) < 0)
		app_history_failed(app, "complete an attempt in", &err);
	k->hist_id = 0;
	k->start_wall = 0;
	strbuf_release(&err);
	strbuf_release(&fw);
}

/* ------------------------------------------------------------ ending a board */

/* Keep the tail of a finished job's output (messages and history). */
static void kb_keep_output(struct kboard *k, const struct job *job)
{
	if (!job)
		return;
	strbuf_reset(&k->out);
	tail_join(job_tail(job), &k->out);
}

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
	hist_end(k, o, k->pub.message);
	if (o == OUTCOME_OK)
		log_msg(LOG_INFO, NULL, "%s: PASS %s", k->pub.key, k->pub.message);
	else
		log_msg(LOG_INFO, NULL, "%s: FAIL %s: %s", k->pub.key, outcome_name(o),
		        k->pub.message);
	if (k->log) {
		fprintf(k->log, "# result: %s %s\n", outcome_name(o), k->pub.message);
		fclose(k->log);
		k->log = NULL;
	}
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

/* ------------------------------------------------------------ per-board log */

/* Open the board's log file in log_dir (quietly without). */
static void kb_open_log(struct kboard *k)
{
	const struct config *cfg = k->batch->app->cfg;
	char when[32], *dir, *path;

	if (!cfg->log_dir)
		return;
	format_iso8601(wall_ms(), when);
	dir = xasprintf("%s/%.10s", cfg->log_dir, when);
	path = xasprintf("%s/%.2s-%.2s-%.2s.%.3s-klipper-%s.log", dir, when + 11, when + 14,
			 when + 17, when + 20, k->pub.key);
	if (mkdir_p(dir, 0700) == 0)
		k->log = fopen(path, "we");
	free(dir);
	free(path);
}

/* Write a job's command line to the board's log. */
static void kb_log_spec(struct kboard *k, const struct job_spec *spec)
{
	char *cmd;

	if (!k->log)
		return;
	cmd = strvec_join(&spec->argv, " ");
	fprintf(k->log, "$ %s\n", cmd);
	fflush(k->log);
	free(cmd);
}

/* ------------------------------------------------------------ discovery */

/* The present devices that belong to k's board: how many, and the last one. */
static size_t kb_find_devices(struct kboard *k, struct device **found, struct strbuf *names)
{
	struct devices *devs = k->batch->app->devs;
	size_t n = 0;

	for (size_t i = 0; i < devices_count(devs); i++) {
		struct device *d = devices_at(devs, i);

		if (!d->present || !d->by_id || !board_matches(k->reg, d->by_id))
			continue;
		strbuf_addf(names, "%s%s", n ? ", " : "", path_basename(d->by_id));
		*found = d;
		n++;
	}
	return n;
}

/* Take the device's row for k (it shows k's phases from now on). */
static int kb_take_row(struct kboard *k, struct device *d, struct strbuf *why)
{
	struct app *app = k->batch->app;
	struct app_board *b = app_board_for_device(app, d);
	int r;

	if (!b) {
		strbuf_addf(why, "its device %s has no board row", d->devnode);
		return -ENODEV;
	}
	if (b->run) {
		strbuf_addf(why, "slot %u is busy with another attempt", b->slot);
		return -EBUSY;
	}
	k->run = app_run_new(app, b);
	k->run->klipper = k;
	k->pub.row = b;
	b->run = k->run;
	/* locked for the whole batch: a busy port must not cost a service stop */
	r = portlock_acquire(app->lock_dir, k->run->port, &k->run->lock, why);
	if (r < 0)
		return r;
	b->attempts++;
	flash_progress_init(&b->prog, 0, NULL);
	b->run_start_ms = now_ms();
	kb_phase(k, PHASE_QUEUED);
	b->state = BOARD_QUEUED;
	app_emit(app, b, APP_EV_QUEUED);
	return 0;
}

/* [Discovery] match k to a connected device; false if it failed. */
static bool kb_discover(struct kboard *k)
{
	struct strbuf names = STRBUF_INIT, why = STRBUF_INIT;
	struct device *d = NULL;
	const struct board *other;
	enum outcome o = OUTCOME_OTHER;
	bool ambiguous = false;
	size_t n;
	int r;

	kb_phase(k, PHASE_DETECT);
	n = kb_find_devices(k, &d, &names);
	if (n == 1 && (other = boards_match(&k->batch->boards, d->by_id, &ambiguous)) && ambiguous)
		strbuf_addf(&why,
		            "its device %s also matches another registered board's serial_pattern "
		            "(make the patterns more specific)",
		            path_basename(d->by_id));
	if (!n)
		strbuf_addf(&why, "board '%s' is not connected: no /dev/serial/by-id name matches "
			    "its serial_pattern '%s' (see 'flashbay board list')", k->pub.key,
			    k->reg->serial_pattern);
	else if (n > 1)
		strbuf_addf(&why, "board '%s' matches %zu connected devices (%s): make its "
			    "serial_pattern more specific", k->pub.key, n, names.buf);
	if (!why.len && !klipper_device_serial(d, k->serial, sizeof k->serial))
		strbuf_addf(&why, "cannot tell the serial of %s", d->by_id);
	if (!why.len && (r = kb_take_row(k, d, &why)) == -EBUSY)
		o = OUTCOME_PORT_BUSY;
	if (why.len) {
		kb_finish(k, n ? o : OUTCOME_NO_PORT, why.buf, NULL);
	} else {
		k->pub.by_id = xstrdup(d->by_id);
		kb_note(k->batch, k, PHASE_DETECT, LOG_INFO, "found %s (slot %u, %s)", d->by_id,
			d->slot, kind_name(d->kind));
	}
	strbuf_release(&names);
	strbuf_release(&why);
	return !k->pub.done;
}

/* ------------------------------------------------------------ config, build */

/* [Config] paths, tree and cached config; false if k cannot be built. */
static bool kb_config(struct kboard *k)
{
	struct strbuf err = STRBUF_INIT;
	enum outcome o = OUTCOME_OTHER;

	kb_phase(k, PHASE_CONFIG);
	if (!klipper_paths_init(&k->kp, k->batch->app->cfg, k->reg, &err) &&
	    !klipper_tree_check(&k->kp, &err))
		o = klipper_config_check(k->reg, k->kp.config, &k->kc, &err);
	if (o != OUTCOME_OK)
		kb_finish(k, o, err.buf, NULL);
	else
		kb_note(k->batch, k, PHASE_CONFIG, LOG_INFO, "%s (CONFIG_MCU %s, builds %s)",
			k->kp.config, k->kc.mcu, k->kc.artifact);
	strbuf_release(&err);
	return o == OUTCOME_OK;
}

/* make -jN for the next build: the cores shared by the builds that may run at once. */
static unsigned kb_make_jobs(struct kboard *k)
{
	const struct config *cfg = k->batch->app->cfg;
	size_t pending = 0;
	unsigned cores = klipper_make_jobs(cfg);

	if (cfg->make_jobs)
		return cfg->make_jobs;
	for (size_t i = 0; i < k->batch->n; i++)
		pending += k->batch->v[i]->step >= KS_DESCRIBE && k->batch->v[i]->step <= KS_BUILD;
	if (pending > KLIPPER_BUILDS_AT_ONCE)
		pending = KLIPPER_BUILDS_AT_ONCE;
	return pending > 1 && cores / pending ? cores / (unsigned)pending : cores;
}

/* A line of a build step: the log file, the tree id from git describe. */
static void build_line(struct runner_task *t, enum job_stream s, const char *line, size_t len,
		       bool partial, void *data)
{
	struct kboard *k = data;

	(void)t;
	(void)len;
	if (partial)
		return;
	if (k->log)
		fprintf(k->log, "%s%s\n", s == JOB_STDERR ? "! " : "", line);
	if (k->step == KS_DESCRIBE && s == JOB_STDOUT && !k->tree_id[0])
		klipper_describe_parse(line, k->tree_id, sizeof k->tree_id);
	if (log_verbosity() > 0)
		log_msg(LOG_INFO, NULL, "[%s] %s", k->pub.key, line);
}

/* The artifact is there (built or cached): decide how it will be flashed. */
static void kb_built(struct kboard *k)
{
	const struct klipper_artifact *a = &k->pub.art;
	const struct config *cfg = k->batch->app->cfg;
	enum board_method m = k->reg->method;
	bool possible = !strcmp(a->name, "klipper.bin") && k->kc.has_bootloader;

	k->step = KS_BUILT;
	k->pub.built = true;
	if (k->batch->opts.flash)
		kb_note(k->batch, k, PHASE_BUILD, LOG_INFO, "%s%s, %llu bytes, sha256 %s%s",
			k->kp.out, a->name, (unsigned long long)a->size, a->sha256,
			k->pub.cached ? " (cached)" : "");
	if (m == BOARD_METHOD_DEFAULT)
		m = cfg->default_method && !strcmp(cfg->default_method, "make_flash") ?
			BOARD_METHOD_MAKE_FLASH : BOARD_METHOD_DEFAULT;
	k->katapult = m != BOARD_METHOD_MAKE_FLASH && possible;
	k->may_fall_back = m == BOARD_METHOD_DEFAULT;
	if (k->batch->opts.flash && m == BOARD_METHOD_KATAPULT && !possible) {
		struct strbuf msg = STRBUF_INIT;

		strbuf_addf(&msg, "board '%s' is set to method katapult, but its build is %s%s: ",
			    k->pub.key, a->name,
			    k->kc.has_bootloader ? "" : " without a bootloader offset");
		strbuf_addf(&msg, "Katapult only writes a klipper.bin built for a bootloader; set "
			    "method = default or make_flash, or choose a bootloader offset in: "
			    "flashbay board menuconfig %s", k->pub.key);
		kb_finish(k, OUTCOME_OTHER, msg.buf, NULL);
		strbuf_release(&msg);
	}
}

/* After git describe: the build cache (unless --rebuild); true on a hit. */
static bool kb_cache_hit(struct kboard *k)
{
	struct strbuf why = STRBUF_INIT;
	bool hit;

	if (!k->tree_id[0] && klipper_tree_head(k->kp.tree, k->tree_id, sizeof k->tree_id))
		k->tree_id[0] = '\0';
	hit = !k->batch->opts.rebuild &&
	      klipper_cache_lookup(&k->kp, k->tree_id, &k->pub.art, &why) == KLIPPER_CACHE_HIT;
	k->pub.cached = hit;
	snprintf(k->pub.cache_why, sizeof k->pub.cache_why, "%s",
		 hit ? "" : k->batch->opts.rebuild ? "--rebuild" : why.buf);
	if (hit)
		kb_built(k);
	else
		kb_note(k->batch, k, PHASE_BUILD, LOG_INFO, "building (%s)", k->pub.cache_why);
	strbuf_release(&why);
	return hit;
}

/* After the build: check the artifact and store the cache record. */
static void kb_after_build(struct kboard *k, const struct job *job)
{
	struct strbuf err = STRBUF_INIT;
	enum outcome o = klipper_config_check(k->reg, k->kp.config, &k->kc, &err);

	if (o == OUTCOME_OK)
		o = klipper_artifact_check(&k->kp, k->pub.mcu, &k->kc, &k->pub.art, &err);
	if (o == OUTCOME_OK && klipper_cache_store(&k->kp, k->tree_id, &k->pub.art, &err))
		kb_note(k->batch, k, PHASE_BUILD, LOG_WARN, "%s (the next build cannot be skipped)",
			err.buf);
	if (o == OUTCOME_OK)
		kb_built(k);
	else
		kb_finish(k, o, err.buf, job);
	strbuf_release(&err);
}

/* The line of a failed make worth quoting: the first compiler error, else
 * make's first complaint, else the last line. */
static const char *make_error_line(const struct tail *t)
{
	size_t n = tail_count(t);

	for (size_t i = 0; i < n; i++)
		if (strstr(tail_get(t, i), "error:") || strstr(tail_get(t, i), "Error:"))
			return tail_get(t, i);
	for (size_t i = 0; i < n; i++)
		if (str_starts_with(tail_get(t, i), "make: ***") &&
		    !strstr(tail_get(t, i), "Waiting for unfinished jobs"))
			return tail_get(t, i);
	return n ? tail_get(t, n - 1) : NULL;
}

/* A make step failed: the message names the step and make's last words. */
static void kb_make_failed(struct kboard *k, const struct job *job, int err)
{
	const char *target = k->step == KS_OLDDEF ? " olddefconfig" : k->step == KS_CLEAN ?
			     " clean" : "";
	const struct job_status *st = job ? job_status(job) : NULL;
	const struct tail *t = job ? job_tail(job) : NULL;
	struct strbuf msg = STRBUF_INIT;
	enum outcome o = OUTCOME_BUILD_FAILED;

	if (err) {
		job_spawn_error(&msg, k->kp.make.v[0], err);
		o = OUTCOME_TOOL_MISSING;
	} else if (st->timed_out) {
		strbuf_addf(&msg, "make%s in %s timed out after %llu s", target, k->kp.tree,
			    (unsigned long long)k->kp.build_timeout_ms / 1000);
		o = OUTCOME_TIMEOUT;
	} else {
		strbuf_addf(&msg, "make%s failed (exit %d)", target, st->code);
		if (make_error_line(t))
			strbuf_addf(&msg, ": %s", make_error_line(t));
	}
	kb_finish(k, o, msg.buf, job);
	strbuf_release(&msg);
}

/* A build step ended: the next step, the cache, or the board's end. */
static void build_done(struct runner_task *t, struct job *job, int err, void *data)
{
	struct kboard *k = data;
	const struct job_status *st = job ? job_status(job) : NULL;

	(void)t;
	k->task = NULL;
	if (err == -ECANCELED || (st && st->cancelled) || k->cancel) {
		kb_finish(k, OUTCOME_CANCELLED, "cancelled while building", job);
	} else if (k->step == KS_DESCRIBE) {
		/* no git or no repository: the tree id comes from .git, or none */
		if (!kb_cache_hit(k)) {
			k->step = KS_OLDDEF;
			build_submit(k);
		}
	} else if (err || st->timed_out || st->code) {
		kb_make_failed(k, job, err);
	} else if (k->batch->leaving && k->step != KS_BUILD) {
		kb_finish(k, OUTCOME_CANCELLED, "not built: flashbay is shutting down", job);
	} else if (k->step == KS_OLDDEF) {
		struct strbuf msg = STRBUF_INIT;
		enum outcome o = klipper_config_check(k->reg, k->kp.config, &k->kc, &msg);

		if (o != OUTCOME_OK) {
			kb_finish(k, o, msg.buf, job);
		} else {
			k->step = k->batch->opts.no_clean && !klipper_cache_config_changed(&k->kp) ?
					  KS_BUILD : KS_CLEAN;
			build_submit(k);
		}
		strbuf_release(&msg);
	} else if (k->step == KS_CLEAN) {
		k->step = KS_BUILD;
		build_submit(k);
	} else {
		kb_after_build(k, job);
	}
	batch_advance(k->batch);
}

static const struct runner_ops build_ops = { NULL, build_line, build_done };

/* Queue the job of k's current build step. */
static void build_submit(struct kboard *k)
{
	struct job_spec spec = JOB_SPEC_INIT;

	if (k->step == KS_DESCRIBE)
		klipper_describe_spec(&k->kp, &spec);
	else if (k->step == KS_OLDDEF)
		klipper_olddefconfig_spec(&k->kp, &spec);
	else if (k->step == KS_CLEAN)
		klipper_clean_spec(&k->kp, &spec);
	else
		klipper_build_spec(&k->kp, kb_make_jobs(k), &spec);
	if (k->step == KS_BUILD)
		kb_phase(k, PHASE_BUILD);
	kb_log_spec(k, &spec);
	spec.tail_lines = 40;
	k->task = runner_submit(k->batch->builds, &spec, NULL, &build_ops, k);
}

/* ------------------------------------------------------------ flash */

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

/* The flash job runs: its history row opens. */
static void flash_started(struct runner_task *t, struct job *job, void *data)
{
	struct kboard *k = data;

	(void)t;
	(void)job;
	k->start_wall = wall_ms();
	k->start_mono = now_ms();
	/* leaving counts from here: a board found in Katapult has "left" Klipper already */
	k->left = !kb_running_klipper(k);
	k->back = false;
	k->boot_noted = false;
	hist_begin(k);
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
	if (k->log)
		fprintf(k->log, "%s%s\n", s == JOB_STDERR ? "! " : "", line);
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

/* The reappear window of a flashed board passed. */
static void on_reappear_timeout(struct loop_timer *t, void *data)
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
		hist_end(k, o, msg.buf);
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

/* Queue k's flash job: Katapult or make flash (k->katapult). */
static void kb_flash(struct kboard *k)
{
	struct app *app = k->batch->app;
	struct job_spec spec = JOB_SPEC_INIT;
	const char *dev = kb_device_path(k);

	k->step = KS_FLASH;
	k->pub.method = k->katapult ? "katapult" : "make_flash";
	k->flasher = k->katapult ? &flasher_katapult : &flasher_make_flash;
	if (k->katapult)
		klipper_katapult_spec(app->cfg, dev, k->pub.art.path, &spec);
	else
		klipper_flash_spec(&k->kp, dev, klipper_flash_nosudo(), &spec);
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
	struct kbatch *bt = app->klipper ? app->klipper->batch : NULL;
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
		build_submit(k);
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
	if (k->log)
		fclose(k->log);
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
	loop_timer_init(&k->reappear, on_reappear_timeout, k);
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

int app_klipper_start(struct app *app, const char *const *keys, size_t n,
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

int app_klipper_flash_rows(struct app *app, struct app_board *const *rows, size_t n,
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
		r = app_klipper_start(app, keys, n, opts, why);
	free(keys);
	strvec_release(&owned);
	return r;
}

size_t app_klipper_count(const struct app *app)
{
	return app->klipper && app->klipper->batch ? app->klipper->batch->n : 0;
}

struct app_kboard *app_klipper_at(const struct app *app, size_t i)
{
	return i < app_klipper_count(app) ? &app->klipper->batch->v[i]->pub : NULL;
}

const struct app_klipper_status *app_klipper_status(const struct app *app)
{
	static const struct app_klipper_status none;

	return app->klipper && app->klipper->batch ? &app->klipper->batch->st : &none;
}

void app_klipper_answer(struct app *app, bool yes)
{
	struct kbatch *bt = app->klipper ? app->klipper->batch : NULL;

	if (bt && bt->step == B_ASK)
		svc_answer(bt, yes);
}

void klipper_stop(struct app *app, struct app_run *run)
{
	struct kboard *k = run->klipper;

	(void)app;
	kb_cancel(k, "cancelled");
	batch_advance(k->batch);
}

void klipper_shutdown(struct app *app, bool cancel)
{
	struct kbatch *bt = app->klipper ? app->klipper->batch : NULL;

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

void klipper_release(struct app *app)
{
	struct app_klipper *ak = app->klipper;

	if (!ak)
		return;
	batch_free(ak->batch);
	boards_release(&ak->reg);
	free(ak);
	app->klipper = NULL;
}
