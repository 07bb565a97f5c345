/* SPDX-License-Identifier: MIT
 * One delivery of an alert's event to one sink, and nothing else: no
 * retries, no store (server/alert_dispatch.c decides when to try again and
 * records every attempt).
 *
 * Webhook: an HTTP POST of the JSON body (Content-Type application/json),
 * with these headers:
 *   X-Ferry-Event: alert.opened | alert.resolved
 *   X-Ferry-Delivery: <delivery id>   (the same on every retry: receivers
 *                                      drop a delivery they already took)
 *   X-Ferry-Timestamp: <unix seconds when this attempt was sent>
 *   X-Ferry-Signature: sha256=<hex>   (only when the sink names secret_env)
 * where <hex> is the lower-case hex HMAC-SHA256, keyed by the bytes of the
 * environment variable secret_env names (in the server's environment), of
 *   "<X-Ferry-Timestamp value>.<raw body bytes>"
 * A receiver recomputes it over the body as received, compares in constant
 * time, and refuses a timestamp older than a few minutes (a replayed
 * request carries an old one, and changing it breaks the signature). A sink
 * that names secret_env whose variable is unset is not delivered (never sent
 * unsigned). 2xx is delivered; anything else, a timeout or a connection
 * failure is not. Redirects are not followed.
 *
 * Command: the program at path, run with the spec's arguments, the JSON body on its
 * standard input, and FERRY_ALERT_EVENT, FERRY_ALERT_ID, FERRY_ALERT_MONITOR,
 * FERRY_ALERT_DEPLOYMENT, FERRY_ALERT_CONDITION, FERRY_ALERT_STATE and
 * FERRY_DELIVERY_ID in a clean environment (PATH, LANG, HOME besides), as
 * base/sandbox.h's unprivileged user (nobody when ferry is root), in "/",
 * killed after its time limit. Exit status 0 is delivered. */
#ifndef FERRY_MONITOR_ALERT_SINK_H
#define FERRY_MONITOR_ALERT_SINK_H

#include "base/ferr.h"
#include "store/monitors.h"

#include <stddef.h>
#include <stdint.h>

/* What is delivered: one event of one alert, its body already built. */
struct alert_message {
    const char *event;       /* "alert.opened" or "alert.resolved" */
    const char *delivery_id; /* the delivery's id, the same on every attempt */
    const char *alert_id, *monitor, *deployment, *condition, *state;
    const char *body; /* the JSON text sent (and signed) as is */
    size_t body_len;
    int64_t timestamp_s; /* X-Ferry-Timestamp; 0: now */
};

struct alert_webhook {
    const char *url;              /* http:// or https:// */
    const char *secret_env;       /* the variable holding the key; NULL or "": unsigned */
    const char *const *hdr_names; /* extra headers (not X-Ferry-*, Content-Type/-Length) */
    const char *const *hdr_values;
    size_t nheaders;
    long timeout_ms; /* the whole attempt; 0: ALERT_WEBHOOK_TIMEOUT_MS */
};

struct alert_command {
    const char *path;        /* an absolute path to an executable */
    const char *const *args; /* its arguments after argv[0] (may be NULL) */
    size_t nargs;
    const char *run_as; /* base/sandbox.h: NULL: nobody when ferry is root */
    int enabled;        /* 0: the server runs no processes (--no-execute): not delivered */
    long timeout_ms;    /* 0: ALERT_COMMAND_TIMEOUT_MS; then SIGKILL */
};

#define ALERT_WEBHOOK_TIMEOUT_MS 10000L
#define ALERT_COMMAND_TIMEOUT_MS 30000L

struct alert_outcome {
    int delivered; /* 1: 2xx, or exit status 0 */
    int code;      /* the HTTP status or the exit status; -1: none (no answer, signal, timeout) */
    char detail[256]; /* why it was not delivered ("HTTP 500", "timed out after 10 s", ...) */
};

/* The JSON body of a delivery (a new string, *len its length):
 *   {"event": "alert.opened" | "alert.resolved", "delivery_id": "<id>",
 *    "monitor", "deployment", "condition", "severity", "state", "message",
 *    "details": {...}, "window": {"start_ms", "end_ms" (null: unknown),
 *    "opened_window_start_ms"}, "alert": {the alert as api/alerts_ops.h
 *    shows it, as it stands when sent}}
 * window_end_ms: the end of the alert's last window; 0 when unknown. */
char *alert_body(const struct monitor_alert *a, enum delivery_event ev, int64_t delivery_id,
                 int64_t window_end_ms, size_t *len);
/* "alert.opened" or "alert.resolved". */
const char *alert_event_name(enum delivery_event ev);

/* hex (65 bytes): HMAC-SHA256 keyed by key of "<timestamp_s>.<body>", lower
 * case. -1 when OpenSSL fails. */
int alert_sign(const void *key, size_t keylen, int64_t timestamp_s, const char *body, size_t n,
               char hex[65]) WARN_UNUSED;

/* One attempt each: 0 when delivered, else -1; out is filled either way.
 * Thread-safe. */
int alert_sink_webhook(const struct alert_webhook *w, const struct alert_message *m,
                       struct alert_outcome *out);
int alert_sink_command(const struct alert_command *c, const struct alert_message *m,
                       struct alert_outcome *out);

/* The wait before attempt number `attempt` + 1 after `attempt` failures
 * (attempt >= 1): base_ms * 2^(attempt-1), at most cap_ms. */
int64_t alert_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms);

#endif
