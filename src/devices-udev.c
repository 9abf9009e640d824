/* devices-udev.c - the libudev backend: enumerate ttys, then follow the
 * udev monitor on the loop. The monitor is created before enumerating so
 * that no event falls between the two.
 */
#include "autoconf.h"

#include <errno.h>
#include <libudev.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices-backend.h"
#include "fd.h"
#include "loop.h"
#include "parse.h"
#include "str.h"
#include "xalloc.h"

struct udev_state {
	struct devices *devs;
	struct udev *udev;
	struct udev_monitor *mon;
	int fd;
};

bool devices_udev_usable(void)
{
	const char *preload = getenv("LD_PRELOAD");

	if (getenv("UMOCKDEV_DIR") && preload && strstr(preload, "umockdev-preload"))
		return true;
	return access("/run/udev/control", F_OK) == 0;
}

/* A sysfs attribute as a 16-bit hex number; 0 if absent or malformed. */
static uint16_t attr_hex16(struct udev_device *d, const char *name)
{
	const char *v = d ? udev_device_get_sysattr_value(d, name) : NULL;
	uint32_t x;

	return v && !parse_hex_u32(v, &x) && x <= 0xffff ? (uint16_t)x : 0;
}

/* A sysfs attribute, NULL if absent or empty. */
static const char *attr_str(struct udev_device *d, const char *name)
{
	const char *v = d ? udev_device_get_sysattr_value(d, name) : NULL;

	return v && *v ? v : NULL;
}

/* All links of the device: the DEVLINKS property (the devlinks list is empty
 * for enumerated devices under umockdev), else libudev's list. */
static void get_links(struct udev_device *d, struct strvec *links)
{
	const char *prop = udev_device_get_property_value(d, "DEVLINKS");
	struct udev_list_entry *e;

	if (prop) {
		strvec_split(links, prop, " ");
		return;
	}
	udev_list_entry_foreach(e, udev_device_get_devlinks_list_entry(d))
		strvec_push(links, udev_list_entry_get_name(e));
}

/* Is a non-USB tty backed by real hardware: a parent device with a driver,
 * other than the serial8250 placeholders for ttyS0..31 (port type 0)? */
static const char *non_usb_driver(struct udev_device *d)
{
	struct udev_device *parent = udev_device_get_parent(d);
	const char *sysname = parent ? udev_device_get_sysname(parent) : NULL;
	const char *type = udev_device_get_sysattr_value(d, "type");

	if (!parent || (sysname && !strcmp(sysname, "serial8250")) || (type && !strcmp(type, "0")))
		return NULL;
	return udev_device_get_driver(parent);
}

/* Fill the USB part of info from the tty's usb_device and usb_interface parents. */
static void usb_info(struct udev_device *d, struct udev_device *usb, struct device_info *info)
{
	struct udev_device *intf = udev_device_get_parent_with_subsystem_devtype(d, "usb",
										"usb_interface");
	const char *ifnum = attr_str(intf, "bInterfaceNumber");
	uint32_t n;

	info->usb = true;
	info->vid = attr_hex16(usb, "idVendor");
	info->pid = attr_hex16(usb, "idProduct");
	info->manufacturer = attr_str(usb, "manufacturer");
	info->product = attr_str(usb, "product");
	info->serial = attr_str(usb, "serial");
	info->ifnum = ifnum && !parse_hex_u32(ifnum, &n) && n < 256 ? (int)n : -1;
	info->driver = intf ? udev_device_get_driver(intf) : NULL;
	if (!info->driver && udev_device_get_parent(d))
		info->driver = udev_device_get_driver(udev_device_get_parent(d));
}

/* Report one tty device (enumerated, or from an add/change event). */
static void report_device(struct devices *devs, struct udev_device *d)
{
	struct device_info info = { .ifnum = -1 };
	struct strvec links = STRVEC_INIT;
	const char *syspath = udev_device_get_syspath(d), *id_path;
	struct udev_device *usb = udev_device_get_parent_with_subsystem_devtype(d, "usb",
									       "usb_device");
	char *derived = NULL;

	info.devnode = udev_device_get_devnode(d);
	if (!info.devnode || !syspath)
		return;
	if (usb) {
		usb_info(d, usb, &info);
	} else {
		if (!devices_include_non_usb(devs))
			return;
		info.driver = non_usb_driver(d);
		if (!info.driver)
			return;
	}
	info.key = syspath;
	info.syspath = syspath;
	id_path = udev_device_get_property_value(d, "ID_PATH");
	if ((!id_path || !*id_path) && usb && str_starts_with(syspath, "/sys/devices/"))
		id_path = derived = devices_port_path(syspath + strlen("/sys/devices/"));
	info.id_path = id_path;
	get_links(d, &links);
	info.devlinks = (const char *const *)links.v;
	devices_report_add(devs, &info);
	strvec_release(&links);
	free(derived);
}

