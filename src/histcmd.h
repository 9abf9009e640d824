/* histcmd.h - what `flashbay stats`, `history` and `export` share:
 * opening the history named by the configuration (or --db), options with a
 * value, error lines, and the columns of a row. */
#ifndef FLASHBAY_HISTCMD_H
#define FLASHBAY_HISTCMD_H

#include <stdbool.h>
#include <stdint.h>

#include "cmd.h"
#include "config.h"
#include "history-query.h"

struct histcmd {
	const char *name; /* the subcommand, for messages */
	struct config cfg;
	struct history *h; /* NULL when there is no database yet */
};

/* Load the configuration and open the history: for reading (no database is
 * created), or as a writer when writer. Returns 0 when open, -ENOENT when
 * there is no database at cfg.database yet (nothing printed), or EXIT_USAGE
 * after printing the problem (a history that cannot be opened: nothing was
 * done, as for every command). Call histcmd_close() in every case. */
int histcmd_open(struct histcmd *c, struct globals *g, bool writer);
void histcmd_close(struct histcmd *c);

/* Print "flashbay CMD: MSG" (sanitised) to stderr; returns EXIT_FAIL. */
int histcmd_fail(const struct histcmd *c, const char *msg);

/* Is argv[*i] option name ("--since" or "--since=X")? Returns 1 and sets
 * *val (consuming the next argument if needed), 0 if it is not, -1 after
 * printing a usage error when the value is missing. */
int histcmd_opt(const char *cmd, int argc, char **argv, int *i, const char *name,
		const char **val);
/* Parse a --since TIME; prints a usage error and returns -1 if bad. */
int histcmd_since(const char *cmd, const char *s, int64_t *ms);
/* "2026-11-21 10:00:00" (UTC). */
void histcmd_time(int64_t ms, char out[32]);

/* The exported columns of a row, in order. */
enum histcol_kind { HC_NULL, HC_TEXT, HC_INT, HC_REAL, HC_BOOL };

struct histcol {
	const char *name;
	enum histcol_kind kind;
	const char *s; /* HC_TEXT (borrowed from the row or buf) */
	int64_t i;
	double d;
	char buf[8];
};

#define HISTCOL_COUNT 33
void histcol_fill(const struct history_row *r, struct histcol col[HISTCOL_COUNT]);
/* The columns of r as the members of the JSON object jw is in (`history
 * --json`, the attempts a station publishes over MQTT). */
struct jw;
void histcol_json(struct jw *jw, const struct history_row *r);

#endif
