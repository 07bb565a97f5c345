# SPDX-License-Identifier: MIT
"""Monitors over a real deployment's prediction log (issue 18): an XGBoost classifier served by
`ferry serve`, a reference CSV logged as an artifact of the model's training run (which also
logged its accuracy). Traffic like the reference judges no drift; shifted traffic drifts and opens
a "drift" alert; labels flipped through feedback open a "decay:accuracy" alert (accuracy against
the training run's, max_drop); a window that passes resolves both. Windows are run over REST
(monitors/run) and with `ferry monitors run`; a window is judged once. A scheduled monitor
(every 2s) in `ferry server` produces aligned windows, and restarting the server, or a second
server on the same store, never judges a window twice. Bad specs get MLflow's error shape."""
import csv
import json
import os
import random
import re
import subprocess
import tempfile
import time

from support.server import Server, expect_error
from test_gateway import COLS, FERRY, Gateway, _apply, _cli, _xgb_model

_model = {}


def _setup(srv, c, name, rows=800, seed=11):
    """A training run with the model, a reference CSV of rows uniform rows and accuracy 0.95;
    the model registered as version 1 of name; a deployment of it. The run's id."""
    if "xgb" not in _model:
        _model["xgb"] = _xgb_model(srv.ferry, 400)
    rid = c.create_run()["info"]["run_id"]
    r = _cli(srv.ferry, srv, "artifacts", "log", rid, _model["xgb"], "--artifact-path", "model")
    assert r.returncode == 0, r
    d = tempfile.mkdtemp(prefix="ferry-mon-")
    path = os.path.join(d, "reference.csv")
    rng = random.Random(seed)
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(COLS + ["label"])
        for _ in range(rows):
            w.writerow(["%.6f" % rng.random() for _ in COLS] + [rng.randint(0, 1)])
    r = _cli(srv.ferry, srv, "artifacts", "log", rid, path, "--artifact-path", "data")
    assert r.returncode == 0, r
    c.log_batch(rid, metrics=[{"key": "accuracy", "value": 0.95, "timestamp": 1, "step": 0}])
    r = _cli(srv.ferry, srv, "models", "register", "runs:/%s/model" % rid, "--name", name)
    assert r.returncode == 0, r
    c.ok(_apply(c, {"name": name, "targets": [{"model": "models:/%s/1" % name, "weight": 100}],
                    "task": "classification", "positive_label": 1}))
    return rid


def _traffic(gw, name, n, seed, shift=0.0):
    """n one-row requests (f0..f2 shifted by shift): [(request id, predicted class)]."""
    rng = random.Random(seed)
    cn = gw.conn()
    out = []
    for _ in range(n):
        row = [rng.random() + (shift if i < 3 else 0) for i in range(len(COLS))]
        body = json.dumps({"dataframe_split": {"columns": COLS, "data": [row]}})
        cn.request("POST", "/endpoints/%s/invocations" % name, body=body,
                   headers={"Content-Type": "application/json"})
        r = cn.getresponse()
        data = r.read()
        assert r.status == 200, data
        out.append((r.getheader("X-Ferry-Request-Id"), json.loads(data)["predictions"][0]))
    cn.close()
    return out


