/* cmd-board.c - `flashbay board SUBCOMMAND`: the Klipper board registry from
 * the command line, and the hidden helper commands of the Klipper area.
 *
 * Subcommands here need neither device discovery nor the engine: add (the
 * non-interactive form), remove, show, menuconfig. `board list` and the
 * interactive add wizard are in cmd-board-list.c, `board build` and `board
 * flash` (the engine's Klipper plan) in cmd-board-run.c.
 */
#include "autoconf.h"

#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "array.h"
#include "boards.h"
#include "cmd-board.h"
#include "cmd.h"
#include "config.h"
#include "files.h"
#include "klipper.h"
#include "moonraker.h"
#include "path.h"
#include "service.h"
#include "str.h"
#include "text.h"
#include "xalloc.h"

void board_print_lines(FILE *f, const char *prefix, const char *text)
{
	const char *l = text;

	while (l && *l) {
		const char *nl = strchr(l, '\n');
		size_t n = nl ? (size_t)(nl - l) : strlen(l);
		struct strbuf sb = STRBUF_INIT;

		text_sanitize(&sb, l, n, false);
		fprintf(f, "%s%s\n", prefix, sb.buf);
		strbuf_release(&sb);
		l = nl ? nl + 1 : NULL;
	}
}

int board_fail(const char *sub, int code, const char *msg)
{
	struct strbuf sb = STRBUF_INIT;

	text_sanitize(&sb, msg, strlen(msg), false);
	fprintf(stderr, "flashbay board %s: %s\n", sub, sb.buf);
	strbuf_release(&sb);
	return code;
}

int board_registry_load(struct boards *b, const char *path, const char *sub)
{
	struct strbuf err = STRBUF_INIT;

	boards_init(b, path);
	if (boards_load(b, &err)) {
		board_print_lines(stderr, "", err.buf);
		fprintf(stderr, "flashbay board %s: the board registry has errors; nothing was changed\n",
			sub);
		strbuf_release(&err);
		return EXIT_USAGE;
	}
	strbuf_release(&err);
	return 0;
}

int bctx_load(struct bctx *c, const char *sub)
{
	int r = cmd_load_config(c->g, &c->cfg);

	if (r)
		return r;
	c->cfg_loaded = true;
	return board_registry_load(&c->boards, c->cfg.boards_file, sub);
}

/* Free what bctx_load() loaded. */
static void bctx_release(struct bctx *c)
{
	if (c->cfg_loaded) {
		boards_release(&c->boards);
		config_release(&c->cfg);
	}
}

/* The board named by key, or NULL after saying so. */
static struct board *find_board(struct bctx *c, const char *sub, const char *key)
{
	struct board *b = boards_find(&c->boards, key);
	struct strbuf sb = STRBUF_INIT;

	if (!b) {
		strbuf_addf(&sb, "no board named '%s' in %s", key, c->boards.path);
		board_fail(sub, EXIT_USAGE, sb.buf);
		strbuf_release(&sb);
	}
	return b;
}

const char *board_effective_method(const struct config *cfg, const struct board *b)
{
	if (b->method != BOARD_METHOD_DEFAULT)
		return board_method_name(b->method);
	return cfg->default_method ? cfg->default_method : "katapult";
}

/* ------------------------------------------------------------ add */

/* Parse `add KEY --mcu ... `; 0 or EXIT_USAGE. */
static int add_parse(int argc, char **argv, struct add_opts *o)
{
	memset(o, 0, sizeof *o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		const char **slot = !strcmp(a, "--mcu") ? (const char **)&o->b.mcu
				  : !strcmp(a, "--serial-pattern") ? (const char **)&o->b.serial_pattern
				  : !strcmp(a, "--name") ? (const char **)&o->b.name
				  : !strcmp(a, "--klipper-dir") ? (const char **)&o->b.klipper_dir
				  : !strcmp(a, "--config") ? &o->config : NULL;

		if (!strcmp(a, "--method")) {
			int m = v ? board_method_from_name(v) : -1;

			if (m < 0)
				return cmd_usage_error("board add", "--method: one of katapult, make_flash, default");
			o->b.method = (enum board_method)m;
			i++;
		} else if (slot) {
			if (!v)
				return cmd_usage_error("board add", "option '%s' needs a value", a);
			*slot = v;
			i++;
		} else if (a[0] == '-') {
			return cmd_usage_error("board add", "unknown option '%s'", a);
		} else if (!o->b.key) {
			o->b.key = (char *)a;
		} else {
			return cmd_usage_error("board add", "only one KEY, got '%s' too", a);
		}
	}
	if (!o->b.key || !o->b.mcu || !o->b.serial_pattern)
		return cmd_usage_error("board add", "needs KEY, --mcu MCU and --serial-pattern GLOB "
				       "(e.g. board add octopus --mcu stm32h723 --serial-pattern "
				       "'usb-Klipper_stm32h723xx_29001A001151313531383332*')");
	return 0;
}

