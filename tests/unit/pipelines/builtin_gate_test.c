/* SPDX-License-Identifier: MIT
 * pipelines/builtin_gate.c's gate_decide (pure) and eval_metrics.c: min
 * both ways (higher and lower is better, and the override), improvement
 * over a champion and its absence (noted, not applied), slice regressions,
 * a metric the evaluation lacks, malformed rules; the metrics on small
 * hand-computed cases (binary, multi-class macro, AUC with ties, log loss,
 * regression, a mask). */
#include "../test.h"
#include "pipelines/builtin_gate.h"
#include "pipelines/eval_metrics.h"

#include <math.h>
#include <string.h>

static json_t *eval_doc(const char *text)
{
    json_error_t je;
    json_t *j = json_loads(text, 0, &je);
    if (!j)
        FAIL_AT("bad JSON in the test: %s", je.text);
    return j;
}

static json_t *decide(const char *ev, const char *with)
{
    struct ferr err = FERR_INIT;
    json_t *e = eval_doc(ev), *w = eval_doc(with);
    json_t *v = gate_decide(e, w, &err);
    if (!v)
        FAIL_AT("gate_decide: %s", err.msg);
    json_decref(e);
    json_decref(w);
    return v;
}

static const char *reason(json_t *v, size_t i)
{
    return json_string_value(json_array_get(json_object_get(v, "reasons"), i));
}

static int passed(json_t *v)
{
    return json_is_true(json_object_get(v, "passed"));
}

#define NO_CHAMP "{\"candidate\": {\"metrics\": {\"accuracy\": 0.9, \"rmse\": 2.0}}, \"champion\": null}"
#define WITH_CHAMP                                                                                 \
    "{\"candidate\": {\"metrics\": {\"accuracy\": 0.9, \"rmse\": 2.0}},"                           \
    " \"champion\": {\"metrics\": {\"accuracy\": 0.85, \"rmse\": 1.5}},"                           \
    " \"slices\": [{\"column\": \"region\", \"value\": \"eu\","                                    \
    "   \"candidate\": {\"metrics\": {\"accuracy\": 0.7}},"                                        \
    "   \"champion\": {\"metrics\": {\"accuracy\": 0.8}}},"                                        \
    "  {\"column\": \"region\", \"value\": \"us\","                                                \
    "   \"candidate\": {\"metrics\": {\"accuracy\": 0.95}},"                                       \
    "   \"champion\": {\"metrics\": {\"accuracy\": 0.9}}}]}"

TEST(gate_min_both_directions)
{
    json_t *v = decide(NO_CHAMP, "{\"min\": {\"accuracy\": 0.8, \"rmse\": 3}}");
    ASSERT(passed(v));
    ASSERT_INT_EQ(json_array_size(json_object_get(v, "checks")), 2);
    ASSERT(json_is_false(json_object_get(v, "champion")));
    json_decref(v);
    v = decide(NO_CHAMP, "{\"min\": {\"accuracy\": \"0.95\", \"rmse\": 1}}");
    ASSERT(!passed(v));
    ASSERT_STR_EQ(reason(v, 0), "min: accuracy is 0.9, below the minimum 0.95");
    ASSERT_STR_EQ(reason(v, 1), "min: rmse is 2, above the maximum 1");
    json_decref(v);
    /* higher_is_better overrides the default direction */
    v = decide(NO_CHAMP, "{\"min\": {\"rmse\": 1}, \"higher_is_better\": {\"rmse\": true}}");
    ASSERT(passed(v));
    json_decref(v);
    ASSERT(gate_lower_is_better("log_loss") && gate_lower_is_better("mae"));
    ASSERT(!gate_lower_is_better("f1"));
}

TEST(gate_without_rules_or_champion)
{
    json_t *v = decide(NO_CHAMP, "{}");
    ASSERT(passed(v));
    ASSERT_CONTAINS(json_string_value(json_array_get(json_object_get(v, "notes"), 0)),
                    "no rule given");
    json_decref(v);
    v = decide(NO_CHAMP, "{\"min_improvement\": {\"accuracy\": 0.01}, "
                         "\"max_slice_regression\": {\"accuracy\": 0}}");
    ASSERT(passed(v));
    ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(v, "notes"), 0)),
                  "min_improvement: no champion, not applied");
    ASSERT_STR_EQ(json_string_value(json_array_get(json_object_get(v, "notes"), 1)),
                  "max_slice_regression: no champion, not applied");
    json_decref(v);
}

