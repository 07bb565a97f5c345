# SPDX-License-Identifier: MIT
"""The artifact proxy (/api/2.0/mlflow-artifacts/) and artifacts/list over real HTTP: round
trips, a traversal catalogue that must leave the file system untouched, interrupted uploads,
a large file with the server's memory watched, and the CLI through both transports."""
import hashlib
import http.client
import json
import os
import socket
import subprocess
import tempfile
import time
import urllib.parse

from support.server import Server, expect_error, check_error_shape

PROXY = "/api/2.0/mlflow-artifacts/artifacts/"


def _root(srv):
    return os.path.join(srv.dir, "mlartifacts")


def _run(c):
    info = c.create_run()["info"]
    assert info["artifact_uri"] == "mlflow-artifacts:/0/%s/artifacts" % info["run_id"], info
    return info["run_id"], "0/%s/artifacts" % info["run_id"]


def _put(c, path, data, quote=True):
    url = PROXY + (urllib.parse.quote(path) if quote else path)
    return c.raw("PUT", url, body=data, headers={"Content-Type": "application/octet-stream"})


def _get(c, path, quote=True):
    return c.raw("GET", PROXY + (urllib.parse.quote(path) if quote else path))


def _tree(top):
    """Every file below top with its size and mtime, and every directory."""
    out = {}
    for d, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(d, n)
            st = os.lstat(p)
            out[os.path.relpath(p, top)] = (st.st_size, st.st_mtime_ns, st.st_mode)
    return out


def test_round_trips_through_the_proxy(srv, c):
    rid, base = _run(c)
    blob = os.urandom(5 * 1024 * 1024 + 3)
    files = {
        "empty.txt": b"",
        "hello.txt": b"hello\n",
        "model/MLmodel": b"artifact_path: model\nflavors: {}\n",
        "data/blob.bin": blob,
        "dir with space/名前 ü.json": b'{"a": 1}',
    }
    for name, data in files.items():
        r = _put(c, base + "/" + name, data)
        assert r.status == 200 and r.json == {}, (name, r)
        # what the server stored, for the client to compare with what it sent
        assert r.headers.get("X-Ferry-Sha256") == hashlib.sha256(data).hexdigest(), r.headers
    for name, data in files.items():
        r = _get(c, base + "/" + name)
        assert r.status == 200, (name, r)
        assert r.body == data, "%s: %d bytes back for %d" % (name, len(r.body), len(data))
        assert r.headers.get("X-Content-Type-Options") == "nosniff"
        assert "attachment" in r.headers.get("Content-Disposition", "")
    assert _get(c, base + "/hello.txt").headers["Content-Type"].startswith("text/plain")
    assert _get(c, base + "/data/blob.bin").headers["Content-Type"] == "application/octet-stream"
    # an HTML upload is never served as HTML
    _put(c, base + "/page.html", b"<script>alert(1)</script>")
    assert "html" not in _get(c, base + "/page.html").headers["Content-Type"]
    # the proxy's own listing: names inside the directory, sorted
    r = c.ok(c.get("", {"path": base}, prefix=PROXY[:-1]))
    assert [f["path"] for f in r["files"]] == sorted(
        ["data", "dir with space", "empty.txt", "hello.txt", "model", "page.html"]), r
    sizes = {f["path"]: f.get("file_size") for f in r["files"]}
    assert sizes["hello.txt"] == 6 and sizes["data"] is None
    # the run's listing: paths from the run's root
    r = c.ok(c.get("artifacts/list", {"run_id": rid, "path": "data"}))
    assert r["root_uri"] == "mlflow-artifacts:/" + base
    assert r["files"] == [{"path": "data/blob.bin", "is_dir": False, "file_size": len(blob)}]
    r = c.ok(c.get("artifacts/list", {"run_id": rid}))
    assert {f["path"] for f in r["files"]} >= {"model", "hello.txt", "dir with space"}
    # a run without artifacts, and a directory that is not there, list nothing
    rid2, _ = _run(c)
    assert c.ok(c.get("artifacts/list", {"run_id": rid2})) == {
        "root_uri": "mlflow-artifacts:/0/%s/artifacts" % rid2}
    assert "files" not in c.ok(c.get("artifacts/list", {"run_id": rid, "path": "nope"}))
    # the same over POST and under /ajax-api
    r = c.ok(c.post("artifacts/list", {"run_id": rid, "path": "model"}))
    assert r["files"][0]["path"] == "model/MLmodel"
    r = c.raw("GET", "/ajax-api/2.0/mlflow-artifacts/artifacts/" + urllib.parse.quote(
        base + "/hello.txt"))
    assert r.status == 200 and r.body == b"hello\n"


