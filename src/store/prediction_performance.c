/* SPDX-License-Identifier: MIT
 * A deployment's quality per target (prediction_performance.h): the
 * window's statistics gathered per target, bucket and slice, from the
 * hourly aggregates or the rows, then the answer and its A/B part. */
#include "store/prediction_performance.h"
#include "base/ftime.h"
#include "base/json.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "domain/ab_test.h"
#include "domain/deployment.h"
#include "store/deployments.h"
#include "store/predictions.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* Distinct slice values followed per target; rows of further values are
 * only counted (a continuous column must not cost a statistics block per
 * row). */
#define SLICE_TRACK 1000
#define AB_ALPHA    0.05

enum slice_kind { SLICE_NONE, SLICE_TAG, SLICE_COLUMN };

/* The statistics of one target, bucket or slice. */
struct group {
    int used;
    struct pred_stats st;
    struct pred_auc_rows auc; /* exact mode */
};

struct slice_entry {
    char *value;
    struct group g;
};

struct target {
    char *name;
    int64_t version;
    int shadow;
    char *label; /* "name/version" */
    int inited;  /* task resolved (at its first row or hour) */
    struct pred_task task;
    struct group total;
    struct group *buckets; /* [nbuckets] */
    struct slice_entry *slices;
    size_t nslices, aslices;
    int64_t slices_other;
    /* exact mode: each labeled row's classes, for the F1 bootstrap */
    struct quality_labels dict;
    uint32_t *truth, *pred;
    size_t nlab, alab;
    /* exact mode, column slices: where the column is in the last
     * dictionary entry seen */
    char *cols_seen;
    int64_t col_index;
    /* the bootstrap intervals, once computed */
    int f1_done, auc_done;
    struct ab_bootstrap f1_boot, auc_boot;
    int f1_ok, auc_ok;
    uint32_t f1_resamples, auc_resamples; /* as drawn (boot_opts) */
};

struct perf {
    const struct perf_query *q;
    int exact;
    int64_t start, end; /* the window used */
    int64_t bucket_ms;  /* 0: none */
    int64_t origin;     /* the first bucket's start */
    size_t nbuckets;
    enum slice_kind slice;
    const char *slice_name; /* the tag's key or the column's name */
    const char *spec_task;
    json_t *spec_positive;
    struct target **t;
    size_t nt, at;
    struct target *last; /* the last row's target (rows come in runs) */
    int want_rows;       /* keep what needs the rows: exact AUC, the F1 bootstrap */
    struct sbuf scratch;
};

static const char *task_name(enum pred_task_kind k)
{
    return k == PRED_TASK_CLASSIFICATION ? "classification"
           : k == PRED_TASK_REGRESSION   ? "regression"
                                         : "unknown";
}

