/* SPDX-License-Identifier: MIT
 * Reading an MLflow file store (mlflow/store/tracking/file_store.py and
 * model_registry/file_store.py), the ./mlruns layout:
 *
 *   <exp_id>/meta.yaml                experiment; deleted ones under .trash/
 *   <exp_id>/tags/<key>               experiment tags (a key's '/' is a folder)
 *   <exp_id>/<run_id>/meta.yaml       run (status as MLflow's RunStatus number)
 *   <exp_id>/<run_id>/params|tags/<key>
 *   <exp_id>/<run_id>/metrics/<key>   lines "timestamp value [step]"
 *   <exp_id>/<run_id>/inputs/<id>/meta.yaml   -> <exp_id>/datasets/<id>/meta.yaml
 *   <exp_id>/traces/, <exp_id>/models/         traces, logged models: skipped
 *   models/<name>/meta.yaml, tags/, aliases/<alias>, version-<n>/meta.yaml, tags/
 *
 * YAML through base/yaml_json; values of params and tags are whole files.
 * Listings are sorted, so an import reads in the same order every time. A
 * metric file is the one thing read whole (one key of one run), to put its
 * points in order and drop the ones MLflow wrote twice. */
#include "import/source.h"
#include "base/json.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "base/yaml_json.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/banned.h"

/* The most a meta.yaml, a param or a tag file may hold. */
#define MAX_VALUE_FILE (16 << 20)
#define POINT_BATCH    1024

struct src_fs {
    struct source base;
    char *exp_dir;   /* the experiment being visited */
    char *run_dir;   /* the run being visited */
    char *model_dir; /* the model being visited */
};

static struct src_fs *fs_of(struct source *src)
{
    return (struct src_fs *)src;
}

static int corrupt(const char *path, const char *why, struct ferr *err)
{
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "cannot import '%.180s': %s", path, why);
}

static char *join(const char *a, const char *b)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_addf(&sb, "%s/%s", a, b);
    return sbuf_detach(&sb, NULL);
}

static int is_dir(const char *path)
{
    struct stat st;
    return !lstat(path, &st) && S_ISDIR(st.st_mode);
}

static int is_file(const char *path)
{
    struct stat st;
    return !lstat(path, &st) && S_ISREG(st.st_mode);
}

/* ---------- listings ---------- */

struct names {
    char **v;
    size_t n, alloc;
};

static void names_release(struct names *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof(*l));
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of dir but . and .., sorted. A missing dir lists nothing. */
static int list_dir(const char *dir, struct names *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? 0 : corrupt(dir, strerror(errno), err);
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        out->v[out->n++] = xstrdup(e->d_name);
    }
    int failed = errno != 0;
    closedir(d);
    if (failed) {
        names_release(out);
        return corrupt(dir, "cannot list the folder", err);
    }
    if (out->n)
        qsort(out->v, out->n, sizeof(*out->v), by_name);
    return 0;
}

/* ---------- files ---------- */

static int read_text(const char *path, struct sbuf *sb, struct ferr *err)
{
    sbuf_reset(sb);
    if (sbuf_read_file(sb, path, MAX_VALUE_FILE))
        return corrupt(path, errno == EFBIG ? "too large" : strerror(errno), err);
    if (memchr(sb->buf, '\0', sb->len))
        return corrupt(path, "holds a NUL byte", err);
    return 0;
}

/* A meta.yaml as a JSON object (the caller's). */
static int read_yaml(const char *path, json_t **out, struct ferr *err)
{
    struct sbuf sb = SBUF_INIT;
    struct ferr yerr = FERR_INIT;
    *out = NULL;
    int rc = read_text(path, &sb, err);
    if (!rc && yaml_to_json(sb.buf, sb.len, out, &yerr))
        rc = corrupt(path, yerr.msg, err);
    sbuf_release(&sb);
    if (!rc && !json_is_object(*out)) {
        json_decref(*out);
        *out = NULL;
        rc = corrupt(path, "not a YAML mapping", err);
    }
    return rc;
}

