/* flasher-katapult.c - reading Katapult's flashtool.py.
 *
 * stdout (see tests/fixtures/klipper/transcripts/flashtool-*.txt):
 *   Connecting to Serial Device DEV, baud 250000
 *   [Detected USB device running Klipper / Requesting USB bootloader for DEV...
 *    Waiting for USB Reconnect.....done / ...timed out
 *    Detected new USB Device: ... / Katapult detected on ... | Device is not Katapult, exiting...]
 *   Detected Klipper binary version V, MCU: M      (only for a file named klipper.bin)
 *   Attempting to connect to bootloader / Katapult Connected / Software Version: ...
 *   MCU type: stm32h723xx
 *   Flashing 'FILE'...  [  then 50 '#' written one at a time, no newline  ]
 *   Write complete: N pages / Verifying (block count = N)...  [ 50 '#' ]
 *   Verification Complete: SHA = ... / Programming Complete
 * stderr on failure: "ERROR:root:Flash Tool Error", a Python traceback, and
 * "FlashError: <message>" (possibly continued on the next lines). Chains:
 * after "During handling of the above exception" comes a consequence (the
 * COMPLETE sent in a finally), so the first FlashError stays the cause; after
 * "The above exception was the direct cause" comes the FlashError that wraps
 * it ("Flash write failed, flash address 0x..." raised from a failed
 * SEND_BLOCK), which says more. A lost port is logged before all that:
 * "ERROR:root:Error on serial read" (or write) and a traceback ending in
 * pyserial's "serial.serialutil.SerialException: <why>".
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "array.h"
#include "klipper.h"
#include "str.h"
#include "strbuf.h"
#include "strvec.h"

/* Katapult's parser state, private: kept in the progress's parser storage. */
struct kp_state {
	int bar;          /* the pass of the '#' bar: 0 none, 1 flash, 2 verify */
	int hashes;       /* '#' in the current bar */
	bool flash_error; /* the first FlashError has been taken */
	bool cont;        /* lines after it continue its message */
	bool traceback;   /* a Python traceback was seen */
	bool exception;   /* the message came from a non-FlashError exception */
	bool wrapped;     /* the next FlashError wraps the one taken ("direct cause") */
	bool fe_class;    /* the class came from a FlashError (a wrapper may refine it) */
	bool serial_log;  /* in the traceback of "ERROR:root:Error on serial read/write" */
	bool port_lost;   /* pyserial lost the port: p->message holds its reason */
};

_Static_assert(sizeof(struct kp_state) <= FLASH_PARSER_STATE_SIZE,
	       "Katapult's parser state fits struct flash_progress");

/* p's Katapult parser state. */
static struct kp_state *kp_state(struct flash_progress *p)
{
	return (struct kp_state *)(void *)p->parser.bytes;
}

/* The class of a FlashError message. */
static enum outcome classify_flash_error(const char *m)
{
	static const struct {
		const char *needle;
		enum outcome o;
	} rules[] = {
		{ "No Serial Device found", OUTCOME_NO_PORT },
		{ "No permission", OUTCOME_PERMISSION },
		{ "Permission denied", OUTCOME_PERMISSION },
		{ "Device or resource busy", OUTCOME_PORT_BUSY },
		{ "Could not exclusively lock", OUTCOME_PORT_BUSY },
		{ "Resource temporarily unavailable", OUTCOME_PORT_BUSY },
		{ " in use", OUTCOME_PORT_BUSY },
		{ "Unable to open serial port", OUTCOME_NO_PORT },
		{ "does not match MCU", OUTCOME_MCU_MISMATCH },
		{ "Error sending command [CONNECT]", OUTCOME_NO_SYNC },
		{ "Error sending command [", OUTCOME_STOPPED_RESPONDING },
		{ "Flash write failed", OUTCOME_STOPPED_RESPONDING },
		{ "Block Request Error", OUTCOME_VERIFY_FAILED },
		{ "Checksum mismatch", OUTCOME_VERIFY_FAILED },
		{ "pyserial python package was not found", OUTCOME_TOOL_MISSING },
	};

	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		if (strstr(m, rules[i].needle))
			return rules[i].o;
	return OUTCOME_OTHER;
}

/* A "[####" bar line (partial or complete): percent of the current pass. */
static void kp_bar(struct flash_progress *p, const char *line)
{
	struct kp_state *k = kp_state(p);
	int hashes = 0, bar = k->bar;
	double pct;

	for (const char *c = line + 1; *c == '#'; c++)
		hashes++;
	k->hashes = hashes;
	pct = hashes * 2.0;
	if (pct > 100)
		pct = 100;
	p->image_pct = pct;
	p->overall_pct = bar >= 2 ? 50 + pct / 2 : pct / 2;
	if (bar >= 2 && pct >= 100)
		p->overall_pct = 100;
}

