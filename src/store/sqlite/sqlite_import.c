/* SPDX-License-Identifier: MIT
 * The import area in the SQLite backend (store/import.h): one transaction
 * on the writer connection, held from begin to commit or abort, with
 * write_mu taken so no other write of this process interleaves. Every
 * insert is "insert unless present" and reports which it was; the latest
 * value of each metric is derived from the history once per run, after its
 * points, as ferry's log path would have chosen it. */
#include "store/sqlite/sqlite_int.h"
#include "store/import.h"
#include "base/ftime.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

struct sq_import {
    struct store_import base; /* first: struct store_import * casts to this */
    struct sq *sq;
    struct sq_conn *c; /* the writer */
    int64_t run;       /* the current run's internal id; -1 before the first */
    int64_t run_experiment;
    size_t run_points; /* points written to the current run */
    int64_t model;     /* the current model's id; -1 before the first */
    char *model_name;
    int model_new;        /* the current model was written, not found */
    int64_t max_version;  /* the highest version number seen for it */
    int64_t versions_new; /* versions written for it */
    int64_t now;
};

static struct sq_import *tx_of(struct store_import *tx)
{
    return (struct sq_import *)tx;
}

/* Steps a statement that returns no row, then resets it. */
static int step_done(struct sq_conn *c, sqlite3_stmt *st, const char *what, struct ferr *err)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, what, err);
}

/* Steps a lookup: 1 with the row still current (the caller resets), 0
 * when there is none (reset), -1 on failure. */
static int step_row(struct sq_conn *c, sqlite3_stmt *st, const char *what, struct ferr *err)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, what, err);
}

static void bind_time(sqlite3_stmt *st, int i, int64_t t)
{
    if (t == TIME_NONE)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, t);
}

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* Runs an "insert unless present" statement whose values are bound. */
static int insert_outcome(struct sq_conn *c, sqlite3_stmt *st, enum import_outcome *out,
                          const char *what, struct ferr *err)
{
    if (step_done(c, st, what, err))
        return -1;
    *out = sqlite3_changes(c->db) ? IMPORT_WRITTEN : IMPORT_PRESENT;
    return 0;
}

/* ---------- the transaction ---------- */

int sq_import_begin(struct store *s, struct store_import **out, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    if (sq->group_commit)
        return ferr_set(err, FERR_INVALID_STATE,
                        "an import needs a store of its own, not a server's shared one");
    pthread_mutex_lock(&sq->write_mu);
    if (sq_exec(sq->writer, "BEGIN IMMEDIATE", err)) {
        pthread_mutex_unlock(&sq->write_mu);
        return -1;
    }
    struct sq_import *tx = xcalloc(1, sizeof(*tx));
    tx->base.s = s;
    tx->sq = sq;
    tx->c = sq->writer;
    tx->run = tx->model = -1;
    tx->now = ftime_now_ms();
    *out = &tx->base;
    return 0;
}

static void tx_free(struct sq_import *tx)
{
    pthread_mutex_unlock(&tx->sq->write_mu);
    free(tx->model_name);
    free(tx);
}

int sq_import_commit(struct store_import *t, struct ferr *err)
{
    struct sq_import *tx = tx_of(t);
    int rc = sq_exec(tx->c, "COMMIT", err);
    struct ferr ignored;
    if (rc && sq_exec(tx->c, "ROLLBACK", &ignored))
        log_error("rollback after a failed import commit: %s", ignored.msg);
    tx_free(tx);
    return rc;
}

void sq_import_abort(struct store_import *t)
{
    struct sq_import *tx = tx_of(t);
    struct ferr ignored;
    if (sq_exec(tx->c, "ROLLBACK", &ignored))
        log_error("rolling an import back: %s", ignored.msg);
    tx_free(tx);
}

/* ---------- experiments ---------- */

