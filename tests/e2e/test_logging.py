# SPDX-License-Identifier: MIT
"""log-metric, log-parameter, set-tag, delete-tag, log-batch, log-inputs, log-model."""
import json

from support.server import expect_error

MISSING = "0123456789abcdef0123456789abcdef"


def _metric(key, value, ts=1, step=0):
    return {"key": key, "value": value, "timestamp": ts, "step": step}


def test_log_metric_and_special_values(srv, c):
    rid = c.create_run()["info"]["run_id"]
    for i, v in enumerate([0.5, "NaN", "Infinity", "-Infinity", 1e-300, -2.5]):
        c.ok(c.post("runs/log-metric", {"run_id": rid, "key": "m%d" % i, "value": v,
                                        "timestamp": 1000 + i, "step": i}))
    c.ok(c.post("runs/log-metric", {"run_uuid": rid, "key": "nostep", "value": "3.5",
                                    "timestamp": "7"}))
    m = {x["key"]: x for x in c.get_run(rid)["data"]["metrics"]}
    assert m["m0"]["value"] == 0.5 and m["m1"]["value"] == "NaN"
    assert m["m2"]["value"] == "Infinity" and m["m3"]["value"] == "-Infinity"
    assert m["m4"]["value"] == 1e-300 and m["m5"]["step"] == 5
    assert m["nostep"]["step"] == 0 and m["nostep"]["value"] == 3.5
    assert m["nostep"]["timestamp"] == 7


def test_latest_value_and_full_history(srv, c):
    rid = c.create_run()["info"]["run_id"]
    c.log_batch(rid, metrics=[_metric("loss", 3.0, 10, 2), _metric("loss", 1.0, 5, 7),
                              _metric("loss", 2.0, 20, 5)])
    m = {x["key"]: x for x in c.get_run(rid)["data"]["metrics"]}
    assert m["loss"]["value"] == 1.0 and m["loss"]["step"] == 7
    h = c.ok(c.get("metrics/get-history", {"run_id": rid, "metric_key": "loss"}))["metrics"]
    assert [p["step"] for p in h] == [2, 5, 7]


def test_params_are_immutable(srv, c):
    rid = c.create_run()["info"]["run_id"]
    assert c.ok(c.post("runs/log-parameter", {"run_id": rid, "key": "lr", "value": "0.1"})) == {}
    assert c.ok(c.post("runs/log-parameter", {"run_id": rid, "key": "lr", "value": "0.1"})) == {}
    before = c.get_run(rid)
    expect_error(c.post("runs/log-parameter", {"run_id": rid, "key": "lr", "value": "0.2"}),
                 400, "INVALID_PARAMETER_VALUE", "lr")
    expect_error(c.post("runs/log-batch", {"run_id": rid, "params": [{"key": "lr", "value": "9"}],
                                           "metrics": [_metric("x", 1)]}),
                 400, "INVALID_PARAMETER_VALUE")
    assert c.get_run(rid) == before  # the batch's metric was not stored either


def test_tags_set_delete_and_run_name(srv, c):
    rid = c.create_run()["info"]["run_id"]
    c.ok(c.post("runs/set-tag", {"run_id": rid, "key": "mlflow.note.content", "value": "# hi"}))
    c.ok(c.post("runs/set-tag", {"run_id": rid, "key": "mlflow.runName", "value": "renamed"}))
    run = c.get_run(rid)
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["mlflow.note.content"] == "# hi" and run["info"]["run_name"] == "renamed"
    c.ok(c.post("runs/delete-tag", {"run_id": rid, "key": "mlflow.note.content"}))
    expect_error(c.post("runs/delete-tag", {"run_id": rid, "key": "mlflow.note.content"}), 404,
                 "RESOURCE_DOES_NOT_EXIST")


