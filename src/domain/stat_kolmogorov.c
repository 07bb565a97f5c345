/* SPDX-License-Identifier: MIT
 * References:
 * [BT]  Z. W. Birnbaum, F. H. Tingey, "One-sided confidence contours for
 *       probability distribution functions", Ann. Math. Stat. 22 (1951).
 * [D]   J. Durbin, "The probability that the sample distribution function lies
 *       between two parallel straight lines", Ann. Math. Stat. 39 (1968).
 * [MTW] G. Marsaglia, W. W. Tsang, J. Wang, "Evaluating Kolmogorov's
 *       distribution", J. Stat. Software 8(18) (2003): Durbin's matrix method.
 * [PG]  W. Pelz, I. J. Good, "Approximating the lower tail-areas of the
 *       Kolmogorov-Smirnov one-sample statistic", JRSS B 38 (1976).
 * [RG]  H. Ruben, J. Gambino, "The exact distribution of Kolmogorov's
 *       statistic D_n for n <= 10", Ann. Inst. Stat. Math. 34 (1982).
 * [SL]  R. Simard, P. L'Ecuyer, "Computing the two-sided Kolmogorov-Smirnov
 *       distribution", J. Stat. Software 39(11) (2011): which method where.
 * [H]   J. L. Hodges, "The significance probability of the Smirnov two-sample
 *       test", Arkiv for Matematik 3 (1958): lattice paths.
 * [V]   T. Viehmann, "Numerically more stable computation of the p-values for
 *       the two-sample Kolmogorov-Smirnov test", arXiv:2102.08037 (2021).
 * [L]   C. Loader, "Fast and accurate computation of binomial probabilities"
 *       (2000): the binomial terms of [BT] (domain/stat_chi2.h).
 * The region boundaries are scipy 1.10.1's (scipy/stats/_ksstats.py, after
 * [SL]), so that the p-values agree with scipy's to rounding. Where scipy
 * uses Pomeranz's recursion (n <= 140, 0.754693 < n d^2 <= 4) this file uses
 * Durbin's matrix: both are exact, and the matrix there is at most 47 x 47. */
#include "domain/stat_kolmogorov.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/xalloc.h"
#include "domain/stat_chi2.h"

#include "base/banned.h"

#define SQRT_2PI 2.506628274631000502415765284811

double stat_kolmogorov_sf(double x)
{
    if (isnan(x))
        return NAN;
    if (x <= 0)
        return 1;
    if (x >= 1) {
        /* 2 sum (-1)^(k-1) exp(-2 k^2 x^2): terms fall fast for x >= 1. */
        double p = 0, sign = 1;
        for (double k = 1; k < 100; k++, sign = -sign) {
            double t = exp(-2 * x * x * k * k);
            p += sign * t;
            if (t == 0 || t <= p * 1e-17)
                break;
        }
        return 2 * p;
    }
    /* Jacobi's theta transform: 1 - sqrt(2 pi) / x sum_{k>=1}
     * exp(-(2k-1)^2 pi^2 / (8 x^2)), fast for small x. */
    double alpha = -M_PI * M_PI / (8 * x * x), p = 0;
    for (double r = 1; r < 200; r += 2) {
        double t = exp(alpha * r * r);
        p += t;
        if (t == 0 || t <= p * 1e-17)
            break;
    }
    return 1 - p * SQRT_2PI / x;
}

/* The binomial probability C(n, v) p^v q^(n-v) with np = n p, nq = n q
 * given exactly enough (Loader's dbinom_raw, [L]). */
static double binom_term(double v, double n, double np, double nq)
{
    if (v == 0)
        return exp(np < 0.1 * n ? -stat_bd0(n, nq) - np : n * log(nq / n));

    if (v == n)
        return exp(nq < 0.1 * n ? -stat_bd0(n, np) - nq : n * log(np / n));
    double lc = stat_stirlerr(n) - stat_stirlerr(v) - stat_stirlerr(n - v) - stat_bd0(v, np) -
                stat_bd0(n - v, nq);
    return exp(lc) / sqrt(2 * M_PI * v * (n - v) / n);
}

double stat_smirnov_sf(uint64_t n, double d)
{
    if (n == 0 || isnan(d))
        return NAN;
    if (d <= 0)
        return 1;
    if (d >= 1)
        return 0;
    /* [BT]: sum_{v=0}^{floor(n(1-d))} C(n,v) d (d + v/n)^(v-1) (1 - d - v/n)^(n-v),
     * each term d / p times a binomial probability at p = d + v/n. */
    double nd = (double)n * d, fn = (double)n;
    double last = floor(fn * (1 - d)), sum = 0;
    for (double v = 0; v <= last; v++) {
        /* n p = v + n d and n q = n - v - n d, each rounded once */
        double np = fma(fn, d, v), nq = fma(-fn, d, fn - v);
        if (nq <= 0)
            break;
        sum += nd / np * binom_term(v, fn, np, nq);
    }
    return sum;
}

