/* test-devices.c - a long-running consumer of the devices API for the
 * shell tests: opens the table, prints one line per event, runs the loop
 * until SIGTERM/SIGINT.
 *
 *   test-devices [--no-udev] [--udev] [--sysfs-root DIR] [--dev-root DIR]
 *                [--config FILE] [--window MS] [--all] [--once]
 *
 * Lines (values sanitised, ASCII):
 *   ADD|CHANGE|REMOVE|EXPIRE slot=N label=L port=P kind=K id=vvvv:pppp
 *       fresh=0|1 plugs=N user=N dup=0|1 by_id=NAME serial=S product=P driver=D
 *   READY source=NAME count=N      after the initial enumeration
 *   IDLE timeout=MS                on SIGUSR1: the interrupted poll's timeout
 * --once prints the table and READY and exits.
 */
#include "autoconf.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "devices.h"
#include "loop.h"
#include "parse.h"
#include "path.h"
#include "text.h"
#include "xalloc.h"

static int next_user;

/* A value for a line: sanitised, '-' for NULL, spaces kept visible as '_'. */
static char *val(const char *s)
{
	char *v = text_sanitize_dup(s ? s : "-", true);

	for (char *p = v; *p; p++)
		if (*p == ' ')
			*p = '_';
	return v;
}

/* Print one event line for d. */
static void print_event(const char *what, const struct device *d, int fresh)
{
	char *label = val(d->slot_label), *port = val(d->devnode), *serial = val(d->serial);
	char *product = val(d->product), *driver = val(d->driver);
	char *by_id = val(d->by_id ? path_basename(d->by_id) : NULL);

	printf("%s slot=%u label=%s port=%s kind=%s id=%04x:%04x fresh=%d plugs=%u user=%d dup=%d "
	       "by_id=%s serial=%s product=%s driver=%s\n",
	       what, d->slot, label, port, kind_name(d->kind), d->vid, d->pid, fresh, d->plugs,
	       d->user ? *(int *)d->user : 0, d->dup_by_id, by_id, serial, product, driver);
	fflush(stdout);
	free(label);
	free(port);
	free(serial);
	free(product);
	free(driver);
	free(by_id);
}

static void on_attached(struct device *d, bool fresh, void *data)
{
	(void)data;
	if (fresh) {
		int *u = xmalloc(sizeof *u);

		*u = ++next_user;
		d->user = u;
	}
	print_event("ADD", d, fresh);
}

static void on_changed(struct device *d, void *data)
{
	(void)data;
	print_event("CHANGE", d, 0);
}

static void on_detached(struct device *d, void *data)
{
	(void)data;
	print_event("REMOVE", d, 0);
}

static void on_expired(struct device *d, void *data)
{
	(void)data;
	print_event("EXPIRE", d, 0);
	free(d->user);
	d->user = NULL;
}

static void on_signal(const struct signalfd_siginfo *si, void *data)
{
	(void)si;
	loop_quit(data, 0);
}

/* SIGUSR1: the timeout of the poll() it interrupted (-1: no timer armed). */
static void on_usr1(const struct signalfd_siginfo *si, void *data)
{
	(void)si;
	printf("IDLE timeout=%d\n", loop_last_timeout(data));
	fflush(stdout);
}

/* Parse argv into cfg overrides and opts; -1 on a bad option. */
static int parse(int argc, char **argv, struct config *cfg, const char **file,
		 struct devices_opts *o, bool *once, long *window)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *next = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--no-udev"))
			o->source = DEVICES_SCAN;
		else if (!strcmp(a, "--udev"))
			o->source = DEVICES_UDEV;
		else if (!strcmp(a, "--all"))
			o->include_non_usb = true;
		else if (!strcmp(a, "--once"))
			*once = true;
		else if (!strcmp(a, "--sysfs-root") && next)
			config_set_str(&cfg->sysfs_root, argv[++i]);
		else if (!strcmp(a, "--dev-root") && next)
			config_set_str(&cfg->dev_root, argv[++i]);
		else if (!strcmp(a, "--config") && next)
			*file = argv[++i];
		else if (!strcmp(a, "--window") && next && !parse_long(next, 0, 600000, window))
			i++;
		else
			return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct devices_ops ops = { on_attached, on_changed, on_detached, on_expired };
	struct config cfg, over;
	struct devices_opts o = { .source = DEVICES_AUTO };
	struct strbuf err = STRBUF_INIT, warn = STRBUF_INIT;
	struct devices *devs = NULL;
	const char *file = NULL;
	struct loop *loop;
	bool once = false;
	long window = -1;
	int r = 2;

	config_init(&over);
	config_init(&cfg);
	if (parse(argc, argv, &over, &file, &o, &once, &window)) {
		fprintf(stderr, "usage: test-devices [--no-udev|--udev] [--sysfs-root DIR] "
				"[--dev-root DIR] [--config FILE] [--window MS] [--all] [--once]\n");
		goto out;
	}
	if (config_load(&cfg, file, &err, &warn)) {
		fprintf(stderr, "%s", err.buf);
		goto out;
	}
	if (over.sysfs_root)
		config_set_str(&cfg.sysfs_root, over.sysfs_root);
	if (over.dev_root)
		config_set_str(&cfg.dev_root, over.dev_root);
	if (window >= 0)
		cfg.reappear_window_ms = (uint64_t)window;
	loop = loop_new();
	loop_signal_add(loop, SIGTERM, on_signal, loop);
	loop_signal_add(loop, SIGINT, on_signal, loop);
	loop_signal_add(loop, SIGUSR1, on_usr1, loop);
	if (devices_open(loop, &cfg, &o, &ops, NULL, &devs, &err)) {
		fprintf(stderr, "test-devices: %s\n", err.buf);
		r = 1;
	} else {
		printf("READY source=%s count=%zu\n", devices_source_name(devs), devices_count(devs));
		fflush(stdout);
		r = once ? 0 : loop_run(loop);
		for (size_t i = 0; i < devices_count(devs); i++)
			free(devices_at(devs, i)->user);
		devices_close(devs);
	}
	loop_free(loop);
out:
	config_release(&cfg);
	config_release(&over);
	strbuf_release(&err);
	strbuf_release(&warn);
	return r;
}
