# SPDX-License-Identifier: MIT
"""MLflow 3's LoggedModel API over real HTTP, in the order an MLflow 3.x client calls it for
`log_model(..., registered_model_name=...)` (service.proto; see the docstring of each step), then
what users do next: register, alias, load and serve by models:/ URI, search and delete."""
import json
import os
import subprocess
import tempfile
import time

from support.server import expect_error
from test_serving import Serve, _close, _model

INV, NF = "INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST"
PROXY = "/api/2.0/mlflow-artifacts/artifacts/"


def _create(c, exp, **kw):
    return c.ok(c.post("logged-models", dict(experiment_id=exp, **kw)))["model"]


def _get(c, mid):
    return c.ok(c.raw("GET", "/api/2.0/mlflow/logged-models/" + mid))["model"]


def _put_files(c, location, src):
    rel = location[len("mlflow-artifacts:/"):].lstrip("/")
    for name in sorted(os.listdir(src)):
        with open(os.path.join(src, name), "rb") as f:
            r = c.raw("PUT", PROXY + "%s/%s" % (rel, name), f.read(),
                      {"Content-Type": "application/octet-stream"})
        assert r.status == 200, r


def test_mlflow3_log_model_register_load_and_serve(srv, c):
    ferry = srv.ferry
    d, e = _model(ferry, "reg")
    exp = c.create_experiment("lm-flow")
    run = c.create_run(exp, run_name="trainer")["info"]["run_id"]
    c.log_batch(run, params=[{"key": "max_depth", "value": "3"}])

    # 1. POST logged-models: PENDING, files to go under the experiment's models/<id>/artifacts
    m = _create(c, exp, name="model", source_run_id=run, model_type="regressor",
                params=[{"key": "max_depth", "value": "3"}],
                tags=[{"key": "mlflow.source.name", "value": "train.py"}])
    info = m["info"]
    mid, loc = info["model_id"], info["artifact_uri"]
    assert mid.startswith("m-") and len(mid) == 34, mid
    assert loc == "mlflow-artifacts:/%s/models/%s/artifacts" % (exp, mid), loc
    assert info["status"] == "LOGGED_MODEL_PENDING" and info["source_run_id"] == run
    assert info["model_type"] == "regressor" and info["experiment_id"] == exp
    assert info["creation_timestamp_ms"] == info["last_updated_timestamp_ms"] > 0
    assert m["data"]["params"] == [{"key": "max_depth", "value": "3"}]

    # 2. runs/outputs: the run produced the model (at step 0)
    c.ok(c.post("runs/outputs", {"run_id": run, "models": [{"model_id": mid, "step": 0}]}))
    got = c.ok(c.get("runs/get", {"run_id": run}))["run"]
    assert got["outputs"]["model_outputs"] == [{"model_id": mid, "step": 0}], got

    # 3. the files, through the artifact proxy, then listed by the model's own endpoint
    _put_files(c, loc, d)
    r = c.ok(c.raw("GET", "/api/2.0/mlflow/logged-models/%s/artifacts/directories" % mid))
    assert r["root_uri"] == loc and {"MLmodel", "model.xgb"} <= {f["path"] for f in r["files"]}

    # 4. PATCH logged-models/<id>: READY
    ready = c.ok(c.raw("PATCH", "/api/2.0/mlflow/logged-models/" + mid,
                       json.dumps({"model_id": mid, "status": "LOGGED_MODEL_READY"})))["model"]
    assert ready["info"]["status"] == "LOGGED_MODEL_READY"
    assert ready["info"]["last_updated_timestamp_ms"] >= info["last_updated_timestamp_ms"]

    # 5. metrics logged with the model's id (and a dataset) are the run's and the model's
    c.log_batch(run, metrics=[
        {"key": "rmse", "value": 0.5, "timestamp": 10, "step": 1, "model_id": mid, "run_id": run,
         "dataset_name": "eval", "dataset_digest": "d1"},
        {"key": "rmse", "value": 0.25, "timestamp": 20, "step": 2, "model_id": mid,
         "run_id": run, "dataset_name": "eval", "dataset_digest": "d1"},
        {"key": "loss", "value": 1.0, "timestamp": 20, "step": 2}])
    pts = _get(c, mid)["data"]["metrics"]
    assert [(p["key"], p["value"], p["dataset_name"]) for p in pts] == \
        [("rmse", 0.5, "eval"), ("rmse", 0.25, "eval")], pts
    assert all(p["model_id"] == mid and p["run_id"] == run for p in pts)
    latest = {m["key"]: m["value"] for m in
              c.ok(c.get("runs/get", {"run_id": run}))["run"]["data"]["metrics"]}
    assert latest == {"rmse": 0.25, "loss": 1.0}, latest
    # a metric for a model that does not exist changes nothing
    expect_error(c.post("runs/log-batch", {"run_id": run, "metrics": [
        {"key": "x", "value": 1, "timestamp": 1, "step": 0, "model_id": "m-" + "0" * 32}]}),
        404, NF, "Logged model with ID")
    assert "x" not in {m["key"] for m in
                       c.ok(c.get("runs/get", {"run_id": run}))["run"]["data"]["metrics"]}

    # 6. register: source models:/<id>, the version keeps the model's id, the download URI is
    # the model's location, and the model lists the version in mlflow.modelVersions
    c.ok(c.post("registered-models/create", {"name": "lm-wf"}))
    v = c.ok(c.post("model-versions/create", {"name": "lm-wf", "source": "models:/" + mid,
                                               "model_id": mid}))["model_version"]
    assert v["version"] == "1" and v["model_id"] == mid and v["source"] == "models:/" + mid
    assert v["run_id"] == run, v  # the model's run stands in for the missing one
    r = c.ok(c.get("model-versions/get-download-uri", {"name": "lm-wf", "version": "1"}))
    assert r == {"artifact_uri": loc}, r
    tags = {t["key"]: t["value"] for t in _get(c, mid)["info"]["tags"]}
    assert json.loads(tags["mlflow.modelVersions"]) == [{"name": "lm-wf", "version": 1}], tags
    assert tags["mlflow.modelVersions"] == '[{"name": "lm-wf", "version": 1}]'
    c.ok(c.post("model-versions/create", {"name": "lm-wf", "source": "models:/" + mid,
                                          "model_id": mid}))
    tags = {t["key"]: t["value"] for t in _get(c, mid)["info"]["tags"]}
    assert json.loads(tags["mlflow.modelVersions"]) == [{"name": "lm-wf", "version": 1},
                                                         {"name": "lm-wf", "version": 2}]
    c.ok(c.post("registered-models/alias", {"name": "lm-wf", "alias": "champion",
                                            "version": "1"}))
    for uri in ("models:/lm-wf@champion", "models:/" + mid, "models:/lm-wf/1"):
        r = c.ok(c.get("models/resolve", {"uri": uri}, prefix="/api/2.0/ferry/"))
        assert r["artifact_uri"] == loc, (uri, r)
    expect_error(c.post("model-versions/create", {"name": "lm-wf",
                                                   "source": "models:/m-" + "0" * 32}),
                 500, "INTERNAL_ERROR", "Unable to fetch model from model URI source")

    # 7. ferry serves it by alias and by model id, fetching the files through the proxy
    for uri in ("models:/lm-wf@champion", "models:/" + mid):
        s = Serve(ferry, uri, env={"FERRY_TRACKING_URI": srv.url})
        try:
            st, js, _ = s.req("POST", "/invocations", {"dataframe_split": {
                "columns": e["columns"], "data": e["data"]}})
            assert st == 200 and _close(js["predictions"], e["predictions"], 1e-6), (uri, js)
        finally:
            assert s.stop() == 0

    # 8. search: filters over attributes, metrics (on datasets), params and tags; order by a
    # metric's latest value; pages
    time.sleep(0.005)  # creation times order the default search: keep them apart
    other = _create(c, exp, name="other", params=[{"key": "max_depth", "value": "9"}])["info"]
    c.log_batch(run, metrics=[{"key": "rmse", "value": 0.9, "timestamp": 30, "step": 3,
                               "model_id": other["model_id"], "dataset_name": "eval"}])
    time.sleep(0.005)
    third = _create(c, exp)["info"]  # a generated name, no metrics
    assert third["name"]

    def search(**q):
        return c.ok(c.post("logged-models/search", dict(experiment_ids=[exp], **q)))

    ids = [x["info"]["model_id"] for x in search().get("models", [])]
    assert ids == [third["model_id"], other["model_id"], mid], ids  # newest first
    by_rmse = search(order_by=[{"field_name": "metrics.rmse", "ascending": True}])
    assert [x["info"]["model_id"] for x in by_rmse["models"]] == \
        [mid, other["model_id"], third["model_id"]]  # no value: last
    by_rmse = search(order_by=[{"field_name": "metrics.rmse", "ascending": False}])
    assert [x["info"]["model_id"] for x in by_rmse["models"]] == \
        [other["model_id"], mid, third["model_id"]]
    for flt, want in (("metrics.rmse < 0.3", [mid]),
                      ("params.max_depth = '9'", [other["model_id"]]),
                      ("status = 'LOGGED_MODEL_READY'", [mid]),
                      ("name = 'model' AND creation_timestamp > 0", [mid]),
                      ("tags.`mlflow.source.name` LIKE '%.py'", [mid]),
                      ("model_type = 'regressor'", [mid]),
                      ("source_run_id = '%s'" % run, [mid])):
        got = [x["info"]["model_id"] for x in search(filter=flt).get("models", [])]
        assert got == want, (flt, got)
    got = search(filter="metrics.rmse > 0", datasets=[{"dataset_name": "eval",
                                                       "dataset_digest": "d1"}])
    assert [x["info"]["model_id"] for x in got["models"]] == [mid]
    seen, token = [], None
    for _ in range(5):
        page = search(max_results=1, **({"page_token": token} if token else {}))
        seen += [x["info"]["model_id"] for x in page.get("models", [])]
        token = page.get("next_page_token")
        if not token:
            break
    assert seen == ids, seen

    # 9. model inputs (MLflow 3's log-inputs without datasets), tags, params, delete
    reader = c.create_run(exp)["info"]["run_id"]
    c.ok(c.post("runs/log-inputs", {"run_id": reader, "models": [{"model_id": mid}]}))
    got = c.ok(c.get("runs/get", {"run_id": reader}))["run"]
    assert got["inputs"]["model_inputs"] == [{"model_id": mid}], got
    expect_error(c.post("runs/log-inputs", {"run_id": reader}), 400, INV, "datasets")
    c.ok(c.raw("PATCH", "/api/2.0/mlflow/logged-models/%s/tags" % mid,
               json.dumps({"tags": [{"key": "stage", "value": "qa"}]})))
    c.ok(c.raw("DELETE", "/api/2.0/mlflow/logged-models/%s/tags/stage" % mid))
    c.ok(c.post("logged-models/%s/params" % mid, {"params": [{"key": "lr", "value": "0.1"},
                                                             {"key": "max_depth", "value": "3"}]}))
    assert {p["key"] for p in _get(c, mid)["data"]["params"]} == {"lr", "max_depth"}
    c.ok(c.raw("DELETE", "/api/2.0/mlflow/logged-models/" + other["model_id"]))
    expect_error(c.raw("GET", "/api/2.0/mlflow/logged-models/" + other["model_id"]), 404, NF)
    assert other["model_id"] not in [x["info"]["model_id"]
                                     for x in search().get("models", [])]


