/* app-esp32-unit.c - the per-unit step of an ESP32 attempt: serial, unit
 * command, and the image set with the unit image (app-esp32-unit.h). */
#include "autoconf.h"

#include "app-esp32-unit.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app-internal.h"
#include "config.h"
#include "firmware.h"
#include "history-serials.h"
#include "path.h"
#include "str.h"
#include "unit.h"
#include "xalloc.h"

struct esp32_unit {
	struct app_run *run;
	esp32_unit_done_fn *done;
	char *dir;             /* the private folder of the command's output */
	char *out;             /* FLASHBAY_OUT */
	struct strbuf stderr_text; /* the command's last words on stderr */
	struct firmware fw;    /* the firmware and the unit image, once made */
	bool ready;
};

/* The serial source of cfg, parsed; *csv loaded for a CSV. 0 or -errno + err. */
static int load_source(const struct config *cfg, struct unit_counter *counter,
		       struct unit_csv *csv, bool *is_csv, struct strbuf *err)
{
	*is_csv = !str_starts_with(cfg->unit_serials, "counter:");
	if (*is_csv)
		return unit_csv_load(cfg->unit_serials, csv, err);
	return unit_counter_parse(cfg->unit_serials + 8, counter, err);
}

/* Take the board's serial into run->at.serial and its row; a CSV source
 * stays loaded in csv (csv->names.n > 0) for the row's extra columns. */
static int take_serial(struct app_run *run, const char *mac, struct unit_csv *csv,
		       struct strbuf *err)
{
	struct app *app = run->app;
	const struct config *cfg = app->cfg;
	struct unit_counter counter = { 0 };
	struct serial_request req = { .source = cfg->unit_serials, .mac = mac,
				      .station = cfg->station_name, .fresh = run->b->new_serial };
	char *serial = NULL;
	bool is_csv = false, kept = false;
	int r = -ENOENT;

	if (!app->hist)
		strbuf_addstr(err, "no history database to take a serial from");
	else
		r = load_source(cfg, &counter, csv, &is_csv, err);
	if (!r) {
		req.counter = is_csv ? NULL : &counter;
		req.csv = is_csv ? csv : NULL;
		r = history_serial_take(app->hist, &req, &serial, &kept, err);
	}
	if (!r) {
		snprintf(run->at.serial, sizeof run->at.serial, "%s", serial);
		snprintf(run->b->serial, sizeof run->b->serial, "%s", serial);
		run->b->new_serial = false;
		app_run_output(run, JOB_STDOUT, kept ? "[unit] the board keeps its serial"
						     : "[unit] a new serial was taken", false);
	}
	free(serial);
	unit_counter_release(&counter);
	return r;
}

/* Add the command's stderr line to its last words (bounded). */
static void unit_line(struct runner_task *t, enum job_stream s, const char *line, size_t len,
		      bool partial, void *data)
{
	struct esp32_unit *u = data;

	(void)t;
	if (partial)
		return;
	attempt_output(&u->run->at, s, line);
	if (s != JOB_STDERR || !len)
		return;
	if (u->stderr_text.len > 400)
		strbuf_reset(&u->stderr_text); /* keep the last words */
	strbuf_addf(&u->stderr_text, "%s%s", u->stderr_text.len ? "; " : "", line);
}

/* The firmware with the unit image at its offset. */
static int make_firmware(struct esp32_unit *u, struct strbuf *err)
{
	const struct firmware *fw = &u->run->app->fw;
	int r = 0;

	firmware_release(&u->fw);
	firmware_init(&u->fw);
	for (size_t i = 0; !r && i < fw->n; i++)
		r = firmware_add(&u->fw, fw->images[i].offset, fw->images[i].path, err);
	if (!r)
		r = firmware_add(&u->fw, u->run->app->cfg->unit_offset, u->out, err);
	if (!r)
		r = firmware_finalize(&u->fw, err);
	u->fw.flash_mode = xstrdup_or_null(fw->flash_mode);
	u->fw.flash_freq = xstrdup_or_null(fw->flash_freq);
	u->fw.flash_size = xstrdup_or_null(fw->flash_size);
	return r;
}

/* Why the command failed, as the message (its stderr last). */
static void command_failed(struct esp32_unit *u, const struct job *job, int err,
			   struct strbuf *msg)
{
	const struct job_status *st = job ? job_status(job) : NULL;
	const struct config *cfg = u->run->app->cfg;

