/* devices-scan.c - the backend without udev: scan ROOT/class/tty and
 * DEVROOT/serial/by-id|by-path, then watch those directories (and DEVROOT)
 * with inotify. Event-driven: a burst of inotify events arms one short
 * one-shot timer, after which the table is rescanned and reconciled.
 */
#include "autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "devices-backend.h"
#include "files.h"
#include "loop.h"
#include "parse.h"
#include "path.h"
#include "str.h"
#include "xalloc.h"

/* How long a burst of inotify events may take before we rescan. */
#define SETTLE_MS 30

enum { W_DEV, W_SERIAL, W_BY_ID, W_BY_PATH, W_CLASS, W__COUNT };

#define WATCH_MASK (IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO | IN_ONLYDIR)

struct scan_state {
	struct devices *devs;
	char *dirs[W__COUNT];   /* DEVROOT, DEVROOT/serial, .../by-id, .../by-path, ROOT/class/tty */
	int wd[W__COUNT];
	char *devices_dir;     /* realpath(ROOT/devices): where the walk up stops */
	int ifd;
	struct loop_timer settle;
};

/* The /dev/serial links: full path and the basename of its target. */
struct links {
	struct strvec path, target;
};

/* What one scan found about one tty (owned strings for a device_info). */
struct found {
	char *key, *devnode, *id_path, *manufacturer, *product, *serial, *driver;
	struct strvec links;
	uint16_t vid, pid;
	bool usb;
	int ifnum;
};

/* Add every link in dir to l (the dir may be missing). */
static void links_read(struct links *l, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		char target[PATH_MAX];
		ssize_t n;

		if (e->d_name[0] == '.')
			continue;
		n = readlinkat(dirfd(d), e->d_name, target, sizeof target - 1);
		if (n <= 0)
			continue;
		target[n] = '\0';
		strvec_pushf(&l->path, "%s/%s", dir, e->d_name);
		strvec_push(&l->target, path_basename(target));
	}
	closedir(d);
}

/* The links whose target is the tty called name, in sorted order. */
static void links_for(const struct links *l, const char *name, struct strvec *out)
{
	for (size_t i = 0; i < l->path.n; i++)
		if (!strcmp(l->target.v[i], name))
			strvec_push(out, l->path.v[i]);
	for (size_t i = 1; i < out->n; i++)
		for (size_t j = i; j > 0 && strcmp(out->v[j - 1], out->v[j]) > 0; j--) {
			char *t = out->v[j];

			out->v[j] = out->v[j - 1];
			out->v[j - 1] = t;
		}
}

/* dir/name read as one line; NULL if missing or empty. */
static char *read_attr(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name), *v = read_line_file(p);

	free(p);
	if (v && !*v) {
		free(v);
		v = NULL;
	}
	return v;
}

/* Basename of the target of dir/driver, or NULL. */
static char *read_driver(const char *dir)
{
	char *p = xasprintf("%s/driver", dir), target[PATH_MAX];
	ssize_t n = readlink(p, target, sizeof target - 1);

	free(p);
	if (n <= 0)
		return NULL;
	target[n] = '\0';
	return xstrdup(path_basename(target));
}

/* Walk up from the tty's sysfs dir to the one holding idVendor, stopping at
 * ROOT/devices. Returns it (caller frees) and the directory just below it
 * on the way (the USB interface) in *intf; NULL if not USB. */
static char *usb_parent(const struct scan_state *st, const char *real, char **intf)
{
	size_t stop = strlen(st->devices_dir);
	char *dir = xstrdup(real), *child = NULL, *slash;

	*intf = NULL;
	if (strncmp(real, st->devices_dir, stop) || real[stop] != '/')
		goto none;
	while ((slash = strrchr(dir, '/')) && (size_t)(slash - dir) > stop) {
		char *attr;
		bool hit;

		free(child);
		child = xstrdup(dir);
		*slash = '\0';
		attr = xasprintf("%s/idVendor", dir);
		hit = access(attr, F_OK) == 0;
		free(attr);
		if (hit) {
			*intf = child;
			return dir;
		}
	}
none:
	free(child);
	free(dir);
	return NULL;
}

