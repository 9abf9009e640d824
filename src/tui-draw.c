/* tui-draw.c - the panes: header, boards, progress, log, key bar. Every frame
 * rewrites the screen image; ncurses sends only the cells that changed. */
#include "autoconf.h"

#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "array.h"
#include "clock.h"
#include "config.h"
#include "log.h"
#include "path.h"
#include "strvec.h"
#include "text.h"
#include "xalloc.h"

char *tui_safe(struct tui *t, const char *raw)
{
	return text_sanitize_dup(raw ? raw : "", !t->utf8);
}

/* Byte length of the longest prefix of sanitised UTF-8 s that fits in cols
 * columns (widths as text_width() counts them: wide characters take two). */
static size_t clip_bytes(const char *s, int cols, int *width)
{
	size_t i = 0;
	int w = 0;

	while (s[i]) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
		char one[5] = { 0 };
		int cw;

		for (size_t k = 0; k < n; k++) {
			if (!s[i + k]) {
				*width = w; /* truncated sequence: stop before it */
				return i;
			}
			one[k] = s[i + k];
		}
		cw = (int)text_width(one);
		if (w + cw > cols)
			break;
		w += cw;
		i += n;
	}
	*width = w;
	return i;
}

void tui_put(struct tui *t, int y, int x, int width, const char *text, bool pad)
{
	size_t n;
	int w;

	if (y < 0 || y >= t->rows || x < 0 || x >= t->cols || width <= 0)
		return;
	if (x + width > t->cols)
		width = t->cols - x;
	n = clip_bytes(text, width, &w);
	if (n)
		mvaddnstr(y, x, text, (int)n);
	else
		move(y, x);
	for (; pad && w < width; w++)
		addch(' ');
}

void tui_wrap(const char *s, int width, int indent, struct strvec *out)
{
	struct strbuf row = STRBUF_INIT;
	bool first = true;

	if (width < 2)
		width = 2;
	if (indent > width / 2)
		indent = width / 2;
	do {
		int w;
		size_t n = clip_bytes(s, first ? width : width - indent, &w), cut = n;

		/* break at the last space of the row's second half, if any */
		for (size_t k = n; s[n] && k > n / 2; k--) {
			if (s[k] == ' ') {
				cut = k;
				break;
			}
		}
		if (!cut && *s) /* nothing fits (a truncated sequence): drop a byte */
			cut = 1;
		strbuf_reset(&row);
		if (!first)
			strbuf_addf(&row, "%*s", indent, "");
		strbuf_add(&row, s, cut);
		strvec_push(out, row.buf);
		s += cut;
		while (*s == ' ')
			s++;
		first = false;
	} while (*s);
	strbuf_release(&row);
}

size_t tui_board_count(struct tui *t)
{
	return app_board_count(t->app);
}

struct app_board *tui_board(struct tui *t, size_t i)
{
	return app_board_at(t->app, i);
}

bool tui_is_selected(struct tui *t, unsigned slot)
{
	for (size_t i = 0; i < t->nselected; i++)
		if (t->selected[i] == slot)
			return true;
	return false;
}

/* A horizontal rule with a title, using the terminal's line drawing (ACS). */
static void rule(struct tui *t, int y, const char *title, bool focused)
{
	if (y < 0 || y >= t->rows)
		return;
	attrset(t->role[ROLE_TITLE]);
	if (t->utf8)
		mvhline_set(y, 0, WACS_HLINE, t->cols);
	else
		mvhline(y, 0, ACS_HLINE, t->cols);
	if (title) {
		mvaddch(y, 1, ' ');
		if (focused)
			attron(A_REVERSE);
		addstr(title);
		attroff(A_REVERSE);
		addch(' ');
	}
	attrset(A_NORMAL);
}

/* Human size: "1.1M", "340K", "512". */
static void human(uint64_t n, char out[16])
{
	if (n >= 1048576)
		snprintf(out, 16, "%.1fM", (double)n / 1048576.0);
	else if (n >= 1024)
		snprintf(out, 16, "%lluK", (unsigned long long)(n / 1024));
	else
		snprintf(out, 16, "%llu", (unsigned long long)n);
}

/* The header's counters, long or short; returns the width. A yield over no
 * boards is "-"; results waiting to be written are said. */
