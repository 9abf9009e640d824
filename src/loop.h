/* loop.h - the one event loop: poll() over fds, CLOCK_MONOTONIC timers, and
 * signals delivered through a signalfd.
 *
 * Nothing else in flashbay blocks. With no timer armed poll() sleeps with no
 * timeout, so an idle flashbay wakes up zero times per second. Callbacks may
 * add and remove fds and timers, including their own, at any time.
 */
#ifndef FLASHBAY_LOOP_H
#define FLASHBAY_LOOP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/signalfd.h>

struct loop;

typedef void (*loop_fd_fn)(int fd, short revents, void *data);
typedef void (*loop_signal_fn)(const struct signalfd_siginfo *si, void *data);
typedef void (*loop_hook_fn)(void *data);

/* A timer is embedded in its owner's struct; the loop never allocates or
 * frees it. Initialise once, then arm/disarm freely. */
struct loop_timer {
	uint64_t deadline;
	uint64_t interval;
	void (*fn)(struct loop_timer *t, void *data);
	void *data;
	struct loop_timer *next;
	bool armed;
};

struct loop *loop_new(void);
/* Frees the loop; closes the signalfd and restores the signal mask. */
void loop_free(struct loop *loop);

/* Watch fd for events (POLLIN, POLLOUT); fn gets revents. -EEXIST if already watched. */
int loop_fd_add(struct loop *loop, int fd, short events, loop_fd_fn fn, void *data);
int loop_fd_events(struct loop *loop, int fd, short events);
/* Stop watching fd (does not close it). Safe inside callbacks. */
void loop_fd_del(struct loop *loop, int fd);

void loop_timer_init(struct loop_timer *t, void (*fn)(struct loop_timer *, void *), void *data);
/* Fire after delay_ms, then every interval_ms if that is non-zero. Re-arming moves it. */
void loop_timer_arm(struct loop *loop, struct loop_timer *t, uint64_t delay_ms, uint64_t interval_ms);
void loop_timer_disarm(struct loop *loop, struct loop_timer *t);

/* Deliver signo through the loop: it is blocked from now on and read from a
 * signalfd. Several handlers per signal are called in registration order. */
int loop_signal_add(struct loop *loop, int signo, loop_signal_fn fn, void *data);
void loop_signal_del(struct loop *loop, int signo, loop_signal_fn fn, void *data);
/* The set of signals currently routed through the loop (children unblock these). */
void loop_signal_mask(const struct loop *loop, sigset_t *set);

/* Called before each poll(): the place to render coalesced state changes. */
int loop_hook_add(struct loop *loop, loop_hook_fn fn, void *data);
void loop_hook_del(struct loop *loop, loop_hook_fn fn, void *data);

/* Run until loop_quit(); returns the code given to it. */
int loop_run(struct loop *loop);
void loop_quit(struct loop *loop, int code);
bool loop_quitting(const struct loop *loop);
/* One round: hooks, one poll() waiting at most max_wait_ms (-1 = as long as
 * needed), dispatch. Returns the number of fds and timers serviced, or -errno. */
int loop_iterate(struct loop *loop, int max_wait_ms);

/* Statistics for tests and benches. */
uint64_t loop_wakeups(const struct loop *loop);
/* The timeout passed to the last poll() (-1 = none). */
int loop_last_timeout(const struct loop *loop);

#endif
