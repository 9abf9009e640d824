/* test-klipper-flashers.c - the Katapult and make-flash parsers fed every real
 * flashtool-*.txt and flash-*.txt transcript through the real line splitter
 * (lines.c), byte by byte so the '#' progress arrives as partial lines. */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../tap.h"
#include "array.h"
#include "files.h"
#include "flasher.h"
#include "klipper.h"
#include "lines.h"
#include "str.h"

/* A transcript split into what the tool wrote on each stream, and its exit code. */
struct transcript {
	struct strbuf out, err;
	int rc;
};

/* Read tests/fixtures/klipper/transcripts/NAME: drop the leading "# ..." and
 * "$ command" lines and the "rc=N" trailer. flashtool.py writes its error
 * report (from "ERROR:root:") to stderr and everything else to stdout; in a
 * capture a partial bar ("[#####") and the report share a line. */
static int transcript_load(const char *name, struct transcript *t)
{
	char rel[300];
	struct strbuf all = STRBUF_INIT;
	bool head = true, in_err = false;

	snprintf(rel, sizeof rel, "fixtures/klipper/transcripts/%s", name);
	strbuf_init(&t->out);
	strbuf_init(&t->err);
	t->rc = -1;
	if (read_file(tap_srcfile(rel), &all))
		return -1;
	for (char *l = all.buf, *next; l && *l; l = next) {
		next = strchr(l, '\n');
		if (next)
			*next++ = '\0';
		if (head && (str_starts_with(l, "# ") || str_starts_with(l, "$ ")))
			continue;
		head = false;
		if (str_starts_with(l, "rc=") && (!next || !*next)) {
			t->rc = atoi(l + 3);
			break;
		}
		if (!in_err && strstr(l, "ERROR:root:")) {
			char *e = strstr(l, "ERROR:root:");

			strbuf_add(&t->out, l, (size_t)(e - l)); /* stdout's unfinished line */
			l = e;
			in_err = true;
		}
		strbuf_addstr(in_err ? &t->err : &t->out, l);
		strbuf_addch(in_err ? &t->err : &t->out, '\n');
	}
	strbuf_release(&all);
	return t->rc < 0 ? -1 : 0;
}

static void transcript_release(struct transcript *t)
{
	strbuf_release(&t->out);
	strbuf_release(&t->err);
}

/* What a run looked like from the engine's side. */
struct run {
	const struct flasher *f;
	struct flash_progress p;
	enum job_stream stream;
	int partials;          /* partial lines seen */
	double first_pct_seen; /* first non-zero overall percent from a partial line */
	double max_pct;
	bool monotonic;
	double last_pct;
};

static void on_line(const char *line, size_t len, bool partial, void *data)
{
	struct run *r = data;

	r->f->parse(&r->p, r->stream, line, len, partial);
	if (partial)
		r->partials++;
	if (partial && !r->first_pct_seen && r->p.overall_pct > 0)
		r->first_pct_seen = r->p.overall_pct;
	if (r->p.overall_pct < r->last_pct)
		r->monotonic = false;
	r->last_pct = r->p.overall_pct;
	if (r->p.overall_pct > r->max_pct)
		r->max_pct = r->p.overall_pct;
}

/* Feed one stream byte by byte through the splitter. */
static void feed(struct run *r, enum job_stream s, const struct strbuf *text)
{
	struct lines ls;

	lines_init(&ls, 4096);
	r->stream = s;
	for (size_t i = 0; i < text->len; i++)
		lines_feed(&ls, text->buf + i, 1, on_line, r);
	lines_flush(&ls, on_line, r);
	lines_release(&ls);
}

/* Run a transcript through flasher f; stdout first, then stderr (as the tool writes them). */
static enum outcome run_transcript(const struct flasher *f, const char *name, struct run *r,
				   bool all_as_stderr)
{
	struct transcript t;
	struct job_status st = { .exited = true };
	uint64_t size = 44608;

	memset(r, 0, sizeof *r);
	r->f = f;
	r->monotonic = true;
	r->p.images = 1;
	r->p.sizes = &size;
	r->p.bytes_total = size;
	if (transcript_load(name, &t)) {
		ok(0, "%s: transcript loads", name);
		return OUTCOME__COUNT;
	}
	if (all_as_stderr) {
		strbuf_addstr(&t.err, t.out.buf);
		strbuf_reset(&t.out);
		feed(r, JOB_STDERR, &t.err);
	} else {
		feed(r, JOB_STDOUT, &t.out);
		feed(r, JOB_STDERR, &t.err);
	}
	st.code = t.rc;
	transcript_release(&t);
	return f->finish(&r->p, &st);
}

