#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The REST workloads of bench/mlflow_pg_bench.sh, driven at two servers.

    /usr/bin/python3 bench/mlflow_pg_driver.py --mlflow URL --ferry URL [--seconds S]
        [--search-runs N] [--create-seconds S] [--history-steps N] [--models N]

Standard library only. The same code sends the same requests to both servers:
each figure is measured on stock MLflow first, then on ferry, one after the other
(never both at once). Every loop is bounded by a count and by a time ("as many
requests as fit in --seconds"), so a slow server makes the run shorter, not
endless. The data that MLflow could write within --create-seconds (runs for the
search, steps of the history, registered models) is written to ferry too, the
same rows, so both searches read the same data.

The client is Python: one thread per connection, spread over a few processes
(the GIL). Its own CPU cost per request caps what it can measure, far below
what ferry's C benchmark (tracking_bench) reaches, so ferry's throughput
figures here are a floor, and ferry/MLflow ratios are understated, not inflated.

Prints a table (figure, unit, MLflow, ferry, ferry/MLflow oriented so that > 1
means ferry is better, whether >= 20x) and one final JSON line.
"""
import argparse
import http.client
import json
import multiprocessing
import os
import statistics
import sys
import threading
import time
import urllib.parse

TARGET = 20.0


def log(msg):
    sys.stderr.write("# %s %s\n" % (time.strftime("%H:%M:%S", time.gmtime()), msg))
    sys.stderr.flush()


class HTTPFailure(Exception):
    pass


class Client:
    """One HTTP/1.1 connection, kept alive when the server allows it (gunicorn's
    sync workers, MLflow's default, close it after each response: http.client
    then opens a new one for the next request)."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=300)

    def call(self, method, path, body=None, params=None):
        if params:
            path = path + "?" + urllib.parse.urlencode(params)
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"} if data is not None else {}
        for attempt in (0, 1):
            try:
                self.conn.request(method, "/api/2.0/mlflow/" + path, body=data, headers=headers)
                r = self.conn.getresponse()
                payload = r.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest, http.client.ResponseNotReady):
                # the server closed an idle keep-alive connection: once more on a new one
                self.conn.close()
                if attempt:
                    raise
        if r.status != 200:
            raise HTTPFailure("%s %s: HTTP %d %s" % (method, path, r.status, payload[:300]))
        return payload

    def json(self, method, path, body=None, params=None):
        p = self.call(method, path, body, params)
        return json.loads(p) if p else {}

    def close(self):
        self.conn.close()


def now_ms():
    return int(time.time() * 1000)


# ---------------------------------------------------------------- parallel loops

def _threads(url, items, fn, deadline, per_thread_max):
    """One thread and one connection per item; fn(client, item, i) is called
    for i = 0.. until the deadline or per_thread_max. Returns (requests, errors,
    end time, first error, per-item results)."""
    counts = [0] * len(items)
    errors = [0] * len(items)
    first = [None]
    results = [[] for _ in items]

    def body(k):
        c = Client(url)
        i = 0
        while i < per_thread_max and time.time() < deadline:
            try:
                r = fn(c, items[k], i)
                if r is not None:
                    results[k].append(r)
                counts[k] += 1
            except StopIteration:  # fn's list of items is done
                break
            except Exception as e:  # noqa: BLE001 (counted and reported)
                errors[k] += 1
                if first[0] is None:
                    first[0] = repr(e)
            i += 1
        c.close()

    ts = [threading.Thread(target=body, args=(k,)) for k in range(len(items))]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(counts), sum(errors), time.time(), first[0], results


def _proc(args):
    url, items, fn, deadline, per_thread_max = args
    return _threads(url, items, fn, deadline, per_thread_max)


