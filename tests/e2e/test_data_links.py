# SPDX-License-Identifier: MIT
"""Dataset versions linked to the rest of ferry (issue 19): `ferry run` with a data: value for a
path parameter (fetched into the data cache, recorded by version number, logged as the run's
dataset input), embedded and through a server; `ferry data log` and the dataset input as
MLflow's REST API shows it (runs/get inputs.dataset_inputs: name, 8-character digest, source
data:/NAME/V, MLflow's colspec schema, a small profile, the context tag); a model version's
lineage reaching the data version (full digest); `ferry drift` on data: URIs; `ferry gc`
leaving a deleted version's objects while they are young and collecting them (loose file and
pack) once older than the cutoff, while the live version still reads back; a monitor whose
reference is a dataset version."""
import csv
import json
import os
import random
import sqlite3
import subprocess
import tempfile

from support.server import CREATED_DIRS, expect_error

FERRY = "/api/2.0/ferry/"


def _scratch(prefix="ferry-e2e-links-"):
    d = tempfile.mkdtemp(prefix=prefix)
    CREATED_DIRS.append(d)
    return d


def _env(uri, cache):
    env = dict(os.environ, FERRY_TRACKING_URI=uri, FERRY_DATA_CACHE=cache,
               PATH="/usr/bin:/bin:" + os.environ.get("PATH", ""))
    env.pop("FERRY_ARTIFACTS_DESTINATION", None)
    env.pop("MLFLOW_TRACKING_URI", None)
    return env


class Where:
    """Where the commands run: embedded on a fresh SQLite file, or through the module's server
    (uri = its URL). Each has its own data cache."""

    def __init__(self, srv, remote):
        self.ferry = srv.ferry
        self.cwd = srv.dir if remote else _scratch()
        self.uri = srv.url if remote else "sqlite:///" + os.path.join(self.cwd, "ferry.db")
        self.cache = _scratch("ferry-e2e-cache-")
        self.env = _env(self.uri, self.cache)

    def run(self, *args, check=0, timeout=300):
        p = subprocess.run([self.ferry] + list(args), env=self.env, cwd=self.cwd,
                           capture_output=True, timeout=timeout)
        p.out = p.stdout.decode("utf-8", "replace")
        p.err = p.stderr.decode("utf-8", "replace")
        if check is not None:
            assert p.returncode == check, (args, p.returncode, p.out, p.err)
        return p

    def json(self, *args):
        return json.loads(self.run(*(list(args) + ["--json"])).out)


def _write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def _csv(path, rows, seed, shift=0.0):
    rng = random.Random(seed)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["x", "y", "kind"])
        for i in range(rows):
            w.writerow([i, "%.4f" % (rng.random() + shift), rng.choice(["a", "b"])])


def _project():
    d = _scratch("ferry-e2e-proj-")
    _write(os.path.join(d, "MLproject"),
           "name: p\nentry_points:\n  main:\n    parameters:\n      data: path\n"
           "      note: {type: string, default: data:/not/a/path}\n"
           "    command: \"wc -l {data} && cat {data} | head -1 && echo note={note}\"\n")
    return d


