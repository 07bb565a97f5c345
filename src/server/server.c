/* SPDX-License-Identifier: MIT
 * `ferry server`: the tracking store, the model registry, the proxied
 * artifact service and the web UI as routes on the HTTP core (http/), plus
 * /health and /version. The core answers, drains on SIGTERM and logs;
 * this file opens what the routes need and gives memory back when idle.
 *
 * Threading: by default one thread per connection, so concurrent writers can
 * all be waiting in the store's group commit at once (their writes share one
 * transaction). --workers N switches to a pool of N polling threads. */
#include "server/server.h"
#include "server/server_int.h"
#include "server/api.h"
#include "server/artifact_proxy.h"
#include "server/get_artifact.h"
#include "server/ui.h"
#include "http/request.h"
#include "http/server.h"
#include "base/log.h"
#include "base/version.h"
#include "base/xalloc.h"

#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static int h_health(struct http_request *rq, struct ferr *err)
{
    (void)err;
    return http_respond_text(rq, 200, "OK");
}

static int h_version(struct http_request *rq, struct ferr *err)
{
    (void)err;
    return http_respond_text(rq, 200, FERRY_VERSION_STRING);
}

static const struct http_route base_routes[] = {
    {HTTP_GET, "/health", h_health, 0, NULL, NULL},
    {HTTP_GET, "/version", h_version, 0, NULL, NULL},
    {HTTP_ANY_METHOD, GET_ARTIFACT_PATH, get_artifact_answer, 0, &http_body_drop, NULL},
};

/* Every route of the server: a new array the caller frees with
 * routes_free. */
static struct http_route *routes_new(size_t *n)
{
    size_t napi, nbase = sizeof(base_routes) / sizeof(*base_routes);
    struct http_route *api = api_routes(&napi);
    struct http_route *all = xcalloc(nbase + ui_nroutes + proxy_nroutes + napi, sizeof(*all));
    *n = 0;
    memcpy(all + *n, base_routes, sizeof(base_routes));
    *n += nbase;
    memcpy(all + *n, ui_routes, ui_nroutes * sizeof(*all));
    *n += ui_nroutes;
    memcpy(all + *n, proxy_routes, proxy_nroutes * sizeof(*all));
    *n += proxy_nroutes;
    memcpy(all + *n, api, napi * sizeof(*all));
    *n += napi;
    free(api); /* the paths now belong to all */
    return all;
}

static void routes_free(struct http_route *routes, size_t n)
{
    size_t first_api = sizeof(base_routes) / sizeof(*base_routes) + ui_nroutes + proxy_nroutes;
    for (size_t i = first_api; i < n; i++)
        free((char *)routes[i].path);
    free(routes);
}

/* Memory: glibc keeps what connection threads freed in per-thread arenas
 * and in the heap, so a burst of 64 connections or one 8 MB history answer
 * would stay in RSS for good. At most two arenas exist, and once a second
 * passes in which requests were served and none is in flight, malloc_trim
 * hands free pages back. (Forcing big blocks into mmap instead doubled the
 * time of a 100k-point get-history: fresh pages fault, and page faults are
 * expensive on these VMs.) */
static void tune_malloc(void)
{
#ifdef __GLIBC__
    /* Fails harmlessly under ASan, whose allocator has no arenas. */
    (void)mallopt(M_ARENA_MAX, 2);
#endif
}

static void on_idle(void *arg)
{
    struct server_ctx *ctx = arg;
    store_release_memory(ctx->store);
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

int server_run(const struct server_opts *o, struct ferr *err)
{
    struct store_opts so = STORE_OPTS_INIT;
    struct server_ctx ctx = {NULL, NULL};
    struct http_server *http = NULL;
    size_t nroutes;
    struct http_route *routes = routes_new(&nroutes);
    struct http_server_opts ho = {o->host,      o->port, routes,     nroutes,
                                  NULL,         &ctx,    o->workers, (unsigned)o->max_connections,
                                  o->access_log};
    int rc = -1;
    tune_malloc();
    so.group_commit = 1;
    so.default_artifact_root = o->default_artifact_root;
    if (!so.default_artifact_root && o->serve_artifacts)
        so.default_artifact_root = "mlflow-artifacts:";
    if (http_server_new(&ho, &http, err) || store_open(o->backend_store_uri, &so, &ctx.store, err))
        goto out;
    if (o->serve_artifacts &&
        artifact_repo_open(o->artifacts_destination ? o->artifacts_destination : "mlartifacts",
                           &ctx.artifacts, err))
        goto out;
    if (http_server_start(http, err))
        goto out;
    printf("ferry server listening on http://%s:%d\n", o->host, http_server_port(http));
    fflush(stdout);
    log_info("serving %s on http://%s:%d (%s)", o->backend_store_uri, o->host,
             http_server_port(http), o->workers > 0 ? "thread pool" : "thread per connection");
    http_server_wait(http, on_idle, &ctx);
    http_server_stop(http, 10000);
    rc = 0;
out:
    http_server_free(http);
    store_close(ctx.store); /* finishes queued writes, closes the database */
    artifact_repo_close(ctx.artifacts);
    routes_free(routes, nroutes);
    if (!rc)
        log_info("stopped cleanly");
    return rc;
}
