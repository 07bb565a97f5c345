# SPDX-License-Identifier: MIT
"""`ferry db import`: MLflow stores written by the test itself (an SQLite database at an old 2.x
and at the newest 3.x alembic revision ferry knows, and an ./mlruns file store; see
support/mlflow_store.py) are imported, then every field is checked through a real `ferry server`
on the imported store and through the CLI. A second import changes nothing; bad sources (garbage,
an unknown revision, a missing folder, a corrupt file), a name clash and an import into the
source itself fail clearly and leave the target as it was; --copy-artifacts copies the files and
the server lists and serves them. The ferry store imported into is a file, or a database in the
test cluster when the suite runs on PostgreSQL. MLflow's PostgreSQL databases as sources:
test_import_postgres.py."""
import json
import math
import os
import shutil
import sqlite3
import subprocess
import tempfile

from support import mlflow_store as ms
from support.server import CREATED_DIRS, Server, on_postgres, pg_database

OWN_SERVER = True


def _tmp():
    d = tempfile.mkdtemp(prefix="ferry-e2e-import-")
    CREATED_DIRS.append(d)
    return d


def _import(ferry, source, target, *extra, ok=True):
    p = subprocess.run([ferry, "db", "import", "--to", target] + list(extra) + [source],
                       capture_output=True, text=True, timeout=120)
    if ok:
        assert p.returncode == 0, "import failed (%d): %s%s" % (p.returncode, p.stdout, p.stderr)
    return p


def _counts(out):
    """The report's table: kind -> (read, imported, present, skipped)."""
    rows = {}
    for line in out.splitlines():
        parts = line.rsplit(None, 4)
        if len(parts) == 5 and all(x.isdigit() for x in parts[1:]):
            rows[parts[0].strip()] = tuple(int(x) for x in parts[1:])
    return rows


def _is_pg(store):
    return store.startswith(("postgresql://", "postgres://", "postgresql+"))


def _target(d, name="ferry.db"):
    """A fresh ferry store to import into: a database in the suite's cluster when it runs on
    PostgreSQL, else a file in d."""
    return pg_database() if on_postgres() else os.path.join(d, name)


def _server(ferry, target):
    return Server(ferry, store=target) if _is_pg(target) else Server(ferry, db=target)


def _dump(db):
    """The target's rows, for proving a failed import changed nothing."""
    if _is_pg(db):  # every table's rows, in order (sequences may move: not rows)
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
            f.write("SELECT format('SELECT %L, x::text FROM %I x ORDER BY 2', tablename, "
                    "tablename) FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1\n"
                    "\\gexec\n")
        try:
            return ms.psql(db, path=f.name).splitlines()
        finally:
            os.unlink(f.name)
    if not os.path.exists(db):
        return None
    c = sqlite3.connect(db)
    try:
        return list(c.iterdump())
    finally:
        c.close()


def _num(v):
    if isinstance(v, str):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}[v]
    return float(v)


def _same(a, b):
    return (math.isnan(a) and math.isnan(b)) or a == b


def _kv(items):
    return {x["key"]: x["value"] for x in items or []}


def _stored(value, sqlite_source):
    """What MLflow itself would serve for value: its SQL store keeps +-inf as +-DBL_MAX."""
    if sqlite_source and math.isinf(value):
        return ms.DBL_MAX if value > 0 else -ms.DBL_MAX
    return value


def _check_experiments(c, spec):
    for e in spec["experiments"]:
        got = c.ok(c.get("experiments/get", {"experiment_id": str(e["id"])}))["experiment"]
        if e["id"] == 0:  # Default is the store's own: present, left as it is
            assert got["name"] == "Default", got
            continue
        want = {"experiment_id": str(e["id"]), "name": e["name"],
                "artifact_location": e["location"], "lifecycle_stage": e["stage"],
                "creation_time": e["created"], "last_update_time": e["updated"]}
        assert {k: got.get(k) for k in want} == want, (got, want)
        assert _kv(got.get("tags")) == e["tags"], got


