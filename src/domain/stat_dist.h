/* SPDX-License-Identifier: MIT
 * The few probability distributions ferry's A/B statistics need: the
 * standard normal (CDF, survival, quantile) and Student's t (CDF,
 * survival) through the regularized incomplete beta function. Pure
 * functions of their arguments; no state, no allocation, thread-safe.
 *
 * Accuracy: the normal CDF is libm's erfc (a relative error of a few
 * ulps, tails included); the quantile is Acklam's rational approximation
 * polished by two Halley steps against erfc (about 1e-15 relative); the t
 * CDF is a continued fraction converged to 1e-16 times a prefactor whose
 * log-gamma ratio comes from Stirling's series for large df (no
 * cancellation): against mpmath, 1e-16 relative at df = 1000 and 2e-12 at
 * df = 10^5 (where x = df / (df + t^2) carries its rounding into the
 * fraction). These are what scipy.stats.norm and scipy.special.stdtr give to
 * within 1e-9 (tests/unit/domain/quality_test.c). */
#ifndef FERRY_DOMAIN_STAT_DIST_H
#define FERRY_DOMAIN_STAT_DIST_H

/* P(Z <= z) for a standard normal Z; NAN for a NAN z. */
double stat_normal_cdf(double z);
/* P(Z > z) = stat_normal_cdf(-z), computed without cancellation. */
double stat_normal_sf(double z);
/* The z with P(Z <= z) = p: -INFINITY at 0, INFINITY at 1, NAN outside
 * [0, 1] (scipy.stats.norm.ppf). */
double stat_normal_ppf(double p);

/* The regularized incomplete beta function I_x(a, b) for a, b > 0 and
 * 0 <= x <= 1; NAN otherwise. */
double stat_incbeta(double a, double b, double x);
/* P(T <= t) for Student's t with df > 0 degrees of freedom (df need not be
 * whole; scipy.special.stdtr(df, t)); NAN for a NAN t or df <= 0. */
double stat_student_t_cdf(double t, double df);
/* P(T > t) = stat_student_t_cdf(-t, df). */
double stat_student_t_sf(double t, double df);
/* The t with P(T <= t) = p (scipy.stats.t.ppf): bisection on the CDF to a
 * relative 1e-15; -INFINITY at 0, INFINITY at 1, NAN outside [0, 1] or
 * for df <= 0. */
double stat_student_t_ppf(double p, double df);

#endif
