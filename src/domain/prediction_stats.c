/* SPDX-License-Identifier: MIT
 * The prediction log's mergeable statistics (prediction_stats.h).
 *
 * Choices the header leaves open, made here:
 *  - A task not known when the stats are made (no spec task, no target
 *    task, no class names) is decided by the first row that adds a
 *    quality term: a text prediction or logged probabilities make a
 *    classifier, a number a regressor. Stats of unknown task carry no
 *    quality term, so they merge with either.
 *  - The positive class's probability is found by name in the target's
 *    classes; with no class names and two probabilities, the second is
 *    class "1"'s (sklearn's classes_ order for 0/1). Log loss and the AUC
 *    bins take rows with exactly two probabilities (binary): sklearn's
 *    log loss of more classes is another quantity.
 *  - The effective positive class is the task's, else "1"; the binary
 *    figures are left out when it never occurs as a label or prediction
 *    and was not named by the spec (a named one that never occurred
 *    scores 0, as quality_confusion_finalize does). */
#include "domain/prediction_stats.h"

#include "base/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* ---- the task ---- */

void pred_task_release(struct pred_task *t)
{
    if (!t)
        return;
    free(t->positive);
    memset(t, 0, sizeof(*t));
}

static enum pred_task_kind kind_of(const char *task)
{
    if (task && !strcmp(task, "classification"))
        return PRED_TASK_CLASSIFICATION;
    if (task && !strcmp(task, "regression"))
        return PRED_TASK_REGRESSION;
    return PRED_TASK_UNKNOWN;
}

static const char *kind_name(enum pred_task_kind k)
{
    return k == PRED_TASK_CLASSIFICATION ? "classification"
           : k == PRED_TASK_REGRESSION   ? "regression"
                                         : "unknown";
}

void pred_task_resolve(const char *spec_task, const json_t *spec_positive,
                       const struct pred_target *target, struct pred_task *out)
{
    memset(out, 0, sizeof(*out));
    out->kind = kind_of(spec_task);
    if (out->kind == PRED_TASK_UNKNOWN && target)
        out->kind = kind_of(target->task);
    if (out->kind == PRED_TASK_UNKNOWN && target && target->classes) {
        json_t *c = json_loads(target->classes, 0, NULL);
        if (json_is_array(c) && json_array_size(c) > 0)
            out->kind = PRED_TASK_CLASSIFICATION;
        json_decref(c);
    }
    if (spec_positive) {
        struct sbuf b = SBUF_INIT;
        if (!pred_label_text(&b, spec_positive))
            out->positive = sbuf_detach(&b, NULL);
        sbuf_release(&b);
    }
}

/* ---- the positive class's probability ---- */

static void cache_release(struct pred_class_cache *c)
{
    free(c->classes);
    free(c->positive);
    memset(c, 0, sizeof(*c));
}

static long find_positive(const char *classes, size_t nproba, const char *positive)
{
    json_t *c = json_loads(classes ? classes : "[]", 0, NULL);
    long idx = -1;
    if (json_is_array(c) && json_array_size(c) > 0) {
        for (size_t i = 0; i < json_array_size(c) && i < nproba; i++) {
            struct sbuf t = SBUF_INIT;
            if (!pred_label_text(&t, json_array_get(c, i)) && !strcmp(t.buf, positive))
                idx = (long)i;
            sbuf_release(&t);
            if (idx >= 0)
                break;
        }
    } else if (nproba == 2 && !strcmp(positive, "1")) {
        idx = 1;
    }
    json_decref(c);
    return idx;
}

static long positive_index(struct pred_class_cache *c, const char *classes, size_t nproba,
                           const char *positive)
{
    const char *cl = classes ? classes : "";
    if (c->classes && c->nproba == nproba && !strcmp(c->classes, cl) &&
        !strcmp(c->positive, positive))
        return c->index;
    cache_release(c);
    c->classes = xstrdup(cl);
    c->positive = xstrdup(positive);
    c->nproba = nproba;
    c->index = find_positive(classes, nproba, positive);
    return c->index;
}

/* ---- adding rows ---- */

void pred_stats_init(struct pred_stats *s, const struct pred_task *task)
{
    memset(s, 0, sizeof(*s));
    latency_hist_init(&s->latency);
    quality_labels_init(&s->classes);
    quality_confusion_init(&s->confusion);
    s->kind = task ? task->kind : PRED_TASK_UNKNOWN;
    if (task && task->positive) {
        s->positive = xstrdup(task->positive);
        (void)quality_labels_id(&s->classes, s->positive, strlen(s->positive));
    }
}

