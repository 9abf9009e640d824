/* config.c - inih handler, defaults and validation for flashbay.conf. */
#include "autoconf.h"

#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "config-internal.h"
#include "files.h"
#include "parse.h"
#include "path.h"
#include "str.h"
#include "teststep.h"
#include "xalloc.h"

enum key_type {
	K_STR,      /* free text */
	K_WORD,     /* [A-Za-z0-9._-]+ */
	K_PATH,     /* ~ expanded, relative to the file's folder */
	K_CMD,      /* a command: words; the first resolved like a path if it has a '/' */
	K_UINT,     /* decimal in [min, max] */
	K_UINT0,    /* the same, or empty: 0 ("the default": no retry, CPUs, esptool's) */
	K_DURATION, /* "120", "120s", "500ms", "2m" -> ms, in [min, max] seconds */
	K_ENUM,     /* one of choices; stored as the index */
	K_ENUMSTR,  /* one of choices, '-' and '_' equivalent; stored normalised */
	K_LIST,     /* words separated by spaces or commas, appended */
	K_HEX32,    /* 0x... */
	K_USBID_LIST, /* "vid:pid" words, pid may be "*" */
	K_URL,      /* http(s)://... or empty */
	K_BOOL,     /* yes/no, true/false, on/off, 1/0 */
	K_REGEX,    /* a POSIX extended regular expression (teststep.h), or empty */
	K_SOURCE,   /* "counter:..." kept as it is, else a path (as K_PATH) */
};

struct key_def {
	const char *section;
	const char *name;
	enum key_type type;
	size_t off;
	long min, max;
	const char *const *choices;
};

static const char *const erase_choices[] = { "none", "all", NULL };
static const char *const glyph_choices[] = { "auto", "utf8", "ascii", NULL };
static const char *const color_choices[] = { "auto", "always", "never", NULL };
static const char *const before_choices[] = { "default_reset", "usb_reset", "no_reset",
					      "no_reset_no_sync", NULL };
static const char *const after_choices[] = { "hard_reset", "soft_reset", "no_reset",
					     "no_reset_stub", "watchdog_reset", NULL };
static const char *const mode_choices[] = { "keep", "qio", "qout", "dio", "dout", NULL };
static const char *const freq_choices[] = { "keep", "80m", "60m", "48m", "40m", "30m", "26m",
					    "24m", "20m", "16m", "15m", "12m", NULL };
static const char *const size_choices[] = { "keep",  "detect", "256KB", "512KB", "1MB",
					    "2MB",   "4MB",    "8MB",   "16MB",  "32MB",
					    "64MB",  "128MB",  NULL };
static const char *const method_choices[] = { "katapult", "make_flash", NULL };
static const char *const bool_choices[] = { "no", "yes", "false", "true", "off", "on",
					    "0", "1", NULL };
static const char *const no_yes_choices[] = { "no", "yes", NULL };
static const char *const test_on_choices[] = { "auto", "no", "yes", NULL };

#define F(field) offsetof(struct config, field)

