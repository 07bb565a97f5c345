/* SPDX-License-Identifier: MIT
 * libFuzzer target: a pipeline spec as a user writes it (pipeline.yaml, or
 * JSON, which YAML reads too). A spec either fails with
 * INVALID_PARAMETER_VALUE and a message, or parses into a consistent
 * graph: a topological order holding every step once, each step after all
 * its upstream steps, downstream lists the mirror of upstream ones, every
 * reference's indexes in range. A parsed spec's canonical JSON parses
 * again to the same JSON, and every template written back from its parts
 * parses to the same parts. Each input is also tried as an MLproject
 * `pipelines:` section (no `name`). A built-in step (`uses`, issue 21) has
 * exactly the built-in's one output, and its `with` renders to a JSON
 * object with the keys written (references given values full of quotes,
 * backslashes and control characters), equal to `with` itself when it
 * holds no reference. Nothing may crash, leak or trip UBSan. */
#include "base/yaml_json.h"
#include "domain/pipeline_spec.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_refs(const struct pipeline_spec *s, const struct pipe_step *st,
                       const struct pipe_template *t)
{
    struct sbuf back = SBUF_INIT;
    for (size_t i = 0; i < t->nparts; i++) {
        const struct pipe_ref *r = &t->parts[i];
        switch (r->kind) {
        case PIPE_REF_INPUT:
            if (r->index >= st->ninputs)
                abort();
            break;
        case PIPE_REF_OUTPUT:
            if (r->index >= st->noutputs)
                abort();
            break;
        case PIPE_REF_STEP_OUTPUT:
        case PIPE_REF_STEP_OUTPUT_URI:
            if (r->step >= s->nsteps || r->index >= s->steps[r->step].noutputs)
                abort();
            break;
        case PIPE_REF_STEP_RUN_ID:
            if (r->step >= s->nsteps)
                abort();
            break;
        case PIPE_REF_PARAM:
            if (!pipeline_spec_param(s, r->name))
                abort();
            break;
        default:
            break;
        }
        pipe_ref_format(s, r, &back);
    }
    /* the text written back reads as the same parts (a lone '}' doubles) */
    if (t->text && strcmp(back.buf, t->text) && strlen(back.buf) < strlen(t->text))
        abort();
    sbuf_release(&back);
}

static int nasty(void *arg, const struct pipe_ref *r, struct sbuf *value, struct ferr *err)
{
    (void)arg;
    (void)r;
    (void)err;
    sbuf_addstr(value, "a\"b\\c\n{d}\x01");
    return 0;
}

static void check_with(const struct pipeline_spec *s, const struct pipe_step *st)
{
    struct ferr err = FERR_INIT;
    json_t *w = NULL;
    int refs = 0;
    if (st->kind != PIPE_STEP_USES) {
        if (st->nwith || st->with_json)
            abort();
        return;
    }
    if (st->noutputs != 1 || !st->uses)
        abort();
    for (size_t k = 0; k < st->nwith; k++) {
        check_refs(s, st, &st->with[k].t);
        for (size_t i = 0; i < st->with[k].t.nparts; i++)
            refs |= st->with[k].t.parts[i].kind != PIPE_REF_TEXT;
    }
    if (pipe_with_expand(st, nasty, NULL, &w, &err))
        abort();
    if (json_object_size(w) != st->nwith)
        abort();
    /* without references, expanding only undoes the {{ }} escapes: equal
     * to the spec's own with unless it has any */
    char *raw = st->with_json ? json_dumps(st->with_json, JSON_COMPACT) : NULL;
    int escapes = raw && (strstr(raw, "{{") || strstr(raw, "}}"));
    free(raw);
    if (!refs && !escapes && st->with_json && !json_equal(w, st->with_json))
        abort();
    json_decref(w);
}

static void check_graph(const struct pipeline_spec *s)
{
    size_t *pos = calloc(s->nsteps ? s->nsteps : 1, sizeof(size_t));
    unsigned char *seen = calloc(s->nsteps ? s->nsteps : 1, 1);
    if (!pos || !seen)
        abort();
    for (size_t k = 0; k < s->nsteps; k++) {
        if (s->order[k] >= s->nsteps || seen[s->order[k]])
            abort();
        seen[s->order[k]] = 1;
        pos[s->order[k]] = k;
    }
    for (size_t i = 0; i < s->nsteps; i++) {
        const struct pipe_step *st = &s->steps[i];
        for (size_t k = 0; k < st->nupstream; k++) {
            size_t u = st->upstream[k], j;
            if (u >= s->nsteps || pos[u] >= pos[i])
                abort();
            for (j = 0; j < s->steps[u].ndownstream; j++)
                if (s->steps[u].downstream[j] == i)
                    break;
            if (j == s->steps[u].ndownstream)
                abort();
        }
        check_refs(s, st, &st->run);
        for (size_t k = 0; k < st->nparams; k++)
            check_refs(s, st, &st->params[k].t);
        for (size_t k = 0; k < st->ninputs; k++)
            check_refs(s, st, &st->inputs[k].t);
        for (size_t k = 0; k < st->nenv; k++)
            check_refs(s, st, &st->env[k].t);
        check_with(s, st);
        free(pipe_step_canonical(s, i));
    }
    free(pos);
    free(seen);
}

static void check_spec(const struct pipeline_spec *s)
{
    struct ferr err = FERR_INIT;
    struct pipeline_spec again;
    check_graph(s);
    json_t *j = pipeline_spec_to_json(s);
    if (pipeline_spec_parse(j, NULL, &again, &err))
        abort();
    json_t *j2 = pipeline_spec_to_json(&again);
    if (!json_equal(j, j2))
        abort();
    json_decref(j);
    json_decref(j2);
    pipeline_spec_release(&again);
}

static void try_parse(json_t *doc, const char *name)
{
    struct ferr err = FERR_INIT;
    struct pipeline_spec s;
    if (pipeline_spec_parse(doc, name, &s, &err) == 0) {
        check_spec(&s);
        pipeline_spec_release(&s);
    } else if (err.code != FERR_INVALID_PARAMETER_VALUE || !err.msg[0]) {
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ferr err = FERR_INIT;
    json_t *doc = NULL;
    if (size > 256 * 1024)
        return 0;
    if (yaml_to_json((const char *)data, size, &doc, &err) == 0) {
        try_parse(doc, NULL);
        if (json_is_object(doc)) {
            json_object_del(doc, "name");
            try_parse(doc, "section");
        }
        json_decref(doc);
    }
    return 0;
}
