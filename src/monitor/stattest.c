/* SPDX-License-Identifier: MIT
 * Evidently 0.6's drift tests (src/evidently/calculations/stattests/),
 * written from their behaviour, over the scipy functions they call:
 * - ks: scipy.stats.ks_2samp two-sided, method 'auto' (domain/stat_kolmogorov).
 * - chisquare: scipy.stats.chisquare(f_obs = current counts, f_exp =
 *   reference counts * n_cur / n_ref) over the union of both sides' values.
 * - z: the pooled two-proportion z-test of "not the first sorted value",
 *   p = 2 (1 - Phi(|z|)), and p = 1 when both sides hold one same value.
 * - wasserstein: scipy.stats.wasserstein_distance (the area between the two
 *   empirical CDFs) / max(np.std(reference), 0.001).
 * - jensenshannon, psi, kl_div: Evidently's get_binned_data (utils.py):
 *   a numerical column with more than 20 distinct reference values is cut
 *   by np.histogram_bin_edges(reference + current, bins="sturges") and
 *   counted as np.histogram does (bins closed on the left, the last on both
 *   sides); otherwise each value is a category. Shares are count / n. For
 *   psi and kl_div ("feel_zeroes") a zero share becomes min(non-zero
 *   shares) / 10^6 when that minimum is at most 1e-4, else 1e-4. Then
 *   scipy.spatial.distance.jensenshannon (natural log), sum (r - c) log(r / c),
 *   and scipy.stats.entropy(r, c).
 * - hellinger (hellinger_distance.py): categorical, sqrt(1 - sum
 *   sqrt(r_i c_i)); numerical, sturges bins over the DISTINCT values of both
 *   sides, density histograms, sum sqrt(h1 h2) * mean bin width; the sum
 *   clipped to [0, 1].
 * Note that Evidently 0.6 bins with "sturges" although its functions take
 * an n_bins = 30 argument: the argument is never used.
 * Everything runs in one pass over the sorted arrays (merges), with scratch
 * only for the union of values or the bins. */
#include "monitor/stattest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "domain/stat_chi2.h"
#include "domain/stat_dist.h"
#include "domain/stat_kolmogorov.h"

#include "base/banned.h"

static const struct {
    const char *name;
    int pvalue;
    int numerical_only;
    int by_name_numerical, by_name_categorical; /* Evidently's allowed_feature_types */
} tests[STATTEST_COUNT] = {
    [STATTEST_KS] = {"ks", 1, 1, 1, 0},
    [STATTEST_CHISQUARE] = {"chisquare", 1, 0, 0, 1},
    [STATTEST_Z] = {"z", 1, 0, 0, 1},
    [STATTEST_WASSERSTEIN] = {"wasserstein", 0, 1, 1, 0},
    [STATTEST_JENSENSHANNON] = {"jensenshannon", 0, 0, 1, 1},
    [STATTEST_PSI] = {"psi", 0, 0, 1, 1},
    [STATTEST_KL_DIV] = {"kl_div", 0, 0, 1, 1},
    [STATTEST_HELLINGER] = {"hellinger", 0, 0, 1, 1},
};

static int valid_id(enum stattest_id id)
{
    return (int)id >= 0 && (int)id < STATTEST_COUNT;
}

const char *stattest_name(enum stattest_id id)
{
    return valid_id(id) ? tests[id].name : NULL;
}

int stattest_from_name(const char *name, enum stattest_id *out)
{
    for (int i = 0; name && i < STATTEST_COUNT; i++)
        if (!strcmp(tests[i].name, name)) {
            *out = (enum stattest_id)i;
            return 0;
        }
    return -1;
}

int stattest_is_pvalue(enum stattest_id id)
{
    return valid_id(id) && tests[id].pvalue;
}

double stattest_default_threshold(enum stattest_id id)
{
    return stattest_is_pvalue(id) ? 0.05 : 0.1;
}

int stattest_supports(enum stattest_id id, int numerical)
{
    return valid_id(id) && (numerical || !tests[id].numerical_only);
}

int stattest_allowed_by_name(enum stattest_id id, int numerical)
{
    if (!valid_id(id))
        return 0;
    return numerical ? tests[id].by_name_numerical : tests[id].by_name_categorical;
}

/* ---- Value counts ---- */

/* Both sides as counts over the same categories: borrowed from categorical
 * samples, or made from the distinct values of two sorted arrays. */
