/* SPDX-License-Identifier: MIT
 * Runs in the PostgreSQL backend, the translation of store/sqlite/sqlite_runs.c
 * (store.h's tracking contract, the run half): create, update,
 * delete/restore, get, search, and what is logged to them (params, metrics,
 * tags, dataset inputs, models); the datasets search; the lookups the other
 * pg_*.c files share (pg_int.h); and at the end the whole tracking ops
 * table, pg_tracking, whose experiment half is pg_experiments.c. Same
 * behaviour, errors, ordering and paging as the SQLite file.
 *
 * Round trips are what a statement costs here (a context switch to the
 * server and back at least, a network round trip between hosts), so the hot
 * paths take one each: a log-batch or log-metric is one statement whatever
 * it holds (the run's lookup, its points and latest values, params and tags
 * travel as array parameters, unnest), plus one only when a param key was
 * there already; a get-run is one statement (every part of the run, the
 * lookup included), a search two (the ids of the page, then every part of
 * every run of it). SQLite's file takes one statement per row instead.
 *
 * Replicas: what SQLite's single writer made safe is made safe by row
 * locks. The latest value of a metric is decided inside PostgreSQL's upsert
 * (the row is locked), not read and written back; appending to a run's
 * inputs or to its model history locks the run's row first; creating a run
 * share-locks its experiment's row so the experiment cannot be deleted
 * under it. */
#include "store/postgres/pg_int.h"
#include "store/errors.h"
#include "store/postgres/dialect.h"
#include "store/search_sql.h"
#include "base/ftime.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "domain/validate.h"

#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* ---------- array parameters ---------- */

/* PostgreSQL array literals ("{e1,e2}") built element by element, to bind a
 * whole batch to one placeholder. Text elements are double-quoted with '"'
 * and '\' escaped, so any text travels unchanged. */
static void arr_sep(struct sbuf *a)
{
    sbuf_addch(a, a->len ? ',' : '{');
}

static void arr_text(struct sbuf *a, const char *s)
{
    arr_sep(a);
    sbuf_addch(a, '"');
    for (const char *p = s ? s : ""; *p; p++) {
        if (*p == '"' || *p == '\\')
            sbuf_addch(a, '\\');
        sbuf_addch(a, *p);
    }
    sbuf_addch(a, '"');
}

static void arr_int(struct sbuf *a, int64_t v)
{
    arr_sep(a);
    sbuf_addf(a, "%" PRId64, v);
}

/* As pg_args_real: 17 digits round-trip; NaN is 0 (pair it with is_nan). */
static void arr_real(struct sbuf *a, double v)
{
    arr_sep(a);
    if (isnan(v))
        sbuf_addch(a, '0');
    else if (isinf(v))
        sbuf_addstr(a, v > 0 ? "Infinity" : "-Infinity");
    else
        sbuf_addf(a, "%.17g", v);
}

/* Ends the literal and returns its text (valid while a lives). */
static const char *arr_end(struct sbuf *a)
{
    if (!a->len)
        sbuf_addch(a, '{');
    sbuf_addch(a, '}');
    return a->buf;
}

/* ---------- shared lookups ---------- */

static int run_lookup_with(struct pg_conn *c, const char *sql, const char *run_id, int64_t *id,
                           enum lifecycle *lc, int64_t *experiment_id, struct ferr *err)
{
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, run_id);
    PGresult *r = pg_run(c, sql, &a, "looking up a run", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return store_err_run_not_found(err, run_id);
    }
    *id = pg_get_int(r, 0, 0);
    if (lc)
        *lc = !strcmp(pg_get_ref(r, 0, 1), "deleted") ? LIFECYCLE_DELETED : LIFECYCLE_ACTIVE;
    if (experiment_id)
        *experiment_id = pg_get_int(r, 0, 2);
    PQclear(r);
    return 0;
}

int pg_run_lookup(struct pg_conn *c, const char *run_id, int64_t *id, enum lifecycle *lc,
                  int64_t *experiment_id, struct ferr *err)
{
    static const char sql[] =
        "SELECT id, lifecycle_stage, experiment_id FROM runs WHERE run_uuid = $1";
    return run_lookup_with(c, sql, run_id, id, lc, experiment_id, err);
}

int pg_run_active(struct pg_conn *c, const char *run_id, int64_t *id, int64_t *experiment_id,
                  struct ferr *err)
{
    enum lifecycle lc;
    if (pg_run_lookup(c, run_id, id, &lc, experiment_id, err))
        return -1;
    if (lc != LIFECYCLE_ACTIVE)
        return store_err_run_not_active(err, run_id);
    return 0;
}

/* As pg_run_active, the run's row locked until the transaction ends: for
 * read-modify-writes of what belongs to the run (its inputs' positions, its
 * model history), which another replica could otherwise interleave. Does not
 * block logging (a metric's foreign key only takes a key-share lock). */
static int run_active_locked(struct pg_conn *c, const char *run_id, int64_t *id,
                             int64_t *experiment_id, struct ferr *err)
{
    static const char sql[] = "SELECT id, lifecycle_stage, experiment_id FROM runs "
                              "WHERE run_uuid = $1 FOR NO KEY UPDATE";
    enum lifecycle lc;
    if (run_lookup_with(c, sql, run_id, id, &lc, experiment_id, err))
        return -1;
    if (lc != LIFECYCLE_ACTIVE)
        return store_err_run_not_active(err, run_id);
    return 0;
}

static int pg_run_experiment(struct store *s, const char *run_id, int64_t *experiment_id,
                             struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    int64_t id;
    if (!c)
        return -1;
    int rc = pg_run_lookup(c, run_id, &id, NULL, experiment_id, err);
    pg_reader_put(pg, c);
    return rc;
}

/* ---------- loading runs ---------- */

/* Fills out from the info columns of row r, from column at on: run_uuid,
 * name, experiment_id, user_id, status, start_time, end_time, artifact_uri,
 * lifecycle_stage. */
static void fill_info(const PGresult *r, int row, int at, struct run_info *out)
{
    char buf[24];
    memset(out, 0, sizeof(*out));
    out->run_id = pg_get_str(r, row, at);
    out->run_name = pg_get_str(r, row, at + 1);
    snprintf(buf, sizeof(buf), "%" PRId64, pg_get_int(r, row, at + 2));
    out->experiment_id = xstrdup(buf);
    out->user_id = pg_get_str(r, row, at + 3);
    if (run_status_parse(pg_get_ref(r, row, at + 4), &out->status))
        out->status = RUN_RUNNING;
    out->start_time = pg_get_null(r, row, at + 5) ? TIME_NONE : pg_get_int(r, row, at + 5);
    out->end_time = pg_get_null(r, row, at + 6) ? TIME_NONE : pg_get_int(r, row, at + 6);
    out->artifact_uri = pg_get_str(r, row, at + 7);
    out->lifecycle_stage =
        !strcmp(pg_get_ref(r, row, at + 8), "deleted") ? LIFECYCLE_DELETED : LIFECYCLE_ACTIVE;
}

