/* SPDX-License-Identifier: MIT
 * Metric history reads in the SQLite backend: one key of one run, paged; and
 * the bulk interval read that samples many runs' histories for charts. */
#include "store/sqlite_int.h"
#include "base/xalloc.h"
#include "domain/validate.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* Appends the points selected by st (step, timestamp, value, is_nan). */
static int read_points(struct sq_conn *c, sqlite3_stmt *st, const char *key, const char *run_id,
                       int64_t limit, struct metric_list *out, int *more, struct ferr *err)
{
    int rc;
    int64_t n = 0;
    *more = 0;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (limit && n == limit) {
            *more = 1;
            break;
        }
        double v = sqlite3_column_int(st, 3) ? NAN : sqlite3_column_double(st, 2);
        metric_list_add(out, key, v, sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 0));
        if (run_id)
            out->v[out->n - 1].run_id = xstrdup(run_id);
        n++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sq_fail(c, "reading metric history", err);
    return 0;
}

/* Appends p unless it is the point just appended. */
static void emit_point(struct metric_list *out, const char *key, const struct metric *p)
{
    const struct metric *prev = out->n ? &out->v[out->n - 1] : NULL;
    if (!prev || prev->step != p->step || prev->timestamp != p->timestamp ||
        prev->value != p->value)
        metric_list_add(out, key, p->value, p->timestamp, p->step);
}

/* The arguments every one-run history read takes. */
static int check_run_and_key(const char *run_id, const char *key, struct ferr *err)
{
    if (validate_run_id(run_id, err))
        return -1;
    if (!key || !*key)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "missing value for required parameter 'metric_key'");
    return 0;
}

/* A bucket's lowest and highest points, in step order; one when equal. */
static void emit_bucket(struct metric_list *out, const char *key, const struct metric *a,
                        const struct metric *b)
{
    int a_first = a->step < b->step || (a->step == b->step && a->timestamp <= b->timestamp);
    emit_point(out, key, a_first ? a : b);
    emit_point(out, key, a_first ? b : a);
}

int sq_metric_history(struct store *s, const char *run_id, const char *key, int64_t max_results,
                      const char *page_token, struct metric_list *out, char **next_token,
                      struct ferr *err)
{
    /* Primary-key order: a single range scan of the WITHOUT ROWID table. */
    static const char sql[] = "SELECT step, timestamp, value, is_nan FROM metrics "
                              "WHERE run = ? AND key = ? ORDER BY step, timestamp, value, is_nan "
                              "LIMIT ? OFFSET ?";
    struct sq *sq = (struct sq *)s;
    int64_t offset = 0;
    memset(out, 0, sizeof(*out));
    if (next_token)
        *next_token = NULL;
    if (check_run_and_key(run_id, key, err))
        return -1;
    if (max_results < 0 || max_results > MAX_RESULTS_METRIC_HISTORY)
        return validate_max_results(max_results, MAX_RESULTS_METRIC_HISTORY, err);
    if (page_token && *page_token && page_token_decode(page_token, &offset, err))
        return -1;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int64_t run;
    int more = 0, rc = -1;
    sqlite3_stmt *st;
    if (sq_run_lookup(c, run_id, &run, NULL, NULL, err) || !(st = sq_prep(c, sql, err)))
        goto out;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, max_results ? max_results + 1 : -1);
    sqlite3_bind_int64(st, 4, offset);
    if (read_points(c, st, key, NULL, max_results, out, &more, err))
        goto out;
    if (more && next_token)
        page_token_encode(offset + max_results, next_token);
    rc = 0;
out:
    sq_reader_put(sq, c);
    if (rc)
        metric_list_release(out);
    return rc;
}

/* One pass over the key's points in primary-key (step) order; a bucket's
 * lowest and highest points are emitted when the next bucket starts. */
