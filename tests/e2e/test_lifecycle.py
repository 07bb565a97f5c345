# SPDX-License-Identifier: MIT
"""Server lifecycle: graceful SIGTERM under load, a taken port, a bad store."""
import signal
import socket
import subprocess
import threading
import time

from support.server import Client, Server

OWN_SERVER = True


def test_sigterm_with_requests_in_flight(ferry):
    srv = Server(ferry).start()
    c = srv.client()
    rid = c.create_run()["info"]["run_id"]
    acked, refused, stop = [], [], threading.Event()

    def worker(t):
        cl = srv.client()
        i = 0
        while not stop.is_set() and i < 5000:
            try:
                r = cl.post("runs/log-metric", {"run_id": rid, "key": "w%d" % t, "value": i,
                                                "timestamp": i, "step": i})
            except OSError:
                return
            if r.status == 200:
                acked.append((t, i))
            else:
                refused.append(r)
            i += 1
        cl.close()

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    rc = srv.stop()
    stop.set()
    for t in threads:
        t.join(30)
    c.close()
    assert rc == 0, "exit %d\n%s" % (rc, srv.stderr_tail())
    assert acked, "no request was acknowledged"
    # a request is answered properly, or refused with 503 TEMPORARILY_UNAVAILABLE (MLflow's
    # clients retry that) when it arrived after SIGTERM, or its connection is closed
    bad = [r for r in refused
           if r.status != 503 or r.json.get("error_code") != "TEMPORARILY_UNAVAILABLE"]
    assert not bad, "answers during shutdown: %r" % bad[:3]
    srv2 = Server(ferry, store=srv.store).start()
    c2 = srv2.client()
    for t in range(8):
        h = c2.ok(c2.get("metrics/get-history", {"run_id": rid, "metric_key": "w%d" % t}))
        got = {p["step"] for p in h.get("metrics", [])}
        want = {i for (tt, i) in acked if tt == t}
        assert want <= got, "lost %d acknowledged writes" % len(want - got)
    c2.close()
    assert srv2.stop() == 0


def test_port_taken_gives_a_clear_message(ferry):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        p = subprocess.run([ferry, "server", "--host", "127.0.0.1", "--port", str(port),
                            "--backend-store-uri", "sqlite:///tmp/ferry-e2e-port.db"],
                           capture_output=True, timeout=30)
    finally:
        s.close()
    assert p.returncode == 1, p
    assert b"already in use" in p.stderr, p.stderr


def test_bad_options_and_store(ferry):
    p = subprocess.run([ferry, "server", "--port", "99999"], capture_output=True, timeout=30)
    assert p.returncode == 2 and b"port" in p.stderr
    p = subprocess.run([ferry, "server", "--port", "0", "--backend-store-uri",
                        "sqlite:///nonexistent-dir/x/y.db"], capture_output=True, timeout=30)
    assert p.returncode == 1 and b"cannot open database" in p.stderr, p.stderr
    p = subprocess.run([ferry, "server", "--port", "0", "--host", "not-an-ip"],
                       capture_output=True, timeout=30)
    assert p.returncode == 1 and b"--host" in p.stderr, p.stderr


