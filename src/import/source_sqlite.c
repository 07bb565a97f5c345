/* SPDX-License-Identifier: MIT
 * Reading an MLflow SQLite database (mlflow/store/tracking/dbmodels and
 * model_registry/dbmodels): opened read-only, its alembic revision checked
 * against the chain ferry knows (import/revisions.h), then the columns and
 * tables that appeared across MLflow releases looked up once, so each
 * query asks only for what this revision has. Queries are prepared once and
 * stepped row by row: no table is read into memory.
 *
 * What is not read, and why: latest_metrics (derived again from the
 * history), runs' source_* and entry_point columns (MLflow keeps them as
 * tags too), inputs.step (ferry has no place for it yet), and whole areas ferry lacks (traces,
 * logged models, evaluation datasets, webhooks, scorers, jobs), which are counted as skipped. */
#include "import/source.h"
#include "import/revisions.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

enum query {
    Q_EXPERIMENTS,
    Q_EXPERIMENT_TAGS,
    Q_RUNS,
    Q_PARAMS,
    Q_TAGS,
    Q_POINTS,
    Q_INPUTS,
    Q_INPUT_TAGS,
    Q_MODELS,
    Q_MODEL_TAGS,
    Q_VERSIONS,
    Q_VERSION_TAGS,
    Q_ALIASES,
    Q__COUNT
};

struct src_sq {
    struct source base;
    sqlite3 *db;
    char *sql[Q__COUNT];           /* NULL: this revision has no such table */
    sqlite3_stmt *stmts[Q__COUNT]; /* prepared on first use */
};

/* Points handed over per callback: a batch never spans two keys. */
#define POINT_BATCH 1024

static struct src_sq *sq_of(struct source *src)
{
    return (struct src_sq *)src;
}

static int read_fail(struct src_sq *s, const char *what, struct ferr *err)
{
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "cannot read %s from '%.150s': %s", what,
                    s->base.path, sqlite3_errmsg(s->db));
}

static const char *col(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return t ? (const char *)t : "";
}

static const char *col_or_null(sqlite3_stmt *st, int i)
{
    return (const char *)sqlite3_column_text(st, i);
}

static int64_t col_time(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? TIME_NONE : sqlite3_column_int64(st, i);
}

/* The statement for q, reset with its bindings cleared; NULL (err set) on
 * failure, NULL with err untouched when the table does not exist here. */
static sqlite3_stmt *stmt(struct src_sq *s, enum query q, struct ferr *err)
{
    if (!s->sql[q])
        return NULL;
    if (!s->stmts[q] && sqlite3_prepare_v2(s->db, s->sql[q], -1, &s->stmts[q], NULL) != SQLITE_OK) {
        read_fail(s, "the schema", err);
        return NULL;
    }
    sqlite3_reset(s->stmts[q]);
    sqlite3_clear_bindings(s->stmts[q]);
    return s->stmts[q];
}

/* Steps st to its end, handing each row to row(); -1 when row() fails or
 * the database cannot be read. */
static int each_row(struct src_sq *s, sqlite3_stmt *st, const char *what,
                    int (*row)(struct src_sq *s, sqlite3_stmt *st, void *ctx, struct ferr *err),
                    void *ctx, struct ferr *err)
{
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        if (row(s, st, ctx, err)) {
            sqlite3_reset(st);
            return -1;
        }
    if (rc != SQLITE_DONE) {
        read_fail(s, what, err);
        sqlite3_reset(st);
        return -1;
    }
    sqlite3_reset(st);
    return 0;
}

/* ---------- what the schema has ---------- */

static int has_table(struct src_sq *s, const char *table, int *out, struct ferr *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                           -1, &st, NULL) != SQLITE_OK)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "'%.150s' is not an MLflow store: %s",
                        s->base.path, sqlite3_errmsg(s->db));
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "'%.150s' is not an MLflow store: %s",
                        s->base.path, sqlite3_errmsg(s->db));
    *out = rc == SQLITE_ROW;
    return 0;
}

static int has_column(struct src_sq *s, const char *table, const char *column, int *out,
                      struct ferr *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?", -1, &st,
                           NULL) != SQLITE_OK)
        return read_fail(s, "the schema", err);
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return read_fail(s, "the schema", err);
    *out = rc == SQLITE_ROW;
    return 0;
}

