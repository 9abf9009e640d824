/* cmd-tui.c - `flashbay tui` (and plain `flashbay` on a terminal): the dashboard. */
#include "autoconf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "app.h"
#include "cli.h"
#include "cmd.h"
#include "loop.h"
#include "tui.h"

enum { OPT_MONITOR = 256 };

static const struct option long_opts[] = {
	{ "monitor", no_argument, NULL, OPT_MONITOR },
	CLI_FIRMWARE_OPTIONS,
	{ NULL, 0, NULL, 0 },
};

/* Parse tui's options into s; *monitor set by --monitor. */
static int parse_opts(struct session *s, int argc, char **argv, bool *monitor)
{
	int opt;

	optind = 1;
	while ((opt = cmd_getopt("tui", argc, argv, "", long_opts)) != -1) {
		if (opt == OPT_MONITOR)
			*monitor = true;
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

int cmd_tui(struct globals *g, int argc, char **argv)
{
	struct session s;
	struct strbuf err = STRBUF_INIT;
	bool monitor = g->demo > 0;
	struct tui *t;
	int r;

	if ((r = session_config(&s, g, "tui")) || (r = parse_opts(&s, argc, argv, &monitor)) ||
	    (r = session_start(&s, monitor, SESSION_FW_OPTIONAL))) {
		session_end(&s);
		return r;
	}
	t = tui_new(s.loop, s.app, &s.cfg, g->demo > 0, &err);
	if (!t) {
		fprintf(stderr, "flashbay: %s\n", err.buf);
		strbuf_release(&err);
		session_end(&s);
		return EXIT_USAGE;
	}
	r = loop_run(s.loop);
	tui_free(t);
	session_end(&s);
	strbuf_release(&err);
	return r;
}
