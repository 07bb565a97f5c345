#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Reference values for tests/unit/domain/quality_test.c, computed by
Debian's python3-sklearn, python3-scipy and python3-statsmodels.

Regenerate (after changing a dataset here and in the test alike):
    /usr/bin/python3 tests/tools/quality_reference.py > tests/unit/domain/quality_reference.h

The datasets are not stored: both sides draw them from the same splitmix64
stream with the same integer formulas (and exact divisions), so the C test
and this script see the same numbers bit for bit. The bootstrap reference
replays ferry's xoshiro256** draws (src/domain/ab_test.c) here, resamples
with numpy and scores each resample with sklearn."""
import math
import sys
import warnings

import numpy as np
from scipy import special, stats
from sklearn import metrics
from statsmodels.stats import proportion, weightstats

warnings.simplefilter("ignore")  # sklearn's zero_division and one-class warnings
M = (1 << 64) - 1


def splitmix64(state):
    """Returns (next state, output); as in quality_test.c and ab_test.c."""
    state = (state + 0x9E3779B97F4A7C15) & M
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return state, z ^ (z >> 31)


def stream(seed, n):
    out = []
    for _ in range(n):
        seed, r = splitmix64(seed)
        out.append(r)
    return out


class Xoshiro:
    def __init__(self, seed):
        self.s = []
        for _ in range(4):
            seed, r = splitmix64(seed)
            self.s.append(r)

    def next(self):
        s = self.s
        rotl = lambda v, k: ((v << k) | (v >> (64 - k))) & M
        result = (rotl((s[1] * 5) & M, 7) * 9) & M
        t = (s[1] << 17) & M
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def below(self, n):
        """Lemire's nearly divisionless draw, as ab_test.c."""
        m = self.next() * n
        if m & M < n:
            threshold = ((1 << 64) - n) % n
            while m & M < threshold:
                m = self.next() * n
        return m >> 64


# ---- Datasets (mirrored in quality_test.c) ----

def binary_set(n=500):
    y, s, p = [], [], []
    for r in stream(1, n):
        yi = r & 1
        si = (r >> 8) % 61 + 40 * yi
        y.append(yi)
        s.append(si / 100.0)
        p.append(1 if si >= 50 else 0)
    return np.array(y), np.array(p), np.array(s)


CLASS_NAMES = ["cat", "dog", "emu", "fox", "gnu"]


def multi_set(n=400):
    y, p = [], []
    for r in stream(2, n):
        yi = r % 4
        pi = yi if (r >> 8) % 10 < 6 else (r >> 16) % 4
        if (r >> 24) % 50 == 0:
            pi = 4
        y.append(CLASS_NAMES[yi])
        p.append(CLASS_NAMES[pi])
    return np.array(y), np.array(p)


def regression_set(n=300):
    y, p = [], []
    for r in stream(3, n):
        yi = ((r % 2001) - 1000) / 8.0
        y.append(yi)
        p.append(yi + (((r >> 16) % 101) - 50) / 16.0 + 3.0)
    return np.array(y), np.array(p)


def welch_set():
    rs = stream(4, 350)
    a = [(r % 1000) / 100.0 for r in rs[:200]]
    b = [(r % 1100) / 100.0 + 0.3 for r in rs[200:]]
    return np.array(a), np.array(b)


def small_unbalanced_set():
    """20 rows, one positive: many bootstrap resamples have no positive."""
    y, s = [], []
    for i, r in enumerate(stream(5, 20)):
        y.append(1 if i == 7 else 0)
        s.append((r % 100) / 100.0)
    return np.array(y), np.array(s)


# ---- Reference values ----

refs = []


def ref(name, value):
    refs.append((name, float(value)))


def classification_refs(prefix, y, p, pos, binary_ok):
    ref(prefix + ".accuracy", metrics.accuracy_score(y, p))
    if binary_ok:
        ref(prefix + ".precision", metrics.precision_score(y, p, pos_label=pos))
        ref(prefix + ".recall", metrics.recall_score(y, p, pos_label=pos))
        ref(prefix + ".f1", metrics.f1_score(y, p, pos_label=pos))
    else:  # one against the rest, as ferry's binary figures
        ref(prefix + ".precision", metrics.precision_score(y, p, labels=[pos], average=None)[0])
        ref(prefix + ".recall", metrics.recall_score(y, p, labels=[pos], average=None)[0])
        ref(prefix + ".f1", metrics.f1_score(y, p, labels=[pos], average=None)[0])
    ref(prefix + ".precision_macro", metrics.precision_score(y, p, average="macro"))
    ref(prefix + ".recall_macro", metrics.recall_score(y, p, average="macro"))
    ref(prefix + ".f1_macro", metrics.f1_score(y, p, average="macro"))


