# SPDX-License-Identifier: MIT
"""`ferry drift` (issue 18, one-shot): on generated data with known shifts (mean shift, variance
change, new category, label flip, binary and bool columns, integers with few values, missing and
infinite values), at a small (<= 1000 rows) and a large reference, every column's kind, test,
statistic, p-value and decision, and the dataset verdict, equal Evidently 0.6's default logic
re-implemented here over pandas' read_csv with scipy (utils/data_preprocessing._get_column_type,
stattests/registry._get_default_stattest, data_drift.get_one_column_drift, the stattests/*.py
functions). Also: per-column overrides, exit codes, bad inputs (exit 2 with a message), and the
self-contained HTML report."""
import json
import math
import os
import re
import subprocess
import tempfile

import numpy as np
import pandas as pd
from scipy import stats
from scipy.spatial import distance

OWN_SERVER = True
NO_STORE = True  # two CSV files in, a report out: no store
STAT_TOL = 1e-9
P_TOL = 1e-6

# ---- Evidently 0.6's default logic, over pandas (the reference) ----


def _column_type(name, ref, cur):
    """utils/data_preprocessing._get_column_type (v0.6.7) with the default ColumnMapping."""
    rt, ct = ref.dtype, cur.dtype
    if rt != ct:
        avail = "iufcmM"
        if rt.kind not in avail or ct.kind not in avail:
            ct = rt
        if not np.can_cast(ct, rt) and not np.can_cast(rt, ct):
            ct = rt
    nunique = ref.nunique() or cur.nunique()
    if name == "target":
        return "num" if pd.api.types.is_numeric_dtype(ct) and nunique > 5 else "cat"
    if name == "prediction":
        if pd.api.types.is_string_dtype(ct) or (
                pd.api.types.is_integer_dtype(ct) and nunique <= 5) or (
                pd.api.types.is_numeric_dtype(ct) and nunique <= 5
                and (cur.max() > 1 or cur.min() < 0)):
            return "cat"
        return "num"
    if pd.api.types.is_integer_dtype(ct):
        return "cat" if nunique <= 5 else "num"
    if pd.api.types.is_numeric_dtype(ct):
        return "cat" if ct == bool else "num"
    return "cat"


def _default_stattest(ref, cur, kind):
    """stattests/registry._get_default_stattest (ref, cur already cleaned)."""
    n_values = pd.concat([ref, cur]).nunique()
    if ref.shape[0] <= 1000:
        if kind == "num" and n_values > 5:
            return "ks"
        return "chisquare" if n_values > 2 else "z"
    if kind == "num" and n_values > 5:
        return "wasserstein"
    return "jensenshannon"


def _keys(ref, cur):
    return list(set(ref.dropna().unique()) | set(cur.dropna().unique()))


def _binned(ref, cur, kind):
    """stattests/utils.get_binned_data, feel_zeroes=False."""
    if kind == "num" and ref.nunique() > 20:
        bins = np.histogram_bin_edges(pd.concat([ref, cur], axis=0).values, bins="sturges")
        return np.histogram(ref, bins)[0] / len(ref), np.histogram(cur, bins)[0] / len(cur)
    keys = _keys(ref, cur)
    rd = {**dict.fromkeys(keys, 0), **dict(ref.value_counts())}
    cd = {**dict.fromkeys(keys, 0), **dict(cur.value_counts())}
    return (np.array([rd[k] / len(ref) for k in keys]), np.array([cd[k] / len(cur) for k in keys]))


