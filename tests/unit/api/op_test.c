/* SPDX-License-Identifier: MIT
 * api/op: the rows are well formed, and what the REST transport encodes
 * the server decodes to the same request (and back for answers); what a
 * request touches. */
#include "../test.h"
#include "api/artifacts_ops.h"
#include "api/metrics_ops.h"
#include "api/op.h"
#include "api/registry_ops.h"
#include "api/tracking_ops.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "domain/registry.h"
#include "http/route.h"
#include "store/store.h"

#include <math.h>
#include <stddef.h>

static const struct api_field *field(const struct api_msg *m, const char *name)
{
    for (size_t i = 0; m && i < m->nfields; i++)
        if (!strcmp(m->fields[i].name, name))
            return &m->fields[i];
    return NULL;
}

TEST(every_row_is_well_formed)
{
    size_t n = 0;
    for (const struct api_area *const *a = api_areas; *a; a++) {
        for (size_t i = 0; i < (*a)->n; i++) {
            const struct api_op *op = (*a)->ops[i];
            n++;
            if (api_op_find(op->name) != op)
                FAIL_AT("row '%s' is not the one found by its name", op->name);
            if (!(op->methods & op->call))
                FAIL_AT("row '%s' calls with a method it does not serve", op->name);
            if (!op->stream && (!op->req || !op->exec))
                FAIL_AT("row '%s' has no request or function", op->name);
            if (op->max_body == 0 && !op->stream)
                FAIL_AT("row '%s' takes no body at all", op->name);
            /* the path is a template the router takes */
            struct http_route rt = {op->methods, NULL, NULL, 0, NULL, NULL, 0};
            char path[512];
            snprintf(path, sizeof(path), "%s/%s", op->root, op->path);
            rt.path = path;
            struct http_router *r;
            struct ferr err = FERR_INIT;
            ASSERT_OK(http_router_new(&rt, 1, &r, &err), &err);
            http_router_free(r);
            /* every row says who may call it (server/guard.c checks it) */
            if (op->res.access == ACCESS_UNDECLARED)
                FAIL_AT("row '%s' declares no access", op->name);
            if ((op->res.loc == LOC_NONE || op->res.loc == LOC_NEW_EXPERIMENT ||
                 op->res.loc == LOC_NEW_MODEL) &&
                op->res.access != ACCESS_READ && op->res.access != ACCESS_EDIT &&
                op->res.access != ACCESS_ADMIN && op->res.access != ACCESS_SELF &&
                op->res.access != ACCESS_PUBLIC)
                FAIL_AT("row '%s' needs %s on nothing it locates", op->name,
                        api_access_name(op->res.access));
            /* a locator reads a field the request has */
            if (op->res.field && !op->stream && !field(op->req, op->res.field))
                FAIL_AT("row '%s' locates its resource by '%s', which it does not take", op->name,
                        op->res.field);
            for (size_t k = 0; op->req && k < op->req->nfields; k++) {
                const struct api_field *f = &op->req->fields[k];
                char want[128];
                snprintf(want, sizeof(want), "{%s", f->name);
                if ((f->flags & AF_IN_PATH) && !strstr(op->path, want))
                    FAIL_AT("row '%s': path field '%s' is not in its path", op->name, f->name);
            }
        }
    }
    ASSERT(n >= 50);
    ASSERT(api_op_find("runs/log-batch") == &api_runs_log_batch);
    ASSERT(api_op_find("no/such-op") == NULL);
}

/* The REST transport's JSON for req, decoded as the server decodes it. */
static json_t *wire(const struct api_op *op, const void *req)
{
    json_t *j = api_encode_request(op, req);
    ASSERT(j != NULL);
    /* through text, as it travels */
    char *text = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    j = json_loads(text, 0, NULL);
    free(text);
    return j;
}

TEST(a_search_survives_the_wire)
{
    const char *ids[] = {"1", "22"}, *order[] = {"metrics.acc DESC"};
    struct run_search q = {ids, 2, "params.lr = '0.1'", VIEW_ALL, 77, order, 1, "tok"};
    struct run_search got;
    struct ferr err = FERR_INIT;
    json_t *j = wire(&api_runs_search, &q);
    memset(&got, 0, sizeof(got));
    ASSERT_OK(api_decode_request(&api_runs_search, j, &got, &err), &err);
    ASSERT_INT_EQ(got.nexperiment_ids, 2);
    ASSERT_STR_EQ(got.experiment_ids[1], "22");
    ASSERT_STR_EQ(got.filter, q.filter);
    ASSERT_STR_EQ(got.page_token, "tok");
    ASSERT_INT_EQ(got.max_results, 77);
    ASSERT_INT_EQ(got.view, VIEW_ALL);
    ASSERT_STR_EQ(got.order_by[0], "metrics.acc DESC");
    api_release_request(&api_runs_search, &got);
    json_decref(j);
    /* absent fields take the row's defaults */
    j = json_loads("{}", 0, NULL);
    memset(&got, 0, sizeof(got));
    ASSERT_OK(api_decode_request(&api_runs_search, j, &got, &err), &err);
    ASSERT_INT_EQ(got.max_results, 1000);
    ASSERT_INT_EQ(got.view, VIEW_ACTIVE_ONLY);
    ASSERT(got.filter == NULL && got.nexperiment_ids == 0);
    api_release_request(&api_runs_search, &got);
    json_decref(j);
}

