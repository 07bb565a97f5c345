/* SPDX-License-Identifier: MIT
 * Parsing a pipeline spec: the fields, the templates into references, the
 * step graph (upstream/downstream, topological order, cycles). The JSON
 * form and template expansion are in pipeline_spec_json.c. */
#include "domain/pipeline_spec.h"
#include "base/duration.h"
#include "base/xalloc.h"
#include "domain/builtin_steps.h"
#include "domain/data_version.h"
#include "domain/spec_field.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define WHAT          "pipeline spec"
#define PIPE_PATH_MAX 1024

static const char *const param_type_names[] = {"string", "float", "int", "path", "data"};
static const char *const output_type_names[] = {"file", "dataset", "model", "metrics"};

const char *pipe_param_type_name(enum pipe_param_type t)
{
    return (size_t)t < 5 ? param_type_names[t] : "?";
}

const char *pipe_output_type_name(enum pipe_output_type t)
{
    return (size_t)t < 4 ? output_type_names[t] : "?";
}

/* "pipeline spec: " + the message. */
__attribute__((format(printf, 2, 3))) static int bad(struct ferr *err, const char *fmt, ...)
{
    char msg[900];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, WHAT ": %s", msg);
}

/* [A-Za-z0-9_][A-Za-z0-9_-]*, <= PIPE_IDENT_MAX */
static int ident_ok(const char *s)
{
    static const char tail[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-";
    size_t n = strlen(s);
    return n > 0 && n <= PIPE_IDENT_MAX && s[0] != '-' && strspn(s, tail) == n;
}

/* [A-Za-z0-9][A-Za-z0-9._-]*, <= PIPE_NAME_MAX */
static int name_ok(const char *s)
{
    static const char tail[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
    size_t n = strlen(s);
    return n > 0 && n <= PIPE_NAME_MAX && strchr("._-", s[0]) == NULL && strspn(s, tail) == n;
}

/* [A-Za-z_][A-Za-z0-9_]* */
static int env_name_ok(const char *s)
{
    static const char tail[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_";
    size_t n = strlen(s);
    return n > 0 && n <= PIPE_IDENT_MAX && !(s[0] >= '0' && s[0] <= '9') && strspn(s, tail) == n;
}

/* A scalar as text: strings as they are, numbers as written back exactly,
 * booleans as true/false. -1 for null, arrays, objects. */
static int scalar_text(json_t *v, struct sbuf *out)
{
    if (json_is_string(v)) {
        sbuf_add(out, json_string_value(v), json_string_length(v));
    } else if (json_is_integer(v)) {
        sbuf_addf(out, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        double d = json_real_value(v);
        char buf[40];
        snprintf(buf, sizeof(buf), "%.15g", d);
        if (strtod(buf, NULL) != d)
            snprintf(buf, sizeof(buf), "%.17g", d);
        sbuf_addstr(out, buf);
    } else if (json_is_boolean(v)) {
        sbuf_addstr(out, json_is_true(v) ? "true" : "false");
    } else {
        return -1;
    }
    return 0;
}

/* A string with no NUL inside (jansson strings may hold one). */
static const char *plain_string(json_t *v)
{
    const char *s = json_string_value(v);
    return s && strlen(s) == json_string_length(v) ? s : NULL;
}

int pipe_param_check(const struct pipe_param *p, const char *value, struct ferr *err)
{
    char *end;
    errno = 0;
    switch (p->type) {
    case PIPE_PARAM_FLOAT: {
        double d = strtod(value, &end);
        if (!*value || *end || errno || isnan(d) || *value == ' ')
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "param '%.128s' must be a float, got '%.200s'", p->name, value);
        return 0;
    }
    case PIPE_PARAM_INT:
        (void)strtoll(value, &end, 10);
        if (!*value || *end || errno || *value == ' ')
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "param '%.128s' must be an integer, got '%.200s'", p->name, value);
        return 0;
    case PIPE_PARAM_PATH:
        if (!*value)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "param '%.128s' must be a path, got an empty value", p->name);
        return 0;
    case PIPE_PARAM_DATA: {
        struct data_ref r = DATA_REF_INIT;
        struct ferr e = FERR_INIT;
        if (!data_uri_is(value))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "param '%.128s' must be a data: URI (data:/NAME/VERSION, "
                            "data:/NAME@ALIAS), got '%.200s'",
                            p->name, value);
        if (data_uri_parse(value, &r, &e))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "param '%.128s': %s", p->name,
                            e.msg);
        data_ref_release(&r);
        return 0;
    }
    case PIPE_PARAM_STRING:
        return 0;
    }
    return 0;
}

/* ---------- lists ---------- */

