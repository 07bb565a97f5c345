/* SPDX-License-Identifier: MIT
 * Reading an MLflow PostgreSQL database: the tables MLflow's SQLAlchemy
 * models and alembic migrations create on PostgreSQL (the same names as on
 * SQLite; booleans are PostgreSQL booleans, metric values double
 * precision), read through libpq. As source_sqlite.c: the alembic revision
 * is checked against the chain ferry knows (import/revisions.h), the
 * columns and tables that appeared across MLflow releases are looked up
 * once, and each query asks only for what this revision has; the same
 * things are left out, for the same reasons (see source_sqlite.c).
 *
 * Everything is read in one REPEATABLE READ, READ ONLY transaction: one
 * snapshot of the whole database, however long the import takes, even
 * while an MLflow server keeps writing to it, and nothing written to it.
 *
 * Nothing is held in memory whole. The walks that call back into the
 * source (experiments, runs, models, versions) read through cursors,
 * FETCH_ROWS rows at a time, so nested queries run on the same connection
 * between fetches; a run's metric points, which nothing nests in, stream in
 * single-row mode; lists bounded by one run or model (params, tags,
 * aliases) are read in one result. Text is ordered byte-wise (COLLATE "C")
 * and NULLs first, as SQLite orders them, so both database sources hand
 * over the same records in the same order. */
#include "import/source.h"
#include "import/revisions.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "store/uri.h"

#include <libpq-fe.h>
#include <math.h>
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

struct src_pg {
    struct source base;
    PGconn *conn;
    char *sql[Q__COUNT]; /* NULL: this revision has no such table */
    int prepared[Q__COUNT];
    char *identity;   /* which database this is, for is_database */
    unsigned cursors; /* cursors declared so far: names them */
};

/* Points handed over per callback: a batch never spans two keys. */
#define POINT_BATCH 1024
/* Rows per FETCH from a cursor. */
#define FETCH_ROWS 1000

/* Which database a connection is on: its name and oid, and the cluster's
 * start time (two clusters never share it), as one text. */
static const char identity_sql[] =
    "SELECT current_database() || '/' || d.oid::text || '/' || pg_postmaster_start_time()::text "
    "FROM pg_database d WHERE d.datname = current_database()";

static struct src_pg *pg_of(struct source *src)
{
    return (struct src_pg *)src;
}

/* PostgreSQL's message, one line. */
static void message(const struct src_pg *s, const PGresult *r, char *buf, size_t n)
{
    const char *m = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (!m || !*m)
        m = PQerrorMessage(s->conn);
    snprintf(buf, n, "%s", m && *m ? m : "unknown error");
    buf[strcspn(buf, "\n")] = '\0';
}

static int read_fail(struct src_pg *s, const PGresult *r, const char *what, struct ferr *err)
{
    char msg[256];
    message(s, r, msg, sizeof(msg));
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "cannot read %s from '%.150s': %s", what,
                    s->base.path, msg);
}

/* r when it succeeded, else NULL with err set (r cleared). */
static PGresult *checked(struct src_pg *s, PGresult *r, const char *what, struct ferr *err)
{
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
        return r;
    read_fail(s, r, what, err);
    PQclear(r);
    return NULL;
}

static int exec_simple(struct src_pg *s, const char *sql, const char *what, struct ferr *err)
{
    PGresult *r = checked(s, PQexec(s->conn, sql), what, err);
    PQclear(r);
    return r ? 0 : -1;
}

static const char *cell(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? "" : PQgetvalue(r, row, col);
}

