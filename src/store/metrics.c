/* SPDX-License-Identifier: MIT
 * The metrics front: argument checks, page tokens, and the sampling that
 * does not depend on where the points are kept -- the steps shared by the
 * charts of several runs (bulk interval) and the per-bucket lowest and
 * highest points of a long history (downsampled). The backend
 * (s->metrics) reads: one page of points, a run's steps, the points at
 * given steps, a history's span, a scan of every point. */
#include "store/metrics.h"
#include "base/json.h"
#include "store/backend.h"
#include "base/page_token.h"
#include "base/xalloc.h"
#include "domain/validate.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define AREA "metrics"

/* Points a bulk interval read returns per run at most. */
#define BULK_MAX_POINTS_PER_RUN 25000

/* The arguments every one-run history read takes. */
static int check_run_and_key(const char *run_id, const char *key, struct ferr *err)
{
    if (validate_run_id(run_id, err))
        return -1;
    if (!key || !*key)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "Missing value for required parameter 'metric_key'. See the API docs "
                        "for more information about request parameters.");
    return 0;
}

int store_get_metric_history(struct store *s, const char *run_id, const char *key,
                             int64_t max_results, const char *page_token, struct metric_list *out,
                             char **next_token, struct ferr *err)
{
    struct store_page page = {0, max_results, 0};
    memset(out, 0, sizeof(*out));
    if (next_token)
        *next_token = NULL;
    if (!s->metrics)
        return store_lacks(s, AREA, err);
    if (check_run_and_key(run_id, key, err))
        return -1;
    if (max_results < 0 || max_results > MAX_RESULTS_METRIC_HISTORY)
        return validate_max_results(max_results, MAX_RESULTS_METRIC_HISTORY, err);
    if (page_token && *page_token && page_token_decode(page_token, &page.offset, err))
        return -1;
    if (s->metrics->history(s, run_id, key, &page, out, err))
        return -1;
    if (page.more && next_token)
        page_token_encode(page.offset + page.limit, next_token);
    return 0;
}

/* ---------- bulk (whole histories) ---------- */

#define BULK_MAX_RUNS    100
#define BULK_MAX_HISTORY 25000

static int by_run_id(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int by_time(const void *a, const void *b)
{
    const struct metric *x = a, *y = b;
    if (x->timestamp != y->timestamp)
        return (x->timestamp > y->timestamp) - (x->timestamp < y->timestamp);
    if (x->step != y->step)
        return (x->step > y->step) - (x->step < y->step);
    return (x->value > y->value) - (x->value < y->value);
}

int store_get_metric_history_bulk(struct store *s, const char *const *run_ids, size_t n,
                                  const char *key, int64_t max_results, struct metric_list *out,
                                  struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->metrics)
        return store_lacks(s, AREA, err);
    if (!n)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "GetMetricHistoryBulk request must specify at least one run_id.");
    if (n > BULK_MAX_RUNS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "GetMetricHistoryBulk request cannot specify more than %d run_ids. "
                        "Received %zu run_ids.",
                        BULK_MAX_RUNS, n);
    if (!key || !*key)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "GetMetricHistoryBulk request must specify a metric_key.");
    for (size_t i = 0; i < n; i++)
        if (check_run_and_key(run_ids[i], key, err))
            return -1;
    if (max_results < 1)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "max_results must be 1 or more, got %lld", (long long)max_results);
    if (max_results > BULK_MAX_HISTORY)
        max_results = BULK_MAX_HISTORY;
    const char **sorted = xcalloc(n, sizeof(*sorted));
    memcpy(sorted, run_ids, n * sizeof(*sorted));
    qsort(sorted, n, sizeof(*sorted), by_run_id);
    int rc = 0;
    for (size_t i = 0; i < n && !rc && (int64_t)out->n < max_results; i++) {
        struct store_page page = {0, max_results - (int64_t)out->n, 0};
        size_t first = out->n;
        rc = s->metrics->history(s, sorted[i], key, &page, out, err);
        if (out->n > first) /* (never qsort a NULL array, even of 0 elements) */
            qsort(out->v + first, out->n - first, sizeof(*out->v), by_time);
        for (size_t k = first; !rc && k < out->n; k++) {
            if (!out->v[k].key)
                out->v[k].key = xstrdup(key);
            out->v[k].run_id = xstrdup(sorted[i]);
        }
    }
    free(sorted);
    if (rc)
        metric_list_release(out);
    return rc;
}

