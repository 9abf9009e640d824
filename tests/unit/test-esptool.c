/* test-esptool.c - the esptool v4/v5 parser fed the real transcripts through
 * the real line splitter (as job.c does), argv building, version detection
 * and command resolution; outcome and phase names.
 */
#include "autoconf.h"

#include <errno.h>
#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../tap.h"
#include "array.h"
#include "esptool.h"
#include "files.h"
#include "firmware.h"
#include "flasher.h"
#include "lines.h"

/* The two images of the transcripts: bootloader.bin and app.bin. */
static const uint64_t fixture_sizes[2] = { 26627, 1048576 };

struct replay {
	const struct flasher *fl;
	struct flash_progress p;
	enum job_stream stream;
	bool monotonic;
	double last_overall;
	double max_pct[8];   /* highest image_pct seen per image */
	enum phase seen[32]; /* phases in the order entered */
	int n_seen;
	enum outcome outcome;
	int rc;
};

/* lines_cb: one line into the parser, watching percent and phase. */
static void on_line(const char *line, size_t len, bool partial, void *data)
{
	struct replay *r = data;

	r->fl->parse(&r->p, r->stream, line, len, partial);
	if (r->p.overall_pct < r->last_overall || r->p.overall_pct > 100.0)
		r->monotonic = false;
	r->last_overall = r->p.overall_pct;
	if (r->p.image > 0 && r->p.image < 8 && r->p.image_pct > r->max_pct[r->p.image])
		r->max_pct[r->p.image] = r->p.image_pct;
	if ((!r->n_seen || r->seen[r->n_seen - 1] != r->p.phase) && r->n_seen < 32)
		r->seen[r->n_seen++] = r->p.phase;
}

/* Feed one captured stream in chunks of chunk bytes, as pipe reads would. */
static void feed_stream(struct replay *r, const char *name, const char *ext, enum job_stream s,
			size_t chunk)
{
	struct strbuf sb = STRBUF_INIT;
	struct lines ls;
	char rel[256];

	snprintf(rel, sizeof rel, "fixtures/esptool/%s.%s", name, ext);
	if (read_file(tap_srcfile(rel), &sb))
		diag("cannot read %s", rel);
	lines_init(&ls, 4096);
	r->stream = s;
	for (size_t off = 0; off < sb.len; off += chunk)
		lines_feed(&ls, sb.buf + off, sb.len - off < chunk ? sb.len - off : chunk, on_line, r);
	lines_flush(&ls, on_line, r);
	lines_release(&ls);
	strbuf_release(&sb);
}

/* The exit code of a capture. */
static int fixture_rc(const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	char rel[256];
	int rc;

	snprintf(rel, sizeof rel, "fixtures/esptool/%s.rc", name);
	read_file(tap_srcfile(rel), &sb);
	rc = atoi(sb.buf);
	strbuf_release(&sb);
	return rc;
}

/* Replay a capture; stderr_first feeds the streams in the other order. */
static void replay(struct replay *r, const char *name, int images, size_t chunk, bool stderr_first)
{
	const struct flasher *fl = name[1] == '5' ? &flasher_esptool_v5 : &flasher_esptool_v4;
	struct job_status st = { 0 };

	memset(r, 0, sizeof *r);
	r->fl = fl;
	r->monotonic = true;
	flash_progress_init(&r->p, images, images ? fixture_sizes : NULL);
	if (stderr_first)
		feed_stream(r, name, "stderr", JOB_STDERR, chunk);
	feed_stream(r, name, "stdout", JOB_STDOUT, chunk);
	if (!stderr_first)
		feed_stream(r, name, "stderr", JOB_STDERR, chunk);
	r->rc = fixture_rc(name);
	st.exited = true;
	st.code = r->rc;
	r->outcome = fl->finish(&r->p, &st);
}

/* Was phase ph entered, and after phase before (if given)? */
static bool phase_seen_after(const struct replay *r, enum phase ph, enum phase before)
{
	bool saw_before = before == PHASE_IDLE;

	for (int i = 0; i < r->n_seen; i++) {
		if (r->seen[i] == before)
			saw_before = true;
		if (r->seen[i] == ph && saw_before)
			return true;
	}
	return false;
}

static const char *const v4_features =
	"WiFi, BT, Dual Core, 240MHz, VRef calibration in efuse, Coding Scheme None";
static const char *const v5_features =
	"Wi-Fi, BT, Dual Core + LP Core, 240MHz, Vref calibration in eFuse, Coding Scheme None";

/* The board facts every connecting capture has. */
static void check_board(const struct replay *r, const char *name)
{
	bool v5 = name[1] == '5';

	is_str(r->p.facts.chip, "ESP32-D0WD-V3", "%s: chip type", name);
	is_str(r->p.facts.revision, "v3.0", "%s: chip revision", name);
	is_str(r->p.facts.features, v5 ? v5_features : v4_features, "%s: features", name);
	is_str(r->p.facts.crystal, "40MHz", "%s: crystal", name);
	is_str(r->p.facts.mac, "24:0a:c4:12:34:56", "%s: MAC", name);
	is_str(r->p.facts.tool_version, v5 ? "5.3.1" : "4.12.0", "%s: tool version", name);
}

