/* SPDX-License-Identifier: MIT
 * A point in time as people give it to --since and --until: milliseconds
 * since the epoch ("1764750000000"), a UTC date or date and time
 * ("2026-12-03", "2026-12-03T08:00", "2026-12-03 08:00:30Z"), or a
 * duration ago ("2h", "30m", "7d"; base/duration.h). */
#ifndef FERRY_CLI_CLI_TIME_H
#define FERRY_CLI_CLI_TIME_H

#include <stdint.h>

/* 0 with *ms, or prints "ferry: <option>: ..." and returns 2. now_ms is
 * what a duration counts back from. */
int cli_parse_time(const char *option, const char *s, int64_t now_ms, int64_t *ms);

#endif
