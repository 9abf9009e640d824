/* fd.h - file descriptor helpers: flags, and writing a whole buffer.
 *
 * Each returns 0 on success and -errno on failure.
 */
#ifndef FLASHBAY_FD_H
#define FLASHBAY_FD_H

#include <stddef.h>

/* Set O_NONBLOCK on fd. */
int fd_set_nonblock(int fd);
/* Set FD_CLOEXEC on fd. */
int fd_set_cloexec(int fd);
/* write() all of buf, retrying on EINTR/partial writes (blocking fds). */
int write_all(int fd, const void *buf, size_t len);

#endif
