/* SPDX-License-Identifier: MIT
 * data/profile.c against pandas 1.5 / numpy 1.24 (profile_reference.h, made
 * by tests/tools/profile_reference.py): every figure of every column of
 * fixed and generated CSV files; then a version's profile (which files,
 * what is skipped and why) and that it passes data_profile_validate. */
#include "../test.h"
#include "base/ferr.h"
#include "data/profile.h"
#include "domain/data_profile.h"
#include "profile_reference.h"

#include <math.h>
#include <stdio.h>

struct gen {
    uint64_t s;
};

static uint64_t gen_next(struct gen *g)
{
    g->s += 0x9E3779B97F4A7C15ULL;
    uint64_t z = g->s;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* profile_reference.py's gen_csv, byte for byte. */
static void gen_csv(FILE *f, uint64_t seed, long rows)
{
    struct gen g = {seed};
    fputs("i,f,b,t,big,const,bm,e,q\n", f);
    for (long n = 0; n < rows; n++) {
        uint64_t r[9];
        for (int k = 0; k < 9; k++)
            r[k] = gen_next(&g);
        fprintf(f, "%lld,", (long long)(r[0] % 2001) - 1000);
        if (r[1] % 20) {
            uint64_t v = (r[1] >> 8) % 1000000;
            fprintf(f, "%s%llu.%03llu", (r[1] >> 40) & 1 ? "-" : "", (unsigned long long)(v / 1000),
                    (unsigned long long)(v % 1000));
        }
        uint64_t k = r[3] % 97;
        fprintf(f, ",%s,cat%02llu,%llu,7,", r[2] & 1 ? "True" : "False",
                (unsigned long long)(k * k / 300), 1000000000000ULL + r[4] % 1000000000);
        if (r[5] % 3)
            fputs(r[5] & 4 ? "True" : "False", f);
        fprintf(f, ",%llue-%llu,\"x,%llu\"\n", (unsigned long long)(r[6] % 1000),
                (unsigned long long)((r[6] >> 10) % 5), (unsigned long long)(r[7] % 5));
    }
}

static const char *case_file(size_t i)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/case%zu.csv", test_tmpdir(), i);
    FILE *f = fopen(path, "w");
    ASSERT(f);
    if (ref_cases[i].csv)
        ASSERT(fputs(ref_cases[i].csv, f) >= 0);
    else
        gen_csv(f, ref_cases[i].seed, ref_cases[i].gen_rows);
    ASSERT(fclose(f) == 0);
    return path;
}

/* A statistic as profile.c writes it, back to a double (null = NaN). */
static double stat_of(json_t *v)
{
    if (json_is_number(v))
        return json_number_value(v);
    if (json_is_string(v))
        return strcmp(json_string_value(v), "Infinity") ? -INFINITY : INFINITY;
    ASSERT(json_is_null(v));
    return NAN;
}

/* Exactly the reference; mean and std within a few ulps (pairwise sums
 * restated, but numpy's SIMD loops may group differently). */
static void check_stat(const char *what, const char *col, double got, double want, double ulps)
{
    if (isnan(want) && isnan(got))
        return;
    if (got == want)
        return;
    double tol = ulps * fabs(want) * 2.220446049250313e-16;
    if (ulps > 0 && isfinite(want) && fabs(got - want) <= tol)
        return;
    FAIL_AT("column %s: %s %.17g, pandas %.17g", col, what, got, want);
}