def _check_run(c, r, spec_sqlite, with_inputs):
    got = c.ok(c.get("runs/get", {"run_id": r["id"]}))["run"]
    info = got["info"]
    want = {"run_id": r["id"], "run_name": r["name"], "experiment_id": str(r["experiment"]),
            "user_id": r["user"], "status": r["status"], "start_time": r["start"],
            "end_time": r["end"], "artifact_uri": r["artifact_uri"],
            "lifecycle_stage": r["stage"]}
    assert {k: info.get(k) for k in want} == want, (info, want)
    data = got.get("data", {})
    assert _kv(data.get("params")) == r["params"], data
    assert _kv(data.get("tags")) == r["tags"], data
    for key, points in r["metrics"].items():
        hist = c.history(r["id"], key)
        have = sorted((m["timestamp"], m["step"], _num(m["value"])) for m in hist)
        exp = sorted((ts, step, _stored(v, spec_sqlite)) for ts, v, step in points)
        assert len(have) == len(exp) and all(
            a[:2] == b[:2] and _same(a[2], b[2]) for a, b in zip(have, exp)), (key, have, exp)
    latest = {m["key"]: (m["step"], _num(m["value"])) for m in data.get("metrics", [])}
    assert set(latest) == set(r["metrics"]), latest
    if "loss" in latest and r["name"] == "first":
        assert latest["loss"] == (3, 0.25) and latest["acc"] == (1, 0.5), latest
    inputs = got.get("inputs", {}).get("dataset_inputs", [])
    if with_inputs and r.get("inputs"):
        assert len(inputs) == len(r["inputs"]), inputs
        d, w = inputs[0]["dataset"], r["inputs"][0]["dataset"]
        assert {k: d.get(k) for k in w} == w, (d, w)
        assert _kv(inputs[0].get("tags")) == r["inputs"][0]["tags"], inputs
    else:
        assert inputs == [], inputs


def _check_registry(c, spec, with_aliases, storage=False):
    m = spec["models"][0]
    got = c.ok(c.get("registered-models/get", {"name": m["name"]}))["registered_model"]
    assert (got["name"], got["creation_timestamp"], got["last_updated_timestamp"],
            got.get("description")) == (m["name"], m["created"], m["updated"],
                                        m["description"]), got
    assert _kv(got.get("tags")) == m["tags"], got
    aliases = {a["alias"]: a["version"] for a in got.get("aliases", [])}
    assert aliases == ({"champion": "3"} if with_aliases else {}), aliases
    for v in m["versions"]:
        r = c.get("model-versions/get", {"name": m["name"], "version": str(v["version"])})
        if v["stage"] == "Deleted_Internal":
            assert r.status == 404, r
            continue
        mv = c.ok(r)["model_version"]
        want = {"version": str(v["version"]), "creation_timestamp": v["created"],
                "last_updated_timestamp": v["updated"], "current_stage": v["stage"],
                "source": v["source"], "run_id": v["run_id"], "user_id": v["user"] or "",
                "status": "READY"}
        assert {k: mv.get(k) for k in want} == want, (mv, want)
        assert mv.get("description") == v["description"], mv
        assert mv.get("run_link") == v["run_link"], mv
        assert _kv(mv.get("tags")) == v["tags"], mv
        uri = c.ok(c.get("model-versions/get-download-uri",
                         {"name": m["name"], "version": str(v["version"])}))["artifact_uri"]
        assert uri == v["source"] + ("/stored" if storage else ""), (uri, v)
    # numbers are never reused: the next version is 4, though 2 was deleted
    new = c.ok(c.post("model-versions/create", {"name": m["name"], "source": "s3://bucket/m"}))
    assert new["model_version"]["version"] == "4", new


