/* SPDX-License-Identifier: MIT
 * The store's metrics area: the history of a metric key, whole, paged,
 * sampled over several runs, or downsampled for drawing. (A run's latest
 * value per key comes with the run: store.h.) Same conventions as store.h;
 * an unknown run is RESOURCE_DOES_NOT_EXIST, a backend without this area
 * NOT_IMPLEMENTED. Below the functions, the backend contract for the area. */
#ifndef FERRY_STORE_METRICS_H
#define FERRY_STORE_METRICS_H

#include "base/ferr.h"
#include "domain/domain.h"
#include "store/store.h"

/* Metric history of one key, ordered by step, then timestamp, then value.
 * max_results 0 means all; next_token (may be NULL) gets the next page's token
 * or NULL. An unknown run is RESOURCE_DOES_NOT_EXIST. */
int store_get_metric_history(struct store *s, const char *run_id, const char *key,
                             int64_t max_results, const char *page_token, struct metric_list *out,
                             char **next_token, struct ferr *err) WARN_UNUSED;
/* For each run, up to max_results points of key sampled evenly over the steps
 * in [start_step, end_step] (TIME_NONE: unbounded), always keeping the first
 * and last step. Each metric's run_id is set. */
int store_get_metric_history_bulk_interval(struct store *s, const char *const *run_ids,
                                           size_t nrun_ids, const char *key, int64_t start_step,
                                           int64_t end_step, int64_t max_results,
                                           struct metric_list *out, struct ferr *err) WARN_UNUSED;

/* MLflow's get-history-bulk (the UI's before bulk-interval): every point of
 * key for 1..100 runs, run after run in run id order, each run's points by
 * (timestamp, step, value), each with its run_id set; max_results points in
 * all (1 or more; more than 25,000 is 25,000, as MLflow caps it). */
int store_get_metric_history_bulk(struct store *s, const char *const *run_ids, size_t nrun_ids,
                                  const char *key, int64_t max_results, struct metric_list *out,
                                  struct ferr *err) WARN_UNUSED;

/* The history of one key in at most max_points points, for drawing: all of
 * it when it is that small, else the lowest and the highest value of each of
 * (max_points - 2) / 2 equal step ranges (so no spike is lost) and the first
 * and last points, in step order; max_points is 4..100000.
 * NaN values are left out. *total gets the number of points stored. */
int store_get_metric_history_downsampled(struct store *s, const char *run_id, const char *key,
                                         int64_t max_points, struct metric_list *out,
                                         int64_t *total, struct ferr *err) WARN_UNUSED;

/* ---------- the metrics backend contract (see store/backend.h) ---------- */

/* Steps of a metric, ascending. */
struct store_steps {
    int64_t *v;
    size_t n, alloc;
};

/* What a backend says about the non-NaN points of one key, before they are
 * scanned. */
struct store_metric_span {
    int64_t count;      /* how many, counted up to the cap asked for */
    int64_t first_step; /* the lowest step, 0 when there is none */
    int64_t last_step;  /* the highest step, 0 when there is none */
};

/* Called with each point of a scan, in order; p->key and p->run_id are NULL. */
typedef void (*store_point_fn)(void *arg, const struct metric *p);

/* Arguments arrive validated: a run id, a non-empty key. Each op looks the
 * run up first (RESOURCE_DOES_NOT_EXIST when absent). Points are appended
 * to out in (step, timestamp, value) order; the sampling and downsampling
 * themselves are the front's. */
struct store_metrics_ops {
    /* One page of the key's history (page->limit 0: all of it). */
    int (*history)(struct store *s, const char *run_id, const char *key, struct store_page *page,
                   struct metric_list *out, struct ferr *err);
    /* The distinct steps the key has in [lo, hi], appended ascending. */
    int (*steps)(struct store *s, const char *run_id, const char *key, int64_t lo, int64_t hi,
                 struct store_steps *out, struct ferr *err);
    /* Every point at each of steps (ascending), at most max of them, each
     * with its run_id set. */
    int (*points_at_steps)(struct store *s, const char *run_id, const char *key,
                           const struct store_steps *steps, int64_t max, struct metric_list *out,
                           struct ferr *err);
    /* The span of the key's non-NaN points, counting up to cap. */
    int (*span)(struct store *s, const char *run_id, const char *key, int64_t cap,
                struct store_metric_span *out, struct ferr *err);
    /* Every non-NaN point of the key, in order, to fn. */
    int (*scan)(struct store *s, const char *run_id, const char *key, store_point_fn fn, void *arg,
                struct ferr *err);
};

#endif
