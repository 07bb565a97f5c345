/* SPDX-License-Identifier: MIT
 * The metrics ferry/evaluate computes (pure): classification (accuracy;
 * precision, recall, f1 of class 1 for two classes, macro-averaged over
 * the classes seen otherwise; roc_auc with scores of class 1, two classes
 * only; log_loss with class probabilities, labels 0..k-1, clipped at
 * 1e-15 as scikit-learn does) and regression (rmse, mae, r2). Rows where
 * mask is 0 are left out (mask NULL: every row), and so are rows whose
 * target or prediction is NaN (a missing value), counted as "rows_missing". */
#ifndef FERRY_PIPELINES_EVAL_METRICS_H
#define FERRY_PIPELINES_EVAL_METRICS_H

#include <jansson.h>
#include <stddef.h>

struct eval_data {
    size_t rows;
    const double *y;     /* the target */
    const double *pred;  /* the prediction per row (a label for classification) */
    const double *proba; /* NULL, or rows * nproba class probabilities */
    size_t nproba;
};

/* {metric: value} of the metrics named in want (NULL: the default set of
 * the kind); a metric that cannot be computed here (roc_auc without
 * scores) is left out. A new object; "rows" holds the rows counted. */
json_t *eval_metrics(const struct eval_data *d, const unsigned char *mask, int classification,
                     json_t *want);
/* 1 when name is a metric of that kind. */
int eval_metric_known(const char *name, int classification);

#endif
