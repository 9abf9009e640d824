/* app-klipper.h - what the files of the Klipper plan share (app-klipper.c:
 * the batch, builds, flashes and the reappear check; app-klipper-service.c:
 * Moonraker, the guard, systemctl stop/start; app-klipper-match.c: the
 * registry as the rows see it; app-klipper-menuconfig.c: menuconfig for the
 * dashboard). Not for views: they use app.h. */
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
	int64_t hist_id;           /* the open history row, 0: none */
	int64_t start_wall;        /* of the current attempt */
	uint64_t start_mono, batch_mono;
	struct strbuf out;         /* the last job's output tail (for messages and history) */
	struct loop_timer reappear;
	FILE *log;                 /* every job's output, in log_dir */
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

/* app-klipper.c */
struct app_klipper *klipper_state(struct app *app);
/* A line for the views (APP_KEV_NOTE) and the log, "KEY: text" (k may be NULL). */
void kb_note(struct kbatch *bt, struct kboard *k, enum phase ph, enum log_level lvl,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* End k with an outcome (history, row, views). job may be NULL. */
void kb_finish(struct kboard *k, enum outcome o, const char *message, const struct job *job);
/* Flash every board that is built (after the service stopped). */
void batch_flash_all(struct kbatch *bt);
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
void batch_emit(struct kbatch *bt, struct kboard *k, enum app_kevent ev, enum phase ph,
		const char *text);

/* app-klipper-service.c */
/* Ask Moonraker (if configured), then start the guard and stop the service. */
void svc_begin(struct kbatch *bt);
/* Start the service again (after the flashes). */
void svc_restart(struct kbatch *bt);
/* Stop waiting for Moonraker / the answer / the guard (no boards left). */
void svc_abandon(struct kbatch *bt);
/* Tell the guard done when the service runs again (or never stopped); free it. */
void svc_release(struct kbatch *bt);
void svc_answer(struct kbatch *bt, bool yes);

/* app-klipper-match.c */
/* The registry for the rows, read again when the file changed. */
const struct boards *klipper_registry(struct app *app);
/* The by-id serial of a device (from its by-id name, else its USB serial). */
bool klipper_device_serial(const struct device *d, char *out, size_t size);
/* A present device in Klipper mode (not the Katapult bootloader)? */
bool klipper_device_running(const struct device *d);
/* The CHIP/MCU text of a Klipper/Katapult row. */
void klipper_row_facts(struct app *app, struct device *d);

#endif