int pg_load_run_info(struct pg_conn *c, int64_t id, struct run_info *out, struct ferr *err)
{
    static const char sql[] = "SELECT run_uuid, name, experiment_id, user_id, status, start_time, "
                              "end_time, artifact_uri, lifecycle_stage FROM runs WHERE id = $1";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, id);
    PGresult *r = pg_run(c, sql, &a, "reading a run", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    if (PQntuples(r) != 1) {
        PQclear(r);
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "run not found");
    }
    fill_info(r, 0, 0, out);
    PQclear(r);
    return 0;
}

/* Everything of the runs RUNS (an array of ids) in one statement, one round
 * trip however many runs and parts: a row per item, its part in column 0
 * (0 info, 1 params, 2 tags, 3 latest metrics, 4 inputs, 5 input tags,
 * 6 model refs), its run in column 1, each part's order in n1, t1, n2 (as
 * sqlite_runs.c orders each: by key; inputs by position; input tags by
 * dataset and key; refs by output, model and step), its values as text in
 * c1.. (a double's text is its shortest exact form, as pg_get_real reads
 * it). One statement is also one snapshot: a run purged meanwhile is wholly
 * there or wholly gone. */
#define LOAD_SQL(RUNS)                                                                             \
    "SELECT 0 AS part, id AS run, 0::bigint AS n1, ''::text COLLATE \"C\" AS t1, 0::bigint AS "    \
    "n2, "                                                                                         \
    "run_uuid AS c1, name AS c2, experiment_id::text AS c3, user_id AS c4, status AS c5, "         \
    "start_time::text AS c6, end_time::text AS c7, artifact_uri AS c8, lifecycle_stage AS c9 "     \
    "FROM runs WHERE id = ANY(" RUNS ") "                                                          \
    "UNION ALL SELECT 1, run, 0, key, 0, key, value, NULL, NULL, NULL, NULL, NULL, NULL, NULL "    \
    "FROM params WHERE run = ANY(" RUNS ") "                                                       \
    "UNION ALL SELECT 2, run, 0, key, 0, key, value, NULL, NULL, NULL, NULL, NULL, NULL, NULL "    \
    "FROM tags WHERE run = ANY(" RUNS ") "                                                         \
    "UNION ALL SELECT 3, run, 0, key, 0, key, value::text, is_nan::text, timestamp::text, "        \
    "step::text, NULL, NULL, NULL, NULL FROM latest_metrics WHERE run = ANY(" RUNS ") "            \
    "UNION ALL SELECT 4, i.run, i.position, '', 0, d.name, d.digest, d.source_type, d.source, "    \
    "d.schema, d.profile, d.id::text, NULL, NULL FROM run_inputs i "                               \
    "JOIN datasets d ON d.id = i.dataset WHERE i.run = ANY(" RUNS ") "                             \
    "UNION ALL SELECT 5, run, dataset, key, 0, key, value, dataset::text, NULL, NULL, NULL, "      \
    "NULL, "                                                                                       \
    "NULL, NULL FROM input_tags WHERE run = ANY(" RUNS ") "                                        \
    "UNION ALL SELECT 6, run, output, model_id, step, model_id, output::text, step::text, NULL, "  \
    "NULL, NULL, NULL, NULL, NULL FROM run_model_refs WHERE run = ANY(" RUNS ") "                  \
    "ORDER BY part, run, n1, t1, n2"

enum { PART_INFO, PART_PARAM, PART_TAG, PART_METRIC, PART_INPUT, PART_INPUT_TAG, PART_REF };
#define C1 5 /* the first value column */

/* Runs being loaded together: v[i] is the run whose id is ids[i] (zeroed
 * on entry), found by id through slots (sorted by id); slots NULL: one run
 * whose id is not known yet (loaded by its uuid), every row is v[0]'s. */
struct slot {
    int64_t id;
    size_t i;
};

struct loading {
    struct run *v;
    size_t n;
    struct slot *slots;
};

