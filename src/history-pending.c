/* history-pending.c - results are never lost: what the database cannot take
 * now (locked by another process, disk full, I/O error) is kept in memory,
 * retried (history_retry(), and before every later write), and at the end
 * written to the journal beside the database (history_flush()), which the
 * next open replays. A kept begin hands out a local id (< 0) that its finish
 * uses; once the begin is written, the local id maps to the row.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "history-internal.h"
#include "xalloc.h"

/* More than this many kept results: the database has been gone for long;
 * further ones are refused (an error) rather than filling memory. */
#define PEND_MAX 10000

/* Is a write that failed with r worth keeping and retrying? A bad outcome or
 * a missing row will not get better. */
static bool keepable(int r)
{
	return r < 0 && r != -EINVAL && r != -ENOENT;
}

/* How many results wait (not counting written begins kept as id maps). */
size_t history_pending(const struct history *h)
{
	size_t n = 0;

	for (size_t i = 0; h && i < h->npend; i++)
		n += h->pend[i].kind != PEND_WRITTEN;
	return n;
}

/* Drop entry i. */
static void pend_remove(struct history *h, size_t i)
{
	struct history_pend *p = &h->pend[i];

	history_attempt_free(&p->a);
	free(p->owner);
	memmove(p, p + 1, (h->npend - i - 1) * sizeof(*p));
	h->npend--;
}

/* Keep a result; its times are fixed now ("now" must not move on retry). */
static struct history_pend *pend_add(struct history *h, enum history_pend_kind kind,
				     const struct attempt *a, int64_t id)
{
	struct history_pend *p;

	h->pend = xgrow(h->pend, &h->pend_alloc, h->npend + 1, sizeof(*h->pend));
	p = &h->pend[h->npend++];
	memset(p, 0, sizeof(*p));
	p->kind = kind;
	p->id = id;
	p->owner = xstrdup_or_null(h->owner);
	history_attempt_copy(&p->a, a);
	if (!p->a.started_ms)
		p->a.started_ms = wall_ms();
	if (kind != PEND_BEGIN && !p->a.finished_ms)
		p->a.finished_ms = wall_ms();
	if (kind == PEND_BEGIN)
		p->local = --h->last_local;
	return p;
}

/* Try to write entry i; 0 when written (the entry is gone or now a map). */
static int pend_try(struct history *h, size_t i, struct strbuf *err)
{
	struct history_pend *p = &h->pend[i];
	int r = history_pend_apply(h, p, err);

	if (r < 0)
		return r;
	if (p->kind == PEND_BEGIN) { /* the caller's local id now means row p->id */
		p->kind = PEND_WRITTEN;
		history_attempt_free(&p->a);
	} else {
		pend_remove(h, i);
	}
	return 0;
}

/* Write what waits, in order, stopping at the first failure (the reason in
 * h->pend_why); quick: do not wait for a lock. Returns how many still wait. */
static size_t pend_retry(struct history *h, bool quick)
{
	struct strbuf err = STRBUF_INIT;
	size_t i = 0;
	int r = 0;

	if (quick)
		sqlite3_busy_timeout(h->db, 0);
	while (i < h->npend && r == 0) {
		if (h->pend[i].kind == PEND_WRITTEN) {
			i++;
			continue;
		}
		strbuf_reset(&err);
		r = pend_try(h, i, &err);
		if (r < 0 && !keepable(r))
			pend_remove(h, i), r = 0; /* cannot ever be written; said at the time */
	}
	if (r < 0) {
		strbuf_reset(&h->pend_why);
		strbuf_addstr(&h->pend_why, err.buf);
	}
	if (quick)
		sqlite3_busy_timeout(h->db, h->busy_ms);
	strbuf_release(&err);
	return history_pending(h);
}

int history_retry(struct history *h)
{
	return h && history_pending(h) ? (int)pend_retry(h, true) : 0;
}

/* Keep a result after err (r < 0) or because earlier ones wait; 1, or r if
 * it cannot be kept. */
static int keep(struct history *h, int r, enum history_pend_kind kind, const struct attempt *a,
		int64_t row, int64_t *id, struct strbuf *err)
{
	struct history_pend *p;

	if (r < 0 && !keepable(r))
		return r;
	if (history_pending(h) >= PEND_MAX) {
		strbuf_addf(err, "%s%d results are waiting for history database '%s' already",
			    err->len ? "; " : "", PEND_MAX, h->path);
		return r < 0 ? r : -ENOBUFS;
	}
	if (r < 0) {
		strbuf_reset(&h->pend_why);
		strbuf_addstr(&h->pend_why, err->buf);
	} else {
		strbuf_addf(err, "earlier results are still waiting: %s", h->pend_why.buf);
	}
	p = pend_add(h, kind, a, row);
	if (id)
		*id = p->local;
	return 1;
}

/* Does anything wait that a new write must not overtake? A quick retry first. */
static bool must_queue(struct history *h)
{
	return history_pending(h) && pend_retry(h, true) > 0;
}

