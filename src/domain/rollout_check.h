/* SPDX-License-Identifier: MIT
 * One check of a progressing rollout, as the controller makes it each
 * second (gateway/controller.h has when and by whom): pure, from the
 * merged figures of the candidate and of the stable targets, so the rules
 * are tested without gateways or clocks.
 *
 * In order:
 *   - WAIT     the guard window holds fewer than guards.min_samples
 *              requests at the candidate: too little to judge;
 *   - SKEWED   a sample-ratio mismatch: the candidate's share of the
 *              window's requests is more than ROLLOUT_SRM_Z standard errors
 *              (binomial) off its weight, with at least
 *              ROLLOUT_SRM_MIN_REQUESTS requests: routing is at fault, the
 *              models are not judged on skewed traffic;
 *   - BREACH   a guard breaks: the candidate's error rate (target errors /
 *              requests) above max_error_rate, its p99 above max_p99_ms, or
 *              its p99 over the stable targets' above max_latency_ratio
 *              (judged only once the stable targets have min_samples
 *              answers too); why names the guard and the figures;
 *   - ADVANCE  every guard holds, the step's interval is over and the
 *              candidate saw min_requests since the step began;
 *   - HOLD     every guard holds, but the step is not done. */
#ifndef FERRY_DOMAIN_ROLLOUT_CHECK_H
#define FERRY_DOMAIN_ROLLOUT_CHECK_H

#include "domain/deployment.h"
#include "domain/latency_hist.h"

#include <stddef.h>
#include <stdint.h>

#define ROLLOUT_SRM_MIN_REQUESTS 200
#define ROLLOUT_SRM_Z            5.0

struct rollout_figures {
    int64_t requests, errors, client_errors;
    struct latency_hist hist; /* answered requests' latencies */
};

enum rollout_verdict {
    ROLLOUT_WAIT,
    ROLLOUT_SKEWED,
    ROLLOUT_BREACH,
    ROLLOUT_HOLD,
    ROLLOUT_ADVANCE
};

/* cand/stable: the guard window's figures; cand_step: the candidate's
 * since the step began. why (size bytes) says what broke or skewed. */
enum rollout_verdict
rollout_check(const struct deployment_spec *spec, const struct deployment_status *st,
              const struct rollout_figures *cand, const struct rollout_figures *stable,
              const struct rollout_figures *cand_step, int64_t now_ms, char *why, size_t size);

/* The quality term (guards.min_accuracy_delta), judged when a step would
 * otherwise advance, over the rows answered since the step began that
 * have a label: the candidate's against the stable targets' (merged). */
struct rollout_quality {
    uint64_t cand_correct, cand_labeled;
    uint64_t stable_correct, stable_labeled;
};

enum rollout_quality_verdict {
    ROLLOUT_QUALITY_OFF,     /* the spec has no quality term */
    ROLLOUT_QUALITY_PENDING, /* fewer than guards.min_labels labeled rows at the candidate or
                                at the stable targets: no advance, no rollback on its account */
    ROLLOUT_QUALITY_PASS,    /* non-inferior: the candidate may advance */
    ROLLOUT_QUALITY_FAIL,    /* not shown non-inferior: roll back */
};

/* The one-sided non-inferiority test of domain/ab_test.h
 * (ab_noninferiority_test, alpha ROLLOUT_QUALITY_ALPHA) with delta =
 * guards.min_accuracy_delta. Judged once per step, not every second:
 * repeated significance tests on growing data would roll back good
 * candidates far more often than alpha says. why says what was found. */
#define ROLLOUT_QUALITY_ALPHA 0.05
enum rollout_quality_verdict rollout_quality_check(const struct deployment_spec *spec,
                                                   const struct rollout_quality *q, char *why,
                                                   size_t size);

#endif
