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
struct attempt;

/* At most this many plans in plan_table (the size of app's plan_state[]). */
#define PLAN_MAX 8

struct plan_ops {
	const char *name;
	/* Does this plan flash boards of this kind? */
	bool (*owns)(enum dev_kind kind);
	/* Monitor mode and app_flash_all() start its boards one by one. */
	bool auto_flash;
	/* Set up the plan's state in app (plan_set_state) when the app is made;
	 * may be NULL (a plan may set it up when first needed). */
	void (*init)(struct app *app);
	/* Get ready before the first board needs it (monitor mode); may be NULL. */
	void (*prepare)(struct app *app);
	/* A device event, for every device (ev: ATTACHED for attached and
	 * changed, DETACHED, EXPIRED before d is freed); may be NULL. */
	void (*device_event)(struct app *app, struct device *d, enum app_event ev);
	/* Queue flashes of rows (each present, of a kind it owns, not busy),
	 * with order's options for its kind (app_flash()). Returns how many
	 * were queued; why gets one line per refusal. */
	int (*flash)(struct app *app, struct app_board *const *rows, size_t n,
		     const struct flash_order *order, struct strbuf *why);
	/* Start order's boards registered by name with this plan (app_flash()
	 * with order->plan its name): how many, or -errno with why; may be NULL. */
	int (*flash_named)(struct app *app, const struct flash_order *order, struct strbuf *why);
	/* app_stop() of a run it owns. */
	void (*stop)(struct app *app, struct app_run *run);
	/* The board of a run it owns expired (gone for good); may be NULL. */
	void (*run_expired)(struct app *app, struct app_run *run);
	/* app_shutdown(): stop what runs when cancel, start nothing new. */
	void (*shutdown)(struct app *app, bool cancel);
	/* The fields of a run's history row only the plan knows (the method,
	 * ...), onto a (whose common fields the engine filled); may be NULL. */
	void (*row_facts)(const struct app_run *run, struct attempt *a);
	/* Free run->plan_run (app_run_free(), the run's end); may be NULL. */
	void (*run_free)(struct app_run *run);
	/* Free the plan's state (runs it owns included), before the runner;
	 * also called when init was not (an app that failed to open). */
	void (*release)(struct app *app);
};

extern const struct plan_ops plan_esp32;   /* app-esp32.c */
extern const struct plan_ops plan_klipper; /* app-klipper.c */

/* Every plan, NULL-terminated, in the order the engine calls them. */
extern const struct plan_ops *const plan_table[];

/* The plan that flashes boards of kind, or NULL (unknown kinds). */
const struct plan_ops *plan_for_kind(enum dev_kind kind);

/* plan's own state in app (NULL until it sets one), and setting it. The
 * plan owns it and frees it in its release hook. */
void *plan_state(const struct app *app, const struct plan_ops *plan);
void plan_set_state(struct app *app, const struct plan_ops *plan, void *state);

#endif
