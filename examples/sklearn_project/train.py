# SPDX-License-Identifier: MIT
"""An MLflow project that ferry runs: trains an sklearn SGDClassifier epoch by epoch on synthetic
data, logs loss and accuracy per epoch to the run that `ferry run` created (through `ferry log
batch`, with the run id ferry exported), and logs the model in MLflow's sklearn format
(`ferry models log`). Needs python3 with python3-sklearn (Debian's /usr/bin/python3)."""
import argparse
import json
import os
import pickle
import subprocess
import tempfile
import time

import numpy as np
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import accuracy_score, log_loss

FERRY = os.environ.get("FERRY", "ferry")


def log_batch(metrics):
    doc = json.dumps({"metrics": metrics})
    subprocess.run([FERRY, "log", "batch", "-"], input=doc.encode(), check=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--alpha", type=float, required=True)
    ap.add_argument("--epochs", type=int, required=True)
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--rows", type=int, required=True)
    a = ap.parse_args()
    rng = np.random.default_rng(a.seed)
    x = rng.normal(size=(a.rows, 4))
    y = (x[:, 0] - 0.5 * x[:, 1] + 0.25 * x[:, 2] > 0).astype(int)
    split = int(a.rows * 0.8)
    model = SGDClassifier(loss="log_loss", alpha=a.alpha, random_state=a.seed)
    for epoch in range(a.epochs):
        model.partial_fit(x[:split], y[:split], classes=[0, 1])
        p = model.predict_proba(x[split:])
        now = int(time.time() * 1000)
        log_batch([{"key": "val_loss", "value": float(log_loss(y[split:], p)), "step": epoch,
                    "timestamp": now},
                   {"key": "val_accuracy", "value": float(accuracy_score(y[split:], p[:, 1] > 0.5)),
                    "step": epoch, "timestamp": now}])
        print("epoch %d: val_accuracy %.4f" % (epoch, accuracy_score(y[split:], p[:, 1] > 0.5)))
    d = os.path.join(tempfile.mkdtemp(prefix="sgd-model-"), "model")
    os.makedirs(d)
    with open(os.path.join(d, "model.pkl"), "wb") as f:
        pickle.dump(model, f)
    cols = ["f0", "f1", "f2", "f3"]
    inputs = ", ".join('{"type": "double", "name": "%s", "required": true}' % c for c in cols)
    with open(os.path.join(d, "MLmodel"), "w") as f:
        f.write("flavors:\n"
                "  python_function: {loader_module: mlflow.sklearn, model_path: model.pkl,"
                " predict_fn: predict}\n"
                "  sklearn: {pickled_model: model.pkl, serialization_format: pickle}\n"
                "signature:\n  inputs: '[%s]'\n  outputs: '[{\"type\": \"long\"}]'\n" % inputs)
    with open(os.path.join(d, "input_example.json"), "w") as f:
        json.dump({"columns": cols, "data": x[:3].tolist()}, f)
    subprocess.run([FERRY, "models", "log", d, "--artifact-path", "model"], check=True)


if __name__ == "__main__":
    main()
