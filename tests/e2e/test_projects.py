# SPDX-License-Identifier: MIT
"""`ferry run`: MLflow projects from a directory and from a local git repository at a commit,
with good and bad parameters; the run's params, tags, status, output artifact and
reproducibility record; a child killed by a signal, a failing child, a child that logs through
the exported run id (the example trains a real sklearn model); reruns; environment managers."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from support.server import on_postgres, pg_database

OWN_SERVER = True
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ENV = dict(os.environ, PATH="/usr/bin:/bin:" + os.environ.get("PATH", ""))


class Store:
    """An embedded store in a temporary directory, used through the CLI."""

    def __init__(self, ferry):
        self.ferry = ferry
        self.dir = tempfile.mkdtemp(prefix="ferry-projects-")
        # the backend under test: a SQLite file here, or a fresh PostgreSQL database
        self.store = pg_database() if on_postgres() else os.path.join(self.dir, "ferry.db")

    def run(self, *args, timeout=120, **kw):
        return subprocess.run([self.ferry, "--tracking-uri", self.store, "run"] + list(args),
                              capture_output=True, timeout=timeout, cwd=self.dir, env=ENV, **kw)

    def cli(self, *args):
        r = subprocess.run([self.ferry, "--tracking-uri", self.store] + list(args),
                           capture_output=True, timeout=60, env=ENV)
        assert r.returncode == 0, r
        return r.stdout

    def runs(self, exp="0"):
        out = self.cli("runs", "list", "--experiment-id", exp, "--json")
        return json.loads(out).get("runs", [])

    def artifact(self, run, path):
        dst = tempfile.mkdtemp(prefix="ferry-dl-")
        self.cli("artifacts", "download", run["info"]["run_id"], path, "--dst", dst)
        with open(os.path.join(dst, os.path.basename(path)), "rb") as f:
            return f.read()


def _tags(run):
    return {t["key"]: t["value"] for t in run["data"].get("tags", [])}


def _params(run):
    return {p["key"]: p["value"] for p in run["data"].get("params", [])}


def _project(files):
    d = tempfile.mkdtemp(prefix="ferry-proj-")
    for name, text in files.items():
        os.makedirs(os.path.dirname(os.path.join(d, name)), exist_ok=True)
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    return d


def _git(d, *args):
    subprocess.run(["git", "-C", d, "-c", "user.name=t", "-c", "user.email=t@example.com"] +
                   list(args), check=True, capture_output=True)


def test_example_trains_logs_metrics_and_a_model(ferry):
    s = Store(ferry)
    r = s.run(os.path.join(ROOT, "examples", "sklearn_project"), "-P", "epochs=4", "-P",
              "alpha=0.001", "--experiment-name", "sgd", "--run-name", "first")
    assert r.returncode == 0, r
    assert b"epoch 3: val_accuracy" in r.stdout, r.stdout
    exp = json.loads(s.cli("experiments", "list", "--json"))["experiments"]
    exp_id = [e for e in exp if e["name"] == "sgd"][0]["experiment_id"]
    (run,) = s.runs(exp_id)
    assert run["info"]["status"] == "FINISHED" and run["info"]["run_name"] == "first", run["info"]
    assert _params(run) == {"alpha": "0.001", "epochs": "4", "seed": "0", "rows": "2000"}
    t = _tags(run)
    assert t["mlflow.source.type"] == "PROJECT" and t["mlflow.project.entryPoint"] == "main"
    assert t["mlflow.project.env"] == "local" and t["mlflow.source.name"].endswith("sklearn_project")
    if shutil.which("git") and os.path.isdir(os.path.join(ROOT, ".git")):
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        assert t["mlflow.source.git.commit"] == head, t
    hist = json.loads(s.cli("runs", "history", run["info"]["run_id"], "val_accuracy", "--json"))
    assert [m["step"] for m in hist["metrics"]] == [0, 1, 2, 3], hist
    assert json.loads(t["mlflow.log-model.history"])[0]["artifact_path"] == "model"
    out = s.artifact(run, "project/output.log")
    assert b"epoch 0: val_accuracy" in out, out
    rec = json.loads(s.artifact(run, "project/run.json"))
    assert rec["parameters"]["epochs"] == "4" and rec["entry_point"] == "main", rec
    assert rec["system"]["python"].startswith("Python 3") and rec["system"]["os"], rec
    assert "train.py --alpha 0.001 --epochs 4" in rec["command"], rec
    # the model it logged serves predictions
    p = subprocess.run([ferry, "--tracking-uri", s.store, "models", "validate", "-m",
                        "runs:/%s/model" % run["info"]["run_id"]], capture_output=True,
                       timeout=120, env=ENV)
    assert p.returncode == 0, p


def test_bad_parameters_run_nothing(ferry):
    s = Store(ferry)
    ex = os.path.join(ROOT, "examples", "sklearn_project")
    for args, words in ((["-P", "epochs=ten"], b"'epochs' must be an integer"),
                        (["-P", "alpha=fast"], b"'alpha' must be a float"),
                        (["-e", "validate"], b"missing value for required parameter 'model_uri'"),
                        (["-e", "nope"], b"no entry point 'nope'"),
                        (["-P", "novalue"], b"-P takes KEY=VALUE"),
                        (["--env-manager", "podman"], b"unknown --env-manager")):
        r = s.run(ex, *args)
        assert r.returncode == 2 and words in r.stderr, (args, r)
    r = s.run(os.path.join(s.dir, "missing-dir"))
    assert r.returncode == 2 and b"neither a directory nor a git URL" in r.stderr, r
    assert s.runs() == [], "a refused project must not create a run"


def test_status_signals_and_the_exported_run(ferry):
    s = Store(ferry)
    d = _project({"MLproject": """
