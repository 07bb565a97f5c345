# SPDX-License-Identifier: MIT
"""`ferry models serve` for sklearn models through the Python worker pool: LogisticRegression and
RandomForest trained here with Debian's python3-sklearn, saved in MLflow's layout (pickle and
cloudpickle), served, and every prediction compared with sklearn's own. Then what can go wrong:
concurrent requests batched together and split back, a model that raises, a worker killed while
scoring, a worker that hangs past the timeout, models that do not load, and the workers' reduced
privileges."""
import json
import os
import pickle
import subprocess
import sys
import tempfile
import threading
import time

import cloudpickle
import numpy as np
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression

from test_serving import Serve, _close

OWN_SERVER = True
NO_STORE = True  # local models only: the PostgreSQL pass would repeat it
COLS = ["f0", "f1", "f2", "f3", "f4"]
MLMODEL = """artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: %(fn)s
    env: {conda: conda.yaml, virtualenv: python_env.yaml}
    python_version: 3.11.2
  sklearn:
    pickled_model: model.pkl
    serialization_format: %(fmt)s
    sklearn_version: 1.2.1
    code: null
mlflow_version: 2.9.2
model_uuid: 0b6d1f5a3b2c4d0e8f9a1b2c3d4e5f60
utc_time_created: '2026-11-22 10:00:00.000000'
signature:
  inputs: '[%(inputs)s]'
  outputs: null
  params: null
"""


def _data(n=300, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, len(COLS)))
    return x


def _save(model, fn="predict", fmt="cloudpickle", pickler=None):
    """Writes model in mlflow.sklearn's layout; returns the directory."""
    d = os.path.join(tempfile.mkdtemp(prefix="ferry-sk-"), "model")
    os.makedirs(d)
    with open(os.path.join(d, "model.pkl"), "wb") as f:
        (pickler or (cloudpickle if fmt == "cloudpickle" else pickle)).dump(model, f)
    inputs = ", ".join('{"type": "double", "name": "%s", "required": true}' % c for c in COLS)
    with open(os.path.join(d, "MLmodel"), "w") as f:
        f.write(MLMODEL % {"fn": fn, "fmt": fmt, "inputs": inputs})
    with open(os.path.join(d, "input_example.json"), "w") as f:
        json.dump({"columns": COLS, "data": _data(3, 9).tolist()}, f)
    return d


def _models():
    x = _data()
    y_bin = (x[:, 0] + 0.5 * x[:, 1] - x[:, 2] > 0).astype(int)
    y_multi = np.digitize(x[:, 0] + x[:, 3], [-0.7, 0.7])
    y_reg = x[:, 0] * 2.0 - x[:, 4] + 0.1 * x[:, 1] * x[:, 2]
    y_str = np.where(y_bin == 1, "cat", "dog")
    lr = LogisticRegression(max_iter=500).fit(x, y_bin)
    lr3 = LogisticRegression(max_iter=500).fit(x, y_multi)
    rfc = RandomForestClassifier(n_estimators=30, max_depth=6, random_state=0).fit(x, y_multi)
    rfr = RandomForestRegressor(n_estimators=30, max_depth=6, random_state=0).fit(x, y_reg)
    lrs = LogisticRegression(max_iter=500).fit(x, y_str)
    return x, [
        ("logistic binary, predict, pickle", lr, "predict", "pickle"),
        ("logistic 3-class, predict_proba, cloudpickle", lr3, "predict_proba", "cloudpickle"),
        ("random forest classifier, predict", rfc, "predict", "cloudpickle"),
        ("random forest classifier, predict_proba", rfc, "predict_proba", "pickle"),
        ("random forest regressor, predict", rfr, "predict", "cloudpickle"),
        ("string labels, predict", lrs, "predict", "pickle"),
    ]


def _same(got, want):
    want = np.asarray(want)
    if want.dtype.kind == "f":
        return _close(got, want.tolist(), 1e-6)
    return got == want.tolist()  # labels and strings: exactly


