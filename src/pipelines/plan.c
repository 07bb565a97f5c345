/* SPDX-License-Identifier: MIT
 * First cut: the shape only (pipe_plan_load answers NOT_IMPLEMENTED). */
#include "pipelines/plan.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

int pipe_plan_load(struct client *c, const struct pipe_plan_opts *o, struct pipe_plan *out,
                   struct ferr *err)
{
    (void)c;
    (void)o;
    memset(out, 0, sizeof(*out));
    return ferr_set(err, FERR_NOT_IMPLEMENTED, "pipelines: not implemented yet");
}

void pipe_plan_release(struct pipe_plan *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof(*p));
}

int pipe_step_render(const struct pipe_plan *p, size_t i, const struct pipe_step_bindings *b,
                     struct pipe_rendered *out, struct ferr *err)
{
    (void)p;
    (void)i;
    (void)b;
    (void)out;
    return ferr_set(err, FERR_NOT_IMPLEMENTED, "pipelines: not implemented yet");
}

void pipe_rendered_release(struct pipe_rendered *r)
{
    if (!r)
        return;
    sbuf_release(&r->command);
    sbuf_release(&r->script);
    kv_list_release(&r->params);
    kv_list_release(&r->env);
}
