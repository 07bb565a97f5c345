/* SPDX-License-Identifier: MIT
 * pipelines/plan.c on a project directory and the store under test: a
 * pipeline.yaml planned (params bound with defaults, -P and types; inputs
 * resolved to absolute paths, step outputs, implicit "S.X" inputs; static
 * step params with an entry point's defaults; --from and its dependants;
 * the spec's JSON), data: inputs pinned to their version, the MLproject's
 * pipelines: section chosen by name, steps rendered with their bindings
 * (quoting, entry point commands, env, .uri); and every error before
 * anything runs -- a missing input path, an unresolvable data: URI, an
 * unknown, missing or mistyped param, an unknown entry point or its bad
 * params, an unknown --from step -- with its message, and nothing written
 * to the store. */
#include "../test.h"
#include "base/sbuf.h"
#include "client/client.h"
#include "data/data_add.h"
#include "data/data_port.h"
#include "pipelines/plan.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void put(const char *dir, const char *name, const char *text)
{
    struct sbuf p = SBUF_INIT;
    sbuf_addf(&p, "%s/%s", dir, name);
    for (char *slash = p.buf + 1; (slash = strchr(slash, '/')); slash++) {
        *slash = '\0';
        ASSERT(mkdir(p.buf, 0755) == 0 || errno == EEXIST);
        *slash = '/';
    }
    FILE *f = fopen(p.buf, "w");
    ASSERT(f && fputs(text, f) >= 0 && fclose(f) == 0);
    sbuf_release(&p);
}

static const char mlproject[] =
    "name: t\n"
    "entry_points:\n"
    "  train:\n"
    "    parameters:\n"
    "      alpha: float\n"
    "      train: path\n"
    "      epochs: {type: int, default: 5}\n"
    "    command: \"python3 train.py --alpha {alpha} --train {train} --epochs {epochs}\"\n";

static const char pipeline[] =
    "name: demo\n"
    "params: {alpha: {type: float, default: 0.5}, raw: data/raw.csv, who: {type: string}}\n"
    "steps:\n"
    "  prep:\n"
    "    run: prep --in {inputs.raw} --out {outputs.train} --who {params.who}\n"
    "    inputs: {raw: \"{params.raw}\"}\n"
    "    outputs: {train: train.csv}\n"
    "  train:\n"
    "    entry_point: train\n"
    "    params: {alpha: \"{params.alpha}\", train: \"{steps.prep.outputs.train}\"}\n"
    "    outputs: {model: {path: model, type: model}}\n"
    "  report:\n"
    "    run: report {steps.train.outputs.model.uri} {steps.prep.outputs.train}\n"
    "    env: {RUN: \"{steps.train.run_id}\", WHO: \"{params.who}\"}\n"
    "    inputs: {m: \"{steps.train.outputs.model}\"}\n";

/* The project dir (a new string) with MLproject, pipeline.yaml, data/raw.csv. */
static char *project(void)
{
    struct sbuf d = SBUF_INIT;
    char real[PATH_MAX];
    sbuf_addf(&d, "%s/proj", test_tmpdir());
    put(d.buf, "MLproject", mlproject);
    put(d.buf, "pipeline.yaml", pipeline);
    put(d.buf, "data/raw.csv", "a,b\n1,2\n");
    ASSERT(realpath(d.buf, real));
    sbuf_release(&d);
    return strdup(real);
}

static struct client *open_client(void)
{
    struct client *c = NULL;
    struct ferr err = FERR_INIT;
    struct sbuf root = SBUF_INIT;
    char *uri = test_store_uri("plan");
    sbuf_addf(&root, "%s/root", test_tmpdir());
    ASSERT(setenv("FERRY_ARTIFACTS_DESTINATION", root.buf, 1) == 0);
    ASSERT(setenv("FERRY_DATA_CACHE", root.buf, 1) == 0);
    ASSERT_OK(client_open(uri, &c, &err), &err);
    sbuf_release(&root);
    free(uri);
    return c;
}

