/* SPDX-License-Identifier: MIT
 * The store's prediction log (issue 17; domain/prediction.h has the row):
 * logged rows, their late labels, the labels' history, and the per-hour
 * aggregates the dashboards read. Same conventions as store.h (0, or -1
 * with err set and nothing changed).
 *
 * Layout. The log is partitioned by deployment and UTC day, so retention
 * drops whole partitions: SQLite keeps one database file per deployment
 * and day beside the tracking file (<tracking file>-predictions/<deployment>/
 * YYYY-MM-DD.db, so a busy log never takes the tracking file's write lock);
 * PostgreSQL one range partition of one table per deployment and day. A
 * partition holds its rows (keyed by rid and row), its dictionary of
 * targets, its labels' history and its hours' aggregates.
 *
 * Aggregates. Per deployment, hour, target and slice (the whole target,
 * and each value of each request tag: slice "tag:region" = "eu"), the
 * counts (rows, failed, labeled), the latency histogram and the quality
 * statistics (store/prediction_hours.h). A write of rows or labels marks
 * its hours dirty; an hour's aggregates are recomputed from its rows, in
 * the front, once for both backends (store_prediction_hours_refresh),
 * so aggregates are always a function of the rows and labels and never
 * drift from them. Reads of aggregates refresh the dirty hours they cover
 * first. */
#ifndef FERRY_STORE_PREDICTIONS_H
#define FERRY_STORE_PREDICTIONS_H

#include "base/ferr.h"
#include "domain/prediction.h"
#include "store/prediction_record.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

/* ---------- writes ---------- */

/* Appends rows (one transaction per partition touched). A row whose (rid,
 * row, shadow) is already logged is skipped (a retried batch logs once).
 * A label names (rid, row) and labels the answer's row and its shadows'. */
int store_predictions_put(struct store *s, const struct pred_row *rows, size_t n,
                          struct ferr *err) WARN_UNUSED;

/* A feedback label: id is ferry's "<uuid>", "<uuid>/<row>" or a caller's
 * X-Request-Id (its rows: row 0, or the "/<row>" suffix); label is the
 * canonical text (pred_label_text); time_ms 0: now. */
struct feedback_label {
    const char *id;
    const char *label;
    int64_t time_ms;
};

/* Labels rows: a row's label is set (a second label replaces the first;
 * each change is one entry of the labels' history, with user and time)
 * and its hour marked dirty. deployment NULL: any deployment (every
 * partition of the id's day is looked at; a caller's id is looked up in
 * every partition within retention). Callers reuse ids on retries: a
 * caller's id labels the newest row that has it (newest day first, across
 * deployments when deployment is NULL). An id that names no row is reported
 * in out->unknown, not an error; at most 10,000 labels a call. */
int store_feedback_put(struct store *s, const char *deployment, const struct feedback_label *labels,
                       size_t n, const char *user, struct feedback_result *out,
                       struct ferr *err) WARN_UNUSED;

/* ---------- reads ---------- */

struct prediction_query {
    const char *deployment; /* required */
    const char *model;      /* "name/version" or NULL: every target */
    int64_t start_ms;       /* inclusive; 0: from the first */
    int64_t end_ms;         /* exclusive; 0: to the last */
    int labeled;            /* -1 any, 0 without a label, 1 with one */
    int shadow;             /* -1 any, 0 answers only, 1 shadows only */
    int status;             /* 0 any, 1 succeeded (2xx) only, 2 failed only */
    int64_t max_results;    /* 1..10,000; 0: 1,000 */
    const char *page_token; /* NULL: from the start */
};

/* Rows in time order (then row index), one page; *next_page_token NULL at
 * the end, else the caller's. A malformed token is INVALID_PARAMETER_VALUE. */
int store_predictions_search(struct store *s, const struct prediction_query *q,
                             struct pred_row_list *out, char **next_page_token,
                             struct ferr *err) WARN_UNUSED;

/* Calls fn for each row of deployment in [start_ms, end_ms) (0: unbounded),
 * in time order, without building a list (exports, exact performance). The
 * row is the backend's, valid during the call. fn's -1 stops the scan and
 * is returned. */
typedef int (*pred_row_fn)(void *arg, const struct pred_row *r, struct ferr *err);
int store_predictions_scan(struct store *s, const char *deployment, int64_t start_ms,
                           int64_t end_ms, pred_row_fn fn, void *arg, struct ferr *err) WARN_UNUSED;

/* id as in feedback_label; history (may be NULL) gets the row's labels,
 * oldest first (struct label_change_list: store/prediction_record.h).
 * RESOURCE_DOES_NOT_EXIST when no row has it. */
int store_prediction_get(struct store *s, const char *deployment, const char *id,
                         struct pred_row *out, struct label_change_list *history,
                         struct ferr *err) WARN_UNUSED;

