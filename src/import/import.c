/* SPDX-License-Identifier: MIT
 * The import itself: walks the source (import/source.h) and writes each
 * record through the store's import area (store/import.h), counting what
 * was read, written, found present and skipped; reads each run and model
 * back before going on. All of it inside one store transaction, committed
 * at the end, so a failure anywhere leaves the store as it was. */
#include "import/import.h"
#include "import/copy.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "store/import.h"
#include "store/postgres/postgres.h"
#include "store/store.h"
#include "store/uri.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/banned.h"

static const char *const kind_names[IK__COUNT] = {
    [IK_EXPERIMENTS] = "experiments",
    [IK_EXPERIMENT_TAGS] = "experiment tags",
    [IK_RUNS] = "runs",
    [IK_PARAMS] = "params",
    [IK_TAGS] = "tags",
    [IK_METRICS] = "metric points",
    [IK_INPUTS] = "dataset inputs",
    [IK_MODELS] = "registered models",
    [IK_MODEL_TAGS] = "model tags",
    [IK_VERSIONS] = "model versions",
    [IK_VERSION_TAGS] = "version tags",
    [IK_ALIASES] = "aliases",
};

const char *import_kind_name(enum import_kind k)
{
    return k < IK__COUNT ? kind_names[k] : "?";
}

struct ctx {
    const struct import_opts *o;
    struct import_report *r;
    struct source *src;
    struct store_import *tx;
    struct artifact_repo *dest; /* copying artifacts into it */
    const struct import_experiment *exp;
    /* the run being visited: is it new, and what the source holds for it */
    int run_new;
    struct import_counts want;
    /* the model being visited */
    const char *model;
    int model_new;
    int64_t highest;
    int64_t *live; /* its version numbers that are not deleted */
    size_t nlive, alive;
};

static void tally(struct ctx *x, enum import_kind k, enum import_outcome out)
{
    x->r->k[k].read++;
    if (out == IMPORT_WRITTEN)
        x->r->k[k].imported++;
    else
        x->r->k[k].present++;
}

/* have must equal want for what this import created, and cover it for what
 * the store held before (it may have gained rows since). */
static int check(const char *what, const char *id, const char *kind, int64_t have, int64_t want,
                 int exact, struct ferr *err)
{
    if (exact ? have == want : have >= want)
        return 0;
    return ferr_set(err, FERR_INTERNAL_ERROR,
                    "verification failed: %s '%.100s' has %" PRId64 " %s in the store after the "
                    "import, the source %" PRId64 "; nothing was imported",
                    what, id, have, kind, want);
}

/* ---------- runs ---------- */

static int on_param(void *arg, const char *key, const char *value, struct ferr *err)
{
    struct ctx *x = arg;
    enum import_outcome out;
    if (store_import_param(x->tx, key, value, &out, err))
        return -1;
    tally(x, IK_PARAMS, out);
    x->want.params++;
    return 0;
}

static int on_tag(void *arg, const char *key, const char *value, struct ferr *err)
{
    struct ctx *x = arg;
    enum import_outcome out;
    if (store_import_tag(x->tx, key, value, &out, err))
        return -1;
    tally(x, IK_TAGS, out);
    x->want.tags++;
    return 0;
}

static int on_points(void *arg, const struct import_point *v, size_t n, struct ferr *err)
{
    struct ctx *x = arg;
    size_t written;
    if (store_import_points(x->tx, v, n, &written, err))
        return -1;
    x->r->k[IK_METRICS].read += (int64_t)n;
    x->r->k[IK_METRICS].imported += (int64_t)written;
    x->r->k[IK_METRICS].present += (int64_t)(n - written);
    x->want.points += (int64_t)n;
    return 0;
}

static int on_input(void *arg, const struct dataset_input *in, struct ferr *err)
{
    struct ctx *x = arg;
    enum import_outcome out;
    if (store_import_input(x->tx, in, &out, err))
        return -1;
    tally(x, IK_INPUTS, out);
    x->want.inputs++;
    return 0;
}