/* A text field ("" when absent or null). */
static const char *ystr(json_t *o, const char *field)
{
    const char *s = json_string_value(json_object_get(o, field));
    return s ? s : "";
}

static const char *ystr_or_null(json_t *o, const char *field)
{
    return json_string_value(json_object_get(o, field));
}

/* An integer field: TIME_NONE when absent or null. */
static int yint(json_t *o, const char *field, const char *path, int64_t *out, struct ferr *err)
{
    json_t *v = json_object_get(o, field);
    *out = TIME_NONE;
    if (!v || json_is_null(v))
        return 0;
    if (json_is_string(v) && !fjson_parse_int64(json_string_value(v), out))
        return 0;
    char why[96];
    snprintf(why, sizeof(why), "'%s' is not an integer", field);
    return corrupt(path, why, err);
}

/* Every file below dir, its path relative to dir as the key (MLflow keeps a
 * key's '/' as folders), with its whole content as the value. */
static int walk_values(const char *dir, const char *prefix, source_kv_fn fn, void *arg,
                       struct ferr *err)
{
    struct names l;
    struct sbuf val = SBUF_INIT;
    int rc = list_dir(dir, &l, err);
    for (size_t i = 0; !rc && i < l.n; i++) {
        char *path = join(dir, l.v[i]);
        char *key = *prefix ? join(prefix, l.v[i]) : xstrdup(l.v[i]);
        if (is_dir(path))
            rc = walk_values(path, key, fn, arg, err);
        else if (is_file(path))
            rc = read_text(path, &val, err) || fn(arg, key, val.buf, err);
        else
            rc = corrupt(path, "neither a file nor a folder", err);
        free(key);
        free(path);
    }
    names_release(&l);
    sbuf_release(&val);
    return rc ? -1 : 0;
}

/* ---------- experiments ---------- */

/* Counts what ferry does not import in one experiment's folder. */
static int count_skips(struct src_fs *s, const char *exp_dir, struct ferr *err)
{
    static const struct {
        const char *folder, *what, *why;
    } areas[] = {
        {"traces", "traces", "ferry has no traces yet"},
        {"models", "logged models", "ferry has no logged models yet"},
    };
    for (size_t i = 0; i < sizeof(areas) / sizeof(*areas); i++) {
        struct names l;
        char *dir = join(exp_dir, areas[i].folder);
        int rc = list_dir(dir, &l, err);
        free(dir);
        if (rc)
            return -1;
        source_skip(&s->base, areas[i].what, areas[i].why, (int64_t)l.n);
        names_release(&l);
    }
    return 0;
}

static int visit_experiment(struct src_fs *s, const char *dir, int deleted, source_experiment_fn fn,
                            void *arg, struct ferr *err)
{
    json_t *m;
    char *meta = join(dir, "meta.yaml");
    int rc = read_yaml(meta, &m, err);
    if (rc) {
        free(meta);
        return -1;
    }
    struct import_experiment e = {
        .name = ystr(m, "name"),
        .artifact_location = ystr(m, "artifact_location"),
        .lifecycle = deleted ? LIFECYCLE_DELETED : LIFECYCLE_ACTIVE,
    };
    if (fjson_parse_int64(ystr(m, "experiment_id"), &e.id))
        rc = corrupt(meta, "'experiment_id' is not an integer", err);
    else if (yint(m, "creation_time", meta, &e.creation_time, err) ||
             yint(m, "last_update_time", meta, &e.last_update_time, err) ||
             count_skips(s, dir, err))
        rc = -1;
    else if (*ystr(m, "lifecycle_stage") &&
             lifecycle_parse(ystr(m, "lifecycle_stage"), &e.lifecycle))
        rc = corrupt(meta, "unknown lifecycle stage", err);
    if (!rc) {
        free(s->exp_dir);
        s->exp_dir = xstrdup(dir);
        rc = fn(arg, &e, err);
    }
    json_decref(m);
    free(meta);
    return rc;
}

struct exp_dir {
    int64_t id;
    char *dir;
    int deleted;
};

static int by_id(const void *a, const void *b)
{
    const struct exp_dir *x = a, *y = b;
    return (x->id > y->id) - (x->id < y->id);
}

