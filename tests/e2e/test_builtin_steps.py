# SPDX-License-Identifier: MIT
"""The built-in pipeline steps (issue 21: `uses: ferry/...` with `with:`), end to end on an
embedded SQLite store (or a fresh PostgreSQL database on the PostgreSQL pass): a pipeline
prep -> validate-data -> train (sklearn, /usr/bin/python3) -> evaluate -> gate -> register.
A good candidate passes and is registered (tags: the gate's verdict, the pipeline run, the
source run, the data) and becomes @champion; a worse one (labels shuffled) is scored against
that champion, fails the gate (exit 1, the gate's run tagged failed, nothing registered);
a column out of range fails validate-data before training runs; `ferry step` is hidden from
the help and refuses bad `with`s with exit 2; bad `uses`/`with` specs exit 2 and record
nothing."""
import json
import os
import subprocess

from test_pipelines import Store, metrics, out, project, step_line, tags

OWN_SERVER = True

PREP = r'''
import argparse, csv, random
ap = argparse.ArgumentParser()
ap.add_argument("--train"); ap.add_argument("--test"); ap.add_argument("--shuffle", type=int)
a = ap.parse_args()
rnd = random.Random(3)
def rows(n):
    out = []
    for _ in range(n):
        x1, x2 = rnd.uniform(-3, 3), rnd.uniform(-3, 3)
        region = rnd.choice([0, 1])
        out.append([round(x1, 4), round(x2, 4), region, int(x1 + 0.5 * x2 > 0)])
    return out
train, test = rows(600), rows(400)
if a.shuffle:
    ys = [r[3] for r in train]
    rnd.shuffle(ys)
    for r, y in zip(train, ys):
        r[3] = y
for path, data in ((a.train, train), (a.test, test)):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["x1", "x2", "region", "y"])
        w.writerows(data)
'''

TRAIN = r'''
import argparse, csv, json, os, pickle
from sklearn.linear_model import LogisticRegression
ap = argparse.ArgumentParser(); ap.add_argument("--train"); ap.add_argument("--out")
a = ap.parse_args()
with open(a.train) as f:
    rows = list(csv.DictReader(f))
x = [[float(r["x1"]), float(r["x2"]), float(r["region"])] for r in rows]
y = [int(r["y"]) for r in rows]
m = LogisticRegression().fit(x, y)
os.makedirs(a.out, exist_ok=True)
with open(os.path.join(a.out, "model.pkl"), "wb") as f:
    pickle.dump(m, f)
import sklearn
cols = json.dumps([{"type": "double", "name": c} for c in ("x1", "x2", "region")])
with open(os.path.join(a.out, "MLmodel"), "w") as f:
    f.write("flavors:\n  python_function: {loader_module: mlflow.sklearn, model_path: model.pkl}\n"
            "  sklearn: {pickled_model: model.pkl, serialization_format: pickle,"
            " sklearn_version: %s}\nsignature:\n  inputs: '%s'\n" % (sklearn.__version__, cols))
'''

PIPELINE = '''
name: bs-training
params:
  shuffle: {type: int, default: 0}
  x1_max: {type: float, default: 10}
  min_accuracy: {type: float, default: 0.8}
steps:
  prep:
    run: '"$FERRY_PYTHON" prep.py --train {outputs.train} --test {outputs.test} --shuffle {params.shuffle}'
    outputs: {train: train.csv, test: test.csv}
  validate:
    uses: ferry/validate-data
    with:
      data: "{steps.prep.outputs.train}"
      reference: "{steps.prep.outputs.test}"
      expectations:
        min_rows: 100
        columns:
          x1: {type: float, min: -10, max: "{params.x1_max}", max_null_share: 0}
          region: {type: int, allowed: [0, 1]}
          y: {allowed: [0, 1]}
      drift: {test: ks, threshold: 0.0001, columns: [x1, x2]}
  train:
    run: '"$FERRY_PYTHON" train.py --train {steps.prep.outputs.train} --out {outputs.model}'
    outputs: {model: {path: model, type: model}}
    after: [validate]
  evaluate:
    uses: ferry/evaluate
    with:
      candidate: "{steps.train.outputs.model.uri}"
      champion: "models:/bs@champion"
      data: "{steps.prep.outputs.test}"
      target: y
      metrics: [accuracy, precision, recall, f1]
      slices: {region: all}
  gate:
    uses: ferry/gate
    with:
      evaluation: "{steps.evaluate.outputs.report}"
      min: {accuracy: "{params.min_accuracy}"}
      min_improvement: {accuracy: -0.02}
      max_slice_regression: {accuracy: 0.05}
  register:
    uses: ferry/register
    with:
      model: "{steps.train.outputs.model.uri}"
      name: bs
      verdict: "{steps.gate.outputs.verdict}"
      alias: champion
      data: ["{steps.prep.outputs.train.uri}"]
      tags: {team: risk}
'''

