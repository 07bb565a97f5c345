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
 * Hardening: HEAD is answered wherever GET is; a head with several
 * Content-Length headers, or one with Transfer-Encoding, is a JSON 400 and
 * the connection closes; http_limits bound what one client and all of them
 * hold (connections, idle and trickling ones). What libmicrohttpd 0.9.75
 * answers itself, before any callback and with no way to change its body,
 * stays HTML: a malformed request line, header or chunk (400), a head past
 * the 192 KiB connection memory (431/413), an unsupported HTTP version
 * (505). A connection past a limit is closed without an answer, as
 * libmicrohttpd does. The status is right in every case; only the body is
 * not MLflow's JSON error.
 *
 * Threading: a thread per connection by default (writers that block in
 * the store's group commit all wait at once), or a pool of polling threads.
 * Handlers may run on many threads at once. */
#ifndef FERRY_HTTP_SERVER_H
#define FERRY_HTTP_SERVER_H

#include "base/ferr.h"
#include "http/browser.h"
#include "http/route.h"

/* What one client, and all of them, may hold of the server. A client is an
 * IPv4 address: behind a reverse proxy every client is the proxy's, so
 * per_ip is then best 0. */
struct http_limits {
    unsigned max_connections; /* at once, all clients; 0: HTTP_DEFAULT_MAX_CONNECTIONS */
    unsigned per_ip;          /* at once from one address; 0: no limit */
    unsigned idle_timeout_s;  /* a connection silent this long is closed; 0: never */
    /* A request's head must be complete within this many seconds of the
     * connection opening or of its previous answer, and its body must
     * arrive at HTTP_MIN_BODY_RATE bytes/s on average once it is this old:
     * a client that trickles (slowloris) keeps no connection longer. 0: no
     * deadline. */
    unsigned request_timeout_s;
};
#define HTTP_DEFAULT_MAX_CONNECTIONS 1024
#define HTTP_MIN_BODY_RATE           1024
#define HTTP_LIMITS_INIT                                                                           \
    {                                                                                              \
        HTTP_DEFAULT_MAX_CONNECTIONS, 128, 60, 30                                                  \
    }

struct http_server_opts {
    const char *host;                /* an IPv4 address or "localhost" */
    int port;                        /* 0 picks a free one */
    const struct http_route *routes; /* must outlive the server */
    size_t nroutes;
    http_handler_fn not_found; /* NULL: 404 ENDPOINT_NOT_FOUND */
    void *ctx;                 /* handed to handlers (http_ctx) */
    int threads;               /* 0: a thread per connection; N: N polling threads */
    int access_log;            /* 1: a line per request on stderr */
    struct http_limits limits;
    /* Optional: runs once a request's headers are in and its route is
     * found, before any of its body is read or streamed to the route (so
     * an unauthenticated upload costs nothing). -1 with err set refuses
     * it: the body is read and dropped, and err answered with its code's
     * status (headers added by the hook go with it). */
    int (*admit)(void *arg, struct http_request *rq, struct ferr *err);
    void *admit_arg;
    /* Optional: the Host, Origin and content type checks and the trusted
     * proxies (browser.h), applied before anything else, the admit hook
     * included. NULL: none (every Host, Origin and content type served). */
    const struct http_browser_opts *browser;
    /* Both or neither: PEM files to speak HTTPS with (tls.h). */
    const char *tls_cert, *tls_key;
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
 * NULL): a quiet moment to give memory back. Once a second it also closes
 * the connections past limits.request_timeout_s. */
void http_server_wait(struct http_server *s, void (*idle)(void *arg), void *arg);
/* Stops accepting, answers later requests with 503, lets requests in
 * flight finish for up to drain_ms, then stops every thread. */
void http_server_stop(struct http_server *s, int drain_ms);
/* Stops if needed, closes everything, restores the signal handlers.
 * Accepts NULL. */
void http_server_free(struct http_server *s);

#endif
