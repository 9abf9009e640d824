/* cmd-list.c - `flashbay list [--json] [--all]`: the connected boards as a
 * table for people (every string sanitised, fitted to the terminal) or as
 * JSON for scripts (exact strings, escaped).
 */
#include "autoconf.h"

#include <errno.h>
#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "array.h"
#include "cmd.h"
#include "config.h"
#include "demo.h"
#include "devices.h"
#include "json.h"
#include "loop.h"
#include "parse.h"
#include "path.h"
#include "str.h"
#include "text.h"
#include "xalloc.h"

struct list_opts {
	bool json, all;
};

enum { C_SLOT, C_PORT, C_KIND, C_ID, C_PRODUCT, C_SERIAL, C_BY_ID, C__COUNT };

static const char *const headers[C__COUNT] = { "SLOT",	  "PORT",   "KIND", "VID:PID",
					       "PRODUCT", "SERIAL", "BY-ID" };
/* Fitting the table in the terminal: pass by pass, the widest column above
 * that pass's floor loses a column (0: not in this pass). Descriptor columns
 * give way before the by-id name, which is the one that tells boards apart. */
static const size_t floors[][C__COUNT] = {
	{ [C_PORT] = 16, [C_PRODUCT] = 16, [C_SERIAL] = 12 },
	{ [C_PORT] = 12, [C_PRODUCT] = 8, [C_SERIAL] = 8 },
	{ [C_BY_ID] = 12 },
};
/* Where a cell too long for its column loses characters: by-id names keep
 * both ends (vendor and serial/interface), ports keep the node's name. */
enum cut { CUT_END, CUT_MIDDLE, CUT_START };
static const enum cut cuts[C__COUNT] = { [C_PORT] = CUT_START, [C_BY_ID] = CUT_MIDDLE };

struct table {
	char *(*rows)[C__COUNT]; /* sanitised cells */
	size_t n;
	size_t width[C__COUNT];
	bool ascii, any_dup;
};

/* --- cells ------------------------------------------------------------------ */

/* Length in bytes of the UTF-8 sequence starting with byte c (sanitised text). */
static size_t cp_len(unsigned char c)
{
	return c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
}

/* Columns of the code point at s. */
static size_t cp_width(const char *s)
{
	char one[5] = { 0 };

	memcpy(one, s, cp_len((unsigned char)*s));
	return text_width(one);
}

/* Append the longest prefix of s that fits in cols columns; returns its width. */
static size_t put_head(struct strbuf *out, const char *s, size_t cols)
{
	size_t used = 0;

	while (*s && used + cp_width(s) <= cols) {
		used += cp_width(s);
		strbuf_add(out, s, cp_len((unsigned char)*s));
		s += cp_len((unsigned char)*s);
	}
	return used;
}

/* Append the longest suffix of s that fits in cols columns; returns its width. */
static size_t put_tail(struct strbuf *out, const char *s, size_t cols)
{
	size_t n = strlen(s), start = n, used = 0;

	for (size_t i = n; i-- > 0;) {
		if (((unsigned char)s[i] & 0xc0) == 0x80)
			continue; /* a continuation byte: find the sequence start */
		if (used + cp_width(s + i) > cols)
			break;
		used += cp_width(s + i);
		start = i;
	}
	strbuf_addstr(out, s + start);
	return used;
}

/* Append a sanitised cell in width columns: shortened with an ellipsis
 * (where cut says) when too long, padded unless last. */
static void cell_put(struct strbuf *out, const char *s, size_t width, enum cut cut, bool pad,
		     bool ascii)
{
	const char *ell = ascii ? "..." : "\u2026";
	size_t w = text_width(s), ew = ascii ? 3 : 1, used = 0, head;

	if (w <= width) {
		strbuf_addstr(out, s);
		used = w;
	} else if (width <= ew) {
		used = put_head(out, s, width);
	} else {
		head = cut == CUT_MIDDLE ? (width - ew) / 2 : cut == CUT_END ? width - ew : 0;
		used = put_head(out, s, head);
		strbuf_addstr(out, ell);
		used += ew;
		if (cut != CUT_END)
			used += put_tail(out, s, width - used);
	}
	while (pad && used++ < width)
		strbuf_addch(out, ' ');
}

/* The by-id cell: the link's name without "usb-", '*' when duplicated. */
static char *by_id_cell(const struct device *d, bool ascii)
{
	const char *name = d->by_id ? path_basename(d->by_id) : "-";
	char *s, *out;

	if (str_starts_with(name, "usb-"))
		name += 4;
	s = text_sanitize_dup(name, ascii);
	out = xasprintf("%s%s", d->dup_by_id ? "*" : "", s);
	free(s);
	return out;
}

