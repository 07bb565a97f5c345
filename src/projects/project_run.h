/* SPDX-License-Identifier: MIT
 * `ferry run`: runs an MLflow project (a directory, or a git repository by
 * path or URL, with #subdir) as a tracked run, reproducibly:
 *
 *   1. fetch (git clone + checkout --version when asked), read MLproject,
 *      check the parameters and build the command: nothing runs and nothing
 *      is logged when this fails (exit 2 for bad parameters)
 *   2. create the run with MLflow's project tags (mlflow.source.*,
 *      mlflow.project.*) and log the resolved parameters
 *   3. run the command under /bin/sh in the project directory, in its own
 *      process group, with MLFLOW_RUN_ID, MLFLOW_EXPERIMENT_ID (and
 *      MLFLOW_TRACKING_URI for a server) and their FERRY_ twins exported,
 *      streaming its output to the terminal and to a log
 *   4. SIGINT/SIGTERM are forwarded to the child; its end maps to FINISHED,
 *      FAILED or KILLED; the output, a reproducibility record (git commit,
 *      OS, compiler and interpreter versions, parameters, command) and the
 *      diff of a dirty work tree are logged under project/
 *
 * Environments: local runs the command as is; virtualenv builds (and
 * caches by a hash of the spec) a venv from python_env.yaml; conda and
 * docker wrap the command in `conda run` / `docker run`, and fail clearly
 * when the tool is missing. --dry-run prints what would run. */
#ifndef FERRY_PROJECTS_PROJECT_RUN_H
#define FERRY_PROJECTS_PROJECT_RUN_H

#include "base/ferr.h"
#include "client/client.h"
#include "domain/domain.h"

struct project_run_opts {
    const char *uri;       /* a directory, or a git repository path or URL[#subdir] */
    const char *entry;     /* NULL: "main" */
    struct kv_list params; /* -P k=v */
    const char *experiment_name, *experiment_id, *run_name;
    const char *version;     /* a git commit, branch or tag */
    const char *env_manager; /* local, virtualenv, conda, docker; NULL: the project's */
    const char *rerun_of;    /* a run id: its project, entry, params and commit */
    int dry_run;
};

/* Returns the exit status for ferry: the child's (0 when it succeeded),
 * 128 + signal when it was killed, 2 when the project, its parameters or
 * the options are wrong (nothing ran, nothing was logged), 1 when ferry
 * itself failed (err says why). */
int project_run(struct client *c, struct project_run_opts *o, struct ferr *err);

#endif
