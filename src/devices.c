/* devices.c - the device table: the re-enumeration window, duplicate by-id
 * names, open/close and rescans. Backend-independent: backends report what
 * they see through devices_report_add()/_remove(). Kinds and filters are in
 * devices-config.c, slots in devices-slots.c, finding by path in
 * devices-find.c, port checks and port names in devices-port.c.
 */
#include "autoconf.h"

#include "devices.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "clock.h"
#include "config.h"
#include "devices-backend.h"
#include "devices-internal.h"
#include "log.h"
#include "loop.h"
#include "path.h"
#include "xalloc.h"

/* Insert d keeping the table ordered by slot. */
static void table_insert(struct devices *devs, struct dev *d)
{
	size_t i = devs->n;

	devs->v = xgrow(devs->v, &devs->alloc, devs->n + 1, sizeof *devs->v);
	while (i > 0 && devs->v[i - 1]->pub.slot > d->pub.slot)
		i--;
	memmove(devs->v + i + 1, devs->v + i, (devs->n - i) * sizeof *devs->v);
	devs->v[i] = d;
	devs->n++;
}

/* Take d out of the table (does not free it). */
static void table_remove(struct devices *devs, struct dev *d)
{
	for (size_t i = 0; i < devs->n; i++) {
		if (devs->v[i] == d) {
			memmove(devs->v + i, devs->v + i + 1, (devs->n - i - 1) * sizeof *devs->v);
			devs->n--;
			return;
		}
	}
}

/* Free the strings a backend report filled in. */
static void dev_clear_info(struct device *d)
{
	free(d->key);
	free(d->syspath);
	free(d->devnode);
	free(d->by_id);
	free(d->by_path);
	strvec_release(&d->devlinks);
	free(d->id_path);
	free(d->manufacturer);
	free(d->product);
	free(d->serial);
	free(d->driver);
}

/* Free d and everything it owns (not its user pointer). */
static void dev_free(struct dev *d)
{
	if (!d)
		return;
	loop_timer_disarm(d->devs->loop, &d->expire);
	dev_clear_info(&d->pub);
	free(d->pub.port_key);
	free(d->pub.slot_label);
	free(d);
}

/* First link containing what ("/serial/by-id/"), copied, or NULL. */
static char *first_link(const struct strvec *links, const char *what)
{
	for (size_t i = 0; i < links->n; i++)
		if (strstr(links->v[i], what))
			return xstrdup(links->v[i]);
	return NULL;
}

/* Copy a backend report into d (replacing what it had) and classify it. */
static void dev_set_info(struct devices *devs, struct device *d, const struct device_info *info)
{
	dev_clear_info(d);
	d->key = xstrdup(info->key);
	d->syspath = xstrdup_or_null(info->syspath);
	d->devnode = xstrdup(info->devnode);
	strvec_init(&d->devlinks);
	if (info->devlinks)
		strvec_pushv(&d->devlinks, info->devlinks);
	d->by_id = first_link(&d->devlinks, "/serial/by-id/");
	d->by_path = first_link(&d->devlinks, "/serial/by-path/");
	d->id_path = xstrdup_or_null(info->id_path);
	d->usb = info->usb;
	d->vid = info->usb ? info->vid : 0;
	d->pid = info->usb ? info->pid : 0;
	d->manufacturer = xstrdup_or_null(info->manufacturer);
	d->product = xstrdup_or_null(info->product);
	d->serial = xstrdup_or_null(info->serial);
	d->driver = xstrdup_or_null(info->driver);
	d->ifnum = info->ifnum;
	d->kind_what = NULL;
	d->kind = d->usb ? devices_classify(devs, d->vid, d->pid, &d->kind_what) : KIND_UNKNOWN;
}

/* NULL-safe string equality. */
static bool str_same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Does a report differ from what d holds (anything a view could show)? */
static bool dev_differs(const struct device *d, const struct device_info *info)
{
	size_t n = 0;

	if (info->devlinks)
		while (info->devlinks[n])
			n++;
	if (n != d->devlinks.n)
		return true;
	for (size_t i = 0; i < n; i++)
		if (strcmp(info->devlinks[i], d->devlinks.v[i]))
			return true;
	return !str_same(d->devnode, info->devnode) || !str_same(d->syspath, info->syspath) ||
	       !str_same(d->id_path, info->id_path) || d->usb != info->usb ||
	       (info->usb && (d->vid != info->vid || d->pid != info->pid)) ||
	       !str_same(d->manufacturer, info->manufacturer) ||
	       !str_same(d->product, info->product) || !str_same(d->serial, info->serial) ||
	       !str_same(d->driver, info->driver) || d->ifnum != info->ifnum;
}

