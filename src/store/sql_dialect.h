/* SPDX-License-Identifier: MIT
 * What the shared SQL builders (sqlfrag.c, search_sql.c) ask of an SQL
 * backend: the few places where SQLite and PostgreSQL write the same meaning
 * differently. Everything else the builders write is common SQL (EXISTS,
 * LEFT JOIN, IN, LIMIT ... OFFSET, TRUE/FALSE, IS NULL). Each SQL backend
 * defines one of these (SQLite: store/sqlite/dialect.c) and hands it to
 * sql_frag_init. Header only: the hooks are the contract. */
#ifndef FERRY_STORE_SQL_DIALECT_H
#define FERRY_STORE_SQL_DIALECT_H

#include <stddef.h>

struct sbuf;
struct sql_frag;

struct sql_dialect {
    const char *name;
    /* Appends the placeholder of the n-th bound value of a statement
     * (1-based): "?" in SQLite, "$n" in PostgreSQL. */
    void (*placeholder)(struct sbuf *sql, size_t n);
    /* Appends an operator and the bound pattern (sql_frag_text) that match
     * the text on their left against an MLflow LIKE pattern: % and _ are
     * wildcards, a backslash takes the next character literally (a trailing
     * lone backslash stands for itself). icase 0 is LIKE, case-sensitive;
     * 1 is ILIKE. SQLite: "GLOB ?" with the pattern translated, and
     * "LIKE ? ESCAPE '\'" (case-insensitive for ASCII only). */
    void (*like)(struct sql_frag *f, const char *pattern, int icase);
    /* Appends the ORDER BY term(s) for col (no trailing comma). nulls_last 1:
     * NULLs after every value in both directions; 0: NULL below every value
     * (first ascending, last descending), SQLite's own order. */
    void (*order)(struct sbuf *sql, const char *col, int descending, int nulls_last);
    /* Written after the placeholder of a real value (NULL: nothing), so a
     * number compared with an integer column is compared as a number:
     * PostgreSQL types an untyped parameter after the column and would
     * refuse "1.5" as a bigint. */
    const char *real_cast;
    /* The inner join that leaves the tables' order as written, the searched
     * runs the outer loop (search_sql.c joins a sort key's row to them when
     * the filter requires it). SQLite's planner reorders a plain JOIN and,
     * without statistics, drove a 5,000-run search from a metric's index
     * over every experiment's rows (340 ms against 4): "CROSS JOIN", its
     * documented way to keep the order. PostgreSQL chooses by cost from
     * its statistics: "JOIN". */
    const char *inner_join;
};

#endif