int sq_metric_downsampled(struct store *s, const char *run_id, const char *key, int64_t max_points,
                          struct metric_list *out, int64_t *total, struct ferr *err)
{
    /* From the primary key alone: the first and last steps, and whether
     * there are more than max_points points (counting stops there). */
    static const char range_sql[] =
        "SELECT (SELECT count(*) FROM (SELECT 1 FROM metrics WHERE run = ?1 AND key = ?2 "
        "AND is_nan = 0 LIMIT ?3)), "
        "(SELECT step FROM metrics WHERE run = ?1 AND key = ?2 AND is_nan = 0 "
        "ORDER BY step LIMIT 1), "
        "(SELECT step FROM metrics WHERE run = ?1 AND key = ?2 AND is_nan = 0 "
        "ORDER BY step DESC LIMIT 1)";
    static const char points_sql[] = "SELECT step, timestamp, value FROM metrics "
                                     "WHERE run = ? AND key = ? AND is_nan = 0 "
                                     "ORDER BY step, timestamp, value";
    struct sq *sq = (struct sq *)s;
    memset(out, 0, sizeof(*out));
    *total = 0;
    if (check_run_and_key(run_id, key, err))
        return -1;
    if (max_points < 4 || max_points > 100000)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "max_points must be between 4 and 100000, got %lld", (long long)max_points);
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int64_t run, lo = 0, hi = 0;
    int rc = -1, step_rc;
    sqlite3_stmt *st;
    if (sq_run_lookup(c, run_id, &run, NULL, NULL, err) || !(st = sq_prep(c, range_sql, err)))
        goto out;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, max_points + 1);
    if (sqlite3_step(st) == SQLITE_ROW) {
        *total = sqlite3_column_int64(st, 0);
        lo = sqlite3_column_int64(st, 1);
        hi = sqlite3_column_int64(st, 2);
    }
    sqlite3_reset(st);
    if (!(st = sq_prep(c, points_sql, err)))
        goto out;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    if (*total <= max_points) {
        int more;
        rc = read_points(c, st, key, NULL, 0, out, &more, err);
        goto out;
    }
    /* two points a bucket, and room for the first and last points */
    double buckets = (double)((max_points - 2) / 2), span = (double)hi - (double)lo + 1.0;
    int64_t cur = -1;
    struct metric lo_pt = {0}, hi_pt = {0}, last = {0};
    *total = 0;
    while ((step_rc = sqlite3_step(st)) == SQLITE_ROW) {
        ++*total;
        struct metric p = {NULL, sqlite3_column_double(st, 2), sqlite3_column_int64(st, 1),
                           sqlite3_column_int64(st, 0), NULL};
        int64_t b = (int64_t)(((double)p.step - (double)lo) / span * buckets);
        if (cur < 0)
            emit_point(out, key, &p); /* the x range starts where the data does */
        last = p;
        if (b != cur) {
            if (cur >= 0)
                emit_bucket(out, key, &lo_pt, &hi_pt);
            cur = b;
            lo_pt = hi_pt = p;
        } else if (p.value < lo_pt.value) {
            lo_pt = p;
        } else if (p.value > hi_pt.value) {
            hi_pt = p;
        }
    }
    sqlite3_reset(st);
    if (step_rc != SQLITE_DONE) {
        sq_fail(c, "reading metric history", err);
        goto out;
    }
    if (cur >= 0) {
        emit_bucket(out, key, &lo_pt, &hi_pt);
        emit_point(out, key, &last); /* ... and ends where it does */
    }
    rc = 0;
out:
    sq_reader_put(sq, c);
    if (rc)
        metric_list_release(out);
    return rc;
}

/* A sorted array of distinct steps. */
struct steps {
    int64_t *v;
    size_t n, alloc;
};

static void steps_add(struct steps *s, int64_t step)
{
    ALLOC_GROW(s->v, s->n + 1, s->alloc);
    s->v[s->n++] = step;
}

static int cmp_step(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static void steps_sort_unique(struct steps *s)
{
    size_t k = 0;
    qsort(s->v, s->n, sizeof(*s->v), cmp_step);
    for (size_t i = 0; i < s->n; i++)
        if (!k || s->v[k - 1] != s->v[i])
            s->v[k++] = s->v[i];
    s->n = k;
}

/* The distinct steps run has for key inside [lo, hi], ascending. */
static int run_steps(struct sq_conn *c, int64_t run, const char *key, int64_t lo, int64_t hi,
                     struct steps *out, struct ferr *err)
{
    static const char sql[] = "SELECT DISTINCT step FROM metrics "
                              "WHERE run = ? AND key = ? AND step BETWEEN ? AND ? ORDER BY step";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, lo);
    sqlite3_bind_int64(st, 4, hi);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        steps_add(out, sqlite3_column_int64(st, 0));
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, "reading metric steps", err);
}

