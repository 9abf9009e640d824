/* cmd-board-run.c - `flashbay board build` and `flashbay board flash`: the
 * engine's Klipper plan (app-klipper.c) in a session, shown as
 * phase-labelled lines ([Discovery] [Config] [Build] [Service] [Flash]
 * [Verify]) and a summary. Questions are asked only on a terminal. */
#include "autoconf.h"

#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "clock.h"
#include "cmd-board.h"
#include "cmd.h"
#include "log.h"
#include "loop.h"
#include "service.h"
#include "session.h"
#include "text.h"
#include "xalloc.h"

/* What was printed about one board's progress. */
struct shown {
	const struct app_kboard *k;
	uint64_t when;
	int pct;
};

struct krun {
	const char *sub;           /* "build" or "flash" */
	const char *cmd;           /* "board build" or "board flash" */
	struct bctx *c;
	struct session s;
	struct boards reg;
	bool reg_loaded;
	struct app_klipper_opts o;
	struct strvec keys;
	bool all, yes, menuconfig;
	bool tty;                  /* stdin and stdout are terminals */
	bool ascii;
	int signal_code, interrupts;
	bool stdin_watched;
	struct shown *shown;
	size_t nshown;
};

/* The label of a phase in the output. */
static const char *label(enum phase ph)
{
	switch (ph) {
	case PHASE_QUEUED: case PHASE_DETECT: return "Discovery";
	case PHASE_CONFIG: return "Config";
	case PHASE_BUILD: return "Build";
	case PHASE_SERVICE: return "Service";
	case PHASE_REAPPEAR: case PHASE_DONE: return "Verify";
	default: return "Flash";
	}
}

/* "[Label] KEY text", sanitised. */
static void out(struct krun *r, enum phase ph, const struct app_kboard *k, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void out(struct krun *r, enum phase ph, const struct app_kboard *k, const char *fmt, ...)
{
	struct strbuf raw = STRBUF_INIT;
	char *safe;
	va_list ap;

	if (k)
		strbuf_addf(&raw, "%s ", k->key);
	va_start(ap, fmt);
	strbuf_vaddf(&raw, fmt, ap);
	va_end(ap);
	safe = text_sanitize_dup(raw.buf, r->ascii);
	printf("[%s] %s\n", label(ph), safe);
	fflush(stdout);
	free(safe);
	strbuf_release(&raw);
}

/* A progress line: at most one a second per board, and at 50 and 100 %. */
static void progress(struct krun *r, const struct app_kboard *k)
{
	struct shown *s = NULL;
	int pct = (int)k->prog.overall_pct;
	uint64_t now = now_ms();

	for (size_t i = 0; i < r->nshown && !s; i++)
		if (r->shown[i].k == k)
			s = &r->shown[i];
	if (!s) {
		r->shown = xrealloc(r->shown, (r->nshown + 1) * sizeof *r->shown);
		s = &r->shown[r->nshown++];
		*s = (struct shown){ k, 0, -1 };
	}
	if (pct == s->pct || (now - s->when < 1000 && pct != 50 && pct != 100))
		return;
	s->when = now;
	s->pct = pct;
	out(r, k->phase, k, "%s %d%%", phase_name(k->prog.phase), pct);
}

/* The answer to the Moonraker question, from the terminal. */
static void on_answer(int fd, short revents, void *data)
{
	struct krun *r = data;
	char buf[64];
	ssize_t n = read(fd, buf, sizeof buf - 1);

	(void)revents;
	loop_fd_del(r->s.loop, fd);
	r->stdin_watched = false;
	buf[n > 0 ? n : 0] = '\0';
	app_klipper_answer(r->s.app, buf[0] == 'y' || buf[0] == 'Y');
}

/* The Klipper batch's news as phase-labelled lines. */
static void on_klipper(void *data, struct app_kboard *k, enum app_kevent ev, enum phase ph,
		       const char *text)
{
	struct krun *r = data;

	switch (ev) {
	case APP_KEV_NOTE:
		out(r, ph, k, "%s", text);
		break;
	case APP_KEV_PROGRESS:
		progress(r, k);
		break;
	case APP_KEV_FINISHED:
		if (k->outcome == OUTCOME_OK)
			out(r, ph, k, "PASS %s", k->message);
		else
			out(r, ph, k, "FAIL %s: %s", outcome_name(k->outcome), k->message);
		break;
	case APP_KEV_QUESTION:
		out(r, ph, NULL, "%s [y/N]", text);
		if (!r->stdin_watched &&
		    !loop_fd_add(r->s.loop, STDIN_FILENO, POLLIN, on_answer, r))
			r->stdin_watched = true;
		else
			app_klipper_answer(r->s.app, false);
		break;
	default:
		break;
	}
}

/* Rows: only the end of everything matters here. */
static void on_event(void *data, struct app_board *b, enum app_event ev)
{
	struct krun *r = data;

	(void)b;
	if (ev == APP_EV_IDLE)
		loop_quit(r->s.loop, 0);
}

static const struct app_view view = { on_event, on_klipper };

/* SIGHUP lets running flashes finish; SIGINT and SIGTERM cancel. */
static void on_signal(const struct signalfd_siginfo *si, void *data)
{
	struct krun *r = data;

	if (si->ssi_signo == SIGHUP) {
		/* the session is gone: let a running flash finish, start nothing new */
		log_msg(LOG_WARN, NULL,
		        "hangup: letting what runs finish; the service is started again");
		app_shutdown(r->s.app, false);
		return;
	}
	r->signal_code = si->ssi_signo == SIGINT ? EXIT_INTERRUPTED : 128 + SIGTERM;
	if (r->interrupts++)
		log_msg(LOG_WARN, NULL, "killing what runs now");
	else
		log_msg(LOG_WARN, NULL, "interrupted: cancelling; the service is started again");
	app_shutdown(r->s.app, true);
}

/* ------------------------------------------------------------ options */

enum { OPT_ALL = 256, OPT_REBUILD, OPT_NO_CLEAN, OPT_FORCE, OPT_YES, OPT_MENUCONFIG };

/* Parse the options; 0 or EXIT_USAGE. */
static int parse(struct krun *r, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, OPT_ALL },
		{ "rebuild", no_argument, NULL, OPT_REBUILD },
		{ "no-clean", no_argument, NULL, OPT_NO_CLEAN },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "yes", no_argument, NULL, OPT_YES },
		{ "menuconfig", no_argument, NULL, OPT_MENUCONFIG },
		{ NULL, 0, NULL, 0 },
	};
	bool flash = r->o.flash;
	int opt;

	optind = 1;
	while ((opt = cmd_getopt(r->cmd, argc, argv, flash ? "y" : "", opts)) != -1) {
		switch (opt) {
		case OPT_ALL: r->all = true; break;
		case OPT_REBUILD: r->o.rebuild = true; break;
		case OPT_NO_CLEAN: r->o.no_clean = true; break;
		case OPT_FORCE: if (flash) { r->o.force = true; break; } goto bad;
		case OPT_YES: case 'y': if (flash) { r->yes = true; break; } goto bad;
		case OPT_MENUCONFIG: if (flash) { r->menuconfig = true; break; } goto bad;
		case '?':
			return EXIT_USAGE;
		default:
		bad:
			return cmd_usage_error(r->cmd, "unknown option '%s'", argv[optind - 1]);
		}
	}
	for (; optind < argc; optind++)
		strvec_push(&r->keys, argv[optind]);
	if (r->all && r->keys.n)
		return cmd_usage_error(r->cmd, "give KEY... or --all, not both");
	return 0;
}

