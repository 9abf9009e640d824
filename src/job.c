/* job.c - spawning and supervising one child process. */
#include "autoconf.h"

#include "job.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "clock.h"
#include "fd.h"
#include "loop.h"
#include "xalloc.h"

extern char **environ;

struct job {
	struct loop *loop;
	const struct job_ops *ops;
	void *data;
	char *program;
	pid_t pid;
	bool interactive;
	int fd[2]; /* stdout, stderr read ends; -1 at EOF */
	struct lines lines[2];
	struct tail tail;
	struct job_status st;
	uint64_t timeout_ms, grace_ms;
	struct loop_timer timeout_timer, kill_timer, eof_timer;
	bool terminating;
	bool finished;
	struct job *next; /* the list of unfinished jobs */
};

static struct job *running;
static struct loop *sigchld_loop;

void job_spec_init(struct job_spec *spec)
{
	*spec = (struct job_spec)JOB_SPEC_INIT;
}

void job_spec_release(struct job_spec *spec)
{
	strvec_release(&spec->argv);
	strvec_release(&spec->env);
	free(spec->cwd);
	job_spec_init(spec);
}

void job_spec_copy(struct job_spec *dst, const struct job_spec *src)
{
	strvec_copy(&dst->argv, &src->argv);
	strvec_copy(&dst->env, &src->env);
	free(dst->cwd);
	dst->cwd = xstrdup_or_null(src->cwd);
	dst->interactive = src->interactive;
	dst->timeout_ms = src->timeout_ms;
	dst->grace_ms = src->grace_ms;
	dst->tail_lines = src->tail_lines;
	dst->keep_fd = src->keep_fd;
}

void job_spawn_error(struct strbuf *out, const char *program, int err)
{
	if (err < 0)
		err = -err;
	strbuf_addf(out, "cannot run '%s': %s", program, strerror(err));
	if (err == ENOENT && !strchr(program, '/'))
		strbuf_addstr(out, " (is it installed and on PATH?)");
	else if (err == EACCES)
		strbuf_addstr(out, " (is it executable?)");
}

/* The environment for the child: ours with spec's entries added/replaced. */
static void build_env(struct strvec *out, const struct strvec *extra)
{
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t klen = eq ? (size_t)(eq - *e) : strlen(*e);
		bool overridden = false;

		for (size_t i = 0; i < extra->n && !overridden; i++)
			overridden = !strncmp(extra->v[i], *e, klen) && extra->v[i][klen] == '=';
		if (!overridden)
			strvec_push(out, *e);
	}
	strvec_copy(out, extra);
}

/* Mark every inherited descriptor above 2 (except keep) close-on-exec. */
static void cloexec_from(int keep)
{
#ifdef SYS_close_range
	const unsigned flags = 4; /* CLOSE_RANGE_CLOEXEC */
	bool ok = keep <= 3 || syscall(SYS_close_range, 3u, (unsigned)keep - 1, flags) == 0;

	if (ok && syscall(SYS_close_range, (unsigned)keep + 1, ~0U, flags) == 0)
		return;
#endif
	for (int fd = 3; fd < 1024; fd++)
		if (fd != keep)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
}

/* In the forked child: die with flashbay. If flashbay is already gone (it
 * died between fork and here), the signal was missed: leave at once. */
static void die_with_parent(pid_t parent)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(127);
}

/* In the forked child: set up and exec; on failure report errno on errfd. */
static void child_exec(const struct job_spec *spec, char **envp, int out_w, int err_w,
		       int errfd, pid_t parent)
{
	sigset_t none;
	int e;

	die_with_parent(parent);
	setpgid(0, 0);
	if (spec->interactive && isatty(STDIN_FILENO)) {
		/* take the keyboard: SIGTTOU is still blocked or ignored here */
		signal(SIGTTOU, SIG_IGN);
		tcsetpgrp(STDIN_FILENO, getpid());
	}
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (!spec->interactive) {
		int nul = open("/dev/null", O_RDONLY);

		if (nul < 0 || dup2(nul, 0) < 0 || dup2(out_w, 1) < 0 || dup2(err_w, 2) < 0)
			goto fail;
	}
	cloexec_from(errfd);
	/* the lock stays held as long as the tool (or what it starts) lives */
	if (spec->keep_fd > 2 && fcntl(spec->keep_fd, F_SETFD, 0) < 0)
		goto fail;
	if (spec->cwd && chdir(spec->cwd) < 0)
		goto fail;
	environ = envp;
	execvp(spec->argv.v[0], spec->argv.v);
fail:
	e = errno;
	if (write(errfd, &e, sizeof e) < 0)
		_exit(127);
	_exit(127);
}

