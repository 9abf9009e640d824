/* test-config.c - flashbay.conf: defaults, layering, validation messages. */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tap.h"
#include "config.h"
#include "files.h"
#include "path.h"
#include "teststep.h"

static char dir[] = "/tmp/fb-config-XXXXXX";

/* Write a file in the temp dir; returns its path (static buffer per slot). */
static const char *put(const char *name, const char *text)
{
	static char paths[8][512];
	static int n;
	char *p = paths[n++ % 8];

	snprintf(p, 512, "%s/%s", dir, name);
	write_file_atomic(p, text, strlen(text), 0644);
	return p;
}

static void defaults(void)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT, warn = STRBUF_INIT;
	char want[600];

	config_init(&cfg);
	is_int(config_load(&cfg, NULL, &err, &warn), 0, "no files at all is fine");
	is_int(cfg.max_workers, 8, "max_workers defaults to 8");
	is_int(cfg.baud, 921600, "baud defaults to 921600");
	is_str(cfg.before, "default_reset", "before defaults to default_reset");
	is_str(cfg.after, "hard_reset", "after defaults to hard_reset");
	is_int(cfg.flash_timeout_ms, 120000, "esp32 timeout defaults to 120 s");
	is_int(cfg.reappear_window_ms, 3000, "re-enumeration window defaults to 3 s");
	is_int(cfg.fw_offset, 0x10000, "single-image offset defaults to 0x10000");
	snprintf(want, sizeof want, "%s/state/flashbay/history.db", dir);
	is_str(cfg.database, want, "database under $XDG_STATE_HOME/flashbay");
	is_str(cfg.services.n == 1 ? cfg.services.v[0] : NULL, "klipper", "service defaults to klipper");
	is_int(cfg.build_timeout_ms, 300000, "build timeout 300 s");
	is_str(cfg.moonraker, "http://localhost:7125", "moonraker URL default");
	ok(!cfg.mqtt_enabled && !strcmp(cfg.mqtt_broker, "mqtt://localhost:1883") &&
	   !strcmp(cfg.mqtt_topic, "flashbay") && cfg.mqtt_qos == 1 &&
	   cfg.mqtt_keepalive_ms == 60000 && !cfg.mqtt_client_id,
	   "[mqtt]: off; mqtt://localhost:1883, topic flashbay, qos 1, keepalive 60 s");
	config_release(&cfg);
	strbuf_release(&err);
	strbuf_release(&warn);
}

static void layering(void)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT, warn = STRBUF_INIT;
	const char *extra;
	char want[600];

	mkdir_p(dir, 0700);
	{
		char conf[600];

		snprintf(conf, sizeof conf, "%s/config/flashbay", dir);
		mkdir_p(conf, 0700);
	}
	put("config/flashbay/flashbay.conf",
	    "[station]\nmax_workers = 4\nname = bench-1\n[esp32]\nbaud = 460800\n"
	    "[firmware]\n0x1000 = boot.bin\n0x10000 = app.bin\n");
	extra = put("extra.conf", "; operator override\n[esp32]\nbaud = 115200\nbefore = no-reset\n"
				  "timeout = 2m\n[firmware]\n0x0 = sub/merged.bin\n");
	config_init(&cfg);
	is_int(config_load(&cfg, extra, &err, &warn), 0, "user + --config files load");
	is_int(cfg.max_workers, 4, "user file value kept where --config is silent");
	is_int(cfg.baud, 115200, "--config overrides the user file");
	is_str(cfg.station_name, "bench-1", "station name from the user file");
	is_str(cfg.before, "no_reset", "dash spelling accepted and normalised");
	is_int(cfg.flash_timeout_ms, 120000, "durations accept minutes");
	is_int(cfg.n_images, 1, "a later file's [firmware] images replace the earlier set");
	snprintf(want, sizeof want, "%s/sub/merged.bin", dir);
	is_str(cfg.n_images ? cfg.images[0].path : NULL, want, "image path relative to its file's folder");
	is_int(cfg.n_images ? cfg.images[0].origin.line : 0, 7, "image origin line recorded");
	is_int(cfg.files_read.n, 2, "two files read");
	config_release(&cfg);
	strbuf_release(&err);
	strbuf_release(&warn);
}

/* Load one file and expect an error containing want. */
static void expect_error(const char *text, const char *want, const char *name)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT, warn = STRBUF_INIT;
	const char *path = put("bad.conf", text);
	int r;

	config_init(&cfg);
	config_defaults(&cfg);
	r = config_read_file(&cfg, path, true, &err, &warn);
	ok(r < 0 && strstr(err.buf, want), "%s", name);
	if (r >= 0 || !strstr(err.buf, want))
		diag("errors: %s", err.buf);
	config_release(&cfg);
	strbuf_release(&err);
	strbuf_release(&warn);
}

