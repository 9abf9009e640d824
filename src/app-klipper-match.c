/* app-klipper-match.c - which device is which registered Klipper board: the
 * registry as the rows see it (read again when the file changes), a device's
 * serial and mode, the MCU and key shown on a row, which registered boards
 * are connected. */
#include "autoconf.h"

#include "app-klipper.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "config.h"
#include "util.h"

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
