/* test-devices.c - the device table through a scripted backend: kinds,
 * [kinds] rules, allow/deny, slots and [slots] pins, the re-enumeration
 * window on the real loop, duplicate by-id names, manual ports, find,
 * rescan, port paths, and enumeration speed.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "array.h"
#include "clock.h"
#include "config.h"
#include "devices-backend.h"
#include "devices.h"
#include "fd.h"
#include "files.h"
#include "log.h"
#include "loop.h"
#include "str.h"
#include "xalloc.h"

/* --- a scripted backend --------------------------------------------------- */

#define MAXDEV 80

struct fake {
	char key[32], node[32], id_path[64], by_id[128], by_path[128];
	const char *links[3];
	struct device_info info;
	bool present;
};

static struct fake fakes[MAXDEV];
static int rescans;

/* Describe fake i: a USB tty on port "usb-0:<port>" with vid:pid. */
static struct device_info *fake_set(int i, int port, uint16_t vid, uint16_t pid, const char *by_id)
{
	struct fake *f = &fakes[i];
	int n = 0;

	memset(f, 0, sizeof *f);
	snprintf(f->key, sizeof f->key, "/sys/fake/%d", i);
	snprintf(f->node, sizeof f->node, "/dev/ttyUSB%d", i);
	snprintf(f->id_path, sizeof f->id_path, "pci-0000:00:14.0-usb-0:%d:1.0", port);
	if (by_id) {
		snprintf(f->by_id, sizeof f->by_id, "/dev/serial/by-id/%s", by_id);
		f->links[n++] = f->by_id;
	}
	snprintf(f->by_path, sizeof f->by_path,
		 "/dev/serial/by-path/pci-0000:00:14.0-usb-0:%d:1.0-port0", port);
	f->links[n++] = f->by_path;
	f->info = (struct device_info){ .key = f->key, .syspath = f->key, .devnode = f->node,
					.devlinks = f->links, .id_path = f->id_path, .usb = true,
					.vid = vid, .pid = pid, .ifnum = 0, .product = "P",
					.serial = "S", .driver = "drv" };
	f->present = true;
	return &f->info;
}

static int fake_start(struct devices *devs, void *ctx, struct strbuf *err)
{
	(void)ctx;
	(void)err;
	for (int i = 0; i < MAXDEV; i++)
		if (fakes[i].present)
			devices_report_add(devs, &fakes[i].info);
	return 0;
}

static int fake_rescan(struct devices *devs, void *ctx)
{
	rescans++;
	return fake_start(devs, ctx, NULL);
}

static const struct devices_backend fake_backend = { .name = "fake",
						     .start = fake_start,
						     .rescan = fake_rescan };

/* --- recording callbacks --------------------------------------------------- */

static struct strvec events = STRVEC_INIT;
static int user_ids;

static void on_attached(struct device *d, bool fresh, void *data)
{
	(void)data;
	if (fresh) {
		int *u = xmalloc(sizeof *u);

		*u = ++user_ids;
		d->user = u;
	}
	strvec_pushf(&events, "attached %u %s fresh=%d plugs=%u user=%d", d->slot, d->devnode,
		     fresh, d->plugs, d->user ? *(int *)d->user : 0);
}

static void on_changed(struct device *d, void *data)
{
	(void)data;
	strvec_pushf(&events, "changed %u %s dup=%d", d->slot, d->devnode, d->dup_by_id);
}

static void on_detached(struct device *d, void *data)
{
	(void)data;
	strvec_pushf(&events, "detached %u %s present=%d", d->slot, d->devnode, d->present);
}

static void on_expired(struct device *d, void *data)
{
	(void)data;
	strvec_pushf(&events, "expired %u %s", d->slot, d->devnode);
	free(d->user);
}

static const struct devices_ops ops = { on_attached, on_changed, on_detached, on_expired };

/* The last event, or "". */
static const char *last_event(void)
{
	return events.n ? events.v[events.n - 1] : "";
}

/* Open a table over the fakes with cfg. */
static struct devices *open_fake(struct loop *loop, struct config *cfg)
{
	struct devices_opts o = { .backend = &fake_backend };
	struct strbuf err = STRBUF_INIT;
	struct devices *devs = NULL;

	if (devices_open(loop, cfg, &o, &ops, NULL, &devs, &err))
		diag("open: %s", err.buf);
	strbuf_release(&err);
	return devs;
}

