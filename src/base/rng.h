/* SPDX-License-Identifier: MIT
 * A small, fast, reproducible generator for what needs uniqueness or
 * statistics, not secrecy (request ids, routing draws, bootstrap
 * resamples): xoshiro256** 1.0 (Blackman and Vigna, 2018), seeded from one
 * 64-bit seed through splitmix64 as its authors advise. One struct per
 * user (a thread's own, or a computation's): no locks. Secrets come from
 * OpenSSL (base/ids.h, base/secret.h), never from here. */
#ifndef FERRY_BASE_RNG_H
#define FERRY_BASE_RNG_H

#include <stdint.h>

struct rng {
    uint64_t s[4];
};

/* The same seed gives the same stream on every machine. */
void rng_seed(struct rng *r, uint64_t seed);
/* Seeded from OpenSSL's generator (aborts if it cannot be read). */
void rng_seed_random(struct rng *r);
/* This thread's own generator, seeded from OpenSSL's on first use. */
struct rng *rng_thread(void);
uint64_t rng_next(struct rng *r);
/* Uniform in [0, n), n > 0, without modulo bias (Lemire, "Fast random
 * integer generation in an interval", ACM TOMACS 2019). */
uint64_t rng_below(struct rng *r, uint64_t n);
/* Uniform in [0, 1), 53 bits. */
double rng_unit(struct rng *r);

#endif
