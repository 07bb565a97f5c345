# SPDX-License-Identifier: MIT
"""What train.py and evaluate.py share: the sklearn check, the CSV reader, and logging metrics
to the step's run through `$FERRY log batch` (the engine exports FERRY and FERRY_RUN_ID)."""
import csv
import importlib
import json
import os
import subprocess
import sys
import time

FEATURES = ["amount", "hour", "merchant_risk", "distance_km", "tx_24h", "foreign", "card_present"]
LABEL = "is_fraud"


def need_sklearn(script):
    """Exits with a message naming the fix when this interpreter has no scikit-learn."""
    try:
        importlib.import_module("numpy")
        importlib.import_module("sklearn")
    except ImportError as e:
        sys.exit("%s: %s needs numpy and scikit-learn (%s): run it with Debian's /usr/bin/python3 "
                 "(apt-get install python3-sklearn), or point FERRY_PYTHON at a python that has "
                 "them" % (script, sys.executable, e))


def read_csv(path):
    """(x, y) as numpy arrays from a CSV written by prep.py."""
    import numpy as np
    with open(path, newline="") as f:
        r = csv.DictReader(f)
        missing = [c for c in FEATURES + [LABEL] if c not in (r.fieldnames or [])]
        if missing:
            sys.exit("%s lacks the columns %s" % (path, ", ".join(missing)))
        rows = [[float(row[c]) for c in FEATURES + [LABEL]] for row in r]
    if not rows:
        sys.exit("%s has no rows" % path)
    a = np.array(rows)
    return a[:, :-1], a[:, -1].astype(int)


def log_metrics(metrics):
    """Logs {key: value} to the run in FERRY_RUN_ID (the step's run); says so and does nothing
    outside a ferry run."""
    ferry = os.environ.get("FERRY", "")
    if not ferry or not (os.environ.get("FERRY_RUN_ID") or os.environ.get("MLFLOW_RUN_ID")):
        print("not in a ferry run: metrics not logged")
        return
    now = int(time.time() * 1000)
    doc = {"metrics": [{"key": k, "value": float(v), "timestamp": now, "step": 0}
                       for k, v in sorted(metrics.items())]}
    subprocess.run([ferry, "log", "batch", "-"], input=json.dumps(doc).encode(), check=True)
