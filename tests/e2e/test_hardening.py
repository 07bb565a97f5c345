# SPDX-License-Identifier: MIT
"""Bounded cost per request and HTTP hardening, on both servers (each finding of the security
issue as a regression test that failed on the binary before the fix):
- memory: a request's cost follows what its body holds, never what it claims; the peak RSS
  (VmHWM) a request may add is stated per test;
- connections: idle sockets, slow request heads and bodies from one client do not lock others
  out;
- HTTP: duplicate or conflicting Content-Length refused, errors JSON, HEAD wherever GET;
- `models serve -m DIR` opens no store; SIGTERM under load cuts no request.
Added time: about 8 s (release build), 14 s sanitized (the slowloris test 4.5 s of it)."""
import http.client
import json
import os
import signal
import socket
import subprocess
import tempfile
import threading
import time

from support.server import API, Server
from test_serving import Serve, _model

OWN_SERVER = True
MB = 1024 * 1024


def vm_hwm(pid):
    """The process's peak resident set, in bytes."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM for %d" % pid)


def _post(port, path, body, ctype="application/json", timeout=60):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("POST", path, body=body, headers={"Content-Type": ctype})
        r = c.getresponse()
        data = r.read()
        return r.status, data
    finally:
        c.close()


def _error(status, data, want_status=400):
    assert status == want_status, (status, data[:300])
    js = json.loads(data)
    assert set(js) == {"error_code", "message"}, js
    return js


def test_scoring_costs_what_the_body_holds(ferry):
    """Each body below made the scoring server allocate by what it claims: an 83-byte OIP
    request declaring [1000000, 64] cost ~490 MB; a first row of 200 values and 50,000 empty
    rows sized a 50,000 x 200 matrix (80 MB) before the rows were checked; a CSV of 2 M cells
    became 2 M JSON strings (~150 MB). Bound: each adds at most 48 MB to the peak RSS (the
    bodies themselves are up to 4 MB, held twice while read and parsed). A [2, 3] tensor for a
    5-column model is refused by its width."""
    d, e = _model(ferry, "binary", rows=50)
    s = Serve(ferry, d)
    try:
        base = vm_hwm(s.proc.pid)
        oip = json.dumps({"inputs": [{"name": "x", "shape": [1000000, 64], "datatype": "FP32",
                                      "data": []}]}, separators=(",", ":"))
        st, data = _post(s.port, "/v2/models/model/infer", oip)
        assert "fewer values" in _error(st, data)["message"]
        assert vm_hwm(s.proc.pid) - base < 48 * MB, (vm_hwm(s.proc.pid) - base) // MB
        rows = "[[%s]%s]" % (",".join(["0"] * 200), ",[]" * 50000)
        st, data = _post(s.port, "/invocations", '{"instances":%s}' % rows)
        assert "row 1 has 0 values" in _error(st, data)["message"]
        assert vm_hwm(s.proc.pid) - base < 48 * MB, (vm_hwm(s.proc.pid) - base) // MB
        cols = ["f%d" % i for i in range(1000)]
        csv = ",".join(cols) + "\n" + ("%s\n" % ",".join(["0"] * 1000)) * 2000
        st, data = _post(s.port, "/invocations", csv, "text/csv")
        assert st == 200 and len(json.loads(data)["predictions"]) == 2000, (st, data[:200])
        assert vm_hwm(s.proc.pid) - base < 48 * MB, (vm_hwm(s.proc.pid) - base) // MB
        narrow = {"inputs": [{"name": "x", "shape": [2, 3], "datatype": "FP64",
                              "data": [1, 2, 3, 4, 5, 6]}]}
        st, data = _post(s.port, "/v2/models/model/infer", json.dumps(narrow))
        assert "3 columns, the model takes 5" in _error(st, data)["message"]
        # the same request at the model's width is served
        wide = {"inputs": [{"name": "x", "shape": [2, 5], "datatype": "FP64",
                            "data": e["data"][0] + e["data"][1]}]}
        st, data = _post(s.port, "/v2/models/model/infer", json.dumps(wide))
        assert st == 200 and json.loads(data)["outputs"][0]["shape"] == [2], (st, data)
    finally:
        assert s.stop() == 0


def test_tracking_json_is_parsed_under_a_ceiling(ferry):
    """A 4 MB runs/log-inputs body of empty objects cost ~330 MB of jansson tree before its 400
    (16 MB: 1.3 GB). Now the parse stops at 4 MiB + 4 bytes a byte of body (json.h). Bound: the
    request adds at most 96 MB to the peak RSS (the body, its copy, the budget; ASan's redzones
    and quarantine on top). A large body of ordinary shape (long strings) is still taken."""
    srv = Server(ferry).start()
    try:
        c = srv.client()
        base = vm_hwm(srv.proc.pid)
        body = '{"run_id":"x","datasets":[' + ",".join(["{}"] * (4 * MB // 3)) + "]}"
        st, data = _post(srv.port, API + "runs/log-inputs", body)
        assert "bytes of memory" in _error(st, data)["message"], data[:300]
        assert vm_hwm(srv.proc.pid) - base < 96 * MB, (vm_hwm(srv.proc.pid) - base) // MB
        rid = c.create_run()["info"]["run_id"]
        ds = {"name": "big", "digest": "d", "source_type": "local", "source": "{}",
              "schema": "{}", "profile": json.dumps({"x": "y" * (3 * MB)})}
        r = c.post("runs/log-inputs", {"run_id": rid, "datasets": [{"dataset": ds}]})
        assert r.status == 200, r
        c.close()
    finally:
        assert srv.stop() == 0


def test_serving_a_directory_opens_no_store(ferry):
    """`models serve -m ./dir` opened (and created) ./ferry.db, which it does not need, and failed
    in a read-only working directory. It opens a store only for a models:/ or runs:/ URI."""
    d, e = _model(ferry, "binary", rows=50)
    cwd = tempfile.mkdtemp(prefix="ferry-ro-")
    os.chmod(cwd, 0o555)  # read-only, unless we run as root: then the file check below counts
    env = {k: v for k, v in os.environ.items()
           if k not in ("FERRY_TRACKING_URI", "MLFLOW_TRACKING_URI")}
    try:
        p = subprocess.Popen([ferry, "models", "serve", "-m", os.path.relpath(d, cwd), "--port",
                              "0"], cwd=cwd, env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        line = p.stdout.readline()
        assert b"listening on" in line, (line, p.stderr.read() if p.poll() is not None else "")
        port = int(line.strip().rsplit(b":", 1)[1])
        st, data = _post(port, "/invocations", json.dumps({"instances": [e["data"][0]]}))
        assert st == 200, (st, data)
        p.send_signal(signal.SIGTERM)
        assert p.wait(30) == 0
        p.stdout.close()
        p.stderr.close()
        assert os.listdir(cwd) == [], os.listdir(cwd)
    finally:
        os.chmod(cwd, 0o755)
        for f in os.listdir(cwd):
            os.unlink(os.path.join(cwd, f))
        os.rmdir(cwd)


def _raise_fd_limit(n):
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(n, hard), hard))


def _connect_from(addr, port, timeout=2):
    """A connection to 127.0.0.1:port from source address addr (all of 127/8 is loopback, so
    a test can be two clients); None when refused."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.bind((addr, 0))
        s.connect(("127.0.0.1", port))
        return s
    except OSError:
        s.close()
        return None


