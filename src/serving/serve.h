/* SPDX-License-Identifier: MIT
 * `ferry models serve`: a model behind MLflow's scoring protocol, natively
 * (no Python for native flavors):
 *   GET  /ping, /health       200 once the model is loaded
 *   GET  /version             ferry's version
 *   POST /invocations         JSON (dataframe_split, dataframe_records,
 *                             instances, inputs) or text/csv ->
 *                             {"predictions": [...]}
 *   POST /explain             the same inputs -> {"contributions": [[...]]}
 *                             (SHAP values, features + bias per row)
 *   GET  /metrics             Prometheus: requests, errors, rows, latency
 *   GET  /v2/health/live, /v2/health/ready, /v2/models/<name>
 *   POST /v2/models/<name>/infer
 *                             Open Inference Protocol v2: health, metadata,
 *                             inference (one [rows, cols] tensor, or one
 *                             tensor per column)
 * Errors are MLflow's JSON shape with status 400 (bad input or the model
 * raised), 503 (a Python worker died or timed out; it is restarted) or 500. */
#ifndef FERRY_SERVING_SERVE_H
#define FERRY_SERVING_SERVE_H

#include "base/ferr.h"
#include "http/server.h"
#include "serving/scorer.h"

#include <stdint.h>

/* A scored request as the prediction log keeps it (`ferry models serve
 * --log-predictions`; the log itself is a higher layer's). */
struct serve_scored {
    const char *rid;       /* the answer's X-Ferry-Request-Id (a new UUIDv7) */
    const char *caller_id; /* the caller's sane X-Request-Id; NULL: none */
    const char *tags;      /* X-Ferry-Tags as sent; NULL: none */
    uint32_t latency_us;
    int status;
    size_t body_len;
};
/* Takes cap's contents; must not wait (it runs on the request's thread,
 * after the answer was handed to the connection). */
typedef void (*serve_scored_fn)(void *arg, const struct serve_scored *s, struct score_capture *cap);

struct serve_opts {
    const char *host;               /* default 127.0.0.1 */
    int port;                       /* 0 picks a free port */
    const char *model_dir;          /* a local MLflow model directory */
    const char *name;               /* for /v2/models/<name> and /metrics; default "model" */
    const char *version;            /* may be NULL */
    int workers;                    /* native flavors: HTTP threads (0: one per connection);
                                     * Python flavors: worker processes (0: one per CPU) */
    struct http_limits limits;      /* HTTP_LIMITS_INIT unless told */
    struct guard *guard;            /* NULL: no authentication; else every request but the health
                                     * checks authenticates (auth/guard.h) */
    const char *registered;         /* the registered model served (models:/NAME...): scoring it
                                     * needs USE on it; NULL: any signed-in user may score */
    const char *tls_cert, *tls_key; /* PEM files: HTTPS (http/tls.h); NULL: plain HTTP */
    /* Optional: each scored request (/invocations and OIP v2 inference),
     * for the prediction log; then every answer carries X-Ferry-Request-Id
     * and the caller's X-Request-Id back. NULL: none. */
    serve_scored_fn on_scored;
    void *on_scored_arg;
    /* Optional: called once the model is loaded, before serving, with its
     * scorer (its columns, its flavor), with on_scored_arg. */
    void (*on_loaded)(void *arg, struct scorer *s);
    /* Optional: appends the hook owner's figures to /metrics (Prometheus
     * text), with on_scored_arg. */
    void (*on_metrics)(void *arg, struct sbuf *sb);
};

/* Loads the model, serves until SIGTERM/SIGINT, returns 0. Prints
 * "ferry models serve listening on http://HOST:PORT" once ready, and the
 * model load time on stderr. */
int serve_run(const struct serve_opts *o, struct ferr *err) WARN_UNUSED;

#endif
