# SPDX-License-Identifier: MIT
"""Trains the fraud classifier (scikit-learn's logistic regression) on a CSV of
amount, distance, velocity, is_fraud and writes an MLflow sklearn model directory.
--shuffle-labels 1 shuffles the labels first: the deliberately worse model of round 2."""
import argparse
import csv
import json
import os
import pickle
import random

import sklearn
from sklearn.linear_model import LogisticRegression

from stream import COLUMNS, TARGET


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--shuffle-labels", type=int, default=0)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    with open(a.train) as f:
        rows = list(csv.DictReader(f))
    x = [[float(r[c]) for c in COLUMNS] for r in rows]
    y = [int(r[TARGET]) for r in rows]
    if a.shuffle_labels:
        random.Random(a.seed).shuffle(y)
        print("labels shuffled: this model learns noise")
    model = LogisticRegression().fit(x, y)
    acc = model.score(x, y)
    print("trained on %d rows, training accuracy %.3f" % (len(rows), acc))
    os.makedirs(a.out, exist_ok=True)
    with open(os.path.join(a.out, "model.pkl"), "wb") as f:
        pickle.dump(model, f)
    inputs = json.dumps([{"type": "double", "name": c} for c in COLUMNS])
    with open(os.path.join(a.out, "MLmodel"), "w") as f:
        f.write("flavors:\n"
                "  python_function: {loader_module: mlflow.sklearn, model_path: model.pkl}\n"
                "  sklearn: {pickled_model: model.pkl, serialization_format: pickle,"
                " sklearn_version: %s}\n"
                "signature:\n  inputs: '%s'\n" % (sklearn.__version__, inputs))


if __name__ == "__main__":
    main()
