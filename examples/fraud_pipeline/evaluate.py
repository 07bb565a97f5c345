# SPDX-License-Identifier: MIT
"""The fraud pipeline's evaluation step: scores test.csv with the model directory train.py
wrote, writes metrics.json (auc, accuracy, precision, recall, f1, log_loss, rows) and logs the
same metrics to the step's run. With --min-auc it is also the gate before registration: an auc
below it fails the step, so the register step after it never runs."""
import argparse
import json
import os
import pickle
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the project tree
from fraud_common import log_metrics, need_sklearn, read_csv  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, help="the model directory from train.py")
    ap.add_argument("--test", required=True, help="test.csv from prep.py")
    ap.add_argument("--out", required=True, help="where to write metrics.json")
    ap.add_argument("--min-auc", type=float, default=0.0, help="fail below this test auc")
    a = ap.parse_args()
    need_sklearn("evaluate.py")
    from sklearn.metrics import (accuracy_score, f1_score, log_loss, precision_score,
                                 recall_score, roc_auc_score)

    with open(os.path.join(a.model, "model.pkl"), "rb") as f:
        model = pickle.load(f)
    x, y = read_csv(a.test)
    p = model.predict_proba(x)[:, 1]
    pred = (p >= 0.5).astype(int)
    m = {"auc": roc_auc_score(y, p), "accuracy": accuracy_score(y, pred),
         "precision": precision_score(y, pred, zero_division=0),
         "recall": recall_score(y, pred, zero_division=0),
         "f1": f1_score(y, pred, zero_division=0), "log_loss": log_loss(y, p), "rows": len(y)}
    with open(a.out, "w") as f:
        json.dump({k: round(float(v), 6) for k, v in m.items()}, f, indent=2, sort_keys=True)
        f.write("\n")
    log_metrics(m)
    print("evaluate: auc %.4f accuracy %.4f precision %.4f recall %.4f on %d rows"
          % (m["auc"], m["accuracy"], m["precision"], m["recall"], len(y)))
    if m["auc"] < a.min_auc:
        sys.exit("evaluate: auc %.4f is below --min-auc %g: the model is not registered"
                 % (m["auc"], a.min_auc))


if __name__ == "__main__":
    main()
