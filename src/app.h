/* app.h - the engine: the state of the station and every decision.
 *
 * The app owns the board rows (one per slot), the device table, the runner,
 * the firmware and the history. It decides what runs (e.g. in monitor mode:
 * "a new ESP32 appeared in slot 3 -> flash it"), records every attempt, and
 * tells its view what changed. It never prints and never calls curses: the
 * dashboard (tui*.c) and the line-oriented CLI (cmd-flash.c) are views.
 */
#ifndef FLASHBAY_APP_H
#define FLASHBAY_APP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices.h"
#include "firmware.h"
#include "flasher.h"
#include "history.h"
#include "strbuf.h"

struct loop;
struct config;
struct app;
struct app_run;

enum board_state {
	BOARD_EMPTY,   /* the slot's board is gone */
	BOARD_IDLE,    /* present, nothing done on this plug-in yet */
	BOARD_QUEUED,
	BOARD_RUNNING, /* see prog.phase */
	BOARD_PASS,
	BOARD_FAIL,
};

struct app_board {
	unsigned slot;
	struct device *dev;         /* NULL once the board's reappear window is over */
	enum board_state state;
	enum outcome outcome;       /* of the last finished attempt */
	char message[256];          /* its message (raw: sanitise to display) */
	int64_t result_wall_ms;     /* when it finished (0: never) */
	uint64_t duration_ms;
	struct flash_progress prog; /* live while running, else the last attempt's */
	uint64_t run_start_ms;      /* CLOCK_MONOTONIC start of the running attempt */
	char chip[96];              /* last known chip (with revision) or MCU */
	char mac[24];               /* last known MAC */
	char unit[128];             /* this plug-in's identity for yield statistics */
	int exit_code;              /* the last attempt's tool exit code, -1: none */
	unsigned attempts;          /* attempts on this plug-in */
	bool done_this_plug;        /* monitor mode flashes once per plug-in */
	struct app_run *run;        /* the attempt queued or in progress */
};

enum app_event {
	APP_EV_ATTACHED,  /* a board was plugged into b's slot */
	APP_EV_RETURNED,  /* it came back within the reappear window (re-enumeration) */
	APP_EV_CHANGED,   /* what the device table knows about it changed */
	APP_EV_DETACHED,  /* it went away (within the reappear window) */
	APP_EV_EXPIRED,   /* gone for good */
	APP_EV_QUEUED,
	APP_EV_STARTED,
	APP_EV_PHASE,     /* prog.phase or prog.image changed */
	APP_EV_PROGRESS,  /* percent or facts changed */
	APP_EV_FINISHED,  /* outcome, message, duration are set */
	APP_EV_HEADER,    /* counters, mode or firmware changed (b is NULL) */
	APP_EV_IDLE,      /* nothing runs or waits any more (b is NULL) */
};

struct app_view {
	void (*event)(void *data, struct app_board *b, enum app_event ev);
};

struct app_opts {
	struct config *cfg;            /* borrowed; outlives the app */
	const struct devices_opts *devices;
	bool no_history;               /* --no-history */
	bool monitor;                  /* flash every freshly plugged ESP32 board */
	struct firmware *fw;           /* taken (left empty) before the first boards
					* are reported, so monitor mode can flash the
					* boards present at start; NULL: none yet */
};

/* Create the engine on loop: open the history (unless no_history) and the
 * device table. On error returns NULL with one line in err. */
struct app *app_new(struct loop *loop, const struct app_opts *opts, struct strbuf *err);
/* Cancel and reap everything (blocking, last resort), close everything. */
void app_free(struct app *app);
void app_set_view(struct app *app, const struct app_view *view, void *data);

/* Take ownership of fw (finalized); fw is left empty. */
void app_set_firmware(struct app *app, struct firmware *fw);
const struct firmware *app_firmware(const struct app *app);
void app_set_monitor(struct app *app, bool on);
bool app_monitor(const struct app *app);

size_t app_board_count(const struct app *app);
struct app_board *app_board_at(const struct app *app, size_t i);
struct app_board *app_board_for_device(const struct app *app, const struct device *d);
struct devices *app_devices(const struct app *app);
struct history *app_history(const struct app *app);
const struct config *app_config(const struct app *app);

/* The board row for a port named by the user (--port): a discovered device
 * if the path names one (links resolved), else a manual port. NULL + err. */
struct app_board *app_add_port(struct app *app, const char *path, struct strbuf *err);
/* The row of a slot number, or NULL. */
struct app_board *app_board_for_slot(const struct app *app, unsigned slot);

/* Queue a flash of b's board. -EBUSY if it is already queued or running,
 * -ENODEV if no board is present, -ENOENT without firmware, -EPERM once
 * the app is shutting down; why gets the reason. */
int app_flash(struct app *app, struct app_board *b, struct strbuf *why);
/* Queue every present ESP32-kind board that is not busy; returns how many. */
int app_flash_all(struct app *app);
/* Cancel b's attempt (queued or running); a second call kills at once. */
void app_stop(struct app *app, struct app_board *b);
void app_stop_all(struct app *app);
/* Enumerate the devices again. */
int app_rescan(struct app *app);
/* Start a new statistics period. */
int app_reset_stats(struct app *app, struct strbuf *err);

/* Stop taking new work. cancel: stop running attempts too (SIGTERM path);
 * otherwise let them finish (SIGHUP path). APP_EV_IDLE follows when all is done. */
void app_shutdown(struct app *app, bool cancel);
bool app_shutting_down(const struct app *app);
/* Attempts queued or running. */
size_t app_busy(const struct app *app);

/* The dashboard header counters (current stats period). */
const struct history_counters *app_counters(const struct app *app);
/* History writes that failed since start (each was logged as an error). */
unsigned app_history_errors(const struct app *app);

/* Identity text for a board: "slot 3 ttyUSB2" (raw strings: sanitise). */
void app_board_name(const struct app_board *b, struct strbuf *out);

#endif
