/* SPDX-License-Identifier: MIT
 * A piece of SQL text with its bound values, in placeholder order. Filters and
 * sort keys compile into these, so user text only ever reaches SQLite as a
 * bound parameter, never as SQL. Internal to store/. */
#ifndef FERRY_STORE_SQLFRAG_H
#define FERRY_STORE_SQLFRAG_H

#include "base/sbuf.h"
#include <stdint.h>

enum sql_bind_type { SQL_BIND_TEXT, SQL_BIND_INT, SQL_BIND_REAL };

struct sql_bind {
    enum sql_bind_type type;
    char *text; /* owned, for SQL_BIND_TEXT */
    int64_t i;
    double d;
};

struct sql_frag {
    struct sbuf sql;
    struct sql_bind *binds;
    size_t n, alloc;
};

void sql_frag_init(struct sql_frag *f);
void sql_frag_release(struct sql_frag *f);
/* Each appends a "?" to the SQL text and records the value. */
void sql_frag_text(struct sql_frag *f, const char *s);
void sql_frag_int(struct sql_frag *f, int64_t v);
void sql_frag_real(struct sql_frag *f, double v);
/* Appends src's text and binds to dst. */
void sql_frag_append(struct sql_frag *dst, const struct sql_frag *src);

#endif