/* Free what the callbacks allocated for devices still in the table. */
static void close_fake(struct devices *devs)
{
	for (size_t i = 0; devs && i < devices_count(devs); i++)
		free(devices_at(devs, i)->user);
	devices_close(devs);
	memset(fakes, 0, sizeof fakes);
	strvec_release(&events);
	user_ids = 0;
}

/* Run the loop until an event starting with prefix arrives (5 s at most). */
static bool wait_event(struct loop *loop, const char *prefix)
{
	uint64_t end = now_ms() + 5000;

	while (now_ms() < end) {
		for (size_t i = 0; i < events.n; i++)
			if (str_starts_with(events.v[i], prefix))
				return true;
		loop_iterate(loop, 50);
	}
	return false;
}

/* A config from ini text (with the defaults). */
static void cfg_from(struct config *cfg, const char *text)
{
	char path[] = "/tmp/fb-devices-XXXXXX";
	int fd = mkstemp(path);
	struct strbuf err = STRBUF_INIT, warn = STRBUF_INIT;

	write_all(fd, text, strlen(text));
	close(fd);
	config_init(cfg);
	config_defaults(cfg);
	if (config_read_file(cfg, path, true, &err, &warn))
		diag("config: %s", err.buf);
	unlink(path);
	strbuf_release(&err);
	strbuf_release(&warn);
}

/* --- tests ----------------------------------------------------------------- */

static void kinds(struct loop *loop)
{
	struct config cfg;
	struct devices *devs;
	static const struct {
		uint16_t vid, pid;
		const char *kind;
	} want[] = {
		{ 0x10c4, 0xea60, "esp32" },	 { 0x1a86, 0x7523, "esp32" },
		{ 0x1a86, 0x55d4, "esp32" },	 { 0x1a86, 0x55d3, "esp32" },
		{ 0x0403, 0x6001, "esp32" },	 { 0x0403, 0x6010, "esp32" },
		{ 0x0403, 0x6014, "esp32" },	 { 0x0403, 0x6015, "esp32" },
		{ 0x303a, 0x1001, "esp32-usb" }, { 0x303a, 0x0002, "esp32-usb" },
		{ 0x303a, 0x0009, "esp32-usb" }, { 0x303a, 0x4001, "esp32-usb" },
		{ 0x1d50, 0x614e, "klipper" },	 { 0x1d50, 0x6177, "katapult" },
		{ 0x1234, 0x5678, "unknown" },
	};
	size_t n = ARRAY_SIZE(want);

	cfg_from(&cfg, "");
	for (size_t i = 0; i < n; i++)
		fake_set((int)i, (int)i + 1, want[i].vid, want[i].pid, NULL);
	devs = open_fake(loop, &cfg);
	is_int(devices_count(devs), n, "every built-in id is listed");
	for (size_t i = 0; i < n && i < devices_count(devs); i++)
		is_str(kind_name(devices_at(devs, i)->kind), want[i].kind, "%04x:%04x is %s",
		       want[i].vid, want[i].pid, want[i].kind);
	is_str(devices_at(devs, 0)->kind_what, "CP210x", "the bridge family is kept (CP210x)");
	is_str(devices_source_name(devs), "fake", "source name is the backend's");
	close_fake(devs);
	config_release(&cfg);

	cfg_from(&cfg, "[kinds]\nesp32-usb = 303a:8000\nunknown = 1a86:7523\nklipper = 1209:*\n"
		       "katapult = 1209:beef\n");
	fake_set(0, 1, 0x303a, 0x8000, NULL);
	fake_set(1, 2, 0x1a86, 0x7523, NULL);
	fake_set(2, 3, 0x1209, 0x0001, NULL);
	fake_set(3, 4, 0x1209, 0xbeef, NULL);
	fake_set(4, 5, 0x10c4, 0xea60, NULL);
	devs = open_fake(loop, &cfg);
	is_str(kind_name(devices_at(devs, 0)->kind), "esp32-usb", "[kinds] adds a new id");
	is_str(kind_name(devices_at(devs, 1)->kind), "unknown", "[kinds] wins over the built-in table");
	is_str(kind_name(devices_at(devs, 2)->kind), "klipper", "[kinds] vid:* matches any pid");
	is_str(kind_name(devices_at(devs, 3)->kind), "katapult", "an exact pid beats vid:*");
	is_str(kind_name(devices_at(devs, 4)->kind), "esp32", "other ids keep their built-in kind");
	close_fake(devs);
	config_release(&cfg);
}

