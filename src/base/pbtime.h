/* SPDX-License-Identifier: MIT
 * Protobuf's JSON forms of google.protobuf.Timestamp ("2024-05-01T10:00:00.250Z",
 * RFC 3339, UTC, years 1..9999) and google.protobuf.Duration ("1.500s"), to and
 * from milliseconds, the unit MLflow stores. Writing follows protobuf: no
 * fraction, or 3 digits of one; reading takes 0 to 9 fractional digits (what
 * is below a millisecond is dropped) and, for timestamps, a "Z" or a "+hh:mm" /
 * "-hh:mm" offset. Nothing here allocates. */
#ifndef FERRY_BASE_PBTIME_H
#define FERRY_BASE_PBTIME_H

#include <stddef.h>
#include <stdint.h>

/* Room for any timestamp or duration this file writes, with its NUL. */
#define PBTIME_MAX 40

/* ms since the epoch as a Timestamp string into out. */
void pbtime_timestamp_format(int64_t ms, char out[PBTIME_MAX]);
/* A Timestamp string into ms since the epoch; -1 when s is not one. */
int pbtime_timestamp_parse(const char *s, int64_t *ms);
/* A duration in ms as a Duration string into out. */
void pbtime_duration_format(int64_t ms, char out[PBTIME_MAX]);
/* A Duration string into ms; -1 when s is not one (or beyond 10,000 years). */
int pbtime_duration_parse(const char *s, int64_t *ms);

#endif
