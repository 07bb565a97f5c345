/* SPDX-License-Identifier: MIT
 * Runs in the SQLite backend: create, update, delete/restore, get, search, and
 * what is logged to them (params, metrics, tags, dataset inputs, models). */
#include "store/sqlite/sqlite_int.h"
#include "store/errors.h"
#include "store/sqlite/dialect.h"
#include "store/search_sql.h"
#include "base/ftime.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "domain/validate.h"

#include <inttypes.h>
#include <stdio.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

int sq_run_lookup(struct sq_conn *c, const char *run_id, int64_t *id, enum lifecycle *lc,
                  int64_t *experiment_id, struct ferr *err)
{
    static const char sql[] =
        "SELECT id, lifecycle_stage, experiment_id FROM runs WHERE run_uuid = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, run_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return store_err_run_not_found(err, run_id);
    if (rc != SQLITE_ROW)
        return sq_fail(c, "looking up a run", err);
    *id = sqlite3_column_int64(st, 0);
    if (lc)
        *lc = !strcmp((const char *)sqlite3_column_text(st, 1), "deleted") ? LIFECYCLE_DELETED
                                                                           : LIFECYCLE_ACTIVE;
    if (experiment_id)
        *experiment_id = sqlite3_column_int64(st, 2);
    sqlite3_reset(st);
    return 0;
}

int sq_run_experiment(struct store *s, const char *run_id, int64_t *experiment_id, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    int64_t id;
    if (!c)
        return -1;
    int rc = sq_run_lookup(c, run_id, &id, NULL, experiment_id, err);
    sq_reader_put(sq, c);
    return rc;
}

int sq_run_active(struct sq_conn *c, const char *run_id, int64_t *id, int64_t *experiment_id,
                  struct ferr *err)
{
    enum lifecycle lc;
    if (sq_run_lookup(c, run_id, id, &lc, experiment_id, err))
        return -1;
    if (lc != LIFECYCLE_ACTIVE)
        return store_err_run_not_active(err, run_id);
    return 0;
}

int sq_load_run_info(struct sq_conn *c, int64_t id, struct run_info *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT run_uuid, name, experiment_id, user_id, status, start_time, end_time, "
        "artifact_uri, lifecycle_stage FROM runs WHERE id = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "run not found")
                                 : sq_fail(c, "reading a run", err);
    }
    memset(out, 0, sizeof(*out));
    out->run_id = sq_col_str(st, 0);
    out->run_name = sq_col_str(st, 1);
    char buf[24];
    snprintf(buf, sizeof(buf), "%" PRId64, (int64_t)sqlite3_column_int64(st, 2));
    out->experiment_id = xstrdup(buf);
    out->user_id = sq_col_str(st, 3);
    if (run_status_parse((const char *)sqlite3_column_text(st, 4), &out->status))
        out->status = RUN_RUNNING;
    out->start_time =
        sqlite3_column_type(st, 5) == SQLITE_NULL ? TIME_NONE : sqlite3_column_int64(st, 5);
    out->end_time =
        sqlite3_column_type(st, 6) == SQLITE_NULL ? TIME_NONE : sqlite3_column_int64(st, 6);
    out->artifact_uri = sq_col_str(st, 7);
    out->lifecycle_stage = !strcmp((const char *)sqlite3_column_text(st, 8), "deleted")
                               ? LIFECYCLE_DELETED
                               : LIFECYCLE_ACTIVE;
    sqlite3_reset(st);
    return 0;
}

static int load_latest_metrics(struct sq_conn *c, int64_t id, struct metric_list *out,
                               struct ferr *err)
{
    static const char sql[] = "SELECT key, value, is_nan, timestamp, step FROM latest_metrics "
                              "WHERE run = ? ORDER BY key";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        double v = sqlite3_column_int(st, 2) ? NAN : sqlite3_column_double(st, 1);
        metric_list_add(out, (const char *)sqlite3_column_text(st, 0), v,
                        sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4));
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, "reading run metrics", err);
}

