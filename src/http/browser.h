/* SPDX-License-Identifier: MIT
 * What keeps a web page a user opens from driving a server it can reach
 * through the user's browser (on loopback, or on the user's network):
 *
 * - DNS rebinding: a page at evil.example whose name is made to resolve to
 *   127.0.0.1 talks to the server as its own origin; only the Host header
 *   still names evil.example. Requests whose Host is not an allowed host
 *   are refused (403).
 * - Cross-site requests: a page may send a POST anywhere without asking
 *   (a "simple" request: text/plain or a form). A state-changing request
 *   whose Origin is neither the server's own nor an allowed origin is
 *   refused (403), and a JSON row refuses the simple content types (400),
 *   so a body a page could send without a preflight never reaches one.
 *   Allowed origins get CORS answers (preflight, Access-Control-Allow-
 *   Origin, Vary: Origin).
 * - Proxies: X-Forwarded-For/-Host/-Proto and Forwarded are believed only
 *   from --trusted-proxies addresses; then the Host check, the same-origin
 *   check and the client address (failed-login limits, the access log)
 *   use what the proxy says.
 *
 * browser_parse.c has the parsers (pure: fuzzed by tests/fuzz/
 * fuzz_browser.c); browser.c applies them to a request. Cookies play no
 * part: ferry sets none (the UI authenticates with HTTP basic auth). */
#ifndef FERRY_HTTP_BROWSER_H
#define FERRY_HTTP_BROWSER_H

#include "base/ferr.h"

#include <stddef.h>

/* A host name as compared: lower case, no trailing dot, an IPv6 address
 * without brackets. */
#define HTTP_HOST_MAX 256

/* Parses an authority, "name[:port]" or "[v6addr][:port]", of len bytes:
 * name gets the host name as compared, *port the port or -1 when none.
 * Returns 0, or -1 when s is not one (empty name, bad port, stray
 * characters, too long). */
int http_authority_parse(const char *s, size_t len, char name[HTTP_HOST_MAX], int *port);

/* An origin as browsers send it: "scheme://authority", nothing after. The
 * port is the scheme's default (80, 443) when none is written. "null" and
 * anything else that is not one fail with -1. */
struct http_origin {
    char scheme[8]; /* "http" or "https" */
    char host[HTTP_HOST_MAX];
    int port;
};
int http_origin_parse(const char *s, struct http_origin *o);

/* A host or origin allowed by a pattern: "*" (anything), "name",
 * "*.suffix" (any name ending in ".suffix", not suffix itself), each
 * with an optional ":port" (":*": any port). */
struct http_host_pattern {
    char *name;    /* as compared; for "*.x": ".x"; NULL: any name */
    int port;      /* -1: any */
    char *scheme;  /* origins only: "http"/"https" */
    int subdomain; /* name is a suffix */
};
struct http_patterns {
    struct http_host_pattern *v;
    size_t n, alloc;
    int any; /* "*" was listed */
};
#define HTTP_PATTERNS_INIT                                                                         \
    {                                                                                              \
        NULL, 0, 0, 0                                                                              \
    }

/* Adds the comma-separated host patterns in list (--allowed-hosts).
 * INVALID_PARAMETER_VALUE naming the bad one. */
int http_hosts_add(struct http_patterns *p, const char *list, struct ferr *err) WARN_UNUSED;
/* Whether a Host header value (port included or not) is allowed: a
 * pattern without a port matches any port; with one, the Host's port, or
 * default_port when the Host has none. */
int http_hosts_allow(const struct http_patterns *p, const char *host, int default_port);
/* Adds the comma-separated origin patterns in list
 * (--cors-allowed-origins): "*", or "scheme://pattern[:port]" where
 * pattern is a name or "*.suffix" and the port defaults to the scheme's. */
int http_origins_add(struct http_patterns *p, const char *list, struct ferr *err) WARN_UNUSED;
int http_origins_allow(const struct http_patterns *p, const struct http_origin *o);
void http_patterns_release(struct http_patterns *p);

/* Addresses and networks (--trusted-proxies): "10.0.0.0/8", "::1",
 * "192.0.2.7" (a whole address), IPv4 and IPv6. */
