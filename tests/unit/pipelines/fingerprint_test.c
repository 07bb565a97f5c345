/* SPDX-License-Identifier: MIT
 * pipelines/fingerprint.c and pipelines/output_digest.c: the fingerprint is
 * the same for the same content however it is given, changes with one
 * parameter, one deps byte, one input digest, the env file or manager, and
 * not with retries/timeout/cache knobs; the project tree digest skips the
 * skip list (and sockets, links out of the tree) and sees every other
 * byte; deps entries that leave the project are refused; output digests of
 * files and directories (modes and empty directories ignored); on a plan,
 * one param changes only the steps that use it (and, through their output
 * digests, their dependants). */
#include "../test.h"
#include "base/ferr.h"
#include "base/sbuf.h"
#include "pipelines/fingerprint.h"
#include "pipelines/output_digest.h"
#include "pipelines/plan.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static char *tpath(const char *rel)
{
    static char bufs[8][1024];
    static int k;
    char *b = bufs[k++ % 8];
    snprintf(b, 1024, "%s/%s", test_tmpdir(), rel);
    return b;
}

static void put(const char *rel, const char *text, mode_t mode)
{
    int fd = open(tpath(rel), O_WRONLY | O_CREAT | O_TRUNC, mode);
    ASSERT(fd >= 0);
    size_t n = strlen(text);
    ASSERT((size_t)write(fd, text, n) == n);
    ASSERT(fchmod(fd, mode) == 0);
    ASSERT(close(fd) == 0);
}

static void mk(const char *rel)
{
    ASSERT(mkdir(tpath(rel), 0755) == 0);
}

/* A step as pipe-spec's canonical JSON might give it. */
static json_t *step_json(int retries, const char *timeout, int cache)
{
    json_t *s = json_pack("{s:s, s:{s:s}, s:{s:s}, s:{s:s}}", "run",
                          "python3 prep.py --in {inputs.raw} --out {outputs.train}", "inputs",
                          "raw", "{params.data}", "outputs", "train", "train.csv", "params",
                          "alpha", "{params.alpha}");
    json_object_set_new(s, "retries", json_integer(retries));
    if (timeout)
        json_object_set_new(s, "timeout", json_string(timeout));
    json_object_set_new(s, "cache", json_boolean(cache));
    return s;
}

struct fx {
    json_t *step;
    struct kv_list used, sparams, code;
    struct step_input inputs[2];
    struct step_fp_env env;
    struct step_fp fp;
};

static void fx_init(struct fx *f)
{
    memset(f, 0, sizeof(*f));
    f->step = step_json(0, NULL, 1);
    kv_list_add(&f->used, "alpha", "0.01");
    kv_list_add(&f->used, "data", "data:/tx@prod");
    kv_list_add(&f->sparams, "alpha", "0.01");
    kv_list_add(&f->code, "prep.py",
                "1111111111111111111111111111111111111111111111111111111111111111");
    f->inputs[0].name = strdup("raw");
    snprintf(f->inputs[0].digest, 65, "%064d", 7);
    f->inputs[1].name = strdup("other.model");
    snprintf(f->inputs[1].digest, 65, "%064d", 8);
    snprintf(f->env.manager, sizeof(f->env.manager), "virtualenv");
    snprintf(f->env.file, sizeof(f->env.file), "%064d", 9);
    f->fp.step = f->step;
    f->fp.used_params = &f->used;
    f->fp.step_params = &f->sparams;
    f->fp.code = &f->code;
    f->fp.inputs = f->inputs;
    f->fp.ninputs = 2;
    f->fp.env = &f->env;
}

static void fx_release(struct fx *f)
{
    json_decref(f->step);
    kv_list_release(&f->used);
    kv_list_release(&f->sparams);
    kv_list_release(&f->code);
    step_input_release(&f->inputs[0]);
    step_input_release(&f->inputs[1]);
    step_fp_env_release(&f->env);
}