static int slot_cmp(const void *a, const void *b)
{
    const struct slot *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

static struct run *run_at(const struct loading *l, const PGresult *r, int row)
{
    if (!l->slots)
        return l->v;
    struct slot key = {pg_get_int(r, row, 1), 0};
    const struct slot *s = bsearch(&key, l->slots, l->n, sizeof(*l->slots), slot_cmp);
    return s ? &l->v[s->i] : NULL;
}

/* An input loaded, by (run, dataset), to hang its tags on. */
struct input_at {
    int64_t run, dataset;
    struct dataset_input *di;
};

static int input_cmp(const void *a, const void *b)
{
    const struct input_at *x = a, *y = b;
    if (x->run != y->run)
        return (x->run > y->run) - (x->run < y->run);
    return (x->dataset > y->dataset) - (x->dataset < y->dataset);
}

/* Input tags, once every input is in place (the inputs arrays no longer
 * move): each finds its input by (run, dataset). */
static void load_input_tags(const struct loading *l, const PGresult *r)
{
    int n = PQntuples(r), ninputs = 0;
    for (int i = 0; i < n; i++)
        ninputs += pg_get_int(r, i, 0) == PART_INPUT;
    if (!ninputs)
        return;
    struct input_at *at = xmalloc((size_t)ninputs * sizeof(*at));
    size_t nat = 0;
    for (size_t k = 0; k < l->n; k++)
        l->v[k].ninputs = 0; /* counted again below, row for row as they were added */
    struct run *run;
    for (int i = 0; i < n; i++)
        if (pg_get_int(r, i, 0) == PART_INPUT && (run = run_at(l, r, i)))
            at[nat++] = (struct input_at){pg_get_int(r, i, 1), pg_get_int(r, i, C1 + 6),
                                          &run->inputs[run->ninputs++]};
    qsort(at, nat, sizeof(*at), input_cmp);
    for (int i = 0; i < n; i++) {
        if (pg_get_int(r, i, 0) != PART_INPUT_TAG)
            continue;
        struct input_at key = {pg_get_int(r, i, 1), pg_get_int(r, i, C1 + 2), NULL};
        const struct input_at *in = bsearch(&key, at, nat, sizeof(*at), input_cmp);
        if (in)
            kv_list_add(&in->di->tags, pg_get_ref(r, i, C1), pg_get_ref(r, i, C1 + 1));
    }
    free(at);
}

/* Spreads the rows of LOAD_SQL over the runs of l. */
static void load_rows(const struct loading *l, const PGresult *r)
{
    for (int i = 0, n = PQntuples(r); i < n; i++) {
        struct run *run = run_at(l, r, i);
        if (!run)
            continue;
        const char *c1 = pg_get_ref(r, i, C1), *c2 = pg_get_ref(r, i, C1 + 1);
        switch (pg_get_int(r, i, 0)) {
        case PART_INFO:
            fill_info(r, i, C1, &run->info);
            break;
        case PART_PARAM:
            kv_list_add(&run->params, c1, c2);
            break;
        case PART_TAG:
            kv_list_add(&run->tags, c1, c2);
            break;
        case PART_METRIC:
            metric_list_add(&run->metrics, c1, pg_get_real(r, i, C1 + 1, C1 + 2),
                            pg_get_int(r, i, C1 + 3), pg_get_int(r, i, C1 + 4));
            break;
        case PART_INPUT: {
            ALLOC_GROW(run->inputs, run->ninputs + 1, run->ainputs);
            struct dataset_input *di = &run->inputs[run->ninputs++];
            memset(di, 0, sizeof(*di));
            di->dataset.name = pg_get_str(r, i, C1);
            di->dataset.digest = pg_get_str(r, i, C1 + 1);
            di->dataset.source_type = pg_get_str(r, i, C1 + 2);
            di->dataset.source = pg_get_str(r, i, C1 + 3);
            di->dataset.schema = pg_get_str_or_null(r, i, C1 + 4);
            di->dataset.profile = pg_get_str_or_null(r, i, C1 + 5);
            break;
        }
        case PART_REF:
            model_ref_list_add(pg_get_int(r, i, C1 + 1) ? &run->model_outputs : &run->model_inputs,
                               c1, pg_get_int(r, i, C1 + 2));
            break;
        default: /* PART_INPUT_TAG: load_input_tags */
            break;
        }
    }
    load_input_tags(l, r);
}

/* Loads the n runs ids names into v (zeroed; on failure the caller releases
 * them). A run that is gone (purged meanwhile) is left with no run_id. */
static int load_runs(struct pg_conn *c, const int64_t *ids, size_t n, struct run *v,
                     struct ferr *err)
{
    static const char sql[] = LOAD_SQL("$1::bigint[]");
    struct loading l = {v, n, xmalloc((n ? n : 1) * sizeof(struct slot))};
    struct sbuf lit = SBUF_INIT;
    for (size_t i = 0; i < n; i++) {
        l.slots[i] = (struct slot){ids[i], i};
        arr_int(&lit, ids[i]);
    }
    qsort(l.slots, n, sizeof(*l.slots), slot_cmp);
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, arr_end(&lit));
    PGresult *r = pg_run(c, sql, &a, "reading runs", err);
    pg_args_release(&a);
    sbuf_release(&lit);
    if (r) {
        load_rows(&l, r);
        PQclear(r);
    }
    free(l.slots);
    return r ? 0 : -1;
}

int pg_load_run(struct pg_conn *c, int64_t id, struct run *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (load_runs(c, &id, 1, out, err)) {
        run_release(out);
        return -1;
    }
    if (!out->info.run_id) {
        run_release(out);
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "run not found");
    }
    return 0;
}

int pg_load_model_refs(struct pg_conn *c, int64_t run, struct run *out, struct ferr *err)
{
    static const char sql[] = "SELECT output, model_id, step FROM run_model_refs WHERE run = $1 "
                              "ORDER BY output, model_id, step";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, run);
    PGresult *r = pg_run(c, sql, &a, "reading a run's models", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    for (int i = 0, n = PQntuples(r); i < n; i++)
        model_ref_list_add(pg_get_int(r, i, 0) ? &out->model_outputs : &out->model_inputs,
                           pg_get_ref(r, i, 1), pg_get_int(r, i, 2));
    PQclear(r);
    return 0;
}

/* By its uuid, in the one statement (the lookup is LOAD_SQL's run set). */
static int pg_get_run(struct store *s, const char *run_id, struct run *out, struct ferr *err)
{
    static const char sql[] = LOAD_SQL("ARRAY(SELECT id FROM runs WHERE run_uuid = $1)");
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, run_id);
    PGresult *r = pg_run(c, sql, &a, "reading a run", err);
    pg_args_release(&a);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    struct loading l = {out, 1, NULL};
    memset(out, 0, sizeof(*out));
    load_rows(&l, r);
    PQclear(r);
    if (!out->info.run_id) {
        run_release(out);
        return store_err_run_not_found(err, run_id);
    }
    return 0;
}

/* ---------- tags ---------- */

int pg_set_run_tag(struct pg_conn *c, int64_t run, const char *key, const char *value,
                   struct ferr *err)
{
    static const char upsert[] =
        "INSERT INTO tags (run, experiment_id, key, value) "
        "VALUES ($1, (SELECT experiment_id FROM runs WHERE id = $1), $2, $3) "
        "ON CONFLICT (run, key) DO UPDATE SET value = excluded.value";
    static const char rename[] = "UPDATE runs SET name = $1 WHERE id = $2";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, run);
    pg_args_text(&a, key);
    pg_args_text(&a, value);
    int rc = pg_do(c, upsert, &a, "setting a tag", err);
    /* The run name and the mlflow.runName tag are one value, as in MLflow. */
    if (!rc && !strcmp(key, TAG_RUN_NAME)) {
        pg_args_clear(&a);
        pg_args_text(&a, value);
        pg_args_int(&a, run);
        rc = pg_do(c, rename, &a, "renaming a run", err);
    }
    pg_args_release(&a);
    return rc;
}

/* Tags to set together, keys and values as array literals. */
struct tag_batch {
    struct sbuf keys, values;
};

#define TAG_BATCH_INIT                                                                             \
    {                                                                                              \
        SBUF_INIT, SBUF_INIT                                                                       \
    }

static void tag_batch_add(struct tag_batch *t, const char *key, const char *value)
{
    arr_text(&t->keys, key);
    arr_text(&t->values, value);
}

static void tag_batch_release(struct tag_batch *t)
{
    sbuf_release(&t->keys);
    sbuf_release(&t->values);
}

/* Sets the batch's tags on run in one statement, as pg_set_run_tag on each
 * in turn would: a key given twice keeps its last value, and an
 * mlflow.runName renames the run. Rows are written in key order, so two
 * replicas writing tags of one run lock them in the same order. */
