/* SPDX-License-Identifier: MIT
 * The environment a project's command runs in, as the shell script that
 * sets it up and runs the command:
 *   local       the command as is
 *   virtualenv  a venv built from python_env.yaml (python3 -m venv, pip
 *               install of its build_dependencies and dependencies), cached
 *               under $FERRY_ENV_CACHE or ~/.cache/ferry/virtualenvs by the
 *               SHA-256 of the spec, then activated
 *   conda       `conda env create` from conda.yaml (once per spec hash), then
 *               `conda run`
 *   docker      `docker run` of docker_env's image with the project mounted at
 *               /ferry/project and the run's variables passed in
 * Internal to projects/. */
#ifndef FERRY_PROJECTS_ENV_MANAGER_H
#define FERRY_PROJECTS_ENV_MANAGER_H

#include "base/ferr.h"
#include "base/sbuf.h"
#include "projects/mlproject.h"

enum env_manager { ENVM_LOCAL, ENVM_VIRTUALENV, ENVM_CONDA, ENVM_DOCKER };

/* The manager by name, or the project's own when name is NULL. */
int env_manager_pick(const char *name, const struct mlproject *p, enum env_manager *out,
                     struct ferr *err) WARN_UNUSED;
const char *env_manager_name(enum env_manager m);

/* The script running cmd in the environment; tracking_dir, when the
 * tracking store is a local file, is its directory (docker mounts it).
 * check_tools: fail (INVALID_PARAMETER_VALUE naming the tool) when conda,
 * docker or python3 is not on PATH; a dry run builds the script anyway. */
int env_manager_script(enum env_manager m, const struct mlproject *p, const char *dir,
                       const char *cmd, const char *tracking_dir, int check_tools,
                       struct sbuf *script, struct ferr *err) WARN_UNUSED;

#endif
