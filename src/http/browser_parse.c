/* SPDX-License-Identifier: MIT
 * browser.h's parsers: authorities, origins, host and origin patterns,
 * networks, forwarding headers. Everything here reads text a client (or
 * an operator's option) wrote, so every length is checked and nothing is
 * sized by the input beyond its own length. */
#include "http/browser.h"
#include "base/xalloc.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "base/banned.h"

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* s[0..*n) without the spaces and tabs around it. */
static const char *trim(const char *s, size_t *n)
{
    while (*n && is_ows(*s))
        s++, (*n)--;
    while (*n && is_ows(s[*n - 1]))
        (*n)--;
    return s;
}

/* A port of 1..5 digits, at most 65535. */
static int parse_port(const char *s, size_t n, int *port)
{
    if (!n || n > 5)
        return -1;
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    if (v > 65535)
        return -1;
    *port = v;
    return 0;
}

/* An IPv6 address of n bytes, written back as inet_ntop writes it. */
static int canon_v6(const char *s, size_t n, char *out, size_t cap)
{
    char tmp[INET6_ADDRSTRLEN + 1];
    struct in6_addr a;
    if (!n || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (inet_pton(AF_INET6, tmp, &a) != 1 || !inet_ntop(AF_INET6, &a, out, (socklen_t)cap))
        return -1;
    return 0;
}

/* A registered name or an IPv4 address: letters, digits, '-', '.', '_'. */
static int copy_name(const char *s, size_t n, char name[HTTP_HOST_MAX])
{
    if (n && s[n - 1] == '.')
        n--; /* "example.com." is example.com */
    if (!n || n >= HTTP_HOST_MAX || s[n - 1] == '.')
        return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '-' && c != '.' && c != '_')
            return -1;
        name[i] = (char)tolower(c);
    }
    name[n] = '\0';
    return 0;
}

int http_authority_parse(const char *s, size_t len, char name[HTTP_HOST_MAX], int *port)
{
    size_t host_len = len;
    *port = -1;
    if (len && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close)
            return -1;
        size_t inner = (size_t)(close - s) - 1, rest = len - inner - 2;
        if (canon_v6(s + 1, inner, name, HTTP_HOST_MAX))
            return -1;
        if (!rest)
            return 0;
        if (close[1] != ':')
            return -1;
        return parse_port(close + 2, rest - 1, port);
    }
    const char *colon = memchr(s, ':', len);
    if (colon) {
        host_len = (size_t)(colon - s);
        if (parse_port(colon + 1, len - host_len - 1, port))
            return -1; /* a second ':' (a bare IPv6 address) lands here too */
    }
    return copy_name(s, host_len, name);
}

static int default_port(const char *scheme)
{
    return !strcmp(scheme, "https") ? 443 : 80;
}

/* "http://" or "https://" at s (any case): the scheme into out, the length
 * of the prefix returned; 0 for none. */
static size_t parse_scheme(const char *s, size_t n, char out[8])
{
    static const char *const schemes[] = {"https", "http"};
    for (size_t i = 0; i < 2; i++) {
        size_t k = strlen(schemes[i]);
        if (n >= k + 3 && !strncasecmp(s, schemes[i], k) && !strncmp(s + k, "://", 3)) {
            memcpy(out, schemes[i], k + 1);
            return k + 3;
        }
    }
    return 0;
}

int http_origin_parse(const char *s, struct http_origin *o)
{
    size_t n = strlen(s);
    size_t k = parse_scheme(s, n, o->scheme);
    if (!k || http_authority_parse(s + k, n - k, o->host, &o->port))
        return -1;
    if (o->port < 0)
        o->port = default_port(o->scheme);
    return 0;
}

/* One pattern of n bytes: "*", or [*.]authority with ":*" for any port.
 * A bare IPv6 address (two colons or more, no brackets) has no port. */
