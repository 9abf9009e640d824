/* path.c - path names: XDG base directories, "~/", joining and splitting,
 * and making or removing directory trees, finding a program on $PATH. */
#include "autoconf.h"

#include "path.h"

#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xalloc.h"

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

/* An executable regular file? */
static bool is_executable(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISREG(st.st_mode) && !access(path, X_OK);
}

char *path_which(const char *name)
{
	const char *path = getenv("PATH"), *p;

	if (strchr(name, '/'))
		return is_executable(name) ? xstrdup(name) : NULL;
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path;; p++) {
		size_t n = strcspn(p, ":");
		char *dir = n ? xstrndup(p, n) : xstrdup(".");
		char *cand = path_join(dir, name);

		free(dir);
		if (is_executable(cand))
			return cand;
		free(cand);
		p += n;
		if (!*p)
			return NULL;
	}
}
