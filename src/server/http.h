/* SPDX-License-Identifier: MIT
 * What a REST handler sees: the decoded request fields and the response it
 * fills. Internal to server/. A handler reads parse -> validate -> act ->
 * encode and returns 0, or -1 with r->err set; only the server core turns an
 * error into an HTTP status and MLflow's JSON error body. */
#ifndef FERRY_SERVER_HTTP_H
#define FERRY_SERVER_HTTP_H

#include "base/ferr.h"
#include "base/sbuf.h"
#include "store/store.h"

#include <jansson.h>

struct artifact_repo;

struct req {
    struct store *store;
    struct artifact_repo *artifacts; /* the proxied repository; NULL if not served */
    const char *user;                /* who is asking (HTTP basic auth user), NULL if unknown */
    const char *method;
    json_t *in;       /* request fields: the JSON body, or the query string as an object */
    struct sbuf *out; /* response body (JSON unless content_type says otherwise) */
    const char *content_type;
    int status; /* 200 unless the handler says otherwise */
    struct ferr err;
};

typedef int (*handler_fn)(struct req *r);

enum route_methods {
    ROUTE_GET = 1,
    ROUTE_POST = 2,
    ROUTE_ANY = 3, /* GET and POST */
    ROUTE_PATCH = 4,
    ROUTE_DELETE = 8,
};

struct route {
    const char *path; /* after the API prefix, e.g. "runs/log-batch" */
    unsigned methods;
    handler_fn fn;
    size_t max_body; /* request body limit in bytes */
};

/* Every route, in table order. */
const struct route *router_routes(size_t *n);

/* Helpers for handlers. */
/* Writes a compact JSON document and takes the reference. */
void req_reply_json(struct req *r, json_t *doc);
/* {} */
void req_reply_empty(struct req *r);
/* The run id from "run_id", falling back to the deprecated "run_uuid". */
int req_run_id(struct req *r, const char **out) WARN_UNUSED;
/* A ViewType field given by name ("ACTIVE_ONLY") or number; absent means
 * ACTIVE_ONLY. */
int req_view_type(struct req *r, const char *field, enum view_type *out) WARN_UNUSED;
/* A field holding an array of strings; a single string counts as one. The
 * result points into r->in; *n = 0 when absent. Caller frees *out. */
int req_str_array(struct req *r, const char *field, const char ***out, size_t *n) WARN_UNUSED;

#endif
