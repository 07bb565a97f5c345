/* SPDX-License-Identifier: MIT */
#include "domain/ab_test.h"
#include "base/rng.h"

#include "base/xalloc.h"
#include "domain/stat_dist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* x / 0 as IEEE arithmetic gives it (what numpy answers), spelled out so
 * no sanitizer or trap setting is involved. */
static double ratio(double x, double y)
{
    if (y != 0)
        return x / y;
    if (x == 0 || isnan(x))
        return NAN;
    return x > 0 ? INFINITY : -INFINITY;
}

/* The p-value of a standard normal statistic z (statsmodels'
 * _zstat_generic2). */
static double z_pvalue(double z, enum ab_alternative alt)
{
    switch (alt) {
    case AB_LARGER:
        return stat_normal_sf(z);
    case AB_SMALLER:
        return stat_normal_cdf(z);
    case AB_TWO_SIDED:
        break;
    }
    return 2 * stat_normal_sf(fabs(z));
}

static int check_counts(uint64_t x, uint64_t n, struct ferr *err)
{
    if (!n)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a group has no rows");
    if (x > n)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "count %llu is more than the group's %llu rows", (unsigned long long)x,
                        (unsigned long long)n);
    return 0;
}

static int check_alpha(double alpha, struct ferr *err)
{
    if (!(alpha > 0 && alpha < 1))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "alpha '%g' is not in (0, 1)", alpha);
    return 0;
}

int ab_proportions_ztest(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2,
                         enum ab_alternative alt, struct ab_test_result *out, struct ferr *err)
{
    out->statistic = out->pvalue = out->df = out->diff = NAN;
    if (check_counts(x1, n1, err) || check_counts(x2, n2, err))
        return -1;
    double p1 = (double)x1 / (double)n1, p2 = (double)x2 / (double)n2;
    double pooled = (double)(x1 + x2) / (double)(n1 + n2);
    double var = pooled * (1 - pooled) * (1.0 / (double)n1 + 1.0 / (double)n2);
    out->diff = p1 - p2;
    out->statistic = ratio(out->diff, sqrt(var));
    out->pvalue = isnan(out->statistic) ? NAN : z_pvalue(out->statistic, alt);
    return 0;
}

int ab_welch_ttest(const struct quality_moments *a, const struct quality_moments *b,
                   enum ab_alternative alt, struct ab_test_result *out, struct ferr *err)
{
    out->statistic = out->pvalue = out->df = out->diff = NAN;
    if (a->n < 2 || b->n < 2)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Welch's t-test needs at least 2 rows per group, got %llu and %llu",
                        (unsigned long long)a->n, (unsigned long long)b->n);
    double n1 = (double)a->n, n2 = (double)b->n;
    double vn1 = quality_moments_var(a) / n1, vn2 = quality_moments_var(b) / n2;
    double df_den = vn1 * vn1 / (n1 - 1) + vn2 * vn2 / (n2 - 1);
    out->df = df_den == 0 ? 1 : (vn1 + vn2) * (vn1 + vn2) / df_den;
    out->diff = a->mean - b->mean;
    out->statistic = ratio(out->diff, sqrt(vn1 + vn2));
    double t = out->statistic;
    if (isnan(t))
        return 0;
    switch (alt) {
    case AB_LARGER:
        out->pvalue = stat_student_t_sf(t, out->df);
        break;
    case AB_SMALLER:
        out->pvalue = stat_student_t_cdf(t, out->df);
        break;
    case AB_TWO_SIDED:
        out->pvalue = 2 * stat_student_t_cdf(-fabs(t), out->df);
        break;
    }
    return 0;
}

int ab_welch_ttest_arrays(const double *a, size_t na, const double *b, size_t nb,
                          enum ab_alternative alt, struct ab_test_result *out, struct ferr *err)
{
    struct quality_moments ma = QUALITY_MOMENTS_INIT, mb = QUALITY_MOMENTS_INIT;
    for (size_t i = 0; i < na; i++)
        quality_moments_add(&ma, a[i]);
    for (size_t i = 0; i < nb; i++)
        quality_moments_add(&mb, b[i]);
    if (!isfinite(ma.m2 + ma.mean) || !isfinite(mb.m2 + mb.mean)) {
        out->statistic = out->pvalue = out->df = out->diff = NAN;
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a value is not finite");
    }
    return ab_welch_ttest(&ma, &mb, alt, out, err);
}

