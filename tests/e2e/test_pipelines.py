# SPDX-License-Identifier: MIT
"""`ferry pipelines run` end to end (issue 20), embedded (a SQLite file) and through a real
`ferry server` on loopback: the fraud example (prep -> train sklearn -> evaluate -> register),
a rerun entirely from cache, one parameter changed rerunning exactly its dependants, a deleted
output artifact invalidating its cache entry, independent steps overlapping in time, retries,
a missing declared output, timeouts (TERM, then KILL), SIGTERM leaving no process behind, every
bad spec refused with exit 2 and nothing recorded, and the lineage CLI on the example.

The synthetic pipelines are shell steps that sleep at most a second or two, so the whole file
stays well under 90 s under the sanitizers; only the example's steps start python (sklearn)."""
import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time

from support.server import CREATED_DIRS, Server, on_postgres, pg_database

OWN_SERVER = True
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "fraud_pipeline")
SMALL = ["-P", "rows=2000"]  # the example on fewer transactions: faster, same shape
STEPS = ["prep", "train", "evaluate", "register"]


def _env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("FERRY_", "MLFLOW_")) or k == "FERRY_E2E_PG_DIR"}
    env.update(PATH="/usr/bin:/bin:" + os.environ.get("PATH", ""), PYTHONDONTWRITEBYTECODE="1")
    env.update(extra or {})
    return env


class Store:
    """A tracking store used through the CLI: an embedded one (a SQLite file in a temporary
    directory, or a fresh PostgreSQL database on the PostgreSQL pass), or, with server=True, a
    `ferry server` on loopback (stop() it)."""

    def __init__(self, ferry, server=False):
        self.ferry = ferry
        self.dir = tempfile.mkdtemp(prefix="ferry-pipelines-")
        CREATED_DIRS.append(self.dir)  # run.py removes them when everything passed
        self.server = None
        self.env = _env({"FERRY_DATA_CACHE": os.path.join(self.dir, "data-cache")})
        if server:
            self.server = Server(ferry).start()
            self.uri = self.server.url
        else:
            self.uri = pg_database() if on_postgres() else os.path.join(self.dir, "ferry.db")

    def stop(self):
        if self.server:
            rc = self.server.stop()
            self.server = None
            assert rc == 0, "server exit status %d" % rc

    def cmd(self, *args, timeout=120, check=False, **kw):
        r = subprocess.run([self.ferry, "--tracking-uri", self.uri] + list(args),
                           capture_output=True, timeout=timeout, cwd=self.dir, env=self.env, **kw)
        if check:
            assert r.returncode == 0, r
        return r

    def pipe(self, spec, *args, timeout=120):
        """`ferry pipelines run SPEC ARGS...`, its output also kept for the assertion text."""
        return self.cmd("pipelines", "run", spec, *args, timeout=timeout)

    def json(self, *args):
        return json.loads(self.cmd(*(list(args) + ["--json"]), check=True).stdout)

    def runs(self, exp_name):
        r = self.cmd("runs", "list", "--experiment-name", exp_name, "--view", "all",
                     "--max-results", "1000", "--json")
        if r.returncode:
            return []
        return json.loads(r.stdout).get("runs", [])

    def pipeline(self, exp_name, index=-1):
        """(pipeline run, {step: step run}) of the index-th pipeline run of exp_name, oldest
        first (index -1: the newest)."""
        runs = self.runs(exp_name)
        parents = sorted((r for r in runs if "mlflow.parentRunId" not in tags(r)
                          and "ferry.pipeline.name" in tags(r)),
                         key=lambda r: (r["info"]["start_time"], r["info"]["run_id"]))
        assert parents, "no pipeline run in %r: %r" % (exp_name, runs)
        parent = parents[index]
        pid = parent["info"]["run_id"]
        steps = {}
        for r in runs:
            t = tags(r)
            if t.get("mlflow.parentRunId") == pid:
                assert t.get("ferry.pipeline.runId") == pid, t
                assert t["ferry.pipeline.step"] not in steps, "two runs of one step: %r" % t
                steps[t["ferry.pipeline.step"]] = r
        return parent, steps

    def artifact(self, run_id, path):
        dst = tempfile.mkdtemp(prefix="dl-", dir=self.dir)
        self.cmd("artifacts", "download", run_id, path, "--dst", dst, check=True)
        with open(os.path.join(dst, os.path.basename(path)), "rb") as f:
            return f.read()

    def snapshot(self):
        """Everything a refused pipeline must leave as it was: experiments, every run of every
        experiment (deleted ones too), registered models, and the pipeline runs."""
        exps = self.json("experiments", "list", "--view", "all")
        exps = sorted(exps.get("experiments", []), key=lambda e: e["experiment_id"])
        runs = {}
        for e in exps:
            r = self.cmd("runs", "list", "--experiment-id", e["experiment_id"], "--view", "all",
                         "--max-results", "1000", "--json", check=True)
            runs[e["experiment_id"]] = sorted(json.loads(r.stdout).get("runs", []),
                                              key=lambda x: x["info"]["run_id"])
        models = self.json("models", "list")
        p = self.cmd("pipelines", "list", "--json")
        return {"experiments": exps, "runs": runs, "models": models,
                "pipelines": p.stdout if p.returncode == 0 else None}


