/* SPDX-License-Identifier: MIT
 * Forward-only migrations. migrations[i] takes the schema from version i to
 * i+1. Never edit a released migration: add a new one.
 *
 * Layout notes (why the tables look like this):
 *  - runs has an integer key (id) used by every child table; run_uuid is the
 *    32-hex MLflow run id. Integer keys keep the metric rows small.
 *  - metrics is WITHOUT ROWID clustered on (run, key, step, timestamp, value):
 *    a history read is one range scan (100k points ~15 ms vs ~250 ms with a
 *    rowid table). MLflow also deduplicates identical points this way.
 *  - NaN cannot be stored in a SQLite REAL (it becomes NULL), so it is stored
 *    as value 0 with is_nan = 1. Infinities are stored as they are.
 *  - latest_metrics holds the latest point per (run, key) -- greatest step,
 *    then timestamp, then value, as MLflow chooses -- for search and sort. */
#include "store/sqlite/schema.h"

#include <stdio.h>

static const char *const migrations[] = {
    /* 0 -> 1: the tracking schema */
    "CREATE TABLE experiments ("
    "  experiment_id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  artifact_location TEXT NOT NULL,"
    "  lifecycle_stage TEXT NOT NULL DEFAULT 'active'"
    "    CHECK (lifecycle_stage IN ('active', 'deleted')),"
    "  creation_time INTEGER NOT NULL,"
    "  last_update_time INTEGER NOT NULL);"
    "CREATE TABLE experiment_tags ("
    "  experiment_id INTEGER NOT NULL REFERENCES experiments ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (experiment_id, key)) WITHOUT ROWID;"
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY,"
    "  run_uuid TEXT NOT NULL UNIQUE,"
    "  name TEXT NOT NULL,"
    "  experiment_id INTEGER NOT NULL REFERENCES experiments,"
    "  user_id TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL CHECK (status IN"
    "    ('RUNNING', 'SCHEDULED', 'FINISHED', 'FAILED', 'KILLED')),"
    "  start_time INTEGER,"
    "  end_time INTEGER,"
    "  artifact_uri TEXT NOT NULL,"
    "  lifecycle_stage TEXT NOT NULL DEFAULT 'active'"
    "    CHECK (lifecycle_stage IN ('active', 'deleted')),"
    "  deleted_time INTEGER);"
    "CREATE INDEX runs_by_experiment ON runs (experiment_id, start_time DESC, id);"
    "CREATE TABLE params ("
    "  run INTEGER NOT NULL REFERENCES runs ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (run, key)) WITHOUT ROWID;"
    "CREATE INDEX params_by_key_value ON params (key, value, run);"
    "CREATE TABLE tags ("
    "  run INTEGER NOT NULL REFERENCES runs ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (run, key)) WITHOUT ROWID;"
    "CREATE INDEX tags_by_key_value ON tags (key, value, run);"
    "CREATE TABLE metrics ("
    "  run INTEGER NOT NULL REFERENCES runs ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  step INTEGER NOT NULL,"
    "  timestamp INTEGER NOT NULL,"
    "  value REAL NOT NULL,"
    "  is_nan INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (run, key, step, timestamp, value, is_nan)) WITHOUT ROWID;"
    "CREATE TABLE latest_metrics ("
    "  run INTEGER NOT NULL REFERENCES runs ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  value REAL NOT NULL,"
    "  is_nan INTEGER NOT NULL DEFAULT 0,"
    "  timestamp INTEGER NOT NULL,"
    "  step INTEGER NOT NULL,"
    "  PRIMARY KEY (run, key)) WITHOUT ROWID;"
    "CREATE INDEX latest_metrics_by_key_value ON latest_metrics (key, value, run);"
    "CREATE TABLE datasets ("
    "  id INTEGER PRIMARY KEY,"
    "  experiment_id INTEGER NOT NULL REFERENCES experiments ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  digest TEXT NOT NULL,"
    "  source_type TEXT NOT NULL,"
    "  source TEXT NOT NULL,"
    "  schema TEXT,"
    "  profile TEXT,"
    "  UNIQUE (experiment_id, name, digest));"
    "CREATE TABLE run_inputs ("
    "  run INTEGER NOT NULL REFERENCES runs ON DELETE CASCADE,"
    "  dataset INTEGER NOT NULL REFERENCES datasets ON DELETE CASCADE,"
    "  position INTEGER NOT NULL,"
    "  PRIMARY KEY (run, dataset)) WITHOUT ROWID;"
    "CREATE INDEX run_inputs_by_dataset ON run_inputs (dataset, run);"
    "CREATE TABLE input_tags ("
    "  run INTEGER NOT NULL,"
    "  dataset INTEGER NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (run, dataset, key),"
    "  FOREIGN KEY (run, dataset) REFERENCES run_inputs ON DELETE CASCADE) WITHOUT ROWID;",

    /* 1 -> 2: the model registry. Version numbers come from next_version and
     * are never reused, so "model 3" always means the same artifact, also
     * in the audit trail (registry_events), which outlives what it records. */
    "CREATE TABLE registered_models ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  description TEXT,"
    "  creation_time INTEGER NOT NULL,"
    "  last_updated_time INTEGER NOT NULL,"
    "  next_version INTEGER NOT NULL DEFAULT 1);"
    "CREATE TABLE registered_model_tags ("
    "  model INTEGER NOT NULL REFERENCES registered_models ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (model, key)) WITHOUT ROWID;"
    "CREATE TABLE model_versions ("
    "  model INTEGER NOT NULL REFERENCES registered_models ON DELETE CASCADE,"
    "  version INTEGER NOT NULL,"
    "  creation_time INTEGER NOT NULL,"
    "  last_updated_time INTEGER NOT NULL,"
    "  description TEXT,"
    "  user_id TEXT NOT NULL DEFAULT '',"
    "  current_stage TEXT NOT NULL DEFAULT 'None'"
    "    CHECK (current_stage IN ('None', 'Staging', 'Production', 'Archived')),"
    "  source TEXT NOT NULL DEFAULT '',"
    "  run_id TEXT,"
    "  run_link TEXT,"
    "  status TEXT NOT NULL DEFAULT 'READY'"
    "    CHECK (status IN ('PENDING_REGISTRATION', 'READY', 'FAILED_REGISTRATION')),"
    "  status_message TEXT,"
    "  PRIMARY KEY (model, version)) WITHOUT ROWID;"
    "CREATE INDEX model_versions_by_run ON model_versions (run_id);"
    "CREATE TABLE model_version_tags ("
    "  model INTEGER NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (model, version, key),"
    "  FOREIGN KEY (model, version) REFERENCES model_versions ON DELETE CASCADE) WITHOUT ROWID;"
    "CREATE TABLE registered_model_aliases ("
    "  model INTEGER NOT NULL REFERENCES registered_models ON DELETE CASCADE,"
    "  alias TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  PRIMARY KEY (model, alias),"
    "  FOREIGN KEY (model, version) REFERENCES model_versions ON DELETE CASCADE) WITHOUT ROWID;"
    "CREATE TABLE registry_events ("
    "  id INTEGER PRIMARY KEY,"
    "  model_name TEXT NOT NULL,"
    "  version INTEGER,"
    "  action TEXT NOT NULL,"
    "  detail TEXT NOT NULL DEFAULT '',"
    "  user_id TEXT NOT NULL DEFAULT '',"
    "  time INTEGER NOT NULL);"
    "CREATE INDEX registry_events_by_model ON registry_events (model_name, id);",

    /* 2 -> 3: MLflow 3's logged models. A model's metrics keep every point
     * with the run and dataset it was measured in (NaN as 0 with is_nan, as
     * runs' metrics); a run's model inputs and outputs are one table. A
     * version registered from a logged model keeps the model's id, and where
     * its files are when its source is a models:/ URI (storage_location). */
    "CREATE TABLE logged_models ("
    "  id INTEGER PRIMARY KEY,"
    "  model_id TEXT NOT NULL UNIQUE,"
    "  experiment_id INTEGER NOT NULL REFERENCES experiments ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  artifact_location TEXT NOT NULL,"
    "  creation_time INTEGER NOT NULL,"
    "  last_updated_time INTEGER NOT NULL,"
    "  status TEXT NOT NULL,"
    "  status_message TEXT,"
    "  lifecycle_stage TEXT NOT NULL DEFAULT 'active'"
    "    CHECK (lifecycle_stage IN ('active', 'deleted')),"
    "  model_type TEXT,"
    "  source_run_id TEXT);"
    "CREATE INDEX logged_models_by_experiment ON logged_models"
    "  (experiment_id, creation_time DESC, model_id);"
    "CREATE TABLE logged_model_params ("
    "  model INTEGER NOT NULL REFERENCES logged_models ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (model, key)) WITHOUT ROWID;"
    "CREATE TABLE logged_model_tags ("
    "  model INTEGER NOT NULL REFERENCES logged_models ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (model, key)) WITHOUT ROWID;"
    "CREATE TABLE logged_model_metrics ("
    "  model INTEGER NOT NULL REFERENCES logged_models ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  timestamp INTEGER NOT NULL,"
    "  step INTEGER NOT NULL,"
    "  value REAL NOT NULL,"
    "  is_nan INTEGER NOT NULL DEFAULT 0,"
    "  run_id TEXT NOT NULL,"
    "  dataset_name TEXT NOT NULL DEFAULT '',"
    "  dataset_digest TEXT NOT NULL DEFAULT '',"
    "  PRIMARY KEY (model, key, timestamp, step, run_id, dataset_name, dataset_digest))"
    "  WITHOUT ROWID;"
    "CREATE TABLE run_model_refs ("
    "  run INTEGER NOT NULL REFERENCES runs ON DELETE CASCADE,"
    "  output INTEGER NOT NULL,"
    "  model_id TEXT NOT NULL,"
    "  step INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (run, output, model_id, step)) WITHOUT ROWID;"
    "ALTER TABLE model_versions ADD COLUMN storage_location TEXT;"
    "ALTER TABLE model_versions ADD COLUMN model_id TEXT;",

    /* 3 -> 4: traces (MLflow Tracing). A trace belongs to an experiment and
     * goes when the experiment is purged; deleting a trace takes its tags
     * and request metadata with it (its files stay in the artifact
     * repository, as in MLflow). request_id is the id clients see (3.x:
     * trace_id); the integer key keeps the child rows small. A search walks
     * one experiment's traces newest first (traces_by_experiment). */
    "CREATE TABLE traces ("
    "  id INTEGER PRIMARY KEY,"
    "  request_id TEXT NOT NULL UNIQUE,"
    "  experiment_id INTEGER NOT NULL REFERENCES experiments ON DELETE CASCADE,"
    "  timestamp_ms INTEGER NOT NULL,"
    "  execution_time_ms INTEGER,"
    "  status TEXT NOT NULL CHECK (status IN"
    "    ('TRACE_STATUS_UNSPECIFIED', 'OK', 'ERROR', 'IN_PROGRESS')),"
    "  client_request_id TEXT,"
    "  request_preview TEXT,"
    "  response_preview TEXT);"
    "CREATE INDEX traces_by_experiment ON traces (experiment_id, timestamp_ms DESC, request_id);"
    "CREATE TABLE trace_tags ("
    "  trace INTEGER NOT NULL REFERENCES traces ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (trace, key)) WITHOUT ROWID;"
    "CREATE INDEX trace_tags_by_key_value ON trace_tags (key, value, trace);"
    "CREATE TABLE trace_request_metadata ("
    "  trace INTEGER NOT NULL REFERENCES traces ON DELETE CASCADE,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (trace, key)) WITHOUT ROWID;"
    "CREATE INDEX trace_request_metadata_by_key_value ON trace_request_metadata"
    "  (key, value, trace);",

    /* 4 -> 5: users, their permissions and API tokens (store/auth.h). A
     * permission names its resource as MLflow's auth app does, by
     * experiment id or model name, which need not exist; a user's rows go
     * with the user. Tokens are found by the digest of their secret. */
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY,"
    "  username TEXT NOT NULL UNIQUE,"
    "  password_hash TEXT NOT NULL,"
    "  is_admin INTEGER NOT NULL DEFAULT 0,"
    "  created_ms INTEGER NOT NULL);"
    "CREATE TABLE resource_permissions ("
    "  kind INTEGER NOT NULL," /* enum res_kind */
    "  key TEXT NOT NULL,"
    "  user_id INTEGER NOT NULL REFERENCES users ON DELETE CASCADE,"
    "  permission TEXT NOT NULL,"
    "  PRIMARY KEY (kind, key, user_id)) WITHOUT ROWID;"
    "CREATE INDEX resource_permissions_by_user ON resource_permissions (user_id);"
    "CREATE TABLE api_tokens ("
    "  id TEXT PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES users ON DELETE CASCADE,"
    "  name TEXT NOT NULL,"
    "  digest TEXT NOT NULL UNIQUE,"
    "  scopes TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  expires_ms INTEGER,"
    "  revoked_ms INTEGER);"
    "CREATE INDEX api_tokens_by_user ON api_tokens (user_id);",

    /* 5 -> 6: leases (store/leases.h): who decides what, until when. */
    "CREATE TABLE leases ("
    "  name TEXT PRIMARY KEY,"
    "  holder TEXT NOT NULL,"
    "  epoch INTEGER NOT NULL,"
    "  expires_ms INTEGER NOT NULL) WITHOUT ROWID;",

    /* 6 -> 7: deployments (store/deployments.h): the current record, its
     * history of changes, the events stream every later area writes to,
     * and each gateway's traffic figures per second for the controller. */
    "CREATE TABLE deployments ("
    "  name TEXT PRIMARY KEY,"
    "  revision INTEGER NOT NULL,"
    "  change INTEGER NOT NULL,"
    "  spec TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  created_by TEXT NOT NULL DEFAULT '',"
    "  updated_by TEXT NOT NULL DEFAULT '') WITHOUT ROWID;"
    "CREATE TABLE deployment_changes ("
    "  name TEXT NOT NULL,"
    "  change INTEGER NOT NULL,"
    "  revision INTEGER NOT NULL,"
    "  action TEXT NOT NULL,"
    "  user_id TEXT NOT NULL DEFAULT '',"
    "  time_ms INTEGER NOT NULL,"
    "  reason TEXT NOT NULL DEFAULT '',"
    "  spec TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  PRIMARY KEY (name, change)) WITHOUT ROWID;"
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY,"
    "  time_ms INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  subject TEXT NOT NULL,"
    "  user_id TEXT NOT NULL DEFAULT '',"
    "  payload TEXT NOT NULL);"
    "CREATE INDEX events_by_kind ON events (kind, id);"
    "CREATE TABLE deploy_stats ("
    "  deployment TEXT NOT NULL,"
    "  revision INTEGER NOT NULL,"
    "  gateway TEXT NOT NULL,"
    "  target TEXT NOT NULL,"
    "  second_ms INTEGER NOT NULL,"
    "  requests INTEGER NOT NULL,"
    "  errors INTEGER NOT NULL,"
    "  client_errors INTEGER NOT NULL,"
    "  hist TEXT NOT NULL,"
    "  PRIMARY KEY (deployment, revision, second_ms, gateway, target)) WITHOUT ROWID;"
    "CREATE INDEX deploy_stats_by_time ON deploy_stats (second_ms);",

    /* 7 -> 8: the prediction log (store/predictions.h). On SQLite it lives
     * in database files of its own beside this one, so nothing changes
     * here; the number moves with PostgreSQL's, whose version 8 adds the
     * log's tables (one number names one set of tables on both). */
    "SELECT 1;",

    /* 8 -> 9: monitors (store/monitors.h): a monitor and the runner's state
     * of it; one report per judged window, unique on (monitor, window
     * start) so a window is judged at most once, whoever runs it; alerts,
     * at most one active (open or acknowledged) per monitor and condition
     * (the partial index); each alert's deliveries to the monitor's sinks,
     * unique per (alert, sink, event), the pending ones found by when they
     * are due. */
    "CREATE TABLE monitors ("
    "  name TEXT PRIMARY KEY,"
    "  deployment TEXT NOT NULL,"
    "  revision INTEGER NOT NULL,"
    "  spec TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  created_by TEXT NOT NULL DEFAULT '',"
    "  applied_by TEXT NOT NULL DEFAULT '',"
    "  last_window_start_ms INTEGER NOT NULL DEFAULT 0,"
    "  last_window_end_ms INTEGER NOT NULL DEFAULT 0,"
    "  last_run_ms INTEGER NOT NULL DEFAULT 0,"
    "  last_status TEXT NOT NULL DEFAULT '',"
    "  last_error TEXT NOT NULL DEFAULT '',"
    "  run_id TEXT NOT NULL DEFAULT '') WITHOUT ROWID;"
    "CREATE INDEX monitors_by_deployment ON monitors (deployment, name);"
    "CREATE TABLE monitor_reports ("
    "  id INTEGER PRIMARY KEY,"
    "  monitor TEXT NOT NULL,"
    "  window_start_ms INTEGER NOT NULL,"
    "  window_end_ms INTEGER NOT NULL,"
    "  status TEXT NOT NULL CHECK (status IN ('ok', 'insufficient', 'failed')),"
    "  n_rows INTEGER NOT NULL,"
    "  dataset_drift INTEGER," /* NULL: not judged */
    "  share_of_drifted_columns REAL,"
    "  figures TEXT NOT NULL,"
    "  report TEXT NOT NULL,"
    "  error TEXT NOT NULL DEFAULT '',"
    "  created_ms INTEGER NOT NULL,"
    "  UNIQUE (monitor, window_start_ms));"
    "CREATE INDEX monitor_reports_by_end ON monitor_reports (window_end_ms);"
    "CREATE TABLE monitor_alerts ("
    "  id INTEGER PRIMARY KEY,"
    "  monitor TEXT NOT NULL,"
    "  deployment TEXT NOT NULL,"
    "  condition TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),"
    "  severity TEXT NOT NULL,"
    "  message TEXT NOT NULL DEFAULT '',"
    "  details TEXT NOT NULL DEFAULT '{}',"
    "  opened_ms INTEGER NOT NULL,"
    "  opened_window_start_ms INTEGER NOT NULL,"
    "  last_window_start_ms INTEGER NOT NULL,"
    "  breach_count INTEGER NOT NULL,"
    "  acked_ms INTEGER NOT NULL DEFAULT 0,"
    "  acked_by TEXT NOT NULL DEFAULT '',"
    "  resolved_ms INTEGER NOT NULL DEFAULT 0,"
    "  resolved_by TEXT NOT NULL DEFAULT '',"
    "  updated_ms INTEGER NOT NULL);"
    "CREATE UNIQUE INDEX monitor_alerts_active ON monitor_alerts (monitor, condition)"
    "  WHERE state <> 'resolved';"
    "CREATE INDEX monitor_alerts_by_monitor ON monitor_alerts (monitor, id);"
    "CREATE INDEX monitor_alerts_by_deployment ON monitor_alerts (deployment, id);"
    "CREATE TABLE alert_deliveries ("
    "  id INTEGER PRIMARY KEY,"
    "  alert_id INTEGER NOT NULL REFERENCES monitor_alerts ON DELETE CASCADE,"
    "  monitor TEXT NOT NULL,"
    "  sink_index INTEGER NOT NULL,"
    "  sink_kind TEXT NOT NULL,"
    "  event TEXT NOT NULL CHECK (event IN ('opened', 'resolved')),"
    "  attempt INTEGER NOT NULL DEFAULT 0,"
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),"
    "  http_status INTEGER NOT NULL DEFAULT 0,"
    "  error TEXT NOT NULL DEFAULT '',"
    "  created_ms INTEGER NOT NULL,"
    "  next_attempt_ms INTEGER NOT NULL,"
    "  delivered_ms INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (alert_id, sink_index, event));"
    "CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_ms, id)"
    "  WHERE state = 'pending';",

    /* 9 -> 10: dataset versions (store/datasets.h). data_sets keeps the
     * counter of version numbers (never reused) and outlives a dataset
     * delete (deleted = 1). A version's manifest and profile live in
     * data_version_content, a table of their own, so listing versions
     * never reads them (a manifest of 100,000 files is megabytes); the
     * profile comes first in it, so reading it skips the manifest.
     * data_objects: one row per stored object, pack NULL for a loose one;
     * touched_ms says when an add, a create or an upload last named it
     * (gc leaves younger rows alone). The MLflow datasets table gets an
     * index on source, so the runs that used a data:/ version are found
     * without a scan. */
    "CREATE TABLE data_sets ("
    "  name TEXT PRIMARY KEY,"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  last_version INTEGER NOT NULL DEFAULT 0,"
    "  deleted INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE TABLE data_versions ("
    "  name TEXT NOT NULL REFERENCES data_sets ON DELETE CASCADE,"
    "  version INTEGER NOT NULL,"
    "  digest TEXT NOT NULL,"
    "  file_count INTEGER NOT NULL,"
    "  size_bytes INTEGER NOT NULL,"
    "  message TEXT NOT NULL DEFAULT '',"
    "  author TEXT NOT NULL DEFAULT '',"
    "  created_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (name, version)) WITHOUT ROWID;"
    "CREATE TABLE data_version_content ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  profile TEXT,"
    "  manifest TEXT NOT NULL,"
    "  UNIQUE (name, version),"
    "  FOREIGN KEY (name, version) REFERENCES data_versions ON DELETE CASCADE);"
    "CREATE TABLE data_version_tags ("
    "  name TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  key TEXT NOT NULL,"
    "  value TEXT NOT NULL,"
    "  PRIMARY KEY (name, version, key),"
    "  FOREIGN KEY (name, version) REFERENCES data_versions ON DELETE CASCADE) WITHOUT ROWID;"
    "CREATE TABLE data_aliases ("
    "  name TEXT NOT NULL,"
    "  alias TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  PRIMARY KEY (name, alias),"
    "  FOREIGN KEY (name, version) REFERENCES data_versions ON DELETE CASCADE) WITHOUT ROWID;"
    "CREATE INDEX data_aliases_by_version ON data_aliases (name, version);"
    "CREATE TABLE data_objects ("
    "  digest TEXT PRIMARY KEY,"
    "  size INTEGER NOT NULL,"
    "  pack TEXT,"
    "  off INTEGER NOT NULL DEFAULT 0,"
    "  touched_ms INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX data_objects_by_pack ON data_objects (pack) WHERE pack IS NOT NULL;"
    "CREATE INDEX data_objects_by_touched ON data_objects (touched_ms);"
    "CREATE INDEX datasets_by_source ON datasets (source);",

    /* 10 -> 11: the lineage graph (store/lineage.h). Executions and events
     * belong to a run (by its run id, so a purge takes them along);
     * artifacts are shared, one row per (uri, digest). Every lookup the
     * graph walk makes has an index: events by run (the key) and by
     * artifact, artifacts by uri (the unique key's prefix), executions by
     * fingerprint (the step cache) and by pipeline run; and on the tables
     * it joins, logged models by source run and model versions by source
     * and by logged model. */
    "CREATE TABLE lineage_artifacts ("
    "  id INTEGER PRIMARY KEY,"
    "  uri TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  digest TEXT NOT NULL DEFAULT '',"
    "  properties TEXT,"
    "  created_ms INTEGER NOT NULL,"
    "  UNIQUE (uri, digest));"
    "CREATE TABLE lineage_executions ("
    "  run_id TEXT PRIMARY KEY REFERENCES runs (run_uuid) ON DELETE CASCADE,"
    "  pipeline TEXT NOT NULL DEFAULT '',"
    "  pipeline_run_id TEXT NOT NULL DEFAULT '',"
    "  step TEXT NOT NULL DEFAULT '',"
    "  state TEXT NOT NULL"
    "    CHECK (state IN ('RUNNING', 'COMPLETE', 'FAILED', 'KILLED', 'CACHED')),"
    "  fingerprint TEXT NOT NULL DEFAULT '',"
    "  cached_from TEXT NOT NULL DEFAULT '',"
    "  started_ms INTEGER NOT NULL DEFAULT 0,"
    "  ended_ms INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE INDEX lineage_executions_by_fingerprint ON lineage_executions"
    "  (fingerprint, state, ended_ms);"
    "CREATE INDEX lineage_executions_by_pipeline_run ON lineage_executions"
    "  (pipeline_run_id, started_ms);"
    "CREATE INDEX lineage_executions_by_step ON lineage_executions (step, started_ms);"
    "CREATE TABLE lineage_events ("
    "  run_id TEXT NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,"
    "  artifact_id INTEGER NOT NULL REFERENCES lineage_artifacts ON DELETE CASCADE,"
    "  kind TEXT NOT NULL CHECK (kind IN ('input', 'output')),"
    "  name TEXT NOT NULL DEFAULT '',"
    "  created_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (run_id, kind, name, artifact_id)) WITHOUT ROWID;"
    "CREATE INDEX lineage_events_by_artifact ON lineage_events (artifact_id, kind);"
    "CREATE INDEX logged_models_by_source_run ON logged_models (source_run_id);"
    "CREATE INDEX model_versions_by_source ON model_versions (source);"
    "CREATE INDEX model_versions_by_model_id ON model_versions (model_id);",

    /* 11 -> 12: triggers (store/triggers.h) and webhooks (store/webhooks.h).
     * A firing is unique on (trigger, event_key): at most one per event,
     * whichever server sees it; firings outlive their trigger (no foreign
     * key) as history. Firing ids never repeat (AUTOINCREMENT), so a page
     * token or a log line names one firing forever. scheduler_cursors
     * holds each stream reader's last handled event id. A webhook delivery
     * is unique on (webhook, event): one per stream event, retried in
     * place. */
    "CREATE TABLE triggers ("
    "  name TEXT PRIMARY KEY,"
    "  spec TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  enabled INTEGER NOT NULL,"
    "  owner TEXT NOT NULL DEFAULT '',"
    "  revision INTEGER NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  since_event_id INTEGER NOT NULL,"
    "  last_scheduled_ms INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE TABLE trigger_firings ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  trigger TEXT NOT NULL,"
    "  event_key TEXT NOT NULL,"
    "  event_id INTEGER,"
    "  event TEXT NOT NULL,"
    "  params TEXT NOT NULL,"
    "  user_id TEXT NOT NULL DEFAULT '',"
    "  state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed',"
    "    'skipped', 'cancelled', 'refused', 'abandoned')),"
    "  run_id TEXT,"
    "  holder TEXT,"
    "  created_ms INTEGER NOT NULL,"
    "  started_ms INTEGER NOT NULL DEFAULT 0,"
    "  ended_ms INTEGER NOT NULL DEFAULT 0,"
    "  detail TEXT,"
    "  UNIQUE (trigger, event_key));"
    "CREATE INDEX trigger_firings_by_trigger ON trigger_firings (trigger, id);"
    "CREATE INDEX trigger_firings_active ON trigger_firings (state, id)"
    "  WHERE state IN ('queued', 'running');"
    "CREATE TABLE scheduler_cursors ("
    "  name TEXT PRIMARY KEY,"
    "  last_event_id INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE webhooks ("
    "  id TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  url TEXT NOT NULL,"
    "  events TEXT NOT NULL,"
    "  description TEXT,"
    "  status TEXT NOT NULL,"
    "  secret TEXT,"
    "  creation_timestamp INTEGER NOT NULL,"
    "  last_updated_timestamp INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE webhook_deliveries ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  webhook_id TEXT NOT NULL,"
    "  event_id INTEGER NOT NULL,"
    "  event TEXT NOT NULL,"
    "  payload TEXT NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),"
    "  attempt INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_ms INTEGER,"
    "  http_status INTEGER,"
    "  error TEXT,"
    "  created_ms INTEGER NOT NULL,"
    "  updated_ms INTEGER NOT NULL,"
    "  UNIQUE (webhook_id, event_id));"
    "CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_ms, id)"
    "  WHERE state = 'pending';"
    "CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);",

    /* 12 -> 13: nothing here. On PostgreSQL the check that a metric's run
     * exists moved from a foreign key (one lookup and row lock per point)
     * to one lock per statement (store/postgres/schema.c's v13); SQLite's
     * check is an in-process lookup, and the versions stay equal so that
     * `ferry db copy` moves between equal schemas. */
    "SELECT 1;",

    /* 13 -> 14: params, tags and latest_metrics carry their run's
     * experiment, and their key-value indexes lead with (key, value) or
     * (key) and then the experiment, so a runs search that starts from
     * such an index reads only its own experiments' entries (see
     * store/postgres/schema.c's v14 for the figures on PostgreSQL, where
     * the planner does start there). A run never moves between
     * experiments, so the column is written once, with the row: a trigger
     * fills it from the run after every insert that left it out, which is
     * once per (run, key), since a later write of the key is an update. */
    "ALTER TABLE params ADD COLUMN experiment_id INTEGER;"
    "UPDATE params SET experiment_id = (SELECT experiment_id FROM runs WHERE id = params.run);"
    "CREATE TRIGGER params_fill_experiment AFTER INSERT ON params"
    "  WHEN NEW.experiment_id IS NULL BEGIN"
    "  UPDATE params SET experiment_id = (SELECT experiment_id FROM runs WHERE id = NEW.run)"
    "    WHERE run = NEW.run AND key = NEW.key;"
    "END;"
    "DROP INDEX params_by_key_value;"
    "CREATE INDEX params_by_key_value ON params (key, value, experiment_id, run);"
    "ALTER TABLE tags ADD COLUMN experiment_id INTEGER;"
    "UPDATE tags SET experiment_id = (SELECT experiment_id FROM runs WHERE id = tags.run);"
    "CREATE TRIGGER tags_fill_experiment AFTER INSERT ON tags"
    "  WHEN NEW.experiment_id IS NULL BEGIN"
    "  UPDATE tags SET experiment_id = (SELECT experiment_id FROM runs WHERE id = NEW.run)"
    "    WHERE run = NEW.run AND key = NEW.key;"
    "END;"
    "DROP INDEX tags_by_key_value;"
    "CREATE INDEX tags_by_key_value ON tags (key, value, experiment_id, run);"
    "ALTER TABLE latest_metrics ADD COLUMN experiment_id INTEGER;"
    "UPDATE latest_metrics SET experiment_id ="
    "  (SELECT experiment_id FROM runs WHERE id = latest_metrics.run);"
    "CREATE TRIGGER latest_metrics_fill_experiment AFTER INSERT ON latest_metrics"
    "  WHEN NEW.experiment_id IS NULL BEGIN"
    "  UPDATE latest_metrics SET experiment_id ="
    "    (SELECT experiment_id FROM runs WHERE id = NEW.run)"
    "    WHERE run = NEW.run AND key = NEW.key;"
    "END;"
    "DROP INDEX latest_metrics_by_key_value;"
    "CREATE INDEX latest_metrics_by_key_value ON latest_metrics"
    "  (key, experiment_id, value, run);",
};

