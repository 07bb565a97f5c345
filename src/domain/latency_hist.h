/* SPDX-License-Identifier: MIT
 * A mergeable latency histogram: fixed, log-spaced buckets of whole
 * microseconds, the same in every process, so that histograms from several
 * gateways (or several minutes) add up bucket by bucket and a p99 can be
 * read from the sum (p99s themselves cannot be averaged).
 *
 * Buckets. B(i) = ceil(50 * 2^(i/8)) us for i = 0..LATENCY_HIST_TOP, so
 * B(0) = 50 us and B(170) = 124.7 s (past the 60 s default request
 * timeout, models/model.h). Bucket 0 holds [0, 50 us), bucket i (1..170)
 * [B(i-1), B(i)), and bucket 171 everything from 124.7 s up (overflow).
 * Eight buckets per doubling (a factor of 1.0905) rather than ~1.2: the
 * rollout controller compares a candidate's p99 with the stable target's,
 * and 9% resolution tells apart what 20% would blur; the price is 172
 * counters (1.4 KiB) per histogram and, since the text is sparse, a few
 * hundred bytes per stored row. B is computed with IEEE multiplications of
 * constants only (no libm), so every machine draws the same boundaries.
 *
 * Error bound. latency_hist_quantile(q) finds the bucket holding the
 * nearest-rank q-quantile (the ceil(q * n)-th smallest value) and
 * interpolates linearly inside it, so the answer lies in the same bucket
 * as the true value: for a true value v in [50 us, 124.7 s) the error is
 * at most B(i) - B(i-1) <= 0.0905 * v + 1 us; below 50 us it is at most
 * 50 us; in the overflow bucket the answer is its floor, 124.7 s (a lower
 * bound: an overflow quantile means "at least that").
 *
 * Text (a database column): "v1;SUM;I:C,I:C,..." with SUM the total of
 * the added microseconds and one I:C per non-empty bucket (index and
 * count, decimal, indexes strictly ascending, counts > 0), e.g.
 * "v1;1234;3:2,40:1"; an empty histogram is "v1;0;". The encoding is
 * canonical: decode(encode(h)) == h and encode(decode(t)) == t.
 *
 * Threads: struct latency_hist is plain data (one owner at a time);
 * struct latency_hist_atomic takes concurrent adds from request threads
 * (relaxed atomic increments, no lock) and is read by snapshotting it into
 * a plain one. */
#ifndef FERRY_DOMAIN_LATENCY_HIST_H
#define FERRY_DOMAIN_LATENCY_HIST_H

#include "base/ferr.h"
#include "base/sbuf.h"

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define LATENCY_HIST_TOP     170                    /* index of the last finite bound */
#define LATENCY_HIST_BUCKETS (LATENCY_HIST_TOP + 2) /* [0, B(0)), ..., overflow */

struct latency_hist {
    uint64_t counts[LATENCY_HIST_BUCKETS]; /* values per bucket (saturating) */
    uint64_t sum_us;                       /* total of the values added (saturating) */
};

#define LATENCY_HIST_INIT                                                                          \
    {                                                                                              \
        {0}, 0                                                                                     \
    }

void latency_hist_init(struct latency_hist *h);
/* The bucket index a value of us microseconds falls in. */
size_t latency_hist_bucket(uint64_t us);
/* Bucket i's lower bound in us (0 for bucket 0); its upper bound is
 * latency_hist_lower(i + 1) (none for the overflow bucket). */
uint64_t latency_hist_lower(size_t i);
void latency_hist_add(struct latency_hist *h, uint64_t us);
/* into += from, bucket by bucket (the histogram of both streams). */
void latency_hist_merge(struct latency_hist *into, const struct latency_hist *from);
/* How many values were added (saturating). */
uint64_t latency_hist_count(const struct latency_hist *h);
/* The q-quantile (0 <= q <= 1; outside is clamped) in us, within the
 * bound above; NAN for an empty histogram. */
double latency_hist_quantile(const struct latency_hist *h, double q);

/* Appends h's text. */
void latency_hist_encode(const struct latency_hist *h, struct sbuf *out);
/* Reads the len bytes at text (no NUL needed) into *out. Anything but
 * the canonical text above (an unknown version, a bad number, an index
 * out of range or out of order, a zero count, a total over 2^64 - 1) is
 * INVALID_PARAMETER_VALUE naming the problem and where; *out is then
 * empty. */
int latency_hist_decode(const char *text, size_t len, struct latency_hist *out,
                        struct ferr *err) WARN_UNUSED;

/* The hot path's version: any number of threads may add at once. */
struct latency_hist_atomic {
    atomic_ullong counts[LATENCY_HIST_BUCKETS];
    atomic_ullong sum_us;
};

void latency_hist_atomic_init(struct latency_hist_atomic *h);
void latency_hist_atomic_add(struct latency_hist_atomic *h, uint64_t us);
/* Copies the counts into *out. Not one instant's cut while adds run
 * (a value may show in count but not yet in sum), but every count read
 * is one that was reached: good for metrics and periodic flushes. */
void latency_hist_atomic_snapshot(struct latency_hist_atomic *h, struct latency_hist *out);

#endif