entry_points:
  main:
    parameters: {code: {type: int, default: 0}, words: {type: string, default: "a b"}}
    command: "echo run=$MLFLOW_RUN_ID/$FERRY_RUN_ID exp=$MLFLOW_EXPERIMENT_ID words={words}; exit {code}"
  sleep:
    command: "echo started; sleep 30"
  suicide:
    command: "kill -9 $$"
""", "extra.sh": "echo extra args: \"$@\"\n"})
    r = s.run(d, "-P", "words=it's $HOME; `x`")
    assert r.returncode == 0, r
    (run,) = s.runs()
    rid = run["info"]["run_id"]
    assert ("run=%s/%s exp=0 words=it's $HOME; `x`" % (rid, rid)).encode() in r.stdout, r.stdout
    r = s.run(d, "-P", "code=3")
    assert r.returncode == 3, r
    failed = [x for x in s.runs() if x["info"]["run_id"] != rid][0]
    assert failed["info"]["status"] == "FAILED", failed["info"]
    # a child that dies of a signal: KILLED
    r = s.run(d, "-e", "suicide")
    assert r.returncode == 137, r
    assert sorted(x["info"]["status"] for x in s.runs()) == ["FAILED", "FINISHED", "KILLED"]
    # SIGTERM to ferry is passed on to the child, which ends: KILLED, 128 + 15
    p = subprocess.Popen([ferry, "--tracking-uri", s.store, "run", d, "-e", "sleep"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV, cwd=s.dir)
    assert p.stdout.readline() == b"started\n"
    t0 = time.time()
    p.send_signal(signal.SIGTERM)
    assert p.wait(20) == 128 + signal.SIGTERM and time.time() - t0 < 10
    p.stdout.close()
    p.stderr.close()
    statuses = sorted(x["info"]["status"] for x in s.runs())
    assert statuses == ["FAILED", "FINISHED", "KILLED", "KILLED"], statuses
    assert subprocess.run(["pgrep", "-f", "(^|[; ])sleep 30$"], capture_output=True).returncode == 1
    # a .sh entry point with undeclared parameters as --key value
    r = s.run(d, "-e", "extra.sh", "-P", "lr=0.1")
    assert r.returncode == 0 and b"extra args: --lr 0.1" in r.stdout, r


def test_git_repository_at_a_commit_rerun_and_dirty_tree(ferry):
    s = Store(ferry)
    repo = _project({"sub/MLproject": """
entry_points:
  main:
    parameters: {n: {type: int, default: 1}}
    command: "cat version.txt; echo n={n}"
""", "sub/version.txt": "one\n"})
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "one")
    first = subprocess.run(["git", "-C", repo, "rev-parse", "HEAD"], capture_output=True,
                           text=True).stdout.strip()
    with open(os.path.join(repo, "sub", "version.txt"), "w") as f:
        f.write("two\n")
    _git(repo, "commit", "-q", "-am", "two")
    r = s.run(repo + "#sub", "--version", first, "-P", "n=5")
    assert r.returncode == 0 and b"one\nn=5\n" in r.stdout, r
    (run,) = s.runs()
    t = _tags(run)
    assert t["mlflow.source.git.commit"] == first and t["mlflow.source.git.repoURL"] == \
        os.path.realpath(repo), t
    # the rerun: same project, commit and parameters, linked to the first run
    r = s.run("--rerun", run["info"]["run_id"])
    assert r.returncode == 0 and b"one\nn=5\n" in r.stdout, r
    rerun = [x for x in s.runs() if x["info"]["run_id"] != run["info"]["run_id"]][0]
    assert _tags(rerun)["ferry.project.rerunOf"] == run["info"]["run_id"]
    assert _params(rerun) == {"n": "5"} and _tags(rerun)["mlflow.source.git.commit"] == first
    # the work tree itself, dirty: its diff is kept
    with open(os.path.join(repo, "sub", "version.txt"), "w") as f:
        f.write("three (uncommitted)\n")
    r = s.run(os.path.join(repo, "sub"))
    assert r.returncode == 0 and b"three (uncommitted)" in r.stdout, r
    newest = max(s.runs(), key=lambda x: x["info"]["start_time"])
    assert b"+three (uncommitted)" in s.artifact(newest, "project/git.diff")
    r = s.run(repo, "--version", "no-such-commit")
    assert r.returncode == 2 and b"cannot check out version 'no-such-commit'" in r.stderr, r


def test_environment_managers_build_the_right_commands(ferry):
    s = Store(ferry)
    d = _project({"MLproject": """
