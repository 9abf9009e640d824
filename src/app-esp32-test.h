/* app-esp32-test.h - the Test phase of the ESP32 plan (app-esp32-test.c):
 * after esptool ended ok, the board's own self-test read from its port
 * (teststep.h) decides how the attempt ends. For app-esp32.c only. */
#ifndef FLASHBAY_APP_ESP32_TEST_H
#define FLASHBAY_APP_ESP32_TEST_H

#include <stdbool.h>

#include "job.h"

struct app_run;
struct esp32_test;

/* esptool's job ended ok with message: with [test] on, start the Test
 * phase, keep it in *slot (the run's) and return true; the run ends when
 * the test does (ok, test_failed, test_timeout or unplugged), *slot
 * cleared first. false: the test is off; end the run as usual. */
bool esp32_test_begin(struct app_run *run, struct esp32_test **slot, const char *message,
		      const struct job *job);
/* Stop the test in *slot now: the run ends unplugged if unplugged, else
 * cancelled. */
void esp32_test_stop(struct esp32_test **slot, bool unplugged);
/* Free a test without ending its run (the run is being freed). NULL is fine. */
void esp32_test_free(struct esp32_test *t);

#endif