static int put_tags(struct pg_conn *c, int64_t run, struct tag_batch *t, struct ferr *err)
{
    static const char sql[] =
        "WITH u AS (SELECT DISTINCT ON (k) k, v FROM unnest($2::text[], $3::text[]) "
        "WITH ORDINALITY AS u(k, v, o) ORDER BY k, o DESC), "
        "t AS (INSERT INTO tags (run, experiment_id, key, value) SELECT $1::bigint, "
        "(SELECT experiment_id FROM runs WHERE id = $1::bigint), k, v FROM u "
        "ON CONFLICT (run, key) DO UPDATE SET value = excluded.value) "
        "UPDATE runs SET name = u.v FROM u WHERE runs.id = $1::bigint AND u.k = '" TAG_RUN_NAME
        "' AND runs.name <> u.v";
    if (!t->keys.len)
        return 0;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, run);
    pg_args_text(&a, arr_end(&t->keys));
    pg_args_text(&a, arr_end(&t->values));
    int rc = pg_do(c, sql, &a, "setting tags", err);
    pg_args_release(&a);
    return rc;
}

/* ---------- create, update, delete, restore ---------- */

struct create_run {
    const struct store_run_new *run;
    int64_t id;
};

static int do_create_run(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    /* FOR SHARE: the experiment cannot be deleted (by another replica)
     * until this run is in. */
    static const char exp_sql[] = "SELECT lifecycle_stage, artifact_location FROM experiments "
                                  "WHERE experiment_id = $1 FOR SHARE";
    static const char ins[] =
        "INSERT INTO runs (run_uuid, name, experiment_id, user_id, status, start_time, "
        "artifact_uri, lifecycle_stage) VALUES ($1, $2, $3, $4, 'RUNNING', $5, $6, 'active') "
        "RETURNING id";
    struct create_run *cr = arg;
    const struct store_run_new *r = cr->run;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, r->experiment_id);
    PGresult *res = pg_run(c, exp_sql, &a, "reading an experiment", err);
    pg_args_clear(&a);
    if (!res) {
        pg_args_release(&a);
        return -1;
    }
    int rc = 0;
    if (PQntuples(res) != 1)
        rc = store_err_experiment_not_found(err, r->experiment_id);
    else if (!strcmp(pg_get_ref(res, 0, 0), "deleted"))
        rc = store_err_experiment_not_active(err, r->experiment_id);
    if (rc) {
        PQclear(res);
        pg_args_release(&a);
        return -1;
    }
    struct sbuf uri = SBUF_INIT;
    sbuf_addf(&uri, "%s/%s/artifacts", pg_get_ref(res, 0, 1), r->run_id);
    PQclear(res);

    pg_args_text(&a, r->run_id);
    pg_args_text(&a, r->name);
    pg_args_int(&a, r->experiment_id);
    pg_args_text(&a, r->user);
    pg_args_int(&a, r->start_time);
    pg_args_text(&a, uri.buf);
    res = pg_run(c, ins, &a, "creating a run", err);
    pg_args_release(&a);
    sbuf_release(&uri);
    if (!res)
        return -1;
    cr->id = pg_get_int(res, 0, 0);
    PQclear(res);
    /* Every tag but mlflow.runName, then mlflow.runName = the name. */
    struct tag_batch t = TAG_BATCH_INIT;
    const struct kv_list *tags = r->tags;
    for (size_t i = 0; tags && i < tags->n; i++)
        if (strcmp(tags->v[i].key, TAG_RUN_NAME))
            tag_batch_add(&t, tags->v[i].key, tags->v[i].value);
    tag_batch_add(&t, TAG_RUN_NAME, r->name);
    rc = put_tags(c, cr->id, &t, err);
    tag_batch_release(&t);
    return rc;
}

static int pg_create_run(struct store *s, const struct store_run_new *run, struct run *out,
                         struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    struct create_run cr = {run, -1};
    if (pg_write(pg, do_create_run, &cr, err))
        return -1;
    if (!out)
        return 0;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    int rc = pg_load_run(c, cr.id, out, err);
    pg_reader_put(pg, c);
    return rc;
}

struct update_run {
    const char *run_id;
    enum run_status status;
    int64_t end_time;
    const char *run_name;
    int64_t id;
};

static int do_update_run(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char sql[] = "UPDATE runs SET status = coalesce($1::text, status), "
                              "end_time = coalesce($2::bigint, end_time) WHERE id = $3";
    struct update_run *u = arg;
    if (pg_run_active(c, u->run_id, &u->id, NULL, err))
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    if (u->status != RUN_STATUS_NONE)
        pg_args_text(&a, run_status_name(u->status));
    else
        pg_args_null(&a);
    if (u->end_time != TIME_NONE)
        pg_args_int(&a, u->end_time);
    else
        pg_args_null(&a);
    pg_args_int(&a, u->id);
    int rc = pg_do(c, sql, &a, "updating a run", err);
    pg_args_release(&a);
    if (rc)
        return -1;
    if (u->run_name && *u->run_name)
        return pg_set_run_tag(c, u->id, TAG_RUN_NAME, u->run_name, err);
    return 0;
}

static int pg_update_run(struct store *s, const char *run_id, enum run_status status,
                         int64_t end_time, const char *run_name, struct run_info *out,
                         struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    struct update_run u = {run_id, status, end_time, run_name, -1};
    if (pg_write(pg, do_update_run, &u, err))
        return -1;
    if (!out)
        return 0;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    int rc = pg_load_run_info(c, u.id, out, err);
    pg_reader_put(pg, c);
    return rc;
}

struct run_lifecycle {
    const char *run_id;
    enum lifecycle to;
};

static int do_set_run_lifecycle(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char sql[] =
        "UPDATE runs SET lifecycle_stage = $1, deleted_time = $2::bigint WHERE id = $3";
    /* FOR SHARE: a restored run's experiment stays active until it is in. */
    static const char exp_sql[] =
        "SELECT lifecycle_stage FROM experiments WHERE experiment_id = $1 FOR SHARE";
    struct run_lifecycle *rl = arg;
    int64_t id, eid;
    enum lifecycle lc;
    struct pg_args a = PG_ARGS_INIT;
    if (pg_run_lookup(c, rl->run_id, &id, &lc, &eid, err))
        return -1;
    if (rl->to == LIFECYCLE_ACTIVE) {
        pg_args_int(&a, eid);
        PGresult *r = pg_run(c, exp_sql, &a, "reading an experiment", err);
        pg_args_clear(&a);
        if (!r) {
            pg_args_release(&a);
            return -1;
        }
        int deleted = PQntuples(r) == 1 && !strcmp(pg_get_ref(r, 0, 0), "deleted");
        PQclear(r);
        if (deleted) {
            pg_args_release(&a);
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "cannot restore run %s: its experiment %" PRId64 " is deleted",
                            rl->run_id, eid);
        }
    }
    pg_args_text(&a, lifecycle_name(rl->to));
    if (rl->to == LIFECYCLE_DELETED)
        pg_args_int(&a, ftime_now_ms());
    else
        pg_args_null(&a);
    pg_args_int(&a, id);
    int rc = pg_do(c, sql, &a, "updating a run", err);
    pg_args_release(&a);
    return rc;
}

