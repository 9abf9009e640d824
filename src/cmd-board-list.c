/* cmd-board-list.c - `flashbay board list` (registered boards against the
 * connected devices) and the interactive `board add` wizard. Both look at
 * the device table once (no engine, no history). */
#include "autoconf.h"

#include <langinfo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cmd-board.h"
#include "cmd.h"
#include "devices.h"
#include "json.h"
#include "klipper.h"
#include "loop.h"
#include "parse.h"
#include "path.h"
#include "text.h"
#include "xalloc.h"

/* The device table, read once. */
struct devview {
	struct loop *loop;
	struct devices *devs;
	bool ascii;
};

/* Open the device table; EXIT_FAIL (printed) if discovery fails. */
static int devview_open(struct bctx *c, struct devview *v, const char *sub)
{
	struct devices_opts dopts = { 0 };
	struct strbuf err = STRBUF_INIT;
	int r;

	v->ascii = strcmp(nl_langinfo(CODESET), "UTF-8") != 0;
	dopts.source = c->g->no_udev ? DEVICES_SCAN : DEVICES_AUTO;
	v->loop = loop_new();
	r = devices_open(v->loop, &c->cfg, &dopts, NULL, NULL, &v->devs, &err);
	if (r < 0)
		r = board_fail(sub, EXIT_FAIL, err.buf);
	strbuf_release(&err);
	return r;
}

/* Close the device table. */
static void devview_close(struct devview *v)
{
	devices_close(v->devs);
	loop_free(v->loop);
}

/* A present Klipper, Katapult or Kalico device (by kind or by its by-id name). */
static bool klipperish(const struct device *d)
{
	const char *n = d->by_id ? path_basename(d->by_id) : "";

	if (!d->present)
		return false;
	return kind_is_klipper(d->kind) || !strncasecmp(n, "usb-Klipper_", 12) ||
	       !strncasecmp(n, "usb-katapult_", 13) || !strncasecmp(n, "usb-Kalico_", 11);
}

/* The connected device of registered board b, or NULL. */
static const struct device *board_device(const struct devview *v, const struct board *b)
{
	for (size_t i = 0; i < devices_count(v->devs); i++) {
		const struct device *d = devices_at(v->devs, i);

		if (d->present && d->by_id && board_matches(b, d->by_id))
			return d;
	}
	return NULL;
}

/* "config ok", "no config: ..." for one board. */
static void config_state(const struct bctx *c, const struct board *b, struct strbuf *out)
{
	char *path = klipper_config_path(&c->cfg, b->key);
	struct strbuf err = STRBUF_INIT;
	enum outcome o = klipper_config_check(b, path, NULL, &err);

	if (o == OUTCOME_OK)
		strbuf_addstr(out, "config ok");
	else if (o == OUTCOME_MCU_MISMATCH)
		strbuf_addf(out, "config is for another MCU: flashbay board menuconfig %s", b->key);
	else
		strbuf_addf(out, "no usable config: flashbay board menuconfig %s", b->key);
	strbuf_release(&err);
	free(path);
}

/* Print one line, sanitised. */
static void print_safe(const struct devview *v, const char *raw)
{
	char *safe = text_sanitize_dup(raw, v->ascii);

	printf("%s\n", safe);
	free(safe);
}

/* The [OK] / [--] line of a registered board. */
static void list_registered(const struct bctx *c, const struct devview *v, const struct board *b)
{
	const struct device *d = board_device(v, b);
	struct strbuf line = STRBUF_INIT, cfg = STRBUF_INIT;

	config_state(c, b, &cfg);
	if (d)
		strbuf_addf(&line, "[OK] %-12s %-12s slot %-3u %s (%s; %s)", b->key, b->mcu,
		            d->slot, d->by_id, kind_name(d->kind), cfg.buf);
	else
		strbuf_addf(&line, "[--] %-12s %-12s not connected: no device matches %s (%s)",
		            b->key, b->mcu, b->serial_pattern, cfg.buf);
	if (b->name)
		strbuf_addf(&line, "  %s", b->name);
	print_safe(v, line.buf);
	strbuf_release(&line);
	strbuf_release(&cfg);
}

/* The [??] lines: connected Klipper/Katapult devices no board claims. Returns how many. */
static size_t list_unregistered(const struct bctx *c, const struct devview *v)
{
	size_t n = 0;

	for (size_t i = 0; i < devices_count(v->devs); i++) {
		const struct device *d = devices_at(v->devs, i);
		struct board_proposal p;
		struct strbuf line = STRBUF_INIT;

		if (!klipperish(d) || (d->by_id && boards_match(&c->boards, d->by_id, NULL)))
			continue;
		if (!d->by_id || boards_propose(d->by_id, &p))
			snprintf(p.product, sizeof p.product, "?");
		strbuf_addf(
		    &line, "[??] %-12s %-12s slot %-3u %s (%s; not registered: flashbay board add)",
		    "-", p.product, d->slot, d->by_id ? d->by_id : d->devnode, kind_name(d->kind));
		print_safe(v, line.buf);
		strbuf_release(&line);
		n++;
	}
	return n;
}

