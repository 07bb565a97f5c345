# SPDX-License-Identifier: MIT
"""MLflow Tracing over real HTTP, as MLflow's 2.x and 3.x clients drive it: a trace is
started, its spans uploaded through the artifact proxy to the location the server named,
ended; traces are searched with filters and order_by across pages, tagged and untagged,
read back through get-trace-artifact, and deleted by ids and by age (their files stay)."""
import json
import urllib.parse

from support.server import API, expect_error

V3 = "/api/3.0/mlflow/"
PROXY = "/api/2.0/mlflow-artifacts/artifacts/"
GTA = "/ajax-api/2.0/mlflow/get-trace-artifact"
INV, NF = "INVALID_PARAMETER_VALUE", "RESOURCE_DOES_NOT_EXIST"


def _call(c, method, path, doc=None):
    return c.raw(method, path if path.startswith("/") else API + path,
                 json.dumps(doc) if doc is not None else None)


def _kv(d):
    return [{"key": k, "value": v} for k, v in d.items()]


def _start(c, exp, ts, name, tags=None, metadata=None):
    tags = dict(tags or {}, **{"mlflow.traceName": name})
    return c.ok(_call(c, "POST", "traces", {"experiment_id": exp, "timestamp_ms": ts,
                                            "tags": _kv(tags),
                                            "request_metadata": _kv(metadata or {})}))[
        "trace_info"]


def _upload(c, info, spans):
    """PUT traces.json where the trace's artifact location tag points, as the client does."""
    loc = {t["key"]: t["value"] for t in info["tags"]}["mlflow.artifactLocation"]
    assert loc.startswith("mlflow-artifacts:/"), loc
    path = loc[len("mlflow-artifacts:/"):] + "/traces.json"
    r = c.raw("PUT", PROXY + urllib.parse.quote(path), json.dumps({"spans": spans}))
    assert r.status == 200, r


def _search(c, exp, **q):
    """Every trace a 2.x search finds, following page tokens; also the number of pages."""
    out, token, pages = [], None, 0
    while True:
        args = dict(q, experiment_ids=[exp])
        if token:
            args["page_token"] = token
        r = c.ok(c.get("traces", args))
        out += r.get("traces", [])
        pages += 1
        token = r.get("next_page_token")
        if not token:
            return out, pages


def _ids(traces, key="request_id"):
    return [t[key] for t in traces]


def test_a_trace_from_start_to_deletion(srv, c):
    exp = c.create_experiment("traces-life")
    run = c.create_run(exp)["info"]["run_id"]
    info = _start(c, exp, 1000, "predict", {"team": "core"}, {"mlflow.sourceRun": run})
    rid = info["request_id"]
    assert len(rid) == 32 and info["status"] == "IN_PROGRESS" and info["execution_time_ms"] == 0
    tags = {t["key"]: t["value"] for t in info["tags"]}
    assert tags["mlflow.artifactLocation"] == "mlflow-artifacts:/%s/traces/%s/artifacts" % (
        exp, rid), tags
    spans = [{"name": "root", "span_id": "a", "parent_span_id": None, "attributes": {"x": "1"}}]
    _upload(c, info, spans)
    ended = c.ok(_call(c, "PATCH", "traces/" + rid, {
        "timestamp_ms": 1400, "status": "OK", "tags": _kv({"team": "ml", "extra": "1"}),
        "request_metadata": _kv({"mlflow.traceOutputs": "7"})}))["trace_info"]
    assert ended["status"] == "OK" and ended["execution_time_ms"] == 400, ended
    got = c.ok(c.get("traces/%s/info" % rid))["trace_info"]
    assert got == ended
    assert {t["key"]: t["value"] for t in got["tags"]}["team"] == "ml"
    assert {m["key"] for m in got["request_metadata"]} == {"mlflow.sourceRun",
                                                           "mlflow.traceOutputs"}
    # the spans, as uploaded, through the UI's endpoint
    r = c.raw("GET", GTA + "?request_id=" + rid)
    assert r.status == 200 and json.loads(r.body) == {"spans": spans}, r
    assert "traces.json" in r.headers.get("Content-Disposition", ""), r.headers
    # tag and untag
    c.ok(_call(c, "PATCH", "traces/%s/tags" % rid, {"key": "reviewed", "value": "yes"}))
    c.ok(_call(c, "DELETE", "traces/%s/tags" % rid, {"key": "extra"}))
    # a value past 8000 characters is cut there, as MLflow does (the 2.x client sets
    # mlflow.traceSpans, a summary of every span, this way)
    c.ok(_call(c, "PATCH", "traces/%s/tags" % rid, {"key": "mlflow.traceSpans",
                                                     "value": "é" * 8001}))
    tags = {t["key"]: t["value"] for t in c.ok(c.get("traces/%s/info" % rid))["trace_info"]["tags"]}
    assert "reviewed" in tags and "extra" not in tags, tags
    assert tags["mlflow.traceSpans"] == "é" * 8000
    expect_error(_call(c, "DELETE", "traces/%s/tags" % rid, {"key": "extra"}), 404, NF)
    # a deleted experiment keeps its traces readable, takes no new ones
    c.ok(c.post("experiments/delete", {"experiment_id": exp}))
    assert _ids(_search(c, exp)[0]) == [rid]
    expect_error(_call(c, "POST", "traces", {"experiment_id": exp, "timestamp_ms": 5}), 400,
                 INV, "active")
    c.ok(c.post("experiments/restore", {"experiment_id": exp}))
    # deleting the trace takes its tags and metadata; its file stays, as in MLflow
    assert c.ok(c.post("traces/delete-traces", {"experiment_id": exp, "request_ids": [rid]})) == {
        "traces_deleted": 1}
    expect_error(c.get("traces/%s/info" % rid), 404, NF, rid)
    expect_error(c.raw("GET", GTA + "?request_id=" + rid), 404, NF)
    path = "%s/traces/%s/artifacts/traces.json" % (exp, rid)
    assert c.raw("GET", PROXY + path).status == 200


