/* SPDX-License-Identifier: MIT
 * A pipeline step's fingerprint: SHA-256 (lowercase hex) of this canonical
 * JSON text (compact, keys sorted at every level, so equal content gives
 * equal text whatever the order things were given in):
 *
 *   {"code":   {"<deps entry>": "<digest>", ...}   or {"": "<project tree digest>"},
 *    "env":    {"manager": "local|virtualenv|conda|docker",
 *               "file": "<SHA-256 of python_env/conda file>"    (virtualenv, conda)
 *               "image": "<docker image>"},                     (docker)
 *    "format": "ferry-step/1",
 *    "inputs": {"<input name>": "<digest>", ...},
 *    "params": {"pipeline": {"X": "<value of {params.X}>", ...}  (only the X it uses)
 *               "step":     {"k": "<resolved step param>", ...}},
 *    "step":   <the step's canonical spec object without "retries", "timeout",
 *               "cache" and "cache_max_age">}
 *
 * So a different parameter value, a different byte in a deps file (or, with
 * no deps, anywhere in the project tree), a different input (another data
 * version, another output digest upstream), another environment file or
 * manager, or another command gives another fingerprint; changing retries,
 * timeout or the caching knobs does not (they change how a step runs, not
 * what it computes).
 *
 * Code digests: a deps entry (relative to the project dir, no "..") that is a
 * file is its SHA-256, a directory the data-manifest digest of its tree; the
 * project tree digest is the data-manifest digest of the project dir. Both
 * scans (data/tree_scan.h) leave out, at any depth, entries named `.git`,
 * `__pycache__`, `mlruns`, `mlartifacts`, `*.pyc`, `*.db`, `*.db-wal`,
 * `*.db-shm` (what running the code or tracking it writes beside it), and
 * also what a dataset could not hold but a project may well contain:
 * sockets, FIFOs, devices, links that are absolute or leave the tree (a
 * virtualenv's python link), names that are not UTF-8. A directory whose
 * entries are all left out counts as empty. The project tree digest costs a read of every file: the
 * engine computes it once per pipeline run (and only when some step has no
 * deps) and passes it in.
 *
 * Pure but for the digest functions, which read files. Thread-safe. */
#ifndef FERRY_PIPELINES_FINGERPRINT_H
#define FERRY_PIPELINES_FINGERPRINT_H

#include "base/ferr.h"
#include "base/sbuf.h"
#include "domain/domain.h"
#include "pipelines/step_record.h"
#include "projects/env_manager.h"

#include <jansson.h>
#include <stddef.h>

#define STEP_FP_FORMAT "ferry-step/1"

struct pipe_plan;

/* The environment part. */
struct step_fp_env {
    char manager[16]; /* env_manager_name(): "local", "virtualenv", "conda", "docker" */
    char file[65];    /* SHA-256 of the env file (virtualenv, conda), else "" */
    char *image;      /* docker_env's image (docker), else NULL; owned */
};

#define STEP_FP_ENV_INIT                                                                           \
    {                                                                                              \
        "", "", NULL                                                                               \
    }

void step_fp_env_release(struct step_fp_env *e);
/* The environment part for manager m of project p in dir: the env file
 * (p->env_file, relative to dir) is hashed for virtualenv and conda (a
 * missing file is RESOURCE_DOES_NOT_EXIST naming it; a project without one
 * gives ""), the image kept for docker. *out is initialised here. */
int step_fp_env_make(enum env_manager m, const struct mlproject *p, const char *dir,
                     struct step_fp_env *out, struct ferr *err) WARN_UNUSED;

/* Everything a fingerprint covers. Borrowed; lists may be NULL (empty). */
struct step_fp {
    json_t *step;                      /* the step's canonical spec object (not changed) */
    const struct kv_list *used_params; /* X -> value of each {params.X} the step uses */
    const struct kv_list *step_params; /* the step's resolved params: k -> value */
    const struct kv_list *code;        /* deps entry -> digest; empty: tree_digest */
    const char *tree_digest;           /* the project tree digest (needed when code is empty) */
    const struct step_input *inputs;   /* name and digest of each input (implicit ones too) */
    size_t ninputs;
    const struct step_fp_env *env; /* NULL: {"manager": "local"} */
};

/* The fingerprint of in into hex. canonical (may be NULL) gets the
 * canonical text appended (for tests and debugging). A step with no deps
 * and no tree_digest is INVALID_PARAMETER_VALUE (a programmer error made
 * loud: it would cache across code changes). */
int step_fingerprint(const struct step_fp *in, char hex[65], struct sbuf *canonical,
                     struct ferr *err) WARN_UNUSED;

/* The fingerprint of plan step i (pipelines/plan.h), the fields taken
 * from the plan: "step" = pipe_step_to_json(&plan->spec, i, 0), "params" =
 * the bound value of each {params.X} it uses (spec.steps[i].param_refs
 * looked up in plan->params) and plan->steps[i].params, "code" = its deps
 * (fingerprint_deps, read now) or tree_digest when it has none, "inputs" =
 * inputs[0..plan->steps[i].ninputs) (step_inputs_for_plan), "env" = env
 * (step_fp_env_make(plan->envm, &plan->proj, plan->dir): the same for
 * every step, made once; NULL: local). A deps failure names the step. */
int step_fingerprint_plan(const struct pipe_plan *plan, size_t i, const struct step_input *inputs,
                          const char *tree_digest, const struct step_fp_env *env, char hex[65],
                          struct ferr *err) WARN_UNUSED;
/* 1 when plan step i has no deps, so its fingerprint needs the project
 * tree digest (compute it once, for the first such step). */
int step_fingerprint_needs_tree(const struct pipe_plan *plan, size_t i);

/* The project tree digest of dir (above) into hex. */
int fingerprint_tree_digest(const char *dir, char hex[65], struct ferr *err) WARN_UNUSED;

/* The code digests of a step's deps entries (relative to dir) into *out
 * (initialised here; key: the entry as written, value: its digest). An
 * entry that is absolute, holds "..", or does not exist is
 * INVALID_PARAMETER_VALUE "deps entry 'E' ..." (the caller adds the step's
 * name). */
int fingerprint_deps(const char *dir, const char *const *deps, size_t n, struct kv_list *out,
                     struct ferr *err) WARN_UNUSED;

/* 1 when a project tree scan leaves out an entry of this base name and kind
 * (the name list above; exposed for tests). */
int fingerprint_skips_name(const char *name);

#endif