def test_replace_delete_and_missing(srv, c):
    _, base = _run(c)
    assert _put(c, base + "/f.txt", b"one").status == 200
    assert _put(c, base + "/f.txt", b"two!").status == 200
    assert _get(c, base + "/f.txt").body == b"two!"
    expect_error(_get(c, base + "/missing.txt"), 404, "RESOURCE_DOES_NOT_EXIST")
    assert _put(c, base + "/d/x.txt", b"x").status == 200
    expect_error(_get(c, base + "/d"), 400, "INVALID_PARAMETER_VALUE", "directory")
    r = c.raw("DELETE", PROXY + base + "/d")
    assert r.status == 200 and r.json == {}, r
    expect_error(_get(c, base + "/d/x.txt"), 404, "RESOURCE_DOES_NOT_EXIST")
    expect_error(c.raw("DELETE", PROXY + base + "/d"), 404, "RESOURCE_DOES_NOT_EXIST")
    assert c.raw("DELETE", PROXY + base + "/f.txt").status == 200
    # methods and endpoints the proxy does not have
    expect_error(c.raw("POST", PROXY + base + "/f.txt", body=b"x"), 405, "BAD_REQUEST")
    expect_error(c.raw("GET", "/api/2.0/mlflow-artifacts/nothing"), 404, "ENDPOINT_NOT_FOUND")
    # multipart upload: refused as MLflow refuses it for a local destination
    r = c.raw("POST", "/api/2.0/mlflow-artifacts/mpu/create/" + base + "/big.bin", body=b"{}")
    check_error_shape(r)
    assert r.status == 501 and r.json["error_code"] == "NOT_IMPLEMENTED", r


# Raw request paths (sent as they are, no client-side normalisation) that must be refused.
TRAVERSAL = [
    "../../canary/owned.txt",
    "0/../../canary/owned.txt",
    "..%2f..%2fcanary%2fowned.txt",
    "%2e%2e/%2e%2e/canary/owned.txt",
    "%2E%2E%2F%2E%2E%2Fcanary%2Fowned.txt",
    "%252e%252e%252f%252e%252e%252fcanary%252fowned.txt",
    "%25252e%25252e/%25252e%25252e/canary/owned.txt",
    "..%5c..%5ccanary%5cowned.txt",
    "..\\..\\canary\\owned.txt",
    "%2fetc%2fpasswd",
    "/etc/passwd",
    "//etc/passwd",
    "C:%5cWindows%5cwin.ini",
    "c:/x",
    "model%23/../../../canary/owned.txt",
    "a/./b",
    "a//b",
    "a/%00/b",
    "%00",
    "a%0ab",
    "%c0%ae%c0%ae/%c0%ae%c0%ae/canary/owned.txt",
    "a/" + "%2e" * 2,
]