static int pg_set_run_lifecycle(struct store *s, const char *run_id, enum lifecycle to,
                                struct ferr *err)
{
    struct run_lifecycle rl = {run_id, to};
    return pg_write((struct pg *)s, do_set_run_lifecycle, &rl, err);
}

/* ---------- log-batch: params, metrics, tags ---------- */

struct batch {
    const char *run_id;
    const struct metric_list *metrics;
    const struct kv_list *params;
    const struct kv_list *tags;
};

/* A log-batch in one statement (the hot path of log-metric and log-batch):
 * the run's lookup, then, only if it is active, every point of the batch
 * ($2..$6: keys, steps, timestamps, values, is_nan) and per key its latest
 * value ($7..$11, the same columns, one element per key, chosen by
 * latest_points); BATCH_SQL adds the params ($12, $13) and tags ($14, $15).
 *
 * Points: the history rows (identical points are stored once, the primary
 * key); per key the point MLflow calls latest, the greatest (step,
 * timestamp, value) with NaN compared as 0 as it is stored, the first of
 * equals in the batch's order, upserted where it beats the stored one (the
 * row is locked meanwhile: replicas cannot lose a later value). The latest
 * points are picked here rather than by a DISTINCT ON in the statement:
 * that sorted every point of the batch on five columns inside PostgreSQL
 * (7.5% of the server's CPU in a perf profile for 1000 points of one key).
 * Params: new keys inserted, the count of them returned, so the caller
 * compares values only when some key was there already. Tags: as
 * pg_set_run_tag on each in turn, a key given twice keeps its last value and
 * an mlflow.runName renames the run (a name unchanged is not written again).
 * Keys are written in key order (latest_points sorts them byte-wise, and
 * an unnest joined to the one row of a yields its elements in order), so two
 * replicas writing one run lock its rows in the same order. The result: the
 * run's id and lifecycle (no row: no such run) and the number of params
 * inserted. The run's row is locked FOR KEY SHARE: the metrics table has
 * no foreign key (schema v13 says why), so this lock is what keeps the run
 * from being deleted under the batch. */
#define BATCH_POINTS_(on_conflict)                                                                 \
    "WITH r AS (SELECT id, experiment_id, lifecycle_stage FROM runs WHERE run_uuid = $1 "          \
    "FOR KEY SHARE), "                                                                             \
    "a AS (SELECT id, experiment_id FROM r WHERE lifecycle_stage = 'active'), "                    \
    "m AS (INSERT INTO metrics (run, key, step, timestamp, value, is_nan) "                        \
    "SELECT a.id, u.k, u.s, u.t, u.v, u.n FROM a, unnest($2::text[], $3::bigint[], "               \
    "$4::bigint[], $5::double precision[], $6::integer[]) AS u(k, s, t, v, n) " on_conflict "), "  \
    "l AS (INSERT INTO latest_metrics (run, experiment_id, key, value, is_nan, timestamp, step) "  \
    "SELECT a.id, a.experiment_id, u.k, u.v, u.n, u.t, u.s "                                       \
    "FROM a, unnest($7::text[], $8::bigint[], $9::bigint[], $10::double precision[], "             \
    "$11::integer[]) AS u(k, s, t, v, n) "                                                         \
    "ON CONFLICT (run, key) DO UPDATE SET value = excluded.value, "                                \
    "is_nan = excluded.is_nan, timestamp = excluded.timestamp, step = excluded.step "              \
    "WHERE (excluded.step, excluded.timestamp, excluded.value) > "                                 \
    "(latest_metrics.step, latest_metrics.timestamp, latest_metrics.value))"

#define BATCH_POINTS BATCH_POINTS_("ON CONFLICT DO NOTHING")

static const char points_sql[] = BATCH_POINTS " SELECT id, lifecycle_stage, 0 FROM r";

/* points_sql without the ON CONFLICT on metrics: a point stored already
 * fails it (unique_violation) instead of being skipped. PostgreSQL's
 * speculative insertion (a probe of the key, then the insert) made a
 * 1,000-point insert ~30% slower (EXPLAIN ANALYZE: 11 ms against 7.8);
 * a point sent twice is rare (a client's retry), so this goes first and
 * points_sql after it only when it failed (pg_pipe's fast_sql). */
static const char points_fast_sql[] = BATCH_POINTS_("") " SELECT id, lifecycle_stage, 0 FROM r";

static const char batch_sql[] =
    BATCH_POINTS ", p AS (INSERT INTO params (run, experiment_id, key, value) "
                 "SELECT a.id, a.experiment_id, pu.k, pu.v "
                 "FROM a, unnest($12::text[], $13::text[]) AS pu(k, v) "
                 "ON CONFLICT (run, key) DO NOTHING RETURNING 1), "
                 "tu AS (SELECT DISTINCT ON (k) k, v FROM unnest($14::text[], $15::text[]) "
                 "WITH ORDINALITY AS t(k, v, o) ORDER BY k, o DESC), "
                 "t AS (INSERT INTO tags (run, experiment_id, key, value) "
                 "SELECT a.id, a.experiment_id, tu.k, tu.v FROM a, tu "
                 "ON CONFLICT (run, key) DO UPDATE SET value = excluded.value), "
                 "n AS (UPDATE runs SET name = tu.v FROM a, tu WHERE runs.id = a.id "
                 "AND tu.k = '" TAG_RUN_NAME "' AND runs.name <> tu.v) "
                 "SELECT id, lifecycle_stage, (SELECT count(*) FROM p) FROM r";

/* A point of the batch with its position, for latest_points. */
struct point_ref {
    const struct metric *m;
    size_t pos;
};

/* The value as stored and compared: NaN is 0 (its is_nan says the rest). */
static double stored_value(double v)
{
    return isnan(v) ? 0 : v;
}

static const char *key_of(const struct metric *m)
{
    return m->key ? m->key : "";
}

static int cmp3(int64_t a, int64_t b)
{
    return (a > b) - (a < b);
}

