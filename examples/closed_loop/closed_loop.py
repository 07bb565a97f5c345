# SPDX-License-Identifier: MIT
"""The closed loop, driven against a running `ferry server` and its gateway (run.sh starts
both). Bootstraps the champion, applies the deployment, the monitor and the trigger, sends
traffic through the gateway (labels a few seconds later), switches the stream to the drifted
regime at a known time, waits for round 1 (the decay alert retrains and rolls out a new
champion), fires round 2 by hand with shuffled labels (the gate stops it), then prints the
loop's timeline and writes the summary (seconds from the drift's onset to each stage).
Every wait is bounded; exit 0 only when every transition happened."""
import argparse
import http.client
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse

from stream import COLUMNS, row

DEPLOYMENT = "fraud"
MODEL = "fraud"
MONITOR = "fraud-monitor"
TRIGGER = "retrain-fraud"
DATASET = "transactions"


def log(msg):
    print("[%s] %s" % (time.strftime("%H:%M:%S", time.gmtime()), msg), file=sys.stderr, flush=True)


class Fail(Exception):
    pass


class Api:
    """GET/POST JSON against a base URL."""

    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port

    def call(self, method, path, body=None, query=None, ok=(200,)):
        if query:
            path += "?" + urllib.parse.urlencode(query)
        c = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            c.request(method, path, body=json.dumps(body) if body is not None else None,
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            data = r.read()
        finally:
            c.close()
        if r.status not in ok:
            raise Fail("%s %s: %d %s" % (method, path, r.status,
                                         data[:300].decode("utf-8", "replace")))
        return json.loads(data) if data else {}

    def get(self, path, **query):
        return self.call("GET", path, query=query)


class Ferry:
    """The ferry CLI on the tracking server."""

    def __init__(self, binary, url):
        self.binary, self.env = binary, dict(os.environ, FERRY_TRACKING_URI=url)

    def __call__(self, *args, quiet=False):
        r = subprocess.run([self.binary] + list(args), env=self.env, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=300)
        if r.returncode:
            raise Fail("ferry %s (exit %d):\n%s" % (" ".join(args), r.returncode,
                                                     r.stdout.decode("utf-8", "replace")))
        if not quiet:
            sys.stderr.write(r.stdout.decode("utf-8", "replace"))
        return r.stdout.decode("utf-8", "replace")


def write(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
    return path


def wait_for(what, pred, timeout, every=0.5):
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.time() > deadline:
            raise Fail("timed out after %.0f s waiting for %s" % (timeout, what))
        time.sleep(every)


class Traffic:
    """Requests to the gateway at a bounded rate (one row each), labels posted `lag` seconds
    after each answer, by request id (X-Ferry-Request-Id). `drifted` switches the regime."""

    def __init__(self, gateway, server, rate, lag, seed):
        self.gw, self.api = Api(gateway), Api(server)
        self.rate, self.lag = rate, lag
        self.rng = random.Random(seed)
        self.drifted = False
        self.stop = threading.Event()
        self.pending = []  # (due time, request id, label)
        self.lock = threading.Lock()
        self.sent = self.errors = self.labeled = 0
        self.threads = [threading.Thread(target=self._send, daemon=True),
                        threading.Thread(target=self._label, daemon=True)]

    def start(self):
        for t in self.threads:
            t.start()

    def close(self):
        self.stop.set()
        for t in self.threads:
            t.join(10)

    def _send(self):
        conn, period, nxt = None, 1.0 / self.rate, time.time()
        while not self.stop.is_set():
            x, y = row(self.rng, self.drifted)
            body = json.dumps({"dataframe_split": {"columns": COLUMNS, "data": [x]}})
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(self.gw.host, self.gw.port, timeout=30)
                conn.request("POST", "/endpoints/%s/invocations" % DEPLOYMENT, body=body,
                             headers={"Content-Type": "application/json"})
                r = conn.getresponse()
                r.read()
                rid = r.getheader("X-Ferry-Request-Id")
                self.sent += 1
                if r.status == 200 and rid:
                    with self.lock:
                        self.pending.append((time.time() + self.lag, rid, y))
                else:
                    self.errors += 1
            except (OSError, http.client.HTTPException):
                self.errors += 1
                conn = None
            nxt += period
            self.stop.wait(max(0.0, nxt - time.time()))
            nxt = max(nxt, time.time() - 1)  # never burst to catch up more than a second

    def _label(self):
        while not self.stop.wait(0.25):
            now = time.time()
            with self.lock:
                due = [p for p in self.pending if p[0] <= now]
                self.pending = [p for p in self.pending if p[0] > now]
            if not due:
                continue
            try:
                r = self.api.call("POST", "/api/2.0/ferry/feedback/log", {
                    "deployment": DEPLOYMENT,
                    "labels": [{"request_id": rid, "label": y} for _, rid, y in due]})
                self.labeled += r.get("accepted", 0)
            except (OSError, http.client.HTTPException, Fail) as e:
                log("labels not posted: %s" % e)


def alias_version(api):
    try:
        r = api.call("GET", "/api/2.0/mlflow/registered-models/alias",
                     query={"name": MODEL, "alias": "champion"}, ok=(200, 404))
    except Fail:
        return None
    return (r.get("model_version") or {}).get("version")


def versions(api):
    r = api.call("GET", "/api/2.0/mlflow/model-versions/search",
                 query={"filter": "name='%s'" % MODEL, "max_results": 100})
    return sorted(r.get("model_versions", []), key=lambda v: int(v["version"]))


def firings(api):
    return api.get("/api/2.0/ferry/triggers/history", name=TRIGGER,
                   max_results=100).get("firings", [])


def trigger_log(firing):
    """The server's log of a firing's process, when it can be found (for failures)."""
    for d in (os.environ.get("TMPDIR", "/tmp"), "/tmp"):
        try:
            for n in os.listdir(d):
                if n.startswith("ferry-trigger-") and n.endswith("-%s.log" % firing["id"]):
                    with open(os.path.join(d, n), errors="replace") as f:
                        return f.read()[-6000:]
        except OSError:
            pass
    return "(no log found)"


def settled(api, firing_id, what, timeout):
    """The firing once it ended."""
    def done():
        for f in firings(api):
            if f["id"] == firing_id and f["state"] not in ("queued", "running"):
                return f
        return None
    return wait_for(what, done, timeout)


def trigger_spec(work, project, enabled):
    """trigger.yaml with the project's absolute path (and enabled: false for round 2)."""
    with open(os.path.join(project, "trigger.yaml")) as f:
        text = f.read()
    text = text.replace("uri: .,", "uri: %s," % project)
    if not enabled:
        text = text.replace("enabled: true", "enabled: false")
    path = os.path.join(work, "trigger.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def iso(ms):
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms / 1000)) + ".%03dZ" % (ms % 1000)


def timeline(ferry, json_lines):
    """The loop's events, oldest first, and their text: `ferry deployments loop` (the API's
    records, GET /api/2.0/ferry/deployments/loop), as JSON lines or one line per event."""
    out = ferry("deployments", "loop", DEPLOYMENT, "--json", quiet=True)
    events = [json.loads(x) for x in out.splitlines() if x.strip()]
    if json_lines:
        return events, out
    return events, ferry("deployments", "loop", DEPLOYMENT, quiet=True)


def first(events, name, after_ms, **match):
    for e in events:
        if e["event"] == name and e["time_ms"] >= after_ms and \
                all(str(e.get(k)) == str(v) for k, v in match.items()):
            return e
    return None


def summarize(events, onset_ms, new_version, round2_firing):
    """({stage: seconds from the drift's onset} of round 1, round 2's gate failure, [every
    transition missing from the events])."""
    missing, stages = [], {}

    def stage(key, ev):
        if ev is None:
            missing.append(key)
            return None
        stages[key] = round((ev["time_ms"] - onset_ms) / 1000.0, 3)
        return ev

    decay = next((e for e in events if e["event"] == "alert_opened" and e["time_ms"] >= onset_ms
                  and str(e.get("condition", "")).startswith("decay")), None)
    drift = next((e for e in events if e["event"] == "alert_opened" and e["time_ms"] >= onset_ms
                  and e.get("condition") == "drift"), None)
    stage("drift_alert_opened", drift)
    stage("decay_alert_opened", decay)
    fired = next((e for e in events if e["event"] == "trigger_fired" and e["time_ms"] >= onset_ms
                  and e.get("cause") == "alert.opened"), None)
    stage("trigger_fired", fired)
    fid = fired and fired.get("firing_id")
    started = stage("pipeline_started", fid and first(events, "pipeline_started", 0, firing_id=fid))
    stage("gate_passed", fid and first(events, "gate_passed", 0, firing_id=fid))
    stage("version_registered", first(events, "version_registered", onset_ms, version=new_version))
    cand = "%s/%s" % (MODEL, new_version)
    steps = [e for e in events if e["event"] == "rollout_step" and e.get("candidate") == cand]
    for e in steps:
        stage("rollout_step_%d" % e["weight"], e)
    if not steps:
        missing.append("rollout_step")
    stage("promoted", first(events, "promoted", onset_ms, version=new_version))
    r2 = {}
    f2 = first(events, "trigger_fired", 0, firing_id=round2_firing)
    if f2 is None:
        missing.append("round2_trigger_fired")
    failed = first(events, "gate_failed", 0, firing_id=round2_firing)
    if failed is None:
        missing.append("round2_gate_failed")
    else:
        r2 = {"gate_failed": round((failed["time_ms"] - onset_ms) / 1000.0, 3),
              "reasons": failed.get("reasons")}
    if started and len([e for e in events if e["event"] == "pipeline_started"
                        and e.get("firing_id") == fid]) != 1:
        missing.append("exactly one pipeline run for the alert's firing")
    return stages, r2, missing


def step_times(api, pipeline_run_id, onset_ms):
    """{step: [start, end]} in seconds from the onset, of one pipeline run's step runs."""
    run = api.get("/api/2.0/mlflow/runs/get", run_id=pipeline_run_id)["run"]["info"]
    runs = api.call("POST", "/api/2.0/mlflow/runs/search", {
        "experiment_ids": [run["experiment_id"]], "max_results": 1000}).get("runs", [])
    out = {}
    for r in runs:
        t = {x["key"]: x["value"] for x in r["data"].get("tags", [])}
        if t.get("ferry.pipeline.runId") == pipeline_run_id and r["info"].get("end_time"):
            out[t.get("ferry.pipeline.step", "?")] = [
                round((r["info"]["start_time"] - onset_ms) / 1000.0, 3),
                round((r["info"]["end_time"] - onset_ms) / 1000.0, 3)]
    return dict(sorted(out.items(), key=lambda kv: kv[1][0]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ferry", required=True)
    ap.add_argument("--server", required=True)
    ap.add_argument("--gateway", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--project", required=True)
    ap.add_argument("--json", action="store_true", help="the timeline as JSON lines")
    ap.add_argument("--summary", required=True)
    ap.add_argument("--rate", type=float, default=50, help="requests a second")
    ap.add_argument("--label-lag", type=float, default=2.0, help="seconds until a label")
    ap.add_argument("--warmup", type=float, default=8.0, help="seconds before the drift")
    ap.add_argument("--seed", type=int, default=21)
    a = ap.parse_args()
    ferry, api = Ferry(a.ferry, a.server), Api(a.server)
    t_start = time.time()
    traffic = None
    try:
        # 1. the first champion, from a dataset version of pre-drift rows
        boot = os.path.join(a.work, "bootstrap-data")
        subprocess.run([sys.executable, os.path.join(a.project, "stream.py"), "bootstrap", boot,
                        "--seed", str(a.seed)], check=True, stdout=sys.stderr)
        ferry("data", "add", DATASET, boot, "-m", "pre-drift transactions", quiet=True)
        log("bootstrap: training the champion on data:/%s/1" % DATASET)
        ferry("pipelines", "run", a.project, "--pipeline", "bootstrap",
              "-P", "train=data:/%s/1/train.csv" % DATASET,
              "-P", "test=data:/%s/1/test.csv" % DATASET, "--experiment-name", "fraud-bootstrap")
        if alias_version(api) != "1":
            raise Fail("the bootstrap did not make version 1 the champion")
        # 2. the deployment, its monitor and the retraining trigger
        ferry("deployments", "apply", "-f", os.path.join(a.project, "deployment.yaml"))
        ferry("monitors", "apply", "-f", os.path.join(a.project, "monitor.yaml"))
        ferry("triggers", "apply", "-f", trigger_spec(a.work, a.project, True))
        gw = Api(a.gateway)
        wait_for("the gateway to serve %s" % DEPLOYMENT, lambda: any(
            e.get("name") == DEPLOYMENT and not any(t.get("error") for t in e.get("targets", []))
            for e in gw.get("/endpoints").get("endpoints", [])), 60)
        # 3. traffic, then the drift at a known time
        traffic = Traffic(a.gateway, a.server, a.rate, a.label_lag, a.seed + 1)
        traffic.start()
        log("traffic: %.0f requests/s through the gateway, labels %.0f s later; drift in %.0f s"
            % (a.rate, a.label_lag, a.warmup))
        time.sleep(a.warmup)
        traffic.drifted = True
        onset_ms = int(time.time() * 1000)
        log("DRIFT ONSET at %s (%d): distance shifts, the label's relation to it flips"
            % (time.strftime("%H:%M:%S", time.gmtime(onset_ms / 1000)), onset_ms))
        # 4. round 1: alert -> trigger -> pipeline -> gate -> register -> canary -> promoted
        def round1():
            for f in firings(api):
                if f["state"] in ("failed", "refused", "cancelled", "abandoned"):
                    raise Fail("firing %s of %s ended %s: %s\n%s" % (
                        f["id"], TRIGGER, f["state"], f.get("detail"), trigger_log(f)))
            v = alias_version(api)
            return v if v and v != "1" else None
        new_version = wait_for("round 1 (the new champion at 100 %)", round1, 150)
        log("round 1: version %s is the champion (sent %d requests, %d labeled, %d errors)"
            % (new_version, traffic.sent, traffic.labeled, traffic.errors))
        # the firing's end is recorded when the pipeline exits (after its deploy step)
        wait_for("round 1's firing to end", lambda: all(
            f["state"] not in ("queued", "running") for f in firings(api)), 30)
        # 5. round 2: the trigger disabled (no new alert may start another round), fired by hand
        # with shuffled labels: the gate must stop the candidate
        ferry("triggers", "apply", "-f", trigger_spec(a.work, a.project, False))
        since = int(time.time() * 1000)
        ferry("triggers", "fire", TRIGGER, "-P", "shuffle_labels=1", "-P", "since=%d" % since)
        manual = wait_for("the manual firing", lambda: next(
            (f for f in firings(api) if f["event_key"].startswith("manual:")), None), 10)
        log("round 2: fired %s by hand (firing %s) with shuffled labels" % (TRIGGER, manual["id"]))
        f2 = settled(api, manual["id"], "round 2's firing to end", 120)
        if f2["state"] != "failed":
            raise Fail("round 2's firing ended %s (the gate should have failed it): %s"
                       % (f2["state"], f2.get("detail")))
        if alias_version(api) != new_version or len(versions(api)) != int(new_version):
            raise Fail("round 2 changed the registry: champion %s, %d versions"
                       % (alias_version(api), len(versions(api))))
        log("round 2: the gate stopped it; champion stays version %s" % new_version)
        traffic.close()
        # 6. the timeline, from the API's records
        events, text = timeline(ferry, a.json)
        sys.stdout.write(text)
        stages, r2, missing = summarize(events, onset_ms, new_version, manual["id"])
        round1 = next((e for e in events if e["event"] == "pipeline_started"
                       and e["time_ms"] >= onset_ms), None)
        summary = {"drift_onset_ms": onset_ms,
                   "drift_onset": iso(onset_ms),
                   "new_version": new_version, "seconds_from_onset": stages, "round2": r2,
                   "round1_steps":
                       step_times(api, round1["run_id"], onset_ms) if round1 else {},
                   "requests": traffic.sent, "labeled": traffic.labeled,
                   "errors": traffic.errors, "wall_seconds": round(time.time() - t_start, 1),
                   "missing": missing}
        write(a.summary, summary)
        if not a.json:
            print("\ndrift onset: %s" % summary["drift_onset"])
            for k, v in stages.items():
                print("  %-22s +%7.3f s" % (k, v))
            for k, (b, e) in summary["round1_steps"].items():
                print("    step %-17s +%7.3f s .. +%7.3f s" % (k, b, e))
            if r2:
                print("  round 2 gate_failed    +%7.3f s  %s" % (r2["gate_failed"], r2["reasons"]))
        if missing:
            raise Fail("transitions missing from the timeline: %s" % ", ".join(missing))
        log("every transition happened (%.0f s)" % (time.time() - t_start))
        return 0
    except Fail as e:
        log("FAILED: %s" % e)
        return 1
    finally:
        if traffic:
            traffic.close()


if __name__ == "__main__":
    sys.exit(main())
