# SPDX-License-Identifier: MIT
"""MLflow tracking stores written from scratch, for `ferry db import` tests and its benchmark:
an MLflow SQLite database at one of two alembic revisions, created from DDL written here after
reading MLflow's migrations (mlflow/store/db_migrations/versions/), the same database on
PostgreSQL (the tables as those migrations leave them there, written through psql), and an
MLflow file store (./mlruns) laid out as mlflow/store/tracking/file_store.py and
model_registry/file_store.py lay it out. The content comes from one description (a dict, see
sample()) so a test can compare what ferry serves with what was written, field by field.

Revisions:
  OLD = "97727af70f4d"  the head of MLflow 2.0-2.2: experiments have creation/last_update times;
                        no aliases, no datasets/inputs, no model_versions.storage_location
  NEW = "1b5f0d9ad7c1"  the newest ferry knows (3.x): datasets, inputs (with step), input_tags,
                        aliases, storage_location, workspace columns, traces, logged models
"""
import math
import os
import sqlite3
import subprocess
import tempfile

OLD = "97727af70f4d"
NEW = "1b5f0d9ad7c1"
DBL_MAX = 1.7976931348623157e308  # MLflow's SQL store keeps +-inf as +-DBL_MAX

_COMMON = """
CREATE TABLE alembic_version (
  version_num VARCHAR(32) NOT NULL, CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num));
CREATE TABLE experiment_tags (
  key VARCHAR(250) NOT NULL, value VARCHAR(5000), experiment_id INTEGER NOT NULL,
  CONSTRAINT experiment_tag_pk PRIMARY KEY (key, experiment_id),
  FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id));
CREATE TABLE runs (
  run_uuid VARCHAR(32) NOT NULL, name VARCHAR(250),
  source_type VARCHAR(20), source_name VARCHAR(500), entry_point_name VARCHAR(50),
  user_id VARCHAR(256), status VARCHAR(9), start_time BIGINT, end_time BIGINT,
  deleted_time BIGINT, source_version VARCHAR(50), lifecycle_stage VARCHAR(20),
  artifact_uri VARCHAR(200), experiment_id INTEGER,
  CONSTRAINT run_pk PRIMARY KEY (run_uuid),
  FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id),
  CONSTRAINT source_type CHECK (source_type IN ('NOTEBOOK', 'JOB', 'LOCAL', 'UNKNOWN', 'PROJECT')),
  CONSTRAINT status CHECK (status IN ('SCHEDULED', 'FAILED', 'FINISHED', 'RUNNING', 'KILLED')),
  CONSTRAINT runs_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')));
CREATE TABLE tags (
  key VARCHAR(250) NOT NULL, value VARCHAR(%(tag_len)d), run_uuid VARCHAR(32) NOT NULL,
  CONSTRAINT tag_pk PRIMARY KEY (key, run_uuid), FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid));
CREATE TABLE params (
  key VARCHAR(250) NOT NULL, value VARCHAR(%(param_len)d) NOT NULL, run_uuid VARCHAR(32) NOT NULL,
  CONSTRAINT param_pk PRIMARY KEY (key, run_uuid),
  FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid));
CREATE TABLE metrics (
  key VARCHAR(250) NOT NULL, value FLOAT NOT NULL, timestamp BIGINT NOT NULL,
  run_uuid VARCHAR(32) NOT NULL, step BIGINT DEFAULT '0' NOT NULL,
  is_nan BOOLEAN DEFAULT '0' NOT NULL,
  CONSTRAINT metric_pk PRIMARY KEY (key, timestamp, step, run_uuid, value, is_nan),
  FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid), CHECK (is_nan IN (0, 1)));
CREATE TABLE latest_metrics (
  key VARCHAR(250) NOT NULL, value FLOAT NOT NULL, timestamp BIGINT, step BIGINT NOT NULL,
  is_nan BOOLEAN NOT NULL, run_uuid VARCHAR(32) NOT NULL,
  CONSTRAINT latest_metric_pk PRIMARY KEY (key, run_uuid),
  FOREIGN KEY(run_uuid) REFERENCES runs (run_uuid), CHECK (is_nan IN (0, 1)));
CREATE INDEX index_params_run_uuid ON params (run_uuid);
CREATE INDEX index_metrics_run_uuid ON metrics (run_uuid);
CREATE INDEX index_latest_metrics_run_uuid ON latest_metrics (run_uuid);
CREATE INDEX index_tags_run_uuid ON tags (run_uuid);
"""

