# SPDX-License-Identifier: MIT
"""Replicas: three `ferry server` processes on one PostgreSQL database and one
artifact destination, behind HAProxy (round robin, health checks on /health).
Hundreds of client threads go through the balancer at once, creating runs,
logging batches, registering versions of a few shared models, moving aliases
and transitioning stages, while one replica is SIGKILLed and restarted on its
port. Then: every write acknowledged with 200 is there (runs, points, params,
versions with the source that was sent), run ids are unique, each model's
versions are numbered 1..N with no gap or duplicate, at most one version of a
model is in Production (every move there archives the others), every replica
answers every read the same, a page token from one replica works on
another, and an artifact written through one is read through the others. A request in flight when its replica dies fails (connection error,
502, 503): the client counts it as not acknowledged; such a write may still
have committed, which the checks allow (it must not leave a gap).

Also: a lease taken through one replica is held, as seen from the others.

Runs in the PostgreSQL pass of the suite (it needs the cluster) and needs
HAProxy (/usr/sbin/haproxy, scripts/install-deps). About 60 s sanitized on 2
cores."""
import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from support.server import CREATED_DIRS, Client, Server, expect_error, pg_database

OWN_SERVER = True
NEEDS_POSTGRES = True

HAPROXY = shutil.which("haproxy") or "/usr/sbin/haproxy"
REPLICAS = 3
CLIENTS = 200          # client threads through the balancer
OPS = 40               # operations per client at most...
LOAD_SECONDS = 24.0    # ...and for at most this long
KILL_AT = 0.35         # the fraction of the load time when replica 1 dies
DOWN_SECONDS = 1.5     # how long it stays dead
MODELS = ["replica-m%d" % i for i in range(4)]
ALIASES = ("champion", "challenger")
TRANSIENT = (502, 503, 504)  # the balancer's or a store's "not done, try again"
SEED = int(os.environ.get("FERRY_E2E_SEED", "0")) or random.randrange(1, 1 << 30)


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Balancer:
    """HAProxy in the foreground (-db) on a free port, round robin over the replicas,
    health checks on GET /health every 300 ms (a killed replica is out after three
    refused checks; a slow answer, up to 3 s, still counts as alive: a loaded sanitized
    replica is not a dead one)."""

    def __init__(self, ports):
        self.dir = tempfile.mkdtemp(prefix="ferry-e2e-haproxy-")
        CREATED_DIRS.append(self.dir)
        self.port = _free_port()
        self.cfg = os.path.join(self.dir, "haproxy.cfg")
        servers = "".join("    server r%d 127.0.0.1:%d check\n" % (i, p)
                          for i, p in enumerate(ports))
        # retries/redispatch retry only a connection that could not be opened (retry-on
        # conn-failure: the request was never sent), so the balancer never sends a
        # non-idempotent request twice.
        with open(self.cfg, "w") as f:
            f.write("""global
    maxconn 4000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout queue 30s
    timeout check 3s
    retries 3
    retry-on conn-failure
    option redispatch
frontend replicas
    bind 127.0.0.1:%d
    default_backend ferry
backend ferry
    balance roundrobin
    option httpchk
    http-check send meth GET uri /health ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect status 200
    default-server inter 300ms fall 3 rise 1 maxconn 100
%s""" % (self.port, servers))
        self.log = open(os.path.join(self.dir, "haproxy.log"), "wb")
        self.proc = subprocess.Popen([HAPROXY, "-db", "-f", self.cfg], stdout=self.log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 15
        while time.time() < deadline:
            assert self.proc.poll() is None, "haproxy exited: %s" % self.tail()
            try:
                c = Client(self.port, timeout=2)
                ok = c.raw("GET", "/health").status == 200
                c.close()
                if ok:
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError("haproxy did not answer /health: %s" % self.tail())

    def events(self):
        """What the balancer said about its servers (DOWN, UP), in order."""
        self.log.flush()
        with open(os.path.join(self.dir, "haproxy.log"), "rb") as f:
            return [ln.split(b"Server ferry/", 1)[1].split()[0].decode() + (
                " DOWN" if b" is DOWN" in ln else " UP")
                for ln in f.read().splitlines()
                if b"Server ferry/" in ln and (b" is DOWN" in ln or b" is UP" in ln)]

    def tail(self):
        self.log.flush()
        with open(os.path.join(self.dir, "haproxy.log"), "rb") as f:
            return f.read()[-2000:].decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)  # its graceful stop (SIGTERM kills it)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def _start_replicas(ferry, n, quiet=True):
    store = pg_database()
    art = tempfile.mkdtemp(prefix="ferry-e2e-artifacts-")  # shared by the replicas
    CREATED_DIRS.append(art)
    # all of the balancer's connections come from one address
    extra = ["--artifacts-destination", art, "--max-connections-per-ip", "0"] + (
        ["-q"] if quiet else [])
    srvs = []
    try:
        for _ in range(n):
            srvs.append(Server(ferry, store=store, extra=extra).start())
    except Exception:
        for s in srvs:
            s.stop()
        raise
    return srvs


