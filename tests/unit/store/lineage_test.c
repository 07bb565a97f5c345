/* SPDX-License-Identifier: MIT
 * store/lineage on both backends: executions upserted and listed (pipeline
 * runs, a pipeline run's steps, pages), events with artifacts upserted by
 * (uri, digest), the step cache's lookup (latest COMPLETE, deleted runs and
 * old ones left out), the graph joining events with dataset inputs, logged
 * models and model versions in both directions, the root's URI forms and
 * the unknown ones, and a generated 10,000-node graph walked in time. */
#include "../test.h"
#include "fixtures.h"
#include "base/sbuf.h"
#include "domain/data_version.h"
#include "domain/lineage.h"
#include "store/datasets.h"
#include "store/lineage.h"
#include "store/logged_models.h"
#include "store/registry.h"
#include "store/store.h"

#include <string.h>
#include <time.h>

static struct store *open_store_gc(const char *name, int group_commit)
{
    char *uri = test_store_uri(name);
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    o.default_artifact_root = "/artifacts";
    o.group_commit = group_commit;
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    free(uri);
    return s;
}

static struct store *open_lineage_store(const char *name)
{
    return open_store_gc(name, 1);
}

static void put_exec(struct store *s, const char *run, const char *pipeline_run, const char *step,
                     const char *state, const char *fp, int64_t started, int64_t ended)
{
    struct ferr err = FERR_INIT;
    struct lineage_execution_in e = {run, "p", pipeline_run, step, state, fp, "", started, ended};
    ASSERT_OK(store_lineage_execution_put(s, &e, &err), &err);
}

static void log_event(struct store *s, const char *run, const char *kind, const char *name,
                      const char *uri, const char *type, const char *digest)
{
    struct ferr err = FERR_INIT;
    struct lineage_event_in e = {kind, name, uri, type, digest, NULL};
    ASSERT_OK(store_lineage_events_log(s, run, &e, 1, &err), &err);
}

static char *uri_of(const char *run, const char *path)
{
    struct sbuf b = SBUF_INIT;
    sbuf_addf(&b, "runs:/%s%s%s", run, path ? "/" : "", path ? path : "");
    return sbuf_detach(&b, NULL);
}

