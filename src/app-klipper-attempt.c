/* app-klipper-attempt.c - what the attempt module (attempt.c) records of a
 * Klipper board: the fields of its history row (opened when a flash job
 * starts, completed at the board's end or before a fallback to make flash),
 * the tail of its last job's output, and the name of its log file. */
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
	a->unit_label = k->pub.row->label[0] ? k->pub.row->label : NULL; /* app-unit.c */
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
	struct strbuf fw = STRBUF_INIT;
	struct attempt a;

	if (!k->batch->app->hist || !k->run || k->at.hist_id)
		return;
	hist_fill(k, &a, &fw);
	attempt_begin(k->batch->app, &k->at, &a);
	strbuf_release(&fw);
}

void kb_hist_end(struct kboard *k, enum outcome o, const char *message)
{
	struct app *app = k->batch->app;
	struct strbuf fw = STRBUF_INIT;
	struct attempt a;

	/* cancelled before the board was touched: not an attempt */
	if (!app->hist || !k->run || (!k->at.hist_id && o == OUTCOME_CANCELLED))
		return;
	kb_hist_begin(k);
	hist_fill(k, &a, &fw);
	a.chip = k->pub.prog.facts.mcu[0] ? k->pub.prog.facts.mcu : k->pub.mcu;
	a.heard = k->pub.prog.facts.mcu[0] || k->pub.prog.facts.chip[0];
	a.exit_code = k->exit_code;
	a.bytes_written = (int64_t)k->pub.prog.bytes_written;
	a.output = k->out.len ? k->out.buf : NULL;
	attempt_end(app, &k->at, &a, o, message);
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
	char *what = xasprintf("klipper-%s", k->pub.key);

	attempt_open_log(k->batch->app, &k->at, what);
	free(what);
}

void kb_log_spec(struct kboard *k, const struct job_spec *spec)
{
	char *cmd;

	if (!k->at.log)
		return;
	cmd = strvec_join(&spec->argv, " ");
	attempt_log(&k->at, "$ ", cmd);
	fflush(k->at.log);
	free(cmd);
}