static const struct key_def keys[] = {
	{ "station", "name", K_STR, F(station_name), 0, 0, NULL },
	{ "station", "max_workers", K_UINT, F(max_workers), 1, 64, NULL },
	{ "station", "database", K_PATH, F(database), 0, 0, NULL },
	{ "station", "log_dir", K_PATH, F(log_dir), 0, 0, NULL },
	{ "station", "lock_dir", K_PATH, F(lock_dir), 0, 0, NULL },

	{ "devices", "reappear_window", K_DURATION, F(reappear_window_ms), 0, 600, NULL },
	{ "devices", "allow", K_USBID_LIST, F(allow), 0, 0, NULL },
	{ "devices", "deny", K_USBID_LIST, F(deny), 0, 0, NULL },
	{ "devices", "sysfs_root", K_PATH, F(sysfs_root), 0, 0, NULL },
	{ "devices", "dev_root", K_PATH, F(dev_root), 0, 0, NULL },

	{ "esp32", "esptool", K_CMD, F(esptool), 0, 0, NULL },
	{ "esp32", "chip", K_WORD, F(chip), 0, 0, NULL },
	{ "esp32", "baud", K_UINT, F(baud), 300, 12000000, NULL },
	{ "esp32", "before", K_ENUMSTR, F(before), 0, 0, before_choices },
	{ "esp32", "after", K_ENUMSTR, F(after), 0, 0, after_choices },
	{ "esp32", "connect_attempts", K_UINT0, F(connect_attempts), 0, 100, NULL },
	{ "esp32", "timeout", K_DURATION, F(flash_timeout_ms), 1, 86400, NULL },
	{ "esp32", "flash_mode", K_ENUMSTR, F(flash_mode), 0, 0, mode_choices },
	{ "esp32", "flash_freq", K_ENUMSTR, F(flash_freq), 0, 0, freq_choices },
	{ "esp32", "flash_size", K_ENUMSTR, F(flash_size), 0, 0, size_choices },
	{ "esp32", "erase", K_ENUM, F(erase), 0, 0, erase_choices },
	{ "esp32", "retry_baud", K_UINT0, F(retry_baud), 300, 12000000, NULL },
	{ "esp32", "skip_identical", K_ENUM, F(skip_identical), 0, 0, no_yes_choices },

	{ "firmware", "offset", K_HEX32, F(fw_offset), 0, 0, NULL },
	{ "firmware", "flash_args", K_PATH, F(flash_args), 0, 0, NULL },

	{ "klipper", "klipper_dir", K_PATH, F(klipper_dir), 0, 0, NULL },
	{ "klipper", "katapult_dir", K_PATH, F(katapult_dir), 0, 0, NULL },
	{ "klipper", "service", K_LIST, F(services), 0, 0, NULL },
	{ "klipper", "default_method", K_ENUMSTR, F(default_method), 0, 0, method_choices },
	{ "klipper", "build_timeout", K_DURATION, F(build_timeout_ms), 1, 86400, NULL },
	{ "klipper", "flash_timeout", K_DURATION, F(klipper_flash_timeout_ms), 1, 86400, NULL },
	{ "klipper", "service_timeout", K_DURATION, F(service_timeout_ms), 1, 3600, NULL },
	{ "klipper", "reappear_timeout", K_DURATION, F(reappear_timeout_ms), 1, 3600, NULL },
	{ "klipper", "moonraker", K_URL, F(moonraker), 0, 0, NULL },
	{ "klipper", "jobs", K_UINT0, F(make_jobs), 0, 256, NULL },
	{ "klipper", "build_dir", K_PATH, F(build_dir), 0, 0, NULL },
	{ "klipper", "python", K_CMD, F(python), 0, 0, NULL },
	{ "klipper", "make", K_CMD, F(make), 0, 0, NULL },
	{ "klipper", "boards", K_PATH, F(boards_file), 0, 0, NULL },
	{ "klipper", "configs_dir", K_PATH, F(configs_dir), 0, 0, NULL },

	{ "mqtt", "enabled", K_BOOL, F(mqtt_enabled), 0, 0, NULL },
	{ "mqtt", "broker", K_STR, F(mqtt_broker), 0, 0, NULL },
	{ "mqtt", "topic", K_STR, F(mqtt_topic), 0, 0, NULL },
	{ "mqtt", "client_id", K_STR, F(mqtt_client_id), 0, 0, NULL },
	{ "mqtt", "username", K_STR, F(mqtt_username), 0, 0, NULL },
	{ "mqtt", "password_file", K_PATH, F(mqtt_password_file), 0, 0, NULL },
	{ "mqtt", "ca_file", K_PATH, F(mqtt_ca_file), 0, 0, NULL },
	{ "mqtt", "cert_file", K_PATH, F(mqtt_cert_file), 0, 0, NULL },
	{ "mqtt", "key_file", K_PATH, F(mqtt_key_file), 0, 0, NULL },
	{ "mqtt", "qos", K_UINT, F(mqtt_qos), 0, 2, NULL },
	{ "mqtt", "keepalive", K_DURATION, F(mqtt_keepalive_ms), 5, 3600, NULL },
	{ "test", "enabled", K_ENUM, F(test_on), 0, 0, test_on_choices },
	{ "test", "baud", K_UINT, F(test_baud), 300, 12000000, NULL },
	{ "test", "send", K_STR, F(test_send), 0, 0, NULL },
	{ "test", "timeout", K_DURATION, F(test_timeout_ms), 1, 3600, NULL },
	{ "test", "pass", K_REGEX, F(test_pass), 0, 0, NULL },
	{ "test", "fail", K_REGEX, F(test_fail), 0, 0, NULL },
	{ "unit", "command", K_CMD, F(unit_command), 0, 0, NULL },
	{ "unit", "offset", K_HEX32, F(unit_offset), 0, 0, NULL },
	{ "unit", "serials", K_SOURCE, F(unit_serials), 0, 0, NULL },
	{ "unit", "timeout", K_DURATION, F(unit_timeout_ms), 1, 3600, NULL },
	{ "unit", "max_size", K_UINT, F(unit_max_size), 1, 16777216, NULL },

	{ "tui", "glyphs", K_ENUM, F(glyphs), 0, 0, glyph_choices },
	{ "tui", "color", K_ENUM, F(color), 0, 0, color_choices },
	{ "tui", "fps", K_UINT, F(fps), 1, 60, NULL },
};

