/* SPDX-License-Identifier: MIT
 * Cron in UTC with integer calendar arithmetic: a day number (days since
 * 1970-01-01) turns into year, month, day and weekday by the proleptic
 * Gregorian rules, so neither the process's time zone nor the C library's
 * calendar functions are involved. The search walks day by day (at most
 * CRON_HORIZON_DAYS days) and, on a matching day, through the hour and
 * minute bit sets. */
#include "domain/cron.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "base/banned.h"

#define MINUTE_MS 60000LL
#define DAY_MIN   1440LL

enum { F_MINUTE, F_HOUR, F_MDAY, F_MONTH, F_WDAY, F_COUNT };

static const struct field_info {
    const char *name;
    int lo, hi;
} fields[F_COUNT] = {
    {"minute", 0, 59}, {"hour", 0, 23},       {"day-of-month", 1, 31},
    {"month", 1, 12},  {"day-of-week", 0, 7},
};

static const char *const month_names[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                          "jul", "aug", "sep", "oct", "nov", "dec"};
static const char *const wday_names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

static const struct macro {
    const char *name, *expr;
} macros[] = {
    {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
};

__attribute__((format(printf, 2, 3))) static int bad(struct ferr *err, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s", msg);
}

/* One value of field f from s[0..n): digits, or a name for month and
 * day-of-week. -1 with err when it is neither or out of range. */
static int parse_value(int f, const char *s, size_t n, int *out, struct ferr *err)
{
    const struct field_info *fi = &fields[f];
    char text[16];
    snprintf(text, sizeof(text), "%.*s", (int)(n < 15 ? n : 15), s);
    if (n == 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "cron: %s: a value is missing",
                        fi->name);
    if (isdigit((unsigned char)s[0])) {
        long v = 0;
        for (size_t i = 0; i < n; i++) {
            if (!isdigit((unsigned char)s[i]))
                return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                                "cron: %s '%s%s' is not a number", fi->name, text,
                                n > 15 ? "..." : "");
            if (v <= 1000)
                v = v * 10 + (s[i] - '0');
        }
        if (v < fi->lo || v > fi->hi)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "cron: %s %s%s out of range %d-%d",
                            fi->name, text, n > 15 ? "..." : "", fi->lo, fi->hi);
        *out = (int)v;
        return 0;
    }
    if (n == 3 && (f == F_MONTH || f == F_WDAY)) {
        const char *const *names = f == F_MONTH ? month_names : wday_names;
        int count = f == F_MONTH ? 12 : 7;
        for (int i = 0; i < count; i++)
            if (!strncasecmp(s, names[i], 3)) {
                *out = f == F_MONTH ? i + 1 : i;
                return 0;
            }
    }
    if (f == F_MONTH)
        return bad(err, "cron: month '%s%s' is not a number 1-12 or a name JAN..DEC", text,
                   n > 15 ? "..." : "");
    if (f == F_WDAY)
        return bad(err, "cron: day-of-week '%s%s' is not a number 0-7 or a name SUN..SAT", text,
                   n > 15 ? "..." : "");
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "cron: %s '%s%s' is not a number", fi->name,
                    text, n > 15 ? "..." : "");
}