#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(*migrations)))

_Static_assert(NMIGRATIONS == SCHEMA_VERSION, "one migration per schema version");

static int exec(sqlite3 *db, const char *sql, struct ferr *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        ferr_set(err, FERR_INTERNAL_ERROR, "schema migration failed: %s",
                 msg ? msg : sqlite3_errmsg(db));
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int read_version(sqlite3 *db, int *out, struct ferr *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot read schema version: %s",
                        sqlite3_errmsg(db));
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : 0;
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW)
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot read schema version");
    return 0;
}

int schema_migrate(sqlite3 *db, int *from_out, struct ferr *err)
{
    int v;
    if (read_version(db, &v, err))
        return -1;
    if (from_out)
        *from_out = v;
    if (v > SCHEMA_VERSION)
        return ferr_set(err, FERR_INTERNAL_ERROR,
                        "database schema version %d is newer than this ferry (%d): upgrade ferry",
                        v, SCHEMA_VERSION);
    while (v < SCHEMA_VERSION) {
        char set[64];
        snprintf(set, sizeof(set), "PRAGMA user_version = %d", v + 1);
        /* IMMEDIATE: two processes opening a fresh file must not both migrate. */
        if (exec(db, "BEGIN IMMEDIATE", err))
            return -1;
        int now;
        if (read_version(db, &now, err))
            goto fail;
        if (now != v) { /* another process migrated meanwhile */
            if (exec(db, "COMMIT", err))
                return -1;
            v = now;
            continue;
        }
        if (exec(db, migrations[v], err) || exec(db, set, err))
            goto fail;
        if (exec(db, "COMMIT", err))
            goto fail;
        v++;
    }
    return 0;
fail:
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -1;
}
