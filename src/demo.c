/* demo.c - simulated boards (a devices backend driven by loop timers) and
 * the temp folder, firmware and configuration of a demo. */
#include "autoconf.h"

#include "demo.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "array.h"
#include "config.h"
#include "devices.h"
#include "files.h"
#include "firmware.h"
#include "loop.h"
#include "path.h"
#include "xalloc.h"

/* What the simulated boards look like: real bridges and their strings. */
struct model {
	uint16_t vid, pid;
	const char *manufacturer, *product, *driver, *tty;
	bool has_serial;
};

static const struct model models[] = {
	{ 0x10c4, 0xea60, "Silicon Labs", "CP2102 USB to UART Bridge Controller", "cp210x", "ttyUSB", true },
	{ 0x1a86, 0x7523, NULL, "USB Serial", "ch341", "ttyUSB", false },
	{ 0x303a, 0x1001, "Espressif", "USB JTAG/serial debug unit", "cdc_acm", "ttyACM", true },
	{ 0x1a86, 0x55d4, "wch.cn", "USB Single Serial", "cdc_acm", "ttyACM", true },
};

struct sim_board {
	char key[16], devnode[32], id_path[64], by_id[160], by_path[96], serial[24];
	const struct model *m;
	bool present;
};

#define DEMO_MAX 64

struct demo {
	char *dir;
	int n, shown;
	bool live;       /* boards appear over time (else all are there at start) */
	struct devices *devs;
	struct loop_timer timer;
	int replug;      /* board being re-plugged, -1: none */
	unsigned round;
	double speed;    /* FLASHBAY_SIM_SPEED: the timeline runs this much faster */
	uint64_t away_ms; /* how long a re-plugged board stays away */
	struct sim_board boards[DEMO_MAX];
};

/* Fill board i's names from its model. */
static void make_board(struct demo *d, int i)
{
	struct sim_board *b = &d->boards[i];
	int tty = 0;

	b->m = &models[i % (int)ARRAY_SIZE(models)];
	for (int j = 0; j < i; j++)
		tty += !strcmp(d->boards[j].m->tty, b->m->tty);
	snprintf(b->key, sizeof b->key, "demo:%d", i);
	snprintf(b->devnode, sizeof b->devnode, "/demo/%s%d", b->m->tty, tty);
	snprintf(b->id_path, sizeof b->id_path, "demo-usb-0:1.%d:1.0", i + 1);
	snprintf(b->serial, sizeof b->serial, "%04X%04X", 0x51A0 + i, 0x2000 + i * 7);
	snprintf(b->by_path, sizeof b->by_path, "/demo/serial/by-path/%s-port0", b->id_path);
	snprintf(b->by_id, sizeof b->by_id, "/demo/serial/by-id/usb-%s_%s%s%s-if00%s",
		 b->m->manufacturer ? b->m->manufacturer : "1a86", b->m->product,
		 b->m->has_serial ? "_" : "", b->m->has_serial ? b->serial : "",
		 b->m->tty[3] == 'U' ? "-port0" : "");
	for (char *p = b->by_id + 20; *p; p++)
		if (*p == ' ')
			*p = '_';
}

/* Report board i as plugged in. */
static void plug(struct demo *d, int i)
{
	struct sim_board *b = &d->boards[i];
	const char *links[] = { b->by_id, b->by_path, NULL };
	struct device_info info = {
		.key = b->key, .devnode = b->devnode, .devlinks = links, .id_path = b->id_path,
		.usb = true, .vid = b->m->vid, .pid = b->m->pid,
		.manufacturer = b->m->manufacturer, .product = b->m->product,
		.serial = b->m->has_serial ? b->serial : NULL, .driver = b->m->driver, .ifnum = 0,
	};

	b->present = true;
	devices_report_add(d->devs, &info);
}

/* A delay of the timeline at the demo's speed. */
static uint64_t scaled(const struct demo *d, uint64_t ms)
{
	return (uint64_t)((double)ms / d->speed);
}

/* Timeline: boards appear one by one, then now and then one is re-plugged. */
static void on_timer(struct loop_timer *t, void *data)
{
	struct demo *d = data;
	struct loop *loop = devices_loop(d->devs);

	(void)t;
	if (d->shown < d->n) {
		plug(d, d->shown++);
		loop_timer_arm(loop, &d->timer, scaled(d, d->shown < d->n ? 450 : 25000), 0);
	} else if (d->replug < 0) {
		/* unplug for longer than the reappear window: a real re-plug */
		d->replug = (int)(d->round++ * 3 % (unsigned)d->n);
		d->boards[d->replug].present = false;
		devices_report_remove(d->devs, d->boards[d->replug].key);
		loop_timer_arm(loop, &d->timer, d->away_ms, 0);
	} else {
		plug(d, d->replug);
		d->replug = -1;
		loop_timer_arm(loop, &d->timer, scaled(d, 25000), 0);
	}
}