int ab_mean_interval(const struct quality_moments *m, double alpha, struct ab_interval *out,
                     struct ferr *err)
{
    out->low = out->high = NAN;
    if (check_alpha(alpha, err))
        return -1;
    if (m->n < 2)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a mean's interval needs at least 2 rows, got %llu",
                        (unsigned long long)m->n);
    double half = stat_student_t_ppf(1 - alpha / 2, (double)(m->n - 1)) *
                  sqrt(quality_moments_var(m) / (double)m->n);
    out->low = m->mean - half;
    out->high = m->mean + half;
    return 0;
}

int ab_welch_interval(const struct quality_moments *a, const struct quality_moments *b,
                      double alpha, struct ab_interval *out, struct ferr *err)
{
    struct ab_test_result t;
    out->low = out->high = NAN;
    if (check_alpha(alpha, err) || ab_welch_ttest(a, b, AB_TWO_SIDED, &t, err))
        return -1;
    double se = sqrt(quality_moments_var(a) / (double)a->n + quality_moments_var(b) / (double)b->n);
    double half = se == 0 ? 0 : stat_student_t_ppf(1 - alpha / 2, t.df) * se;
    out->low = t.diff - half;
    out->high = t.diff + half;
    return 0;
}

int ab_wilson_interval(uint64_t x, uint64_t n, double alpha, struct ab_interval *out,
                       struct ferr *err)
{
    out->low = out->high = NAN;
    if (check_counts(x, n, err) || check_alpha(alpha, err))
        return -1;
    /* statsmodels' arithmetic, term for term. */
    double nobs = (double)n, q = (double)x / nobs;
    double crit = -stat_normal_ppf(alpha / 2), crit2 = crit * crit;
    double denom = 1 + crit2 / nobs;
    double center = (q + crit2 / (2 * nobs)) / denom;
    double dist = crit * sqrt(q * (1 - q) / nobs + crit2 / (4 * nobs * nobs)) / denom;
    out->low = center - dist;
    out->high = center + dist;
    return 0;
}

int ab_newcombe_diff_interval(uint64_t x1, uint64_t n1, uint64_t x2, uint64_t n2, double alpha,
                              struct ab_interval *out, struct ferr *err)
{
    struct ab_interval w1, w2;
    out->low = out->high = NAN;
    if (ab_wilson_interval(x1, n1, alpha, &w1, err) || ab_wilson_interval(x2, n2, alpha, &w2, err))
        return -1;
    double p1 = (double)x1 / (double)n1, p2 = (double)x2 / (double)n2, diff = p1 - p2;
    out->low = diff - sqrt((p1 - w1.low) * (p1 - w1.low) + (w2.high - p2) * (w2.high - p2));
    out->high = diff + sqrt((p2 - w2.low) * (p2 - w2.low) + (w1.high - p1) * (w1.high - p1));
    return 0;
}

int ab_noninferiority_test(uint64_t xc, uint64_t nc, uint64_t xs, uint64_t ns, double delta,
                           double alpha, struct ab_noninferiority *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    out->test.statistic = out->test.pvalue = out->test.df = out->test.diff = NAN;
    if (check_counts(xc, nc, err) || check_counts(xs, ns, err) || check_alpha(alpha, err))
        return -1;
    if (!isfinite(delta))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "delta '%g' is not finite", delta);
    double pc = (double)xc / (double)nc, ps = (double)xs / (double)ns;
    double var = pc * (1 - pc) / (double)nc + ps * (1 - ps) / (double)ns;
    out->test.diff = pc - ps;
    out->test.statistic = ratio(pc - ps - delta, sqrt(var));
    if (isnan(out->test.statistic))
        return 0;
    out->test.pvalue = stat_normal_sf(out->test.statistic);
    out->non_inferior = out->test.pvalue < alpha;
    return 0;
}

/* ---- Bootstrap ---- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* numpy.percentile(v, 100 q), linear interpolation; v sorted, m > 0. */
static double percentile(const double *v, size_t m, double q)
{
    double h = (double)(m - 1) * q, fl = floor(h);
    size_t i = (size_t)fl;
    if (i + 1 >= m)
        return v[m - 1];
    return v[i] + (h - fl) * (v[i + 1] - v[i]);
}