def tags(run):
    return {t["key"]: t["value"] for t in run["data"].get("tags", [])}


def params(run):
    return {p["key"]: p["value"] for p in run["data"].get("params", [])}


def metrics(run):
    return {m["key"]: m["value"] for m in run["data"].get("metrics", [])}


def state(run):
    return tags(run).get("ferry.pipeline.step.state")


def states(steps):
    return {name: state(r) for name, r in steps.items()}


def project(files):
    """A temporary project directory holding files {relative path: text}."""
    d = tempfile.mkdtemp(prefix="ferry-pipe-proj-")
    CREATED_DIRS.append(d)
    for name, text in files.items():
        path = os.path.join(d, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return d


def out(r):
    return (r.stdout + r.stderr).decode("utf-8", "replace")


def step_line(r, step, word):
    """The run's output has a line for step with state word (`prep  COMPLETE  2.1s ...`)."""
    return re.search(r"(?m)^\s*%s\s+%s\b" % (re.escape(step), word), out(r)) is not None


# ---- the example, embedded: one store shared by the tests below (made on first use) ----

_EXAMPLE = {}


def _example_store(ferry):
    """The embedded store with the example run once with the default parameters (rows=2000)."""
    if "store" not in _EXAMPLE:
        s = Store(ferry)
        t0 = time.time()
        r = s.pipe(EXAMPLE, *SMALL)
        _EXAMPLE.update(store=s, first=r, seconds=time.time() - t0)
    return _EXAMPLE["store"]


def _check_example_run(s, r, exp="fraud-training"):
    """A complete first run of the example: the pipeline run, its four step runs, their
    outputs, metrics and the registered model version. Returns (parent, steps)."""
    assert r.returncode == 0, out(r)
    for step in STEPS:
        assert step_line(r, step, "COMPLETE"), out(r)
    parent, steps = s.pipeline(exp)
    pid = parent["info"]["run_id"]
    assert parent["info"]["status"] == "FINISHED", parent["info"]
    assert parent["info"]["run_name"] == "fraud-training", parent["info"]
    pt = tags(parent)
    assert pt["ferry.pipeline.name"] == "fraud-training" and pt["mlflow.source.type"] == "PROJECT"
    assert params(parent).get("rows") == "2000" and params(parent).get("alpha") == "0.0001"
    spec = json.loads(s.artifact(pid, "pipeline/pipeline.json"))
    assert spec.get("name") == "fraud-training" and list(spec["steps"]) == STEPS, spec
    assert sorted(steps) == sorted(STEPS), steps.keys()
    for name, run in steps.items():
        t = tags(run)
        assert run["info"]["run_name"] == name and run["info"]["status"] == "FINISHED", run["info"]
        assert run["info"]["experiment_id"] == parent["info"]["experiment_id"]
        assert t["ferry.pipeline.step.state"] == "COMPLETE", t
        assert t["ferry.pipeline.name"] == "fraud-training", t
        assert re.fullmatch(r"[0-9a-f]{64}", t["ferry.pipeline.step.fingerprint"]), t
        assert t["ferry.pipeline.step.attempts"] == "1", t
        assert "ferry.pipeline.step.cachedFrom" not in t, t
    # steps start after their upstream steps end
    order = [steps[n]["info"] for n in STEPS]
    for a, b in zip(order, order[1:]):
        assert a["end_time"] <= b["start_time"], (a, b)
    # train: the entry point's resolved parameters and its metrics
    tp = params(steps["train"])
    assert tp["alpha"] == "0.0001" and tp["seed"] == "7" and tp["train"].endswith("train.csv"), tp
    assert metrics(steps["train"])["train_rows"] == 1500, metrics(steps["train"])
    # evaluate: metrics.json as its output and the same metrics on its run
    ev = json.loads(s.artifact(steps["evaluate"]["info"]["run_id"], "outputs/metrics.json"))
    assert 0.8 <= ev["auc"] <= 1 and ev["rows"] == 500, ev
    em = metrics(steps["evaluate"])
    assert abs(em["auc"] - ev["auc"]) < 1e-5, (em, ev)
    # outputs.json: name -> path, type, digest, size, uri
    outs = json.loads(s.artifact(steps["prep"]["info"]["run_id"], "pipeline/outputs.json"))
    prep_id = steps["prep"]["info"]["run_id"]
    assert outs["train"]["type"] == "dataset" and outs["train"]["path"] == "train.csv", outs
    assert outs["train"]["uri"] == "runs:/%s/outputs/train.csv" % prep_id, outs
    assert re.fullmatch(r"[0-9a-f]{64}", outs["train"]["digest"].split(":")[-1]), outs
    # each step's output log is an artifact of its run
    log = s.artifact(prep_id, "logs/output.log")
    assert b"prep: 2000 transactions" in log, log
    # register: a version of `fraud` whose source is the train step's model output
    train_id = steps["train"]["info"]["run_id"]
    vs = s.json("models", "versions", "fraud")
    vs = vs.get("model_versions", vs.get("versions", []))
    v = [x for x in vs if x.get("run_id") == train_id]
    assert len(v) == 1 and v[0]["source"] == "runs:/%s/outputs/model" % train_id, vs
    return parent, steps


def test_example_end_to_end(ferry):
    s = _example_store(ferry)
    _check_example_run(s, _EXAMPLE["first"])
    parent, steps = s.pipeline("fraud-training", 0)
    # the model it registered is in the format ferry serves: validate starts a scoring server
    # with the model's input example and checks the answer against its signature
    r = s.cmd("models", "validate", "-m", "models:/fraud/1", timeout=120)
    assert r.returncode == 0, out(r)
    # show: the steps in order with their state
    r = s.cmd("pipelines", "show", parent["info"]["run_id"])
    assert r.returncode == 0, out(r)
    for step in STEPS:
        assert step_line(r, step, "COMPLETE"), out(r)
    r = s.cmd("pipelines", "show", parent["info"]["run_id"], "--json")
    assert r.returncode == 0 and parent["info"]["run_id"].encode() in r.stdout, out(r)
    r = s.cmd("pipelines", "list")
    assert r.returncode == 0 and parent["info"]["run_id"].encode() in r.stdout, out(r)


def test_example_rerun_entirely_from_cache(ferry):
    s = _example_store(ferry)
    first, first_steps = s.pipeline("fraud-training", 0)
    versions = len(s.json("models", "versions", "fraud").get("model_versions", []))
    t0 = time.time()
    r = s.pipe(EXAMPLE, *SMALL)
    took = time.time() - t0
    assert r.returncode == 0, out(r)
    parent, steps = s.pipeline("fraud-training")
    assert parent["info"]["run_id"] != first["info"]["run_id"]
    assert parent["info"]["status"] == "FINISHED", parent["info"]
    assert states(steps) == {n: "CACHED" for n in STEPS}, states(steps)
    for name in STEPS:
        assert step_line(r, name, "CACHED"), out(r)
        t = tags(steps[name])
        src = tags(first_steps[name])
        assert t["ferry.pipeline.step.cachedFrom"] == first_steps[name]["info"]["run_id"], t
        assert t["ferry.pipeline.step.fingerprint"] == src["ferry.pipeline.step.fingerprint"]
        assert steps[name]["info"]["status"] == "FINISHED", steps[name]["info"]
    # nothing was registered again
    assert len(s.json("models", "versions", "fraud").get("model_versions", [])) == versions
    print("    cached rerun of the example: %.2fs (first run %.2fs)" % (took, _EXAMPLE["seconds"]))


def test_example_one_param_reruns_exactly_its_dependants(ferry):
    s = _example_store(ferry)
    first, first_steps = s.pipeline("fraud-training", 0)
    r = s.pipe(EXAMPLE, *SMALL, "-P", "alpha=0.001")
    assert r.returncode == 0, out(r)
    parent, steps = s.pipeline("fraud-training")
    assert states(steps) == {"prep": "CACHED", "train": "COMPLETE", "evaluate": "COMPLETE",
                             "register": "COMPLETE"}, states(steps)
    assert tags(steps["prep"])["ferry.pipeline.step.cachedFrom"] == \
        first_steps["prep"]["info"]["run_id"]
    assert params(steps["train"])["alpha"] == "0.001", params(steps["train"])
    assert params(parent)["alpha"] == "0.001", params(parent)
    for name in ("train", "evaluate", "register"):
        assert tags(steps[name])["ferry.pipeline.step.fingerprint"] != \
            tags(first_steps[name])["ferry.pipeline.step.fingerprint"], name
    train_id = steps["train"]["info"]["run_id"]
    vs = s.json("models", "versions", "fraud").get("model_versions", [])
    assert any(v.get("run_id") == train_id for v in vs), vs
    # the train step read prep's cached output: the same train.csv digest as the first run
    a = json.loads(s.artifact(first_steps["prep"]["info"]["run_id"], "pipeline/outputs.json"))
    r = s.pipe(EXAMPLE, *SMALL, "-P", "alpha=0.001")  # and that run is itself cached now
    assert r.returncode == 0, out(r)
    assert set(states(s.pipeline("fraud-training")[1]).values()) == {"CACHED"}
    assert a["train"]["digest"], a


def test_example_lineage_cli(ferry):
    s = _example_store(ferry)
    _, steps = s.pipeline("fraud-training", 0)
    train_id = steps["train"]["info"]["run_id"]
    prep_id = steps["prep"]["info"]["run_id"]
    # model <- train step <- prep step (and its output train.csv)
    r = s.cmd("lineage", "models:/fraud/1")
    assert r.returncode == 0, out(r)
    text = out(r)
    for word in ("models:/fraud/1", train_id[:8], prep_id[:8]):
        assert word in text, (word, text)
    assert text.index(train_id[:8]) < text.index(prep_id[:8]), text  # the tree goes upstream
    g = s.json("lineage", "models:/fraud/1")
    dump = json.dumps(g)
    for uri in ("runs:/%s" % train_id, "runs:/%s" % prep_id,
                "runs:/%s/outputs/train.csv" % prep_id, "runs:/%s/outputs/model" % train_id):
        assert uri in dump, (uri, g)
    kinds = {e.get("kind") for e in g.get("edges", [])}
    assert {"input", "output", "registered"} <= kinds, g.get("edges")
    # downstream of prep's output: the train step, its model and the registered version
    g = s.json("lineage", "runs:/%s/outputs/train.csv" % prep_id, "--down")
    dump = json.dumps(g)
    assert "runs:/%s" % train_id in dump and "models:/fraud/1" in dump, g
    # depth 1 from the model version: only its direct sources
    g = s.json("lineage", "models:/fraud/1", "--depth", "1")
    assert "runs:/%s" % prep_id not in json.dumps(g.get("nodes", [])), g
    # a bare run id works, an unknown uri is an error
    r = s.cmd("lineage", train_id)
    assert r.returncode == 0 and prep_id[:8] in out(r), out(r)
    r = s.cmd("lineage", "models:/no-such-model/1")
    assert r.returncode != 0 and "no-such-model" in out(r), out(r)


# ---- the example through a server, reading a dataset version ----

def test_example_through_a_server_from_a_dataset_version(ferry):
    s = Store(ferry, server=True)
    try:
        gen = os.path.join(s.dir, "gen")
        os.makedirs(gen)
        p = subprocess.run(["/usr/bin/python3", os.path.join(EXAMPLE, "prep.py"), "--rows",
                            "2400", "--seed", "3", "--test-fraction", "0.5", "--train",
                            os.path.join(gen, "transactions.csv"), "--test",
                            os.path.join(s.dir, "unused.csv")], capture_output=True, env=s.env)
        assert p.returncode == 0, p
        s.cmd("data", "add", "transactions", os.path.join(gen, "transactions.csv"), check=True)
        s.cmd("data", "alias", "transactions", "prod", "1", check=True)
        r = s.pipe(EXAMPLE, "--pipeline", "fraud-from-data", "-P", "data=data:/transactions@prod")
        assert r.returncode == 0, out(r)
        parent, steps = s.pipeline("fraud-from-data")
        assert states(steps) == {n: "COMPLETE" for n in STEPS}, states(steps)
        assert parent["info"]["status"] == "FINISHED"
        # the data: input was pinned to its version number
        assert "data:/transactions/1" in json.dumps(parent["data"]) + \
            json.dumps(steps["prep"]["data"]) + out(r), (parent, steps["prep"])
        log = s.artifact(steps["prep"]["info"]["run_id"], "logs/output.log")
        assert b"prep: 1200 transactions" in log, log
        # the whole graph through the server: model <- train <- prep <- data:/transactions/1
        g = s.json("lineage", "models:/fraud/1")
        dump = json.dumps(g)
        assert "data:/transactions/1" in dump and "runs:/%s" % \
            steps["prep"]["info"]["run_id"] in dump, g
        r = s.cmd("lineage", "data:/transactions/1", "--down")
        assert r.returncode == 0 and "models:/fraud/1" in out(r), out(r)
        # and a rerun through the server is entirely cached
        r = s.pipe(EXAMPLE, "--pipeline", "fraud-from-data", "-P", "data=data:/transactions/1")
        assert r.returncode == 0, out(r)
        assert states(s.pipeline("fraud-from-data")[1]) == {n: "CACHED" for n in STEPS}
    finally:
        s.stop()


# ---- synthetic pipelines: shell steps, each a second or two at most ----

def test_deleted_output_artifact_invalidates_its_cache_entry(ferry):
    s = Store(ferry)
    d = project({"pipeline.yaml": """
name: artifacts
steps:
  make:
    run: printf 'made\\n' > {outputs.data}
    outputs: {data: data.txt}
  use:
    run: cat {steps.make.outputs.data} {steps.make.outputs.data} > {outputs.twice}
    outputs: {twice: twice.txt}
"""})
    r = s.pipe(d)
    assert r.returncode == 0, out(r)
    _, first = s.pipeline("artifacts")
    make_id = first["make"]["info"]["run_id"]
    assert s.artifact(first["use"]["info"]["run_id"], "outputs/twice.txt") == b"made\nmade\n"
    r = s.pipe(d)
    assert states(s.pipeline("artifacts")[1]) == {"make": "CACHED", "use": "CACHED"}, out(r)
    # remove make's output from the artifact store: its cache entry is gone, it runs again;
    # its new output has the same digest, so `use` stays cached
    uri = s.json("runs", "describe", make_id)["run"]["info"]["artifact_uri"]
    assert uri.startswith("file://") or uri.startswith("/"), uri
    path = os.path.join(uri[len("file://"):] if uri.startswith("file://") else uri,
                        "outputs", "data.txt")
    assert os.path.isfile(path), path
    os.unlink(path)
    r = s.pipe(d)
    assert r.returncode == 0, out(r)
    _, steps = s.pipeline("artifacts")
    assert states(steps) == {"make": "COMPLETE", "use": "CACHED"}, out(r)
    assert tags(steps["use"])["ferry.pipeline.step.cachedFrom"] == first["use"]["info"]["run_id"]
    # a deleted run is no cache entry either
    s.cmd("runs", "delete", steps["make"]["info"]["run_id"], check=True)
    r = s.pipe(d)
    assert states(s.pipeline("artifacts")[1]) == {"make": "COMPLETE", "use": "CACHED"}, out(r)
    # --no-cache runs everything, cache: false always runs its step
    r = s.pipe(d, "--no-cache")
    assert states(s.pipeline("artifacts")[1]) == {"make": "COMPLETE", "use": "COMPLETE"}, out(r)
    # --from STEP runs that step and its dependants
    r = s.pipe(d, "--from", "use")
    assert states(s.pipeline("artifacts")[1]) == {"make": "CACHED", "use": "COMPLETE"}, out(r)


def _spans(path):
    """{step: (start, end)} from lines `STEP start|end SECONDS` the steps appended."""
    spans = {}
    with open(path) as f:
        for line in f:
            step, what, when = line.split()
            spans.setdefault(step, [0.0, 0.0])[what == "end"] = float(when)
    return spans


def test_independent_steps_overlap_in_time(ferry):
    s = Store(ferry, server=True)
    try:
        times = os.path.join(s.dir, "times")
        step = ("echo {s} start $(date +%s.%N) >> TIMES; sleep 1; echo x > {outputs.o}; "
                "echo {s} end $(date +%s.%N) >> TIMES").replace("TIMES", times)
        spec = """
name: fan
steps:
  a: {run: "%s", outputs: {o: o.txt}, cache: false}
  b: {run: "%s", outputs: {o: o.txt}, cache: false}
  c: {run: "%s", outputs: {o: o.txt}, cache: false}
  join:
    run: cat {steps.a.outputs.o} {steps.b.outputs.o} {steps.c.outputs.o} > {outputs.all}
    outputs: {all: all.txt}
    cache: false
""" % tuple(step.replace("{s}", n).replace('"', '\\"') for n in "abc")
        d = project({"pipeline.yaml": spec})
        t0 = time.time()
        r = s.pipe(d, "--parallel", "3")
        took = time.time() - t0
        assert r.returncode == 0, out(r)
        sp = _spans(times)
        assert sorted(sp) == ["a", "b", "c"], sp
        # all three ran at once: each started before any of them ended
        assert max(v[0] for v in sp.values()) < min(v[1] for v in sp.values()), sp
        print("    3 one-second steps with --parallel 3 and a fan-in: %.2fs" % took)
        _, steps = s.pipeline("fan")
        assert states(steps) == {n: "COMPLETE" for n in ("a", "b", "c", "join")}
        # the fan-in started after every upstream step ended
        assert all(steps["join"]["info"]["start_time"] >= steps[n]["info"]["end_time"]
                   for n in "abc"), steps
        # --parallel 1: one at a time
        os.unlink(times)
        r = s.pipe(d, "--parallel", "1")
        assert r.returncode == 0, out(r)
        sp = sorted(_spans(times).values())
        assert all(x[1] <= y[0] for x, y in zip(sp, sp[1:])), sp
    finally:
        s.stop()


def test_retries_failures_and_missing_outputs(ferry):
    s = Store(ferry)
    count = os.path.join(s.dir, "count")
    d = project({"pipeline.yaml": """
name: flaky
steps:
  flaky:
    run: n=$(cat %s 2>/dev/null || echo 0); n=$((n+1)); echo $n > %s; echo attempt $n; test $n -ge 2 && echo ok > {outputs.o}
    outputs: {o: o.txt}
    retries: 1
  broken:
    run: echo broken attempt; exit 3
    retries: 2
  after_broken:
    run: echo never > {outputs.o}
    outputs: {o: o.txt}
    after: [broken]
  downstream:
    run: cat {steps.after_broken.outputs.o}
  lazy:
    run: echo "forgot to write it"
    outputs: {o: {path: sub/o.txt, type: file}}
  independent:
    run: sleep 1; echo done > {outputs.o}
    outputs: {o: o.txt}
""" % (count, count)})
    r = s.pipe(d)
    assert r.returncode == 1, out(r)
    parent, steps = s.pipeline("flaky")
    assert parent["info"]["status"] == "FAILED", parent["info"]
    assert states(steps) == {"flaky": "COMPLETE", "broken": "FAILED", "lazy": "FAILED",
                             "independent": "COMPLETE"}, states(steps)
    assert tags(steps["flaky"])["ferry.pipeline.step.attempts"] == "2"
    assert tags(steps["broken"])["ferry.pipeline.step.attempts"] == "3"
    assert steps["broken"]["info"]["status"] == "FAILED"
    log = s.artifact(steps["flaky"]["info"]["run_id"], "logs/output.log")
    assert b"attempt 1" in log and b"attempt 2" in log, log
    log = s.artifact(steps["broken"]["info"]["run_id"], "logs/output.log")
    assert log.count(b"broken attempt") == 3, log
    assert step_line(r, "after_broken", "SKIPPED") and step_line(r, "downstream", "SKIPPED")
    assert "[flaky] attempt 1" in out(r), out(r)
    assert re.search(r"(?m)^\s*lazy\s+FAILED.*did not write its declared output o\b", out(r)), \
        out(r)
    # a rerun reuses the complete steps, retries the failed ones
    r = s.pipe(d)
    assert r.returncode == 1
    st = states(s.pipeline("flaky")[1])
    assert st["flaky"] == "CACHED" and st["independent"] == "CACHED" and st["broken"] == "FAILED"


def test_timeouts_term_then_kill(ferry):
    s = Store(ferry)
    d = project({"pipeline.yaml": """
name: slow
steps:
  polite:
    run: sleep 60
    timeout: 1s
  stubborn:
    run: trap '' TERM; sleep 60; sleep 61
    timeout: 1s
  after:
    run: "true"
    after: [polite]
"""})
    t0 = time.time()
    r = s.pipe(d, timeout=60)
    took = time.time() - t0
    assert r.returncode == 1, out(r)
    for step in ("polite", "stubborn"):
        assert re.search(r"(?m)^\s*%s\s+FAILED.*timed out after 1s" % step, out(r)), out(r)
    # TERM at 1 s, KILL 5 s later for the one that ignores TERM
    assert 1 <= took < 20, took
    _, steps = s.pipeline("slow")
    assert states(steps) == {"polite": "FAILED", "stubborn": "FAILED"}, states(steps)
    assert step_line(r, "after", "SKIPPED"), out(r)


def _pgid_members(pgid):
    """The pids of live (not zombie) processes in process group pgid."""
    pids = []
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[2]) == pgid and fields[0] != "Z":
            pids.append(int(p))
    return pids


