/* SPDX-License-Identifier: MIT
 * The engine's own state, shared by engine.c (the pipeline run and the
 * scheduling loop) and engine_step.c (one step's life: inputs,
 * fingerprint, cache, its run, its job, its end). Internal to pipelines/. */
#ifndef FERRY_PIPELINES_ENGINE_INT_H
#define FERRY_PIPELINES_ENGINE_INT_H

#include "pipelines/engine.h"
#include "pipelines/executor.h"
#include "pipelines/fingerprint.h"
#include "pipelines/plan.h"
#include "pipelines/step_record.h"

struct data_port;

/* One step while the pipeline runs (same index as plan->spec.steps). */
struct eng_step {
    enum pipe_step_state state;
    size_t waiting;   /* upstream steps not COMPLETE/CACHED yet */
    int attempts;     /* attempts started */
    int job;          /* the executor's id while RUNNING */
    char *run_id;     /* its run; NULL: none (PENDING, SKIPPED) */
    char *output_run; /* the run holding its outputs: run_id, or the one a CACHED step reused */
    char *cached_from;
    char *out_dir;  /* <base>/<step>: {outputs.X} live here */
    char *log_path; /* <base>/.logs/<step>/output.log: logged as logs/output.log */
    char fingerprint[65];
    struct step_input *inputs; /* resolved, for the fingerprint and the lineage */
    size_t ninputs;
    char **input_paths;            /* their local paths, for rendering */
    struct step_output_decl *decl; /* the declared outputs */
    struct step_outputs outputs;   /* after COMPLETE or CACHED */
    char *script;                  /* what the job runs */
    char **env;                    /* its "KEY=VALUE" list, NULL-terminated */
    int64_t started_ms, ended_ms;
    char *reason; /* FAILED/SKIPPED: why */
};

struct engine {
    struct client *c;
    struct pipe_plan *plan;
    const struct pipe_run_opts *o;
    struct executor *x;
    int own_x;    /* x was opened here */
    char *exp_id; /* the experiment */
    char *run_id; /* the pipeline run */
    char *base;   /* <tmp>/ferry-pipeline-<run id>: removed at the end */
    int64_t started_ms;
    char tree_digest[65]; /* the project tree's digest ("" until needed) */
    struct step_fp_env fp_env;
    int have_fp_env;
    struct data_port *port; /* opened on the first data: input */
    struct eng_step *s;     /* plan->spec.nsteps */
    size_t *ready;          /* a FIFO of step indexes ready to start */
    size_t ready_head, ready_tail;
    size_t running;
    int cancelled;      /* the signal that cancelled the pipeline, or 0 */
    int lineage_failed; /* a lineage write failed (warned once) */
    /* the bindings every render reads, indexed by step */
    const char **run_ids, **out_dirs, **out_runs;
};

/* Emits ev (the engine's fields filled in) to the caller's callback. */
void engine_emit(struct engine *e, struct pipe_event *ev);

/* A lineage write (an execution, events) failed: warned the first time.
 * Not a step's failure: the runs are the record, lineage is derived from
 * them (and a stock MLflow server has no lineage rows at all). */
void engine_lineage_failed(struct engine *e, const struct ferr *err);

/* Starts step i (its upstream all COMPLETE or CACHED): its run, inputs,
 * fingerprint, the cache; a hit ends it CACHED at once, else its job
 * starts (RUNNING). Whatever fails fails the step (FAILED, its dependants
 * SKIPPED), never the pipeline. */
void engine_step_start(struct engine *e, size_t i);
/* A job's end: retried, or the step ends COMPLETE, FAILED or KILLED. */
void engine_step_job_ended(struct engine *e, const struct executor_event *ev);
/* Step i, RUNNING when its executor failed: its job is abandoned (being
 * cancelled), the step ends FAILED with reason, its dependants SKIPPED,
 * so no run of it stays RUNNING. */
void engine_step_abandon(struct engine *e, size_t i, const char *reason);
/* Step i ended FAILED or KILLED: every step downstream of it not started
 * yet is SKIPPED ("i failed"). */
void engine_skip_dependants(struct engine *e, size_t i);
/* Step i ended COMPLETE or CACHED: its dependants with nothing else to
 * wait for become ready. */
void engine_release_dependants(struct engine *e, size_t i);
/* Frees what step i holds. */
void engine_step_release(struct eng_step *s);

#endif
