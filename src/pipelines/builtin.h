/* SPDX-License-Identifier: MIT
 * Running a built-in pipeline step (issue 21; the table of them is
 * domain/builtin_steps.h). `ferry step NAME --with-json JSON --out DIR`
 * (cli/cmd_step.c) is the command the engine runs for a `uses:` step, so
 * caching, retries, logs, lineage and the step's run are the engine's;
 * this is what that command does.
 *
 * Each built-in reads the rendered `with` object (every value as the
 * pipeline gave it: numbers may arrive as strings), writes its one output
 * file into out_dir, prints what it decided on stdout and every reason it
 * refuses on stderr, and answers an exit status: 0 passed, 1 the step's
 * own verdict is "no" (a violated expectation, a failed gate, a rollback;
 * the output file is still written), 2 a bad `with` (nothing written).
 * The step's run (run_id) is where metrics and tags go, through the
 * client opened on the tracking URI. */
#ifndef FERRY_PIPELINES_BUILTIN_H
#define FERRY_PIPELINES_BUILTIN_H

#include "base/ferr.h"

#include <jansson.h>

struct client;

struct builtin_ctx {
    json_t *with;                /* the rendered `with` object (borrowed) */
    const char *out_dir;         /* the step's output directory (exists) */
    struct client *c;            /* the tracking store (FERRY_TRACKING_URI), or NULL */
    const char *tracking_uri;    /* the URI c was opened on (data: URIs); NULL: the environment's */
    const char *run_id;          /* the step's run (FERRY_RUN_ID), or NULL */
    const char *pipeline_run_id; /* FERRY_PIPELINE_RUN_ID, or NULL */
};

/* Runs the built-in `name` ("validate-data" or "ferry/validate-data").
 * Returns the exit status (above); on 2, err says why. */
int builtin_run(const char *name, struct builtin_ctx *ctx, struct ferr *err);

#endif