struct http_cidr {
    int family;             /* AF_INET or AF_INET6 */
    unsigned char addr[16]; /* network order, host bits cleared */
    unsigned bits;          /* prefix length */
};
struct http_cidrs {
    struct http_cidr *v;
    size_t n, alloc;
};
#define HTTP_CIDRS_INIT                                                                            \
    {                                                                                              \
        NULL, 0, 0                                                                                 \
    }
int http_cidrs_add(struct http_cidrs *c, const char *list, struct ferr *err) WARN_UNUSED;
/* Whether the address (text, as inet_ntop writes it; an IPv4-mapped IPv6
 * address counts as its IPv4 one) is in one of the networks. */
int http_cidrs_match(const struct http_cidrs *c, const char *addr);
void http_cidrs_release(struct http_cidrs *c);

/* The address one element of a forwarding header names, as inet_ntop
 * writes it, into buf (INET6_ADDRSTRLEN at least): "192.0.2.1",
 * "192.0.2.1:4711", "[2001:db8::1]:80", "2001:db8::1", quoted or not.
 * -1 for anything else ("unknown", "_hidden", junk). */
int http_forwarded_addr(const char *s, size_t len, char *buf, size_t cap);

/* Who sent a request that arrived from peer (a trusted proxy): the
 * forwarding addresses read from the right (the nearest proxy's first),
 * each trusted one skipped; the first untrusted one is the client, or the
 * leftmost when all are trusted, or the last good one before an element
 * that names no address. xff is X-Forwarded-For, else fwd (Forwarded's
 * for=) is read; both may be NULL (the client is peer). */
void http_forwarded_client(const struct http_cidrs *trusted, const char *peer, const char *xff,
                           const char *fwd, char *buf, size_t cap);

/* A parameter of a Forwarded header's last element (the nearest proxy's):
 * "host" or "proto", unquoted, into buf. -1 when absent or too long. */
int http_forwarded_param(const char *fwd, const char *name, char *buf, size_t cap);
/* The last comma-separated value of an X-Forwarded-Host/-Proto header,
 * trimmed, into buf. -1 when empty or too long. */
int http_forwarded_last(const char *value, char *buf, size_t cap);

/* Whether a Content-Type is one a page may send anywhere without a
 * preflight: text/plain, application/x-www-form-urlencoded,
 * multipart/form-data (parameters and case ignored). */
int http_simple_content_type(const char *ctype);

/* The policy a server applies to every request (http_server_opts.browser). */
struct http_browser_opts {
    /* comma-separated host patterns; NULL: bound_host, localhost,
     * 127.0.0.1 and ::1 (any port), or any host when bound to 0.0.0.0
     * (which cannot know the names it is reached by) */
    const char *allowed_hosts;
    const char *cors_origins;    /* comma-separated origin patterns; NULL: none */
    const char *trusted_proxies; /* comma-separated networks; NULL: none */
};

struct http_browser;
struct http_request;

/* Parses the options; tls says what the server's own scheme is.
 * INVALID_PARAMETER_VALUE naming a bad pattern. */
int http_browser_new(const struct http_browser_opts *o, const char *bound_host, int tls,
                     struct http_browser **out, struct ferr *err) WARN_UNUSED;
void http_browser_free(struct http_browser *b);
/* Whether the server accepts any Host (then it says so once, at start). */
int http_browser_any_host(const struct http_browser *b);
/* Checks a request once its head is in: -1 with err (and *status) set to
 * refuse it, else 0; a CORS preflight from an allowed origin is marked to
 * be answered (http_browser_preflight), an allowed cross origin to get
 * Access-Control-Allow-Origin on its answer. */
int http_browser_check(const struct http_browser *b, struct http_request *rq, int *status,
                       struct ferr *err);
/* Answers a preflight marked by http_browser_check. */
int http_browser_preflight(struct http_request *rq);
/* The trusted proxies, for http_client_addr; NULL when none. */
const struct http_cidrs *http_browser_proxies(const struct http_browser *b);

#endif
