/* SPDX-License-Identifier: MIT
 * Model quality metrics, as sklearn.metrics (Debian's python3-sklearn
 * 1.2.1) computes them, for the prediction log's labeled rows: accuracy,
 * precision, recall, F1 (binary and macro), ROC AUC and log loss for
 * classifiers; RMSE, MAE and R^2 for regressors. Pure arithmetic: no I/O,
 * no store, no clock.
 *
 * Accumulate, merge, finalize. The log keeps per-hour aggregates and adds
 * them up for any window, so the metrics are built on sufficient
 * statistics that merge: per-class confusion counts (exact: accuracy,
 * precision, recall and F1 are functions of them), the sum of per-row log
 * losses (a mean of per-row terms), and for regression the moments of y,
 * |error| and error^2 (count, mean, sum of squared deviations, merged by
 * Chan et al.'s pairwise formula, which keeps R^2's denominator free of the
 * cancellation that sum(y^2) - sum(y)^2/n suffers). ROC AUC is a rank
 * statistic that no fixed-size summary gives exactly; it needs the rows
 * (score, truth), sorted once. The array functions at the end are these
 * accumulators run over whole arrays.
 *
 * Classes. Rows carry class ids (uint32_t, dense from 0), not label
 * values: the log turns each label and prediction (JSON scalars: 1,
 * "spam", true) into an id once, through a struct quality_labels
 * dictionary keyed by the scalar's canonical text (quality_label_number
 * for numbers and booleans, the string itself for strings), so a
 * feedback label 1, a prediction 1.0 and a boolean true all name the class
 * "1" (numpy, and so sklearn, compares them equal too). Ids index the
 * confusion counts directly; hourly aggregates store (label text, counts)
 * rows and re-intern the text when read.
 *
 * Conventions, each sklearn's:
 *  - zero_division = 0: a precision with no predicted positives, a recall
 *    with no true positives, and an F1 whose precision and recall are both
 *    0 are 0 (sklearn's default "warn" warns and returns 0).
 *  - binary precision/recall/F1 are those of the positive class against
 *    the rest (sklearn's average='binary' with pos_label when at most two
 *    classes occur; with more, sklearn refuses 'binary' and this equals its
 *    labels=[pos], average=None). A positive class that has not occurred
 *    scores 0 where sklearn would refuse the pos_label.
 *  - macro precision/recall/F1 average over the classes present in
 *    y_true or y_pred (sklearn's average='macro' without labels=).
 *  - ROC AUC: trapezoids between the ROC points of each distinct score
 *    (tied scores form one point), as roc_auc_score; undefined (an error)
 *    when y_true holds one class only.
 *  - log loss (binary, from the positive class's probability p): p is
 *    clipped to [eps, 1 - eps] with eps = DBL_EPSILON (2.22e-16; sklearn
 *    1.2's eps="auto" for float64 input), the pair (1 - p, p) renormalized
 *    by its sum as sklearn does, and the mean of -log(p of the true class)
 *    taken. sklearn refuses y_true with one class unless labels= is given;
 *    this equals its labels=[negative, positive] answer.
 *  - R^2: 1 - SSE / SST; when y_true is constant (SST = 0) it is 1 if the
 *    predictions are perfect and 0 otherwise (force_finite=True); with one
 *    row it is NAN (sklearn warns and returns nan).
 *
 * Errors: finalizing no rows, and a non-finite score, probability or
 * value, are INVALID_PARAMETER_VALUE ("no labeled rows", ...). Structs are
 * plain data with one owner at a time. */
#ifndef FERRY_DOMAIN_QUALITY_H
#define FERRY_DOMAIN_QUALITY_H

#include "base/ferr.h"

#include <stddef.h>
#include <stdint.h>

/* ---- Labels -> class ids ---- */

/* An interning dictionary: text -> id, ids dense from 0 in order of first
 * sight. */
struct quality_labels {
    size_t n;        /* ids handed out */
    char **text;     /* [n]: id -> its text (NUL-terminated copies) */
    uint32_t *slots; /* [cap]: open addressing, id + 1, 0 = empty */
    size_t cap;      /* a power of two, or 0 */
};

