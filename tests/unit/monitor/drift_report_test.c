/* SPDX-License-Identifier: MIT
 * monitor/drift_report.c: the radix sort (against qsort), Evidently's kinds
 * and default tests, the cleaning of missing and infinite values, skipped
 * columns, data quality, the JSON's names and nulls, option errors. The
 * figures themselves are held equal to scipy by tests/e2e/test_drift.py. */
#include "../test.h"
#include "base/ferr.h"
#include "monitor/drift_html.h"
#include "monitor/drift_report.h"

#include <math.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static uint64_t next(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 11;
}

static const char *const names[] = {"num", "few", "txt", "empty", "only_ref"};

/* ref: 600 rows, cur: 500 rows (a small reference: ks, chisquare, z). */
static void fill(struct column_table *t, size_t rows, int cur, uint64_t seed)
{
    uint64_t s = seed;
    for (size_t i = 0; i < rows; i++) {
        double u = (double)next(&s) / 9007199254740992.0;
        if (i % 50 == 0)
            column_table_add_missing(t, 0);
        else if (i % 77 == 0)
            column_table_add_num(t, 0, i % 2 ? INFINITY : -INFINITY);
        else
            column_table_add_num(t, 0, (u - 0.5) * 1e6 * (cur ? 2 : 1) + (i % 3 ? 0 : -0.0));
        column_table_add_int(t, 1, (int64_t)(next(&s) % 3));
        static const char *const words[] = {"red", "green", "blue", "pink"};
        const char *w = words[next(&s) % (cur ? 4 : 3)];
        column_table_add_text(t, 2, w, strlen(w));
        if (cur)
            column_table_add_num(t, 3, 1.0);
        else
            column_table_add_missing(t, 3);
        column_table_end_row(t);
    }
    column_table_finish(t);
}

static struct drift_report *compute(struct drift_options *o, struct ferr *err, int want_ok)
{
    struct column_table *ref = column_table_new(names, 5);
    struct column_table *cur = column_table_new(names, 4);
    fill(ref, 600, 0, 1);
    fill(cur, 500, 1, 2);
    struct drift_report *r = NULL;
    int rc = drift_report_compute(ref, cur, o, &r, err);
    if (want_ok && rc)
        FAIL_AT("drift_report_compute: %s", err->msg);
    if (!want_ok && !rc)
        FAIL_AT("drift_report_compute succeeded");
    if (r) {
        /* The numerical column was sorted in place, without NaN and inf. */
        size_t used = r->cols[0].ref_used;
        double *copy = malloc(used * sizeof(double));
        ASSERT(copy);
        memcpy(copy, ref->cols[0].num, used * sizeof(double));
        qsort(copy, used, sizeof(double), cmp_double);
        for (size_t i = 0; i < used; i++)
            if (copy[i] != ref->cols[0].num[i])
                FAIL_AT("sorted[%zu] = %g, qsort gives %g", i, ref->cols[0].num[i], copy[i]);
        free(copy);
    }
    column_table_free(ref);
    column_table_free(cur);
    return r;
}

