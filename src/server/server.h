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
    const char *allowed_roots;         /* comma-separated local directories where artifact
                                        * locations may be; NULL: the default root and the
                                        * destination */
    int serve_artifacts;               /* default 1 */
    int workers;                       /* 0: a thread per connection; N: a pool of N */
    struct http_limits limits;         /* default HTTP_LIMITS_INIT */
    int access_log;                    /* 1: one line per request on stderr */
    const char *deployments_target;    /* gateway-proxy's target; NULL: MLFLOW_DEPLOYMENTS_TARGET */
    int auth;                          /* 1 on, 0 off, -1 (default): on unless bound to loopback */
    const char *default_permission;    /* with auth: on resources without one; NULL: READ */
    int no_execute;                    /* 1: the server starts no processes (server/launch.h) */
    const char *run_as;                /* who processes it starts run as; NULL: nobody if root */
    struct http_browser_opts browser;  /* Host, Origin, proxies (http/browser.h) */
    const char *tls_cert, *tls_key;    /* PEM files: HTTPS; NULL: plain HTTP */
    int no_monitors;                   /* 1: no scheduled monitors (server/monitor_scheduler.h) */
};

/* Designated: options grow, and a positional list silently shifts. */
#define SERVER_OPTS_INIT                                                                           \
    {                                                                                              \
        .host = "127.0.0.1", .port = 5000, .backend_store_uri = "ferry.db", .serve_artifacts = 1,  \
        .limits = HTTP_LIMITS_INIT, .access_log = 1, .auth = -1                                    \
    }

/* Serves until SIGTERM or SIGINT, then stops accepting, lets requests in
 * flight finish, closes the store and returns 0. Prints
 * "ferry server listening on http(s)://HOST:PORT" on stdout once ready.
 * Returns -1 with err set when it cannot start (port taken, bad store). */
int server_run(const struct server_opts *opts, struct ferr *err) WARN_UNUSED;

/* One line per route the server answers: its methods (comma-separated),
 * its path template, the operation's name, "json" (an API row) or
 * "stream" (answered by its own handler), the access it needs (api/op.h:
 * PUBLIC, READ, ..., ADMIN, SELF) and the request field that locates what
 * it touches ("-": none). */
void server_print_routes(FILE *out);

#endif
