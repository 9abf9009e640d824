/* demo.h - `--demo [N]`: simulated boards and a simulated flasher, fed
 * through the same interfaces as the real ones (a devices backend, and an
 * esptool-compatible child process), so the engine and the views run exactly
 * as in production. Everything lives in a private temp folder, including a
 * separate history database.
 */
#ifndef FLASHBAY_DEMO_H
#define FLASHBAY_DEMO_H

#include <stdbool.h>

#include "strbuf.h"

struct config;
struct devices_opts;
struct firmware;
struct demo;

/* Prepare a demo of n boards: temp folder with firmware images and a history
 * database, cfg pointed at them and at the simulated esptool (this binary's
 * hidden `_sim-esptool` command), dopts given the simulated backend, fw
 * filled (fw NULL: no images). live: the boards appear one by one and are
 * re-plugged now and then (the dashboard, monitor); else all n are there
 * when the devices are opened, for one-shot commands (list, flash).
 * NULL + err on failure. */
struct demo *demo_new(int n, bool live, struct config *cfg, struct devices_opts *dopts,
		      struct firmware *fw, struct strbuf *err);
/* Remove the temp folder and free. */
void demo_free(struct demo *demo);

/* The hidden `flashbay _sim-esptool ARGS`: behaves like esptool v5 on a
 * simulated board (realistic timing and output, some failures). */
int cmd_sim_esptool(int argc, char **argv);

#endif
