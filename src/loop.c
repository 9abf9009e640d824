/* loop.c - poll() loop with timers and a signalfd. */
#include "autoconf.h"

#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "xalloc.h"

struct fd_entry {
	int fd;
	short events;
	loop_fd_fn fn;
	void *data;
};

struct sig_handler {
	int signo;
	loop_signal_fn fn;
	void *data;
};

struct hook {
	loop_hook_fn fn;
	void *data;
};

struct loop {
	struct fd_entry *fds;
	size_t nfds, fds_alloc;
	bool fds_dirty; /* dead entries to compact */
	struct pollfd *pfds;
	size_t *pfd_entry; /* pollfd index -> fds index */
	size_t pfds_alloc;

	struct loop_timer *timers; /* sorted by deadline */

	int sigfd;
	sigset_t sigmask, old_mask;
	struct sig_handler *sigs;
	size_t nsigs, sigs_alloc;

	struct hook *hooks;
	size_t nhooks, hooks_alloc;

	bool quit;
	int code;
	uint64_t wakeups;
	int last_timeout;
};

struct loop *loop_new(void)
{
	struct loop *loop = xcalloc(1, sizeof *loop);

	loop->sigfd = -1;
	sigemptyset(&loop->sigmask);
	sigprocmask(SIG_SETMASK, NULL, &loop->old_mask);
	loop->last_timeout = -1;
	return loop;
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	if (loop->sigfd >= 0) {
		close(loop->sigfd);
		sigprocmask(SIG_SETMASK, &loop->old_mask, NULL);
	}
	free(loop->fds);
	free(loop->pfds);
	free(loop->pfd_entry);
	free(loop->sigs);
	free(loop->hooks);
	free(loop);
}

/* Index of the live entry for fd, or -1. */
static long find_fd(struct loop *loop, int fd)
{
	for (size_t i = 0; i < loop->nfds; i++)
		if (loop->fds[i].fd == fd && loop->fds[i].fn)
			return (long)i;
	return -1;
}

int loop_fd_add(struct loop *loop, int fd, short events, loop_fd_fn fn, void *data)
{
	if (fd < 0 || !fn)
		return -EINVAL;
	if (find_fd(loop, fd) >= 0)
		return -EEXIST;
	loop->fds = xgrow(loop->fds, &loop->fds_alloc, loop->nfds + 1, sizeof *loop->fds);
	loop->fds[loop->nfds++] = (struct fd_entry){ fd, events, fn, data };
	return 0;
}

int loop_fd_events(struct loop *loop, int fd, short events)
{
	long i = find_fd(loop, fd);

	if (i < 0)
		return -ENOENT;
	loop->fds[i].events = events;
	return 0;
}

void loop_fd_del(struct loop *loop, int fd)
{
	long i = find_fd(loop, fd);

	if (i < 0)
		return;
	/* compacted after dispatch, so indices stay valid during a round */
	loop->fds[i].fn = NULL;
	loop->fds[i].fd = -1;
	loop->fds_dirty = true;
}

/* Drop dead fd entries. */
static void compact_fds(struct loop *loop)
{
	size_t o = 0;

	for (size_t i = 0; i < loop->nfds; i++)
		if (loop->fds[i].fn)
			loop->fds[o++] = loop->fds[i];
	loop->nfds = o;
	loop->fds_dirty = false;
}

void loop_timer_init(struct loop_timer *t, void (*fn)(struct loop_timer *, void *), void *data)
{
	memset(t, 0, sizeof *t);
	t->fn = fn;
	t->data = data;
}

/* Insert t into the sorted list (after equal deadlines: FIFO order). */
static void timer_insert(struct loop *loop, struct loop_timer *t)
{
	struct loop_timer **pp = &loop->timers;

	while (*pp && (*pp)->deadline <= t->deadline)
		pp = &(*pp)->next;
	t->next = *pp;
	*pp = t;
	t->armed = true;
}