/* Fill one row of sanitised cells for d. */
static void row_fill(char *row[C__COUNT], const struct device *d, bool ascii)
{
	row[C_SLOT] = d->slot_label ? text_sanitize_dup(d->slot_label, ascii)
				    : xasprintf("%u", d->slot);
	row[C_PORT] = text_sanitize_dup(d->devnode, ascii);
	row[C_KIND] = xstrdup(kind_name(d->kind));
	row[C_ID] = d->usb ? xasprintf("%04x:%04x", d->vid, d->pid) : xstrdup("-");
	row[C_PRODUCT] = text_sanitize_dup(d->product ? d->product : "-", ascii);
	row[C_SERIAL] = text_sanitize_dup(d->serial ? d->serial : "-", ascii);
	row[C_BY_ID] = by_id_cell(d, ascii);
}

/* --- the table ------------------------------------------------------------- */

/* Columns to fit in: $COLUMNS, else the terminal's, else 80. */
static size_t term_columns(void)
{
	struct winsize ws;
	long n;

	if (getenv("COLUMNS") && !parse_long(getenv("COLUMNS"), 40, 10000, &n))
		return (size_t)n;
	if (isatty(STDOUT_FILENO) && !ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) && ws.ws_col >= 40)
		return ws.ws_col;
	return 80;
}

/* Shrink the widest column above its floor until the table fits in cols;
 * returns the remaining total width. */
static size_t table_shrink(struct table *t, const size_t floor[C__COUNT], size_t total,
			   size_t cols)
{
	while (total > cols) {
		int widest = -1;

		for (int c = 0; c < C__COUNT; c++)
			if (floor[c] && t->width[c] > floor[c] &&
			    (widest < 0 || t->width[c] > t->width[widest]))
				widest = c;
		if (widest < 0)
			break;
		t->width[widest]--;
		total--;
	}
	return total;
}

/* Natural widths, then shrink pass by pass until the table fits in cols
 * (or nothing can shrink any more). */
static void table_layout(struct table *t, size_t cols)
{
	size_t total = 2 * (C__COUNT - 1);

	for (int c = 0; c < C__COUNT; c++) {
		t->width[c] = strlen(headers[c]);
		for (size_t r = 0; r < t->n; r++)
			if (text_width(t->rows[r][c]) > t->width[c])
				t->width[c] = text_width(t->rows[r][c]);
		total += t->width[c];
	}
	for (size_t p = 0; p < ARRAY_SIZE(floors); p++)
		total = table_shrink(t, floors[p], total, cols);
}

/* Append one line of cells. */
static void table_line(const struct table *t, struct strbuf *out, char *const cells[C__COUNT])
{
	for (int c = 0; c < C__COUNT; c++) {
		if (c)
			strbuf_addstr(out, "  ");
		cell_put(out, cells[c], t->width[c], cuts[c], c < C__COUNT - 1, t->ascii);
	}
	strbuf_addch(out, '\n');
}

/* Print the table of devs' present devices. */
static void print_table(const struct devices *devs, bool ascii)
{
	struct table t = { .ascii = ascii };
	struct strbuf out = STRBUF_INIT;
	size_t n = devices_count(devs);

	t.rows = xcalloc(n + 1, sizeof *t.rows);
	for (size_t i = 0; i < n; i++) {
		const struct device *d = devices_at(devs, i);

		if (!d->present)
			continue;
		row_fill(t.rows[t.n++], d, ascii);
		t.any_dup |= d->dup_by_id;
	}
	table_layout(&t, term_columns());
	table_line(&t, &out, (char *const *)headers);
	for (size_t r = 0; r < t.n; r++)
		table_line(&t, &out, t.rows[r]);
	if (t.any_dup)
		strbuf_addstr(&out, "* by-id name shared by several boards: tell them apart by slot\n");
	fputs(out.buf, stdout);
	for (size_t r = 0; r < t.n; r++)
		for (int c = 0; c < C__COUNT; c++)
			free(t.rows[r][c]);
	free(t.rows);
	strbuf_release(&out);
}

/* --- JSON ------------------------------------------------------------------ */

