/* flasher-esptool.c - reading esptool v4 and v5 output: phase, percent per
 * image and overall, chip facts, success markers and error classes.
 *
 * Formats (see tests/fixtures/esptool/): v4 prints everything to stdout,
 * progress as "Writing at 0x00016d9b... (5 %)", one line per 16 KiB block;
 * v5 prints fatal errors to stderr, progress as "Writing at 0x00016d9b [>  ]
 * 2.7% 16384/597626 bytes... ", and announces each image with "Writing
 * '<file>' at 0x...". Lines arrive split on CR and LF with ANSI stripped;
 * partial lines are only used for progress, which is idempotent.
 *
 * Also the argv (spec): the flash_request in the version's spelling, with
 * the one flash option precedence (flash_opt).
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "esptool.h"
#include "firmware.h"
#include "flasher.h"
#include "xalloc.h"

/* esptool's parser state, private: kept in the progress's parser storage. */
struct esp_state {
	int wrote;                /* "Wrote N bytes ..." lines seen */
	bool in_image;            /* between an image's first line and its "Wrote" */
	bool unverifiable;        /* the tool said it cannot verify (encrypted writes) */
	bool base_mac;            /* facts.mac came from "BASE MAC:" (wins over "MAC:") */
	bool error_detail;        /* the error line may be refined by the next line */
	bool lost_port;           /* the tool lost the serial port mid-write ("Lost connection") */
	enum job_stream error_stream;
	enum phase phase_before_reset;
	char last_line[256];      /* the tool's last line that was not progress, facts or a
				   * marker: its last words when no error line was recognised */
};

_Static_assert(sizeof(struct esp_state) <= FLASH_PARSER_STATE_SIZE,
	       "esptool's parser state fits struct flash_progress");

/* p's esptool parser state. */
static struct esp_state *es_state(struct flash_progress *p)
{
	return (struct esp_state *)(void *)p->parser.bytes;
}

/* The text after prefix if s starts with it, else NULL. */
static const char *after(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return strncmp(s, prefix, n) ? NULL : s + n;
}

