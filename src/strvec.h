/* strvec.h - NULL-terminated arrays of owned strings (argv, envp).
 *
 * v is always a valid NULL-terminated array once initialised with STRVEC_INIT
 * or strvec_init(); every string in it is owned by the strvec.
 */
#ifndef FLASHBAY_STRVEC_H
#define FLASHBAY_STRVEC_H

#include <stddef.h>

struct strvec {
	char **v;
	size_t n;
	size_t alloc;
};

extern char *strvec_empty[];
#define STRVEC_INIT { strvec_empty, 0, 0 }

void strvec_init(struct strvec *sv);
void strvec_release(struct strvec *sv);
/* Append a copy of s; returns the copy. */
const char *strvec_push(struct strvec *sv, const char *s);
const char *strvec_pushf(struct strvec *sv, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append copies of every string of a NULL-terminated array. */
void strvec_pushv(struct strvec *sv, const char *const *v);
void strvec_pop(struct strvec *sv);
/* Deep copy of src appended to dst. */
void strvec_copy(struct strvec *dst, const struct strvec *src);
/* Index of s in sv or -1. */
long strvec_find(const struct strvec *sv, const char *s);
/* Split s on any of the characters in seps, skipping empty fields. */
void strvec_split(struct strvec *sv, const char *s, const char *seps);
/* Join with sep into a new string (free it). */
char *strvec_join(const struct strvec *sv, const char *sep);

#endif