/* One device as a JSON object (raw strings, escaped by the writer). */
static void json_device(struct jw *jw, const struct device *d)
{
	char id[8];

	jw_object_begin(jw, NULL);
	jw_int(jw, "slot", d->slot);
	jw_str(jw, "slot_label", d->slot_label);
	jw_str(jw, "port", d->devnode);
	jw_str(jw, "by_id", d->by_id);
	jw_str(jw, "by_path", d->by_path);
	jw_str(jw, "id_path", d->id_path);
	jw_str(jw, "kind", kind_name(d->kind));
	jw_str(jw, "kind_detail", d->kind_what);
	jw_bool(jw, "usb", d->usb);
	snprintf(id, sizeof id, "%04x", d->vid);
	jw_str(jw, "vid", d->usb ? id : NULL);
	snprintf(id, sizeof id, "%04x", d->pid);
	jw_str(jw, "pid", d->usb ? id : NULL);
	jw_str(jw, "manufacturer", d->manufacturer);
	jw_str(jw, "product", d->product);
	jw_str(jw, "serial", d->serial);
	jw_str(jw, "driver", d->driver);
	if (d->ifnum >= 0)
		jw_int(jw, "interface", d->ifnum);
	else
		jw_null(jw, "interface");
	jw_bool(jw, "duplicate_by_id", d->dup_by_id);
	jw_array_begin(jw, "devlinks");
	for (size_t i = 0; i < d->devlinks.n; i++)
		jw_str(jw, NULL, d->devlinks.v[i]);
	jw_array_end(jw);
	jw_object_end(jw);
}

/* Print the present devices as a JSON array. */
static void print_json(const struct devices *devs)
{
	struct strbuf out = STRBUF_INIT;
	struct jw jw;

	jw_init(&jw, &out);
	jw_array_begin(&jw, NULL);
	for (size_t i = 0; i < devices_count(devs); i++)
		if (devices_at(devs, i)->present)
			json_device(&jw, devices_at(devs, i));
	jw_array_end(&jw);
	strbuf_addch(&out, '\n');
	fputs(out.buf, stdout);
	strbuf_release(&out);
}

/* --- the command ----------------------------------------------------------- */

/* Parse list's own options; EXIT_USAGE after a message on error. */
static int list_parse(int argc, char **argv, struct list_opts *o)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json"))
			o->json = true;
		else if (!strcmp(argv[i], "--all") || !strcmp(argv[i], "-a"))
			o->all = true;
		else if (argv[i][0] == '-' && strcmp(argv[i], "--"))
			return cmd_usage_error("list", "unknown option '%s'", argv[i]);
		else if (strcmp(argv[i], "--"))
			return cmd_usage_error("list", "unexpected argument '%s'", argv[i]);
	}
	return 0;
}

/* The line printed when nothing was found, with a hint. */
static void print_none(const struct config *cfg, bool all, bool ascii)
{
	char *dev = text_sanitize_dup(cfg->dev_root && *cfg->dev_root ? cfg->dev_root : "/dev",
				      ascii);

	printf("no %s found (check 'ls %s/serial/by-id' and that you are in the 'dialout' group)\n",
	       all ? "serial ports" : "USB serial boards", dev);
	free(dev);
}

/* Does devs hold any present device? */
static bool any_present(const struct devices *devs)
{
	for (size_t i = 0; i < devices_count(devs); i++)
		if (devices_at(devs, i)->present)
			return true;
	return false;
}

int cmd_list(struct globals *g, int argc, char **argv)
{
	struct list_opts o = { 0 };
	struct devices_opts dopts = { 0 };
	struct strbuf err = STRBUF_INIT;
	struct devices *devs = NULL;
	struct demo *demo;
	struct config cfg;
	struct loop *loop;
	bool ascii = strcmp(nl_langinfo(CODESET), "UTF-8") != 0;
	int r = list_parse(argc, argv, &o);

	if (r)
		return r;
	r = cmd_load_config(g, &cfg);
	if (r) {
		config_release(&cfg); /* what was read before the error */
		return r;
	}
	dopts.source = g->no_udev ? DEVICES_SCAN : DEVICES_AUTO;
	dopts.include_non_usb = o.all;
	/* the demo's boards, all there at once */
	demo = g->demo ? demo_new(g->demo, false, &cfg, &dopts, NULL, &err) : NULL;
	loop = loop_new();
	r = g->demo && !demo ? -EINVAL : devices_open(loop, &cfg, &dopts, NULL, NULL, &devs, &err);
	if (r < 0) {
		char *msg = text_sanitize_dup(err.buf, ascii);

		fprintf(stderr, "flashbay list: %s\n", msg);
		free(msg);
		r = EXIT_FAIL;
	} else if (o.json) {
		print_json(devs);
	} else if (!any_present(devs)) {
		print_none(&cfg, o.all, ascii);
	} else {
		print_table(devs, ascii);
	}
	devices_close(devs);
	loop_free(loop);
	demo_free(demo);
	config_release(&cfg);
	strbuf_release(&err);
	return r;
}
