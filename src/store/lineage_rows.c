/* SPDX-License-Identifier: MIT */
#include "store/lineage_rows.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

void lineage_row_set(struct lineage_row *row, const char *const *cols, const size_t *lens,
                     int ncols)
{
    size_t total = 0;
    for (int k = 0; k < ncols && k < LINEAGE_ROW_COLS; k++)
        total += lens[k] + 1;
    char *p = xmalloc(total + LINEAGE_ROW_COLS);
    for (int k = 0; k < LINEAGE_ROW_COLS; k++) {
        size_t n = k < ncols ? lens[k] : 0;
        if (n)
            memcpy(p, cols[k], n);
        p[n] = '\0';
        row->c[k] = p;
        p += n + 1;
    }
}

void lineage_rows_release(struct lineage_rows *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->v[i].c[0]); /* the row's one block */
    free(r->v);
    memset(r, 0, sizeof(*r));
}