static int verify_run(struct ctx *x, const char *run_id, struct ferr *err)
{
    struct import_counts have;
    int exact = x->run_new;
    if (store_import_count_run(x->tx, run_id, &have, err))
        return -1;
    return check("run", run_id, "params", have.params, x->want.params, exact, err) ||
                   check("run", run_id, "tags", have.tags, x->want.tags, exact, err) ||
                   check("run", run_id, "metric points", have.points, x->want.points, exact, err) ||
                   check("run", run_id, "dataset inputs", have.inputs, x->want.inputs, exact, err)
               ? -1
               : 0;
}

/* With --copy-artifacts: the run's new URI when its files are here to copy
 * (sb), else NULL (the URI is kept). */
static const char *copied_uri(struct ctx *x, const struct import_run *r, char **src_dir,
                              struct sbuf *sb)
{
    *src_dir = NULL;
    if (!x->dest ||
        !(*src_dir = copy_local_dir(r->artifact_uri, x->o->mlflow_artifacts_destination)))
        return NULL;
    sbuf_addf(sb, "mlflow-artifacts:/%" PRId64 "/%s/artifacts", r->experiment_id, r->run_id);
    return sb->buf;
}

static int copy_run_artifacts(struct ctx *x, const struct import_run *r, const char *src_dir,
                              struct ferr *err)
{
    struct copy_tally t = {0, 0, 0};
    struct sbuf prefix = SBUF_INIT;
    sbuf_addf(&prefix, "%" PRId64 "/%s/artifacts", r->experiment_id, r->run_id);
    int rc = copy_tree(x->dest, src_dir, prefix.buf, &t, err);
    sbuf_release(&prefix);
    x->r->artifact_runs += !rc;
    x->r->artifact_files += t.files;
    x->r->artifact_bytes += t.bytes;
    x->r->artifact_others += t.not_files;
    return rc;
}

static int on_run(void *arg, const struct import_run *r, struct ferr *err)
{
    struct ctx *x = arg;
    struct import_run w = *r;
    struct sbuf uri = SBUF_INIT;
    char *src_dir;
    enum import_outcome out;
    const char *moved = copied_uri(x, r, &src_dir, &uri);
    int rc = -1;
    if (moved)
        w.artifact_uri = moved;
    if (store_import_run(x->tx, &w, &out, err))
        goto out;
    tally(x, IK_RUNS, out);
    x->run_new = out == IMPORT_WRITTEN;
    memset(&x->want, 0, sizeof(x->want));
    if (x->run_new && x->dest && !moved)
        x->r->artifacts_kept++;
    if ((x->run_new && moved && copy_run_artifacts(x, r, src_dir, err)) ||
        x->src->ops->params(x->src, r, on_param, x, err) ||
        x->src->ops->tags(x->src, r, on_tag, x, err) ||
        x->src->ops->points(x->src, r, on_points, x, err) ||
        x->src->ops->inputs(x->src, r, on_input, x, err) || store_import_run_done(x->tx, err) ||
        verify_run(x, r->run_id, err))
        goto out;
    rc = 0;
out:
    free(src_dir);
    sbuf_release(&uri);
    return rc;
}

/* ---------- experiments ---------- */

static int on_experiment_tag(void *arg, const char *key, const char *value, struct ferr *err)
{
    struct ctx *x = arg;
    enum import_outcome out;
    if (store_import_experiment_tag(x->tx, x->exp->id, key, value, &out, err))
        return -1;
    tally(x, IK_EXPERIMENT_TAGS, out);
    return 0;
}