static void allow_deny(struct loop *loop)
{
	struct config cfg;
	struct devices *devs;

	cfg_from(&cfg, "[devices]\ndeny = 1a86:*\n");
	fake_set(0, 1, 0x10c4, 0xea60, NULL);
	fake_set(1, 2, 0x1a86, 0x7523, NULL);
	fake_set(2, 3, 0x1a86, 0x55d4, NULL);
	devs = open_fake(loop, &cfg);
	is_int(devices_count(devs), 1, "deny 1a86:* drops both WCH bridges");
	is_int(devices_at(devs, 0)->vid, 0x10c4, "the CP2102 stays");
	is_int(events.n, 1, "denied devices are never reported");
	close_fake(devs);
	config_release(&cfg);

	cfg_from(&cfg, "[devices]\nallow = 10C4:EA60 303a:*\ndeny = 303a:4001\n");
	fake_set(0, 1, 0x10c4, 0xea60, NULL);
	fake_set(1, 2, 0x1a86, 0x7523, NULL);
	fake_set(2, 3, 0x303a, 0x1001, NULL);
	fake_set(3, 4, 0x303a, 0x4001, NULL);
	devs = open_fake(loop, &cfg);
	is_int(devices_count(devs), 2, "allow list: only the allowed ids (deny still wins)");
	is_int(devices_at(devs, 1)->pid, 0x1001, "303a:* allows 303a:1001");
	/* a device that re-enumerates into a denied id leaves the table */
	fake_set(2, 3, 0x303a, 0x4001, NULL);
	devices_report_add(devs, &fakes[2].info);
	is_str(last_event(), "detached 2 /dev/ttyUSB2 present=0",
	       "re-enumerating into a denied id counts as a removal");
	close_fake(devs);
	config_release(&cfg);
}

static void slots(struct loop *loop)
{
	struct config cfg;
	struct devices *devs;
	struct device *d;

	cfg_from(&cfg, "[slots]\n"
		       "A1 = pci-0000:00:14.0-usb-0:5:1.0\n"
		       "A2 = /dev/serial/by-path/pci-0000:00:14.0-usb-0:6:1.0-port0\n"
		       "A3 = pci-0000:00:14.0-usb-0:7:1.0-port0\n"
		       "A4 = pci-0000:00:14.0-usb-0:9\n");
	fake_set(0, 3, 0x10c4, 0xea60, NULL);
	fake_set(1, 7, 0x10c4, 0xea60, NULL);
	fake_set(2, 1, 0x10c4, 0xea60, NULL);
	fake_set(3, 5, 0x10c4, 0xea60, NULL);
	fake_set(4, 6, 0x10c4, 0xea60, NULL);
	fake_set(5, 9, 0x10c4, 0xea60, NULL);
	devs = open_fake(loop, &cfg);
	is_int(devices_count(devs), 6, "six devices");
	d = devices_find(devs, "/dev/ttyUSB3");
	ok(d && d->slot == 1 && d->slot_label && !strcmp(d->slot_label, "A1"),
	   "pinned by ID_PATH: slot 1, label A1");
	d = devices_find(devs, "/dev/ttyUSB4");
	ok(d && d->slot == 2 && !strcmp(d->slot_label, "A2"), "pinned by a full by-path link: slot 2");
	d = devices_find(devs, "/dev/ttyUSB1");
	ok(d && d->slot == 3 && !strcmp(d->slot_label, "A3"), "pinned by a by-path name: slot 3");
	d = devices_find(devs, "/dev/ttyUSB0");
	ok(d && d->slot == 5 && !d->slot_label,
	   "unpinned ports follow the pins (1..4), in the order first seen: 5");
	d = devices_find(devs, "/dev/ttyUSB2");
	ok(d && d->slot == 6, "... and the next one 6");
	d = devices_find(devs, "/dev/ttyUSB5");
	ok(d && d->slot == 7 && !d->slot_label,
	   "a pin is not a bare prefix ('...usb-0:9' does not pin '...usb-0:9:1.0-port0')");
	for (size_t i = 1; i < devices_count(devs); i++)
		if (devices_at(devs, i - 1)->slot >= devices_at(devs, i)->slot)
			ok(0, "table ordered by slot at %zu", i);
	ok(devices_at(devs, 0)->slot == 1 && devices_at(devs, 5)->slot == 7,
	   "the table is ordered by slot");
	close_fake(devs);
	config_release(&cfg);
}

