# SPDX-License-Identifier: MIT
"""A real `ferry server` on a free 127.0.0.1 port, and a keep-alive client."""
import http.client
import json
import os
import select
import signal
import subprocess
import tempfile
import time
import urllib.parse

API = "/api/2.0/mlflow/"
AJAX = "/ajax-api/2.0/mlflow/"
# Substrings that betray store internals in an error message (checked case-insensitively).
LEAKS = ("select ", "insert into", "update runs", "sqlite", "constraint failed",
         "no such table", "no such column", "exists (")


# Every server's scratch directory; run.py removes them when the whole suite passed.
CREATED_DIRS = []

# The backend a Server with no database of its own runs on: SQLite, or, when
# FERRY_E2E_PG_DIR names a running throwaway cluster (tests/pg/cluster), a
# fresh PostgreSQL database in it per server.
PG_DIR = os.environ.get("FERRY_E2E_PG_DIR", "")
CLUSTER = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "pg", "cluster")
_pg_count = [0]


def on_postgres():
    return bool(PG_DIR)


def pg_database(owner=None):
    """The URI of a new, empty database in the test cluster (owned by owner, else postgres)."""
    _pg_count[0] += 1
    name = "e2e_%d_%d" % (os.getpid(), _pg_count[0])
    out = subprocess.run([CLUSTER, "createdb", PG_DIR, name] + ([owner] if owner else []),
                         check=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return out.stdout.decode().strip()


class SqliteOnly(Exception):
    """Raised by a test that reads or writes the SQLite file itself; run.py
    counts it as skipped on other backends."""


class Server:
    """Starts `ferry server` on a fresh (or given) database, or on another backend store
    (store: a URI); env adds to the environment; stop() returns the exit status."""

    def __init__(self, ferry, db=None, extra=(), store=None, env=None):
        self.ferry = ferry
        self.dir = tempfile.mkdtemp(prefix="ferry-e2e-")
        CREATED_DIRS.append(self.dir)
        if not db and not store and on_postgres():
            self.db = None
            self.store = pg_database()
        else:
            self.db = db or os.path.join(self.dir, "ferry.db")
            self.store = store or "sqlite://" + self.db
        self.env = dict(os.environ, **(env or {}))
        self.stderr_path = os.path.join(self.dir, "server.err")
        self.extra = list(extra)
        self.proc = None
        self.port = None

    def start(self, timeout=None, port=0):
        """Starts on port (0: a free one). A PostgreSQL store is created on the first start,
        which takes longer on a loaded machine."""
        timeout = timeout or (60 if on_postgres() else 30)
        self.err = open(self.stderr_path, "ab")
        self.proc = subprocess.Popen(
            [self.ferry, "server", "--host", "127.0.0.1", "--port", str(port),
             "--backend-store-uri", self.store] + self.extra,
            stdout=subprocess.PIPE, stderr=self.err, cwd=self.dir, env=self.env)
        deadline = time.time() + timeout
        line = b""
        fd = self.proc.stdout.fileno()
        while time.time() < deadline:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.time()))
            if not ready:
                break
            line = self.proc.stdout.readline()
            if b"listening on" in line or not line:
                break
        if b"listening on" not in line:
            self.stop(signal.SIGKILL)
            raise RuntimeError("server did not start within %ds: %r\n%s" % (
                timeout, line, self.stderr_tail()))
        self.port = int(line.strip().rsplit(b":", 1)[1])
        return self

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def client(self):
        return Client(self.port)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if not self.proc:
            return 0
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.proc.stdout.close()
        self.err.close()
        self.proc = None
        return rc

    def kill(self):
        return self.stop(signal.SIGKILL)

    def stderr_tail(self, n=30):
        try:
            with open(self.stderr_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-n:]).decode("utf-8", "replace")
        except OSError:
            return ""


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:300])


class Client:
    """One keep-alive HTTP/1.1 connection; reconnects if the server closed it."""

    def __init__(self, port, timeout=60):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        self.connects = 0

    def raw(self, method, path, body=None, headers=None):
        h = {"Content-Type": "application/json"}
        h.update(headers or {})
        for attempt in range(2):
            try:
                if self.conn.sock is None:
                    self.connects += 1
                self.conn.request(method, path, body=body, headers=h)
                r = self.conn.getresponse()
                data = r.read()
                return Response(r.status, dict(r.getheaders()), data)
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                if attempt:
                    raise

    def post(self, endpoint, doc=None, prefix=API):
        return self.raw("POST", prefix + endpoint, json.dumps(doc if doc is not None else {}))

    def get(self, endpoint, params=None, prefix=API):
        q = urllib.parse.urlencode(params or {}, doseq=True)
        return self.raw("GET", prefix + endpoint + ("?" + q if q else ""))

    def close(self):
        self.conn.close()

    # conveniences that assert success
    def ok(self, r):
        assert r.status == 200, "expected 200, got %r" % r
        return r.json

    def create_experiment(self, name, **kw):
        kw["name"] = name
        return self.ok(self.post("experiments/create", kw))["experiment_id"]

    def create_run(self, exp="0", **kw):
        kw["experiment_id"] = exp
        return self.ok(self.post("runs/create", kw))["run"]

    def get_run(self, run_id):
        return self.ok(self.get("runs/get", {"run_id": run_id}))["run"]

    def log_batch(self, run_id, metrics=(), params=(), tags=()):
        return self.ok(self.post("runs/log-batch", {
            "run_id": run_id, "metrics": list(metrics), "params": list(params),
            "tags": list(tags)}))

    def history(self, run_id, key):
        r = self.ok(self.get("metrics/get-history", {"run_id": run_id, "metric_key": key}))
        return r.get("metrics", [])


def header(r, name):
    for k, v in r.headers.items():
        if k.lower() == name.lower():
            return v
    return ""


def check_utf8(r):
    try:
        r.body.decode("utf-8")
    except UnicodeDecodeError as e:
        raise AssertionError("%d response body is not valid UTF-8 (%s): %r" % (
            r.status, e, r.body[max(0, e.start - 60):e.start + 20]))


def check_error_shape(r):
    """Any error: a JSON object {error_code, message} served as application/json, no internals."""
    assert header(r, "Content-Type").startswith("application/json"), \
        "error without a JSON content type: %r %r" % (r, r.headers)
    check_utf8(r)
    assert isinstance(r.json, dict), "error body is not a JSON object: %r" % r
    assert set(r.json) == {"error_code", "message"}, "unexpected error fields in %r" % r
    msg = r.json.get("message")
    assert isinstance(msg, str) and msg, "empty error message in %r" % r
    low = msg.lower()
    for leak in LEAKS:
        assert leak not in low, "internals (%r) leaked into %r" % (leak, msg)
    return msg


def expect_error(r, status, code, contains=None):
    if isinstance(status, int):
        status = (status,)
    if isinstance(code, str):
        code = (code,)
    assert r.status in status, "expected %s %s, got %r" % ("/".join(map(str, status)),
                                                          "/".join(code), r)
    check_utf8(r)
    assert r.json and r.json.get("error_code") in code, "expected %s, got %r" % (
        "/".join(code), r)
    msg = check_error_shape(r)
    if contains:
        assert contains in msg, "%r not in %r" % (contains, msg)
    return msg