/* Load one file and expect a warning containing want and no error. */
static void expect_warning(const char *text, const char *want, const char *name)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT, warn = STRBUF_INIT;
	const char *path = put("warn.conf", text);
	int r;

	config_init(&cfg);
	config_defaults(&cfg);
	r = config_read_file(&cfg, path, true, &err, &warn);
	ok(r == 0 && strstr(warn.buf, want), "%s", name);
	config_release(&cfg);
	strbuf_release(&err);
	strbuf_release(&warn);
}

static void errors(void)
{
	expect_error("[esp32]\n\nbaud = fast\n", "bad.conf:3: [esp32] baud: 'fast' is not a whole number",
		     "baud not a number: file:line and key named");
	expect_error("[firmware]\nbootloader = b.bin\n", "bad.conf:2: [firmware] 'bootloader'",
		     "firmware key that is not a hex offset");
	expect_error("[firmware]\n0x1g00 = b.bin\n", "bad.conf:2:", "offset not hex");
	expect_error("[esp32]\nerase = some\n", "erase: 'some' is not one of: none, all",
		     "enum lists the valid choices");
	expect_error("[esp32]\ntimeout = soon\n", "[esp32] timeout: 'soon' is not a duration",
		     "bad duration");
	expect_error("[station]\nmax_workers = 0\n", "max_workers: '0' is not a whole number from 1 to 64",
		     "max_workers out of range");
	expect_error("[kinds]\ntoaster = 303a:8000\n", "'toaster' is not a kind", "unknown kind name");
	expect_error("[kinds]\nesp32 = 303a:80\n", "bad.conf:2: [kinds] esp32: '303a:80' is not a USB id",
		     "bad USB id in a kind rule");
	expect_error("[devices]\nallow = 10c4\n", "'10c4' is not a USB id", "bad USB id in allow");
	expect_error("[klipper]\nmoonraker = localhost:7125\n", "is not an http:// or https:// URL",
		     "moonraker must be a URL");
	expect_error("[esp32\nbaud = 1\n", "/bad.conf:1: section header '[esp32' has no closing ']'\n",
		     "unclosed section header: an error at its line");
	expect_error("[esp32\nbaud = fast\n", "bad.conf:2: [esp32] baud: 'fast'",
		     "... and the lines below it are still checked, in its section");
	expect_error("[esp32]\nbaud\n", "bad.conf:2: syntax error", "a line that is no key = value");
	{
		char line[400];

		memset(line, 'x', sizeof line);
		memcpy(line, "[esp32]\nchip = ", 15);
		line[sizeof line - 2] = '\n';
		line[sizeof line - 1] = '\0';
		expect_error(line, "bad.conf:2: line too long", "over-long line reported, not truncated");
	}
	expect_warning("[esp32]\nbaudrate = 1\n", "warn.conf:2: warning: unknown key 'baudrate' in [esp32]",
		       "unknown key warns with file:line");
	expect_warning("[espressif]\nx = 1\n", "unknown section [espressif]", "unknown section warns");
}

/* Every message of a file: errors and warnings in line order, each one
 * starting with "flashbay:"; a directory is no config file. */
static void message_order(void)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT, warn = STRBUF_INIT, want = STRBUF_INIT;
	const char *path = put("order.conf", "[esp32\nbaudrate = 1\nbaud = fast\njunk\n[nope]\n"
					     "x = 1\n[station]\nmax_workers = 0\n");

	config_init(&cfg);
	config_defaults(&cfg);
	is_int(config_read_file(&cfg, path, true, &err, &warn), -EINVAL, "a file with errors");
	strbuf_addf(&want,
		    "flashbay: %s:1: section header '[esp32' has no closing ']'\n"
		    "flashbay: %s:2: warning: unknown key 'baudrate' in [esp32] (ignored)\n"
		    "flashbay: %s:3: [esp32] baud: 'fast' is not a whole number from 300 to 12000000\n"
		    "flashbay: %s:4: syntax error (expected [section], name = value, or a ; comment)\n"
		    "flashbay: %s:6: warning: unknown section [nope] (ignored)\n"
		    "flashbay: %s:8: [station] max_workers: '0' is not a whole number from 1 to 64\n",
		    path, path, path, path, path, path);
	is_str(err.buf, want.buf, "every message in line order, warnings among them, each with flashbay:");
	is_str(warn.buf, "", "no warning printed apart from them");
	config_release(&cfg);
	strbuf_reset(&err);
	config_init(&cfg);
	config_defaults(&cfg);
	is_int(config_read_file(&cfg, dir, true, &err, &warn), -EISDIR, "--config DIR is refused");
	strbuf_reset(&want);
	strbuf_addf(&want, "flashbay: cannot read config file '%s': Is a directory\n", dir);
	is_str(err.buf, want.buf, "... saying it is a directory");
	config_release(&cfg);
	strbuf_release(&err);
	strbuf_release(&warn);
	strbuf_release(&want);
}

