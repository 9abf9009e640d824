/* history-query.h - reading the flash history: statistics, periods, rows.
 *
 * For `flashbay stats`, `history` and `export`. Counting rules (boards,
 * first-pass yield, units per hour) are those of history_counters() in
 * history.h. Functions return 0 or -errno with one line in err.
 */
#ifndef FLASHBAY_HISTORY_QUERY_H
#define FLASHBAY_HISTORY_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "history.h"
#include "strbuf.h"

/* Which attempts statistics cover. */
enum history_scope_kind {
	HISTORY_SCOPE_CURRENT, /* the current statistics period */
	HISTORY_SCOPE_PERIOD,  /* period number .period */
	HISTORY_SCOPE_ALL,     /* every period; a board counts once in each period */
	HISTORY_SCOPE_SINCE,   /* attempts started at or after .since_ms, any period */
};

struct history_scope {
	enum history_scope_kind kind;
	int64_t period;
	int64_t since_ms;
};

struct history_class_count {
	char *name; /* failure class, e.g. "no_sync"; "interrupted" */
	long count;
};

struct history_slot_count {
	int slot; /* 0: no slot */
	long attempts, failed;
};

struct history_fw_count {
	char *sha256;  /* "" when unknown */
	char *summary; /* image names and total size, e.g. "app.bin+boot.bin, 1.1 MiB"; "" if unknown */
	long attempts, ok, failed;
};

/* Everything `flashbay stats` shows. Arrays are owned; history_stats_release(). */
struct history_stats {
	int64_t period;           /* HISTORY_SCOPE_CURRENT/PERIOD: its number, else 0 */
	int64_t period_start_ms;  /* its start, else 0 */
	long attempts, ok, failed, running, interrupted;
	long cancelled;           /* cancelled by the operator (never failures) */
	long not_started;         /* ended without reaching a board (port_busy, ...) */
	long boards;              /* boards whose first attempt has ended */
	long boards_first_ok;     /* ... and passed */
	long boards_passed;       /* boards with a passing attempt */
	double first_pass_yield;  /* boards_first_ok / boards, 0 when no boards */
	double units_per_hour;    /* boards_passed / hours of [first_ms, last_ms] */
	int64_t first_ms, last_ms; /* first start, last end (or start); 0 when no attempts */
	int64_t duration_p50, duration_p95; /* nearest-rank percentiles of the attempts
					       with a duration (ended ones); -1: none */
	struct history_class_count *by_class; /* failures: by count, then name */
	size_t n_class;
	struct history_class_count *not_started_by_class; /* likewise */
	size_t n_not_started_class;
	struct history_slot_count *by_slot; /* by slot number */
	size_t n_slot;
	struct history_fw_count *by_fw; /* by attempts, then sha256 */
	size_t n_fw;
};

/* Statistics of scope into s (initialised here; release it even on error).
 * PERIOD/CURRENT/ALL read the tally tables (fast at any size); SINCE counts
 * the rows of the window. */
int history_stats(struct history *h, const struct history_scope *scope, struct history_stats *s,
		  struct strbuf *err);
void history_stats_release(struct history_stats *s);

/* One station's figures (`stats --by-station`; a fleet's database). Its
 * boards are counted at that station: a board's first attempt there is its
 * first that reached it and was not cancelled; units_per_hour = boards that
 * passed there / hours from its first start to its last end. ALL covers the
 * whole history at once (not period by period). */
struct history_station_count {
	char *station; /* "" when unknown */
	long attempts, ok, failed, cancelled, not_started;
	long boards, boards_first_ok, boards_passed;
	double first_pass_yield, units_per_hour;
};

/* The stations of scope, by name. *out is malloc'ed: free with
 * history_station_stats_free(). */
int history_station_stats(struct history *h, const struct history_scope *scope,
			  struct history_station_count **out, size_t *n, struct strbuf *err);
void history_station_stats_free(struct history_station_count *c, size_t n);

struct history_period {
	int64_t id;
	int64_t start_ms;
	int64_t end_ms; /* start of the next period; 0 for the current one */
};

/* Every period, oldest first. *out is malloc'ed (free it). */
int history_periods(struct history *h, struct history_period **out, size_t *n,
		    struct strbuf *err);

/* One attempt as stored. The strings of a and the timestamps are borrowed
 * for the duration of the callback. NULL numbers read as: slot 0, vid/pid 0,
 * exit_code -1, kbps 0, firmware_size/duration_ms/bytes_written/finished_ms -1. */
struct history_row {
	int64_t id, period;
	const char *started_at;  /* "2026-11-21T10:00:00.123Z" */
	const char *finished_at; /* NULL until it ends */
	bool reached;            /* it reached its board (see history_counters()) */
	struct attempt a;
};

/* Which rows history_rows() visits. */
struct history_filter {
	const char *const *ports; /* NULL-ended names of one port (history_port_names()):
				     port, device, by-path or by-id equal to one of them */
	const char *mac;   /* case-insensitive */
	const char *board; /* Klipper board key */
	int64_t since_ms;  /* started at or after; INT64_MIN: no limit */
	long limit;        /* at most this many; 0: all */
	bool newest_first; /* else oldest first */
	bool with_output;  /* also read the tool output (a.output) */
	int64_t id;        /* only the attempt with this id; 0: any */
	bool outbox;       /* only the attempts in the MQTT outbox, in its order
			      (history-outbox.h; newest_first is ignored) */
};

/* The names a port given as `history --port` may be stored under: the
 * name itself; for a relative name also /dev/NAME, and for a bare one its
 * /dev/serial/by-id/ and by-path/ links; and what each of them resolves to
 * now (realpath). Pushed onto names (NULL-ended: use names->v as ports). */
struct strvec;
void history_port_names(const char *given, struct strvec *names);

/* Call fn for each row of f in order; a nonzero return from fn stops the walk
 * and is returned. */
typedef int (*history_row_fn)(const struct history_row *row, void *data);
int history_rows(struct history *h, const struct history_filter *f, history_row_fn fn,
		 void *data, struct strbuf *err);

#endif
