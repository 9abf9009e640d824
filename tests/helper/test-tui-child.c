/* test-tui-child.c - the real dashboard (tui.c and the engine, as `flashbay
 * tui` runs them) plus a way to make it hand the terminal to a full-screen
 * child with tui_run_fullscreen(): SIGUSR1 starts this program again as a
 * small curses child. Used by tests/integration/tui-suspend.sh.
 *
 *   test-tui-child [--config F] [--no-udev] [--sysfs-root D] [--dev-root D]
 *       the dashboard; on SIGUSR1 the child takes the terminal, and when it
 *       ends the key bar says "child exited with status N"
 *   test-tui-child --child
 *       the child: a curses screen "CHILD RUNNING 80x24 foreground=yes"
 *       (its size follows resizes); q ends it with status 7
 */
#include "autoconf.h"

#include <curses.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "cmd.h"
#include "config.h"
#include "job.h"
#include "log.h"
#include "loop.h"
#include "session.h"
#include "tui.h"

/* The child: a full-screen curses program that reads the keyboard. */
static int child_main(void)
{
	bool fg = tcgetpgrp(STDIN_FILENO) == getpgrp();
	int ch = 0;

	initscr();
	cbreak();
	noecho();
	keypad(stdscr, TRUE);
	do {
		erase();
		mvprintw(LINES / 2, 2, "CHILD RUNNING %dx%d foreground=%s", COLS, LINES,
			 fg ? "yes" : "no");
		mvprintw(LINES / 2 + 1, 2, "press q to return");
		refresh();
	} while ((ch = getch()) != 'q' && ch != ERR);
	endwin();
	return 7;
}

/* The child ended: say how. */
static void child_done(struct tui *t, int status, void *data)
{
	(void)data;
	tui_note(t, false, "child exited with status %d", status);
}

/* SIGUSR1: hand the terminal to the child. */
static void on_usr1(const struct signalfd_siginfo *si, void *data)
{
	struct tui *t = data;
	struct job_spec spec = JOB_SPEC_INIT;
	int r;

	(void)si;
	strvec_push(&spec.argv, "/proc/self/exe");
	strvec_push(&spec.argv, "--child");
	r = tui_run_fullscreen(t, &spec, child_done, NULL);
	if (r < 0)
		tui_note(t, true, "cannot start the child: %s", strerror(-r));
	job_spec_release(&spec);
}

/* The options flashbay takes before `tui`. */
static int parse(struct globals *g, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "no-udev", no_argument, NULL, 'n' },
		{ "sysfs-root", required_argument, NULL, 's' },
		{ "dev-root", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'c': g->config_file = optarg; break;
		case 'n': g->no_udev = true; break;
		case 's': g->sysfs_root = optarg; break;
		case 'd': g->dev_root = optarg; break;
		default: return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct globals g = { 0 };
	struct session s;
	struct strbuf err = STRBUF_INIT;
	struct tui *t;
	int r;

	setlocale(LC_ALL, "");
	signal(SIGPIPE, SIG_IGN);
	if (argc == 2 && !strcmp(argv[1], "--child"))
		return child_main();
	if (parse(&g, argc, argv) < 0)
		return 2;
	if ((r = session_config(&s, &g, "tui")) || (r = session_start(&s, false, SESSION_FW_OPTIONAL))) {
		session_end(&s);
		return r;
	}
	t = tui_new(s.loop, s.app, &s.cfg, false, &err);
	if (!t) {
		fprintf(stderr, "test-tui-child: %s\n", err.buf);
		strbuf_release(&err);
		session_end(&s);
		return 2;
	}
	app_begin(s.app);
	loop_signal_add(s.loop, SIGUSR1, on_usr1, t);
	r = loop_run(s.loop);
	loop_signal_del(s.loop, SIGUSR1, on_usr1, t);
	tui_free(t);
	session_end(&s);
	strbuf_release(&err);
	log_release();
	return r;
}
