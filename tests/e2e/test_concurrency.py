# SPDX-License-Identifier: MIT
"""Concurrent clients against one server. The server commits concurrent
writes together (group commit), so these check that each request still stands
alone: a rejected request shares a transaction with good ones yet stores
nothing and takes nothing down with it; a batch becomes visible all at once;
readers running beside writers always get a clean answer."""
import threading

from support.server import expect_error

CLIENTS = 48
ROUNDS = 24


def _run_threads(n, target):
    errors = []

    def wrap(t):
        try:
            target(t)
        except Exception as e:  # reported below, with the thread number
            errors.append("client %d: %s: %s" % (t, type(e).__name__, e))

    threads = [threading.Thread(target=wrap, args=(t,)) for t in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "a client is still waiting after 120 s"
    assert not errors, "\n".join(errors[:5])


def _metric(key, value, step):
    return {"key": key, "value": value, "timestamp": 1000 + step, "step": step}


def test_rejected_writes_do_not_disturb_concurrent_good_ones(srv, c):
    eid = c.create_experiment("concurrency")
    runs = [c.create_run(eid, run_name="c%d" % t)["info"]["run_id"] for t in range(CLIENTS)]
    dead = c.create_run(eid, run_name="dead")["info"]["run_id"]
    c.ok(c.post("runs/delete", {"run_id": dead}))
    model = [{"points": {}, "params": {}, "tags": {}} for _ in range(CLIENTS)]

    def client(t):
        cl, rid, m = srv.client(), runs[t], model[t]
        try:
            for i in range(ROUNDS):
                good = {"run_id": rid,
                        "metrics": [_metric("loss", t + i + k / 10, i * 3 + k) for k in range(3)],
                        "params": [{"key": "p%d" % i, "value": "v%d" % i}],
                        "tags": [{"key": "last", "value": str(i)}]}
                cl.ok(cl.post("runs/log-batch", good))
                for k in range(3):
                    m["points"][i * 3 + k] = t + i + k / 10
                m["params"]["p%d" % i] = "v%d" % i
                m["tags"]["last"] = str(i)
                bad = i % 4
                if bad == 0:  # a changed param next to new metrics: all of it refused
                    r = cl.post("runs/log-batch", {
                        "run_id": rid, "metrics": [_metric("loss", -1, 10000 + i)],
                        "params": [{"key": "p%d" % i, "value": "changed"}]})
                    expect_error(r, 400, "INVALID_PARAMETER_VALUE")
                elif bad == 1:  # over the limit
                    r = cl.post("runs/log-batch", {
                        "run_id": rid, "metrics": [_metric("loss", -1, 20000 + k)
                                                   for k in range(1001)]})
                    expect_error(r, 400, "INVALID_PARAMETER_VALUE")
                elif bad == 2:  # one bad metric among good ones
                    r = cl.post("runs/log-batch", {
                        "run_id": rid, "metrics": [_metric("loss", -1, 30000 + i),
                                                   {"key": "loss", "value": "x",
                                                    "timestamp": 1, "step": 1}]})
                    expect_error(r, 400, "INVALID_PARAMETER_VALUE")
                else:  # a deleted run
                    r = cl.post("runs/log-metric", dict(_metric("loss", -1, i), run_id=dead))
                    expect_error(r, 400, "INVALID_PARAMETER_VALUE")
        finally:
            cl.close()

    _run_threads(CLIENTS, client)
    for t, rid in enumerate(runs):
        run = c.get_run(rid)
        params = {p["key"]: p["value"] for p in run["data"].get("params", [])}
        tags = {p["key"]: p["value"] for p in run["data"].get("tags", [])}
        assert params == model[t]["params"], (t, params)
        assert tags.get("last") == model[t]["tags"]["last"], (t, tags)
        h = c.ok(c.get("metrics/get-history", {"run_id": rid, "metric_key": "loss"}))
        got = {p["step"]: p["value"] for p in h.get("metrics", [])}
        assert got == model[t]["points"], "client %d: history differs: extra %s, missing %s" % (
            t, sorted(set(got) - set(model[t]["points"]))[:5],
            sorted(set(model[t]["points"]) - set(got))[:5])
    dead_run = c.get_run(dead)
    assert "metrics" not in dead_run["data"], dead_run["data"]


def test_batches_become_visible_all_at_once(srv, c):
    """Readers beside writers: a 10-point batch is seen whole or not at all, histories only
    grow, searches and reads never fail."""
    writers, readers, batches = 16, 16, 30
    runs = [c.create_run(run_name="vis%d" % t)["info"]["run_id"] for t in range(writers)]
    done = threading.Event()
    finished = []

    def writer(t):
        cl = srv.client()
        try:
            for i in range(batches):
                cl.ok(cl.post("runs/log-batch", {"run_id": runs[t], "metrics": [
                    _metric("acc", i, i * 10 + k) for k in range(10)]}))
        finally:
            cl.close()
            finished.append(t)
            if len(finished) == writers:
                done.set()

    def reader(t):
        cl = srv.client()
        seen = {}
        k = t
        try:
            while not done.is_set():
                k += 1
                rid = runs[k % writers]
                h = cl.ok(cl.get("metrics/get-history", {"run_id": rid, "metric_key": "acc"}))
                n = len(h.get("metrics", []))
                assert n % 10 == 0, "saw %d points of %s: a batch was half visible" % (n, rid)
                assert n >= seen.get(rid, 0), "history of %s shrank %d -> %d" % (
                    rid, seen.get(rid, 0), n)
                seen[rid] = n
                r = cl.ok(cl.post("runs/search", {"experiment_ids": ["0"],
                                                  "filter": "metrics.acc >= 0",
                                                  "order_by": ["metrics.acc DESC"],
                                                  "max_results": 5}))
                assert len(r.get("runs", [])) <= 5
                run = cl.get_run(rid)
                if "metrics" in run["data"]:
                    last = run["data"]["metrics"][0]
                    assert last["step"] % 10 == 9, "latest point %r from a half batch" % last
        finally:
            cl.close()

    _run_threads(writers + readers, lambda t: writer(t) if t < writers else reader(t - writers))
    for rid in runs:
        assert len(c.history(rid, "acc")) == batches * 10
