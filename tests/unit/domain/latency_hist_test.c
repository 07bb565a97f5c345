/* SPDX-License-Identifier: MIT
 * domain/latency_hist.c: quantiles within the stated bound, merging,
 * the text's round trip and refusals. */
#include "../test.h"
#include "domain/latency_hist.h"

#include <math.h>

/* A small deterministic generator (xorshift64*), so failures reproduce. */
static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The nearest-rank quantile of sorted values. */
static uint64_t exact_quantile(const uint64_t *v, size_t n, double q)
{
    double k = ceil(q * (double)n);
    size_t i = k < 1 ? 0 : (size_t)k - 1;
    return v[i < n ? i : n - 1];
}

/* The header's bound for a true value v. */
static double allowed(uint64_t v)
{
    if (v < 50)
        return 50;
    return 0.0905077326652577 * (double)v + 1;
}

static void check_quantiles(uint64_t *v, size_t n, const char *what)
{
    struct latency_hist h = LATENCY_HIST_INIT;
    for (size_t i = 0; i < n; i++)
        latency_hist_add(&h, v[i]);
    qsort(v, n, sizeof(*v), cmp_u64);
    ASSERT_INT_EQ(latency_hist_count(&h), n);
    static const double qs[] = {0, 0.01, 0.1, 0.5, 0.9, 0.95, 0.99, 0.999, 1};
    for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
        uint64_t want = exact_quantile(v, n, qs[i]);
        double got = latency_hist_quantile(&h, qs[i]);
        if (fabs(got - (double)want) > allowed(want))
            FAIL_AT("%s: q %g: %g, exact %llu, off by more than %g", what, qs[i], got,
                    (unsigned long long)want, allowed(want));
    }
}

TEST(latency_hist_buckets_are_log_spaced)
{
    ASSERT_INT_EQ(latency_hist_bucket(0), 0);
    ASSERT_INT_EQ(latency_hist_bucket(49), 0);
    ASSERT_INT_EQ(latency_hist_bucket(50), 1);
    ASSERT_INT_EQ(latency_hist_lower(1), 50);
    ASSERT_INT_EQ(latency_hist_lower(2), 55);
    ASSERT_INT_EQ(latency_hist_lower(9), 100); /* 50 * 2 */
    ASSERT_INT_EQ(latency_hist_lower(LATENCY_HIST_TOP + 1), 124697404);
    ASSERT_INT_EQ(latency_hist_bucket(124697403), LATENCY_HIST_TOP);
    ASSERT_INT_EQ(latency_hist_bucket(124697404), LATENCY_HIST_TOP + 1);
    ASSERT_INT_EQ(latency_hist_bucket(UINT64_MAX), LATENCY_HIST_TOP + 1);
    for (size_t i = 1; i < LATENCY_HIST_BUCKETS; i++) {
        uint64_t lo = latency_hist_lower(i);
        ASSERT(lo > latency_hist_lower(i - 1));
        ASSERT_INT_EQ(latency_hist_bucket(lo), i);
        ASSERT_INT_EQ(latency_hist_bucket(lo - 1), i - 1);
        if (i + 1 < LATENCY_HIST_BUCKETS) /* the width bound the error bound rests on */
            ASSERT((double)(latency_hist_lower(i + 1) - lo) <= allowed(lo));
    }
}

TEST(latency_hist_quantiles_of_known_distributions)
{
    enum { N = 20000 };
    uint64_t *v = malloc(N * sizeof(*v));
    ASSERT(v);
    uint64_t s = 42;
    for (size_t i = 0; i < N; i++) /* uniform 1 ms .. 11 ms */
        v[i] = 1000 + rng_next(&s) % 10000;
    check_quantiles(v, N, "uniform");
    for (size_t i = 0; i < N; i++) /* exponential, mean 5 ms */
        v[i] = (uint64_t)(-5000.0 * log(1 - rng_unit(&s)));
    check_quantiles(v, N, "exponential");
    for (size_t i = 0; i < N; i++) /* log-normal around 2 ms with a heavy tail */
        v[i] = (uint64_t)(2000.0 * exp(1.5 * sqrt(-2 * log(1 - rng_unit(&s))) *
                                       cos(6.283185307179586 * rng_unit(&s))));
    check_quantiles(v, N, "log-normal");
    for (size_t i = 0; i < N; i++) /* bimodal: fast hits, slow misses (1%) */
        v[i] = i % 100 ? 200 + rng_next(&s) % 50 : 80000 + rng_next(&s) % 40000;
    check_quantiles(v, N, "bimodal");
    for (size_t i = 0; i < N; i++) /* every value the same */
        v[i] = 7777;
    check_quantiles(v, N, "constant");
    free(v);
    struct latency_hist h = LATENCY_HIST_INIT;
    ASSERT(isnan(latency_hist_quantile(&h, 0.99)));
    latency_hist_add(&h, 200000000); /* 200 s: overflow answers its floor */
    ASSERT(latency_hist_quantile(&h, 0.99) == 124697404.0);
}