TEST(gate_improvement_over_the_champion)
{
    json_t *v = decide(WITH_CHAMP, "{\"min_improvement\": {\"accuracy\": 0.04}}");
    ASSERT(passed(v));
    ASSERT(json_is_true(json_object_get(v, "champion")));
    json_decref(v);
    v = decide(WITH_CHAMP, "{\"min_improvement\": {\"accuracy\": 0.1, \"rmse\": 0}}");
    ASSERT(!passed(v));
    ASSERT_CONTAINS(reason(v, 0), "min_improvement: accuracy is 0.9 against the champion's 0.85");
    ASSERT_CONTAINS(reason(v, 0), "less than 0.1");
    /* rmse: lower is better, 2.0 against 1.5 is a loss of 0.5 */
    ASSERT_CONTAINS(reason(v, 1), "min_improvement: rmse is 2 against the champion's 1.5: an "
                                  "improvement of -0.5");
    json_decref(v);
}

TEST(gate_slice_regression)
{
    json_t *v = decide(WITH_CHAMP, "{\"max_slice_regression\": {\"accuracy\": 0.2}}");
    ASSERT(passed(v));
    ASSERT_INT_EQ(json_array_size(json_object_get(v, "checks")), 2);
    json_decref(v);
    v = decide(WITH_CHAMP, "{\"max_slice_regression\": {\"accuracy\": 0.05}}");
    ASSERT(!passed(v));
    ASSERT_INT_EQ(json_array_size(json_object_get(v, "reasons")), 1);
    ASSERT_CONTAINS(reason(v, 0), "max_slice_regression: accuracy on region=\"eu\" is 0.7");
    ASSERT_CONTAINS(reason(v, 0), "worse by 0.1, more than 0.05");
    json_decref(v);
}

/* An evaluation written inline in a pipeline's YAML comes with its numbers
 * as text, as every with value does: they count as numbers; text that is no
 * number is a missing metric. */
TEST(gate_evaluation_numbers_as_text)
{
    json_t *v = decide("{\"candidate\": {\"metrics\": {\"accuracy\": \"0.93\"}},"
                       " \"champion\": {\"metrics\": {\"accuracy\": \"0.91\"}}}",
                       "{\"min\": {\"accuracy\": \"0.9\"},"
                       " \"min_improvement\": {\"accuracy\": \"0.01\"}}");
    ASSERT(passed(v));
    json_decref(v);
    v = decide("{\"candidate\": {\"metrics\": {\"accuracy\": \"high\"}}}",
               "{\"min\": {\"accuracy\": 0.9}}");
    ASSERT(!passed(v));
    ASSERT_STR_EQ(reason(v, 0), "min: no metric 'accuracy' in the evaluation (accuracy)");
    json_decref(v);
}

TEST(gate_missing_metric_fails)
{
    json_t *v = decide(NO_CHAMP, "{\"min\": {\"f2\": 0.5}}");
    ASSERT(!passed(v));
    ASSERT_STR_EQ(reason(v, 0), "min: no metric 'f2' in the evaluation (accuracy, rmse)");
    json_decref(v);
}

TEST(gate_refuses_malformed_rules)
{
    struct ferr err = FERR_INIT;
    json_t *e = eval_doc(NO_CHAMP);
    const char *bad[][2] = {
        {"{\"min\": [1]}", "with.min must be a mapping {metric: number}"},
        {"{\"min\": {\"accuracy\": \"high\"}}", "with.min.accuracy must be a number"},
        {"{\"min_improvement\": {\"a\": true}}", "with.min_improvement.a must be a number"},
        {"{\"max_slice_regression\": 3}", "with.max_slice_regression must be a mapping {metric: number}"},
        {"{\"higher_is_better\": [1]}", "with.higher_is_better must be a mapping {metric: true|false}"},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        json_t *w = eval_doc(bad[i][0]);
        ASSERT(gate_decide(e, w, &err) == NULL);
        ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
        ASSERT_STR_EQ(err.msg, bad[i][1]);
        json_decref(w);
    }
    json_t *w = eval_doc("{}"), *notev = eval_doc("{\"kind\": \"x\"}");
    ASSERT(gate_decide(notev, w, &err) == NULL);
    ASSERT_CONTAINS(err.msg, "the evaluation has no candidate");
    json_decref(w);
    json_decref(notev);
    json_decref(e);
}

static double num(json_t *m, const char *k)
{
    json_t *v = json_object_get(m, k);
    if (!json_is_number(v))
        FAIL_AT("no metric %s", k);
    return json_number_value(v);
}

#define NEAR(a, b) ASSERT(fabs((a) - (b)) < 1e-12)

