/* SPDX-License-Identifier: MIT */
#include "gateway/endpoint.h"
#include "base/log.h"
#include "base/rng.h"
#include "gateway/pred_logger.h"
#include "models/model.h"
#include "store/deployment_figures.h"
#include "base/xalloc.h"

#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* Target i (or shadow i) of d: its model loaded through mc, its figures
 * under the key the controller reads them by (store/deployment_figures.h). */
static void build_target(struct gw_target *t, const struct deployment *d, int shadow, size_t i,
                         int weight, struct model_cache *mc, struct gw_stats_table *stats)
{
    const struct deploy_target *dt = shadow ? &d->spec.shadows[i] : &d->spec.targets[i];
    struct ferr err = FERR_INIT;
    char key[sizeof(t->key) + 8]; /* a shadow's starts "shadow:" */
    deployment_target_key(d, shadow, i, key, sizeof(key));
    snprintf(t->key, sizeof(t->key), "%.*s", (int)sizeof(t->key) - 1, shadow ? key + 7 : key);
    t->weight = weight;
    if (model_cache_get(mc, dt->name, dt->version, &t->model, &err))
        t->error = xstrdup(err.msg);
    t->stats = gw_stats_table_get(stats, d->name, d->revision, key);
    if (t->model)
        t->plog = gw_plog_target(d, dt->name, dt->version, shadow, gw_model_scorer(t->model));
}

/* The task the spec names, else the one the model's class says
 * (XGBClassifier, XGBRegressor, ...); NULL: not known. */
static const char *model_task(const struct deployment *d, struct scorer *s)
{
    if (d->spec.task)
        return d->spec.task;
    json_t *desc = model_describe(scorer_model(s));
    const char *cls = json_string_value(json_object_get(desc, "model_class"));
    const char *task = !cls                        ? NULL
                       : strstr(cls, "Classifier") ? "classification"
                       : strstr(cls, "Regressor")  ? "regression"
                                                   : NULL;
    json_decref(desc);
    return task;
}

struct plog_target *gw_plog_target(const struct deployment *d, const char *model, int64_t version,
                                   int shadow, struct scorer *s)
{
    size_t ncols;
    const char *const *cols = scorer_columns(s, &ncols);
    struct plog_target_spec ps = {d->name, d->revision,      model,       version, shadow, cols,
                                  ncols,   model_task(d, s), &d->spec.log};
    return plog_target_new(&ps);
}

struct gw_endpoint *gw_endpoint_build(const struct deployment *d, struct model_cache *mc,
                                      struct gw_stats_table *stats)
{
    struct gw_endpoint *e = xcalloc(1, sizeof(*e));
    struct ferr err = FERR_INIT;
    atomic_init(&e->refs, 1);
    if (deployment_copy(d, &e->d, &err)) { /* only a corrupt record fails here */
        log_warn("deployment '%s': %s", d->name, err.msg);
        return e;
    }
    e->ntargets = d->spec.ntargets;
    for (size_t i = 0; i < e->ntargets; i++)
        build_target(&e->targets[i], d, 0, i, d->status.weights[i], mc, stats);
    e->nshadows = d->spec.nshadows;
    for (size_t i = 0; i < e->nshadows; i++)
        build_target(&e->shadows[i], d, 1, i, 0, mc, stats);
    /* a target that did not load gets nothing; the others share its weight
     * in proportion to theirs */
    int live = 0, sum = 0;
    for (size_t i = 0; i < e->ntargets; i++)
        if (e->targets[i].model)
            live += e->targets[i].weight;
    for (size_t i = 0; i < e->ntargets; i++) {
        struct gw_target *t = &e->targets[i];
        t->effective = t->model && live ? t->weight : 0;
        sum += t->effective;
        e->cum[i] = sum;
    }
    e->serving = sum > 0;
    return e;
}

void gw_endpoint_ref(struct gw_endpoint *e)
{
    atomic_fetch_add(&e->refs, 1);
}

static void release_target(struct gw_target *t)
{
    gw_model_unref(t->model);
    plog_target_unref(t->plog);
    free(t->error);
    gw_target_stats_unref(t->stats);
}

void gw_endpoint_unref(struct gw_endpoint *e)
{
    if (!e || atomic_fetch_sub(&e->refs, 1) != 1)
        return;
    for (size_t i = 0; i < e->ntargets; i++)
        release_target(&e->targets[i]);
    for (size_t i = 0; i < e->nshadows; i++)
        release_target(&e->shadows[i]);
    deployment_release(&e->d);
    free(e);
}

int gw_endpoint_pick(const struct gw_endpoint *e, const char *key, size_t key_len)
{
    if (!e->serving)
        return -1;
    int total = e->cum[e->ntargets - 1];
    unsigned point; /* on 0 .. total*100-1, so a key's position is fine-grained */
    if (key && key_len) {
        unsigned char h[SHA256_DIGEST_LENGTH];
        SHA256((const unsigned char *)key, key_len, h);
        uint32_t v = (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
        point = (unsigned)(v % (uint32_t)(total * 100));
    } else {
        point = (unsigned)rng_below(rng_thread(), (uint64_t)total * 100);
    }
    for (size_t i = 0; i < e->ntargets; i++)
        if (point < (unsigned)e->cum[i] * 100)
            return (int)i;
    return (int)e->ntargets - 1;
}