/* Parse a hex sysfs attribute into a 16-bit id (0 if missing). */
static uint16_t read_hex16(const char *dir, const char *name)
{
	char *v = read_attr(dir, name);
	uint32_t x = 0;

	if (!v || parse_hex_u32(v, &x) || x > 0xffff)
		x = 0;
	free(v);
	return (uint16_t)x;
}

/* The interface number: bInterfaceNumber, else the ".N" of "1-4:1.N". */
static int read_ifnum(const char *intf)
{
	char *v = read_attr(intf, "bInterfaceNumber");
	const char *dot = strrchr(path_basename(intf), '.');
	uint32_t x;
	long n;

	if (v && !parse_hex_u32(v, &x) && x < 256) {
		free(v);
		return (int)x;
	}
	free(v);
	return dot && strchr(path_basename(intf), ':') && !parse_long(dot + 1, 0, 255, &n) ? (int)n
											  : -1;
}

/* Fill the USB fields of f from the device dir usb and interface dir intf. */
static void found_usb(const struct scan_state *st, struct found *f, const char *usb,
		      const char *intf)
{
	f->usb = true;
	f->vid = read_hex16(usb, "idVendor");
	f->pid = read_hex16(usb, "idProduct");
	f->manufacturer = read_attr(usb, "manufacturer");
	f->product = read_attr(usb, "product");
	f->serial = read_attr(usb, "serial");
	f->ifnum = read_ifnum(intf);
	f->driver = read_driver(intf);
	f->id_path = devices_port_path(f->key + strlen(st->devices_dir) + 1);
}

/* A non-USB tty counts only with a real device behind it: a parent with a
 * driver, other than the serial8250 placeholders (ttyS0..31 without
 * hardware: port type 0). */
static bool found_non_usb(const struct scan_state *st, struct found *f, const char *name)
{
	char *link = xasprintf("%s/%s/device", st->dirs[W_CLASS], name), *dev = realpath(link, NULL);
	char *type = read_attr(f->key, "type");
	bool placeholder = type && !strcmp(type, "0");

	free(link);
	free(type);
	if (placeholder) {
		free(dev);
		return false;
	}
	if (!dev) {
		/* no "device" link (hand-made trees): the parent of ".../tty/NAME" */
		char *up = path_dirname(f->key);

		if (!strcmp(path_basename(up), "tty"))
			dev = path_dirname(up);
		free(up);
	}
	if (dev && strcmp(path_basename(dev), "serial8250"))
		f->driver = read_driver(dev);
	free(dev);
	return f->driver != NULL;
}

/* Free what a found holds. */
static void found_release(struct found *f)
{
	free(f->key);
	free(f->devnode);
	free(f->id_path);
	free(f->manufacturer);
	free(f->product);
	free(f->serial);
	free(f->driver);
	strvec_release(&f->links);
}

/* Look at ROOT/class/NAME; false if it is not a device for the table. */
static bool scan_one(const struct scan_state *st, const char *name, const struct links *l,
		     struct found *f)
{
	char *entry = xasprintf("%s/%s", st->dirs[W_CLASS], name), *usb, *intf;
	struct stat sb;
	bool ok = true;

	*f = (struct found){ .ifnum = -1, .links = STRVEC_INIT };
	f->key = realpath(entry, NULL);
	free(entry);
	f->devnode = xasprintf("%s/%s", st->dirs[W_DEV], name);
	if (!f->key || lstat(f->devnode, &sb) < 0)
		return false; /* no node (yet): the /dev event will bring us back */
	usb = usb_parent(st, f->key, &intf);
	if (usb)
		found_usb(st, f, usb, intf);
	else
		ok = devices_include_non_usb(st->devs) && found_non_usb(st, f, name);
	free(usb);
	free(intf);
	links_for(l, name, &f->links);
	return ok;
}