/* ------------------------------------------------------------ which boards */

/* Ask a question on the terminal; false at end of input. */
static bool ask(const char *question, char *buf, size_t size)
{
	printf("%s ", question);
	fflush(stdout);
	if (!fgets(buf, (int)size, stdin))
		return false;
	buf[strcspn(buf, "\r\n")] = '\0';
	return true;
}

/* One connected board and no key: confirm (terminal, unless --yes). */
static int pick_one(struct krun *r, const char *key)
{
	char buf[16];

	if (!r->yes && !r->tty)
		return cmd_usage_error(r->cmd,
		                       "board '%s' is connected: name it (board flash %s) or "
		                       "confirm with --yes",
		                       key, key);
	if (!r->yes) {
		char q[256];

		snprintf(q, sizeof q, "Flash board '%s'? [y/N]", key);
		if (!ask(q, buf, sizeof buf) || (buf[0] != 'y' && buf[0] != 'Y')) {
			printf("Nothing flashed.\n");
			return EXIT_FAIL;
		}
	}
	strvec_push(&r->keys, key);
	return 0;
}

/* Several connected boards and no key: ask which (terminal) or refuse. */
static int pick_several(struct krun *r, const struct strvec *conn)
{
	char *list = strvec_join(conn, ", "), buf[512];
	struct strvec words = STRVEC_INIT;
	int ret = 0;

	if (!r->tty) {
		ret = cmd_usage_error(r->cmd,
		                      "several registered boards are connected (%s): name them, "
		                      "or use --all",
		                      list);
		free(list);
		return ret;
	}
	printf("Connected boards: %s\n", list);
	free(list);
	if (!ask("Which ones? (keys separated by spaces, or 'all'):", buf, sizeof buf)) {
		printf("Nothing flashed.\n");
		return EXIT_FAIL;
	}
	strvec_split(&words, buf, " \t,");
	for (size_t i = 0; i < words.n; i++) {
		if (!strcmp(words.v[i], "all"))
			for (size_t j = 0; j < conn->n; j++)
				strvec_push(&r->keys, conn->v[j]);
		else
			strvec_push(&r->keys, words.v[i]);
	}
	strvec_release(&words);
	if (!r->keys.n) {
		printf("Nothing flashed.\n");
		ret = EXIT_FAIL;
	}
	return ret;
}

