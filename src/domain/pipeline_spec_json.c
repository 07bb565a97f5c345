/* SPDX-License-Identifier: MIT
 * A parsed pipeline spec as JSON again (canonical: what is logged as
 * pipeline/pipeline.json and what step fingerprints hash), references
 * written back, templates expanded. */
#include "domain/pipeline_spec.h"
#include "base/duration.h"
#include "base/json.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static void add_braced(struct sbuf *out, const char *text)
{
    for (const char *p = text; *p; p++) {
        if (*p == '{' || *p == '}')
            sbuf_addch(out, *p);
        sbuf_addch(out, *p);
    }
}

void pipe_ref_format(const struct pipeline_spec *s, const struct pipe_ref *r, struct sbuf *out)
{
    const char *step = (r->kind == PIPE_REF_STEP_OUTPUT || r->kind == PIPE_REF_STEP_OUTPUT_URI ||
                        r->kind == PIPE_REF_STEP_RUN_ID) &&
                               r->step < s->nsteps
                           ? s->steps[r->step].name
                           : "?";
    switch (r->kind) {
    case PIPE_REF_TEXT:
        add_braced(out, r->text);
        break;
    case PIPE_REF_PARAM:
        sbuf_addf(out, "{params.%s}", r->name);
        break;
    case PIPE_REF_INPUT:
        sbuf_addf(out, "{inputs.%s}", r->name);
        break;
    case PIPE_REF_OUTPUT:
        sbuf_addf(out, "{outputs.%s}", r->name);
        break;
    case PIPE_REF_STEP_OUTPUT:
        sbuf_addf(out, "{steps.%s.outputs.%s}", step, r->name);
        break;
    case PIPE_REF_STEP_OUTPUT_URI:
        sbuf_addf(out, "{steps.%s.outputs.%s.uri}", step, r->name);
        break;
    case PIPE_REF_STEP_RUN_ID:
        sbuf_addf(out, "{steps.%s.run_id}", step);
        break;
    case PIPE_REF_RUN_ID:
        sbuf_addstr(out, "{run_id}");
        break;
    case PIPE_REF_PIPELINE_RUN_ID:
        sbuf_addstr(out, "{pipeline.run_id}");
        break;
    }
}

int pipe_template_expand(const struct pipe_template *t, pipe_resolve_fn *resolve, void *arg,
                         void (*quote)(struct sbuf *out, const char *s), struct sbuf *out,
                         struct ferr *err)
{
    struct sbuf value = SBUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < t->nparts && !rc; i++) {
        const struct pipe_ref *r = &t->parts[i];
        if (r->kind == PIPE_REF_TEXT) {
            sbuf_addstr(out, r->text);
            continue;
        }
        sbuf_reset(&value);
        if ((rc = resolve(arg, r, &value, err)))
            break;
        if (quote)
            quote(out, value.buf);
        else
            sbuf_add(out, value.buf, value.len);
    }
    sbuf_release(&value);
    return rc ? -1 : 0;
}

static json_t *named_json(const struct pipe_named *v, size_t n)
{
    json_t *o = json_object();
    for (size_t i = 0; i < n; i++)
        json_object_set_new(o, v[i].name, json_string(v[i].t.text));
    return o;
}

static void add_duration(json_t *o, const char *key, int64_t ms)
{
    char buf[24];
    duration_format(ms, buf);
    json_object_set_new(o, key, json_string(buf));
}

