/* cmd-fleet.c - `flashbay fleet`: the line's stations as they publish over
 * MQTT; --json prints the state once, a terminal gets the fleet dashboard
 * (tui-fleet.c), otherwise one line per event; --db stores every attempt. */
#include "autoconf.h"

#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"
#include "cmd.h"
#include "cmd-fleet.h"
#include "config.h"
#include "fleet.h"
#include "history.h"
#include "loop.h"
#include "mqtt.h"
#include "text.h"
#include "xalloc.h"

int fleet_out(struct fleet_cli *c, const char *fmt, ...)
{
	struct strbuf raw = STRBUF_INIT, safe = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&raw, fmt, ap);
	va_end(ap);
	text_sanitize(&safe, raw.buf, raw.len, false);
	if (c->tui)
		fleet_tui_note(c->tui, safe.buf);
	else
		fprintf(c->json ? stderr : stdout, "%s\n", safe.buf);
	fflush(stdout);
	strbuf_release(&raw);
	strbuf_release(&safe);
	return 0;
}

/* --json: the state, once. */
static void print_json(struct fleet_cli *c)
{
	struct strbuf out = STRBUF_INIT;

	fleet_json(&c->f, &out);
	printf("%s\n", out.buf);
	strbuf_release(&out);
	loop_quit(c->loop, EXIT_OK);
}

static void on_quiet(struct loop_timer *t, void *data)
{
	(void)t;
	print_json(data);
}

/* --json gives up waiting: what came so far, or an error if nothing could. */
static void on_deadline(struct loop_timer *t, void *data)
{
	struct fleet_cli *c = data;

	(void)t;
	if (c->subscribed == 2) {
		print_json(c);
		return;
	}
	fprintf(stderr, "flashbay fleet: cannot reach the broker %s within %d s%s%s\n",
		c->cfg.mqtt_broker, FLEET_JSON_WAIT_MS / 1000, *mqtt_why(c->m) ? ": " : "",
		mqtt_why(c->m));
	loop_quit(c->loop, EXIT_FAIL);
}

static void on_up(void *data)
{
	struct fleet_cli *c = data;
	char *pat;

	c->subscribed = 0;
	for (int i = 0; i < 2; i++) {
		pat = xasprintf("%s/+/%s", c->cfg.mqtt_topic, i ? "attempts" : "status");
		if (mqtt_subscribe(c->m, pat, 1, &c->sub_mid[i]))
			fleet_out(c, "flashbay fleet: cannot subscribe to %s", pat);
		free(pat);
	}
	if (!c->json)
		fleet_out(c, "connected to %s", c->cfg.mqtt_broker);
}

static void on_down(void *data, const char *why)
{
	struct fleet_cli *c = data;

	if (!c->json)
		fleet_out(c, "warning: broker %s: %s (trying again)", c->cfg.mqtt_broker, why);
}

static void on_subscribed(void *data, int mid)
{
	struct fleet_cli *c = data;

	if (mid == c->sub_mid[0] || mid == c->sub_mid[1])
		c->subscribed++;
	if (c->json && c->subscribed == 2)
		loop_timer_arm(c->loop, &c->quiet, FLEET_JSON_QUIET_MS, 0);
}

/* A line for an attempt or a status that came in (line mode). */
static void tell(struct fleet_cli *c, const char *topic)
{
	const char *leaf = strrchr(topic, '/');
	const char *name = topic + strlen(c->cfg.mqtt_topic) + 1;
	int nlen = (int)(leaf - name);

	for (size_t i = 0; i < c->f.n; i++) {
		const struct fleet_station *s = &c->f.st[i];

		if (strncmp(s->name, name, (size_t)nlen) || s->name[nlen])
			continue;
		if (!strcmp(leaf, "/attempts"))
			fleet_out(c, "%s slot %d %s%s%s %s", s->name, s->last_slot, s->last_outcome,
				  s->last_class[0] ? " " : "", s->last_class, s->last_message);
		else
			fleet_out(c, "%s %s %s ok %ld fail %ld busy %ld waiting %ld", s->name,
				  s->online ? "online" : "offline", s->mode, s->ok, s->failed,
				  s->busy, s->waiting);
	}
}

