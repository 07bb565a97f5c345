# SPDX-License-Identifier: MIT
"""The prediction log at the issue's scale, end to end (issue 17's test): two XGBoost versions
trained here behind a real gateway at 50/50, 50,000 logged rows (5,000 requests of 10 rows);
labels posted in shuffled batches of 1,000, some rows labeled twice (the second wins), some ids
unknown (reported back, the batch still taken); then the log as the API exports it, joined with
the labels this test holds, gives the deployment's quality per version equal to sklearn's, and
its A/B accuracy test equal to statsmodels', from the rows (exact) and from the hourly
aggregates."""
import json
import random
import time

import numpy as np
from sklearn import metrics
from statsmodels.stats import proportion

from test_gateway import COLS, FERRY, Gateway, _apply, _register, _xgb_model

ROWS_PER_REQUEST = 10
REQUESTS = 5000
TOL = 1e-9


def _truth(row):
    """The label the world gives a row: a rule the models only approximate."""
    return 1 if row[0] + 0.5 * row[1] > 0.75 else 0


def _close(got, want, what):
    assert got is not None and abs(got - want) <= TOL * max(1.0, abs(want)), (what, got, want)


def _export(c, name, start, end):
    """Every logged row of name in [start, end), page by page, as the API answers them."""
    out, token = [], None
    while True:
        p = {"deployment": name, "start_time": start, "end_time": end, "max_results": 10000}
        if token:
            p["page_token"] = token
        r = c.ok(c.get("predictions/search", p, prefix=FERRY))
        out += r.get("predictions", [])
        token = r.get("next_page_token")
        if not token:
            return out