static void check_column(const struct ref_col *r, json_t *c)
{
    ASSERT_STR_EQ(json_string_value(json_object_get(c, "name")), r->name);
    ASSERT_STR_EQ(json_string_value(json_object_get(c, "type")), r->type);
    ASSERT_INT_EQ(json_integer_value(json_object_get(c, "nulls")), r->nulls);
    ASSERT_INT_EQ(json_integer_value(json_object_get(c, "distinct")), r->distinct);
    if (r->num) {
        check_stat("min", r->name, stat_of(json_object_get(c, "min")), r->min, 0);
        check_stat("max", r->name, stat_of(json_object_get(c, "max")), r->max, 0);
        check_stat("mean", r->name, stat_of(json_object_get(c, "mean")), r->mean, 0);
        check_stat("std", r->name, stat_of(json_object_get(c, "std")), r->std, 0);
        json_t *q = json_object_get(c, "quantiles");
        const char *keys[] = {"0.05", "0.25", "0.5", "0.75", "0.95"};
        for (int k = 0; k < 5; k++)
            check_stat(keys[k], r->name, stat_of(json_object_get(q, keys[k])), r->q[k], 0);
        json_t *h = json_object_get(c, "histogram");
        ASSERT_INT_EQ(h != NULL, r->hist);
        for (int k = 0; h && k < 11; k++)
            check_stat("edge", r->name,
                       json_number_value(json_array_get(json_object_get(h, "edges"), k)),
                       r->edges[k], 0);
        for (int k = 0; h && k < 10; k++)
            ASSERT_INT_EQ(json_integer_value(json_array_get(json_object_get(h, "counts"), k)),
                          r->counts[k]);
        ASSERT(!json_object_get(c, "top"));
        return;
    }
    if (!strcmp(r->type, "bool"))
        check_stat("mean", r->name, stat_of(json_object_get(c, "mean")), r->mean, 0);
    json_t *top = json_object_get(c, "top");
    ASSERT_INT_EQ(json_array_size(top), r->ntop);
    for (int k = 0; k < r->ntop; k++) {
        json_t *e = json_array_get(top, k);
        ASSERT_STR_EQ(json_string_value(json_object_get(e, "value")), r->top[k].value);
        ASSERT_INT_EQ(json_integer_value(json_object_get(e, "count")), r->top[k].count);
    }
}

TEST(profile_matches_pandas)
{
    size_t ncases = sizeof(ref_cases) / sizeof(ref_cases[0]);
    size_t ncols = sizeof(ref_cols) / sizeof(ref_cols[0]), next = 0;
    for (size_t i = 0; i < ncases; i++) {
        struct ferr err = FERR_INIT;
        json_t *p = NULL;
        for (int threads = 1; threads <= 2; threads++) {
            ASSERT_OK(data_profile_csv(case_file(i), threads, &p, &err), &err);
            ASSERT_INT_EQ(json_integer_value(json_object_get(p, "rows")), ref_cases[i].rows);
            json_t *cols = json_object_get(p, "columns");
            ASSERT_INT_EQ(json_array_size(cols), ref_cases[i].ncols);
            size_t at = next;
            for (int k = 0; k < ref_cases[i].ncols; k++, at++) {
                ASSERT(at < ncols && ref_cols[at].case_no == (int)i);
                check_column(&ref_cols[at], json_array_get(cols, k));
            }
            json_decref(p);
            if (threads == 2)
                next = at;
        }
    }
    ASSERT_INT_EQ(next, ncols);
}

static void write_text(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ASSERT(f);
    ASSERT(fputs(text, f) >= 0);
    ASSERT(fclose(f) == 0);
}

static int closes;
static void count_close(void *ctx, const char *rel, const char *local)
{
    (void)ctx;
    (void)rel;
    (void)local;
    closes++;
}

