/* SPDX-License-Identifier: MIT */
#include "domain/rollout_check.h"
#include "domain/ab_test.h"

#include <math.h>
#include <stdio.h>

#include "base/banned.h"

static double p99_ms(const struct rollout_figures *f)
{
    return latency_hist_count(&f->hist) ? latency_hist_quantile(&f->hist, 0.99) / 1000.0 : 0;
}

enum rollout_verdict
rollout_check(const struct deployment_spec *spec, const struct deployment_status *st,
              const struct rollout_figures *cand, const struct rollout_figures *stable,
              const struct rollout_figures *cand_step, int64_t now_ms, char *why, size_t size)
{
    const struct deploy_rollout *r = &spec->rollout;
    const struct deploy_guards *g = &r->guards;
    int c = deployment_candidate(spec);
    why[0] = '\0';
    if (c < 0 || cand->requests < g->min_samples)
        return ROLLOUT_WAIT;
    int64_t n = cand->requests + stable->requests;
    double p = st->weights[c] / 100.0;
    if (n >= ROLLOUT_SRM_MIN_REQUESTS && p > 0 && p < 1) {
        double se = sqrt(p * (1 - p) / (double)n);
        double share = (double)cand->requests / (double)n;
        if (fabs(share - p) > ROLLOUT_SRM_Z * se) {
            snprintf(why, size,
                     "sample ratio: the candidate got %.1f%% of %lld requests for a weight of "
                     "%.0f%%: a routing fault, not judged",
                     100 * share, (long long)n, 100 * p);
            return ROLLOUT_SKEWED;
        }
    }
    double rate = (double)cand->errors / (double)cand->requests;
    double p99 = p99_ms(cand), base = p99_ms(stable);
    if (g->max_error_rate >= 0 && rate > g->max_error_rate) {
        snprintf(why, size,
                 "guard max_error_rate: the candidate's error rate %.4f (%lld of %lld requests) > "
                 "%.4f",
                 rate, (long long)cand->errors, (long long)cand->requests, g->max_error_rate);
        return ROLLOUT_BREACH;
    }
    if (g->max_p99_ms >= 0 && p99 > g->max_p99_ms) {
        snprintf(why, size, "guard max_p99_ms: the candidate's p99 %.1f ms > %.1f ms", p99,
                 g->max_p99_ms);
        return ROLLOUT_BREACH;
    }
    if (g->max_latency_ratio >= 0 && base > 0 &&
        latency_hist_count(&stable->hist) >= (uint64_t)g->min_samples &&
        p99 / base > g->max_latency_ratio) {
        snprintf(why, size,
                 "guard max_latency_ratio: the candidate's p99 %.1f ms is %.2fx the stable "
                 "targets' %.1f ms > %.2fx",
                 p99, p99 / base, base, g->max_latency_ratio);
        return ROLLOUT_BREACH;
    }
    if (now_ms - st->step_started_ms >= r->interval_ms && cand_step->requests >= r->min_requests)
        return ROLLOUT_ADVANCE;
    return ROLLOUT_HOLD;
}

enum rollout_quality_verdict rollout_quality_check(const struct deployment_spec *spec,
                                                   const struct rollout_quality *q, char *why,
                                                   size_t size)
{
    const struct deploy_guards *g = &spec->rollout.guards;
    struct ab_noninferiority t;
    struct ferr err = FERR_INIT;
    why[0] = '\0';
    if (!spec->rollout.present || !g->has_accuracy_delta)
        return ROLLOUT_QUALITY_OFF;
    if (q->cand_labeled < (uint64_t)g->min_labels || q->stable_labeled < (uint64_t)g->min_labels) {
        snprintf(why, size,
                 "quality guard pending: %llu labeled rows at the candidate and %llu at the "
                 "stable targets since the step began, %lld needed at each",
                 (unsigned long long)q->cand_labeled, (unsigned long long)q->stable_labeled,
                 (long long)g->min_labels);
        return ROLLOUT_QUALITY_PENDING;
    }
    if (ab_noninferiority_test(q->cand_correct, q->cand_labeled, q->stable_correct,
                               q->stable_labeled, g->min_accuracy_delta, ROLLOUT_QUALITY_ALPHA, &t,
                               &err)) {
        snprintf(why, size, "quality guard: %s", err.msg);
        return ROLLOUT_QUALITY_FAIL;
    }
    double pc = (double)q->cand_correct / (double)q->cand_labeled;
    double ps = (double)q->stable_correct / (double)q->stable_labeled;
    snprintf(why, size,
             "guard min_accuracy_delta: the candidate's accuracy %.4f (%llu of %llu) against the "
             "stable targets' %.4f (%llu of %llu), a difference of %+.4f; non-inferiority at "
             "%+.4f: z %.3f, p %.4g (%s at alpha %.2f)",
             pc, (unsigned long long)q->cand_correct, (unsigned long long)q->cand_labeled, ps,
             (unsigned long long)q->stable_correct, (unsigned long long)q->stable_labeled, pc - ps,
             g->min_accuracy_delta, t.test.statistic, t.test.pvalue,
             t.non_inferior ? "shown" : "not shown", ROLLOUT_QUALITY_ALPHA);
    return t.non_inferior ? ROLLOUT_QUALITY_PASS : ROLLOUT_QUALITY_FAIL;
}
