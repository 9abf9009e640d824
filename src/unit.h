/* unit.h - per-unit data ([unit] in flashbay.conf): the configuration
 * check, the serial sources (a counter format or a CSV file of serials with
 * extra columns), the unit command's job and the check of what it wrote.
 *
 * For each ESP32 board, when [unit] command is set, the engine (app-esp32-unit.c)
 * reads the board's chip and MAC, takes its serial (history-serials.h), runs
 * the command with FLASHBAY_MAC, FLASHBAY_CHIP, FLASHBAY_SERIAL, FLASHBAY_SLOT,
 * FLASHBAY_STATION, FLASHBAY_OUT (the file to write) and one FLASHBAY_<COLUMN>
 * per extra CSV column in its environment, and writes the file at [unit]
 * offset in the same esptool run as the firmware.
 */
#ifndef FLASHBAY_UNIT_H
#define FLASHBAY_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "job.h"
#include "strbuf.h"
#include "strvec.h"

struct config;
struct firmware;

/* Labels (dashboard scan field, flash --label): at most this many bytes. */
#define UNIT_LABEL_MAX 64
/* Serials: at most this many bytes. */
#define UNIT_SERIAL_MAX 64

/* Is [unit] on (a command is set)? */
bool unit_enabled(const struct config *cfg);

/* Check [unit] before anything runs: the command's program exists and is
 * executable, offset is given (a warning in warn unless on a 4 KiB sector)
 * and does not overlap fw's images (fw may be NULL), serials is a valid
 * counter or a readable CSV with a serial column, the history is on.
 * 0, or -EINVAL with one message in err. Nothing when [unit] is off. */
int unit_config_check(const struct config *cfg, const struct firmware *fw, bool history,
		      struct strbuf *err, struct strbuf *warn);

/* "counter:PREFIX%0Nd SUFFIX" (one %d or %0Nd, N < 20; "%%" is a '%'). */
struct unit_counter {
	char *prefix, *suffix;
	int width;
};
/* Parse the text after "counter:". 0, or -EINVAL with why in err. */
int unit_counter_parse(const char *fmt, struct unit_counter *c, struct strbuf *err);
/* The serial of counter value n into out (appended). */
void unit_counter_format(const struct unit_counter *c, long long n, struct strbuf *out);
void unit_counter_release(struct unit_counter *c);

/* A CSV file of serials: a header naming the columns, one of them "serial"
 * (case-insensitive), and one row per unit. */
struct unit_csv {
	struct strvec names;  /* the header's column names */
	struct strvec *rows;  /* each as many fields as names (short rows padded) */
	size_t n;
	size_t serial_col;
};
/* Read path. 0, or -errno with why in err (file:line for a bad row). */
int unit_csv_load(const char *path, struct unit_csv *csv, struct strbuf *err);
void unit_csv_release(struct unit_csv *csv);
/* The row whose serial is s, or NULL. */
const struct strvec *unit_csv_find(const struct unit_csv *csv, const char *s);

/* The environment name of CSV column name: "FLASHBAY_" + the name in upper
 * case, every character outside [A-Z0-9_] turned into '_' ("batch id" ->
 * FLASHBAY_BATCH_ID). Appended to out. */
void unit_env_name(const char *name, struct strbuf *out);

/* What the unit command is told. */
struct unit_request {
	const char *mac, *chip, *serial, *station, *out;
	unsigned slot;
	const struct unit_csv *csv; /* extra columns of row (may be NULL) */
	const struct strvec *row;
};
/* The job of the unit command for r: cfg's argv, env, timeout. */
void unit_command_spec(const struct config *cfg, const struct unit_request *r,
		       struct job_spec *spec);
/* What the command wrote at path: not empty, at most max bytes; its
 * SHA-256 into sha. 0, or -errno with why in err. */
int unit_check_output(const char *path, uint64_t max, char sha[65], struct strbuf *err);

/* A fresh private directory for one command's output (mode 0700, under
 * $TMPDIR or /tmp). Caller removes it (remove_tree) and frees. NULL + err. */
char *unit_tempdir(struct strbuf *err);

/* Make a label safe to keep: control characters dropped, spaces at either
 * end trimmed, at most UNIT_LABEL_MAX bytes (cut on a UTF-8 boundary). */
void unit_label_clean(const char *in, char out[UNIT_LABEL_MAX + 1]);

#endif
