/* app-klipper-menuconfig.c - the dashboard's `m` key: menuconfig for a
 * row's registered board through klipper-menuconfig.c (the one workflow),
 * refused while the board is in a batch; the result goes to the log. */
#include "autoconf.h"

#include "app-klipper.h"

#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct app_menuconfig {
	struct klipper_menuconfig *mc;
};

/* Is the board with this key in the running batch? */
static bool in_batch(struct app *app, const char *key)
{
	struct kbatch *bt = klipper_batch(app);

	for (size_t i = 0; bt && bt->step != B_DONE && i < bt->n; i++)
		if (!strcmp(bt->v[i]->pub.key, key) && !bt->v[i]->pub.done)
			return true;
	return false;
}

struct app_menuconfig *app_klipper_menuconfig_begin(struct app *app, const struct app_board *b,
						    struct job_spec *spec, struct strbuf *why)
{
	const char *key = app_klipper_row_key(app, b);
	const struct board *reg = key ? boards_find(klipper_registry(app), key) : NULL;
	struct klipper_menuconfig *mc;
	struct app_menuconfig *amc;

	if (!reg) {
		strbuf_addf(why, "slot %u is not a registered Klipper board (flashbay board add)",
			    b->slot);
		return NULL;
	}
	if (in_batch(app, key)) {
		strbuf_addf(why, "board '%s' is being built or flashed", key);
		return NULL;
	}
	mc = klipper_menuconfig_begin(app->cfg, reg, spec, why);
	if (!mc)
		return NULL;
	log_msg(LOG_INFO, NULL, "%s: make menuconfig KCONFIG_CONFIG=%s", reg->key,
		klipper_menuconfig_path(mc));
	amc = xcalloc(1, sizeof *amc);
	amc->mc = mc;
	return amc;
}

/* Log what a menuconfig came to. */
static void menuconfig_log(const struct klipper_menuconfig_result *res)
{
	const char *key = res->key;

	if (res->status)
		log_msg(LOG_WARN, NULL, "%s: make menuconfig failed (%s %d)", key,
			res->status < 0 ? "error" : "exit",
			res->status < 0 ? -res->status : res->status);
	if (res->discarded) {
		log_msg(LOG_INFO, NULL,
		        "%s: configuration not saved; the board still has no configuration", key);
		return;
	}
	log_msg(LOG_INFO, NULL, "%s: configuration %s: %s", key,
		res->saved ? "saved" : "not changed", res->config);
	if (res->mcu_ok)
		log_msg(LOG_INFO, NULL, "%s: MCU check: the configuration matches (mcu %s)", key,
			res->mcu);
	else
		log_msg(LOG_WARN, NULL, "%s", res->check.buf);
}

void app_klipper_menuconfig_end(struct app_menuconfig *amc, int status)
{
	struct klipper_menuconfig_result res;

	klipper_menuconfig_end(amc->mc, status, &res);
	free(amc);
	menuconfig_log(&res);
	klipper_menuconfig_result_release(&res);
}
