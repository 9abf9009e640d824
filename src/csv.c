/* csv.c - RFC 4180 fields with the formula-injection guard. */
#include "autoconf.h"

#include "csv.h"

#include <string.h>

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