# MLflow 2.0-2.2: the registry without aliases; names are the keys.
_OLD = """
CREATE TABLE experiments (
  experiment_id INTEGER NOT NULL, name VARCHAR(256) NOT NULL, artifact_location VARCHAR(256),
  lifecycle_stage VARCHAR(32), creation_time BIGINT, last_update_time BIGINT,
  CONSTRAINT experiment_pk PRIMARY KEY (experiment_id), UNIQUE (name),
  CONSTRAINT experiments_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')));
CREATE TABLE registered_models (
  name VARCHAR(256) NOT NULL, creation_time BIGINT, last_updated_time BIGINT,
  description VARCHAR(5000), CONSTRAINT registered_model_pk PRIMARY KEY (name), UNIQUE (name));
CREATE TABLE registered_model_tags (
  key VARCHAR(250) NOT NULL, value VARCHAR(5000), name VARCHAR(256) NOT NULL,
  CONSTRAINT registered_model_tag_pk PRIMARY KEY (key, name),
  FOREIGN KEY(name) REFERENCES registered_models (name) ON UPDATE cascade);
CREATE TABLE model_versions (
  name VARCHAR(256) NOT NULL, version INTEGER NOT NULL, creation_time BIGINT,
  last_updated_time BIGINT, description VARCHAR(5000), user_id VARCHAR(256),
  current_stage VARCHAR(20), source VARCHAR(500), run_id VARCHAR(32), status VARCHAR(20),
  status_message VARCHAR(500), run_link VARCHAR(500),
  CONSTRAINT model_version_pk PRIMARY KEY (name, version),
  FOREIGN KEY(name) REFERENCES registered_models (name) ON UPDATE cascade);
CREATE TABLE model_version_tags (
  key VARCHAR(250) NOT NULL, value VARCHAR(5000), name VARCHAR(256) NOT NULL,
  version INTEGER NOT NULL, CONSTRAINT model_version_tag_pk PRIMARY KEY (key, name, version),
  FOREIGN KEY(name, version) REFERENCES model_versions (name, version) ON UPDATE cascade);
"""