STEPS = ["prep", "validate", "train", "evaluate", "gate", "register"]


def _project():
    return project({"pipeline.yaml": PIPELINE, "prep.py": PREP, "train.py": TRAIN})


def _step_runs(s, pipeline_run_id):
    """{step name: its run} of one pipeline run."""
    runs = [r for r in s.runs("bs-training")
            if tags(r).get("ferry.pipeline.runId") == pipeline_run_id]
    return {tags(r)["ferry.pipeline.step"]: r for r in runs}


def _pipeline_run_id(s, before):
    ids = [r["info"]["run_id"] for r in s.runs("bs-training")
           if "ferry.pipeline.runId" not in tags(r) and r["info"]["run_id"] not in before]
    assert len(ids) == 1, ids
    return ids[0]


def _versions(s):
    r = s.cmd("models", "versions", "bs", "--json")
    if r.returncode:
        return []
    return json.loads(r.stdout).get("model_versions", [])


def _download_json(s, run_id, path):
    return json.loads(s.artifact(run_id, path))


def test_good_candidate_registered_worse_one_refused_bad_data_stops_training(ferry):
    s = Store(ferry)
    proj = _project()
    # 1. a good candidate: every step completes, version 1 is registered as @champion
    before = {r["info"]["run_id"] for r in s.runs("bs-training")}
    r = s.pipe(proj, timeout=180)
    assert r.returncode == 0, out(r)
    for st in STEPS:
        assert step_line(r, st, "COMPLETE"), (st, out(r))
    assert "(no champion)" in out(r), out(r)
    run1 = _pipeline_run_id(s, before)
    steps = _step_runs(s, run1)
    vs = _versions(s)
    assert len(vs) == 1, vs
    v = vs[0]
    vt = {t["key"]: t["value"] for t in v.get("tags", [])}
    assert vt["ferry.gate.verdict"] == "passed", vt
    assert vt["ferry.pipeline.runId"] == run1, vt
    assert vt["mlflow.source.run"] == steps["train"]["info"]["run_id"], vt
    assert vt["team"] == "risk", vt
    assert vt["ferry.data"].startswith("runs:/%s/outputs/train.csv" % steps["prep"]["info"]["run_id"]), vt
    assert v["source"] == "runs:/%s/outputs/model" % steps["train"]["info"]["run_id"], v
    assert v.get("run_id") == steps["train"]["info"]["run_id"], v
    m = metrics(steps["evaluate"])
    assert m["candidate_accuracy"] > 0.9, m
    assert not any(k.startswith("champion_") for k in m), m
    assert tags(steps["gate"])["ferry.gate.verdict"] == "passed"
    ev = _download_json(s, steps["evaluate"]["info"]["run_id"], "outputs/evaluation.json")
    assert ev["kind"] == "classification" and ev["champion"] is None, ev
    assert "no champion" in ev["champion_note"], ev
    assert {x["value"] for x in ev["slices"]} == {0, 1}, ev["slices"]
    val = _download_json(s, steps["validate"]["info"]["run_id"], "outputs/validation.json")
    assert val["passed"] and val["violations"] == [], val
    assert val["profile"]["rows"] == 600 and val["drift"]["number_of_columns"] >= 2, val
    reg = _download_json(s, steps["register"]["info"]["run_id"], "outputs/registered.json")
    assert reg == {"name": "bs", "version": "1", "uri": "models:/bs/1", "alias": "champion"}, reg

    # 2. labels shuffled: scored against @champion, the gate fails, nothing is registered
    before = {x["info"]["run_id"] for x in s.runs("bs-training")}
    r = s.pipe(proj, "-P", "shuffle=1", timeout=180)
    assert r.returncode == 1, out(r)
    assert step_line(r, "evaluate", "COMPLETE") and step_line(r, "gate", "FAILED"), out(r)
    assert step_line(r, "register", "SKIPPED"), out(r)
    assert "min: accuracy is" in out(r) and "below the minimum 0.8" in out(r), out(r)
    assert "min_improvement: accuracy" in out(r), out(r)
    run2 = _pipeline_run_id(s, before)
    steps = _step_runs(s, run2)
    assert "register" not in steps, steps.keys()
    assert len(_versions(s)) == 1
    m = metrics(steps["evaluate"])
    assert m["champion_accuracy"] > 0.9 and m["candidate_accuracy"] < 0.8, m
    gt = tags(steps["gate"])
    assert gt["ferry.gate.verdict"] == "failed" and "min: accuracy" in gt["ferry.gate.reasons"], gt
    verdict = _download_json(s, steps["gate"]["info"]["run_id"], "outputs/gate.json")
    assert verdict["passed"] is False and verdict["champion"] is True, verdict
    assert any(c["rule"] == "max_slice_regression" for c in verdict["checks"]), verdict

    # 3. a column out of range: validate-data fails, train never runs
    before = {x["info"]["run_id"] for x in s.runs("bs-training")}
    r = s.pipe(proj, "-P", "x1_max=1", timeout=180)
    assert r.returncode == 1, out(r)
    assert step_line(r, "validate", "FAILED"), out(r)
    assert step_line(r, "train", "SKIPPED"), out(r)
    assert "column 'x1': maximum" in out(r) and "is above 1" in out(r), out(r)
    run3 = _pipeline_run_id(s, before)
    steps = _step_runs(s, run3)
    assert "train" not in steps and "validate" in steps, steps.keys()
    assert len(_versions(s)) == 1

    # 4. unchanged rerun of the good pipeline: every step from the cache, nothing new registered
    r = s.pipe(proj, timeout=180)
    assert r.returncode == 0, out(r)
    assert step_line(r, "register", "CACHED"), out(r)
    assert len(_versions(s)) == 1


