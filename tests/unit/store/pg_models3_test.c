/* SPDX-License-Identifier: MIT
 * Logged models and traces through the real store, on both backends
 * (STORE_TEST; the store on PostgreSQL with FERRY_TEST_STORE=postgres):
 * what a model holds after each call (its metrics logged with a run's),
 * what searches find and in what order, page after page, and that refused
 * calls change nothing; traces beyond traces_test.c (pages, tag order,
 * deletes by ids named twice and by time). Then what only PostgreSQL has
 * (PG_TEST): two stores on one database (two replicas) writing one model
 * and one trace at once. */
#include "../test.h"
#include "fixtures.h"
#include "base/sbuf.h"
#include "store/logged_models.h"
#include "store/store.h"
#include "store/traces.h"

#include <libpq-fe.h>
#include <math.h>
#include <pthread.h>
#include <unistd.h>

static struct store *st;
static char *st_uri; /* the database of st, for a second replica */

/* Experiments 1 "one" (active) and 2 "gone" (deleted), as traces_test.c. */
static void open_store(void)
{
    struct ferr err = FERR_INIT;
    struct store_opts o = {"/art", 0};
    st_uri = test_store_uri("m");
    ASSERT_OK(store_open(st_uri, &o, &st, &err), &err);
    ASSERT_OK(store_create_experiment(st, "one", NULL, NULL, NULL, &err), &err);
    ASSERT_OK(store_create_experiment(st, "gone", NULL, NULL, NULL, &err), &err);
    ASSERT_OK(store_delete_experiment(st, "2", &err), &err);
}

/* ---------- traces ---------- */

static char *start(int64_t ts, const char *name)
{
    struct ferr err = FERR_INIT;
    struct trace_info t = {0};
    struct kv_list tags = {0};
    kv_list_add(&tags, TRACE_TAG_NAME, name);
    kv_list_add(&tags, TRACE_TAG_ARTIFACT_LOCATION, "/elsewhere"); /* the server's wins */
    ASSERT_OK(store_start_trace(st, "1", ts, NULL, &tags, &t, &err), &err);
    kv_list_release(&tags);
    char *id = t.request_id;
    t.request_id = NULL;
    trace_info_release(&t);
    return id;
}

static const char *tag(const struct trace_info *t, const char *key)
{
    return kv_list_get(&t->tags, key);
}

/* Pages of a search, tags as sort keys (missing values last), a delete
 * naming one trace twice and one that is not there, a delete by time, a tag
 * set twice. */
