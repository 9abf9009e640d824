/* runner.c - job queue with a worker limit and per-port locks. */
#include "autoconf.h"

#include "runner.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "xalloc.h"

enum task_state { TASK_QUEUED, TASK_RUNNING, TASK_ENDED };

struct runner_task {
	struct runner *r;
	struct job_spec spec;
	char *key;
	const struct runner_ops *ops;
	void *data;
	enum task_state state;
	struct job *job;
	int err;
	struct runner_task *next;
};

struct runner {
	struct loop *loop;
	unsigned max_workers;
	/* queued in FIFO order, running in start order, ended awaiting done() */
	struct runner_task *queued, *running, *ended;
	struct loop_timer kick;
};

static void on_kick(struct loop_timer *t, void *data);

struct runner *runner_new(struct loop *loop, unsigned max_workers)
{
	struct runner *r = xcalloc(1, sizeof *r);

	r->loop = loop;
	r->max_workers = max_workers ? max_workers : 1;
	loop_timer_init(&r->kick, on_kick, r);
	return r;
}

/* Free a task and its job. */
static void task_free(struct runner_task *t)
{
	job_spec_release(&t->spec);
	job_free(t->job);
	free(t->key);
	free(t);
}

/* Free every task of a list. */
static void free_list(struct runner_task *t)
{
	while (t) {
		struct runner_task *next = t->next;

		task_free(t);
		t = next;
	}
}

void runner_free(struct runner *r)
{
	if (!r)
		return;
	loop_timer_disarm(r->loop, &r->kick);
	free_list(r->queued);
	free_list(r->running);
	free_list(r->ended);
	free(r);
}

/* Schedule a pass of the queue from the loop. */
static void kick(struct runner *r)
{
	if (!r->kick.armed)
		loop_timer_arm(r->loop, &r->kick, 0, 0);
}

void runner_set_max_workers(struct runner *r, unsigned max_workers)
{
	r->max_workers = max_workers ? max_workers : 1;
	kick(r);
}

/* Append t to the list at *head. */
static void list_append(struct runner_task **head, struct runner_task *t)
{
	while (*head)
		head = &(*head)->next;
	t->next = NULL;
	*head = t;
}

/* Remove t from the list at *head; true if it was there. */
static bool list_remove(struct runner_task **head, struct runner_task *t)
{
	for (; *head; head = &(*head)->next) {
		if (*head == t) {
			*head = t->next;
			t->next = NULL;
			return true;
		}
	}
	return false;
}

struct runner_task *runner_submit(struct runner *r, struct job_spec *spec, const char *lock_key,
				  const struct runner_ops *ops, void *data)
{
	struct runner_task *t = xcalloc(1, sizeof *t);

	t->r = r;
	t->spec = *spec;
	job_spec_init(spec);
	t->key = xstrdup_or_null(lock_key);
	t->ops = ops;
	t->data = data;
	t->state = TASK_QUEUED;
	list_append(&r->queued, t);
	kick(r);
	return t;
}

/* Move a task to the ended list with err; done() follows from the loop. */
static void task_end(struct runner *r, struct runner_task *t, int err)
{
	t->state = TASK_ENDED;
	t->err = err;
	list_append(&r->ended, t);
	kick(r);
}

void runner_cancel(struct runner *r, struct runner_task *t)
{
	if (t->state == TASK_QUEUED && list_remove(&r->queued, t))
		task_end(r, t, -ECANCELED);
	else if (t->state == TASK_RUNNING && t->job)
		job_cancel(t->job);
}

void runner_cancel_all(struct runner *r)
{
	while (r->queued)
		runner_cancel(r, r->queued);
	for (struct runner_task *t = r->running; t; t = t->next)
		job_cancel(t->job);
}

static void job_line(struct job *job, enum job_stream s, const char *line, size_t len,
		     bool partial, void *data)
{
	struct runner_task *t = data;

	(void)job;
	if (t->ops->line)
		t->ops->line(t, s, line, len, partial, t->data);
}

static void job_done(struct job *job, void *data)
{
	struct runner_task *t = data;

	(void)job;
	list_remove(&t->r->running, t);
	task_end(t->r, t, 0);
}

static const struct job_ops runner_job_ops = { job_line, job_done };

/* Is a running task holding key? */
static bool key_busy(struct runner *r, const char *key)
{
	if (!key)
		return false;
	for (struct runner_task *t = r->running; t; t = t->next)
		if (t->key && !strcmp(t->key, key))
			return true;
	return false;
}

/* Start queued tasks while workers are free, oldest eligible first. */
static void start_tasks(struct runner *r)
{
	struct runner_task **pp = &r->queued;

	while (*pp && runner_running(r) < r->max_workers) {
		struct runner_task *t = *pp;
		int err;

		if (key_busy(r, t->key)) {
			pp = &t->next;
			continue;
		}
		*pp = t->next;
		err = job_start(r->loop, &t->spec, &runner_job_ops, t, &t->job);
		if (err) {
			t->job = NULL;
			task_end(r, t, err);
			continue;
		}
		t->state = TASK_RUNNING;
		list_append(&r->running, t);
		if (t->ops->started)
			t->ops->started(t, t->job, t->data);
	}
}

/* Deliver the ended tasks, then fill free workers. */
static void on_kick(struct loop_timer *timer, void *data)
{
	struct runner *r = data;

	(void)timer;
	while (r->ended) {
		struct runner_task *t = r->ended;

		r->ended = t->next;
		if (t->ops->done)
			t->ops->done(t, t->job, t->err, t->data);
		task_free(t);
	}
	start_tasks(r);
	/* tasks that failed to spawn were just ended: deliver them too */
	if (r->ended)
		kick(r);
}

struct job *runner_task_job(const struct runner_task *t)
{
	return t->state == TASK_RUNNING ? t->job : NULL;
}

const char *runner_task_key(const struct runner_task *t)
{
	return t->key;
}

size_t runner_running(const struct runner *r)
{
	size_t n = 0;

	for (struct runner_task *t = r->running; t; t = t->next)
		n++;
	return n;
}

size_t runner_queued(const struct runner *r)
{
	size_t n = 0;

	for (struct runner_task *t = r->queued; t; t = t->next)
		n++;
	return n;
}