/* Sysfs paths in port order: numbers compared as numbers ("1-2" < "1-10"). */
static int path_cmp(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* Report every tty present. */
static int udev_enumerate_ttys(struct udev_state *st, struct strbuf *err)
{
	struct udev_enumerate *e = udev_enumerate_new(st->udev);
	struct strvec paths = STRVEC_INIT;
	struct udev_list_entry *le;
	bool all = devices_include_non_usb(st->devs);
	int r;

	if (!e) {
		strbuf_addf(err, "cannot enumerate udev devices: %s", strerror(errno));
		return -ENOMEM;
	}
	udev_enumerate_add_match_subsystem(e, "tty");
	r = udev_enumerate_scan_devices(e);
	if (r < 0) {
		strbuf_addf(err, "cannot enumerate udev devices: %s", strerror(-r));
		udev_enumerate_unref(e);
		return r;
	}
	udev_list_entry_foreach(le, udev_enumerate_get_list_entry(e))
	{
		const char *path = udev_list_entry_get_name(le);

		/* tty0..63, ptmx, console: never a board, and the bulk of the list */
		if (all || !strstr(path, "/devices/virtual/"))
			strvec_push(&paths, path);
	}
	udev_enumerate_unref(e);
	/* port order: new ports get slot numbers in this order */
	qsort(paths.v, paths.n, sizeof *paths.v, path_cmp);
	for (size_t i = 0; i < paths.n; i++) {
		struct udev_device *d = udev_device_new_from_syspath(st->udev, paths.v[i]);

		if (d) {
			report_device(st->devs, d);
			udev_device_unref(d);
		}
	}
	strvec_release(&paths);
	return 0;
}

/* The monitor fd is readable: handle every queued event. */
static void on_monitor(int fd, short revents, void *data)
{
	struct udev_state *st = data;
	struct udev_device *d;

	(void)fd;
	(void)revents;
	while ((d = udev_monitor_receive_device(st->mon))) {
		const char *action = udev_device_get_action(d), *old;

		if (!action)
			action = "add";
		if (!strcmp(action, "remove")) {
			/* sysfs is gone or half gone: the table knows the rest */
			devices_report_remove(st->devs, udev_device_get_syspath(d));
		} else if (!strcmp(action, "move")) {
			old = udev_device_get_property_value(d, "DEVPATH_OLD");
			if (old) {
				char *key = xasprintf("/sys%s", old);

				devices_report_remove(st->devs, key);
				free(key);
			}
			report_device(st->devs, d);
		} else {
			report_device(st->devs, d);
		}
		udev_device_unref(d);
	}
}

/* Free the state (after the fd left the loop). */
static void udev_state_free(struct udev_state *st)
{
	if (st->mon)
		udev_monitor_unref(st->mon);
	if (st->udev)
		udev_unref(st->udev);
	free(st);
}

/* Monitor first, then enumerate, then watch the monitor on the loop. */
static int udev_start(struct devices *devs, void *ctx, struct strbuf *err)
{
	struct udev_state *st = xcalloc(1, sizeof *st);
	int r = -ENOMEM;

	st->devs = devs;
	st->fd = -1;
	st->udev = udev_new();
	if (st->udev)
		st->mon = udev_monitor_new_from_netlink(st->udev, "udev");
	if (!st->mon) {
		strbuf_addf(err, "cannot open the udev monitor: %s", strerror(errno ? errno : ENOMEM));
		goto fail;
	}
	udev_monitor_filter_add_match_subsystem_devtype(st->mon, "tty", NULL);
	r = udev_monitor_enable_receiving(st->mon);
	if (r < 0) {
		strbuf_addf(err, "cannot listen to udev events: %s", strerror(-r));
		goto fail;
	}
	st->fd = udev_monitor_get_fd(st->mon);
	fd_set_cloexec(st->fd);
	fd_set_nonblock(st->fd);
	r = udev_enumerate_ttys(st, err);
	if (r < 0)
		goto fail;
	r = loop_fd_add(devices_loop(devs), st->fd, POLLIN, on_monitor, st);
	if (r < 0) {
		strbuf_addf(err, "cannot watch the udev monitor: %s", strerror(-r));
		goto fail;
	}
	*(struct udev_state **)ctx = st;
	return 0;
fail:
	udev_state_free(st);
	return r < 0 ? r : -EIO;
}

/* Enumerate again (the table removes what is missing). */
static int udev_rescan(struct devices *devs, void *ctx)
{
	struct udev_state *st = *(struct udev_state **)ctx;
	struct strbuf err = STRBUF_INIT;
	int r;

	(void)devs;
	r = udev_enumerate_ttys(st, &err);
	strbuf_release(&err);
	return r;
}

/* Stop watching and free everything. */
static void udev_stop(struct devices *devs, void *ctx)
{
	struct udev_state *st = *(struct udev_state **)ctx;

	if (!st)
		return;
	loop_fd_del(devices_loop(devs), st->fd);
	udev_state_free(st);
	*(struct udev_state **)ctx = NULL;
}

const struct devices_backend devices_udev_backend = {
	.name = "udev",
	.start = udev_start,
	.rescan = udev_rescan,
	.stop = udev_stop,
};
