/* SPDX-License-Identifier: MIT
 * The logged-model area on SQLite (store/logged_models.h): the tables of
 * schema migration 2 -> 3. */
#include "store/sqlite/sqlite_int.h"
#include "store/errors.h"
#include "store/sqlite/dialect.h"
#include "store/logged_models.h"
#include "store/search_sql.h"
#include "base/ftime.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static int not_found(const char *model_id, struct ferr *err)
{
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "Logged model with ID '%.200s' not found.",
                    model_id);
}

int sq_logged_model_lookup(struct sq_conn *c, const char *model_id, int64_t *id, struct ferr *err)
{
    static const char sql[] =
        "SELECT id FROM logged_models WHERE model_id = ? AND lifecycle_stage = 'active'";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, model_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        *id = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    if (rc == SQLITE_ROW)
        return 0;
    return rc == SQLITE_DONE ? not_found(model_id, err) : sq_fail(c, "reading a logged model", err);
}

/* Binds the text, or NULL. */
static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

/* Runs a statement of (model, key, value) for each pair. */
static int put_pairs(struct sq_conn *c, const char *sql, int64_t model, const struct kv_list *l,
                     const char *what, struct ferr *err)
{
    for (size_t i = 0; l && i < l->n; i++) {
        sqlite3_stmt *st = sq_prep(c, sql, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, model);
        sqlite3_bind_text(st, 2, l->v[i].key, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, l->v[i].value ? l->v[i].value : "", -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return sq_fail(c, what, err);
    }
    return 0;
}

static const char set_tag_sql[] = "INSERT INTO logged_model_tags (model, key, value) "
                                  "VALUES (?, ?, ?) ON CONFLICT (model, key) "
                                  "DO UPDATE SET value = excluded.value";

/* Params never change: the same value again is fine, another is refused. */
static int put_params(struct sq_conn *c, int64_t model, const char *model_id,
                      const struct kv_list *params, struct ferr *err)
{
    static const char ins[] = "INSERT INTO logged_model_params (model, key, value) "
                              "VALUES (?, ?, ?) ON CONFLICT (model, key) DO NOTHING";
    static const char get[] = "SELECT value FROM logged_model_params WHERE model = ? AND key = ?";
    if (put_pairs(c, ins, model, params, "logging a logged model's params", err))
        return -1;
    for (size_t i = 0; params && i < params->n; i++) {
        sqlite3_stmt *st = sq_prep(c, get, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, model);
        sqlite3_bind_text(st, 2, params->v[i].key, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        int same = rc == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0),
                                               params->v[i].value ? params->v[i].value : "");
        sqlite3_reset(st);
        if (rc != SQLITE_ROW)
            return sq_fail(c, "reading a logged model's params", err);
        if (!same)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "Changing param values is not allowed. Param with key='%.250s' was "
                            "already logged with a different value for logged model '%s'.",
                            params->v[i].key, model_id);
    }
    return 0;
}

/* ---------- create ---------- */

struct create_arg {
    int64_t experiment_id;
    const char *model_id, *name;
    const struct logged_model_create *c;
    int64_t id;
};

static int do_create(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char exp_sql[] =
        "SELECT lifecycle_stage, artifact_location FROM experiments WHERE experiment_id = ?";
    static const char ins[] =
        "INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, "
        "creation_time, last_updated_time, status, model_type, source_run_id) "
        "VALUES (?, ?, ?, ?, ?, ?, 'LOGGED_MODEL_PENDING', ?, ?)";
    struct create_arg *a = arg;
    sqlite3_stmt *st = sq_prep(c, exp_sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, a->experiment_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE)
        return store_err_experiment_not_found(err, a->experiment_id);
    if (rc != SQLITE_ROW)
        return sq_fail(c, "reading an experiment", err);
    if (!strcmp((const char *)sqlite3_column_text(st, 0), "deleted")) {
        sqlite3_reset(st);
        return store_err_experiment_not_active(err, a->experiment_id);
    }
    struct sbuf loc = SBUF_INIT;
    sbuf_addf(&loc, "%s/models/%s/artifacts", (const char *)sqlite3_column_text(st, 1),
              a->model_id);
    sqlite3_reset(st);
    int64_t now = ftime_now_ms();
    if (!(st = sq_prep(c, ins, err))) {
        sbuf_release(&loc);
        return -1;
    }
    sqlite3_bind_text(st, 1, a->model_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, a->experiment_id);
    sqlite3_bind_text(st, 3, a->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, loc.buf, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 5, now);
    sqlite3_bind_int64(st, 6, now);
    bind_text_or_null(st, 7, a->c->model_type && *a->c->model_type ? a->c->model_type : NULL);
    bind_text_or_null(st, 8,
                      a->c->source_run_id && *a->c->source_run_id ? a->c->source_run_id : NULL);
    rc = sqlite3_step(st);
    sqlite3_reset(st);
    sbuf_release(&loc);
    if (rc != SQLITE_DONE)
        return sq_fail(c, "creating a logged model", err);
    a->id = sqlite3_last_insert_rowid(c->db);
    return put_params(c, a->id, a->model_id, &a->c->params, err) ||
                   put_pairs(c, set_tag_sql, a->id, &a->c->tags, "tagging a logged model", err)
               ? -1
               : 0;
}