/* Key ascending, then (step, timestamp, stored value) descending, then the
 * batch's order: the first of each key is its latest point. */
static int point_ref_cmp(const void *pa, const void *pb)
{
    const struct point_ref *a = pa, *b = pb;
    int c = strcmp(key_of(a->m), key_of(b->m));
    if (c)
        return c;
    if ((c = cmp3(b->m->step, a->m->step)) || (c = cmp3(b->m->timestamp, a->m->timestamp)))
        return c;
    double va = stored_value(a->m->value), vb = stored_value(b->m->value);
    if (va != vb)
        return va < vb ? 1 : -1;
    return (a->pos > b->pos) - (a->pos < b->pos);
}

/* Per key of ml, in byte order of the keys, the point the latest_metrics
 * upsert is offered: what "DISTINCT ON (k) ... ORDER BY k, s DESC, t DESC,
 * v DESC, o" selected in PostgreSQL (keys are equal there exactly when
 * their bytes are; a double's text round-trips, and -0 equals 0 in both).
 * Returns a new array of *n_out pointers into ml (NULL when empty). */
static const struct metric **latest_points(const struct metric_list *ml, size_t *n_out)
{
    size_t n = ml ? ml->n : 0, k = 0;
    *n_out = 0;
    if (!n)
        return NULL;
    struct point_ref *refs = xcalloc(n, sizeof(*refs));
    const struct metric **out = xcalloc(n, sizeof(*out));
    for (size_t i = 0; i < n; i++)
        refs[i] = (struct point_ref){&ml->v[i], i};
    qsort(refs, n, sizeof(*refs), point_ref_cmp);
    for (size_t i = 0; i < n; i++)
        if (!i || strcmp(key_of(refs[i].m), key_of(refs[i - 1].m)))
            out[k++] = refs[i].m;
    free(refs);
    *n_out = k;
    return out;
}

/* Params are immutable: a key logged already with another value is the
 * error sqlite_runs.c gives for the first such param in the batch's order
 * (the front refuses a batch naming a key twice). A statement of its own,
 * after the batch's: it must see a value another replica committed while
 * the insert waited on its key. $2, $3: the keys and values. */
static int check_params(struct pg_conn *c, int64_t run, const char *run_id, const char *keys,
                        const char *values, struct ferr *err)
{
    static const char changed[] =
        "SELECT u.k, p.value, u.v FROM unnest($2::text[], $3::text[]) WITH ORDINALITY "
        "AS u(k, v, o) JOIN params p ON p.run = $1 AND p.key = u.k "
        "WHERE p.value <> u.v ORDER BY u.o LIMIT 1";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, run);
    pg_args_text(&a, keys);
    pg_args_text(&a, values);
    PGresult *r = pg_run(c, changed, &a, "reading a param", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int rc = 0;
    if (PQntuples(r) == 1)
        rc = store_err_param_changed(err, pg_get_ref(r, 0, 0), pg_get_ref(r, 0, 1), run_id,
                                     pg_get_ref(r, 0, 2));
    PQclear(r);
    return rc;
}

static int names_a_model(const struct metric_list *ml)
{
    for (size_t i = 0; ml && i < ml->n; i++)
        if (ml->v[i].model_id)
            return 1;
    return 0;
}

/* The batch's arrays: points (key, step, timestamp, value, is_nan), the
 * latest point of each key (the same columns), params (key, value), tags
 * (key, value). */
enum {
    A_KEY,
    A_STEP,
    A_TS,
    A_VALUE,
    A_NAN,
    A_LKEY,
    A_LSTEP,
    A_LTS,
    A_LVALUE,
    A_LNAN,
    A_PKEY,
    A_PVALUE,
    A_TKEY,
    A_TVALUE,
    A_N
};

/* One point into the five arrays starting at arr[first]. */
static void arr_point(struct sbuf *arr, int first, const struct metric *m)
{
    arr_text(&arr[first], m->key);
    arr_int(&arr[first + 1], m->step);
    arr_int(&arr[first + 2], m->timestamp);
    arr_real(&arr[first + 3], m->value);
    arr_int(&arr[first + 4], isnan(m->value));
}

/* The batch's arrays into arr (A_N of them), and the statement's
 * arguments into a (borrowing arr's text): the points-only statement's
 * when the batch has neither params nor tags. Returns the statement. */
static const char *batch_args(const struct batch *b, struct sbuf *arr, struct pg_args *a)
{
    size_t nm = b->metrics ? b->metrics->n : 0, np = b->params ? b->params->n : 0,
           nt = b->tags ? b->tags->n : 0;
    for (int i = 0; i < A_N; i++)
        arr[i] = (struct sbuf)SBUF_INIT;
    for (size_t i = 0; i < nm; i++)
        arr_point(arr, A_KEY, &b->metrics->v[i]);
    size_t nl;
    const struct metric **latest = latest_points(b->metrics, &nl);
    for (size_t i = 0; i < nl; i++)
        arr_point(arr, A_LKEY, latest[i]);
    free(latest);
    for (size_t i = 0; i < np; i++) {
        arr_text(&arr[A_PKEY], b->params->v[i].key);
        arr_text(&arr[A_PVALUE], b->params->v[i].value);
    }
    for (size_t i = 0; i < nt; i++) {
        arr_text(&arr[A_TKEY], b->tags->v[i].key);
        arr_text(&arr[A_TVALUE], b->tags->v[i].value);
    }
    pg_args_text(a, b->run_id);
    int nargs = np || nt ? A_N : A_PKEY; /* the points-only statement takes no more */
    for (int i = 0; i < nargs; i++)
        pg_args_text(a, arr_end(&arr[i]));
    return nargs == A_N ? batch_sql : points_sql;
}

/* The statement's one row: no row, no such run; a deleted run wrote
 * nothing (the statement writes only into an active run). */
static int batch_result(const PGresult *r, const char *run_id, int64_t *run, int64_t *inserted,
                        struct ferr *err)
{
    if (PQntuples(r) != 1)
        return store_err_run_not_found(err, run_id);
    if (!strcmp(pg_get_ref(r, 0, 1), "deleted"))
        return store_err_run_not_active(err, run_id);
    *run = pg_get_int(r, 0, 0);
    *inserted = pg_get_int(r, 0, 2);
    return 0;
}