TEST(latency_hist_merge_equals_both_streams)
{
    struct latency_hist a = LATENCY_HIST_INIT, b = LATENCY_HIST_INIT, both = LATENCY_HIST_INIT;
    uint64_t s = 7;
    for (int i = 0; i < 5000; i++) {
        uint64_t x = rng_next(&s) % 3000000, y = 30 + rng_next(&s) % 900;
        latency_hist_add(&a, x);
        latency_hist_add(&b, y);
        latency_hist_add(&both, x);
        latency_hist_add(&both, y);
    }
    latency_hist_merge(&a, &b);
    ASSERT(!memcmp(&a, &both, sizeof(a)));
    ASSERT_INT_EQ(latency_hist_count(&a), 10000);
}

TEST(latency_hist_atomic_adds_and_snapshots)
{
    struct latency_hist_atomic *ah = malloc(sizeof(*ah));
    ASSERT(ah);
    latency_hist_atomic_init(ah);
    struct latency_hist plain = LATENCY_HIST_INIT, snap;
    for (uint64_t us = 0; us < 200000; us += 37) {
        latency_hist_atomic_add(ah, us);
        latency_hist_add(&plain, us);
    }
    latency_hist_atomic_snapshot(ah, &snap);
    ASSERT(!memcmp(&snap, &plain, sizeof(snap)));
    free(ah);
}

TEST(latency_hist_text_round_trip)
{
    struct ferr err = FERR_INIT;
    struct latency_hist h = LATENCY_HIST_INIT, back;
    struct sbuf sb = SBUF_INIT;
    latency_hist_encode(&h, &sb);
    ASSERT_STR_EQ(sb.buf, "v1;0;");
    ASSERT_OK(latency_hist_decode(sb.buf, sb.len, &back, &err), &err);
    ASSERT(!memcmp(&h, &back, sizeof(h)));
    latency_hist_add(&h, 10);
    latency_hist_add(&h, 60);
    latency_hist_add(&h, 60);
    latency_hist_add(&h, 500000000);
    sbuf_reset(&sb);
    latency_hist_encode(&h, &sb);
    ASSERT_STR_EQ(sb.buf, "v1;500000130;0:1,3:2,171:1");
    ASSERT_OK(latency_hist_decode(sb.buf, sb.len, &back, &err), &err);
    ASSERT(!memcmp(&h, &back, sizeof(h)));
    uint64_t s = 3;
    for (int i = 0; i < 100000; i++)
        latency_hist_add(&h, rng_next(&s) % 200000000);
    sbuf_reset(&sb);
    latency_hist_encode(&h, &sb);
    ASSERT_OK(latency_hist_decode(sb.buf, sb.len, &back, &err), &err);
    ASSERT(!memcmp(&h, &back, sizeof(h)));
    /* No NUL needed: a prefix of a longer buffer decodes on its own. */
    ASSERT_OK(latency_hist_decode("v1;9;3:1,4:2XYZ", 12, &back, &err), &err);
    ASSERT_INT_EQ(latency_hist_count(&back), 3);
    ASSERT_INT_EQ(back.sum_us, 9);
    sbuf_release(&sb);
}

TEST(latency_hist_refuses_malformed_text)
{
    static const char *const bad[] = {
        "",
        "v1",
        "v2;0;",
        "V1;0;",
        "v1;;",
        "v1;0",
        "v1;-1;",
        "v1;01;",
        "v1;0;3",
        "v1;0;3:",
        "v1;0;3:0",
        "v1;0;3:1,",
        "v1;0;,3:1",
        "v1;0;3:1,3:1",
        "v1;0;4:1,3:1",
        "v1;0;172:1",
        "v1;0;99999999999999999999:1",
        "v1;0;3:18446744073709551616",
        "v1;0;3:18446744073709551615,4:1",
        "v1;0;3:1;",
        "v1;0;3:1 ",
        "v1;0; 3:1",
        "v1;0;3:+1",
        "v1;0;03:1",
        "v1;18446744073709551616;",
    };
    struct ferr err = FERR_INIT;
    struct latency_hist h;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ferr_clear(&err);
        if (!latency_hist_decode(bad[i], strlen(bad[i]), &h, &err))
            FAIL_AT("'%s' decoded", bad[i]);
        ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
        ASSERT_CONTAINS(err.msg, "malformed latency histogram");
        ASSERT_INT_EQ(latency_hist_count(&h), 0);
    }
    ASSERT_FAILS(latency_hist_decode("v1;0;3:1\0", 9, &h, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "byte 8");
    ASSERT_OK(latency_hist_decode("v1;0;3:18446744073709551615", 27, &h, &err), &err);
}