TEST(drift_report_defaults)
{
    struct drift_options o;
    struct ferr err = FERR_INIT;
    drift_options_init(&o);
    o.threads = 1;
    struct drift_report *r = compute(&o, &err, 1);
    ASSERT_INT_EQ(r->ncols, 4);
    ASSERT_INT_EQ(r->n_missing_in_current, 1);
    ASSERT_STR_EQ(r->missing_in_current[0], "only_ref");
    const struct drift_col_result *num = &r->cols[0], *few = &r->cols[1], *txt = &r->cols[2];
    ASSERT_INT_EQ(num->kind, DRIFT_KIND_NUM);
    ASSERT_INT_EQ(num->stattest, STATTEST_KS);
    ASSERT_INT_EQ(num->ref_missing, 12);
    ASSERT(num->ref_nonfinite > 0);
    ASSERT_INT_EQ(num->ref_used + num->ref_missing + num->ref_nonfinite, 600);
    ASSERT(num->drifted);
    ASSERT(num->cur_out_of_range > 0);
    ASSERT_INT_EQ(few->kind, DRIFT_KIND_CAT); /* int64 with 3 distinct values */
    ASSERT_INT_EQ(few->stattest, STATTEST_CHISQUARE);
    ASSERT_INT_EQ(txt->kind, DRIFT_KIND_CAT);
    ASSERT(isinf(txt->statistic)); /* "pink" is new in current */
    ASSERT_INT_EQ(txt->new_categories, 1);
    ASSERT_STR_EQ(txt->new_category_examples[0], "pink");
    ASSERT(!r->cols[3].tested); /* empty in the reference */
    ASSERT_CONTAINS(r->cols[3].skip_reason, "no value in the reference");
    ASSERT_INT_EQ(r->number_of_columns, 3);

    json_t *j = drift_report_json(r);
    json_t *cols = json_object_get(j, "columns");
    ASSERT_INT_EQ(json_array_size(cols), 3);
    json_t *t2 = json_array_get(cols, 2);
    ASSERT_STR_EQ(json_string_value(json_object_get(t2, "name")), "txt");
    ASSERT(json_is_null(json_object_get(t2, "statistic")));
    ASSERT(json_real_value(json_object_get(t2, "p_value")) == 0.0);
    ASSERT(json_is_boolean(json_object_get(j, "dataset_drift")));
    ASSERT(json_object_get(json_object_get(j, "histograms"), "num"));
    ASSERT(json_object_get(json_object_get(j, "data_quality"), "columns"));
    json_decref(j);

    struct sbuf sb = SBUF_INIT;
    drift_html_render(r, "ref<1>.csv", "cur.csv", &sb);
    ASSERT_CONTAINS(sb.buf, "ref&lt;1&gt;.csv");
    ASSERT_CONTAINS(sb.buf, "<svg");
    sbuf_release(&sb);
    drift_report_free(r);
}

TEST(drift_report_overrides_and_threads)
{
    struct drift_column_option cols[] = {
        {.name = "num", .has_stattest = 1, .stattest = STATTEST_WASSERSTEIN},
        {.name = "few", .has_kind = 1, .kind = DRIFT_KIND_NUM, .has_threshold = 1,
         .threshold = 0.5},
    };
    struct drift_options o;
    struct ferr err = FERR_INIT;
    drift_options_init(&o);
    o.cols = cols;
    o.ncols = 2;
    o.drift_share = 0.0;
    struct drift_report *r = compute(&o, &err, 1);
    ASSERT_INT_EQ(r->cols[0].stattest, STATTEST_WASSERSTEIN);
    ASSERT(isnan(r->cols[0].p_value));
    ASSERT_INT_EQ(r->cols[1].kind, DRIFT_KIND_NUM);
    ASSERT_INT_EQ(r->cols[1].stattest, STATTEST_CHISQUARE); /* num with 3 values */
    ASSERT(r->cols[1].threshold == 0.5);
    ASSERT(r->dataset_drift);
    drift_report_free(r);
}

TEST(drift_report_option_errors)
{
    struct drift_options o;
    struct ferr err = FERR_INIT;
    struct drift_column_option bad_kind[] = {{.name = "txt", .has_kind = 1, .kind = DRIFT_KIND_NUM}};
    struct drift_column_option bad_test[] = {
        {.name = "txt", .has_stattest = 1, .stattest = STATTEST_KS}};
    struct drift_column_option bad_name[] = {{.name = "only_ref", .has_threshold = 1}};
    drift_options_init(&o);
    o.cols = bad_kind;
    o.ncols = 1;
    ASSERT(compute(&o, &err, 0) == NULL);
    ASSERT_CONTAINS(err.msg, "column 'txt' holds text");
    o.cols = bad_test;
    ASSERT(compute(&o, &err, 0) == NULL);
    ASSERT_CONTAINS(err.msg, "stattest 'ks' does not apply to column 'txt'");
    o.cols = bad_name;
    ASSERT(compute(&o, &err, 0) == NULL);
    ASSERT_CONTAINS(err.msg, "column 'only_ref' is not in both");
}
