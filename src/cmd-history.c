/* cmd-history.c - `flashbay history`: recent attempts, newest first, as an
 * 80-column table or a JSON array of full rows. */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "histcmd.h"
#include "json.h"
#include "parse.h"
#include "str.h"
#include "strvec.h"
#include "text.h"
#include "unit.h"

#define DEFAULT_LIMIT 20

struct history_opts {
	struct history_filter f;
	const char *port;
	struct strvec ports; /* the names of port (history_port_names()) */
	char mac[18];        /* --mac as aa:bb:cc:dd:ee:ff */
	bool json;
};

/* A MAC address given as 6 hex pairs (':' or '-' between, or none) into out
 * as "aa:bb:cc:dd:ee:ff"; -1 if s is no MAC. */
static int parse_mac(const char *s, char out[18])
{
	size_t k = 0;

	for (int i = 0; i < 6; i++) {
		if (i && (*s == ':' || *s == '-') && s[1])
			s++;
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
			return -1;
		if (i)
			out[k++] = ':';
		out[k++] = (char)tolower((unsigned char)*s++);
		out[k++] = (char)tolower((unsigned char)*s++);
	}
	out[k] = '\0';
	return *s ? -1 : 0;
}

/* Parse the options; 0, or an exit code after a usage error. */
static int parse_opts(int argc, char **argv, struct history_opts *o)
{
	const char *limit = NULL;

	for (int i = 1; i < argc; i++) {
		int r = 0;

		if (!strcmp(argv[i], "--json")) {
			o->json = true;
			continue;
		}
		r = histcmd_opt("history", argc, argv, &i, "--port", &o->port);
		if (!r)
			r = histcmd_opt("history", argc, argv, &i, "--mac", &o->f.mac);
		if (!r)
			r = histcmd_opt("history", argc, argv, &i, "--board", &o->f.board);
		if (!r)
			r = histcmd_opt("history", argc, argv, &i, "--limit", &limit);
		if (r < 0)
			return EXIT_USAGE;
		if (!r)
			return cmd_usage_error("history", "unknown argument '%s'", argv[i]);
	}
	o->f.limit = DEFAULT_LIMIT;
	if (limit && parse_long(limit, 0, 100000000, &o->f.limit))
		return cmd_usage_error("history", "bad --limit '%s': give a number (0: all)", limit);
	if (o->f.mac && parse_mac(o->f.mac, o->mac))
		return cmd_usage_error("history", "bad --mac '%s': give a MAC address "
						  "(24:0a:c4:12:34:56)", o->f.mac);
	if (o->f.mac)
		o->f.mac = o->mac;
	if (o->port && !*o->port)
		return cmd_usage_error("history", "bad --port '': give a port (ttyUSB0, "
						  "/dev/serial/by-id/..., pts/12)");
	if (o->port) {
		history_port_names(o->port, &o->ports);
		o->f.ports = (const char *const *)o->ports.v;
	}
	return 0;
}

/* A table line of the seven columns: ID STARTED SLOT PORT BOARD TIME RESULT
 * (at most 79 terminal columns), and an eighth, SERIAL, when there is one
 * ([unit]; "" leaves it out). */
static void put_line(const char *const col[8])
{
	static const size_t width[8] = { 6, 19, 4, 8, 17, 6, 13, 24 };
	static const bool right[8] = { true, false, true, false, false, true, false, false };
	struct strbuf line = STRBUF_INIT;

	for (size_t i = 0; i < 8; i++) {
		if (i)
			strbuf_addch(&line, ' ');
		text_cell_align(&line, col[i], width[i], right[i], false);
	}
	while (line.len && line.buf[line.len - 1] == ' ')
		strbuf_setlen(&line, line.len - 1);
	printf("%s\n", line.buf);
	strbuf_release(&line);
}

/* A port short but unambiguous: its device (else the name used) without
 * "/dev/": "ttyUSB0", "pts/12", "serial/by-id/usb-..."; another path whole. */
static const char *short_port(const struct attempt *a)
{
	const char *p = a->device ? a->device : a->port;

	if (p && str_starts_with(p, "/dev/") && p[5])
		return p + 5;
	return p;
}

/* One row as a table line. */
static int print_row(const struct history_row *r, void *data)
{
	const struct attempt *a = &r->a;
	char id[24], t[32], slot[12], dur[16];
	const char *result = a->outcome;
	long *n = data;

	(*n)++;
	snprintf(id, sizeof id, "%lld", (long long)r->id);
	histcmd_time(a->started_ms, t);
	snprintf(slot, sizeof slot, "%d", a->slot);
	if (a->duration_ms >= 0)
		format_duration((uint64_t)a->duration_ms, dur);
	if (a->failure_class && strcmp(a->outcome, "ok") && strcmp(a->outcome, "running"))
		result = a->failure_class;
	put_line((const char *const[8]){ id, t, a->slot ? slot : NULL,
					 short_port(a),
					 a->mac ? a->mac : a->board ? a->board : a->chip,
					 a->duration_ms >= 0 ? dur : NULL, result,
					 a->serial ? a->serial : "" });
	return 0;
}

/* One row as a JSON object of every column. */
static int json_row(const struct history_row *r, void *data)
{
	struct jw *jw = data;

	jw_object_begin(jw, NULL);
	histcol_json(jw, r);
	jw_object_end(jw);
	return 0;
}

/* Print the rows the options select. */
static int list(struct histcmd *c, struct history_opts *o)
{
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
	struct jw jw;
	long n = 0;
	int r;

	o->f.since_ms = INT64_MIN;
	o->f.newest_first = true;
	o->f.with_output = o->json;
	if (o->json) {
		jw_init(&jw, &out);
		jw_array_begin(&jw, NULL);
		r = history_rows(c->h, &o->f, json_row, &jw, &err);
		jw_array_end(&jw);
		if (!r)
			printf("%s\n", out.buf);
	} else {
		put_line((const char *const[8]){ "ID", "Started (UTC)", "Slot", "Port",
						 "Board/MAC", "Time", "Result",
						 unit_enabled(&c->cfg) ? "Serial" : "" });
		r = history_rows(c->h, &o->f, print_row, &n, &err);
		if (!r && !n)
			printf("no attempts match\n");
	}
	if (r)
		histcmd_fail(c, err.buf);
	strbuf_release(&err);
	strbuf_release(&out);
	return r ? EXIT_FAIL : EXIT_OK;
}

int cmd_history(struct globals *g, int argc, char **argv)
{
	struct history_opts o = { .ports = STRVEC_INIT };
	struct histcmd c = { .name = "history" };
	int r = parse_opts(argc, argv, &o);

	if (r)
		return r;
	r = histcmd_open(&c, g, false);
	if (r == -ENOENT) {
		struct strbuf path = STRBUF_INIT;

		text_sanitize(&path, c.cfg.database, strlen(c.cfg.database), false);
		if (o.json)
			printf("[]\n");
		fprintf(o.json ? stderr : stdout, "%sno history yet at %s\n",
			o.json ? "flashbay history: " : "", path.buf);
		strbuf_release(&path);
		r = EXIT_OK;
	} else if (!r) {
		r = list(&c, &o);
	}
	histcmd_close(&c);
	strvec_release(&o.ports);
	return r;
}
