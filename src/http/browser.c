/* SPDX-License-Identifier: MIT
 * browser.h's policy, applied to a request once its head is in: the Host
 * check, the Origin check, CORS preflights and answers, the simple
 * content types refused on JSON rows, and what trusted proxies say. */
#include "http/browser.h"
#include "http/request_int.h"
#include "base/xalloc.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

struct http_browser {
    struct http_patterns hosts;
    struct http_patterns origins;
    struct http_cidrs proxies;
    int tls;
};

int http_browser_new(const struct http_browser_opts *o, const char *bound_host, int tls,
                     struct http_browser **out, struct ferr *err)
{
    struct http_browser *b = xcalloc(1, sizeof(*b));
    b->tls = tls;
    int rc = 0;
    if (o->allowed_hosts) {
        rc = http_hosts_add(&b->hosts, o->allowed_hosts, err);
        if (!rc && !b->hosts.any && !b->hosts.n)
            rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                          "--allowed-hosts lists no host (use '*' to allow any)");
    } else if (!strcmp(bound_host, "0.0.0.0")) {
        b->hosts.any = 1;
    } else {
        rc = http_hosts_add(&b->hosts, "localhost,127.0.0.1,::1", err);
        if (!rc && http_hosts_add(&b->hosts, bound_host, err))
            rc = -1;
    }
    if (!rc && o->cors_origins)
        rc = http_origins_add(&b->origins, o->cors_origins, err);
    if (!rc && o->trusted_proxies)
        rc = http_cidrs_add(&b->proxies, o->trusted_proxies, err);
    if (rc) {
        http_browser_free(b);
        return -1;
    }
    *out = b;
    return 0;
}

void http_browser_free(struct http_browser *b)
{
    if (!b)
        return;
    http_patterns_release(&b->hosts);
    http_patterns_release(&b->origins);
    http_cidrs_release(&b->proxies);
    free(b);
}

int http_browser_any_host(const struct http_browser *b)
{
    return b->hosts.any;
}

/* Whether the request came from a trusted proxy. */
static int from_proxy(const struct http_browser *b, const struct http_request *rq)
{
    char peer[INET6_ADDRSTRLEN];
    if (!b->proxies.n)
        return 0;
    http_peer_addr(rq, peer, sizeof(peer));
    return http_cidrs_match(&b->proxies, peer);
}

/* The host the client asked for: what a trusted proxy says it asked for,
 * else the Host header; NULL when there is none. */
static const char *asked_host(const struct http_request *rq, int proxied, char *buf, size_t cap)
{
    if (proxied) {
        const char *xfh = http_header(rq, "X-Forwarded-Host");
        const char *fwd = http_header(rq, "Forwarded");
        if (xfh && !http_forwarded_last(xfh, buf, cap))
            return buf;
        if (fwd && !http_forwarded_param(fwd, "host", buf, cap))
            return buf;
    }
    return http_header(rq, "Host");
}

/* The scheme the client used: a trusted proxy's word, else the server's. */
static int asked_tls(const struct http_browser *b, const struct http_request *rq, int proxied)
{
    char proto[16];
    if (proxied) {
        const char *xfp = http_header(rq, "X-Forwarded-Proto");
        const char *fwd = http_header(rq, "Forwarded");
        if ((xfp && !http_forwarded_last(xfp, proto, sizeof(proto))) ||
            (fwd && !http_forwarded_param(fwd, "proto", proto, sizeof(proto))))
            return !strcasecmp(proto, "https");
    }
    return b->tls;
}

/* Whether origin is the server's own as the client addressed it: the same
 * name, and the same port when the Host names one (else a default port:
 * behind a proxy the scheme the browser used is not always known, so
 * http and https count as the same origin). */
static int same_origin(const struct http_origin *o, const char *host)
{
    char name[HTTP_HOST_MAX];
    int port;
    if (!host || http_authority_parse(host, strlen(host), name, &port) || strcmp(name, o->host))
        return 0;
    return port >= 0 ? o->port == port : o->port == 80 || o->port == 443;
}

static int state_changing(unsigned method)
{
    return method & (HTTP_POST | HTTP_PUT | HTTP_PATCH | HTTP_DELETE);
}

int http_browser_check(const struct http_browser *b, struct http_request *rq, int *status,
                       struct ferr *err)
{
    char hbuf[HTTP_HOST_MAX + 8];
    int proxied = from_proxy(b, rq);
    int tls = asked_tls(b, rq, proxied);
    const char *host = asked_host(rq, proxied, hbuf, sizeof(hbuf));
    const char *origin = http_header(rq, "Origin");
    *status = 403;
    if (host && !http_hosts_allow(&b->hosts, host, tls ? 443 : 80))
        return ferr_set(err, FERR_PERMISSION_DENIED,
                        "Invalid Host header '%.100s': not an allowed host (--allowed-hosts); "
                        "refused against DNS rebinding",
                        host);
    if (origin) {
        struct http_origin o;
        int parsed = !http_origin_parse(origin, &o);
        int same = parsed && same_origin(&o, host);
        int listed = parsed ? http_origins_allow(&b->origins, &o) : b->origins.any;
        int preflight =
            rq->method == HTTP_OPTIONS && http_header(rq, "Access-Control-Request-Method") != NULL;
        if ((preflight || state_changing(rq->method)) && !same && !listed)
            return ferr_set(err, FERR_PERMISSION_DENIED,
                            "cross-origin request from '%.100s' refused: not this server's "
                            "origin nor in --cors-allowed-origins",
                            origin);
        rq->preflight = preflight;
        if (listed && !same)
            rq->cors_origin = xstrdup(origin);
        if (preflight)
            return 0;
    }
    if (rq->route && (rq->route->flags & HTTP_ROUTE_JSON_BODY) && state_changing(rq->method)) {
        const char *ctype = http_header(rq, "Content-Type");
        if (ctype && http_simple_content_type(ctype)) {
            *status = 400;
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "Bad Request. Content-Type must be one of ['application/json'].");
        }
    }
    return 0;
}

/* A preflight's Access-Control-Request-Headers as the allowed headers when
 * it is a plain list of names, else the headers ferry's clients send. */
static const char *allowed_headers(const struct http_request *rq)
{
    const char *h = http_header(rq, "Access-Control-Request-Headers");
    if (!h || !*h || strlen(h) > 512 ||
        h[strspn(h, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_, ")])
        return "Authorization, Content-Type";
    return h;
}

int http_browser_preflight(struct http_request *rq)
{
    struct sbuf empty = SBUF_INIT;
    http_add_header(rq, "Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE");
    http_add_header(rq, "Access-Control-Allow-Headers", allowed_headers(rq));
    http_add_header(rq, "Access-Control-Max-Age", "600");
    if (!rq->cors_origin) /* the server's own origin: answered as a listed one */
        rq->cors_origin = xstrdup(http_header(rq, "Origin"));
    return http_respond(rq, 204, NULL, &empty);
}

const struct http_cidrs *http_browser_proxies(const struct http_browser *b)
{
    return b && b->proxies.n ? &b->proxies : NULL;
}
