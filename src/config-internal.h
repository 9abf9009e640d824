/* config-internal.h - what config.c and config-values.c share; not for
 * other modules (they use config.h). */
#ifndef FLASHBAY_CONFIG_INTERNAL_H
#define FLASHBAY_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "strbuf.h"

/* "120", "120s", "500ms", "2m", "1h" -> *ms. 0 or -EINVAL. */
int config_parse_duration(const char *v, uint64_t *ms);
/* Index of v in the NULL-ended choices ('-' == '_', any case), or -1. */
int config_find_choice(const char *const *choices, const char *v);
/* "a, b, c" for messages, appended to sb. */
void config_list_choices(struct strbuf *sb, const char *const *choices);
/* "vid:pid" in hex; pid may be '*' (*any set). 0 or -EINVAL. */
int config_parse_usbid(const char *s, uint16_t *vid, uint16_t *pid, bool *any);
/* A single word: [A-Za-z0-9._-]+. */
bool config_valid_word(const char *v);

#endif