int sq_import_experiment(struct store_import *t, const struct import_experiment *e,
                         enum import_outcome *out, struct ferr *err)
{
    static const char by_id[] = "SELECT name FROM experiments WHERE experiment_id = ?";
    static const char by_name[] = "SELECT experiment_id FROM experiments WHERE name = ?";
    static const char ins[] =
        "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
        "creation_time, last_update_time) VALUES (?, ?, ?, ?, ?, ?)";
    struct sq_import *tx = tx_of(t);
    sqlite3_stmt *st = sq_prep(tx->c, by_id, err);
    int found;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, e->id);
    if ((found = step_row(tx->c, st, "reading an experiment", err)) < 0)
        return -1;
    if (found) {
        int same = !strcmp((const char *)sqlite3_column_text(st, 0), e->name);
        if (!same)
            ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS,
                     "experiment %" PRId64 " is '%.80s' here and '%.80s' in the source: "
                     "not merging different experiments",
                     e->id, (const char *)sqlite3_column_text(st, 0), e->name);
        sqlite3_reset(st);
        *out = IMPORT_PRESENT;
        return same ? 0 : -1;
    }
    if (!(st = sq_prep(tx->c, by_name, err)))
        return -1;
    sqlite3_bind_text(st, 1, e->name, -1, SQLITE_STATIC);
    if ((found = step_row(tx->c, st, "reading an experiment", err)) < 0)
        return -1;
    if (found) {
        int64_t other = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        return ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS,
                        "experiment name '%.100s' is taken here by experiment %" PRId64
                        " (the source's is %" PRId64 "): not merging different experiments",
                        e->name, other, e->id);
    }
    if (!(st = sq_prep(tx->c, ins, err)))
        return -1;
    int64_t created = e->creation_time == TIME_NONE ? tx->now : e->creation_time;
    sqlite3_bind_int64(st, 1, e->id);
    sqlite3_bind_text(st, 2, e->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, e->artifact_location, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, lifecycle_name(e->lifecycle), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, created);
    sqlite3_bind_int64(st, 6, e->last_update_time == TIME_NONE ? created : e->last_update_time);
    *out = IMPORT_WRITTEN;
    return step_done(tx->c, st, "importing an experiment", err);
}

int sq_import_experiment_tag(struct store_import *t, int64_t experiment_id, const char *key,
                             const char *value, enum import_outcome *out, struct ferr *err)
{
    static const char ins[] = "INSERT INTO experiment_tags (experiment_id, key, value) "
                              "VALUES (?, ?, ?) ON CONFLICT DO NOTHING";
    struct sq_import *tx = tx_of(t);
    sqlite3_stmt *st = sq_prep(tx->c, ins, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, experiment_id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
    return insert_outcome(tx->c, st, out, "importing an experiment tag", err);
}

/* ---------- runs ---------- */

int sq_import_run(struct store_import *t, const struct import_run *r, enum import_outcome *out,
                  struct ferr *err)
{
    static const char find[] = "SELECT id, experiment_id FROM runs WHERE run_uuid = ?";
    static const char ins[] =
        "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, end_time, "
        "artifact_uri, lifecycle_stage, deleted_time) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    struct sq_import *tx = tx_of(t);
    sqlite3_stmt *st = sq_prep(tx->c, find, err);
    int found;
    tx->run = -1;
    tx->run_points = 0;
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, r->run_id, -1, SQLITE_STATIC);
    if ((found = step_row(tx->c, st, "reading a run", err)) < 0)
        return -1;
    if (found) {
        int64_t id = sqlite3_column_int64(st, 0), eid = sqlite3_column_int64(st, 1);
        sqlite3_reset(st);
        if (eid != r->experiment_id)
            return ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS,
                            "run %s is in experiment %" PRId64 " here and in %" PRId64
                            " in the source: not merging different runs",
                            r->run_id, eid, r->experiment_id);
        tx->run = id;
        tx->run_experiment = eid;
        *out = IMPORT_PRESENT;
        return 0;
    }
    if (!(st = sq_prep(tx->c, ins, err)))
        return -1;
    int64_t deleted = r->lifecycle != LIFECYCLE_DELETED ? TIME_NONE
                      : r->deleted_time == TIME_NONE    ? tx->now
                                                        : r->deleted_time;
    sqlite3_bind_text(st, 1, r->run_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->name ? r->name : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, r->experiment_id);
    sqlite3_bind_text(st, 4, r->user ? r->user : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, run_status_name(r->status), -1, SQLITE_STATIC);
    bind_time(st, 6, r->start_time);
    bind_time(st, 7, r->end_time);
    sqlite3_bind_text(st, 8, r->artifact_uri, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, lifecycle_name(r->lifecycle), -1, SQLITE_STATIC);
    bind_time(st, 10, deleted);
    if (step_done(tx->c, st, "importing a run", err))
        return -1;
    tx->run = sqlite3_last_insert_rowid(tx->c->db);
    tx->run_experiment = r->experiment_id;
    *out = IMPORT_WRITTEN;
    return 0;
}

