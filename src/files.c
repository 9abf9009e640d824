/* files.c - reading files whole or in chunks, replacing them atomically, and
 * the line reader for INI files. */
#include "autoconf.h"

#include "files.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fd.h"
#include "path.h"
#include "xalloc.h"

int read_file_chunks(const char *path, int (*fn)(const void *buf, size_t len, void *data),
		     void *data)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
	char buf[65536];
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (!r && (n = read(fd, buf, sizeof buf)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			break;
		}
		r = fn(buf, (size_t)n, data);
	}
	close(fd);
	return r;
}

/* read_file() chunk: append to the strbuf. */
static int append_chunk(const void *buf, size_t len, void *data)
{
	strbuf_add(data, buf, len);
	return 0;
}

int read_file(const char *path, struct strbuf *sb)
{
	return read_file_chunks(path, append_chunk, sb);
}

char *read_line_file(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	char *nl;

	if (read_file(path, &sb) < 0) {
		strbuf_release(&sb);
		return NULL;
	}
	nl = strchr(sb.buf, '\n');
	if (nl)
		strbuf_setlen(&sb, (size_t)(nl - sb.buf));
	return strbuf_detach(&sb);
}

int atomic_open(const char *path, mode_t mode, char **tmp_out)
{
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC);

	if (fd < 0) {
		int e = errno;

		free(tmp);
		return -e;
	}
	if (fchmod(fd, mode) < 0) {
		int e = errno;

		close(fd);
		unlink(tmp);
		free(tmp);
		return -e;
	}
	*tmp_out = tmp;
	return fd;
}

/* fsync the directory that holds path so a rename is durable. */
static int fsync_dir_of(const char *path)
{
	char *dir = path_dirname(path);
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), ret = 0;

	free(dir);
	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0 && errno != EINVAL)
		ret = -errno;
	close(fd);
	return ret;
}

int atomic_commit(int fd, const char *tmp, const char *path)
{
	int ret = 0;

	if (fsync(fd) < 0)
		ret = -errno;
	if (close(fd) < 0 && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path) < 0)
		ret = -errno;
	if (ret) {
		unlink(tmp);
		return ret;
	}
	return fsync_dir_of(path);
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = NULL;
	int fd = atomic_open(path, mode, &tmp), ret;

	if (fd < 0)
		return fd;
	ret = write_all(fd, data, len);
	if (ret) {
		close(fd);
		unlink(tmp);
	} else {
		ret = atomic_commit(fd, tmp, path);
	}
	free(tmp);
	return ret;
}

char *ini_line_reader(char *str, int num, FILE *f, int *line, bool *too_long)
{
	size_t n;

	*too_long = false;
	if (!fgets(str, num, f))
		return NULL;
	(*line)++;
	n = strlen(str);
	if (n == (size_t)num - 1 && str[n - 1] != '\n' && !feof(f)) {
		int c;

		while ((c = fgetc(f)) != EOF && c != '\n')
			;
		*too_long = true;
		snprintf(str, (size_t)num, ";\n"); /* let inih skip it */
	}
	return str;
}
