# SPDX-License-Identifier: MIT
"""`ferry models serve` over real HTTP with XGBoost models trained at test time by libxgboost
(tests/tools/make_xgb_model): every MLflow input format, predictions and SHAP values equal to
libxgboost's own, bad requests, metrics, and serving from the registry."""
import http.client
import json
import os
import select
import signal
import subprocess
import tempfile
import time

OWN_SERVER = True


def _tool(ferry):
    return os.path.join(os.path.dirname(ferry), "tools", "make_xgb_model")


def _model(ferry, kind, rows=400, cols=5):
    d = os.path.join(tempfile.mkdtemp(prefix="ferry-serve-"), "model")
    subprocess.run([_tool(ferry), d, kind, str(rows), str(cols)], check=True, timeout=120)
    with open(os.path.join(d, "expected.json")) as f:
        return d, json.load(f)


class Serve:
    def __init__(self, ferry, uri, env=None, extra=()):
        self.proc = subprocess.Popen([ferry, "models", "serve", "-m", uri, "--port", "0"] +
                                     list(extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=dict(os.environ, **(env or {})))
        line = b""
        deadline = time.time() + 60
        while time.time() < deadline:
            r, _, _ = select.select([self.proc.stdout], [], [], 1)
            if r:
                line = self.proc.stdout.readline()
                break
            if self.proc.poll() is not None:
                break
        if b"listening on" not in line:
            self.proc.kill()
            raise AssertionError("serve did not start: %r %r" % (line, self.proc.stderr.read()))
        self.port = int(line.strip().rsplit(b":", 1)[1])
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)

    def req(self, method, path, body=None, ctype="application/json"):
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        self.conn.request(method, path, body=body, headers={"Content-Type": ctype} if body
                          is not None else {})
        r = self.conn.getresponse()
        data = r.read()
        try:
            js = json.loads(data)
        except ValueError:
            js = None
        return r.status, js, data

    def stop(self):
        self.conn.close()
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(30)
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc


def _close(a, b, tol):
    return len(a) == len(b) and all(
        (abs(x - y) <= tol if not isinstance(x, list) else _close(x, y, tol)) for x, y in zip(a, b))


def test_every_input_format_matches_libxgboost(ferry):
    for kind in ("reg", "binary", "multi"):
        d, e = _model(ferry, kind)
        s = Serve(ferry, d)
        try:
            cols, data = e["columns"], e["data"]
            records = [dict(zip(cols, row)) for row in data]
            columnar = {c: [row[i] for row in data] for i, c in enumerate(cols)}
            csv = ",".join(cols) + "\n" + "\n".join(",".join(repr(v) for v in row)
                                                     for row in data) + "\n"
            bodies = [({"dataframe_split": {"columns": cols, "data": data}}, "application/json"),
                      ({"dataframe_records": records}, "application/json"),
                      ({"instances": data}, "application/json"),
                      ({"instances": records}, "application/json"),
                      ({"inputs": columnar, "params": {"ignored": 1}}, "application/json"),
                      ({"inputs": data}, "application/json"),
                      (csv, "text/csv")]
            for body, ctype in bodies:
                status, js, raw = s.req("POST", "/invocations", body, ctype)
                assert status == 200, (kind, body if ctype == "text/csv" else list(body), raw)
                got = js["predictions"]
                assert _close(got, e["predictions"], 1e-6), (kind, got[:3], e["predictions"][:3])
                if kind != "reg":
                    assert all(isinstance(v, int) for v in got), got[:5]
            # columns in another order are put in the signature's order
            status, js, _ = s.req("POST", "/invocations", {"dataframe_split": {
                "columns": cols[::-1], "data": [row[::-1] for row in data]}})
            assert status == 200 and _close(js["predictions"], e["predictions"], 1e-6)
            if "contributions" in e:
                status, js, _ = s.req("POST", "/explain",
                                      {"dataframe_split": {"columns": cols, "data": data}})
                assert status == 200 and _close(js["contributions"], e["contributions"], 1e-5)
        finally:
            assert s.stop() == 0