static void fp_of(const struct fx *f, char hex[65])
{
    struct ferr err = FERR_INIT;
    ASSERT_OK(step_fingerprint(&f->fp, hex, NULL, &err), &err);
    ASSERT_INT_EQ(strlen(hex), 64);
}

TEST(fingerprint_same_content_same_hex)
{
    struct fx a, b;
    char ha[65], hb[65];
    fx_init(&a);
    fx_init(&b);
    fp_of(&a, ha);
    fp_of(&a, hb);
    ASSERT_STR_EQ(ha, hb);
    /* Other orders of the same content: same text, same digest. */
    kv_list_release(&b.used);
    kv_list_add(&b.used, "data", "data:/tx@prod");
    kv_list_add(&b.used, "alpha", "0.01");
    struct step_input t = b.inputs[0];
    b.inputs[0] = b.inputs[1];
    b.inputs[1] = t;
    json_decref(b.step);
    b.step = json_pack("{s:b, s:{s:s}, s:{s:s}, s:i, s:s, s:{s:s}}", "cache", 1, "params", "alpha",
                       "{params.alpha}", "outputs", "train", "train.csv", "retries", 0, "run",
                       "python3 prep.py --in {inputs.raw} --out {outputs.train}", "inputs", "raw",
                       "{params.data}");
    b.fp.step = b.step;
    fp_of(&b, hb);
    ASSERT_STR_EQ(ha, hb);
    /* The canonical text is what the header says. */
    struct sbuf text = SBUF_INIT;
    struct ferr err = FERR_INIT;
    ASSERT_OK(step_fingerprint(&a.fp, ha, &text, &err), &err);
    ASSERT_CONTAINS(text.buf, "\"format\":\"ferry-step/1\"");
    ASSERT_CONTAINS(text.buf, "\"code\":{\"prep.py\":\"1111");
    ASSERT_CONTAINS(text.buf, "\"params\":{\"pipeline\":{\"alpha\":\"0.01\",\"data\":");
    ASSERT_CONTAINS(text.buf, "\"env\":{\"file\":\"0000");
    ASSERT(!strstr(text.buf, "retries"));
    ASSERT(!strstr(text.buf, "\"cache\""));
    sbuf_release(&text);
    fx_release(&a);
    fx_release(&b);
}

TEST(fingerprint_changes_with_what_the_step_computes)
{
    struct fx f;
    char base[65], h[65];
    fx_init(&f);
    fp_of(&f, base);

    kv_list_set(&f.used, "alpha", "0.02"); /* a pipeline param it uses */
    fp_of(&f, h);
    ASSERT(strcmp(base, h));
    kv_list_set(&f.used, "alpha", "0.01");
    fp_of(&f, h);
    ASSERT_STR_EQ(base, h);

    kv_list_set(&f.sparams, "alpha", "0.010"); /* a resolved step param */
    fp_of(&f, h);
    ASSERT(strcmp(base, h));
    kv_list_set(&f.sparams, "alpha", "0.01");

    f.inputs[1].digest[63] = '9'; /* an input digest */
    fp_of(&f, h);
    ASSERT(strcmp(base, h));
    f.inputs[1].digest[63] = '8';

    f.env.file[0] = 'a'; /* the env file */
    fp_of(&f, h);
    ASSERT(strcmp(base, h));
    f.env.file[0] = '0';
    snprintf(f.env.manager, sizeof(f.env.manager), "conda"); /* the manager */
    fp_of(&f, h);
    ASSERT(strcmp(base, h));
    snprintf(f.env.manager, sizeof(f.env.manager), "virtualenv");

    kv_list_set(&f.code, "prep.py",
                "1111111111111111111111111111111111111111111111111111111111111112");
    fp_of(&f, h);
    ASSERT(strcmp(base, h));
    kv_list_set(&f.code, "prep.py",
                "1111111111111111111111111111111111111111111111111111111111111111");

    kv_list_set(&f.used, "data", "\xff\xfe"); /* bytes that are not UTF-8 count too */
    fp_of(&f, h);
    ASSERT(strcmp(base, h));
    char h2[65];
    kv_list_set(&f.used, "data", "\xff\xfd");
    fp_of(&f, h2);
    ASSERT(strcmp(h2, h) && strcmp(h2, base));
    kv_list_set(&f.used, "data", "data:/tx@prod");
    fp_of(&f, h);
    ASSERT_STR_EQ(base, h);

    json_object_set_new(f.step, "run", json_string("python3 prep.py --other")); /* the command */
    fp_of(&f, h);
    ASSERT(strcmp(base, h));
    fx_release(&f);
}

