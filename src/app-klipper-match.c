/* app-klipper-match.c - which device is which registered Klipper board: the
 * registry as the rows see it (read again when the file changes), a device's
 * serial and mode, the MCU and key shown on a row, which registered boards
 * are connected, and the batch's discovery step: a board to its one
 * connected device and that device's row. */
#include "autoconf.h"

#include "app-klipper.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "clock.h"
#include "config.h"
#include "path.h"
#include "portlock.h"
#include "xalloc.h"

/* Did the file change since st was taken (or appear, or vanish)? */
static bool stat_changed(const struct stat *a, const struct stat *b)
{
	return a->st_ino != b->st_ino || a->st_size != b->st_size ||
	       a->st_mtim.tv_sec != b->st_mtim.tv_sec || a->st_mtim.tv_nsec != b->st_mtim.tv_nsec;
}

const struct boards *klipper_registry(struct app *app)
{
	struct app_klipper *ak = klipper_state(app);
	struct strbuf err = STRBUF_INIT;
	struct stat st;

	memset(&st, 0, sizeof st);
	if (stat(app->cfg->boards_file, &st) < 0)
		memset(&st, 0, sizeof st);
	if (ak->reg_loaded && !stat_changed(&st, &ak->reg_stat))
		return &ak->reg;
	boards_release(&ak->reg);
	boards_init(&ak->reg, app->cfg->boards_file);
	if (boards_load(&ak->reg, &err) && !ak->reg_warned) {
		ak->reg_warned = true;
		log_msg(LOG_WARN, NULL, "the board registry has errors: %s", err.buf);
	}
	ak->reg_loaded = true;
	ak->reg_stat = st;
	strbuf_release(&err);
	return &ak->reg;
}

bool klipper_device_serial(const struct device *d, char *out, size_t size)
{
	if (d->by_id && !boards_by_id_serial(d->by_id, out, size) && *out)
		return true;
	if (d->serial && *d->serial && strlen(d->serial) < size) {
		memcpy(out, d->serial, strlen(d->serial) + 1);
		return true;
	}
	return false;
}

bool klipper_device_running(const struct device *d)
{
	return d->present && d->kind != KIND_KATAPULT &&
	       !(d->by_id && !strncasecmp(path_basename(d->by_id), "usb-katapult_", 13));
}

void klipper_row_facts(struct app *app, struct device *d)
{
	struct app_board *b = d->user;
	struct board_proposal prop;
	const struct board *reg;
	const char *mcu;

	if (!b)
		return;
	reg = d->by_id ? boards_match(klipper_registry(app), d->by_id, NULL) : NULL;
	if (d->by_id && !boards_propose(d->by_id, &prop))
		mcu = prop.product;
	else
		mcu = d->product ? d->product : reg ? reg->mcu : "";
	snprintf(b->chip, sizeof b->chip, "%s%s%s%s", mcu, reg ? " (" : "", reg ? reg->key : "",
		 reg ? ")" : "");
}

const char *app_klipper_row_key(struct app *app, const struct app_board *b)
{
	const struct board *reg;

	if (!b->dev || !b->dev->by_id)
		return NULL;
	reg = boards_match(klipper_registry(app), b->dev->by_id, NULL);
	return reg ? reg->key : NULL;
}

int app_klipper_connected(struct app *app, struct strvec *keys, struct strbuf *why)
{
	struct boards reg;
	int r;

	boards_init(&reg, app->cfg->boards_file);
	r = boards_load(&reg, why);
	for (size_t i = 0; !r && i < reg.n; i++) {
		for (size_t j = 0; j < devices_count(app->devs); j++) {
			const struct device *d = devices_at(app->devs, j);

			if (d->present && d->by_id && board_matches(&reg.v[i], d->by_id)) {
				strvec_push(keys, reg.v[i].key);
				break;
			}
		}
	}
	boards_release(&reg);
	return r;
}

/* ------------------------------------------------------------ discovery */

/* The present devices that belong to k's board: how many, and the last one. */
static size_t kb_find_devices(struct kboard *k, struct device **found, struct strbuf *names)
{
	struct devices *devs = k->batch->app->devs;
	size_t n = 0;

	for (size_t i = 0; i < devices_count(devs); i++) {
		struct device *d = devices_at(devs, i);

		if (!d->present || !d->by_id || !board_matches(k->reg, d->by_id))
			continue;
		strbuf_addf(names, "%s%s", n ? ", " : "", path_basename(d->by_id));
		*found = d;
		n++;
	}
	return n;
}

/* Take the device's row for k (it shows k's phases from now on). */
static int kb_take_row(struct kboard *k, struct device *d, struct strbuf *why)
{
	struct app *app = k->batch->app;
	struct app_board *b = app_board_for_device(app, d);
	int r;

	if (!b) {
		strbuf_addf(why, "its device %s has no board row", d->devnode);
		return -ENODEV;
	}
	if (b->run) {
		strbuf_addf(why, "slot %u is busy with another attempt", b->slot);
		return -EBUSY;
	}
	k->run = app_run_new(app, b);
	k->run->plan_run = k; /* the plan's own state of the run (app-internal.h) */
	k->pub.row = b;
	b->run = k->run;
	/* locked for the whole batch: a busy port must not cost a service stop */
	r = portlock_acquire(app->lock_dir, k->run->port, &k->run->lock, why);
	if (r < 0)
		return r;
	b->attempts++;
	flash_progress_init(&b->prog, 0, NULL);
	b->run_start_ms = now_ms();
	kb_phase(k, PHASE_QUEUED);
	b->state = BOARD_QUEUED;
	app_emit(app, b, APP_EV_QUEUED);
	return 0;
}

bool kb_discover(struct kboard *k)
{
	struct strbuf names = STRBUF_INIT, why = STRBUF_INIT;
	struct device *d = NULL;
	const struct board *other;
	enum outcome o = OUTCOME_OTHER;
	bool ambiguous = false;
	size_t n;
	int r;

	kb_phase(k, PHASE_DETECT);
	n = kb_find_devices(k, &d, &names);
	if (n == 1 && (other = boards_match(&k->batch->boards, d->by_id, &ambiguous)) && ambiguous)
		strbuf_addf(&why,
		            "its device %s also matches another registered board's serial_pattern "
		            "(make the patterns more specific)",
		            path_basename(d->by_id));
	if (!n)
		strbuf_addf(&why, "board '%s' is not connected: no /dev/serial/by-id name matches "
			    "its serial_pattern '%s' (see 'flashbay board list')", k->pub.key,
			    k->reg->serial_pattern);
	else if (n > 1)
		strbuf_addf(&why, "board '%s' matches %zu connected devices (%s): make its "
			    "serial_pattern more specific", k->pub.key, n, names.buf);
	if (!why.len && !klipper_device_serial(d, k->serial, sizeof k->serial))
		strbuf_addf(&why, "cannot tell the serial of %s", d->by_id);
	if (!why.len && (r = kb_take_row(k, d, &why)) == -EBUSY)
		o = OUTCOME_PORT_BUSY;
	if (why.len) {
		kb_finish(k, n ? o : OUTCOME_NO_PORT, why.buf, NULL);
	} else {
		k->pub.by_id = xstrdup(d->by_id);
		kb_note(k->batch, k, PHASE_DETECT, LOG_INFO, "found %s (slot %u, %s)", d->by_id,
			d->slot, kind_name(d->kind));
	}
	strbuf_release(&names);
	strbuf_release(&why);
	return !k->pub.done;
}
