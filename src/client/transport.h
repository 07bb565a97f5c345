/* SPDX-License-Identifier: MIT
 * One operation (a row of api/op.h) over the client's transport: the
 * row's function on the client's own store (embedded), or the row's
 * request sent to a server and its answer decoded (REST). Every typed
 * client_* function is a call of this; callers use it directly for
 * operations that have no typed function (e.g. ferry/gc). */
#ifndef FERRY_CLIENT_TRANSPORT_H
#define FERRY_CLIENT_TRANSPORT_H

#include "api/op.h"
#include "client/client.h"

/* req is the caller's (nothing is taken); resp, zeroed by the caller, is
 * filled on success and released with api_release_response. resp NULL:
 * the answer is not needed. */
int client_call(struct client *c, const struct api_op *op, void *req, void *resp,
                struct ferr *err) WARN_UNUSED;

#endif