json_t *pipe_step_to_json(const struct pipeline_spec *s, size_t i, int with_exec)
{
    const struct pipe_step *st = &s->steps[i];
    json_t *o = json_object();
    if (st->kind == PIPE_STEP_RUN)
        json_object_set_new(o, "run", json_string(st->run.text));
    else if (st->kind == PIPE_STEP_ENTRY_POINT)
        json_object_set_new(o, "entry_point", json_string(st->entry_point));
    else
        json_object_set_new(o, "uses", json_string(st->uses ? st->uses : ""));
    if (st->nparams)
        json_object_set_new(o, "params", named_json(st->params, st->nparams));
    if (st->ninputs)
        json_object_set_new(o, "inputs", named_json(st->inputs, st->ninputs));
    if (st->kind == PIPE_STEP_USES && st->with_json)
        json_object_set_new(o, "with", json_deep_copy(st->with_json));
    if (st->noutputs && st->kind != PIPE_STEP_USES) { /* a built-in's outputs are its own */
        json_t *outs = json_object();
        for (size_t k = 0; k < st->noutputs; k++)
            json_object_set_new(outs, st->outputs[k].name,
                                json_pack("{s:s, s:s}", "path", st->outputs[k].path, "type",
                                          pipe_output_type_name(st->outputs[k].type)));
        json_object_set_new(o, "outputs", outs);
    }
    if (st->ndeps) {
        json_t *deps = json_array();
        for (size_t k = 0; k < st->ndeps; k++)
            json_array_append_new(deps, json_string(st->deps[k]));
        json_object_set_new(o, "deps", deps);
    }
    if (st->nenv)
        json_object_set_new(o, "env", named_json(st->env, st->nenv));
    if (st->nafter) {
        json_t *after = json_array();
        for (size_t k = 0; k < st->nafter; k++)
            json_array_append_new(after, json_string(s->steps[st->after[k]].name));
        json_object_set_new(o, "after", after);
    }
    if (!with_exec)
        return o;
    if (st->retries)
        json_object_set_new(o, "retries", json_integer(st->retries));
    if (st->timeout_ms)
        add_duration(o, "timeout", st->timeout_ms);
    if (!st->cache)
        json_object_set_new(o, "cache", json_false());
    if (st->cache_max_age_ms)
        add_duration(o, "cache_max_age", st->cache_max_age_ms);
    return o;
}

char *pipe_step_canonical(const struct pipeline_spec *s, size_t i)
{
    json_t *j = pipe_step_to_json(s, i, 0);
    char *text = fjson_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(j);
    return text;
}

json_t *pipeline_spec_to_json(const struct pipeline_spec *s)
{
    json_t *doc = json_object(), *params = json_object(), *steps = json_object();
    json_object_set_new(doc, "name", json_string(s->name));
    for (size_t i = 0; i < s->nparams; i++) {
        json_t *p = json_pack("{s:s}", "type", pipe_param_type_name(s->params[i].type));
        if (s->params[i].def)
            json_object_set_new(p, "default", json_string(s->params[i].def));
        json_object_set_new(params, s->params[i].name, p);
    }
    if (s->nparams)
        json_object_set_new(doc, "params", params);
    else
        json_decref(params);
    for (size_t i = 0; i < s->nsteps; i++)
        json_object_set_new(steps, s->steps[i].name, pipe_step_to_json(s, i, 1));
    json_object_set_new(doc, "steps", steps);
    return doc;
}

void pipe_with_quote(struct sbuf *out, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            sbuf_addch(out, '\\'), sbuf_addch(out, (char)*p);
        else if (*p < 0x20)
            sbuf_addf(out, "\\u%04x", *p);
        else
            sbuf_addch(out, (char)*p);
    }
}

int pipe_with_expand(const struct pipe_step *st, pipe_resolve_fn *resolve, void *arg, json_t **out,
                     struct ferr *err)
{
    struct sbuf text = SBUF_INIT;
    json_t *obj = json_object();
    int rc = 0;
    *out = NULL;
    for (size_t i = 0; i < st->nwith && !rc; i++) {
        json_error_t je;
        sbuf_reset(&text);
        if ((rc = pipe_template_expand(&st->with[i].t, resolve, arg, pipe_with_quote, &text, err)))
            break;
        json_t *v = json_loadb(text.buf, text.len, JSON_DECODE_ANY, &je);
        if (!v) {
            rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                          "step '%s': with.%s does not render to JSON: %s", st->name,
                          st->with[i].name, je.text);
            break;
        }
        json_object_set_new(obj, st->with[i].name, v);
    }
    sbuf_release(&text);
    if (rc) {
        json_decref(obj);
        return -1;
    }
    *out = obj;
    return 0;
}
