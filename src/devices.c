/* devices.c - the device table: kinds, filters, slots per port, the
 * re-enumeration window and duplicate by-id names. Backend-independent:
 * backends report what they see through devices_report_add()/_remove().
 */
#include "autoconf.h"

#include "devices.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "clock.h"
#include "config.h"
#include "devices-backend.h"
#include "log.h"
#include "loop.h"
#include "parse.h"
#include "path.h"
#include "str.h"
#include "xalloc.h"

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

/* --- configuration -------------------------------------------------------- */

/* Parse "vid:pid" / "vid:*" (hex, any case); -EINVAL if malformed. */
static int usbid_parse(const char *s, struct usbid *id)
{
	const char *colon = strchr(s, ':');
	char vid[8];
	uint32_t v, p = 0;

	if (!colon || colon == s || (size_t)(colon - s) >= sizeof vid)
		return -EINVAL;
	snprintf(vid, sizeof vid, "%.*s", (int)(colon - s), s);
	id->any_pid = !strcmp(colon + 1, "*");
	if (parse_hex_u32(vid, &v) || v > 0xffff)
		return -EINVAL;
	if (!id->any_pid && (parse_hex_u32(colon + 1, &p) || p > 0xffff))
		return -EINVAL;
	id->vid = (uint16_t)v;
	id->pid = (uint16_t)p;
	return 0;
}

/* Parse a list of "vid:pid" patterns, skipping malformed ones (config.c has
 * already rejected those with file:line). */
static struct usbid *usbids_parse(const struct strvec *sv, size_t *n)
{
	struct usbid *ids = xcalloc(sv->n + 1, sizeof *ids);

	*n = 0;
	for (size_t i = 0; i < sv->n; i++)
		if (!usbid_parse(sv->v[i], &ids[*n]))
			(*n)++;
	return ids;
}

/* Does vid:pid match one of ids? */
static bool usbids_match(const struct usbid *ids, size_t n, uint16_t vid, uint16_t pid)
{
	for (size_t i = 0; i < n; i++)
		if (ids[i].vid == vid && (ids[i].any_pid || ids[i].pid == pid))
			return true;
	return false;
}

/* A root directory without trailing slashes ("/" stays), or def if unset. */
static char *root_dup(const char *root, const char *def)
{
	char *r = xstrdup(root && *root ? root : def);
	size_t n = strlen(r);

	while (n > 1 && r[n - 1] == '/')
		r[--n] = '\0';
	return r;
}

/* Copy what the table needs from cfg, so cfg may go away after open. */
static void devices_take_config(struct devices *devs, const struct config *cfg)
{
	devs->window_ms = cfg->reappear_window_ms;
	devs->sysfs_root = root_dup(cfg->sysfs_root, "/sys");
	devs->dev_root = root_dup(cfg->dev_root, "/dev");
	devs->n_rules = cfg->n_kind_rules;
	devs->rules = xcalloc(devs->n_rules + 1, sizeof *devs->rules);
	if (devs->n_rules)
		memcpy(devs->rules, cfg->kind_rules, devs->n_rules * sizeof *devs->rules);
	devs->allow = usbids_parse(&cfg->allow, &devs->n_allow);
	devs->deny = usbids_parse(&cfg->deny, &devs->n_deny);
	devs->n_pins = cfg->n_slots;
	devs->pins = xcalloc(devs->n_pins + 1, sizeof *devs->pins);
	for (size_t i = 0; i < devs->n_pins; i++) {
		devs->pins[i].label = xstrdup(cfg->slots[i].label);
		devs->pins[i].path = xstrdup(cfg->slots[i].path);
	}
	devs->next_slot = (unsigned)devs->n_pins + 1;
}

/* The kind of vid:pid: the config's [kinds] rules first (an exact pid before
 * "vid:*", a later rule before an earlier one), then the built-in table. */
