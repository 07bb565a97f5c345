/* SPDX-License-Identifier: MIT
 * The server's backend: one of a store and an upstream is set, and each
 * function below picks by that, so the choice is made in this file only. */
#include "server/exec.h"
#include "server/forward.h"
#include "server/upstream.h"
#include "api/tracking_ops.h"
#include "api/traces_ops.h"
#include "store/traces.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

struct exec {
    struct store *store;       /* local */
    struct upstream *upstream; /* forwarding */
    char *name;
};

static int is_http(const char *uri)
{
    return !strncmp(uri, "http://", 7) || !strncmp(uri, "https://", 8);
}

int exec_open(const char *uri, const struct store_opts *opts, struct exec **out, struct ferr *err)
{
    struct exec *x = xcalloc(1, sizeof(*x));
    int rc = is_http(uri) ? upstream_open(uri, &x->upstream, err)
                          : store_open(uri, opts, &x->store, err);
    if (rc) {
        free(x);
        return -1;
    }
    x->name = xstrdup(x->upstream ? upstream_uri(x->upstream) : uri);
    *out = x;
    return 0;
}

void exec_close(struct exec *x)
{
    if (!x)
        return;
    store_close(x->store);
    upstream_close(x->upstream);
    free(x->name);
    free(x);
}

int exec_is_upstream(const struct exec *x)
{
    return x->upstream != NULL;
}

const char *exec_name(const struct exec *x)
{
    return x->name;
}

int exec_row(struct exec *x, const struct api_env *env, const struct api_op *op, void *req,
             void *resp, struct ferr *err)
{
    struct api_env e = *env;
    e.store = x->store;
    if (x->upstream)
        return forward_row(x->upstream, &e, op, req, resp, err);
    return api_exec(&e, op, req, resp, err);
}

int exec_get_run(struct exec *x, const char *run_id, struct run *out, struct ferr *err)
{
    if (!x->upstream)
        return store_get_run(x->store, run_id, out, err);
    struct rq_run_id q = {run_id};
    struct rs_run r;
    memset(&r, 0, sizeof(r));
    if (upstream_call(x->upstream, &api_runs_get, &q, &r, err))
        return -1;
    *out = r.run;
    return 0;
}

int exec_get_trace_info(struct exec *x, const char *request_id, struct trace_info *out,
                        struct ferr *err)
{
    if (!x->upstream)
        return store_get_trace_info(x->store, request_id, out, err);
    struct rq_trace_id q = {request_id};
    struct rs_trace_info r;
    memset(&r, 0, sizeof(r));
    if (upstream_call(x->upstream, &api_traces_get_info, &q, &r, err))
        return -1;
    *out = r.trace_info;
    return 0;
}

void exec_idle(struct exec *x)
{
    if (x->store)
        store_release_memory(x->store);
    else
        upstream_idle(x->upstream);
}
