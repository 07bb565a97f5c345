# SPDX-License-Identifier: MIT
"""metrics/get-history (with paging) and metrics/get-history-bulk-interval."""
from support.server import expect_error

MISSING = "0123456789abcdef0123456789abcdef"


def _run_with_history(c, n, key="loss"):
    rid = c.create_run()["info"]["run_id"]
    for start in range(0, n, 1000):
        c.log_batch(rid, [{"key": key, "value": 1.0 / (i + 1), "timestamp": 1000 + i, "step": i}
                          for i in range(start, min(n, start + 1000))])
    return rid


def test_history_whole_and_paged(srv, c):
    rid = _run_with_history(c, 2500)
    h = c.ok(c.get("metrics/get-history", {"run_id": rid, "metric_key": "loss"}))
    assert len(h["metrics"]) == 2500 and "next_page_token" not in h
    assert h["metrics"][10] == {"key": "loss", "value": 1.0 / 11, "timestamp": 1010, "step": 10}
    steps, token, pages = [], None, 0
    while True:
        q = {"run_id": rid, "metric_key": "loss", "max_results": 1000}
        if token:
            q["page_token"] = token
        r = c.ok(c.get("metrics/get-history", q))
        steps += [p["step"] for p in r["metrics"]]
        pages += 1
        token = r.get("next_page_token")
        if not token:
            break
    assert steps == list(range(2500)) and pages == 3
    r = c.ok(c.post("metrics/get-history", {"run_uuid": rid, "metric_key": "loss",
                                            "max_results": 5}))
    assert len(r["metrics"]) == 5 and r["next_page_token"]