/* Nothing was recorded: no run in the store's experiments. */
static void store_untouched(struct client *c)
{
    struct experiment_search es = {NULL, VIEW_ALL, 100, NULL, 0, NULL};
    struct experiment_list el = {0};
    struct ferr err = FERR_INIT;
    ASSERT_OK(client_search_experiments(c, &es, &el, &err), &err);
    ASSERT(el.n <= 1);
    for (size_t i = 0; i < el.n; i++) {
        const char *id = el.v[i].experiment_id;
        struct run_search rs = {&id, 1, NULL, VIEW_ALL, 100, NULL, 0, NULL};
        struct run_list rl = {0};
        ASSERT_OK(client_search_runs(c, &rs, &rl, &err), &err);
        ASSERT_INT_EQ(rl.n, 0);
        run_list_release(&rl);
    }
    experiment_list_release(&el);
}

static const struct pipe_input *input(const struct pipe_plan *p, size_t step, const char *name)
{
    for (size_t i = 0; i < p->steps[step].ninputs; i++)
        if (!strcmp(p->steps[step].inputs[i].name, name))
            return &p->steps[step].inputs[i];
    FAIL_AT("step %zu has no input '%s'", step, name);
    return NULL;
}

TEST(pipe_plan_loads_a_pipeline_yaml)
{
    char *dir = project();
    struct client *c = open_client();
    struct kv_list params = {0};
    struct pipe_plan p;
    struct ferr err = FERR_INIT;
    struct sbuf want = SBUF_INIT;
    kv_list_add(&params, "who", "me");
    struct pipe_plan_opts o = {dir, NULL, NULL, &params, "train", NULL, 0};
    ASSERT_OK(pipe_plan_load(c, &o, &p, &err), &err);
    ASSERT_STR_EQ(p.dir, dir);
    ASSERT_STR_EQ(p.source_name, dir);
    ASSERT_CONTAINS(p.spec_path, "/pipeline.yaml");
    ASSERT_STR_EQ(p.spec.name, "demo");
    ASSERT_INT_EQ(p.envm, ENVM_LOCAL);
    /* params: declaration order, defaults and -P */
    ASSERT_INT_EQ(p.params.n, 3);
    ASSERT_STR_EQ(p.params.v[0].value, "0.5");
    ASSERT_STR_EQ(p.params.v[1].value, "data/raw.csv");
    ASSERT_STR_EQ(kv_list_get(&p.params, "who"), "me");
    /* prep: a project path made absolute */
    const struct pipe_input *raw = input(&p, 0, "raw");
    ASSERT_INT_EQ(raw->kind, PIPE_INPUT_PATH);
    sbuf_addf(&want, "%s/data/raw.csv", dir);
    ASSERT_STR_EQ(raw->path, want.buf);
    ASSERT_INT_EQ(p.steps[0].ninputs, 1);
    ASSERT_STR_EQ(kv_list_get(&p.steps[0].param_values, "raw"), "data/raw.csv");
    ASSERT_STR_EQ(kv_list_get(&p.steps[0].param_values, "who"), "me");
    /* train: an implicit input, static params with the entry point's default */
    ASSERT_INT_EQ(p.steps[1].ninputs, 1);
    const struct pipe_input *pt = input(&p, 1, "prep.train");
    ASSERT(pt->implicit && pt->kind == PIPE_INPUT_STEP && pt->step == 0 && pt->output == 0);
    ASSERT_INT_EQ(p.steps[1].params.n, 3);
    ASSERT_STR_EQ(kv_list_get(&p.steps[1].params, "alpha"), "0.5");
    ASSERT_STR_EQ(kv_list_get(&p.steps[1].params, "train"), "{steps.prep.outputs.train}");
    ASSERT_STR_EQ(kv_list_get(&p.steps[1].params, "epochs"), "5");
    /* report: explicit step input, then implicit ones in order of use */
    ASSERT_INT_EQ(p.steps[2].ninputs, 3);
    ASSERT_STR_EQ(p.steps[2].inputs[0].name, "m");
    ASSERT(!p.steps[2].inputs[0].implicit && p.steps[2].inputs[0].step == 1);
    ASSERT_STR_EQ(p.steps[2].inputs[1].name, "train.model");
    ASSERT_STR_EQ(p.steps[2].inputs[2].name, "prep.train");
    /* --from train: train and report skip the cache lookup */
    ASSERT(!p.steps[0].from && p.steps[1].from && p.steps[2].from);
    ASSERT_CONTAINS(p.steps[1].canonical, "\"entry_point\":\"train\"");
    ASSERT_CONTAINS(p.spec_json, "\"name\": \"demo\"");
    store_untouched(c);
    pipe_plan_release(&p);
    pipe_plan_release(&p);
    kv_list_release(&params);
    sbuf_release(&want);
    client_close(c);
    free(dir);
}

