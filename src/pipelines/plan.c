/* SPDX-License-Identifier: MIT
 * pipe_plan_load: the project, the spec, the params bound, the inputs
 * resolved, the entry points checked, --from marked (plan.h). Rendering a
 * step at run time is in plan_render.c. */
#include "pipelines/plan.h"
#include "base/xalloc.h"
#include "base/yaml_json.h"
#include "client/client.h"
#include "data/data_fetch.h"
#include "data/data_port.h"
#include "domain/data_version.h"
#include "projects/run_setup.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/banned.h"

/* What loading needs beside the plan: data: URIs resolved once each. */
struct loader {
    struct client *client;
    struct pipe_plan *p;
    struct data_port *port; /* opened on the first data: URI */
    struct data_fetched *pinned;
    char **uris; /* the URI as written, for each of pinned */
    size_t npinned;
};

static void loader_release(struct loader *l)
{
    for (size_t i = 0; i < l->npinned; i++) {
        data_fetched_release(&l->pinned[i]);
        free(l->uris[i]);
    }
    free(l->pinned);
    free(l->uris);
    data_port_close(l->port);
}

/* uri resolved (nothing fetched) to its version; *out borrowed from l.
 * Errors name where the URI came from (what). */
static int pin(struct loader *l, const char *uri, const char *what, const struct data_fetched **out,
               struct ferr *err)
{
    struct data_fetch_opts fo = {NULL, 1};
    struct data_fetched f = DATA_FETCHED_INIT;
    struct ferr e = FERR_INIT;
    for (size_t i = 0; i < l->npinned; i++)
        if (!strcmp(l->uris[i], uri)) {
            *out = &l->pinned[i];
            return 0;
        }
    if (!l->port && data_port_open(client_uri(l->client), &l->port, &e))
        return ferr_set(err, e.code, "%s: cannot resolve '%.300s': %s", what, uri, e.msg);
    if (data_fetch(l->port, uri, &fo, &f, &e))
        return ferr_set(err, e.code, "%s: cannot resolve '%.300s': %s", what, uri, e.msg);
    l->pinned = xrealloc(l->pinned, (l->npinned + 1) * sizeof(*l->pinned));
    l->uris = xrealloc(l->uris, (l->npinned + 1) * sizeof(*l->uris));
    l->pinned[l->npinned] = f;
    l->uris[l->npinned] = xstrdup(uri);
    *out = &l->pinned[l->npinned++];
    return 0;
}

/* ---------- the project and the spec ---------- */

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Reads a YAML (or JSON) file into *doc. */
static int read_yaml(const char *path, json_t **doc, struct ferr *err)
{
    struct sbuf text = SBUF_INIT;
    struct ferr e = FERR_INIT;
    if (sbuf_read_file(&text, path, PIPE_SPEC_MAX_BYTES) < 0) {
        int en = errno;
        sbuf_release(&text);
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "cannot read '%.300s': %s", path,
                        en == EFBIG ? "larger than 16 MB" : strerror(en));
    }
    int rc = yaml_to_json(text.buf, text.len, doc, &e);
    sbuf_release(&text);
    if (rc)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%.300s: %s", path, e.msg);
    return 0;
}

/* The names of the MLproject's pipelines, ", "-separated, into out. */
static void section_names(json_t *pipelines, struct sbuf *out)
{
    const char *k;
    json_t *v;
    json_object_foreach(pipelines, k, v)
    {
        (void)v;
        sbuf_addf(out, "%s%s", out->len ? ", " : "", k);
    }
    if (!out->len)
        sbuf_addstr(out, "none");
}