static void on_message(void *data, const char *topic, const void *payload, size_t len,
		       bool retained)
{
	struct fleet_cli *c = data;
	struct strbuf err = STRBUF_INIT;
	int r = fleet_message(&c->f, topic, payload, len, &err);

	(void)retained;
	if (r < 0 && !c->json)
		fleet_out(c, "warning: %s", err.buf);
	if (r > 0 && !c->json && !c->tui)
		tell(c, topic);
	if (c->tui)
		fleet_tui_changed(c->tui);
	if (c->json && c->subscribed == 2)
		loop_timer_arm(c->loop, &c->quiet, FLEET_JSON_QUIET_MS, 0);
	strbuf_release(&err);
}

static const struct mqtt_handlers handlers = {
	.up = on_up, .down = on_down, .subscribed = on_subscribed, .message = on_message,
};

static void on_signal(const struct signalfd_siginfo *si, void *data)
{
	struct fleet_cli *c = data;

	loop_quit(c->loop, si->ssi_signo == SIGINT ? EXIT_INTERRUPTED : EXIT_OK);
}

/* Options; 0, or EXIT_USAGE (printed). */
static int parse_opts(struct fleet_cli *c, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "broker", required_argument, NULL, 'b' },
		{ "topic", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	optind = 1;
	while ((o = cmd_getopt("fleet", argc, argv, "", opts)) != -1) {
		if (o == 'b')
			config_set_str(&c->cfg.mqtt_broker, optarg);
		else if (o == 't')
			config_set_str(&c->cfg.mqtt_topic, optarg);
		else if (o == 'j')
			c->json = true;
		else
			return EXIT_USAGE;
	}
	if (optind < argc)
		return cmd_usage_error("fleet", "unexpected argument '%s'", argv[optind]);
	return 0;
}

/* The client: a persistent session when storing (the broker keeps what
 * comes while the fleet is away), else a clean one of its own. */
static int start_client(struct fleet_cli *c, struct strbuf *err)
{
	struct mqtt_opts o;
	char *id = c->db ? xasprintf("flashbay-fleet-%s", c->cfg.station_name)
			 : xasprintf("flashbay-fleet-%s-%ld", c->cfg.station_name, (long)getpid());

	mqtt_opts_from_config(&o, &c->cfg);
	o.client_id = id;
	o.clean_session = !c->db;
	c->m = mqtt_new(c->loop, &o, &handlers, c, err);
	free(id);
	return c->m ? 0 : -EINVAL;
}

/* Configuration, database, loop, client. 0 or an exit code (printed). */
static int setup(struct fleet_cli *c, int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	int r;

	if ((r = cmd_load_config(c->g, &c->cfg)) || (r = parse_opts(c, argc, argv)))
		return r;
	if (config_mqtt_check(&c->cfg, false, &err)) {
		fputs(err.buf, stderr);
		strbuf_release(&err);
		return EXIT_USAGE;
	}
	if (c->g->db_file && !c->g->no_history && history_open(c->g->db_file, &c->db, &err)) {
		fprintf(stderr, "flashbay fleet: %s\n", err.buf);
		strbuf_release(&err);
		return EXIT_USAGE;
	}
	fleet_init(&c->f, c->cfg.mqtt_topic, c->db);
	c->loop = loop_new();
	loop_timer_init(&c->quiet, on_quiet, c);
	loop_timer_init(&c->deadline, on_deadline, c);
	if (start_client(c, &err)) {
		fprintf(stderr, "flashbay fleet: %s\n", err.buf);
		strbuf_release(&err);
		return EXIT_USAGE;
	}
	strbuf_release(&err);
	loop_signal_add(c->loop, SIGINT, on_signal, c);
	loop_signal_add(c->loop, SIGTERM, on_signal, c);
	return 0;
}

int cmd_fleet(struct globals *g, int argc, char **argv)
{
	struct fleet_cli c = { .g = g };
	int r = setup(&c, argc, argv);

	if (!r && c.json)
		loop_timer_arm(c.loop, &c.deadline, FLEET_JSON_WAIT_MS, 0);
	else if (!r && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
		c.tui = fleet_tui_new(&c);
	if (!r)
		r = loop_run(c.loop);
	fleet_tui_free(c.tui);
	c.tui = NULL;
	if (c.db && !c.json && c.f.stored + c.f.duplicates)
		fleet_out(&c, "%ld attempts stored in %s (%ld already there)", c.f.stored,
			  c.g->db_file, c.f.duplicates);
	mqtt_free(c.m);
	if (c.loop) {
		loop_timer_disarm(c.loop, &c.quiet);
		loop_timer_disarm(c.loop, &c.deadline);
	}
	loop_free(c.loop);
	history_close(c.db);
	fleet_release(&c.f);
	config_release(&c.cfg);
	return r;
}
