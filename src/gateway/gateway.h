/* SPDX-License-Identifier: MIT
 * `ferry serve`: the deployments gateway. Serves every deployment of its
 * tracking URI (a store file or database, or a ferry server), or those
 * named:
 *   POST /endpoints/<name>/invocations   MLflow's scoring formats, exactly
 *                                         as `ferry models serve` takes them
 *   POST /v2/models/<name>/infer          Open Inference Protocol v2
 *   GET  /v2/models/<name>                its metadata (the first target's)
 *   POST /endpoints/<name>/feedback       labels for its logged requests: the
 *                                         body and answer of POST
 *                                         /api/2.0/ferry/feedback/log
 *   GET  /endpoints                       what is served: deployments,
 *                                         revisions, weights, load errors
 *   GET  /health, /ping, /version, /metrics (Prometheus)
 * With a guard, every route but the health checks needs a signed-in user,
 * and scoring needs USE on the registered model of the target picked.
 * Each answer carries X-Ferry-Request-Id (always ferry's own new UUIDv7,
 * the prediction log's key), the caller's X-Request-Id back when it sent a
 * sane one (kept in the log as the caller's id), and X-Ferry-Model, the
 * "name/version" of the target that answered.
 *
 * The prediction log (gateway/pred_logger.h): each scored request, and
 * each shadow's answer to it, is logged as the deployment's `log:` says
 * (sample, excluded and hashed columns), with its X-Ferry-Tags ("k=v,..."),
 * by a writer thread off the request's path; /metrics counts the rows
 * logged, dropped (the queue was full) and failed.
 *
 * Around the requests: a watcher polls the deployments (every 250 ms) and
 * swaps in a changed one once its new versions are loaded (endpoint.h); a
 * reporter writes this gateway's per-second figures to the store every
 * 250 ms; the rollout controller (controller.h) decides, under the store's
 * lease, from every gateway's figures. */
#ifndef FERRY_GATEWAY_GATEWAY_H
#define FERRY_GATEWAY_GATEWAY_H

#include "base/ferr.h"
#include "client/client.h"
#include "http/server.h"

#include <stddef.h>

struct guard;

struct gateway_opts {
    const char *host; /* default 127.0.0.1 */
    int port;         /* 0 picks a free port */
    struct client *client;
    const char *const *only; /* serve only these deployments; NULL: all */
    size_t nonly;
    int workers; /* Python flavors: worker processes per model (0: one per CPU) */
    struct http_limits limits;
    struct guard *guard; /* NULL: no authentication */
    const char *tls_cert, *tls_key;
    const char *id;   /* this gateway's name in figures and leases; NULL: host:port/pid */
    int no_control;   /* 1: never decide rollouts (only serve and report) */
    int poll_ms;      /* 0: 250 */
    int no_log;       /* 1: no prediction log */
    size_t log_queue; /* rows the log's queue holds at most; 0: the default (50,000) */
};

/* Serves until SIGTERM/SIGINT, then drains; 0 on a clean stop. Prints
 * "ferry serve listening on http://HOST:PORT" once listening. */
int gateway_run(const struct gateway_opts *o, struct ferr *err) WARN_UNUSED;

#endif
