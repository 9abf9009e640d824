/* text.c - sanitising untrusted strings and stripping terminal escapes. */
#include "autoconf.h"

#include "text.h"

#include <stdint.h>
#include <string.h>
#include <wchar.h>

#include "xalloc.h"

size_t text_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	/* overlong forms, surrogates and out-of-range code points */
	if ((n == 3 && c < 0x800) || (n == 4 && (c < 0x10000 || c > 0x10ffff)) ||
	    (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

bool text_is_dangerous(uint32_t c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || c == 0x200e || c == 0x200f ||
	       (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069) || c == 0xfeff;
}

void text_sanitize(struct strbuf *out, const char *s, size_t len, bool ascii_only)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		uint32_t c;
		size_t n = text_utf8_decode(p + i, len - i, &c);

		if (!n) {
			strbuf_addch(out, '?');
			i++;
			continue;
		}
		if (text_is_dangerous(c) || (ascii_only && c >= 0x80))
			strbuf_addch(out, '?');
		else
			strbuf_add(out, p + i, n);
		i += n;
	}
}

char *text_sanitize_dup(const char *s, bool ascii_only)
{
	struct strbuf sb = STRBUF_INIT;

	if (!s)
		return NULL;
	text_sanitize(&sb, s, strlen(s), ascii_only);
	return strbuf_detach(&sb);
}

/* Length of the escape sequence starting with ESC at buf[i], at most the rest. */
static size_t escape_len(const char *buf, size_t i, size_t len)
{
	size_t j = i + 1;

	if (j >= len)
		return len - i;
	switch (buf[j]) {
	case '[': /* CSI: parameters, intermediates, one final byte */
		for (j++; j < len; j++)
			if ((unsigned char)buf[j] >= 0x40 && (unsigned char)buf[j] <= 0x7e)
				return j + 1 - i;
		return len - i;
	case ']': case 'P': case 'X': case '^': case '_': /* strings ended by BEL or ST */
		for (j++; j < len; j++) {
			if (buf[j] == '\a')
				return j + 1 - i;
			if (buf[j] == '\033' && j + 1 < len && buf[j + 1] == '\\')
				return j + 2 - i;
		}
		return len - i;
	default: /* ESC intermediates* final */
		while (j < len && (unsigned char)buf[j] >= 0x20 && (unsigned char)buf[j] <= 0x2f)
			j++;
		return (j < len ? j + 1 : len) - i;
	}
}

size_t text_strip_ansi(char *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)buf[i];

		if (c == '\033') {
			i += escape_len(buf, i, len);
		} else if (c == '\t') {
			buf[o++] = ' ';
			i++;
		} else if (c < 0x20 || c == 0x7f) {
			i++;
		} else {
			buf[o++] = buf[i++];
		}
	}
	return o;
}

size_t text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), w = 0;

	for (size_t i = 0; i < len;) {
		uint32_t c;
		size_t n = text_utf8_decode(p + i, len - i, &c);

		if (!n) {
			w++;
			i++;
			continue;
		}
		if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
		    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
		    (c >= 0xff00 && c <= 0xff60) || (c >= 0x1f300 && c <= 0x1faff))
			w += 2;
		else if (!(c >= 0x300 && c <= 0x36f))
			w++;
		i += n;
	}
	return w;
}

void text_cell_align(struct strbuf *line, const char *s, size_t width, bool right,
		     bool ascii_only)
{
	struct strbuf t = STRBUF_INIT;
	size_t w;

	text_sanitize(&t, s ? s : "-", strlen(s ? s : "-"), ascii_only);
	while ((w = text_width(t.buf)) > width) {
		size_t n = t.len;

		/* drop the last code point, then mark the cut */
		while (n > 0 && ((unsigned char)t.buf[n - 1] & 0xc0) == 0x80)
			n--;
		strbuf_setlen(&t, n ? n - 1 : 0);
		if (text_width(t.buf) < width) {
			strbuf_addch(&t, '~');
			break;
		}
	}
	w = text_width(t.buf);
	for (size_t i = w; right && i < width; i++)
		strbuf_addch(line, ' ');
	strbuf_addstr(line, t.buf);
	for (size_t i = w; !right && i < width; i++)
		strbuf_addch(line, ' ');
	strbuf_release(&t);
}

void text_cell(struct strbuf *line, const char *s, size_t width, bool ascii_only)
{
	text_cell_align(line, s, width, false, ascii_only);
}
