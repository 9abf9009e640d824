/* config-values.c - parsing one flashbay.conf value: durations, choices,
 * USB ids, words (config-internal.h). */
#include "autoconf.h"

#include "config-internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "array.h"
#include "parse.h"
#include "xalloc.h"

int config_parse_duration(const char *v, uint64_t *ms)
{
	static const struct {
		const char *unit;
		uint64_t mul;
	} units[] = { { "", 1000 }, { "s", 1000 }, { "ms", 1 }, { "m", 60000 }, { "h", 3600000 } };
	char *end;
	unsigned long long n;

	if (!isdigit((unsigned char)v[0]))
		return -EINVAL;
	errno = 0;
	n = strtoull(v, &end, 10);
	if (errno || n > 1000000000ull)
		return -EINVAL;
	for (size_t i = 0; i < ARRAY_SIZE(units); i++) {
		if (!strcmp(end, units[i].unit)) {
			*ms = n * units[i].mul;
			return 0;
		}
	}
	return -EINVAL;
}

int config_find_choice(const char *const *choices, const char *v)
{
	for (int i = 0; choices[i]; i++) {
		size_t j = 0;

		for (; choices[i][j] && v[j]; j++) {
			char a = choices[i][j] == '-' ? '_' : choices[i][j];
			char b = v[j] == '-' ? '_' : v[j];

			if (tolower((unsigned char)a) != tolower((unsigned char)b))
				break;
		}
		if (!choices[i][j] && !v[j])
			return i;
	}
	return -1;
}

void config_list_choices(struct strbuf *sb, const char *const *choices)
{
	for (int i = 0; choices[i]; i++)
		strbuf_addf(sb, "%s%s", i ? ", " : "", choices[i]);
}

int config_parse_usbid(const char *s, uint16_t *vid, uint16_t *pid, bool *any)
{
	uint32_t v, q = 0;
	char *tmp = xstrdup(s), *colon = strchr(tmp, ':');
	int ret = -EINVAL;

	if (colon && strlen(tmp) - strlen(colon) == 4) {
		*colon = '\0';
		*any = !strcmp(colon + 1, "*");
		if (!parse_hex_u32(tmp, &v) && v <= 0xffff &&
		    (*any || (strlen(colon + 1) == 4 && !parse_hex_u32(colon + 1, &q) && q <= 0xffff))) {
			*vid = (uint16_t)v;
			*pid = (uint16_t)q;
			ret = 0;
		}
	}
	free(tmp);
	return ret;
}

bool config_valid_word(const char *v)
{
	if (!*v)
		return false;
	for (; *v; v++)
		if (!isalnum((unsigned char)*v) && !strchr("._-", *v))
			return false;
	return true;
}
