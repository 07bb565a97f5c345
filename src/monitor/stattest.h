/* SPDX-License-Identifier: MIT
 * Evidently's (0.6) column drift tests by name: ks, chisquare, z,
 * wasserstein, jensenshannon, psi, kl_div, hellinger. Each compares one
 * column of a reference sample with the same column of a current sample and
 * gives the statistic, the p-value (for the three hypothesis tests), the
 * score compared with the threshold, and Evidently's drift decision.
 *
 * The figures equal what Evidently computes through scipy 1.10.1
 * (scipy.stats.ks_2samp with method='auto', scipy.stats.chisquare,
 * scipy.stats.wasserstein_distance, scipy.spatial.distance.jensenshannon,
 * scipy.stats.entropy) to about 1e-14 on the statistics and p-values of
 * tests/unit/monitor/stattest_test.c.
 *
 * Not here: choosing the default test per column, type inference, dropping
 * missing values (the caller: drift_report), reading data. Pure functions:
 * no state; scratch (xmalloc) for the bins or the union of values, freed
 * before return; thread-safe. O(n + m) on sorted input, except ks's exact
 * mode (both sides <= 10,000 values: up to O(n m), 0.7 s at 10,000 x
 * 9,999 with a large D). chisquare and z on a numerical column hold the
 * union of its distinct values (16 bytes each). */
#ifndef FERRY_MONITOR_STATTEST_H
#define FERRY_MONITOR_STATTEST_H

#include <stddef.h>
#include <stdint.h>

#include "base/ferr.h"

enum stattest_id {
    STATTEST_KS,
    STATTEST_CHISQUARE,
    STATTEST_Z,
    STATTEST_WASSERSTEIN,
    STATTEST_JENSENSHANNON,
    STATTEST_PSI,
    STATTEST_KL_DIV,
    STATTEST_HELLINGER,
};
#define STATTEST_COUNT 8

/* Evidently's name of a test: "ks", "chisquare", "z", "wasserstein",
 * "jensenshannon", "psi", "kl_div", "hellinger"; NULL for an unknown id. */
const char *stattest_name(enum stattest_id id);
/* The test named NAME (exactly Evidently's name) into *out: 0, or -1 for an
 * unknown name (*out untouched). */
int stattest_from_name(const char *name, enum stattest_id *out);
/* 1 for the tests whose score is a p-value (ks, chisquare, z: drift at
 * p < threshold), 0 for the distances (drift at distance >= threshold). */
int stattest_is_pvalue(enum stattest_id id);
/* Evidently's default threshold: 0.05 for p-value tests, 0.1 for
 * distances. */
double stattest_default_threshold(enum stattest_id id);
/* 1 if the test applies to a column of that kind (numerical 1 or
 * categorical 0): ks and wasserstein are numerical only; the others take
 * both (a numerical column is binned or value-counted as Evidently does). */
int stattest_supports(enum stattest_id id, int numerical);

/* 1 if Evidently 0.6 accepts the test BY NAME for a column of that kind
 * (its allowed_feature_types): ks and wasserstein numerical only;
 * chisquare and z categorical only; the four others both. Evidently's
 * default choice still runs chisquare and z on numerical columns with few
 * values (registry.py's _get_default_stattest bypasses the check), so
 * stattest_run accepts them there; use this to refuse a user's
 * `--stattest col=chisquare` on a numerical column as Evidently does. */
int stattest_allowed_by_name(enum stattest_id id, int numerical);

/* One side of one column; missing and infinite values already dropped by
 * the caller. Numerical: v sorted ascending (n values; counts, k unused).
 * Categorical: counts[k] per category, category i being the same category
 * on both sides (k the union of both sides' categories; a side's count may
 * be 0; a category with 0 on both sides is ignored); v, n unused. Both
 * sides of one test have the same kind and, if categorical, the same k.
 * Order: z compares the first category (the first with a count on either
 * side) against all others, as Evidently compares its smallest sorted key;
 * list categories in ascending order of their values so that z with more
 * than two categories equals Evidently's. Numerical values are counted as
 * categories by equality of doubles (chisquare, z, and the binned tests on
 * a column with at most 20 distinct reference values). */
struct stat_sample {
    int numerical;
    const double *v;
    size_t n;
    const uint64_t *counts;
    size_t k;
};

struct stattest_result {
    double
        statistic;  /* the test's statistic (chisquare: +INFINITY when a category has 0 expected) */
    double p_value; /* NAN for distance tests */
    double score;   /* what is compared with the threshold: p_value for p tests, statistic else */
    int drifted;    /* Evidently's comparison: p < threshold; distance >= threshold */
};

/* Runs test ID on one column: REF against CUR, deciding at THRESHOLD
 * (stattest_default_threshold(id) for Evidently's default) with
 * Evidently's comparison per test: ks drifts at p <= threshold (its
 * ks_stattest.py), chisquare and z at p < threshold, the distances at
 * value >= threshold. A NAN p-value (chisquare with a single category:
 * scipy's chi2.sf with 0 degrees of freedom) never drifts.
 * Statistics: ks D (scipy's rounded D in its exact mode), chisquare's
 * chi-squared, z the two-proportion z (0 when Evidently's shortcut gives
 * p = 1), wasserstein the distance over the reference's population standard
 * deviation (at least 0.001), jensenshannon the distance (natural log),
 * psi and kl_div over Evidently's binning with zero shares replaced,
 * hellinger as Evidently's hellinger_distance.py. Errors
 * (FERR_INVALID_PARAMETER_VALUE): an empty side, sides of different kinds,
 * a test that does not support the kind (ks on a categorical column), a
 * NAN threshold. */
int stattest_run(enum stattest_id id, const struct stat_sample *ref, const struct stat_sample *cur,
                 double threshold, struct stattest_result *out, struct ferr *err) WARN_UNUSED;

#endif
