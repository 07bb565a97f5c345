/* SPDX-License-Identifier: MIT */
#include "domain/quality.h"

#include "base/xalloc.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* ---- Labels ---- */

void quality_labels_init(struct quality_labels *l)
{
    memset(l, 0, sizeof(*l));
}

void quality_labels_release(struct quality_labels *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->text[i]);
    free(l->text);
    free(l->slots);
    quality_labels_init(l);
}

/* FNV-1a: short keys, no adversary worth a keyed hash (a deployment's own
 * labels; a flood of distinct labels costs memory, not probe time, as the
 * table stays at most half full). */
static uint64_t fnv1a(const char *p, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)p[i];
        h *= 1099511628211ull;
    }
    return h;
}

static int same(const char *stored, const char *text, size_t len)
{
    return strlen(stored) == len && memcmp(stored, text, len) == 0;
}

/* The slot holding text, or the empty slot where it would go. */
static size_t probe(const struct quality_labels *l, const char *text, size_t len)
{
    size_t mask = l->cap - 1, i = (size_t)fnv1a(text, len) & mask;
    while (l->slots[i] && !same(l->text[l->slots[i] - 1], text, len))
        i = (i + 1) & mask;
    return i;
}

static void grow(struct quality_labels *l)
{
    size_t cap = l->cap ? l->cap * 2 : 16;
    uint32_t *old = l->slots;
    size_t old_cap = l->cap;
    l->slots = xcalloc(cap, sizeof(*l->slots));
    l->cap = cap;
    for (size_t i = 0; i < old_cap; i++) {
        if (!old[i])
            continue;
        const char *t = l->text[old[i] - 1];
        l->slots[probe(l, t, strlen(t))] = old[i];
    }
    free(old);
    l->text = xrealloc(l->text, cap / 2 * sizeof(*l->text));
}

int64_t quality_labels_find(const struct quality_labels *l, const char *text, size_t len)
{
    if (!l->cap)
        return -1;
    uint32_t s = l->slots[probe(l, text, len)];
    return s ? (int64_t)s - 1 : -1;
}

uint32_t quality_labels_id(struct quality_labels *l, const char *text, size_t len)
{
    if (l->n + 1 > l->cap / 2)
        grow(l);
    size_t i = probe(l, text, len);
    if (l->slots[i])
        return l->slots[i] - 1;
    l->text[l->n] = xstrndup(text, len);
    l->slots[i] = (uint32_t)++l->n;
    return (uint32_t)(l->n - 1);
}

char *quality_label_number(double v, char buf[QUALITY_LABEL_NUMBER_MAX])
{
    if (isnan(v)) {
        snprintf(buf, QUALITY_LABEL_NUMBER_MAX, "nan");
    } else if (isinf(v)) {
        snprintf(buf, QUALITY_LABEL_NUMBER_MAX, "%s", v > 0 ? "inf" : "-inf");
    } else if (v == floor(v) && fabs(v) <= 9007199254740992.0) {
        snprintf(buf, QUALITY_LABEL_NUMBER_MAX, "%lld", (long long)v);
    } else {
        for (int prec = 15; prec <= 17; prec++) {
            snprintf(buf, QUALITY_LABEL_NUMBER_MAX, "%.*g", prec, v);
            if (strtod(buf, NULL) == v)
                break;
        }
    }
    return buf;
}

/* ---- Confusion matrix ---- */

void quality_confusion_init(struct quality_confusion *c)
{
    memset(c, 0, sizeof(*c));
}

void quality_confusion_release(struct quality_confusion *c)
{
    if (!c)
        return;
    free(c->c);
    quality_confusion_init(c);
}

static void confusion_fit(struct quality_confusion *c, size_t k)
{
    if (k <= c->k)
        return;
    size_t nk = c->k ? c->k : 4;
    while (nk < k)
        nk *= 2;
    c->c = xrealloc(c->c, nk * sizeof(*c->c));
    memset(c->c + c->k, 0, (nk - c->k) * sizeof(*c->c));
    c->k = nk;
}

void quality_confusion_add(struct quality_confusion *c, uint32_t truth, uint32_t pred,
                           uint64_t count)
{
    confusion_fit(c, (size_t)(truth > pred ? truth : pred) + 1);
    c->c[truth].true_n += count;
    c->c[pred].pred_n += count;
    if (truth == pred)
        c->c[truth].tp += count;
    c->n += count;
}

