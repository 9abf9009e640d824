/* lines.h - turning a child's byte stream into clean lines, and a bounded tail.
 *
 * Lines end at "\n", "\r" or "\r\n" (progress bars redraw with a bare CR).
 * ANSI escape sequences and other control characters are removed; lines that
 * are empty after that are not reported. A line longer than the limit is cut
 * into several.
 */
#ifndef FLASHBAY_LINES_H
#define FLASHBAY_LINES_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/* line is NUL-terminated and valid only during the call. partial is true for
 * the unterminated rest of the input after a feed (a progress bar being drawn
 * character by character); the same text is reported again, complete, once
 * its terminator arrives. */
typedef void (*lines_cb)(const char *line, size_t len, bool partial, void *data);

struct lines {
	struct strbuf pending;
	struct strbuf scratch;
	size_t max_line;
	bool last_cr;
};

void lines_init(struct lines *ls, size_t max_line);
void lines_release(struct lines *ls);
void lines_feed(struct lines *ls, const char *buf, size_t len, lines_cb cb, void *data);
/* End of input: report what is pending as a complete line. */
void lines_flush(struct lines *ls, lines_cb cb, void *data);

/* The last n lines of output (a ring), for error reports. */
struct tail {
	char **line;
	size_t cap;
	size_t count;
	size_t next;
};

void tail_init(struct tail *t, size_t cap);
void tail_release(struct tail *t);
void tail_push(struct tail *t, const char *line, size_t len);
size_t tail_count(const struct tail *t);
/* i = 0 is the oldest kept line. */
const char *tail_get(const struct tail *t, size_t i);
/* All kept lines joined with "\n" appended to out. */
void tail_join(const struct tail *t, struct strbuf *out);

#endif
