/* SPDX-License-Identifier: MIT
 * Settings from the environment, under ferry's name first and MLflow's
 * second (FERRY_TRACKING_URI, then MLFLOW_TRACKING_URI), as MLflow's own
 * clients read theirs: a user's existing MLflow setup works unchanged. */
#ifndef FERRY_BASE_ENV_H
#define FERRY_BASE_ENV_H

/* $FERRY_<name>, else $MLFLOW_<name>; NULL when both are unset or empty. */
const char *env_get(const char *name);

#endif
