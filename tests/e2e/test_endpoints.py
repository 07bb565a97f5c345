# SPDX-License-Identifier: MIT
"""Every endpoint under both prefixes (/api and /ajax-api), reads by GET
(query string, arrays as repeated keys) and by POST (JSON body) with the same
answer, writes by POST only; success bodies are JSON."""
import json

from support.server import AJAX, API, expect_error, header

READS = ["experiments/get", "experiments/get-by-name", "experiments/search", "runs/get",
         "runs/search", "metrics/get-history", "metrics/get-history-bulk-interval"]
WRITES = ["experiments/create", "experiments/update", "experiments/delete",
          "experiments/restore", "experiments/set-experiment-tag",
          "experiments/delete-experiment-tag", "runs/create", "runs/update", "runs/delete",
          "runs/restore", "runs/log-metric", "runs/log-parameter", "runs/set-tag",
          "runs/delete-tag", "runs/log-batch", "runs/log-inputs", "runs/log-model"]


def _ok_json(r):
    assert r.status == 200, "expected 200, got %r" % r
    assert header(r, "Content-Type").startswith("application/json"), (r, r.headers)
    return r.json


def test_every_write_through_the_ajax_prefix(srv, c):
    """A whole tracking session through /ajax-api, checked through /api."""
    def ajax(ep, doc):
        return _ok_json(c.post(ep, doc, prefix=AJAX))

    eid = ajax("experiments/create", {"name": "ajax-exp",
                                      "tags": [{"key": "a", "value": "1"}]})["experiment_id"]
    ajax("experiments/update", {"experiment_id": eid, "new_name": "ajax-exp2"})
    ajax("experiments/set-experiment-tag", {"experiment_id": eid, "key": "b", "value": "2"})
    ajax("experiments/delete-experiment-tag", {"experiment_id": eid, "key": "a"})
    rid = ajax("runs/create", {"experiment_id": eid, "run_name": "r"})["run"]["info"]["run_id"]
    ajax("runs/log-metric", {"run_id": rid, "key": "m", "value": 1.5, "timestamp": 5, "step": 1})
    ajax("runs/log-parameter", {"run_id": rid, "key": "p", "value": "x"})
    ajax("runs/set-tag", {"run_id": rid, "key": "t", "value": "y"})
    ajax("runs/set-tag", {"run_id": rid, "key": "gone", "value": "z"})
    ajax("runs/delete-tag", {"run_id": rid, "key": "gone"})
    ajax("runs/log-batch", {"run_id": rid, "metrics": [
        {"key": "m", "value": 2.5, "timestamp": 6, "step": 2}]})
    ajax("runs/log-inputs", {"run_id": rid, "datasets": [{"dataset": {
        "name": "ds", "digest": "abc", "source_type": "local", "source": "{}"}}]})
    ajax("runs/log-model", {"run_id": rid, "model_json": json.dumps({
        "artifact_path": "model", "run_id": rid, "flavors": {"python_function": {}},
        "utc_time_created": "2024-05-01 10:00:00.000000"})})
    ajax("runs/update", {"run_id": rid, "status": "FINISHED", "end_time": 10})

    e = c.ok(c.get("experiments/get", {"experiment_id": eid}))["experiment"]
    assert e["name"] == "ajax-exp2" and e["tags"] == [{"key": "b", "value": "2"}], e
    run = c.get_run(rid)
    assert run["info"]["status"] == "FINISHED" and run["info"]["end_time"] == 10
    assert run["data"]["params"] == [{"key": "p", "value": "x"}]
    tags = {t["key"]: t["value"] for t in run["data"]["tags"]}
    assert tags["t"] == "y" and "gone" not in tags and "mlflow.log-model.history" in tags
    assert run["data"]["metrics"] == [{"key": "m", "value": 2.5, "timestamp": 6, "step": 2}]
    assert run["inputs"]["dataset_inputs"][0]["dataset"]["digest"] == "abc"

    ajax("runs/delete", {"run_id": rid})
    assert c.get_run(rid)["info"]["lifecycle_stage"] == "deleted"
    ajax("runs/restore", {"run_id": rid})
    ajax("experiments/delete", {"experiment_id": eid})
    assert c.ok(c.get("experiments/get", {"experiment_id": eid}))["experiment"][
        "lifecycle_stage"] == "deleted"
    ajax("experiments/restore", {"experiment_id": eid})
    assert c.get_run(rid)["info"]["lifecycle_stage"] == "active"


