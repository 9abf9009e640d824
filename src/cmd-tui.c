/* cmd-tui.c - `flashbay tui` (and plain `flashbay` on a terminal): the dashboard. */
#include "autoconf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "app.h"
#include "cmd.h"
#include "devices.h"
#include "loop.h"
#include "session.h"
#include "strvec.h"
#include "tui.h"

enum { OPT_MONITOR = 256, OPT_PORT };

static const struct option long_opts[] = {
	{ "monitor", no_argument, NULL, OPT_MONITOR },
	{ "port", required_argument, NULL, OPT_PORT },
	CLI_FIRMWARE_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* Parse tui's options into s; *monitor set by --monitor, ports get --port's. */
static int parse_opts(struct session *s, int argc, char **argv, bool *monitor,
		      struct strvec *ports)
{
	int opt;

	optind = 1;
	while ((opt = cmd_getopt("tui", argc, argv, "", long_opts)) != -1) {
		if (opt == OPT_MONITOR)
			*monitor = true;
		else if (opt == OPT_PORT)
			strvec_push(ports, optarg);
		else if (opt >= CLI_OPT_FIRMWARE && opt <= CLI_OPT_FLASH_ARGS) {
			if (session_firmware_opt(s, opt, optarg))
				return EXIT_USAGE;
		} else
			return EXIT_USAGE;
	}
	if (optind < argc)
		return cmd_usage_error("tui", "unexpected argument '%s'", argv[optind]);
	return 0;
}

/* The ports named with --port, as boards present from the start. 0,
 * EXIT_USAGE (not a serial port) or EXIT_FAIL (printed). */
static int add_ports(struct app *app, const struct strvec *ports, bool demo)
{
	struct strbuf err = STRBUF_INIT;
	int bad = 0;

	for (size_t i = 0; !demo && i < ports->n; i++) {
		if (devices_check_port(ports->v[i], &err) < 0)
			bad = fprintf(stderr, "flashbay tui: %s\n", err.buf);
		strbuf_reset(&err);
	}
	if (bad) {
		strbuf_release(&err);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < ports->n; i++) {
		if (!app_add_port(app, ports->v[i], &err))
			bad = fprintf(stderr, "flashbay tui: %s\n", err.buf);
		strbuf_reset(&err);
	}
	strbuf_release(&err);
	return bad ? EXIT_FAIL : 0;
}

int cmd_tui(struct globals *g, int argc, char **argv)
{
	struct session s;
	struct strbuf err = STRBUF_INIT;
	struct strvec ports = STRVEC_INIT;
	bool monitor = g->demo > 0;
	struct tui *t;
	int r;

	if ((r = session_config(&s, g, "tui")) ||
	    (r = parse_opts(&s, argc, argv, &monitor, &ports)) ||
	    (r = session_start(&s, monitor, SESSION_FW_OPTIONAL)) || (r = add_ports(s.app, &ports, g->demo > 0))) {
		session_end(&s);
		strvec_release(&ports);
		return r;
	}
	strvec_release(&ports);
	t = tui_new(s.loop, s.app, &s.cfg, g->demo > 0, &err);
	if (!t) {
		fprintf(stderr, "flashbay: %s\n", err.buf);
		strbuf_release(&err);
		session_end(&s);
		return EXIT_USAGE;
	}
	app_begin(s.app);
	r = loop_run(s.loop);
	tui_free(t);
	session_end(&s);
	strbuf_release(&err);
	return r;
}
