# SPDX-License-Identifier: MIT
"""A front server in front of another ferry server (`ferry server --backend-store-uri
http://127.0.0.1:<port>`, support/front.py): everything driven through the front, every
result read back from the upstream directly. Errors are the upstream's word for word, bad
input is refused before it travels, artifacts stay with the front, ferry/gc is refused, an
upstream that goes away is a clear 503 and the front carries on once it is back, and the
ferry CLI works against the front."""
import json
import os
import subprocess
import time

from support.front import Front
from support.server import expect_error, header

SERVER = Front
MLFLOW = "/api/2.0/mlflow/"
FERRY = "/api/2.0/ferry/"
PROXY = "/api/2.0/mlflow-artifacts/artifacts/"
NF, INV = "RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"


def _upstream(srv):
    return srv.upstream_client()


def _same(c, up, method, endpoint, doc=None):
    """The front's answer to a read, which must equal the upstream's own answer."""
    if method == "GET":
        got, want = c.get(endpoint, doc), up.get(endpoint, doc)
    else:
        got, want = c.post(endpoint, doc), up.post(endpoint, doc)
    assert (got.status, got.json) == (want.status, want.json), (got, want)
    return got.json


def _pages(c, endpoint, doc, field):
    """Every item of a paged search, and the number of pages."""
    items, token, pages = [], None, 0
    while True:
        q = dict(doc, page_token=token) if token else doc
        r = c.ok(c.post(endpoint, q))
        items += r.get(field, [])
        pages += 1
        token = r.get("next_page_token")
        if not token:
            return items, pages


def _log_lines(server, needle):
    with open(server.stderr_path, "rb") as f:
        return f.read().decode("utf-8", "replace").count(needle)


def test_experiments_runs_and_metrics_land_upstream(srv, c):
    up = _upstream(srv)
    exp = c.create_experiment("fw-exp", tags=[{"key": "team", "value": "core"}])
    e = up.ok(up.get("experiments/get", {"experiment_id": exp}))["experiment"]
    assert e["name"] == "fw-exp" and e["tags"] == [{"key": "team", "value": "core"}]
    c.ok(c.post("experiments/set-experiment-tag", {"experiment_id": exp, "key": "k",
                                                   "value": "v"}))
    c.ok(c.post("experiments/update", {"experiment_id": exp, "new_name": "fw-exp2"}))
    e = _same(c, up, "GET", "experiments/get-by-name", {"experiment_name": "fw-exp2"})
    assert {t["key"] for t in e["experiment"]["tags"]} == {"team", "k"}

    run = c.create_run(exp, run_name="fw-run", tags=[{"key": "src", "value": "front"}])
    rid = run["info"]["run_id"]
    assert up.get_run(rid)["info"]["run_name"] == "fw-run"
    c.log_batch(rid, metrics=[{"key": "loss", "value": 1.0 / (i + 1), "timestamp": 1000 + i,
                               "step": i} for i in range(30)],
                params=[{"key": "lr", "value": "0.1"}, {"key": "depth", "value": "6"}],
                tags=[{"key": "team", "value": "core"}])
    c.ok(c.post("runs/log-metric", {"run_id": rid, "key": "acc", "value": "NaN",
                                    "timestamp": 5, "step": 2}))
    c.ok(c.post("runs/log-parameter", {"run_id": rid, "key": "opt", "value": "adam"}))
    c.ok(c.post("runs/update", {"run_id": rid, "status": "FINISHED", "end_time": 9999}))
    got = up.get_run(rid)
    assert got["info"]["status"] == "FINISHED" and got["info"]["end_time"] == 9999
    assert {p["key"]: p["value"] for p in got["data"]["params"]} == {
        "lr": "0.1", "depth": "6", "opt": "adam"}
    assert {t["key"] for t in got["data"]["tags"]} >= {"src", "team", "mlflow.runName"}
    assert got == c.get_run(rid)
    hist = up.history(rid, "loss")
    assert [(m["step"], m["value"]) for m in hist] == [(i, 1.0 / (i + 1)) for i in range(30)]
    assert c.history(rid, "loss") == hist
    assert up.history(rid, "acc")[0]["value"] == "NaN"
    _same(c, up, "GET", "metrics/get-history-bulk-interval",
          {"run_ids": [rid], "metric_key": "loss", "max_results": 10})
    up.close()