def test_search_filters_order_and_pages(srv, c):
    exp = c.create_experiment("traces-search")
    other = c.create_experiment("traces-other")
    want = []
    for i in range(7):
        info = _start(c, exp, 10000 + i * 100, "chat" if i % 2 else "embed",
                      {"parity": str(i % 2), "i": "%02d" % i}, {"session": "s%d" % (i % 3)})
        c.ok(_call(c, "PATCH", "traces/" + info["request_id"], {
            "timestamp_ms": 10000 + i * 100 + 10 * i, "status": "ERROR" if i == 3 else "OK"}))
        want.append(info["request_id"])
    _start(c, other, 20000, "chat")  # never in exp's answers
    everything, pages = _search(c, exp, max_results=3)
    assert _ids(everything) == want[::-1] and pages == 3, (_ids(everything), pages)
    cases = [
        ({"filter": "name = 'chat'"}, [5, 3, 1]),
        ({"filter": "tags.parity = '0' AND timestamp > 10100"}, [6, 4, 2]),
        ({"filter": "execution_time >= 30 AND status = 'OK'"}, [6, 5, 4]),
        ({"filter": "end_time_ms <= 10220"}, [2, 1, 0]),
        ({"filter": "metadata.session = 's1'"}, [4, 1]),
        ({"filter": "request_metadata.session != 's1' AND trace.status != 'ERROR'"},
         [6, 5, 2, 0]),
        ({"filter": "status IN ('ERROR')"}, [3]),
        ({"filter": "tags.i LIKE '0%' AND name ILIKE 'CH%'"}, [5, 3, 1]),
        ({"order_by": ["timestamp_ms ASC"]}, [0, 1, 2, 3, 4, 5, 6]),
        ({"order_by": ["execution_time DESC"]}, [6, 5, 4, 3, 2, 1, 0]),
        ({"order_by": ["status ASC", "tags.i DESC"]}, [3, 6, 5, 4, 2, 1, 0]),
        ({"order_by": ["metadata.session ASC", "timestamp DESC"]}, [6, 3, 0, 4, 1, 5, 2]),
        ({"filter": "name = 'nobody'"}, []),
    ]
    for q, order in cases:
        for size in (2, 100):
            got, _ = _search(c, exp, max_results=size, **q)
            assert _ids(got) == [want[i] for i in order], (q, size, _ids(got))
    # a page token is a position in the same question
    first = c.ok(c.get("traces", {"experiment_ids": exp, "max_results": 4}))
    rest = c.ok(c.get("traces", {"experiment_ids": exp, "max_results": 4,
                                 "page_token": first["next_page_token"]}))
    assert "next_page_token" not in rest and _ids(first["traces"] + rest["traces"]) == want[::-1]
    # both experiments at once
    both = c.ok(c.get("traces", {"experiment_ids": [exp, other], "filter": "name = 'chat'",
                                 "max_results": 10}))["traces"]
    assert len(both) == 4 and both[0]["experiment_id"] == other, both