STORE_TEST(traces_pages_tag_order_and_deletes)
{
    struct ferr err = FERR_INIT;
    struct trace_info_list l = {0}, l2 = {0};
    struct trace_info t = {0};
    int64_t n;
    open_store();
    char *a = start(100, "x"), *b = start(200, "y"), *c = start(300, "x");
    const char *ids[] = {"1"};
    const char *order[] = {"timestamp ASC"};
    struct trace_search q = {ids, 1, NULL, 2, order, 1, NULL};
    ASSERT_OK(store_search_traces(st, &q, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    ASSERT_STR_EQ(l.v[0].request_id, a);
    ASSERT_STR_EQ(l.v[1].request_id, b);
    ASSERT_STR_EQ(tag(&l.v[1], TRACE_TAG_NAME), "y");
    ASSERT(l.next_page_token != NULL);
    q.page_token = l.next_page_token;
    ASSERT_OK(store_search_traces(st, &q, &l2, &err), &err);
    ASSERT_INT_EQ(l2.n, 1);
    ASSERT_STR_EQ(l2.v[0].request_id, c);
    ASSERT(l2.next_page_token == NULL);
    trace_info_list_release(&l2);
    trace_info_list_release(&l);

    ASSERT_OK(store_set_trace_tag(st, a, "k", "v", &err), &err);
    ASSERT_OK(store_set_trace_tag(st, a, "k", "w", &err), &err);
    ASSERT_OK(store_get_trace_info(st, a, &t, &err), &err);
    ASSERT_STR_EQ(tag(&t, "k"), "w");
    trace_info_release(&t);
    const char *by_tag[] = {"tag.k DESC", "timestamp_ms DESC"};
    struct trace_search q2 = {
        ids, 1, "timestamp_ms >= 100 AND status = 'IN_PROGRESS'", 10, by_tag, 2, NULL};
    ASSERT_OK(store_search_traces(st, &q2, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 3);
    ASSERT_STR_EQ(l.v[0].request_id, a);
    ASSERT_STR_EQ(l.v[1].request_id, c);
    ASSERT_STR_EQ(l.v[2].request_id, b);
    trace_info_list_release(&l);

    const char *twice[] = {b, b, "tr-none"};
    struct trace_delete by_ids = {"1", TIME_NONE, TIME_NONE, twice, 3};
    ASSERT_OK(store_delete_traces(st, &by_ids, &n, &err), &err);
    ASSERT_INT_EQ(n, 1);
    struct trace_delete in_other = {"2", 1000, TIME_NONE, NULL, 0};
    ASSERT_OK(store_delete_traces(st, &in_other, &n, &err), &err);
    ASSERT_INT_EQ(n, 0);
    struct trace_delete by_time = {"1", 100, TIME_NONE, NULL, 0};
    ASSERT_OK(store_delete_traces(st, &by_time, &n, &err), &err);
    ASSERT_INT_EQ(n, 1);
    ASSERT_FAILS(store_get_trace_info(st, a, &t, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_OK(store_get_trace_info(st, c, &t, &err), &err);
    trace_info_release(&t);
    free(a);
    free(b);
    free(c);
    store_close(st);
}

/* ---------- logged models ---------- */

static char *create_model(const char *exp, const char *name, const char *type)
{
    struct ferr err = FERR_INIT;
    struct logged_model m = {0};
    struct logged_model_create c = {exp, name, type, NULL, {0}, {0}};
    ASSERT_OK(store_create_logged_model(st, &c, &m, &err), &err);
    char *id = m.model_id;
    m.model_id = NULL;
    logged_model_release(&m);
    usleep(2000); /* the next is newer: searches order by creation time */
    return id;
}

/* A metric point of the run on a model, as clients log it (log-batch). */
static int log_model_metric(const char *run_id, const char *model_id, const char *key, double v,
                            int64_t ts, const char *dataset, struct ferr *err)
{
    struct metric_list ml = {0};
    metric_list_add(&ml, key, v, ts, 0);
    ml.v[0].model_id = strdup(model_id);
    ml.v[0].dataset_name = dataset ? strdup(dataset) : NULL;
    ml.v[0].dataset_digest = dataset ? strdup("d1g") : NULL;
    int rc = store_log_batch(st, run_id, &ml, NULL, NULL, err);
    metric_list_release(&ml);
    return rc;
}

STORE_TEST(logged_models_create_get_update)
{
    struct ferr err = FERR_INIT;
    struct logged_model m = {0};
    open_store();
    char *run = fixture_new_run(st, "1", NULL, TIME_NONE);
    struct logged_model_create c = {"1", "clf", "classifier", "abc", {0}, {0}};
    kv_list_add(&c.params, "depth", "3");
    kv_list_add(&c.params, "alpha", "0.5");
    kv_list_add(&c.tags, "t", "1");
    ASSERT_OK(store_create_logged_model(st, &c, &m, &err), &err);
    ASSERT_INT_EQ(strlen(m.model_id), LOGGED_MODEL_ID_LEN);
    ASSERT_STR_EQ(m.experiment_id, "1");
    ASSERT_STR_EQ(m.name, "clf");
    ASSERT_STR_EQ(m.model_type, "classifier");
    ASSERT_STR_EQ(m.source_run_id, "abc");
    ASSERT(!m.status_message);
    ASSERT_INT_EQ(m.status, LOGGED_MODEL_PENDING);
    ASSERT(m.creation_time > 0 && m.creation_time == m.last_updated_time);
    struct sbuf want = SBUF_INIT;
    sbuf_addf(&want, "/art/1/models/%s/artifacts", m.model_id);
    ASSERT_STR_EQ(m.artifact_uri, want.buf);
    sbuf_release(&want);
    ASSERT_INT_EQ(m.params.n, 2);
    ASSERT_STR_EQ(m.params.v[0].key, "alpha"); /* by key */
    ASSERT_STR_EQ(kv_list_get(&m.tags, "t"), "1");
    char *id = m.model_id;
    m.model_id = NULL;
    logged_model_release(&m);
    kv_list_release(&c.params);
    kv_list_release(&c.tags);

    c.experiment_id = "2";
    ASSERT_FAILS(store_create_logged_model(st, &c, &m, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    c.experiment_id = "9";
    ASSERT_FAILS(store_create_logged_model(st, &c, &m, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);

    ASSERT_OK(store_finalize_logged_model(st, id, LOGGED_MODEL_READY, &m, &err), &err);
    ASSERT_INT_EQ(m.status, LOGGED_MODEL_READY);
    ASSERT_STR_EQ(m.model_type, "classifier");
    logged_model_release(&m);

    /* metrics on the model, NaN kept, in (key, timestamp) order */
    ASSERT_OK(log_model_metric(run, id, "loss", 0.5, 20, "train", &err), &err);
    ASSERT_OK(log_model_metric(run, id, "loss", NAN, 10, NULL, &err), &err);
    ASSERT_OK(log_model_metric(run, id, "acc", 0.9, 30, NULL, &err), &err);
    ASSERT_FAILS(
        log_model_metric(run, "m-00000000000000000000000000000000", "acc", 1, 1, NULL, &err), &err,
        FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_OK(store_get_logged_model(st, id, &m, &err), &err);
    ASSERT_INT_EQ(m.metrics.n, 3);
    ASSERT_STR_EQ(m.metrics.v[0].key, "acc");
    ASSERT(isnan(m.metrics.v[1].value));
    ASSERT(!m.metrics.v[1].dataset_name);
    ASSERT_STR_EQ(m.metrics.v[1].model_id, id);
    ASSERT(m.metrics.v[2].value == 0.5);
    ASSERT_STR_EQ(m.metrics.v[2].dataset_name, "train");
    ASSERT_STR_EQ(m.metrics.v[2].run_id, run);
    logged_model_release(&m);

    /* the run produced it (at step 3, twice: once) and read it */
    struct model_ref_list refs = {0};
    struct run r;
    model_ref_list_add(&refs, id, 3);
    model_ref_list_add(&refs, id, 3);
    ASSERT_OK(store_log_model_refs(st, run, 1, &refs, &err), &err);
    ASSERT_OK(store_log_model_refs(st, run, 0, &refs, &err), &err);
    ASSERT_OK(store_get_run(st, run, &r, &err), &err);
    ASSERT_INT_EQ(r.model_outputs.n, 1);
    ASSERT_STR_EQ(r.model_outputs.v[0].model_id, id);
    ASSERT_INT_EQ(r.model_outputs.v[0].step, 3);
    ASSERT_INT_EQ(r.model_inputs.n, 1);
    ASSERT_INT_EQ(r.model_inputs.v[0].step, 0);
    run_release(&r);
    ASSERT_FAILS(store_log_model_refs(st, "0123456789abcdef0123456789abcdef", 1, &refs, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_OK(store_delete_run(st, run, &err), &err);
    ASSERT_FAILS(store_log_model_refs(st, run, 1, &refs, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    model_ref_list_release(&refs);

    ASSERT_OK(store_delete_logged_model(st, id, &err), &err);
    ASSERT_FAILS(store_get_logged_model(st, id, &m, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, "not found");
    ASSERT_FAILS(store_delete_logged_model(st, id, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    free(id);
    free(run);
    store_close(st);
}

STORE_TEST(logged_models_tags_and_params)
{
    struct ferr err = FERR_INIT;
    struct logged_model m = {0};
    open_store();
    char *id = create_model("1", "m", NULL);
    struct kv_list kv = {0};
    kv_list_add(&kv, "a", "1");
    kv_list_add(&kv, "b", "2");
    ASSERT_OK(store_set_logged_model_tags(st, id, &kv, &err), &err);
    kv_list_release(&kv);
    kv_list_add(&kv, "a", "3");
    ASSERT_OK(store_set_logged_model_tags(st, id, &kv, &err), &err);
    kv_list_release(&kv);
    ASSERT_OK(store_delete_logged_model_tag(st, id, "b", &err), &err);
    ASSERT_FAILS(store_delete_logged_model_tag(st, id, "b", &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, "No tag with key 'b'");

    kv_list_add(&kv, "p", "1");
    ASSERT_OK(store_log_logged_model_params(st, id, &kv, &err), &err);
    ASSERT_OK(store_log_logged_model_params(st, id, &kv, &err), &err); /* the same again */
    kv_list_release(&kv);
    kv_list_add(&kv, "q", "1");
    kv_list_add(&kv, "p", "2");
    ASSERT_FAILS(store_log_logged_model_params(st, id, &kv, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "Param with key='p'");
    kv_list_release(&kv);

    ASSERT_OK(store_get_logged_model(st, id, &m, &err), &err);
    ASSERT_INT_EQ(m.tags.n, 1);
    ASSERT_STR_EQ(kv_list_get(&m.tags, "a"), "3");
    ASSERT_INT_EQ(m.params.n, 1); /* the refused call changed nothing */
    ASSERT_STR_EQ(kv_list_get(&m.params, "p"), "1");
    logged_model_release(&m);
    ASSERT_FAILS(store_set_logged_model_tags(st, "m-00000000000000000000000000000000", &kv, &err),
                 &err, FERR_RESOURCE_DOES_NOT_EXIST);
    free(id);
    store_close(st);
}

STORE_TEST(logged_models_search)
{
    struct ferr err = FERR_INIT;
    struct logged_model_list l = {0};
    open_store();
    char *run = fixture_new_run(st, "1", NULL, TIME_NONE);
    char *a = create_model("1", "a", "x"), *b = create_model("1", "b", "y"),
         *c = create_model("1", "c", "x");
    ASSERT_OK(log_model_metric(run, a, "acc", 0.7, 1, "d1", &err), &err);
    ASSERT_OK(log_model_metric(run, b, "acc", 0.9, 1, "d2", &err), &err);
    ASSERT_OK(log_model_metric(run, c, "acc", 0.8, 1, "d1", &err), &err);
    const char *ids[] = {"1", "2"};
    struct logged_model_order by_acc = {"metrics.acc", 0, NULL, NULL};
    struct logged_model_search q = {ids, 2, NULL, NULL, 0, 2, &by_acc, 1, NULL};
    ASSERT_OK(store_search_logged_models(st, &q, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    ASSERT_STR_EQ(l.v[0].model_id, b);
    ASSERT_STR_EQ(l.v[1].model_id, c);
    ASSERT_INT_EQ(l.v[1].metrics.n, 1);
    ASSERT(l.next_page_token != NULL);
    struct logged_model_list l2 = {0};
    q.page_token = l.next_page_token;
    ASSERT_OK(store_search_logged_models(st, &q, &l2, &err), &err);
    ASSERT_INT_EQ(l2.n, 1);
    ASSERT_STR_EQ(l2.v[0].model_id, a);
    ASSERT(!l2.next_page_token);
    logged_model_list_release(&l2);
    logged_model_list_release(&l);

    /* filters; datasets restrict the metric clauses */
    struct logged_model_dataset d1 = {"d1", NULL};
    struct logged_model_search f = {
        ids, 2, "model_type = 'x' AND metrics.acc > 0.75", NULL, 0, 100, NULL, 0, NULL};
    ASSERT_OK(store_search_logged_models(st, &f, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_STR_EQ(l.v[0].model_id, c);
    logged_model_list_release(&l);
    f.filter = "name LIKE '%'";
    f.datasets = &d1;
    f.ndatasets = 1;
    ASSERT_OK(store_search_logged_models(st, &f, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2); /* newest first */
    ASSERT_STR_EQ(l.v[0].model_id, c);
    ASSERT_STR_EQ(l.v[1].model_id, a);
    logged_model_list_release(&l);
    f.filter = "creation_timestamp > 0 AND status = 'LOGGED_MODEL_PENDING'";
    f.ndatasets = 0;
    ASSERT_OK(store_search_logged_models(st, &f, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 3);
    logged_model_list_release(&l);

    ASSERT_OK(store_delete_logged_model(st, c, &err), &err);
    f.filter = NULL;
    ASSERT_OK(store_search_logged_models(st, &f, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    logged_model_list_release(&l);
    struct logged_model_order bad = {"nope", 1, NULL, NULL};
    f.order_by = &bad;
    f.norder_by = 1;
    ASSERT_FAILS(store_search_logged_models(st, &f, &l, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    free(a);
    free(b);
    free(c);
    free(run);
    store_close(st);
}

/* ---------- replicas ---------- */

struct racer {
    struct store *s;
    const char *model_id, *trace_id;
    char value[8];
    int rc;
    struct ferr err;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    struct kv_list kv = {0};
    kv_list_add(&kv, "p", r->value);
    r->rc = store_log_logged_model_params(r->s, r->model_id, &kv, &r->err);
    kv_list_release(&kv);
    kv_list_add(&kv, "t", r->value);
    if (store_set_logged_model_tags(r->s, r->model_id, &kv, &r->err) ||
        store_set_trace_tag(r->s, r->trace_id, "t", r->value, &r->err) ||
        store_end_trace(r->s, r->trace_id, 50, TRACE_OK, &kv, &kv, NULL, &r->err))
        r->rc = 2;
    kv_list_release(&kv);
    return NULL;
}

/* Two servers on one database log the same param of one model at once,
 * with two values: one value wins, the other is refused as SQLite refuses
 * it, and nothing fails otherwise (their writes to one model or trace wait
 * for each other; a deadlock between two groups is written again). */
PG_TEST(pg_models3_replicas_race)
{
    struct ferr err = FERR_INIT;
    struct store *one = NULL, *other = NULL;
    enum { N = 16 };
    open_store();
    struct store_opts o = {"/art", 1}; /* grouped writes, as servers write */
    ASSERT_OK(store_open(st_uri, &o, &one, &err), &err);
    ASSERT_OK(store_open(st_uri, &o, &other, &err), &err);
    char *model = create_model("1", "m", NULL), *trace = start(10, "t");
    struct racer r[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        memset(&r[i], 0, sizeof(r[i]));
        r[i].s = i % 2 ? other : one;
        r[i].model_id = model;
        r[i].trace_id = trace;
        snprintf(r[i].value, sizeof(r[i].value), "%d", i % 2);
        pthread_create(&th[i], NULL, race, &r[i]);
    }
    int won[2] = {0, 0};
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        if (r[i].rc == 2)
            FAIL_AT("racer %d: %s: %s", i, ferr_code_name(r[i].err.code), r[i].err.msg);
        if (r[i].rc)
            ASSERT_INT_EQ(r[i].err.code, FERR_INVALID_PARAMETER_VALUE);
        else
            won[i % 2]++;
    }
    ASSERT((won[0] == N / 2 && !won[1]) || (won[1] == N / 2 && !won[0]));
    struct logged_model m = {0};
    ASSERT_OK(store_get_logged_model(other, model, &m, &err), &err);
    ASSERT_STR_EQ(kv_list_get(&m.params, "p"), won[0] ? "0" : "1");
    logged_model_release(&m);
    free(model);
    free(trace);
    store_close(one);
    store_close(other);
    store_close(st);
}

struct crosser {
    struct store *s;
    const char *model_id, *trace_id;
    int reversed;
    struct ferr err;
    int rc;
};

static void *cross(void *arg)
{
    struct crosser *x = arg;
    struct kv_list kv = {0};
    kv_list_add(&kv, "t", "v");
    for (int i = 0; i < 6 && !x->rc; i++) {
        for (int k = 0; k < 2 && !x->rc; k++) {
            if (k == x->reversed)
                x->rc = store_set_logged_model_tags(x->s, x->model_id, &kv, &x->err);
            else
                x->rc = store_set_trace_tag(x->s, x->trace_id, "t", "v", &x->err);
        }
    }
    kv_list_release(&kv);
    return NULL;
}

/* Two servers' groups each write a model and a trace, in both orders: a
 * group that loses a deadlock is written again, whole. */
PG_TEST(pg_models3_replicas_cross)
{
    struct ferr err = FERR_INIT;
    struct store *one = NULL, *other = NULL;
    enum { N = 16 };
    open_store();
    struct store_opts o = {"/art", 1};
    ASSERT_OK(store_open(st_uri, &o, &one, &err), &err);
    ASSERT_OK(store_open(st_uri, &o, &other, &err), &err);
    char *model = create_model("1", "m", NULL), *trace = start(10, "t");
    struct crosser x[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        memset(&x[i], 0, sizeof(x[i]));
        x[i].s = i % 2 ? other : one;
        x[i].model_id = model;
        x[i].trace_id = trace;
        x[i].reversed = (i / 2) % 2;
        pthread_create(&th[i], NULL, cross, &x[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        if (x[i].rc)
            FAIL_AT("crosser %d: %s: %s", i, ferr_code_name(x[i].err.code), x[i].err.msg);
    }
    free(model);
    free(trace);
    store_close(one);
    store_close(other);
    store_close(st);
}

/* ---------- plans ---------- */

static void sql_exec(const char *uri, const char *sql, char **first)
{
    PGconn *c = PQconnectdb(uri);
    ASSERT(PQstatus(c) == CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    ExecStatusType s = PQresultStatus(r);
    if (s != PGRES_TUPLES_OK && s != PGRES_COMMAND_OK)
        FAIL_AT("%s: %s", sql, PQerrorMessage(c));
    if (first)
        *first = strdup(s == PGRES_TUPLES_OK && PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    PQfinish(c);
}

/* The hot reads and writes of traces and logged models (get, tag, a
 * filtered search, its page loaded by ids) on tables large enough that a
 * missing index shows: PostgreSQL's own statistics must count no
 * sequential scan. */
PG_TEST(pg_models3_hot_queries_use_indexes)
{
    static const char *const fill[] = {
        "INSERT INTO experiments (experiment_id, name, artifact_location, creation_time, "
        "last_update_time) SELECT e, 'exp' || e, '/a/' || e, e, e FROM generate_series(10, 29) e",
        "INSERT INTO traces (id, request_id, experiment_id, timestamp_ms, execution_time_ms, "
        "status) SELECT i, 'tr-' || md5(i::text), 10 + i % 20, i, 5, 'OK' "
        "FROM generate_series(1, 20000) i",
        "INSERT INTO trace_tags (trace, key, value) SELECT i, 'mlflow.traceName', "
        "CASE WHEN i % 7 = 0 THEN 'predict' ELSE 'other' END FROM generate_series(1, 20000) i",
        "INSERT INTO trace_request_metadata (trace, key, value) SELECT i, 'mlflow.sourceRun', "
        "md5(i::text) FROM generate_series(1, 20000) i",
        "INSERT INTO logged_models (id, model_id, experiment_id, name, artifact_location, "
        "creation_time, last_updated_time, status) SELECT i, 'm-' || md5(i::text), 10 + i % 20, "
        "'m' || i, '/a/m', i, i, 'LOGGED_MODEL_READY' FROM generate_series(1, 20000) i",
        "INSERT INTO logged_model_params (model, key, value) SELECT i, 'lr', "
        "CASE WHEN i % 3 = 0 THEN '0.01' ELSE '0.1' END FROM generate_series(1, 20000) i",
        "INSERT INTO logged_model_tags (model, key, value) SELECT i, 't', 'v' "
        "FROM generate_series(1, 20000) i",
        "INSERT INTO logged_model_metrics (model, key, timestamp, step, value, run_id) "
        "SELECT i, 'acc', i, 0, (i % 100) / 100.0, 'r' FROM generate_series(1, 20000) i",
        "SELECT setval(pg_get_serial_sequence('traces', 'id'), 20000)",
        "SELECT setval(pg_get_serial_sequence('logged_models', 'id'), 20000)",
        "ANALYZE",
        "SELECT pg_stat_reset()",
    };
    struct ferr err = FERR_INIT;
    open_store();
    store_close(st);
    for (size_t i = 0; i < sizeof(fill) / sizeof(*fill); i++)
        sql_exec(st_uri, fill[i], NULL);
    struct store_opts o = {"/art", 1};
    ASSERT_OK(store_open(st_uri, &o, &st, &err), &err);

    char *rid = NULL, *mid = NULL;
    sql_exec(st_uri, "SELECT 'tr-' || md5('500')", &rid);
    sql_exec(st_uri, "SELECT 'm-' || md5('500')", &mid);
    struct trace_info t = {0};
    ASSERT_OK(store_get_trace_info(st, rid, &t, &err), &err);
    trace_info_release(&t);
    ASSERT_OK(store_set_trace_tag(st, rid, "k", "v", &err), &err);
    const char *exps[] = {"17"};
    const char *order[] = {"timestamp_ms DESC"};
    struct trace_search q = {exps, 1, "tags.`mlflow.traceName` = 'predict'", 50, order, 1, NULL};
    struct trace_info_list tl = {0};
    ASSERT_OK(store_search_traces(st, &q, &tl, &err), &err);
    ASSERT_INT_EQ(tl.n, 50);
    trace_info_list_release(&tl);
    struct logged_model m = {0};
    ASSERT_OK(store_get_logged_model(st, mid, &m, &err), &err);
    logged_model_release(&m);
    struct kv_list kv = {0};
    kv_list_add(&kv, "t", "w");
    ASSERT_OK(store_set_logged_model_tags(st, mid, &kv, &err), &err);
    kv_list_release(&kv);
    /* (a metric as sort key or a param filter reads the metric's or the
     * param's rows of every experiment: search_sql.c's query, not this
     * backend's) */
    struct logged_model_search lq = {exps, 1, "name LIKE 'm5%'", NULL, 0, 50, NULL, 0, NULL};
    struct logged_model_list ll = {0};
    ASSERT_OK(store_search_logged_models(st, &lq, &ll, &err), &err);
    ASSERT(ll.n > 0);
    logged_model_list_release(&ll);
    store_close(st); /* its sessions end: their statistics are flushed */

    char *scans = NULL;
    sql_exec(st_uri,
             "SELECT coalesce(string_agg(relname || ':' || seq_scan, ' '), '') "
             "FROM pg_stat_user_tables WHERE seq_scan > 0 AND relname IN ('traces', "
             "'trace_tags', 'trace_request_metadata', 'logged_models', 'logged_model_params', "
             "'logged_model_tags', 'logged_model_metrics')",
             &scans);
    if (*scans)
        FAIL_AT("sequential scans of large tables (a hot query lacks an index): %s", scans);
    free(scans);
    free(rid);
    free(mid);
}
