/* test-devices-umockdev.c - the real udev backend and device table, in
 * process, on a umockdev test bed: enumeration of five kinds of boards with
 * every field, then hot-plug events arriving through the loop (add, remove,
 * re-enumeration within the window, expiry and replug, Klipper -> Katapult,
 * duplicate by-id names, hostile descriptor strings).
 *
 * Needs umockdev's preload: re-executes itself under umockdev-wrapper.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"

#ifndef HAVE_UMOCKDEV
int main(void)
{
	skip_all("umockdev not found by configure (install libumockdev-dev and umockdev)");
}
#else

#include <umockdev.h>

#include "../helper/testbed.h"

#include "array.h"
#include "clock.h"
#include "config.h"
#include "devices.h"
#include "log.h"
#include "loop.h"
#include "str.h"
#include "xalloc.h"

#define USB "/sys/devices/pci0000:00/0000:00:14.0/usb1"

static UMockdevTestbed *tb;
static struct strvec warnings = STRVEC_INIT;
static struct loop *loop;
static struct strvec events = STRVEC_INIT;
static int next_user;

static void on_attached(struct device *d, bool fresh, void *data)
{
	(void)data;
	if (fresh) {
		int *u = xmalloc(sizeof *u);

		*u = ++next_user;
		d->user = u;
	}
	strvec_pushf(&events, "attached %u %s %s fresh=%d plugs=%u user=%d", d->slot, d->devnode,
		     kind_name(d->kind), fresh, d->plugs, *(int *)d->user);
}

static void on_changed(struct device *d, void *data)
{
	(void)data;
	strvec_pushf(&events, "changed %u %s dup=%d", d->slot, d->devnode, d->dup_by_id);
}

static void on_detached(struct device *d, void *data)
{
	(void)data;
	strvec_pushf(&events, "detached %u %s", d->slot, d->devnode);
}

static void on_expired(struct device *d, void *data)
{
	(void)data;
	strvec_pushf(&events, "expired %u %s", d->slot, d->devnode);
	free(d->user);
}

/* Keep flashbay's warnings for the checks. */
static void on_log(const struct log_entry *e, void *data)
{
	(void)data;
	if (e->level >= LOG_WARN)
		strvec_push(&warnings, e->text);
}

/* Run the loop until an event equal to want arrives (10 s at most). */
static bool wait_event(const char *want)
{
	uint64_t end = now_ms() + 10000;
	size_t seen = 0;

	while (now_ms() < end) {
		for (; seen < events.n; seen++)
			if (!strcmp(events.v[seen], want))
				return true;
		loop_iterate(loop, 100);
	}
	diag("no '%s'; events:", want);
	for (size_t i = 0; i < events.n; i++)
		diag("  %s", events.v[i]);
	return false;
}

/* Load a device file into the test bed (sends "add" uevents). */
static bool load(const char *name)
{
	GError *e = NULL;
	char rel[128];
	bool r;

	snprintf(rel, sizeof rel, "umockdev/%s", name);
	r = umockdev_testbed_add_from_file(tb, tap_srcfile(rel), &e);
	if (!r) {
		diag("cannot load %s: %s", name, e ? e->message : "?");
		g_clear_error(&e);
	}
	return r;
}

static void unplug(const char *usbdev, const char *ttypath)
{
	char *path = xasprintf("%s/%s/%s", USB, usbdev, ttypath);

	testbed_unplug(tb, path);
	free(path);
}

struct want {
	const char *node, *by_id, *by_path, *id_path, *mfr, *product, *serial, *driver, *kind;
	uint16_t vid, pid;
};