struct counts {
    const uint64_t *r, *c;
    size_t k;
    uint64_t nr, nc; /* the sides' totals */
    uint64_t *owned; /* r and c when made here: 2 k entries */
};

/* Calls each distinct value of the union of two sorted arrays once, in
 * ascending order, with how many times it occurs on each side. */
#define FOR_EACH_DISTINCT(a, na, b, nb, X, CA, CB, BODY)                                           \
    do {                                                                                           \
        size_t i_ = 0, j_ = 0;                                                                     \
        while (i_ < (na) || j_ < (nb)) {                                                           \
            double X = (j_ >= (nb) || (i_ < (na) && (a)[i_] <= (b)[j_])) ? (a)[i_] : (b)[j_];      \
            uint64_t CA = 0, CB = 0;                                                               \
            while (i_ < (na) && (a)[i_] == X)                                                      \
                i_++, CA++;                                                                        \
            while (j_ < (nb) && (b)[j_] == X)                                                      \
                j_++, CB++;                                                                        \
            BODY                                                                                   \
        }                                                                                          \
    } while (0)

/* The number of distinct values in the union of two sorted arrays. */
static size_t union_distinct(const struct stat_sample *ref, const struct stat_sample *cur)
{
    size_t k = 0;
    FOR_EACH_DISTINCT(ref->v, ref->n, cur->v, cur->n, x, ca, cb, {
        (void)x;
        (void)ca;
        (void)cb;
        k++;
    });
    return k;
}

/* The number of distinct values of a sorted array. */
static size_t distinct(const double *v, size_t n)
{
    size_t k = n > 0;
    for (size_t i = 1; i < n; i++)
        k += v[i] != v[i - 1];
    return k;
}

static void counts_make(struct counts *out, const struct stat_sample *ref,
                        const struct stat_sample *cur)
{
    memset(out, 0, sizeof(*out));
    if (!ref->numerical) {
        out->r = ref->counts;
        out->c = cur->counts;
        out->k = ref->k;
        for (size_t i = 0; i < ref->k; i++) {
            out->nr += ref->counts[i];
            out->nc += cur->counts[i];
        }
        return;
    }
    size_t k = union_distinct(ref, cur);
    uint64_t *owned = xmalloc(2 * k * sizeof(uint64_t));
    size_t at = 0;
    FOR_EACH_DISTINCT(ref->v, ref->n, cur->v, cur->n, x, ca, cb, {
        (void)x;
        owned[at] = ca;
        owned[k + at] = cb;
        at++;
    });
    out->owned = owned;
    out->r = owned;
    out->c = owned + k;
    out->k = k;
    out->nr = ref->n;
    out->nc = cur->n;
}

static void counts_release(struct counts *c)
{
    free(c->owned);
    c->owned = NULL;
}

/* ---- The p-value tests ---- */

static void run_ks(const struct stat_sample *ref, const struct stat_sample *cur,
                   struct stattest_result *out)
{
    double d = stat_ks_2samp_d(ref->v, ref->n, cur->v, cur->n);
    out->p_value = stat_ks_2samp_pvalue(ref->n, cur->n, d, &out->statistic);
}

static void run_chisquare(const struct counts *c, struct stattest_result *out)
{
    double k_norm = (double)c->nc / (double)c->nr, stat = 0;
    size_t cats = 0;
    for (size_t i = 0; i < c->k; i++) {
        if (!c->r[i] && !c->c[i])
            continue;
        cats++;
        double e = (double)c->r[i] * k_norm, o = (double)c->c[i];
        stat += (o - e) * (o - e) / e; /* +INFINITY for a new category */
    }
    out->statistic = stat;
    out->p_value = cats >= 2 ? stat_chi2_sf(stat, (double)(cats - 1)) : NAN;
}

static void run_z(const struct counts *c, struct stattest_result *out)
{
    size_t first = 0, ref_kinds = 0, cur_kinds = 0;
    while (first < c->k && !c->r[first] && !c->c[first])
        first++;
    for (size_t i = 0; i < c->k; i++) {
        ref_kinds += c->r[i] > 0;
        cur_kinds += c->c[i] > 0;
    }
    if (ref_kinds == 1 && cur_kinds == 1) {
        size_t i = 0;
        while (!c->r[i])
            i++;
        if (c->c[i]) { /* one same value on both sides: Evidently's p = 1 */
            out->statistic = 0;
            out->p_value = 1;
            return;
        }
    }
    double n1 = (double)c->nr, n2 = (double)c->nc;
    double p1 = (double)(c->nr - c->r[first]) / n1, p2 = (double)(c->nc - c->c[first]) / n2;
    double pp = (p1 * n1 + p2 * n2) / (n1 + n2);
    double z = (p1 - p2) / sqrt(pp * (1 - pp) * (1.0 / n1 + 1.0 / n2));
    out->statistic = z;
    out->p_value = 2 * (1 - stat_normal_cdf(fabs(z)));
}

