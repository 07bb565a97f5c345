/* SPDX-License-Identifier: MIT
 * `ferry server`: the tracking store, the model registry, the proxied
 * artifact service and the web UI as routes on the HTTP core (http/), plus
 * /health and /version. The core answers, drains on SIGTERM and logs;
 * this file opens what the routes need and gives memory back when idle.
 * The store may be another tracking server's (server/exec.h): the rows
 * are then forwarded to it, while artifacts, the UI and /health stay here.
 *
 * Threading: by default one thread per connection, so concurrent writers can
 * all be waiting in the store's group commit at once (their writes share one
 * transaction). --workers N switches to a pool of N polling threads. */
#include "server/server.h"
#include "store/uri.h"
#include "server/server_int.h"
#include "server/api.h"
#include "server/alert_dispatch.h"
#include "server/webhook_dispatch.h"
#include "server/artifact_proxy.h"
#include "server/data_routes.h"
#include "server/server_metrics.h"
#include "server/get_artifact.h"
#include "server/get_trace_artifact.h"
#include "server/gateway_proxy.h"
#include "server/monitor_scheduler.h"
#include "server/trigger_scheduler.h"
#include "monitor/monitor_run.h"
#include "api/monitors_ops.h"
#include "server/ui_files.h"
#include "store/auth.h"
#include "base/sandbox.h"
#include "base/sbuf.h"
#include "base/env.h"
#include "api/op.h"
#include "server/ui.h"
#include "http/request.h"
#include "http/listen.h"
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

/* "OK" as MLflow answers, when the store's database answers too: a load
 * balancer's health check then takes a replica that lost its database out
 * of rotation (503 with the reason, as text). An upstream is not asked:
 * its own /health says. */
static int h_health(struct http_request *rq, struct ferr *err)
{
    (void)err;
    struct server_ctx *ctx = http_ctx(rq);
    struct store *s = exec_store(ctx->exec);
    struct ferr down = FERR_INIT;
    if (s && store_ping(s, &down))
        return http_respond_text(rq, 503, down.msg);
    return http_respond_text(rq, 200, "OK");
}

static int h_version(struct http_request *rq, struct ferr *err)
{
    (void)err;
    return http_respond_text(rq, 200, FERRY_VERSION_STRING);
}

/* Public: a load balancer's health check carries no credentials. */
#define SERVER_ROW(id, nm, p, fn, loc, fld)                                                        \
    static const struct api_op id = {.name = nm,                                                   \
                                     .root = "",                                                   \
                                     .path = p,                                                    \
                                     .methods = HTTP_GET,                                          \
                                     .call = HTTP_GET,                                             \
                                     .res = {ACCESS_PUBLIC, loc, fld},                             \
                                     .stream = fn}
SERVER_ROW(health, "health", "health", h_health, LOC_NONE, NULL);
SERVER_ROW(version, "version", "version", h_version, LOC_NONE, NULL);
/* Any method: a POST was never an endpoint here (404), see get_artifact.c. */
static const struct api_op get_artifact = {.name = "get-artifact",
                                           .root = "",
                                           .path = "get-artifact",
                                           .methods = HTTP_ANY_METHOD,
                                           .call = HTTP_GET,
                                           .res = {ACCESS_READ, LOC_RUN_ID, "run_id"},
                                           .stream = get_artifact_answer,
                                           .body = &http_body_drop};
/* MLflow serves it under /ajax-api/ only. */
static const struct api_op get_trace_artifact = {.name = "get-trace-artifact",
                                                 .root = "/ajax-api/2.0/mlflow",
                                                 .path = "get-trace-artifact",
                                                 .methods = HTTP_GET,
                                                 .call = HTTP_GET,
                                                 .res = {ACCESS_READ, LOC_TRACE_ID, "request_id"},
                                                 .stream = get_trace_artifact_answer};
/* MLflow serves it at the root, beside get-artifact. */
static const struct api_op version_artifact = {.name = "model-versions/get-artifact",
                                               .root = "",
                                               .path = "model-versions/get-artifact",
                                               .methods = HTTP_GET,
                                               .call = HTTP_GET,
                                               .res = {ACCESS_READ, LOC_MODEL_NAME, "name"},
                                               .stream = version_artifact_answer};
