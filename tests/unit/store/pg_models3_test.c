/* SPDX-License-Identifier: MIT
 * Traces and logged models through the real PostgreSQL store: the SQLite
 * suite's cases (traces_test.c) again, and the logged-model ops, each test
 * on a fresh database of the throwaway cluster FERRY_TEST_PG names (its
 * base URI, as `tests/pg/cluster start` prints it). Without it the tests
 * pass without running: PostgreSQL is not everywhere the unit tests run. */
#include "../test.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "store/logged_models.h"
#include "store/postgres/pg_int.h"
#include "store/store.h"
#include "store/traces.h"

#include <libpq-fe.h>
#include <math.h>
#include <pthread.h>
#include <unistd.h>

static struct store *st;
static char *st_uri; /* the database of st, for a second replica */

/* A fresh database's URI, or NULL when FERRY_TEST_PG is not set. */
static char *fresh_database(void)
{
    const char *base = getenv("FERRY_TEST_PG");
    static int count;
    if (!base || !*base) {
        fprintf(stderr, "    skipped: FERRY_TEST_PG is not set\n");
        return NULL;
    }
    struct sbuf name = SBUF_INIT, sql = SBUF_INIT, uri = SBUF_INIT;
    sbuf_addf(&name, "unit_%ld_%d", (long)getpid(), ++count);
    sbuf_addf(&sql, "CREATE DATABASE %s", name.buf);
    PGconn *conn = PQconnectdb(base);
    ASSERT(PQstatus(conn) == CONNECTION_OK);
    PGresult *r = PQexec(conn, sql.buf);
    if (PQresultStatus(r) != PGRES_COMMAND_OK)
        FAIL_AT("%s: %s", sql.buf, PQerrorMessage(conn));
    PQclear(r);
    PQfinish(conn);
    sbuf_addf(&uri, "%s/%s", base, name.buf);
    sbuf_release(&name);
    sbuf_release(&sql);
    return sbuf_detach(&uri, NULL);
}

