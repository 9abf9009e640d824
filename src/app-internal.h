/* app-internal.h - what the engine core (app.c) and the plans (plan.h's
 * table) share. Not for views: they use app.h. */
#ifndef FLASHBAY_APP_INTERNAL_H
#define FLASHBAY_APP_INTERNAL_H

#include <stdio.h>

#include "app.h"
#include "attempt.h"
#include "loop.h"
#include "plan.h"
#include "runner.h"

struct config;
struct portlock;
struct plan_ops;

/* One attempt on one board (an automatic retry reuses it). */
struct app_run {
	struct app *app;
	struct app_board *b;
	char *port;          /* what the tool is given: devnode or the path named */
	char *lock_key;      /* the port's real path */
	char *by_path, *usb_serial, *by_id;
	uint16_t vid, pid;
	unsigned slot;
	struct portlock *lock;
	struct runner_task *task;
	bool detached;       /* its board went away at some point while it ran */
	bool started;        /* the job started (history row begun or attempted) */
	struct attempt_rec at; /* its record: history row, timings, log (attempt.h) */
	const struct plan_ops *plan; /* the plan of its board's kind (plan.h) */
	void *plan_run;      /* the plan's own state of this run; plan->run_free frees it */
};

struct app {
	struct loop *loop;
	struct config *cfg;
	struct devices *devs;
	struct history *hist;
	struct runner *runner;
	struct firmware fw;
	struct strbuf fw_json;
	struct app_board **boards; /* sorted by slot; pointers stable */
	size_t nboards, boards_alloc;
	const struct app_view *view;
	void *view_data;
	bool monitor;
	bool begun;              /* app_begin() was called: monitor mode may start boards */
	unsigned long monitor_limit;   /* monitor mode starts at most this many (0: no limit) */
	unsigned long monitor_started; /* boards monitor mode started */
	bool shutting_down;
	struct history_counters counters;
	unsigned history_errors;
	size_t busy;
	char *lock_dir;
	bool log_dir_warned;
	void *plan_state[PLAN_MAX]; /* each plan's own state, by its row in plan_table (plan.h) */
	struct loop_timer hist_retry; /* retries results the history kept (app-history.c) */
	bool hist_kept_said;
	char next_label[UNIT_LABEL_MAX + 1]; /* for the next board plugged in (app-unit.c) */
	struct {
		attempt_sub_fn *fn;
		void *data;
	} subs[ATTEMPT_SUBS_MAX];    /* attempt_subscribe() */
	size_t nsubs;
	char *link_status;           /* app_link_status() (app-link.c), NULL: none */
};

/* Tell the view. */
void app_emit(struct app *app, struct app_board *b, enum app_event ev);
/* A new run for b (not yet queued anywhere). */
struct app_run *app_run_new(struct app *app, struct app_board *b);
/* End a run with outcome and message: history, board row, lock, view.
 * job may be NULL (never ran). Frees the run. */
void app_run_finish(struct app_run *run, enum outcome o, const char *message,
		    const struct job *job);
/* The same with the tool's exit code (-1: none) and last lines of output
 * (NULL: none) given (a step after the tool, e.g. the test, adds lines). */
void app_run_finish_output(struct app_run *run, enum outcome o, const char *message,
			   int exit_code, const char *output);
/* job's last lines of output appended to out; its exit code, -1 if none
 * (or no job). */
int app_job_output(const struct job *job, struct strbuf *out);
/* The job of run started: begin its history row and open its log. */
void app_run_started(struct app_run *run);
/* Copy the facts the tool reported so far (chip, MAC) into b's row, as soon
 * as they are known, so views show them while the attempt runs. */
void app_board_keep_facts(struct app_board *b);
/* A line of tool output for the log file and the log pane. */
void app_run_output(struct app_run *run, enum job_stream s, const char *line, bool important);
/* Finish this attempt's history row and start a fresh one on the same run. */
void app_run_rearm(struct app_run *run, enum outcome o, const char *message, const struct job *job);

/* Re-read the header counters from the history. */
void app_refresh_counters(struct app *app);
/* Results the history kept (app-history.c): say so once and retry them on
 * a timer; at the end (idle while shutting down, or app_free) write the rest
 * to the journal, loudly. */
void app_history_watch(struct app *app);
void app_history_settle(struct app *app);
/* The chip and MAC b's running attempt learned so far, onto its history row
 * the first time each is known (a row cut short keeps them). */
/* One unit of app_busy() is over; APP_EV_IDLE when nothing is left. */
void app_busy_done(struct app *app);
/* Per-unit data (app-unit.c): a fresh plug-in in b's slot starts with no
 * serial or label (in monitor mode it takes the waiting label); a new run
 * takes its board's label. */
void app_unit_plugged(struct app *app, struct app_board *b);
void app_unit_run_new(struct app_run *run);
/* Free a run's own fields, the plan's state of it (plan->run_free) and the
 * run (not its board's state). */
void app_run_free(struct app_run *run);

#endif
