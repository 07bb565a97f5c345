/* SPDX-License-Identifier: MIT
 * A/B statistics between a deployment's targets: hypothesis tests,
 * confidence intervals and the rollout guard's non-inferiority test, each
 * equal to the named reference (statsmodels 0.13 / scipy 1.10, Debian
 * bookworm) to 1e-9, checked in tests/unit/domain/quality_test.c. Pure
 * arithmetic over counts, moments (domain/quality.h) or rows; no I/O.
 *
 * Conventions. "1" is the first target (the stable one, or the one the
 * others are compared against), "2" the other: differences are p1 - p2.
 * alpha is the two-sided error rate of an interval (0.05 for 95%), the
 * one-sided one of the non-inferiority test. Degenerate inputs follow the
 * reference where it gives a number and are refused where it gives none:
 * an empty group (n = 0) is INVALID_PARAMETER_VALUE; a z-test whose
 * standard error is 0 (all successes or all failures in both groups)
 * returns statistic and p-value NAN as statsmodels does (0 / 0). */
#ifndef FERRY_DOMAIN_AB_TEST_H
#define FERRY_DOMAIN_AB_TEST_H

#include "base/ferr.h"
#include "domain/quality.h"

#include <stddef.h>
#include <stdint.h>

/* H1 of a test: statsmodels' 'two-sided' / 'larger' / 'smaller' (scipy's
 * 'two-sided' / 'greater' / 'less'). */
enum ab_alternative { AB_TWO_SIDED, AB_LARGER, AB_SMALLER };

struct ab_test_result {
    double statistic; /* z or t */
    double pvalue;
    double df;   /* Welch's degrees of freedom; NAN for z-tests */
    double diff; /* the estimated difference, group 1 - group 2 */
};

struct ab_interval {
    double low, high;
};

/* The two-proportion z-test with pooled variance, H0: p1 = p2:
 * statsmodels.stats.proportion.proportions_ztest([x1, x2], [n1, n2],
 * alternative=...). z = (p1 - p2) / sqrt(p(1 - p)(1/n1 + 1/n2)) with p the
 * pooled proportion. For accuracy x is the correct rows, for precision the
 * true positives among predicted positives, for recall among actual
 * positives. x > n or n = 0 is an error. */
int ab_proportions_ztest(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2,
                         enum ab_alternative alt, struct ab_test_result *out,
                         struct ferr *err) WARN_UNUSED;

/* Welch's unequal-variance t-test on two groups' summaries (per-row
 * errors, e.g. quality_regression's abs_err or sq_err):
 * scipy.stats.ttest_ind(a, b, equal_var=False, alternative=...), the
 * p-value from Student's t CDF with the Welch-Satterthwaite df (df = 1
 * when both variances are 0, as scipy: t is then +-infinity, or NAN with
 * a NAN p-value if the means are equal too). A group of fewer than 2 rows
 * is an error (scipy answers nan). */
int ab_welch_ttest(const struct quality_moments *a, const struct quality_moments *b,
                   enum ab_alternative alt, struct ab_test_result *out,
                   struct ferr *err) WARN_UNUSED;
/* The same over arrays of values. */
int ab_welch_ttest_arrays(const double *a, size_t na, const double *b, size_t nb,
                          enum ab_alternative alt, struct ab_test_result *out,
                          struct ferr *err) WARN_UNUSED;

/* The t interval for a mean (e.g. a target's mean absolute error) at
 * level 1 - alpha: mean -+ t(1 - alpha/2, n - 1) sqrt(var / n), as
 * statsmodels' DescrStatsW(x).tconfint_mean(alpha). Fewer than 2 rows is
 * an error. */
int ab_mean_interval(const struct quality_moments *m, double alpha, struct ab_interval *out,
                     struct ferr *err) WARN_UNUSED;

/* Welch's interval for mean(a) - mean(b): diff -+ t(1 - alpha/2, df)
 * sqrt(var_a / n_a + var_b / n_b) with the Welch-Satterthwaite df, as
 * statsmodels' CompareMeans(DescrStatsW(a), DescrStatsW(b))
 * .tconfint_diff(alpha, usevar='unequal'). Fewer than 2 rows in a group is
 * an error; both variances 0 gives the point [diff, diff]. */
int ab_welch_interval(const struct quality_moments *a, const struct quality_moments *b,
                      double alpha, struct ab_interval *out, struct ferr *err) WARN_UNUSED;

