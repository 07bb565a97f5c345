#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""`ferry db import` throughput: an MLflow SQLite database at the newest revision ferry knows
(DDL from tests/e2e/support/mlflow_store.py) with RUNS runs x METRICS metrics x STEPS steps,
plus a few params and tags per run, imported into a fresh ferry store; then the same import again
(nothing to write). Prints rows per second (params + tags + metric points) for both, and the
importer's peak RSS.

    make && /usr/bin/python3 bench/import_bench.py [--runs 200] [--metrics 5] [--steps 1000]
        [--ferry build/ferry] [--keep]

Not part of the test command."""
import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "e2e"))
from support import mlflow_store as ms  # noqa: E402


def generate(path, runs, metrics, steps):
    db = ms.create_sqlite(path, ms.NEW)
    db.execute("INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
               "creation_time, last_update_time) VALUES (0, 'Default', '/tmp/mlruns/0', "
               "'active', 0, 0), (1, 'bench', '/tmp/mlruns/1', 'active', 1, 1)")
    t0 = 1700000000000
    for r in range(runs):
        rid = "%032x" % (r + 1)
        db.execute("INSERT INTO runs (run_uuid, name, user_id, status, start_time, end_time, "
                   "lifecycle_stage, artifact_uri, experiment_id) VALUES "
                   "(?, ?, 'bench', 'FINISHED', ?, ?, 'active', ?, 1)",
                   (rid, "run-%d" % r, t0 + r, t0 + r + 1000, "/tmp/mlruns/1/%s/artifacts" % rid))
        db.executemany("INSERT INTO params VALUES (?, ?, ?)",
                       [("p%d" % i, str(i * 0.1), rid) for i in range(5)])
        db.executemany("INSERT INTO tags VALUES (?, ?, ?)",
                       [("mlflow.runName", "run-%d" % r, rid), ("team", "bench", rid)])
        db.executemany("INSERT INTO metrics VALUES (?, ?, ?, ?, ?, 0)",
                       (("m%d" % k, 1.0 / (s + 1) + k, t0 + s, rid, s)
                        for k in range(metrics) for s in range(steps)))
    db.commit()
    db.close()
    return runs * (5 + 2 + metrics * steps)


def run_import(ferry, source, target):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.monotonic()
    p = subprocess.run([ferry, "db", "import", "--to", target, source], capture_output=True,
                       text=True)
    dt = time.monotonic() - t
    if p.returncode:
        sys.exit("import failed: %s%s" % (p.stdout, p.stderr))
    return dt, max(before, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss), p.stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--metrics", type=int, default=5)
    ap.add_argument("--steps", type=int, default=1000)
    ap.add_argument("--ferry", default=os.path.join(HERE, "..", "build", "ferry"))
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="ferry-import-bench-", dir="/var/tmp")
    try:
        src = os.path.join(tmp, "mlflow.db")
        t = time.monotonic()
        rows = generate(src, a.runs, a.metrics, a.steps)
        print("# generated %d rows in %.1f s (%.0f MB)" % (
            rows, time.monotonic() - t, os.path.getsize(src) / 1e6), file=sys.stderr)
        target = os.path.join(tmp, "ferry.db")
        dt, rss, out = run_import(os.path.abspath(a.ferry), src, target)
        dt2, _, out2 = run_import(os.path.abspath(a.ferry), src, target)
        print(out, end="")
        print("%-28s %10s %10s" % ("", "seconds", "rows/s"))
        print("%-28s %10.2f %10.0f" % ("import (%d rows)" % rows, dt, rows / dt))
        print("%-28s %10.2f %10.0f" % ("again (nothing to write)", dt2, rows / dt2))
        print("%-28s %10.1f MB" % ("importer peak RSS", rss / 1024.0))
        print("%-28s %10.0f MB" % ("ferry store size", os.path.getsize(target) / 1e6))
    finally:
        if a.keep:
            print("# kept %s" % tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