static const struct want boards[] = {
	{ "/dev/ttyUSB0",
	  "/dev/serial/by-id/usb-Silicon_Labs_CP2102_USB_to_UART_Bridge_Controller_0001-if00-port0",
	  "/dev/serial/by-path/pci-0000:00:14.0-usb-0:1:1.0-port0", "pci-0000:00:14.0-usb-0:1:1.0",
	  "Silicon Labs", "CP2102 USB to UART Bridge Controller", "0001", "cp210x", "esp32", 0x10c4,
	  0xea60 },
	{ "/dev/ttyUSB1", "/dev/serial/by-id/usb-1a86_USB_Serial-if00-port0",
	  "/dev/serial/by-path/pci-0000:00:14.0-usb-0:2:1.0-port0", "pci-0000:00:14.0-usb-0:2:1.0",
	  NULL, "USB Serial", NULL, "ch341", "esp32", 0x1a86, 0x7523 },
	{ "/dev/ttyACM0",
	  "/dev/serial/by-id/usb-Espressif_USB_JTAG_serial_debug_unit_F4:12:FA:4B:2C:10-if00",
	  "/dev/serial/by-path/pci-0000:00:14.0-usb-0:3:1.0", "pci-0000:00:14.0-usb-0:3:1.0",
	  "Espressif", "USB JTAG/serial debug unit", "F4:12:FA:4B:2C:10", "cdc_acm", "esp32-usb",
	  0x303a, 0x1001 },
	{ "/dev/ttyACM1", "/dev/serial/by-id/usb-Klipper_stm32h723xx_29001A001151313531383332-if00",
	  "/dev/serial/by-path/pci-0000:00:14.0-usb-0:4:1.0", "pci-0000:00:14.0-usb-0:4:1.0",
	  "Klipper", "stm32h723xx", "29001A001151313531383332", "cdc_acm", "klipper", 0x1d50,
	  0x614e },
	{ "/dev/ttyACM2", "/dev/serial/by-id/usb-katapult_stm32f446xx_4A0036000F51313133353932-if00",
	  "/dev/serial/by-path/pci-0000:00:14.0-usb-0:5:1.0", "pci-0000:00:14.0-usb-0:5:1.0",
	  "katapult", "stm32f446xx", "4A0036000F51313133353932", "cdc_acm", "katapult", 0x1d50,
	  0x6177 },
};

/* Every field of d against w. */
static void check_board(const struct device *d, const struct want *w, unsigned slot)
{
	const char *n = w->node;

	if (!ok(d != NULL, "%s is in the table", n))
		return;
	is_int(d->slot, slot, "%s: slot %u", n, slot);
	is_str(d->devnode, w->node, "%s: devnode", n);
	is_str(d->by_id, w->by_id, "%s: by-id", n);
	is_str(d->by_path, w->by_path, "%s: by-path", n);
	is_int(d->devlinks.n, 2, "%s: both links", n);
	is_str(d->id_path, w->id_path, "%s: ID_PATH", n);
	is_str(d->port_key, w->id_path, "%s: slot keyed by ID_PATH", n);
	ok(d->vid == w->vid && d->pid == w->pid, "%s: %04x:%04x", n, w->vid, w->pid);
	is_str(d->manufacturer, w->mfr, "%s: manufacturer", n);
	is_str(d->product, w->product, "%s: product", n);
	is_str(d->serial, w->serial, "%s: serial", n);
	is_str(d->driver, w->driver, "%s: driver", n);
	is_int(d->ifnum, 0, "%s: interface 0", n);
	is_str(kind_name(d->kind), w->kind, "%s: kind %s", n, w->kind);
	ok(d->usb && d->present && !d->manual && d->plugs == 1 && !d->dup_by_id,
	   "%s: usb, present, one plug, no duplicate", n);
	ok(d->syspath && str_starts_with(d->syspath, USB) && !strcmp(d->key, d->syspath),
	   "%s: keyed by syspath while present", n);
}

static void enumeration(struct devices *devs)
{
	is_str(devices_source_name(devs), "udev", "the udev backend is used");
	is_int(devices_count(devs), 5, "five boards enumerated");
	for (size_t i = 0; i < ARRAY_SIZE(boards); i++)
		check_board(devices_find(devs, boards[i].node), &boards[i], (unsigned)i + 1);
	is_int(events.n, 5, "each reported through attached() before open returns");
	ok(devices_find(devs, boards[3].by_id) == devices_find(devs, "/dev/ttyACM1"),
	   "find by the by-id link");
}

