/* history.h - every flash attempt in SQLite: recorded when it starts
 * (outcome "running") and completed when it ends, whatever ends it.
 *
 * At open: the directory is created (0700), the schema migrated in a
 * transaction (PRAGMA user_version), WAL mode, busy_timeout and foreign keys
 * set, and rows left "running" by a crash become "interrupted". A file that
 * is not a database, a locked or unwritable database: an error naming the
 * file; a damaged database is never overwritten or repaired silently.
 * All SQL uses bound parameters.
 */
#ifndef FLASHBAY_HISTORY_H
#define FLASHBAY_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

struct history;

/* One attempt. Strings are borrowed by history_begin()/_finish() for the
 * duration of the call; NULL is stored as NULL. */
struct attempt {
	/* known when the job starts */
	int64_t started_ms;       /* wall clock, ms since the epoch (UTC) */
	const char *station;
	int slot;                 /* 0: none */
	const char *port;         /* device node or the path given */
	const char *device;       /* the port's canonical device (realpath), e.g. "/dev/pts/12" */
	const char *by_path;
	const char *by_id;        /* its /dev/serial/by-id/ link, if any */
	uint16_t vid, pid;        /* 0: unknown */
	const char *usb_serial;
	const char *unit;         /* the physical board: one id per plug-in, set by the engine
				   (e.g. "bench-1/slot3/2026-11-21T10:00:00.123Z"); first-pass
				   yield groups attempts by mac if known, else board, else unit */
	const char *board;        /* Klipper board key */
	const char *method;       /* "esptool v4", "esptool v5", "katapult", "make_flash" */
	const char *firmware;     /* JSON: [{"path","offset","size","sha256"}...] */
	const char *firmware_sha256; /* one image: its SHA-256; several: SHA-256 of "0xOFFSET SHA256\n" lines in offset order */
	int64_t firmware_size;    /* total bytes of the images */

	/* known when it ends (ignored by history_begin) */
	int64_t finished_ms;
	const char *chip;         /* "ESP32-D0WD-V3 (revision v3.0)", or the MCU */
	const char *mac;
	int heard;                /* 1: the tool reported the board's chip, MCU or MAC */
	const char *outcome;      /* "ok" or "failed" ("running"/"interrupted" are set by history) */
	const char *failure_class;/* outcome_name() of the failure, NULL when ok */
	const char *message;
	int exit_code;            /* -1: none (never ran, or no exit code) */
	int64_t duration_ms;
	int64_t bytes_written;
	double kbps;              /* 0: unknown */
	const char *output;       /* the last 40 lines of tool output, '\n'-separated */

	/* per-unit data (schema 5; unit.h): written at the start and at the
	 * end when known; NULL keeps the stored value */
	const char *serial;       /* the unit's serial ([unit] serials) */
	const char *unit_sha256;  /* SHA-256 of the unit image written */
	const char *unit_label;   /* the label scanned or given (--label) */
};

/* The schema version this program writes (PRAGMA user_version). */
#define HISTORY_SCHEMA_VERSION 5

/* Open (creating if needed) the database at path. On error returns -errno
 * (or -EIO etc.) with one line in err naming the file and the problem:
 * -EBUSY locked by another process beyond the busy timeout (5 s, or
 * $FLASHBAY_BUSY_TIMEOUT_MS - for tests), -ENOSPC disk full, -EINVAL not an
 * SQLite database or not a flashbay history, -EUCLEAN damaged, -EPROTO a
 * newer schema than HISTORY_SCHEMA_VERSION, -EROFS read-only, or the errno of
 * the failed mkdir/open. Nothing is ever deleted, overwritten or repaired.
 * Rows left running by a process that is gone (crash, kill, power loss)
 * become "interrupted"; rows of a live flashbay are left alone. */
int history_open(const char *path, struct history **out, struct strbuf *err);
/* Like history_open() for the reading commands: the file must exist (-ENOENT,
 * err says "no history yet at FILE"), no folder is created and no row is
 * recovered (a live station may be flashing; rows of a dead one read as
 * interrupted). An older schema is upgraded and the journal applied when the
 * file can be written; on read-only storage (or in a folder this user cannot
 * write) it is opened read-only and read as it is. */
int history_open_reader(const char *path, struct history **out, struct strbuf *err);
/* Close; NULL is fine. */
void history_close(struct history *h);
/* How many rows history_open() turned from running into interrupted. */
int history_recovered(const struct history *h);
/* The path given to history_open(). */
const char *history_path(const struct history *h);