def regression_refs(prefix, y, p):
    ref(prefix + ".rmse", math.sqrt(metrics.mean_squared_error(y, p)))
    ref(prefix + ".mae", metrics.mean_absolute_error(y, p))
    ref(prefix + ".r2", metrics.r2_score(y, p))


def main():
    y, p, s = binary_set()
    classification_refs("binary", y, p, 1, True)
    ref("binary.roc_auc", metrics.roc_auc_score(y, s))
    ref("binary.log_loss", metrics.log_loss(y, s))

    y, p = multi_set()
    classification_refs("multi", y, p, "emu", False)

    y, p = regression_set()
    regression_refs("regression", y, p)

    # Edge cases.
    one = np.array([1, 1, 1, 1])
    classification_refs("one_class", one, one, 1, True)
    ref("one_class.log_loss", metrics.log_loss(one, [0.9, 0.8, 1.0, 0.6], labels=[0, 1]))
    zero = np.array([0, 0, 0])
    classification_refs("no_positives", zero, zero, 1, True)
    classification_refs("n1", np.array([0]), np.array([1]), 1, True)
    ref("ties.all_equal", metrics.roc_auc_score([0, 1, 0, 1, 1], [0.5] * 5))
    ref("ties.mixed", metrics.roc_auc_score([0, 0, 1, 1, 0, 1, 0],
                                            [0.5, 0.5, 0.5, 0.7, 0.2, 0.5, 0.7]))
    ref("clip.log_loss", metrics.log_loss([1, 0, 1, 1, 0], [0.0, 1.0, 0.5, 1e-20, 1e-300]))
    regression_refs("constant_exact", np.array([2.5] * 4), np.array([2.5] * 4))
    regression_refs("constant_off", np.array([2.5] * 4), np.array([2.5, 2.5, 2.5, 3.0]))
    ref("regression_n1.rmse", math.sqrt(metrics.mean_squared_error([3.0], [1.5])))
    ref("regression_n1.mae", metrics.mean_absolute_error([3.0], [1.5]))
    ref("regression_n1.r2", metrics.r2_score([3.0], [1.5]))

    # Distributions.
    for q in (0.975, 0.5, 0.95, 1e-10, 0.3):
        ref("norm.ppf.%r" % q, stats.norm.ppf(q))
    for df in (1.0, 2.5, 30.0, 1000.0, 1e5):
        for t in (-40.0, -3.0, -0.1, 0.0, 2.0, 10.0):
            ref("t.cdf.%r.%r" % (df, t), special.stdtr(df, t))

    for df in (1.0, 2.5, 10.0, 123.4, 1e5):
        for q in (0.975, 0.01):
            ref("t.ppf.%r.%r" % (df, q), stats.t.ppf(q, df))

    # Two-proportion z-tests.
    alts = ("two-sided", "larger", "smaller")
    for (x1, n1, x2, n2) in ((450, 500, 430, 500), (30, 1000, 45, 1200), (0, 10, 1, 10),
                             (5, 5, 5, 5)):
        for alt in alts:
            z, pv = proportion.proportions_ztest([x1, x2], [n1, n2], alternative=alt)
            key = "ztest.%d.%d.%d.%d.%s" % (x1, n1, x2, n2, alt)
            ref(key + ".z", z)
            ref(key + ".p", pv)

    # Welch.
    a, b = welch_set()
    sets = {"gen": (a, b), "small": (np.array([1.0, 2.0]), np.array([3.0, 5.0, 4.0])),
            "flat": (np.array([1.0, 1.0]), np.array([2.0, 2.0, 2.0])),
            "same": (np.array([1.0, 1.0]), np.array([1.0, 1.0]))}
    scipy_alts = {"two-sided": "two-sided", "larger": "greater", "smaller": "less"}
    for name, (xa, xb) in sets.items():
        for alt in alts:
            t, pv = stats.ttest_ind(xa, xb, equal_var=False, alternative=scipy_alts[alt])
            ref("welch.%s.%s.t" % (name, alt), t)
            ref("welch.%s.%s.p" % (name, alt), pv)

    # Intervals.
    for name in ("gen", "small"):
        xa, xb = sets[name]
        da, db = weightstats.DescrStatsW(xa), weightstats.DescrStatsW(xb)
        lo, hi = weightstats.CompareMeans(da, db).tconfint_diff(alpha=0.05, usevar="unequal")
        ref("welch_ci.%s.low" % name, lo)
        ref("welch_ci.%s.high" % name, hi)
        lo, hi = da.tconfint_mean(alpha=0.05)
        ref("mean_ci.%s.low" % name, lo)
        ref("mean_ci.%s.high" % name, hi)
    for (x, n) in ((0, 10), (10, 10), (450, 500), (1, 1), (37, 120)):
        for alpha in (0.05, 0.1):
            lo, hi = proportion.proportion_confint(x, n, alpha=alpha, method="wilson")
            ref("wilson.%d.%d.%r.low" % (x, n, alpha), lo)
            ref("wilson.%d.%d.%r.high" % (x, n, alpha), hi)
    for (x1, n1, x2, n2) in ((450, 500, 430, 500), (0, 20, 3, 25), (30, 1000, 45, 1200)):
        lo, hi = proportion.confint_proportions_2indep(x1, n1, x2, n2, method="newcomb",
                                                       compare="diff", alpha=0.05)
        ref("newcombe.%d.%d.%d.%d.low" % (x1, n1, x2, n2), lo)
        ref("newcombe.%d.%d.%d.%d.high" % (x1, n1, x2, n2), hi)

    # Non-inferiority (candidate first).
    for (xc, nc, xs, ns, d) in ((480, 500, 490, 500, -0.02), (4900, 5000, 4950, 5000, -0.02),
                                (4800, 5000, 4950, 5000, -0.02), (500, 500, 500, 500, -0.02),
                                (0, 10, 0, 10, 0.0)):
        # numpy integers: statsmodels also forms odds ratios, which divide
        # by zero at 0% and 100% (plain Python ints would raise).
        xc, nc, xs, ns = (np.int64(v) for v in (xc, nc, xs, ns))
        z, pv = proportion.test_proportions_2indep(xc, nc, xs, ns, value=d, method="wald",
                                                   compare="diff", alternative="larger",
                                                   return_results=False)
        key = "noninf.%d.%d.%d.%d" % (xc, nc, xs, ns)
        ref(key + ".z", z)
        ref(key + ".p", pv)

    # Bootstrap: ferry's draws replayed, each resample scored by sklearn.
    y, p, s = binary_set(300)
    boot("boot.f1", y, lambda idx: metrics.f1_score(y[idx], p[idx]), 200, 42)
    boot("boot.auc", y, lambda idx: metrics.roc_auc_score(y[idx], s[idx]), 200, 42)
    y, s = small_unbalanced_set()
    boot("boot.unbalanced_auc", y, lambda idx: metrics.roc_auc_score(y[idx], s[idx]), 100, 7)

    out = sys.stdout
    out.write("/* SPDX-License-Identifier: MIT\n"
              " * Generated by tests/tools/quality_reference.py (sklearn %s, scipy %s,\n"
              " * statsmodels %s); do not edit. Regenerate with\n"
              " *   /usr/bin/python3 tests/tools/quality_reference.py >"
              " tests/unit/domain/quality_reference.h */\n"
              % (metrics.__name__ and __import__("sklearn").__version__,
                 __import__("scipy").__version__, __import__("statsmodels").__version__))
    out.write("#include <math.h>\n\n")
    out.write("static const struct quality_ref {\n    const char *name;\n    double value;\n}"
              " quality_refs[] = {\n")
    for name, v in refs:
        if math.isnan(v):
            lit = "NAN"
        elif math.isinf(v):
            lit = "INFINITY" if v > 0 else "-INFINITY"
        else:
            lit = repr(v)
        out.write('    {"%s", %s},\n' % (name, lit))
    out.write("};\n")


def boot(key, y, score, resamples, seed, alpha=0.05):
    n = len(y)
    rng = Xoshiro(seed)
    values = []
    for _ in range(resamples):
        idx = np.array([rng.below(n) for _ in range(n)])
        if len(set(y[idx])) < 2 and "auc" in key:
            continue
        values.append(score(idx))
    ref(key + ".used", len(values))
    ref(key + ".low", np.percentile(values, 100 * alpha / 2))
    ref(key + ".high", np.percentile(values, 100 * (1 - alpha / 2)))


if __name__ == "__main__":
    main()