static void push_index(size_t **v, size_t *n, size_t x)
{
    *v = xrealloc(*v, (*n + 1) * sizeof(**v));
    (*v)[(*n)++] = x;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorts and removes duplicates. */
static void sort_unique(size_t *v, size_t *n)
{
    size_t k = 0;
    if (!*n)
        return;
    qsort(v, *n, sizeof(*v), cmp_size);
    for (size_t i = 1; i < *n; i++)
        if (v[i] != v[k])
            v[++k] = v[i];
    *n = k + 1;
}

/* ---------- parsing state ---------- */

struct parser {
    struct pipeline_spec *s;
    json_t *index;     /* step name -> its index (json integer) */
    size_t step;       /* the step being parsed */
    const char *field; /* the field being parsed, for messages ("params.alpha") */
    int in_input;      /* parsing an input: only params.X and one whole steps.S.outputs.X */
    size_t **upstream; /* per step, before sort_unique */
    size_t *nupstream;
};

/* The step named name through the index; -1 when none. */
static int step_lookup(const struct parser *ps, const char *name, size_t *out)
{
    json_t *v = json_object_get(ps->index, name);
    if (!v)
        return -1;
    *out = (size_t)json_integer_value(v);
    return 0;
}

int pipeline_spec_step_index(const struct pipeline_spec *s, const char *name, size_t *out)
{
    for (size_t i = 0; i < s->nsteps; i++)
        if (!strcmp(s->steps[i].name, name)) {
            *out = i;
            return 0;
        }
    return -1;
}

const struct pipe_param *pipeline_spec_param(const struct pipeline_spec *s, const char *name)
{
    for (size_t i = 0; i < s->nparams; i++)
        if (!strcmp(s->params[i].name, name))
            return &s->params[i];
    return NULL;
}

static int output_lookup(const struct pipe_step *st, const char *name, size_t *out)
{
    for (size_t i = 0; i < st->noutputs; i++)
        if (!strcmp(st->outputs[i].name, name)) {
            *out = i;
            return 0;
        }
    return -1;
}

static int input_lookup(const struct pipe_step *st, const char *name, size_t *out)
{
    for (size_t i = 0; i < st->ninputs; i++)
        if (!strcmp(st->inputs[i].name, name)) {
            *out = i;
            return 0;
        }
    return -1;
}

static void add_param_ref(struct pipe_step *st, const char *name)
{
    for (size_t i = 0; i < st->nparam_refs; i++)
        if (!strcmp(st->param_refs[i], name))
            return;
    st->param_refs = xrealloc(st->param_refs, (st->nparam_refs + 1) * sizeof(char *));
    st->param_refs[st->nparam_refs++] = xstrdup(name);
}

/* ---------- templates ---------- */

static void push_part(struct pipe_template *t, const struct pipe_ref *r)
{
    t->parts = xrealloc(t->parts, (t->nparts + 1) * sizeof(*t->parts));
    t->parts[t->nparts++] = *r;
}

static void flush_text(struct pipe_template *t, struct sbuf *text)
{
    if (!text->len)
        return;
    struct pipe_ref r = {PIPE_REF_TEXT, xstrdup(text->buf), NULL, 0, 0};
    push_part(t, &r);
    sbuf_reset(text);
}

static void template_release(struct pipe_template *t)
{
    for (size_t i = 0; i < t->nparts; i++) {
        free(t->parts[i].text);
        free(t->parts[i].name);
    }
    free(t->parts);
    free(t->text);
    memset(t, 0, sizeof(*t));
}

/* Splits ref at dots into at most 5 pieces (NUL-terminated in place). */
static size_t split_dots(char *ref, char **pieces)
{
    size_t n = 0;
    for (char *p = ref;; p++) {
        if (n == 5)
            return 6; /* too many */
        pieces[n++] = p;
        p = strchr(p, '.');
        if (!p)
            return n;
        *p = '\0';
    }
}

/* The reference {ref} of the current step into *r. */
static int parse_ref(struct parser *ps, const char *ref, struct pipe_ref *r, struct ferr *err)
{
    struct pipe_step *st = &ps->s->steps[ps->step];
    char copy[600], *pc[5];
    size_t n;
    memset(r, 0, sizeof(*r));
    if (strlen(ref) >= sizeof(copy))
        goto unknown;
    memcpy(copy, ref, strlen(ref) + 1);
    n = split_dots(copy, pc);
    if (n == 1 && !strcmp(pc[0], "run_id")) {
        r->kind = PIPE_REF_RUN_ID;
    } else if (n == 2 && !strcmp(pc[0], "pipeline") && !strcmp(pc[1], "run_id")) {
        r->kind = PIPE_REF_PIPELINE_RUN_ID;
    } else if (n == 2 && !strcmp(pc[0], "params")) {
        if (!pipeline_spec_param(ps->s, pc[1]))
            return bad(err, "step '%s': %s: unknown param '%.128s' in '{%.200s}'", st->name,
                       ps->field, pc[1], ref);
        r->kind = PIPE_REF_PARAM;
        r->name = xstrdup(pc[1]);
        add_param_ref(st, pc[1]);
    } else if (n == 2 && !strcmp(pc[0], "inputs")) {
        if (input_lookup(st, pc[1], &r->index))
            return bad(err, "step '%s': %s: unknown input '%.128s' in '{%.200s}'", st->name,
                       ps->field, pc[1], ref);
        r->kind = PIPE_REF_INPUT;
        r->name = xstrdup(pc[1]);
    } else if (n == 2 && !strcmp(pc[0], "outputs")) {
        if (output_lookup(st, pc[1], &r->index))
            return bad(err, "step '%s': %s: unknown output '%.128s' in '{%.200s}'", st->name,
                       ps->field, pc[1], ref);
        r->kind = PIPE_REF_OUTPUT;
        r->name = xstrdup(pc[1]);
    } else if ((n == 3 || n == 4 || n == 5) && !strcmp(pc[0], "steps")) {
        if (step_lookup(ps, pc[1], &r->step))
            return bad(err, "step '%s': %s: unknown step '%.128s' in '{%.200s}'", st->name,
                       ps->field, pc[1], ref);
        if (n == 3 && !strcmp(pc[2], "run_id")) {
            r->kind = PIPE_REF_STEP_RUN_ID;
        } else if ((n == 4 || (n == 5 && !strcmp(pc[4], "uri"))) && !strcmp(pc[2], "outputs")) {
            if (output_lookup(&ps->s->steps[r->step], pc[3], &r->index))
                return bad(err, "step '%s': %s: step '%s' has no output '%.128s' in '{%.200s}'",
                           st->name, ps->field, pc[1], pc[3], ref);
            r->kind = n == 4 ? PIPE_REF_STEP_OUTPUT : PIPE_REF_STEP_OUTPUT_URI;
            r->name = xstrdup(pc[3]);
        } else {
            goto unknown;
        }
        push_index(&ps->upstream[ps->step], &ps->nupstream[ps->step], r->step);
    } else {
        goto unknown;
    }
    return 0;
unknown:
    return bad(err,
               "step '%s': %s: unknown reference '{%.200s}' (params.X, inputs.X, outputs.X, "
               "steps.S.outputs.X[.uri], steps.S.run_id, run_id, pipeline.run_id; {{ and }} "
               "are literal braces)",
               st->name, ps->field, ref);
}

/* What an input may hold: params.X anywhere, or one steps.S.outputs.X as
 * the whole value. */
static int check_input_refs(const struct parser *ps, const struct pipe_template *t,
                            struct ferr *err)
{
    const char *step = ps->s->steps[ps->step].name;
    for (size_t i = 0; i < t->nparts; i++) {
        enum pipe_ref_kind k = t->parts[i].kind;
        if (k == PIPE_REF_TEXT || k == PIPE_REF_PARAM)
            continue;
        if (k == PIPE_REF_STEP_OUTPUT && t->nparts == 1)
            continue;
        if (k == PIPE_REF_STEP_OUTPUT)
            return bad(err,
                       "step '%s': %s: a step output reference must be the whole input "
                       "('%.200s')",
                       step, ps->field, t->text);
        return bad(err,
                   "step '%s': %s: an input may use only {params.X} and one "
                   "{steps.S.outputs.X} ('%.200s')",
                   step, ps->field, t->text);
    }
    return 0;
}

static int parse_template(struct parser *ps, const char *text, struct pipe_template *out,
                          struct ferr *err)
{
    struct sbuf lit = SBUF_INIT, ref = SBUF_INIT;
    int rc = 0;
    memset(out, 0, sizeof(*out));
    out->text = xstrdup(text);
    for (const char *p = text; *p && !rc; p++) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            sbuf_addch(&lit, *p++);
            continue;
        }
        if (*p != '{') {
            sbuf_addch(&lit, *p);
            continue;
        }
        size_t len = strcspn(p + 1, "{}");
        if (p[1 + len] != '}') {
            rc = bad(err, "step '%s': %s: unclosed '{' in '%.200s' (write {{ for a literal brace)",
                     ps->s->steps[ps->step].name, ps->field, text);
            break;
        }
        struct pipe_ref r;
        sbuf_reset(&ref);
        sbuf_add(&ref, p + 1, len);
        if ((rc = parse_ref(ps, ref.buf, &r, err)))
            break;
        flush_text(out, &lit);
        push_part(out, &r);
        p += len + 1;
    }
    if (!rc)
        flush_text(out, &lit);
    if (!rc && ps->in_input)
        rc = check_input_refs(ps, out, err);
    sbuf_release(&lit);
    sbuf_release(&ref);
    if (rc)
        template_release(out);
    return rc ? -1 : 0;
}

