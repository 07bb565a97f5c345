/* SPDX-License-Identifier: MIT */
#include "domain/stat_dist.h"

#include <math.h>

#include "base/banned.h"

double stat_normal_cdf(double z)
{
    return 0.5 * erfc(-z / M_SQRT2);
}

double stat_normal_sf(double z)
{
    return 0.5 * erfc(z / M_SQRT2);
}

/* Peter J. Acklam's rational approximation of the normal quantile
 * ("An algorithm for computing the inverse normal cumulative distribution
 * function", 2003; relative error below 1.15e-9), with his published
 * coefficients. */
static double acklam(double p)
{
    static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
                               -2.759285104469687e+02, 1.383577518672690e+02,
                               -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
                               -1.556989798598866e+02, 6.680131188771972e+01,
                               -1.328068155288572e+01};
    static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
                               -2.400758277161838e+00, -2.549732539343734e+00,
                               4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                               3.754408661907416e+00};
    const double plow = 0.02425;
    if (p < plow) {
        double q = sqrt(-2 * log(p));
        return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    if (p > 1 - plow) {
        double q = sqrt(-2 * log1p(-p));
        return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
               ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

double stat_normal_ppf(double p)
{
    if (isnan(p) || p < 0 || p > 1)
        return NAN;
    if (p == 0)
        return -INFINITY;
    if (p == 1)
        return INFINITY;
    double x = acklam(p);
    /* One Halley step on f(x) = Phi(x) - p (Acklam's refinement), twice
     * for good measure: each roughly cubes the relative error. The lower
     * tail is worked on the side where the probability is small, so the
     * difference keeps its digits. */
    for (int i = 0; i < 2; i++) {
        double e = x < 0 ? stat_normal_cdf(x) - p : (1 - p) - stat_normal_sf(x);
        double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
        x = x - u / (1 + x * u / 2);
    }
    return x;
}

/* The continued fraction of I_x(a, b) (DLMF 8.17.22, the form Numerical
 * Recipes' betacf evaluates), summed by the modified Lentz algorithm
 * (Lentz 1976; Thompson and Barnett, J. Comput. Phys. 64, 1986). It
 * converges fast for x < (a + 1) / (a + b + 2); the caller uses the
 * symmetry I_x(a, b) = 1 - I_{1-x}(b, a) otherwise. */
static double betacf(double a, double b, double x)
{
    const double tiny = 1e-300, eps = 1e-16;
    double qab = a + b, qap = a + 1, qam = a - 1;
    double c = 1, d = 1 - qab * x / qap;
    if (fabs(d) < tiny)
        d = tiny;
    d = 1 / d;
    double h = d;
    for (int m = 1; m <= 10000; m++) {
        int m2 = 2 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1 / d;
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1 + aa * d;
        if (fabs(d) < tiny)
            d = tiny;
        c = 1 + aa / c;
        if (fabs(c) < tiny)
            c = tiny;
        d = 1 / d;
        double del = d * c;
        h *= del;
        if (fabs(del - 1) < eps)
            break;
    }
    return h;
}

/* lgamma(x) minus its Stirling approximation (x - 1/2) log x - x +
 * log(2 pi) / 2, for x >= 15, by the asymptotic series (Abramowitz and
 * Stegun 6.1.41); the next term is below 2.2e-16 there. */
static double stirling_corr(double x)
{
    double r = 1 / x, r2 = r * r;
    return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 * (1.0 / 1680 - r2 / 1188))));
}

/* log(Gamma(a + b) / (Gamma(a) Gamma(b))). Straight from lgamma the big
 * terms cancel (at df = 10^5, lgamma(50000) is 5e5 and the answer 5), so
 * when the larger argument is 15 or more its ratio is taken from Stirling's
 * series instead: log(Gamma(a + b) / Gamma(a)) = (a - 1/2) log1p(b / a) +
 * b log(a + b) - b + corr(a + b) - corr(a), with no big terms at all. */
static double log_inv_beta(double a, double b)
{
    double big = a > b ? a : b, small = a > b ? b : a;
    if (big < 15)
        return lgamma(a + b) - lgamma(a) - lgamma(b);
    double ratio = (big - 0.5) * log1p(small / big) + small * log(big + small) - small +
                   stirling_corr(big + small) - stirling_corr(big);
    return ratio - lgamma(small);
}

/* I_x(a, b) given x, y = 1 - x and their logarithms, each computed by the
 * caller without cancellation (for the t distribution, x = df / (df + t^2),
 * y = t^2 / (df + t^2), log x = -log1p(t^2 / df)). */
static double incbeta_xy(double a, double b, double x, double y, double lx, double ly)
{
    if (x <= 0)
        return 0;
    if (y <= 0)
        return 1;
    double lfront = log_inv_beta(a, b) + a * lx + b * ly;
    if (x < (a + 1) / (a + b + 2))
        return exp(lfront) * betacf(a, b, x) / a;
    return 1 - exp(lfront) * betacf(b, a, y) / b;
}

double stat_incbeta(double a, double b, double x)
{
    if (!(a > 0) || !(b > 0) || !(x >= 0) || !(x <= 1))
        return NAN;
    return incbeta_xy(a, b, x, 1 - x, log(x), log1p(-x));
}

double stat_student_t_cdf(double t, double df)
{
    if (isnan(t) || !(df > 0))
        return NAN;
    if (isinf(t))
        return t > 0 ? 1 : 0;
    double t2 = t * t;
    /* P(T > |t|) = I_x(df/2, 1/2) / 2 with x = df / (df + t^2). */
    double x = df / (df + t2), y = t2 / (df + t2);
    double tail = 0.5 * incbeta_xy(df / 2, 0.5, x, y, -log1p(t2 / df), log(y));
    return t < 0 ? tail : 1 - tail;
}

double stat_student_t_sf(double t, double df)
{
    return stat_student_t_cdf(-t, df);
}

double stat_student_t_ppf(double p, double df)
{
    if (isnan(p) || p < 0 || p > 1 || !(df > 0))
        return NAN;
    if (p == 0)
        return -INFINITY;
    if (p == 1)
        return INFINITY;
    if (p == 0.5)
        return 0;
    /* Solve P(T > t) = q for t > 0 on the smaller tail, then mirror. */
    double q = p < 0.5 ? p : 1 - p;
    double lo = 0, hi = 1;
    while (stat_student_t_sf(hi, df) > q && hi < 1e300)
        hi *= 2;
    for (int i = 0; i < 2000 && hi - lo > 1e-15 * hi; i++) {
        double mid = lo + (hi - lo) / 2;
        if (stat_student_t_sf(mid, df) > q)
            lo = mid;
        else
            hi = mid;
    }
    double t = lo + (hi - lo) / 2;
    return p < 0.5 ? -t : t;
}
