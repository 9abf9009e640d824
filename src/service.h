/* service.h - stopping and starting the printer service(s) ([klipper] service,
 * e.g. "klipper" or "klipper-1 klipper-2"), and the guard that makes the
 * restart certain on every exit path, SIGKILL of flashbay included.
 *
 * The commands are `systemctl stop|start SERVICE...` (all services in one
 * call), run through `sudo -n` when flashbay is not root (sudo never asks for
 * a password: it fails at once instead). They are job specs: the engine runs
 * them on its loop.
 *
 * The guard is flashbay itself, re-executed (/proc/self/exe) as the hidden
 * command `flashbay _service-guard` in a new session (setsid: Ctrl-C and the
 * terminal's SIGHUP do not reach it), holding one end of a socket whose other
 * end only this flashbay process has (close-on-exec, so no tool it runs can
 * keep it open). When the socket closes, however flashbay ended, the guard
 * looks at what it was told: "done" -> it exits quietly; anything else -> it
 * runs the start command itself and reports loudly on stderr and in
 * <[station] log_dir>/service-guard.log, with a non-zero exit if the start
 * failed. SIGTERM to the guard counts as "not done".
 *
 * Intended use by the engine:
 *   service_guard_start() -> wait until service_guard_alive() (watch
 *   service_guard_fd() for POLLIN) -> stop job -> flash -> start job ->
 *   if the start succeeded: service_guard_done(); in every case
 *   service_guard_free(). A failed start without done leaves the guard to try
 *   once more and shout; the engine must shout too (service_failure_message()).
 *   If nothing was stopped after all (Moonraker refused, a build failed), say
 *   done as well. Should flashbay die between the guard's start and the stop,
 *   the guard's start is harmless: starting a running unit does nothing.
 */
#ifndef FLASHBAY_SERVICE_H
#define FLASHBAY_SERVICE_H

#include <stdbool.h>
#include <sys/types.h>

#include "job.h"
#include "strbuf.h"
#include "strvec.h"

struct config;
struct service_guard;

/* true when commands need `sudo -n`: geteuid() != 0. FLASHBAY_EUID (a
 * number) overrides geteuid(), for tests: CI runs as root. */
bool service_need_sudo(void);
/* The command words: [sudo -n] systemctl VERB SERVICE... (verb "stop" or
 * "start"), appended to argv. */
void service_command(const struct config *cfg, const char *verb, struct strvec *argv);
/* The same as a job spec with [klipper] service_timeout. */
void service_spec(const struct config *cfg, const char *verb, struct job_spec *spec);
/* "klipper-1 klipper-2". Caller frees. */
char *service_names(const struct config *cfg);
/* The loud message for a failed start: what failed, the job's status and
 * last output line, and the command to run by hand. */
void service_failure_message(const struct config *cfg, const char *verb, const char *status,
			     const char *last_line, struct strbuf *out);

struct service_guard_opts {
	const char *exe; /* the flashbay binary; NULL: /proc/self/exe */
};

/* Start the guard for cfg's services (does not wait for it to be ready).
 * 0 and *out, or -errno with a message (the program could not be run). */
int service_guard_start(const struct config *cfg, const struct service_guard_opts *opts,
			struct service_guard **out, struct strbuf *err);
/* The socket to watch for POLLIN: the guard's "ready", or its end. */
int service_guard_fd(const struct service_guard *g);
enum service_guard_state {
	SERVICE_GUARD_STARTING, /* running, has not said "ready" yet */
	SERVICE_GUARD_READY,    /* ready and still there */
	SERVICE_GUARD_GONE,     /* ended (or its socket closed): nothing guards the services */
};
/* Non-blocking: read what the guard said and reap it if it ended. Call when
 * service_guard_fd() is readable (or any time). */
enum service_guard_state service_guard_poll(struct service_guard *g);
/* service_guard_poll() == SERVICE_GUARD_READY. Stop nothing until this is true. */
bool service_guard_alive(struct service_guard *g);
/* Tell the guard the services run again: it will exit quietly. 0 or -errno. */
int service_guard_done(struct service_guard *g);
pid_t service_guard_pid(const struct service_guard *g);
/* Close our end (the guard then acts: quietly after done, else it starts the
 * services) and reap the guard if it already ended. NULL is fine. */
void service_guard_free(struct service_guard *g);

/* The hidden command: flashbay _service-guard --fd N --log FILE
 * --timeout MS -- COMMAND... (started by service_guard_start() only). */
int service_guard_main(int argc, char **argv);

#endif
