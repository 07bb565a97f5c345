/* SPDX-License-Identifier: MIT
 * Lineage through the client: over the embedded transport, the rows on a
 * store (an execution put, events logged in batches past the per-call
 * limit, the cache's hit and miss, the lists, the graph); over REST, what
 * the functions send and how the answers decode. */
#include "../test.h"
#include "fake_http.h"
#include "base/sbuf.h"
#include "client/client.h"
#include "client/client_int.h"
#include "client/client_lineage.h"
#include "store/store.h"

#include <string.h>
#include <time.h>

#define RUN_A "0123456789abcdef0123456789abcdef"

STORE_TEST(client_lineage_embedded)
{
    struct client *c = NULL;
    struct ferr err = FERR_INIT;
    char *uri = test_store_uri("client_lineage");
    ASSERT_OK(client_open(uri, &c, &err), &err);
    free(uri);
    struct run_create rc = {"0", "u", "train", TIME_NONE, {0}};
    struct run r;
    ASSERT_OK(store_create_run(c->store, &rc, &r, &err), &err);
    char *run = strdup(r.info.run_id);
    run_release(&r);
    int64_t now = (int64_t)time(NULL) * 1000;
    struct lineage_execution_in e = {run, "p", run, "", LINEAGE_COMPLETE, "fp", "", now, now};
    ASSERT_OK(client_lineage_executions_put(c, &e, &err), &err);
    /* more events than one call takes: sent in batches */
    size_t n = LINEAGE_EVENTS_MAX + 5;
    struct lineage_event_in *ev = calloc(n, sizeof(*ev));
    char **uris = calloc(n, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        struct sbuf b = SBUF_INIT;
        sbuf_addf(&b, "runs:/%s/outputs/f%zu", run, i);
        uris[i] = sbuf_detach(&b, NULL);
        ev[i] = (struct lineage_event_in){LINEAGE_OUTPUT, "o", uris[i], "file", "d", NULL};
    }
    ASSERT_OK(client_lineage_events_log(c, run, ev, n, &err), &err);
    struct lineage_cache_hit h;
    ASSERT_OK(client_lineage_cache_lookup(c, "fp", 0, &h, &err), &err);
    ASSERT(h.found);
    ASSERT_STR_EQ(h.execution.run_id, run);
    ASSERT_INT_EQ(h.noutputs, n);
    lineage_cache_hit_release(&h);
    ASSERT_OK(client_lineage_cache_lookup(c, "other", 0, &h, &err), &err);
    ASSERT(!h.found);
    lineage_cache_hit_release(&h);
    struct lineage_execution_list l;
    ASSERT_OK(client_lineage_executions_list(c, NULL, 0, NULL, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_STR_EQ(l.v[0].pipeline, "p");
    lineage_execution_list_release(&l);
    struct lineage_graph g;
    ASSERT_OK(client_lineage_graph(c, run, LINEAGE_DOWNSTREAM, 1, 0, &g, &err), &err);
    ASSERT_INT_EQ(g.nnodes, n + 1);
    ASSERT_INT_EQ(g.nedges, n);
    ASSERT_STR_EQ(g.nodes[0].name, "train");
    lineage_graph_release(&g);
    ASSERT(client_lineage_graph(c, RUN_A, LINEAGE_UPSTREAM, 0, 0, &g, &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_RESOURCE_DOES_NOT_EXIST);
    /* checked before anything is sent */
    e.state = "DONE";
    ASSERT(client_lineage_executions_put(c, &e, &err) == -1);
    ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
    for (size_t i = 0; i < n; i++)
        free(uris[i]);
    free(uris);
    free(ev);
    free(run);
    client_close(c);
}

TEST(client_lineage_rest_shapes)
{
    static const struct fake_response answers[] = {
        {200, NULL,
         "{\"execution\":{\"run_id\":\"" RUN_A "\",\"pipeline\":\"p\",\"pipeline_run_id\":\"" RUN_A
         "\",\"step\":\"train\",\"state\":\"COMPLETE\",\"fingerprint\":\"fp\",\"cached_from\":"
         "\"\",\"started_ms\":1,\"ended_ms\":2},\"outputs\":[{\"name\":\"model\",\"uri\":"
         "\"runs:/" RUN_A "/outputs/model\",\"type\":\"model\",\"digest\":\"d\"}]}"},
        {200, NULL, "{}"},
        {200, NULL,
         "{\"root\":\"models:/m/1\",\"nodes\":[{\"id\":\"models:/m/1\",\"kind\":"
         "\"model_version\",\"depth\":0,\"name\":\"m\",\"version\":1},{\"id\":\"runs:/" RUN_A
         "\",\"kind\":\"execution\",\"depth\":1,\"state\":\"COMPLETE\",\"run_id\":\"" RUN_A
         "\"}],\"edges\":[{\"source\":\"runs:/" RUN_A
         "\",\"target\":\"models:/m/1\",\"kind\":\"registered\",\"name\":\"\"}],"
         "\"truncated\":false}"},
        {200, NULL, "{}"},
    };
    struct fake_http f;
    struct client *c = NULL;
    struct ferr err = FERR_INIT;
    char url[64], last[16384];
    struct lineage_cache_hit h;
    fake_http_start(&f, answers, 1);
    fake_http_url(&f, url, sizeof(url));
    ASSERT_OK(client_open(url, &c, &err), &err);
    ASSERT_OK(client_lineage_cache_lookup(c, "fp", 60000, &h, &err), &err);
    ASSERT(h.found);
    ASSERT_STR_EQ(h.execution.step, "train");
    ASSERT_INT_EQ(h.execution.ended_ms, 2);
    ASSERT_INT_EQ(h.noutputs, 1);
    ASSERT_STR_EQ(h.outputs[0].type, "model");
    lineage_cache_hit_release(&h);
    fake_http_last(&f, last, sizeof(last));
    ASSERT_CONTAINS(last, "GET /api/2.0/ferry/lineage/cache/lookup?");
    ASSERT_CONTAINS(last, "fingerprint=fp");
    ASSERT_CONTAINS(last, "max_age_ms=60000");
    client_close(c);
    fake_http_stop(&f);

    fake_http_start(&f, answers + 1, 1);
    fake_http_url(&f, url, sizeof(url));
    ASSERT_OK(client_open(url, &c, &err), &err);
    ASSERT_OK(client_lineage_cache_lookup(c, "fp", 0, &h, &err), &err);
    ASSERT(!h.found);
    lineage_cache_hit_release(&h);
    client_close(c);
    fake_http_stop(&f);

    struct lineage_graph g;
    fake_http_start(&f, answers + 2, 1);
    fake_http_url(&f, url, sizeof(url));
    ASSERT_OK(client_open(url, &c, &err), &err);
    ASSERT_OK(client_lineage_graph(c, "models:/m@prod", LINEAGE_UPSTREAM, 3, 0, &g, &err), &err);
    ASSERT_STR_EQ(g.root, "models:/m/1");
    ASSERT_INT_EQ(g.nnodes, 2);
    ASSERT_INT_EQ(g.nodes[0].kind, LINEAGE_NODE_MODEL_VERSION);
    ASSERT_INT_EQ(g.nodes[0].version, 1);
    ASSERT_STR_EQ(g.nodes[0].digest, "");
    ASSERT_STR_EQ(g.nodes[1].state, "COMPLETE");
    ASSERT_INT_EQ(g.nedges, 1);
    ASSERT_STR_EQ(g.edges[0].kind, "registered");
    lineage_graph_release(&g);
    fake_http_last(&f, last, sizeof(last));
    ASSERT_CONTAINS(last, "GET /api/2.0/ferry/lineage/graph?");
    ASSERT_CONTAINS(last, "direction=upstream");
    ASSERT_CONTAINS(last, "depth=3");
    client_close(c);
    fake_http_stop(&f);

    fake_http_start(&f, answers + 3, 1);
    fake_http_url(&f, url, sizeof(url));
    ASSERT_OK(client_open(url, &c, &err), &err);
    struct lineage_event_in ev = {LINEAGE_INPUT, "raw", "data:/t/1",
                                  "dataset",     "d",   "{\"rows\": 3}"};
    ASSERT_OK(client_lineage_events_log(c, RUN_A, &ev, 1, &err), &err);
    fake_http_last(&f, last, sizeof(last));
    ASSERT_CONTAINS(last, "POST /api/2.0/ferry/lineage/events/log");
    ASSERT_CONTAINS(last, "\"properties\"");
    ASSERT_CONTAINS(last, "\"rows\"");
    client_close(c);
    fake_http_stop(&f);
}
