/* flasher.c - the flasher table; phase and outcome names and messages;
 * progress reset. */
#include "autoconf.h"

#include "flasher.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "array.h"

static const char *const phase_names[PHASE__COUNT] = {
	[PHASE_IDLE] = "Idle",       [PHASE_QUEUED] = "Queued",   [PHASE_DETECT] = "Detect",
	[PHASE_CONNECT] = "Connect", [PHASE_ERASE] = "Erase",     [PHASE_FLASH] = "Flash",
	[PHASE_VERIFY] = "Verify",   [PHASE_RESET] = "Reset",     [PHASE_CONFIG] = "Config",
	[PHASE_BUILD] = "Build",     [PHASE_SERVICE] = "Service", [PHASE_REAPPEAR] = "Reappear",
	[PHASE_UNIT] = "Unit",       [PHASE_DONE] = "Done",       [PHASE_TEST] = "Test",
};

const char *phase_name(enum phase phase)
{
	if ((unsigned)phase >= PHASE__COUNT)
		return "?";
	return phase_names[phase];
}

struct outcome_text {
	const char *name;
	const char *message;
};

static const struct outcome_text outcomes[OUTCOME__COUNT] = {
	[OUTCOME_OK] = { "ok", "flashed and verified" },
	[OUTCOME_NO_SYNC] = { "no_sync",
			      "board not in download mode (hold BOOT, or check the cable)" },
	[OUTCOME_PORT_BUSY] = { "port_busy", "port busy: another program has it open" },
	[OUTCOME_PERMISSION] = { "permission",
				 "permission denied on the port (is the user in the 'dialout' group?)" },
	[OUTCOME_NO_PORT] = { "no_port", "no such port (board unplugged?)" },
	[OUTCOME_STOPPED_RESPONDING] = { "stopped_responding",
					 "the board stopped responding mid-flash (cable, power?)" },
	[OUTCOME_VERIFY_FAILED] = { "verify_failed",
				    "verification failed: flash contents differ from the image" },
	[OUTCOME_TIMEOUT] = { "timeout", "timed out" },
	[OUTCOME_CANCELLED] = { "cancelled", "cancelled" },
	[OUTCOME_TOOL_MISSING] = { "tool_missing", "flashing tool not found (is it installed?)" },
	[OUTCOME_UNPLUGGED] = { "unplugged", "the board was unplugged mid-flash" },
	[OUTCOME_OTHER] = { "other", "failed" },
	[OUTCOME_CONFIG_MISSING] = { "config_missing", "no saved build configuration for this board" },
	[OUTCOME_MCU_MISMATCH] = { "mcu_mismatch", "the board's MCU does not match its configuration" },
	[OUTCOME_BUILD_FAILED] = { "build_failed", "the firmware build failed" },
	[OUTCOME_NOT_IN_BOOTLOADER] = { "not_in_bootloader",
					"the board is not in its bootloader (Katapult)" },
	[OUTCOME_DID_NOT_RETURN] = { "did_not_return",
				     "the board did not come back after flashing" },
	[OUTCOME_SERVICE_FAILED] = { "service_failed", "stopping or starting the printer service failed" },
	[OUTCOME_PRINTER_BUSY] = { "printer_busy", "the printer is printing or paused" },
	[OUTCOME_INTERRUPTED] = { "interrupted", "flashbay was interrupted mid-attempt" },
	[OUTCOME_TEST_FAILED] = { "test_failed", "the test after flashing failed" },
	[OUTCOME_TEST_TIMEOUT] = { "test_timeout",
				   "the test after flashing did not pass in time" },
	[OUTCOME_UNIT_FAILED] = { "unit_failed",
				  "the per-unit data could not be made ([unit] command, serial or MAC)" },
};

const char *outcome_name(enum outcome o)
{
	if ((unsigned)o >= OUTCOME__COUNT)
		return "other";
	return outcomes[o].name;
}

const char *outcome_message(enum outcome o)
{
	if ((unsigned)o >= OUTCOME__COUNT)
		return outcomes[OUTCOME_OTHER].message;
	return outcomes[o].message;
}

int outcome_from_name(const char *name)
{
	for (int i = 0; name && i < OUTCOME__COUNT; i++)
		if (!strcmp(outcomes[i].name, name))
			return i;
	return -1;
}

/* Every flasher: one row each. */
static const struct flasher *const flashers[] = {
	&flasher_esptool_v4,
	&flasher_esptool_v5,
	&flasher_katapult,
	&flasher_make_flash,
};

const struct flasher *flasher_find(const char *name)
{
	for (size_t i = 0; name && i < ARRAY_SIZE(flashers); i++)
		if (!strcmp(flashers[i]->name, name))
			return flashers[i];
	return NULL;
}

void flash_progress_fail(struct flash_progress *p, enum outcome o, const char *fmt, ...)
{
	va_list ap;

	if (p->error != OUTCOME_OK)
		return;
	p->error = o;
	va_start(ap, fmt);
	vsnprintf(p->message, sizeof p->message, fmt, ap);
	va_end(ap);
}

void flash_progress_init(struct flash_progress *p, int images, const uint64_t *sizes)
{
	memset(p, 0, sizeof *p);
	p->phase = PHASE_IDLE;
	p->images = images;
	p->sizes = sizes;
	p->error = OUTCOME_OK;
	for (int i = 0; sizes && i < images; i++)
		p->bytes_total += sizes[i];
}
