/* service.c - systemctl stop/start of the printer services, and the guard. */
#include "autoconf.h"

#include "service.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "array.h"
#include "clock.h"
#include "config.h"
#include "fd.h"
#include "parse.h"
#include "path.h"
#include "xalloc.h"

#define GUARD_FD 3

bool service_need_sudo(void)
{
	const char *fake = getenv("FLASHBAY_EUID");
	long euid;

	if (fake && *fake && !parse_long(fake, 0, 0x7fffffff, &euid))
		return euid != 0;
	return geteuid() != 0;
}

void service_command(const struct config *cfg, const char *verb, struct strvec *argv)
{
	if (service_need_sudo()) {
		strvec_push(argv, "sudo");
		strvec_push(argv, "-n");
	}
	strvec_push(argv, "systemctl");
	strvec_push(argv, verb);
	for (size_t i = 0; i < cfg->services.n; i++)
		strvec_push(argv, cfg->services.v[i]);
}

void service_spec(const struct config *cfg, const char *verb, struct job_spec *spec)
{
	service_command(cfg, verb, &spec->argv);
	spec->timeout_ms = cfg->service_timeout_ms;
}

char *service_names(const struct config *cfg)
{
	return strvec_join(&cfg->services, " ");
}

void service_failure_message(const struct config *cfg, const char *verb, const char *status,
			     const char *last_line, struct strbuf *out)
{
	struct strvec cmd = STRVEC_INIT;
	char *names = service_names(cfg), *line;

	service_command(cfg, verb, &cmd);
	line = strvec_join(&cmd, " ");
	strbuf_addf(out, "FAILED to %s the printer service %s (%s)%s%s%s; run by hand: %s", verb,
		    names, status, last_line && *last_line ? ": '" : "", last_line ? last_line : "",
		    last_line && *last_line ? "'" : "", line);
	free(line);
	free(names);
	strvec_release(&cmd);
}

/* ------------------------------------------------------------ parent side */

struct service_guard {
	pid_t pid;
	int fd;
	bool ready, gone, reaped;
	char buf[64];
	size_t len;
};

/* The guard's argv: exe _service-guard --fd 3 --log FILE --timeout MS -- start command. */
static void guard_argv(const struct config *cfg, const char *exe, struct strvec *argv)
{
	strvec_push(argv, exe);
	strvec_push(argv, "_service-guard");
	strvec_push(argv, "--fd");
	strvec_pushf(argv, "%d", GUARD_FD);
	strvec_push(argv, "--log");
	strvec_pushf(argv, "%s/service-guard.log", cfg->log_dir);
	strvec_push(argv, "--timeout");
	strvec_pushf(argv, "%llu", (unsigned long long)cfg->service_timeout_ms);
	strvec_push(argv, "--");
	service_command(cfg, "start", argv);
}

/* In the forked child: new session, clean signals, socket on fd 3, exec. */
static void guard_child(char **argv, int sock, int errfd)
{
	sigset_t none;
	int nul, e;

	setsid();
	for (int s = 1; s < NSIG; s++)
		if (s != SIGKILL && s != SIGSTOP)
			signal(s, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	nul = open("/dev/null", O_RDWR);
	/* no stdout: a caller capturing our output must not wait for the guard */
	if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(sock, GUARD_FD) < 0)
		goto fail;
	execv(argv[0], argv);
fail:
	e = errno;
	if (write(errfd, &e, sizeof e) < 0)
		_exit(127);
	_exit(127);
}

/* fork + exec the guard; the exec error (if any) comes back through a pipe. */
static int guard_spawn(char **argv, int sock, pid_t *pid)
{
	int ep[2], e = 0;
	sigset_t all, old;
	ssize_t n;

	if (pipe2(ep, O_CLOEXEC) < 0)
		return -errno;
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	*pid = fork();
	if (*pid == 0) {
		close(ep[0]);
		guard_child(argv, sock, ep[1]);
	}
	e = *pid < 0 ? errno : 0;
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(ep[1]);
	if (*pid < 0) {
		close(ep[0]);
		return -e;
	}
	do
		n = read(ep[0], &e, sizeof e);
	while (n < 0 && errno == EINTR);
	close(ep[0]);
	if (n == (ssize_t)sizeof e) {
		waitpid(*pid, NULL, 0);
		return -e;
	}
	return 0;
}