def test_sigterm_cancels_every_step_and_leaves_no_process(ferry):
    s = Store(ferry)
    marks = os.path.join(s.dir, "marks")
    os.makedirs(marks)
    d = project({"pipeline.yaml": """
name: cancel
steps:
  one:
    run: echo $$ > %s/one; sleep 60 & sleep 61; wait
  two:
    run: trap '' TERM; echo $$ > %s/two; sleep 60; sleep 61
  three:
    run: "true"
    after: [one]
""" % (marks, marks)})
    p = subprocess.Popen([ferry, "--tracking-uri", s.uri, "pipelines", "run", d],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=s.dir, env=s.env)
    try:
        deadline = time.time() + 60
        while time.time() < deadline and len(os.listdir(marks)) < 2:
            time.sleep(0.05)
        assert len(os.listdir(marks)) == 2, "the steps did not start"
        time.sleep(0.3)  # both shells have started their sleeps
        groups = []
        for name in ("one", "two"):
            with open(os.path.join(marks, name)) as f:
                pid = int(f.read())
            pgid = os.getpgid(pid)
            assert pgid != os.getpgid(p.pid), "a step runs in ferry's own process group"
            groups.append(pgid)
            assert len(_pgid_members(pgid)) >= 2, (name, _pgid_members(pgid))
        t0 = time.time()
        p.send_signal(signal.SIGTERM)
        output, _ = p.communicate(timeout=30)
        took = time.time() - t0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 128 + signal.SIGTERM, (p.returncode, output)
    assert took < 15, took  # TERM, then KILL after 5 s for the step that ignores it
    deadline = time.time() + 1  # SIGKILL is delivered asynchronously: allow a moment
    while time.time() < deadline and any(_pgid_members(g) for g in groups):
        time.sleep(0.05)
    for g in groups:
        assert _pgid_members(g) == [], "processes left behind in group %d" % g
    parent, steps = s.pipeline("cancel")
    assert parent["info"]["status"] == "KILLED", parent["info"]
    assert states(steps) == {"one": "KILLED", "two": "KILLED"}, states(steps)
    assert all(r["info"]["status"] == "KILLED" for r in steps.values())