static const char *cell_or_null(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

static int64_t cell_int(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

static int64_t cell_time(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? TIME_NONE : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* A boolean column (is_nan): PostgreSQL's "t"/"f". */
static int cell_bool(const PGresult *r, int row, int col)
{
    const char *v = cell(r, row, col);
    return !strcmp(v, "t") || !strcmp(v, "true") || !strcmp(v, "1");
}

/* A double precision column; strtod reads "Infinity", "-Infinity", "NaN". */
static double cell_real(const PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : strtod(PQgetvalue(r, row, col), NULL);
}

/* ---------- running queries ---------- */

/* A row handler; r's text is valid for the call only. */
typedef int (*row_fn)(struct src_pg *s, const PGresult *r, int row, void *ctx, struct ferr *err);

/* Runs query q (prepared on first use) with n text parameters. */
static PGresult *run(struct src_pg *s, enum query q, const char *const *params, int n,
                     const char *what, struct ferr *err)
{
    char name[16];
    snprintf(name, sizeof(name), "q%d", (int)q);
    if (!s->prepared[q]) {
        PGresult *p = checked(s, PQprepare(s->conn, name, s->sql[q], 0, NULL), what, err);
        if (!p)
            return NULL;
        PQclear(p);
        s->prepared[q] = 1;
    }
    return checked(s, PQexecPrepared(s->conn, name, n, params, NULL, NULL, 0), what, err);
}

/* Every row of q in one result: for what one run or model holds. */
static int each_row(struct src_pg *s, enum query q, const char *const *params, int n,
                    const char *what, row_fn fn, void *ctx, struct ferr *err)
{
    if (!s->sql[q])
        return 0; /* no such table: nothing to read */
    PGresult *r = run(s, q, params, n, what, err);
    if (!r)
        return -1;
    int rc = 0;
    for (int i = 0, rows = PQntuples(r); i < rows && !rc; i++)
        rc = fn(s, r, i, ctx, err);
    PQclear(r);
    return rc;
}

/* Every row of q through a cursor, FETCH_ROWS at a time: for walks whose
 * handlers query the source again. */
static int each_row_cursor(struct src_pg *s, enum query q, const char *const *params, int n,
                           const char *what, row_fn fn, void *ctx, struct ferr *err)
{
    if (!s->sql[q])
        return 0;
    unsigned id = s->cursors++;
    char fetch[64], close[32];
    struct sbuf declare = SBUF_INIT;
    sbuf_addf(&declare, "DECLARE c%u NO SCROLL CURSOR FOR %s", id, s->sql[q]);
    snprintf(fetch, sizeof(fetch), "FETCH FORWARD %d FROM c%u", FETCH_ROWS, id);
    snprintf(close, sizeof(close), "CLOSE c%u", id);
    PGresult *r =
        checked(s, PQexecParams(s->conn, declare.buf, n, NULL, params, NULL, NULL, 0), what, err);
    sbuf_release(&declare);
    if (!r)
        return -1;
    PQclear(r);
    int rc = 0, rows;
    do {
        if (!(r = checked(s, PQexec(s->conn, fetch), what, err)))
            return -1;
        rows = PQntuples(r);
        for (int i = 0; i < rows && !rc; i++)
            rc = fn(s, r, i, ctx, err);
        PQclear(r);
    } while (!rc && rows == FETCH_ROWS);
    struct ferr ignored = FERR_INIT;
    if (exec_simple(s, close, what, rc ? &ignored : err))
        rc = -1;
    return rc;
}

/* ---------- what the schema has ---------- */

static int ask(struct src_pg *s, const char *sql, const char *const *params, int n, int *out,
               struct ferr *err)
{
    PGresult *r = PQexecParams(s->conn, sql, n, NULL, params, NULL, NULL, 0);
    if (!r || PQresultStatus(r) != PGRES_TUPLES_OK) {
        char msg[256];
        message(s, r, msg, sizeof(msg));
        PQclear(r);
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "'%.150s' is not an MLflow store: %s",
                        s->base.path, msg);
    }
    *out = PQntuples(r) > 0 && !strcmp(cell(r, 0, 0), "t");
    PQclear(r);
    return 0;
}

/* Tables are found as MLflow's queries find them: on the search path. */
static int has_table(struct src_pg *s, const char *table, int *out, struct ferr *err)
{
    const char *p[] = {table};
    return ask(s, "SELECT to_regclass($1) IS NOT NULL", p, 1, out, err);
}

static int has_column(struct src_pg *s, const char *table, const char *column, int *out,
                      struct ferr *err)
{
    const char *p[] = {table, column};
    return ask(s,
               "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1) "
               "AND attname = $2 AND attnum > 0 AND NOT attisdropped)",
               p, 2, out, err);
}

static int count_rows(struct src_pg *s, const char *sql, int64_t *out, struct ferr *err)
{
    PGresult *r = checked(s, PQexec(s->conn, sql), "a count", err);
    if (!r)
        return -1;
    *out = PQntuples(r) ? cell_int(r, 0, 0) : 0;
    PQclear(r);
    return 0;
}

/* The alembic revision, which must be one ferry knows. */
static int check_revision(struct src_pg *s, struct ferr *err)
{
    int present;
    if (has_table(s, "alembic_version", &present, err))
        return -1;
    if (!present)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "'%.150s' is not an MLflow tracking database (no alembic_version table)",
                        s->base.path);
    PGresult *r = checked(s, PQexec(s->conn, "SELECT version_num FROM alembic_version"),
                          "the alembic revision", err);
    if (!r)
        return -1;
    char *rev = PQntuples(r) ? xstrdup(cell(r, 0, 0)) : NULL;
    PQclear(r);
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
static int check_workspaces(struct src_pg *s, struct ferr *err)
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

/* Byte-wise order for text, as SQLite's. */
#define COLLATE_C " COLLATE \"C\""

/* One query per record kind, written for the columns this revision has. */
static int build_queries(struct src_pg *s, struct ferr *err)
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
        s->sql[Q_EXPERIMENT_TAGS] = xstrdup("SELECT key, value FROM experiment_tags WHERE "
                                            "experiment_id = $1 ORDER BY key" COLLATE_C);
    SQLF(s->sql[Q_RUNS],
         "SELECT run_uuid, name, user_id, status, start_time, end_time, %s, "
         "artifact_uri, lifecycle_stage FROM runs WHERE experiment_id = $1 "
         "ORDER BY start_time NULLS FIRST, run_uuid" COLLATE_C,
         deleted ? "deleted_time" : "NULL");
    s->sql[Q_PARAMS] =
        xstrdup("SELECT key, value FROM params WHERE run_uuid = $1 ORDER BY key" COLLATE_C);
    s->sql[Q_TAGS] =
        xstrdup("SELECT key, value FROM tags WHERE run_uuid = $1 ORDER BY key" COLLATE_C);
    SQLF(s->sql[Q_POINTS],
         "SELECT key, value, timestamp, step, %s FROM metrics "
         "WHERE run_uuid = $1 ORDER BY key" COLLATE_C ", step, timestamp, value%s",
         nan ? "is_nan" : "false", nan ? ", is_nan" : "");
    if (datasets) {
        SQLF(s->sql[Q_INPUTS],
             "SELECT i.input_uuid, d.name, d.digest, d.dataset_source_type, d.dataset_source, "
             "d.dataset_schema, d.dataset_profile FROM inputs i "
             "JOIN datasets d ON d.dataset_uuid = i.source_id "
             "WHERE i.destination_id = $1 AND i.destination_type = 'RUN' "
             "AND i.source_type = 'DATASET' ORDER BY %si.input_uuid" COLLATE_C,
             step ? "i.step, " : "");
        s->sql[Q_INPUT_TAGS] = xstrdup(
            "SELECT name, value FROM input_tags WHERE input_uuid = $1 ORDER BY name" COLLATE_C);
    }
    if (registry) {
        s->sql[Q_MODELS] = xstrdup("SELECT name, description, creation_time, last_updated_time "
                                   "FROM registered_models ORDER BY name" COLLATE_C);
        SQLF(s->sql[Q_VERSIONS],
             "SELECT version, creation_time, last_updated_time, description, user_id, "
             "current_stage, source, run_id, %s, status, status_message, %s "
             "FROM model_versions WHERE name = $1 ORDER BY version",
             link ? "run_link" : "NULL", storage ? "storage_location" : "NULL");
    }
    if (mtags)
        s->sql[Q_MODEL_TAGS] = xstrdup(
            "SELECT key, value FROM registered_model_tags WHERE name = $1 ORDER BY key" COLLATE_C);
    if (vtags)
        s->sql[Q_VERSION_TAGS] = xstrdup("SELECT key, value FROM model_version_tags "
                                         "WHERE name = $1 AND version = $2 ORDER BY key" COLLATE_C);
    if (aliases)
        s->sql[Q_ALIASES] = xstrdup("SELECT alias, version FROM registered_model_aliases "
                                    "WHERE name = $1 ORDER BY alias" COLLATE_C);
    return 0;
}

/* What ferry leaves behind, counted so the report can say so. */
static int count_skips(struct src_pg *s, struct ferr *err)
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

static int experiment_row(struct src_pg *s, const PGresult *r, int row, void *ctx, struct ferr *err)
{
    struct walk *w = ctx;
    struct import_experiment e = {
        .id = cell_int(r, row, 0),
        .name = cell(r, row, 1),
        .artifact_location = cell(r, row, 2),
        .creation_time = cell_time(r, row, 4),
        .last_update_time = cell_time(r, row, 5),
    };
    const char *stage = cell(r, row, 3);
    if (lifecycle_parse(*stage ? stage : "active", &e.lifecycle))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "experiment %lld in '%.150s' has an unknown lifecycle stage '%.40s'",
                        (long long)e.id, s->base.path, stage);
    return w->fn.experiment(w->arg, &e, err);
}