/* ---- Durbin's matrix, as [MTW] evaluate it ---- */

struct scaled_matrix {
    double *a; /* m x m, row-major */
    int e;     /* the value is a * 2^e */
};

static void mat_mul(const double *x, const double *y, double *out, int m)
{
    for (int i = 0; i < m; i++) {
        double *row = out + (size_t)i * m;
        for (int j = 0; j < m; j++)
            row[j] = 0;
        for (int l = 0; l < m; l++) {
            double xil = x[(size_t)i * m + l];
            if (xil == 0)
                continue;
            const double *yl = y + (size_t)l * m;
            for (int j = 0; j < m; j++)
                row[j] += xil * yl[j];
        }
    }
}

/* Keeps the centre element below 2^128 by moving powers of two to e. */
static void rescale(struct scaled_matrix *s, int m, int centre)
{
    if (fabs(s->a[(size_t)centre * m + centre]) > 0x1p128) {
        for (size_t i = 0; i < (size_t)m * m; i++)
            s->a[i] = ldexp(s->a[i], -128);
        s->e += 128;
    }
}

/* P(D_n < d) by Durbin's matrix [D] [MTW]: with n d = k - h (k an integer,
 * 0 <= h < 1) and m = 2k - 1, the (k, k) entry of H^n times n! / n^n. */
static double kolmogn_durbin_cdf(uint64_t n, double d)
{
    double nd = (double)n * d;
    if (d >= 1)
        return 1;
    if (nd <= 0.5)
        return 0;
    int k = (int)ceil(nd), m = 2 * k - 1;
    double h = k - nd;
    size_t mm = (size_t)m * m;
    double *buf = xmalloc(4 * mm * sizeof(double));
    double *hm = buf, *pw = buf + mm, *tmp = buf + 2 * mm, *v = buf + 3 * mm;
    /* v[j] = (1 - h^(j+1)) / (j+1)!, the last one (1 - 2 h^m + max(0, 2h-1)^m) / m!;
     * H[i][j] = 1 / (i - j + 1)! below the first superdiagonal; H's first
     * column is v, its last row v reversed. */
    double fac = 1;
    memset(hm, 0, mm * sizeof(double));
    for (int j = 0; j < m; j++) {
        fac /= (j + 1);
        v[j] = (1 - pow(h, j + 1)) * fac;
    }
    v[m - 1] = (1 + pow(fmax(2 * h - 1, 0), m) - 2 * pow(h, m)) * fac;
    /* tmp[t] = 1 / t! for t < m (tmp is free until the products start) */
    tmp[0] = 1;
    for (int t = 1; t < m; t++)
        tmp[t] = tmp[t - 1] / t;
    for (int i = 0; i < m; i++)
        for (int j = 1; j <= i + 1 && j < m; j++)
            hm[(size_t)i * m + j] = tmp[i - j + 1];
    for (int i = 0; i < m; i++)
        hm[(size_t)i * m] = v[i];
    for (int j = 0; j < m; j++)
        hm[(size_t)(m - 1) * m + j] = v[m - 1 - j];

    struct scaled_matrix base = {hm, 0}, acc = {pw, 0};
    memset(pw, 0, mm * sizeof(double));
    for (int i = 0; i < m; i++)
        pw[(size_t)i * m + i] = 1;
    for (uint64_t e = n; e > 0; e >>= 1) {
        if (e & 1) {
            mat_mul(acc.a, base.a, tmp, m);
            memcpy(acc.a, tmp, mm * sizeof(double));
            acc.e += base.e;
            rescale(&acc, m, k - 1);
        }
        if (e > 1) {
            mat_mul(base.a, base.a, tmp, m);
            memcpy(base.a, tmp, mm * sizeof(double));
            base.e *= 2;
            rescale(&base, m, k - 1);
        }
    }
    double p = acc.a[(size_t)(k - 1) * m + (k - 1)];
    long expnt = acc.e;
    free(buf);
    /* times n! / n^n, keeping p away from underflow */
    for (uint64_t i = 1; i <= n; i++) {
        p = (double)i * p / (double)n;
        if (fabs(p) < 0x1p-128) {
            p = ldexp(p, 128);
            expnt -= 128;
        }
    }
    return ldexp(p, (int)expnt);
}

/* P(D_n <= d) by Pelz and Good's asymptotic series [PG] in z = d sqrt(n):
 * K0(z) + K1(z) / sqrt(n) + K2(z) / n + K3(z) / n^1.5, each K written as
 * the theta-function sums that converge fast for small z ([SL] eq. 12). */