static const struct api_op upload_artifact = {.name = "upload-artifact",
                                              .root = "/ajax-api/2.0/mlflow",
                                              .path = "upload-artifact",
                                              .methods = HTTP_POST,
                                              .call = HTTP_POST,
                                              .res = {ACCESS_EDIT, LOC_RUN_ID, "run_uuid"},
                                              .stream = upload_artifact_answer,
                                              .body = &upload_artifact_body};
static const struct api_op gateway_proxy = {.name = "gateway-proxy",
                                            .root = "/ajax-api/2.0/mlflow",
                                            .path = "gateway-proxy",
                                            .methods = HTTP_GET | HTTP_POST,
                                            .call = HTTP_POST,
                                            .max_body = API_BODY_SMALL,
                                            .res = {ACCESS_READ, LOC_NONE, NULL},
                                            .stream = gateway_proxy_answer};
/* Prometheus text (server/server_metrics.h); a scraper with auth on sends a token. */
static const struct api_op metrics = {.name = "metrics",
                                      .root = "",
                                      .path = "metrics",
                                      .methods = HTTP_GET,
                                      .call = HTTP_GET,
                                      .res = {ACCESS_READ, LOC_NONE, NULL},
                                      .stream = server_metrics_answer};
static const struct api_op *const server_ops[] = {
    &health,           &version,         &get_artifact,  &get_trace_artifact,
    &version_artifact, &upload_artifact, &gateway_proxy, &metrics};
static const struct api_area server_area = {"server", server_ops,
                                            sizeof(server_ops) / sizeof(*server_ops)};

/* Every route of the server: the API's rows and the server's own. */
static struct http_route *routes_new(size_t *n)
{
    size_t k = 0, napi = 0;
    while (api_areas[napi])
        napi++;
    const struct api_area **areas = xcalloc(napi + 5, sizeof(*areas));
    for (; k < napi; k++)
        areas[k] = api_areas[k];
    areas[k++] = &proxy_area;
    areas[k++] = &data_routes_area;
    areas[k++] = &ui_area;
    areas[k++] = &server_area;
    struct http_route *routes = api_routes(areas, n);
    free(areas);
    return routes;
}

void server_print_routes(FILE *out)
{
    size_t n;
    struct http_route *routes = routes_new(&n);
    for (size_t i = 0; i < n; i++) {
        const struct api_op *op = routes[i].arg;
        const char *sep = "";
        for (unsigned m = 1; m <= HTTP_OPTIONS; m <<= 1) {
            if (routes[i].methods & m) {
                fprintf(out, "%s%s", sep, http_method_name(m));
                sep = ",";
            }
        }
        fprintf(out, " %s %s %s %s %s\n", routes[i].path, op->name, op->stream ? "stream" : "json",
                api_access_name(op->res.access), op->res.field ? op->res.field : "-");
    }
    api_routes_free(routes, n);
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
    exec_idle(ctx->exec);
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

/* Every row declares the access it needs (a row that does not would be
 * open to anyone, or to no one, by accident). */
static int check_rows(const struct http_route *routes, size_t n, struct ferr *err)
{
    for (size_t i = 0; i < n; i++) {
        const struct api_op *op = routes[i].arg;
        if (op->res.access == ACCESS_UNDECLARED)
            return ferr_set(err, FERR_INTERNAL_ERROR, "operation '%s' declares no access",
                            op->name);
    }
    return 0;
}

/* Authentication on: the first admin from FERRY_ADMIN_USERNAME (default
 * "admin") and FERRY_ADMIN_PASSWORD when no such user exists yet; then
 * there must be an admin, or nobody could ever log in to give rights. */
static int start_guard(const struct server_opts *o, struct server_ctx *ctx, struct ferr *err)
{
    struct guard_opts go = {PERM_READ, 0, 0};
    struct store *s = exec_store(ctx->exec);
    const char *admin = env_get("ADMIN_USERNAME"), *password = env_get("ADMIN_PASSWORD");
    int64_t admins = 0;
    if (o->default_permission && perm_parse(o->default_permission, &go.default_perm, err))
        return -1;
    if (guard_new(&go, s, &ctx->guard, err))
        return -1;
    if (password && *password) {
        struct user u;
        struct ferr e = FERR_INIT;
        if (!admin || !*admin)
            admin = "admin";
        if (!store_create_user(s, admin, password, 1, &u, &e)) {
            log_info("created the admin user '%s' from FERRY_ADMIN_PASSWORD", admin);
            user_release(&u);
        } else if (e.code != FERR_RESOURCE_ALREADY_EXISTS) {
            *err = e;
            return -1;
        }
    }
    if (store_count_admins(s, &admins, err))
        return -1;
    if (!admins) {
        char *shown = store_uri_redacted(o->backend_store_uri);
        ferr_set(err, FERR_INVALID_STATE,
                 "authentication is on (%s) but the store has no admin user: create one "
                 "with `ferry users create NAME --admin --backend-store-uri %s`, or set "
                 "FERRY_ADMIN_PASSWORD (and FERRY_ADMIN_USERNAME, default admin) for the "
                 "first start",
                 o->auth == 1 ? "--auth" : "bound to a non-loopback address", shown);
        free(shown);
        return -1;
    }
    return 0;
}

/* The artifact roots (artifacts/roots.h): --allowed-artifact-roots, else
 * the store's default artifact root and the artifacts destination. A
 * default root outside them is a mistake of the options: new experiments
 * would get locations the server refuses. */
static int open_roots(const struct server_opts *o, struct server_ctx *ctx, struct ferr *err)
{
    const char *def = exec_default_artifact_root(ctx->exec);
    char *copy = xstrdup(o->allowed_roots ? o->allowed_roots : "");
    const char **dirs = xcalloc(strlen(copy) / 2 + 3, sizeof(*dirs));
    size_t n = 0;
    if (o->allowed_roots) {
        for (char *p = copy; *p;) {
            size_t len = strcspn(p, ",");
            char *next = p[len] ? p + len + 1 : p + len;
            p[len] = '\0';
            if (*p)
                dirs[n++] = p;
            p = next;
        }
    } else {
        if (def)
            dirs[n++] = def;
        if (o->serve_artifacts)
            dirs[n++] = o->artifacts_destination ? o->artifacts_destination : "mlartifacts";
    }
    int rc = artifact_roots_open(dirs, n, &ctx->roots, err);
    if (!rc && def && !artifact_roots_allow(ctx->roots, def))
        rc =
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                     "the default artifact root '%.300s' is outside --allowed-artifact-roots", def);
    free(dirs);
    free(copy);
    return rc;
}