/* ---------- fields ---------- */

/* The allowed keys of a step; the kind keys first. */
static const char *const step_keys[] = {
    "run",   "entry_point", "uses",    "params", "inputs",        "outputs", "deps", "env",
    "after", "retries",     "timeout", "cache",  "cache_max_age", "with",    NULL};

/* A map of templates (params, inputs, env). kind: "params" etc. */
static int parse_named(struct parser *ps, json_t *obj, const char *kind, int env_names,
                       struct pipe_named **out, size_t *nout, struct ferr *err)
{
    struct pipe_step *st = &ps->s->steps[ps->step];
    const char *k;
    json_t *v;
    char field[300];
    if (!obj || json_is_null(obj))
        return 0;
    if (!json_is_object(obj))
        return bad(err, "step '%s': %s must be a mapping", st->name, kind);
    *out = xcalloc(json_object_size(obj) ? json_object_size(obj) : 1, sizeof(**out));
    json_object_foreach(obj, k, v)
    {
        struct sbuf text = SBUF_INIT;
        if (env_names ? !env_name_ok(k) : !ident_ok(k))
            return bad(err, "step '%s': %s: bad name '%.128s' (%s)", st->name, kind, k,
                       env_names ? "[A-Za-z_][A-Za-z0-9_]*" : "[A-Za-z0-9_][A-Za-z0-9_-]*");
        snprintf(field, sizeof(field), "%s.%s", kind, k);
        if (scalar_text(v, &text) || strlen(text.buf) != text.len) {
            sbuf_release(&text);
            return bad(err, "step '%s': %s must be a string", st->name, field);
        }
        struct pipe_named *nm = &(*out)[*nout];
        nm->name = xstrdup(k);
        (*nout)++;
        ps->field = field;
        int rc = parse_template(ps, text.buf, &nm->t, err);
        sbuf_release(&text);
        if (rc)
            return -1;
    }
    return 0;
}