void pred_stats_release(struct pred_stats *s)
{
    if (!s)
        return;
    free(s->positive);
    quality_labels_release(&s->classes);
    quality_confusion_release(&s->confusion);
    cache_release(&s->cache);
    memset(s, 0, sizeof(*s));
}

static const char *effective_positive(const char *positive)
{
    return positive ? positive : "1";
}

static int succeeded(int status)
{
    return status >= 200 && status < 300;
}

static size_t auc_bin(double p)
{
    if (!(p > 0))
        return 0;
    if (p >= 1)
        return PRED_AUC_BINS - 1;
    size_t b = (size_t)(p * PRED_AUC_BINS);
    return b >= PRED_AUC_BINS ? PRED_AUC_BINS - 1 : b;
}

static int add_classification(struct pred_stats *s, const struct pred_row *r,
                              const struct pred_outputs *o)
{
    struct sbuf pred = SBUF_INIT;
    if (o->prediction_n < 1 || pred_label_text_value(&pred, &o->prediction[0])) {
        sbuf_release(&pred);
        return -1;
    }
    const char *pos = effective_positive(s->positive);
    double p = NAN;
    if (o->proba_n == 2) {
        long idx = positive_index(&s->cache, r->target.classes, o->proba_n, pos);
        if (idx >= 0)
            p = o->proba[idx];
    }
    uint32_t truth = quality_labels_id(&s->classes, r->label, strlen(r->label));
    uint32_t predicted = quality_labels_id(&s->classes, pred.buf, pred.len);
    sbuf_release(&pred);
    quality_confusion_add(&s->confusion, truth, predicted, 1);
    if (isfinite(p) && p >= 0 && p <= 1) {
        int is_pos = !strcmp(r->label, pos);
        struct ferr err = FERR_INIT;
        if (!quality_logloss_add(&s->logloss, p, is_pos, &err)) {
            size_t b = auc_bin(p);
            if (is_pos)
                s->auc_pos[b]++;
            else
                s->auc_neg[b]++;
        }
    }
    return 0;
}

static int add_regression(struct pred_stats *s, const struct pred_row *r,
                          const struct pred_outputs *o)
{
    if (o->prediction_n < 1 || o->prediction[0].kind != PV_NUMBER)
        return -1;
    char *end;
    double y = strtod(r->label, &end);
    if (!*r->label || *end || !isfinite(y))
        return -1;
    struct ferr err = FERR_INIT;
    return quality_regression_add(&s->reg, y, o->prediction[0].num, &err);
}

void pred_stats_add_row(struct pred_stats *s, const struct pred_row *r, int *skipped)
{
    if (skipped)
        *skipped = 0;
    s->count++;
    if (!succeeded(r->status))
        s->failed++;
    if (r->label)
        s->labeled++;
    if (r->row == 0)
        latency_hist_add(&s->latency, r->latency_us);
    if (!r->label || !succeeded(r->status))
        return;
    struct pred_outputs o;
    int bad = !r->outputs || pred_outputs_decode(r->outputs, r->noutputs, &o);
    if (!bad && s->kind == PRED_TASK_UNKNOWN && o.prediction_n >= 1) {
        if (o.proba_n > 0 || o.prediction[0].kind == PV_STRING)
            s->kind = PRED_TASK_CLASSIFICATION;
        else if (o.prediction[0].kind == PV_NUMBER)
            s->kind = PRED_TASK_REGRESSION;
    }
    if (!bad) {
        if (s->kind == PRED_TASK_CLASSIFICATION)
            bad = add_classification(s, r, &o);
        else if (s->kind == PRED_TASK_REGRESSION)
            bad = add_regression(s, r, &o);
        else
            bad = 1;
    }
    if (bad && skipped)
        *skipped = 1;
}

/* ---- merging ---- */