def _stop_all(srvs, balancer=None):
    """Stops everything; the replicas' exit statuses (each must be 0)."""
    if balancer:
        balancer.stop()
    return [(i, s.stop(), s) for i, s in enumerate(srvs)]


def _assert_clean_exits(stops):
    bad = ["replica %d exited %d:\n%s" % (i, rc, s.stderr_tail(30)) for i, rc, s in stops if rc]
    assert not bad, "\n".join(bad)


# ---------- the load ----------

class Ledger:
    """What the replicas acknowledged (HTTP 200), and what failed for other reasons."""

    def __init__(self):
        self.lock = threading.Lock()
        self.runs = []        # every acknowledged runs/create, in order (duplicates would show)
        self.points = {}      # (run, key) -> {step: value}
        self.params = {}      # (run, key) -> value
        self.versions = {m: {} for m in MODELS}  # model -> {version: source}
        self.transient = {}   # connection errors, 502/503/504 (not acknowledged), by cause
        self.samples = {}     # cause -> the first such answer
        self.requests = 0
        self.inflight = 0     # requests sent and not answered yet
        self.latency = {}     # endpoint -> [seconds], acknowledged requests
        self.unexpected = []  # anything else that is not a 200: bugs

    def version_of(self, rng, model):
        with self.lock:
            vs = list(self.versions[model])
        return rng.choice(vs) if vs else None


def _call(cl, ledger, method, endpoint, doc):
    """The response when it is an answer of the store, None when the request failed in
    transit (then it is not acknowledged, whatever the store did with it)."""
    with ledger.lock:
        ledger.requests += 1
        ledger.inflight += 1
    t0 = time.time()
    try:
        if method == "GET":
            r = cl.get(endpoint, doc)
        else:
            r = cl.post(endpoint, doc)
    except (OSError, http.client.HTTPException) as e:
        cl.close()  # a fresh connection next time
        r, cause = None, type(e).__name__
    with ledger.lock:
        ledger.inflight -= 1
    if r is None or r.status in TRANSIENT:
        if r is not None:
            cause = ("%d %s" % (r.status, r.json.get("error_code", ""))).strip() \
                if isinstance(r.json, dict) else str(r.status)
        with ledger.lock:
            ledger.transient[cause] = ledger.transient.get(cause, 0) + 1
            if r is not None and isinstance(r.json, dict):
                ledger.samples.setdefault(cause, "%s: %s" % (endpoint, r.json.get("message")))
        return None
    if r.status != 200:
        with ledger.lock:
            ledger.unexpected.append("%s %s %s -> %r" % (method, endpoint,
                                                         json.dumps(doc)[:300], r))
        return None
    with ledger.lock:
        ledger.latency.setdefault(endpoint, []).append(time.time() - t0)
    return r.json


