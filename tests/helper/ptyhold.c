/* ptyhold.c - hold N pseudo-terminals open as stand-in serial ports.
 *
 *   ptyhold DIR N [NAME]
 *
 * Opens N pty pairs and makes DIR/NAME0 .. DIR/NAME(N-1) (NAME: ttyUSB)
 * symbolic links to their slaves (/dev/pts/K), so a test has ports that are
 * real terminals, as `flashbay flash --port` demands, under the names the
 * fake esptool keys its flash files by. It keeps the masters open and reads
 * whatever is written to the ports (and keeps a slave open itself, so a
 * master never sees a hang-up while no program has its port open). Prints
 * "ready" on stdout once every link is in place.
 *
 * Ends on SIGTERM, SIGINT or SIGHUP, when its stdin reaches end of file
 * (unless stdin is /dev/null or a terminal), or when its parent dies.
 * Exit status: 0, 1 if a pty cannot be made, 2 on usage errors.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#define MAX_PORTS 256

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Open one pty pair; link DIR/NAMEi to its slave. -1 after a message. */
static int open_pair(const char *dir, const char *name, int i, int *master, int *slave)
{
	char link[4096], tmp[4096];
	const char *pts;
	struct termios tio;

	*master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (*master < 0 || grantpt(*master) < 0 || unlockpt(*master) < 0 ||
	    !(pts = ptsname(*master))) {
		perror("ptyhold: posix_openpt");
		return -1;
	}
	*slave = open(pts, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (*slave < 0) {
		fprintf(stderr, "ptyhold: %s: %s\n", pts, strerror(errno));
		return -1;
	}
	/* raw: what a serial port driver would hand over, no echo back */
	if (!tcgetattr(*slave, &tio)) {
		cfmakeraw(&tio);
		tcsetattr(*slave, TCSANOW, &tio);
	}
	snprintf(link, sizeof link, "%s/%s%d", dir, name, i);
	snprintf(tmp, sizeof tmp, "%s/.%s%d.new", dir, name, i);
	unlink(tmp);
	if (symlink(pts, tmp) < 0 || rename(tmp, link) < 0) {
		fprintf(stderr, "ptyhold: %s: %s\n", link, strerror(errno));
		return -1;
	}
	return 0;
}

/* Should end of file on stdin end us? Not for /dev/null or a terminal. */
static bool watch_stdin(void)
{
	struct stat st;

	return !fstat(STDIN_FILENO, &st) && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

/* Read and drop what the ports were sent until told to stop. */
static void drain(struct pollfd *pfd, int n)
{
	char buf[4096];

	while (!stop) {
		if (poll(pfd, (nfds_t)n + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (pfd[n].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = read(STDIN_FILENO, buf, sizeof buf);

			if (r <= 0)
				return;
		}
		for (int i = 0; i < n; i++)
			if (pfd[i].revents & POLLIN)
				while (read(pfd[i].fd, buf, sizeof buf) > 0)
					;
	}
}

int main(int argc, char **argv)
{
	struct pollfd pfd[MAX_PORTS + 1];
	int slaves[MAX_PORTS], n;
	struct sigaction sa = { .sa_handler = on_signal };

	if (argc < 3 || argc > 4 || (n = atoi(argv[2])) < 1 || n > MAX_PORTS) {
		fprintf(stderr, "usage: ptyhold DIR N [NAME]  (1 <= N <= %d)\n", MAX_PORTS);
		return 2;
	}
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		return 0;
	for (int i = 0; i < n; i++) {
		if (open_pair(argv[1], argc > 3 ? argv[3] : "ttyUSB", i, &pfd[i].fd, &slaves[i]) < 0)
			return 1;
		pfd[i].events = POLLIN;
	}
	pfd[n].fd = watch_stdin() ? STDIN_FILENO : -1;
	pfd[n].events = POLLIN;
	printf("ready\n");
	fflush(stdout);
	drain(pfd, n);
	return 0;
}
