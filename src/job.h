/* job.h - one child process, run without ever blocking the loop.
 *
 * A job is spawned from an argv array (never a shell string) in its own
 * process group, with stdin from /dev/null and stdout/stderr read through
 * non-blocking pipes and split into lines (see lines.h). It is finished only
 * after EOF on both pipes *and* its exit has been reaped; then ops->done runs
 * once. After its leader exits, whatever is left of its process group is
 * killed, so no grandchild outlives it. The child is killed (SIGKILL) when
 * flashbay dies, even by SIGKILL (PR_SET_PDEATHSIG), so jobs must be started
 * from the main thread: the signal follows the thread that forked. A job may
 * keep one descriptor open across exec (keep_fd: the port lock), so what it
 * holds stays held until the child, and whatever inherited it, is gone.
 *
 * An interactive job instead inherits the terminal and becomes the terminal's
 * foreground process group until it exits (used for make menuconfig).
 */
#ifndef FLASHBAY_JOB_H
#define FLASHBAY_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lines.h"
#include "strbuf.h"
#include "strvec.h"

struct loop;
struct job;

enum job_stream { JOB_STDOUT, JOB_STDERR };

struct job_spec {
	struct strvec argv;   /* argv[0] is looked up on the child's PATH */
	struct strvec env;    /* "NAME=value" entries added to (or replacing) the environment */
	char *cwd;            /* NULL: inherit */
	bool interactive;     /* hand the terminal over (stdio inherited, foreground group) */
	uint64_t timeout_ms;  /* 0: none */
	uint64_t grace_ms;    /* SIGTERM -> SIGKILL delay; 0: 3000 */
	size_t tail_lines;    /* lines kept for error reports; 0: 40 */
	int keep_fd;          /* a descriptor > 2 the child inherits (the port lock); 0: none */
};

#define JOB_SPEC_INIT { STRVEC_INIT, STRVEC_INIT, NULL, false, 0, 0, 0, 0 }

void job_spec_init(struct job_spec *spec);
void job_spec_release(struct job_spec *spec);
/* Deep copy of src into an initialised dst. */
void job_spec_copy(struct job_spec *dst, const struct job_spec *src);

struct job_ops {
	/* A line of output (see lines_cb for partial). May be NULL. */
	void (*line)(struct job *job, enum job_stream stream, const char *line, size_t len,
		     bool partial, void *data);
	/* The job is finished; the callee may job_free() it. */
	void (*done)(struct job *job, void *data);
};

struct job_status {
	int spawn_errno;   /* exec failed: errno (the program did not run) */
	bool exited;       /* true once reaped */
	int code;          /* exit code, or 128 + signal number */
	int signo;         /* the signal that killed it, or 0 */
	bool timed_out;
	bool cancelled;
	uint64_t start_ms; /* CLOCK_MONOTONIC */
	uint64_t end_ms;
	uint64_t out_bytes;
};

/* Start a job. On success *out is the running job and 0 is returned. If the
 * program cannot be executed (missing, not executable, bad cwd) the error is
 * returned as -errno and nothing runs; use job_spawn_error() for the message. */
int job_start(struct loop *loop, const struct job_spec *spec, const struct job_ops *ops,
	      void *data, struct job **out);
/* "cannot run 'esptool': No such file or directory (is it installed and on PATH?)" */
void job_spawn_error(struct strbuf *out, const char *program, int err);

/* Ask the job to stop: SIGTERM to its group, SIGKILL after the grace period.
 * A second call kills at once. done still runs, with status.cancelled set. */
void job_cancel(struct job *job);
/* Kill every running job's process group with SIGKILL and reap them,
 * blocking. The last line of defence on exit paths. Returns how many. */
int job_kill_all_sync(void);
/* Number of jobs started and not yet finished. */
size_t job_count_running(void);

void job_free(struct job *job);

pid_t job_pid(const struct job *job);
const struct job_status *job_status(const struct job *job);
const struct tail *job_tail(const struct job *job);
const char *job_program(const struct job *job);
/* "exit 0", "exit 2", "killed by SIGTERM", "timed out after 120 s", "cancelled" */
void job_describe(const struct job *job, struct strbuf *out);

#endif
