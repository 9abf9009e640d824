/* cmd.c - what every subcommand shares: usage errors, option parsing with
 * the same messages everywhere, and loading the configuration. */
#include "autoconf.h"

#include "cmd.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "strbuf.h"

int cmd_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "flashbay%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'flashbay%s%s --help'.\n", cmd ? " " : "", cmd ? cmd : "");
	return EXIT_USAGE;
}

/* How the user spelled the option getopt_long() just refused: "-x", or
 * "--name" without any "=value". */
static void refused_option(char *out, size_t size, const char *arg)
{
	if (optopt > 0 && optopt < 128 && strncmp(arg, "--", 2))
		snprintf(out, size, "-%c", optopt);
	else
		snprintf(out, size, "%.*s", (int)strcspn(arg, "="), arg);
}

int cmd_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts)
{
	char optstring[64], name[64];
	int opt;

	/* a leading ':' tells a missing value apart from an unknown option */
	snprintf(optstring, sizeof optstring, ":%s", shortopts);
	opterr = 0;
	opt = getopt_long(argc, argv, optstring, longopts, NULL);
	if (opt == ':' || opt == '?') {
		const char *arg = argv[optind - 1];
		/* "--json=1": glibc names the option in optopt */
		bool valued = opt == '?' && optopt && !strncmp(arg, "--", 2) && strchr(arg, '=');

		refused_option(name, sizeof name, arg);
		cmd_usage_error(cmd, opt == ':' ? "option '%s' needs a value"
				     : valued ? "option '%s' takes no value" : "unknown option '%s'",
				name);
		return '?';
	}
	/* `--port=`, `--port ''` or `--port --slot 1`: no value, or the next
	 * option taken as one */
	if (opt != -1 && optarg && (!*optarg || (!strncmp(optarg, "--", 2) && optarg[2]))) {
		bool apart = optind >= 2 && optarg == argv[optind - 1];

		if (*optarg && !apart)
			return opt; /* --firmware=--odd-name is explicit enough */
		refused_option(name, sizeof name, argv[optind - (apart ? 2 : 1)]);
		cmd_usage_error(cmd, "option '%s' needs a value", name);
		return '?';
	}
	return opt;
}

int cmd_load_config(struct globals *g, struct config *cfg)
{
	struct strbuf err = STRBUF_INIT, warn = STRBUF_INIT;
	int r;

	config_init(cfg);
	r = config_load(cfg, g->config_file, &err, &warn);
	if (warn.len)
		fputs(warn.buf, stderr);
	if (r) {
		fputs(err.buf, stderr);
		fprintf(stderr, "flashbay: configuration has errors; nothing was done\n");
	}
	strbuf_release(&err);
	strbuf_release(&warn);
	if (r)
		return EXIT_USAGE;
	if (g->db_file)
		config_set_str(&cfg->database, g->db_file);
	if (g->sysfs_root)
		config_set_str(&cfg->sysfs_root, g->sysfs_root);
	if (g->dev_root)
		config_set_str(&cfg->dev_root, g->dev_root);
	return 0;
}
