/* SPDX-License-Identifier: MIT
 * The logged-model area on PostgreSQL (store/logged_models.h's contract):
 * MLflow 3's logged models with their params, tags and metrics, the same
 * tables as SQLite's (store/sqlite/sqlite_logged_models.c, which this file
 * translates: same answers, same messages, same order). Also the helpers
 * pg_int.h shares with the runs' file: the lookup of an active model and
 * the metrics a run logs on a model; and the runs' model inputs and
 * outputs (the table's log_refs; sqlite_runs.c's on SQLite, see below).
 *
 * Replicas: where SQLite's single writer made a read-then-write safe, the
 * row read is locked, at least FOR KEY SHARE, so that an experiment purged
 * by another replica in between cannot turn the insert of a child row into
 * a foreign key failure: the purge waits, or the lookup no longer finds the
 * row. Writes to a model's own rows lock it FOR NO KEY UPDATE (below).
 * Reads of many models (a search page) load every model of the page with
 * one query per table (id = ANY(...)), not one per model, inside one
 * REPEATABLE READ snapshot, so that the page is what one moment held, as a
 * SQLite reader sees it. */
#include "store/postgres/pg_int.h"
#include "store/errors.h"
#include "store/postgres/dialect.h"
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

static const char lookup_sql[] =
    "SELECT id FROM logged_models WHERE model_id = $1 AND lifecycle_stage = 'active'";
/* In a write: the row stays until the transaction ends (see the top). */
static const char lookup_share_sql[] = "SELECT id FROM logged_models WHERE model_id = $1 AND "
                                       "lifecycle_stage = 'active' FOR KEY SHARE";
/* A write to the model itself (status, tags, params) locks its row first,
 * so that such writes of two replicas wait for each other rather than each
 * holding a tag or param row the other wants: a deadlock. */
static const char lookup_lock_sql[] = "SELECT id FROM logged_models WHERE model_id = $1 AND "
                                      "lifecycle_stage = 'active' FOR NO KEY UPDATE";

static int lookup(struct pg_conn *c, const char *sql, const char *model_id, int64_t *id,
                  struct ferr *err)
{
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, model_id);
    PGresult *r = pg_run(c, sql, &a, "reading a logged model", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int found = PQntuples(r) == 1;
    if (found)
        *id = pg_get_int(r, 0, 0);
    PQclear(r);
    return found ? 0 : not_found(model_id, err);
}

/* The lookup of writes that add metric points to the model (pg_int.h): a
 * shared lock, so runs logging to one model at once do not wait for each
 * other (their points are rows of their own). */
int pg_logged_model_lookup(struct pg_conn *c, const char *model_id, int64_t *id, struct ferr *err)
{
    return lookup(c, lookup_share_sql, model_id, id, err);
}

/* Runs a statement of (model, key, value) for each pair. */
static int put_pairs(struct pg_conn *c, const char *sql, int64_t model, const struct kv_list *l,
                     const char *what, struct ferr *err)
{
    struct pg_args a = PG_ARGS_INIT;
    int rc = 0;
    for (size_t i = 0; l && i < l->n && !rc; i++) {
        pg_args_clear(&a);
        pg_args_int(&a, model);
        pg_args_text(&a, l->v[i].key);
        pg_args_text(&a, l->v[i].value ? l->v[i].value : "");
        rc = pg_do(c, sql, &a, what, err);
    }
    pg_args_release(&a);
    return rc;
}

static const char set_tag_sql[] = "INSERT INTO logged_model_tags (model, key, value) "
                                  "VALUES ($1, $2, $3) ON CONFLICT (model, key) "
                                  "DO UPDATE SET value = excluded.value";

/* Params never change: the same value again is fine, another is refused.
 * A replica inserting the same key at the same time: ours waits for its
 * commit, does nothing, and the read below sees its value. */