/* Skip dot entries in scandir(). */
static int not_dot(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Port order: by sysfs path, numbers compared as numbers ("1-2" < "1-10"). */
static int found_cmp(const void *a, const void *b)
{
	return strverscmp(((const struct found *)a)->key, ((const struct found *)b)->key);
}

/* Scan everything: *out gets an array of n found ttys (caller releases). */
static int scan_all(const struct scan_state *st, struct found **out, size_t *n)
{
	struct links l = { STRVEC_INIT, STRVEC_INIT };
	struct dirent **names;
	int count = scandir(st->dirs[W_CLASS], &names, not_dot, versionsort);

	*out = NULL;
	*n = 0;
	if (count < 0)
		return -errno;
	links_read(&l, st->dirs[W_BY_ID]);
	links_read(&l, st->dirs[W_BY_PATH]);
	*out = xcalloc((size_t)count + 1, sizeof **out);
	for (int i = 0; i < count; i++) {
		if (scan_one(st, names[i]->d_name, &l, &(*out)[*n]))
			(*n)++;
		else
			found_release(&(*out)[*n]);
		free(names[i]);
	}
	free(names);
	strvec_release(&l.path);
	strvec_release(&l.target);
	qsort(*out, *n, sizeof **out, found_cmp);
	return 0;
}

/* Report one found tty to the table. */
static void report_found(struct devices *devs, const struct found *f)
{
	struct device_info info = {
		.key = f->key,
		.syspath = f->key,
		.devnode = f->devnode,
		.devlinks = (const char *const *)f->links.v,
		.id_path = f->id_path,
		.usb = f->usb,
		.vid = f->vid,
		.pid = f->pid,
		.manufacturer = f->manufacturer,
		.product = f->product,
		.serial = f->serial,
		.driver = f->driver,
		.ifnum = f->ifnum,
	};

	devices_report_add(devs, &info);
}

/* Scan, report what went away first (so a board that re-enumerated on
 * its port within one burst is matched to its port), then what is there. */
static int scan_report(struct scan_state *st)
{
	struct strvec gone = STRVEC_INIT;
	struct found *f;
	size_t n;
	int r = scan_all(st, &f, &n);

	if (r < 0)
		return r;
	for (size_t i = 0; i < devices_count(st->devs); i++) {
		const struct device *d = devices_at(st->devs, i);
		bool there = false;

		for (size_t j = 0; j < n && !there; j++)
			there = !strcmp(f[j].key, d->key);
		if (d->present && !d->manual && !there)
			strvec_push(&gone, d->key);
	}
	for (size_t i = 0; i < gone.n; i++)
		devices_report_remove(st->devs, gone.v[i]);
	for (size_t i = 0; i < n; i++) {
		report_found(st->devs, &f[i]);
		found_release(&f[i]);
	}
	free(f);
	strvec_release(&gone);
	return 0;
}

/* (Re)add the watches on directories that exist now (the serial dirs come
 * and go with the first and last board). */
static void watch_refresh(struct scan_state *st)
{
	for (int i = 0; i < W__COUNT; i++)
		if (st->wd[i] < 0)
			st->wd[i] = inotify_add_watch(st->ifd, st->dirs[i], WATCH_MASK);
}

/* Does an inotify event concern us? */
static bool event_relevant(struct scan_state *st, const struct inotify_event *ev)
{
	if (ev->mask & (IN_IGNORED | IN_Q_OVERFLOW)) {
		for (int i = 0; i < W__COUNT; i++)
			if (ev->mask & IN_IGNORED && st->wd[i] == ev->wd)
				st->wd[i] = -1;
		return true;
	}
	if (ev->wd == st->wd[W_DEV])
		return ev->len && (str_starts_with(ev->name, "tty") || !strcmp(ev->name, "serial"));
	return true;
}

/* The inotify fd is readable: drain it and arm the settle timer. */
static void on_inotify(int fd, short revents, void *data)
{
	struct scan_state *st = data;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool relevant = false;
	ssize_t n;

	(void)revents;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *ev = (const struct inotify_event *)p;

			relevant |= event_relevant(st, ev);
			p += sizeof *ev + ev->len;
		}
	}
	if (relevant && !st->settle.armed)
		loop_timer_arm(devices_loop(st->devs), &st->settle, SETTLE_MS, 0);
}