/* Remove fake i as its backend would. */
static void unplug(struct devices *devs, int i)
{
	fakes[i].present = false;
	devices_report_remove(devs, fakes[i].key);
}

static void reappear(struct loop *loop)
{
	struct config cfg;
	struct devices *devs;
	struct device *d, *again;
	struct device_info *info;
	int *user;

	cfg_from(&cfg, "[devices]\nreappear_window = 300ms\n");
	fake_set(0, 1, 0x10c4, 0xea60, NULL);
	info = fake_set(1, 4, 0x1d50, 0x614e, "usb-Klipper_stm32h723xx_29-if00");
	devs = open_fake(loop, &cfg);
	d = devices_find(devs, "/dev/ttyUSB1");
	ok(d && d->slot == 2 && d->kind == KIND_KLIPPER && d->plugs == 1, "klipper board in slot 2");
	user = d->user;
	unplug(devs, 1);
	is_str(last_event(), "detached 2 /dev/ttyUSB1 present=0", "removal reported as detached");
	ok(!d->present && d->gone_ms > 0, "gone: not present, time recorded");
	is_int(devices_count(devs), 2, "it stays in the table during the window");
	/* Klipper -> Katapult: new key, node, by-id and vid:pid; same port */
	info = fake_set(1, 4, 0x1d50, 0x6177, "usb-katapult_stm32h723xx_29-if00");
	snprintf(fakes[1].key, sizeof fakes[1].key, "/sys/fake/katapult");
	snprintf(fakes[1].node, sizeof fakes[1].node, "/dev/ttyACM7");
	devices_report_add(devs, info);
	again = devices_find(devs, "/dev/ttyACM7");
	ok(again == d, "back within the window: the same struct device");
	is_str(last_event(), "attached 2 /dev/ttyACM7 fresh=0 plugs=1 user=2",
	       "reported as attached(fresh=false), plugs unchanged");
	ok(again && again->user == user, "the user pointer is kept");
	ok(again && again->kind == KIND_KATAPULT && again->slot == 2,
	   "kind updated to katapult, slot kept");
	is_str(again ? again->by_id : NULL, "/dev/serial/by-id/usb-katapult_stm32h723xx_29-if00",
	       "by-id updated");
	/* gone for longer than the window */
	unplug(devs, 1);
	ok(wait_event(loop, "expired 2 /dev/ttyACM7"), "after the window: expired through a loop timer");
	is_int(devices_count(devs), 1, "expired devices leave the table");
	info = fake_set(1, 4, 0x1d50, 0x614e, "usb-Klipper_stm32h723xx_29-if00");
	devices_report_add(devs, info);
	d = devices_find(devs, "/dev/ttyUSB1");
	is_str(last_event(), "attached 2 /dev/ttyUSB1 fresh=1 plugs=2 user=3",
	       "a replug after the window is fresh, plugs 2, same slot");
	/* a change of properties on the same key */
	fakes[1].info.product = "new product";
	devices_report_add(devs, &fakes[1].info);
	is_str(last_event(), "changed 2 /dev/ttyUSB1 dup=0", "a property change is reported as changed");
	ok(d && !strcmp(d->product, "new product"), "... and the table holds the new value");
	is_int(events.n, 8, "an identical report is no event");
	devices_report_add(devs, &fakes[1].info);
	is_int(events.n, 8, "(checked)");
	close_fake(devs);
	config_release(&cfg);
}

static size_t warnings;

static void count_warnings(const struct log_entry *e, void *data)
{
	(void)data;
	warnings += e->level == LOG_WARN && strstr(e->text, "share the by-id name");
}