def _run_test(name, ref, cur, kind, thr):
    """(statistic, p_value or None, drifted) as the stattests/*.py functions decide."""
    if name == "ks":
        r = stats.ks_2samp(ref, cur)
        return r.statistic, r.pvalue, r.pvalue <= thr
    if name == "chisquare":
        keys = _keys(ref, cur)
        rd = {**dict.fromkeys(keys, 0), **dict(ref.value_counts())}
        cd = {**dict.fromkeys(keys, 0), **dict(cur.value_counts())}
        k = cur.shape[0] / ref.shape[0]
        with np.errstate(divide="ignore", invalid="ignore"):
            r = stats.chisquare([cd[key] for key in keys], [rd[key] * k for key in keys])
        return r.statistic, r.pvalue, r.pvalue < thr
    if name == "z":
        if ref.nunique() == 1 and cur.nunique() == 1 and ref.unique()[0] == cur.unique()[0]:
            return math.nan, 1.0, 1 < thr
        first = sorted(set(ref.unique()) | set(cur.unique()))[0]
        a = ref.apply(lambda x: 0 if x == first else 1)
        b = cur.apply(lambda x: 0 if x == first else 1)
        n1, n2 = len(a), len(b)
        p1, p2 = float(sum(a)) / n1, float(sum(b)) / n2
        pp = (p1 * n1 + p2 * n2) / (n1 + n2)
        z = (p1 - p2) / np.sqrt(pp * (1 - pp) * (1.0 / n1 + 1.0 / n2))
        p = 2 * (1 - stats.norm.cdf(np.abs(z)))
        return z, p, p < thr
    if name == "wasserstein":
        v = stats.wasserstein_distance(ref, cur) / max(np.std(ref), 0.001)
        return v, None, v >= thr
    if name == "jensenshannon":
        a, b = _binned(ref, cur, kind)
        v = distance.jensenshannon(a, b)  # Evidently 0.6: base None, the natural log
        return v, None, v >= thr
    raise AssertionError("no reference for " + name)


DEFAULT_THRESHOLD = {"ks": 0.05, "chisquare": 0.05, "z": 0.05, "wasserstein": 0.1,
                     "jensenshannon": 0.1}


def evidently_report(ref_path, cur_path, stattests=None, thresholds=None, kinds=None,
                     drift_share=0.5):
    return evidently_frames(pd.read_csv(ref_path), pd.read_csv(cur_path), stattests, thresholds,
                            kinds, drift_share)


def evidently_frames(ref, cur, stattests=None, thresholds=None, kinds=None, drift_share=0.5):
    """Evidently's default drift report of two pandas frames (bench/drift_scipy.py uses it)."""
    stattests, thresholds, kinds = stattests or {}, thresholds or {}, kinds or {}
    cols = []
    for name in ref.columns:
        if name not in cur.columns:
            continue
        kind = kinds.get(name) or _column_type(name, ref[name], cur[name])
        r = ref[name].replace([-np.inf, np.inf], np.nan).dropna()
        c = cur[name].replace([-np.inf, np.inf], np.nan).dropna()
        test = stattests.get(name) or _default_stattest(r, c, kind)
        thr = thresholds.get(name, DEFAULT_THRESHOLD[test])
        s, p, drifted = _run_test(test, r, c, kind, thr)
        cols.append({"name": name, "kind": kind, "stattest": test, "statistic": s, "p_value": p,
                     "threshold": thr, "drifted": bool(drifted)})
    k = sum(1 for c in cols if c["drifted"])
    return {"dataset_drift": k / len(cols) >= drift_share, "number_of_columns": len(cols),
            "number_of_drifted_columns": k, "share_of_drifted_columns": k / len(cols),
            "columns": cols}

# ---- data ----