# The newest revision: workspaces everywhere in the registry, datasets and inputs, aliases,
# storage_location, and the 3.x areas ferry skips (traces, logged models, ...).
_NEW = """
CREATE TABLE workspaces (
  name VARCHAR(63) NOT NULL, description TEXT, CONSTRAINT workspaces_pk PRIMARY KEY (name));
CREATE TABLE experiments (
  experiment_id INTEGER NOT NULL, name VARCHAR(256) NOT NULL, artifact_location VARCHAR(256),
  lifecycle_stage VARCHAR(32), creation_time BIGINT, last_update_time BIGINT,
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL,
  CONSTRAINT experiment_pk PRIMARY KEY (experiment_id),
  CONSTRAINT uq_experiments_workspace_name UNIQUE (workspace, name),
  CONSTRAINT experiments_lifecycle_stage CHECK (lifecycle_stage IN ('active', 'deleted')));
CREATE TABLE registered_models (
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL, name VARCHAR(256) NOT NULL,
  creation_time BIGINT, last_updated_time BIGINT, description VARCHAR(5000),
  CONSTRAINT registered_model_pk PRIMARY KEY (workspace, name));
CREATE TABLE registered_model_tags (
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL, key VARCHAR(250) NOT NULL,
  value VARCHAR(5000), name VARCHAR(256) NOT NULL,
  CONSTRAINT registered_model_tag_pk PRIMARY KEY (workspace, key, name),
  FOREIGN KEY(workspace, name) REFERENCES registered_models (workspace, name)
    ON UPDATE cascade ON DELETE cascade);
CREATE TABLE model_versions (
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL, name VARCHAR(256) NOT NULL,
  version INTEGER NOT NULL, creation_time BIGINT, last_updated_time BIGINT,
  description VARCHAR(5000), user_id VARCHAR(256), current_stage VARCHAR(20),
  source VARCHAR(500), run_id VARCHAR(32), status VARCHAR(20), status_message VARCHAR(500),
  run_link VARCHAR(500), storage_location VARCHAR(500),
  CONSTRAINT model_version_pk PRIMARY KEY (workspace, name, version),
  FOREIGN KEY(workspace, name) REFERENCES registered_models (workspace, name)
    ON UPDATE cascade ON DELETE cascade);
CREATE TABLE model_version_tags (
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL, key VARCHAR(250) NOT NULL, value TEXT,
  name VARCHAR(256) NOT NULL, version INTEGER NOT NULL,
  CONSTRAINT model_version_tag_pk PRIMARY KEY (workspace, key, name, version),
  FOREIGN KEY(workspace, name, version) REFERENCES model_versions (workspace, name, version)
    ON UPDATE cascade ON DELETE cascade);
CREATE TABLE registered_model_aliases (
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL, alias VARCHAR(256) NOT NULL,
  version INTEGER NOT NULL, name VARCHAR(256) NOT NULL,
  CONSTRAINT registered_model_alias_pk PRIMARY KEY (workspace, name, alias),
  FOREIGN KEY(workspace, name) REFERENCES registered_models (workspace, name)
    ON UPDATE cascade ON DELETE cascade);
CREATE TABLE datasets (
  dataset_uuid VARCHAR(36) NOT NULL, experiment_id INTEGER NOT NULL, name VARCHAR(500) NOT NULL,
  digest VARCHAR(36) NOT NULL, dataset_source_type VARCHAR(36) NOT NULL,
  dataset_source TEXT NOT NULL, dataset_schema TEXT, dataset_profile TEXT,
  CONSTRAINT dataset_pk PRIMARY KEY (experiment_id, name, digest),
  FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id) ON DELETE CASCADE);
CREATE INDEX index_datasets_dataset_uuid ON datasets (dataset_uuid);
CREATE TABLE inputs (
  input_uuid VARCHAR(36) NOT NULL, source_type VARCHAR(36) NOT NULL,
  source_id VARCHAR(36) NOT NULL, destination_type VARCHAR(36) NOT NULL,
  destination_id VARCHAR(36) NOT NULL, step BIGINT DEFAULT '0' NOT NULL,
  CONSTRAINT inputs_pk PRIMARY KEY (source_type, source_id, destination_type, destination_id),
  CONSTRAINT uq_inputs_input_uuid UNIQUE (input_uuid));
CREATE TABLE input_tags (
  input_uuid VARCHAR(36) NOT NULL, name VARCHAR(255) NOT NULL, value VARCHAR(500) NOT NULL,
  CONSTRAINT input_tags_pk PRIMARY KEY (input_uuid, name),
  FOREIGN KEY(input_uuid) REFERENCES inputs (input_uuid));
CREATE TABLE trace_info (
  request_id VARCHAR(50) NOT NULL, experiment_id INTEGER NOT NULL, timestamp_ms BIGINT NOT NULL,
  execution_time_ms BIGINT, status VARCHAR(50) NOT NULL, client_request_id VARCHAR(50),
  request_preview VARCHAR(1000), response_preview VARCHAR(1000),
  CONSTRAINT trace_info_pk PRIMARY KEY (request_id),
  FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id) ON DELETE CASCADE);
CREATE TABLE trace_tags (
  key VARCHAR(250) NOT NULL, value VARCHAR(8000), request_id VARCHAR(50) NOT NULL,
  CONSTRAINT trace_tag_pk PRIMARY KEY (request_id, key),
  FOREIGN KEY(request_id) REFERENCES trace_info (request_id) ON DELETE CASCADE);
CREATE TABLE logged_models (
  model_id VARCHAR(36) NOT NULL, experiment_id INTEGER NOT NULL, name VARCHAR(500) NOT NULL,
  artifact_location VARCHAR(1000) NOT NULL, creation_timestamp_ms BIGINT NOT NULL,
  last_updated_timestamp_ms BIGINT NOT NULL, status INTEGER NOT NULL,
  lifecycle_stage VARCHAR(32), model_type VARCHAR(500), source_run_id VARCHAR(32),
  status_message VARCHAR(1000), CONSTRAINT logged_models_pk PRIMARY KEY (model_id),
  FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id) ON DELETE CASCADE);
CREATE TABLE logged_model_params (
  model_id VARCHAR(36) NOT NULL, experiment_id INTEGER NOT NULL, param_key VARCHAR(255) NOT NULL,
  param_value TEXT NOT NULL,
  CONSTRAINT logged_model_params_pk PRIMARY KEY (model_id, param_key),
  FOREIGN KEY(model_id) REFERENCES logged_models (model_id) ON DELETE CASCADE);
CREATE TABLE jobs (
  id VARCHAR(36) NOT NULL, creation_time BIGINT NOT NULL, function_fullname VARCHAR(500) NOT NULL,
  params TEXT NOT NULL, timeout FLOAT, status INTEGER NOT NULL, result TEXT,
  retry_count INTEGER DEFAULT 0 NOT NULL, last_update_time BIGINT NOT NULL,
  workspace VARCHAR(63) DEFAULT 'default' NOT NULL, CONSTRAINT jobs_pk PRIMARY KEY (id));
"""


