/* tui-draw.c - the panes: header, boards, progress, log, key bar. Every frame
 * rewrites the screen image; ncurses sends only the cells that changed. */
#include "autoconf.h"

#include "tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app.h"
#include "config.h"
#include "log.h"
#include "text.h"
#include "util.h"
#include "xalloc.h"

char *tui_safe(struct tui *t, const char *raw)
{
	return text_sanitize_dup(raw ? raw : "", !t->utf8);
}

/* Byte length of the first `cols` columns of a sanitised UTF-8 string. */
static size_t clip_bytes(const char *s, int cols)
{
	size_t i = 0;
	int w = 0;

	while (s[i] && w < cols) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;

		i += n;
		w++;
	}
	return i;
}

void tui_put(struct tui *t, int y, int x, int width, const char *text, bool pad)
{
	size_t n, w;

	if (y < 0 || y >= t->rows || x >= t->cols || width <= 0)
		return;
	if (x + width > t->cols)
		width = t->cols - x;
	n = clip_bytes(text, width);
	mvaddnstr(y, x, text, (int)n);
	w = text_width(text);
	if (pad && (int)w < width)
		for (int i = (int)w; i < width; i++)
			addch(' ');
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

/* Header line 1: name, station, DEMO, mode; counters on the right. */
static void draw_header_top(struct tui *t)
{
	const struct history_counters *c = app_counters(t->app);
	char right[96], *safe = tui_safe(t, t->cfg->station_name);
	int x, rw;

	snprintf(right, sizeof right, "ok %ld  fail %ld  1st-pass %.1f%%  %.1f/h ", c->passed,
		 c->failed, c->first_pass_yield * 100.0, c->units_per_hour);
	rw = (int)strlen(right);
	/* the station name gets what the fixed parts leave */
	x = t->cols - rw - 10 - (t->demo ? 7 : 0) - 10;
	move(0, 0);
	clrtoeol();
	attrset(t->role[ROLE_TITLE]);
	tui_put(t, 0, 0, 10, " flashbay ", false);
	attrset(A_BOLD);
	tui_put(t, 0, 10, x > 8 ? x : 8, safe, false);
	x = 11 + (int)(text_width(safe) < (size_t)(x > 8 ? x : 8) ? text_width(safe) : (size_t)(x > 8 ? x : 8));
	free(safe);
	if (t->demo) {
		attrset(t->role[ROLE_DEMO]);
		tui_put(t, 0, x, 6, " DEMO ", false);
		x += 7;
	}
	attrset(app_monitor(t->app) ? t->role[ROLE_ACTIVE] | A_REVERSE : A_NORMAL);
	tui_put(t, 0, x, 9, app_monitor(t->app) ? " MONITOR " : " manual ", false);
	attrset(A_NORMAL);
	if (t->cols - rw > x + 10)
		tui_put(t, 0, t->cols - rw, rw, right, false);
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

/* The STATE column text and its role. */
static enum tui_role state_text(const struct app_board *b, char *out, size_t n)
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

/* Column widths of the board table for the terminal width. */
struct cols {
	int slot, port, kind, chip, mac, state, last;
};

static struct cols table_cols(int width)
{
	struct cols c = { 4, 9, 9, 14, 17, 15, 5 };
	int used = 2 + c.slot + 1 + c.port + 1 + c.kind + 1 + c.chip + 1 + c.mac + 1 + c.state + 1 +
		   c.last;
	int extra = width - used;

	if (extra > 0) {
		c.chip += extra / 2;
		c.last += extra - extra / 2;
	} else if (extra < 0) {
		c.chip += extra; /* narrower than 80: give up chip columns first */
		if (c.chip < 4)
			c.chip = 4;
	}
	return c;
}

/* LAST column: last result and when. */
static void last_text(const struct app_board *b, char *out, size_t n)
{
	struct tm tm;
	time_t when = (time_t)(b->result_wall_ms / 1000);

	if (!b->result_wall_ms) {
		snprintf(out, n, "-");
		return;
	}
	localtime_r(&when, &tm);
	snprintf(out, n, "%s %02d:%02d", b->state == BOARD_EMPTY || !b->dev ?
		 (b->outcome == OUTCOME_OK ? "PASS" : "FAIL") : "", tm.tm_hour, tm.tm_min);
	if (out[0] == ' ')
		memmove(out, out + 1, strlen(out));
}

/* One row of the board table. */
static void draw_board(struct tui *t, int y, struct app_board *b, bool cursor, struct cols c)
{
	const struct device *d = b->dev;
	char state[40], last[32], slot[16];
	const char *port = d ? path_basename(d->devnode) : "-";
	const char *ident = b->mac[0] ? b->mac : d && d->serial ? d->serial : "";
	const char *chip = b->chip[0] ? b->chip : d && d->kind_what ? d->kind_what : "";
	enum tui_role role = state_text(b, state, sizeof state);
	char *s;
	int x = 0;

	last_text(b, last, sizeof last);
	attrset(cursor ? t->role[ROLE_CURSOR] : (!d || !d->present ? t->role[ROLE_DIM] : A_NORMAL));
	tui_put(t, y, 0, t->cols, "", true);
	tui_put(t, y, x, 1, cursor ? t->gl->cursor : " ", true);
	tui_put(t, y, x + 1, 1, tui_is_selected(t, b->slot) ? t->gl->selected : " ", true);
	x += 2;
	if (d && d->slot_label)
		snprintf(slot, sizeof slot, "%s", d->slot_label);
	else
		snprintf(slot, sizeof slot, "%u", b->slot);
	s = tui_safe(t, slot);
	tui_put(t, y, x, c.slot, s, true);
	free(s);
	x += c.slot + 1;
	s = tui_safe(t, port);
	tui_put(t, y, x, c.port - 1, s, true);
	tui_put(t, y, x + c.port - 1, 1, d && d->dup_by_id ? "!" : " ", true);
	free(s);
	x += c.port + 1;
	tui_put(t, y, x, c.kind, d ? kind_name(d->kind) : "", true);
	x += c.kind + 1;
	s = tui_safe(t, chip);
	tui_put(t, y, x, c.chip, s, true);
	free(s);
	x += c.chip + 1;
	s = tui_safe(t, ident);
	tui_put(t, y, x, c.mac, s, true);
	free(s);
	x += c.mac + 1;
	if (!cursor)
		attrset(t->role[role]);
	tui_put(t, y, x, c.state, state, true);
	x += c.state + 1;
	attrset(cursor ? t->role[ROLE_CURSOR] : A_NORMAL);
	tui_put(t, y, x, c.last, last, true);
	attrset(A_NORMAL);
}

/* The board table in rows [y, y + h). */
static void draw_boards(struct tui *t, int y, int h)
{
	struct cols c = table_cols(t->cols);
	size_t n = tui_board_count(t);
	char title[64];

	snprintf(title, sizeof title, "Boards %zu", n);
	rule(t, y, title, t->focus == FOCUS_DEVICES);
	attrset(A_BOLD);
	move(y + 1, 0);
	clrtoeol();
	mvprintw(y + 1, 2, "%-*s %-*s %-*s %-*s %-*s %-*s %s", c.slot, "SLOT", c.port, "PORT", c.kind,
		 "KIND", c.chip, "CHIP/MCU", c.mac, "MAC/SERIAL", c.state, "STATE", "LAST");
	attrset(A_NORMAL);
	h -= 2;
	if (t->cursor < t->top)
		t->top = t->cursor;
	if (h > 0 && t->cursor >= t->top + (size_t)h)
		t->top = t->cursor - (size_t)h + 1;
	for (int i = 0; i < h; i++) {
		struct app_board *b = tui_board(t, t->top + (size_t)i);

		if (b) {
			draw_board(t, y + 2 + i, b, t->top + (size_t)i == t->cursor, c);
		} else {
			move(y + 2 + i, 0);
			clrtoeol();
			if (!n && i == 0)
				tui_put(t, y + 2, 2, t->cols - 2,
					"no boards yet: plug some in (r rescans)", false);
		}
	}
}

/* A progress bar of width w for pct. */
static void draw_bar(struct tui *t, int y, int x, int w, double pct)
{
	double cells = pct / 100.0 * w;
	int full = (int)cells;

	attrset(t->role[ROLE_ACTIVE]);
	for (int i = 0; i < w && y < t->rows; i++) {
		const char *g = t->gl->bar_empty;

		if (i < full)
			g = t->gl->bar_full;
		else if (i == full && t->gl->bar_eighths)
			g = t->gl->bar_eighths[(int)((cells - full) * 8) & 7];
		if (i >= full && !t->utf8)
			attrset(A_NORMAL);
		mvaddstr(y, x + i, g);
	}
	attrset(A_NORMAL);
}

/* One progress line for a running board. */
static void draw_progress_line(struct tui *t, int y, struct app_board *b)
{
	const struct flash_progress *p = &b->prog;
	uint64_t el = now_ms() - b->run_start_ms;
	char left[48], right[96], done[16], total[16], elapsed[16], eta[16] = "";
	const char *port = b->dev ? path_basename(b->dev->devnode) : "-";
	char *sport = tui_safe(t, port);
	int barw;

	if (p->phase == PHASE_FLASH && p->images > 1)
		snprintf(left, sizeof left, "%3u %-8.8s %s %d/%d", b->slot, sport, phase_name(p->phase),
			 p->image, p->images);
	else
		snprintf(left, sizeof left, "%3u %-8.8s %s", b->slot, sport, phase_name(p->phase));
	free(sport);
	human((uint64_t)(p->overall_pct / 100.0 * (double)p->bytes_total), done);
	human(p->bytes_total, total);
	format_duration(el, elapsed);
	if (p->overall_pct >= 1 && p->overall_pct < 100)
		format_duration((uint64_t)((double)el * (100 - p->overall_pct) / p->overall_pct), eta);
	/* fixed widths, so the bars line up whatever the numbers */
	snprintf(right, sizeof right, "%3.0f%% %6s/%-6s %6s %s%-6s", p->overall_pct, done, total,
		 elapsed, eta[0] ? "ETA " : "    ", eta);
	if (p->kbps > 0 && t->cols >= 100)
		snprintf(right + strlen(right), sizeof right - strlen(right), " %5.0fkbit/s", p->kbps);
	else if (t->cols >= 100)
		snprintf(right + strlen(right), sizeof right - strlen(right), "             ");
	move(y, 0);
	clrtoeol();
	tui_put(t, y, 0, 22, left, true);
	barw = t->cols - 22 - (int)strlen(right) - 3;
	if (barw >= 4) {
		draw_bar(t, y, 23, barw, p->overall_pct);
		tui_put(t, y, 23 + barw + 1, t->cols - 24 - barw, right, true);
	} else {
		tui_put(t, y, 23, t->cols - 23, right, true);
	}
}

/* Progress: one bar per running board (as many as fit). */
static void draw_progress(struct tui *t, int y, int h, size_t running)
{
	char title[48];
	int row = 0;
	size_t shown = 0;

	snprintf(title, sizeof title, "Progress %zu running", running);
	rule(t, y, title, false);
	for (size_t i = 0; i < tui_board_count(t) && row < h; i++) {
		struct app_board *b = tui_board(t, i);

		if (b->state != BOARD_RUNNING)
			continue;
		if (row == h - 1 && running - shown > 1) {
			char more[64];

			snprintf(more, sizeof more, "  ... and %zu more (see STATE above)", running - shown);
			move(y + 1 + row, 0);
			clrtoeol();
			tui_put(t, y + 1 + row++, 0, t->cols, more, true);
			break;
		}
		draw_progress_line(t, y + 1 + row++, b);
		shown++;
	}
	for (; row < h; row++) {
		move(y + 1 + row, 0);
		clrtoeol();
		if (row == 0 && !running)
			tui_put(t, y + 1, 2, t->cols - 2, app_shutting_down(t->app) ? "done" : "idle", false);
	}
}

/* Log pane: newest at the bottom, or scrolled back when focused. */
static void draw_log(struct tui *t, int y, int h)
{
	size_t n = log_count(), end;

	rule(t, y, t->focus == FOCUS_LOG ? "Log (arrows scroll, l returns)" : "Log", t->focus == FOCUS_LOG);
	if (t->log_back > n)
		t->log_back = n;
	end = n - t->log_back;
	for (int i = 0; i < h; i++) {
		long idx = (long)end - h + i;
		const struct log_entry *e = idx >= 0 ? log_get((size_t)idx) : NULL;

		move(y + 1 + i, 0);
		clrtoeol();
		if (e) {
			struct strbuf sb = STRBUF_INIT;
			time_t when = (time_t)(e->wall_ms / 1000);
			struct tm tm;
			char *safe;

			localtime_r(&when, &tm);
			strbuf_addf(&sb, "%02d:%02d:%02d %s%s", tm.tm_hour, tm.tm_min, tm.tm_sec,
				    e->level >= LOG_WARN ? (e->level == LOG_ERROR ? "ERROR " : "warn ") : "",
				    e->text);
			safe = tui_safe(t, sb.buf);
			attrset(e->level == LOG_ERROR ? t->role[ROLE_FAIL] :
				e->level == LOG_WARN ? t->role[ROLE_WARN] : A_NORMAL);
			tui_put(t, y + 1 + i, 0, t->cols, safe, true);
			attrset(A_NORMAL);
			free(safe);
			strbuf_release(&sb);
		}
	}
}

/* Key bar: main keys, or the current note. */
static void draw_keybar(struct tui *t)
{
	static const char *const keys[][2] = {
		{ "f", "Flash" }, { "F", "All" }, { "s", "Stop" }, { "o", "Firmware" },
		{ "m", "Menuconfig" }, { "M", "Monitor" }, { "l", "Log" }, { "?", "Help" },
		{ "q", "Quit" },
	};
	int y = t->rows - 1, x = 0;

	move(y, 0);
	clrtoeol();
	if (t->status[0]) {
		char *safe = tui_safe(t, t->status);

		attrset(t->status_error ? t->role[ROLE_FAIL] : t->role[ROLE_WARN]);
		tui_put(t, y, 0, t->cols, safe, true);
		attrset(A_NORMAL);
		free(safe);
		return;
	}
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
		int w = (int)strlen(keys[i][0]) + (int)strlen(keys[i][1]) + 1;

		if (x + w > t->cols)
			break;
		attrset(t->role[ROLE_KEY] | A_REVERSE);
		tui_put(t, y, x, (int)strlen(keys[i][0]), keys[i][0], false);
		attrset(A_NORMAL);
		tui_put(t, y, x + (int)strlen(keys[i][0]) + 1, w, keys[i][1], false);
		x += w + 1;
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
	prog = (int)(running ? running : 1);
	if (prog > (avail / 3 > 2 ? avail / 3 : 2))
		prog = avail / 3 > 2 ? avail / 3 : 2;
	boards = (int)(nb ? nb : 1);
	if (boards > avail - prog - 3)
		boards = avail - prog - 3;
	if (boards < 1)
		boards = 1;
	logh = avail - prog - boards;
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
