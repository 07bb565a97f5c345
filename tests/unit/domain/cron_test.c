/* SPDX-License-Identifier: MIT
 * domain/cron: tables of expressions, a start time and the fire time
 * cron_next / cron_prev must give (all UTC), over month ends, leap days
 * (2028, 2032; 2100 is not leap), year rollovers, Sunday as 0 and 7,
 * steps, lists, ranges, names, macros and the Vixie day rule; then a
 * table of invalid expressions and the message each must give. */
#include "../test.h"
#include "base/pbtime.h"
#include "domain/cron.h"

#include <stdio.h>
#include <string.h>

static int64_t at(const char *iso)
{
    int64_t ms;
    if (pbtime_timestamp_parse(iso, &ms))
        FAIL_AT("bad time in the table: %s", iso);
    return ms;
}

static const char *show(int64_t ms, char buf[PBTIME_MAX])
{
    if (ms == -1)
        return "never";
    pbtime_timestamp_format(ms, buf);
    return buf;
}

struct row {
    const char *expr, *from, *want; /* want NULL: -1 */
};

static void check(const struct row *rows, size_t n, int next)
{
    for (size_t i = 0; i < n; i++) {
        struct cron c;
        struct ferr err = FERR_INIT;
        char a[PBTIME_MAX], b[PBTIME_MAX];
        if (cron_parse(rows[i].expr, &c, &err))
            FAIL_AT("row %zu: '%s': %s", i, rows[i].expr, err.msg);
        int64_t got = next ? cron_next(&c, at(rows[i].from)) : cron_prev(&c, at(rows[i].from));
        int64_t want = rows[i].want ? at(rows[i].want) : -1;
        if (got != want)
            FAIL_AT("row %zu: %s('%s', %s) = %s, want %s", i, next ? "next" : "prev", rows[i].expr,
                    rows[i].from, show(got, a), show(want, b));
        if (got != -1 && !cron_matches(&c, got))
            FAIL_AT("row %zu: %s does not match its own result", i, rows[i].expr);
    }
}

