/* SPDX-License-Identifier: MIT
 * Who may do what on `ferry server`, checked in one place: every request is
 * authenticated on arrival (HTTP basic auth as MLflow's clients send it,
 * or Authorization: Bearer with an API token), before any of its body is
 * read; then each operation row's declared access (api/op.h: the
 * permission it needs, on the resource its locator finds) is checked
 * against the caller's permissions, as MLflow's basic-auth app does:
 * admins may do anything, a permission given on the experiment or model
 * counts, else the server's default permission. Tokens carry scopes that
 * bound what their user may do through them.
 *
 * Checking a password costs a scrypt run (32 MiB; 0.2-0.5 s on a small VM),
 * and MLflow clients send their password on every call, so a verified
 * credential is cached for a short while, keyed by an HMAC of the
 * credential under a key made at start (the cache holds no password); a
 * failed one is never cached. Failed logins are limited per client
 * address. */
#ifndef FERRY_SERVER_GUARD_H
#define FERRY_SERVER_GUARD_H

#include "api/op.h"
#include "base/ferr.h"
#include "domain/auth.h"
#include "http/request.h"
#include "store/auth.h"

struct guard_opts {
    enum perm default_perm; /* with no permission given on a resource: MLflow's READ */
    int cache_seconds;      /* how long a verified credential is believed; 0: default */
    int max_failures;       /* failed logins per client address per minute; 0: default */
};

struct guard;
int guard_new(const struct guard_opts *o, struct store *s, struct guard **out,
              struct ferr *err) WARN_UNUSED;
void guard_free(struct guard *g);

/* The HTTP core's admit hook for servers of API rows (http_server_opts.admit,
 * arg: the guard, or NULL when authentication is off): authenticates the
 * request (guard_authenticate), and checks a streaming row's access from
 * its path or query. JSON rows are checked once decoded (guard_check_row). */
int guard_admit(void *arg, struct http_request *rq, struct ferr *err);

/* Authenticates rq: 401 UNAUTHENTICATED with a Basic challenge when it
 * carries no valid credential, 429 after too many failures from its
 * address; on success sets its user and principal (guard_principal). */
int guard_authenticate(struct guard *g, struct http_request *rq, struct ferr *err) WARN_UNUSED;

/* The request's checked identity; NULL when auth is off or the row is
 * public. */
const struct principal *guard_principal(const struct http_request *rq);

/* Whether who may run op on what req touches: 0, or -1 with
 * PERMISSION_DENIED "Permission denied" (or the lookup's error). */
int guard_check_row(struct guard *g, const struct principal *who, const struct api_op *op,
                    const void *req, struct ferr *err) WARN_UNUSED;

/* Whether who holds at least need on one resource (its permission there,
 * else the default; bounded by a token's scopes; admins hold everything):
 * 0, or -1 with PERMISSION_DENIED (or the lookup's error). */
int guard_allows(struct guard *g, const struct principal *who, enum res_kind kind, const char *key,
                 enum perm need, struct ferr *err) WARN_UNUSED;

/* After op succeeded: what follows from it for permissions. The creator of
 * an experiment or a registered model is given MANAGE on it (as MLflow's
 * auth app does); a deleted registered model's permissions go with it;
 * changes to users and tokens make cached credentials be checked again. */
void guard_after_row(struct guard *g, const struct principal *who, const struct api_op *op,
                     const void *req, const void *resp);

/* List answers hold only what who may read: the experiments of
 * experiments/search, the models of registered-models/search, the
 * versions of model-versions/search and the runs of datasets/runs (those
 * of experiments who may read). */
/* Returns how many entities were taken out. */
size_t guard_filter_answer(struct guard *g, const struct principal *who, const struct api_op *op,
                           void *resp);

#endif
