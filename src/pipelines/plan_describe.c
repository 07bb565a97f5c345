/* SPDX-License-Identifier: MIT
 * pipe_plan_describe: a plan as text for --dry-run, each step rendered
 * with placeholders where a run would bind run ids and directories. */
#include "pipelines/plan.h"
#include "base/duration.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* The placeholders of every step: run ids, output dirs, output runs. */
struct placeholders {
    char **run_ids, **dirs;
    size_t n;
};

static void placeholders_init(struct placeholders *ph, const struct pipeline_spec *s)
{
    ph->n = s->nsteps;
    ph->run_ids = xcalloc(s->nsteps + 1, sizeof(char *));
    ph->dirs = xcalloc(s->nsteps + 1, sizeof(char *));
    for (size_t i = 0; i < s->nsteps; i++) {
        struct sbuf t = SBUF_INIT;
        sbuf_addf(&t, "%s.RUN_ID", s->steps[i].name);
        ph->run_ids[i] = sbuf_detach(&t, NULL);
        sbuf_addf(&t, "/tmp/ferry-pipeline-PIPELINE_RUN_ID/%s", s->steps[i].name);
        ph->dirs[i] = sbuf_detach(&t, NULL);
    }
}

static void placeholders_release(struct placeholders *ph)
{
    for (size_t i = 0; i < ph->n; i++) {
        free(ph->run_ids[i]);
        free(ph->dirs[i]);
    }
    free(ph->run_ids);
    free(ph->dirs);
}

static void describe_input(const struct pipe_plan *p, const struct pipe_input *in,
                           const struct placeholders *ph, struct sbuf *out, char **local)
{
    const struct pipe_step *from = &p->spec.steps[in->step];
    struct sbuf path = SBUF_INIT;
    switch (in->kind) {
    case PIPE_INPUT_PATH:
        sbuf_addf(out, "  input:     %s = %s (path)\n", in->name, in->path);
        sbuf_addstr(&path, in->path);
        break;
    case PIPE_INPUT_DATA:
        sbuf_addf(out, "  input:     %s = %s (data, digest %.12s)\n", in->name, in->uri,
                  in->data_digest);
        sbuf_addstr(&path, in->path);
        break;
    case PIPE_INPUT_STEP:
        sbuf_addf(out, "  input:     %s = steps.%s.outputs.%s%s\n", in->name, from->name,
                  from->outputs[in->output].name, in->implicit ? " (implicit)" : "");
        sbuf_addf(&path, "%s/%s", ph->dirs[in->step], from->outputs[in->output].path);
        break;
    }
    *local = sbuf_detach(&path, NULL);
}

static int describe_step(const struct pipe_plan *p, size_t i, const struct placeholders *ph,
                         struct sbuf *out, struct ferr *err)
{
    static const char *const kinds[] = {"run", "entry point", "uses"};
    const struct pipe_step *st = &p->spec.steps[i];
    const struct pipe_plan_step *ps = &p->steps[i];
    struct pipe_rendered r = PIPE_RENDERED_INIT;
    char **locals = xcalloc(ps->ninputs + 1, sizeof(char *));
    char dur[24];
    int rc;
    sbuf_addf(out, "step %s (%s%s%s)\n", st->name, kinds[st->kind], st->entry_point ? " " : "",
              st->entry_point ? st->entry_point : "");
    if (st->nupstream) {
        sbuf_addstr(out, "  after:    ");
        for (size_t k = 0; k < st->nupstream; k++)
            sbuf_addf(out, " %s", p->spec.steps[st->upstream[k]].name);
        sbuf_addch(out, '\n');
    }
    for (size_t k = 0; k < ps->ninputs; k++)
        describe_input(p, &ps->inputs[k], ph, out, &locals[k]);
    for (size_t k = 0; k < st->noutputs; k++)
        sbuf_addf(out, "  output:    %s = %s (%s)\n", st->outputs[k].name, st->outputs[k].path,
                  pipe_output_type_name(st->outputs[k].type));
    sbuf_addf(out, "  cache:     %s", !st->cache ? "off" : ps->from ? "no lookup (--from)" : "on");
    if (st->cache_max_age_ms) {
        duration_format(st->cache_max_age_ms, dur);
        sbuf_addf(out, ", max age %s", dur);
    }
    sbuf_addf(out, "; retries %d", st->retries);
    if (st->timeout_ms) {
        duration_format(st->timeout_ms, dur);
        sbuf_addf(out, "; timeout %s", dur);
    }
    sbuf_addch(out, '\n');
    struct pipe_step_bindings b = {ph->dirs[i],
                                   ph->run_ids[i],
                                   "PIPELINE_RUN_ID",
                                   (const char *const *)locals,
                                   (const char *const *)ph->run_ids,
                                   (const char *const *)ph->dirs,
                                   (const char *const *)ph->run_ids,
                                   NULL};
    rc = pipe_step_render(p, i, &b, &r, err);
    if (!rc) {
        for (size_t k = 0; k < r.params.n; k++)
            sbuf_addf(out, "  param:     %s=%s\n", r.params.v[k].key, r.params.v[k].value);
        for (size_t k = 0; k < r.env.n; k++)
            sbuf_addf(out, "  env:       %s=%s\n", r.env.v[k].key, r.env.v[k].value);
        sbuf_addf(out, "  command:   %s\n", r.command.buf);
        if (p->envm != ENVM_LOCAL)
            sbuf_addf(out, "  script:\n%s\n", r.script.buf);
    }
    pipe_rendered_release(&r);
    for (size_t k = 0; k < ps->ninputs; k++)
        free(locals[k]);
    free(locals);
    return rc;
}

int pipe_plan_describe(const struct pipe_plan *p, struct sbuf *out, struct ferr *err)
{
    struct placeholders ph;
    int rc = 0;
    sbuf_addf(out, "pipeline:    %s (%s)\nproject:     %s\nenvironment: %s\n", p->spec.name,
              p->spec_path, p->dir, env_manager_name(p->envm));
    for (size_t i = 0; i < p->params.n; i++)
        sbuf_addf(out, "param:       %s=%s\n", p->params.v[i].key, p->params.v[i].value);
    placeholders_init(&ph, &p->spec);
    for (size_t k = 0; k < p->spec.nsteps && !rc; k++)
        rc = describe_step(p, p->spec.order[k], &ph, out, err);
    placeholders_release(&ph);
    return rc ? -1 : 0;
}
