# SPDX-License-Identifier: MIT
"""Where the server may write: artifact locations below its roots only (`ferry server
--allowed-artifact-roots`), reads that never create directories, errors that say nothing about
paths outside the roots, and the reserved names of uploads in progress (.ferry-part-*) that no
verb may name. Every bad input is checked to change nothing on disk."""
import json
import os
import subprocess
import tempfile
import urllib.parse

from support.server import CREATED_DIRS, Server, expect_error

PROXY = "/api/2.0/mlflow-artifacts/artifacts/"
OUTSIDE = "outside the artifact roots"
# what a message must never say about a path outside the roots
BETRAYALS = ("No such file", "Permission denied", "Not a directory", "File exists",
             "symbolic link")


def _scratch(prefix):
    d = tempfile.mkdtemp(prefix=prefix)
    CREATED_DIRS.append(d)
    return d


def _tree(top):
    """Every entry below top (not following links) with its type, size and mtime."""
    out = {}
    for d, dirs, files in os.walk(top):
        for n in dirs + files:
            p = os.path.join(d, n)
            st = os.lstat(p)
            out[os.path.relpath(p, top)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    return out


def _embedded_experiment(srv, c, name, location):
    """An experiment at location made as a store file allows (ferry's CLI on the database, or an
    import), not through the server: what a server may meet from before its roots."""
    p = subprocess.run([srv.ferry, "experiments", "create", name, "--artifact-location", location],
                       capture_output=True, timeout=60, cwd=srv.dir,
                       env=dict(os.environ, FERRY_TRACKING_URI=srv.store))
    assert p.returncode == 0, p
    r = c.ok(c.get("experiments/get-by-name", {"experiment_name": name}))
    return r["experiment"]["experiment_id"]


def _q(url, **kw):
    return url + "?" + urllib.parse.urlencode(kw)


def test_create_outside_the_roots_is_refused_and_makes_nothing(srv, c):
    out = _scratch("ferry-outside-")
    before = _tree(out)
    parent = os.path.dirname(srv.dir)
    bad = ["/etc/ferry-roots-x", out + "/new/deep", "file://" + out + "/f", "file:" + out,
           "../ferry-roots-escape", "mlartifacts/../../ferry-roots-escape",
           srv.dir + "/mlartifacts/../escape", srv.dir, "/",
           srv.dir + "/mlartifacts/.ferry-part-x", srv.dir + "/mlartifacts/a/%2e%2e/b"]
    for i, loc in enumerate(bad):
        name = "outside-%d" % i
        msg = expect_error(c.post("experiments/create", {"name": name, "artifact_location": loc}),
                           400, "INVALID_PARAMETER_VALUE")
        assert OUTSIDE in msg and ("'%s'" % loc) in msg, msg
        if not loc.startswith(("/", "file:")):  # quoted as sent, not with the server's directory
            assert srv.dir not in msg, msg
        expect_error(c.get("experiments/get-by-name", {"experiment_name": name}), 404,
                     "RESOURCE_DOES_NOT_EXIST")
    assert _tree(out) == before
    assert not os.path.exists("/etc/ferry-roots-x")
    assert not os.path.exists(os.path.join(parent, "ferry-roots-escape"))
    assert not os.path.exists(os.path.join(srv.dir, "escape"))
    # below the roots, proxied, and object stores (the server never opens those) are fine
    for name, loc in (("in-dest", srv.dir + "/mlartifacts/custom"),
                      ("in-dest-uri", "file://" + srv.dir + "/mlartifacts/uri"),
                      ("in-dest-relative", "mlartifacts/relative"),
                      ("in-dest-dotted", srv.dir + "/mlartifacts/x/../dotted"),
                      ("proxied", "mlflow-artifacts:/custom"), ("s3", "s3://bucket/path")):
        eid = c.create_experiment(name, artifact_location=loc)
        e = c.ok(c.get("experiments/get", {"experiment_id": eid}))["experiment"]
        assert e["artifact_location"].endswith(loc.rsplit("/", 1)[1]), e


def test_an_outside_location_from_before_is_never_touched(srv, c):
    """An experiment whose location lies outside the roots (made before them): every route that
    reads or writes its files refuses, the same way whether the path exists or not, naming no
    path; nothing there is created, read, written or deleted, server-side gc included."""
    out = _scratch("ferry-outside-")
    with open(os.path.join(out, "afile"), "w") as f:
        f.write("a file where a directory would go")
    places = {"present": os.path.join(out, "present"), "missing": os.path.join(out, "missing"),
              "through-a-file": os.path.join(out, "afile", "sub"),
              "file-uri": "file://" + os.path.join(out, "present")}
    c.ok(c.post("registered-models/create", {"name": "outside-model"}))
    answers = {}
    for k, (kind, loc) in enumerate(sorted(places.items())):
        eid = _embedded_experiment(srv, c, "from-before-" + kind, loc)
        run = c.create_run(eid)["info"]
        rid = run["run_id"]
        if kind == "present":
            arts = os.path.join(loc, rid, "artifacts")
            os.makedirs(os.path.join(arts, "model"))
            for name in ("secret.txt", "model/MLmodel"):
                with open(os.path.join(arts, name), "w") as f:
                    f.write("not the server's to read")
        model = c.ok(c.post("logged-models", {"experiment_id": eid, "name": "m"}))
        mid = model["model"]["info"]["model_id"]
        trace = c.ok(c.post("traces", {"experiment_id": eid, "timestamp_ms": 1}))
        tid = trace["trace_info"]["request_id"]
        c.ok(c.post("model-versions/create", {"name": "outside-model", "run_id": rid,
                                              "source": run["artifact_uri"] + "/model"}))
        before = _tree(out)
        requests = {
            "list": ("GET", _q("/api/2.0/mlflow/artifacts/list", run_id=rid), None),
            "list-dir": ("GET", _q("/api/2.0/mlflow/artifacts/list", run_id=rid, path="model"),
                         None),
            "get-artifact": ("GET", _q("/get-artifact", run_id=rid, path="secret.txt"), None),
            "upload": ("POST", _q("/ajax-api/2.0/mlflow/upload-artifact", run_uuid=rid,
                                  path="new.txt"), b"x"),
            "model-files": ("GET", "/api/2.0/mlflow/logged-models/%s/artifacts/directories" % mid,
                            None),
            "trace-data": ("GET", _q("/ajax-api/2.0/mlflow/get-trace-artifact", request_id=tid),
                           None),
            "version-file": ("GET", _q("/model-versions/get-artifact", name="outside-model",
                                       version=str(k + 1), path="MLmodel"), None),
        }
        for what, (method, url, body) in requests.items():
            r = c.raw(method, url, body)
            msg = expect_error(r, 400, "INVALID_PARAMETER_VALUE")
            assert OUTSIDE in msg, (kind, what, msg)
            assert out not in msg and not any(b in msg for b in BETRAYALS), (kind, what, msg)
            answers.setdefault(what, set()).add(msg)
        # gc through the server purges the run and keeps the files it may not touch
        c.ok(c.post("runs/delete", {"run_id": rid}))
        report = c.ok(c.raw("POST", "/api/2.0/ferry/gc", json.dumps({"run_ids": [rid]})))
        item = [i for i in report["items"] if i["id"] == rid]
        assert item and item[0]["artifacts"] == "kept (outside the artifact roots)", report
        assert _tree(out) == before, (kind, _tree(out), before)
        assert not os.path.exists(places["missing"])
    # one answer per route, whatever is (or is not) at the path
    for what, msgs in answers.items():
        assert len(msgs) == 1, (what, msgs)


def test_reading_never_creates_directories(srv, c):
    """A run whose location is a local directory below a root: listing, downloading, a logged
    model's files, trace data and a version's files create nothing; the first upload does."""
    top = os.path.join(srv.dir, "mlartifacts", "local-reads")
    eid = c.create_experiment("local-reads", artifact_location=top)
    run = c.create_run(eid)["info"]
    rid = run["run_id"]
    mid = c.ok(c.post("logged-models", {"experiment_id": eid, "name": "m"}))["model"]["info"][
        "model_id"]
    tid = c.ok(c.post("traces", {"experiment_id": eid, "timestamp_ms": 1}))["trace_info"][
        "request_id"]
    c.ok(c.post("registered-models/create", {"name": "local-reads"}))
    c.ok(c.post("model-versions/create", {"name": "local-reads", "run_id": rid,
                                          "source": run["artifact_uri"] + "/model"}))
    assert c.ok(c.get("artifacts/list", {"run_id": rid})).get("files") is None
    assert c.ok(c.get("artifacts/list", {"run_id": rid, "path": "a/b"})).get("files") is None
    assert c.ok(c.get("logged-models/%s/artifacts/directories" % mid)).get("files") is None
    for url in (_q("/get-artifact", run_id=rid, path="a/b.txt"),
                _q("/ajax-api/2.0/mlflow/get-trace-artifact", request_id=tid),
                _q("/model-versions/get-artifact", name="local-reads", version="1",
                   path="MLmodel")):
        msg = expect_error(c.raw("GET", url), 404, "RESOURCE_DOES_NOT_EXIST")
        assert srv.dir not in msg, msg  # no absolute path of the server's file system
    assert not os.path.exists(top), _tree(os.path.dirname(top))
    # writing creates what it needs
    r = c.raw("POST", _q("/ajax-api/2.0/mlflow/upload-artifact", run_uuid=rid, path="d/f.txt"),
              b"written")
    assert r.status == 200, r
    with open(os.path.join(top, rid, "artifacts", "d", "f.txt"), "rb") as f:
        assert f.read() == b"written"
    assert c.raw("GET", _q("/get-artifact", run_id=rid, path="d/f.txt")).body == b"written"


def test_reserved_names_are_invisible_to_every_verb(srv, c):
    rid = c.create_run()["info"]["run_id"]
    base = "0/%s/artifacts" % rid
    assert c.raw("PUT", PROXY + base + "/kept.txt", b"kept").status == 200
    d = os.path.join(srv.dir, "mlartifacts", base)
    part = ".ferry-part-" + "a" * 32
    with open(os.path.join(d, part), "wb") as f:
        f.write(b"half an upload")
    os.makedirs(os.path.join(d, ".ferry-part-dir"))
    with open(os.path.join(d, ".ferry-part-dir", "inner.txt"), "wb") as f:
        f.write(b"inner")
    before = _tree(d)
    c.ok(c.post("registered-models/create", {"name": "reserved"}))
    c.ok(c.post("model-versions/create", {"name": "reserved", "run_id": rid,
                                          "source": "mlflow-artifacts:/" + base}))
    names = (part, part.upper(), "%2eferry-part-x", ".ferry-part-dir/inner.txt")
    for name in names:
        q = urllib.parse.quote(name)
        for method, url, body in (
                ("GET", PROXY + base + "/" + q, None),
                ("GET", "/ajax-api/2.0/mlflow-artifacts/artifacts/" + base + "/" + q, None),
                ("DELETE", PROXY + base + "/" + q, None),
                ("PUT", PROXY + base + "/" + q, b"overwritten"),
                ("GET", _q(PROXY[:-1], path=base + "/" + name), None),
                ("GET", _q("/get-artifact", run_id=rid, path=name), None),
                ("GET", _q("/api/2.0/mlflow/artifacts/list", run_id=rid, path=name), None),
                ("GET", _q("/ajax-api/2.0/mlflow/artifacts/list", run_id=rid, path=name), None),
                ("POST", _q("/ajax-api/2.0/mlflow/upload-artifact", run_uuid=rid, path=name),
                 b"overwritten"),
                ("GET", _q("/model-versions/get-artifact", name="reserved", version="1",
                           path=name), None)):
            r = c.raw(method, url, body)
            expect_error(r, 400, "INVALID_PARAMETER_VALUE", "Invalid path")
            assert b"half an upload" not in r.body and b"inner" not in r.body, (url, r)
    # listings never show them
    got = c.ok(c.get("", {"path": base}, prefix=PROXY[:-1]))
    assert [f["path"] for f in got["files"]] == ["kept.txt"], got
    got = c.ok(c.get("artifacts/list", {"run_id": rid}))
    assert [f["path"] for f in got["files"]] == ["kept.txt"], got
    assert _tree(d) == before


def test_allowed_artifact_roots_option(srv, c):
    work = _scratch("ferry-roots-opt-")
    a, b, out = (os.path.join(work, n) for n in ("a", "b", "out"))
    os.makedirs(out)
    p = subprocess.run([srv.ferry, "server", "--help"], capture_output=True, timeout=30)
    assert b"--allowed-artifact-roots" in p.stdout, p
    other = Server(srv.ferry, db=os.path.join(work, "t.db"),
                   extra=["--allowed-artifact-roots", "%s,file://%s" % (a, b),
                          "--default-artifact-root", a, "--no-serve-artifacts"]).start()
    oc = other.client()
    try:
        assert os.path.isdir(a) and os.path.isdir(b)  # the roots exist from the start
        oc.create_experiment("in-a", artifact_location=a + "/x")
        eb = oc.create_experiment("in-b", artifact_location="file://" + b + "/y")
        oc.create_experiment("s3", artifact_location="s3://bucket/z")
        oc.create_experiment("default")
        for loc in (out, work, a + "/../out", "mlartifacts"):
            expect_error(oc.post("experiments/create", {"name": "no", "artifact_location": loc}),
                         400, "INVALID_PARAMETER_VALUE", OUTSIDE)
        rid = oc.create_run(eb)["info"]["run_id"]
        r = oc.raw("POST", _q("/ajax-api/2.0/mlflow/upload-artifact", run_uuid=rid, path="f"),
                   b"in b")
        assert r.status == 200, r
        assert oc.raw("GET", _q("/get-artifact", run_id=rid, path="f")).body == b"in b"
        # a link below a root does not lead out of it, for reads or writes
        os.symlink(out, os.path.join(a, "link"))
        el = oc.create_experiment("through-link", artifact_location=a + "/link/l")
        lid = oc.create_run(el)["info"]["run_id"]
        r = oc.raw("POST", _q("/ajax-api/2.0/mlflow/upload-artifact", run_uuid=lid, path="f"),
                   b"escaped")
        assert r.status == 400, r
        assert oc.ok(oc.get("artifacts/list", {"run_id": lid})).get("files") is None
        assert os.listdir(out) == []
    finally:
        oc.close()
        assert other.stop() == 0
    # a default root outside the roots is a mistake of the options: the server does not start
    bad = Server(srv.ferry, db=os.path.join(work, "t2.db"),
                 extra=["--allowed-artifact-roots", a, "--default-artifact-root", out])
    try:
        bad.start(timeout=20)
        started = True
    except RuntimeError:
        started = False
    finally:
        bad.stop()
    assert not started and "outside --allowed-artifact-roots" in bad.stderr_tail(), \
        bad.stderr_tail()