static int same_positive(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static void merge_quality(struct pred_stats *into, const struct pred_stats *from)
{
    if (into->kind == PRED_TASK_UNKNOWN)
        into->kind = from->kind;
    for (size_t i = 0; i < from->confusion.k && i < from->classes.n; i++) {
        const struct quality_class_counts *c = &from->confusion.c[i];
        if (!c->true_n && !c->pred_n)
            continue;
        const char *t = from->classes.text[i];
        quality_confusion_add_class(&into->confusion,
                                    quality_labels_id(&into->classes, t, strlen(t)), c);
    }
    quality_logloss_merge(&into->logloss, &from->logloss);
    for (size_t b = 0; b < PRED_AUC_BINS; b++) {
        into->auc_pos[b] += from->auc_pos[b];
        into->auc_neg[b] += from->auc_neg[b];
    }
    quality_regression_merge(&into->reg, &from->reg);
}

void pred_stats_merge(struct pred_stats *into, const struct pred_stats *from)
{
    into->count += from->count;
    into->failed += from->failed;
    into->labeled += from->labeled;
    latency_hist_merge(&into->latency, &from->latency);
    merge_quality(into, from);
}

static json_t *moments_json(const struct quality_moments *m)
{
    return json_pack("[I, f, f]", (json_int_t)m->n, m->mean, m->m2);
}

json_t *pred_stats_to_json(const struct pred_stats *s)
{
    json_t *o = json_pack("{s:i, s:s}", "v", 1, "task", kind_name(s->kind));
    if (s->positive)
        json_object_set_new(o, "positive", json_string(s->positive));
    if (s->confusion.n) {
        json_t *a = json_array();
        for (size_t i = 0; i < s->confusion.k && i < s->classes.n; i++) {
            const struct quality_class_counts *c = &s->confusion.c[i];
            if (!c->true_n && !c->pred_n)
                continue;
            json_t *t = json_string(s->classes.text[i]);
            if (!t)
                continue; /* not UTF-8: cannot be stored as JSON text */
            json_array_append_new(a, json_pack("[o, I, I, I]", t, (json_int_t)c->tp,
                                               (json_int_t)c->true_n, (json_int_t)c->pred_n));
        }
        json_object_set_new(o, "classes", a);
    }
    if (s->logloss.n)
        json_object_set_new(o, "logloss",
                            json_pack("[I, f]", (json_int_t)s->logloss.n, s->logloss.sum));
    json_t *auc = NULL;
    for (size_t b = 0; b < PRED_AUC_BINS; b++) {
        if (!s->auc_pos[b] && !s->auc_neg[b])
            continue;
        if (!auc)
            auc = json_array();
        json_array_append_new(auc, json_pack("[I, I, I]", (json_int_t)b, (json_int_t)s->auc_pos[b],
                                             (json_int_t)s->auc_neg[b]));
    }
    if (auc)
        json_object_set_new(o, "auc", auc);
    if (s->reg.y.n)
        json_object_set_new(o, "reg",
                            json_pack("[o, o, o]", moments_json(&s->reg.y),
                                      moments_json(&s->reg.abs_err), moments_json(&s->reg.sq_err)));
    return o;
}

static int bad_stats(struct ferr *err, const char *what)
{
    return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "malformed prediction statistics: %s", what);
}