/* ---------- reads ---------- */

static int load_metrics(struct sq_conn *c, int64_t id, const char *model_id,
                        struct metric_list *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT key, value, is_nan, timestamp, step, run_id, dataset_name, dataset_digest "
        "FROM logged_model_metrics WHERE model = ? ORDER BY key, timestamp, step";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        double v = sqlite3_column_int(st, 2) ? NAN : sqlite3_column_double(st, 1);
        metric_list_add(out, (const char *)sqlite3_column_text(st, 0), v,
                        sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4));
        struct metric *m = &out->v[out->n - 1];
        const char *dn = (const char *)sqlite3_column_text(st, 6);
        const char *dd = (const char *)sqlite3_column_text(st, 7);
        m->run_id = sq_col_str(st, 5);
        m->model_id = xstrdup(model_id);
        m->dataset_name = dn && *dn ? xstrdup(dn) : NULL;
        m->dataset_digest = dd && *dd ? xstrdup(dd) : NULL;
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, "reading a logged model's metrics", err);
}

static int load_model(struct sq_conn *c, int64_t id, struct logged_model *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT model_id, experiment_id, name, artifact_location, creation_time, "
        "last_updated_time, status, status_message, lifecycle_stage, model_type, source_run_id "
        "FROM logged_models WHERE id = ?";
    static const char params_sql[] =
        "SELECT key, value FROM logged_model_params WHERE model = ? ORDER BY key";
    static const char tags_sql[] =
        "SELECT key, value FROM logged_model_tags WHERE model = ? ORDER BY key";
    memset(out, 0, sizeof(*out));
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                                            "logged model %" PRId64 " vanished", id)
                                 : sq_fail(c, "reading a logged model", err);
    }
    out->model_id = sq_col_str(st, 0);
    struct sbuf eid = SBUF_INIT;
    sbuf_addf(&eid, "%" PRId64, (int64_t)sqlite3_column_int64(st, 1));
    out->experiment_id = sbuf_detach(&eid, NULL);
    out->name = sq_col_str(st, 2);
    out->artifact_uri = sq_col_str(st, 3);
    out->creation_time = sqlite3_column_int64(st, 4);
    out->last_updated_time = sqlite3_column_int64(st, 5);
    if (logged_model_status_parse((const char *)sqlite3_column_text(st, 6), &out->status))
        out->status = LOGGED_MODEL_STATUS_UNSPECIFIED;
    out->status_message = sq_col_str_or_null(st, 7);
    if (lifecycle_parse((const char *)sqlite3_column_text(st, 8), &out->lifecycle_stage))
        out->lifecycle_stage = LIFECYCLE_ACTIVE;
    out->model_type = sq_col_str_or_null(st, 9);
    out->source_run_id = sq_col_str_or_null(st, 10);
    sqlite3_reset(st);
    if (sq_load_kv(c, params_sql, id, &out->params, err) ||
        sq_load_kv(c, tags_sql, id, &out->tags, err) ||
        load_metrics(c, id, out->model_id, &out->metrics, err)) {
        logged_model_release(out);
        return -1;
    }
    return 0;
}

/* Reads the model (active) on a reader connection. */
static int read_model(struct sq *sq, const char *model_id, struct logged_model *out,
                      struct ferr *err)
{
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int64_t id;
    int rc = sq_logged_model_lookup(c, model_id, &id, err) || load_model(c, id, out, err) ? -1 : 0;
    sq_reader_put(sq, c);
    return rc;
}

int sq_lm_create(struct store *s, int64_t experiment_id, const char *model_id, const char *name,
                 const struct logged_model_create *lc, struct logged_model *out, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct create_arg a = {experiment_id, model_id, name, lc, 0};
    if (sq_write(sq, do_create, &a, err))
        return -1;
    return out ? read_model(sq, model_id, out, err) : 0;
}

int sq_lm_get(struct store *s, const char *model_id, struct logged_model *out, struct ferr *err)
{
    return read_model((struct sq *)s, model_id, out, err);
}

/* ---------- writes ---------- */