def _roundtrip(ferry, source, spec, sqlite_source, with_inputs, with_aliases, skips,
               target=None):
    """sqlite_source: the source is MLflow's SQL store (SQLite or PostgreSQL)."""
    d = _tmp()
    target = target or _target(d)
    p = _import(ferry, source, target)
    rows = _counts(p.stdout)
    assert rows["experiments"] == (3, 2, 1, 0), p.stdout
    assert rows["runs"] == (4, 4, 0, 0), p.stdout
    assert rows["metric points"] == (10, 10, 0, 0), p.stdout
    assert rows["model versions"] == (3, 2, 0, 1), p.stdout
    assert rows["dataset inputs"][1] == (1 if with_inputs else 0), p.stdout
    for what, n in skips.items():
        assert rows[what] == (n, 0, 0, n), p.stdout
    assert "verified" in p.stdout, p.stdout
    # a second import changes nothing
    before = _dump(target)
    p2 = _import(ferry, source, target)
    assert all(v[1] == 0 for v in _counts(p2.stdout).values()), p2.stdout
    assert _counts(p2.stdout)["runs"] == (4, 0, 4, 0), p2.stdout
    after = _dump(target)
    assert after == before, ("the second import changed the store",
                             [x for x in after or [] if x not in before][:5],
                             [x for x in before if x not in (after or [])][:5])
    # the CLI on the store file
    cli = subprocess.run([ferry, "--tracking-uri", target, "runs", "list", "--experiment-name",
                          "fraud", "--view", "all"], capture_output=True, text=True, timeout=60)
    assert cli.returncode == 0 and all(r["id"] in cli.stdout for r in spec["runs"][:3]), cli
    # every field through a server
    srv = _server(ferry, target).start()
    c = srv.client()
    try:
        _check_experiments(c, spec)
        for r in spec["runs"]:
            _check_run(c, r, sqlite_source, with_inputs)
        _check_registry(c, spec, with_aliases, sqlite_source and with_aliases)
    finally:
        c.close()
        assert srv.stop() == 0, srv.stderr_tail()


def test_sqlite_old_revision(ferry):
    d = _tmp()
    spec = ms.sample(os.path.join(d, "mlruns"))
    ms.write_sqlite(os.path.join(d, "mlflow.db"), spec, ms.OLD)
    _roundtrip(ferry, os.path.join(d, "mlflow.db"), spec, True, False, False, {})


def test_sqlite_newest_revision(ferry):
    d = _tmp()
    spec = ms.sample(os.path.join(d, "mlruns"))
    ms.write_sqlite(os.path.join(d, "mlflow.db"), spec, ms.NEW)
    db = sqlite3.connect(os.path.join(d, "mlflow.db"))  # a run whose experiment row is gone
    db.execute("INSERT INTO runs (run_uuid, name, status, lifecycle_stage, artifact_uri, "
               "experiment_id) VALUES ('%032x', 'orphan', 'FINISHED', 'active', '/x', 99)" % 7)
    db.commit()
    db.close()
    _roundtrip(ferry, "sqlite:///" + os.path.join(d, "mlflow.db"), spec, True, True, True,
               {"logged models": 1, "traces": 2, "runs without an experiment": 1})


def test_file_store(ferry):
    d = _tmp()
    root = os.path.join(d, "mlruns")
    spec = ms.sample(root)
    ms.write_files(root, spec)
    _roundtrip(ferry, root, spec, False, True, True, {"traces": 1})


def _fails(ferry, source, target, want, *extra):
    before = _dump(target)
    p = _import(ferry, source, target, *extra, ok=False)
    assert p.returncode == 1, (p.returncode, p.stdout, p.stderr)
    assert want in p.stderr, (want, p.stderr)
    assert "nothing was imported" in p.stderr, p.stderr
    assert _dump(target) == before, "a failed import changed the target"
    return p


def test_bad_sources_change_nothing(ferry):
    d = _tmp()
    target = _target(d)
    spec = ms.sample(os.path.join(d, "mlruns"))
    good = os.path.join(d, "good.db")
    ms.write_sqlite(good, spec, ms.OLD)
    _import(ferry, good, target)

    garbage = os.path.join(d, "garbage.db")
    with open(garbage, "wb") as f:
        f.write(b"this is not a database\n" * 200)
    _fails(ferry, garbage, target, "not an MLflow store")
    ms.write_sqlite(os.path.join(d, "future.db"), spec, "ffffffffffff")
    _fails(ferry, os.path.join(d, "future.db"), target, "alembic revision 'ffffffffffff'")
    _fails(ferry, os.path.join(d, "nowhere"), target, "no MLflow store at")
    empty = os.path.join(d, "empty")
    os.makedirs(empty)
    _fails(ferry, empty, target, "not an MLflow file store")
    _fails(ferry, good, good, "is the source itself")
    _fails(ferry, good, "http://127.0.0.1:1", "not through a server")

    # a file store whose second run has a corrupt metric file: its first run was written in
    # the same transaction, and is gone with the rest
    root = os.path.join(d, "mlruns")
    spec2 = ms.sample(root)
    for r in spec2["runs"]:
        r["id"] = "b" + r["id"][1:]
    ms.write_files(root, spec2)
    with open(os.path.join(root, "1", spec2["runs"][1]["id"], "metrics", "loss"), "a") as f:
        f.write("12 not-a-number 3\n")
    _fails(ferry, root, target, "line 2 is not 'timestamp value [step]'")
    meta = os.path.join(root, "1", spec2["runs"][1]["id"], "meta.yaml")
    with open(meta, "w") as f:
        f.write("run_id: [unclosed\n")
    _fails(ferry, root, target, "meta.yaml")


