/* app-unit.c - per-unit data on the board rows: labels (scanned in the
 * dashboard, or flash --label) and the wish for a new serial. */
#include "autoconf.h"

#include "app-internal.h"

#include <stdio.h>
#include <string.h>

#include "log.h"

void app_set_label(struct app *app, struct app_board *b, const char *label)
{
	char clean[UNIT_LABEL_MAX + 1];

	unit_label_clean(label ? label : "", clean);
	if (!b) {
		snprintf(app->next_label, sizeof app->next_label, "%s", clean);
		app_emit(app, NULL, APP_EV_HEADER);
		return;
	}
	snprintf(b->label, sizeof b->label, "%s", clean);
	if (b->run)
		snprintf(b->run->at.unit_label, sizeof b->run->at.unit_label, "%s", clean);
	app_emit(app, b, APP_EV_CHANGED);
}

const char *app_next_label(const struct app *app)
{
	return app->next_label;
}

void app_want_new_serial(struct app *app, struct app_board *b)
{
	(void)app;
	b->new_serial = true;
}

void app_unit_plugged(struct app *app, struct app_board *b)
{
	b->serial[0] = '\0';
	b->new_serial = false;
	b->label[0] = '\0';
	if (app->monitor && app->next_label[0]) {
		snprintf(b->label, sizeof b->label, "%s", app->next_label);
		app->next_label[0] = '\0';
		log_msg(LOG_INFO, NULL, "slot %u: label %s", b->slot, b->label);
		app_emit(app, NULL, APP_EV_HEADER);
	}
}

void app_unit_run_new(struct app_run *run)
{
	snprintf(run->at.unit_label, sizeof run->at.unit_label, "%s", run->b->label);
}