def test_search_with_filters_and_pages(srv, c):
    up = _upstream(srv)
    exp = c.create_experiment("fw-search")
    want = []
    for i in range(9):
        rid = c.create_run(exp, run_name="s%d" % i)["info"]["run_id"]
        lr = "0.1" if i % 2 else "0.01"
        c.log_batch(rid, metrics=[{"key": "acc", "value": i / 10, "timestamp": 1, "step": 0}],
                    params=[{"key": "lr", "value": lr}])
        if i / 10 > 0.15 and lr == "0.1":
            want.append((i / 10, rid))
    q = {"experiment_ids": [exp], "filter": "metrics.acc > 0.15 AND params.lr = '0.1'",
         "order_by": ["metrics.acc DESC"], "max_results": 2}
    front, pages = _pages(c, "runs/search", q, "runs")
    upstream, _ = _pages(up, "runs/search", q, "runs")
    assert pages == 2 and front == upstream
    assert [r["info"]["run_id"] for r in front] == [rid for _, rid in sorted(want, reverse=True)]
    c.create_experiment("fw-search-b")
    q = {"filter": "name LIKE 'fw-search%'", "max_results": 1, "order_by": ["name DESC"]}
    front, pages = _pages(c, "experiments/search", q, "experiments")
    assert front == _pages(up, "experiments/search", q, "experiments")[0]
    assert [e["name"] for e in front] == ["fw-search-b", "fw-search"] and pages >= 2
    up.close()


def test_registry_through_the_front(srv, c):
    up = _upstream(srv)
    rid = c.create_run("0", run_name="to-register")["info"]["run_id"]
    c.ok(c.post("registered-models/create", {"name": "fw-model", "description": "d",
                                             "tags": [{"key": "t", "value": "1"}]}))
    for _ in range(2):
        c.ok(c.post("model-versions/create", {"name": "fw-model",
                                              "source": "runs:/%s/model" % rid,
                                              "run_id": rid}))
    c.ok(c.post("registered-models/alias", {"name": "fw-model", "alias": "champion",
                                            "version": "2"}))
    c.ok(c.post("model-versions/transition-stage", {"name": "fw-model", "version": "1",
                                                    "stage": "Production",
                                                    "archive_existing_versions": False}))
    v = up.ok(up.get("registered-models/alias", {"name": "fw-model", "alias": "champion"}))
    assert v["model_version"]["version"] == "2" and v["model_version"]["run_id"] == rid
    _same(c, up, "GET", "registered-models/alias", {"name": "fw-model", "alias": "champion"})
    m = _same(c, up, "GET", "registered-models/get", {"name": "fw-model"})["registered_model"]
    assert m["aliases"] == [{"alias": "champion", "version": "2"}]
    r = _same(c, up, "GET", "registered-models/search", {"filter": "name LIKE 'fw-mod%'"})
    assert [x["name"] for x in r["registered_models"]] == ["fw-model"]
    r = _same(c, up, "GET", "model-versions/search", {"filter": "name = 'fw-model'"})
    assert sorted(x["version"] for x in r["model_versions"]) == ["1", "2"]
    r = _same(c, up, "POST", "registered-models/get-latest-versions",
              {"name": "fw-model", "stages": ["Production"]})
    assert [x["version"] for x in r["model_versions"]] == ["1"]
    # ferry's own rows go on to a ferry upstream
    r = c.ok(c.get("models/resolve", {"uri": "models:/fw-model@champion"}, prefix=FERRY))
    assert r == up.ok(up.get("models/resolve", {"uri": "models:/fw-model@champion"},
                             prefix=FERRY))
    events = c.ok(c.get("registered-models/history", {"name": "fw-model"}, prefix=FERRY))
    assert [e["action"] for e in events["events"]][:1] == ["create_model"]
    up.close()


