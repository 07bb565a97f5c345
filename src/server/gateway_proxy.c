/* SPDX-License-Identifier: MIT */
#include "server/gateway_proxy.h"
#include "server/server_int.h"
#include "http/client.h"
#include "http/request.h"
#include "base/json.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

int gateway_proxy_answer(struct http_request *rq, struct ferr *err)
{
    struct server_ctx *ctx = http_ctx(rq);
    json_t *args = NULL, *out = NULL;
    const char *path = NULL;
    json_t *data = NULL;
    if (!ctx->deployments_target || !*ctx->deployments_target)
        return http_respond_static(rq, 200, "application/json", "{\"endpoints\": []}", 17);
    if (http_method(rq) == HTTP_GET) {
        path = http_query(rq, "gateway_path", NULL);
        /* a GET's json_data would be a body MLflow's requests.get sends;
         * gateways' GET routes read none, so none is sent */
    } else {
        size_t n;
        const char *body = http_body(rq, &n);
        args = body && n ? fjson_loadb_capped(body, n, fjson_cap(n, 4), NULL) : NULL;
        path = json_string_value(json_object_get(args, "gateway_path"));
        data = json_incref(json_object_get(args, "json_data"));
    }
    int rc = -1;
    struct http_client *gw = NULL;
    if (!path || !*path) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "Deployments proxy request must specify a gateway_path.");
    } else if (http_client_open_anonymous(ctx->deployments_target, &gw, err) == 0) {
        struct ferr why = FERR_INIT;
        if (http_client_call(gw, "", http_method(rq), path, data, HTTP_ONCE, &out, &why) == 0) {
            char *text = json_dumps(out, JSON_COMPACT);
            struct sbuf sb = SBUF_INIT;
            sbuf_addstr(&sb, text ? text : "{}");
            free(text);
            rc = http_respond(rq, 200, "application/json", &sb);
            sbuf_release(&sb);
        } else {
            ferr_set(err, FERR_INTERNAL_ERROR,
                     "Deployments proxy request failed. Error message: %.700s", why.msg);
        }
    }
    http_client_close(gw);
    json_decref(out);
    json_decref(data);
    json_decref(args);
    return rc;
}