/* Both write_flash captures in every format, several chunk sizes. */
static void write_flash_ok(const char *name, double kbps, size_t chunk)
{
	struct replay r;

	replay(&r, name, 2, chunk, false);
	diag("%s (chunks of %zu bytes)", name, chunk);
	is_int(r.outcome, OUTCOME_OK, "%s: outcome ok", name);
	check_board(&r, name);
	is_int(r.p.image, 2, "%s: two images seen", name);
	is_int(esptool_progress_wrote(&r.p), 2, "%s: two 'Wrote' lines", name);
	is_int(r.p.verified, 2, "%s: 'Hash of data verified.' twice", name);
	is_int(r.p.bytes_written, 26628 + 1048576, "%s: bytes written summed (4-byte padded)", name);
	ok(fabs(r.p.kbps - kbps) < 0.01, "%s: kbit/s of the last image (%.1f)", name, r.p.kbps);
	ok(r.monotonic, "%s: overall percent never goes back", name);
	ok(fabs(r.p.overall_pct - 100.0) < 1e-9, "%s: overall reaches 100 (%.2f)", name,
	   r.p.overall_pct);
	ok(r.max_pct[1] == 100.0 && r.max_pct[2] == 100.0, "%s: each image reaches 100%%", name);
	ok(r.p.complete, "%s: complete", name);
	is_int(r.p.error, OUTCOME_OK, "%s: no error line", name);
	ok(phase_seen_after(&r, PHASE_ERASE, PHASE_CONNECT), "%s: Erase after Connect", name);
	ok(phase_seen_after(&r, PHASE_FLASH, PHASE_ERASE), "%s: Flash after Erase", name);
	ok(phase_seen_after(&r, PHASE_VERIFY, PHASE_FLASH), "%s: Verify after Flash", name);
	ok(phase_seen_after(&r, PHASE_RESET, PHASE_VERIFY), "%s: Reset at the end", name);
	is_int(r.p.phase, PHASE_DONE, "%s: Done after finish", name);
}

/* Percent values along the way, from the plain pipe captures. */
static void percents(void)
{
	struct flash_progress p;
	const struct flasher *fl = &flasher_esptool_v4;
	const char *l = "Writing at 0x0007222c... (40 %)";

	flash_progress_init(&p, 2, fixture_sizes);
	fl->parse(&p, JOB_STDOUT, "Compressed 26628 bytes to 15480...", 0, false);
	is_int(p.image, 1, "v4: 'Compressed' starts image 1");
	is_int(p.phase, PHASE_ERASE, "v4: erasing before the first block");
	fl->parse(&p, JOB_STDOUT, "Writing at 0x00001000... (100 %)", 0, false);
	ok(p.image_pct == 100.0, "v4: (100 %%) of image 1");
	is_int(p.phase, PHASE_FLASH, "v4: Writing at -> Flash");
	fl->parse(&p, JOB_STDOUT,
		  "Wrote 26628 bytes (15480 compressed) at 0x00001000 in 0.3 seconds (effective 613.2 kbit/s)...",
		  0, false);
	fl->parse(&p, JOB_STDOUT, "Hash of data verified.", 0, false);
	fl->parse(&p, JOB_STDOUT, "Compressed 1048576 bytes to 597626...", 0, false);
	is_int(p.image, 2, "v4: second 'Compressed' starts image 2");
	fl->parse(&p, JOB_STDOUT, l, strlen(l), false);
	ok(p.image_pct == 40.0, "v4: 40 %% of image 2");
	ok(fabs(p.overall_pct - (26627 + 0.4 * 1048576) * 100.0 / (26627 + 1048576)) < 1e-6,
	   "v4: overall weighted by image size (%.3f)", p.overall_pct);

	flash_progress_init(&p, 2, fixture_sizes);
	fl = &flasher_esptool_v5;
	fl->parse(&p, JOB_STDOUT, "Writing '/tmp/esp/bootloader.bin' at 0x00001000...", 0, false);
	is_int(p.image, 1, "v5: \"Writing '<file>'\" starts image 1");
	fl->parse(&p, JOB_STDOUT, "Compressed 26628 bytes to 15480...", 0, false);
	is_int(p.image, 1, "v5: 'Compressed' stays in image 1");
	fl->parse(&p, JOB_STDOUT,
		  "Writing at 0x00016d9b [                              ]   2.7% 16384/597626 bytes... ",
		  0, false);
	ok(fabs(p.image_pct - 16384 * 100.0 / 597626) < 1e-9, "v5: percent from sent/total");
	fl->parse(&p, JOB_STDOUT, "Writing at 0x0001dd2b [>      ]   5", 0, true);
	ok(fabs(p.image_pct - 16384 * 100.0 / 597626) < 1e-9,
	   "v5: a half-drawn bar (partial line) is not taken");
	fl->parse(&p, JOB_STDOUT, "Writing at 0x0001dd2b [>  ]   5.5% 32768/5976", 0, true);
	ok(fabs(p.image_pct - 16384 * 100.0 / 597626) < 1e-9,
	   "v5: a partial byte count is not taken");
	fl->parse(&p, JOB_STDOUT, "Writing at 0x0001dd2b [>  ]   5.5% 32768/597626 bytes... ", 0,
		  true);
	ok(fabs(p.image_pct - 32768 * 100.0 / 597626) < 1e-9,
	   "v5: a partial line with the whole bar is taken");
}