def test_logged_models_through_the_front(srv, c):
    up = _upstream(srv)
    exp = c.create_experiment("fw-lm")
    m = c.ok(c.post("logged-models", {"experiment_id": exp, "name": "lm",
                                      "params": [{"key": "a", "value": "1"}]}))["model"]
    mid = m["info"]["model_id"]
    c.ok(c.post("logged-models/%s/params" % mid, {"params": [{"key": "b", "value": "2"}]}))
    c.ok(c.raw("PATCH", MLFLOW + "logged-models/" + mid, json.dumps(
        {"model_id": mid, "status": "LOGGED_MODEL_READY"})))
    got = up.ok(up.raw("GET", MLFLOW + "logged-models/" + mid))["model"]
    assert got["info"]["status"] == "LOGGED_MODEL_READY"
    assert {p["key"] for p in got["data"]["params"]} == {"a", "b"}
    q = {"experiment_ids": [exp], "filter": "params.b = '2'"}
    _same(c, up, "POST", "logged-models/search", q)
    up.close()


def test_errors_are_the_upstreams_word_for_word(srv, c):
    up = _upstream(srv)
    missing = "0123456789abcdef0123456789abcdef"
    r = c.get("runs/get", {"run_id": missing})
    msg = expect_error(r, 404, NF, missing)
    assert (r.status, r.json) == (404, up.get("runs/get", {"run_id": missing}).json)
    assert msg == "Run with id=%s not found" % missing
    rid = c.create_run("0")["info"]["run_id"]
    c.log_batch(rid, params=[{"key": "p", "value": "1"}])
    # refused by the upstream's store: the same answer as from the upstream itself
    doc = {"run_id": rid, "key": "p", "value": "2"}
    r = c.post("runs/log-parameter", doc)
    expect_error(r, 400, INV, "p")
    assert r.json == up.post("runs/log-parameter", doc).json
    expect_error(c.post("model-versions/get", {"name": "no-such", "version": "1"}), 404, NF)
    # refused by the front's own decoding, which never bothers the upstream
    before = _log_lines(srv.upstream, "runs/log-batch")
    big = [{"key": "m", "value": 1, "timestamp": 1, "step": i} for i in range(1001)]
    expect_error(c.post("runs/log-batch", {"run_id": rid, "metrics": big}), 400, INV, "1000")
    expect_error(c.post("runs/log-batch", {"run_id": 7}), 400, INV, "run_id")
    r = c.raw("POST", MLFLOW + "runs/log-batch", "x" * (2 * 1024 * 1024))
    assert r.status == 413, r
    assert _log_lines(srv.upstream, "runs/log-batch") == before
    up.close()


def test_artifacts_stay_with_the_front(srv, c):
    up = _upstream(srv)
    run = c.create_run("0", run_name="with-files")["info"]
    # the URI is the upstream's word; mlflow-artifacts: resolves to whoever serves the client
    assert run["artifact_uri"] == up.get_run(run["run_id"])["info"]["artifact_uri"]
    assert run["artifact_uri"].startswith("mlflow-artifacts:/")
    rel = run["artifact_uri"][len("mlflow-artifacts:/"):].lstrip("/")
    r = c.raw("PUT", PROXY + rel + "/model/weights.bin", b"\x00\x01weights",
              {"Content-Type": "application/octet-stream"})
    assert r.status == 200, r
    assert os.path.exists(os.path.join(srv.dir, "mlartifacts", rel, "model", "weights.bin"))
    assert not os.path.exists(os.path.join(srv.upstream.dir, "mlartifacts", rel))
    files = c.ok(c.get("artifacts/list", {"run_id": run["run_id"], "path": "model"}))
    assert files["files"] == [{"path": "model/weights.bin", "is_dir": False, "file_size": 9}]
    assert "files" not in up.ok(up.get("artifacts/list", {"run_id": run["run_id"],
                                                           "path": "model"}))
    r = c.raw("GET", "/get-artifact?run_id=%s&path=model/weights.bin" % run["run_id"])
    assert r.status == 200 and r.body == b"\x00\x01weights", r
    expect_error(c.get("artifacts/list", {"run_id": "0" * 32}), 404, NF)
    expect_error(c.raw("GET", "/get-artifact?run_id=%s&path=x" % ("0" * 32)), 404, NF)
    up.close()


