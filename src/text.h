/* text.h - making untrusted text safe: terminal sanitising and ANSI stripping.
 *
 * USB descriptor strings, by-id names and tool output come from outside; they
 * pass through here before they reach a terminal.
 */
#ifndef FLASHBAY_TEXT_H
#define FLASHBAY_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* Append s to out with every control character (C0, DEL, C1), bidi override,
 * invalid UTF-8 byte and - when ascii_only - every non-ASCII character
 * replaced by '?'. An escape sequence thus becomes visible, inert text. */
void text_sanitize(struct strbuf *out, const char *s, size_t len, bool ascii_only);
/* Sanitised copy of a C string (NULL stays NULL). Caller frees. */
char *text_sanitize_dup(const char *s, bool ascii_only);

/* Remove ANSI/VT escape sequences (CSI, OSC, DCS, two- and three-byte
 * escapes) and other C0 controls except TAB (which becomes a space) from
 * buf[0..len) in place; returns the new length. An unterminated sequence at
 * the end is dropped. */
size_t text_strip_ansi(char *buf, size_t len);

/* Decode one UTF-8 sequence at s (len bytes available): its length, with the
 * code point in *cp, or 0 if the bytes are not valid UTF-8 (overlong forms and
 * surrogates included). */
size_t text_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);
/* Code points that must never reach a terminal raw: C0/C1 controls, DEL,
 * bidi overrides and marks, the BOM. */
bool text_is_dangerous(uint32_t c);

/* Number of terminal columns of a UTF-8 string that has been sanitised
 * (each code point counts as one column; wide CJK counts as two). */
size_t text_width(const char *s);
/* Append s (NULL: "-") sanitised, cut to width columns ('~' marks a cut)
 * and padded with spaces to width: a table cell. */
void text_cell(struct strbuf *line, const char *s, size_t width, bool ascii_only);
/* The same, padded on the left instead when right is set (numbers). */
void text_cell_align(struct strbuf *line, const char *s, size_t width, bool right,
		     bool ascii_only);

#endif
