# SPDX-License-Identifier: MIT
"""`ferry serve`, the deployments gateway, over real HTTP against a ferry server (its store on
SQLite, or PostgreSQL in the second pass), with XGBoost models trained here by libxgboost and
sklearn-shaped models pickled here: traffic split by weight within the issue's bounds, sticky
routing keys, a slow shadow that leaves the primary alone, a failing candidate rolled back by
the controller (and the history saying which guard), a rollout that passes its guards reaching
100 and moving the alias, applies under load failing no request, two gateways agreeing with
only one deciding, and the bad inputs."""
import http.client
import json
import os
import random
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time

import cloudpickle

FERRY = "/api/2.0/ferry/"
COLS = ["f0", "f1", "f2", "f3", "f4"]
SK_MLMODEL = """artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
    model_path: model.pkl
    predict_fn: predict
    python_version: 3.11.2
  sklearn:
    pickled_model: model.pkl
    serialization_format: cloudpickle
signature:
  inputs: '[%s]'
  outputs: null
"""


class Sleepy:
    """Answers 1 for every row, after a pause (a slow shadow)."""

    def __init__(self, pause):
        self.pause = pause

    def predict(self, x):
        import time as t
        t.sleep(self.pause)
        return [1] * len(x)


class Flaky:
    """Raises for rows with f0 > 0.5: a candidate that fails on part of its inputs."""

    def predict(self, x):
        rows = x.values if hasattr(x, "values") else x
        if any(r[0] > 0.5 for r in rows):
            raise ValueError("cannot score f0 > 0.5")
        return [0] * len(rows)


def _sk_model(obj):
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    d = os.path.join(tempfile.mkdtemp(prefix="ferry-gw-sk-"), "model")
    os.makedirs(d)
    with open(os.path.join(d, "model.pkl"), "wb") as f:
        cloudpickle.dump(obj, f)
    inputs = ", ".join('{"type": "double", "name": "%s", "required": true}' % c for c in COLS)
    with open(os.path.join(d, "MLmodel"), "w") as f:
        f.write(SK_MLMODEL % inputs)
    return d