static int put_params(struct pg_conn *c, int64_t model, const char *model_id,
                      const struct kv_list *params, struct ferr *err)
{
    static const char ins[] = "INSERT INTO logged_model_params (model, key, value) "
                              "VALUES ($1, $2, $3) ON CONFLICT (model, key) DO NOTHING";
    static const char get[] = "SELECT value FROM logged_model_params WHERE model = $1 AND key = $2";
    if (put_pairs(c, ins, model, params, "logging a logged model's params", err))
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    int rc = 0;
    for (size_t i = 0; params && i < params->n && !rc; i++) {
        pg_args_clear(&a);
        pg_args_int(&a, model);
        pg_args_text(&a, params->v[i].key);
        PGresult *r = pg_run(c, get, &a, "reading a logged model's params", err);
        if (!r) {
            rc = -1;
            break;
        }
        int found = PQntuples(r) == 1;
        int same =
            found && !strcmp(pg_get_ref(r, 0, 0), params->v[i].value ? params->v[i].value : "");
        PQclear(r);
        if (!found)
            rc = ferr_set(err, FERR_INTERNAL_ERROR,
                          "database error while reading a logged model's params: no row");
        else if (!same)
            rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                          "Changing param values is not allowed. Param with key='%.250s' was "
                          "already logged with a different value for logged model '%s'.",
                          params->v[i].key, model_id);
    }
    pg_args_release(&a);
    return rc;
}

/* ---------- create ---------- */

struct create_arg {
    int64_t experiment_id;
    const char *model_id, *name;
    const struct logged_model_create *c;
    int64_t id;
};

static int do_create(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    /* FOR KEY SHARE: a purge of the experiment waits for this model */
    static const char exp_sql[] = "SELECT lifecycle_stage, artifact_location FROM experiments "
                                  "WHERE experiment_id = $1 FOR KEY SHARE";
    static const char ins[] =
        "INSERT INTO logged_models (model_id, experiment_id, name, artifact_location, "
        "creation_time, last_updated_time, status, model_type, source_run_id) "
        "VALUES ($1, $2, $3, $4, $5, $5, 'LOGGED_MODEL_PENDING', $6, $7) RETURNING id";
    struct create_arg *a = arg;
    struct pg_args args = PG_ARGS_INIT;
    pg_args_int(&args, a->experiment_id);
    PGresult *r = pg_run(c, exp_sql, &args, "reading an experiment", err);
    pg_args_release(&args);
    if (!r)
        return -1;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return store_err_experiment_not_found(err, a->experiment_id);
    }
    if (!strcmp(pg_get_ref(r, 0, 0), "deleted")) {
        PQclear(r);
        return store_err_experiment_not_active(err, a->experiment_id);
    }
    struct sbuf loc = SBUF_INIT;
    sbuf_addf(&loc, "%s/models/%s/artifacts", pg_get_ref(r, 0, 1), a->model_id);
    PQclear(r);
    pg_args_text(&args, a->model_id);
    pg_args_int(&args, a->experiment_id);
    pg_args_text(&args, a->name);
    pg_args_text(&args, loc.buf);
    pg_args_int(&args, ftime_now_ms());
    pg_args_text(&args, a->c->model_type && *a->c->model_type ? a->c->model_type : NULL);
    pg_args_text(&args, a->c->source_run_id && *a->c->source_run_id ? a->c->source_run_id : NULL);
    r = pg_run(c, ins, &args, "creating a logged model", err);
    pg_args_release(&args);
    sbuf_release(&loc);
    if (!r)
        return -1;
    a->id = pg_get_int(r, 0, 0);
    PQclear(r);
    return put_params(c, a->id, a->model_id, &a->c->params, err) ||
                   put_pairs(c, set_tag_sql, a->id, &a->c->tags, "tagging a logged model", err)
               ? -1
               : 0;
}

/* ---------- reads ---------- */

/* Where each id of a page goes: the rows of a batched load come ordered by
 * id, the page in its own order. */
struct slot {
    int64_t id;
    size_t at;
};

