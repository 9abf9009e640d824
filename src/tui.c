/* tui.c - dashboard core: curses lifecycle, input, signals, coalesced frames,
 * handing the terminal to a full-screen child. */
#include "autoconf.h"

#include "tui.h"

#include <errno.h>
#include <langinfo.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "app.h"
#include "array.h"
#include "clock.h"
#include "cmd.h"
#include "config.h"
#include "job.h"
#include "log.h"
#include "str.h"
#include "xalloc.h"

static const char *const eighths[] = { " ", "\u258f", "\u258e", "\u258d", "\u258c", "\u258b", "\u258a",
				       "\u2589" };
static const struct tui_glyphs glyphs_utf8 = { "\u2588", " ", eighths, "\u25cf", "\u25b6", "\u2026" };
static const struct tui_glyphs glyphs_ascii = { "#", "-", NULL, "*", ">", "~" };

static SCREEN *screen;

/* How long a note stays in the key bar. */
#define NOTE_MS 5000
/* Frames that only move percentages and clocks: at most 4 a second. */
#define PROGRESS_MS 250

/* Restore the terminal before an out-of-memory abort. */
static void die_hook(void)
{
	if (screen)
		endwin();
}

void tui_dirty(struct tui *t)
{
	t->dirty = true;
}

void tui_note(struct tui *t, bool error, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(t->status, sizeof t->status, fmt, ap);
	va_end(ap);
	t->status_error = error;
	loop_timer_arm(t->loop, &t->note_timer, NOTE_MS, 0);
	tui_dirty(t);
}

/* The note has been read: the key bar shows the keys again. */
static void on_note_timer(struct loop_timer *timer, void *data)
{
	struct tui *t = data;

	(void)timer;
	t->status[0] = '\0';
	tui_dirty(t);
}

/* Colour pairs or, on monochrome / NO_COLOR, attributes per role. */
static void init_roles(struct tui *t)
{
	static const struct { short fg, bg; attr_t extra, mono; } map[ROLE__COUNT] = {
		[ROLE_NORMAL] = { -1, -1, 0, 0 },
		[ROLE_TITLE] = { COLOR_CYAN, -1, A_BOLD, A_BOLD },
		[ROLE_PASS] = { COLOR_GREEN, -1, A_BOLD, A_BOLD },
		[ROLE_FAIL] = { COLOR_RED, -1, A_BOLD, A_REVERSE },
		[ROLE_ACTIVE] = { COLOR_YELLOW, -1, A_BOLD, A_BOLD },
		[ROLE_DIM] = { -1, -1, A_DIM, A_DIM },
		[ROLE_CURSOR] = { -1, -1, A_REVERSE, A_REVERSE },
		[ROLE_KEY] = { COLOR_CYAN, -1, A_BOLD, A_BOLD },
		[ROLE_WARN] = { COLOR_YELLOW, -1, 0, A_BOLD },
		[ROLE_DEMO] = { COLOR_MAGENTA, -1, A_BOLD, A_REVERSE },
	};

	const char *no_color = getenv("NO_COLOR");
	bool defaults = false;

	t->color = t->cfg->color == COLOR_ALWAYS ||
		   (t->cfg->color == COLOR_AUTO && !(no_color && *no_color));
	t->color = t->color && has_colors();
	if (t->color) {
		start_color();
		defaults = use_default_colors() == OK;
	}
	for (short i = 0; i < ROLE__COUNT; i++) {
		if (t->color && map[i].fg >= 0) {
			init_pair((short)(i + 1), map[i].fg, defaults ? map[i].bg : COLOR_BLACK);
			t->role[i] = COLOR_PAIR(i + 1) | map[i].extra;
		} else {
			t->role[i] = t->color ? map[i].extra : map[i].mono;
		}
	}
}

/* The terminal's size after SIGWINCH. The terminal may have reflowed or cut
 * what was on it, so ncurses' picture of it is wrong: the next frame is a
 * full repaint (once per resize, never per frame). */
static void take_size(struct tui *t)
{
	struct winsize ws;

	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col)
		resize_term(ws.ws_row, ws.ws_col);
	getmaxyx(stdscr, t->rows, t->cols);
	clearok(curscr, TRUE);
	tui_dirty(t);
}

/* Draw now if allowed by the frame rate, else arm the frame timer. A key, a
 * new state or a plug event is drawn within 1/fps s; moving percentages and
 * clocks alone wait for the slower progress rate: with 16 boards flashing,
 * what changes between two frames then costs a few hundred bytes, not a few
 * hundred per board. */