def _xgb_model(ferry, seed_rows):
    d = os.path.join(tempfile.mkdtemp(prefix="ferry-gw-xgb-"), "model")
    tool = os.path.join(os.path.dirname(ferry), "tools", "make_xgb_model")
    subprocess.run([tool, d, "binary", str(seed_rows), "5"], check=True, timeout=120,
                   env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return d


def _cli(ferry, srv, *args):
    return subprocess.run([ferry, "--tracking-uri", srv.url] + list(args), capture_output=True,
                          timeout=120)


def _register(ferry, srv, c, name, model_dir):
    """model_dir logged to a new run and registered as the next version of name."""
    rid = c.create_run()["info"]["run_id"]
    r = _cli(ferry, srv, "artifacts", "log", rid, model_dir, "--artifact-path", "model")
    assert r.returncode == 0, r
    r = _cli(ferry, srv, "models", "register", "runs:/%s/model" % rid, "--name", name)
    assert r.returncode == 0, r


_models = {}


def _setup(ferry, srv, c, name):
    """name: versions 1, 2 (XGBoost), 3 (slow: 0.3 s a request), 4 (fails for f0 > 0.5)."""
    if "xgb1" not in _models:
        _models["xgb1"] = _xgb_model(ferry, 400)
        _models["xgb2"] = _xgb_model(ferry, 300)
        _models["slow"] = _sk_model(Sleepy(0.3))
        _models["flaky"] = _sk_model(Flaky())
    for k in ("xgb1", "xgb2", "slow", "flaky"):
        _register(ferry, srv, c, name, _models[k])
    c.ok(c.post("registered-models/alias", {"name": name, "alias": "champion", "version": "1"}))


def _apply(c, spec, revision=None):
    doc = {"spec": spec}
    if revision is not None:
        doc["revision"] = revision
    return c.post("deployments/apply", doc, prefix=FERRY)


class Gateway:
    def __init__(self, ferry, srv, extra=()):
        self.proc = subprocess.Popen([ferry, "--tracking-uri", srv.url, "serve", "--port", "0"]
                                     + list(extra), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        line = b""
        deadline = time.time() + 60
        while time.time() < deadline:
            r, _, _ = select.select([self.proc.stdout], [], [], 1)
            if r:
                line = self.proc.stdout.readline()
                break
            if self.proc.poll() is not None:
                break
        if b"listening on" not in line:
            self.proc.kill()
            raise AssertionError("serve did not start: %r %r" % (line, self.proc.stderr.read()))
        self.port = int(line.strip().rsplit(b":", 1)[1])
        self.errlog = b""

    def conn(self):
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def get(self, path):
        cn = self.conn()
        cn.request("GET", path)
        r = cn.getresponse()
        data = r.read()
        cn.close()
        return r.status, data

    def served(self, name):
        st, data = self.get("/endpoints")
        assert st == 200, data
        for e in json.loads(data)["endpoints"]:
            if e["name"] == name:
                return e
        return None

    def wait_served(self, name, pred, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            e = self.served(name)
            if e is not None and pred(e):
                return e
            time.sleep(0.05)
        raise AssertionError("gateway never served %s as expected: %r" % (name, self.served(name)))

    def metric(self, name, **labels):
        st, data = self.get("/metrics")
        total = 0.0
        for line in data.decode().splitlines():
            if not line.startswith(name + "{") and not line.startswith(name + " "):
                continue
            if all('%s="%s"' % kv in line for kv in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
        return total

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(30)
        err = self.proc.stderr.read()
        at = err.find(b"ERROR: ")  # a sanitizer's report: from its first finding
        self.errlog = err[at:at + 6000] if at >= 0 else err[-3000:]
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc


def _row(rng, f0=None):
    row = [rng.random() for _ in COLS]
    if f0 is not None:
        row[0] = f0
    return row


def _invoke(cn, name, row, headers=None):
    body = json.dumps({"dataframe_split": {"columns": COLS, "data": [row]}})
    h = {"Content-Type": "application/json"}
    h.update(headers or {})
    cn.request("POST", "/endpoints/%s/invocations" % name, body=body, headers=h)
    r = cn.getresponse()
    data = r.read()
    return r.status, r.getheader("X-Ferry-Model"), r.getheader("X-Ferry-Request-Id"), data


def _load(gw, name, n, threads=4, stop=None, f0=None, seed=0):
    """n requests (or until stop is set) from threads keep-alive clients: statuses and models."""
    out = []
    lock = threading.Lock()

    def run(k):
        rng = random.Random(seed * 100 + k)
        cn = gw.conn()
        mine = []
        i = 0
        while (stop is None and i < n // threads) or (stop is not None and not stop.is_set()
                                                     and i < n):
            mine.append(_invoke(cn, name, _row(rng, f0))[:2])
            i += 1
        cn.close()
        with lock:
            out.extend(mine)

    ts = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(300)
    return out


def test_weights_split_traffic_and_routing_keys_stick(srv, c):
    ferry = srv.ferry
    _setup(ferry, srv, c, "split")
    spec = {"name": "split", "targets": [{"model": "models:/split@champion", "weight": 90},
                                         {"model": "models:/split/2", "weight": 10}]}
    c.ok(_apply(c, spec))
    gw = Gateway(ferry, srv)
    try:
        gw.wait_served("split", lambda e: True)
        res = _load(gw, "split", 10000)
        assert len(res) == 10000 and all(st == 200 for st, _ in res), \
            [r for r in res if r[0] != 200][:3]
        share = sum(1 for _, m in res if m == "split/2") / len(res)
        assert abs(share - 0.10) <= 0.015, share
        assert {m for _, m in res} == {"split/1", "split/2"}
        # sticky: the same key always reaches the same target
        c.ok(_apply(c, dict(spec, routing={"key": "header:X-User-Id"})))
        gw.wait_served("split", lambda e: e["revision"] == 2)
        cn = gw.conn()
        seen = {}
        for rep in range(3):
            for user in range(200):
                st, model, rid, _ = _invoke(cn, "split", _row(random.Random(user)),
                                            {"X-User-Id": "user-%d" % user})
                assert st == 200 and rid
                assert seen.setdefault(user, model) == model, (user, model, seen[user])
        split = sum(1 for m in seen.values() if m == "split/2") / len(seen)
        assert 0.03 <= split <= 0.2, split
        # ours is always a new UUIDv7 (the log's key); the caller's comes back as X-Request-Id
        cn.request("POST", "/endpoints/split/invocations", headers={
            "Content-Type": "application/json", "X-Request-Id": "abc-1"}, body=json.dumps(
            {"dataframe_split": {"columns": COLS, "data": [_row(random.Random(1))]}}))
        r = cn.getresponse()
        r.read()
        rid = r.getheader("X-Ferry-Request-Id")
        assert len(rid) == 36 and rid[14] == "7", rid
        assert r.getheader("X-Request-Id") == "abc-1"
        st, _, rid2, _ = _invoke(cn, "split", _row(random.Random(1)))
        assert len(rid2) == 36 and rid2[14] == "7" and rid2 != rid, rid2
        cn.close()
        assert gw.metric("ferry_gateway_requests_total", deployment="split") >= 10601
    finally:
        assert gw.stop() == 0, gw.errlog


def test_a_slow_shadow_leaves_the_primary_alone(srv, c):
    ferry = srv.ferry
    _setup(ferry, srv, c, "shadowed")
    c.ok(_apply(c, {"name": "shadowed", "targets": [{"model": "models:/shadowed/1",
                                                     "weight": 100}],
                    "shadow": [{"model": "models:/shadowed/3"}]}))
    gw = Gateway(ferry, srv)
    try:
        gw.wait_served("shadowed", lambda e: all(t["loaded"] for t in e["targets"]))
        cn = gw.conn()
        slow = 0
        for i in range(300):
            t0 = time.time()
            st, model, _, _ = _invoke(cn, "shadowed", _row(random.Random(i)))
            slow += time.time() - t0 > 0.25
            assert st == 200 and model == "shadowed/1"
        cn.close()
        # the shadow sleeps 0.3 s a request: no primary answer waited for it
        assert slow == 0, slow
        deadline = time.time() + 20
        while time.time() < deadline:
            scored = gw.metric("ferry_gateway_requests_total", deployment="shadowed",
                               shadow="true")
            if scored >= 2:
                break
            time.sleep(0.2)
        assert scored >= 2, scored
        # the copies it could not keep up with were dropped, not queued forever
        assert gw.metric("ferry_gateway_shadow_dropped_total") + scored + 1024 >= 300
        # answered copies are compared with the primary's answer (the shadow says 1 for every
        # row, the primary 0 or 1)
        deadline = time.time() + 20
        while time.time() < deadline:
            agreed = gw.metric("ferry_gateway_shadow_agreed_total", deployment="shadowed")
            disagreed = gw.metric("ferry_gateway_shadow_disagreed_total", deployment="shadowed")
            if agreed + disagreed >= scored:
                break
            time.sleep(0.2)
        assert agreed + disagreed >= scored, (agreed, disagreed, scored)
    finally:
        assert gw.stop() == 0, gw.errlog


def _history(c, name):
    return c.ok(c.get("deployments/history", {"name": name}, prefix=FERRY))["changes"]


def _deployment(c, name):
    return c.ok(c.get("deployments/get", {"name": name}, prefix=FERRY))["deployment"]


def test_a_failing_candidate_is_rolled_back_and_history_says_why(srv, c):
    ferry = srv.ferry
    _setup(ferry, srv, c, "canary")
    c.ok(_apply(c, {"name": "canary",
                    "targets": [{"model": "models:/canary/1", "weight": 50},
                                {"model": "models:/canary/4"}],
                    "rollout": {"steps": [50, 100], "interval": "60s", "min_requests": 10,
                                "guards": {"window": "10s", "max_error_rate": 0.05,
                                           "min_samples": 20}}}))
    gw = Gateway(ferry, srv)
    try:
        gw.wait_served("canary", lambda e: all(t["loaded"] for t in e["targets"]))
        stop = threading.Event()
        out = []
        loader = threading.Thread(target=lambda: out.extend(
            _load(gw, "canary", 100000, threads=2, stop=stop, seed=3)))
        loader.start()
        deadline = time.time() + 60
        try:
            while time.time() < deadline:
                d = _deployment(c, "canary")
                if d["status"]["phase"] == "ROLLED_BACK":
                    break
                time.sleep(0.1)
            breach_seen = time.time()
            served = gw.wait_served("canary", lambda e: e["targets"][1]["effective_weight"] == 0,
                                    timeout=5)
            took = time.time() - breach_seen
        finally:
            stop.set()
            loader.join(60)
        assert d["status"]["phase"] == "ROLLED_BACK", d
        assert d["status"]["weights"] == [100, 0], d
        assert served["targets"][0]["effective_weight"] == 100
        assert took < 1.5, took
        rb = [h for h in _history(c, "canary") if h["action"] == "rollback"]
        assert len(rb) == 1 and "max_error_rate" in rb[0]["reason"], rb
        # target errors were answered with the scorer's status and counted; nothing else failed
        assert {st for st, _ in out} <= {200, 400}, {st for st, _ in out}
        assert gw.metric("ferry_gateway_rollbacks_total") == 1
        assert gw.metric("ferry_gateway_target_errors_total", target="canary/4") > 0
        # after the rollback the candidate gets nothing
        res = _load(gw, "canary", 200, threads=2, seed=9)
        assert all(m == "canary/1" for _, m in res), {m for _, m in res}
        ev = c.ok(c.get("events/search", {"kinds": "deployment.rollback"}, prefix=FERRY))
        assert any(e["subject"] == "canary" for e in ev["events"]), ev
    finally:
        assert gw.stop() == 0, gw.errlog


def test_a_rollout_that_holds_reaches_100_and_moves_the_alias(srv, c):
    ferry = srv.ferry
    _setup(ferry, srv, c, "progress")
    c.ok(_apply(c, {"name": "progress",
                    "targets": [{"model": "models:/progress@champion", "weight": 80},
                                {"model": "models:/progress/2"}],
                    "rollout": {"steps": [20, 60, 100], "interval": "1s", "min_requests": 20,
                                "guards": {"window": "5s", "max_error_rate": 0.01,
                                           "min_samples": 10}},
                    "promote_alias": "champion"}))
    gw = Gateway(ferry, srv)
    try:
        gw.wait_served("progress", lambda e: all(t["loaded"] for t in e["targets"]))
        stop = threading.Event()
        out = []
        loader = threading.Thread(target=lambda: out.extend(
            _load(gw, "progress", 200000, threads=2, stop=stop, seed=5)))
        loader.start()
        deadline = time.time() + 60
        try:
            while time.time() < deadline:
                d = _deployment(c, "progress")
                if d["revision"] == 2:
                    break
                time.sleep(0.2)
        finally:
            stop.set()
            loader.join(60)
        assert d["revision"] == 2 and len(d["spec"]["targets"]) == 1, d
        assert d["spec"]["targets"][0]["version"] == 2
        assert all(st == 200 for st, _ in out), {st for st, _ in out}
        acts = [h["action"] for h in _history(c, "progress")]
        assert acts == ["apply", "step", "step", "complete"], acts
        got = c.ok(c.get("registered-models/alias", {"name": "progress", "alias": "champion"}))
        assert got["model_version"]["version"] == "2", got
    finally:
        assert gw.stop() == 0, gw.errlog


def test_applies_under_load_fail_no_request(srv, c):
    ferry = srv.ferry
    _setup(ferry, srv, c, "busy")
    base = {"name": "busy", "targets": [{"model": "models:/busy/1", "weight": 100},
                                        {"model": "models:/busy/2", "weight": 0}]}
    c.ok(_apply(c, base))
    gw = Gateway(ferry, srv)
    try:
        gw.wait_served("busy", lambda e: True)
        stop = threading.Event()
        out = []
        loader = threading.Thread(target=lambda: out.extend(
            _load(gw, "busy", 1000000, threads=4, stop=stop, seed=7)))
        loader.start()
        try:
            for i in range(10):
                w = 10 * (i + 1)
                c.ok(_apply(c, {"name": "busy", "targets": [
                    {"model": "models:/busy/1", "weight": 100 - w},
                    {"model": "models:/busy/2", "weight": w}]}))
                gw.wait_served("busy", lambda e, w=w: e["targets"][1]["weight"] == w, timeout=5)
        finally:
            stop.set()
            loader.join(60)
        assert len(out) > 100
        assert all(st == 200 for st, _ in out), [r for r in out if r[0] != 200][:5]
    finally:
        assert gw.stop() == 0, gw.errlog


def test_two_gateways_agree_and_only_one_rolls_back(srv, c):
    ferry = srv.ferry
    _setup(ferry, srv, c, "pair")
    c.ok(_apply(c, {"name": "pair",
                    "targets": [{"model": "models:/pair/1", "weight": 50},
                                {"model": "models:/pair/4"}],
                    "rollout": {"steps": [50, 100], "interval": "60s",
                                "guards": {"window": "10s", "max_error_rate": 0.05,
                                           "min_samples": 20}}}))
    a, b = Gateway(ferry, srv, ["--id", "gw-a"]), Gateway(ferry, srv, ["--id", "gw-b"])
    try:
        for g in (a, b):
            g.wait_served("pair", lambda e: all(t["loaded"] for t in e["targets"]))
        stop = threading.Event()
        loaders = [threading.Thread(target=_load, args=(g, "pair", 100000),
                                    kwargs={"threads": 1, "stop": stop, "seed": s})
                   for s, g in enumerate((a, b))]
        for t in loaders:
            t.start()
        zero = {}
        try:
            deadline = time.time() + 60
            while len(zero) < 2 and time.time() < deadline:
                for g in (a, b):
                    e = g.served("pair")
                    if g not in zero and e["targets"][1]["effective_weight"] == 0:
                        zero[g] = time.time()
                time.sleep(0.05)
        finally:
            stop.set()
            for t in loaders:
                t.join(60)
        assert len(zero) == 2, zero
        # the deciding gateway applies its rollback at once, the other at its next poll
        assert abs(zero[a] - zero[b]) <= 2.0, zero
        wa, wb = a.served("pair"), b.served("pair")
        assert [t["weight"] for t in wa["targets"]] == [t["weight"] for t in wb["targets"]]
        assert wa["change"] == wb["change"]
        assert a.metric("ferry_gateway_rollbacks_total") + \
            b.metric("ferry_gateway_rollbacks_total") == 1
        assert len([h for h in _history(c, "pair") if h["action"] == "rollback"]) == 1
    finally:
        assert a.stop() == 0, a.errlog
        assert b.stop() == 0, b.errlog


def test_bad_requests_and_unknown_deployments(srv, c):
    ferry = srv.ferry
    _setup(ferry, srv, c, "strict")
    c.ok(_apply(c, {"name": "strict", "targets": [{"model": "models:/strict/1",
                                                   "weight": 100}]}))
    c.ok(_apply(c, {"name": "strict-other", "targets": [{"model": "models:/strict/2",
                                                         "weight": 100}]}))
    gw = Gateway(ferry, srv, ["--deployments", "strict"])
    try:
        gw.wait_served("strict", lambda e: True)
        assert gw.served("strict-other") is None  # not named in --deployments
        cn = gw.conn()
        cn.request("POST", "/endpoints/nope/invocations", body="{}",
                   headers={"Content-Type": "application/json"})
        r = cn.getresponse()
        body = json.loads(r.read())
        assert r.status == 404 and body["error_code"] == "RESOURCE_DOES_NOT_EXIST", body
        # a body the model refuses: 400, a client error, not the target's
        cn.request("POST", "/endpoints/strict/invocations",
                   body=json.dumps({"dataframe_split": {"columns": COLS[:3],
                                                        "data": [[1, 2, 3]]}}),
                   headers={"Content-Type": "application/json"})
        r = cn.getresponse()
        body = json.loads(r.read())
        assert r.status == 400 and "'f3'" in body["message"], body
        cn.request("POST", "/endpoints/strict/invocations", body="not json",
                   headers={"Content-Type": "application/json"})
        r = cn.getresponse()
        r.read()
        assert r.status == 400
        # OIP v2 on the same deployment
        cn.request("POST", "/v2/models/strict/infer", body=json.dumps({"inputs": [{
            "name": "input", "shape": [1, 5], "datatype": "FP64",
            "data": [0.1, 0.2, 0.3, 0.4, 0.5]}]}), headers={"Content-Type": "application/json"})
        r = cn.getresponse()
        body = json.loads(r.read())
        assert r.status == 200 and r.getheader("X-Ferry-Model") == "strict/1", body
        cn.close()
        assert gw.metric("ferry_gateway_client_errors_total", deployment="strict") == 2
        assert gw.metric("ferry_gateway_target_errors_total", deployment="strict") == 0
        assert gw.metric("ferry_gateway_not_found_total") == 1
        cn = gw.conn()
        cn.request("POST", "/endpoints/strict-other/invocations", body="{}",
                   headers={"Content-Type": "application/json"})
        r = cn.getresponse()
        r.read()
        cn.close()
        assert r.status == 404
    finally:
        assert gw.stop() == 0, gw.errlog


def test_cli_apply_loads_the_versions_and_refuses_what_cannot_serve(srv, c):
    ferry = srv.ferry
    _setup(ferry, srv, c, "checked")
    # version 5: four inputs, not five; version 6: files that do not load
    narrow = os.path.join(tempfile.mkdtemp(prefix="ferry-gw-xgb4-"), "model")
    subprocess.run([os.path.join(os.path.dirname(ferry), "tools", "make_xgb_model"), narrow,
                    "binary", "200", "4"], check=True, timeout=120,
                   env=dict(os.environ, ASAN_OPTIONS="detect_leaks=0"),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _register(ferry, srv, c, "checked", narrow)
    broken = os.path.join(tempfile.mkdtemp(prefix="ferry-gw-broken-"), "model")
    subprocess.run(["cp", "-r", _models["xgb1"], broken], check=True)
    with open(os.path.join(broken, "model.xgb"), "wb") as f:
        f.write(b"garbage")
    _register(ferry, srv, c, "checked", broken)
    work = tempfile.mkdtemp(prefix="ferry-gw-cli-")

    def apply(targets, shadow=()):
        spec = os.path.join(work, "spec.json")
        with open(spec, "w") as f:
            json.dump({"name": "checked", "targets": targets,
                       "shadow": [{"model": m} for m in shadow]}, f)
        return _cli(ferry, srv, "deployments", "apply", "-f", spec)

    r = apply([{"model": "models:/checked/1", "weight": 50},
               {"model": "models:/checked/5", "weight": 50}])
    assert r.returncode == 1 and b"takes other inputs" in r.stderr, r
    r = apply([{"model": "models:/checked/6", "weight": 100}])
    assert r.returncode == 1 and b"models:/checked/6 cannot be served" in r.stderr, r
    r = apply([{"model": "models:/checked/1", "weight": 100}], ["models:/checked/6"])
    assert r.returncode == 1 and b"shadow[0]" in r.stderr, r
    got = c.get("deployments/get", {"name": "checked"}, prefix=FERRY)
    assert got.status == 404, got  # nothing was applied
    # a shadow may take other inputs; the sklearn candidate loads through its workers
    r = apply([{"model": "models:/checked/1", "weight": 90},
               {"model": "models:/checked/4", "weight": 10}], ["models:/checked/5"])
    assert r.returncode == 0 and b"revision 1 applied" in r.stdout, r


def test_a_slow_candidate_breaks_the_latency_guard(srv, c):
    ferry = srv.ferry
    _setup(ferry, srv, c, "laggard")
    c.ok(_apply(c, {"name": "laggard",
                    "targets": [{"model": "models:/laggard/1", "weight": 50},
                                {"model": "models:/laggard/3"}],
                    "rollout": {"steps": [50, 100], "interval": "60s",
                                "guards": {"window": "20s", "max_latency_ratio": 3,
                                           "min_samples": 8}}}))
    gw = Gateway(ferry, srv)
    try:
        gw.wait_served("laggard", lambda e: all(t["loaded"] for t in e["targets"]))
        stop = threading.Event()
        loader = threading.Thread(target=_load, args=(gw, "laggard", 100000),
                                  kwargs={"threads": 4, "stop": stop, "seed": 11})
        loader.start()
        try:
            gw.wait_served("laggard", lambda e: e["targets"][1]["effective_weight"] == 0,
                           timeout=60)
        finally:
            stop.set()
            loader.join(60)
        rb = [h for h in _history(c, "laggard") if h["action"] == "rollback"]
        assert len(rb) == 1 and "max_latency_ratio" in rb[0]["reason"], rb
    finally:
        assert gw.stop() == 0, gw.errlog


def test_a_gateway_on_the_store_itself_with_authentication(srv, c):
    """No server between the gateway and its store (a SQLite file here): it reads the
    deployments and writes its figures directly; with --auth every route but the health checks
    asks for a user of that store, and scoring needs USE on the model that answers."""
    import base64
    from test_serving import _registered
    ferry = srv.ferry
    d, e, env, cli = _registered(ferry, "guarded-dep")
    spec = os.path.join(os.path.dirname(env["FERRY_TRACKING_URI"]), "spec.yaml")
    with open(spec, "w") as f:
        f.write("name: guarded\ntargets: [{model: \"models:/guarded-dep/1\", weight: 100}]\n")
    r = cli("deployments", "apply", "-f", spec)
    assert r.returncode == 0 and b"revision 1 applied" in r.stdout, r
    for name, pw in (("scorer", b"s-pw\n"), ("reader", b"r-pw\n")):
        assert cli("users", "create", name, "--password-stdin", stdin=pw).returncode == 0
    assert cli("users", "grant", "scorer", "--model", "guarded-dep", "USE").returncode == 0

    class Uri:
        url = env["FERRY_TRACKING_URI"]

    gw = Gateway(ferry, Uri, ["--auth"])
    try:
        def post(user=None, pw=None):
            h = {"Content-Type": "application/json"}
            if user:
                h["Authorization"] = "Basic " + base64.b64encode(
                    ("%s:%s" % (user, pw)).encode()).decode()
            cn = gw.conn()
            cn.request("POST", "/endpoints/guarded/invocations", body=json.dumps(
                {"dataframe_split": {"columns": e["columns"], "data": e["data"][:3]}}), headers=h)
            r = cn.getresponse()
            out = r.read()
            cn.close()
            return r.status, out
        assert gw.get("/health")[0] == 200
        assert gw.get("/endpoints")[0] == 401
        assert post()[0] == 401
        st, out = post("reader", "r-pw")
        assert st == 403 and b"PERMISSION_DENIED" in out, out
        st, out = post("scorer", "s-pw")
        assert st == 200 and len(json.loads(out)["predictions"]) == 3, out
        # labels move the figures a rollout guard acts on: an admin's, not a scorer's
        cn = gw.conn()
        cn.request("POST", "/endpoints/guarded/feedback", body=json.dumps(
            {"labels": [{"request_id": "x", "label": 1}]}), headers={
                "Content-Type": "application/json", "Authorization": "Basic " +
                base64.b64encode(b"scorer:s-pw").decode()})
        r = cn.getresponse()
        out = r.read()
        cn.close()
        assert r.status == 403 and b"PERMISSION_DENIED" in out, out
    finally:
        assert gw.stop() == 0, gw.errlog


def test_rest_apply_checks_the_files_without_running_model_code(srv, c):
    """The server loads native flavors (XGBoost) and only looks at a Python model's files: a
    version that cannot load, or takes other inputs, is refused over REST with nothing applied;
    no_check skips it (as the CLI's --no-check)."""
    ferry = srv.ferry
    _setup(ferry, srv, c, "served-check")
    broken = os.path.join(tempfile.mkdtemp(prefix="ferry-gw-broken-"), "model")
    subprocess.run(["cp", "-r", _models["xgb1"], broken], check=True)
    with open(os.path.join(broken, "model.xgb"), "wb") as f:
        f.write(b"garbage")
    _register(ferry, srv, c, "served-check", broken)  # version 5
    nofile = _sk_model(Flaky())
    os.remove(os.path.join(nofile, "model.pkl"))
    _register(ferry, srv, c, "served-check", nofile)  # version 6

    def spec(*versions):
        ws = [100 // len(versions)] * len(versions)
        ws[0] += 100 - sum(ws)
        return {"name": "served-check", "targets": [
            {"model": "models:/served-check/%d" % v, "weight": w} for v, w in zip(versions, ws)]}

    r = _apply(c, spec(5))
    assert r.status == 400 and "models:/served-check/5 cannot be served" in r.json["message"], r
    r = _apply(c, spec(6))
    assert r.status == 400 and "model file 'model.pkl' is missing" in r.json["message"], r
    assert c.get("deployments/get", {"name": "served-check"}, prefix=FERRY).status == 404
    # a Python model whose file is there is accepted without being run; XGBoost loads
    d = c.ok(_apply(c, spec(1, 4)))["deployment"]
    assert d["revision"] == 1
    r = c.post("deployments/apply", {"spec": spec(5), "no_check": True}, prefix=FERRY)
    assert r.status == 200 and r.json["deployment"]["revision"] == 2, r
