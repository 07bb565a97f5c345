# SPDX-License-Identifier: MIT
"""HTTP-level behaviour: JSON errors everywhere, keep-alive, concurrency."""
import threading

from support.server import API, expect_error


def test_health_and_version(srv, c):
    r = c.raw("GET", "/health")
    assert r.status == 200 and r.body == b"OK"
    r = c.raw("GET", "/version")
    assert r.status == 200 and r.body.count(b".") == 2


def test_unknown_path_and_wrong_method_are_json(srv, c):
    expect_error(c.raw("GET", API + "runs/nope"), 404, "ENDPOINT_NOT_FOUND")
    expect_error(c.raw("GET", "/no/such/thing"), 404, "ENDPOINT_NOT_FOUND")
    expect_error(c.raw("GET", API + "runs/create"), 405, "BAD_REQUEST")
    expect_error(c.raw("DELETE", API + "runs/get?run_id=x"), 405, "BAD_REQUEST")
    expect_error(c.raw("PUT", API + "experiments/create", "{}"), 405, "BAD_REQUEST")


def test_malformed_bodies(srv, c):
    before = c.ok(c.post("experiments/search", {"view_type": "ALL"}))
    expect_error(c.raw("POST", API + "experiments/create", "{\"name\": "), 400, "BAD_REQUEST",
                 "malformed JSON")
    expect_error(c.raw("POST", API + "experiments/create", "[1, 2]"), 400, "BAD_REQUEST",
                 "JSON object")
    expect_error(c.raw("POST", API + "experiments/create", b"\xff\xfe{}"), 400, "BAD_REQUEST")
    expect_error(c.raw("POST", API + "runs/log-metric", "{\"value\": NaN}"), 400, "BAD_REQUEST")
    assert c.ok(c.post("experiments/search", {"view_type": "ALL"})) == before


def test_keep_alive_reuses_one_connection(srv, c):
    rid = c.create_run()["info"]["run_id"]
    for i in range(200):
        c.ok(c.post("runs/log-metric", {"run_id": rid, "key": "k", "value": i,
                                        "timestamp": i, "step": i}))
        if i % 20 == 0:
            c.ok(c.get("runs/get", {"run_id": rid}))
    assert c.connects == 1, "the server closed keep-alive connections (%d connects)" % c.connects


def test_64_concurrent_clients(srv, c):
    rid = c.create_run()["info"]["run_id"]
    errors = []

    def worker(t):
        cl = srv.client()
        try:
            for i in range(40):
                r = cl.post("runs/log-metric", {"run_id": rid, "key": "t%d" % t, "value": i,
                                                "timestamp": i, "step": i})
                if r.status != 200:
                    errors.append(r)
                    return
        finally:
            cl.close()

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(64)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:3]
    for t in range(64):
        h = c.ok(c.get("metrics/get-history", {"run_id": rid, "metric_key": "t%d" % t}))
        assert len(h["metrics"]) == 40, (t, len(h["metrics"]))
