/* SPDX-License-Identifier: MIT */
#include "domain/latency_hist.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/banned.h"

/* 2^(j/8), j = 0..7, as the nearest doubles: with them and a shift, the
 * bounds are exact IEEE arithmetic, the same on every machine. */
static const double eighth_octave[8] = {
    1.0,
    1.0905077326652577,
    1.189207115002721,
    1.2968395546510096,
    1.4142135623730951,
    1.5422108254079407,
    1.681792830507429,
    1.8340080864093424,
};

#define FIRST_BOUND_US 50u

/* B(i) = ceil(50 * 2^(i/8)), 0 <= i <= LATENCY_HIST_TOP. */
static uint64_t bound(size_t i)
{
    double x = (double)((uint64_t)FIRST_BOUND_US << (i / 8)) * eighth_octave[i % 8];
    uint64_t u = (uint64_t)x;
    return (double)u < x ? u + 1 : u;
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
    return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

void latency_hist_init(struct latency_hist *h)
{
    memset(h, 0, sizeof(*h));
}

size_t latency_hist_bucket(uint64_t us)
{ /* the first i with us < B(i), or the overflow bucket */
    size_t lo = 0, hi = LATENCY_HIST_TOP + 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (us < bound(mid))
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

uint64_t latency_hist_lower(size_t i)
{
    if (i == 0)
        return 0;
    return bound(i <= LATENCY_HIST_TOP + 1 ? i - 1 : LATENCY_HIST_TOP);
}

void latency_hist_add(struct latency_hist *h, uint64_t us)
{
    size_t b = latency_hist_bucket(us);
    h->counts[b] = add_sat(h->counts[b], 1);
    h->sum_us = add_sat(h->sum_us, us);
}

void latency_hist_merge(struct latency_hist *into, const struct latency_hist *from)
{
    for (size_t i = 0; i < LATENCY_HIST_BUCKETS; i++)
        into->counts[i] = add_sat(into->counts[i], from->counts[i]);
    into->sum_us = add_sat(into->sum_us, from->sum_us);
}

uint64_t latency_hist_count(const struct latency_hist *h)
{
    uint64_t n = 0;
    for (size_t i = 0; i < LATENCY_HIST_BUCKETS; i++)
        n = add_sat(n, h->counts[i]);
    return n;
}

double latency_hist_quantile(const struct latency_hist *h, double q)
{
    uint64_t n = latency_hist_count(h);
    if (!n)
        return NAN;
    if (!(q > 0)) /* NaN too */
        q = 0;
    if (q > 1)
        q = 1;
    /* Nearest rank: the k-th smallest value, 1 <= k <= n. */
    double kd = ceil(q * (double)n);
    uint64_t k = kd < 1 ? 1 : kd >= (double)n ? n : (uint64_t)kd;
    uint64_t before = 0;
    size_t i = 0;
    while (i < LATENCY_HIST_BUCKETS - 1 && add_sat(before, h->counts[i]) < k)
        before += h->counts[i++];
    double lo = (double)latency_hist_lower(i);
    if (i == LATENCY_HIST_BUCKETS - 1)
        return lo; /* overflow: no upper bound to interpolate to */
    double hi = (double)latency_hist_lower(i + 1);
    /* The k-th value is the (k - before)-th of the bucket's c: place the
     * c values at the middles of c equal slices of [lo, hi). */
    return lo + (hi - lo) * ((double)(k - before) - 0.5) / (double)h->counts[i];
}

void latency_hist_encode(const struct latency_hist *h, struct sbuf *out)
{
    sbuf_addf(out, "v1;%llu;", (unsigned long long)h->sum_us);
    int first = 1;
    for (size_t i = 0; i < LATENCY_HIST_BUCKETS; i++) {
        if (!h->counts[i])
            continue;
        sbuf_addf(out, "%s%zu:%llu", first ? "" : ",", i, (unsigned long long)h->counts[i]);
        first = 0;
    }
}

struct reader {
    const char *p;
    size_t len, pos;
    struct ferr *err;
};

static int bad(struct reader *r, const char *what)
{
    return ferr_set(r->err, FERR_INVALID_PARAMETER_VALUE,
                    "malformed latency histogram: %s at byte %zu", what, r->pos);
}

/* A canonical decimal: digits, no sign, no leading zero (but "0"). */
static int read_u64(struct reader *r, uint64_t *out)
{
    size_t start = r->pos;
    uint64_t v = 0;
    while (r->pos < r->len && r->p[r->pos] >= '0' && r->p[r->pos] <= '9') {
        unsigned d = (unsigned)(r->p[r->pos] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return bad(r, "a number over 2^64 - 1");
        v = v * 10 + d;
        r->pos++;
    }
    if (r->pos == start)
        return bad(r, "expected a number");
    if (r->p[start] == '0' && r->pos - start > 1) {
        r->pos = start;
        return bad(r, "a number with a leading zero");
    }
    *out = v;
    return 0;
}

static int expect(struct reader *r, char c)
{
    if (r->pos >= r->len || r->p[r->pos] != c) {
        char what[32];
        snprintf(what, sizeof(what), "expected '%c'", c);
        return bad(r, what);
    }
    r->pos++;
    return 0;
}

static int read_buckets(struct reader *r, struct latency_hist *h)
{
    uint64_t total = 0;
    size_t next = 0; /* the smallest index allowed next */
    while (r->pos < r->len) {
        uint64_t i, c;
        if (next && expect(r, ','))
            return -1;
        size_t at = r->pos;
        if (read_u64(r, &i))
            return -1;
        if (i >= LATENCY_HIST_BUCKETS || i < next) {
            r->pos = at;
            return bad(r, i >= LATENCY_HIST_BUCKETS ? "a bucket index out of range"
                                                    : "bucket indexes out of order");
        }
        if (expect(r, ':'))
            return -1;
        at = r->pos;
        if (read_u64(r, &c))
            return -1;
        if (!c || c > UINT64_MAX - total) {
            r->pos = at;
            return bad(r, c ? "a total count over 2^64 - 1" : "a zero count");
        }
        total += c;
        h->counts[i] = c;
        next = (size_t)i + 1;
    }
    return 0;
}

int latency_hist_decode(const char *text, size_t len, struct latency_hist *out, struct ferr *err)
{
    struct reader r = {text, len, 0, err};
    latency_hist_init(out);
    if (len < 3 || memcmp(text, "v1;", 3))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "malformed latency histogram: it does not start with 'v1;'");
    r.pos = 3;
    if (read_u64(&r, &out->sum_us) || expect(&r, ';') || read_buckets(&r, out)) {
        latency_hist_init(out);
        return -1;
    }
    return 0;
}

void latency_hist_atomic_init(struct latency_hist_atomic *h)
{
    for (size_t i = 0; i < LATENCY_HIST_BUCKETS; i++)
        atomic_init(&h->counts[i], 0);
    atomic_init(&h->sum_us, 0);
}

void latency_hist_atomic_add(struct latency_hist_atomic *h, uint64_t us)
{
    atomic_fetch_add_explicit(&h->counts[latency_hist_bucket(us)], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
}

void latency_hist_atomic_snapshot(struct latency_hist_atomic *h, struct latency_hist *out)
{
    for (size_t i = 0; i < LATENCY_HIST_BUCKETS; i++)
        out->counts[i] = atomic_load_explicit(&h->counts[i], memory_order_relaxed);
    out->sum_us = atomic_load_explicit(&h->sum_us, memory_order_relaxed);
}
