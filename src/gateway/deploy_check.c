/* SPDX-License-Identifier: MIT */
#include "gateway/deploy_check.h"
#include "base/xalloc.h"
#include "client/client_registry.h"
#include "models/mlmodel.h"
#include "models/model.h"
#include "models/model_files.h"
#include "serving/scorer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/banned.h"

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static int same_inputs(const struct model_signature *a, const struct model_signature *b)
{
    if (a->ninputs != b->ninputs || a->tensor_based != b->tensor_based)
        return 0;
    for (size_t i = 0; i < a->ninputs; i++) {
        const struct model_column *x = &a->inputs[i], *y = &b->inputs[i];
        if (!same_str(x->name, y->name) || !same_str(x->type, y->type) ||
            !same_str(x->dtype, y->dtype) || x->ndim != y->ndim)
            return 0;
        for (size_t d = 0; d < x->ndim; d++)
            if (x->shape[d] != y->shape[d])
                return 0;
    }
    return 1;
}

static void describe(const struct model_signature *s, char *out, size_t size)
{
    size_t o = 0;
    out[0] = '\0';
    for (size_t i = 0; i < s->ninputs && o + 1 < size; i++) {
        int n = snprintf(out + o, size - o, "%s%s:%s", i ? ", " : "",
                         s->inputs[i].name ? s->inputs[i].name : "?",
                         s->inputs[i].type ? s->inputs[i].type : "?");
        if (n < 0)
            break;
        o += (size_t)n;
    }
    if (!s->ninputs)
        snprintf(out, size, "none");
}

/* A Python flavor's pickled model, checked without running it. */
static int pickle_present(const char *dir, const struct mlmodel *m, struct ferr *err)
{
    const char *rel = mlmodel_flavor_str(m, "sklearn", "pickled_model");
    if (!rel)
        rel = mlmodel_flavor_str(m, "python_function", "model_path");
    if (!rel)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "its MLmodel names no model file (sklearn.pickled_model)");
    char path[4096];
    struct stat st;
    snprintf(path, sizeof(path), "%s/%s", dir, rel);
    if (strstr(rel, "..") || stat(path, &st) || !S_ISREG(st.st_mode))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "its model file '%.200s' is missing",
                        rel);
    return 0;
}

static int check_dir(const char *dir, enum deploy_check_depth depth, struct mlmodel *m,
                     struct ferr *err)
{
    const char *flavor;
    int in_process;
    if (mlmodel_read_dir(dir, m, err) || model_flavor_of(m, dir, &flavor, &in_process, err))
        return -1;
    if (depth == DEPLOY_CHECK_NATIVE && !in_process)
        return pickle_present(dir, m, err);
    struct scorer *sc = NULL;
    int rc = scorer_load(dir, NULL, &sc, err);
    scorer_free(sc);
    return rc;
}

static int check_one(const struct deploy_target *t, const char *what,
                     const struct deploy_files *files, enum deploy_check_depth depth,
                     struct mlmodel *m, struct ferr *err)
{
    char *dir = NULL;
    void *handle = NULL;
    char msg[sizeof(err->msg)];
    int rc = files->open(files->arg, t, &dir, &handle, err);
    if (rc == 0) {
        rc = check_dir(dir, depth, m, err);
        files->close(files->arg, handle);
        free(dir);
    }
    if (rc == 0)
        return 0;
    snprintf(msg, sizeof(msg), "%s", err->msg);
    return ferr_set(err, err->code == FERR_OK ? FERR_INVALID_PARAMETER_VALUE : err->code,
                    "%s %.300s cannot be served: %s", what, t->model, msg);
}

int deploy_check_spec(const struct deployment_spec *spec, const struct deploy_files *files,
                      enum deploy_check_depth depth, struct ferr *err)
{
    struct mlmodel first;
    char what[48];
    int rc = 0;
    memset(&first, 0, sizeof(first));
    for (size_t i = 0; rc == 0 && i < spec->ntargets; i++) {
        struct mlmodel m;
        memset(&m, 0, sizeof(m));
        snprintf(what, sizeof(what), "targets[%zu]", i);
        if (check_one(&spec->targets[i], what, files, depth, i ? &m : &first, err)) {
            rc = -1;
        } else if (i && !same_inputs(&first.signature, &m.signature)) {
            char a[400], b[400];
            describe(&first.signature, a, sizeof(a));
            describe(&m.signature, b, sizeof(b));
            rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                          "%s %.300s takes other inputs than targets[0] %.300s (%s, not %s): "
                          "a request one answers the other would refuse",
                          what, spec->targets[i].model, spec->targets[0].model, b, a);
        }
        if (i)
            mlmodel_release(&m);
    }
    for (size_t i = 0; rc == 0 && i < spec->nshadows; i++) {
        struct mlmodel m;
        memset(&m, 0, sizeof(m));
        snprintf(what, sizeof(what), "shadow[%zu]", i);
        rc = check_one(&spec->shadows[i], what, files, depth, &m, err);
        mlmodel_release(&m);
    }
    mlmodel_release(&first);
    return rc;
}

/* ---------- the CLI's files: through the client ---------- */

static int client_open_files(void *arg, const struct deploy_target *t, char **dir, void **handle,
                             struct ferr *err)
{
    struct client *c = arg;
    struct model_version v;
    char *where = NULL, uri[700];
    memset(&v, 0, sizeof(v));
    if (client_resolve_model_uri(c, t->model, &where, &v, err))
        return -1;
    free(where);
    snprintf(uri, sizeof(uri), "models:/%s/%lld", v.name, (long long)v.version);
    model_version_release(&v);
    struct model_files *f = xcalloc(1, sizeof(*f));
    if (model_files_open(c, uri, f, err)) {
        free(f);
        return -1;
    }
    *dir = xstrdup(f->dir.buf);
    *handle = f;
    return 0;
}

static void client_close_files(void *arg, void *handle)
{
    (void)arg;
    model_files_close(handle);
    free(handle);
}

int deploy_check(struct client *c, const struct deployment_spec *spec, struct ferr *err)
{
    struct deploy_files files = {client_open_files, client_close_files, c};
    return deploy_check_spec(spec, &files, DEPLOY_CHECK_LOAD, err);
}
