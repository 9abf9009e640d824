/* tui-keys.c - keys into commands on the engine. */
#include "autoconf.h"

#include "tui.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "cmd.h"
#include "job.h"
#include "log.h"
#include "str.h"
#include "xalloc.h"

void tui_toggle_select(struct tui *t, unsigned slot)
{
	for (size_t i = 0; i < t->nselected; i++) {
		if (t->selected[i] == slot) {
			t->selected[i] = t->selected[--t->nselected];
			return;
		}
	}
	t->selected = xgrow(t->selected, &t->selected_alloc, t->nselected + 1, sizeof *t->selected);
	t->selected[t->nselected++] = slot;
}

/* a: select every board, or none if all are selected. */
static void select_all(struct tui *t)
{
	size_t n = tui_board_count(t);

	if (t->nselected == n) {
		t->nselected = 0;
		return;
	}
	t->nselected = 0;
	for (size_t i = 0; i < n; i++)
		tui_toggle_select(t, tui_board(t, i)->slot);
}

/* N: the current board's next attempt takes a new serial ([unit]). */
static void new_serial(struct tui *t, struct app_board *b)
{
	if (!b || !b->dev || !b->dev->present || !kind_is_esp32(b->dev->kind)) {
		tui_note(t, true, "no ESP32 board here to give a new serial");
		return;
	}
	app_want_new_serial(t->app, b);
	tui_note(t, false, "slot %u: its next attempt takes a new serial", b->slot);
}

/* Is b a Klipper/Katapult board (menuconfig is for those)? */
static bool klipper_row(const struct app_board *b)
{
	return b->dev && b->dev->present && kind_is_klipper(b->dev->kind);
}

/* f / Enter: the selected boards, or the current one, of any kind: each
 * kind's plan gets its rows at once (Klipper: one batch, one service stop). */
static void flash_selected(struct tui *t)
{
	struct app_board *cur = tui_board(t, t->cursor);
	struct app_board **rows = xcalloc(tui_board_count(t) + 1, sizeof *rows);
	struct strbuf why = STRBUF_INIT;
	size_t nr = 0;
	int n;

	for (size_t i = 0; i < tui_board_count(t); i++) {
		struct app_board *b = tui_board(t, i);

		if (t->nselected ? tui_is_selected(t, b->slot) : b == cur)
			rows[nr++] = b;
	}
	n = app_flash(t->app, &(const struct flash_order){ .rows = rows, .nrows = nr }, &why);
	for (char *line = why.buf, *end; why.len && line; line = end ? end + 1 : NULL) {
		end = strchr(line, '\n');
		if (end)
			*end = '\0';
		tui_note(t, true, "%s", line);
	}
	if (n && !(t->status[0] && t->status_error))
		tui_note(t, false, "flashing %d %s", n, plural(n, "board", "boards"));
	if (n)
		log_msg(LOG_INFO, NULL, "operator: flash %d %s", n, plural(n, "board", "boards"));
	t->nselected = 0;
	strbuf_release(&why);
	free(rows);
}

/* m: menuconfig is over; the engine logs saved or not and the MCU check. */
static void menuconfig_done(struct tui *t, int status, void *data)
{
	app_klipper_menuconfig_end(data, status);
	tui_note(t, false, "menuconfig finished: see the log");
}

/* m on row b: start menuconfig with the terminal handed over. */
static void menuconfig_row(struct tui *t, struct app_board *b)
{
	struct job_spec spec = JOB_SPEC_INIT;
	struct strbuf why = STRBUF_INIT;
	struct app_menuconfig *mc = NULL;
	int r;

	if (b && klipper_row(b))
		mc = app_klipper_menuconfig_begin(t->app, b, &spec, &why);
	if (!b || !klipper_row(b)) {
		tui_note(t, true, "m is for Klipper boards");
	} else if (!mc) {
		tui_note(t, true, "%s", why.buf);
	} else if ((r = tui_run_fullscreen(t, &spec, menuconfig_done, mc)) < 0) {
		app_klipper_menuconfig_end(mc, r);
		tui_note(t, true, "cannot run make menuconfig: %s", strerror(-r));
	}
	job_spec_release(&spec);
	strbuf_release(&why);
}

static void stop_all_yes(struct tui *t)
{
	size_t n = app_busy(t->app);

	log_msg(LOG_INFO, NULL, "operator: stopped all (%zu %s)", n, plural(n, "attempt", "attempts"));
	app_stop_all(t->app);
	tui_note(t, false, "stopping every attempt");
}

static void reset_stats_yes(struct tui *t)
{
	struct strbuf err = STRBUF_INIT;

	if (app_reset_stats(t->app, &err) < 0) {
		tui_note(t, true, "cannot reset the statistics: %s", err.buf);
	} else {
		tui_note(t, false, "statistics reset: a new period starts now");
		log_msg(LOG_INFO, NULL, "operator: statistics reset (a new period)");
	}
	strbuf_release(&err);
}

void tui_ask_quit(struct tui *t)
{
	size_t busy = app_busy(t->app);
	char text[256];

	if (!busy) {
		app_shutdown(t->app, false);
		tui_quit_when_idle(t, 0);
		return;
	}
	snprintf(text, sizeof text,
		 "%zu %s still queued or running.\n\n"
		 "  w  wait for %s, then quit\n"
		 "  c  cancel %s and quit\n"
		 "  s  stay (or Esc)", busy, plural((long long)busy, "attempt", "attempts"),
		 plural((long long)busy, "it", "them"), plural((long long)busy, "it", "them"));
	tui_dialog_open(t, DIALOG_QUIT, "Quit?", text, NULL);
}

