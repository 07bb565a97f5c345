/* SPDX-License-Identifier: MIT */
#include "client/transport.h"
#include "client/client_int.h"
#include "http/client.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "store/leases.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/banned.h"

/* In-process: the row's function on the client's store, on the caller's
 * thread (no group commit: one program writing its own runs has no
 * concurrent writes to group). */
static int call_embedded(struct client *c, const struct api_op *op, void *req, void *resp,
                         struct ferr *err)
{
    struct api_env env = {c->store, NULL, 0, NULL, NULL, 0, 0, NULL, NULL};
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
    /* The thread's lease fence travels with the request, so the server
     * fences its writes as the embedded store would (server/api.c). */
    const struct lease_fence *f = store_fence_current();
    struct sbuf fence[3] = {SBUF_INIT, SBUF_INIT, SBUF_INIT};
    const char *headers[4] = {NULL, NULL, NULL, NULL};
    if (f) {
        sbuf_addf(&fence[0], "X-Ferry-Lease-Name: %s", f->name);
        sbuf_addf(&fence[1], "X-Ferry-Lease-Holder: %s", f->holder);
        sbuf_addf(&fence[2], "X-Ferry-Lease-Epoch: %" PRId64, f->epoch);
        for (size_t i = 0; i < 3; i++)
            headers[i] = fence[i].buf;
    }
    int rc = http_client_call_headers(c->http, op->root, op->call, path.buf, f ? headers : NULL, in,
                                      op->flags & OP_IDEMPOTENT ? HTTP_IDEMPOTENT : HTTP_ONCE,
                                      resp ? &out : NULL, err);
    for (size_t i = 0; i < 3; i++)
        sbuf_release(&fence[i]);
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
