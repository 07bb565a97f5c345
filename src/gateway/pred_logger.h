/* SPDX-License-Identifier: MIT
 * The prediction log's writer (issue 17): every scored request of a
 * gateway (`ferry serve`) or of `ferry models serve --log-predictions`
 * becomes rows of the log (domain/prediction.h), written to the store in
 * batches by one thread of its own, never on the request's path.
 *
 * The request thread only hands over what it already has (the parsed
 * input matrix and the model's output, serving/scorer.h's capture: no
 * copy) and a few header values, into a bounded queue; the writer thread
 * encodes the rows (columns excluded or hashed as the deployment's `log:`
 * says), and writes a batch when it holds batch_rows rows or its oldest is
 * flush_ms old. When the queue is full the request's rows are dropped and
 * counted, never waited for: logging never slows or fails a request. On
 * stop the queue is written out. What a kill -9 loses is what was queued
 * and the batch being written: at most flush_ms of rows plus a batch when
 * the store keeps up (docs/deployments.md, "Prediction log").
 *
 * Hashed columns (`log: {hash_columns: [...]}`) are kept as the first 8
 * bytes of HMAC-SHA256 under a key every gateway of a store must share,
 * so equal values hash equal across restarts and gateways: the key is
 * SHA-256 of $FERRY_LOG_HASH_KEY. The value hashed is its canonical text:
 * an integral number within +-2^53 as its decimal digits ("42"), any
 * other number as printf's "%.17g". Without the key, hashed columns are
 * left out of the log (never kept in the clear), with a warning. */
#ifndef FERRY_GATEWAY_PRED_LOGGER_H
#define FERRY_GATEWAY_PRED_LOGGER_H

#include "base/ferr.h"
#include "domain/deployment.h"
#include "domain/prediction.h"
#include "serving/scorer.h"

#include <stddef.h>
#include <stdint.h>

/* What answered, and what of its requests is kept: shared by the rows of
 * every request it answers (references). Immutable once made. */
struct plog_target;

struct plog_target_spec {
    const char *deployment;
    int64_t revision;
    const char *model; /* registered model name */
    int64_t version;
    int shadow;
    const char *const *columns; /* the input matrix's column names; NULL: positional ("0", ...) */
    size_t ncolumns;
    const char *task;             /* "classification" | "regression" | NULL/"": not known */
    const struct deploy_log *log; /* NULL: keep everything, every request */
};
struct plog_target *plog_target_new(const struct plog_target_spec *spec);
void plog_target_ref(struct plog_target *t);
void plog_target_unref(struct plog_target *t); /* accepts NULL */
/* Whether to log a request to t: its sample (1: always; 0: never),
 * drawn per request (a request's rows, and its shadows' answers, are
 * logged together or not at all). */
int plog_target_sampled(const struct plog_target *t);

/* Where batches go: 0, or -1 with err set (the batch is retried twice
 * when the failure may pass, e.g. a busy store or a server away, then
 * dropped and counted as failed). Called from the writer thread only. */
typedef int (*plog_put_fn)(void *arg, const struct pred_row *rows, size_t n, struct ferr *err);

struct pred_logger_opts {
    plog_put_fn put;
    void *put_arg;
    size_t capacity;   /* rows waiting at most; 0: 50,000 */
    size_t batch_rows; /* rows a write at most; 0: 1,000 */
    int flush_ms;      /* a row waits at most this long for its batch; 0: 100 */
};

/* Starts the writer thread; NULL (err set) when it cannot. */
struct pred_logger *pred_logger_new(const struct pred_logger_opts *o, struct ferr *err);
/* Writes out what is queued (retrying a failed batch a few times), stops
 * the thread and frees it; accepts NULL. No submit may run meanwhile. */
void pred_logger_free(struct pred_logger *lg);

/* One scored request, as the caller saw it. Strings are copied. */
struct plog_request {
    const char *rid;       /* ferry's request id: a UUIDv7's 36 characters */
    const char *caller_id; /* the caller's X-Request-Id; NULL: none */
    const char *tags;      /* X-Ferry-Tags as sent ("k=v,k=v"); NULL: none */
    uint32_t latency_us;
    int status;      /* the answer's HTTP status */
    size_t body_len; /* the request body's size (max_payload_bytes) */
};

/* Queues the request's rows (one per row of cap; one row without inputs
 * when the body did not parse), taking cap's contents (cap is left empty
 * whatever happens). 0 queued, -1 dropped (queue full or stopping: counted).
 * Thread-safe; never waits for the store. */
int pred_logger_submit(struct pred_logger *lg, struct plog_target *t, const struct plog_request *rq,
                       struct score_capture *cap);

struct pred_logger_counts {
    unsigned long long logged;  /* rows written */
    unsigned long long dropped; /* rows dropped: the queue was full */
    unsigned long long failed;  /* rows the store refused (after retries) */
    unsigned long long queued;  /* rows waiting now */
};
void pred_logger_counts(struct pred_logger *lg, struct pred_logger_counts *out);

/* X-Ferry-Tags made canonical into out: "k=v" pairs split at commas,
 * spaces around them trimmed, pieces without '=' or with an empty key
 * left out, sorted by key (the first of a repeated key kept); at most 32
 * pairs of at most 128 bytes a key or value, printable ASCII only. Empty
 * when nothing is left. */
void plog_tags_canonical(const char *tags, struct sbuf *out);

/* The keyed hash of a number, as hashed columns keep it (see above);
 * 0 when mac is NULL. For tests and tools. */
struct secret_mac;
uint64_t plog_hash_number(const struct secret_mac *mac, double v);

#endif
