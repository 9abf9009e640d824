/* app-klipper-attempt.c - what a Klipper board's attempt leaves behind: its
 * history row (opened when a flash job starts, completed at the board's end
 * or before a fallback to make flash), the tail of its last job's output, and
 * its log file in log_dir. Kept apart so the shared attempt module can
 * replace it. */
#include "autoconf.h"

#include "app-klipper.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "json.h"
#include "path.h"
#include "xalloc.h"

/* ------------------------------------------------------------ history */

const char *kb_method(const struct kboard *k)
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
	a->device = k->run->lock_key;
	a->by_id = k->run->by_id;
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

void kb_hist_begin(struct kboard *k)
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

void kb_hist_end(struct kboard *k, enum outcome o, const char *message)
{
	struct app *app = k->batch->app;
	struct strbuf err = STRBUF_INIT, fw = STRBUF_INIT;
	struct attempt a;

	/* cancelled before the board was touched: not an attempt */
	if (!app->hist || !k->run || (!k->hist_id && o == OUTCOME_CANCELLED))
		return;
	kb_hist_begin(k);
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

/* ------------------------------------------------------------ output and log */

void kb_keep_output(struct kboard *k, const struct job *job)
{
	if (!job)
		return;
	strbuf_reset(&k->out);
	tail_join(job_tail(job), &k->out);
}

void kb_open_log(struct kboard *k)
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

void kb_log_spec(struct kboard *k, const struct job_spec *spec)
{
	char *cmd;

	if (!k->log)
		return;
	cmd = strvec_join(&spec->argv, " ");
	fprintf(k->log, "$ %s\n", cmd);
	fflush(k->log);
	free(cmd);
}