/* A number, or null when it is not finite. */
static json_t *num(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

static json_t *interval(double lo, double hi)
{
    return json_pack("[o, o]", num(lo), num(hi));
}

/* ---------- groups and targets ---------- */

static void group_init(struct group *g, const struct pred_task *task)
{
    pred_stats_init(&g->st, task);
    memset(&g->auc, 0, sizeof(g->auc));
    g->used = 1;
}

static void group_release(struct group *g)
{
    if (!g->used)
        return;
    pred_stats_release(&g->st);
    pred_auc_rows_release(&g->auc);
    g->used = 0;
}

static void target_free(struct target *t, size_t nbuckets)
{
    if (!t)
        return;
    group_release(&t->total);
    for (size_t i = 0; t->buckets && i < nbuckets; i++)
        group_release(&t->buckets[i]);
    free(t->buckets);
    for (size_t i = 0; i < t->nslices; i++) {
        free(t->slices[i].value);
        group_release(&t->slices[i].g);
    }
    free(t->slices);
    quality_labels_release(&t->dict);
    free(t->truth);
    free(t->pred);
    free(t->cols_seen);
    pred_task_release(&t->task);
    free(t->name);
    free(t->label);
    free(t);
}

static struct target *target_add(struct perf *p, const char *name, int64_t version, int shadow)
{
    struct target *t = xcalloc(1, sizeof(*t));
    struct sbuf b = SBUF_INIT;
    t->name = xstrdup(name ? name : "");
    t->version = version;
    t->shadow = shadow;
    sbuf_addf(&b, "%s/%" PRId64, t->name, version);
    t->label = sbuf_detach(&b, NULL);
    t->col_index = -1;
    quality_labels_init(&t->dict);
    if (p->nt == p->at) {
        p->at = p->at ? 2 * p->at : 8;
        p->t = xrealloc(p->t, p->at * sizeof(*p->t));
    }
    p->t[p->nt++] = t;
    return t;
}

static struct target *target_find(struct perf *p, const struct pred_target *pt)
{
    const char *name = pt->model ? pt->model : "";
    struct target *l = p->last;
    if (l && l->version == pt->version && l->shadow == !!pt->shadow && !strcmp(l->name, name))
        return l;
    for (size_t i = 0; i < p->nt; i++) {
        struct target *t = p->t[i];
        if (t->version == pt->version && t->shadow == !!pt->shadow && !strcmp(t->name, name))
            return p->last = t;
    }
    return p->last = target_add(p, name, pt->version, !!pt->shadow);
}

/* The target's task, from the spec and the first dictionary entry seen. */
static void target_init(struct perf *p, struct target *t, const struct pred_target *pt)
{
    if (t->inited)
        return;
    pred_task_resolve(p->spec_task, p->spec_positive, pt, &t->task);
    group_init(&t->total, &t->task);
    if (p->nbuckets)
        t->buckets = xcalloc(p->nbuckets, sizeof(*t->buckets));
    t->inited = 1;
}

static struct group *bucket_of(struct perf *p, struct target *t, int64_t ms)
{
    if (!p->nbuckets || ms < p->origin)
        return NULL;
    uint64_t i = (uint64_t)(ms - p->origin) / (uint64_t)p->bucket_ms;
    if (i >= p->nbuckets)
        return NULL;
    struct group *g = &t->buckets[i];
    if (!g->used)
        group_init(g, &t->task);
    return g;
}

/* The slice of value (len bytes); NULL when past SLICE_TRACK (counted). */
static struct group *slice_of(struct target *t, const char *value, size_t len)
{
    for (size_t i = 0; i < t->nslices; i++)
        if (strlen(t->slices[i].value) == len && !memcmp(t->slices[i].value, value, len))
            return &t->slices[i].g;
    if (t->nslices == SLICE_TRACK)
        return NULL;
    if (t->nslices == t->aslices) {
        t->aslices = t->aslices ? 2 * t->aslices : 8;
        t->slices = xrealloc(t->slices, t->aslices * sizeof(*t->slices));
    }
    struct slice_entry *e = &t->slices[t->nslices++];
    e->value = xstrndup(value, len);
    memset(&e->g, 0, sizeof(e->g));
    group_init(&e->g, &t->task);
    return &e->g;
}

/* ---------- the window ---------- */

static int64_t floor_to(int64_t v, int64_t unit)
{
    int64_t r = v % unit;
    return r < 0 ? v - r - unit : v - r;
}

static int setup(struct perf *p, const struct perf_query *q, struct ferr *err)
{
    memset(p, 0, sizeof(*p));
    p->q = q;
    p->exact = q->exact;
    p->end = q->end_ms ? q->end_ms : ftime_now_ms();
    p->start = q->start_ms ? q->start_ms : p->end - PERF_DEFAULT_WINDOW;
    /* the log's times are a UUIDv7's 48 bits of ms: larger ones name no
     * row and would overflow the rounding below */
    if (q->start_ms < 0 || q->end_ms < 0 || p->start < 0 || p->end > ((int64_t)1 << 48))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid time range: times are ms since the epoch, 0 to 2^48");
    if (p->start >= p->end)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid time range: start_time %" PRId64
                        " is not before end_time %" PRId64,
                        p->start, p->end);
    if (!p->exact) {
        /* the aggregates are whole hours */
        p->start = floor_to(p->start, PERF_HOUR_MS);
        p->end = floor_to(p->end + PERF_HOUR_MS - 1, PERF_HOUR_MS);
    }
    if (q->bucket_ms < 0 || (q->bucket_ms && q->bucket_ms < 1000))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'bucket': expected 1s or more");
    if (q->bucket_ms && !p->exact && q->bucket_ms % PERF_HOUR_MS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'bucket': the hourly aggregates give whole "
                        "hours only (1h, 6h, 1d, ...); ask exact=true for finer buckets");
    if (q->bucket_ms) {
        p->bucket_ms = q->bucket_ms;
        p->origin = floor_to(p->start, p->bucket_ms);
        uint64_t n =
            ((uint64_t)(p->end - p->origin) + (uint64_t)p->bucket_ms - 1) / (uint64_t)p->bucket_ms;
        if (n > PERF_MAX_BUCKETS)
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid value for parameter 'bucket': the window makes %" PRIu64
                            " buckets, at most %d",
                            n, PERF_MAX_BUCKETS);
        p->nbuckets = (size_t)n;
    }
    if (q->slice && *q->slice) {
        if (!strncmp(q->slice, "tag:", 4) && q->slice[4]) {
            p->slice = SLICE_TAG;
            p->slice_name = q->slice + 4;
        } else if (!strncmp(q->slice, "column:", 7) && q->slice[7]) {
            p->slice = SLICE_COLUMN;
            p->slice_name = q->slice + 7;
            if (!p->exact)
                return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                                "invalid value for parameter 'slice': slices by an input column "
                                "need the rows; ask exact=true");
        } else {
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "invalid value for parameter 'slice': expected tag:<key> or "
                            "column:<name>, not '%.100s'",
                            q->slice);
        }
    }
    if (q->resamples < -1 || q->resamples > 100000)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'resamples': expected -1 (none) to 100000");
    return 0;
}

