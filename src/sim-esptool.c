/* sim-esptool.c - the demo's flasher: `flashbay _sim-esptool` speaks esptool
 * v5's command line and prints its output (as in a pipe with TERM=dumb) for
 * a simulated ESP32, with realistic timing and the occasional failure.
 *
 * It is a child process like esptool, so it may sleep. Knobs (for the demo
 * and tests): FLASHBAY_SIM_SPEED (time divisor, default 1), FLASHBAY_SIM_FAIL
 * (failure percentage, default 15; 0 = never fail), FLASHBAY_SIM_SEED.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "demo.h"

struct sim {
	const char *port;
	unsigned baud;
	uint32_t offsets[16];
	const char *files[16];
	int n;
	double speed;
	unsigned seed;
	int fail_pct;
};

/* Sleep ms / speed milliseconds (a child: blocking is fine here). */
static void nap(const struct sim *s, double ms)
{
	struct timespec ts;
	double t = ms / s->speed;

	ts.tv_sec = (time_t)(t / 1000);
	ts.tv_nsec = (long)((t - (double)ts.tv_sec * 1000) * 1e6);
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static void out(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* printf + flush, as PYTHONUNBUFFERED does. */
static void out(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* A fatal error the way esptool v5 reports it: stderr, exit 2. */
static int fatal(const char *msg)
{
	fprintf(stderr, "\nA fatal error occurred: %s\n", msg);
	fflush(stderr);
	return 2;
}

/* Parse the esptool v5 argv we are given. */
static int parse(struct sim *s, int argc, char **argv)
{
	bool writing = false;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--port") && i + 1 < argc)
			s->port = argv[++i];
		else if (!strcmp(a, "--baud") && i + 1 < argc)
			s->baud = (unsigned)atoi(argv[++i]);
		else if (!strcmp(a, "write-flash") || !strcmp(a, "write_flash"))
			writing = true;
		else if (writing && a[0] == '0' && a[1] == 'x' && i + 1 < argc && s->n < 16) {
			s->offsets[s->n] = (uint32_t)strtoul(a, NULL, 16);
			s->files[s->n++] = argv[++i];
		} else if (a[0] == '-' && i + 1 < argc && argv[i + 1][0] != '-' &&
			   strcmp(a, "--erase-all") && strcmp(a, "--no-stub")) {
			i++; /* an option with a value we accept and ignore */
		}
	}
	return s->port && s->n ? 0 : -1;
}

/* A pseudo-random number from the seed. */
static unsigned rnd(struct sim *s)
{
	s->seed = s->seed * 1103515245u + 12345u;
	return (s->seed >> 16) & 0x7fff;
}

/* A MAC that is stable per port name. */
static void port_mac(const char *port, char mac[18])
{
	uint32_t h = 2166136261u;

	for (const char *p = port; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	snprintf(mac, 18, "24:0a:c4:%02x:%02x:%02x", (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
}

/* The connection and stub part of the transcript. */
static int connect_board(struct sim *s, bool no_sync)
{
	char mac[18];

	out("esptool v5.3.1\nSerial port %s:\nConnecting...", s->port);
	nap(s, 600);
	if (no_sync) {
		for (int i = 0; i < 10; i++) {
			out(".");
			nap(s, 250);
		}
		out("\n");
		return fatal("Failed to connect to Espressif device: No serial data received.\n"
			     "For troubleshooting steps visit: "
			     "https://docs.espressif.com/projects/esptool/en/latest/troubleshooting.html");
	}
	port_mac(s->port, mac);
	out("\n\nDetecting chip type... ESP32\nConnected to ESP32 on %s:\n", s->port);
	out("Chip type:          ESP32-D0WD-V3 (revision v3.0)\n"
	    "Features:           Wi-Fi, BT, Dual Core + LP Core, 240MHz, Vref calibration in eFuse, "
	    "Coding Scheme None\nCrystal frequency:  40MHz\nMAC:                %s\n\n", mac);
	out("Uploading stub flasher...\n");
	nap(s, 300);
	out("Running stub flasher...\nStub flasher running.\nChanging baud rate to %u...\nChanged.\n\n"
	    "Configuring flash size...\n\n", s->baud);
	return 0;
}

/* The 30-character bar esptool v5 draws. */
static void bar(double pct, char b[31])
{
	int n = (int)(30 * pct / 100);

	memset(b, ' ', 30);
	b[30] = '\0';
	if (pct >= 100) {
		memset(b, '=', 30);
	} else if (n > 0) {
		memset(b, '=', (size_t)n - 1);
		b[n - 1] = '>';
	}
}

/* Write one image; fail_at (0..100, <0: never) makes the chip go silent. */
static int write_image(struct sim *s, int i, double fail_at)
{
	struct stat st;
	uint64_t size, comp, done = 0;
	double bytes_per_ms = (double)s->baud / 10.0 * 0.7 / 1000.0;
	char b[31];

	if (stat(s->files[i], &st) < 0)
		return fatal("No such file or directory");
	size = (uint64_t)st.st_size;
	comp = size * 57 / 100 + 1;
	out("Writing '%s' at 0x%08x...\nFlash will be erased from 0x%08x to 0x%08x...\n"
	    "Compressed %llu bytes to %llu...\n", s->files[i], s->offsets[i], s->offsets[i],
	    (unsigned)(s->offsets[i] + ((size + 4095) & ~4095ull) - 1), (unsigned long long)size,
	    (unsigned long long)comp);
	for (;;) {
		double pct = 100.0 * (double)done / (double)comp;

		bar(pct, b);
		out("\rWriting at 0x%08llx [%s] %5.1f%% %llu/%llu bytes... \n",
		    (unsigned long long)(s->offsets[i] + done * size / comp), b, pct,
		    (unsigned long long)done, (unsigned long long)comp);
		if (fail_at >= 0 && pct >= fail_at) {
			nap(s, 3000);
			out("\nStaying in bootloader.\n");
			return fatal("No more data to read from the serial port. This can have many causes, "
				     "for troubleshooting steps visit: "
				     "https://docs.espressif.com/projects/esptool/en/latest/troubleshooting.html");
		}
		if (done >= comp)
			break;
		nap(s, 16384 / bytes_per_ms);
		done = done + 16384 > comp ? comp : done + 16384;
	}
	out("Wrote %llu bytes (%llu compressed) at 0x%08x in %.1f seconds (%.1f kbit/s).\n"
	    "Verifying written data...\nHash of data verified.\n\n", (unsigned long long)size,
	    (unsigned long long)comp, s->offsets[i], (double)comp / bytes_per_ms / 1000.0,
	    bytes_per_ms * 8);
	return 0;
}

/* An environment knob as a number. */
static double knob(const char *name, double def)
{
	const char *v = getenv(name);

	return v && *v ? atof(v) : def;
}

int cmd_sim_esptool(int argc, char **argv)
{
	struct sim s = { .baud = 115200 };
	unsigned r;
	int ret;

	if (argc > 1 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version"))) {
		out("esptool v5.3.1\n5.3.1\n");
		return 0;
	}
	if (parse(&s, argc, argv) < 0) {
		fprintf(stderr, "usage: esptool --port PORT [options] write-flash ADDR FILE...\n");
		return 2;
	}
	s.speed = knob("FLASHBAY_SIM_SPEED", 1);
	if (s.speed <= 0)
		s.speed = 1;
	s.fail_pct = (int)knob("FLASHBAY_SIM_FAIL", 15);
	s.seed = (unsigned)knob("FLASHBAY_SIM_SEED", (double)(getpid() ^ time(NULL)));
	for (const char *p = s.port; *p; p++)
		s.seed = s.seed * 31 + (unsigned char)*p;
	r = rnd(&s) % 100;
	ret = connect_board(&s, (int)r < s.fail_pct * 2 / 3);
	for (int i = 0; !ret && i < s.n; i++)
		ret = write_image(&s, i, (int)r < s.fail_pct && i == s.n - 1 ? 40.0 : -1);
	if (!ret)
		out("Hard resetting via RTS pin...\n");
	return ret;
}