/* No KEY and no --all: build the only board, flash the connected one(s). */
static int pick_boards(struct krun *r)
{
	struct strvec conn = STRVEC_INIT;
	struct strbuf why = STRBUF_INIT;
	int ret = 0;

	if (r->keys.n || r->all)
		return 0;
	if (!r->o.flash) {
		if (r->reg.n == 1)
			strvec_push(&r->keys, r->reg.v[0].key);
		else
			ret = cmd_usage_error(r->cmd, "which boards? give KEY... or --all");
		return ret;
	}
	if (app_klipper_connected(r->s.app, &conn, &why))
		ret = board_fail(r->sub, EXIT_USAGE, why.buf);
	else if (!conn.n)
		ret = board_fail(r->sub, EXIT_FAIL,
		           "no registered board is connected (see 'flashbay board list')");
	else if (conn.n == 1)
		ret = pick_one(r, conn.v[0]);
	else
		ret = pick_several(r, &conn);
	strvec_release(&conn);
	strbuf_release(&why);
	return ret;
}

/* Refuse up front, as `board menuconfig` does (exit 2, nothing done), a
 * board whose Klipper tree is missing. Unknown keys are the engine's to
 * report. */
static int check_trees(struct krun *r)
{
	size_t n = r->all ? r->reg.n : r->keys.n;
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++) {
		const struct board *b = r->all ? &r->reg.v[i] : boards_find(&r->reg, r->keys.v[i]);
		struct strbuf err = STRBUF_INIT;
		struct klipper_paths kp;

		if (!b)
			continue;
		/* a path make cannot use is the engine's to report, with its board */
		if (!klipper_paths_init(&kp, &r->s.cfg, b, &err) && klipper_tree_check(&kp, &err))
			ret = board_fail(r->sub, EXIT_USAGE, err.buf);
		klipper_paths_release(&kp);
		strbuf_release(&err);
	}
	return ret;
}

/* menuconfig before building: every board with --menuconfig, else those
 * without a config (on a terminal; without one the engine stops them with
 * the command to run). */
static int review_configs(struct krun *r)
{
	struct strbuf err = STRBUF_INIT;
	int ret = 0;

	if (r->menuconfig && klipper_menuconfig_terminal_check(&err))
		ret = board_fail(r->sub, EXIT_USAGE, err.buf);
	for (size_t i = 0; !ret && i < (r->all ? r->reg.n : r->keys.n); i++) {
		const struct board *b = r->all ? &r->reg.v[i] : boards_find(&r->reg, r->keys.v[i]);
		struct klipper_paths kp;
		bool missing;

		if (!b)
			continue; /* the engine names it */
		if (!klipper_paths_init(&kp, &r->s.cfg, b, &err) &&
		    !klipper_tree_check(&kp, &err)) {
			missing = access(kp.config, F_OK) != 0;
			if (r->menuconfig || (missing && r->o.flash && r->tty &&
					      !klipper_menuconfig_terminal_check(&err))) {
				out(r, PHASE_CONFIG, NULL, "%s: make menuconfig%s", b->key,
				    missing ? " (no configuration yet)" : "");
				board_menuconfig_on(r->s.loop, &r->s.cfg, b);
			}
		}
		strbuf_reset(&err);
		klipper_paths_release(&kp);
	}
	strbuf_release(&err);
	return ret;
}

/* ------------------------------------------------------------ summary */

/* The table after the run, and the service's fate. */
static void summary(struct krun *r)
{
	const struct app_klipper_status *st = app_klipper_status(r->s.app);
	char *names = service_names(&r->s.cfg);

	printf("\n%-14s %-22s %-8s %-10s %s\n", "BOARD", "RESULT", "TIME", "METHOD", "FIRMWARE");
	for (size_t i = 0; i < app_klipper_count(r->s.app); i++) {
		const struct app_kboard *k = app_klipper_at(r->s.app, i);
		char dur[16], res[64];
		struct strbuf fw = STRBUF_INIT;
		char *safe;

		format_duration(k->duration_ms, dur);
		snprintf(res, sizeof res, "%s%s%s", k->outcome == OUTCOME_OK ? "PASS" : "FAIL ",
			 k->outcome == OUTCOME_OK ? "" : outcome_name(k->outcome),
			 k->cached && k->outcome == OUTCOME_OK ? " (cached)" : "");
		if (k->built)
			strbuf_addf(&fw, "%s %llu bytes sha256 %s",
			            r->o.flash ? k->art.name : k->art.path,
			            (unsigned long long)k->art.size, k->art.sha256);
		safe = text_sanitize_dup(fw.buf, r->ascii);
		printf("%-14s %-22s %-8s %-10s %s\n", k->key, res, dur, k->method ? k->method : "-",
		       safe);
		free(safe);
		strbuf_release(&fw);
	}
	if (st->service_failed)
		printf("Service %s: %s\n", names, st->service_message);
	else if (st->stopped)
		printf("Service %s: stopped and %s.\n", names,
		       st->restarted ? "started again" : "NOT started again");
	fflush(stdout);
	free(names);
}

