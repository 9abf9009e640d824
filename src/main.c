/* main.c - argv -> subcommand, global options, exit code. */
#include "autoconf.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd.h"
#include "cmd-fleet.h"
#include "config.h"
#include "demo.h"
#include "log.h"
#include "parse.h"
#include "str.h"
#include "strvec.h"

/* Commands whose name starts with '_' are internal (run by flashbay itself)
 * and not listed in --help. */
struct cmd {
	const char *name;
	cmd_fn fn;
	const char *summary;
	const char *help; /* usage lines after "flashbay NAME" */
};

/* Commands that take --config (after their name) as their own option. */
static const char *const own_config_cmds[] = { "board", NULL };

/* The image options of flash, monitor and tui. */
#define FIRMWARE_HELP                                                                     \
	"  --firmware FILE[@OFF]   flash FILE at OFF (hex; default [firmware] offset)\n"         \
	"  --image OFF=FILE        flash FILE at OFF; repeatable\n"                            \
	"  --flash-args FILE       the images of an ESP-IDF build/flash_args\n"                \
	"                          (images given here replace those of [firmware])\n"

static const struct cmd commands[] = {
	/* devices */
	{ "list", cmd_list, "list the connected USB serial boards, their kinds and slots",
	  "[--json] [--all]\n\n"
	  "List the USB serial boards connected now: slot (label if pinned in [slots]),\n"
	  "port, kind, vid:pid, product, serial and /dev/serial/by-id name ('*' marks a\n"
	  "by-id name shared by several boards).\n\n"
	  "  --json     a JSON array of objects (slot, port, by_id, by_path, kind, vid,\n"
	  "             pid, manufacturer, product, serial, driver, ...)\n"
	  "  -a, --all  also serial ports that are not USB (ttyS0, ttyAMA0, ...)\n" },

	/* flashing */
	{ "tui", cmd_tui, "the dashboard (the default on a terminal)",
	  "[--monitor] [--port DEV]... [IMAGES]\n\n"
	  "The full-screen dashboard; press ? in it for the keys. Plain 'flashbay' on a\n"
	  "terminal opens it.\n\n"
	  "  --monitor               start in monitor mode (flash every ESP32 board when\n"
	  "                          it is plugged in)\n"
	  "  --port DEV              show serial port DEV as a board even if discovery\n"
	  "                          does not know it (a pty); repeatable\n"
	  FIRMWARE_HELP },
	{ "flash", cmd_flash, "flash ESP32 boards in parallel with esptool",
	  "BOARDS [IMAGES] [--baud N] [--skip-identical] [--json]\n"
	  "                        [--label TEXT] [--new-serial]\n\n"
	  "Flash the boards named, up to [station] max_workers at once. BOARDS: --port\n"
	  "and --slot (each repeatable, mixed as you like), or --all.\n\n"
	  "  --port DEV              the board on serial port DEV (any tty path, links\n"
	  "                          resolved); repeatable\n"
	  "  --slot N                the board in slot N (see 'flashbay list'); repeatable\n"
	  "  --all                   every ESP32 board connected\n"
	  FIRMWARE_HELP
	  "  --baud N                esptool's baud rate (default: [esp32] baud)\n"
	  "  --skip-identical        write nothing to a board whose flash already holds\n"
	  "                          every image (as [esp32] skip_identical = yes)\n"
	  "  --json                  one JSON object per board, then a summary object\n"
	  "  --label TEXT            the unit's label (one board), kept with its attempt\n"
	  "  --new-serial            with [unit]: new serials, even for boards with one\n\n"
	  "Exit 0 if every board passed, 1 if any failed, 2 on usage or configuration\n"
	  "errors (nothing is flashed), 130 if interrupted.\n" },
	{ "monitor", cmd_monitor, "flash every ESP32 board the moment it is plugged in",
	  "[--port DEV]... [IMAGES] [--baud N] [--count N] [--json]\n\n"
	  "Flash each ESP32 board once per plug-in (a re-enumeration is not a new\n"
	  "plug-in) until Ctrl-C. Boards connected at start count as plugged in; so do\n"
	  "the ports named with --port.\n\n"
	  "  --port DEV              also serial port DEV, which discovery does not know\n"
	  "                          (a pty); repeatable\n"
	  FIRMWARE_HELP
	  "  --baud N                esptool's baud rate (default: [esp32] baud)\n"
	  "  --count N               stop once N boards have finished (never more than\n"
	  "                          N started)\n"
	  "  --skip-identical        write nothing to a board whose flash already holds\n"
	  "                          every image (as [esp32] skip_identical = yes)\n"
	  "  --json                  one JSON object per board, then a summary object\n" },

	/* history */
	{ "stats", cmd_stats, "yield, units per hour and failures of the flash history",
	  "[--since TIME | --all] [--json] [--by-station] [--reset]\n\n"
	  "Statistics of the current period: attempts, first-pass yield, units per hour,\n"
	  "duration p50/p95, failures by class, slot and firmware.\n"
	  "  --since TIME   attempts started since TIME (2026-11-21, 2026-11-21T08:00,\n"
	  "                 8h, 2d)\n"
	  "  --all          every period, and each one\n"
	  "  --json         machine-readable output\n"
	  "  --by-station   also a row per station (a fleet's database: 'fleet --db')\n"
	  "  --reset        start a new statistics period (nothing is deleted)\n" },
	{ "history", cmd_history, "recent flash attempts, newest first",
	  "[--port DEV] [--mac MAC] [--board KEY] [--limit N]\n"
	  "                        [--json]\n\n"
	  "  --port DEV     attempts on DEV (device node or by-path link)\n"
	  "  --mac MAC      attempts on the board with this MAC\n"
	  "  --board KEY    attempts on this named Klipper board\n"
	  "  --limit N      at most N attempts (default 20; 0: all)\n"
	  "  --json         a JSON array of full rows, tool output included\n" },
	{ "export", cmd_export, "write the flash history as CSV or JSON",
	  "--csv FILE|- | --json FILE|- [--since TIME]\n\n"
	  "  --csv FILE     write RFC 4180 CSV to FILE (atomically), or - for stdout\n"
	  "  --json FILE    write a JSON array of the attempts, the fields of\n"
	  "                 'history --json' (tool output included), the same way\n"
	  "  --since TIME   only attempts started since TIME\n" },

	/* a line of stations */
	{ "fleet", cmd_fleet, "the line's stations over MQTT: status, yield, every attempt",
	  "[--broker URL] [--topic T] [--json]\n\n"
	  "Subscribe to <topic>/+/status and <topic>/+/attempts on the broker of [mqtt]\n"
	  "(or --broker, --topic) and show each station: online/offline, mode, firmware,\n"
	  "ok/fail, first-pass yield, units/h, busy slots, last result, and the line's\n"
	  "totals. On a terminal: the fleet dashboard; otherwise one line per event.\n\n"
	  "  --broker URL   mqtt://HOST[:PORT] or mqtts://HOST[:PORT]\n"
	  "  --topic T      the topic prefix (default: [mqtt] topic, flashbay)\n"
	  "  --json         print the state once, when the retained statuses have come\n"
	  "                 (at most 5 s), and exit\n"
	  "  --db FILE      (global option) store every attempt received in FILE, once\n"
	  "                 per station and attempt id: 'flashbay --db FILE stats' and\n"
	  "                 'export' then give line-wide figures. The broker keeps what\n"
	  "                 comes while the fleet is away (a persistent session)\n" },

	/* klipper */
	{ "board", cmd_board, "Klipper/Kalico boards: register, menuconfig, build, flash",
	  "SUBCOMMAND [ARGS]\n"
	  "  list                   registered boards [OK]/[--], unregistered devices [??]\n"
	  "  add                    the wizard (on a terminal)\n"
	  "  add KEY --mcu MCU --serial-pattern GLOB [--name NAME] [--method M]\n"
	  "      [--klipper-dir DIR] [--config FILE]\n"
	  "  remove KEY [--keep-config]\n"
	  "  show KEY\n"
	  "  menuconfig KEY\n"
	  "  build [KEY...|--all] [--rebuild] [--no-clean]\n"
	  "  flash [KEY...|--all] [--rebuild] [--no-clean] [--force] [--yes] [--menuconfig]\n\n"
	  "flash: [Discovery] [Config] [Build] in parallel, [Service] one systemctl stop,\n"
	  "[Flash] Katapult (or make flash) in parallel, one systemctl start - always, even\n"
	  "if flashbay is killed - and [Verify] each board comes back. Exit 0 all passed,\n"
	  "1 a board or the service failed, 2 usage error, 130 interrupted.\n" },
	{ "_service-guard", cmd_service_guard, "", "--fd N --log FILE --timeout MS -- COMMAND...\n" },
	{ "_moonraker-state", cmd_moonraker_state, "", "URL [--timeout MS]\n" },

	{ NULL, NULL, NULL, NULL },
};