static int parse_pattern(const char *s, size_t n, struct http_host_pattern *p)
{
    char name[HTTP_HOST_MAX + 1], after_dot[HTTP_HOST_MAX];
    int any_port = 0;
    memset(p, 0, sizeof(*p));
    p->port = -1;
    if (n == 1 && s[0] == '*')
        return 0;
    if (n >= 2 && s[0] == '*' && s[1] == '.') {
        p->subdomain = 1;
        s++, n--; /* keeps the '.' */
    }
    if (n >= 2 && s[n - 2] == ':' && s[n - 1] == '*')
        any_port = 1, n -= 2;
    const char *c1 = memchr(s, ':', n);
    if (c1 && memchr(c1 + 1, ':', n - (size_t)(c1 - s) - 1) && s[0] != '[') {
        if (p->subdomain || canon_v6(s, n, name, sizeof(name)))
            return -1;
    } else if (p->subdomain) {
        /* ".suffix[:port]": the name after the dot must be one */
        int port;
        if (n < 2 || http_authority_parse(s + 1, n - 1, after_dot, &port))
            return -1;
        name[0] = '.';
        memcpy(name + 1, after_dot, strlen(after_dot) + 1);
        p->port = port;
    } else if (http_authority_parse(s, n, name, &p->port)) {
        return -1;
    }
    if (any_port && p->port >= 0)
        return -1;
    p->name = xstrdup(name);
    return 0;
}

/* Calls add for each comma-separated item of list, trimmed; empty items
 * are skipped. */
static int each_item(const char *list, struct http_patterns *p, const char *what,
                     int (*add)(struct http_patterns *p, const char *s, size_t n), struct ferr *err)
{
    const char *s = list;
    while (*s) {
        size_t n = strcspn(s, ",");
        size_t tn = n;
        const char *t = trim(s, &tn);
        if (tn && add(p, t, tn))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "invalid %s '%.*s'", what,
                            (int)(tn > 200 ? 200 : tn), t);
        s += n;
        if (*s == ',')
            s++;
    }
    return 0;
}

static int add_host(struct http_patterns *p, const char *s, size_t n)
{
    struct http_host_pattern hp;
    if (parse_pattern(s, n, &hp))
        return -1;
    if (!hp.name) {
        p->any = 1;
        return 0;
    }
    ALLOC_GROW(p->v, p->n + 1, p->alloc);
    p->v[p->n++] = hp;
    return 0;
}

int http_hosts_add(struct http_patterns *p, const char *list, struct ferr *err)
{
    return each_item(list, p, "allowed host", add_host, err);
}

static int name_matches(const struct http_host_pattern *hp, const char *name)
{
    if (!hp->subdomain)
        return !strcmp(hp->name, name);
    size_t n = strlen(name), k = strlen(hp->name);
    return n > k && !strcmp(name + n - k, hp->name);
}

int http_hosts_allow(const struct http_patterns *p, const char *host, int default_port_)
{
    char name[HTTP_HOST_MAX];
    int port;
    if (p->any)
        return 1;
    if (http_authority_parse(host, strlen(host), name, &port))
        return 0;
    if (port < 0)
        port = default_port_;
    for (size_t i = 0; i < p->n; i++)
        if (name_matches(&p->v[i], name) && (p->v[i].port < 0 || p->v[i].port == port))
            return 1;
    return 0;
}

static int add_origin(struct http_patterns *p, const char *s, size_t n)
{
    char scheme[8];
    struct http_host_pattern hp;
    if (n == 1 && s[0] == '*') {
        p->any = 1;
        return 0;
    }
    size_t k = parse_scheme(s, n, scheme);
    if (!k || (n - k == 1 && s[k] == '*') || parse_pattern(s + k, n - k, &hp))
        return -1;
    int any_port = s[n - 1] == '*' && n - k >= 2 && s[n - 2] == ':';
    if (hp.port < 0 && !any_port)
        hp.port = default_port(scheme);
    hp.scheme = xstrdup(scheme);
    ALLOC_GROW(p->v, p->n + 1, p->alloc);
    p->v[p->n++] = hp;
    return 0;
}

int http_origins_add(struct http_patterns *p, const char *list, struct ferr *err)
{
    return each_item(list, p, "allowed origin", add_origin, err);
}

