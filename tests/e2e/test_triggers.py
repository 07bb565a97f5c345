# SPDX-License-Identifier: MIT
"""Triggers run by `ferry server` (issue 21, server/trigger_scheduler.h): each kind fires once per
event (a dataset version, a dataset alias, a registry version created, an alias moved, an
alert opened, a schedule's due time) and runs its pipeline, whose run is tagged
ferry.trigger.name / ferry.trigger.firingId and named on the firing; events older than the
trigger fire nothing; concurrency skip / queue / replace; --no-execute refuses (recorded as a
refused firing, with the reason); a server killed mid-run leaves its firing abandoned, never
rerun; a server stopped cleanly cancels its running firings; two servers on one PostgreSQL
database fire and run once; on PostgreSQL an event committed after a newer one still fires
(the scheduler waits at the id gap). The pipelines are one shell step appending a line to a
marker file, so every run is counted. Schedules are judged with the test hook FERRY_TRIGGER_NOW_OFFSET_MS
(the clock a minute ahead) and a daily cron due within that minute: no test waits for a real
minute. Every wait is bounded; the servers tick every 100 ms. Runs on SQLite and PostgreSQL."""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from support.server import CREATED_DIRS, Server, on_postgres

try:
    from test_alerts import HOUR, T0, _deployment, _fixture, _monitor, _open
except ImportError:  # the alerts area's helpers
    _open = None
from test_datasets_api import create as _dataset_version, upload as _upload

OWN_SERVER = True
FERRY = "/api/2.0/ferry/"
FAST = {"FERRY_TRIGGER_TICK_MS": "100", "FERRY_TRIGGER_LEASE_MS": "3000"}
FINAL = ("succeeded", "failed", "skipped", "cancelled", "refused", "abandoned")


def _dir():
    """A scratch directory the launched pipelines (which run as nobody when the tests run as
    root) can read and write."""
    d = tempfile.mkdtemp(prefix="ferry-trig-")
    CREATED_DIRS.append(d)
    os.chmod(d, 0o777)
    return d


def _pipeline(marker):
    """A pipeline whose one step appends `{params.msg}` to marker, after sleeping {params.nap}
    seconds; never cached. The step writes its process group to marker.pids (_reap)."""
    d = _dir()
    with open(os.path.join(d, "pipeline.yaml"), "w") as f:
        f.write("""name: trig
params:
  msg: {type: string, default: none}
  nap: {type: string, default: "0"}
steps:
  go:
    run: echo $$ >> %s.pids; sleep {params.nap}; echo {params.msg} >> %s
    cache: false
""" % (marker, marker))
    os.chmod(os.path.join(d, "pipeline.yaml"), 0o644)
    return d


def _reap(marker):
    """Kills what is left of the steps that wrote marker.pids: a step whose server was killed
    goes on by itself (its own process group) until its sleep ends."""
    try:
        with open(marker + ".pids") as f:
            pids = [int(x) for x in f.read().split()]
    except FileNotFoundError:
        return
    for pid in pids:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass


def _lines(marker):
    try:
        with open(marker) as f:
            return [line.strip().strip("'") for line in f if line.strip()]
    except FileNotFoundError:
        return []


_REACHABLE = {}


def _reachable(ferry, mode=0o755):
    """A copy of the ferry binary in a directory of that mode. The scheduler runs this very
    binary for each firing, as nobody when the tests run as root, and a clean clone may sit
    in a directory only root can enter (mktemp -d): the copy is where nobody can run it."""
    if mode not in _REACHABLE:
        d = tempfile.mkdtemp(prefix="ferry-trig-bin-")
        CREATED_DIRS.append(d)
        os.chmod(d, mode)
        dst = os.path.join(d, "ferry")
        shutil.copy2(ferry, dst)
        os.chmod(dst, 0o755)
        _REACHABLE[mode] = dst
    return _REACHABLE[mode]


def _server(ferry, extra=(), env=None, db=None, store=None):
    return Server(_reachable(ferry), db=db, store=store, extra=list(extra),
                  env=dict(FAST, **(env or {}))).start()


def _apply(c, spec):
    return c.ok(c.post("triggers/apply", {"spec": spec}, prefix=FERRY))["trigger"]