def _postgres_ddl(revision):
    """The DDL of create_sqlite as MLflow's migrations leave the tables on PostgreSQL, where
    SQLAlchemy's types have native forms: experiments.experiment_id is an autoincrementing
    Integer primary key (initial_models.py: SERIAL); is_nan is a native BOOLEAN with
    server_default false and no CHECK (39d1c3be5f05's create_constraint=True emits none on a
    backend with booleans); metric values are Float(precision=53) (181f10493468, 89d4b8295536),
    i.e. double precision. Everything else (names, VARCHAR lengths, keys) is the same."""
    new = revision != OLD
    ddl = (_NEW if new else _OLD) + _COMMON % {"tag_len": 8000 if new else 5000,
                                                "param_len": 8000 if new else 500}
    edits = [
        ("experiment_id INTEGER NOT NULL, name VARCHAR(256) NOT NULL",
         "experiment_id SERIAL NOT NULL, name VARCHAR(256) NOT NULL", 1),
        ("value FLOAT NOT NULL", "value FLOAT(53) NOT NULL", 2),
        ("is_nan BOOLEAN DEFAULT '0' NOT NULL", "is_nan BOOLEAN DEFAULT false NOT NULL", 1),
        ("is_nan BOOLEAN NOT NULL", "is_nan BOOLEAN DEFAULT false NOT NULL", 1),
        (", CHECK (is_nan IN (0, 1))", "", 2),
    ]
    for old, repl, n in edits:
        assert ddl.count(old) == n, (old, ddl.count(old))
        ddl = ddl.replace(old, repl)
    return ddl


