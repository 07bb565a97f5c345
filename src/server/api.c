/* SPDX-License-Identifier: MIT */
#include "server/api.h"
#include "server/deploy_files.h"
#include "server/server_int.h"
#include "api/codec.h"
#include "http/request.h"
#include "base/json.h"
#include "base/xalloc.h"
#include "store/leases.h"

#include <errno.h>

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
static json_t *decode_request(struct http_request *rq, const struct api_op *op, struct ferr *err)
{
    size_t len;
    const char *body = http_body(rq, &len);
    if (len) {
        json_error_t je;
        /* 4 bytes a byte: the API's large bodies are strings (params,
         * tags, a dataset's profile), which cost about 1; small ones fit
         * FJSON_CAP_BASE whatever their shape. A row says when its body
         * costs more (op.h). */
        json_t *j =
            fjson_loadb_capped(body, len, fjson_cap(len, op->body_cost ? op->body_cost : 4), &je);
        if (!j && fjson_load_over_budget(&je)) {
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "the request body is refused: %s", je.text);
            return NULL;
        }
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

/* Path parameters ("/traces/{request_id}/tags") are fields of the request
 * like any other. */
static int add_path_params(struct http_request *rq, const struct api_op *op, json_t *in,
                           struct ferr *err)
{
    for (size_t i = 0; i < op->req->nfields; i++) {
        const struct api_field *f = &op->req->fields[i];
        const char *v = (f->flags & AF_IN_PATH) ? http_param(rq, f->name) : NULL;
        json_t *s = v ? json_string(v) : NULL;
        if (v && !s)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "the path parameter '%s' is not valid UTF-8", f->name);
        if (s)
            json_object_set_new(in, f->name, s);
    }
    return 0;
}

/* A search answer trimmed to what the caller may read holds fewer than it
 * asked for: the following pages are read (each asked for what is still
 * missing, so the last one's token goes on exactly where it stopped), as
 * MLflow's auth app does. Bounded; a page that fails ends the filling, and
 * the answer stands as it is. */
#define FILL_MAX_PAGES 32

static void fill_page(struct server_ctx *ctx, const struct api_env *env,
                      const struct principal *who, const struct api_op *op, void *req, void *resp)
{
    int64_t want = 0;
    size_t have;
    const char *next;
    if (api_page_request(op, req, NULL, &want) || want <= 0)
        return;
    for (int i = 0;
         i < FILL_MAX_PAGES && (next = api_page_next(op, resp, &have)) && (int64_t)have < want;
         i++) {
        struct ferr err = FERR_INIT;
        char *token = xstrdup(next);
        int64_t missing = want - (int64_t)have;
        void *more = xcalloc(1, op->resp->size);
        int rc = api_page_request(op, req, token, &missing) ||
                 exec_row(ctx->exec, env, op, req, more, &err);
        api_page_request(op, req, NULL, &want); /* token is freed below */
        if (!rc) {
            guard_filter_answer(ctx->guard, who, op, more);
            api_page_append(op, resp, more);
        }
        free(more);
        free(token);
        if (rc)
            break;
    }
}

/* X-Ferry-Lease-Name, -Holder and -Epoch: the request's writes are fenced
 * by that lease (store/leases.h): refused, nothing written, unless holder
 * still holds name at epoch. 0: no fence asked; 1: set for this thread
 * (clear it after the row); -1: err set. */
static int request_fence(struct http_request *rq, const struct server_ctx *ctx, struct ferr *err)
{
    const char *name = http_header(rq, "X-Ferry-Lease-Name");
    const char *holder = http_header(rq, "X-Ferry-Lease-Holder");
    const char *epoch = http_header(rq, "X-Ferry-Lease-Epoch");
    if (!name && !holder && !epoch)
        return 0;
    if (!name || !holder || !epoch)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a fenced request gives all of X-Ferry-Lease-Name, X-Ferry-Lease-Holder "
                        "and X-Ferry-Lease-Epoch");
    if (exec_is_upstream(ctx->exec))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "fenced writes need this server's own store; this one forwards to %s",
                        exec_name(ctx->exec));
    char *end;
    errno = 0;
    long long e = strtoll(epoch, &end, 10);
    if (errno || end == epoch || *end)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "X-Ferry-Lease-Epoch must be a whole number, not '%.40s'", epoch);
    struct lease_fence f = {name, holder, e};
    return store_fence_set(&f, err) ? -1 : 1;
}