/* MLflow's sampling (2.x handlers): max evenly spaced steps of the union of
 * every run's steps, the last always, plus each run's first and last step,
 * so that the charts of several runs share their x values and no run loses
 * its ends. Unlike MLflow, the index bound is checked against the window,
 * not the whole array, so no sample near the top is dropped. */
static void sample_shared_steps(const struct steps *all, const struct steps *per_run, size_t nrun,
                                size_t max, struct steps *out)
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

/* Every point of run at the steps it shares with chosen, ascending by step,
 * timestamp, value; at most BULK_MAX_POINTS_PER_RUN of them. */
#define BULK_MAX_POINTS_PER_RUN 25000
static int points_at_steps(struct sq_conn *c, int64_t run, const char *run_id, const char *key,
                           const struct steps *mine, const struct steps *chosen,
                           struct metric_list *out, struct ferr *err)
{
    static const char sql[] = "SELECT step, timestamp, value, is_nan FROM metrics "
                              "WHERE run = ? AND key = ? AND step = ? ORDER BY timestamp, value";
    size_t i = 0, j = 0, start = out->n;
    int more;
    while (i < mine->n && j < chosen->n && out->n - start < BULK_MAX_POINTS_PER_RUN) {
        if (mine->v[i] < chosen->v[j]) {
            i++;
            continue;
        }
        if (mine->v[i] > chosen->v[j]) {
            j++;
            continue;
        }
        sqlite3_stmt *st = sq_prep(c, sql, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, run);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, mine->v[i]);
        int64_t room = BULK_MAX_POINTS_PER_RUN - (int64_t)(out->n - start);
        if (read_points(c, st, key, run_id, room, out, &more, err))
            return -1;
        i++;
        j++;
    }
    return 0;
}

int sq_metric_bulk_interval(struct store *s, const char *const *run_ids, size_t n, const char *key,
                            int64_t start_step, int64_t end_step, int64_t max_results,
                            struct metric_list *out, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    memset(out, 0, sizeof(*out));
    if (!key || !*key)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "missing value for required parameter 'metric_key'");
    if (n == 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "missing value for required parameter 'run_ids'");
    int64_t lo = start_step == TIME_NONE ? INT64_MIN : start_step;
    int64_t hi = end_step == TIME_NONE ? INT64_MAX : end_step;
    if (lo > hi)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "end_step must be greater than or equal to start_step");
    for (size_t i = 0; i < n; i++)
        if (validate_run_id(run_ids[i], err))
            return -1;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int64_t *runs = xcalloc(n, sizeof(*runs));
    struct steps *per_run = xcalloc(n, sizeof(*per_run));
    struct steps all = {0}, chosen = {0};
    int rc = -1;
    for (size_t i = 0; i < n; i++) {
        if (sq_run_lookup(c, run_ids[i], &runs[i], NULL, NULL, err) ||
            run_steps(c, runs[i], key, lo, hi, &per_run[i], err))
            goto out;
        for (size_t k = 0; k < per_run[i].n; k++)
            steps_add(&all, per_run[i].v[k]);
    }
    steps_sort_unique(&all);
    sample_shared_steps(&all, per_run, n, (size_t)max_results, &chosen);
    for (size_t i = 0; i < n; i++)
        if (points_at_steps(c, runs[i], run_ids[i], key, &per_run[i], &chosen, out, err))
            goto out;
    rc = 0;
out:
    sq_reader_put(sq, c);
    for (size_t i = 0; i < n; i++)
        free(per_run[i].v);
    free(per_run);
    free(runs);
    free(all.v);
    free(chosen.v);
    if (rc)
        metric_list_release(out);
    return rc;
}
