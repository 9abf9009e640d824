/* log.c - message ring and sink. */
#include "autoconf.h"

#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "clock.h"
#include "text.h"
#include "xalloc.h"

static struct log_entry *ring;
static size_t cap, count, next;
static uint64_t seq;
static log_sink_fn sink;
static void *sink_data;
static int verbosity;

void log_init(size_t capacity)
{
	log_release();
	cap = capacity ? capacity : 500;
	ring = xcalloc(cap, sizeof *ring);
}

void log_release(void)
{
	for (size_t i = 0; ring && i < cap; i++) {
		free(ring[i].source);
		free(ring[i].text);
	}
	free(ring);
	ring = NULL;
	cap = count = next = 0;
}

void log_set_sink(log_sink_fn fn, void *data)
{
	sink = fn;
	sink_data = data;
}

void log_set_verbosity(int v)
{
	verbosity = v;
}

int log_verbosity(void)
{
	return verbosity;
}

const char *log_level_name(enum log_level level)
{
	static const char *const names[] = { "debug", "info", "warning", "error" };

	return level <= LOG_ERROR ? names[level] : "?";
}

/* The default sink: stderr, sanitised. */
void log_stderr_sink(const struct log_entry *e, void *data)
{
	char *text;

	(void)data;
	if (e->level < LOG_WARN && verbosity < (e->level == LOG_INFO ? 1 : 2))
		return;
	text = text_sanitize_dup(e->text, false);
	if (e->level >= LOG_WARN)
		fprintf(stderr, "flashbay: %s%s%s%s: %s\n", e->source ? "[" : "",
			e->source ? e->source : "", e->source ? "] " : "", log_level_name(e->level),
			text);
	else
		fprintf(stderr, "flashbay: %s%s%s%s\n", e->source ? "[" : "", e->source ? e->source : "",
			e->source ? "] " : "", text);
	free(text);
}

void log_msg(enum log_level level, const char *source, const char *fmt, ...)
{
	struct log_entry *e;
	va_list ap;

	if (!ring)
		log_init(0);
	e = &ring[next];
	free(e->source);
	free(e->text);
	e->wall_ms = wall_ms();
	e->level = level;
	e->source = xstrdup_or_null(source);
	va_start(ap, fmt);
	e->text = xvasprintf(fmt, ap);
	va_end(ap);
	next = (next + 1) % cap;
	if (count < cap)
		count++;
	seq++;
	if (sink)
		sink(e, sink_data);
	else
		log_stderr_sink(e, NULL);
}

size_t log_count(void)
{
	return count;
}

const struct log_entry *log_get(size_t i)
{
	if (i >= count)
		return NULL;
	return &ring[(next + cap - count + i) % cap];
}

uint64_t log_seq(void)
{
	return seq;
}
