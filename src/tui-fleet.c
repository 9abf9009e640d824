/* tui-fleet.c - the fleet dashboard of `flashbay fleet`: a row per station
 * and the line's totals; Enter opens a station (its slots and last
 * failures). Same style as the station's dashboard: 80x24 and up, ASCII
 * glyphs without a UTF-8 locale ([tui] glyphs), NO_COLOR / [tui] color,
 * a help screen (?) with every key. It only renders the model (fleet.h) and
 * turns keys into moves; redraws are coalesced (at most [tui] fps a second)
 * and nothing is drawn while nothing changes. */
#include "autoconf.h"

#include <curses.h>
#include <poll.h>
#include <langinfo.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "clock.h"
#include "cmd-fleet.h"
#include "mqtt.h"
#include "text.h"
#include "xalloc.h"
#include "yield.h"

enum fleet_role { FR_NORMAL, FR_TITLE, FR_PASS, FR_FAIL, FR_WARN, FR_DIM, FR_CURSOR, FR__COUNT };
enum fleet_view { FV_TABLE, FV_STATION, FV_HELP };

struct fleet_tui {
	struct fleet_cli *c;
	SCREEN *screen;
	bool utf8, dirty;
	attr_t role[FR__COUNT];
	int rows, cols;
	size_t cursor, top;
	enum fleet_view view;
	char note[200];
	unsigned fps;
	uint64_t last_frame;
	struct loop_timer frame;
};

/* Text clipped/padded to width at (y, x), sanitised (ASCII without UTF-8). */
static void put(struct fleet_tui *t, int y, int x, int width, const char *s)
{
	struct strbuf line = STRBUF_INIT;

	if (width <= 0 || y >= t->rows || x >= t->cols)
		return;
	if (x + width > t->cols)
		width = t->cols - x;
	text_cell(&line, s, (size_t)width, !t->utf8);
	mvaddstr(y, x, line.buf);
	strbuf_release(&line);
}

/* A rule across row y with a title. */
static void rule(struct fleet_tui *t, int y, const char *title)
{
	const char *h = t->utf8 ? "\u2500" : "-";

	attrset(t->role[FR_TITLE]);
	move(y, 0);
	for (int x = 0; x < t->cols; x++)
		addstr(h);
	put(t, y, 2, (int)text_width(title) > t->cols - 2 ? t->cols - 2 : (int)text_width(title),
	    title);
	attrset(A_NORMAL);
}

/* Header: the broker and its state; the line's totals. */
static void draw_header(struct fleet_tui *t)
{
	struct fleet_totals tot;
	enum mqtt_state st = mqtt_state(t->c->m);
	char line[256], y[16];

	fleet_totals(&t->c->f, &tot);
	attrset(t->role[FR_TITLE]);
	put(t, 0, 0, 16, " flashbay fleet ");
	attrset(st == MQTT_UP ? A_NORMAL : t->role[FR_WARN]);
	snprintf(line, sizeof line, " %s %s%s%s", t->c->cfg.mqtt_broker, mqtt_state_name(st),
		 *mqtt_why(t->c->m) ? ": " : "", mqtt_why(t->c->m));
	put(t, 0, 16, t->cols - 16, line);
	attrset(A_BOLD);
	yield_text(y, tot.yield, tot.boards, 1);
	snprintf(line, sizeof line, " line: %ld/%ld online  ok %ld  fail %ld  1st-pass %s  "
		 "%.1f/h  busy %ld  waiting %ld", tot.online, tot.stations, tot.ok, tot.failed,
		 y, tot.units_per_hour, tot.busy, tot.waiting);
	put(t, 1, 0, t->cols, line);
	attrset(A_NORMAL);
}

/* The last result of s, short. */
static void last_text(const struct fleet_station *s, char *out, size_t n)
{
	if (!s->last_outcome[0])
		snprintf(out, n, "-");
	else if (!strcmp(s->last_outcome, "ok"))
		snprintf(out, n, "slot %d ok", s->last_slot);
	else
		snprintf(out, n, "slot %d %s %s", s->last_slot,
			 s->last_class[0] ? s->last_class : "failed", s->last_message);
}

/* A station row: its columns, and where LAST starts. */
#define ROW_FMT " %-12.12s %-7s %-7.7s %5ld %4ld %6s %6.1f %5s %s"
#define LAST_COL 61