/* The non-flashing captures: facts only. */
static void facts_only(const char *name)
{
	struct replay r;

	replay(&r, name, 0, 4096, false);
	is_int(r.outcome, OUTCOME_OK, "%s: outcome ok", name);
	check_board(&r, name);
	is_int(r.p.image, 0, "%s: no image", name);
	is_int(r.p.verified, 0, "%s: nothing verified", name);
}

/* A failing capture: class, message, phase. */
static void failure(const char *name, enum outcome want, const char *msg, enum phase phase,
		    size_t chunk, bool stderr_first)
{
	struct replay r;

	replay(&r, name, strstr(name, "fail_at") ? 2 : 1, chunk, stderr_first);
	is_int(r.rc, 2, "%s: esptool exited 2", name);
	is_str(outcome_name(r.outcome), outcome_name(want), "%s%s: outcome %s", name,
	       stderr_first ? " (stderr read first)" : "", outcome_name(want));
	ok(strstr(r.p.message, msg) != NULL, "%s: message keeps the error line", name);
	if (!strstr(r.p.message, msg))
		diag("  message: '%s'", r.p.message);
	is_str(phase_name(r.p.phase), phase_name(phase), "%s%s: failed in phase %s", name,
	       stderr_first ? " (stderr read first)" : "", phase_name(phase));
	ok(!r.p.complete, "%s: not complete", name);
}

/* fail_at_40: the board goes silent at 40 % of image 2. */
static void fail_at_40(const char *name)
{
	struct replay r;
	double lo = (26627 + 0.38 * 1048576) * 100.0 / (26627 + 1048576);
	double hi = (26627 + 0.41 * 1048576) * 100.0 / (26627 + 1048576);

	failure(name, OUTCOME_STOPPED_RESPONDING,
		name[1] == '5' ? "No more data to read from the serial port"
			       : "The chip stopped responding.",
		PHASE_FLASH, 4096, false);
	replay(&r, name, 2, 4096, false);
	is_int(r.p.image, 2, "%s: failed in image 2", name);
	is_int(r.p.verified, 1, "%s: image 1 was verified", name);
	ok(r.p.overall_pct >= lo && r.p.overall_pct <= hi,
	   "%s: overall %.2f%% is ~40%% into image 2", name, r.p.overall_pct);
	ok(r.monotonic, "%s: percent monotonic", name);
}

/* unplug_at_40: the adapter vanishes at 40 % of image 2 (our own capture,
 * see tests/fixtures/SOURCE): unplugged, with pySerial's line as message. */
static void unplug_at_40(const char *name, size_t chunk, bool stderr_first)
{
	struct replay r;
	const char *want = name[1] == '5'
		? "A serial exception error occurred: Attempting to use a port that is not open"
		: "A serial exception error occurred: Could not configure port: (5, 'Input/output error')";

	replay(&r, name, 2, chunk, stderr_first);
	diag("%s (chunks of %zu bytes%s)", name, chunk, stderr_first ? ", stderr first" : "");
	is_int(r.rc, 1, "%s: esptool exited 1", name);
	is_str(outcome_name(r.outcome), "unplugged", "%s: outcome unplugged", name);
	is_str(r.p.message, want, "%s: the message is esptool's line", name);
	ok(esptool_progress_lost_port(&r.p), "%s: 'Lost connection' seen", name);
	is_str(phase_name(r.p.phase), "Flash", "%s: failed in phase Flash", name);
	is_int(r.p.image, 2, "%s: in image 2", name);
	is_str(r.p.facts.mac, "24:0a:c4:12:34:56", "%s: the MAC learned before stays", name);
	is_str(r.p.facts.chip, "ESP32-D0WD-V3", "%s: the chip learned before stays", name);
}

/* pipe-xterm (ANSI colour and cursor codes in a pipe) parses like the pipe. */
static void xterm_same_as_pipe(const char *base)
{
	struct replay a, b;
	char name[64];

	snprintf(name, sizeof name, "%s.pipe-xterm", base);
	replay(&a, base, 2, 4096, false);
	replay(&b, name, 2, 4096, false);
	is_int(b.outcome, a.outcome, "%s: same outcome as the pipe", name);
	ok(!memcmp(&a.p.facts, &b.p.facts, sizeof a.p.facts), "%s: same facts", name);
	is_int(b.p.image, a.p.image, "%s: same image count", name);
	is_int(b.p.verified, a.p.verified, "%s: same verified count", name);
	is_int(b.p.bytes_written, a.p.bytes_written, "%s: same bytes", name);
	ok(fabs(b.p.overall_pct - a.p.overall_pct) < 1e-9, "%s: same overall percent", name);
	is_str(b.p.message, a.p.message, "%s: same error line", name);
}

/* Feed lines straight to a parser. */
static enum outcome lines_outcome(const struct flasher *fl, struct flash_progress *p,
				  enum job_stream s, const char *const *lines, int code)
{
	struct job_status st = { .exited = true, .code = code };

	for (; *lines; lines++)
		fl->parse(p, s, *lines, strlen(*lines), false);
	return fl->finish(p, &st);
}