/* The device fields of a board list object (null when not connected). */
static void json_device_fields(struct jw *jw, const struct device *d)
{
	if (d)
		jw_int(jw, "slot", d->slot);
	else
		jw_null(jw, "slot");
	jw_str(jw, "port", d ? d->devnode : NULL);
	jw_str(jw, "by_id", d ? d->by_id : NULL);
	jw_str(jw, "kind", d ? kind_name(d->kind) : NULL);
}

/* The object of a registered board: the [OK] / [--] line's facts. */
static void json_registered(const struct bctx *c, const struct devview *v, const struct board *b,
			    struct jw *jw)
{
	const struct device *d = board_device(v, b);
	char *path = klipper_config_path(&c->cfg, b->key);
	struct strbuf err = STRBUF_INIT;
	enum outcome o = klipper_config_check(b, path, NULL, &err);

	jw_object_begin(jw, NULL);
	jw_str(jw, "status", d ? "connected" : "not_connected");
	jw_str(jw, "key", b->key);
	jw_str(jw, "name", b->name);
	jw_str(jw, "mcu", b->mcu);
	jw_str(jw, "serial_pattern", b->serial_pattern);
	jw_str(jw, "method", board_effective_method(&c->cfg, b));
	json_device_fields(jw, d);
	jw_str(jw, "config", o == OUTCOME_OK ? "ok" : outcome_name(o));
	jw_str(jw, "config_path", path);
	jw_object_end(jw);
	strbuf_release(&err);
	free(path);
}

/* The objects of the [??] lines: connected devices no board claims. */
static void json_unregistered(const struct bctx *c, const struct devview *v, struct jw *jw)
{
	for (size_t i = 0; i < devices_count(v->devs); i++) {
		const struct device *d = devices_at(v->devs, i);
		struct board_proposal p;
		bool proposed;

		if (!klipperish(d) || (d->by_id && boards_match(&c->boards, d->by_id, NULL)))
			continue;
		proposed = d->by_id && !boards_propose(d->by_id, &p);
		jw_object_begin(jw, NULL);
		jw_str(jw, "status", "unregistered");
		jw_null(jw, "key");
		jw_null(jw, "name");
		jw_str(jw, "mcu", proposed ? p.product : NULL);
		jw_null(jw, "serial_pattern");
		jw_null(jw, "method");
		json_device_fields(jw, d);
		jw_null(jw, "config");
		jw_null(jw, "config_path");
		jw_object_end(jw);
	}
}

/* board list --json: one array, exact strings (escaped, not sanitised). */
static void list_json(const struct bctx *c, const struct devview *v)
{
	struct strbuf out = STRBUF_INIT;
	struct jw jw;

	jw_init(&jw, &out);
	jw_array_begin(&jw, NULL);
	for (size_t i = 0; i < c->boards.n; i++)
		json_registered(c, v, &c->boards.v[i], &jw);
	json_unregistered(c, v, &jw);
	jw_array_end(&jw);
	strbuf_addch(&out, '\n');
	fputs(out.buf, stdout);
	strbuf_release(&out);
}

/* board list [--json] */
int board_list(struct bctx *c, int argc, char **argv)
{
	struct devview v;
	size_t unregistered;
	bool json = argc == 2 && !strcmp(argv[1], "--json");
	int r;

	if (argc != 1 && !json)
		return cmd_usage_error("board list", "usage: board list [--json]");
	if ((r = bctx_load(c, "list")) || (r = devview_open(c, &v, "list")))
		return r;
	if (json) {
		list_json(c, &v);
		devview_close(&v);
		return EXIT_OK;
	}
	for (size_t i = 0; i < c->boards.n; i++)
		list_registered(c, &v, &c->boards.v[i]);
	unregistered = list_unregistered(c, &v);
	if (!c->boards.n && !unregistered)
		printf("no boards registered and no Klipper/Katapult device connected "
		       "(register one with: flashbay board add)\n");
	devview_close(&v);
	return EXIT_OK;
}

/* ------------------------------------------------------------ the wizard */

/* Ask on the terminal; an empty answer takes def. false at end of input. */
static bool ask(const char *question, const char *def, char *out, size_t size)
{
	char *safe = text_sanitize_dup(def ? def : "", false);

	printf("%s%s%s%s: ", question, def && *def ? " [" : "", safe, def && *def ? "]" : "");
	fflush(stdout);
	free(safe);
	if (!fgets(out, (int)size, stdin))
		return false;
	out[strcspn(out, "\r\n")] = '\0';
	if (!*out && def)
		snprintf(out, size, "%s", def);
	return true;
}