/* The present device with this backend key, or NULL. */
static struct dev *find_present_key(const struct devices *devs, const char *key)
{
	for (size_t i = 0; i < devs->n; i++)
		if (devs->v[i]->pub.present && !strcmp(devs->v[i]->pub.key, key))
			return devs->v[i];
	return NULL;
}

/* The device (present or within its window) on this port, or NULL. */
static struct dev *find_port(const struct devices *devs, const char *port_key)
{
	for (size_t i = 0; i < devs->n; i++)
		if (!strcmp(devs->v[i]->pub.port_key, port_key))
			return devs->v[i];
	return NULL;
}

/* --- duplicate by-id names ----------------------------------------------- */

/* Log that count boards (on ports) share the by-id name by_id. */
static void dup_warn(const char *by_id, size_t count, const char *ports)
{
	log_msg(LOG_WARN, NULL, "%zu boards share the by-id name '%s' (%s): they are told apart by slot",
		count, path_basename(by_id), ports);
}

/* Recompute dup_by_id for the present devices named by_id; warn once when a
 * device newly joins a group of duplicates, and report changed() for other
 * devices whose flag changed (self is being reported by the caller). */
static void dup_update(struct devices *devs, const char *by_id, const struct dev *self)
{
	size_t count = 0, fresh = 0;
	struct strbuf ports = STRBUF_INIT;

	if (!by_id)
		return;
	for (size_t i = 0; i < devs->n; i++)
		if (devs->v[i]->pub.present && str_same(devs->v[i]->pub.by_id, by_id))
			count++;
	for (size_t i = 0; i < devs->n; i++) {
		struct device *d = &devs->v[i]->pub;
		bool dup = count > 1;

		if (!d->present || !str_same(d->by_id, by_id))
			continue;
		strbuf_addf(&ports, "%s%s", ports.len ? ", " : "", d->devnode);
		if (d->dup_by_id == dup)
			continue;
		d->dup_by_id = dup;
		fresh += dup;
		if (devs->v[i] != self && devs->ops.changed)
			devs->ops.changed(d, devs->data);
	}
	if (fresh && !devs->starting)
		dup_warn(by_id, count, ports.buf);
	strbuf_release(&ports);
}

/* After the first enumeration: one warning per shared by-id name. */
static void dup_warn_all(const struct devices *devs)
{
	for (size_t i = 0; i < devs->n; i++) {
		const struct device *d = &devs->v[i]->pub;
		struct strbuf ports = STRBUF_INIT;
		size_t count = 0;
		bool first = true;

		for (size_t j = 0; j < devs->n && d->dup_by_id; j++) {
			const struct device *o = &devs->v[j]->pub;

			if (!o->present || !str_same(o->by_id, d->by_id))
				continue;
			first &= j >= i;
			count++;
			strbuf_addf(&ports, "%s%s", ports.len ? ", " : "", o->devnode);
		}
		if (count > 1 && first)
			dup_warn(d->by_id, count, ports.buf);
		strbuf_release(&ports);
	}
}

/* --- backend reports ------------------------------------------------------ */

/* The reappear window passed: drop the device for good. */
static void dev_expire(struct loop_timer *t, void *data)
{
	struct dev *d = data;
	struct devices *devs = d->devs;

	(void)t;
	table_remove(devs, d);
	if (devs->ops.expired)
		devs->ops.expired(&d->pub, devs->data);
	dev_free(d);
}

/* Update a present device from a new report of the same key. */
static void dev_update(struct devices *devs, struct dev *d, const struct device_info *info)
{
	char *old_by_id;
	bool renode;
	enum dev_kind kind = d->pub.kind;

	if (!dev_differs(&d->pub, info))
		return;
	renode = !str_same(d->pub.devnode, info->devnode);
	old_by_id = xstrdup_or_null(d->pub.by_id);
	dev_set_info(devs, &d->pub, info);
	if (!str_same(old_by_id, d->pub.by_id)) {
		dup_update(devs, old_by_id, d);
		dup_update(devs, d->pub.by_id, d);
	}
	free(old_by_id);
	if ((renode || kind != d->pub.kind) && devs->ops.attached)
		devs->ops.attached(&d->pub, false, devs->data);
	else if (devs->ops.changed)
		devs->ops.changed(&d->pub, devs->data);
}

/* A device is back on its port (within its window, or re-keyed during a
 * rescan): same struct, slot and user pointer. */