static int backend_start(struct devices *devs, void *ctx, struct strbuf *err)
{
	struct demo *d = ctx;

	(void)err;
	d->devs = devs;
	loop_timer_init(&d->timer, on_timer, d);
	if (d->live) {
		loop_timer_arm(devices_loop(devs), &d->timer, 300, 0);
		return 0;
	}
	/* a one-shot command sees every board at once, and nothing changes */
	while (d->shown < d->n)
		plug(d, d->shown++);
	return 0;
}

static int backend_rescan(struct devices *devs, void *ctx)
{
	struct demo *d = ctx;

	(void)devs;
	for (int i = 0; i < d->shown; i++)
		if (d->boards[i].present)
			plug(d, i);
	return 0;
}

static void backend_stop(struct devices *devs, void *ctx)
{
	struct demo *d = ctx;

	loop_timer_disarm(devices_loop(devs), &d->timer);
}

static const struct devices_backend demo_backend = { "demo", backend_start, backend_rescan,
						     backend_stop };

/* Write size pseudo-random but compressible bytes to path. */
static int write_image(const char *path, size_t size, unsigned seed, struct strbuf *err)
{
	char *buf = xmalloc(size);
	int r;

	for (size_t i = 0; i < size; i++) {
		seed = seed * 1103515245u + 12345u;
		buf[i] = (char)(i % 3 ? (seed >> 24) : 0xff);
	}
	r = write_file_atomic(path, buf, size, 0644);
	if (r < 0)
		strbuf_addf(err, "cannot write '%s': %s", path, strerror(-r));
	free(buf);
	return r;
}

/* The demo's firmware: a bootloader and an app image in the temp folder. */
static int make_firmware(struct demo *d, struct firmware *fw, struct strbuf *err)
{
	char *boot = xasprintf("%s/bootloader.bin", d->dir), *app = xasprintf("%s/demo-app.bin", d->dir);
	int r = write_image(boot, 26624, 7, err);

	if (!r)
		r = write_image(app, 655360, 11, err);
	if (!r)
		r = firmware_add(fw, 0x1000, boot, err);
	if (!r)
		r = firmware_add(fw, 0x10000, app, err);
	if (!r)
		r = firmware_finalize(fw, err);
	free(boot);
	free(app);
	return r;
}

/* Point the configuration at the demo's folder and simulator. */
static void demo_config(struct demo *d, struct config *cfg)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);

	self[n > 0 ? n : 0] = '\0';
	config_set_str(&cfg->station_name, "demo-station");
	free(cfg->database);
	cfg->database = xasprintf("%s/history.db", d->dir);
	free(cfg->log_dir);
	cfg->log_dir = xasprintf("%s/logs", d->dir);
	free(cfg->lock_dir);
	cfg->lock_dir = xstrdup(d->dir);
	free(cfg->esptool);
	cfg->esptool = xasprintf("%s _sim-esptool", n > 0 ? self : "flashbay");
	cfg->retry_baud = 460800;
	cfg->max_workers = cfg->max_workers ? cfg->max_workers : 8;
	/* a faster demo re-plugs sooner; the board stays away longer than the
	 * (also shortened) reappear window, or it would be a re-enumeration */
	cfg->reappear_window_ms = scaled(d, cfg->reappear_window_ms);
	if (cfg->reappear_window_ms < 100)
		cfg->reappear_window_ms = 100;
	d->away_ms = cfg->reappear_window_ms * 3 / 2;
	if (d->away_ms < scaled(d, 4500))
		d->away_ms = scaled(d, 4500);
}

struct demo *demo_new(int n, bool live, struct config *cfg, struct devices_opts *dopts,
		      struct firmware *fw, struct strbuf *err)
{
	struct demo *d = xcalloc(1, sizeof *d);
	char tmpl[] = "/tmp/flashbay-demo.XXXXXX";
	const char *tmp = getenv("TMPDIR"), *speed;

	d->n = n < 1 ? 1 : n > DEMO_MAX ? DEMO_MAX : n;
	d->live = live;
	d->replug = -1;
	speed = getenv("FLASHBAY_SIM_SPEED");
	d->speed = speed && atof(speed) > 0 ? atof(speed) : 1;
	d->dir = tmp && *tmp == '/' ? xasprintf("%s/flashbay-demo.XXXXXX", tmp) : xstrdup(tmpl);
	if (!mkdtemp(d->dir)) {
		strbuf_addf(err, "cannot create a demo folder '%s': %s", d->dir, strerror(errno));
		demo_free(d);
		return NULL;
	}
	for (int i = 0; i < d->n; i++)
		make_board(d, i);
	if (fw && make_firmware(d, fw, err) < 0) {
		demo_free(d);
		return NULL;
	}
	demo_config(d, cfg);
	dopts->backend = &demo_backend;
	dopts->backend_ctx = d;
	return d;
}

void demo_free(struct demo *d)
{
	if (!d)
		return;
	if (d->dir)
		remove_tree(d->dir);
	free(d->dir);
	free(d);
}