/* A relative path inside a directory, normalised into out: components
 * joined by one '/', "." dropped; refused: absolute, "..", empty. */
static int normal_path(const char *path, struct sbuf *out, const char **why)
{
    *why = NULL;
    if (!path || !*path)
        *why = "must not be empty";
    else if (path[0] == '/')
        *why = "must be relative";
    else if (strlen(path) > PIPE_PATH_MAX)
        *why = "is too long";
    if (*why)
        return -1;
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, "/");
        if (n == 2 && p[0] == '.' && p[1] == '.') {
            *why = "must not contain '..'";
            return -1;
        }
        if (n && !(n == 1 && p[0] == '.')) {
            if (out->len)
                sbuf_addch(out, '/');
            sbuf_add(out, p, n);
        }
        p += n;
        while (*p == '/')
            p++;
    }
    if (!out->len) {
        *why = "must name something inside the directory";
        return -1;
    }
    return 0;
}

static int parse_output(struct parser *ps, const char *name, json_t *v, struct pipe_output *o,
                        struct ferr *err)
{
    struct pipe_step *st = &ps->s->steps[ps->step];
    json_t *path = v;
    const char *why;
    char field[300];
    snprintf(field, sizeof(field), "steps.%s.outputs.%s", st->name, name);
    o->type = PIPE_OUT_FILE;
    if (json_is_object(v)) {
        static const char *const keys[] = {"path", "type", NULL};
        if (spec_only_keys(WHAT, v, field, keys, err))
            return -1;
        path = json_object_get(v, "path");
        json_t *type = json_object_get(v, "type");
        if (type) {
            size_t t;
            for (t = 0; t < 4; t++)
                if (json_is_string(type) && !strcmp(json_string_value(type), output_type_names[t]))
                    break;
            if (t == 4)
                return bad(err,
                           "step '%s': outputs.%s.type must be one of file, dataset, model, "
                           "metrics",
                           st->name, name);
            o->type = (enum pipe_output_type)t;
        }
    }
    if (!plain_string(path))
        return bad(err, "step '%s': outputs.%s needs a path (a string)", st->name, name);
    struct sbuf norm = SBUF_INIT;
    if (normal_path(json_string_value(path), &norm, &why)) {
        sbuf_release(&norm);
        return bad(err, "step '%s': outputs.%s: path '%.200s' %s", st->name, name,
                   json_string_value(path), why);
    }
    o->path = sbuf_detach(&norm, NULL);
    return 0;
}

/* No two outputs of a step on one path, nor one inside another. */
static int check_output_paths(const struct pipe_step *st, struct ferr *err)
{
    for (size_t i = 0; i < st->noutputs; i++)
        for (size_t j = 0; j < st->noutputs; j++) {
            const struct pipe_output *a = &st->outputs[i], *b = &st->outputs[j];
            size_t n = strlen(a->path);
            if (i < j && !strcmp(a->path, b->path))
                return bad(err, "step '%s': outputs '%s' and '%s' have the same path '%.200s'",
                           st->name, a->name, b->name, a->path);
            if (i != j && !strncmp(a->path, b->path, n) && b->path[n] == '/')
                return bad(err, "step '%s': output '%s' (%.200s) is inside output '%s' (%.200s)",
                           st->name, b->name, b->path, a->name, a->path);
        }
    return 0;
}

static int parse_outputs(struct parser *ps, json_t *obj, struct ferr *err)
{
    struct pipe_step *st = &ps->s->steps[ps->step];
    const char *k;
    json_t *v;
    if (!obj || json_is_null(obj))
        return 0;
    if (!json_is_object(obj))
        return bad(err, "step '%s': outputs must be a mapping", st->name);
    st->outputs = xcalloc(json_object_size(obj) ? json_object_size(obj) : 1, sizeof(*st->outputs));
    json_object_foreach(obj, k, v)
    {
        if (!ident_ok(k))
            return bad(err, "step '%s': outputs: bad name '%.128s' ([A-Za-z0-9_][A-Za-z0-9_-]*)",
                       st->name, k);
        struct pipe_output *o = &st->outputs[st->noutputs++];
        o->name = xstrdup(k);
        if (parse_output(ps, k, v, o, err))
            return -1;
    }
    return check_output_paths(st, err);
}

static int parse_deps(struct parser *ps, json_t *arr, struct ferr *err)
{
    struct pipe_step *st = &ps->s->steps[ps->step];
    size_t i;
    json_t *v;
    const char *why;
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return bad(err, "step '%s': deps must be a list of project paths", st->name);
    st->deps = xcalloc(json_array_size(arr) + 1, sizeof(char *));
    json_array_foreach(arr, i, v)
    {
        struct sbuf norm = SBUF_INIT;
        if (!plain_string(v)) {
            sbuf_release(&norm);
            return bad(err, "step '%s': deps[%zu] must be a path (a string)", st->name, i);
        }
        if (normal_path(json_string_value(v), &norm, &why)) {
            sbuf_release(&norm);
            return bad(err, "step '%s': deps[%zu]: '%.200s' %s", st->name, i, json_string_value(v),
                       why);
        }
        st->deps[st->ndeps++] = sbuf_detach(&norm, NULL);
    }
    return 0;
}

