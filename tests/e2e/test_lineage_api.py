# SPDX-License-Identifier: MIT
"""The lineage REST API (issue 20) under /api/2.0/ferry/lineage/: what a pipeline records about
its steps (executions/put, events/log), the step cache's lookup (the latest COMPLETE execution
with a fingerprint, its outputs; deleted runs and old ones left out), the list of pipeline runs
and of one pipeline run's steps, and the graph: events joined with what ferry already keeps
(runs' dataset inputs, logged models' source runs, registered model versions and their
sources, dataset versions), upstream and downstream, from every URI form. With --auth, a
reader sees no run, logged model or model version it may not read. Runs on SQLite and
PostgreSQL. The error cases of each row are files in cases/lineage/."""
import time

from support.server import expect_error
from test_auth import ADMIN, AuthServer, basic, user, As

FERRY = "/api/2.0/ferry/"
LIN = "lineage/"


def post(c, ep, doc):
    return c.post(LIN + ep, doc, prefix=FERRY)


def get(c, ep, **q):
    return c.get(LIN + ep, q, prefix=FERRY)


def run(c, exp, name):
    return c.ok(c.post("runs/create", {"experiment_id": exp, "run_name": name}))[
        "run"]["info"]["run_id"]


def put(c, run_id, **kw):
    doc = dict(run_id=run_id, **kw)
    return c.ok(post(c, "executions/put", doc))


def events(c, run_id, *evs):
    """evs: (kind, name, uri, type, digest)"""
    return c.ok(post(c, "events/log", {"run_id": run_id, "events": [
        {"kind": k, "name": n, "artifact": {"uri": u, "type": t, "digest": d}}
        for k, n, u, t, d in evs]}))


def graph(c, uri, **q):
    return c.ok(get(c, "graph", uri=uri, **q))


def kinds(g):
    return {n["id"]: n["kind"] for n in g["nodes"]}


def edges(g):
    return {(e["source"], e["target"], e["kind"]) for e in g["edges"]}


def pipeline(c, exp, model_name):
    """A two-step pipeline run: prep (a file in, train.csv out) -> train (model out),
    registered as model_name v1 (alias champion) from train's output. Returns the run ids
    and uris."""
    p, prep, train = run(c, exp, "pipe"), run(c, exp, "prep"), run(c, exp, "train")
    now = int(time.time() * 1000)
    put(c, p, pipeline="fraud", pipeline_run_id=p, step="", state="COMPLETE",
        started_ms=now - 3000, ended_ms=now)
    put(c, prep, pipeline="fraud", pipeline_run_id=p, step="prep", state="COMPLETE",
        fingerprint="fp-prep", started_ms=now - 3000, ended_ms=now - 2000)
    put(c, train, pipeline="fraud", pipeline_run_id=p, step="train", state="COMPLETE",
        fingerprint="fp-train", started_ms=now - 2000, ended_ms=now - 1000)
    csv = "runs:/%s/outputs/train.csv" % prep
    model = "runs:/%s/outputs/model" % train
    events(c, prep, ("input", "raw", "file:///data/raw.csv", "file", "r0"),
           ("output", "train", csv, "file", "c1"))
    events(c, train, ("input", "prep.train", csv, "file", "c1"),
           ("output", "model", model, "model", "m1"),
           ("output", "metrics", "runs:/%s/outputs/metrics.json" % train, "metrics", "x1"))
    c.ok(c.post("registered-models/create", {"name": model_name}))
    c.ok(c.post("model-versions/create", {"name": model_name, "source": model,
                                          "run_id": train}))
    c.ok(c.post("registered-models/alias", {"name": model_name, "alias": "champion",
                                            "version": "1"}))
    return p, prep, train, csv, model


