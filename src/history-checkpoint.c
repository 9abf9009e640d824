/* history-checkpoint.c - WAL checkpoints off the event loop.
 *
 * With synchronous=NORMAL a commit only appends to the WAL; the expensive
 * part is the checkpoint (copy the WAL into the database and fsync both),
 * which SQLite would run inside whichever commit crosses 1000 WAL pages -
 * a stall of milliseconds (tens on an SD card) on the loop. A writer instead
 * hands checkpoints to one thread with its own connection: the commit hook
 * only signals it. The thread runs PASSIVE checkpoints, which never wait for
 * the writer. Should the thread not start, SQLite's own checkpoints stay on.
 */
#include "autoconf.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>

#include "history-internal.h"
#include "xalloc.h"

#define CHECKPOINT_PAGES 1000

struct history_checkpointer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool pending, stop;
	sqlite3 *db;
};

/* The thread: a passive checkpoint each time a commit asks for one. */
static void *checkpoint_main(void *data)
{
	struct history_checkpointer *c = data;

	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->pending && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		c->pending = false;
		pthread_mutex_unlock(&c->mu);
		/* a failure loses nothing: the WAL keeps the data until the next try */
		sqlite3_wal_checkpoint_v2(c->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* After each commit: wake the thread when the WAL has grown. */
static int wal_hook(void *data, sqlite3 *db, const char *name, int pages)
{
	struct history_checkpointer *c = data;

	(void)db;
	(void)name;
	if (pages >= CHECKPOINT_PAGES) {
		pthread_mutex_lock(&c->mu);
		c->pending = true;
		pthread_cond_signal(&c->cv);
		pthread_mutex_unlock(&c->mu);
	}
	return SQLITE_OK;
}

/* Start the thread with every signal blocked (they belong to the loop's
 * signalfd); 0 or an error number. */
static int start_thread(struct history_checkpointer *c)
{
	sigset_t all, old;
	int e;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(&c->thread, NULL, checkpoint_main, c);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return e;
}

void history_checkpointer_start(struct history *h)
{
	struct history_checkpointer *c = xcalloc(1, sizeof(*c));

	if (sqlite3_open_v2(h->path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX,
			    NULL) != SQLITE_OK)
		goto fail;
	sqlite3_busy_timeout(c->db, h->busy_ms);
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (start_thread(c)) {
		pthread_cond_destroy(&c->cv);
		pthread_mutex_destroy(&c->mu);
		goto fail;
	}
	sqlite3_wal_hook(h->db, wal_hook, c); /* replaces SQLite's own checkpoints */
	h->checkpointer = c;
	return;
fail:
	sqlite3_close_v2(c->db);
	free(c);
}

void history_checkpointer_stop(struct history *h)
{
	struct history_checkpointer *c = h->checkpointer;

	if (!c)
		return;
	sqlite3_wal_autocheckpoint(h->db, CHECKPOINT_PAGES);
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	sqlite3_close_v2(c->db);
	free(c);
	h->checkpointer = NULL;
}