static int parse_after(struct parser *ps, json_t *arr, struct ferr *err)
{
    struct pipe_step *st = &ps->s->steps[ps->step];
    size_t i, k;
    json_t *v;
    if (!arr || json_is_null(arr))
        return 0;
    if (!json_is_array(arr))
        return bad(err, "step '%s': after must be a list of step names", st->name);
    json_array_foreach(arr, i, v)
    {
        if (!plain_string(v) || step_lookup(ps, json_string_value(v), &k))
            return bad(err, "step '%s': after: unknown step '%.128s'", st->name,
                       json_is_string(v) ? json_string_value(v) : "(not a string)");
        push_index(&st->after, &st->nafter, k);
        push_index(&ps->upstream[ps->step], &ps->nupstream[ps->step], k);
    }
    return 0;
}

/* The JSON text of v as a `with` template: strings as JSON strings (their
 * braces are the template's), every other brace of the JSON doubled. */
static void with_template_text(json_t *v, struct sbuf *out)
{
    const char *k;
    json_t *x;
    size_t i;
    char *text;
    if (json_is_object(v)) {
        sbuf_addstr(out, "{{");
        i = 0;
        json_object_foreach(v, k, x)
        {
            json_t *key = json_string(k);
            if (i++)
                sbuf_addch(out, ',');
            text = key ? json_dumps(key, JSON_ENCODE_ANY) : NULL;
            json_decref(key);
            for (const char *p = text ? text : "\"\""; *p; p++) {
                if (*p == '{' || *p == '}')
                    sbuf_addch(out, *p);
                sbuf_addch(out, *p);
            }
            free(text);
            sbuf_addch(out, ':');
            with_template_text(x, out);
        }
        sbuf_addstr(out, "}}");
        return;
    }
    if (json_is_array(v)) {
        sbuf_addch(out, '[');
        json_array_foreach(v, i, x)
        {
            if (i)
                sbuf_addch(out, ',');
            with_template_text(x, out);
        }
        sbuf_addch(out, ']');
        return;
    }
    text = json_dumps(v, JSON_ENCODE_ANY);
    sbuf_addstr(out, text ? text : "null");
    free(text);
}

/* uses: the built-in's name, its `with` checked and parsed into templates. */
static int parse_with(struct parser *ps, json_t *obj, struct ferr *err)
{
    struct pipe_step *st = &ps->s->steps[ps->step];
    json_t *uses = json_object_get(obj, "uses"), *with = json_object_get(obj, "with"), *v;
    const struct builtin_step *b = builtin_step_find(plain_string(uses), 0);
    struct ferr e = FERR_INIT;
    const char *k;
    char field[300];
    if (!b)
        return bad(err, "step '%s': uses: unknown built-in step '%.200s' (%s)", st->name,
                   plain_string(uses) ? json_string_value(uses) : "(not a string)",
                   builtin_step_names());
    st->uses = xstrdup(json_string_value(uses));
    if (json_object_get(obj, "params"))
        return bad(err, "step '%s': a built-in step takes with, not params", st->name);
    if (builtin_with_check(b, with, &e))
        return bad(err, "step '%s': %s", st->name, e.msg);
    if (!with || json_is_null(with))
        return 0;
    st->with_json = json_deep_copy(with);
    st->with = xcalloc(json_object_size(with) ? json_object_size(with) : 1, sizeof(*st->with));
    json_object_foreach(with, k, v)
    {
        struct sbuf text = SBUF_INIT;
        struct pipe_named *nm = &st->with[st->nwith];
        with_template_text(v, &text);
        if (strlen(text.buf) != text.len) {
            sbuf_release(&text);
            return bad(err, "step '%s': with.%.128s holds a NUL character", st->name, k);
        }
        nm->name = xstrdup(k);
        st->nwith++;
        snprintf(field, sizeof(field), "with.%.128s", k);
        ps->field = field;
        int rc = parse_template(ps, text.buf, &nm->t, err);
        sbuf_release(&text);
        if (rc)
            return -1;
    }
    return 0;
}

/* Pass 1 for a uses step: its outputs are the built-in's. An unknown
 * built-in is left to parse_with (pass 2) for its message. */
static int uses_outputs(struct parser *ps, json_t *obj, struct ferr *err)
{
    struct pipe_step *st = &ps->s->steps[ps->step];
    const struct builtin_step *b = builtin_step_find(plain_string(json_object_get(obj, "uses")), 0);
    if (!b)
        return 0;
    if (json_object_get(obj, "outputs"))
        return bad(err,
                   "step '%s': a built-in step declares its own outputs (ferry/%s writes "
                   "%s: %s); remove outputs",
                   st->name, b->name, b->output.name, b->output.path);
    st->outputs = xcalloc(1, sizeof(*st->outputs));
    st->outputs[0].name = xstrdup(b->output.name);
    st->outputs[0].path = xstrdup(b->output.path);
    st->outputs[0].type = PIPE_OUT_FILE;
    st->noutputs = 1;
    return 0;
}

