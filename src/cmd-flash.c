/* cmd-flash.c - `flashbay flash` and `flashbay monitor`: the line-oriented
 * view of the engine. */
#include "autoconf.h"

#include <errno.h>
#include <getopt.h>
#include <langinfo.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "app.h"
#include "clock.h"
#include "cmd.h"
#include "config.h"
#include "json.h"
#include "log.h"
#include "loop.h"
#include "parse.h"
#include "path.h"
#include "session.h"
#include "str.h"
#include "text.h"
#include "xalloc.h"

/* What has been printed about one board. */
struct cli_board {
	struct app_board *b;
	uint64_t last_progress; /* when its last % line was printed */
	int last_image;         /* the image of its last Flash line */
	double last_pct;        /* the overall percent of its last Flash line */
	enum phase last_phase;  /* its last phase line */
};

struct flash_cli {
	const char *cmd;           /* "flash" or "monitor" */
	struct session s;
	struct loop *loop;         /* s.loop and s.app, for brevity */
	struct app *app;
	bool json;
	bool ascii;                /* the locale is not UTF-8 */
	bool monitor;
	long count;                /* monitor --count N (0: until Ctrl-C) */
	long finished, failed;
	int signal_code;           /* 130 / 143 once interrupted */
	int interrupts;
	struct cli_board *chosen;  /* the boards asked for, in order */
	size_t nchosen;
	struct strvec ports;
	struct strvec slots;
	bool all;
	const char *label;         /* flash --label TEXT (one board) */
	bool new_serial;           /* flash --new-serial */
};

