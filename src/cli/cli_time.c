/* SPDX-License-Identifier: MIT */
#include "cli/cli_time.h"
#include "base/duration.h"
#include "cli/cli.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/banned.h"

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil), so no time zone or locale is involved. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

/* n digits at s as a number; -1 when they are not digits. */
static int64_t digits(const char *s, int n)
{
    int64_t v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)s[i]))
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

/* "YYYY-MM-DD[(T| )HH:MM[:SS]][Z]" in UTC; -1 when s is not one. */
static int parse_date(const char *s, int64_t *ms)
{
    size_t len = strlen(s);
    int64_t y, mo, d, h = 0, mi = 0, sec = 0;
    if (len < 10 || s[4] != '-' || s[7] != '-')
        return -1;
    y = digits(s, 4);
    mo = digits(s + 5, 2);
    d = digits(s + 8, 2);
    s += 10;
    if (*s == 'T' || *s == ' ') {
        if (strlen(s) < 6 || s[3] != ':')
            return -1;
        h = digits(s + 1, 2);
        mi = digits(s + 4, 2);
        s += 6;
        if (*s == ':') {
            sec = digits(s + 1, 2);
            s += 3;
        }
    }
    if (*s == 'Z')
        s++;
    if (*s || y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h < 0 || h > 23 || mi < 0 ||
        mi > 59 || sec < 0 || sec > 60)
        return -1;
    *ms = ((days_from_civil(y, mo, d) * 24 + h) * 60 + mi) * 60000 + sec * 1000;
    return 0;
}

int cli_parse_time(const char *option, const char *s, int64_t now_ms, int64_t *ms)
{
    int64_t ago;
    size_t n = strspn(s, "0123456789");
    /* a bare number of 10 digits or more is ms since the epoch (a bare
     * small number would be a duration in seconds: ask for a suffix) */
    if (n == strlen(s) && n >= 10 && n <= 16) {
        *ms = digits(s, (int)n);
        return 0;
    }
    if (!parse_date(s, ms))
        return 0;
    if (n < strlen(s) && !duration_parse(s, &ago) && ago <= now_ms) {
        *ms = now_ms - ago;
        return 0;
    }
    return cli_usagef("%s: expected ms since the epoch, a UTC date (2026-12-03T08:00) or a "
                      "duration ago (2h, 7d), not '%s'",
                      option, s);
}
