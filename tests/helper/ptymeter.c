/* ptymeter.c - run a command on a new pty of a given size and count the
 * bytes it writes to its terminal (testing guide §4).
 *
 *   ptymeter [OPTIONS] COLS ROWS SECONDS -- CMD ARGS...
 *
 * Prints one line of name=value figures when SECONDS have passed (or CMD
 * ended), then sends CMD SIGTERM and reaps it:
 *   first_second   bytes in the first second (the initial paint)
 *   steady_per_s   bytes per second after the first second
 *   total          all bytes
 *   first_ms       ms until TEXT (--until) first appeared in the output
 *   window_bytes   bytes in the window (--window),
 *   window_ctxsw   CMD's voluntary context switches in it (its wake-ups)
 *   window_ms      how long the window lasted (0: it never opened; shorter
 *                  than asked if CMD ended or SECONDS ran out first)
 *   exited         1 if CMD ended before SECONDS
 * Options:
 *   --until TEXT       time the first appearance of TEXT (e.g. the last
 *                      text of a complete first frame)
 *   --send MS:TEXT     write TEXT to the terminal MS ms after TEXT of
 *                      --until appeared (or after start); repeatable;
 *                      \r, \n and \e escapes are understood
 *   --window FROM:TO   count bytes and context switches between FROM and
 *                      TO seconds after start
 *   --settle MS        start the window only once the output has been
 *                      quiet for MS ms (after FROM)
 *   --out FILE         also write everything CMD wrote to FILE
 * Exit status: 0, or 2 on usage errors.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_SENDS 16

struct send {
	long at_ms;
	char text[256];
	size_t len;
	bool done;
};

struct meter {
	int cols, rows;
	double seconds;
	const char *until;
	struct send sends[MAX_SENDS];
	int nsends;
	double win_from, win_to;
	long settle_ms;
	FILE *out;
	/* measured */
	long long first, total, window_bytes;
	long long window_ctx0, window_ctxsw;
	long first_ms;
	bool in_window, window_done, exited;
	long window_start_ms, window_ms, last_output_ms;
	char tail[512]; /* the last output, to find --until across reads */
	size_t tail_len;
};