static int count_rows(struct src_sq *s, const char *sql, int64_t *out, struct ferr *err)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
        return read_fail(s, "a count", err);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : read_fail(s, "a count", err);
}

/* The alembic revision, which must be one ferry knows. */
static int check_revision(struct src_sq *s, struct ferr *err)
{
    int present;
    sqlite3_stmt *st;
    if (has_table(s, "alembic_version", &present, err))
        return -1;
    if (!present)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "'%.150s' is not an MLflow tracking database (no alembic_version table)",
                        s->base.path);
    if (sqlite3_prepare_v2(s->db, "SELECT version_num FROM alembic_version", -1, &st, NULL) !=
        SQLITE_OK)
        return read_fail(s, "the alembic revision", err);
    int rc = sqlite3_step(st);
    char *rev = rc == SQLITE_ROW ? xstrdup(col(st, 0)) : NULL;
    sqlite3_finalize(st);
    if (!rev)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "'%.150s' has no alembic revision: not an initialised MLflow database",
                        s->base.path);
    if (revisions_index(rev) < 0) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "'%.120s' is at alembic revision '%.40s', which this ferry does not know "
                 "(it reads MLflow's schema up to %s): import from the MLflow release that wrote "
                 "it needs a newer ferry",
                 s->base.path, rev, revisions_latest());
        free(rev);
        return -1;
    }
    struct sbuf d = SBUF_INIT;
    sbuf_addf(&d, "alembic revision %s", rev);
    s->base.description = sbuf_detach(&d, NULL);
    free(rev);
    return 0;
}

/* ferry has no workspaces: a database that uses them is refused. */
static int check_workspaces(struct src_sq *s, struct ferr *err)
{
    int ws;
    int64_t n = 0, m = 0;
    if (has_column(s, "experiments", "workspace", &ws, err))
        return -1;
    if (!ws)
        return 0;
    if (count_rows(s, "SELECT count(*) FROM experiments WHERE workspace != 'default'", &n, err) ||
        count_rows(s, "SELECT count(*) FROM registered_models WHERE workspace != 'default'", &m,
                   err))
        return -1;
    if (n || m)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "'%.150s' uses MLflow workspaces (%lld experiments and %lld models "
                        "outside 'default'): ferry has no workspaces to keep them apart",
                        s->base.path, (long long)n, (long long)m);
    return 0;
}

/* dst = the formatted text, a new string (the format stays a literal). */
#define SQLF(dst, ...)                                                                             \
    do {                                                                                           \
        struct sbuf sqlf_ = SBUF_INIT;                                                             \
        sbuf_addf(&sqlf_, __VA_ARGS__);                                                            \
        (dst) = sbuf_detach(&sqlf_, NULL);                                                         \
    } while (0)

