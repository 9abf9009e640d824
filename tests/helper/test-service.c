/* test-service.c - drives service.c like the engine will, for the shell tests.
 *
 *   test-service [--done] [--stop-only]
 *
 * Loads the configuration (XDG paths from tests/lib.sh), starts the guard
 * (exe: $FLASHBAY), waits on the loop until it is alive, runs the stop job,
 * then either runs the start job and tells the guard "done" (--done), or
 * prints "waiting" and sits in the loop until it is killed. Every step
 * prints one line: "guard pid=N", "guard ready", "stop exit=N",
 * "start exit=N", "done sent", "waiting".
 */
#include "autoconf.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "job.h"
#include "loop.h"
#include "service.h"

static struct loop *L;
static struct config cfg;
static struct service_guard *guard;
static bool opt_done;
static struct loop_timer give_up;
static int exit_code;

static void run_verb(const char *verb);

static void on_job_done(struct job *job, void *data)
{
	const char *verb = data;
	int code = job_status(job)->code;

	printf("%s exit=%d\n", verb, code);
	fflush(stdout);
	job_free(job);
	if (!strcmp(verb, "stop")) {
		if (opt_done) {
			run_verb("start");
			return;
		}
		printf("waiting\n");
		fflush(stdout);
		return;
	}
	if (code == 0 && service_guard_done(guard) == 0)
		printf("done sent\n");
	fflush(stdout);
	service_guard_free(guard);
	guard = NULL;
	loop_quit(L, code ? 1 : 0);
}

/* Run systemctl VERB through a job. */
static void run_verb(const char *verb)
{
	static const struct job_ops ops = { .done = on_job_done };
	struct job_spec spec = JOB_SPEC_INIT;
	struct job *job;
	int r;

	service_spec(&cfg, verb, &spec);
	r = job_start(L, &spec, &ops, (void *)verb, &job);
	if (r) {
		printf("%s spawn error %d\n", verb, r);
		loop_quit(L, 1);
	}
	job_spec_release(&spec);
}

static void on_guard_fd(int fd, short revents, void *data)
{
	(void)revents;
	(void)data;
	enum service_guard_state st = service_guard_poll(guard);

	if (st == SERVICE_GUARD_STARTING)
		return;
	if (st == SERVICE_GUARD_READY) {
		loop_fd_del(L, fd);
		loop_timer_disarm(L, &give_up);
		printf("guard ready\n");
		fflush(stdout);
		run_verb("stop");
		return;
	}
	loop_fd_del(L, fd);
	printf("guard died\n");
	loop_quit(L, 1);
}

static void on_give_up(struct loop_timer *t, void *data)
{
	(void)t;
	(void)data;
	printf("guard not ready in time\n");
	loop_quit(L, 1);
}

int main(int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT, warn = STRBUF_INIT;
	struct service_guard_opts opts = { .exe = getenv("FLASHBAY") };

	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--done"))
			opt_done = true;
	config_init(&cfg);
	if (config_load(&cfg, getenv("TEST_CONFIG"), &err, &warn)) {
		fputs(err.buf, stderr);
		return 2;
	}
	L = loop_new();
	if (service_guard_start(&cfg, &opts, &guard, &err)) {
		printf("guard start failed: %s\n", err.buf);
		return 1;
	}
	printf("guard pid=%ld\n", (long)service_guard_pid(guard));
	fflush(stdout);
	loop_fd_add(L, service_guard_fd(guard), POLLIN, on_guard_fd, NULL);
	loop_timer_init(&give_up, on_give_up, NULL);
	loop_timer_arm(L, &give_up, 10000, 0);
	exit_code = loop_run(L);
	service_guard_free(guard);
	loop_free(L);
	config_release(&cfg);
	strbuf_release(&err);
	strbuf_release(&warn);
	return exit_code;
}
