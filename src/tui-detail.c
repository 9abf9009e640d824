/* tui-detail.c - one board in full (i): its port and USB identity, state,
 * chip, MAC, firmware, the last result with its class, hint and whole
 * message, its last attempts from the history and the tool output of the
 * newest; wrapped to the screen's width and scrollable, at 80x24 and on a
 * serial console alike. */
#include "autoconf.h"

#include "tui.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "history-query.h"
#include "str.h"
#include "strvec.h"
#include "xalloc.h"

/* Attempts read from the history. */
#define DETAIL_ATTEMPTS 5
/* Column of the values after their labels. */
#define LABEL_W 10

struct detail_line {
	char *text; /* raw */
	int indent; /* of its continuation rows */
	enum tui_role role;
};

struct tui_detail {
	unsigned slot;
	bool stale;   /* read the board and the history again at the next frame */
	size_t top;   /* first row shown */
	size_t rows;  /* wrapped rows at the last frame */
	int page;     /* rows shown at the last frame */
	struct detail_line *lines;
	size_t n, alloc;
	struct strbuf output; /* tool output of the newest attempt that has some */
};

/* Append a line. */
static void add_line(struct tui_detail *d, int indent, enum tui_role role, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void add_line(struct tui_detail *d, int indent, enum tui_role role, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	d->lines = xgrow(d->lines, &d->alloc, d->n + 1, sizeof *d->lines);
	d->lines[d->n++] = (struct detail_line){ strbuf_detach(&sb), indent, role };
}

/* "Label     value" (value raw; nothing when it is empty). */
static void add_field(struct tui_detail *d, enum tui_role role, const char *label, const char *value)
{
	if (value && *value)
		add_line(d, LABEL_W, role, "%-*s%s", LABEL_W, label, value);
}

static void clear_lines(struct tui_detail *d)
{
	for (size_t i = 0; i < d->n; i++)
		free(d->lines[i].text);
	d->n = 0;
	strbuf_reset(&d->output);
}

/* Local time of a wall-clock ms value: "2026-11-21 09:41:07". */
static void when_text(int64_t ms, char out[32])
{
	time_t when = (time_t)(ms / 1000);
	struct tm tm;

	localtime_r(&when, &tm);
	strftime(out, 32, "%Y-%m-%d %H:%M:%S", &tm);
}

/* Port, USB identity, state, chip, MAC. */
static void add_identity(struct tui_detail *d, const struct app_board *b)
{
	const struct device *dev = b->dev;
	struct strbuf sb = STRBUF_INIT;
	char state[64];
	enum tui_role role = tui_state_text(b, state, sizeof state);

	if (dev) {
		add_field(d, ROLE_NORMAL, "Port", dev->devnode);
		add_field(d, ROLE_NORMAL, "by-id", dev->by_id);
		if (dev->vid || dev->pid)
			strbuf_addf(&sb, "%04x:%04x ", dev->vid, dev->pid);
		strbuf_addf(&sb, "%s %s%s%s", dev->manufacturer ? dev->manufacturer : "",
			    dev->product ? dev->product : "", dev->serial ? ", serial " : "",
			    dev->serial ? dev->serial : "");
		strbuf_trim(&sb);
		add_field(d, ROLE_NORMAL, "USB", sb.buf);
		add_field(d, ROLE_NORMAL, "Kind", kind_name(dev->kind));
	} else {
		add_field(d, ROLE_DIM, "Port", "gone (unplugged)");
	}
	add_field(d, role, "State", state);
	add_field(d, ROLE_NORMAL, "Chip", b->chip[0] ? b->chip : "- (not known yet)");
	add_field(d, ROLE_NORMAL, "MAC", b->mac[0] ? b->mac : "- (not known yet)");
	if (b->serial[0])
		add_field(d, ROLE_NORMAL, "Serial", b->serial);
	if (b->label[0])
		add_field(d, ROLE_NORMAL, "Label", b->label);
	strbuf_release(&sb);
}

/* The result of this plug-in's last attempt, its hint and whole message. */
static void add_result(struct tui_detail *d, const struct app_board *b)
{
	struct strbuf sb = STRBUF_INIT;
	char when[32];

	if (!b->result_wall_ms)
		return;
	when_text(b->result_wall_ms, when);
	strbuf_addf(&sb, "%s", b->outcome == OUTCOME_OK ? "PASS" : "FAIL ");
	if (b->outcome != OUTCOME_OK)
		strbuf_addstr(&sb, outcome_name(b->outcome));
	strbuf_addf(&sb, "  %s  %.1f s", when, (double)b->duration_ms / 1000.0);
	if (b->exit_code >= 0)
		strbuf_addf(&sb, "  exit %d", b->exit_code);
	add_field(d, b->outcome == OUTCOME_OK ? ROLE_PASS : ROLE_FAIL, "Result", sb.buf);
	if (b->outcome != OUTCOME_OK)
		add_field(d, ROLE_WARN, "Hint", outcome_message(b->outcome));
	add_field(d, ROLE_NORMAL, "Message", b->message);
	strbuf_release(&sb);
}

/* One attempt of the history: a summary line and its message. */
static int add_attempt(const struct history_row *r, void *data)
{
	struct tui_detail *d = data;
	const struct attempt *a = &r->a;
	bool ok = a->outcome && !strcmp(a->outcome, "ok");
	struct strbuf sb = STRBUF_INIT;
	char when[32];
	int hint;

	when_text(a->started_ms, when);
	strbuf_addf(&sb, "%s %s", when, ok ? "PASS" : a->failure_class ? "FAIL " : a->outcome);
	if (!ok && a->failure_class)
		strbuf_addstr(&sb, a->failure_class);
	if (a->duration_ms >= 0)
		strbuf_addf(&sb, "  %.1f s", (double)a->duration_ms / 1000.0);
	if (a->firmware_sha256)
		strbuf_addf(&sb, "  fw %.8s", a->firmware_sha256);
	if (a->chip)
		strbuf_addf(&sb, "  %s", a->chip);
	if (a->mac)
		strbuf_addf(&sb, "  %s", a->mac);
	if (a->serial)
		strbuf_addf(&sb, "  serial %s", a->serial);
	if (a->unit_label)
		strbuf_addf(&sb, "  label %s", a->unit_label);
	if (a->method)
		strbuf_addf(&sb, "  %s", a->method);
	add_line(d, 4, ok ? ROLE_PASS : a->failure_class ? ROLE_FAIL : ROLE_ACTIVE, "  %s", sb.buf);
	hint = a->failure_class ? outcome_from_name(a->failure_class) : -1;
	if (hint >= 0 && !(a->message && str_starts_with(a->message, outcome_message(hint))))
		add_line(d, 4, ROLE_WARN, "    hint: %s", outcome_message(hint));
	if (a->message && *a->message)
		add_line(d, 4, ROLE_NORMAL, "    %s", a->message);
	if (!d->output.len && a->output && *a->output)
		strbuf_addstr(&d->output, a->output);
	strbuf_release(&sb);
	return 0;
}

/* The board's last attempts (by MAC if known, else by port) and the tool
 * output of the newest one that has output. */
static void add_history(struct tui_detail *d, struct tui *t, const struct app_board *b)
{
	struct history *h = app_history(t->app);
	struct history_filter f = { .since_ms = INT64_MIN, .limit = DETAIL_ATTEMPTS,
				    .newest_first = true, .with_output = true };
	struct strbuf err = STRBUF_INIT;
	struct strvec out = STRVEC_INIT, ports = STRVEC_INIT;

	add_line(d, 0, ROLE_TITLE, "%s", "");
	add_line(d, 0, ROLE_TITLE, "Attempts (the last %d, newest first)", DETAIL_ATTEMPTS);
	if (b->mac[0])
		f.mac = b->mac;
	else if (b->dev)
		history_port_names(b->dev->devnode, &ports);
	if (ports.n)
		f.ports = (const char *const *)ports.v;
	if (!h)
		add_line(d, 2, ROLE_DIM, "  no history (--no-history)");
	else if (!f.mac && !f.ports)
		add_line(d, 2, ROLE_DIM, "  none known");
	else if (history_rows(h, &f, add_attempt, d, &err) < 0)
		add_line(d, 2, ROLE_FAIL, "  %s", err.buf);
	else if (d->lines[d->n - 1].role == ROLE_TITLE)
		add_line(d, 2, ROLE_DIM, "  none yet");
	if (d->output.len) {
		add_line(d, 0, ROLE_TITLE, "%s", "");
		add_line(d, 0, ROLE_TITLE, "Tool output of the newest attempt (its last lines)");
		strvec_split(&out, d->output.buf, "\n");
		for (size_t i = 0; i < out.n; i++)
			add_line(d, 4, ROLE_NORMAL, "  %s", out.v[i]);
	}
	strvec_release(&out);
	strvec_release(&ports);
	strbuf_release(&err);
}

/* Everything about slot d->slot, read again. */
static void build(struct tui_detail *d, struct tui *t)
{
	struct app_board *b = app_board_for_slot(t->app, d->slot);
	const struct firmware *fw = app_firmware(t->app);
	struct strbuf sb = STRBUF_INIT;

	clear_lines(d);
	d->stale = false;
	if (!b) {
		add_line(d, 0, ROLE_DIM, "slot %u is gone", d->slot);
		return;
	}
	add_identity(d, b);
	if (fw->n) {
		firmware_summary(fw, &sb);
		strbuf_addf(&sb, " (sha256 %.8s, chosen now)", fw->sha256);
	}
	add_field(d, fw->n ? ROLE_NORMAL : ROLE_WARN, "Firmware", fw->n ? sb.buf : "none chosen (press o)");
	add_result(d, b);
	add_history(d, t, b);
	strbuf_release(&sb);
}

void tui_detail_free(void *detail)
{
	struct tui_detail *d = detail;

	if (!d)
		return;
	clear_lines(d);
	free(d->lines);
	strbuf_release(&d->output);
	free(d);
}

void tui_detail_open(struct tui *t)
{
	struct app_board *b = tui_board(t, t->cursor);
	struct tui_detail *d;
	struct strbuf title = STRBUF_INIT;

	if (!b) {
		tui_note(t, true, "no board to show");
		return;
	}
	app_board_name(b, &title);
	tui_dialog_open(t, DIALOG_DETAIL, title.buf, "", NULL);
	strbuf_release(&title);
	d = xcalloc(1, sizeof *d);
	strbuf_init(&d->output);
	d->slot = b->slot;
	d->stale = true;
	t->dialog->detail = d;
}

void tui_detail_changed(struct tui *t, const struct app_board *b)
{
	struct tui_detail *d = t->dialog ? t->dialog->detail : NULL;

	if (d && b->slot == d->slot)
		d->stale = true;
}

void tui_detail_key(struct tui *t, int key)
{
	struct tui_detail *d = t->dialog->detail;
	size_t page = d->page > 2 ? (size_t)d->page - 1 : 1;

	switch (key) {
	case KEY_UP: case 'k': if (d->top) d->top--; break;
	case KEY_DOWN: case 'j': d->top++; break;
	case KEY_PPAGE: d->top = d->top > page ? d->top - page : 0; break;
	case KEY_NPAGE: case ' ': d->top += page; break;
	case KEY_HOME: case 'g': d->top = 0; break;
	case KEY_END: case 'G': d->top = d->rows; break;
	case 27: case 'q': case 'i': case '\r': case '\n': case KEY_ENTER: tui_dialog_close(t); break;
	default: break;
	}
}

/* Draw wrapped row number row if it is in [top, top + h). */
static void put_row(struct tui *t, struct tui_detail *d, size_t row, int y, int x, int h, int w,
		    const char *text)
{
	if (row < d->top || row >= d->top + (size_t)h)
		return;
	tui_put(t, y + (int)(row - d->top), x, w, text, true);
}

/* Wrap every line to w columns; draw those in view; returns the row count. */
static size_t draw_lines(struct tui *t, struct tui_detail *d, int y, int x, int h, int w)
{
	size_t row = 0;

	for (size_t i = 0; i < d->n; i++) {
		struct strvec wrapped = STRVEC_INIT;
		char *safe = tui_safe(t, d->lines[i].text);

		tui_wrap(safe, w, d->lines[i].indent, &wrapped);
		attrset(t->role[d->lines[i].role]);
		for (size_t k = 0; k < wrapped.n; k++)
			put_row(t, d, row++, y, x, h, w, wrapped.v[k]);
		attrset(A_NORMAL);
		strvec_release(&wrapped);
		free(safe);
	}
	return row;
}

void tui_detail_draw(struct tui *t, int y, int x, int h, int w)
{
	struct tui_detail *d = t->dialog->detail;
	char where[96];

	if (d->stale)
		build(d, t);
	d->page = h - 1;
	d->rows = draw_lines(t, d, y, x, h - 1, w); /* counts the rows first */
	if (d->top + (size_t)(h - 1) > d->rows) {
		d->top = d->rows > (size_t)(h - 1) ? d->rows - (size_t)(h - 1) : 0;
		draw_lines(t, d, y, x, h - 1, w);
	}
	snprintf(where, sizeof where, "rows %zu-%zu of %zu  Up/Down PgUp/PgDn Home/End  Esc, i: close",
		 d->rows ? d->top + 1 : 0,
		 d->top + (size_t)(h - 1) < d->rows ? d->top + (size_t)(h - 1) : d->rows, d->rows);
	attrset(t->role[ROLE_DIM]);
	tui_put(t, y + h - 1, x, w, where, true);
	attrset(A_NORMAL);
}
