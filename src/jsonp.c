/* jsonp.c - a small strict JSON parser with bounds (jsonp.h). */
#include "autoconf.h"

#include "jsonp.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

struct parser {
	const char *p, *start, *end;
	size_t nodes;
	const char *why;
};

static bool value(struct parser *ps, struct jv *v, int depth);

static void skip_ws(struct parser *ps)
{
	while (ps->p < ps->end && strchr(" \t\r\n", *ps->p) && *ps->p)
		ps->p++;
}

static bool fail(struct parser *ps, const char *why)
{
	if (!ps->why)
		ps->why = why;
	return false;
}

/* Append code point c as UTF-8. */
static void put_utf8(struct strbuf *sb, uint32_t c)
{
	if (c == 0 || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		c = 0xfffd;
	if (c < 0x80) {
		strbuf_addch(sb, (int)c);
	} else if (c < 0x800) {
		strbuf_addch(sb, (int)(0xc0 | (c >> 6)));
		strbuf_addch(sb, (int)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		strbuf_addch(sb, (int)(0xe0 | (c >> 12)));
		strbuf_addch(sb, (int)(0x80 | ((c >> 6) & 0x3f)));
		strbuf_addch(sb, (int)(0x80 | (c & 0x3f)));
	} else {
		strbuf_addch(sb, (int)(0xf0 | (c >> 18)));
		strbuf_addch(sb, (int)(0x80 | ((c >> 12) & 0x3f)));
		strbuf_addch(sb, (int)(0x80 | ((c >> 6) & 0x3f)));
		strbuf_addch(sb, (int)(0x80 | (c & 0x3f)));
	}
}

/* Four hex digits. */
static bool hex4(struct parser *ps, uint32_t *out)
{
	uint32_t c = 0;

	if (ps->end - ps->p < 4)
		return fail(ps, "bad \\u escape");
	for (int i = 0; i < 4; i++) {
		char h = *ps->p++;

		c <<= 4;
		if (h >= '0' && h <= '9')
			c |= (uint32_t)(h - '0');
		else if ((h | 0x20) >= 'a' && (h | 0x20) <= 'f')
			c |= (uint32_t)((h | 0x20) - 'a' + 10);
		else
			return fail(ps, "bad \\u escape");
	}
	*out = c;
	return true;
}

/* \uXXXX, a surrogate pair joined. */
static bool unicode_escape(struct parser *ps, struct strbuf *sb)
{
	uint32_t c, lo;

	if (!hex4(ps, &c))
		return false;
	if (c >= 0xd800 && c < 0xdc00 && ps->end - ps->p >= 6 && ps->p[0] == '\\' &&
	    ps->p[1] == 'u') {
		const char *save = ps->p;

		ps->p += 2;
		if (!hex4(ps, &lo))
			return false;
		if (lo >= 0xdc00 && lo <= 0xdfff)
			c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
		else
			ps->p = save;
	}
	put_utf8(sb, c);
	return true;
}

/* A string (after its opening quote) into *out. */
static bool string(struct parser *ps, char **out)
{
	struct strbuf sb = STRBUF_INIT;
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";

	while (ps->p < ps->end && *ps->p != '"') {
		unsigned char c = (unsigned char)*ps->p++;
		const char *e;

		if (c < 0x20) {
			strbuf_release(&sb);
			return fail(ps, "control character in a string");
		}
		if (c != '\\') {
			strbuf_addch(&sb, c);
			continue;
		}
		if (ps->p >= ps->end)
			break;
		c = (unsigned char)*ps->p++;
		if (c == 'u' && !unicode_escape(ps, &sb)) {
			strbuf_release(&sb);
			return false;
		} else if (c != 'u' && (!c || !(e = strchr(from, c)))) {
			strbuf_release(&sb);
			return fail(ps, "bad escape in a string");
		} else if (c != 'u') {
			strbuf_addch(&sb, to[e - from]);
		}
	}
	if (ps->p >= ps->end) {
		strbuf_release(&sb);
		return fail(ps, "unterminated string");
	}
	ps->p++;
	*out = strbuf_detach(&sb);
	return true;
}

/* A number, as RFC 8259 spells it. */
static bool number(struct parser *ps, double *out)
{
	const char *s = ps->p, *q = s;
	char buf[64];

	if (q < ps->end && *q == '-')
		q++;
	if (q < ps->end && *q == '0')
		q++;
	else if (q < ps->end && *q >= '1' && *q <= '9')
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	else
		return fail(ps, "bad number");
	if (q < ps->end && *q == '.') {
		if (++q >= ps->end || *q < '0' || *q > '9')
			return fail(ps, "bad number");
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < ps->end && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < ps->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= ps->end || *q < '0' || *q > '9')
			return fail(ps, "bad number");
		while (q < ps->end && *q >= '0' && *q <= '9')
			q++;
	}
	if ((size_t)(q - s) >= sizeof buf)
		return fail(ps, "number too long");
	memcpy(buf, s, (size_t)(q - s));
	buf[q - s] = '\0';
	*out = strtod(buf, NULL);
	ps->p = q;
	return isfinite(*out) || fail(ps, "number out of range");
}

/* The elements of an array or the members of an object (after the bracket). */
static bool container(struct parser *ps, struct jv *v, int depth, char close)
{
	size_t alloc = 0;

	skip_ws(ps);
	if (ps->p < ps->end && *ps->p == close) {
		ps->p++;
		return true;
	}
	for (;;) {
		struct jv kid = { 0 };

		skip_ws(ps);
		if (close == '}' && (ps->p >= ps->end || *ps->p++ != '"' || !string(ps, &kid.key)))
			return fail(ps, "expected a member name");
		skip_ws(ps);
		if (close == '}' && (ps->p >= ps->end || *ps->p++ != ':')) {
			free(kid.key);
			return fail(ps, "expected ':'");
		}
		if (v->n == alloc) {
			alloc = alloc ? 2 * alloc : 8;
			v->kids = xrealloc(v->kids, alloc * sizeof *v->kids);
		}
		v->kids[v->n++] = kid;
		if (!value(ps, &v->kids[v->n - 1], depth + 1))
			return false;
		skip_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p == close) {
			ps->p++;
			return true;
		}
		return fail(ps, close == '}' ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

/* A literal word. */
static bool word(struct parser *ps, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, w, n))
		return fail(ps, "unexpected character");
	ps->p += n;
	return true;
}

static bool value(struct parser *ps, struct jv *v, int depth)
{
	if (depth > JSONP_MAX_DEPTH)
		return fail(ps, "nested too deep");
	if (++ps->nodes > JSONP_MAX_NODES)
		return fail(ps, "too many values");
	skip_ws(ps);
	if (ps->p >= ps->end)
		return fail(ps, "unexpected end");
	switch (*ps->p) {
	case '{':
		ps->p++;
		v->type = JV_OBJ;
		return container(ps, v, depth, '}');
	case '[':
		ps->p++;
		v->type = JV_ARR;
		return container(ps, v, depth, ']');
	case '"':
		ps->p++;
		v->type = JV_STR;
		return string(ps, &v->s);
	case 't':
		v->type = JV_BOOL;
		v->b = true;
		return word(ps, "true");
	case 'f':
		v->type = JV_BOOL;
		return word(ps, "false");
	case 'n':
		v->type = JV_NULL;
		return word(ps, "null");
	default:
		v->type = JV_NUM;
		return number(ps, &v->num);
	}
}

/* Free what v holds (not v). */
static void jv_clear(struct jv *v)
{
	for (size_t i = 0; i < v->n; i++)
		jv_clear(&v->kids[i]);
	free(v->kids);
	free(v->key);
	free(v->s);
}

struct jv *jv_parse(const char *text, size_t len, struct strbuf *err)
{
	struct parser ps = { text, text, text + len, 0, NULL };
	struct jv *v = xcalloc(1, sizeof *v);

	if (len > JSONP_MAX_LEN)
		fail(&ps, "too long");
	else if (value(&ps, v, 0)) {
		skip_ws(&ps);
		if (ps.p == ps.end)
			return v;
		fail(&ps, "text after the value");
	}
	strbuf_addf(err, "malformed JSON: %s at byte %zu", ps.why, (size_t)(ps.p - ps.start));
	jv_free(v);
	return NULL;
}

void jv_free(struct jv *v)
{
	if (!v)
		return;
	jv_clear(v);
	free(v);
}

const struct jv *jv_get(const struct jv *o, const char *key)
{
	const struct jv *found = NULL;

	if (!o || o->type != JV_OBJ)
		return NULL;
	for (size_t i = 0; i < o->n; i++)
		if (!strcmp(o->kids[i].key, key))
			found = &o->kids[i];
	return found;
}

const char *jv_str(const struct jv *o, const char *key)
{
	const struct jv *v = jv_get(o, key);

	return v && v->type == JV_STR ? v->s : NULL;
}

bool jv_num(const struct jv *o, const char *key, double *out)
{
	const struct jv *v = jv_get(o, key);

	if (!v || v->type != JV_NUM)
		return false;
	*out = v->num;
	return true;
}

bool jv_int(const struct jv *o, const char *key, long long *out)
{
	double d;

	if (!jv_num(o, key, &d) || d != floor(d) || fabs(d) > 9007199254740992.0)
		return false;
	*out = (long long)d;
	return true;
}