/* Experiments 1 "one" (active) and 2 "gone" (deleted), as traces_test.c. */
static int open_store(void)
{
    struct ferr err = FERR_INIT;
    char *uri = fresh_database();
    if (!uri)
        return 0;
    struct store_opts o = {"/art", 0};
    ASSERT_OK(store_open(uri, &o, &st, &err), &err);
    st_uri = uri;
    if (store_create_experiment(st, "one", NULL, NULL, NULL, &err) &&
        err.code == FERR_NOT_IMPLEMENTED) { /* TEMPORARY until tracking lands */
        PGconn *conn = PQconnectdb(uri);
        PGresult *r = PQexec(conn, "INSERT INTO experiments (experiment_id, name, "
                                   "artifact_location, lifecycle_stage, creation_time, "
                                   "last_update_time) VALUES (1, 'one', '/art/1', 'active', 1, 1),"
                                   " (2, 'gone', '/art/2', 'deleted', 1, 1)");
        ASSERT(PQresultStatus(r) == PGRES_COMMAND_OK);
        PQclear(r);
        PQfinish(conn);
        return 1;
    }
    ASSERT_OK(store_create_experiment(st, "gone", NULL, NULL, NULL, &err), &err);
    ASSERT_OK(store_delete_experiment(st, "2", &err), &err);
    return 1;
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

TEST(pg_traces_start_end_get)
{
    struct ferr err = FERR_INIT;
    struct trace_info t = {0};
    if (!open_store())
        return;
    char *id = start(1000, "predict");
    ASSERT_OK(store_get_trace_info(st, id, &t, &err), &err);
    ASSERT_INT_EQ(t.status, TRACE_IN_PROGRESS);
    ASSERT(t.execution_time_ms == TIME_NONE);
    ASSERT_STR_EQ(t.experiment_id, "1");
    struct sbuf want = SBUF_INIT;
    sbuf_addf(&want, "/art/1/traces/%s/artifacts", id);
    ASSERT_STR_EQ(tag(&t, TRACE_TAG_ARTIFACT_LOCATION), want.buf);
    sbuf_release(&want);
    trace_info_release(&t);

    struct kv_list md = {0};
    kv_list_add(&md, "mlflow.traceOutputs", "7");
    ASSERT_FAILS(store_end_trace(st, id, 999, TRACE_OK, &md, NULL, &t, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_end_trace(st, "nope", 2000, TRACE_OK, &md, NULL, &t, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_OK(store_end_trace(st, id, 1250, TRACE_ERROR, &md, NULL, &t, &err), &err);
    ASSERT_INT_EQ(t.execution_time_ms, 250);
    ASSERT_INT_EQ(t.status, TRACE_ERROR);
    ASSERT_STR_EQ(kv_list_get(&t.request_metadata, "mlflow.traceOutputs"), "7");
    ASSERT_STR_EQ(tag(&t, TRACE_TAG_NAME), "predict");
    kv_list_release(&md);
    trace_info_release(&t);
    free(id);
    store_close(st);
}

TEST(pg_traces_start_needs_an_active_experiment)
{
    struct ferr err = FERR_INIT;
    struct trace_info t = {0};
    struct trace_info_list l = {0};
    if (!open_store())
        return;
    ASSERT_FAILS(store_start_trace(st, "2", 1, NULL, NULL, &t, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_start_trace(st, "9", 1, NULL, NULL, &t, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_start_trace(st, "x", 1, NULL, NULL, &t, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    const char *ids[] = {"1", "2", "9"};
    struct trace_search q = {ids, 3, NULL, 100, NULL, 0, NULL};
    ASSERT_OK(store_search_traces(st, &q, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 0);
    trace_info_list_release(&l);
    store_close(st);
}

TEST(pg_traces_log_v3_overwrites_and_merges)
{
    struct ferr err = FERR_INIT;
    struct trace_info in = {0}, out = {0};
    if (!open_store())
        return;
    char id[] = "tr-abc", bad_id[] = "../x", exp[] = "1", client[] = "c1";
    in.request_id = id;
    in.experiment_id = exp;
    in.timestamp_ms = 5000;
    in.execution_time_ms = 10;
    in.status = TRACE_OK;
    in.client_request_id = client;
    kv_list_add(&in.tags, "a", "1");
    ASSERT_OK(store_log_trace(st, &in, &out, &err), &err);
    ASSERT_STR_EQ(out.client_request_id, "c1");
    trace_info_release(&out);
    kv_list_release(&in.tags);
    kv_list_add(&in.tags, "b", "2");
    in.execution_time_ms = 20;
    in.client_request_id = NULL;
    ASSERT_OK(store_log_trace(st, &in, &out, &err), &err);
    ASSERT_INT_EQ(out.execution_time_ms, 20);
    ASSERT(!out.client_request_id);
    ASSERT_STR_EQ(tag(&out, "a"), "1");
    ASSERT_STR_EQ(tag(&out, "b"), "2");
    trace_info_release(&out);
    in.request_id = bad_id;
    ASSERT_FAILS(store_log_trace(st, &in, &out, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    in.request_id = id;
    in.execution_time_ms = -1;
    ASSERT_FAILS(store_log_trace(st, &in, &out, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    kv_list_release(&in.tags);
    store_close(st);
}

TEST(pg_traces_search_filter_order_and_delete)
{
    struct ferr err = FERR_INIT;
    struct trace_info_list l = {0};
    int64_t n;
    if (!open_store())
        return;
    char *a = start(100, "x"), *b = start(200, "y"), *c = start(300, "x");
    const char *ids[] = {"1"};
    struct trace_search q = {ids, 1, "name = 'x'", 100, NULL, 0, NULL};
    ASSERT_OK(store_search_traces(st, &q, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    ASSERT_STR_EQ(l.v[0].request_id, c);
    ASSERT_STR_EQ(l.v[1].request_id, a);
    ASSERT_STR_EQ(tag(&l.v[1], TRACE_TAG_NAME), "x");
    trace_info_list_release(&l);
    const char *order[] = {"timestamp ASC"};
    struct trace_search q2 = {ids, 1, NULL, 2, order, 1, NULL};
    ASSERT_OK(store_search_traces(st, &q2, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    ASSERT_STR_EQ(l.v[0].request_id, a);
    ASSERT_STR_EQ(l.v[1].request_id, b);
    ASSERT(l.next_page_token != NULL);
    q2.page_token = l.next_page_token;
    struct trace_info_list l2 = {0};
    ASSERT_OK(store_search_traces(st, &q2, &l2, &err), &err);
    ASSERT_INT_EQ(l2.n, 1);
    ASSERT_STR_EQ(l2.v[0].request_id, c);
    ASSERT(l2.next_page_token == NULL);
    trace_info_list_release(&l2);
    trace_info_list_release(&l);
    /* tags and metadata as sort keys: missing values last */
    const char *by_tag[] = {"tag.`mlflow.traceName` DESC", "timestamp_ms ASC"};
    struct trace_search q3 = {
        ids, 1, "timestamp_ms >= 100 AND status = 'IN_PROGRESS'", 10, by_tag, 2, NULL};
    ASSERT_OK(store_search_traces(st, &q3, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 3);
    ASSERT_STR_EQ(l.v[0].request_id, b);
    ASSERT_STR_EQ(l.v[1].request_id, a);
    ASSERT_STR_EQ(l.v[2].request_id, c);
    trace_info_list_release(&l);
    q.filter = "metrics.acc > 1";
    ASSERT_FAILS(store_search_traces(st, &q, &l, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    q.filter = NULL;
    q.max_results = 501;
    ASSERT_FAILS(store_search_traces(st, &q, &l, &err), &err, FERR_INVALID_PARAMETER_VALUE);

    struct trace_delete d = {"1", TIME_NONE, TIME_NONE, NULL, 0};
    ASSERT_FAILS(store_delete_traces(st, &d, &n, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    const char *one[] = {b};
    struct trace_delete bad = {"1", 500, TIME_NONE, one, 1};
    ASSERT_FAILS(store_delete_traces(st, &bad, &n, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    const char *twice[] = {b, b, "tr-none"};
    struct trace_delete by_id = {"1", TIME_NONE, TIME_NONE, twice, 3};
    ASSERT_OK(store_delete_traces(st, &by_id, &n, &err), &err);
    ASSERT_INT_EQ(n, 1);
    struct trace_delete oldest = {"1", 1000, 1, NULL, 0};
    ASSERT_OK(store_delete_traces(st, &oldest, &n, &err), &err);
    ASSERT_INT_EQ(n, 1);
    struct trace_info t = {0};
    ASSERT_FAILS(store_get_trace_info(st, a, &t, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_OK(store_get_trace_info(st, c, &t, &err), &err);
    trace_info_release(&t);
    struct trace_delete by_time = {"1", 300, TIME_NONE, NULL, 0};
    ASSERT_OK(store_delete_traces(st, &by_time, &n, &err), &err);
    ASSERT_INT_EQ(n, 1);
    free(a);
    free(b);
    free(c);
    store_close(st);
}

TEST(pg_traces_tags)
{
    struct ferr err = FERR_INIT;
    struct trace_info t = {0};
    if (!open_store())
        return;
    char *id = start(1, "x");
    ASSERT_OK(store_set_trace_tag(st, id, "k", "v", &err), &err);
    ASSERT_OK(store_set_trace_tag(st, id, "k", "w", &err), &err);
    ASSERT_FAILS(store_set_trace_tag(st, id, "../k", "v", &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_set_trace_tag(st, "nope", "k", "v", &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_OK(store_get_trace_info(st, id, &t, &err), &err);
    ASSERT_STR_EQ(tag(&t, "k"), "w");
    trace_info_release(&t);
    ASSERT_OK(store_delete_trace_tag(st, id, "k", &err), &err);
    ASSERT_FAILS(store_delete_trace_tag(st, id, "k", &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_OK(store_get_trace_info(st, id, &t, &err), &err);
    ASSERT(!tag(&t, "k"));
    trace_info_release(&t);
    free(id);
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

struct metrics_arg {
    const char *run_id;
    const struct metric_list *ml;
};

static int put_metrics(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    struct metrics_arg *a = arg;
    return pg_put_model_metrics(c, a->run_id, a->ml, err);
}

/* Metric points on models, as store_log_batch would log them with a run's. */
static int log_model_metric(const char *model_id, const char *key, double v, int64_t ts,
                            const char *dataset, struct ferr *err)
{
    struct metric_list ml = {0};
    metric_list_add(&ml, key, v, ts, 0);
    ml.v[0].model_id = xstrdup(model_id);
    ml.v[0].dataset_name = dataset ? xstrdup(dataset) : NULL;
    struct metrics_arg a = {"0123456789abcdef0123456789abcdef", &ml};
    int rc = pg_write((struct pg *)st, put_metrics, &a, err);
    metric_list_release(&ml);
    return rc;
}

TEST(pg_logged_models_create_get_update)
{
    struct ferr err = FERR_INIT;
    struct logged_model m = {0};
    if (!open_store())
        return;
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
    ASSERT_OK(log_model_metric(id, "loss", 0.5, 20, "train", &err), &err);
    ASSERT_OK(log_model_metric(id, "loss", NAN, 10, NULL, &err), &err);
    ASSERT_OK(log_model_metric(id, "acc", 0.9, 30, NULL, &err), &err);
    ASSERT_FAILS(log_model_metric("m-00000000000000000000000000000000", "acc", 1, 1, NULL, &err),
                 &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_OK(store_get_logged_model(st, id, &m, &err), &err);
    ASSERT_INT_EQ(m.metrics.n, 3);
    ASSERT_STR_EQ(m.metrics.v[0].key, "acc");
    ASSERT(isnan(m.metrics.v[1].value));
    ASSERT(!m.metrics.v[1].dataset_name);
    ASSERT_STR_EQ(m.metrics.v[1].model_id, id);
    ASSERT(m.metrics.v[2].value == 0.5);
    ASSERT_STR_EQ(m.metrics.v[2].dataset_name, "train");
    ASSERT_STR_EQ(m.metrics.v[2].run_id, "0123456789abcdef0123456789abcdef");
    logged_model_release(&m);

    ASSERT_OK(store_delete_logged_model(st, id, &err), &err);
    ASSERT_FAILS(store_get_logged_model(st, id, &m, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, "not found");
    ASSERT_FAILS(store_delete_logged_model(st, id, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    free(id);
    store_close(st);
}

TEST(pg_logged_models_tags_and_params)
{
    struct ferr err = FERR_INIT;
    struct logged_model m = {0};
    if (!open_store())
        return;
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

TEST(pg_logged_models_search)
{
    struct ferr err = FERR_INIT;
    struct logged_model_list l = {0};
    if (!open_store())
        return;
    char *a = create_model("1", "a", "x"), *b = create_model("1", "b", "y"),
         *c = create_model("1", "c", "x");
    ASSERT_OK(log_model_metric(a, "acc", 0.7, 1, "d1", &err), &err);
    ASSERT_OK(log_model_metric(b, "acc", 0.9, 1, "d2", &err), &err);
    ASSERT_OK(log_model_metric(c, "acc", 0.8, 1, "d1", &err), &err);
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
TEST(pg_models3_replicas_race)
{
    struct ferr err = FERR_INIT;
    struct store *one = NULL, *other = NULL;
    enum { N = 16 };
    if (!open_store())
        return;
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
TEST(pg_models3_replicas_cross)
{
    struct ferr err = FERR_INIT;
    struct store *one = NULL, *other = NULL;
    enum { N = 16 };
    if (!open_store())
        return;
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