/* ---- Wasserstein ---- */

/* Population standard deviation (np.std), two passes, Neumaier sums. */
static double std_pop(const double *v, size_t n)
{
    double s = 0, comp = 0;
    for (size_t i = 0; i < n; i++) {
        double t = s + v[i];
        comp += fabs(s) >= fabs(v[i]) ? (s - t) + v[i] : (v[i] - t) + s;
        s = t;
    }
    double mean = (s + comp) / (double)n;
    s = comp = 0;
    for (size_t i = 0; i < n; i++) {
        double dv = (v[i] - mean) * (v[i] - mean), t = s + dv;
        comp += (s - t) + dv;
        s = t;
    }
    return sqrt((s + comp) / (double)n);
}

/* The area between the two empirical CDFs, integrated over the merged
 * order (scipy's _cdf_distance with p = 1). */
static double wasserstein(const double *a, size_t na, const double *b, size_t nb)
{
    size_t i = 0, j = 0;
    double sum = 0, comp = 0, prev = 0;
    int started = 0;
    while (i < na || j < nb) {
        double x = (j >= nb || (i < na && a[i] <= b[j])) ? a[i] : b[j];
        if (started && x != prev) {
            double t = fabs((double)i / (double)na - (double)j / (double)nb) * (x - prev);
            double s2 = sum + t;
            comp += (sum - s2) + t;
            sum = s2;
        }
        while (i < na && a[i] == x)
            i++;
        while (j < nb && b[j] == x)
            j++;
        prev = x;
        started = 1;
    }
    return sum + comp;
}

static void run_wasserstein(const struct stat_sample *ref, const struct stat_sample *cur,
                            struct stattest_result *out)
{
    double norm = std_pop(ref->v, ref->n);
    if (!(norm >= 0.001))
        norm = 0.001;
    out->statistic = wasserstein(ref->v, ref->n, cur->v, cur->n) / norm;
}

/* ---- Binning ---- */

/* np.histogram_bin_edges(values, bins="sturges") for values spanning
 * [lo, hi] with `size` of them: the number of equal bins, and the edges by
 * np.linspace (edge i = i * step + lo, the last exactly hi) into *edges
 * (allocated, nbins + 1). */
static size_t sturges_edges(double lo, double hi, size_t size, double **edges)
{
    double ptp = hi - lo;
    if (lo == hi) {
        lo -= 0.5;
        hi += 0.5;
    }
    double width = ptp / (log2((double)size) + 1.0);
    size_t nb = width != 0 ? (size_t)ceil((hi - lo) / width) : 1;
    if (nb < 1)
        nb = 1;
    double *e = xmalloc((nb + 1) * sizeof(double)), step = (hi - lo) / (double)nb;
    for (size_t i = 0; i < nb; i++)
        e[i] = (double)i * step + lo;
    e[nb] = hi;
    *edges = e;
    return nb;
}

/* np.histogram(v, edges) of sorted v: bin i holds edges[i] <= x <
 * edges[i+1], the last bin also x == edges[nb]; values outside are not
 * counted. */
static void histogram(const double *v, size_t n, const double *edges, size_t nb, uint64_t *out)
{
    size_t i = 0, bin = 0;
    memset(out, 0, nb * sizeof(uint64_t));
    while (i < n && v[i] < edges[0])
        i++;
    for (; i < n; i++) {
        while (bin + 1 < nb && v[i] >= edges[bin + 1])
            bin++;
        if (bin + 1 == nb && v[i] > edges[nb])
            break;
        out[bin]++;
    }
}

/* Evidently's get_binned_data: shares r[k], c[k] (allocated, 2 k); CNT the
 * value counts, or NULL to bin a numerical column (more than 20 distinct
 * reference values). */
