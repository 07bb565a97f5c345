/* SPDX-License-Identifier: MIT
 * The import area in the PostgreSQL backend (store/import.h), translated
 * from store/sqlite/sqlite_import.c: same rows, same outcomes, same
 * messages.
 *
 * The transaction: an import is one long transaction, so it does not go
 * through pg_write (whose group commit is for short writes and whose
 * writer connection would be held for minutes); it opens a connection of
 * its own (pg_conn_open), runs BEGIN there, and keeps it until COMMIT or
 * ROLLBACK, then closes it. As in SQLite, a store used for group commit (a
 * server's) is refused: imports run on a store of their own (the CLI's).
 *
 * Every insert is "insert unless present" and reports which it was. A
 * unique-key violation would abort the whole transaction, so nothing here
 * relies on one: rows are looked up first or inserted with ON CONFLICT DO
 * NOTHING and counted with pg_affected. Lookups come before inserts that
 * take a number from an identity column (datasets), so that running the
 * same import again leaves every sequence where it was.
 *
 * Ids are kept: an experiment's id is inserted into the identity column
 * experiments.experiment_id as it was in the source; its sequence is
 * raised past that id at once (setval is not transactional, so a server
 * sharing the database creates its next experiment above the imported ids
 * even while the import is still running). Other ids are the store's own.
 *
 * Metric points arrive in batches and go in as arrays (unnest), one
 * statement per POINTS_PER_INSERT points. The latest value of each metric
 * is derived from the history once per run, after its points, as ferry's
 * log path would have chosen it. */
#include "store/postgres/pg_int.h"
#include "store/import.h"
#include "base/ftime.h"
#include "base/log.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