static int load_inputs(struct sq_conn *c, int64_t id, struct run *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT d.id, d.name, d.digest, d.source_type, d.source, d.schema, d.profile "
        "FROM run_inputs i JOIN datasets d ON d.id = i.dataset WHERE i.run = ? "
        "ORDER BY i.position";
    static const char tags_sql[] =
        "SELECT key, value FROM input_tags WHERE run = ? AND dataset = ? ORDER BY key";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ALLOC_GROW(out->inputs, out->ninputs + 1, out->ainputs);
        struct dataset_input *di = &out->inputs[out->ninputs++];
        memset(di, 0, sizeof(*di));
        di->dataset.name = sq_col_str(st, 1);
        di->dataset.digest = sq_col_str(st, 2);
        di->dataset.source_type = sq_col_str(st, 3);
        di->dataset.source = sq_col_str(st, 4);
        di->dataset.schema = sq_col_str_or_null(st, 5);
        di->dataset.profile = sq_col_str_or_null(st, 6);
        int64_t ds = sqlite3_column_int64(st, 0);
        /* A second cached statement: the outer one stays on its row. */
        sqlite3_stmt *ts = sq_prep(c, tags_sql, err);
        if (!ts) {
            sqlite3_reset(st);
            return -1;
        }
        sqlite3_bind_int64(ts, 1, id);
        sqlite3_bind_int64(ts, 2, ds);
        int trc;
        while ((trc = sqlite3_step(ts)) == SQLITE_ROW)
            kv_list_add(&di->tags, (const char *)sqlite3_column_text(ts, 0),
                        (const char *)sqlite3_column_text(ts, 1));
        sqlite3_reset(ts);
        if (trc != SQLITE_DONE) {
            sqlite3_reset(st);
            return sq_fail(c, "reading input tags", err);
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, "reading run inputs", err);
}

int sq_load_run(struct sq_conn *c, int64_t id, struct run *out, struct ferr *err)
{
    static const char params_sql[] = "SELECT key, value FROM params WHERE run = ? ORDER BY key";
    static const char tags_sql[] = "SELECT key, value FROM tags WHERE run = ? ORDER BY key";
    memset(out, 0, sizeof(*out));
    if (sq_load_run_info(c, id, &out->info, err) ||
        sq_load_kv(c, params_sql, id, &out->params, err) ||
        sq_load_kv(c, tags_sql, id, &out->tags, err) ||
        load_latest_metrics(c, id, &out->metrics, err) || load_inputs(c, id, out, err) ||
        sq_load_model_refs(c, id, out, err)) {
        run_release(out);
        return -1;
    }
    return 0;
}

int sq_get_run(struct store *s, const char *run_id, struct run *out, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int64_t id;
    int rc = sq_run_lookup(c, run_id, &id, NULL, NULL, err);
    if (!rc)
        rc = sq_load_run(c, id, out, err);
    sq_reader_put(sq, c);
    return rc;
}

int sq_set_run_tag(struct sq_conn *c, int64_t run, const char *key, const char *value,
                   struct ferr *err)
{
    static const char upsert[] = "INSERT INTO tags (run, key, value) VALUES (?, ?, ?) "
                                 "ON CONFLICT (run, key) DO UPDATE SET value = excluded.value";
    static const char rename[] = "UPDATE runs SET name = ? WHERE id = ?";
    sqlite3_stmt *st = sq_prep(c, upsert, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "setting a tag", err);
    if (strcmp(key, TAG_RUN_NAME))
        return 0;
    /* The run name and the mlflow.runName tag are one value, as in MLflow. */
    if (!(st = sq_prep(c, rename, err)))
        return -1;
    sqlite3_bind_text(st, 1, value, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, run);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "renaming a run", err);
    return 0;
}

struct create_run {
    const struct store_run_new *run;
    int64_t id;
};

static int do_create_run(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char exp_sql[] =
        "SELECT lifecycle_stage, artifact_location FROM experiments WHERE experiment_id = ?";
    static const char ins[] =
        "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, "
        "artifact_uri, lifecycle_stage) VALUES (?, ?, ?, ?, 'RUNNING', ?, ?, 'active')";
    struct create_run *cr = arg;
    const struct store_run_new *r = cr->run;
    sqlite3_stmt *st = sq_prep(c, exp_sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, r->experiment_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return store_err_experiment_not_found(err, r->experiment_id);
    if (rc != SQLITE_ROW)
        return sq_fail(c, "reading an experiment", err);
    if (!strcmp((const char *)sqlite3_column_text(st, 0), "deleted")) {
        sqlite3_reset(st);
        return store_err_experiment_not_active(err, r->experiment_id);
    }
    struct sbuf uri = SBUF_INIT;
    sbuf_addf(&uri, "%s/%s/artifacts", (const char *)sqlite3_column_text(st, 1), r->run_id);
    sqlite3_reset(st);

    if (!(st = sq_prep(c, ins, err))) {
        sbuf_release(&uri);
        return -1;
    }
    sqlite3_bind_text(st, 1, r->run_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, r->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, r->experiment_id);
    sqlite3_bind_text(st, 4, r->user, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, r->start_time);
    sqlite3_bind_text(st, 6, uri.buf, -1, SQLITE_TRANSIENT);
    sbuf_release(&uri);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "creating a run", err);
    cr->id = sqlite3_last_insert_rowid(c->db);
    const struct kv_list *tags = r->tags;
    for (size_t i = 0; tags && i < tags->n; i++)
        if (strcmp(tags->v[i].key, TAG_RUN_NAME) &&
            sq_set_run_tag(c, cr->id, tags->v[i].key, tags->v[i].value, err))
            return -1;
    return sq_set_run_tag(c, cr->id, TAG_RUN_NAME, r->name, err);
}