/* One station row. */
static void draw_row(struct fleet_tui *t, int y, const struct fleet_station *s, bool cur)
{
	char line[512], last[200], busy[16], yield[16];
	attr_t a = !s->has_status || !s->online ? t->role[FR_DIM] : A_NORMAL;

	last_text(s, last, sizeof last);
	yield_text(yield, s->yield, s->boards, 1);
	snprintf(busy, sizeof busy, "%ld/%zu", s->busy, s->nslots);
	snprintf(line, sizeof line, ROW_FMT, s->name,
		 !s->has_status ? "?" : s->online ? "online" : "offline", s->mode, s->ok,
		 s->failed, yield, s->units_per_hour, busy, last);
	attrset(cur ? t->role[FR_CURSOR] : a);
	put(t, y, 0, t->cols, line);
	if (!cur && s->last_outcome[0] && strcmp(s->last_outcome, "ok") && t->cols > LAST_COL) {
		attrset(t->role[FR_FAIL]); /* the LAST column */
		put(t, y, LAST_COL, t->cols - LAST_COL, last);
	}
	attrset(A_NORMAL);
}

/* The table of stations. */
static void draw_table(struct fleet_tui *t)
{
	const struct fleet *f = &t->c->f;
	int h = t->rows - 5;
	char title[64];

	snprintf(title, sizeof title, " Stations %zu ", f->n);
	rule(t, 2, title);
	attrset(A_BOLD);
	put(t, 3, 0, t->cols, " STATION      STATUS  MODE       OK FAIL  YIELD UNIT/H  BUSY LAST");
	attrset(A_NORMAL);
	if (t->cursor >= f->n)
		t->cursor = f->n ? f->n - 1 : 0;
	if (t->cursor < t->top)
		t->top = t->cursor;
	if (h > 0 && t->cursor >= t->top + (size_t)h)
		t->top = t->cursor - (size_t)h + 1;
	for (int i = 0; i < h; i++) {
		size_t k = t->top + (size_t)i;

		if (k < f->n)
			draw_row(t, 4 + i, &f->st[k], k == t->cursor);
		else
			put(t, 4 + i, 0, t->cols, f->n || i ? "" : " waiting for the stations' status...");
	}
}

/* One station: its slots, then its last failures. */
static void draw_station(struct fleet_tui *t)
{
	const struct fleet_station *s = t->c->f.n ? &t->c->f.st[t->cursor] : NULL;
	char line[512], title[200];
	int y = 4;

	if (!s) {
		t->view = FV_TABLE;
		draw_table(t);
		return;
	}
	snprintf(title, sizeof title, " %s: %zu slots, fw %s ", s->name, s->nslots,
		 s->firmware[0] ? s->firmware : "-");
	rule(t, 2, title);
	attrset(A_BOLD);
	put(t, 3, 0, t->cols, " SLOT STATE    PORT           CHIP             MAC               NOTE");
	attrset(A_NORMAL);
	for (size_t i = 0; i < s->nslots && y < t->rows - 3 - (int)s->nfails; i++, y++) {
		const struct fleet_slot *sl = &s->slots[i];
		char note[200] = "";

		if (sl->percent >= 0)
			snprintf(note, sizeof note, "%s %d%%", sl->phase, sl->percent);
		else if (sl->failure_class[0])
			snprintf(note, sizeof note, "%s %s", sl->failure_class, sl->message);
		snprintf(line, sizeof line, " %4d %-8s %-14.14s %-16.16s %-17s %s", sl->slot, sl->state,
			 sl->port, sl->chip, sl->mac, note);
		attrset(!strcmp(sl->state, "fail") ? t->role[FR_FAIL]
			: !strcmp(sl->state, "pass") ? t->role[FR_PASS] : A_NORMAL);
		put(t, y, 0, t->cols, line);
	}
	attrset(A_NORMAL);
	for (; y < t->rows - 2 - (int)s->nfails; y++)
		put(t, y, 0, t->cols, "");
	rule(t, y++, " Last failures ");
	for (size_t i = 0; i < s->nfails && y < t->rows - 1; i++, y++) {
		const struct fleet_fail *ff = &s->fails[i];

		snprintf(line, sizeof line, " %.19s slot %d %s %s %s", ff->finished_at, ff->slot,
			 ff->failure_class, ff->mac, ff->message);
		put(t, y, 0, t->cols, line);
	}
	if (!s->nfails && y < t->rows - 1)
		put(t, y++, 0, t->cols, " none received");
}

