/* SPDX-License-Identifier: MIT */
#include "http/route.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const struct {
    const char *name;
    unsigned bit;
} methods[] = {
    {"GET", HTTP_GET},     {"HEAD", HTTP_HEAD},     {"POST", HTTP_POST},       {"PUT", HTTP_PUT},
    {"PATCH", HTTP_PATCH}, {"DELETE", HTTP_DELETE}, {"OPTIONS", HTTP_OPTIONS},
};

unsigned http_method_from_name(const char *name)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(*methods); i++)
        if (!strcmp(methods[i].name, name))
            return methods[i].bit;
    return 0;
}

const char *http_method_name(unsigned method)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(*methods); i++)
        if (methods[i].bit == method)
            return methods[i].name;
    return "?";
}

const struct http_body_ops http_body_drop = {NULL, NULL, NULL};

struct http_router {
    const struct http_route *routes;
    size_t n;
    size_t *literal; /* indices of literal routes, sorted by path, then index */
    size_t nliteral;
    size_t *templ; /* indices of template routes, in table order */
    size_t ntempl;
};

int http_path_match(const char *tmpl, const char *path, struct http_param *params, size_t *nparams)
{
    *nparams = 0;
    while (*tmpl) {
        if (*tmpl != '{') {
            if (*tmpl++ != *path++)
                return 0;
            continue;
        }
        const char *close = strchr(tmpl, '}');
        size_t nlen = (size_t)(close - tmpl - 1);
        int rest = nlen > 3 && !strncmp(close - 3, "...", 3);
        struct http_param *p = &params[(*nparams)++];
        p->name = tmpl + 1;
        p->name_len = rest ? nlen - 3 : nlen;
        p->value = path;
        p->len = rest ? strlen(path) : strcspn(path, "/");
        if (!rest && !p->len)
            return 0; /* a one-segment parameter is never empty */
        path += p->len;
        tmpl = close + 1;
    }
    return !*path;
}

/* A template is well formed when every '{' opens a whole segment, closes
 * before the next '/', and only the last one ends in "...". */
static int check_template(const char *t, struct ferr *err)
{
    size_t n = 0;
    if (*t != '/')
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "route '%s' does not start with '/'", t);
    for (const char *p = t; (p = strchr(p, '{')); p++) {
        const char *close = strchr(p, '}');
        const char *slash = strchr(p, '/');
        int rest = close && close - p > 4 && !strncmp(close - 3, "...", 3);
        if (p[-1] != '/' || !close || (slash && slash < close) || close == p + 1 ||
            (close[1] && close[1] != '/') || (rest && close[1]) || ++n > HTTP_MAX_PARAMS)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "malformed route template '%s'", t);
    }
    return 0;
}

/* qsort's comparison may not take a context; the router's own table is
 * reached through the index pairs instead of a static pointer. */
struct keyed {
    const char *path;
    size_t index;
};

static int by_path(const void *a, const void *b)
{
    const struct keyed *x = a, *y = b;
    int c = strcmp(x->path, y->path);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

int http_router_new(const struct http_route *routes, size_t n, struct http_router **out,
                    struct ferr *err)
{
    struct http_router *r = xcalloc(1, sizeof(*r));
    struct keyed *keys = xcalloc(n + 1, sizeof(*keys));
    r->routes = routes;
    r->n = n;
    r->literal = xcalloc(n + 1, sizeof(*r->literal));
    r->templ = xcalloc(n + 1, sizeof(*r->templ));
    for (size_t i = 0; i < n; i++) {
        if (check_template(routes[i].path, err)) {
            free(keys);
            http_router_free(r);
            return -1;
        }
        if (strchr(routes[i].path, '{'))
            r->templ[r->ntempl++] = i;
        else
            keys[r->nliteral++] = (struct keyed){routes[i].path, i};
    }
    qsort(keys, r->nliteral, sizeof(*keys), by_path);
    for (size_t i = 0; i < r->nliteral; i++)
        r->literal[i] = keys[i].index;
    free(keys);
    *out = r;
    return 0;
}

void http_router_free(struct http_router *r)
{
    if (!r)
        return;
    free(r->literal);
    free(r->templ);
    free(r);
}

/* The first literal route whose path is path, or n when none. */
static size_t first_literal(const struct http_router *r, const char *path)
{
    size_t lo = 0, hi = r->nliteral;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (strcmp(r->routes[r->literal[mid]].path, path) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The methods a route must have to answer method: HEAD is answered
 * wherever GET is, with GET's headers (route.h). */
static unsigned head_or(unsigned method)
{
    return method == HTTP_HEAD ? (HTTP_HEAD | HTTP_GET) : method;
}

const struct http_route *http_router_find(const struct http_router *r, unsigned method,
                                          const char *path, struct http_param *params,
                                          size_t *nparams, int *path_known)
{
    *path_known = 0;
    *nparams = 0;
    for (size_t i = first_literal(r, path);
         i < r->nliteral && !strcmp(r->routes[r->literal[i]].path, path); i++) {
        const struct http_route *rt = &r->routes[r->literal[i]];
        *path_known = 1;
        if (rt->methods & head_or(method))
            return rt;
    }
    for (size_t i = 0; i < r->ntempl; i++) {
        const struct http_route *rt = &r->routes[r->templ[i]];
        if (!http_path_match(rt->path, path, params, nparams))
            continue;
        *path_known = 1;
        if (rt->methods & head_or(method))
            return rt;
    }
    *nparams = 0;
    return NULL;
}

const struct http_route *http_router_routes(const struct http_router *r, size_t *n)
{
    *n = r->n;
    return r->routes;
}