static void perf_release(struct perf *p)
{
    for (size_t i = 0; i < p->nt; i++)
        target_free(p->t[i], p->nbuckets);
    free(p->t);
    sbuf_release(&p->scratch);
}

/* A deployment that no longer exists is known while rows of it are logged. */
static int logged_deployment(struct store *s, const char *name, struct ferr *err)
{
    char **names = NULL;
    size_t n = 0;
    int found = 0;
    if (store_predictions_deployments(s, &names, &n, err))
        return -1;
    for (size_t i = 0; i < n; i++) {
        found |= !strcmp(names[i], name);
        free(names[i]);
    }
    free(names);
    return found
               ? 0
               : ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "Deployment '%.200s' not found", name);
}

/* The deployment's spec: its task, positive class and targets' order.
 * A deployment that no longer exists but has logged rows is answered
 * without (tasks inferred). */
static int load_spec(struct store *s, struct perf *p, const char *name, struct deployment *d,
                     int *have, struct ferr *err)
{
    struct ferr gerr = FERR_INIT;
    *have = 0;
    if (!name || !*name)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Missing value for required parameter 'name'");
    if (!store_deployment_get(s, name, d, &gerr)) {
        *have = 1;
        p->spec_task = d->spec.task;
        p->spec_positive = d->spec.positive_label;
        for (size_t i = 0; i < d->spec.ntargets; i++)
            target_add(p, d->spec.targets[i].name, d->spec.targets[i].version, 0);
        for (size_t i = 0; i < d->spec.nshadows; i++)
            target_add(p, d->spec.shadows[i].name, d->spec.shadows[i].version, 1);
        return 0;
    }
    if (gerr.code != FERR_RESOURCE_DOES_NOT_EXIST) {
        *err = gerr;
        return -1;
    }
    return logged_deployment(s, name, err);
}

int store_prediction_deployment_known(struct store *s, const char *name, struct ferr *err)
{
    struct deployment d;
    struct ferr gerr = FERR_INIT;
    if (!name || !*name)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the deployment's name");
    if (!store_deployment_get(s, name, &d, &gerr)) {
        deployment_release(&d);
        return 0;
    }
    if (gerr.code != FERR_RESOURCE_DOES_NOT_EXIST) {
        *err = gerr;
        return -1;
    }
    return logged_deployment(s, name, err);
}

/* ---------- from the hourly aggregates ---------- */

static int merge_hour(struct group *g, const struct pred_hour *h, struct ferr *err)
{
    return pred_stats_merge_json(&g->st, h->count, h->failed, h->labeled, h->latency, h->stats,
                                 err);
}

static int on_row(void *arg, const struct pred_row *r, struct ferr *err);

static int hour_listed(const int64_t *v, size_t n, int64_t hour)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] == hour)
            return 1;
    return 0;
}

/* An hour whose stored statistics were built with another task or
 * positive class than the spec now names (the spec changed since) is read
 * from its rows instead, whole: its aggregates are left out. */
static int gather_hours(struct store *s, struct perf *p, struct ferr *err)
{
    struct pred_hour_list hours = {NULL, 0, 0};
    if (store_prediction_hours(s, p->q->deployment, p->start, p->end, &hours, err))
        return -1;
    int64_t *stale = NULL;
    size_t nstale = 0;
    for (size_t i = 0; i < hours.n; i++) {
        const struct pred_hour *h = &hours.v[i];
        struct target *t = target_find(p, &h->target);
        target_init(p, t, &h->target);
        /* a slice's statistics were built with its target's: the whole
         * target's row tells for the hour */
        if ((!h->slice_key || !*h->slice_key) && !hour_listed(stale, nstale, h->hour_ms) &&
            !pred_stats_json_fits(&t->total.st, h->stats)) {
            stale = xrealloc(stale, (nstale + 1) * sizeof(*stale));
            stale[nstale++] = h->hour_ms;
        }
    }
    int rc = 0;
    for (size_t i = 0; i < hours.n && !rc; i++) {
        const struct pred_hour *h = &hours.v[i];
        if (hour_listed(stale, nstale, h->hour_ms))
            continue;
        struct target *t = target_find(p, &h->target);
        if (!h->slice_key || !*h->slice_key) {
            /* into its bucket only: the total is the buckets' sum (fold_buckets) */
            struct group *b = bucket_of(p, t, h->hour_ms);
            rc = merge_hour(b ? b : &t->total, h, err);
        } else if (p->slice == SLICE_TAG && !strncmp(h->slice_key, "tag:", 4) &&
                   !strcmp(h->slice_key + 4, p->slice_name)) {
            const char *v = h->slice_value ? h->slice_value : "";
            struct group *g = slice_of(t, v, strlen(v));
            if (g)
                rc = merge_hour(g, h, err);
            else
                t->slices_other += h->count;
        }
    }
    pred_hour_list_release(&hours);
    for (size_t i = 0; i < nstale && !rc; i++) {
        int64_t a = stale[i] > p->start ? stale[i] : p->start;
        int64_t b = stale[i] + PERF_HOUR_MS < p->end ? stale[i] + PERF_HOUR_MS : p->end;
        rc = store_predictions_scan(s, p->q->deployment, a, b, on_row, p, err);
    }
    free(stale);
    return rc;
}

