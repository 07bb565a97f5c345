/* SPDX-License-Identifier: MIT
 * The model versions a gateway has loaded, each once whatever number of
 * deployments and revisions name it: a revision's targets take references,
 * and a version no live revision names is unloaded after a grace period
 * (so a revision that comes back right away finds it loaded). Loading
 * happens before any traffic moves to a version (gateway.c's watcher). */
#ifndef FERRY_GATEWAY_MODEL_CACHE_H
#define FERRY_GATEWAY_MODEL_CACHE_H

#include "base/ferr.h"
#include "client/client.h"
#include "models/model.h"

#include <stdint.h>

struct gw_model; /* a loaded version: its scorer, its files */
struct model_cache;

struct model_cache *model_cache_new(struct client *c, const struct model_opts *opts);
/* Frees every version; no reference may be held any more. */
void model_cache_free(struct model_cache *mc);
/* name's version, loaded if it is not (may take seconds). A version that
 * failed to load is remembered with its error for a while (retried after
 * 30 s), so a broken target costs one attempt, not one per poll. */
int model_cache_get(struct model_cache *mc, const char *name, int64_t version,
                    struct gw_model **out, struct ferr *err) WARN_UNUSED;
void gw_model_ref(struct gw_model *m);
void gw_model_unref(struct gw_model *m);
struct scorer *gw_model_scorer(const struct gw_model *m);
/* Unloads versions without references for more than grace_ms. */
void model_cache_sweep(struct model_cache *mc, int64_t grace_ms);

#endif
