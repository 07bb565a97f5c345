/* SPDX-License-Identifier: MIT
 * libFuzzer target: the latency histogram's stored text. The bytes are
 * decoded as they come (not NUL-terminated). Text that decodes must be
 * canonical: encoding the histogram gives the same bytes back; text that
 * does not must fail with INVALID_PARAMETER_VALUE, a message and an empty
 * histogram. A decoded histogram's quantiles must be numbers between its
 * bounds, and merging it into itself must double its count (saturating).
 * Nothing may crash, leak or trip UBSan. */
#include "domain/latency_hist.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_decoded(const struct latency_hist *h, const uint8_t *data, size_t size)
{
    struct sbuf sb = SBUF_INIT;
    latency_hist_encode(h, &sb);
    if (sb.len != size || memcmp(sb.buf, data, size))
        abort();
    sbuf_release(&sb);
    uint64_t n = latency_hist_count(h);
    for (double q = 0; q <= 1; q += 0.125) {
        double v = latency_hist_quantile(h, q);
        if (n ? !(v >= 0 && v <= (double)latency_hist_lower(LATENCY_HIST_BUCKETS - 1)) : !isnan(v))
            abort();
    }
    struct latency_hist twice = *h;
    latency_hist_merge(&twice, h);
    uint64_t n2 = latency_hist_count(&twice);
    if (n2 < n || (n <= UINT64_MAX / 2 && n2 != 2 * n))
        abort();
    double p99 = latency_hist_quantile(&twice, 0.99);
    if (n ? !(p99 >= 0) : !isnan(p99))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ferr err = FERR_INIT;
    struct latency_hist h;
    if (latency_hist_decode((const char *)data, size, &h, &err)) {
        if (err.code != FERR_INVALID_PARAMETER_VALUE || !err.msg[0] || latency_hist_count(&h) ||
            h.sum_us)
            abort();
        return 0;
    }
    check_decoded(&h, data, size);
    return 0;
}
