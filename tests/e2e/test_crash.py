# SPDX-License-Identifier: MIT
"""Crash safety: client threads log over HTTP for a bounded time and record
every write the server acknowledged with 200; the server is SIGKILLed at a
random moment; after a restart on the same database every acknowledged write
is there (runs, metric points, params, tags, experiments), and the store
still takes writes. Several rounds on one database."""
import os
import random
import subprocess
import threading
import time

from support.server import CLUSTER, PG_DIR, Server, on_postgres

OWN_SERVER = True
ROUNDS = 3
THREADS = 8
SEED = int(os.environ.get("FERRY_E2E_SEED", "0")) or random.randrange(1, 1 << 30)


class Acked:
    """Writes the server acknowledged, by kind."""

    def __init__(self):
        self.lock = threading.Lock()
        self.points = {}    # (run_id, key) -> {step: value}
        self.params = {}    # (run_id, key) -> value
        self.tags = {}      # (run_id, key) -> value
        self.runs = set()
        self.experiments = {}  # name -> id
        self.count = 0
        self.errors = []

    def add(self, kind, *item):
        with self.lock:
            self.count += 1
            if kind == "point":
                run, key, step, value = item
                self.points.setdefault((run, key), {})[step] = value
            elif kind == "param":
                self.params[(item[0], item[1])] = item[2]
            elif kind == "tag":
                self.tags[(item[0], item[1])] = item[2]
            elif kind == "run":
                self.runs.add(item[0])
            elif kind == "experiment":
                self.experiments[item[0]] = item[1]


def _worker(srv, rid, t, rnd, acked, stop, rng):
    cl = srv.client()
    cl.conn.timeout = 10
    run = rid
    i = 0
    try:
        while not stop.is_set() and i < 100000:
            op = rng.randrange(10)
            if op < 5:
                doc = {"run_id": run, "key": "m%d" % t, "value": i * 0.5, "timestamp": i,
                       "step": i}
                r = cl.post("runs/log-metric", doc)
                done = [("point", run, "m%d" % t, i, i * 0.5)]
            elif op < 8:
                doc = {"run_id": run,
                       "metrics": [{"key": "b%d" % t, "value": i + k, "timestamp": i,
                                    "step": i * 10 + k} for k in range(10)],
                       "params": [{"key": "p%d_%d_%d" % (rnd, t, i), "value": str(i)}],
                       "tags": [{"key": "t%d" % t, "value": "v%d" % i}]}
                r = cl.post("runs/log-batch", doc)
                done = [("point", run, "b%d" % t, i * 10 + k, i + k) for k in range(10)]
                done += [("param", run, "p%d_%d_%d" % (rnd, t, i), str(i)),
                         ("tag", run, "t%d" % t, "v%d" % i)]
            elif op < 9:
                r = cl.post("runs/create", {"experiment_id": "0", "run_name": "r%d-%d-%d" % (
                    rnd, t, i)})
                done = [("run", r.json["run"]["info"]["run_id"])] if r.status == 200 else []
                if r.status == 200:
                    run = r.json["run"]["info"]["run_id"]  # log to the new run from now on
            else:
                name = "crash-%d-%d-%d" % (rnd, t, i)
                r = cl.post("experiments/create", {"name": name})
                done = [("experiment", name, r.json["experiment_id"])] if r.status == 200 \
                    else []
            if r.status == 200:
                for d in done:
                    acked.add(*d)
            elif r.status != 200:
                acked.errors.append(r)
                return
            i += 1
    except OSError:
        return  # the server died under us: this request was never acknowledged
    finally:
        cl.close()


