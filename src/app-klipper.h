/* app-klipper.h - what the files of the Klipper plan share. Not for views:
 * they use app.h. The files, one job each:
 *   app-klipper.c            the batch: its steps, a board's end, cancel
 *   app-klipper-match.c      which device is which registered board; discovery
 *   app-klipper-build.c      config check and builds, the build cache
 *   app-klipper-service.c    Moonraker, the guard, systemctl stop/start
 *   app-klipper-flash.c      flashes (Katapult, make flash) and the reappear check
 *   app-klipper-attempt.c    what the attempt module (attempt.c) records of a board
 *   app-klipper-menuconfig.c the dashboard's menuconfig (klipper-menuconfig.c) */
#ifndef FLASHBAY_APP_KLIPPER_H
#define FLASHBAY_APP_KLIPPER_H

#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "app-internal.h"
#include "boards.h"
#include "klipper.h"
#include "log.h"
#include "loop.h"
#include "moonraker.h"
#include "plan.h"

/* Where one board is. */
enum kstep {
	KS_WAIT,     /* created: discovery and config come first */
	KS_DESCRIBE, /* the build steps, one job each */
	KS_OLDDEF,
	KS_CLEAN,
	KS_BUILD,
	KS_BUILT,    /* an artifact: waiting for the others and the service */
	KS_FLASH,
	KS_REAPPEAR, /* flashed: waiting for it to come back */
	KS_DONE,
};

/* Where the batch is. */
enum bstep {
	B_START,     /* the kick timer has not fired yet */
	B_BUILD,
	B_MOONRAKER, /* the _moonraker-state job runs */
	B_ASK,       /* waiting for app_klipper_answer() */
	B_GUARD,     /* waiting for the guard's "ready" */
	B_STOP,      /* systemctl stop runs */
	B_FLASH,
	B_RESTART,   /* systemctl start runs */
	B_VERIFY,    /* boards still waiting to come back */
	B_DONE,
};

struct kbatch;

struct kboard {
	struct app_kboard pub;     /* first: what the views see */
	struct kbatch *batch;
	const struct board *reg;   /* in the batch's registry */
	struct klipper_paths kp;
	struct klipper_kconfig kc;
	char serial[128];          /* its by-id serial: how its device is found again */
	char tree_id[128];
	enum kstep step;
	struct runner_task *task;  /* the build or flash job */
	struct app_run *run;       /* its row's run (a connected board being flashed) */
	const struct flasher *flasher;
	bool katapult;             /* the next flash uses Katapult */
	bool may_fall_back;        /* ... and make flash may follow */
	bool cancel;
	bool left;                 /* went away or into Katapult since the flash began */
	bool back;                 /* came back as Klipper after leaving */
	bool boot_noted;           /* "in its bootloader" was said for this flash */
	int exit_code;             /* of the last flash job, -1: none */
	uint64_t batch_mono;
	struct strbuf out;         /* the last job's output tail (for messages and history) */
	struct loop_timer reappear;
	struct attempt_rec at;     /* its record: history row, timings, every job's output */
};

struct kbatch {
	struct app *app;
	struct app_klipper_opts opts;
	struct boards boards;      /* the registry, read at the start */
	struct kboard **v;
	size_t n;
	struct runner *builds;     /* KLIPPER_BUILDS_AT_ONCE */
	enum bstep step;
	bool leaving;              /* app_shutdown(): start nothing new */
	bool stop_ran;             /* systemctl stop was started: a start must follow */
	struct job *job;           /* the Moonraker, stop or start job */
	struct moonraker_result mr;
	struct service_guard *guard;
	bool guard_watched;
	struct loop_timer kick, guard_timer;
	struct app_klipper_status st;
};

/* The plan's state in the app. */
struct app_klipper {
	struct kbatch *batch;      /* the running or last batch */
	struct boards reg;         /* the registry as the rows see it */
	bool reg_loaded, reg_warned;
	struct stat reg_stat;
};