static int slot_cmp(const void *a, const void *b)
{
    const struct slot *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The index into the page of the row's id (column col), or n when not found. */
static size_t slot_of(const struct slot *slots, size_t n, const PGresult *r, int row, int col)
{
    struct slot key = {pg_get_int(r, row, col), 0};
    const struct slot *s = bsearch(&key, slots, n, sizeof(*slots), slot_cmp);
    return s ? s->at : n;
}

/* The ids as a PostgreSQL array literal, "{1,2,3}". */
static void id_array(struct sbuf *sb, const int64_t *ids, size_t n)
{
    sbuf_addch(sb, '{');
    for (size_t i = 0; i < n; i++)
        sbuf_addf(sb, "%s%" PRId64, i ? "," : "", ids[i]);
    sbuf_addch(sb, '}');
}

/* Runs sql (static; its $1 an array of ids) for the page. */
static PGresult *run_ids(struct pg_conn *c, const char *sql, const char *ids, const char *what,
                         struct ferr *err)
{
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, ids);
    PGresult *r = pg_run(c, sql, &a, what, err);
    pg_args_release(&a);
    return r;
}

/* Params or tags (id, key, value rows by id, key) into the models. */
static int load_pairs(struct pg_conn *c, const char *sql, const char *ids, const struct slot *slots,
                      size_t n, struct logged_model *out, int tags, struct ferr *err)
{
    PGresult *r = run_ids(c, sql, ids, "reading a logged model", err);
    if (!r)
        return -1;
    for (int i = 0, rows = PQntuples(r); i < rows; i++) {
        size_t at = slot_of(slots, n, r, i, 0);
        if (at < n)
            kv_list_add(tags ? &out[at].tags : &out[at].params, pg_get_ref(r, i, 1),
                        pg_get_ref(r, i, 2));
    }
    PQclear(r);
    return 0;
}

static int load_metrics(struct pg_conn *c, const char *ids, const struct slot *slots, size_t n,
                        struct logged_model *out, struct ferr *err)
{
    /* the rest of the primary key orders the points SQLite's index gives alike */
    static const char sql[] =
        "SELECT model, key, value, is_nan, timestamp, step, run_id, dataset_name, dataset_digest "
        "FROM logged_model_metrics WHERE model = ANY($1::bigint[]) "
        "ORDER BY model, key, timestamp, step, run_id, dataset_name, dataset_digest";
    PGresult *r = run_ids(c, sql, ids, "reading a logged model's metrics", err);
    if (!r)
        return -1;
    for (int i = 0, rows = PQntuples(r); i < rows; i++) {
        size_t at = slot_of(slots, n, r, i, 0);
        if (at == n)
            continue;
        struct metric_list *ml = &out[at].metrics;
        metric_list_add(ml, pg_get_ref(r, i, 1), pg_get_real(r, i, 2, 3), pg_get_int(r, i, 4),
                        pg_get_int(r, i, 5));
        struct metric *m = &ml->v[ml->n - 1];
        const char *dn = pg_get_ref(r, i, 7), *dd = pg_get_ref(r, i, 8);
        m->run_id = pg_get_str(r, i, 6);
        m->model_id = xstrdup(out[at].model_id);
        m->dataset_name = *dn ? xstrdup(dn) : NULL;
        m->dataset_digest = *dd ? xstrdup(dd) : NULL;
    }
    PQclear(r);
    return 0;
}

/* The models of ids[0..n) into out[0..n) (zeroed), in that order; on
 * failure out's models are released. */