TEST(cron_next_table)
{
    static const struct row rows[] = {
        /* month ends: the 31st skips the short months */
        {"0 0 31 * *", "2026-01-31T00:00:00Z", "2026-03-31T00:00:00Z"},
        {"0 0 31 * *", "2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z"},
        {"0 0 31 * *", "2026-07-31T00:00:00Z", "2026-08-31T00:00:00Z"},
        {"0 0 30 * *", "2026-01-30T00:00:00Z", "2026-03-30T00:00:00Z"},
        /* leap days */
        {"0 12 29 2 *", "2026-03-01T00:00:00Z", "2028-02-29T12:00:00Z"},
        {"0 12 29 2 *", "2028-02-29T12:00:00Z", "2032-02-29T12:00:00Z"},
        {"0 0 * * *", "2028-02-28T00:00:00Z", "2028-02-29T00:00:00Z"},
        {"0 0 * * *", "2100-02-28T00:00:00Z", "2100-03-01T00:00:00Z"},
        {"0 0 * * *", "2000-02-28T00:00:00Z", "2000-02-29T00:00:00Z"},
        {"0 0 29 2 *", "2096-03-01T00:00:00Z", NULL}, /* 2100 is not leap; 2104 is too far */
        {"0 0 29 2 *", "2099-03-01T00:00:00Z", "2104-02-29T00:00:00Z"},
        {"0 0 30 2 *", "2026-01-01T00:00:00Z", NULL},
        {"0 0 31 4,6,9,11 *", "2026-01-01T00:00:00Z", NULL},
        /* year rollover */
        {"59 23 31 12 *", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z"},
        {"0 0 1 1 *", "2026-12-31T23:59:30Z", "2027-01-01T00:00:00Z"},
        {"*/15 * * * *", "2026-12-31T23:50:00Z", "2027-01-01T00:00:00Z"},
        {"* * * * *", "2026-12-31T23:59:59.999Z", "2027-01-01T00:00:00Z"},
        /* strictly after, minute resolution */
        {"* * * * *", "2026-12-03T20:24:00Z", "2026-12-03T20:25:00Z"},
        {"* * * * *", "2026-12-03T20:24:59.999Z", "2026-12-03T20:25:00Z"},
        /* Sunday as 0, 7 and a name (2026-12-03 is a Thursday) */
        {"0 9 * * 0", "2026-12-03T12:00:00Z", "2026-12-06T09:00:00Z"},
        {"0 9 * * 7", "2026-12-03T12:00:00Z", "2026-12-06T09:00:00Z"},
        {"0 9 * * sun", "2026-12-03T12:00:00Z", "2026-12-06T09:00:00Z"},
        {"0 9 * * 5-7", "2026-12-03T12:00:00Z", "2026-12-04T09:00:00Z"},
        {"0 9 * * 6-7", "2026-12-05T12:00:00Z", "2026-12-06T09:00:00Z"},
        /* steps, lists, ranges, names */
        {"30 8-10/2 * * MON-FRI", "2026-12-04T10:30:00Z", "2026-12-07T08:30:00Z"},
        {"30 8-10/2 * * MON-FRI", "2026-12-07T08:30:00Z", "2026-12-07T10:30:00Z"},
        {"0,30 9,17 * * *", "2026-12-03T09:30:00Z", "2026-12-03T17:00:00Z"},
        {"5/20 * * * *", "2026-12-03T20:26:00Z", "2026-12-03T20:45:00Z"},
        {"5/20 * * * *", "2026-12-03T20:45:00Z", "2026-12-03T21:05:00Z"},
        {"1-3,58-59/1 * * * *", "2026-12-03T20:03:00Z", "2026-12-03T20:58:00Z"},
        {"0 0 1 JAN-MAR/2 *", "2026-12-03T00:00:00Z", "2027-01-01T00:00:00Z"},
        {"0 0 1 JAN-MAR/2 *", "2027-01-01T00:00:00Z", "2027-03-01T00:00:00Z"},
        {"0 0 1 jun,Dec *", "2026-12-03T00:00:00Z", "2027-06-01T00:00:00Z"},
        {"*/7 * * * *", "2026-12-03T20:56:00Z", "2026-12-03T21:00:00Z"},
        /* day-of-month and day-of-week both restricted: either matches */
        {"0 0 13 * 5", "2026-12-03T00:00:00Z", "2026-12-04T00:00:00Z"},
        {"0 0 13 * 5", "2026-12-11T00:00:00Z", "2026-12-13T00:00:00Z"},
        {"0 0 13 * *", "2026-12-03T00:00:00Z", "2026-12-13T00:00:00Z"},
        {"0 0 * * 5", "2026-12-03T00:00:00Z", "2026-12-04T00:00:00Z"},
        /* a field starting with '*' counts as unrestricted: both must match */
        {"0 0 */2 * 5", "2026-12-03T00:00:00Z", "2026-12-11T00:00:00Z"},
        {"0 0 1 * */7", "2026-12-03T00:00:00Z", "2027-08-01T00:00:00Z"}, /* a Sunday the 1st */
        /* macros */
        {"@hourly", "2026-12-03T20:24:20Z", "2026-12-03T21:00:00Z"},
        {"@daily", "2026-12-03T20:24:20Z", "2026-12-04T00:00:00Z"},
        {"@midnight", "2026-12-03T20:24:20Z", "2026-12-04T00:00:00Z"},
        {"@weekly", "2026-12-03T20:24:20Z", "2026-12-06T00:00:00Z"},
        {"@monthly", "2026-12-03T20:24:20Z", "2027-01-01T00:00:00Z"},
        {"@yearly", "2026-12-03T20:24:20Z", "2027-01-01T00:00:00Z"},
        {"@ANNUALLY", "2026-12-03T20:24:20Z", "2027-01-01T00:00:00Z"},
        {"  0\t0  1 1  *  ", "2026-12-03T20:24:20Z", "2027-01-01T00:00:00Z"},
        {"00 03 01 01 *", "2026-12-03T00:00:00Z", "2027-01-01T03:00:00Z"}, /* leading zeros */
        /* before the epoch */
        {"0 0 1 1 *", "1969-06-01T00:00:00Z", "1970-01-01T00:00:00Z"},
        {"0 0 1 1 *", "1960-01-01T00:00:00Z", "1961-01-01T00:00:00Z"},
        {"0 0 29 2 *", "1899-03-01T00:00:00Z", "1904-02-29T00:00:00Z"}, /* 1900 is not leap */
        {"0 0 29 2 *", "1899-01-01T00:00:00Z", NULL},
    };
    check(rows, sizeof(rows) / sizeof(rows[0]), 1);
}

TEST(cron_prev_table)
{
    static const struct row rows[] = {
        {"0 3 * * *", "2026-12-03T03:00:00Z", "2026-12-03T03:00:00Z"}, /* at or before */
        {"0 3 * * *", "2026-12-03T03:00:30Z", "2026-12-03T03:00:00Z"},
        {"0 3 * * *", "2026-12-03T02:59:59.999Z", "2026-12-02T03:00:00Z"},
        {"0 0 31 * *", "2026-03-30T00:00:00Z", "2026-01-31T00:00:00Z"},
        {"0 0 29 2 *", "2028-03-01T00:00:00Z", "2028-02-29T00:00:00Z"},
        {"0 0 29 2 *", "2028-02-28T00:00:00Z", "2024-02-29T00:00:00Z"},
        {"0 0 29 2 *", "2103-12-31T00:00:00Z", NULL}, /* 2096 is too far back */
        {"0 0 30 2 *", "2026-12-03T00:00:00Z", NULL},
        {"59 23 31 12 *", "2027-01-01T00:00:00Z", "2026-12-31T23:59:00Z"},
        {"*/15 * * * *", "2027-01-01T00:14:59Z", "2027-01-01T00:00:00Z"},
        {"0 9 * * 7", "2026-12-06T08:59:00Z", "2026-11-29T09:00:00Z"},
        {"0 0 13 * 5", "2026-12-12T00:00:00Z", "2026-12-11T00:00:00Z"},
        {"@weekly", "2026-12-03T20:24:20Z", "2026-11-29T00:00:00Z"},
        {"* * * * *", "1969-12-31T23:59:59.500Z", "1969-12-31T23:59:00Z"},
    };
    check(rows, sizeof(rows) / sizeof(rows[0]), 0);
}

TEST(cron_matches_ignores_seconds)
{
    struct cron c;
    struct ferr err = FERR_INIT;
    ASSERT_OK(cron_parse("30 2 * * *", &c, &err), &err);
    ASSERT(cron_matches(&c, at("2026-12-03T02:30:00Z")));
    ASSERT(cron_matches(&c, at("2026-12-03T02:30:59.999Z")));
    ASSERT(!cron_matches(&c, at("2026-12-03T02:31:00Z")));
    ASSERT_INT_EQ(cron_next(&c, INT64_MAX), -1);
    ASSERT_INT_EQ(cron_prev(&c, INT64_MIN), -1);
}

TEST(cron_can_fire_knows_impossible_days)
{
    static const struct {
        const char *expr;
        int can;
    } rows[] = {
        {"0 0 30 2 *", 0},   {"0 0 31 4,6,9,11 *", 0}, {"0 0 30,31 2 */2", 0},
        {"0 0 29 2 *", 1},   {"0 0 31 * *", 1},        {"0 0 30 2 MON", 1}, /* or Mondays */
        {"0 0 31 2,3 *", 1}, {"* * * * *", 1},         {"0 0 */30 2 *", 1}, /* the 1st */
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct cron c;
        struct ferr err = FERR_INIT;
        ASSERT_OK(cron_parse(rows[i].expr, &c, &err), &err);
        if (cron_can_fire(&c) != rows[i].can)
            FAIL_AT("row %zu: cron_can_fire('%s') != %d", i, rows[i].expr, rows[i].can);
        if (!rows[i].can && cron_next(&c, 0) != -1)
            FAIL_AT("row %zu: '%s' fired", i, rows[i].expr);
    }
}

TEST(cron_invalid_expressions_say_why)
{
    static const struct {
        const char *expr, *msg;
    } rows[] = {
        {"60 * * * *", "cron: minute 60 out of range 0-59"},
        {"* 24 * * *", "cron: hour 24 out of range 0-23"},
        {"* * 0 * *", "cron: day-of-month 0 out of range 1-31"},
        {"* * 32 * *", "cron: day-of-month 32 out of range 1-31"},
        {"* * * 13 *", "cron: month 13 out of range 1-12"},
        {"* * * 0 *", "cron: month 0 out of range 1-12"},
        {"* * * * 8", "cron: day-of-week 8 out of range 0-7"},
        {"99999999999 * * * *", "cron: minute 99999999999 out of range 0-59"},
        {"* * 0032 * *", "cron: day-of-month 0032 out of range 1-31"},
        {"0 0 * * * *", "cron: 6 fields: ferry's cron has 5 (minute hour day-of-month month "
                        "day-of-week)"},
        {"0 0 * *", "cron: 4 fields: ferry's cron has 5"},
        {"*", "cron: 1 field: ferry's cron has 5"},
        {"", "cron: the expression is empty"},
        {"   ", "cron: the expression is empty"},
        {"*/0 * * * *", "cron: minute step 0 out of range 1-59"},
        {"*/60 * * * *", "cron: minute step 60 out of range 1-59"},
        {"*/ * * * *", "cron: minute step in '*/' must be a number"},
        {"1/2/3 * * * *", "cron: minute step in '1/2/3' must be a number"},
        {"5-1 * * * *", "cron: minute range 5-1 is reversed"},
        {"0 0 * * SAT-SUN", "cron: day-of-week range 6-0 is reversed"},
        {"a * * * *", "cron: minute 'a' is not a number"},
        {"1a * * * *", "cron: minute '1a' is not a number"},
        {"** * * * *", "cron: minute '**' is not a number"},
        {"* * * FOO *", "cron: month 'FOO' is not a number 1-12 or a name JAN..DEC"},
        {"* * * * FUN", "cron: day-of-week 'FUN' is not a number 0-7 or a name SUN..SAT"},
        {"0 0 * * MONDAY", "cron: day-of-week 'MONDAY' is not a number 0-7"},
        {"0 0 MON * *", "cron: day-of-month 'MON' is not a number"},
        {"1,,2 * * * *", "cron: minute has an empty item in '1,,2'"},
        {"1, * * * *", "cron: minute has an empty item"},
        {"1- * * * *", "cron: minute: a value is missing"},
        {"-5 * * * *", "cron: minute: a value is missing"},
        {"@fortnightly", "cron: unknown macro '@fortnightly'"},
        {"@daily 5", "cron: a macro stands alone"},
        {"0 0 * * \x01", "cron: the expression holds a control or non-ASCII byte (0x01)"},
        {"0 0 * * é", "non-ASCII byte (0xc3)"},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        struct cron c;
        struct ferr err = FERR_INIT;
        if (cron_parse(rows[i].expr, &c, &err) == 0)
            FAIL_AT("row %zu: '%s' parsed", i, rows[i].expr);
        ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
        if (!strstr(err.msg, rows[i].msg))
            FAIL_AT("row %zu: '%s': \"%s\" lacks \"%s\"", i, rows[i].expr, err.msg, rows[i].msg);
    }
    char longer[CRON_EXPR_MAX + 8];
    memset(longer, '1', sizeof(longer) - 1);
    longer[sizeof(longer) - 1] = 0;
    struct cron c;
    struct ferr err = FERR_INIT;
    ASSERT_FAILS(cron_parse(longer, &c, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "longer than 256 bytes");
}

/* Sakamoto's weekday (0 Sunday) of a Gregorian date: an oracle independent
 * of cron.c's day numbers. */
static int weekday_of(int y, int m, int d)
{
    static const int t[] = {0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4};
    if (m < 3)
        y -= 1;
    return (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;
}

TEST(cron_calendar_agrees_with_an_independent_one_over_three_centuries)
{
    /* Every day from 1900-01-01 to 2199-12-31: base/pbtime's date for the
     * day must be the only month-day schedule matching it, and Sakamoto's
     * weekday the only weekday schedule. */
    static struct cron md[13][32], wd[7];
    struct ferr err = FERR_INIT;
    char expr[32];
    for (int m = 1; m <= 12; m++)
        for (int d = 1; d <= 31; d++) {
            snprintf(expr, sizeof(expr), "0 0 %d %d *", d, m);
            ASSERT_OK(cron_parse(expr, &md[m][d], &err), &err);
        }
    for (int w = 0; w < 7; w++) {
        snprintf(expr, sizeof(expr), "0 0 * * %d", w);
        ASSERT_OK(cron_parse(expr, &wd[w], &err), &err);
    }
    int64_t first = at("1900-01-01T00:00:00Z") / 86400000,
            last = at("2199-12-31T00:00:00Z") / 86400000;
    for (int64_t day = first; day <= last; day++) {
        char iso[PBTIME_MAX];
        int y, m, d;
        int64_t ms = day * 86400000;
        pbtime_timestamp_format(ms, iso);
        if (sscanf(iso, "%d-%d-%d", &y, &m, &d) != 3)
            FAIL_AT("unreadable date %s", iso);
        int w = weekday_of(y, m, d);
        if (!cron_matches(&md[m][d], ms) || !cron_matches(&wd[w], ms))
            FAIL_AT("%s: month-day or weekday %d does not match", iso, w);
        if (cron_matches(&md[m][d % 31 + 1], ms) || cron_matches(&wd[(w + 1) % 7], ms) ||
            cron_matches(&md[m % 12 + 1][d], ms))
            FAIL_AT("%s: a neighbouring schedule matches too", iso);
        if (cron_matches(&md[m][d], ms + 60000))
            FAIL_AT("%s: 00:01 matches a 00:00 schedule", iso);
    }
}