def test_step_command_is_hidden_and_refuses_bad_with(ferry):
    r = subprocess.run([ferry, "--help"], capture_output=True)
    assert b" step " not in r.stdout and b"pipelines" in r.stdout, r.stdout
    r = subprocess.run([ferry, "step", "--help"], capture_output=True)
    assert r.returncode == 0 and b"validate-data" in r.stdout, r
    d = project({})
    cases = [
        (["step", "train", "--with-json", "{}", "--out", d], "unknown built-in step 'train'"),
        (["step", "gate", "--with-json", "[]", "--out", d], "--with-json must be a JSON object"),
        (["step", "gate", "--with-json", "{}", "--out", d], "with: ferry/gate needs 'evaluation'"),
        (["step", "gate", "--with-json", '{"evaluation": "x", "mini": {}}', "--out", d],
         "unknown key 'mini' for ferry/gate"),
        (["step", "gate", "--with-json", '{"evaluation": "/nonexistent.json"}', "--out", d],
         "cannot read /nonexistent.json"),
        (["step", "gate", "--with-json", '{"evaluation": {"candidate": {}}, "min": {"a": "x"}}',
          "--out", d], "with.min.a must be a number"),
        (["step", "gate", "--with-json", '{"evaluation": "x"}', "--out", "/nonexistent"],
         "is not a directory"),
        (["step", "validate-data", "--with-json", '{"data": "/nonexistent.csv"}', "--out", d],
         "no data file '/nonexistent.csv'"),
        (["step", "validate-data", "--with-json",
          '{"data": "%s", "expectations": {"rows": 1}}' % os.path.join(d, "x.csv"), "--out", d],
         "unknown key 'rows'"),
        (["step", "register", "--with-json", '{"model": "/tmp/m", "name": "x"}', "--out", d],
         "is a local path"),
        (["step", "deploy", "--with-json", '{"deployment": "d", "version": "x"}', "--out", d],
         "with.version must be models:/NAME/VERSION"),
    ]
    with open(os.path.join(d, "x.csv"), "w") as f:
        f.write("a\n1\n")
    for args, needle in cases:
        r = subprocess.run([ferry, "--tracking-uri", os.path.join(d, "t.db")] + args,
                           capture_output=True)
        assert r.returncode == 2, (args, r)
        assert needle in r.stderr.decode(), (args, r.stderr)
    # validate-data reads a dataset version through the store (data:/NAME/V, or @latest-like
    # forms): a one-CSV version named without its file, and a violation listed
    db = os.path.join(d, "t.db")
    with open(os.path.join(d, "amounts.csv"), "w") as f:
        f.write("amount,country\n10.5,FR\n20,DE\n-3,US\n")
    r = subprocess.run([ferry, "--tracking-uri", db, "data", "add", "amounts",
                        os.path.join(d, "amounts.csv")], capture_output=True)
    assert r.returncode == 0, r
    w = {"data": "data:/amounts/1", "expectations": {"min_rows": 2, "columns": {
        "amount": {"type": "float", "min": 0}, "country": {"allowed": ["FR", "DE"]}}}}
    r = subprocess.run([ferry, "--tracking-uri", db, "step", "validate-data", "--with-json",
                        json.dumps(w), "--out", d], capture_output=True)
    assert r.returncode == 1, r
    err = r.stderr.decode()
    assert "column 'amount': minimum -3 is below 0" in err, err
    assert "column 'country': 1 value not allowed ('US')" in err, err
    assert "2 violations in data:/amounts/1" in err, err
    with open(os.path.join(d, "validation.json")) as f:
        v = json.load(f)
    assert v["passed"] is False and len(v["violations"]) == 2 and v["profile"]["rows"] == 3, v
    r = subprocess.run([ferry, "--tracking-uri", db, "step", "validate-data", "--with-json",
                        json.dumps({"data": "data:/nope/1"}), "--out", d], capture_output=True)
    assert r.returncode == 2 and b"nope" in r.stderr, r
    # the gate's failure is exit 1 with the verdict written
    ev = {"candidate": {"metrics": {"accuracy": 0.5}}, "champion": None, "slices": []}
    r = subprocess.run([ferry, "--tracking-uri", os.path.join(d, "t.db"), "step", "gate",
                        "--with-json", json.dumps({"evaluation": ev, "min": {"accuracy": 0.7}}),
                        "--out", d], capture_output=True)
    assert r.returncode == 1, r
    with open(os.path.join(d, "gate.json")) as f:
        v = json.load(f)
    assert v["passed"] is False and v["reasons"] == ["min: accuracy is 0.5, below the minimum 0.7"], v