static void maybe_draw(void *data)
{
	struct tui *t = data;
	uint64_t now, gap = 1000 / (t->fps ? t->fps : 10);

	if (!(t->dirty || t->progress_dirty) || t->suspended || t->hup)
		return;
	if (!t->dirty && gap < PROGRESS_MS)
		gap = PROGRESS_MS;
	now = now_ms();
	if (t->last_frame && now - t->last_frame < gap) {
		loop_timer_arm(t->loop, &t->frame_timer, gap - (now - t->last_frame), 0);
		return;
	}
	loop_timer_disarm(t->loop, &t->frame_timer);
	t->dirty = t->progress_dirty = false;
	t->last_frame = now;
	t->frames++;
	tui_draw(t);
}

static void on_frame_timer(struct loop_timer *timer, void *data)
{
	(void)timer;
	maybe_draw(data);
}

/* While attempts run, elapsed times and ETAs move even without output. */
static void on_tick(struct loop_timer *timer, void *data)
{
	struct tui *t = data;

	if (!app_busy(t->app))
		loop_timer_disarm(t->loop, timer);
	t->progress_dirty = true;
}

/* The terminal is gone: stop reading it, never draw again. */
static void lose_terminal(struct tui *t)
{
	t->hup = true;
	if (t->stdin_watched) {
		loop_fd_del(t->loop, STDIN_FILENO);
		t->stdin_watched = false;
	}
}

static void on_input(int fd, short revents, void *data)
{
	struct tui *t = data;
	int avail = 0, ch, n = 0;

	if (revents & (POLLHUP | POLLERR | POLLNVAL) ||
	    (ioctl(fd, FIONREAD, &avail) == 0 && avail == 0)) {
		/* end of input: the terminal hung up */
		lose_terminal(t);
		app_shutdown(t->app, false);
		tui_quit_when_idle(t, 0);
		return;
	}
	while (!t->suspended && (ch = getch()) != ERR && n++ < 256)
		tui_key(t, ch);
}

/* Watch the keyboard (again). */
static void watch_stdin(struct tui *t)
{
	if (!t->stdin_watched && !t->hup &&
	    loop_fd_add(t->loop, STDIN_FILENO, POLLIN, on_input, t) == 0)
		t->stdin_watched = true;
}

/* Leave now if asked to and nothing runs (no attempt, no full-screen child). */
static void maybe_quit(struct tui *t)
{
	if (t->quit_asked && !app_busy(t->app) && !t->child)
		loop_quit(t->loop, t->exit_code);
}

void tui_quit_when_idle(struct tui *t, int code)
{
	t->quit_asked = true;
	if (!t->exit_code)
		t->exit_code = code;
	maybe_quit(t);
	tui_dirty(t);
}

static void on_signal(const struct signalfd_siginfo *si, void *data)
{
	struct tui *t = data;

	switch (si->ssi_signo) {
	case SIGWINCH:
		if (!t->hup && !t->suspended)
			take_size(t);
		break;
	case SIGHUP:
		/* the SSH session dropped: finish what runs, record it, leave */
		log_msg(LOG_WARN, NULL, "hangup: letting %zu %s finish", app_busy(t->app),
			plural((long long)app_busy(t->app), "attempt", "attempts"));
		lose_terminal(t);
		app_shutdown(t->app, false);
		tui_quit_when_idle(t, 0);
		break;
	case SIGTERM:
		/* cancel everything, a full-screen child too, record, restore */
		if (t->child)
			job_cancel(t->child);
		app_shutdown(t->app, true);
		tui_quit_when_idle(t, 128 + SIGTERM);
		break;
	case SIGINT:
		if (t->dialog && t->dialog->kind == DIALOG_QUIT) {
			app_shutdown(t->app, true);
			tui_quit_when_idle(t, EXIT_INTERRUPTED);
		} else {
			tui_ask_quit(t);
		}
		break;
	}
}

/* A finished ESP32 attempt as a log line (the Klipper plan logs its own). */
static void log_result(const struct app_board *b)
{
	struct strbuf name = STRBUF_INIT;

	if (b->dev && kind_is_klipper(b->dev->kind))
		return;
	app_board_name(b, &name);
	if (b->outcome == OUTCOME_OK)
		log_msg(LOG_INFO, NULL, "%s: PASS%s%s%s%s in %.1f s", name.buf, b->chip[0] ? " " : "",
			b->chip, b->mac[0] ? " " : "", b->mac, (double)b->duration_ms / 1000.0);
	else
		log_msg(LOG_WARN, NULL, "%s: FAIL %s: %s", name.buf, outcome_name(b->outcome),
			b->message);
	strbuf_release(&name);
}