static void katapult_success(void)
{
	static const struct {
		const char *file, *mcu;
	} cases[] = {
		{ "flashtool-sim-stm32h723-success.txt", "stm32h723xx" },
		{ "flashtool-sim-rp2040-success.txt", "rp2040" },
		{ "flashtool-sim-kalico-rp2040-success.txt", "rp2040" },
	};
	struct run r;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *f = cases[i].file;

		is_int(run_transcript(&flasher_katapult, f, &r, false), OUTCOME_OK, "%s: ok", f);
		ok(r.p.complete, "%s: 'Programming Complete' seen", f);
		is_int(r.p.verified, 1, "%s: verify pass complete", f);
		is_str(r.p.facts.mcu, cases[i].mcu, "%s: MCU from the bootloader", f);
		is_str(r.p.facts.tool_version, "v0.0.1-109-g902f335", "%s: Katapult version", f);
		is_int((int)r.max_pct, 100, "%s: reaches 100 %%", f);
		ok(r.monotonic, "%s: percent never goes back", f);
		ok(r.partials >= 100, "%s: '#' progress arrives as partial lines (%d)", f, r.partials);
		ok(r.first_pct_seen > 0 && r.first_pct_seen <= 2, "%s: live percent from the first '#' (%.0f)",
		   f, r.first_pct_seen);
		is_int(r.p.bytes_written, 44608, "%s: bytes written after 'Write complete'", f);
		is_int(r.p.error, OUTCOME_OK, "%s: no error class", f);
	}
}

/* Percent after the first bar: the flash pass is the first half. */
static void katapult_passes(void)
{
	struct flash_progress p = { 0 };
	char bar[60] = "[";

	flasher_katapult.parse(&p, JOB_STDOUT, "Flashing 'klipper.bin'...", 25, false);
	is_int(p.phase, PHASE_FLASH, "flash phase");
	for (int i = 1; i <= 25; i++)
		bar[i] = '#';
	flasher_katapult.parse(&p, JOB_STDOUT, bar, strlen(bar), true);
	is_int((int)p.image_pct, 50, "25 of 50 '#' in the flash pass: 50 %% of the pass");
	is_int((int)p.overall_pct, 25, "... and 25 %% overall");
	flasher_katapult.parse(&p, JOB_STDOUT, "Write complete: 88 pages", 24, false);
	flasher_katapult.parse(&p, JOB_STDOUT, "Verifying (block count = 697)...", 32, false);
	is_int(p.phase, PHASE_VERIFY, "verify phase");
	flasher_katapult.parse(&p, JOB_STDOUT, "[##########", 11, true);
	is_int((int)p.image_pct, 20, "10 '#' of the verify pass: 20 %%");
	is_int((int)p.overall_pct, 60, "verify pass is the second half: 60 %%");
}

static void katapult_failures(void)
{
	static const struct {
		const char *file;
		enum outcome o;
		const char *msg;
	} cases[] = {
		{ "flashtool-device-missing.txt", OUTCOME_NO_PORT,
		  "No Serial Device found at /dev/serial/by-id/usb-katapult_stm32h723xx_29001A001151313531383332-if00" },
		{ "flashtool-request-bootloader-device-missing.txt", OUTCOME_NO_PORT,
		  "No Serial Device found at /dev/serial/by-id/usb-Klipper_stm32h723xx_29001A001151313531383332-if00" },
		{ "flashtool-firmware-missing.txt", OUTCOME_OTHER, "Invalid firmware path '/nonexistent/klipper.bin'" },
		{ "flashtool-no-pyserial.txt", OUTCOME_TOOL_MISSING,
		  "The pyserial python package was not found. To install run the following command in a terminal: sudo apt install python3-serial" },
		{ "flashtool-no-response.txt", OUTCOME_NO_SYNC, "Error sending command [CONNECT] to Device" },
		{ "flashtool-port-busy.txt", OUTCOME_PORT_BUSY,
		  "Serial device /dev/serial/by-id/usb-Klipper_stm32h723xx_29001A001151313531383332-if00 in use" },
		{ "flashtool-sim-mcu-mismatch.txt", OUTCOME_MCU_MISMATCH,
		  "MCU returned by Katapult does not match MCU identified in klipper.bin. Katapult MCU: stm32f446xx Klipper Binary MCU: stm32h723xx" },
		{ "flashtool-help.txt", OUTCOME_OTHER, "flashtool.py ended (exit 0) without 'Programming Complete'" },
		/* SEND_BLOCK fails and is re-raised "from" it: the wrapping FlashError is the message */
		{ "flashtool-sim-stopped-mid-flash.txt", OUTCOME_STOPPED_RESPONDING,
		  "Flash write failed, flash address 0x8027E40" },
		/* pyserial's read error (logged, not raised) tells why the block failed */
		{ "flashtool-sim-port-vanished.txt", OUTCOME_UNPLUGGED,
		  "Flash write failed, flash address 0x80279C0 (the port went away: device reports readiness "
		  "to read but returned no data (device disconnected or multiple access on port?))" },
	};
	struct run r;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const char *f = cases[i].file;

		is_int(run_transcript(&flasher_katapult, f, &r, false), cases[i].o, "%s: outcome %d", f,
		       cases[i].o);
		is_str(r.p.message, cases[i].msg, "%s: message", f);
		ok(!r.p.complete, "%s: not complete", f);
	}
	run_transcript(&flasher_katapult, "flashtool-sim-mcu-mismatch.txt", &r, false);
	is_str(r.p.facts.mcu, "stm32f446xx", "mismatch: the bootloader's MCU is recorded");
	run_transcript(&flasher_katapult, "flashtool-no-response.txt", &r, false);
	is_int(r.p.phase, PHASE_CONNECT, "no response: stuck in the connect phase");
	run_transcript(&flasher_katapult, "flashtool-sim-port-vanished.txt", &r, false);
	is_int(r.p.phase, PHASE_FLASH, "port vanished: in the flash phase");
	ok(r.p.overall_pct > 0 && r.p.overall_pct < 50, "port vanished: part of the flash bar (%.0f %%)",
	   r.p.overall_pct);
}