static int counters_text(const struct history_counters *c, bool shortform, char *out, size_t n)
{
	char y[16], wait[48] = "";

	if (!c->boards)
		snprintf(y, sizeof y, "-");
	else
		snprintf(y, sizeof y, shortform ? "%.0f%%" : "%.1f%%", c->first_pass_yield * 100.0);
	if (c->pending)
		snprintf(wait, sizeof wait, shortform ? "%zu unwritten " : "%zu to write  ", c->pending);
	if (shortform)
		snprintf(out, n, "%sok %ld fail %ld %s %.0f/h ", wait, c->passed, c->failed, y,
			 c->units_per_hour);
	else
		snprintf(out, n, "%sok %ld  fail %ld  1st-pass %s  %.1f/h ", wait, c->passed,
			 c->failed, y, c->units_per_hour);
	return (int)strlen(out);
}

/* Header line 1: " flashbay ", the station, DEMO, the mode, and the counters
 * on the right (short if need be); the station name gets what is left. */
static void draw_header_top(struct tui *t)
{
	const struct history_counters *c = app_counters(t->app);
	const char *mode = app_monitor(t->app) ? " MONITOR " : " manual ";
	char right[128], *safe = tui_safe(t, t->cfg->station_name);
	int modew = (int)strlen(mode), fixed = 10 + 1 + (t->demo ? 7 : 0) + modew + 1;
	int rw = counters_text(c, false, right, sizeof right), namew, x;

	if (t->cols - fixed - rw < 8)
		rw = counters_text(c, true, right, sizeof right);
	if (t->cols - fixed - rw < 4)
		rw = 0; /* a very narrow terminal: the counters go first */
	namew = (int)text_width(safe);
	if (namew > t->cols - fixed - rw)
		namew = t->cols - fixed - rw;
	attrset(t->role[ROLE_TITLE]);
	tui_put(t, 0, 0, 10, " flashbay ", true);
	attrset(A_BOLD);
	tui_put(t, 0, 10, namew, safe, true);
	free(safe);
	attrset(A_NORMAL);
	tui_put(t, 0, 10 + namew, 1, " ", true);
	x = 11 + namew;
	if (t->demo) {
		attrset(t->role[ROLE_DEMO]);
		tui_put(t, 0, x, 6, " DEMO ", true);
		attrset(A_NORMAL);
		tui_put(t, 0, x + 6, 1, " ", true);
		x += 7;
	}
	attrset(app_monitor(t->app) ? t->role[ROLE_ACTIVE] | A_REVERSE : A_NORMAL);
	tui_put(t, 0, x, modew, mode, true);
	attrset(A_NORMAL);
	x += modew;
	tui_put(t, 0, x, t->cols - x - rw, "", true);
	if (rw)
		tui_put(t, 0, t->cols - rw, rw, right, true);
}

/* Header line 2: the firmware, then what is going on. */
static void draw_header_fw(struct tui *t)
{
	const struct firmware *fw = app_firmware(t->app);
	struct strbuf sb = STRBUF_INIT, sum = STRBUF_INIT;
	char size[16], *safe;

	if (fw->n) {
		firmware_summary(fw, &sum);
		human(fw->total_size, size);
		strbuf_addf(&sb, " fw %.8s %s %s", fw->sha256, size, sum.buf);
	} else {
		strbuf_addstr(&sb, " no firmware chosen: press o");
	}
	if (app_busy(t->app))
		strbuf_addf(&sb, "  busy %zu", app_busy(t->app));
	safe = tui_safe(t, sb.buf);
	attrset(fw->n ? A_NORMAL : t->role[ROLE_WARN]);
	tui_put(t, 1, 0, t->cols, safe, true);
	free(safe);
	if (app_history_errors(t->app) || app_shutting_down(t->app)) {
		const char *note = app_history_errors(t->app) ? " HISTORY NOT WRITABLE " :
			" leaving when done ";
		int w = (int)strlen(note);

		attrset(app_history_errors(t->app) ? t->role[ROLE_FAIL] | A_REVERSE : t->role[ROLE_WARN]);
		tui_put(t, 1, t->cols - w, w, note, false);
	}
	attrset(A_NORMAL);
	strbuf_release(&sb);
	strbuf_release(&sum);
}

/* Header: station, mode, counters, firmware. */
static void draw_header(struct tui *t)
{
	draw_header_top(t);
	draw_header_fw(t);
}

enum tui_role tui_state_text(const struct app_board *b, char *out, size_t n)
{
	const struct flash_progress *p = &b->prog;