/* Error classes that have no capture: the texts of esptool's own sources. */
static void synthetic_errors(void)
{
	static const char *const busy[] = {
		"Serial port /dev/ttyUSB3",
		"A fatal error occurred: Could not open /dev/ttyUSB3, the port is busy or doesn't exist.",
		"([Errno 11] Could not exclusively lock port /dev/ttyUSB3: [Errno 11] Resource temporarily unavailable)",
		NULL
	};
	static const char *const busy16[] = {
		"A fatal error occurred: Could not open /dev/ttyUSB3, the port is busy or doesn't exist.",
		"([Errno 16] could not open port /dev/ttyUSB3: [Errno 16] Device or resource busy: '/dev/ttyUSB3')",
		NULL
	};
	static const char *const perm[] = {
		"A fatal error occurred: Could not open /dev/ttyUSB0, the port is busy or doesn't exist.",
		"([Errno 13] could not open port /dev/ttyUSB0: [Errno 13] Permission denied: '/dev/ttyUSB0')",
		"", "Hint: Try to add user into dialout or uucp group.", NULL
	};
	static const char *const md5[] = {
		"Wrote 4096 bytes (100 compressed) at 0x00010000 in 0.1 seconds (effective 327.7 kbit/s)...",
		"File  md5: 0123456789abcdef0123456789abcdef",
		"Flash md5: fedcba9876543210fedcba9876543210",
		"A fatal error occurred: MD5 of file does not match data in flash!", NULL
	};
	static const char *const other[] = { "A fatal error occurred: Something unexpected.", NULL };
	static const char *const argparse[] = {
		"esptool: error: argument --before: invalid choice: 'no-reset' (choose from 'default_reset', 'usb_reset', 'no_reset', 'no_reset_no_sync')",
		NULL
	};
	struct flash_progress p;

	flash_progress_init(&p, 1, NULL);
	is_int(lines_outcome(&flasher_esptool_v4, &p, JOB_STDOUT, busy, 2), OUTCOME_PORT_BUSY,
	       "port locked by another esptool ([Errno 11] exclusive lock): port_busy");
	ok(strstr(p.message, "Could not open") && strstr(p.message, "exclusively lock"),
	   "port_busy message keeps both lines");
	flash_progress_init(&p, 1, NULL);
	is_int(lines_outcome(&flasher_esptool_v5, &p, JOB_STDERR, busy16, 2), OUTCOME_PORT_BUSY,
	       "[Errno 16] Device or resource busy: port_busy");
	flash_progress_init(&p, 1, NULL);
	is_int(lines_outcome(&flasher_esptool_v4, &p, JOB_STDOUT, perm, 2), OUTCOME_PERMISSION,
	       "[Errno 13] Permission denied: permission");
	flash_progress_init(&p, 1, NULL);
	is_int(lines_outcome(&flasher_esptool_v4, &p, JOB_STDOUT, md5, 2), OUTCOME_VERIFY_FAILED,
	       "v4 'MD5 of file does not match data in flash!': verify_failed");
	is_int(p.phase, PHASE_VERIFY, "verify failure happens in phase Verify");
	flash_progress_init(&p, 1, NULL);
	is_int(lines_outcome(&flasher_esptool_v5, &p, JOB_STDERR, md5 + 3, 2),
	       OUTCOME_VERIFY_FAILED, "v5 verify failure on stderr: verify_failed");
	flash_progress_init(&p, 1, NULL);
	is_int(lines_outcome(&flasher_esptool_v4, &p, JOB_STDOUT, other, 2), OUTCOME_OTHER,
	       "any other fatal error: other");
	is_str(p.message, "A fatal error occurred: Something unexpected.", "other keeps the message");
	flash_progress_init(&p, 1, NULL);
	is_int(lines_outcome(&flasher_esptool_v4, &p, JOB_STDERR, argparse, 2), OUTCOME_OTHER,
	       "argparse usage error: other");
	ok(strstr(p.message, "invalid choice") != NULL, "usage error message kept");
}

/* finish(): exit status and markers must agree. */
static void finish_rules(void)
{
	static const char *const one_image[] = {
		"Compressed 4096 bytes to 100...", "Writing at 0x00010000... (100 %)",
		"Wrote 4096 bytes (100 compressed) at 0x00010000 in 0.1 seconds (effective 327.7 kbit/s)...",
		"Hash of data verified.", "", "Leaving...", "Hard resetting via RTS pin...", NULL
	};
	static const char *const no_lines[] = { NULL };
	struct flash_progress p;

	flash_progress_init(&p, 1, NULL);
	is_int(lines_outcome(&flasher_esptool_v4, &p, JOB_STDOUT, one_image, 0), OUTCOME_OK,
	       "one image written and verified, exit 0: ok");
	ok(fabs(p.kbps - 327.7) < 1e-9, "kbps from 'effective ... kbit/s'");
	flash_progress_init(&p, 2, NULL);
	is_int(lines_outcome(&flasher_esptool_v4, &p, JOB_STDOUT, one_image, 0), OUTCOME_OTHER,
	       "exit 0 but only 1 of 2 images confirmed: other");
	ok(strstr(p.message, "1 of 2") != NULL, "message says how many were confirmed");
	flash_progress_init(&p, 1, NULL);
	is_int(lines_outcome(&flasher_esptool_v4, &p, JOB_STDOUT, one_image, 1), OUTCOME_OTHER,
	       "markers complete but exit 1: other");
	flash_progress_init(&p, 1, NULL);
	is_int(lines_outcome(&flasher_esptool_v5, &p, JOB_STDOUT, no_lines, 2), OUTCOME_OTHER,
	       "exit 2 with no error line: other");
	is_str(p.message, "esptool exited with status 2 without an error message",
	       "message names the exit status, and that nothing was said");
	is_int(p.error, OUTCOME_OTHER, "the error is recorded as other");
}