def _served(port, path="/health", within=5):
    """One request from 127.0.0.1 answered 200 within `within` seconds."""
    t0 = time.time()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=within)
    try:
        c.request("GET", path)
        r = c.getresponse()
        r.read()
        assert r.status == 200, r.status
    finally:
        c.close()
    return time.time() - t0


def test_an_idle_socket_flood_locks_no_one_else_out(ferry):
    """1100 idle sockets from one client (127.0.0.2) took every connection `ferry server` had
    (1020) for two minutes. With the default per-address limit (128) another client
    (127.0.0.1) is served at once while they stay open."""
    _raise_fd_limit(1300)
    srv = Server(ferry).start()
    socks = []
    try:
        for _ in range(1100):
            s = _connect_from("127.0.0.2", srv.port)
            if s:
                socks.append(s)
        assert _served(srv.port) < 5
    finally:
        for s in socks:
            s.close()
        assert srv.stop() == 0


def test_slow_heads_and_bodies_are_cut_and_others_served(ferry):
    """Slowloris on `models serve`: connections from one address (127.0.0.2) trickle a
    request head, or a body, a byte every 0.3 s, which the idle timeout never sees. With
    --request-timeout 2 each is closed within 2 s + the once-a-second sweep; meanwhile another
    address is served, and the trickling address gets no more than --max-connections-per-ip 8."""
    d, e = _model(ferry, "binary", rows=50)
    s = Serve(ferry, d, extra=["--request-timeout", "2", "--max-connections-per-ip", "8"])
    slow = []
    try:
        head = b"GET /ping HTTP/1.1\r\nHost: " + b"x" * 200 + b"\r\n"
        body_head = (b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                     b"\r\nContent-Length: 1000\r\n\r\n")
        for i in range(8):
            c = _connect_from("127.0.0.2", s.port)
            assert c, "connection %d refused" % i
            if i % 2:
                c.sendall(body_head)
            slow.append(c)
        extra = _connect_from("127.0.0.2", s.port)  # the ninth: refused or closed at once
        if extra:
            extra.settimeout(3)
            try:
                assert extra.recv(1) == b""
            except ConnectionResetError:
                pass
            extra.close()
        t0 = time.time()
        cut = {}
        k = 0
        while len(cut) < len(slow) and time.time() - t0 < 8:
            for i, c in enumerate(slow):
                if i in cut:
                    continue
                try:
                    c.sendall(head[k:k + 1] if i % 2 == 0 else b"{")
                except OSError:
                    cut[i] = time.time() - t0
            k += 1
            assert _served(s.port, "/ping", within=2) < 2
            time.sleep(0.3)
        assert len(cut) == len(slow), "not cut after 8 s: %s" % sorted(set(range(8)) - set(cut))
        assert max(cut.values()) < 5, cut
    finally:
        for c in slow:
            c.close()
        assert s.stop() == 0