static void dev_reattach(struct devices *devs, struct dev *d, const struct device_info *info)
{
	char *old_by_id = d->pub.present ? xstrdup_or_null(d->pub.by_id) : NULL;

	loop_timer_disarm(devs->loop, &d->expire);
	dev_set_info(devs, &d->pub, info);
	d->pub.present = true;
	d->pub.gone_ms = 0;
	d->seen = devs->gen;
	if (old_by_id && !str_same(old_by_id, d->pub.by_id))
		dup_update(devs, old_by_id, d);
	free(old_by_id);
	dup_update(devs, d->pub.by_id, d);
	if (devs->ops.attached)
		devs->ops.attached(&d->pub, false, devs->data);
}

/* A real plug-in on port_key: a new struct device. */
static void dev_plug(struct devices *devs, const struct device_info *info, char *port_key)
{
	struct dev *d = xcalloc(1, sizeof *d);
	struct port *p;

	d->devs = devs;
	loop_timer_init(&d->expire, dev_expire, d);
	strvec_init(&d->pub.devlinks);
	d->pub.port_key = port_key;
	dev_set_info(devs, &d->pub, info);
	p = devices_port_get(devs, &d->pub);
	d->pub.slot = p->slot;
	d->pub.slot_label = xstrdup_or_null(p->label);
	d->pub.plugs = ++p->plugs;
	d->pub.present = true;
	d->seen = devs->gen;
	table_insert(devs, d);
	dup_update(devs, d->pub.by_id, d);
	if (devs->ops.attached)
		devs->ops.attached(&d->pub, true, devs->data);
}

void devices_report_add(struct devices *devs, const struct device_info *info)
{
	struct dev *d;
	char *port_key;

	if (!info || !info->key || !info->devnode)
		return;
	d = find_present_key(devs, info->key);
	if (!devices_wanted(devs, info)) {
		if (d)
			devices_report_remove(devs, info->key);
		return;
	}
	if (d) {
		d->seen = devs->gen;
		dev_update(devs, d, info);
		return;
	}
	port_key = xstrdup(info->id_path && *info->id_path ? info->id_path : info->devnode);
	d = find_port(devs, port_key);
	/* Another present device on the same port: during a rescan that did not
	 * report it again, it re-enumerated under a new key; otherwise this is a
	 * second tty of one interface and needs a port of its own. */
	if (d && d->pub.present && !(devs->rescanning && d->seen != devs->gen)) {
		char *k = xasprintf("%s#%s", port_key, path_basename(info->devnode));

		free(port_key);
		port_key = k;
		d = find_port(devs, port_key);
		if (d && d->pub.present)
			d = NULL; /* cannot happen with unique devnodes; plug anew */
	}
	if (d) {
		free(port_key);
		dev_reattach(devs, d, info);
		return;
	}
	dev_plug(devs, info, port_key);
}

void devices_report_remove(struct devices *devs, const char *key)
{
	struct dev *d = key ? find_present_key(devs, key) : NULL;

	if (!d || d->pub.manual)
		return;
	d->pub.present = false;
	d->pub.gone_ms = now_ms();
	d->pub.dup_by_id = false;
	dup_update(devs, d->pub.by_id, d);
	loop_timer_arm(devs->loop, &d->expire, devs->window_ms, 0);
	if (devs->ops.detached)
		devs->ops.detached(&d->pub, devs->data);
}

/* --- public API ----------------------------------------------------------- */

/* Free everything the table owns (no callbacks). */
static void devices_free(struct devices *devs)
{
	for (size_t i = 0; i < devs->n; i++)
		dev_free(devs->v[i]);
	free(devs->v);
	for (size_t i = 0; i < devs->n_ports; i++)
		free(devs->ports[i].key);
	free(devs->ports);
	for (size_t i = 0; i < devs->n_pins; i++) {
		free(devs->pins[i].label);
		free(devs->pins[i].path);
	}
	free(devs->pins);
	free(devs->rules);
	free(devs->allow);
	free(devs->deny);
	free(devs->sysfs_root);
	free(devs->dev_root);
	free(devs);
}

/* Start one backend; on failure nothing of it is left running. */
static int devices_start(struct devices *devs, const struct devices_backend *be, void *ctx,
			 struct strbuf *err)
{
	int r;

	devs->backend = be;
	devs->backend_ctx = ctx;
	r = be->start(devs, ctx, err);
	if (!r)
		log_msg(LOG_INFO, NULL, "finding devices with %s", be->name);
	return r;
}

/* Pick and start the backend opts asks for. */
static int devices_start_source(struct devices *devs, const struct devices_opts *opts,
				struct strbuf *err)
{
	bool custom_roots = strcmp(devs->sysfs_root, "/sys") || strcmp(devs->dev_root, "/dev");
	enum devices_source src = opts ? opts->source : DEVICES_AUTO;
	struct strbuf why = STRBUF_INIT;
	int r;