/* The spec from the MLproject's pipelines: NAME, or its only one. */
static int spec_from_mlproject(struct pipe_plan *p, const char *name, struct ferr *err)
{
    json_t *all = p->proj.pipelines;
    struct sbuf names = SBUF_INIT;
    const char *k = name;
    json_t *v = NULL;
    section_names(all, &names);
    if (name) {
        v = json_object_get(all, name);
    } else if (json_object_size(all) == 1) {
        void *it = json_object_iter(all);
        k = json_object_iter_key(it);
        v = json_object_iter_value(it);
    }
    if (!v) {
        if (name)
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                     "no pipeline '%.200s' in %.300s/MLproject (it has: %s)", name, p->dir,
                     names.buf);
        else if (!p->proj.doc || !all)
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                     "no pipeline in %.300s: neither a pipeline.yaml nor an MLproject with "
                     "pipelines:",
                     p->dir);
        else
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                     "%.300s/MLproject has several pipelines: name one with --pipeline (%s)",
                     p->dir, names.buf);
        sbuf_release(&names);
        return -1;
    }
    sbuf_release(&names);
    struct sbuf path = SBUF_INIT;
    sbuf_addf(&path, "%s/MLproject", p->dir);
    p->spec_path = sbuf_detach(&path, NULL);
    return pipeline_spec_parse(v, k, &p->spec, err);
}

/* The spec from a pipeline.yaml-like file. */
static int spec_from_file(struct pipe_plan *p, const char *path, const char *want, struct ferr *err)
{
    json_t *doc = NULL;
    p->spec_path = xstrdup(path);
    if (read_yaml(path, &doc, err))
        return -1;
    int rc = pipeline_spec_parse(doc, NULL, &p->spec, err);
    json_decref(doc);
    if (rc)
        return -1;
    if (want && strcmp(want, p->spec.name))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "%.300s is pipeline '%.200s', not '%.200s'", path, p->spec.name, want);
    return 0;
}

/* Steps 1 and 2 of plan.h: project, MLproject, spec. */
static int load_spec(const struct pipe_plan_opts *o, struct pipe_plan *p, struct ferr *err)
{
    char real[PATH_MAX];
    const char *file = NULL;
    struct sbuf dir = SBUF_INIT;
    int rc;
    if (!o->uri || !*o->uri)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "name a pipeline file, a project directory or a git URI");
    if (!strchr(o->uri, '#') && is_file(o->uri) && realpath(o->uri, real)) {
        char *slash = strrchr(real, '/');
        sbuf_add(&dir, real, (size_t)(slash - real));
        if (!dir.len)
            sbuf_addch(&dir, '/');
        file = o->uri + strlen(o->uri);
        while (file > o->uri && file[-1] != '/')
            file--;
    } else {
        sbuf_addstr(&dir, o->uri);
    }
    rc = source_fetch(dir.buf, o->version, &p->src, err);
    sbuf_release(&dir);
    if (rc)
        return -1;
    p->dir = p->src.dir.buf;
    p->source_name = xstrdup(p->src.clone.len ? o->uri : p->dir);
    if (mlproject_load(p->dir, &p->proj, err))
        return -1;
    struct sbuf path = SBUF_INIT;
    if (file && strcmp(file, "MLproject")) {
        sbuf_addf(&path, "%s/%s", p->dir, file);
        rc = spec_from_file(p, path.buf, o->pipeline, err);
    } else if (file || o->pipeline) {
        sbuf_addf(&path, "%s/pipeline.yaml", p->dir);
        if (!file && o->pipeline && !json_object_get(p->proj.pipelines, o->pipeline) &&
            is_file(path.buf))
            rc = spec_from_file(p, path.buf, o->pipeline, err);
        else
            rc = spec_from_mlproject(p, o->pipeline, err);
    } else {
        sbuf_addf(&path, "%s/pipeline.yaml", p->dir);
        rc = is_file(path.buf) ? spec_from_file(p, path.buf, NULL, err)
                               : spec_from_mlproject(p, NULL, err);
    }
    sbuf_release(&path);
    return rc;
}

/* ---------- params ---------- */

static void list_params(const struct pipeline_spec *s, struct sbuf *out)
{
    for (size_t i = 0; i < s->nparams; i++)
        sbuf_addf(out, "%s%s", i ? ", " : "", s->params[i].name);
    if (!s->nparams)
        sbuf_addstr(out, "none");
}