/* Internal commands flashbay runs as its own children; they get argv raw. */
struct internal_cmd {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct internal_cmd internal_commands[] = {
	{ "_sim-esptool", cmd_sim_esptool },
	{ NULL, NULL },
};

static const char *const global_help =
	"Global options (before or after the subcommand):\n"
	"  --config FILE      read FILE after the system and user configuration\n"
	"  --db FILE          use FILE as the flash history database\n"
	"  --no-history       run without a history database (nothing is recorded)\n"
	"  --no-udev          find devices by scanning sysfs and /dev (with inotify)\n"
	"  --sysfs-root DIR   sysfs root for --no-udev (default /sys)\n"
	"  --dev-root DIR     /dev root for --no-udev (default /dev)\n"
	"  --demo [N]         simulated boards and flasher (no hardware needed)\n"
	"  -v, --verbose      more messages (repeat for debug)\n"
	"  -h, --help         show help (of a subcommand after its name)\n"
	"  -V, --version      show the version\n";

/* The whole help text. */
static void print_help(FILE *f)
{
	fprintf(f,
		"Usage: flashbay [OPTIONS] [COMMAND [ARGS]]\n"
		"Flash firmware onto many USB-connected microcontroller boards at once.\n\n"
		"Commands:\n");
	for (const struct cmd *c = commands; c->name; c++)
		if (c->name[0] != '_')
			fprintf(f, "  %-10s %s\n", c->name, c->summary);
	fprintf(f, "\n%s\nSee flashbay(1) and flashbay.conf(5).\n", global_help);
}

static const struct cmd *find_cmd(const char *name)
{
	for (const struct cmd *c = commands; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

const char *cmd_help(const char *name)
{
	const struct cmd *c = find_cmd(name);

	return c ? c->help : NULL;
}

/* Options taking a value: where to store it. */
static const char **global_value(struct globals *g, const char *name)
{
	if (!strcmp(name, "--config"))
		return &g->config_file;
	if (!strcmp(name, "--db"))
		return &g->db_file;
	if (!strcmp(name, "--sysfs-root"))
		return &g->sysfs_root;
	if (!strcmp(name, "--dev-root"))
		return &g->dev_root;
	return NULL;
}

/* Flags without a value; false if arg is not one. */
static bool global_flag(struct globals *g, const char *arg)
{
	if (!strcmp(arg, "--no-udev"))
		g->no_udev = true;
	else if (!strcmp(arg, "--no-history"))
		g->no_history = true;
	else if (!strcmp(arg, "-v") || !strcmp(arg, "--verbose"))
		g->verbose++;
	else if (!strcmp(arg, "-vv"))
		g->verbose += 2;
	else
		return false;
	return true;
}

/* --demo [N]; returns how many extra argv entries were used, or -1. */
static int global_demo(struct globals *g, const char *arg, const char *next)
{
	long n = 8;

	if (str_starts_with(arg, "--demo=")) {
		if (parse_long(arg + 7, 1, 64, &n))
			return -1;
		g->demo = (int)n;
		return 0;
	}
	if (next && !parse_long(next, 1, 64, &n)) {
		g->demo = (int)n;
		return 1;
	}
	g->demo = 8;
	return 0;
}

/* Handle one global option at argv[*i]; 1 if it was one, 0 if not, -1 on error. */
static int parse_global(struct globals *g, int argc, char **argv, int *i)
{
	const char *arg = argv[*i], *eq = strchr(arg, '=');
	char name[32];
	const char **slot;

	if (global_flag(g, arg))
		return 1;
	if (!strcmp(arg, "--demo") || str_starts_with(arg, "--demo=")) {
		int used = global_demo(g, arg, *i + 1 < argc ? argv[*i + 1] : NULL);

		if (used < 0)
			return cmd_usage_error(NULL, "--demo: N must be a number from 1 to 64"), -1;
		*i += used;
		return 1;
	}
	snprintf(name, sizeof name, "%.*s", eq ? (int)(eq - arg) : (int)strlen(arg), arg);
	slot = global_value(g, name);
	if (!slot)
		return 0;
	if (eq) {
		*slot = eq + 1;
	} else if (*i + 1 < argc) {
		*slot = argv[++*i];
	} else {
		cmd_usage_error(NULL, "option '%s' needs a value", name);
		return -1;
	}
	return 1;
}

/* After the name of a command in own_config_cmds, --config belongs to it. */
static bool owns_config(const struct strvec *sub, const char *arg)
{
	if (!sub->n || (strcmp(arg, "--config") && !str_starts_with(arg, "--config=")))
		return false;
	for (size_t i = 0; own_config_cmds[i]; i++)
		if (!strcmp(sub->v[0], own_config_cmds[i]))
			return true;
	return false;
}

/* What main decided to do. */
enum action { ACT_RUN, ACT_HELP, ACT_VERSION };

/* Split argv into globals, the subcommand and its arguments. */
static int parse_args(struct globals *g, int argc, char **argv, struct strvec *sub,
		      enum action *act)
{
	bool dashdash = false;

	*act = ACT_RUN;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int r;

		if (!dashdash && !strcmp(a, "--")) {
			dashdash = true;
			strvec_push(sub, a);
			continue;
		}
		if (!dashdash && a[0] == '-') {
			if (owns_config(sub, a)) {
				strvec_push(sub, a);
				continue;
			}
			r = parse_global(g, argc, argv, &i);
			if (r < 0)
				return EXIT_USAGE;
			if (r)
				continue;
			if (!sub->n && (!strcmp(a, "-h") || !strcmp(a, "--help"))) {
				*act = ACT_HELP;
				continue;
			}
			if (!sub->n && (!strcmp(a, "-V") || !strcmp(a, "--version"))) {
				*act = ACT_VERSION;
				continue;
			}
			if (!sub->n)
				return cmd_usage_error(NULL, "unknown option '%s'", a);
		}
		strvec_push(sub, a);
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct globals g = { 0 };
	struct strvec sub = STRVEC_INIT;
	const struct cmd *c;
	enum action act;
	int r;

	setlocale(LC_ALL, "");
	/* a closed stdout must not kill us half-way through recording attempts */
	signal(SIGPIPE, SIG_IGN);
	for (const struct internal_cmd *ic = internal_commands; argc > 1 && ic->name; ic++)
		if (!strcmp(argv[1], ic->name))
			return ic->fn(argc - 1, argv + 1);
	r = parse_args(&g, argc, argv, &sub, &act);
	if (r)
		goto out;
	log_set_verbosity(g.verbose);
	if (act == ACT_VERSION) {
		printf("flashbay %s\n", PACKAGE_VERSION);
		goto out;
	}
	if (act == ACT_HELP) {
		print_help(stdout);
		goto out;
	}
	if (!sub.n) {
		if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
			strvec_push(&sub, "tui");
		} else {
			r = cmd_usage_error(NULL, "no command given (the dashboard needs a terminal)");
			goto out;
		}
	}
	c = find_cmd(sub.v[0]);
	if (!c) {
		r = cmd_usage_error(NULL, "unknown command '%s'", sub.v[0]);
		goto out;
	}
	if (sub.n > 1 && (!strcmp(sub.v[1], "--help") || !strcmp(sub.v[1], "-h"))) {
		printf("Usage: flashbay %s %s\nGlobal options (--config, --db, --no-history, ...): "
		       "see 'flashbay --help'.\n", c->name, c->help);
		goto out;
	}
	r = c->fn(&g, (int)sub.n, sub.v);
out:
	strvec_release(&sub);
	log_release();
	return r;
}
