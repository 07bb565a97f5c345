# SPDX-License-Identifier: MIT
"""Crash safety: clients log over HTTP, the server is SIGKILLed at a random
moment, and after a restart every write that got a 200 is there."""
import random
import threading
import time

from support.server import Server

OWN_SERVER = True
ROUNDS = 3
THREADS = 8


def _round(ferry, db, rnd):
    srv = Server(ferry, db=db).start()
    c = srv.client()
    rid = c.create_run()["info"]["run_id"]
    acked = []
    lock = threading.Lock()
    stop = threading.Event()

    def worker(t):
        cl = srv.client()
        i = 0
        while not stop.is_set() and i < 20000:
            try:
                if i % 5 == 4:  # batches as well as single points
                    r = cl.post("runs/log-batch", {"run_id": rid, "metrics": [
                        {"key": "b%d" % t, "value": i, "timestamp": i, "step": i * 10 + k}
                        for k in range(10)]})
                    key = ("b%d" % t, [i * 10 + k for k in range(10)])
                else:
                    r = cl.post("runs/log-metric", {"run_id": rid, "key": "m%d" % t,
                                                    "value": i, "timestamp": i, "step": i})
                    key = ("m%d" % t, [i])
            except OSError:
                return
            if r.status == 200:
                with lock:
                    acked.append(key)
            i += 1

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    time.sleep(random.uniform(0.5, 2.0))
    srv.kill()
    stop.set()
    for t in threads:
        t.join(30)
    c.close()
    assert acked, "round %d: nothing was acknowledged before the kill" % rnd
    srv = Server(ferry, db=db).start()
    c = srv.client()
    want = {}
    for key, steps in acked:
        want.setdefault(key, set()).update(steps)
    for key, steps in want.items():
        h = c.ok(c.get("metrics/get-history", {"run_id": rid, "metric_key": key}))
        got = {p["step"] for p in h.get("metrics", [])}
        missing = steps - got
        assert not missing, "round %d: %d acknowledged points of %s lost" % (
            rnd, len(missing), key)
    c.close()
    assert srv.stop() == 0
    return sum(len(s) for s in want.values())


def test_acknowledged_writes_survive_sigkill(ferry):
    db = Server(ferry).db  # one database across the rounds
    total = 0
    for rnd in range(ROUNDS):
        total += _round(ferry, db, rnd)
    assert total > 100, total