static int need_run(struct sq_import *tx, struct ferr *err)
{
    return tx->run < 0 ? ferr_set(err, FERR_INTERNAL_ERROR, "import: no current run") : 0;
}

int sq_import_param(struct store_import *t, const char *key, const char *value,
                    enum import_outcome *out, struct ferr *err)
{
    static const char ins[] = "INSERT INTO params (run, key, value) VALUES (?, ?, ?) "
                              "ON CONFLICT (run, key) DO NOTHING";
    static const char get[] = "SELECT value FROM params WHERE run = ? AND key = ?";
    struct sq_import *tx = tx_of(t);
    sqlite3_stmt *st;
    if (need_run(tx, err) || !(st = sq_prep(tx->c, ins, err)))
        return -1;
    sqlite3_bind_int64(st, 1, tx->run);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
    if (insert_outcome(tx->c, st, out, "importing a param", err))
        return -1;
    if (*out == IMPORT_WRITTEN)
        return 0;
    /* Params never change: one held with another value is a conflict. */
    if (!(st = sq_prep(tx->c, get, err)))
        return -1;
    sqlite3_bind_int64(st, 1, tx->run);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    if (step_row(tx->c, st, "reading a param", err) != 1)
        return -1;
    int same = !strcmp((const char *)sqlite3_column_text(st, 0), value);
    if (!same)
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "param '%.100s' of a run is '%.40s' here and '%.40s' in the source", key,
                 (const char *)sqlite3_column_text(st, 0), value);
    sqlite3_reset(st);
    return same ? 0 : -1;
}

int sq_import_tag(struct store_import *t, const char *key, const char *value,
                  enum import_outcome *out, struct ferr *err)
{
    static const char ins[] = "INSERT INTO tags (run, key, value) VALUES (?, ?, ?) "
                              "ON CONFLICT (run, key) DO NOTHING";
    struct sq_import *tx = tx_of(t);
    sqlite3_stmt *st;
    if (need_run(tx, err) || !(st = sq_prep(tx->c, ins, err)))
        return -1;
    sqlite3_bind_int64(st, 1, tx->run);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
    return insert_outcome(tx->c, st, out, "importing a tag", err);
}

/* Points per INSERT statement: one statement step for many rows is most of
 * what makes a history import fast (the B-tree work is the same). */
#define POINTS_PER_INSERT 32
#define POINT_ROW         "(?, ?, ?, ?, ?, ?)"
#define POINT_ROWS4       POINT_ROW ", " POINT_ROW ", " POINT_ROW ", " POINT_ROW
#define POINT_ROWS16      POINT_ROWS4 ", " POINT_ROWS4 ", " POINT_ROWS4 ", " POINT_ROWS4

/* Binds v[0..n) from parameter 1 on, six per point: run, key, step,
 * timestamp, value, is_nan (NaN is kept as 0 with is_nan set, as the schema
 * stores it). */
