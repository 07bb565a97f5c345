# SPDX-License-Identifier: MIT
"""The fraud pipeline's training step (the MLproject entry point `train`): fits a scaled
logistic-loss SGD classifier on train.csv and writes an MLflow sklearn model directory to --out
(MLmodel with the python_function and sklearn flavors and a signature, model.pkl,
input_example.json): the directory `ferry models serve` and `ferry models validate` load. The
pipeline logs it as the step's output `model`; this script logs the training metrics."""
import argparse
import json
import os
import pickle
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the project tree
from fraud_common import FEATURES, log_metrics, need_sklearn, read_csv  # noqa: E402


def write_model(model, out, example):
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "model.pkl"), "wb") as f:
        pickle.dump(model, f)
    inputs = json.dumps([{"type": "double", "name": c, "required": True} for c in FEATURES])
    import sklearn
    with open(os.path.join(out, "MLmodel"), "w") as f:
        f.write("flavors:\n"
                "  python_function: {loader_module: mlflow.sklearn, model_path: model.pkl,"
                " predict_fn: predict}\n"
                "  sklearn: {pickled_model: model.pkl, serialization_format: pickle,"
                " sklearn_version: %s}\n"
                "signature:\n  inputs: '%s'\n  outputs: '[{\"type\": \"long\"}]'\n"
                % (sklearn.__version__, inputs))
    with open(os.path.join(out, "input_example.json"), "w") as f:
        json.dump({"columns": FEATURES, "data": example.tolist()}, f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", required=True, help="train.csv from prep.py")
    ap.add_argument("--out", required=True, help="the model directory to write")
    ap.add_argument("--alpha", type=float, default=0.0001, help="L2 regularization")
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    need_sklearn("train.py")
    if a.alpha <= 0:
        sys.exit("train.py: --alpha must be positive, got %g" % a.alpha)
    from sklearn.linear_model import SGDClassifier
    from sklearn.metrics import log_loss, roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    x, y = read_csv(a.train)
    if len(set(y.tolist())) < 2:
        sys.exit("train.py: %s has only one class" % a.train)
    model = make_pipeline(StandardScaler(), SGDClassifier(
        loss="log_loss", alpha=a.alpha, max_iter=200, tol=1e-4, random_state=a.seed))
    model.fit(x, y)
    p = model.predict_proba(x)[:, 1]
    metrics = {"train_auc": roc_auc_score(y, p), "train_log_loss": log_loss(y, p),
               "train_rows": len(y)}
    write_model(model, a.out, x[:3])
    log_metrics(metrics)
    print("train: %d rows, alpha %g: train_auc %.4f" % (len(y), a.alpha, metrics["train_auc"]))


if __name__ == "__main__":
    main()