int http_origins_allow(const struct http_patterns *p, const struct http_origin *o)
{
    if (p->any)
        return 1;
    for (size_t i = 0; i < p->n; i++) {
        const struct http_host_pattern *hp = &p->v[i];
        if (hp->scheme && !strcmp(hp->scheme, o->scheme) && name_matches(hp, o->host) &&
            (hp->port < 0 || hp->port == o->port))
            return 1;
    }
    return 0;
}

void http_patterns_release(struct http_patterns *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++) {
        free(p->v[i].name);
        free(p->v[i].scheme);
    }
    free(p->v);
    *p = (struct http_patterns)HTTP_PATTERNS_INIT;
}

/* An address of n bytes (v4 or v6) into family and 16 bytes; an IPv4
 * address mapped into IPv6 is its IPv4 one. */
static int parse_addr(const char *s, size_t n, int *family, unsigned char out[16])
{
    char tmp[INET6_ADDRSTRLEN + 1];
    if (!n || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    memset(out, 0, 16);
    if (inet_pton(AF_INET, tmp, out) == 1) {
        *family = AF_INET;
        return 0;
    }
    if (inet_pton(AF_INET6, tmp, out) != 1)
        return -1;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (!memcmp(out, mapped, 12)) {
        memmove(out, out + 12, 4);
        memset(out + 4, 0, 12);
        *family = AF_INET;
        return 0;
    }
    *family = AF_INET6;
    return 0;
}

static int prefix_equal(const unsigned char *a, const unsigned char *b, unsigned bits)
{
    size_t whole = bits / 8;
    if (memcmp(a, b, whole))
        return 0;
    unsigned rest = bits % 8;
    if (!rest)
        return 1;
    unsigned char mask = (unsigned char)(0xffu << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

static int add_cidr(struct http_cidrs *c, const char *s, size_t n)
{
    struct http_cidr r;
    const char *slash = memchr(s, '/', n);
    size_t an = slash ? (size_t)(slash - s) : n;
    if (parse_addr(s, an, &r.family, r.addr))
        return -1;
    unsigned max = r.family == AF_INET ? 32 : 128;
    r.bits = max;
    if (slash) {
        int bits;
        /* parse_port reads 1..5 digits; a prefix is at most 128 */
        if (parse_port(slash + 1, n - an - 1, &bits) || (unsigned)bits > max)
            return -1;
        r.bits = (unsigned)bits;
    }
    for (unsigned b = r.bits; b < max; b++)
        r.addr[b / 8] &= (unsigned char)~(0x80u >> (b % 8));
    ALLOC_GROW(c->v, c->n + 1, c->alloc);
    c->v[c->n++] = r;
    return 0;
}

int http_cidrs_add(struct http_cidrs *c, const char *list, struct ferr *err)
{
    const char *s = list;
    while (*s) {
        size_t n = strcspn(s, ",");
        size_t tn = n;
        const char *t = trim(s, &tn);
        if (tn && add_cidr(c, t, tn))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid trusted proxy '%.*s': expected an address or a network "
                            "such as 10.0.0.0/8 or fd00::/8",
                            (int)(tn > 200 ? 200 : tn), t);
        s += n;
        if (*s == ',')
            s++;
    }
    return 0;
}

int http_cidrs_match(const struct http_cidrs *c, const char *addr)
{
    int family;
    unsigned char a[16];
    if (!c || !c->n || parse_addr(addr, strlen(addr), &family, a))
        return 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].family == family && prefix_equal(c->v[i].addr, a, c->v[i].bits))
            return 1;
    return 0;
}

void http_cidrs_release(struct http_cidrs *c)
{
    if (!c)
        return;
    free(c->v);
    *c = (struct http_cidrs)HTTP_CIDRS_INIT;
}

