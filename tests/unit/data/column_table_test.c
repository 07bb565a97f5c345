/* SPDX-License-Identifier: MIT
 * monitor/column_table.c and csv_columns.c: the pandas dtype facts, text
 * conversion, the dictionary, CSV parsing (quotes, CRLF, NA spellings,
 * numbers exact to the bit against strtod, errors with file:line), and the
 * two-thread conversion giving the same table as one thread. */
#include "../test.h"
#include "base/ferr.h"
#include "data/csv_columns.h"
#include "data/column_table.h"

#include <math.h>
#include <stdio.h>

static const char *const names2[] = {"a", "b"};

static char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    FILE *f = fopen(path, "w");
    ASSERT(f);
    ASSERT(fputs(text, f) >= 0);
    ASSERT(fclose(f) == 0);
    return path;
}

TEST(column_table_dtypes)
{
    struct column_table *t = column_table_new(names2, 2);
    column_table_add_int(t, 0, 3);
    column_table_add_int(t, 1, 3);
    column_table_end_row(t);
    ASSERT_INT_EQ(drift_column_dtype(&t->cols[0]), DRIFT_DTYPE_INT);
    column_table_add_missing(t, 0);
    column_table_add_num(t, 1, 2.5);
    column_table_end_row(t);
    ASSERT_INT_EQ(drift_column_dtype(&t->cols[0]), DRIFT_DTYPE_FLOAT);
    ASSERT_INT_EQ(drift_column_dtype(&t->cols[1]), DRIFT_DTYPE_FLOAT);
    column_table_add_text(t, 1, "x", 1);
    column_table_end_row(t); /* column a padded with a missing value */
    column_table_finish(t);
    ASSERT_INT_EQ(t->nrows, 3);
    ASSERT_INT_EQ(t->cols[0].n, 3);
    ASSERT(isnan(t->cols[0].num[2]));
    ASSERT_INT_EQ(drift_column_dtype(&t->cols[1]), DRIFT_DTYPE_OBJECT);
    ASSERT(t->cols[1].is_text);
    /* The numbers became their pandas spelling. */
    ASSERT_STR_EQ(t->cols[1].dict.strs[t->cols[1].codes[0]], "3");
    ASSERT_STR_EQ(t->cols[1].dict.strs[t->cols[1].codes[1]], "2.5");
    ASSERT_INT_EQ(drift_dict_find(&t->cols[1].dict, "x", 1), (long)t->cols[1].codes[2]);
    ASSERT_INT_EQ(drift_dict_find(&t->cols[1].dict, "y", 1), -1);
    ASSERT_INT_EQ(column_table_find(t, "b"), 1);
    ASSERT_INT_EQ(column_table_find(t, "c"), -1);
    column_table_free(t);
}

TEST(column_table_bools)
{
    struct column_table *t = column_table_new(names2, 2);
    column_table_add_bool(t, 0, 1);
    column_table_add_bool(t, 1, 0);
    column_table_end_row(t);
    column_table_add_bool(t, 0, 0);
    column_table_add_missing(t, 1);
    column_table_end_row(t);
    column_table_finish(t);
    ASSERT_INT_EQ(drift_column_dtype(&t->cols[0]), DRIFT_DTYPE_BOOL);
    ASSERT_INT_EQ(drift_column_dtype(&t->cols[1]), DRIFT_DTYPE_OBJECT);
    drift_column_to_text(&t->cols[0]);
    ASSERT_STR_EQ(t->cols[0].dict.strs[t->cols[0].codes[0]], "True");
    ASSERT_STR_EQ(t->cols[0].dict.strs[t->cols[0].codes[1]], "False");
    column_table_free(t);
}

TEST(column_table_many_strings)
{
    /* Enough distinct strings to rehash the dictionary several times. */
    static const char *const one[] = {"s"};
    struct column_table *t = column_table_new(one, 1);
    char buf[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(buf, sizeof(buf), "v%d", i % 2500);
        column_table_add_text(t, 0, buf, strlen(buf));
    }
    column_table_finish(t);
    ASSERT_INT_EQ(t->cols[0].dict.n, 2500);
    ASSERT_INT_EQ(t->cols[0].codes[0], t->cols[0].codes[2500]);
    ASSERT_INT_EQ(drift_dict_find(&t->cols[0].dict, "v2499", 5), 2499);
    column_table_free(t);
}