def test_bad_requests_get_clear_errors_and_the_server_stays_up(ferry):
    d, e = _model(ferry, "binary")
    s = Serve(ferry, d)
    try:
        cols, row = e["columns"], e["data"][0]
        cases = [
            ({"dataframe_split": {"columns": cols[:-1], "data": [row[:-1]]}}, "application/json",
             400, "f4"),
            ({"dataframe_split": {"columns": cols, "data": [row[:-1] + ["high"]]}},
             "application/json", 400, "f4"),
            ({"dataframe_split": {"columns": cols, "data": [row[:2]]}}, "application/json", 400,
             "row 0"),
            ({"dataframe_records": [{"f0": 1}]}, "application/json", 400, "f1"),
            ("{not json", "application/json", 400, "malformed"),
            ([1, 2, 3], "application/json", 400, "object"),
            ({"something": []}, "application/json", 400, "dataframe_split"),
            ({"instances": []}, "application/json", 400, "rows"),
            ("a,b\n1,2\n", "text/csv", 400, "f0"),
            ("", "text/csv", 400, "empty"),
            ({"instances": [[1, 2, 3, 4, 5]]}, "application/xml", 400, "Content-Type"),
        ]
        for body, ctype, status, needle in cases:
            st, js, raw = s.req("POST", "/invocations", body, ctype)
            assert st == status and js and js.get("error_code") and needle in js["message"], (
                body, st, raw)
        st, js, _ = s.req("GET", "/nothing")
        assert st == 404 and js["error_code"] == "ENDPOINT_NOT_FOUND"
        # still serving, and it counted
        st, js, _ = s.req("POST", "/invocations", {"instances": [row]})
        assert st == 200 and len(js["predictions"]) == 1
        st, _, raw = s.req("GET", "/metrics")
        text = raw.decode()
        assert st == 200 and 'ferry_model_info{name="model"' in text
        assert "ferry_request_errors_total %d" % len(cases) in text, text
        assert "ferry_rows_scored_total 1" in text and "ferry_request_duration_seconds_bucket" \
            in text
        for path in ("/ping", "/health", "/v2/health/live", "/v2/health/ready", "/version"):
            assert s.req("GET", path)[0] == 200, path
        st, js, _ = s.req("GET", "/v2/models/model")
        assert st == 200 and js["platform"] == "xgboost" and len(js["inputs"]) == 5
    finally:
        assert s.stop() == 0


def _registered(ferry, name):
    """A model trained here, logged to a run of a fresh embedded store and registered as name
    (version 1): (model dir, expected answers, env with the store, cli(*args, stdin=None))."""
    d, e = _model(ferry, "reg")
    work = tempfile.mkdtemp(prefix="ferry-serve-reg-")
    env = {"FERRY_TRACKING_URI": os.path.join(work, "t.db")}

    def cli(*args, stdin=None):
        return subprocess.run([ferry] + list(args), capture_output=True, timeout=120, input=stdin,
                              env=dict(os.environ, **env), cwd=work)

    # a run in the embedded store to hold the model's files
    # (the run is made through a short-lived server: the CLI has no `runs create`)
    from support.server import Server
    srv = Server(ferry, db=env["FERRY_TRACKING_URI"], extra=["--no-serve-artifacts"]).start()
    c = srv.client()
    rid = c.create_run()["info"]["run_id"]
    c.close()
    assert srv.stop() == 0
    assert cli("artifacts", "log", rid, d, "--artifact-path", "model").returncode == 0
    r = cli("models", "register", "runs:/%s/model" % rid, "--name", name)
    assert r.returncode == 0, r
    return d, e, env, cli


