/* SPDX-License-Identifier: MIT
 * store/prediction_performance on a real store: rows put and labeled
 * (some twice, some unknown), then the performance answer, exact and from
 * the hourly aggregates, checked against domain/quality.h and
 * domain/ab_test.h run over the same rows as arrays; buckets, tag and
 * column slices, the rollout controller's counts, and bad queries. */
#include "../test.h"
#include "base/ftime.h"
#include "base/sbuf.h"
#include "base/yaml_json.h"
#include "domain/ab_test.h"
#include "domain/prediction.h"
#include "domain/quality.h"
#include "domain/registry.h"
#include "store/deployments.h"
#include "store/prediction_performance.h"
#include "store/predictions.h"
#include "store/registry.h"
#include "store/store.h"

#include <math.h>
#include <string.h>

#define NROWS 600
#define HOUR  (3600 * 1000LL)

static struct store *open_perf_store(const char *name)
{
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    char *uri = test_store_uri(name);
    o.default_artifact_root = "/artifacts";
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    free(uri);
    return s;
}

static void reg(struct store *s, struct reg_write w)
{
    struct ferr err = FERR_INIT;
    w.user = "u";
    if (w.action == REG_CREATE_VERSION)
        w.source = "/artifacts/model";
    ASSERT_OK(store_registry_write(s, &w, &err), &err);
}

static void deploy(struct store *s, const char *model, const char *yaml)
{
    struct ferr err = FERR_INIT;
    struct deployment d;
    json_t *doc = NULL;
    int changed;
    reg(s, (struct reg_write){.action = REG_CREATE_MODEL, .name = model});
    for (int i = 0; i < 3; i++)
        reg(s, (struct reg_write){.action = REG_CREATE_VERSION, .name = model});
    ASSERT_OK(yaml_to_json(yaml, strlen(yaml), &doc, &err), &err);
    ASSERT_OK(store_deployment_apply(s, doc, -1, "alice", &d, &changed, &err), &err);
    json_decref(doc);
    deployment_release(&d);
}

static uint64_t lcg(uint64_t *x)
{
    *x = *x * 6364136223846793005ULL + 1442695040888963407ULL;
    return *x >> 33;
}

/* What the test put, row by row, to compute the expected figures from. */
struct truth {
    int target;      /* 0: version 1, 1: version 2, 2: the shadow (version 3) */
    int64_t time_ms; /* when */
    double p;        /* classifiers: P(class 1); regressors: the prediction */
    int pred;        /* classifiers: the predicted class */
    int labeled;
    double label; /* the final label */
    int region;   /* 0 eu, 1 us */
    int country;  /* 0 fr, 1 de, 2 it */
    char id[37];
};

static const char *const regions[] = {"eu", "us"};
static const char *const countries[] = {"fr", "de", "it"};

/* The hour the rows start in: three hours ago, whole (fixed at the first
 * call, so a test that runs across an hour's end still agrees with itself). */
static int64_t base_hour(void)
{
    static int64_t h0;
    if (!h0) {
        int64_t now = ftime_now_ms();
        h0 = now - now % HOUR - 3 * HOUR;
    }
    return h0;
}

static void make_row(struct pred_row *r, struct truth *t, int i, const char *dep, const char *model,
                     int regression)
{
    struct sbuf in = SBUF_INIT, out = SBUF_INIT;
    memset(r, 0, sizeof(*r));
    pred_rid_min(t->time_ms, r->rid);
    r->rid[6] = 0x70;
    r->rid[8] = 0x80;
    r->rid[14] = (unsigned char)(i >> 8);
    r->rid[15] = (unsigned char)i;
    pred_rid_text(r->rid, t->id);
    r->row = 0;
    r->nrows = 1;
    r->time_ms = t->time_ms;
    r->target.deployment = (char *)dep;
    r->target.revision = 1;
    r->target.model = (char *)model;
    r->target.version = t->target + 1;
    r->target.shadow = t->target == 2;
    r->target.columns = (char *)"[\"amount\",\"country\"]";
    r->target.classes = (char *)(regression ? "[]" : "[0,1]");
    r->target.task = (char *)(regression ? "regression" : "classification");
    r->tags = (char *)(t->region ? "region=us" : "region=eu");
    r->latency_us = (uint32_t)(1000 + i * 7);
    r->status = i % 50 == 49 ? 500 : 200;
    pred_enc_count(&in, 2);
    pred_enc_number(&in, (i % 7) * 1.5);
    pred_enc_string(&in, countries[t->country], 2);
    r->inputs = (unsigned char *)sbuf_detach(&in, &r->ninputs);
    if (r->status == 200) {
        struct pred_value v = {PV_NUMBER, regression ? t->p : t->pred, NULL, 0, 0};
        double proba[2] = {1 - t->p, t->p};
        pred_outputs_encode(&out, &v, 1, proba, regression ? 0 : 2);
        r->outputs = (unsigned char *)sbuf_detach(&out, &r->noutputs);
    } else {
        sbuf_release(&out);
    }
}

