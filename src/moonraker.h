/* moonraker.h - "is the printer printing?" before anything is stopped.
 *
 * Moonraker answers GET <url>/printer/objects/query?print_stats with
 *     {"result": {"eventtime": ..., "status": {"print_stats": {"state": "printing", ...}}}}
 * where state is standby, printing, paused, complete, cancelled or error.
 * printing and paused refuse a flash (unless --force); the others allow it.
 *
 * The HTTP request never runs on the loop: the engine runs the hidden
 * command `flashbay _moonraker-state URL [--timeout MS]` as an ordinary job
 * (moonraker_spec()) and feeds its stdout to moonraker_parse_line(). That
 * command prints exactly one line:
 *     state <state>              exit 0
 *     unreachable <message>      exit 1  (connection refused, timeout, DNS)
 *     error <message>            exit 1  (HTTP error status, a reply without the state)
 *     unavailable <message>      exit 3  (flashbay was built --without-curl)
 * libcurl is optional at build time (configure --without-curl).
 */
#ifndef FLASHBAY_MOONRAKER_H
#define FLASHBAY_MOONRAKER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "job.h"
#include "strbuf.h"

enum moonraker_verdict {
	MOONRAKER_UNKNOWN,     /* no answer line (yet) */
	MOONRAKER_IDLE,        /* standby, complete, cancelled, error: flashing is fine */
	MOONRAKER_BUSY,        /* printing or paused: refuse (OUTCOME_PRINTER_BUSY) */
	MOONRAKER_UNREACHABLE, /* ask on a terminal, refuse otherwise (unless --force) */
	MOONRAKER_BAD_REPLY,   /* treat like unreachable */
	MOONRAKER_UNAVAILABLE, /* built without libcurl: say so, then as unreachable */
};

struct moonraker_result {
	enum moonraker_verdict verdict;
	char state[32];    /* print_stats.state (printable ASCII only) */
	char message[256]; /* for the other verdicts (printable ASCII only) */
};

/* true if this build can ask Moonraker (libcurl was found at configure time). */
bool moonraker_available(void);
/* The job: exe _moonraker-state URL --timeout MS (exe NULL: /proc/self/exe).
 * The spec's own timeout is a little longer than the request's. */
void moonraker_spec(const char *url, uint64_t timeout_ms, const char *exe, struct job_spec *spec);
/* Feed a complete stdout line of that job into r. */
void moonraker_parse_line(struct moonraker_result *r, const char *line);
/* Once the job has ended: the verdict (a job that printed nothing is
 * unreachable, with its status in the message). */
enum moonraker_verdict moonraker_finish(struct moonraker_result *r, const struct job_status *st);
/* "printing" and "paused" are busy. */
bool moonraker_state_busy(const char *state);

/* Parse a Moonraker reply body: result.status.print_stats.state into state;
 * for {"error": {"message": ...}} replies the message goes to err. 0 or -EINVAL. */
int moonraker_state_from_json(const char *body, char *state, size_t size, struct strbuf *err);

/* The hidden command (see above). */
int moonraker_state_main(int argc, char **argv);

#endif