static int do_log_batch(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    struct batch *b = arg;
    size_t np = b->params ? b->params->n : 0;
    struct sbuf arr[A_N];
    struct pg_args a = PG_ARGS_INIT;
    const char *sql = batch_args(b, arr, &a);
    PGresult *r = pg_run(c, sql, &a, "logging a batch", err);
    pg_args_release(&a);
    int64_t run = 0, inserted = 0;
    int rc = r ? batch_result(r, b->run_id, &run, &inserted, err) : -1;
    PQclear(r);
    /* The errors in sqlite_runs.c's order (run, params, logged models):
     * what the statement wrote is undone by the failure. */
    if (!rc && inserted < (int64_t)np)
        rc = check_params(c, run, b->run_id, arr[A_PKEY].buf, arr[A_PVALUE].buf, err);
    if (!rc && names_a_model(b->metrics))
        rc = pg_put_model_metrics(c, b->run_id, b->metrics, err);
    for (int i = 0; i < A_N; i++)
        sbuf_release(&arr[i]);
    return rc;
}

/* pg_pipe's finish for the points-only statement. */
static int points_finish(const PGresult *r, void *arg, struct ferr *err)
{
    int64_t run, inserted;
    return batch_result(r, arg, &run, &inserted, err);
}

static int pg_log_batch(struct store *s, const char *run_id, const struct metric_list *metrics,
                        const struct kv_list *params, const struct kv_list *tags, struct ferr *err)
{
    struct batch b = {run_id, metrics, params, tags};
    if ((params && params->n) || (tags && tags->n) || names_a_model(metrics))
        return pg_write((struct pg *)s, do_log_batch, &b, err);
    /* Points alone are one statement, and stored once however often they
     * arrive (the metrics key, the latest upsert): the hot path of
     * log-metric, in one round trip, and concurrent ones share one
     * (pg_write_piped). The arrays are formatted here, in the request's
     * thread, not in the group's leader. */
    struct sbuf arr[A_N];
    struct pg_args a = PG_ARGS_INIT;
    const char *sql = batch_args(&b, arr, &a);
    struct pg_pipe p = {sql, points_fast_sql, &a, "logging a batch", points_finish, (void *)run_id};
    int rc = pg_write_piped((struct pg *)s, &p, err);
    pg_args_release(&a);
    for (int i = 0; i < A_N; i++)
        sbuf_release(&arr[i]);
    return rc;
}

struct del_tag {
    const char *run_id;
    const char *key;
};

static int do_delete_tag(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char sql[] = "DELETE FROM tags WHERE run = $1 AND key = $2";
    struct del_tag *d = arg;
    int64_t run;
    if (pg_run_active(c, d->run_id, &run, NULL, err))
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, run);
    pg_args_text(&a, d->key);
    PGresult *r = pg_run(c, sql, &a, "deleting a tag", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int64_t deleted = pg_affected(r);
    PQclear(r);
    if (deleted == 0)
        return store_err_run_tag_not_found(err, d->key, d->run_id);
    return 0;
}

static int pg_delete_tag(struct store *s, const char *run_id, const char *key, struct ferr *err)
{
    struct del_tag d = {run_id, key};
    return pg_write((struct pg *)s, do_delete_tag, &d, err);
}

/* ---------- dataset inputs ---------- */

struct inputs {
    const char *run_id;
    const struct dataset_input *v;
    size_t n;
};

static int put_input(struct pg_conn *c, int64_t run, int64_t eid, const struct dataset_input *di,
                     struct ferr *err)
{
    static const char ds_ins[] =
        "INSERT INTO datasets (experiment_id, name, digest, source_type, source, schema, "
        "profile) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (experiment_id, name, digest) "
        "DO NOTHING RETURNING id";
    /* A statement of its own: it sees a row another replica committed
     * while the insert above waited on its key. */
    static const char ds_get[] =
        "SELECT id FROM datasets WHERE experiment_id = $1 AND name = $2 AND digest = $3";
    static const char link[] = "INSERT INTO run_inputs (run, dataset, position) VALUES "
                               "($1, $2, (SELECT count(*) FROM run_inputs WHERE run = $1)) "
                               "ON CONFLICT DO NOTHING";
    static const char tag[] = "INSERT INTO input_tags (run, dataset, key, value) "
                              "SELECT $1::bigint, $2::bigint, k, v "
                              "FROM unnest($3::text[], $4::text[]) AS u(k, v) "
                              "ON CONFLICT DO NOTHING";
    const struct dataset *d = &di->dataset;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, eid);
    pg_args_text(&a, d->name);
    pg_args_text(&a, d->digest);
    pg_args_text(&a, d->source_type);
    pg_args_text(&a, d->source);
    pg_args_text(&a, d->schema);
    pg_args_text(&a, d->profile);
    PGresult *r = pg_run(c, ds_ins, &a, "logging a dataset", err);
    pg_args_clear(&a);
    if (r && PQntuples(r) == 0) { /* present already */
        PQclear(r);
        pg_args_int(&a, eid);
        pg_args_text(&a, d->name);
        pg_args_text(&a, d->digest);
        r = pg_run(c, ds_get, &a, "reading a dataset", err);
        pg_args_clear(&a);
        if (r && PQntuples(r) != 1) { /* the unique key said it is there */
            PQclear(r);
            r = NULL;
            ferr_set(err, FERR_INTERNAL_ERROR, "database error while reading a dataset");
        }
    }
    if (!r) {
        pg_args_release(&a);
        return -1;
    }
    int64_t ds = pg_get_int(r, 0, 0);
    PQclear(r);

    pg_args_int(&a, run);
    pg_args_int(&a, ds);
    r = pg_run(c, link, &a, "linking a dataset", err);
    if (!r) {
        pg_args_release(&a);
        return -1;
    }
    int64_t linked = pg_affected(r);
    PQclear(r);
    /* Already an input of this run: MLflow keeps the first record, tags too. */
    if (linked == 0 || !di->tags.n) {
        pg_args_release(&a);
        return 0;
    }
    struct sbuf keys = SBUF_INIT, values = SBUF_INIT;
    for (size_t i = 0; i < di->tags.n; i++) {
        arr_text(&keys, di->tags.v[i].key);
        arr_text(&values, di->tags.v[i].value);
    }
    pg_args_text(&a, arr_end(&keys));
    pg_args_text(&a, arr_end(&values));
    int rc = pg_do(c, tag, &a, "tagging a dataset input", err);
    pg_args_release(&a);
    sbuf_release(&keys);
    sbuf_release(&values);
    return rc;
}

static int do_log_inputs(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    struct inputs *in = arg;
    int64_t run, eid;
    /* Locked: an input's position is the count of the run's inputs. */
    if (run_active_locked(c, in->run_id, &run, &eid, err))
        return -1;
    for (size_t i = 0; i < in->n; i++)
        if (put_input(c, run, eid, &in->v[i], err))
            return -1;
    return 0;
}