/* Print a line with a phase label for board b. */
static void board_line(struct flash_cli *c, struct app_board *b, const char *label,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void board_line(struct flash_cli *c, struct app_board *b, const char *label,
		       const char *fmt, ...)
{
	struct strbuf raw = STRBUF_INIT, safe = STRBUF_INIT;
	va_list ap;

	if (c->json)
		return;
	app_board_name(b, &raw);
	if (fmt && *fmt) {
		strbuf_addch(&raw, ' ');
		va_start(ap, fmt);
		strbuf_vaddf(&raw, fmt, ap);
		va_end(ap);
	}
	text_sanitize(&safe, raw.buf, raw.len, c->ascii);
	printf("[%s] %s\n", label, safe.buf);
	fflush(stdout);
	strbuf_release(&raw);
	strbuf_release(&safe);
}

/* The printing state of b, or NULL if it was not asked for. */
static struct cli_board *chosen(struct flash_cli *c, struct app_board *b)
{
	for (size_t i = 0; i < c->nchosen; i++)
		if (c->chosen[i].b == b)
			return &c->chosen[i];
	return NULL;
}

/* Remember b as asked for (monitor mode adds boards as they come). */
static void choose(struct flash_cli *c, struct app_board *b)
{
	if (chosen(c, b))
		return;
	c->chosen = xrealloc(c->chosen, (c->nchosen + 1) * sizeof *c->chosen);
	c->chosen[c->nchosen++] = (struct cli_board){ b, 0, 0, 0, PHASE_IDLE };
}

/* One JSON object for a finished board. */
static void json_result(struct flash_cli *c, struct app_board *b)
{
	struct strbuf sb = STRBUF_INIT;
	struct jw jw;

	jw_init(&jw, &sb);
	jw_object_begin(&jw, NULL);
	jw_str(&jw, "port", b->dev ? b->dev->devnode : NULL);
	jw_int(&jw, "slot", b->slot);
	jw_str(&jw, "by_id", b->dev ? b->dev->by_id : NULL);
	jw_str(&jw, "outcome", outcome_name(b->outcome));
	jw_str(&jw, "message", b->message);
	jw_str(&jw, "chip", b->chip[0] ? b->chip : NULL);
	jw_str(&jw, "mac", b->mac[0] ? b->mac : NULL);
	jw_int(&jw, "duration_ms", (long long)b->duration_ms);
	jw_int(&jw, "bytes", (long long)b->prog.bytes_written);
	jw_double(&jw, "kbps", b->prog.kbps);
	if (b->exit_code >= 0)
		jw_int(&jw, "exit_code", b->exit_code);
	else
		jw_null(&jw, "exit_code");
	jw_int(&jw, "attempts", b->attempts);
	jw_str(&jw, "firmware_sha256", app_firmware(c->app)->sha256);
	jw_str(&jw, "serial", b->serial[0] ? b->serial : NULL);
	jw_str(&jw, "unit_label", b->label[0] ? b->label : NULL);
	jw_object_end(&jw);
	printf("%s\n", sb.buf);
	fflush(stdout);
	strbuf_release(&sb);
}

/* The result line of a finished board. */
static void result_line(struct flash_cli *c, struct app_board *b)
{
	char dur[16];

	format_duration(b->duration_ms, dur);
	if (c->json) {
		json_result(c, b);
	} else if (b->outcome == OUTCOME_OK) {
		board_line(c, b, "Done", "PASS %s%s%s%s%s %s", b->chip, b->mac[0] ? " " : "", b->mac,
			   b->serial[0] ? " serial " : "", b->serial, dur);
	} else {
		board_line(c, b, "Fail", "FAIL %s: %s (%s)", outcome_name(b->outcome), b->message,
			   dur);
	}
}

/* Is a progress line due? On a new image, on each new 10 % step, and every
 * 2 s while the percent moves: as often as esptool reports, without a line
 * for each of its 16 KiB blocks. */
static bool progress_due(const struct cli_board *cb, const struct flash_progress *p, uint64_t now)
{
	if (cb->last_image != p->image)
		return true;
	/* steps of the percent as printed (99.6 shows as 100) */
	if ((int)(p->overall_pct + 0.5) / 10 > (int)(cb->last_pct + 0.5) / 10)
		return true;
	return p->overall_pct > cb->last_pct && now - cb->last_progress >= 2000;
}

/* A progress line, when one is due. */
static void progress_line(struct flash_cli *c, struct app_board *b)
{
	struct cli_board *cb = chosen(c, b);
	uint64_t now = now_ms();

	if (!cb || b->prog.phase != PHASE_FLASH || !progress_due(cb, &b->prog, now))
		return;
	cb->last_progress = now;
	cb->last_image = b->prog.image;
	cb->last_pct = b->prog.overall_pct;
	cb->last_phase = PHASE_FLASH;
	if (b->prog.images > 1)
		board_line(c, b, "Flash", "%d/%d %.0f%%", b->prog.image, b->prog.images,
			   b->prog.overall_pct);
	else
		board_line(c, b, "Flash", "%.0f%%", b->prog.overall_pct);
}

/* A new attempt on b (a retry, or monitor's next board): its progress counts again. */
static void progress_restart(struct flash_cli *c, struct app_board *b)
{
	struct cli_board *cb = chosen(c, b);

	if (cb) {
		cb->last_image = 0;
		cb->last_pct = 0;
	}
}

/* A line when the phase changes in a way worth reading: esptool erases and
 * verifies each image, and those per-image steps are not printed. */
static void phase_line(struct flash_cli *c, struct app_board *b)
{
	struct cli_board *cb = chosen(c, b);
	const struct flash_progress *p = &b->prog;

	if (!cb || p->phase == cb->last_phase)
		return;
	switch (p->phase) {
	case PHASE_FLASH:
		progress_line(c, b);
		return;
	case PHASE_ERASE:
		if (p->image)
			return; /* the sectors of one image, not the whole chip */
		break;
	case PHASE_VERIFY:
		if (p->image < p->images)
			return;
		break;
	case PHASE_DONE: case PHASE_IDLE: case PHASE_QUEUED:
		return;
	default:
		break;
	}
	cb->last_phase = p->phase;
	board_line(c, b, phase_name(p->phase), NULL);
}

/* Monitor mode lines for plug events. */
static void plug_line(struct flash_cli *c, struct app_board *b, enum app_event ev)
{
	const struct device *d = b->dev;

	if (c->monitor && ev == APP_EV_EXPIRED)
		board_line(c, b, "Gone", "(a new plug-in here is a new board)");
	if (!c->monitor || !d)
		return;
	if (ev == APP_EV_ATTACHED && d->manual)
		board_line(c, b, "Plug", "%s %s (--port)", kind_name(d->kind), d->devnode);
	else if (ev == APP_EV_ATTACHED)
		board_line(c, b, "Plug", "%s %04x:%04x %s", kind_name(d->kind), d->vid, d->pid,
			   d->product ? d->product : "");
	else if (ev == APP_EV_RETURNED)
		board_line(c, b, "Back", "re-enumerated (same board)");
	else if (ev == APP_EV_DETACHED)
		board_line(c, b, "Unplug", NULL);
}

static void on_event(void *data, struct app_board *b, enum app_event ev)
{
	struct flash_cli *c = data;

	switch (ev) {
	case APP_EV_ATTACHED: case APP_EV_RETURNED: case APP_EV_DETACHED: case APP_EV_EXPIRED:
		plug_line(c, b, ev);
		break;
	case APP_EV_QUEUED:
		if (c->monitor)
			choose(c, b);
		board_line(c, b, "Queue", NULL);
		break;
	case APP_EV_STARTED: case APP_EV_PHASE:
		if (ev == APP_EV_STARTED)
			progress_restart(c, b);
		phase_line(c, b);
		break;
	case APP_EV_PROGRESS:
		progress_line(c, b);
		break;
	case APP_EV_FINISHED:
		c->finished++;
		if (b->outcome != OUTCOME_OK)
			c->failed++;
		result_line(c, b);
		if (c->monitor && c->count && c->finished >= c->count)
			app_shutdown(c->app, false);
		break;
	case APP_EV_IDLE:
		if (!c->monitor || app_shutting_down(c->app))
			loop_quit(c->loop, 0);
		break;
	default:
		break;
	}
}

static const struct app_view cli_view = { on_event, NULL };

static void on_signal(const struct signalfd_siginfo *si, void *data)
{
	struct flash_cli *c = data;
	size_t busy = app_busy(c->app);

	if (si->ssi_signo == SIGHUP) {
		/* the session is gone: finish what runs, start nothing new */
		log_msg(LOG_WARN, NULL, "hangup: letting %zu running %s finish", busy,
			plural((long long)busy, "attempt", "attempts"));
		app_shutdown(c->app, false);
		return;
	}
	c->signal_code = si->ssi_signo == SIGINT ? EXIT_INTERRUPTED : 128 + SIGTERM;
	if (c->interrupts++)
		log_msg(LOG_WARN, NULL, "killing %zu %s now", busy,
			plural((long long)busy, "attempt", "attempts"));
	else if (busy)
		log_msg(LOG_WARN, NULL, "interrupted: cancelling %zu %s", busy,
			plural((long long)busy, "attempt", "attempts"));
	app_shutdown(c->app, true);
}

/* One row of the summary table: every cell sanitised and cut to its width. */
static void summary_row(struct flash_cli *c, const struct app_board *b)
{
	struct strbuf line = STRBUF_INIT;
	char dur[16], slot[16];
	const char *res = b->state == BOARD_PASS ? "PASS"
			  : b->state == BOARD_FAIL ? outcome_name(b->outcome) : "not flashed";

	format_duration(b->duration_ms, dur);
	snprintf(slot, sizeof slot, "%u", b->slot);
	text_cell(&line, slot, 4, c->ascii);
	strbuf_addch(&line, ' ');
	text_cell(&line, b->dev ? path_basename(b->dev->devnode) : "-", 12, c->ascii);
	strbuf_addch(&line, ' ');
	text_cell(&line, res, 18, c->ascii);
	strbuf_addch(&line, ' ');
	text_cell(&line, dur, 7, c->ascii);
	strbuf_addch(&line, ' ');
	text_cell(&line, b->chip, 16, c->ascii);
	strbuf_addch(&line, ' ');
	text_cell(&line, b->mac, 17, c->ascii);
	while (line.len && line.buf[line.len - 1] == ' ')
		strbuf_setlen(&line, line.len - 1);
	printf("%s\n", line.buf);
	strbuf_release(&line);
}

/* The summary table after a flash run. */
static void summary(struct flash_cli *c)
{
	struct strbuf sb = STRBUF_INIT;
	long ok = c->finished - c->failed;

	if (c->json) {
		struct jw jw;

		jw_init(&jw, &sb);
		jw_object_begin(&jw, NULL);
		jw_object_begin(&jw, "summary");
		jw_int(&jw, "ok", ok);
		jw_int(&jw, "failed", c->failed);
		jw_int(&jw, "total", c->finished);
		jw_bool(&jw, "interrupted", c->signal_code != 0);
		jw_object_end(&jw);
		jw_object_end(&jw);
		printf("%s\n", sb.buf);
		strbuf_release(&sb);
		return;
	}
	/* 4 + 12 + 18 + 7 + 16 + 17 columns and 5 gaps: 79 */
	printf("\nSLOT PORT         RESULT             TIME    CHIP             MAC\n");
	for (size_t i = 0; i < c->nchosen; i++)
		summary_row(c, c->chosen[i].b);
	printf("%ld %s: %ld passed, %ld failed%s\n", c->finished,
	       plural(c->finished, "board", "boards"), ok, c->failed,
	       c->signal_code ? " (interrupted)" : "");
	fflush(stdout);
}

enum { OPT_PORT = 256, OPT_SLOT, OPT_ALL, OPT_BAUD, OPT_JSON, OPT_COUNT, OPT_SKIP_IDENTICAL,
       OPT_LABEL, OPT_NEW_SERIAL };

static const struct option long_opts[] = {
	{ "port", required_argument, NULL, OPT_PORT },
	{ "slot", required_argument, NULL, OPT_SLOT },
	{ "all", no_argument, NULL, OPT_ALL },
	CLI_FIRMWARE_OPTIONS,
	{ "baud", required_argument, NULL, OPT_BAUD },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "count", required_argument, NULL, OPT_COUNT },
	{ "skip-identical", no_argument, NULL, OPT_SKIP_IDENTICAL },
	{ "label", required_argument, NULL, OPT_LABEL },
	{ "new-serial", no_argument, NULL, OPT_NEW_SERIAL },
	{ NULL, 0, NULL, 0 },
};

