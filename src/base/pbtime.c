/* SPDX-License-Identifier: MIT
 * Dates are converted with Howard Hinnant's days-from-civil algorithm (public
 * domain), so no time zone or locale state is touched. */
#include "base/pbtime.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "base/banned.h"

#define MS_PER_DAY         86400000LL
#define MAX_DURATION_SECS  315576000000LL /* 10,000 years, protobuf's bound */
#define MIN_TIMESTAMP_SECS -62135596800LL /* 0001-01-01T00:00:00Z */
#define MAX_TIMESTAMP_SECS 253402300799LL /* 9999-12-31T23:59:59Z */

static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, int64_t *m, int64_t *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yoe + era * 400 + (*m <= 2);
}

/* Floor division and its non-negative remainder. */
static int64_t floor_div(int64_t a, int64_t b, int64_t *rem)
{
    int64_t q = a / b, r = a % b;
    if (r < 0) {
        q--;
        r += b;
    }
    *rem = r;
    return q;
}

void pbtime_timestamp_format(int64_t ms, char out[PBTIME_MAX])
{
    int64_t in_day, y, m, d;
    int64_t days = floor_div(ms, MS_PER_DAY, &in_day);
    civil_from_days(days, &y, &m, &d);
    int64_t secs = in_day / 1000, frac = in_day % 1000;
    int n =
        snprintf(out, PBTIME_MAX,
                 "%04" PRId64 "-%02" PRId64 "-%02" PRId64 "T%02" PRId64 ":%02" PRId64 ":%02" PRId64,
                 y, m, d, secs / 3600, secs / 60 % 60, secs % 60);
    if (n > 0 && n < PBTIME_MAX - 6 && frac)
        n += snprintf(out + n, (size_t)(PBTIME_MAX - n), ".%03" PRId64, frac);
    if (n > 0 && n < PBTIME_MAX - 1)
        snprintf(out + n, (size_t)(PBTIME_MAX - n), "Z");
}

/* Exactly n digits at *s as a number; advances *s. */
static int digits(const char **s, int n, int64_t *out)
{
    int64_t v = 0;
    for (int i = 0; i < n; i++, (*s)++) {
        if (!isdigit((unsigned char)**s))
            return -1;
        v = v * 10 + (**s - '0');
    }
    *out = v;
    return 0;
}

/* ".d{1,9}" at *s (optional) as milliseconds, the rest dropped. */
static int fraction_ms(const char **s, int64_t *ms)
{
    int n = 0;
    *ms = 0;
    if (**s != '.')
        return 0;
    for ((*s)++; isdigit((unsigned char)**s); (*s)++, n++)
        if (n < 3)
            *ms = *ms * 10 + (**s - '0');
    if (n == 0 || n > 9)
        return -1;
    for (; n < 3; n++)
        *ms *= 10;
    return 0;
}

static int is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int pbtime_timestamp_parse(const char *s, int64_t *ms)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int64_t y, mo, d, h, mi, se, frac, oh = 0, om = 0;
    if (!s || digits(&s, 4, &y) || *s++ != '-' || digits(&s, 2, &mo) || *s++ != '-' ||
        digits(&s, 2, &d) || *s++ != 'T' || digits(&s, 2, &h) || *s++ != ':' ||
        digits(&s, 2, &mi) || *s++ != ':' || digits(&s, 2, &se) || fraction_ms(&s, &frac))
        return -1;
    if (y < 1 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && is_leap(y)) ||
        h > 23 || mi > 59 || se > 59)
        return -1;
    int sign = 0;
    if (*s == 'Z') {
        s++;
    } else if (*s == '+' || *s == '-') {
        sign = *s++ == '+' ? 1 : -1;
        if (digits(&s, 2, &oh) || *s++ != ':' || digits(&s, 2, &om) || oh > 23 || om > 59)
            return -1;
    } else {
        return -1;
    }
    if (*s)
        return -1;
    int64_t secs =
        days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se - sign * (oh * 3600 + om * 60);
    if (secs < MIN_TIMESTAMP_SECS || secs > MAX_TIMESTAMP_SECS)
        return -1;
    *ms = secs * 1000 + frac;
    return 0;
}

void pbtime_duration_format(int64_t ms, char out[PBTIME_MAX])
{
    /* |INT64_MIN| does not fit: such a duration is beyond protobuf's anyway */
    uint64_t a = ms < 0 ? (uint64_t)0 - (uint64_t)ms : (uint64_t)ms;
    if (a % 1000)
        snprintf(out, PBTIME_MAX, "%s%" PRIu64 ".%03" PRIu64 "s", ms < 0 ? "-" : "", a / 1000,
                 a % 1000);
    else
        snprintf(out, PBTIME_MAX, "%s%" PRIu64 "s", ms < 0 ? "-" : "", a / 1000);
}

int pbtime_duration_parse(const char *s, int64_t *ms)
{
    int neg = 0, n = 0;
    int64_t secs = 0, frac;
    if (!s)
        return -1;
    if (*s == '-') {
        neg = 1;
        s++;
    }
    for (; isdigit((unsigned char)*s); s++, n++) {
        secs = secs * 10 + (*s - '0');
        if (secs > MAX_DURATION_SECS)
            return -1;
    }
    if (!n || fraction_ms(&s, &frac) || strcmp(s, "s"))
        return -1;
    *ms = (neg ? -1 : 1) * (secs * 1000 + frac);
    return 0;
}
