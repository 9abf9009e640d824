/* teststep.h - the test after flashing: [test] checked at load, and the
 * port reader that runs it.
 *
 * [test] is on when `pass` is set (unless `enabled = no`). After a
 * successful write the board runs its application; the reader opens the
 * port itself (non-blocking, raw, at `baud`), writes `send` + "\n" if set,
 * and reads lines (control characters stripped, at most TEST_LINE_MAX
 * bytes each) until `pass` matches one (pass), `fail` matches one (fail,
 * checked first), `timeout` runs out, or the port fails (gone: EOF, EIO,
 * hang-up). Everything happens in the one poll loop: an fd watch and one
 * timer; nothing sleeps, no thread.
 */
#ifndef FLASHBAY_TESTSTEP_H
#define FLASHBAY_TESTSTEP_H

#include <stdbool.h>
#include <stdint.h>

#include "strbuf.h"

struct config;
struct loop;

/* The longest line kept; a longer one is cut into several. */
#define TEST_LINE_MAX 512
/* Lines kept for the record (the last ones). */
#define TEST_TAIL_LINES 20

/* Is the test step switched on in cfg? */
bool test_enabled(const struct config *cfg);
/* Is baud a rate the port can be set to (termios)? */
bool test_baud_ok(unsigned baud);
/* Compile re (POSIX extended); 0, or -EINVAL with regerror()'s words in err. */
int test_regex_check(const char *re, struct strbuf *err);
/* The [test] section as a whole (after every file was read): keys given
 * without `pass` while enabled. 0, or -EINVAL with one "flashbay: ..." line. */
int test_config_check(const struct config *cfg, struct strbuf *err);

enum test_result {
	TEST_PASS,    /* `pass` matched a line (message: that line) */
	TEST_FAIL,    /* `fail` matched a line (message: that line) */
	TEST_TIMEOUT, /* nothing matched in time (message: the last line, if any) */
	TEST_GONE,    /* the port failed or went away (message: why) */
};

struct teststep_ops {
	/* A complete line read from the board (sanitised: no control characters). */
	void (*line)(void *data, const char *line);
	/* The test is over; message is raw text. The step stays valid until
	 * teststep_free(), but reads nothing more. */
	void (*done)(void *data, enum test_result r, const char *message);
};

struct teststep;

/* Open port and start the test of cfg's [test] on loop. NULL with why in
 * err if the port cannot be opened or set up (nothing is called then). */
struct teststep *teststep_start(struct loop *loop, const struct config *cfg, const char *port,
				const struct teststep_ops *ops, void *data, struct strbuf *err);
/* CLOCK_MONOTONIC ms when the test times out. */
uint64_t teststep_deadline(const struct teststep *ts);
/* Stop (no callback) and close the port. NULL is fine. */
void teststep_free(struct teststep *ts);

#endif
