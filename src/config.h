/* config.h - flashbay.conf: defaults, layered files, validation.
 *
 * Files are read in order, later values overriding earlier ones:
 * /etc/flashbay/flashbay.conf (and $(sysconfdir)/flashbay/flashbay.conf when
 * that differs), $XDG_CONFIG_HOME/flashbay/flashbay.conf, then --config FILE.
 * $FLASHBAY_SYSTEM_CONFIG replaces the system path ("" skips it), for tests.
 *
 * Every key is a row of a table in config.c. Errors name file:line and the
 * key; unknown keys and sections are warnings. Relative paths are resolved
 * against the folder of the file that set them.
 */
#ifndef FLASHBAY_CONFIG_H
#define FLASHBAY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kind.h"
#include "strbuf.h"
#include "strvec.h"

/* Where a value came from, for messages. */
struct config_origin {
	char *file; /* NULL: built-in default or command line */
	int line;
};

struct fw_image {
	uint32_t offset;
	char *path;
	struct config_origin origin;
};

struct kind_rule {
	uint16_t vid, pid;
	bool any_pid;
	enum dev_kind kind;
};

struct slot_pin {
	char *label;
	char *path; /* ID_PATH or a /dev/serial/by-path link */
};

/* [unit] offset not given. */
#define UNIT_OFFSET_UNSET UINT32_MAX

enum erase_mode { ERASE_NONE, ERASE_ALL };
enum glyphs_mode { GLYPHS_AUTO, GLYPHS_UTF8, GLYPHS_ASCII };
enum color_mode { COLOR_AUTO, COLOR_ALWAYS, COLOR_NEVER };

struct config {
	/* [station] */
	char *station_name;
	unsigned max_workers;
	char *database;
	char *log_dir;
	char *lock_dir; /* NULL: /run/lock, else $XDG_RUNTIME_DIR, else /tmp */

	/* [devices] */
	uint64_t reappear_window_ms;
	struct strvec allow, deny; /* "vid:pid" patterns, pid may be "*" */
	struct kind_rule *kind_rules; /* [kinds] vid:pid = kind */
	size_t n_kind_rules;
	char *sysfs_root;
	char *dev_root;

	/* [slots] */
	struct slot_pin *slots;
	size_t n_slots;

	/* [esp32] */
	char *esptool; /* NULL: esptool, then esptool.py on PATH */
	char *chip;
	unsigned baud;
	char *before, *after;
	unsigned connect_attempts; /* 0: esptool's default */
	uint64_t flash_timeout_ms;
	char *flash_mode, *flash_freq, *flash_size;
	int erase; /* enum erase_mode */
	unsigned retry_baud; /* 0: no retry */
	int skip_identical; /* 1: write nothing when the flash already holds every image */

	/* [firmware] */
	uint32_t fw_offset; /* for --firmware FILE without @OFFSET */
	char *flash_args;
	struct config_origin flash_args_origin;
	struct fw_image *images;
	size_t n_images;

	/* [klipper] */
	char *klipper_dir;
	char *katapult_dir;
	struct strvec services;
	char *default_method;
	uint64_t build_timeout_ms, klipper_flash_timeout_ms, service_timeout_ms, reappear_timeout_ms;
	char *moonraker;
	unsigned make_jobs; /* 0: number of CPUs */
	char *build_dir;
	char *python;
	char *make;
	char *boards_file;
	char *configs_dir;

	/* [test] (teststep.h: on when pass is set, see test_enabled()) */
	int test_on; /* enabled: 0 auto (on with pass), 1 no, 2 yes */
	unsigned test_baud;
	char *test_send;
	uint64_t test_timeout_ms;
	char *test_pass, *test_fail; /* POSIX extended regular expressions */
	/* [unit] per-unit data (unit.h; on when unit_command is set) */
	char *unit_command;       /* words, no shell */
	uint32_t unit_offset;     /* UNIT_OFFSET_UNSET: not given */
	char *unit_serials;       /* "counter:FORMAT" or a CSV file's path */
	uint64_t unit_timeout_ms;
	unsigned unit_max_size;   /* bytes; the largest unit image accepted */

	/* [tui] */
	int glyphs; /* enum glyphs_mode */
	int color;  /* enum color_mode */
	unsigned fps;

	/* [mqtt] (checked by config_mqtt_check(), config-mqtt.c) */
	bool mqtt_enabled;
	char *mqtt_broker;      /* mqtt://host[:port] or mqtts://host[:port] */
	char *mqtt_topic;       /* the prefix: <topic>/<station>/{attempts,status} */
	char *mqtt_client_id;   /* NULL: the station name */
	char *mqtt_username;
	char *mqtt_password_file; /* its first line is the password; 0600 */
	char *mqtt_ca_file, *mqtt_cert_file, *mqtt_key_file;
	unsigned mqtt_qos;
	uint64_t mqtt_keepalive_ms;

	/* bookkeeping */
	struct strvec files_read;
	int images_from_file; /* index into files_read that set the images, -1: none */
};

void config_init(struct config *cfg);
void config_release(struct config *cfg);

/* Fill in the defaults (paths under $HOME/XDG dirs, hostname...). */
void config_defaults(struct config *cfg);
/* Read one file on top of cfg. Missing file: -ENOENT and nothing reported
 * unless required. Errors are appended to err (one line each, "file:line: msg"),
 * warnings to warn; returns 0, or -EINVAL if any error. */
int config_read_file(struct config *cfg, const char *path, bool required, struct strbuf *err,
		     struct strbuf *warn);
/* Defaults + the standard files + extra (may be NULL). */
int config_load(struct config *cfg, const char *extra, struct strbuf *err, struct strbuf *warn);

/* Apply --db and friends given on the command line (NULL: unchanged). */
void config_set_str(char **field, const char *value);

/* [mqtt] as a whole (config-mqtt.c): the broker URL, the topic, the TLS
 * and password files (a password file other users can read is refused),
 * and - when station is true - the station name, which becomes a topic
 * level: [A-Za-z0-9_-] only. One "flashbay: ..." line per problem in err;
 * 0 or -EINVAL. config_load() runs it when [mqtt] enabled = yes. */
int config_mqtt_check(const struct config *cfg, bool station, struct strbuf *err);

/* [mqtt]'s defaults (config_defaults() sets them). */
void config_mqtt_defaults(struct config *cfg);

/* An MQTT broker URL: mqtt://HOST[:PORT] (1883) or mqtts://HOST[:PORT]
 * (8883); HOST may be [IPv6]. 0, or -EINVAL with why in err. *host is
 * malloc'ed (NULL-able out). */
int config_mqtt_url(const char *url, char **host, int *port, bool *tls, struct strbuf *err);

/* The lock directory to use (never NULL). Caller frees. */
char *config_lock_dir(const struct config *cfg);

#endif