/* Experiment folders (numeric names with a meta.yaml) of parent into v. */
static int find_experiments(const char *parent, int deleted, struct exp_dir **v, size_t *n,
                            size_t *alloc, struct ferr *err)
{
    struct names l;
    if (list_dir(parent, &l, err))
        return -1;
    for (size_t i = 0; i < l.n; i++) {
        int64_t id;
        char *dir = join(parent, l.v[i]);
        char *meta = join(dir, "meta.yaml");
        if (!fjson_parse_int64(l.v[i], &id) && is_dir(dir) && is_file(meta)) {
            ALLOC_GROW(*v, *n + 1, *alloc);
            (*v)[(*n)++] = (struct exp_dir){id, dir, deleted};
            dir = NULL;
        }
        free(meta);
        free(dir);
    }
    names_release(&l);
    return 0;
}

static int fs_experiments(struct source *src, source_experiment_fn fn, void *arg, struct ferr *err)
{
    struct src_fs *s = fs_of(src);
    struct exp_dir *v = NULL;
    size_t n = 0, alloc = 0;
    char *trash = join(s->base.path, ".trash");
    int rc = find_experiments(s->base.path, 0, &v, &n, &alloc, err) ||
                     find_experiments(trash, 1, &v, &n, &alloc, err)
                 ? -1
                 : 0;
    if (n)
        qsort(v, n, sizeof(*v), by_id);
    for (size_t i = 0; !rc && i < n; i++)
        rc = visit_experiment(s, v[i].dir, v[i].deleted, fn, arg, err);
    for (size_t i = 0; i < n; i++)
        free(v[i].dir);
    free(v);
    free(trash);
    return rc;
}

static int fs_experiment_tags(struct source *src, const struct import_experiment *e,
                              source_kv_fn fn, void *arg, struct ferr *err)
{
    (void)e;
    char *dir = join(fs_of(src)->exp_dir, "tags");
    int rc = walk_values(dir, "", fn, arg, err);
    free(dir);
    return rc;
}

/* ---------- runs ---------- */

static int is_reserved(const char *name)
{
    static const char *const reserved[] = {"tags", "datasets", "traces", "models"};
    for (size_t i = 0; i < sizeof(reserved) / sizeof(*reserved); i++)
        if (!strcmp(name, reserved[i]))
            return 1;
    return 0;
}

/* The run name: meta's run_name (MLflow 2), else the mlflow.runName tag. */
static char *run_name(json_t *m, const char *run_dir)
{
    const char *n = ystr(m, "run_name");
    if (*n)
        return xstrdup(n);
    struct sbuf sb = SBUF_INIT;
    char *tags = join(run_dir, "tags");
    char *path = join(tags, "mlflow.runName");
    if (sbuf_read_file(&sb, path, MAX_VALUE_FILE))
        sbuf_reset(&sb);
    free(path);
    free(tags);
    return sbuf_detach(&sb, NULL);
}

static int parse_status(json_t *m, enum run_status *out)
{
    const char *s = ystr(m, "status");
    if (!*s) { /* MLflow reads a missing status as RUNNING */
        *out = RUN_RUNNING;
        return 0;
    }
    return run_status_parse(s, out);
}

static int visit_run(struct src_fs *s, const struct import_experiment *e, const char *dir,
                     source_run_fn fn, void *arg, struct ferr *err)
{
    json_t *m;
    char *meta = join(dir, "meta.yaml");
    if (read_yaml(meta, &m, err)) {
        free(meta);
        return -1;
    }
    char *name = run_name(m, dir);
    struct import_run r = {
        .run_id = *ystr(m, "run_id") ? ystr(m, "run_id") : ystr(m, "run_uuid"),
        .experiment_id = e->id,
        .name = name,
        .user = ystr(m, "user_id"),
        .artifact_uri = ystr(m, "artifact_uri"),
    };
    int rc = 0;
    const char *lc = ystr(m, "lifecycle_stage");
    if (parse_status(m, &r.status))
        rc = corrupt(meta, "unknown run status", err);
    else if (*lc ? lifecycle_parse(lc, &r.lifecycle) : 0)
        rc = corrupt(meta, "unknown lifecycle stage", err);
    else if (yint(m, "start_time", meta, &r.start_time, err) ||
             yint(m, "end_time", meta, &r.end_time, err) ||
             yint(m, "deleted_time", meta, &r.deleted_time, err))
        rc = -1;
    if (!rc) {
        free(s->run_dir);
        s->run_dir = xstrdup(dir);
        rc = fn(arg, &r, err);
    }
    free(name);
    json_decref(m);
    free(meta);
    return rc;
}