def test_version_sources_follow_mlflows_rules(srv, c):
    """model-versions/create's source checks, as MLflow's _validate_source."""
    c.ok(c.post("registered-models/create", {"name": "src-rules"}))
    prefix = "Invalid model version source: '"
    for source, status, code, text in (
            ("/tmp/model", 400, INV, prefix + "/tmp/model'. To use a local path as a model "
             "version source, the run_id request parameter has to be specified and the local "
             "path has to be contained within the artifact directory of the run specified by "
             "the run_id."),
            ("mlflow-artifacts:/0/%2E%2E/x", 400, INV, prefix + "mlflow-artifacts:/0/../x'. If "
             "supplying a source as an http, https, local file path, ftp, objectstore, or "
             "mlflow-artifacts uri, an absolute path must be provided without relative path "
             "references present. Please provide an absolute path."),
            ("s3://bucket/a/%252e%252e/b", 400, INV, prefix + "s3://bucket/a/../b'"),
            ("s3://bucket/a/./b", 400, INV, prefix + "s3://bucket/a/./b'"),
            ("s3://bucket", 400, INV, prefix + "s3://bucket'"),
            ("http://host/api/2.0/mlflow-artifacts/artifacts%00", 400, INV, prefix),
            ("file://remote.example.com/m", 500, "INTERNAL_ERROR",
             "file://remote.example.com/m is not a valid remote uri.")):
        expect_error(c.post("model-versions/create", {"name": "src-rules", "source": source}),
                     status, code, text)
    # a local source inside the run's artifacts needs the run, with a local artifact root
    run = c.create_run()["info"]
    expect_error(c.post("model-versions/create", {"name": "src-rules", "run_id": run["run_id"],
                                                   "source": "/elsewhere/model"}),
                 400, INV, "the run_id request parameter has to be specified")
    for source in ("s3://bucket/a/model", "mlflow-artifacts:/0/%s/artifacts/model"
                   % run["run_id"], "runs:/%s/model" % run["run_id"]):
        c.ok(c.post("model-versions/create", {"name": "src-rules", "source": source}))


def test_local_sources_inside_the_runs_artifacts(shared, _):
    from support.server import Server
    work = tempfile.mkdtemp(prefix="ferry-src-")
    srv = Server(shared.ferry, db=os.path.join(work, "t.db"),
                 extra=["--no-serve-artifacts", "--default-artifact-root",
                        os.path.join(work, "art")]).start()
    c = srv.client()
    try:
        c.ok(c.post("registered-models/create", {"name": "local"}))
        run = c.create_run()["info"]
        root = run["artifact_uri"]
        assert root.startswith(work), root
        for source in (root + "/model", "file://" + root + "/model",
                       root + "/model/../model/x"):
            c.ok(c.post("model-versions/create", {"name": "local", "source": source,
                                                  "run_id": run["run_id"]}))
        expect_error(c.post("model-versions/create", {"name": "local", "source": root + "/../x",
                                                       "run_id": run["run_id"]}),
                     400, INV, "Invalid model version source: '%s/x'" % os.path.dirname(root))
        expect_error(c.post("model-versions/create", {"name": "local", "source": root}),
                     400, INV, "the run_id request parameter has to be specified")
    finally:
        c.close()
        assert srv.stop() == 0