/* Parse the command's options (config already loaded: --firmware needs its offset). */
static int parse_opts(struct flash_cli *c, int argc, char **argv)
{
	int opt;
	long n;

	optind = 1;
	while ((opt = cmd_getopt(c->cmd, argc, argv, "", long_opts)) != -1) {
		switch (opt) {
		case OPT_PORT: strvec_push(&c->ports, optarg); break;
		case OPT_SLOT:
			if (parse_long(optarg, 1, 1000, &n))
				return cmd_usage_error(c->cmd, "--slot: '%s' is not a slot number", optarg);
			strvec_push(&c->slots, optarg);
			break;
		case OPT_ALL: c->all = true; break;
		case CLI_OPT_FIRMWARE: case CLI_OPT_IMAGE: case CLI_OPT_FLASH_ARGS:
			if (session_firmware_opt(&c->s, opt, optarg))
				return EXIT_USAGE;
			break;
		case OPT_BAUD:
			if (parse_long(optarg, 300, 12000000, &n))
				return cmd_usage_error(c->cmd, "--baud: '%s' is not a baud rate", optarg);
			c->s.cfg.baud = (unsigned)n;
			break;
		case OPT_JSON: c->json = true; break;
		case OPT_SKIP_IDENTICAL: c->s.cfg.skip_identical = 1; break;
		case OPT_COUNT:
			if (!c->monitor || parse_long(optarg, 1, 1000000, &c->count))
				return cmd_usage_error(c->cmd, "--count: only for monitor, a number >= 1");
			break;
		case OPT_LABEL: case OPT_NEW_SERIAL:
			if (c->monitor)
				return cmd_usage_error(c->cmd, "--label and --new-serial are for 'flash'");
			if (opt == OPT_LABEL)
				c->label = optarg;
			else
				c->new_serial = true;
			break;
		default:
			return EXIT_USAGE;
		}
	}
	if (c->label && (c->all || c->ports.n + c->slots.n != 1))
		return cmd_usage_error(c->cmd, "--label is for one board: give one --port or --slot");
	if (optind < argc)
		return cmd_usage_error(c->cmd, "unexpected argument '%s'", argv[optind]);
	if (!c->monitor && !c->all && !c->ports.n && !c->slots.n)
		return cmd_usage_error(c->cmd, "which boards? give --port DEV, --slot N or --all");
	if (c->monitor && (c->all || c->slots.n))
		return cmd_usage_error(c->cmd, "monitor flashes every board that appears; --slot and --all are for 'flash'");
	return 0;
}

