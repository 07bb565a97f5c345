#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The drift benchmark's reference side (issue 18): what Evidently 0.6 does for a default data
drift report, through pandas and scipy (Evidently itself is not installable here; its default
logic is re-implemented in tests/e2e/test_drift.py, which the e2e tests hold equal to ferry's):
pandas.read_csv of both files, then per column the kind, the default test and its decision.
Prints "parse S", "tests S" and "total S" (seconds), and the verdict.

usage: drift_scipy.py REFERENCE.csv CURRENT.csv"""
import os
import sys
import time

import pandas as pd

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
from test_drift import evidently_frames  # noqa: E402


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    t0 = time.monotonic()
    ref = pd.read_csv(sys.argv[1])
    cur = pd.read_csv(sys.argv[2])
    t1 = time.monotonic()
    report = evidently_frames(ref, cur)
    t2 = time.monotonic()
    print("parse %.3f" % (t1 - t0))
    print("tests %.3f" % (t2 - t1))
    print("total %.3f" % (t2 - t0))
    print("dataset_drift %s drifted %d of %d" % (report["dataset_drift"],
                                                 report["number_of_drifted_columns"],
                                                 report["number_of_columns"]))


if __name__ == "__main__":
    main()