	if (opts && opts->backend)
		return devices_start(devs, opts->backend, opts->backend_ctx, err);
	if (src == DEVICES_UDEV && !devices_udev_usable()) {
		strbuf_addstr(err, "udev is not running here (no /run/udev/control); try --no-udev");
		return -ENOENT;
	}
	if (src == DEVICES_UDEV || (src == DEVICES_AUTO && devices_udev_usable() && !custom_roots)) {
		r = devices_start(devs, &devices_udev_backend, &devs->builtin_state,
				  src == DEVICES_UDEV ? err : &why);
		if (r && src != DEVICES_UDEV)
			log_msg(LOG_INFO, NULL, "udev unusable (%s); scanning sysfs instead",
				why.buf);
		strbuf_release(&why);
		if (!r || src == DEVICES_UDEV)
			return r;
	}
	return devices_start(devs, &devices_scan_backend, &devs->builtin_state, err);
}

int devices_open(struct loop *loop, const struct config *cfg, const struct devices_opts *opts,
		 const struct devices_ops *ops, void *data, struct devices **out, struct strbuf *err)
{
	struct devices *devs = xcalloc(1, sizeof *devs);
	int r;

	devs->loop = loop;
	if (ops)
		devs->ops = *ops;
	devs->data = data;
	devs->include_non_usb = opts && opts->include_non_usb;
	devs->gen = 1;
	devices_take_config(devs, cfg);
	devs->starting = true;
	r = devices_start_source(devs, opts, err);
	devs->starting = false;
	if (!r)
		dup_warn_all(devs);
	if (r < 0) {
		devices_free(devs);
		*out = NULL;
		return r;
	}
	*out = devs;
	return 0;
}

void devices_close(struct devices *devs)
{
	if (!devs)
		return;
	if (devs->backend && devs->backend->stop)
		devs->backend->stop(devs, devs->backend_ctx);
	devices_free(devs);
}

size_t devices_count(const struct devices *devs)
{
	return devs->n;
}

struct device *devices_at(const struct devices *devs, size_t i)
{
	return i < devs->n ? &devs->v[i]->pub : NULL;
}

struct device *devices_add_manual(struct devices *devs, const char *path, struct strbuf *err)
{
	struct device *known = devices_find(devs, path);
	struct stat st;
	struct dev *d;
	struct port *p;

	if (known)
		return known;
	if (stat(path, &st) < 0) {
		strbuf_addf(err, "cannot use port '%s': %s", path, strerror(errno));
		return NULL;
	}
	d = xcalloc(1, sizeof *d);
	d->devs = devs;
	loop_timer_init(&d->expire, dev_expire, d);
	d->pub.key = xstrdup(path);
	d->pub.devnode = xstrdup(path);
	d->pub.port_key = xstrdup(path);
	strvec_init(&d->pub.devlinks);
	d->pub.ifnum = -1;
	d->pub.kind = KIND_ESP32;
	d->pub.manual = true;
	d->pub.present = true;
	p = devices_port_get(devs, &d->pub);
	d->pub.slot = p->slot;
	d->pub.slot_label = xstrdup_or_null(p->label);
	d->pub.plugs = ++p->plugs;
	d->seen = devs->gen;
	table_insert(devs, d);
	if (devs->ops.attached)
		devs->ops.attached(&d->pub, true, devs->data);
	return &d->pub;
}

int devices_rescan(struct devices *devs)
{
	struct strvec gone = STRVEC_INIT;
	int r;

	if (!devs->backend->rescan)
		return 0;
	devs->gen++;
	devs->rescanning = true;
	r = devs->backend->rescan(devs, devs->backend_ctx);
	devs->rescanning = false;
	if (r < 0)
		return r;
	/* collect first: callbacks may change the table */
	for (size_t i = 0; i < devs->n; i++) {
		struct dev *d = devs->v[i];

		if (d->pub.present && !d->pub.manual && d->seen != devs->gen)
			strvec_push(&gone, d->pub.key);
	}
	for (size_t i = 0; i < gone.n; i++)
		devices_report_remove(devs, gone.v[i]);
	strvec_release(&gone);
	return 0;
}

const char *devices_source_name(const struct devices *devs)
{
	return devs->backend ? devs->backend->name : "none";
}

struct loop *devices_loop(const struct devices *devs)
{
	return devs->loop;
}

const char *devices_sysfs_root(const struct devices *devs)
{
	return devs->sysfs_root;
}

const char *devices_dev_root(const struct devices *devs)
{
	return devs->dev_root;
}

bool devices_include_non_usb(const struct devices *devs)
{
	return devs->include_non_usb;
}
