/* yield.c - a first-pass yield as JSON and as text (yield.h). */
#include "autoconf.h"

#include "yield.h"

#include <stdio.h>

#include "json.h"

void yield_json(struct jw *jw, double yield, long boards)
{
	if (boards)
		jw_double(jw, "first_pass_yield", yield);
	else
		jw_null(jw, "first_pass_yield");
}

void yield_text(char out[16], double yield, long boards, int decimals)
{
	if (boards)
		snprintf(out, 16, "%.*f%%", decimals, yield * 100.0);
	else
		snprintf(out, 16, "-");
}
