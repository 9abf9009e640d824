/* flasher.h - a flashing tool as data: how to run it, how to read its
 * output and how to judge how it ended. Adding a tool (dfu-util, avrdude,
 * picotool) is one more const struct flasher in its own file (spec, parse,
 * finish) and the one line that picks it, nothing else.
 *
 * The engine fills a struct flash_request and asks the flasher's spec() for
 * the job (argv, env, timeout); it feeds every line of the tool's output
 * to parse(), which updates a struct flash_progress (tool-neutral: phase,
 * percent, bytes, image n of m, facts such as chip, MAC and MCU, and the
 * failure class and message of any error line; the tool's own parser state
 * stays private to its flasher); when the job ends, finish() decides the
 * outcome from the progress and the exit status.
 */
#ifndef FLASHBAY_FLASHER_H
#define FLASHBAY_FLASHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "job.h"

enum phase {
	PHASE_IDLE,
	PHASE_QUEUED,
	PHASE_DETECT,   /* finding the tool / its version */
	PHASE_CONNECT,
	PHASE_ERASE,
	PHASE_FLASH,
	PHASE_VERIFY,
	PHASE_RESET,
	PHASE_CONFIG,
	PHASE_BUILD,
	PHASE_SERVICE,
	PHASE_REAPPEAR, /* waiting for the board to come back */
	PHASE_UNIT,     /* per-unit data: read_mac, serial, the unit command */
	PHASE_DONE,
	PHASE_TEST,     /* the test after flashing reads the board (teststep.h) */
	PHASE__COUNT
};

/* "Connect", "Flash", "Verify", "Build", ... */
const char *phase_name(enum phase phase);

/* Outcome classes. Names (outcome_name) are a contract: they appear in
 * --json output, the history database and CSV exports. */
enum outcome {
	OUTCOME_OK,
	OUTCOME_NO_SYNC,            /* board not in download mode / Failed to connect */
	OUTCOME_PORT_BUSY,
	OUTCOME_PERMISSION,         /* EACCES: the dialout group */
	OUTCOME_NO_PORT,
	OUTCOME_STOPPED_RESPONDING, /* mid-flash */
	OUTCOME_VERIFY_FAILED,
	OUTCOME_TIMEOUT,
	OUTCOME_CANCELLED,
	OUTCOME_TOOL_MISSING,
	OUTCOME_UNPLUGGED,          /* the board went away mid-flash */
	OUTCOME_OTHER,
	/* Klipper/Katapult */
	OUTCOME_CONFIG_MISSING,
	OUTCOME_MCU_MISMATCH,
	OUTCOME_BUILD_FAILED,
	OUTCOME_NOT_IN_BOOTLOADER,  /* "Device is not Katapult" */
	OUTCOME_DID_NOT_RETURN,     /* not back with a Klipper by-id name in time */
	OUTCOME_SERVICE_FAILED,
	OUTCOME_PRINTER_BUSY,       /* Moonraker: printing or paused */
	OUTCOME_INTERRUPTED,        /* flashbay died mid-attempt (set by history) */
	/* the test after flashing (teststep.h) */
	OUTCOME_TEST_FAILED,        /* [test] fail matched a line */
	OUTCOME_TEST_TIMEOUT,       /* [test] pass matched no line in time */
	/* per-unit data (unit.h) */
	OUTCOME_UNIT_FAILED,        /* no MAC, no serial, or the unit command failed */
	OUTCOME__COUNT
};

/* "ok", "no_sync", "port_busy", ... */
const char *outcome_name(enum outcome o);
/* A short human message: "board not in download mode (hold BOOT, or check the cable)". */
const char *outcome_message(enum outcome o);
/* Inverse of outcome_name(); -1 if unknown. */
int outcome_from_name(const char *name);

/* What the tool told us about the board. */
struct flash_facts {
	char chip[64];        /* "ESP32-D0WD-V3" */
	char revision[16];    /* "v3.0" */
	char features[160];
	char crystal[16];     /* "40MHz" */
	char mac[24];         /* "24:0a:c4:12:34:56" */
	char mcu[40];         /* Klipper/Katapult MCU, e.g. "stm32h723xx" */
	char tool_version[32];
};

/* Room for the running flasher's parser state (see struct flash_progress). */
#define FLASH_PARSER_STATE_SIZE 384

/* A run's progress as any tool reports it; what the views, the history and
 * the attempt read. The tool's parser state is private to its flasher. */
