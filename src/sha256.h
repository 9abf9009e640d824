/* sha256.h - SHA-256 (FIPS 180-4), streaming.
 *
 * A small self-contained implementation for firmware identities; no external
 * crypto library; the one-shot helpers hash a buffer or a whole file.
 */
#ifndef FLASHBAY_SHA256_H
#define FLASHBAY_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
	uint32_t h[8];
	uint64_t len;       /* bytes hashed so far */
	uint8_t buf[64];
	size_t used;        /* bytes waiting in buf */
};

void sha256_init(struct sha256 *s);
void sha256_update(struct sha256 *s, const void *data, size_t len);
/* Finish and write the 32-byte digest; s must be re-initialised to reuse it. */
void sha256_final(struct sha256 *s, uint8_t digest[32]);
/* 32 bytes as 64 lowercase hex digits plus NUL. */
void sha256_to_hex(const uint8_t digest[32], char hex[65]);
/* SHA-256 of a buffer as 64 lowercase hex digits plus NUL. */
void sha256_hex(const void *data, size_t len, char hex[65]);
/* SHA-256 of the file at path as 64 hex digits; *size (if size is not NULL)
 * gets its length. 0, or -errno from opening or reading it. */
int sha256_file(const char *path, char hex[65], uint64_t *size);

#endif
