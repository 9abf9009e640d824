/* app-link.c - the station's link to the line (MQTT) as one status line
 * the views show; set by the publisher (mqtt-station.c). */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "app-internal.h"
#include "xalloc.h"

void app_set_link_status(struct app *app, const char *line)
{
	if (app->link_status && line && !strcmp(app->link_status, line))
		return;
	free(app->link_status);
	app->link_status = xstrdup_or_null(line);
	app_emit(app, NULL, APP_EV_HEADER);
}

const char *app_link_status(const struct app *app)
{
	return app->link_status ? app->link_status : "";
}