struct pg_import {
    struct store_import base; /* first: struct store_import * casts to this */
    struct pg *pg;
    struct pg_conn *c; /* the import's own connection, in its transaction */
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

static struct pg_import *tx_of(struct store_import *tx)
{
    return (struct pg_import *)tx;
}

static void args_time(struct pg_args *a, int64_t t)
{
    if (t == TIME_NONE)
        pg_args_null(a);
    else
        pg_args_int(a, t);
}

/* Runs a statement that returns no row needed; releases a. */
static int run_done(struct pg_conn *c, const char *sql, struct pg_args *a, const char *what,
                    struct ferr *err)
{
    int rc = pg_do(c, sql, a, what, err);
    pg_args_release(a);
    return rc;
}

/* Runs an "insert unless present" statement; releases a. */
static int insert_outcome(struct pg_conn *c, const char *sql, struct pg_args *a,
                          enum import_outcome *out, const char *what, struct ferr *err)
{
    PGresult *r = pg_run(c, sql, a, what, err);
    pg_args_release(a);
    if (!r)
        return -1;
    *out = pg_affected(r) ? IMPORT_WRITTEN : IMPORT_PRESENT;
    PQclear(r);
    return 0;
}

/* Runs a lookup; releases a. 1 with *res holding its first row (the caller
 * clears it), 0 when there is none, -1 on failure. */
static int lookup(struct pg_conn *c, const char *sql, struct pg_args *a, PGresult **res,
                  const char *what, struct ferr *err)
{
    PGresult *r = pg_run(c, sql, a, what, err);
    pg_args_release(a);
    *res = NULL;
    if (!r)
        return -1;
    if (PQntuples(r) < 1) {
        PQclear(r);
        return 0;
    }
    *res = r;
    return 1;
}

/* ---------- the transaction ---------- */

static int exec_simple(struct pg_conn *c, const char *sql, const char *what, struct ferr *err)
{
    PGresult *r = pg_run_text(c, sql, NULL, what, err);
    if (!r)
        return -1;
    PQclear(r);
    return 0;
}

static int pg_import_begin(struct store *s, struct store_import **out, struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    if (pg->group_commit)
        return ferr_set(err, FERR_INVALID_STATE,
                        "an import needs a store of its own, not a server's shared one");
    struct pg_conn *c = pg_conn_open(pg, err);
    if (!c)
        return -1;
    if (exec_simple(c, "BEGIN", "starting an import", err)) {
        pg_conn_close(c);
        return -1;
    }
    struct pg_import *tx = xcalloc(1, sizeof(*tx));
    tx->base.s = s;
    tx->pg = pg;
    tx->c = c;
    tx->run = tx->model = -1;
    tx->now = ftime_now_ms();
    *out = &tx->base;
    return 0;
}

static void tx_free(struct pg_import *tx)
{
    pg_conn_close(tx->c);
    free(tx->model_name);
    free(tx);
}

static int pg_import_commit(struct store_import *t, struct ferr *err)
{
    struct pg_import *tx = tx_of(t);
    PGresult *r = pg_run_text(tx->c, "COMMIT", NULL, "committing an import", err);
    int rc = r ? 0 : -1;
    /* PostgreSQL answers COMMIT in a transaction that failed earlier with
     * ROLLBACK: nothing was saved, and the caller must hear so. */
    if (r && strcmp(PQcmdStatus(r), "COMMIT"))
        rc = ferr_set(err, FERR_INTERNAL_ERROR,
                      "the import's transaction was rolled back: nothing was imported");
    PQclear(r);
    struct ferr ignored = FERR_INIT;
    /* The planner's statistics and the visibility map for what arrived at
     * once (autovacuum would take its time): the first searches after an
     * import use the indexes, their index-only scans without table reads
     * (copy.c says what that is worth). A failure costs speed, not data:
     * logged, not returned. */
    if (!rc) {
        PGresult *a =
            pg_run_text(tx->c, "VACUUM (ANALYZE)", NULL, "vacuuming after the import", &ignored);
        if (!a)
            log_warn("after the import: %s", ignored.msg);
        PQclear(a);
        ignored = (struct ferr)FERR_INIT;
    }
    /* A COMMIT that fails ends the transaction already (rolled back); the
     * ROLLBACK is for a connection left inside one. */
    if (rc && PQtransactionStatus(tx->c->conn) == PQTRANS_INERROR &&
        exec_simple(tx->c, "ROLLBACK", "rolling an import back", &ignored))
        log_error("rollback after a failed import commit: %s", ignored.msg);
    tx_free(tx);
    return rc;
}

static void pg_import_abort(struct store_import *t)
{
    struct pg_import *tx = tx_of(t);
    struct ferr ignored = FERR_INIT;
    /* Closing the connection would roll back too; saying so is clearer in
     * the server's log, and a lost connection has nothing to roll back. */
    if (PQstatus(tx->c->conn) == CONNECTION_OK &&
        exec_simple(tx->c, "ROLLBACK", "rolling an import back", &ignored))
        log_error("rolling an import back: %s", ignored.msg);
    tx_free(tx);
}

/* ---------- experiments ---------- */

/* Raises the experiments' id sequence to id when it is below: a new
 * experiment (this process's or another replica's) then gets an id above
 * every imported one. Never lowers it: another replica may have taken
 * numbers above id already. */
static int raise_experiment_sequence(struct pg_conn *c, int64_t id, struct ferr *err)
{
    static const char sql[] =
        "SELECT setval(s, $1::bigint) FROM (SELECT pg_get_serial_sequence('experiments', "
        "'experiment_id')::regclass AS s) AS q "
        "WHERE $1::bigint > coalesce(pg_sequence_last_value(s), 0)";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, id);
    return run_done(c, sql, &a, "numbering experiments", err);
}

