/* plan.h - a plan: how the engine flashes one kind of board, as a table
 * entry (in the style of tmux's cmd_entry). The engine core (app.c)
 * dispatches through plan_for_kind() and the table and names no plan; a new
 * kind of board is one new file with its const struct plan_ops, and one row
 * in plan.c's table. Not for views: they use app.h. */
#ifndef FLASHBAY_PLAN_H
#define FLASHBAY_PLAN_H

#include <stdbool.h>

#include "app.h"
#include "kind.h"

struct app_run;

struct plan_ops {
	const char *name;
	/* Does this plan flash boards of this kind? */
	bool (*owns)(enum dev_kind kind);
	/* Monitor mode and app_flash_all() start its boards one by one. */
	bool auto_flash;
	/* Get ready before the first board needs it (monitor mode); may be NULL. */
	void (*prepare)(struct app *app);
	/* A device event, for every device (ev: ATTACHED for attached and
	 * changed, DETACHED, EXPIRED before d is freed); may be NULL. */
	void (*device_event)(struct app *app, struct device *d, enum app_event ev);
	/* Queue flashes of rows (each present, of a kind it owns, not busy).
	 * Returns how many were queued; why gets one line per refusal. */
	int (*flash)(struct app *app, struct app_board *const *rows, size_t n, struct strbuf *why);
	/* app_stop() of a run it owns. */
	void (*stop)(struct app *app, struct app_run *run);
	/* The board of a run it owns expired (gone for good); may be NULL. */
	void (*run_expired)(struct app *app, struct app_run *run);
	/* app_shutdown(): stop what runs when cancel, start nothing new. */
	void (*shutdown)(struct app *app, bool cancel);
	/* Free the plan's state (runs it owns included), before the runner. */
	void (*release)(struct app *app);
};

extern const struct plan_ops plan_esp32;   /* app-esp32.c */
extern const struct plan_ops plan_klipper; /* app-klipper.c */

/* Every plan, NULL-terminated, in the order the engine calls them. */
extern const struct plan_ops *const plan_table[];

/* The plan that flashes boards of kind, or NULL (unknown kinds). */
const struct plan_ops *plan_for_kind(enum dev_kind kind);

#endif
