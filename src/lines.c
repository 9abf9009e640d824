/* lines.c - line splitting on LF and CR with escape stripping; output tails. */
#include "autoconf.h"

#include "lines.h"

#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "xalloc.h"

void lines_init(struct lines *ls, size_t max_line)
{
	strbuf_init(&ls->pending);
	strbuf_init(&ls->scratch);
	ls->max_line = max_line ? max_line : 4096;
	ls->last_cr = false;
}

void lines_release(struct lines *ls)
{
	strbuf_release(&ls->pending);
	strbuf_release(&ls->scratch);
}

/* Strip a copy of data and report it unless it is empty. */
static void emit(struct lines *ls, const char *data, size_t len, bool partial, lines_cb cb,
		 void *cbdata)
{
	size_t n;

	strbuf_reset(&ls->scratch);
	strbuf_add(&ls->scratch, data, len);
	if (!ls->scratch.alloc)
		return;
	n = text_strip_ansi(ls->scratch.buf, ls->scratch.len);
	strbuf_setlen(&ls->scratch, n);
	if (n)
		cb(ls->scratch.buf, n, partial, cbdata);
}

void lines_feed(struct lines *ls, const char *buf, size_t len, lines_cb cb, void *data)
{
	for (size_t i = 0; i < len; i++) {
		char c = buf[i];

		if (c == '\n' && ls->last_cr) {
			/* second half of CR LF: the line was already reported */
			ls->last_cr = false;
			continue;
		}
		ls->last_cr = c == '\r';
		if (c == '\n' || c == '\r') {
			emit(ls, ls->pending.buf, ls->pending.len, false, cb, data);
			strbuf_reset(&ls->pending);
			continue;
		}
		strbuf_addch(&ls->pending, c);
		if (ls->pending.len >= ls->max_line) {
			emit(ls, ls->pending.buf, ls->pending.len, false, cb, data);
			strbuf_reset(&ls->pending);
		}
	}
	if (ls->pending.len)
		emit(ls, ls->pending.buf, ls->pending.len, true, cb, data);
}

void lines_flush(struct lines *ls, lines_cb cb, void *data)
{
	if (ls->pending.len)
		emit(ls, ls->pending.buf, ls->pending.len, false, cb, data);
	strbuf_reset(&ls->pending);
	ls->last_cr = false;
}

void tail_init(struct tail *t, size_t cap)
{
	t->cap = cap ? cap : 1;
	t->line = xcalloc(t->cap, sizeof *t->line);
	t->count = 0;
	t->next = 0;
}

void tail_release(struct tail *t)
{
	if (!t->line)
		return;
	for (size_t i = 0; i < t->cap; i++)
		free(t->line[i]);
	free(t->line);
	t->line = NULL;
	t->count = t->next = 0;
}

void tail_push(struct tail *t, const char *line, size_t len)
{
	/* keep error lines readable but bounded */
	if (len > 512)
		len = 512;
	free(t->line[t->next]);
	t->line[t->next] = xstrndup(line, len);
	t->next = (t->next + 1) % t->cap;
	if (t->count < t->cap)
		t->count++;
}

size_t tail_count(const struct tail *t)
{
	return t->count;
}

const char *tail_get(const struct tail *t, size_t i)
{
	if (i >= t->count)
		return NULL;
	return t->line[(t->next + t->cap - t->count + i) % t->cap];
}

void tail_join(const struct tail *t, struct strbuf *out)
{
	for (size_t i = 0; i < t->count; i++) {
		if (i)
			strbuf_addch(out, '\n');
		strbuf_addstr(out, tail_get(t, i));
	}
}