int service_guard_start(const struct config *cfg, const struct service_guard_opts *opts,
			struct service_guard **out, struct strbuf *err)
{
	struct strvec argv = STRVEC_INIT;
	const char *exe = opts && opts->exe ? opts->exe : "/proc/self/exe";
	struct service_guard *g;
	int sv[2], r;
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		strbuf_addf(err, "cannot start the service guard: %s", strerror(-r));
		return r;
	}
	guard_argv(cfg, exe, &argv);
	r = guard_spawn(argv.v, sv[1], &pid);
	close(sv[1]);
	strvec_release(&argv);
	if (r) {
		close(sv[0]);
		strbuf_addf(err, "cannot start the service guard '%s _service-guard': %s", exe,
			    strerror(-r));
		return r;
	}
	fd_set_nonblock(sv[0]);
	g = xcalloc(1, sizeof *g);
	g->pid = pid;
	g->fd = sv[0];
	*out = g;
	return 0;
}

int service_guard_fd(const struct service_guard *g)
{
	return g->fd;
}

pid_t service_guard_pid(const struct service_guard *g)
{
	return g->pid;
}

/* Reap the guard if it has ended. */
static void guard_reap(struct service_guard *g)
{
	if (!g->reaped && waitpid(g->pid, NULL, WNOHANG) == g->pid) {
		g->reaped = true;
		g->gone = true;
	}
}

enum service_guard_state service_guard_poll(struct service_guard *g)
{
	while (!g->gone && g->fd >= 0) {
		ssize_t n = read(g->fd, g->buf + g->len, sizeof g->buf - 1 - g->len);

		if (n > 0) {
			g->len += (size_t)n;
			g->buf[g->len] = '\0';
			if (strstr(g->buf, "ready\n"))
				g->ready = true;
			if (g->len >= sizeof g->buf - 1)
				g->len = 0; /* it only ever says "ready" */
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno != EAGAIN)
			g->gone = true;
		break;
	}
	guard_reap(g);
	if (g->gone)
		return SERVICE_GUARD_GONE;
	return g->ready ? SERVICE_GUARD_READY : SERVICE_GUARD_STARTING;
}

bool service_guard_alive(struct service_guard *g)
{
	return service_guard_poll(g) == SERVICE_GUARD_READY;
}

