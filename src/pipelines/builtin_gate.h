/* SPDX-License-Identifier: MIT
 * The built-in step ferry/gate: a verdict on an evaluation
 * (pipelines/builtin_evaluate.c's evaluation.json).
 *
 * gate_decide is pure. Rules (each a {metric: number} map of `with`):
 *   min                   the candidate's overall metric must reach the
 *                         value: >= for a metric where higher is better,
 *                         <= (a ceiling) where lower is better
 *   min_improvement       with a champion, candidate - champion (signed
 *                         so that better is positive) >= delta; without
 *                         one the rule is noted, not applied
 *   max_slice_regression  per slice with both sides, champion - candidate
 *                         (signed so that worse is positive) <= delta
 *   higher_is_better      {metric: bool} overrides the default: lower is
 *                         better for rmse, mae, mse, log_loss; higher for
 *                         every other metric
 * A metric a rule names that the evaluation lacks fails the gate ("min:
 * no metric 'f2' in the evaluation (accuracy, f1, ...)").
 * Verdict: {"passed": bool, "reasons": [text per failed rule],
 * "notes": [rules not applied], "champion": bool, "checks": [{rule,
 * metric, slice?, candidate, champion?, threshold, passed}]}. */
#ifndef FERRY_PIPELINES_BUILTIN_GATE_H
#define FERRY_PIPELINES_BUILTIN_GATE_H

#include "pipelines/builtin.h"

/* The verdict (a new reference) of with's rules on evaluation; NULL with
 * INVALID_PARAMETER_VALUE when a rule is malformed (not a map of
 * numbers). */
json_t *gate_decide(json_t *evaluation, json_t *with, struct ferr *err);
/* 1 when lower values of metric are better by default. */
int gate_lower_is_better(const char *metric);

int builtin_gate(struct builtin_ctx *ctx, struct ferr *err);

#endif