/* Milliseconds since the first call. */
static long ms_now(void)
{
	static struct timespec t0;
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	if (!t0.tv_sec && !t0.tv_nsec)
		t0 = t;
	return (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
}

/* Voluntary context switches of pid's main thread, or -1. */
static long long ctxsw(pid_t pid)
{
	char path[64], line[256];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "voluntary_ctxt_switches: %lld", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* Decode \r, \n, \e and \\ into out; returns the length. */
static size_t unescape(const char *in, char *out, size_t cap)
{
	size_t n = 0;

	for (; *in && n < cap; in++) {
		if (*in != '\\' || !in[1]) {
			out[n++] = *in;
			continue;
		}
		in++;
		out[n++] = *in == 'r' ? '\r' : *in == 'n' ? '\n' : *in == 'e' ? '\033' : *in;
	}
	return n;
}

/* The usage line; exit status 2. */
static int usage(void)
{
	fprintf(stderr, "usage: ptymeter [--until TEXT] [--send MS:TEXT]... [--window FROM:TO] "
			"[--settle MS] [--out FILE] COLS ROWS SECONDS -- CMD ARGS...\n");
	return 2;
}

/* Parse the options; returns the index of CMD in argv, or -1. */
static int parse(struct meter *m, int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-' && argv[i][2]; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!v)
			return -1;
		i++;
		if (!strcmp(o, "--until")) {
			m->until = v;
		} else if (!strcmp(o, "--send") && m->nsends < MAX_SENDS && strchr(v, ':')) {
			struct send *s = &m->sends[m->nsends++];

			s->at_ms = atol(v);
			s->len = unescape(strchr(v, ':') + 1, s->text, sizeof s->text);
		} else if (!strcmp(o, "--window") && strchr(v, ':')) {
			m->win_from = atof(v);
			m->win_to = atof(strchr(v, ':') + 1);
		} else if (!strcmp(o, "--settle")) {
			m->settle_ms = atol(v);
		} else if (!strcmp(o, "--out")) {
			m->out = fopen(v, "w");
			if (!m->out)
				return -1;
		} else {
			return -1;
		}
	}
	if (argc - i < 5 || strcmp(argv[i + 3], "--"))
		return -1;
	m->cols = atoi(argv[i]);
	m->rows = atoi(argv[i + 1]);
	m->seconds = atof(argv[i + 2]);
	if (m->cols <= 0 || m->rows <= 0 || m->seconds <= 0)
		return -1;
	return i + 4;
}

/* Account n bytes read at time now. */
static void count(struct meter *m, const char *buf, size_t n, long now)
{
	m->total += (long long)n;
	if (now < 1000)
		m->first += (long long)n;
	if (m->in_window)
		m->window_bytes += (long long)n;
	m->last_output_ms = now;
	if (m->out)
		fwrite(buf, 1, n, m->out);
	if (m->until && m->first_ms < 0) {
		/* keep the end of the output so TEXT split over two reads is found */
		size_t keep = n < sizeof m->tail - 1 ? n : sizeof m->tail - 1;

		if (m->tail_len + keep > sizeof m->tail - 1) {
			size_t drop = m->tail_len + keep - (sizeof m->tail - 1);

			memmove(m->tail, m->tail + drop, m->tail_len - drop);
			m->tail_len -= drop;
		}
		memcpy(m->tail + m->tail_len, buf + n - keep, keep);
		m->tail_len += keep;
		m->tail[m->tail_len] = '\0';
		if (memmem(m->tail, m->tail_len, m->until, strlen(m->until)))
			m->first_ms = now;
	}
}

/* Open or close the measurement window. */
static void window(struct meter *m, pid_t pid, long now)
{
	if (m->win_to <= 0 || m->window_done)
		return;
	if (!m->in_window && now >= (long)(m->win_from * 1000) &&
	    now - m->last_output_ms >= m->settle_ms) {
		m->in_window = true;
		m->window_start_ms = now;
		m->window_ctx0 = ctxsw(pid);
	}
	if (m->in_window && now - m->window_start_ms >= (long)((m->win_to - m->win_from) * 1000)) {
		m->window_ctxsw = ctxsw(pid) - m->window_ctx0;
		m->window_ms = now - m->window_start_ms;
		m->in_window = false;
		m->window_done = true;
	}
}

/* Write the --send texts that are due. */
static void sends(struct meter *m, int master, long now)
{
	long base = m->until ? m->first_ms : 0;

	if (base < 0)
		return;
	for (int i = 0; i < m->nsends; i++) {
		struct send *s = &m->sends[i];

		if (!s->done && now >= base + s->at_ms) {
			s->done = true;
			if (write(master, s->text, s->len) < 0)
				perror("ptymeter: write");
		}
	}
}

/* Read the pty until SECONDS are up or the program ends. */
static void run(struct meter *m, int master, pid_t pid)
{
	char buf[65536];

	for (;;) {
		long now = ms_now();
		struct pollfd p = { master, POLLIN, 0 };
		ssize_t n;

		if (now >= (long)(m->seconds * 1000))
			break;
		sends(m, master, now);
		window(m, pid, now);
		if (poll(&p, 1, 10) <= 0)
			continue;
		n = read(master, buf, sizeof buf);
		if (n <= 0) {
			/* EIO: the program closed its terminal (it ended) */
			m->exited = true;
			break;
		}
		count(m, buf, (size_t)n, ms_now());
	}
}

int main(int argc, char **argv)
{
	struct meter m = { .first_ms = -1 };
	int cmd = parse(&m, argc, argv), master;
	struct winsize ws;
	pid_t pid;

	if (cmd < 0)
		return usage();
	ws = (struct winsize){ .ws_row = (unsigned short)m.rows, .ws_col = (unsigned short)m.cols };
	ms_now();
	pid = forkpty(&master, NULL, NULL, &ws);
	if (pid < 0) {
		perror("ptymeter: forkpty");
		return 1;
	}
	if (pid == 0) {
		execvp(argv[cmd], argv + cmd);
		fprintf(stderr, "ptymeter: cannot run '%s': %s\n", argv[cmd], strerror(errno));
		_exit(127);
	}
	run(&m, master, pid);
	if (m.in_window) { /* cut short: what was seen so far */
		m.window_ctxsw = ctxsw(pid) - m.window_ctx0;
		m.window_ms = ms_now() - m.window_start_ms;
	}
	printf("first_second=%lld steady_per_s=%lld total=%lld first_ms=%ld window_bytes=%lld "
	       "window_ctxsw=%lld window_ms=%ld exited=%d\n",
	       m.first, m.seconds > 1 ? (long long)((double)(m.total - m.first) / (m.seconds - 1)) : 0,
	       m.total, m.first_ms, m.window_bytes, m.window_ctxsw, m.window_ms, m.exited);
	fflush(stdout);
	kill(pid, SIGTERM);
	/* drain so the program is never blocked writing while it shuts down */
	for (;;) {
		char buf[4096];
		struct pollfd p = { master, POLLIN, 0 };

		if (waitpid(pid, NULL, WNOHANG) == pid)
			break;
		if (poll(&p, 1, 50) > 0 && read(master, buf, sizeof buf) <= 0) {
			waitpid(pid, NULL, 0);
			break;
		}
	}
	if (m.out)
		fclose(m.out);
	close(master);
	return 0;
}