static void bind_points(sqlite3_stmt *st, int64_t run, const struct import_point *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int b = (int)i * 6, nan = isnan(v[i].value);
        sqlite3_bind_int64(st, b + 1, run);
        sqlite3_bind_text(st, b + 2, v[i].key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, b + 3, v[i].step);
        sqlite3_bind_int64(st, b + 4, v[i].timestamp);
        sqlite3_bind_double(st, b + 5, nan ? 0.0 : v[i].value);
        sqlite3_bind_int(st, b + 6, nan);
    }
}

int sq_import_points(struct store_import *t, const struct import_point *v, size_t n,
                     size_t *written, struct ferr *err)
{
    static const char many[] = "INSERT INTO metrics (run, key, step, timestamp, value, is_nan) "
                               "VALUES " POINT_ROWS16 ", " POINT_ROWS16 " ON CONFLICT DO NOTHING";
    static const char one[] = "INSERT INTO metrics (run, key, step, timestamp, value, is_nan) "
                              "VALUES " POINT_ROW " ON CONFLICT DO NOTHING";
    struct sq_import *tx = tx_of(t);
    if (need_run(tx, err))
        return -1;
    for (size_t i = 0; i < n;) {
        size_t k = n - i >= POINTS_PER_INSERT ? POINTS_PER_INSERT : 1;
        sqlite3_stmt *st = sq_prep(tx->c, k == 1 ? one : many, err);
        if (!st)
            return -1;
        bind_points(st, tx->run, v + i, k);
        if (step_done(tx->c, st, "importing metrics", err))
            return -1;
        *written += (size_t)sqlite3_changes(tx->c->db);
        i += k;
    }
    tx->run_points += *written;
    return 0;
}

