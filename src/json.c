/* json.c - minimal JSON writer. */
#include "autoconf.h"

#include "json.h"

#include "text.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

void jw_init(struct jw *jw, struct strbuf *out)
{
	jw->out = out;
	jw->depth = 0;
	jw->first[0] = true;
}

/* Separator and key before a value. */
static void jw_prefix(struct jw *jw, const char *key)
{
	if (!jw->first[jw->depth])
		strbuf_addch(jw->out, ',');
	jw->first[jw->depth] = false;
	if (key) {
		json_quote(jw->out, key);
		strbuf_addch(jw->out, ':');
	}
}

/* Open a container with the given bracket. */
static void jw_open(struct jw *jw, const char *key, char bracket)
{
	jw_prefix(jw, key);
	strbuf_addch(jw->out, bracket);
	if (jw->depth < 31)
		jw->depth++;
	jw->first[jw->depth] = true;
}

void jw_object_begin(struct jw *jw, const char *key)
{
	jw_open(jw, key, '{');
}

void jw_object_end(struct jw *jw)
{
	strbuf_addch(jw->out, '}');
	if (jw->depth)
		jw->depth--;
}

void jw_array_begin(struct jw *jw, const char *key)
{
	jw_open(jw, key, '[');
}

void jw_array_end(struct jw *jw)
{
	strbuf_addch(jw->out, ']');
	if (jw->depth)
		jw->depth--;
}

void jw_str(struct jw *jw, const char *key, const char *val)
{
	jw_prefix(jw, key);
	if (val)
		json_quote(jw->out, val);
	else
		strbuf_addstr(jw->out, "null");
}

void jw_int(struct jw *jw, const char *key, long long val)
{
	jw_prefix(jw, key);
	strbuf_addf(jw->out, "%lld", val);
}

void jw_double(struct jw *jw, const char *key, double val)
{
	jw_prefix(jw, key);
	if (isfinite(val))
		strbuf_addf(jw->out, "%.6g", val);
	else
		strbuf_addstr(jw->out, "null");
}

void jw_bool(struct jw *jw, const char *key, bool val)
{
	jw_prefix(jw, key);
	strbuf_addstr(jw->out, val ? "true" : "false");
}

void jw_null(struct jw *jw, const char *key)
{
	jw_prefix(jw, key);
	strbuf_addstr(jw->out, "null");
}

void json_quote(struct strbuf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	strbuf_addch(out, '"');
	while (*p) {
		uint32_t c;
		size_t n;

		if (*p == '"' || *p == '\\') {
			strbuf_addch(out, '\\');
			strbuf_addch(out, *p++);
		} else if (*p < 0x20 || *p == 0x7f) {
			static const char esc[] = "btn\0fr";

			if (*p >= 8 && *p <= 13 && *p != 11 && esc[*p - 8])
				strbuf_addf(out, "\\%c", esc[*p - 8]);
			else
				strbuf_addf(out, "\\u%04x", *p);
			p++;
		} else if (*p < 0x80) {
			strbuf_addch(out, *p++);
		} else if ((n = text_utf8_decode(p, 4, &c) /* a NUL ends it early */)) {
			/* valid JSON either way; escaped, C1 controls and bidi
			 * overrides cannot act on a terminal showing the output */
			if (text_is_dangerous(c))
				strbuf_addf(out, "\\u%04x", (unsigned)c);
			else
				strbuf_add(out, p, n);
			p += n;
		} else {
			strbuf_addstr(out, "\\ufffd");
			p++;
		}
	}
	strbuf_addch(out, '"');
}
