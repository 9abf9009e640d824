/* files.h - reading files whole or in chunks, replacing them atomically, and
 * the line reader for INI files.
 *
 * Functions returning int return 0 on success and -errno on failure unless
 * stated otherwise.
 */
#ifndef FLASHBAY_FILES_H
#define FLASHBAY_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "strbuf.h"

/* Read a file in chunks, calling fn for each; fn returns 0 or -errno to stop. */
int read_file_chunks(const char *path, int (*fn)(const void *buf, size_t len, void *data),
		     void *data);
/* Read a whole file into sb (appended). */
int read_file(const char *path, struct strbuf *sb);
/* Read the first line of a small file (sysfs attributes), without the newline. Caller frees; NULL on error. */
char *read_line_file(const char *path);
/* Atomic replace: write to a temp file in the same directory, fsync, rename, fsync the directory. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Open a temp file next to path for an atomic replace; *tmp_out gets its name
 * (caller frees). Returns the fd or -errno. */
int atomic_open(const char *path, mode_t mode, char **tmp_out);
/* fsync + close fd, rename tmp over path, fsync the directory; on error unlink tmp. */
int atomic_commit(int fd, const char *tmp, const char *path);

/* For inih's ini_parse_stream(): one line of f into str (num bytes), counting
 * lines in *line. A longer line is consumed whole and handed on as a comment,
 * with *too_long set, so the caller can report it with its number. */
char *ini_line_reader(char *str, int num, FILE *f, int *line, bool *too_long);

#endif