void loop_timer_disarm(struct loop *loop, struct loop_timer *t)
{
	if (!t->armed)
		return;
	for (struct loop_timer **pp = &loop->timers; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->next = NULL;
	t->armed = false;
}

void loop_timer_arm(struct loop *loop, struct loop_timer *t, uint64_t delay_ms, uint64_t interval_ms)
{
	loop_timer_disarm(loop, t);
	t->deadline = now_ms() + delay_ms;
	t->interval = interval_ms;
	timer_insert(loop, t);
}

/* Run every timer whose deadline has passed; returns how many ran. */
static int run_timers(struct loop *loop)
{
	uint64_t now = now_ms();
	int n = 0;

	while (loop->timers && loop->timers->deadline <= now && !loop->quit) {
		struct loop_timer *t = loop->timers;

		loop->timers = t->next;
		t->next = NULL;
		t->armed = false;
		if (t->interval) {
			t->deadline += t->interval;
			if (t->deadline <= now)
				t->deadline = now + t->interval;
			timer_insert(loop, t);
		}
		t->fn(t, t->data);
		n++;
	}
	return n;
}

/* Read and dispatch every pending signal. */
static void on_signalfd(int fd, short revents, void *data)
{
	struct loop *loop = data;
	struct signalfd_siginfo si;

	(void)revents;
	while (read(fd, &si, sizeof si) == (ssize_t)sizeof si) {
		for (size_t i = 0; i < loop->nsigs; i++)
			if (loop->sigs[i].signo == (int)si.ssi_signo && loop->sigs[i].fn)
				loop->sigs[i].fn(&si, loop->sigs[i].data);
	}
}

int loop_signal_add(struct loop *loop, int signo, loop_signal_fn fn, void *data)
{
	sigset_t one;
	int fd;

	sigemptyset(&one);
	sigaddset(&one, signo);
	if (sigprocmask(SIG_BLOCK, &one, NULL) < 0)
		return -errno;
	sigaddset(&loop->sigmask, signo);
	fd = signalfd(loop->sigfd, &loop->sigmask, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (loop->sigfd < 0) {
		loop->sigfd = fd;
		loop_fd_add(loop, fd, POLLIN, on_signalfd, loop);
	}
	loop->sigs = xgrow(loop->sigs, &loop->sigs_alloc, loop->nsigs + 1, sizeof *loop->sigs);
	loop->sigs[loop->nsigs++] = (struct sig_handler){ signo, fn, data };
	return 0;
}

void loop_signal_del(struct loop *loop, int signo, loop_signal_fn fn, void *data)
{
	for (size_t i = 0; i < loop->nsigs; i++) {
		struct sig_handler *h = &loop->sigs[i];

		if (h->signo == signo && h->fn == fn && h->data == data) {
			/* keep the signal blocked: unblocking could kill us by default action */
			h->fn = NULL;
			return;
		}
	}
}

void loop_signal_mask(const struct loop *loop, sigset_t *set)
{
	*set = loop->sigmask;
}

int loop_hook_add(struct loop *loop, loop_hook_fn fn, void *data)
{
	loop->hooks = xgrow(loop->hooks, &loop->hooks_alloc, loop->nhooks + 1, sizeof *loop->hooks);
	loop->hooks[loop->nhooks++] = (struct hook){ fn, data };
	return 0;
}

void loop_hook_del(struct loop *loop, loop_hook_fn fn, void *data)
{
	for (size_t i = 0; i < loop->nhooks; i++) {
		if (loop->hooks[i].fn == fn && loop->hooks[i].data == data) {
			memmove(&loop->hooks[i], &loop->hooks[i + 1],
				(loop->nhooks - i - 1) * sizeof *loop->hooks);
			loop->nhooks--;
			return;
		}
	}
}

/* Build the pollfd array from the live entries. */
static size_t build_pollfds(struct loop *loop)
{
	size_t n = 0;

	if (loop->fds_dirty)
		compact_fds(loop);
	if (loop->nfds > loop->pfds_alloc) {
		size_t a = loop->pfds_alloc;

		loop->pfds = xgrow(loop->pfds, &a, loop->nfds, sizeof *loop->pfds);
		loop->pfd_entry = xrealloc(loop->pfd_entry, a * sizeof *loop->pfd_entry);
		loop->pfds_alloc = a;
	}
	for (size_t i = 0; i < loop->nfds; i++) {
		loop->pfds[n] = (struct pollfd){ loop->fds[i].fd, loop->fds[i].events, 0 };
		loop->pfd_entry[n++] = i;
	}
	return n;
}

/* Milliseconds until the first timer, capped by max_wait (-1 = none). */
static int poll_timeout(struct loop *loop, int max_wait)
{
	int t = -1;

	if (loop->timers) {
		uint64_t now = now_ms(), d = loop->timers->deadline;

		t = d <= now ? 0 : (d - now > 86400000u ? 86400000 : (int)(d - now));
	}
	if (max_wait >= 0 && (t < 0 || t > max_wait))
		t = max_wait;
	return t;
}

int loop_iterate(struct loop *loop, int max_wait_ms)
{
	size_t n;
	int r, serviced = 0;

	for (size_t i = 0; i < loop->nhooks && !loop->quit; i++)
		loop->hooks[i].fn(loop->hooks[i].data);
	if (loop->quit)
		return 0;
	n = build_pollfds(loop);
	loop->last_timeout = poll_timeout(loop, max_wait_ms);
	r = poll(loop->pfds, n, loop->last_timeout);
	loop->wakeups++;
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	for (size_t i = 0; i < n && r > 0 && !loop->quit; i++) {
		struct fd_entry *e;

		if (!loop->pfds[i].revents)
			continue;
		r--;
		e = &loop->fds[loop->pfd_entry[i]];
		if (!e->fn) /* removed by an earlier callback this round */
			continue;
		e->fn(e->fd, loop->pfds[i].revents, e->data);
		serviced++;
	}
	serviced += run_timers(loop);
	return serviced;
}

int loop_run(struct loop *loop)
{
	while (!loop->quit) {
		int r = loop_iterate(loop, -1);

		if (r < 0)
			return 1;
	}
	loop->quit = false;
	return loop->code;
}

void loop_quit(struct loop *loop, int code)
{
	loop->quit = true;
	loop->code = code;
}

bool loop_quitting(const struct loop *loop)
{
	return loop->quit;
}

uint64_t loop_wakeups(const struct loop *loop)
{
	return loop->wakeups;
}

int loop_last_timeout(const struct loop *loop)
{
	return loop->last_timeout;
}