def test_reads_answer_the_same_by_get_and_post_on_both_prefixes(srv, c):
    eid = c.create_experiment("readers", tags=[{"key": "k", "value": "v"}])
    rids = []
    for i in range(3):
        rid = c.create_run(eid, run_name="rr%d" % i, start_time=1000 + i)["info"]["run_id"]
        c.log_batch(rid, metrics=[{"key": "loss", "value": 1.0 / (s + 1), "timestamp": s,
                                   "step": s} for s in range(30)],
                    params=[{"key": "i", "value": str(i)}])
        rids.append(rid)
    calls = [
        ("experiments/get", {"experiment_id": eid}),
        ("experiments/get-by-name", {"experiment_name": "readers"}),
        ("experiments/search", {"filter": "name = 'readers'", "max_results": 5,
                                "order_by": ["name ASC", "creation_time DESC"],
                                "view_type": "ACTIVE_ONLY"}),
        ("runs/get", {"run_id": rids[0]}),
        ("runs/search", {"experiment_ids": [eid, "0"], "filter": "params.i != '1'",
                         "order_by": ["params.i DESC", "attributes.start_time"],
                         "max_results": 10, "run_view_type": "ACTIVE_ONLY"}),
        ("metrics/get-history", {"run_id": rids[1], "metric_key": "loss"}),
        ("metrics/get-history", {"run_id": rids[1], "metric_key": "loss", "max_results": 7}),
    ]
    for ep, q in calls:
        answers = [_ok_json(c.get(ep, q)), _ok_json(c.post(ep, q)),
                   _ok_json(c.get(ep, q, prefix=AJAX)), _ok_json(c.post(ep, q, prefix=AJAX))]
        assert answers[0], "%s answered an empty object" % ep
        for a in answers[1:]:
            assert a == answers[0], "%s %s: GET/POST or /api vs /ajax-api differ:\n%s\n%s" % (
                ep, q, a, answers[0])
    # the search answers hold what was asked for
    r = c.ok(c.get("runs/search", calls[4][1]))
    assert [x["info"]["run_name"] for x in r["runs"]] == ["rr2", "rr0"], r
    # bulk interval is a GET in MLflow; arrays as repeated run_ids=...
    q = {"run_ids": rids, "metric_key": "loss", "max_results": 5}
    a = _ok_json(c.get("metrics/get-history-bulk-interval", q))
    b = _ok_json(c.get("metrics/get-history-bulk-interval", q, prefix=AJAX))
    assert a == b and {p["run_id"] for p in a["metrics"]} == set(rids), a


def test_writes_refuse_get_on_both_prefixes(srv, c):
    before = c.ok(c.post("experiments/search", {"view_type": "ALL"}))
    for prefix in (API, AJAX):
        for ep in WRITES:
            r = c.raw("GET", prefix + ep + "?name=via-get&experiment_id=0")
            expect_error(r, 405, ("BAD_REQUEST", "ENDPOINT_NOT_FOUND", "INVALID_PARAMETER_VALUE"))
        for ep in READS:
            r = c.raw("DELETE", prefix + ep)
            expect_error(r, 405, ("BAD_REQUEST", "ENDPOINT_NOT_FOUND", "INVALID_PARAMETER_VALUE"))
    assert c.ok(c.post("experiments/search", {"view_type": "ALL"})) == before