static void specials(void)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT, warn = STRBUF_INIT;
	const char *path = put("special.conf",
			       "[kinds]\nesp32-usb = 303a:8000\nklipper = 1234:*\n"
			       "[slots]\nA1 = pci-0000:00:14.0-usb-0:1.1:1.0\nA2 = pci-0000:00:14.0-usb-0:1.2:1.0\n"
			       "[klipper]\nservice = klipper-1, klipper-2\n  klipper-3\nmoonraker =\n"
			       "[esp32]\nretry_baud =\nesptool = python3 -m esptool\n");

	config_init(&cfg);
	config_defaults(&cfg);
	is_int(config_read_file(&cfg, path, true, &err, &warn), 0, "kinds, slots, lists parse");
	is_int(cfg.n_kind_rules, 2, "two kind rules");
	ok(cfg.n_kind_rules == 2 && cfg.kind_rules[1].any_pid && cfg.kind_rules[1].kind == KIND_KLIPPER,
	   "vid:* rule");
	is_int(cfg.n_slots, 2, "two pinned slots, in file order");
	is_str(cfg.n_slots ? cfg.slots[1].label : NULL, "A2", "slot label kept");
	is_int(cfg.services.n, 3, "service list replaces the default; commas and a continuation line");
	is_str(cfg.moonraker, "", "empty moonraker URL turns the check off");
	is_int(cfg.retry_baud, 0, "empty retry_baud means no retry");
	is_str(cfg.esptool, "python3 -m esptool", "esptool may be a command with arguments");
	config_release(&cfg);
	strbuf_release(&err);
	strbuf_release(&warn);
}

/* [test] and skip_identical: defaults, on with pass, the whole-section checks. */
static void test_section(void)
{
	struct config cfg;
	struct strbuf err = STRBUF_INIT, warn = STRBUF_INIT;
	const char *path = put("test.conf", "[esp32]\nskip_identical = yes\n"
					    "[test]\npass = ^selftest: (PASS|OK)$\nfail = FAIL\n"
					    "send = run\ntimeout = 1500ms\nbaud = 921600\n");

	config_init(&cfg);
	is_int(config_load(&cfg, NULL, &err, &warn), 0, "no [test]: fine");
	ok(!test_enabled(&cfg) && cfg.test_baud == 115200 && cfg.test_timeout_ms == 10000 &&
		   !cfg.skip_identical,
	   "[test] off by default; baud 115200, timeout 10 s; skip_identical no");
	config_release(&cfg);
	config_init(&cfg);
	is_int(config_load(&cfg, path, &err, &warn), 0, "a full [test] loads");
	ok(test_enabled(&cfg) && cfg.skip_identical && cfg.test_timeout_ms == 1500 &&
		   cfg.test_baud == 921600 && !strcmp(cfg.test_send, "run"),
	   "pass switches it on; the values are kept");
	cfg.test_on = 1;
	ok(!test_enabled(&cfg), "enabled = no switches it off");
	config_release(&cfg);
	ok(test_baud_ok(115200) && test_baud_ok(4000000) && !test_baud_ok(12345) && !test_baud_ok(0),
	   "termios rates only");
	strbuf_reset(&err);
	ok(test_regex_check("a(b", &err) < 0 && err.len, "a bad regex is refused with regerror's words");
	expect_error("[test]\npass = [z-a]\n", "[test] pass: '[z-a]' is not a regular expression",
		     "bad range in pass");
	expect_error("[test]\nenabled = maybe\n", "[test] enabled: 'maybe' is not one of",
		     "enabled is auto/no/yes");
	strbuf_release(&err);
	strbuf_release(&warn);
}

int main(void)
{
	char buf[600];

	if (!mkdtemp(dir))
		return 1;
	snprintf(buf, sizeof buf, "%s/state", dir);
	setenv("XDG_STATE_HOME", buf, 1);
	snprintf(buf, sizeof buf, "%s/config", dir);
	setenv("XDG_CONFIG_HOME", buf, 1);
	setenv("FLASHBAY_SYSTEM_CONFIG", "", 1);
	defaults();
	layering();
	errors();
	message_order();
	specials();
	test_section();
	snprintf(buf, sizeof buf, "rm -rf '%s'", dir);
	if (system(buf))
		diag("cleanup failed");
	return done_testing();
}