def test_environment_of_a_step(ferry):
    s = Store(ferry, server=True)
    try:
        d = project({"pipeline.yaml": """
name: envs
params: {greeting: {type: string, default: "it's $HOME"}}
steps:
  show:
    run: env | grep -E '^(FERRY|MLFLOW)_' | sort > {outputs.env}; echo {params.greeting} > {outputs.g}; echo "{{braces}}" > {outputs.b}
    env: {EXTRA: "x-{params.greeting}"}
    outputs: {env: env.txt, g: g.txt, b: b.txt}
  extra:
    run: echo "$EXTRA" > {outputs.x}; test "$PWD" = "%s"
    env: {EXTRA: "x-{params.greeting}-{steps.show.run_id}"}
    outputs: {x: x.txt}
""" % "PROJECT_DIR"})
        with open(os.path.join(d, "pipeline.yaml")) as f:
            text = f.read().replace("PROJECT_DIR", os.path.realpath(d))
        with open(os.path.join(d, "pipeline.yaml"), "w") as f:
            f.write(text)
        r = s.pipe(d)
        assert r.returncode == 0, out(r)
        parent, steps = s.pipeline("envs")
        sid = steps["show"]["info"]["run_id"]
        env = dict(line.split("=", 1) for line in
                   s.artifact(sid, "outputs/env.txt").decode().splitlines())
        assert env["MLFLOW_RUN_ID"] == sid and env["FERRY_RUN_ID"] == sid, env
        assert env["FERRY_PIPELINE_RUN_ID"] == parent["info"]["run_id"], env
        assert env["FERRY_STEP"] == "show" and env["FERRY_TRACKING_URI"] == s.uri, env
        assert env["MLFLOW_TRACKING_URI"] == s.uri, env
        assert env["MLFLOW_EXPERIMENT_ID"] == parent["info"]["experiment_id"], env
        assert env["FERRY_PYTHON"] == "/usr/bin/python3", env
        assert not env["FERRY_STEP_OUTPUTS"].startswith(os.path.realpath(d)), env
        assert s.artifact(sid, "outputs/g.txt") == b"it's $HOME\n"
        assert s.artifact(sid, "outputs/b.txt") == b"{braces}\n"
        x = s.artifact(steps["extra"]["info"]["run_id"], "outputs/x.txt")
        assert x == ("x-it's $HOME-%s\n" % sid).encode(), x
        # the per-step output directories are gone when the pipeline ends
        assert not os.path.exists(env["FERRY_STEP_OUTPUTS"]), env["FERRY_STEP_OUTPUTS"]
    finally:
        s.stop()


