/* SPDX-License-Identifier: MIT
 * The rows added and removed between two CSV files (`ferry data diff
 * --rows`): each file is a multiset of rows, compared as multisets (a row
 * that moved is neither added nor removed; a row present twice before and
 * three times after is added once).
 *
 * A row is its field values after unquoting (so "a" and a are the same
 * value, CRLF and LF the same end of line), taken over the columns both
 * headers name, in the order of the first file's header: a column added or
 * removed is reported in the header part and does not make every row
 * differ; a reordered header changes no row. Rows are kept as 128-bit
 * hashes with counts: memory grows with the distinct rows of the first
 * file (24 bytes each), not with the file sizes; the files are streamed
 * (the first one twice when removed examples are asked for). Two distinct
 * rows sharing a 128-bit hash would count as one (odds about n^2 / 2^129).
 * CSV as data/csv_columns.h reads it (RFC 4180, comma, a header row). */
#ifndef FERRY_DATA_CSV_DIFF_H
#define FERRY_DATA_CSV_DIFF_H

#include "base/ferr.h"

#include <stddef.h>
#include <stdint.h>

struct csv_diff_opts {
    size_t max_examples; /* rows added / removed to keep as examples (each side) */
};

struct csv_diff {
    uint64_t rows_before, rows_after; /* data rows (the header not counted) */
    uint64_t added, removed;          /* rows after not matched before, and the reverse */
    uint64_t unchanged;               /* rows matched (rows_after - added) */
    /* Header: the columns only one file has, in the order of the file that
     * has them; reordered is 1 when the common columns come in another
     * order. The rows are compared on the common columns. */
    char **columns_added, **columns_removed;
    size_t ncolumns_added, ncolumns_removed;
    int reordered;
    /* Examples: up to max_examples raw lines (as in the file, without the
     * line end; a quoted field keeps its quotes), in file order, with their
     * 1-based line numbers (the header is line 1; a field spanning lines
     * counts its line breaks). */
    char **added_rows, **removed_rows;
    uint64_t *added_lines, *removed_lines;
    size_t nadded_rows, nremoved_rows;
};

#define CSV_DIFF_INIT                                                                              \
    {                                                                                              \
        0                                                                                          \
    }

/* Compares the CSV files before and after (paths) into *out (CSV_DIFF_INIT,
 * csv_diff_release). opts may be NULL (no examples). Errors
 * (INVALID_PARAMETER_VALUE, "PATH:LINE: ..."): a file cannot be read, has
 * no header row, a header names a column twice, a row has more or fewer
 * fields than its header, a quoted field is not closed. */
int csv_diff_files(const char *before, const char *after, const struct csv_diff_opts *opts,
                   struct csv_diff *out, struct ferr *err) WARN_UNUSED;

/* Frees what *d holds and leaves it CSV_DIFF_INIT. Accepts NULL. */
void csv_diff_release(struct csv_diff *d);

#endif