/* Skip spaces. */
static const char *skip_ws(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/* Copy s (trailing spaces trimmed) into a fixed buffer. */
static void set_fact(char *dst, size_t size, const char *s)
{
	size_t n = strlen(s);

	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Change phase. After an error only the reset note is ignored: the error
 * (stderr for v5) may overtake the rest of stdout, which still tells where
 * the run was; the reset that follows a failure is not a phase of it. */
static void set_phase(struct flash_progress *p, enum phase ph)
{
	if (p->phase == ph || (p->error != OUTCOME_OK && ph == PHASE_RESET))
		return;
	if (ph == PHASE_RESET)
		es_state(p)->phase_before_reset = p->phase;
	p->phase = ph;
}

/* Recompute overall_pct from image and image_pct (never decreasing). */
static void update_overall(struct flash_progress *p)
{
	int idx = p->image, n = p->images > idx ? p->images : idx;
	double done = 0;

	if (idx <= 0)
		return;
	if (p->sizes && p->bytes_total && idx <= p->images) {
		uint64_t before = 0;

		for (int i = 0; i < idx - 1; i++)
			before += p->sizes[i];
		done = ((double)before + (double)p->sizes[idx - 1] * p->image_pct / 100.0) * 100.0 /
		       (double)p->bytes_total;
	} else {
		done = ((idx - 1) + p->image_pct / 100.0) * 100.0 / n;
	}
	if (done > 100.0)
		done = 100.0;
	if (done > p->overall_pct)
		p->overall_pct = done;
}

/* The first line of a new image ("Writing '...'", "Compressed", "Writing at"). */
static void image_start(struct flash_progress *p)
{
	if (es_state(p)->in_image)
		return;
	es_state(p)->in_image = true;
	p->image++;
	p->image_pct = 0;
}

/* Set the current image's percent. */
static void set_image_pct(struct flash_progress *p, double pct)
{
	if (pct < 0)
		pct = 0;
	if (pct > 100)
		pct = 100;
	p->image_pct = pct;
	update_overall(p);
}

/* Every image of the request written and verified? */
static void check_complete(struct flash_progress *p)
{
	if (p->images > 0 && es_state(p)->wrote >= p->images && (p->verified >= p->images || es_state(p)->unverifiable))
		p->complete = true;
}

/* An image already in flash: as good as written and verified. */
static void skipped(struct flash_progress *p)
{
	image_start(p);
	es_state(p)->wrote++;
	es_state(p)->in_image = false;
	p->skipped++;
	p->verified++;
	set_image_pct(p, 100.0);
	check_complete(p);
}

/* v4: "Writing at 0x00016d9b... (5 %)" (maybe followed by other text on a pty). */
static bool progress_v4(const char *rest, double *pct)
{
	const char *q = strstr(rest, "... (");
	char *end;
	long v;

	if (!q)
		return false;
	v = strtol(q + 5, &end, 10);
	if (end == q + 5 || strncmp(end, " %)", 3))
		return false;
	*pct = (double)v;
	return true;
}

/* v5: "Writing at 0x00016d9b [>   ]   2.7% 16384/597626 bytes... " */
static bool progress_v5(const char *rest, double *pct)
{
	const char *q = strchr(rest, ']');
	unsigned long long sent, total;
	double v;
	char *end;

	if (!q)
		return false;
	v = strtod(q + 1, &end);
	if (end == q + 1 || *end != '%')
		return false;
	q = skip_ws(end + 1);
	sent = strtoull(q, &end, 10);
	if (end == q || *end != '/')
		return false;
	q = end + 1;
	total = strtoull(q, &end, 10);
	if (end == q || strncmp(end, " bytes", 6))
		return false;
	*pct = total ? (double)sent * 100.0 / (double)total : v;
	return true;
}

/* A progress line of either version; true if it was one. */
static bool parse_progress(struct flash_progress *p, const char *line)
{
	const char *rest = after(line, "Writing at 0x");
	double pct;

	if (!rest || !(progress_v4(rest, &pct) || progress_v5(rest, &pct)))
		return false;
	image_start(p);
	set_phase(p, PHASE_FLASH);
	set_image_pct(p, pct);
	return true;
}

/* "Wrote 26628 bytes (15480 compressed) at 0x00001000 in 0.3 seconds (effective 613.2 kbit/s)..." */
static bool parse_wrote(struct flash_progress *p, const char *line)
{
	const char *rest = after(line, "Wrote "), *k;
	unsigned long long n;
	char *end;

	if (!rest || !isdigit((unsigned char)*rest))
		return false;
	n = strtoull(rest, &end, 10);
	if (strncmp(end, " bytes", 6) || !strstr(end, " at 0x"))
		return false;
	k = strstr(end, "(effective ");
	k = k ? k + 11 : strrchr(end, '(');
	if (k && strstr(k, "kbit/s")) {
		double kbps = strtod(*k == '(' ? k + 1 : k, NULL);

		if (kbps > 0)
			p->kbps = kbps;
	}
	image_start(p); /* a "Wrote" with nothing before it still is an image */
	p->bytes_written += n;
	es_state(p)->wrote++;
	es_state(p)->in_image = false;
	set_image_pct(p, 100.0);
	set_phase(p, PHASE_VERIFY);
	check_complete(p);
	return true;
}

/* "ESP32-D0WD-V3 (revision v3.0)" or "ESP32-S3 in Secure Download Mode". */
static void parse_chip(struct flash_progress *p, const char *s)
{
	const char *rev = strstr(s, " (revision "), *sdm = strstr(s, " in Secure Download Mode");
	size_t n = rev ? (size_t)(rev - s) : sdm ? (size_t)(sdm - s) : strcspn(s, " ");
	char chip[sizeof p->facts.chip];

	if (n >= sizeof chip)
		n = sizeof chip - 1;
	memcpy(chip, s, n);
	chip[n] = '\0';
	if (chip[0])
		set_fact(p->facts.chip, sizeof p->facts.chip, chip);
	if (rev) {
		rev += strlen(" (revision ");
		n = strcspn(rev, ")");
		if (n >= sizeof p->facts.revision)
			n = sizeof p->facts.revision - 1;
		memcpy(p->facts.revision, rev, n);
		p->facts.revision[n] = '\0';
	}
}

/* A MAC address: hex byte pairs separated by colons. */
static bool mac_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 17 || n > 23)
		return false;
	for (size_t i = 0; i < n; i++)
		if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* "MAC: ..." and "BASE MAC: ..." (the 6-byte MAC wins over an EUI-64). */
static bool parse_mac(struct flash_progress *p, const char *line)
{
	const char *m = after(line, "BASE MAC:");
	bool base = m != NULL;
	char mac[32];

	if (!m)
		m = after(line, "MAC:");
	if (!m)
		return false;
	set_fact(mac, sizeof mac, skip_ws(m));
	if (mac_ok(mac) && (base || !es_state(p)->base_mac)) {
		set_fact(p->facts.mac, sizeof p->facts.mac, mac);
		es_state(p)->base_mac = base;
	}
	return true;
}

/* Tool version, chip, features, crystal and MAC lines. */
static bool parse_facts(struct flash_progress *p, const char *line)
{
	const char *v;

	if ((v = after(line, "esptool.py v")) || (v = after(line, "esptool v"))) {
		if (isdigit((unsigned char)*v))
			set_fact(p->facts.tool_version, sizeof p->facts.tool_version, v);
		set_phase(p, PHASE_CONNECT);
	} else if ((v = after(line, "Detecting chip type..."))) {
		v = skip_ws(v);
		if (!p->facts.chip[0] && !strncasecmp(v, "ESP", 3))
			set_fact(p->facts.chip, sizeof p->facts.chip, v);
		set_phase(p, PHASE_CONNECT);
	} else if ((v = after(line, "Chip is ")) || (v = after(line, "Chip type:"))) {
		parse_chip(p, skip_ws(v));
	} else if ((v = after(line, "Features:"))) {
		set_fact(p->facts.features, sizeof p->facts.features, skip_ws(v));
	} else if ((v = after(line, "Crystal is ")) || (v = after(line, "Crystal frequency:"))) {
		set_fact(p->facts.crystal, sizeof p->facts.crystal, skip_ws(v));
	} else {
		return parse_mac(p, line);
	}
	return true;
}

/* Phase changes, success markers and a lost port; false if line is none. */
static bool parse_markers(struct flash_progress *p, const char *line)
{
	if (after(line, "Lost connection")) {
		es_state(p)->lost_port = true; /* a SerialException mid-write: the port failed */
	} else if (after(line, "Serial port ") || after(line, "Connecting")) {
		set_phase(p, PHASE_CONNECT);
	} else if (after(line, "Erasing flash") || after(line, "Flash will be erased")) {
		set_phase(p, PHASE_ERASE);
	} else if (after(line, "Writing '")) {
		image_start(p);
		set_phase(p, PHASE_FLASH);
	} else if (after(line, "Compressed ")) {
		image_start(p);
		set_phase(p, PHASE_ERASE); /* the region is erased before the first block */
	} else if (after(line, "Verifying written data") || after(line, "Verifying 0x")) {
		set_phase(p, PHASE_VERIFY);
	} else if (strstr(line, " already in flash, skipping write.")) {
		skipped(p); /* v5 write-flash --skip-flashed: its MD5 matched */
	} else if (after(line, "Hash of data verified")) {
		p->verified++;
		check_complete(p);
	} else if (after(line, "Cannot verify written data")) {
		es_state(p)->unverifiable = true;
		check_complete(p);
	} else if (after(line, "Leaving...") || after(line, "Hard resetting") ||
		   after(line, "Soft resetting") || after(line, "Staying in ")) {
		set_phase(p, PHASE_RESET);
		if (p->images == 0 && p->error == OUTCOME_OK)
			p->complete = true;
	} else {
		return false;
	}
	return true;
}

/* Remember an unrecognised line as the tool's last words, unless it is
 * advice or a traceback frame that never names the problem. */
static void note_line(struct flash_progress *p, const char *line)
{
	static const char *const noise[] = {
		"Note: ", "For troubleshooting", "Traceback (most recent", "Waiting for the chip",
		"Hint: ",
	};

	if (*line == ' ' || *line == '\t' || !*line)
		return;
	for (size_t i = 0; i < sizeof noise / sizeof noise[0]; i++)
		if (after(line, noise[i]))
			return;
	set_fact(es_state(p)->last_line, sizeof es_state(p)->last_line, line);
}

/* The class of an error text. *detail: it may be refined by the next line. */
static enum outcome classify(const char *s, bool *detail)
{
	static const struct {
		const char *text;
		enum outcome o;
	} rules[] = {
		{ "Failed to connect", OUTCOME_NO_SYNC },
		{ "Could not connect to an Espressif device", OUTCOME_NO_SYNC },
		{ "Wrong boot mode detected", OUTCOME_NO_SYNC },
		{ "No serial data received", OUTCOME_NO_SYNC },
		/* pySerial once the adapter is gone: v4 after "Lost connection",
		 * v5 on its next use of the closed port */
		{ "Could not configure port", OUTCOME_UNPLUGGED },
		{ "port that is not open", OUTCOME_UNPLUGGED },
		{ "chip stopped responding", OUTCOME_STOPPED_RESPONDING },
		{ "No more data to read", OUTCOME_STOPPED_RESPONDING },
		{ "Packet content transfer stopped", OUTCOME_STOPPED_RESPONDING },
		{ "Serial data stream stopped", OUTCOME_STOPPED_RESPONDING },
		{ "Timed out waiting for packet", OUTCOME_STOPPED_RESPONDING },
		{ "returned no data", OUTCOME_STOPPED_RESPONDING },
		{ "[Errno 5]", OUTCOME_STOPPED_RESPONDING },
		{ "does not match data in flash", OUTCOME_VERIFY_FAILED },
		{ "Hash of data does not match", OUTCOME_VERIFY_FAILED },
		{ "Verify failed", OUTCOME_VERIFY_FAILED },
		{ "verification failed", OUTCOME_VERIFY_FAILED },
		{ "written flash region is empty", OUTCOME_VERIFY_FAILED },
		{ "[Errno 13]", OUTCOME_PERMISSION },
		{ "Permission denied", OUTCOME_PERMISSION },
		{ "[Errno 16]", OUTCOME_PORT_BUSY },
		{ "[Errno 11]", OUTCOME_PORT_BUSY },
		{ "exclusively lock", OUTCOME_PORT_BUSY },
		{ "Device or resource busy", OUTCOME_PORT_BUSY },
		{ "[Errno 2]", OUTCOME_NO_PORT },
		{ "No such file or directory", OUTCOME_NO_PORT },
		{ "[Errno 19]", OUTCOME_NO_PORT },
		{ "[Errno 6]", OUTCOME_NO_PORT },
	};

	*detail = false;
	for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++)
		if (strstr(s, rules[i].text))
			return rules[i].o;
	/* "Could not open X, the port is busy or doesn't exist." + "([Errno N] ...)" */
	*detail = strstr(s, "Could not open") != NULL;
	return OUTCOME_OTHER;
}