def test_unknown_paths_on_both_prefixes(srv, c):
    for path in (API + "experiments/nope", AJAX + "runs/nope", API + "runs", API,
                 "/api/2.0/mlflow", "/api/2.1/mlflow/runs/get", "/api/2.0/mlflow/runs/get/x",
                 AJAX + "experiments/create/", "/indexhtml", API + "RUNS/GET"):
        for method in ("GET", "POST"):
            r = c.raw(method, path, "{}" if method == "POST" else None)
            expect_error(r, 404, "ENDPOINT_NOT_FOUND")


def test_the_web_ui_is_served_from_the_binary(srv, c):
    """GET / is the app's page; its files are gzipped for clients that accept it, revalidated by
    ETag, locked down by a Content-Security-Policy; anything else under the UI is refused."""
    import gzip
    r = c.raw("GET", "/")
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/html"), r
    assert b'<div id="app">' in r.body and "default-src 'self'" in r.headers[
        "Content-Security-Policy"], r.headers
    r = c.raw("GET", "/static/app.js", headers={"Accept-Encoding": "gzip"})
    assert r.status == 200 and r.headers.get("Content-Encoding") == "gzip", r.headers
    js = gzip.decompress(r.body)
    plain = c.raw("GET", "/static/app.js")
    assert "Content-Encoding" not in plain.headers and plain.body == js
    r = c.raw("GET", "/static/app.js", headers={"If-None-Match": plain.headers["ETag"]})
    assert r.status == 304 and r.body == b"", r
    assert c.raw("GET", "/static/nope.js").status == 404
    assert c.raw("POST", "/", "{}").status == 405
    assert c.raw("GET", "/index.html").body == c.raw("GET", "/").body


def test_query_string_forms(srv, c):
    """Percent-encoding, '+' for spaces, repeated keys, a single array element, empty values."""
    eid = c.create_experiment("query form & friends/ü")
    r = c.raw("GET", API + "experiments/get-by-name?experiment_name="
              "query+form+%26+friends%2F%C3%BC")
    assert _ok_json(r)["experiment"]["experiment_id"] == eid
    r = c.raw("GET", API + "experiments/get-by-name?experiment_name=query%20form%20%26%20"
              "friends/%c3%bc")
    assert _ok_json(r)["experiment"]["experiment_id"] == eid
    rid = c.create_run(eid, run_name="only")["info"]["run_id"]
    # one experiment id given as a single repeated key is an array of one
    r = c.raw("GET", API + "runs/search?experiment_ids=%s" % eid)
    assert [x["info"]["run_id"] for x in _ok_json(r)["runs"]] == [rid]
    r = c.raw("GET", API + "runs/search?experiment_ids=%s&experiment_ids=0&filter="
              "attributes.run_name+%%3D+%%27only%%27" % eid)
    assert [x["info"]["run_id"] for x in _ok_json(r)["runs"]] == [rid]
    # unknown query keys are ignored, as by MLflow
    r = c.raw("GET", API + "runs/get?run_id=%s&utm_source=x" % rid)
    assert _ok_json(r)["run"]["info"]["run_id"] == rid
    # an empty run_id is missing, not a lookup of ''
    expect_error(c.raw("GET", API + "runs/get?run_id="), 400, "INVALID_PARAMETER_VALUE")


def test_nul_bytes_in_the_query_are_not_cut_off(srv, c):
    """'%00' decodes to a NUL byte; the value must not silently become its prefix."""
    rid = c.create_run()["info"]["run_id"]
    problems = []
    for path in ("experiments/get-by-name?experiment_name=Default%00tail",
                 "experiments/get?experiment_id=0%00",
                 "runs/get?run_id=" + rid + "%00tail",
                 "metrics/get-history?run_id=" + rid + "%00x&metric_key=m"):
        r = c.raw("GET", API + path)
        try:
            expect_error(r, (400, 404), ("INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST"))
        except AssertionError as e:
            problems.append("GET %s: %s" % (path, str(e)[:300]))
    assert not problems, "\n".join(problems)
