/* SPDX-License-Identifier: MIT
 * Whether a deployment spec can be served, checked before it is applied:
 * every target's and shadow's files found and its model checked as a
 * gateway would load it (a version that cannot load is refused with the
 * loader's own error, never applied only to get no traffic), and the
 * answering targets' input signatures equal (column names, types and
 * order, or tensor specs): a request the stable target takes must not be
 * refused by the candidate. A shadow may take other inputs (its errors are
 * counted, never answered).
 *
 * Two depths. `ferry deployments apply` (the CLI, on the user's machine)
 * loads every model, Python flavors included, as `ferry models serve`
 * would. The tracking server never runs a model's code: it loads native
 * flavors (XGBoost: data, not code) and, for the others, checks the
 * MLmodel, the flavor and that the pickled model's file is there. */
#ifndef FERRY_GATEWAY_DEPLOY_CHECK_H
#define FERRY_GATEWAY_DEPLOY_CHECK_H

#include "base/ferr.h"
#include "client/client.h"
#include "domain/deployment.h"

enum deploy_check_depth {
    DEPLOY_CHECK_LOAD,   /* load every model */
    DEPLOY_CHECK_NATIVE, /* load native flavors; others: their files only */
};

/* Where a target's files are: a local directory in *dir (the caller's
 * until close), or -1 with err. */
struct deploy_files {
    int (*open)(void *arg, const struct deploy_target *t, char **dir, void **handle,
                struct ferr *err);
    void (*close)(void *arg, void *handle);
    void *arg;
};

/* 0, or -1 with err naming the target ("targets[1] models:/fraud/7 ..."). */
int deploy_check_spec(const struct deployment_spec *spec, const struct deploy_files *files,
                      enum deploy_check_depth depth, struct ferr *err) WARN_UNUSED;

/* The CLI's check: each target's files fetched through c, every model
 * loaded. */
int deploy_check(struct client *c, const struct deployment_spec *spec,
                 struct ferr *err) WARN_UNUSED;

#endif