/* Writing results. A result the database cannot take now (locked by another
 * process beyond the busy timeout, disk full, I/O error) is not lost: it is
 * kept (return 1, the reason in err), retried before every later write and
 * by history_retry(), and at the end written by history_flush() to the
 * journal DB.pending beside the database, which the next open that can
 * write replays (idempotently) and removes. Returns 0 written, 1 kept, or
 * -errno (a bad outcome, no such attempt, too many kept) with err. */

/* Insert the attempt as "running"; *id gets its row id (or, kept, a local
 * id < 0 that history_finish() accepts). */
int history_begin(struct history *h, const struct attempt *a, int64_t *id, struct strbuf *err);
/* Complete row id with the finish fields of a (and chip/mac learned on the way).
 * outcome must be "ok" or "failed" (a failure without a class is stored as
 * "other"); finished_ms 0 means now; a NULL chip or mac keeps the stored one.
 * -ENOENT if there is no row id. */
int history_finish(struct history *h, int64_t id, const struct attempt *a, struct strbuf *err);
/* The chip and MAC (either may be NULL) running attempt id learned, written
 * at once so that a row cut short (kill, crash) keeps them; a MAC joins the
 * row to its board as history_finish() would. Nothing to note: 0. */
int history_note(struct history *h, int64_t id, const char *chip, const char *mac,
		 struct strbuf *err);
/* Insert a finished attempt in one step (begin + finish); *id may be NULL. */
int history_record(struct history *h, const struct attempt *a, int64_t *id, struct strbuf *err);
/* How many results are kept, waiting for the database (NULL: 0). */
size_t history_pending(const struct history *h);
/* Why the last write of a kept result failed ("" if none). */
const char *history_pending_reason(const struct history *h);
/* Try to write the kept results now without waiting for a lock (for a
 * timer); returns how many still wait. NULL is fine. */
int history_retry(struct history *h);
/* At the end: write the kept results (waiting the busy timeout), and what
 * still cannot be written to the journal. Returns 0 (nothing kept), the
 * number journaled (> 0; err says why the database could not take them), or
 * -errno when the journal cannot be written either (err says why; the
 * results stay kept). history_close() does this too, silently. */
int history_flush(struct history *h, struct strbuf *err);
/* Journal results applied by the open / left waiting (open could not write). */
int history_replayed(const struct history *h);
int history_journal_waiting(const struct history *h);
/* Group the following writes into one transaction (nestable; bulk loads).
 * history_batch_end() commits when commit is true, else rolls back. */
int history_batch_begin(struct history *h, struct strbuf *err);
int history_batch_end(struct history *h, bool commit, struct strbuf *err);

/* The dashboard header: counters of the current statistics period.
 *
 * An attempt reached its board when it passed, when the tool reported the
 * board's chip, MCU or MAC (heard), or when it failed for a reason of the
 * board (no_sync, timeout, verify_failed, ...). It did not when it ended
 * before the tool could talk to a board, for a reason of the station
 * (history_station_class(): port_busy, tool_missing, ...), or when it was
 * cancelled before the board answered. Cancelled attempts are counted
 * apart, never as failures; attempts that never reached a board are "not
 * started" and count for no board. A board is the set of attempts sharing a MAC - an attempt's own, or one
 * learned by another attempt of the same unit (plug-in) - else the Klipper
 * board key, else the unit; an attempt with none of them is a board of its
 * own. failed counts "failed" and "interrupted" attempts that reached their
 * board and were not cancelled (attempts = passed + failed + cancelled +
 * not_started + running). A board's first attempt is its first one that
 * reached it and was not cancelled. first_pass_yield = boards whose first
 * attempt in the period passed / boards (those whose first attempt in the
 * period has ended); with no boards there is no yield (boards == 0).
 * units_per_hour = boards that passed in the period / hours from the first
 * attempt's start to the last attempt's end (0 if that span is 0). Reads
 * small tally tables kept by triggers: the cost does not grow with rows. */
struct history_counters {
	long attempts, passed, failed, cancelled, not_started;
	long boards;             /* boards whose first attempt has ended */
	double first_pass_yield; /* 0..1 (0 when boards == 0): passed on their first attempt */
	double units_per_hour;   /* passed boards per hour over the period */
	size_t pending;          /* results kept, not written yet (history_pending()) */
};
int history_counters(struct history *h, struct history_counters *c);
/* Start a new statistics period now (nothing is deleted); attempts begun
 * after it belong to the new period. */
int history_reset_period(struct history *h, struct strbuf *err);
/* Is failure class cls one of the station's (the tool never talked to a
 * board: port_busy, permission, no_port, tool_missing, config_missing,
 * build_failed, service_failed, printer_busy, mcu_mismatch)? */
bool history_station_class(const char *cls);

#endif