/* One comma-separated item of field f, s[0..n), into *bits. */
static int parse_item(int f, const char *s, size_t n, uint64_t *bits, struct ferr *err)
{
    const struct field_info *fi = &fields[f];
    const char *slash = memchr(s, '/', n);
    size_t base_n = slash ? (size_t)(slash - s) : n;
    int lo = fi->lo, hi = fi->hi, step = 1;
    char text[40];
    snprintf(text, sizeof(text), "%.*s", (int)(n < 39 ? n : 39), s);
    if (slash) {
        const char *st = slash + 1;
        size_t sn = n - base_n - 1;
        long v = 0;
        if (sn == 0 || strspn(st, "0123456789") < sn)
            return bad(err, "cron: %s step in '%s' must be a number", fi->name, text);
        for (size_t i = 0; i < sn; i++)
            if (v <= 1000)
                v = v * 10 + (st[i] - '0');
        if (v < 1 || v > fi->hi)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "cron: %s step %.*s%s out of range 1-%d", fi->name,
                            (int)(sn < 15 ? sn : 15), st, sn > 15 ? "..." : "", fi->hi);
        step = (int)v;
    }
    if (base_n == 1 && s[0] == '*') {
        /* the whole range */
    } else {
        const char *dash = memchr(s, '-', base_n);
        if (dash) {
            if (parse_value(f, s, (size_t)(dash - s), &lo, err) ||
                parse_value(f, dash + 1, base_n - (size_t)(dash - s) - 1, &hi, err))
                return -1;
            if (lo > hi)
                return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                                "cron: %s range %d-%d is reversed: the start must not pass the "
                                "end",
                                fi->name, lo, hi);
        } else {
            if (parse_value(f, s, base_n, &lo, err))
                return -1;
            /* "N/STEP" runs from N to the field's end, as in Vixie cron. */
            hi = slash ? fi->hi : lo;
        }
    }
    for (int v = lo; v <= hi; v += step)
        *bits |= 1ULL << v;
    return 0;
}

static int parse_field(int f, const char *s, size_t n, uint64_t *bits, struct ferr *err)
{
    size_t start = 0;
    *bits = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i < n && s[i] != ',')
            continue;
        if (i == start)
            return bad(err, "cron: %s has an empty item in '%s'", fields[f].name,
                       n < 200 ? s : "(long field)");
        if (parse_item(f, s + start, i - start, bits, err))
            return -1;
        start = i + 1;
    }
    return 0;
}

int cron_parse(const char *expr, struct cron *out, struct ferr *err)
{
    const char *start[F_COUNT + 1];
    size_t len[F_COUNT + 1];
    int nf = 0;
    size_t n = strlen(expr);
    if (n > CRON_EXPR_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "cron: the expression is longer than %d bytes", CRON_EXPR_MAX);
    for (size_t i = 0; i < n; i++)
        if (!isprint((unsigned char)expr[i]) && expr[i] != '\t')
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "cron: the expression holds a control or non-ASCII byte (0x%02x)",
                            (unsigned)(unsigned char)expr[i]);
    const char *p = expr + strspn(expr, " \t");
    if (*p == '@') {
        size_t mn = strcspn(p, " \t");
        if (p[mn + strspn(p + mn, " \t")])
            return bad(err, "cron: a macro stands alone: '%s' has more after it", p);
        for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++)
            if (strlen(macros[i].name) == mn && !strncasecmp(p, macros[i].name, mn))
                return cron_parse(macros[i].expr, out, err);
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "cron: unknown macro '%.*s' (@yearly, @annually, @monthly, @weekly, "
                        "@daily, @midnight, @hourly)",
                        (int)mn, p);
    }
    while (*p) {
        size_t fl = strcspn(p, " \t");
        if (nf <= F_COUNT) {
            start[nf] = p;
            len[nf] = fl;
        }
        nf++;
        p += fl;
        p += strspn(p, " \t");
    }
    if (nf == 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "cron: the expression is empty (5 fields: minute hour day-of-month "
                        "month day-of-week)");
    if (nf != F_COUNT)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "cron: %d field%s: ferry's cron has 5 (minute hour day-of-month month "
                        "day-of-week)",
                        nf, nf == 1 ? "" : "s");
    uint64_t bits[F_COUNT];
    for (int f = 0; f < F_COUNT; f++) {
        char field[CRON_EXPR_MAX + 1];
        snprintf(field, sizeof(field), "%.*s", (int)len[f], start[f]);
        if (parse_field(f, field, len[f], &bits[f], err))
            return -1;
    }
    struct cron c = {0};
    c.minutes = bits[F_MINUTE];
    c.hours = (uint32_t)bits[F_HOUR];
    c.mdays = (uint32_t)bits[F_MDAY];
    c.months = (uint16_t)bits[F_MONTH];
    /* 7 is Sunday too */
    c.wdays = (uint8_t)((bits[F_WDAY] | (bits[F_WDAY] >> 7)) & 0x7f);
    c.mday_star = start[F_MDAY][0] == '*';
    c.wday_star = start[F_WDAY][0] == '*';
    *out = c;
    return 0;
}