def _frames(rng, n_ref, n_cur):
    """Reference and current frames; the current has known shifts."""
    def base(n, cur):
        d = {}
        d["num_same"] = rng.normal(0, 1, n)
        d["num_shift"] = rng.normal(0.6 if cur else 0, 1, n)
        d["num_var"] = rng.normal(0, 2.0 if cur else 1, n)
        d["num_small_shift"] = rng.normal(0.05 if cur else 0, 1, n)
        d["int_many"] = rng.integers(0, 60 if cur else 50, n)
        d["int_few"] = rng.choice([1, 2, 3, 4], n, p=[0.1, 0.2, 0.3, 0.4] if cur else
                                  [0.25, 0.25, 0.25, 0.25])
        d["label"] = (rng.random(n) < (0.7 if cur else 0.3)).astype(int)
        d["target"] = (rng.random(n) < 0.5).astype(int)
        d["flag"] = rng.random(n) < (0.5 if cur else 0.45)
        d["yes_no"] = np.where(rng.random(n) < 0.4, "yes", "no")
        d["color"] = rng.choice(["red", "green", "blue", "black"] if cur else
                                ["red", "green", "blue"], n)
        d["city"] = rng.choice(["Paris", "Lyon", "Nice", "Lille", "Nantes", "Brest"], n)
        d["num_levels"] = rng.choice([0.5, 1.5, 2.5], n)
        d["prediction"] = rng.choice([0.2, 0.8], n, p=[0.6, 0.4] if cur else [0.5, 0.5])
        m = rng.normal(1 if cur else 0, 1, n)
        m[rng.random(n) < 0.1] = np.nan
        m[rng.random(n) < 0.02] = np.inf
        m[rng.random(n) < 0.02] = -np.inf
        m[0] = np.nan  # a NaN on each side, so Evidently drops the infinities too
        d["num_gaps"] = m
        g = rng.integers(0, 3, n).astype(float)
        g[rng.random(n) < 0.05] = np.nan
        d["int_gaps"] = g
        t = rng.choice(["x", "y", "z"], n).astype(object)
        t[rng.random(n) < 0.1] = None
        d["text_gaps"] = t
        return pd.DataFrame(d)
    return base(n_ref, False), base(n_cur, True)


def _write(tmp, rng, n_ref, n_cur, tag):
    ref, cur = _frames(rng, n_ref, n_cur)
    rp, cp = os.path.join(tmp, tag + "_ref.csv"), os.path.join(tmp, tag + "_cur.csv")
    ref.to_csv(rp, index=False)
    cur.to_csv(cp, index=False)
    return rp, cp


