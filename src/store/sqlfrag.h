/* SPDX-License-Identifier: MIT
 * A piece of SQL text with its bound values, in placeholder order. Filters and
 * sort keys compile into these, so user text only ever reaches the database
 * as a bound parameter, never as SQL. Placeholders are written in the
 * frag's dialect (store/sql_dialect.h); for SQL backends only. */
#ifndef FERRY_STORE_SQLFRAG_H
#define FERRY_STORE_SQLFRAG_H

#include "base/sbuf.h"
#include "store/sql_dialect.h"
#include <stdint.h>

enum sql_bind_type { SQL_BIND_TEXT, SQL_BIND_INT, SQL_BIND_REAL };

struct sql_bind {
    enum sql_bind_type type;
    char *text; /* owned, for SQL_BIND_TEXT */
    int64_t i;
    double d;
    size_t at, len; /* where its placeholder is in the frag's text */
};

struct sql_frag {
    const struct sql_dialect *dialect;
    struct sbuf sql;
    struct sql_bind *binds;
    size_t n, alloc;
};

/* An empty frag whose placeholders d writes. */
void sql_frag_init(struct sql_frag *f, const struct sql_dialect *d);
void sql_frag_release(struct sql_frag *f);
/* Each appends the next placeholder to the SQL text and records the value. */
void sql_frag_text(struct sql_frag *f, const char *s);
void sql_frag_int(struct sql_frag *f, int64_t v);
void sql_frag_real(struct sql_frag *f, double v);
/* Appends src's text and binds to dst (same dialect), its placeholders
 * renumbered to follow dst's. */
void sql_frag_append(struct sql_frag *dst, const struct sql_frag *src);

#endif
