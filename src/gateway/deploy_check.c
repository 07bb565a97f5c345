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

/* Loads one version; *sig (when not NULL) gets its input signature. */
static int check_one(struct client *c, const struct deploy_target *t, const char *what,
                     struct mlmodel *sig, struct ferr *err)
{
    struct model_version v;
    struct model_files f;
    struct scorer *sc = NULL;
    char *where = NULL, uri[700];
    char msg[sizeof(err->msg)];
    memset(&v, 0, sizeof(v));
    if (client_resolve_model_uri(c, t->model, &where, &v, err))
        goto fail;
    free(where);
    snprintf(uri, sizeof(uri), "models:/%s/%lld", v.name, (long long)v.version);
    model_version_release(&v);
    if (model_files_open(c, uri, &f, err))
        goto fail;
    int rc = mlmodel_read_dir(f.dir.buf, sig, err) || scorer_load(f.dir.buf, NULL, &sc, err);
    scorer_free(sc);
    model_files_close(&f);
    if (!rc)
        return 0;
fail:
    snprintf(msg, sizeof(msg), "%s", err->msg);
    return ferr_set(err, err->code == FERR_OK ? FERR_INVALID_PARAMETER_VALUE : err->code,
                    "%s %.300s cannot be served: %s", what, t->model, msg);
}

int deploy_check(struct client *c, const struct deployment_spec *spec, struct ferr *err)
{
    struct mlmodel first;
    char what[48];
    int rc = 0;
    memset(&first, 0, sizeof(first));
    for (size_t i = 0; rc == 0 && i < spec->ntargets; i++) {
        struct mlmodel m;
        memset(&m, 0, sizeof(m));
        snprintf(what, sizeof(what), "targets[%zu]", i);
        if (check_one(c, &spec->targets[i], what, i ? &m : &first, err)) {
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
        rc = check_one(c, &spec->shadows[i], what, &m, err);
        mlmodel_release(&m);
    }
    mlmodel_release(&first);
    return rc;
}
