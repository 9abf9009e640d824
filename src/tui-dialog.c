/* tui-dialog.c - modal boxes: help, confirmations, the quit question. */
#include "autoconf.h"

#include "tui.h"

#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cmd.h"
#include "xalloc.h"

/* At most 72 columns each: the help fits at 80x24. */
static const char *const help_lines[] = {
	"Up/Down j/k   move       PgUp/PgDn  by 10       Home/End g/G  first/last",
	"Space         select or unselect the board     a  select all / none",
	"f, Enter      flash the selected boards (or the current one); Klipper",
	"              boards: build, stop the printer service once, flash, start",
	"m             make menuconfig for the current Klipper board",
	"F             flash every idle ESP32 board",
	"i             the board in full: attempts, hint, message, tool output",
	"s             stop the current board's attempt (again: kill it)",
	"S             stop every attempt (asks first)",
	"o             choose the firmware: *.bin (with its offset) or flash_args",
	"M             monitor mode on/off: flash each ESP32 board when plugged",
	"r             rescan the devices",
	"x             reset the statistics (asks first; nothing is deleted)",
	"L             scan a label (monitor: the next board's)   N  new serial",
	"l             focus the log: keys scroll it, nothing else (l, Esc: back)",
	"?, F1         this help",
	"q, Ctrl-C     quit: with attempts running, asks to wait, cancel or stay",
	"",
	"States: idle, queued, Connect, Flash n/m %, Verify, Reset, PASS,",
	"FAIL:<class>, unplugged. '!' after a port: its by-id name is shared.",
	"",
	"Press any key to close.",
};

void tui_dialog_open(struct tui *t, enum dialog_kind kind, const char *title, const char *text,
		     void (*yes)(struct tui *t))
{
	tui_dialog_close(t);
	t->dialog = xcalloc(1, sizeof *t->dialog);
	t->dialog->kind = kind;
	snprintf(t->dialog->title, sizeof t->dialog->title, "%s", title);
	snprintf(t->dialog->text, sizeof t->dialog->text, "%s", text ? text : "");
	t->dialog->yes = yes;
	tui_dirty(t);
}

void tui_dialog_close(struct tui *t)
{
	void (*no)(struct tui *t);

	if (!t->dialog)
		return;
	no = t->dialog->no;
	if (t->dialog->files)
		tui_files_free(t->dialog->files);
	tui_detail_free(t->dialog->detail);
	free(t->dialog->label);
	free(t->dialog);
	t->dialog = NULL;
	tui_dirty(t);
	/* a question must get an answer, even when something else closes it */
	if (no)
		no(t);
}

/* The quit question's answers. */
static void quit_key(struct tui *t, int key)
{
	switch (key) {
	case 'w':
		tui_dialog_close(t);
		app_shutdown(t->app, false);
		tui_quit_when_idle(t, 0);
		tui_note(t, false, "quitting when the running attempts are done");
		break;
	case 'c':
		tui_dialog_close(t);
		app_shutdown(t->app, true);
		tui_quit_when_idle(t, 0);
		break;
	case 's': case 27: case 'q':
		tui_dialog_close(t);
		break;
	default:
		break;
	}
}

void tui_dialog_key(struct tui *t, int key)
{
	struct tui_dialog *d = t->dialog;

	switch (d->kind) {
	case DIALOG_FILES:
		tui_files_key(t, key);
		break;
	case DIALOG_DETAIL:
		tui_detail_key(t, key);
		break;
	case DIALOG_LABEL:
		tui_label_key(t, key);
		break;
	case DIALOG_QUIT:
		quit_key(t, key);
		break;
	case DIALOG_CONFIRM:
		if (key == 'y' || key == 'Y') {
			void (*yes)(struct tui *) = d->yes;

			d->no = NULL;
			tui_dialog_close(t);
			if (yes)
				yes(t);
		} else if (key == 'n' || key == 'N' || key == 27 || key == 'q') {
			tui_dialog_close(t);
		}
		break;
	default:
		tui_dialog_close(t);
		break;
	}
}

