/* plan.c - the plan table: which plan flashes which kind of board, and
 * where each plan keeps its own state in an app. */
#include "autoconf.h"

#include "plan.h"

#include <stddef.h>

#include "app-internal.h"

const struct plan_ops *const plan_table[] = {
	&plan_esp32,
	&plan_klipper,
	NULL,
};

_Static_assert(sizeof plan_table / sizeof *plan_table - 1 <= PLAN_MAX,
	       "plan_table has more rows than PLAN_MAX");

const struct plan_ops *plan_for_kind(enum dev_kind kind)
{
	for (size_t i = 0; plan_table[i]; i++)
		if (plan_table[i]->owns(kind))
			return plan_table[i];
	return NULL;
}

/* plan's row in plan_table, or PLAN_MAX if it has none. */
static size_t plan_index(const struct plan_ops *plan)
{
	size_t i = 0;

	while (plan_table[i] && plan_table[i] != plan)
		i++;
	return plan_table[i] ? i : PLAN_MAX;
}

void *plan_state(const struct app *app, const struct plan_ops *plan)
{
	size_t i = plan_index(plan);

	return i < PLAN_MAX ? app->plan_state[i] : NULL;
}

void plan_set_state(struct app *app, const struct plan_ops *plan, void *state)
{
	size_t i = plan_index(plan);

	if (i < PLAN_MAX)
		app->plan_state[i] = state;
}