/* Record the first error line. */
static void set_error(struct flash_progress *p, enum job_stream stream, const char *line)
{
	bool detail;
	enum outcome o = classify(line, &detail);

	if (p->error != OUTCOME_OK)
		return;
	if (p->phase == PHASE_RESET && !p->complete)
		p->phase = es_state(p)->phase_before_reset; /* a reset note can overtake the error */
	/* a serial exception after the port failed mid-write: the adapter went away */
	if (o == OUTCOME_OTHER && es_state(p)->lost_port && after(line, "A serial exception error occurred:"))
		o = OUTCOME_UNPLUGGED;
	p->error = o;
	es_state(p)->error_detail = detail;
	es_state(p)->error_stream = stream;
	set_fact(p->message, sizeof p->message, line);
}

/* The line after a vague error ("Could not open ...") names the errno. */
static bool refine_error(struct flash_progress *p, enum job_stream stream, const char *line)
{
	bool detail;
	enum outcome o;
	size_t n = strlen(p->message);

	if (!es_state(p)->error_detail || stream != es_state(p)->error_stream)
		return false;
	es_state(p)->error_detail = false;
	o = classify(line, &detail);
	if (o == OUTCOME_OTHER)
		return false;
	p->error = o;
	snprintf(p->message + n, sizeof p->message - n, " %s", line);
	return true;
}

