/* SPDX-License-Identifier: MIT
 * The REST transport: MLflow's tracking API over HTTP(S) with libcurl. Works
 * against ferry and against a stock MLflow server. One connection per
 * transport, reused (keep-alive). Internal to client/. */
#ifndef FERRY_CLIENT_REST_H
#define FERRY_CLIENT_REST_H

#include "base/ferr.h"

#include <jansson.h>

struct rest;

/* base_url: "http://host:port" (a trailing '/' is fine). */
int rest_open(const char *base_url, struct rest **out, struct ferr *err) WARN_UNUSED;
void rest_close(struct rest *r);

/* Calls /api/2.0/mlflow/<path>. GET sends `in` as a query string (arrays as
 * repeated keys), POST as a JSON body. *out gets the decoded response object
 * (caller decrefs). Error responses become err with the server's MLflow code;
 * transport failures are FERR_IO_ERROR. Idempotent calls (GET, and POSTs the
 * caller marks retry) are retried with backoff on connection failures, 429
 * and 503. */
int rest_call(struct rest *r, const char *method, const char *path, json_t *in, int retry,
              json_t **out, struct ferr *err) WARN_UNUSED;

#endif