/* Every row of the API: decode the request into the row's struct, do it,
 * encode the answer. */
static int h_api(struct http_request *rq, struct ferr *err)
{
    const struct api_op *op = http_route_of(rq)->arg;
    struct server_ctx *ctx = http_ctx(rq);
    const struct principal *who = guard_principal(rq);
    struct api_env env = {NULL, /* exec_row: the store */
                          ctx->artifacts,
                          1,
                          http_user(rq),
                          ctx->roots,
                          who != NULL,
                          who && who->is_admin && (!who->by_token || who->scopes.admin),
                          server_deploy_check,
                          ctx};
    /* Without authentication there is no one to give rights to: MLflow
     * too serves these only with its basic-auth app. */
    if ((op->flags & OP_AUTH) && !ctx->guard)
        return ferr_set(err, FERR_ENDPOINT_NOT_FOUND,
                        "users, permissions and tokens are served only by a server with "
                        "authentication on (ferry server --auth); on the database file, use "
                        "`ferry users` and `ferry tokens`");
    if (request_fence(rq, ctx, err) < 0)
        return http_respond_error(rq, 400, err);
    json_t *in = decode_request(rq, op, err);
    if (!in || add_path_params(rq, op, in, err)) {
        store_fence_clear();
        json_decref(in);
        return http_respond_error(rq, 400, err); /* malformed: 400 whatever the code */
    }
    void *req = xcalloc(1, op->req->size);
    void *resp = op->resp ? xcalloc(1, op->resp->size) : NULL;
    int rc = api_decode_request(op, in, req, err);
    if (rc)
        store_fence_clear();
    if (!rc) {
        rc = guard_check_row(ctx->guard, who, op, req, err);
        if (!rc)
            rc = exec_row(ctx->exec, &env, op, req, resp, err);
        store_fence_clear(); /* the row's own writes only */
        if (!rc) {
            guard_after_row(ctx->guard, who, op, req, resp);
            if (guard_filter_answer(ctx->guard, who, op, resp))
                fill_page(ctx, &env, who, op, req, resp);
        }
        api_release_request(op, req);
    }
    if (!rc) {
        struct sbuf out = SBUF_INIT;
        api_encode_response(op, resp, &out);
        api_release_response(op, resp);
        rc = http_respond(rq, 200, "application/json", &out);
    }
    free(req);
    free(resp);
    json_decref(in);
    return rc;
}

/* A route path in static storage for the server's life. */
static const char *path_for(const char *prefix, const char *root, const char *path)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_addf(&sb, "%s%s/%s", prefix, root, path);
    return sbuf_detach(&sb, NULL);
}

static void add_route(struct http_route **v, size_t *n, size_t *alloc, const struct api_op *op,
                      const char *path)
{
    ALLOC_GROW(*v, *n + 1, *alloc);
    /* a row without its own handler takes a JSON body */
    unsigned flags = op->stream ? 0 : HTTP_ROUTE_JSON_BODY;
    (*v)[(*n)++] = (struct http_route){
        op->methods, path, op->stream ? op->stream : h_api, op->max_body, op->body, op, flags};
}

struct http_route *api_routes(const struct api_area *const *areas, size_t *n)
{
    struct http_route *v = NULL;
    size_t alloc = 0;
    *n = 0;
    for (const struct api_area *const *a = areas; *a; a++) {
        for (size_t i = 0; i < (*a)->n; i++) {
            const struct api_op *op = (*a)->ops[i];
            add_route(&v, n, &alloc, op, path_for("", op->root, op->path));
            /* "/api/2.0/mlflow" -> "/ajax-api/2.0/mlflow" */
            if ((op->flags & OP_AJAX) && !strncmp(op->root, "/api/", 5))
                add_route(&v, n, &alloc, op, path_for("/ajax-api", op->root + 4, op->path));
        }
    }
    return v;
}

void api_routes_free(struct http_route *routes, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free((char *)routes[i].path);
    free(routes);
}
