/* teststep.c - the test after flashing: [test] validation, and reading the
 * board's own self-test from its port inside the poll loop (teststep.h). */
#include "autoconf.h"

#include "teststep.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "array.h"
#include "clock.h"
#include "config.h"
#include "lines.h"
#include "loop.h"
#include "xalloc.h"

/* The rates termios can set, and their speed_t. */
static const struct {
	unsigned baud;
	speed_t speed;
} rates[] = {
	{ 300, B300 },         { 600, B600 },         { 1200, B1200 },       { 2400, B2400 },
	{ 4800, B4800 },       { 9600, B9600 },       { 19200, B19200 },     { 38400, B38400 },
	{ 57600, B57600 },     { 115200, B115200 },   { 230400, B230400 },   { 460800, B460800 },
	{ 500000, B500000 },   { 576000, B576000 },   { 921600, B921600 },   { 1000000, B1000000 },
	{ 1152000, B1152000 }, { 1500000, B1500000 }, { 2000000, B2000000 }, { 2500000, B2500000 },
	{ 3000000, B3000000 }, { 3500000, B3500000 }, { 4000000, B4000000 },
};

/* speed_t of baud, or B0 if termios has none. */
static speed_t speed_of(unsigned baud)
{
	for (size_t i = 0; i < ARRAY_SIZE(rates); i++)
		if (rates[i].baud == baud)
			return rates[i].speed;
	return B0;
}

bool test_baud_ok(unsigned baud)
{
	return speed_of(baud) != B0;
}

bool test_enabled(const struct config *cfg)
{
	return cfg->test_on != 1 && cfg->test_pass && *cfg->test_pass;
}

int test_regex_check(const char *re, struct strbuf *err)
{
	regex_t rx;
	char why[256];
	int r = regcomp(&rx, re, REG_EXTENDED | REG_NOSUB);

	if (!r) {
		regfree(&rx);
		return 0;
	}
	regerror(r, &rx, why, sizeof why);
	strbuf_addstr(err, why);
	return -EINVAL;
}

int test_config_check(const struct config *cfg, struct strbuf *err)
{
	bool pass = cfg->test_pass && *cfg->test_pass;

	if (!test_baud_ok(cfg->test_baud)) {
		strbuf_addf(err, "flashbay: [test] baud: %u is not a rate a serial port can be set to (e.g. 9600, 115200, 921600)\n",
			    cfg->test_baud);
		return -EINVAL;
	}
	if (cfg->test_on == 1 || pass)
		return 0;
	if (cfg->test_on == 2 || (cfg->test_send && *cfg->test_send) ||
	    (cfg->test_fail && *cfg->test_fail)) {
		strbuf_addstr(err, "flashbay: [test] has no pass: the test after flashing needs a pass regular expression (or enabled = no)\n");
		return -EINVAL;
	}
	return 0;
}

struct teststep {
	struct loop *loop;
	int fd;
	struct loop_timer timer;
	regex_t pass, fail;
	bool has_pass, has_fail;  /* compiled */
	bool over;                 /* a result is known: read nothing more */
	enum test_result result;
	char message[TEST_LINE_MAX + 64];
	struct lines ls;
	char last[TEST_LINE_MAX + 1]; /* the last line read */
	uint64_t deadline;
	const struct teststep_ops *ops;
	void *data;
};

/* Decide r (once): stop reading; the callback comes from deliver(). */
static void decide(struct teststep *ts, enum test_result r, const char *message)
{
	if (ts->over)
		return;
	ts->over = true;
	ts->result = r;
	snprintf(ts->message, sizeof ts->message, "%s", message);
	loop_timer_disarm(ts->loop, &ts->timer);
	loop_fd_del(ts->loop, ts->fd);
}

/* Tell the owner, as the last thing done (it may free ts). */
static void deliver(struct teststep *ts)
{
	ts->ops->done(ts->data, ts->result, ts->message);
}

/* One complete line: the owner hears it, then fail, then pass is tried. */
static void on_line(const char *line, size_t len, bool partial, void *data)
{
	struct teststep *ts = data;

	(void)len;
	if (partial || ts->over)
		return;
	snprintf(ts->last, sizeof ts->last, "%s", line);
	ts->ops->line(ts->data, line);
	if (ts->has_fail && !regexec(&ts->fail, line, 0, NULL, 0))
		decide(ts, TEST_FAIL, line);
	else if (!regexec(&ts->pass, line, 0, NULL, 0))
		decide(ts, TEST_PASS, line);
}

/* Read what is there; the port failing or hanging up ends the test. */
static void on_readable(int fd, short revents, void *data)
{
	struct teststep *ts = data;
	char buf[1024];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);

		if (n > 0) {
			lines_feed(&ts->ls, buf, (size_t)n, on_line, ts);
			if (ts->over)
				break;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && !(revents & (POLLHUP | POLLERR)))
			return;
		decide(ts, TEST_GONE, n == 0 || errno == EAGAIN ? "the port hung up"
					     : strerror(errno));
		break;
	}
	deliver(ts);
}

