/* SPDX-License-Identifier: MIT
 * The datasets area's streaming rows (issue 19; api/datasets_ops.h has the
 * JSON rows and the paths) and the server's data root:
 *   POST datasets/objects/upload    body: a pack, streamed into
 *                                   data/objects.h's ingest (never held
 *                                   whole; at most 1 GiB) -> {"stored", "bytes"}
 *   POST datasets/objects/download  {digests} -> a pack streamed from
 *                                   data/objects.h's export
 * Both are EDIT / READ on no particular resource, as the JSON rows.
 *
 * The data root: the artifacts destination when the server serves
 * artifacts, else the store's default artifact root when it is local,
 * else none (the rows answer NOT_IMPLEMENTED saying why). Internal to
 * server/. */
#ifndef FERRY_SERVER_DATA_ROUTES_H
#define FERRY_SERVER_DATA_ROUTES_H

#include "api/op.h"
#include "base/ferr.h"

struct server_ctx;

extern const struct api_area data_routes_area;

/* Finds the data root of ctx (after its store and artifacts destination
 * are open) and installs it for the rows (api_datasets_set_root). A
 * root that cannot be opened is an error; no root at all is not. */
int data_root_open(struct server_ctx *ctx, struct ferr *err) WARN_UNUSED;
/* Uninstalls and closes what data_root_open opened. Accepts a ctx it
 * never ran on. */
void data_root_close(struct server_ctx *ctx);

#endif