int sq_create_run(struct store *s, const struct store_run_new *run, struct run *out,
                  struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct create_run cr = {run, -1};
    if (sq_write(sq, do_create_run, &cr, err))
        return -1;
    if (!out)
        return 0;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int rc = sq_load_run(c, cr.id, out, err);
    sq_reader_put(sq, c);
    return rc;
}

struct update_run {
    const char *run_id;
    enum run_status status;
    int64_t end_time;
    const char *run_name;
    int64_t id;
};

static int do_update_run(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char sql[] =
        "UPDATE runs SET status = coalesce(?, status), end_time = coalesce(?, end_time) "
        "WHERE id = ?";
    struct update_run *u = arg;
    if (sq_run_active(c, u->run_id, &u->id, NULL, err))
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    if (u->status != RUN_STATUS_NONE)
        sqlite3_bind_text(st, 1, run_status_name(u->status), -1, SQLITE_STATIC);
    if (u->end_time != TIME_NONE)
        sqlite3_bind_int64(st, 2, u->end_time);
    sqlite3_bind_int64(st, 3, u->id);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "updating a run", err);
    if (u->run_name && *u->run_name)
        return sq_set_run_tag(c, u->id, TAG_RUN_NAME, u->run_name, err);
    return 0;
}

int sq_update_run(struct store *s, const char *run_id, enum run_status status, int64_t end_time,
                  const char *run_name, struct run_info *out, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct update_run u = {run_id, status, end_time, run_name, -1};
    if (sq_write(sq, do_update_run, &u, err))
        return -1;
    if (!out)
        return 0;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int rc = sq_load_run_info(c, u.id, out, err);
    sq_reader_put(sq, c);
    return rc;
}

struct run_lifecycle {
    const char *run_id;
    enum lifecycle to;
};

static int do_set_run_lifecycle(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char sql[] = "UPDATE runs SET lifecycle_stage = ?, deleted_time = ? WHERE id = ?";
    static const char exp_sql[] = "SELECT lifecycle_stage FROM experiments WHERE experiment_id = ?";
    struct run_lifecycle *rl = arg;
    int64_t id, eid;
    enum lifecycle lc;
    if (sq_run_lookup(c, rl->run_id, &id, &lc, &eid, err))
        return -1;
    if (rl->to == LIFECYCLE_ACTIVE) {
        sqlite3_stmt *es = sq_prep(c, exp_sql, err);
        if (!es)
            return -1;
        sqlite3_bind_int64(es, 1, eid);
        int deleted = sqlite3_step(es) == SQLITE_ROW &&
                      !strcmp((const char *)sqlite3_column_text(es, 0), "deleted");
        sqlite3_reset(es);
        if (deleted)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "cannot restore run %s: its experiment %" PRId64 " is deleted",
                            rl->run_id, eid);
    }
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, lifecycle_name(rl->to), -1, SQLITE_STATIC);
    if (rl->to == LIFECYCLE_DELETED)
        sqlite3_bind_int64(st, 2, ftime_now_ms());
    sqlite3_bind_int64(st, 3, id);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "updating a run", err);
    return 0;
}

int sq_set_run_lifecycle(struct store *s, const char *run_id, enum lifecycle to, struct ferr *err)
{
    struct run_lifecycle rl = {run_id, to};
    return sq_write((struct sq *)s, do_set_run_lifecycle, &rl, err);
}

struct batch {
    const char *run_id;
    const struct metric_list *metrics;
    const struct kv_list *params;
    const struct kv_list *tags;
};