def test_run_with_a_data_path_parameter(srv, c):
    for remote in (False, True):
        w = Where(srv, remote)
        src = _scratch()
        _csv(os.path.join(src, "train.csv"), 50, 1)
        name = "train-" + ("r" if remote else "e")
        a = w.json("data", "add", name, os.path.join(src, "train.csv"))
        assert a["version"] == 1 and a["created"], a
        w.run("data", "alias", name, "prod", "1")
        proj = _project()
        # by alias: the command gets the cached file, the run records the number
        r = w.run("run", proj, "-P", "data=data:/%s@prod" % name)
        assert "51 " in r.out and "x,y,kind" in r.out, r.out
        assert "note=data:/not/a/path" in r.out, r.out  # a string parameter is left alone
        assert "fetched" in r.err, r.err
        run_id = r.err.split("ferry run: run ")[1].split()[0]
        run = w.json("runs", "describe", run_id)["run"]
        params = {p["key"]: p["value"] for p in run["data"]["params"]}
        assert params["data"] == "data:/%s/1" % name, params
        inputs = run["inputs"]["dataset_inputs"]
        assert len(inputs) == 1, inputs
        ds = inputs[0]["dataset"]
        assert ds["name"] == name and ds["source"] == "data:/%s/1" % name, ds
        assert ds["source_type"] == "ferry" and ds["digest"] == a["digest"][:8], ds
        tags = {t["key"]: t["value"] for t in inputs[0]["tags"]}
        assert tags == {"mlflow.data.context": "data"}, tags
        # the same version again comes from the cache, a file inside it by path
        r = w.run("run", proj, "-P", "data=data:/%s/1/train.csv" % name)
        assert "cached" in r.err and "51 " in r.out, (r.out, r.err)
        cached = os.path.join(w.cache, a["digest"], "train.csv")
        assert os.path.isfile(cached), os.listdir(w.cache)
        # a rerun reads the same version
        r = w.run("run", "--rerun", run_id)
        assert "51 " in r.out, r.out
        # bad values: nothing runs (exit 2), and the message says why
        for bad, why in (("data:/%s/9" % name, "not"), ("data:/%s/1/nope.csv" % name, "nope.csv"),
                         ("data:/-bad/1", "name"), ("data:/%s" % name, "version")):
            r = w.run("run", proj, "-P", "data=" + bad, check=2)
            assert why in r.err, (bad, r.err)
        # --dry-run resolves but fetches nothing
        w2 = Where(srv, remote)
        w2.uri, w2.cwd = w.uri, w.cwd
        w2.env = _env(w.uri, w2.cache)
        r = w2.run("run", proj, "-P", "data=data:/%s/latest" % name, "--dry-run")
        assert "parameter:   data=data:/%s/1" % name in r.out, r.out
        assert os.listdir(w2.cache) == [], os.listdir(w2.cache)


def test_data_log_is_seen_by_mlflows_rest_api(srv, c):
    w = Where(srv, True)
    src = _scratch()
    _csv(os.path.join(src, "d/a.csv"), 20, 2)
    _csv(os.path.join(src, "d/b.csv"), 30, 3)
    a = w.json("data", "add", "logged", os.path.join(src, "d"), "-m", "two files")
    rid = c.create_run()["info"]["run_id"]
    got = w.json("data", "log", "data:/logged/latest", "--run-id", rid, "--context", "training")
    assert got["source"] == "data:/logged/1", got
    w.run("data", "log", "data:/logged/1", "--run-id", rid, "--context", "training")  # again
    run = c.get_run(rid)
    inputs = run["inputs"]["dataset_inputs"]
    assert len(inputs) == 1, inputs
    ds = inputs[0]["dataset"]
    assert ds["name"] == "logged" and ds["digest"] == a["digest"][:8], ds
    assert ds["source_type"] == "ferry" and ds["source"] == "data:/logged/1", ds
    assert json.loads(ds["schema"]) == {"mlflow_colspec": [
        {"type": "long", "name": "x"}, {"type": "double", "name": "y"},
        {"type": "string", "name": "kind"}]}, ds["schema"]
    prof = json.loads(ds["profile"])
    assert prof["files"] == 2 and prof["rows"] == 50, prof
    assert prof["csv"]["a.csv"] == {"rows": 20, "columns": 3}, prof
    assert inputs[0]["tags"] == [{"key": "mlflow.data.context", "value": "training"}], inputs
    # MLflow's search answers it too
    found = c.ok(c.post("runs/search", {"experiment_ids": ["0"],
                                        "filter": "attributes.run_id = '%s'" % rid}))
    assert found["runs"][0]["inputs"]["dataset_inputs"][0]["dataset"]["name"] == "logged"
    # the dataset's runs
    runs = c.ok(c.get("datasets/runs", {"name": "logged", "version": "1"}, prefix=FERRY))
    assert [x["run_id"] for x in runs["runs"]] == [rid], runs
    # bad input
    r = w.run("data", "log", "data:/logged/7", "--run-id", rid, check=None)
    assert r.returncode != 0 and "not found" in r.err, r.err
    r = w.run("data", "log", "data:/logged/1", "--run-id", "f" * 32, check=None)
    assert r.returncode != 0, r.err