int http_forwarded_addr(const char *s, size_t len, char *buf, size_t cap)
{
    s = trim(s, &len);
    if (len >= 2 && s[0] == '"' && s[len - 1] == '"')
        s++, len -= 2;
    const char *a = s;
    size_t an = len;
    if (len && s[0] == '[') {
        const char *close = memchr(s, ']', len);
        if (!close)
            return -1;
        a = s + 1;
        an = (size_t)(close - s) - 1;
        size_t rest = len - an - 2;
        int port;
        if (rest && (close[1] != ':' || parse_port(close + 2, rest - 1, &port)))
            return -1;
    } else {
        const char *colon = memchr(s, ':', len);
        int port;
        if (colon && !memchr(colon + 1, ':', len - (size_t)(colon - s) - 1)) {
            an = (size_t)(colon - s); /* "192.0.2.1:4711" */
            if (parse_port(colon + 1, len - an - 1, &port))
                return -1;
        }
    }
    int family;
    unsigned char bin[16];
    if (parse_addr(a, an, &family, bin) || !inet_ntop(family, bin, buf, (socklen_t)cap))
        return -1;
    return 0;
}

/* The value of parameter name ("for", "host", "proto") in one Forwarded
 * element of n bytes, quotes and all; -1 when absent. */
static int forwarded_pair(const char *e, size_t n, const char *name, const char **v, size_t *vn)
{
    size_t k = strlen(name);
    while (n) {
        const char *semi = memchr(e, ';', n);
        size_t pn = semi ? (size_t)(semi - e) : n;
        size_t tn = pn;
        const char *t = trim(e, &tn);
        if (tn > k && !strncasecmp(t, name, k) && t[k] == '=') {
            *v = t + k + 1;
            *vn = tn - k - 1;
            return 0;
        }
        if (!semi)
            break;
        e += pn + 1;
        n -= pn + 1;
    }
    return -1;
}

/* The last comma-separated element of h: its start and length. */
static const char *last_element(const char *h, size_t *n)
{
    size_t end = strlen(h), start = end;
    while (start && h[start - 1] != ',')
        start--;
    *n = end - start;
    return h + start;
}

#define MAX_HOPS 64

void http_forwarded_client(const struct http_cidrs *trusted, const char *peer, const char *xff,
                           const char *fwd, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s", peer);
    int is_fwd = !(xff && *xff);
    const char *h = is_fwd ? fwd : xff;
    if (!h)
        return;
    size_t end = strlen(h);
    for (int hop = 0; hop < MAX_HOPS; hop++) {
        size_t start = end;
        while (start && h[start - 1] != ',')
            start--;
        const char *v = h + start;
        size_t vn = end - start;
        char a[INET6_ADDRSTRLEN];
        if (is_fwd && forwarded_pair(h + start, end - start, "for", &v, &vn))
            return;
        if (http_forwarded_addr(v, vn, a, sizeof(a)))
            return;
        snprintf(buf, cap, "%s", a);
        if (!http_cidrs_match(trusted, a) || !start)
            return;
        end = start - 1;
    }
}

static int copy_out(const char *s, size_t n, char *buf, size_t cap)
{
    s = trim(s, &n);
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
        s++, n -= 2;
    if (!n || n >= cap)
        return -1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return 0;
}

int http_forwarded_param(const char *fwd, const char *name, char *buf, size_t cap)
{
    size_t n, vn;
    const char *e = last_element(fwd, &n), *v;
    if (forwarded_pair(e, n, name, &v, &vn))
        return -1;
    return copy_out(v, vn, buf, cap);
}

int http_forwarded_last(const char *value, char *buf, size_t cap)
{
    size_t n;
    const char *e = last_element(value, &n);
    return copy_out(e, n, buf, cap);
}

int http_simple_content_type(const char *ctype)
{
    static const char *const simple[] = {"text/plain", "application/x-www-form-urlencoded",
                                         "multipart/form-data"};
    size_t n = strcspn(ctype, ";");
    const char *t = trim(ctype, &n);
    for (size_t i = 0; i < sizeof(simple) / sizeof(*simple); i++)
        if (strlen(simple[i]) == n && !strncasecmp(t, simple[i], n))
            return 1;
    return 0;
}
