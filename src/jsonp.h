/* jsonp.h - a small strict JSON parser for untrusted input (MQTT payloads).
 *
 * RFC 8259 only: no comments, no trailing commas, no NaN; the whole text
 * is one value (whitespace around it). Bounded: at most JSONP_MAX_LEN bytes,
 * JSONP_MAX_DEPTH nesting and JSONP_MAX_NODES values; strings are decoded to
 * UTF-8 (\u0000 and lone surrogates become U+FFFD, so a string never holds a
 * NUL). Display code must still sanitise strings (text.c).
 */
#ifndef FLASHBAY_JSONP_H
#define FLASHBAY_JSONP_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

#define JSONP_MAX_LEN (256 * 1024)
#define JSONP_MAX_DEPTH 16
#define JSONP_MAX_NODES 8192

enum jv_type { JV_NULL, JV_BOOL, JV_NUM, JV_STR, JV_ARR, JV_OBJ };

struct jv {
	enum jv_type type;
	char *key;         /* the member's name when inside an object */
	char *s;           /* JV_STR */
	double num;        /* JV_NUM */
	bool b;            /* JV_BOOL */
	struct jv *kids;   /* JV_ARR, JV_OBJ: n elements / members in order */
	size_t n;
};

/* Parse text[0..len); NULL with one line in err (what and the byte offset). */
struct jv *jv_parse(const char *text, size_t len, struct strbuf *err);
void jv_free(struct jv *v);

/* Member key of object o (the last one if repeated), or NULL. */
const struct jv *jv_get(const struct jv *o, const char *key);
/* Member key as a string / number / integer; NULL / false when absent or
 * of another type (null included). */
const char *jv_str(const struct jv *o, const char *key);
bool jv_num(const struct jv *o, const char *key, double *out);
bool jv_int(const struct jv *o, const char *key, long long *out);

#endif