/* Collapse runs of spaces in the message and drop trailing ones. */
static void squeeze(char *m)
{
	char *w = m;

	for (const char *r = m; *r; r++)
		if (*r != ' ' || (w > m && w[-1] != ' '))
			*w++ = *r;
	while (w > m && w[-1] == ' ')
		w--;
	*w = '\0';
}

/* Append a continuation line to the FlashError message. */
static void kp_continue(struct flash_progress *p, const char *line)
{
	size_t n = strlen(p->message);

	while (*line == ' ')
		line++;
	if (!*line || n + 2 >= sizeof p->message)
		return;
	snprintf(p->message + n, sizeof p->message - n, "%s%s", n ? " " : "", line);
	squeeze(p->message);
}

/* A line that names an exception ("FooError: msg", "KeyboardInterrupt"). */
static const char *exception_message(const char *line)
{
	const char *c = line, *colon;

	while ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
	       *c == '_' || *c == '.')
		c++;
	colon = c;
	if (colon == line)
		return NULL;
	if (!*colon && (str_ends_with(line, "Interrupt") || str_ends_with(line, "Error")))
		return line;
	if (colon[0] != ':' || colon[1] != ' ')
		return NULL;
	if (!strstr(line, "Error") && !strstr(line, "Exception"))
		return NULL;
	return line;
}

#define LOST_SEP " (the port went away: "

/* A "FlashError: <message>" line: the cause, or the exception wrapping it. */
static void kp_flash_error(struct flash_progress *p, const char *msg)
{
	struct kp_state *k = kp_state(p);
	bool wrapper = k->wrapped;

	if (k->flash_error && !wrapper) {
		k->cont = false; /* a follow-up failure: keep the cause */
		return;
	}
	k->flash_error = k->cont = true;
	k->wrapped = false;
	if (p->error == OUTCOME_OK || (wrapper && k->fe_class)) {
		p->error = classify_flash_error(msg);
		k->fe_class = true;
	}
	if (k->port_lost) {
		/* keep pyserial's reason (the message so far) after flashtool's words */
		struct strbuf sb = STRBUF_INIT;
		const char *why = strstr(p->message, LOST_SEP);

		if (why)
			strbuf_addf(&sb, "%s%s", msg, why);
		else
			strbuf_addf(&sb, "%s" LOST_SEP "%s)", msg, p->message);
		snprintf(p->message, sizeof p->message, "%s", sb.buf);
		strbuf_release(&sb);
		k->cont = false;
	} else {
		snprintf(p->message, sizeof p->message, "%s", msg);
	}
	squeeze(p->message);
}

/* The exception line of a logged pyserial failure: the port is gone. */
static void kp_serial_lost(struct flash_progress *p, const char *exc)
{
	const char *why = strstr(exc, "SerialException: ");

	kp_state(p)->serial_log = false;
	if (!why || p->error != OUTCOME_OK)
		return;
	flash_progress_fail(p, OUTCOME_UNPLUGGED, "%s", why + 17);
	kp_state(p)->port_lost = true;
}

/* stderr: the traceback and the FlashError message. */
static void kp_stderr(struct flash_progress *p, const char *line)
{
	struct kp_state *k = kp_state(p);
	const char *exc;

	if (str_starts_with(line, "ERROR:root:") || str_starts_with(line, "Traceback ")) {
		k->traceback = true;
		k->cont = false;
		if (str_starts_with(line, "ERROR:root:Error on serial "))
			k->serial_log = true;
		return;
	}
	if (str_starts_with(line, "During handling of the above exception")) {
		k->cont = false;
		return;
	}
	if (str_starts_with(line, "The above exception was the direct cause")) {
		k->cont = false;
		k->wrapped = true;
		return;
	}
	if (str_starts_with(line, "FlashError: ")) {
		kp_flash_error(p, line + 12);
		return;
	}
	if (k->cont) {
		if (!str_starts_with(line, "  File ") && !str_starts_with(line, "    "))
			kp_continue(p, line);
		return;
	}
	if (strstr(line, "can't open file") && strstr(line, "flashtool.py")) {
		flash_progress_fail(p, OUTCOME_TOOL_MISSING, "Katapult's flashtool.py is missing (%s)", line);
		return;
	}
	exc = k->traceback && !k->flash_error ? exception_message(line) : NULL;
	if (exc && k->serial_log) {
		kp_serial_lost(p, exc);
	} else if (exc && p->error == OUTCOME_OK) {
		flash_progress_fail(p, OUTCOME_OTHER, "%s", exc);
		k->exception = true;
	}
}