/* One query per record kind, written for the columns this revision has. */
static int build_queries(struct src_sq *s, struct ferr *err)
{
    int ctime, deleted, nan, exp_tags, datasets, step, registry, mtags, vtags, aliases, link,
        storage;
    if (has_column(s, "experiments", "creation_time", &ctime, err) ||
        has_column(s, "runs", "deleted_time", &deleted, err) ||
        has_column(s, "metrics", "is_nan", &nan, err) ||
        has_table(s, "experiment_tags", &exp_tags, err) ||
        has_table(s, "datasets", &datasets, err) || has_column(s, "inputs", "step", &step, err) ||
        has_table(s, "registered_models", &registry, err) ||
        has_table(s, "registered_model_tags", &mtags, err) ||
        has_table(s, "model_version_tags", &vtags, err) ||
        has_table(s, "registered_model_aliases", &aliases, err) ||
        has_column(s, "model_versions", "run_link", &link, err) ||
        has_column(s, "model_versions", "storage_location", &storage, err))
        return -1;
    SQLF(s->sql[Q_EXPERIMENTS],
         "SELECT experiment_id, name, artifact_location, lifecycle_stage, %s, %s "
         "FROM experiments ORDER BY experiment_id",
         ctime ? "creation_time" : "NULL", ctime ? "last_update_time" : "NULL");
    if (exp_tags)
        s->sql[Q_EXPERIMENT_TAGS] =
            xstrdup("SELECT key, value FROM experiment_tags WHERE experiment_id = ? ORDER BY key");
    SQLF(s->sql[Q_RUNS],
         "SELECT run_uuid, name, user_id, status, start_time, end_time, %s, "
         "artifact_uri, lifecycle_stage FROM runs WHERE experiment_id = ? "
         "ORDER BY start_time, run_uuid",
         deleted ? "deleted_time" : "NULL");
    s->sql[Q_PARAMS] = xstrdup("SELECT key, value FROM params WHERE run_uuid = ? ORDER BY key");
    s->sql[Q_TAGS] = xstrdup("SELECT key, value FROM tags WHERE run_uuid = ? ORDER BY key");
    SQLF(s->sql[Q_POINTS],
         "SELECT key, value, timestamp, step, %s FROM metrics "
         "WHERE run_uuid = ? ORDER BY key, step, timestamp, value%s",
         nan ? "is_nan" : "0", nan ? ", is_nan" : "");
    if (datasets) {
        SQLF(s->sql[Q_INPUTS],
             "SELECT i.input_uuid, d.name, d.digest, d.dataset_source_type, d.dataset_source, "
             "d.dataset_schema, d.dataset_profile FROM inputs i "
             "JOIN datasets d ON d.dataset_uuid = i.source_id "
             "WHERE i.destination_id = ? AND i.destination_type = 'RUN' "
             "AND i.source_type = 'DATASET' ORDER BY %si.input_uuid",
             step ? "i.step, " : "");
        s->sql[Q_INPUT_TAGS] =
            xstrdup("SELECT name, value FROM input_tags WHERE input_uuid = ? ORDER BY name");
    }
    if (registry) {
        s->sql[Q_MODELS] = xstrdup("SELECT name, description, creation_time, last_updated_time "
                                   "FROM registered_models ORDER BY name");
        SQLF(s->sql[Q_VERSIONS],
             "SELECT version, creation_time, last_updated_time, description, user_id, "
             "current_stage, source, run_id, %s, status, status_message, %s "
             "FROM model_versions WHERE name = ? ORDER BY version",
             link ? "run_link" : "NULL", storage ? "storage_location" : "NULL");
    }
    if (mtags)
        s->sql[Q_MODEL_TAGS] =
            xstrdup("SELECT key, value FROM registered_model_tags WHERE name = ? ORDER BY key");
    if (vtags)
        s->sql[Q_VERSION_TAGS] = xstrdup("SELECT key, value FROM model_version_tags "
                                         "WHERE name = ? AND version = ? ORDER BY key");
    if (aliases)
        s->sql[Q_ALIASES] = xstrdup(
            "SELECT alias, version FROM registered_model_aliases WHERE name = ? ORDER BY alias");
    return 0;
}

/* What ferry leaves behind, counted so the report can say so. */
static int count_skips(struct src_sq *s, struct ferr *err)
{
    static const struct {
        const char *table, *what, *why;
    } areas[] = {
        {"logged_models", "logged models", "ferry has no logged models yet"},
        {"trace_info", "traces", "ferry has no traces yet"},
        {"evaluation_datasets", "evaluation datasets", "ferry has no evaluation datasets"},
        {"webhooks", "webhooks", "ferry has no webhooks"},
        {"scorers", "scorers", "ferry has no scorers"},
        {"jobs", "jobs", "ferry has no jobs"},
    };
    int present;
    int64_t n;
    for (size_t i = 0; i < sizeof(areas) / sizeof(*areas); i++) {
        char sql[96];
        if (has_table(s, areas[i].table, &present, err))
            return -1;
        if (!present)
            continue;
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", areas[i].table);
        if (count_rows(s, sql, &n, err))
            return -1;
        source_skip(&s->base, areas[i].what, areas[i].why, n);
    }
    /* Runs whose experiment row is gone: no experiment leads to them. */
    if (count_rows(s,
                   "SELECT count(*) FROM runs WHERE experiment_id IS NULL OR experiment_id NOT IN "
                   "(SELECT experiment_id FROM experiments)",
                   &n, err))
        return -1;
    source_skip(&s->base, "runs without an experiment", "their experiment row is gone", n);
    if (!s->sql[Q_INPUTS])
        return 0;
    /* Inputs that are no run's dataset (3.x links logged models this way),
     * or whose dataset is gone. */
    if (count_rows(s,
                   "SELECT count(*) FROM inputs i WHERE NOT (i.destination_type = 'RUN' AND "
                   "i.source_type = 'DATASET' AND EXISTS (SELECT 1 FROM datasets d "
                   "WHERE d.dataset_uuid = i.source_id))",
                   &n, err))
        return -1;
    s->base.skipped_inputs = n;
    return 0;
}