static int pg_import_experiment(struct store_import *t, const struct import_experiment *e,
                                enum import_outcome *out, struct ferr *err)
{
    static const char by_id[] = "SELECT name FROM experiments WHERE experiment_id = $1";
    static const char by_name[] = "SELECT experiment_id FROM experiments WHERE name = $1";
    static const char ins[] =
        "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage, "
        "creation_time, last_update_time) VALUES ($1, $2, $3, $4, $5, $6)";
    struct pg_import *tx = tx_of(t);
    struct pg_args a = PG_ARGS_INIT;
    PGresult *r;
    int found;
    pg_args_int(&a, e->id);
    if ((found = lookup(tx->c, by_id, &a, &r, "reading an experiment", err)) < 0)
        return -1;
    if (found) {
        int same = !strcmp(pg_get_ref(r, 0, 0), e->name);
        if (!same)
            ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS,
                     "experiment %" PRId64 " is '%.80s' here and '%.80s' in the source: "
                     "not merging different experiments",
                     e->id, pg_get_ref(r, 0, 0), e->name);
        PQclear(r);
        *out = IMPORT_PRESENT;
        return same ? 0 : -1;
    }
    pg_args_text(&a, e->name);
    if ((found = lookup(tx->c, by_name, &a, &r, "reading an experiment", err)) < 0)
        return -1;
    if (found) {
        int64_t other = pg_get_int(r, 0, 0);
        PQclear(r);
        return ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS,
                        "experiment name '%.100s' is taken here by experiment %" PRId64
                        " (the source's is %" PRId64 "): not merging different experiments",
                        e->name, other, e->id);
    }
    int64_t created = e->creation_time == TIME_NONE ? tx->now : e->creation_time;
    pg_args_int(&a, e->id);
    pg_args_text(&a, e->name);
    pg_args_text(&a, e->artifact_location);
    pg_args_text(&a, lifecycle_name(e->lifecycle));
    pg_args_int(&a, created);
    pg_args_int(&a, e->last_update_time == TIME_NONE ? created : e->last_update_time);
    *out = IMPORT_WRITTEN;
    if (run_done(tx->c, ins, &a, "importing an experiment", err))
        return -1;
    return raise_experiment_sequence(tx->c, e->id, err);
}

static int pg_import_experiment_tag(struct store_import *t, int64_t experiment_id, const char *key,
                                    const char *value, enum import_outcome *out, struct ferr *err)
{
    static const char ins[] = "INSERT INTO experiment_tags (experiment_id, key, value) "
                              "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
    struct pg_import *tx = tx_of(t);
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, experiment_id);
    pg_args_text(&a, key);
    pg_args_text(&a, value);
    return insert_outcome(tx->c, ins, &a, out, "importing an experiment tag", err);
}

/* ---------- runs ---------- */

static int pg_import_run(struct store_import *t, const struct import_run *r,
                         enum import_outcome *out, struct ferr *err)
{
    static const char find[] = "SELECT id, experiment_id FROM runs WHERE run_uuid = $1";
    static const char ins[] =
        "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, end_time, "
        "artifact_uri, lifecycle_stage, deleted_time) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
        "$9, $10) RETURNING id";
    struct pg_import *tx = tx_of(t);
    struct pg_args a = PG_ARGS_INIT;
    PGresult *res;
    int found;
    tx->run = -1;
    tx->run_points = 0;
    pg_args_text(&a, r->run_id);
    if ((found = lookup(tx->c, find, &a, &res, "reading a run", err)) < 0)
        return -1;
    if (found) {
        int64_t id = pg_get_int(res, 0, 0), eid = pg_get_int(res, 0, 1);
        PQclear(res);
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
    int64_t deleted = r->lifecycle != LIFECYCLE_DELETED ? TIME_NONE
                      : r->deleted_time == TIME_NONE    ? tx->now
                                                        : r->deleted_time;
    pg_args_text(&a, r->run_id);
    pg_args_text(&a, r->name ? r->name : "");
    pg_args_int(&a, r->experiment_id);
    pg_args_text(&a, r->user ? r->user : "");
    pg_args_text(&a, run_status_name(r->status));
    args_time(&a, r->start_time);
    args_time(&a, r->end_time);
    pg_args_text(&a, r->artifact_uri);
    pg_args_text(&a, lifecycle_name(r->lifecycle));
    args_time(&a, deleted);
    if (lookup(tx->c, ins, &a, &res, "importing a run", err) != 1)
        return -1;
    tx->run = pg_get_int(res, 0, 0);
    PQclear(res);
    tx->run_experiment = r->experiment_id;
    *out = IMPORT_WRITTEN;
    return 0;
}

static int need_run(struct pg_import *tx, struct ferr *err)
{
    return tx->run < 0 ? ferr_set(err, FERR_INTERNAL_ERROR, "import: no current run") : 0;
}

static int pg_import_param(struct store_import *t, const char *key, const char *value,
                           enum import_outcome *out, struct ferr *err)
{
    static const char ins[] = "INSERT INTO params (run, key, value) VALUES ($1, $2, $3) "
                              "ON CONFLICT (run, key) DO NOTHING";
    static const char get[] = "SELECT value FROM params WHERE run = $1 AND key = $2";
    struct pg_import *tx = tx_of(t);
    struct pg_args a = PG_ARGS_INIT;
    PGresult *r;
    if (need_run(tx, err))
        return -1;
    pg_args_int(&a, tx->run);
    pg_args_text(&a, key);
    pg_args_text(&a, value);
    if (insert_outcome(tx->c, ins, &a, out, "importing a param", err))
        return -1;
    if (*out == IMPORT_WRITTEN)
        return 0;
    /* Params never change: one held with another value is a conflict. */
    pg_args_int(&a, tx->run);
    pg_args_text(&a, key);
    int found = lookup(tx->c, get, &a, &r, "reading a param", err);
    if (found != 1)
        return found ? -1
                     : ferr_set(err, FERR_INTERNAL_ERROR, "import: param '%.100s' vanished", key);
    int same = !strcmp(pg_get_ref(r, 0, 0), value);
    if (!same)
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "param '%.100s' of a run is '%.40s' here and '%.40s' in the source", key,
                 pg_get_ref(r, 0, 0), value);
    PQclear(r);
    return same ? 0 : -1;
}

