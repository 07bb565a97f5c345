/* SPDX-License-Identifier: MIT */
#include "server/api.h"
#include "server/http.h"
#include "server/server_int.h"
#include "api/codec.h"
#include "http/request.h"
#include "base/xalloc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* Query arguments become JSON fields; a repeated key becomes an array. A
 * value that is not UTF-8 or holds a NUL byte (%00) refuses the request:
 * dropping or cutting it would silently answer a different question. */
struct query_args {
    json_t *obj;
    struct ferr *err;
};

static int add_query_arg(void *arg, const char *key, size_t key_size, const char *value,
                         size_t value_size)
{
    struct query_args *qa = arg;
    if (strlen(key) != key_size || strlen(value) != value_size)
        return ferr_set(qa->err, FERR_INVALID_PARAMETER_VALUE,
                        "query parameter '%.100s' holds a NUL byte", key);
    json_t *old = json_object_get(qa->obj, key);
    json_t *v = json_string(value);
    if (!v)
        return ferr_set(qa->err, FERR_INVALID_PARAMETER_VALUE,
                        "query parameter '%.100s' is not valid UTF-8", key);
    if (!old) {
        json_object_set_new(qa->obj, key, v);
    } else if (json_is_array(old)) {
        json_array_append_new(old, v);
    } else {
        json_t *a = json_array();
        json_array_append(a, old);
        json_array_append_new(a, v);
        json_object_set_new(qa->obj, key, a);
    }
    return 0;
}

/* The request's fields: the JSON body if there is one, else the query string. */
static json_t *decode_request(struct http_request *rq, struct ferr *err)
{
    size_t len;
    const char *body = http_body(rq, &len);
    if (len) {
        json_error_t je;
        json_t *j = json_loadb(body, len, 0, &je);
        if (!j && json_error_code(&je) == json_error_numeric_overflow) {
            /* Well-formed JSON, a number out of int64's range: a bad value. */
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                     "a number in the request is out of range: %s", je.text);
            return NULL;
        }
        if (!j) {
            ferr_set(err, FERR_BAD_REQUEST,
                     "malformed JSON in the request body: %s (line %d, column %d)", je.text,
                     je.line, je.column);
            return NULL;
        }
        if (!json_is_object(j)) {
            json_decref(j);
            ferr_set(err, FERR_BAD_REQUEST, "the request body must be a JSON object");
            return NULL;
        }
        codec_normalize_request(j);
        return j;
    }
    struct query_args qa = {json_object(), err};
    if (http_query_each(rq, add_query_arg, &qa)) {
        json_decref(qa.obj);
        return NULL;
    }
    return qa.obj;
}

static int h_api(struct http_request *rq, struct ferr *err)
{
    const struct route *route = http_route_of(rq)->arg;
    struct server_ctx *ctx = http_ctx(rq);
    json_t *in = decode_request(rq, err);
    if (!in) {
        /* malformed requests are 400 whatever their code */
        return http_respond_error(rq, 400, err);
    }
    struct sbuf out = SBUF_INIT;
    struct req r = {.store = ctx->store,
                    .artifacts = ctx->artifacts,
                    .user = http_user(rq),
                    .method = http_method_str(rq),
                    .in = in,
                    .out = &out,
                    .content_type = "application/json",
                    .status = 200,
                    .err = FERR_INIT};
    int rc = route->fn(&r);
    json_decref(in);
    if (rc) {
        sbuf_release(&out);
        *err = r.err;
        return -1;
    }
    return http_respond(rq, r.status, r.content_type, &out);
}

static unsigned methods_of(unsigned m)
{
    return (m & ROUTE_GET ? HTTP_GET : 0) | (m & ROUTE_POST ? HTTP_POST : 0) |
           (m & ROUTE_PATCH ? HTTP_PATCH : 0) | (m & ROUTE_DELETE ? HTTP_DELETE : 0);
}

/* Route paths live in static storage for the server's life: one string per
 * route and prefix, made once. */
static const char *path_for(const char *prefix, const char *path)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_addf(&sb, "%s%s", prefix, path);
    return sbuf_detach(&sb, NULL);
}

struct http_route *api_routes(size_t *n)
{
    size_t nr;
    const struct route *rt = router_routes(&nr);
    struct http_route *out = xcalloc(2 * nr + 1, sizeof(*out));
    *n = 0;
    for (size_t i = 0; i < nr; i++) {
        struct http_route r = {
            methods_of(rt[i].methods), NULL, h_api, rt[i].max_body, NULL, &rt[i]};
        if (!strncmp(rt[i].path, "ferry/", 6)) {
            r.path = path_for("/api/2.0/", rt[i].path);
            out[(*n)++] = r;
            continue;
        }
        r.path = path_for("/api/2.0/mlflow/", rt[i].path);
        out[(*n)++] = r;
        r.path = path_for("/ajax-api/2.0/mlflow/", rt[i].path);
        out[(*n)++] = r;
    }
    return out;
}
