/* test-text.c - sanitising untrusted strings, ANSI stripping, JSON quoting. */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "json.h"
#include "strbuf.h"
#include "text.h"

/* Sanitise s and compare with want. */
static void check_sanitize(const char *s, bool ascii, const char *want, const char *name)
{
	char *got = text_sanitize_dup(s, ascii);

	is_str(got, want, "sanitize: %s", name);
	free(got);
}

/* Strip ANSI from s and compare with want. */
static void check_strip(const char *s, const char *want, const char *name)
{
	char *buf = strdup(s);
	size_t n = text_strip_ansi(buf, strlen(buf));

	buf[n] = '\0';
	is_str(buf, want, "strip: %s", name);
	free(buf);
}

/* JSON-quote s and compare with want. */
static void check_json(const char *s, const char *want, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	json_quote(&sb, s);
	is_str(sb.buf, want, "json: %s", name);
	strbuf_release(&sb);
}

int main(void)
{
	struct strbuf sb = STRBUF_INIT;
	struct jw jw;

	check_sanitize("CP2102 USB to UART", false, "CP2102 USB to UART", "plain text unchanged");
	check_sanitize("evil\033[2J\033]0;title\a", false, "evil?[2J?]0;title?",
		       "escape sequences become inert");
	check_sanitize("$(reboot); 'x' \"y\"", false, "$(reboot); 'x' \"y\"",
		       "shell metacharacters are just text");
	check_sanitize("a\r\nb\tc\x7f", false, "a??b?c?", "CR, LF, TAB, DEL replaced");
	check_sanitize("caf\xc3\xa9", false, "caf\xc3\xa9", "valid UTF-8 kept");
	check_sanitize("caf\xc3\xa9", true, "caf?", "non-ASCII replaced in ASCII mode");
	check_sanitize("bad\xff\xc3", false, "bad??", "invalid UTF-8 replaced");
	check_sanitize("\xc2\x9b" "31m", false, "?31m", "C1 CSI replaced");
	check_sanitize("abc\xe2\x80\xae" "def", false, "abc?def", "bidi override replaced");
	check_sanitize("\xc0\xaf", false, "??", "overlong encoding rejected");

	check_strip("\033[1;31mA fatal error\033[0m", "A fatal error", "SGR colour");
	check_strip("\033[1A\033[2KWriting", "Writing", "cursor up and erase line");
	check_strip("\033]0;title\007text", "text", "OSC title ended by BEL");
	check_strip("\033]8;;http://x\033\\link", "link", "OSC ended by ST");
	check_strip("\033(Bplain", "plain", "charset designation");
	check_strip("a\tb\bc", "a bc", "TAB to space, other controls dropped");
	check_strip("tail\033[", "tail", "unterminated sequence at end dropped");

	check_json("plain", "\"plain\"", "plain");
	check_json("q\"b\\", "\"q\\\"b\\\\\"", "quote and backslash");
	check_json("\n\t\x01\x1b", "\"\\n\\t\\u0001\\u001b\"", "control characters");
	check_json("\xff", "\"\\ufffd\"", "invalid UTF-8");
	check_json("\xc3\xa9", "\"\xc3\xa9\"", "UTF-8 passes");

	jw_init(&jw, &sb);
	jw_array_begin(&jw, NULL);
	jw_object_begin(&jw, NULL);
	jw_int(&jw, "slot", 3);
	jw_str(&jw, "by_id", NULL);
	jw_bool(&jw, "ok", true);
	jw_object_end(&jw);
	jw_object_begin(&jw, NULL);
	jw_double(&jw, "yield", 0.5);
	jw_object_end(&jw);
	jw_array_end(&jw);
	is_str(sb.buf, "[{\"slot\":3,\"by_id\":null,\"ok\":true},{\"yield\":0.5}]", "json writer");
	strbuf_release(&sb);

	is_int(text_width("abc"), 3, "width ASCII");
	is_int(text_width("\xe2\x96\x88\xe2\x96\x88"), 2, "width block chars");
	return done_testing();
}