def _latencies(ledger):
    out = []
    for ep, v in sorted(ledger.latency.items()):
        v = sorted(v)
        out.append("%s n=%d p50 %.2f s, p90 %.2f s, max %.2f s" % (
            ep, len(v), v[len(v) // 2], v[int(len(v) * 0.9)], v[-1]))
    return "; ".join(out)


def _client(port, t, exp, ledger, deadline, rng):
    cl = Client(port, timeout=30)
    run, step = None, 0
    try:
        for i in range(OPS):
            if time.time() >= deadline:
                break
            op = rng.random()
            if run is None or op < 0.10:
                # not idempotent, so a failed one is simply tried again later: only what
                # was acknowledged counts
                r = _call(cl, ledger, "POST", "runs/create",
                          {"experiment_id": exp, "run_name": "c%d-%d" % (t, i),
                           "start_time": 1000 * t + i})
                if r:
                    run = r["run"]["info"]["run_id"]
                    with ledger.lock:
                        ledger.runs.append(run)
            elif op < 0.50:
                key = "m%d" % t
                metrics = [{"key": key, "value": step + k / 8, "timestamp": 1000 + step + k,
                            "step": step + k} for k in range(5)]
                params = [{"key": "p%d" % i, "value": "v%d-%d" % (t, i)}]
                r = _call(cl, ledger, "POST", "runs/log-batch",
                          {"run_id": run, "metrics": metrics, "params": params,
                           "tags": [{"key": "last", "value": str(i)}]})
                if r is not None:
                    with ledger.lock:
                        pts = ledger.points.setdefault((run, key), {})
                        for m in metrics:
                            pts[m["step"]] = m["value"]
                        ledger.params[(run, params[0]["key"])] = params[0]["value"]
                step += 5  # steps are never reused, acknowledged or not
            elif op < 0.78:
                model = rng.choice(MODELS)
                source = "s3://replicas/%s/%d-%d" % (model, t, i)
                r = _call(cl, ledger, "POST", "model-versions/create",
                          {"name": model, "source": source, "run_id": run})
                if r:
                    v = int(r["model_version"]["version"])
                    with ledger.lock:
                        if v in ledger.versions[model]:
                            ledger.unexpected.append("%s: version %d acknowledged twice" % (
                                model, v))
                        ledger.versions[model][v] = source
            elif op < 0.89:
                model = rng.choice(MODELS)
                v = ledger.version_of(rng, model)
                if v is not None:
                    _call(cl, ledger, "POST", "registered-models/alias",
                          {"name": model, "alias": rng.choice(ALIASES), "version": str(v)})
            else:
                model = rng.choice(MODELS)
                v = ledger.version_of(rng, model)
                if v is not None:
                    prod = rng.random() < 0.5
                    # every move into Production archives the others: at most one stays there
                    _call(cl, ledger, "POST", "model-versions/transition-stage",
                          {"name": model, "version": str(v),
                           "stage": "Production" if prod else "Staging",
                           "archive_existing_versions": prod})
    finally:
        cl.close()


# ---------- the checks ----------

def _each(fn, items, workers=8):
    with ThreadPoolExecutor(workers) as ex:
        return list(ex.map(fn, items))


class Readers:
    """One keep-alive client per (thread, replica)."""

    def __init__(self, srvs):
        self.ports = [s.port for s in srvs]
        self.local = threading.local()
        self.all = []
        self.lock = threading.Lock()

    def client(self, i):
        cls = getattr(self.local, "cls", None)
        if cls is None:
            cls = self.local.cls = [Client(p) for p in self.ports]
            with self.lock:
                self.all += cls
        return cls[i]

    def get(self, i, endpoint, params):
        """GET on replica i; the whole answer, which must be a 200."""
        r = self.client(i).get(endpoint, params)
        assert r.status == 200, "replica %d: GET %s %r -> %r" % (i, endpoint, params, r)
        return r.json

    def post(self, i, endpoint, doc):
        r = self.client(i).post(endpoint, doc)
        assert r.status == 200, "replica %d: POST %s %r -> %r" % (i, endpoint, doc, r)
        return r.json

    def same(self, endpoint, params, post=False):
        """The answer, after checking every replica gives the same one."""
        got = [(self.post if post else self.get)(i, endpoint, params)
               for i in range(len(self.ports))]
        for i in range(1, len(got)):
            assert got[i] == got[0], "replicas 0 and %d differ on %s %r:\n%s\n%s" % (
                i, endpoint, params, json.dumps(got[0])[:600], json.dumps(got[i])[:600])
        return got[0]

    def close(self):
        for c in self.all:
            c.close()


def _versions(rd, model):
    """Every version of model (model-versions/search, all pages), all replicas agreeing."""
    out, token = [], None
    for page in range(1000):
        q = {"filter": "name = '%s'" % model, "max_results": 200}
        if token:
            q["page_token"] = token
        r = rd.same("model-versions/search", q)
        out += r.get("model_versions", [])
        token = r.get("next_page_token")
        if not token:
            return out
    raise AssertionError("model-versions/search of %s does not end" % model)


def _check_versions(rd, ledger):
    bad = []
    for model in MODELS:
        vs = _versions(rd, model)
        nums = sorted(int(v["version"]) for v in vs)
        acked = ledger.versions[model]
        if nums != list(range(1, len(nums) + 1)):
            bad.append("%s: versions %s are not 1..%d" % (model, nums, len(nums)))
        by_num = {int(v["version"]): v for v in vs}
        for n, source in sorted(acked.items()):
            if n not in by_num:
                bad.append("%s: acknowledged version %d is missing" % (model, n))
            elif by_num[n]["source"] != source:
                bad.append("%s: version %d has source %s, acknowledged for %s" % (
                    model, n, by_num[n]["source"], source))
        prod = [v["version"] for v in vs if v["current_stage"] == "Production"]
        if len(prod) > 1:
            bad.append("%s: %d versions in Production (%s) though every move there "
                       "archived the others" % (model, len(prod), prod))
        m = rd.same("registered-models/get", {"name": model})["registered_model"]
        for a in m.get("aliases", []):
            if int(a["version"]) not in by_num:
                bad.append("%s: alias %s points at version %s, which does not exist" % (
                    model, a["alias"], a["version"]))
    assert not bad, "versions (seed %d):\n  %s" % (SEED, "\n  ".join(bad[:20]))
    return sum(len(ledger.versions[m]) for m in MODELS)


def _check_runs(rd, ledger, exp):
    assert len(set(ledger.runs)) == len(ledger.runs), "a run id was acknowledged twice"
    acked = set(ledger.runs)
    # every acknowledged run, and its params, from a replica chosen by turn
    runs = {}

    def get_run(k_rid):
        k, rid = k_rid
        r = rd.client(k % 3).get("runs/get", {"run_id": rid})
        return rid, r

    lost = []
    for rid, r in _each(get_run, list(enumerate(sorted(acked)))):
        if r.status != 200:
            lost.append("run %s: %r" % (rid, r))
        else:
            runs[rid] = r.json["run"]
    for (rid, key), value in ledger.params.items():
        if rid in runs:
            got = {p["key"]: p["value"] for p in runs[rid]["data"].get("params", [])}
            if got.get(key) != value:
                lost.append("param %s=%s of %s (have %r)" % (key, value, rid, got.get(key)))

    def history(k_item):
        k, ((rid, key), points) = k_item
        h = rd.client(k % 3).get("metrics/get-history", {"run_id": rid, "metric_key": key})
        if h.status != 200:
            return ["history of %s in %s: %r" % (key, rid, h)]
        got = {p["step"]: p["value"] for p in h.json.get("metrics", [])}
        missing = sorted(s for s, v in points.items() if got.get(s) != v)
        return ["%d points of %s in %s (steps %s...)" % (len(missing), key, rid, missing[:5])
                ] if missing else []

    for x in _each(history, list(enumerate(sorted(ledger.points.items())))):
        lost += x
    # the experiment holds each run once; the acknowledged ones among them
    found = rd.same("runs/search", {"experiment_ids": [exp], "max_results": 50000}, post=True)
    ids = [r["info"]["run_id"] for r in found.get("runs", [])]
    assert len(ids) == len(set(ids)), "runs/search lists a run twice"
    lost += ["run %s is not in runs/search" % r for r in sorted(acked - set(ids))[:5]]
    assert not lost, "acknowledged writes lost (seed %d):\n  %s" % (SEED, "\n  ".join(lost[:20]))
    return ids


def _check_same_everywhere(rd, ledger, ids, rng):
    sample = rng.sample(ids, min(40, len(ids)))
    _each(lambda rid: rd.same("runs/get", {"run_id": rid}), sample)
    keys = sorted(ledger.points)
    _each(lambda rk: rd.same("metrics/get-history", {"run_id": rk[0], "metric_key": rk[1]}),
          rng.sample(keys, min(40, len(keys))))
    for model in MODELS:
        rd.same("registered-models/get", {"name": model})
        rd.same("registered-models/get-latest-versions", {"name": model}, post=True)
    rd.same("registered-models/search", {"max_results": 100})


def _check_page_tokens(rd, exp, ids):
    """Pages of 7 runs, each next page asked of the next replica, give the whole list."""
    walked, token = [], None
    for page in range(len(ids) // 7 + 2):
        q = {"experiment_ids": [exp], "max_results": 7}
        if token:
            q["page_token"] = token
        r = rd.post(page % 3, "runs/search", q)
        walked += [x["info"]["run_id"] for x in r.get("runs", [])]
        token = r.get("next_page_token")
        if not token:
            break
    assert walked == ids, "runs/search paged across replicas: %d runs, whole list %d; " \
        "first difference at %s" % (len(walked), len(ids), next(
            (k for k, (a, b) in enumerate(zip(walked, ids)) if a != b), min(len(walked),
                                                                             len(ids))))
    # registered models one per page, across replicas
    names, token = [], None
    for page in range(len(MODELS) + 2):
        q = {"max_results": 1}
        if token:
            q["page_token"] = token
        r = rd.get(page % 3, "registered-models/search", q)
        names += [m["name"] for m in r.get("registered_models", [])]
        token = r.get("next_page_token")
        if not token:
            break
    assert names == sorted(MODELS), names


def _check_artifacts(rd, exp, rid):
    """An artifact written through one replica is read through the others (one shared
    artifact destination)."""
    path = "/api/2.0/mlflow-artifacts/artifacts/%s/%s/artifacts/replica.txt" % (exp, rid)
    data = b"written through replica 0\n"
    r = rd.client(0).raw("PUT", path, body=data,
                         headers={"Content-Type": "application/octet-stream"})
    assert r.status == 200, r
    for i in (1, 2):
        r = rd.client(i).raw("GET", path)
        assert r.status == 200 and r.body == data, "replica %d: %r" % (i, r)
        listed = rd.get(i, "artifacts/list", {"run_id": rid})
        assert [f["path"] for f in listed.get("files", [])] == ["replica.txt"], listed


def test_replicas_behind_haproxy_lose_nothing(ferry):
    assert os.access(HAPROXY, os.X_OK), "no haproxy (scripts/install-deps installs it)"
    rng = random.Random(SEED)
    t_start = time.time()
    srvs = _start_replicas(ferry, REPLICAS)
    balancer = None
    stops = None
    try:
        balancer = Balancer([s.port for s in srvs])
        c = Client(balancer.port)
        exp = c.create_experiment("replicas")
        for m in MODELS:
            c.ok(c.post("registered-models/create", {"name": m}))
        c.close()
        ledger = Ledger()
        deadline = time.time() + LOAD_SECONDS
        threads = [threading.Thread(target=_client, args=(
            balancer.port, t, exp, ledger, deadline, random.Random(rng.random())))
            for t in range(CLIENTS)]
        for th in threads:
            th.start()
        # one replica dies mid-load and comes back on its port
        time.sleep(LOAD_SECONDS * KILL_AT)
        victim = srvs[1]
        port = victim.port
        inflight = ledger.inflight
        assert victim.kill() == -9
        time.sleep(DOWN_SECONDS)
        victim.start(port=port)
        for th in threads:
            th.join(max(1.0, deadline - time.time() + 60))
        assert not any(th.is_alive() for th in threads), "a client hung"
        load_s = time.time() - t_start
        assert not ledger.unexpected, "%d requests failed other than in transit (seed %d):" \
            "\n  %s\nreplica logs:\n%s" % (
                len(ledger.unexpected), SEED, "\n  ".join(ledger.unexpected[:10]),
                "\n".join(s.stderr_tail(10) for s in srvs))
        # enough happened to mean something, even on a loaded machine
        assert len(ledger.runs) >= CLIENTS // 2, "only %d runs acknowledged" % len(ledger.runs)
        assert ledger.points, "no batch acknowledged"
        rd = Readers(srvs)
        try:
            nversions = _check_versions(rd, ledger)
            assert nversions >= 20, "only %d versions acknowledged" % nversions
            ids = _check_runs(rd, ledger, exp)
            _check_same_everywhere(rd, ledger, ids, rng)
            _check_page_tokens(rd, exp, ids)
            _check_artifacts(rd, exp, ids[0])
        finally:
            rd.close()
        print("     replicas: %d requests (%d in flight at the kill), %d failed in transit (%s), "
              "%d runs, %d versions; load %.1f s, checks %.1f s (seed %d)" % (
                  ledger.requests, inflight, sum(ledger.transient.values()), ", ".join(
                      "%s: %d" % kv for kv in sorted(ledger.transient.items())),
                  len(ledger.runs), nversions, load_s, time.time() - t_start - load_s, SEED))
        print("     latencies: " + _latencies(ledger))
        for cause, sample in sorted(ledger.samples.items()):
            print("     %s, e.g. %s" % (cause, sample))
        print("     balancer: %s" % (", ".join(balancer.events()) or "no server went down"))
    finally:
        stops = _stop_all(srvs, balancer)
    _assert_clean_exits(stops)


def test_a_lease_taken_on_one_replica_is_held_on_the_others(ferry):
    srvs = _start_replicas(ferry, 2, quiet=False)
    try:
        a, b = (s.client() for s in srvs)
        got = a.ok(a.post("leases/acquire", {"name": "replica-lease", "holder": "replica-a",
                                             "ttl_ms": 60000}, prefix="/api/2.0/ferry/"))
        la = got["lease"]
        assert la["holder"] == "replica-a" and la["epoch"] == 1, la
        lb = b.ok(b.get("leases/get", {"name": "replica-lease"}, prefix="/api/2.0/ferry/"))
        lb = lb["lease"]
        assert (lb["holder"], lb["epoch"], lb["expires_ms"]) == (
            "replica-a", 1, la["expires_ms"]), (la, lb)
        assert lb["expires_ms"] > lb["now_ms"], lb  # held, on the database's clock
        expect_error(b.post("leases/acquire", {"name": "replica-lease", "holder": "replica-b",
                                               "ttl_ms": 60000}, prefix="/api/2.0/ferry/"),
                     400, "INVALID_STATE", "is held by 'replica-a'")
        # released on A, B takes it with the next epoch, and A sees B hold it
        a.ok(a.post("leases/release", {"name": "replica-lease", "holder": "replica-a",
                                       "epoch": 1}, prefix="/api/2.0/ferry/"))
        lb = b.ok(b.post("leases/acquire", {"name": "replica-lease", "holder": "replica-b",
                                            "ttl_ms": 60000}, prefix="/api/2.0/ferry/"))["lease"]
        assert (lb["holder"], lb["epoch"]) == ("replica-b", 2), lb
        la = a.ok(a.get("leases/get", {"name": "replica-lease"}, prefix="/api/2.0/ferry/"))
        assert (la["lease"]["holder"], la["lease"]["epoch"]) == ("replica-b", 2), la
        # A's old epoch is over: it can neither renew nor release
        expect_error(a.post("leases/renew", {"name": "replica-lease", "holder": "replica-a",
                                             "epoch": 1, "ttl_ms": 1000},
                            prefix="/api/2.0/ferry/"), 400, "INVALID_STATE", "has ended")
        a.close()
        b.close()
    finally:
        stops = _stop_all(srvs)
    _assert_clean_exits(stops)
