/* SPDX-License-Identifier: MIT
 * The server's check of a deployment spec on apply (gateway/deploy_check.h
 * at its native depth: no model code runs in the tracking server): each
 * version's files found where the server keeps them (a local artifact
 * location, or below --artifacts-destination for mlflow-artifacts:/). A
 * version whose files are elsewhere (an object store) is refused: no
 * gateway could load it either. */
#ifndef FERRY_SERVER_DEPLOY_FILES_H
#define FERRY_SERVER_DEPLOY_FILES_H

#include "base/ferr.h"
#include "domain/deployment.h"
#include "server/server_int.h"

/* For api_env.deploy_check: arg is the server's struct server_ctx. */
int server_deploy_check(void *arg, const struct deployment_spec *resolved, struct ferr *err);

#endif
