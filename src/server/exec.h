/* SPDX-License-Identifier: MIT
 * Where `ferry server` does what a request asks, chosen once by
 * --backend-store-uri: the rows' functions on its own store (sqlite:///...
 * or a path), or the rows sent on to another tracking server (http://...
 * or https://..., server/forward.h says row by row). The routes call only
 * this, so none of them knows which it is. Internal to server/. */
#ifndef FERRY_SERVER_EXEC_H
#define FERRY_SERVER_EXEC_H

#include "api/op.h"
#include "domain/domain.h"
#include "domain/trace.h"
#include "store/store.h"

struct exec;

/* Opens the store at uri with opts, or (http(s)://) prepares to forward
 * to it; opts are the store's and unused then. */
int exec_open(const char *uri, const struct store_opts *opts, struct exec **out,
              struct ferr *err) WARN_UNUSED;
/* Finishes queued writes and closes the store, or the upstream's
 * connections. Accepts NULL. Only once no request is in flight. */
void exec_close(struct exec *x);
/* 1 when requests are forwarded to another server. */
int exec_is_upstream(const struct exec *x);
/* The backend for logs and messages (without credentials). */
const char *exec_name(const struct exec *x);
/* The local store; NULL when rows are forwarded to another server. */
struct store *exec_store(const struct exec *x);
/* Where the store puts new experiments' artifacts (its default artifact
 * root); NULL for an upstream, which decides that itself. */
const char *exec_default_artifact_root(const struct exec *x);

/* Does op for req into resp, as api_exec does; env's store is filled in
 * here. Thread-safe. */
int exec_row(struct exec *x, const struct api_env *env, const struct api_op *op, void *req,
             void *resp, struct ferr *err) WARN_UNUSED;
/* Lookups for the server's own routes (files of runs and traces). */
int exec_get_run(struct exec *x, const char *run_id, struct run *out, struct ferr *err) WARN_UNUSED;
int exec_get_trace_info(struct exec *x, const char *request_id, struct trace_info *out,
                        struct ferr *err) WARN_UNUSED;
/* Where a registered version's files are (MLflow's download URI, a run's
 * or a logged model's followed): a new string in *where. MLflow's errors for
 * a model or version that does not exist. */
int exec_version_location(struct exec *x, const char *name, int64_t version, char **where,
                          struct ferr *err) WARN_UNUSED;
/* The server went quiet: gives cached memory back (the store's caches,
 * or the upstream's idle connections and their buffers). */
void exec_idle(struct exec *x);

#endif
