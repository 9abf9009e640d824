/* test-history.c - drives the real history code for the shell tests and the
 * bench (git's t/helper pattern).
 *
 *   test-history [--max-pages N] DB COMMAND [ARGS]
 *
 *   open                  open as a station would; prints "recovered N"
 *   begin FIELD...        history_begin(); prints the row id
 *   finish ID FIELD...    history_finish()
 *   add FIELD...          history_record(); prints the row id
 *   load                  history_record() for each line of stdin (TAB-separated
 *                         FIELDs), all in one transaction; prints "loaded N"
 *   hang FIELD...         history_begin(), print the id, then wait to be killed
 *   reset                 history_reset_period()
 *   counters              history_counters() as key=value lines
 *   fill N                N generated attempts in one transaction; prints the rate
 *   pairs N [GAP_MS]      N begin+finish pairs (GAP_MS apart), each in its own
 *                         transactions; prints the time each write takes
 *
 * FIELDs are KEY=VALUE: start, end (ISO 8601 or ms), station, slot, port, device,
 * by_path, by_id, heard (0/1),
 * vid, pid (hex), serial, unit, board, method, firmware, sha, size, chip, mac,
 * outcome, class, message, exit, dur, bytes, kbps, output ("\n" and "\t" in a
 * value are a newline and a TAB). --max-pages sets PRAGMA max_page_count to provoke a full disk.
 * Errors print the history's message and exit 1.
 */
#include "autoconf.h"

#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "array.h"
#include "clock.h"
#include "history-internal.h"
#include "parse.h"
#include "strbuf.h"
#include "strvec.h"
#include "xalloc.h"

static struct history *H;
static struct strbuf err = STRBUF_INIT;

/* Print the error and exit 1. */
static void die_err(void)
{
	fprintf(stderr, "%s\n", err.buf);
	history_close(H);
	exit(1);
}

/* A time: ISO 8601 or milliseconds. */
static int64_t parse_time(const char *v)
{
	int64_t ms;
	long l;

	if (!parse_iso8601(v, &ms))
		return ms;
	if (!parse_long(v, 0, LONG_MAX, &l))
		return l;
	fprintf(stderr, "test-history: bad time '%s'\n", v);
	exit(2);
}