static int bind_params(struct loader *l, const struct kv_list *given, struct ferr *err)
{
    struct pipe_plan *p = l->p;
    for (size_t i = 0; given && i < given->n; i++)
        if (!pipeline_spec_param(&p->spec, given->v[i].key)) {
            struct sbuf names = SBUF_INIT;
            list_params(&p->spec, &names);
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                     "unknown param '%.128s' for pipeline '%s' (its params: %.600s)",
                     given->v[i].key, p->spec.name, names.buf);
            sbuf_release(&names);
            return -1;
        }
    for (size_t i = 0; i < p->spec.nparams; i++) {
        const struct pipe_param *pp = &p->spec.params[i];
        const char *v = given ? kv_list_get(given, pp->name) : NULL;
        struct sbuf value = SBUF_INIT, what = SBUF_INIT;
        int rc = 0;
        if (!v)
            v = pp->def;
        if (!v) {
            rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                          "missing value for required param '%s' of pipeline '%s' (pass -P "
                          "%s=...)",
                          pp->name, p->spec.name, pp->name);
        } else if (!(rc = pipe_param_check(pp, v, err))) {
            const struct data_fetched *f;
            sbuf_addf(&what, "param '%s'", pp->name);
            if (data_uri_is(v)) {
                if (!(rc = pin(l, v, what.buf, &f, err)))
                    sbuf_addstr(&value, f->pinned);
            } else if (pp->type == PIPE_PARAM_PATH && v[0] != '/') {
                sbuf_addf(&value, "%s/%s", p->dir, v);
            } else {
                sbuf_addstr(&value, v);
            }
        }
        if (!rc)
            kv_list_add(&p->params, pp->name, value.buf);
        sbuf_release(&value);
        sbuf_release(&what);
        if (rc)
            return -1;
    }
    return 0;
}

/* ---------- inputs ---------- */

/* A resolver for plan time: params by value; every other reference as
 * written (arg NULL) or as a placeholder (arg non-NULL: checking an entry
 * point's params, where paths must look like paths). */
struct static_resolver {
    const struct pipe_plan *p;
    int placeholders;
};

static int resolve_static(void *arg, const struct pipe_ref *r, struct sbuf *value, struct ferr *err)
{
    const struct static_resolver *sr = arg;
    const struct pipeline_spec *s = &sr->p->spec;
    static const char zero_id[] = "00000000000000000000000000000000";
    (void)err;
    if (r->kind == PIPE_REF_PARAM) {
        const char *v = kv_list_get(&sr->p->params, r->name);
        sbuf_addstr(value, v ? v : "");
        return 0;
    }
    if (!sr->placeholders) {
        pipe_ref_format(s, r, value);
        return 0;
    }
    switch (r->kind) {
    case PIPE_REF_INPUT:
        sbuf_addf(value, "/ferry-plan/inputs/%s", r->name);
        break;
    case PIPE_REF_OUTPUT:
        sbuf_addf(value, "/ferry-plan/outputs/%s", r->name);
        break;
    case PIPE_REF_STEP_OUTPUT:
        sbuf_addf(value, "/ferry-plan/steps/%s/%s", s->steps[r->step].name,
                  s->steps[r->step].outputs[r->index].path);
        break;
    case PIPE_REF_STEP_OUTPUT_URI:
        sbuf_addf(value, "runs:/%s/outputs/%s", zero_id, s->steps[r->step].outputs[r->index].path);
        break;
    default:
        sbuf_addstr(value, zero_id);
        break;
    }
    return 0;
}

static struct pipe_input *new_input(struct pipe_plan_step *ps, const char *name, int implicit)
{
    ps->inputs = xrealloc(ps->inputs, (ps->ninputs + 1) * sizeof(*ps->inputs));
    struct pipe_input *in = &ps->inputs[ps->ninputs++];
    memset(in, 0, sizeof(*in));
    in->name = xstrdup(name);
    in->implicit = implicit;
    return in;
}

