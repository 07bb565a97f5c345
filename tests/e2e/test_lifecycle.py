# SPDX-License-Identifier: MIT
"""Server lifecycle: graceful SIGTERM under load, a taken port, a bad store."""
import socket
import subprocess
import threading
import time

from support.server import Server

OWN_SERVER = True


def test_sigterm_with_requests_in_flight(ferry):
    srv = Server(ferry).start()
    c = srv.client()
    rid = c.create_run()["info"]["run_id"]
    acked, stop = [], threading.Event()

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
    srv2 = Server(ferry, db=srv.db).start()
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
