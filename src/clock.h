/* clock.h - time: the monotonic and wall clocks, ISO 8601 dates, short
 * durations, and "since" arguments ("8h" or a date).
 *
 * Functions returning int return 0 on success and -errno on failure.
 */
#ifndef FLASHBAY_CLOCK_H
#define FLASHBAY_CLOCK_H

#include <stdint.h>

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
/* Relative ("8h", "2d", "30m", "45s") or ISO time before now_wall; result in wall ms. */
int parse_since(const char *s, int64_t now_wall, int64_t *out);

#endif
