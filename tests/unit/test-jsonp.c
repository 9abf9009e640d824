/* test-jsonp.c - the strict JSON parser for MQTT payloads: values, escapes,
 * and every kind of malformed or oversized input refused with a reason. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "jsonp.h"

/* Parse s; NULL if refused (the reason in why). */
static struct jv *parse(const char *s, struct strbuf *why)
{
	strbuf_reset(why);
	return jv_parse(s, strlen(s), why);
}

static void values(void)
{
	struct strbuf why = STRBUF_INIT;
	struct jv *v = parse(" {\"a\": \"x\", \"n\": -12.5e1, \"i\": 42,"
			     " \"t\": true, \"z\": null, \"arr\": [1, [2], {}], \"a\": \"last\"} ",
			     &why);
	long long i;
	double d;

	ok(v != NULL, "an object with every kind of value parses");
	is_str(jv_str(v, "a"), "last", "a repeated member: the last one");
	ok(jv_num(v, "n", &d) && d == -125, "a number with a fraction and an exponent");
	ok(jv_int(v, "i", &i) && i == 42, "an integer");
	ok(jv_int(v, "n", &i) && i == -125, "-12.5e1 is the integer -125");
	ok(jv_get(v, "t")->type == JV_BOOL && jv_get(v, "t")->b, "true");
	ok(jv_get(v, "z")->type == JV_NULL && !jv_str(v, "z"), "null is no string");
	is_int(jv_get(v, "arr")->n, 3, "an array of three");
	jv_free(v);
	v = parse("{\"s\": \"x\\u00e9\\ud83d\\ude00\\n\\u0000\\ud800\"}", &why);
	is_str(jv_str(v, "s"), "x\xc3\xa9\xf0\x9f\x98\x80\n\xef\xbf\xbd\xef\xbf\xbd",
	       "escapes decoded; a surrogate pair joined; \\u0000 and a lone surrogate are U+FFFD");
	jv_free(v);
	strbuf_release(&why);
}

static void refused(void)
{
	static const char *const bad[][2] = {
		{ "", "unexpected end" },
		{ "{", "expected a member name" },
		{ "{\"a\" 1}", "expected ':'" },
		{ "{\"a\": 1,}", "expected a member name" },
		{ "[1, 2", "expected ',' or ']'" },
		{ "{\"a\": 01}", "expected ',' or '}'" },
		{ "{\"a\": 1} x", "text after the value" },
		{ "{\"a\": NaN}", "bad number" },
		{ "{\"a\": \"x\ty\"}", "control character in a string" },
		{ "{\"a\": \"\\x\"}", "bad escape in a string" },
		{ "{\"a\": \"\\u12\"}", "bad \\u escape" },
		{ "{\"a\": \"abc", "unterminated string" },
		{ "{\"a\": tru}", "unexpected character" },
		{ "{\"a\": 1e999}", "number out of range" },
	};
	struct strbuf why = STRBUF_INIT, deep = STRBUF_INIT, many = STRBUF_INIT;
	struct jv *v;

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		v = parse(bad[i][0], &why);
		ok(!v && strstr(why.buf, bad[i][1]), "'%s' refused: %s", bad[i][0], bad[i][1]);
		if (!strstr(why.buf, bad[i][1]))
			diag("  got: %s", why.buf);
		jv_free(v);
	}
	for (int i = 0; i < JSONP_MAX_DEPTH + 2; i++)
		strbuf_addch(&deep, '[');
	v = parse(deep.buf, &why);
	ok(!v && strstr(why.buf, "nested too deep"), "nesting beyond %d is refused", JSONP_MAX_DEPTH);
	strbuf_addch(&many, '[');
	for (int i = 0; i < JSONP_MAX_NODES + 1; i++)
		strbuf_addstr(&many, i ? ",0" : "0");
	strbuf_addch(&many, ']');
	v = parse(many.buf, &why);
	ok(!v && strstr(why.buf, "too many values"), "more than %d values are refused",
	   JSONP_MAX_NODES);
	strbuf_reset(&many);
	strbuf_addch(&many, '"');
	for (int i = 0; i < JSONP_MAX_LEN; i++)
		strbuf_addch(&many, 'x');
	strbuf_addch(&many, '"');
	v = parse(many.buf, &why);
	ok(!v && strstr(why.buf, "too long"), "more than %d bytes are refused", JSONP_MAX_LEN);
	v = jv_parse("{\"a\": 1}\0{", 10, &why);
	ok(!v, "a NUL after the value is refused");
	strbuf_release(&why);
	strbuf_release(&deep);
	strbuf_release(&many);
}

int main(void)
{
	values();
	refused();
	return done_testing();
}