#define QUALITY_LABELS_INIT                                                                        \
    {                                                                                              \
        0, NULL, NULL, 0                                                                           \
    }

void quality_labels_init(struct quality_labels *l);
void quality_labels_release(struct quality_labels *l);
/* The id of the len bytes at text, a new one (copying the text) if unseen. */
uint32_t quality_labels_id(struct quality_labels *l, const char *text, size_t len);
/* The id of text, or -1 if it was never interned. */
int64_t quality_labels_find(const struct quality_labels *l, const char *text, size_t len);

#define QUALITY_LABEL_NUMBER_MAX 32
/* The canonical text of a numeric label into buf: an integral value
 * within +-2^53 as a plain integer ("1" for 1, 1.0 and true; "-0" is
 * "0"), any other finite value in the shortest "%.17g" form that reads back
 * the same; "nan", "inf", "-inf" otherwise. Returns buf. */
char *quality_label_number(double v, char buf[QUALITY_LABEL_NUMBER_MAX]);

/* ---- Classification: confusion counts ---- */

/* Per class, the three counts every metric here is a function of. */
struct quality_class_counts {
    uint64_t tp;     /* rows of this class predicted as this class */
    uint64_t true_n; /* rows whose true class is this one */
    uint64_t pred_n; /* rows predicted as this class */
};

/* Not the full k x k matrix: accuracy, per-class and macro precision,
 * recall and F1 need only the diagonal and the row and column sums, so
 * memory is O(classes) even when a misconfigured regressor makes every
 * value a class of its own, and an hourly aggregate is one
 * (label, tp, true_n, pred_n) row per class. */
struct quality_confusion {
    size_t k;                       /* classes with room (ids 0..k-1) */
    struct quality_class_counts *c; /* [k] */
    uint64_t n;                     /* rows added */
};

#define QUALITY_CONFUSION_INIT                                                                     \
    {                                                                                              \
        0, NULL, 0                                                                                 \
    }

void quality_confusion_init(struct quality_confusion *c);
void quality_confusion_release(struct quality_confusion *c);
/* Counts count rows with true class truth predicted as pred (the table
 * grows to fit the ids). */
void quality_confusion_add(struct quality_confusion *c, uint32_t truth, uint32_t pred,
                           uint64_t count);
/* Adds a stored aggregate's counts for class id (an hourly row). */
void quality_confusion_add_class(struct quality_confusion *c, uint32_t id,
                                 const struct quality_class_counts *counts);
/* into += from, class by class; both must use the same id space. */
void quality_confusion_merge(struct quality_confusion *into, const struct quality_confusion *from);

struct quality_class_metrics {
    uint64_t n;             /* rows */
    size_t classes;         /* classes present in y_true or y_pred */
    double accuracy;        /* accuracy_score */
    double precision;       /* of the positive class (NAN without one) */
    double recall;          /* of the positive class (NAN without one) */
    double f1;              /* of the positive class (NAN without one) */
    double precision_macro; /* precision_score(average='macro') */
    double recall_macro;    /* recall_score(average='macro') */
    double f1_macro;        /* f1_score(average='macro') */
};

/* The metrics of c; positive is the positive class's id, or -1 for none
 * (the binary figures are then NAN). No rows is an error. */
int quality_confusion_finalize(const struct quality_confusion *c, int64_t positive,
                               struct quality_class_metrics *out, struct ferr *err) WARN_UNUSED;

/* ---- Classification: log loss (binary) ---- */

struct quality_logloss {
    uint64_t n; /* rows added */
    double sum; /* sum of the per-row losses */
};

#define QUALITY_LOGLOSS_INIT                                                                       \
    {                                                                                              \
        0, 0                                                                                       \
    }

/* Adds a row: p the predicted probability of the positive class,
 * is_positive whether its true class is the positive one. A NAN p is an
 * error (and nothing is added). */
int quality_logloss_add(struct quality_logloss *l, double p, int is_positive,
                        struct ferr *err) WARN_UNUSED;