static void on_app_event(void *data, struct app_board *b, enum app_event ev)
{
	struct tui *t = data;

	if (ev == APP_EV_FINISHED && b)
		log_result(b);
	if (t->dialog && t->dialog->kind == DIALOG_DETAIL && b && ev != APP_EV_PROGRESS)
		tui_detail_changed(t, b);
	if (ev == APP_EV_IDLE)
		maybe_quit(t);
	if ((ev == APP_EV_QUEUED || ev == APP_EV_STARTED) && !t->tick_timer.armed)
		loop_timer_arm(t->loop, &t->tick_timer, 1000, 1000);
	if (ev == APP_EV_PROGRESS)
		t->progress_dirty = true;
	else
		tui_dirty(t);
}

/* The Klipper plan's question, answered through a y/n dialog. */
static void klipper_yes(struct tui *t)
{
	app_klipper_answer(t->app, true);
}

/* ... or no (also when the dialog closes unanswered). */
static void klipper_no(struct tui *t)
{
	app_klipper_answer(t->app, false);
}

/* The question wrapped at spaces into lines of at most width columns, and "(y/n)". */
static void question_text(const char *text, size_t width, char *out, size_t size)
{
	size_t col = 0, n = 0;

	for (const char *p = text; *p && n + 8 < size; p++) {
		bool brk = *p == ' ' && col + 1 + strcspn(p + 1, " ") > width;

		out[n++] = brk ? '\n' : *p;
		col = brk || *p == '\n' ? 0 : col + 1;
	}
	snprintf(out + n, size - n, " (y/n)");
}

/* The Klipper batch: redraw; its question becomes a y/n dialog. */
static void on_klipper_event(void *data, struct app_kboard *k, enum app_kevent ev,
			     enum phase ph, const char *text)
{
	struct tui *t = data;
	char msg[512];

	(void)k;
	(void)ph;
	if (ev == APP_KEV_QUESTION && !t->hup) {
		question_text(text, 54, msg, sizeof msg);
		tui_dialog_open(t, DIALOG_CONFIRM, "Klipper", msg, klipper_yes);
		t->dialog->no = klipper_no;
	} else if (ev == APP_KEV_QUESTION) {
		app_klipper_answer(t->app, false); /* nobody to ask */
	}
	tui_dirty(t);
}

static const struct app_view tui_view = { on_app_event, on_klipper_event };

/* A new log line: redraw; a log scrolled back stays where it is. */
static void log_sink(const struct log_entry *e, void *data)
{
	struct tui *t = data;

	(void)e;
	if (t->log_back)
		t->log_back++;
	tui_dirty(t);
}

/* Home/End as tmux, screen, PuTTY and the Linux console send them, whatever
 * TERM's terminfo entry says (xterm's says ESC O H): unknown, they would
 * arrive as a lone Escape and three characters. */
static void define_keys(void)
{
	static const struct { const char *seq; int key; } keys[] = {
		{ "\033[1~", KEY_HOME }, { "\033[4~", KEY_END }, { "\033[H", KEY_HOME },
		{ "\033[F", KEY_END },   { "\033OH", KEY_HOME }, { "\033OF", KEY_END },
		{ "\033[7~", KEY_HOME }, { "\033[8~", KEY_END }, { "\033[5~", KEY_PPAGE },
		{ "\033[6~", KEY_NPAGE },
	};

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++)
		if (key_defined(keys[i].seq) == 0)
			define_key(keys[i].seq, keys[i].key);
}

/* Curses on the controlling terminal; false with err if impossible. */
static bool start_curses(struct strbuf *err)
{
	const char *term = getenv("TERM");

	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		strbuf_addstr(err, "the dashboard needs a terminal (use 'flashbay monitor' or 'flashbay flash' in scripts)");
		return false;
	}
	if (!term || !*term || !strcmp(term, "dumb")) {
		strbuf_addstr(err, "the dashboard needs a TERM that can move the cursor (TERM is unset or dumb)");
		return false;
	}
	screen = newterm(NULL, stdout, stdin);
	if (!screen) {
		strbuf_addf(err, "cannot start the dashboard on terminal type '%s'", term);
		return false;
	}
	xalloc_set_die_hook(die_hook);
	/* Ctrl-Z would stop the engine with flashes running: their output
	 * pipes fill and the tools stall. (ncurses installed a handler.) */
	signal(SIGTSTP, SIG_IGN);
	set_escdelay(25);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	define_keys();
	nodelay(stdscr, TRUE);
	leaveok(stdscr, TRUE);
	curs_set(0);
	return true;
}

