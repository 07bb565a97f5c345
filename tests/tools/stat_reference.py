#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Reference values for the drift statistics, computed by scipy 1.10.1,
numpy 1.24 and pandas 1.5 (Debian's python3-scipy, python3-pandas):

    /usr/bin/python3 tests/tools/stat_reference.py dist > tests/unit/domain/stat_reference.h
    /usr/bin/python3 tests/tools/stat_reference.py stattest > tests/unit/monitor/stattest_reference.h

dist: grids of scipy.special.gammainc/gammaincc, scipy.special.kolmogorov,
scipy.special.smirnov, scipy.stats.kstwo.sf and ks_2samp's two-sided
p-value (its exact and asymptotic modes, called as ks_2samp calls them) for
tests/unit/domain/stat_special_test.c.

stattest: the eight Evidently 0.6 drift tests on generated samples, for
tests/unit/monitor/stattest_test.c. Evidently cannot be installed here, so
ev_* below restate what its stattests/*.py compute (read from
evidentlyai/evidently v0.6.7) with the same pandas / numpy / scipy calls.
The samples are not stored: the header carries each case's recipe, and both
sides draw the values from the same splitmix64 stream with the same glibc
functions (log, cos, pow, floor), so they see the same doubles."""
import math
import sys
import warnings
from math import gcd

import numpy as np
import pandas as pd
from scipy import special, stats
from scipy.spatial import distance
from scipy.stats._stats_py import _attempt_exact_2kssamp

M = (1 << 64) - 1


def rr(x):
    """A double as C source that reads back to the same double."""
    if isinstance(x, (bool, np.bool_)):
        return "1" if x else "0"
    x = float(x)
    if math.isnan(x):
        return "NAN"
    if math.isinf(x):
        return "INFINITY" if x > 0 else "-INFINITY"
    return repr(x)


# ---------------------------------------------------------------- dist


def ks2_pvalue(n1, n2, d):
    """ks_2samp's two-sided p-value and reported D for sizes n1, n2 and D."""
    g = gcd(n1, n2)
    mode = "exact" if max(n1, n2) <= 10000 else "asymp"
    prob = None
    if mode == "exact":
        ok, d, prob = _attempt_exact_2kssamp(n1, n2, g, d, "two-sided")
        if not ok:
            mode = "asymp"
    if mode == "asymp":
        m, n = sorted([float(n1), float(n2)], reverse=True)
        prob = stats.kstwo.sf(d, np.round(m * n / (m + n)))
    return float(np.clip(prob, 0, 1)), d


def dist():
    out = []
    w = out.append
    rng = np.random.default_rng(18)
    w("static const struct { double a, x, p, q; } ref_gammainc[] = {")
    for a in np.concatenate([np.linspace(0.5, 20, 14), np.geomspace(20, 5000, 26)]):
        for f in np.concatenate([np.geomspace(1e-3, 0.5, 6), np.linspace(0.5, 1.5, 15),
                                 np.geomspace(1.5, 30, 8)]):
            x = float(a * f)
            w("    {%s, %s, %s, %s}," % (rr(a), rr(x), rr(special.gammainc(a, x)),
                                         rr(special.gammaincc(a, x))))
        for t in (-6, -3, -1, -0.3, 0.3, 1, 3, 6):
            x = float(a + t * math.sqrt(a))
            if x > 0:
                w("    {%s, %s, %s, %s}," % (rr(a), rr(x), rr(special.gammainc(a, x)),
                                             rr(special.gammaincc(a, x))))
    w("};")
    w("static const struct { double x, sf; } ref_kolmogorov[] = {")
    for x in np.concatenate([np.linspace(0.02, 3, 150), np.linspace(3, 6.5, 30)]):
        w("    {%s, %s}," % (rr(x), rr(special.kolmogorov(x))))
    w("};")
    w("static const struct { double n, d, sf; } ref_smirnov[] = {")
    for n in [1, 2, 3, 5, 10, 50, 100, 140, 141, 500, 1000, 1012, 1013, 5000, 20000]:
        for d in np.linspace(0.001, 0.999, 30):
            w("    {%d, %s, %s}," % (n, rr(d), rr(special.smirnov(n, d))))
    w("};")
    w("static const struct { double n, d, sf; } ref_kstwo[] = {")
    ns = sorted(set([1, 2, 3, 4, 5, 7, 10, 20, 50, 100, 139, 140, 141, 200, 500, 999, 1000,
                     2000, 5000, 10000, 30000, 100000] +
                    [int(v) for v in rng.integers(1, 100000, 8)]))
    for n in ns:
        ds = np.concatenate([np.geomspace(0.02 / math.sqrt(n), 7 / math.sqrt(n), 40),
                             np.linspace(0.01, 0.99, 15),
                             [0.5 / n, 0.75 / n, 1.0 / n, 1.5 / n, (n - 1) / n, (n - 0.5) / n]])
        for d in ds:
            if not 0 < d < 1:
                continue
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                try:
                    sf = stats.kstwo.sf(d, n)
                except RuntimeWarning:
                    continue  # scipy's Durbin matrix overflows (n = 64383): its answer is wrong
            w("    {%d, %s, %s}," % (n, rr(d), rr(sf)))
    w("};")
    w("static const struct { double n1, n2, d, p, d_out; } ref_ks2[] = {")
    sizes = [1, 2, 3, 5, 7, 10, 13, 50, 99, 100, 101, 500, 999, 1000, 2000, 5000, 9999, 10000,
             10001, 20000, 100000]
    for n1 in sizes:
        for n2 in sizes:
            if n1 * n2 > 2e7 and max(n1, n2) <= 10000 and rng.random() < 0.8:
                continue
            for _ in range(5):
                if rng.random() < 0.5:
                    i, j = int(rng.integers(0, n1 + 1)), int(rng.integers(0, n2 + 1))
                    d = abs(i / n1 - j / n2)  # a D as ks_2samp computes it
                else:
                    d = min(float(rng.random() * 4 / math.sqrt(min(n1, n2))), 1.0)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    p, d_out = ks2_pvalue(n1, n2, d)
                w("    {%d, %d, %s, %s, %s}," % (n1, n2, rr(d), rr(p), rr(d_out)))
    w("};")
    return out


# ---------------------------------------------------------------- stattest


class Stream:
    """splitmix64, as stattest_test.c draws it."""

    def __init__(self, seed):
        self.s = seed & M

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
        return z ^ (z >> 31)

    def uniform(self):  # [0, 1), 53 bits
        return (self.next() >> 11) * (1.0 / 9007199254740992.0)


NORM, CAT = 0, 1


def draw(side):
    """Values of one side: (kind, n, a, b, scale, seed), as in stattest_test.c."""
    kind, n, a, b, scale, seed = side
    st = Stream(seed)
    out = []
    for _ in range(n):
        if kind == NORM:
            u1, u2 = st.uniform(), st.uniform()
            x = a + b * (math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(2.0 * math.pi * u2))
            if scale > 0:
                x = math.floor(x * scale + 0.5) / scale
        else:  # CAT: index floor(u^b * a), a categories
            x = float(min(math.floor(math.pow(st.uniform(), b) * a), a - 1))
        out.append(x)
    return out


# (name, numerical, reference side, current side); a side is
# (kind, n, a, b, scale, seed). Categorical sides are CAT; their values are
# category indices (of at most 12), named "c00".."c11" for pandas.
CASES = [
    ("same", 1, (NORM, 500, 0, 1, 0, 1), (NORM, 800, 0, 1, 0, 2)),
    ("mean_shift", 1, (NORM, 500, 0, 1, 0, 3), (NORM, 700, 0.3, 1, 0, 4)),
    ("variance", 1, (NORM, 1000, 0, 1, 0, 5), (NORM, 1000, 0, 1.5, 0, 6)),
    ("small_shift", 1, (NORM, 300, 10, 2, 0, 7), (NORM, 450, 10.2, 2, 0, 8)),
    ("ties", 1, (NORM, 300, 0, 1, 10, 9), (NORM, 400, 0.1, 1, 10, 10)),
    ("coarse_ties", 1, (NORM, 400, 0, 3, 1, 11), (NORM, 600, 0, 3, 1, 12)),
    ("few_values", 1, (CAT, 300, 4, 1, 0, 13), (CAT, 300, 4, 1.5, 0, 14)),
    ("binary", 1, (CAT, 200, 2, 1, 0, 15), (CAT, 250, 2, 0.7, 0, 16)),
    ("three_values", 1, (CAT, 100, 3, 1, 0, 17), (CAT, 100, 3, 1, 0, 18)),
    ("n1_n1", 1, (NORM, 1, 0, 1, 0, 19), (NORM, 1, 0, 1, 0, 20)),
    ("n1_n5", 1, (NORM, 1, 0, 1, 0, 21), (NORM, 5, 0, 1, 0, 22)),
    ("n2_n3", 1, (NORM, 2, 0, 1, 0, 23), (NORM, 3, 5, 1, 0, 24)),
    ("constant_same", 1, (CAT, 10, 1, 1, 0, 25), (CAT, 20, 1, 1, 0, 26)),
    ("constant_ref", 1, (CAT, 50, 1, 1, 0, 27), (NORM, 60, 0, 1, 0, 28)),
    ("ints_vs_normal", 1, (NORM, 300, 5, 2, 1, 29), (NORM, 300, 5, 2, 0, 30)),
    ("large", 1, (NORM, 20000, 0, 1, 0, 31), (NORM, 30000, 0.03, 1, 0, 32)),
    ("large_exact", 1, (NORM, 3000, 0, 1, 0, 33), (NORM, 7000, 0.05, 1, 0, 34)),
    ("bins_20_values", 1, (CAT, 400, 20, 1, 0, 35), (CAT, 500, 25, 1, 0, 36)),
    ("bins_21_values", 1, (CAT, 400, 21, 1, 0, 37), (CAT, 500, 21, 1.2, 0, 38)),
    ("negative_values", 1, (NORM, 800, -5, 0.5, 100, 39), (NORM, 900, -4.9, 0.5, 100, 40)),
    ("new_values", 1, (CAT, 200, 3, 1, 0, 57), (CAT, 200, 4, 1, 0, 58)),
    ("big_vs_small", 1, (NORM, 5000, 0, 1, 0, 59), (NORM, 50, 0.5, 1, 0, 60)),
    ("ks_asymp_small_n", 1, (NORM, 30, 0, 1, 0, 61), (NORM, 20000, 0.4, 1, 0, 62)),
    ("ks_asymp_mid_n", 1, (NORM, 800, 0, 1, 0, 63), (NORM, 20000, 0.1, 1, 0, 64)),
    ("cat_same", 0, (CAT, 500, 10, 1, 0, 41), (CAT, 700, 10, 1, 0, 42)),
    ("cat_shift", 0, (CAT, 500, 10, 1, 0, 43), (CAT, 700, 10, 1.4, 0, 44)),
    ("cat_new", 0, (CAT, 500, 9, 1, 0, 45), (CAT, 700, 10, 1, 0, 46)),
    ("cat_gone", 0, (CAT, 500, 10, 1, 0, 47), (CAT, 700, 8, 1, 0, 48)),
    ("cat_binary", 0, (CAT, 300, 2, 1, 0, 49), (CAT, 300, 2, 1.3, 0, 50)),
    ("cat_single", 0, (CAT, 30, 1, 1, 0, 51), (CAT, 40, 1, 1, 0, 52)),
    ("cat_n1", 0, (CAT, 1, 3, 1, 0, 53), (CAT, 1, 3, 1, 0, 54)),
    ("cat_skewed", 0, (CAT, 2000, 12, 3, 0, 55), (CAT, 3000, 12, 2.5, 0, 56)),
]
CAT_K = 12
TESTS = ["ks", "chisquare", "z", "wasserstein", "jensenshannon", "psi", "kl_div", "hellinger"]


def values_union(r, c):
    return list(set(r.dropna().unique()) | set(c.dropna().unique()))


def counts_over(keys, s):
    vc = dict(s.value_counts())
    return [vc.get(k, 0) for k in keys]


def ev_ks(r, c, thr=0.05):
    res = stats.ks_2samp(r, c)
    return res.statistic, res.pvalue, res.pvalue <= thr


def ev_chisquare(r, c, thr=0.05):
    keys = values_union(r, c)
    k_norm = c.shape[0] / r.shape[0]
    f_exp = [x * k_norm for x in counts_over(keys, r)]
    f_obs = counts_over(keys, c)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stat, p = stats.chisquare(f_obs, f_exp)
    return stat, p, p < thr


def ev_z(r, c, thr=0.05):
    if r.nunique() == 1 and c.nunique() == 1 and r.unique()[0] == c.unique()[0]:
        return 0.0, 1.0, False
    key = sorted(values_union(r, c))[0]
    a = r.apply(lambda x: 0 if x == key else 1)
    b = c.apply(lambda x: 0 if x == key else 1)
    n1, n2 = len(a), len(b)
    p1, p2 = float(sum(a)) / n1, float(sum(b)) / n2
    pp = float(p1 * n1 + p2 * n2) / (n1 + n2)
    z = (p1 - p2) / np.sqrt(pp * (1 - pp) * (1.0 / n1 + 1.0 / n2))
    p = 2 * (1 - stats.norm.cdf(np.abs(z)))
    return z, p, p < thr


def ev_wasserstein(r, c, thr=0.1):
    v = stats.wasserstein_distance(r, c) / max(np.std(r), 0.001)
    return v, math.nan, v >= thr


def binned(r, c, numerical, feel_zeroes):
    if numerical and r.nunique() > 20:
        bins = np.histogram_bin_edges(pd.concat([r, c], axis=0).values, bins="sturges")
        rp = np.histogram(r, bins)[0] / len(r)
        cp = np.histogram(c, bins)[0] / len(c)
    else:
        keys = values_union(r, c)
        rp = np.array([x / len(r) for x in counts_over(keys, r)])
        cp = np.array([x / len(c) for x in counts_over(keys, c)])
    if feel_zeroes:
        for p in (rp, cp):
            mn = min(p[p != 0])
            np.place(p, p == 0, mn / 10**6 if mn <= 0.0001 else 0.0001)
    return rp, cp


def ev_js(r, c, numerical, thr=0.1):
    rp, cp = binned(r, c, numerical, False)
    v = distance.jensenshannon(rp, cp)
    return v, math.nan, v >= thr


def ev_psi(r, c, numerical, thr=0.1):
    rp, cp = binned(r, c, numerical, True)
    v = np.sum((rp - cp) * np.log(rp / cp))
    return v, math.nan, v >= thr


def ev_kl(r, c, numerical, thr=0.1):
    rp, cp = binned(r, c, numerical, True)
    v = stats.entropy(rp, cp)
    return v, math.nan, v >= thr


def ev_hellinger(r, c, numerical, thr=0.1):
    keys = values_union(r, c)
    if not numerical:
        rd = (r.value_counts() / len(r)).to_dict()
        cd = (c.value_counts() / len(c)).to_dict()
        s = sum(math.sqrt(rd.get(k, 0) * cd.get(k, 0)) for k in keys)
    else:
        bins = np.histogram_bin_edges(keys, bins="sturges")
        h1 = np.histogram(r.to_numpy(), bins=bins, density=True)[0]
        h2 = np.histogram(c.to_numpy(), bins=bins, density=True)[0]
        width = (max(bins) - min(bins)) / (len(bins) - 1)
        s = sum(math.sqrt(h1[i] * h2[i]) * width for i in range(len(h1)))
    s = np.clip(s, 0, 1)
    v = math.sqrt(1 - s)
    return v, math.nan, v >= thr


def run(test, r, c, numerical):
    if test == "ks":
        return ev_ks(r, c)
    if test == "chisquare":
        return ev_chisquare(r, c)
    if test == "z":
        return ev_z(r, c)
    if test == "wasserstein":
        return ev_wasserstein(r, c)
    return {"jensenshannon": ev_js, "psi": ev_psi, "kl_div": ev_kl,
            "hellinger": ev_hellinger}[test](r, c, numerical)


def stattest():
    out = []
    w = out.append
    w("#define CAT_K %d" % CAT_K)
    w("enum { NORM, CAT };")
    w("struct side { int kind; int n; double a, b, scale; uint64_t seed; };")
    w("static const struct stat_case { const char *name; int numerical; struct side ref, cur; }"
      " stat_cases[] = {")
    for name, num, ref, cur in CASES:
        sides = ["{%s, %d, %s, %s, %s, %d}" % ("NORM" if s[0] == NORM else "CAT", s[1], rr(s[2]),
                                              rr(s[3]), rr(s[4]), s[5]) for s in (ref, cur)]
        w('    {"%s", %d, %s, %s},' % (name, num, sides[0], sides[1]))
    w("};")
    w("static const struct stat_want { const char *name, *test; double statistic, p_value;"
      " int drifted; } stat_wants[] = {")
    for name, num, ref, cur in CASES:
        rv, cv = draw(ref), draw(cur)
        if num:
            r, c = pd.Series(rv, dtype=float), pd.Series(cv, dtype=float)
        else:
            r = pd.Series(["c%02d" % int(x) for x in rv])
            c = pd.Series(["c%02d" % int(x) for x in cv])
        for t in TESTS:
            if not num and t in ("ks", "wasserstein"):
                continue
            stat, p, drifted = run(t, r, c, num)
            w('    {"%s", "%s", %s, %s, %s},' % (name, t, rr(stat), rr(p), rr(bool(drifted))))
    w("};")
    return out


def main():
    which = sys.argv[1] if len(sys.argv) > 1 else ""
    if which not in ("dist", "stattest"):
        sys.exit("usage: stat_reference.py dist|stattest")
    body = dist() if which == "dist" else stattest()
    print("/* SPDX-License-Identifier: MIT")
    print(" * Generated by tests/tools/stat_reference.py %s (scipy %s, numpy %s, pandas %s);"
          % (which, __import__("scipy").__version__, np.__version__, pd.__version__))
    print(" * do not edit. */")
    print("#include <math.h>")
    print("#include <stdint.h>")
    print("\n".join(body))


if __name__ == "__main__":
    main()