static int on_experiment(void *arg, const struct import_experiment *e, struct ferr *err)
{
    struct ctx *x = arg;
    struct import_experiment w = *e;
    struct sbuf loc = SBUF_INIT;
    enum import_outcome out;
    int64_t tags_before = x->r->k[IK_EXPERIMENT_TAGS].read, have;
    char id[24];
    if (x->dest && e->id != 0) { /* Default keeps the store's own location */
        sbuf_addf(&loc, "mlflow-artifacts:/%" PRId64, e->id);
        w.artifact_location = loc.buf;
    }
    snprintf(id, sizeof(id), "%" PRId64, e->id);
    x->exp = &w;
    int rc = store_import_experiment(x->tx, &w, &out, err);
    if (!rc) {
        tally(x, IK_EXPERIMENTS, out);
        rc = x->src->ops->experiment_tags(x->src, e, on_experiment_tag, x, err) ||
                     store_import_count_experiment_tags(x->tx, e->id, &have, err) ||
                     check("experiment", id, "tags", have,
                           x->r->k[IK_EXPERIMENT_TAGS].read - tags_before, out == IMPORT_WRITTEN,
                           err) ||
                     x->src->ops->runs(x->src, e, on_run, x, err)
                 ? -1
                 : 0;
    }
    x->exp = NULL;
    sbuf_release(&loc);
    return rc;
}

/* ---------- the registry ---------- */

static int on_model_tag(void *arg, const char *key, const char *value, struct ferr *err)
{
    struct ctx *x = arg;
    enum import_outcome out;
    if (store_import_model_tag(x->tx, key, value, &out, err))
        return -1;
    tally(x, IK_MODEL_TAGS, out);
    x->want.model_tags++;
    return 0;
}

struct version_tag_arg {
    struct ctx *x;
    int64_t version;
};

static int on_version_tag(void *arg, const char *key, const char *value, struct ferr *err)
{
    struct version_tag_arg *a = arg;
    enum import_outcome out;
    if (store_import_version_tag(a->x->tx, a->version, key, value, &out, err))
        return -1;
    tally(a->x, IK_VERSION_TAGS, out);
    a->x->want.version_tags++;
    return 0;
}

static int on_version(void *arg, const struct import_version *v, struct ferr *err)
{
    struct ctx *x = arg;
    enum import_outcome out;
    if (v->version > x->highest)
        x->highest = v->version;
    if (v->stage && !strcmp(v->stage, "Deleted_Internal")) {
        /* Deleted in MLflow, kept only so its number is not reused. */
        x->r->k[IK_VERSIONS].read++;
        x->r->k[IK_VERSIONS].skipped++;
        return 0;
    }
    if (store_import_version(x->tx, v, &out, err))
        return -1;
    tally(x, IK_VERSIONS, out);
    x->want.versions++;
    ALLOC_GROW(x->live, x->nlive + 1, x->alive);
    x->live[x->nlive++] = v->version;
    struct version_tag_arg a = {x, v->version};
    return x->src->ops->version_tags(x->src, x->model, v->version, on_version_tag, &a, err);
}

static int on_alias(void *arg, const char *alias, int64_t version, struct ferr *err)
{
    struct ctx *x = arg;
    enum import_outcome out;
    size_t i = 0;
    while (i < x->nlive && x->live[i] != version)
        i++;
    if (i == x->nlive) { /* points at a version that is gone */
        x->r->k[IK_ALIASES].read++;
        x->r->k[IK_ALIASES].skipped++;
        return 0;
    }
    if (store_import_alias(x->tx, alias, version, &out, err))
        return -1;
    tally(x, IK_ALIASES, out);
    x->want.aliases++;
    return 0;
}

static int verify_model(struct ctx *x, const char *name, struct ferr *err)
{
    struct import_counts have;
    int exact = x->model_new;
    if (store_import_count_model(x->tx, name, &have, err))
        return -1;
    return check("registered model", name, "tags", have.model_tags, x->want.model_tags, exact,
                 err) ||
                   check("registered model", name, "versions", have.versions, x->want.versions,
                         exact, err) ||
                   check("registered model", name, "version tags", have.version_tags,
                         x->want.version_tags, exact, err) ||
                   check("registered model", name, "aliases", have.aliases, x->want.aliases, exact,
                         err)
               ? -1
               : 0;
}

