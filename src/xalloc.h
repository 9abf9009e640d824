/* xalloc.h - allocation that never returns NULL.
 *
 * On allocation failure the registered die hook runs first (the TUI uses it to
 * restore the terminal), then a message is printed and the process aborts.
 */
#ifndef FLASHBAY_XALLOC_H
#define FLASHBAY_XALLOC_H

#include <stdarg.h>
#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *ptr, size_t size);
/* Grow an array to hold at least need elements of elem bytes; *alloc is updated. */
void *xgrow(void *ptr, size_t *alloc, size_t need, size_t elem);
char *xstrdup(const char *s);
/* xstrdup() that maps NULL to NULL. */
char *xstrdup_or_null(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Called once before aborting on out-of-memory (e.g. endwin()). */
void xalloc_set_die_hook(void (*hook)(void));

#endif
