# SPDX-License-Identifier: MIT
"""What a web page a user opens cannot make `ferry server` do (DNS rebinding: the Host check;
cross-site requests: the Origin check, CORS, the simple content types refused on JSON rows),
what trusted proxies may say (--trusted-proxies), and HTTPS on the server itself (--tls-cert,
--tls-key) with Python's ssl and ferry's own client verifying a certificate made here."""
import http.client
import json
import os
import ssl
import subprocess
import tempfile
import time

from support.server import API, CREATED_DIRS, Server, expect_error

EVIL = "http://evil.example"


def _names(c):
    r = c.ok(c.post("experiments/search", {"max_results": 1000}))
    return {e["name"] for e in r.get("experiments", [])}


def _post(c, endpoint, doc, headers):
    return c.raw("POST", API + endpoint, json.dumps(doc), headers=headers)


def test_dns_rebinding_host_refused_before_anything(srv, c):
    before = _names(c)
    for method, path in (("GET", API + "experiments/search?max_results=1"), ("GET", "/health"),
                         ("GET", "/"), ("GET", "/no/such/path"),
                         ("POST", API + "experiments/create")):
        for host in ("evil.example", "evil.example:%d" % srv.port, "127.0.0.1.evil.example"):
            r = c.raw(method, path, json.dumps({"name": "rebound"}), headers={"Host": host})
            expect_error(r, 403, "PERMISSION_DENIED", "Invalid Host header")
    assert _names(c) == before
    # the names the server is reached by on loopback, port or not
    for host in ("127.0.0.1:%d" % srv.port, "127.0.0.1", "localhost:%d" % srv.port,
                 "LOCALHOST.", "[::1]:%d" % srv.port):
        r = c.raw("GET", "/health", headers={"Host": host})
        assert r.status == 200, (host, r)


def test_allowed_hosts_patterns_and_any(srv, c):
    s = Server(srv.ferry, extra=["--allowed-hosts",
                                 "ferry.example.com, *.corp.example,pinned.example:81"]).start()
    try:
        k = s.client()
        for host, want in (("ferry.example.com", 200), ("FERRY.example.com:5000", 200),
                           ("a.corp.example", 200), ("a.b.corp.example:1", 200),
                           ("corp.example", 403), ("xcorp.example", 403),
                           ("pinned.example:81", 200), ("pinned.example:82", 403),
                           ("pinned.example", 403), ("127.0.0.1", 403), ("evil.example", 403),
                           ("ferry.example.com:99999", 403), ("bad host", 403)):
            r = k.raw("GET", "/health", headers={"Host": host})
            assert r.status == want, (host, r)
        k.close()
    finally:
        assert s.stop() == 0
    s = Server(srv.ferry, extra=["--allowed-hosts", "*"]).start()
    try:
        assert s.client().raw("GET", "/health", headers={"Host": "anything.example"}).status == 200
    finally:
        assert s.stop() == 0
    for bad in ("", "a b", "*.", "http://x", "x:y"):
        p = subprocess.run([srv.ferry, "server", "--port", "0", "--allowed-hosts", bad],
                           capture_output=True, timeout=60, cwd=srv.dir)
        assert p.returncode != 0 and b"allowed" in p.stderr, (bad, p)


def test_bound_to_all_addresses_accepts_any_host_and_says_so(srv, c):
    s = Server(srv.ferry, extra=["--host", "0.0.0.0", "--no-auth"]).start()
    try:
        r = s.client().raw("GET", "/health", headers={"Host": "some-name.internal:%d" % s.port})
        assert r.status == 200, r
    finally:
        assert s.stop() == 0
    assert "any Host header is accepted" in s.stderr_tail(40), s.stderr_tail()