/* ---------- hourly aggregates (struct pred_hour: store/prediction_record.h) ---------- */
/* The aggregates of deployment's hours that start in [start_ms, end_ms),
 * dirty hours recomputed first. */
int store_prediction_hours(struct store *s, const char *deployment, int64_t start_ms,
                           int64_t end_ms, struct pred_hour_list *out,
                           struct ferr *err) WARN_UNUSED;
/* Recomputes deployment's dirty hours in [start_ms, end_ms) (0, 0: all);
 * *refreshed (may be NULL) gets how many. */
int store_prediction_hours_refresh(struct store *s, const char *deployment, int64_t start_ms,
                                   int64_t end_ms, int64_t *refreshed,
                                   struct ferr *err) WARN_UNUSED;

/* ---------- retention ---------- */

/* Drops deployment's partitions whose whole day ends at or before
 * before_ms (rows, labels, aggregates); *dropped (may be NULL) gets how
 * many. deployment NULL: every deployment's, and every partition of a
 * deployment that no longer exists. */
int store_predictions_drop_before(struct store *s, const char *deployment, int64_t before_ms,
                                  int64_t *dropped, struct ferr *err) WARN_UNUSED;
/* `ferry gc`'s retention: drops each deployment's partitions older than
 * its spec's log.retention (a deleted deployment's, or one without the
 * section: the default 30 days) counted back from now_ms; *dropped (may
 * be NULL) gets how many. A store without a prediction log has nothing to
 * drop (0). */
int store_predictions_gc(struct store *s, int64_t now_ms, int64_t *dropped,
                         struct ferr *err) WARN_UNUSED;
/* The deployments that have partitions, by name. */
int store_predictions_deployments(struct store *s, char ***names, size_t *n,
                                  struct ferr *err) WARN_UNUSED;

/* ---------- the backend contract (see store/backend.h) ---------- */

/* A dirty hour and its generation: an hour's aggregates are replaced only
 * if no write dirtied it again since its generation was read. */
struct pred_dirty_hour {
    int64_t hour_ms;
    int64_t gen;
};

struct store_prediction_ops {
    /* Inserts rows (skipping (rid, row, shadow) already there: a shadow's
     * answer is a row of its own), adds their targets
     * to the partitions' dictionaries, marks their hours dirty. */
    int (*put)(struct store *s, const struct pred_row *rows, size_t n, struct ferr *err);
    /* Applies labels[i] when found[i] is 0 and the row exists: sets the
     * row's label, appends the history entry, marks the hour dirty, sets
     * found[i] = 1. Ids arrive parsed: rid/row when is_rid[i], else the
     * caller id labels[i].id (row 0 or its "/<row>" suffix, in row[i]). */
    int (*label)(struct store *s, const char *deployment, const struct feedback_label *labels,
                 const unsigned char (*rid)[PRED_RID_BYTES], const uint32_t *row,
                 const unsigned char *is_rid, size_t n, const char *user, int64_t now_ms,
                 unsigned char *found, struct ferr *err);
    /* One page: rows after (after_rid, after_pos) (after_rid NULL: from the
     * start) matching q, at most limit, in the order (rid, row, shadow): a
     * row's position is row * 2 + shadow (a request's answer and its
     * shadows' answers are rows of their own with the same rid and row). */
    int (*search)(struct store *s, const struct prediction_query *q, const unsigned char *after_rid,
                  uint32_t after_pos, size_t limit, struct pred_row_list *out, struct ferr *err);
    int (*scan)(struct store *s, const char *deployment, int64_t start_ms, int64_t end_ms,
                pred_row_fn fn, void *arg, struct ferr *err);
    int (*get)(struct store *s, const char *deployment, const unsigned char *rid, uint32_t row,
               const char *caller_id, struct pred_row *out, struct label_change_list *history,
               struct ferr *err);
    /* Dirty hours of deployment in [start_ms, end_ms) (0, 0: all). */
    int (*dirty)(struct store *s, const char *deployment, int64_t start_ms, int64_t end_ms,
                 struct pred_dirty_hour **out, size_t *n, struct ferr *err);
    /* Replaces the hour's aggregates with rows (n may be 0) and clears its
     * dirty mark, unless its generation moved past gen (then nothing is
     * written: the hour stays dirty for the next refresh). */
    int (*hour_replace)(struct store *s, const char *deployment, const struct pred_dirty_hour *h,
                        const struct pred_hour *rows, size_t n, struct ferr *err);
    int (*hours)(struct store *s, const char *deployment, int64_t start_ms, int64_t end_ms,
                 struct pred_hour_list *out, struct ferr *err);
    int (*drop_before)(struct store *s, const char *deployment, int64_t before_ms, int64_t *dropped,
                       struct ferr *err);
    int (*deployments)(struct store *s, char ***names, size_t *n, struct ferr *err);
};

#endif
