# SPDX-License-Identifier: MIT
"""The retraining pipeline's first step: the labeled production rows of the deployment
logged since the alert opened (--since, ms), read with `ferry predictions export`, waiting
(bounded) until there are --min-rows of them; split 70/30 into --train and --test (CSVs of
amount, distance, velocity, is_fraud) and added as the next version of the dataset, so the
model is trained on a new data version (logged as the training input of the step's run and of
the pipeline run)."""
import argparse
import csv
import json
import os
import subprocess
import sys
import time

from stream import COLUMNS, TARGET


def export(ferry, deployment, since, path):
    """The labeled rows since `since` as [(inputs, label)], through the tracking server."""
    subprocess.run([ferry, "predictions", "export", "-d", deployment, "--labeled",
                    "--answers", "--since", str(since), "-o", path], check=True)
    rows = []
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            x = r.get("inputs") or {}
            if all(c in x for c in COLUMNS) and r.get("label") is not None:
                rows.append(([x[c] for c in COLUMNS], int(float(r["label"]))))
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--deployment", default="fraud")
    ap.add_argument("--dataset", default="transactions")
    ap.add_argument("--since", required=True, help="ms since the epoch")
    ap.add_argument("--min-rows", type=int, default=400)
    ap.add_argument("--wait", type=float, default=90, help="seconds at most")
    ap.add_argument("--train", required=True)
    ap.add_argument("--test", required=True)
    a = ap.parse_args()
    ferry = os.environ.get("FERRY", "ferry")
    since = int(a.since) if a.since.strip() else int(time.time() * 1000)
    tmp = os.path.join(os.path.dirname(a.train), "rows.jsonl")
    deadline = time.time() + a.wait
    while True:
        rows = export(ferry, a.deployment, since, tmp)
        if len(rows) >= a.min_rows:
            break
        if time.time() > deadline:
            sys.exit("collect: only %d labeled rows since %d after %.0f s (need %d)"
                     % (len(rows), since, a.wait, a.min_rows))
        print("collect: %d labeled rows since %d, waiting for %d" % (len(rows), since, a.min_rows),
              flush=True)
        time.sleep(1)
    os.remove(tmp)
    rows = rows[:a.min_rows * 2]  # oldest first: a bounded sample
    cut = int(len(rows) * 0.7)
    for path, part in ((a.train, rows[:cut]), (a.test, rows[cut:])):
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(COLUMNS + [TARGET])
            for x, y in part:
                w.writerow(x + [y])
    print("collect: %d labeled rows since %d: %d to train, %d held out"
          % (len(rows), since, cut, len(rows) - cut), flush=True)
    # the train and test files as the dataset's next version (the step's output directory holds
    # just these two files)
    out = subprocess.run([ferry, "data", "add", a.dataset, os.path.dirname(a.train), "-m",
                          "labeled production rows since %d" % since, "--json"],
                         check=True, stdout=subprocess.PIPE)
    uri = json.loads(out.stdout)["uri"]
    print("collect: the rows are %s" % uri, flush=True)
    # recorded as the training data of this step's run and of the pipeline run (lineage)
    for run in (os.environ.get("FERRY_RUN_ID"), os.environ.get("FERRY_PIPELINE_RUN_ID")):
        if run:
            subprocess.run([ferry, "data", "log", uri, "--run-id", run, "--context", "training"],
                           check=True)


if __name__ == "__main__":
    main()
