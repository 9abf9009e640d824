/* strvec.c - NULL-terminated string arrays. */
#include "autoconf.h"

#include "strvec.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

char *strvec_empty[] = { NULL };

void strvec_init(struct strvec *sv)
{
	sv->v = strvec_empty;
	sv->n = 0;
	sv->alloc = 0;
}

void strvec_release(struct strvec *sv)
{
	if (sv->alloc) {
		for (size_t i = 0; i < sv->n; i++)
			free(sv->v[i]);
		free(sv->v);
	}
	strvec_init(sv);
}

/* Append an already-owned string. */
static const char *push_owned(struct strvec *sv, char *s)
{
	if (!sv->alloc)
		sv->v = NULL;
	sv->v = xgrow(sv->v, &sv->alloc, sv->n + 2, sizeof *sv->v);
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
	return s;
}

const char *strvec_push(struct strvec *sv, const char *s)
{
	return push_owned(sv, xstrdup(s));
}

const char *strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return push_owned(sv, s);
}

void strvec_pushv(struct strvec *sv, const char *const *v)
{
	for (; v && *v; v++)
		strvec_push(sv, *v);
}

void strvec_pop(struct strvec *sv)
{
	if (!sv->n)
		return;
	free(sv->v[--sv->n]);
	sv->v[sv->n] = NULL;
}

void strvec_copy(struct strvec *dst, const struct strvec *src)
{
	strvec_pushv(dst, (const char *const *)src->v);
}

long strvec_find(const struct strvec *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++)
		if (!strcmp(sv->v[i], s))
			return (long)i;
	return -1;
}

void strvec_split(struct strvec *sv, const char *s, const char *seps)
{
	while (*s) {
		size_t len = strcspn(s, seps);

		if (len)
			push_owned(sv, xstrndup(s, len));
		s += len;
		if (*s)
			s++;
	}
}

char *strvec_join(const struct strvec *sv, const char *sep)
{
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; i < sv->n; i++) {
		if (i)
			strbuf_addstr(&sb, sep);
		strbuf_addstr(&sb, sv->v[i]);
	}
	return strbuf_detach(&sb);
}
