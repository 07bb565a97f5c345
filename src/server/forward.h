/* SPDX-License-Identifier: MIT
 * What a front server (`ferry server --backend-store-uri http(s)://...`)
 * does with each row of the API, decided here and nowhere else:
 *   - forwarded, the default: the request, decoded by the server as
 *     always, goes to the upstream through the REST transport (the row's
 *     own encoding), and the upstream's answer, decoded into the row's
 *     response, is encoded as this server's. Ferry's own rows
 *     (/api/2.0/ferry/: registry history, models/resolve, lineage,
 *     downsampled histories) are forwarded too: they only read the store,
 *     so the upstream answers them, or says it has no such endpoint (an
 *     MLflow upstream: 404 ENDPOINT_NOT_FOUND).
 *   - answered here after a lookup upstream: the rows that list artifacts
 *     (artifacts/list, logged-models/.../artifacts/directories). The run
 *     or logged model comes from the upstream, so its artifact_uri is
 *     whatever the upstream says; an mlflow-artifacts: URI names this
 *     server's --artifacts-destination (where clients of this server put
 *     the files, through its proxy), any other URI is opened from here, as
 *     MLflow's server does with a remote store.
 *   - refused with NOT_IMPLEMENTED (501): ferry/gc. Purging belongs where
 *     the store is; forwarding it would purge the upstream's rows while
 *     the proxied files of those runs, here, stayed behind unnoticed.
 * Internal to server/. */
#ifndef FERRY_SERVER_FORWARD_H
#define FERRY_SERVER_FORWARD_H

#include "api/op.h"
#include "server/upstream.h"

/* Does op for req as the table above says; env as for api_exec (its store
 * is unused). */
int forward_row(struct upstream *u, const struct api_env *env, const struct api_op *op, void *req,
                void *resp, struct ferr *err) WARN_UNUSED;

#endif
