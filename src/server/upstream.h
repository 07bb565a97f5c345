/* SPDX-License-Identifier: MIT
 * The tracking server a front server forwards to (`ferry server
 * --backend-store-uri http(s)://host[:port][/prefix]`, a ferry server or
 * MLflow's own): libferry REST clients (client/transport.c) opened on its
 * URI and lent to one request at a time. Each client keeps its own
 * connection (keep-alive), so at most UPSTREAM_SLOTS requests are
 * forwarded at once; later ones wait for a free client, at most
 * UPSTREAM_WAIT_MS, then get TEMPORARILY_UNAVAILABLE. Timeouts, retries,
 * credentials and TLS settings are the REST transport's, from the
 * environment (http/client.h: FERRY_* / MLFLOW_TRACKING_TOKEN, _USERNAME,
 * _PASSWORD, HTTP_REQUEST_TIMEOUT, HTTP_REQUEST_MAX_RETRIES, ...); the
 * credentials of the requests this server receives are never passed on.
 *
 * Errors, as the front's own clients should read them: an MLflow error
 * the upstream answered comes back with its code and message as they are;
 * failing to reach the upstream, or making no sense of its answer, is
 * TEMPORARILY_UNAVAILABLE (503) naming the upstream. A user:password@ in
 * the URI never appears in a message. Internal to server/. */
#ifndef FERRY_SERVER_UPSTREAM_H
#define FERRY_SERVER_UPSTREAM_H

#include "api/op.h"

#define UPSTREAM_SLOTS   16
#define UPSTREAM_WAIT_MS 30000

struct upstream;

/* Opens one client to check the URI and the environment's settings; does
 * not contact the upstream (it may come up later). */
int upstream_open(const char *uri, struct upstream **out, struct ferr *err) WARN_UNUSED;
/* Closes every client. Accepts NULL. Only once no call is in flight. */
void upstream_close(struct upstream *u);
/* The URI without credentials, for messages and logs. */
const char *upstream_uri(const struct upstream *u);
/* Closes the clients no request is using: their connections, and the
 * buffers that kept the largest answer each has received. The next
 * requests open new ones. */
void upstream_idle(struct upstream *u);

/* Sends op's request req (decoded by the caller, not taken) to the
 * upstream and decodes its answer into resp (zeroed by the caller;
 * released with api_release_response). resp NULL: the answer is dropped.
 * Thread-safe. */
int upstream_call(struct upstream *u, const struct api_op *op, void *req, void *resp,
                  struct ferr *err) WARN_UNUSED;

#endif