/* Feed literal text (lines separated by \n) as one stream. */
static enum outcome run_text(const struct flasher *f, const char *out, const char *err, int rc,
			     struct run *r)
{
	struct strbuf o = STRBUF_INIT, e = STRBUF_INIT;
	struct job_status st = { .exited = true, .code = rc };

	memset(r, 0, sizeof *r);
	r->f = f;
	r->monotonic = true;
	strbuf_addstr(&o, out);
	strbuf_addstr(&e, err);
	feed(r, JOB_STDOUT, &o);
	feed(r, JOB_STDERR, &e);
	strbuf_release(&o);
	strbuf_release(&e);
	return f->finish(&r->p, &st);
}

static void katapult_usb_request(void)
{
	struct run r;
	/* flashtool.py run on a board still running Klipper that came back as
	 * something else (flashtool.py: _request_usb_bootloader); exit 0 */
	const char *out =
		"Connecting to Serial Device /dev/serial/by-id/usb-Klipper_stm32h723xx_29001A001151313531383332-if00, baud 250000\n"
		"Detected Klipper binary version v0.13.0-730-g84104bbbd, MCU: stm32h723xx\n"
		"Detected USB device running Klipper\n"
		"Requesting USB bootloader for /dev/serial/by-id/usb-Klipper_stm32h723xx_29001A001151313531383332-if00...\n"
		"Waiting for USB Reconnect...done\n"
		"Detected new USB Device: 0483:df11 stmicroelectronics dfu in fs mode\n"
		"Device is not Katapult, exiting...\n"
		"Bootloader Request Complete\n";

	is_int(run_text(&flasher_katapult, out, "", 0, &r), OUTCOME_NOT_IN_BOOTLOADER,
	       "'Device is not Katapult' with exit 0: not_in_bootloader");
	ok(strstr(r.p.message, "did not enter the Katapult bootloader") != NULL, "explained");
	is_int(run_text(&flasher_katapult,
			"Detected USB device running Klipper\nRequesting USB bootloader for X...\n"
			"Waiting for USB Reconnect.........timed out\n",
			"ERROR:root:Flash Tool Error\nTraceback (most recent call last):\n"
			"FlashError: Error sending command [CONNECT] to Device\n",
			1, &r),
	       OUTCOME_NOT_IN_BOOTLOADER, "no reconnect: not_in_bootloader (the cause, not the CONNECT error)");
	is_int(run_text(&flasher_katapult, "Programming Complete\n", "", 1, &r), OUTCOME_OTHER,
	       "'Programming Complete' with a non-zero exit is not success");
	is_int(run_text(&flasher_katapult, "",
			"python3: can't open file '/home/pi/katapult/scripts/flashtool.py': [Errno 2] No such file or directory\n",
			2, &r),
	       OUTCOME_TOOL_MISSING, "flashtool.py missing: tool_missing");
	is_int(run_text(&flasher_katapult, "Attempting to connect to bootloader\n",
			"ERROR:root:Flash Tool Error\nTraceback (most recent call last):\n"
			"  File \"x.py\", line 1, in run\n"
			"serial.serialutil.SerialException: device reports readiness to read but returned no data\n",
			1, &r),
	       OUTCOME_OTHER, "another exception: other");
	is_str(r.p.message, "serial.serialutil.SerialException: device reports readiness to read but returned no data",
	       "its last line is the message");
}

