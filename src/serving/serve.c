/* SPDX-License-Identifier: MIT */
#include "serving/serve.h"
#include "serving/scorer.h"
#include "base/json.h"
#include "base/ftime.h"
#include "base/ids.h"
#include "base/log.h"
#include "base/sbuf.h"
#include "base/version.h"
#include "http/request.h"
#include "http/server.h"
#include "http/status.h"
#include "auth/guard.h"
#include "models/mlmodel.h"
#include "models/model.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* Latency histogram bounds in seconds (Prometheus "le" buckets). */
static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct serving {
    struct scorer *scorer;
    const struct serve_opts *opts;
    int64_t load_ms;
    atomic_ullong requests, errors, rows;
    atomic_ullong hist[NBUCKETS + 1];
    atomic_ullong latency_us_sum;
};

static int reply_json(struct http_request *rq, json_t *doc)
{
    char *text = json_dumps(doc, JSON_COMPACT);
    json_decref(doc);
    if (!text)
        return -1;
    struct sbuf sb = SBUF_INIT;
    sbuf_addstr(&sb, text);
    free(text);
    return http_respond(rq, 200, "application/json", &sb);
}

static void observe(struct serving *s, int64_t start_ns)
{
    double secs = (double)(ftime_mono_ns() - start_ns) / 1e9;
    size_t b = 0;
    while (b < NBUCKETS && secs > buckets[b])
        b++;
    atomic_fetch_add(&s->hist[b], 1);
    atomic_fetch_add(&s->latency_us_sum, (unsigned long long)(secs * 1e6));
}

/* Scores the request (serving/scorer.h); every failure, whoever's fault,
 * counts in /metrics' errors, and only successes in its latency. */
/* The caller's X-Request-Id when it is a sane token; NULL otherwise. */
static const char *caller_id(struct http_request *rq)
{
    const char *given = http_header(rq, "X-Request-Id");
    size_t n = given ? strlen(given) : 0;
    int ok = n > 0 && n <= 128;
    for (size_t i = 0; ok && i < n; i++)
        ok = given[i] > 32 && given[i] < 127;
    return ok ? given : NULL;
}

static int score(struct http_request *rq, enum score_protocol proto, struct ferr *err)
{
    struct serving *s = http_ctx(rq);
    int64_t start = ftime_mono_ns();
    struct score_request sr = {
        proto, http_header(rq, "Content-Type"), NULL, 0, s->opts->name, s->opts->version};
    sr.body = http_body(rq, &sr.len);
    struct sbuf sb = SBUF_INIT;
    size_t rows = 0;
    int logged = s->opts->on_scored && proto != SCORE_EXPLAIN;
    char rid[REQUEST_ID_LEN + 1];
    const char *caller = NULL;
    struct score_capture cap;
    if (logged) {
        ids_new_request_id(rid);
        http_add_header(rq, "X-Ferry-Request-Id", rid);
        if ((caller = caller_id(rq)))
            http_add_header(rq, "X-Request-Id", caller);
    }
    atomic_fetch_add(&s->requests, 1);
    enum score_outcome o =
        scorer_score_capture(s->scorer, &sr, &sb, &rows, logged ? &cap : NULL, err);
    int rc;
    if (o != SCORE_OK) {
        atomic_fetch_add(&s->errors, 1);
        sbuf_release(&sb);
        rc = -1;
    } else {
        atomic_fetch_add(&s->rows, rows);
        observe(s, start);
        rc = http_respond(rq, 200, "application/json", &sb);
    }
    if (logged) {
        int64_t us = (ftime_mono_ns() - start) / 1000;
        struct serve_scored sc = {rid,
                                  caller,
                                  http_header(rq, "X-Ferry-Tags"),
                                  us > UINT32_MAX ? UINT32_MAX : (uint32_t)us,
                                  o == SCORE_OK ? 200 : http_status_for(err->code),
                                  sr.len};
        s->opts->on_scored(s->opts->on_scored_arg, &sc, &cap);
    }
    return rc;
}

static int h_invocations(struct http_request *rq, struct ferr *err)
{
    return score(rq, SCORE_MLFLOW, err);
}

static int h_explain(struct http_request *rq, struct ferr *err)
{
    return score(rq, SCORE_EXPLAIN, err);
}

