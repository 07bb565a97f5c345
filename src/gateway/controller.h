/* SPDX-License-Identifier: MIT
 * The rollout controller: advances a deployment's rollout step by step
 * and rolls it back by itself when a guard breaks (domain/deployment.h has
 * the rules' inputs). With several gateways on one store exactly one
 * decides for a deployment at a time: the holder of the store's lease
 * "deployment/<name>" (store/leases.h), renewed each tick; every change it
 * makes is fenced by that lease (a gateway that lost it cannot write) and
 * names the change it decided on (a change made meanwhile, by a person or
 * another gateway, voids the decision). It judges every gateway's figures
 * for the revision (store/deployments.h), merged: counts add, latency
 * histograms add, p99s are read from the sum.
 *
 * Each tick (every 250 ms, after the gateway's report; the lease renewed
 * once a second) for a deployment whose rollout progresses:
 *   - the window (guards.window) must hold guards.min_samples requests at
 *     the candidate before anything is judged;
 *   - a sample-ratio check first: when the candidate's share of the
 *     answered requests is off its weight by more than 5 standard errors
 *     (binomial, at least 200 requests), routing is at fault, not the
 *     models: nothing is judged, it is logged and counted;
 *   - guards: the candidate's error rate (target errors / requests) above
 *     max_error_rate; its p99 above max_p99_ms; its p99 over the stable
 *     targets' (merged) above max_latency_ratio. A breached check counts
 *     one failure; failure_limit consecutive failures roll back at once
 *     (the reason names the guard and the figures); a check that holds
 *     resets the count;
 *   - advancing needs the step's interval over, rollout.min_requests at
 *     the candidate since the step began, and every guard holding;
 *   - with a quality term (guards.min_accuracy_delta), advancing also
 *     needs the prediction log's labels for the step's rows: read (exactly,
 *     at most every 5 s) once the step would otherwise advance; fewer than
 *     guards.min_labels labeled rows at the candidate or the stable
 *     targets hold the step; then the non-inferiority test of
 *     domain/rollout_check.h advances it or rolls back at once (judged
 *     once per step, so failure_limit does not apply to it). */
#ifndef FERRY_GATEWAY_CONTROLLER_H
#define FERRY_GATEWAY_CONTROLLER_H

#include "client/client.h"
#include "store/deployment_record.h"

#include <stdint.h>

struct controller_env {
    struct client *client;
    const char *holder; /* this gateway's id */
    /* The deployment as a change this controller made left it (so the
     * deciding gateway applies it now, not at its next poll). */
    void (*install)(void *arg, const struct deployment *d);
    void *arg;
};

struct controller;
struct controller *controller_new(const struct controller_env *env);
/* Gives up the leases it holds; frees it. */
void controller_free(struct controller *c);
/* One decision round for d (its current record), at now_ms. Breached
 * checks count as failures at most once a second. */
void controller_tick(struct controller *c, const struct deployment *d, int64_t now_ms);
/* Gives up the leases of deployments not named (gone, or no longer
 * progressing), so another gateway need not wait for them to expire.
 * Called on the ticking thread. */
void controller_keep_only(struct controller *c, const char *const *names, size_t n);

struct controller_counts {
    unsigned long long rollbacks, steps, srm_flags, breaches;
};
void controller_counts(const struct controller *c, struct controller_counts *out);

#endif