/* One `inputs:` entry of step i. */
static int resolve_input(struct loader *l, size_t i, const struct pipe_named *nm, struct ferr *err)
{
    struct pipe_plan *p = l->p;
    const struct pipe_step *st = &p->spec.steps[i];
    struct pipe_input *in = new_input(&p->steps[i], nm->name, 0);
    struct static_resolver sr = {p, 0};
    struct sbuf value = SBUF_INIT, what = SBUF_INIT, path = SBUF_INIT;
    char real[PATH_MAX];
    int rc = 0;
    if (nm->t.nparts == 1 && nm->t.parts[0].kind == PIPE_REF_STEP_OUTPUT) {
        in->kind = PIPE_INPUT_STEP;
        in->step = nm->t.parts[0].step;
        in->output = nm->t.parts[0].index;
        return 0;
    }
    sbuf_addf(&what, "step '%s': inputs.%s", st->name, nm->name);
    if ((rc = pipe_template_expand(&nm->t, resolve_static, &sr, NULL, &value, err)))
        goto out;
    if (!value.len) {
        rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s is empty", what.buf);
    } else if (data_uri_is(value.buf)) {
        const struct data_fetched *f;
        in->kind = PIPE_INPUT_DATA;
        if (!(rc = pin(l, value.buf, what.buf, &f, err))) {
            in->path = xstrdup(f->path);
            in->uri = xstrdup(f->pinned);
            in->data_name = xstrdup(f->name);
            in->data_version = f->version;
            in->data_digest = xstrdup(f->digest);
        }
    } else {
        in->kind = PIPE_INPUT_PATH;
        if (value.buf[0] == '/')
            sbuf_addstr(&path, value.buf);
        else
            sbuf_addf(&path, "%s/%s", p->dir, value.buf);
        if (!realpath(path.buf, real))
            rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                          "%s: no file or directory '%.300s'%s (%s)", what.buf, value.buf,
                          value.buf[0] == '/' ? "" : " in the project", strerror(errno));
        else
            in->path = xstrdup(real);
    }
out:
    sbuf_release(&value);
    sbuf_release(&what);
    sbuf_release(&path);
    return rc ? -1 : 0;
}

/* The step outputs a template names, as implicit inputs "S.X". */
static void implicit_inputs(struct pipe_plan *p, size_t i, const struct pipe_template *t)
{
    struct pipe_plan_step *ps = &p->steps[i];
    for (size_t k = 0; k < t->nparts; k++) {
        const struct pipe_ref *r = &t->parts[k];
        if (r->kind != PIPE_REF_STEP_OUTPUT && r->kind != PIPE_REF_STEP_OUTPUT_URI)
            continue;
        int seen = 0;
        for (size_t j = 0; j < ps->ninputs && !seen; j++)
            seen = ps->inputs[j].implicit && ps->inputs[j].step == r->step &&
                   ps->inputs[j].output == r->index;
        if (seen)
            continue;
        struct sbuf name = SBUF_INIT;
        sbuf_addf(&name, "%s.%s", p->spec.steps[r->step].name, r->name);
        struct pipe_input *in = new_input(ps, name.buf, 1);
        in->kind = PIPE_INPUT_STEP;
        in->step = r->step;
        in->output = r->index;
        sbuf_release(&name);
    }
}

/* ---------- step params ---------- */

/* A default from an MLproject parameter declaration, as text into out;
 * 0 when there is none. */
static int mlproject_default(json_t *decl, struct sbuf *out)
{
    json_t *def = json_is_object(decl) ? json_object_get(decl, "default") : NULL;
    if (json_is_string(def))
        sbuf_addstr(out, json_string_value(def));
    else if (json_is_integer(def))
        sbuf_addf(out, "%lld", (long long)json_integer_value(def));
    else if (json_is_real(def))
        sbuf_addf(out, "%.17g", json_real_value(def));
    else if (json_is_boolean(def))
        sbuf_addstr(out, json_is_true(def) ? "true" : "false");
    else
        return 0;
    return 1;
}

