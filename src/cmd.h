/* cmd.h - subcommands and the options every subcommand accepts.
 *
 * Exit codes: 0 success, 1 a board or operation failed, 2 usage or
 * configuration error, 130 interrupted (Ctrl-C).
 */
#ifndef FLASHBAY_CMD_H
#define FLASHBAY_CMD_H

#include <stdbool.h>

struct config;

enum exit_code { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2, EXIT_INTERRUPTED = 130 };

/* Global options, accepted before or after the subcommand. */
struct globals {
	const char *config_file; /* --config FILE */
	const char *db_file;     /* --db FILE */
	bool no_udev;            /* --no-udev */
	const char *sysfs_root;  /* --sysfs-root DIR */
	const char *dev_root;    /* --dev-root DIR */
	int demo;                /* --demo [N]: N simulated boards, 0 = off */
	bool no_history;         /* --no-history */
	int verbose;             /* -v, repeatable */
};

/* A subcommand gets argv[0] = its name and its own options after it. */
typedef int (*cmd_fn)(struct globals *g, int argc, char **argv);

int cmd_flash(struct globals *g, int argc, char **argv);
int cmd_tui(struct globals *g, int argc, char **argv);
int cmd_monitor(struct globals *g, int argc, char **argv);

/* Print "flashbay CMD: message" and a hint to stderr; returns EXIT_USAGE (cmd.c). */
int cmd_usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
struct option;
/* getopt_long() for a command's own options (set optind = 1 first), with the
 * same messages in every command: returns the next option, -1 at the end, or
 * '?' after printing "option '--port' needs a value" (also when the value
 * would be the next option, as in `--port --slot 1`) or "unknown option"
 * (cmd.c). */
int cmd_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);
/* Load the configuration with the global overrides applied; on error print
 * every problem and return EXIT_USAGE, else 0. Warnings go to stderr (cmd.c).
 * cfg must be released by the caller either way. */
int cmd_load_config(struct globals *g, struct config *cfg);
/* The help text of a subcommand (for --help), or NULL. */
const char *cmd_help(const char *name);

/* Subcommands (cmd-*.c). */
/* flashbay list [--json] [--all]: the connected boards (cmd-list.c). */
int cmd_list(struct globals *g, int argc, char **argv);
/* klipper: `board SUBCOMMAND` (cmd-board.c; --config after "board" reaches
 * it: `board add --config FILE` seeds the board's .config, elsewhere it sets
 * g->config_file), and the hidden helpers run by flashbay itself. */
int cmd_board(struct globals *g, int argc, char **argv);
int cmd_service_guard(struct globals *g, int argc, char **argv);
int cmd_moonraker_state(struct globals *g, int argc, char **argv);
/* history: cmd-stats.c, cmd-history.c, cmd-export.c */
int cmd_stats(struct globals *g, int argc, char **argv);
int cmd_history(struct globals *g, int argc, char **argv);
int cmd_export(struct globals *g, int argc, char **argv);

#endif