/* The exit code of a finished run. */
static int exit_code(struct krun *r)
{
	const struct app_klipper_status *st = app_klipper_status(r->s.app);

	app_history_finish(r->s.app); /* kept results: into the journal, loudly */
	if (r->signal_code)
		return r->signal_code;
	if (st->service_failed || app_history_errors(r->s.app))
		return EXIT_FAIL;
	for (size_t i = 0; i < app_klipper_count(r->s.app); i++)
		if (app_klipper_at(r->s.app, i)->outcome != OUTCOME_OK)
			return EXIT_FAIL;
	return app_klipper_count(r->s.app) ? EXIT_OK : EXIT_FAIL;
}

/* ------------------------------------------------------------ the run */

/* Config, registry, engine (history only to flash). */
static int setup(struct krun *r, int argc, char **argv)
{
	int ret;

	if ((ret = parse(r, argc, argv)))
		return ret;
	if (r->c->g->demo)
		return cmd_usage_error(r->cmd, "the demo has no Klipper boards");
	if (!r->o.flash)
		r->c->g->no_history = true; /* a build is not a flash attempt */
	r->reg_loaded = true;
	if ((ret = session_config(&r->s, r->c->g, r->cmd)))
		return ret;
	if ((ret = board_registry_load(&r->reg, r->s.cfg.boards_file, r->sub)) ||
	    (ret = session_start(&r->s, false, SESSION_FW_NONE)))
		return ret;
	app_set_view(r->s.app, &view, r);
	app_begin(r->s.app);
	return 0;
}

/* Start the batch and run the loop until it is over. */
static int run_batch(struct krun *r)
{
	struct strbuf why = STRBUF_INIT;
	const char **keys = xcalloc(r->keys.n + 1, sizeof *keys);
	int ret;

	for (size_t i = 0; i < r->keys.n; i++)
		keys[i] = r->keys.v[i];
	r->o.ask_unreachable = r->tty;
	loop_signal_add(r->s.loop, SIGINT, on_signal, r);
	loop_signal_add(r->s.loop, SIGTERM, on_signal, r);
	loop_signal_add(r->s.loop, SIGHUP, on_signal, r);
	ret = app_flash(r->s.app,
			&(const struct flash_order){ .plan = "klipper", .names = keys,
						     .nnames = r->all ? 0 : r->keys.n,
						     .klipper = &r->o },
			&why);
	free(keys);
	if (ret < 0) {
		ret = board_fail(r->sub, ret == -EBUSY ? EXIT_FAIL : EXIT_USAGE, why.buf);
	} else {
		loop_run(r->s.loop);
		summary(r);
		ret = exit_code(r);
	}
	strbuf_release(&why);
	return ret;
}

/* build and flash. */
static int board_run(struct bctx *c, int argc, char **argv, bool flash)
{
	struct krun r = { .c = c, .sub = flash ? "flash" : "build",
			  .cmd = flash ? "board flash" : "board build" };
	int ret;

	r.o.flash = flash;
	r.tty = isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	r.ascii = strcmp(nl_langinfo(CODESET), "UTF-8") != 0;
	strvec_init(&r.keys);
	ret = setup(&r, argc, argv);
	if (!ret)
		ret = pick_boards(&r);
	if (!ret)
		ret = check_trees(&r);
	if (!ret)
		ret = review_configs(&r);
	if (!ret)
		ret = run_batch(&r);
	if (r.stdin_watched)
		loop_fd_del(r.s.loop, STDIN_FILENO);
	if (r.reg_loaded) {
		session_end(&r.s);
		boards_release(&r.reg);
	}
	strvec_release(&r.keys);
	free(r.shown);
	return ret;
}

int board_build(struct bctx *c, int argc, char **argv)
{
	return board_run(c, argc, argv, false);
}

int board_flash(struct bctx *c, int argc, char **argv)
{
	return board_run(c, argc, argv, true);
}