/* A data: value reaching an entry point's path parameter: refused (an
 * input is the way, so the engine fetches it and lineage records it). */
static int refuse_data(void *arg, const char *param, const char *uri, struct sbuf *local,
                       struct sbuf *record, struct ferr *err)
{
    (void)arg;
    (void)local;
    (void)record;
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                    "parameter '%.100s' is '%.200s': pass a data: URI as an input (inputs: "
                    "{x: \"data:...\"}) and the parameter as \"{inputs.x}\"",
                    param, uri);
}

static const struct mlproject_data_hook refuse_data_hook = {refuse_data, NULL};

/* The fingerprint's params of step i, and its entry point checked. */
static int step_params(struct pipe_plan *p, size_t i, struct ferr *err)
{
    const struct pipe_step *st = &p->spec.steps[i];
    struct pipe_plan_step *ps = &p->steps[i];
    struct static_resolver plain = {p, 0}, dummy = {p, 1};
    struct kv_list given = {0}, resolved = {0};
    struct sbuf v = SBUF_INIT, cmd = SBUF_INIT;
    struct ferr e = FERR_INIT;
    int rc = 0;
    for (size_t k = 0; k < st->nparam_refs; k++) {
        const char *val = kv_list_get(&p->params, st->param_refs[k]);
        kv_list_add(&ps->param_values, st->param_refs[k], val ? val : "");
    }
    for (size_t k = 0; k < st->nparams && !rc; k++) {
        sbuf_reset(&v);
        if (!(rc = pipe_template_expand(&st->params[k].t, resolve_static, &plain, NULL, &v, err)))
            kv_list_add(&ps->params, st->params[k].name, v.buf);
        sbuf_reset(&v);
        if (!rc &&
            !(rc = pipe_template_expand(&st->params[k].t, resolve_static, &dummy, NULL, &v, err)))
            kv_list_add(&given, st->params[k].name, v.buf);
    }
    if (rc || st->kind != PIPE_STEP_ENTRY_POINT)
        goto out;
    if (mlproject_command(&p->proj, p->dir, st->entry_point, &given, p->dir, &cmd, &resolved, &e)) {
        rc = ferr_set(err, e.code == FERR_OK ? FERR_INVALID_PARAMETER_VALUE : e.code,
                      "step '%s': entry_point '%.100s': %s", st->name, st->entry_point, e.msg);
        goto out;
    }
    const char *k;
    json_t *decl;
    json_t *ep = json_object_get(json_object_get(p->proj.doc, "entry_points"), st->entry_point);
    json_object_foreach(json_object_get(ep, "parameters"), k, decl)
    {
        sbuf_reset(&v);
        if (!kv_list_get(&ps->params, k) && mlproject_default(decl, &v))
            kv_list_add(&ps->params, k, v.buf);
    }
out:
    kv_list_release(&given);
    kv_list_release(&resolved);
    sbuf_release(&v);
    sbuf_release(&cmd);
    return rc ? -1 : 0;
}

/* ---------- the whole ---------- */

static int plan_steps(struct loader *l, struct ferr *err)
{
    struct pipe_plan *p = l->p;
    p->steps = xcalloc(p->spec.nsteps, sizeof(*p->steps));
    for (size_t i = 0; i < p->spec.nsteps; i++) {
        const struct pipe_step *st = &p->spec.steps[i];
        for (size_t k = 0; k < st->ninputs; k++)
            if (resolve_input(l, i, &st->inputs[k], err))
                return -1;
        implicit_inputs(p, i, &st->run);
        for (size_t k = 0; k < st->nparams; k++)
            implicit_inputs(p, i, &st->params[k].t);
        for (size_t k = 0; k < st->nenv; k++)
            implicit_inputs(p, i, &st->env[k].t);
        for (size_t k = 0; k < st->nwith; k++)
            implicit_inputs(p, i, &st->with[k].t);
        if (step_params(p, i, err))
            return -1;
        p->steps[i].canonical = pipe_step_canonical(&p->spec, i);
    }
    return 0;
}