static int on_model(void *arg, const struct import_model *m, struct ferr *err)
{
    struct ctx *x = arg;
    enum import_outcome out;
    if (store_import_model(x->tx, m, &out, err))
        return -1;
    tally(x, IK_MODELS, out);
    x->model = m->name;
    x->model_new = out == IMPORT_WRITTEN;
    x->highest = 0;
    x->nlive = 0;
    memset(&x->want, 0, sizeof(x->want));
    return x->src->ops->model_tags(x->src, m->name, on_model_tag, x, err) ||
                   x->src->ops->versions(x->src, m->name, on_version, x, err) ||
                   x->src->ops->aliases(x->src, m->name, on_alias, x, err) ||
                   store_import_model_done(x->tx, x->highest, err) || verify_model(x, m->name, err)
               ? -1
               : 0;
}

/* ---------- the whole import ---------- */

/* The file a ferry store URI names (as store_open reads it), in *path;
 * NULL for a PostgreSQL database. -1 with err set when it names neither. */
static int target_path(const char *uri, const char **path, struct ferr *err)
{
    *path = NULL;
    if (!uri || !*uri)
        *path = "ferry.db";
    else if (store_uri_is_postgres(uri))
        return 0;
    else if (!strncmp(uri, "sqlite:///", 10))
        *path = uri + 9;
    else if (!strncmp(uri, "sqlite://", 9))
        *path = uri + 9;
    else if (strstr(uri, "://"))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "cannot import into '%.200s': an import writes to a ferry store "
                        "(sqlite:///path, a path or postgresql://...), not through a server",
                        uri);
    else
        *path = uri;
    return 0;
}

static int same_file(const char *a, const char *b)
{
    struct stat x, y;
    return !stat(a, &x) && !stat(b, &y) && x.st_dev == y.st_dev && x.st_ino == y.st_ino;
}

static void report_source(struct import_report *r, const struct source *src)
{
    snprintf(r->source_kind, sizeof(r->source_kind), "%s", src->kind);
    snprintf(r->source_path, sizeof(r->source_path), "%s", src->path);
    snprintf(r->source_description, sizeof(r->source_description), "%s",
             src->description ? src->description : "");
    r->nskips = src->nskips;
    memcpy(r->skips, src->skips, sizeof(r->skips));
    r->k[IK_METRICS].read += src->skipped_points;
    r->k[IK_METRICS].skipped += src->skipped_points;
    r->k[IK_INPUTS].read += src->skipped_inputs;
    r->k[IK_INPUTS].skipped += src->skipped_inputs;
}

static int walk(struct ctx *x, struct store *s, struct ferr *err)
{
    int rc = store_import_begin(s, &x->tx, err);
    if (!rc)
        rc = x->src->ops->experiments(x->src, on_experiment, x, err) ||
                     x->src->ops->models(x->src, on_model, x, err)
                 ? -1
                 : 0;
    if (rc) {
        store_import_abort(x->tx);
        return -1;
    }
    return store_import_commit(x->tx, err);
}

int import_mlflow(const struct import_opts *o, struct import_report *r, struct ferr *err)
{
    struct store_opts so = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ctx x = {.o = o, .r = r};
    memset(r, 0, sizeof(*r));
    const char *tpath;
    if (target_path(o->target, &tpath, err) || source_open(o->source, &x.src, err))
        return -1;
    int rc = -1;
    if (tpath ? same_file(x.src->path, tpath)
              : x.src->ops->is_database && x.src->ops->is_database(x.src, o->target)) {
        char *shown = store_uri_redacted(tpath ? tpath : o->target);
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                 "'%.200s' is the source itself: import into another ferry store", shown);
        free(shown);
        goto out;
    }
    if (o->copy_artifacts &&
        artifact_repo_open(o->artifacts_destination ? o->artifacts_destination : "mlartifacts",
                           &x.dest, err))
        goto out;
    if (store_open(o->target, &so, &s, err))
        goto out;
    rc = walk(&x, s, err);
out:
    report_source(r, x.src);
    store_close(s);
    artifact_repo_close(x.dest);
    source_close(x.src);
    free(x.live);
    return rc;
}