/* /v2/models/{name}/...: only the served model's name exists. */
static int model_named(struct http_request *rq, struct ferr *err)
{
    struct serving *s = http_ctx(rq);
    const char *name = s->opts->name ? s->opts->name : "model";
    if (!strcmp(http_param(rq, "name"), name))
        return 0;
    return ferr_set(err, FERR_ENDPOINT_NOT_FOUND, "no endpoint at '%.200s'", http_path(rq));
}

static int h_infer(struct http_request *rq, struct ferr *err)
{
    return model_named(rq, err) ? -1 : score(rq, SCORE_OIP_V2, err);
}

static int h_ok(struct http_request *rq, struct ferr *err)
{
    (void)err;
    return http_respond_text(rq, 200, "OK");
}

static int h_version(struct http_request *rq, struct ferr *err)
{
    (void)err;
    return http_respond_text(rq, 200, FERRY_VERSION_STRING);
}

static int h_metrics(struct http_request *rq, struct ferr *err)
{
    (void)err;
    struct serving *s = http_ctx(rq);
    struct sbuf sb = SBUF_INIT;
    const char *name = s->opts->name ? s->opts->name : "model";
    sbuf_addf(&sb,
              "# HELP ferry_model_info The model being served.\n"
              "# TYPE ferry_model_info gauge\n"
              "ferry_model_info{name=\"%s\",version=\"%s\",flavor=\"%s\"} 1\n"
              "# HELP ferry_model_load_seconds Time to load the model.\n"
              "# TYPE ferry_model_load_seconds gauge\n"
              "ferry_model_load_seconds %.6f\n"
              "# HELP ferry_requests_total Scoring requests.\n"
              "# TYPE ferry_requests_total counter\n"
              "ferry_requests_total %llu\n"
              "# HELP ferry_request_errors_total Scoring requests answered with an error.\n"
              "# TYPE ferry_request_errors_total counter\n"
              "ferry_request_errors_total %llu\n"
              "# HELP ferry_rows_scored_total Rows scored.\n"
              "# TYPE ferry_rows_scored_total counter\n"
              "ferry_rows_scored_total %llu\n"
              "# HELP ferry_request_duration_seconds Latency of successful scoring requests.\n"
              "# TYPE ferry_request_duration_seconds histogram\n",
              name, s->opts->version ? s->opts->version : "", model_flavor(scorer_model(s->scorer)),
              (double)s->load_ms / 1000.0, atomic_load(&s->requests), atomic_load(&s->errors),
              atomic_load(&s->rows));
    json_t *d = model_describe(scorer_model(s->scorer));
    json_t *restarts = json_object_get(d, "worker_restarts");
    if (restarts)
        sbuf_addf(&sb,
                  "# HELP ferry_model_worker_restarts_total Model worker processes restarted.\n"
                  "# TYPE ferry_model_worker_restarts_total counter\n"
                  "ferry_model_worker_restarts_total %lld\n",
                  (long long)json_integer_value(restarts));
    json_decref(d);
    unsigned long long cum = 0;
    for (size_t b = 0; b <= NBUCKETS; b++) {
        cum += atomic_load(&s->hist[b]);
        if (b < NBUCKETS)
            sbuf_addf(&sb, "ferry_request_duration_seconds_bucket{le=\"%g\"} %llu\n", buckets[b],
                      cum);
        else
            sbuf_addf(&sb, "ferry_request_duration_seconds_bucket{le=\"+Inf\"} %llu\n", cum);
    }
    sbuf_addf(&sb,
              "ferry_request_duration_seconds_sum %.6f\n"
              "ferry_request_duration_seconds_count %llu\n",
              (double)atomic_load(&s->latency_us_sum) / 1e6, cum);
    if (s->opts->on_metrics)
        s->opts->on_metrics(s->opts->on_scored_arg, &sb);
    return http_respond(rq, 200, "text/plain; version=0.0.4", &sb);
}

static int h_v2_metadata(struct http_request *rq, struct ferr *err)
{
    struct serving *s = http_ctx(rq);
    if (model_named(rq, err))
        return -1;
    const struct model_signature *sig = &model_mlmodel(scorer_model(s->scorer))->signature;
    json_t *inputs = json_array();
    for (size_t i = 0; i < sig->ninputs; i++)
        json_array_append_new(inputs, json_pack("{s:s, s:s, s:[i,i]}", "name",
                                                sig->inputs[i].name ? sig->inputs[i].name : "",
                                                "datatype", "FP32", "shape", -1, 1));
    json_t *doc =
        json_pack("{s:s, s:[s], s:s, s:o}", "name", s->opts->name ? s->opts->name : "model",
                  "versions", s->opts->version ? s->opts->version : "1", "platform",
                  model_flavor(scorer_model(s->scorer)), "inputs", inputs);
    return reply_json(rq, doc);
}