void quality_confusion_add_class(struct quality_confusion *c, uint32_t id,
                                 const struct quality_class_counts *counts)
{
    confusion_fit(c, (size_t)id + 1);
    c->c[id].tp += counts->tp;
    c->c[id].true_n += counts->true_n;
    c->c[id].pred_n += counts->pred_n;
    c->n += counts->true_n; /* every row has exactly one true class */
}

void quality_confusion_merge(struct quality_confusion *into, const struct quality_confusion *from)
{
    for (size_t i = 0; i < from->k; i++)
        if (from->c[i].true_n || from->c[i].pred_n)
            quality_confusion_add_class(into, (uint32_t)i, &from->c[i]);
}

/* sklearn's per-class precision, recall and F1 with zero_division = 0. */
static void prf(uint64_t tp, uint64_t pred_sum, uint64_t true_sum, double *p, double *r, double *f)
{
    *p = pred_sum ? (double)tp / (double)pred_sum : 0;
    *r = true_sum ? (double)tp / (double)true_sum : 0;
    double denom = *p + *r;
    *f = denom == 0 ? 0 : 2 * *p * *r / denom;
}

int quality_confusion_finalize(const struct quality_confusion *c, int64_t positive,
                               struct quality_class_metrics *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!c->n)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "no labeled rows");
    size_t k = c->k;
    uint64_t trace = 0;
    double sp = 0, sr = 0, sf = 0;
    out->n = c->n;
    out->precision = out->recall = out->f1 = NAN;
    for (size_t i = 0; i < k; i++) {
        uint64_t true_sum = c->c[i].true_n, pred_sum = c->c[i].pred_n, tp = c->c[i].tp;
        trace += tp;
        double p, r, f;
        prf(tp, pred_sum, true_sum, &p, &r, &f);
        if (positive >= 0 && (uint64_t)positive == i) {
            out->precision = p;
            out->recall = r;
            out->f1 = f;
        }
        if (!true_sum && !pred_sum)
            continue;
        out->classes++;
        sp += p;
        sr += r;
        sf += f;
    }
    if (positive >= 0 && (uint64_t)positive >= k) /* never seen: all zero */
        out->precision = out->recall = out->f1 = 0;
    out->accuracy = (double)trace / (double)c->n;
    out->precision_macro = sp / (double)out->classes;
    out->recall_macro = sr / (double)out->classes;
    out->f1_macro = sf / (double)out->classes;
    return 0;
}

/* ---- Log loss ---- */

int quality_logloss_add(struct quality_logloss *l, double p, int is_positive, struct ferr *err)
{
    if (!isfinite(p))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "probability '%g' is not finite", p);
    /* sklearn 1.2: clip to [eps, 1 - eps], form (1 - p, p), divide by its
     * sum (1 up to one rounding), take -log of the true class's share. */
    const double eps = DBL_EPSILON;
    double pc = p < eps ? eps : p > 1 - eps ? 1 - eps : p;
    double q = 1 - pc, s = q + pc;
    l->sum += -log((is_positive ? pc : q) / s);
    l->n++;
    return 0;
}

void quality_logloss_merge(struct quality_logloss *into, const struct quality_logloss *from)
{
    into->n += from->n;
    into->sum += from->sum;
}

int quality_logloss_finalize(const struct quality_logloss *l, double *out, struct ferr *err)
{
    *out = NAN;
    if (!l->n)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "no labeled rows");
    *out = l->sum / (double)l->n;
    return 0;
}

/* ---- ROC AUC ---- */

static int by_score_desc(const void *a, const void *b)
{
    double x = ((const struct quality_auc_row *)a)->score;
    double y = ((const struct quality_auc_row *)b)->score;
    return x > y ? -1 : x < y;
}

int quality_auc_sort(struct quality_auc_row *rows, size_t n, struct ferr *err)
{
    for (size_t i = 0; i < n; i++)
        if (!isfinite(rows[i].score))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "score '%g' is not finite",
                            rows[i].score);
    qsort(rows, n, sizeof(*rows), by_score_desc);
    return 0;
}

/* Walks the ROC curve from (0, 0), one point per distinct score (the
 * rows of a tie move the curve together, a diagonal step), and sums
 * twice each trapezoid's area in whole counts: 2 * area * P * N = sum of
 * dFP * (TP_before + TP_after). Exact in 64 bits while P * N < 2^62,
 * i.e. up to 2^31 rows; one division at the end. */
