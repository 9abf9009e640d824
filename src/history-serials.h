/* history-serials.h - handing out per-unit serials from the history
 * database (table serials, schema 5): each serial to exactly one MAC, ever,
 * also with two flashbays on one database and across crashes (each taken
 * inside one BEGIN IMMEDIATE transaction, committed before the unit command
 * runs: a serial whose flash then failed stays with its MAC).
 *
 * A board keeps the serial its MAC was given from the same source (the
 * [unit] serials value) unless fresh is asked; a counter source hands out
 * one more than its highest value so far (from 1); a CSV source the first
 * row, in file order, whose serial was never handed out from any source.
 */
#ifndef FLASHBAY_HISTORY_SERIALS_H
#define FLASHBAY_HISTORY_SERIALS_H

#include <stdbool.h>

#include "strbuf.h"

struct history;
struct unit_counter;
struct unit_csv;

struct serial_request {
	const char *source;                 /* the [unit] serials value */
	const char *mac;                    /* the board's MAC (any case) */
	const char *station;
	bool fresh;                         /* a new serial even if the MAC has one */
	const struct unit_counter *counter; /* the counter, or NULL */
	const struct unit_csv *csv;         /* the CSV's rows, or NULL */
};

/* The serial of r's board into *serial (caller frees); *kept says the MAC
 * already had it. 0, or -errno with one line in err: -ENOSPC when every
 * CSV serial was handed out, -EBUSY when the database stayed locked. */
int history_serial_take(struct history *h, const struct serial_request *r, char **serial,
			bool *kept, struct strbuf *err);

#endif
