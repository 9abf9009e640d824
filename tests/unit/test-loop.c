/* test-loop.c - timers fire in order, signals arrive as events, an idle
 * poll has no timeout, fds can be removed from inside callbacks. */
#include "autoconf.h"

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "clock.h"
#include "loop.h"

static char order[16];
static size_t norder;
static int repeats;
static struct loop *L;

static void mark(struct loop_timer *t, void *data)
{
	(void)t;
	order[norder++] = *(const char *)data;
}

static void repeat(struct loop_timer *t, void *data)
{
	(void)data;
	if (++repeats == 3)
		loop_timer_disarm(L, t);
}

static int sigs_seen;
static void on_sig(const struct signalfd_siginfo *si, void *data)
{
	(void)data;
	if (si->ssi_signo == SIGUSR1)
		sigs_seen++;
}

struct pipe_pair {
	int fd[2];
	int reads;
	struct pipe_pair *other;
};

/* Read, then remove the other pipe from the loop (it is also ready). */
static void on_readable(int fd, short revents, void *data)
{
	struct pipe_pair *p = data;
	char c;

	(void)revents;
	if (read(fd, &c, 1) == 1)
		p->reads++;
	if (p->other)
		loop_fd_del(L, p->other->fd[0]);
	loop_fd_del(L, fd);
}

static void timers(void)
{
	struct loop_timer a, b, c, r;
	uint64_t start = now_ms();

	loop_timer_init(&a, mark, "a");
	loop_timer_init(&b, mark, "b");
	loop_timer_init(&c, mark, "c");
	loop_timer_arm(L, &c, 30, 0);
	loop_timer_arm(L, &a, 10, 0);
	loop_timer_arm(L, &b, 20, 0);
	while (norder < 3)
		loop_iterate(L, -1);
	is_str(order, "abc", "one-shot timers fire in deadline order");
	ok(now_ms() - start >= 30, "the last one fired no earlier than its deadline");

	norder = 0;
	memset(order, 0, sizeof order);
	loop_timer_arm(L, &a, 5, 0);
	loop_timer_arm(L, &b, 5, 0);
	loop_timer_arm(L, &c, 15, 0);
	loop_timer_disarm(L, &b);
	while (norder < 2)
		loop_iterate(L, -1);
	is_str(order, "ac", "a disarmed timer does not fire; equal deadlines keep FIFO order");

	loop_timer_init(&r, repeat, NULL);
	loop_timer_arm(L, &r, 1, 2);
	while (repeats < 3)
		loop_iterate(L, -1);
	ok(!r.armed, "a repeating timer fires until disarmed from its own callback");
}

static void signals(void)
{
	is_int(loop_signal_add(L, SIGUSR1, on_sig, NULL), 0, "SIGUSR1 routed through the signalfd");
	raise(SIGUSR1);
	raise(SIGUSR1);
	loop_iterate(L, 1000);
	ok(sigs_seen >= 1, "a raised signal arrives as a loop event, not an async handler");
	is_int(loop_last_timeout(L), 1000, "with no timer armed only the caller's cap bounds the poll");
}

static void idle_and_fds(void)
{
	struct pipe_pair p1 = { .reads = 0 }, p2 = { .reads = 0 };
	int served;

	if (pipe(p1.fd) || pipe(p2.fd))
		return;
	p1.other = &p2;
	p2.other = &p1;
	loop_fd_add(L, p1.fd[0], POLLIN, on_readable, &p1);
	loop_fd_add(L, p2.fd[0], POLLIN, on_readable, &p2);
	is_int(loop_fd_add(L, p1.fd[0], POLLIN, on_readable, &p1), -17, "an fd cannot be added twice (EEXIST)");
	if (write(p1.fd[1], "x", 1) != 1 || write(p2.fd[1], "y", 1) != 1)
		return;
	served = loop_iterate(L, -1);
	is_int(loop_last_timeout(L), -1, "idle poll has no timeout when no timer is armed");
	is_int(served, 1, "an fd removed by an earlier callback in the same round is not dispatched");
	is_int(p1.reads + p2.reads, 1, "exactly one pipe was read");
	/* the removed fds are really gone: nothing left to wait for but a timer */
	{
		struct loop_timer t;
		size_t before = norder;

		loop_timer_init(&t, mark, "z");
		loop_timer_arm(L, &t, 20, 0);
		while (norder == before)
			loop_iterate(L, -1);
		ok(loop_last_timeout(L) >= 0 && loop_last_timeout(L) <= 20,
		   "with a timer armed poll waits no longer than its deadline");
		is_int(order[before], 'z', "the timer fired with the removed fds gone");
	}
	close(p1.fd[0]);
	close(p1.fd[1]);
	close(p2.fd[0]);
	close(p2.fd[1]);
}

static void quit(void)
{
	loop_quit(L, 7);
	is_int(loop_run(L), 7, "loop_run returns the code given to loop_quit");
}

int main(void)
{
	L = loop_new();
	timers();
	signals();
	idle_and_fds();
	quit();
	loop_free(L);
	return done_testing();
}
