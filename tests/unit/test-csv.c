/* test-csv.c - RFC 4180 quoting, the spreadsheet formula guard, reading rows back. */
#include "autoconf.h"

#include "../tap.h"
#include "csv.h"
#include "strvec.h"

#include <stdlib.h>
#include <string.h>

/* One field through csv_field(). */
static const char *field(const char *s, bool guard)
{
	static struct strbuf sb = STRBUF_INIT;

	strbuf_reset(&sb);
	csv_field(&sb, s, true, guard);
	return sb.buf;
}

/* The rows of text read back, each as "f1|f2|...", rows joined by "/";
 * "ERR" where csv_read_row() refused. */
static const char *rows(const char *text)
{
	static struct strbuf out = STRBUF_INIT;
	const char *p = text, *end = text + strlen(text);
	struct strvec f = STRVEC_INIT;
	int r;

	strbuf_reset(&out);
	while ((r = csv_read_row(&p, end, &f)) > 0) {
		char *j = strvec_join(&f, "|");

		strbuf_addf(&out, "%s%s", out.len ? "/" : "", j);
		free(j);
		strvec_release(&f);
	}
	if (r < 0)
		strbuf_addstr(&out, "ERR");
	strvec_release(&f);
	return out.buf;
}

/* Reading back what csv_field() writes, and what spreadsheets write. */
static void reading(void)
{
	struct strbuf w = STRBUF_INIT;

	is_str(rows("serial,batch\r\nA-1,b7\r\n"), "serial|batch/A-1|b7", "CRLF rows");
	is_str(rows("a,b\nc,d"), "a|b/c|d", "LF rows, no newline at the end");
	is_str(rows("\"k,1\",\"say \"\"hi\"\"\"\n"), "k,1|say \"hi\"", "quoted fields, doubled quotes");
	is_str(rows("\"two\nlines\",x\n"), "two\nlines|x", "a line break inside quotes");
	is_str(rows("a,,\n"), "a||", "empty fields, a trailing one too");
	is_str(rows("\"open,x\n"), "ERR", "a quote left open: refused");
	is_str(rows(""), "", "no text: no row");
	csv_field(&w, "=1+2", true, false);
	csv_field(&w, "a,\"b\"", false, false);
	csv_end_row(&w);
	is_str(rows(w.buf), "=1+2|a,\"b\"", "what csv_field() wrote reads back the same");
	strbuf_release(&w);
}

int main(void)
{
	struct strbuf row = STRBUF_INIT;

	is_str(field("plain", true), "plain", "a plain field is written as it is");
	is_str(field(NULL, true), "", "NULL is an empty field");
	is_str(field("a,b", true), "\"a,b\"", "a comma makes a quoted field");
	is_str(field("say \"hi\"", true), "\"say \"\"hi\"\"\"", "quotes are doubled inside quotes");
	is_str(field("two\nlines", true), "\"two\nlines\"", "LF makes a quoted field");
	is_str(field("cr\rhere", true), "\"cr\rhere\"", "CR makes a quoted field");
	is_str(field("=1+2", true), "'=1+2", "= is guarded with a single quote");
	is_str(field("+41 79", true), "'+41 79", "+ is guarded");
	is_str(field("-2+3", true), "'-2+3", "- is guarded");
	is_str(field("@SUM(A1)", true), "'@SUM(A1)", "@ is guarded");
	is_str(field("\tcmd", true), "'\tcmd", "a leading TAB is guarded");
	is_str(field("\rcmd", true), "\"'\rcmd\"", "a leading CR is guarded and quoted");
	is_str(field("=HYPERLINK(\"x\",\"y\")", true), "\"'=HYPERLINK(\"\"x\"\",\"\"y\"\")\"",
	       "a guarded field with quotes is quoted with the guard inside");
	is_str(field("=1+2", false), "=1+2", "no guard for numbers we format ourselves");
	is_str(field("a=b", true), "a=b", "= later in a field is harmless");
	is_str(field("caf\xc3\xa9", true), "caf\xc3\xa9", "valid UTF-8 is kept");
	is_str(field("bad\xff byte", true), "bad\xef\xbf\xbd byte", "invalid UTF-8 becomes U+FFFD");
	is_str(field("\xed\xa0\x80", true), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd",
	       "an encoded surrogate is invalid");

	csv_field(&row, "a", true, true);
	csv_field(&row, NULL, false, true);
	csv_field(&row, "c", false, true);
	csv_end_row(&row);
	is_str(row.buf, "a,,c\r\n", "fields are comma-separated and rows end in CRLF");
	strbuf_release(&row);
	reading();
	return done_testing();
}
