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
    assert r == {"metrics": []}


def test_bulk_interval(srv, c):
    a = _run_with_history(c, 1000, "acc")
    b = _run_with_history(c, 500, "acc")
    r = c.ok(c.get("metrics/get-history-bulk-interval",
                   {"run_ids": [a, b], "metric_key": "acc", "max_results": 10}))
    pts = r["metrics"]
    by_run = {}
    for p in pts:
        by_run.setdefault(p["run_id"], []).append(p["step"])
    assert len(by_run[a]) == 10 and by_run[a][0] == 0 and by_run[a][-1] == 999
    assert len(by_run[b]) == 10 and by_run[b][-1] == 499
    r = c.ok(c.get("metrics/get-history-bulk-interval",
                   {"run_ids": a, "metric_key": "acc", "start_step": 100, "end_step": 199,
                    "max_results": 1000}))
    assert [p["step"] for p in r["metrics"]] == list(range(100, 200))
    expect_error(c.get("metrics/get-history-bulk-interval",
                       {"run_ids": [a], "metric_key": "acc", "max_results": 1001}), 400,
                 "INVALID_PARAMETER_VALUE")
    expect_error(c.get("metrics/get-history-bulk-interval",
                       {"run_ids": [a], "metric_key": "acc", "start_step": 5}), 400,
                 "INVALID_PARAMETER_VALUE")
    expect_error(c.get("metrics/get-history-bulk-interval",
                       {"run_ids": [a] * 101, "metric_key": "acc"}), 400,
                 "INVALID_PARAMETER_VALUE")
    expect_error(c.get("metrics/get-history-bulk-interval",
                       {"run_ids": [MISSING], "metric_key": "acc"}), 404,
                 "RESOURCE_DOES_NOT_EXIST")


def test_long_query_string_is_accepted(srv, c):
    a = _run_with_history(c, 20, "x")
    # 100 run ids (the limit) plus padding: a request line of ~15 KB, as MLflow's UI sends
    q = {"run_ids": [a] * 100, "metric_key": "x", "max_results": 5,
         "pad": "p" * 11000}
    r = c.get("metrics/get-history-bulk-interval", q)
    assert r.status == 200, r
    assert len(r.json["metrics"]) == 500
