/* SPDX-License-Identifier: MIT
 * A pipeline made ready to run (issue 20), everything checked before
 * anything runs and NOTHING written to the store:
 *
 *   1. the project (projects/source.h): FILE (a pipeline.yaml, or an
 *      MLproject, anywhere: its directory is the project), DIR, or a git
 *      repository (URL or path, #subdir, --version);
 *   2. the spec (domain/pipeline_spec.h): with opts->pipeline NAME, the
 *      MLproject's `pipelines: {NAME: ...}`, else a pipeline.yaml whose
 *      name is NAME; without it, <dir>/pipeline.yaml, else the MLproject's
 *      only pipeline (several: "name one with --pipeline: a, b");
 *   3. params bound: -P values over the defaults; an unknown -P name, a
 *      missing required param, a value not of its type are refused; path
 *      values made absolute against the project dir; every data: value
 *      (of any type; type data must be one) resolved and pinned to its
 *      version number ("data:/NAME/V[/PATH]") through a data port opened on
 *      client_uri (resolve only: nothing fetched);
 *   4. per step its inputs resolved (below); an entry_point step's params
 *      checked with mlproject_command (with placeholder paths and run
 *      ids), a data: value there refused (pass it as an input);
 *   5. --from STEP: that step and its dependants skip the cache lookup;
 *   6. the env manager picked (projects/env_manager.h), its tools checked
 *      unless opts->dry_run.
 *
 * Errors are INVALID_PARAMETER_VALUE or RESOURCE_DOES_NOT_EXIST (a data:
 * URI, a dataset or alias that does not exist) naming the step and field:
 * `ferry pipelines run` exits 2 on those. Other codes (IO_ERROR: a clone or
 * a server that fails) are ferry's own failures (exit 1).
 *
 * Not here: running (pipelines/engine.h), fingerprints
 * (pipelines/fingerprint.h), fetching data (the engine, data_fetch). */
#ifndef FERRY_PIPELINES_PLAN_H
#define FERRY_PIPELINES_PLAN_H

#include "base/ferr.h"
#include "base/sbuf.h"
#include "domain/domain.h"
#include "domain/pipeline_spec.h"
#include "projects/env_manager.h"
#include "projects/mlproject.h"
#include "projects/source.h"

#include <stddef.h>
#include <stdint.h>

struct client;

struct pipe_plan_opts {
    const char *uri;              /* FILE | DIR | GIT_URI[#subdir] */
    const char *version;          /* a git commit/branch/tag, or NULL */
    const char *pipeline;         /* --pipeline NAME, or NULL */
    const struct kv_list *params; /* -P k=v (may be NULL) */
    const char *from_step;        /* --from STEP, or NULL */
    const char *env_manager;      /* local|virtualenv|conda|docker; NULL: the project's */
    int dry_run;                  /* 1: do not require conda/docker/python3 on PATH */
};

enum pipe_input_kind {
    PIPE_INPUT_PATH, /* a local file or dir of the project (or absolute) */
    PIPE_INPUT_DATA, /* a data: URI, pinned */
    PIPE_INPUT_STEP, /* another step's output */
};

/* One resolved input of a step. */
struct pipe_input {
    char *name;   /* the `inputs:` key, or "S.X" for an implicit one */
    int implicit; /* 1: a step output referenced outside `inputs` */
    enum pipe_input_kind kind;
    /* PATH: the absolute path (it existed at plan time). DATA: where
     * data_fetch will put it (data_fetched.path of a resolve-only fetch;
     * the engine fetches it, which answers the same path). STEP: NULL
     * (the producing step's output dir + output path, known at run time). */
    char *path;
    /* DATA: the pinned URI "data:/NAME/V[/PATH]", the dataset's name,
     * the version number and the version's digest (64 hex: the content,
     * for fingerprints and lineage); else NULL/0. */
    char *uri;
    char *data_name;
    int64_t data_version;
    char *data_digest;
    /* STEP: the producing step's index and its output's index in that
     * step's outputs (spec.steps[step].outputs[output]); else 0. */
    size_t step;
    size_t output;
};