/* ---------- from the rows ---------- */

/* The value of tag key in "k=v,k=v"; -1 when absent. */
static int tag_value(const char *tags, const char *key, const char **v, size_t *len)
{
    size_t klen = strlen(key);
    const char *p = tags;
    while (p && *p) {
        size_t n = strcspn(p, ",");
        if (n > klen && p[klen] == '=' && !memcmp(p, key, klen)) {
            *v = p + klen + 1;
            *len = n - klen - 1;
            return 0;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return -1;
}

/* Where the column is in this dictionary entry's columns (cached while the
 * entry's column list stays the same). */
static int64_t column_index(struct target *t, const char *columns, const char *name)
{
    if (!columns)
        return -1;
    if (t->cols_seen && !strcmp(t->cols_seen, columns))
        return t->col_index;
    free(t->cols_seen);
    t->cols_seen = xstrdup(columns);
    t->col_index = -1;
    json_t *a = json_loads(columns, 0, NULL), *it;
    size_t i;
    json_array_foreach(a, i, it)
    {
        if (json_is_string(it) && !strcmp(json_string_value(it), name)) {
            t->col_index = (int64_t)i;
            break;
        }
    }
    json_decref(a);
    return t->col_index;
}

/* The row's value of the sliced column as text, into p->scratch; -1 when
 * the row has no such column (or its inputs do not decode). */
static int column_value(struct perf *p, struct target *t, const struct pred_row *r)
{
    int64_t idx = column_index(t, r->target.columns, p->slice_name);
    struct pred_reader rd = {r->inputs, r->inputs + r->ninputs};
    uint64_t n;
    struct pred_value v;
    if (idx < 0 || !r->inputs || pred_dec_count(&rd, &n) || (uint64_t)idx >= n)
        return -1;
    for (int64_t i = 0; i <= idx; i++)
        if (pred_dec_value(&rd, &v))
            return -1;
    sbuf_reset(&p->scratch);
    if (v.kind == PV_NULL) {
        sbuf_addstr(&p->scratch, "null");
        return 0;
    }
    if (v.kind == PV_HASH) {
        sbuf_addf(&p->scratch, "hash:%016" PRIx64, v.hash);
        return 0;
    }
    return pred_label_text_value(&p->scratch, &v);
}

static void add_row(struct perf *p, struct group *g, const struct pred_row *r,
                    const struct pred_task *task)
{
    pred_stats_add_row(&g->st, r, NULL);
    if (p->want_rows)
        pred_auc_rows_add(&g->auc, r, task);
}

/* A labeled row's true and predicted classes, kept for the F1 bootstrap. */
static void keep_classes(struct target *t, const struct pred_row *r, struct sbuf *b)
{
    struct pred_outputs out;
    if (!r->label || !r->outputs || pred_outputs_decode(r->outputs, r->noutputs, &out) ||
        !out.prediction_n)
        return;
    sbuf_reset(b);
    if (pred_label_text_value(b, &out.prediction[0]))
        return;
    uint32_t pred = quality_labels_id(&t->dict, b->buf, b->len);
    uint32_t truth = quality_labels_id(&t->dict, r->label, strlen(r->label));
    if (t->nlab == t->alab) {
        t->alab = t->alab ? 2 * t->alab : 1024;
        t->truth = xrealloc(t->truth, t->alab * sizeof(*t->truth));
        t->pred = xrealloc(t->pred, t->alab * sizeof(*t->pred));
    }
    t->truth[t->nlab] = truth;
    t->pred[t->nlab] = pred;
    t->nlab++;
}

static int on_row(void *arg, const struct pred_row *r, struct ferr *err)
{
    (void)err;
    struct perf *p = arg;
    struct target *t = target_find(p, &r->target);
    target_init(p, t, &r->target);
    /* into its bucket only: the total is the buckets' sum (fold_buckets),
     * so a row is decoded and added once */
    struct group *g = bucket_of(p, t, r->time_ms);
    if (!g)
        g = &t->total;
    uint64_t before = g->st.confusion.n;
    add_row(p, g, r, &t->task);
    /* a classifier's row that added a quality term: its classes, for F1 */
    if (p->want_rows && g->st.confusion.n > before)
        keep_classes(t, r, &p->scratch);
    if (p->slice != SLICE_NONE) {
        const char *v = NULL;
        size_t len = 0;
        int have = -1;
        if (p->slice == SLICE_TAG) {
            have = r->tags ? tag_value(r->tags, p->slice_name, &v, &len) : -1;
        } else if (!column_value(p, t, r)) {
            have = 0;
            v = p->scratch.buf;
            len = p->scratch.len;
        }
        if (!have) {
            struct group *sg = slice_of(t, v, len);
            if (sg)
                add_row(p, sg, r, &t->task);
            else
                t->slices_other++;
        }
    }
    return 0;
}

static int gather_rows(struct store *s, struct perf *p, struct ferr *err)
{
    return store_predictions_scan(s, p->q->deployment, p->start, p->end, on_row, p, err);
}

/* Each target's total: its buckets added up, their AUC rows appended in
 * bucket order (which is the log's order: the bootstrap draws over it). */
static void fold_buckets(struct perf *p)
{
    for (size_t i = 0; i < p->nt; i++) {
        struct target *t = p->t[i];
        for (size_t k = 0; t->buckets && k < p->nbuckets; k++) {
            struct group *b = &t->buckets[k];
            if (!b->used)
                continue;
            pred_stats_merge(&t->total.st, &b->st);
            if (!b->auc.n)
                continue;
            struct pred_auc_rows *a = &t->total.auc;
            ALLOC_GROW(a->v, a->n + b->auc.n, a->alloc);
            memcpy(a->v + a->n, b->auc.v, b->auc.n * sizeof(*a->v));
            a->n += b->auc.n;
        }
    }
}

/* ---------- figures ---------- */

/* The positive class the statistics use: the task's, else "1" when it
 * occurred; NULL: none. */
static const char *positive_of(const struct pred_stats *st)
{
    if (st->positive && *st->positive)
        return st->positive;
    return quality_labels_find(&st->classes, "1", 1) >= 0 ? "1" : NULL;
}

static uint64_t correct_of(const struct pred_stats *st)
{
    uint64_t x = 0;
    for (size_t i = 0; i < st->confusion.k; i++)
        x += st->confusion.c[i].tp;
    return x;
}

/* The positive class's counts (all 0 when it did not occur). */
static struct quality_class_counts positive_counts(const struct pred_stats *st)
{
    struct quality_class_counts c = {0, 0, 0};
    const char *pos = positive_of(st);
    int64_t id = pos ? quality_labels_find(&st->classes, pos, strlen(pos)) : -1;
    if (id >= 0 && (size_t)id < st->confusion.k)
        c = st->confusion.c[id];
    return c;
}

/* Exact mode: the exact ROC AUC of the rows (NAN: one class only). A
 * copy is sorted: the bootstrap draws over the rows in the log's order. */
static double exact_auc(const struct pred_auc_rows *a)
{
    struct ferr err = FERR_INIT;
    if (!a->n)
        return NAN;
    struct quality_auc_row *v = xmalloc(a->n * sizeof(*v));
    memcpy(v, a->v, a->n * sizeof(*v));
    double auc = quality_auc_sort(v, a->n, &err) ? NAN : quality_auc_sorted(v, NULL, a->n);
    free(v);
    return auc;
}

static json_t *metrics_of(struct perf *p, struct group *g)
{
    json_t *m = pred_stats_metrics(&g->st);
    if (!m)
        m = json_object();
    if (p->exact && g->st.kind == PRED_TASK_CLASSIFICATION) {
        double auc = exact_auc(&g->auc);
        if (isfinite(auc))
            json_object_set_new(m, "roc_auc", json_real(auc));
        else
            json_object_del(m, "roc_auc");
    }
    return m;
}

static json_t *group_json(struct perf *p, struct group *g)
{
    json_t *o = json_object();
    json_object_set_new(o, "count", json_integer(g->used ? g->st.count : 0));
    json_object_set_new(o, "labeled", json_integer(g->used ? g->st.labeled : 0));
    if (!g->used) {
        json_object_set_new(o, "metrics", json_object());
        return o;
    }
    if (g->st.kind == PRED_TASK_CLASSIFICATION) {
        /* scored: the labeled rows of answered requests, correct's denominator */
        json_object_set_new(o, "scored", json_integer((json_int_t)g->st.confusion.n));
        json_object_set_new(o, "correct", json_integer((json_int_t)correct_of(&g->st)));
    }
    json_object_set_new(o, "metrics", metrics_of(p, g));
    json_t *f = pred_stats_figures(&g->st);
    json_object_set_new(o, "figures", f ? f : json_object());
    return o;
}

static int by_count_desc(const void *a, const void *b)
{
    const struct slice_entry *x = a, *y = b;
    int64_t cx = x->g.st.count, cy = y->g.st.count;
    if (cx != cy)
        return cx > cy ? -1 : 1;
    return strcmp(x->value, y->value);
}

static json_t *target_json(struct perf *p, struct target *t)
{
    json_t *o = group_json(p, &t->total);
    json_object_set_new(o, "model", json_string(t->label));
    json_object_set_new(o, "shadow", json_boolean(t->shadow));
    json_object_set_new(o, "task",
                        json_string(task_name(t->inited ? t->total.st.kind : PRED_TASK_UNKNOWN)));
    const char *pos = t->inited ? positive_of(&t->total.st) : NULL;
    if (pos && t->total.st.kind == PRED_TASK_CLASSIFICATION)
        json_object_set_new(o, "positive", json_string(pos));
    if (p->nbuckets) {
        json_t *a = json_array();
        for (size_t i = 0; t->buckets && i < p->nbuckets; i++) {
            if (!t->buckets[i].used || !t->buckets[i].st.count)
                continue;
            json_t *b = group_json(p, &t->buckets[i]);
            json_object_set_new(b, "start_time",
                                json_integer(p->origin + (int64_t)i * p->bucket_ms));
            json_array_append_new(a, b);
        }
        json_object_set_new(o, "buckets", a);
    }
    if (p->slice != SLICE_NONE) {
        json_t *a = json_array();
        int64_t other = t->slices_other;
        if (t->nslices)
            qsort(t->slices, t->nslices, sizeof(*t->slices), by_count_desc);
        for (size_t i = 0; i < t->nslices; i++) {
            if (i >= PERF_MAX_SLICES) {
                other += t->slices[i].g.st.count;
                continue;
            }
            json_t *s = group_json(p, &t->slices[i].g);
            json_object_set_new(s, "value", json_string(t->slices[i].value));
            json_array_append_new(a, s);
        }
        json_object_set_new(o, "slices", a);
        json_object_set_new(o, "slices_other", json_integer(other));
    }
    return o;
}

/* ---------- A/B ---------- */

/* A proportion's comparison: the target's x/n against the baseline's. */
static json_t *proportion_json(uint64_t x, uint64_t n, uint64_t bx, uint64_t bn)
{
    struct ferr err = FERR_INIT;
    struct ab_interval w, bw, d;
    struct ab_test_result z;
    if (!n || !bn || ab_wilson_interval(x, n, AB_ALPHA, &w, &err) ||
        ab_wilson_interval(bx, bn, AB_ALPHA, &bw, &err) ||
        ab_newcombe_diff_interval(x, n, bx, bn, AB_ALPHA, &d, &err) ||
        ab_proportions_ztest(x, n, bx, bn, AB_TWO_SIDED, &z, &err))
        return NULL;
    double v = (double)x / (double)n, b = (double)bx / (double)bn;
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I, s:I}", "value",
                     num(v), "baseline", num(b), "interval", interval(w.low, w.high),
                     "baseline_interval", interval(bw.low, bw.high), "delta", num(v - b),
                     "delta_interval", interval(d.low, d.high), "z", num(z.statistic), "p_value",
                     num(z.pvalue), "x", (json_int_t)x, "n", (json_int_t)n, "baseline_x",
                     (json_int_t)bx, "baseline_n", (json_int_t)bn);
}

