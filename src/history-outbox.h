/* history-outbox.h - the history's part in MQTT (schema 4).
 *
 * A station's outbox: the attempts not yet acknowledged by the broker, in
 * the order they were put there. They stay in the database until removed,
 * so a broker that is down, or a flashbay that restarts, loses nothing.
 * A fleet's database: attempts received from the stations, each stored once
 * by (station, its id at the station). Functions return 0 or -errno with one
 * line in err.
 */
#ifndef FLASHBAY_HISTORY_OUTBOX_H
#define FLASHBAY_HISTORY_OUTBOX_H

#include <stdbool.h>
#include <stdint.h>

#include "history-query.h"

/* A station publishes (on) or not: while on, every attempt that ends
 * enters the outbox in the same write as its outcome (a trigger), also a
 * result written late (kept while the database was busy, or from the
 * journal) and a row of a killed flashbay turned interrupted. Off leaves
 * what waits in the outbox (published when a station publishes again).
 * Writes only when the setting changes. */
int history_outbox_enable(struct history *h, bool on, struct strbuf *err);
/* Take attempt id out of the outbox (not there: 0). */
int history_outbox_remove(struct history *h, int64_t id, struct strbuf *err);
/* How many attempts wait in the outbox; -1 when it cannot be read. */
long history_outbox_count(struct history *h);
/* Call fn for the attempts in the outbox, in order (tool output included);
 * id > 0: only that attempt (if it is there). As history_rows(). */
int history_outbox_rows(struct history *h, int64_t id, history_row_fn fn, void *data,
			struct strbuf *err);

/* Store an attempt another station published: a is the attempt as it
 * ended there (a->station set, outcome "ok"/"failed"/"interrupted"),
 * origin_id its id at that station. *added: false when (station,
 * origin_id) is already stored (nothing is written). */
int history_import(struct history *h, const struct attempt *a, int64_t origin_id, bool *added,
		   struct strbuf *err);

#endif
