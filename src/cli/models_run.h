/* SPDX-License-Identifier: MIT
 * ferry models serve|predict|validate (models_run.c), for cmd_models.c. */
#ifndef FERRY_CLI_MODELS_RUN_H
#define FERRY_CLI_MODELS_RUN_H

#include "client/client.h"
#include "http/server.h"

int models_serve(struct client *c, const char *uri, const char *host, int port, int workers,
                 const struct http_limits *limits);
int models_predict(struct client *c, const char *uri, const char *input, const char *output);
int models_validate(struct client *c, const char *uri);

#endif
