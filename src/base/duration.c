/* SPDX-License-Identifier: MIT */
#include "base/duration.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define MAX_MS (100.0 * 365 * 86400 * 1000)

int duration_parse(const char *s, int64_t *ms)
{
    static const struct {
        const char *suffix;
        double ms;
    } units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000}};
    if (!s || !*s || *s == '+' || *s == '-' || *s == ' ')
        return -1;
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v) || v < 0)
        return -1;
    double scale = 1000; /* a bare number is seconds */
    if (*end) {
        size_t i;
        for (i = 0; i < sizeof(units) / sizeof(*units); i++)
            if (!strcmp(end, units[i].suffix))
                break;
        if (i == sizeof(units) / sizeof(*units))
            return -1;
        scale = units[i].ms;
    }
    double total = v * scale;
    if (total > MAX_MS)
        return -1;
    *ms = (int64_t)llround(total);
    return 0;
}

void duration_format(int64_t ms, char out[24])
{
    static const struct {
        const char *suffix;
        int64_t ms;
    } units[] = {{"d", 86400000}, {"h", 3600000}, {"m", 60000}, {"s", 1000}};
    for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++)
        if (ms > 0 && ms % units[i].ms == 0) {
            snprintf(out, 24, "%lld%s", (long long)(ms / units[i].ms), units[i].suffix);
            return;
        }
    snprintf(out, 24, "%lldms", (long long)ms);
}
