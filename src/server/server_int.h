/* SPDX-License-Identifier: MIT
 * Inside server/ only: what every route of `ferry server` reaches through
 * http_ctx(). */
#ifndef FERRY_SERVER_SERVER_INT_H
#define FERRY_SERVER_SERVER_INT_H

#include "server/server.h"
#include "artifacts/repo.h"
#include "artifacts/roots.h"
#include "server/exec.h"
#include "auth/guard.h"
#include "auth/launch.h"

struct server_ctx {
    struct exec *exec;               /* the store, or the upstream server */
    struct artifact_repo *artifacts; /* --artifacts-destination; NULL: not served */
    const char *artifacts_dir;       /* its local directory, for mlflow-artifacts:/ */
    const char *deployments_target;  /* the gateway behind gateway-proxy; NULL: none */
    struct guard *guard;             /* authentication and permissions; NULL: off */
    struct artifact_roots *roots;    /* where local artifact locations may be */
    struct launcher launcher;        /* how the server starts processes (pipelines, triggers) */
    char *self_uri;                  /* http://host:port, for the processes it starts */
    struct data_root *data;          /* where datasets' objects are (data_routes.h) */
};

#endif
