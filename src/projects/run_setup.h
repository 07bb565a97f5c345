/* SPDX-License-Identifier: MIT
 * What every run ferry starts for a project's code shares, whether one
 * (`ferry run`, projects/project_run.h) or a pipeline's steps
 * (pipelines/engine.h): the experiment by name or id, MLflow's source tags,
 * and the variables that point the code at its run. */
#ifndef FERRY_PROJECTS_RUN_SETUP_H
#define FERRY_PROJECTS_RUN_SETUP_H

#include "base/ferr.h"
#include "client/client.h"
#include "domain/domain.h"
#include "projects/source.h"

/* The experiment to log to: name's (created when absent), else id, else
 * $FERRY_EXPERIMENT_ID / $MLFLOW_EXPERIMENT_ID, else "0". *id_out is a new
 * string. */
int run_setup_experiment(struct client *c, const char *name, const char *id, char **id_out,
                         struct ferr *err) WARN_UNUSED;

/* Adds MLflow's project source tags: mlflow.source.type=PROJECT,
 * mlflow.source.name (uri for a clone, else the directory), the git commit
 * and repository (mlflow.source.git.*, mlflow.gitRepoURL) and mlflow.user;
 * empty values are left out. */
void run_setup_source_tags(struct kv_list *tags, const char *uri, const struct project_source *src);

/* The user ferry runs as (for mlflow.user and the run's user id), or NULL. */
const char *run_setup_user(void);

/* Adds the variables a run's code needs: MLFLOW_RUN_ID, FERRY_RUN_ID,
 * MLFLOW_EXPERIMENT_ID, FERRY_EXPERIMENT_ID, FERRY_TRACKING_URI,
 * MLFLOW_TRACKING_URI (a server only: an MLflow client cannot read ferry's
 * SQLite file) and FERRY (this binary, so scripts can call it). */
void run_setup_env(const struct client *c, const char *run_id, const char *experiment_id,
                   struct kv_list *env);

/* The directory of a local tracking store's file (docker mounts it), or
 * nothing for a server: out is left as it is. */
void run_setup_tracking_dir(const struct client *c, struct sbuf *out);

/* The tracking URI as a process started in another directory must see it:
 * a SQLite store named by a relative path (the default ./ferry.db) made
 * absolute against the current directory (sqlite:///abs/ferry.db); any
 * other URI as the client has it. Appended to out. */
void run_setup_tracking_uri(const struct client *c, struct sbuf *out);

#endif