static double kolmogn_pelz_good_cdf(double n, double d)
{
    if (d <= 0)
        return 0;
    if (d >= 1)
        return 1;
    double z = sqrt(n) * d, z2 = z * z, z4 = z2 * z2, z6 = z4 * z2;
    double pi2 = M_PI * M_PI, pi4 = pi2 * pi2, pi6 = pi4 * pi2;
    if (-pi2 / 8 / z2 < -708)
        return 0;
    int kmax = (int)ceil(16 * z / M_PI);
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int k = kmax; k >= 1; k--) {
        double mo = 2.0 * k - 1, m2 = mo * mo, m4 = m2 * m2, m6 = m4 * m2;
        double q = exp(-pi2 * m2 / (8 * z2));
        s0 += q;
        s1 += (pi2 * m2 / 4 - z2) * q;
        s2 +=
            (6 * z6 + 2 * z4 + (2 * z4 - 5 * z2) * pi2 * m2 / 4 + pi4 * (1 - 2 * z2) * m4 / 16) * q;
        s3 += (-30 * z6 - 90 * z6 * z2 + pi2 * (135 * z4 - 96 * z6) * m2 / 4 +
               pi4 * (212 * z4 - 60 * z2) * m4 / 16 + pi6 * (5 - 30 * z2) * m6 / 64) *
              q;
    }
    double k0 = SQRT_2PI / z * s0;
    double k1 = SQRT_2PI / (6 * z4) * s1;
    double k2 = SQRT_2PI / (72 * z6 * z) * s2;
    double k3 = SQRT_2PI / (6480 * z6 * z4) * s3;
    double e2 = 0, e3 = 0;
    for (int k = kmax; k >= 1; k--) {
        double kk = (double)k * k, q = exp(-pi2 * kk / (2 * z2));
        e2 += kk * q;
        e3 += (3 * z2 - pi2 * kk) * kk * q;
    }
    k2 -= pi2 * SQRT_2PI / (36 * z2 * z) * e2;
    k3 += pi2 * SQRT_2PI / (216 * z6) * e3;
    return k0 + k1 / sqrt(n) + k2 / n + k3 / (n * sqrt(n));
}

static double clip01(double p)
{
    return p < 0 ? 0 : p > 1 ? 1 : p;
}

double stat_kstwo_sf(double d, uint64_t n)
{
    if (n == 0 || isnan(d))
        return NAN;
    if (d >= 1)
        return 0;
    if (d <= 0)
        return 1;
    double fn = (double)n, t = fn * d;
    if (t <= 1) { /* [RG]: P(D_n <= d) = n! / n^n (2t - 1)^n for 1/2n <= d <= 1/n */
        if (t <= 0.5)
            return 1;
        double cdf;
        if (n <= 140) {
            cdf = 1;
            for (uint64_t i = 1; i <= n; i++)
                cdf *= (double)i * (1.0 / fn) * (2 * t - 1);
        } else {
            /* log(n! / n^n) = log(sqrt(2 pi n)) - n + stirlerr(n) */
            cdf = exp(0.5 * log(2 * M_PI * fn) - fn + stat_stirlerr(fn) + fn * log(2 * t - 1));
        }
        return clip01(1 - cdf);
    }
    if (t >= fn - 1) /* [RG] */
        return clip01(2 * pow(1 - d, fn));
    if (d >= 0.5) /* the two one-sided tails cannot both happen */
        return clip01(2 * stat_smirnov_sf(n, d));
    double nd2 = t * d;
    if (n <= 140) {
        if (nd2 <= 4)
            return clip01(1 - kolmogn_durbin_cdf(n, d));
        return clip01(2 * stat_smirnov_sf(n, d));
    }
    if (nd2 >= 370)
        return 0;
    if (nd2 >= 2.2)
        return clip01(2 * stat_smirnov_sf(n, d));
    double cdf = (n <= 100000 && fn * pow(d, 1.5) <= 1.4) ? kolmogn_durbin_cdf(n, d)
                                                          : kolmogn_pelz_good_cdf(fn, d);
    return clip01(1 - clip01(cdf));
}

/* ---- Two samples ---- */