static int pg_experiments(struct source *src, source_experiment_fn fn, void *arg, struct ferr *err)
{
    struct walk w = {{.experiment = fn}, arg, NULL};
    return each_row_cursor(pg_of(src), Q_EXPERIMENTS, NULL, 0, "experiments", experiment_row, &w,
                           err);
}

static int kv_row(struct src_pg *s, const PGresult *r, int row, void *ctx, struct ferr *err)
{
    (void)s;
    struct walk *w = ctx;
    return w->fn.kv(w->arg, cell(r, row, 0), cell(r, row, 1), err);
}

/* Key/value rows of q for one key (an id as text). */
static int kv_rows(struct src_pg *s, enum query q, const char *key, source_kv_fn fn, void *arg,
                   const char *what, struct ferr *err)
{
    struct walk w = {{.kv = fn}, arg, NULL};
    const char *p[] = {key};
    return each_row(s, q, p, 1, what, kv_row, &w, err);
}

static int pg_experiment_tags(struct source *src, const struct import_experiment *e,
                              source_kv_fn fn, void *arg, struct ferr *err)
{
    char id[24];
    snprintf(id, sizeof(id), "%lld", (long long)e->id);
    return kv_rows(pg_of(src), Q_EXPERIMENT_TAGS, id, fn, arg, "experiment tags", err);
}