/* other: never an empty message, never just "failed": the tool's words. */
static void other_last_words(void)
{
	static const char *const unknown[] = {
		"Serial port /dev/ttyUSB0", "Connecting....", "Chip is ESP32-D0WD-V3 (revision v3.0)",
		"Compressed 4096 bytes to 100...", "Writing at 0x00010000... (100 %)",
		"Something went sideways in a new way", "",
		"Note: This error originates from pySerial. It is likely not a problem with esptool, but with the hardware connection or drivers.",
		"For troubleshooting steps visit: https://docs.espressif.com/projects/esptool/en/latest/troubleshooting.html",
		"Traceback (most recent call last):", "  File \"esptool/loader.py\", line 1, in x",
		NULL
	};
	static const char *const serial_other[] = {
		"A serial exception error occurred: write failed: [Errno 42] Something odd", NULL
	};
	static const char *const serial_lost[] = {
		"Writing at 0x00010000... (40 %)", "", "Lost connection, retrying...",
		"Waiting for the chip to reconnect.......",
		"A serial exception error occurred: write failed: [Errno 42] Something odd", NULL
	};
	struct job_status killed = { .exited = true, .code = 128 + 9, .signo = 9 };
	struct flash_progress p;

	flash_progress_init(&p, 1, NULL);
	is_int(lines_outcome(&flasher_esptool_v4, &p, JOB_STDOUT, unknown, 1), OUTCOME_OTHER,
	       "an unknown failure: other");
	is_str(p.message, "esptool exited with status 1: Something went sideways in a new way",
	       "other: the exit status and the tool's last words (advice and traceback skipped)");
	flash_progress_init(&p, 1, NULL);
	for (const char *const *l = unknown; *l; l++)
		flasher_esptool_v4.parse(&p, JOB_STDOUT, *l, strlen(*l), false);
	is_int(flasher_esptool_v4.finish(&p, &killed), OUTCOME_OTHER, "esptool killed: other");
	is_str(p.message,
	       "esptool was killed by signal 9; its last line: Something went sideways in a new way",
	       "killed: the signal and the last line");
	flash_progress_init(&p, 1, NULL);
	is_int(lines_outcome(&flasher_esptool_v5, &p, JOB_STDERR, serial_other, 1), OUTCOME_OTHER,
	       "a serial exception without a lost port: other");
	is_str(p.message, serial_other[0], "... with pySerial's line");
	flash_progress_init(&p, 1, NULL);
	is_int(lines_outcome(&flasher_esptool_v4, &p, JOB_STDOUT, serial_lost, 1),
	       OUTCOME_UNPLUGGED, "a serial exception after 'Lost connection': unplugged");
	is_str(p.message, serial_lost[4], "... with pySerial's line");
}

/* MAC lines: BASE MAC wins over an EUI-64 "MAC:". */
static void mac_lines(void)
{
	struct flash_progress p;

	flash_progress_init(&p, 0, NULL);
	flasher_esptool_v5.parse(&p, JOB_STDOUT, "MAC:                60:55:f9:ff:fe:f7:2c:a4", 0,
				 false);
	is_str(p.facts.mac, "60:55:f9:ff:fe:f7:2c:a4", "EUI-64 MAC taken when alone");
	flasher_esptool_v5.parse(&p, JOB_STDOUT, "BASE MAC:           60:55:f9:f7:2c:a4", 0, false);
	flasher_esptool_v5.parse(&p, JOB_STDOUT, "MAC_EXT:            ff:fe", 0, false);
	flasher_esptool_v5.parse(&p, JOB_STDOUT, "MAC:                60:55:f9:ff:fe:f7:2c:a4", 0,
				 false);
	is_str(p.facts.mac, "60:55:f9:f7:2c:a4", "BASE MAC wins");
	flasher_esptool_v4.parse(&p, JOB_STDOUT, "Chip is ESP32-S3 in Secure Download Mode", 0,
				 false);
	is_str(p.facts.chip, "ESP32-S3", "chip in Secure Download Mode");
}

/* A request for the argv tests: two images at 0x1000 and 0x10000. */
static void make_fw(struct firmware *fw, const char *dir)
{
	struct strbuf err = STRBUF_INIT;
	char a[512], b[512];

	snprintf(a, sizeof a, "%s/boot.bin", dir);
	snprintf(b, sizeof b, "%s/app.bin", dir);
	write_file_atomic(a, "boot", 4, 0644);
	write_file_atomic(b, "app", 3, 0644);
	firmware_init(fw);
	firmware_add(fw, 0x10000, b, &err);
	firmware_add(fw, 0x1000, a, &err);
	firmware_finalize(fw, &err);
	strbuf_release(&err);
}

