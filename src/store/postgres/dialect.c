/* SPDX-License-Identifier: MIT
 * PostgreSQL's dialect for the shared SQL builders: $n placeholders;
 * MLflow's LIKE as PostgreSQL's own LIKE and ILIKE (the backslash is their
 * default escape character, as MLflow's; ILIKE folds case beyond ASCII);
 * NULL placement said outright with NULLS FIRST/LAST (PostgreSQL sorts NULL
 * above every value, SQLite below). */
#include "store/postgres/dialect.h"
#include "store/sqlfrag.h"
#include "base/sbuf.h"

#include <stdlib.h>

#include "base/banned.h"

static void placeholder(struct sbuf *sql, size_t n)
{
    sbuf_addf(sql, "$%zu", n);
}

/* The same syntax, except that a trailing lone backslash (which PostgreSQL
 * refuses) is written as an escaped backslash, its meaning in MLflow. */
static char *like_pattern(const char *s)
{
    struct sbuf sb = SBUF_INIT;
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            sbuf_add(&sb, s, 2);
            s++;
        } else if (*s == '\\') {
            sbuf_addstr(&sb, "\\\\");
        } else {
            sbuf_addch(&sb, *s);
        }
    }
    return sbuf_detach(&sb, NULL);
}

static void like(struct sql_frag *f, const char *pattern, int icase)
{
    char *pat = like_pattern(pattern);
    sbuf_addstr(&f->sql, icase ? "ILIKE " : "LIKE ");
    sql_frag_text(f, pat);
    free(pat);
}

static void order(struct sbuf *sql, const char *col, int descending, int nulls_last)
{
    /* nulls_last 0 means SQLite's order: NULL below every value. */
    const char *nulls = nulls_last ? "LAST" : descending ? "LAST" : "FIRST";
    sbuf_addf(sql, "%s %s NULLS %s", col, descending ? "DESC" : "ASC", nulls);
}

const struct sql_dialect pg_dialect = {
    .name = "postgresql",
    .placeholder = placeholder,
    .like = like,
    .order = order,
    .real_cast = "::float8",
    .inner_join = "JOIN",
};
