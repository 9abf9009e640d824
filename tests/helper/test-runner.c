/* test-runner.c - drives the real runner/job/loop code for the shell tests
 * (git's t/helper pattern).
 *
 *   test-runner [-j N] [-t MS] [-g MS] [--cancel-all-after MS] [--cancel I@MS]
 *               [--env K=V] [--cwd DIR] [--lines] -- [@KEY] CMD ARGS [';;' [@KEY] CMD ARGS]...
 *
 * Prints one "done" line per job as it finishes, then "max_running=N".
 * SIGINT/SIGTERM/SIGHUP cancel everything; the helper exits 130 after every
 * job has been reaped.
 */
#include "autoconf.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "runner.h"
#include "xalloc.h"

struct item {
	int idx;
	const char *program;
	unsigned long lines[2];
	unsigned long long bytes;
	struct runner_task *task;
	long cancel_at;
	struct loop_timer cancel_timer;
};

static struct loop *L;
static struct runner *R;
static size_t pending, max_running;
static bool print_lines;
static int exit_code;
static struct item *items;

static void on_started(struct runner_task *t, struct job *job, void *data)
{
	(void)t;
	(void)job;
	(void)data;
	if (runner_running(R) > max_running)
		max_running = runner_running(R);
}

static void on_line(struct runner_task *t, enum job_stream s, const char *line, size_t len,
		    bool partial, void *data)
{
	struct item *it = data;

	(void)t;
	if (partial)
		return;
	it->lines[s]++;
	it->bytes += len;
	if (print_lines)
		printf("%d %s %s\n", it->idx, s == JOB_STDOUT ? "out" : "err", line);
}

static const char *err_name(int err)
{
	switch (-err) {
	case 0: return "0";
	case ENOENT: return "ENOENT";
	case EACCES: return "EACCES";
	case ECANCELED: return "ECANCELED";
	default: return strerror(-err);
	}
}

static void on_done(struct runner_task *t, struct job *job, int err, void *data)
{
	struct item *it = data;
	const struct job_status *st = job ? job_status(job) : NULL;
	struct strbuf sb = STRBUF_INIT;

	(void)t;
	it->task = NULL;
	loop_timer_disarm(L, &it->cancel_timer);
	printf("done %d exit=%d signo=%d timeout=%d cancelled=%d err=%s out_lines=%lu err_lines=%lu bytes=%llu",
	       it->idx, st ? st->code : -1, st ? st->signo : 0, st ? st->timed_out : 0,
	       st ? st->cancelled : 0, err_name(err), it->lines[0], it->lines[1], it->bytes);
	if (job) {
		job_describe(job, &sb);
		printf(" status=\"%s\"", sb.buf);
		if (tail_count(job_tail(job)))
			printf(" last=\"%s\"", tail_get(job_tail(job), tail_count(job_tail(job)) - 1));
	} else if (err != -ECANCELED) {
		job_spawn_error(&sb, it->program, err);
		printf(" message=\"%s\"", sb.buf);
	}
	printf("\n");
	fflush(stdout);
	strbuf_release(&sb);
	if (--pending == 0)
		loop_quit(L, exit_code);
}

static const struct runner_ops ops = { on_started, on_line, on_done };

static void on_cancel_one(struct loop_timer *tm, void *data)
{
	struct item *it = data;

	(void)tm;
	if (it->task)
		runner_cancel(R, it->task);
}

static void on_cancel_all(struct loop_timer *tm, void *data)
{
	(void)tm;
	(void)data;
	runner_cancel_all(R);
}

static void on_signal(const struct signalfd_siginfo *si, void *data)
{
	(void)data;
	printf("signal %d\n", (int)si->ssi_signo);
	fflush(stdout);
	exit_code = 130;
	runner_cancel_all(R);
}

struct opts {
	unsigned max;
	uint64_t timeout, grace;
	long cancel_all_after;
	struct strvec env;
	const char *cwd;
	struct strvec cancels; /* "I@MS" */
};

