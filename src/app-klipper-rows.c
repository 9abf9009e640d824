/* app-klipper-rows.c - Klipper boards as the device rows see them: the
 * registry (read again when the file changes), the MCU and key shown on a
 * row, which registered boards are connected, and menuconfig for the
 * dashboard's `m` key. */
#include "autoconf.h"

#include "app-klipper.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "util.h"
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

/* ------------------------------------------------------------ menuconfig */

struct app_menuconfig {
	struct app *app;
	struct board board; /* key and mcu */
	struct klipper_paths kp;
	struct klipper_snapshot snap;
	bool seeded;
};

/* Is the board with this key in the running batch? */
static bool in_batch(struct app *app, const char *key)
{
	struct kbatch *bt = app->klipper ? app->klipper->batch : NULL;

	for (size_t i = 0; bt && bt->step != B_DONE && i < bt->n; i++)
		if (!strcmp(bt->v[i]->pub.key, key) && !bt->v[i]->pub.done)
			return true;
	return false;
}

/* Free a menuconfig context. */
static void mc_free(struct app_menuconfig *mc)
{
	klipper_paths_release(&mc->kp);
	klipper_snapshot_release(&mc->snap);
	free(mc->board.key);
	free(mc->board.mcu);
	free(mc);
}

struct app_menuconfig *app_klipper_menuconfig_begin(struct app *app, const struct app_board *b,
						    struct job_spec *spec, struct strbuf *why)
{
	const char *key = app_klipper_row_key(app, b);
	const struct board *reg = key ? boards_find(klipper_registry(app), key) : NULL;
	struct app_menuconfig *mc;

	if (!reg) {
		strbuf_addf(why, "slot %u is not a registered Klipper board (flashbay board add)",
			    b->slot);
		return NULL;
	}
	if (in_batch(app, key)) {
		strbuf_addf(why, "board '%s' is being built or flashed", key);
		return NULL;
	}
	mc = xcalloc(1, sizeof *mc);
	mc->app = app;
	mc->board.key = xstrdup(reg->key);
	mc->board.mcu = xstrdup(reg->mcu);
	strbuf_init(&mc->snap.data);
	if (klipper_paths_init(&mc->kp, app->cfg, reg, why) || klipper_tree_check(&mc->kp, why)) {
		mc_free(mc);
		return NULL;
	}
	mc->seeded = klipper_config_seed(&mc->kp, reg->mcu) > 0;
	klipper_snapshot_release(&mc->snap);
	klipper_snapshot_take(&mc->snap, mc->kp.config);
	klipper_menuconfig_spec(&mc->kp, spec);
	log_msg(LOG_INFO, NULL, "%s: make menuconfig KCONFIG_CONFIG=%s", reg->key, mc->kp.config);
	return mc;
}

void app_klipper_menuconfig_end(struct app_menuconfig *mc, int status)
{
	const char *key = mc->board.key, *path = mc->kp.config;
	bool saved = klipper_snapshot_changed(&mc->snap, path);
	struct strbuf err = STRBUF_INIT;

	if (status)
		log_msg(LOG_WARN, NULL, "%s: make menuconfig failed (%s %d)", key,
			status < 0 ? "error" : "exit", status < 0 ? -status : status);
	if (mc->seeded && !saved) {
		unlink(path);
		log_msg(LOG_INFO, NULL,
		        "%s: configuration not saved; the board still has no configuration", key);
	} else {
		log_msg(LOG_INFO, NULL, "%s: configuration %s: %s", key,
			saved ? "saved" : "not changed", path);
		if (klipper_config_check(&mc->board, path, NULL, &err) == OUTCOME_OK)
			log_msg(LOG_INFO, NULL, "%s: MCU check: the configuration matches (mcu %s)",
				key, mc->board.mcu);
		else
			log_msg(LOG_WARN, NULL, "%s", err.buf);
	}
	strbuf_release(&err);
	mc_free(mc);
}