static int run_row(struct src_pg *s, const PGresult *r, int row, void *ctx, struct ferr *err)
{
    struct walk *w = ctx;
    const struct import_experiment *e = w->parent;
    struct import_run run = {
        .run_id = cell(r, row, 0),
        .experiment_id = e->id,
        .name = cell(r, row, 1),
        .user = cell(r, row, 2),
        .start_time = cell_time(r, row, 4),
        .end_time = cell_time(r, row, 5),
        .deleted_time = cell_time(r, row, 6),
        .artifact_uri = cell(r, row, 7),
    };
    const char *status = cell(r, row, 3), *stage = cell(r, row, 8);
    if (run_status_parse(status, &run.status))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "run %.40s in '%.150s' has an unknown status '%.40s'", run.run_id,
                        s->base.path, status);
    if (lifecycle_parse(*stage ? stage : "active", &run.lifecycle))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "run %.40s in '%.150s' has an unknown lifecycle stage '%.40s'", run.run_id,
                        s->base.path, stage);
    return w->fn.run(w->arg, &run, err);
}

static int pg_runs(struct source *src, const struct import_experiment *e, source_run_fn fn,
                   void *arg, struct ferr *err)
{
    struct walk w = {{.run = fn}, arg, e};
    char id[24];
    const char *p[] = {id};
    snprintf(id, sizeof(id), "%lld", (long long)e->id);
    return each_row_cursor(pg_of(src), Q_RUNS, p, 1, "runs", run_row, &w, err);
}

