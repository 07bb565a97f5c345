/* SPDX-License-Identifier: MIT */
#include "models/model_io.h"
#include "base/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

void model_output_release(struct model_output *o)
{
    free(o->values);
    free(o->json);
    free(o->proba);
    memset(o, 0, sizeof(*o));
}

void model_output_add_rows(const struct model_output *o, struct sbuf *sb, int *first)
{
    if (o->json) { /* "[a, b, ...]": its elements are the rows */
        const char *b = strchr(o->json, '['), *e = strrchr(o->json, ']');
        if (b && e && e > b + 1) {
            sbuf_addstr(sb, *first ? "" : ",");
            sbuf_add(sb, b + 1, (size_t)(e - b - 1));
            *first = 0;
        }
        return;
    }
    for (size_t r = 0; r < o->rows; r++) {
        sbuf_addstr(sb, *first ? "" : ",");
        *first = 0;
        if (o->cols > 1)
            sbuf_addch(sb, '[');
        for (size_t c = 0; c < o->cols; c++) {
            double v = o->values[r * o->cols + c];
            if (c)
                sbuf_addch(sb, ',');
            if (o->labels)
                fjson_add_int64(sb, (int64_t)v);
            else
                fjson_add_double(sb, v);
        }
        if (o->cols > 1)
            sbuf_addch(sb, ']');
    }
}
