/* runner.h - a FIFO queue of jobs run at most max_workers at a time.
 *
 * Tasks with the same lock key (a port) never run at the same time: a task
 * whose key is busy waits while later tasks with free keys go ahead. Every
 * callback comes from the loop, never from inside runner_submit() or
 * runner_cancel(), so callers never see re-entrant callbacks.
 */
#ifndef FLASHBAY_RUNNER_H
#define FLASHBAY_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "job.h"

struct loop;
struct runner;
struct runner_task;

struct runner_ops {
	/* The job has started (optional). */
	void (*started)(struct runner_task *task, struct job *job, void *data);
	/* A line of the job's output (optional); see job_ops.line. */
	void (*line)(struct runner_task *task, enum job_stream stream, const char *line, size_t len,
		     bool partial, void *data);
	/* The task is over. job is the finished job, or NULL if it never ran:
	 * err is then -ECANCELED (cancelled while queued) or the spawn error
	 * (-ENOENT for a missing program...). The task and job are freed after
	 * this returns. */
	void (*done)(struct runner_task *task, struct job *job, int err, void *data);
};

struct runner *runner_new(struct loop *loop, unsigned max_workers);
/* Kills (SIGKILL) and reaps anything still running, without callbacks. */
void runner_free(struct runner *r);
void runner_set_max_workers(struct runner *r, unsigned max_workers);

/* Queue spec (its contents are moved into the task; spec is left empty).
 * lock_key may be NULL. */
struct runner_task *runner_submit(struct runner *r, struct job_spec *spec, const char *lock_key,
				  const struct runner_ops *ops, void *data);
/* Cancel one task: a queued one is dropped, a running one gets SIGTERM then
 * SIGKILL (a second cancel kills at once). done runs either way. */
void runner_cancel(struct runner *r, struct runner_task *task);
void runner_cancel_all(struct runner *r);

/* The running job of a task, or NULL while queued. */
struct job *runner_task_job(const struct runner_task *task);
const char *runner_task_key(const struct runner_task *task);
size_t runner_running(const struct runner *r);
size_t runner_queued(const struct runner *r);

#endif
