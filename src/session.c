/* session.c - a session for the commands that drive the engine: the
 * configuration, firmware options, the loop and the engine. */
#include "autoconf.h"

#include "session.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "app.h"
#include "cmd.h"
#include "demo.h"
#include "loop.h"
#include "history-outbox.h"
#include "mqtt-station.h"
#include "text.h"
#include "unit.h"

int session_config(struct session *s, struct globals *g, const char *cmd)
{
	memset(s, 0, sizeof *s);
	s->cmd = cmd;
	s->g = g;
	firmware_init(&s->fw);
	s->dopts.source = g->no_udev ? DEVICES_SCAN : DEVICES_AUTO;
	return cmd_load_config(g, &s->cfg);
}

int session_firmware_opt(struct session *s, int opt, const char *arg)
{
	struct strbuf err = STRBUF_INIT;
	int r;

	if (opt == CLI_OPT_FIRMWARE)
		r = firmware_add_spec(&s->fw, arg, s->cfg.fw_offset, &err);
	else if (opt == CLI_OPT_IMAGE)
		r = firmware_add_image_arg(&s->fw, arg, &err);
	else
		r = firmware_load_flash_args(&s->fw, arg, &err);
	if (r < 0)
		fprintf(stderr, "flashbay %s: %s\n", s->cmd, err.buf);
	strbuf_release(&err);
	return r < 0 ? EXIT_USAGE : 0;
}

/* The images to use, checked; none is fine unless required. */
static int load_firmware(struct session *s, bool required, struct strbuf *err)
{
	int r = 0;

	/* nothing configured is fine when not required (the dashboard, Klipper) */
	if (!s->fw.n && (required || s->cfg.flash_args || s->cfg.n_images))
		r = firmware_from_config(&s->fw, &s->cfg, err);
	if (!r && !s->fw.n) {
		if (!required)
			return 0;
		strbuf_addstr(err, "no firmware: give --firmware FILE[@OFFSET], --image OFFSET=FILE or "
				   "--flash-args FILE, or set [firmware] in the configuration");
		return -ENOENT;
	}
	return r < 0 ? r : firmware_finalize(&s->fw, err);
}

/* Print each line of text as "flashbay CMD: warning: LINE", sanitised. */
static void print_warnings(const struct session *s, const char *text)
{
	while (*text) {
		size_t n = strcspn(text, "\n");
		struct strbuf safe = STRBUF_INIT;

		text_sanitize(&safe, text, n, false);
		fprintf(stderr, "flashbay %s: warning: %s\n", s->cmd, safe.buf);
		strbuf_release(&safe);
		text += n + (text[n] == '\n');
	}
}

/* The port lock directory must be there: else every board would fail. */
static int check_lock_dir(const struct config *cfg, struct strbuf *err)
{
	char *dir = config_lock_dir(cfg);
	struct stat st;
	int r = 0;

	if (stat(dir, &st) < 0)
		r = -errno;
	else if (!S_ISDIR(st.st_mode))
		r = -ENOTDIR;
	if (r)
		strbuf_addf(err, "lock directory '%s' ([station] lock_dir): %s", dir, strerror(-r));
	free(dir);
	return r;
}

/* [mqtt] enabled: publish. Without a history there is no outbox: only the status. */
static int start_mqtt(struct session *s, struct strbuf *err)
{
	if (s->g->no_history)
		print_warnings(s, "--no-history: attempts are not published over MQTT (they go "
				  "through the history's outbox); the status is");
	s->mqtt = mqtt_station_new(s->loop, s->app, &s->cfg, err);
	return s->mqtt ? 0 : -EINVAL;
}

/* [mqtt] off: attempts no longer enter the outbox (what waits there stays,
 * for when a station publishes again). */
static void stop_outbox(struct session *s)
{
	struct history *h = app_history(s->app);
	struct strbuf err = STRBUF_INIT;

	if (h && history_outbox_enable(h, false, &err))
		print_warnings(s, err.buf);
	strbuf_release(&err);
}

int session_start(struct session *s, bool monitor, enum session_fw fw)
{
	struct app_opts opts = { .cfg = &s->cfg, .devices = &s->dopts,
				 .no_history = s->g->no_history, .monitor = monitor, .fw = &s->fw };
	struct strbuf err = STRBUF_INIT, warn = STRBUF_INIT;
	int r = 0;

	if (s->g->demo) {
		/* the demo brings its own boards, flasher, firmware and history,
		 * and has no per-unit data */
		config_set_str(&s->cfg.unit_command, NULL);
		firmware_release(&s->fw);
		s->demo = demo_new(s->g->demo, monitor, &s->cfg, &s->dopts, &s->fw, &err);
		r = s->demo ? 0 : -EINVAL;
	} else {
		r = check_lock_dir(&s->cfg, &err);
		if (!r && fw != SESSION_FW_NONE)
			r = load_firmware(s, fw == SESSION_FW_REQUIRED, &err);
		if (!r && fw != SESSION_FW_NONE)
			r = unit_config_check(&s->cfg, &s->fw, !s->g->no_history, &err, &warn);
		if (!r)
			firmware_warnings(&s->fw, &warn);
		print_warnings(s, warn.buf);
	}
	if (!r) {
		s->loop = loop_new();
		s->app = app_new(s->loop, &opts, &err);
		r = s->app ? 0 : -EINVAL;
	}
	if (!r && s->cfg.mqtt_enabled)
		r = start_mqtt(s, &err);
	else if (!r)
		stop_outbox(s);
	if (r) {
		char *safe = text_sanitize_dup(err.buf, false);

		fprintf(stderr, "flashbay %s: %s\n", s->cmd, safe);
		free(safe);
		strbuf_release(&err);
		strbuf_release(&warn);
		return EXIT_USAGE;
	}
	strbuf_release(&err);
	strbuf_release(&warn);
	return 0;
}

void session_end(struct session *s)
{
	mqtt_station_close(s->mqtt, SESSION_MQTT_FLUSH_MS);
	app_free(s->app);
	mqtt_station_free(s->mqtt);
	loop_free(s->loop);
	demo_free(s->demo);
	firmware_release(&s->fw);
	config_release(&s->cfg);
}