static int put_param(struct sq_conn *c, int64_t run, const char *run_id, const struct kv *p,
                     struct ferr *err)
{
    static const char ins[] = "INSERT INTO params (run, key, value) VALUES (?, ?, ?) "
                              "ON CONFLICT (run, key) DO NOTHING RETURNING 1";
    static const char get[] = "SELECT value FROM params WHERE run = ? AND key = ?";
    sqlite3_stmt *st = sq_prep(c, ins, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, p->key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, p->value, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) { /* inserted */
        sqlite3_reset(st);
        return 0;
    }
    if (rc != SQLITE_DONE)
        return sq_fail(c, "logging a param", err);
    /* Present already: the same value is fine, another is a conflict. */
    if (!(st = sq_prep(c, get, err)))
        return -1;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, p->key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW)
        return sq_fail(c, "reading a param", err);
    const char *old = (const char *)sqlite3_column_text(st, 0);
    int same = !strcmp(old, p->value);
    if (!same)
        store_err_param_changed(err, p->key, old, run_id, p->value);
    sqlite3_reset(st);
    return same ? 0 : -1;
}

/* The history row; identical points are stored once (primary key). */
/* Binds ?1..?6 = run, key, step, timestamp, value, is_nan (NaN is stored
 * as 0 with is_nan set), the order both metric statements use. */
static void bind_point(sqlite3_stmt *st, int64_t run, const struct metric *m)
{
    int nan = isnan(m->value);
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, m->key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, m->step);
    sqlite3_bind_int64(st, 4, m->timestamp);
    sqlite3_bind_double(st, 5, nan ? 0.0 : m->value);
    sqlite3_bind_int(st, 6, nan);
}

static int put_metric(struct sq_conn *c, int64_t run, const struct metric *m, struct ferr *err)
{
    static const char ins[] = "INSERT INTO metrics (run, key, step, timestamp, value, is_nan) "
                              "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
    sqlite3_stmt *st = sq_prep(c, ins, err);
    if (!st)
        return -1;
    bind_point(st, run, m);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "logging a metric", err);
    return 0;
}

/* Latest = greatest (step, timestamp, value), as MLflow decides it; NaN
 * compares as 0, as it is stored. */
static int metric_later(const struct metric *a, const struct metric *b)
{
    double va = isnan(a->value) ? 0.0 : a->value, vb = isnan(b->value) ? 0.0 : b->value;
    if (a->step != b->step)
        return a->step > b->step;
    if (a->timestamp != b->timestamp)
        return a->timestamp > b->timestamp;
    return va > vb;
}

static int put_latest(struct sq_conn *c, int64_t run, const struct metric *m, struct ferr *err)
{
    static const char upsert[] =
        "INSERT INTO latest_metrics (run, key, value, is_nan, timestamp, step) "
        "VALUES (?1, ?2, ?5, ?6, ?4, ?3) ON CONFLICT (run, key) DO UPDATE SET "
        "value = excluded.value, is_nan = excluded.is_nan, timestamp = excluded.timestamp, "
        "step = excluded.step WHERE (excluded.step, excluded.timestamp, excluded.value) > "
        "(latest_metrics.step, latest_metrics.timestamp, latest_metrics.value)";
    sqlite3_stmt *st = sq_prep(c, upsert, err);
    if (!st)
        return -1;
    bind_point(st, run, m);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "updating a latest metric", err);
    return 0;
}

/* A point of a batch, for sorting the batch by key: the key is copied
 * beside the index so the comparison needs nothing but its arguments. */
struct keyed {
    const char *key;
    size_t i;
};

static int by_key(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->i > y->i) - (x->i < y->i);
}

/* Writes every point, then the latest value once per key: a batch usually
 * holds many steps of few keys, so this halves the statements per point. */
static int put_metrics(struct sq_conn *c, int64_t run, const struct metric_list *ml,
                       struct ferr *err)
{
    for (size_t i = 0; i < ml->n; i++)
        if (put_metric(c, run, &ml->v[i], err))
            return -1;
    if (!ml->n)
        return 0;
    struct keyed *idx = xmalloc(ml->n * sizeof(*idx));
    for (size_t i = 0; i < ml->n; i++)
        idx[i] = (struct keyed){ml->v[i].key, i};
    qsort(idx, ml->n, sizeof(*idx), by_key);
    int rc = 0;
    for (size_t i = 0; i < ml->n && !rc;) {
        size_t best = idx[i].i, j = i + 1;
        for (; j < ml->n && !strcmp(idx[j].key, idx[i].key); j++)
            if (metric_later(&ml->v[idx[j].i], &ml->v[best]))
                best = idx[j].i;
        rc = put_latest(c, run, &ml->v[best], err);
        i = j;
    }
    free(idx);
    return rc;
}

