#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the drift benchmark's data (issue 18): DIR/reference.csv (100,000 rows by default)
and DIR/current.csv (1,000,000 rows), 40 numerical columns (num00..num39, floats with six
decimals; num00..num09 shifted in the current: mean, variance or both) and 10 categorical
ones (cat0..cat9, 3 to 21 text categories; cat0..cat2 shifted, cat0 with a new category).
Seeded, so every run writes the same bytes. Written in chunks: memory stays small.

usage: drift_gen.py DIR [--ref-rows N] [--cur-rows N]"""
import argparse
import os

import numpy as np
import pandas as pd

NUM, CAT, CHUNK = 40, 10, 100_000


def chunk(rng, n, current):
    d = {}
    for i in range(NUM):
        loc, scale = float(i % 7), 1.0 + (i % 3)
        if current and i < 10:
            loc += 0.3 * scale if i % 2 == 0 else 0.0
            scale *= 1.0 if i % 2 == 0 else 1.5
        d["num%02d" % i] = rng.normal(loc, scale, n)
    for i in range(CAT):
        k = 3 + 2 * i
        labels = ["v%d" % j for j in range(k)]
        p = np.linspace(1.0, 2.0, k)
        if current and i < 3:
            p = p[::-1].copy()
        if current and i == 0:
            labels.append("new")
            p = np.append(p, p.mean())
        d["cat%d" % i] = rng.choice(labels, n, p=p / p.sum())
    return pd.DataFrame(d)


def write(path, rows, seed, current):
    rng = np.random.default_rng(seed)
    with open(path, "w", newline="") as f:
        done = 0
        while done < rows:
            n = min(CHUNK, rows - done)
            chunk(rng, n, current).to_csv(f, index=False, header=done == 0, float_format="%.6f")
            done += n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--ref-rows", type=int, default=100_000)
    ap.add_argument("--cur-rows", type=int, default=1_000_000)
    a = ap.parse_args()
    os.makedirs(a.dir, exist_ok=True)
    write(os.path.join(a.dir, "reference.csv"), a.ref_rows, 1, False)
    write(os.path.join(a.dir, "current.csv"), a.cur_rows, 2, True)


if __name__ == "__main__":
    main()