/* Wait for the exec-error pipe: 0 if exec succeeded, else the child's errno. */
static int read_exec_error(int fd)
{
	int e = 0;
	ssize_t n;

	do
		n = read(fd, &e, sizeof e);
	while (n < 0 && errno == EINTR);
	close(fd);
	return n == (ssize_t)sizeof e ? e : 0;
}

static void job_maybe_finish(struct job *job);
static void on_pipe(int fd, short revents, void *data);
static void on_sigchld(const struct signalfd_siginfo *si, void *data);
static void on_timeout(struct loop_timer *t, void *data);
static void on_kill_timer(struct loop_timer *t, void *data);
static void on_eof_timer(struct loop_timer *t, void *data);

/* Allocate the job struct for spec. */
static struct job *job_alloc(struct loop *loop, const struct job_spec *spec,
			     const struct job_ops *ops, void *data)
{
	struct job *job = xcalloc(1, sizeof *job);

	job->loop = loop;
	job->ops = ops;
	job->data = data;
	job->program = xstrdup(spec->argv.n ? spec->argv.v[0] : "");
	job->interactive = spec->interactive;
	job->fd[0] = job->fd[1] = -1;
	job->timeout_ms = spec->timeout_ms;
	job->grace_ms = spec->grace_ms ? spec->grace_ms : 3000;
	lines_init(&job->lines[0], 4096);
	lines_init(&job->lines[1], 4096);
	tail_init(&job->tail, spec->tail_lines ? spec->tail_lines : 40);
	loop_timer_init(&job->timeout_timer, on_timeout, job);
	loop_timer_init(&job->kill_timer, on_kill_timer, job);
	loop_timer_init(&job->eof_timer, on_eof_timer, job);
	return job;
}

/* fork + exec with pipes; returns the pid or -errno. */
static pid_t spawn(const struct job_spec *spec, int out[2], int err[2])
{
	struct strvec envp = STRVEC_INIT;
	int ep[2];
	sigset_t all, old;
	pid_t pid, parent = getpid();
	int e;

	if (pipe2(ep, O_CLOEXEC) < 0)
		return -errno;
	build_env(&envp, &spec->env);
	/* no signal handler may run in the child between fork and exec */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(ep[0]);
		child_exec(spec, envp.v, out[1], err[1], ep[1], parent);
	}
	e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(ep[1]);
	strvec_release(&envp);
	if (pid < 0) {
		close(ep[0]);
		return -e;
	}
	setpgid(pid, pid); /* as the child does: no race with an early kill */
	e = read_exec_error(ep[0]);
	if (e) {
		waitpid(pid, NULL, 0);
		return -e;
	}
	return pid;
}

/* Give the terminal's foreground to pgrp (SIGTTOU blocked while we do). */
static void set_foreground(pid_t pgrp)
{
	sigset_t ttou, old;

	if (!isatty(STDIN_FILENO))
		return;
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	tcsetpgrp(STDIN_FILENO, pgrp);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

/* Open the two output pipes (read ends non-blocking, all close-on-exec). */
static int open_pipes(int out[2], int err[2])
{
	out[0] = out[1] = err[0] = err[1] = -1;
	if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) {
		int e = errno;

		for (int i = 0; i < 2; i++) {
			if (out[i] >= 0)
				close(out[i]);
			if (err[i] >= 0)
				close(err[i]);
		}
		return -e;
	}
	fd_set_nonblock(out[0]);
	fd_set_nonblock(err[0]);
	return 0;
}