static int do_log_batch(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    struct batch *b = arg;
    int64_t run;
    if (sq_run_active(c, b->run_id, &run, NULL, err))
        return -1;
    for (size_t i = 0; b->params && i < b->params->n; i++) {
        if (put_param(c, run, b->run_id, &b->params->v[i], err))
            return -1;
    }
    if (b->metrics && (put_metrics(c, run, b->metrics, err) ||
                       sq_put_model_metrics(c, b->run_id, b->metrics, err)))
        return -1;
    for (size_t i = 0; b->tags && i < b->tags->n; i++)
        if (sq_set_run_tag(c, run, b->tags->v[i].key, b->tags->v[i].value, err))
            return -1;
    return 0;
}

int sq_log_batch(struct store *s, const char *run_id, const struct metric_list *metrics,
                 const struct kv_list *params, const struct kv_list *tags, struct ferr *err)
{
    struct batch b = {run_id, metrics, params, tags};
    return sq_write((struct sq *)s, do_log_batch, &b, err);
}

struct del_tag {
    const char *run_id;
    const char *key;
};

static int do_delete_tag(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char sql[] = "DELETE FROM tags WHERE run = ? AND key = ?";
    struct del_tag *d = arg;
    int64_t run;
    if (sq_run_active(c, d->run_id, &run, NULL, err))
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, d->key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "deleting a tag", err);
    if (sqlite3_changes(c->db) == 0)
        return store_err_run_tag_not_found(err, d->key, d->run_id);
    return 0;
}

int sq_delete_tag(struct store *s, const char *run_id, const char *key, struct ferr *err)
{
    struct del_tag d = {run_id, key};
    return sq_write((struct sq *)s, do_delete_tag, &d, err);
}

struct inputs {
    const char *run_id;
    const struct dataset_input *v;
    size_t n;
};

static int put_input(struct sq_conn *c, int64_t run, int64_t eid, const struct dataset_input *di,
                     struct ferr *err)
{
    static const char ds_ins[] =
        "INSERT INTO datasets (experiment_id, name, digest, source_type, source, schema, "
        "profile) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (experiment_id, name, digest) "
        "DO NOTHING";
    static const char ds_get[] =
        "SELECT id FROM datasets WHERE experiment_id = ? AND name = ? AND digest = ?";
    static const char link[] = "INSERT INTO run_inputs (run, dataset, position) VALUES "
                               "(?1, ?2, (SELECT count(*) FROM run_inputs WHERE run = ?1)) "
                               "ON CONFLICT DO NOTHING";
    static const char tag[] = "INSERT INTO input_tags (run, dataset, key, value) VALUES "
                              "(?, ?, ?, ?) ON CONFLICT DO NOTHING";
    const struct dataset *d = &di->dataset;
    sqlite3_stmt *st = sq_prep(c, ds_ins, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, eid);
    sqlite3_bind_text(st, 2, d->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->digest, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, d->source_type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, d->source, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, d->schema, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, d->profile, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "logging a dataset", err);
    if (!(st = sq_prep(c, ds_get, err)))
        return -1;
    sqlite3_bind_int64(st, 1, eid);
    sqlite3_bind_text(st, 2, d->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, d->digest, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW)
        return sq_fail(c, "reading a dataset", err);
    int64_t ds = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (!(st = sq_prep(c, link, err)))
        return -1;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_int64(st, 2, ds);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "linking a dataset", err);
    /* Already an input of this run: MLflow keeps the first record, tags too. */
    if (sqlite3_changes(c->db) == 0)
        return 0;
    for (size_t i = 0; i < di->tags.n; i++) {
        if (!(st = sq_prep(c, tag, err)))
            return -1;
        sqlite3_bind_int64(st, 1, run);
        sqlite3_bind_int64(st, 2, ds);
        sqlite3_bind_text(st, 3, di->tags.v[i].key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, di->tags.v[i].value, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE)
            return sq_fail(c, "tagging a dataset input", err);
    }
    return 0;
}

static int do_log_inputs(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    struct inputs *in = arg;
    int64_t run, eid;
    if (sq_run_active(c, in->run_id, &run, &eid, err))
        return -1;
    for (size_t i = 0; i < in->n; i++)
        if (put_input(c, run, eid, &in->v[i], err))
            return -1;
    return 0;
}

int sq_log_inputs(struct store *s, const char *run_id, const struct dataset_input *inputs, size_t n,
                  struct ferr *err)
{
    struct inputs in = {run_id, inputs, n};
    return sq_write((struct sq *)s, do_log_inputs, &in, err);
}