def test_serving_from_the_registry_and_bad_models(ferry):
    d, e, env, cli = _registered(ferry, "served")
    assert cli("models", "alias", "served", "live", "1").returncode == 0
    s = Serve(ferry, "models:/served@live", env=env)
    try:
        st, js, _ = s.req("POST", "/invocations", {"dataframe_split": {
            "columns": e["columns"], "data": e["data"]}})
        assert st == 200 and _close(js["predictions"], e["predictions"], 1e-6)
        st, js, _ = s.req("GET", "/v2/models/served")
        assert st == 200 and js["versions"] == ["1"]
    finally:
        assert s.stop() == 0
    # a URI that does not resolve, a corrupt model: a clear error, exit 1
    r = cli("models", "serve", "-m", "models:/served@nobody", "--port", "0")
    assert r.returncode == 1 and b"nobody" in r.stderr, r
    with open(os.path.join(d, "model.xgb"), "wb") as f:
        f.write(b"garbage")
    r = cli("models", "serve", "-m", d, "--port", "0")
    assert r.returncode == 1 and b"XGBoost" in r.stderr, r
    r = cli("models", "serve", "-m", "/nonexistent/model", "--port", "0")
    assert r.returncode == 1 and b"MLmodel" in r.stderr, r


def test_batch_predict_streams_csv_in_chunks(ferry):
    d, e = _model(ferry, "multi")
    work = tempfile.mkdtemp(prefix="ferry-predict-")
    n = 25003  # more than two chunks of 10,000 rows
    rows = [e["data"][i % len(e["data"])] for i in range(n)]
    want = [e["predictions"][i % len(e["data"])] for i in range(n)]
    csv = os.path.join(work, "in.csv")
    with open(csv, "w") as f:
        f.write(",".join(e["columns"]) + "\n")
        for row in rows:
            f.write(",".join(repr(v) for v in row) + "\n")
    out = os.path.join(work, "out.json")
    r = subprocess.run([ferry, "models", "predict", "-m", d, "-i", csv, "-o", out],
                       capture_output=True, timeout=300)
    assert r.returncode == 0, r
    with open(out) as f:
        assert json.load(f)["predictions"] == want
    js = os.path.join(work, "in.json")
    with open(js, "w") as f:
        json.dump({"dataframe_split": {"columns": e["columns"], "data": e["data"]}}, f)
    r = subprocess.run([ferry, "models", "predict", "-m", d, "-i", js], capture_output=True,
                       timeout=60)
    assert r.returncode == 0 and json.loads(r.stdout)["predictions"] == e["predictions"], r
    # bad input: exit 1 naming the problem, usage errors exit 2
    with open(csv, "w") as f:
        f.write("f0,f1\n1,2\n")
    r = subprocess.run([ferry, "models", "predict", "-m", d, "-i", csv], capture_output=True)
    assert r.returncode == 1 and b"f2" in r.stderr, r
    r = subprocess.run([ferry, "models", "predict", "-m", d], capture_output=True)
    assert r.returncode == 2, r


def test_validate_gates_a_promotion(ferry):
    d, e = _model(ferry, "binary")
    r = subprocess.run([ferry, "models", "validate", "-m", d], capture_output=True, timeout=120)
    assert r.returncode == 0, r
    assert b"flavor:             xgboost" in r.stdout and b"start to ready" in r.stdout, r
    # with the model's own input example
    with open(os.path.join(d, "input_example.json"), "w") as f:
        json.dump({"columns": e["columns"], "data": e["data"][:3]}, f)
    r = subprocess.run([ferry, "models", "validate", "-m", d], capture_output=True, timeout=120)
    assert r.returncode == 0 and b"predictions:        3" in r.stdout, r
    # an example the model refuses, then a corrupt model: exit 1
    with open(os.path.join(d, "input_example.json"), "w") as f:
        json.dump({"columns": ["nope"], "data": [[1]]}, f)
    r = subprocess.run([ferry, "models", "validate", "-m", d], capture_output=True, timeout=120)
    assert r.returncode == 1 and b"validation failed" in r.stderr, r
    with open(os.path.join(d, "model.xgb"), "wb") as f:
        f.write(b"garbage")
    r = subprocess.run([ferry, "models", "validate", "-m", d], capture_output=True, timeout=120)
    assert r.returncode == 1 and b"XGBoost" in r.stderr, r