def test_a_step_logs_to_the_store_named_by_a_relative_path(ferry):
    """The default store is ./ferry.db: a step runs in the project dir, so the store it is
    told of (FERRY_TRACKING_URI) must be the caller's file made absolute, not a new ferry.db
    beside the project's code."""
    if on_postgres():
        return
    s = Store(ferry)
    s.uri = "ferry.db"  # relative to the caller's directory (s.dir)
    d = project({"pipeline.yaml": """
name: relative
steps:
  log:
    run: '"$FERRY" log param from_step yes'
"""})
    r = s.pipe(d)
    assert r.returncode == 0, out(r)
    _, steps = s.pipeline("relative")
    params = {p["key"]: p["value"] for p in steps["log"]["data"].get("params", [])}
    assert params.get("from_step") == "yes", steps["log"]
    assert not os.path.exists(os.path.join(d, "ferry.db")), os.listdir(d)


# ---- every bad spec: exit 2, a message naming the problem, nothing recorded ----

GOOD_STEP = "  ok: {run: 'echo hi > {outputs.o}', outputs: {o: o.txt}}\n"

BAD_SPECS = [
    # (what, pipeline.yaml, extra args, words in the message)
    ("yaml syntax", "name: x\nsteps: {a: {run: [}\n", [], "pipeline.yaml"),
    ("not a mapping", "- a\n- b\n", [], "mapping"),
    ("no name", "steps:\n" + GOOD_STEP, [], "name"),
    ("bad name", "name: -x\nsteps:\n" + GOOD_STEP, [], "name"),
    ("no steps", "name: x\nsteps: {}\n", [], "steps"),
    ("unknown top key", "name: x\nstep:\n" + GOOD_STEP, [], "step"),
    ("unknown step key", "name: x\nsteps:\n  a: {run: 'true', retry: 1}\n", [], "retry"),
    ("unknown output key",
     "name: x\nsteps:\n  a: {run: 'true', outputs: {o: {path: o, kind: file}}}\n",
     [], "kind"),
    ("unknown output type",
     "name: x\nsteps:\n  a: {run: 'true', outputs: {o: {path: o, type: blob}}}\n",
     [], "outputs.o.type"),
    ("unknown param key", "name: x\nparams: {p: {type: int, defualt: 1}}\nsteps:\n" + GOOD_STEP,
     [], "defualt"),
    ("unknown param type", "name: x\nparams: {p: {type: integer}}\nsteps:\n" + GOOD_STEP, [],
     "params.p.type"),
    ("no command", "name: x\nsteps:\n  a: {outputs: {o: o}}\n", [], "a"),
    ("two commands", "name: x\nsteps:\n  a: {run: 'true', entry_point: main}\n", [], "a"),
    ("uses", "name: x\nsteps:\n  a: {uses: ferry/train}\n", [], "unknown built-in step"),
    ("retries type", "name: x\nsteps:\n  a: {run: 'true', retries: many}\n", [], "retries"),
    ("retries range", "name: x\nsteps:\n  a: {run: 'true', retries: 11}\n", [], "retries"),
    ("timeout", "name: x\nsteps:\n  a: {run: 'true', timeout: forever}\n", [], "timeout"),
    ("cache type", "name: x\nsteps:\n  a: {run: 'true', cache: sometimes}\n", [], "cache"),
    ("cycle", "name: x\nsteps:\n"
     "  a: {run: 'cat {steps.b.outputs.o} > {outputs.o}', outputs: {o: o}}\n"
     "  b: {run: 'cat {steps.a.outputs.o} > {outputs.o}', outputs: {o: o}}\n", [], "a -> b -> a"),
    ("after cycle", "name: x\nsteps:\n  a: {run: 'true', after: [a]}\n", [], "a -> a"),
    ("unknown step", "name: x\nsteps:\n  a: {run: 'cat {steps.nope.outputs.o}'}\n", [], "nope"),
    ("unknown after", "name: x\nsteps:\n  a: {run: 'true', after: [nope]}\n", [], "nope"),
    ("unknown output", "name: x\nsteps:\n" + GOOD_STEP +
     "  a: {run: 'cat {steps.ok.outputs.nope}'}\n", [], "nope"),
    ("unknown param ref", "name: x\nsteps:\n  a: {run: 'echo {params.nope}'}\n", [], "nope"),
    ("unknown input ref", "name: x\nsteps:\n  a: {run: 'cat {inputs.nope}'}\n", [], "nope"),
    ("unknown own output", "name: x\nsteps:\n  a: {run: 'echo > {outputs.nope}'}\n", [], "nope"),
    ("unknown template", "name: x\nsteps:\n  a: {run: 'echo {whatever}'}\n", [], "whatever"),
    ("unclosed brace", "name: x\nsteps:\n  a: {run: 'echo {params.x'}\n", [], "a"),
    ("missing input path",
     "name: x\nsteps:\n  a: {run: 'cat {inputs.i}', inputs: {i: no/such.csv}}\n",
     [], "no/such.csv"),
    ("unresolvable data uri",
     "name: x\nsteps:\n  a: {run: 'cat {inputs.i}', inputs: {i: 'data:/nope/3'}}\n",
     [], "nope"),
    ("output outside", "name: x\nsteps:\n  a: {run: 'true', outputs: {o: ../o.txt}}\n", [], ".."),
    ("absolute output", "name: x\nsteps:\n  a: {run: 'true', outputs: {o: /tmp/o.txt}}\n", [],
     "/tmp/o.txt"),
    ("duplicate output paths",
     "name: x\nsteps:\n  a: {run: 'true', outputs: {o: o.txt, p: o.txt}}\n",
     [], "o.txt"),
    ("unknown -P", "name: x\nsteps:\n" + GOOD_STEP, ["-P", "nope=1"], "nope"),
    ("-P without =", "name: x\nparams: {p: 1}\nsteps:\n" + GOOD_STEP, ["-P", "p"], "p"),
    ("missing required param", "name: x\nparams: {p: {type: int}}\nsteps:\n" + GOOD_STEP, [],
     "p"),
    ("param not an int", "name: x\nparams: {p: {type: int, default: 1}}\nsteps:\n" + GOOD_STEP,
     ["-P", "p=ten"], "p"),
    ("param not a float", "name: x\nparams: {p: {type: float, default: 1.5}}\nsteps:\n" +
     GOOD_STEP, ["-P", "p=fast"], "p"),
    ("bad default", "name: x\nparams: {p: {type: int, default: ten}}\nsteps:\n" + GOOD_STEP, [],
     "p"),
    ("missing path param", "name: x\nparams: {p: {type: path, default: no/such}}\nsteps:\n  a:"
     " {run: 'cat {inputs.i}', inputs: {i: '{params.p}'}}\n", [], "no/such"),
    ("unknown --from", "name: x\nsteps:\n" + GOOD_STEP, ["--from", "nope"], "nope"),
    ("unknown entry point", "name: x\nsteps:\n  a: {entry_point: nope}\n", [], "nope"),
    ("entry point bad param", "name: x\nsteps:\n  a: {entry_point: main, params: {n: ten}}\n",
     [], "n"),
    ("entry point missing param", "name: x\nsteps:\n  a: {entry_point: needs}\n", [], "req"),
    ("bad --parallel", "name: x\nsteps:\n" + GOOD_STEP, ["--parallel", "0"], "parallel"),
    ("unknown --pipeline", "name: x\nsteps:\n" + GOOD_STEP, ["--pipeline", "nope"], "nope"),
    ("bad cache_max_age", "name: x\nsteps:\n  a: {run: 'true', cache_max_age: soon}\n", [],
     "cache_max_age"),
]

