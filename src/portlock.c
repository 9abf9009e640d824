/* portlock.c - per-port lock files with flock(). */
#include "autoconf.h"

#include "portlock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "parse.h"
#include "path.h"
#include "xalloc.h"

struct portlock {
	int fd;
	char *path;
};

/* "flashbay-ttyUSB0.lock" from the port's real path (links resolved); a
 * device in a folder of /dev keeps the folder: /dev/pts/3 is "pts_3". */
static char *lock_name(const char *lock_dir, const char *port)
{
	char real[PATH_MAX];
	bool resolved = realpath(port, real) != NULL;
	const char *base = resolved ? path_basename(real) : path_basename(port);
	struct strbuf sb = STRBUF_INIT;

	if (resolved && !strncmp(real, "/dev/", 5) && real[5])
		base = real + 5;

	strbuf_addf(&sb, "%s/flashbay-", lock_dir);
	/* keep the name a single safe path component */
	for (const char *p = base; *p; p++)
		strbuf_addch(&sb, (*p == '/' || *p == '.' || (unsigned char)*p < 0x21) ? '_' : *p);
	strbuf_addstr(&sb, ".lock");
	return strbuf_detach(&sb);
}

/* Who holds the lock, from the pid written in the file (0 if unknown). */
static long holder_pid(int fd)
{
	char buf[32] = "";
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	long pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return parse_long(buf, 1, INT_MAX, &pid) ? 0 : pid;
}

/* "port X is in use by another flashbay (pid N)"; a gone flashbay's lock is
 * held by a tool it started, which inherited it. */
static void describe_holder(struct strbuf *err, const char *port, long holder)
{
	if (holder && kill((pid_t)holder, 0) < 0 && errno == ESRCH) {
		strbuf_addf(err, "port %s is still in use by a tool that flashbay pid %ld started "
			    "(it has not ended yet)", port, holder);
		return;
	}
	strbuf_addf(err, "port %s is in use by another flashbay", port);
	if (holder)
		strbuf_addf(err, " (pid %ld)", holder);
}

/* Is fd still the file at path (not unlinked by a releasing holder)? */
static bool still_linked(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

int portlock_acquire(const char *lock_dir, const char *port, struct portlock **out,
		     struct strbuf *err)
{
	char *path = lock_name(lock_dir, port);
	char pid[24];
	int fd, tries = 0;

again:
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		int e = errno;

		strbuf_addf(err, "cannot create lock file '%s': %s", path, strerror(e));
		free(path);
		return -e;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		long holder = holder_pid(fd);

		if (e == EWOULDBLOCK) {
			describe_holder(err, port, holder);
			e = EBUSY;
		} else {
			strbuf_addf(err, "cannot lock '%s': %s", path, strerror(e));
		}
		close(fd);
		free(path);
		return -e;
	}
	if (!still_linked(fd, path) && ++tries < 5) {
		/* we locked a file its last holder just removed: take the new one */
		close(fd);
		goto again;
	}
	snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pid, strlen(pid), 0) < 0) {
		/* the flock is what matters; the pid is only informative */
	}
	*out = xcalloc(1, sizeof **out);
	(*out)->fd = fd;
	(*out)->path = path;
	return 0;
}

int portlock_fd(const struct portlock *lock)
{
	return lock ? lock->fd : -1;
}

void portlock_release(struct portlock *lock)
{
	if (!lock)
		return;
	/* unlink while still holding the lock: nobody can be waiting on it */
	unlink(lock->path);
	close(lock->fd);
	free(lock->path);
	free(lock);
}
