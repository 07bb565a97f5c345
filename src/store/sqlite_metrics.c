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
    if (validate_run_id(run_id, err))
        return -1;
    if (!key || !*key)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "missing value for required parameter 'metric_key'");
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

/* Keeps max evenly spaced entries of steps[0..n), always the first and last. */
static size_t sample_steps(int64_t *steps, size_t n, size_t max)
{
    if (n <= max)
        return n;
    if (max == 1) {
        steps[0] = steps[n - 1];
        return 1;
    }
    size_t k = 0;
    int64_t last = INT64_MIN;
    for (size_t i = 0; i < max; i++) {
        size_t idx = (size_t)((double)i * (double)(n - 1) / (double)(max - 1) + 0.5);
        if (idx >= n)
            idx = n - 1;
        if (steps[idx] != last)
            steps[k++] = last = steps[idx];
    }
    return k;
}

static int bulk_one(struct sq_conn *c, const char *run_id, const char *key, int64_t lo,
                    int64_t hi, int64_t max_results, struct metric_list *out, struct ferr *err)
{
    static const char steps_sql[] = "SELECT DISTINCT step FROM metrics "
                                    "WHERE run = ? AND key = ? AND step BETWEEN ? AND ? "
                                    "ORDER BY step";
    static const char at_sql[] = "SELECT step, timestamp, value, is_nan FROM metrics "
                                 "WHERE run = ? AND key = ? AND step = ? "
                                 "ORDER BY timestamp, value";
    int64_t run;
    if (sq_run_lookup(c, run_id, &run, NULL, NULL, err))
        return -1;
    sqlite3_stmt *st = sq_prep(c, steps_sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, lo);
    sqlite3_bind_int64(st, 4, hi);
    int64_t *steps = NULL;
    size_t n = 0, alloc = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        ALLOC_GROW(steps, n + 1, alloc);
        steps[n++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        free(steps);
        return sq_fail(c, "reading metric steps", err);
    }
    n = sample_steps(steps, n, (size_t)max_results);
    int more;
    for (size_t i = 0; i < n; i++) {
        if (!(st = sq_prep(c, at_sql, err)))
            break;
        sqlite3_bind_int64(st, 1, run);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, steps[i]);
        if (read_points(c, st, key, run_id, 0, out, &more, err))
            break;
        if (i + 1 == n) {
            free(steps);
            return 0;
        }
    }
    free(steps);
    return n ? -1 : 0;
}

int sq_metric_bulk_interval(struct store *s, const char *const *run_ids, size_t n,
                            const char *key, int64_t start_step, int64_t end_step,
                            int64_t max_results, struct metric_list *out, struct ferr *err)
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
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = bulk_one(c, run_ids[i], key, lo, hi, max_results, out, err);
    sq_reader_put(sq, c);
    if (rc)
        metric_list_release(out);
    return rc;
}