def test_lineage_reaches_the_dataset_version(srv, c):
    w = Where(srv, True)
    src = _scratch()
    _csv(os.path.join(src, "lin.csv"), 10, 4)
    a = w.json("data", "add", "lin", os.path.join(src, "lin.csv"))
    rid = c.create_run()["info"]["run_id"]
    w.run("data", "log", "data:/lin/1", "--run-id", rid, "--context", "training")
    # an MLflow dataset that is not ferry's stays as it is
    c.ok(c.post("runs/log-inputs", {"run_id": rid, "datasets": [{"dataset": {
        "name": "other", "digest": "abcd1234", "source_type": "local",
        "source": "/tmp/other.csv"}}]}))
    c.ok(c.post("registered-models/create", {"name": "linmodel"}))
    c.ok(c.post("model-versions/create", {"name": "linmodel", "source": "runs:/%s/m" % rid,
                                          "run_id": rid}))
    got = c.ok(c.get("model-versions/lineage", {"name": "linmodel", "version": "1"},
                     prefix=FERRY))
    ds = {d["name"]: d for d in got["datasets"]}
    assert set(ds) == {"lin", "other"}, got["datasets"]
    assert ds["lin"]["context"] == "training", ds
    assert ds["lin"]["dataset_version"] == {"name": "lin", "version": 1, "digest": a["digest"],
                                            "uri": "data:/lin/1"}, ds
    assert "dataset_version" not in ds["other"], ds
    # the version deleted: lineage still names the input, and says why it does not resolve
    w.run("data", "delete", "lin", "1")
    got = c.ok(c.get("model-versions/lineage", {"name": "linmodel", "version": "1"},
                     prefix=FERRY))
    lin = [d for d in got["datasets"] if d["name"] == "lin"][0]
    assert "dataset_version" not in lin and "not found" in lin["error"], lin


def test_drift_reads_data_uris(srv, c):
    w = Where(srv, False)
    src = _scratch()
    _csv(os.path.join(src, "ref.csv"), 400, 5)
    _csv(os.path.join(src, "cur/cur.csv"), 400, 6, shift=0.8)
    _write(os.path.join(src, "cur/notes.txt"), "not a table\n")
    w.json("data", "add", "dref", os.path.join(src, "ref.csv"))
    w.json("data", "add", "dcur", os.path.join(src, "cur"))
    r = w.run("drift", "data:/dref/1", "data:/dcur/latest/cur.csv", "--json")
    rep = json.loads(r.out)
    drifted = [x["name"] for x in rep["columns"] if x["drifted"]]
    assert drifted == ["y"] and rep["data_quality"]["reference_rows"] == 400, rep
    r = w.run("drift", "data:/dref/1", "data:/dcur/1", check=2)  # a directory of two files
    r = w.run("drift", "data:/dref/5", os.path.join(src, "ref.csv"), check=2)
    assert "not found" in r.err, r.err


def _age_objects(store, ms):
    """Every object row of store (a SQLite file, or a postgresql:// URI) touched ms earlier."""
    if store.startswith("postgresql://"):
        subprocess.run(["psql", "-q", store, "-c",
                        "UPDATE data_objects SET touched_ms = touched_ms - %d" % ms],
                       check=True, capture_output=True, timeout=60)
        return
    con = sqlite3.connect(store, timeout=30)
    con.execute("UPDATE data_objects SET touched_ms = touched_ms - ?", (ms,))
    con.commit()
    con.close()


def _datasets_files(root):
    out = {}
    for d, _, files in os.walk(os.path.join(root, "datasets")):
        for n in files:
            if n == ".lock":  # ingests and gc, not an object
                continue
            out[os.path.relpath(os.path.join(d, n), root)] = os.path.getsize(os.path.join(d, n))
    return out