static int pg_import_tag(struct store_import *t, const char *key, const char *value,
                         enum import_outcome *out, struct ferr *err)
{
    static const char ins[] = "INSERT INTO tags (run, key, value) VALUES ($1, $2, $3) "
                              "ON CONFLICT (run, key) DO NOTHING";
    struct pg_import *tx = tx_of(t);
    struct pg_args a = PG_ARGS_INIT;
    if (need_run(tx, err))
        return -1;
    pg_args_int(&a, tx->run);
    pg_args_text(&a, key);
    pg_args_text(&a, value);
    return insert_outcome(tx->c, ins, &a, out, "importing a tag", err);
}

/* Points per INSERT statement: one statement for many rows is most of what
 * makes a history import fast (one round trip, one plan). */
#define POINTS_PER_INSERT 4096

/* One text element of an array literal, quoted: '"' and '\' escaped. */
static void array_text(struct sbuf *sb, const char *s)
{
    sbuf_addch(sb, '"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            sbuf_addch(sb, '\\');
        sbuf_addch(sb, *s);
    }
    sbuf_addch(sb, '"');
}

/* A double as the array element PostgreSQL reads back exactly (NaN is kept
 * as 0 with is_nan set, as the schema stores it). */
static void array_real(struct sbuf *sb, double v)
{
    if (isnan(v))
        sbuf_addch(sb, '0');
    else if (isinf(v))
        sbuf_addstr(sb, v > 0 ? "Infinity" : "-Infinity");
    else
        sbuf_addf(sb, "%.17g", v);
}