/* stdout: phases, bars, facts and the few failures told there. */
static void kp_stdout(struct flash_progress *p, const char *line, bool partial)
{
	struct kp_state *k = kp_state(p);

	if (line[0] == '[') {
		kp_bar(p, line);
		return;
	}
	if (partial)
		return; /* "Waiting for USB Reconnect...." grows dot by dot: wait for its end */
	if (str_starts_with(line, "Connecting to Serial Device") ||
	    str_starts_with(line, "Attempting to connect") ||
	    str_starts_with(line, "Requesting USB bootloader")) {
		p->phase = PHASE_CONNECT;
	} else if (str_starts_with(line, "Flashing '")) {
		p->phase = PHASE_FLASH;
		k->bar = k->bar < 1 ? 1 : k->bar;
		p->image = p->image ? p->image : 1;
		p->image_pct = 0;
	} else if (str_starts_with(line, "Write complete")) {
		p->image_pct = 100;
		p->overall_pct = 50;
		p->bytes_written = p->bytes_total;
	} else if (str_starts_with(line, "Verifying")) {
		p->phase = PHASE_VERIFY;
		k->bar = 2;
		p->image_pct = 0;
	} else if (str_starts_with(line, "Verification Complete")) {
		p->verified++;
		p->overall_pct = 100;
	} else if (!strcmp(line, "Programming Complete")) {
		p->complete = true;
		p->overall_pct = 100;
	} else if (str_starts_with(line, "MCU type: ")) {
		snprintf(p->facts.mcu, sizeof p->facts.mcu, "%s", line + 10);
	} else if (str_starts_with(line, "Software Version: ")) {
		snprintf(p->facts.tool_version, sizeof p->facts.tool_version, "%s", line + 18);
	} else if (strstr(line, "in use by another program")) {
		flash_progress_fail(p, OUTCOME_PORT_BUSY, "%s", line);
	} else if (str_starts_with(line, "Device is not Katapult")) {
		flash_progress_fail(p, OUTCOME_NOT_IN_BOOTLOADER,
			"the board did not enter the Katapult bootloader (%s)", line);
	} else if (str_starts_with(line, "Waiting for USB Reconnect") &&
		   str_ends_with(line, "timed out")) {
		flash_progress_fail(p, OUTCOME_NOT_IN_BOOTLOADER,
			"the board did not come back in the Katapult bootloader (timed out waiting for the USB reconnect)");
	}
}

/* The job.h line callback, for both streams. */
static void katapult_parse(struct flash_progress *p, enum job_stream stream, const char *line,
			   size_t len, bool partial)
{
	(void)len;
	if (stream == JOB_STDERR) {
		if (!partial)
			kp_stderr(p, line);
		return;
	}
	kp_stdout(p, line, partial);
}

/* The outcome once flashtool.py has ended. */
static enum outcome katapult_finish(struct flash_progress *p, const struct job_status *st)
{
	if (p->error != OUTCOME_OK)
		return p->error;
	if (st->code == 0 && !st->signo && p->complete)
		return OUTCOME_OK;
	if (st->code == 0 && !st->signo)
		flash_progress_fail(p, OUTCOME_OTHER, "flashtool.py ended (exit 0) without 'Programming Complete'");
	else if (st->signo)
		flash_progress_fail(p, OUTCOME_OTHER, "flashtool.py was killed by signal %d", st->signo);
	else
		flash_progress_fail(p, OUTCOME_OTHER, "flashtool.py failed (exit %d)", st->code);
	return p->error;
}

/* spec(): python3 <katapult_dir>/scripts/flashtool.py -d PORT -f ARTIFACT. */
static void katapult_spec(const struct flash_request *r, struct job_spec *spec)
{
	strvec_split(&spec->argv, r->python ? r->python : "python3", " \t");
	strvec_pushf(&spec->argv, "%s/scripts/flashtool.py", r->tool_dir);
	strvec_push(&spec->argv, "-d");
	strvec_push(&spec->argv, r->port);
	strvec_push(&spec->argv, "-f");
	strvec_push(&spec->argv, r->artifact);
	/* progress is written without newlines: never let Python buffer it */
	strvec_push(&spec->env, "PYTHONUNBUFFERED=1");
	spec->timeout_ms = r->timeout_ms;
}

const struct flasher flasher_katapult = {
	.name = "katapult",
	.method = "katapult",
	.spec = katapult_spec,
	.parse = katapult_parse,
	.finish = katapult_finish,
};

void flasher_katapult_parse_line(struct flash_progress *p, enum job_stream stream,
				 const char *line, size_t len, bool partial)
{
	katapult_parse(p, stream, line, len, partial);
}
