/* SPDX-License-Identifier: MIT
 * pipe_step_render: a planned step's templates filled with what it is
 * bound to at run time, its command built (a run template, or the
 * MLproject entry point's) and wrapped in the env manager's script. */
#include "pipelines/plan.h"
#include "domain/builtin_steps.h"

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

/* A built-in step: `"$FERRY" step NAME --with-json 'JSON' --out DIR`, and
 * each top-level `with` value logged as a param (strings as they are,
 * others as compact JSON). */
static int render_uses(struct render *r, const struct pipe_step *st, struct pipe_rendered *out,
                       struct ferr *err)
{
    json_t *with = NULL, *v;
    const char *k;
    if (pipe_with_expand(st, resolve_bound, r, &with, err))
        return -1;
    char *text = json_dumps(with, JSON_COMPACT | JSON_SORT_KEYS);
    if (!text) {
        json_decref(with);
        return ferr_set(err, FERR_INTERNAL_ERROR, "step '%s': cannot encode with", st->name);
    }
    const char *name = st->uses + strlen(BUILTIN_PREFIX);
    sbuf_addf(&out->command, "\"$FERRY\" step %s --with-json ", name);
    shell_quote(&out->command, text);
    sbuf_addstr(&out->command, " --out ");
    if (r->b->output_dir)
        shell_quote(&out->command, r->b->output_dir);
    else /* a plan shown before any directory exists: the shell expands it */
        sbuf_addstr(&out->command, "\"$FERRY_STEP_OUTPUTS\"");
    free(text);
    json_object_foreach(with, k, v)
    {
        char *vt = json_is_string(v) ? NULL : json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
        kv_list_add(&out->params, k, vt ? vt : json_string_value(v) ? json_string_value(v) : "");
        free(vt);
    }
    json_decref(with);
    return 0;
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
        rc = render_uses(&r, st, out, err);
    }
    if (!rc)
        rc = expand_named(&r, st->env, st->nenv, &out->env, err);
    /* a built-in is this ferry binary: never inside the project's env */
    if (!rc && st->kind == PIPE_STEP_USES)
        sbuf_addstr(&out->script, out->command.buf);
    else if (!rc)
        rc = env_manager_script(p->envm, &p->proj, p->dir, out->command.buf, tracking_dir, 0,
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