/* Is this line an error report? */
static bool is_error_line(const char *line)
{
	static const char *const prefixes[] = {
		"A fatal error occurred:", /* both versions */
		"A serial exception error occurred:", /* both: pySerial failed */
		"esptool: error:",         /* v4 argparse */
		"Error: ",                 /* v5 click */
		"serial.serialutil.SerialException:",
		"OSError:",
	};

	for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++)
		if (after(line, prefixes[i]))
			return true;
	/* "esptool write_flash: error: ..." (argparse of a subcommand) */
	return after(line, "esptool ") && strstr(line, ": error: ");
}

/* The parser shared by both versions. */
static void esptool_parse(struct flash_progress *p, enum job_stream stream, const char *line,
			  size_t len, bool partial)
{
	(void)len;
	if (partial) {
		if (!parse_progress(p, line) && after(line, "Connecting"))
			set_phase(p, PHASE_CONNECT);
		return;
	}
	if (refine_error(p, stream, line))
		return;
	if (is_error_line(line)) {
		set_error(p, stream, line);
		return;
	}
	if (parse_progress(p, line) || parse_wrote(p, line) || parse_facts(p, line) ||
	    parse_markers(p, line))
		return;
	note_line(p, line);
}

/* ok only with exit 0 and every image of the request written and verified. */
static enum outcome esptool_finish(struct flash_progress *p, const struct job_status *st)
{
	bool consistent = p->images <= 0 || (es_state(p)->wrote >= p->images &&
					     (p->verified >= p->images || es_state(p)->unverifiable));