/* Replace "\n" and "\t" with a newline and a TAB in place. */
static char *unescape(char *v)
{
	char *w = v;

	for (char *r = v; *r; r++) {
		if (r[0] == '\\' && (r[1] == 'n' || r[1] == 't')) {
			*w++ = r[1] == 'n' ? '\n' : '\t';
			r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return v;
}

/* Set the string field named key; false if there is none. */
static bool set_str(struct attempt *a, const char *key, char *v)
{
	static const struct {
		const char *key;
		size_t off;
	} f[] = {
		{ "station", offsetof(struct attempt, station) },
		{ "port", offsetof(struct attempt, port) },
		{ "by_path", offsetof(struct attempt, by_path) },
		{ "device", offsetof(struct attempt, device) },
		{ "by_id", offsetof(struct attempt, by_id) },
		{ "serial", offsetof(struct attempt, usb_serial) },
		{ "unit", offsetof(struct attempt, unit) },
		{ "board", offsetof(struct attempt, board) },
		{ "method", offsetof(struct attempt, method) },
		{ "firmware", offsetof(struct attempt, firmware) },
		{ "sha", offsetof(struct attempt, firmware_sha256) },
		{ "chip", offsetof(struct attempt, chip) },
		{ "mac", offsetof(struct attempt, mac) },
		{ "outcome", offsetof(struct attempt, outcome) },
		{ "class", offsetof(struct attempt, failure_class) },
		{ "message", offsetof(struct attempt, message) },
		{ "output", offsetof(struct attempt, output) },
	};

	for (size_t i = 0; i < ARRAY_SIZE(f); i++) {
		if (!strcmp(key, f[i].key)) {
			*(const char **)((char *)a + f[i].off) = unescape(v);
			return true;
		}
	}
	return false;
}

/* Set a numeric field; false if key is not one. */
static bool set_num(struct attempt *a, const char *key, const char *v)
{
	uint32_t x;

	if (!strcmp(key, "start"))
		a->started_ms = parse_time(v);
	else if (!strcmp(key, "end"))
		a->finished_ms = parse_time(v);
	else if (!strcmp(key, "slot"))
		a->slot = atoi(v);
	else if (!strcmp(key, "vid") && !parse_hex_u32(v, &x))
		a->vid = (uint16_t)x;
	else if (!strcmp(key, "pid") && !parse_hex_u32(v, &x))
		a->pid = (uint16_t)x;
	else if (!strcmp(key, "size"))
		a->firmware_size = atoll(v);
	else if (!strcmp(key, "exit"))
		a->exit_code = atoi(v);
	else if (!strcmp(key, "dur"))
		a->duration_ms = atoll(v);
	else if (!strcmp(key, "bytes"))
		a->bytes_written = atoll(v);
	else if (!strcmp(key, "kbps"))
		a->kbps = atof(v);
	else if (!strcmp(key, "heard"))
		a->heard = atoi(v);
	else
		return false;
	return true;
}

/* An attempt with the defaults of "not given". */
static struct attempt attempt_new(void)
{
	return (struct attempt){ .exit_code = -1, .duration_ms = -1, .bytes_written = -1,
				 .outcome = "ok" };
}

/* Parse KEY=VALUE fields (modified in place). */
static void parse_fields(struct attempt *a, char **f, int n)
{
	for (int i = 0; i < n; i++) {
		char *eq = strchr(f[i], '=');

		if (!eq) {
			fprintf(stderr, "test-history: '%s' is not KEY=VALUE\n", f[i]);
			exit(2);
		}
		*eq = '\0';
		if (!set_num(a, f[i], eq + 1) && !set_str(a, f[i], eq + 1)) {
			fprintf(stderr, "test-history: unknown field '%s'\n", f[i]);
			exit(2);
		}
	}
}

/* Nanoseconds on the monotonic clock. */
static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* load: one history_record() per stdin line, in one transaction. */
static int cmd_load(void)
{
	char *line = NULL;
	size_t cap = 0;
	long n = 0;
	ssize_t len;

	if (history_batch_begin(H, &err))
		die_err();
	while ((len = getline(&line, &cap, stdin)) > 0) {
		struct strvec f = STRVEC_INIT;
		struct attempt a = attempt_new();

		if (line[len - 1] == '\n')
			line[len - 1] = '\0';
		strvec_split(&f, line, "\t");
		if (f.n) {
			parse_fields(&a, f.v, (int)f.n);
			if (history_record(H, &a, NULL, &err))
				die_err();
			n++;
		}
		strvec_release(&f);
	}
	free(line);
	if (history_batch_end(H, true, &err))
		die_err();
	printf("loaded %ld\n", n);
	return 0;
}

/* A generated attempt number i: 16 slots, 3 firmwares, 7% first-attempt
 * failures retried on the same unit. */
static void gen_attempt(long i, int64_t *t, struct attempt *a, char mac[24], char unit[32])
{
	static const char *const classes[] = { "no_sync", "timeout", "stopped_responding",
					       "verify_failed", "unplugged" };
	static const char *const shas[] = {
		"0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
		"a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90",
		"5555555555555555555555555555555555555555555555555555555555555555",
	};
	static long board;
	static bool retry;
	unsigned r = (unsigned)(i * 2654435761u);

	if (!retry)
		board++;
	*t += 2000 + r % 3000;
	snprintf(mac, 24, "24:0a:c4:%02lx:%02lx:%02lx", (board >> 16) & 255, (board >> 8) & 255,
		 board & 255);
	snprintf(unit, 32, "bench/%ld", board);
	*a = attempt_new();
	a->started_ms = *t;
	a->duration_ms = 15000 + (r >> 8) % 15000;
	a->finished_ms = *t + a->duration_ms;
	a->station = "bench";
	a->slot = 1 + (int)(board % 16);
	a->port = "/dev/ttyUSB0";
	a->unit = unit;
	a->method = "esptool v4";
	a->firmware = "[{\"path\":\"build/app.bin\",\"offset\":65536,\"size\":1048576}]";
	a->firmware_sha256 = shas[board % 3];
	a->firmware_size = 1048576;
	a->chip = "ESP32-D0WD-V3 (revision v3.0)";
	retry = !retry && (r >> 4) % 100 < 7;
	a->outcome = retry ? "failed" : "ok";
	a->failure_class = retry ? classes[(r >> 12) % 5] : NULL;
	a->mac = retry && a->failure_class[0] == 'n' ? NULL : mac;
	a->exit_code = retry ? 2 : 0;
	a->bytes_written = retry ? 0 : 1048576;
	a->output = "Connecting....\nWriting at 0x00010000... (100 %)\nHard resetting via RTS pin...";
}

/* fill N: generated attempts in one transaction. */
static int cmd_fill(long n)
{
	int64_t t = wall_ms() - (int64_t)n * 5000, t0 = now_ns();
	char mac[24], unit[32];
	struct attempt a;
	double s;

	/* a bulk load: enough page cache not to spill the transaction early */
	history_exec(H, "PRAGMA cache_size = -262144");
	if (history_batch_begin(H, &err))
		die_err();
	for (long i = 0; i < n; i++) {
		gen_attempt(i, &t, &a, mac, unit);
		if (history_record(H, &a, NULL, &err))
			die_err();
	}
	if (history_batch_end(H, true, &err))
		die_err();
	s = (double)(now_ns() - t0) / 1e9;
	printf("rows %ld seconds %.2f rate %.0f\n", n, s, (double)n / s);
	return 0;
}

/* Compare two int64 for qsort. */
static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* One begin+finish pair of board i; adds the two durations (ns). */
static void one_pair(long i, int64_t *begin_ns, int64_t *finish_ns)
{
	char unit[48], mac[24];
	struct attempt a = attempt_new();
	int64_t id, t0;

	snprintf(unit, sizeof unit, "pairs/%d/%ld", (int)getpid(), i);
	snprintf(mac, sizeof mac, "30:ae:a4:%02lx:%02lx:%02lx", (i >> 16) & 255, (i >> 8) & 255,
		 i & 255);
	a.station = "bench";
	a.slot = 1 + (int)(i % 16);
	a.port = "/dev/ttyUSB1";
	a.unit = unit;
	a.method = "esptool v5";
	a.firmware_sha256 = "5555555555555555555555555555555555555555555555555555555555555555";
	t0 = now_ns();
	if (history_begin(H, &a, &id, &err))
		die_err();
	*begin_ns = now_ns() - t0;
	a.mac = mac;
	a.outcome = "ok";
	a.duration_ms = 20000;
	a.output = "Hard resetting via RTS pin...";
	t0 = now_ns();
	if (history_finish(H, id, &a, &err))
		die_err();
	*finish_ns = now_ns() - t0;
}

/* "NAME_avg_us A NAME_p99_us P NAME_max_us M NAME_over_1ms N" of n times (ns). */
static void print_times(const char *name, int64_t *t, long n, double sum)
{
	long over = 0;

	qsort(t, (size_t)n, sizeof(*t), cmp64);
	for (long i = 0; i < n; i++)
		over += t[i] > 1000000;
	printf("%s_avg_us %.0f %s_p99_us %.0f %s_max_us %.0f %s_over_1ms %ld\n", name,
	       sum / (double)n / 1e3, name, (double)t[n * 99 / 100] / 1e3, name,
	       (double)t[n - 1] / 1e3, name, over);
}

/* pairs N [GAP_MS]: time each write of N begin+finish pairs, GAP_MS apart. */
static int cmd_pairs(long n, long gap_ms)
{
	int64_t *b = xcalloc((size_t)n, sizeof(*b)), *f = xcalloc((size_t)n, sizeof(*f));
	double sb = 0, sf = 0;

	for (long i = 0; i < n; i++) {
		one_pair(i, &b[i], &f[i]);
		if (gap_ms)
			nanosleep(&(struct timespec){ gap_ms / 1000, gap_ms % 1000 * 1000000 }, NULL);
		sb += (double)b[i];
		sf += (double)f[i];
	}
	print_times("begin", b, n, sb);
	print_times("finish", f, n, sf);
	free(b);
	free(f);
	return 0;
}

/* counters: the dashboard figures. */
static int cmd_counters(void)
{
	struct history_counters c;
	int r = history_counters(H, &c);

	if (r) {
		fprintf(stderr, "counters: %s\n", strerror(-r));
		return 1;
	}
	printf("attempts=%ld\npassed=%ld\nfailed=%ld\nfirst_pass_yield=%.6f\nunits_per_hour=%.6f\n"
	       "cancelled=%ld\nnot_started=%ld\nboards=%ld\n",
	       c.attempts, c.passed, c.failed, c.first_pass_yield, c.units_per_hour, c.cancelled,
	       c.not_started, c.boards);
	return 0;
}

/* begin/add/hang with fields. */
static int cmd_insert(const char *cmd, char **f, int n)
{
	struct attempt a = attempt_new();
	int64_t id;

	parse_fields(&a, f, n);
	if (!strcmp(cmd, "add") ? history_record(H, &a, &id, &err) : history_begin(H, &a, &id, &err))
		die_err();
	printf("%lld\n", (long long)id);
	fflush(stdout);
	if (!strcmp(cmd, "hang"))
		for (;;)
			pause();
	return 0;
}

/* finish ID fields. */
static int cmd_finish(char **f, int n)
{
	struct attempt a = attempt_new();
	long id;

	if (n < 1 || parse_long(f[0], 1, LONG_MAX, &id)) {
		fprintf(stderr, "usage: test-history DB finish ID FIELD...\n");
		return 2;
	}
	parse_fields(&a, f + 1, n - 1);
	if (history_finish(H, id, &a, &err))
		die_err();
	return 0;
}

/* The command after the database is open. */
static int run(const char *cmd, char **args, int n)
{
	long count = 0, gap = 0;

	if (!strcmp(cmd, "open"))
		return printf("recovered %d\n", history_recovered(H)), 0;
	if (!strcmp(cmd, "begin") || !strcmp(cmd, "add") || !strcmp(cmd, "hang"))
		return cmd_insert(cmd, args, n);
	if (!strcmp(cmd, "finish"))
		return cmd_finish(args, n);
	if (!strcmp(cmd, "load"))
		return cmd_load();
	if (!strcmp(cmd, "reset"))
		return history_reset_period(H, &err) ? (die_err(), 1) : 0;
	if (!strcmp(cmd, "counters"))
		return cmd_counters();
	if (!strcmp(cmd, "fill") && n == 1 && !parse_long(args[0], 1, 100000000, &count))
		return cmd_fill(count);
	if (!strcmp(cmd, "pairs") && (n == 1 || n == 2) &&
	    !parse_long(args[0], 1, 100000000, &count) &&
	    (n == 1 || !parse_long(args[1], 0, 10000, &gap)))
		return cmd_pairs(count, gap);
	fprintf(stderr, "test-history: unknown command '%s'\n", cmd);
	return 2;
}

int main(int argc, char **argv)
{
	long max_pages = 0;
	int i = 1, ret;

	if (argc > 2 && !strcmp(argv[1], "--max-pages")) {
		max_pages = atol(argv[2]);
		i = 3;
	}
	if (argc - i < 2) {
		fprintf(stderr, "usage: test-history [--max-pages N] DB COMMAND [ARGS]\n");
		return 2;
	}
	if (history_open(argv[i], &H, &err))
		die_err();
	if (max_pages) {
		char sql[64];

		snprintf(sql, sizeof sql, "PRAGMA max_page_count = %ld", max_pages);
		history_exec(H, sql);
	}
	ret = run(argv[i + 1], argv + i + 2, argc - i - 2);
	history_close(H);
	strbuf_release(&err);
	return ret;
}
