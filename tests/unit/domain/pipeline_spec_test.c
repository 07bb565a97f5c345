/* SPDX-License-Identifier: MIT
 * domain/pipeline_spec.c: the example parses (kinds, references
 * with their indexes, upstream/downstream, topological order, the params
 * each step uses, defaults of the execution fields), its canonical JSON
 * parses back to the same JSON, a step's canonical text leaves out the
 * execution fields; templates expand with and without quoting ({{ }}
 * literal); and every bad spec is refused with a message naming the step
 * and field: a cycle (named), unknown references of each kind, unknown
 * keys, bad durations, retries out of range, duplicate and nested output
 * paths, ".." and absolute paths, `uses:`, bad names and params. */
#include "../test.h"
#include "base/yaml_json.h"
#include "domain/pipeline_spec.h"

#include <stdlib.h>
#include <string.h>

static int parse(const char *yaml, const char *name, struct pipeline_spec *s, struct ferr *err)
{
    json_t *doc = NULL;
    if (yaml_to_json(yaml, strlen(yaml), &doc, err))
        FAIL_AT("bad YAML in the test: %s", err->msg);
    int rc = pipeline_spec_parse(doc, name, s, err);
    json_decref(doc);
    return rc;
}

/* The spec must be refused with a message holding each of the needles. */
static void refused(const char *yaml, const char *needle1, const char *needle2)
{
    struct pipeline_spec s;
    struct ferr err = FERR_INIT;
    ASSERT_FAILS(parse(yaml, NULL, &s, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "pipeline spec: ");
    ASSERT_CONTAINS(err.msg, needle1);
    if (needle2)
        ASSERT_CONTAINS(err.msg, needle2);
    ASSERT(s.steps == NULL && s.name == NULL);
}

static const char example[] =
    "name: fraud-training\n"
    "params: {alpha: 0.01, data: \"data:/transactions@prod\", n: {type: int, default: 3},\n"
    "         req: {type: float}}\n"
    "steps:\n"
    "  prep:\n"
    "    run: python3 prep.py --in {inputs.raw} --out {outputs.train} --test {outputs.test}\n"
    "    inputs: {raw: \"{params.data}\"}\n"
    "    outputs: {train: train.csv, test: ./sub//test.csv}\n"
    "  train:\n"
    "    entry_point: train\n"
    "    params: {alpha: \"{params.alpha}\", train: \"{steps.prep.outputs.train}\"}\n"
    "    outputs: {model: {path: model/, type: model}}\n"
    "    retries: 1\n"
    "    timeout: 30m\n"
    "    cache_max_age: 7d\n"
    "  evaluate:\n"
    "    run: eval --model {steps.train.outputs.model} --test {steps.prep.outputs.test} "
    "{{literal}} {run_id} {pipeline.run_id}\n"
    "    outputs: {metrics: {path: metrics.json, type: metrics}}\n"
    "    env: {MODEL_URI: \"{steps.train.outputs.model.uri}\", ALPHA: \"{params.alpha}\"}\n"
    "    deps: [eval.py, ./lib/]\n"
    "    cache: false\n"
    "  notify:\n"
    "    run: echo {steps.evaluate.run_id}\n"
    "    after: [train]\n";

TEST(pipeline_spec_parses_the_example)
{
    struct pipeline_spec s;
    struct ferr err = FERR_INIT;
    ASSERT_OK(parse(example, NULL, &s, &err), &err);
    ASSERT_STR_EQ(s.name, "fraud-training");
    ASSERT_INT_EQ(s.nparams, 4);
    ASSERT_STR_EQ(s.params[0].name, "alpha");
    ASSERT_INT_EQ(s.params[0].type, PIPE_PARAM_STRING);
    ASSERT_STR_EQ(s.params[0].def, "0.01");
    ASSERT_INT_EQ(s.params[2].type, PIPE_PARAM_INT);
    ASSERT_STR_EQ(s.params[2].def, "3");
    ASSERT_INT_EQ(s.params[3].type, PIPE_PARAM_FLOAT);
    ASSERT(s.params[3].def == NULL);
    ASSERT_INT_EQ(s.nsteps, 4);
    const struct pipe_step *prep = &s.steps[0], *train = &s.steps[1], *ev = &s.steps[2],
                           *notify = &s.steps[3];
    ASSERT_INT_EQ(prep->kind, PIPE_STEP_RUN);
    ASSERT_STR_EQ(prep->outputs[1].path, "sub/test.csv");
    ASSERT_INT_EQ(prep->outputs[0].type, PIPE_OUT_FILE);
    ASSERT_INT_EQ(prep->nupstream, 0);
    ASSERT_INT_EQ(prep->nparam_refs, 1);
    ASSERT_STR_EQ(prep->param_refs[0], "data");
    /* run's parts: text, {inputs.raw}, text, {outputs.train}, text, {outputs.test} */
    ASSERT_INT_EQ(prep->run.nparts, 6);
    ASSERT_INT_EQ(prep->run.parts[1].kind, PIPE_REF_INPUT);
    ASSERT_INT_EQ(prep->run.parts[5].kind, PIPE_REF_OUTPUT);
    ASSERT_INT_EQ(prep->run.parts[5].index, 1);
    ASSERT_INT_EQ(train->kind, PIPE_STEP_ENTRY_POINT);
    ASSERT_STR_EQ(train->entry_point, "train");
    ASSERT_STR_EQ(train->outputs[0].path, "model");
    ASSERT_INT_EQ(train->outputs[0].type, PIPE_OUT_MODEL);
    ASSERT_INT_EQ(train->retries, 1);
    ASSERT_INT_EQ(train->timeout_ms, 30 * 60 * 1000);
    ASSERT_INT_EQ(train->cache_max_age_ms, 7LL * 24 * 3600 * 1000);
    ASSERT_INT_EQ(train->cache, 1);
    ASSERT_INT_EQ(train->nupstream, 1);
    ASSERT_INT_EQ(train->upstream[0], 0);
    ASSERT_INT_EQ(train->params[1].t.parts[0].kind, PIPE_REF_STEP_OUTPUT);
    ASSERT_INT_EQ(train->params[1].t.parts[0].step, 0);
    ASSERT_INT_EQ(ev->cache, 0);
    ASSERT_INT_EQ(ev->nupstream, 2);
    ASSERT_INT_EQ(ev->ndeps, 2);
    ASSERT_STR_EQ(ev->deps[1], "lib");
    ASSERT_INT_EQ(ev->env[0].t.parts[0].kind, PIPE_REF_STEP_OUTPUT_URI);
    ASSERT_INT_EQ(ev->nparam_refs, 1);
    ASSERT_STR_EQ(ev->param_refs[0], "alpha");
    ASSERT_INT_EQ(notify->nupstream, 2); /* evaluate (run_id) and train (after) */
    ASSERT_INT_EQ(notify->upstream[0], 1);
    ASSERT_INT_EQ(notify->upstream[1], 2);
    ASSERT_INT_EQ(prep->ndownstream, 2);
    ASSERT_INT_EQ(s.order[0], 0);
    ASSERT_INT_EQ(s.order[1], 1);
    ASSERT_INT_EQ(s.order[2], 2);
    ASSERT_INT_EQ(s.order[3], 3);
    size_t i;
    ASSERT(pipeline_spec_step_index(&s, "evaluate", &i) == 0 && i == 2);
    ASSERT(pipeline_spec_step_index(&s, "nope", &i) == -1);
    unsigned char mask[4] = {0};
    pipeline_spec_mark_dependants(&s, 1, mask);
    ASSERT(!mask[0] && mask[1] && mask[2] && mask[3]);
    pipeline_spec_release(&s);
    pipeline_spec_release(&s); /* twice: zeroed */
}

TEST(pipeline_spec_canonical_json_round_trips)
{
    struct pipeline_spec s, again;
    struct ferr err = FERR_INIT;
    ASSERT_OK(parse(example, NULL, &s, &err), &err);
    json_t *j = pipeline_spec_to_json(&s);
    ASSERT_OK(pipeline_spec_parse(j, NULL, &again, &err), &err);
    json_t *j2 = pipeline_spec_to_json(&again);
    char *a = json_dumps(j, JSON_COMPACT), *b = json_dumps(j2, JSON_COMPACT);
    ASSERT_STR_EQ(a, b);
    /* steps in file order, outputs normalised, execution fields kept */
    ASSERT_CONTAINS(a, "\"steps\":{\"prep\":");
    ASSERT_CONTAINS(a, "\"test\":{\"path\":\"sub/test.csv\",\"type\":\"file\"}");
    ASSERT_CONTAINS(a, "\"timeout\":\"30m\"");
    ASSERT_CONTAINS(a, "\"cache\":false");
    ASSERT_CONTAINS(a, "\"req\":{\"type\":\"float\"}");
    free(a);
    free(b);
    /* the fingerprint's text: sorted keys, no execution fields */
    char *c = pipe_step_canonical(&s, 1);
    ASSERT_STR_EQ(c, "{\"entry_point\":\"train\",\"outputs\":{\"model\":{\"path\":\"model\","
                     "\"type\":\"model\"}},\"params\":{\"alpha\":\"{params.alpha}\",\"train\":"
                     "\"{steps.prep.outputs.train}\"}}");
    free(c);
    json_decref(j);
    json_decref(j2);
    pipeline_spec_release(&again);
    pipeline_spec_release(&s);
}

static int fake_values(void *arg, const struct pipe_ref *r, struct sbuf *value, struct ferr *err)
{
    (void)arg;
    if (r->kind == PIPE_REF_RUN_ID)
        return ferr_set(err, FERR_INVALID_STATE, "no run id");
    if (r->kind == PIPE_REF_INPUT)
        sbuf_addstr(value, "/in put's");
    else
        sbuf_addf(value, "<%s>", r->name ? r->name : "?");
    return 0;
}

static void quote(struct sbuf *out, const char *s)
{
    sbuf_addf(out, "[%s]", s);
}

TEST(pipeline_spec_templates_expand)
{
    struct pipeline_spec s;
    struct ferr err = FERR_INIT;
    struct sbuf out = SBUF_INIT;
    ASSERT_OK(parse("name: t\nsteps:\n  a:\n    run: \"x {{y}} {inputs.i}}z {run_id}\"\n"
                    "    inputs: {i: in.csv}\n"
                    "  b:\n    run: \"{{{inputs.i}}}\"\n    inputs: {i: in.csv}\n",
                    NULL, &s, &err),
              &err);
    ASSERT_OK(pipe_template_expand(&s.steps[1].run, fake_values, NULL, quote, &out, &err), &err);
    ASSERT_STR_EQ(out.buf, "{[/in put's]}");
    sbuf_reset(&out);
    ASSERT_OK(pipe_template_expand(&s.steps[1].run, fake_values, NULL, NULL, &out, &err), &err);
    ASSERT_STR_EQ(out.buf, "{/in put's}");
    sbuf_reset(&out);
    ASSERT_FAILS(pipe_template_expand(&s.steps[0].run, fake_values, NULL, NULL, &out, &err), &err,
                 FERR_INVALID_STATE);
    /* written back as it was given */
    sbuf_reset(&out);
    for (size_t i = 0; i < s.steps[0].run.nparts; i++)
        pipe_ref_format(&s, &s.steps[0].run.parts[i], &out);
    ASSERT_STR_EQ(out.buf, "x {{y}} {inputs.i}}}z {run_id}"); /* a lone } comes back doubled */
    sbuf_release(&out);
    pipeline_spec_release(&s);
}

TEST(pipeline_spec_mlproject_section)
{
    struct pipeline_spec s;
    struct ferr err = FERR_INIT;
    ASSERT_OK(parse("steps: {a: {run: \"true\"}}\n", "nightly", &s, &err), &err);
    ASSERT_STR_EQ(s.name, "nightly");
    pipeline_spec_release(&s);
    /* a section has no name of its own */
    ASSERT_FAILS(parse("name: x\nsteps: {a: {run: \"true\"}}\n", "nightly", &s, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "unknown key 'name'");
    ASSERT_FAILS(parse("steps: {a: {run: \"true\"}}\n", "bad name", &s, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "pipelines: bad pipeline name 'bad name'");
}

TEST(pipeline_spec_refuses_a_cycle_naming_it)
{
    refused("name: p\nsteps:\n"
            "  a: {run: \"x {steps.b.outputs.o}\", outputs: {o: o}}\n"
            "  b: {run: \"x {steps.a.outputs.o}\", outputs: {o: o}}\n",
            "cycle: a -> b -> a", NULL);
    /* longer, through after, starting at its first step in file order */
    refused("name: p\nsteps:\n"
            "  z: {run: \"true\"}\n"
            "  c: {run: \"true\", after: [b]}\n"
            "  a: {run: \"true\", after: [c, z]}\n"
            "  b: {run: \"{steps.a.run_id}\"}\n",
            "cycle: c -> a -> b -> c", NULL);
    refused("name: p\nsteps:\n  a: {run: \"{steps.a.run_id}\"}\n", "cycle: a -> a", NULL);
}

TEST(pipeline_spec_refuses_unknown_references)
{
    refused("name: p\nsteps:\n  a: {run: \"x {params.nope}\"}\n",
            "step 'a': run: unknown param 'nope'", NULL);
    refused("name: p\nsteps:\n  a: {run: \"x {steps.b.outputs.o}\"}\n",
            "step 'a': run: unknown step 'b'", NULL);
    refused("name: p\nsteps:\n  a: {run: x, outputs: {o: o}}\n"
            "  b: {run: \"x\", params: {p: \"{steps.a.outputs.x}\"}}\n",
            "step 'b': params.p: step 'a' has no output 'x'", NULL);
    refused("name: p\nsteps:\n  a: {run: \"x {inputs.i}\"}\n", "step 'a': run: unknown input 'i'",
            NULL);
    refused("name: p\nsteps:\n  a: {run: \"x\", env: {V: \"{outputs.o}\"}}\n",
            "step 'a': env.V: unknown output 'o'", NULL);
    refused("name: p\nsteps:\n  a: {run: \"echo ${HOME}\"}\n",
            "step 'a': run: unknown reference '{HOME}'", "{{ and }}");
    refused("name: p\nsteps:\n  a: {run: \"x {steps.a.outputs}\"}\n",
            "unknown reference '{steps.a.outputs}'", NULL);
    refused("name: p\nsteps:\n  a: {run: \"x {params.a\"}\n", "step 'a': run: unclosed '{'", NULL);
    refused("name: p\nsteps:\n  a: {run: x, after: [zz]}\n", "step 'a': after: unknown step 'zz'",
            NULL);
}

TEST(pipeline_spec_refuses_bad_inputs)
{
    refused("name: p\nsteps:\n  a: {run: x, outputs: {o: o}}\n"
            "  b: {run: x, inputs: {i: \"{steps.a.outputs.o}/f.csv\"}}\n",
            "step 'b': inputs.i: a step output reference must be the whole input", NULL);
    refused("name: p\nsteps:\n  a: {run: x, outputs: {o: o}, inputs: {i: \"{outputs.o}\"}}\n",
            "step 'a': inputs.i: an input may use only", NULL);
    refused("name: p\nsteps:\n  a: {run: x, inputs: {i: [1]}}\n",
            "step 'a': inputs.i must be a string", NULL);
}

TEST(pipeline_spec_refuses_unknown_keys)
{
    refused("name: p\nstep: {}\n", "unknown key 'step'", NULL);
    refused("name: p\nsteps:\n  a: {run: x, tiemout: 5m}\n", "unknown key 'steps.a.tiemout'", NULL);
    refused("name: p\nsteps:\n  a: {run: x, outputs: {o: {path: o, kind: model}}}\n",
            "unknown key 'steps.a.outputs.o.kind'", NULL);
    refused("name: p\nparams: {x: {type: int, defualt: 3}}\nsteps: {a: {run: x}}\n",
            "unknown key 'params.x.defualt'", NULL);
}

TEST(pipeline_spec_refuses_bad_fields)
{
    refused("name: p\nsteps:\n  a: {run: x, timeout: 30 minutes}\n", "'steps.a.timeout'",
            "must be a positive duration");
    refused("name: p\nsteps:\n  a: {run: x, cache_max_age: -1d}\n", "'steps.a.cache_max_age'",
            "duration");
    refused("name: p\nsteps:\n  a: {run: x, retries: 11}\n", "'steps.a.retries'", "from 0 to 10");
    refused("name: p\nsteps:\n  a: {run: x, retries: -1}\n", "'steps.a.retries'", NULL);
    refused("name: p\nsteps:\n  a: {run: x, retries: often}\n", "'steps.a.retries'", NULL);
    refused("name: p\nsteps:\n  a: {run: x, cache: maybe}\n", "'steps.a.cache'", "true or false");
    refused("name: p\nsteps:\n  a: {uses: ferry/nope}\n",
            "step 'a': uses: unknown built-in step 'ferry/nope'", NULL);
    refused("name: p\nsteps:\n  a: {run: x, entry_point: main}\n",
            "step 'a': needs exactly one of run, entry_point and uses", NULL);
    refused("name: p\nsteps:\n  a: {params: {x: 1}}\n", "step 'a': needs exactly one", NULL);
    refused("name: p\nsteps:\n  a: {run: x, env: {1X: y}}\n", "step 'a': env: bad name '1X'", NULL);
    refused("name: p\nsteps:\n  a: {run: x, deps: [../x.py]}\n", "step 'a': deps[0]",
            "must not contain '..'");
    refused("name: p\nsteps:\n  a: {run: x, deps: x.py}\n", "step 'a': deps must be a list", NULL);
    refused("name: p\nsteps:\n  a: run x\n", "step 'a' must be a mapping", NULL);
}

TEST(pipeline_spec_refuses_bad_output_paths)
{
    refused("name: p\nsteps:\n  a: {run: x, outputs: {m: model, n: ./model}}\n",
            "step 'a': outputs 'm' and 'n' have the same path 'model'", NULL);
    refused("name: p\nsteps:\n  a: {run: x, outputs: {m: model, f: model/x.pkl}}\n",
            "step 'a': output 'f' (model/x.pkl) is inside output 'm' (model)", NULL);
    refused("name: p\nsteps:\n  a: {run: x, outputs: {m: ../model}}\n",
            "step 'a': outputs.m: path '../model' must not contain '..'", NULL);
    refused("name: p\nsteps:\n  a: {run: x, outputs: {m: a/../../b}}\n", "must not contain '..'",
            NULL);
    refused("name: p\nsteps:\n  a: {run: x, outputs: {m: /tmp/m}}\n",
            "step 'a': outputs.m: path '/tmp/m' must be relative", NULL);
    refused("name: p\nsteps:\n  a: {run: x, outputs: {m: ./}}\n", "step 'a': outputs.m",
            "inside the directory");
    refused("name: p\nsteps:\n  a: {run: x, outputs: {m: {type: model}}}\n",
            "step 'a': outputs.m needs a path", NULL);
    refused("name: p\nsteps:\n  a: {run: x, outputs: {m: {path: m, type: table}}}\n",
            "step 'a': outputs.m.type must be one of", NULL);
}

TEST(pipeline_spec_refuses_bad_names_and_params)
{
    refused("steps: {a: {run: x}}\n", "'name' must be", NULL);
    refused("name: -p\nsteps: {a: {run: x}}\n", "'name' must be", NULL);
    refused("name: p\nsteps: {}\n", "steps must be a mapping of at least one step", NULL);
    refused("name: p\n", "steps must be a mapping", NULL);
    refused("name: p\nsteps: {a.b: {run: x}}\n", "bad step name 'a.b'", NULL);
    refused("name: p\nparams: {alpha: {type: float, default: abc}}\nsteps: {a: {run: x}}\n",
            "params.alpha: bad default: param 'alpha' must be a float, got 'abc'", NULL);
    refused("name: p\nparams: {n: {type: int, default: 1.5}}\nsteps: {a: {run: x}}\n",
            "must be an integer", NULL);
    refused("name: p\nparams: {d: {type: data, default: /x.csv}}\nsteps: {a: {run: x}}\n",
            "must be a data: URI", NULL);
    refused("name: p\nparams: {d: {type: table}}\nsteps: {a: {run: x}}\n",
            "params.d.type must be one of", NULL);
    refused("name: p\nparams: [a]\nsteps: {a: {run: x}}\n", "params must be a mapping", NULL);
    refused("- a\n", "a pipeline must be a mapping", NULL);
}

TEST(pipeline_spec_param_check)
{
    struct pipe_param p = {(char *)"x", PIPE_PARAM_FLOAT, NULL};
    struct ferr err = FERR_INIT;
    ASSERT_OK(pipe_param_check(&p, "1e-3", &err), &err);
    ASSERT_FAILS(pipe_param_check(&p, "", &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(pipe_param_check(&p, "nan", &err), &err, FERR_INVALID_PARAMETER_VALUE);
    p.type = PIPE_PARAM_INT;
    ASSERT_OK(pipe_param_check(&p, "-12", &err), &err);
    ASSERT_FAILS(pipe_param_check(&p, "12x", &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "param 'x' must be an integer, got '12x'");
    p.type = PIPE_PARAM_DATA;
    ASSERT_OK(pipe_param_check(&p, "data:/t@prod", &err), &err);
    ASSERT_FAILS(pipe_param_check(&p, "data:/t", &err), &err, FERR_INVALID_PARAMETER_VALUE);
    p.type = PIPE_PARAM_PATH;
    ASSERT_FAILS(pipe_param_check(&p, "", &err), &err, FERR_INVALID_PARAMETER_VALUE);
}

TEST(pipeline_spec_many_steps)
{
    /* a fan-out/fan-in of 2,000 steps: parsed, ordered, source first, sink last */
    struct sbuf y = SBUF_INIT;
    struct pipeline_spec s;
    struct ferr err = FERR_INIT;
    sbuf_addstr(&y, "name: big\nsteps:\n  sink:\n    run: \"true\"\n    after: [");
    for (int i = 0; i < 2000; i++)
        sbuf_addf(&y, "%ss%d", i ? ", " : "", i);
    sbuf_addstr(&y, "]\n  src: {run: \"true\", outputs: {o: o}}\n");
    for (int i = 0; i < 2000; i++)
        sbuf_addf(&y, "  s%d: {run: \"cat {steps.src.outputs.o}\"}\n", i);
    ASSERT_OK(parse(y.buf, NULL, &s, &err), &err);
    ASSERT_INT_EQ(s.nsteps, 2002);
    ASSERT_INT_EQ(s.order[0], 1);
    ASSERT_INT_EQ(s.order[1], 2);
    ASSERT_INT_EQ(s.order[2001], 0);
    ASSERT_INT_EQ(s.steps[1].ndownstream, 2000);
    pipeline_spec_release(&s);
    sbuf_release(&y);
}
