/* devices-find.c - the device a user names by path: a devnode, a backend
 * key or a link literally, else where the path resolves to.
 */
#include "autoconf.h"

#include "devices-internal.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "path.h"

/* Does device d answer to path literally (devnode, key or a link)? */
static bool dev_named(const struct device *d, const char *path)
{
	if (!strcmp(d->devnode, path) || !strcmp(d->key, path))
		return true;
	return strvec_find(&d->devlinks, path) >= 0;
}

/* The device path names literally, present ones first. */
static struct device *find_literal(const struct devices *devs, const char *path)
{
	struct device *gone = NULL;

	for (size_t i = 0; i < devs->n; i++) {
		struct device *d = &devs->v[i]->pub;

		if (dev_named(d, path)) {
			if (d->present)
				return d;
			gone = gone ? gone : d;
		}
	}
	return gone;
}

/* The present device whose devnode has this basename, or NULL. */
static struct device *find_node_basename(const struct devices *devs, const char *base)
{
	for (size_t i = 0; i < devs->n; i++) {
		struct device *d = &devs->v[i]->pub;

		if (d->present && !strcmp(path_basename(d->devnode), base))
			return d;
	}
	return NULL;
}

/* The present device path resolves to: realpath, or a symlink's target
 * basename (umockdev's links point into its temp dir). */
static struct device *find_resolved(const struct devices *devs, const char *path)
{
	char target[PATH_MAX], *real;
	ssize_t n = readlink(path, target, sizeof target - 1);
	struct device *d = NULL;

	if (n > 0) {
		target[n] = '\0';
		d = find_node_basename(devs, path_basename(target));
		if (d)
			return d;
	}
	real = realpath(path, NULL);
	if (!real)
		return NULL;
	for (size_t i = 0; i < devs->n && !d; i++) {
		char *dr = devs->v[i]->pub.present ? realpath(devs->v[i]->pub.devnode, NULL) : NULL;

		if (dr && !strcmp(dr, real))
			d = &devs->v[i]->pub;
		free(dr);
	}
	free(real);
	return d;
}

struct device *devices_find(const struct devices *devs, const char *path)
{
	struct device *d;

	if (!path || !*path)
		return NULL;
	d = find_literal(devs, path);
	return d ? d : find_resolved(devs, path);
}
