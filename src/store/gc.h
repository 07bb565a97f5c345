/* SPDX-License-Identifier: MIT
 * The store's garbage-collection area (ferry gc): what is in the deleted
 * state is listed, its artifacts removed by the caller, then its rows
 * purged for good. Active runs are never touched: a purge re-checks the
 * state in its own transaction. Same conventions as store.h; a backend
 * without this area answers NOT_IMPLEMENTED. */
#ifndef FERRY_STORE_GC_H
#define FERRY_STORE_GC_H

#include "base/ferr.h"
#include "domain/domain.h"
#include "store/store.h"

/* The runs to purge -- deleted at or before deleted_before (ms since the
 * epoch), or in an experiment deleted by then -- as (run_id, artifact_uri)
 * pairs, and the deleted experiments as (experiment_id, artifact_location). */
int store_gc_candidates(struct store *s, int64_t deleted_before, struct kv_list *runs,
                        struct kv_list *experiments, struct ferr *err) WARN_UNUSED;
/* Removes a run and everything recorded for it, for good. Only a deleted
 * run (or one in a deleted experiment): INVALID_STATE otherwise. */
int store_purge_run(struct store *s, const char *run_id, struct ferr *err) WARN_UNUSED;
/* Removes a deleted experiment that has no runs left. */
int store_purge_experiment(struct store *s, const char *experiment_id,
                           struct ferr *err) WARN_UNUSED;

/* ---------- the gc backend contract (see store/backend.h) ---------- */

/* Arguments arrive validated: a run id, an experiment id parsed and not 0. */
struct store_gc_ops {
    int (*candidates)(struct store *s, int64_t deleted_before, struct kv_list *runs,
                      struct kv_list *experiments, struct ferr *err);
    int (*purge_run)(struct store *s, const char *run_id, struct ferr *err);
    int (*purge_experiment)(struct store *s, int64_t experiment_id, struct ferr *err);
};

#endif
