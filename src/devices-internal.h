/* devices-internal.h - the device table's private state and what its files
 * share: devices.c (the table, backend reports, open/close), devices-config.c
 * (what the table takes from the config: kinds, allow/deny, roots, pins),
 * devices-slots.c (a slot per physical port), devices-find.c (a device by the
 * path a user names). Private to those files.
 */
#ifndef FLASHBAY_DEVICES_INTERNAL_H
#define FLASHBAY_DEVICES_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices.h"
#include "loop.h"

struct config;
struct kind_rule;
struct slot_pin;

/* A struct device plus the table's bookkeeping. */
struct dev {
	struct device pub;
	struct devices *devs;
	struct loop_timer expire; /* armed while gone */
	uint64_t seen;            /* the rescan generation that last reported it */
};

/* A physical port seen during this process: its slot for life. */
struct port {
	char *key;
	unsigned slot;
	const char *label; /* a pin's label (owned by the table), or NULL */
	unsigned plugs;
};

struct usbid {
	uint16_t vid, pid;
	bool any_pid;
};

struct devices {
	struct loop *loop;
	struct devices_ops ops;
	void *data;
	const struct devices_backend *backend;
	void *backend_ctx;
	void *builtin_state; /* a built-in backend's state (its ctx points here) */

	/* what we keep of the config */
	bool include_non_usb;
	uint64_t window_ms;
	char *sysfs_root, *dev_root;
	struct kind_rule *rules;
	size_t n_rules;
	struct usbid *allow, *deny;
	size_t n_allow, n_deny;
	struct slot_pin *pins;
	size_t n_pins;

	struct port *ports;
	size_t n_ports, alloc_ports;
	unsigned next_slot;

	struct dev **v; /* ordered by slot */
	size_t n, alloc;

	uint64_t gen;
	bool rescanning;
	bool starting; /* the first enumeration: duplicate warnings wait for its end */
};

#define DEV(d) ((struct dev *)((char *)(d) - offsetof(struct dev, pub)))

/* devices-config.c */

/* Copy what the table needs from cfg (kind rules, allow/deny lists, slot
 * pins, the sysfs and /dev roots, the reappear window), so cfg may go away
 * after open. */
void devices_take_config(struct devices *devs, const struct config *cfg);
/* The kind of vid:pid by the config's [kinds] rules, else the built-in
 * table; *what: the built-in table's description (NULL when a rule decides). */
enum dev_kind devices_classify(const struct devices *devs, uint16_t vid, uint16_t pid,
			       const char **what);
/* May this device be in the table ([devices] allow/deny; non-USB ttys only
 * for --all)? */
bool devices_wanted(const struct devices *devs, const struct device_info *info);

/* devices-slots.c */

/* The port d sits on, owned by the table; a port seen for the first time
 * gets its pinned slot, else the next free one, for the rest of the process. */
struct port *devices_port_get(struct devices *devs, const struct device *d);

#endif