def _spec(name, on, pipe, params=None, concurrency="skip", experiment=None):
    spec = {"name": name, "on": on, "pipeline": {"uri": pipe, "experiment": experiment or name},
            "concurrency": concurrency}
    if params:
        spec["params"] = params
    return spec


def _history(c, name):
    return c.ok(c.get("triggers/history", {"name": name, "max_results": 100},
                      prefix=FERRY))["firings"]


def _fire(c, name, **params):
    return c.ok(c.post("triggers/fire", {"name": name, "params": params}, prefix=FERRY))["firing"]


def _wait(pred, timeout=45, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError("timed out waiting for %s" % what)


def _settled(c, name, n, timeout=45):
    """The trigger's firings once there are n of them, all final (oldest first)."""
    def done():
        h = _history(c, name)
        return h if len(h) == n and all(f["state"] in FINAL for f in h) else None
    try:
        return sorted(_wait(done, timeout, "%d final firings of %s" % (n, name)),
                      key=lambda f: int(f["id"]))
    except AssertionError:
        raise AssertionError("firings of %s: %r" % (name, _history(c, name)))


def _state(c, name, firing_id, state, timeout=45):
    def get():
        for f in _history(c, name):
            if int(f["id"]) == int(firing_id) and f["state"] == state:
                return f
        return None
    try:
        return _wait(get, timeout, "firing %s of %s %s" % (firing_id, name, state))
    except AssertionError:
        raise AssertionError("firings of %s: %r" % (name, _history(c, name)))


def _run(c, run_id):
    return c.ok(c.get("runs/get", {"run_id": run_id}))["run"]


def _tags(run):
    return {t["key"]: t["value"] for t in run["data"].get("tags", [])}


def _check_run(c, f, trigger):
    """The firing names its pipeline run, which carries the trigger's tags."""
    assert f["run_id"], f
    tags = _tags(_run(c, f["run_id"]))
    assert tags.get("ferry.trigger.name") == trigger, tags
    assert tags.get("ferry.trigger.firingId") == str(f["id"]), tags
    assert tags.get("ferry.pipeline.name") == "trig", tags


def _new_version(c, name, content):
    _upload(c, [content])
    return c.ok(_dataset_version(c, name, {"data.csv": content}))


def test_each_event_kind_fires_once_per_event(ferry):
    srv = _server(ferry)
    c = srv.client()
    try:
        marker = os.path.join(_dir(), "marker")
        pipe = _pipeline(marker)
        # an event from before the trigger never fires it
        _new_version(c, "sales", b"a,b\n1,2\n")
        c.ok(c.post("registered-models/create", {"name": "fraud"}))
        _apply(c, _spec("on-version", {"dataset": {"name": "sales"}}, pipe,
                        {"msg": "version-{event.dataset_version}-{event.dataset_uri}"}, "queue"))
        _apply(c, _spec("on-alias", {"dataset": {"name": "sales", "alias": "prod"}}, pipe,
                        {"msg": "alias-{event.alias}-{event.dataset_version}"}, "queue"))
        _apply(c, _spec("on-model", {"registry": {"model": "fraud",
                                                  "event": "version_created"}}, pipe,
                        {"msg": "model-{event.model_uri}"}, "queue"))
        _apply(c, _spec("on-champion", {"registry": {"model": "fraud", "event": "alias_moved",
                                                     "alias": "champion"}}, pipe,
                        {"msg": "champion-{event.model_version}"}, "queue"))
        _new_version(c, "sales", b"a,b\n3,4\n")
        _new_version(c, "other", b"a,b\n5,6\n")  # another dataset: nothing
        c.ok(c.post("datasets/aliases/set", {"name": "sales", "alias": "prod", "version": 2},
                    prefix=FERRY))
        c.ok(c.post("datasets/aliases/set", {"name": "sales", "alias": "dev", "version": 2},
                    prefix=FERRY))  # another alias: nothing
        for _ in range(2):
            c.ok(c.post("model-versions/create", {"name": "fraud", "source": "s3://b/m"}))
        c.ok(c.post("registered-models/alias", {"name": "fraud", "alias": "champion",
                                                "version": "2"}))
        c.ok(c.post("registered-models/alias", {"name": "fraud", "alias": "staging",
                                                "version": "1"}))  # another alias: nothing
        want = {"on-version": ["version-2-data:/sales/2"], "on-alias": ["alias-prod-2"],
                "on-model": ["model-models:/fraud/1", "model-models:/fraud/2"],
                "on-champion": ["champion-2"]}
        for name, msgs in want.items():
            fs = _settled(c, name, len(msgs))
            assert [f["state"] for f in fs] == ["succeeded"] * len(msgs), fs
            assert [f["params"]["msg"] for f in fs] == msgs, fs
            for f in fs:
                assert f["event_key"] == "event:%s" % f["event_id"], f
                _check_run(c, f, name)
        assert sorted(_lines(marker)) == sorted(m for v in want.values() for m in v)
        # nothing more fires later: each event once
        time.sleep(0.5)
        assert sorted(_lines(marker)) == sorted(m for v in want.values() for m in v)
        for name, msgs in want.items():
            assert len(_history(c, name)) == len(msgs)
    finally:
        c.close()
        assert srv.stop() == 0, srv.stderr_tail()


def test_an_opened_alert_fires_its_trigger(ferry):
    if _open is None:
        return
    srv = _server(ferry)
    c = srv.client()
    try:
        marker = os.path.join(_dir(), "marker")
        pipe = _pipeline(marker)
        _deployment(c, "scoring")
        _monitor(ferry, srv, "scoring-drift", "scoring", [])
        _apply(c, _spec("on-drift", {"alert": {"monitor": "scoring-drift",
                                               "condition": "drift"}}, pipe,
                        {"msg": "alert-{event.monitor}-{event.condition}"}))
        _apply(c, _spec("on-decay", {"alert": {"monitor": "scoring-drift",
                                               "condition": "decay"}}, pipe))
        _open(ferry, srv, "scoring-drift", 0, "drift")
        # the same alert breached again: updated, not opened again
        _fixture(ferry, srv, "window", "scoring-drift", str(T0 + HOUR), str(T0 + 2 * HOUR),
                 "drift", "breach")
        fs = _settled(c, "on-drift", 1)
        assert fs[0]["state"] == "succeeded" and fs[0]["params"]["msg"] == \
            "alert-scoring-drift-drift", fs
        _check_run(c, fs[0], "on-drift")
        time.sleep(0.5)
        assert _history(c, "on-decay") == [] and len(_history(c, "on-drift")) == 1
        assert _lines(marker) == ["alert-scoring-drift-drift"]
    finally:
        c.close()
        assert srv.stop() == 0, srv.stderr_tail()


def _due_minute_spec():
    """A daily cron due in the minute after now (the server's clock runs a minute ahead),
    whose next time is a day later."""
    t = time.gmtime(time.time() + 60)
    return "%d %d * * *" % (t.tm_min, t.tm_hour)


def test_a_schedule_fires_once_across_restarts(ferry):
    hook = {"FERRY_TRIGGER_NOW_OFFSET_MS": "60000"}
    srv = _server(ferry, env=hook)
    c = srv.client()
    try:
        marker = os.path.join(_dir(), "marker")
        pipe = _pipeline(marker)
        cron = _due_minute_spec()
        _apply(c, _spec("nightly", {"schedule": cron}, pipe,
                        {"msg": "at-{event.scheduled_time}"}))
        fs = _settled(c, "nightly", 1)
        assert fs[0]["state"] == "succeeded", fs
        assert fs[0]["event_key"].startswith("schedule:"), fs
        due = int(fs[0]["event_key"].split(":")[1])
        assert due % 60000 == 0 and due > time.time() * 1000 - 120000, fs
        assert fs[0]["event"]["scheduled_time_ms"] == str(due), fs
        _check_run(c, fs[0], "nightly")
        c.close()
        assert srv.stop() == 0, srv.stderr_tail()
        srv.start()
        c = srv.client()
        time.sleep(0.8)  # several ticks of the restarted server
        assert len(_history(c, "nightly")) == 1
        assert len(_lines(marker)) == 1
    finally:
        c.close()
        assert srv.stop() == 0, srv.stderr_tail()


def test_concurrency_skip_queue_replace(ferry):
    srv = _server(ferry)
    c = srv.client()
    try:
        marker = os.path.join(_dir(), "marker")
        pipe = _pipeline(marker)
        for mode in ("skip", "queue", "replace"):
            _apply(c, _spec(mode, {"dataset": {"name": "never-" + mode}}, pipe,
                            {"msg": mode + "-{event.kind}", "nap": "1"}, mode))
        first = {m: _fire(c, m, msg=m + "-1", nap="2") for m in ("skip", "queue", "replace")}
        for m, f in first.items():
            _state(c, m, f["id"], "running")
        second = {m: _fire(c, m, msg=m + "-2", nap="0") for m in ("skip", "queue", "replace")}
        skip = _settled(c, "skip", 2)
        assert [f["state"] for f in skip] == ["succeeded", "skipped"], skip
        assert skip[1]["detail"] == "a run is still going: firing %s" % first["skip"]["id"], skip
        assert not skip[1]["run_id"], skip
        queue = _settled(c, "queue", 2)
        assert [f["state"] for f in queue] == ["succeeded", "succeeded"], queue
        assert int(queue[1]["started_ms"]) >= int(queue[0]["ended_ms"]), queue
        replace = _settled(c, "replace", 2)
        assert [f["state"] for f in replace] == ["cancelled", "succeeded"], replace
        assert replace[0]["detail"] == "replaced by firing %s" % second["replace"]["id"], replace
        for f in skip[:1] + queue + replace[1:]:
            _check_run(c, f, f["trigger"])
        assert sorted(_lines(marker)) == ["queue-1", "queue-2", "replace-2", "skip-1"]
        assert first["skip"]["params"]["msg"] == "skip-1"
    finally:
        c.close()
        assert srv.stop() == 0, srv.stderr_tail()


def test_a_binary_the_runs_user_cannot_reach_fails_and_says_why(ferry):
    """Run as root, the server starts runs as nobody: a ferry binary in a directory only root
    may enter fails the firing with a message that says so (and the run's log says why)."""
    if os.geteuid() != 0:
        return  # runs start as the server's own user: nothing to refuse
    hidden = _reachable(ferry, 0o700)
    srv = Server(hidden, env=dict(FAST, TMPDIR=_dir())).start()
    c = srv.client()
    try:
        marker = os.path.join(_dir(), "marker")
        _apply(c, _spec("hidden", {"dataset": {"name": "sales"}}, _pipeline(marker)))
        _fire(c, "hidden")
        f = _settled(c, "hidden", 1)[0]
        assert f["state"] == "failed", f
        assert f["detail"].startswith("exit 127: ferry could not be started"), f
        logs = [os.path.join(srv.env["TMPDIR"], x) for x in os.listdir(srv.env["TMPDIR"])
                if x.startswith("ferry-trigger-")]
        text = "".join(open(x).read() for x in logs)
        assert "cannot run " + hidden + ": permission denied" in text, (logs, text)
    finally:
        c.close()
        assert srv.stop() == 0, srv.stderr_tail()


def test_no_execute_refuses_and_says_why(ferry):
    srv = _server(ferry, extra=["--no-execute"])
    c = srv.client()
    try:
        marker = os.path.join(_dir(), "marker")
        _apply(c, _spec("refused", {"dataset": {"name": "sales"}}, _pipeline(marker)))
        f = _fire(c, "refused")
        assert f["state"] == "queued", f
        fs = _settled(c, "refused", 1)
        assert fs[0]["state"] == "refused", fs
        assert fs[0]["detail"] == "the server runs no processes (--no-execute)", fs
        assert not fs[0]["run_id"] and _lines(marker) == []
        # the refusal is on the events stream too
        ev = c.ok(c.get("events/search", {"kinds": "trigger.finished"}, prefix=FERRY))
        assert any(json.loads(e["payload"]).get("state") == "refused"
                   if isinstance(e.get("payload"), str) else e["payload"].get("state") == "refused"
                   for e in ev.get("events", [])), ev
    finally:
        c.close()
        assert srv.stop() == 0, srv.stderr_tail()


def test_killed_mid_run_abandons_and_a_clean_stop_cancels(ferry):
    srv = _server(ferry)
    c = srv.client()
    try:
        marker = os.path.join(_dir(), "marker")
        pipe = _pipeline(marker)
        _apply(c, _spec("long", {"dataset": {"name": "sales"}}, pipe, {"nap": "30"}))
        f = _fire(c, "long", msg="first")
        _state(c, "long", f["id"], "running")
        c.close()
        srv.kill()  # its pipeline process dies with it (parent-death signal)
        srv.start()
        c = srv.client()
        got = _state(c, "long", f["id"], "abandoned", timeout=20)
        assert got["detail"] == "the server stopped while it ran", got
        time.sleep(0.5)
        assert len(_history(c, "long")) == 1  # never rerun
        assert _lines(marker) == []
        # a clean stop TERMs the running pipeline and cancels its firing
        g = _fire(c, "long", msg="second")
        _state(c, "long", g["id"], "running")
        c.close()
        t0 = time.time()
        assert srv.stop() == 0, srv.stderr_tail()
        assert time.time() - t0 < 20
        srv.start()
        c = srv.client()
        got = _state(c, "long", g["id"], "cancelled", timeout=5)
        assert got["detail"] == "the server stopped", got
        assert len(_history(c, "long")) == 2 and _lines(marker) == []
    finally:
        c.close()
        _reap(marker)
        assert srv.stop() == 0, srv.stderr_tail()


def test_two_servers_on_one_postgres_database_run_once(ferry):
    if not on_postgres():
        return
    a = _server(ferry)
    b = _server(ferry, store=a.store)
    ca, cb = a.client(), b.client()
    try:
        marker = os.path.join(_dir(), "marker")
        pipe = _pipeline(marker)
        _apply(ca, _spec("shared", {"dataset": {"name": "sales"}}, pipe,
                         {"msg": "v{event.dataset_version}"}, "queue"))
        for i in range(3):
            _new_version(cb if i % 2 else ca, "sales", b"a\n%d\n" % i)
        fs = _settled(ca, "shared", 3)
        assert [f["state"] for f in fs] == ["succeeded"] * 3, fs
        time.sleep(0.5)
        assert sorted(_lines(marker)) == ["v1", "v2", "v3"]
        assert len(_history(cb, "shared")) == 3
        # whichever held the lease stops (giving it up): the other one runs the next event
        holder = a if "triggers: running triggers" in a.stderr_tail(1000) else b
        other, co = (b, cb) if holder is a else (a, ca)
        (ca if holder is a else cb).close()
        assert holder.stop() == 0, holder.stderr_tail()
        _new_version(co, "sales", b"a\n9\n")
        fs = _settled(co, "shared", 4)
        assert fs[3]["state"] == "succeeded", fs
        assert sorted(_lines(marker)) == ["v1", "v2", "v3", "v4"]
        assert "triggers: running triggers" in other.stderr_tail(1000)
    finally:
        ca.close()
        cb.close()
        assert b.stop() == 0, b.stderr_tail()
        assert a.stop() == 0, a.stderr_tail()


def test_an_event_committed_after_a_newer_one_still_fires(ferry):
    """On PostgreSQL an event's id is taken when its change inserts it and shows when it
    commits, so id N can commit after N + 1: the scheduler holds its cursor at the gap
    (FERRY_TRIGGER_GAP_WAIT_MS) and fires both once N commits."""
    if not on_postgres():
        return
    srv = _server(ferry, extra=["--no-execute"], env={"FERRY_TRIGGER_GAP_WAIT_MS": "600000"})
    c = srv.client()
    late = None
    try:
        _apply(c, _spec("late", {"dataset": {"name": "sales"}}, _pipeline(_dir() + "/m")))
        # a change that took its event id and has not committed
        late = subprocess.Popen(["psql", "-q", "-v", "ON_ERROR_STOP=1", srv.store],
                                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
        late.stdin.write(
            "BEGIN;\nINSERT INTO events (time_ms, kind, subject, user_id, payload) VALUES "
            "(%d, 'dataset.version_created', 'sales', '', '{\"name\": \"sales\", "
            "\"version\": 7, \"uri\": \"data:/sales/7\", \"digest\": \"d7\"}');\n"
            % int(time.time() * 1000))
        late.stdin.flush()

        def waiting():
            q = subprocess.run(["psql", "-Atq", srv.store, "-c",
                                "SELECT count(*) FROM pg_stat_activity WHERE state = "
                                "'idle in transaction' AND datname = current_database()"],
                               capture_output=True, text=True, timeout=30)
            return q.stdout.strip() == "1"
        _wait(waiting, 20, "the open transaction")
        _new_version(c, "sales", b"a\n1\n")  # the next id, committed
        time.sleep(1.5)  # 15 ticks: the newer event waits behind the gap
        assert _history(c, "late") == [], _history(c, "late")
        late.stdin.write("COMMIT;\n")
        late.stdin.close()
        assert late.wait(timeout=30) == 0, late.stderr.read()
        fs = _settled(c, "late", 2)
        got = sorted((int(f["event_id"]), f["event"]["dataset_version"]) for f in fs)
        assert [v for _, v in got] == ["7", "1"], got  # the late one has the lower id
        assert all(f["state"] == "refused" for f in fs), fs
    finally:
        if late and late.poll() is None:
            late.kill()
            late.wait()
        c.close()
        assert srv.stop() == 0, srv.stderr_tail()


def test_with_auth_a_run_is_its_owners_and_refused_once_the_owner_may_not_edit(ferry):
    from test_auth import AuthServer, user
    srv = AuthServer(_reachable(ferry), env=FAST).start()
    alice, bob = user(srv, "alice"), user(srv, "bob")
    try:
        marker = os.path.join(_dir(), "marker")
        pipe = _pipeline(marker)
        exp = alice.ok(alice.post("experiments/create", {"name": "alice-exp"}))["experiment_id"]
        alice.ok(alice.post("experiments/permissions/create",
                            {"experiment_id": exp, "username": "bob", "permission": "EDIT"}))
        t = bob.ok(bob.post("triggers/apply", {"spec": _spec(
            "bobs", {"registry": {"model": "shared", "event": "version_created"}}, pipe,
            {"msg": "v{event.model_version}"}, experiment="alice-exp")}, prefix=FERRY))["trigger"]
        assert t["owner"] == "bob", t
        alice.ok(alice.post("registered-models/create", {"name": "shared"}))
        alice.ok(alice.post("model-versions/create", {"name": "shared", "source": "s3://b/m"}))
        fs = _settled(bob, "bobs", 1)
        assert fs[0]["state"] == "succeeded" and fs[0]["user_id"] == "bob", fs
        run = bob.ok(bob.get("runs/get", {"run_id": fs[0]["run_id"]}))["run"]
        assert run["info"]["experiment_id"] == exp, run
        assert _tags(run).get("ferry.trigger.firingId") == str(fs[0]["id"]), run
        # bob may only read the experiment now: his trigger's next run is refused
        alice.ok(alice.call("PATCH", "experiments/permissions/update",
                            {"experiment_id": exp, "username": "bob", "permission": "READ"}))
        alice.ok(alice.post("model-versions/create", {"name": "shared", "source": "s3://b/m"}))
        fs = _settled(bob, "bobs", 2)
        assert fs[1]["state"] == "refused", fs
        assert "ermission" in fs[1]["detail"] and not fs[1]["run_id"], fs
        assert _lines(marker) == ["v1"]
    finally:
        assert srv.stop() == 0, srv.stderr_tail()


def test_bad_settings_stop_the_server_before_it_listens(ferry):
    for name, value, want in [
            ("FERRY_TRIGGER_TICK_MS", "soon", "invalid FERRY_TRIGGER_TICK_MS 'soon' (expected "
             "10..3600000)"),
            ("FERRY_TRIGGER_TICK_MS", "0", "invalid FERRY_TRIGGER_TICK_MS '0'"),
            ("FERRY_TRIGGER_LEASE_MS", "-5", "invalid FERRY_TRIGGER_LEASE_MS '-5'"),
            ("FERRY_TRIGGER_GAP_WAIT_MS", "-1", "invalid FERRY_TRIGGER_GAP_WAIT_MS '-1' (expected "
             "0..600000)"),
            ("FERRY_TRIGGER_GAP_WAIT_MS", "600001", "invalid FERRY_TRIGGER_GAP_WAIT_MS '600001'"),
            ("FERRY_TRIGGER_NOW_OFFSET_MS", "1e3", "invalid FERRY_TRIGGER_NOW_OFFSET_MS '1e3'")]:
        d = _dir()
        p = subprocess.run([ferry, "server", "--host", "127.0.0.1", "--port", "0",
                            "--backend-store-uri", "sqlite://" + os.path.join(d, "f.db")],
                           capture_output=True, timeout=60, cwd=d,
                           env=dict(os.environ, **{name: value}))
        assert p.returncode == 1 and b"listening" not in p.stdout, p
        assert want in p.stderr.decode(), p.stderr
