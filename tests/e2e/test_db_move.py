# SPDX-License-Identifier: MIT
"""Moving up: `ferry db copy` from the embedded SQLite default into PostgreSQL (every
table, ids kept, counts verified, a non-empty target refused, passwords never printed)
and `ferry db upgrade`. Runs in the PostgreSQL pass of the suite (it needs the cluster)."""
import os
import subprocess

from support.server import Server, on_postgres, pg_database

FERRY = "/api/2.0/ferry/"

OWN_SERVER = True
NEEDS_POSTGRES = True


def _fill(c):
    """Experiments, a run with awkward values, a model with versions and an alias."""
    eid = c.create_experiment("moved", tags=[{"key": "team", "value": "a\tb"}])
    rid = c.create_run(eid, run_name="r1")["info"]["run_id"]
    c.ok(c.post("runs/log-batch", {"run_id": rid, "metrics": [
        {"key": "m", "value": "NaN", "timestamp": 1, "step": 0},
        {"key": "m", "value": "Infinity", "timestamp": 2, "step": 1},
        {"key": "m", "value": 0.1, "timestamp": 3, "step": 2},
        {"key": "m", "value": -1e-300, "timestamp": 4, "step": 3}],
        "params": [{"key": "p", "value": "line1\nline2\\tab\there"}],
        "tags": [{"key": "t", "value": "é ✓"}]}))
    c.ok(c.post("registered-models/create", {"name": "mm"}))
    for _ in range(3):
        c.ok(c.post("model-versions/create", {"name": "mm", "source": "runs:/%s/model" % rid,
                                              "run_id": rid}))
    c.ok(c.post("model-versions/delete", {"name": "mm", "version": "2"}))
    c.ok(c.post("registered-models/alias", {"name": "mm", "alias": "champion", "version": "3"}))
    # the lineage tables (schema 11)
    c.ok(c.post("lineage/executions/put", {"run_id": rid, "pipeline": "p", "step": "s",
                                           "state": "COMPLETE", "fingerprint": "fp",
                                           "started_ms": 1, "ended_ms": 2}, prefix=FERRY))
    c.ok(c.post("lineage/events/log", {"run_id": rid, "events": [
        {"kind": "output", "name": "o", "artifact": {
            "uri": "runs:/%s/outputs/o" % rid, "type": "file", "digest": "d",
            "properties": {"rows": 3}}}]}, prefix=FERRY))
    return eid, rid


def _snapshot(c, eid, rid):
    run = c.ok(c.get("runs/get", {"run_id": rid}))
    hist = c.ok(c.get("metrics/get-history", {"run_id": rid, "metric_key": "m"}))
    exp = c.ok(c.get("experiments/get", {"experiment_id": eid}))
    model = c.ok(c.get("registered-models/get", {"name": "mm"}))
    alias = c.ok(c.get("registered-models/alias", {"name": "mm", "alias": "champion"}))
    cached = c.ok(c.get("lineage/cache/lookup", {"fingerprint": "fp"}, prefix=FERRY))
    return run, hist, exp, model, alias, cached


