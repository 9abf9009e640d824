/* cmd-board.h - what the files of `flashbay board` share (cmd-board.c: add,
 * remove, show, menuconfig; cmd-board-list.c: list and the add wizard;
 * cmd-board-run.c: build and flash). */
#ifndef FLASHBAY_CMD_BOARD_H
#define FLASHBAY_CMD_BOARD_H

#include <stdbool.h>
#include <stdio.h>

#include "boards.h"
#include "config.h"

struct globals;
struct loop;

/* Everything a board subcommand works with. */
struct bctx {
	struct globals *g;
	struct config cfg;
	struct boards boards;
	bool cfg_loaded;
};

/* What `board add` registers. */
struct add_opts {
	struct board b;
	const char *config; /* --config FILE: the seed .config, or NULL */
};

/* Print untrusted text (may hold several lines) to f, sanitised per line. */
void board_print_lines(FILE *f, const char *prefix, const char *text);
/* "flashbay board SUB: message" on stderr, sanitised; returns code. */
int board_fail(const char *sub, int code, const char *msg);
/* Load the configuration and the registry; on error print it and return EXIT_USAGE. */
int bctx_load(struct bctx *c, const char *sub);
/* Load the registry at path into b (initialised here; release it in every
 * case); on errors print them and return EXIT_USAGE. */
int board_registry_load(struct boards *b, const char *path, const char *sub);
/* The method the engine will use for b. */
const char *board_effective_method(const struct config *cfg, const struct board *b);
/* Register o->b (bctx loaded): validate, seed the config, save, report.
 * 0, EXIT_USAGE or EXIT_FAIL (printed). */
int board_register(struct bctx *c, struct add_opts *o);
/* menuconfig for b (a terminal is needed: check first) through
 * klipper_menuconfig_run() on loop (NULL: a loop of its own); prints whether
 * the configuration was saved and the MCU check. EXIT_OK or EXIT_FAIL. */
int board_menuconfig_on(struct loop *loop, const struct config *cfg, const struct board *b);

/* cmd-board-list.c */
int board_list(struct bctx *c, int argc, char **argv);
/* `board add` without arguments: the interactive wizard (needs a terminal). */
int board_add_wizard(struct bctx *c);

/* cmd-board-run.c */
int board_build(struct bctx *c, int argc, char **argv);
int board_flash(struct bctx *c, int argc, char **argv);

#endif
