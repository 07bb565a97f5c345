/* SPDX-License-Identifier: MIT
 * The HTTP half of the REST transport: MLflow's tracking API over HTTP(S) with
 * libcurl, against ferry or a stock MLflow server. One curl handle per struct
 * rest, reused for every call so the connection stays open (keep-alive).
 * Internal to client/; the JSON shapes live in api/codec.h, the operations in
 * client/remote.c.
 *
 * Settings read from the environment at rest_open (FERRY_* first, then the
 * MLflow name, as MLflow's own clients do):
 *   FERRY_TRACKING_TOKEN / MLFLOW_TRACKING_TOKEN        "Authorization: Bearer"
 *   FERRY_TRACKING_USERNAME / MLFLOW_TRACKING_USERNAME  HTTP basic auth, with
 *   FERRY_TRACKING_PASSWORD / MLFLOW_TRACKING_PASSWORD
 *   FERRY_TRACKING_INSECURE_TLS / MLFLOW_TRACKING_INSECURE_TLS  "true": no
 *                                                      certificate check
 *   FERRY_TRACKING_SERVER_CERT_PATH / MLFLOW_TRACKING_SERVER_CERT_PATH  CA file
 *   FERRY_HTTP_REQUEST_TIMEOUT / MLFLOW_HTTP_REQUEST_TIMEOUT  seconds (120)
 *   FERRY_HTTP_REQUEST_MAX_RETRIES / MLFLOW_HTTP_REQUEST_MAX_RETRIES  (5)
 *
 * Thread-safety: calls on one struct rest are serialised by its own lock. */
#ifndef FERRY_CLIENT_REST_H
#define FERRY_CLIENT_REST_H

#include "base/ferr.h"

#include <jansson.h>
#include <stdint.h>

struct rest;

/* PATCH and DELETE carry a JSON body, as MLflow's registry expects. */
enum rest_method { REST_GET, REST_POST, REST_PATCH, REST_DELETE };

/* Whether a call may be sent twice. Every call is retried when the connection
 * could not be made (nothing was sent); idempotent ones also after a failure
 * mid-request, a timeout, 429, 502, 503 and 504. */
enum rest_retry { REST_ONCE = 0, REST_IDEMPOTENT = 1 };

/* base_url: "http(s)://host[:port][/prefix]" (trailing '/' is fine). */
int rest_open(const char *base_url, struct rest **out, struct ferr *err) WARN_UNUSED;
/* Closes the connection. Accepts NULL. */
void rest_close(struct rest *r);

/* Calls <root>/<path> ("/api/2.0/mlflow", "runs/get"). GET sends `in`
 * (may be NULL) as a query string (arrays as repeated keys), the other
 * methods as a JSON body. `in` stays the caller's. *out gets the decoded
 * response object (caller decrefs); out may be NULL when the response is not
 * needed. An error response becomes err with the server's MLflow code and
 * message; transport failures and non-JSON answers are FERR_IO_ERROR.
 * Retries back off exponentially (250 ms doubling, capped at 8 s, or the
 * server's Retry-After up to 30 s). */
int rest_call_root(struct rest *r, const char *root, enum rest_method method, const char *path,
                   json_t *in, enum rest_retry retry, json_t **out, struct ferr *err) WARN_UNUSED;

/* Calls /api/2.0/mlflow-artifacts/<path> with GET (the artifact listing). */
int rest_call_artifacts(struct rest *r, const char *path, json_t *in, json_t **out,
                        struct ferr *err) WARN_UNUSED;

/* Called during a transfer with the bytes moved so far and the total (0 when
 * not known yet). */
typedef void (*rest_progress_fn)(void *arg, int64_t now, int64_t total);

/* Streams size bytes of fd (from its start) to PUT
 * /api/2.0/mlflow-artifacts/artifacts/<artifact_path>, never holding more
 * than curl's buffer in memory. artifact_path is relative to the server's
 * artifact root ("1/<run>/artifacts/model/MLmodel"); each segment is
 * percent-encoded here. Retried like an idempotent call (a PUT of the same
 * bytes is). progress may be NULL. */
int rest_upload(struct rest *r, const char *artifact_path, int fd, int64_t size,
                rest_progress_fn progress, void *arg, struct ferr *err) WARN_UNUSED;

/* Streams GET /api/2.0/mlflow-artifacts/artifacts/<artifact_path> into fd
 * (truncated first). An error answer leaves fd empty and sets err. */
int rest_download(struct rest *r, const char *artifact_path, int fd, rest_progress_fn progress,
                  void *arg, struct ferr *err) WARN_UNUSED;

#endif
