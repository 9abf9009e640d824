/* csv.h - RFC 4180 CSV fields, safe to open in a spreadsheet.
 *
 * Rows end in CRLF. A field containing a comma, a double quote, CR or LF is
 * quoted, with its quotes doubled. Invalid UTF-8 bytes become U+FFFD. With
 * guard, a text field starting with =, +, -, @, TAB or CR (a formula to a
 * spreadsheet) gets a leading single quote, as OWASP recommends for CSV
 * injection.
 */
#ifndef FLASHBAY_CSV_H
#define FLASHBAY_CSV_H

#include <stdbool.h>

#include "strbuf.h"

/* Append field s (NULL: empty) to out, preceded by a comma unless first. */
void csv_field(struct strbuf *out, const char *s, bool first, bool guard);
/* End the row. */
void csv_end_row(struct strbuf *out);

struct strvec;
/* Read the row of RFC 4180 text at *p (text ends at end) into fields
 * (appended): quoted fields with doubled quotes may hold commas and line
 * breaks; rows end in CRLF or LF; *p moves past the row. Returns 1 (a row),
 * 0 (no text left) or -EINVAL (a quote left open). */
int csv_read_row(const char **p, const char *end, struct strvec *fields);

#endif