def psql(uri, sql=None, path=None):
    """Runs sql (or the file at path) on the PostgreSQL database uri in one transaction;
    returns psql's unaligned, tuples-only output."""
    args = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-1", "-d", uri]
    args += ["-f", path] if path else ["-c", sql]
    p = subprocess.run(args, capture_output=True, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("psql failed (%d): %s" % (p.returncode, p.stderr))
    return p.stdout


def _pg_literal(v):
    """v as a PostgreSQL literal: quoted text takes the column's type, as MLflow's bound
    values do (0/1 become booleans in is_nan, digits numbers)."""
    if v is None:
        return "NULL"
    if isinstance(v, float) and math.isnan(v):
        v = "NaN"
    elif isinstance(v, float) and math.isinf(v):
        v = "Infinity" if v > 0 else "-Infinity"
    elif isinstance(v, float):
        v = repr(v)
    return "'" + str(v).replace("'", "''") + "'"


class _Script:
    """Stands in for the sqlite3 connection fill_sqlite writes through: each statement
    becomes PostgreSQL text with its values inlined, run by psql at commit."""

    def __init__(self, uri):
        self.uri = uri
        self.lines = []

    def execute(self, sql, params=()):
        ignore = sql.startswith("INSERT OR IGNORE ")
        if ignore:
            sql = "INSERT " + sql[len("INSERT OR IGNORE "):]
        parts = sql.split("?")
        assert len(parts) == len(params) + 1, sql
        text = parts[0] + "".join(_pg_literal(v) + rest for v, rest in zip(params, parts[1:]))
        self.lines.append(text + (" ON CONFLICT DO NOTHING" if ignore else "") + ";")

    def commit(self):
        with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as f:
            f.write("\n".join(self.lines) + "\n")
        try:
            psql(self.uri, path=f.name)
        finally:
            os.unlink(f.name)
        self.lines = []

    def close(self):
        pass


def write_postgres(uri, spec, revision):
    """spec as an MLflow PostgreSQL database at revision in the empty database uri."""
    psql(uri, _postgres_ddl(revision) + "INSERT INTO alembic_version VALUES ('%s');" % revision)
    db = _Script(uri)
    fill_sqlite(db, spec, revision)
    db.close()


def _ms(v):
    return None if v is None else int(v)


def create_sqlite(path, revision):
    """An empty MLflow database at revision (OLD, NEW or any other text for a stranger one:
    the NEW layout is used, only the recorded revision differs)."""
    new = revision != OLD
    db = sqlite3.connect(path)
    ddl = (_NEW if new else _OLD) + _COMMON % {"tag_len": 8000 if new else 5000,
                                                "param_len": 8000 if new else 500}
    db.executescript(ddl)
    db.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    db.commit()
    return db


def _sql_value(v):
    """What MLflow's SQL store keeps for a metric value: (value, is_nan)."""
    if math.isnan(v):
        return 0.0, 1
    if math.isinf(v):
        return (DBL_MAX if v > 0 else -DBL_MAX), 0
    return v, 0


def fill_sqlite(db, spec, revision):
    new = revision != OLD
    for e in spec["experiments"]:
        db.execute("INSERT INTO experiments (experiment_id, name, artifact_location, "
                   "lifecycle_stage, creation_time, last_update_time) VALUES (?,?,?,?,?,?)",
                   (e["id"], e["name"], e["location"], e["stage"], e["created"], e["updated"]))
        for k, v in e["tags"].items():
            db.execute("INSERT INTO experiment_tags VALUES (?,?,?)", (k, v, e["id"]))
    for r in spec["runs"]:
        db.execute("INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, "
                   "user_id, status, start_time, end_time, deleted_time, source_version, "
                   "lifecycle_stage, artifact_uri, experiment_id) "
                   "VALUES (?,?,'LOCAL','','',?,?,?,?,?,'',?,?,?)",
                   (r["id"], r["name"], r["user"], r["status"], r["start"], r["end"],
                    r.get("deleted_time"), r["stage"], r["artifact_uri"], r["experiment"]))
        for k, v in r["params"].items():
            db.execute("INSERT INTO params VALUES (?,?,?)", (k, v, r["id"]))
        for k, v in r["tags"].items():
            db.execute("INSERT INTO tags VALUES (?,?,?)", (k, v, r["id"]))
        for key, points in r["metrics"].items():
            for ts, value, step in points:
                val, nan = _sql_value(value) if not r.get("raw_inf") else (
                    (0.0, 1) if math.isnan(value) else (value, 0))
                db.execute("INSERT OR IGNORE INTO metrics VALUES (?,?,?,?,?,?)",
                           (key, val, ts, r["id"], step, nan))
        if new:
            for i, inp in enumerate(r.get("inputs", [])):
                d = inp["dataset"]
                du = "ds-%s-%s" % (d["name"], d["digest"])
                db.execute("INSERT OR IGNORE INTO datasets VALUES (?,?,?,?,?,?,?,?)",
                           (du, r["experiment"], d["name"], d["digest"], d["source_type"],
                            d["source"], d.get("schema"), d.get("profile")))
                iu = "in-%s-%d" % (r["id"][:8], i)
                db.execute("INSERT INTO inputs VALUES (?,?,?,?,?,?)",
                           (iu, "DATASET", du, "RUN", r["id"], i))
                for k, v in inp["tags"].items():
                    db.execute("INSERT INTO input_tags VALUES (?,?,?)", (iu, k, v))
    for m in spec["models"]:
        db.execute("INSERT INTO registered_models (name, creation_time, last_updated_time, "
                   "description) VALUES (?,?,?,?)",
                   (m["name"], m["created"], m["updated"], m["description"]))
        for k, v in m["tags"].items():
            db.execute("INSERT INTO registered_model_tags (key, value, name) VALUES (?,?,?)",
                       (k, v, m["name"]))
        for v in m["versions"]:
            cols = ("name, version, creation_time, last_updated_time, description, user_id, "
                    "current_stage, source, run_id, status, status_message, run_link")
            vals = [m["name"], v["version"], v["created"], v["updated"], v["description"],
                    v["user"], v["stage"], v["source"], v["run_id"], "READY", None, v["run_link"]]
            if new:  # where MLflow 3 found a models:/ source's files
                cols += ", storage_location"
                vals.append(v["source"] + "/stored")
            db.execute("INSERT INTO model_versions (%s) VALUES (%s)" % (
                cols, ",".join("?" * len(vals))), vals)
            for k, t in v["tags"].items():
                db.execute("INSERT INTO model_version_tags (key, value, name, version) "
                           "VALUES (?,?,?,?)", (k, t, m["name"], v["version"]))
        if new:
            for a, ver in m["aliases"].items():
                db.execute("INSERT INTO registered_model_aliases (alias, version, name) "
                           "VALUES (?,?,?)", (a, ver, m["name"]))
    if new:
        db.execute("INSERT INTO workspaces VALUES ('default', 'the default workspace')")
        db.execute("INSERT INTO logged_models VALUES ('m-1', 1, 'lm', '/tmp/lm', 1, 1, 1, "
                   "'active', NULL, NULL, NULL)")
        for i in range(2):
            db.execute("INSERT INTO trace_info VALUES (?, 1, 1, 1, 'OK', NULL, NULL, NULL)",
                       ("tr-%d" % i,))
    db.commit()


def write_sqlite(path, spec, revision):
    db = create_sqlite(path, revision)
    fill_sqlite(db, spec, revision)
    db.close()


# ---------------------------------------------------------------- the file store

_STATUS = {"RUNNING": 1, "SCHEDULED": 2, "FINISHED": 3, "FAILED": 4, "KILLED": 5}


def _yaml_scalar(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    s = str(v)
    return "'" + s.replace("'", "''") + "'"


def _write_yaml(path, doc):
    """Block YAML as MLflow's yaml.safe_dump writes it (one level of nested mappings)."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    lines = []
    for k, v in doc.items():
        if isinstance(v, dict):
            if not v:
                lines.append("%s: {}" % k)
                continue
            lines.append("%s:" % k)
            lines += ["  %s: %s" % (_yaml_scalar(a), _yaml_scalar(b)) for a, b in v.items()]
        elif isinstance(v, list):
            lines.append("%s: []" % k)
        else:
            lines.append("%s: %s" % (k, _yaml_scalar(v)))
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def _write_value(root, key, value):
    path = os.path.join(root, *key.split("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(value)


def write_files(root, spec):
    """An ./mlruns at root holding spec, as MLflow 2.x's file stores write it."""
    by_id = {}
    for e in spec["experiments"]:
        d = os.path.join(root, ".trash" if e["stage"] == "deleted" else "", str(e["id"]))
        by_id[e["id"]] = d
        _write_yaml(os.path.join(d, "meta.yaml"), {
            "artifact_location": e["location"], "creation_time": e["created"],
            "experiment_id": str(e["id"]), "last_update_time": e["updated"],
            "lifecycle_stage": e["stage"], "name": e["name"]})
        for k, v in e["tags"].items():
            _write_value(os.path.join(d, "tags"), k, v)
    for r in spec["runs"]:
        d = os.path.join(by_id[r["experiment"]], r["id"])
        _write_yaml(os.path.join(d, "meta.yaml"), {
            "artifact_uri": r["artifact_uri"], "end_time": r["end"], "entry_point_name": "",
            "experiment_id": str(r["experiment"]), "lifecycle_stage": r["stage"],
            "run_id": r["id"], "run_name": r["name"], "run_uuid": r["id"], "source_name": "",
            "source_type": 4, "source_version": "", "start_time": r["start"],
            "status": _STATUS[r["status"]], "tags": [], "user_id": r["user"],
            "deleted_time": r.get("deleted_time")})
        for k, v in r["params"].items():
            _write_value(os.path.join(d, "params"), k, v)
        for k, v in r["tags"].items():
            _write_value(os.path.join(d, "tags"), k, v)
        for key, points in r["metrics"].items():
            path = os.path.join(d, "metrics", *key.split("/"))
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                for ts, value, step in points:
                    f.write("%d %r %d\n" % (ts, value, step))
        for i, inp in enumerate(r.get("inputs", [])):
            ds = inp["dataset"]
            dsid = "%032x" % (abs(hash((ds["name"], ds["digest"]))) % (1 << 128))
            _write_yaml(os.path.join(by_id[r["experiment"]], "datasets", dsid, "meta.yaml"), {
                "name": ds["name"], "digest": ds["digest"], "source_type": ds["source_type"],
                "source": ds["source"], "schema": ds.get("schema"),
                "profile": ds.get("profile")})
            _write_yaml(os.path.join(d, "inputs", "%02d%s" % (i, dsid[:30]), "meta.yaml"), {
                "source_type": "DATASET", "source_id": dsid, "destination_type": "RUN",
                "destination_id": dsid, "tags": inp["tags"]})
    for m in spec["models"]:
        d = os.path.join(root, "models", m["name"])
        _write_yaml(os.path.join(d, "meta.yaml"), {
            "creation_timestamp": m["created"], "description": m["description"],
            "last_updated_timestamp": m["updated"], "name": m["name"]})
        for k, v in m["tags"].items():
            _write_value(os.path.join(d, "tags"), k, v)
        for a, ver in m["aliases"].items():
            _write_value(os.path.join(d, "aliases"), a, str(ver))
        for v in m["versions"]:
            vd = os.path.join(d, "version-%d" % v["version"])
            _write_yaml(os.path.join(vd, "meta.yaml"), {
                "creation_timestamp": v["created"], "current_stage": v["stage"],
                "description": v["description"], "last_updated_timestamp": v["updated"],
                "name": m["name"], "run_id": v["run_id"], "run_link": v["run_link"],
                "source": v["source"], "status": "READY", "status_message": None,
                "storage_location": v["source"], "user_id": v["user"],
                "version": v["version"], "aliases": []})
            for k, t in v["tags"].items():
                _write_value(os.path.join(vd, "tags"), k, t)
    # a trace in experiment 1: ferry skips traces
    os.makedirs(os.path.join(by_id[1], "traces", "tr-0"), exist_ok=True)


# ---------------------------------------------------------------- what both hold

def sample(art_root):
    """Three experiments (Default, a live one with tags, a deleted one), four runs (finished
    with NaN/+-inf metrics and datasets, a nested one, a deleted one, a running one without
    end time), one model with three versions (one deleted) and aliases."""
    r1, r2, r3, r4 = ("%032x" % (0xa1 + i) for i in range(4))
    nan, inf = float("nan"), float("inf")
    ds = {"name": "iris", "digest": "d1", "source_type": "local",
          "source": '{"uri": "/data/iris.csv"}', "schema": '{"mlflow_colspec": []}',
          "profile": '{"num_rows": 150}'}
    runs = [
        {"id": r1, "experiment": 1, "name": "first", "user": "ana", "status": "FINISHED",
         "start": 1700000001000, "end": 1700000009000, "stage": "active",
         "params": {"lr": "0.1", "layers/depth": "3"},
         "tags": {"mlflow.runName": "first", "mlflow.user": "ana", "team": "risk"},
         "metrics": {"loss": [(1700000001100, 1.5, 0), (1700000001200, 0.75, 1),
                              (1700000001300, nan, 2), (1700000001400, 0.25, 3)],
                     "acc": [(1700000001100, inf, 0), (1700000001200, -inf, 1),
                             (1700000001300, 0.5, 1)],
                     "eval/f1": [(1700000001500, 0.875, 7)]},
         "inputs": [{"dataset": ds, "tags": {"mlflow.data.context": "training"}}]},
        {"id": r2, "experiment": 1, "name": "nested", "user": "ana", "status": "FAILED",
         "start": 1700000002000, "end": 1700000003000, "stage": "active",
         "params": {}, "tags": {"mlflow.runName": "nested", "mlflow.parentRunId": r1},
         "metrics": {"loss": [(1700000002100, 2.0, 0)]}},
        {"id": r3, "experiment": 1, "name": "gone", "user": "bo", "status": "KILLED",
         "start": 1700000004000, "end": 1700000005000, "stage": "deleted",
         "deleted_time": 1700000006000, "params": {"lr": "0.2"},
         "tags": {"mlflow.runName": "gone"}, "metrics": {}},
        {"id": r4, "experiment": 0, "name": "live", "user": "", "status": "RUNNING",
         "start": 1700000007000, "end": None, "stage": "active", "params": {},
         "tags": {"mlflow.runName": "live"}, "metrics": {"x": [(1700000007100, 3.0, 0)]}},
    ]
    for r in runs:
        e = r["experiment"]
        r["artifact_uri"] = "%s/%d/%s/artifacts" % (art_root, e, r["id"])
    exps = [
        {"id": 0, "name": "Default", "location": art_root + "/0", "stage": "active",
         "created": 1600000000000, "updated": 1600000000000, "tags": {}},
        {"id": 1, "name": "fraud", "location": art_root + "/1", "stage": "active",
         "created": 1700000000000, "updated": 1700000000500,
         "tags": {"team": "risk", "mlflow.note.content": "a note\nwith two lines"}},
        {"id": 7, "name": "retired", "location": art_root + "/7", "stage": "deleted",
         "created": 1650000000000, "updated": 1650000001000, "tags": {}},
    ]
    models = [{
        "name": "fraud-model", "description": "catches fraud", "created": 1700000010000,
        "updated": 1700000020000, "tags": {"owner": "risk"},
        "versions": [
            {"version": 1, "created": 1700000011000, "updated": 1700000012000,
             "description": None, "user": "ana", "stage": "Archived",
             "source": "runs:/%s/model" % r1, "run_id": r1, "run_link": None,
             "tags": {"validated": "yes"}},
            {"version": 2, "created": 1700000013000, "updated": 1700000014000,
             "description": None, "user": None, "stage": "Deleted_Internal",
             "source": "REDACTED-SOURCE-PATH", "run_id": "REDACTED-RUN-ID", "run_link": None,
             "tags": {}},
            {"version": 3, "created": 1700000015000, "updated": 1700000016000,
             "description": "the good one", "user": "bo", "stage": "Production",
             "source": "%s/1/%s/artifacts/model" % (art_root, r1), "run_id": r1,
             "run_link": "http://example/run", "tags": {}},
        ],
        "aliases": {"champion": 3, "ghost": 2},
    }]
    return {"experiments": exps, "runs": runs, "models": models}