def test_name_clash_is_refused(ferry):
    d = _tmp()
    spec = ms.sample(os.path.join(d, "mlruns"))
    src = os.path.join(d, "mlflow.db")
    ms.write_sqlite(src, spec, ms.NEW)
    # id 1 is another experiment here
    t1 = _target(d, "one.db")
    srv = _server(ferry, t1).start()
    c = srv.client()
    try:
        assert c.create_experiment("not-fraud") == "1"
    finally:
        c.close()
        assert srv.stop() == 0
    _fails(ferry, src, t1, "experiment 1 is 'not-fraud' here and 'fraud' in the source")
    # the name is taken here by another id (1 was purged, 'fraud' became 3)
    t2 = _target(d, "two.db")
    srv = _server(ferry, t2).start()
    c = srv.client()
    try:
        c.create_experiment("a")
        c.create_experiment("b")
        c.ok(c.post("experiments/delete", {"experiment_id": "1"}))
    finally:
        c.close()
        assert srv.stop() == 0
    gc = subprocess.run([ferry, "gc", "--backend-store-uri", t2], capture_output=True,
                        timeout=60, cwd=d)
    assert gc.returncode == 0, gc
    srv = _server(ferry, t2).start()
    c = srv.client()
    try:
        assert c.create_experiment("fraud") == "3"
    finally:
        c.close()
        assert srv.stop() == 0
    _fails(ferry, src, t2, "experiment name 'fraud' is taken here by experiment 3")


def test_copy_artifacts_served(ferry):
    d = _tmp()
    root = os.path.join(d, "mlruns")
    spec = ms.sample(root)
    ms.write_files(root, spec)
    run = spec["runs"][0]
    art = os.path.join(root, "1", run["id"], "artifacts")
    os.makedirs(os.path.join(art, "model"))
    with open(os.path.join(art, "model", "MLmodel"), "w") as f:
        f.write("flavors: {}\n")
    with open(os.path.join(art, "notes.txt"), "w") as f:
        f.write("hello from mlflow\n")
    srv = Server(ferry)
    dest = os.path.join(srv.dir, "mlartifacts")
    p = _import(ferry, root, srv.store, "--copy-artifacts", "--artifacts-destination", dest)
    assert "copied those of 4 runs (2 files" in p.stdout, p.stdout
    srv.start()
    c = srv.client()
    try:
        info = c.get_run(run["id"])["info"]
        assert info["artifact_uri"] == "mlflow-artifacts:/1/%s/artifacts" % run["id"], info
        exp = c.ok(c.get("experiments/get", {"experiment_id": "1"}))["experiment"]
        assert exp["artifact_location"] == "mlflow-artifacts:/1", exp
        files = c.ok(c.get("artifacts/list", {"run_id": run["id"]})).get("files", [])
        assert sorted(f["path"] for f in files) == ["model", "notes.txt"], files
        r = c.raw("GET", "/get-artifact?run_id=%s&path=notes.txt" % run["id"])
        assert r.status == 200 and r.body == b"hello from mlflow\n", r
        r = c.raw("GET", "/api/2.0/mlflow-artifacts/artifacts/1/%s/artifacts/model/MLmodel"
                  % run["id"])
        assert r.status == 200 and r.body == b"flavors: {}\n", r
    finally:
        c.close()
        assert srv.stop() == 0, srv.stderr_tail()
    assert json.dumps(spec)  # the spec itself stays serialisable (used by the benchmark)