/* The dataset's row in the run's experiment, written when missing. */
static int dataset_id(struct sq_import *tx, const struct dataset *d, int64_t *id, struct ferr *err)
{
    static const char ins[] =
        "INSERT INTO datasets (experiment_id, name, digest, source_type, source, schema, "
        "profile) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (experiment_id, name, digest) "
        "DO NOTHING";
    static const char get[] =
        "SELECT id FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?";
    sqlite3_stmt *st = sq_prep(tx->c, ins, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, tx->run_experiment);
    sqlite3_bind_text(st, 2, d->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->digest, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, d->source_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, d->source, -1, SQLITE_STATIC);
    bind_text_or_null(st, 6, d->schema);
    bind_text_or_null(st, 7, d->profile);
    if (step_done(tx->c, st, "importing a dataset", err) || !(st = sq_prep(tx->c, get, err)))
        return -1;
    sqlite3_bind_int64(st, 1, tx->run_experiment);
    sqlite3_bind_text(st, 2, d->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->digest, -1, SQLITE_STATIC);
    if (step_row(tx->c, st, "reading a dataset", err) != 1)
        return -1;
    *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

int sq_import_input(struct store_import *t, const struct dataset_input *in,
                    enum import_outcome *out, struct ferr *err)
{
    static const char link[] = "INSERT INTO run_inputs (run, dataset, position) VALUES "
                               "(?1, ?2, (SELECT count(*) FROM run_inputs WHERE run = ?1)) "
                               "ON CONFLICT DO NOTHING";
    static const char tag[] = "INSERT INTO input_tags (run, dataset, key, value) VALUES "
                              "(?, ?, ?, ?) ON CONFLICT DO NOTHING";
    struct sq_import *tx = tx_of(t);
    int64_t ds;
    sqlite3_stmt *st;
    if (need_run(tx, err) || dataset_id(tx, &in->dataset, &ds, err) ||
        !(st = sq_prep(tx->c, link, err)))
        return -1;
    sqlite3_bind_int64(st, 1, tx->run);
    sqlite3_bind_int64(st, 2, ds);
    if (insert_outcome(tx->c, st, out, "importing a dataset input", err))
        return -1;
    if (*out == IMPORT_PRESENT) /* the input's tags came with it */
        return 0;
    for (size_t i = 0; i < in->tags.n; i++) {
        if (!(st = sq_prep(tx->c, tag, err)))
            return -1;
        sqlite3_bind_int64(st, 1, tx->run);
        sqlite3_bind_int64(st, 2, ds);
        sqlite3_bind_text(st, 3, in->tags.v[i].key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, in->tags.v[i].value, -1, SQLITE_STATIC);
        if (step_done(tx->c, st, "importing an input tag", err))
            return -1;
    }
    return 0;
}

int sq_import_run_done(struct store_import *t, struct ferr *err)
{
    /* The greatest (step, timestamp, value) per key, as put_latest keeps it.
     * The outer WHERE lets SQLite tell the upsert from the SELECT. */
    static const char latest[] =
        "INSERT INTO latest_metrics (run, key, value, is_nan, timestamp, step) "
        "SELECT run, key, value, is_nan, timestamp, step FROM ("
        "  SELECT run, key, value, is_nan, timestamp, step, row_number() OVER ("
        "    PARTITION BY key ORDER BY step DESC, timestamp DESC, value DESC) AS rn "
        "  FROM metrics WHERE run = ?) WHERE rn = 1 "
        "ON CONFLICT (run, key) DO UPDATE SET value = excluded.value, is_nan = excluded.is_nan, "
        "timestamp = excluded.timestamp, step = excluded.step "
        "WHERE (excluded.step, excluded.timestamp, excluded.value) > "
        "(latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)";
    struct sq_import *tx = tx_of(t);
    sqlite3_stmt *st;
    if (need_run(tx, err))
        return -1;
    if (!tx->run_points) /* nothing new: the latest values stand */
        return 0;
    if (!(st = sq_prep(tx->c, latest, err)))
        return -1;
    sqlite3_bind_int64(st, 1, tx->run);
    return step_done(tx->c, st, "deriving latest metrics", err);
}

/* ---------- the registry ---------- */

int sq_import_model(struct store_import *t, const struct import_model *m, enum import_outcome *out,
                    struct ferr *err)
{
    static const char find[] = "SELECT id FROM registered_models WHERE name = ?";
    static const char ins[] = "INSERT INTO registered_models (name, description, creation_time, "
                              "last_updated_time) VALUES (?, ?, ?, ?)";
    struct sq_import *tx = tx_of(t);
    sqlite3_stmt *st = sq_prep(tx->c, find, err);
    int found;
    tx->model = -1;
    tx->max_version = tx->versions_new = 0;
    free(tx->model_name);
    tx->model_name = xstrdup(m->name);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, m->name, -1, SQLITE_STATIC);
    if ((found = step_row(tx->c, st, "reading a registered model", err)) < 0)
        return -1;
    if (found) {
        tx->model = sqlite3_column_int64(st, 0);
        sqlite3_reset(st);
        tx->model_new = 0;
        *out = IMPORT_PRESENT;
        return 0;
    }
    if (!(st = sq_prep(tx->c, ins, err)))
        return -1;
    sqlite3_bind_text(st, 1, m->name, -1, SQLITE_STATIC);
    bind_text_or_null(st, 2, m->description);
    sqlite3_bind_int64(st, 3, m->creation_time == TIME_NONE ? tx->now : m->creation_time);
    sqlite3_bind_int64(st, 4,
                       m->last_updated_time != TIME_NONE ? m->last_updated_time
                       : m->creation_time != TIME_NONE   ? m->creation_time
                                                         : tx->now);
    if (step_done(tx->c, st, "importing a registered model", err))
        return -1;
    tx->model = sqlite3_last_insert_rowid(tx->c->db);
    tx->model_new = 1;
    *out = IMPORT_WRITTEN;
    return 0;
}

static int need_model(struct sq_import *tx, struct ferr *err)
{
    return tx->model < 0 ? ferr_set(err, FERR_INTERNAL_ERROR, "import: no current model") : 0;
}

