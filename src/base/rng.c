/* SPDX-License-Identifier: MIT */
#include "base/rng.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/banned.h"

static uint64_t splitmix64(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

void rng_seed(struct rng *r, uint64_t seed)
{
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&seed);
}

void rng_seed_random(struct rng *r)
{
    uint64_t seed;
    if (RAND_bytes((unsigned char *)&seed, sizeof(seed)) != 1) {
        fprintf(stderr, "ferry: OpenSSL RAND_bytes failed\n");
        abort();
    }
    rng_seed(r, seed);
}

struct rng *rng_thread(void)
{
    static _Thread_local struct rng r;
    static _Thread_local int seeded;
    if (!seeded) {
        rng_seed_random(&r);
        seeded = 1;
    }
    return &r;
}

static uint64_t rotl(uint64_t v, int k)
{
    return (v << k) | (v >> (64 - k));
}

uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

/* The 128-bit product a * b as its high and low halves, from 32-bit
 * pieces (ISO C has no 128-bit type). */
static uint64_t mul128(uint64_t a, uint64_t b, uint64_t *lo)
{
    uint64_t a0 = a & 0xffffffffu, a1 = a >> 32, b0 = b & 0xffffffffu, b1 = b >> 32;
    uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
    uint64_t mid = (p00 >> 32) + (p01 & 0xffffffffu) + (p10 & 0xffffffffu);
    *lo = (mid << 32) | (p00 & 0xffffffffu);
    return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
}

/* The high half of r * n, rejecting r when the low half falls below
 * 2^64 mod n: no modulo bias and, nearly always, no division. */
uint64_t rng_below(struct rng *r, uint64_t n)
{
    uint64_t lo, hi = mul128(rng_next(r), n, &lo);
    if (lo < n) {
        uint64_t threshold = (0 - n) % n;
        while (lo < threshold)
            hi = mul128(rng_next(r), n, &lo);
    }
    return hi;
}

double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}
