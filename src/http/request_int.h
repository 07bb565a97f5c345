/* SPDX-License-Identifier: MIT
 * Inside http/ only: a request's state, from its first callback to its
 * completion, shared by server.c (which drives it) and request.c (what
 * handlers call). */
#ifndef FERRY_HTTP_REQUEST_INT_H
#define FERRY_HTTP_REQUEST_INT_H

#include "http/request.h"
#include "base/dynbuf.h"

#include <microhttpd.h>
#include <stdatomic.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS 8

struct http_server;
struct http_cidrs;

struct http_request {
    struct http_server *srv;
    struct MHD_Connection *conn;
    const char *path;  /* libmicrohttpd's, or merged_path; valid for the request */
    char *merged_path; /* the path with "//" runs merged, as werkzeug routes it; NULL: none */
    const char *method_name;
    unsigned method;
    const struct http_route *route; /* NULL: no route for method and path */
    int path_known;                 /* some route has the path (405, not 404) */
    char *params[HTTP_MAX_PARAMS];  /* NUL-terminated values of route.params */
    struct http_param route_params[HTTP_MAX_PARAMS];
    size_t nparams;
    struct dynbuf body;       /* collected body (routes without body ops) */
    struct ferr early;        /* refused by a streaming route's begin/data */
    int arrived_late;         /* after the drain began: 503 */
    int nul_in_path;          /* the raw path held %00 */
    const char *bad_framing;  /* why the head's Content-Length cannot be trusted; NULL: it can */
    int close;                /* the answer ends the connection */
    struct conn_watch *watch; /* the connection's deadline (server.c); may be NULL */
    int64_t start_ns;
    char *user; /* basic auth user, looked up once; or the admit hook's */
    int user_done;
    void *principal; /* the admit hook's (http_set_principal) */
    void (*principal_free)(void *p);
    int refused;        /* the admit hook refused it (early holds why): the body is dropped */
    int blocked_status; /* refused by the browser checks (browser.h), with early: 403, 400 */
    void *state;        /* the route's own */
    struct {
        char *name, *value;
    } headers[HTTP_MAX_HEADERS];
    size_t nheaders;
    const struct http_cidrs *proxies; /* trusted proxies (browser.h); NULL: none */
    int preflight;                    /* an allowed CORS preflight, answered as such */
    char *cors_origin;                /* an allowed cross origin: Access-Control-Allow-Origin */
    void *ctx;                        /* the server's (http_server_opts.ctx) */
    const atomic_int *draining;       /* the server's flag: answers carry Connection: close */
    int answered;                     /* a response was given */
    int queue_failed;                 /* ... but libmicrohttpd could not queue it: close */
    int status;                       /* for the access log */
    uint64_t bytes;
};

#endif
