/* flasher-makeflash.c - reading `make flash FLASH_DEVICE=...` in a Klipper tree.
 *
 * Klipper's scripts/flash_usb.py puts the board in its bootloader and runs
 * dfu-util (STM32), rp2040_flash (RP2040), hid-flash, or Katapult's flash
 * tool when it finds Katapult; on failure it prints "Failed to flash to DEV:
 * REASON" and help text, and make ends with "make: *** [...] Error 255"
 * (see tests/fixtures/klipper/transcripts/flash-*.txt). Two traps: with
 * FLASH_DEVICE=2e8a:0003 and no board in BOOTSEL mode rp2040_flash prints
 * "No rp2040 in BOOTSEL mode was found" and make exits 0; and as a
 * non-root user the helpers run through sudo, which cannot ask for a
 * password here (use NOSUDO=1 as root, see klipper_flash_nosudo()).
 *
 * Lines are first given to the Katapult parser (progress bars, FlashError),
 * then checked for make/flash_usb.py/dfu-util/rp2040_flash messages.
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "klipper.h"
#include "str.h"

/* "Download	[=====     ]  45%        20480 bytes": the percent, or -1. */
static int dfu_percent(const char *line)
{
	const char *pct = strchr(line, '%');
	const char *c;

	if (!pct || pct == line)
		return -1;
	for (c = pct; c > line && c[-1] >= '0' && c[-1] <= '9'; c--)
		;
	return c == pct ? -1 : atoi(c);
}

/* Progress and success lines of the helpers. */
static bool mf_progress(struct flash_progress *p, const char *line)
{
	int pct;

	if (str_starts_with(line, "  Flashing ") || str_starts_with(line, "Flashing ")) {
		p->phase = PHASE_FLASH;
	} else if (str_starts_with(line, "Entering bootloader on ") ||
		   str_starts_with(line, "Device reconnect on ")) {
		p->phase = PHASE_CONNECT;
	} else if (str_starts_with(line, "Erase") && (pct = dfu_percent(line)) >= 0) {
		p->phase = PHASE_ERASE;
	} else if (str_starts_with(line, "Download") && (pct = dfu_percent(line)) >= 0) {
		p->phase = PHASE_FLASH;
		p->image = p->image ? p->image : 1;
		p->image_pct = p->overall_pct = pct > 100 ? 100 : pct;
	} else if (!strcmp(line, "Download done.") || !strcmp(line, "File downloaded successfully")) {
		p->complete = true;
		p->image_pct = p->overall_pct = 100;
		p->bytes_written = p->bytes_total;
	} else {
		return false;
	}
	return true;
}

/* Failures told by flash_usb.py, dfu-util, rp2040_flash, sudo and make. */
static void mf_errors(struct flash_progress *p, const char *line)
{
	const char *reason;

	if (strstr(line, "No rp2040 in BOOTSEL mode was found") ||
	    strstr(line, "No DFU capable USB device available")) {
		flash_progress_fail(p, OUTCOME_NOT_IN_BOOTLOADER, "the board is not in its bootloader (%s)", line);
	} else if (strstr(line, "LIBUSB_ERROR_ACCESS") || strstr(line, "Cannot open DFU device")) {
		flash_progress_fail(p, OUTCOME_PERMISSION, "%s (no permission for the USB device: run as root or add a udev rule)",
			line);
	} else if (str_starts_with(line, "sudo: ")) {
		flash_progress_fail(p, OUTCOME_PERMISSION, "%s (make flash runs its helper through sudo, which cannot "
			"ask for a password here: run flashbay as root)", line);
	} else if (str_starts_with(line, "Failed to flash to ") && (reason = strstr(line, ": "))) {
		reason += 2;
		if (str_starts_with(reason, "Unable to find"))
			flash_progress_fail(p, OUTCOME_NO_PORT, "%s", line);
		else
			flash_progress_fail(p, OUTCOME_OTHER, "%s", line);
	} else if (strstr(line, "Please specify FLASH_DEVICE") ||
		   strstr(line, "USB flashing is not supported")) {
		flash_progress_fail(p, OUTCOME_OTHER, "%s", line);
	} else if (strstr(line, "No rule to make target")) {
		flash_progress_fail(p, OUTCOME_OTHER, "%s", line);
	}
}

/* The job.h line callback, for both streams. */
static void makeflash_parse(struct flash_progress *p, enum job_stream stream, const char *line,
			    size_t len, bool partial)
{
	flasher_katapult_parse_line(p, stream, line, len, partial);
	if (partial)
		return;
	if (!mf_progress(p, line))
		mf_errors(p, line);
}

/* The outcome once make has ended. */
static enum outcome makeflash_finish(struct flash_progress *p, const struct job_status *st)
{
	if (p->error != OUTCOME_OK)
		return p->error;
	if (st->code == 0 && !st->signo)
		return OUTCOME_OK;
	if (st->signo)
		flash_progress_fail(p, OUTCOME_OTHER, "make flash was killed by signal %d", st->signo);
	else
		flash_progress_fail(p, OUTCOME_OTHER, "make flash failed (exit %d)", st->code);
	return p->error;
}

/* spec(): make KCONFIG_CONFIG=... OUT=... FLASH_DEVICE=PORT [NOSUDO=1] flash
 * in r->kp's tree (NOSUDO=1 as root), with [klipper] flash_timeout. */
static void makeflash_spec(const struct flash_request *r, struct job_spec *spec)
{
	klipper_make_spec(r->kp, spec);
	strvec_pushf(&spec->argv, "FLASH_DEVICE=%s", r->port);
	if (klipper_flash_nosudo())
		strvec_push(&spec->argv, "NOSUDO=1");
	strvec_push(&spec->argv, "flash");
	spec->timeout_ms = r->kp->flash_timeout_ms;
}

const struct flasher flasher_make_flash = {
	.name = "make-flash",
	.method = "make_flash",
	.spec = makeflash_spec,
	.parse = makeflash_parse,
	.finish = makeflash_finish,
};
