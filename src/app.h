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
#include "klipper.h"
#include "strbuf.h"
#include "unit.h"

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
	/* per-unit data of this plug-in (app-unit.c; raw: sanitise to display) */
	char serial[UNIT_SERIAL_MAX + 1]; /* its serial, once taken ("" none) */
	char label[UNIT_LABEL_MAX + 1];   /* its label, scanned or --label ("" none) */
	bool new_serial;            /* its next attempt takes a new serial */
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

struct app_kboard;

/* Klipper batch events (see app_flash()). */
enum app_kevent {
	APP_KEV_PHASE,    /* k's phase changed (k NULL: the batch moved on) */
	APP_KEV_PROGRESS, /* k->prog changed */
	APP_KEV_NOTE,     /* a line worth showing */
	APP_KEV_FINISHED, /* k is done */
	APP_KEV_QUESTION, /* Moonraker is unreachable: answer with app_klipper_answer() */
	APP_KEV_DONE,     /* the batch is over (the service runs again if it was stopped) */
};

struct app_view {
	void (*event)(void *data, struct app_board *b, enum app_event ev);
	/* News of the Klipper batch (may be NULL): k is NULL for batch-wide
	 * news; phase labels it (for APP_KEV_FINISHED: the phase k ended in); text (raw: sanitise)
	 * is set for APP_KEV_NOTE and APP_KEV_QUESTION. Rows of connected boards also get the
	 * events above. */
	void (*klipper)(void *data, struct app_kboard *k, enum app_kevent ev, enum phase phase,
			const char *text);
};

struct app_opts {
	struct config *cfg;            /* borrowed; outlives the app */
	const struct devices_opts *devices;
	bool no_history;               /* --no-history */
	bool monitor;                  /* flash every freshly plugged ESP32 board
					* (those present at start: at app_begin()) */
	struct firmware *fw;           /* taken (left empty) before the first boards
					* are reported; NULL: none yet */
};

/* Create the engine on loop: open the history (unless no_history) and the
 * device table. On error returns NULL with one line in err. */
struct app *app_new(struct loop *loop, const struct app_opts *opts, struct strbuf *err);
/* Cancel and reap everything (blocking, last resort), close everything. */
void app_free(struct app *app);
void app_set_view(struct app *app, const struct app_view *view, void *data);
/* Start once the view is set: the view hears of the boards found at start
 * (APP_EV_ATTACHED), then monitor mode queues them. Until then the engine
 * starts nothing on its own, so a view sees every board's every event. */
void app_begin(struct app *app);
/* Monitor mode starts at most n boards in all (0: no limit; monitor --count). */
void app_set_monitor_limit(struct app *app, unsigned long n);

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

/* Find esptool and ask its version now (if not done yet), running the loop
 * until it answers, at most timeout_ms; slow(cmd, data) is called once after
 * a fifth of that. 0 when esptool is ready; else -ENOENT (missing, or its
 * output is no esptool version) or -ETIMEDOUT with why in err. Also logged
 * as an error, except the time-out. */
int app_esptool_check(struct app *app, uint64_t timeout_ms,
		      void (*slow)(const char *cmd, void *data), void *data, struct strbuf *err);
struct app_klipper_opts;

/* What app_flash() is asked to flash: device rows of any kind, or boards
 * registered by name with the plan named plan (Klipper's registry: they
 * need not be connected, a build needs no board at all). */
struct flash_order {
	struct app_board *const *rows; /* each goes to its kind's plan */
	size_t nrows;
	bool one_by_one;   /* refuse rows of kinds flashed in batches (`flash`, monitor mode) */
	const char *plan;  /* names: the plan that keeps them ("klipper"), else NULL */
	const char *const *names;
	size_t nnames;     /* 0 with plan set: every registered board */
	/* per-kind options; NULL: the dashboard's (Klipper: flash, Moonraker
	 * unreachable is a question) */
	const struct app_klipper_opts *klipper;
};

/* The one flash entry point, for every kind of board. Rows: each row goes
 * to its kind's plan (plan.h), each plan gets its rows at once (the Klipper
 * plan: one batch, one service stop); returns how many boards were queued,
 * why gets one line per refusal (busy, no board, no firmware, a kind flashed
 * in batches when one_by_one, shutting down...). Names: the plan starts
 * them as one batch (the registry read again first); returns how many, or
 * -EBUSY (a batch runs), -EPERM (shutting down), -ENOENT (unknown name or
 * plan), -EINVAL (registry errors, no boards) with one message in why.
 * Progress arrives through the view. */
int app_flash(struct app *app, const struct flash_order *order, struct strbuf *why);
/* Queue every present board of a kind flashed one by one (ESP32) that is
 * not busy; returns how many. */
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
/* The run is over: results the history kept (database locked, disk full)
 * get a last try, then go to the journal beside it, logged as an error and
 * counted in app_history_errors(). Call before deciding the exit status
 * (app_free() does it too, for those who do not). */
void app_history_finish(struct app *app);

/* The station's link to the line (app-link.c): one line the publisher
 * (mqtt-station.c) keeps up to date, e.g. "MQTT: down (connection refused),
 * 3 waiting"; "" when there is none. A change is an APP_EV_HEADER. */
void app_set_link_status(struct app *app, const char *line);
const char *app_link_status(const struct app *app);

/* Unit labels and serials (app-unit.c). Give b's unit a label (made safe
 * with unit_label_clean(); "" clears it): recorded with its running attempt,
 * else with its next one, and kept on its row for this plug-in. b NULL: the
 * next board plugged in gets it (monitor mode; a newer label replaces it). */