/* Monitor mode: the ports named with --port are boards present from the
 * start (app_begin() queues them with the others). */
static int monitor_ports(struct flash_cli *c)
{
	struct strbuf err = STRBUF_INIT;
	int bad = 0;

	for (size_t i = 0; i < c->ports.n; i++) {
		if (!app_add_port(c->app, c->ports.v[i], &err))
			bad = fprintf(stderr, "flashbay %s: %s\n", c->cmd, err.buf);
		strbuf_reset(&err);
	}
	strbuf_release(&err);
	return bad ? EXIT_FAIL : 0;
}

/* Refuse a --port that cannot be a serial port, before anything starts (the
 * demo's boards are not on this machine). */
static int check_ports(struct flash_cli *c)
{
	struct strbuf err = STRBUF_INIT;
	int bad = 0;

	for (size_t i = 0; !c->s.g->demo && i < c->ports.n; i++) {
		if (devices_check_port(c->ports.v[i], &err) < 0) {
			char *safe = text_sanitize_dup(err.buf, c->ascii);

			bad = fprintf(stderr, "flashbay %s: %s\n", c->cmd, safe);
			free(safe);
		}
		strbuf_reset(&err);
	}
	strbuf_release(&err);
	return bad ? EXIT_USAGE : 0;
}

/* How long `esptool version` may take before flashbay refuses to start. */
#define ESPTOOL_CHECK_MS 5000