/* ---------- the records ---------- */

/* The callback of a walk, whichever kind it is. */
union walk_fn {
    source_experiment_fn experiment;
    source_run_fn run;
    source_kv_fn kv;
    source_input_fn input;
    source_model_fn model;
    source_version_fn version;
    source_alias_fn alias;
};

struct walk {
    union walk_fn fn;
    void *arg;
    const void *parent;
};

static int experiment_row(struct src_sq *s, sqlite3_stmt *st, void *ctx, struct ferr *err)
{
    struct walk *w = ctx;
    struct import_experiment e = {
        .id = sqlite3_column_int64(st, 0),
        .name = col(st, 1),
        .artifact_location = col(st, 2),
        .creation_time = col_time(st, 4),
        .last_update_time = col_time(st, 5),
    };
    if (lifecycle_parse(*col(st, 3) ? col(st, 3) : "active", &e.lifecycle))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "experiment %lld in '%.150s' has an unknown lifecycle stage '%.40s'",
                        (long long)e.id, s->base.path, col(st, 3));
    return w->fn.experiment(w->arg, &e, err);
}

static int sq_experiments(struct source *src, source_experiment_fn fn, void *arg, struct ferr *err)
{
    struct src_sq *s = sq_of(src);
    struct walk w = {{.experiment = fn}, arg, NULL};
    sqlite3_stmt *st = stmt(s, Q_EXPERIMENTS, err);
    return st ? each_row(s, st, "experiments", experiment_row, &w, err) : -1;
}

static int kv_row(struct src_sq *s, sqlite3_stmt *st, void *ctx, struct ferr *err)
{
    (void)s;
    struct walk *w = ctx;
    return w->fn.kv(w->arg, col(st, 0), col(st, 1), err);
}

/* Key/value rows of q for one id, bound as text or integer. */
static int kv_rows(struct src_sq *s, enum query q, const char *text, int64_t id, source_kv_fn fn,
                   void *arg, const char *what, struct ferr *err)
{
    struct walk w = {{.kv = fn}, arg, NULL};
    sqlite3_stmt *st = stmt(s, q, err);
    if (!st)
        return s->sql[q] ? -1 : 0; /* no such table: nothing to read */
    if (text)
        sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
    else
        sqlite3_bind_int64(st, 1, id);
    return each_row(s, st, what, kv_row, &w, err);
}

static int sq_experiment_tags(struct source *src, const struct import_experiment *e,
                              source_kv_fn fn, void *arg, struct ferr *err)
{
    return kv_rows(sq_of(src), Q_EXPERIMENT_TAGS, NULL, e->id, fn, arg, "experiment tags", err);
}

static int run_row(struct src_sq *s, sqlite3_stmt *st, void *ctx, struct ferr *err)
{
    struct walk *w = ctx;
    const struct import_experiment *e = w->parent;
    struct import_run r = {
        .run_id = col(st, 0),
        .experiment_id = e->id,
        .name = col(st, 1),
        .user = col(st, 2),
        .start_time = col_time(st, 4),
        .end_time = col_time(st, 5),
        .deleted_time = col_time(st, 6),
        .artifact_uri = col(st, 7),
    };
    if (run_status_parse(col(st, 3), &r.status))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "run %.40s in '%.150s' has an unknown status '%.40s'", r.run_id,
                        s->base.path, col(st, 3));
    if (lifecycle_parse(*col(st, 8) ? col(st, 8) : "active", &r.lifecycle))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "run %.40s in '%.150s' has an unknown lifecycle stage '%.40s'", r.run_id,
                        s->base.path, col(st, 8));
    return w->fn.run(w->arg, &r, err);
}

static int sq_runs(struct source *src, const struct import_experiment *e, source_run_fn fn,
                   void *arg, struct ferr *err)
{
    struct src_sq *s = sq_of(src);
    struct walk w = {{.run = fn}, arg, e};
    sqlite3_stmt *st = stmt(s, Q_RUNS, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, e->id);
    return each_row(s, st, "runs", run_row, &w, err);
}

static int sq_params(struct source *src, const struct import_run *r, source_kv_fn fn, void *arg,
                     struct ferr *err)
{
    return kv_rows(sq_of(src), Q_PARAMS, r->run_id, 0, fn, arg, "params", err);
}