STORE_TEST(lineage_executions_put_get_list)
{
    struct store *s = open_lineage_store("lin_exec");
    struct ferr err = FERR_INIT;
    char *p = fixture_new_run(s, "0", "pipe", 1000), *a = fixture_new_run(s, "0", "a", 1001), *b = fixture_new_run(s, "0", "b", 1002);
    put_exec(s, p, p, "", LINEAGE_RUNNING, "", 1000, 0);
    put_exec(s, b, p, "b", LINEAGE_RUNNING, "fb", 1002, 0);
    put_exec(s, a, p, "a", LINEAGE_COMPLETE, "fa", 1001, 1500);
    put_exec(s, b, p, "b", LINEAGE_FAILED, "fb", 1002, 1600); /* upsert */
    struct lineage_execution e;
    ASSERT_OK(store_lineage_execution_get(s, b, &e, &err), &err);
    ASSERT_STR_EQ(e.state, "FAILED");
    ASSERT_INT_EQ(e.ended_ms, 1600);
    ASSERT_STR_EQ(e.pipeline_run_id, p);
    lineage_execution_release(&e);

    struct lineage_execution_list l;
    ASSERT_OK(store_lineage_executions_list(s, NULL, 0, NULL, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_STR_EQ(l.v[0].run_id, p);
    ASSERT_STR_EQ(l.v[0].step, "");
    lineage_execution_list_release(&l);
    ASSERT_OK(store_lineage_executions_list(s, p, 1, NULL, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_STR_EQ(l.v[0].step, "a"); /* by start */
    ASSERT(l.next_page_token);
    char *tok = strdup(l.next_page_token);
    lineage_execution_list_release(&l);
    ASSERT_OK(store_lineage_executions_list(s, p, 1, tok, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_STR_EQ(l.v[0].step, "b");
    ASSERT(!l.next_page_token);
    lineage_execution_list_release(&l);
    free(tok);

    /* errors */
    struct lineage_execution_in bad = {
        "0123456789abcdef0123456789abcdef", "", "", "", LINEAGE_COMPLETE, "", "", 0, 0};
    ASSERT_FAILS(store_lineage_execution_put(s, &bad, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    bad.run_id = a;
    bad.state = "DONE";
    ASSERT_FAILS(store_lineage_execution_put(s, &bad, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    bad.state = LINEAGE_CACHED;
    bad.cached_from = "not-a-run";
    ASSERT_FAILS(store_lineage_execution_put(s, &bad, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_lineage_executions_list(s, NULL, 1001, NULL, &l, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_lineage_execution_get(s, "0123456789abcdef0123456789abcdef", &e, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    free(p);
    free(a);
    free(b);
    store_close(s);
}

STORE_TEST(lineage_events_and_cache_lookup)
{
    struct store *s = open_lineage_store("lin_cache");
    struct ferr err = FERR_INIT;
    char *old = fixture_new_run(s, "0", "old", 1000), *newer = fixture_new_run(s, "0", "new", 2000),
         *failed = fixture_new_run(s, "0", "failed", 3000), *gone = fixture_new_run(s, "0", "gone", 4000);
    int64_t now = (int64_t)time(NULL) * 1000;
    put_exec(s, old, old, "train", LINEAGE_COMPLETE, "fp1", 1000, 1100);
    put_exec(s, newer, newer, "train", LINEAGE_COMPLETE, "fp1", now - 5000, now - 4000);
    put_exec(s, failed, failed, "train", LINEAGE_FAILED, "fp1", now - 3000, now - 2000);
    put_exec(s, gone, gone, "train", LINEAGE_COMPLETE, "fp1", now - 1000, now - 500);
    ASSERT_OK(store_delete_run(s, gone, &err), &err);
    char *o1 = uri_of(newer, "outputs/model"), *o2 = uri_of(newer, "outputs/metrics.json");
    struct lineage_event_in ev[] = {
        {LINEAGE_INPUT, "train", "file:///data/train.csv", "", "d1", NULL},
        {LINEAGE_OUTPUT, "model", o1, LINEAGE_TYPE_MODEL, "d2", "{\"flavor\": \"sklearn\"}"},
        {LINEAGE_OUTPUT, "metrics", o2, LINEAGE_TYPE_METRICS, "d3", NULL},
    };
    ASSERT_OK(store_lineage_events_log(s, newer, ev, 3, &err), &err);
    ASSERT_OK(store_lineage_events_log(s, newer, ev, 3, &err), &err); /* a resend */
    struct lineage_cache_hit h;
    ASSERT_OK(store_lineage_cache_lookup(s, "fp1", 0, &h, &err), &err);
    ASSERT(h.found);
    ASSERT_STR_EQ(h.execution.run_id, newer); /* not the deleted, not the failed */
    ASSERT_INT_EQ(h.noutputs, 2);
    ASSERT_STR_EQ(h.outputs[0].name, "metrics");
    ASSERT_STR_EQ(h.outputs[0].uri, o2);
    ASSERT_STR_EQ(h.outputs[0].digest, "d3");
    ASSERT_STR_EQ(h.outputs[1].type, "model");
    lineage_cache_hit_release(&h);
    /* too old */
    ASSERT_OK(store_lineage_cache_lookup(s, "fp1", 1000, &h, &err), &err);
    ASSERT(!h.found);
    lineage_cache_hit_release(&h);
    ASSERT_OK(store_lineage_cache_lookup(s, "fp2", 0, &h, &err), &err);
    ASSERT(!h.found);
    lineage_cache_hit_release(&h);

    /* a step cached from it points at the same artifacts: one row each */
    char *cached = fixture_new_run(s, "0", "cached", 5000);
    struct lineage_execution_in ce = {cached, "p",   cached, "train", LINEAGE_CACHED,
                                      "fp1",  newer, now,    now};
    ASSERT_OK(store_lineage_execution_put(s, &ce, &err), &err);
    ASSERT_OK(store_lineage_events_log(s, cached, ev + 1, 2, &err), &err);
    struct lineage_graph g;
    ASSERT_OK(store_lineage_graph(s, o1, LINEAGE_UPSTREAM, 1, 0, &g, &err), &err);
    ASSERT_INT_EQ(g.nnodes, 3); /* the artifact, both runs that output it */
    ASSERT_STR_EQ(g.nodes[0].type, "model");
    ASSERT_STR_EQ(g.nodes[0].digest, "d2");
    lineage_graph_release(&g);

    /* errors */
    struct lineage_event_in bad = {"made", "x", "file:///x", "", "", NULL};
    ASSERT_FAILS(store_lineage_events_log(s, newer, &bad, 1, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    bad.kind = LINEAGE_INPUT;
    bad.properties = "[1]";
    ASSERT_FAILS(store_lineage_events_log(s, newer, &bad, 1, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    bad.properties = NULL;
    bad.type = "Not A Type";
    ASSERT_FAILS(store_lineage_events_log(s, newer, &bad, 1, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    bad.type = NULL;
    ASSERT_FAILS(store_lineage_events_log(s, "0123456789abcdef0123456789abcdef", &bad, 1, &err),
                 &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_lineage_cache_lookup(s, "", 0, &h, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    free(o1);
    free(o2);
    free(old);
    free(newer);
    free(failed);
    free(gone);
    free(cached);
    store_close(s);
}

static const char empty_manifest[] =
    "{\"chunk_size\":8388608,\"dirs\":[],\"files\":[],\"format\":\"ferry-data/1\",\"links\":[]}";

static int has_node(const struct lineage_graph *g, const char *id, const char *kind)
{
    for (size_t i = 0; i < g->nnodes; i++)
        if (!strcmp(g->nodes[i].id, id))
            return !strcmp(lineage_node_kind_name(g->nodes[i].kind), kind);
    return 0;
}

static int has_edge(const struct lineage_graph *g, const char *src, const char *dst,
                    const char *kind)
{
    for (size_t i = 0; i < g->nedges; i++)
        if (!strcmp(g->edges[i].source, src) && !strcmp(g->edges[i].target, dst) &&
            !strcmp(g->edges[i].kind, kind))
            return 1;
    return 0;
}

STORE_TEST(lineage_graph_joins_what_the_store_knows)
{
    struct store *s = open_lineage_store("lin_graph");
    struct ferr err = FERR_INIT;
    struct data_version_new nv = {"t", empty_manifest, "", "", NULL, NULL};
    struct data_version dv;
    ASSERT_OK(store_data_version_create(s, &nv, &dv, NULL, &err), &err);
    ASSERT_INT_EQ(dv.version, 1);
    data_version_release(&dv);
    ASSERT_OK(store_data_alias_set(s, "t", "prod", 1, &err), &err);

    char *pipe = fixture_new_run(s, "0", "pipe", 1000), *prep = fixture_new_run(s, "0", "prep", 1001),
         *train = fixture_new_run(s, "0", "train", 1002);
    put_exec(s, pipe, pipe, "", LINEAGE_COMPLETE, "", 1000, 2000);
    put_exec(s, prep, pipe, "prep", LINEAGE_COMPLETE, "f1", 1001, 1500);
    put_exec(s, train, pipe, "train", LINEAGE_COMPLETE, "f2", 1002, 1900);
    char *csv = uri_of(prep, "outputs/train.csv"), *model = uri_of(train, "outputs/model");
    log_event(s, prep, LINEAGE_INPUT, "raw", "data:/t/1", "dataset", "dd");
    log_event(s, prep, LINEAGE_OUTPUT, "train", csv, "file", "c1");
    log_event(s, train, LINEAGE_INPUT, "prep.train", csv, "file", "c1");
    log_event(s, train, LINEAGE_OUTPUT, "model", model, "model", "m1");
    /* an MLflow dataset input of train: data:/t/1 */
    char name[] = "t", digest[] = "abcdef12", st[] = "ferry", src[] = "{\"uri\": \"data:/t/1\"}";
    struct dataset_input di = {0};
    di.dataset.name = name;
    di.dataset.digest = digest;
    di.dataset.source_type = st;
    di.dataset.source = src;
    kv_list_add(&di.tags, "mlflow.data.context", "training");
    ASSERT_OK(store_log_inputs(s, train, &di, 1, &err), &err);
    kv_list_release(&di.tags);
    /* a logged model made by train, a model version registered from the step output */
    struct logged_model lm = {0};
    struct logged_model_create lc = {"0", "fraud-model", "sklearn", train, {0}, {0}};
    ASSERT_OK(store_create_logged_model(s, &lc, &lm, &err), &err);
    struct reg_write w = {.action = REG_CREATE_MODEL, .name = "fraud", .user = "u"};
    ASSERT_OK(store_registry_write(s, &w, &err), &err);
    struct reg_write v = {.action = REG_CREATE_VERSION,
                          .name = "fraud",
                          .user = "u",
                          .source = model,
                          .run_id = train};
    ASSERT_OK(store_registry_write(s, &v, &err), &err);
    struct reg_write al = {
        .action = REG_SET_ALIAS, .name = "fraud", .user = "u", .alias = "champion", .version = 1};
    ASSERT_OK(store_registry_write(s, &al, &err), &err);

    char *prep_node = uri_of(prep, NULL), *train_node = uri_of(train, NULL);
    struct sbuf lmid = SBUF_INIT;
    sbuf_addf(&lmid, "models:/%s", lm.model_id);

    /* upstream of the model version, by alias */
    struct lineage_graph g;
    ASSERT_OK(store_lineage_graph(s, "models:/fraud@champion", LINEAGE_UPSTREAM, 0, 0, &g, &err),
              &err);
    ASSERT_STR_EQ(g.root, "models:/fraud/1");
    ASSERT(has_node(&g, "models:/fraud/1", "model_version"));
    ASSERT(has_node(&g, train_node, "execution"));
    ASSERT(has_node(&g, model, "artifact"));
    ASSERT(has_node(&g, csv, "artifact"));
    ASSERT(has_node(&g, prep_node, "execution"));
    ASSERT(has_node(&g, "data:/t/1", "dataset_version"));
    ASSERT_INT_EQ(g.nnodes, 6);
    ASSERT(has_edge(&g, train_node, "models:/fraud/1", "registered"));
    ASSERT(has_edge(&g, model, "models:/fraud/1", "registered"));
    ASSERT(has_edge(&g, train_node, model, "output"));
    ASSERT(has_edge(&g, csv, train_node, "input"));
    ASSERT(has_edge(&g, prep_node, csv, "output"));
    ASSERT(has_edge(&g, "data:/t/1", prep_node, "input"));
    ASSERT(has_edge(&g, "data:/t/1", train_node, "input")); /* the MLflow dataset input */
    for (size_t i = 0; i < g.nnodes; i++) {
        if (!strcmp(g.nodes[i].id, train_node)) {
            ASSERT_STR_EQ(g.nodes[i].name, "train");
            ASSERT_STR_EQ(g.nodes[i].state, "COMPLETE");
            ASSERT_STR_EQ(g.nodes[i].step, "train");
            ASSERT_STR_EQ(g.nodes[i].pipeline_run_id, pipe);
            ASSERT_STR_EQ(g.nodes[i].experiment_id, "0");
        }
        if (!strcmp(g.nodes[i].id, "data:/t/1"))
            ASSERT_INT_EQ(strlen(g.nodes[i].digest), 64);
    }
    lineage_graph_release(&g);

    /* depth 1 stops at the version's neighbours */
    ASSERT_OK(store_lineage_graph(s, "models:/fraud/1", LINEAGE_UPSTREAM, 1, 0, &g, &err), &err);
    ASSERT_INT_EQ(g.nnodes, 3);
    lineage_graph_release(&g);
    /* max_nodes truncates */
    ASSERT_OK(store_lineage_graph(s, "models:/fraud/1", LINEAGE_UPSTREAM, 0, 2, &g, &err), &err);
    ASSERT_INT_EQ(g.nnodes, 2);
    ASSERT(g.truncated);
    lineage_graph_release(&g);

    /* downstream of the dataset version, by alias */
    ASSERT_OK(store_lineage_graph(s, "data:/t@prod", LINEAGE_DOWNSTREAM, 0, 0, &g, &err), &err);
    ASSERT_STR_EQ(g.root, "data:/t/1");
    ASSERT(has_node(&g, prep_node, "execution"));
    ASSERT(has_node(&g, train_node, "execution"));
    ASSERT(has_node(&g, lmid.buf, "logged_model"));
    ASSERT(has_node(&g, "models:/fraud/1", "model_version"));
    ASSERT(has_edge(&g, train_node, lmid.buf, "output"));
    ASSERT(has_edge(&g, "data:/t/1", train_node, "input"));
    lineage_graph_release(&g);

    /* other root forms */
    ASSERT_OK(store_lineage_graph(s, train, LINEAGE_UPSTREAM, 1, 0, &g, &err), &err);
    ASSERT_STR_EQ(g.root, train_node);
    lineage_graph_release(&g);
    ASSERT_OK(store_lineage_graph(s, csv, LINEAGE_DOWNSTREAM, 1, 0, &g, &err), &err);
    ASSERT_INT_EQ(g.nnodes, 2);
    lineage_graph_release(&g);
    ASSERT_OK(store_lineage_graph(s, lmid.buf, LINEAGE_UPSTREAM, 1, 0, &g, &err), &err);
    ASSERT(has_edge(&g, train_node, lmid.buf, "output"));
    lineage_graph_release(&g);
    ASSERT_OK(store_lineage_graph(s, "models:/fraud/latest", LINEAGE_UPSTREAM, 1, 0, &g, &err),
              &err);
    lineage_graph_release(&g);

    /* unknown roots */
    ASSERT_FAILS(store_lineage_graph(s, "models:/fraud/7", LINEAGE_UPSTREAM, 0, 0, &g, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_lineage_graph(s, "data:/t/9", LINEAGE_UPSTREAM, 0, 0, &g, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_lineage_graph(s, "0123456789abcdef0123456789abcdef", LINEAGE_UPSTREAM, 0, 0,
                                     &g, &err),
                 &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_lineage_graph(s, "file:///nowhere", LINEAGE_UPSTREAM, 0, 0, &g, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_lineage_graph(s, "models:/m-0123", LINEAGE_UPSTREAM, 0, 0, &g, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_lineage_graph(s, "", LINEAGE_UPSTREAM, 0, 0, &g, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_lineage_graph(s, train, LINEAGE_UPSTREAM, 101, 0, &g, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);

    /* a deleted run is no cache hit */
    ASSERT_OK(store_delete_run(s, prep, &err), &err);
    struct lineage_cache_hit h;
    ASSERT_OK(store_lineage_cache_lookup(s, "f1", 0, &h, &err), &err);
    ASSERT(!h.found); /* deleted */
    lineage_cache_hit_release(&h);

    sbuf_release(&lmid);
    logged_model_release(&lm);
    free(prep_node);
    free(train_node);
    free(csv);
    free(model);
    free(pipe);
    free(prep);
    free(train);
    store_close(s);
}

static double ms_since(const struct timespec *t0)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

STORE_TEST(lineage_graph_of_10000_nodes)
{
    struct store *s = open_store_gc("lin_big", 0); /* the generator imports its runs */
    struct ferr err = FERR_INIT;
    char *root = NULL;
    int64_t made = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ASSERT_OK(store_lineage_generate(s, 0, 10000, 250, &root, &made, &err), &err);
    fprintf(stderr, "    generated %lld nodes in %.0f ms\n", (long long)made, ms_since(&t0));
    ASSERT(made >= 9000 && made <= 10002);
    struct lineage_graph g;
    double best = 1e9;
    for (int i = 0; i < 3; i++) {
        clock_gettime(CLOCK_MONOTONIC, &t0);
        ASSERT_OK(
            store_lineage_graph(s, root, LINEAGE_UPSTREAM, LINEAGE_DEPTH_MAX, 20000, &g, &err),
            &err);
        double ms = ms_since(&t0);
        best = ms < best ? ms : best;
        ASSERT_INT_EQ(g.nnodes, made);
        ASSERT(!g.truncated);
        if (i == 0)
            fprintf(stderr, "    upstream: %zu nodes, %zu edges\n", g.nnodes, g.nedges);
        lineage_graph_release(&g);
    }
    fprintf(stderr, "    lineage graph of %lld nodes (%s): %.1f ms (best of 3)\n", (long long)made,
            test_on_postgres() ? "postgres" : "sqlite", best);
    ASSERT(best < 2000); /* generous: sanitizers; the release build answers in tens of ms */
    /* the default max_nodes truncates a bigger walk, never errs */
    ASSERT_OK(store_lineage_graph(s, root, LINEAGE_UPSTREAM, LINEAGE_DEPTH_MAX, 1000, &g, &err),
              &err);
    ASSERT_INT_EQ(g.nnodes, 1000);
    ASSERT(g.truncated);
    lineage_graph_release(&g);
    free(root);
    store_close(s);
}
