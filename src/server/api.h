/* SPDX-License-Identifier: MIT
 * The REST API's routes: every row of the route table (router.c) under
 * /api/2.0/mlflow/ and /ajax-api/2.0/mlflow/, ferry's own under
 * /api/2.0/ferry/. A request's fields are its JSON body, or its query
 * string as a JSON object when it has no body. Internal to server/. */
#ifndef FERRY_SERVER_API_H
#define FERRY_SERVER_API_H

#include "http/route.h"

/* A new array of the API's routes; the caller frees it and each path. */
struct http_route *api_routes(size_t *n);

#endif