def test_workers_and_artifact_root_options(ferry):
    """--workers N (polling threads) and --default-artifact-root, under concurrent load."""
    probe = Server(ferry)
    root = probe.dir + "/artifacts"
    srv = Server(ferry, store=probe.store, extra=["--workers", "2", "--default-artifact-root", root])
    srv.start()
    try:
        c = srv.client()
        eid = c.create_experiment("rooted")
        e = c.ok(c.get("experiments/get", {"experiment_id": eid}))["experiment"]
        assert e["artifact_location"].rstrip("/").endswith("artifacts/" + eid), e
        assert root in e["artifact_location"], e
        run = c.create_run(eid)["info"]
        assert run["artifact_uri"] == e["artifact_location"] + "/%s/artifacts" % run["run_id"], run
        rid = run["run_id"]
        errors = []

        def worker(t):
            cl = srv.client()
            try:
                for i in range(25):
                    r = cl.post("runs/log-metric", {"run_id": rid, "key": "w%d" % t, "value": i,
                                                    "timestamp": i, "step": i})
                    if r.status != 200:
                        errors.append(r)
            finally:
                cl.close()

        idle = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(20)]
        threads = [threading.Thread(target=worker, args=(t,)) for t in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        for s in idle:
            s.close()
        assert not errors, errors[:3]
        for t in range(16):
            assert len(c.history(rid, "w%d" % t)) == 25
        c.close()
    finally:
        rc = srv.stop()
    assert rc == 0, "exit %d\n%s" % (rc, srv.stderr_tail())


def test_data_survives_a_graceful_restart(ferry):
    srv = Server(ferry).start()
    c = srv.client()
    eid = c.create_experiment("durable", tags=[{"key": "k", "value": "v"}])
    rid = c.create_run(eid, run_name="kept")["info"]["run_id"]
    c.log_batch(rid, metrics=[{"key": "m", "value": i / 3, "timestamp": i, "step": i}
                              for i in range(100)],
                params=[{"key": "p", "value": "1"}], tags=[{"key": "t", "value": "2"}])
    gone = c.create_experiment("gone")
    c.ok(c.post("experiments/delete", {"experiment_id": gone}))
    run_before = c.get_run(rid)
    exps_before = c.ok(c.post("experiments/search", {"view_type": "ALL"}))
    c.close()
    assert srv.stop() == 0
    srv2 = Server(ferry, store=srv.store).start()
    try:
        c = srv2.client()
        assert c.get_run(rid) == run_before
        assert c.ok(c.post("experiments/search", {"view_type": "ALL"})) == exps_before
        assert len(c.history(rid, "m")) == 100
        new = c.create_experiment("after-restart")
        assert int(new) > int(gone), "experiment id %s reused after restart" % new
        c.close()
    finally:
        assert srv2.stop() == 0


def test_sigterm_in_flight_with_worker_threads(ferry):
    """The same graceful stop with --workers (polling threads instead of a thread each)."""
    srv = Server(ferry, extra=["--workers", "2"]).start()
    c = srv.client()
    rid = c.create_run()["info"]["run_id"]
    acked, stop = [], threading.Event()

    def worker(t):
        cl = srv.client()
        i = 0
        while not stop.is_set() and i < 5000:
            try:
                r = cl.post("runs/log-batch", {"run_id": rid, "metrics": [
                    {"key": "w%d" % t, "value": i, "timestamp": i, "step": i * 5 + k}
                    for k in range(5)]})
            except OSError:
                break
            if r.status == 200:
                acked.append((t, i))
            i += 1
        cl.close()

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.8)
    rc = srv.stop()
    stop.set()
    for t in threads:
        t.join(30)
    c.close()
    assert rc == 0, "exit %d\n%s" % (rc, srv.stderr_tail())
    srv2 = Server(ferry, store=srv.store).start()
    c2 = srv2.client()
    for t in range(8):
        got = {p["step"] for p in c2.history(rid, "w%d" % t)}
        want = {i * 5 + k for (tt, i) in acked if tt == t for k in range(5)}
        assert want <= got, "lost %d acknowledged points" % len(want - got)
        assert len(got) % 5 == 0, "a batch was stored in part: %d points" % len(got)
    c2.close()
    assert srv2.stop() == 0


def test_access_log_on_stderr(ferry):
    srv = Server(ferry).start()
    c = srv.client()
    c.raw("GET", "/health")
    c.get("runs/get", {"run_id": "0" * 32})
    c.post("experiments/create", {"name": "logged"})
    c.close()
    rc = srv.stop()
    log = open(srv.stderr_path, "rb").read().decode("utf-8", "replace")
    assert rc == 0, log[-2000:]
    lines = log.splitlines()
    for method, path, status in (("GET", "/health", "200"),
                                 ("GET", "/api/2.0/mlflow/runs/get", "404"),
                                 ("POST", "/api/2.0/mlflow/experiments/create", "200")):
        assert any(method in ln and path in ln and (" %s " % status) in ln + " "
                   for ln in lines), "no access log line for %s %s %s in:\n%s" % (
            method, path, status, log[-1500:])


def test_sigterm_stops_taking_new_requests(ferry):
    """Graceful means: answer what is in flight, then stop. Busy keep-alive clients must not
    keep the server going by sending new requests after SIGTERM."""
    srv = Server(ferry).start()
    c = srv.client()
    rid = c.create_run()["info"]["run_id"]
    c.close()
    stop = threading.Event()
    sig_at = []
    late = []  # requests sent 0.3 s or more after SIGTERM that still got a 200
    early = []  # requests answered before SIGTERM

    def worker(t):
        cl = Client(srv.port, timeout=15)
        i = 0
        while not stop.is_set() and i < 200000:
            sent = time.time()
            try:
                r = cl.post("runs/log-metric", {"run_id": rid, "key": "w%d" % t, "value": i,
                                                "timestamp": i, "step": i})
            except OSError:
                break
            if sig_at and sent > sig_at[0] + 0.3 and r.status == 200:
                late.append(sent - sig_at[0])
            if not sig_at and r.status == 200:
                early.append(1)
            i += 1
        cl.close()

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    sig_at.append(time.time())
    srv.proc.send_signal(signal.SIGTERM)
    try:
        rc = srv.proc.wait(15)
    except subprocess.TimeoutExpired:
        rc = None
    took = time.time() - sig_at[0]
    stop.set()
    for t in threads:
        t.join(30)
    srv.stop()
    assert rc == 0, "exit status %r after SIGTERM\n%s" % (rc, srv.stderr_tail())
    assert len(early) > 50, "the clients did not get going (%d requests)" % len(early)
    assert not late, ("%d new requests were answered 0.3 s or more after SIGTERM (the last %.1f s "
                      "after it); the server exited %.1f s after SIGTERM" % (
                          len(late), max(late), took))