	switch (b->state) {
	case BOARD_QUEUED:
		snprintf(out, n, "queued");
		return ROLE_ACTIVE;
	case BOARD_RUNNING:
		if (p->phase == PHASE_FLASH && p->images > 1)
			snprintf(out, n, "Flash %d/%d %.0f%%", p->image, p->images, p->overall_pct);
		else if (p->phase == PHASE_FLASH)
			snprintf(out, n, "Flash %.0f%%", p->overall_pct);
		else
			snprintf(out, n, "%s", phase_name(p->phase));
		return ROLE_ACTIVE;
	case BOARD_PASS:
		snprintf(out, n, "PASS");
		return ROLE_PASS;
	case BOARD_FAIL:
		snprintf(out, n, "FAIL:%s", outcome_name(b->outcome));
		return ROLE_FAIL;
	case BOARD_IDLE:
		snprintf(out, n, "idle");
		return ROLE_NORMAL;
	default:
		snprintf(out, n, "unplugged");
		return ROLE_DIM;
	}
}

/* The board table's columns; a width of 0 leaves the column out. */
enum { COL_SLOT, COL_PORT, COL_KIND, COL_CHIP, COL_MAC, COL_STATE, COL_LAST, COL__COUNT };
struct cols {
	int w[COL__COUNT];
};

/* The cell texts of b's row (raw), except STATE and LAST. */
static void board_cells(const struct app_board *b, const char *cell[COL__COUNT], char slot[16])
{
	const struct device *d = b->dev;

	if (d && d->slot_label)
		snprintf(slot, 16, "%s", d->slot_label);
	else
		snprintf(slot, 16, "%u", b->slot);
	cell[COL_SLOT] = slot;
	cell[COL_PORT] = d ? path_basename(d->devnode) : "-";
	cell[COL_KIND] = d ? kind_name(d->kind) : "";
	cell[COL_CHIP] = b->chip[0] ? b->chip : d && d->kind_what ? d->kind_what : "";
	cell[COL_MAC] = b->mac[0] ? b->mac : d && d->serial ? d->serial : "";
	cell[COL_STATE] = cell[COL_LAST] = "";
}

/* The chip without its revision: "ESP32-D0WD-V3 (v3.0)" -> "ESP32-D0WD-V3". */
static void chip_brief(const char *chip, char *out, size_t n)
{
	size_t len = strcspn(chip, "(");

	while (len && chip[len - 1] == ' ')
		len--;
	snprintf(out, n, "%.*s", (int)len, chip);
}

/* A chip name still too wide for w columns: cut at a '-' (ESP32-D0WD-V3 ->
 * ESP32-D0WD) where that leaves most of it, rather than mid-word. */
static void chip_cut(char *chip, int w)
{
	size_t len = strlen(chip), k = (size_t)w;

	if (w < 1 || len <= (size_t)w)
		return;
	while (k > (size_t)w / 2 && chip[k] != '-')
		k--;
	if (chip[k] == '-')
		chip[k] = '\0';
}

/* Widths that fit the content: the widest cell (or heading) of each column
 * (*chip_min: the widest chip without its revision). STATE takes 18 (most
 * states), LAST 5 ("09:41"); the PORT column holds the '!' mark too. */
static struct cols natural_cols(struct tui *t, int *chip_min)
{
	struct cols c = { { 4, 4 + 1, 4, 8, 10, 18, 5 } };

	*chip_min = 8;

	for (size_t i = 0; i < tui_board_count(t); i++) {
		const char *cell[COL__COUNT];
		char slot[16];

		board_cells(tui_board(t, i), cell, slot);
		for (int k = COL_SLOT; k <= COL_MAC; k++) {
			char *safe = tui_safe(t, cell[k]);
			int w = (int)text_width(safe) + (k == COL_PORT);

			free(safe);
			if (w > c.w[k])
				c.w[k] = w;
			if (k == COL_CHIP) {
				char brief[96];

				chip_brief(cell[k], brief, sizeof brief);
				safe = tui_safe(t, brief);
				w = (int)text_width(safe);
				free(safe);
				*chip_min = w > *chip_min ? w : *chip_min;
			}
		}
	}
	return c;
}

/* Total width of the table: the two mark columns and a space after each column. */
static int cols_width(const struct cols *c)
{
	int w = 2 - 1;

	for (int k = 0; k < COL__COUNT; k++)
		w += c->w[k] ? c->w[k] + 1 : 0;
	return w;
}

/* Narrow column k to at least min while the table is wider than width. */
static void shrink(struct cols *c, int k, int min, int width)
{
	int over = cols_width(c) - width;

	if (over > 0 && c->w[k] > min)
		c->w[k] -= over < c->w[k] - min ? over : c->w[k] - min;
}

/* Column widths for the terminal width: every column as wide as its content
 * where that fits; too wide, CHIP drops the revision (see draw_board()), then
 * CHIP, MAC/SERIAL and STATE give up their long tails, then LAST and KIND go, then CHIP and MAC are cut; room to spare
 * widens STATE (long failure classes) and LAST (word and time). */
