/* SPDX-License-Identifier: MIT
 * A deployment's model quality per target over a window (issue 17): what
 * GET /api/2.0/ferry/deployments/performance answers and the rollout
 * controller's quality guard counts. Built on the store's prediction log
 * (store/predictions.h), the mergeable statistics
 * (domain/prediction_stats.h) and the A/B tests (domain/ab_test.h). The
 * controller's quality term reads the exact answer's "scored" and
 * "correct" (through the client, so a gateway on a remote server can).
 *
 * Two ways to the same figures. From the hourly aggregates (the default):
 * the window is widened to whole UTC hours, each hour's stored statistics
 * are merged, ROC AUC comes from the binned scores; cheap at any volume.
 * Exact: every row of the window is read once; ROC AUC is the exact rank
 * statistic, and what needs the rows (slices by an input column's value,
 * the bootstrap intervals of F1 and AUC) is only available this way.
 *
 * Targets are told apart by "name/version" and by answering or shadowing
 * (a shadow's rows are never the caller's answer). Their order: the
 * deployment's answering targets as its spec lists them, then its shadows,
 * then any target logged in the window that the spec no longer names, by
 * first appearance. The first is the baseline of the A/B comparisons.
 *
 * The answer (a JSON object):
 *   {"deployment", "start_time", "end_time" (ms; [start, end) as used),
 *    "bucket_ms" (0: none), "exact": bool, "slice" (when asked),
 *    "targets": [{"model": "name/version", "shadow": bool, "task",
 *        "positive" (when known), "count", "labeled", "scored"
 *        (classifiers: the labeled rows of answered requests), "correct"
 *        (classifiers: of those, predicted right), "metrics": {...}
 *        (pred_stats_metrics; exact mode's roc_auc is the exact one),
 *        "figures": {...} (pred_stats_figures),
 *        "buckets": [{"start_time", "count", "labeled", "metrics",
 *                     "figures"}] (only buckets with rows),
 *        "slices": [{"value", "count", "labeled", "metrics", "figures"}]
 *                  (by count, most first; at most PERF_MAX_SLICES values,
 *                   "slices_other" counts the rows of the rest)}],
 *    "ab": [{"model", "shadow", "baseline": "name/version", "task",
 *        "n", "baseline_n" (labeled rows with a quality term),
 *        classifiers: "accuracy", "precision", "recall": {"value",
 *            "baseline", "interval", "baseline_interval" (Wilson 95%),
 *            "delta" (value - baseline), "delta_interval" (Newcombe 95%),
 *            "z", "p_value" (two-proportion z-test, two-sided), "x", "n",
 *            "baseline_x", "baseline_n"},
 *          "f1", "roc_auc": {"value", "baseline", "delta", "interval",
 *            "baseline_interval" (seeded percentile bootstrap 95%),
 *            "resamples", "baseline_resamples" (as drawn: fewer than asked
 *            for large targets, PERF_BOOT_BUDGET), "seed"} (exact mode; else {"value",
 *            "baseline", "delta", "note"}),
 *        regressors: "mae": {"value", "baseline", "interval",
 *            "baseline_interval" (t intervals), "delta", "delta_interval"
 *            (Welch 95%), "t", "df", "p_value" (Welch's t-test on the
 *            absolute errors, two-sided), "n", "baseline_n"}, "mse": the
 *            same on the squared errors}]}
 * Numbers that are undefined (a z-test with zero variance) are null;
 * parts that do not apply are left out. */
#ifndef FERRY_STORE_PREDICTION_PERFORMANCE_H
#define FERRY_STORE_PREDICTION_PERFORMANCE_H

#include "base/ferr.h"
#include "domain/prediction_stats.h"
#include "store/store.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define PERF_MAX_BUCKETS       1000
#define PERF_MAX_SLICES        100
#define PERF_DEFAULT_WINDOW    (24 * 3600 * 1000LL)
#define PERF_HOUR_MS           (3600 * 1000LL)
#define PERF_DEFAULT_SEED      17
#define PERF_DEFAULT_BOOTSTRAP 1000
/* A bootstrap draws at most this many rows in all (resamples x rows),
 * with at least PERF_BOOT_MIN resamples: larger targets get fewer
 * resamples, said in the answer. */
#define PERF_BOOT_BUDGET 50000000ULL
#define PERF_BOOT_MIN    100

struct perf_query {
    const char *deployment; /* required */
    int64_t start_ms;       /* inclusive; 0: end_ms - PERF_DEFAULT_WINDOW */
    int64_t end_ms;         /* exclusive; 0: now */
    int64_t bucket_ms;      /* 0: no buckets; from aggregates a whole number of hours */
    const char *slice;      /* NULL or "": none; "tag:<key>"; "column:<name>" (exact only) */
    int exact;              /* 1: from the rows; 0: from the hourly aggregates */
    int64_t resamples;      /* bootstrap resamples (exact mode); 0: PERF_DEFAULT_BOOTSTRAP;
                               -1: no bootstrap */
    int64_t seed;           /* the bootstrap's seed; 0: PERF_DEFAULT_SEED */
};

/* The answer above, a new reference in *out. An unknown deployment (and
 * none of its rows logged) is RESOURCE_DOES_NOT_EXIST; a bad window,
 * bucket or slice INVALID_PARAMETER_VALUE. */
int store_prediction_performance(struct store *s, const struct perf_query *q, json_t **out,
                                 struct ferr *err) WARN_UNUSED;

/* 0 when the deployment exists, or rows of it are still logged (a
 * deleted deployment's log stays until retention drops it); else
 * RESOURCE_DOES_NOT_EXIST, as the prediction log's operations answer. */
int store_prediction_deployment_known(struct store *s, const char *name,
                                      struct ferr *err) WARN_UNUSED;

#endif