def test_cross_origin_writes_refused_reads_not_shared(srv, c):
    before = _names(c)
    doc = {"name": "cross-site"}
    for origin in (EVIL, "null", "http://127.0.0.1:%d.evil.example" % srv.port,
                   "http://127.0.0.1:%d" % (srv.port + 1 if srv.port < 65535 else 1),
                   "http://localhost"):
        for ctype in ("application/json", None):
            h = {"Origin": origin}
            if ctype:
                h["Content-Type"] = ctype
            expect_error(_post(c, "experiments/create", doc, h), 403, "PERMISSION_DENIED",
                         "cross-origin")
        r = c.raw("DELETE", API + "experiments/delete", json.dumps({"experiment_id": "0"}),
                  headers={"Origin": origin})
        expect_error(r, 403, "PERMISSION_DENIED")
    assert _names(c) == before
    # a read from a page elsewhere is answered, without letting the page read it
    r = c.raw("GET", API + "experiments/search?max_results=1", headers={"Origin": EVIL})
    assert r.status == 200 and "Access-Control-Allow-Origin" not in r.headers, r.headers
    # the server's own pages (the UI) write as before
    for host in ("127.0.0.1:%d" % srv.port, "localhost:%d" % srv.port):
        r = _post(c, "experiments/create", {"name": "same-" + host},
                  {"Origin": "http://" + host, "Host": host})
        assert r.status == 200 and "Access-Control-Allow-Origin" not in r.headers, r


def test_allowed_origins_get_cors_answers(srv, c):
    s = Server(srv.ferry, extra=["--cors-allowed-origins",
                                 "https://app.example.com, https://*.nb.example,http://localhost:*"])
    s.start()
    try:
        k = s.client()
        for origin in ("https://app.example.com", "https://a.nb.example", "http://localhost:8888"):
            r = _post(k, "experiments/create", {"name": "from " + origin}, {"Origin": origin})
            assert r.status == 200, (origin, r)
            assert r.headers.get("Access-Control-Allow-Origin") == origin, r.headers
            assert r.headers.get("Vary") == "Origin", r.headers
            r = k.raw("OPTIONS", API + "runs/create", headers={
                "Origin": origin, "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type, authorization"})
            assert r.status == 204, (origin, r)
            assert r.headers["Access-Control-Allow-Origin"] == origin, r.headers
            assert "POST" in r.headers["Access-Control-Allow-Methods"], r.headers
            assert r.headers["Access-Control-Allow-Headers"] == "content-type, authorization"
        for origin in ("http://app.example.com", "https://app.example.com:8443", "https://nb.example",
                       EVIL):
            expect_error(_post(k, "experiments/create", {"name": "x" + origin}, {"Origin": origin}),
                         403, "PERMISSION_DENIED")
            r = k.raw("OPTIONS", API + "runs/create", headers={
                "Origin": origin, "Access-Control-Request-Method": "POST"})
            expect_error(r, 403, "PERMISSION_DENIED")
        # an OPTIONS that is no preflight is what it was: not a method of the route
        assert k.raw("OPTIONS", API + "runs/create").status == 405
        k.close()
    finally:
        assert s.stop() == 0
    for bad in ("app.example.com", "ftp://x", "https://", "https://x/path", "http://*"):
        p = subprocess.run([srv.ferry, "server", "--port", "0", "--cors-allowed-origins", bad],
                           capture_output=True, timeout=60, cwd=srv.dir)
        assert p.returncode != 0 and b"invalid allowed origin" in p.stderr, (bad, p)