static int pg_log_inputs(struct store *s, const char *run_id, const struct dataset_input *inputs,
                         size_t n, struct ferr *err)
{
    struct inputs in = {run_id, inputs, n};
    return pg_write((struct pg *)s, do_log_inputs, &in, err);
}

/* ---------- logged models (the run's history tag; its refs are written by
 * pg_logged_models.c, which logs them as the logged-models table's log_refs) ---------- */

struct log_model {
    const char *run_id;
    const char *model_json;
};

static int do_log_model(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char get[] = "SELECT value FROM tags WHERE run = $1 AND key = $2";
    struct log_model *lm = arg;
    int64_t run;
    /* Locked: the history is read, appended to and written back. */
    if (run_active_locked(c, lm->run_id, &run, NULL, err))
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, run);
    pg_args_text(&a, TAG_LOGGED_MODELS);
    PGresult *r = pg_run(c, get, &a, "reading a tag", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    json_t *hist = NULL;
    if (PQntuples(r) == 1)
        hist = json_loads(pg_get_ref(r, 0, 0), 0, NULL);
    PQclear(r);
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
                 : pg_set_run_tag(c, run, TAG_LOGGED_MODELS, text, err);
    free(text);
    return rc;
}

static int pg_log_model(struct store *s, const char *run_id, const char *model_json,
                        struct ferr *err)
{
    struct log_model lm = {run_id, model_json};
    return pg_write((struct pg *)s, do_log_model, &lm, err);
}

/* ---------- searches ---------- */

static int pg_search_datasets(struct store *s, const int64_t *experiment_ids, size_t n,
                              int64_t limit, struct dataset_summary_list *out, struct ferr *err)
{
    /* Each (experiment, dataset, context) once; a run without the context
     * tag gives a NULL context, as MLflow's outer join does, sorted first
     * as SQLite sorts NULL. Written as index lookups whatever the plan: the
     * experiments' datasets (by the unique key), each one's inputs (by
     * dataset) and each input's tag (by primary key), so the cost follows
     * what the experiments hold, not the size of run_inputs (a join there
     * may hash the whole table). */
    static const char sql[] =
        "SELECT d.experiment_id, d.name, d.digest, c.value FROM datasets d "
        "CROSS JOIN LATERAL (SELECT DISTINCT (SELECT t.value FROM input_tags t "
        "WHERE t.run = i.run AND t.dataset = i.dataset AND t.key = 'mlflow.data.context') "
        "AS value FROM run_inputs i WHERE i.dataset = d.id) c "
        "WHERE d.experiment_id = ANY($1::bigint[]) "
        "ORDER BY d.experiment_id, d.name, d.digest, c.value NULLS FIRST LIMIT $2";
    struct pg *pg = (struct pg *)s;
    struct sbuf ids = SBUF_INIT;
    for (size_t i = 0; i < n; i++)
        arr_int(&ids, experiment_ids[i]);
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, arr_end(&ids));
    pg_args_int(&a, limit);
    PGresult *r = NULL;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (c) {
        r = pg_run(c, sql, &a, "searching datasets", err);
        pg_reader_put(pg, c);
    }
    pg_args_release(&a);
    sbuf_release(&ids);
    if (!r)
        return -1;
    for (int i = 0, rows = PQntuples(r); i < rows; i++) {
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        struct dataset_summary *d = &out->v[out->n++];
        d->experiment_id = pg_get_str(r, i, 0);
        d->name = pg_get_str(r, i, 1);
        d->digest = pg_get_str(r, i, 2);
        d->context = pg_get_str_or_null(r, i, 3);
    }
    PQclear(r);
    return 0;
}

static int pg_search_runs(struct store *s, const struct run_search *q, struct store_page *page,
                          struct run_list *out, struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    struct sql_frag f;
    sql_frag_init(&f, &pg_dialect);
    if (search_sql_runs(q, page->limit + 1, page->offset, &f, err)) {
        sql_frag_release(&f);
        return -1;
    }
    struct pg_args a = PG_ARGS_INIT;
    int64_t *ids = NULL;
    int rc = -1;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        goto out;
    pg_args_frag(&a, &f);
    /* Planned at each search with its values, not prepared: a prepared
     * statement goes to a generic plan after five runs, one plan for every
     * experiment, and experiments differ by orders of magnitude. Beside a
     * 100,000-run experiment the generic plan took 100-109 ms where its own
     * plan took 67-76 ms (planning costs ~0.5-1 ms, what a 5,000-run
     * search gained by preparing). */
    PGresult *r = pg_run_text(c, f.sql.buf, &a, "searching runs", err);
    if (!r)
        goto out;
    int rows = PQntuples(r);
    if ((int64_t)rows > page->limit) {
        page->more = 1;
        rows = (int)page->limit;
    }
    size_t n = (size_t)rows;
    ids = xmalloc((n ? n : 1) * sizeof(*ids));
    for (size_t i = 0; i < n; i++)
        ids[i] = pg_get_int(r, (int)i, 0);
    PQclear(r);
    if (n) {
        out->v = xcalloc(n, sizeof(*out->v));
        out->n = out->alloc = n;
        if (load_runs(c, ids, n, out->v, err))
            goto out;
    }
    /* A run purged between the search and the loading is left out. */
    size_t kept = 0;
    for (size_t i = 0; i < out->n; i++) {
        if (out->v[i].info.run_id)
            out->v[kept++] = out->v[i];
        else
            run_release(&out->v[i]);
    }
    out->n = kept;
    rc = 0;
out:
    pg_reader_put(pg, c);
    pg_args_release(&a);
    sql_frag_release(&f);
    free(ids);
    if (rc)
        run_list_release(out);
    return rc;
}

/* ---------- the tracking ops table ---------- */

const struct store_tracking_ops pg_tracking = {
    .create_experiment = pg_create_experiment,
    .get_experiment = pg_get_experiment,
    .get_experiment_by_name = pg_get_experiment_by_name,
    .search_experiments = pg_search_experiments,
    .rename_experiment = pg_rename_experiment,
    .set_experiment_lifecycle = pg_set_experiment_lifecycle,
    .set_experiment_tag = pg_set_experiment_tag,
    .create_run = pg_create_run,
    .update_run = pg_update_run,
    .set_run_lifecycle = pg_set_run_lifecycle,
    .get_run = pg_get_run,
    .run_experiment = pg_run_experiment,
    .log_batch = pg_log_batch,
    .delete_tag = pg_delete_tag,
    .log_inputs = pg_log_inputs,
    .log_model = pg_log_model,
    .search_datasets = pg_search_datasets,
    .search_runs = pg_search_runs,
};
