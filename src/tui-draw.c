/* tui-draw.c - the frame: screen primitives, the header, the key bar, and
 * the layout of the panes (tui-table.c, tui-progress.c, tui-log.c). Every
 * frame rewrites the screen image; ncurses sends only the cells that changed. */
#include "autoconf.h"

#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "array.h"
#include "config.h"
#include "strvec.h"
#include "text.h"
#include "yield.h"

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
void tui_rule(struct tui *t, int y, const char *title, bool focused)
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
void tui_human(uint64_t n, char out[16])
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

	yield_text(y, c->first_pass_yield, c->boards, shortform ? 0 : 1);
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

/* The link to the line (MQTT) on the right of header line 2, a warning
 * unless connected; cut to fit, leaving the firmware 30 columns. */
static void draw_link(struct tui *t)
{
	char *safe = tui_safe(t, app_link_status(t->app));
	int w = (int)text_width(safe) + 2;

	if (w > t->cols - 30)
		w = t->cols - 30;
	if (w > 8) {
		attrset(strstr(safe, "connected,") ? A_NORMAL : t->role[ROLE_WARN]);
		tui_put(t, 1, t->cols - w, 1, " ", true);
		tui_put(t, 1, t->cols - w + 1, w - 1, safe, true);
	}
	free(safe);
}

/* Header line 2: the firmware, then what is going on. */
static void draw_header_fw(struct tui *t)
{
	const struct firmware *fw = app_firmware(t->app);
	struct strbuf sb = STRBUF_INIT, sum = STRBUF_INIT;
	char size[16], *safe;

	if (fw->n) {
		firmware_summary(fw, &sum);
		tui_human(fw->total_size, size);
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
	} else if (*app_link_status(t->app)) {
		draw_link(t);
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
 * left out, when narrow: ? and q always show), then the current note: the
 * keys make room for it as they do for a narrow terminal; only a note too
 * long for even the fewest keys is shown alone (it expires after a few
 * seconds, see tui_note()). */
static void draw_keybar(struct tui *t)
{
	bool log = t->focus == FOCUS_LOG;
	const struct keycap *k = log ? log_keys : board_keys;
	size_t n = log ? ARRAY_SIZE(log_keys) : ARRAY_SIZE(board_keys);
	int y = t->rows - 1, x = 0;
	char *note = t->status[0] ? tui_safe(t, t->status) : NULL;
	int room = note ? t->cols - 2 - (int)text_width(note) : t->cols;

	if (!note || keybar_width(k, n, (struct keyfit){ 3, 8 }) <= room)
		x = draw_keys(t, y, k, n, room);
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
	tui_draw_boards(t, 2, boards + 2);
	tui_draw_progress(t, 4 + boards, prog, running);
	tui_draw_log(t, 5 + boards + prog, logh);
	draw_keybar(t);
	if (t->dialog)
		tui_dialog_draw(t);
	wnoutrefresh(stdscr);
	doupdate();
}