def test_open_inference_protocol_v2(ferry):
    d, e = _model(ferry, "reg")
    s = Serve(ferry, d)
    try:
        rows, cols = len(e["data"]), len(e["columns"])
        flat = [v for row in e["data"] for v in row]
        for data in (flat, e["data"]):
            st, js, raw = s.req("POST", "/v2/models/model/infer", {"inputs": [{
                "name": "input-0", "shape": [rows, cols], "datatype": "FP32", "data": data}]})
            assert st == 200, raw
            out = js["outputs"][0]
            assert js["model_name"] == "model" and out["shape"] == [rows]
            assert out["datatype"] == "FP64" and _close(out["data"], e["predictions"], 1e-6)
        # one tensor per column, in any order
        per_col = [{"name": c, "shape": [rows], "datatype": "FP64",
                    "data": [row[i] for row in e["data"]]} for i, c in enumerate(e["columns"])]
        st, js, raw = s.req("POST", "/v2/models/model/infer", {"inputs": per_col[::-1]})
        assert st == 200 and _close(js["outputs"][0]["data"], e["predictions"], 1e-6), raw
        for bad, needle in (
                ({"inputs": []}, "inputs"),
                ({"inputs": [{"name": "x", "shape": [2, cols], "data": flat[:3]}]}, "fewer"),
                ({"inputs": [{"name": "x", "shape": [1, cols], "data": flat}]}, "more"),
                ({"inputs": [{"name": "x", "shape": [0], "data": []}]}, "shape"),
                ({"inputs": per_col[:2]}, "f2")):
            st, js, raw = s.req("POST", "/v2/models/model/infer", bad)
            assert st == 400 and needle in js["message"], (bad, raw)
        assert s.req("POST", "/v2/models/other/infer", {"inputs": []})[0] == 404
    finally:
        assert s.stop() == 0


def _read_answer(sock, timeout=30):
    """The status and body of one HTTP answer read from a raw socket."""
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            raise AssertionError("the connection closed before an answer: %r" % data)
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    status = int(head.split(b" ", 2)[1])
    length = [int(h.split(b":", 1)[1]) for h in head.split(b"\r\n")
              if h.lower().startswith(b"content-length:")]
    while length and len(body) < length[0]:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, head, body


