/* SPDX-License-Identifier: MIT
 * The one map from an error code to an HTTP status, for every server ferry
 * runs (the tracking server, `ferry models serve`, the gateway). MLflow's
 * own choices: RESOURCE_DOES_NOT_EXIST and ENDPOINT_NOT_FOUND are 404, bad
 * input of any kind 400, NOT_IMPLEMENTED 501, everything unexpected 500. */
#ifndef FERRY_HTTP_STATUS_H
#define FERRY_HTTP_STATUS_H

#include "base/ferr.h"

int http_status_for(enum ferr_code code);

#endif
