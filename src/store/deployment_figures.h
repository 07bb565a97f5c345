/* SPDX-License-Identifier: MIT
 * A deployment's traffic figures per target over a window, from the rows
 * every gateway reported (store_deploy_stats_read): counts are added, and
 * latency histograms merged bucket by bucket (domain/latency_hist.h), so
 * a p99 is the p99 of all gateways' traffic (p99s cannot be averaged).
 * Pure: no store, no clock. The REST status call and the gateway's rollout
 * controller both read the figures through here. */
#ifndef FERRY_STORE_DEPLOYMENT_FIGURES_H
#define FERRY_STORE_DEPLOYMENT_FIGURES_H

#include "base/ferr.h"
#include "domain/latency_hist.h"
#include "store/deployment_record.h"

#include <stddef.h>
#include <stdint.h>

struct target_figures {
    char *target; /* "name/version"; a shadow's is "shadow:name/version" (the rows' keys) */
    int shadow;
    int weight; /* the live weight (status.weights); 0 for a shadow */
    int64_t requests, errors, client_errors;
    double error_rate;        /* errors / requests; 0 without requests */
    double p50_ms, p99_ms;    /* from the merged histogram; NAN without latencies */
    double rps;               /* requests per second over the window */
    struct latency_hist hist; /* every gateway's, merged */
};
struct target_figures_list {
    struct target_figures *v;
    size_t n, alloc;
};
void target_figures_list_release(struct target_figures_list *l);

/* The key of d's answering target i ("name/version"), or of its shadow i
 * ("shadow:name/version") into buf; the gateway reports under it. */
void deployment_target_key(const struct deployment *d, int shadow, size_t i, char *buf, size_t n);

/* One entry per answering target of d, in the spec's order, then one per
 * shadow, each adding up the rows of that target with since_ms <=
 * second_ms < until_ms (rows of other targets, or of other deployments or
 * revisions, are not counted: the caller reads the revision it judges).
 * A row whose histogram text does not decode is INVALID_PARAMETER_VALUE
 * naming the gateway (*out then empty). */
int deployment_figures(const struct deployment *d, const struct deploy_stats_list *rows,
                       int64_t since_ms, int64_t until_ms, struct target_figures_list *out,
                       struct ferr *err) WARN_UNUSED;

#endif
