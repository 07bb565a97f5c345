/* SPDX-License-Identifier: MIT
 * The gc area's row: ferry/gc, garbage collection run by a server on its
 * own store and artifacts (store/collect.h) and its data root's dataset
 * objects (store/data_collect.h), so `ferry gc` works against an http://
 * tracking URI as it does on the database file. */
#ifndef FERRY_API_GC_OPS_H
#define FERRY_API_GC_OPS_H

#include "api/op.h"
#include "store/collect.h"
#include "store/data_collect.h"

extern const struct api_area api_gc_area;

struct rq_gc {
    int64_t older_than_ms; /* only what was deleted at least this long ago, by the server's clock */
    const char **run_ids;  /* only these deleted runs */
    size_t nrun_ids;
    int dry_run;
};

/* The answer: the runs' and experiments' report, and the datasets' (a
 * full collection only: not with run_ids). */
struct rs_gc {
    struct collect_report report;
    struct data_collect_report datasets;
};

void rs_gc_release(struct rs_gc *r);

/* The dataset objects' cutoff for a gc asked to take what is older than
 * older_than_ms: never younger than an hour (DATA_GC_MIN_AGE_MS), so a
 * deduplicating add in progress keeps the objects it named. */
int64_t api_gc_data_cutoff(int64_t now_ms, int64_t older_than_ms);

extern const struct api_op api_gc;

#endif
