/* SPDX-License-Identifier: MIT
 * A step's fingerprint (see fingerprint.h): the canonical JSON built with
 * jansson (compact, keys sorted) and hashed; the code digests through
 * data/tree_scan.h with the project skip list as its exclude callback. */
#include "pipelines/fingerprint.h"
#include "pipelines/output_digest.h"
#include "pipelines/plan.h"
#include "base/json.h"
#include "base/secret.h"
#include "base/utf8.h"
#include "base/xalloc.h"
#include "data/tree_scan.h"
#include "domain/data_manifest.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/banned.h"

/* ---------- environment ---------- */

void step_fp_env_release(struct step_fp_env *e)
{
    if (!e)
        return;
    free(e->image);
    memset(e, 0, sizeof(*e));
}

int step_fp_env_make(enum env_manager m, const struct mlproject *p, const char *dir,
                     struct step_fp_env *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    snprintf(out->manager, sizeof(out->manager), "%s", env_manager_name(m));
    if (m == ENVM_DOCKER) {
        out->image = xstrdup(p && p->env_image ? p->env_image : "");
        return 0;
    }
    if ((m != ENVM_VIRTUALENV && m != ENVM_CONDA) || !p || !p->env_file || !*p->env_file)
        return 0;
    struct sbuf path = SBUF_INIT;
    sbuf_addf(&path, "%s/%s", dir, p->env_file);
    int rc = output_digest_file(path.buf, out->file, NULL, err);
    sbuf_release(&path);
    return rc;
}

/* ---------- the canonical JSON ---------- */

/* A JSON string for s, never NULL: text that is not UTF-8 (a -P value, a
 * file name: bytes jansson refuses) becomes "hex:" and its bytes in hex,
 * so it still counts, and counts the same every time. */
static json_t *jstr(const char *s)
{
    s = s ? s : "";
    if (utf8_valid(s))
        return json_string(s);
    static const char d[] = "0123456789abcdef";
    struct sbuf h = SBUF_INIT;
    sbuf_addstr(&h, "hex:");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        sbuf_addch(&h, d[*p >> 4]);
        sbuf_addch(&h, d[*p & 15]);
    }
    json_t *j = json_string(h.buf);
    sbuf_release(&h);
    return j;
}

/* Sets o[key] = jstr(value), the key made safe the same way. */
static void set_str(json_t *o, const char *key, const char *value)
{
    json_t *k = jstr(key);
    json_object_set_new(o, json_string_value(k), jstr(value));
    json_decref(k);
}

static json_t *kv_object(const struct kv_list *l)
{
    json_t *o = json_object();
    for (size_t i = 0; l && i < l->n; i++)
        set_str(o, l->v[i].key, l->v[i].value);
    return o;
}

/* What a step's spec says about how to run it, not what it computes. */
static const char *const run_knobs[] = {"retries", "timeout", "cache", "cache_max_age"};

static json_t *step_object(json_t *step)
{
    json_t *s = json_is_object(step) ? json_deep_copy(step) : json_object();
    for (size_t i = 0; i < sizeof(run_knobs) / sizeof(run_knobs[0]); i++)
        json_object_del(s, run_knobs[i]);
    return s;
}

static json_t *env_object(const struct step_fp_env *e)
{
    json_t *o = json_object();
    set_str(o, "manager", e && *e->manager ? e->manager : "local");
    if (e && *e->file)
        set_str(o, "file", e->file);
    if (e && e->image)
        set_str(o, "image", e->image);
    return o;
}

static json_t *fp_document(const struct step_fp *in)
{
    json_t *doc = json_object();
    json_t *params = json_object();
    json_object_set_new(params, "pipeline", kv_object(in->used_params));
    json_object_set_new(params, "step", kv_object(in->step_params));
    json_t *code = in->code && in->code->n ? kv_object(in->code) : json_object();
    if (!in->code || !in->code->n)
        set_str(code, "", in->tree_digest);
    json_t *inputs = json_object();
    for (size_t i = 0; i < in->ninputs; i++)
        set_str(inputs, in->inputs[i].name, in->inputs[i].digest);
    json_object_set_new(doc, "format", json_string(STEP_FP_FORMAT));
    json_object_set_new(doc, "step", step_object(in->step));
    json_object_set_new(doc, "params", params);
    json_object_set_new(doc, "code", code);
    json_object_set_new(doc, "inputs", inputs);
    json_object_set_new(doc, "env", env_object(in->env));
    return doc;
}

int step_fingerprint(const struct step_fp *in, char hex[65], struct sbuf *canonical,
                     struct ferr *err)
{
    if ((!in->code || !in->code->n) && (!in->tree_digest || !*in->tree_digest))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "a step without deps needs the project tree digest");
    json_t *doc = fp_document(in);
    char *text = fjson_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
    secret_sha256_hex(text, strlen(text), hex);
    if (canonical)
        sbuf_addstr(canonical, text);
    free(text);
    json_decref(doc);
    return 0;
}

/* ---------- code digests ---------- */

static const char *const skip_names[] = {".git", "__pycache__", "mlruns", "mlartifacts"};
static const char *const skip_suffixes[] = {".pyc", ".db", ".db-wal", ".db-shm"};

