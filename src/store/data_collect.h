/* SPDX-License-Identifier: MIT
 * `ferry gc` for datasets (issue 19): the objects no existing version's
 * manifest names and that no add touched in the last hour go, rows first
 * (store_data_gc: its DELETE re-checks touched_ms, so an add in progress
 * keeps what it named), files after, through the data root's artifact
 * repository: a loose object's file, and a pack file once no row points
 * into it. A pack that still holds a live object stays whole (packs are
 * never rewritten here): the report says how many of its bytes are dead.
 * Files no row names at all (left by an ingest killed between its files
 * and its rows) go too. All of it under DATA_LOCK_PATH held exclusively,
 * so no ingest is between writing a file and recording its row.
 * The same call runs in-process (`ferry gc` on the database file) and in a
 * server (POST /api/2.0/ferry/gc). */
#ifndef FERRY_STORE_DATA_COLLECT_H
#define FERRY_STORE_DATA_COLLECT_H

#include "artifacts/repo.h"
#include "base/ferr.h"
#include "domain/data_manifest.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

/* A pack some collected object lay in. */
struct data_collect_pack {
    char id[DATA_PACK_ID_LEN + 1];
    int64_t dead_objects, dead_bytes; /* collected rows that pointed into it */
    int64_t live_objects, live_bytes; /* rows still pointing into it (after the collection) */
    int removed;                      /* 1: no live object left, the file went (or would) */
};

struct data_collect_report {
    int64_t objects, bytes; /* rows collected (or that would be) and their sizes */
    int64_t loose_files;    /* loose object files removed (or that would be) */
    int64_t packs_removed;  /* pack files removed (or that would be) */
    /* files no row names (a pack or loose object of an ingest killed before
     * it recorded its rows, a pack that lost a race to an identical one),
     * removed (or that would be) while no ingest runs */
    int64_t orphan_files, orphan_bytes;
    int64_t failures;    /* files that could not be removed (rows are gone: retried never) */
    char *error;         /* the first such failure, or NULL */
    const char *skipped; /* static: why nothing was collected (no data root), or NULL */
    struct data_collect_pack *packs; /* by id */
    size_t npacks, apacks;
};

void data_collect_report_release(struct data_collect_report *r);

/* Collects the dataset objects untouched since cutoff_ms (the caller
 * passes now - DATA_GC_MIN_AGE_MS at most) that no version names. root:
 * the data root (NULL: nothing is collected, since the files could not
 * follow the rows; 0 with out->skipped set). dry_run: nothing is deleted, the
 * report says what would be. -1 only when the store fails (nothing
 * removed then); failures to remove files are counted in the report. */
int store_data_collect(struct store *s, struct artifact_repo *root, int64_t cutoff_ms, int dry_run,
                       struct data_collect_report *out, struct ferr *err) WARN_UNUSED;

#endif
