/* app-esp32-unit.h - the per-unit step of an ESP32 attempt when [unit] is
 * on (unit.h): after the run's read_mac job told the board's chip and MAC,
 * take its serial (history-serials.h), run the unit command, check what it
 * wrote, and make the run's image set: the firmware plus the unit image at
 * [unit] offset, written by the same esptool run. Views see PHASE_UNIT.
 */
#ifndef FLASHBAY_APP_ESP32_UNIT_H
#define FLASHBAY_APP_ESP32_UNIT_H

#include <stdbool.h>

#include "flasher.h"
#include "runner.h"
#include "strbuf.h"

struct app_run;
struct esp32_unit;
struct firmware;

/* The step is over (from the loop): OUTCOME_OK (esp32_unit_firmware() has
 * the images), OUTCOME_UNIT_FAILED with the reason (the command's stderr),
 * or OUTCOME_CANCELLED (stopped: the caller tells cancel from unplug). */
typedef void esp32_unit_done_fn(struct app_run *run, enum outcome o, const char *message);

/* Start the step of run, whose board's facts hold the chip and MAC; its
 * serial goes into run->at.serial (and the board's row) as soon as it is
 * taken; the board's new_serial wish is used up. 0: the command runs
 * (*task is its runner task, for runner_cancel()), done follows; or -errno
 * with why in err (no MAC, no serial, no temporary folder: nothing runs). *u
 * is created on the first call and kept for the run (free it with
 * esp32_unit_free()). */
int esp32_unit_start(struct esp32_unit **u, struct app_run *run, esp32_unit_done_fn *done,
		     struct runner_task **task, struct strbuf *err);
/* The images to write once the step succeeded, else NULL. */
const struct firmware *esp32_unit_firmware(const struct esp32_unit *u);
/* Free the step's state and its temporary folder (NULL is fine). */
void esp32_unit_free(struct esp32_unit *u);

#endif