static struct cols table_cols(struct tui *t)
{
	int chip_min, width = t->cols, more;
	struct cols c = natural_cols(t, &chip_min);

	shrink(&c, COL_CHIP, chip_min, width);
	shrink(&c, COL_CHIP, 10, width);
	shrink(&c, COL_MAC, 17, width);
	shrink(&c, COL_STATE, 14, width);
	if (cols_width(&c) > width)
		c.w[COL_LAST] = 0;
	if (cols_width(&c) > width)
		c.w[COL_KIND] = 0;
	shrink(&c, COL_CHIP, 6, width);
	shrink(&c, COL_MAC, 12, width);
	shrink(&c, COL_STATE, 12, width);
	more = width - cols_width(&c);
	if (more > 0 && c.w[COL_STATE]) {
		int add = more < 23 - c.w[COL_STATE] ? more : 23 - c.w[COL_STATE];

		c.w[COL_STATE] += add > 0 ? add : 0;
		more -= add > 0 ? add : 0;
	}
	if (more > 0 && c.w[COL_LAST])
		c.w[COL_LAST] += more < 5 ? more : 5;
	return c;
}

/* LAST: the last result of this plug-in and when; at 80 columns only the
 * time when STATE already says PASS/FAIL, only the word when it does not. */
static void last_text(const struct app_board *b, int width, char *out, size_t n)
{
	bool shown = b->state == BOARD_PASS || b->state == BOARD_FAIL;
	bool known = b->result_wall_ms && b->attempts > 0 &&
		     (shown || b->state == BOARD_EMPTY || b->attempts > 1);
	const char *word = b->outcome == OUTCOME_OK ? "PASS" : "FAIL";
	time_t when = (time_t)(b->result_wall_ms / 1000);
	struct tm tm;

	if (!known) {
		snprintf(out, n, "-");
		return;
	}
	localtime_r(&when, &tm);
	if (width >= 10)
		snprintf(out, n, "%s %02d:%02d", word, tm.tm_hour, tm.tm_min);
	else if (shown)
		snprintf(out, n, "%02d:%02d", tm.tm_hour, tm.tm_min);
	else
		snprintf(out, n, "%s", word);
}

/* Put raw text sanitised into a column (right-aligned when right); returns
 * the next column's x. */
static int put_col_aligned(struct tui *t, int y, int x, int w, const char *raw, bool right)
{
	char *s = tui_safe(t, raw);
	int tw = (int)text_width(s);

	if (right && tw < w) {
		tui_put(t, y, x, w - tw, "", true);
		tui_put(t, y, x + w - tw, tw, s, true);
	} else {
		tui_put(t, y, x, w, s, true);
	}
	free(s);
	if (x + w < t->cols)
		tui_put(t, y, x + w, 1, " ", true);
	return x + w + 1;
}

/* A left-aligned column. */
static int put_col(struct tui *t, int y, int x, int w, const char *raw)
{
	return put_col_aligned(t, y, x, w, raw, false);
}

/* One row of the board table. */
static void draw_board(struct tui *t, int y, struct app_board *b, bool cursor, struct cols c)
{
	const struct device *d = b->dev;
	const char *cell[COL__COUNT];
	char state[48], last[32], slot[16], chip[96];
	enum tui_role role = tui_state_text(b, state, sizeof state);
	attr_t base = cursor ? t->role[ROLE_CURSOR] : !d || !d->present ? t->role[ROLE_DIM] : A_NORMAL;
	int x = 2;

	board_cells(b, cell, slot);
	if ((int)strlen(cell[COL_CHIP]) > c.w[COL_CHIP]) {
		chip_brief(cell[COL_CHIP], chip, sizeof chip);
		chip_cut(chip, c.w[COL_CHIP]);
		cell[COL_CHIP] = chip;
	}
	last_text(b, c.w[COL_LAST], last, sizeof last);
	attrset(base);
	tui_put(t, y, 0, 1, cursor ? t->gl->cursor : " ", true);
	tui_put(t, y, 1, 1, tui_is_selected(t, b->slot) ? t->gl->selected : " ", true);
	x = put_col_aligned(t, y, x, c.w[COL_SLOT], cell[COL_SLOT], true);
	x = put_col(t, y, x, c.w[COL_PORT] - 1, cell[COL_PORT]) - 1;
	x = put_col(t, y, x, 1, d && d->dup_by_id ? "!" : " ");
	for (int k = COL_KIND; k <= COL_MAC; k++)
		if (c.w[k])
			x = put_col(t, y, x, c.w[k], cell[k]);
	/* the state keeps its own attributes on the cursor row too: readable
	 * there, and a running board's percent costs no attribute switch */
	attrset(t->role[role]);
	x = put_col(t, y, x, c.w[COL_STATE], state);
	attrset(base);
	tui_put(t, y, x, t->cols - x, c.w[COL_LAST] ? last : "", true);
	attrset(A_NORMAL);
}

