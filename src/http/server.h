/* SPDX-License-Identifier: MIT
 * The one HTTP server core under `ferry server`, `ferry models serve` and
 * the deployment gateway, on libmicrohttpd. It owns what every one of them
 * needs: the listening socket, request bodies collected under each route's
 * cap (413 past it), routing by route table (404, 405), the access log,
 * answers on a later callback (libmicrohttpd 0.9.75 drops keep-alive when a
 * request is answered on its first), refusing paths that hold %00, and a
 * drain on SIGTERM/SIGINT: requests in flight finish, later ones get 503
 * and every answer carries Connection: close. Programs bring route tables
 * and handlers (route.h, request.h); no request state is process-global.
 *
 * Threading: a thread per connection by default (writers that block in
 * the store's group commit all wait at once), or a pool of polling threads.
 * Handlers may run on many threads at once. */
#ifndef FERRY_HTTP_SERVER_H
#define FERRY_HTTP_SERVER_H

#include "base/ferr.h"
#include "http/route.h"

struct http_server_opts {
    const char *host;                /* an IPv4 address or "localhost" */
    int port;                        /* 0 picks a free one */
    const struct http_route *routes; /* must outlive the server */
    size_t nroutes;
    http_handler_fn not_found; /* NULL: 404 ENDPOINT_NOT_FOUND */
    void *ctx;                 /* handed to handlers (http_ctx) */
    int threads;               /* 0: a thread per connection; N: N polling threads */
    unsigned max_connections;  /* 0: libmicrohttpd's default */
    int access_log;            /* 1: a line per request on stderr */
    /* Optional: runs once a request's headers are in and its route is
     * found, before any of its body is read or streamed to the route (so
     * an unauthenticated upload costs nothing). -1 with err set refuses
     * it: the body is read and dropped, and err answered with its code's
     * status (headers added by the hook go with it). */
    http_handler_fn admit;
};

struct http_server;

/* Indexes the routes and listens (so a taken port is reported before the
 * program opens anything else); installs the SIGTERM/SIGINT pipe and
 * ignores SIGPIPE. Nothing is served before http_server_start. */
int http_server_new(const struct http_server_opts *o, struct http_server **out,
                    struct ferr *err) WARN_UNUSED;
/* The port listened on. */
int http_server_port(const struct http_server *s);
int http_server_start(struct http_server *s, struct ferr *err) WARN_UNUSED;
/* Blocks until SIGTERM or SIGINT. After each second in which requests were
 * served and none is in flight any more, calls idle(arg) (idle may be
 * NULL): a quiet moment to give memory back. */
void http_server_wait(struct http_server *s, void (*idle)(void *arg), void *arg);
/* Stops accepting, answers later requests with 503, lets requests in
 * flight finish for up to drain_ms, then stops every thread. */
void http_server_stop(struct http_server *s, int drain_ms);
/* Stops if needed, closes everything, restores the signal handlers.
 * Accepts NULL. */
void http_server_free(struct http_server *s);

#endif
