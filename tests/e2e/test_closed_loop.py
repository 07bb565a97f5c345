# SPDX-License-Identifier: MIT
"""The closed loop (issue 21) is its example: examples/closed_loop/run.sh runs once with the
tested binary (--json --keep DIR: the store stays, nothing is left running), then every
transition is asserted from the kept store through the CLI's API reads: the loop's timeline
(`ferry deployments loop fraud --json`), the alerts, the trigger's firings, the pipeline runs,
the model versions and the deployment's history.

Round 1: a decay alert opened after the drift's onset -> the trigger fired on it -> one pipeline
run -> its gate passed -> version 2 registered from that run -> rollout steps (25, 50, 100) ->
promoted with the alias champion on version 2, in that order of time. Round 2 (fired by hand, labels
shuffled): the gate failed, nothing registered, the alias stays. SQLite only: the example
makes its own store (one backend, once)."""
import json
import os
import subprocess
import tempfile

from support.server import CREATED_DIRS, on_postgres

OWN_SERVER = True
HERE = os.path.dirname(os.path.abspath(__file__))
RUN_SH = os.path.join(os.path.dirname(os.path.dirname(HERE)), "examples", "closed_loop", "run.sh")


def _tags(run):
    return {t["key"]: t["value"] for t in run["data"].get("tags", [])}