/* Floor division and modulo, right for negative numbers too. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
    return a - floor_div(a, b) * b;
}

/* The civil date of day number z (days since 1970-01-01): the Gregorian
 * cycle is 400 years = 146097 days; counting years from March makes the
 * leap day the last day of its year, so a year's day count is simple. */
static void civil_from_days(int64_t z, int *month, int *mday)
{
    z += 719468; /* days from 0000-03-01 to 1970-01-01 */
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;                                      /* 0..146096 */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* 0..399 */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* 0..365, from March 1 */
    int64_t mp = (5 * doy + 2) / 153;                                    /* 0 = March .. 11 = Feb */
    *mday = (int)(doy - (153 * mp + 2) / 5 + 1);
    *month = (int)(mp < 10 ? mp + 3 : mp - 9);
}

static int day_matches(const struct cron *c, int64_t day)
{
    int month, mday;
    civil_from_days(day, &month, &mday);
    if (!(c->months & (1u << month)))
        return 0;
    int wday = (int)floor_mod(day + 4, 7); /* 1970-01-01 was a Thursday */
    int dm = (c->mdays >> mday) & 1, wm = (c->wdays >> wday) & 1;
    if (c->mday_star || c->wday_star)
        return dm && wm;
    return dm || wm;
}

static int minute_matches(const struct cron *c, int64_t mod)
{
    return ((c->hours >> (mod / 60)) & 1) && ((c->minutes >> (mod % 60)) & 1);
}

int cron_can_fire(const struct cron *c)
{
    static const int month_days[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (!c->mday_star && !c->wday_star)
        return 1; /* either day field may match: some weekday always comes */
    /* Every (month, day) date falls on every weekday over 28 years. */
    for (int m = 1; m <= 12; m++)
        if ((c->months >> m) & 1)
            for (int d = 1; d <= month_days[m]; d++)
                if ((c->mdays >> d) & 1)
                    return 1;
    return 0;
}

int cron_matches(const struct cron *c, int64_t t_ms)
{
    int64_t m = floor_div(t_ms, MINUTE_MS);
    return day_matches(c, floor_div(m, DAY_MIN)) && minute_matches(c, floor_mod(m, DAY_MIN));
}

/* Guards the arithmetic: times beyond about +-290,000 years are refused
 * (-1) rather than overflowing. */
#define TIME_LIMIT_MS (9000000000000000LL)

int64_t cron_next(const struct cron *c, int64_t after_ms)
{
    if (after_ms > TIME_LIMIT_MS || after_ms < -TIME_LIMIT_MS)
        return -1;
    int64_t m = floor_div(after_ms, MINUTE_MS) + 1;
    int64_t day = floor_div(m, DAY_MIN), first = floor_mod(m, DAY_MIN);
    for (int64_t d = 0; d <= CRON_HORIZON_DAYS; d++, first = 0) {
        if (!day_matches(c, day + d))
            continue;
        for (int64_t mod = first; mod < DAY_MIN; mod++)
            if (minute_matches(c, mod))
                return ((day + d) * DAY_MIN + mod) * MINUTE_MS;
    }
    return -1;
}

int64_t cron_prev(const struct cron *c, int64_t at_or_before_ms)
{
    if (at_or_before_ms > TIME_LIMIT_MS || at_or_before_ms < -TIME_LIMIT_MS)
        return -1;
    int64_t m = floor_div(at_or_before_ms, MINUTE_MS);
    int64_t day = floor_div(m, DAY_MIN), last = floor_mod(m, DAY_MIN);
    for (int64_t d = 0; d <= CRON_HORIZON_DAYS; d++, last = DAY_MIN - 1) {
        if (!day_matches(c, day - d))
            continue;
        for (int64_t mod = last; mod >= 0; mod--)
            if (minute_matches(c, mod))
                return ((day - d) * DAY_MIN + mod) * MINUTE_MS;
    }
    return -1;
}