static void make_flash_transcripts(void)
{
	static const struct {
		const char *file;
		enum outcome o;
		const char *msg_part;
	} cases[] = {
		{ "flash-klipper-rp2040-bootsel-id-no-device.txt", OUTCOME_NOT_IN_BOOTLOADER,
		  "No rp2040 in BOOTSEL mode was found" },
		{ "flash-klipper-rp2040-uf2-bootsel-id-no-device.txt", OUTCOME_NOT_IN_BOOTLOADER,
		  "No rp2040 in BOOTSEL mode was found" },
		{ "flash-klipper-stm32h723-dfu-id-no-device.txt", OUTCOME_NOT_IN_BOOTLOADER,
		  "No DFU capable USB device available" },
		{ "flash-klipper-stm32h723-device-missing.txt", OUTCOME_NO_PORT, "Unable to find tty device" },
		{ "flash-klipper-stm32h723-no-serial-dir.txt", OUTCOME_NO_PORT,
		  "Unable to find serial 'by-path' folder" },
		{ "flash-klipper-rp2040-device-missing.txt", OUTCOME_NO_PORT, "Unable to find tty device" },
		{ "flash-klipper-rp2040-no-serial-dir.txt", OUTCOME_NO_PORT,
		  "Unable to find serial 'by-path' folder" },
		{ "flash-klipper-rp2040-first-run-builds-helper.txt", OUTCOME_NO_PORT,
		  "Unable to find serial 'by-path' folder" },
		{ "flash-kalico-rp2040-no-serial-dir.txt", OUTCOME_NO_PORT,
		  "Unable to find serial 'by-path' folder" },
	};
	struct run r;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		for (int as_err = 0; as_err < 2; as_err++) {
			const char *f = cases[i].file, *how = as_err ? "stderr" : "stdout";

			is_int(run_transcript(&flasher_make_flash, f, &r, as_err), cases[i].o,
			       "%s (%s): outcome %d", f, how, cases[i].o);
			ok(strstr(r.p.message, cases[i].msg_part) != NULL, "%s (%s): message '%s'", f, how,
			   r.p.message);
			is_int(r.p.phase, PHASE_FLASH, "%s (%s): reached the flash phase", f, how);
		}
	}
}

static void make_flash_synthetic(void)
{
	struct run r;

	/* dfu-util's own success lines (no real capture of a successful flash) */
	is_int(run_text(&flasher_make_flash,
			"  Flashing out/klipper.bin to /dev/serial/by-id/usb-Klipper_stm32h723xx_29001A001151313531383332-if00\n",
			"Entering bootloader on /dev/serial/by-id/usb-Klipper_stm32h723xx_29001A001151313531383332-if00\n"
			"Device reconnect on /sys/devices/pci0000:00/0000:00:14.0/usb1/1-4\n"
			"Download\t[============             ]  48%        21504 bytes\r"
			"Download\t[=========================] 100%        44608 bytes\n"
			"Download done.\nFile downloaded successfully\n",
			0, &r),
	       OUTCOME_OK, "dfu-util success with exit 0: ok");
	ok(r.p.complete, "download done seen");
	is_int((int)r.max_pct, 100, "percent from dfu-util");
	is_int(run_text(&flasher_make_flash, "", "make: *** No rule to make target 'flash'.  Stop.\n", 2, &r),
	       OUTCOME_OTHER, "no flash target: other");
	is_int(run_text(&flasher_make_flash, "",
			"sudo: a terminal is required to read the password; either use the -S option to read from standard input or configure an askpass helper\n",
			2, &r),
	       OUTCOME_PERMISSION, "sudo wanting a password: permission");
	is_int(run_text(&flasher_make_flash, "", "", 2, &r), OUTCOME_OTHER, "silent failure: other");
	is_str(r.p.message, "make flash failed (exit 2)", "silent failure explained");
	is_int(run_text(&flasher_make_flash, "Flashing '/o/klipper.bin'...\n\n[#########################", "",
			0, &r),
	       OUTCOME_OK, "Katapult's output inside make flash is understood");
	is_int((int)r.max_pct, 25, "... including its progress bar");
}

int main(void)
{
	katapult_success();
	katapult_passes();
	katapult_failures();
	katapult_usb_request();
	make_flash_transcripts();
	make_flash_synthetic();
	is_str(flasher_katapult.method, "katapult", "katapult method name for the history");
	is_str(flasher_make_flash.method, "make_flash", "make_flash method name for the history");
	return done_testing();
}