def test_drift_retrains_gates_and_rolls_out_then_a_worse_model_is_stopped(ferry):
    if on_postgres():
        return  # the example makes its own SQLite store: it runs once, in the SQLite pass
    scratch = tempfile.mkdtemp(prefix="ferry-e2e-loop-")
    CREATED_DIRS.append(scratch)
    os.chmod(scratch, 0o755)  # the server's runs (nobody, when root) must reach the kept dir
    keep = os.path.join(scratch, "kept")
    summary_path = os.path.join(scratch, "summary.json")
    r = subprocess.run([RUN_SH, "--json", "--keep", keep, "--summary", summary_path],
                       env=dict(os.environ, FERRY=ferry), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=240)
    out = r.stdout.decode("utf-8", "replace")
    assert r.returncode == 0, out[-8000:]

    for log in ("server.err", "gateway.err"):  # a sanitized build reports at exit
        with open(os.path.join(keep, log), errors="replace") as f:
            text = f.read()
        assert "Sanitizer" not in text and "runtime error" not in text, (log, text[-4000:])
    db = "sqlite://" + os.path.join(keep, "ferry.db")

    def cli(*args):
        p = subprocess.run([ferry, "--tracking-uri", db] + list(args), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        assert p.returncode == 0, (args, p.stderr)
        return p.stdout.decode()

    def cli_json(*args):
        return json.loads(cli(*args))

    with open(summary_path) as f:
        summary = json.load(f)
    onset = summary["drift_onset_ms"]
    assert summary["missing"] == [] and summary["new_version"] == "2", summary
    # the run's --json output is the timeline's JSON lines: the same records the store keeps
    events = [json.loads(x) for x in cli("deployments", "loop", "fraud", "--json").splitlines()
              if x.strip()]
    printed = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    assert [(e["event"], e["time_ms"]) for e in printed] == \
        [(e["event"], e["time_ms"]) for e in events], out[-4000:]
    vocabulary = {"alert_opened", "trigger_fired", "pipeline_started", "pipeline_finished",
                  "gate_passed", "gate_failed", "version_registered", "rollout_step", "promoted",
                  "rolled_back"}
    assert {e["event"] for e in events} <= vocabulary, events
    assert [e["time_ms"] for e in events] == sorted(e["time_ms"] for e in events), events

    def one(pred, what):
        found = [e for e in events if pred(e)]
        assert found, (what, events)
        return found[0]

    # the alerts: drift and decay opened after the onset, by the monitor of the deployment
    alerts = cli_json("alerts", "list", "--deployment", "fraud", "--json")["alerts"]
    decay = [a for a in alerts if a["condition"].startswith("decay")]
    drift = [a for a in alerts if a["condition"] == "drift"]
    assert len(decay) == 1 and decay[0]["opened_ms"] >= onset, alerts
    assert drift and drift[-1]["opened_ms"] >= onset, alerts
    opened = one(lambda e: e["event"] == "alert_opened" and e["condition"].startswith("decay"),
                 "decay alert")
    assert opened["alert_id"] == str(decay[0]["id"]) and opened["monitor"] == "fraud-monitor"

    # the trigger: fired once on the alert (round 1), once by hand (round 2)
    firings = cli_json("triggers", "history", "retrain-fraud", "--json")["firings"]
    assert len(firings) == 2, firings
    auto = [f for f in firings if f["event_key"].startswith("event:")]
    manual = [f for f in firings if f["event_key"].startswith("manual:")]
    assert len(auto) == 1 and len(manual) == 1, firings
    auto, manual = auto[0], manual[0]
    assert auto["state"] == "succeeded" and manual["state"] == "failed", firings
    assert auto["event"]["alert_id"] == str(decay[0]["id"]), auto
    assert manual["params"]["shuffle_labels"] == "1", manual
    fired = one(lambda e: e["event"] == "trigger_fired" and e["firing_id"] == str(auto["id"]),
                "round 1 firing")
    assert fired["cause"] == "alert.opened" and fired["trigger"] == "retrain-fraud", fired

    # exactly one pipeline run per firing, the one the firing names
    runs = cli_json("runs", "list", "--experiment-name", "fraud-retraining", "--max-results",
                    "1000", "--json")["runs"]
    pipeline_runs = [x for x in runs if "ferry.pipeline.runId" not in _tags(x)]
    by_firing = {}
    for x in pipeline_runs:
        by_firing.setdefault(_tags(x).get("ferry.trigger.firingId"), []).append(x)
    for f in (auto, manual):
        got = by_firing.get(str(f["id"]), [])
        assert [x["info"]["run_id"] for x in got] == [f["run_id"]], (f, by_firing.keys())
    assert len(pipeline_runs) == 2, [_tags(x) for x in pipeline_runs]

    # each run trained on a new version of the dataset (1: the bootstrap's pre-drift rows),
    # recorded as the pipeline run's training input
    dv = cli_json("data", "versions", "transactions", "--json")
    dv = dv["dataset_versions"]
    assert sorted(int(v["version"]) for v in dv) == [1, 2, 3], dv
    for f, version in ((auto, 2), (manual, 3)):
        run = cli_json("runs", "describe", f["run_id"], "--json")["run"]
        ins = [(i["dataset"]["source"], {t["key"]: t["value"] for t in i.get("tags", [])})
               for i in run.get("inputs", {}).get("dataset_inputs", [])]
        assert ("data:/transactions/%d" % version, {"mlflow.data.context": "training"}) in ins, ins

    started = one(lambda e: e["event"] == "pipeline_started" and
                  e["firing_id"] == str(auto["id"]), "round 1 pipeline")
    assert started["run_id"] == auto["run_id"], started
    passed = one(lambda e: e["event"] == "gate_passed" and e["firing_id"] == str(auto["id"]),
                 "round 1 gate")
    assert passed["pipeline_run_id"] == auto["run_id"], passed
    registered = one(lambda e: e["event"] == "version_registered" and e["version"] == "2",
                     "version 2")
    assert registered["model"] == "fraud" and registered["pipeline_run_id"] == auto["run_id"]
    steps = [e for e in events if e["event"] == "rollout_step" and e["candidate"] == "fraud/2"]
    weights = [e["weight"] for e in steps]
    assert weights and weights == sorted(set(weights)) and set(weights) <= {25, 50, 100}, steps
    promoted = one(lambda e: e["event"] == "promoted" and e["version"] == "2", "promotion")
    assert promoted["alias"] == "champion" and promoted["model"] == "fraud", promoted
    chain = [opened, fired, started, passed, registered] + steps + [promoted]
    times = [e["time_ms"] for e in chain]
    assert times == sorted(times) and times[0] >= onset, chain

    # round 2: the gate failed on the manual firing's run; nothing registered or promoted since
    failed = one(lambda e: e["event"] == "gate_failed" and e["firing_id"] == str(manual["id"]),
                 "round 2 gate")
    assert failed["pipeline_run_id"] == manual["run_id"] and failed["reasons"], failed
    assert failed["time_ms"] > promoted["time_ms"], (promoted, failed)
    assert not [e for e in events if e["time_ms"] > promoted["time_ms"] and
                e["event"] in ("version_registered", "promoted", "rollout_step")], events
    versions = cli_json("models", "versions", "fraud", "--json")["model_versions"]
    assert sorted(v["version"] for v in versions) == ["1", "2"], versions
    resolved = cli("models", "resolve", "models:/fraud@champion")
    assert "(fraud version 2," in resolved, resolved

    # the deployment's history: the rollout stepped and completed; no rollback
    hist = cli_json("deployments", "history", "fraud", "--json")
    changes = hist.get("changes", hist.get("history", []))
    actions = [c["action"] for c in changes]
    assert actions.count("step") >= 2 and "complete" in actions and "rollback" not in actions, \
        actions
