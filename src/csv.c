/* csv.c - RFC 4180 fields with the formula-injection guard, and reading rows back. */
#include "autoconf.h"

#include "csv.h"

#include <errno.h>
#include <string.h>

#include "strvec.h"

/* Length of the valid UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
	size_t n;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4;
	else
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* overlong three/four-byte forms, surrogates, beyond U+10FFFF */
	if ((s[0] == 0xe0 && s[1] < 0xa0) || (s[0] == 0xed && s[1] >= 0xa0) ||
	    (s[0] == 0xf0 && s[1] < 0x90) || (s[0] == 0xf4 && s[1] >= 0x90))
		return 0;
	return n;
}

/* Append s with quotes doubled and bad UTF-8 replaced. */
static void add_text(struct strbuf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		size_t n = utf8_len(p);

		if (!n) {
			strbuf_addstr(out, "\xef\xbf\xbd");
			p++;
		} else if (*p == '"') {
			strbuf_addstr(out, "\"\"");
			p++;
		} else {
			strbuf_add(out, p, n);
			p += n;
		}
	}
}

void csv_field(struct strbuf *out, const char *s, bool first, bool guard)
{
	bool formula, quote;

	if (!first)
		strbuf_addch(out, ',');
	if (!s || !*s)
		return;
	formula = guard && strchr("=+-@\t\r", s[0]);
	quote = strpbrk(s, ",\"\r\n") != NULL;
	if (quote)
		strbuf_addch(out, '"');
	if (formula)
		strbuf_addch(out, '\'');
	add_text(out, s);
	if (quote)
		strbuf_addch(out, '"');
}

void csv_end_row(struct strbuf *out)
{
	strbuf_addstr(out, "\r\n");
}

/* One quoted field at *p (past its opening quote) into f; -EINVAL if unclosed. */
static int read_quoted(const char **p, const char *end, struct strbuf *f)
{
	const char *s = *p;

	while (s < end) {
		if (*s != '"') {
			strbuf_addch(f, *s++);
		} else if (s + 1 < end && s[1] == '"') {
			strbuf_addch(f, '"');
			s += 2;
		} else {
			*p = s + 1;
			return 0;
		}
	}
	return -EINVAL;
}

int csv_read_row(const char **p, const char *end, struct strvec *fields)
{
	const char *s = *p;
	struct strbuf f = STRBUF_INIT;
	int r = 1;

	if (s >= end)
		return 0;
	for (;;) {
		if (s < end && *s == '"') {
			s++;
			if (read_quoted(&s, end, &f) < 0) {
				r = -EINVAL;
				break;
			}
		}
		while (s < end && *s != ',' && *s != '\n' && !(*s == '\r' && s + 1 < end && s[1] == '\n'))
			strbuf_addch(&f, *s++);
		strvec_push(fields, f.buf);
		strbuf_reset(&f);
		if (s < end && *s == ',') {
			s++;
			continue;
		}
		s += s < end ? (*s == '\r' ? 2 : 1) : 0;
		break;
	}
	*p = s;
	strbuf_release(&f);
	return r;
}