TEST(pipe_plan_renders_steps)
{
    char *dir = project();
    struct client *c = open_client();
    struct kv_list params = {0};
    struct pipe_plan p;
    struct ferr err = FERR_INIT;
    struct pipe_rendered r = PIPE_RENDERED_INIT;
    struct sbuf want = SBUF_INIT;
    kv_list_add(&params, "who", "a b's");
    struct pipe_plan_opts o = {dir, NULL, NULL, &params, NULL, NULL, 0};
    ASSERT_OK(pipe_plan_load(c, &o, &p, &err), &err);
    const char *runs[] = {"r1", "r2", NULL}, *dirs[] = {"/o/prep", "/o/train", NULL},
               *from[] = {"r1", "c2", NULL};
    const char *prep_in[] = {p.steps[0].inputs[0].path};
    struct pipe_step_bindings b = {"/o/prep", "r1", "pr", prep_in, runs, dirs, from, NULL};
    ASSERT_OK(pipe_step_render(&p, 0, &b, &r, &err), &err);
    sbuf_addf(&want, "prep --in %s/data/raw.csv --out /o/prep/train.csv --who 'a b'\"'\"'s'", dir);
    ASSERT_STR_EQ(r.command.buf, want.buf);
    ASSERT_STR_EQ(r.script.buf, want.buf); /* local: the command as is */
    pipe_rendered_release(&r);
    /* an entry point: its command, its params resolved */
    const char *train_in[] = {"/o/prep/train.csv"};
    struct pipe_step_bindings bt = {"/o/train", "r2", "pr", train_in, runs, dirs, from, NULL};
    ASSERT_OK(pipe_step_render(&p, 1, &bt, &r, &err), &err);
    ASSERT_STR_EQ(r.command.buf,
                  "python3 train.py --alpha 0.5 --train /o/prep/train.csv --epochs 5");
    ASSERT_STR_EQ(kv_list_get(&r.params, "train"), "/o/prep/train.csv");
    ASSERT_STR_EQ(kv_list_get(&r.params, "epochs"), "5");
    pipe_rendered_release(&r);
    /* .uri names the run holding the outputs (a cached step's original) */
    const char *rep_in[] = {"/o/train/model", "/o/train/model", "/o/prep/train.csv"};
    struct pipe_step_bindings br = {"/o/report", "r3", "pr", rep_in, runs, dirs, from, NULL};
    ASSERT_OK(pipe_step_render(&p, 2, &br, &r, &err), &err);
    ASSERT_STR_EQ(r.command.buf, "report runs:/c2/outputs/model /o/prep/train.csv");
    ASSERT_STR_EQ(kv_list_get(&r.env, "RUN"), "r2");
    ASSERT_STR_EQ(kv_list_get(&r.env, "WHO"), "a b's"); /* env values are raw */
    pipe_rendered_release(&r);
    /* a binding missing is an error, not an empty string */
    br.step_output_runs = NULL;
    ASSERT_FAILS(pipe_step_render(&p, 2, &br, &r, &err), &err, FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, "{steps.train.outputs.model.uri}");
    pipe_plan_release(&p);
    kv_list_release(&params);
    sbuf_release(&want);
    client_close(c);
    free(dir);
}

/* Plans dir with -P k=v pairs (NULL-terminated) and from; must fail with
 * code and a message holding needle. */
static void plan_fails(struct client *c, const char *uri, const char *pipeline_name,
                       const char *from, const char *const *kv, enum ferr_code code,
                       const char *needle)
{
    struct kv_list params = {0};
    struct pipe_plan p;
    struct ferr err = FERR_INIT;
    for (size_t i = 0; kv && kv[i]; i += 2)
        kv_list_add(&params, kv[i], kv[i + 1]);
    struct pipe_plan_opts o = {uri, NULL, pipeline_name, &params, from, NULL, 0};
    ASSERT_FAILS(pipe_plan_load(c, &o, &p, &err), &err, code);
    ASSERT_CONTAINS(err.msg, needle);
    ASSERT(p.steps == NULL && p.spec.steps == NULL);
    kv_list_release(&params);
}