def test_history_bad_input(srv, c):
    rid = _run_with_history(c, 10)
    expect_error(c.get("metrics/get-history", {"run_id": MISSING, "metric_key": "loss"}), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    expect_error(c.get("metrics/get-history", {"run_id": rid}), 400, "INVALID_PARAMETER_VALUE")
    expect_error(c.get("metrics/get-history", {"run_id": rid, "metric_key": "loss",
                                               "page_token": "zzz"}), 400,
                 "INVALID_PARAMETER_VALUE")
    expect_error(c.get("metrics/get-history", {"run_id": rid, "metric_key": "loss",
                                               "max_results": "many"}), 400,
                 "INVALID_PARAMETER_VALUE")
    r = c.ok(c.get("metrics/get-history", {"run_id": rid, "metric_key": "absent"}))
    assert r == {}, "an empty history is {} (empty lists are omitted, as in MLflow): %r" % r


def _by_run(points):
    out = {}
    for p in points:
        out.setdefault(p["run_id"], []).append(p["step"])
    return out


def test_bulk_interval(srv, c):
    a = _run_with_history(c, 1000, "acc")
    b = _run_with_history(c, 500, "acc")
    r = c.ok(c.get("metrics/get-history-bulk-interval",
                   {"run_ids": [a, b], "metric_key": "acc", "max_results": 10}))
    by_run = _by_run(r["metrics"])
    problems = []
    for rid, n in ((a, 1000), (b, 500)):
        steps = by_run.get(rid, [])
        if steps != sorted(set(steps)) or not set(steps) <= set(range(n)):
            problems.append("run with %d steps: not ascending distinct real steps: %s" % (
                n, steps))
        if not steps or steps[0] != 0 or steps[-1] != n - 1:
            problems.append("run with %d steps: first/last step missing: %s" % (n, steps))
        if not 2 <= len(steps) <= 10 + 4:
            problems.append("run with %d steps: %d points for max_results=10" % (n, len(steps)))
    # MLflow samples one set of steps for all runs so that charts line up: a step shown
    # for one run is shown for every run that has it
    common = set(by_run.get(a, [])) | set(by_run.get(b, []))
    for rid, n in ((a, 1000), (b, 500)):
        want = {s for s in common if s < n}
        if set(by_run.get(rid, [])) != want:
            problems.append("steps are not shared across runs: run with %d steps got %s, "
                            "the union over runs is %s" % (n, by_run.get(rid), sorted(common)))
    # every point of a window when it fits; points carry the run id
    r = c.ok(c.get("metrics/get-history-bulk-interval",
                   {"run_ids": a, "metric_key": "acc", "start_step": 100, "end_step": 199,
                    "max_results": 1000}))
    if [p["step"] for p in r["metrics"]] != list(range(100, 200)):
        problems.append("window 100..199 with max_results=1000: %s" % (
            [p["step"] for p in r["metrics"]][:20]))
    if r["metrics"] and r["metrics"][0] != {"key": "acc", "value": 1.0 / 101, "timestamp": 1100,
                                            "step": 100, "run_id": a}:
        problems.append("point shape: %r" % r["metrics"][0])
    # runs come back in request order; a one-step window (start == end) is allowed
    r = c.ok(c.get("metrics/get-history-bulk-interval",
                   {"run_ids": [b, a], "metric_key": "acc", "start_step": 7, "end_step": 7}))
    if [(p["run_id"], p["step"]) for p in r["metrics"]] != [(b, 7), (a, 7)]:
        problems.append("runs [b, a], steps 7..7: got %s" % [
            (p["run_id"][:6], p["step"]) for p in r["metrics"]])
    # MLflow's max_results: default and maximum 2500 per run
    r = c.get("metrics/get-history-bulk-interval", {"run_ids": [a], "metric_key": "acc"})
    if r.status != 200 or len(r.json.get("metrics", [])) != 1000:
        problems.append("default max_results (2500) should return all 1000 points, got %s" % (
            len(r.json.get("metrics", [])) if r.status == 200 else r))
    for mr in (1001, 2500):
        r = c.get("metrics/get-history-bulk-interval",
                  {"run_ids": [a], "metric_key": "acc", "max_results": mr})
        if r.status != 200 or len(r.json.get("metrics", [])) != 1000:
            problems.append("max_results=%d should be accepted and return 1000 points: %r" % (
                mr, r))
    assert not problems, "\n".join(problems)


def test_bulk_interval_bad_input(srv, c):
    a = _run_with_history(c, 20, "acc")
    cases = [
        {"run_ids": [a], "metric_key": "acc", "max_results": 2501},
        {"run_ids": [a], "metric_key": "acc", "max_results": 0},
        {"run_ids": [a], "metric_key": "acc", "max_results": "lots"},
        {"run_ids": [a], "metric_key": "acc", "start_step": 5},
        {"run_ids": [a], "metric_key": "acc", "end_step": 5},
        {"run_ids": [a], "metric_key": "acc", "start_step": 9, "end_step": 5},
        {"run_ids": [a], "metric_key": "acc", "start_step": "x", "end_step": 5},
        {"run_ids": [a] * 101, "metric_key": "acc"},
        {"run_ids": [a]},
        {"metric_key": "acc"},
        {"run_ids": ["../../x"], "metric_key": "acc"},
    ]
    problems = []
    for q in cases:
        try:
            expect_error(c.get("metrics/get-history-bulk-interval", q), 400,
                         "INVALID_PARAMETER_VALUE")
        except AssertionError as e:
            problems.append("%s: %s" % (str(q)[:100], e))
    try:
        expect_error(c.get("metrics/get-history-bulk-interval",
                           {"run_ids": [a, MISSING], "metric_key": "acc"}), 404,
                     "RESOURCE_DOES_NOT_EXIST")
    except AssertionError as e:
        problems.append("unknown run: %s" % e)
    assert not problems, "\n".join(problems)


def test_long_query_string_is_accepted(srv, c):
    a = _run_with_history(c, 20, "x")
    # 100 run ids (the limit) plus padding: a request line of ~15 KB, as MLflow's UI sends
    q = {"run_ids": [a] * 100, "metric_key": "x", "max_results": 5,
         "pad": "p" * 11000}
    r = c.get("metrics/get-history-bulk-interval", q)
    assert r.status == 200, r
    assert r.json["metrics"] and {p["run_id"] for p in r.json["metrics"]} == {a}, r


def test_large_history_is_fast_and_pages_exactly(srv, c):
    import time
    rid = _run_with_history(c, 100000, "big")
    t0 = time.time()
    h = c.ok(c.get("metrics/get-history", {"run_id": rid, "metric_key": "big"}))["metrics"]
    took = time.time() - t0
    assert len(h) == 100000 and took < 10, (len(h), took)
    assert h[-1] == {"key": "big", "value": 1.0 / 100000, "timestamp": 100999, "step": 99999}
    steps, token, pages = [], None, 0
    while True:
        q = {"run_id": rid, "metric_key": "big", "max_results": 30000}
        if token:
            q["page_token"] = token
        r = c.ok(c.get("metrics/get-history", q))
        steps += [p["step"] for p in r["metrics"]]
        pages += 1
        token = r.get("next_page_token")
        if not token:
            break
    assert pages == 4 and steps == list(range(100000)), (pages, len(steps))


def test_history_of_deleted_run_and_special_keys(srv, c):
    rid = _run_with_history(c, 5, "a b/c.d-e")
    c.ok(c.post("runs/delete", {"run_id": rid}))
    h = c.ok(c.get("metrics/get-history", {"run_id": rid, "metric_key": "a b/c.d-e"}))
    assert [p["step"] for p in h["metrics"]] == [0, 1, 2, 3, 4]
    # one point per page: five pages, then no token
    seen, token = [], None
    for _ in range(10):
        q = {"run_id": rid, "metric_key": "a b/c.d-e", "max_results": 1}
        if token:
            q["page_token"] = token
        r = c.ok(c.post("metrics/get-history", q))
        seen += [p["step"] for p in r["metrics"]]
        token = r.get("next_page_token")
        if not token:
            break
    assert seen == [0, 1, 2, 3, 4], seen


def test_downsampled_history_keeps_spikes(srv, c):
    """ferry's /api/2.0/ferry/metrics/get-history-downsampled: small histories whole, big ones as
    each bucket's lowest and highest point (the spike and the dip survive), in step order."""
    rid = c.create_run()["info"]["run_id"]
    for start in range(0, 10000, 1000):
        c.log_batch(rid, [{"key": "m", "timestamp": 1000 + i, "step": i,
                           "value": 500.0 if i == 4321 else -7.0 if i == 777 else i % 10}
                          for i in range(start, start + 1000)])
    c.log_batch(rid, [{"key": "m", "value": "NaN", "timestamp": 1, "step": 20000}])
    get = lambda q: c.get("ferry/metrics/get-history-downsampled", q, prefix="/api/2.0/")
    r = c.ok(get({"run_id": rid, "metric_key": "m", "max_points": 200}))
    assert r["total"] == 10000 and r["downsampled"] is True, {k: r[k] for k in ("total",)}
    pts = r["metrics"]
    assert len(pts) <= 200 and len(pts) >= 150, len(pts)
    steps = [p["step"] for p in pts]
    assert steps == sorted(steps) and steps[0] == 0 and steps[-1] == 9999, steps[-5:]
    values = {p["step"]: p["value"] for p in pts}
    assert values.get(4321) == 500.0 and values.get(777) == -7.0, (values.get(4321), values.get(777))
    small = _run_with_history(c, 50, "s")
    r = c.ok(get({"run_id": small, "metric_key": "s"}))
    assert r["total"] == 50 and r["downsampled"] is False and len(r["metrics"]) == 50
    r = c.ok(get({"run_id": small, "metric_key": "absent"}))
    assert r == {"total": 0, "downsampled": False}, r
    for q in ({"run_id": rid, "metric_key": "m", "max_points": 1},
              {"run_id": rid, "metric_key": "m", "max_points": 100001},
              {"run_id": rid, "metric_key": "m", "max_points": "many"},
              {"run_id": rid}, {"metric_key": "m"}, {"run_id": "../x", "metric_key": "m"}):
        expect_error(get(q), 400, "INVALID_PARAMETER_VALUE")
    expect_error(get({"run_id": "a" * 32, "metric_key": "m"}), 404, "RESOURCE_DOES_NOT_EXIST")