static int pg_params(struct source *src, const struct import_run *r, source_kv_fn fn, void *arg,
                     struct ferr *err)
{
    return kv_rows(pg_of(src), Q_PARAMS, r->run_id, fn, arg, "params", err);
}

static int pg_tags(struct source *src, const struct import_run *r, source_kv_fn fn, void *arg,
                   struct ferr *err)
{
    return kv_rows(pg_of(src), Q_TAGS, r->run_id, fn, arg, "tags", err);
}

/* A batch of one key's points; the key is copied, the rows' text is not
 * kept past a row. */
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

static int point_row(struct batch *b, const PGresult *r, struct ferr *err)
{
    const char *key = cell(r, 0, 0);
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
    p->value = cell_bool(r, 0, 4) ? NAN : cell_real(r, 0, 1);
    p->timestamp = cell_int(r, 0, 2);
    p->step = cell_int(r, 0, 3);
    return 0;
}

/* Stops the query the connection is streaming and reads what is left. */
static void abandon(struct src_pg *s)
{
    PGcancel *cancel = PQgetCancel(s->conn);
    char ignored[256];
    if (cancel) {
        PQcancel(cancel, ignored, sizeof(ignored));
        PQfreeCancel(cancel);
    }
    PGresult *r;
    while ((r = PQgetResult(s->conn)))
        PQclear(r);
}

/* The run's points, streamed a row at a time (a run may hold millions). */
static int pg_points(struct source *src, const struct import_run *run, source_points_fn fn,
                     void *arg, struct ferr *err)
{
    struct src_pg *s = pg_of(src);
    struct batch *b = xcalloc(1, sizeof(*b));
    const char *p[] = {run->run_id};
    char name[16];
    int rc = -1;
    b->fn = fn;
    b->arg = arg;
    snprintf(name, sizeof(name), "q%d", (int)Q_POINTS);
    if (!s->prepared[Q_POINTS]) {
        PGresult *r =
            checked(s, PQprepare(s->conn, name, s->sql[Q_POINTS], 0, NULL), "metrics", err);
        if (!r)
            goto out;
        PQclear(r);
        s->prepared[Q_POINTS] = 1;
    }
    if (!PQsendQueryPrepared(s->conn, name, 1, p, NULL, NULL, 0) || !PQsetSingleRowMode(s->conn)) {
        read_fail(s, NULL, "metrics", err);
        abandon(s);
        goto out;
    }
    PGresult *r;
    rc = 0;
    while ((r = PQgetResult(s->conn))) {
        ExecStatusType st = PQresultStatus(r);
        if (rc) {
            /* Failed already: the rest is read and dropped. */
        } else if (st == PGRES_SINGLE_TUPLE) {
            rc = point_row(b, r, err);
            if (rc) {
                PQclear(r);
                abandon(s);
                break;
            }
        } else if (st != PGRES_TUPLES_OK) {
            rc = read_fail(s, r, "metrics", err);
        }
        PQclear(r);
    }
    if (!rc)
        rc = flush(b, err);
out:
    free(b->key);
    free(b);
    return rc;
}

static int input_tag_row(struct src_pg *s, const PGresult *r, int row, void *ctx, struct ferr *err)
{
    (void)s;
    (void)err;
    kv_list_add(ctx, cell(r, row, 0), cell(r, row, 1));
    return 0;
}

