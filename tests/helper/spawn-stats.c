/* spawn-stats.c - run a command and print what it cost, for bench/ scripts.
 *
 *   spawn-stats [--hwm] [--out FILE] -- CMD ARGS...
 *
 * CMD runs with stdin from /dev/null and stdout+stderr to FILE (default
 * /dev/null). One line is printed when it has exited:
 *   wall_ms=   spawn to exit, CLOCK_MONOTONIC
 *   cpu_ms=    CMD's own utime+stime (all its threads, children excluded),
 *              read from /proc/PID/stat while CMD is a zombie (waitid WNOWAIT)
 *   maxrss_kib= ru_maxrss from wait4: CMD's peak RSS, or its largest child's
 *              if that was bigger; exact for a CMD that starts no child
 *   hwm_kib=   with --hwm: the last VmHWM of CMD (its own peak RSS, children
 *              excluded), sampled every 5 ms until it exits; else 0
 *   anon_kib=  with --hwm: the largest RssAnon sampled (heap and stack: the
 *              part of the peak that is CMD's own, not shared library pages)
 *   status=    exit status, 128+N for signal N
 * This is a small C program linked with libc only: a python parent would
 * lend CMD its own RSS, which the kernel carries over exec into ru_maxrss.
 * Exit status 0, or 2 on usage errors, 127 if CMD cannot be run.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Peaks sampled from /proc/PID/status. */
struct mem_peak {
	long hwm_kib;
	long anon_kib;
};

/* Milliseconds on the monotonic clock. */
static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

/* Update peak from the VmHWM and RssAnon lines of pid's status. */
static void sample_memory(pid_t pid, struct mem_peak *peak)
{
	char path[64], line[256];
	FILE *f;
	long v;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "VmHWM: %ld", &v) == 1)
			peak->hwm_kib = v; /* already a peak: the last value counts */
		else if (sscanf(line, "RssAnon: %ld", &v) == 1 && v > peak->anon_kib)
			peak->anon_kib = v;
	}
	fclose(f);
}

/* utime+stime of pid (live or zombie) in ms; -1 if unreadable. */
static double own_cpu_ms(pid_t pid)
{
	char path[64], buf[1024];
	unsigned long utime, stime;
	char *p;
	FILE *f;
	size_t n;

	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* after "pid (comm) ": state is field 3, utime and stime fields 14, 15 */
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime,
			 &stime) != 2)
		return -1;
	return (double)(utime + stime) * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

/* Fork and exec argv with its output to out (NULL: /dev/null). */
static pid_t spawn(char **argv, const char *out)
{
	pid_t pid = fork();
	int in, fd;

	if (pid != 0)
		return pid;
	in = open("/dev/null", O_RDONLY);
	fd = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644) : open("/dev/null", O_WRONLY);
	if (in < 0 || fd < 0 || dup2(in, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
		_exit(127);
	execvp(argv[0], argv);
	fprintf(stderr, "spawn-stats: cannot run '%s': %s\n", argv[0], strerror(errno));
	_exit(127);
}

/* Wait until pid has exited, leaving it a zombie; sample memory if asked. */
static void wait_exit(pid_t pid, struct mem_peak *peak)
{
	const struct timespec tick = { 0, 5 * 1000 * 1000 };
	siginfo_t si;

	for (;;) {
		memset(&si, 0, sizeof si);
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT | (peak ? WNOHANG : 0)) < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		if (si.si_pid == pid)
			return;
		sample_memory(pid, peak);
		nanosleep(&tick, NULL);
	}
}

int main(int argc, char **argv)
{
	struct mem_peak peak = { 0, 0 };
	const char *out = NULL;
	bool hwm = false;
	struct rusage ru;
	double t0, wall, cpu;
	int i, status;
	pid_t pid;

	for (i = 1; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--hwm"))
			hwm = true;
		else if (!strcmp(argv[i], "--out") && i + 1 < argc)
			out = argv[++i];
		else
			break;
	}
	if (i + 1 >= argc || strcmp(argv[i], "--")) {
		fprintf(stderr, "usage: spawn-stats [--hwm] [--out FILE] -- CMD ARGS...\n");
		return 2;
	}
	t0 = now_ms();
	pid = spawn(argv + i + 1, out);
	if (pid < 0) {
		fprintf(stderr, "spawn-stats: fork: %s\n", strerror(errno));
		return 127;
	}
	wait_exit(pid, hwm ? &peak : NULL);
	wall = now_ms() - t0;
	cpu = own_cpu_ms(pid);
	if (wait4(pid, &status, 0, &ru) < 0) {
		fprintf(stderr, "spawn-stats: wait4: %s\n", strerror(errno));
		return 127;
	}
	printf("wall_ms=%.1f cpu_ms=%.0f maxrss_kib=%ld hwm_kib=%ld anon_kib=%ld status=%d\n", wall,
	       cpu, ru.ru_maxrss, peak.hwm_kib, peak.anon_kib,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return 0;
}