/* ---------- bulk interval ---------- */

static void steps_add(struct store_steps *s, int64_t step)
{
    ALLOC_GROW(s->v, s->n + 1, s->alloc);
    s->v[s->n++] = step;
}

static int cmp_step(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void steps_sort_unique(struct store_steps *s)
{
    size_t k = 0;
    qsort(s->v, s->n, sizeof(*s->v), cmp_step);
    for (size_t i = 0; i < s->n; i++)
        if (!k || s->v[k - 1] != s->v[i])
            s->v[k++] = s->v[i];
    s->n = k;
}

/* MLflow's sampling (2.x handlers): max evenly spaced steps of the union of
 * every run's steps, the last always, plus each run's first and last step,
 * so that the charts of several runs share their x values and no run loses
 * its ends. Unlike MLflow, the index bound is checked against the window,
 * not the whole array, so no sample near the top is dropped. */
static void sample_shared_steps(const struct store_steps *all, const struct store_steps *per_run,
                                size_t nrun, size_t max, struct store_steps *out)
{
    if (all->n <= max) {
        for (size_t i = 0; i < all->n; i++)
            steps_add(out, all->v[i]);
    } else {
        double interval = (double)all->n / (double)max;
        for (size_t i = 0; i < max; i++) {
            size_t idx = (size_t)((double)i * interval);
            if (idx < all->n)
                steps_add(out, all->v[idx]);
        }
        steps_add(out, all->v[all->n - 1]);
    }
    for (size_t r = 0; r < nrun; r++)
        if (per_run[r].n) {
            steps_add(out, per_run[r].v[0]);
            steps_add(out, per_run[r].v[per_run[r].n - 1]);
        }
    steps_sort_unique(out);
}

/* The steps in both a and b (each ascending), into out (emptied first). */
static void steps_common(const struct store_steps *a, const struct store_steps *b,
                         struct store_steps *out)
{
    size_t i = 0, j = 0;
    out->n = 0;
    while (i < a->n && j < b->n) {
        if (a->v[i] < b->v[j]) {
            i++;
        } else if (a->v[i] > b->v[j]) {
            j++;
        } else {
            steps_add(out, a->v[i]);
            i++;
            j++;
        }
    }
}

static int check_bulk(const char *const *run_ids, size_t n, const char *key, int64_t lo, int64_t hi,
                      struct ferr *err)
{
    if (!key || !*key)
        return fjson_missing(err, "metric_key");
    if (n == 0)
        return fjson_missing(err, "run_ids");
    if (lo > hi)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "end_step must be greater than start_step. Found start_step=%lld and "
                        "end_step=%lld.",
                        (long long)lo, (long long)hi);
    for (size_t i = 0; i < n; i++)
        if (validate_run_id(run_ids[i], err))
            return -1;
    return 0;
}

int store_get_metric_history_bulk_interval(struct store *s, const char *const *run_ids, size_t n,
                                           const char *key, int64_t start_step, int64_t end_step,
                                           int64_t max_results, struct metric_list *out,
                                           struct ferr *err)
{
    int64_t lo = start_step == TIME_NONE ? INT64_MIN : start_step;
    int64_t hi = end_step == TIME_NONE ? INT64_MAX : end_step;
    memset(out, 0, sizeof(*out));
    if (!s->metrics)
        return store_lacks(s, AREA, err);
    if (check_bulk(run_ids, n, key, lo, hi, err))
        return -1;
    struct store_steps *per_run = xcalloc(n, sizeof(*per_run));
    struct store_steps all = {0}, chosen = {0}, mine = {0};
    int rc = -1;
    for (size_t i = 0; i < n; i++) {
        if (s->metrics->steps(s, run_ids[i], key, lo, hi, &per_run[i], err))
            goto out;
        for (size_t k = 0; k < per_run[i].n; k++)
            steps_add(&all, per_run[i].v[k]);
    }
    steps_sort_unique(&all);
    sample_shared_steps(&all, per_run, n, (size_t)max_results, &chosen);
    for (size_t i = 0; i < n; i++) {
        steps_common(&per_run[i], &chosen, &mine);
        if (mine.n && s->metrics->points_at_steps(s, run_ids[i], key, &mine,
                                                  BULK_MAX_POINTS_PER_RUN, out, err))
            goto out;
    }
    rc = 0;
out:
    for (size_t i = 0; i < n; i++)
        free(per_run[i].v);
    free(per_run);
    free(all.v);
    free(chosen.v);
    free(mine.v);
    if (rc)
        metric_list_release(out);
    return rc;
}