/* The Wilson score interval for a proportion x / n at level 1 - alpha:
 * statsmodels' proportion_confint(x, n, alpha, method='wilson'). Chosen
 * over the Wald interval because it stays inside [0, 1] and keeps its
 * coverage near 0 and 1, where accuracies live. */
int ab_wilson_interval(uint64_t x, uint64_t n, double alpha, struct ab_interval *out,
                       struct ferr *err) WARN_UNUSED;

/* Newcombe's hybrid score interval for p1 - p2 (Newcombe 1998, method
 * 10), built from the two Wilson intervals: statsmodels'
 * confint_proportions_2indep(x1, n1, x2, n2, method='newcomb',
 * compare='diff', alpha=alpha), its default for differences. */
int ab_newcombe_diff_interval(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2, double alpha,
                              struct ab_interval *out, struct ferr *err) WARN_UNUSED;

/* The rollout guard's quality term (guards: {min_accuracy_delta: delta}):
 * is the candidate's accuracy p_c = xc / nc not worse than the stable
 * one's p_s = xs / ns by more than |delta|? One-sided Wald z-test with
 * unpooled variance of H0: p_c - p_s <= delta against H1: p_c - p_s >
 * delta,
 *     z = (p_c - p_s - delta) / sqrt(p_c(1 - p_c)/nc + p_s(1 - p_s)/ns),
 *     p = 1 - Phi(z),
 * statsmodels' test_proportions_2indep(xc, nc, xs, ns, value=delta,
 * method='wald', compare='diff', alternative='larger'). Unpooled because
 * under H0 the two proportions differ by delta (a pooled estimate assumes
 * they are equal). out->non_inferior is 1 when p < alpha. When both
 * accuracies are 0 or 1 the variance is 0: z is then +-infinity (p 0 or 1)
 * by the sign of p_c - p_s - delta, or NAN (not non-inferior) if it is 0. */
struct ab_noninferiority {
    struct ab_test_result test; /* statistic z, pvalue, diff p_c - p_s */
    int non_inferior;           /* 1: H0 rejected at alpha */
};

int ab_noninferiority_test(uint64_t xc, uint64_t nc, uint64_t xs, uint64_t ns, double delta,
                           double alpha, struct ab_noninferiority *out,
                           struct ferr *err) WARN_UNUSED;

/* Seeded percentile bootstrap. Each of `resamples` resamples draws n row
 * indices uniformly with replacement and recomputes the metric; the
 * interval is the alpha/2 and 1 - alpha/2 quantiles of the resampled
 * values with numpy.percentile's default (linear) interpolation: for
 * sorted values v[0..m-1] and q, h = (m - 1) q, v[floor h] + (h - floor h)
 * (v[floor h + 1] - v[floor h]). Resamples where the metric is undefined
 * (AUC with one class only) are skipped and counted.
 *
 * Determinism: the generator is xoshiro256** (Blackman and Vigna, 2018)
 * seeded by four outputs of splitmix64(seed); an index below n is
 * floor(r * n / 2^64) for the first 64-bit output r whose r * n mod 2^64
 * is at least 2^64 mod n (Lemire's method: no modulo bias). The same seed gives the same interval
 * on every machine; tests/tools/quality_reference.py reproduces the draws in Python. */
struct ab_bootstrap_opts {
    uint32_t resamples; /* > 0, e.g. 1000 */
    uint64_t seed;
    double alpha; /* 0 < alpha < 1; 0.05 for a 95% interval */
};

struct ab_bootstrap {
    double estimate;  /* the metric on the rows themselves */
    double low, high; /* the percentile interval (NAN if no resample was usable) */
    uint32_t used;    /* resamples with a defined metric */
};

/* F1 of the positive class (zero_division 0): truth[i], pred[i] are 1 when
 * row i's true / predicted class is the positive one. */
int ab_bootstrap_f1(const unsigned char *truth, const unsigned char *pred, size_t n,
                    const struct ab_bootstrap_opts *opts, struct ab_bootstrap *out,
                    struct ferr *err) WARN_UNUSED;
/* ROC AUC from the positive class's scores; one class only in the rows
 * themselves is an error. */
int ab_bootstrap_auc(const double *score, const unsigned char *truth, size_t n,
                     const struct ab_bootstrap_opts *opts, struct ab_bootstrap *out,
                     struct ferr *err) WARN_UNUSED;

#endif