struct log_model {
    const char *run_id;
    const char *model_json;
};

static int do_log_model(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char get[] = "SELECT value FROM tags WHERE run = ? AND key = ?";
    struct log_model *lm = arg;
    int64_t run;
    if (sq_run_active(c, lm->run_id, &run, NULL, err))
        return -1;
    sqlite3_stmt *st = sq_prep(c, get, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, TAG_LOGGED_MODELS, -1, SQLITE_STATIC);
    json_t *hist = NULL;
    if (sqlite3_step(st) == SQLITE_ROW)
        hist = json_loads((const char *)sqlite3_column_text(st, 0), 0, NULL);
    sqlite3_reset(st);
    if (!json_is_array(hist)) {
        json_decref(hist);
        hist = json_array();
    }
    json_t *model = json_loads(lm->model_json, 0, NULL);
    if (!model) {
        json_decref(hist);
        return ferr_set(err, FERR_INTERNAL_ERROR, "model_json no longer parses");
    }
    json_array_append_new(hist, model);
    char *text = json_dumps(hist, JSON_COMPACT);
    json_decref(hist);
    if (!text)
        return ferr_set(err, FERR_INTERNAL_ERROR, "cannot encode the model history");
    int rc = strlen(text) > MAX_TAG_VAL_LENGTH * 100
                 ? ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "model history too large")
                 : sq_set_run_tag(c, run, TAG_LOGGED_MODELS, text, err);
    free(text);
    return rc;
}

int sq_log_model(struct store *s, const char *run_id, const char *model_json, struct ferr *err)
{
    struct log_model lm = {run_id, model_json};
    return sq_write((struct sq *)s, do_log_model, &lm, err);
}

int sq_search_runs(struct store *s, const struct run_search *q, struct store_page *page,
                   struct run_list *out, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct sql_frag f;
    sql_frag_init(&f, &sqlite_dialect);
    if (search_sql_runs(q, page->limit + 1, page->offset, &f, err)) {
        sql_frag_release(&f);
        return -1;
    }
    struct sq_conn *c = sq_reader_get(sq, err);
    sqlite3_stmt *st = NULL;
    int rc = -1, step;
    if (!c)
        goto out;
    if (sqlite3_prepare_v2(c->db, f.sql.buf, (int)f.sql.len, &st, NULL) != SQLITE_OK ||
        sq_bind_frag(st, &f)) {
        sq_fail(c, "searching runs", err);
        goto out;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if ((int64_t)out->n == page->limit) {
            page->more = 1;
            break;
        }
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        if (sq_load_run(c, sqlite3_column_int64(st, 0), &out->v[out->n], err))
            goto out;
        out->n++;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        sq_fail(c, "searching runs", err);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    sq_reader_put(sq, c);
    sql_frag_release(&f);
    if (rc)
        run_list_release(out);
    return rc;
}

/* ---------- runs' model inputs and outputs ---------- */

struct refs_arg {
    const char *run_id;
    int outputs;
    const struct model_ref_list *models;
};

static int do_log_refs(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char ins[] = "INSERT INTO run_model_refs (run, output, model_id, step) "
                              "VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING";
    struct refs_arg *a = arg;
    int64_t run;
    if (sq_run_active(c, a->run_id, &run, NULL, err))
        return -1;
    for (size_t i = 0; i < a->models->n; i++) {
        sqlite3_stmt *st = sq_prep(c, ins, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, run);
        sqlite3_bind_int(st, 2, a->outputs);
        sqlite3_bind_text(st, 3, a->models->v[i].model_id, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, a->outputs ? a->models->v[i].step : 0);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return sq_fail(c, "recording a run's models", err);
    }
    return 0;
}

int sq_log_model_refs(struct store *s, const char *run_id, int outputs,
                      const struct model_ref_list *models, struct ferr *err)
{
    struct refs_arg a = {run_id, outputs, models};
    return sq_write((struct sq *)s, do_log_refs, &a, err);
}

int sq_load_model_refs(struct sq_conn *c, int64_t run, struct run *out, struct ferr *err)
{
    static const char sql[] = "SELECT output, model_id, step FROM run_model_refs WHERE run = ? "
                              "ORDER BY output, model_id, step";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, run);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        model_ref_list_add(sqlite3_column_int(st, 0) ? &out->model_outputs : &out->model_inputs,
                           (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2));
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, "reading a run's models", err);
}