static size_t binned_shares(const struct stat_sample *ref, const struct stat_sample *cur,
                            const struct counts *cnt, int feel_zeroes, double **shares)
{
    size_t k;
    double *s;
    if (!cnt) { /* numerical, more than 20 distinct reference values */
        double *edges;
        double lo = fmin(ref->v[0], cur->v[0]), hi = fmax(ref->v[ref->n - 1], cur->v[cur->n - 1]);
        k = sturges_edges(lo, hi, ref->n + cur->n, &edges);
        uint64_t *h = xmalloc(2 * k * sizeof(uint64_t));
        histogram(ref->v, ref->n, edges, k, h);
        histogram(cur->v, cur->n, edges, k, h + k);
        s = xmalloc(2 * k * sizeof(double));
        for (size_t i = 0; i < k; i++) {
            s[i] = (double)h[i] / (double)ref->n;
            s[k + i] = (double)h[k + i] / (double)cur->n;
        }
        free(h);
        free(edges);
    } else {
        k = 0;
        s = xmalloc(2 * (cnt->k ? cnt->k : 1) * sizeof(double));
        for (size_t i = 0; i < cnt->k; i++)
            if (cnt->r[i] || cnt->c[i])
                k++;
        size_t at = 0;
        for (size_t i = 0; i < cnt->k; i++) {
            if (!cnt->r[i] && !cnt->c[i])
                continue;
            s[at] = (double)cnt->r[i] / (double)cnt->nr;
            s[k + at] = (double)cnt->c[i] / (double)cnt->nc;
            at++;
        }
    }
    if (feel_zeroes) {
        for (int side = 0; side < 2; side++) {
            double *p = s + (size_t)side * k, mn = INFINITY;
            for (size_t i = 0; i < k; i++)
                if (p[i] != 0 && p[i] < mn)
                    mn = p[i];
            double fill = mn <= 0.0001 ? mn / 1e6 : 0.0001;
            for (size_t i = 0; i < k; i++)
                if (p[i] == 0)
                    p[i] = fill;
        }
    }
    *shares = s;
    return k;
}

/* scipy.special.rel_entr */
static double rel_entr(double x, double y)
{
    if (x > 0 && y > 0)
        return x * log(x / y);
    if (x == 0 && y >= 0)
        return 0;
    return INFINITY;
}

static double sum_of(const double *p, size_t k)
{
    double s = 0;
    for (size_t i = 0; i < k; i++)
        s += p[i];
    return s;
}

static double jensenshannon(const double *r, const double *c, size_t k)
{
    double sr = sum_of(r, k), sc = sum_of(c, k), left = 0, right = 0;
    for (size_t i = 0; i < k; i++) {
        double p = r[i] / sr, q = c[i] / sc, m = (p + q) / 2.0;
        left += rel_entr(p, m);
        right += rel_entr(q, m);
    }
    double js = left + right;
    /* scipy would give NAN for a sum rounded below 0: that is 0 */
    return js > 0 ? sqrt(js / 2.0) : 0;
}

static double psi(const double *r, const double *c, size_t k)
{
    double s = 0;
    for (size_t i = 0; i < k; i++)
        s += (r[i] - c[i]) * log(r[i] / c[i]);
    return s;
}

static double kl_div(const double *r, const double *c, size_t k)
{
    double sr = sum_of(r, k), sc = sum_of(c, k), s = 0;
    for (size_t i = 0; i < k; i++)
        s += rel_entr(r[i] / sr, c[i] / sc);
    return s;
}

static double hellinger_categorical(const struct counts *c)
{
    double s = 0;
    for (size_t i = 0; i < c->k; i++)
        s += sqrt((double)c->r[i] / (double)c->nr * ((double)c->c[i] / (double)c->nc));
    s = s < 0 ? 0 : s > 1 ? 1 : s;
    return sqrt(1 - s);
}