static enum dev_kind devices_classify(const struct devices *devs, uint16_t vid, uint16_t pid,
				      const char **what)
{
	const struct kind_rule *any = NULL;

	for (size_t i = devs->n_rules; i-- > 0;) {
		const struct kind_rule *r = &devs->rules[i];

		if (r->vid != vid)
			continue;
		if (!r->any_pid && r->pid == pid) {
			*what = NULL;
			return r->kind;
		}
		if (r->any_pid && !any)
			any = r;
	}
	if (any) {
		*what = NULL;
		return any->kind;
	}
	return kind_lookup(vid, pid, what);
}

/* May this device be in the table ([devices] allow/deny; non-USB ttys only for --all)? */
static bool devices_wanted(const struct devices *devs, const struct device_info *info)
{
	if (!info->usb)
		return devs->include_non_usb;
	if (usbids_match(devs->deny, devs->n_deny, info->vid, info->pid))
		return false;
	return !devs->n_allow || usbids_match(devs->allow, devs->n_allow, info->vid, info->pid);
}

/* --- slots ---------------------------------------------------------------- */

/* Does a by-path link (full path or basename) name the pinned path: equal,
 * or the pin followed by '-' ("...:1.0" pins "...:1.0-port0")? */
static bool pin_matches_link(const char *pin, const char *link)
{
	const char *cands[2] = { link, path_basename(link) };

	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(pin);

		if (!strncmp(cands[i], pin, n) && (cands[i][n] == '\0' || cands[i][n] == '-'))
			return true;
	}
	return false;
}

/* Does pin match device d (its ID_PATH, or one of its by-path links)? */
static bool pin_matches(const struct slot_pin *pin, const struct device *d)
{
	if (d->id_path && !strcmp(d->id_path, pin->path))
		return true;
	for (size_t i = 0; i < d->devlinks.n; i++)
		if (strstr(d->devlinks.v[i], "/serial/by-path/") &&
		    pin_matches_link(pin->path, d->devlinks.v[i]))
			return true;
	return false;
}

/* Is slot number s already taken by a known port? */
static bool slot_taken(const struct devices *devs, unsigned s)
{
	for (size_t i = 0; i < devs->n_ports; i++)
		if (devs->ports[i].slot == s)
			return true;
	return false;
}

/* The port with this key, or NULL. */
static struct port *port_find(struct devices *devs, const char *key)
{
	for (size_t i = 0; i < devs->n_ports; i++)
		if (!strcmp(devs->ports[i].key, key))
			return &devs->ports[i];
	return NULL;
}

/* The port d sits on; a port seen for the first time gets its pinned slot
 * ([slots] in file order) or the next free number, for life. */
static struct port *port_get(struct devices *devs, const struct device *d)
{
	struct port *p = port_find(devs, d->port_key);
	unsigned slot = 0;
	const char *label = NULL;

	if (p)
		return p;
	for (size_t i = 0; i < devs->n_pins && !slot; i++) {
		if (!slot_taken(devs, (unsigned)i + 1) && pin_matches(&devs->pins[i], d)) {
			slot = (unsigned)i + 1;
			label = devs->pins[i].label;
		}
	}
	if (!slot)
		slot = devs->next_slot++;
	devs->ports = xgrow(devs->ports, &devs->alloc_ports, devs->n_ports + 1, sizeof *devs->ports);
	p = &devs->ports[devs->n_ports++];
	*p = (struct port){ .key = xstrdup(d->port_key), .slot = slot, .label = label };
	return p;
}

/* --- the table ------------------------------------------------------------ */

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
	p = port_get(devs, &d->pub);
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
	p = port_get(devs, &d->pub);
	d->pub.slot = p->slot;
	d->pub.slot_label = xstrdup_or_null(p->label);
	d->pub.plugs = ++p->plugs;
	d->seen = devs->gen;
	table_insert(devs, d);
	if (devs->ops.attached)
		devs->ops.attached(&d->pub, true, devs->data);
	return &d->pub;
}

/* Is maj:min a tty driver's device in /proc/tty/drivers? 1, 0, or -errno. */
static int tty_driver_has(unsigned maj, unsigned min)
{
	FILE *f = fopen("/proc/tty/drivers", "re");
	char line[256];
	int found = 0;

	if (!f)
		return -errno;
	/* "name  /dev/prefix  major  minor[-last]  type" */
	while (!found && fgets(line, sizeof line, f)) {
		unsigned m, lo, hi;
		int n = sscanf(line, "%*s %*s %u %u-%u", &m, &lo, &hi);

		if (n == 2)
			hi = lo;
		found = n >= 2 && m == maj && min >= lo && min <= hi;
	}
	fclose(f);
	return found;
}

