/* SPDX-License-Identifier: MIT
 * data/csv_diff.c: rows as multisets (moves, duplicates), quoting and line
 * ends not making rows differ, header changes (added, removed, reordered
 * columns), examples with line numbers, errors with file:line, and a file
 * larger than the reader's block. */
#include "../test.h"
#include "base/ferr.h"
#include "data/csv_diff.h"

#include <stdio.h>

static const char *put(const char *name, const char *text)
{
    static char paths[4][512];
    static int k;
    char *path = paths[k++ % 4];
    snprintf(path, 512, "%s/%s", test_tmpdir(), name);
    FILE *f = fopen(path, "w");
    ASSERT(f);
    ASSERT(fputs(text, f) >= 0);
    ASSERT(fclose(f) == 0);
    return path;
}

TEST(csv_diff_multisets)
{
    const char *a = put("a.csv", "x,y\n1,a\n2,b\n2,b\n3,c\n");
    const char *b = put("b.csv", "x,y\n3,c\n2,b\n4,d\n2,b\n2,b\n");
    struct csv_diff d = CSV_DIFF_INIT;
    struct csv_diff_opts o = {10};
    struct ferr err = FERR_INIT;
    ASSERT_OK(csv_diff_files(a, b, &o, &d, &err), &err);
    ASSERT_INT_EQ(d.rows_before, 4);
    ASSERT_INT_EQ(d.rows_after, 5);
    ASSERT_INT_EQ(d.added, 2); /* 4,d and the third 2,b */
    ASSERT_INT_EQ(d.removed, 1);
    ASSERT_INT_EQ(d.unchanged, 3);
    ASSERT_INT_EQ(d.nadded_rows, 2);
    ASSERT_STR_EQ(d.added_rows[0], "4,d");
    ASSERT_INT_EQ(d.added_lines[0], 4);
    ASSERT_STR_EQ(d.added_rows[1], "2,b");
    ASSERT_INT_EQ(d.added_lines[1], 6);
    ASSERT_INT_EQ(d.nremoved_rows, 1);
    ASSERT_STR_EQ(d.removed_rows[0], "1,a");
    ASSERT_INT_EQ(d.removed_lines[0], 2);
    ASSERT_INT_EQ(d.ncolumns_added + d.ncolumns_removed + d.reordered, 0);
    csv_diff_release(&d);

    /* no examples asked: counts only */
    ASSERT_OK(csv_diff_files(a, b, NULL, &d, &err), &err);
    ASSERT_INT_EQ(d.added, 2);
    ASSERT_INT_EQ(d.nadded_rows + d.nremoved_rows, 0);
    csv_diff_release(&d);
}

TEST(csv_diff_quotes_line_ends_blank_lines)
{
    const char *a = put("a.csv", "x,y\n\"1\",\"a,b\"\n2,\"say \"\"hi\"\"\"\n");
    const char *b = put("b.csv", "\xEF\xBB\xBFx,y\r\n1,\"a,b\"\r\n\r\n2,say \"\"hi\"\"x\r\n");
    struct csv_diff d = CSV_DIFF_INIT;
    struct csv_diff_opts o = {5};
    struct ferr err = FERR_INIT;
    ASSERT_OK(csv_diff_files(a, b, &o, &d, &err), &err);
    /* a quoted 1 is 1; the second row differs (the unquoted field keeps its quotes) */
    ASSERT_INT_EQ(d.unchanged, 1);
    ASSERT_INT_EQ(d.added, 1);
    ASSERT_INT_EQ(d.removed, 1);
    ASSERT_STR_EQ(d.added_rows[0], "2,say \"\"hi\"\"x");
    ASSERT_INT_EQ(d.added_lines[0], 4); /* the blank line counted */
    ASSERT_STR_EQ(d.removed_rows[0], "2,\"say \"\"hi\"\"\"");
    csv_diff_release(&d);

    /* a field spanning lines */
    a = put("c.csv", "t\n\"two\nlines\"\nz\n");
    b = put("d.csv", "t\nz\n\"two\nlines\"\nnew\n");
    ASSERT_OK(csv_diff_files(a, b, &o, &d, &err), &err);
    ASSERT_INT_EQ(d.unchanged, 2);
    ASSERT_INT_EQ(d.added, 1);
    ASSERT_INT_EQ(d.added_lines[0], 5);
    csv_diff_release(&d);
}