def test_50000_rows_labels_out_of_order_and_quality_equal_to_sklearn(srv, c):
    ferry = srv.ferry
    for seed_rows in (400, 250):  # versions 1 and 2 of "plscale"
        _register(ferry, srv, c, "plscale", _xgb_model(ferry, seed_rows))
    c.ok(_apply(c, {"name": "plscale",
                    "targets": [{"model": "models:/plscale/1", "weight": 50},
                                {"model": "models:/plscale/2", "weight": 50}],
                    "task": "classification", "positive_label": 1}))
    gw = Gateway(ferry, srv, ["--no-control"])
    try:
        gw.wait_served("plscale", lambda e: all(t["loaded"] for t in e["targets"]))
        rng = random.Random(17)
        sent = {}  # "<request id>/<row>" -> the row's inputs
        start = int(time.time() * 1000) - 1
        cn = gw.conn()
        for _ in range(REQUESTS):
            data = [[rng.random() for _ in COLS] for _ in range(ROWS_PER_REQUEST)]
            body = json.dumps({"dataframe_split": {"columns": COLS, "data": data}})
            cn.request("POST", "/endpoints/plscale/invocations", body=body,
                       headers={"Content-Type": "application/json"})
            r = cn.getresponse()
            r.read()
            assert r.status == 200
            rid = r.getheader("X-Ferry-Request-Id")
            for k, row in enumerate(data):
                sent["%s/%d" % (rid, k)] = row
        cn.close()
        end = int(time.time() * 1000) + 1
        # the log fills from the gateway's queue (batches every 100 ms)
        deadline = time.time() + 60
        while gw.metric("ferry_gateway_predictions_logged_total") < len(sent):
            assert time.time() < deadline, gw.metric("ferry_gateway_predictions_logged_total")
            time.sleep(0.2)
        assert gw.metric("ferry_gateway_predictions_dropped_total") == 0
        assert gw.metric("ferry_gateway_predictions_failed_total") == 0
    finally:
        assert gw.stop() == 0, gw.errlog
    assert len(sent) == REQUESTS * ROWS_PER_REQUEST == 50000

    # labels: every row, shuffled, in batches of 1,000; 2,000 rows first labeled wrong and
    # corrected in a later batch; 300 ids that name nothing
    ids = list(sent)
    rng.shuffle(ids)
    labels = {i: _truth(sent[i]) for i in ids}
    wrong_first = ids[:2000]
    unknown = ["0190a1b2-c3d4-7e5f-8a6b-%012x" % k for k in range(300)]
    stream = [{"request_id": i, "label": 1 - labels[i]} for i in wrong_first]
    stream += [{"request_id": i, "label": labels[i]} for i in ids]
    stream += [{"request_id": u, "label": 1} for u in unknown]
    rng.shuffle(stream)
    # the corrections must come after the wrong labels: move each wrong label before its fix
    pos = {}
    for k, e in enumerate(stream):
        pos.setdefault(e["request_id"], []).append(k)
    for i in wrong_first:
        a, b = pos[i]
        if stream[a]["label"] == labels[i]:
            stream[a], stream[b] = stream[b], stream[a]
    accepted, reported = 0, []
    for k in range(0, len(stream), 1000):
        got = c.ok(c.post("feedback/log", {"deployment": "plscale",
                                           "labels": stream[k:k + 1000]}, prefix=FERRY))
        accepted += got["accepted"]
        reported += got.get("unknown_request_ids", [])
    assert accepted == len(stream) - len(unknown), accepted
    assert sorted(reported) == sorted(unknown), (len(reported), reported[:3])

    # the log as exported: every row once, its label the last one given
    rows = _export(c, "plscale", start, end)
    assert len(rows) == 50000, len(rows)
    assert {r["request_id"] if "/" in r["request_id"] else r["request_id"] + "/0"
            for r in rows} == set(sent)
    by_model = {}
    for r in rows:
        rid = r["request_id"] if "/" in r["request_id"] else r["request_id"] + "/0"
        assert r["label"] == labels[rid], (rid, r.get("label"), labels[rid])
        assert [r["inputs"][k] for k in COLS] == sent[rid]
        by_model.setdefault(r["model"], []).append(r)
    assert set(by_model) == {"plscale/1", "plscale/2"}
    share = len(by_model["plscale/2"]) / 50000
    assert 0.45 <= share <= 0.55, share

    want = {}
    for model, rs in by_model.items():
        y = np.array([r["label"] for r in rs])
        yp = np.array([r["prediction"] for r in rs])
        p = np.array([r["probabilities"]["1"] for r in rs])
        want[model] = {
            "accuracy": metrics.accuracy_score(y, yp),
            "precision": metrics.precision_score(y, yp, pos_label=1, zero_division=0),
            "recall": metrics.recall_score(y, yp, pos_label=1, zero_division=0),
            "f1": metrics.f1_score(y, yp, pos_label=1, zero_division=0),
            "f1_macro": metrics.f1_score(y, yp, average="macro", zero_division=0),
            "roc_auc": metrics.roc_auc_score(y, p),
            # the aggregates' AUC: scores in 1,000 equal bins, each bin's rows tied
            "roc_auc_binned": metrics.roc_auc_score(
                y, np.minimum(np.floor(p * 1000), 999)),
            "log_loss": metrics.log_loss(y, p, labels=[0, 1]),
            "correct": int((y == yp).sum()), "n": len(rs)}

    for exact in (True, False):
        q = {"name": "plscale", "start_time": start, "end_time": end}
        if exact:
            q.update({"exact": "true", "resamples": -1})
        a = c.ok(c.get("deployments/performance", q, prefix=FERRY))
        got = {t["model"]: t for t in a["targets"] if not t.get("shadow")}
        assert set(got) == set(want), list(got)
        for model, w in want.items():
            t = got[model]
            assert t["count"] == w["n"] and t["labeled"] == w["n"], (model, t["count"], w["n"])
            for k in ("accuracy", "precision", "recall", "f1", "f1_macro", "log_loss"):
                _close(t["metrics"][k], w[k], "%s %s exact=%s" % (model, k, exact))
            if exact:
                _close(t["metrics"]["roc_auc"], w["roc_auc"], model + " roc_auc")
            else:  # from 1,000 score bins: distinct scores within a bin count as ties
                _close(t["metrics"]["roc_auc"], w["roc_auc_binned"], model + " binned roc_auc")
                assert abs(t["metrics"]["roc_auc"] - w["roc_auc"]) < 1e-2, (
                    model, t["metrics"]["roc_auc"], w["roc_auc"])
        ab = [x for x in a["ab"] if x["model"] == "plscale/2"][0]
        acc = ab["accuracy"]
        w2, w1 = want["plscale/2"], want["plscale/1"]
        assert (acc["x"], acc["n"], acc["baseline_x"], acc["baseline_n"]) == \
            (w2["correct"], w2["n"], w1["correct"], w1["n"]), acc
        z, pv = proportion.proportions_ztest([w2["correct"], w1["correct"]], [w2["n"], w1["n"]])
        _close(acc["z"], z, "A/B z exact=%s" % exact)
        _close(acc["p_value"], pv, "A/B p exact=%s" % exact)