TEST(profile_version_files_and_skips)
{
    const char *dir = test_tmpdir();
    write_text(dir, "b.csv", "x,y\n1,a\n2,b\n");
    write_text(dir, "A.CSV", "z\n1.5\n");
    write_text(dir, "bad.csv", "x,y\n1\n");
    write_text(dir, "notes.txt", "not a table");
    struct data_profile_entry files[] = {
        {"b.csv", 12},
        {"notes.txt", 11},
        {"A.CSV", 6},
        {"bad.csv", 6},
        {"huge.csv", (uint64_t)3 << 30},
    };
    struct data_profile_source src = {data_profile_dir_open, count_close, (void *)dir};
    struct ferr err = FERR_INIT;
    json_t *p = NULL;
    ASSERT_OK(data_profile_version(files, 5, &src, 1, &p, &err), &err);
    ASSERT_INT_EQ(closes, 3);
    ASSERT_STR_EQ(json_string_value(json_object_get(p, "format")), "ferry-profile/1");
    json_t *jf = json_object_get(p, "files");
    ASSERT_INT_EQ(json_object_size(jf), 2);
    ASSERT_INT_EQ(json_integer_value(json_object_get(data_profile_file(p, "b.csv"), "rows")), 2);
    ASSERT(data_profile_file(p, "A.CSV"));
    ASSERT(!data_profile_file(p, "notes.txt"));
    json_t *sk = json_object_get(p, "skipped");
    ASSERT_INT_EQ(json_array_size(sk), 2);
    /* path order: bad.csv, huge.csv */
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(sk, 0), "path")), "bad.csv");
    ASSERT_CONTAINS(json_string_value(json_object_get(json_array_get(sk, 0), "reason")),
                    "not parsed as CSV: line 2:");
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(sk, 1), "reason")),
                  "larger than 2 GiB");
    ASSERT_OK(data_profile_validate(p, &err), &err);
    json_decref(p);

    /* no CSV at all: an empty profile, no "skipped" */
    ASSERT_OK(data_profile_version(files + 1, 1, &src, 1, &p, &err), &err);
    ASSERT_INT_EQ(json_object_size(json_object_get(p, "files")), 0);
    ASSERT(!json_object_get(p, "skipped"));
    json_decref(p);
}

static int open_fails(void *ctx, const char *rel, struct sbuf *local, struct ferr *err)
{
    (void)ctx;
    (void)local;
    return ferr_set(err, FERR_IO_ERROR, "cannot read '%s'", rel);
}

TEST(profile_version_source_error_and_file_cap)
{
    struct data_profile_source src = {open_fails, NULL, NULL};
    struct data_profile_entry e = {"a.csv", 3};
    struct ferr err = FERR_INIT;
    json_t *p = NULL;
    ASSERT_FAILS(data_profile_version(&e, 1, &src, 1, &p, &err), &err, FERR_IO_ERROR);
    ASSERT(!p);

    /* past DATA_PROFILE_MAX_FILES CSV files: the rest skipped */
    const char *dir = test_tmpdir();
    enum { N = DATA_PROFILE_MAX_FILES + 2 };
    static char names[N][32];
    struct data_profile_entry files[N];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof(names[i]), "f%03d.csv", i);
        write_text(dir, names[i], "a\n1\n");
        files[i].path = names[i];
        files[i].size = 4;
    }
    struct data_profile_source dsrc = {data_profile_dir_open, NULL, (void *)dir};
    ASSERT_OK(data_profile_version(files, N, &dsrc, 1, &p, &err), &err);
    ASSERT_INT_EQ(json_object_size(json_object_get(p, "files")), DATA_PROFILE_MAX_FILES);
    json_t *sk = json_object_get(p, "skipped");
    ASSERT_INT_EQ(json_array_size(sk), 2);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(sk, 1), "path")), "f101.csv");
    ASSERT_CONTAINS(json_string_value(json_object_get(json_array_get(sk, 1), "reason")),
                    "past the first 100");
    ASSERT_OK(data_profile_validate(p, &err), &err);
    json_decref(p);
}

TEST(profile_long_values_cut_and_invalid_utf8)
{
    char text[2048];
    size_t n = (size_t)snprintf(text, sizeof(text), "name\n");
    for (int i = 0; i < 300; i++)
        text[n++] = 'v';
    text[n++] = '\n';
    memcpy(text + n,
           "bad\xff"
           "byte\n",
           9);
    n += 9;
    text[n] = 0;
    write_text(test_tmpdir(), "long.csv", text);
    char path[512];
    snprintf(path, sizeof(path), "%s/long.csv", test_tmpdir());
    struct ferr err = FERR_INIT;
    json_t *p = NULL;
    ASSERT_OK(data_profile_csv(path, 1, &p, &err), &err);
    json_t *top = json_object_get(json_array_get(json_object_get(p, "columns"), 0), "top");
    ASSERT_INT_EQ(json_string_length(json_object_get(json_array_get(top, 0), "value")),
                  DATA_PROFILE_MAX_STR);
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(top, 1), "value")),
                  "bad\xEF\xBF\xBD"
                  "byte");
    json_decref(p);
}
