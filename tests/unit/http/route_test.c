/* SPDX-License-Identifier: MIT
 * http/route: templates, the router's index, methods. */
#include "../test.h"
#include "http/route.h"
#include "http/status.h"

static int h_dummy(struct http_request *rq, struct ferr *err)
{
    (void)rq;
    (void)err;
    return 0;
}

static const char *param(const struct http_param *p, size_t n, const char *name, char *buf,
                         size_t cap)
{
    for (size_t i = 0; i < n; i++)
        if (p[i].name_len == strlen(name) && !strncmp(p[i].name, name, p[i].name_len)) {
            snprintf(buf, cap, "%.*s", (int)p[i].len, p[i].value);
            return buf;
        }
    return NULL;
}

TEST(route_templates_match_segments_and_rests)
{
    struct http_param p[HTTP_MAX_PARAMS];
    size_t n;
    char buf[256];
    ASSERT(http_path_match("/a/b", "/a/b", p, &n) && n == 0);
    ASSERT(!http_path_match("/a/b", "/a/bc", p, &n));
    ASSERT(!http_path_match("/a/b", "/a", p, &n));
    ASSERT(http_path_match("/traces/{id}/tags", "/traces/tr-1/tags", p, &n));
    ASSERT_STR_EQ(param(p, n, "id", buf, sizeof(buf)), "tr-1");
    ASSERT(!http_path_match("/traces/{id}/tags", "/traces//tags", p, &n)); /* never empty */
    ASSERT(!http_path_match("/traces/{id}/tags", "/traces/a/b/tags", p, &n));
    ASSERT(http_path_match("/f/{path...}", "/f/a/b/c.txt", p, &n));
    ASSERT_STR_EQ(param(p, n, "path", buf, sizeof(buf)), "a/b/c.txt");
    ASSERT(http_path_match("/f/{path...}", "/f/", p, &n)); /* a rest may be empty */
    ASSERT_STR_EQ(param(p, n, "path", buf, sizeof(buf)), "");
    ASSERT(!http_path_match("/f/{path...}", "/f", p, &n));
    ASSERT(http_path_match("/m/{a}/x/{b}", "/m/1/x/2", p, &n) && n == 2);
    ASSERT_STR_EQ(param(p, n, "b", buf, sizeof(buf)), "2");
}

TEST(router_finds_literals_first_and_tells_405_from_404)
{
    static const struct http_route routes[] = {
        {HTTP_GET, "/v2/models/{name}", h_dummy, 0, NULL, "meta", 0},
        {HTTP_POST, "/v2/models/{name}/infer", h_dummy, 0, NULL, "infer", 0},
        {HTTP_GET, "/v2/models/special", h_dummy, 0, NULL, "literal", 0},
        {HTTP_GET | HTTP_POST, "/api/runs/get", h_dummy, 0, NULL, "get", 0},
        {HTTP_DELETE, "/api/alias", h_dummy, 0, NULL, "alias-delete", 0},
        {HTTP_POST, "/api/alias", h_dummy, 0, NULL, "alias-set", 0},
        {HTTP_GET, "/api/alias", h_dummy, 0, NULL, "alias-get", 0},
    };
    struct http_router *r;
    struct ferr err = FERR_INIT;
    struct http_param p[HTTP_MAX_PARAMS];
    size_t n;
    int known;
    ASSERT_OK(http_router_new(routes, sizeof(routes) / sizeof(*routes), &r, &err), &err);
    const struct http_route *rt =
        http_router_find(r, HTTP_GET, "/v2/models/special", p, &n, &known);
    ASSERT(rt && !strcmp(rt->arg, "literal"));
    rt = http_router_find(r, HTTP_GET, "/v2/models/m1", p, &n, &known);
    ASSERT(rt && !strcmp(rt->arg, "meta") && n == 1);
    rt = http_router_find(r, HTTP_POST, "/v2/models/m1/infer", p, &n, &known);
    ASSERT(rt && !strcmp(rt->arg, "infer"));
    for (unsigned m = HTTP_GET; m <= HTTP_DELETE; m <<= 1) {
        rt = http_router_find(r, m, "/api/alias", p, &n, &known);
        if (m == HTTP_GET || m == HTTP_HEAD || m == HTTP_POST || m == HTTP_DELETE)
            /* HEAD wherever GET (route.h) */
            ASSERT(rt && !strcmp(rt->arg, m == HTTP_GET || m == HTTP_HEAD ? "alias-get"
                                          : m == HTTP_POST                ? "alias-set"
                                                                          : "alias-delete"));
        else
            ASSERT(!rt && known);
    }
    ASSERT(!http_router_find(r, HTTP_PUT, "/api/runs/get", p, &n, &known) && known);
    ASSERT(!http_router_find(r, HTTP_GET, "/api/runs/gett", p, &n, &known) && !known);
    ASSERT(!http_router_find(r, HTTP_GET, "/", p, &n, &known) && !known);
    size_t nall;
    ASSERT(http_router_routes(r, &nall) == routes && nall == 7);
    http_router_free(r);
}

TEST(router_refuses_malformed_templates)
{
    static const char *const bad[] = {
        "no-slash", "/a/{x",       "/a/{}/b",  "/a/x{y}",
        "/a/{y}x",  "/a/{r...}/b", "/a/{b/c}", "/{a}/{b}/{c}/{d}/{e}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        struct http_route rt = {HTTP_GET, bad[i], h_dummy, 0, NULL, NULL, 0};
        struct http_router *r = NULL;
        struct ferr err = FERR_INIT;
        if (http_router_new(&rt, 1, &r, &err) == 0)
            FAIL_AT("template '%s' was accepted", bad[i]);
        ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
    }
}

TEST(methods_and_the_one_status_map)
{
    ASSERT_INT_EQ(http_method_from_name("PATCH"), HTTP_PATCH);
    ASSERT_INT_EQ(http_method_from_name("BREW"), 0);
    ASSERT_STR_EQ(http_method_name(HTTP_DELETE), "DELETE");
    ASSERT_INT_EQ(http_status_for(FERR_RESOURCE_DOES_NOT_EXIST), 404);
    ASSERT_INT_EQ(http_status_for(FERR_ENDPOINT_NOT_FOUND), 404);
    ASSERT_INT_EQ(http_status_for(FERR_INVALID_PARAMETER_VALUE), 400);
    ASSERT_INT_EQ(http_status_for(FERR_NOT_IMPLEMENTED), 501);
    ASSERT_INT_EQ(http_status_for(FERR_TEMPORARILY_UNAVAILABLE), 503);
    ASSERT_INT_EQ(http_status_for(FERR_IO_ERROR), 500);
    ASSERT_INT_EQ(http_status_for(FERR_PERMISSION_DENIED), 403);
}