static int pg_import_points(struct store_import *t, const struct import_point *v, size_t n,
                            size_t *written, struct ferr *err)
{
    static const char many[] =
        "INSERT INTO metrics (run, key, step, timestamp, value, is_nan) "
        "SELECT $1::bigint, k, s, t, v, n FROM unnest($2::text[], $3::bigint[], $4::bigint[], "
        "$5::float8[], $6::int[]) AS p (k, s, t, v, n) ON CONFLICT DO NOTHING";
    struct pg_import *tx = tx_of(t);
    struct sbuf keys = SBUF_INIT, steps = SBUF_INIT, times = SBUF_INIT, values = SBUF_INIT,
                nans = SBUF_INIT;
    int rc = 0;
    if (need_run(tx, err))
        return -1;
    for (size_t i = 0; i < n && !rc;) {
        size_t k = n - i < POINTS_PER_INSERT ? n - i : POINTS_PER_INSERT;
        sbuf_reset(&keys);
        sbuf_reset(&steps);
        sbuf_reset(&times);
        sbuf_reset(&values);
        sbuf_reset(&nans);
        for (size_t j = 0; j < k; j++) {
            const struct import_point *p = &v[i + j];
            const char *sep = j ? "," : "{";
            sbuf_addstr(&keys, sep);
            array_text(&keys, p->key);
            sbuf_addf(&steps, "%s%" PRId64, sep, p->step);
            sbuf_addf(&times, "%s%" PRId64, sep, p->timestamp);
            sbuf_addstr(&values, sep);
            array_real(&values, p->value);
            sbuf_addf(&nans, "%s%d", sep, isnan(p->value) ? 1 : 0);
        }
        sbuf_addch(&keys, '}');
        sbuf_addch(&steps, '}');
        sbuf_addch(&times, '}');
        sbuf_addch(&values, '}');
        sbuf_addch(&nans, '}');
        struct pg_args a = PG_ARGS_INIT;
        pg_args_int(&a, tx->run);
        pg_args_text(&a, keys.buf);
        pg_args_text(&a, steps.buf);
        pg_args_text(&a, times.buf);
        pg_args_text(&a, values.buf);
        pg_args_text(&a, nans.buf);
        PGresult *r = pg_run(tx->c, many, &a, "importing metrics", err);
        pg_args_release(&a);
        if (!r) {
            rc = -1;
            break;
        }
        *written += (size_t)pg_affected(r);
        PQclear(r);
        i += k;
    }
    sbuf_release(&keys);
    sbuf_release(&steps);
    sbuf_release(&times);
    sbuf_release(&values);
    sbuf_release(&nans);
    if (!rc)
        tx->run_points += *written;
    return rc;
}

/* The dataset's row in the run's experiment, written when missing. Looked
 * up first: an insert that finds it present would still take a number from
 * the identity column. */
static int dataset_id(struct pg_import *tx, const struct dataset *d, int64_t *id, struct ferr *err)
{
    static const char ins[] =
        "INSERT INTO datasets (experiment_id, name, digest, source_type, source, schema, "
        "profile) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (experiment_id, name, digest) "
        "DO NOTHING";
    static const char get[] =
        "SELECT id FROM datasets WHERE experiment_id = $1 AND name = $2 AND digest = $3";
    struct pg_args a = PG_ARGS_INIT;
    PGresult *r;
    int found;
    for (int attempt = 0;; attempt++) {
        pg_args_int(&a, tx->run_experiment);
        pg_args_text(&a, d->name);
        pg_args_text(&a, d->digest);
        if ((found = lookup(tx->c, get, &a, &r, "reading a dataset", err)) < 0)
            return -1;
        if (found) {
            *id = pg_get_int(r, 0, 0);
            PQclear(r);
            return 0;
        }
        if (attempt)
            return ferr_set(err, FERR_INTERNAL_ERROR, "import: dataset '%.100s' vanished", d->name);
        pg_args_int(&a, tx->run_experiment);
        pg_args_text(&a, d->name);
        pg_args_text(&a, d->digest);
        pg_args_text(&a, d->source_type);
        pg_args_text(&a, d->source);
        pg_args_text(&a, d->schema);
        pg_args_text(&a, d->profile);
        if (run_done(tx->c, ins, &a, "importing a dataset", err))
            return -1;
    }
}

static int pg_import_input(struct store_import *t, const struct dataset_input *in,
                           enum import_outcome *out, struct ferr *err)
{
    static const char link[] = "INSERT INTO run_inputs (run, dataset, position) VALUES "
                               "($1, $2, (SELECT count(*) FROM run_inputs WHERE run = $1)) "
                               "ON CONFLICT DO NOTHING";
    static const char tag[] = "INSERT INTO input_tags (run, dataset, key, value) VALUES "
                              "($1, $2, $3, $4) ON CONFLICT DO NOTHING";
    struct pg_import *tx = tx_of(t);
    struct pg_args a = PG_ARGS_INIT;
    int64_t ds = 0;
    if (need_run(tx, err) || dataset_id(tx, &in->dataset, &ds, err))
        return -1;
    pg_args_int(&a, tx->run);
    pg_args_int(&a, ds);
    if (insert_outcome(tx->c, link, &a, out, "importing a dataset input", err))
        return -1;
    if (*out == IMPORT_PRESENT) /* the input's tags came with it */
        return 0;
    for (size_t i = 0; i < in->tags.n; i++) {
        pg_args_int(&a, tx->run);
        pg_args_int(&a, ds);
        pg_args_text(&a, in->tags.v[i].key);
        pg_args_text(&a, in->tags.v[i].value);
        if (run_done(tx->c, tag, &a, "importing an input tag", err))
            return -1;
    }
    return 0;
}