int sq_import_model_tag(struct store_import *t, const char *key, const char *value,
                        enum import_outcome *out, struct ferr *err)
{
    static const char ins[] = "INSERT INTO registered_model_tags (model, key, value) "
                              "VALUES (?, ?, ?) ON CONFLICT DO NOTHING";
    struct sq_import *tx = tx_of(t);
    sqlite3_stmt *st;
    if (need_model(tx, err) || !(st = sq_prep(tx->c, ins, err)))
        return -1;
    sqlite3_bind_int64(st, 1, tx->model);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
    return insert_outcome(tx->c, st, out, "importing a model tag", err);
}

int sq_import_version(struct store_import *t, const struct import_version *v,
                      enum import_outcome *out, struct ferr *err)
{
    static const char ins[] =
        "INSERT INTO model_versions (model, version, creation_time, last_updated_time, "
        "description, user_id, current_stage, source, run_id, run_link, status, status_message, "
        "storage_location) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
    struct sq_import *tx = tx_of(t);
    sqlite3_stmt *st;
    if (need_model(tx, err) || !(st = sq_prep(tx->c, ins, err)))
        return -1;
    int64_t created = v->creation_time == TIME_NONE ? tx->now : v->creation_time;
    sqlite3_bind_int64(st, 1, tx->model);
    sqlite3_bind_int64(st, 2, v->version);
    sqlite3_bind_int64(st, 3, created);
    sqlite3_bind_int64(st, 4, v->last_updated_time == TIME_NONE ? created : v->last_updated_time);
    bind_text_or_null(st, 5, v->description);
    sqlite3_bind_text(st, 6, v->user_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, v->stage, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, v->source, -1, SQLITE_STATIC);
    bind_text_or_null(st, 9, v->run_id && *v->run_id ? v->run_id : NULL);
    bind_text_or_null(st, 10, v->run_link && *v->run_link ? v->run_link : NULL);
    sqlite3_bind_text(st, 11, v->status, -1, SQLITE_STATIC);
    bind_text_or_null(st, 12, v->status_message);
    bind_text_or_null(st, 13,
                      v->storage_location && *v->storage_location ? v->storage_location : NULL);
    if (insert_outcome(tx->c, st, out, "importing a model version", err))
        return -1;
    if (v->version > tx->max_version)
        tx->max_version = v->version;
    tx->versions_new += *out == IMPORT_WRITTEN;
    return 0;
}

int sq_import_version_tag(struct store_import *t, int64_t version, const char *key,
                          const char *value, enum import_outcome *out, struct ferr *err)
{
    static const char ins[] = "INSERT INTO model_version_tags (model, version, key, value) "
                              "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING";
    struct sq_import *tx = tx_of(t);
    sqlite3_stmt *st;
    if (need_model(tx, err) || !(st = sq_prep(tx->c, ins, err)))
        return -1;
    sqlite3_bind_int64(st, 1, tx->model);
    sqlite3_bind_int64(st, 2, version);
    sqlite3_bind_text(st, 3, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, value, -1, SQLITE_STATIC);
    return insert_outcome(tx->c, st, out, "importing a model version tag", err);
}

int sq_import_alias(struct store_import *t, const char *alias, int64_t version,
                    enum import_outcome *out, struct ferr *err)
{
    static const char ins[] = "INSERT INTO registered_model_aliases (model, alias, version) "
                              "VALUES (?, ?, ?) ON CONFLICT DO NOTHING";
    struct sq_import *tx = tx_of(t);
    sqlite3_stmt *st;
    if (need_model(tx, err) || !(st = sq_prep(tx->c, ins, err)))
        return -1;
    sqlite3_bind_int64(st, 1, tx->model);
    sqlite3_bind_text(st, 2, alias, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, version);
    return insert_outcome(tx->c, st, out, "importing an alias", err);
}