struct tui *tui_new(struct loop *loop, struct app *app, const struct config *cfg, bool demo,
		    struct strbuf *err)
{
	struct tui *t = xcalloc(1, sizeof *t);
	const char *codeset = nl_langinfo(CODESET);

	t->loop = loop;
	t->app = app;
	t->cfg = cfg;
	t->demo = demo;
	t->fps = cfg->fps ? cfg->fps : 10;
	t->utf8 = cfg->glyphs == GLYPHS_UTF8 ||
		  (cfg->glyphs == GLYPHS_AUTO && codeset && !strcmp(codeset, "UTF-8"));
	t->gl = t->utf8 ? &glyphs_utf8 : &glyphs_ascii;
	if (!start_curses(err)) {
		free(t);
		return NULL;
	}
	init_roles(t);
	getmaxyx(stdscr, t->rows, t->cols);
	loop_timer_init(&t->frame_timer, on_frame_timer, t);
	loop_timer_init(&t->tick_timer, on_tick, t);
	loop_timer_init(&t->note_timer, on_note_timer, t);
	loop_hook_add(loop, maybe_draw, t);
	loop_signal_add(loop, SIGWINCH, on_signal, t);
	loop_signal_add(loop, SIGHUP, on_signal, t);
	loop_signal_add(loop, SIGTERM, on_signal, t);
	loop_signal_add(loop, SIGINT, on_signal, t);
	watch_stdin(t);
	log_set_sink(log_sink, t);
	app_set_view(app, &tui_view, t);
	if (app_busy(app))
		loop_timer_arm(loop, &t->tick_timer, 1000, 1000);
	tui_dirty(t);
	return t;
}

/* End curses. A terminal without an alternate screen (vt100, the Linux
 * console, a serial line) would keep the last frame under the shell prompt:
 * clear it first. */
static void leave_screen(void)
{
	const char *smcup = tigetstr("smcup");

	if (!smcup || smcup == (const char *)-1 || !*smcup) {
		erase();
		refresh();
	}
	endwin();
}

void tui_free(struct tui *t)
{
	if (!t)
		return;
	app_set_view(t->app, NULL, NULL);
	log_set_sink(NULL, NULL);
	if (t->child)
		job_free(t->child);
	loop_hook_del(t->loop, maybe_draw, t);
	loop_signal_del(t->loop, SIGWINCH, on_signal, t);
	loop_signal_del(t->loop, SIGHUP, on_signal, t);
	loop_signal_del(t->loop, SIGTERM, on_signal, t);
	loop_signal_del(t->loop, SIGINT, on_signal, t);
	loop_timer_disarm(t->loop, &t->frame_timer);
	loop_timer_disarm(t->loop, &t->tick_timer);
	loop_timer_disarm(t->loop, &t->note_timer);
	if (t->stdin_watched)
		loop_fd_del(t->loop, STDIN_FILENO);
	tui_dialog_close(t);
	/* a hung-up terminal is left alone: writing to it could block or fail */
	if (!t->hup && !t->suspended)
		leave_screen();
	delscreen(screen);
	screen = NULL;
	signal(SIGTSTP, SIG_DFL);
	xalloc_set_die_hook(NULL);
	free(t->selected);
	free(t->est);
	free(t);
}

/* The full-screen child ended: take the terminal back. */
static void child_done(struct job *job, void *data)
{
	struct tui *t = data;
	const struct job_status *st = job_status(job);
	int status = st->code;

	t->child = NULL;
	job_free(job);
	t->suspended = false;
	if (!t->hup) {
		reset_prog_mode();
		clearok(curscr, TRUE);
		take_size(t);
		watch_stdin(t);
	}
	tui_dirty(t);
	if (t->child_done)
		t->child_done(t, status, t->child_data);
	maybe_quit(t);
}

static const struct job_ops child_ops = { NULL, child_done };

int tui_run_fullscreen(struct tui *t, struct job_spec *spec,
		       void (*done)(struct tui *t, int status, void *data), void *data)
{
	int r;

	if (t->suspended || t->hup)
		return -EBUSY;
	spec->interactive = true;
	def_prog_mode();
	endwin();
	if (t->stdin_watched) {
		loop_fd_del(t->loop, STDIN_FILENO);
		t->stdin_watched = false;
	}
	t->suspended = true;
	t->child_done = done;
	t->child_data = data;
	r = job_start(t->loop, spec, &child_ops, t, &t->child);
	if (r < 0) {
		t->suspended = false;
		reset_prog_mode();
		clearok(curscr, TRUE);
		watch_stdin(t);
		tui_dirty(t);
	}
	return r;
}