def test_log_batch_limits_store_nothing(srv, c):
    rid = c.create_run()["info"]["run_id"]
    # exactly at MLflow's limits: 1000 entities in total, 100 params, 100 tags
    c.log_batch(rid, metrics=[_metric("ok", i, 1, i) for i in range(800)],
                params=[{"key": "p%d" % i, "value": "v"} for i in range(100)],
                tags=[{"key": "t%d" % i, "value": "v"} for i in range(100)])
    before = c.get_run(rid)
    cases = [
        {"metrics": [_metric("x", i, 1, i) for i in range(1001)]},
        {"metrics": [_metric("x", i, 1, i) for i in range(950)],
         "params": [{"key": "q%d" % i, "value": "v"} for i in range(51)]},
        {"params": [{"key": "q%d" % i, "value": "v"} for i in range(101)]},
        {"tags": [{"key": "u%d" % i, "value": "v"} for i in range(101)]},
        {"metrics": [_metric("x", 1)], "params": [{"key": "bad/../key", "value": "v"}]},
        {"metrics": [{"key": "x", "value": "abc", "timestamp": 1}]},
        {"metrics": [{"key": "x", "value": 1}]},
        {"metrics": "no"},
        {"params": [{"key": "long", "value": "v" * 6001}]},
        {"tags": [{"key": "k" * 251, "value": "v"}]},
        {"params": [{"key": "dup", "value": "1"}, {"key": "dup", "value": "2"}]},
    ]
    for doc in cases:
        doc["run_id"] = rid
        expect_error(c.post("runs/log-batch", doc), 400, "INVALID_PARAMETER_VALUE")
        assert c.get_run(rid) == before, "stored something from %s" % str(doc)[:80]
    big = json.dumps({"run_id": rid, "tags": [{"key": "k", "value": "v" * 1100000}]})
    r = c.raw("POST", "/api/2.0/mlflow/runs/log-batch", big)
    assert r.status == 413 and r.json["error_code"] == "INVALID_PARAMETER_VALUE", r
    assert c.get_run(rid) == before
    h = c.ok(c.get("metrics/get-history", {"run_id": rid, "metric_key": "ok"}))["metrics"]
    assert len(h) == 800


def test_bad_single_logs_change_nothing(srv, c):
    rid = c.create_run()["info"]["run_id"]
    c.ok(c.post("runs/log-metric", {"run_id": rid, "key": "m", "value": 1, "timestamp": 1}))
    before = c.get_run(rid)
    cases = [
        (c.post("runs/log-metric", {"run_id": rid, "key": "m", "value": "abc", "timestamp": 1}),
         400, "INVALID_PARAMETER_VALUE"),
        (c.post("runs/log-metric", {"run_id": rid, "key": "m", "value": 1}), 400,
         "INVALID_PARAMETER_VALUE"),
        (c.post("runs/log-metric", {"run_id": rid, "value": 1, "timestamp": 1}), 400,
         "INVALID_PARAMETER_VALUE"),
        (c.post("runs/log-metric", {"run_id": rid, "key": "/abs", "value": 1, "timestamp": 1}),
         400, "INVALID_PARAMETER_VALUE"),
        (c.post("runs/log-metric", {"run_id": rid, "key": "m", "value": 1, "timestamp": 1,
                                    "step": 1.5}), 400, "INVALID_PARAMETER_VALUE"),
        (c.post("runs/log-metric", {"run_id": MISSING, "key": "m", "value": 1, "timestamp": 1}),
         404, "RESOURCE_DOES_NOT_EXIST"),
        (c.post("runs/log-metric", {"key": "m", "value": 1, "timestamp": 1}), 400,
         "INVALID_PARAMETER_VALUE"),
        (c.post("runs/log-parameter", {"run_id": rid, "key": "p", "value": 5}), 400,
         "INVALID_PARAMETER_VALUE"),
        (c.post("runs/set-tag", {"run_id": rid, "key": "t", "value": "v" * 8001}), 400,
         "INVALID_PARAMETER_VALUE"),
        (c.post("runs/set-tag", {"run_id": rid, "value": "v"}), 400, "INVALID_PARAMETER_VALUE"),
        (c.post("runs/delete-tag", {"run_id": MISSING, "key": "t"}), 404,
         "RESOURCE_DOES_NOT_EXIST"),
    ]
    for r, status, code in cases:
        expect_error(r, status, code)
        assert c.get_run(rid) == before, "run changed after %r" % r