/* Every key, on its own screen. */
static void draw_help(struct fleet_tui *t)
{
	static const char *const lines[] = {
		" Up/Down, k/j   move between stations",
		" PgUp/PgDn      a screen up / down",
		" Home/End       first / last station",
		" Enter, i       open the station: its slots and last failures",
		" Esc, Left      back to the stations",
		" ?              this help (any key closes it)",
		" q              quit",
		"",
		" A station is offline when it said so at exit, or when the broker",
		" published its last will (it went away without a word).",
		" 1ST-PS: first-pass yield; UNITS/H: boards passed per hour; BUSY:",
		" attempts queued or running / slots; waiting: results not yet",
		" acknowledged by the broker (in the stations' outboxes).",
	};

	rule(t, 2, " Help ");
	for (int i = 0; i < t->rows - 4; i++)
		put(t, 3 + i, 0, t->cols, (size_t)i < sizeof lines / sizeof lines[0] ? lines[i] : "");
}

/* The key bar, or the last note. */
static void draw_keys(struct fleet_tui *t)
{
	const char *keys = t->view == FV_STATION ? " Esc Back  \u2191\u2193 Station  ? Help  q Quit"
						 : " \u2191\u2193 Move  Enter Station  ? Help  q Quit";
	char line[300];

	if (!t->utf8)
		keys = t->view == FV_STATION ? " Esc Back  Up/Dn Station  ? Help  q Quit"
					     : " Up/Dn Move  Enter Station  ? Help  q Quit";
	snprintf(line, sizeof line, "%s%s%s", keys, t->note[0] ? "  | " : "", t->note);
	attrset(t->note[0] ? t->role[FR_WARN] : t->role[FR_TITLE]);
	put(t, t->rows - 1, 0, t->cols, line);
	attrset(A_NORMAL);
}

static void draw(struct fleet_tui *t)
{
	draw_header(t);
	if (t->view == FV_HELP)
		draw_help(t);
	else if (t->view == FV_STATION)
		draw_station(t);
	else
		draw_table(t);
	draw_keys(t);
	refresh();
}

/* Draw if dirty, at most fps frames a second (a loop hook). */
static void maybe_draw(void *data)
{
	struct fleet_tui *t = data;
	uint64_t now = now_ms(), gap = 1000 / t->fps;

	if (!t->dirty)
		return;
	if (t->last_frame && now - t->last_frame < gap) {
		if (!t->frame.armed)
			loop_timer_arm(t->c->loop, &t->frame, gap - (now - t->last_frame), 0);
		return;
	}
	t->dirty = false;
	t->last_frame = now;
	draw(t);
}

static void on_frame(struct loop_timer *timer, void *data)
{
	(void)timer;
	maybe_draw(data);
}

void fleet_tui_changed(struct fleet_tui *t)
{
	if (t)
		t->dirty = true;
}

void fleet_tui_note(struct fleet_tui *t, const char *line)
{
	snprintf(t->note, sizeof t->note, "%s", line);
	t->dirty = true;
}

/* A key. */
static void key(struct fleet_tui *t, int ch)
{
	size_t n = t->c->f.n, page = t->rows > 6 ? (size_t)t->rows - 6 : 1;

	t->note[0] = '\0';
	if (t->view == FV_HELP) {
		t->view = FV_TABLE;
	} else if (ch == 'q' || ch == 'Q') {
		loop_quit(t->c->loop, EXIT_OK);
	} else if (ch == '?') {
		t->view = FV_HELP;
	} else if (ch == KEY_UP || ch == 'k') {
		t->cursor -= t->cursor > 0;
	} else if (ch == KEY_DOWN || ch == 'j') {
		t->cursor += t->cursor + 1 < n;
	} else if (ch == KEY_PPAGE) {
		t->cursor = t->cursor > page ? t->cursor - page : 0;
	} else if (ch == KEY_NPAGE) {
		t->cursor = n && t->cursor + page < n ? t->cursor + page : n ? n - 1 : 0;
	} else if (ch == KEY_HOME) {
		t->cursor = 0;
	} else if (ch == KEY_END) {
		t->cursor = n ? n - 1 : 0;
	} else if ((ch == '\r' || ch == '\n' || ch == KEY_ENTER || ch == 'i') && n) {
		t->view = FV_STATION;
	} else if (ch == 27 || ch == KEY_LEFT) {
		t->view = FV_TABLE;
	}
	erase();
	t->dirty = true;
}

