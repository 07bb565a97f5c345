# SPDX-License-Identifier: MIT
"""The rollout's quality guard (issue 17): `guards: {min_accuracy_delta, min_labels}` judged from
the prediction log's late labels, through a real gateway scoring two XGBoost versions. The step
holds while too few labels are in (no advance, no rollback on the guard's account), a candidate
labeled clearly worse than the stable version is rolled back with the test in the reason, and one
labeled as good advances to 100."""
import json
import random
import time

from test_gateway import FERRY, Gateway, _apply, _invoke, _row, _setup


def _deployment(c, name):
    return c.ok(c.get("deployments/get", {"name": name}, prefix=FERRY))["deployment"]


def _history(c, name):
    return c.ok(c.get("deployments/history", {"name": name}, prefix=FERRY))["changes"]


def _score(gw, name, n, seed):
    """n one-row requests: (request id, model that answered, predicted class)."""
    rng = random.Random(seed)
    cn = gw.conn()
    out = []
    for _ in range(n):
        st, model, rid, data = _invoke(cn, name, _row(rng))
        assert st == 200, data
        out.append((rid, model, json.loads(data)["predictions"][0]))
    cn.close()
    return out


def _wait_logged(c, name, n, timeout=30):
    """Until the gateway's log queue has written n rows of name (it writes every 100 ms)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = c.ok(c.get("predictions/search", {"deployment": name, "max_results": 10000},
                         prefix=FERRY))
        if len(got.get("predictions", [])) >= n:
            return
        time.sleep(0.2)
    raise AssertionError("fewer than %d rows logged" % n)


def _label(c, name, rows, wrong_share_of, seed):
    """Labels every row: its prediction, except a share of the rows of the named model
    (wrong_share_of: {model: share}) labeled with the other class."""
    rng = random.Random(seed)
    labels = []
    for rid, model, pred in rows:
        wrong = rng.random() < wrong_share_of.get(model, 0)
        labels.append({"request_id": rid, "label": (1 - pred) if wrong else pred})
    got = c.ok(c.post("feedback/log", {"deployment": name, "labels": labels}, prefix=FERRY))
    assert got["accepted"] == len(labels), got


def _wait(c, name, pred, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        d = _deployment(c, name)
        if pred(d):
            return d
        time.sleep(0.2)
    raise AssertionError("deployment never got there: %r" % _deployment(c, name))


def _spec(name):
    return {"name": name,
            "targets": [{"model": "models:/%s/1" % name, "weight": 50},
                        {"model": "models:/%s/2" % name}],
            "task": "classification", "positive_label": 1,
            "rollout": {"steps": [50, 100], "interval": "1s", "min_requests": 20,
                        "guards": {"window": "30s", "min_samples": 10,
                                   "min_accuracy_delta": -0.02, "min_labels": 150}}}


def test_the_step_waits_for_labels_then_a_worse_candidate_is_rolled_back(srv, c):
    ferry = srv.ferry
    _setup(ferry, srv, c, "qworse")
    c.ok(_apply(c, _spec("qworse")))
    gw = Gateway(ferry, srv)
    try:
        gw.wait_served("qworse", lambda e: all(t["loaded"] for t in e["targets"]))
        rows = _score(gw, "qworse", 600, 1)
        _wait_logged(c, "qworse", 600)
        models = {m for _, m, _ in rows}
        assert models == {"qworse/1", "qworse/2"}, models
        # the interval is over and the requests are in, but no label: the step holds
        time.sleep(2.5)
        d = _deployment(c, "qworse")
        assert d["status"]["phase"] == "PROGRESSING" and d["status"]["step"] == 0, d["status"]
        # a few labels only (under min_labels at each target): still held
        _label(c, "qworse", rows[:100], {}, 2)
        time.sleep(6)
        d = _deployment(c, "qworse")
        assert d["status"]["phase"] == "PROGRESSING" and d["status"]["step"] == 0, d["status"]
        # every row labeled: the stable version right every time, the candidate wrong on 30%
        _label(c, "qworse", rows, {"qworse/2": 0.3}, 3)
        d = _wait(c, "qworse", lambda d: d["status"]["phase"] == "ROLLED_BACK", 30)
        assert "min_accuracy_delta" in d["status"]["reason"], d["status"]
        assert "not shown" in d["status"]["reason"], d["status"]
        acts = [h["action"] for h in _history(c, "qworse")]
        assert acts == ["apply", "rollback"], acts
    finally:
        assert gw.stop() == 0, gw.errlog


def test_a_candidate_as_good_as_the_stable_one_advances_to_100(srv, c):
    ferry = srv.ferry
    _setup(ferry, srv, c, "qgood")
    c.ok(_apply(c, _spec("qgood")))
    gw = Gateway(ferry, srv)
    try:
        gw.wait_served("qgood", lambda e: all(t["loaded"] for t in e["targets"]))
        rows = _score(gw, "qgood", 600, 4)
        _wait_logged(c, "qgood", 600)
        _label(c, "qgood", rows, {}, 5)
        d = _wait(c, "qgood", lambda d: d["status"]["step"] == 1 or
                  d["status"]["phase"] != "PROGRESSING", 30)
        assert d["status"]["phase"] in ("PROGRESSING", "COMPLETE"), d["status"]
        assert d["status"]["weights"][1] == 100, d["status"]
        assert [h["action"] for h in _history(c, "qgood")][:2] == ["apply", "step"]
    finally:
        assert gw.stop() == 0, gw.errlog


def test_quality_guard_terms_are_checked(srv, c):
    _setup(srv.ferry, srv, c, "qbad")
    for guards, needle in (({"min_accuracy_delta": 0.05}, "min_accuracy_delta"),
                           ({"min_accuracy_delta": "x"}, "min_accuracy_delta"),
                           ({"min_accuracy_delta": -0.02, "min_labels": 0}, "min_labels")):
        spec = _spec("qbad")
        spec["rollout"]["guards"] = guards
        r = _apply(c, spec)
        assert r.status == 400 and r.json["error_code"] == "INVALID_PARAMETER_VALUE", r
        assert needle in r.json["message"], r
    r = c.get("deployments/get", {"name": "qbad"}, prefix=FERRY)
    assert r.status == 404, r