def test_copy_keeps_every_id_and_value(ferry):
    assert on_postgres()
    src = Server(ferry, store="sqlite://" + os.path.join(Server(ferry).dir, "ferry.db")).start()
    c = src.client()
    eid, rid = _fill(c)
    before = _snapshot(c, eid, rid)
    assert before[-1]["execution"]["run_id"] == rid and before[-1]["outputs"], before[-1]
    c.close()
    assert src.stop() == 0
    target = pg_database()
    shown = target.replace("postgres@", "postgres:s3cret-pw@")
    p = subprocess.run([ferry, "db", "copy", src.store, shown], capture_output=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert b"s3cret-pw" not in p.stdout + p.stderr and b"postgres:***@" in p.stdout, p.stdout
    assert b"verified:" in p.stdout and b"each table's count equal" in p.stdout, p.stdout
    # the planner has statistics and the visibility map for the filled tables at once
    # (not after autovacuum): VACUUM (ANALYZE) sets both
    q = subprocess.run(["psql", "-Atq", target, "-c",
                        "SELECT count(*) FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL "
                        "AND last_vacuum IS NOT NULL "
                        "AND relname IN ('runs', 'metrics', 'model_versions')"],
                       capture_output=True, timeout=60)
    assert q.stdout.strip() == b"3", (q.stdout, q.stderr)
    # a second copy into the now full target is refused and changes nothing
    p2 = subprocess.run([ferry, "db", "copy", src.store, target], capture_output=True, timeout=60)
    assert p2.returncode == 1 and b"not empty" in p2.stderr, p2.stderr

    dst = Server(ferry, store=target).start()
    try:
        c = dst.client()
        after = _snapshot(c, eid, rid)
        assert after == before, (after, before)
        # new rows continue after the copied ids and numbers
        eid2 = c.create_experiment("after-copy")
        assert int(eid2) == int(eid) + 1, (eid, eid2)
        v = c.ok(c.post("model-versions/create", {"name": "mm", "run_id": rid,
                                                  "source": "runs:/%s/model" % rid}))
        assert v["model_version"]["version"] == "4", v
        c.close()
    finally:
        assert dst.stop() == 0


def test_copy_refuses_bad_sources_and_targets(ferry):
    d = Server(ferry).dir
    p = subprocess.run([ferry, "db", "copy", os.path.join(d, "missing.db"), pg_database()],
                       capture_output=True, timeout=60)
    assert p.returncode == 1 and b"no SQLite store" in p.stderr, p.stderr
    p = subprocess.run([ferry, "db", "copy", "postgresql://a@127.0.0.1:1/x",
                        os.path.join(d, "x.db")], capture_output=True, timeout=60)
    assert p.returncode == 1 and b"copy from a ferry SQLite store" in p.stderr, p.stderr
    p = subprocess.run([ferry, "db", "copy", "only-one"], capture_output=True, timeout=60)
    assert p.returncode == 2, p


def test_upgrade_migrates_once_and_says_so(ferry):
    target = pg_database()
    p = subprocess.run([ferry, "db", "upgrade", "--to", "6", target], capture_output=True,
                       timeout=60)
    assert p.returncode == 0 and b"schema version 0 -> 6" in p.stdout, p
    p = subprocess.run([ferry, "db", "upgrade", target], capture_output=True, timeout=60)
    assert p.returncode == 0 and b"schema version 6 -> 14" in p.stdout, p
    p = subprocess.run([ferry, "db", "upgrade", target], capture_output=True, timeout=60)
    assert p.returncode == 0 and b"nothing to do" in p.stdout, p
    p = subprocess.run([ferry, "db", "upgrade", "--to", "x", target], capture_output=True,
                       timeout=60)
    assert p.returncode == 2, p


def test_passwords_from_environment_pgpass_or_uri_never_printed(ferry):
    """libpq's own sources of a password are honoured; none is ever printed."""
    base = pg_database(owner="pwuser")
    uri = base.replace("postgres@", "pwuser@")
    withpw = base.replace("postgres@", "pwuser:pw-for-tests@")
    wrong = base.replace("postgres@", "pwuser:wrong-pw-123@")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}

    def serve(store, extra_env=None):
        srv = Server(ferry, store=store, env=None)
        srv.env = dict(env, **(extra_env or {}))
        return srv

    # no password anywhere: refused, saying why
    srv = serve(uri)
    p = subprocess.run([ferry, "db", "upgrade", uri], capture_output=True, env=srv.env,
                       timeout=60)
    assert p.returncode == 1 and b"password" in p.stderr, p.stderr
    # a wrong one in the URI: refused, the password not echoed
    p = subprocess.run([ferry, "db", "upgrade", wrong], capture_output=True, env=srv.env,
                       timeout=60)
    assert p.returncode == 1 and b"wrong-pw-123" not in p.stderr + p.stdout, p.stderr
    assert b"pwuser:***@" in p.stderr, p.stderr
    # PGPASSWORD
    srv = serve(uri, {"PGPASSWORD": "pw-for-tests"}).start()
    c = srv.client()
    c.create_experiment("via-pgpassword")
    c.close()
    assert srv.stop() == 0
    # a .pgpass file (PGPASSFILE names it; libpq wants it private)
    passfile = os.path.join(srv.dir, "pgpass")
    host_port = uri.split("@", 1)[1].split("/", 1)[0]
    with open(passfile, "w") as f:
        f.write("%s:*:pwuser:pw-for-tests\n" % host_port)
    os.chmod(passfile, 0o600)
    srv = serve(uri, {"PGPASSFILE": passfile}).start()
    c = srv.client()
    assert c.ok(c.get("experiments/get-by-name", {"experiment_name": "via-pgpassword"}))
    c.close()
    assert srv.stop() == 0
    # in the URI: works, and the server's log never shows it
    srv = serve(withpw).start()
    c = srv.client()
    c.create_experiment("via-uri")
    c.close()
    assert srv.stop() == 0
    log = open(srv.stderr_path, "rb").read()
    assert b"pw-for-tests" not in log and b"pwuser:***@" in log, log[-2000:]
