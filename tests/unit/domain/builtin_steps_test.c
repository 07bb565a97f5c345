/* SPDX-License-Identifier: MIT
 * The `uses:`/`with:` part of domain/pipeline_spec.c and the table of
 * domain/builtin_steps.c: a built-in step gets the built-in's output, its
 * `with` strings are templates (a step output named there makes the step
 * upstream), its canonical JSON holds `with` and parses back; refused: an
 * unknown built-in, declared outputs, params, an unknown or missing with
 * key per built-in, `with` on a run step, a bad reference inside `with`.
 * pipe_with_expand renders `with` to JSON, escaping what a reference gives. */
#include "../test.h"
#include "base/yaml_json.h"
#include "domain/builtin_steps.h"
#include "domain/pipeline_spec.h"

#include <stdlib.h>
#include <string.h>

static int parse(const char *yaml, struct pipeline_spec *s, struct ferr *err)
{
    json_t *doc = NULL;
    if (yaml_to_json(yaml, strlen(yaml), &doc, err))
        FAIL_AT("bad YAML in the test: %s", err->msg);
    int rc = pipeline_spec_parse(doc, NULL, s, err);
    json_decref(doc);
    return rc;
}

static void refused(const char *yaml, const char *needle1, const char *needle2)
{
    struct pipeline_spec s;
    struct ferr err = FERR_INIT;
    ASSERT_FAILS(parse(yaml, &s, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "pipeline spec: ");
    ASSERT_CONTAINS(err.msg, needle1);
    if (needle2)
        ASSERT_CONTAINS(err.msg, needle2);
    ASSERT(s.steps == NULL);
}

static const char *const good =
    "name: p\n"
    "params: {data: d.csv, min_acc: '0.8'}\n"
    "steps:\n"
    "  train: {run: 'python train.py {outputs.model}', outputs: {model: {path: model, type: "
    "model}}}\n"
    "  eval:\n"
    "    uses: ferry/evaluate\n"
    "    with: {candidate: '{steps.train.outputs.model.uri}', data: '{params.data}', target: y,\n"
    "           metrics: [accuracy, f1], slices: {region: all}}\n"
    "  gate:\n"
    "    uses: ferry/gate\n"
    "    with: {evaluation: '{steps.eval.outputs.report}', min: {accuracy: '{params.min_acc}'}}\n"
    "    retries: 1\n";

TEST(builtin_steps_table)
{
    size_t n;
    const struct builtin_step *b = builtin_steps(&n);
    ASSERT_INT_EQ(n, 5);
    ASSERT(builtin_step_find("ferry/gate", 0) == &b[2]);
    ASSERT(builtin_step_find("gate", 0) == NULL);
    ASSERT(builtin_step_find("gate", 1) == &b[2]);
    ASSERT(builtin_step_find("ferry/gates", 1) == NULL);
    ASSERT(builtin_step_find(NULL, 1) == NULL);
    ASSERT_STR_EQ(builtin_step_find("ferry/validate-data", 0)->output.path, "validation.json");
    ASSERT_STR_EQ(builtin_step_find("ferry/register", 0)->output.name, "version");
    ASSERT_STR_EQ(builtin_step_find("ferry/deploy", 0)->output.name, "rollout");
}

TEST(builtin_steps_with_check)
{
    struct ferr err = FERR_INIT;
    const struct builtin_step *g = builtin_step_find("ferry/gate", 0);
    json_t *w = json_pack("{s:s, s:{}}", "evaluation", "x", "min");
    ASSERT_OK(builtin_with_check(g, w, &err), &err);
    json_object_set_new(w, "maxx", json_true());
    ASSERT_FAILS(builtin_with_check(g, w, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "with: unknown key 'maxx' for ferry/gate (it takes evaluation, min");
    json_decref(w);
    ASSERT_FAILS(builtin_with_check(g, NULL, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_STR_EQ(err.msg, "with: ferry/gate needs 'evaluation'");
    w = json_pack("{s:n}", "evaluation");
    ASSERT_FAILS(builtin_with_check(g, w, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_STR_EQ(err.msg, "with: ferry/gate needs 'evaluation'");
    json_decref(w);
    w = json_string("x");
    ASSERT_FAILS(builtin_with_check(g, w, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "with must be a mapping");
    json_decref(w);
}

TEST(builtin_steps_parse)
{
    struct pipeline_spec s;
    struct ferr err = FERR_INIT;
    ASSERT_OK(parse(good, &s, &err), &err);
    const struct pipe_step *e = &s.steps[1], *g = &s.steps[2];
    ASSERT_INT_EQ(e->kind, PIPE_STEP_USES);
    ASSERT_STR_EQ(e->uses, "ferry/evaluate");
    ASSERT_INT_EQ(e->noutputs, 1);
    ASSERT_STR_EQ(e->outputs[0].name, "report");
    ASSERT_STR_EQ(e->outputs[0].path, "evaluation.json");
    ASSERT_INT_EQ(e->nwith, 5);
    /* the with references make train upstream of eval, eval of gate */
    ASSERT_INT_EQ(e->nupstream, 1);
    ASSERT_INT_EQ(e->upstream[0], 0);
    ASSERT_INT_EQ(g->nupstream, 1);
    ASSERT_INT_EQ(g->upstream[0], 1);
    ASSERT_INT_EQ(g->retries, 1);
    ASSERT_INT_EQ(e->nparam_refs, 1);
    ASSERT_STR_EQ(e->param_refs[0], "data");
    /* the canonical JSON keeps with as written, no outputs, and parses back */
    json_t *j = pipeline_spec_to_json(&s);
    json_t *ej = json_object_get(json_object_get(j, "steps"), "eval");
    ASSERT(json_object_get(ej, "outputs") == NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(ej, "with"), "target")), "y");
    struct pipeline_spec s2;
    ASSERT_OK(pipeline_spec_parse(j, NULL, &s2, &err), &err);
    json_t *j2 = pipeline_spec_to_json(&s2);
    ASSERT(json_equal(j, j2));
    json_decref(j);
    json_decref(j2);
    pipeline_spec_release(&s2);
    pipeline_spec_release(&s);
}

static int resolve(void *arg, const struct pipe_ref *r, struct sbuf *value, struct ferr *err)
{
    (void)arg;
    (void)err;
    if (r->kind == PIPE_REF_PARAM)
        sbuf_addstr(value, !strcmp(r->name, "data") ? "a \"quoted\"\\path\n" : "0.8");
    else
        sbuf_addstr(value, "/out/x");
    return 0;
}

TEST(builtin_steps_with_expand)
{
    struct pipeline_spec s;
    struct ferr err = FERR_INIT;
    json_t *w = NULL;
    ASSERT_OK(parse(good, &s, &err), &err);
    ASSERT_OK(pipe_with_expand(&s.steps[1], resolve, NULL, &w, &err), &err);
    ASSERT_STR_EQ(json_string_value(json_object_get(w, "data")), "a \"quoted\"\\path\n");
    ASSERT_STR_EQ(json_string_value(json_object_get(w, "candidate")), "/out/x");
    ASSERT_INT_EQ(json_array_size(json_object_get(w, "metrics")), 2);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(w, "slices"), "region")),
                  "all");
    json_decref(w);
    ASSERT_OK(pipe_with_expand(&s.steps[2], resolve, NULL, &w, &err), &err);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(w, "min"), "accuracy")),
                  "0.8");
    json_decref(w);
    pipeline_spec_release(&s);
}

