/* SPDX-License-Identifier: MIT */
#include "gateway/endpoint.h"
#include "base/log.h"
#include "base/rng.h"
#include "base/xalloc.h"

#include <jansson.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static void build_target(struct gw_target *t, const struct deploy_target *dt, int weight,
                         const struct deployment *d, const char *prefix, struct model_cache *mc,
                         struct gw_stats_table *stats)
{
    struct ferr err = FERR_INIT;
    char key[sizeof(t->key) + 8];
    snprintf(t->key, sizeof(t->key), "%s/%lld", dt->name, (long long)dt->version);
    snprintf(key, sizeof(key), "%s%s", prefix, t->key);
    t->weight = weight;
    if (model_cache_get(mc, dt->name, dt->version, &t->model, &err))
        t->error = xstrdup(err.msg);
    t->stats = gw_stats_table_get(stats, d->name, d->revision, key);
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
        build_target(&e->targets[i], &d->spec.targets[i], d->status.weights[i], d, "", mc, stats);
    e->nshadows = d->spec.nshadows;
    for (size_t i = 0; i < e->nshadows; i++)
        build_target(&e->shadows[i], &d->spec.shadows[i], 0, d, "shadow:", mc, stats);
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

static int scalar_text(json_t *v, char *out, size_t size)
{
    if (json_is_string(v))
        snprintf(out, size, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, size, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(out, size, "%.17g", json_real_value(v));
    else if (json_is_boolean(v))
        snprintf(out, size, "%s", json_is_true(v) ? "true" : "false");
    else
        return -1;
    return 0;
}

static json_t *first_row_field(json_t *doc, const char *field)
{
    json_t *v, *rows;
    if ((v = json_object_get(doc, field)))
        return v;
    if ((rows = json_object_get(doc, "dataframe_records")) && json_is_array(rows))
        return json_object_get(json_array_get(rows, 0), field);
    if ((rows = json_object_get(doc, "instances")) && json_is_array(rows))
        return json_object_get(json_array_get(rows, 0), field);
    if ((rows = json_object_get(doc, "dataframe_split")) && json_is_object(rows)) {
        json_t *cols = json_object_get(rows, "columns");
        json_t *row = json_array_get(json_object_get(rows, "data"), 0);
        for (size_t i = 0; i < json_array_size(cols); i++)
            if (json_is_string(json_array_get(cols, i)) &&
                !strcmp(json_string_value(json_array_get(cols, i)), field))
                return json_array_get(row, i);
    }
    if ((rows = json_object_get(doc, "inputs")) && json_is_object(rows)) {
        v = json_object_get(rows, field);
        return json_is_array(v) ? json_array_get(v, 0) : v;
    }
    return NULL;
}

int gw_json_routing_key(const char *body, size_t len, const char *field, char *out, size_t size)
{
    json_t *doc = json_loadb(body, len, 0, NULL);
    int rc = doc ? scalar_text(first_row_field(doc, field), out, size) : -1;
    json_decref(doc);
    return rc;
}