def test_traversal_catalogue_is_refused_and_touches_nothing(srv, c):
    _, base = _run(c)
    assert _put(c, base + "/keep.txt", b"keep").status == 200
    canary = os.path.join(srv.dir, "canary")
    os.makedirs(canary, exist_ok=True)
    with open(os.path.join(canary, "secret.txt"), "w") as f:
        f.write("secret")
    before_outside = _tree(canary)
    before_root = _tree(_root(srv))
    problems = []
    for p in TRAVERSAL:
        for method, body in (("PUT", b"owned"), ("GET", None), ("DELETE", None)):
            r = c.raw(method, PROXY + p, body=body,
                      headers={"Content-Type": "application/octet-stream"})
            if r.status not in (400, 404) or not r.json or r.json.get("error_code") not in (
                    "INVALID_PARAMETER_VALUE", "ENDPOINT_NOT_FOUND"):
                problems.append("%s %s -> %r" % (method, p, r))
        r = c.raw("GET", "/api/2.0/mlflow-artifacts/artifacts?path=" + p)
        if r.status != 400:
            problems.append("list %s -> %r" % (p, r))
    # the run's listing takes the same paths
    for p in ("../..", "..%2f..", "a/../../b", "/etc"):
        r = c.get("artifacts/list", {"run_id": base.split("/")[1], "path": p})
        if r.status != 400:
            problems.append("artifacts/list path=%s -> %r" % (p, r))
    assert not problems, "\n".join(problems)
    assert _tree(canary) == before_outside, "the file system outside the root changed"
    assert _tree(_root(srv)) == before_root, "the artifact root changed"
    assert not os.path.exists(os.path.join(srv.dir, "owned.txt"))
    assert _get(c, base + "/keep.txt").body == b"keep"


def test_symlink_inside_the_root_does_not_lead_out(srv, c):
    _, base = _run(c)
    assert _put(c, base + "/x.txt", b"x").status == 200
    outside = tempfile.mkdtemp(prefix="ferry-outside-")
    with open(os.path.join(outside, "secret.txt"), "w") as f:
        f.write("secret")
    os.symlink(outside, os.path.join(_root(srv), base, "escape"))
    expect_error(_get(c, base + "/escape/secret.txt"), 400, "INVALID_PARAMETER_VALUE")
    expect_error(_put(c, base + "/escape/new.txt", b"owned"), 400, "INVALID_PARAMETER_VALUE")
    expect_error(c.raw("DELETE", PROXY + base + "/escape/secret.txt"), 400,
                 "INVALID_PARAMETER_VALUE")
    assert os.listdir(outside) == ["secret.txt"]
    os.unlink(os.path.join(_root(srv), base, "escape"))
    os.unlink(os.path.join(outside, "secret.txt"))
    os.rmdir(outside)


def _part_files(top):
    return [p for p in _tree(top) if os.path.basename(p).startswith(".ferry-part-")]


def test_interrupted_upload_leaves_no_file(srv, c):
    _, base = _run(c)
    for sent in (0, 1, 1024 * 1024):
        path = base + "/cut-%d.bin" % sent
        s = socket.create_connection(("127.0.0.1", srv.port))
        s.sendall(("PUT %s%s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % (
            PROXY, path, 10 * 1024 * 1024)).encode())
        s.sendall(b"z" * sent)
        time.sleep(0.1)
        s.close()  # the client dies mid-stream
        expect_error(_get(c, path), 404, "RESOURCE_DOES_NOT_EXIST")
    deadline = time.time() + 5
    while _part_files(_root(srv)) and time.time() < deadline:
        time.sleep(0.05)
    assert not _part_files(_root(srv)), _part_files(_root(srv))
    r = c.ok(c.get("", {"path": base}, prefix=PROXY[:-1]))
    assert "files" not in r, r