int history_begin(struct history *h, const struct attempt *a, int64_t *id, struct strbuf *err)
{
	int r = 0;

	if (h->batch) /* a bulk load: its caller commits or rolls back the whole */
		return history_write_begin(h, a, id, err);
	if (!must_queue(h) && (r = history_write_begin(h, a, id, err)) == 0)
		return 0;
	return keep(h, r, PEND_BEGIN, a, 0, id, err);
}

int history_record(struct history *h, const struct attempt *a, int64_t *id, struct strbuf *err)
{
	int r = history_check_outcome(h, a->outcome, err);

	if (r || h->batch)
		return r ? r : history_write_record(h, a, id, err);
	if (!must_queue(h) && (r = history_write_record(h, a, id, err)) == 0)
		return 0;
	return keep(h, r, PEND_RECORD, a, 0, id, err);
}

/* The entry of local id, or NULL. */
static struct history_pend *find_local(struct history *h, int64_t local, size_t *at)
{
	for (size_t i = 0; i < h->npend; i++) {
		if (h->pend[i].local == local && h->pend[i].kind != PEND_FINISH) {
			*at = i;
			return &h->pend[i];
		}
	}
	return NULL;
}

/* The finish of a begin that was kept: still waiting, it becomes a whole
 * record; written since, its row is finished as usual (*row). 1: kept. */
static int finish_local(struct history *h, int64_t local, const struct attempt *a, int64_t *row,
			struct strbuf *err)
{
	size_t at = 0;
	struct history_pend *p = find_local(h, local, &at);
	int64_t started;

	if (!p) {
		strbuf_addf(err, "cannot write to history database '%s': no attempt %lld in it",
			    h->path, (long long)local);
		return -ENOENT;
	}
	if (p->kind == PEND_WRITTEN) {
		*row = p->id;
		pend_remove(h, at);
		return 0;
	}
	started = p->a.started_ms;
	history_attempt_free(&p->a);
	history_attempt_copy(&p->a, a);
	p->a.started_ms = started;
	if (!p->a.finished_ms)
		p->a.finished_ms = wall_ms();
	p->kind = PEND_RECORD;
	pend_retry(h, true);
	return 1;
}

/* Replace the string *dst by a copy of src, unless src is NULL or empty. */
static void set_str(const char **dst, const char *src)
{
	if (!src || !*src)
		return;
	free((char *)*dst);
	*dst = xstrdup(src);
}

/* The note of a begin that was kept: still waiting, the begin carries it
 * (1: kept); written since, *row is its row (0). */
static int note_local(struct history *h, int64_t local, const char *chip, const char *mac,
		      int64_t *row, struct strbuf *err)
{
	size_t at = 0;
	struct history_pend *p = find_local(h, local, &at);

	if (!p) {
		strbuf_addf(err, "cannot write to history database '%s': no attempt %lld in it",
			    h->path, (long long)local);
		return -ENOENT;
	}
	if (p->kind == PEND_WRITTEN) {
		*row = p->id;
		return 0;
	}
	set_str(&p->a.chip, chip);
	set_str(&p->a.mac, mac);
	return 1;
}

int history_note(struct history *h, int64_t id, const char *chip, const char *mac,
		 struct strbuf *err)
{
	struct attempt a = { .chip = chip, .mac = mac };
	int r = 0;

	if ((!chip || !*chip) && (!mac || !*mac))
		return 0;
	if (id < 0)
		r = note_local(h, id, chip, mac, &id, err);
	if (r || h->batch)
		return r ? r : history_write_note(h, id, chip, mac, err);
	if (!must_queue(h) && (r = history_write_note(h, id, chip, mac, err)) == 0)
		return 0;
	return keep(h, r, PEND_NOTE, &a, id, NULL, err);
}

int history_finish(struct history *h, int64_t id, const struct attempt *a, struct strbuf *err)
{
	int r = history_check_outcome(h, a->outcome, err);

	if (!r && id < 0)
		r = finish_local(h, id, a, &id, err);
	if (r || h->batch)
		return r ? r : history_write_finish(h, id, a, err);
	if (!must_queue(h) && (r = history_write_finish(h, id, a, err)) == 0)
		return 0;
	return keep(h, r, PEND_FINISH, a, id, NULL, err);
}

const char *history_pending_reason(const struct history *h)
{
	return h->pend_why.buf;
}

int history_flush(struct history *h, struct strbuf *err)
{
	size_t n;
	int r;

	if (!h || !history_pending(h))
		return 0;
	n = pend_retry(h, false);
	if (!n)
		return 0;
	strbuf_addstr(err, h->pend_why.buf);
	r = history_journal_append(h, h->pend, h->npend, err);
	if (r < 0)
		return r;
	while (h->npend)
		pend_remove(h, h->npend - 1);
	return (int)n;
}

void history_pending_release(struct history *h)
{
	while (h->npend)
		pend_remove(h, h->npend - 1);
	free(h->pend);
	h->pend = NULL;
	h->pend_alloc = 0;
	strbuf_release(&h->pend_why);
}