/* The column headings of the board table. */
static void draw_headings(struct tui *t, int y, struct cols c)
{
	static const char *const names[] = { "SLOT", "PORT", "KIND", "CHIP/MCU", "MAC/SERIAL",
					     "STATE", "LAST" };
	int x = 2;

	attrset(A_BOLD);
	tui_put(t, y, 0, 2, "", true);
	for (int k = 0; k < COL__COUNT; k++)
		if (c.w[k])
			x = put_col_aligned(t, y, x, k + 1 < COL__COUNT ? c.w[k] : t->cols - x, names[k],
					    k == COL_SLOT);
	if (x < t->cols)
		tui_put(t, y, x, t->cols - x, "", true);
	attrset(A_NORMAL);
}

/* The board table in rows [y, y + h). */
static void draw_boards(struct tui *t, int y, int h)
{
	struct cols c = table_cols(t);
	size_t n = tui_board_count(t);
	char title[64];

	snprintf(title, sizeof title, "Boards %zu", n);
	draw_headings(t, y + 1, c);
	h -= 2;
	if (t->cursor < t->top)
		t->top = t->cursor;
	if (h > 0 && t->cursor >= t->top + (size_t)h)
		t->top = t->cursor - (size_t)h + 1;
	if (h > 0 && t->top + (size_t)h > n)
		t->top = n > (size_t)h ? n - (size_t)h : 0; /* no empty rows after a shrink */
	if (n > (size_t)h && h > 0)
		snprintf(title, sizeof title, "Boards %zu (%zu-%zu)", n, t->top + 1, t->top + (size_t)h);
	rule(t, y, title, t->focus == FOCUS_DEVICES);
	for (int i = 0; i < h; i++) {
		struct app_board *b = tui_board(t, t->top + (size_t)i);

		if (b) {
			draw_board(t, y + 2 + i, b, t->top + (size_t)i == t->cursor, c);
			continue;
		}
		tui_put(t, y + 2 + i, 0, t->cols,
			!n && i == 0 ? "  no boards yet: plug some in (r rescans)" : "", true);
	}
}

/* A progress bar of width w for pct, in the current attributes. */
static void draw_bar(struct tui *t, int y, int x, int w, double pct)
{
	double cells = pct / 100.0 * w;
	int full = (int)cells;

	move(y, x);
	for (int i = 0; i < w; i++) {
		const char *g = t->gl->bar_empty;

		if (i < full)
			g = t->gl->bar_full;
		else if (i == full && t->gl->bar_eighths)
			g = t->gl->bar_eighths[(int)((cells - full) * 8) & 7];
		addstr(g);
	}
}

/* Whole seconds as "m:ss" (or "h:mm:ss"): changes once a second at most. */
static void clock_text(uint64_t ms, char out[16])
{
	uint64_t s = ms / 1000;

	if (s >= 3600)
		snprintf(out, 16, "%u:%02u:%02u", (unsigned)(s / 3600), (unsigned)(s / 60 % 60),
			 (unsigned)(s % 60));
	else
		snprintf(out, 16, "%u:%02u", (unsigned)(s / 60), (unsigned)(s % 60));
}

/* The estimates of b's running attempt (ETA, kbit/s) as last shown. */
static struct tui_estimate *estimate_for(struct tui *t, const struct app_board *b)
{
	size_t i = 0;

	for (; i < t->nest; i++)
		if (t->est[i].slot == b->slot)
			break;
	if (i == t->nest) {
		t->est = xgrow(t->est, &t->est_alloc, t->nest + 1, sizeof *t->est);
		memset(&t->est[t->nest++], 0, sizeof *t->est);
		t->est[i].slot = b->slot;
	}
	return &t->est[i];
}

/* The least overall percent an ETA is worked out from. */
#define ETA_MIN_PCT 5.0

/* ETA and kbit/s of b, worked out again only when the elapsed clock moves on
 * to the next second (once both are known): estimates that wobble with every
 * progress line would cost bytes and help nobody. */