/* ---------- downsampled ---------- */

/* Appends p unless it is the point just appended. */
static void emit_point(struct metric_list *out, const char *key, const struct metric *p)
{
    const struct metric *prev = out->n ? &out->v[out->n - 1] : NULL;
    if (!prev || prev->step != p->step || prev->timestamp != p->timestamp ||
        prev->value != p->value)
        metric_list_add_point(out, key, p->value, p->timestamp, p->step);
}

/* A bucket's lowest and highest points, in step order; one when equal. */
static void emit_bucket(struct metric_list *out, const char *key, const struct metric *a,
                        const struct metric *b)
{
    int a_first = a->step < b->step || (a->step == b->step && a->timestamp <= b->timestamp);
    emit_point(out, key, a_first ? a : b);
    emit_point(out, key, a_first ? b : a);
}

/* One pass over the points in step order; a bucket's lowest and highest
 * points are emitted when the next bucket starts. */
struct downsample {
    struct metric_list *out;
    const char *key;
    int64_t first_step;
    double buckets, span;
    int64_t cur; /* the current bucket, -1 before the first point */
    int64_t count;
    struct metric lo_pt, hi_pt, last;
};

static void keep_point(void *arg, const struct metric *p)
{
    struct downsample *d = arg;
    metric_list_add_point(d->out, d->key, p->value, p->timestamp, p->step);
}

static void bucket_point(void *arg, const struct metric *p)
{
    struct downsample *d = arg;
    int64_t b = (int64_t)(((double)p->step - (double)d->first_step) / d->span * d->buckets);
    d->count++;
    if (d->cur < 0)
        emit_point(d->out, d->key, p); /* the x range starts where the data does */
    d->last = *p;
    if (b != d->cur) {
        if (d->cur >= 0)
            emit_bucket(d->out, d->key, &d->lo_pt, &d->hi_pt);
        d->cur = b;
        d->lo_pt = d->hi_pt = *p;
    } else if (p->value < d->lo_pt.value) {
        d->lo_pt = *p;
    } else if (p->value > d->hi_pt.value) {
        d->hi_pt = *p;
    }
}

int store_get_metric_history_downsampled(struct store *s, const char *run_id, const char *key,
                                         int64_t max_points, struct metric_list *out,
                                         int64_t *total, struct ferr *err)
{
    struct store_metric_span span;
    struct downsample d;
    memset(out, 0, sizeof(*out));
    *total = 0;
    if (!s->metrics)
        return store_lacks(s, AREA, err);
    if (check_run_and_key(run_id, key, err))
        return -1;
    if (max_points < 4 || max_points > 100000)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "max_points must be between 4 and 100000, got %lld", (long long)max_points);
    if (s->metrics->span(s, run_id, key, max_points + 1, &span, err))
        return -1;
    memset(&d, 0, sizeof(d));
    d.out = out;
    d.key = key;
    if (span.count <= max_points) {
        *total = span.count;
        if (s->metrics->scan(s, run_id, key, keep_point, &d, err))
            goto fail;
        return 0;
    }
    /* two points a bucket, and room for the first and last points */
    d.first_step = span.first_step;
    d.buckets = (double)((max_points - 2) / 2);
    d.span = (double)span.last_step - (double)span.first_step + 1.0;
    d.cur = -1;
    if (s->metrics->scan(s, run_id, key, bucket_point, &d, err))
        goto fail;
    if (d.cur >= 0) {
        emit_bucket(out, key, &d.lo_pt, &d.hi_pt);
        emit_point(out, key, &d.last); /* ... and ends where it does */
    }
    *total = d.count;
    return 0;
fail:
    metric_list_release(out);
    return -1;
}
