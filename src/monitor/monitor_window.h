/* SPDX-License-Identifier: MIT
 * A monitor's window of the prediction log as a drift table (issue 18):
 * the rows a deployment answered in a time range (or its last N rows), one
 * table row per logged row, one column per watched name: an input column of
 * the row's target (by name), or "prediction" (the model's answer; the
 * first value when it answers several per row).
 *
 * Which rows: answers only (a shadow's rows never reached a caller), of
 * requests that succeeded (2xx with outputs); a row whose blobs do not
 * decode is skipped and counted. A watched input column that a row's target
 * does not have is a missing value there (a new model version dropped it);
 * a hashed value (hash_columns) is text "hash:<hex>", so drift on it is a
 * change of its distinct values.
 *
 * Values keep the kind the log recorded: an integer (the encoding's varint)
 * is given to the table as an integer, any other number as a float, a
 * string as text, null as missing, so drift_report infers column kinds as
 * Evidently does on the same data read by pandas.
 *
 * The reference side: a past window is read the same way; a CSV file
 * (a training run's artifact) through drift-report's CSV reader
 * (monitor_window_csv), keeping the watched columns only.
 *
 * Cost: one pass over the window's rows through store_predictions_scan
 * (nothing but the table is kept); a last_rows window first counts rows
 * backward in doubling spans, then reads the span it needs once. */
#ifndef FERRY_MONITOR_MONITOR_WINDOW_H
#define FERRY_MONITOR_MONITOR_WINDOW_H

#include "base/ferr.h"
#include "domain/prediction.h"
#include "data/column_table.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

/* The watched name of the model's answer. */
#define MONITOR_PREDICTION_COLUMN "prediction"
/* How far back a last_rows window looks at most. */
#define MONITOR_WINDOW_MAX_LOOKBACK_MS (400LL * 24 * 3600 * 1000)

struct monitor_window_query {
    const char *deployment;
    int64_t start_ms, end_ms;   /* [start, end); start ignored when last_rows > 0 */
    int64_t last_rows;          /* > 0: the last last_rows rows before end_ms */
    const char *const *columns; /* the watched names; NULL/0: monitor_window_columns's */
    size_t ncolumns;
};

struct monitor_window {
    struct column_table *table; /* finished; the caller's (monitor_window_release) */
    size_t nrows;
    int64_t first_ms, last_ms; /* the first and last row's time; 0 when none */
    int64_t start_ms, end_ms;  /* the range read: [start, end) (last_rows: from its first row) */
    size_t ncorrupt;           /* rows skipped: blobs that did not decode */
};
void monitor_window_release(struct monitor_window *w);

/* Reads the window into out (a table even when no row matched). An
 * unknown deployment with no rows logged is RESOURCE_DOES_NOT_EXIST; a bad
 * range INVALID_PARAMETER_VALUE. */
int monitor_window_read(struct store *s, const struct monitor_window_query *q,
                        struct monitor_window *out, struct ferr *err) WARN_UNUSED;

/* The default watched names for deployment: the input columns of the
 * first answered row in [start_ms, end_ms) (0: unbounded), then
 * "prediction". *n 0 (and *names NULL) when no such row is logged. Free
 * with monitor_names_free. */
int monitor_window_columns(struct store *s, const char *deployment, int64_t start_ms,
                           int64_t end_ms, char ***names, size_t *n, struct ferr *err) WARN_UNUSED;
void monitor_names_free(char **names, size_t n);

/* For the unit tests and monitor_window_read: one logged row's watched
 * values appended to t as one table row (columns as in q). map caches the
 * row's target's column order between calls (zeroed at first; released
 * by monitor_row_map_release). -1 when the row's blobs do not decode
 * (nothing appended). */
struct monitor_row_map {
    char *columns_text; /* the target's columns JSON text the map is of */
    int *slot;          /* slot[i]: the watched column of the row's input i, or -1 */
    size_t nslot;
    long prediction; /* the watched column of the prediction, or -1 */
    /* scratch: a row's watched values, decoded before any is added */
    struct monitor_cell {
        size_t col;
        int is_int;
        struct pred_value v;
    } * cells;
    size_t ncells_alloc;
};
void monitor_row_map_release(struct monitor_row_map *m);
int monitor_row_add(struct column_table *t, const char *const *columns, size_t ncolumns,
                    struct monitor_row_map *map, const struct pred_row *r);

#endif
