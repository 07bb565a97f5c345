/* SPDX-License-Identifier: MIT
 * A dataset version's profile (issue 19) as the server takes it from a
 * client: its shape, its caps, and the comparison of one file's profile in
 * two versions (the CSV part of `datasets/diff`). Pure: JSON in, JSON out;
 * data/profile.c computes profiles and keeps within the same caps.
 *
 * The shape (compact JSON; every key below may appear, no other key may):
 *   {"format": "ferry-profile/1",
 *    "files": {"train.csv": FILE, ...},
 *    "skipped": [{"path": "big.csv", "reason": "larger than 2 GiB"}, ...]}
 * FILE: {"rows": N, "columns": [COLUMN, ...],
 *        "columns_total": N (only when columns past the cap were left out)}
 * COLUMN: {"name": "...", "type": "integer"|"float"|"bool"|"text",
 *          "nulls": N, "distinct": N,
 *          numbers ("integer", "float"):
 *            "min", "max", "mean", "std" (sample, ddof 1),
 *            "quantiles": {"0.05", "0.25", "0.5", "0.75", "0.95"},
 *            "histogram": {"edges": [11 numbers], "counts": [10 counts]}
 *          "bool": "mean" (the share of True) and "top";
 *          "text" and "bool": "top": [{"value": "...", "count": N}, ...]
 *            (most frequent first, at most DATA_PROFILE_MAX_TOP)}
 * A statistic that is not defined (a column of nulls only, the std of one
 * value) is null; an infinite one is the string "Infinity" or "-Infinity"
 * (MLflow's spelling); a histogram is left out when min or max is infinite
 * (numpy refuses such a range). */
#ifndef FERRY_DOMAIN_DATA_PROFILE_H
#define FERRY_DOMAIN_DATA_PROFILE_H

#include "base/ferr.h"

#include <jansson.h>
#include <stddef.h>

#define DATA_PROFILE_FORMAT      "ferry-profile/1"
#define DATA_PROFILE_MAX_BYTES   ((size_t)4 << 20) /* compact JSON text of a whole profile */
#define DATA_PROFILE_MAX_FILES   100               /* profiled files per version */
#define DATA_PROFILE_MAX_SKIPPED 10000             /* entries of "skipped" */
#define DATA_PROFILE_MAX_COLUMNS 1000              /* profiled columns per file */
#define DATA_PROFILE_MAX_TOP     10                /* top categories per column */
#define DATA_PROFILE_MAX_BINS    100               /* histogram bins (data/profile.c writes 10) */
#define DATA_PROFILE_MAX_STR     256               /* bytes of a column name, value or reason */
#define DATA_PROFILE_MAX_PATH    4096              /* bytes of a file path (as manifests) */

/* Checks that profile is a profile of the shape above within the caps
 * (types of every field, known keys only, counts >= 0, numbers finite or
 * "Infinity"/"-Infinity"/null, histogram edges = counts + 1, strings valid
 * UTF-8 within their caps, the whole text within DATA_PROFILE_MAX_BYTES).
 * 0, or -1 with err INVALID_PARAMETER_VALUE naming where it is wrong:
 * "profile: files['a.csv'].columns[3].type: ..." */
int data_profile_validate(json_t *profile, struct ferr *err) WARN_UNUSED;

/* The FILE object of path in a profile (borrowed), or NULL when profile is
 * NULL or does not profile that file. */
json_t *data_profile_file(json_t *profile, const char *path);

/* The CSV part of a changed file in a diff, from its FILE profiles before
 * and after (either may be NULL: that side is unknown):
 *   {"rows_before": N|null, "rows_after": N|null,
 *    "columns_added": ["c", ...], "columns_removed": [...],
 *    "columns_retyped": [{"name": "c", "from": "integer", "to": "float"}]}
 * Columns in the order of the file that has them. A new object. */
json_t *data_profile_diff_file(json_t *before, json_t *after);

/* MLflow's schema of a FILE profile, as a dataset input carries it:
 *   {"mlflow_colspec": [{"type": "long", "name": "a"}, ...]}
 * (integer -> long, float -> double, bool -> boolean, text -> string).
 * A new object; NULL when file has no "columns" array. */
json_t *data_profile_colspec(json_t *file);

#endif
