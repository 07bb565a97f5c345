/* SPDX-License-Identifier: MIT
 * The rows the lineage area's batched lookups answer (store/lineage.h's
 * backend contract): a file of its own, so the backends that fill rows
 * and the front that reads them depend on it and not on each other. */
#ifndef FERRY_STORE_LINEAGE_ROWS_H
#define FERRY_STORE_LINEAGE_ROWS_H

#include <stddef.h>

#define LINEAGE_ROW_COLS 9

/* A row's columns lie in one block (c[0] is its start): a backend fills
 * a row with lineage_row_set. */
struct lineage_row {
    char *c[LINEAGE_ROW_COLS];
};
/* Copies cols[0..ncols) (lens[k] bytes each, cols[k] may be NULL when
 * lens[k] is 0; the columns past ncols are "") into row as one block. */
void lineage_row_set(struct lineage_row *row, const char *const *cols, const size_t *lens,
                     int ncols);
struct lineage_rows {
    struct lineage_row *v;
    size_t n, alloc;
};
void lineage_rows_release(struct lineage_rows *r);

#endif
