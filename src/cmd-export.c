/* cmd-export.c - `flashbay export --csv FILE|-` / `--json FILE|-`: every
 * attempt as RFC 4180 CSV, or as a JSON array of the objects `history
 * --json` prints (the same fields), written to a temporary file next to FILE
 * and renamed into place. */
#include "autoconf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "fd.h"
#include "files.h"
#include "histcmd.h"
#include "json.h"

#define FLUSH_AT 65536

struct export_opts {
	const char *csv, *json, *since;
	const char *path; /* the one of csv and json given */
	int64_t since_ms;
};

struct csv_out {
	int fd;
	struct strbuf buf;
	int err;     /* -errno of the first failed write */
	bool json;   /* a JSON array, written through jw */
	struct jw jw;
};

/* Parse the options; 0, or an exit code after a usage error. */
static int parse_opts(int argc, char **argv, struct export_opts *o)
{
	for (int i = 1; i < argc; i++) {
		int r = histcmd_opt("export", argc, argv, &i, "--csv", &o->csv);

		if (!r)
			r = histcmd_opt("export", argc, argv, &i, "--json", &o->json);
		if (!r)
			r = histcmd_opt("export", argc, argv, &i, "--since", &o->since);
		if (r < 0)
			return EXIT_USAGE;
		if (!r)
			return cmd_usage_error("export", "unknown argument '%s'", argv[i]);
	}
	if (o->csv && o->json)
		return cmd_usage_error("export", "--csv and --json: one format at a time");
	o->path = o->csv ? o->csv : o->json;
	if (!o->path || !*o->path)
		return cmd_usage_error("export", "say where to write: --csv FILE or --json FILE "
						 "(- for stdout)");
	o->since_ms = INT64_MIN;
	if (o->since && histcmd_since("export", o->since, &o->since_ms))
		return EXIT_USAGE;
	return 0;
}

/* Write out the buffer when it is big (or always when force). */
static int flush(struct csv_out *o, bool force)
{
	if (o->err || (!force && o->buf.len < FLUSH_AT))
		return o->err;
	o->err = write_all(o->fd, o->buf.buf, o->buf.len);
	strbuf_reset(&o->buf);
	return o->err;
}

/* The header row: the column names. */
static void header(struct csv_out *o)
{
	struct history_row r = { 0 };
	struct histcol col[HISTCOL_COUNT];

	histcol_fill(&r, col);
	for (size_t i = 0; i < HISTCOL_COUNT; i++)
		csv_field(&o->buf, col[i].name, i == 0, false);
	csv_end_row(&o->buf);
}

/* One row; text columns are guarded against formulas. */
static int row(const struct history_row *r, void *data)
{
	struct csv_out *o = data;
	struct histcol col[HISTCOL_COUNT];
	char num[32];

	histcol_fill(r, col);
	for (size_t i = 0; i < HISTCOL_COUNT; i++) {
		const char *s = NULL;

		if (col[i].kind == HC_TEXT)
			s = col[i].s;
		else if (col[i].kind == HC_INT)
			snprintf(num, sizeof num, "%lld", (long long)col[i].i), s = num;
		else if (col[i].kind == HC_REAL)
			snprintf(num, sizeof num, "%.6g", col[i].d), s = num;
		else if (col[i].kind == HC_BOOL)
			s = col[i].i ? "1" : "0";
		csv_field(&o->buf, s, i == 0, col[i].kind == HC_TEXT);
	}
	csv_end_row(&o->buf);
	return flush(o, false);
}

/* One attempt as the object `history --json` prints. */
static int json_row(const struct history_row *r, void *data)
{
	struct csv_out *o = data;

	jw_object_begin(&o->jw, NULL);
	histcol_json(&o->jw, r);
	jw_object_end(&o->jw);
	return flush(o, false);
}

/* Header and rows into o (no history: the header only, or []); name is
 * where they go, for messages. Every error is printed. */
static int write_csv(struct histcmd *c, const struct export_opts *eo, struct csv_out *o,
		     const char *name)
{
	struct history_filter f = { .since_ms = eo->since_ms, .with_output = true };
	struct strbuf err = STRBUF_INIT;
	int r = 0;

	o->json = eo->json != NULL;
	if (o->json) {
		jw_init(&o->jw, &o->buf);
		jw_array_begin(&o->jw, NULL);
	} else {
		header(o);
	}
	if (c->h)
		r = history_rows(c->h, &f, o->json ? json_row : row, o, &err);
	if (!r && o->json) {
		jw_array_end(&o->jw);
		strbuf_addch(&o->buf, '\n');
	}
	if (!r)
		r = flush(o, true);
	if (o->err)
		strbuf_addf(&err, "cannot write '%s': %s", name, strerror(-o->err));
	if (r)
		histcmd_fail(c, err.buf);
	strbuf_release(&err);
	return r;
}

/* Export into FILE through a temp file and a rename. */
static int export_file(struct histcmd *c, const struct export_opts *eo)
{
	struct csv_out o = { .buf = STRBUF_INIT };
	struct strbuf msg = STRBUF_INIT;
	char *tmp = NULL;
	bool reported = false;
	int r;

	o.fd = atomic_open(eo->path, 0644, &tmp);
	if (o.fd < 0) {
		r = o.fd;
	} else if (write_csv(c, eo, &o, eo->path)) {
		close(o.fd);
		unlink(tmp);
		r = -EIO;
		reported = true;
	} else {
		r = atomic_commit(o.fd, tmp, eo->path);
	}
	if (r && !reported) {
		strbuf_addf(&msg, "cannot write '%s': %s", eo->path, strerror(-r));
		histcmd_fail(c, msg.buf);
	}
	free(tmp);
	strbuf_release(&o.buf);
	strbuf_release(&msg);
	return r ? EXIT_FAIL : EXIT_OK;
}

int cmd_export(struct globals *g, int argc, char **argv)
{
	struct export_opts eo = { 0 };
	struct histcmd c = { .name = "export" };
	int r = parse_opts(argc, argv, &eo);

	if (r)
		return r;
	r = histcmd_open(&c, g, false);
	if (r == -ENOENT) {
		struct strbuf msg = STRBUF_INIT;

		strbuf_addf(&msg, "no history yet at %s; writing %s", c.cfg.database,
			    eo.json ? "an empty list" : "the header only");
		histcmd_fail(&c, msg.buf);
		strbuf_release(&msg);
	}
	if (r == -ENOENT || !r) {
		if (!strcmp(eo.path, "-")) {
			struct csv_out o = { .fd = STDOUT_FILENO, .buf = STRBUF_INIT };

			r = write_csv(&c, &eo, &o, "standard output") ? EXIT_FAIL : EXIT_OK;
			strbuf_release(&o.buf);
		} else {
			r = export_file(&c, &eo);
		}
	}
	histcmd_close(&c);
	return r;
}