static int load_models(struct pg_conn *c, const int64_t *ids, size_t n, struct logged_model *out,
                       struct ferr *err)
{
    static const char sql[] =
        "SELECT id, model_id, experiment_id, name, artifact_location, creation_time, "
        "last_updated_time, status, status_message, lifecycle_stage, model_type, source_run_id "
        "FROM logged_models WHERE id = ANY($1::bigint[])";
    static const char params_sql[] = "SELECT model, key, value FROM logged_model_params "
                                     "WHERE model = ANY($1::bigint[]) ORDER BY model, key";
    static const char tags_sql[] = "SELECT model, key, value FROM logged_model_tags "
                                   "WHERE model = ANY($1::bigint[]) ORDER BY model, key";
    if (!n)
        return 0;
    struct slot *slots = xmalloc(n * sizeof(*slots));
    struct sbuf arr = SBUF_INIT;
    int rc = -1;
    for (size_t i = 0; i < n; i++)
        slots[i] = (struct slot){ids[i], i};
    qsort(slots, n, sizeof(*slots), slot_cmp);
    id_array(&arr, ids, n);
    PGresult *r = run_ids(c, sql, arr.buf, "reading a logged model", err);
    if (!r)
        goto out;
    for (int i = 0, rows = PQntuples(r); i < rows; i++) {
        size_t at = slot_of(slots, n, r, i, 0);
        if (at == n)
            continue;
        struct logged_model *m = &out[at];
        m->model_id = pg_get_str(r, i, 1);
        m->experiment_id = pg_get_str(r, i, 2);
        m->name = pg_get_str(r, i, 3);
        m->artifact_uri = pg_get_str(r, i, 4);
        m->creation_time = pg_get_int(r, i, 5);
        m->last_updated_time = pg_get_int(r, i, 6);
        if (logged_model_status_parse(pg_get_ref(r, i, 7), &m->status))
            m->status = LOGGED_MODEL_STATUS_UNSPECIFIED;
        m->status_message = pg_get_str_or_null(r, i, 8);
        if (lifecycle_parse(pg_get_ref(r, i, 9), &m->lifecycle_stage))
            m->lifecycle_stage = LIFECYCLE_ACTIVE;
        m->model_type = pg_get_str_or_null(r, i, 10);
        m->source_run_id = pg_get_str_or_null(r, i, 11);
    }
    PQclear(r);
    for (size_t i = 0; i < n; i++) {
        if (!out[i].model_id) {
            ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "logged model %" PRId64 " vanished",
                     ids[i]);
            goto out;
        }
    }
    if (load_pairs(c, params_sql, arr.buf, slots, n, out, 0, err) ||
        load_pairs(c, tags_sql, arr.buf, slots, n, out, 1, err) ||
        load_metrics(c, arr.buf, slots, n, out, err))
        goto out;
    rc = 0;
out:
    if (rc)
        for (size_t i = 0; i < n; i++)
            logged_model_release(&out[i]);
    free(slots);
    sbuf_release(&arr);
    return rc;
}

/* Reads the model (active) on a reader connection. */
static int read_model(struct pg *pg, const char *model_id, struct logged_model *out,
                      struct ferr *err)
{
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    int64_t id;
    int rc = lookup(c, lookup_sql, model_id, &id, err) || load_models(c, &id, 1, out, err) ? -1 : 0;
    pg_reader_put(pg, c);
    return rc;
}

static int pg_lm_create(struct store *s, int64_t experiment_id, const char *model_id,
                        const char *name, const struct logged_model_create *lc,
                        struct logged_model *out, struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    struct create_arg a = {experiment_id, model_id, name, lc, 0};
    if (pg_write(pg, do_create, &a, err))
        return -1;
    return out ? read_model(pg, model_id, out, err) : 0;
}

static int pg_lm_get(struct store *s, const char *model_id, struct logged_model *out,
                     struct ferr *err)
{
    return read_model((struct pg *)s, model_id, out, err);
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

static int do_update(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char upd[] = "UPDATE logged_models SET status = coalesce($1::text, status), "
                              "lifecycle_stage = coalesce($2::text, lifecycle_stage), "
                              "last_updated_time = $3 WHERE id = $4";
    static const char del_tag[] = "DELETE FROM logged_model_tags WHERE model = $1 AND key = $2";
    struct update_arg *a = arg;
    struct pg_args args = PG_ARGS_INIT;
    int64_t id, now = ftime_now_ms();
    PGresult *r;
    int rc;
    if (lookup(c, lookup_lock_sql, a->model_id, &id, err))
        return -1;
    switch (a->action) {
    case 0:
        pg_args_text(&args, a->status >= 0 ? logged_model_status_name(a->status) : NULL);
        pg_args_text(&args, a->deleted ? "deleted" : NULL);
        pg_args_int(&args, now);
        pg_args_int(&args, id);
        rc = pg_do(c, upd, &args, "updating a logged model", err);
        pg_args_release(&args);
        return rc;
    case 1:
        return put_pairs(c, set_tag_sql, id, a->pairs, "tagging a logged model", err);
    case 2:
        pg_args_int(&args, id);
        pg_args_text(&args, a->key);
        r = pg_run(c, del_tag, &args, "untagging a logged model", err);
        pg_args_release(&args);
        if (!r)
            return -1;
        rc = pg_affected(r) == 0;
        PQclear(r);
        if (rc)
            return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                            "No tag with key '%.250s' found for model with ID '%.200s'.", a->key,
                            a->model_id);
        return 0;
    default:
        return put_params(c, id, a->model_id, a->pairs, err);
    }
}

