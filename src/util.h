/* util.h - small helpers: file descriptors, clocks, paths, files, numbers.
 *
 * Functions returning int return 0 on success and -errno on failure unless
 * stated otherwise.
 */
#ifndef FLASHBAY_UTIL_H
#define FLASHBAY_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "strbuf.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UNUSED __attribute__((unused))

int fd_set_nonblock(int fd);
int fd_set_cloexec(int fd);
/* write() all of buf, retrying on EINTR/partial writes (blocking fds). */
int write_all(int fd, const void *buf, size_t len);

/* Milliseconds on CLOCK_MONOTONIC. */
uint64_t now_ms(void);
/* Milliseconds since the epoch (CLOCK_REALTIME). */
int64_t wall_ms(void);
/* "2026-11-21T05:45:12.345Z" for a wall-clock time in ms; out must hold 25 bytes. */
void format_iso8601(int64_t ms, char out[32]);
/* Parse an ISO 8601 date or date-time (UTC unless an offset is given) into ms. */
int parse_iso8601(const char *s, int64_t *ms);
/* "1h02m", "3.2s", "45ms": a short human duration; out must hold 16 bytes. */
void format_duration(uint64_t ms, char out[16]);
/* one if n is 1, else many: "1 board", "2 boards" (not "board(s)"). */
static inline const char *plural(long long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* $XDG_CONFIG_HOME etc. with their defaults under $HOME; "" if $HOME is unset. Caller frees. */
char *xdg_config_home(void);
char *xdg_state_home(void);
char *xdg_cache_home(void);
/* $XDG_RUNTIME_DIR, or NULL. Caller frees. */
char *xdg_runtime_dir(void);
/* Expand a leading "~/" with $HOME. Caller frees. */
char *expand_home(const char *path);
/* dir + "/" + name, or name itself if it is absolute. Caller frees. */
char *path_join(const char *dir, const char *name);
/* Directory part of path ("." if none). Caller frees. */
char *path_dirname(const char *path);
/* Pointer to the last component of path (inside path). */
const char *path_basename(const char *path);
/* mkdir -p with mode for every created directory. */
int mkdir_p(const char *path, mode_t mode);

/* rm -rf path (no links followed); 0 if it does not exist. */
int remove_tree(const char *path);

/* Read a file in chunks, calling fn for each; fn returns 0 or -errno to stop. */
int read_file_chunks(const char *path, int (*fn)(const void *buf, size_t len, void *data),
		     void *data);
/* Read a whole file into sb (appended). */
int read_file(const char *path, struct strbuf *sb);
/* Read the first line of a small file (sysfs attributes), without the newline. Caller frees; NULL on error. */
char *read_line_file(const char *path);
/* Atomic replace: write to a temp file in the same directory, fsync, rename, fsync the directory. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
/* Open a temp file next to path for an atomic replace; *tmp_out gets its name (caller frees). */
int atomic_open(const char *path, mode_t mode, char **tmp_out);
/* fsync + close fd, rename tmp over path, fsync the directory; on error unlink tmp. */
int atomic_commit(int fd, const char *tmp, const char *path);

/* For inih's ini_parse_stream(): one line of f into str (num bytes), counting
 * lines in *line. A longer line is consumed whole and handed on as a comment,
 * with *too_long set, so the caller can report it with its number. */
char *ini_line_reader(char *str, int num, FILE *f, int *line, bool *too_long);

/* Strict number parsers: the whole string must be consumed. */
int parse_long(const char *s, long min, long max, long *out);
/* Hex with or without 0x prefix. */
int parse_hex_u32(const char *s, uint32_t *out);
/* Relative ("8h", "2d", "30m", "45s") or ISO time before now_wall; result in wall ms. */
int parse_since(const char *s, int64_t now_wall, int64_t *out);

bool str_starts_with(const char *s, const char *prefix);
bool str_ends_with(const char *s, const char *suffix);
/* Case-insensitive ASCII equality. */
bool str_eq_nocase(const char *a, const char *b);

/* Number of online CPUs (at least 1). */
int cpu_count(void);

#endif
