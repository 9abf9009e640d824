/* devices.h - the table of connected USB serial boards, kept current by
 * events (never by polling), with stable slot numbers per physical port.
 *
 * Backends feed the table: udev (enumerate + udev_monitor), a sysfs/dev
 * scanner watched with inotify (--no-udev, containers), or a simulation
 * (--demo). They all report through devices_report_add()/_remove(), so the
 * rest of flashbay cannot tell them apart.
 *
 * Slots: a small number per physical USB port, keyed by the port's ID_PATH
 * (by-id names are not unique: cheap CH340 boards all share one). [slots] in
 * the config pins labels to ports in file order (slots 1..n); other ports get
 * the next free number when first seen and keep it for the life of the
 * process. A board that vanishes and comes back on the same port within the
 * reappear window keeps its struct device, slot and app state.
 *
 * Every string from a USB descriptor or a by-id name is untrusted: the table
 * keeps it raw; sanitise with text.h before it reaches a terminal.
 */
#ifndef FLASHBAY_DEVICES_H
#define FLASHBAY_DEVICES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kind.h"
#include "strbuf.h"
#include "strvec.h"

struct loop;
struct config;
struct devices;

struct device {
	unsigned slot;          /* 1-based, stable for the life of the process */
	char *slot_label;       /* [slots] label, or NULL */
	char *port_key;         /* what the slot is keyed by (ID_PATH, else the devnode) */
	char *key;              /* backend identity while present (syspath, "demo:3", or the path) */
	char *syspath;          /* NULL for manual and simulated ports */
	char *devnode;          /* "/dev/ttyUSB0" */
	char *by_id;            /* first /dev/serial/by-id/ link, or NULL */
	char *by_path;          /* first /dev/serial/by-path/ link, or NULL */
	struct strvec devlinks; /* all links */
	char *id_path;          /* udev ID_PATH, or NULL */
	uint16_t vid, pid;      /* 0 if not USB */
	char *manufacturer, *product, *serial; /* raw descriptor strings, or NULL */
	int ifnum;              /* USB interface number, -1 if unknown */
	char *driver;           /* "cp210x", "cdc_acm", ... or NULL */
	enum dev_kind kind;
	const char *kind_what;  /* "CP210x", "CH340", ... or NULL (static) */
	bool usb;               /* has a USB parent */
	bool manual;            /* named with --port, not discovered */
	bool present;           /* false while gone within the reappear window */
	bool dup_by_id;         /* another present device has the same by-id name */
	uint64_t gone_ms;       /* CLOCK_MONOTONIC time it went away (when !present) */
	unsigned plugs;         /* real plug-ins seen on this port (not re-enumerations) */
	void *user;             /* the owner's per-device state */
};

struct devices_ops {
	/* A device is present: new on its port (fresh = true, plugs incremented),
	 * or back within the reappear window (fresh = false). */
	void (*attached)(struct device *d, bool fresh, void *data);
	/* Properties of a present device changed (a "change" event, a new
	 * devnode or kind after re-enumeration is reported as attached). */
	void (*changed)(struct device *d, void *data);
	/* Gone; d->present is false and d stays in the table for the window. */
	void (*detached)(struct device *d, void *data);
	/* The window passed without it coming back: d is freed after this returns. */
	void (*expired)(struct device *d, void *data);
};

enum devices_source { DEVICES_AUTO, DEVICES_UDEV, DEVICES_SCAN };

struct devices_opts {
	enum devices_source source; /* AUTO: udev if usable, else the scanner */
	bool include_non_usb;       /* list --all: ttyS0 and friends too */
	/* A simulation backend (demo) instead of udev/scan; NULL for real devices. */
	const struct devices_backend *backend;
	void *backend_ctx;
};

/* Open the table: start the backend, enumerate what is present (reported
 * through ops->attached before this returns, in port order), then follow
 * events on the loop. Uses cfg's [devices], [kinds] and [slots] (copied:
 * cfg may be released afterwards). ops (or any of its members) may be NULL.
 * AUTO uses udev when it is running (or umockdev's preload is active) and
 * the sysfs/dev roots are the defaults, else the scanner. -errno and a
 * message in err on failure. */
int devices_open(struct loop *loop, const struct config *cfg, const struct devices_opts *opts,
		 const struct devices_ops *ops, void *data, struct devices **out, struct strbuf *err);
/* Stop the backend and free every device (no callbacks: free your user
 * pointers first, walking devices_at()). NULL is fine. */
void devices_close(struct devices *devs);

/* Devices in the table (present or within the window), ordered by slot. */
size_t devices_count(const struct devices *devs);
struct device *devices_at(const struct devices *devs, size_t i);
/* The device a path names: its devnode, any of its links, or a path that
 * resolves (realpath / link target basename) to it; a present device before
 * one within its window. NULL if none. */
struct device *devices_find(const struct devices *devs, const char *path);
/* A port named by the user that discovery does not know (e.g. a pty): add
 * it as a manual device with the next free slot, kind esp32, reported
 * through ops->attached (fresh); a path that resolves to a known device
 * returns that device. Never removed by events. NULL and a message in err
 * if the path does not exist. */
struct device *devices_add_manual(struct devices *devs, const char *path, struct strbuf *err);
/* Can path (links followed) be a serial port: a character device of a tty
 * driver (/proc/tty/drivers; if that cannot be read, a device that opens as
 * a terminal)? 0, or -errno with "cannot use port 'P': ..." or "'P' is not a
 * serial port (a regular file)" in err. Opens nothing that is listed as a
 * tty driver's, so no modem line of a real port moves. */
int devices_check_port(const char *path, struct strbuf *err);
/* Enumerate again and reconcile (adds and removes reported as events). */
int devices_rescan(struct devices *devs);
/* "udev", "sysfs+inotify", or the simulation backend's name. */
const char *devices_source_name(const struct devices *devs);

/* --- for backends ------------------------------------------------------ */

/* What a backend reports; strings are borrowed for the duration of the call. */
struct device_info {
	const char *key;               /* stable identity while present */
	const char *syspath;           /* may be NULL */
	const char *devnode;
	const char *const *devlinks;   /* NULL-terminated, may be NULL */
	const char *id_path;           /* may be NULL */
	bool usb;
	uint16_t vid, pid;
	const char *manufacturer, *product, *serial, *driver; /* may be NULL */
	int ifnum;
};

struct devices_backend {
	const char *name;
	/* Report everything present, then start watching. */
	int (*start)(struct devices *devs, void *ctx, struct strbuf *err);
	/* Report everything present again (the table removes what is missing). */
	int (*rescan)(struct devices *devs, void *ctx);
	void (*stop)(struct devices *devs, void *ctx);
};

/* Add or update the device with info->key. A new key on the port (ID_PATH,
 * else devnode) of a device within its window takes that device over
 * (attached, fresh = false). Filtered by [devices] allow/deny; non-USB
 * devices only with include_non_usb. */
void devices_report_add(struct devices *devs, const struct device_info *info);
/* The device with this key is gone (starts its reappear window). */
void devices_report_remove(struct devices *devs, const char *key);
/* The loop the table runs on (for backends' fds and timers). */
struct loop *devices_loop(const struct devices *devs);

#endif