double quality_auc_sorted(const struct quality_auc_row *rows, const uint32_t *weight, size_t n)
{
    uint64_t tp = 0, fp = 0, twice_area = 0;
    size_t i = 0;
    while (i < n) {
        uint64_t tp_before = tp, fp_before = fp;
        double s = rows[i].score;
        for (; i < n && rows[i].score == s; i++) {
            uint64_t w = weight ? weight[i] : 1;
            if (rows[i].positive)
                tp += w;
            else
                fp += w;
        }
        twice_area += (fp - fp_before) * (tp_before + tp);
    }
    if (!tp || !fp)
        return NAN;
    return (double)twice_area / (2.0 * (double)tp * (double)fp);
}

/* ---- Regression ---- */

void quality_moments_add(struct quality_moments *m, double x)
{
    m->n++;
    double d = x - m->mean;
    m->mean += d / (double)m->n;
    m->m2 += d * (x - m->mean);
}

void quality_moments_merge(struct quality_moments *into, const struct quality_moments *from)
{
    if (!from->n)
        return;
    if (!into->n) {
        *into = *from;
        return;
    }
    double na = (double)into->n, nb = (double)from->n, n = na + nb;
    double d = from->mean - into->mean;
    into->mean += d * nb / n;
    into->m2 += from->m2 + d * d * na * nb / n;
    into->n += from->n;
}

double quality_moments_var(const struct quality_moments *m)
{
    return m->n < 2 ? NAN : m->m2 / (double)(m->n - 1);
}

int quality_regression_add(struct quality_regression *r, double y_true, double y_pred,
                           struct ferr *err)
{
    if (!isfinite(y_true) || !isfinite(y_pred))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "value '%g' is not finite",
                        isfinite(y_true) ? y_pred : y_true);
    double e = y_true - y_pred;
    quality_moments_add(&r->y, y_true);
    quality_moments_add(&r->abs_err, fabs(e));
    quality_moments_add(&r->sq_err, e * e);
    return 0;
}

void quality_regression_merge(struct quality_regression *into,
                              const struct quality_regression *from)
{
    quality_moments_merge(&into->y, &from->y);
    quality_moments_merge(&into->abs_err, &from->abs_err);
    quality_moments_merge(&into->sq_err, &from->sq_err);
}

int quality_regression_finalize(const struct quality_regression *r, struct quality_reg_metrics *out,
                                struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!r->y.n)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "no labeled rows");
    double n = (double)r->y.n;
    double sse = r->sq_err.mean * n, sst = r->y.m2;
    out->n = r->y.n;
    out->rmse = sqrt(r->sq_err.mean);
    out->mae = r->abs_err.mean;
    if (r->y.n < 2)
        out->r2 = NAN;
    else if (sst == 0)
        out->r2 = sse == 0 ? 1 : 0;
    else
        out->r2 = 1 - sse / sst;
    return 0;
}

/* ---- Whole arrays ---- */

int quality_classification(const uint32_t *y_true, const uint32_t *y_pred, size_t n,
                           int64_t positive, struct quality_class_metrics *out, struct ferr *err)
{
    struct quality_confusion c = QUALITY_CONFUSION_INIT;
    for (size_t i = 0; i < n; i++)
        quality_confusion_add(&c, y_true[i], y_pred[i], 1);
    int rc = quality_confusion_finalize(&c, positive, out, err);
    quality_confusion_release(&c);
    return rc;
}

int quality_roc_auc(const double *score, const unsigned char *positive, size_t n, double *out,
                    struct ferr *err)
{
    *out = NAN;
    if (!n)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "no labeled rows");
    struct quality_auc_row *rows = xmalloc(n * sizeof(*rows));
    for (size_t i = 0; i < n; i++) {
        rows[i].score = score[i];
        rows[i].positive = positive[i] != 0;
    }
    int rc = quality_auc_sort(rows, n, err);
    if (!rc) {
        *out = quality_auc_sorted(rows, NULL, n);
        if (isnan(*out))
            rc = ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                          "only one class present in y_true: ROC AUC is not defined");
    }
    free(rows);
    return rc;
}

int quality_log_loss(const double *p, const unsigned char *positive, size_t n, double *out,
                     struct ferr *err)
{
    struct quality_logloss l = QUALITY_LOGLOSS_INIT;
    *out = NAN;
    for (size_t i = 0; i < n; i++)
        if (quality_logloss_add(&l, p[i], positive[i] != 0, err))
            return -1;
    return quality_logloss_finalize(&l, out, err);
}

int quality_regression(const double *y_true, const double *y_pred, size_t n,
                       struct quality_reg_metrics *out, struct ferr *err)
{
    struct quality_regression r = QUALITY_REGRESSION_INIT;
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++)
        if (quality_regression_add(&r, y_true[i], y_pred[i], err))
            return -1;
    return quality_regression_finalize(&r, out, err);
}