static int input_row(struct src_pg *s, const PGresult *r, int row, void *ctx, struct ferr *err)
{
    struct walk *w = ctx;
    struct dataset_input in = {
        .dataset = {(char *)cell(r, row, 1), (char *)cell(r, row, 2), (char *)cell(r, row, 3),
                    (char *)cell(r, row, 4), (char *)cell_or_null(r, row, 5),
                    (char *)cell_or_null(r, row, 6)},
    };
    const char *p[] = {cell(r, row, 0)};
    int rc = each_row(s, Q_INPUT_TAGS, p, 1, "input tags", input_tag_row, &in.tags, err);
    if (!rc)
        rc = w->fn.input(w->arg, &in, err);
    kv_list_release(&in.tags);
    return rc;
}

static int pg_inputs(struct source *src, const struct import_run *r, source_input_fn fn, void *arg,
                     struct ferr *err)
{
    struct walk w = {{.input = fn}, arg, NULL};
    const char *p[] = {r->run_id};
    return each_row(pg_of(src), Q_INPUTS, p, 1, "inputs", input_row, &w, err);
}

static int model_row(struct src_pg *s, const PGresult *r, int row, void *ctx, struct ferr *err)
{
    (void)s;
    struct walk *w = ctx;
    struct import_model m = {cell(r, row, 0), cell_or_null(r, row, 1), cell_time(r, row, 2),
                             cell_time(r, row, 3)};
    return w->fn.model(w->arg, &m, err);
}

static int pg_models(struct source *src, source_model_fn fn, void *arg, struct ferr *err)
{
    struct walk w = {{.model = fn}, arg, NULL};
    return each_row_cursor(pg_of(src), Q_MODELS, NULL, 0, "registered models", model_row, &w, err);
}

static int pg_model_tags(struct source *src, const char *model, source_kv_fn fn, void *arg,
                         struct ferr *err)
{
    return kv_rows(pg_of(src), Q_MODEL_TAGS, model, fn, arg, "registered model tags", err);
}

static int version_row(struct src_pg *s, const PGresult *r, int row, void *ctx, struct ferr *err)
{
    (void)s;
    struct walk *w = ctx;
    const char *stage = cell(r, row, 5), *status = cell(r, row, 9);
    struct import_version v = {
        .version = cell_int(r, row, 0),
        .creation_time = cell_time(r, row, 1),
        .last_updated_time = cell_time(r, row, 2),
        .description = cell_or_null(r, row, 3),
        .user_id = cell(r, row, 4),
        .stage = *stage ? stage : "None",
        .source = cell(r, row, 6),
        .run_id = cell_or_null(r, row, 7),
        .run_link = cell_or_null(r, row, 8),
        .status = *status ? status : "READY",
        .status_message = cell_or_null(r, row, 10),
        .storage_location = cell_or_null(r, row, 11),
    };
    return w->fn.version(w->arg, &v, err);
}

static int pg_versions(struct source *src, const char *model, source_version_fn fn, void *arg,
                       struct ferr *err)
{
    struct walk w = {{.version = fn}, arg, NULL};
    const char *p[] = {model};
    return each_row_cursor(pg_of(src), Q_VERSIONS, p, 1, "model versions", version_row, &w, err);
}

static int pg_version_tags(struct source *src, const char *model, int64_t version, source_kv_fn fn,
                           void *arg, struct ferr *err)
{
    struct walk w = {{.kv = fn}, arg, NULL};
    char v[24];
    const char *p[] = {model, v};
    snprintf(v, sizeof(v), "%lld", (long long)version);
    return each_row(pg_of(src), Q_VERSION_TAGS, p, 2, "model version tags", kv_row, &w, err);
}

static int alias_row(struct src_pg *s, const PGresult *r, int row, void *ctx, struct ferr *err)
{
    (void)s;
    struct walk *w = ctx;
    return w->fn.alias(w->arg, cell(r, row, 0), cell_int(r, row, 1), err);
}

static int pg_aliases(struct source *src, const char *model, source_alias_fn fn, void *arg,
                      struct ferr *err)
{
    struct walk w = {{.alias = fn}, arg, NULL};
    const char *p[] = {model};
    return each_row(pg_of(src), Q_ALIASES, p, 1, "aliases", alias_row, &w, err);
}