static int u64_at(const json_t *a, size_t i, uint64_t *out)
{
    const json_t *v = json_array_get(a, i);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int num_at(const json_t *a, size_t i, double *out)
{
    const json_t *v = json_array_get(a, i);
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return isfinite(*out) ? 0 : -1;
}

static int moments_from(const json_t *a, struct quality_moments *m)
{
    uint64_t n;
    if (!json_is_array(a) || json_array_size(a) != 3 || u64_at(a, 0, &n) ||
        num_at(a, 1, &m->mean) || num_at(a, 2, &m->m2))
        return -1;
    m->n = n;
    return 0;
}

/* Reads the stored form into a scratch pred_stats (so a malformed text
 * changes nothing), then merges it. */
static int parse_stats(struct pred_stats *t, const json_t *j, struct ferr *err)
{
    const json_t *v = json_object_get(j, "v");
    if (!json_is_object(j) || !json_is_integer(v) || json_integer_value(v) != 1)
        return bad_stats(err, "not a version 1 object");
    const json_t *task = json_object_get(j, "task");
    if (!json_is_string(task))
        return bad_stats(err, "no task");
    t->kind = kind_of(json_string_value(task));
    const json_t *pos = json_object_get(j, "positive");
    if (pos && !json_is_string(pos))
        return bad_stats(err, "positive is not text");
    t->positive = pos ? xstrdup(json_string_value(pos)) : NULL;
    const json_t *classes = json_object_get(j, "classes");
    if (classes) {
        if (!json_is_array(classes))
            return bad_stats(err, "classes");
        size_t i;
        const json_t *row;
        json_array_foreach(classes, i, row)
        {
            struct quality_class_counts c;
            const json_t *label = json_array_get(row, 0);
            if (!json_is_array(row) || json_array_size(row) != 4 || !json_is_string(label) ||
                u64_at(row, 1, &c.tp) || u64_at(row, 2, &c.true_n) || u64_at(row, 3, &c.pred_n) ||
                c.tp > c.true_n || c.tp > c.pred_n)
                return bad_stats(err, "a class row");
            uint32_t id =
                quality_labels_id(&t->classes, json_string_value(label), json_string_length(label));
            quality_confusion_add_class(&t->confusion, id, &c);
        }
    }
    const json_t *ll = json_object_get(j, "logloss");
    if (ll) {
        if (!json_is_array(ll) || json_array_size(ll) != 2 || u64_at(ll, 0, &t->logloss.n) ||
            num_at(ll, 1, &t->logloss.sum))
            return bad_stats(err, "logloss");
    }
    const json_t *auc = json_object_get(j, "auc");
    if (auc) {
        if (!json_is_array(auc))
            return bad_stats(err, "auc");
        size_t i;
        const json_t *row;
        json_array_foreach(auc, i, row)
        {
            uint64_t b, p, n;
            if (!json_is_array(row) || json_array_size(row) != 3 || u64_at(row, 0, &b) ||
                u64_at(row, 1, &p) || u64_at(row, 2, &n) || b >= PRED_AUC_BINS)
                return bad_stats(err, "an auc bin");
            t->auc_pos[b] += p;
            t->auc_neg[b] += n;
        }
    }
    const json_t *reg = json_object_get(j, "reg");
    if (reg) {
        if (!json_is_array(reg) || json_array_size(reg) != 3 ||
            moments_from(json_array_get(reg, 0), &t->reg.y) ||
            moments_from(json_array_get(reg, 1), &t->reg.abs_err) ||
            moments_from(json_array_get(reg, 2), &t->reg.sq_err))
            return bad_stats(err, "reg");
    }
    return 0;
}

int pred_stats_json_fits(const struct pred_stats *into, const char *stats)
{
    if (!stats || !*stats)
        return 1;
    struct pred_stats t;
    struct ferr err = FERR_INIT;
    pred_stats_init(&t, NULL);
    json_t *j = json_loads(stats, 0, NULL);
    /* a malformed one "fits": the merge then says what is wrong with it */
    int fits = !j || parse_stats(&t, j, &err) ||
               !((t.confusion.n || t.logloss.n || t.reg.y.n) &&
                 ((into->kind != PRED_TASK_UNKNOWN && t.kind != into->kind) ||
                  !same_positive(into->positive, t.positive)));
    json_decref(j);
    pred_stats_release(&t);
    return fits;
}

int pred_stats_merge_json(struct pred_stats *into, int64_t count, int64_t failed, int64_t labeled,
                          const char *latency, const char *stats, struct ferr *err)
{
    struct latency_hist h;
    if (latency && *latency) {
        if (latency_hist_decode(latency, strlen(latency), &h, err))
            return -1;
    } else {
        latency_hist_init(&h);
    }
    struct pred_stats t;
    pred_stats_init(&t, NULL);
    if (stats && *stats) {
        json_error_t je;
        json_t *j = json_loads(stats, 0, &je);
        int rc = j ? parse_stats(&t, j, err) : bad_stats(err, je.text);
        json_decref(j);
        if (rc) {
            pred_stats_release(&t);
            return -1;
        }
    }
    int has_quality = t.confusion.n || t.logloss.n || t.reg.y.n;
    if (has_quality && ((into->kind != PRED_TASK_UNKNOWN && t.kind != into->kind) ||
                        !same_positive(into->positive, t.positive))) {
        ferr_set(err, FERR_INVALID_STATE,
                 "statistics built as %s (positive '%s') cannot join %s (positive '%s')",
                 kind_name(t.kind), t.positive ? t.positive : "", kind_name(into->kind),
                 into->positive ? into->positive : "");
        pred_stats_release(&t);
        return -1;
    }
    into->count += count;
    into->failed += failed;
    into->labeled += labeled;
    latency_hist_merge(&into->latency, &h);
    if (has_quality)
        merge_quality(into, &t);
    pred_stats_release(&t);
    return 0;
}

/* ---- figures ---- */

static void set_num(json_t *o, const char *k, double v)
{
    if (isfinite(v))
        json_object_set_new(o, k, json_real(v));
}

/* The trapezoid AUC of the bins: each bin one score, higher bins first. */
static double bins_auc(const struct pred_stats *s)
{
    struct quality_auc_row rows[2 * PRED_AUC_BINS];
    uint32_t w[2 * PRED_AUC_BINS];
    size_t n = 0;
    for (size_t b = PRED_AUC_BINS; b-- > 0;) {
        if (s->auc_pos[b]) {
            rows[n] = (struct quality_auc_row){(double)b, 1};
            w[n++] = (uint32_t)(s->auc_pos[b] > UINT32_MAX ? UINT32_MAX : s->auc_pos[b]);
        }
        if (s->auc_neg[b]) {
            rows[n] = (struct quality_auc_row){(double)b, 0};
            w[n++] = (uint32_t)(s->auc_neg[b] > UINT32_MAX ? UINT32_MAX : s->auc_neg[b]);
        }
    }
    return quality_auc_sorted(rows, w, n);
}

json_t *pred_stats_metrics(const struct pred_stats *s)
{
    json_t *o = json_object();
    struct ferr err = FERR_INIT;
    if (s->kind == PRED_TASK_CLASSIFICATION && s->confusion.n) {
        const char *pos = effective_positive(s->positive);
        int64_t id = quality_labels_find(&s->classes, pos, strlen(pos));
        struct quality_class_metrics m;
        if (!quality_confusion_finalize(&s->confusion, id, &m, &err)) {
            set_num(o, "accuracy", m.accuracy);
            set_num(o, "precision", m.precision);
            set_num(o, "recall", m.recall);
            set_num(o, "f1", m.f1);
            set_num(o, "precision_macro", m.precision_macro);
            set_num(o, "recall_macro", m.recall_macro);
            set_num(o, "f1_macro", m.f1_macro);
        }
        set_num(o, "roc_auc", bins_auc(s));
        double ll;
        if (s->logloss.n && !quality_logloss_finalize(&s->logloss, &ll, &err))
            set_num(o, "log_loss", ll);
    } else if (s->kind == PRED_TASK_REGRESSION && s->reg.y.n) {
        struct quality_reg_metrics m;
        if (!quality_regression_finalize(&s->reg, &m, &err)) {
            set_num(o, "rmse", m.rmse);
            set_num(o, "mae", m.mae);
            set_num(o, "r2", m.r2);
        }
    }
    return o;
}

json_t *pred_stats_figures(const struct pred_stats *s)
{
    json_t *o = json_object();
    uint64_t requests = latency_hist_count(&s->latency);
    json_object_set_new(o, "requests", json_integer((json_int_t)requests));
    json_object_set_new(o, "error_rate",
                        json_real(s->count ? (double)s->failed / (double)s->count : 0));
    if (requests) {
        set_num(o, "p50_ms", latency_hist_quantile(&s->latency, 0.5) / 1000.0);
        set_num(o, "p95_ms", latency_hist_quantile(&s->latency, 0.95) / 1000.0);
        set_num(o, "p99_ms", latency_hist_quantile(&s->latency, 0.99) / 1000.0);
    }
    return o;
}

/* ---- rows for the exact AUC ---- */

void pred_auc_rows_add(struct pred_auc_rows *a, const struct pred_row *r,
                       const struct pred_task *task)
{
    if (!r->label || !succeeded(r->status) || !r->outputs)
        return;
    struct pred_outputs o;
    if (pred_outputs_decode(r->outputs, r->noutputs, &o) || o.proba_n != 2)
        return;
    const char *pos = effective_positive(task ? task->positive : NULL);
    long idx = positive_index(&a->cache, r->target.classes, o.proba_n, pos);
    if (idx < 0 || !isfinite(o.proba[idx]) || o.proba[idx] < 0 || o.proba[idx] > 1)
        return;
    ALLOC_GROW(a->v, a->n + 1, a->alloc);
    a->v[a->n].score = o.proba[idx];
    a->v[a->n].positive = !strcmp(r->label, pos);
    a->n++;
}

void pred_auc_rows_release(struct pred_auc_rows *a)
{
    if (!a)
        return;
    free(a->v);
    cache_release(&a->cache);
    memset(a, 0, sizeof(*a));
}
