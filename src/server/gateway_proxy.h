/* SPDX-License-Identifier: MIT
 * GET|POST /ajax-api/2.0/mlflow/gateway-proxy: the web UI's way to a
 * deployments gateway (the server's --deployments-target, or
 * MLFLOW_DEPLOYMENTS_TARGET), as MLflow's gateway_proxy_handler: the
 * request's gateway_path and json_data (query arguments for GET, the JSON
 * body for POST) go to <target>/<gateway_path> with the same method; a 200
 * JSON answer comes back as it is. Without a target MLflow answers as an
 * empty gateway would: {"endpoints": []}. The tracking credentials in the
 * environment are never sent to the gateway. */
#ifndef FERRY_SERVER_GATEWAY_PROXY_H
#define FERRY_SERVER_GATEWAY_PROXY_H

#include "http/route.h"

int gateway_proxy_answer(struct http_request *rq, struct ferr *err);

#endif