TEST(a_batch_and_a_registry_write_survive_the_wire)
{
    struct ferr err = FERR_INIT;
    struct rq_log_batch b, bgot;
    memset(&b, 0, sizeof(b));
    b.run_id = "0123456789abcdef0123456789abcdef";
    metric_list_add(&b.metrics, "loss", 0.5, 1000, 3);
    kv_list_add(&b.params, "lr", "0.1");
    kv_list_add(&b.tags, "t", "v");
    json_t *j = wire(&api_runs_log_batch, &b);
    memset(&bgot, 0, sizeof(bgot));
    ASSERT_OK(api_decode_request(&api_runs_log_batch, j, &bgot, &err), &err);
    ASSERT_STR_EQ(bgot.run_id, b.run_id);
    ASSERT_INT_EQ(bgot.metrics.n, 1);
    ASSERT_STR_EQ(bgot.metrics.v[0].key, "loss");
    ASSERT_INT_EQ(bgot.metrics.v[0].step, 3);
    ASSERT_STR_EQ(kv_list_get(&bgot.params, "lr"), "0.1");
    ASSERT_STR_EQ(kv_list_get(&bgot.tags, "t"), "v");
    api_release_request(&api_runs_log_batch, &bgot);
    json_decref(j);
    metric_list_release(&b.metrics);
    kv_list_release(&b.params);
    kv_list_release(&b.tags);

    const struct api_op *op = api_registry_write_op(REG_CREATE_VERSION);
    struct reg_write w = {.action = REG_CREATE_VERSION, .name = "m", .source = "runs:/x/model"};
    struct reg_write wgot;
    kv_list_add(&w.tags, "k", "v");
    ASSERT(op && !strcmp(op->name, "model-versions/create") && op->call == HTTP_POST);
    j = wire(op, &w);
    memset(&wgot, 0, sizeof(wgot));
    ASSERT_OK(api_decode_request(op, j, &wgot, &err), &err);
    ASSERT_STR_EQ(wgot.name, "m");
    ASSERT_STR_EQ(wgot.source, "runs:/x/model");
    ASSERT_STR_EQ(kv_list_get(&wgot.tags, "k"), "v");
    ASSERT(wgot.run_id == NULL && wgot.description == NULL);
    api_release_request(op, &wgot);
    json_decref(j);
    kv_list_release(&w.tags);
    /* each action has its row, with MLflow's method */
    ASSERT_INT_EQ(api_registry_write_op(REG_DELETE_MODEL)->call, HTTP_DELETE);
    ASSERT_INT_EQ(api_registry_write_op(REG_UPDATE_VERSION)->call, HTTP_PATCH);
    ASSERT(api_registry_write_op((enum reg_action)99) == NULL);
}