int job_start(struct loop *loop, const struct job_spec *spec, const struct job_ops *ops,
	      void *data, struct job **out)
{
	int po[2] = { -1, -1 }, pe[2] = { -1, -1 }, r;
	struct job *job;
	pid_t pid;

	if (!spec->argv.n)
		return -EINVAL;
	if (!sigchld_loop) {
		r = loop_signal_add(loop, SIGCHLD, on_sigchld, NULL);
		if (r)
			return r;
		sigchld_loop = loop;
	}
	if (!spec->interactive && (r = open_pipes(po, pe)) < 0)
		return r;
	pid = spawn(spec, po, pe);
	if (!spec->interactive) {
		close(po[1]);
		close(pe[1]);
	}
	if (pid < 0) {
		if (!spec->interactive) {
			close(po[0]);
			close(pe[0]);
		}
		return (int)pid;
	}
	job = job_alloc(loop, spec, ops, data);
	job->pid = pid;
	job->st.start_ms = now_ms();
	if (spec->interactive) {
		set_foreground(pid);
	} else {
		job->fd[0] = po[0];
		job->fd[1] = pe[0];
		loop_fd_add(loop, po[0], POLLIN, on_pipe, job);
		loop_fd_add(loop, pe[0], POLLIN, on_pipe, job);
	}
	if (job->timeout_ms)
		loop_timer_arm(loop, &job->timeout_timer, job->timeout_ms, 0);
	job->next = running;
	running = job;
	*out = job;
	return 0;
}

/* Which job and stream a line splitter is working for. */
struct line_ctx {
	struct job *job;
	enum job_stream stream;
};

/* Line from the splitter: into the tail, then to the owner. */
static void on_line(const char *line, size_t len, bool partial, void *data)
{
	struct line_ctx *ctx = data;
	struct job *job = ctx->job;

	if (!partial)
		tail_push(&job->tail, line, len);
	if (job->ops->line)
		job->ops->line(job, ctx->stream, line, len, partial, job->data);
}

/* Reached EOF (or an error) on one stream. */
static void close_stream(struct job *job, int s)
{
	struct line_ctx ctx = { job, (enum job_stream)s };

	lines_flush(&job->lines[s], on_line, &ctx);
	loop_fd_del(job->loop, job->fd[s]);
	close(job->fd[s]);
	job->fd[s] = -1;
}