/* --config FILE: read it and check its MCU against the board's; text gets its bytes. */
static int add_check_seed(const struct add_opts *o, struct strbuf *text, struct klipper_kconfig *kc)
{
	struct strbuf err = STRBUF_INIT;
	int r = klipper_kconfig_read(o->config, kc, &err);

	if (r == -ENOENT)
		strbuf_addf(&err, "cannot read '%s': No such file or directory", o->config);
	if (!r && !klipper_mcu_matches(o->b.mcu, kc->mcu))
		strbuf_addf(&err, "'%s' is a configuration for %s (CONFIG_MCU), not for --mcu %s; "
			    "nothing was registered", o->config, kc->mcu, o->b.mcu);
	if (!err.len && read_file(o->config, text))
		strbuf_addf(&err, "cannot read '%s'", o->config);
	if (err.len) {
		board_fail("add", EXIT_USAGE, err.buf);
		strbuf_release(&err);
		return EXIT_USAGE;
	}
	return 0;
}

/* Write the seed config for key; 0 or EXIT_FAIL after saying why. */
static int write_board_config(struct bctx *c, const char *key, const struct strbuf *text)
{
	char *d = klipper_config_dir(&c->cfg, key), *path = klipper_config_path(&c->cfg, key);
	int r = mkdir_p(d, 0755);

	if (!r)
		r = write_file_atomic(path, text->buf, text->len, 0644);
	if (r)
		fprintf(stderr, "flashbay board add: cannot write '%s': %s\n", path, strerror(-r));
	free(d);
	free(path);
	return r ? EXIT_FAIL : 0;
}

/* Summary lines after add. */
static void add_report(struct bctx *c, const struct board *b, const struct klipper_kconfig *kc)
{
	char *path = klipper_config_path(&c->cfg, b->key), *mcu = text_sanitize_dup(kc->mcu, false);

	printf("Registered board '%s': mcu %s, serial pattern %s, method %s\n", b->key, b->mcu,
	       b->serial_pattern, board_effective_method(&c->cfg, b));
	if (kc->mcu[0])
		printf("Configuration: %s (CONFIG_MCU %s)\n", path, mcu);
	else if (access(path, R_OK) == 0)
		printf("Configuration: %s (kept from before)\n", path);
	else
		printf("No configuration yet: run 'flashbay board menuconfig %s'\n", b->key);
	free(path);
	free(mcu);
}

/* Is mcu one of the processors the board's Klipper tree knows? Appends the
 * refusal, with the nearest names, to err; without a tree to read, says on
 * stderr that the check was skipped. */
static bool add_check_mcu(const struct klipper_paths *kp, const char *mcu, struct strbuf *err)
{
	struct strvec known = STRVEC_INIT, near = STRVEC_INIT;
	struct strbuf why = STRBUF_INIT, msg = STRBUF_INIT;
	bool ok = false;

	if (klipper_tree_check(kp, &why) || klipper_tree_mcus(kp->tree, &known) < 0) {
		if (!why.len)
			strbuf_addf(&why, "no src/*/Kconfig in '%s' lists the MCUs", kp->tree);
		strbuf_addf(&msg, "warning: MCU '%s' not checked: %s", mcu, why.buf);
		board_fail("add", 0, msg.buf);
		ok = true;
	}
	for (size_t i = 0; i < known.n && !ok; i++)
		ok = klipper_mcu_matches(mcu, known.v[i]);
	if (!ok) {
		klipper_mcus_near(mcu, &known, 6, &near);
		strbuf_addf(err, "unknown MCU '%s': the Klipper tree '%s' builds for no such processor "
			    "(%zu MCUs in its src/*/Kconfig)", mcu, kp->tree, known.n);
		if (near.n) {
			char *list = strvec_join(&near, ", ");

			strbuf_addf(err, "; did you mean: %s?", list);
			free(list);
		} else {
			strbuf_addstr(err, "; 'make menuconfig' in the tree lists them");
		}
	}
	strvec_release(&known);
	strvec_release(&near);
	strbuf_release(&why);
	strbuf_release(&msg);
	return ok;
}