def test_sklearn_predictions_match_sklearn_in_every_format(ferry):
    x, models = _models()
    for name, model, fn, fmt in models:
        want = getattr(model, fn)(x)
        d = _save(model, fn, fmt)
        s = Serve(ferry, d, extra=["--workers", "2"])
        try:
            body = {"dataframe_split": {"columns": COLS, "data": x.tolist()}}
            st, js, raw = s.req("POST", "/invocations", body)
            assert st == 200 and _same(js["predictions"], want), (name, raw[:300])
            recs = [dict(zip(COLS, r)) for r in x[:50].tolist()]
            st, js, raw = s.req("POST", "/invocations", {"dataframe_records": recs})
            assert st == 200 and _same(js["predictions"], want[:50]), (name, raw[:300])
            # columns in another order are put back in the signature's order
            rev = {"dataframe_split": {"columns": COLS[::-1], "data": x[:20, ::-1].tolist()}}
            st, js, raw = s.req("POST", "/invocations", rev)
            assert st == 200 and _same(js["predictions"], want[:20]), (name, raw[:300])
            csv = ",".join(COLS) + "\n" + "\n".join(",".join(repr(v) for v in r)
                                                     for r in x[:30].tolist())
            st, js, raw = s.req("POST", "/invocations", csv, ctype="text/csv")
            assert st == 200 and _same(js["predictions"], want[:30]), (name, raw[:300])
            oip = {"inputs": [{"name": "input-0", "shape": [10, len(COLS)], "datatype": "FP64",
                               "data": x[:10].ravel().tolist()}]}
            st, js, raw = s.req("POST", "/v2/models/model/infer", oip)
            assert st == 200, (name, raw[:300])
            out = js["outputs"][0]
            if np.asarray(want).dtype.kind in "US":
                assert out["datatype"] == "BYTES" and out["data"] == want[:10].tolist(), raw
            else:
                assert _same(out["data"], np.asarray(want[:10]).ravel()), (name, raw[:300])
            st, js, raw = s.req("GET", "/v2/models/model")
            assert st == 200 and js["platform"] == "sklearn", raw
        finally:
            assert s.stop() == 0