TEST(csv_diff_header_changes)
{
    const char *a = put("a.csv", "id,name,old\n1,a,x\n2,b,y\n");
    const char *b = put("b.csv", "name,new,id\na,7,1\nc,8,3\n");
    struct csv_diff d = CSV_DIFF_INIT;
    struct ferr err = FERR_INIT;
    ASSERT_OK(csv_diff_files(a, b, NULL, &d, &err), &err);
    ASSERT_INT_EQ(d.ncolumns_removed, 1);
    ASSERT_STR_EQ(d.columns_removed[0], "old");
    ASSERT_INT_EQ(d.ncolumns_added, 1);
    ASSERT_STR_EQ(d.columns_added[0], "new");
    ASSERT_INT_EQ(d.reordered, 1);
    /* compared on id and name: (1,a) kept, (2,b) removed, (3,c) added */
    ASSERT_INT_EQ(d.unchanged, 1);
    ASSERT_INT_EQ(d.added, 1);
    ASSERT_INT_EQ(d.removed, 1);
    csv_diff_release(&d);
}

TEST(csv_diff_errors)
{
    struct csv_diff d = CSV_DIFF_INIT;
    struct ferr err = FERR_INIT;
    const char *ok = put("ok.csv", "a,b\n1,2\n");
    const char *narrow = put("narrow.csv", "a,b\n1,2\n3\n");
    ASSERT_FAILS(csv_diff_files(ok, narrow, NULL, &d, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "narrow.csv:3: 1 fields where the header has 2");
    const char *twice = put("twice.csv", "a,a\n1,2\n");
    ASSERT_FAILS(csv_diff_files(twice, ok, NULL, &d, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "named twice");
    const char *empty = put("empty.csv", "");
    ASSERT_FAILS(csv_diff_files(ok, empty, NULL, &d, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "no header row");
    const char *quote = put("quote.csv", "a\n\"open\n");
    ASSERT_FAILS(csv_diff_files(quote, ok, NULL, &d, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "unterminated quoted field");
    ASSERT_FAILS(csv_diff_files("/nonexistent/x.csv", ok, NULL, &d, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_INT_EQ(d.rows_before + d.nadded_rows, 0);
    csv_diff_release(&d);
}

TEST(csv_diff_large_files)
{
    /* 200,000 rows (several reader blocks and table growths); every 1000th changed */
    char pa[512], pb[512];
    snprintf(pa, sizeof(pa), "%s/big_a.csv", test_tmpdir());
    snprintf(pb, sizeof(pb), "%s/big_b.csv", test_tmpdir());
    FILE *fa = fopen(pa, "w"), *fb = fopen(pb, "w");
    ASSERT(fa && fb);
    fputs("k,v\n", fa);
    fputs("k,v\n", fb);
    for (int i = 0; i < 200000; i++) {
        fprintf(fa, "%d,value %d\n", i, i * 7);
        fprintf(fb, "%d,value %d\n", i, i % 1000 == 0 ? -1 : i * 7);
    }
    ASSERT(fclose(fa) == 0 && fclose(fb) == 0);
    struct csv_diff d = CSV_DIFF_INIT;
    struct csv_diff_opts o = {3};
    struct ferr err = FERR_INIT;
    ASSERT_OK(csv_diff_files(pa, pb, &o, &d, &err), &err);
    ASSERT_INT_EQ(d.rows_before, 200000);
    ASSERT_INT_EQ(d.added, 200);
    ASSERT_INT_EQ(d.removed, 200);
    ASSERT_INT_EQ(d.nadded_rows, 3);
    ASSERT_STR_EQ(d.removed_rows[2], "2000,value 14000");
    ASSERT_INT_EQ(d.removed_lines[2], 2002);
    csv_diff_release(&d);
}
