/* test-csv.c - RFC 4180 quoting and the spreadsheet formula guard. */
#include "autoconf.h"

#include "../tap.h"
#include "csv.h"

/* One field through csv_field(). */
static const char *field(const char *s, bool guard)
{
	static struct strbuf sb = STRBUF_INIT;

	strbuf_reset(&sb);
	csv_field(&sb, s, true, guard);
	return sb.buf;
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
	return done_testing();
}