def test_unicode_keys_and_values(srv, c):
    rid = c.create_run()["info"]["run_id"]
    c.log_batch(rid, metrics=[_metric("précision/val", 0.9)],
                params=[{"key": "模型", "value": "ünïcødé ✓"}])
    run = c.get_run(rid)
    assert run["data"]["params"] == [{"key": "模型", "value": "ünïcødé ✓"}]
    assert run["data"]["metrics"][0]["key"] == "précision/val"


def test_log_inputs_once_per_digest(srv, c):
    r1 = c.create_run()["info"]["run_id"]
    r2 = c.create_run()["info"]["run_id"]
    ds = {"tags": [{"key": "mlflow.data.context", "value": "training"}],
          "dataset": {"name": "iris", "digest": "d1", "source_type": "local",
                      "source": "{\"uri\": \"/data/iris.csv\"}", "schema": "{}",
                      "profile": "{\"num_rows\": 150}"}}
    for rid in (r1, r1, r2):
        c.ok(c.post("runs/log-inputs", {"run_id": rid, "datasets": [ds]}))
    ins = c.get_run(r1)["inputs"]["dataset_inputs"]
    assert len(ins) == 1 and ins[0]["dataset"]["digest"] == "d1"
    assert ins[0]["tags"] == [{"key": "mlflow.data.context", "value": "training"}]
    r = c.ok(c.post("runs/search", {"experiment_ids": ["0"],
                                    "filter": "datasets.name = 'iris' AND datasets.context = "
                                              "'training'"}))
    assert sorted(x["info"]["run_id"] for x in r["runs"]) == sorted([r1, r2])
    bad = {"dataset": {"name": "x", "source_type": "local", "source": "s"}}
    before = c.get_run(r1)
    expect_error(c.post("runs/log-inputs", {"run_id": r1, "datasets": [bad]}), 400,
                 "INVALID_PARAMETER_VALUE")
    expect_error(c.post("runs/log-inputs", {"run_id": r1, "datasets": [{"tags": []}]}), 400,
                 "INVALID_PARAMETER_VALUE")
    assert c.get_run(r1) == before


def test_log_model_appends_history(srv, c):
    rid = c.create_run()["info"]["run_id"]
    for path in ("model", "model2"):
        mj = json.dumps({"artifact_path": path, "run_id": rid,
                         "utc_time_created": "2024-05-01 10:00:00.000000",
                         "flavors": {"python_function": {"loader_module": "mlflow.sklearn"}}})
        c.ok(c.post("runs/log-model", {"run_id": rid, "model_json": mj}))
    tags = {t["key"]: t["value"] for t in c.get_run(rid)["data"]["tags"]}
    hist = json.loads(tags["mlflow.log-model.history"])
    assert [m["artifact_path"] for m in hist] == ["model", "model2"]
    assert hist[0]["flavors"]["python_function"]["loader_module"] == "mlflow.sklearn"
    before = c.get_run(rid)
    # MLflow's _log_model: model_json must be a JSON object holding artifact_path, flavors,
    # utc_time_created and run_id
    base = {"artifact_path": "m", "flavors": {"python_function": {}}, "run_id": rid,
            "utc_time_created": "2024-05-01 10:00:00.000000"}
    for missing in ("artifact_path", "flavors", "utc_time_created", "run_id"):
        doc = {k: v for k, v in base.items() if k != missing}
        expect_error(c.post("runs/log-model", {"run_id": rid, "model_json": json.dumps(doc)}),
                     400, "INVALID_PARAMETER_VALUE", missing)
        assert c.get_run(rid) == before, "stored a model without %s" % missing
    inv = (400, "INVALID_PARAMETER_VALUE")
    for bad, (status, code) in (
            ({"run_id": rid}, inv), ({"run_id": rid, "model_json": "[1, 2]"}, inv),
            ({"run_id": rid, "model_json": "{broken"}, inv),
            ({"run_id": rid, "model_json": {}}, inv), ({"model_json": json.dumps(base)}, inv),
            ({"run_id": MISSING, "model_json": json.dumps(base)},
             (404, "RESOURCE_DOES_NOT_EXIST"))):
        expect_error(c.post("runs/log-model", bad), status, code)
        assert c.get_run(rid) == before, "run changed after %r" % bad
