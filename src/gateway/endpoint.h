/* SPDX-License-Identifier: MIT
 * One deployment as a gateway serves it at one change: its targets with
 * their loaded models, live weights and figures, its shadows. Immutable
 * once built and shared by the requests in flight (references): a change
 * of the deployment builds a new endpoint (loading any new version first)
 * and swaps it in, and the old one goes when its last request does, so a
 * change fails no request.
 *
 * Routing. Targets whose model failed to load get nothing; their weight
 * goes to the others in proportion (no target loaded: 503). With a routing
 * key ("header:X" or "json:field", domain/deployment.h) a request's key is
 * hashed (SHA-256) onto 0..9999 and the cumulative weights: the same key
 * reaches the same target while the weights stay. Without a key, or a
 * request that lacks it, the pick is random by weight. */
#ifndef FERRY_GATEWAY_ENDPOINT_H
#define FERRY_GATEWAY_ENDPOINT_H

#include "base/ferr.h"
#include "gateway/model_cache.h"
#include "gateway/target_stats.h"
#include "store/deployment_record.h"

#include <stdatomic.h>
#include <stddef.h>

struct gw_target {
    char key[600];          /* "name/version" */
    struct gw_model *model; /* NULL: did not load (error says why) */
    char *error;
    int weight;    /* the deployment's live weight */
    int effective; /* what it gets here: 0 when it did not load */
    struct gw_target_stats *stats;
    struct plog_target *plog; /* what its logged rows name; NULL: did not load */
};

struct gw_endpoint {
    atomic_int refs;
    struct deployment d;
    struct gw_target targets[DEPLOY_MAX_TARGETS];
    size_t ntargets;
    struct gw_target shadows[DEPLOY_MAX_SHADOWS];
    size_t nshadows;
    int cum[DEPLOY_MAX_TARGETS]; /* cumulative effective weights */
    int serving;                 /* some target loaded with weight > 0 */
};

/* Builds the endpoint of d (copied), loading its versions through mc. A
 * target that does not load is kept with its error and no traffic. */
struct gw_endpoint *gw_endpoint_build(const struct deployment *d, struct model_cache *mc,
                                      struct gw_stats_table *stats);
void gw_endpoint_ref(struct gw_endpoint *e);
void gw_endpoint_unref(struct gw_endpoint *e);

/* The prediction log's target for a version of d (gateway/pred_logger.h):
 * its columns from s's model, its task from the spec or the model's class. */
struct plog_target;
struct scorer;
struct plog_target *gw_plog_target(const struct deployment *d, const char *model, int64_t version,
                                   int shadow, struct scorer *s);

/* The target index for a request: key (may be NULL: random) as routing
 * says; -1 when nothing is served. */
int gw_endpoint_pick(const struct gw_endpoint *e, const char *key, size_t key_len);

#endif