/* Welch's comparison of the target's per-row errors against the baseline's. */
static json_t *welch_json(const struct quality_moments *a, const struct quality_moments *b)
{
    struct ferr err = FERR_INIT;
    struct ab_interval ia, ib, d;
    struct ab_test_result t;
    if (a->n < 2 || b->n < 2 || ab_mean_interval(a, AB_ALPHA, &ia, &err) ||
        ab_mean_interval(b, AB_ALPHA, &ib, &err) || ab_welch_interval(a, b, AB_ALPHA, &d, &err) ||
        ab_welch_ttest(a, b, AB_TWO_SIDED, &t, &err))
        return NULL;
    return json_pack("{s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:I, s:I}", "value",
                     num(a->mean), "baseline", num(b->mean), "interval", interval(ia.low, ia.high),
                     "baseline_interval", interval(ib.low, ib.high), "delta",
                     num(a->mean - b->mean), "delta_interval", interval(d.low, d.high), "t",
                     num(t.statistic), "df", num(t.df), "p_value", num(t.pvalue), "n",
                     (json_int_t)a->n, "baseline_n", (json_int_t)b->n);
}

/* The bootstrap over n rows: the resamples asked, fewer when they would
 * draw more than PERF_BOOT_BUDGET rows in all (a GET must not take
 * minutes), never fewer than PERF_BOOT_MIN. */
