/* SPDX-License-Identifier: MIT
 * The gc area's row: ferry/gc, garbage collection run by a server on its
 * own store and artifacts (store/collect.h), so `ferry gc` works against
 * an http:// tracking URI as it does on the database file. */
#ifndef FERRY_API_GC_OPS_H
#define FERRY_API_GC_OPS_H

#include "api/op.h"
#include "store/collect.h"

extern const struct api_area api_gc_area;

struct rq_gc {
    int64_t older_than_ms; /* only what was deleted at least this long ago, by the server's clock */
    const char **run_ids;  /* only these deleted runs */
    size_t nrun_ids;
    int dry_run;
};

extern const struct api_op api_gc;

#endif