/* A framed box with a title, cleared inside. */
static void box_at(struct tui *t, int y, int x, int h, int w, const char *title)
{
	attrset(A_NORMAL);
	for (int i = 0; i < h; i++) {
		move(y + i, x);
		for (int j = 0; j < w; j++)
			addch(' ');
	}
	attrset(t->role[ROLE_TITLE]);
	if (t->utf8) {
		mvadd_wch(y, x, WACS_ULCORNER);
		mvhline_set(y, x + 1, WACS_HLINE, w - 2);
		mvadd_wch(y, x + w - 1, WACS_URCORNER);
		mvvline_set(y + 1, x, WACS_VLINE, h - 2);
		mvvline_set(y + 1, x + w - 1, WACS_VLINE, h - 2);
		mvadd_wch(y + h - 1, x, WACS_LLCORNER);
		mvhline_set(y + h - 1, x + 1, WACS_HLINE, w - 2);
		mvadd_wch(y + h - 1, x + w - 1, WACS_LRCORNER);
	} else {
		mvaddch(y, x, ACS_ULCORNER);
		mvhline(y, x + 1, ACS_HLINE, w - 2);
		mvaddch(y, x + w - 1, ACS_URCORNER);
		mvvline(y + 1, x, ACS_VLINE, h - 2);
		mvvline(y + 1, x + w - 1, ACS_VLINE, h - 2);
		mvaddch(y + h - 1, x, ACS_LLCORNER);
		mvhline(y + h - 1, x + 1, ACS_HLINE, w - 2);
		mvaddch(y + h - 1, x + w - 1, ACS_LRCORNER);
	}
	mvprintw(y, x + 2, " %s ", title);
	attrset(A_NORMAL);
}

/* Draw text lines (split on '\n') inside a box. */
static void text_lines(struct tui *t, int y, int x, int h, int w, const char *text)
{
	const char *p = text;

	for (int row = 0; row < h && *p; row++) {
		size_t n = strcspn(p, "\n");
		char *line = xstrndup(p, n), *safe = tui_safe(t, line);

		tui_put(t, y + row, x, w, safe, false);
		free(line);
		free(safe);
		p += n;
		if (*p)
			p++;
	}
}

void tui_dialog_draw(struct tui *t)
{
	struct tui_dialog *d = t->dialog;
	int w = t->cols - 4 < 76 ? t->cols - 4 : 76, h, y, x;

	if (d->kind == DIALOG_HELP) {
		h = (int)(sizeof help_lines / sizeof help_lines[0]) + 2;
		if (h > t->rows)
			h = t->rows;
		y = (t->rows - h) / 2;
		x = (t->cols - w) / 2;
		box_at(t, y, x, h, w, d->title);
		for (int i = 0; i < h - 2; i++)
			tui_put(t, y + 1 + i, x + 2, w - 4, help_lines[i], false);
		return;
	}
	if (d->kind == DIALOG_DETAIL) {
		/* the whole screen: as many rows as there are at 80x24 */
		box_at(t, 0, 0, t->rows, t->cols, d->title);
		tui_detail_draw(t, 1, 2, t->rows - 2, t->cols - 4);
		return;
	}
	if (d->kind == DIALOG_FILES) {
		h = t->rows - 4;
		y = 2;
		x = (t->cols - w) / 2;
		box_at(t, y, x, h, w, d->title);
		tui_files_draw(t, y + 1, x + 2, h - 2, w - 4);
		return;
	}
	h = 4;
	for (const char *p = d->text; *p; p++)
		h += *p == '\n';
	w = w > 60 ? 60 : w;
	y = (t->rows - h) / 2;
	x = (t->cols - w) / 2;
	if (d->kind == DIALOG_LABEL)
		h++; /* the field, under the prompt */
	box_at(t, y, x, h, w, d->title);
	text_lines(t, y + 1, x + 2, h - 2, w - 4, d->text);
	if (d->kind == DIALOG_LABEL)
		tui_label_draw(t, y + h - 2, x + 2, w - 4);
}
