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
	const char *by_path;
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
	const char *outcome;      /* "ok" or "failed" ("running"/"interrupted" are set by history) */
	const char *failure_class;/* outcome_name() of the failure, NULL when ok */
	const char *message;
	int exit_code;            /* -1: none (never ran, or no exit code) */
	int64_t duration_ms;
	int64_t bytes_written;
	double kbps;              /* 0: unknown */
	const char *output;       /* the last 40 lines of tool output, '\n'-separated */
};

/* Open (creating if needed) the database at path. On error returns -errno
 * (or -EIO etc.) with one line in err naming the file and the problem. */
int history_open(const char *path, struct history **out, struct strbuf *err);
void history_close(struct history *h);
/* How many rows history_open() turned from running into interrupted. */
int history_recovered(const struct history *h);

/* Insert the attempt as "running"; *id gets its row id. */
int history_begin(struct history *h, const struct attempt *a, int64_t *id, struct strbuf *err);
/* Complete row id with the finish fields of a (and chip/mac learned on the way). */
int history_finish(struct history *h, int64_t id, const struct attempt *a, struct strbuf *err);

/* The dashboard header: counters of the current statistics period. */
struct history_counters {
	long attempts, passed, failed;
	double first_pass_yield; /* 0..1; boards that passed on their first attempt */
	double units_per_hour;   /* passed boards per hour over the period */
};
int history_counters(struct history *h, struct history_counters *c);
/* Start a new statistics period now (nothing is deleted). */
int history_reset_period(struct history *h, struct strbuf *err);

#endif