/* Large enough for big batches; the same for every scoring route. */
#define MAX_BODY (64u * 1024 * 1024)

static const struct http_route routes[] = {
    {HTTP_GET, "/ping", h_ok, 0, NULL, NULL, 0},
    {HTTP_GET, "/health", h_ok, 0, NULL, NULL, 0},
    {HTTP_GET, "/v2/health/live", h_ok, 0, NULL, NULL, 0},
    {HTTP_GET, "/v2/health/ready", h_ok, 0, NULL, NULL, 0},
    {HTTP_GET, "/version", h_version, 0, NULL, NULL, 0},
    {HTTP_GET, "/metrics", h_metrics, 0, NULL, NULL, 0},
    {HTTP_GET, "/v2/models/{name}", h_v2_metadata, 0, NULL, NULL, 0},
    {HTTP_POST, "/invocations", h_invocations, MAX_BODY, NULL, NULL, 0},
    {HTTP_POST, "/explain", h_explain, MAX_BODY, NULL, NULL, 0},
    {HTTP_POST, "/v2/models/{name}/infer", h_infer, MAX_BODY, NULL, NULL, 0},
};

/* The HTTP core's admit hook: health checks are public (load balancers
 * carry no credentials); everything else is a signed-in user's, and
 * scoring a registered model needs USE on it. */
static int serve_admit(void *arg, struct http_request *rq, struct ferr *err)
{
    const struct serving *s = arg;
    const struct serve_opts *o = s->opts;
    const char *path = http_path(rq);
    if (!o->guard || !strcmp(path, "/ping") || !strcmp(path, "/health") ||
        !strncmp(path, "/v2/health/", 11))
        return 0;
    if (guard_authenticate(o->guard, rq, err))
        return -1;
    if (!o->registered)
        return 0;
    return guard_allows(o->guard, http_principal(rq), RES_REGISTERED_MODEL, o->registered, PERM_USE,
                        err);
}

int serve_run(const struct serve_opts *o, struct ferr *err)
{
    struct serving s;
    struct http_server *http = NULL;
    memset(&s, 0, sizeof(s));
    s.opts = o;
    int64_t t0 = ftime_mono_ns();
    struct model_opts mo = {o->workers, 0};
    if (scorer_load(o->model_dir, &mo, &s.scorer, err))
        return -1;
    s.load_ms = (ftime_mono_ns() - t0) / 1000000;
    if (o->on_loaded)
        o->on_loaded(o->on_scored_arg, s.scorer);
    const struct model *model = scorer_model(s.scorer);
    /* Native flavors score on the connection's thread: --workers sizes a
     * thread pool. Worker flavors need a thread per waiting connection, so
     * that concurrent requests reach the workers together and batch. */
    int pool = o->workers > 0 && model_in_process(model);
    struct http_server_opts ho = {.host = o->host ? o->host : "127.0.0.1",
                                  .port = o->port,
                                  .routes = routes,
                                  .nroutes = sizeof(routes) / sizeof(*routes),
                                  .ctx = &s,
                                  .threads = pool ? o->workers : 0,
                                  .limits = o->limits,
                                  .admit = serve_admit,
                                  .admit_arg = &s,
                                  .tls_cert = o->tls_cert,
                                  .tls_key = o->tls_key};
    if (http_server_new(&ho, &http, err)) {
        scorer_free(s.scorer);
        return -1;
    }
    int rc = http_server_start(http, err);
    if (rc == 0) {
        printf("ferry models serve listening on %s://%s:%d\n", o->tls_cert ? "https" : "http",
               ho.host, http_server_port(http));
        fflush(stdout);
        log_info("serving %s (%s) loaded in %lld ms", o->model_dir, model_flavor(model),
                 (long long)s.load_ms);
        http_server_wait(http, NULL, NULL);
        http_server_stop(http, 10000);
        log_info("stopped cleanly");
    }
    http_server_free(http);
    scorer_free(s.scorer);
    return rc;
}