static int pg_import_run_done(struct store_import *t, struct ferr *err)
{
    /* The greatest (step, timestamp, value) per key, as the log path keeps
     * it (a NaN counts as its stored value 0, as in SQLite). */
    static const char latest[] =
        "INSERT INTO latest_metrics (run, key, value, is_nan, timestamp, step) "
        "SELECT DISTINCT ON (key) run, key, value, is_nan, timestamp, step FROM metrics "
        "WHERE run = $1 ORDER BY key, step DESC, timestamp DESC, value DESC "
        "ON CONFLICT (run, key) DO UPDATE SET value = excluded.value, is_nan = excluded.is_nan, "
        "timestamp = excluded.timestamp, step = excluded.step "
        "WHERE (excluded.step, excluded.timestamp, excluded.value) > "
        "(latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)";
    struct pg_import *tx = tx_of(t);
    struct pg_args a = PG_ARGS_INIT;
    if (need_run(tx, err))
        return -1;
    if (!tx->run_points) /* nothing new: the latest values stand */
        return 0;
    pg_args_int(&a, tx->run);
    return run_done(tx->c, latest, &a, "deriving latest metrics", err);
}

/* ---------- the registry ---------- */

static int pg_import_model(struct store_import *t, const struct import_model *m,
                           enum import_outcome *out, struct ferr *err)
{
    static const char find[] = "SELECT id FROM registered_models WHERE name = $1";
    static const char ins[] = "INSERT INTO registered_models (name, description, creation_time, "
                              "last_updated_time) VALUES ($1, $2, $3, $4) RETURNING id";
    struct pg_import *tx = tx_of(t);
    struct pg_args a = PG_ARGS_INIT;
    PGresult *r;
    int found;
    tx->model = -1;
    tx->max_version = tx->versions_new = 0;
    free(tx->model_name);
    tx->model_name = xstrdup(m->name);
    pg_args_text(&a, m->name);
    if ((found = lookup(tx->c, find, &a, &r, "reading a registered model", err)) < 0)
        return -1;
    if (found) {
        tx->model = pg_get_int(r, 0, 0);
        PQclear(r);
        tx->model_new = 0;
        *out = IMPORT_PRESENT;
        return 0;
    }
    pg_args_text(&a, m->name);
    pg_args_text(&a, m->description);
    pg_args_int(&a, m->creation_time == TIME_NONE ? tx->now : m->creation_time);
    pg_args_int(&a, m->last_updated_time != TIME_NONE ? m->last_updated_time
                    : m->creation_time != TIME_NONE   ? m->creation_time
                                                      : tx->now);
    if (lookup(tx->c, ins, &a, &r, "importing a registered model", err) != 1)
        return -1;
    tx->model = pg_get_int(r, 0, 0);
    PQclear(r);
    tx->model_new = 1;
    *out = IMPORT_WRITTEN;
    return 0;
}

static int need_model(struct pg_import *tx, struct ferr *err)
{
    return tx->model < 0 ? ferr_set(err, FERR_INTERNAL_ERROR, "import: no current model") : 0;
}

static int pg_import_model_tag(struct store_import *t, const char *key, const char *value,
                               enum import_outcome *out, struct ferr *err)
{
    static const char ins[] = "INSERT INTO registered_model_tags (model, key, value) "
                              "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
    struct pg_import *tx = tx_of(t);
    struct pg_args a = PG_ARGS_INIT;
    if (need_model(tx, err))
        return -1;
    pg_args_int(&a, tx->model);
    pg_args_text(&a, key);
    pg_args_text(&a, value);
    return insert_outcome(tx->c, ins, &a, out, "importing a model tag", err);
}

