/* SPDX-License-Identifier: MIT
 * Whether a deployment spec can be served, checked before it is applied
 * (`ferry deployments apply`): every target and shadow resolved through the
 * client, its files fetched and its model loaded as a gateway would load it
 * (so a version that cannot load is refused with the loader's own error,
 * never applied to get no traffic), and the answering targets' input
 * signatures equal (column names, types and order, or tensor specs): a
 * request the stable target takes must not be refused by the candidate. A
 * shadow may take other inputs (its errors are counted, never answered).
 * This runs the models' code (a Python flavor starts its workers) on the
 * caller's machine, as `ferry models serve` would; the tracking server
 * never loads models. */
#ifndef FERRY_GATEWAY_DEPLOY_CHECK_H
#define FERRY_GATEWAY_DEPLOY_CHECK_H

#include "base/ferr.h"
#include "client/client.h"
#include "domain/deployment.h"

/* 0, or -1 with err naming the target ("targets[1] models:/fraud/7: ..."). */
int deploy_check(struct client *c, const struct deployment_spec *spec,
                 struct ferr *err) WARN_UNUSED;

#endif