TEST(pipe_plan_refuses_bad_params_and_inputs)
{
    char *dir = project();
    struct client *c = open_client();
    const char *const missing_path[] = {"who", "x", "raw", "data/nope.csv", NULL};
    plan_fails(c, dir, NULL, NULL, missing_path, FERR_INVALID_PARAMETER_VALUE,
               "step 'prep': inputs.raw: no file or directory 'data/nope.csv' in the project");
    const char *const no_data[] = {"who", "x", "raw", "data:/nope/1", NULL};
    plan_fails(c, dir, NULL, NULL, no_data, FERR_RESOURCE_DOES_NOT_EXIST,
               "param 'raw': cannot resolve 'data:/nope/1': dataset 'nope' not found");
    const char *const bad_data[] = {"who", "x", "raw", "data:/nope", NULL};
    plan_fails(c, dir, NULL, NULL, bad_data, FERR_INVALID_PARAMETER_VALUE,
               "cannot resolve 'data:/nope'");
    const char *const unknown[] = {"who", "x", "alfa", "1", NULL};
    plan_fails(c, dir, NULL, NULL, unknown, FERR_INVALID_PARAMETER_VALUE,
               "unknown param 'alfa' for pipeline 'demo' (its params: alpha, raw, who)");
    plan_fails(c, dir, NULL, NULL, NULL, FERR_INVALID_PARAMETER_VALUE,
               "missing value for required param 'who' of pipeline 'demo'");
    const char *const mistyped[] = {"who", "x", "alpha", "fast", NULL};
    plan_fails(c, dir, NULL, NULL, mistyped, FERR_INVALID_PARAMETER_VALUE,
               "param 'alpha' must be a float, got 'fast'");
    const char *const ok[] = {"who", "x", NULL};
    plan_fails(c, dir, NULL, "trian", ok, FERR_INVALID_PARAMETER_VALUE,
               "--from: no step 'trian' in pipeline 'demo' (its steps: prep, train, report)");
    plan_fails(c, dir, "other", NULL, ok, FERR_INVALID_PARAMETER_VALUE,
               "pipeline.yaml is pipeline 'demo', not 'other'");
    store_untouched(c);
    client_close(c);
    free(dir);
}

TEST(pipe_plan_refuses_bad_entry_points)
{
    char *dir = project();
    struct client *c = open_client();
    struct sbuf file = SBUF_INIT;
    sbuf_addf(&file, "%s/bad_ep.yaml", dir);
    put(dir, "bad_ep.yaml", "name: p\nsteps:\n  t: {entry_point: trian}\n");
    plan_fails(c, file.buf, NULL, NULL, NULL, FERR_INVALID_PARAMETER_VALUE,
               "step 't': entry_point 'trian': no entry point 'trian'");
    put(dir, "bad_ep.yaml", "name: p\nsteps:\n  t: {entry_point: train, params: {alpha: fast}}\n");
    plan_fails(c, file.buf, NULL, NULL, NULL, FERR_INVALID_PARAMETER_VALUE,
               "step 't': entry_point 'train': parameter 'alpha' must be a float, got 'fast'");
    put(dir, "bad_ep.yaml", "name: p\nsteps:\n  t: {entry_point: train, params: {alpha: 1}}\n");
    plan_fails(c, file.buf, NULL, NULL, NULL, FERR_INVALID_PARAMETER_VALUE,
               "step 't': entry_point 'train': missing value for required parameter 'train'");
    put(dir, "bad_ep.yaml",
        "name: p\nsteps:\n  t: {entry_point: train, params: {alpha: 1, train: \"data:/x/1\"}}\n");
    plan_fails(c, file.buf, NULL, NULL, NULL, FERR_INVALID_PARAMETER_VALUE,
               "pass a data: URI as an input");
    put(dir, "bad_ep.yaml", "name: p\nsteps:\n  t: {run: x, inputs: {i: \"data:/nope@prod\"}}\n");
    plan_fails(c, file.buf, NULL, NULL, NULL, FERR_RESOURCE_DOES_NOT_EXIST,
               "step 't': inputs.i: cannot resolve 'data:/nope@prod'");
    put(dir, "bad_ep.yaml", "name: p\nsteps:\n  t: {run: x, inputs: {i: /no/such/file}}\n");
    plan_fails(c, file.buf, NULL, NULL, NULL, FERR_INVALID_PARAMETER_VALUE,
               "step 't': inputs.i: no file or directory '/no/such/file' (");
    plan_fails(c, file.buf, "q", NULL, NULL, FERR_INVALID_PARAMETER_VALUE,
               "bad_ep.yaml is pipeline 'p', not 'q'");
    /* a bad spec names itself */
    put(dir, "bad_ep.yaml", "name: p\nsteps:\n  t: {run: x, retries: 99}\n");
    plan_fails(c, file.buf, NULL, NULL, NULL, FERR_INVALID_PARAMETER_VALUE,
               "pipeline spec: 'steps.t.retries' must be an integer from 0 to 10");
    put(dir, "bad_ep.yaml", "name: p\nsteps: [\n");
    plan_fails(c, file.buf, NULL, NULL, NULL, FERR_INVALID_PARAMETER_VALUE, "bad_ep.yaml: ");
    plan_fails(c, "/nonexistent/dir", NULL, NULL, NULL, FERR_INVALID_PARAMETER_VALUE,
               "is neither a directory nor a git URL");
    store_untouched(c);
    sbuf_release(&file);
    client_close(c);
    free(dir);
}