def _ferry(ferry, *args):
    p = subprocess.run([ferry, "drift", *args], capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def _close(got, want, tol, what):
    if want is None or (isinstance(want, float) and not math.isfinite(want)):
        assert got is None, (what, got, want)
        return
    assert got is not None and abs(got - want) <= tol * max(1.0, abs(want)), (what, got, want)


def _compare(got, want, ctx):
    assert got["number_of_columns"] == want["number_of_columns"], (ctx, got, want)
    by_name = {c["name"]: c for c in got["columns"]}
    assert set(by_name) == {c["name"] for c in want["columns"]}, (ctx, sorted(by_name))
    for w in want["columns"]:
        g = by_name[w["name"]]
        what = "%s %s" % (ctx, w["name"])
        assert g["kind"] == w["kind"], (what, g, w)
        assert g["stattest"] == w["stattest"], (what, g, w)
        s = w["statistic"]
        if w["stattest"] == "z" and s is not None and math.isfinite(s):
            # The z statistic's sign depends on which category counts as "first".
            _close(abs(g["statistic"]) if g["statistic"] is not None else None, abs(s),
                   STAT_TOL, what + " statistic")
        else:
            _close(g["statistic"], s, STAT_TOL, what + " statistic")
        _close(g["p_value"], w["p_value"], P_TOL, what + " p_value")
        assert g["threshold"] == w["threshold"], (what, g, w)
        assert g["drifted"] == w["drifted"], (what, g, w)
    for key in ("dataset_drift", "number_of_drifted_columns"):
        assert got[key] == want[key], (ctx, key, got[key], want[key])
    assert abs(got["share_of_drifted_columns"] - want["share_of_drifted_columns"]) < 1e-12


def _check_sizes(ferry, n_ref, n_cur, seed, expect_tests):
    rng = np.random.default_rng(seed)
    with tempfile.TemporaryDirectory() as tmp:
        rp, cp = _write(tmp, rng, n_ref, n_cur, "d")
        rc, out, err = _ferry(ferry, rp, cp, "--json")
        assert rc == 0, (rc, err)
        got = json.loads(out)
        want = evidently_report(rp, cp)
        _compare(got, want, "%d/%d" % (n_ref, n_cur))
        tests = {c["stattest"] for c in got["columns"]}
        assert tests == expect_tests, tests
        assert got["drift_share"] == 0.5
        return got


def test_small_reference_matches_evidently(ferry):
    got = _check_sizes(ferry, 600, 450, 1, {"ks", "chisquare", "z"})
    by = {c["name"]: c for c in got["columns"]}
    # The known shifts are found, the unshifted columns pass.
    for name in ("num_shift", "num_var", "label", "color", "int_few", "num_gaps"):
        assert by[name]["drifted"], by[name]
    assert by["color"]["statistic"] is None  # a category new in current: infinite chi-square
    assert by["color"]["p_value"] == 0.0
    assert by["int_few"]["kind"] == "cat" and by["int_many"]["kind"] == "num"
    assert by["flag"]["kind"] == "cat" and by["flag"]["stattest"] == "z"
    assert by["int_gaps"]["kind"] == "num" and by["int_gaps"]["stattest"] == "chisquare"
    dq = {c["name"]: c for c in got["data_quality"]["columns"]}
    assert dq["color"]["new_categories"] == 1
    assert dq["num_gaps"]["reference_missing_share"] > 0.05
    assert dq["num_gaps"]["current_infinite"] > 0
    assert got["histograms"]["num_shift"]["edges"]
    assert sum(got["histograms"]["color"]["current"]) == 450


def test_large_reference_matches_evidently(ferry):
    got = _check_sizes(ferry, 5000, 4000, 2, {"wasserstein", "jensenshannon"})
    by = {c["name"]: c for c in got["columns"]}
    for name in ("num_shift", "num_var", "label", "color", "num_gaps"):
        assert by[name]["drifted"], by[name]
    assert not by["num_same"]["drifted"] and not by["city"]["drifted"]
    assert by["num_levels"]["kind"] == "num" and by["num_levels"]["stattest"] == "jensenshannon"
    assert by["num_shift"]["p_value"] is None


def test_overrides_match_evidently(ferry):
    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as tmp:
        rp, cp = _write(tmp, rng, 3000, 2000, "o")
        st = {"num_shift": "jensenshannon", "num_same": "ks", "color": "chisquare"}
        th = {"num_small_shift": 0.02, "num_same": 0.5}
        kinds = {"int_many": "cat", "num_levels": "cat"}
        args = [rp, cp, "--json", "--drift-share", "0.3"]
        for k, v in st.items():
            args += ["--stattest", "%s=%s" % (k, v)]
        for k, v in th.items():
            args += ["--threshold", "%s=%s" % (k, v)]
        for k, v in kinds.items():
            args += ["--column-kind", "%s=%s" % (k, v)]
        rc, out, err = _ferry(ferry, *args)
        assert rc == 0, (rc, err)
        got = json.loads(out)
        want = evidently_report(rp, cp, st, th, kinds, drift_share=0.3)
        _compare(got, want, "overrides")
        assert got["drift_share"] == 0.3
        # One threshold for every column.
        rc, out, err = _ferry(ferry, rp, cp, "--json", "--threshold", "0.5")
        assert rc == 0, err
        for c in json.loads(out)["columns"]:
            assert c["threshold"] == 0.5, c


def test_exit_codes_and_table(ferry):
    rng = np.random.default_rng(4)
    with tempfile.TemporaryDirectory() as tmp:
        rp, cp = _write(tmp, rng, 800, 800, "e")
        rc, out, err = _ferry(ferry, rp, cp)
        assert rc == 0, err
        assert "COLUMN" in out and "num_shift" in out and "dataset drift: " in out
        want = evidently_report(rp, cp)
        rc, out, err = _ferry(ferry, rp, cp, "--fail-on-drift")
        assert rc == (1 if want["dataset_drift"] else 0), (rc, want["dataset_drift"])
        # The same file against itself never drifts.
        rc, out, err = _ferry(ferry, rp, rp, "--fail-on-drift", "--json")
        assert rc == 0, (rc, err)
        assert json.loads(out)["number_of_drifted_columns"] == 0
        rc, out, err = _ferry(ferry, rp, cp, "--fail-on-drift", "--drift-share", "0")
        assert rc == 1, (rc, err)


def test_bad_inputs(ferry):
    with tempfile.TemporaryDirectory() as tmp:
        good = os.path.join(tmp, "good.csv")
        with open(good, "w") as f:
            f.write("a,b\n1,x\n2,y\n3,x\n")
        cases = []
        ragged = os.path.join(tmp, "ragged.csv")
        with open(ragged, "w") as f:
            f.write("a,b\n1,x\n2,y,extra\n")
        cases.append(([good, ragged], r"ragged\.csv:3: 3 fields where the header has 2"))
        empty = os.path.join(tmp, "empty.csv")
        with open(empty, "w") as f:
            f.write("a,b\n")
        cases.append(([empty, good], r"reference data has no row"))
        nothing = os.path.join(tmp, "nothing.csv")
        open(nothing, "w").close()
        cases.append(([nothing, good], r"nothing\.csv:1: no header row"))
        quote = os.path.join(tmp, "quote.csv")
        with open(quote, "w") as f:
            f.write('a,b\n1,"x\n')
        cases.append(([good, quote], r"quote\.csv:2: unterminated quoted field"))
        cases.append(([os.path.join(tmp, "missing.csv"), good], r"missing\.csv: cannot open"))
        cases.append(([good, good, "--stattest", "a=nope"], r"unknown stattest 'nope'"))
        cases.append(([good, good, "--stattest", "b=ks"], r"stattest 'ks' does not apply"))
        # Evidently's allowed_feature_types: chisquare and z by name only on
        # categorical columns (its default choice runs them on few-valued numbers)
        floats = os.path.join(tmp, "floats.csv")
        with open(floats, "w") as f:
            f.write("v\n" + "".join("%d.5\n" % i for i in range(10)))
        cases.append(([floats, floats, "--stattest", "v=chisquare"],
                      r"stattest 'chisquare' does not apply to column 'v' \(num\)"))
        cases.append(([floats, floats, "--stattest", "v=z"], r"stattest 'z' does not apply"))
        cases.append(([good, good, "--threshold", "zz=0.1"], r"column 'zz' is not in both"))
        cases.append(([good, good, "--column-kind", "b=num"], r"column 'b' holds text"))
        cases.append(([good, good, "--drift-share", "x"], r"--drift-share"))
        cases.append(([good], r"usage: ferry drift"))
        for args, msg in cases:
            rc, out, err = _ferry(ferry, *args)
            assert rc == 2, (args, rc, out, err)
            assert re.search(msg, err), (args, err)


def test_csv_dialect(ferry):
    """Quoted fields (commas, quotes, line breaks), CRLF, pandas' NA spellings and booleans."""
    with tempfile.TemporaryDirectory() as tmp:
        rp, cp = os.path.join(tmp, "r.csv"), os.path.join(tmp, "c.csv")
        rows = ['"x, y",n,"q""uote",b\r\n']
        rng = np.random.default_rng(5)
        for i in range(300):
            lab = ['"a,1"', '"b\nline"', '"c""q"', "NA", ""][i % 5]
            num = ["%.17g" % rng.normal(), "nan", "N/A", "1e-3", "-inf"][i % 5] if i % 7 else "inf"
            rows.append('%s,%s,"%s",%s\r\n' % (lab, num, ["p", "q"][i % 2],
                                              ["True", "False"][i % 3 == 0]))
        with open(rp, "w", newline="") as f:
            f.write("".join(rows))
        with open(cp, "w", newline="") as f:
            f.write("".join(rows[:1] + rows[1:][::-1][:200]))
        rc, out, err = _ferry(ferry, rp, cp, "--json")
        assert rc == 0, err
        _compare(json.loads(out), evidently_report(rp, cp), "dialect")


def test_html_report(ferry):
    rng = np.random.default_rng(6)
    with tempfile.TemporaryDirectory() as tmp:
        rp, cp = _write(tmp, rng, 400, 400, "h")
        html = os.path.join(tmp, "report.html")
        rc, out, err = _ferry(ferry, rp, cp, "--html", html)
        assert rc == 0, err
        with open(html) as f:
            page = f.read()
        assert page.startswith("<!DOCTYPE html>")
        assert "Dataset drift" in page and "num_shift" in page and "<svg" in page
        assert "<script" not in page and "http://" not in page and "https://" not in page
        assert "<link" not in page and "src=" not in page
        assert page.count("<tr") >= 18
        assert "1 new category: black" in page  # the category new in current, named
        assert len(page) < 400_000
        rc, out, err = _ferry(ferry, rp, cp, "--html", os.path.join(tmp, "no", "dir.html"))
        assert rc == 2 and "cannot write" in err, (rc, err)


def test_data_quality_columns(ferry):
    """Columns missing on one side, another type, values outside the reference's range, new
    categories and missing shares, in the JSON's data_quality; a column empty on one side is
    not tested but listed."""
    with tempfile.TemporaryDirectory() as tmp:
        rp, cp = os.path.join(tmp, "r.csv"), os.path.join(tmp, "c.csv")
        with open(rp, "w") as f:
            f.write("x,kind,gone,typed,empty\n")
            for i in range(100):
                f.write("%d.5,%s,1,%d,\n" % (i, "ab"[i % 2], i % 7))
        with open(cp, "w") as f:
            f.write("x,kind,typed,empty,extra\n")
            for i in range(80):
                f.write("%s,%s,%s,1,0\n" % ("" if i % 4 == 0 else "%d.5" % (i * 2),
                                           "abc"[i % 3], "t%d" % (i % 3)))
        rc, out, err = _ferry(ferry, rp, cp, "--json")
        assert rc == 0, err
        got = json.loads(out)
        dq = got["data_quality"]
        assert dq["missing_in_current"] == ["gone"] and dq["missing_in_reference"] == ["extra"]
        assert dq["reference_rows"] == 100 and dq["current_rows"] == 80
        by = {c["name"]: c for c in dq["columns"]}
        assert by["x"]["current_missing_share"] == 0.25
        assert by["x"]["reference_min"] == 0.5 and by["x"]["reference_max"] == 99.5
        # current values 2.5, 4.5, ... 158.5 without every 4th: those above 99.5 are outside
        outside = sum(1 for i in range(80) if i % 4 and i * 2 + 0.5 > 99.5)
        assert by["x"]["current_out_of_range"] == outside, by["x"]
        assert by["kind"]["new_categories"] == 1 and by["kind"]["new_category_examples"] == ["c"]
        assert by["typed"]["reference_dtype"] == "int64"
        assert by["typed"]["current_dtype"] == "object" and by["typed"]["type_mismatch"]
        assert "no value in the reference" in by["empty"]["skipped"]
        # int64 with 7 values in the reference: numerical, which the current's text is not
        # (Evidently refuses the column; ferry reports it untested).
        assert "numerical in one file, text in the other" in by["typed"]["skipped"]
        assert {c["name"] for c in got["columns"]} == {"x", "kind"}
        assert got["number_of_columns"] == 2
        rc, out, err = _ferry(ferry, rp, cp)
        assert "skipped empty:" in out and "missing in current: gone" in out, out