/* Puts NROWS rows of three targets over three hours and labels most of
 * them: in two batches out of order, some twice (the second wins), plus
 * ids that name nothing. */
static void put_rows(struct store *s, const char *dep, const char *model, int regression,
                     struct truth *t)
{
    struct ferr err = FERR_INIT;
    struct pred_row *rows = calloc(NROWS, sizeof(*rows));
    uint64_t x = regression ? 7 : 3;
    int64_t h0 = base_hour();
    for (int i = 0; i < NROWS; i++) {
        t[i].target = i % 5 == 4 ? 2 : i % 2;
        t[i].time_ms = h0 + (int64_t)i * (3 * HOUR / NROWS);
        /* scores on bin centres, so the binned AUC is the exact one */
        t[i].p = ((double)(lcg(&x) % 1000) + 0.5) / 1000.0;
        t[i].region = (int)(lcg(&x) % 2);
        t[i].country = (int)(lcg(&x) % 3);
        double noise = (double)(lcg(&x) % 1000) / 1000.0;
        if (regression) {
            t[i].p = 10 * t[i].p;
            t[i].label = t[i].p + (t[i].target ? 1.5 : 1.0) * (noise - 0.4);
        } else {
            t[i].pred = t[i].p > 0.5;
            /* version 2 is a little better than version 1 */
            double flip = t[i].target == 1 ? 0.2 : 0.3;
            t[i].label = noise < flip ? !t[i].pred : t[i].pred;
        }
        t[i].labeled = i % 10 != 3;
        make_row(&rows[i], &t[i], i, dep, model, regression);
    }
    ASSERT_OK(store_predictions_put(s, rows, NROWS, &err), &err);
    /* a retried batch logs once */
    ASSERT_OK(store_predictions_put(s, rows, 10, &err), &err);
    for (int i = 0; i < NROWS; i++) {
        rows[i].target.deployment = NULL;
        rows[i].target.model = NULL;
        rows[i].target.columns = NULL;
        rows[i].target.classes = NULL;
        rows[i].target.task = NULL;
        rows[i].tags = NULL;
        pred_row_release(&rows[i]);
    }
    free(rows);

    /* labels: the second half first, then the first half; every 7th given
     * a wrong label first; two unknown ids */
    struct feedback_label *l = calloc(NROWS + 64, sizeof(*l));
    char (*text)[32] = calloc(NROWS + 64, sizeof(*text));
    size_t n = 0;
    for (int pass = 0; pass < 2; pass++) {
        n = 0;
        for (int k = 0; k < NROWS; k++) {
            int i = pass == 0 ? (k + NROWS / 2) % NROWS : k;
            if (!t[i].labeled)
                continue;
            double v = t[i].label;
            if (pass == 0 && i % 7 == 0)
                v = regression ? v + 100 : !(int)v; /* replaced in the second pass */
            else if (pass == 1 && i % 7 != 0)
                continue;
            char buf[QUALITY_LABEL_NUMBER_MAX];
            snprintf(text[n], sizeof(text[n]), "%s", quality_label_number(v, buf));
            l[n].id = t[i].id;
            l[n].label = text[n];
            l[n].time_ms = t[i].time_ms + 1000;
            n++;
        }
        if (pass == 0) {
            l[n].id = "0190a0a0-0000-7000-8000-000000000001";
            l[n++].label = "1";
            l[n].id = "no-such-caller-id";
            l[n++].label = "1";
        }
        struct feedback_result res;
        ASSERT_OK(store_feedback_put(s, dep, l, n, "bob", &res, &err), &err);
        ASSERT_INT_EQ(res.nunknown, pass == 0 ? 2 : 0);
        ASSERT_INT_EQ(res.accepted, (int64_t)n - (pass == 0 ? 2 : 0));
        feedback_result_release(&res);
    }
    free(l);
    free(text);
}