python_env: python_env.yaml
entry_points:
  main:
    command: "python train.py"
""", "python_env.yaml": "python: '3.11'\nbuild_dependencies: [pip]\ndependencies:\n  - scikit-learn==1.2.1\n  - -r requirements.txt\n",
                  "conda.yaml": "name: x\ndependencies: [python=3.11]\n"})
    r = s.run(d, "--dry-run")
    assert r.returncode == 0, r
    out = r.stdout.decode()
    assert "environment: virtualenv" in out and "python3 -m venv" in out, out
    assert "install --quiet pip scikit-learn==1.2.1 -r requirements.txt" in out, out
    assert ". \"$v/bin/activate\" && python train.py" in out, out
    r = s.run(d, "--dry-run", "--env-manager", "conda")
    assert r.returncode == 0 and b"conda env create --quiet --name ferry-" in r.stdout, r
    assert b"conda run --no-capture-output --name ferry-" in r.stdout, r
    d2 = _project({"MLproject": """
docker_env: {image: "python:3.11-slim"}
entry_points:
  main:
    command: "python train.py"
"""})
    r = s.run(d2, "--dry-run")
    out = r.stdout.decode()
    assert r.returncode == 0 and "exec docker run --rm" in out and "python:3.11-slim" in out, out
    assert "-e MLFLOW_RUN_ID" in out and ":/ferry/project" in out, out
    if not shutil.which("conda", path=ENV["PATH"]):
        r = s.run(d, "--env-manager", "conda")
        assert r.returncode == 2 and b"conda is not installed" in r.stderr, r
    assert s.runs() == []


def test_a_server_run_exports_the_tracking_uri(ferry):
    """Against a server, the child gets MLFLOW_TRACKING_URI (an MLflow client logs to the same
    run); an unknown --rerun run is refused."""
    from support.server import Server
    srv = Server(ferry)
    srv.start()
    try:
        d = _project({"MLproject": "entry_points:\n  main:\n    command: 'echo uri=$MLFLOW_TRACKING_URI'\n"})
        r = subprocess.run([ferry, "--tracking-uri", srv.url, "run", d], capture_output=True,
                           timeout=60, env=ENV)
        assert r.returncode == 0 and ("uri=" + srv.url).encode() in r.stdout, r
        r = subprocess.run([ferry, "--tracking-uri", srv.url, "run", "--rerun", "f" * 32],
                           capture_output=True, timeout=60, env=ENV)
        assert r.returncode == 2 and b"not found" in r.stderr, r
    finally:
        srv.stop()


def test_virtualenv_is_built_once_and_used(ferry):
    """A real venv from python_env.yaml (no packages to fetch: there is no PyPI here), cached
    by the spec's hash: the second run reuses it."""
    s = Store(ferry)
    cache = tempfile.mkdtemp(prefix="ferry-venvs-")
    d = _project({"MLproject": """
python_env: python_env.yaml
entry_points:
  main:
    command: "echo venv=$VIRTUAL_ENV; python -c 'import sys; print(sys.prefix)'"
""", "python_env.yaml": "python: '3.11'\ndependencies: []\n"})
    env = dict(ENV, FERRY_ENV_CACHE=cache)
    run = lambda: subprocess.run([ferry, "--tracking-uri", s.store, "run", d], capture_output=True,
                                 timeout=300, env=env, cwd=s.dir)
    r = run()
    assert r.returncode == 0 and ("venv=" + cache).encode() in r.stdout, r
    (venv,) = os.listdir(cache)
    ino = os.stat(os.path.join(cache, venv)).st_ino
    r = run()
    assert r.returncode == 0 and os.stat(os.path.join(cache, venv)).st_ino == ino, r
    assert [_tags(x)["mlflow.project.env"] for x in s.runs()] == ["virtualenv", "virtualenv"]