static void dup_by_id(struct loop *loop)
{
	struct config cfg;
	struct devices *devs;
	struct device *a, *b, *c;

	cfg_from(&cfg, "");
	log_set_sink(count_warnings, NULL);
	fake_set(0, 1, 0x1a86, 0x7523, "usb-1a86_USB_Serial-if00-port0");
	fake_set(1, 2, 0x10c4, 0xea60, "usb-Silicon_Labs_CP2102_0001-if00-port0");
	fake_set(2, 3, 0x1a86, 0x7523, "usb-1a86_USB_Serial-if00-port0");
	devs = open_fake(loop, &cfg);
	a = devices_find(devs, "/dev/ttyUSB0");
	b = devices_find(devs, "/dev/ttyUSB1");
	c = devices_find(devs, "/dev/ttyUSB2");
	ok(a && c && a->dup_by_id && c->dup_by_id, "both CH340s with the same by-id are flagged");
	ok(b && !b->dup_by_id, "the CP2102 is not");
	ok(a && c && a->slot != c->slot, "distinct slots by port (%u, %u)", a ? a->slot : 0,
	   c ? c->slot : 0);
	is_int(warnings, 1, "one warning for the occurrence");
	ok(devices_find(devs, "/dev/serial/by-id/usb-1a86_USB_Serial-if00-port0") == a,
	   "find by a shared by-id name gives the first");
	unplug(devs, 2);
	ok(!a->dup_by_id && !c->dup_by_id, "one unplugged: no longer flagged");
	is_str(events.v[events.n - 2], "changed 1 /dev/ttyUSB0 dup=0",
	       "the remaining one is reported changed");
	fake_set(2, 3, 0x1a86, 0x7523, "usb-1a86_USB_Serial-if00-port0");
	devices_report_add(devs, &fakes[2].info);
	ok(a->dup_by_id && c->dup_by_id, "back: flagged again");
	is_int(warnings, 2, "and warned again (a new occurrence)");
	devices_report_add(devs, &fakes[2].info);
	is_int(warnings, 2, "no repeated warning for the same occurrence");
	log_set_sink(NULL, NULL);
	close_fake(devs);
	config_release(&cfg);
}

static void collisions(struct loop *loop)
{
	struct config cfg;
	struct devices *devs;
	struct device *a, *b;

	cfg_from(&cfg, "");
	/* two ttys of one interface share ID_PATH (multi-port usb-serial) */
	fake_set(0, 1, 0x0403, 0x6010, NULL);
	fake_set(1, 1, 0x0403, 0x6010, NULL);
	devs = open_fake(loop, &cfg);
	a = devices_find(devs, "/dev/ttyUSB0");
	b = devices_find(devs, "/dev/ttyUSB1");
	ok(a && b && a != b && a->slot != b->slot, "two ttys on one port: two slots");
	/* a rescan that finds a new key on a port whose old key is gone:
	 * a re-enumeration missed between two scans */
	snprintf(fakes[0].key, sizeof fakes[0].key, "/sys/fake/renamed");
	devices_rescan(devs);
	is_int(rescans, 1, "rescan asked the backend");
	ok(devices_find(devs, "/dev/ttyUSB0") == a && a->present && !strcmp(a->key, "/sys/fake/renamed"),
	   "rescan: the device re-keyed on its port keeps its struct");
	fakes[1].present = false;
	devices_rescan(devs);
	ok(!b->present, "rescan: what the backend no longer reports is detached");
	is_str(last_event(), "detached 2 /dev/ttyUSB1 present=0", "... with a detached event");
	close_fake(devs);
	config_release(&cfg);
}