void quality_logloss_merge(struct quality_logloss *into, const struct quality_logloss *from);
/* The mean loss; no rows is an error. */
int quality_logloss_finalize(const struct quality_logloss *l, double *out,
                             struct ferr *err) WARN_UNUSED;

/* ---- Classification: ROC AUC (needs the rows) ---- */

struct quality_auc_row {
    double score;      /* the positive class's score or probability */
    uint32_t positive; /* 1 if the true class is the positive one, else 0 */
};

/* Sorts rows by descending score, the order quality_auc_sorted needs.
 * A non-finite score is an error (rows are then in some order). */
int quality_auc_sort(struct quality_auc_row *rows, size_t n, struct ferr *err) WARN_UNUSED;
/* The ROC AUC of rows sorted by quality_auc_sort, each row counted
 * weight[i] times (weight NULL: once each); the same as roc_auc_score on
 * the rows repeated. Returns the area, or NAN when the rows (as weighted)
 * hold no positive or no negative. */
double quality_auc_sorted(const struct quality_auc_row *rows, const uint32_t *weight, size_t n);

/* ---- Regression ---- */

/* Count, mean and sum of squared deviations of a stream of values
 * (Welford's update; merged by Chan, Golub and LeVeque's formula). */
struct quality_moments {
    uint64_t n;
    double mean;
    double m2; /* sum of (x - mean)^2 */
};

#define QUALITY_MOMENTS_INIT                                                                       \
    {                                                                                              \
        0, 0, 0                                                                                    \
    }

void quality_moments_add(struct quality_moments *m, double x);
void quality_moments_merge(struct quality_moments *into, const struct quality_moments *from);
/* The sample variance (ddof 1); NAN below two values. */
double quality_moments_var(const struct quality_moments *m);

struct quality_regression {
    struct quality_moments y;       /* of y_true: R^2's denominator is y.m2 */
    struct quality_moments abs_err; /* of |y_true - y_pred|: MAE, Welch's test on it */
    struct quality_moments sq_err;  /* of (y_true - y_pred)^2: RMSE, R^2's numerator */
};

#define QUALITY_REGRESSION_INIT                                                                    \
    {                                                                                              \
        QUALITY_MOMENTS_INIT, QUALITY_MOMENTS_INIT, QUALITY_MOMENTS_INIT                           \
    }

/* Adds a row; a non-finite value is an error (and nothing is added). */
int quality_regression_add(struct quality_regression *r, double y_true, double y_pred,
                           struct ferr *err) WARN_UNUSED;
void quality_regression_merge(struct quality_regression *into,
                              const struct quality_regression *from);

struct quality_reg_metrics {
    uint64_t n;
    double rmse; /* sqrt(mean_squared_error) */
    double mae;  /* mean_absolute_error */
    double r2;   /* r2_score, with the conventions above */
};

/* No rows is an error. */
int quality_regression_finalize(const struct quality_regression *r, struct quality_reg_metrics *out,
                                struct ferr *err) WARN_UNUSED;

/* ---- Whole arrays ---- */

/* The classification metrics of n rows of class ids. */
int quality_classification(const uint32_t *y_true, const uint32_t *y_pred, size_t n,
                           int64_t positive, struct quality_class_metrics *out,
                           struct ferr *err) WARN_UNUSED;
/* roc_auc_score of n rows: score[i] the positive class's score, positive[i]
 * 1 if row i's true class is the positive one. One class only, no rows or
 * a non-finite score is an error. */
int quality_roc_auc(const double *score, const unsigned char *positive, size_t n, double *out,
                    struct ferr *err) WARN_UNUSED;
/* log_loss of n rows: p[i] the positive class's probability. */
int quality_log_loss(const double *p, const unsigned char *positive, size_t n, double *out,
                     struct ferr *err) WARN_UNUSED;
/* The regression metrics of n rows. */
int quality_regression(const double *y_true, const double *y_pred, size_t n,
                       struct quality_reg_metrics *out, struct ferr *err) WARN_UNUSED;

#endif