TEST(decoding_keeps_mlflows_messages)
{
    static const struct {
        const struct api_op *op;
        const char *body, *message;
    } cases[] = {
        {&api_runs_get, "{}",
         "Missing value for required parameter 'run_id'. See the API docs for more information "
         "about request parameters."},
        {&api_runs_get, "{\"run_id\": 5}",
         "Invalid value 5 for parameter 'run_id' supplied:  Hint: Value was of type 'int'. See "
         "the API docs for more information about request parameters."},
        {&api_runs_search, "{\"run_view_type\": \"SOME\"}", "expected ACTIVE_ONLY"},
        {&api_runs_search, "{\"experiment_ids\": [1]}",
         "Invalid value [1] for parameter 'experiment_ids' supplied:  Hint: Value was of type "
         "'list'."},
        {&api_runs_update, "{\"run_id\": \"r\", \"status\": \"DONE\"}",
         "invalid value 'DONE' for parameter 'status'"},
        {&api_runs_log_batch, "{\"run_id\": \"r\", \"metrics\": 3}",
         "Invalid value 3 for parameter 'metrics' supplied:  Hint: Value was of type 'int'."},
        {&api_runs_log_batch,
         "{\"run_id\": \"r\", \"metrics\": [{\"key\": \"a\", \"value\": 1, \"timestamp\": 1}, "
         "{\"key\": \"b\", \"value\": 1}]}",
         "Missing value for required parameter 'metrics[1].timestamp'."},
        {&api_runs_log_batch,
         "{\"run_id\": \"r\", \"metrics\": [{\"key\": \"a\", \"value\": 0.1, \"timestamp\": "
         "\"x\"}]}",
         "Invalid value \"x\" for parameter 'metrics[0].timestamp' supplied:  Hint: Value was of "
         "type 'str'."},
        {&api_runs_log_metric,
         "{\"run_id\": \"r\", \"key\": \"k\", \"value\": 0.1, \"timestamp\": 2.5}",
         "Invalid value 2.5 for parameter 'timestamp' supplied:  Hint: Value was of type 'float'."},
        {&api_runs_log_batch, "{\"run_id\": \"r\", \"params\": [{\"value\": \"v\"}]}",
         "Missing value for required parameter 'params[0].key'."},
        {&api_registered_models_get, "{\"name\": \"\"}",
         "Missing value for required parameter 'name'."},
        {&api_metrics_get_history, "{\"run_id\": \"r\"}",
         "Missing value for required parameter 'metric_key'."},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
        struct ferr err = FERR_INIT;
        json_t *j = json_loads(cases[i].body, 0, NULL);
        char req[512];
        ASSERT(cases[i].op->req->size <= sizeof(req));
        memset(req, 0, sizeof(req));
        ASSERT_FAILS(api_decode_request(cases[i].op, j, req, &err), &err,
                     FERR_INVALID_PARAMETER_VALUE);
        ASSERT_CONTAINS(err.msg, cases[i].message);
        json_decref(j);
    }
    /* a version as a number or a string, a bad one named */
    struct ferr err = FERR_INIT;
    struct reg_write w;
    const struct api_op *op = api_registry_write_op(REG_DELETE_VERSION);
    json_t *j = json_loads("{\"name\": \"m\", \"version\": 3}", 0, NULL);
    memset(&w, 0, sizeof(w));
    ASSERT_OK(api_decode_request(op, j, &w, &err), &err);
    ASSERT_INT_EQ(w.version, 3);
    json_decref(j);
    j = json_loads("{\"name\": \"m\", \"version\": \" 7 \"}", 0, NULL); /* Python's int() */
    ASSERT_OK(api_decode_request(op, j, &w, &err), &err);
    ASSERT_INT_EQ(w.version, 7);
    json_decref(j);
    j = json_loads("{\"name\": \"m\", \"version\": \"1.5\"}", 0, NULL);
    ASSERT_FAILS(api_decode_request(op, j, &w, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_STR_EQ(err.msg, "Model version must be an integer, got '1.5'");
    json_decref(j);
}

TEST(answers_survive_the_wire)
{
    struct rs_metrics r, got;
    struct sbuf sb = SBUF_INIT;
    struct ferr err = FERR_INIT;
    memset(&r, 0, sizeof(r));
    metric_list_add(&r.metrics, "acc", 0.25, 5, 1);
    metric_list_add(&r.metrics, "acc", HUGE_VAL, 6, 2);
    char next[] = "next";
    r.next_page_token = next;
    api_encode_response(&api_metrics_get_history, &r, &sb);
    json_t *j = json_loads(sb.buf, 0, NULL);
    ASSERT(j != NULL);
    memset(&got, 0, sizeof(got));
    ASSERT_OK(api_decode_response(&api_metrics_get_history, j, &got, &err), &err);
    ASSERT_INT_EQ(got.metrics.n, 2);
    ASSERT(got.metrics.v[0].value == 0.25 && got.metrics.v[1].value > 1e308);
    ASSERT_STR_EQ(got.next_page_token, "next");
    api_release_response(&api_metrics_get_history, &got);
    json_decref(j);
    metric_list_release(&r.metrics);
    /* an empty answer leaves its list out, as MLflow's protobuf JSON does */
    memset(&r, 0, sizeof(r));
    sbuf_reset(&sb);
    api_encode_response(&api_metrics_get_history, &r, &sb);
    ASSERT_STR_EQ(sb.buf, "{}");
    sbuf_reset(&sb);
    api_encode_response(&api_runs_delete, NULL, &sb);
    ASSERT_STR_EQ(sb.buf, "{}");
    sbuf_release(&sb);
}

/* A history from the store shares one key among its points: written as
 * every other history, with MLflow's special values, and released once by
 * the API layer's release. */
TEST(a_shared_key_history_is_written_and_released)
{
    struct rs_metrics r;
    struct sbuf sb = SBUF_INIT;
    memset(&r, 0, sizeof(r));
    metric_list_add_point(&r.metrics, "loss", NAN, 1, 0);
    metric_list_add_point(&r.metrics, "loss", -INFINITY, 2, 1);
    metric_list_add_point(&r.metrics, "loss", 5e-324, 3, 2);
    metric_list_add_point(&r.metrics, "loss", 0.1, 4, 3);
    r.next_page_token = xstrdup("tok");
    api_encode_response(&api_metrics_get_history, &r, &sb);
    ASSERT_STR_EQ(sb.buf, "{\"metrics\":["
                          "{\"key\":\"loss\",\"value\":\"NaN\",\"timestamp\":1,\"step\":0},"
                          "{\"key\":\"loss\",\"value\":\"-Infinity\",\"timestamp\":2,\"step\":1},"
                          "{\"key\":\"loss\",\"value\":4.9406564584124654e-324,\"timestamp\":3,"
                          "\"step\":2},"
                          "{\"key\":\"loss\",\"value\":0.10000000000000001,\"timestamp\":4,"
                          "\"step\":3}],\"next_page_token\":\"tok\"}");
    api_release_response(&api_metrics_get_history, &r);
    ASSERT(r.metrics.v == NULL && r.next_page_token == NULL);
    sbuf_release(&sb);
}

/* A row with a path template, as MLflow 3's traces have. */
struct rq_trace_tag {
    const char *request_id, *key;
};
static const struct api_field trace_tag_fields[] = {
    F_STR(struct rq_trace_tag, request_id, "request_id", AF_REQUIRED | AF_IN_PATH),
    F_STR(struct rq_trace_tag, key, "key", AF_REQUIRED),
};
static const struct api_msg trace_tag_req = API_MSG(struct rq_trace_tag, trace_tag_fields);
static const struct api_op trace_tag = {.name = "traces/tags",
                                        .root = "/api/2.0/mlflow",
                                        .path = "traces/{request_id}/tags",
                                        .methods = HTTP_DELETE,
                                        .call = HTTP_DELETE,
                                        .req = &trace_tag_req};

TEST(path_parameters_fill_the_template_not_the_body)
{
    struct rq_trace_tag q = {"tr 1/ü", "k"};
    struct sbuf path = SBUF_INIT;
    api_request_path(&trace_tag, &q, &path);
    ASSERT_STR_EQ(path.buf, "traces/tr%201%2F%C3%BC/tags");
    json_t *j = api_encode_request(&trace_tag, &q);
    ASSERT(!json_object_get(j, "request_id") && json_object_get(j, "key"));
    json_decref(j);
    sbuf_release(&path);
}

TEST(what_a_request_touches)
{
    struct store *s;
    struct ferr err = FERR_INIT;
    char db[512], *exp;
    snprintf(db, sizeof(db), "%s/t.db", test_tmpdir());
    ASSERT_OK(store_open(db, NULL, &s, &err), &err);
    ASSERT_OK(store_create_experiment(s, "e", NULL, NULL, &exp, &err), &err);
    struct run_create rc = {exp, NULL, NULL, TIME_NONE, {0}};
    struct run run;
    ASSERT_OK(store_create_run(s, &rc, &run, &err), &err);
    struct api_target t;
    struct rq_run_id q = {run.info.run_id};
    ASSERT_OK(api_resolve_target(&api_runs_get, &q, s, &t, &err), &err);
    ASSERT_INT_EQ(t.access, ACCESS_READ);
    ASSERT_INT_EQ(t.nexperiments, 1);
    ASSERT_STR_EQ(t.experiment_ids[0], exp);
    api_target_release(&t);
    struct rq_run_id missing = {"0123456789abcdef0123456789abcdef"};
    ASSERT_FAILS(api_resolve_target(&api_runs_delete, &missing, s, &t, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    const char *ids[] = {run.info.run_id, run.info.run_id};
    struct rq_metric_bulk_interval b = {ids, 2, "acc", TIME_NONE, TIME_NONE, 10};
    ASSERT_OK(api_resolve_target(&api_metrics_get_history_bulk_interval, &b, s, &t, &err), &err);
    ASSERT_INT_EQ(t.nexperiments, 1); /* each experiment once */
    api_target_release(&t);
    struct rq_model_uri u = {"models:/fraud@champion"};
    ASSERT_OK(api_resolve_target(&api_models_resolve, &u, s, &t, &err), &err);
    ASSERT_STR_EQ(t.model_name, "fraud");
    api_target_release(&t);
    struct reg_write w = {.name = "m2"};
    ASSERT_OK(api_resolve_target(api_registry_write_op(REG_DELETE_MODEL), &w, s, &t, &err), &err);
    ASSERT_INT_EQ(t.access, ACCESS_DELETE);
    ASSERT_STR_EQ(t.model_name, "m2");
    api_target_release(&t);
    struct experiment_search es = {NULL, VIEW_ACTIVE_ONLY, 10, NULL, 0, NULL};
    ASSERT_OK(api_resolve_target(&api_experiments_search, &es, s, &t, &err), &err);
    ASSERT_INT_EQ(t.loc, LOC_NONE);
    api_target_release(&t);
    run_release(&run);
    free(exp);
    store_close(s);
}