def test_simple_content_types_refused_on_json_rows(srv, c):
    before = _names(c)
    run = c.create_run()["info"]["run_id"]
    for ctype in ("text/plain", "text/plain;charset=UTF-8", "TEXT/PLAIN",
                  "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
        for prefix in (API, "/ajax-api/2.0/mlflow/"):
            r = c.raw("POST", prefix + "experiments/create", json.dumps({"name": "plain"}),
                      headers={"Content-Type": ctype})
            expect_error(r, 400, "INVALID_PARAMETER_VALUE", "application/json")
        r = c.raw("POST", API + "runs/log-metric", json.dumps(
            {"run_id": run, "key": "m", "value": 1, "timestamp": 1}), headers={"Content-Type": ctype})
        expect_error(r, 400, "INVALID_PARAMETER_VALUE")
    assert _names(c) == before
    assert c.ok(c.get("runs/get", {"run_id": run}))["run"]["data"].get("metrics", []) == []
    # JSON in any spelling, as before (no Content-Type at all: test_http.py)
    for i, ctype in enumerate(("application/json; charset=utf-8", "Application/JSON", "")):
        r = c.raw("POST", API + "experiments/create", json.dumps({"name": "json-%d" % i}),
                  headers={"Content-Type": ctype})
        assert r.status == 200, (ctype, r)
    # an artifact upload is a stream of bytes, whatever its type
    r = c.raw("PUT", "/api/2.0/mlflow-artifacts/artifacts/0/plain/a.txt", b"hello",
              headers={"Content-Type": "text/plain"})
    assert r.status == 200, r


def _own_log(srv):
    with open(srv.stderr_path, "rb") as f:
        return f.read().decode("utf-8", "replace")


def test_trusted_proxies_say_host_and_client(srv, c):
    s = Server(srv.ferry, extra=["--trusted-proxies", "127.0.0.0/8,::1",
                                 "--allowed-hosts", "ferry.example.com"]).start()
    try:
        k = s.client()
        ok = {"Host": "127.0.0.1:%d" % s.port, "X-Forwarded-Host": "ferry.example.com",
              "X-Forwarded-For": "203.0.113.9, 127.0.0.2", "X-Forwarded-Proto": "https"}
        r = k.raw("GET", "/health", headers=ok)
        assert r.status == 200, r
        # the page the proxy served is https://ferry.example.com: same origin
        r = _post(k, "experiments/create", {"name": "via-proxy"},
                  dict(ok, Origin="https://ferry.example.com"))
        assert r.status == 200, r
        expect_error(k.raw("GET", "/health", headers=dict(ok, **{
            "X-Forwarded-Host": "evil.example"})), 403, "PERMISSION_DENIED")
        r = k.raw("GET", "/version", headers={
            "Host": "x", "Forwarded": 'for="[2001:db8::7]:4711";host=ferry.example.com;proto=https'})
        assert r.status == 200, r
        k.close()
    finally:
        assert s.stop() == 0
    log = _own_log(s)
    assert '203.0.113.9 "GET /health"' in log, log[-2000:]
    assert '2001:db8::7 "GET /version"' in log, log[-2000:]
    # from a peer that is no trusted proxy, forwarding headers are nobody's word
    s = Server(srv.ferry, extra=["--trusted-proxies", "10.0.0.0/8"]).start()
    try:
        r = s.client().raw("GET", "/health", headers={
            "X-Forwarded-Host": "evil.example", "X-Forwarded-For": "198.51.100.1"})
        assert r.status == 200, r
        r = s.client().raw("GET", "/health", headers={
            "Host": "evil.example", "X-Forwarded-Host": "127.0.0.1"})
        expect_error(r, 403, "PERMISSION_DENIED")
    finally:
        assert s.stop() == 0
    log = _own_log(s)
    assert "198.51.100.1" not in log and '127.0.0.1 "GET /health"' in log, log[-2000:]
    for bad in ("10.0.0.0/33", "not-an-ip", "::1/129", "1.2.3.4/"):
        p = subprocess.run([srv.ferry, "server", "--port", "0", "--trusted-proxies", bad],
                           capture_output=True, timeout=60, cwd=srv.dir)
        assert p.returncode != 0 and b"invalid trusted proxy" in p.stderr, (bad, p)


def test_failed_logins_are_limited_per_forwarded_client(srv, c):
    s = Server(srv.ferry, extra=["--auth", "--trusted-proxies", "127.0.0.1"],
               env={"FERRY_ADMIN_PASSWORD": "right-password-1"}).start()
    try:
        k = s.client()
        bad = {"Authorization": "Basic YWRtaW46d3Jvbmc=", "X-Forwarded-For": "203.0.113.50"}
        statuses = [k.raw("GET", API + "experiments/search", headers=bad).status
                    for _ in range(11)]
        assert statuses[:10] == [401] * 10 and statuses[10] == 429, statuses
        # another client behind the same proxy is not locked out
        r = k.raw("GET", API + "experiments/search?max_results=1", headers={
            "Authorization": "Basic YWRtaW46cmlnaHQtcGFzc3dvcmQtMQ==",
            "X-Forwarded-For": "203.0.113.51"})
        assert r.status == 200, r
        k.close()
    finally:
        assert s.stop() == 0


def _make_cert(d, name="cert", cn="127.0.0.1"):
    cert, key = os.path.join(d, name + ".pem"), os.path.join(d, name + ".key")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=" + cn,
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
                   check=True, capture_output=True, timeout=120)
    return cert, key


