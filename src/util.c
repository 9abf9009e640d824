/* util.c - fd, clock, path, file and number helpers. */
#include "autoconf.h"

#include "util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xalloc.h"

int fd_set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

int fd_set_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -errno;
	return 0;
}

int write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void format_iso8601(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	size_t n;

	gmtime_r(&t, &tm);
	n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03uZ", (unsigned)(ms % 1000) % 1000u);
}

/* Read exactly n digits at *p into *out. */
static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -EINVAL;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

/* Parse the optional "THH:MM[:SS[.mmm]]" part into tm/ms. */
static int parse_time_part(const char **pp, struct tm *tm, int *msec)
{
	const char *p = *pp;

	if (*p != 'T' && *p != 't' && *p != ' ')
		return 0;
	p++;
	if (digits(&p, 2, &tm->tm_hour) || *p++ != ':' || digits(&p, 2, &tm->tm_min))
		return -EINVAL;
	if (*p == ':') {
		p++;
		if (digits(&p, 2, &tm->tm_sec))
			return -EINVAL;
		if (*p == '.' || *p == ',') {
			int scale = 100;

			for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
				*msec += (*p - '0') * scale;
		}
	}
	*pp = p;
	return 0;
}

int parse_iso8601(const char *s, int64_t *ms)
{
	struct tm tm = { 0 };
	const char *p = s;
	int msec = 0, off = 0;

	if (digits(&p, 4, &tm.tm_year) || *p++ != '-' || digits(&p, 2, &tm.tm_mon) ||
	    *p++ != '-' || digits(&p, 2, &tm.tm_mday))
		return -EINVAL;
	if (tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31)
		return -EINVAL;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	if (parse_time_part(&p, &tm, &msec))
		return -EINVAL;
	if (tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
		return -EINVAL;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, oh, om = 0;

		if (digits(&p, 2, &oh))
			return -EINVAL;
		if (*p == ':')
			p++;
		if (*p && digits(&p, 2, &om))
			return -EINVAL;
		off = sign * (oh * 60 + om);
	}
	if (*p)
		return -EINVAL;
	*ms = ((int64_t)timegm(&tm) - (int64_t)off * 60) * 1000 + msec;
	return 0;
}

void format_duration(uint64_t ms, char out[16])
{
	if (ms < 1000)
		snprintf(out, 16, "%ums", (unsigned)ms);
	else if (ms < 60000)
		snprintf(out, 16, "%.1fs", (double)ms / 1000.0);
	else if (ms < 3600000)
		snprintf(out, 16, "%um%02us", (unsigned)(ms / 60000), (unsigned)(ms / 1000 % 60));
	else
		snprintf(out, 16, "%uh%02um", (unsigned)(ms / 3600000), (unsigned)(ms / 60000 % 60));
}

/* $var if set and absolute, else $HOME/fallback. */
static char *xdg_dir(const char *var, const char *fallback)
{
	const char *v = getenv(var), *home = getenv("HOME");

	if (v && v[0] == '/')
		return xstrdup(v);
	return xasprintf("%s/%s", home ? home : "", fallback);
}

char *xdg_config_home(void)
{
	return xdg_dir("XDG_CONFIG_HOME", ".config");
}

char *xdg_state_home(void)
{
	return xdg_dir("XDG_STATE_HOME", ".local/state");
}

char *xdg_cache_home(void)
{
	return xdg_dir("XDG_CACHE_HOME", ".cache");
}

char *xdg_runtime_dir(void)
{
	const char *v = getenv("XDG_RUNTIME_DIR");

	return v && v[0] == '/' ? xstrdup(v) : NULL;
}

char *expand_home(const char *path)
{
	const char *home = getenv("HOME");

	if ((path[0] == '~' && (path[1] == '/' || !path[1])) && home)
		return xasprintf("%s%s", home, path + 1);
	return xstrdup(path);
}

char *path_join(const char *dir, const char *name)
{
	size_t n;

	if (name[0] == '/' || !dir || !dir[0])
		return xstrdup(name);
	n = strlen(dir);
	return xasprintf("%s%s%s", dir, dir[n - 1] == '/' ? "" : "/", name);
}

char *path_dirname(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

const char *path_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int mkdir_p(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	int ret = 0;

	for (char *s = p + 1;; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST) {
			ret = -errno;
			break;
		}
		*s = c;
		if (!c)
			break;
	}
	if (!ret) {
		struct stat st;

		if (stat(path, &st) < 0)
			ret = -errno;
		else if (!S_ISDIR(st.st_mode))
			ret = -ENOTDIR;
	}
	free(p);
	return ret;
}

/* nftw callback: remove one entry. */
static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	return (flag == FTW_DP ? rmdir(path) : unlink(path)) < 0 && errno != ENOENT ? -1 : 0;
}

int remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) < 0 ? -errno : 0;
}

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

int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_hex_u32(const char *s, uint32_t *out)
{
	unsigned long v;
	char *end;

	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		s += 2;
	if (!isxdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 16);
	if (errno || *end || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int parse_since(const char *s, int64_t now_wall, int64_t *out)
{
	static const struct {
		char unit;
		int64_t ms;
	} units[] = { { 's', 1000 }, { 'm', 60000 }, { 'h', 3600000 }, { 'd', 86400000 },
		      { 'w', 604800000 } };
	size_t n = strlen(s);

	if (n >= 2 && isdigit((unsigned char)s[0])) {
		for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
			char *num;
			long v;
			int bad;

			if (s[n - 1] != units[i].unit)
				continue;
			num = xstrndup(s, n - 1);
			bad = parse_long(num, 0, 1000000, &v);
			free(num);
			if (bad)
				break;
			*out = now_wall - (int64_t)v * units[i].ms;
			return 0;
		}
	}
	return parse_iso8601(s, out);
}

bool str_starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

bool str_ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !memcmp(s + a - b, suffix, b);
}

bool str_eq_nocase(const char *a, const char *b)
{
	return !strcasecmp(a, b);
}

int cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (int)(n > 256 ? 256 : n);
}