int service_guard_done(struct service_guard *g)
{
	ssize_t n;

	if (g->fd < 0)
		return -EBADF;
	/* MSG_NOSIGNAL: a guard that is gone must not kill us with SIGPIPE */
	do
		n = send(g->fd, "done\n", 5, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	return n == 5 ? 0 : n < 0 ? -errno : -EIO;
}

void service_guard_free(struct service_guard *g)
{
	if (!g)
		return;
	if (g->fd >= 0)
		close(g->fd);
	guard_reap(g);
	free(g);
}

/* ------------------------------------------------------------ the guard process */

static volatile sig_atomic_t guard_term, guard_alarm;

/* SIGTERM: act as if flashbay ended; SIGALRM: the start command timed out. */
static void on_guard_signal(int sig)
{
	if (sig == SIGTERM)
		guard_term = 1;
	else
		guard_alarm = 1;
}

/* What the guard was started with. */
struct guard {
	int fd;
	const char *log;
	unsigned long timeout_ms;
	char **cmd;
	pid_t flashbay;
	char names[512];
};

/* One line, to stderr and to the log file (created 0600 with its folder). */
static void guard_say(const struct guard *gd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void guard_say(const struct guard *gd, const char *fmt, ...)
{
	struct strbuf msg = STRBUF_INIT;
	char when[32], *dir;
	va_list ap;
	int fd;

	va_start(ap, fmt);
	strbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (write_all(STDERR_FILENO, "flashbay: ", 10) == 0) {
		(void)write_all(STDERR_FILENO, msg.buf, msg.len);
		(void)write_all(STDERR_FILENO, "\n", 1);
	}
	dir = path_dirname(gd->log);
	mkdir_p(dir, 0700);
	free(dir);
	fd = open(gd->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd >= 0) {
		struct strbuf line = STRBUF_INIT;

		format_iso8601(wall_ms(), when);
		strbuf_addf(&line, "%s flashbay-guard[%ld]: %s\n", when, (long)getpid(), msg.buf);
		(void)write_all(fd, line.buf, line.len);
		strbuf_release(&line);
		close(fd);
	}
	strbuf_release(&msg);
}

/* Read the socket until it closes; true if "done" was said. */
static bool guard_wait(struct guard *gd)
{
	char buf[256];
	struct strbuf got = STRBUF_INIT;
	bool done;

	for (;;) {
		ssize_t n = read(gd->fd, buf, sizeof buf);

		if (n > 0) {
			strbuf_add(&got, buf, (size_t)n);
			if (strstr(got.buf, "done\n"))
				break;
			if (got.len > 4096)
				strbuf_reset(&got);
			continue;
		}
		if (n < 0 && errno == EINTR && !guard_term)
			continue;
		break; /* EOF: flashbay is gone; or SIGTERM */
	}
	done = !guard_term && strstr(got.buf, "done\n");
	strbuf_release(&got);
	return done;
}

/* Copy the command's output to stderr and out until EOF; SIGALRM kills it. */
static void guard_collect(int fd, pid_t pid, struct strbuf *out)
{
	char buf[512];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof buf);

		if (n > 0) {
			(void)write_all(STDERR_FILENO, buf, (size_t)n);
			if (out->len < 2048)
				strbuf_add(out, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR && guard_alarm) {
			guard_alarm = 0;
			strbuf_addstr(out, "(timed out)\n");
			kill(-pid, SIGKILL);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		break;
	}
}

/* Run the start command with the timeout; its output to stderr and into out. */
static int guard_run(struct guard *gd, struct strbuf *out)
{
	int p[2], status = 0;
	pid_t pid;

	if (pipe2(p, O_CLOEXEC) < 0)
		return -errno;
	pid = fork();
	if (pid == 0) {
		int nul = open("/dev/null", O_RDONLY);

		setpgid(0, 0);
		if (nul < 0 || dup2(nul, 0) < 0 || dup2(p[1], 1) < 0 || dup2(p[1], 2) < 0)
			_exit(127);
		execvp(gd->cmd[0], gd->cmd);
		dprintf(2, "cannot run '%s': %s\n", gd->cmd[0], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	if (pid < 0) {
		close(p[0]);
		return -errno;
	}
	alarm((unsigned)((gd->timeout_ms + 999) / 1000));
	guard_collect(p[0], pid, out);
	alarm(0);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* flashbay ended without "done": start the services and say so, loudly. */
static int guard_restart(struct guard *gd)
{
	struct strbuf out = STRBUF_INIT;
	int rc;

	guard_say(gd, "flashbay (pid %ld) ended without restarting the printer service %s: starting it now",
		  (long)gd->flashbay, gd->names);
	rc = guard_run(gd, &out);
	strbuf_trim(&out);
	for (char *c = out.buf; *c; c++)
		if (*c == '\n' || (unsigned char)*c < ' ')
			*c = ' ';
	if (rc == 0) {
		guard_say(gd, "printer service %s started again", gd->names);
	} else {
		struct strbuf line = STRBUF_INIT;

		for (char **w = gd->cmd; *w; w++)
			strbuf_addf(&line, "%s%s", w == gd->cmd ? "" : " ", *w);
		guard_say(gd, "FAILED to start the printer service %s again (exit %d%s%s); the printer "
			  "is NOT running: run by hand: %s", gd->names, rc, out.len ? ": " : "", out.buf,
			  line.buf);
		strbuf_release(&line);
	}
	strbuf_release(&out);
	return rc == 0 ? 0 : 1;
}

/* Parse the guard's options; 0 or -EINVAL. */
static int guard_parse(struct guard *gd, int argc, char **argv)
{
	long v;
	int i;

	memset(gd, 0, sizeof *gd);
	gd->fd = -1;
	gd->timeout_ms = 30000;
	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (i + 1 >= argc)
			return -EINVAL;
		if (!strcmp(argv[i], "--fd") && !parse_long(argv[i + 1], 0, 1023, &v))
			gd->fd = (int)v;
		else if (!strcmp(argv[i], "--log"))
			gd->log = argv[i + 1];
		else if (!strcmp(argv[i], "--timeout") && !parse_long(argv[i + 1], 1, 86400000, &v))
			gd->timeout_ms = (unsigned long)v;
		else
			return -EINVAL;
		i++;
	}
	if (i + 1 >= argc || gd->fd < 0 || !gd->log)
		return -EINVAL;
	gd->cmd = argv + i + 1;
	for (char **w = gd->cmd; *w; w++) {
		if (strcmp(*w, "start"))
			continue;
		/* the service names follow "start" */
		for (char **n = w + 1; *n; n++) {
			size_t len = strlen(gd->names);

			snprintf(gd->names + len, sizeof gd->names - len, "%s%s", len ? " " : "", *n);
		}
		break;
	}
	return 0;
}

int service_guard_main(int argc, char **argv)
{
	struct guard gd;
	struct sigaction sa = { .sa_handler = on_guard_signal };
	static const int ignored[] = { SIGHUP, SIGINT, SIGQUIT, SIGPIPE, SIGTSTP, SIGTTIN, SIGTTOU };

	if (guard_parse(&gd, argc, argv)) {
		fprintf(stderr, "flashbay _service-guard: internal command, started by flashbay itself\n");
		return 2;
	}
	gd.flashbay = getppid();
	for (size_t i = 0; i < ARRAY_SIZE(ignored); i++)
		signal(ignored[i], SIG_IGN);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGALRM, &sa, NULL);
	if (write_all(gd.fd, "ready\n", 6))
		return guard_restart(&gd); /* flashbay is already gone */
	if (guard_wait(&gd))
		return 0;
	return guard_restart(&gd);
}