struct update_arg {
    const char *model_id;
    int status;
    int deleted;
    const struct kv_list *pairs;
    const char *key;
    int action; /* 0 update, 1 set tags, 2 delete a tag, 3 params */
};

static int do_update(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char upd[] = "UPDATE logged_models SET status = coalesce(?, status), "
                              "lifecycle_stage = coalesce(?, lifecycle_stage), "
                              "last_updated_time = ? WHERE id = ?";
    static const char del_tag[] = "DELETE FROM logged_model_tags WHERE model = ? AND key = ?";
    struct update_arg *a = arg;
    int64_t id, now = ftime_now_ms();
    if (sq_logged_model_lookup(c, a->model_id, &id, err))
        return -1;
    sqlite3_stmt *st;
    int rc;
    switch (a->action) {
    case 0:
        if (!(st = sq_prep(c, upd, err)))
            return -1;
        bind_text_or_null(st, 1, a->status >= 0 ? logged_model_status_name(a->status) : NULL);
        bind_text_or_null(st, 2, a->deleted ? "deleted" : NULL);
        sqlite3_bind_int64(st, 3, now);
        sqlite3_bind_int64(st, 4, id);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? 0 : sq_fail(c, "updating a logged model", err);
    case 1:
        return put_pairs(c, set_tag_sql, id, a->pairs, "tagging a logged model", err);
    case 2:
        if (!(st = sq_prep(c, del_tag, err)))
            return -1;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_text(st, 2, a->key, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return sq_fail(c, "untagging a logged model", err);
        if (sqlite3_changes(c->db) == 0)
            return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                            "No tag with key '%.250s' found for model with ID '%.200s'.", a->key,
                            a->model_id);
        return 0;
    default:
        return put_params(c, id, a->model_id, a->pairs, err);
    }
}

int sq_lm_update(struct store *s, const char *model_id, int status, int deleted, struct ferr *err)
{
    struct update_arg a = {model_id, status, deleted, NULL, NULL, 0};
    return sq_write((struct sq *)s, do_update, &a, err);
}

int sq_lm_tags(struct store *s, const char *model_id, const struct kv_list *tags, const char *key,
               struct ferr *err)
{
    struct update_arg a = {model_id, -1, 0, tags, key, key ? 2 : 1};
    return sq_write((struct sq *)s, do_update, &a, err);
}

int sq_lm_log_params(struct store *s, const char *model_id, const struct kv_list *params,
                     struct ferr *err)
{
    struct update_arg a = {model_id, -1, 0, params, NULL, 3};
    return sq_write((struct sq *)s, do_update, &a, err);
}

int sq_put_model_metrics(struct sq_conn *c, const char *run_id, const struct metric_list *ml,
                         struct ferr *err)
{
    static const char ins[] =
        "INSERT INTO logged_model_metrics (model, key, timestamp, step, value, is_nan, run_id, "
        "dataset_name, dataset_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING";
    for (size_t i = 0; ml && i < ml->n; i++) {
        const struct metric *m = &ml->v[i];
        int64_t model;
        if (!m->model_id)
            continue;
        if (sq_logged_model_lookup(c, m->model_id, &model, err))
            return -1;
        sqlite3_stmt *st = sq_prep(c, ins, err);
        if (!st)
            return -1;
        int nan = isnan(m->value);
        sqlite3_bind_int64(st, 1, model);
        sqlite3_bind_text(st, 2, m->key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, m->timestamp);
        sqlite3_bind_int64(st, 4, m->step);
        sqlite3_bind_double(st, 5, nan ? 0.0 : m->value);
        sqlite3_bind_int(st, 6, nan);
        sqlite3_bind_text(st, 7, run_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 8, m->dataset_name ? m->dataset_name : "", -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 9, m->dataset_digest ? m->dataset_digest : "", -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return sq_fail(c, "logging a logged model's metric", err);
    }
    return 0;
}

/* ---------- search ---------- */

int sq_lm_search(struct store *s, const struct logged_model_search *q, struct store_page *page,
                 struct logged_model_list *out, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct sql_frag f;
    sql_frag_init(&f, &sqlite_dialect);
    if (search_sql_logged_models(q, page->limit + 1, page->offset, &f, err)) {
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
        sq_fail(c, "searching logged models", err);
        goto out;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if ((int64_t)out->n == page->limit) {
            page->more = 1;
            break;
        }
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        if (load_model(c, sqlite3_column_int64(st, 0), &out->v[out->n], err))
            goto out;
        out->n++;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        sq_fail(c, "searching logged models", err);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    sq_reader_put(sq, c);
    sql_frag_release(&f);
    if (rc)
        logged_model_list_release(out);
    return rc;
}