int fingerprint_skips_name(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof(skip_names) / sizeof(skip_names[0]); i++)
        if (!strcmp(name, skip_names[i]))
            return 1;
    for (size_t i = 0; i < sizeof(skip_suffixes) / sizeof(skip_suffixes[0]); i++) {
        size_t k = strlen(skip_suffixes[i]);
        if (n > k && !strcmp(name + n - k, skip_suffixes[i]))
            return 1;
    }
    return 0;
}

/* A link a dataset could not hold: absolute, or leaving the tree. */
static int link_outside(const char *rel, const char *local)
{
    char target[DATA_PATH_MAX + 1];
    ssize_t n = readlink(local, target, sizeof(target) - 1);
    if (n < 0 || (size_t)n >= sizeof(target) - 1)
        return 1;
    target[n] = '\0';
    struct ferr lerr = FERR_INIT;
    return target[0] == '/' || data_link_check(NULL, rel, target, &lerr) != 0;
}

static int code_exclude(void *arg, const char *rel, const char *local, const struct stat *st)
{
    (void)arg;
    const char *slash = strrchr(rel, '/');
    const char *name = slash ? slash + 1 : rel;
    if (fingerprint_skips_name(name) || !utf8_valid(name))
        return 1;
    if (S_ISLNK(st->st_mode))
        return link_outside(rel, local);
    return !S_ISREG(st->st_mode) && !S_ISDIR(st->st_mode);
}

/* The code digest of a file or a directory (skip list applied). */
static int code_digest(const char *path, char hex[65], struct ferr *err)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return ferr_set(err, errno == ENOENT ? FERR_RESOURCE_DOES_NOT_EXIST : FERR_IO_ERROR,
                        "cannot read '%.500s': %s", path, strerror(errno));
    if (S_ISREG(st.st_mode))
        return output_digest_file(path, hex, NULL, err);
    if (!S_ISDIR(st.st_mode))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "'%.500s' is neither a regular file nor a directory", path);
    struct data_scan_filter f = {code_exclude, NULL};
    struct data_scan s = DATA_SCAN_INIT;
    int rc = data_tree_scan_filtered(path, NULL, &f, &s, err);
    if (!rc)
        data_manifest_digest(&s.manifest, hex);
    data_scan_release(&s);
    return rc;
}

int fingerprint_tree_digest(const char *dir, char hex[65], struct ferr *err)
{
    return code_digest(dir, hex, err);
}

static int deps_entry_bad(const char *e)
{
    if (!*e || e[0] == '/')
        return 1;
    for (const char *p = e; *p;) {
        size_t k = strcspn(p, "/");
        if (k == 2 && p[0] == '.' && p[1] == '.')
            return 1;
        p += k;
        p += *p == '/';
    }
    return 0;
}

int fingerprint_deps(const char *dir, const char *const *deps, size_t n, struct kv_list *out,
                     struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    struct sbuf path = SBUF_INIT;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        char hex[65];
        struct ferr e = FERR_INIT;
        if (deps_entry_bad(deps[i])) {
            rc =
                ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                         "deps entry '%.300s' must be a relative path inside the project", deps[i]);
            break;
        }
        sbuf_reset(&path);
        sbuf_addf(&path, "%s/%s", dir, deps[i]);
        if (code_digest(path.buf, hex, &e))
            rc = ferr_set(
                err, e.code == FERR_RESOURCE_DOES_NOT_EXIST ? FERR_INVALID_PARAMETER_VALUE : e.code,
                "deps entry '%.300s': %s", deps[i], e.msg);
        else
            kv_list_set(out, deps[i], hex);
    }
    sbuf_release(&path);
    return rc;
}

/* ---------- from the plan ---------- */

int step_fingerprint_needs_tree(const struct pipe_plan *plan, size_t i)
{
    return plan->spec.steps[i].ndeps == 0;
}

int step_fingerprint_plan(const struct pipe_plan *plan, size_t i, const struct step_input *inputs,
                          const char *tree_digest, const struct step_fp_env *env, char hex[65],
                          struct ferr *err)
{
    const struct pipe_step *st = &plan->spec.steps[i];
    struct kv_list used = {NULL, 0, 0}, code = {NULL, 0, 0};
    struct ferr e = FERR_INIT;
    for (size_t k = 0; k < st->nparam_refs; k++) {
        const char *v = kv_list_get(&plan->params, st->param_refs[k]);
        kv_list_set(&used, st->param_refs[k], v ? v : "");
    }
    int rc = 0;
    if (st->ndeps &&
        fingerprint_deps(plan->dir, (const char *const *)st->deps, st->ndeps, &code, &e))
        rc = ferr_set(err, e.code, "step %.200s: %s", st->name, e.msg);
    json_t *step = rc ? NULL : pipe_step_to_json(&plan->spec, i, 0);
    if (!rc) {
        struct step_fp fp = {step,        &used,  &plan->steps[i].params, &code,
                             tree_digest, inputs, plan->steps[i].ninputs, env};
        rc = step_fingerprint(&fp, hex, NULL, err);
    }
    json_decref(step);
    kv_list_release(&used);
    kv_list_release(&code);
    return rc;
}