/* F: every idle ESP32 board, or why none. */
static void flash_all(struct tui *t)
{
	int n;

	if (!app_firmware(t->app)->n) {
		tui_note(t, true, "no firmware chosen: press o to choose one");
		return;
	}
	n = app_flash_all(t->app);
	tui_note(t, !n, n ? "flashing %d ESP32 %s" : "no idle ESP32 board to flash", n,
		 plural(n, "board", "boards"));
	if (n)
		log_msg(LOG_INFO, NULL, "operator: flash all (%d ESP32 %s)", n, plural(n, "board", "boards"));
}

/* M: monitor mode on or off; on without firmware nothing can be flashed. */
static void toggle_monitor(struct tui *t)
{
	bool on = !app_monitor(t->app), fw = app_firmware(t->app)->n > 0;

	app_set_monitor(t->app, on);
	if (on && !fw)
		tui_note(t, true, "monitor mode on, but no firmware chosen: nothing can be flashed (press o)");
	else
		tui_note(t, false, on ? "monitor mode: boards are flashed when plugged in" : "manual mode");
	log_msg(on && !fw ? LOG_WARN : LOG_INFO, NULL, "operator: monitor %s%s", on ? "on" : "off",
		on && !fw ? " (no firmware chosen: nothing will be flashed)" : "");
}

/* Move the cursor by delta rows (clamped). */
static void move_cursor(struct tui *t, long delta)
{
	long n = (long)tui_board_count(t), c = (long)t->cursor + delta;

	if (!n)
		return;
	t->cursor = (size_t)(c < 0 ? 0 : c >= n ? n - 1 : c);
}

/* Keys while the log has the focus. */
static bool log_key(struct tui *t, int key)
{
	switch (key) {
	case KEY_UP: case 'k': t->log_back++; break;
	case KEY_DOWN: case 'j': if (t->log_back) t->log_back--; break;
	case KEY_PPAGE: t->log_back += 10; break;
	case KEY_NPAGE: t->log_back = t->log_back > 10 ? t->log_back - 10 : 0; break;
	case KEY_HOME: t->log_back = (size_t)-1 / 2; break;
	case KEY_END: t->log_back = 0; break;
	case 'l': case 27: t->focus = FOCUS_DEVICES; t->log_back = 0; break;
	default: return false;
	}
	return true;
}

/* Movement keys in the board table. */
static bool move_key(struct tui *t, int key)
{
	switch (key) {
	case KEY_UP: case 'k': move_cursor(t, -1); break;
	case KEY_DOWN: case 'j': move_cursor(t, 1); break;
	case KEY_PPAGE: move_cursor(t, -10); break;
	case KEY_NPAGE: move_cursor(t, 10); break;
	case KEY_HOME: case 'g': t->cursor = 0; break;
	case KEY_END: case 'G': move_cursor(t, (long)tui_board_count(t)); break;
	default: return false;
	}
	return true;
}

/* Command keys. */
static void command_key(struct tui *t, int key)
{
	struct app_board *b = tui_board(t, t->cursor);

	switch (key) {
	case ' ':
		if (b)
			tui_toggle_select(t, b->slot);
		move_cursor(t, 1);
		break;
	case 'a': select_all(t); break;
	case 'f': case '\r': case '\n': case KEY_ENTER: flash_selected(t); break;
	case 'F': flash_all(t); break;
	case 's':
		if (b && b->run) {
			log_msg(LOG_INFO, NULL, "operator: stop slot %u", b->slot);
			app_stop(t->app, b);
		} else
			tui_note(t, true, "nothing runs on this row");
		break;
	case 'S':
		if (app_busy(t->app))
			tui_dialog_open(t, DIALOG_CONFIRM, "Stop all?", "Stop every queued and running attempt? (y/n)",
					stop_all_yes);
		else
			tui_note(t, true, "nothing is running");
		break;
	case 'o': tui_files_open(t); break;
	case 'i': tui_detail_open(t); break;
	case 'L': tui_label_open(t); break;
	case 'N': new_serial(t, b); break;
	case 'm': menuconfig_row(t, b); break;
	case 'M': toggle_monitor(t); break;
	case 'r':
		log_msg(LOG_INFO, NULL, "operator: rescan");
		app_rescan(t->app);
		tui_note(t, false, "rescanned");
		break;
	case 'x':
		tui_dialog_open(t, DIALOG_CONFIRM, "Reset statistics?",
				"Start a new statistics period? Nothing is deleted. (y/n)", reset_stats_yes);
		break;
	case 'l': t->focus = FOCUS_LOG; break;
	case '?': case KEY_F(1): tui_dialog_open(t, DIALOG_HELP, "Keys", "", NULL); break;
	case 'q': tui_ask_quit(t); break;
	case KEY_RESIZE: break;
	default: break;
	}
}

/* With the log focused, keys act on the log only; help and quit still work. */
static void log_focus_key(struct tui *t, int key)
{
	if (log_key(t, key))
		return;
	switch (key) {
	case '?': case KEY_F(1): case 'q': command_key(t, key); break;
	case KEY_RESIZE: break;
	default: tui_note(t, true, "the log has the focus: l or Esc goes back to the boards"); break;
	}
}

void tui_key(struct tui *t, int key)
{
	/* any key clears the last note */
	if (t->status[0]) {
		t->status[0] = '\0';
		loop_timer_disarm(t->loop, &t->note_timer);
	}
	tui_dirty(t);
	if (t->dialog) {
		tui_dialog_key(t, key);
		return;
	}
	if (t->focus == FOCUS_LOG) {
		log_focus_key(t, key);
		return;
	}
	if (move_key(t, key))
		return;
	command_key(t, key);
}