def _exchange(port, data, timeout=3):
    c = socket.create_connection(("127.0.0.1", port))
    c.settimeout(timeout)
    out = b""
    try:
        c.sendall(data)
        while True:
            chunk = c.recv(65536)
            if not chunk:
                break
            out += chunk
    except socket.timeout:
        raise AssertionError("the connection stayed open after %r" % out[:300])
    finally:
        c.close()
    return out


def test_ambiguous_body_lengths_are_refused(ferry):
    """Duplicate Content-Length headers were accepted, the first winning (a proxy in front
    taking the last is request smuggling). Several (even equal), or one with
    Transfer-Encoding, are a JSON 400 and the connection is closed."""
    srv = Server(ferry).start()
    try:
        base = (b"POST " + API.encode() + b"experiments/create HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: application/json\r\n")
        body = b'{"name": "smuggled"}'
        for extra in (b"Content-Length: %d\r\nContent-Length: 2\r\n" % len(body),
                      b"Content-Length: %d\r\nContent-Length: %d\r\n" % (len(body), len(body)),
                      b"Content-Length: %d\r\nTransfer-Encoding: chunked\r\n" % len(body)):
            out = _exchange(srv.port, base + extra + b"\r\n" + body)
            head, _, rest = out.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 400"), out[:300]
            assert b"connection: close" in head.lower(), head
            js = json.loads(rest)
            assert js["error_code"] == "BAD_REQUEST" and "Content-Length" in js["message"], js
        r = srv.client().get("experiments/get-by-name", {"experiment_name": "smuggled"})
        assert r.status == 404, r
    finally:
        assert srv.stop() == 0


