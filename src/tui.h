/* tui.h - the dashboard: a view of the engine in a full-screen ncursesw UI.
 *
 * It renders state and turns keys into commands; it never decides and never
 * blocks the loop. Renders are coalesced: a key or a state change marks the
 * screen dirty and a frame follows within 1/[tui] fps s; progress alone
 * (percentages, clocks) waits up to 250 ms. Nothing is drawn while nothing
 * changes (zero output and zero wake-ups when idle), and ncurses sends only
 * the cells that changed.
 *
 * Shared by tui.c (core), tui-draw.c (frame: header, key bar, layout),
 * tui-table.c (board table), tui-progress.c (progress pane), tui-log.c (log
 * pane), tui-keys.c (commands), tui-dialog.c (help, confirmations, messages),
 * tui-files.c (firmware browser) and tui-label.c (the label scan field).
 */
#ifndef FLASHBAY_TUI_H
#define FLASHBAY_TUI_H

#include <curses.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "strbuf.h"

struct app;
struct app_board;
struct flash_progress;
struct config;
struct job_spec;
struct strvec;

/* Visual roles; each maps to a colour pair or, without colour, to bold/reverse. */
enum tui_role {
	ROLE_NORMAL,
	ROLE_TITLE,    /* pane titles, header */
	ROLE_PASS,
	ROLE_FAIL,
	ROLE_ACTIVE,   /* queued / running */
	ROLE_DIM,      /* unplugged, idle details */
	ROLE_CURSOR,   /* the current row */
	ROLE_KEY,      /* key names in the key bar */
	ROLE_WARN,
	ROLE_DEMO,
	ROLE__COUNT
};

/* Glyphs: UTF-8 blocks when the locale is UTF-8, ASCII otherwise. */
struct tui_glyphs {
	const char *bar_full, *bar_empty;
	const char *const *bar_eighths; /* 8 partial cells, or NULL */
	const char *selected, *cursor, *ellipsis;
};

enum tui_focus { FOCUS_DEVICES, FOCUS_LOG };

/* A running attempt's ETA and rate, as last worked out (once a second). */
struct tui_estimate {
	unsigned slot;
	uint64_t run_start; /* the attempt they belong to */
	uint64_t sec;       /* elapsed second they were worked out in, + 1 */
	char eta[16], rate[16];
};

struct tui_dialog;

struct tui {
	struct loop *loop;
	struct app *app;
	const struct config *cfg;
	bool demo;
	bool utf8;
	bool color;
	const struct tui_glyphs *gl;
	attr_t role[ROLE__COUNT];
	int rows, cols;

	size_t cursor;       /* index into the app's board rows */
	size_t top;          /* first row shown in the device pane */
	unsigned *selected;  /* selected slots */
	size_t nselected, selected_alloc;
	enum tui_focus focus;
	size_t log_back;     /* log lines scrolled back from the newest */
	struct tui_dialog *dialog;
	char status[200];    /* a one-line note in the key bar (raw) */
	bool status_error;

	bool dirty;          /* draw within 1/fps s */
	bool progress_dirty; /* only percentages or clocks moved: draw a bit later */
	bool suspended;      /* a full-screen child owns the terminal */
	bool hup;            /* the terminal is gone: never touch it again */
	bool quit_asked;     /* leaving once the app is idle */
	bool stdin_watched;
	int exit_code;
	unsigned fps;
	struct tui_estimate *est;
	size_t nest, est_alloc;
	uint64_t last_frame;
	uint64_t frames;
	struct loop_timer frame_timer, tick_timer, note_timer;
	uint64_t log_seen;
	struct job *child;   /* the full-screen child while suspended */
	void (*child_done)(struct tui *t, int status, void *data);
	void *child_data;
};

/* Start curses on the terminal and attach to app's events. NULL + err if
 * there is no usable terminal. */
struct tui *tui_new(struct loop *loop, struct app *app, const struct config *cfg, bool demo,
		    struct strbuf *err);
/* Restore the terminal (unless it hung up) and free. */
void tui_free(struct tui *t);
/* Something changed: draw soon (coalesced). */
void tui_dirty(struct tui *t);
/* Leave when the app is idle (after app_shutdown). */
void tui_quit_when_idle(struct tui *t, int code);
/* A one-line note in the key bar; it goes away after a few seconds or at the
 * next key. */