static int mark_from(struct pipe_plan *p, const char *from, struct ferr *err)
{
    size_t i;
    if (!from)
        return 0;
    if (pipeline_spec_step_index(&p->spec, from, &i)) {
        struct sbuf names = SBUF_INIT;
        for (size_t k = 0; k < p->spec.nsteps && names.len < 600; k++)
            sbuf_addf(&names, "%s%s", k ? ", " : "", p->spec.steps[k].name);
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "--from: no step '%.128s' in pipeline '%s' (its steps: %.600s)", from,
                 p->spec.name, names.buf);
        sbuf_release(&names);
        return -1;
    }
    unsigned char *mask = xcalloc(p->spec.nsteps, 1);
    pipeline_spec_mark_dependants(&p->spec, i, mask);
    for (size_t k = 0; k < p->spec.nsteps; k++)
        p->steps[k].from = mask[k];
    free(mask);
    return 0;
}

/* The local store's directory (docker mounts it), as `ferry run` finds it
 * (projects/run_setup.h); NULL when there is none. */
static char *tracking_dir_of(struct client *c)
{
    struct sbuf d = SBUF_INIT;
    run_setup_tracking_dir(c, &d);
    if (!d.len) {
        sbuf_release(&d);
        return NULL;
    }
    return sbuf_detach(&d, NULL);
}

static int pick_env(struct pipe_plan *p, const struct pipe_plan_opts *o, struct ferr *err)
{
    struct sbuf script = SBUF_INIT;
    if (env_manager_pick(o->env_manager, &p->proj, &p->envm, err))
        return -1;
    int rc = env_manager_script(p->envm, &p->proj, p->dir, "true", p->tracking_dir, !o->dry_run,
                                &script, err);
    sbuf_release(&script);
    return rc;
}

int pipe_plan_load(struct client *c, const struct pipe_plan_opts *o, struct pipe_plan *out,
                   struct ferr *err)
{
    struct loader l;
    int rc;
    memset(out, 0, sizeof(*out));
    memset(&l, 0, sizeof(l));
    l.client = c;
    l.p = out;
    out->tracking_dir = c ? tracking_dir_of(c) : NULL;
    rc = load_spec(o, out, err);
    if (!rc) {
        out->proj.data = &refuse_data_hook;
        rc = bind_params(&l, o->params, err) || plan_steps(&l, err) ||
             mark_from(out, o->from_step, err) || pick_env(out, o, err);
    }
    if (!rc) {
        json_t *j = pipeline_spec_to_json(&out->spec);
        out->spec_json = json_dumps(j, JSON_INDENT(2));
        json_decref(j);
        if (!out->spec_json)
            rc = ferr_set(err, FERR_INTERNAL_ERROR, "cannot write the pipeline's JSON");
    }
    loader_release(&l);
    if (rc)
        pipe_plan_release(out);
    return rc ? -1 : 0;
}

void pipe_plan_release(struct pipe_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; p->steps && i < p->spec.nsteps; i++) {
        struct pipe_plan_step *ps = &p->steps[i];
        for (size_t k = 0; k < ps->ninputs; k++) {
            struct pipe_input *in = &ps->inputs[k];
            free(in->name);
            free(in->path);
            free(in->uri);
            free(in->data_name);
            free(in->data_digest);
        }
        free(ps->inputs);
        kv_list_release(&ps->params);
        kv_list_release(&ps->param_values);
        free(ps->canonical);
    }
    free(p->steps);
    pipeline_spec_release(&p->spec);
    mlproject_release(&p->proj);
    source_release(&p->src); /* removes a clone; a zeroed source is fine */
    free(p->spec_path);
    free(p->source_name);
    free(p->tracking_dir);
    free(p->spec_json);
    kv_list_release(&p->params);
    memset(p, 0, sizeof(*p));
}