def _wait_logged(c, name, n, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = c.ok(c.get("predictions/search", {"deployment": name, "max_results": 10000},
                         prefix=FERRY))
        if len(got.get("predictions", [])) >= n:
            return
        time.sleep(0.2)
    raise AssertionError("fewer than %d rows logged" % n)


def _label(c, name, rows, flip):
    labels = [{"request_id": rid, "label": (1 - p) if flip else p} for rid, p in rows]
    got = c.ok(c.post("feedback/log", {"deployment": name, "labels": labels}, prefix=FERRY))
    assert got["accepted"] == len(labels), got


def _run(c, name):
    return c.ok(c.post("monitors/run", {"name": name}, prefix=FERRY))


def _conditions(report):
    return {x["condition"]: x["verdict"] for x in report["report"]["conditions"]}


def _alert_events(c, name):
    """(kind, condition) of the alert events of monitor name, in order."""
    got = c.ok(c.get("events/search", {"kinds": "alert.opened,alert.resolved",
                                       "max_results": 1000}, prefix=FERRY))
    out = []
    for e in got.get("events", []):
        p = e["payload"]
        if p.get("monitor") == name:
            out.append((e["kind"], p["condition"]))
    return out


def _monitor_spec(name, dep, rid):
    return {"name": name, "deployment": dep,
            "reference": {"run_artifact": "runs:/%s/data/reference.csv" % rid},
            "window": {"last_rows": 300},
            "decay": {"accuracy": {"max_drop": 0.1}},
            "min_rows": 100}


def test_drift_and_decay_open_alerts_and_a_passing_window_resolves_them(srv, c):
    rid = _setup(srv, c, "mdep")
    spec = _monitor_spec("mon", "mdep", rid)
    got = c.ok(c.post("monitors/apply", {"spec": spec}, prefix=FERRY))
    assert got["changed"] and got["monitor"]["revision"] == 1, got
    gw = Gateway(srv.ferry, srv)
    try:
        gw.wait_served("mdep", lambda e: e["targets"][0]["loaded"])
        logged = 0
        # 1. traffic like the reference, labels right: nothing breached
        rows = _traffic(gw, "mdep", 300, 1)
        logged += 300
        _wait_logged(c, "mdep", logged)
        _label(c, "mdep", rows, False)
        a = _run(c, "mon")
        assert a["inserted"], a
        ra = a["report"]
        assert ra["status"] == "ok" and ra["n_rows"] == 300, ra
        assert ra["dataset_drift"] is False, ra["report"]["drift"]
        cols = [x["name"] for x in ra["report"]["drift"]["columns"]]
        assert cols == COLS, cols  # the label column of the CSV is not watched
        assert all(x["stattest"] == "ks" for x in ra["report"]["drift"]["columns"])
        conds = _conditions(ra)
        assert conds["drift"] == "pass" and conds["decay:accuracy"] == "pass", conds
        assert ra["figures"]["decay"]["accuracy"] == 1.0, ra["figures"]
        # 2. f0..f2 shifted: drift breached, an alert opens; labels right: no decay
        rows = _traffic(gw, "mdep", 300, 2, shift=0.6)
        logged += 300
        _wait_logged(c, "mdep", logged)
        _label(c, "mdep", rows, False)
        rb = _run(c, "mon")["report"]
        assert rb["dataset_drift"] is True, rb["report"]["drift"]
        drifted = sorted(x["name"] for x in rb["report"]["drift"]["columns"] if x["drifted"])
        assert drifted[:3] == ["f0", "f1", "f2"], drifted
        assert _conditions(rb)["drift"] == "breach"
        assert _alert_events(c, "mon") == [("alert.opened", "drift")]
        # 3. as the reference again, labels flipped: drift resolves, decay opens
        rows = _traffic(gw, "mdep", 300, 3)
        logged += 300
        _wait_logged(c, "mdep", logged)
        _label(c, "mdep", rows, True)
        rc = _run(c, "mon")["report"]
        conds = _conditions(rc)
        assert conds["drift"] == "pass" and conds["decay:accuracy"] == "breach", conds
        assert "training run" in rc["report"]["decay"][0]["targets"][0]["why"], rc["report"]
        assert _alert_events(c, "mon") == [("alert.opened", "drift"),
                                           ("alert.resolved", "drift"),
                                           ("alert.opened", "decay:accuracy")]
        # 4. with the CLI: labels right again, the decay alert resolves
        rows = _traffic(gw, "mdep", 300, 4)
        logged += 300
        _wait_logged(c, "mdep", logged)
        _label(c, "mdep", rows, False)
        r = _cli(srv.ferry, srv, "monitors", "run", "mon", "--json")
        assert r.returncode == 0, r
        rd = json.loads(r.stdout)
        assert rd["inserted"] and _conditions(rd["report"])["decay:accuracy"] == "pass", rd
        assert _alert_events(c, "mon")[-1] == ("alert.resolved", "decay:accuracy")
        # a table for people
        r = _cli(srv.ferry, srv, "monitors", "run", "mon")
        assert r.returncode == 0 and b"DRIFTED" in r.stdout and b"ks" in r.stdout, r
        r = _cli(srv.ferry, srv, "monitors", "reports", "mon")
        assert r.returncode == 0, r
        lines = r.stdout.decode().splitlines()
        assert lines[0].split()[:2] == ["WINDOW", "START"], lines
        assert len(lines) == 1 + 5, lines
        assert sum("drift" in ln.split()[-1] for ln in lines[1:]) == 1, lines
    finally:
        assert gw.stop() == 0, gw.errlog
    # reports over REST: newest first, paged
    got = c.ok(c.get("monitors/reports", {"name": "mon", "max_results": 2}, prefix=FERRY))
    assert len(got["reports"]) == 2 and got.get("next_page_token"), got
    assert got["reports"][0]["window_end_ms"] > got["reports"][1]["window_end_ms"]
    rest = c.ok(c.get("monitors/reports", {"name": "mon", "page_token": got["next_page_token"]},
                      prefix=FERRY))
    assert len(rest["reports"]) == 3, rest
    one = c.ok(c.get("monitors/report", {"name": "mon",
                                         "window_start": ra["window_start_ms"]}, prefix=FERRY))
    assert one["report"]["report"]["drift"]["dataset_drift"] is False, one
    # the figures are metrics of the monitor's run: drift share over time
    m = c.ok(c.get("monitors/get", {"name": "mon"}, prefix=FERRY))["monitor"]
    run_id = m["state"]["run_id"]
    assert run_id and m["state"]["last_status"] == "ok", m
    share = c.history(run_id, "share_of_drifted_columns")
    assert len(share) == 5, share
    assert [x["value"] for x in sorted(share, key=lambda x: x["step"])][1] >= 0.6, share
    acc = sorted(c.history(run_id, "accuracy"), key=lambda x: x["step"])
    assert [x["value"] for x in acc][:3] == [1.0, 1.0, 0.0], acc
    assert c.history(run_id, "drift.f0"), "no per-column score"
    run = c.get_run(run_id)
    exp = c.ok(c.get("experiments/get", {"experiment_id": run["info"]["experiment_id"]}))
    assert exp["experiment"]["name"] == "monitor/mon", exp
    # CLI list / get / delete
    r = _cli(srv.ferry, srv, "monitors", "list")
    assert r.returncode == 0 and b"mdep" in r.stdout and b"300 rows" in r.stdout, r
    r = _cli(srv.ferry, srv, "monitors", "get", "mon", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["spec"]["window"]["last_rows"] == 300, r


def test_a_window_is_judged_once_and_too_few_rows_are_insufficient(srv, c):
    rid = _setup(srv, c, "mdep2")
    spec = _monitor_spec("mon2", "mdep2", rid)
    spec["window"] = {"last": "1h"}
    spec["min_rows"] = 1000
    c.ok(c.post("monitors/apply", {"spec": spec}, prefix=FERRY))
    end = int(time.time() * 1000)
    a = c.ok(c.post("monitors/run", {"name": "mon2", "end_time": end}, prefix=FERRY))
    assert a["inserted"] and a["report"]["status"] == "insufficient", a
    assert a["report"]["window_start_ms"] == end - 3600 * 1000, a
    b = c.ok(c.post("monitors/run", {"name": "mon2", "end_time": end}, prefix=FERRY))
    assert not b["inserted"] and b["report"]["id"] == a["report"]["id"], b
    # applying the same spec changes nothing; a new one is the next revision
    got = c.ok(c.post("monitors/apply", {"spec": spec}, prefix=FERRY))
    assert not got["changed"] and got["monitor"]["revision"] == 1, got
    spec["min_rows"] = 10
    got = c.ok(c.post("monitors/apply", {"spec": spec}, prefix=FERRY))
    assert got["changed"] and got["monitor"]["revision"] == 2, got
    r = _cli(srv.ferry, srv, "monitors", "delete", "mon2")
    assert r.returncode == 0, r
    expect_error(c.get("monitors/get", {"name": "mon2"}, prefix=FERRY), 404,
                 "RESOURCE_DOES_NOT_EXIST")


def test_bad_specs_get_mlflows_error_shape(srv, c):
    rid = _setup(srv, c, "mdep3")
    gw = Gateway(srv.ferry, srv)
    try:
        gw.wait_served("mdep3", lambda e: e["targets"][0]["loaded"])
        _traffic(gw, "mdep3", 5, 9)
        _wait_logged(c, "mdep3", 5)
    finally:
        assert gw.stop() == 0, gw.errlog
    good = _monitor_spec("bad", "mdep3", rid)

    def apply(**change):
        spec = dict(good, **change)
        return c.post("monitors/apply", {"spec": spec}, prefix=FERRY)

    expect_error(apply(deployment="nope"), 404, "RESOURCE_DOES_NOT_EXIST", "nope")
    expect_error(apply(window={"last": "soon"}), 400, "INVALID_PARAMETER_VALUE", "window")
    expect_error(apply(schedule={"every": "-1h"}), 400, "INVALID_PARAMETER_VALUE", "every")
    expect_error(apply(columns=["f0", "nope"]), 400, "INVALID_PARAMETER_VALUE", "'nope'")
    expect_error(apply(column_kinds={"ghost": "num"}), 400, "INVALID_PARAMETER_VALUE", "ghost")
    expect_error(apply(reference={"run_artifact": "runs:/%s/data/none.csv" % rid}), 404,
                 "RESOURCE_DOES_NOT_EXIST", "none.csv")
    expect_error(apply(drift={"stattest": {"f0": "nonsense"}}), 400, "INVALID_PARAMETER_VALUE")
    expect_error(apply(decay={"accuracy": {}}), 400, "INVALID_PARAMETER_VALUE", "accuracy")
    expect_error(c.post("monitors/apply", {}, prefix=FERRY), 400, "INVALID_PARAMETER_VALUE")
    expect_error(c.post("monitors/apply", {"spec_yaml": "name: [\n"}, prefix=FERRY), 400,
                 "INVALID_PARAMETER_VALUE")
    expect_error(c.post("monitors/run", {"name": "nope"}, prefix=FERRY), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    expect_error(c.get("monitors/reports", {"name": "nope"}, prefix=FERRY), 404,
                 "RESOURCE_DOES_NOT_EXIST")
    expect_error(c.get("monitors/reports", {"name": "nope", "max_results": 5000},
                       prefix=FERRY), 400, "INVALID_PARAMETER_VALUE")
    r = c.get("monitors/list", prefix=FERRY)
    assert c.ok(r)["monitors"] == [] or all(m["name"] != "bad" for m in r.json["monitors"])
    # the CLI: YAML in, the server's message out, exit 1
    d = tempfile.mkdtemp(prefix="ferry-mon-")
    path = os.path.join(d, "monitor.yaml")
    with open(path, "w") as f:
        f.write("name: bad\ndeployment: mdep3\nreference: {run_artifact: 'runs:/%s/data/"
                "reference.csv'}\ncolumns: [f0, nope]\nwindow: {last: 1h}\n" % rid)
    r = _cli(srv.ferry, srv, "monitors", "apply", "-f", path)
    assert r.returncode == 1 and b"'nope'" in r.stderr, r
    with open(path, "w") as f:
        f.write("name: good\ndeployment: mdep3\nreference: {run_artifact: 'runs:/%s/data/"
                "reference.csv'}\ncolumns: [f0, f1, prediction]\nwindow: {last: 1h}\n" % rid)
    r = _cli(srv.ferry, srv, "monitors", "apply", "-f", path)
    assert r.returncode == 0 and b"monitor good revision 1 applied" in r.stdout, r
    # a bad revision of an existing monitor changes nothing of it
    before = c.ok(c.get("monitors/get", {"name": "good"}, prefix=FERRY))
    bad = dict(good, name="good", columns=["f0", "nope"])
    expect_error(c.post("monitors/apply", {"spec": bad}, prefix=FERRY), 400,
                 "INVALID_PARAMETER_VALUE", "'nope'")
    expect_error(c.post("monitors/apply", {"spec": dict(good, name="good", window={"last": "x"})},
                        prefix=FERRY), 400, "INVALID_PARAMETER_VALUE", "window")
    assert c.ok(c.get("monitors/get", {"name": "good"}, prefix=FERRY)) == before


def _ends(log_path):
    """The window ends a server's log says it judged (inserted)."""
    with open(log_path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    return [int(x) for x in re.findall(r"monitor 'sched': window ending (\d+): ", text)]


def test_scheduled_windows_run_once_across_restarts_and_servers(srv, c):
    rid = _setup(srv, c, "mdep4")
    spec = _monitor_spec("sched", "mdep4", rid)
    spec["window"] = {"last": "2s"}
    spec["schedule"] = {"every": "2s"}
    c.ok(c.post("monitors/apply", {"spec": spec}, prefix=FERRY))

    def reports(client=c):
        got = client.ok(client.get("monitors/reports", {"name": "sched", "max_results": 1000},
                                   prefix=FERRY))
        return got["reports"]

    def judged(n, client=c, timeout=30):
        """Until n more windows than now are judged, whichever server judges them (a window
        every 2 s: n windows take n boundaries, however busy the machine is)."""
        want = len(reports(client)) + n
        deadline = time.time() + timeout
        while len(reports(client)) < want:
            assert time.time() < deadline, ("fewer than %d reports" % want, reports(client))
            time.sleep(0.2)

    judged(2)  # none yet: the first two windows
    rs = reports()
    for r in rs:  # aligned windows of 2 s, nothing logged: insufficient
        assert r["window_end_ms"] % 2000 == 0, r
        assert r["window_end_ms"] - r["window_start_ms"] == 2000, r
        assert r["status"] == "insufficient", r
    # a second server on the same store, then the first one restarted: windows stay unique.
    # Each phase lasts until windows were judged in it (2 with both servers up, 1 by the
    # second server alone), not a fixed time
    other = Server(srv.ferry, db=srv.db, store=srv.store).start()
    oc = other.client()
    try:
        judged(2)
        port = srv.port
        srv.stop()
        judged(1, oc)  # the second server took the lease over
        srv.start(port=port)  # the test's client keeps talking to it
        judged(2)
    finally:
        oc.close()
        assert other.stop() == 0, other.stderr_tail()
    # a server started with --no-monitors runs none, even holding the store alone
    port = srv.port
    srv.stop()
    quiet = Server(srv.ferry, db=srv.db, store=srv.store, extra=["--no-monitors"]).start()
    try:
        qc = quiet.client()

        def quiet_reports():
            return qc.ok(qc.get("monitors/reports", {"name": "sched", "max_results": 1000},
                                prefix=FERRY))["reports"]
        # counted once no other server runs: windows a stopping server judged count
        before = len(quiet_reports())
        time.sleep(4.5)
        got = quiet_reports()
        qc.close()
        assert len(got) == before, (before, got)
    finally:
        assert quiet.stop() == 0, quiet.stderr_tail()
    srv.start(port=port)
    judged(1)  # the restarted server judges again
    rs = reports()
    starts = [r["window_start_ms"] for r in rs]
    assert len(starts) == len(set(starts)), starts
    assert len(rs) >= 6, rs
    ends = _ends(srv.stderr_path) + _ends(other.stderr_path)
    assert len(ends) == len(set(ends)), sorted(ends)
    assert sorted(ends) == sorted(r["window_end_ms"] for r in rs), (sorted(ends), rs)
