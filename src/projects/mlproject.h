/* SPDX-License-Identifier: MIT
 * MLflow's project description, the MLproject file (YAML):
 *
 *   name: tutorial
 *   python_env: python_env.yaml        (or conda_env: conda.yaml,
 *                                        or docker_env: {image: ...})
 *   entry_points:
 *     main:
 *       parameters:
 *         alpha: {type: float, default: 0.5}
 *         data: path                    (a bare type: required)
 *       command: "python train.py --alpha {alpha} --data {data}"
 *
 * A directory without MLproject has no declared entry points; as in MLflow,
 * an entry point naming a .py or .sh file of the project runs that file
 * with every parameter as `--key value`. */
#ifndef FERRY_PROJECTS_MLPROJECT_H
#define FERRY_PROJECTS_MLPROJECT_H

#include "base/ferr.h"
#include "base/sbuf.h"
#include "domain/domain.h"

#include <jansson.h>
#include <stddef.h>

enum param_type { PARAM_STRING, PARAM_FLOAT, PARAM_INT, PARAM_PATH, PARAM_URI };

enum project_env { ENV_NONE, ENV_PYTHON, ENV_CONDA, ENV_DOCKER };

/* How a path parameter's data: value (data/data_fetch.h: data:/NAME/VERSION,
 * @ALIAS or latest, optionally /PATH) becomes local: fetch writes into
 * *local the path the command gets and into *record the value the run
 * records (the URI by version number, so a rerun reads the same data). */
struct mlproject_data_hook {
    int (*fetch)(void *arg, const char *param, const char *uri, struct sbuf *local,
                 struct sbuf *record, struct ferr *err);
    void *arg;
};

struct mlproject {
    json_t *doc;           /* the MLproject as JSON; NULL without one */
    const char *name;      /* into doc, or NULL */
    enum project_env env;  /* what the project declares */
    const char *env_file;  /* python_env / conda_env file, relative to the project */
    const char *env_image; /* docker_env's image */
    /* `pipelines: {NAME: spec}` (issue 20, domain/pipeline_spec.h; borrowed
     * from doc), or NULL: a mapping when present, its entries read by
     * pipelines/plan.h, not here */
    json_t *pipelines;
    /* Set by the caller after mlproject_load; NULL: a data: value of a path
     * parameter is INVALID_PARAMETER_VALUE (it is never a relative path). */
    const struct mlproject_data_hook *data;
};

/* Reads <dir>/MLproject (absent: an empty project). A malformed file, an
 * unknown parameter type or an entry point without a command is
 * INVALID_PARAMETER_VALUE naming the problem. */
int mlproject_load(const char *dir, struct mlproject *out, struct ferr *err) WARN_UNUSED;
void mlproject_release(struct mlproject *p);

/* The command of `entry` with the parameters given (keys/values, as from
 * -P k=v) checked and substituted, shell-quoted; parameters the entry point
 * does not declare are appended as `--key value`, as MLflow does. Declared
 * parameters get their defaults; a missing required one, a value that is
 * not of its type (float, int) or an unknown entry point is
 * INVALID_PARAMETER_VALUE. path and uri values that are relative paths are
 * made absolute against cwd; a path parameter's data: value goes through
 * p->data (the command gets the local path). *resolved gets every
 * parameter's final value to record (a data: value as the hook records
 * it), in declaration order then the extras. */
int mlproject_command(const struct mlproject *p, const char *dir, const char *entry,
                      const struct kv_list *given, const char *cwd, struct sbuf *cmd,
                      struct kv_list *resolved, struct ferr *err) WARN_UNUSED;

/* Appends s quoted for /bin/sh when it needs it (as Python's shlex.quote). */
void shell_quote(struct sbuf *out, const char *s);

#endif