/* app-klipper.c: the batch */
/* The plan's state in app (plan_state()), made when first needed. */
struct app_klipper *klipper_state(struct app *app);
/* The running or last batch, or NULL. */
struct kbatch *klipper_batch(const struct app *app);
/* A line for the views (APP_KEV_NOTE) and the log, "KEY: text" (k may be NULL). */
void kb_note(struct kbatch *bt, struct kboard *k, enum phase ph, enum log_level lvl,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Show k in phase ph: its row (if it has one) and the views. */
void kb_phase(struct kboard *k, enum phase ph);
/* End k with an outcome (history, row, views). job may be NULL. */
void kb_finish(struct kboard *k, enum outcome o, const char *message, const struct job *job);
/* The batch is over: the guard is told done (or left to act), the views too. */
void batch_end(struct kbatch *bt);
/* Move the batch on after anything happened. */
void batch_advance(struct kbatch *bt);
/* Boards in this step. */
size_t batch_count(const struct kbatch *bt, enum kstep step);
/* Show every built board (not flashed yet) in phase ph. */
void batch_phase_ready(struct kbatch *bt, enum phase ph);
/* End every built board (not flashed) with o and message. */
void batch_fail_ready(struct kbatch *bt, enum outcome o, const char *message);
/* Tell the views about k (NULL: the batch). */
void batch_emit(struct kbatch *bt, struct kboard *k, enum app_kevent ev, enum phase ph,
		const char *text);

/* app-klipper-attempt.c: what attempt.c records of a board (k->at) */
/* The method k's next (or last) flash uses: "katapult" or "make_flash". */
const char *kb_method(const struct kboard *k);
/* Open k's history row (its flash job started, or a failure to record);
 * nothing without a history or a row, or when one is open. */
void kb_hist_begin(struct kboard *k);
/* Complete k's history row with o and message, opening it first if needed;
 * a board cancelled before it was touched records nothing. */
void kb_hist_end(struct kboard *k, enum outcome o, const char *message);
/* Keep the tail of a finished job's output in k->out (job may be NULL). */
void kb_keep_output(struct kboard *k, const struct job *job);
/* Open k's log file in log_dir (k->log; quietly none without log_dir). */
void kb_open_log(struct kboard *k);
/* Write a job's command line to k's log file. */
void kb_log_spec(struct kboard *k, const struct job_spec *spec);

/* app-klipper-build.c: config and builds */
/* [Config] paths, tree and cached config; false if k ended (cannot be built). */
bool kb_config(struct kboard *k);
/* Queue the job of k's current build step (k->step, KS_DESCRIBE first);
 * each step's end queues the next, until k is built or ends. */
void kb_build_submit(struct kboard *k);

/* app-klipper-flash.c: flashes and the reappear check */
/* Flash every board that is built (after the service stopped). */
void batch_flash_all(struct kbatch *bt);
/* The reappear timer of k (data) fired: k did not come back in time. */
void kb_reappear_timeout(struct loop_timer *t, void *data);

/* app-klipper-service.c: the service around the flashes */
/* Ask Moonraker (if configured), then start the guard and stop the service. */
void svc_begin(struct kbatch *bt);
/* Start the service again (after the flashes). */
void svc_restart(struct kbatch *bt);
/* Stop waiting for Moonraker / the answer / the guard (no boards left). */
void svc_abandon(struct kbatch *bt);
/* Tell the guard done when the service runs again (or never stopped); free it. */
void svc_release(struct kbatch *bt);
void svc_answer(struct kbatch *bt, bool yes);

/* app-klipper-flash.c: a device event (ev: ATTACHED for attached and
 * changed, DETACHED, EXPIRED before d is freed): row facts, and boards
 * waiting to come back (the plan's device_event, plan.h). */
void klipper_device_event(struct app *app, struct device *d, enum app_event ev);

/* app-klipper-match.c: devices and registered boards */
/* The registry for the rows, read again when the file changed. */
const struct boards *klipper_registry(struct app *app);
/* The by-id serial of a device (from its by-id name, else its USB serial). */
bool klipper_device_serial(const struct device *d, char *out, size_t size);
/* A present device in Klipper mode (not the Katapult bootloader)? */
bool klipper_device_running(const struct device *d);
/* The CHIP/MCU text of a Klipper/Katapult row. */
void klipper_row_facts(struct app *app, struct device *d);
/* [Discovery] match k to its one connected device and take its row; false
 * if k ended (not connected, ambiguous, its slot busy). */
bool kb_discover(struct kboard *k);

#endif