static int fs_runs(struct source *src, const struct import_experiment *e, source_run_fn fn,
                   void *arg, struct ferr *err)
{
    struct src_fs *s = fs_of(src);
    struct names l;
    char *exp_dir = xstrdup(s->exp_dir);
    int rc = list_dir(exp_dir, &l, err);
    for (size_t i = 0; !rc && i < l.n; i++) {
        char *dir = join(exp_dir, l.v[i]);
        char *meta = join(dir, "meta.yaml");
        if (!is_reserved(l.v[i]) && is_dir(dir)) {
            if (!is_file(meta))
                rc = corrupt(dir, "a run folder without meta.yaml", err);
            else
                rc = visit_run(s, e, dir, fn, arg, err);
        }
        free(meta);
        free(dir);
    }
    names_release(&l);
    free(exp_dir);
    return rc;
}

static int run_values(struct source *src, const char *folder, source_kv_fn fn, void *arg,
                      struct ferr *err)
{
    char *dir = join(fs_of(src)->run_dir, folder);
    int rc = walk_values(dir, "", fn, arg, err);
    free(dir);
    return rc;
}

static int fs_params(struct source *src, const struct import_run *r, source_kv_fn fn, void *arg,
                     struct ferr *err)
{
    (void)r;
    return run_values(src, "params", fn, arg, err);
}

static int fs_tags(struct source *src, const struct import_run *r, source_kv_fn fn, void *arg,
                   struct ferr *err)
{
    (void)r;
    return run_values(src, "tags", fn, arg, err);
}

/* ---------- metrics ---------- */

struct points {
    struct import_point *v;
    size_t n, alloc;
};

/* (step, timestamp, value) with NaN after every number: a total order, so
 * equal points end up side by side. */
static int point_cmp(const void *a, const void *b)
{
    const struct import_point *x = a, *y = b;
    if (x->step != y->step)
        return x->step < y->step ? -1 : 1;
    if (x->timestamp != y->timestamp)
        return x->timestamp < y->timestamp ? -1 : 1;
    int xn = isnan(x->value), yn = isnan(y->value);
    if (xn || yn)
        return xn - yn;
    return (x->value > y->value) - (x->value < y->value);
}

/* One line "timestamp value [step]", as MLflow writes and reads it. */
static int parse_line(char *line, const char *key, struct import_point *p)
{
    char *f[4], *save = NULL;
    int n = 0;
    for (char *t = strtok_r(line, " \t\r\n", &save); t && n < 4;
         t = strtok_r(NULL, " \t\r\n", &save))
        f[n++] = t;
    if (n != 2 && n != 3)
        return -1;
    p->key = key;
    p->step = 0;
    return fjson_parse_int64(f[0], &p->timestamp) || fjson_parse_double(f[1], &p->value) ||
                   (n == 3 && fjson_parse_int64(f[2], &p->step))
               ? -1
               : 0;
}

