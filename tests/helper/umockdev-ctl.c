/* umockdev-ctl.c - a umockdev test bed that shell tests drive: it runs a
 * command inside the test bed (the command sees the fake /sys, /dev and udev
 * events through the preload) and plugs and unplugs devices on request.
 *
 *   umockdev-ctl CTL [--keep] -- CMD ARGS...
 *
 * CTL is a FIFO the test writes commands to, one per line:
 *   add FILE            load a .umockdev file: its devices appear ("add" events)
 *   unplug TTYSYSPATH   "remove" event for the tty, its /dev/serial links gone,
 *                       then every sysfs device up to its USB device removed
 *   echo TEXT           print TEXT (a marker to wait for)
 *   quit                stop (SIGTERM to CMD's process group, then exit)
 * Each command is answered with "ok COMMAND" (or "error ...") on stdout.
 * Without --keep it exits with CMD's exit status when CMD ends; with --keep it
 * stays until "quit" (for commands that daemonize, such as a tmux server).
 * It prints "root DIR" (the test bed) and "ready" before reading commands.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef HAVE_UMOCKDEV
#include "testbed.h"
#endif

#include "xalloc.h"

#ifdef HAVE_UMOCKDEV
static UMockdevTestbed *tb;

/* One command line; prints the answer. Returns false on quit. */
static bool command(char *line)
{
	GError *e = NULL;
	bool ok = true;

	line[strcspn(line, "\r\n")] = '\0';
	if (!strncmp(line, "add ", 4)) {
		ok = umockdev_testbed_add_from_file(tb, line + 4, &e);
	} else if (!strncmp(line, "unplug ", 7)) {
		ok = testbed_unplug(tb, line + 7) == 0;
	} else if (!strncmp(line, "echo ", 5)) {
		printf("%s\n", line + 5);
	} else if (!strcmp(line, "quit")) {
		printf("ok quit\n");
		fflush(stdout);
		return false;
	} else if (*line) {
		printf("error unknown command: %s\n", line);
		fflush(stdout);
		return true;
	}
	if (*line)
		printf("%s %s%s%s\n", ok ? "ok" : "error", line, e ? ": " : "", e ? e->message : "");
	fflush(stdout);
	g_clear_error(&e);
	return true;
}

/* Read commands until quit, or until the command ends (without keep). */
static int serve(int ctl, pid_t pid, bool keep)
{
	char buf[4096];
	size_t have = 0;
	int status = 0;

	for (;;) {
		struct pollfd p = { ctl, POLLIN, 0 };
		ssize_t n;
		char *nl;

		if (!keep && pid > 0 && waitpid(pid, &status, WNOHANG) == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
		if (poll(&p, 1, 50) <= 0)
			continue;
		n = read(ctl, buf + have, sizeof buf - 1 - have);
		if (n <= 0)
			continue;
		have += (size_t)n;
		buf[have] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			if (!command(buf))
				return -1;
			memmove(buf, nl + 1, have - (size_t)(nl + 1 - buf) + 1);
			have -= (size_t)(nl + 1 - buf);
		}
	}
}

int main(int argc, char **argv)
{
	bool keep = false;
	int first = 2, ctl, r;
	pid_t pid;

	if (argc < 4) {
		fprintf(stderr, "usage: umockdev-ctl CTL [--keep] -- CMD ARGS...\n");
		return 2;
	}
	if (!strcmp(argv[2], "--keep")) {
		keep = true;
		first++;
	}
	if (strcmp(argv[first], "--"))
		return 2;
	first++;
	if (!testbed_ensure_preload(argc, argv)) {
		fprintf(stderr, "umockdev-ctl: umockdev-wrapper is not installed\n");
		return 77;
	}
	tb = umockdev_testbed_new();
	if (!umockdev_in_mock_environment())
		return 77;
	/* O_RDWR: the FIFO never reports EOF when a writer closes it */
	ctl = open(argv[1], O_RDWR | O_CLOEXEC);
	if (ctl < 0) {
		perror(argv[1]);
		return 2;
	}
	printf("root %s\n", umockdev_testbed_get_root_dir(tb));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		execvp(argv[first], argv + first);
		_exit(127);
	}
	setpgid(pid, pid);
	printf("ready\n");
	fflush(stdout);
	r = serve(ctl, pid, keep);
	if (r < 0) {
		kill(-pid, SIGTERM);
		waitpid(pid, &r, 0);
		r = 0;
	}
	g_object_unref(tb);
	return r;
}
#else
int main(void)
{
	fprintf(stderr, "umockdev-ctl: built without umockdev\n");
	return 77;
}
#endif
