/* SPDX-License-Identifier: MIT
 * libFuzzer target: a cron expression as a user writes it. It either fails
 * with INVALID_PARAMETER_VALUE and a "cron: " message, or parses into a
 * schedule whose search agrees with brute force: from a start time taken
 * from the input, cron_next is a whole matching minute strictly after it
 * with no matching minute in between (checked minute by minute over up to
 * three days), cron_prev is a whole matching minute at or before it, and
 * the two undo each other. Nothing may crash or trip UBSan. */
#include "domain/cron.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MIN_MS 60000LL

static void check(const struct cron *c, int64_t base)
{
    int64_t next = cron_next(c, base), prev = cron_prev(c, base);
    if (next != -1) {
        if (next <= base || next % MIN_MS || !cron_matches(c, next) || cron_prev(c, next) != next)
            abort();
        if (next - base <= 3 * 1440 * MIN_MS) {
            int64_t m = base - (base % MIN_MS + MIN_MS) % MIN_MS + MIN_MS;
            for (; m < next; m += MIN_MS)
                if (cron_matches(c, m))
                    abort();
        }
    }
    if (prev != -1) {
        if (prev > base || prev % MIN_MS || !cron_matches(c, prev) ||
            cron_next(c, prev - 1) != prev)
            abort();
        /* none (-1) is never a result: results are whole minutes, and -1 ms
         * is not one (before 1970 times are negative, so compare only two
         * results); a gap longer than the search window finds none */
        int64_t after_prev = cron_next(c, prev);
        if (next != -1 && after_prev != -1 && after_prev > next)
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char expr[CRON_EXPR_MAX + 64];
    struct cron c;
    struct ferr err = FERR_INIT;
    int64_t base = 1796329440123; /* 2026-12-03T20:24:00.123Z */
    size_t n = size < sizeof(expr) - 1 ? size : sizeof(expr) - 1;
    /* the first 4 bytes after a NUL, when there is one, move the start */
    const uint8_t *nul = memchr(data, 0, size);
    if (nul && (size_t)(nul - data) + 5 <= size) {
        uint32_t shift;
        memcpy(&shift, nul + 1, 4);
        base += ((int64_t)shift - 2147483648LL) * 60000LL;
    }
    memcpy(expr, data, n);
    expr[n] = 0;
    if (cron_parse(expr, &c, &err) != 0) {
        if (err.code != FERR_INVALID_PARAMETER_VALUE || strncmp(err.msg, "cron: ", 6))
            abort();
        return 0;
    }
    if (!c.minutes || !c.hours || !c.mdays || !c.months || !c.wdays)
        abort();
    check(&c, base);
    check(&c, 0);
    check(&c, -1);
    return 0;
}