def test_gc_is_refused(srv, c):
    r = c.post("gc", {"dry_run": True}, prefix=FERRY)
    msg = expect_error(r, 501, "NOT_IMPLEMENTED", "'ferry/gc' is not available")
    assert srv.upstream.url in msg and "ferry gc" in msg


def test_cli_against_the_front(srv, c):
    up = _upstream(srv)
    env = dict(os.environ, FERRY_TRACKING_URI=srv.url)

    def ferry(*args, stdin=None):
        p = subprocess.run([srv.ferry] + list(args), env=env, input=stdin, capture_output=True,
                           timeout=60, cwd=srv.dir)
        assert p.returncode == 0, p
        return p.stdout.decode("utf-8")

    exp_id = ferry("experiments", "create", "fw-cli", "--json")
    exp_id = json.loads(exp_id)["experiment_id"]
    assert up.ok(up.get("experiments/get", {"experiment_id": exp_id}))["experiment"][
        "name"] == "fw-cli"
    rid = c.create_run(exp_id, run_name="cli-run")["info"]["run_id"]
    ferry("log", "metric", "loss", "0.25", "--step", "3", "--run-id", rid)
    ferry("log", "param", "lr", "0.1", "--run-id", rid)
    ferry("log", "batch", "--run-id", rid,
          stdin=b'{"metrics": [{"key": "loss", "value": 0.125, "step": 4}]}')
    assert [(m["step"], m["value"]) for m in up.history(rid, "loss")] == [(3, 0.25), (4, 0.125)]
    out = ferry("runs", "list", "--experiment-name", "fw-cli", "--filter",
                "params.lr = '0.1'", "--json")
    assert [r["info"]["run_id"] for r in json.loads(out)["runs"]] == [rid]
    src = os.path.join(srv.dir, "cli-out.txt")
    with open(src, "w") as f:
        f.write("hello from the cli\n")
    ferry("artifacts", "log", rid, src, "--artifact-path", "out")
    assert "cli-out.txt" in ferry("artifacts", "list", rid, "out")
    ferry("models", "register", "runs:/%s/out" % rid, "--name", "fw-cli-model")
    ferry("models", "alias", "fw-cli-model", "prod", "1")
    v = up.ok(up.get("registered-models/alias", {"name": "fw-cli-model", "alias": "prod"}))
    assert v["model_version"]["run_id"] == rid
    assert "fw-cli-model" in ferry("models", "resolve", "models:/fw-cli-model@prod")
    up.close()


def test_upstream_down_then_back(srv, c):
    rid = c.create_run("0", run_name="survivor")["info"]["run_id"]
    assert srv.stop_upstream() == 0
    try:
        t0 = time.time()
        msg = expect_error(c.get("runs/get", {"run_id": rid}), 503, "TEMPORARILY_UNAVAILABLE",
                           srv.upstream.url)
        assert "unavailable" in msg and time.time() - t0 < 10
        expect_error(c.post("experiments/create", {"name": "while-down"}), 503,
                     "TEMPORARILY_UNAVAILABLE")
        expect_error(c.get("artifacts/list", {"run_id": rid}), 503, "TEMPORARILY_UNAVAILABLE")
        r = c.raw("GET", "/health")
        assert r.status == 200 and r.body == b"OK", r
        assert srv.proc.poll() is None
    finally:
        srv.restart_upstream()
    assert c.get_run(rid)["info"]["run_name"] == "survivor"
    c.create_experiment("after-the-outage")
    assert header(c.get("experiments/get-by-name", {"experiment_name": "after-the-outage"}),
                  "Content-Type").startswith("application/json")


def test_quiet_front_closes_its_connections_and_opens_new_ones(srv, c):
    """After a quiet second the front closes its idle connections to the upstream (and the
    buffers of their answers); the next requests open new ones."""
    up = _upstream(srv)
    rid = c.create_run("0", run_name="idle")["info"]["run_id"]
    c.log_batch(rid, metrics=[{"key": "big", "value": i, "timestamp": 1, "step": i}
                              for i in range(1000)])
    assert len(c.history(rid, "big")) == 1000
    time.sleep(1.6)
    assert c.get_run(rid)["info"]["run_name"] == "idle"
    assert c.history(rid, "big") == up.history(rid, "big")
    up.close()