TEST(csv_columns_fields_as_pandas)
{
    static const char *const one[] = {"x"};
    struct column_table *t = column_table_new(one, 1);
    static const char *const missing[] = {"", "NA", "N/A", "NaN", "nan", "null", "NULL", "None",
                                          "<NA>", "#N/A", "-nan", "n/a"};
    for (size_t i = 0; i < sizeof(missing) / sizeof(*missing); i++)
        csv_columns_add_field(t, 0, missing[i], strlen(missing[i]));
    ASSERT_INT_EQ(t->cols[0].n_missing, 12);
    csv_columns_add_field(t, 0, "-17", 3);
    csv_columns_add_field(t, 0, "+4", 2);
    ASSERT_INT_EQ(t->cols[0].n_int, 2);
    csv_columns_add_field(t, 0, "inf", 3);
    csv_columns_add_field(t, 0, "-Infinity", 9);
    csv_columns_add_field(t, 0, "1e3", 3);
    csv_columns_add_field(t, 0, ".5", 2);
    ASSERT_INT_EQ(t->cols[0].n_float, 4);
    ASSERT(isinf(t->cols[0].num[14]) && t->cols[0].num[14] > 0);
    ASSERT(isinf(t->cols[0].num[15]) && t->cols[0].num[15] < 0);
    ASSERT(t->cols[0].num[16] == 1000.0);
    ASSERT(t->cols[0].num[17] == 0.5);
    csv_columns_add_field(t, 0, "TRUE", 4);
    ASSERT_INT_EQ(t->cols[0].n_bool, 1);
    csv_columns_add_field(t, 0, "1.2.3", 5);
    ASSERT_INT_EQ(t->cols[0].n_text, 1);
    ASSERT(t->cols[0].is_text);
    column_table_free(t);
}

TEST(csv_columns_numbers_exact)
{
    /* Every literal parses to strtod's double, bit for bit (the fast path and the slow one). */
    static const char *const lits[] = {
        "0.1",     "0.3",    "1.7976931348623157e308", "2.2250738585072014e-308", "4.9e-324",
        "123456789012345678901", "9007199254740993", "0.000001", "3.14159265358979323846",
        "-0.0",    "1e22",   "1e23", "8.589973e9", "0.49999999999999994", "17.5e-3", "100",
        /* the plain-shape fast path's edges */
        "5.", "-0.000", "0000000000000000001", "12345678901234567890", "9007199254740992",
        "9007199254740991", "0.0000000000000000000001", "1.00000000000000000000001", "-123.456"};
    static const char *const one[] = {"x"};
    struct column_table *t = column_table_new(one, 1);
    size_t n = sizeof(lits) / sizeof(*lits);
    for (size_t i = 0; i < n; i++)
        csv_columns_add_field(t, 0, lits[i], strlen(lits[i]));
    for (size_t i = 0; i < n; i++) {
        double want = strtod(lits[i], NULL), got = t->cols[0].num[i];
        if (memcmp(&want, &got, sizeof(got)))
            FAIL_AT("%s: got %.17g want %.17g", lits[i], got, want);
    }
    column_table_free(t);
}

TEST(csv_columns_quotes_and_crlf)
{
    const char *p = write_file("q.csv", "\xEF\xBB\xBF\"na,me\",v\r\n"
                                        "\"a \"\"b\"\"\",1\r\n"
                                        "\r\n"
                                        "\"line\nbreak\",2\r\n"
                                        ",3");
    struct column_table *t = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(csv_columns_read(p, 1, &t, &err), &err);
    ASSERT_INT_EQ(t->ncols, 2);
    ASSERT_STR_EQ(t->cols[0].name, "na,me");
    ASSERT_INT_EQ(t->nrows, 3);
    struct drift_column *c = &t->cols[0];
    ASSERT_STR_EQ(c->dict.strs[c->codes[0]], "a \"b\"");
    ASSERT_STR_EQ(c->dict.strs[c->codes[1]], "line\nbreak");
    ASSERT_INT_EQ(c->codes[2], DRIFT_CODE_MISSING);
    ASSERT(t->cols[1].num[2] == 3.0);
    column_table_free(t);
}