int server_run(const struct server_opts *o, struct ferr *err)
{
    struct store_opts so = STORE_OPTS_INIT;
    struct server_ctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.deployments_target = o->deployments_target;
    struct http_server *http = NULL;
    struct monitor_scheduler *monitors = NULL;
    struct alert_dispatch *alerts = NULL;
    struct trigger_scheduler *triggers = NULL;
    struct webhook_dispatch *webhooks = NULL;
    size_t nroutes;
    struct http_route *routes = routes_new(&nroutes);
    struct http_server_opts ho = {.host = o->host,
                                  .port = o->port,
                                  .routes = routes,
                                  .nroutes = nroutes,
                                  .ctx = &ctx,
                                  .threads = o->workers,
                                  .access_log = o->access_log,
                                  .limits = o->limits,
                                  .admit = guard_admit,
                                  .browser = &o->browser,
                                  .tls_cert = o->tls_cert,
                                  .tls_key = o->tls_key};
    const char *scheme = o->tls_cert ? "https" : "http";
    int rc = -1;
    tune_malloc();
    so.group_commit = 1;
    so.default_artifact_root = o->default_artifact_root;
    if (!ctx.deployments_target)
        ctx.deployments_target = env_get("DEPLOYMENTS_TARGET");
    if (!so.default_artifact_root && o->serve_artifacts)
        so.default_artifact_root = "mlflow-artifacts:";
    int auth = o->auth < 0 ? !http_host_is_loopback(o->host) : o->auth;
    if (check_rows(routes, nroutes, err))
        goto out;
    if (o->auth == 0 && !http_host_is_loopback(o->host))
        log_warn("authentication is off (--no-auth) on %s: anyone who reaches the port may do "
                 "anything",
                 o->host);
    /* With authentication the guard stands before the port is bound: a
     * server that would be open where it must not be never listens.
     * Without, listening comes first (a taken port is said before anything
     * opens). */
    if (auth) {
        if (http_host_check(o->host, err) || exec_open(o->backend_store_uri, &so, &ctx.exec, err) ||
            start_guard(o, &ctx, err))
            goto out;
        ho.admit_arg = ctx.guard;
        if (http_server_new(&ho, &http, err))
            goto out;
    }
    if (!auth &&
        (http_server_new(&ho, &http, err) || exec_open(o->backend_store_uri, &so, &ctx.exec, err)))
        goto out;
    if (o->default_artifact_root && exec_is_upstream(ctx.exec))
        log_warn("--default-artifact-root is ignored: the backend store %s gives new "
                 "experiments their artifact locations",
                 exec_name(ctx.exec));
    if (o->serve_artifacts &&
        artifact_repo_open(o->artifacts_destination ? o->artifacts_destination : "mlartifacts",
                           &ctx.artifacts, err))
        goto out;
    if (o->serve_artifacts)
        ctx.artifacts_dir = o->artifacts_destination ? o->artifacts_destination : "mlartifacts";
    if (open_roots(o, &ctx, err) || data_root_open(&ctx, err))
        goto out;
    if (o->run_as) { /* refused now, not when a pipeline first needs it */
        struct sandbox_id id;
        if (sandbox_identity(o->run_as, &id, err))
            goto out;
    }
    {
        struct sbuf self = SBUF_INIT;
        sbuf_addf(&self, "%s://%s:%d", scheme, strcmp(o->host, "0.0.0.0") ? o->host : "127.0.0.1",
                  http_server_port(http));
        ctx.self_uri = sbuf_detach(&self, NULL);
    }
    ctx.launcher =
        (struct launcher){exec_store(ctx.exec), ctx.guard, !o->no_execute, ctx.self_uri, o->run_as};
    api_monitors_set_runner(&monitor_api_runner);
    if (exec_store(ctx.exec) &&
        alert_dispatch_start(
            &(struct alert_dispatch_opts){exec_store(ctx.exec), !o->no_execute, o->run_as}, &alerts,
            err))
        goto out;
    if (exec_store(ctx.exec) &&
        webhook_dispatch_start(&(struct webhook_dispatch_opts){exec_store(ctx.exec)}, &webhooks,
                               err))
        goto out;
    if (http_server_start(http, err))
        goto out;
    if (!o->no_monitors && exec_store(ctx.exec)) {
        struct monitor_scheduler_opts mo = {
            exec_store(ctx.exec), ctx.artifacts, ctx.roots, 0, 0, 0};
        if (monitor_scheduler_start(&mo, &monitors, err))
            goto out;
    }
    /* after the port listens: the pipelines it starts log through it */
    if (exec_store(ctx.exec) &&
        trigger_scheduler_start(
            &(struct trigger_scheduler_opts){exec_store(ctx.exec), &ctx.launcher, NULL}, &triggers,
            err))
        goto out;
    printf("ferry server listening on %s://%s:%d\n", scheme, o->host, http_server_port(http));
    fflush(stdout);
    log_info("serving %s%s on %s://%s:%d (%s; authentication %s)",
             exec_is_upstream(ctx.exec) ? "the tracking server " : "", exec_name(ctx.exec), scheme,
             o->host, http_server_port(http),
             o->workers > 0 ? "thread pool" : "thread per connection", ctx.guard ? "on" : "off");
    if (!o->browser.allowed_hosts && !strcmp(o->host, "0.0.0.0"))
        log_warn("bound to 0.0.0.0: any Host header is accepted, since the names this server "
                 "is reached by are unknown; list them with --allowed-hosts to refuse DNS "
                 "rebinding");
    http_server_wait(http, on_idle, &ctx);
    /* its processes end their runs through this server: stopped while it still answers */
    trigger_scheduler_stop(triggers);
    triggers = NULL;
    /* a server asked to stop takes no lease and starts no window or delivery
     * while it drains: another replica carries on from the store */
    monitor_scheduler_stop(monitors);
    monitors = NULL;
    alert_dispatch_stop(alerts);
    alerts = NULL;
    webhook_dispatch_stop(webhooks);
    webhooks = NULL;
    http_server_stop(http, 10000);
    rc = 0;
out:
    trigger_scheduler_stop(triggers); /* before the store closes */
    monitor_scheduler_stop(monitors); /* before the store closes */
    http_server_free(http);
    guard_free(ctx.guard);
    alert_dispatch_stop(alerts); /* before the store it sends from closes */
    webhook_dispatch_stop(webhooks);
    exec_close(ctx.exec);  /* finishes queued writes, closes the database */
    data_root_close(&ctx); /* before the repositories it points into */
    artifact_repo_close(ctx.artifacts);
    artifact_roots_free(ctx.roots);
    free(ctx.self_uri);
    api_routes_free(routes, nroutes);
    if (!rc)
        log_info("stopped cleanly");
    return rc;
}
