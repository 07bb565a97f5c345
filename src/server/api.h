/* SPDX-License-Identifier: MIT
 * The server's routes, made from operation rows (api/op.h): each row at
 * <root>/<path>, and MLflow's also under /ajax-api/. A row's request is its
 * JSON body, or its query string as a JSON object when it has no body, plus
 * the path's parameters; a streaming row is answered by its own handler.
 * Internal to server/. */
#ifndef FERRY_SERVER_API_H
#define FERRY_SERVER_API_H

#include "api/op.h"
#include "http/route.h"

/* The routes of every row of areas (ending with NULL), in order; freed
 * with api_routes_free. */
struct http_route *api_routes(const struct api_area *const *areas, size_t *n);
void api_routes_free(struct http_route *routes, size_t n);

#endif
