/* SPDX-License-Identifier: MIT */
#include "domain/spec_field.h"
#include "base/duration.h"
#include "base/pbtime.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

int spec_bad(const char *what, const char *path, const char *why, struct ferr *err)
{
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s: '%s' %s", what, path, why);
}

int spec_number(json_t *v, double *out)
{
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return isfinite(*out) ? 0 : -1;
    }
    if (json_is_string(v) && json_string_length(v) > 0) {
        const char *s = json_string_value(v);
        char *end = NULL;
        if (isspace((unsigned char)*s))
            return -1;
        *out = strtod(s, &end);
        return *end || !isfinite(*out) ? -1 : 0;
    }
    return -1;
}

int spec_int(const char *what, json_t *v, const char *path, int64_t lo, int64_t hi, int64_t *out,
             struct ferr *err)
{
    double d;
    char why[96];
    if (spec_number(v, &d) || d != floor(d) || d < (double)lo || d > (double)hi) {
        snprintf(why, sizeof(why), "must be an integer from %lld to %lld", (long long)lo,
                 (long long)hi);
        return spec_bad(what, path, why, err);
    }
    *out = (int64_t)d;
    return 0;
}

int spec_real(const char *what, json_t *v, const char *path, double lo, double hi, double *out,
              struct ferr *err)
{
    char why[96];
    if (spec_number(v, out) || *out < lo || *out > hi) {
        snprintf(why, sizeof(why), "must be a number from %g to %g", lo, hi);
        return spec_bad(what, path, why, err);
    }
    return 0;
}

int spec_bool(const char *what, json_t *v, const char *path, int *out, struct ferr *err)
{
    const char *s = json_string_value(v);
    if (json_is_boolean(v))
        *out = json_is_true(v);
    else if (s && (!strcmp(s, "true") || !strcmp(s, "false")))
        *out = !strcmp(s, "true");
    else
        return spec_bad(what, path, "must be true or false", err);
    return 0;
}

int spec_duration(const char *what, json_t *v, const char *path, int64_t *out, struct ferr *err)
{
    double secs;
    if (json_is_string(v) && !duration_parse(json_string_value(v), out) && *out > 0)
        return 0;
    if (json_is_number(v) && !spec_number(v, &secs) && secs > 0 && secs < 1e9) {
        *out = (int64_t)llround(secs * 1000);
        if (*out > 0)
            return 0;
    }
    return spec_bad(what, path,
                    "must be a positive duration such as \"500ms\", \"30s\", \"5m\", \"1h\", "
                    "\"7d\"",
                    err);
}

int spec_time(const char *what, json_t *v, const char *path, int64_t *out, struct ferr *err)
{
    const char *s = json_string_value(v);
    double d;
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        *out = (int64_t)json_integer_value(v);
        return 0;
    }
    if (s && *s && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 15 && !spec_number(v, &d)) {
        *out = (int64_t)d;
        return 0;
    }
    if (s && !pbtime_timestamp_parse(s, out) && *out >= 0)
        return 0;
    return spec_bad(what, path,
                    "must be a time: milliseconds since the epoch or RFC 3339 "
                    "(\"2026-01-31T00:00:00Z\")",
                    err);
}

int spec_only_keys(const char *what, json_t *obj, const char *path, const char *const *allowed,
                   struct ferr *err)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        size_t i;
        for (i = 0; allowed[i]; i++)
            if (!strcmp(key, allowed[i]))
                break;
        if (!allowed[i])
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s: unknown key '%s%s%.100s'", what,
                            path, *path ? "." : "", key);
    }
    return 0;
}