/* argv of the esptool flasher's spec() joined with spaces, without the command. */
static char *flash_argv(int major, const struct flash_request *r)
{
	struct esptool t;
	struct job_spec spec = JOB_SPEC_INIT;
	struct strvec rest = STRVEC_INIT;
	struct flash_request rq;
	char *s;

	esptool_init(&t);
	strvec_push(&t.cmd, "esptool");
	t.major = major;
	rq = *r;
	rq.tool = &t.cmd;
	esptool_flasher(&t)->spec(&rq, &spec);
	for (size_t i = 1; i < spec.argv.n; i++)
		strvec_push(&rest, spec.argv.v[i]);
	s = strvec_join(&rest, " ");
	ok(strvec_find(&spec.env, "NO_COLOR=1") >= 0 && strvec_find(&spec.env, "TERM=dumb") >= 0 &&
		   strvec_find(&spec.env, "PYTHONUNBUFFERED=1") >= 0,
	   "v%d: env NO_COLOR=1 TERM=dumb PYTHONUNBUFFERED=1", major);
	strvec_release(&rest);
	job_spec_release(&spec);
	esptool_release(&t);
	return s;
}

static void argv_building(const char *dir)
{
	struct firmware fw;
	struct flash_request r = { .port = "/dev/ttyUSB0", .baud = 921600, .chip = "auto",
				 .before = "default_reset", .after = "hard-reset",
				 .flash_mode = "keep", .flash_freq = "keep", .flash_size = "keep" };
	char want[2048], *got;

	make_fw(&fw, dir);
	r.fw = &fw;
	got = flash_argv(4, &r);
	snprintf(want, sizeof want,
		 "--port /dev/ttyUSB0 --baud 921600 --before default_reset --after hard_reset write_flash 0x1000 %s/boot.bin 0x10000 %s/app.bin",
		 dir, dir);
	is_str(got, want, "v4 argv: underscores, chip auto and keep left out, images by offset");
	free(got);
	got = flash_argv(5, &r);
	snprintf(want, sizeof want,
		 "--port /dev/ttyUSB0 --baud 921600 --before default-reset --after hard-reset write-flash 0x1000 %s/boot.bin 0x10000 %s/app.bin",
		 dir, dir);
	is_str(got, want, "v5 argv: dashes");
	free(got);

	r.chip = "esp32";
	r.before = "no-reset";
	r.after = "no_reset_stub";
	r.connect_attempts = 3;
	r.flash_mode = "dio";
	r.flash_size = "4MB";
	r.erase_all = true;
	fw.flash_freq = strdup("80m");
	got = flash_argv(4, &r);
	snprintf(want, sizeof want,
		 "--port /dev/ttyUSB0 --baud 921600 --chip esp32 --before no_reset --after no_reset_stub --connect-attempts 3 write_flash --flash_mode dio --flash_freq 80m --flash_size 4MB --erase-all 0x1000 %s/boot.bin 0x10000 %s/app.bin",
		 dir, dir);
	is_str(got, want, "v4 argv with every option (flash_freq from flash_args)");
	free(got);
	got = flash_argv(5, &r);
	snprintf(want, sizeof want,
		 "--port /dev/ttyUSB0 --baud 921600 --chip esp32 --before no-reset --after no-reset-stub --connect-attempts 3 write-flash --flash-mode dio --flash-freq 80m --flash-size 4MB --erase-all 0x1000 %s/boot.bin 0x10000 %s/app.bin",
		 dir, dir);
	is_str(got, want, "v5 argv with every option");
	free(got);
	fw.flash_mode = strdup("qio");
	got = flash_argv(4, &r);
	ok(strstr(got, "--flash_mode qio ") != NULL,
	   "flash option precedence: the flash_args file wins over [esp32] flash_mode");
	free(got);
	free(fw.flash_mode);
	fw.flash_mode = strdup("keep");
	got = flash_argv(4, &r);
	ok(!strstr(got, "--flash_mode"), "a flash_args 'keep' wins too: the option is not passed");
	free(got);
	r.skip_identical = true;
	got = flash_argv(5, &r);
	ok(!strstr(got, "--skip-flashed"), "v5 skip_identical: never with --erase-all");
	free(got);
	r.erase_all = false;
	got = flash_argv(5, &r);
	ok(strstr(got, " write-flash --skip-flashed ") != NULL, "v5 skip_identical: --skip-flashed");
	free(got);
	r.verify_only = true;
	got = flash_argv(4, &r);
	snprintf(want, sizeof want,
		 "--port /dev/ttyUSB0 --baud 921600 --chip esp32 --before no_reset --after no_reset_stub --connect-attempts 3 verify_flash --flash_freq 80m --flash_size 4MB 0x1000 %s/boot.bin 0x10000 %s/app.bin",
		 dir, dir);
	is_str(got, want, "v4 skip_identical's pass: verify_flash with the same images and options");
	free(got);
	firmware_release(&fw);
}

