/* esptool.h - running Espressif's esptool, version 4 or 5.
 *
 * The version is detected once (`esptool --version`) and every argv is built
 * for it: v4 `write_flash`, `--before no_reset`, `--flash_mode`; v5
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

struct firmware;

struct esptool {
	struct strvec cmd;  /* the command words, e.g. {"esptool"} or {"python3","-m","esptool"} */
	int major;          /* 4 or 5; 0 until detected */
	char version[32];   /* "4.12.0" */
};

struct esp_request {
	const char *port;
	unsigned baud;
	const char *chip;          /* "auto" or a chip name */
	const char *before, *after;/* either spelling */
	unsigned connect_attempts; /* 0: esptool's default */
	const char *flash_mode, *flash_freq, *flash_size; /* "keep" or NULL: not passed */
	bool erase_all;
	const struct firmware *fw;
};

void esptool_init(struct esptool *t);
void esptool_release(struct esptool *t);
/* Choose the command: the configured one (words), else "esptool" if on
 * PATH, else "esptool.py". Returns -ENOENT with a message if none found. */
int esptool_resolve(struct esptool *t, const char *configured, struct strbuf *err);
/* The job that prints the version (argv = cmd + "--version"). */
void esptool_version_spec(const struct esptool *t, struct job_spec *spec);
/* Feed a line of that job's output; true once the version is known. */
bool esptool_parse_version(struct esptool *t, const char *line);
/* The job that flashes r (argv, env, no timeout set). */
void esptool_flash_spec(const struct esptool *t, const struct esp_request *r, struct job_spec *spec);
/* The parser for the detected version. */
const struct flasher *esptool_flasher(const struct esptool *t);

extern const struct flasher flasher_esptool_v4;
extern const struct flasher flasher_esptool_v5;

#endif