/* The log sink during the esptool check: a failure is said once, by it. */
static void all_but_errors(const struct log_entry *e, void *data)
{
	if (e->level < LOG_ERROR)
		log_stderr_sink(e, data);
}

/* Said when `esptool version` is slow to answer. */
static void esptool_slow(const char *cmd, void *data)
{
	struct flash_cli *c = data;
	char *safe = text_sanitize_dup(cmd, c->ascii);

	fprintf(stderr, "flashbay %s: waiting for '%s version' to answer...\n", c->cmd, safe);
	free(safe);
}

/* esptool must be there and answer as esptool before any board is queued. */
static int check_esptool(struct flash_cli *c)
{
	struct strbuf err = STRBUF_INIT;
	char *safe;
	int r;

	log_set_sink(all_but_errors, NULL);
	r = app_esptool_check(c->app, ESPTOOL_CHECK_MS, esptool_slow, c, &err);
	log_set_sink(NULL, NULL);
	if (!r || c->signal_code) {
		strbuf_release(&err);
		return c->signal_code;
	}
	safe = text_sanitize_dup(err.buf, c->ascii);
	fprintf(stderr, "flashbay %s: %s\n", c->cmd, safe);
	free(safe);
	strbuf_release(&err);
	return EXIT_USAGE;
}