static struct ab_bootstrap_opts boot_opts(const struct perf *p, size_t n)
{
    struct ab_bootstrap_opts o;
    uint64_t asked = (uint64_t)(p->q->resamples > 0 ? p->q->resamples : PERF_DEFAULT_BOOTSTRAP);
    if (n && asked * n > PERF_BOOT_BUDGET)
        asked = PERF_BOOT_BUDGET / n > PERF_BOOT_MIN ? PERF_BOOT_BUDGET / n : PERF_BOOT_MIN;
    o.resamples = (uint32_t)asked;
    o.seed = (uint64_t)(p->q->seed ? p->q->seed : PERF_DEFAULT_SEED);
    o.alpha = AB_ALPHA;
    return o;
}

/* The target's F1 bootstrap, once. */
static int f1_boot(struct perf *p, struct target *t)
{
    if (t->f1_done)
        return t->f1_ok;
    t->f1_done = 1;
    const char *pos = positive_of(&t->total.st);
    int64_t pid = pos ? quality_labels_find(&t->dict, pos, strlen(pos)) : -1;
    if (!pos || !t->nlab)
        return 0;
    unsigned char *truth = xmalloc(t->nlab), *pred = xmalloc(t->nlab);
    for (size_t i = 0; i < t->nlab; i++) {
        truth[i] = pid >= 0 && t->truth[i] == (uint32_t)pid;
        pred[i] = pid >= 0 && t->pred[i] == (uint32_t)pid;
    }
    struct ab_bootstrap_opts o = boot_opts(p, t->nlab);
    struct ferr err = FERR_INIT;
    t->f1_resamples = o.resamples;
    t->f1_ok = !ab_bootstrap_f1(truth, pred, t->nlab, &o, &t->f1_boot, &err);
    free(truth);
    free(pred);
    return t->f1_ok;
}