static double num_of(json_t *o, const char *k)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_number(v))
        FAIL_AT("no number '%s'", k);
    return json_number_value(v);
}

#define ASSERT_NEAR(a, b)                                                                          \
    do {                                                                                           \
        double a_ = (a), b_ = (b);                                                                 \
        if (!(fabs(a_ - b_) <= 1e-12 * (1 + fabs(b_))))                                            \
            FAIL_AT("%s == %s: %.17g != %.17g", #a, #b, a_, b_);                                   \
    } while (0)

static json_t *perf(struct store *s, const char *dep, int exact, int64_t bucket, const char *slice)
{
    struct perf_query q = {dep, base_hour(), base_hour() + 3 * HOUR, bucket, slice, exact, 200, 5};
    struct ferr err = FERR_INIT;
    json_t *a = NULL;
    ASSERT_OK(store_prediction_performance(s, &q, &a, &err), &err);
    return a;
}

/* The expected classification figures of one target. */
struct expect {
    uint32_t *y, *yp;
    double *p;
    unsigned char *pos;
    size_t n;
    uint64_t correct, tp, pred_pos, true_pos;
    int64_t count;
};

static void expect_of(const struct truth *t, int target, struct expect *e)
{
    memset(e, 0, sizeof(*e));
    e->y = calloc(NROWS, sizeof(*e->y));
    e->yp = calloc(NROWS, sizeof(*e->yp));
    e->p = calloc(NROWS, sizeof(*e->p));
    e->pos = calloc(NROWS, 1);
    for (int i = 0; i < NROWS; i++) {
        if (t[i].target != target)
            continue;
        e->count++;
        if (!t[i].labeled || i % 50 == 49)
            continue;
        e->y[e->n] = (uint32_t)t[i].label;
        e->yp[e->n] = (uint32_t)t[i].pred;
        e->p[e->n] = t[i].p;
        e->pos[e->n] = t[i].label == 1;
        e->correct += e->y[e->n] == e->yp[e->n];
        e->tp += e->y[e->n] == 1 && e->yp[e->n] == 1;
        e->pred_pos += e->yp[e->n] == 1;
        e->true_pos += e->y[e->n] == 1;
        e->n++;
    }
}

static void expect_release(struct expect *e)
{
    free(e->y);
    free(e->yp);
    free(e->p);
    free(e->pos);
}

static void check_class_target(json_t *tg, const struct expect *e, const char *model)
{
    struct ferr err = FERR_INIT;
    struct quality_class_metrics m;
    double auc, ll;
    ASSERT_STR_EQ(json_string_value(json_object_get(tg, "model")), model);
    ASSERT_INT_EQ(json_integer_value(json_object_get(tg, "count")), e->count);
    ASSERT_INT_EQ(json_integer_value(json_object_get(tg, "correct")), (int64_t)e->correct);
    ASSERT_OK(quality_classification(e->y, e->yp, e->n, 1, &m, &err), &err);
    ASSERT_OK(quality_roc_auc(e->p, e->pos, e->n, &auc, &err), &err);
    ASSERT_OK(quality_log_loss(e->p, e->pos, e->n, &ll, &err), &err);
    json_t *mt = json_object_get(tg, "metrics");
    ASSERT_NEAR(num_of(mt, "accuracy"), m.accuracy);
    ASSERT_NEAR(num_of(mt, "precision"), m.precision);
    ASSERT_NEAR(num_of(mt, "recall"), m.recall);
    ASSERT_NEAR(num_of(mt, "f1"), m.f1);
    ASSERT_NEAR(num_of(mt, "f1_macro"), m.f1_macro);
    ASSERT_NEAR(num_of(mt, "roc_auc"), auc);
    ASSERT_NEAR(num_of(mt, "log_loss"), ll);
    ASSERT_STR_EQ(json_string_value(json_object_get(tg, "positive")), "1");
}

static const char classifier[] = "name: fraud\n"
                                 "targets:\n"
                                 "  - {model: \"models:/fraud/1\", weight: 50}\n"
                                 "  - {model: \"models:/fraud/2\", weight: 50}\n"
                                 "shadow: [{model: \"models:/fraud/3\"}]\n"
                                 "task: classification\n"
                                 "positive_label: 1\n";

STORE_TEST(prediction_performance_classifier_exact_and_aggregated)
{
    struct store *s = open_perf_store("perf_class");
    struct truth *t = calloc(NROWS, sizeof(*t));
    struct ferr err = FERR_INIT;
    deploy(s, "fraud", classifier);
    put_rows(s, "fraud", "fraud", 0, t);
    struct expect e[3];
    for (int k = 0; k < 3; k++)
        expect_of(t, k, &e[k]);

    for (int exact = 0; exact < 2; exact++) {
        json_t *a = perf(s, "fraud", exact, HOUR, NULL);
        json_t *tg = json_object_get(a, "targets");
        ASSERT_INT_EQ(json_array_size(tg), 3);
        check_class_target(json_array_get(tg, 0), &e[0], "fraud/1");
        check_class_target(json_array_get(tg, 1), &e[1], "fraud/2");
        check_class_target(json_array_get(tg, 2), &e[2], "fraud/3");
        ASSERT(json_is_true(json_object_get(json_array_get(tg, 2), "shadow")));
        /* three hourly buckets adding up to the whole */
        json_t *b = json_object_get(json_array_get(tg, 0), "buckets");
        ASSERT_INT_EQ(json_array_size(b), 3);
        int64_t sum = 0;
        for (size_t i = 0; i < 3; i++) {
            sum += json_integer_value(json_object_get(json_array_get(b, i), "count"));
            ASSERT_INT_EQ(json_integer_value(json_object_get(json_array_get(b, i), "start_time")),
                          base_hour() + (int64_t)i * HOUR);
        }
        ASSERT_INT_EQ(sum, e[0].count);
        /* A/B: version 2 and the shadow against version 1 */
        json_t *ab = json_object_get(a, "ab");
        ASSERT_INT_EQ(json_array_size(ab), 2);
        json_t *ab1 = json_array_get(ab, 0);
        ASSERT_STR_EQ(json_string_value(json_object_get(ab1, "model")), "fraud/2");
        ASSERT_STR_EQ(json_string_value(json_object_get(ab1, "baseline")), "fraud/1");
        struct ab_test_result z;
        struct ab_interval w, d;
        json_t *acc = json_object_get(ab1, "accuracy");
        ASSERT_OK(ab_proportions_ztest(e[1].correct, e[1].n, e[0].correct, e[0].n, AB_TWO_SIDED,
                                       &z, &err),
                  &err);
        ASSERT_NEAR(num_of(acc, "z"), z.statistic);
        ASSERT_NEAR(num_of(acc, "p_value"), z.pvalue);
        ASSERT_OK(ab_newcombe_diff_interval(e[1].correct, e[1].n, e[0].correct, e[0].n, 0.05, &d,
                                            &err),
                  &err);
        ASSERT_NEAR(json_number_value(json_array_get(json_object_get(acc, "delta_interval"), 0)),
                    d.low);
        ASSERT_NEAR(json_number_value(json_array_get(json_object_get(acc, "delta_interval"), 1)),
                    d.high);
        ASSERT_OK(ab_wilson_interval(e[0].correct, e[0].n, 0.05, &w, &err), &err);
        ASSERT_NEAR(json_number_value(json_array_get(json_object_get(acc, "baseline_interval"), 0)),
                    w.low);
        json_t *prec = json_object_get(ab1, "precision");
        ASSERT_INT_EQ(json_integer_value(json_object_get(prec, "x")), (int64_t)e[1].tp);
        ASSERT_INT_EQ(json_integer_value(json_object_get(prec, "n")), (int64_t)e[1].pred_pos);
        json_t *rec = json_object_get(ab1, "recall");
        ASSERT_INT_EQ(json_integer_value(json_object_get(rec, "n")), (int64_t)e[1].true_pos);
        /* F1 and AUC intervals need the rows */
        json_t *f1 = json_object_get(ab1, "f1");
        if (exact) {
            struct ab_bootstrap_opts o = {200, 5, 0.05};
            struct ab_bootstrap bt;
            unsigned char *tr = calloc(e[1].n, 1), *pr = calloc(e[1].n, 1);
            for (size_t i = 0; i < e[1].n; i++) {
                tr[i] = e[1].y[i] == 1;
                pr[i] = e[1].yp[i] == 1;
            }
            ASSERT_OK(ab_bootstrap_f1(tr, pr, e[1].n, &o, &bt, &err), &err);
            ASSERT_NEAR(json_number_value(json_array_get(json_object_get(f1, "interval"), 0)),
                        bt.low);
            ASSERT_NEAR(json_number_value(json_array_get(json_object_get(f1, "interval"), 1)),
                        bt.high);
            ASSERT_OK(ab_bootstrap_auc(e[1].p, e[1].pos, e[1].n, &o, &bt, &err), &err);
            json_t *auc = json_object_get(ab1, "roc_auc");
            ASSERT_NEAR(json_number_value(json_array_get(json_object_get(auc, "interval"), 1)),
                        bt.high);
            free(tr);
            free(pr);
        } else {
            ASSERT(json_object_get(f1, "note"));
            ASSERT(!json_object_get(f1, "interval"));
        }
        json_decref(a);
    }

    /* slices by a tag (both ways) and by an input column (exact only) */
    for (int exact = 0; exact < 2; exact++) {
        json_t *a = perf(s, "fraud", exact, 0, "tag:region");
        json_t *sl = json_object_get(json_array_get(json_object_get(a, "targets"), 0), "slices");
        ASSERT_INT_EQ(json_array_size(sl), 2);
        int64_t want[2] = {0, 0};
        for (int i = 0; i < NROWS; i++)
            if (t[i].target == 0)
                want[t[i].region]++;
        for (size_t i = 0; i < 2; i++) {
            json_t *g = json_array_get(sl, i);
            const char *v = json_string_value(json_object_get(g, "value"));
            int r = !strcmp(v, regions[1]);
            ASSERT_INT_EQ(json_integer_value(json_object_get(g, "count")), want[r]);
        }
        json_decref(a);
    }
    json_t *a = perf(s, "fraud", 1, 0, "column:country");
    json_t *sl = json_object_get(json_array_get(json_object_get(a, "targets"), 1), "slices");
    ASSERT_INT_EQ(json_array_size(sl), 3);
    json_decref(a);
    struct perf_query q = {"fraud", base_hour(), base_hour() + 3 * HOUR, 0, "column:country", 0,
                           0,       0};
    ASSERT_FAILS(store_prediction_performance(s, &q, &a, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "exact");

    /* the rollout controller's counts: exact, scored and correct per target */
    struct perf_query eq = {"fraud", base_hour(), ftime_now_ms() + 1, 0, NULL, 1, -1, 0};
    ASSERT_OK(store_prediction_performance(s, &eq, &a, &err), &err);
    json_t *ts = json_object_get(a, "targets");
    for (int k = 0; k < 3; k++) {
        json_t *tk = json_array_get(ts, (size_t)k);
        ASSERT_INT_EQ(json_integer_value(json_object_get(tk, "correct")), (int64_t)e[k].correct);
        ASSERT_INT_EQ(json_integer_value(json_object_get(tk, "scored")), (int64_t)e[k].n);
        ASSERT_STR_EQ(json_string_value(json_object_get(tk, "task")), "classification");
    }
    ASSERT_STR_EQ(json_string_value(json_object_get(json_array_get(ts, 1), "model")), "fraud/2");
    json_decref(a);

    /* a deleted deployment's log is still read (its task then inferred,
     * its targets in order of first appearance) until retention drops it */
    ASSERT_OK(store_deployment_delete(s, "fraud", "alice", &err), &err);
    ASSERT_OK(store_prediction_deployment_known(s, "fraud", &err), &err);
    ASSERT_FAILS(store_prediction_deployment_known(s, "nope", &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    a = perf(s, "fraud", 1, 0, NULL);
    json_t *tg = json_object_get(a, "targets");
    ASSERT_INT_EQ(json_array_size(tg), 3);
    check_class_target(json_array_get(tg, 0), &e[0], "fraud/1");
    check_class_target(json_array_get(tg, 2), &e[2], "fraud/3");
    json_decref(a);

    for (int k = 0; k < 3; k++)
        expect_release(&e[k]);
    free(t);
    store_close(s);
}

STORE_TEST(prediction_performance_regressor_welch)
{
    struct store *s = open_perf_store("perf_reg");
    struct truth *t = calloc(NROWS, sizeof(*t));
    deploy(s, "price",
           "name: price\n"
           "targets:\n"
           "  - {model: \"models:/price/1\", weight: 50}\n"
           "  - {model: \"models:/price/2\", weight: 50}\n"
           "task: regression\n");
    put_rows(s, "price", "price", 1, t);
    double *yt[2], *yp[2], *ae[2];
    size_t n[2] = {0, 0};
    for (int k = 0; k < 2; k++) {
        yt[k] = calloc(NROWS, sizeof(double));
        yp[k] = calloc(NROWS, sizeof(double));
        ae[k] = calloc(NROWS, sizeof(double));
    }
    for (int i = 0; i < NROWS; i++) {
        int k = t[i].target;
        if (k > 1 || !t[i].labeled || i % 50 == 49)
            continue;
        yt[k][n[k]] = t[i].label;
        yp[k][n[k]] = t[i].p;
        ae[k][n[k]] = fabs(t[i].label - t[i].p);
        n[k]++;
    }
    struct ferr err = FERR_INIT;
    for (int exact = 0; exact < 2; exact++) {
        json_t *a = perf(s, "price", exact, 0, NULL);
        json_t *tg = json_object_get(a, "targets");
        /* the shadow's rows are logged but the spec names no shadow: it comes last */
        ASSERT_INT_EQ(json_array_size(tg), 3);
        for (int k = 0; k < 2; k++) {
            struct quality_reg_metrics m;
            ASSERT_OK(quality_regression(yt[k], yp[k], n[k], &m, &err), &err);
            json_t *mt = json_object_get(json_array_get(tg, k), "metrics");
            ASSERT_NEAR(num_of(mt, "rmse"), m.rmse);
            ASSERT_NEAR(num_of(mt, "mae"), m.mae);
            ASSERT_NEAR(num_of(mt, "r2"), m.r2);
        }
        struct ab_test_result w;
        ASSERT_OK(ab_welch_ttest_arrays(ae[1], n[1], ae[0], n[0], AB_TWO_SIDED, &w, &err), &err);
        json_t *mae = json_object_get(json_array_get(json_object_get(a, "ab"), 0), "mae");
        ASSERT_NEAR(num_of(mae, "t"), w.statistic);
        ASSERT_NEAR(num_of(mae, "df"), w.df);
        ASSERT_NEAR(num_of(mae, "p_value"), w.pvalue);
        json_decref(a);
    }
    for (int k = 0; k < 2; k++) {
        free(yt[k]);
        free(yp[k]);
        free(ae[k]);
    }
    free(t);
    store_close(s);
}

STORE_TEST(prediction_performance_refuses_bad_queries)
{
    struct store *s = open_perf_store("perf_bad");
    struct ferr err = FERR_INIT;
    json_t *a = NULL;
    deploy(s, "fraud", classifier);
    int64_t h = base_hour();
    struct perf_query q = {"nope", h, h + HOUR, 0, NULL, 0, 0, 0};
    ASSERT_FAILS(store_prediction_performance(s, &q, &a, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    q.deployment = "fraud";
    q.start_ms = h + HOUR;
    q.end_ms = h;
    ASSERT_FAILS(store_prediction_performance(s, &q, &a, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    q.start_ms = h;
    q.end_ms = h + HOUR;
    q.bucket_ms = 15 * 60 * 1000; /* finer than the aggregates */
    ASSERT_FAILS(store_prediction_performance(s, &q, &a, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    q.exact = 1;
    q.bucket_ms = 1000; /* 3600 buckets */
    ASSERT_FAILS(store_prediction_performance(s, &q, &a, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    q.bucket_ms = 0;
    q.slice = "region";
    ASSERT_FAILS(store_prediction_performance(s, &q, &a, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    /* no rows: the spec's targets, empty */
    q.slice = NULL;
    ASSERT_OK(store_prediction_performance(s, &q, &a, &err), &err);
    json_t *tg = json_object_get(a, "targets");
    ASSERT_INT_EQ(json_array_size(tg), 3);
    ASSERT_INT_EQ(json_integer_value(json_object_get(json_array_get(tg, 0), "count")), 0);
    ASSERT_INT_EQ(json_array_size(json_object_get(a, "ab")), 2);
    json_decref(a);
    store_close(s);
}
