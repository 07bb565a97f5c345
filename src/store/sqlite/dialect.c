/* SPDX-License-Identifier: MIT
 * SQLite's dialect: "?" placeholders; MLflow's case-sensitive LIKE as GLOB
 * (SQLite's LIKE ignores ASCII case) and ILIKE as LIKE ... ESCAPE '\'; and
 * NULL sorting below every value, so NULLs-last ascending needs a term of
 * its own. */
#include "store/sqlite/dialect.h"
#include "store/sqlfrag.h"
#include "base/sbuf.h"

#include <stdlib.h>

#include "base/banned.h"

static void placeholder(struct sbuf *sql, size_t n)
{
    (void)n;
    sbuf_addch(sql, '?');
}

static void glob_literal(struct sbuf *sb, char c)
{
    if (c == '*' || c == '?' || c == '[')
        sbuf_addf(sb, "[%c]", c);
    else
        sbuf_addch(sb, c);
}

/* A LIKE pattern as a GLOB pattern: % -> *, _ -> ?, GLOB's own specials
 * bracketed, and \x (the LIKE escape) taken literally. */
static char *like_to_glob(const char *s)
{
    struct sbuf sb = SBUF_INIT;
    for (; *s; s++) {
        if (*s == '\\' && s[1])
            glob_literal(&sb, *++s);
        else if (*s == '%')
            sbuf_addch(&sb, '*');
        else if (*s == '_')
            sbuf_addch(&sb, '?');
        else
            glob_literal(&sb, *s);
    }
    return sbuf_detach(&sb, NULL);
}

/* A LIKE pattern for SQLite's LIKE ... ESCAPE '\': the same syntax, except
 * that a trailing lone backslash must itself be escaped. */
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
    char *pat = icase ? like_pattern(pattern) : like_to_glob(pattern);
    sbuf_addstr(&f->sql, icase ? "LIKE " : "GLOB ");
    sql_frag_text(f, pat);
    if (icase)
        sbuf_addstr(&f->sql, " ESCAPE '\\'");
    free(pat);
}

/* SQLite puts NULLs first ascending, last descending. */
static void order(struct sbuf *sql, const char *col, int descending, int nulls_last)
{
    if (nulls_last && !descending)
        sbuf_addf(sql, "%s IS NULL, ", col);
    sbuf_addf(sql, "%s %s", col, descending ? "DESC" : "ASC");
}

const struct sql_dialect sqlite_dialect = {
    .name = "sqlite",
    .placeholder = placeholder,
    .like = like,
    .order = order,
    .inner_join = "CROSS JOIN",
};