	if (err) {
		job_spawn_error(msg, cfg->unit_command, err);
		return;
	}
	if (st->timed_out)
		strbuf_addf(msg, "the unit command timed out after %llu s",
			    (unsigned long long)cfg->unit_timeout_ms / 1000);
	else if (st->signo)
		strbuf_addf(msg, "the unit command was killed by signal %d", st->signo);
	else
		strbuf_addf(msg, "the unit command exited with status %d", st->code);
	strbuf_addf(msg, ": %s", u->stderr_text.len ? u->stderr_text.buf : "(nothing on stderr)");
}

static void unit_done(struct runner_task *t, struct job *job, int err, void *data)
{
	struct esp32_unit *u = data;
	struct strbuf msg = STRBUF_INIT;
	const struct job_status *st = job ? job_status(job) : NULL;
	enum outcome o = OUTCOME_UNIT_FAILED;

	(void)t;
	u->run->task = NULL;
	if (err == -ECANCELED || (st && st->cancelled)) {
		o = OUTCOME_CANCELLED;
	} else if (err || st->timed_out || st->signo || st->code) {
		command_failed(u, job, err, &msg);
	} else if (!unit_check_output(u->out, u->run->app->cfg->unit_max_size,
				      u->run->at.unit_sha256, &msg) &&
		   !make_firmware(u, &msg)) {
		o = OUTCOME_OK;
		u->ready = true;
	} else if (u->stderr_text.len) {
		strbuf_addf(&msg, " (stderr: %s)", u->stderr_text.buf);
	}
	u->done(u->run, o, msg.len ? msg.buf : NULL);
	strbuf_release(&msg);
}

static const struct runner_ops unit_ops = { NULL, unit_line, unit_done };

/* The command's job for run: argv, environment, output file. */
static int command_spec(struct esp32_unit *u, struct job_spec *spec, struct strbuf *err)
{
	struct app_run *run = u->run;
	const struct flash_facts *f = &run->b->prog.facts;
	struct unit_csv csv = { 0 };
	struct unit_request ur = { .mac = f->mac, .chip = f->chip,
				   .station = run->app->cfg->station_name, .slot = run->slot };
	int r = take_serial(run, f->mac, &csv, err);

	if (!r && !u->dir)
		u->dir = unit_tempdir(err);
	if (!r && !u->dir)
		r = -EIO;
	if (!r) {
		free(u->out);
		u->out = path_join(u->dir, "unit.bin");
		remove(u->out);
		ur.serial = run->at.serial;
		ur.out = u->out;
		ur.csv = csv.names.n ? &csv : NULL;
		ur.row = csv.names.n ? unit_csv_find(&csv, run->at.serial) : NULL;
		unit_command_spec(run->app->cfg, &ur, spec);
	}
	if (csv.names.n)
		unit_csv_release(&csv);
	return r;
}

int esp32_unit_start(struct esp32_unit **up, struct app_run *run, esp32_unit_done_fn *done,
		     struct runner_task **task, struct strbuf *err)
{
	struct esp32_unit *u = *up;
	struct job_spec spec = JOB_SPEC_INIT;
	int r;

	if (!u) {
		u = *up = xcalloc(1, sizeof *u);
		strbuf_init(&u->stderr_text);
		firmware_init(&u->fw);
	}
	u->run = run;
	u->done = done;
	u->ready = false;
	strbuf_reset(&u->stderr_text);
	if (!run->b->prog.facts.mac[0]) {
		strbuf_addstr(err, "esptool read_mac told no MAC: no serial can be given");
		return -ENODATA;
	}
	r = command_spec(u, &spec, err);
	if (!r)
		*task = runner_submit(run->app->runner, &spec, NULL, &unit_ops, u);
	job_spec_release(&spec);
	return r;
}

const struct firmware *esp32_unit_firmware(const struct esp32_unit *u)
{
	return u && u->ready ? &u->fw : NULL;
}

void esp32_unit_free(struct esp32_unit *u)
{
	if (!u)
		return;
	if (u->dir)
		remove_tree(u->dir);
	free(u->dir);
	free(u->out);
	strbuf_release(&u->stderr_text);
	firmware_release(&u->fw);
	free(u);
}
