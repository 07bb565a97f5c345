/* SPDX-License-Identifier: MIT
 * Route tables: which handler answers a method and a path. A route's path
 * is a template: literal segments, "{name}" for one segment, and a final
 * "{name...}" for the rest of the path (which may be empty or hold '/'):
 *   /api/2.0/mlflow/runs/get
 *   /api/2.0/mlflow/traces/{request_id}/tags
 *   /api/2.0/mlflow-artifacts/artifacts/{path...}
 * Several routes may share a path with different methods. A router indexes
 * a table once (literal paths by binary search, templates in table order),
 * so finding a route costs a few string compares whatever the table's size.
 * Literal paths win over templates. */
#ifndef FERRY_HTTP_ROUTE_H
#define FERRY_HTTP_ROUTE_H

#include "base/ferr.h"

#include <stddef.h>

enum http_method {
    HTTP_GET = 1u << 0,
    HTTP_HEAD = 1u << 1,
    HTTP_POST = 1u << 2,
    HTTP_PUT = 1u << 3,
    HTTP_PATCH = 1u << 4,
    HTTP_DELETE = 1u << 5,
    HTTP_OPTIONS = 1u << 6,
};
#define HTTP_ANY_METHOD 0x7fu

/* The bit for a method name ("GET"); 0 for one we do not serve. */
unsigned http_method_from_name(const char *name);
/* The name of a single method bit; "?" otherwise. */
const char *http_method_name(unsigned method);

struct http_request;

/* Answers a request whose body is complete: responds through request.h
 * and returns 0, or returns -1 with err set and the server answers MLflow's
 * JSON error with the code's status. */
typedef int (*http_handler_fn)(struct http_request *rq, struct ferr *err);

/* A route whose body is streamed to it instead of collected (uploads).
 * begin runs on the request's first callback, data for each piece of the
 * body, the route's handler once the body is complete, end always, when the
 * request is over (answered or not: a client that went away mid-upload).
 * An error from begin or data is kept: the rest of the body is read and
 * dropped, and the error answered at the end, without the handler. */
struct http_body_ops {
    int (*begin)(struct http_request *rq, struct ferr *err);
    int (*data)(struct http_request *rq, const char *p, size_t n, struct ferr *err);
    void (*end)(struct http_request *rq);
};

/* Body ops that read a body and drop it: for routes that take none but
 * should answer as usual (not 413) when one comes. */
extern const struct http_body_ops http_body_drop;

struct http_route {
    unsigned methods;                 /* HTTP_* bits */
    const char *path;                 /* template, from '/' */
    http_handler_fn handler;          /* answers once the body is complete */
    size_t max_body;                  /* bytes collected at most; more is 413 */
    const struct http_body_ops *body; /* NULL: the body is collected */
    const void *arg;                  /* the handler's own (e.g. an API row) */
    unsigned flags;                   /* HTTP_ROUTE_* */
};

/* The route's body is JSON: a POST, PUT, PATCH or DELETE with a content
 * type a web page may send cross-site without a preflight (text/plain, a
 * form) is refused (browser.h). */
#define HTTP_ROUTE_JSON_BODY 1u

#define HTTP_MAX_PARAMS 4

/* A template parameter's value, pointing into the matched path. */
struct http_param {
    const char *name; /* into the template, name_len bytes */
    size_t name_len;
    const char *value; /* into the path, len bytes */
    size_t len;
};

/* Whether path matches tmpl; params (room for HTTP_MAX_PARAMS) get the
 * values, *nparams their number. */
int http_path_match(const char *tmpl, const char *path, struct http_param *params, size_t *nparams);

struct http_router;

/* Indexes routes (which must outlive the router). INVALID_PARAMETER_VALUE
 * for a malformed template: a '{' that does not span a whole segment, a
 * "{name...}" before the end, more than HTTP_MAX_PARAMS parameters. */
int http_router_new(const struct http_route *routes, size_t n, struct http_router **out,
                    struct ferr *err) WARN_UNUSED;
void http_router_free(struct http_router *r);
/* The route for method and path, or NULL; then *path_known says whether a
 * route has the path with other methods (405 rather than 404). HEAD finds
 * a route with GET too: the server runs it as GET and libmicrohttpd sends
 * the answer's headers only, Content-Length included. */
const struct http_route *http_router_find(const struct http_router *r, unsigned method,
                                          const char *path, struct http_param *params,
                                          size_t *nparams, int *path_known);
/* Every route, in table order (for listings). */
const struct http_route *http_router_routes(const struct http_router *r, size_t *n);

#endif
