/* SPDX-License-Identifier: MIT
 * The server's backend: one of a store and an upstream is set, and each
 * function below picks by that, so the choice is made in this file only. */
#include "server/exec.h"
#include "server/forward.h"
#include "server/upstream.h"
#include "api/tracking_ops.h"
#include "api/traces_ops.h"
#include "api/logged_models_ops.h"
#include "api/registry_ops.h"
#include "store/model_uri.h"
#include "store/registry.h"
#include "store/traces.h"
#include "store/uri.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <stdio.h>
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
    x->name = store_uri_redacted(x->upstream ? upstream_uri(x->upstream) : uri);
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

struct store *exec_store(const struct exec *x)
{
    return x->store;
}

const char *exec_default_artifact_root(const struct exec *x)
{
    return x->store ? store_default_artifact_root(x->store) : NULL;
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

int exec_version_location(struct exec *x, const char *name, int64_t version, char **where,
                          struct ferr *err)
{
    struct sbuf uri = SBUF_INIT;
    *where = NULL;
    if (!x->upstream) {
        struct model_version v;
        if (store_get_model_version(x->store, name, version, &v, err))
            return -1;
        model_version_release(&v);
        sbuf_addf(&uri, "models:/%s/%" PRId64, name, version);
        int rc = store_resolve_model_uri(x->store, uri.buf, where, NULL, err);
        sbuf_release(&uri);
        return rc;
    }
    /* upstream (ferry or MLflow): the download URI, then a run's or a
     * logged model's location, with rows every such server has */
    struct rq_model_version q = {name, version};
    struct rs_download_uri r = {NULL};
    if (upstream_call(x->upstream, api_op_find("model-versions/get-download-uri"), &q, &r, err))
        return -1;
    const char *u = r.artifact_uri ? r.artifact_uri : "";
    int rc = 0;
    if (!strncmp(u, "runs:/", 6)) {
        const char *id = u + 6;
        size_t n = strcspn(id, "/");
        struct run run;
        char run_id[64];
        snprintf(run_id, sizeof(run_id), "%.*s", (int)(n < 63 ? n : 63), id);
        rc = exec_get_run(x, run_id, &run, err);
        if (!rc) {
            sbuf_addstr(&uri, run.info.artifact_uri ? run.info.artifact_uri : "");
            if (id[n] && id[n + 1])
                sbuf_addf(&uri, "/%s", id + n + 1);
            *where = sbuf_detach(&uri, NULL);
            run_release(&run);
        }
    } else if (!strncmp(u, "models:/", 8) && u[8] && !strpbrk(u + 8, "/@")) {
        struct rq_logged_model_id mq;
        struct rs_logged_model mr = {NULL};
        memset(&mq, 0, sizeof(mq));
        mq.model_id = u + 8;
        rc = upstream_call(x->upstream, &api_logged_model_get, &mq, &mr, err);
        if (!rc) {
            *where = mr.model->artifact_uri;
            mr.model->artifact_uri = NULL;
            api_release_response(&api_logged_model_get, &mr);
        }
    } else {
        *where = r.artifact_uri;
        r.artifact_uri = NULL;
    }
    free(r.artifact_uri);
    sbuf_release(&uri);
    return rc;
}

void exec_idle(struct exec *x)
{
    if (x->store)
        store_release_memory(x->store);
    else
        upstream_idle(x->upstream);
}