def _torn_batches(c, rid, key, got, rnd):
    """A batch (10 points, a param, a tag) is stored whole or not at all, acknowledged or
    not: SIGKILL must not leave part of one behind."""
    t = int(key[1:])
    by_batch = {}
    for step in got:
        by_batch.setdefault(step // 10, []).append(step)
    params = {p["key"] for p in c.get_run(rid)["data"].get("params", [])}
    torn = []
    for i, steps in sorted(by_batch.items()):
        if len(steps) != 10:
            torn.append("batch %d of %s in %s has %d of its 10 points" % (i, key, rid,
                                                                         len(steps)))
        elif "p%d_%d_%d" % (rnd, t, i) not in params:
            torn.append("batch %d of %s in %s has its points but not its param" % (i, key, rid))
    return torn


def _check(c, acked, rnd):
    lost = []
    for rid in acked.runs:
        r = c.get("runs/get", {"run_id": rid})
        if r.status != 200:
            lost.append("run %s (%r)" % (rid, r))
    for name, eid in acked.experiments.items():
        r = c.get("experiments/get-by-name", {"experiment_name": name})
        if r.status != 200 or r.json["experiment"]["experiment_id"] != eid:
            lost.append("experiment %s (%r)" % (name, r))
    runs = {}
    for (rid, key) in list(acked.params) + list(acked.tags):
        if rid not in runs:
            runs[rid] = c.ok(c.get("runs/get", {"run_id": rid}))["run"]["data"]
    for (rid, key), value in acked.params.items():
        got = {p["key"]: p["value"] for p in runs[rid].get("params", [])}
        if got.get(key) != value:
            lost.append("param %s=%s of %s" % (key, value, rid))
    for (rid, key), value in acked.tags.items():
        got = {p["key"]: p["value"] for p in runs[rid].get("tags", [])}
        # a later write to the same tag may have landed unacknowledged: compare the step
        if key not in got or int(got[key][1:]) < int(value[1:]):
            lost.append("tag %s=%s of %s (have %r)" % (key, value, rid, got.get(key)))
    for (rid, key), points in acked.points.items():
        h = c.ok(c.get("metrics/get-history", {"run_id": rid, "metric_key": key}))
        got = {p["step"]: p["value"] for p in h.get("metrics", [])}
        missing = [s for s, v in points.items() if got.get(s) != v]
        if missing:
            lost.append("%d points of %s in %s (steps %s...)" % (len(missing), key, rid,
                                                                 sorted(missing)[:5]))
        if key.startswith("b"):
            lost += _torn_batches(c, rid, key, got, rnd)
    assert not lost, "round %d (seed %d): acknowledged writes lost after SIGKILL: %s" % (
        rnd, SEED, "; ".join(lost[:10]))


def _round(ferry, db, rnd, rng):
    srv = Server(ferry, store=db, extra=["-q"]).start()
    c = srv.client()
    rid = c.create_run(run_name="crash-round-%d" % rnd)["info"]["run_id"]
    acked, stop = Acked(), threading.Event()
    threads = [threading.Thread(target=_worker, args=(
        srv, rid, t, rnd, acked, stop, random.Random(rng.random()))) for t in range(THREADS)]
    for t in threads:
        t.start()
    time.sleep(rng.uniform(0.3, 2.0))
    srv.kill()
    stop.set()
    for t in threads:
        t.join(30)
    c.close()
    assert not any(t.is_alive() for t in threads), "a client thread hung after the kill"
    assert not acked.errors, "round %d: writes failed before the kill: %r" % (
        rnd, acked.errors[:3])
    assert acked.count > 20, "round %d: only %d writes acknowledged before the kill" % (
        rnd, acked.count)
    if on_postgres():  # and the database restarts as after a crash of its own
        subprocess.run([CLUSTER, "restart", PG_DIR, "immediate"], check=True, timeout=120)
    srv = Server(ferry, store=db).start()
    c = srv.client()
    try:
        _check(c, acked, rnd)
        # the store takes writes again and the run is usable
        c.ok(c.post("runs/log-metric", {"run_id": rid, "key": "after", "value": 1,
                                        "timestamp": 1, "step": rnd}))
        c.ok(c.post("runs/search", {"experiment_ids": ["0"], "filter": "metrics.after >= 0"}))
    finally:
        c.close()
        rc = srv.stop()
    assert rc == 0, "exit %d after restart\n%s" % (rc, srv.stderr_tail())
    return acked.count


def test_acknowledged_writes_survive_sigkill(ferry):
    rng = random.Random(SEED)
    db = Server(ferry).store  # one database across the rounds
    total = sum(_round(ferry, db, rnd, rng) for rnd in range(ROUNDS))
    assert total > 100, total
