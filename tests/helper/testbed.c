/* testbed.c - re-exec under the umockdev preload, and unplugging devices. */
#include "autoconf.h"

#ifdef HAVE_UMOCKDEV
#include "testbed.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "path.h"
#include "xalloc.h"

bool testbed_ensure_preload(int argc, char **argv)
{
	const char *p = getenv("LD_PRELOAD"), *srcdir = getenv("srcdir");
	char **args;

	if (p && strstr(p, "umockdev-preload"))
		return true;
	if (getenv("FB_UMOCKDEV_REEXEC"))
		return false;
	setenv("FB_UMOCKDEV_REEXEC", "1", 1);
	if (srcdir) {
		/* GLib's process-lifetime allocations are not ours */
		const char *lo = getenv("LSAN_OPTIONS");
		char *opts = xasprintf("%s%ssuppressions=%s/tests/umockdev/lsan.supp", lo ? lo : "",
				       lo ? ":" : "", srcdir);

		setenv("LSAN_OPTIONS", opts, 1);
		free(opts);
	}
	args = xcalloc((size_t)argc + 2, sizeof *args);
	args[0] = "umockdev-wrapper";
	memcpy(args + 1, argv, (size_t)argc * sizeof *argv);
	execvp("umockdev-wrapper", args);
	free(args);
	return false;
}

/* Remove the test bed's /dev/serial links that point at tty name (udev would). */
static void unlink_links(UMockdevTestbed *tb, const char *name)
{
	static const char *const dirs[] = { "dev/serial/by-id", "dev/serial/by-path" };

	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		char *dir = xasprintf("%s/%s", umockdev_testbed_get_root_dir(tb), dirs[i]);
		DIR *d = opendir(dir);
		struct dirent *e;

		while (d && (e = readdir(d))) {
			char target[512];
			ssize_t n = readlinkat(dirfd(d), e->d_name, target, sizeof target - 1);

			if (n > 0) {
				target[n] = '\0';
				if (!strcmp(path_basename(target), name))
					unlinkat(dirfd(d), e->d_name, 0);
			}
		}
		if (d)
			closedir(d);
		free(dir);
	}
}

/* Does the sysfs device at path (under the test bed) hold idVendor? */
static bool is_usb_device(UMockdevTestbed *tb, const char *path)
{
	char *f = xasprintf("%s%s/idVendor", umockdev_testbed_get_root_dir(tb), path);
	bool r = access(f, F_OK) == 0;

	free(f);
	return r;
}

int testbed_unplug(UMockdevTestbed *tb, const char *ttysyspath)
{
	char *path = xstrdup(ttysyspath);
	bool last = false;

	umockdev_testbed_uevent(tb, path, "remove");
	unlink_links(tb, path_basename(path));
	while (!last && strlen(path) > strlen("/sys/devices/")) {
		char *slash;

		last = is_usb_device(tb, path);
		umockdev_testbed_remove_device(tb, path);
		slash = strrchr(path, '/');
		*slash = '\0';
		if (!strcmp(path_basename(path), "tty"))
			*strrchr(path, '/') = '\0'; /* a class dir, not a device */
	}
	free(path);
	return last ? 0 : -ENOENT;
}
#endif
