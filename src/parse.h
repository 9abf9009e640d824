/* parse.h - strict number parsers: the whole string must be a number.
 *
 * Each returns 0 or -EINVAL (not a number, or too big for uint32_t); parse_long
 * returns -ERANGE outside [min, max]. *out is set only on success.
 */
#ifndef FLASHBAY_PARSE_H
#define FLASHBAY_PARSE_H

#include <stdint.h>

/* Decimal in [min, max]; no leading space, nothing after the digits. */
int parse_long(const char *s, long min, long max, long *out);
/* Hex with or without 0x prefix. */
int parse_hex_u32(const char *s, uint32_t *out);

#endif