int board_register(struct bctx *c, struct add_opts *o)
{
	struct strbuf err = STRBUF_INIT, seed = STRBUF_INIT;
	struct klipper_kconfig kc = { 0 };
	struct klipper_paths kp;
	bool added = !boards_add(&c->boards, &o->b, &err);
	int r = 0;

	if (added) {
		/* refuse now what make could not build with later */
		if (!klipper_paths_init(&kp, &c->cfg, boards_find(&c->boards, o->b.key), &err))
			add_check_mcu(&kp, o->b.mcu, &err);
		klipper_paths_release(&kp);
	}
	if (err.len) {
		if (added)
			boards_remove(&c->boards, o->b.key);
		r = board_fail("add", EXIT_USAGE, err.buf);
		goto out;
	}
	if (o->config && (r = add_check_seed(o, &seed, &kc)))
		goto out;
	if (o->config && (r = write_board_config(c, o->b.key, &seed)))
		goto out;
	if (boards_save(&c->boards, &err)) {
		r = board_fail("add", EXIT_FAIL, err.buf);
		goto out;
	}
	add_report(c, boards_find(&c->boards, o->b.key), &kc);
out:
	strbuf_release(&err);
	strbuf_release(&seed);
	return r;
}

/* board add KEY --mcu MCU --serial-pattern GLOB [...], or the wizard without arguments */
static int board_add(struct bctx *c, int argc, char **argv)
{
	struct add_opts o;
	int r;

	if (argc == 1)
		return board_add_wizard(c);
	r = add_parse(argc, argv, &o);
	if (r || (r = bctx_load(c, "add")))
		return r;
	return board_register(c, &o);
}

/* ------------------------------------------------------------ remove */

/* board remove KEY [--delete-config]: the cached configuration is kept
 * unless asked (--keep-config, the old way to ask for that, still works) */
static int board_remove(struct bctx *c, int argc, char **argv)
{
	const char *key = NULL;
	bool keep = true;
	struct strbuf err = STRBUF_INIT;
	char *cdir, *bdir;
	int r;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--delete-config"))
			keep = false;
		else if (!strcmp(argv[i], "--keep-config"))
			keep = true;
		else if (argv[i][0] == '-' || key)
			return cmd_usage_error("board remove", "usage: board remove KEY [--delete-config]");
		else
			key = argv[i];
	}
	if (!key)
		return cmd_usage_error("board remove", "which board? (board remove KEY)");
	if ((r = bctx_load(c, "remove")))
		return r;
	if (!find_board(c, "remove", key))
		return EXIT_USAGE;
	boards_remove(&c->boards, key);
	if (boards_save(&c->boards, &err)) {
		r = board_fail("remove", EXIT_FAIL, err.buf);
		strbuf_release(&err);
		return r;
	}
	cdir = klipper_config_dir(&c->cfg, key);
	bdir = klipper_build_dir(&c->cfg, key);
	printf("Removed board '%s'\n", key);
	remove_tree(bdir);
	if (!keep && (r = remove_tree(cdir))) {
		fprintf(stderr, "flashbay board remove: cannot delete '%s': %s\n", cdir, strerror(-r));
		r = EXIT_FAIL;
	} else if (!keep) {
		printf("Deleted its configuration %s\n", cdir);
	} else if (access(cdir, F_OK) == 0) {
		printf("Kept its configuration in %s (--delete-config deletes it)\n", cdir);
	}
	free(cdir);
	free(bdir);
	return r;
}