/* The step's kind: exactly one of run, entry_point, uses. */
static int parse_kind(struct parser *ps, json_t *obj, struct ferr *err)
{
    struct pipe_step *st = &ps->s->steps[ps->step];
    json_t *run = json_object_get(obj, "run"), *ep = json_object_get(obj, "entry_point"),
           *uses = json_object_get(obj, "uses");
    if (!!run + !!ep + !!uses != 1)
        return bad(err, "step '%s': needs exactly one of run, entry_point and uses", st->name);
    if (uses) {
        st->kind = PIPE_STEP_USES;
        return parse_with(ps, obj, err);
    }
    if (json_object_get(obj, "with"))
        return bad(err, "step '%s': with is only for a built-in step (uses: ferry/NAME)", st->name);
    if (ep) {
        st->kind = PIPE_STEP_ENTRY_POINT;
        if (!plain_string(ep) || !json_string_length(ep))
            return bad(err, "step '%s': entry_point must be an entry point's name", st->name);
        st->entry_point = xstrdup(json_string_value(ep));
        return 0;
    }
    st->kind = PIPE_STEP_RUN;
    if (!plain_string(run) || !json_string_length(run))
        return bad(err, "step '%s': run must be a command (a string)", st->name);
    return 0; /* its template is parsed after the inputs it may name */
}

static int parse_exec(struct parser *ps, json_t *obj, struct ferr *err)
{
    struct pipe_step *st = &ps->s->steps[ps->step];
    char path[300];
    json_t *v;
    int64_t n;
    st->cache = 1;
    if ((v = json_object_get(obj, "retries"))) {
        snprintf(path, sizeof(path), "steps.%s.retries", st->name);
        if (spec_int(WHAT, v, path, 0, PIPE_RETRIES_MAX, &n, err))
            return -1;
        st->retries = (int)n;
    }
    if ((v = json_object_get(obj, "timeout")) && !json_is_null(v)) {
        snprintf(path, sizeof(path), "steps.%s.timeout", st->name);
        if (spec_duration(WHAT, v, path, &st->timeout_ms, err))
            return -1;
    }
    if ((v = json_object_get(obj, "cache"))) {
        snprintf(path, sizeof(path), "steps.%s.cache", st->name);
        if (spec_bool(WHAT, v, path, &st->cache, err))
            return -1;
    }
    if ((v = json_object_get(obj, "cache_max_age")) && !json_is_null(v)) {
        snprintf(path, sizeof(path), "steps.%s.cache_max_age", st->name);
        if (spec_duration(WHAT, v, path, &st->cache_max_age_ms, err))
            return -1;
    }
    return 0;
}

/* Everything of step i but its outputs (parsed before, for references). */
static int parse_step(struct parser *ps, json_t *obj, struct ferr *err)
{
    struct pipe_step *st = &ps->s->steps[ps->step];
    if (parse_kind(ps, obj, err))
        return -1;
    ps->in_input = 1;
    int rc = parse_named(ps, json_object_get(obj, "inputs"), "inputs", 0, &st->inputs, &st->ninputs,
                         err);
    ps->in_input = 0;
    if (rc)
        return -1;
    /* the run template may name inputs: parse it after them */
    if (st->kind == PIPE_STEP_RUN) {
        ps->field = "run";
        if (parse_template(ps, json_string_value(json_object_get(obj, "run")), &st->run, err))
            return -1;
    }
    if (parse_named(ps, json_object_get(obj, "params"), "params", 0, &st->params, &st->nparams,
                    err) ||
        parse_named(ps, json_object_get(obj, "env"), "env", 1, &st->env, &st->nenv, err) ||
        parse_deps(ps, json_object_get(obj, "deps"), err) ||
        parse_after(ps, json_object_get(obj, "after"), err) || parse_exec(ps, obj, err))
        return -1;
    return 0;
}

/* ---------- params ---------- */

static int parse_param(const char *name, json_t *v, struct pipe_param *p, struct ferr *err)
{
    char field[300];
    json_t *def = v;
    p->name = xstrdup(name);
    p->type = PIPE_PARAM_STRING;
    if (!ident_ok(name))
        return bad(err, "params: bad name '%.128s' ([A-Za-z0-9_][A-Za-z0-9_-]*)", name);
    snprintf(field, sizeof(field), "params.%s", name);
    if (json_is_object(v)) {
        static const char *const keys[] = {"type", "default", NULL};
        if (spec_only_keys(WHAT, v, field, keys, err))
            return -1;
        json_t *type = json_object_get(v, "type");
        def = json_object_get(v, "default");
        if (type) {
            size_t t;
            for (t = 0; t < 5; t++)
                if (json_is_string(type) && !strcmp(json_string_value(type), param_type_names[t]))
                    break;
            if (t == 5)
                return bad(err, "params.%s.type must be one of string, float, int, path, data",
                           name);
            p->type = (enum pipe_param_type)t;
        }
    } else if (json_is_array(v)) {
        return bad(err, "params.%s must be a value or {type, default}", name);
    }
    if (!def || json_is_null(def))
        return 0;
    struct sbuf text = SBUF_INIT;
    if (scalar_text(def, &text) || strlen(text.buf) != text.len) {
        sbuf_release(&text);
        return bad(err, "params.%s: the default must be a value", name);
    }
    p->def = sbuf_detach(&text, NULL);
    struct ferr e = FERR_INIT;
    if (pipe_param_check(p, p->def, &e))
        return bad(err, "params.%s: bad default: %s", name, e.msg);
    return 0;
}