TEST(pipe_plan_mlproject_pipelines)
{
    struct client *c = open_client();
    struct sbuf d = SBUF_INIT;
    struct pipe_plan p;
    struct ferr err = FERR_INIT;
    sbuf_addf(&d, "%s/mlp", test_tmpdir());
    put(d.buf, "MLproject",
        "name: t\npipelines:\n"
        "  nightly: {steps: {a: {run: \"echo {params.n}\"}}, params: {n: 1}}\n"
        "  weekly: {steps: {b: {run: \"true\"}}}\n");
    plan_fails(c, d.buf, NULL, NULL, NULL, FERR_INVALID_PARAMETER_VALUE,
               "has several pipelines: name one with --pipeline (nightly, weekly)");
    struct pipe_plan_opts o = {d.buf, NULL, "weekly", NULL, NULL, NULL, 0};
    ASSERT_OK(pipe_plan_load(c, &o, &p, &err), &err);
    ASSERT_STR_EQ(p.spec.name, "weekly");
    ASSERT_CONTAINS(p.spec_path, "/MLproject");
    pipe_plan_release(&p);
    /* the MLproject named as a FILE, one pipeline: that one */
    put(d.buf, "MLproject", "name: t\npipelines:\n  nightly: {steps: {a: {run: \"true\"}}}\n");
    sbuf_addstr(&d, "/MLproject");
    o.pipeline = NULL;
    o.uri = d.buf;
    ASSERT_OK(pipe_plan_load(c, &o, &p, &err), &err);
    ASSERT_STR_EQ(p.spec.name, "nightly");
    pipe_plan_release(&p);
    /* a directory with neither */
    sbuf_reset(&d);
    sbuf_addf(&d, "%s/empty", test_tmpdir());
    ASSERT(mkdir(d.buf, 0755) == 0);
    plan_fails(c, d.buf, NULL, NULL, NULL, FERR_INVALID_PARAMETER_VALUE,
               "neither a pipeline.yaml nor an MLproject with pipelines:");
    sbuf_release(&d);
    client_close(c);
}

STORE_TEST(pipe_plan_pins_data_inputs)
{
    char *dir = project();
    struct client *c = open_client();
    struct data_port *port = NULL;
    struct data_add_result added = DATA_ADD_RESULT_INIT;
    struct kv_list params = {0};
    struct pipe_plan p;
    struct ferr err = FERR_INIT;
    struct sbuf src = SBUF_INIT;
    sbuf_addf(&src, "%s/data/raw.csv", dir);
    ASSERT_OK(data_port_open(client_uri(c), &port, &err), &err);
    ASSERT_OK(data_add(port, "ds", src.buf, NULL, &added, &err), &err);
    data_port_close(port);
    kv_list_add(&params, "who", "x");
    kv_list_add(&params, "raw", "data:/ds/latest");
    struct pipe_plan_opts o = {dir, NULL, NULL, &params, NULL, NULL, 0};
    ASSERT_OK(pipe_plan_load(c, &o, &p, &err), &err);
    ASSERT_STR_EQ(kv_list_get(&p.params, "raw"), "data:/ds/1"); /* bound pinned */
    const struct pipe_input *raw = input(&p, 0, "raw");
    ASSERT_INT_EQ(raw->kind, PIPE_INPUT_DATA);
    ASSERT_STR_EQ(raw->uri, "data:/ds/1");
    ASSERT_STR_EQ(raw->data_name, "ds");
    ASSERT_INT_EQ(raw->data_version, 1);
    ASSERT_STR_EQ(raw->data_digest, added.digest);
    ASSERT(raw->path && raw->path[0] == '/');
    pipe_plan_release(&p);
    data_add_result_release(&added);
    kv_list_release(&params);
    sbuf_release(&src);
    client_close(c);
    free(dir);
}