static int read_points(const char *path, const char *key, struct points *pts, struct ferr *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return corrupt(path, strerror(errno), err);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int rc = 0;
    long lineno = 0;
    while (!rc && (len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (len == 0 || (len == 1 && line[0] == '\n'))
            continue;
        ALLOC_GROW(pts->v, pts->n + 1, pts->alloc);
        if (parse_line(line, key, &pts->v[pts->n])) {
            char why[64];
            snprintf(why, sizeof(why), "line %ld is not 'timestamp value [step]'", lineno);
            rc = corrupt(path, why, err);
        } else {
            pts->n++;
        }
    }
    if (!rc && ferror(f))
        rc = corrupt(path, "cannot read the file", err);
    free(line);
    fclose(f);
    return rc;
}

static int emit_points(struct src_fs *s, struct points *pts, source_points_fn fn, void *arg,
                       struct ferr *err)
{
    size_t kept = 0;
    if (pts->n)
        qsort(pts->v, pts->n, sizeof(*pts->v), point_cmp);
    for (size_t i = 0; i < pts->n; i++) {
        if (kept && !point_cmp(&pts->v[kept - 1], &pts->v[i]))
            continue;
        pts->v[kept++] = pts->v[i];
    }
    s->base.skipped_points += (int64_t)(pts->n - kept);
    for (size_t i = 0; i < kept; i += POINT_BATCH)
        if (fn(arg, pts->v + i, kept - i < POINT_BATCH ? kept - i : POINT_BATCH, err))
            return -1;
    return 0;
}

static int walk_metrics(struct src_fs *s, const char *dir, const char *prefix, source_points_fn fn,
                        void *arg, struct ferr *err)
{
    struct names l;
    struct points pts = {0};
    int rc = list_dir(dir, &l, err);
    for (size_t i = 0; !rc && i < l.n; i++) {
        char *path = join(dir, l.v[i]);
        char *key = *prefix ? join(prefix, l.v[i]) : xstrdup(l.v[i]);
        pts.n = 0;
        if (is_dir(path))
            rc = walk_metrics(s, path, key, fn, arg, err);
        else if (is_file(path))
            rc = read_points(path, key, &pts, err) || emit_points(s, &pts, fn, arg, err);
        else
            rc = corrupt(path, "neither a file nor a folder", err);
        free(key);
        free(path);
    }
    free(pts.v);
    names_release(&l);
    return rc ? -1 : 0;
}

static int fs_points(struct source *src, const struct import_run *r, source_points_fn fn, void *arg,
                     struct ferr *err)
{
    (void)r;
    struct src_fs *s = fs_of(src);
    char *dir = join(s->run_dir, "metrics");
    int rc = walk_metrics(s, dir, "", fn, arg, err);
    free(dir);
    return rc;
}

/* ---------- inputs ---------- */

static int input_tags(json_t *m, const char *path, struct kv_list *out, struct ferr *err)
{
    json_t *tags = json_object_get(m, "tags"), *v;
    const char *k;
    if (!tags || json_is_null(tags))
        return 0;
    if (!json_is_object(tags))
        return corrupt(path, "'tags' is not a mapping", err);
    json_object_foreach(tags, k, v)
        kv_list_add(out, k, json_is_string(v) ? json_string_value(v) : "");
    return 0;
}

static int visit_input(struct src_fs *s, const char *dir, source_input_fn fn, void *arg,
                       struct ferr *err)
{
    json_t *m = NULL, *d = NULL;
    char *meta = join(dir, "meta.yaml"), *ds_dir = NULL, *ds_meta = NULL;
    struct dataset_input in = {0};
    int rc = read_yaml(meta, &m, err);
    if (rc)
        goto out;
    if (strcmp(ystr(m, "source_type"), "DATASET") || !*ystr(m, "source_id")) {
        s->base.skipped_inputs++;
        goto out;
    }
    char *datasets = join(s->exp_dir, "datasets");
    ds_dir = join(datasets, ystr(m, "source_id"));
    free(datasets);
    ds_meta = join(ds_dir, "meta.yaml");
    if (!is_file(ds_meta)) { /* MLflow skips such an input too */
        s->base.skipped_inputs++;
        goto out;
    }
    if ((rc = read_yaml(ds_meta, &d, err)) || (rc = input_tags(m, meta, &in.tags, err)))
        goto out;
    in.dataset =
        (struct dataset){(char *)ystr(d, "name"),           (char *)ystr(d, "digest"),
                         (char *)ystr(d, "source_type"),    (char *)ystr(d, "source"),
                         (char *)ystr_or_null(d, "schema"), (char *)ystr_or_null(d, "profile")};
    rc = fn(arg, &in, err);
out:
    kv_list_release(&in.tags);
    json_decref(d);
    json_decref(m);
    free(ds_meta);
    free(ds_dir);
    free(meta);
    return rc;
}

static int fs_inputs(struct source *src, const struct import_run *r, source_input_fn fn, void *arg,
                     struct ferr *err)
{
    (void)r;
    struct src_fs *s = fs_of(src);
    struct names l;
    char *dir = join(s->run_dir, "inputs");
    int rc = list_dir(dir, &l, err);
    for (size_t i = 0; !rc && i < l.n; i++) {
        char *in = join(dir, l.v[i]);
        rc = visit_input(s, in, fn, arg, err);
        free(in);
    }
    names_release(&l);
    free(dir);
    return rc;
}

/* ---------- the registry ---------- */

static int fs_models(struct source *src, source_model_fn fn, void *arg, struct ferr *err)
{
    struct src_fs *s = fs_of(src);
    struct names l;
    char *models = join(s->base.path, "models");
    int rc = list_dir(models, &l, err);
    for (size_t i = 0; !rc && i < l.n; i++) {
        json_t *m;
        char *dir = join(models, l.v[i]);
        char *meta = join(dir, "meta.yaml");
        if (!is_dir(dir) || !is_file(meta)) {
            rc = corrupt(dir, "a registered model folder without meta.yaml", err);
        } else if (!(rc = read_yaml(meta, &m, err))) {
            struct import_model im = {*ystr(m, "name") ? ystr(m, "name") : l.v[i],
                                      ystr_or_null(m, "description"), TIME_NONE, TIME_NONE};
            if (yint(m, "creation_timestamp", meta, &im.creation_time, err) ||
                yint(m, "last_updated_timestamp", meta, &im.last_updated_time, err))
                rc = -1;
            if (!rc) {
                free(s->model_dir);
                s->model_dir = xstrdup(dir);
                rc = fn(arg, &im, err);
            }
            json_decref(m);
        }
        free(meta);
        free(dir);
    }
    names_release(&l);
    free(models);
    return rc;
}

static int fs_model_tags(struct source *src, const char *model, source_kv_fn fn, void *arg,
                         struct ferr *err)
{
    (void)model;
    char *dir = join(fs_of(src)->model_dir, "tags");
    int rc = walk_values(dir, "", fn, arg, err);
    free(dir);
    return rc;
}

struct version_dir {
    int64_t version;
    char *dir;
};

static int by_version(const void *a, const void *b)
{
    const struct version_dir *x = a, *y = b;
    return (x->version > y->version) - (x->version < y->version);
}

static int visit_version(const char *dir, source_version_fn fn, void *arg, struct ferr *err)
{
    json_t *m;
    char *meta = join(dir, "meta.yaml");
    int rc = read_yaml(meta, &m, err);
    if (!rc) {
        struct import_version v = {
            .description = ystr_or_null(m, "description"),
            .user_id = ystr(m, "user_id"),
            .stage = *ystr(m, "current_stage") ? ystr(m, "current_stage") : "None",
            .source = ystr(m, "source"),
            .run_id = ystr_or_null(m, "run_id"),
            .run_link = ystr_or_null(m, "run_link"),
            .status = *ystr(m, "status") ? ystr(m, "status") : "READY",
            .status_message = ystr_or_null(m, "status_message"),
        };
        if (fjson_parse_int64(ystr(m, "version"), &v.version))
            rc = corrupt(meta, "'version' is not an integer", err);
        else if (yint(m, "creation_timestamp", meta, &v.creation_time, err) ||
                 yint(m, "last_updated_timestamp", meta, &v.last_updated_time, err))
            rc = -1;
        else
            rc = fn(arg, &v, err);
        json_decref(m);
    }
    free(meta);
    return rc;
}

static int fs_versions(struct source *src, const char *model, source_version_fn fn, void *arg,
                       struct ferr *err)
{
    (void)model;
    struct src_fs *s = fs_of(src);
    struct names l;
    struct version_dir *v = NULL;
    size_t n = 0, alloc = 0;
    int rc = list_dir(s->model_dir, &l, err);
    for (size_t i = 0; !rc && i < l.n; i++) {
        int64_t num;
        if (strncmp(l.v[i], "version-", 8) || fjson_parse_int64(l.v[i] + 8, &num))
            continue;
        ALLOC_GROW(v, n + 1, alloc);
        v[n++] = (struct version_dir){num, join(s->model_dir, l.v[i])};
    }
    if (n)
        qsort(v, n, sizeof(*v), by_version);
    for (size_t i = 0; !rc && i < n; i++)
        rc = visit_version(v[i].dir, fn, arg, err);
    for (size_t i = 0; i < n; i++)
        free(v[i].dir);
    free(v);
    names_release(&l);
    return rc;
}

static int fs_version_tags(struct source *src, const char *model, int64_t version, source_kv_fn fn,
                           void *arg, struct ferr *err)
{
    (void)model;
    struct sbuf dir = SBUF_INIT;
    sbuf_addf(&dir, "%s/version-%lld/tags", fs_of(src)->model_dir, (long long)version);
    int rc = walk_values(dir.buf, "", fn, arg, err);
    sbuf_release(&dir);
    return rc;
}

struct alias_walk {
    source_alias_fn fn;
    void *arg;
    const char *dir;
};

static int alias_value(void *arg, const char *alias, const char *value, struct ferr *err)
{
    struct alias_walk *w = arg;
    int64_t version;
    char buf[32];
    snprintf(buf, sizeof(buf), "%.30s", value);
    buf[strcspn(buf, " \r\n")] = '\0';
    if (fjson_parse_int64(buf, &version))
        return corrupt(w->dir, "an alias that names no version number", err);
    return w->fn(w->arg, alias, version, err);
}

static int fs_aliases(struct source *src, const char *model, source_alias_fn fn, void *arg,
                      struct ferr *err)
{
    (void)model;
    char *dir = join(fs_of(src)->model_dir, "aliases");
    struct alias_walk w = {fn, arg, dir};
    int rc = walk_values(dir, "", alias_value, &w, err);
    free(dir);
    return rc;
}

static void fs_close(struct source *src)
{
    struct src_fs *s = fs_of(src);
    free(s->exp_dir);
    free(s->run_dir);
    free(s->model_dir);
    free(s->base.path);
    free(s->base.description);
    free(s);
}

static const struct source_ops files_source_ops = {
    .experiments = fs_experiments,
    .experiment_tags = fs_experiment_tags,
    .runs = fs_runs,
    .params = fs_params,
    .tags = fs_tags,
    .points = fs_points,
    .inputs = fs_inputs,
    .models = fs_models,
    .model_tags = fs_model_tags,
    .versions = fs_versions,
    .version_tags = fs_version_tags,
    .aliases = fs_aliases,
    .close = fs_close,
};

/* An mlruns folder has experiment folders, a .trash or a models folder. */
static int looks_like_mlruns(const char *root, struct ferr *err)
{
    struct exp_dir *v = NULL;
    size_t n = 0, alloc = 0;
    char *trash = join(root, ".trash"), *models = join(root, "models");
    int rc = find_experiments(root, 0, &v, &n, &alloc, err);
    int found = n > 0 || is_dir(trash) || is_dir(models);
    for (size_t i = 0; i < n; i++)
        free(v[i].dir);
    free(v);
    free(trash);
    free(models);
    if (rc)
        return -1;
    if (!found)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "'%.180s' is not an MLflow file store (no <experiment id>/meta.yaml, "
                        ".trash or models folder)",
                        root);
    return 0;
}

int source_files_open(const char *path, struct source **out, struct ferr *err)
{
    char *abs = realpath(path, NULL);
    if (!abs)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "no MLflow store at '%.180s': %s", path,
                        strerror(errno));
    if (looks_like_mlruns(abs, err)) {
        free(abs);
        return -1;
    }
    struct src_fs *s = xcalloc(1, sizeof(*s));
    s->base.ops = &files_source_ops;
    s->base.kind = "MLflow file store";
    s->base.path = abs;
    s->base.description = xstrdup("file store");
    *out = &s->base;
    return 0;
}
