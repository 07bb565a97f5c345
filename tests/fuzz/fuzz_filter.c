/* SPDX-License-Identifier: MIT
 * libFuzzer target: the search-filter and order_by parsers and the SQL
 * compiler, for runs, experiments and traces. The input (a NUL-terminated copy) is
 * used as a filter and as an order_by clause. Any input must either compile
 * or fail with INVALID_PARAMETER_VALUE and a short, valid UTF-8 message;
 * whatever compiles must be accepted by SQLite (prepared, bound and run on
 * an empty database with the real schema) -- a "parser stack overflow" or
 * "too many SQL variables" there would be a 500 in the server. Nothing may
 * crash, leak or trip UBSan. */
#include "fuzz_input.h"
#include "store/filter.h"
#include "store/sqlite/dialect.h"
#include "store/sqlite/schema.h"
#include "store/search_sql.h"

#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sqlite3 *db;

static void open_db(void)
{
    struct ferr err = FERR_INIT;
    if (db)
        return;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK || schema_migrate(db, NULL, &err)) {
        fprintf(stderr, "cannot set up the database: %s\n", err.msg);
        abort();
    }
}

/* Only INVALID_PARAMETER_VALUE, with a message fit for a JSON answer. */
static void check_error(const struct ferr *err)
{
    const unsigned char *s = (const unsigned char *)err->msg;
    if (err->code != FERR_INVALID_PARAMETER_VALUE || !*s || strlen(err->msg) >= sizeof(err->msg))
        abort();
    for (size_t i = 0; s[i];) {
        size_t len = s[i] < 0x80 ? 1 : s[i] >= 0xF0 ? 4 : s[i] >= 0xE0 ? 3 : 2;
        if ((s[i] >= 0x80 && s[i] < 0xC2) || s[i] > 0xF4 || s[i] < 0x20)
            abort();
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                abort();
        i += len;
    }
}

static void check_sql(const struct sql_frag *f)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, f->sql.buf, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "SQLite rejects the SQL: %s\n%s\n", sqlite3_errmsg(db), f->sql.buf);
        abort();
    }
    if ((size_t)sqlite3_bind_parameter_count(st) != f->n)
        abort();
    for (size_t i = 0; i < f->n; i++) {
        const struct sql_bind *b = &f->binds[i];
        int k = (int)i + 1;
        if (b->type == SQL_BIND_TEXT)
            sqlite3_bind_text(st, k, b->text, -1, SQLITE_STATIC);
        else if (b->type == SQL_BIND_INT)
            sqlite3_bind_int64(st, k, b->i);
        else
            sqlite3_bind_double(st, k, b->d);
    }
    int rc = sqlite3_step(st);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
        fprintf(stderr, "SQLite fails: %s\n%s\n", sqlite3_errmsg(db), f->sql.buf);
        abort();
    }
    sqlite3_finalize(st);
}

static void runs(const char *filter, const char **order, size_t norder)
{
    const char *ids[] = {"0", "1"};
    struct run_search q = {ids, 2, filter, VIEW_ACTIVE_ONLY, 10, order, norder, NULL};
    struct sql_frag f;
    struct ferr err = FERR_INIT;
    sql_frag_init(&f, &sqlite_dialect);
    if (search_sql_runs(&q, 11, 0, &f, &err))
        check_error(&err);
    else
        check_sql(&f);
    sql_frag_release(&f);
}

static void experiments(const char *filter, const char **order, size_t norder)
{
    struct experiment_search q = {filter, VIEW_ALL, 10, order, norder, NULL};
    struct sql_frag f;
    struct ferr err = FERR_INIT;
    sql_frag_init(&f, &sqlite_dialect);
    if (search_sql_experiments(&q, 11, 0, &f, &err))
        check_error(&err);
    else
        check_sql(&f);
    sql_frag_release(&f);
}

static void logged_models(const char *filter, const char *field)
{
    const char *ids[] = {"0", "1"};
    struct logged_model_dataset ds[] = {{"eval", NULL}, {"train", "d1"}};
    struct logged_model_order order[] = {{field, 0, "eval", NULL}, {"name", 1, NULL, NULL}};
    struct logged_model_search q = {ids, 2, filter, ds, 2, 10, order, field ? 2 : 0, NULL};
    struct sql_frag f;
    struct ferr err = FERR_INIT;
    sql_frag_init(&f, &sqlite_dialect);
    if (search_sql_logged_models(&q, 11, 0, &f, &err))
        check_error(&err);
    else
        check_sql(&f);
    sql_frag_release(&f);
}

static void traces(const char *filter, const char **order, size_t norder)
{
    const char *ids[] = {"0", "1"};
    struct trace_search q = {ids, 2, filter, 10, order, norder, NULL};
    struct sql_frag f;
    struct ferr err = FERR_INIT;
    sql_frag_init(&f, &sqlite_dialect);
    if (search_sql_traces(&q, 11, 0, &f, &err))
        check_error(&err);
    else
        check_sql(&f);
    sql_frag_release(&f);
}

static void parse_only(const char *s)
{
    struct ferr err = FERR_INIT;
    for (int dom = FILTER_RUNS; dom <= FILTER_TRACES; dom++) {
        struct fnode *n = NULL;
        struct forder o;
        if (!filter_parse(s, (enum filter_domain)dom, &n, &err))
            fnode_free(n);
        else if (n)
            abort(); /* a failed parse hands nothing back */
        else
            check_error(&err);
        if (!filter_parse_order(s, (enum filter_domain)dom, &o, &err))
            forder_release(&o);
        else if (o.key)
            abort();
        else
            check_error(&err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstring(data, size);
    if (!s)
        return 0;
    open_db();
    parse_only(s);
    const char *fixed[] = {"metrics.acc DESC", "params.lr", "attributes.end_time"};
    const char *mine[] = {s, "tags.`a b` DESC"};
    runs(s, fixed, 3);
    runs(NULL, mine, 2);
    const char *exp_order[] = {s};
    experiments(s, NULL, 0);
    experiments(NULL, exp_order, 1);
    logged_models(s, "metrics.auc");
    logged_models(NULL, s);
    const char *trace_order[] = {"tags.team DESC", s, "metadata.`a b`"};
    traces(s, NULL, 0);
    traces(NULL, trace_order, 3);
    free(s);
    return 0;
}