/* ---------- connections ---------- */

/* A connection to uri (MLflow's postgresql+driver:// as libpq's
 * postgresql://), text in UTF-8; NULL with msg set when it fails. */
static PGconn *connect_to(const char *uri, char *msg, size_t n)
{
    static const char *const keys[] = {"dbname", "client_encoding", "fallback_application_name",
                                       NULL};
    struct sbuf conninfo = SBUF_INIT;
    const char *sep = strstr(uri, "://");
    if (!strncmp(uri, "postgresql+", 11) && sep) {
        sbuf_addstr(&conninfo, "postgresql://");
        sbuf_addstr(&conninfo, sep + 3);
    } else {
        sbuf_addstr(&conninfo, uri);
    }
    const char *vals[] = {conninfo.buf, "UTF8", "ferry-import", NULL};
    PGconn *conn = PQconnectdbParams(keys, vals, 1);
    sbuf_release(&conninfo);
    if (conn && PQstatus(conn) == CONNECTION_OK)
        return conn;
    snprintf(msg, n, "%s", conn ? PQerrorMessage(conn) : "out of memory");
    msg[strcspn(msg, "\n")] = '\0';
    PQfinish(conn);
    return NULL;
}

/* The identity of the database conn is on (a new string), NULL when it
 * cannot be read. */
static char *identity_of(PGconn *conn)
{
    PGresult *r = PQexec(conn, identity_sql);
    char *id = r && PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
                   ? xstrdup(PQgetvalue(r, 0, 0))
                   : NULL;
    PQclear(r);
    return id;
}

static int pg_is_database(struct source *src, const char *target)
{
    struct src_pg *s = pg_of(src);
    char msg[256];
    PGconn *conn = connect_to(target, msg, sizeof(msg));
    if (!conn)
        return 0; /* opening the store will say why */
    char *id = identity_of(conn);
    PQfinish(conn);
    int same = id && s->identity && !strcmp(id, s->identity);
    free(id);
    return same;
}

static void pg_close(struct source *src)
{
    struct src_pg *s = pg_of(src);
    for (int i = 0; i < Q__COUNT; i++)
        free(s->sql[i]);
    PQfinish(s->conn); /* ends the read-only transaction */
    free(s->identity);
    free(s->base.path);
    free(s->base.description);
    free(s);
}

static const struct source_ops postgres_source_ops = {
    .experiments = pg_experiments,
    .experiment_tags = pg_experiment_tags,
    .runs = pg_runs,
    .params = pg_params,
    .tags = pg_tags,
    .points = pg_points,
    .inputs = pg_inputs,
    .models = pg_models,
    .model_tags = pg_model_tags,
    .versions = pg_versions,
    .version_tags = pg_version_tags,
    .aliases = pg_aliases,
    .close = pg_close,
    .is_database = pg_is_database,
};

int source_postgres_open(const char *uri, struct source **out, struct ferr *err)
{
    struct src_pg *s = xcalloc(1, sizeof(*s));
    char msg[256];
    s->base.ops = &postgres_source_ops;
    s->base.kind = "MLflow PostgreSQL database";
    s->base.path = store_uri_redacted(uri); /* messages never show a password */
    if (!(s->conn = connect_to(uri, msg, sizeof(msg)))) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "cannot open '%.150s': %s", s->base.path, msg);
        goto fail;
    }
    /* One snapshot for the whole read; all digits of every double (servers
     * before 12 print fewer by default). */
    if (exec_simple(s, "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY", "a snapshot", err) ||
        exec_simple(s, "SET LOCAL extra_float_digits = 3", "a snapshot", err))
        goto fail;
    s->identity = identity_of(s->conn);
    if (check_revision(s, err) || check_workspaces(s, err) || build_queries(s, err) ||
        count_skips(s, err))
        goto fail;
    *out = &s->base;
    return 0;
fail:
    pg_close(&s->base);
    return -1;
}
