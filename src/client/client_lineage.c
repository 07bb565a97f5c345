/* SPDX-License-Identifier: MIT */
#include "client/client_lineage.h"
#include "api/lineage_ops.h"
#include "client/transport.h"

#include <string.h>

#include "base/banned.h"

int client_lineage_executions_put(struct client *c, const struct lineage_execution_in *e,
                                  struct ferr *err)
{
    struct rq_lineage_execution q;
    q.e = *e;
    if (lineage_execution_check(e, err))
        return -1;
    return client_call(c, &api_lineage_executions_put, &q, NULL, err);
}

int client_lineage_events_log(struct client *c, const char *run_id,
                              const struct lineage_event_in *events, size_t n, struct ferr *err)
{
    for (size_t i = 0; i < n; i += LINEAGE_EVENTS_MAX) {
        size_t k = n - i < LINEAGE_EVENTS_MAX ? n - i : LINEAGE_EVENTS_MAX;
        /* the request borrows the caller's events (never released here) */
        struct rq_lineage_events q = {run_id, (struct lineage_event_in *)(events + i), k, k};
        if (client_call(c, &api_lineage_events_log, &q, NULL, err))
            return -1;
    }
    return 0;
}

int client_lineage_cache_lookup(struct client *c, const char *fingerprint, int64_t max_age_ms,
                                struct lineage_cache_hit *out, struct ferr *err)
{
    struct rq_lineage_cache q = {fingerprint, max_age_ms};
    struct rs_lineage_cache r;
    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    if (client_call(c, &api_lineage_cache_lookup, &q, &r, err))
        return -1;
    if (r.execution) {
        out->found = 1;
        out->execution = *r.execution;
        memset(r.execution, 0, sizeof(*r.execution));
        out->outputs = r.outputs;
        out->noutputs = r.n;
        out->alloc = r.alloc;
        r.outputs = NULL;
        r.n = r.alloc = 0;
    }
    api_release_response(&api_lineage_cache_lookup, &r);
    return 0;
}

int client_lineage_executions_list(struct client *c, const char *pipeline_run_id, int64_t max,
                                   const char *page_token, struct lineage_execution_list *out,
                                   struct ferr *err)
{
    struct rq_lineage_list q = {pipeline_run_id, max, page_token};
    memset(out, 0, sizeof(*out));
    return client_call(c, &api_lineage_executions_list, &q, out, err);
}

int client_lineage_graph(struct client *c, const char *uri, enum lineage_direction direction,
                         int depth, int64_t max_nodes, struct lineage_graph *out, struct ferr *err)
{
    struct rq_lineage_graph q = {uri, lineage_direction_name(direction), depth, max_nodes};
    memset(out, 0, sizeof(*out));
    return client_call(c, &api_lineage_graph, &q, out, err);
}