/* Does path open as a terminal (without becoming our controlling one)? */
static bool opens_as_tty(const char *path)
{
	int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	bool tty = fd >= 0 && isatty(fd);

	if (fd >= 0)
		close(fd);
	return tty;
}

/* What a path that is not a serial port is, for the message. */
static const char *file_kind(mode_t mode)
{
	if (S_ISREG(mode))
		return "a regular file";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISCHR(mode))
		return "a character device that is not a terminal";
	if (S_ISBLK(mode))
		return "a block device";
	return "not a device";
}

int devices_check_port(const char *path, struct strbuf *err)
{
	struct stat st;
	int r;

	if (stat(path, &st) < 0) {
		r = -errno;
		strbuf_addf(err, "cannot use port '%s': %s", path, strerror(-r));
		return r;
	}
	if (S_ISCHR(st.st_mode)) {
		r = tty_driver_has(major(st.st_rdev), minor(st.st_rdev));
		if (r > 0 || (r < 0 && opens_as_tty(path)))
			return 0;
	}
	strbuf_addf(err, "'%s' is not a serial port (%s)", path, file_kind(st.st_mode));
	return -ENOTTY;
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

/* --- port paths ------------------------------------------------------------ */

/* Does s consist of digits and dots only (non-empty)? */
static bool digits_dots(const char *s, size_t n)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(s[i] >= '0' && s[i] <= '9') && s[i] != '.')
			return false;
	return true;
}

/* "1-1.2" (a USB device) or "usb1" (a root hub)? */
static bool is_usb_device(const char *s)
{
	const char *dash = strchr(s, '-');

	if (str_starts_with(s, "usb") && digits_dots(s + 3, strlen(s + 3)))
		return true;
	return dash && digits_dots(s, (size_t)(dash - s)) && digits_dots(dash + 1, strlen(dash + 1));
}

/* "1-1.2:1.0" (a USB interface)? */
static bool is_usb_interface(const char *s)
{
	const char *dash = strchr(s, '-'), *colon = strchr(s, ':');

	return dash && colon && dash < colon && digits_dots(s, (size_t)(dash - s)) &&
	       digits_dots(dash + 1, (size_t)(colon - dash - 1)) &&
	       digits_dots(colon + 1, strlen(colon + 1));
}

/* "0000:00:14.0" (a PCI device address)? */
static bool is_pci_addr(const char *s)
{
	static const char pat[] = "xxxx:xx:xx.x";

	if (strlen(s) != sizeof pat - 1)
		return false;
	for (size_t i = 0; pat[i]; i++)
		if (pat[i] == 'x' ? !strchr("0123456789abcdef", s[i]) || !s[i] : s[i] != pat[i])
			return false;
	return true;
}

char *devices_port_path(const char *rel)
{
	struct strvec c = STRVEC_INIT;
	char *out = NULL, *tmp;
	long i, j;

	strvec_split(&c, rel, "/");
	for (i = (long)c.n - 1; i >= 0 && !is_usb_interface(c.v[i]); i--)
		;
	if (i < 0)
		goto done;
	out = xasprintf("usb-0:%s", strchr(c.v[i], '-') + 1);
	for (j = i - 1; j >= 0 && is_usb_device(c.v[j]); j--)
		;
	if (j >= 0 && is_pci_addr(c.v[j])) {
		tmp = xasprintf("pci-%s-%s", c.v[j], out);
		free(out);
		out = tmp;
		while (j >= 0 && (is_pci_addr(c.v[j]) || str_starts_with(c.v[j], "pci")))
			j--;
	}
	if (j >= 1 && !strcmp(c.v[0], "platform")) {
		tmp = xasprintf("platform-%s-%s", c.v[j], out);
		free(out);
		out = tmp;
	}
done:
	strvec_release(&c);
	return out;
}