static int pg_import_version(struct store_import *t, const struct import_version *v,
                             enum import_outcome *out, struct ferr *err)
{
    static const char ins[] =
        "INSERT INTO model_versions (model, version, creation_time, last_updated_time, "
        "description, user_id, current_stage, source, run_id, run_link, status, status_message, "
        "storage_location) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) "
        "ON CONFLICT DO NOTHING";
    struct pg_import *tx = tx_of(t);
    struct pg_args a = PG_ARGS_INIT;
    if (need_model(tx, err))
        return -1;
    int64_t created = v->creation_time == TIME_NONE ? tx->now : v->creation_time;
    pg_args_int(&a, tx->model);
    pg_args_int(&a, v->version);
    pg_args_int(&a, created);
    pg_args_int(&a, v->last_updated_time == TIME_NONE ? created : v->last_updated_time);
    pg_args_text(&a, v->description);
    pg_args_text(&a, v->user_id);
    pg_args_text(&a, v->stage);
    pg_args_text(&a, v->source);
    pg_args_text(&a, v->run_id && *v->run_id ? v->run_id : NULL);
    pg_args_text(&a, v->run_link && *v->run_link ? v->run_link : NULL);
    pg_args_text(&a, v->status);
    pg_args_text(&a, v->status_message);
    pg_args_text(&a, v->storage_location && *v->storage_location ? v->storage_location : NULL);
    if (insert_outcome(tx->c, ins, &a, out, "importing a model version", err))
        return -1;
    if (v->version > tx->max_version)
        tx->max_version = v->version;
    tx->versions_new += *out == IMPORT_WRITTEN;
    return 0;
}

static int pg_import_version_tag(struct store_import *t, int64_t version, const char *key,
                                 const char *value, enum import_outcome *out, struct ferr *err)
{
    static const char ins[] = "INSERT INTO model_version_tags (model, version, key, value) "
                              "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
    struct pg_import *tx = tx_of(t);
    struct pg_args a = PG_ARGS_INIT;
    if (need_model(tx, err))
        return -1;
    pg_args_int(&a, tx->model);
    pg_args_int(&a, version);
    pg_args_text(&a, key);
    pg_args_text(&a, value);
    return insert_outcome(tx->c, ins, &a, out, "importing a model version tag", err);
}

static int pg_import_alias(struct store_import *t, const char *alias, int64_t version,
                           enum import_outcome *out, struct ferr *err)
{
    static const char ins[] = "INSERT INTO registered_model_aliases (model, alias, version) "
                              "VALUES ($1, $2, $3) ON CONFLICT DO NOTHING";
    struct pg_import *tx = tx_of(t);
    struct pg_args a = PG_ARGS_INIT;
    if (need_model(tx, err))
        return -1;
    pg_args_int(&a, tx->model);
    pg_args_text(&a, alias);
    pg_args_int(&a, version);
    return insert_outcome(tx->c, ins, &a, out, "importing an alias", err);
}

static int pg_import_model_done(struct store_import *t, int64_t highest, struct ferr *err)
{
    /* Numbers are never reused: new versions continue after the imported.
     * One atomic UPDATE, so a replica numbering versions at the same time
     * is never moved backwards. */
    static const char next[] = "UPDATE registered_models SET next_version = $1::bigint + 1 "
                               "WHERE id = $2 AND next_version <= $1::bigint";
    static const char audit[] = "INSERT INTO registry_events (model_name, version, action, "
                                "detail, user_id, time) VALUES ($1, NULL, 'import', $2, '', $3)";
    struct pg_import *tx = tx_of(t);
    struct pg_args a = PG_ARGS_INIT;
    if (need_model(tx, err))
        return -1;
    if (highest > tx->max_version)
        tx->max_version = highest;
    if (tx->max_version) {
        pg_args_int(&a, tx->max_version);
        pg_args_int(&a, tx->model);
        if (run_done(tx->c, next, &a, "numbering model versions", err))
            return -1;
    }
    if (!tx->model_new && !tx->versions_new)
        return 0;
    char detail[96];
    snprintf(detail, sizeof(detail), "%s%" PRId64 " version%s", tx->model_new ? "model and " : "",
             tx->versions_new, tx->versions_new == 1 ? "" : "s");
    pg_args_text(&a, tx->model_name);
    pg_args_text(&a, detail);
    pg_args_int(&a, tx->now);
    return run_done(tx->c, audit, &a, "recording an audit event", err);
}

