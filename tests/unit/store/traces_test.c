/* SPDX-License-Identifier: MIT
 * The traces area through the real SQLite store: what a trace holds after
 * each call, what searches find, and that refused calls change nothing. */
#include "../test.h"
#include "base/sbuf.h"
#include "store/store.h"
#include "store/traces.h"

static struct store *st;

static void open_store(void)
{
    struct sbuf path = SBUF_INIT;
    struct ferr err = FERR_INIT;
    {
        char *uri = test_store_uri("t");
        sbuf_addstr(&path, uri);
        free(uri);
    }
    struct store_opts o = {"/art", 0};
    ASSERT_OK(store_open(path.buf, &o, &st, &err), &err);
    sbuf_release(&path);
    ASSERT_OK(store_create_experiment(st, "one", NULL, NULL, NULL, &err), &err);
    ASSERT_OK(store_create_experiment(st, "gone", NULL, NULL, NULL, &err), &err);
    ASSERT_OK(store_delete_experiment(st, "2", &err), &err);
}

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

STORE_TEST(traces_start_end_get)
{
    struct ferr err = FERR_INIT;
    struct trace_info t = {0};
    open_store();
    char *id = start(1000, "predict");
    ASSERT_OK(store_get_trace_info(st, id, &t, &err), &err);
    ASSERT_INT_EQ(t.status, TRACE_IN_PROGRESS);
    ASSERT(t.execution_time_ms == TIME_NONE);
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

STORE_TEST(traces_start_needs_an_active_experiment)
{
    struct ferr err = FERR_INIT;
    struct trace_info t = {0};
    struct trace_info_list l = {0};
    open_store();
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

STORE_TEST(traces_log_v3_overwrites_and_merges)
{
    struct ferr err = FERR_INIT;
    struct trace_info in = {0}, out = {0};
    open_store();
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

STORE_TEST(traces_search_filter_order_and_delete)
{
    struct ferr err = FERR_INIT;
    struct trace_info_list l = {0};
    int64_t n;
    open_store();
    char *a = start(100, "x"), *b = start(200, "y"), *c = start(300, "x");
    const char *ids[] = {"1"};
    struct trace_search q = {ids, 1, "name = 'x'", 100, NULL, 0, NULL};
    ASSERT_OK(store_search_traces(st, &q, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    ASSERT_STR_EQ(l.v[0].request_id, c);
    ASSERT_STR_EQ(l.v[1].request_id, a);
    trace_info_list_release(&l);
    const char *order[] = {"timestamp ASC"};
    struct trace_search q2 = {ids, 1, NULL, 2, order, 1, NULL};
    ASSERT_OK(store_search_traces(st, &q2, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    ASSERT_STR_EQ(l.v[0].request_id, a);
    ASSERT(l.next_page_token != NULL);
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
    struct trace_delete by_id = {"1", TIME_NONE, TIME_NONE, one, 1};
    ASSERT_OK(store_delete_traces(st, &by_id, &n, &err), &err);
    ASSERT_INT_EQ(n, 1);
    struct trace_delete oldest = {"1", 1000, 1, NULL, 0};
    ASSERT_OK(store_delete_traces(st, &oldest, &n, &err), &err);
    ASSERT_INT_EQ(n, 1);
    struct trace_info t = {0};
    ASSERT_FAILS(store_get_trace_info(st, a, &t, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_OK(store_get_trace_info(st, c, &t, &err), &err);
    trace_info_release(&t);
    free(a);
    free(b);
    free(c);
    store_close(st);
}

STORE_TEST(traces_tags)
{
    struct ferr err = FERR_INIT;
    struct trace_info t = {0};
    open_store();
    char *id = start(1, "x");
    ASSERT_OK(store_set_trace_tag(st, id, "k", "v", &err), &err);
    ASSERT_FAILS(store_set_trace_tag(st, id, "../k", "v", &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_set_trace_tag(st, "nope", "k", "v", &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_OK(store_delete_trace_tag(st, id, "k", &err), &err);
    ASSERT_FAILS(store_delete_trace_tag(st, id, "k", &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_OK(store_get_trace_info(st, id, &t, &err), &err);
    ASSERT(!tag(&t, "k"));
    trace_info_release(&t);
    free(id);
    store_close(st);
}