def _vm(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def test_large_file_streams_with_small_server_memory(srv, c):
    """FERRY_E2E_LARGE_MB (default 1024) through the proxy and back, hashed on both sides."""
    mb = int(os.environ.get("FERRY_E2E_LARGE_MB", "1024"))
    _, base = _run(c)
    chunk = os.urandom(1024 * 1024)
    rss_before = _vm(srv.proc.pid, "VmRSS")
    conn = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=300)
    sent = hashlib.sha256()

    def body():
        for i in range(mb):
            block = chunk[i % 251:] + chunk[:i % 251]
            sent.update(block)
            yield block

    conn.request("PUT", PROXY + base + "/large.bin", body=body(),
                 headers={"Content-Length": str(mb * 1024 * 1024)})
    r = conn.getresponse()
    assert r.status == 200, (r.status, r.read()[:300])
    r.read()
    peak_up = _vm(srv.proc.pid, "VmRSS")
    conn.request("GET", PROXY + base + "/large.bin")
    r = conn.getresponse()
    assert r.status == 200 and int(r.getheader("Content-Length")) == mb * 1024 * 1024
    got = hashlib.sha256()
    n = 0
    while True:
        block = r.read(1024 * 1024)
        if not block:
            break
        got.update(block)
        n += len(block)
    conn.close()
    assert n == mb * 1024 * 1024 and got.hexdigest() == sent.hexdigest()
    # constant memory: the server grows by far less than the file (ASan build included)
    grown = max(peak_up, _vm(srv.proc.pid, "VmRSS")) - rss_before
    assert grown < 64 * 1024 * 1024, "server RSS grew by %d MB for a %d MB file" % (
        grown // (1024 * 1024), mb)
    os.unlink(os.path.join(_root(srv), base, "large.bin"))


def _ferry(srv, *args, uri=None, cwd=None):
    env = dict(os.environ, FERRY_TRACKING_URI=uri or srv.url)
    return subprocess.run([srv.ferry] + list(args), env=env, cwd=cwd, capture_output=True,
                          timeout=120)


def _make_tree(top):
    os.makedirs(os.path.join(top, "sub", "deeper"))
    files = {"a.txt": b"a\n", "sub/b.bin": os.urandom(300000),
             "sub/deeper/c d ü.txt": "ünïcode\n".encode(), "empty": b""}
    for p, data in files.items():
        with open(os.path.join(top, p), "wb") as f:
            f.write(data)
    return files


def _check_tree(top, files):
    for p, data in files.items():
        with open(os.path.join(top, p), "rb") as f:
            assert f.read() == data, p
    assert sorted(os.path.relpath(os.path.join(d, n), top) for d, _, fs in os.walk(top)
                  for n in fs) == sorted(files)


def test_cli_round_trip_over_rest_and_embedded(srv, c):
    work = tempfile.mkdtemp(prefix="ferry-cli-art-")
    files = _make_tree(os.path.join(work, "src"))
    db = os.path.join(work, "embedded.db")
    # a run in the embedded database (made by a short-lived server on that file, so its
    # artifact_uri is a local directory beside the database)
    maker = Server(srv.ferry, db=db, extra=["--no-serve-artifacts"]).start()
    mc = maker.client()
    local_rid = mc.create_run()["info"]["run_id"]
    mc.close()
    assert maker.stop() == 0
    for uri, rid in ((srv.url, c.create_run()["info"]["run_id"]), ("sqlite://" + db, local_rid)):
        r = _ferry(srv, "artifacts", "log", rid, os.path.join(work, "src"), "--artifact-path",
                   "tree", uri=uri, cwd=work)
        assert r.returncode == 0, r.stderr
        r = _ferry(srv, "artifacts", "list", rid, "tree", "--json", uri=uri, cwd=work)
        assert r.returncode == 0, r.stderr
        listed = json.loads(r.stdout)["files"]
        assert [f["path"] for f in listed] == ["tree/a.txt", "tree/empty", "tree/sub"], listed
        dst = os.path.join(work, "dl-" + uri[:4])
        r = _ferry(srv, "artifacts", "download", rid, "tree", "--dst", dst, uri=uri, cwd=work)
        assert r.returncode == 0, r.stderr
        _check_tree(dst, files)
        # one file on its own
        r = _ferry(srv, "artifacts", "download", rid, "tree/sub/b.bin", "--dst", dst + "1",
                   uri=uri, cwd=work)
        assert r.returncode == 0, r.stderr
        with open(os.path.join(dst + "1", "b.bin"), "rb") as f:
            assert f.read() == files["sub/b.bin"]
        # bad input: a clear message, exit 1
        r = _ferry(srv, "artifacts", "log", rid, os.path.join(work, "nope"), uri=uri, cwd=work)
        assert r.returncode == 1 and b"nope" in r.stderr, r
        r = _ferry(srv, "artifacts", "download", rid, "../x", "--dst", dst, uri=uri, cwd=work)
        assert r.returncode == 1 and b"invalid artifact path" in r.stderr, r


def test_server_without_artifact_serving(srv, c):
    other = Server(srv.ferry, extra=["--no-serve-artifacts"]).start()
    try:
        oc = other.client()
        r = oc.raw("PUT", PROXY + "0/x/artifacts/f.txt", body=b"x")
        expect_error(r, 404, "ENDPOINT_NOT_FOUND", "artifacts")
        info = oc.create_run()["info"]
        assert not info["artifact_uri"].startswith("mlflow-artifacts:"), info
        oc.close()
    finally:
        assert other.stop() == 0


def test_gc_removes_deleted_runs_and_their_artifacts_only(srv, c):
    keep_rid, keep = _run(c)
    gone_rid, gone = _run(c)
    for base in (keep, gone):
        assert _put(c, base + "/model/weights.bin", os.urandom(1000)).status == 200
    c.ok(c.post("runs/delete", {"run_id": gone_rid}))
    root = _root(srv)
    db = srv.store

    def gc(*args):
        return subprocess.run([srv.ferry, "gc", "--backend-store-uri", db,
                               "--artifacts-destination", root] + list(args),
                              capture_output=True, timeout=60, cwd=srv.dir)

    r = gc("--dry-run")
    assert r.returncode == 0 and gone_rid.encode() in r.stdout and keep_rid.encode() not in \
        r.stdout, r
    assert os.path.exists(os.path.join(root, gone, "model", "weights.bin"))
    r = gc("--older-than", "1d")  # deleted just now: not old enough
    assert r.returncode == 0 and b"0 runs" in r.stdout, r
    assert os.path.exists(os.path.join(root, gone, "model", "weights.bin"))
    r = gc()
    assert r.returncode == 0, r
    assert ("purged run %s (artifacts: removed)" % gone_rid).encode() in r.stdout, r.stdout
    assert not os.path.exists(os.path.join(root, "0", gone_rid)), "deleted run's files remain"
    expect_error(c.get("runs/get", {"run_id": gone_rid}), 404, "RESOURCE_DOES_NOT_EXIST")
    # the active run and its files are untouched
    assert _get(c, keep + "/model/weights.bin").status == 200
    assert c.get_run(keep_rid)["info"]["lifecycle_stage"] == "active"
    # a second gc has nothing left to do; bad options are usage errors
    r = gc()
    assert r.returncode == 0 and b"0 runs" in r.stdout, r
    r = gc("--older-than", "soon")
    assert r.returncode == 2 and b"older-than" in r.stderr, r
    # through the server (the one change here): the server's own destination, so
    # naming another is a usage error
    r = subprocess.run([srv.ferry, "gc", "--backend-store-uri", srv.url,
                        "--artifacts-destination", root], capture_output=True)
    assert r.returncode == 2 and b"server's own" in r.stderr, r


def test_gc_through_the_server(srv, c):
    """`ferry gc` with an http:// tracking URI: the server purges deleted runs in its own store
    and their proxied files in its own destination (POST /api/2.0/ferry/gc), reported as the
    file-based gc reports."""
    keep_rid, keep = _run(c)
    gone_rid, gone = _run(c)
    for base in (keep, gone):
        assert _put(c, base + "/model/weights.bin", os.urandom(1000)).status == 200
    c.ok(c.post("runs/delete", {"run_id": gone_rid}))
    root = _root(srv)
    env = dict(os.environ, FERRY_TRACKING_URI=srv.url)

    def gc(*args):
        return subprocess.run([srv.ferry, "gc"] + list(args), capture_output=True, timeout=60,
                              cwd=tempfile.mkdtemp(prefix="ferry-gc-cwd-"), env=env)

    r = gc("--dry-run")
    assert r.returncode == 0 and ("would purge run %s" % gone_rid).encode() in r.stdout, r
    assert keep_rid.encode() not in r.stdout and os.path.exists(os.path.join(root, gone))
    r = gc("--run-ids", keep_rid)  # an active run is never a candidate
    assert r.returncode == 0 and b"0 runs and 0 experiments purged" in r.stdout, r
    r = gc()
    assert r.returncode == 0, r
    assert ("purged run %s (artifacts: removed)" % gone_rid).encode() in r.stdout, r.stdout
    assert not os.path.exists(os.path.join(root, "0", gone_rid)), "deleted run's files remain"
    expect_error(c.get("runs/get", {"run_id": gone_rid}), 404, "RESOURCE_DOES_NOT_EXIST")
    assert _get(c, keep + "/model/weights.bin").status == 200
    # the operation itself: a bad argument is MLflow's JSON error
    expect_error(c.raw("POST", "/api/2.0/ferry/gc", json.dumps({"older_than_ms": -5})), 400,
                 "INVALID_PARAMETER_VALUE")
    expect_error(c.raw("GET", "/api/2.0/ferry/gc"), 405, "BAD_REQUEST")


def test_gc_sweeps_uploads_a_killed_server_left(srv, c):
    _, base = _run(c)
    assert _put(c, base + "/kept.bin", b"x").status == 200
    d = os.path.join(_root(srv), base)
    stale = os.path.join(d, ".ferry-part-" + "a" * 32)
    fresh = os.path.join(d, ".ferry-part-" + "b" * 32)
    for p in (stale, fresh):
        with open(p, "wb") as f:
            f.write(b"half an upload")
    old = time.time() - 2 * 3600
    os.utime(stale, (old, old))
    # a symlinked directory is not followed
    outside = tempfile.mkdtemp(prefix="ferry-gc-outside-")
    victim = os.path.join(outside, ".ferry-part-" + "c" * 32)
    with open(victim, "wb") as f:
        f.write(b"not ours")
    os.utime(victim, (old, old))
    os.symlink(outside, os.path.join(d, "link"))

    def gc(*args):
        return subprocess.run([srv.ferry, "gc", "--backend-store-uri", srv.store,
                               "--artifacts-destination", _root(srv)] + list(args),
                              capture_output=True, timeout=60, cwd=srv.dir)

    r = gc("--dry-run")
    assert r.returncode == 0 and b"would remove 1 unfinished upload" in r.stdout, r
    assert os.path.exists(stale)
    r = gc()
    assert r.returncode == 0 and b"1 unfinished upload removed" in r.stdout, r
    assert not os.path.exists(stale) and os.path.exists(fresh) and os.path.exists(victim)
    assert _get(c, base + "/kept.bin").body == b"x"
    os.unlink(fresh)
    os.unlink(os.path.join(d, "link"))


def test_get_artifact_reads_proxied_and_local_roots(srv, c):
    """MLflow's GET /get-artifact?run_id=&path= (what the web UI reads): a proxied run's file, a
    file of a run whose root is a local directory, and clear errors for everything else."""
    rid, rel = _run(c)
    assert _put(c, rel + "/dir/a.json", b'{"x": 1}').status == 200
    q = lambda **kw: "/get-artifact?" + urllib.parse.urlencode(kw)
    r = c.raw("GET", q(run_id=rid, path="dir/a.json"))
    assert r.status == 200 and r.body == b'{"x": 1}', r
    # MLflow's type table: .json is one of its text extensions
    assert r.headers["Content-Type"] == "text/plain" and r.headers[
        "Content-Disposition"] == "attachment; filename=a.json", r.headers
    assert c.raw("GET", q(run_uuid=rid, path="dir/a.json")).body == b'{"x": 1}'
    # a run whose artifacts live in a plain local directory (as an embedded client logs them),
    # below the server's artifact roots (its destination)
    local = tempfile.mkdtemp(prefix="local-root-", dir=_root(srv))
    p = subprocess.run([srv.ferry, "experiments", "create", "local-root", "--artifact-location",
                        "file://" + local], capture_output=True, timeout=60,
                       env=dict(os.environ, FERRY_TRACKING_URI=srv.store))
    assert p.returncode == 0, p
    exp = c.ok(c.get("experiments/get-by-name", {"experiment_name": "local-root"}))[
        "experiment"]["experiment_id"]
    info = c.create_run(exp)["info"]
    root = info["artifact_uri"][len("file://"):]
    os.makedirs(os.path.join(root, "plots"))
    with open(os.path.join(root, "plots", "page.html"), "wb") as f:
        f.write(b"<script>alert(1)</script>")
    r = c.raw("GET", q(run_id=info["run_id"], path="plots/page.html"))
    assert r.status == 200 and r.body == b"<script>alert(1)</script>", r
    # never served as something a browser would run
    assert r.headers["Content-Type"] == "text/plain", r.headers
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    for bad in (q(run_id=rid), q(path="x"), q(run_id=rid, path="../../etc/passwd"),
                q(run_id=rid, path="/etc/passwd"), q(run_id="../x", path="a")):
        expect_error(c.raw("GET", bad), 400, "INVALID_PARAMETER_VALUE")
    expect_error(c.raw("GET", q(run_id="f" * 32, path="a")), 404, "RESOURCE_DOES_NOT_EXIST")
    expect_error(c.raw("GET", q(run_id=rid, path="dir/none.txt")), 404, "RESOURCE_DOES_NOT_EXIST")
    assert c.raw("GET", q(run_id=rid, path="dir")).status in (400, 404)  # a directory
    assert c.raw("POST", q(run_id=rid, path="dir/a.json"), "{}").status == 404


def test_an_http_artifact_root_is_served_as_proxied(shared, _):
    """MLflow's servers may be given http(s)://<server>/api/2.0/mlflow-artifacts/artifacts as the
    default artifact root: runs then carry that URL, and the server serves it as it serves
    mlflow-artifacts:/ (listing, get-artifact); clients upload through the URL's server."""
    ferry = shared.ferry
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    root = "http://127.0.0.1:%d/api/2.0/mlflow-artifacts/artifacts" % port
    work = tempfile.mkdtemp(prefix="ferry-http-root-")
    srv = Server(ferry, db=os.path.join(work, "t.db"),
                 extra=["--port", str(port), "--default-artifact-root", root,
                        "--artifacts-destination", os.path.join(work, "dest")]).start()
    c = srv.client()
    try:
        info = c.create_run()["info"]
        assert info["artifact_uri"] == "%s/0/%s/artifacts" % (root, info["run_id"]), info
        rel = "0/%s/artifacts" % info["run_id"]
        for name, body in (("a.txt", b"abcdefg"), ("dir/b.bin", b"\x00\x01")):
            r = c.raw("PUT", "/api/2.0/mlflow-artifacts/artifacts/%s/%s" % (rel, name), body,
                      {"Content-Type": "application/octet-stream"})
            assert r.status == 200, r
        got = c.ok(c.get("artifacts/list", {"run_id": info["run_id"]}))
        assert got["root_uri"] == info["artifact_uri"] and got["files"] == [
            {"path": "a.txt", "is_dir": False, "file_size": 7},
            {"path": "dir", "is_dir": True}], got
        r = c.raw("GET", "/get-artifact?run_id=%s&path=a.txt" % info["run_id"])
        assert r.status == 200 and r.body == b"abcdefg" and \
            r.headers["Content-Type"] == "text/plain", r
        # the CLI downloads through the URL's own server
        dst = os.path.join(work, "dl")
        p = subprocess.run([ferry, "artifacts", "download", info["run_id"], "--dst", dst],
                           capture_output=True, timeout=60,
                           env=dict(os.environ, FERRY_TRACKING_URI=srv.url))
        assert p.returncode == 0, p
        with open(os.path.join(dst, "dir", "b.bin"), "rb") as f:
            assert f.read() == b"\x00\x01"
    finally:
        c.close()
        assert srv.stop() == 0