/* The burst is over: rescan and reconcile. */
static void on_settle(struct loop_timer *t, void *data)
{
	struct scan_state *st = data;

	(void)t;
	watch_refresh(st);
	devices_rescan(st->devs);
}

/* Free the state (after its fd left the loop). */
static void scan_state_free(struct scan_state *st)
{
	loop_timer_disarm(devices_loop(st->devs), &st->settle);
	if (st->ifd >= 0)
		close(st->ifd);
	for (int i = 0; i < W__COUNT; i++)
		free(st->dirs[i]);
	free(st->devices_dir);
	free(st);
}

/* Paths and inotify watches; -errno and a message naming the path on failure. */
static int scan_setup(struct scan_state *st, struct strbuf *err)
{
	static const int required[] = { W_DEV, W_CLASS };
	const char *root = devices_sysfs_root(st->devs), *dev = devices_dev_root(st->devs);
	char *devices = xasprintf("%s/devices", root);

	st->dirs[W_DEV] = xstrdup(dev);
	st->dirs[W_SERIAL] = xasprintf("%s/serial", dev);
	st->dirs[W_BY_ID] = xasprintf("%s/serial/by-id", dev);
	st->dirs[W_BY_PATH] = xasprintf("%s/serial/by-path", dev);
	st->dirs[W_CLASS] = xasprintf("%s/class/tty", root);
	st->devices_dir = realpath(devices, NULL);
	if (!st->devices_dir)
		st->devices_dir = devices;
	else
		free(devices);
	for (int i = 0; i < W__COUNT; i++)
		st->wd[i] = -1;
	st->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (st->ifd < 0) {
		strbuf_addf(err, "cannot start inotify: %s", strerror(errno));
		return -errno;
	}
	/* DEVROOT and ROOT/class/tty must be there; the serial dirs may come later */
	for (size_t k = 0; k < ARRAY_SIZE(required); k++) {
		int i = required[k];

		st->wd[i] = inotify_add_watch(st->ifd, st->dirs[i], WATCH_MASK);
		if (st->wd[i] < 0) {
			int e = errno;

			strbuf_addf(err, "cannot watch '%s': %s", st->dirs[i], strerror(e));
			return -e;
		}
	}
	watch_refresh(st);
	return 0;
}

/* Watch first, then scan, then follow the inotify fd on the loop. */
static int scan_start(struct devices *devs, void *ctx, struct strbuf *err)
{
	struct scan_state *st = xcalloc(1, sizeof *st);
	int r;

	st->devs = devs;
	st->ifd = -1;
	loop_timer_init(&st->settle, on_settle, st);
	r = scan_setup(st, err);
	if (!r) {
		r = scan_report(st);
		if (r < 0)
			strbuf_addf(err, "cannot read '%s': %s", st->dirs[W_CLASS], strerror(-r));
	}
	if (!r) {
		r = loop_fd_add(devices_loop(devs), st->ifd, POLLIN, on_inotify, st);
		if (r < 0)
			strbuf_addf(err, "cannot watch inotify events: %s", strerror(-r));
	}
	if (r < 0) {
		scan_state_free(st);
		return r;
	}
	*(struct scan_state **)ctx = st;
	return 0;
}

/* Scan again and report (removes first; the table drops what is missing). */
static int scan_rescan(struct devices *devs, void *ctx)
{
	(void)devs;
	return scan_report(*(struct scan_state **)ctx);
}

/* Stop watching and free everything. */
static void scan_stop(struct devices *devs, void *ctx)
{
	struct scan_state *st = *(struct scan_state **)ctx;

	if (!st)
		return;
	loop_fd_del(devices_loop(devs), st->ifd);
	scan_state_free(st);
	*(struct scan_state **)ctx = NULL;
}

const struct devices_backend devices_scan_backend = {
	.name = "sysfs+inotify",
	.start = scan_start,
	.rescan = scan_rescan,
	.stop = scan_stop,
};