static const struct tui_estimate *estimates(struct tui *t, const struct app_board *b,
					    uint64_t el, uint64_t done)
{
	const struct flash_progress *p = &b->prog;
	struct tui_estimate *e = estimate_for(t, b);
	double kbps = p->kbps;

	if (e->run_start == b->run_start_ms && e->sec == el / 1000 + 1 && e->eta[0] && e->rate[0])
		return e; /* until both are known, every frame tries again */
	e->run_start = b->run_start_ms;
	e->sec = el / 1000 + 1;
	e->eta[0] = e->rate[0] = '\0';
	/* not from the first percent or two: now that progress arrives as the
	 * tool prints it, such an ETA (elapsed includes connecting) would be
	 * far off and kept for a whole second */
	if (p->overall_pct >= ETA_MIN_PCT && p->overall_pct < 100)
		clock_text((uint64_t)((double)el * (100 - p->overall_pct) / p->overall_pct), e->eta);
	if (kbps <= 0 && done && el > 0)
		kbps = (double)done * 8.0 / (double)el; /* bytes per ms * 8 = kbit/s */
	if (kbps > 0)
		snprintf(e->rate, sizeof e->rate, "%.0f", kbps);
	return e;
}

/* The right part of a progress line: percent, bytes, kbit/s, elapsed, ETA. */
static void progress_figures(struct tui *t, const struct app_board *b, char *out, size_t n)
{
	const struct flash_progress *p = &b->prog;
	uint64_t el = now_ms() - b->run_start_ms;
	uint64_t done = (uint64_t)(p->overall_pct / 100.0 * (double)p->bytes_total);
	char sdone[16], stotal[16], elapsed[16];
	const struct tui_estimate *e = estimates(t, b, el, done);

	human(done, sdone);
	human(p->bytes_total, stotal);
	clock_text(el, elapsed);
	/* fixed widths, so the bars line up whatever the numbers */
	snprintf(out, n, "%3.0f%% %5s/%-5s %5s%s %5s %s%5s", p->overall_pct, sdone, stotal, e->rate,
		 e->rate[0] ? "kb/s" : "    ", elapsed, e->eta[0] ? "ETA " : "    ", e->eta);
}

/* One progress line for a running board. */
static void draw_progress_line(struct tui *t, int y, struct app_board *b)
{
	const struct flash_progress *p = &b->prog;
	char left[64], right[96], phase[24];
	const char *port = b->dev ? path_basename(b->dev->devnode) : "-";
	char *sport = tui_safe(t, port);
	int barw, rw;

	if (p->phase == PHASE_FLASH && p->images > 1)
		snprintf(phase, sizeof phase, "%s %d/%d", phase_name(p->phase), p->image, p->images);
	else
		snprintf(phase, sizeof phase, "%s", phase_name(p->phase));
	snprintf(left, sizeof left, "%3u %-8.8s %-9.9s", b->slot, sport, phase);
	free(sport);
	progress_figures(t, b, right, sizeof right);
	rw = (int)strlen(right);
	tui_put(t, y, 0, 23, left, true);
	barw = t->cols - 22 - rw - 2;
	/* what changes (bar and figures) shares the state column's attributes:
	 * a frame then switches attributes once, not twice per changed line */
	attrset(t->role[ROLE_ACTIVE]);
	if (barw >= 4) {
		draw_bar(t, y, 23, barw, p->overall_pct);
		tui_put(t, y, 23 + barw, t->cols - 23 - barw - rw, " ", true);
		tui_put(t, y, t->cols - rw, rw, right, true);
	} else {
		tui_put(t, y, 23, t->cols - 23, right, true);
	}
	attrset(A_NORMAL);
}

/* Progress: one bar per running board (as many as fit). */
static void draw_progress(struct tui *t, int y, int h, size_t running)
{
	char title[48];
	int row = 0;
	size_t shown = 0;

	snprintf(title, sizeof title, "Progress: %zu running", running);
	rule(t, y, title, false);
	for (size_t i = 0; i < tui_board_count(t) && row < h; i++) {
		struct app_board *b = tui_board(t, i);

		if (b->state != BOARD_RUNNING)
			continue;
		if (row == h - 1 && running - shown > 1) {
			char more[64];

			snprintf(more, sizeof more, "  ... and %zu more (see STATE above)", running - shown);
			tui_put(t, y + 1 + row++, 0, t->cols, more, true);
			break;
		}
		draw_progress_line(t, y + 1 + row++, b);
		shown++;
	}
	for (; row < h; row++)
		tui_put(t, y + 1 + row, 0, t->cols,
			row == 0 && !running ? (app_shutting_down(t->app) ? "  done" : "  idle") : "",
			true);
}