def test_bad_uses_specs_exit_2_and_record_nothing(ferry):
    s = Store(ferry)
    bad = {
        "unknown": ("steps: {a: {uses: ferry/train}}", "unknown built-in step 'ferry/train'"),
        "outputs": ("steps: {a: {uses: ferry/gate, with: {evaluation: e}, outputs: {v: v.json}}}",
                    "a built-in step declares its own outputs"),
        "with_key": ("steps: {a: {uses: ferry/register, with: {model: m, name: n, stages: x}}}",
                     "unknown key 'stages' for ferry/register"),
        "missing": ("steps: {a: {uses: ferry/evaluate, with: {candidate: m, data: d}}}",
                    "ferry/evaluate needs 'target'"),
    }
    snap = s.snapshot()
    for name, (steps, needle) in bad.items():
        d = project({"pipeline.yaml": "name: bad\n" + steps + "\n"})
        r = s.pipe(d)
        assert r.returncode == 2, (name, out(r))
        assert needle in out(r), (name, out(r))
    assert s.snapshot() == snap


DEPLOY_STEPS = '''
  deploy:
    uses: ferry/deploy
    with: {deployment: bs-prod, version: "{steps.register.outputs.version}", timeout: 90s}
'''


def _load_until(gw, stop, seen):
    """Requests to the gateway's bs-prod endpoint until stop is set (the rollout's traffic)."""
    import http.client
    import random
    rng = random.Random(1)
    while not stop.is_set():
        try:
            cn = gw.conn()
            while not stop.is_set():
                row = [rng.uniform(-3, 3), rng.uniform(-3, 3), rng.choice([0, 1])]
                body = json.dumps({"dataframe_split": {"columns": ["x1", "x2", "region"],
                                                       "data": [row]}})
                cn.request("POST", "/endpoints/bs-prod/invocations", body=body,
                           headers={"Content-Type": "application/json"})
                r = cn.getresponse()
                r.read()
                seen.append(r.status)
            cn.close()
        except (OSError, http.client.HTTPException):
            stop.wait(0.05)