	if (st->exited && st->code == 0 && !st->signo && consistent) {
		p->complete = true;
		p->phase = PHASE_DONE;
		return OUTCOME_OK;
	}
	if (p->error != OUTCOME_OK)
		return p->error;
	if (st->signo)
		snprintf(p->message, sizeof p->message, "esptool was killed by signal %d%s%.190s",
			 st->signo, es_state(p)->last_line[0] ? "; its last line: " : "", es_state(p)->last_line);
	else if (st->code == 0)
		snprintf(p->message, sizeof p->message,
			 "esptool exited 0 but confirmed %d of %d images written (%d verified)",
			 es_state(p)->wrote, p->images, p->verified);
	else if (es_state(p)->last_line[0])
		snprintf(p->message, sizeof p->message, "esptool exited with status %d: %.200s",
			 st->code, es_state(p)->last_line);
	else
		snprintf(p->message, sizeof p->message,
			 "esptool exited with status %d without an error message", st->code);
	p->error = OUTCOME_OTHER; /* the message is the cause */
	return OUTCOME_OTHER;
}

/* ------------------------------------------------------------ argv */

/* A reset mode in the version's spelling: v4 underscores, v5 dashes. */
static void push_mode(struct strvec *argv, const char *value, bool v5)
{
	char *s = xstrdup(value);

	for (char *c = s; *c; c++)
		if (*c == '_' || *c == '-')
			*c = v5 ? '-' : '_';
	strvec_push(argv, s);
	free(s);
}

/* The one place flash mode/freq/size precedence is decided (documented in
 * flasher.h, README and flashbay.conf(5)): the firmware's flash_args file
 * if it gives a value, else the [esp32] setting; "keep" (or nothing) leaves
 * the image header as built, so the option is not passed. */
static const char *flash_opt(const char *flash_args, const char *config)
{
	const char *v = flash_args && *flash_args ? flash_args : config;

	return v && *v && strcmp(v, "keep") ? v : NULL;
}