def test_tls_round_trip(srv, c):
    d = tempfile.mkdtemp(prefix="ferry-tls-")
    CREATED_DIRS.append(d)
    cert, key = _make_cert(d)
    s = Server(srv.ferry, extra=["--tls-cert", cert, "--tls-key", key]).start()
    try:
        ctx = ssl.create_default_context(cafile=cert)
        conn = http.client.HTTPSConnection("127.0.0.1", s.port, context=ctx, timeout=60)
        conn.request("POST", API + "experiments/create", json.dumps({"name": "over-tls"}),
                     {"Content-Type": "application/json", "Origin": "https://127.0.0.1:%d" % s.port})
        r = conn.getresponse()
        body = json.loads(r.read())
        assert r.status == 200 and body["experiment_id"], (r.status, body)
        conn.request("GET", API + "experiments/get-by-name?experiment_name=over-tls")
        r = conn.getresponse()
        assert r.status == 200 and json.loads(r.read())["experiment"]["name"] == "over-tls"
        conn.close()
        # a client that does not trust the certificate stops
        conn = http.client.HTTPSConnection("127.0.0.1", s.port, timeout=60,
                                           context=ssl.create_default_context())
        try:
            conn.request("GET", "/health")
            raise AssertionError("an unverified certificate was accepted")
        except ssl.SSLError:
            pass
        finally:
            conn.close()
        # ferry's own client: MLflow's variables for a private CA, or no verification
        env = dict(os.environ, MLFLOW_TRACKING_URI="https://127.0.0.1:%d" % s.port)
        env.pop("FERRY_TRACKING_URI", None)
        for i, (extra, want) in enumerate((({"MLFLOW_TRACKING_SERVER_CERT_PATH": cert}, 0),
                                           ({"MLFLOW_TRACKING_INSECURE_TLS": "true"}, 0),
                                           ({}, 1))):
            p = subprocess.run([srv.ferry, "experiments", "create", "cli-tls-%d" % i],
                               capture_output=True, timeout=120, env=dict(env, **extra,
                               MLFLOW_HTTP_REQUEST_MAX_RETRIES="0"))
            assert (p.returncode == 0) == (want == 0), (extra, p)
    finally:
        assert s.stop() == 0
    assert "on https://127.0.0.1:%d" % s.port in _own_log(s), _own_log(s)[-2000:]


def test_tls_bad_files_are_said_at_start(srv, c):
    d = tempfile.mkdtemp(prefix="ferry-tls-")
    CREATED_DIRS.append(d)
    cert, key = _make_cert(d, "a")
    _, other_key = _make_cert(d, "b")
    garbage = os.path.join(d, "garbage.pem")
    with open(garbage, "w") as f:
        f.write("not a pem\n")
    cases = ((["--tls-cert", cert], "go together"),
             (["--tls-key", key], "go together"),
             (["--tls-cert", d + "/missing.pem", "--tls-key", key], "cannot read --tls-cert"),
             (["--tls-cert", cert, "--tls-key", d + "/missing.key"], "cannot read --tls-key"),
             (["--tls-cert", garbage, "--tls-key", key], "holds no PEM certificate"),
             (["--tls-cert", cert, "--tls-key", garbage], "holds no PEM private key"),
             (["--tls-cert", cert, "--tls-key", other_key], "is not the key of the certificate"))
    for args, want in cases:
        t0 = time.time()
        p = subprocess.run([srv.ferry, "server", "--port", "0", "--backend-store-uri",
                            os.path.join(d, "f.db")] + args,
                           capture_output=True, timeout=60, cwd=d)
        assert p.returncode == 1 and want.encode() in p.stderr, (args, p)
        assert time.time() - t0 < 30
