/* SPDX-License-Identifier: MIT
 * The prediction log's records as the store hands them out
 * (store/predictions.h has the operations and includes this): a feedback
 * call's result, a row's label history, an hour's aggregate, and their
 * release functions, apart from the front so a backend uses them without
 * depending on it. */
#ifndef FERRY_STORE_PREDICTION_RECORD_H
#define FERRY_STORE_PREDICTION_RECORD_H

#include "domain/prediction.h"

#include <stddef.h>
#include <stdint.h>

struct feedback_result {
    int64_t accepted;
    char **unknown; /* ids that name no logged row (copies), in the given order */
    size_t nunknown;
};
void feedback_result_release(struct feedback_result *r);

/* The history of one row's labels, oldest first. */
struct label_change {
    char *label;    /* the label given */
    char *previous; /* what it replaced; NULL: none */
    char *user_id;
    int64_t time_ms;
};
struct label_change_list {
    struct label_change *v;
    size_t n, alloc;
};
void label_change_list_release(struct label_change_list *l);

/* One hour's aggregate of one target and slice. */
struct pred_hour {
    int64_t hour_ms; /* the hour's start, UTC */
    struct pred_target target;
    char *slice_key;   /* "" the whole target; "tag:<key>" */
    char *slice_value; /* "" for the whole target */
    int64_t count;     /* rows */
    int64_t failed;    /* rows of requests that failed */
    int64_t labeled;   /* rows with a label */
    char *latency;     /* domain/latency_hist.h's text form (per request, on row 0) */
    char *stats;       /* the quality statistics, domain/prediction_stats.h.s stored form */
};
struct pred_hour_list {
    struct pred_hour *v;
    size_t n, alloc;
};
void pred_hour_release(struct pred_hour *h);
void pred_hour_list_release(struct pred_hour_list *l);

#endif
