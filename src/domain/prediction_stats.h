/* SPDX-License-Identifier: MIT
 * The prediction log's mergeable statistics for one target (or one slice
 * of it) over some rows: counts, latency, and the quality statistics of
 * domain/quality.h, as the hourly aggregates store them and as the
 * performance answers add them up. Pure: no store, no clock.
 *
 * What decides the metrics (struct pred_task): the deployment spec's
 * task and positive_label when given, else the target's task (what the
 * model's output said when it was logged), else inferred: a target with
 * class names or probabilities is a classifier, one answering numbers is
 * a regressor. The positive class is positive_label, else "1" when that
 * class occurs, else none (binary figures are then left out; macro ones
 * stay). The predicted class is the model's own output (the logged
 * prediction), never re-derived from the probabilities.
 *
 * Stored form (pred_stats_to_json / pred_stats_merge_json), one JSON
 * object per hour and target:
 *   {"v": 1, "task": "classification", "positive": "1",
 *    "classes": [[label, tp, true_n, pred_n], ...],
 *    "logloss": [n, sum],
 *    "auc": [[bin, positives, negatives], ...]   non-empty bins of the
 *            positive class's probability in PRED_AUC_BINS equal bins,
 *    "reg": [[n, mean, m2] of y, of |err|, of err^2]}
 * (parts that do not apply left out). AUC from the bins is the trapezoid
 * AUC of the binned scores (exact when no two rows of different classes
 * share a bin with different scores); the exact AUC needs the rows
 * (pred_auc_rows). */
#ifndef FERRY_DOMAIN_PREDICTION_STATS_H
#define FERRY_DOMAIN_PREDICTION_STATS_H

#include "base/ferr.h"
#include "domain/latency_hist.h"
#include "domain/prediction.h"
#include "domain/quality.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define PRED_AUC_BINS 1000

enum pred_task_kind { PRED_TASK_UNKNOWN, PRED_TASK_CLASSIFICATION, PRED_TASK_REGRESSION };

struct pred_task {
    enum pred_task_kind kind;
    char *positive; /* canonical label text; NULL: "1" if it occurs, else none */
};
void pred_task_release(struct pred_task *t);
/* From a deployment spec's task ("classification" | "regression" | NULL)
 * and positive_label (a JSON scalar or NULL), falling back on the
 * target's. */
void pred_task_resolve(const char *spec_task, const json_t *spec_positive,
                       const struct pred_target *target, struct pred_task *out);

/* Where the positive class's probability sits in a target's classes,
 * remembered for the last classes text seen (rows of one target come in
 * runs, and parsing the JSON per row would dominate a scan). Internal. */
struct pred_class_cache {
    char *classes;  /* the target's classes text last looked at; NULL: none */
    char *positive; /* the positive class it was looked up for */
    size_t nproba;  /* the probabilities' count it was looked up with */
    long index;     /* the positive class's index, -1: not among them */
};

struct pred_stats {
    int64_t count, failed, labeled;
    struct latency_hist latency; /* one sample per request (its row 0) */
    enum pred_task_kind kind;
    char *positive;                /* the positive class these stats were built with */
    struct quality_labels classes; /* label text <-> class id */
    struct quality_confusion confusion;
    struct quality_logloss logloss; /* rows with probabilities */
    uint64_t auc_pos[PRED_AUC_BINS], auc_neg[PRED_AUC_BINS];
    struct quality_regression reg;
    struct pred_class_cache cache; /* internal */
};
void pred_stats_init(struct pred_stats *s, const struct pred_task *task);
void pred_stats_release(struct pred_stats *s);

/* Adds a row: its counts and latency always; when labeled and succeeded,
 * its quality terms. A row whose outputs do not decode, or whose values do
 * not fit the task (a text prediction for a regressor), counts but adds no
 * quality term; *skipped (may be NULL) is set to 1 then. */
void pred_stats_add_row(struct pred_stats *s, const struct pred_row *r, int *skipped);
/* into += from (same task). */
void pred_stats_merge(struct pred_stats *into, const struct pred_stats *from);
/* The stored form (a new reference). */
json_t *pred_stats_to_json(const struct pred_stats *s);
/* Adds a stored aggregate (its counts given apart: they are columns).
 * Stats built with another task or positive class are an error
 * (INVALID_STATE: the hour must be recomputed). */
int pred_stats_merge_json(struct pred_stats *into, int64_t count, int64_t failed, int64_t labeled,
                          const char *latency, const char *stats, struct ferr *err) WARN_UNUSED;
/* 0 when pred_stats_merge_json would refuse stats as built with another
 * task or positive class than into's (the hour is then read from its
 * rows), else 1. */
int pred_stats_json_fits(const struct pred_stats *into, const char *stats);

/* The metrics that apply, as the performance answer's "metrics" object:
 * accuracy, precision, recall, f1, f1_macro, roc_auc (from the bins, when
 * probabilities were logged and both classes occur), log_loss; or rmse,
 * mae, r2. Empty when nothing is labeled. */
json_t *pred_stats_metrics(const struct pred_stats *s);
/* Latency and failure figures: {"requests", "error_rate", "p50_ms",
 * "p95_ms", "p99_ms"}. */
json_t *pred_stats_figures(const struct pred_stats *s);

/* Rows for the exact AUC: the positive class's probability and the
 * truth, for labeled rows with probabilities. */
struct pred_auc_rows {
    struct quality_auc_row *v;
    size_t n, alloc;
    struct pred_class_cache cache; /* internal; zero-initialized with the rest */
};
void pred_auc_rows_add(struct pred_auc_rows *a, const struct pred_row *r,
                       const struct pred_task *task);
void pred_auc_rows_release(struct pred_auc_rows *a);

#endif
