/* strbuf.h - growable NUL-terminated byte buffers (git's strbuf, reduced).
 *
 * A strbuf initialised with STRBUF_INIT or strbuf_init() owns no memory until
 * the first append; buf is always a valid C string (possibly "").
 */
#ifndef FLASHBAY_STRBUF_H
#define FLASHBAY_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *buf;
	size_t len;
	size_t alloc;
};

extern char strbuf_empty[];
#define STRBUF_INIT { strbuf_empty, 0, 0 }

void strbuf_init(struct strbuf *sb);
/* Free the contents; the strbuf is empty and reusable afterwards. */
void strbuf_release(struct strbuf *sb);
/* Hand the buffer to the caller (free() it); the strbuf is reset. */
char *strbuf_detach(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_grow(struct strbuf *sb, size_t extra);
void strbuf_setlen(struct strbuf *sb, size_t len);
void strbuf_add(struct strbuf *sb, const void *data, size_t len);
void strbuf_addstr(struct strbuf *sb, const char *s);
void strbuf_addch(struct strbuf *sb, int c);
void strbuf_addf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Remove leading and trailing ASCII whitespace. */
void strbuf_trim(struct strbuf *sb);

#endif