static void on_input(int fd, short revents, void *data)
{
	struct fleet_tui *t = data;
	int ch, avail = 0;

	if (revents & (POLLHUP | POLLERR) || (ioctl(fd, FIONREAD, &avail) == 0 && avail == 0)) {
		loop_fd_del(t->c->loop, STDIN_FILENO);
		loop_quit(t->c->loop, EXIT_OK); /* the terminal hung up */
		return;
	}
	for (int i = 0; i < 256 && (ch = getch()) != ERR; i++)
		key(t, ch);
}

static void on_winch(const struct signalfd_siginfo *si, void *data)
{
	struct fleet_tui *t = data;
	struct winsize ws;

	(void)si;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
		resize_term(ws.ws_row, ws.ws_col);
	getmaxyx(stdscr, t->rows, t->cols);
	clearok(curscr, TRUE);
	t->dirty = true;
}

/* Roles as the station's dashboard maps them (colour or mono). */
static void init_roles(struct fleet_tui *t)
{
	static const struct { short fg; attr_t extra, mono; } map[FR__COUNT] = {
		[FR_NORMAL] = { -1, 0, 0 },
		[FR_TITLE] = { COLOR_CYAN, A_BOLD, A_BOLD },
		[FR_PASS] = { COLOR_GREEN, A_BOLD, A_BOLD },
		[FR_FAIL] = { COLOR_RED, A_BOLD, A_REVERSE },
		[FR_WARN] = { COLOR_YELLOW, 0, A_BOLD },
		[FR_DIM] = { -1, A_DIM, A_DIM },
		[FR_CURSOR] = { -1, A_REVERSE, A_REVERSE },
	};
	const char *no_color = getenv("NO_COLOR");
	int mode = t->c->cfg.color;
	bool color = (mode == COLOR_ALWAYS || (mode == COLOR_AUTO && !(no_color && *no_color))) &&
		     has_colors();
	bool defaults = false;

	if (color) {
		start_color();
		defaults = use_default_colors() == OK;
	}
	for (short i = 0; i < FR__COUNT; i++) {
		if (color && map[i].fg >= 0) {
			init_pair((short)(i + 1), map[i].fg, defaults ? -1 : COLOR_BLACK);
			t->role[i] = COLOR_PAIR(i + 1) | map[i].extra;
		} else {
			t->role[i] = color ? map[i].extra : map[i].mono;
		}
	}
}

struct fleet_tui *fleet_tui_new(struct fleet_cli *c)
{
	struct fleet_tui *t;
	const char *term = getenv("TERM"), *codeset = nl_langinfo(CODESET);
	SCREEN *screen;

	if (!term || !*term || !strcmp(term, "dumb") || !(screen = newterm(NULL, stdout, stdin)))
		return NULL; /* line mode */
	t = xcalloc(1, sizeof *t);
	t->c = c;
	t->screen = screen;
	t->fps = c->cfg.fps ? c->cfg.fps : 10;
	t->utf8 = c->cfg.glyphs == GLYPHS_UTF8 ||
		  (c->cfg.glyphs == GLYPHS_AUTO && codeset && !strcmp(codeset, "UTF-8"));
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	leaveok(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	init_roles(t);
	getmaxyx(stdscr, t->rows, t->cols);
	loop_timer_init(&t->frame, on_frame, t);
	loop_hook_add(c->loop, maybe_draw, t);
	loop_signal_add(c->loop, SIGWINCH, on_winch, t);
	loop_fd_add(c->loop, STDIN_FILENO, POLLIN, on_input, t);
	t->dirty = true;
	return t;
}

void fleet_tui_free(struct fleet_tui *t)
{
	const char *smcup;

	if (!t)
		return;
	loop_hook_del(t->c->loop, maybe_draw, t);
	loop_signal_del(t->c->loop, SIGWINCH, on_winch, t);
	loop_fd_del(t->c->loop, STDIN_FILENO);
	loop_timer_disarm(t->c->loop, &t->frame);
	smcup = tigetstr("smcup");
	if (!smcup || smcup == (const char *)-1 || !*smcup) { /* no alternate screen */
		erase();
		refresh();
	}
	endwin();
	delscreen(t->screen);
	free(t);
}
