/* json.c - minimal JSON writer. */
#include "autoconf.h"

#include "json.h"

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

/* Length of a valid UTF-8 sequence at s or 0. */
static size_t utf8_valid(const unsigned char *s)
{
	size_t n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc2 ? 2 : 0;
	uint32_t c;

	if (!n || s[0] > 0xf4)
		return 0;
	c = s[0] & (0x7f >> n);
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return n;
}

/* The code point of a valid n-byte UTF-8 sequence at s. */
static uint32_t utf8_cp(const unsigned char *s, size_t n)
{
	uint32_t c = s[0] & (0x7f >> n);

	for (size_t i = 1; i < n; i++)
		c = (c << 6) | (s[i] & 0x3f);
	return c;
}

void json_quote(struct strbuf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	strbuf_addch(out, '"');
	while (*p) {
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
		} else if ((n = utf8_valid(p))) {
			uint32_t c = utf8_cp(p, n);

			/* valid JSON either way; escaped, C1 controls and bidi
			 * overrides cannot act on a terminal showing the output */
			if (c <= 0x9f || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
			    (c >= 0x2066 && c <= 0x2069))
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