/* ------------------------------------------------------------ show */

/* The "config:" line(s) of show; returns the config check's outcome. */
static enum outcome show_config(const struct board *b, const struct klipper_paths *kp)
{
	struct klipper_kconfig kc;
	struct strbuf err = STRBUF_INIT;
	enum outcome o = klipper_config_check(b, kp->config, &kc, &err);
	char *mcu = text_sanitize_dup(kc.mcu, false);

	printf("config:          %s\n", kp->config);
	if (o == OUTCOME_OK)
		printf("config mcu:      %s (matches), builds %s%s\n", mcu, kc.artifact,
		       kc.has_bootloader ? " with a bootloader offset" : ", no bootloader");
	else
		board_print_lines(stdout, "config problem:  ", err.buf);
	free(mcu);
	strbuf_release(&err);
	return o;
}

/* The "last build:" lines of show. */
static void show_build(const struct klipper_paths *kp)
{
	struct klipper_build_record rec;
	char *v, *t, *a;

	printf("build folder:    %s\n", kp->out);
	if (klipper_last_build(kp, &rec)) {
		printf("last build:      none\n");
		return;
	}
	/* the record is a file on disk: sanitise what came from it */
	v = text_sanitize_dup(rec.version, false);
	t = text_sanitize_dup(rec.tree, false);
	a = text_sanitize_dup(rec.artifact, false);
	printf("last build:      %s%s, %llu bytes, sha256 %s\n", kp->out, a,
	       (unsigned long long)rec.artifact_size, rec.artifact_sha256);
	printf("built from:      %s (Klipper %s)\n", t, v);
	free(v);
	free(t);
	free(a);
}

/* board show KEY */
static int board_show(struct bctx *c, int argc, char **argv)
{
	struct klipper_paths kp;
	struct strbuf err = STRBUF_INIT;
	const struct board *b;
	char *name;
	int r;

	if (argc != 2 || argv[1][0] == '-')
		return cmd_usage_error("board show", "usage: board show KEY");
	if ((r = bctx_load(c, "show")))
		return r;
	if (!(b = find_board(c, "show", argv[1])))
		return EXIT_USAGE;
	name = text_sanitize_dup(b->name ? b->name : "(none)", false);
	printf("board:           %s\nname:            %s\nmcu:             %s\n", b->key, name,
	       b->mcu);
	printf("serial pattern:  %s\nmethod:          %s%s\n", b->serial_pattern,
	       board_effective_method(&c->cfg, b),
	       b->method == BOARD_METHOD_DEFAULT ? " (default)" : "");
	free(name);
	r = klipper_paths_init(&kp, &c->cfg, b, &err);
	printf("klipper tree:    %s\n", kp.tree);
	if (r)
		board_print_lines(stdout, "path problem:    ", err.buf);
	show_config(b, &kp);
	show_build(&kp);
	klipper_paths_release(&kp);
	strbuf_release(&err);
	return EXIT_OK;
}

/* ------------------------------------------------------------ menuconfig */

/* Print what a menuconfig came to (klipper-menuconfig.c did the work);
 * EXIT_OK or EXIT_FAIL. */
static int menuconfig_report(const struct klipper_menuconfig_result *res)
{
	if (res->status < 0) {
		board_fail("menuconfig", 0, res->error.buf);
		return EXIT_FAIL;
	}
	if (res->status)
		fprintf(stderr, "flashbay board menuconfig: make menuconfig failed (exit %d)\n",
			res->status);
	if (res->discarded) {
		printf("Configuration not saved; board '%s' still has no configuration\n", res->key);
		return EXIT_FAIL;
	}
	printf(res->saved ? "Configuration saved: %s\n" : "Configuration not changed: %s\n",
	       res->config);
	if (res->mcu_ok)
		printf("MCU check: the configuration matches board '%s' (mcu %s)\n", res->key,
		       res->mcu);
	else
		board_print_lines(stderr, "flashbay board menuconfig: ", res->check.buf);
	return res->mcu_ok && !res->status ? EXIT_OK : EXIT_FAIL;
}

