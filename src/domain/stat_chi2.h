/* SPDX-License-Identifier: MIT
 * The regularized incomplete gamma functions and the chi-squared
 * distribution's survival function: what scipy.special.gammainc,
 * scipy.special.gammaincc and scipy.stats.chi2.sf give, for the chi-squared
 * drift test (monitor/stattest.c) with up to thousands of categories.
 *
 * Also the two building blocks of Catherine Loader's saddle-point method
 * (stat_bd0, stat_stirlerr), which stat_kolmogorov.c shares for its
 * binomial terms. Pure functions; no state, no allocation, thread-safe.
 *
 * Accuracy: the prefactor x^a e^-x / Gamma(a) is Loader's
 * exp(-bd0 - stirlerr) form, with no cancellation for large a; the series
 * and the continued fraction then converge to 1e-16. Against scipy
 * 1.10.1 on a grid of a in [0.5, 5000] and x in [1e-3 a, 30 a] the
 * difference stays below 4e-13 (absolute above 1e-3, relative below) while
 * the value is at least 1e-15; in deeper tails scipy's own error grows (to
 * 2e-11 relative near 1e-157, where mpmath agrees with this file to 1e-15)
 * (tests/unit/domain/stat_special_test.c). */
#ifndef FERRY_DOMAIN_STAT_CHI2_H
#define FERRY_DOMAIN_STAT_CHI2_H

/* P(a, x) = gamma(a, x) / Gamma(a), the lower regularized incomplete gamma
 * function, for a > 0 and x >= 0 (scipy.special.gammainc); NAN otherwise. */
double stat_gammainc(double a, double x);
/* Q(a, x) = 1 - P(a, x), computed without cancellation where it is small
 * (scipy.special.gammaincc); NAN for a <= 0, x < 0 or NAN arguments. */
double stat_gammaincc(double a, double x);
/* P(X > x) for X chi-squared with df > 0 degrees of freedom
 * (scipy.stats.chi2.sf): 1 for x <= 0, 0 for x = +INFINITY; NAN for
 * df <= 0 (scipy's chi2 requires df > 0) or a NAN argument. */
double stat_chi2_sf(double x, double df);

/* Loader's deviance term bd0(x, np) = x log(x / np) + np - x, computed
 * without cancellation when x is near np (x >= 0, np > 0). */
double stat_bd0(double x, double np);
/* Loader's Stirling error stirlerr(n) = log(Gamma(n + 1)) -
 * log(sqrt(2 pi n) (n / e)^n), for n > 0. */
double stat_stirlerr(double n);

#endif
