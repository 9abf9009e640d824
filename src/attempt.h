/* attempt.h - the one place an attempt begins, progresses and ends, for
 * every kind of board: its history row, its log file in log_dir, its
 * timings, and the events subscribers (views, publishers) receive.
 * A plan fills the history fields it knows (struct attempt, history.h);
 * the attempt module adds the times and the outcome and writes the row. */
#ifndef FLASHBAY_ATTEMPT_H
#define FLASHBAY_ATTEMPT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "history.h"
#include "job.h"
#include "flasher.h"
#include "unit.h"

struct app;
struct strbuf;

/* What one attempt in flight owns (a plan embeds it; zeroed = none). */
struct attempt_rec {
	int64_t hist_id;     /* the open history row, 0: none */
	int64_t start_wall;  /* wall clock at the start, 0: not started */
	uint64_t start_mono; /* monotonic clock at the start */
	FILE *log;           /* the attempt's log file in log_dir, or NULL */
	int64_t noted_id;    /* the row noted_chip/noted_mac are about */
	bool noted_chip, noted_mac; /* the row was told the chip / the MAC */
	/* per-unit data (unit.h), written with the row when set ("": none) */
	char serial[UNIT_SERIAL_MAX + 1];
	char unit_sha256[65];
	char unit_label[UNIT_LABEL_MAX + 1];
};

enum attempt_event {
	ATTEMPT_BEGUN, /* its history row was opened (a: the fields known at the start) */
	ATTEMPT_ENDED, /* it ended (a: every field, outcome included) */
};

/* A subscriber: called after the history row was written (or failed to be).
 * id is the attempt's history row id (> 0), or < 0 when the history kept the
 * row for later (database locked, disk full: history_begin()). */
typedef void attempt_sub_fn(void *data, enum attempt_event ev, const struct attempt *a,
			    int64_t id);

/* Add a subscriber to app's attempts; at most ATTEMPT_SUBS_MAX.
 * Returns 0, or -ENOSPC when the list is full. */
#define ATTEMPT_SUBS_MAX 4
int attempt_subscribe(struct app *app, attempt_sub_fn *fn, void *data);

/* Start r's clocks now (a new attempt, or another try on the same record). */
void attempt_clock(struct attempt_rec *r);
/* Open r's log file: <log_dir>/<YYYY-MM-DD>/<HH-MM-SS.mmm>-<what>.log (the time
 * r started, else now). Nothing without log_dir; warns once if impossible. */
void attempt_open_log(struct app *app, struct attempt_rec *r, const char *what);
/* A line for r's log file, after prefix (nothing without a log file). */
void attempt_log(struct attempt_rec *r, const char *prefix, const char *line);
/* The attempt's last line in its log file: "# result: OUTCOME MESSAGE". */
void attempt_log_result(struct attempt_rec *r, enum outcome o, const char *message);
/* A line of tool output for r's log file ("! " before stderr lines). */
void attempt_output(struct attempt_rec *r, enum job_stream s, const char *line);
/* Close r's log file (if open). */
void attempt_close_log(struct attempt_rec *r);
/* Open r's history row from a (the plan's fields, and r's per-unit data;
 * started_ms is set here,
 * the clocks started first if need be). Nothing without a history or when
 * a row is open; a failure is counted (app_history_failed) and r has no row. */
void attempt_begin(struct app *app, struct attempt_rec *r, struct attempt *a);
/* Complete r's open row: a holds the plan's fields (start and end facts);
 * times, outcome and message are set here. r has no row and no start after. */
void attempt_end(struct app *app, struct attempt_rec *r, struct attempt *a, enum outcome o,
		 const char *message);
/* What the tool said of the board while r runs (chip, MAC; NULL or "":
 * not known): written to r's open row the first time each is known, so a
 * row left interrupted keeps them (kept and retried like the other writes). */
void attempt_facts(struct app *app, struct attempt_rec *r, const char *chip, const char *mac);
/* Count a failed history write and log it as an error. */
void app_history_failed(struct app *app, const char *what, struct strbuf *err);

#endif
