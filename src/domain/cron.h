/* SPDX-License-Identifier: MIT
 * Cron expressions (issue 21's schedule triggers), always in UTC at minute
 * resolution: no process time zone, no DST. Five fields separated by
 * blanks (spaces or tabs):
 *
 *   minute 0-59   hour 0-23   day-of-month 1-31   month 1-12   day-of-week 0-7
 *
 * Each field is a comma list of items; an item is `*`, N, N-M (N <= M), or
 * either of those (or `*`) followed by `/STEP` (STEP >= 1; `N/STEP` means
 * N-max/STEP). Months may be written JAN..DEC and weekdays SUN..SAT
 * (case-insensitive, also inside ranges); 0 and 7 are both Sunday. The
 * macros @yearly (= @annually), @monthly, @weekly, @daily (= @midnight) and
 * @hourly stand for "0 0 1 1 *", "0 0 1 * *", "0 0 * * 0", "0 0 * * *" and
 * "0 * * * *". Day-of-month and day-of-week follow Vixie cron: when both
 * are restricted (neither field starts with `*`), a day matches when
 * EITHER matches; otherwise both must (the `*` one matches every day).
 *
 * Refusals are INVALID_PARAMETER_VALUE with a message naming the field:
 * "cron: minute 60 out of range 0-59", "cron: 6 fields: ferry's cron has 5
 * (minute hour day-of-month month day-of-week)".
 *
 * A parsed struct cron is plain data: copy it freely, no release. */
#ifndef FERRY_DOMAIN_CRON_H
#define FERRY_DOMAIN_CRON_H

#include "base/ferr.h"

#include <stdint.h>

#define CRON_EXPR_MAX 256 /* the longest expression accepted, in bytes */
/* How far cron_next / cron_prev look before giving up: 5 years of minutes
 * would be too slow, so the search goes by days (5 * 366 + 1). */
#define CRON_HORIZON_DAYS 1831

struct cron {
    uint64_t minutes;  /* bit m: minute m (0-59) */
    uint32_t hours;    /* bit h: hour h (0-23) */
    uint32_t mdays;    /* bit d: day-of-month d (1-31) */
    uint16_t months;   /* bit m: month m (1-12) */
    uint8_t wdays;     /* bit w: weekday w (0 Sunday .. 6 Saturday; 7 folds into 0) */
    uint8_t mday_star; /* the day-of-month field started with '*' */
    uint8_t wday_star; /* the day-of-week field started with '*' */
};

/* Parses expr into *out. 0, or -1 with INVALID_PARAMETER_VALUE and a
 * message starting "cron: "; *out is set only on success. */
int cron_parse(const char *expr, struct cron *out, struct ferr *err) WARN_UNUSED;

/* 0 when c can never fire: a day-of-month no selected month has ("0 0 30
 * 2 *", "0 0 31 4,6 *") with day-of-week not also restricted; else 1.
 * cron_parse accepts such expressions (as Vixie cron does); a trigger spec
 * refuses them. */
int cron_can_fire(const struct cron *c);

/* 1 when the minute starting at t_ms (ms since the epoch, UTC; the seconds
 * are ignored) matches, else 0. */
int cron_matches(const struct cron *c, int64_t t_ms);

/* The first matching minute strictly after after_ms, in ms since the epoch
 * (a whole minute), or -1 when none comes within CRON_HORIZON_DAYS days
 * ("0 0 30 2 *" never does). after_ms may be negative (before 1970). */
int64_t cron_next(const struct cron *c, int64_t after_ms);

/* The last matching minute at or before at_or_before_ms (a whole minute:
 * at_or_before_ms itself when its minute matches, seconds dropped), or -1
 * when none lies within CRON_HORIZON_DAYS days before it. */
int64_t cron_prev(const struct cron *c, int64_t at_or_before_ms);

#endif
