/* SPDX-License-Identifier: MIT */
#include "models/model.h"
#include "models/flavor.h"
#include "base/json.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* In order of preference: native runtimes first. */
static const struct flavor *const flavors[] = {&flavor_xgboost, &flavor_sklearn};
#define NFLAVORS (sizeof(flavors) / sizeof(flavors[0]))

struct model {
    const struct flavor *flavor;
    void *state;
    struct mlmodel mlmodel;
};

/* The flavor ferry runs m with: the first of flavors[] the MLmodel has. */
static const struct flavor *pick_flavor(const struct mlmodel *m, const char *dir, struct ferr *err)
{
    for (size_t i = 0; i < NFLAVORS; i++)
        if (mlmodel_flavor(m, flavors[i]->name))
            return flavors[i];
    struct sbuf names = SBUF_INIT, ours = SBUF_INIT;
    const char *k;
    json_t *v;
    json_object_foreach(m->flavors, k, v)
    {
        (void)v;
        sbuf_addf(&names, "%s%s", names.len ? ", " : "", k);
    }
    for (size_t i = 0; i < NFLAVORS; i++)
        sbuf_addf(&ours, "%s%s", i ? ", " : "", flavors[i]->name);
    ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
             "no flavor ferry can run in '%.200s' (it has: %s; ferry runs: %s)", dir,
             names.len ? names.buf : "none", ours.buf);
    sbuf_release(&names);
    sbuf_release(&ours);
    return NULL;
}

int model_flavor_of(const struct mlmodel *m, const char *dir, const char **name, int *in_process,
                    struct ferr *err)
{
    const struct flavor *f = pick_flavor(m, dir, err);
    if (!f)
        return -1;
    *name = f->name;
    *in_process = f->in_process;
    return 0;
}

int model_load_dir(const char *dir, const struct model_opts *opts, struct model **out,
                   struct ferr *err)
{
    static const struct model_opts defaults;
    struct model *m = xcalloc(1, sizeof(*m));
    *out = NULL;
    if (mlmodel_read_dir(dir, &m->mlmodel, err)) {
        free(m);
        return -1;
    }
    m->flavor = pick_flavor(&m->mlmodel, dir, err);
    if (!m->flavor) {
        model_free(m);
        return -1;
    }
    if (m->flavor->load(dir, &m->mlmodel, opts ? opts : &defaults, &m->state, err)) {
        m->state = NULL;
        model_free(m);
        return -1;
    }
    *out = m;
    return 0;
}

static int check_input(const struct model_input *in, struct ferr *err)
{
    if (!in || !in->values || !in->rows || !in->cols)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "the input has no rows or columns");
    return 0;
}

int model_predict(struct model *m, const struct model_input *in, struct model_output *out,
                  struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    return check_input(in, err) || m->flavor->predict(m->state, in, out, err) ? -1 : 0;
}

int model_explain(struct model *m, const struct model_input *in, struct model_output *out,
                  struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!m->flavor->explain)
        return ferr_set(err, FERR_NOT_IMPLEMENTED, "the %s flavor cannot explain predictions",
                        m->flavor->name);
    return check_input(in, err) || m->flavor->explain(m->state, in, out, err) ? -1 : 0;
}

const struct mlmodel *model_mlmodel(const struct model *m)
{
    return &m->mlmodel;
}

const char *model_flavor(const struct model *m)
{
    return m->flavor->name;
}

int model_in_process(const struct model *m)
{
    return m->flavor->in_process;
}

json_t *model_describe(const struct model *m)
{
    json_t *o = json_pack("{s:s}", "flavor", m->flavor->name);
    if (m->flavor->describe)
        m->flavor->describe(m->state, o);
    return o;
}

void model_free(struct model *m)
{
    if (!m)
        return;
    if (m->flavor && m->state)
        m->flavor->free(m->state);
    mlmodel_release(&m->mlmodel);
    free(m);
}