/* What the plan knows of one step (same index as spec.steps). */
struct pipe_plan_step {
    /* explicit inputs in `inputs:` order, then implicit "S.X" ones in order
     * of first use (unique); a step output named by both an explicit input
     * and elsewhere is listed twice (explicit name and "S.X") */
    struct pipe_input *inputs;
    size_t ninputs;
    /* The step's params with every {params.X} replaced by its bound value
     * and every other reference left as written ("{steps.prep.outputs.x}",
     * "{run_id}"): the same on every run of the same pipeline with the
     * same params (for the fingerprint); an entry_point step also gets its
     * entry point's defaults for the params it does not set, in the entry
     * point's order after the step's own. */
    struct kv_list params;
    /* The bound value of each spec.steps[i].param_refs name, in that order
     * (the fingerprint's "params"). */
    struct kv_list param_values;
    /* 1: --from named this step or one upstream of it: no cache lookup
     * (the step runs; its fingerprint is still recorded). */
    int from;
    char *canonical; /* pipe_step_canonical(spec, i) */
};

struct pipe_plan {
    struct pipeline_spec spec;
    struct project_source src; /* src.dir.buf: the project dir (absolute) */
    struct mlproject proj;     /* the project's MLproject (empty without one) */
    const char *dir;           /* = src.dir.buf */
    char *spec_path;           /* the file the spec came from (absolute) */
    char *source_name;         /* mlflow.source.name: opts->uri for a clone, else the dir */
    struct kv_list params;     /* every declared param in declaration order, bound (see 3.) */
    enum env_manager envm;
    char *tracking_dir; /* the local store's directory (docker mounts it), or NULL */
    char *spec_json;    /* pipeline_spec_to_json as indented text (pipeline/pipeline.json) */
    struct pipe_plan_step *steps; /* spec.nsteps */
};

/* Loads, checks and binds (above). 0 with *out (release it with
 * pipe_plan_release), or -1 with err (out left released). c is used only
 * to resolve data: URIs (client_uri) and to know where the store is. */
int pipe_plan_load(struct client *c, const struct pipe_plan_opts *o, struct pipe_plan *out,
                   struct ferr *err) WARN_UNUSED;
/* Accepts NULL and a zeroed plan; removes a clone (source_release). */
void pipe_plan_release(struct pipe_plan *p);

/* What one run of step i is bound to, at run time. Arrays indexed by step
 * have spec.nsteps entries; an entry is read only for steps upstream of i
 * (the others may be NULL). Every path is absolute. */
struct pipe_step_bindings {
    const char *output_dir;          /* this step's output dir ({outputs.X} = output_dir/path) */
    const char *run_id;              /* this step's run ({run_id}) */
    const char *pipeline_run_id;     /* {pipeline.run_id} */
    const char *const *input_paths;  /* [steps[i].ninputs] each input's local path */
    const char *const *step_run_ids; /* [nsteps] {steps.S.run_id} */
    const char *const *step_output_dirs; /* [nsteps] {steps.S.outputs.X} = dir/path */
    /* [nsteps] the run whose artifacts hold S's outputs ({steps.S.outputs.X.uri}
     * = runs:/<it>/outputs/<path>): S's run, or for a CACHED S the run it
     * reused */
    const char *const *step_output_runs;
    const char *tracking_dir; /* NULL: plan->tracking_dir */
};

/* A step made concrete. */
struct pipe_rendered {
    struct sbuf command;   /* the command (run: the template expanded, shell-quoted) */
    struct sbuf script;    /* the command inside the env manager's script (run by /bin/sh -c) */
    struct kv_list params; /* resolved step params to log (entry_point: mlproject_command's) */
    struct kv_list env;    /* `env:` expanded (raw values), in spec order */
};

#define PIPE_RENDERED_INIT                                                                         \
    {                                                                                              \
        SBUF_INIT, SBUF_INIT, {NULL, 0, 0},                                                        \
        {                                                                                          \
            NULL, 0, 0                                                                             \
        }                                                                                          \
    }

/* Renders step i with b into *out (which starts PIPE_RENDERED_INIT or
 * released). Does no I/O but reading the MLproject's entry point (already
 * loaded) and building the env manager's script. -1 with err
 * (INVALID_PARAMETER_VALUE: e.g. an entry point param that is not of its
 * type once substituted) leaves out released. */
int pipe_step_render(const struct pipe_plan *p, size_t i, const struct pipe_step_bindings *b,
                     struct pipe_rendered *out, struct ferr *err) WARN_UNUSED;
/* Accepts NULL; leaves r as PIPE_RENDERED_INIT. */
void pipe_rendered_release(struct pipe_rendered *r);

#endif
