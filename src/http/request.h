/* SPDX-License-Identifier: MIT
 * What a route's handler sees of a request, and how it answers. A handler
 * runs once the request's body is complete (or streamed, see route.h) and
 * answers exactly once: one of the http_respond* calls, or by returning -1
 * with err set (the server answers MLflow's JSON error then). Headers added
 * with http_add_header go out with the answer. Strings handed out live as
 * long as the request. Nothing here is shared between requests. */
#ifndef FERRY_HTTP_REQUEST_H
#define FERRY_HTTP_REQUEST_H

#include "base/ferr.h"
#include "base/sbuf.h"
#include "http/route.h"

#include <stddef.h>
#include <stdint.h>

/* The request. */
unsigned http_method(const struct http_request *rq); /* one HTTP_* bit */
const char *http_method_str(const struct http_request *rq);
const char *http_path(const struct http_request *rq); /* percent-decoded, no query */
const struct http_route *http_route_of(const struct http_request *rq);
/* The context the server was started with (http_server_opts.ctx). */
void *http_ctx(const struct http_request *rq);
/* A header's value, or NULL. */
const char *http_header(const struct http_request *rq, const char *name);
/* A query argument's first value, or NULL; *len (may be NULL) its length,
 * which tells a value with a %00 in it from a shorter one. */
const char *http_query(const struct http_request *rq, const char *name, size_t *len);
/* Calls fn for each query argument, in order, with sizes (a %00 makes a
 * size longer than strlen); stops early and returns -1 when fn does. */
typedef int (*http_query_fn)(void *arg, const char *key, size_t key_len, const char *value,
                             size_t value_len);
int http_query_each(const struct http_request *rq, http_query_fn fn, void *arg);
/* A path template parameter (route.h), or NULL. */
const char *http_param(const struct http_request *rq, const char *name);
/* The collected body (NUL-terminated, "" when none) and its length. */
const char *http_body(const struct http_request *rq, size_t *len);
/* The user name of HTTP basic authentication, or NULL; once a server's
 * admit hook has set one (http_set_user), that checked name. */
const char *http_user(const struct http_request *rq);
void http_set_user(struct http_request *rq, const char *user);
/* Who the request was found to come from (the admit hook's, e.g. a checked
 * credential), freed with free_fn when the request is over. */
void http_set_principal(struct http_request *rq, void *p, void (*free_fn)(void *p));
void *http_principal(const struct http_request *rq);
/* The client's address as text ("127.0.0.1", "::1"); "-" when unknown.
 * Behind a trusted proxy (--trusted-proxies, http/browser.h), the address
 * the proxy says it forwards for. */
void http_client_addr(const struct http_request *rq, char *buf, size_t size);
/* The address of the connection's other end, whatever it says. */
void http_peer_addr(const struct http_request *rq, char *buf, size_t size);
/* Per-request state for a route's own use (e.g. an upload in progress). */
void http_set_state(struct http_request *rq, void *state);
void *http_state(const struct http_request *rq);

/* Answers. Each returns 0, or -1 when the answer could not be queued (out
 * of memory in libmicrohttpd); the server notices that itself and closes
 * the connection, so a handler may ignore the result or return it. */
void http_add_header(struct http_request *rq, const char *name, const char *value);
/* body's buffer is taken (body is left empty). */
int http_respond(struct http_request *rq, int status, const char *content_type, struct sbuf *body);
/* A buffer that outlives the server (the UI's embedded files). */
int http_respond_static(struct http_request *rq, int status, const char *content_type,
                        const void *buf, size_t len);
/* size bytes of fd from its start; fd is taken (closed once sent). */
int http_respond_fd(struct http_request *rq, int status, const char *content_type, int fd,
                    int64_t size);
/* A body produced while it is sent: read fills at most cap bytes of buf and
 * returns how many, 0 at the end, -1 on failure (the connection is cut);
 * done (may be NULL) frees arg once the answer is over. size is -1 when
 * unknown (chunked). */
typedef long (*http_read_fn)(void *arg, uint64_t pos, char *buf, size_t cap);
int http_respond_stream(struct http_request *rq, int status, const char *content_type, int64_t size,
                        http_read_fn read, void *arg, void (*done)(void *arg));
/* MLflow's JSON error with the status http_status_for gives its code, or
 * with status when it is not 0. */
int http_respond_error(struct http_request *rq, int status, const struct ferr *err);
/* text/plain; charset=utf-8. */
int http_respond_text(struct http_request *rq, int status, const char *text);

#endif