static int sq_tags(struct source *src, const struct import_run *r, source_kv_fn fn, void *arg,
                   struct ferr *err)
{
    return kv_rows(sq_of(src), Q_TAGS, r->run_id, 0, fn, arg, "tags", err);
}

/* A batch of one key's points; the key is copied, the rows' text is not
 * kept past a step. */
struct batch {
    char *key;
    struct import_point v[POINT_BATCH];
    size_t n;
    source_points_fn fn;
    void *arg;
};

static int flush(struct batch *b, struct ferr *err)
{
    int rc = b->n ? b->fn(b->arg, b->v, b->n, err) : 0;
    b->n = 0;
    return rc;
}

static int point_row(struct src_sq *s, sqlite3_stmt *st, void *ctx, struct ferr *err)
{
    (void)s;
    struct batch *b = ctx;
    const char *key = col(st, 0);
    if (!b->key || strcmp(b->key, key) || b->n == POINT_BATCH) {
        if (flush(b, err))
            return -1;
        if (!b->key || strcmp(b->key, key)) {
            free(b->key);
            b->key = xstrdup(key);
        }
    }
    struct import_point *p = &b->v[b->n++];
    p->key = b->key;
    p->value = sqlite3_column_int(st, 4) ? NAN : sqlite3_column_double(st, 1);
    p->timestamp = sqlite3_column_int64(st, 2);
    p->step = sqlite3_column_int64(st, 3);
    return 0;
}

static int sq_points(struct source *src, const struct import_run *r, source_points_fn fn, void *arg,
                     struct ferr *err)
{
    struct src_sq *s = sq_of(src);
    struct batch *b = xcalloc(1, sizeof(*b));
    sqlite3_stmt *st = stmt(s, Q_POINTS, err);
    int rc = -1;
    b->fn = fn;
    b->arg = arg;
    if (st) {
        sqlite3_bind_text(st, 1, r->run_id, -1, SQLITE_STATIC);
        rc = each_row(s, st, "metrics", point_row, b, err);
        if (!rc)
            rc = flush(b, err);
    }
    free(b->key);
    free(b);
    return rc;
}

static int input_tag_row(struct src_sq *s, sqlite3_stmt *st, void *ctx, struct ferr *err)
{
    (void)s;
    (void)err;
    kv_list_add(ctx, col(st, 0), col(st, 1));
    return 0;
}

static int input_row(struct src_sq *s, sqlite3_stmt *st, void *ctx, struct ferr *err)
{
    struct walk *w = ctx;
    struct dataset_input in = {
        .dataset = {(char *)col(st, 1), (char *)col(st, 2), (char *)col(st, 3), (char *)col(st, 4),
                    (char *)col_or_null(st, 5), (char *)col_or_null(st, 6)},
    };
    sqlite3_stmt *ts = stmt(s, Q_INPUT_TAGS, err);
    if (!ts)
        return -1;
    sqlite3_bind_text(ts, 1, col(st, 0), -1, SQLITE_STATIC);
    int rc = each_row(s, ts, "input tags", input_tag_row, &in.tags, err);
    if (!rc)
        rc = w->fn.input(w->arg, &in, err);
    kv_list_release(&in.tags);
    return rc;
}

static int sq_inputs(struct source *src, const struct import_run *r, source_input_fn fn, void *arg,
                     struct ferr *err)
{
    struct src_sq *s = sq_of(src);
    struct walk w = {{.input = fn}, arg, NULL};
    if (!s->sql[Q_INPUTS])
        return 0;
    sqlite3_stmt *st = stmt(s, Q_INPUTS, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, r->run_id, -1, SQLITE_STATIC);
    return each_row(s, st, "inputs", input_row, &w, err);
}

static int model_row(struct src_sq *s, sqlite3_stmt *st, void *ctx, struct ferr *err)
{
    (void)s;
    struct walk *w = ctx;
    struct import_model m = {col(st, 0), col_or_null(st, 1), col_time(st, 2), col_time(st, 3)};
    return w->fn.model(w->arg, &m, err);
}

static int sq_models(struct source *src, source_model_fn fn, void *arg, struct ferr *err)
{
    struct src_sq *s = sq_of(src);
    struct walk w = {{.model = fn}, arg, NULL};
    if (!s->sql[Q_MODELS])
        return 0;
    sqlite3_stmt *st = stmt(s, Q_MODELS, err);
    return st ? each_row(s, st, "registered models", model_row, &w, err) : -1;
}