static int parse_params(struct pipeline_spec *s, json_t *obj, struct ferr *err)
{
    const char *k;
    json_t *v;
    if (!obj || json_is_null(obj))
        return 0;
    if (!json_is_object(obj))
        return bad(err, "params must be a mapping");
    s->params = xcalloc(json_object_size(obj) ? json_object_size(obj) : 1, sizeof(*s->params));
    json_object_foreach(obj, k, v)
    {
        if (parse_param(k, v, &s->params[s->nparams++], err))
            return -1;
    }
    return 0;
}

/* ---------- the graph ---------- */

/* A min-heap of step indexes: ready steps leave in file order. */
struct heap {
    size_t *v, n;
};

static void heap_push(struct heap *h, size_t x)
{
    size_t i = h->n++;
    h->v[i] = x;
    while (i && h->v[(i - 1) / 2] > h->v[i]) {
        size_t p = (i - 1) / 2, t = h->v[p];
        h->v[p] = h->v[i];
        h->v[i] = t;
        i = p;
    }
}

static size_t heap_pop(struct heap *h)
{
    size_t top = h->v[0], i = 0;
    h->v[0] = h->v[--h->n];
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < h->n && h->v[l] < h->v[m])
            m = l;
        if (r < h->n && h->v[r] < h->v[m])
            m = r;
        if (m == i)
            break;
        size_t t = h->v[m];
        h->v[m] = h->v[i];
        h->v[i] = t;
        i = m;
    }
    return top;
}

/* The cycle among the steps left (done[i] == 0): from the first such step,
 * follow upstream links to steps left until one repeats; reported in the
 * direction data flows, starting at its first step in file order. */
static int report_cycle(const struct pipeline_spec *s, const unsigned char *done, struct ferr *err)
{
    size_t n = s->nsteps, start = 0, len = 0;
    size_t *path = xcalloc(n + 1, sizeof(size_t));
    size_t *seen_at = xcalloc(n, sizeof(size_t)); /* position + 1 in path */
    while (start < n && done[start])
        start++;
    size_t cur = start;
    while (!seen_at[cur]) {
        seen_at[cur] = ++len;
        path[len - 1] = cur;
        const struct pipe_step *st = &s->steps[cur];
        size_t next = cur;
        for (size_t k = 0; k < st->nupstream; k++)
            if (!done[st->upstream[k]]) {
                next = st->upstream[k];
                break;
            }
        cur = next; /* a step left always has an upstream step left */
    }
    /* the cycle is path[seen_at[cur]-1 .. len-1], each the downstream of the next */
    size_t first = seen_at[cur] - 1, m = len - first, best = first;
    for (size_t k = first; k < len; k++)
        if (path[k] < path[best])
            best = k;
    struct sbuf msg = SBUF_INIT;
    for (size_t k = 0; k <= m; k++) {
        /* walk backwards (upstream to downstream) from best */
        size_t pos = first + (best - first + m - (k % m)) % m;
        if (k)
            sbuf_addstr(&msg, " -> ");
        if (msg.len > 700) {
            sbuf_addstr(&msg, "...");
            break;
        }
        sbuf_addstr(&msg, s->steps[path[pos]].name);
    }
    bad(err, "cycle: %s", msg.buf);
    sbuf_release(&msg);
    free(path);
    free(seen_at);
    return -1;
}

static int build_graph(struct pipeline_spec *s, struct ferr *err)
{
    size_t n = s->nsteps, *indeg = xcalloc(n, sizeof(size_t)), norder = 0;
    unsigned char *done = xcalloc(n, 1);
    struct heap h = {xcalloc(n, sizeof(size_t)), 0};
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        struct pipe_step *st = &s->steps[i];
        indeg[i] = st->nupstream;
        for (size_t k = 0; k < st->nupstream; k++)
            push_index(&s->steps[st->upstream[k]].downstream,
                       &s->steps[st->upstream[k]].ndownstream, i);
    }
    s->order = xcalloc(n, sizeof(size_t));
    for (size_t i = 0; i < n; i++)
        if (!indeg[i])
            heap_push(&h, i);
    while (h.n) {
        size_t i = heap_pop(&h);
        s->order[norder++] = i;
        done[i] = 1;
        for (size_t k = 0; k < s->steps[i].ndownstream; k++)
            if (--indeg[s->steps[i].downstream[k]] == 0)
                heap_push(&h, s->steps[i].downstream[k]);
    }
    if (norder < n)
        rc = report_cycle(s, done, err);
    free(indeg);
    free(done);
    free(h.v);
    return rc;
}

void pipeline_spec_mark_dependants(const struct pipeline_spec *s, size_t i, unsigned char *mask)
{
    size_t *stack = xcalloc(s->nsteps + 1, sizeof(size_t)), n = 0;
    mask[i] = 1;
    stack[n++] = i;
    while (n) {
        const struct pipe_step *st = &s->steps[stack[--n]];
        for (size_t k = 0; k < st->ndownstream; k++)
            if (!mask[st->downstream[k]]) {
                mask[st->downstream[k]] = 1;
                stack[n++] = st->downstream[k];
            }
    }
    free(stack);
}

/* ---------- the whole ---------- */