MLPROJECT = """
name: bad-specs
entry_points:
  main:
    parameters: {n: {type: int, default: 1}}
    command: "echo {n}"
  needs:
    parameters: {req: path}
    command: "cat {req}"
"""


# Through a server, the cases whose checks read the store or cross the client (the spec checks
# themselves are the same code whatever the store; the embedded test runs every case).
SERVER_CASES = ("yaml syntax", "cycle", "unknown step", "missing input path",
                "unresolvable data uri", "unknown -P", "missing required param",
                "param not an int", "unknown --from", "entry point bad param")


def _refused(s, case):
    """None when `ferry pipelines run` refuses the bad spec as it should, else what went wrong."""
    what, spec, args, words = case
    d = project({"pipeline.yaml": spec, "MLproject": MLPROJECT})
    try:
        r = s.pipe(d, *args)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    msg = r.stderr.decode("utf-8", "replace")
    if r.returncode != 2 or words not in msg or not msg.startswith("ferry"):
        return "%s: exit %d, stderr %r" % (what, r.returncode, msg[:300])
    return None


def _bad_specs(s, cases):
    # something in the store to keep unchanged: one good pipeline run
    good = project({"pipeline.yaml": "name: good\nsteps:\n" + GOOD_STEP, "MLproject": MLPROJECT})
    r = s.pipe(good)
    assert r.returncode == 0, out(r)
    before = s.snapshot()
    # each case is one short ferry process: a few at once (the sanitizers' start-up dominates)
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        failures = [f for f in pool.map(lambda c: _refused(s, c), cases) if f]
    # a missing file and a directory without a pipeline
    for target in (os.path.join(s.dir, "no-such-dir"), project({"README": "nothing here\n"})):
        r = s.pipe(target)
        if r.returncode != 2:
            failures.append("%s: exit %d %r" % (target, r.returncode, out(r)[:300]))
    # --dry-run plans and prints, records nothing
    r = s.pipe(good, "--dry-run")
    if r.returncode != 0 or b"ok" not in r.stdout:
        failures.append("--dry-run: exit %d %r" % (r.returncode, out(r)[:300]))
    after = s.snapshot()
    assert not failures, "\n".join(failures)
    assert after == before, "a refused pipeline changed the store"


def test_every_bad_spec_exits_2_and_records_nothing_embedded(ferry):
    _bad_specs(Store(ferry), BAD_SPECS)


def test_every_bad_spec_exits_2_and_records_nothing_server(ferry):
    s = Store(ferry, server=True)
    try:
        cases = [c for c in BAD_SPECS if c[0] in SERVER_CASES]
        assert len(cases) == len(SERVER_CASES), [c[0] for c in cases]
        _bad_specs(s, cases)
    finally:
        s.stop()