TEST(fingerprint_ignores_how_the_step_runs)
{
    struct fx f;
    char base[65], h[65];
    fx_init(&f);
    fp_of(&f, base);
    json_decref(f.step);
    f.step = step_json(3, "30m", 0);
    json_object_set_new(f.step, "cache_max_age", json_string("7d"));
    f.fp.step = f.step;
    fp_of(&f, h);
    ASSERT_STR_EQ(base, h);
    fx_release(&f);
}

TEST(fingerprint_code_from_the_tree_when_no_deps)
{
    struct fx f;
    char a[65], b[65];
    struct ferr err = FERR_INIT;
    fx_init(&f);
    kv_list_release(&f.code);
    ASSERT_FAILS(step_fingerprint(&f.fp, a, NULL, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    f.fp.tree_digest = "2222222222222222222222222222222222222222222222222222222222222222";
    fp_of(&f, a);
    f.fp.tree_digest = "2222222222222222222222222222222222222222222222222222222222222223";
    fp_of(&f, b);
    ASSERT(strcmp(a, b));
    fx_release(&f);
}

static void tree_digest(char hex[65])
{
    struct ferr err = FERR_INIT;
    ASSERT_OK(fingerprint_tree_digest(tpath("proj"), hex, &err), &err);
}

TEST(fingerprint_tree_digest_skips_the_skip_list)
{
    char base[65], h[65];
    mk("proj");
    mk("proj/src");
    put("proj/src/prep.py", "print('prep')\n", 0644);
    put("proj/MLproject", "name: p\n", 0644);
    tree_digest(base);

    /* What running and tracking write beside the code changes nothing. */
    mk("proj/.git");
    put("proj/.git/HEAD", "ref: refs/heads/main\n", 0644);
    mk("proj/src/__pycache__");
    put("proj/src/__pycache__/prep.cpython-311.pyc", "\x01\x02", 0644);
    put("proj/src/other.pyc", "x", 0644);
    mk("proj/mlruns");
    put("proj/mlruns/meta.yaml", "x", 0644);
    mk("proj/mlartifacts");
    put("proj/ferry.db", "db", 0644);
    put("proj/ferry.db-wal", "wal", 0644);
    put("proj/ferry.db-shm", "shm", 0644);
    /* Nor do things a dataset could not hold: a socket, links out. */
    ASSERT(symlink("/usr/bin/python3", tpath("proj/python")) == 0);
    ASSERT(symlink("../../elsewhere", tpath("proj/src/out")) == 0);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa;
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", tpath("proj/sock"));
    if (strlen(tpath("proj/sock")) < sizeof(sa.sun_path))
        ASSERT(bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0);
    close(s);
    put("proj/src/bad-\xff.txt", "not a dataset name", 0644);
    tree_digest(h);
    ASSERT_STR_EQ(base, h);
    ASSERT(fingerprint_skips_name("x.pyc") && fingerprint_skips_name(".git"));
    ASSERT(!fingerprint_skips_name(".pyc") && !fingerprint_skips_name("db"));

    /* One byte anywhere else does. */
    put("proj/src/prep.py", "print('prep!')\n", 0644);
    tree_digest(h);
    ASSERT(strcmp(base, h));
    put("proj/src/prep.py", "print('prep')\n", 0644);
    tree_digest(h);
    ASSERT_STR_EQ(base, h);
    put("proj/notes.txt", "", 0644);
    tree_digest(h);
    ASSERT(strcmp(base, h));

    /* A directory holding only what is left out counts as empty. */
    char empty[65];
    mk("proj/lib");
    tree_digest(empty);
    ASSERT(strcmp(empty, h));
    mk("proj/lib/__pycache__");
    put("proj/lib/__pycache__/x.pyc", "c", 0644);
    tree_digest(h);
    ASSERT_STR_EQ(empty, h);
}

TEST(fingerprint_deps_digests_and_refusals)
{
    struct ferr err = FERR_INIT;
    struct kv_list a, b;
    mk("proj");
    mk("proj/lib");
    put("proj/train.py", "import lib\n", 0644);
    put("proj/lib/util.py", "X = 1\n", 0644);
    const char *deps[] = {"train.py", "lib"};
    ASSERT_OK(fingerprint_deps(tpath("proj"), deps, 2, &a, &err), &err);
    ASSERT_INT_EQ(a.n, 2);
    /* The file entry is its SHA-256. */
    char hex[65];
    ASSERT_OK(output_digest_file(tpath("proj/train.py"), hex, NULL, &err), &err);
    ASSERT_STR_EQ(kv_list_get(&a, "train.py"), hex);
    /* A cache beside the code in a deps directory changes nothing; a byte does. */
    mk("proj/lib/__pycache__");
    put("proj/lib/__pycache__/util.pyc", "c", 0644);
    ASSERT_OK(fingerprint_deps(tpath("proj"), deps, 2, &b, &err), &err);
    ASSERT_STR_EQ(kv_list_get(&a, "lib"), kv_list_get(&b, "lib"));
    kv_list_release(&b);
    put("proj/lib/util.py", "X = 2\n", 0644);
    ASSERT_OK(fingerprint_deps(tpath("proj"), deps, 2, &b, &err), &err);
    ASSERT(strcmp(kv_list_get(&a, "lib"), kv_list_get(&b, "lib")));
    ASSERT_STR_EQ(kv_list_get(&a, "train.py"), kv_list_get(&b, "train.py"));
    kv_list_release(&a);
    kv_list_release(&b);

    const char *bad[][1] = {{"../x"}, {"/etc/passwd"}, {"lib/../../x"}, {"missing.py"}, {""}};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ASSERT_FAILS(fingerprint_deps(tpath("proj"), bad[i], 1, &a, &err), &err,
                     FERR_INVALID_PARAMETER_VALUE);
        ASSERT_CONTAINS(err.msg, "deps entry");
        kv_list_release(&a);
    }
}

TEST(fingerprint_env_part)
{
    struct ferr err = FERR_INIT;
    struct step_fp_env e;
    struct mlproject p;
    memset(&p, 0, sizeof(p));
    mk("proj");
    put("proj/python_env.yaml", "python: 3.11\n", 0644);
    p.env = ENV_PYTHON;
    p.env_file = "python_env.yaml";
    ASSERT_OK(step_fp_env_make(ENVM_VIRTUALENV, &p, tpath("proj"), &e, &err), &err);
    ASSERT_STR_EQ(e.manager, "virtualenv");
    char hex[65];
    ASSERT_OK(output_digest_file(tpath("proj/python_env.yaml"), hex, NULL, &err), &err);
    ASSERT_STR_EQ(e.file, hex);
    step_fp_env_release(&e);
    /* local ignores the file: editing it does not rerun local steps */
    ASSERT_OK(step_fp_env_make(ENVM_LOCAL, &p, tpath("proj"), &e, &err), &err);
    ASSERT_STR_EQ(e.manager, "local");
    ASSERT_STR_EQ(e.file, "");
    step_fp_env_release(&e);
    p.env_image = "python:3.11-slim";
    ASSERT_OK(step_fp_env_make(ENVM_DOCKER, &p, tpath("proj"), &e, &err), &err);
    ASSERT_STR_EQ(e.image, "python:3.11-slim");
    step_fp_env_release(&e);
    p.env_file = "gone.yaml";
    ASSERT_FAILS(step_fp_env_make(ENVM_CONDA, &p, tpath("proj"), &e, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    step_fp_env_release(&e);
}

TEST(output_digest_files_and_directories)
{
    struct ferr err = FERR_INIT;
    struct output_digest d;
    put("hello.txt", "hello\n", 0644);
    ASSERT_OK(output_digest(tpath("hello.txt"), &d, &err), &err);
    ASSERT_STR_EQ(d.digest, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
    ASSERT_INT_EQ(d.size, 6);
    ASSERT_INT_EQ(d.is_dir, 0);

    mk("model");
    mk("model/sub");
    put("model/MLmodel", "flavors: {}\n", 0644);
    put("model/sub/w.bin", "abc", 0644);
    struct output_digest a, b;
    ASSERT_OK(output_digest(tpath("model"), &a, &err), &err);
    ASSERT_INT_EQ(a.is_dir, 1);
    ASSERT_INT_EQ(a.size, 15);
    /* Modes and empty directories: an artifact store keeps neither. */
    ASSERT(chmod(tpath("model/sub/w.bin"), 0755) == 0);
    mk("model/empty");
    ASSERT_OK(output_digest(tpath("model"), &b, &err), &err);
    ASSERT_STR_EQ(a.digest, b.digest);
    put("model/sub/w.bin", "abd", 0644);
    ASSERT_OK(output_digest(tpath("model"), &b, &err), &err);
    ASSERT(strcmp(a.digest, b.digest));

    ASSERT_FAILS(output_digest(tpath("nothing"), &d, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(output_digest_file(tpath("model"), d.digest, NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
}

/* ---------- from a plan ---------- */

static const char SPEC[] =
    "{\"name\": \"p\", \"params\": {\"alpha\": \"0.01\", \"other\": \"x\"}, \"steps\": {"
    "\"prep\": {\"run\": \"echo {params.alpha} > {outputs.train}\","
    "           \"outputs\": {\"train\": \"train.csv\"}},"
    "\"train\": {\"run\": \"cat {steps.prep.outputs.train} {params.other}\", \"deps\": "
    "[\"train.py\"],"
    "           \"outputs\": {\"model\": {\"path\": \"model\", \"type\": \"model\"}}, "
    "\"retries\": %d}}}";

/* A plan as pipe_plan_load would leave it for SPEC: params bound, train's
 * implicit input prep.train. */
static void make_plan(struct pipe_plan *p, int retries, const char *alpha, const char *other)
{
    struct ferr err = FERR_INIT;
    char text[1024];
    snprintf(text, sizeof(text), SPEC, retries);
    json_error_t je;
    json_t *doc = json_loads(text, 0, &je);
    if (!doc)
        FAIL_AT("spec: %s", je.text);
    memset(p, 0, sizeof(*p));
    ASSERT_OK(pipeline_spec_parse(doc, NULL, &p->spec, &err), &err);
    json_decref(doc);
    p->dir = tpath("proj");
    kv_list_add(&p->params, "alpha", alpha);
    kv_list_add(&p->params, "other", other);
    ASSERT_INT_EQ(p->spec.nsteps, 2);
    p->steps = calloc(2, sizeof(*p->steps));
    struct pipe_input *in = calloc(1, sizeof(*in));
    in->name = strdup("prep.train");
    in->implicit = 1;
    in->kind = PIPE_INPUT_STEP;
    in->step = 0;
    in->output = 0;
    p->steps[1].inputs = in;
    p->steps[1].ninputs = 1;
}

static void free_plan(struct pipe_plan *p)
{
    free(p->steps[1].inputs[0].name);
    free(p->steps[1].inputs);
    free(p->steps);
    kv_list_release(&p->params);
    pipeline_spec_release(&p->spec);
}

/* Fingerprints of both steps; prep wrote train.csv with digest d. */
static void plan_fps(struct pipe_plan *p, const char *d, char fp[2][65])
{
    struct ferr err = FERR_INIT;
    char tree[65];
    ASSERT(step_fingerprint_needs_tree(p, 0) && !step_fingerprint_needs_tree(p, 1));
    ASSERT_OK(fingerprint_tree_digest(p->dir, tree, &err), &err);
    ASSERT_OK(step_fingerprint_plan(p, 0, NULL, tree, NULL, fp[0], &err), &err);
    struct step_outputs produced[2];
    memset(produced, 0, sizeof(produced));
    char name[] = "train", path[] = "train.csv", type[] = "file",
         uri[] = "runs:/r/outputs/train.csv";
    struct step_output o = {name, path, type, "", 8, 0, uri};
    snprintf(o.digest, sizeof(o.digest), "%s", d);
    produced[0].v = &o;
    produced[0].n = 1;
    struct step_input in[1];
    ASSERT_OK(step_inputs_for_plan(p, 1, produced, in, &err), &err);
    ASSERT_STR_EQ(in[0].name, "prep.train");
    ASSERT_STR_EQ(in[0].uri, uri);
    ASSERT_STR_EQ(in[0].digest, d);
    ASSERT_OK(step_fingerprint_plan(p, 1, in, NULL, NULL, fp[1], &err), &err);
    step_inputs_release(in, 1);
    /* A producer that recorded nothing is refused, naming both steps. */
    produced[0].n = 0;
    ASSERT_FAILS(step_inputs_for_plan(p, 1, produced, in, &err), &err, FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, "step train, input prep.train: step prep recorded no output train");
    step_inputs_release(in, 1);
}

TEST(fingerprint_plan_one_param_reruns_only_its_users)
{
    const char *d1 = "1111111111111111111111111111111111111111111111111111111111111111";
    const char *d2 = "2222222222222222222222222222222222222222222222222222222222222222";
    struct pipe_plan p;
    char base[2][65], fp[2][65];
    mk("proj");
    put("proj/train.py", "print(1)\n", 0644);
    make_plan(&p, 0, "0.01", "x");
    plan_fps(&p, d1, base);
    ASSERT(strcmp(base[0], base[1]));
    free_plan(&p);

    /* retries is how it runs: the same fingerprints */
    make_plan(&p, 3, "0.01", "x");
    plan_fps(&p, d1, fp);
    ASSERT_STR_EQ(fp[0], base[0]);
    ASSERT_STR_EQ(fp[1], base[1]);
    free_plan(&p);

    /* other is used by train only */
    make_plan(&p, 0, "0.01", "y");
    plan_fps(&p, d1, fp);
    ASSERT_STR_EQ(fp[0], base[0]);
    ASSERT(strcmp(fp[1], base[1]));
    free_plan(&p);

    /* alpha is prep's: prep changes; train only through prep's output digest */
    make_plan(&p, 0, "0.02", "x");
    plan_fps(&p, d1, fp);
    ASSERT(strcmp(fp[0], base[0]));
    ASSERT_STR_EQ(fp[1], base[1]);
    plan_fps(&p, d2, fp);
    ASSERT(strcmp(fp[1], base[1]));
    free_plan(&p);

    /* train's deps: one byte; prep (the tree) changes too */
    put("proj/train.py", "print(2)\n", 0644);
    make_plan(&p, 0, "0.01", "x");
    plan_fps(&p, d1, fp);
    ASSERT(strcmp(fp[0], base[0]));
    ASSERT(strcmp(fp[1], base[1]));
    free_plan(&p);
    /* a deps entry gone: the step is named */
    ASSERT(unlink(tpath("proj/train.py")) == 0);
    make_plan(&p, 0, "0.01", "x");
    struct ferr err = FERR_INIT;
    ASSERT_FAILS(step_fingerprint_plan(&p, 1, NULL, NULL, NULL, fp[1], &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "step train: deps entry 'train.py'");
    free_plan(&p);
}