def _head_matches_get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        c.request("GET", path)
        g = c.getresponse()
        gbody = g.read()
        c.request("HEAD", path)
        h = c.getresponse()
        hbody = h.read()
        assert g.status == 200 and h.status == 200, (path, g.status, h.status)
        assert hbody == b"", hbody
        assert h.getheader("Content-Length") == str(len(gbody)), (
            path, h.getheader("Content-Length"), len(gbody))
        assert h.getheader("Content-Type") == g.getheader("Content-Type"), path
    finally:
        c.close()


def test_head_wherever_get(ferry):
    """HEAD /health was 404 (ENDPOINT_NOT_FOUND). HEAD is answered wherever GET is, on both
    servers: GET's status and headers, Content-Length included, and no body."""
    srv = Server(ferry).start()
    try:
        for path in ("/health", "/version", API + "experiments/get?experiment_id=0"):
            _head_matches_get(srv.port, path)
        r = srv.client().raw("HEAD", API + "runs/create")  # POST only: still 405
        assert r.status == 405, r
    finally:
        assert srv.stop() == 0
    d, e = _model(ferry, "binary", rows=50)
    s = Serve(ferry, d)
    try:
        for path in ("/ping", "/health", "/version", "/v2/health/ready", "/v2/models/model"):
            _head_matches_get(s.port, path)
    finally:
        assert s.stop() == 0


def test_sigterm_under_load_cuts_no_request(ferry):
    """16 clients score on kept-alive connections, as fast as they can, while SIGTERM arrives:
    every request is answered in full (200 with every prediction) or refused with 503
    TEMPORARILY_UNAVAILABLE, and connecting again is refused; none is cut, and the process
    exits 0. Bounded: each client stops after 10 s."""
    d, e = _model(ferry, "binary", rows=50)
    s = Serve(ferry, d)
    body = json.dumps({"dataframe_split": {"columns": e["columns"], "data": e["data"]}})
    n = len(e["data"])
    results = {"ok": 0, "refused503": 0, "cut": []}
    lock = threading.Lock()
    started = threading.Barrier(17)
    sigterm_at = []  # for the message of a cut request

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", s.port, timeout=30)
        conn.connect()
        started.wait()
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                if conn.sock is None:
                    conn.connect()
            except (ConnectionRefusedError, ConnectionResetError):
                return  # no longer listening (a connect racing the close is reset): nothing sent
            try:
                conn.request("POST", "/invocations", body=body,
                             headers={"Content-Type": "application/json"})
                r = conn.getresponse()
                data = r.read()
            except Exception as ex:  # a request sent and not answered
                with lock:
                    results["cut"].append("%.3fs after SIGTERM: %r" % (time.time() - sigterm_at[0], ex) if sigterm_at else repr(ex))
                return
            js = json.loads(data)
            with lock:
                if r.status == 200 and len(js["predictions"]) == n:
                    results["ok"] += 1
                elif r.status == 503 and js["error_code"] == "TEMPORARILY_UNAVAILABLE":
                    results["refused503"] += 1
                else:
                    results["cut"].append("%d %r" % (r.status, data[:200]))
            if r.getheader("Connection", "").lower() == "close":
                conn.close()
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(16)]
    try:
        for t in threads:
            t.start()
        started.wait()
        time.sleep(1)
        sigterm_at.append(time.time())
        s.proc.send_signal(signal.SIGTERM)
        for t in threads:
            t.join(30)
        assert s.proc.wait(30) == 0
        assert not results["cut"], results
        assert results["ok"] > 16, results
    finally:
        if s.proc.poll() is None:
            s.proc.kill()
        s.conn.close()
        s.proc.stdout.close()
        s.proc.stderr.close()
