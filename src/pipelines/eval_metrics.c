/* SPDX-License-Identifier: MIT
 * Classification and regression metrics for ferry/evaluate. */
#include "pipelines/eval_metrics.h"
#include "base/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char *const class_metrics[] = {"accuracy", "precision", "recall", "f1",
                                            "roc_auc",  "log_loss",  NULL};
static const char *const reg_metrics[] = {"rmse", "mae", "r2", NULL};

int eval_metric_known(const char *name, int classification)
{
    for (const char *const *p = classification ? class_metrics : reg_metrics; *p; p++)
        if (!strcmp(*p, name))
            return 1;
    return 0;
}

static int wanted(json_t *want, const char *name)
{
    size_t i;
    json_t *x;
    if (!want)
        return 1;
    json_array_foreach(want, i, x)
    {
        if (json_is_string(x) && !strcmp(json_string_value(x), name))
            return 1;
    }
    return 0;
}

struct scored {
    double s;
    int pos;
};

static int cmp_scored(const void *a, const void *b)
{
    double x = ((const struct scored *)a)->s, y = ((const struct scored *)b)->s;
    return x < y ? -1 : x > y;
}

/* Mann-Whitney AUC with average ranks for ties; NAN with one class only. */
static double roc_auc(const struct eval_data *d, const unsigned char *mask)
{
    struct scored *v = xcalloc(d->rows + 1, sizeof(*v));
    size_t n = 0, npos = 0;
    for (size_t r = 0; r < d->rows; r++) {
        if (mask && !mask[r])
            continue;
        v[n].s = d->proba[r * d->nproba + 1];
        v[n].pos = d->y[r] == 1.0;
        npos += (size_t)v[n].pos;
        n++;
    }
    double auc = NAN;
    if (npos && npos < n) {
        qsort(v, n, sizeof(*v), cmp_scored);
        double rank_sum = 0;
        for (size_t i = 0; i < n;) {
            size_t j = i;
            while (j < n && v[j].s == v[i].s)
                j++;
            double avg = (double)(i + j + 1) / 2.0; /* ranks i+1..j */
            for (size_t k = i; k < j; k++)
                if (v[k].pos)
                    rank_sum += avg;
            i = j;
        }
        double nneg = (double)(n - npos);
        auc = (rank_sum - (double)npos * ((double)npos + 1) / 2.0) / ((double)npos * nneg);
    }
    free(v);
    return auc;
}