/* write_flash / write-flash and its options. */
static void push_write_flash(struct strvec *argv, const struct flash_request *r, bool v5)
{
	const struct firmware *fw = r->fw;
	const char *mode = flash_opt(fw ? fw->flash_mode : NULL, r->flash_mode);
	const char *freq = flash_opt(fw ? fw->flash_freq : NULL, r->flash_freq);
	const char *size = flash_opt(fw ? fw->flash_size : NULL, r->flash_size);

	if (r->verify_only)
		strvec_push(argv, v5 ? "verify-flash" : "verify_flash");
	else
		strvec_push(argv, v5 ? "write-flash" : "write_flash");
	if (r->skip_identical && v5 && !r->verify_only && !r->erase_all)
		strvec_push(argv, "--skip-flashed");
	if (mode) {
		strvec_push(argv, v5 ? "--flash-mode" : "--flash_mode");
		strvec_push(argv, mode);
	}
	if (freq) {
		strvec_push(argv, v5 ? "--flash-freq" : "--flash_freq");
		strvec_push(argv, freq);
	}
	if (size) {
		strvec_push(argv, v5 ? "--flash-size" : "--flash_size");
		strvec_push(argv, size);
	}
	if (r->erase_all && !r->verify_only)
		strvec_push(argv, "--erase-all");
	for (size_t i = 0; fw && i < fw->n; i++) {
		strvec_pushf(argv, "0x%x", fw->images[i].offset);
		strvec_push(argv, fw->images[i].path);
	}
}

/* The tool and its connection options (port, baud, chip, resets). */
static void push_connect(struct strvec *argv, const struct flash_request *r, bool v5)
{
	strvec_copy(argv, r->tool);
	strvec_push(argv, "--port");
	strvec_push(argv, r->port);
	strvec_push(argv, "--baud");
	strvec_pushf(argv, "%u", r->baud ? r->baud : 115200);
	if (r->chip && *r->chip && strcmp(r->chip, "auto")) {
		strvec_push(argv, "--chip");
		strvec_push(argv, r->chip);
	}
	strvec_push(argv, "--before");
	push_mode(argv, r->before ? r->before : "default_reset", v5);
	strvec_push(argv, "--after");
	push_mode(argv, r->after ? r->after : "hard_reset", v5);
	if (r->connect_attempts) {
		strvec_push(argv, "--connect-attempts");
		strvec_pushf(argv, "%u", r->connect_attempts);
	}
}

/* The esptool job for r in v4 or v5 spelling. */
static void esptool_spec(const struct flash_request *r, struct job_spec *spec, bool v5)
{
	push_connect(&spec->argv, r, v5);
	push_write_flash(&spec->argv, r, v5);
	esptool_push_env(&spec->env);
	spec->timeout_ms = r->timeout_ms;
}

void esptool_read_mac_spec(const struct esptool *t, const struct flash_request *r,
			   struct job_spec *spec)
{
	bool v5 = t->major >= 5;

	push_connect(&spec->argv, r, v5);
	/* the ROM loader reads the eFuses: no stub to upload */
	strvec_push(&spec->argv, "--no-stub");
	strvec_push(&spec->argv, v5 ? "read-mac" : "read_mac");
	esptool_push_env(&spec->env);
	spec->timeout_ms = r->timeout_ms;
}

/* spec() of flasher_esptool_v4. */
static void esptool_v4_spec(const struct flash_request *r, struct job_spec *spec)
{
	esptool_spec(r, spec, false);
}

/* spec() of flasher_esptool_v5. */
static void esptool_v5_spec(const struct flash_request *r, struct job_spec *spec)
{
	esptool_spec(r, spec, true);
}

const struct flasher flasher_esptool_v4 = {
	.name = "esptool-v4",
	.method = "esptool v4",
	.spec = esptool_v4_spec,
	.parse = esptool_parse,
	.finish = esptool_finish,
};

const struct flasher flasher_esptool_v5 = {
	.name = "esptool-v5",
	.method = "esptool v5",
	.spec = esptool_v5_spec,
	.parse = esptool_parse,
	.finish = esptool_finish,
};

int esptool_progress_wrote(const struct flash_progress *p)
{
	return ((const struct esp_state *)(const void *)p->parser.bytes)->wrote;
}

bool esptool_progress_lost_port(const struct flash_progress *p)
{
	return ((const struct esp_state *)(const void *)p->parser.bytes)->lost_port;
}