static int parse_steps(struct pipeline_spec *s, json_t *steps, struct ferr *err)
{
    struct parser ps = {s, json_object(), 0, "", 0, NULL, NULL};
    const char *k;
    json_t *v;
    size_t i = 0;
    int rc = 0;
    if (!json_is_object(steps) || json_object_size(steps) == 0) {
        json_decref(ps.index);
        return bad(err, "steps must be a mapping of at least one step");
    }
    if (json_object_size(steps) > PIPE_STEPS_MAX) {
        json_decref(ps.index);
        return bad(err, "at most %d steps", PIPE_STEPS_MAX);
    }
    s->steps = xcalloc(json_object_size(steps), sizeof(*s->steps));
    ps.upstream = xcalloc(json_object_size(steps), sizeof(size_t *));
    ps.nupstream = xcalloc(json_object_size(steps), sizeof(size_t));
    /* pass 1: names, keys, outputs (so any step may name any other's) */
    json_object_foreach(steps, k, v)
    {
        struct pipe_step *st = &s->steps[s->nsteps++];
        st->name = xstrdup(k);
        st->cache = 1;
        char path[300];
        snprintf(path, sizeof(path), "steps.%.200s", k);
        if (!ident_ok(k)) {
            rc = bad(err, "steps: bad step name '%.128s' ([A-Za-z0-9_][A-Za-z0-9_-]*)", k);
            goto out;
        }
        if (!json_is_object(v)) {
            rc = bad(err, "step '%s' must be a mapping", k);
            goto out;
        }
        json_object_set_new(ps.index, k, json_integer((json_int_t)i));
        ps.step = i++;
        if ((rc = spec_only_keys(WHAT, v, path, step_keys, err)) ||
            (rc = json_object_get(v, "uses")
                      ? uses_outputs(&ps, v, err)
                      : parse_outputs(&ps, json_object_get(v, "outputs"), err)))
            goto out;
    }
    /* pass 2: everything that may refer to other steps */
    i = 0;
    json_object_foreach(steps, k, v)
    {
        ps.step = i++;
        if ((rc = parse_step(&ps, v, err)))
            goto out;
    }
    for (i = 0; i < s->nsteps; i++) {
        s->steps[i].upstream = ps.upstream[i];
        s->steps[i].nupstream = ps.nupstream[i];
        ps.upstream[i] = NULL;
        sort_unique(s->steps[i].upstream, &s->steps[i].nupstream);
    }
    rc = build_graph(s, err);
out:
    for (i = 0; i < json_object_size(steps); i++)
        free(ps.upstream[i]);
    free(ps.upstream);
    free(ps.nupstream);
    json_decref(ps.index);
    return rc ? -1 : 0;
}

int pipeline_spec_parse(json_t *doc, const char *name, struct pipeline_spec *out, struct ferr *err)
{
    static const char *const file_keys[] = {"name", "params", "steps", NULL};
    static const char *const section_keys[] = {"params", "steps", NULL};
    struct pipeline_spec s;
    memset(&s, 0, sizeof(s));
    memset(out, 0, sizeof(*out));
    if (!json_is_object(doc))
        return bad(err, "a pipeline must be a mapping (name, params, steps)");
    if (spec_only_keys(WHAT, doc, "", name ? section_keys : file_keys, err))
        return -1;
    const char *n = name ? name : plain_string(json_object_get(doc, "name"));
    if (name && !name_ok(name))
        return bad(err,
                   "pipelines: bad pipeline name '%.256s' (1 to %d of [A-Za-z0-9._-], starting "
                   "with a letter or digit)",
                   name, PIPE_NAME_MAX);
    if (!n || !name_ok(n))
        return bad(err, "'name' must be 1 to %d of [A-Za-z0-9._-], starting with a letter or digit",
                   PIPE_NAME_MAX);
    s.name = xstrdup(n);
    if (parse_params(&s, json_object_get(doc, "params"), err) ||
        parse_steps(&s, json_object_get(doc, "steps"), err)) {
        pipeline_spec_release(&s);
        return -1;
    }
    *out = s;
    return 0;
}

static void named_release(struct pipe_named *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(v[i].name);
        template_release(&v[i].t);
    }
    free(v);
}

static void step_release(struct pipe_step *st)
{
    free(st->name);
    template_release(&st->run);
    free(st->entry_point);
    free(st->uses);
    json_decref(st->with_json);
    named_release(st->with, st->nwith);
    named_release(st->params, st->nparams);
    named_release(st->inputs, st->ninputs);
    named_release(st->env, st->nenv);
    for (size_t i = 0; i < st->noutputs; i++) {
        free(st->outputs[i].name);
        free(st->outputs[i].path);
    }
    free(st->outputs);
    for (size_t i = 0; i < st->ndeps; i++)
        free(st->deps[i]);
    free(st->deps);
    for (size_t i = 0; i < st->nparam_refs; i++)
        free(st->param_refs[i]);
    free(st->param_refs);
    free(st->after);
    free(st->upstream);
    free(st->downstream);
}

void pipeline_spec_release(struct pipeline_spec *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nsteps; i++)
        step_release(&s->steps[i]);
    free(s->steps);
    for (size_t i = 0; i < s->nparams; i++) {
        free(s->params[i].name);
        free(s->params[i].def);
    }
    free(s->params);
    free(s->order);
    free(s->name);
    memset(s, 0, sizeof(*s));
}
