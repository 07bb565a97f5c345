# SPDX-License-Identifier: MIT
"""`ferry db import` from MLflow's PostgreSQL databases: the tables MLflow's migrations leave on
PostgreSQL at an old 2.x and at the newest 3.x alembic revision ferry knows (support/
mlflow_store.py's write_postgres), written into the test cluster, imported into a ferry store
file and into a ferry PostgreSQL database, then checked field by field through a real `ferry
server` on each (test_import.py's round trip: a second import changes nothing). An MLflow URI
in SQLAlchemy's spelling and one with a password (kept out of every message) are read too; bad
sources (an unknown revision, a database that is not MLflow's, a server that is not there,
workspaces ferry cannot keep apart, the target itself) fail clearly and change nothing. Runs in
the PostgreSQL pass of the suite (the cluster it needs is that pass's)."""
import os

import test_import as ti
from support import mlflow_store as ms
from support.server import pg_database

OWN_SERVER = True
NEEDS_POSTGRES = True


def _mlflow(spec, revision, owner=None):
    """A new MLflow database at revision holding spec; with owner (a role that logs in with a
    password) its URI carries the password."""
    uri = pg_database(owner)
    if owner:
        uri = uri.replace("postgres@", "%s:pw-for-tests@" % owner, 1)
    ms.write_postgres(uri, spec, revision)
    return uri


def test_old_revision(ferry):
    d = ti._tmp()
    spec = ms.sample(os.path.join(d, "mlruns"))
    source = _mlflow(spec, ms.OLD)
    for target in (os.path.join(d, "ferry.db"), pg_database()):
        ti._roundtrip(ferry, source, spec, True, False, False, {}, target)


def test_newest_revision(ferry):
    d = ti._tmp()
    spec = ms.sample(os.path.join(d, "mlruns"))
    source = _mlflow(spec, ms.NEW)  # no orphan run here: PostgreSQL keeps the foreign key
    skips = {"logged models": 1, "traces": 2}
    ti._roundtrip(ferry, source, spec, True, True, True, skips, os.path.join(d, "ferry.db"))
    # MLflow's own spelling of the URI (SQLAlchemy's driver suffix) names the same database
    ti._roundtrip(ferry, source.replace("postgresql://", "postgresql+psycopg2://", 1), spec, True,
                  True, True, skips, pg_database())


def test_password_stays_out_of_messages(ferry):
    d = ti._tmp()
    spec = ms.sample(os.path.join(d, "mlruns"))
    source = _mlflow(spec, ms.NEW, owner="pwuser")
    p = ti._import(ferry, source, os.path.join(d, "ferry.db"))
    assert "pw-for-tests" not in p.stdout + p.stderr, p.stdout
    assert "pwuser:***@" in p.stdout, p.stdout
    p = ti._fails(ferry, source.replace("pw-for-tests", "wrong-one"), os.path.join(d, "ferry.db"),
                  "cannot open 'postgresql://pwuser:***@")
    assert "wrong-one" not in p.stdout + p.stderr, p.stderr


def test_bad_sources_change_nothing(ferry):
    d = ti._tmp()
    target = ti._target(d)
    spec = ms.sample(os.path.join(d, "mlruns"))
    good = _mlflow(spec, ms.OLD)
    ti._import(ferry, good, target)
    ti._fails(ferry, _mlflow(spec, "ffffffffffff"), target, "alembic revision 'ffffffffffff'")
    ti._fails(ferry, pg_database(), target, "no alembic_version table")
    ti._fails(ferry, "postgresql://postgres@127.0.0.1:1/mlflow", target,
              "cannot open 'postgresql://postgres@127.0.0.1:1/mlflow'")
    ti._fails(ferry, good, good, "is the source itself")
    # experiments in another MLflow workspace: ferry has none to keep them apart
    spaced = _mlflow(spec, ms.NEW)
    ms.psql(spaced, "UPDATE experiments SET workspace = 'team-b' WHERE experiment_id = 7")
    ti._fails(ferry, spaced, target, "uses MLflow workspaces (1 experiments and 0 models")
