/* portlock.h - one flashbay process per serial port.
 *
 * A lock file per port (named after the port's real device, so a by-id link
 * and /dev/ttyUSB0 share one) in the lock directory, held with
 * flock(LOCK_EX|LOCK_NB) and holding the owner's pid. A port locked by
 * another process is reported at once, never waited on. The lock vanishes
 * with the process, even on SIGKILL, unless a child inherited it (job_spec
 * keep_fd): then it lasts until that child is gone too.
 */
#ifndef FLASHBAY_PORTLOCK_H
#define FLASHBAY_PORTLOCK_H

#include "strbuf.h"

struct portlock;

/* Lock port. -EBUSY with "port /dev/ttyUSB0 is in use by another flashbay
 * (pid 1234)" in err if someone holds it; other -errno for lock dir trouble. */
int portlock_acquire(const char *lock_dir, const char *port, struct portlock **out,
		     struct strbuf *err);
/* Unlock and remove the lock file (NULL is fine). */
void portlock_release(struct portlock *lock);
/* The lock's descriptor (close-on-exec), for a child to inherit; -1 for NULL. */
int portlock_fd(const struct portlock *lock);

#endif
