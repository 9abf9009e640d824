/* cmd-fleet.h - what `flashbay fleet` (cmd-fleet.c) and its dashboard
 * (tui-fleet.c) share. */
#ifndef FLASHBAY_CMD_FLEET_H
#define FLASHBAY_CMD_FLEET_H

#include <stdbool.h>

#include "cmd.h"
#include "config.h"
#include "fleet.h"
#include "loop.h"

/* --json: printed once nothing came for FLEET_JSON_QUIET_MS after both
 * subscriptions were acknowledged (the retained statuses come right after
 * them), at the latest FLEET_JSON_WAIT_MS after the start. */
#define FLEET_JSON_QUIET_MS 300
#define FLEET_JSON_WAIT_MS 5000

struct mqtt;
struct history;
struct fleet_tui;

struct fleet_cli {
	struct globals *g;
	struct config cfg;
	struct loop *loop;
	struct mqtt *m;
	struct history *db;
	struct fleet f;
	bool json;
	int sub_mid[2];
	int subscribed;          /* subscriptions acknowledged */
	struct loop_timer quiet, deadline;
	struct fleet_tui *tui;   /* the dashboard, or NULL */
};

/* A line for the user (sanitised): the dashboard's note line, else stdout
 * (stderr with --json). */
int fleet_out(struct fleet_cli *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The fleet dashboard (tui-fleet.c). NULL if the terminal cannot be used. */
struct fleet_tui *fleet_tui_new(struct fleet_cli *c);
void fleet_tui_free(struct fleet_tui *t);
/* The model changed: redraw (coalesced, before the next poll). */
void fleet_tui_changed(struct fleet_tui *t);
/* A line for the note line. */
void fleet_tui_note(struct fleet_tui *t, const char *line);

int cmd_fleet(struct globals *g, int argc, char **argv);

#endif
