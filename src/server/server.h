/* SPDX-License-Identifier: MIT
 * `ferry server`: the MLflow-compatible REST server on libmicrohttpd. */
#ifndef FERRY_SERVER_SERVER_H
#define FERRY_SERVER_SERVER_H

#include "base/ferr.h"
#include "http/server.h"

#include <stdio.h>

struct server_opts {
    const char *host;                  /* default 127.0.0.1 */
    int port;                          /* default 5000; 0 picks a free port */
    const char *backend_store_uri;     /* default ./ferry.db; http(s)://: forward (exec.h) */
    const char *default_artifact_root; /* NULL: mlflow-artifacts:/ when serving artifacts */
    const char *artifacts_destination; /* NULL: ./mlartifacts */
    int serve_artifacts;               /* default 1 */
    int workers;                       /* 0: a thread per connection; N: a pool of N */
    struct http_limits limits;         /* default HTTP_LIMITS_INIT */
    int access_log;                    /* 1: one line per request on stderr */
    const char *deployments_target;    /* gateway-proxy's target; NULL: MLFLOW_DEPLOYMENTS_TARGET */
};

#define SERVER_OPTS_INIT                                                                           \
    {                                                                                              \
        "127.0.0.1", 5000, "ferry.db", NULL, NULL, 1, 0, HTTP_LIMITS_INIT, 1, NULL                 \
    }

/* Serves until SIGTERM or SIGINT, then stops accepting, lets requests in
 * flight finish, closes the store and returns 0. Prints
 * "ferry server listening on http://HOST:PORT" on stdout once ready.
 * Returns -1 with err set when it cannot start (port taken, bad store). */
int server_run(const struct server_opts *opts, struct ferr *err) WARN_UNUSED;

/* One line per route the server answers: its methods (comma-separated),
 * its path template, the operation's name and "json" (an API row) or
 * "stream" (answered by its own handler). */
void server_print_routes(FILE *out);

#endif
