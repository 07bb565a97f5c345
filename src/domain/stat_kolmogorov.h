/* SPDX-License-Identifier: MIT
 * The Kolmogorov-Smirnov distributions behind the two-sample KS drift test,
 * as scipy 1.10.1 computes them: Kolmogorov's limiting distribution
 * (scipy.special.kolmogorov), the exact one-sample distribution of D_n
 * (scipy.stats.kstwo.sf, Simard & L'Ecuyer's choice of algorithm per
 * region), and the p-value of scipy.stats.ks_2samp(alternative='two-sided',
 * method='auto'): exact lattice-path counting when both samples have at
 * most 10,000 values, kstwo.sf(d, round(m n / (m + n))) otherwise.
 *
 * Pure functions: no state; the Durbin matrix method and the exact
 * two-sample count take scratch memory (xmalloc: at most a few hundred
 * kilobytes) and free it before returning; thread-safe.
 * Accuracy against scipy (tests/unit/domain/stat_special_test.c; absolute
 * above 1e-3, relative below): kolmogorov 5e-15, smirnov 2e-13, kstwo.sf
 * 2e-12 over n in 1..10^5, ks_2samp 3e-12 over 2,000 (n1, n2, D). One
 * known difference: scipy's Durbin matrix overflows near n = 64383 for tiny
 * D and answers 0 where the survival is 1; this file answers 1. */
#ifndef FERRY_DOMAIN_STAT_KOLMOGOROV_H
#define FERRY_DOMAIN_STAT_KOLMOGOROV_H

#include <stddef.h>
#include <stdint.h>

/* Kolmogorov's limiting survival function P(sqrt(n) D_n > x) as n -> inf:
 * 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2) (scipy.special.kolmogorov); 1 for
 * x <= 0, NAN for a NAN x. */
double stat_kolmogorov_sf(double x);

/* The one-sided exact Smirnov survival function P(D_n^+ >= d)
 * (scipy.special.smirnov(n, d)), by Birnbaum and Tingey's sum; n >= 1. */
double stat_smirnov_sf(uint64_t n, double d);

/* P(D_n >= d) for the two-sided one-sample Kolmogorov-Smirnov statistic of
 * a sample of size n >= 1 (scipy.stats.kstwo.sf(d, n)); NAN for n = 0 or a
 * NAN d. */
double stat_kstwo_sf(double d, uint64_t n);

/* scipy's D statistic of two samples, a[n1] and b[n2] sorted ascending
 * (n1, n2 >= 1): the largest |F1(x) - F2(x)| over the values x of both,
 * each empirical CDF counting values <= x, computed as scipy does in
 * floating point (count / n). O(n1 + n2). */
double stat_ks_2samp_d(const double *a, size_t n1, const double *b, size_t n2);

/* The p-value of scipy.stats.ks_2samp(alternative='two-sided',
 * method='auto') for sample sizes n1, n2 >= 1 and the D of
 * stat_ks_2samp_d. When the exact method runs, scipy replaces D by
 * round(D * lcm) / lcm (lcm = lcm(n1, n2)) and reports that as the
 * statistic: *d_out gets it (or D itself in the asymptotic mode); d_out may
 * be NULL. NAN for n1 or n2 = 0 or a NAN d. The exact method costs up to
 * O(n1 n2) time (about 0.1 s at 10,000 x 10,000) and O(min(n1, n2))
 * memory. */
double stat_ks_2samp_pvalue(uint64_t n1, uint64_t n2, double d, double *d_out);

#endif
