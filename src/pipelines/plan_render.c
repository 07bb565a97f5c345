/* SPDX-License-Identifier: MIT
 * pipe_step_render: a planned step's templates filled with what it is
 * bound to at run time, its command built (a run template, or the
 * MLproject entry point's) and wrapped in the env manager's script. */
#include "pipelines/plan.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

struct render {
    const struct pipe_plan *p;
    size_t step;
    const struct pipe_step_bindings *b;
};

/* element i of an optional array, or NULL */
static const char *at(const char *const *v, size_t i)
{
    return v ? v[i] : NULL;
}

static int unbound(const struct render *r, const struct pipe_ref *ref, struct ferr *err)
{
    struct sbuf text = SBUF_INIT;
    pipe_ref_format(&r->p->spec, ref, &text);
    ferr_set(err, FERR_INVALID_STATE, "step '%s': %.300s has no value yet",
             r->p->spec.steps[r->step].name, text.buf);
    sbuf_release(&text);
    return -1;
}

static int resolve_bound(void *arg, const struct pipe_ref *ref, struct sbuf *value,
                         struct ferr *err)
{
    const struct render *r = arg;
    const struct pipe_step_bindings *b = r->b;
    const struct pipeline_spec *s = &r->p->spec;
    const struct pipe_step *st = &s->steps[r->step];
    const char *v = NULL, *path = NULL;
    switch (ref->kind) {
    case PIPE_REF_TEXT:
        v = ref->text;
        break;
    case PIPE_REF_PARAM:
        v = kv_list_get(&r->p->params, ref->name);
        break;
    case PIPE_REF_INPUT:
        v = at(b->input_paths, ref->index);
        break;
    case PIPE_REF_OUTPUT:
        v = b->output_dir;
        path = st->outputs[ref->index].path;
        break;
    case PIPE_REF_STEP_OUTPUT:
        v = at(b->step_output_dirs, ref->step);
        path = s->steps[ref->step].outputs[ref->index].path;
        break;
    case PIPE_REF_STEP_OUTPUT_URI:
        v = at(b->step_output_runs, ref->step);
        if (!v)
            return unbound(r, ref, err);
        sbuf_addf(value, "runs:/%s/outputs/%s", v, s->steps[ref->step].outputs[ref->index].path);
        return 0;
    case PIPE_REF_STEP_RUN_ID:
        v = at(b->step_run_ids, ref->step);
        break;
    case PIPE_REF_RUN_ID:
        v = b->run_id;
        break;
    case PIPE_REF_PIPELINE_RUN_ID:
        v = b->pipeline_run_id;
        break;
    }
    if (!v)
        return unbound(r, ref, err);
    sbuf_addstr(value, v);
    if (path)
        sbuf_addf(value, "/%s", path);
    return 0;
}

/* Each named template expanded raw into out. */
static int expand_named(struct render *r, const struct pipe_named *v, size_t n, struct kv_list *out,
                        struct ferr *err)
{
    struct sbuf value = SBUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        sbuf_reset(&value);
        if (!(rc = pipe_template_expand(&v[i].t, resolve_bound, r, NULL, &value, err)))
            kv_list_add(out, v[i].name, value.buf);
    }
    sbuf_release(&value);
    return rc;
}

int pipe_step_render(const struct pipe_plan *p, size_t i, const struct pipe_step_bindings *b,
                     struct pipe_rendered *out, struct ferr *err)
{
    const struct pipe_step *st = &p->spec.steps[i];
    struct render r = {p, i, b};
    struct kv_list given = {0};
    struct ferr e = FERR_INIT;
    int rc = 0;
    const char *tracking_dir = b->tracking_dir ? b->tracking_dir : p->tracking_dir;
    if (st->kind == PIPE_STEP_RUN) {
        rc = expand_named(&r, st->params, st->nparams, &out->params, err) ||
             pipe_template_expand(&st->run, resolve_bound, &r, shell_quote, &out->command, err);
    } else if (st->kind == PIPE_STEP_ENTRY_POINT) {
        rc = expand_named(&r, st->params, st->nparams, &given, err);
        if (!rc && mlproject_command(&p->proj, p->dir, st->entry_point, &given, p->dir,
                                     &out->command, &out->params, &e))
            rc = ferr_set(err, e.code, "step '%s': entry_point '%.100s': %s", st->name,
                          st->entry_point, e.msg);
    } else {
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "step '%s': unknown built-in step",
                      st->name);
    }
    if (!rc)
        rc = expand_named(&r, st->env, st->nenv, &out->env, err) ||
             env_manager_script(p->envm, &p->proj, p->dir, out->command.buf, tracking_dir, 0,
                                &out->script, err);
    kv_list_release(&given);
    if (rc)
        pipe_rendered_release(out);
    return rc ? -1 : 0;
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