static int pg_lm_update(struct store *s, const char *model_id, int status, int deleted,
                        struct ferr *err)
{
    struct update_arg a = {model_id, status, deleted, NULL, NULL, 0};
    return pg_write((struct pg *)s, do_update, &a, err);
}

static int pg_lm_tags(struct store *s, const char *model_id, const struct kv_list *tags,
                      const char *key, struct ferr *err)
{
    struct update_arg a = {model_id, -1, 0, tags, key, key ? 2 : 1};
    return pg_write((struct pg *)s, do_update, &a, err);
}

static int pg_lm_log_params(struct store *s, const char *model_id, const struct kv_list *params,
                            struct ferr *err)
{
    struct update_arg a = {model_id, -1, 0, params, NULL, 3};
    return pg_write((struct pg *)s, do_update, &a, err);
}

int pg_put_model_metrics(struct pg_conn *c, const char *run_id, const struct metric_list *ml,
                         struct ferr *err)
{
    static const char ins[] =
        "INSERT INTO logged_model_metrics (model, key, timestamp, step, value, is_nan, run_id, "
        "dataset_name, dataset_digest) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
        "ON CONFLICT DO NOTHING";
    struct pg_args a = PG_ARGS_INIT;
    int rc = 0;
    for (size_t i = 0; ml && i < ml->n && !rc; i++) {
        const struct metric *m = &ml->v[i];
        int64_t model;
        if (!m->model_id)
            continue;
        if (pg_logged_model_lookup(c, m->model_id, &model, err)) {
            rc = -1;
            break;
        }
        pg_args_clear(&a);
        pg_args_int(&a, model);
        pg_args_text(&a, m->key);
        pg_args_int(&a, m->timestamp);
        pg_args_int(&a, m->step);
        pg_args_real(&a, m->value); /* NaN as 0, with is_nan */
        pg_args_int(&a, isnan(m->value) ? 1 : 0);
        pg_args_text(&a, run_id);
        pg_args_text(&a, m->dataset_name ? m->dataset_name : "");
        pg_args_text(&a, m->dataset_digest ? m->dataset_digest : "");
        rc = pg_do(c, ins, &a, "logging a logged model's metric", err);
    }
    pg_args_release(&a);
    return rc;
}

/* ---------- a run's models ---------- */

/* The logged models a run read (outputs 0) or produced (outputs 1): rows of
 * run_model_refs, which pg_runs.c reads with the run. SQLite's runs file
 * writes them; here this file does, run lookup included, because pg_runs.c
 * calls this file (pg_put_model_metrics) and two files must not call each
 * other (scripts/check-layers). The run's row is share-locked: a purge
 * waits for the refs, as for a model's child rows. */
struct refs_arg {
    const char *run_id;
    int outputs;
    const struct model_ref_list *models;
};

