/* SPDX-License-Identifier: MIT */
#include "client/transport.h"
#include "client/client_int.h"
#include "http/client.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <stdlib.h>

#include "base/banned.h"

/* In-process: the row's function on the client's store, on the caller's
 * thread (no group commit: one program writing its own runs has no
 * concurrent writes to group). */
static int call_embedded(struct client *c, const struct api_op *op, void *req, void *resp,
                         struct ferr *err)
{
    struct api_env env = {c->store, NULL, 0, NULL, NULL, 0, 0};
    void *scratch = !resp && op->resp ? xcalloc(1, op->resp->size) : NULL;
    int rc = api_exec(&env, op, req, resp ? resp : scratch, err);
    if (scratch) {
        if (!rc)
            api_release_response(op, scratch);
        free(scratch);
    }
    return rc;
}

/* Over the network: MLflow's REST API through libcurl. */
static int call_rest(struct client *c, const struct api_op *op, void *req, void *resp,
                     struct ferr *err)
{
    json_t *in = api_encode_request(op, req), *out = NULL;
    struct sbuf path = SBUF_INIT;
    if (!in)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "the request holds a string that is not valid UTF-8");
    api_request_path(op, req, &path);
    int rc = http_client_call(c->http, op->root, op->call, path.buf, in,
                              op->flags & OP_IDEMPOTENT ? HTTP_IDEMPOTENT : HTTP_ONCE,
                              resp ? &out : NULL, err);
    if (!rc && resp)
        rc = api_decode_response(op, out, resp, err);
    json_decref(in);
    json_decref(out);
    sbuf_release(&path);
    return rc;
}

int client_call(struct client *c, const struct api_op *op, void *req, void *resp, struct ferr *err)
{
    return c->http ? call_rest(c, op, req, resp, err) : call_embedded(c, op, req, resp, err);
}