static double hellinger_numerical(const struct stat_sample *ref, const struct stat_sample *cur)
{
    /* bins over the distinct values of both sides */
    double lo = fmin(ref->v[0], cur->v[0]), hi = fmax(ref->v[ref->n - 1], cur->v[cur->n - 1]);
    double *edges;
    size_t nb = sturges_edges(lo, hi, union_distinct(ref, cur), &edges);
    uint64_t *h = xmalloc(2 * nb * sizeof(uint64_t));
    histogram(ref->v, ref->n, edges, nb, h);
    histogram(cur->v, cur->n, edges, nb, h + nb);
    uint64_t t1 = 0, t2 = 0;
    for (size_t i = 0; i < nb; i++) {
        t1 += h[i];
        t2 += h[nb + i];
    }
    double bin_width = (edges[nb] - edges[0]) / (double)nb, s = 0;
    for (size_t i = 0; i < nb; i++) {
        double db = edges[i + 1] - edges[i];
        double d1 = (double)h[i] / db / (double)t1, d2 = (double)h[nb + i] / db / (double)t2;
        s += sqrt(d1 * d2) * bin_width;
    }
    free(h);
    free(edges);
    s = s < 0 ? 0 : s > 1 ? 1 : s;
    return sqrt(1 - s);
}

/* ---- Dispatch ---- */

static int check_side(const struct stat_sample *s, const char *which, struct ferr *err)
{
    if (!s)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "no %s sample", which);
    if (s->numerical) {
        if (!s->n || !s->v)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "empty %s sample", which);
        return 0;
    }
    uint64_t total = 0;
    for (size_t i = 0; s->counts && i < s->k; i++)
        total += s->counts[i];
    if (!total)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "empty %s sample", which);
    return 0;
}

static int check_args(enum stattest_id id, const struct stat_sample *ref,
                      const struct stat_sample *cur, double threshold, struct ferr *err)
{
    if (!valid_id(id))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "unknown stattest %d", (int)id);
    if (check_side(ref, "reference", err) || check_side(cur, "current", err))
        return -1;
    if (!ref->numerical != !cur->numerical)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "stattest '%s': reference and current are of different kinds",
                        tests[id].name);
    if (!ref->numerical && ref->k != cur->k)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "stattest '%s': reference and current have %zu and %zu categories",
                        tests[id].name, ref->k, cur->k);
    if (!stattest_supports(id, ref->numerical))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "stattest '%s' applies to numerical columns only", tests[id].name);
    if (isnan(threshold))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "stattest '%s': threshold is NaN",
                        tests[id].name);
    return 0;
}

static void run_binned(enum stattest_id id, const struct stat_sample *ref,
                       const struct stat_sample *cur, struct stattest_result *out)
{
    struct counts counts, *cnt = NULL;
    if (!ref->numerical || distinct(ref->v, ref->n) <= 20) {
        counts_make(&counts, ref, cur);
        cnt = &counts;
    }
    double *s;
    size_t k = binned_shares(ref, cur, cnt, id != STATTEST_JENSENSHANNON, &s);
    if (id == STATTEST_JENSENSHANNON)
        out->statistic = jensenshannon(s, s + k, k);
    else if (id == STATTEST_PSI)
        out->statistic = psi(s, s + k, k);
    else
        out->statistic = kl_div(s, s + k, k);
    free(s);
    if (cnt)
        counts_release(cnt);
}

int stattest_run(enum stattest_id id, const struct stat_sample *ref, const struct stat_sample *cur,
                 double threshold, struct stattest_result *out, struct ferr *err)
{
    out->statistic = out->p_value = out->score = NAN;
    out->drifted = 0;
    if (check_args(id, ref, cur, threshold, err))
        return -1;
    struct counts cnt = {0};
    if (id == STATTEST_CHISQUARE || id == STATTEST_Z ||
        (id == STATTEST_HELLINGER && !ref->numerical))
        counts_make(&cnt, ref, cur);
    switch (id) {
    case STATTEST_KS:
        run_ks(ref, cur, out);
        break;
    case STATTEST_CHISQUARE:
        run_chisquare(&cnt, out);
        break;
    case STATTEST_Z:
        run_z(&cnt, out);
        break;
    case STATTEST_WASSERSTEIN:
        run_wasserstein(ref, cur, out);
        break;
    case STATTEST_JENSENSHANNON:
    case STATTEST_PSI:
    case STATTEST_KL_DIV:
        run_binned(id, ref, cur, out);
        break;
    case STATTEST_HELLINGER:
        out->statistic =
            ref->numerical ? hellinger_numerical(ref, cur) : hellinger_categorical(&cnt);
        break;
    }
    counts_release(&cnt);
    if (tests[id].pvalue) {
        out->score = out->p_value;
        out->drifted = id == STATTEST_KS ? out->p_value <= threshold : out->p_value < threshold;
    } else {
        out->score = out->statistic;
        out->drifted = out->statistic >= threshold;
    }
    return 0;
}