def test_sigterm_lets_requests_in_flight_finish(ferry):
    """A request whose body is still arriving when SIGTERM comes is answered in full; one that
    starts after it on a kept-alive connection gets 503 TEMPORARILY_UNAVAILABLE; the process
    exits 0. (Before the one HTTP core, serve cut requests in flight.)"""
    import socket
    d, e = _model(ferry, "binary")
    s = Serve(ferry, d)
    try:
        body = json.dumps({"dataframe_split": {"columns": e["columns"],
                                               "data": e["data"][:50]}}).encode()
        head = ("POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                "Content-Length: %d\r\n\r\n" % len(body)).encode()
        inflight = socket.create_connection(("127.0.0.1", s.port))
        idle = socket.create_connection(("127.0.0.1", s.port))
        # the idle connection is kept alive by one answered request
        idle.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _read_answer(idle)[0] == 200
        inflight.sendall(head + body[:len(body) // 2])
        time.sleep(0.5)  # the server has begun the request
        s.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)  # the drain has begun
        idle.sendall(b"GET /ping HTTP/1.1\r\nHost: x\r\n\r\n")
        st, h, late = _read_answer(idle)
        assert st == 503 and json.loads(late)["error_code"] == "TEMPORARILY_UNAVAILABLE", (st, late)
        assert b"connection: close" in h.lower(), h
        inflight.sendall(body[len(body) // 2:])
        st, _, answer = _read_answer(inflight)
        assert st == 200, (st, answer)
        got = json.loads(answer)["predictions"]
        assert _close(got, e["predictions"][:50], 1e-6), got[:3]
        inflight.close()
        idle.close()
        assert s.proc.wait(30) == 0, s.proc.stderr.read()
    finally:
        if s.proc.poll() is None:
            s.proc.kill()
        s.conn.close()
        s.proc.stdout.close()
        s.proc.stderr.close()


def test_csv_that_is_not_utf8_is_refused_not_a_crash(ferry):
    """A text/csv body whose header (or a cell) is not UTF-8 once made the scorer read past the
    header's names (the fuzzer found it; the issue tracker had it as a crash of models serve)."""
    d, e = _model(ferry, "binary")
    s = Serve(ferry, d)
    try:
        for body in (b"\xff\n1,2,3,4,5\n", b"f0,f1,f2,f3,f4\n1,2,\xff,4,5\n"):
            st, js, raw = s.req("POST", "/invocations", body, "text/csv")
            assert st == 400 and js["error_code"] == "INVALID_PARAMETER_VALUE", (st, raw)
            assert "UTF-8" in js["message"], js
        st, js, _ = s.req("POST", "/invocations", {"instances": [e["data"][0]]})
        assert st == 200 and len(js["predictions"]) == 1
    finally:
        assert s.stop() == 0


def test_serving_a_version_whose_files_the_server_keeps(ferry):
    """The MLflow way: the client uploads through the server's artifact proxy, the version's source
    is mlflow-artifacts:/..., and `ferry models serve` pointed at the server fetches the files the
    same way, from a models:/ URI, the mlflow-artifacts:/ URI itself, or the proxy's http URL."""
    from support.server import Server
    d, e = _model(ferry, "reg")
    work = tempfile.mkdtemp(prefix="ferry-serve-proxy-")
    srv = Server(ferry, db=os.path.join(work, "t.db")).start()
    c = srv.client()
    try:
        info = c.create_run()["info"]
        rid, root = info["run_id"], info["artifact_uri"]
        assert root.startswith("mlflow-artifacts:/"), root
        rel = root[len("mlflow-artifacts:/"):].lstrip("/")
        for name in sorted(os.listdir(d)):
            with open(os.path.join(d, name), "rb") as f:
                r = c.raw("PUT", "/api/2.0/mlflow-artifacts/artifacts/%s/model/%s" % (rel, name),
                          f.read(), {"Content-Type": "application/octet-stream"})
            assert r.status == 200, r
        c.ok(c.post("registered-models/create", {"name": "proxied"}))
        source = root + "/model"
        c.ok(c.post("model-versions/create", {"name": "proxied", "source": source,
                                              "run_id": rid}))
        env = {"FERRY_TRACKING_URI": srv.url}
        proxied_url = "%s/api/2.0/mlflow-artifacts/artifacts/%s/model" % (srv.url, rel)
        for uri in ("models:/proxied/1", source, proxied_url):
            before = {n for n in os.listdir("/tmp") if n.startswith("ferry-model-")}
            s = Serve(ferry, uri, env=env)
            try:
                st, js, _ = s.req("POST", "/invocations", {"dataframe_split": {
                    "columns": e["columns"], "data": e["data"]}})
                assert st == 200 and _close(js["predictions"], e["predictions"], 1e-6), (uri, js)
            finally:
                assert s.stop() == 0
            # the download is removed when serving stops
            after = {n for n in os.listdir("/tmp") if n.startswith("ferry-model-")}
            assert after <= before, after - before
        # an embedded client cannot reach files a server keeps: it is told which URI to use
        r = subprocess.run([ferry, "models", "serve", "-m", source, "--port", "0"],
                           capture_output=True, timeout=60,
                           env=dict(os.environ, FERRY_TRACKING_URI=os.path.join(work, "x.db")))
        assert r.returncode == 1 and b"tracking URI" in r.stderr, r
        # a proxied path that is not there, an object store ferry does not read: clear errors
        r = subprocess.run([ferry, "models", "serve", "-m", source + "-missing", "--port", "0"],
                           capture_output=True, timeout=60, env=dict(os.environ, **env))
        assert r.returncode == 1 and b"MLmodel" in r.stderr, r
        r = subprocess.run([ferry, "models", "serve", "-m", "s3://bucket/model", "--port", "0"],
                           capture_output=True, timeout=60, env=dict(os.environ, **env))
        assert r.returncode == 1 and b"s3://bucket/model" in r.stderr, r
    finally:
        c.close()
        assert srv.stop() == 0


def test_serving_with_authentication(ferry):
    """`models serve --auth`: health checks stay open; scoring asks for the credentials of
    `ferry server`'s users (basic or token), and a registered model needs USE on it."""
    import base64
    d, e, env, cli = _registered(ferry, "guarded")
    # no users yet: an authenticating serve refuses to start, and says how to fix it
    r = cli("models", "serve", "-m", "models:/guarded/1", "--port", "0", "--auth")
    assert r.returncode == 1 and b"no users" in r.stderr, r
    for name, pw in (("scorer", b"s-pw\n"), ("reader", b"r-pw\n")):
        assert cli("users", "create", name, "--password-stdin", stdin=pw).returncode == 0
    r = cli("users", "grant", "scorer", "--model", "guarded", "USE")
    assert r.returncode == 0, r
    body = {"dataframe_split": {"columns": e["columns"], "data": e["data"]}}
    s = Serve(ferry, "models:/guarded/1", env=env, extra=["--auth"])

    def auth(user, pw):
        return {"Authorization": "Basic " + base64.b64encode(
            ("%s:%s" % (user, pw)).encode()).decode(), "Content-Type": "application/json"}

    def post(headers):
        s.conn.request("POST", "/invocations", body=json.dumps(body), headers=headers)
        r = s.conn.getresponse()
        return r.status, r.read()

    try:
        st, _, _ = s.req("GET", "/ping")
        assert st == 200  # load balancers carry no credentials
        st, js, _ = s.req("POST", "/invocations", body)
        assert st == 401 and js["error_code"] == "UNAUTHENTICATED", js
        st, out = post(auth("reader", "r-pw"))  # READ is not USE
        assert st == 403 and b"PERMISSION_DENIED" in out, out
        st, out = post(auth("scorer", "wrong"))
        assert st == 401, out
        st, out = post(auth("scorer", "s-pw"))
        assert st == 200 and _close(json.loads(out)["predictions"], e["predictions"], 1e-6)
        st, _, _ = s.req("GET", "/metrics")
        assert st == 401
    finally:
        assert s.stop() == 0


def test_serving_over_tls(ferry):
    """`models serve --tls-cert/--tls-key`: HTTPS with the server's own checks of the files."""
    import ssl
    d, e = _model(ferry, "binary")
    work = tempfile.mkdtemp(prefix="ferry-serve-tls-")
    cert, key = os.path.join(work, "c.pem"), os.path.join(work, "c.key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=120)
    proc = subprocess.Popen([ferry, "models", "serve", "-m", d, "--port", "0", "--tls-cert", cert,
                             "--tls-key", key], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        r, _, _ = select.select([proc.stdout], [], [], 60)
        line = proc.stdout.readline() if r else b""
        assert b"listening on https://127.0.0.1:" in line, (line, proc.stderr.read1())
        port = int(line.strip().rsplit(b":", 1)[1])
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=60,
                                           context=ssl.create_default_context(cafile=cert))
        conn.request("POST", "/invocations", json.dumps({"dataframe_split": {
            "columns": e["columns"], "data": e["data"]}}), {"Content-Type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 200 and _close(json.loads(resp.read())["predictions"],
                                             e["predictions"], 1e-6)
        conn.close()
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        proc.stdout.close()
        proc.stderr.close()
    p = subprocess.run([ferry, "models", "serve", "-m", d, "--port", "0", "--tls-cert", cert],
                       capture_output=True, timeout=60)
    assert p.returncode == 1 and b"go together" in p.stderr, p
