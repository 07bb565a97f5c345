/* SPDX-License-Identifier: MIT
 * `ferry gc` as one library call, so it runs the same in-process (on the
 * database file) and in a server (through /api/2.0/ferry/gc): runs in the
 * deleted state (and runs of deleted experiments) are purged with their
 * artifacts, then the deleted experiments, then what killed uploads left
 * in the proxied repository. Each run's rows go first, in a transaction
 * that re-checks it is deleted, its files after: a run restored meanwhile
 * keeps everything, and a purged run cannot be restored onto half its
 * files. Active runs and their artifacts are never touched. Artifacts go
 * wherever the run kept them: the proxied repository (mlflow-artifacts:/)
 * or a local directory; other schemes are kept (and said so). */
#ifndef FERRY_STORE_COLLECT_H
#define FERRY_STORE_COLLECT_H

#include "artifacts/repo.h"
#include "base/ferr.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

struct collect_opts {
    int64_t deleted_before;             /* ms since the epoch: what was deleted at or before */
    const char *const *run_ids;         /* only these deleted runs (no experiments, no uploads) */
    size_t nrun_ids;                    /* 0: every deleted run */
    int dry_run;                        /* list what would go, remove nothing */
    const struct artifact_roots *roots; /* a server's: local files outside them are kept;
                                         * NULL: any local directory */
};

enum collect_outcome { COLLECT_WOULD_PURGE, COLLECT_PURGED, COLLECT_FAILED };

/* One run or experiment. */
struct collect_item {
    int is_experiment;
    char *id;
    char *location;  /* its artifact URI or location */
    char *artifacts; /* what became of them: "removed", "none", "kept (...)" (purged only) */
    char *error;     /* COLLECT_FAILED, or purged but its files remain: why */
    enum collect_outcome outcome;
};

struct collect_report {
    struct collect_item *v;
    size_t n, alloc;
    int64_t runs, experiments; /* purged (or that would be) */
    int64_t uploads;           /* unfinished uploads removed (or that would be) */
    int64_t failures;          /* items that failed, or kept files by an error */
    /* the prediction log's expired partitions dropped (store/predictions.h's
     * store_predictions_gc, run by the caller after a full collection); -1
     * when it did not run (a dry run, or --run-ids) */
    int64_t log_partitions;
};

void collect_report_release(struct collect_report *r);

/* Collects garbage in s. proxied is the repository mlflow-artifacts:/ URIs
 * name (NULL: none; their files are then "none"). Returns 0 when the
 * candidates could be listed (per-item failures are in the report), -1
 * with err set otherwise. */
int store_collect(struct store *s, struct artifact_repo *proxied, const struct collect_opts *o,
                  struct collect_report *out, struct ferr *err) WARN_UNUSED;

#endif