double stat_ks_2samp_d(const double *a, size_t n1, const double *b, size_t n2)
{
    /* scipy evaluates cdf1 - cdf2 at every value of both samples, each
     * cdf counting the values <= x; walking the merged order and
     * evaluating after the last copy of each value gives the same set. */
    double maxs = -INFINITY, mins = INFINITY;
    size_t i = 0, j = 0;
    while (i < n1 || j < n2) {
        double x = (j >= n2 || (i < n1 && a[i] <= b[j])) ? a[i] : b[j];
        while (i < n1 && a[i] <= x)
            i++;
        while (j < n2 && b[j] <= x)
            j++;
        double diff = (double)i / (double)n1 - (double)j / (double)n2;
        if (diff > maxs)
            maxs = diff;
        if (diff < mins)
            mins = diff;
    }
    double minus = clip01(-mins);
    return minus > maxs ? minus : maxs;
}

static uint64_t gcd64(uint64_t a, uint64_t b)
{
    while (b) {
        uint64_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static int64_t floor_div(int64_t a, int64_t b) /* b > 0 */
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static int64_t ceil_div(int64_t a, int64_t b) /* b > 0 */
{
    return -floor_div(-a, b);
}

/* P(D_{n,n} >= h/n) = 2 sum_{k>=1} (-1)^(k-1) C(2n, n - kh) / C(2n, n), each
 * ratio a product of h factors, nested Horner-like so nothing cancels
 * (the equal-size case of [H]; scipy's _compute_prob_outside_square). */
static double prob_outside_square(int64_t n, int64_t h)
{
    double p = 0;
    for (int64_t k = n / h; k >= 0; k--) {
        double p1 = 1;
        for (int64_t j = 0; j < h; j++)
            p1 = (double)(n - k * h - j) * p1 / (double)(n + k * h + j + 1);
        p = p1 * (1 - p);
    }
    return 2 * p;
}

/* 1 - (paths from (0,0) to (m,n) staying strictly inside |x/m - y/n| <
 * h / lcm) / C(m + n, n), by [V]'s recursion for the complement over a
 * sliding window of one column ([H]'s inside method); m >= n. */
static double prob_outside_band(int64_t m, int64_t n, int64_t g, int64_t h)
{
    int64_t mg = m / g, ng = n / g;
    int64_t minj = 0, maxj = ceil_div(h, mg);
    if (maxj > n + 1)
        maxj = n + 1;
    int64_t curlen = maxj - minj;
    int64_t len = 2 * maxj + 2 < n + 1 ? 2 * maxj + 2 : n + 1;
    double *a = xmalloc((size_t)(len + 1) * sizeof(double));
    for (int64_t j = 0; j <= len; j++)
        a[j] = j < maxj ? 0.0 : 1.0;
    double result = 1;
    for (int64_t i = 1; i <= m; i++) {
        int64_t lastminj = minj, lastlen = curlen;
        minj = floor_div(ng * i - h, mg) + 1;
        if (minj < 0)
            minj = 0;
        if (minj > n)
            minj = n;
        maxj = ceil_div(ng * i + h, mg);
        if (maxj > n + 1)
            maxj = n + 1;
        if (maxj <= minj)
            goto out;
        double val = minj == 0 ? 0.0 : 1.0;
        for (int64_t jj = 0; jj < maxj - minj; jj++) {
            int64_t j = jj + minj, from = jj + minj - lastminj;
            double prev = from < len ? a[from] : 1.0;
            val = (prev * (double)i + val * (double)j) / (double)(i + j);
            a[jj] = val;
        }
        curlen = maxj - minj;
        for (int64_t jj = curlen; jj < curlen + (lastlen - curlen) && jj < len; jj++)
            a[jj] = 1;
    }
    result = a[maxj - minj - 1];
out:
    free(a);
    return result;
}

double stat_ks_2samp_pvalue(uint64_t n1, uint64_t n2, double d, double *d_out)
{
    if (d_out)
        *d_out = d;
    if (n1 == 0 || n2 == 0 || isnan(d))
        return NAN;
    uint64_t g = gcd64(n1, n2);
    if ((n1 > n2 ? n1 : n2) <= 10000) {
        /* scipy's exact mode: D as a whole number h of 1/lcm steps */
        double lcm = (double)(n1 / g) * (double)n2;
        double h = nearbyint(d * lcm);
        d = h / lcm;
        if (d_out)
            *d_out = d;
        if (h == 0)
            return 1;
        double p = n1 == n2
                       ? prob_outside_square((int64_t)n1, (int64_t)h)
                       : prob_outside_band((int64_t)(n1 > n2 ? n1 : n2),
                                           (int64_t)(n1 > n2 ? n2 : n1), (int64_t)g, (int64_t)h);
        if (p >= 0 && p <= 1)
            return p;
        /* scipy falls back to the asymptotic mode, keeping the rounded D */
    }
    double m = (double)(n1 > n2 ? n1 : n2), n = (double)(n1 > n2 ? n2 : n1);
    double en = m * n / (m + n);
    return clip01(stat_kstwo_sf(d, (uint64_t)nearbyint(en)));
}