static void manual_and_find(struct loop *loop)
{
	struct config cfg;
	struct devices *devs;
	struct device *d, *m;
	struct strbuf err = STRBUF_INIT;
	char dir[] = "/tmp/fb-devfind-XXXXXX", link[300], pty[300], want[400];

	cfg_from(&cfg, "");
	mkdtemp(dir);
	fake_set(0, 1, 0x10c4, 0xea60, "usb-Silicon_Labs_CP2102_0001-if00-port0");
	devs = open_fake(loop, &cfg);
	d = devices_at(devs, 0);
	ok(devices_find(devs, "/dev/ttyUSB0") == d, "find by devnode");
	ok(devices_find(devs, "/dev/serial/by-id/usb-Silicon_Labs_CP2102_0001-if00-port0") == d,
	   "find by by-id link");
	ok(devices_find(devs, d->by_path) == d, "find by by-path link");
	snprintf(link, sizeof link, "%s/myboard", dir);
	symlink("/tmp/umockdev.XYZ/dev/ttyUSB0", link);
	ok(devices_find(devs, link) == d, "find by a symlink's target basename");
	ok(!devices_find(devs, "/dev/ttyUSB9"), "an unknown path finds nothing");
	snprintf(pty, sizeof pty, "%s/pty0", dir);
	write_file_atomic(pty, "", 0, 0600);
	m = devices_add_manual(devs, pty, &err);
	ok(m && m->manual && m->kind == KIND_ESP32 && m->slot == 2 && m->present,
	   "a manual port: kind esp32, next free slot");
	snprintf(want, sizeof want, "attached 2 %s fresh=1 plugs=1 user=2", pty);
	is_str(last_event(), want, "reported attached (fresh)");
	ok(devices_add_manual(devs, link, &err) == d,
	   "a manual port that resolves to a known device is that device");
	ok(!devices_add_manual(devs, "/nonexistent/tty", &err) && strstr(err.buf, "/nonexistent/tty"),
	   "a missing manual port: NULL and a message naming it");
	devices_rescan(devs);
	ok(m->present && devices_find(devs, pty) == m, "rescans never remove manual ports");
	devices_report_remove(devs, pty);
	ok(m->present, "nor do removals");
	unlink(link);
	unlink(pty);
	rmdir(dir);
	close_fake(devs);
	config_release(&cfg);
	strbuf_release(&err);
}

static void port_paths(void)
{
	static const char *const cases[][2] = {
		{ "pci0000:00/0000:00:14.0/usb1/1-4/1-4:1.0/tty/ttyACM1", "pci-0000:00:14.0-usb-0:4:1.0" },
		{ "pci0000:00/0000:00:14.0/usb1/1-1/1-1.2/1-1.2:1.0/ttyUSB0/tty/ttyUSB0",
		  "pci-0000:00:14.0-usb-0:1.2:1.0" },
		{ "pci0000:00/0000:00:1c.0/0000:02:00.0/usb3/3-1/3-1:1.1/tty/ttyACM0",
		  "pci-0000:02:00.0-usb-0:1:1.1" },
		{ "platform/soc/3f980000.usb/usb1/1-1/1-1.3/1-1.3:1.0/ttyUSB0/tty/ttyUSB0",
		  "platform-3f980000.usb-usb-0:1.3:1.0" },
		{ "platform/scb/fd500000.pcie/pci0000:00/0000:00:00.0/0000:01:00.0/usb1/1-1/1-1.2/"
		  "1-1.2:1.0/tty/ttyACM0",
		  "platform-fd500000.pcie-pci-0000:01:00.0-usb-0:1.2:1.0" },
		{ "pnp0/00:05/tty/ttyS0", NULL },
		{ "virtual/tty/tty0", NULL },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *p = devices_port_path(cases[i][0]);

		is_str(p, cases[i][1], "port path of %s", cases[i][0]);
		free(p);
	}
}

static void speed(struct loop *loop)
{
	struct config cfg;
	struct devices *devs;
	uint64_t t0;
	char byid[64];

	cfg_from(&cfg, "[slots]\nA = pci-0000:00:14.0-usb-0:70:1.0\n");
	for (int i = 0; i < 64; i++) {
		snprintf(byid, sizeof byid, "usb-1a86_USB_Serial-if00-port%d", i % 8);
		fake_set(i, i + 1, 0x1a86, 0x7523, byid);
	}
	log_set_sink(count_warnings, NULL);
	warnings = 0;
	t0 = now_ms();
	devs = open_fake(loop, &cfg);
	diag("64 devices: %llu ms", (unsigned long long)(now_ms() - t0));
	ok(now_ms() - t0 < 200, "64 devices enter the table quickly");
	is_int(devices_count(devs), 64, "all 64 there");
	ok(devices_at(devs, 63)->slot == 65 && devices_at(devs, 63)->dup_by_id,
	   "slots 2..65, duplicates flagged");
	is_int(warnings, 8, "one warning per by-id name shared at start");
	log_set_sink(NULL, NULL);
	close_fake(devs);
	config_release(&cfg);
}

int main(void)
{
	struct loop *loop = loop_new();

	setenv("HOME", "/nonexistent", 1);
	kinds(loop);
	allow_deny(loop);
	slots(loop);
	reappear(loop);
	dup_by_id(loop);
	collisions(loop);
	manual_and_find(loop);
	port_paths();
	speed(loop);
	loop_free(loop);
	strvec_release(&events);
	log_release();
	return done_testing();
}