/* Queue the boards named with --port, --slot, --all. */
static int queue_boards(struct flash_cli *c)
{
	struct strbuf err = STRBUF_INIT;
	int bad = 0;

	for (size_t i = 0; i < c->ports.n; i++) {
		struct app_board *b = app_add_port(c->app, c->ports.v[i], &err);

		if (b)
			choose(c, b);
		else
			bad = fprintf(stderr, "flashbay %s: %s\n", c->cmd, err.buf);
		strbuf_reset(&err);
	}
	for (size_t i = 0; i < c->slots.n; i++) {
		struct app_board *b = app_board_for_slot(c->app, (unsigned)atoi(c->slots.v[i]));

		if (b && b->dev && b->dev->present)
			choose(c, b);
		else
			bad = fprintf(stderr, "flashbay %s: no board in slot %s\n", c->cmd, c->slots.v[i]);
	}
	for (size_t i = 0; c->all && i < app_board_count(c->app); i++) {
		struct app_board *b = app_board_at(c->app, i);

		if (b->dev && b->dev->present && kind_is_esp32(b->dev->kind))
			choose(c, b);
	}
	if (!bad && !c->nchosen)
		bad = fprintf(stderr, "flashbay %s: no ESP32 boards connected (see 'flashbay list')\n",
			      c->cmd);
	for (size_t i = 0; !bad && i < c->nchosen; i++) {
		const struct flash_order one = { .rows = &c->chosen[i].b, .nrows = 1,
						 .one_by_one = true };

		if (c->label)
			app_set_label(c->app, c->chosen[i].b, c->label);
		if (c->new_serial)
			app_want_new_serial(c->app, c->chosen[i].b);
		if (app_flash(c->app, &one, &err) != 1) {
			bad = fprintf(stderr, "flashbay %s: %s\n", c->cmd, err.buf);
			app_shutdown(c->app, true);
		}
		strbuf_reset(&err);
	}
	strbuf_release(&err);
	return bad ? EXIT_FAIL : 0;
}

/* Set up config, firmware, loop and engine. */
static int setup(struct flash_cli *c, struct globals *g, int argc, char **argv)
{
	int r;

	if ((r = session_config(&c->s, g, c->cmd)) || (r = parse_opts(c, argc, argv)) ||
	    (r = check_ports(c)) || (r = session_start(&c->s, c->monitor, SESSION_FW_REQUIRED)))
		return r;
	c->loop = c->s.loop;
	c->app = c->s.app;
	loop_signal_add(c->loop, SIGINT, on_signal, c);
	loop_signal_add(c->loop, SIGTERM, on_signal, c);
	loop_signal_add(c->loop, SIGHUP, on_signal, c);
	app_set_view(c->app, &cli_view, c);
	return 0;
}

/* The exit code of a finished run. */
static int exit_code(struct flash_cli *c)
{
	app_history_finish(c->app); /* kept results: into the journal, loudly */
	if (c->signal_code)
		return c->signal_code;
	if (app_history_errors(c->app))
		return EXIT_FAIL;
	return c->failed ? EXIT_FAIL : EXIT_OK;
}

/* Print the monitor banner. */
static void banner(struct flash_cli *c)
{
	char *safe;

	if (c->json)
		return;
	safe = text_sanitize_dup(app_config(c->app)->station_name, c->ascii);
	printf("[Monitor] %s: flashing every ESP32 board plugged in (Ctrl-C to stop)\n", safe);
	fflush(stdout);
	free(safe);
}

/* Shared body of flash and monitor. */
static int run(struct flash_cli *c, struct globals *g, int argc, char **argv)
{
	int r;

	strvec_init(&c->ports);
	strvec_init(&c->slots);
	c->ascii = strcmp(nl_langinfo(CODESET), "UTF-8") != 0;
	r = setup(c, g, argc, argv);
	if (r || (r = check_esptool(c)))
		goto out;
	if (c->monitor) {
		app_set_monitor_limit(c->app, (unsigned long)c->count);
		if ((r = monitor_ports(c)))
			goto out;
		banner(c);
		app_begin(c->app);
	} else {
		app_begin(c->app);
		if ((r = queue_boards(c))) {
			/* nothing was started, but drain anything that was, recorded */
			if (app_busy(c->app))
				loop_run(c->loop);
			goto out;
		}
	}
	loop_run(c->loop);
	summary(c);
	r = exit_code(c);
out:
	session_end(&c->s);
	strvec_release(&c->ports);
	strvec_release(&c->slots);
	free(c->chosen);
	return r;
}

int cmd_flash(struct globals *g, int argc, char **argv)
{
	struct flash_cli c = { .cmd = "flash" };

	return run(&c, g, argc, argv);
}

int cmd_monitor(struct globals *g, int argc, char **argv)
{
	struct flash_cli c = { .cmd = "monitor", .monitor = true };

	return run(&c, g, argc, argv);
}