def test_gc_collects_a_deleted_versions_objects_after_the_cutoff(srv, c):
    for remote in (False, True):
        w = Where(srv, remote)
        db = (srv.db or srv.store) if remote else os.path.join(w.cwd, "ferry.db")
        root = os.path.join(w.cwd, "mlartifacts")
        name = "gc-" + ("r" if remote else "e")
        src = _scratch()
        _write(os.path.join(src, "v1/shared.txt"), "kept by v2\n")
        _write(os.path.join(src, "v1/only1.txt"), "only in version 1 " * 10 + name)
        with open(os.path.join(src, "v1/big1.bin"), "wb") as f:
            f.write(os.urandom(2 * 1024 * 1024))  # loose
        _write(os.path.join(src, "v2/shared.txt"), "kept by v2\n")
        _write(os.path.join(src, "v2/only2.txt"), "only in version 2 " + name)
        w.json("data", "add", name, os.path.join(src, "v1"))
        w.json("data", "add", name, os.path.join(src, "v2"))
        before = _datasets_files(root)
        w.run("data", "delete", name, "1")
        gc = ["gc"] + ([] if remote else ["--backend-store-uri", db])
        # young: nothing goes
        r = w.run(*gc)
        assert "datasets: collected 0 objects" in r.out, r.out
        assert _datasets_files(root) == before
        # an hour and more later: the dry run says, then gc removes
        _age_objects(db, 2 * 3600 * 1000)
        r = w.run(*(gc + ["--dry-run"]))
        assert "datasets: would collect 2 objects" in r.out, r.out
        assert "kept pack" in r.out and "dead bytes" in r.out, r.out
        assert _datasets_files(root) == before
        r = w.run(*gc)
        assert "datasets: collected 2 objects" in r.out and "1 loose file" in r.out, r.out
        after = _datasets_files(root)
        gone = set(before) - set(after)
        assert len(gone) == 1 and gone.pop().startswith("datasets/objects/"), (before, after)
        # the live version reads back whole, and verify finds nothing wrong
        dst = os.path.join(_scratch(), "out")
        w.run("data", "get", "data:/%s/2" % name, "--dst", dst)
        assert open(os.path.join(dst, "only2.txt")).read().endswith(name)
        w.run("data", "verify", name)
        # the whole dataset deleted: its packs go once nothing in them is live
        w.run("data", "delete", name)
        _age_objects(db, 2 * 3600 * 1000)
        r = w.run(*gc)
        assert "datasets: collected 2 objects" in r.out, r.out
        assert "removed pack" in r.out or "kept pack" in r.out, r.out
    # over REST: the report's shape
    got = c.ok(c.post("gc", {"dry_run": True}, prefix=FERRY))
    assert set(got["datasets"]) >= {"objects", "bytes", "loose_files", "packs_removed", "packs"}


def test_monitor_with_a_dataset_reference(srv, c):
    from test_monitors import _run, _setup, _traffic, _wait_logged
    from test_gateway import COLS, Gateway
    rid = _setup(srv, c, "dsdep")
    # the same reference rows as the run's artifact, as a dataset version
    w = Where(srv, True)
    d = _scratch()
    w.run("artifacts", "download", rid, "data/reference.csv", "--dst", d)
    w.json("data", "add", "monref", os.path.join(d, "reference.csv"))
    spec = {"name": "dsmon", "deployment": "dsdep",
            "reference": {"dataset": "data:/monref/latest"},
            "window": {"last_rows": 300}, "min_rows": 100}
    got = c.ok(c.post("monitors/apply", {"spec": spec}, prefix=FERRY))
    assert got["changed"], got
    # a reference that does not exist is refused when applied
    bad = dict(spec, name="dsbad", reference={"dataset": "data:/monref/9"})
    expect_error(c.post("monitors/apply", {"spec": bad}, prefix=FERRY), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    gw = Gateway(srv.ferry, srv)
    try:
        gw.wait_served("dsdep", lambda e: e["targets"][0]["loaded"])
        _traffic(gw, "dsdep", 300, 1)
        _wait_logged(c, "dsdep", 300)
        rep = _run(c, "dsmon")["report"]
        assert rep["status"] == "ok", rep
        ref = rep["report"]["reference"]
        assert ref["kind"] == "dataset" and ref["version"] == "data:/monref/1", ref
        assert ref["n_rows"] == 800, ref
        cols = [x["name"] for x in rep["report"]["drift"]["columns"]]
        assert cols == COLS, cols
        assert rep["dataset_drift"] is False, rep["report"]["drift"]
    finally:
        assert gw.stop() == 0, gw.errlog