static void hotplug(struct devices *devs)
{
	struct device *klipper = devices_find(devs, "/dev/ttyACM1"), *d;
	int *user = klipper ? klipper->user : NULL;
	uint64_t wakeups = loop_wakeups(loop);

	ok(load("cp2102-port6.umockdev"), "hot-add a CP2102 on port 6");
	ok(wait_event("attached 6 /dev/ttyUSB2 esp32 fresh=1 plugs=1 user=6"),
	   "its add event arrives through the loop: slot 6, fresh");
	ok(loop_wakeups(loop) > wakeups, "(the loop woke up for it)");
	d = devices_find(devs, "/dev/ttyUSB2");
	is_str(d ? d->serial : NULL, "0002", "hot-added device has its fields");

	unplug("1-4", "1-4:1.0/tty/ttyACM1");
	ok(wait_event("detached 4 /dev/ttyACM1"), "Klipper unplugged: detached, slot 4");
	ok(klipper && !klipper->present, "it is not present, but still in the table");
	ok(load("katapult-port4.umockdev"), "Katapult appears on the same port");
	ok(wait_event("attached 4 /dev/ttyACM1 katapult fresh=0 plugs=1 user=4"),
	   "within the window: attached(fresh=false), slot 4 kept, kind katapult");
	d = devices_find(devs, "/dev/ttyACM1");
	ok(d == klipper && d->user == user, "same struct device and user pointer");
	ok(d && d->vid == 0x1d50 && d->pid == 0x6177 &&
		   !strcmp(d->by_id, "/dev/serial/by-id/"
				     "usb-katapult_stm32h723xx_29001A001151313531383332-if00"),
	   "vid:pid and by-id follow the re-enumeration");

	unplug("1-6", "1-6:1.0/ttyUSB2/tty/ttyUSB2");
	ok(wait_event("detached 6 /dev/ttyUSB2"), "CP2102 unplugged");
	ok(wait_event("expired 6 /dev/ttyUSB2"), "after the window: expired");
	is_int(devices_count(devs), 5, "and gone from the table");
	ok(load("cp2102-port6.umockdev"), "plugged in again");
	ok(wait_event("attached 6 /dev/ttyUSB2 esp32 fresh=1 plugs=2 user=7"),
	   "a real plug-in: fresh, plugs 2, the port's slot 6 again");
}

static void duplicates(struct devices *devs)
{
	struct device *a = devices_find(devs, "/dev/ttyUSB1"), *b;

	ok(load("ch340-port7.umockdev"), "a second CH340 (same by-id name) on port 7");
	ok(wait_event("attached 7 /dev/ttyUSB3 esp32 fresh=1 plugs=1 user=8"), "attached in slot 7");
	b = devices_find(devs, "/dev/ttyUSB3");
	ok(a && b && a->dup_by_id && b->dup_by_id, "both CH340s are flagged as duplicates");
	ok(a && b && a->slot == 2 && b->slot == 7, "told apart by slot (2 and 7)");
	ok(wait_event("changed 2 /dev/ttyUSB1 dup=1"), "the first one is reported changed");
	is_int(warnings.n, 1, "one warning logged");
	is_str(warnings.n ? warnings.v[0] : NULL,
	       "2 boards share the by-id name 'usb-1a86_USB_Serial-if00-port0' (/dev/ttyUSB1, "
	       "/dev/ttyUSB3): they are told apart by slot",
	       "it names the by-id and both ports");
}

static void hostile(struct devices *devs)
{
	struct device *d;

	ok(load("hostile.umockdev"), "a board with hostile descriptor strings");
	ok(wait_event("attached 8 /dev/ttyACM5 esp32-usb fresh=1 plugs=1 user=9"), "attached");
	d = devices_find(devs, "/dev/ttyACM5");
	is_str(d ? d->product : NULL, "$(reboot); echo \"pwned\" 'x' \033]0;pwned\a\033[2J",
	       "the table keeps the raw product string");
	is_str(d ? d->serial : NULL, "`id`;\033[31mRED\033[0m\xc2\x9b" "1m",
	       "... and the raw serial");
	ok(access("/tmp/flashbay-pwned", F_OK) != 0, "nothing was executed");
}

int main(int argc, char **argv)
{
	static const struct devices_ops ops = { on_attached, on_changed, on_detached, on_expired };
	struct devices_opts o = { .source = DEVICES_UDEV };
	struct strbuf err = STRBUF_INIT;
	struct devices *devs = NULL;
	struct config cfg;

	if (!testbed_ensure_preload(argc, argv))
		skip_all("umockdev-wrapper is not installed (package umockdev)");
	tb = umockdev_testbed_new();
	if (!umockdev_in_mock_environment()) {
		g_object_unref(tb);
		skip_all("not in a umockdev environment");
	}
	alarm(60);
	log_set_sink(on_log, NULL);
	config_init(&cfg);
	config_defaults(&cfg);
	cfg.reappear_window_ms = 300;
	loop = loop_new();
	ok(load("boards.umockdev"), "five boards in the test bed");
	if (devices_open(loop, &cfg, &o, &ops, NULL, &devs, &err)) {
		ok(0, "open the device table: %s", err.buf);
	} else {
		enumeration(devs);
		hotplug(devs);
		duplicates(devs);
		hostile(devs);
		for (size_t i = 0; i < devices_count(devs); i++)
			free(devices_at(devs, i)->user);
		devices_close(devs);
	}
	loop_free(loop);
	config_release(&cfg);
	strbuf_release(&err);
	strvec_release(&events);
	strvec_release(&warnings);
	log_release();
	g_object_unref(tb);
	return done_testing();
}
#endif