#undef F


void config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof *cfg);
	strvec_init(&cfg->allow);
	strvec_init(&cfg->deny);
	strvec_init(&cfg->services);
	strvec_init(&cfg->files_read);
	cfg->images_from_file = -1;
}

/* Free a string field and replace it (value may be NULL). */
void config_set_str(char **field, const char *value)
{
	free(*field);
	*field = xstrdup_or_null(value);
}

/* Drop the firmware image list and flash_args. */
static void clear_images(struct config *cfg)
{
	for (size_t i = 0; i < cfg->n_images; i++) {
		free(cfg->images[i].path);
		free(cfg->images[i].origin.file);
	}
	free(cfg->images);
	cfg->images = NULL;
	cfg->n_images = 0;
	config_set_str(&cfg->flash_args, NULL);
	config_set_str(&cfg->flash_args_origin.file, NULL);
}

void config_release(struct config *cfg)
{
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		void *p = (char *)cfg + keys[i].off;

		switch (keys[i].type) {
		case K_STR: case K_WORD: case K_PATH: case K_CMD: case K_ENUMSTR: case K_URL: case K_REGEX:
		case K_SOURCE:
			config_set_str(p, NULL);
			break;
		case K_LIST: case K_USBID_LIST:
			strvec_release(p);
			break;
		default:
			break;
		}
	}
	clear_images(cfg);
	for (size_t i = 0; i < cfg->n_slots; i++) {
		free(cfg->slots[i].label);
		free(cfg->slots[i].path);
	}
	free(cfg->slots);
	free(cfg->kind_rules);
	strvec_release(&cfg->files_read);
	config_init(cfg);
}

/* The host name, for the default station name. */
static char *host_name(void)
{
	char buf[256];

	if (gethostname(buf, sizeof buf) < 0)
		return xstrdup("flashbay");
	buf[sizeof buf - 1] = '\0';
	return xstrdup(buf);
}

void config_defaults(struct config *cfg)
{
	char *state = xdg_state_home(), *conf = xdg_config_home(), *cache = xdg_cache_home();

	cfg->station_name = host_name();
	cfg->max_workers = 8;
	cfg->database = xasprintf("%s/flashbay/history.db", state);
	cfg->log_dir = xasprintf("%s/flashbay/logs", state);
	cfg->reappear_window_ms = 3000;
	cfg->chip = xstrdup("auto");
	cfg->baud = 921600;
	cfg->before = xstrdup("default_reset");
	cfg->after = xstrdup("hard_reset");
	cfg->flash_timeout_ms = 120000;
	cfg->flash_mode = xstrdup("keep");
	cfg->flash_freq = xstrdup("keep");
	cfg->flash_size = xstrdup("keep");
	cfg->erase = ERASE_NONE;
	cfg->fw_offset = 0x10000;
	cfg->klipper_dir = expand_home("~/klipper");
	cfg->katapult_dir = expand_home("~/katapult");
	cfg->default_method = xstrdup("katapult");
	strvec_push(&cfg->services, "klipper");
	cfg->build_timeout_ms = 300000;
	cfg->klipper_flash_timeout_ms = 60000;
	cfg->service_timeout_ms = 30000;
	cfg->reappear_timeout_ms = 30000;
	cfg->moonraker = xstrdup("http://localhost:7125");
	cfg->build_dir = xasprintf("%s/flashbay/build", cache);
	cfg->python = xstrdup("python3");
	cfg->make = xstrdup("make");
	cfg->boards_file = xasprintf("%s/flashbay/boards.ini", conf);
	cfg->configs_dir = xasprintf("%s/flashbay/configs", conf);
	cfg->unit_offset = UNIT_OFFSET_UNSET;
	cfg->unit_timeout_ms = 30000;
	cfg->unit_max_size = 0x6000; /* ESP-IDF's default nvs partition */
	cfg->glyphs = GLYPHS_AUTO;
	cfg->color = COLOR_AUTO;
	cfg->fps = 10;
	config_mqtt_defaults(cfg);
	cfg->test_baud = 115200;
	cfg->test_timeout_ms = 10000;
	free(state);
	free(conf);
	free(cache);
}