/* Parse options up to "--"; returns the index after it. */
static int parse_opts(int argc, char **argv, struct opts *o)
{
	int i = 1;

	for (; i < argc && strcmp(argv[i], "--"); i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : "0";

		if (!strcmp(a, "-j"))
			o->max = (unsigned)atoi(v), i++;
		else if (!strcmp(a, "-t"))
			o->timeout = strtoull(v, NULL, 10), i++;
		else if (!strcmp(a, "-g"))
			o->grace = strtoull(v, NULL, 10), i++;
		else if (!strcmp(a, "--cancel-all-after"))
			o->cancel_all_after = atol(v), i++;
		else if (!strcmp(a, "--cancel"))
			strvec_push(&o->cancels, v), i++;
		else if (!strcmp(a, "--env"))
			strvec_push(&o->env, v), i++;
		else if (!strcmp(a, "--cwd"))
			o->cwd = v, i++;
		else if (!strcmp(a, "--lines"))
			print_lines = true;
		else {
			fprintf(stderr, "test-runner: unknown option %s\n", a);
			exit(2);
		}
	}
	return i + 1;
}

/* Submit the ';;'-separated commands from argv[i]. */
static size_t submit_all(int argc, char **argv, int i, struct opts *o)
{
	size_t n = 0;

	items = xcalloc((size_t)argc, sizeof *items);
	while (i < argc) {
		struct job_spec spec = JOB_SPEC_INIT;
		const char *key = NULL;
		struct item *it = &items[n];

		if (argv[i][0] == '@')
			key = argv[i++] + 1;
		it->program = i < argc ? argv[i] : "";
		for (; i < argc && strcmp(argv[i], ";;"); i++)
			strvec_push(&spec.argv, argv[i]);
		i++;
		strvec_copy(&spec.env, &o->env);
		spec.cwd = xstrdup_or_null(o->cwd);
		spec.timeout_ms = o->timeout;
		spec.grace_ms = o->grace;
		it->idx = (int)n;
		loop_timer_init(&it->cancel_timer, on_cancel_one, it);
		it->task = runner_submit(R, &spec, key, &ops, it);
		n++;
	}
	for (size_t c = 0; c < o->cancels.n; c++) {
		int idx = atoi(o->cancels.v[c]);
		const char *at = strchr(o->cancels.v[c], '@');

		if (idx >= 0 && (size_t)idx < n && at)
			loop_timer_arm(L, &items[idx].cancel_timer, strtoull(at + 1, NULL, 10), 0);
	}
	return n;
}

int main(int argc, char **argv)
{
	struct opts o = { .max = 4 };
	struct loop_timer cancel_all;
	int first, code;

	strvec_init(&o.env);
	strvec_init(&o.cancels);
	first = parse_opts(argc, argv, &o);
	L = loop_new();
	R = runner_new(L, o.max);
	loop_signal_add(L, SIGINT, on_signal, NULL);
	loop_signal_add(L, SIGTERM, on_signal, NULL);
	loop_signal_add(L, SIGHUP, on_signal, NULL);
	pending = submit_all(argc, argv, first, &o);
	loop_timer_init(&cancel_all, on_cancel_all, NULL);
	if (o.cancel_all_after > 0)
		loop_timer_arm(L, &cancel_all, (uint64_t)o.cancel_all_after, 0);
	printf("pid %d\n", (int)getpid());
	fflush(stdout);
	code = pending ? loop_run(L) : 0;
	printf("max_running=%zu\n", max_running);
	loop_timer_disarm(L, &cancel_all);
	for (size_t i = 0; i < (size_t)argc; i++)
		loop_timer_disarm(L, &items[i].cancel_timer);
	runner_free(R);
	loop_free(L);
	free(items);
	strvec_release(&o.env);
	strvec_release(&o.cancels);
	return code;
}
