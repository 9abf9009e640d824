/* json.h - a minimal streaming JSON writer into a strbuf.
 *
 * Keys may be NULL for array elements and the top-level value. Strings are
 * escaped per RFC 8259; invalid UTF-8 becomes U+FFFD.
 */
#ifndef FLASHBAY_JSON_H
#define FLASHBAY_JSON_H

#include <stdbool.h>

#include "strbuf.h"

struct jw {
	struct strbuf *out;
	int depth;
	bool first[32];
};

void jw_init(struct jw *jw, struct strbuf *out);
void jw_object_begin(struct jw *jw, const char *key);
void jw_object_end(struct jw *jw);
void jw_array_begin(struct jw *jw, const char *key);
void jw_array_end(struct jw *jw);
/* NULL val writes null. */
void jw_str(struct jw *jw, const char *key, const char *val);
void jw_int(struct jw *jw, const char *key, long long val);
void jw_double(struct jw *jw, const char *key, double val);
void jw_bool(struct jw *jw, const char *key, bool val);
void jw_null(struct jw *jw, const char *key);
/* Append s as a quoted JSON string. */
void json_quote(struct strbuf *out, const char *s);

#endif