struct flash_progress {
	enum phase phase;
	int image;                /* 1-based image being written; 0 before the first */
	int images;               /* number of images in the request */
	const uint64_t *sizes;    /* image sizes in write order (borrowed), or NULL */
	double image_pct;         /* 0..100, current image */
	double overall_pct;       /* 0..100 across all images, weighted by size */
	uint64_t bytes_total;     /* sum of sizes */
	uint64_t bytes_written;   /* confirmed by the tool ("Wrote N bytes") */
	double kbps;              /* the tool's last rate; 0 if none yet */
	int verified;             /* images (or passes) the tool confirmed it verified */
	bool complete;            /* the tool's own success marker was seen */
	int skipped;              /* images the tool found already in flash, not written */
	uint64_t deadline_ms;     /* CLOCK_MONOTONIC end of a timed step (Test), 0: none */
	enum outcome error;       /* class of the first error line; OUTCOME_OK if none */
	char message[256];        /* that error line (raw) */
	struct flash_facts facts;
	/* The running flasher's parser state: a struct private to its .c file
	 * (which checks that it fits), zeroed by flash_progress_init(); nobody
	 * else reads it. */
	union {
		unsigned char bytes[FLASH_PARSER_STATE_SIZE];
		max_align_t align;
	} parser;
};

struct firmware;
struct klipper_paths;

/* What a flasher's spec() needs to build its job. All borrowed; read only
 * during the spec() call. Each flasher reads the fields marked for it. */
struct flash_request {
	const char *port;             /* the board's device path (all) */
	const struct strvec *tool;    /* the tool's command words (esptool) */
	const char *python;           /* interpreter words, NULL: "python3" (katapult) */
	const char *tool_dir;         /* the tool's checkout: katapult_dir (katapult) */
	const struct klipper_paths *kp; /* Klipper tree, config, timeouts (make flash) */
	const struct firmware *fw;    /* images at offsets and the flash_args options (esptool) */
	const char *artifact;         /* the one file to write (katapult) */
	uint64_t timeout_ms;          /* 0: none (esptool, katapult; make flash uses kp's) */
	/* esptool's options, the [esp32] settings in either spelling */
	unsigned baud;                /* 0: 115200 */
	const char *chip;             /* "auto", NULL or a chip name */
	const char *before, *after;   /* NULL: default_reset, hard_reset */
	unsigned connect_attempts;    /* 0: esptool's default */
	/* the [esp32] settings; precedence, decided in one place (flasher-esptool.c):
	 * the firmware's flash_args file > these > "keep" (or NULL: the image
	 * header as built, the option not passed) */
	const char *flash_mode, *flash_freq, *flash_size;
	bool erase_all;
	/* skip if identical (esptool): v5 write-flash --skip-flashed; v4 has
	 * no such option, so verify_only asks for a verify_flash of the images
	 * instead (exit 0: the flash holds them all) */
	bool skip_identical, verify_only;
};

struct flasher {
	const char *name;   /* "esptool-v4" */
	const char *method; /* recorded in history: "esptool v4" */
	/* Fill spec (initialised by the caller, who releases it) with the job
	 * that flashes r: argv, env, timeout. */
	void (*spec)(const struct flash_request *r, struct job_spec *spec);
	/* One line of output (see job_ops.line; partial lines included). */
	void (*parse)(struct flash_progress *p, enum job_stream stream, const char *line,
		      size_t len, bool partial);
	/* The outcome once the job has ended (timeout and cancel are decided
	 * by the engine before this is asked). */
	enum outcome (*finish)(struct flash_progress *p, const struct job_status *st);
};

/* ------------------------------------------------------------ the table
 * One row per flasher in flasher.c; a new tool is its file, its row here
 * and in flasher.c's table, and the plan that picks it by name
 * (flasher_find(); the plans name no flasher object). */

/* esptool v4 / v5 (flasher-esptool.c); see esptool_flasher(). */
extern const struct flasher flasher_esptool_v4;
extern const struct flasher flasher_esptool_v5;
/* Katapult's flashtool.py (flasher-katapult.c): spec() is python3
 * <tool_dir>/scripts/flashtool.py -d PORT -f ARTIFACT (PYTHONUNBUFFERED=1;
 * only a klipper.bin may go to Katapult, it writes the file as it is);
 * progress from the two 50-'#' bars (flash, then verify: overall 0-50 % and
 * 50-100 %), facts (mcu, Katapult version), success only with exit 0 and
 * "Programming Complete". */
extern const struct flasher flasher_katapult;
/* `make flash` (flasher-makeflash.c): its spec() is make ... FLASH_DEVICE=PORT
 * [NOSUDO=1 as root] flash in r->kp's tree (klipper_make_spec()); dfu-util,
 * rp2040_flash, hid-flash or Katapult via Klipper's flash_usb.py; an exit 0 with "No rp2040 in BOOTSEL mode was found" fails. */
extern const struct flasher flasher_make_flash;

/* The flasher named name ("esptool-v4", "esptool-v5", "katapult",
 * "make-flash"), or NULL if there is none: how plans pick theirs. */
const struct flasher *flasher_find(const char *name);

/* Record failure class o with a message, unless one is already known (the
 * first error is the cause; later ones are consequences). For parsers. */
void flash_progress_fail(struct flash_progress *p, enum outcome o, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Reset p for a run writing images of the given sizes (sizes may be NULL). */
void flash_progress_init(struct flash_progress *p, int images, const uint64_t *sizes);

#endif