static int sq_model_tags(struct source *src, const char *model, source_kv_fn fn, void *arg,
                         struct ferr *err)
{
    return kv_rows(sq_of(src), Q_MODEL_TAGS, model, 0, fn, arg, "registered model tags", err);
}

static int version_row(struct src_sq *s, sqlite3_stmt *st, void *ctx, struct ferr *err)
{
    (void)s;
    struct walk *w = ctx;
    struct import_version v = {
        .version = sqlite3_column_int64(st, 0),
        .creation_time = col_time(st, 1),
        .last_updated_time = col_time(st, 2),
        .description = col_or_null(st, 3),
        .user_id = col(st, 4),
        .stage = *col(st, 5) ? col(st, 5) : "None",
        .source = col(st, 6),
        .run_id = col_or_null(st, 7),
        .run_link = col_or_null(st, 8),
        .status = *col(st, 9) ? col(st, 9) : "READY",
        .status_message = col_or_null(st, 10),
        .storage_location = col_or_null(st, 11),
    };
    return w->fn.version(w->arg, &v, err);
}

static int sq_versions(struct source *src, const char *model, source_version_fn fn, void *arg,
                       struct ferr *err)
{
    struct src_sq *s = sq_of(src);
    struct walk w = {{.version = fn}, arg, NULL};
    sqlite3_stmt *st = stmt(s, Q_VERSIONS, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
    return each_row(s, st, "model versions", version_row, &w, err);
}

static int sq_version_tags(struct source *src, const char *model, int64_t version, source_kv_fn fn,
                           void *arg, struct ferr *err)
{
    struct src_sq *s = sq_of(src);
    struct walk w = {{.kv = fn}, arg, NULL};
    sqlite3_stmt *st = stmt(s, Q_VERSION_TAGS, err);
    if (!st)
        return s->sql[Q_VERSION_TAGS] ? -1 : 0;
    sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, version);
    return each_row(s, st, "model version tags", kv_row, &w, err);
}

static int alias_row(struct src_sq *s, sqlite3_stmt *st, void *ctx, struct ferr *err)
{
    (void)s;
    struct walk *w = ctx;
    return w->fn.alias(w->arg, col(st, 0), sqlite3_column_int64(st, 1), err);
}

static int sq_aliases(struct source *src, const char *model, source_alias_fn fn, void *arg,
                      struct ferr *err)
{
    struct src_sq *s = sq_of(src);
    struct walk w = {{.alias = fn}, arg, NULL};
    sqlite3_stmt *st = stmt(s, Q_ALIASES, err);
    if (!st)
        return s->sql[Q_ALIASES] ? -1 : 0;
    sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
    return each_row(s, st, "aliases", alias_row, &w, err);
}

static void sq_close(struct source *src)
{
    struct src_sq *s = sq_of(src);
    for (int i = 0; i < Q__COUNT; i++) {
        sqlite3_finalize(s->stmts[i]);
        free(s->sql[i]);
    }
    sqlite3_close(s->db);
    free(s->base.path);
    free(s->base.description);
    free(s);
}

static const struct source_ops sqlite_source_ops = {
    .experiments = sq_experiments,
    .experiment_tags = sq_experiment_tags,
    .runs = sq_runs,
    .params = sq_params,
    .tags = sq_tags,
    .points = sq_points,
    .inputs = sq_inputs,
    .models = sq_models,
    .model_tags = sq_model_tags,
    .versions = sq_versions,
    .version_tags = sq_version_tags,
    .aliases = sq_aliases,
    .close = sq_close,
};

int source_sqlite_open(const char *path, struct source **out, struct ferr *err)
{
    struct src_sq *s = xcalloc(1, sizeof(*s));
    char *abs = realpath(path, NULL);
    s->base.ops = &sqlite_source_ops;
    s->base.kind = "MLflow SQLite database";
    s->base.path = xstrdup(abs ? abs : path);
    free(abs);
    if (sqlite3_open_v2(s->base.path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) !=
        SQLITE_OK) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "cannot open '%.150s': %s", s->base.path,
                 s->db ? sqlite3_errmsg(s->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(s->db, 10000);
    if (check_revision(s, err) || check_workspaces(s, err) || build_queries(s, err) ||
        count_skips(s, err))
        goto fail;
    *out = &s->base;
    return 0;
fail:
    sq_close(&s->base);
    return -1;
}