static void classification(const struct eval_data *d, const unsigned char *mask, json_t *want,
                           json_t *out)
{
    size_t n = 0, correct = 0;
    double *classes = xcalloc(2 * d->rows + 1, sizeof(*classes)); /* every label seen */
    size_t nclasses = 0;
    for (size_t r = 0; r < d->rows; r++) {
        if (mask && !mask[r])
            continue;
        n++;
        correct += d->pred[r] == d->y[r];
        for (int k = 0; k < 2; k++) {
            double c = k ? d->pred[r] : d->y[r];
            size_t i;
            for (i = 0; i < nclasses && classes[i] != c; i++)
                ;
            if (i == nclasses)
                classes[nclasses++] = c;
        }
    }
    json_object_set_new(out, "rows", json_integer((json_int_t)n));
    if (!n) {
        free(classes);
        return;
    }
    if (wanted(want, "accuracy"))
        json_object_set_new(out, "accuracy", json_real((double)correct / (double)n));
    /* binary (labels within {0, 1}): class 1; else the macro average */
    int binary = 1;
    for (size_t i = 0; i < nclasses; i++)
        binary &= classes[i] == 0.0 || classes[i] == 1.0;
    double p_sum = 0, r_sum = 0, f_sum = 0;
    size_t m = 0;
    for (size_t i = 0; i < nclasses; i++) {
        if (binary && classes[i] != 1.0)
            continue;
        double c = classes[i], tp = 0, fp = 0, fn = 0;
        for (size_t r = 0; r < d->rows; r++) {
            if (mask && !mask[r])
                continue;
            tp += d->pred[r] == c && d->y[r] == c;
            fp += d->pred[r] == c && d->y[r] != c;
            fn += d->pred[r] != c && d->y[r] == c;
        }
        double p = tp + fp > 0 ? tp / (tp + fp) : 0, rc = tp + fn > 0 ? tp / (tp + fn) : 0;
        p_sum += p;
        r_sum += rc;
        f_sum += p + rc > 0 ? 2 * p * rc / (p + rc) : 0;
        m++;
    }
    free(classes);
    if (!m) /* binary with no 1 anywhere: scikit-learn's zero_division=0 */
        m = 1;
    if (wanted(want, "precision"))
        json_object_set_new(out, "precision", json_real(p_sum / (double)m));
    if (wanted(want, "recall"))
        json_object_set_new(out, "recall", json_real(r_sum / (double)m));
    if (wanted(want, "f1"))
        json_object_set_new(out, "f1", json_real(f_sum / (double)m));
    if (d->proba && d->nproba == 2 && binary && wanted(want, "roc_auc")) {
        double auc = roc_auc(d, mask);
        if (!isnan(auc))
            json_object_set_new(out, "roc_auc", json_real(auc));
    }
    if (d->proba && d->nproba >= 2 && wanted(want, "log_loss")) {
        double sum = 0;
        int ok = 1;
        for (size_t r = 0; r < d->rows && ok; r++) {
            if (mask && !mask[r])
                continue;
            double y = d->y[r];
            if (y < 0 || y >= (double)d->nproba || y != floor(y)) {
                ok = 0;
                break;
            }
            double p = d->proba[r * d->nproba + (size_t)y];
            p = p < 1e-15 ? 1e-15 : p > 1 - 1e-15 ? 1 - 1e-15 : p;
            sum -= log(p);
        }
        if (ok)
            json_object_set_new(out, "log_loss", json_real(sum / (double)n));
    }
}

static void regression(const struct eval_data *d, const unsigned char *mask, json_t *want,
                       json_t *out)
{
    size_t n = 0;
    double se = 0, ae = 0, mean = 0;
    for (size_t r = 0; r < d->rows; r++) {
        if (mask && !mask[r])
            continue;
        n++;
        mean += d->y[r];
    }
    json_object_set_new(out, "rows", json_integer((json_int_t)n));
    if (!n)
        return;
    mean /= (double)n;
    double ss = 0;
    for (size_t r = 0; r < d->rows; r++) {
        if (mask && !mask[r])
            continue;
        double e = d->pred[r] - d->y[r];
        se += e * e;
        ae += fabs(e);
        ss += (d->y[r] - mean) * (d->y[r] - mean);
    }
    if (wanted(want, "rmse"))
        json_object_set_new(out, "rmse", json_real(sqrt(se / (double)n)));
    if (wanted(want, "mae"))
        json_object_set_new(out, "mae", json_real(ae / (double)n));
    if (wanted(want, "r2") && ss > 0)
        json_object_set_new(out, "r2", json_real(1 - se / ss));
}

json_t *eval_metrics(const struct eval_data *d, const unsigned char *mask, int is_class,
                     json_t *want)
{
    /* a row whose target or prediction is missing (NaN: an empty cell) is
     * left out and counted apart: kept, it would be a class of its own,
     * never equal to anything, and would make every metric wrong */
    unsigned char *use = xcalloc(d->rows + 1, 1);
    size_t missing = 0;
    for (size_t r = 0; r < d->rows; r++) {
        if (mask && !mask[r])
            continue;
        if (isnan(d->y[r]) || isnan(d->pred[r]))
            missing++;
        else
            use[r] = 1;
    }
    json_t *out = json_object();
    if (is_class)
        classification(d, use, want, out);
    else
        regression(d, use, want, out);
    if (missing)
        json_object_set_new(out, "rows_missing", json_integer((json_int_t)missing));
    free(use);
    return out;
}