void tui_note(struct tui *t, bool error, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Hand the terminal to a full-screen child (make menuconfig): curses is
 * suspended, the child runs in the terminal's foreground, the loop keeps
 * serving other jobs (without drawing); on its exit the screen is restored and
 * done() is called with its exit status (or -errno if it could not start). */
int tui_run_fullscreen(struct tui *t, struct job_spec *spec,
		       void (*done)(struct tui *t, int status, void *data), void *data);

/* tui-draw.c: draw a frame (all panes, then any dialog) */
void tui_draw(struct tui *t);
/* Board shown at index i of the device pane (NULL past the end). */
struct app_board *tui_board(struct tui *t, size_t i);
size_t tui_board_count(struct tui *t);
bool tui_is_selected(struct tui *t, unsigned slot);
/* The STATE column's text for b ("Flash 2/2 41%", "FAIL:no_sync") and its role. */
enum tui_role tui_state_text(const struct app_board *b, char *out, size_t n);
/* Put text at (y, x) clipped to width columns, padded with spaces when pad. */
void tui_put(struct tui *t, int y, int x, int width, const char *text, bool pad);
/* Sanitised copy for the screen (ASCII-only when the locale is not UTF-8). */
char *tui_safe(struct tui *t, const char *raw);
/* Sanitised s cut into rows of at most width columns (at a space where one
 * is near the end), appended to out; rows after the first are indented by
 * indent spaces. An empty s is one empty row. */
void tui_wrap(const char *s, int width, int indent, struct strvec *out);
/* A horizontal rule across row y with a title (reversed when focused). */
void tui_rule(struct tui *t, int y, const char *title, bool focused);
/* Whole seconds left of a timed step (the Test countdown), rounded up. */
unsigned tui_seconds_left(const struct flash_progress *p);
/* n bytes as a short human size ("1.1M", "340K", "512") into out. */
void tui_human(uint64_t n, char out[16]);

/* tui-table.c: the board table pane in rows [y, y + h) (title, headings,
 * rows); keeps the cursor row in view. */
void tui_draw_boards(struct tui *t, int y, int h);

/* tui-progress.c: the progress pane, its title at row y and h rows of bars
 * for the running boards below it. */
void tui_draw_progress(struct tui *t, int y, int h, size_t running);

/* tui-log.c: the log pane, its title at row y and h rows of entries below
 * it (the newest at the bottom, or t->log_back entries back). */
void tui_draw_log(struct tui *t, int y, int h);

/* tui-keys.c */
void tui_key(struct tui *t, int key);
void tui_toggle_select(struct tui *t, unsigned slot);
void tui_ask_quit(struct tui *t);

/* tui-dialog.c */
enum dialog_kind { DIALOG_HELP, DIALOG_CONFIRM, DIALOG_QUIT, DIALOG_MESSAGE, DIALOG_FILES,
		   DIALOG_DETAIL, DIALOG_LABEL };
struct tui_dialog {
	enum dialog_kind kind;
	char title[64];
	char text[512];
	void (*yes)(struct tui *t);  /* DIALOG_CONFIRM */
	void (*no)(struct tui *t);   /* DIALOG_CONFIRM: n, Esc, or closed unanswered (may be NULL) */
	void *files;                 /* DIALOG_FILES state (tui-files.c) */
	void *detail;                /* DIALOG_DETAIL state (tui-detail.c) */
	void *label;                 /* DIALOG_LABEL state (tui-label.c; freed with the dialog) */
};
void tui_dialog_open(struct tui *t, enum dialog_kind kind, const char *title, const char *text,
		     void (*yes)(struct tui *t));
void tui_dialog_close(struct tui *t);
/* Keys while a dialog is open. */
void tui_dialog_key(struct tui *t, int key);
void tui_dialog_draw(struct tui *t);

/* tui-files.c: the firmware browser */
void tui_files_open(struct tui *t);
void tui_files_key(struct tui *t, int key);
void tui_files_draw(struct tui *t, int y, int x, int h, int w);
void tui_files_free(void *files);

/* tui-label.c: the scan field (L): a label for the current board, or in
 * monitor mode for the next board plugged in (app_set_label()); its field
 * is drawn on row y from column x, w columns wide. */
void tui_label_open(struct tui *t);
void tui_label_key(struct tui *t, int key);
void tui_label_draw(struct tui *t, int y, int x, int w);

/* tui-detail.c: one board's details (i) */
void tui_detail_open(struct tui *t);
void tui_detail_key(struct tui *t, int key);
void tui_detail_draw(struct tui *t, int y, int x, int h, int w);
/* b changed: the open detail view reads the history again if it shows b. */
void tui_detail_changed(struct tui *t, const struct app_board *b);
void tui_detail_free(void *detail);

#endif
