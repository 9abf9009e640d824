/* histcmd.c - shared parts of the history commands. */
#include "autoconf.h"

#include "histcmd.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "json.h"
#include "str.h"
#include "text.h"

int histcmd_fail(const struct histcmd *c, const char *msg)
{
	struct strbuf sb = STRBUF_INIT;

	text_sanitize(&sb, msg, strlen(msg), false);
	fprintf(stderr, "flashbay %s: %s\n", c->name, sb.buf);
	strbuf_release(&sb);
	return EXIT_FAIL;
}

int histcmd_open(struct histcmd *c, struct globals *g, bool writer)
{
	struct strbuf err = STRBUF_INIT;
	int r;

	c->h = NULL;
	if (cmd_load_config(g, &c->cfg))
		return EXIT_USAGE;
	r = writer ? history_open(c->cfg.database, &c->h, &err)
		   : history_open_reader(c->cfg.database, &c->h, &err);
	if (r && r != -ENOENT) { /* as for flash: no usable history, nothing done */
		histcmd_fail(c, err.buf);
		r = EXIT_USAGE;
	}
	if (!r && history_journal_waiting(c->h)) {
		strbuf_reset(&err);
		int n = history_journal_waiting(c->h);

		strbuf_addf(&err, "note: %d %s in the journal '%s.pending' %s not in the history "
				  "yet (the next flashbay that can write it applies them)",
			    n, plural(n, "result", "results"), c->cfg.database, n == 1 ? "is" : "are");
		histcmd_fail(c, err.buf);
	}
	strbuf_release(&err);
	return r;
}

void histcmd_close(struct histcmd *c)
{
	history_close(c->h);
	c->h = NULL;
	config_release(&c->cfg);
}

int histcmd_opt(const char *cmd, int argc, char **argv, int *i, const char *name,
		const char **val)
{
	const char *a = argv[*i];
	size_t n = strlen(name);

	if (strncmp(a, name, n) || (a[n] && a[n] != '='))
		return 0;
	if (a[n] == '=') {
		*val = a + n + 1;
		return 1;
	}
	/* `--port --limit 1`: the next word is an option, not the value */
	if (*i + 1 >= argc || (!strncmp(argv[*i + 1], "--", 2) && argv[*i + 1][2])) {
		cmd_usage_error(cmd, "option '%s' needs a value", name);
		return -1;
	}
	*val = argv[++*i];
	return 1;
}

int histcmd_since(const char *cmd, const char *s, int64_t *ms)
{
	if (!parse_since(s, wall_ms(), ms))
		return 0;
	cmd_usage_error(cmd, "bad --since '%s': give a date (2026-11-21, 2026-11-21T08:00) "
			     "or a time back from now (30m, 8h, 2d)", s);
	return -1;
}

void histcmd_time(int64_t ms, char out[32])
{
	format_iso8601(ms, out);
	out[10] = ' ';
	out[19] = '\0';
}

/* Column i: text (NULL: null). */
static void col_text(struct histcol *c, const char *name, const char *s)
{
	c->name = name;
	c->kind = s ? HC_TEXT : HC_NULL;
	c->s = s;
}

/* Column i: an integer, null when it equals none. */
static void col_int(struct histcol *c, const char *name, int64_t v, int64_t none)
{
	c->name = name;
	c->kind = v == none ? HC_NULL : HC_INT;
	c->i = v;
}

/* Column: a USB id as four hex digits, null when 0. */
static void col_hex(struct histcol *c, const char *name, unsigned v)
{
	snprintf(c->buf, sizeof c->buf, "%04x", v & 0xffffu);
	col_text(c, name, v ? c->buf : NULL);
}

void histcol_fill(const struct history_row *r, struct histcol col[HISTCOL_COUNT])
{
	const struct attempt *a = &r->a;
	struct histcol *c = col;

	col_int(c++, "id", r->id, -1);
	col_int(c++, "period", r->period, -1);
	col_text(c++, "started_at", r->started_at);
	col_text(c++, "finished_at", r->finished_at);
	col_text(c++, "station", a->station);
	col_int(c++, "slot", a->slot, 0);
	col_text(c++, "port", a->port);
	col_text(c++, "by_path", a->by_path);
	col_hex(c++, "vid", a->vid);
	col_hex(c++, "pid", a->pid);
	col_text(c++, "usb_serial", a->usb_serial);
	col_text(c++, "unit", a->unit);
	col_text(c++, "chip", a->chip);
	col_text(c++, "mac", a->mac);
	col_text(c++, "board", a->board);
	col_text(c++, "method", a->method);
	col_text(c++, "outcome", a->outcome);
	col_text(c++, "failure_class", a->failure_class);
	col_text(c++, "message", a->message);
	col_int(c++, "exit_code", a->exit_code, -1);
	col_int(c++, "duration_ms", a->duration_ms, -1);
	col_int(c++, "bytes_written", a->bytes_written, -1);
	c->name = "kbps";
	c->kind = a->kbps > 0 ? HC_REAL : HC_NULL;
	c++->d = a->kbps;
	col_text(c++, "firmware_sha256", a->firmware_sha256);
	col_int(c++, "firmware_size", a->firmware_size, -1);
	col_text(c++, "firmware", a->firmware);
	/* schema 3: after the older columns, so their positions stay; output last */
	col_text(c++, "device", a->device);
	col_text(c++, "by_id", a->by_id);
	c->name = "reached";
	c->kind = a->outcome ? HC_BOOL : HC_NULL;
	c++->i = r->reached;
	/* schema 5: per-unit data */
	col_text(c++, "serial", a->serial);
	col_text(c++, "unit_sha256", a->unit_sha256);
	col_text(c++, "unit_label", a->unit_label);
	col_text(c++, "output", a->output);
}

void histcol_json(struct jw *jw, const struct history_row *r)
{
	struct histcol col[HISTCOL_COUNT];

	histcol_fill(r, col);
	for (size_t i = 0; i < HISTCOL_COUNT; i++) {
		if (col[i].kind == HC_TEXT)
			jw_str(jw, col[i].name, col[i].s);
		else if (col[i].kind == HC_INT)
			jw_int(jw, col[i].name, col[i].i);
		else if (col[i].kind == HC_REAL)
			jw_double(jw, col[i].name, col[i].d);
		else if (col[i].kind == HC_BOOL)
			jw_bool(jw, col[i].name, col[i].i != 0);
		else
			jw_null(jw, col[i].name);
	}
}
