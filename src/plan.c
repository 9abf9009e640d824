/* plan.c - the plan table: which plan flashes which kind of board. */
#include "autoconf.h"

#include "plan.h"

#include <stddef.h>

const struct plan_ops *const plan_table[] = {
	&plan_esp32,
	&plan_klipper,
	NULL,
};

const struct plan_ops *plan_for_kind(enum dev_kind kind)
{
	for (size_t i = 0; plan_table[i]; i++)
		if (plan_table[i]->owns(kind))
			return plan_table[i];
	return NULL;
}
