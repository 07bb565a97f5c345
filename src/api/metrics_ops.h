/* SPDX-License-Identifier: MIT
 * The metrics area's rows: MLflow's metric histories and ferry's
 * downsampled one, with the structs a client fills to call them. */
#ifndef FERRY_API_METRICS_OPS_H
#define FERRY_API_METRICS_OPS_H

#include "api/codec_history.h"
#include "api/op.h"
#include "domain/domain.h"

extern const struct api_area api_metrics_area;

struct rq_metric_history {
    const char *run_id;
    const char *metric_key;
    const char *page_token; /* NULL: the first page */
    int64_t max_results;    /* 0: all of it */
};
struct rs_metrics {
    struct metric_list metrics;
    char *next_page_token; /* NULL on the last page */
};
struct rq_metric_bulk_interval {
    const char **run_ids;
    size_t nrun_ids;
    const char *metric_key;
    int64_t start_step, end_step; /* TIME_NONE: unbounded (both or neither) */
    int64_t max_results;
};
struct rq_metric_downsampled {
    const char *run_id;
    const char *metric_key;
    int64_t max_points;
};
struct rs_metric_downsampled {
    struct metric_list metrics;
    int64_t total;   /* points stored */
    int downsampled; /* fewer points answered than stored */
};

/* Many runs' histories of one metric, each downsampled as
 * get-history-downsampled does, in one answer: what a chart of many runs
 * asks. histories[i] is run_ids[i]'s. */
struct rq_metric_histories {
    const char **run_ids;
    size_t nrun_ids;
    const char *metric_key;
    int64_t max_points; /* each run's */
};
struct rs_metric_histories {
    struct run_history *v;
    size_t n, alloc;
};
/* Its bounds: run ids per request, and points answered in all (so one
 * request's cost stays bounded: ~45 bytes a point). */
#define HISTORIES_MAX_RUNS   100
#define HISTORIES_MAX_POINTS 1000000

extern const struct api_op api_metrics_get_history, api_metrics_get_history_bulk_interval,
    api_metrics_get_history_downsampled, api_metrics_get_histories_downsampled;

#endif
