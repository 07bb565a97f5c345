/* SPDX-License-Identifier: MIT
 * Durations as people write them in specs: "500ms", "30s", "5m", "2h",
 * "30d", or a bare number of seconds ("60", "1.5"). One suffix, no
 * spaces, no sign. Used by every spec that names an interval (deployments'
 * rollouts and guards, retention, timeouts). */
#ifndef FERRY_BASE_DURATION_H
#define FERRY_BASE_DURATION_H

#include <stdint.h>

/* 0 with *ms (rounded to the millisecond), or -1 when s is not a duration
 * or exceeds 100 years. */
int duration_parse(const char *s, int64_t *ms);

/* The shortest exact spelling of ms: "250ms", "30s", "5m", "2h", "30d";
 * out needs 24 bytes. */
void duration_format(int64_t ms, char out[24]);

#endif
