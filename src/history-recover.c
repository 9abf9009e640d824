/* history-recover.c - rows left "running" by a process that is gone.
 *
 * Each row records its owner: "BOOT_ID PID STARTTIME" (the kernel's boot id
 * and the process start time defeat pid reuse after a reboot or a crash).
 * At open, a running row whose owner is not alive on this machine - or that
 * has no owner - becomes "interrupted". A live flashbay's rows stay running.
 * Readers apply the same rule when they read (history_row_orphaned()), so a
 * killed flashbay's rows read as interrupted before any writer opens.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"
#include "history-internal.h"
#include "xalloc.h"

/* Start time (clock ticks after boot, field 22 of /proc/PID/stat), or 0. */
static unsigned long long proc_start_time(long pid)
{
	char path[64];
	char *line, *p;
	unsigned long long t = 0;

	snprintf(path, sizeof path, "/proc/%ld/stat", pid);
	line = read_line_file(path);
	if (!line)
		return 0;
	p = strrchr(line, ')'); /* the command name may hold spaces and parens */
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (p)
		t = strtoull(p + 1, NULL, 10);
	free(line);
	return t;
}

char *history_owner_self(void)
{
	char *boot = read_line_file("/proc/sys/kernel/random/boot_id");
	unsigned long long start = proc_start_time((long)getpid());
	char *owner = NULL;

	if (boot && *boot && !strchr(boot, ' ') && start)
		owner = xasprintf("%s %ld %llu", boot, (long)getpid(), start);
	free(boot);
	return owner;
}

bool history_owner_alive(const char *owner, const char *self)
{
	const char *sp;
	unsigned long long start;
	long pid;

	if (!owner || !self)
		return false;
	sp = strchr(owner, ' ');
	/* another boot id: that machine restarted (or it is another machine) */
	if (!sp || strncmp(owner, self, (size_t)(sp - owner) + 1))
		return false;
	if (sscanf(sp + 1, "%ld %llu", &pid, &start) != 2 || pid <= 0)
		return false;
	return proc_start_time(pid) == start;
}

bool history_row_orphaned(const struct history *h, const char *outcome, const char *owner)
{
	return outcome && !strcmp(outcome, "running") && !history_owner_alive(owner, h->owner);
}

/* Turn row id into an interrupted attempt. */
static int interrupt_row(struct history *h, int64_t id)
{
	static const char sql[] = "UPDATE attempts SET outcome = 'interrupted',"
				  " failure_class = 'interrupted', message = ?1"
				  " WHERE id = ?2 AND outcome = 'running'";
	sqlite3_stmt *st = history_prepare(h, sql);
	int rc;

	if (!st)
		return sqlite3_extended_errcode(h->db);
	sqlite3_bind_text(st, 1, HISTORY_INTERRUPTED_MESSAGE, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, id);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE && sqlite3_changes(h->db) > 0)
		h->recovered++;
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Interrupt every running row of a dead owner; SQLite code. */
static int recover_rows(struct history *h)
{
	sqlite3_stmt *st = history_prepare(h, "SELECT id, owner FROM attempts"
					      " WHERE outcome = 'running' ORDER BY id");
	int64_t *dead = NULL;
	size_t n = 0, alloc = 0;
	int rc;

	if (!st)
		return sqlite3_extended_errcode(h->db);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *owner = (const char *)sqlite3_column_text(st, 1);

		if (history_owner_alive(owner, h->owner))
			continue;
		dead = xgrow(dead, &alloc, n + 1, sizeof(*dead));
		dead[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		rc = SQLITE_OK;
	for (size_t i = 0; i < n && rc == SQLITE_OK; i++)
		rc = interrupt_row(h, dead[i]);
	free(dead);
	return rc;
}

int history_recover(struct history *h, struct strbuf *err)
{
	sqlite3_stmt *st;
	int rc, r;

	/* a quick look first: most opens find nothing and take no write lock */
	st = history_prepare(h, "SELECT 1 FROM attempts WHERE outcome = 'running' LIMIT 1");
	if (!st)
		return history_fail(h, "read", err);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return history_fail(h, "read", err);
	r = history_tx_begin(h, err);
	if (r)
		return r;
	rc = recover_rows(h);
	if (rc != SQLITE_OK) {
		r = history_fail(h, "write to", err);
		h->recovered = 0;
	}
	r = history_tx_end(h, r, err);
	if (r < 0)
		h->recovered = 0;
	return r;
}