TEST(builtin_steps_literal_braces_in_with)
{
    struct pipeline_spec s;
    struct ferr err = FERR_INIT;
    json_t *w = NULL;
    ASSERT_OK(parse("name: p\nsteps:\n  r:\n    uses: ferry/register\n"
                    "    with: {model: 'runs:/x/m', name: 'n{{1}}', tags: {'k{{': 'v'}}\n",
                    &s, &err),
              &err);
    ASSERT_OK(pipe_with_expand(&s.steps[0], resolve, NULL, &w, &err), &err);
    ASSERT_STR_EQ(json_string_value(json_object_get(w, "name")), "n{1}");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_object_get(w, "tags"), "k{{")), "v");
    json_decref(w);
    pipeline_spec_release(&s);
}

TEST(builtin_steps_refused)
{
    refused("name: p\nsteps:\n  a: {uses: ferry/train}\n",
            "step 'a': uses: unknown built-in step 'ferry/train'", "ferry/validate-data, ");
    refused("name: p\nsteps:\n  a: {uses: gate, with: {evaluation: x}}\n",
            "unknown built-in step 'gate'", NULL);
    refused("name: p\nsteps:\n  a: {uses: [ferry/gate]}\n", "unknown built-in step '(not a string)'",
            NULL);
    refused("name: p\nsteps:\n  a: {uses: ferry/gate, with: {evaluation: x}, outputs: {v: v.json}}\n",
            "step 'a': a built-in step declares its own outputs (ferry/gate writes verdict: "
            "gate.json)",
            NULL);
    refused("name: p\nsteps:\n  a: {uses: ferry/gate, with: {evaluation: x}, params: {k: v}}\n",
            "step 'a': a built-in step takes with, not params", NULL);
    refused("name: p\nsteps:\n  a: {uses: ferry/gate, run: x, with: {evaluation: x}}\n",
            "needs exactly one of run, entry_point and uses", NULL);
    refused("name: p\nsteps:\n  a: {run: x, with: {evaluation: x}}\n",
            "step 'a': with is only for a built-in step", NULL);
    /* with keys per built-in */
    refused("name: p\nsteps:\n  a: {uses: ferry/gate, with: {evaluation: x, minimum: {}}}\n",
            "step 'a': with: unknown key 'minimum' for ferry/gate", NULL);
    refused("name: p\nsteps:\n  a: {uses: ferry/gate}\n", "step 'a': with: ferry/gate needs "
                                                          "'evaluation'",
            NULL);
    refused("name: p\nsteps:\n  a: {uses: ferry/validate-data, with: {reference: r.csv}}\n",
            "with: ferry/validate-data needs 'data'", NULL);
    refused("name: p\nsteps:\n  a: {uses: ferry/validate-data, with: {data: d, expect: {}}}\n",
            "unknown key 'expect' for ferry/validate-data", NULL);
    refused("name: p\nsteps:\n  a: {uses: ferry/evaluate, with: {candidate: m, data: d}}\n",
            "with: ferry/evaluate needs 'target'", NULL);
    refused("name: p\nsteps:\n  a: {uses: ferry/evaluate, with: {candidate: m, data: d, "
            "target: y, champ: c}}\n",
            "unknown key 'champ' for ferry/evaluate", NULL);
    refused("name: p\nsteps:\n  a: {uses: ferry/register, with: {model: m}}\n",
            "with: ferry/register needs 'name'", NULL);
    refused("name: p\nsteps:\n  a: {uses: ferry/register, with: {model: m, name: n, stage: x}}\n",
            "unknown key 'stage' for ferry/register", NULL);
    refused("name: p\nsteps:\n  a: {uses: ferry/deploy, with: {deployment: d}}\n",
            "with: ferry/deploy needs 'version'", NULL);
    refused("name: p\nsteps:\n  a: {uses: ferry/deploy, with: {deployment: d, version: v, "
            "after: 1}}\n",
            "unknown key 'after' for ferry/deploy", NULL);
    refused("name: p\nsteps:\n  a: {uses: ferry/gate, with: []}\n", "with must be a mapping",
            NULL);
    /* references inside with are checked as everywhere */
    refused("name: p\nsteps:\n  a: {uses: ferry/gate, with: {evaluation: '{steps.b.outputs.x}'}}\n",
            "step 'a': with.evaluation: unknown step 'b'", NULL);
    refused("name: p\nsteps:\n  b: {uses: ferry/gate, with: {evaluation: e}}\n"
            "  a: {uses: ferry/register, with: {model: m, name: n, verdict: "
            "'{steps.b.outputs.report}'}}\n",
            "step 'b' has no output 'report'", NULL);
    refused("name: p\nsteps:\n  a: {uses: ferry/gate, with: {evaluation: '{params.nope}'}}\n",
            "with.evaluation: unknown param 'nope'", NULL);
    refused("name: p\nsteps:\n  a: {uses: ferry/gate, with: {evaluation: 'x{'}}\n",
            "with.evaluation: unclosed '{'", NULL);
    /* a cycle through with */
    refused("name: p\nsteps:\n  a: {uses: ferry/gate, with: {evaluation: '{steps.b.outputs.verdict}'}}\n"
            "  b: {uses: ferry/gate, with: {evaluation: '{steps.a.outputs.verdict}'}}\n",
            "cycle: a -> b -> a", NULL);
}