TEST(pipe_plan_describes_a_dry_run)
{
    char *dir = project();
    struct client *c = open_client();
    struct kv_list params = {0};
    struct pipe_plan p;
    struct ferr err = FERR_INIT;
    struct sbuf text = SBUF_INIT, want = SBUF_INIT;
    kv_list_add(&params, "who", "me");
    struct pipe_plan_opts o = {dir, NULL, NULL, &params, "train", NULL, 1};
    ASSERT_OK(pipe_plan_load(c, &o, &p, &err), &err);
    ASSERT_OK(pipe_plan_describe(&p, &text, &err), &err);
    ASSERT_CONTAINS(text.buf, "pipeline:    demo (");
    ASSERT_CONTAINS(text.buf, "param:       who=me\n");
    ASSERT_CONTAINS(text.buf, "step train (entry point train)\n  after:     prep\n");
    ASSERT_CONTAINS(text.buf, "  input:     prep.train = steps.prep.outputs.train (implicit)\n");
    ASSERT_CONTAINS(text.buf,
                    "  output:    model = model (model)\n  cache:     no lookup (--from)");
    sbuf_addf(&want,
              "  command:   prep --in %s/data/raw.csv --out "
              "/tmp/ferry-pipeline-PIPELINE_RUN_ID/prep/train.csv --who me\n",
              dir);
    ASSERT_CONTAINS(text.buf, want.buf);
    ASSERT_CONTAINS(text.buf, "  command:   python3 train.py --alpha 0.5 --train "
                              "/tmp/ferry-pipeline-PIPELINE_RUN_ID/prep/train.csv --epochs 5\n");
    ASSERT_CONTAINS(text.buf, "  command:   report runs:/train.RUN_ID/outputs/model ");
    ASSERT_CONTAINS(text.buf, "  env:       RUN=train.RUN_ID\n");
    /* steps in topological order */
    ASSERT(strstr(text.buf, "step prep") < strstr(text.buf, "step train"));
    ASSERT(strstr(text.buf, "step train") < strstr(text.buf, "step report"));
    store_untouched(c);
    pipe_plan_release(&p);
    kv_list_release(&params);
    sbuf_release(&text);
    sbuf_release(&want);
    client_close(c);
    free(dir);
}

TEST(pipe_plan_from_a_git_version)
{
    struct client *c = open_client();
    struct sbuf d = SBUF_INIT, cmd = SBUF_INIT, uri = SBUF_INIT;
    struct pipe_plan p;
    struct ferr err = FERR_INIT;
    sbuf_addf(&d, "%s/repo", test_tmpdir());
    put(d.buf, "pipeline.yaml", "name: g\nsteps: {a: {run: \"echo one\"}}\n");
    sbuf_addf(&cmd,
              "cd %s && git init -q && git add . && git -c user.name=t -c user.email=t@t commit "
              "-qm one && git tag v1 && echo 'name: g\nsteps: {a: {run: \"echo two\"}}' > "
              "pipeline.yaml && git -c user.name=t -c user.email=t@t commit -qam two",
              d.buf);
    if (system(cmd.buf) != 0) {
        fprintf(stderr, "    (git not usable here: skipped)\n");
        goto out;
    }
    struct pipe_plan_opts o = {d.buf, "v1", NULL, NULL, NULL, NULL, 0};
    ASSERT_OK(pipe_plan_load(c, &o, &p, &err), &err);
    ASSERT_STR_EQ(p.spec.steps[0].run.text, "echo one");
    ASSERT_STR_EQ(p.source_name, d.buf);
    ASSERT(p.src.clone.len > 0 && p.src.commit.len == 40);
    sbuf_addstr(&uri, p.src.clone.buf);
    pipe_plan_release(&p); /* removes the clone */
    struct stat st;
    ASSERT(stat(uri.buf, &st) != 0);
    o.version = "nope";
    ASSERT_FAILS(pipe_plan_load(c, &o, &p, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "cannot check out version 'nope'");
out:
    sbuf_release(&d);
    sbuf_release(&cmd);
    sbuf_release(&uri);
    client_close(c);
}