/* Entry e as shown: time, level, text; wrapped to the width into out. */
static void log_rows(struct tui *t, const struct log_entry *e, struct strvec *out)
{
	struct strbuf sb = STRBUF_INIT;
	time_t when = (time_t)(e->wall_ms / 1000);
	struct tm tm;
	char *safe;

	localtime_r(&when, &tm);
	strbuf_addf(&sb, "%02d:%02d:%02d %s%s", tm.tm_hour, tm.tm_min, tm.tm_sec,
		    e->level >= LOG_WARN ? (e->level == LOG_ERROR ? "ERROR " : "warn ") : "", e->text);
	safe = tui_safe(t, sb.buf);
	tui_wrap(safe, t->cols, 9, out); /* continuation rows start under the text */
	free(safe);
	strbuf_release(&sb);
}

/* How far the log scrolls back in h rows: the oldest entries then fill the
 * pane from its top. */
static size_t log_max_back(struct tui *t, int h)
{
	size_t n = log_count(), k = 0;
	int rows = 0;

	for (; k < n && rows < h; k++) {
		struct strvec wrapped = STRVEC_INIT;

		log_rows(t, log_get(k), &wrapped);
		rows += (int)wrapped.n;
		strvec_release(&wrapped);
	}
	return n - k;
}

/* Log pane: the newest entry at the bottom (or log_back entries back), each
 * wrapped whole onto as many rows as it needs; the oldest shown may lose its
 * first rows at the top. */
static void draw_log(struct tui *t, int y, int h)
{
	size_t n = log_count();
	long idx;
	int row = h;
	char title[96];

	if (t->log_back > log_max_back(t, h))
		t->log_back = log_max_back(t, h); /* no scrolling past the oldest */
	if (t->focus != FOCUS_LOG)
		snprintf(title, sizeof title, "Log");
	else if (t->log_back)
		snprintf(title, sizeof title, "Log: %zu back (Up/Down PgUp/PgDn Home/End; l, Esc)",
			 t->log_back);
	else
		snprintf(title, sizeof title, "Log (Up/Down PgUp/PgDn Home/End scroll; l, Esc)");
	rule(t, y, title, t->focus == FOCUS_LOG);
	for (idx = (long)(n - t->log_back) - 1; idx >= 0 && row > 0; idx--) {
		const struct log_entry *e = log_get((size_t)idx);
		struct strvec rows = STRVEC_INIT;

		log_rows(t, e, &rows);
		attrset(e->level == LOG_ERROR ? t->role[ROLE_FAIL] :
			e->level == LOG_WARN ? t->role[ROLE_WARN] : A_NORMAL);
		for (size_t k = rows.n; k-- > 0 && row > 0;)
			tui_put(t, y + row--, 0, t->cols, rows.v[k], true);
		attrset(A_NORMAL);
		strvec_release(&rows);
	}
	while (row > 0)
		tui_put(t, y + row--, 0, t->cols, "", true);
}

/* A key in the key bar: its label, a shorter one for narrow terminals (in
 * the order of brief, 0: none), and the order in which it goes when even
 * the short labels do not fit (0: never). */
struct keycap {
	const char *key, *label, *shorter;
	int brief, drop;
};

static const struct keycap board_keys[] = {
	{ "f", "Flash", NULL, 0, 0 },         { "F", "All", NULL, 0, 5 },
	{ "s", "Stop", NULL, 0, 6 },          { "i", "Info", NULL, 0, 4 },
	{ "o", "Firmware", "Fw", 3, 7 },      { "m", "Menuconfig", "Menu", 1, 1 },
	{ "M", "Monitor", "Mon", 2, 3 },      { "l", "Log", NULL, 0, 2 },
	{ "?", "Help", NULL, 0, 0 },          { "q", "Quit", NULL, 0, 0 },
};

static const struct keycap log_keys[] = {
	{ "Up/Down", "Scroll", NULL, 0, 2 }, { "PgUp/PgDn", "Page", NULL, 0, 3 },
	{ "Home/End", "Oldest/Newest", NULL, 0, 1 }, { "l/Esc", "Boards", NULL, 0, 0 },
	{ "?", "Help", NULL, 0, 0 },         { "q", "Quit", NULL, 0, 0 },
};

/* How the key bar is cut down: the first `brief` short labels used, keys
 * with a drop order up to `dropped` left out. */
struct keyfit {
	int brief, dropped;
};

static const char *key_label(const struct keycap *k, struct keyfit f)
{
	return k->brief && k->brief <= f.brief ? k->shorter : k->label;
}

static bool key_shown(const struct keycap *k, struct keyfit f)
{
	return !k->drop || k->drop > f.dropped;
}

/* Width of the key bar cut down by f. */
static int keybar_width(const struct keycap *k, size_t n, struct keyfit f)
{
	int w = 0;

	for (size_t i = 0; i < n; i++)
		if (key_shown(&k[i], f))
			w += (int)(strlen(k[i].key) + strlen(key_label(&k[i], f))) + 2;
	return w ? w - 1 : 0;
}

