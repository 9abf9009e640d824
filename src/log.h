/* log.h - flashbay's own messages: a ring buffer plus one sink.
 *
 * The CLI's sink prints warnings and errors to stderr; the dashboard's marks
 * the log pane dirty. Entries hold raw text: sanitise before display.
 */
#ifndef FLASHBAY_LOG_H
#define FLASHBAY_LOG_H

#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

struct log_entry {
	int64_t wall_ms;
	enum log_level level;
	char *source; /* "3" (a slot), "klipper", ... or NULL */
	char *text;
};

typedef void (*log_sink_fn)(const struct log_entry *e, void *data);

/* Keep the last cap entries (default 500). */
void log_init(size_t cap);
void log_release(void);
/* NULL restores the default sink: stderr, for warnings and errors (and info at verbosity >= 1). */
void log_set_sink(log_sink_fn fn, void *data);
/* The default sink (data unused), for a sink that passes some entries on. */
void log_stderr_sink(const struct log_entry *e, void *data);
void log_set_verbosity(int verbosity);
int log_verbosity(void);
void log_msg(enum log_level level, const char *source, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
size_t log_count(void);
/* i = 0 is the oldest kept entry. */
const struct log_entry *log_get(size_t i);
/* Total entries ever logged (changes whenever something is logged). */
uint64_t log_seq(void);
const char *log_level_name(enum log_level level);

#endif
