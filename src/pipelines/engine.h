/* SPDX-License-Identifier: MIT
 * Running a planned pipeline (pipelines/plan.h) as tracked runs, in the
 * CLI's process, through a struct client (embedded or a server):
 *
 *   - the pipeline run: a run in the experiment (created if absent), named
 *     after the pipeline, with ferry run's source and git tags,
 *     ferry.pipeline.name, the pipeline's params and its canonical spec as
 *     the artifact pipeline/pipeline.json;
 *   - each step: a child run (mlflow.parentRunId) named after the step,
 *     started when every upstream step is COMPLETE or CACHED, at most
 *     `parallel` at once, through an executor (pipelines/executor.h); its
 *     outputs in a fresh directory <tmp>/ferry-pipeline-<run id>/<step>/
 *     (removed at the end), its log the artifact logs/output.log;
 *   - before a step runs, the cache (pipelines/step_cache.h) by its
 *     fingerprint (pipelines/fingerprint.h): a hit is a CACHED run ended at
 *     once; after it, its outputs checked, logged and recorded
 *     (pipelines/step_record.h);
 *   - a failure is retried `retries` times in the same run; a step that
 *     still fails stops its dependants (SKIPPED: no run) while the others
 *     finish; SIGINT/SIGTERM cancel every running step (TERM, 5 s, KILL;
 *     a second signal: KILL at once): their runs and the pipeline run end
 *     KILLED, steps not started are SKIPPED.
 *
 * Nothing here parses a spec or knows how a job's processes run. */
#ifndef FERRY_PIPELINES_ENGINE_H
#define FERRY_PIPELINES_ENGINE_H

#include "base/ferr.h"
#include "client/client.h"

#include <stdint.h>
#include <stdio.h>

struct pipe_plan;
struct executor;

/* A step's state as the engine reports it. */
enum pipe_step_state {
    PIPE_STEP_PENDING,  /* not started yet */
    PIPE_STEP_RUNNING,  /* its job is running */
    PIPE_STEP_COMPLETE, /* ran, exited 0, wrote its outputs */
    PIPE_STEP_CACHED,   /* reused a previous run's outputs */
    PIPE_STEP_FAILED,   /* failed (after its retries) */
    PIPE_STEP_KILLED,   /* cancelled by SIGINT/SIGTERM */
    PIPE_STEP_SKIPPED,  /* an upstream step failed or was killed: never started, no run */
};

/* "PENDING", "RUNNING", "COMPLETE", "CACHED", "FAILED", "KILLED", "SKIPPED". */
const char *pipe_step_state_name(enum pipe_step_state s);

enum pipe_event_kind {
    PIPE_EVENT_PIPELINE_STARTED, /* the pipeline run exists */
    PIPE_EVENT_STEP_STARTED,     /* a step's first attempt started (state RUNNING) */
    PIPE_EVENT_STEP_RETRY,       /* an attempt failed, another starts (reason: why) */
    PIPE_EVENT_STEP_ENDED,       /* COMPLETE, CACHED, FAILED, KILLED or SKIPPED */
    PIPE_EVENT_PIPELINE_ENDED,   /* the pipeline run ended (counts, exit_status) */
};

/* What happened. Every string is borrowed for the callback's duration. */
struct pipe_event {
    enum pipe_event_kind kind;
    const char *pipeline;        /* the pipeline's name */
    const char *pipeline_run_id; /* the pipeline run */
    const char *experiment_id;
    const char *step;           /* the step's name; NULL for the pipeline's events */
    enum pipe_step_state state; /* the step's (or, PIPELINE_ENDED: FAILED/KILLED/COMPLETE) */
    const char *run_id;         /* the step's run; NULL when SKIPPED */
    const char *cached_from;    /* CACHED: the run whose outputs were reused */
    const char *reason;         /* FAILED/RETRY: "exit 1", "timed out after 30m",
                                 * "did not write its declared output X (PATH)" ...;
                                 * SKIPPED: "train failed"; else NULL */
    int attempt;                /* 1 for the first attempt */
    double seconds;             /* ENDED: how long the step (or pipeline) took */
    /* PIPELINE_ENDED only: */
    size_t complete, cached, failed, killed, skipped;
    int exit_status; /* pipeline_run's return value */
};

typedef void (*pipe_event_fn)(void *arg, const struct pipe_event *ev);

/* Prints an event as `ferry pipelines run` shows it:
 *   prep      COMPLETE  2.1s  run 3f2a9c1e...
 *   train     CACHED    from 9c1b77d0...
 *   evaluate  FAILED    0.4s  run 51e0b2aa... (exit 1)
 *   register  SKIPPED   (evaluate failed)
 *   pipeline fraud-training FAILED in 3.0s: 1 complete, 1 cached, 1 failed, 1 skipped (run ...)
 * STARTED and RETRY events are printed as "prep      RUNNING   run ..." and
 * "prep      RETRY     attempt 2 (exit 1)". */
void pipe_event_print(FILE *out, const struct pipe_event *ev);

struct pipe_run_opts {
    int parallel;                /* steps at once; 0: 4 */
    int no_cache;                /* run every step (fingerprints still recorded) */
    const char *experiment_name; /* created if absent; NULL: experiment_id, else the
                                  * pipeline's name */
    const char *experiment_id;
    const char *run_name;   /* the pipeline run's name; NULL: the pipeline's name */
    int quiet;              /* 1: the steps' output is not shown (still logged) */
    pipe_event_fn on_event; /* NULL: pipe_event_print to stdout */
    void *event_arg;
    FILE *terminal;            /* where steps' prefixed lines go; NULL: stdout */
    int64_t kill_grace_ms;     /* TERM -> KILL on timeout and cancel; 0: 5000 */
    struct executor *executor; /* NULL: a local executor for this run; else borrowed */
};

#define PIPE_RUN_OPTS_INIT                                                                         \
    {                                                                                              \
        4, 0, NULL, NULL, NULL, 0, NULL, NULL, NULL, 0, NULL                                       \
    }

/* Runs plan (made by pipe_plan_load; not changed). Returns the exit
 * status for ferry: 0 when every step is COMPLETE or CACHED (the pipeline
 * run FINISHED); 1 when a step failed or was skipped (the pipeline run
 * FAILED); 128 + the signal when SIGINT/SIGTERM cancelled it (the running
 * steps' runs and the pipeline run KILLED). ferry's own failures on a step
 * (the store, an artifact upload, a data: fetch) fail that step with the
 * message as its reason, and the pipeline goes on; only a failure to make
 * the pipeline run itself (or of the executor) is 1 with err set (the run,
 * if it exists, ended FAILED). A lineage write that fails is a warning.
 * SIGINT and SIGTERM are caught (base/sigpipe.h) and SIGPIPE ignored only
 * while it runs. Not thread-safe (signal handlers are per process). */
int pipeline_run(struct client *c, struct pipe_plan *plan, const struct pipe_run_opts *o,
                 struct ferr *err);

#endif