/* v5 --skip-flashed: an image found in flash counts as written and verified. */
static void skipped_images(void)
{
	static const uint64_t sizes[] = { 4096, 65536 };
	struct flash_progress p;
	struct job_status st = { .exited = true, .code = 0 };

	flash_progress_init(&p, 2, sizes);
	flasher_esptool_v5.parse(&p, JOB_STDOUT, "'boot.bin' at 0x00001000 already in flash, skipping write.", 58, false);
	flasher_esptool_v5.parse(&p, JOB_STDOUT, "'app.bin' at 0x00010000 already in flash, skipping write.", 57, false);
	is_int(p.skipped, 2, "v5: both images skipped");
	is_int(flasher_esptool_v5.finish(&p, &st), OUTCOME_OK, "v5: every image skipped is ok with exit 0");
	flash_progress_init(&p, 2, sizes);
	flasher_esptool_v5.parse(&p, JOB_STDOUT, "'boot.bin' at 0x00001000 already in flash, skipping write.", 58, false);
	is_int(flasher_esptool_v5.finish(&p, &st), OUTCOME_OTHER, "v5: one of two skipped and nothing written is no success");
}

static void version_detection(void)
{
	struct esptool t;
	struct job_spec spec = JOB_SPEC_INIT;
	char *s;

	esptool_init(&t);
	strvec_push(&t.cmd, "python3");
	strvec_push(&t.cmd, "-m");
	strvec_push(&t.cmd, "esptool");
	esptool_version_spec(&t, &spec);
	s = strvec_join(&spec.argv, " ");
	is_str(s, "python3 -m esptool version", "version job: the 'version' subcommand (v4 and v5)");
	free(s);
	job_spec_release(&spec);

	ok(!esptool_parse_version(&t, "Warning: Deprecated: Command 'x' is deprecated."),
	   "a warning line is not a version");
	ok(esptool_parse_version(&t, "esptool.py v4.12.0"), "esptool.py v4.12.0 recognised");
	is_int(t.major, 4, "major 4");
	is_str(t.version, "4.12.0", "version string");
	ok(esptool_flasher(&t) == &flasher_esptool_v4, "v4 parser chosen");
	t.major = 0;
	ok(esptool_parse_version(&t, "esptool v5.3.1"), "esptool v5.3.1 recognised");
	is_int(t.major, 5, "major 5");
	ok(esptool_flasher(&t) == &flasher_esptool_v5, "v5 parser chosen");
	t.major = 0;
	ok(esptool_parse_version(&t, "5.0.dev3"), "a bare version line recognised");
	is_str(t.version, "5.0.dev3", "dev version kept");
	t.major = 0;
	ok(!esptool_parse_version(&t, "4 errors"), "'4 errors' is not a version");
	esptool_release(&t);
}

/* An executable file named name in dir. */
static void put_exe(const char *dir, const char *name)
{
	char p[512];

	snprintf(p, sizeof p, "%s/%s", dir, name);
	write_file_atomic(p, "#!/bin/sh\n", 10, 0755);
}

static void resolve(const char *dir)
{
	struct esptool t;
	struct strbuf err = STRBUF_INIT;
	char bin[512], want[600];
	char *old = getenv("PATH") ? strdup(getenv("PATH")) : NULL;

	snprintf(bin, sizeof bin, "%s/bin", dir);
	mkdir(bin, 0755);
	setenv("PATH", bin, 1);
	esptool_init(&t);
	is_int(esptool_resolve(&t, NULL, &err), -ENOENT, "nothing on PATH: -ENOENT");
	ok(strstr(err.buf, "'esptool'") && strstr(err.buf, "'esptool.py'"),
	   "the message names both esptool and esptool.py");
	put_exe(bin, "esptool.py");
	strbuf_reset(&err);
	is_int(esptool_resolve(&t, NULL, &err), 0, "esptool.py on PATH found");
	snprintf(want, sizeof want, "%s/esptool.py", bin);
	is_str(t.cmd.v[0], want, "esptool.py used when there is no esptool");
	put_exe(bin, "esptool");
	esptool_resolve(&t, NULL, &err);
	snprintf(want, sizeof want, "%s/esptool", bin);
	is_str(t.cmd.v[0], want, "esptool preferred over esptool.py");
	put_exe(bin, "python3");
	is_int(esptool_resolve(&t, "python3 -m  esptool", &err), 0, "configured command");
	is_int(t.cmd.n, 3, "configured command split into words");
	is_str(t.cmd.v[2], "esptool", "its last word");
	strbuf_reset(&err);
	is_int(esptool_resolve(&t, "/nonexistent/esptool.py", &err), -ENOENT,
	       "configured command missing: -ENOENT");
	ok(strstr(err.buf, "/nonexistent/esptool.py") != NULL, "message names it");
	esptool_release(&t);
	strbuf_release(&err);
	if (old)
		setenv("PATH", old, 1);
	free(old);
}