TEST(eval_metrics_binary)
{
    double y[] = {1, 0, 1, 1, 0, 0}, p[] = {1, 0, 0, 1, 1, 0};
    double proba[] = {0.2, 0.8, 0.7, 0.3, 0.6, 0.4, 0.1, 0.9, 0.4, 0.6, 0.9, 0.1};
    struct eval_data d = {6, y, p, proba, 2};
    json_t *m = eval_metrics(&d, NULL, 1, NULL);
    NEAR(num(m, "accuracy"), 4.0 / 6);
    NEAR(num(m, "precision"), 2.0 / 3);
    NEAR(num(m, "recall"), 2.0 / 3);
    NEAR(num(m, "f1"), 2.0 / 3);
    /* scores of class 1: pos 0.8 0.4 0.9, neg 0.3 0.6 0.1: 8 of 9 pairs ordered */
    NEAR(num(m, "roc_auc"), 8.0 / 9);
    double ll = -(log(0.8) + log(0.7) + log(0.4) + log(0.9) + log(0.4) + log(0.9)) / 6;
    NEAR(num(m, "log_loss"), ll);
    ASSERT_INT_EQ(json_integer_value(json_object_get(m, "rows")), 6);
    json_decref(m);
    /* a mask: rows 0, 1, 3 only, all right */
    unsigned char mask[] = {1, 1, 0, 1, 0, 0};
    json_t *want = json_pack("[s]", "accuracy");
    m = eval_metrics(&d, mask, 1, want);
    NEAR(num(m, "accuracy"), 1.0);
    ASSERT(json_object_get(m, "f1") == NULL);
    json_decref(m);
    json_decref(want);
    ASSERT(eval_metric_known("roc_auc", 1) && !eval_metric_known("roc_auc", 0));
    ASSERT(eval_metric_known("r2", 0) && !eval_metric_known("r2", 1));
}

/* Empty target cells (NaN) are left out and counted: a 0/1 problem with
 * missing labels stays binary, its metrics those of the labelled rows; and
 * more than 64 classes all count in the macro average. */
TEST(eval_metrics_missing_targets_and_many_classes)
{
    double y[12], p[12];
    for (int i = 0; i < 12; i++) {
        y[i] = i < 10 ? i % 2 : NAN;
        p[i] = i < 10 ? i % 2 : 1;
    }
    struct eval_data d = {12, y, p, NULL, 0};
    json_t *m = eval_metrics(&d, NULL, 1, NULL);
    NEAR(num(m, "accuracy"), 1.0);
    NEAR(num(m, "precision"), 1.0);
    NEAR(num(m, "f1"), 1.0);
    ASSERT_INT_EQ(json_integer_value(json_object_get(m, "rows")), 10);
    ASSERT_INT_EQ(json_integer_value(json_object_get(m, "rows_missing")), 2);
    json_decref(m);
    /* 100 classes, one row each, each right but class 99 predicted as 98 */
    double yc[100], pc[100];
    for (int i = 0; i < 100; i++)
        yc[i] = pc[i] = i;
    pc[99] = 98;
    struct eval_data dc = {100, yc, pc, NULL, 0};
    m = eval_metrics(&dc, NULL, 1, NULL);
    /* recall: 99 classes at 1, class 99 at 0 -> 0.99 over all 100 classes */
    NEAR(num(m, "recall"), 0.99);
    json_decref(m);
}

TEST(eval_metrics_ties_multiclass_regression)
{
    /* ties in the scores count half */
    double y[] = {1, 0, 1, 0}, p[] = {1, 1, 1, 1}, proba[] = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
    struct eval_data d = {4, y, p, proba, 2};
    json_t *m = eval_metrics(&d, NULL, 1, NULL);
    NEAR(num(m, "roc_auc"), 0.5);
    json_decref(m);
    /* three classes: the macro average */
    double y3[] = {0, 1, 2, 2}, p3[] = {0, 2, 2, 1};
    struct eval_data d3 = {4, y3, p3, NULL, 0};
    m = eval_metrics(&d3, NULL, 1, NULL);
    NEAR(num(m, "accuracy"), 0.5);
    /* precision: c0 1, c1 0, c2 1/2; recall: c0 1, c1 0, c2 1/2 */
    NEAR(num(m, "precision"), 0.5);
    NEAR(num(m, "recall"), 0.5);
    ASSERT(json_object_get(m, "roc_auc") == NULL && json_object_get(m, "log_loss") == NULL);
    json_decref(m);
    double yr[] = {1, 2, 3, 4}, pr[] = {1, 2, 3, 6};
    struct eval_data dr = {4, yr, pr, NULL, 0};
    m = eval_metrics(&dr, NULL, 0, NULL);
    NEAR(num(m, "rmse"), 1.0);
    NEAR(num(m, "mae"), 0.5);
    NEAR(num(m, "r2"), 1 - 4.0 / 5);
    json_decref(m);
}
