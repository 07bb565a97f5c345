# SPDX-License-Identifier: MIT
"""What a front server (`ferry server --backend-store-uri http://...`) sends its upstream and
how it takes the upstream's failures, against a scripted upstream (Python's http.server):
its own credentials from the environment, never the ones its clients send; the URI's
prefix; a user:password@ in the URI never in a message or the log; the upstream's MLflow
errors passed on as they are; a slow or broken upstream a bounded 503."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from support.server import Server, expect_error

OWN_SERVER = True
SET_TAG = "/api/2.0/mlflow/runs/set-tag"
TAG = json.dumps({"run_id": "0123456789abcdef0123456789abcdef", "key": "k", "value": "v"})


class Upstream:
    """Answers every request with (status, body) from answer(path), after `delay` seconds,
    and keeps (method, path, headers) of each."""

    def __init__(self, answer, delay=0.0):
        self.seen = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self):
                n = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(n)
                outer.seen.append((self.command, self.path, dict(self.headers)))
                time.sleep(delay)
                status, body = answer(self.path)
                data = body.encode("utf-8")
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json" if body[:1] == "{"
                                     else "text/html")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the front gave up waiting

            do_GET = do_POST = do_PATCH = do_DELETE = _any

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def _front(ferry, uri, **env):
    return Server(ferry, store=uri, env=dict({"FERRY_HTTP_REQUEST_MAX_RETRIES": "0"}, **env))


def _with(ferry, answer, uri_fmt, delay=0.0, **env):
    """(upstream, front) started; the caller stops both."""
    up = Upstream(answer, delay)
    front = _front(ferry, uri_fmt % up.port, **env)
    try:
        front.start()
    except Exception:
        up.close()
        raise
    return up, front


def _stop(up, front):
    up.close()
    assert front.stop() == 0, front.stderr_tail()


def test_credentials_are_the_fronts_own_and_the_prefix_is_kept(ferry):
    up, front = _with(ferry, lambda p: (200, "{}"), "http://127.0.0.1:%d/prefix",
                      FERRY_TRACKING_TOKEN="front-token", MLFLOW_TRACKING_TOKEN="not-this-one")
    try:
        c = front.client()
        r = c.raw("POST", SET_TAG, TAG, {"Authorization": "Basic dXNlcjpwYXNzd29yZA==",
                                         "Cookie": "session=abc"})
        assert r.status == 200 and r.json == {}, r
        (method, path, headers), = up.seen
        assert (method, path) == ("POST", "/prefix" + SET_TAG)
        assert headers.get("Authorization") == "Bearer front-token", headers
        assert "Cookie" not in headers and "password" not in json.dumps(headers)
        c.close()
    finally:
        _stop(up, front)


def test_credentials_in_the_uri_never_show(ferry):
    up, front = _with(ferry, lambda p: (502, "<html>bad gateway</html>"),
                      "http://alice:s3c%%40ret@127.0.0.1:%d/pre")
    try:
        c = front.client()
        msg = expect_error(c.raw("POST", SET_TAG, TAG), 503, "TEMPORARILY_UNAVAILABLE",
                           "http://127.0.0.1:%d/pre" % up.port)
        assert "s3c" not in msg and "alice" not in msg, msg
        # curl sends them, decoded: alice:s3c@ret
        assert up.seen[0][2].get("Authorization") == "Basic YWxpY2U6czNjQHJldA==", up.seen
        c.close()
    finally:
        _stop(up, front)
    with open(front.stderr_path, "rb") as f:
        log = f.read()
    assert b"s3c" not in log and b"http://127.0.0.1:%d/pre" % up.port in log


def test_upstream_errors_pass_as_they_are(ferry):
    answers = {
        "/api/2.0/mlflow/runs/get": (404, json.dumps({
            "error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Run 'x' not found upstream"})),
        SET_TAG: (429, json.dumps({"error_code": "REQUEST_LIMIT_EXCEEDED",
                                   "message": "slow down"})),
        "/api/2.0/mlflow/experiments/create": (403, json.dumps({
            "error_code": "PERMISSION_DENIED", "message": "not yours"})),
    }
    up, front = _with(ferry, lambda p: answers[p.split("?")[0]], "http://127.0.0.1:%d")
    try:
        c = front.client()
        r = c.get("runs/get", {"run_id": "x"})
        assert (r.status, r.json) == (404, json.loads(answers["/api/2.0/mlflow/runs/get"][1]))
        expect_error(c.raw("POST", SET_TAG, TAG), 429, "REQUEST_LIMIT_EXCEEDED", "slow down")
        expect_error(c.post("experiments/create", {"name": "e"}), 403, "PERMISSION_DENIED",
                     "not yours")
        c.close()
    finally:
        _stop(up, front)


def test_a_slow_upstream_is_a_bounded_503(ferry):
    up, front = _with(ferry, lambda p: (200, "{}"), "http://127.0.0.1:%d", delay=3.0,
                      FERRY_HTTP_REQUEST_TIMEOUT="1")
    try:
        c = front.client()
        t0 = time.time()
        msg = expect_error(c.raw("POST", SET_TAG, TAG), 503, "TEMPORARILY_UNAVAILABLE")
        assert time.time() - t0 < 2.5, time.time() - t0
        assert "runs/set-tag" in msg and "timed out" in msg.lower(), msg
        r = c.raw("GET", "/health")
        assert r.status == 200, r
        c.close()
    finally:
        _stop(up, front)


def test_an_answer_that_is_not_the_api_is_a_503(ferry):
    up, front = _with(ferry, lambda p: (200, "not json"), "http://127.0.0.1:%d")
    try:
        c = front.client()
        expect_error(c.get("runs/get", {"run_id": "x"}), 503, "TEMPORARILY_UNAVAILABLE",
                     "invalid JSON")
        c.close()
    finally:
        _stop(up, front)