int board_menuconfig_on(struct loop *loop, const struct config *cfg, const struct board *b)
{
	struct klipper_menuconfig_result res;
	struct strbuf why = STRBUF_INIT;
	int r;

	if (klipper_menuconfig_run(loop, cfg, b, &res, &why)) {
		r = board_fail("menuconfig", EXIT_FAIL, why.buf);
	} else {
		r = menuconfig_report(&res);
		klipper_menuconfig_result_release(&res);
	}
	strbuf_release(&why);
	return r;
}

/* board menuconfig KEY */
static int board_menuconfig(struct bctx *c, int argc, char **argv)
{
	struct klipper_paths kp;
	struct strbuf err = STRBUF_INIT;
	const struct board *b;
	int r;

	if (argc != 2 || argv[1][0] == '-')
		return cmd_usage_error("board menuconfig", "usage: board menuconfig KEY");
	if ((r = bctx_load(c, "menuconfig")))
		return r;
	if (!(b = find_board(c, "menuconfig", argv[1])))
		return EXIT_USAGE;
	if (klipper_paths_init(&kp, &c->cfg, b, &err) || klipper_tree_check(&kp, &err) ||
	    klipper_menuconfig_terminal_check(&err)) {
		r = board_fail("menuconfig", EXIT_USAGE, err.buf);
	} else {
		r = board_menuconfig_on(NULL, &c->cfg, b);
	}
	klipper_paths_release(&kp);
	strbuf_release(&err);
	return r;
}

/* ------------------------------------------------------------ dispatch */

static const struct {
	const char *name;
	int (*fn)(struct bctx *c, int argc, char **argv);
	const char *usage;
} subs[] = {
	{ "list", board_list, "list [--json]" },
	{ "add", board_add,
	  "add KEY --mcu MCU --serial-pattern GLOB [--name NAME] [--method M] [--klipper-dir DIR] [--config FILE]\n"
	  "  flashbay board add                (the wizard, on a terminal)" },
	{ "remove", board_remove, "remove KEY [--delete-config]" },
	{ "show", board_show, "show KEY" },
	{ "menuconfig", board_menuconfig, "menuconfig KEY" },
	{ "build", board_build, "build [KEY...|--all] [--rebuild] [--no-clean]" },
	{ "flash", board_flash,
	  "flash [KEY...|--all] [--rebuild] [--no-clean] [--force] [--yes] [--menuconfig]" },
};

/* The subcommands' usage lines. */
static void board_usage(FILE *f)
{
	fprintf(f, "Usage: flashbay board SUBCOMMAND [ARGS]\n");
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++)
		fprintf(f, "  flashbay board %s\n", subs[i].usage);
}

/* For subcommands other than add, --config keeps its global meaning. */
static int take_global_config(struct globals *g, int *argc, char **argv)
{
	int w = 1;

	for (int i = 1; i < *argc; i++) {
		if (str_starts_with(argv[i], "--config=")) {
			g->config_file = argv[i] + 9;
		} else if (!strcmp(argv[i], "--config")) {
			if (i + 1 >= *argc)
				return cmd_usage_error("board", "option '--config' needs a value");
			g->config_file = argv[++i];
		} else {
			argv[w++] = argv[i];
		}
	}
	*argc = w;
	return 0;
}

int cmd_board(struct globals *g, int argc, char **argv)
{
	struct bctx c = { .g = g };
	int r;

	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		board_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		if (strcmp(argv[1], subs[i].name))
			continue;
		if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
			printf("Usage: flashbay board %s\n", subs[i].usage);
			return EXIT_OK;
		}
		argc--;
		argv++;
		if (strcmp(subs[i].name, "add") && (r = take_global_config(g, &argc, argv)))
			return r;
		r = subs[i].fn(&c, argc, argv);
		bctx_release(&c);
		return r;
	}
	return cmd_usage_error("board", "unknown subcommand '%s' (list, add, remove, show, menuconfig, "
			       "build, flash)", argv[1]);
}

int cmd_service_guard(struct globals *g, int argc, char **argv)
{
	(void)g;
	return service_guard_main(argc, argv);
}

int cmd_moonraker_state(struct globals *g, int argc, char **argv)
{
	(void)g;
	return moonraker_state_main(argc, argv);
}