static int auc_boot(struct perf *p, struct target *t)
{
    if (t->auc_done)
        return t->auc_ok;
    t->auc_done = 1;
    size_t n = t->total.auc.n;
    if (!n)
        return 0;
    double *score = xmalloc(n * sizeof(*score));
    unsigned char *truth = xmalloc(n);
    for (size_t i = 0; i < n; i++) {
        score[i] = t->total.auc.v[i].score;
        truth[i] = (unsigned char)t->total.auc.v[i].positive;
    }
    struct ab_bootstrap_opts o = boot_opts(p, n);
    struct ferr err = FERR_INIT;
    t->auc_resamples = o.resamples;
    t->auc_ok = !ab_bootstrap_auc(score, truth, n, &o, &t->auc_boot, &err);
    free(score);
    free(truth);
    return t->auc_ok;
}

static double metric_value(json_t *metrics, const char *name)
{
    json_t *v = json_object_get(metrics, name);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

/* F1 or ROC AUC: the point figures, and in exact mode each side's seeded
 * bootstrap interval. */
static json_t *boot_json(struct perf *p, struct target *t, struct target *base, json_t *tm,
                         json_t *bm, const char *name, int auc)
{
    double v = metric_value(tm, name), b = metric_value(bm, name);
    if (isnan(v) && isnan(b))
        return NULL;
    json_t *o =
        json_pack("{s:o, s:o, s:o}", "value", num(v), "baseline", num(b), "delta", num(v - b));
    if (!p->exact) {
        json_object_set_new(o, "note",
                            json_string("the bootstrap interval needs the rows: ask exact=true"));
        return o;
    }
    if (p->q->resamples < 0) {
        json_object_set_new(o, "note", json_string("no bootstrap asked (resamples=-1)"));
        return o;
    }
    int ok = auc ? auc_boot(p, t) : f1_boot(p, t);
    int bok = auc ? auc_boot(p, base) : f1_boot(p, base);
    const struct ab_bootstrap *x = auc ? &t->auc_boot : &t->f1_boot;
    const struct ab_bootstrap *y = auc ? &base->auc_boot : &base->f1_boot;
    struct ab_bootstrap_opts opts = boot_opts(p, 0);
    if (ok)
        json_object_set_new(o, "interval", interval(x->low, x->high));
    if (bok)
        json_object_set_new(o, "baseline_interval", interval(y->low, y->high));
    json_object_set_new(o, "resamples", json_integer(auc ? t->auc_resamples : t->f1_resamples));
    json_object_set_new(o, "baseline_resamples",
                        json_integer(auc ? base->auc_resamples : base->f1_resamples));
    json_object_set_new(o, "seed", json_integer((json_int_t)opts.seed));
    return o;
}

static void put(json_t *o, const char *key, json_t *v)
{
    if (v)
        json_object_set_new(o, key, v);
}

static json_t *ab_json(struct perf *p, struct target *t, struct target *base, json_t *tj,
                       json_t *bj)
{
    const struct pred_stats *s = &t->total.st, *bs = &base->total.st;
    json_t *o = json_pack("{s:s, s:b, s:s}", "model", t->label, "shadow", t->shadow, "baseline",
                          base->label);
    if (!t->inited || !base->inited || s->kind != bs->kind || s->kind == PRED_TASK_UNKNOWN) {
        json_object_set_new(o, "note", json_string("not comparable: no rows, or another task"));
        return o;
    }
    json_object_set_new(o, "task", json_string(task_name(s->kind)));
    if (s->kind == PRED_TASK_REGRESSION) {
        json_object_set_new(o, "n", json_integer((json_int_t)s->reg.abs_err.n));
        json_object_set_new(o, "baseline_n", json_integer((json_int_t)bs->reg.abs_err.n));
        put(o, "mae", welch_json(&s->reg.abs_err, &bs->reg.abs_err));
        put(o, "mse", welch_json(&s->reg.sq_err, &bs->reg.sq_err));
        return o;
    }
    json_object_set_new(o, "n", json_integer((json_int_t)s->confusion.n));
    json_object_set_new(o, "baseline_n", json_integer((json_int_t)bs->confusion.n));
    put(o, "accuracy",
        proportion_json(correct_of(s), s->confusion.n, correct_of(bs), bs->confusion.n));
    const char *pos = positive_of(s), *bpos = positive_of(bs);
    if (pos && bpos && !strcmp(pos, bpos)) {
        struct quality_class_counts c = positive_counts(s), bc = positive_counts(bs);
        json_object_set_new(o, "positive", json_string(pos));
        put(o, "precision", proportion_json(c.tp, c.pred_n, bc.tp, bc.pred_n));
        put(o, "recall", proportion_json(c.tp, c.true_n, bc.tp, bc.true_n));
        json_t *tm = json_object_get(tj, "metrics"), *bm = json_object_get(bj, "metrics");
        put(o, "f1", boot_json(p, t, base, tm, bm, "f1", 0));
        put(o, "roc_auc", boot_json(p, t, base, tm, bm, "roc_auc", 1));
    }
    return o;
}

/* ---------- the answer ---------- */

static json_t *answer(struct perf *p)
{
    json_t *o = json_object(), *targets = json_array(), *ab = json_array();
    json_object_set_new(o, "deployment", json_string(p->q->deployment));
    json_object_set_new(o, "start_time", json_integer(p->start));
    json_object_set_new(o, "end_time", json_integer(p->end));
    json_object_set_new(o, "bucket_ms", json_integer(p->bucket_ms));
    json_object_set_new(o, "exact", json_boolean(p->exact));
    if (p->slice != SLICE_NONE)
        json_object_set_new(o, "slice", json_string(p->q->slice));
    json_t **tj = xcalloc(p->nt + 1, sizeof(*tj));
    for (size_t i = 0; i < p->nt; i++) {
        tj[i] = target_json(p, p->t[i]);
        json_array_append(targets, tj[i]);
    }
    for (size_t i = 1; i < p->nt; i++)
        json_array_append_new(ab, ab_json(p, p->t[i], p->t[0], tj[i], tj[0]));
    for (size_t i = 0; i < p->nt; i++)
        json_decref(tj[i]);
    free(tj);
    json_object_set_new(o, "targets", targets);
    json_object_set_new(o, "ab", ab);
    return o;
}

/* The spec's targets first (answering, then shadows), then the others in
 * order of first appearance: target_add keeps that order already; a spec
 * target that answered nothing in the window stays, with no rows. */
int store_prediction_performance(struct store *s, const struct perf_query *q, json_t **out,
                                 struct ferr *err)
{
    struct perf p;
    struct deployment d;
    int have = 0, rc;
    *out = NULL;
    if (setup(&p, q, err))
        return -1;
    p.want_rows = p.exact;
    rc = load_spec(s, &p, q->deployment, &d, &have, err);
    if (!rc)
        rc = p.exact ? gather_rows(s, &p, err) : gather_hours(s, &p, err);
    if (!rc) {
        fold_buckets(&p);
        *out = answer(&p);
    }
    perf_release(&p);
    if (have)
        deployment_release(&d);
    return rc;
}
