/* tui-fleet.c - the fleet dashboard (placeholder: line mode). */
#include "autoconf.h"

#include "cmd-fleet.h"

struct fleet_tui *fleet_tui_new(struct fleet_cli *c)
{
	(void)c;
	return NULL;
}

void fleet_tui_free(struct fleet_tui *t)
{
	(void)t;
}

void fleet_tui_changed(struct fleet_tui *t)
{
	(void)t;
}

void fleet_tui_note(struct fleet_tui *t, const char *line)
{
	(void)t;
	(void)line;
}
