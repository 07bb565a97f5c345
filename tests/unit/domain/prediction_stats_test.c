/* SPDX-License-Identifier: MIT
 * domain/prediction_stats.c: statistics built from logged rows, and the
 * same merged from several stored hours (JSON text, as the store keeps
 * them), give domain/quality.h's array functions' metrics (which
 * quality_test.c checks against sklearn): the confusion figures exactly,
 * sums within 1e-12. */
#include "../test.h"
#include "base/xalloc.h"
#include "domain/prediction_stats.h"

#include <math.h>

static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static double rng_unit(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

static void close_to(int line, const char *what, double got, double want)
{
    if (isnan(got) && isnan(want))
        return;
    if (!(fabs(got - want) <= 1e-12 * fmax(1, fabs(want))))
        FAIL_AT("line %d: %s: %.17g, want %.17g", line, what, got, want);
}
#define CLOSE(what, got, want) close_to(__LINE__, what, got, want)

static double metric(const json_t *m, const char *k)
{
    const json_t *v = json_object_get(m, k);
    return v ? json_number_value(v) : NAN;
}

static struct pred_target target_of(const char *classes, const char *task)
{
    struct pred_target t = {
        xstrdup("dep"), 1, xstrdup("m"), 1, 0, xstrdup("[\"x\"]"), xstrdup(classes), xstrdup(task)};
    return t;
}

/* A classification row: truth, prediction, and (when p >= 0) the two
 * probabilities [1 - p, p] of classes [0, 1]. */
static void class_row(struct pred_row *r, const struct pred_target *t, const char *truth,
                      double pred, double p, int status, uint32_t row, uint32_t latency)
{
    memset(r, 0, sizeof(*r));
    pred_target_copy(t, &r->target);
    r->row = row;
    r->nrows = row + 1;
    r->status = status;
    r->latency_us = latency;
    struct sbuf b = SBUF_INIT;
    struct pred_value v = {PV_NUMBER, pred, NULL, 0, 0};
    double proba[2] = {1 - p, p};
    pred_outputs_encode(&b, &v, 1, proba, p >= 0 ? 2 : 0);
    r->noutputs = b.len;
    r->outputs = (unsigned char *)sbuf_detach(&b, NULL);
    r->label = xstrdup_or_null(truth);
}

TEST(pred_stats_classification_matches_quality)
{
    enum { N = 3000, HOURS = 4 };
    struct pred_target t = target_of("[0, 1]", "classification");
    struct pred_task task;
    pred_task_resolve(NULL, NULL, &t, &task);
    ASSERT_INT_EQ(task.kind, PRED_TASK_CLASSIFICATION);
    ASSERT(task.positive == NULL);

    uint32_t *y_true = xmalloc(N * sizeof(uint32_t)), *y_pred = xmalloc(N * sizeof(uint32_t));
    double *score = xmalloc(N * sizeof(double));
    unsigned char *pos = xmalloc(N);
    size_t n = 0, nfail = 0, nunlabeled = 0;
    struct pred_stats whole, hour[HOURS];
    pred_stats_init(&whole, &task);
    for (int h = 0; h < HOURS; h++)
        pred_stats_init(&hour[h], &task);
    struct pred_auc_rows auc = {0};
    uint64_t s = 42;
    for (size_t i = 0; i < N; i++) {
        /* scores at bin centres, so the bins' AUC is exact */
        double p = ((double)(rng_next(&s) % PRED_AUC_BINS) + 0.5) / PRED_AUC_BINS;
        int truth = rng_unit(&s) < p * 0.8 + 0.1;
        int predicted = p > 0.5;
        int status = rng_unit(&s) < 0.05 ? 500 : 200;
        int labeled = rng_unit(&s) < 0.9;
        struct pred_row r;
        class_row(&r, &t, labeled ? (truth ? "1" : "0") : NULL, predicted, p, status,
                  (uint32_t)(i % 3), (uint32_t)(100 + i));
        int skipped;
        pred_stats_add_row(&whole, &r, &skipped);
        ASSERT_INT_EQ(skipped, 0);
        pred_stats_add_row(&hour[i % HOURS], &r, NULL);
        pred_auc_rows_add(&auc, &r, &task);
        if (status != 200)
            nfail++;
        if (!labeled)
            nunlabeled++;
        if (status == 200 && labeled) {
            y_true[n] = (uint32_t)truth;
            y_pred[n] = (uint32_t)predicted;
            score[n] = p;
            pos[n] = (unsigned char)truth;
            n++;
        }
        pred_row_release(&r);
    }
    ASSERT_INT_EQ(whole.count, N);
    ASSERT_INT_EQ(whole.failed, nfail);
    ASSERT_INT_EQ(whole.labeled, N - nunlabeled);
    ASSERT_INT_EQ(auc.n, n);

    /* the reference: quality.h's array functions, classes 0 and 1 as ids 0 and 1 */
    struct ferr err = FERR_INIT;
    struct quality_class_metrics want;
    ASSERT_OK(quality_classification(y_true, y_pred, n, 1, &want, &err), &err);
    double want_auc, want_ll;
    ASSERT_OK(quality_roc_auc(score, pos, n, &want_auc, &err), &err);
    ASSERT_OK(quality_log_loss(score, pos, n, &want_ll, &err), &err);

    /* merged from stored hours, as text */
    struct pred_stats merged;
    pred_stats_init(&merged, &task);
    for (int h = 0; h < HOURS; h++) {
        json_t *j = pred_stats_to_json(&hour[h]);
        char *text = json_dumps(j, JSON_COMPACT);
        struct sbuf lat = SBUF_INIT;
        latency_hist_encode(&hour[h].latency, &lat);
        ASSERT_OK(pred_stats_merge_json(&merged, hour[h].count, hour[h].failed, hour[h].labeled,
                                        lat.buf, text, &err),
                  &err);
        sbuf_release(&lat);
        free(text);
        json_decref(j);
    }
    /* and merged in memory */
    struct pred_stats mem;
    pred_stats_init(&mem, &task);
    for (int h = HOURS; h-- > 0;)
        pred_stats_merge(&mem, &hour[h]);

    struct pred_stats *all[] = {&whole, &merged, &mem};
    for (size_t k = 0; k < 3; k++) {
        json_t *m = pred_stats_metrics(all[k]);
        ASSERT(metric(m, "accuracy") == want.accuracy);
        ASSERT(metric(m, "precision") == want.precision);
        ASSERT(metric(m, "recall") == want.recall);
        ASSERT(metric(m, "f1") == want.f1);
        ASSERT(metric(m, "f1_macro") == want.f1_macro);
        CLOSE("roc_auc", metric(m, "roc_auc"), want_auc);
        CLOSE("log_loss", metric(m, "log_loss"), want_ll);
        json_decref(m);
        ASSERT_INT_EQ(all[k]->count, N);
        ASSERT_INT_EQ(all[k]->failed, nfail);
        ASSERT_INT_EQ(latency_hist_count(&all[k]->latency), N - N / 3 * 2);
        json_t *f = pred_stats_figures(all[k]);
        ASSERT_INT_EQ(json_integer_value(json_object_get(f, "requests")), N - N / 3 * 2);
        CLOSE("error_rate", json_number_value(json_object_get(f, "error_rate")), (double)nfail / N);
        ASSERT(json_object_get(f, "p99_ms"));
        json_decref(f);
    }

    /* the exact AUC from rows */
    ASSERT_OK(quality_auc_sort(auc.v, auc.n, &err), &err);
    CLOSE("exact auc", quality_auc_sorted(auc.v, NULL, auc.n), want_auc);

    /* stored text round trip is canonical */
    json_t *a = pred_stats_to_json(&whole), *b = pred_stats_to_json(&merged);
    char *ta = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
    ASSERT_CONTAINS(ta, "\"task\":\"classification\"");
    ASSERT_CONTAINS(ta, "\"classes\":[[\"");
    free(ta);
    json_decref(a);
    json_decref(b);

    pred_auc_rows_release(&auc);
    pred_stats_release(&whole);
    pred_stats_release(&merged);
    pred_stats_release(&mem);
    for (int h = 0; h < HOURS; h++)
        pred_stats_release(&hour[h]);
    pred_task_release(&task);
    pred_target_release(&t);
    free(y_true);
    free(y_pred);
    free(score);
    free(pos);
}

TEST(pred_stats_multiclass_strings_and_positive)
{
    /* text classes, spec positive "spam", no probabilities */
    struct pred_target t = target_of("[]", "");
    json_t *spam = json_string("spam");
    struct pred_task task;
    pred_task_resolve("classification", spam, &t, &task);
    ASSERT_STR_EQ(task.positive, "spam");
    static const char *names[] = {"spam", "ham", "eggs"};
    enum { N = 500 };
    uint32_t y_true[N], y_pred[N];
    struct pred_stats s;
    pred_stats_init(&s, &task);
    uint64_t st = 7;
    for (size_t i = 0; i < N; i++) {
        y_true[i] = (uint32_t)(rng_next(&st) % 3);
        y_pred[i] = rng_unit(&st) < 0.7 ? y_true[i] : (uint32_t)(rng_next(&st) % 3);
        struct pred_row r;
        memset(&r, 0, sizeof(r));
        pred_target_copy(&t, &r.target);
        r.status = 200;
        struct sbuf b = SBUF_INIT;
        struct pred_value v = {PV_STRING, 0, names[y_pred[i]], strlen(names[y_pred[i]]), 0};
        pred_outputs_encode(&b, &v, 1, NULL, 0);
        r.noutputs = b.len;
        r.outputs = (unsigned char *)sbuf_detach(&b, NULL);
        r.label = xstrdup(names[y_true[i]]);
        pred_stats_add_row(&s, &r, NULL);
        pred_row_release(&r);
    }
    struct ferr err = FERR_INIT;
    struct quality_class_metrics want;
    ASSERT_OK(quality_classification(y_true, y_pred, N, 0, &want, &err), &err);
    json_t *m = pred_stats_metrics(&s);
    ASSERT(metric(m, "accuracy") == want.accuracy);
    ASSERT(metric(m, "precision") == want.precision);
    ASSERT(metric(m, "recall") == want.recall);
    CLOSE("f1_macro", metric(m, "f1_macro"), want.f1_macro);
    ASSERT(!json_object_get(m, "roc_auc") && !json_object_get(m, "log_loss"));
    json_decref(m);

    /* another positive class cannot join: the hour must be recomputed */
    json_t *j = pred_stats_to_json(&s);
    char *text = json_dumps(j, JSON_COMPACT);
    struct pred_task other = {PRED_TASK_CLASSIFICATION, NULL};
    struct pred_stats o;
    pred_stats_init(&o, &other);
    ASSERT_FAILS(pred_stats_merge_json(&o, 1, 0, 1, "v1;0;", text, &err), &err, FERR_INVALID_STATE);
    ASSERT_INT_EQ(o.count, 0);
    struct pred_task reg = {PRED_TASK_REGRESSION, xstrdup("spam")};
    struct pred_stats r2;
    pred_stats_init(&r2, &reg);
    ASSERT_FAILS(pred_stats_merge_json(&r2, 1, 0, 1, NULL, text, &err), &err, FERR_INVALID_STATE);
    pred_stats_release(&r2);
    pred_task_release(&reg);
    pred_stats_release(&o);
    free(text);
    json_decref(j);
    json_decref(spam);
    pred_stats_release(&s);
    pred_task_release(&task);
    pred_target_release(&t);
}

TEST(pred_stats_regression_matches_quality)
{
    /* no task anywhere: a number answer makes a regressor */
    struct pred_target t = target_of("[]", "");
    struct pred_task task;
    pred_task_resolve(NULL, NULL, &t, &task);
    ASSERT_INT_EQ(task.kind, PRED_TASK_UNKNOWN);
    enum { N = 2000, HOURS = 3 };
    double *yt = xmalloc(N * sizeof(double)), *yp = xmalloc(N * sizeof(double));
    struct pred_stats whole, hour[HOURS], merged;
    pred_stats_init(&whole, &task);
    pred_stats_init(&merged, &task);
    for (int h = 0; h < HOURS; h++)
        pred_stats_init(&hour[h], &task);
    uint64_t s = 9;
    for (size_t i = 0; i < N; i++) {
        yt[i] = 1000 + rng_unit(&s) * 10;
        yp[i] = yt[i] + (rng_unit(&s) - 0.5);
        struct pred_row r;
        memset(&r, 0, sizeof(r));
        pred_target_copy(&t, &r.target);
        r.status = 200;
        struct sbuf b = SBUF_INIT;
        struct pred_value v = {PV_NUMBER, yp[i], NULL, 0, 0};
        pred_outputs_encode(&b, &v, 1, NULL, 0);
        r.noutputs = b.len;
        r.outputs = (unsigned char *)sbuf_detach(&b, NULL);
        char buf[QUALITY_LABEL_NUMBER_MAX];
        r.label = xstrdup(quality_label_number(yt[i], buf));
        pred_stats_add_row(&whole, &r, NULL);
        pred_stats_add_row(&hour[i % HOURS], &r, NULL);
        pred_row_release(&r);
    }
    struct ferr err = FERR_INIT;
    for (int h = 0; h < HOURS; h++) {
        json_t *j = pred_stats_to_json(&hour[h]);
        char *text = json_dumps(j, JSON_COMPACT);
        ASSERT_OK(
            pred_stats_merge_json(&merged, hour[h].count, 0, hour[h].labeled, NULL, text, &err),
            &err);
        free(text);
        json_decref(j);
    }
    ASSERT_INT_EQ(merged.kind, PRED_TASK_REGRESSION);
    struct quality_reg_metrics want;
    ASSERT_OK(quality_regression(yt, yp, N, &want, &err), &err);
    struct pred_stats *all[] = {&whole, &merged};
    for (size_t k = 0; k < 2; k++) {
        json_t *m = pred_stats_metrics(all[k]);
        CLOSE("rmse", metric(m, "rmse"), want.rmse);
        CLOSE("mae", metric(m, "mae"), want.mae);
        if (!(fabs(metric(m, "r2") - want.r2) <= 1e-9))
            FAIL_AT("r2 %.17g, want %.17g", metric(m, "r2"), want.r2);
        ASSERT(!json_object_get(m, "accuracy"));
        json_decref(m);
    }
    /* a text label for a regressor adds no term, and says so */
    struct pred_row r;
    memset(&r, 0, sizeof(r));
    pred_target_copy(&t, &r.target);
    r.status = 200;
    struct sbuf b = SBUF_INIT;
    struct pred_value v = {PV_NUMBER, 1, NULL, 0, 0};
    pred_outputs_encode(&b, &v, 1, NULL, 0);
    r.noutputs = b.len;
    r.outputs = (unsigned char *)sbuf_detach(&b, NULL);
    r.label = xstrdup("big");
    int skipped;
    pred_stats_add_row(&whole, &r, &skipped);
    ASSERT_INT_EQ(skipped, 1);
    /* and a corrupt blob neither */
    r.outputs[0] = 0x0f;
    pred_stats_add_row(&whole, &r, &skipped);
    ASSERT_INT_EQ(skipped, 1);
    ASSERT_INT_EQ(whole.count, N + 2);
    ASSERT_INT_EQ(whole.reg.y.n, N);
    pred_row_release(&r);

    pred_stats_release(&whole);
    pred_stats_release(&merged);
    for (int h = 0; h < HOURS; h++)
        pred_stats_release(&hour[h]);
    pred_task_release(&task);
    pred_target_release(&t);
    free(yt);
    free(yp);
}

TEST(pred_stats_stored_form_refusals)
{
    static const char *bad[] = {
        "[]",
        "{\"v\":2,\"task\":\"regression\"}",
        "{\"v\":1}",
        "{\"v\":1,\"task\":\"classification\",\"classes\":[[\"a\",2,1,1]]}",
        "{\"v\":1,\"task\":\"classification\",\"classes\":[[\"a\",1,1]]}",
        "{\"v\":1,\"task\":\"classification\",\"classes\":[[1,1,1,1]]}",
        "{\"v\":1,\"task\":\"classification\",\"auc\":[[1000,1,1]]}",
        "{\"v\":1,\"task\":\"classification\",\"auc\":[[1,-1,1]]}",
        "{\"v\":1,\"task\":\"classification\",\"logloss\":[1]}",
        "{\"v\":1,\"task\":\"regression\",\"reg\":[[1,0,0],[1,0,0]]}",
        "{\"v\":1,\"task\":\"regression\",\"positive\":1}",
        "{not json",
    };
    struct ferr err = FERR_INIT;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct pred_stats s;
        pred_stats_init(&s, NULL);
        ferr_clear(&err);
        if (!pred_stats_merge_json(&s, 5, 0, 0, NULL, bad[i], &err))
            FAIL_AT("'%s' merged", bad[i]);
        ASSERT_INT_EQ(err.code, FERR_INVALID_PARAMETER_VALUE);
        ASSERT_INT_EQ(s.count, 0);
        pred_stats_release(&s);
    }
    struct pred_stats s;
    pred_stats_init(&s, NULL);
    ASSERT_FAILS(pred_stats_merge_json(&s, 1, 0, 0, "v9;0;", NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_OK(pred_stats_merge_json(&s, 3, 1, 0, "v1;0;", "{\"v\":1,\"task\":\"unknown\"}", &err),
              &err);
    ASSERT_INT_EQ(s.count, 3);
    json_t *m = pred_stats_metrics(&s);
    ASSERT_INT_EQ(json_object_size(m), 0);
    json_decref(m);
    pred_stats_release(&s);
}