def test_executions_events_cache_and_lists(srv, c):
    exp = c.create_experiment("lineage-api")
    p, prep, train, csv, model = pipeline(c, exp, "fraud-lin-api")
    # the step cache
    hit = c.ok(get(c, "cache/lookup", fingerprint="fp-train"))
    assert hit["execution"]["run_id"] == train
    assert hit["execution"]["step"] == "train" and hit["execution"]["state"] == "COMPLETE"
    assert [(o["name"], o["uri"], o["type"], o["digest"]) for o in hit["outputs"]] == [
        ("metrics", "runs:/%s/outputs/metrics.json" % train, "metrics", "x1"),
        ("model", model, "model", "m1")]
    assert c.ok(get(c, "cache/lookup", fingerprint="fp-train", max_age_ms=1)) == {}
    assert c.ok(get(c, "cache/lookup", fingerprint="fp-none")) == {}
    # a resend changes nothing; an upsert replaces
    events(c, train, ("output", "model", model, "model", "m1"))
    assert len(c.ok(get(c, "cache/lookup", fingerprint="fp-train"))["outputs"]) == 2
    put(c, prep, pipeline="fraud", pipeline_run_id=p, step="prep", state="FAILED",
        fingerprint="fp-prep")
    assert c.ok(get(c, "cache/lookup", fingerprint="fp-prep")) == {}
    put(c, prep, pipeline="fraud", pipeline_run_id=p, step="prep", state="COMPLETE",
        fingerprint="fp-prep", started_ms=1, ended_ms=int(time.time() * 1000))
    # a deleted run is no hit
    c.ok(c.post("runs/delete", {"run_id": train}))
    assert c.ok(get(c, "cache/lookup", fingerprint="fp-train")) == {}
    c.ok(c.post("runs/restore", {"run_id": train}))
    assert c.ok(get(c, "cache/lookup", fingerprint="fp-train"))["execution"]["run_id"] == train
    # lists: the pipeline runs, a pipeline run's steps in start order, pages
    runs = c.ok(get(c, "executions/list"))["executions"]
    assert [e["run_id"] for e in runs] == [p] and runs[0]["pipeline"] == "fraud"
    steps = c.ok(get(c, "executions/list", pipeline_run_id=p))["executions"]
    assert [e["step"] for e in steps] == ["prep", "train"]
    page = c.ok(get(c, "executions/list", pipeline_run_id=p, max_results=1))
    assert [e["step"] for e in page["executions"]] == ["prep"] and page["next_page_token"]
    page = c.ok(get(c, "executions/list", pipeline_run_id=p, max_results=1,
                    page_token=page["next_page_token"]))
    assert [e["step"] for e in page["executions"]] == ["train"]
    assert "next_page_token" not in page
    # bad input
    expect_error(post(c, "executions/put", {"run_id": train, "state": "COMPLETE",
                                            "cached_from": "nope"}),
                 400, "INVALID_PARAMETER_VALUE", "cached_from")
    expect_error(post(c, "events/log", {"run_id": train, "events": [
        {"kind": "input", "artifact": {"uri": "file:///x", "properties": [1]}}]}),
        400, "INVALID_PARAMETER_VALUE", "properties")
    expect_error(post(c, "events/log", {"run_id": train, "events": [{"kind": "input"}]}),
                 400, "INVALID_PARAMETER_VALUE", "artifact")


def test_graph_up_and_down_from_every_uri_form(srv, c):
    exp = c.create_experiment("lineage-graph")
    p, prep, train, csv, model = pipeline(c, exp, "fraud-lin")
    tr, pr = "runs:/" + train, "runs:/" + prep
    # an MLflow dataset input of train and a logged model it made join the graph
    c.ok(c.post("runs/log-inputs", {"run_id": train, "datasets": [{"dataset": {
        "name": "holdout", "digest": "h1", "source_type": "local",
        "source": "{\"uri\": \"file:///data/holdout.csv\"}"}, "tags": [
            {"key": "mlflow.data.context", "value": "eval"}]}]}))
    lm = c.ok(c.post("logged-models", {"experiment_id": exp, "name": "m",
                                       "source_run_id": train},
                     prefix="/api/2.0/mlflow/"))["model"]["info"]["model_id"]
    for uri in ("models:/fraud-lin/1", "models:/fraud-lin@champion", "models:/fraud-lin/latest"):
        g = graph(c, uri)
        assert g["root"] == "models:/fraud-lin/1" and not g["truncated"], g
        assert kinds(g) == {
            "models:/fraud-lin/1": "model_version", tr: "execution", model: "artifact",
            csv: "artifact", pr: "execution", "file:///data/raw.csv": "artifact",
            "file:///data/holdout.csv": "artifact"}, g
        assert edges(g) == {
            (tr, "models:/fraud-lin/1", "registered"), (model, "models:/fraud-lin/1", "registered"),
            (tr, model, "output"), (csv, tr, "input"), (pr, csv, "output"),
            ("file:///data/raw.csv", pr, "input"), ("file:///data/holdout.csv", tr, "input")}, g
    g = graph(c, "models:/fraud-lin/1")
    by = {n["id"]: n for n in g["nodes"]}
    assert by[tr]["name"] == "train" and by[tr]["state"] == "COMPLETE"
    assert by[tr]["step"] == "train" and by[tr]["pipeline_run_id"] == p
    assert by[tr]["experiment_id"] == exp and by[tr]["depth"] == 1
    assert by[model]["type"] == "model" and by[model]["digest"] == "m1"
    assert by["file:///data/holdout.csv"]["type"] == "dataset"
    assert by["models:/fraud-lin/1"]["version"] == 1 and by["models:/fraud-lin/1"]["name"] == \
        "fraud-lin"
    assert [e["name"] for e in g["edges"] if e["source"] == "file:///data/holdout.csv"] == \
        ["eval"]
    # depth and max_nodes
    assert set(kinds(graph(c, "models:/fraud-lin/1", depth=1))) == {
        "models:/fraud-lin/1", tr, model}
    small = graph(c, "models:/fraud-lin/1", max_nodes=2)
    assert len(small["nodes"]) == 2 and small["truncated"]
    # downstream from a local input, a step output, a run (bare id), the logged model
    g = graph(c, "file:///data/raw.csv", direction="downstream")
    assert {tr, pr, csv, model, "models:/" + lm, "models:/fraud-lin/1"} <= set(kinds(g)), g
    assert kinds(g)["models:/" + lm] == "logged_model"
    assert (tr, "models:/" + lm, "output") in edges(g)
    g = graph(c, csv, direction="downstream", depth=1)
    assert kinds(g) == {csv: "artifact", tr: "execution"}
    g = graph(c, prep, depth=1)
    assert g["root"] == pr and kinds(g) == {pr: "execution", "file:///data/raw.csv": "artifact"}
    g = graph(c, "models:/" + lm, depth=1)
    assert edges(g) == {(tr, "models:/" + lm, "output")}
    # unknown roots
    for uri in ("models:/fraud-lin/9", "models:/nope@champion", "runs:/" + "0" * 32,
                "0" * 32, "file:///nowhere", "runs:/%s/outputs/nothing" % train, "data:/nope/1",
                "models:/m-" + "0" * 32):
        expect_error(get(c, "graph", uri=uri), 404, "RESOURCE_DOES_NOT_EXIST")