int sq_import_model_done(struct store_import *t, int64_t highest, struct ferr *err)
{
    /* Numbers are never reused: new versions continue after the imported. */
    static const char next[] = "UPDATE registered_models SET next_version = ?1 + 1 "
                               "WHERE id = ?2 AND next_version <= ?1";
    static const char audit[] = "INSERT INTO registry_events (model_name, version, action, "
                                "detail, user_id, time) VALUES (?, NULL, 'import', ?, '', ?)";
    struct sq_import *tx = tx_of(t);
    sqlite3_stmt *st;
    if (need_model(tx, err))
        return -1;
    if (highest > tx->max_version)
        tx->max_version = highest;
    if (tx->max_version) {
        if (!(st = sq_prep(tx->c, next, err)))
            return -1;
        sqlite3_bind_int64(st, 1, tx->max_version);
        sqlite3_bind_int64(st, 2, tx->model);
        if (step_done(tx->c, st, "numbering model versions", err))
            return -1;
    }
    if (!tx->model_new && !tx->versions_new)
        return 0;
    char detail[96];
    snprintf(detail, sizeof(detail), "%s%" PRId64 " version%s", tx->model_new ? "model and " : "",
             tx->versions_new, tx->versions_new == 1 ? "" : "s");
    if (!(st = sq_prep(tx->c, audit, err)))
        return -1;
    sqlite3_bind_text(st, 1, tx->model_name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, detail, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 3, tx->now);
    return step_done(tx->c, st, "recording an audit event", err);
}

/* ---------- reading back ---------- */

static int count_by(struct sq_conn *c, const char *sql, int64_t id, int64_t *out, struct ferr *err)
{
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    if (step_row(c, st, "counting imported rows", err) != 1)
        return -1;
    *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

static int id_by_text(struct sq_conn *c, const char *sql, const char *key, const char *what,
                      int64_t *id, struct ferr *err)
{
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int found;
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    if ((found = step_row(c, st, "reading back", err)) < 0)
        return -1;
    if (!found)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "%s '%.200s' is not in the store", what,
                        key);
    *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

int sq_import_count_run(struct store_import *t, const char *run_id, struct import_counts *out,
                        struct ferr *err)
{
    static const char find[] = "SELECT id FROM runs WHERE run_uuid = ?";
    static const char params[] = "SELECT count(*) FROM params WHERE run = ?";
    static const char tags[] = "SELECT count(*) FROM tags WHERE run = ?";
    static const char points[] = "SELECT count(*) FROM metrics WHERE run = ?";
    static const char inputs[] = "SELECT count(*) FROM run_inputs WHERE run = ?";
    struct sq_conn *c = tx_of(t)->c;
    int64_t id;
    if (id_by_text(c, find, run_id, "run", &id, err) ||
        count_by(c, params, id, &out->params, err) || count_by(c, tags, id, &out->tags, err) ||
        count_by(c, points, id, &out->points, err) || count_by(c, inputs, id, &out->inputs, err))
        return -1;
    return 0;
}

int sq_import_count_model(struct store_import *t, const char *name, struct import_counts *out,
                          struct ferr *err)
{
    static const char find[] = "SELECT id FROM registered_models WHERE name = ?";
    static const char tags[] = "SELECT count(*) FROM registered_model_tags WHERE model = ?";
    static const char versions[] = "SELECT count(*) FROM model_versions WHERE model = ?";
    static const char vtags[] = "SELECT count(*) FROM model_version_tags WHERE model = ?";
    static const char aliases[] = "SELECT count(*) FROM registered_model_aliases WHERE model = ?";
    struct sq_conn *c = tx_of(t)->c;
    int64_t id;
    if (id_by_text(c, find, name, "registered model", &id, err) ||
        count_by(c, tags, id, &out->model_tags, err) ||
        count_by(c, versions, id, &out->versions, err) ||
        count_by(c, vtags, id, &out->version_tags, err) ||
        count_by(c, aliases, id, &out->aliases, err))
        return -1;
    return 0;
}

int sq_import_count_experiment_tags(struct store_import *t, int64_t experiment_id, int64_t *out,
                                    struct ferr *err)
{
    static const char sql[] = "SELECT count(*) FROM experiment_tags WHERE experiment_id = ?";
    return count_by(tx_of(t)->c, sql, experiment_id, out, err);
}