/* State of one file being parsed. */
struct parse {
	struct config *cfg;
	const char *file;
	char *dir;
	int file_index;
	int line;
	int long_line; /* last line that was too long, 0: none */
	FILE *f;
	struct strbuf *err, *warn;
	struct strbuf msgs; /* this file's errors and warnings, in line order */
	int errors;
	bool lists_set[ARRAY_SIZE(keys)]; /* list key i already set by this file */
};

static void perr(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void pwarn(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Report an error at the current line. */
static void perr(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	strbuf_addf(&p->msgs, "flashbay: %s:%d: ", p->file, p->line);
	va_start(ap, fmt);
	strbuf_vaddf(&p->msgs, fmt, ap);
	va_end(ap);
	strbuf_addch(&p->msgs, '\n');
	p->errors++;
}

/* Report a warning at the current line. */
static void pwarn(struct parse *p, const char *fmt, ...)
{
	va_list ap;

	strbuf_addf(&p->msgs, "flashbay: %s:%d: warning: ", p->file, p->line);
	va_start(ap, fmt);
	strbuf_vaddf(&p->msgs, fmt, ap);
	va_end(ap);
	strbuf_addch(&p->msgs, '\n');
}

/* Resolve a path value against the file's folder. */
static char *resolve_path(struct parse *p, const char *v)
{
	char *e = expand_home(v), *r;

	if (e[0] == '/')
		return e;
	r = path_join(p->dir, e);
	free(e);
	return r;
}

/* Store a K_CMD value: words; a relative first word with '/' is resolved. */
static char *resolve_cmd(struct parse *p, const char *v)
{
	struct strvec w = STRVEC_INIT;
	char *r;

	strvec_split(&w, v, " \t");
	if (w.n && strchr(w.v[0], '/')) {
		char *first = resolve_path(p, w.v[0]);

		free(w.v[0]);
		w.v[0] = first;
	}
	r = strvec_join(&w, " ");
	strvec_release(&w);
	return r;
}

/* Numeric types: K_UINT, K_UINT0, K_DURATION, K_HEX32. */
static void set_number(struct parse *p, const struct key_def *k, void *field, const char *v)
{
	long n;
	uint64_t ms;
	uint32_t h;

	switch (k->type) {
	case K_UINT:
	case K_UINT0:
		if (!*v && k->type == K_UINT0) {
			*(unsigned *)field = 0;
		} else if (parse_long(v, k->min, k->max, &n)) {
			perr(p, "[%s] %s: '%s' is not a whole number from %ld to %ld", k->section,
			     k->name, v, k->min, k->max);
		} else {
			*(unsigned *)field = (unsigned)n;
		}
		break;
	case K_DURATION:
		if (config_parse_duration(v, &ms) || ms < (uint64_t)k->min * 1000 ||
		    ms > (uint64_t)k->max * 1000)
			perr(p, "[%s] %s: '%s' is not a duration from %ld to %ld seconds (e.g. 30, 30s, 500ms, 2m)",
			     k->section, k->name, v, k->min, k->max);
		else
			*(uint64_t *)field = ms;
		break;
	default: /* K_HEX32 */
		if (parse_hex_u32(v, &h))
			perr(p, "[%s] %s: '%s' is not a hex offset (e.g. 0x10000)", k->section, k->name, v);
		else
			*(uint32_t *)field = h;
		break;
	}
}

/* Word lists: K_LIST, K_USBID_LIST. A file's first mention replaces the
 * list (defaults or earlier files); later lines of the same file append. */
static void set_list(struct parse *p, const struct key_def *k, struct strvec *sv, const char *v)
{
	struct strvec words = STRVEC_INIT;
	if (!p->lists_set[k - keys]) {
		strvec_release(sv);
		p->lists_set[k - keys] = true;
	}

	strvec_split(&words, v, " \t,");
	for (size_t i = 0; i < words.n; i++) {
		uint16_t vid, pid;
		bool any;

		if (k->type == K_USBID_LIST && config_parse_usbid(words.v[i], &vid, &pid, &any)) {
			perr(p, "[%s] %s: '%s' is not a USB id (vid:pid in hex, e.g. 10c4:ea60 or 1a86:*)",
			     k->section, k->name, words.v[i]);
			continue;
		}
		if (strvec_find(sv, words.v[i]) < 0)
			strvec_push(sv, words.v[i]);
	}
	strvec_release(&words);
}

/* Enumerations: K_ENUM (index) and K_ENUMSTR (normalised string). */
static void set_enum(struct parse *p, const struct key_def *k, void *field, const char *v)
{
	int i = config_find_choice(k->choices, v);
	struct strbuf sb = STRBUF_INIT;

	if (i < 0) {
		config_list_choices(&sb, k->choices);
		perr(p, "[%s] %s: '%s' is not one of: %s", k->section, k->name, v, sb.buf);
		strbuf_release(&sb);
		return;
	}
	if (k->type == K_ENUM)
		*(int *)field = i;
	else
		config_set_str(field, k->choices[i]);
}

/* A yes/no value (odd choices are yes). */
static void set_bool(struct parse *p, const struct key_def *k, bool *field, const char *v)
{
	int i = config_find_choice(bool_choices, v);

	if (i < 0)
		perr(p, "[%s] %s: '%s' is not yes or no", k->section, k->name, v);
	*field = i < 0 ? *field : i & 1;
}

/* A regular expression, compiled once here to refuse a bad one (empty: none). */
static void set_regex(struct parse *p, const struct key_def *k, void *field, const char *v)
{
	struct strbuf why = STRBUF_INIT;

	if (*v && test_regex_check(v, &why))
		perr(p, "[%s] %s: '%s' is not a regular expression: %s", k->section, k->name, v,
		     why.buf);
	else
		config_set_str(field, *v ? v : NULL);
	strbuf_release(&why);
}

/* Validate and store one value of a table key. */
static void set_key(struct parse *p, const struct key_def *k, const char *v)
{
	void *field = (char *)p->cfg + k->off;

	switch (k->type) {
	case K_STR:
		config_set_str(field, v);
		break;
	case K_WORD:
		if (!config_valid_word(v))
			perr(p, "[%s] %s: '%s' must be a single word", k->section, k->name, v);
		else
			config_set_str(field, v);
		break;
	case K_PATH:
		free(*(char **)field);
		*(char **)field = *v ? resolve_path(p, v) : NULL;
		break;
	case K_CMD:
		free(*(char **)field);
		*(char **)field = *v ? resolve_cmd(p, v) : NULL;
		break;
	case K_SOURCE:
		free(*(char **)field);
		*(char **)field = !*v ? NULL : str_starts_with(v, "counter:") ? xstrdup(v)
									  : resolve_path(p, v);
		break;
	case K_URL:
		if (*v && !str_starts_with(v, "http://") && !str_starts_with(v, "https://"))
			perr(p, "[%s] %s: '%s' is not an http:// or https:// URL (empty turns it off)",
			     k->section, k->name, v);
		else
			config_set_str(field, v);
		break;
	case K_ENUM: case K_ENUMSTR:
		set_enum(p, k, field, v);
		break;
	case K_BOOL:
		set_bool(p, k, field, v);
		break;
	case K_REGEX:
		set_regex(p, k, field, v);
		break;
	case K_LIST: case K_USBID_LIST:
		set_list(p, k, field, v);
		break;
	default:
		set_number(p, k, field, v);
		break;
	}
}

/* The first image or flash_args of a file replaces those of earlier files. */
static void claim_images(struct parse *p)
{
	if (p->cfg->images_from_file != p->file_index) {
		clear_images(p->cfg);
		p->cfg->images_from_file = p->file_index;
	}
}

/* [firmware] 0x1000 = bootloader.bin */
static void add_image(struct parse *p, const char *name, const char *v)
{
	struct config *cfg = p->cfg;
	struct fw_image *img;
	uint32_t off;

	if (parse_hex_u32(name, &off) || !str_starts_with(name, "0x")) {
		perr(p, "[firmware] '%s': expected an offset in hex (0x1000 = file.bin), offset, or flash_args",
		     name);
		return;
	}
	if (!*v) {
		perr(p, "[firmware] %s: no image file given", name);
		return;
	}
	claim_images(p);
	for (size_t i = 0; i < cfg->n_images; i++) {
		if (cfg->images[i].offset == off) {
			perr(p, "[firmware] %s: offset given twice", name);
			return;
		}
	}
	cfg->images = xrealloc(cfg->images, (cfg->n_images + 1) * sizeof *cfg->images);
	img = &cfg->images[cfg->n_images++];
	img->offset = off;
	img->path = resolve_path(p, v);
	img->origin.file = xstrdup(p->file);
	img->origin.line = p->line;
}

/* [slots] label = ID_PATH or by-path link */
static void add_slot(struct parse *p, const char *name, const char *v)
{
	struct config *cfg = p->cfg;

	if (!*v) {
		perr(p, "[slots] %s: no port path given (an ID_PATH such as pci-0000:00:14.0-usb-0:1.2:1.0, or a /dev/serial/by-path link)",
		     name);
		return;
	}
	for (size_t i = 0; i < cfg->n_slots; i++) {
		if (!strcmp(cfg->slots[i].label, name)) {
			config_set_str(&cfg->slots[i].path, v);
			return;
		}
	}
	cfg->slots = xrealloc(cfg->slots, (cfg->n_slots + 1) * sizeof *cfg->slots);
	cfg->slots[cfg->n_slots].label = xstrdup(name);
	cfg->slots[cfg->n_slots++].path = xstrdup(v);
}

/* [kinds] esp32-usb = 303a:8000 303a:8001 (ini names cannot hold ':') */
static void add_kind_rules(struct parse *p, const char *name, const char *v)
{
	struct config *cfg = p->cfg;
	struct strvec ids = STRVEC_INIT;
	int kind = kind_from_name(name);

	if (kind < 0) {
		perr(p, "[kinds] '%s' is not a kind (esp32, esp32-usb, klipper, katapult, unknown)",
		     name);
		return;
	}
	strvec_split(&ids, v, " \t,");
	for (size_t i = 0; i < ids.n; i++) {
		struct kind_rule r = { .kind = (enum dev_kind)kind };

		if (config_parse_usbid(ids.v[i], &r.vid, &r.pid, &r.any_pid)) {
			perr(p, "[kinds] %s: '%s' is not a USB id (vid:pid in hex, e.g. 303a:8000 or 1a86:*)",
			     name, ids.v[i]);
			continue;
		}
		cfg->kind_rules = xrealloc(cfg->kind_rules, (cfg->n_kind_rules + 1) * sizeof r);
		cfg->kind_rules[cfg->n_kind_rules++] = r;
	}
	strvec_release(&ids);
}

static const char *const known_sections[] = { "station", "devices", "kinds", "slots", "esp32",
					      "firmware", "klipper", "tui", "test", "unit", NULL };

/* inih callback: one name = value. */
static int handler(void *user, const char *section, const char *name, const char *value)
{
	struct parse *p = user;

	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		if (!strcmp(keys[i].section, section) && !strcmp(keys[i].name, name)) {
			if (!strcmp(section, "firmware") && !strcmp(name, "flash_args")) {
				claim_images(p);
				config_set_str(&p->cfg->flash_args_origin.file, p->file);
				p->cfg->flash_args_origin.line = p->line;
			}
			set_key(p, &keys[i], value);
			return 1;
		}
	}
	if (!strcmp(section, "firmware"))
		add_image(p, name, value);
	else if (!strcmp(section, "slots"))
		add_slot(p, name, value);
	else if (!strcmp(section, "kinds"))
		add_kind_rules(p, name, value);
	else if (config_find_choice(known_sections, section) < 0)
		pwarn(p, "unknown section [%s] (ignored)", section);
	else
		pwarn(p, "unknown key '%s' in [%s] (ignored)", name, section);
	return 1;
}

/* The line after a byte order mark (on line 1). */
static char *past_bom(const struct parse *p, char *str)
{
	return p->line == 1 && !strncmp(str, "\xEF\xBB\xBF", 3) ? str + 3 : str;
}

/* A section header without its ']' (inih would stay in the section
 * before it): report it, and read it as the section meant. */
static void check_header(struct parse *p, char *str, int num)
{
	char *s = past_bom(p, str), *end;
	size_t n;

	s += strspn(s, " \t");
	if (*s != '[' || strchr(s, ']'))
		return;
	end = s + strcspn(s, ";#\r\n");
	while (end > s + 1 && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	n = (size_t)(end - s);
	perr(p, "section header '%.*s' has no closing ']'", (int)n, s);
	if ((size_t)(s - str) + n + 3 <= (size_t)num) {
		s[n] = ']';
		s[n + 1] = '\n';
		s[n + 2] = '\0';
	}
}

/* A line inih cannot read (not a section, key = value, comment or a
 * continuation): report it here, in line order, and let inih skip it. */
static void check_syntax(struct parse *p, char *str)
{
	const char *s = past_bom(p, str);

	if (strchr(" \t\r\n;#[", *s) || strpbrk(s, "=:"))
		return;
	perr(p, "syntax error (expected [section], name = value, or a ; comment)");
	snprintf(str, 3, ";\n");
}

/* inih line reader that counts lines and refuses over-long ones. */
static char *reader(char *str, int num, void *stream)
{
	struct parse *p = stream;
	bool too_long;
	char *r = ini_line_reader(str, num, p->f, &p->line, &too_long);

	if (too_long)
		perr(p, "line too long (at most %d characters)", num - 2);
	if (r && !too_long) {
		check_header(p, str, num);
		check_syntax(p, str);
	}
	return r;
}

/* Is the open file a directory? */
static bool is_directory(FILE *f)
{
	struct stat st;

	return !fstat(fileno(f), &st) && S_ISDIR(st.st_mode);
}

int config_read_file(struct config *cfg, const char *path, bool required, struct strbuf *err,
		     struct strbuf *warn)
{
	struct parse p = { .cfg = cfg, .file = path, .err = err, .warn = warn };
	int r;

	p.f = fopen(path, "re");
	if (p.f && is_directory(p.f)) {
		/* fopen() takes a directory, which then reads as empty */
		fclose(p.f);
		p.f = NULL;
		errno = EISDIR;
	}
	if (!p.f) {
		int e = errno;

		if (e != ENOENT || required)
			strbuf_addf(err, "flashbay: cannot read config file '%s': %s\n", path, strerror(e));
		return -e;
	}
	p.dir = path_dirname(path);
	p.file_index = (int)cfg->files_read.n;
	strvec_push(&cfg->files_read, path);
	strbuf_init(&p.msgs);
	r = ini_parse_stream(reader, &p, handler, &p);
	if (r > 0) {
		p.line = r;
		perr(&p, "syntax error (expected [section], name = value, or a ; comment)");
	}
	fclose(p.f);
	free(p.dir);
	/* with errors, the warnings among them stay in line order */
	if (p.errors)
		strbuf_addstr(err, p.msgs.buf);
	else if (warn)
		strbuf_addstr(warn, p.msgs.buf);
	strbuf_release(&p.msgs);
	return p.errors ? -EINVAL : 0;
}

int config_load(struct config *cfg, const char *extra, struct strbuf *err, struct strbuf *warn)
{
	const char *sys = getenv("FLASHBAY_SYSTEM_CONFIG");
	char *xdg = xdg_config_home(), *user = xasprintf("%s/flashbay/flashbay.conf", xdg);
	int ret = 0;

	config_defaults(cfg);
	if (!sys) {
		const char *configured = SYSCONFDIR "/flashbay/flashbay.conf";

		if (strcmp(configured, "/etc/flashbay/flashbay.conf") &&
		    config_read_file(cfg, configured, false, err, warn) == -EINVAL)
			ret = -EINVAL;
		sys = "/etc/flashbay/flashbay.conf";
	}
	if (*sys && config_read_file(cfg, sys, false, err, warn) == -EINVAL)
		ret = -EINVAL;
	if (config_read_file(cfg, user, false, err, warn) == -EINVAL)
		ret = -EINVAL;
	if (extra && config_read_file(cfg, extra, true, err, warn) < 0)
		ret = -EINVAL;
	if (!ret && test_config_check(cfg, err))
		ret = -EINVAL;
	if (!ret && cfg->mqtt_enabled && config_mqtt_check(cfg, true, err))
		ret = -EINVAL;
	free(user);
	free(xdg);
	return ret;
}

char *config_lock_dir(const struct config *cfg)
{
	char *rt;

	if (cfg->lock_dir)
		return xstrdup(cfg->lock_dir);
	if (access("/run/lock", W_OK | X_OK) == 0)
		return xstrdup("/run/lock");
	rt = xdg_runtime_dir();
	return rt ? rt : xstrdup("/tmp");
}