def test_a_dataset_version_is_a_node(srv, c):
    r = c.post("datasets/versions/create", {"name": "lin-ds", "manifest": {
        "format": "ferry-data/1", "chunk_size": 8388608, "files": [], "dirs": [], "links": []}},
        prefix=FERRY)
    if r.status == 501:  # a server without a data root
        return
    v = c.ok(r)["dataset_version"]
    c.ok(c.post("datasets/aliases/set", {"name": "lin-ds", "alias": "prod", "version": "1"},
                prefix=FERRY))
    exp = c.create_experiment("lineage-data")
    prep, other = run(c, exp, "prep"), run(c, exp, "other")
    events(c, prep, ("input", "raw", "data:/lin-ds/1", "dataset", v["digest"]),
           ("output", "out", "runs:/%s/outputs/o" % prep, "file", "o1"))
    c.ok(c.post("runs/log-inputs", {"run_id": other, "datasets": [{"dataset": {
        "name": "lin-ds", "digest": "x", "source_type": "ferry", "source": "data:/lin-ds/1"}}]}))
    for uri in ("data:/lin-ds/1", "data:/lin-ds@prod", "data:/lin-ds/latest"):
        g = graph(c, uri, direction="downstream")
        assert g["root"] == "data:/lin-ds/1"
        assert kinds(g) == {"data:/lin-ds/1": "dataset_version", "runs:/" + prep: "execution",
                            "runs:/" + other: "execution",
                            "runs:/%s/outputs/o" % prep: "artifact"}, g
        assert g["nodes"][0]["digest"] == v["digest"]
    g = graph(c, "runs:/%s/outputs/o" % prep)
    assert ("data:/lin-ds/1", "runs:/" + prep, "input") in edges(g)
    assert kinds(g)["data:/lin-ds/1"] == "dataset_version"


def test_with_auth_a_reader_sees_only_what_it_may_read(srv, c):
    s = AuthServer(srv.ferry).start()
    try:
        admin = As(s, basic(*ADMIN))
        reader = user(s, "lin-reader")
        exp = admin.ok(admin.post("experiments/create", {"name": "lin-open"}))["experiment_id"]
        priv = admin.ok(admin.post("experiments/create", {"name": "lin-private"}))[
            "experiment_id"]
        a, b = run(admin, exp, "a"), run(admin, priv, "b")
        put(admin, a, pipeline="x", pipeline_run_id=a, step="", state="COMPLETE")
        put(admin, b, pipeline="x", pipeline_run_id=b, step="", state="COMPLETE")
        out = "runs:/%s/outputs/o" % a
        events(admin, a, ("output", "o", out, "file", "d"))
        events(admin, b, ("input", "i", out, "file", "d"),
               ("output", "o", "runs:/%s/outputs/o" % b, "file", "d"))
        admin.ok(admin.post("experiments/permissions/create", {
            "experiment_id": priv, "username": "lin-reader", "permission": "NO_PERMISSIONS"}))
        # the admin sees both runs, the reader only the open one
        assert set(kinds(graph(admin, out, direction="downstream"))) == {
            out, "runs:/" + b, "runs:/%s/outputs/o" % b}
        g = graph(reader, out, direction="downstream")
        assert set(kinds(g)) == {out} and g["edges"] == [], g
        assert {e["run_id"] for e in reader.ok(get(reader, "executions/list"))["executions"]} == \
            {a}
        # writes need EDIT on the run's experiment
        expect_error(post(reader, "executions/put", {"run_id": a, "state": "COMPLETE"}),
                     403, "PERMISSION_DENIED")
        expect_error(post(reader, "events/log", {"run_id": a, "events": []}),
                     403, "PERMISSION_DENIED")
        expect_error(get(s.client(), "graph", uri=a), 401, "UNAUTHENTICATED")
    finally:
        assert s.stop() == 0