/* ---------- reading back ---------- */

static int count_by(struct pg_conn *c, const char *sql, int64_t id, int64_t *out, struct ferr *err)
{
    struct pg_args a = PG_ARGS_INIT;
    PGresult *r;
    pg_args_int(&a, id);
    if (lookup(c, sql, &a, &r, "counting imported rows", err) != 1)
        return -1;
    *out = pg_get_int(r, 0, 0);
    PQclear(r);
    return 0;
}

static int id_by_text(struct pg_conn *c, const char *sql, const char *key, const char *what,
                      int64_t *id, struct ferr *err)
{
    struct pg_args a = PG_ARGS_INIT;
    PGresult *r;
    int found;
    pg_args_text(&a, key);
    if ((found = lookup(c, sql, &a, &r, "reading back", err)) < 0)
        return -1;
    if (!found)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "%s '%.200s' is not in the store", what,
                        key);
    *id = pg_get_int(r, 0, 0);
    PQclear(r);
    return 0;
}

static int pg_import_count_run(struct store_import *t, const char *run_id,
                               struct import_counts *out, struct ferr *err)
{
    static const char find[] = "SELECT id FROM runs WHERE run_uuid = $1";
    static const char params[] = "SELECT count(*) FROM params WHERE run = $1";
    static const char tags[] = "SELECT count(*) FROM tags WHERE run = $1";
    static const char points[] = "SELECT count(*) FROM metrics WHERE run = $1";
    static const char inputs[] = "SELECT count(*) FROM run_inputs WHERE run = $1";
    struct pg_conn *c = tx_of(t)->c;
    int64_t id;
    if (id_by_text(c, find, run_id, "run", &id, err) ||
        count_by(c, params, id, &out->params, err) || count_by(c, tags, id, &out->tags, err) ||
        count_by(c, points, id, &out->points, err) || count_by(c, inputs, id, &out->inputs, err))
        return -1;
    return 0;
}

static int pg_import_count_model(struct store_import *t, const char *name,
                                 struct import_counts *out, struct ferr *err)
{
    static const char find[] = "SELECT id FROM registered_models WHERE name = $1";
    static const char tags[] = "SELECT count(*) FROM registered_model_tags WHERE model = $1";
    static const char versions[] = "SELECT count(*) FROM model_versions WHERE model = $1";
    static const char vtags[] = "SELECT count(*) FROM model_version_tags WHERE model = $1";
    static const char aliases[] = "SELECT count(*) FROM registered_model_aliases WHERE model = $1";
    struct pg_conn *c = tx_of(t)->c;
    int64_t id;
    if (id_by_text(c, find, name, "registered model", &id, err) ||
        count_by(c, tags, id, &out->model_tags, err) ||
        count_by(c, versions, id, &out->versions, err) ||
        count_by(c, vtags, id, &out->version_tags, err) ||
        count_by(c, aliases, id, &out->aliases, err))
        return -1;
    return 0;
}

static int pg_import_count_experiment_tags(struct store_import *t, int64_t experiment_id,
                                           int64_t *out, struct ferr *err)
{
    static const char sql[] = "SELECT count(*) FROM experiment_tags WHERE experiment_id = $1";
    return count_by(tx_of(t)->c, sql, experiment_id, out, err);
}

const struct store_import_ops pg_import = {
    .begin = pg_import_begin,
    .commit = pg_import_commit,
    .abort = pg_import_abort,
    .experiment = pg_import_experiment,
    .experiment_tag = pg_import_experiment_tag,
    .run = pg_import_run,
    .param = pg_import_param,
    .tag = pg_import_tag,
    .points = pg_import_points,
    .input = pg_import_input,
    .run_done = pg_import_run_done,
    .model = pg_import_model,
    .model_tag = pg_import_model_tag,
    .version = pg_import_version,
    .version_tag = pg_import_version_tag,
    .alias = pg_import_alias,
    .model_done = pg_import_model_done,
    .count_run = pg_import_count_run,
    .count_model = pg_import_count_model,
    .count_experiment_tags = pg_import_count_experiment_tags,
};