def test_deploy_rolls_the_registered_version_out_through_a_gateway(ferry):
    import threading
    from test_gateway import Gateway
    s = Store(ferry, server=True)
    gw = None
    stop = threading.Event()
    loader = None
    try:
        proj = _project()
        # version 1 from the pipeline, version 2 the same model registered again; a
        # deployment rolling 2 out against 1, promoted at once: 2 is its only target
        before = {x["info"]["run_id"] for x in s.runs("bs-training")}
        r = s.pipe(proj, timeout=180)
        assert r.returncode == 0, out(r)
        train = _step_runs(s, _pipeline_run_id(s, before))["train"]["info"]["run_id"]
        s.cmd("models", "register", "runs:/%s/outputs/model" % train, "--name", "bs", check=True)
        assert len(_versions(s)) == 2
        spec = {"name": "bs-prod",
                "targets": [{"model": "models:/bs/1", "weight": 50}, {"model": "models:/bs/2"}],
                "rollout": {"steps": [50, 100], "interval": "1s", "min_requests": 5,
                            "guards": {"window": "5s", "max_error_rate": 0.5, "min_samples": 5}},
                "promote_alias": "champion"}
        spec_path = os.path.join(s.dir, "deploy.json")
        with open(spec_path, "w") as f:
            json.dump(spec, f)
        s.cmd("deployments", "apply", "-f", spec_path, check=True)
        s.cmd("deployments", "promote", "bs-prod", check=True)
        gw = Gateway(ferry, s.server)
        seen = []
        loader = threading.Thread(target=_load_until, args=(gw, stop, seen))
        loader.start()
        # the same pipeline with a deploy step: version 3 rolled out, the step waits for it
        proj2 = project({"pipeline.yaml": PIPELINE + DEPLOY_STEPS, "prep.py": PREP,
                         "train.py": TRAIN})
        before2 = {x["info"]["run_id"] for x in s.runs("bs-training")}
        r = s.pipe(proj2, timeout=240)
        assert r.returncode == 0, out(r)
        assert step_line(r, "deploy", "COMPLETE"), out(r)
        assert "deploy: bs-prod: complete" in out(r), out(r)
        steps = _step_runs(s, _pipeline_run_id(s, before2))
        ro = _download_json(s, steps["deploy"]["info"]["run_id"], "outputs/rollout.json")
        assert ro["state"] == "complete" and ro["candidate"] == "models:/bs/3", ro
        acts = [c["action"] for c in ro["changes"]]
        assert acts[0] == "apply" and acts[-1] == "complete", acts
        d = json.loads(s.cmd("deployments", "get", "bs-prod", "--json", check=True).stdout)
        d = d.get("deployment", d)
        assert [t["version"] for t in d["spec"]["targets"]] == [3], d["spec"]["targets"]
        assert seen and all(st == 200 for st in seen), set(seen)
        # a version that is no models:/ URI: the step fails with its reason, nothing applied
        bad = project({"pipeline.yaml": "name: bad-deploy\nsteps:\n  d:\n    uses: ferry/deploy\n"
                       "    with: {deployment: nope, version: \"models:/bs/3\", timeout: 5s}\n"})
        r = s.pipe(bad, timeout=60)
        assert r.returncode == 1, out(r)
        assert "nope" in out(r), out(r)
    finally:
        stop.set()
        if loader:
            loader.join(30)
        if gw:
            assert gw.stop() == 0, gw.errlog
        s.stop()