static void names(void)
{
	static const char *const want[] = {
		"ok", "no_sync", "port_busy", "permission", "no_port", "stopped_responding",
		"verify_failed", "timeout", "cancelled", "tool_missing", "unplugged", "other",
		"config_missing", "mcu_mismatch", "build_failed", "not_in_bootloader",
		"did_not_return", "service_failed", "printer_busy", "interrupted",
		"test_failed", "test_timeout", "unit_failed",
	};
	bool all = true;

	is_int(ARRAY_SIZE(want), OUTCOME__COUNT, "one name per outcome");
	for (int i = 0; i < OUTCOME__COUNT; i++) {
		if (strcmp(outcome_name((enum outcome)i), want[i]) ||
		    outcome_from_name(want[i]) != i || !*outcome_message((enum outcome)i))
			all = false;
	}
	ok(all, "outcome names are the contract; outcome_from_name inverts them; all have messages");
	is_int(outcome_from_name("nope"), -1, "unknown outcome name: -1");
	ok(strstr(outcome_message(OUTCOME_PERMISSION), "'dialout'") != NULL,
	   "permission message mentions the dialout group");
	ok(strstr(outcome_message(OUTCOME_NO_SYNC), "download mode") &&
		   strstr(outcome_message(OUTCOME_NO_SYNC), "BOOT"),
	   "no_sync message: download mode, hold BOOT");
	is_str(phase_name(PHASE_FLASH), "Flash", "phase name Flash");
	is_str(phase_name(PHASE_CONNECT), "Connect", "phase name Connect");
	is_str(phase_name(PHASE_TEST), "Test", "phase name Test");
	is_str(phase_name(PHASE__COUNT), "?", "out of range phase");
	ok(flasher_find("esptool-v4") == &flasher_esptool_v4 &&
		   flasher_find("esptool-v5") == &flasher_esptool_v5 &&
		   flasher_find("katapult") == &flasher_katapult &&
		   flasher_find("make-flash") == &flasher_make_flash,
	   "the flasher table finds every flasher by name");
	ok(!flasher_find("dfu-util") && !flasher_find(NULL), "an unknown flasher: NULL");
	ok(flasher_esptool_v4.spec && flasher_esptool_v5.spec && flasher_katapult.spec &&
		   flasher_make_flash.spec,
	   "every flasher builds its own job (spec)");
}

/* nftw callback: remove one entry of the temp dir. */
static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

int main(void)
{
	char dir[] = "/tmp/fb-esptool-XXXXXX";

	if (!mkdtemp(dir))
		return 1;
	names();
	write_flash_ok("v4-write_flash", 636.2, 4096);
	write_flash_ok("v4-write_flash", 636.2, 7);
	write_flash_ok("v4-write_flash.pty", 636.8, 4096);
	write_flash_ok("v4-write_flash.pty", 636.8, 1);
	write_flash_ok("v5-write_flash", 618.3, 4096);
	write_flash_ok("v5-write_flash", 618.3, 13);
	write_flash_ok("v5-write_flash.pty", 617.2, 4096);
	write_flash_ok("v5-write_flash.pty", 617.2, 3);
	write_flash_ok("v5-write_flash.pipe-xterm", 615.8, 4096);
	percents();
	facts_only("v4-read_mac");
	facts_only("v4-read_mac.pty");
	facts_only("v4-chip_id");
	facts_only("v4-chip_id.pty");
	facts_only("v5-read_mac");
	facts_only("v5-read_mac.pty");
	facts_only("v5-chip_id");
	facts_only("v5-chip_id.pty");
	failure("v4-no_sync", OUTCOME_NO_SYNC, "Failed to connect to Espressif device", PHASE_CONNECT,
		4096, false);
	failure("v4-no_sync.pty", OUTCOME_NO_SYNC, "Failed to connect", PHASE_CONNECT, 5, false);
	failure("v5-no_sync", OUTCOME_NO_SYNC, "Failed to connect to Espressif device",
		PHASE_CONNECT, 4096, false);
	failure("v5-no_sync.pty", OUTCOME_NO_SYNC, "Failed to connect", PHASE_CONNECT, 4096, true);
	failure("v4-no_port", OUTCOME_NO_PORT, "[Errno 2]", PHASE_CONNECT, 4096, false);
	failure("v4-no_port.pty", OUTCOME_NO_PORT, "No such file or directory", PHASE_CONNECT, 9,
		false);
	failure("v5-no_port", OUTCOME_NO_PORT, "[Errno 2]", PHASE_CONNECT, 4096, false);
	failure("v5-no_port.pty", OUTCOME_NO_PORT, "Could not open /tmp/esp/ttyUSB9",
		PHASE_CONNECT, 4096, true);
	fail_at_40("v4-fail_at_40");
	fail_at_40("v4-fail_at_40.pty");
	fail_at_40("v5-fail_at_40");
	fail_at_40("v5-fail_at_40.pty");
	fail_at_40("v5-fail_at_40.pipe-xterm");
	failure("v5-fail_at_40", OUTCOME_STOPPED_RESPONDING, "No more data", PHASE_FLASH, 4096,
		true);
	unplug_at_40("v4-unplug_at_40", 4096, false);
	unplug_at_40("v4-unplug_at_40", 1, false);
	unplug_at_40("v5-unplug_at_40", 4096, false);
	unplug_at_40("v5-unplug_at_40", 4096, true);
	unplug_at_40("v5-unplug_at_40", 7, false);
	xterm_same_as_pipe("v5-write_flash");
	xterm_same_as_pipe("v5-fail_at_40");
	synthetic_errors();
	finish_rules();
	other_last_words();
	mac_lines();
	argv_building(dir);
	skipped_images();
	version_detection();
	resolve(dir);
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return done_testing();
}
