/* SPDX-License-Identifier: MIT
 * ferry models serve|predict|validate (models_run.c), for cmd_models.c. */
#ifndef FERRY_CLI_MODELS_RUN_H
#define FERRY_CLI_MODELS_RUN_H

#include "client/client.h"
#include "http/server.h"

struct models_serve_opts {
    const char *host; /* NULL: 127.0.0.1 */
    int port, workers;
    struct http_limits limits;
    int auth;                       /* 1 on, 0 off, -1 on unless host is loopback */
    const char *auth_store;         /* the users' database; NULL: the tracking URI */
    const char *default_permission; /* NULL: READ */
    const char *tls_cert, *tls_key; /* both or neither: HTTPS */
    int log_predictions;            /* log every scored request to c's store */
    size_t log_queue;               /* the log's queue in rows; 0: the default */
};
int models_serve(struct client *c, const char *uri, const struct models_serve_opts *o);
int models_predict(struct client *c, const char *uri, const char *input, const char *output);
int models_validate(struct client *c, const char *uri);

#endif