def test_delete_by_age_oldest_first(srv, c):
    exp = c.create_experiment("traces-age")
    ids = [_start(c, exp, 1000 * (i + 1), "t%d" % i)["request_id"] for i in range(5)]
    r = c.post("traces/delete-traces", {"experiment_id": exp, "max_timestamp_millis": 4000,
                                        "max_traces": 2})
    assert c.ok(r) == {"traces_deleted": 2}
    assert _ids(_search(c, exp)[0]) == [ids[4], ids[3], ids[2]]
    r = c.post("traces/delete-traces", {"experiment_id": exp, "max_timestamp_millis": 4000})
    assert c.ok(r) == {"traces_deleted": 2}
    assert _ids(_search(c, exp)[0]) == [ids[4]]


def test_the_3x_client_calls(srv, c):
    """StartTraceV3 once the trace is over, spans to artifacts, then what 3.x reads with."""
    exp = c.create_experiment("traces-v3")
    made = []
    for i in range(5):
        tid = "tr-%032x" % (0xabc0 + i)
        body = {"trace": {"trace_info": {
            "trace_id": tid, "client_request_id": "req-%d" % i,
            "trace_location": {"type": "MLFLOW_EXPERIMENT",
                               "mlflow_experiment": {"experiment_id": exp}},
            "request_preview": '{"q": %d}' % i, "response_preview": "ok",
            "request_time": "2024-05-01T10:00:0%d.250Z" % i,
            "execution_duration": "0.%03ds" % (100 + i), "state": "OK",
            "trace_metadata": {"mlflow.trace_schema.version": "3", "mlflow.user": "me"},
            "tags": {"mlflow.traceName": "agent", "n": str(i)}}}}
        info = c.ok(c.raw("POST", V3 + "traces", json.dumps(body)))["trace"]["trace_info"]
        assert info["tags"]["mlflow.artifactLocation"] == \
            "mlflow-artifacts:/%s/traces/%s/artifacts" % (exp, tid), info
        assert "mlflow.trace.spansLocation" not in info["tags"], info
        assert info["request_time"] == body["trace"]["trace_info"]["request_time"]
        assert info["execution_duration"] == "0.%03ds" % (100 + i), info
        _upload(c, {"tags": _kv(info["tags"])}, [{"name": "s%d" % i}])
        made.append(tid)
    # the same trace sent again overwrites itself (the client retries)
    r = c.raw("POST", V3 + "traces", json.dumps(body))
    assert r.status == 200, r
    got = c.ok(c.raw("GET", V3 + "traces/" + made[4]))["trace"]["trace_info"]
    assert got["client_request_id"] == "req-4" and got["trace_metadata"]["mlflow.user"] == "me"
    assert got["trace_location"]["mlflow_experiment"]["experiment_id"] == exp
    # search as mlflow.search_traces does, a page at a time
    loc = [{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": exp}}]
    seen, token = [], None
    while True:
        q = {"locations": loc, "max_results": 2, "order_by": ["timestamp_ms DESC"],
             "filter": "tags.n != '2' AND client_request_id LIKE 'req-%'"}
        if token:
            q["page_token"] = token
        r = c.ok(c.raw("POST", V3 + "traces/search", json.dumps(q)))
        seen += r.get("traces", [])
        token = r.get("next_page_token")
        if not token:
            break
    assert _ids(seen, "trace_id") == [made[4], made[3], made[1], made[0]], seen
    # 2.x reads see the same traces
    info2 = c.ok(c.get("traces/%s/info" % made[0]))["trace_info"]
    assert info2["timestamp_ms"] == 1714557600250 and info2["execution_time_ms"] == 100, info2
    # tags go through 2.x paths in the 3.x client, 3.x paths answer too
    c.ok(c.raw("PATCH", API + "traces/%s/tags" % made[0], '{"key": "color", "value": "red"}'))
    c.ok(c.raw("DELETE", V3 + "traces/%s/tags" % made[0], '{"key": "n"}'))
    tags = c.ok(c.raw("GET", V3 + "traces/" + made[0]))["trace"]["trace_info"]["tags"]
    assert tags["color"] == "red" and "n" not in tags, tags
    r = c.raw("GET", GTA + "?request_id=" + made[1])
    assert r.status == 200 and json.loads(r.body) == {"spans": [{"name": "s1"}]}, r
    # delete as the 3.x client does: by ids, then by age
    r = c.raw("POST", V3 + "traces/delete-traces",
              json.dumps({"experiment_id": exp, "request_ids": made[:2]}))
    assert c.ok(r) == {"traces_deleted": 2}
    r = c.raw("POST", API + "traces/delete-traces",
              json.dumps({"experiment_id": exp, "max_timestamp_millis": 1714557610000,
                          "max_traces": 10}))
    assert c.ok(r) == {"traces_deleted": 3}
    r = c.ok(c.raw("POST", V3 + "traces/search", json.dumps({"locations": loc})))
    assert r == {}, r
