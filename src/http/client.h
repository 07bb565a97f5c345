/* SPDX-License-Identifier: MIT
 * The HTTP client half of http/: JSON calls and file transfers to a
 * server speaking MLflow's REST conventions (ferry or a stock MLflow
 * server), with libcurl. One curl handle per struct http_client, reused for
 * every call so the connection stays open (keep-alive). libferry's REST
 * transport (client/transport.c) and the proxied artifact repository
 * (artifacts/http.c) are built on it.
 *
 * Settings read from the environment at http_client_open (FERRY_* first,
 * then the MLflow name, as MLflow's own clients do; base/env.h):
 *   FERRY_TRACKING_TOKEN / MLFLOW_TRACKING_TOKEN        "Authorization: Bearer"
 *   FERRY_TRACKING_USERNAME / MLFLOW_TRACKING_USERNAME  HTTP basic auth, with
 *   FERRY_TRACKING_PASSWORD / MLFLOW_TRACKING_PASSWORD
 *   FERRY_TRACKING_INSECURE_TLS / MLFLOW_TRACKING_INSECURE_TLS  "true": no
 *                                                      certificate check
 *   FERRY_TRACKING_SERVER_CERT_PATH / MLFLOW_TRACKING_SERVER_CERT_PATH  CA file
 *   FERRY_HTTP_REQUEST_TIMEOUT / MLFLOW_HTTP_REQUEST_TIMEOUT  seconds (120)
 *   FERRY_HTTP_REQUEST_MAX_RETRIES / MLFLOW_HTTP_REQUEST_MAX_RETRIES  (5)
 *
 * Thread-safety: calls on one struct http_client are serialised by its own
 * lock. */
#ifndef FERRY_HTTP_CLIENT_H
#define FERRY_HTTP_CLIENT_H

#include "base/ferr.h"
#include "base/sbuf.h"

#include <jansson.h>
#include <stdint.h>
#include <sys/types.h>

struct http_client;

/* Whether a call may be sent twice. Every call is retried when the connection
 * could not be made (nothing was sent); idempotent ones also after a failure
 * mid-request, a timeout, 429, 502, 503 and 504. */
enum http_retry { HTTP_ONCE = 0, HTTP_IDEMPOTENT = 1 };

/* base_url: "http(s)://host[:port][/prefix]" (trailing '/' is fine). */
int http_client_open(const char *base_url, struct http_client **out, struct ferr *err) WARN_UNUSED;
/* As http_client_open, without the tracking credentials: for calls to
 * another service (a deployments gateway), which must not receive them. */
int http_client_open_anonymous(const char *base_url, struct http_client **out,
                               struct ferr *err) WARN_UNUSED;
/* Closes the connection. Accepts NULL. */
void http_client_close(struct http_client *r);

/* Calls <base><root>/<path> ("/api/2.0/mlflow", "runs/get") with method (an
 * HTTP_* bit of http/route.h: GET, POST, PATCH or DELETE). GET sends `in`
 * (may be NULL) as a query string (arrays as repeated keys), the other
 * methods as a JSON body. `in` stays the caller's. *out gets the decoded
 * response object (caller decrefs); out may be NULL when the response is not
 * needed. An error response becomes err with the server's MLflow code and
 * message; transport failures and non-JSON answers are FERR_IO_ERROR.
 * Retries back off exponentially (250 ms doubling, capped at 8 s, or the
 * server's Retry-After up to 30 s). */
int http_client_call(struct http_client *r, const char *root, unsigned method, const char *path,
                     json_t *in, enum http_retry retry, json_t **out, struct ferr *err) WARN_UNUSED;
/* The same with extra request headers for this call only: "Name: value"
 * lines, NULL-terminated (NULL: none). */
int http_client_call_headers(struct http_client *r, const char *root, unsigned method,
                             const char *path, const char *const *headers, json_t *in,
                             enum http_retry retry, json_t **out, struct ferr *err) WARN_UNUSED;

/* Called during a transfer with the bytes moved so far and the total (0 when
 * not known yet). */
typedef void (*http_progress_fn)(void *arg, int64_t now, int64_t total);

/* Streams size bytes of fd (from its start) to PUT <base><prefix><path>,
 * never holding more than curl's buffer in memory; each segment of path is
 * percent-encoded here. Retried like an idempotent call (a PUT of the same
 * bytes is). When the answer carries X-Ferry-Sha256 (ferry does), it must
 * be the SHA-256 of what was sent. progress may be NULL. */
int http_client_put_file(struct http_client *r, const char *prefix, const char *path, int fd,
                         int64_t size, http_progress_fn progress, void *arg,
                         struct ferr *err) WARN_UNUSED;

/* Streams GET <base><prefix><path> into fd (truncated first). An error
 * answer leaves fd empty and sets err. */
int http_client_get_file(struct http_client *r, const char *prefix, const char *path, int fd,
                         http_progress_fn progress, void *arg, struct ferr *err) WARN_UNUSED;

/* A streamed POST: the request body comes from read (or is json), the
 * answer goes to write (or is decoded as JSON). For pack transfers
 * (datasets/objects/upload|download), whose bodies are made and consumed
 * while they travel, never whole in memory. */
struct http_stream {
    json_t *json; /* the request body as JSON (read NULL); NULL: {} */
    /* The request body: fills at most cap bytes of buf, returns how many,
     * 0 at the end, -1 to stop the transfer. NULL: json is sent. */
    ssize_t (*read)(void *arg, char *buf, size_t cap);
    int64_t size; /* read's total in bytes; -1: not known (chunked) */
    /* A 2xx answer's bytes as they arrive; -1 stops the transfer. NULL:
     * the answer is JSON, decoded into *out. */
    int (*write)(void *arg, const char *buf, size_t n);
    void *arg; /* for read and write */
};
/* POSTs to <base><root>/<path>. An error answer (non-2xx) becomes err as
 * http_client_call's do; a callback's -1 is IO_ERROR "stopped" (the caller
 * knows why). Sent once: retried only when the connection could not be
 * made and no callback had run. No overall timeout; a transfer stalled
 * for the request timeout fails. out may be NULL. */
int http_client_post_stream(struct http_client *r, const char *root, const char *path,
                            const struct http_stream *s, json_t **out,
                            struct ferr *err) WARN_UNUSED;

/* Appends s percent-encoded: everything but RFC 3986's unreserved
 * characters (and '/' when keep_slash, for paths). */
void http_url_escape(struct sbuf *sb, const char *s, int keep_slash);

#endif