TEST(csv_columns_errors)
{
    struct column_table *t = NULL;
    struct ferr err = FERR_INIT;
    const char *p = write_file("r.csv", "a,b\n1,2\n3\n");
    ASSERT_FAILS(csv_columns_read(p, 1, &t, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "r.csv:3: 1 fields where the header has 2");
    p = write_file("u.csv", "a,b\n1,\"x\n2,3\n");
    ASSERT_FAILS(csv_columns_read(p, 1, &t, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "u.csv:2: unterminated quoted field");
    p = write_file("d.csv", "a,a\n1,2\n");
    ASSERT_FAILS(csv_columns_read(p, 1, &t, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "column 'a' is named twice");
    p = write_file("e.csv", "");
    ASSERT_FAILS(csv_columns_read(p, 1, &t, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "e.csv:1: no header row");
    ASSERT_FAILS(csv_columns_read("/nonexistent/x.csv", 1, &t, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "cannot open");
    ASSERT(t == NULL);
}

static int same_column(const struct drift_column *a, const struct drift_column *b)
{
    if (a->n != b->n || a->is_text != b->is_text || a->n_missing != b->n_missing ||
        a->n_int != b->n_int || a->n_float != b->n_float || a->n_text != b->n_text)
        return 0;
    for (size_t i = 0; i < a->n; i++) {
        if (!a->is_text) {
            if (memcmp(&a->num[i], &b->num[i], sizeof(double)))
                return 0;
        } else if (a->codes[i] != b->codes[i]) {
            return 0;
        }
    }
    return 1;
}

TEST(csv_columns_two_threads_same_table)
{
    /* A file over the two-thread threshold (8 MiB), with quoted line breaks,
     * a column turning to text late, and records longer than a batch's tail. */
    char path[512];
    snprintf(path, sizeof(path), "%s/big.csv", test_tmpdir());
    FILE *f = fopen(path, "w");
    ASSERT(f);
    fputs("n,i,s,late,q\n", f);
    uint64_t st = 42;
    for (int r = 0; r < 120000; r++) {
        st = st * 6364136223846793005ULL + 1442695040888963407ULL;
        double x = (double)(st >> 11) / 9007199254740992.0 * 100 - 50;
        fprintf(f, "%.12g,%d,c%d,%s,\"%s\"\n", x, (int)(st >> 40) % 1000, (int)(st >> 50) % 7,
                r == 110000 ? "word" : (r % 9 ? "1.5" : ""),
                r % 1000 ? "plain" : "with\nbreak, and \"\"quote\"\"");
    }
    ASSERT(fclose(f) == 0);
    struct column_table *a = NULL, *b = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(csv_columns_read(path, 1, &a, &err), &err);
    ASSERT_OK(csv_columns_read(path, 2, &b, &err), &err);
    ASSERT_INT_EQ(a->nrows, 120000);
    ASSERT_INT_EQ(b->nrows, 120000);
    for (size_t c = 0; c < a->ncols; c++)
        if (!same_column(&a->cols[c], &b->cols[c]))
            FAIL_AT("column %s differs between one and two threads", a->cols[c].name);
    ASSERT(a->cols[3].is_text);
    ASSERT_INT_EQ(drift_column_dtype(&a->cols[1]), DRIFT_DTYPE_INT);
    column_table_free(a);
    column_table_free(b);
}

TEST(csv_columns_two_halves_lost_bet)
{
    /* The file's middle falls inside a quoted field full of line breaks: the
     * second half's guess of a record start is wrong, the first half goes on
     * alone, and the table is the one thread's. */
    char path[512];
    snprintf(path, sizeof(path), "%s/quoted.csv", test_tmpdir());
    FILE *f = fopen(path, "w");
    ASSERT(f);
    fputs("a,b\n", f);
    for (int r = 0; r < 1000; r++)
        fprintf(f, "%d,x\n", r);
    fputs("1,\"", f);
    for (int r = 0; r < 400000; r++)
        fputs("line, with \"\"commas\"\"\n", f); /* 22 bytes a line: 8.8 MB */
    fputs("\"\n2,y\n", f);
    ASSERT(fclose(f) == 0);
    struct column_table *a = NULL, *b = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(csv_columns_read(path, 1, &a, &err), &err);
    ASSERT_OK(csv_columns_read(path, 2, &b, &err), &err);
    ASSERT_INT_EQ(a->nrows, 1002);
    ASSERT_INT_EQ(b->nrows, 1002);
    for (size_t c = 0; c < a->ncols; c++)
        if (!same_column(&a->cols[c], &b->cols[c]))
            FAIL_AT("column %s differs between one and two threads", a->cols[c].name);
    ASSERT_INT_EQ(b->cols[1].dict.lens[b->cols[1].codes[1000]], 400000 * 20);
    column_table_free(a);
    column_table_free(b);
}