static void on_timeout(struct loop_timer *t, void *data)
{
	struct teststep *ts = data;

	(void)t;
	decide(ts, TEST_TIMEOUT, ts->last);
	deliver(ts);
}

/* Raw, 8N1, at baud; reads never wait (O_NONBLOCK, VMIN 1 so an idle port
 * says EAGAIN and a hung-up one says 0). */
static int setup_port(int fd, unsigned baud)
{
	struct termios tio;

	if (tcgetattr(fd, &tio) < 0)
		return -errno;
	cfmakeraw(&tio);
	tio.c_cflag |= CLOCAL | CREAD;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (cfsetispeed(&tio, speed_of(baud)) < 0 || cfsetospeed(&tio, speed_of(baud)) < 0 ||
	    tcsetattr(fd, TCSANOW, &tio) < 0)
		return -errno;
	return 0;
}

/* Open the port and write send + "\n" (a short line: one write fits the
 * tty's buffer). */
static int open_port(struct teststep *ts, const struct config *cfg, const char *port,
		     struct strbuf *err)
{
	int r;

	ts->fd = open(port, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (ts->fd < 0) {
		strbuf_addf(err, "cannot open %s for the test: %s", port, strerror(errno));
		return -1;
	}
	r = setup_port(ts->fd, cfg->test_baud);
	/* release DTR and RTS together (as idf.py monitor does): opening the port
	 * raised both, and a board whose RTS drives EN directly would be held in
	 * reset; the usual two-transistor circuit runs either way. A port with
	 * no modem lines (a pty) says ENOTTY/EINVAL: nothing to release. */
	if (!r)
		ioctl(ts->fd, TIOCMBIC, &(int){ TIOCM_DTR | TIOCM_RTS });
	if (r < 0) {
		strbuf_addf(err, "cannot set up %s for the test: %s", port, strerror(-r));
		return -1;
	}
	if (cfg->test_send && *cfg->test_send) {
		char *line = xasprintf("%s\n", cfg->test_send);
		ssize_t n = write(ts->fd, line, strlen(line));

		r = n == (ssize_t)strlen(line) ? 0 : n < 0 ? errno : EAGAIN;
		free(line);
		if (r) {
			strbuf_addf(err, "cannot send the test line to %s: %s", port, strerror(r));
			return -1;
		}
	}
	return 0;
}

/* Both expressions (checked at load, so this only fails on memory). */
static int compile(struct teststep *ts, const struct config *cfg, struct strbuf *err)
{
	if (regcomp(&ts->pass, cfg->test_pass, REG_EXTENDED | REG_NOSUB)) {
		strbuf_addstr(err, "cannot compile [test] pass");
		return -1;
	}
	ts->has_pass = true;
	ts->has_fail = cfg->test_fail && *cfg->test_fail;
	if (ts->has_fail && regcomp(&ts->fail, cfg->test_fail, REG_EXTENDED | REG_NOSUB)) {
		ts->has_fail = false;
		strbuf_addstr(err, "cannot compile [test] fail");
		return -1;
	}
	return 0;
}

struct teststep *teststep_start(struct loop *loop, const struct config *cfg, const char *port,
				const struct teststep_ops *ops, void *data, struct strbuf *err)
{
	struct teststep *ts = xcalloc(1, sizeof *ts);

	ts->loop = loop;
	ts->fd = -1;
	ts->ops = ops;
	ts->data = data;
	ts->over = true; /* nothing to undo yet */
	lines_init(&ts->ls, TEST_LINE_MAX);
	loop_timer_init(&ts->timer, on_timeout, ts);
	if (compile(ts, cfg, err) < 0) {
		teststep_free(ts);
		return NULL;
	}
	if (open_port(ts, cfg, port, err) < 0 ||
	    loop_fd_add(loop, ts->fd, POLLIN, on_readable, ts) < 0) {
		teststep_free(ts);
		return NULL;
	}
	ts->over = false;
	ts->deadline = now_ms() + cfg->test_timeout_ms;
	loop_timer_arm(loop, &ts->timer, cfg->test_timeout_ms, 0);
	return ts;
}

uint64_t teststep_deadline(const struct teststep *ts)
{
	return ts->deadline;
}

void teststep_free(struct teststep *ts)
{
	if (!ts)
		return;
	if (!ts->over) {
		loop_timer_disarm(ts->loop, &ts->timer);
		loop_fd_del(ts->loop, ts->fd);
	}
	if (ts->fd >= 0)
		close(ts->fd);
	lines_release(&ts->ls);
	if (ts->has_pass)
		regfree(&ts->pass);
	if (ts->has_fail)
		regfree(&ts->fail);
	free(ts);
}