def parallel(url, items, fn, seconds, total_max):
    """len(items) connections, each running fn in a loop; spread over up to 4
    processes. Returns (requests, errors, elapsed s, first error, results)."""
    n = len(items)
    procs = min(n, 4)
    per = max(1, -(-total_max // n))
    t0 = time.time()
    deadline = t0 + seconds
    if procs == 1:
        outs = [_threads(url, items, fn, deadline, per)]
    else:
        chunks = [items[p::procs] for p in range(procs)]
        with multiprocessing.get_context("fork").Pool(procs) as pool:
            outs = pool.map(_proc, [(url, ch, fn, deadline, per) for ch in chunks])
    reqs = sum(o[0] for o in outs)
    errs = sum(o[1] for o in outs)
    end = max(o[2] for o in outs)
    first = next((o[3] for o in outs if o[3]), None)
    results = [r for o in outs for lst in o[4] for r in lst]
    return reqs, errs, end - t0, first, results


# ---------------------------------------------------------------- workloads
# Module-level functions (they cross the fork of the pool by reference).

def fn_log_metric(c, run_id, i):
    c.call("POST", "runs/log-metric",
           {"run_id": run_id, "key": "loss", "value": 1.0 / (i + 1), "timestamp": now_ms(), "step": i})


def fn_log_batch(c, run_id, i):
    ts = now_ms()
    c.call("POST", "runs/log-batch", {"run_id": run_id, "metrics": [
        {"key": "b", "value": float(j), "timestamp": ts, "step": i * 1000 + j} for j in range(1000)]})


LRS = ["0.01", "0.1", "0.001"]


def search_run_body(idx):
    """The 3 params, 3 metrics and 2 tags of search run number idx (deterministic)."""
    ts = 1700000000000 + idx
    return {
        "params": [{"key": "lr", "value": LRS[idx % 3]},
                   {"key": "batch", "value": str(16 << (idx % 4))},
                   {"key": "opt", "value": "adam" if idx % 2 else "sgd"}],
        "metrics": [{"key": "acc", "value": ((idx * 7919) % 10007) / 10007.0, "timestamp": ts, "step": 0},
                    {"key": "loss", "value": ((idx * 104729) % 10007) / 10007.0, "timestamp": ts, "step": 0},
                    {"key": "f1", "value": ((idx * 1299709) % 10007) / 10007.0, "timestamp": ts, "step": 0}],
        "tags": [{"key": "team", "value": "t%d" % (idx % 7)}, {"key": "idx", "value": str(idx)}],
    }


def fn_create_search_run(c, item, i):
    exp_id, indices = item
    if i >= len(indices):
        raise StopIteration
    idx = indices[i]
    r = c.json("POST", "runs/create", {"experiment_id": exp_id, "run_name": "s%05d" % idx,
                                       "start_time": 1700000000000 + idx})
    body = search_run_body(idx)
    body["run_id"] = r["run"]["info"]["run_id"]
    c.call("POST", "runs/log-batch", body)
    return idx


def fn_create_model(c, item, i):
    prefix, indices = item
    if i >= len(indices):
        raise StopIteration
    idx = indices[i]
    c.call("POST", "registered-models/create", {
        "name": "%s-%05d" % (prefix, idx), "description": "bench model %d" % idx,
        "tags": [{"key": "team", "value": "t%d" % (idx % 7)}]})
    return idx


def fn_warm(c, item, i):
    exp_id, run_id = item
    fn_log_metric(c, run_id, i)
    c.call("POST", "runs/search", {"experiment_ids": [exp_id], "max_results": 10})
    c.call("GET", "registered-models/search", params={"max_results": 10})


def create_experiment(c, name):
    return c.json("POST", "experiments/create", {"name": name})["experiment_id"]


def create_runs(c, exp_id, n):
    return [c.json("POST", "runs/create", {"experiment_id": exp_id, "start_time": now_ms()})
            ["run"]["info"]["run_id"] for _ in range(n)]


def timed(c, reps, seconds, fn):
    """Median and p90 (ms) of fn(c) over up to reps calls within seconds (at least 3)."""
    ts = []
    t_end = time.time() + seconds
    fn(c)  # warm-up, not counted
    while len(ts) < reps and (len(ts) < 3 or time.time() < t_end):
        t0 = time.perf_counter()
        fn(c)
        ts.append((time.perf_counter() - t0) * 1000.0)
    ts.sort()
    return statistics.median(ts), ts[min(len(ts) - 1, int(len(ts) * 0.9))], len(ts)


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mlflow", required=True, help="URL of stock MLflow")
    ap.add_argument("--ferry", required=True, help="URL of ferry")
    ap.add_argument("--seconds", type=float, default=10.0, help="per throughput phase and server")
    ap.add_argument("--search-runs", type=int, default=5000)
    ap.add_argument("--create-seconds", type=float, default=330.0,
                    help="time MLflow gets to create the search runs (ferry creates the same)")
    ap.add_argument("--history-steps", type=int, default=100000)
    ap.add_argument("--history-seconds", type=float, default=90.0,
                    help="time MLflow gets to log the history (1000 steps per log-batch)")
    ap.add_argument("--models", type=int, default=1000)
    ap.add_argument("--models-seconds", type=float, default=60.0)
    ap.add_argument("--reps", type=int, default=50, help="latency repetitions (or --seconds)")
    a = ap.parse_args()

    servers = [("MLflow", a.mlflow), ("ferry", a.ferry)]
    tag = "%d" % int(time.time())
    figs = []  # (name, unit, higher_is_better, {server: value}, note)
    checks = []

    def fig(name, unit, hib, vals, note=""):
        figs.append((name, unit, hib, vals, note))

    def check(name, ok, detail):
        checks.append({"name": name, "ok": bool(ok), "detail": detail})
        if not ok:
            log("CHECK FAILED: %s: %s" % (name, detail))

    clients = {s: Client(u) for s, u in servers}
    exps = {s: create_experiment(clients[s], "bench-%s-%s" % (s.lower(), tag)) for s, _ in servers}

    # ---- warm-up, not measured: each of MLflow's gunicorn workers opens its
    # store (SQLAlchemy engine, schema check) at its first request, seconds
    for s, url in servers:
        runs = create_runs(clients[s], exps[s], 16)
        reqs, errs, el, first, _ = parallel(url, [(exps[s], r) for r in runs], fn_warm, 5.0, 16 * 20)
        log("warm-up: %s: %d rounds in %.1f s, %d errors" % (s, reqs, el, errs))
        check("warm-up, %s: no errors" % s, errs == 0, first or "%d rounds" % reqs)

    # ---- log-metric, 1 / 16 / 64 connections
    for conns in (1, 16, 64):
        name = "log-metric, %d connection%s" % (conns, "" if conns == 1 else "s")
        vals = {}
        for s, url in servers:
            runs = create_runs(clients[s], exps[s], conns)
            reqs, errs, el, first, _ = parallel(url, runs, fn_log_metric, a.seconds, 200000)
            vals[s] = reqs / el
            log("%s: %s: %d requests in %.1f s, %d errors" % (name, s, reqs, el, errs))
            check("%s, %s: no errors" % (name, s), errs == 0, first or "%d requests" % reqs)
        fig(name, "req/s", True, vals)

    # ---- log-batch x1000, 1 and 4 clients
    for conns in (1, 4):
        name = "log-batch x1000, %d client%s" % (conns, "" if conns == 1 else "s")
        vals = {}
        for s, url in servers:
            runs = create_runs(clients[s], exps[s], conns)
            reqs, errs, el, first, _ = parallel(url, runs, fn_log_batch, a.seconds, 100000)
            vals[s] = reqs * 1000 / el
            log("%s: %s: %d requests in %.1f s, %d errors" % (name, s, reqs, el, errs))
            check("%s, %s: no errors" % (name, s), errs == 0, first or "%d requests" % reqs)
        fig(name, "metrics/s", True, vals)

    # ---- runs/search: the runs MLflow creates within --create-seconds, the same on ferry
    sexp = {s: create_experiment(clients[s], "bench-search-%s-%s" % (s.lower(), tag)) for s, _ in servers}
    W = 16
    created = None
    for s, url in servers:
        wanted = list(range(a.search_runs)) if created is None else created
        items = [(sexp[s], wanted[k::W]) for k in range(W)]
        secs = a.create_seconds if created is None else 3600.0
        reqs, errs, el, first, res = parallel(url, items, fn_create_search_run, secs, a.search_runs)
        done = sorted(res)
        log("search data: %s: %d runs created in %.1f s (%.0f runs/s)" % (s, len(done), el, len(done) / el))
        if created is None:
            created = done
        else:
            check("search data: ferry has MLflow's runs", done == created,
                  "%d vs %d runs" % (len(done), len(created)))
        check("search data, %s: no errors" % s, errs == 0, first or "%d runs" % len(done))
    nruns = len(created)
    sbody = {"filter": "metrics.acc > 0.5 and params.lr = '0.01'", "order_by": ["metrics.acc DESC"],
             "max_results": 100}
    vals, p90s, answers = {}, {}, {}
    for s, _ in servers:
        body = dict(sbody, experiment_ids=[sexp[s]])
        r = clients[s].json("POST", "runs/search", body)
        answers[s] = [(run["data"]["tags"] and {t["key"]: t["value"] for t in run["data"]["tags"]}.get("idx"))
                      for run in r.get("runs", [])]
        med, p90, n = timed(clients[s], a.reps, a.seconds, lambda c: c.call("POST", "runs/search", body))
        vals[s], p90s[s] = med, p90
        log("runs/search over %d runs: %s: median %.1f ms, p90 %.1f ms (%d reps), %d runs returned"
            % (nruns, s, med, p90, n, len(answers[s])))
    check("runs/search: same runs in the same order on both", answers["MLflow"] == answers["ferry"]
          and len(answers["ferry"]) > 0, "%d and %d runs" % (len(answers["MLflow"]), len(answers["ferry"])))
    fig("runs/search over %s runs, median" % format(nruns, ","), "ms", False, vals)
    fig("runs/search over %s runs, p90" % format(nruns, ","), "ms", False, p90s)

    # ---- get-history: as many 1000-step log-batches as MLflow logs in --history-seconds
    steps = None
    hist = {}
    for s, _ in servers:
        c = clients[s]
        hist[s] = create_runs(c, exps[s], 1)[0]
        want = a.history_steps if steps is None else steps
        t_end = time.time() + (a.history_seconds if steps is None else 3600.0)
        t0 = time.time()
        done = 0
        while done < want and time.time() < t_end:
            fn_log_batch(c, hist[s], done // 1000)
            done += 1000
        log("history data: %s: %d steps in %.1f s" % (s, done, time.time() - t0))
        if steps is None:
            steps = done
    vals, sizes = {}, {}
    params = {s: {"run_id": hist[s], "metric_key": "b"} for s, _ in servers}
    for s, _ in servers:
        p = clients[s].call("GET", "metrics/get-history", params=params[s])
        got = len(json.loads(p).get("metrics", []))
        check("get-history, %s: %d points" % (s, steps), got == steps, "%d points" % got)
        sizes[s] = len(p)
        med, p90, n = timed(clients[s], min(a.reps, 20), a.seconds,
                            lambda c, s=s: c.call("GET", "metrics/get-history", params=params[s]))
        vals[s] = med
        log("get-history %d steps: %s: median %.1f ms (%d reps), %d bytes" % (steps, s, med, n, len(p)))
    fig("get-history, %s steps, median" % format(steps, ","), "ms", False, vals,
        "response %s / %s bytes" % (format(sizes["MLflow"], ","), format(sizes["ferry"], ",")))

    # ---- registered models: as many as MLflow creates in --models-seconds (16 clients)
    prefix = "bench-model-%s" % tag
    mcreated = None
    for s, url in servers:
        wanted = list(range(a.models)) if mcreated is None else mcreated
        items = [(prefix, wanted[k::W]) for k in range(W)]
        secs = a.models_seconds if mcreated is None else 3600.0
        reqs, errs, el, first, res = parallel(url, items, fn_create_model, secs, a.models)
        done = sorted(res)
        log("models: %s: %d created in %.1f s" % (s, len(done), el))
        if mcreated is None:
            mcreated = done
        check("models, %s: no errors" % s, errs == 0, first or "%d models" % len(done))
    nmod = len(mcreated)
    queries = [
        ("registered-models/search, first 100 of %s" % format(nmod, ","),
         {"max_results": 100, "filter": "name LIKE '%s-%%'" % prefix}),
        ("registered-models/search, name LIKE + tag",
         {"max_results": 100, "filter": "name LIKE '%s-000%%' and tags.team = 't3'" % prefix}),
    ]
    for qname, qp in queries:
        vals, counts = {}, {}
        for s, _ in servers:
            r = clients[s].json("GET", "registered-models/search", params=qp)
            counts[s] = [m["name"] for m in r.get("registered_models", [])]
            med, p90, n = timed(clients[s], a.reps, a.seconds,
                                lambda c: c.call("GET", "registered-models/search", params=qp))
            vals[s] = med
            log("%s: %s: median %.1f ms (%d reps), %d models" % (qname, s, med, n, len(counts[s])))
        check("%s: same models on both" % qname, counts["MLflow"] == counts["ferry"] and counts["ferry"],
              "%d and %d models" % (len(counts["MLflow"]), len(counts["ferry"])))
        fig(qname + ", median", "ms", False, vals)

    # ---- the table
    def fmt(v):
        return "%.0f" % v if abs(v) >= 1000 else "%.1f" % v if abs(v) >= 10 else "%.2f" % v

    print("\n| figure | unit | MLflow | ferry | ferry/MLflow | >= %gx |" % TARGET)
    print("|---|---|---:|---:|---:|---|")
    out = []
    for name, unit, hib, vals, note in figs:
        m, f = vals.get("MLflow"), vals.get("ferry")
        r = (f / m if hib else m / f) if m and f else None
        print("| %s | %s | %s | %s | %s | %s |" % (
            name + (" (%s)" % note if note else ""), unit, fmt(m), fmt(f),
            "%.1fx" % r if r is not None else "n/a",
            "n/a" if r is None else "yes" if r >= TARGET else "NO"))
        out.append({"name": name, "unit": unit, "mlflow": m, "ferry": f, "ratio": r,
                    "ok": r is not None and r >= TARGET})
    bad = [c for c in checks if not c["ok"]]
    print("\nchecks: %s" % ("all ok (%d)" % len(checks) if not bad else
                           "FAILED:\n  " + "\n  ".join("%s: %s" % (c["name"], c["detail"]) for c in bad)))
    print("ratios: > 1 means ferry is better (throughput ferry/MLflow, latency MLflow/ferry)")
    print(json.dumps({"bench": "ferry-vs-mlflow-pg", "figures": out, "checks": checks,
                      "search_runs": nruns, "history_steps": steps, "models": nmod,
                      "seconds": a.seconds, "ok": not bad}))
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
