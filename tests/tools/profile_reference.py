#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Reference profiles of CSV files, computed by pandas 1.5 and numpy 1.24
(Debian's python3-pandas, python3-numpy), for tests/unit/data/profile_test.c:

    /usr/bin/python3 tests/tools/profile_reference.py > tests/unit/data/profile_reference.h

Each case is a CSV text: either written here in full (edge cases: a header
alone, infinities, NA spellings, quotes, ties, mixed columns), or generated
from a splitmix64 seed and a row count with integer arithmetic only, which
profile_test.c restates (gen_csv) so that both sides read the same bytes.
Per column the header carries what data/profile.h promises: the type from
the dtype read_csv gives, Series.isna().sum(), Series.nunique(), min, max,
Series.mean(), Series.std(), Series.quantile([.05, .25, .5, .75, .95]),
np.histogram(values, bins=10), and value_counts() for text and bool
columns (ties ordered by first appearance, as profile.c orders them; pandas
leaves their order open, so only the counts are checked against it)."""
import io
import math
import sys
import warnings

import numpy as np
import pandas as pd

M = (1 << 64) - 1
QS = [0.05, 0.25, 0.5, 0.75, 0.95]


class SplitMix:
    """splitmix64, as profile_test.c draws it."""

    def __init__(self, seed):
        self.s = seed & M

    def next(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M
        z = self.s
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
        return z ^ (z >> 31)


def gen_csv(seed, rows):
    """The generated CSV text; profile_test.c's gen_csv writes the same."""
    g = SplitMix(seed)
    out = ["i,f,b,t,big,const,bm,e,q\n"]
    for _ in range(rows):
        r = [g.next() for _ in range(9)]
        i = r[0] % 2001 - 1000
        if r[1] % 20 == 0:
            f = ""
        else:
            v = (r[1] >> 8) % 1000000
            f = "%s%d.%03d" % ("-" if (r[1] >> 40) & 1 else "", v // 1000, v % 1000)
        b = "True" if r[2] & 1 else "False"
        k = r[3] % 97
        t = "cat%02d" % (k * k // 300)
        big = 1000000000000 + r[4] % 1000000000
        bm = "" if r[5] % 3 == 0 else ("True" if r[5] & 4 else "False")
        e = "%de-%d" % (r[6] % 1000, (r[6] >> 10) % 5)
        q = '"x,%d"' % (r[7] % 5)
        out.append("%d,%s,%s,%s,%d,7,%s,%s,%s\n" % (i, f, b, t, big, bm, e, q))
    return "".join(out)


FIXED = [
    "a,b\n",
    "a,b,c\n1,2.5,x\n",
    'n,f,s,allna,bn\n1,inf,"he said ""hi""",,True\n2,-inf,NA,,\n3,1.5,x,NaN,False\n',
    "m\n1\n2\nx\n1\n",
    "a\n1\n\n3\n",
    "t\nb\na\nb\na\nc\n",
    "x,y\n-0.5,1e300\n0.25,-1e300\n0.25,5\n1e-320,6\n",
    "k\n5\n5\n5\n5\n",
]
GENERATED = [(1, 7), (2, 130), (3, 1000), (4, 20000)]


def rr(x):
    """A double as C source that reads back to the same double."""
    x = float(x)
    if math.isnan(x):
        return "NAN"
    if math.isinf(x):
        return "INFINITY" if x > 0 else "-INFINITY"
    return repr(x)


def cstr(s):
    out = []
    for ch in s.encode():
        c = chr(ch)
        if c == '"' or c == "\\":
            out.append("\\" + c)
        elif c == "\n":
            out.append("\\n")
        elif 32 <= ch < 127:
            out.append(c)
        else:
            out.append("\\%03o" % ch)
    return '"' + "".join(out) + '"'


TYPES = {"int64": "integer", "float64": "float", "bool": "bool", "object": "text"}


def top_of(s):
    """value_counts() with ties by first appearance (profile.c's order)."""
    vals = [str(v) for v in s.dropna()]
    first = {}
    for i, v in enumerate(vals):
        first.setdefault(v, i)
    vc = s.dropna().map(str).value_counts()
    ours = sorted(vc.items(), key=lambda kv: (-kv[1], first[kv[0]]))[:10]
    # pandas agrees on the counts (its order of ties is its own)
    assert sorted(vc.values.tolist(), reverse=True)[:10] == [c for _, c in ours]
    return ours


def column(case, name, s):
    t = TYPES[str(s.dtype)]
    f = {"case": case, "name": name, "type": t, "nulls": int(s.isna().sum()),
         "distinct": int(s.nunique()), "num": 0, "hist": 0, "mean": float("nan"),
         "top": []}
    if t in ("integer", "float"):
        v = s.dropna()
        f["num"] = 1
        if len(v):
            f["min"], f["max"] = float(v.min()), float(v.max())
        else:
            f["min"] = f["max"] = float("nan")
        f["mean"], f["std"] = float(s.mean()), float(s.std())
        f["q"] = [float(x) for x in s.quantile(QS)] if len(v) else [float("nan")] * 5
        if len(v) and np.isfinite(v.min()) and np.isfinite(v.max()):
            counts, edges = np.histogram(v.to_numpy(), bins=10)
            f["hist"], f["edges"], f["counts"] = 1, edges.tolist(), counts.tolist()
    elif t == "bool":
        f["mean"] = float(s.mean()) if len(s) else float("nan")
        f["top"] = top_of(s)
    else:
        f["top"] = top_of(s)
    return f


def emit_col(f):
    nums = ", ".join(rr(f.get(k, float("nan"))) for k in ("min", "max", "mean", "std"))
    q = ", ".join(rr(x) for x in f.get("q", [float("nan")] * 5))
    edges = ", ".join(rr(x) for x in f.get("edges", [0.0] * 11))
    counts = ", ".join(str(x) for x in f.get("counts", [0] * 10))
    top = ", ".join("{%s, %d}" % (cstr(v), c) for v, c in f["top"]) or "{0}"
    return ("    {%d, %s, \"%s\", %d, %d, %d, %s, {%s}, %d, {%s}, {%s}, %d, {%s}},"
            % (f["case"], cstr(f["name"]), f["type"], f["nulls"], f["distinct"], f["num"],
               nums, q, f["hist"], edges, counts, len(f["top"]), top))


def main():
    warnings.simplefilter("ignore")  # numpy's NaN arithmetic on infinities
    cases, cols = [], []
    for i, text in enumerate(FIXED + [None] * len(GENERATED)):
        if text is None:
            seed, rows = GENERATED[i - len(FIXED)]
            csv = gen_csv(seed, rows)
        else:
            seed, rows, csv = 0, 0, text
        df = pd.read_csv(io.StringIO(csv))
        cases.append((text, seed, rows, len(df), len(df.columns)))
        for name in df.columns:
            cols.append(column(i, name, df[name]))
    w = sys.stdout.write
    w("/* SPDX-License-Identifier: MIT\n"
      " * Generated by tests/tools/profile_reference.py (pandas %s, numpy %s);\n"
      " * do not edit. */\n" % (pd.__version__, np.__version__))
    w("#include <math.h>\n#include <stdint.h>\n")
    w("static const struct ref_case {\n    const char *csv; /* NULL: gen_csv(seed, gen_rows) */\n"
      "    uint64_t seed;\n    long gen_rows, rows;\n    int ncols;\n} ref_cases[] = {\n")
    for text, seed, rows, n, ncols in cases:
        w("    {%s, %d, %d, %d, %d},\n" % (cstr(text) if text is not None else "NULL", seed,
                                         rows, n, ncols))
    w("};\n")
    w("static const struct ref_col {\n    int case_no;\n    const char *name, *type;\n"
      "    long nulls, distinct;\n    int num; /* min..q hold figures */\n"
      "    double min, max, mean, std, q[5];\n    int hist;\n    double edges[11];\n"
      "    long counts[10];\n    int ntop;\n    struct {\n        const char *value;\n"
      "        long count;\n    } top[10];\n} ref_cols[] = {\n")
    for f in cols:
        w(emit_col(f) + "\n")
    w("};\n")


if __name__ == "__main__":
    main()
