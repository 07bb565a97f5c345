/* SPDX-License-Identifier: MIT
 * The profile of a CSV file, and of every CSV file of a dataset version
 * (issue 19), in the shape of domain/data_profile.h. The file is read by
 * data/csv_columns.h, typed as pandas.read_csv types it; the figures are
 * those of pandas 1.5 / numpy 1.24 (checked against them in
 * tests/unit/data/profile_test.c with tests/tools/profile_reference.py):
 *   type      int64 -> "integer", float64 -> "float", bool -> "bool",
 *             object -> "text" (column_table's drift_column_dtype)
 *   nulls     Series.isna().sum()
 *   distinct  Series.nunique() (nulls not counted)
 *   min, max, mean, std (ddof 1), quantiles 0.05 0.25 0.5 0.75 0.95
 *             (Series.quantile, linear interpolation) over the non-null
 *             values of a number column
 *   histogram numpy.histogram(values, bins=10): 10 equal bins over
 *             [min, max] (min - 0.5, max + 0.5 when they are equal), the
 *             last bin closed
 *   top       value_counts(): the 10 most frequent non-null values, ties
 *             in order of first appearance (pandas leaves ties unordered)
 *   bool mean the share of True.
 * Mean and std are summed as numpy sums (pairwise, in chunks of 8192), so
 * they agree with pandas to the bit on the reference cases.
 * Values and column names longer than DATA_PROFILE_MAX_STR bytes are cut
 * (at a UTF-8 boundary); columns past DATA_PROFILE_MAX_COLUMNS are left out
 * ("columns_total" says how many there were).
 * Memory: the file's column table (8 bytes a number, each distinct string
 * once) plus one sorted copy of one column at a time. */
#ifndef FERRY_DATA_PROFILE_H
#define FERRY_DATA_PROFILE_H

#include "base/ferr.h"
#include "base/sbuf.h"
#include "data/column_table.h"
#include "domain/data_profile.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define DATA_PROFILE_BINS          10
#define DATA_PROFILE_MAX_FILE_SIZE ((uint64_t)2 << 30) /* larger CSV files are skipped */

/* The FILE profile ({"rows": N, "columns": [...]}) of a finished table.
 * A new object. */
json_t *data_profile_table(const struct column_table *t);

/* The FILE profile of the CSV file at path (read with csv_columns_read,
 * threads 1 or 2). Errors are csv_columns_read's. */
int data_profile_csv(const char *path, int threads, json_t **out, struct ferr *err) WARN_UNUSED;

/* 1 when path names a file profiled as CSV (its name ends in ".csv", any
 * case). */
int data_profile_is_csv(const char *path);

/* One file of a version: its path in the manifest and its size. */
struct data_profile_entry {
    const char *path;
    uint64_t size;
};

/* Where the bytes of a version's files are, for data_profile_version.
 * open: sets *local (reset by the caller) to a local file holding the bytes
 *       of the manifest path rel; 0, or -1 with err set (the profile then
 *       fails with that error).
 * close: called once the file is read, with what open gave (e.g. to remove
 *       a temporary copy); may be NULL.
 * A local directory tree is data_profile_dir_open with ctx = its root. */
struct data_profile_source {
    int (*open)(void *ctx, const char *rel, struct sbuf *local, struct ferr *err);
    void (*close)(void *ctx, const char *rel, const char *local);
    void *ctx;
};

/* open for a directory tree: *local = ctx (a directory path) + "/" + rel. */
int data_profile_dir_open(void *ctx, const char *rel, struct sbuf *local, struct ferr *err);

/* The profile of a version: every CSV file among files[0..n-1], in path
 * order, as {"format": "ferry-profile/1", "files": {...}, "skipped": [...]}
 * ("skipped" only when some were). Skipped, with a reason, are: a file
 * larger than DATA_PROFILE_MAX_FILE_SIZE, a file past the first
 * DATA_PROFILE_MAX_FILES CSV files, a file that is not valid CSV (its parse
 * error), a file whose profile would take the whole past
 * DATA_PROFILE_MAX_BYTES. A version with no CSV file gets "files": {}.
 * threads as csv_columns_read. 0 and *out (a new object), or -1 with err
 * set when the source fails. The result passes data_profile_validate. */
int data_profile_version(const struct data_profile_entry *files, size_t n,
                         const struct data_profile_source *src, int threads, json_t **out,
                         struct ferr *err) WARN_UNUSED;

#endif