void app_set_label(struct app *app, struct app_board *b, const char *label);
/* The label waiting for the next board plugged in ("" none). */
const char *app_next_label(const struct app *app);
/* b's next attempt takes a new serial even if its MAC has one ([unit]). */
void app_want_new_serial(struct app *app, struct app_board *b);

/* Identity text for a board: "slot 3 ttyUSB2" (raw strings: sanitise). */
void app_board_name(const struct app_board *b, struct strbuf *out);

/* ------------------------------------------------------------ Klipper/Kalico
 * (app-klipper.c) The Klipper plan runs on a batch of registered boards
 * (boards.h), one batch at a time, every step driven by loop events:
 *
 *   [Discovery] each board is matched to a connected device by its by-id
 *               name (boards_match(): the serial decides, so a board found
 *               in Katapult or under a Kalico name is still found); a board
 *               that is not connected fails (no_port), the others go on.
 *   [Config]    its cached .config must exist (config_missing) and be for
 *               its MCU (mcu_mismatch); `make olddefconfig` brings it up to
 *               date, and the MCU is checked again.
 *   [Build]     every board builds in parallel into its own OUT: git
 *               describe -> build cache -> make clean -> make -jN ->
 *               artifact + klipper.dict check -> cache record. At most
 *               KLIPPER_BUILDS_AT_ONCE makes run at a time and the N cores
 *               are shared between them ([klipper] jobs overrides N).
 *   [Service]   (flash only) Moonraker is asked whether the printer is
 *               printing; the service guard starts and is ready; ONE
 *               `systemctl stop` for every configured service.
 *   [Flash]     every board at once (up to max_workers): Katapult when the
 *               method allows it and the build is a klipper.bin with a
 *               bootloader, falling back to `make flash` unless the board's
 *               method is katapult; then ONE `systemctl start` and the
 *               guard is told done.
 *   [Verify]    each board must come back with a Klipper (not katapult)
 *               by-id name carrying its serial within reappear_timeout:
 *               PASS, else did_not_return.
 *
 * Whatever ends the batch - a failure, app_stop(), app_shutdown() with or
 * without cancel - a stopped service is started again before the batch
 * ends (and the guard starts it should flashbay die). A failed start is
 * logged as an error and reported in the status (service_failed). Each
 * connected board's attempt is one history row (method katapult or
 * make_flash, board key, artifact SHA-256 and size, MCU as chip); a
 * Katapult failure followed by make flash is two rows.
 */
#define KLIPPER_BUILDS_AT_ONCE 2

/* One registered board in the batch (read-only for views). */
struct app_kboard {
	char *key, *name, *mcu;      /* from the registry (name may be NULL; raw) */
	enum phase phase;            /* PHASE_QUEUED, _DETECT (discovery), _CONFIG, _BUILD,
					_SERVICE, _FLASH, _VERIFY (Katapult's verify pass),
					_REAPPEAR, _DONE */
	bool done;
	enum outcome outcome;        /* when done */
	char message[512];           /* when done (raw) */
	struct app_board *row;       /* its device's row, or NULL (not connected / build only) */
	char *by_id;                 /* the by-id path it was found under, or NULL */
	char *returned_as;           /* the by-id path it came back under, or NULL */
	bool built, cached;          /* an artifact exists; it came from the build cache */
	char cache_why[160];         /* why the cache was not used ("" on a hit) */
	struct klipper_artifact art; /* when built */
	const char *method;          /* "katapult" / "make_flash" of the last flash, or NULL */
	bool fell_back;              /* Katapult failed, make flash was tried */
	struct flash_progress prog;  /* of the running flash */
	uint64_t duration_ms;        /* when done */
};

/* Options of a Klipper batch (flash_order.klipper). */
struct app_klipper_opts {
	bool flash;            /* false: build only (no discovery, no service) */
	bool rebuild;          /* ignore the build cache */
	bool no_clean;         /* incremental: no make clean unless the config changed */
	bool force;            /* Moonraker busy or unreachable does not stop the flash */
	bool ask_unreachable;  /* unreachable: ask (APP_KEV_QUESTION) instead of refusing */
};

/* The batch's service news for the views. */
struct app_klipper_status {
	bool active;            /* a batch is running */
	bool stopped;           /* the service was stopped by this batch */
	bool restarted;         /* ... and started again */
	bool service_failed;    /* a stop or start failed (message says which; shouted) */
	char service_message[512];
	bool cancelled;         /* the batch was cancelled */
};

/* The boards of the current (or last) batch, in the order asked. */
size_t app_klipper_count(const struct app *app);
struct app_kboard *app_klipper_at(const struct app *app, size_t i);
const struct app_klipper_status *app_klipper_status(const struct app *app);
/* Answer an APP_KEV_QUESTION: go on (yes) or refuse. */
void app_klipper_answer(struct app *app, bool yes);

/* The registered board key of a Klipper/Katapult row's device (from the
 * registry as last read), or NULL. */
const char *app_klipper_row_key(struct app *app, const struct app_board *b);
/* Keys of the registered boards whose device is connected now, in registry
 * order, appended to keys. 0, or -EINVAL with the registry's errors in why. */
int app_klipper_connected(struct app *app, struct strvec *keys, struct strbuf *why);

/* `make menuconfig` for a row's board, for a view that hands the terminal
 * over (tui_run_fullscreen()): fills spec (seeding a missing config for the
 * board's MCU) and returns a context, or NULL with why. After the job, call
 * app_klipper_menuconfig_end() with its exit status: it logs whether the
 * configuration was saved and the MCU check, and frees the context. */
struct app_menuconfig;
struct app_menuconfig *app_klipper_menuconfig_begin(struct app *app, const struct app_board *b,
						    struct job_spec *spec, struct strbuf *why);
void app_klipper_menuconfig_end(struct app_menuconfig *mc, int status);

#endif