def test_concurrent_requests_are_batched_and_split_back(ferry):
    x, models = _models()
    _, model, fn, fmt = models[3]  # random forest, predict_proba: rows x 3 per answer
    want = model.predict_proba(x)
    s = Serve(ferry, _save(model, fn, fmt), extra=["--workers", "1"])
    errors = []

    def client(k):
        c = Serve.__new__(Serve)
        c.conn = __import__("http.client").client.HTTPConnection("127.0.0.1", s.port, timeout=60)
        try:
            for i in range(25):
                lo = (k * 7 + i * 3) % (len(x) - 5)
                n = 1 + (k + i) % 5
                body = {"dataframe_split": {"columns": COLS, "data": x[lo:lo + n].tolist()}}
                st, js, raw = c.req("POST", "/invocations", body)
                if st != 200 or not _close(js["predictions"], want[lo:lo + n].tolist(), 1e-6):
                    errors.append((k, i, st, raw[:200]))
        finally:
            c.conn.close()

    try:
        threads = [threading.Thread(target=client, args=(k,)) for k in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert not errors, errors[:3]
        st, _, raw = s.req("GET", "/metrics")
        assert st == 200 and b"ferry_requests_total 400" in raw, raw
    finally:
        assert s.stop() == 0


class Saboteur:
    """A model that misbehaves on cue (f0 = 555 raises, 666 kills its own worker, 777 hangs,
    888 tries to write a file); pickled by value so the worker needs no test code."""

    def __init__(self, path):
        self.path = path

    def predict(self, x):
        import os
        import time
        cue = set(x[:, 0].tolist())
        if 555 in cue:
            raise ValueError("f0 must not be 555")
        if 666 in cue:
            os.kill(os.getpid(), 9)
        if 777 in cue:
            time.sleep(30)
        if 888 in cue:
            with open(self.path, "w") as f:
                f.write("x" * 4096)
        return x[:, 0] * 2


def _saboteur_dir():
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    out = os.path.join(tempfile.mkdtemp(prefix="ferry-sab-"), "written")
    os.chmod(os.path.dirname(out), 0o777)
    return _save(Saboteur(out), "predict", "cloudpickle"), out


def _row(f0):
    return {"dataframe_split": {"columns": COLS, "data": [[f0, 1, 2, 3, 4]]}}


def test_a_model_that_raises_fails_only_its_own_request(ferry):
    d, _ = _saboteur_dir()
    s = Serve(ferry, d, extra=["--workers", "1"])
    results = {}

    def send(k, f0):
        c = Serve.__new__(Serve)
        c.conn = __import__("http.client").client.HTTPConnection("127.0.0.1", s.port, timeout=60)
        results[k] = c.req("POST", "/invocations", _row(f0))
        c.conn.close()

    try:
        st, js, raw = s.req("POST", "/invocations", _row(555))
        assert st == 400 and js["error_code"] == "BAD_REQUEST", raw
        assert "ValueError: f0 must not be 555" in js["message"], raw
        # the bad request batched with good ones: only it fails
        threads = [threading.Thread(target=send, args=(k, 555 if k == 3 else k)) for k in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for k, (st, js, raw) in results.items():
            if k == 3:
                assert st == 400 and "555" in js["message"], raw
            else:
                assert st == 200 and js["predictions"] == [k * 2.0], (k, raw)
    finally:
        assert s.stop() == 0


def test_a_killed_or_hung_worker_is_answered_and_restarted(ferry):
    d, _ = _saboteur_dir()
    s = Serve(ferry, d, env={"MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT": "2"},
              extra=["--workers", "1"])
    try:
        st, js, raw = s.req("POST", "/invocations", _row(666))
        assert st == 503 and js["error_code"] == "TEMPORARILY_UNAVAILABLE", raw
        assert "killed by signal 9" in js["message"] and "restarted" in js["message"], raw
        st, js, raw = s.req("POST", "/invocations", _row(21))
        assert st == 200 and js["predictions"] == [42.0], raw
        t0 = time.time()
        st, js, raw = s.req("POST", "/invocations", _row(777))
        took = time.time() - t0
        assert st == 503 and "longer than 2000 ms" in js["message"], raw
        assert took < 15, took
        st, js, raw = s.req("POST", "/invocations", _row(4))
        assert st == 200 and js["predictions"] == [8.0], raw
        # killed from outside while idle: restarted before the next request, which succeeds
        pids = subprocess.run(["pgrep", "-P", str(s.proc.pid)], capture_output=True,
                              text=True).stdout.split()
        assert len(pids) == 1, pids
        os.kill(int(pids[0]), 9)
        time.sleep(0.2)
        st, js, raw = s.req("POST", "/invocations", _row(5))
        assert st == 200 and js["predictions"] == [10.0], raw
        st, _, raw = s.req("GET", "/metrics")
        assert b"ferry_model_worker_restarts_total 3" in raw, raw
    finally:
        assert s.stop() == 0
    # no worker outlives the server
    assert subprocess.run(["pgrep", "-P", str(s.proc.pid)], capture_output=True).returncode == 1


def test_workers_run_with_least_privilege(ferry):
    d, written = _saboteur_dir()
    s = Serve(ferry, d, extra=["--workers", "1"])
    try:
        pid = subprocess.run(["pgrep", "-P", str(s.proc.pid)], capture_output=True,
                             text=True).stdout.split()[0]
        with open("/proc/%s/status" % pid) as f:
            uid = [ln.split()[1:] for ln in f if ln.startswith("Uid:")][0]
        if os.geteuid() == 0:
            import pwd
            assert int(uid[0]) == pwd.getpwnam("nobody").pw_uid, uid
        with open("/proc/%s/environ" % pid, "rb") as f:
            env = f.read().split(b"\0")
        assert not any(e.startswith((b"ASAN", b"FERRY", b"MLFLOW")) for e in env), env
        # stdio and its socket to ferry (and the worker's own dup of it): nothing of ferry's
        links = {int(f): os.readlink("/proc/%s/fd/%s" % (pid, f))
                 for f in os.listdir("/proc/%s/fd" % pid)}
        assert links[0] == "/dev/null", links
        assert all(links[f] == links[3] for f in links if f > 2), links
        # it may not write files (RLIMIT_FSIZE 0): the model's error, nothing written
        st, js, raw = s.req("POST", "/invocations", _row(888))
        assert st == 400 and "File too large" in js["message"], raw
        assert not os.path.exists(written) or os.path.getsize(written) == 0
        st, js, raw = s.req("POST", "/invocations", _row(1))
        assert st == 200, raw
    finally:
        assert s.stop() == 0


def _serve_fails(ferry, d, env=None):
    r = subprocess.run([ferry, "models", "serve", "-m", d, "--port", "0"], capture_output=True,
                       timeout=120, env=dict(os.environ, **(env or {})))
    assert r.returncode != 0, r
    return r.stderr.decode()


def test_models_that_do_not_load_get_clear_errors(ferry):
    x, models = _models()
    d = _save(models[0][1], "predict", "pickle")
    with open(os.path.join(d, "model.pkl"), "wb") as f:
        f.write(b"not a pickle at all")
    err = _serve_fails(ferry, d)
    assert "does not load in Python" in err and "UnpicklingError" in err, err
    # a pickle naming a module the worker does not have
    with open(os.path.join(d, "model.pkl"), "wb") as f:
        f.write(b"cnot_installed_module_xyz\nThing\n)\x81.")
    err = _serve_fails(ferry, d)
    assert "ModuleNotFoundError" in err and "not_installed_module_xyz" in err, err
    # a predict_fn MLflow does not allow, a missing interpreter, an unknown loader
    d = _save(models[0][1], "fit", "pickle")
    assert "predict_fn 'fit'" in _serve_fails(ferry, d)
    d = _save(models[0][1], "predict", "pickle")
    err = _serve_fails(ferry, d, env={"FERRY_PYTHON": "/nonexistent/python3"})
    assert "cannot run the Python interpreter '/nonexistent/python3'" in err, err
    with open(os.path.join(d, "MLmodel")) as f:
        text = f.read()
    with open(os.path.join(d, "MLmodel"), "w") as f:
        f.write(text.replace("loader_module: mlflow.sklearn", "loader_module: mlflow.pyfunc.model"))
    err = _serve_fails(ferry, d)
    assert "mlflow.pyfunc.model" in err, err


def test_batch_predict_and_validate_an_sklearn_model(ferry):
    x, models = _models()
    _, model, fn, fmt = models[1]
    d = _save(model, fn, fmt)
    work = tempfile.mkdtemp(prefix="ferry-skp-")
    csv = os.path.join(work, "in.csv")
    with open(csv, "w") as f:
        f.write(",".join(COLS) + "\n")
        for r in x.tolist():
            f.write(",".join(repr(v) for v in r) + "\n")
    out = os.path.join(work, "out.json")
    r = subprocess.run([ferry, "models", "predict", "-m", d, "-i", csv, "-o", out],
                       capture_output=True, timeout=120)
    assert r.returncode == 0, r
    with open(out) as f:
        assert _close(json.load(f)["predictions"], model.predict_proba(x).tolist(), 1e-6)
    r = subprocess.run([ferry, "models", "validate", "-m", d], capture_output=True, timeout=120)
    assert r.returncode == 0 and b"predictions:        3" in r.stdout, r