static int do_log_refs(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char run_sql[] =
        "SELECT id, lifecycle_stage FROM runs WHERE run_uuid = $1 FOR KEY SHARE";
    /* every ref in one statement: the ids and steps as two arrays */
    static const char ins[] = "INSERT INTO run_model_refs (run, output, model_id, step) "
                              "SELECT $1::bigint, $2::integer, m, s "
                              "FROM unnest($3::text[], $4::bigint[]) AS u(m, s) "
                              "ON CONFLICT DO NOTHING";
    struct refs_arg *ra = arg;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, ra->run_id);
    PGresult *r = pg_run(c, run_sql, &a, "looking up a run", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int found = PQntuples(r) == 1;
    int64_t run = found ? pg_get_int(r, 0, 0) : 0;
    int deleted = found && !strcmp(pg_get_ref(r, 0, 1), "deleted");
    PQclear(r);
    if (!found)
        return store_err_run_not_found(err, ra->run_id);
    if (deleted)
        return store_err_run_not_active(err, ra->run_id);
    if (!ra->models->n)
        return 0;
    struct sbuf ids = SBUF_INIT, steps = SBUF_INIT;
    sbuf_addch(&ids, '{');
    sbuf_addch(&steps, '{');
    for (size_t i = 0; i < ra->models->n; i++) {
        const char *p = ra->models->v[i].model_id ? ra->models->v[i].model_id : "";
        sbuf_addstr(&ids, i ? ",\"" : "\"");
        for (; *p; p++) {
            if (*p == '"' || *p == '\\')
                sbuf_addch(&ids, '\\');
            sbuf_addch(&ids, *p);
        }
        sbuf_addch(&ids, '"');
        sbuf_addf(&steps, "%s%" PRId64, i ? "," : "", ra->outputs ? ra->models->v[i].step : 0);
    }
    sbuf_addch(&ids, '}');
    sbuf_addch(&steps, '}');
    pg_args_int(&a, run);
    pg_args_int(&a, ra->outputs);
    pg_args_text(&a, ids.buf);
    pg_args_text(&a, steps.buf);
    int rc = pg_do(c, ins, &a, "recording a run's models", err);
    pg_args_release(&a);
    sbuf_release(&ids);
    sbuf_release(&steps);
    return rc;
}

static int pg_log_model_refs(struct store *s, const char *run_id, int outputs,
                             const struct model_ref_list *models, struct ferr *err)
{
    struct refs_arg a = {run_id, outputs, models};
    return pg_write((struct pg *)s, do_log_refs, &a, err);
}

/* ---------- search ---------- */

static int pg_lm_search(struct store *s, const struct logged_model_search *q,
                        struct store_page *page, struct logged_model_list *out, struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    struct sql_frag f;
    struct pg_args args = PG_ARGS_INIT;
    struct pg_conn *c = NULL;
    PGresult *r = NULL;
    int64_t *ids = NULL;
    size_t n = 0;
    int rc = -1;
    sql_frag_init(&f, &pg_dialect);
    if (search_sql_logged_models(q, page->limit + 1, page->offset, &f, err) ||
        !(c = pg_snapshot_get(pg, err)))
        goto out;
    pg_args_frag(&args, &f);
    if (!(r = pg_run_text(c, f.sql.buf, &args, "searching logged models", err)))
        goto out;
    n = (size_t)PQntuples(r);
    if ((int64_t)n > page->limit) {
        page->more = 1;
        n = (size_t)page->limit;
    }
    ids = xmalloc((n ? n : 1) * sizeof(*ids));
    for (size_t i = 0; i < n; i++)
        ids[i] = pg_get_int(r, (int)i, 0);
    ALLOC_GROW(out->v, n, out->alloc);
    if (n)
        memset(out->v, 0, n * sizeof(*out->v));
    if (load_models(c, ids, n, out->v, err))
        goto out;
    out->n = n;
    rc = 0;
out:
    PQclear(r);
    pg_snapshot_put(pg, c);
    pg_args_release(&args);
    sql_frag_release(&f);
    free(ids);
    if (rc)
        logged_model_list_release(out);
    return rc;
}

const struct store_logged_model_ops pg_logged_models = {
    .create = pg_lm_create,
    .get = pg_lm_get,
    .update = pg_lm_update,
    .tags = pg_lm_tags,
    .log_params = pg_lm_log_params,
    .search = pg_lm_search,
    .log_refs = pg_log_model_refs,
};
