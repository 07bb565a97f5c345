/* SPDX-License-Identifier: MIT
 * The engine's events: to the caller's callback, or printed as `ferry
 * pipelines run` shows them. */
#include "pipelines/engine_int.h"
#include "base/log.h"

#include <stdio.h>
#include <string.h>

#include "base/banned.h"

const char *pipe_step_state_name(enum pipe_step_state s)
{
    static const char *const names[] = {"PENDING", "RUNNING", "COMPLETE", "CACHED",
                                        "FAILED",  "KILLED",  "SKIPPED"};
    return (size_t)s < sizeof(names) / sizeof(names[0]) ? names[s] : "UNKNOWN";
}

/* The first 8 characters of a run id, then "...". */
static void short_id(char out[16], const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n > 8)
        n = 8;
    memcpy(out, id ? id : "", n);
    memcpy(out + n, "...", 4);
}

void pipe_event_print(FILE *out, const struct pipe_event *ev)
{
    char id[16], from[16];
    short_id(id, ev->run_id);
    short_id(from, ev->cached_from);
    switch (ev->kind) {
    case PIPE_EVENT_PIPELINE_STARTED:
        fprintf(out, "pipeline %s: run %s in experiment %s\n", ev->pipeline, ev->pipeline_run_id,
                ev->experiment_id);
        break;
    case PIPE_EVENT_STEP_STARTED:
        fprintf(out, "%-9s RUNNING   run %s\n", ev->step, id);
        break;
    case PIPE_EVENT_STEP_RETRY:
        fprintf(out, "%-9s RETRY     attempt %d (%s)\n", ev->step, ev->attempt,
                ev->reason ? ev->reason : "failed");
        break;
    case PIPE_EVENT_STEP_ENDED:
        if (ev->state == PIPE_STEP_CACHED)
            fprintf(out, "%-9s CACHED    from %s\n", ev->step, from);
        else if (ev->state == PIPE_STEP_SKIPPED)
            fprintf(out, "%-9s SKIPPED   (%s)\n", ev->step, ev->reason ? ev->reason : "");
        else if (ev->reason)
            fprintf(out, "%-9s %-9s %.1fs  run %s (%s)\n", ev->step,
                    pipe_step_state_name(ev->state), ev->seconds, id, ev->reason);
        else
            fprintf(out, "%-9s %-9s %.1fs  run %s\n", ev->step, pipe_step_state_name(ev->state),
                    ev->seconds, id);
        break;
    case PIPE_EVENT_PIPELINE_ENDED:
        fprintf(out,
                "pipeline %s %s in %.1fs: %zu complete, %zu cached, %zu failed, %zu killed, "
                "%zu skipped (run %s)\n",
                ev->pipeline,
                ev->state == PIPE_STEP_COMPLETE ? "FINISHED" : pipe_step_state_name(ev->state),
                ev->seconds, ev->complete, ev->cached, ev->failed, ev->killed, ev->skipped,
                ev->pipeline_run_id);
        break;
    }
    (void)fflush(out);
}

void engine_emit(struct engine *e, struct pipe_event *ev)
{
    ev->pipeline = e->plan->spec.name;
    ev->pipeline_run_id = e->run_id;
    ev->experiment_id = e->exp_id;
    if (e->o->on_event)
        e->o->on_event(e->o->event_arg, ev);
    else
        pipe_event_print(stdout, ev);
}

void engine_lineage_failed(struct engine *e, const struct ferr *err)
{
    if (!e->lineage_failed)
        log_warn("pipeline %s: the lineage is not recorded (nor is the cache): %s",
                 e->plan->spec.name, err->msg);
    e->lineage_failed = 1;
}