/* Short labels one by one, then keys left out, until the bar fits width. */
static struct keyfit keybar_fit(const struct keycap *k, size_t n, int width)
{
	struct keyfit f = { 0, 0 };

	while (keybar_width(k, n, f) > width && f.brief < 3)
		f.brief++;
	while (keybar_width(k, n, f) > width && f.dropped < 8)
		f.dropped++;
	return f;
}

/* Draw the keys that fit in width; returns the x after them. */
static int draw_keys(struct tui *t, int y, const struct keycap *k, size_t n, int width)
{
	struct keyfit f = keybar_fit(k, n, width);
	int x = 0;

	for (size_t i = 0; i < n; i++) {
		const char *label = key_label(&k[i], f);
		int kw = (int)strlen(k[i].key), w = kw + 1 + (int)strlen(label);

		if (!key_shown(&k[i], f) || x + w > t->cols)
			continue;
		attrset(t->role[ROLE_KEY] | A_REVERSE);
		tui_put(t, y, x, kw, k[i].key, false);
		attrset(A_NORMAL);
		tui_put(t, y, x + kw, w + 1 - kw, "", true);
		tui_put(t, y, x + kw + 1, w - kw, label, true);
		x += w + 1;
	}
	return x;
}

/* Key bar: the keys of the focused pane (short labels, or the least used
 * left out, when narrow: ? and q always show), then the current note if it
 * fits, else the note alone (it expires after a few seconds, see tui_note()). */
static void draw_keybar(struct tui *t)
{
	bool log = t->focus == FOCUS_LOG;
	const struct keycap *k = log ? log_keys : board_keys;
	size_t n = log ? ARRAY_SIZE(log_keys) : ARRAY_SIZE(board_keys);
	int y = t->rows - 1, x = 0;
	char *note = t->status[0] ? tui_safe(t, t->status) : NULL;

	if (!note || keybar_width(k, n, (struct keyfit){ 0, 0 }) + 2 + (int)text_width(note) <= t->cols)
		x = draw_keys(t, y, k, n, t->cols);
	if (note) {
		tui_put(t, y, x, 1, " ", true);
		attrset(t->status_error ? t->role[ROLE_FAIL] : t->role[ROLE_WARN]);
		tui_put(t, y, x ? x + 1 : 0, t->cols - (x ? x + 1 : 0), note, true);
		free(note);
	} else {
		tui_put(t, y, x, t->cols - x, "", true);
	}
	attrset(A_NORMAL);
}

/* How many boards are running. */
static size_t count_running(struct tui *t)
{
	size_t n = 0;

	for (size_t i = 0; i < tui_board_count(t); i++)
		n += tui_board(t, i)->state == BOARD_RUNNING;
	return n;
}

/* Rows of the three panes out of avail: the board table first gets a row per
 * board, then the progress pane a row per running attempt (at least one bar
 * and the "... more" line), the log the rest (at least 3 rows where there is
 * room; it is where new lines appear). */
static void pane_rows(struct tui *t, int avail, size_t running, int *boards, int *prog, int *logh)
{
	size_t nb = tui_board_count(t);
	int logmin = avail >= 9 ? 3 : 1, want;

	want = (int)(running > 1 ? 2 : 1);
	*boards = nb > (size_t)(avail - want - logmin) ? avail - want - logmin : (int)(nb ? nb : 1);
	if (*boards < 1)
		*boards = 1;
	want = (int)(running ? running : 1);
	*prog = want > avail - *boards - logmin ? avail - *boards - logmin : want;
	if (*prog < 1)
		*prog = 1;
	*logh = avail - *boards - *prog;
}

void tui_draw(struct tui *t)
{
	int avail = t->rows - 7, boards, prog, logh;
	size_t running = count_running(t), nb = tui_board_count(t);

	if (t->rows < 10 || t->cols < 40) {
		erase();
		mvaddstr(0, 0, "flashbay: terminal too small (needs 40x10)");
		refresh();
		return;
	}
	if (nb && t->cursor >= nb)
		t->cursor = nb - 1;
	pane_rows(t, avail, running, &boards, &prog, &logh);
	draw_header(t);
	draw_boards(t, 2, boards + 2);
	draw_progress(t, 4 + boards, prog, running);
	draw_log(t, 5 + boards + prog, logh);
	draw_keybar(t);
	if (t->dialog)
		tui_dialog_draw(t);
	wnoutrefresh(stdscr);
	doupdate();
}
