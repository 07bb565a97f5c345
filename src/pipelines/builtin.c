/* SPDX-License-Identifier: MIT
 * builtin_run: the dispatch to each built-in (pipelines/builtin.h). */
#include "pipelines/builtin.h"
#include "base/sbuf.h"
#include "client/client_artifacts.h"
#include "domain/builtin_steps.h"
#include "pipelines/builtin_deploy.h"
#include "pipelines/builtin_evaluate.h"
#include "pipelines/builtin_gate.h"
#include "pipelines/builtin_register.h"
#include "pipelines/builtin_validate.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "base/banned.h"

/* A step that says no fails, and the engine logs no output of a failed
 * step: the report saying why is logged here, where the engine would have
 * put it (outputs/<file> of the step's run). Best effort: a warning. */
static void keep_output(struct builtin_ctx *ctx, const struct builtin_step *b)
{
    struct sbuf path = SBUF_INIT;
    struct ferr e = FERR_INIT;
    struct stat st;
    sbuf_addf(&path, "%s/%s", ctx->out_dir, b->output.path);
    if (ctx->c && ctx->run_id && !stat(path.buf, &st) &&
        client_log_artifacts(ctx->c, ctx->run_id, path.buf, "outputs", NULL, NULL, &e))
        fprintf(stderr, "ferry step %s: warning: %s not logged: %s\n", b->name, b->output.path,
                e.msg);
    sbuf_release(&path);
}

int builtin_run(const char *name, struct builtin_ctx *ctx, struct ferr *err)
{
    const struct builtin_step *b = builtin_step_find(name, 1);
    if (!b)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "unknown built-in step '%.200s' (%s)",
                        name, builtin_step_names()),
               2;
    if (builtin_with_check(b, ctx->with, err))
        return 2;
    int rc = !strcmp(b->name, "validate-data") ? builtin_validate(ctx, err)
             : !strcmp(b->name, "evaluate")    ? builtin_evaluate(ctx, err)
             : !strcmp(b->name, "gate")        ? builtin_gate(ctx, err)
             : !strcmp(b->name, "register")    ? builtin_register(ctx, err)
                                               : builtin_deploy(ctx, err);
    if (rc == 1)
        keep_output(ctx, b);
    return rc;
}
