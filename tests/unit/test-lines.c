/* test-lines.c - line splitting on LF/CR and ANSI stripping, against the real
 * esptool transcripts (pipe, pty and pipe-xterm captures). */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "files.h"
#include "lines.h"
#include "str.h"
#include "strvec.h"

struct collect {
	struct strvec lines;
	int partials;
	bool dirty; /* a line held ESC, CR or LF */
};

static void on_line(const char *line, size_t len, bool partial, void *data)
{
	struct collect *c = data;

	if (strlen(line) != len || memchr(line, '\033', len) || memchr(line, '\r', len) ||
	    memchr(line, '\n', len))
		c->dirty = true;
	if (partial)
		c->partials++;
	else
		strvec_push(&c->lines, line);
}

/* Split a fixture file, fed in chunks of chunk bytes (0 = all at once). */
static void split_file(const char *name, size_t chunk, struct collect *c)
{
	struct strbuf sb = STRBUF_INIT;
	struct lines ls;
	char path[256];

	snprintf(path, sizeof path, "fixtures/esptool/%s", name);
	memset(c, 0, sizeof *c);
	strvec_init(&c->lines);
	if (read_file(tap_srcfile(path), &sb))
		diag("cannot read %s", path);
	lines_init(&ls, 4096);
	if (!chunk)
		chunk = sb.len ? sb.len : 1;
	for (size_t off = 0; off < sb.len; off += chunk)
		lines_feed(&ls, sb.buf + off, off + chunk > sb.len ? sb.len - off : chunk, on_line, c);
	lines_flush(&ls, on_line, c);
	lines_release(&ls);
	strbuf_release(&sb);
}

/* The "Writing at" lines of a capture. */
static void writing_lines(const struct collect *c, struct strvec *out)
{
	for (size_t i = 0; i < c->lines.n; i++)
		if (str_starts_with(c->lines.v[i], "Writing at 0x"))
			strvec_push(out, c->lines.v[i]);
}

static bool same(const struct strvec *a, const struct strvec *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->v[i], b->v[i]))
			return false;
	return true;
}

/* pipe vs pty capture of one command must give the same progress lines. */
static void pipe_vs_pty(const char *ver, size_t want_progress)
{
	struct collect pipe, pty;
	struct strvec wp = STRVEC_INIT, wt = STRVEC_INIT;
	char a[64], b[64];

	snprintf(a, sizeof a, "%s-write_flash.stdout", ver);
	snprintf(b, sizeof b, "%s-write_flash.pty.stdout", ver);
	split_file(a, 0, &pipe);
	split_file(b, 0, &pty);
	writing_lines(&pipe, &wp);
	writing_lines(&pty, &wt);
	is_int(wp.n, want_progress, "%s pipe capture: %zu progress lines", ver, want_progress);
	ok(same(&wp, &wt), "%s pty capture (CR-separated) gives the same progress lines as the pipe", ver);
	ok(!pipe.dirty && !pty.dirty, "%s: no line keeps ESC, CR or LF", ver);
	ok(pty.lines.n >= pipe.lines.n, "%s: pty capture has no fewer lines", ver);
	strvec_release(&wp);
	strvec_release(&wt);
	strvec_release(&pipe.lines);
	strvec_release(&pty.lines);
}

/* Feeding byte by byte gives the same complete lines as one big feed. */
static void chunking(const char *name)
{
	struct collect whole, bytes, odd;

	split_file(name, 0, &whole);
	split_file(name, 1, &bytes);
	split_file(name, 7, &odd);
	ok(same(&whole.lines, &bytes.lines) && same(&whole.lines, &odd.lines),
	   "%s: same lines whether fed whole, byte by byte or in 7-byte chunks", name);
	ok(bytes.partials > 0, "%s: partial lines reported while bytes trickle in", name);
	strvec_release(&whole.lines);
	strvec_release(&bytes.lines);
	strvec_release(&odd.lines);
}

static void xterm_stderr(void)
{
	struct collect plain, xterm;

	split_file("v5-fail_at_40.stderr", 0, &plain);
	split_file("v5-fail_at_40.pipe-xterm.stderr", 0, &xterm);
	ok(same(&plain.lines, &xterm.lines),
	   "v5 pipe-xterm: red ESC[1;31m error text stripped to the plain error");
	ok(xterm.lines.n == 1 && str_starts_with(xterm.lines.v[0], "A fatal error occurred: No more data"),
	   "v5 fatal error is one clean line");
	strvec_release(&plain.lines);
	strvec_release(&xterm.lines);
}

static void small_cases(void)
{
	struct collect c = { STRVEC_INIT, 0, false };
	struct lines ls;
	char big[10000];

	lines_init(&ls, 4096);
	lines_feed(&ls, "a\rb\r\nc\n\n\nd\r", 12, on_line, &c);
	lines_feed(&ls, "\ne", 2, on_line, &c);
	lines_flush(&ls, on_line, &c);
	is_int(c.lines.n, 5, "CR, CRLF split across feeds, LF; empty lines dropped");
	is_str(c.lines.n == 5 ? c.lines.v[3] : NULL, "d", "CR LF split across two reads is one break");
	is_str(c.lines.n == 5 ? c.lines.v[4] : NULL, "e", "unterminated last line flushed at EOF");
	memset(big, 'x', sizeof big);
	lines_feed(&ls, big, sizeof big, on_line, &c);
	lines_flush(&ls, on_line, &c);
	is_int(c.lines.n, 5 + 3, "a 10000-byte line is cut at 4096 bytes");
	lines_release(&ls);
	strvec_release(&c.lines);
}

static void tails(void)
{
	struct tail t;
	struct strbuf sb = STRBUF_INIT;
	char line[16];

	tail_init(&t, 3);
	for (int i = 1; i <= 5; i++) {
		snprintf(line, sizeof line, "l%d", i);
		tail_push(&t, line, strlen(line));
	}
	tail_join(&t, &sb);
	is_str(sb.buf, "l3\nl4\nl5", "tail keeps the last 3 lines in order");
	tail_release(&t);
	strbuf_release(&sb);
}

int main(void)
{
	pipe_vs_pty("v4", 38);
	pipe_vs_pty("v5", 40);
	chunking("v4-write_flash.pty.stdout");
	chunking("v5-write_flash.pty.stdout");
	chunking("v5-write_flash.pipe-xterm.stdout");
	xterm_stderr();
	small_cases();
	tails();
	return done_testing();
}