static int check_opts(const struct ab_bootstrap_opts *o, size_t n, struct ferr *err)
{
    if (!n)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "no labeled rows");
    if (!o->resamples)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "resamples must be positive");
    return check_alpha(o->alpha, err);
}

/* Sorts the m usable values and sets the interval. */
static void finish(double *values, uint32_t m, double alpha, struct ab_bootstrap *out)
{
    out->used = m;
    if (!m)
        return;
    qsort(values, m, sizeof(*values), cmp_double);
    out->low = percentile(values, m, alpha / 2);
    out->high = percentile(values, m, 1 - alpha / 2);
}

static double f1_of(uint64_t tp, uint64_t fp, uint64_t fn)
{
    double p, r;
    p = tp + fp ? (double)tp / (double)(tp + fp) : 0;
    r = tp + fn ? (double)tp / (double)(tp + fn) : 0;
    return p + r == 0 ? 0 : 2 * p * r / (p + r);
}

int ab_bootstrap_f1(const unsigned char *truth, const unsigned char *pred, size_t n,
                    const struct ab_bootstrap_opts *opts, struct ab_bootstrap *out,
                    struct ferr *err)
{
    out->estimate = out->low = out->high = NAN;
    out->used = 0;
    if (check_opts(opts, n, err))
        return -1;
    uint64_t tp = 0, fp = 0, fn = 0;
    for (size_t i = 0; i < n; i++) {
        tp += truth[i] && pred[i];
        fp += !truth[i] && pred[i];
        fn += truth[i] && !pred[i];
    }
    out->estimate = f1_of(tp, fp, fn);
    struct rng rng;
    rng_seed(&rng, opts->seed);
    double *values = xmalloc(opts->resamples * sizeof(*values));
    for (uint32_t b = 0; b < opts->resamples; b++) {
        tp = fp = fn = 0;
        for (size_t j = 0; j < n; j++) {
            size_t i = (size_t)rng_below(&rng, n);
            tp += truth[i] && pred[i];
            fp += !truth[i] && pred[i];
            fn += truth[i] && !pred[i];
        }
        values[b] = f1_of(tp, fp, fn);
    }
    finish(values, opts->resamples, opts->alpha, out);
    free(values);
    return 0;
}

/* Rows sorted once; a resample is a weight per sorted row (how often it
 * was drawn), so each resample's AUC is one pass, not a sort. */
int ab_bootstrap_auc(const double *score, const unsigned char *truth, size_t n,
                     const struct ab_bootstrap_opts *opts, struct ab_bootstrap *out,
                     struct ferr *err)
{
    out->estimate = out->low = out->high = NAN;
    out->used = 0;
    if (check_opts(opts, n, err) || quality_roc_auc(score, truth, n, &out->estimate, err))
        return -1;
    struct quality_auc_row *rows = xmalloc(n * sizeof(*rows));
    for (size_t i = 0; i < n; i++) {
        rows[i].score = score[i];
        rows[i].positive = (uint32_t)i; /* the original index, until sorted */
    }
    size_t *where = xmalloc(n * sizeof(*where));
    uint32_t *weight = xmalloc(n * sizeof(*weight));
    double *values = xmalloc(opts->resamples * sizeof(*values));
    int rc = quality_auc_sort(rows, n, err); /* scores were checked: cannot fail */
    for (size_t k = 0; k < n; k++) {
        where[rows[k].positive] = k;
        rows[k].positive = truth[rows[k].positive] != 0;
    }
    struct rng rng;
    rng_seed(&rng, opts->seed);
    uint32_t m = 0;
    for (uint32_t b = 0; b < opts->resamples; b++) {
        memset(weight, 0, n * sizeof(*weight));
        for (size_t j = 0; j < n; j++)
            weight[where[rng_below(&rng, n)]]++;
        double auc = quality_auc_sorted(rows, weight, n);
        if (!isnan(auc))
            values[m++] = auc;
    }
    finish(values, m, opts->alpha, out);
    free(values);
    free(weight);
    free(where);
    free(rows);
    return rc;
}