/* The unregistered Klipper/Katapult devices with a usable by-id name. */
static size_t wizard_devices(const struct bctx *c, const struct devview *v,
			     const struct device **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < devices_count(v->devs) && n < max; i++) {
		const struct device *d = devices_at(v->devs, i);
		struct board_proposal p;

		if (klipperish(d) && d->by_id && !boards_match(&c->boards, d->by_id, NULL) &&
		    !boards_propose(d->by_id, &p))
			out[n++] = d;
	}
	return n;
}

/* Ask until valid (check appends the reason); false at end of input. */
static bool ask_valid(const char *q, const char *def, char *out, size_t size,
		      bool (*check)(const char *, struct strbuf *), const struct boards *reg)
{
	for (;;) {
		struct strbuf err = STRBUF_INIT;
		bool ok;

		if (!ask(q, def, out, size))
			return false;
		ok = check(out, &err);
		if (ok && reg && boards_find(reg, out)) {
			strbuf_addf(&err, "a board named '%s' is already registered", out);
			ok = false;
		}
		if (ok) {
			strbuf_release(&err);
			return true;
		}
		board_print_lines(stdout, "  ", err.buf);
		strbuf_release(&err);
	}
}

/* The name may be empty. */
static bool name_ok(const char *name, struct strbuf *err)
{
	return !*name || board_name_valid(name, err);
}

/* Which device? 1-based answer into *pick; false at end of input. */
static bool ask_device(const struct devview *v, const struct device **devs, size_t n, size_t *pick)
{
	char buf[32];
	long k;

	printf("Connected Klipper/Katapult devices that are not registered:\n");
	for (size_t i = 0; i < n; i++) {
		struct strbuf line = STRBUF_INIT;

		strbuf_addf(&line, "  %zu  %s (slot %u, %s)", i + 1, path_basename(devs[i]->by_id),
			    devs[i]->slot, kind_name(devs[i]->kind));
		print_safe(v, line.buf);
		strbuf_release(&line);
	}
	for (;;) {
		if (!ask("Device", "1", buf, sizeof buf))
			return false;
		if (!parse_long(buf, 1, (long)n, &k)) {
			*pick = (size_t)k;
			return true;
		}
		printf("  a number from 1 to %zu\n", n);
	}
}

/* The method answer, checked. */
static bool ask_method(enum board_method *m)
{
	char buf[32];
	int v;

	for (;;) {
		if (!ask("Flash method (katapult, make_flash, default)", "default", buf,
		         sizeof buf))
			return false;
		if ((v = board_method_from_name(buf)) >= 0) {
			*m = (enum board_method)v;
			return true;
		}
		printf("  one of katapult, make_flash, default\n");
	}
}

/* The questions; false at end of input. */
static bool wizard_ask(struct bctx *c, const struct devview *v, const struct device **devs,
		       size_t n, struct add_opts *o, char bufs[3][128], struct board_proposal *p)
{
	size_t pick;

	if (!ask_device(v, devs, n, &pick) || boards_propose(devs[pick - 1]->by_id, p))
		return false;
	printf("Serial pattern: %s\n", p->pattern);
	if (!ask_valid("MCU", p->mcu, bufs[0], 128, board_mcu_valid, NULL) ||
	    !ask_valid("Key (a short name for commands, e.g. octopus)", NULL, bufs[1], 128,
		       board_key_valid, &c->boards) ||
	    !ask_valid("Name (optional)", "", bufs[2], 128, name_ok, NULL) ||
	    !ask_method(&o->b.method))
		return false;
	o->b.mcu = bufs[0];
	o->b.key = bufs[1];
	o->b.name = bufs[2][0] ? bufs[2] : NULL;
	o->b.serial_pattern = p->pattern;
	return true;
}

int board_add_wizard(struct bctx *c)
{
	const struct device *devs[64];
	struct board_proposal p;
	struct add_opts o = { 0 };
	char bufs[3][128];
	struct devview v;
	size_t n;
	int r;

	if (!isatty(STDIN_FILENO))
		return cmd_usage_error("board add", "without a terminal, give KEY --mcu MCU "
				       "--serial-pattern GLOB (the wizard needs one)");
	if ((r = bctx_load(c, "add")) || (r = devview_open(c, &v, "add")))
		return r;
	n = wizard_devices(c, &v, devs, 64);
	if (!n) {
		printf(
		    "No unregistered Klipper/Katapult device is connected (see 'flashbay board "
		    "list'). Plug one in, or register by hand:\n  flashbay board add KEY --mcu MCU "
		    "--serial-pattern GLOB\n");
		r = EXIT_FAIL;
	} else if (!wizard_ask(c, &v, devs, n, &o, bufs, &p)) {
		printf("\nNothing was registered.\n");
		r = EXIT_FAIL;
	} else {
		r = board_register(c, &o);
	}
	devview_close(&v);
	return r;
}
