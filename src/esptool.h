/* esptool.h - running Espressif's esptool, version 4 or 5.
 *
 * The version is detected once with `esptool version` (a subcommand that both
 * v4 and v5 have; v4 rejects `--version` as an unrecognized argument) and
 * every argv is built for it: v4 `write_flash`, `--before no_reset`, `--flash_mode`; v5
 * `write-flash`, `--before no-reset`, `--flash-mode`. The configuration
 * accepts either spelling. esptool runs with NO_COLOR=1 TERM=dumb
 * PYTHONUNBUFFERED=1 (v5 writes cursor escapes into pipes otherwise).
 */
#ifndef FLASHBAY_ESPTOOL_H
#define FLASHBAY_ESPTOOL_H

#include <stdbool.h>

#include "flasher.h"
#include "job.h"
#include "strbuf.h"
#include "strvec.h"

struct esptool {
	struct strvec cmd;  /* the command words, e.g. {"esptool"} or {"python3","-m","esptool"} */
	int major;          /* 4 or 5; 0 until detected */
	char version[32];   /* "4.12.0" */
};

void esptool_init(struct esptool *t);
void esptool_release(struct esptool *t);
/* Choose the command: the configured one (split into words, no shell; its
 * first word looked up on $PATH unless it has a '/'), else "esptool" if on
 * PATH, else "esptool.py". t->cmd[0] becomes the path found. Returns
 * -ENOENT with a message in err if none is found. */
int esptool_resolve(struct esptool *t, const char *configured, struct strbuf *err);
/* The job that prints the version (argv = cmd + "version", 30 s timeout). */
void esptool_version_spec(const struct esptool *t, struct job_spec *spec);
/* Feed a line of that job's output ("esptool.py v4.12.0", "esptool v5.3.1"
 * or a bare "4.12.0"); true once the version is known. */
bool esptool_parse_version(struct esptool *t, const char *line);
/* Add the environment every esptool run gets (NO_COLOR=1 TERM=dumb
 * PYTHONUNBUFFERED=1) to env. */
void esptool_push_env(struct strvec *env);
/* The flasher for the detected version (v4 for anything below 5, including
 * an undetected version). Its spec() builds cmd --port P --baud B [--chip C]
 * --before X --after Y [--connect-attempts N] write_flash [--flash_mode M
 * ...] [--erase-all] 0xOFF FILE... in the version's spelling (v5:
 * write-flash, --flash-mode, no-reset) from a flash_request whose tool is
 * the resolved t->cmd. */
const struct flasher *esptool_flasher(const struct esptool *t);

/* The job that reads the board's chip and MAC (per-unit data): r's
 * connection options (port, baud, chip, before, after, connect attempts,
 * timeout) and `--no-stub read_mac` (v5: read-mac). Its output goes to an
 * esptool flasher's parse() like a flash's; finish() with no images. */
void esptool_read_mac_spec(const struct esptool *t, const struct flash_request *r,
			   struct job_spec *spec);

/* For tests and tools: "Wrote N bytes" lines seen, and whether esptool
 * said it lost the port, in a progress that an esptool flasher parsed. */
int esptool_progress_wrote(const struct flash_progress *p);
bool esptool_progress_lost_port(const struct flash_progress *p);

#endif