static void on_pipe(int fd, short revents, void *data)
{
	struct job *job = data;
	int s = fd == job->fd[1];
	struct line_ctx ctx = { job, (enum job_stream)s };
	char buf[16384];

	(void)revents;
	/* a bounded amount per wake-up so one chatty child cannot starve the rest */
	for (int round = 0; round < 16; round++) {
		ssize_t n = read(fd, buf, sizeof buf);

		if (n > 0) {
			job->st.out_bytes += (uint64_t)n;
			lines_feed(&job->lines[s], buf, (size_t)n, on_line, &ctx);
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		close_stream(job, s);
		job_maybe_finish(job);
		return;
	}
}

/* Send sig to the job's whole process group. */
static void signal_group(struct job *job, int sig)
{
	if (job->pid > 0)
		kill(-job->pid, sig);
}

/* Start the SIGTERM -> SIGKILL sequence. */
static void terminate(struct job *job)
{
	if (job->terminating) {
		signal_group(job, SIGKILL);
		return;
	}
	job->terminating = true;
	signal_group(job, SIGTERM);
	if (!job->st.exited)
		loop_timer_arm(job->loop, &job->kill_timer, job->grace_ms, 0);
}

static void on_timeout(struct loop_timer *t, void *data)
{
	struct job *job = data;

	(void)t;
	job->st.timed_out = true;
	terminate(job);
}

static void on_kill_timer(struct loop_timer *t, void *data)
{
	(void)t;
	signal_group(data, SIGKILL);
}

/* The leader exited but something still holds the pipes open: give up on them. */
static void on_eof_timer(struct loop_timer *t, void *data)
{
	struct job *job = data;

	(void)t;
	signal_group(job, SIGKILL);
	for (int s = 0; s < 2; s++)
		if (job->fd[s] >= 0)
			close_stream(job, s);
	job_maybe_finish(job);
}

void job_cancel(struct job *job)
{
	if (job->finished || job->st.exited)
		return;
	job->st.cancelled = true;
	terminate(job);
}

/* Record how the child ended. */
static void job_reaped(struct job *job, int wstatus)
{
	job->st.exited = true;
	job->st.end_ms = now_ms();
	if (WIFEXITED(wstatus)) {
		job->st.code = WEXITSTATUS(wstatus);
	} else if (WIFSIGNALED(wstatus)) {
		job->st.signo = WTERMSIG(wstatus);
		job->st.code = 128 + job->st.signo;
	}
	loop_timer_disarm(job->loop, &job->timeout_timer);
	loop_timer_disarm(job->loop, &job->kill_timer);
	/* stragglers in the group (grandchildren) go with their leader */
	signal_group(job, SIGKILL);
	if (job->interactive)
		set_foreground(getpgrp());
	if (job->fd[0] >= 0 || job->fd[1] >= 0)
		loop_timer_arm(job->loop, &job->eof_timer, 2000, 0);
}

static void on_sigchld(const struct signalfd_siginfo *si, void *data)
{
	(void)si;
	(void)data;
	/* signals coalesce: check every job, not just the one named in si */
again:
	for (struct job *job = running; job; job = job->next) {
		int wstatus;

		if (job->st.exited || waitpid(job->pid, &wstatus, WNOHANG) != job->pid)
			continue;
		job_reaped(job, wstatus);
		/* done() may free or start jobs: walk the list again from the top */
		job_maybe_finish(job);
		goto again;
	}
}

/* Unlink from the running list. */
static void unlink_job(struct job *job)
{
	for (struct job **pp = &running; *pp; pp = &(*pp)->next) {
		if (*pp == job) {
			*pp = job->next;
			return;
		}
	}
}

/* Both streams at EOF and the exit reaped: report, once. */
static void job_maybe_finish(struct job *job)
{
	if (job->finished || !job->st.exited || job->fd[0] >= 0 || job->fd[1] >= 0)
		return;
	job->finished = true;
	loop_timer_disarm(job->loop, &job->eof_timer);
	unlink_job(job);
	if (job->ops->done)
		job->ops->done(job, job->data);
}

int job_kill_all_sync(void)
{
	int n = 0;

	for (struct job *job = running; job; job = job->next) {
		if (job->st.exited)
			continue;
		signal_group(job, SIGKILL);
		n++;
	}
	for (struct job *job = running; job; job = job->next) {
		int wstatus;

		if (job->st.exited)
			continue;
		while (waitpid(job->pid, &wstatus, 0) < 0 && errno == EINTR)
			;
		job->st.exited = true;
		job->st.cancelled = true;
		job->st.code = 128 + SIGKILL;
		job->st.signo = SIGKILL;
		job->st.end_ms = now_ms();
	}
	return n;
}

size_t job_count_running(void)
{
	size_t n = 0;

	for (struct job *job = running; job; job = job->next)
		n++;
	return n;
}

void job_free(struct job *job)
{
	if (!job)
		return;
	if (!job->finished) {
		/* freeing a live job: make sure it cannot outlive us */
		if (!job->st.exited) {
			signal_group(job, SIGKILL);
			waitpid(job->pid, NULL, 0);
			if (job->interactive)
				set_foreground(getpgrp());
		}
		for (int s = 0; s < 2; s++) {
			if (job->fd[s] >= 0) {
				loop_fd_del(job->loop, job->fd[s]);
				close(job->fd[s]);
			}
		}
		unlink_job(job);
	}
	loop_timer_disarm(job->loop, &job->timeout_timer);
	loop_timer_disarm(job->loop, &job->kill_timer);
	loop_timer_disarm(job->loop, &job->eof_timer);
	lines_release(&job->lines[0]);
	lines_release(&job->lines[1]);
	tail_release(&job->tail);
	free(job->program);
	free(job);
}

pid_t job_pid(const struct job *job)
{
	return job->pid;
}

const struct job_status *job_status(const struct job *job)
{
	return &job->st;
}

const struct tail *job_tail(const struct job *job)
{
	return &job->tail;
}

const char *job_program(const struct job *job)
{
	return job->program;
}

void job_describe(const struct job *job, struct strbuf *out)
{
	const struct job_status *st = &job->st;

	if (st->timed_out)
		strbuf_addf(out, "timed out after %llu s",
			    (unsigned long long)(job->timeout_ms + 999) / 1000);
	else if (st->cancelled)
		strbuf_addstr(out, "cancelled");
	else if (st->signo)
		{
		const char *abbrev = sigabbrev_np(st->signo);

		if (abbrev)
			strbuf_addf(out, "killed by SIG%s", abbrev);
		else
			strbuf_addf(out, "killed by signal %d", st->signo);
	}
	else
		strbuf_addf(out, "exit %d", st->code);
}
