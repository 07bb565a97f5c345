/* SPDX-License-Identifier: MIT
 * Metric history reads in the SQLite backend: one page of one key's
 * history, a key's steps and its points at chosen steps (for the bulk
 * interval read), and a key's span and full scan (for the downsampled
 * read). What to sample is decided by the front (store/metrics.c). */
#include "store/sqlite/sqlite_int.h"
#include "base/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* Appends the points selected by st (step, timestamp, value, is_nan), at
 * most limit of them (0: all); *more says whether st had more. */
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
        metric_list_add_point(out, key, v, sqlite3_column_int64(st, 1),
                              sqlite3_column_int64(st, 0));
        if (run_id)
            out->v[out->n - 1].run_id = xstrdup(run_id);
        n++;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return sq_fail(c, "reading metric history", err);
    return 0;
}

int sq_metric_history(struct store *s, const char *run_id, const char *key, struct store_page *page,
                      struct metric_list *out, struct ferr *err)
{
    /* Primary-key order: a single range scan of the WITHOUT ROWID table. */
    static const char sql[] = "SELECT step, timestamp, value, is_nan FROM metrics "
                              "WHERE run = ? AND key = ? ORDER BY step, timestamp, value, is_nan "
                              "LIMIT ? OFFSET ?";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int64_t run;
    int rc = -1;
    sqlite3_stmt *st;
    if (sq_run_lookup(c, run_id, &run, NULL, NULL, err) || !(st = sq_prep(c, sql, err)))
        goto out;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, page->limit ? page->limit + 1 : -1); /* -1: no limit */
    sqlite3_bind_int64(st, 4, page->offset);
    rc = read_points(c, st, key, NULL, page->limit, out, &page->more, err);
out:
    sq_reader_put(sq, c);
    if (rc)
        metric_list_release(out);
    return rc;
}

int sq_metric_steps(struct store *s, const char *run_id, const char *key, int64_t lo, int64_t hi,
                    struct store_steps *out, struct ferr *err)
{
    static const char sql[] = "SELECT DISTINCT step FROM metrics "
                              "WHERE run = ? AND key = ? AND step BETWEEN ? AND ? ORDER BY step";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int64_t run;
    int rc = -1, step;
    sqlite3_stmt *st;
    if (sq_run_lookup(c, run_id, &run, NULL, NULL, err) || !(st = sq_prep(c, sql, err)))
        goto out;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, lo);
    sqlite3_bind_int64(st, 4, hi);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        out->v[out->n++] = sqlite3_column_int64(st, 0);
    }
    sqlite3_reset(st);
    rc = step == SQLITE_DONE ? 0 : sq_fail(c, "reading metric steps", err);
out:
    sq_reader_put(sq, c);
    return rc;
}

int sq_metric_points_at_steps(struct store *s, const char *run_id, const char *key,
                              const struct store_steps *steps, int64_t max, struct metric_list *out,
                              struct ferr *err)
{
    static const char sql[] = "SELECT step, timestamp, value, is_nan FROM metrics "
                              "WHERE run = ? AND key = ? AND step = ? ORDER BY timestamp, value";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int64_t run;
    size_t start = out->n;
    int rc = sq_run_lookup(c, run_id, &run, NULL, NULL, err), more;
    for (size_t i = 0; !rc && i < steps->n && (int64_t)(out->n - start) < max; i++) {
        sqlite3_stmt *st = sq_prep(c, sql, err);
        if (!st) {
            rc = -1;
            break;
        }
        sqlite3_bind_int64(st, 1, run);
        sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, steps->v[i]);
        rc = read_points(c, st, key, run_id, max - (int64_t)(out->n - start), out, &more, err);
    }
    sq_reader_put(sq, c);
    return rc;
}

int sq_metric_span(struct store *s, const char *run_id, const char *key, int64_t cap,
                   struct store_metric_span *out, struct ferr *err)
{
    /* From the primary key alone: the first and last steps, and whether
     * there are more than cap points (counting stops there). */
    static const char sql[] =
        "SELECT (SELECT count(*) FROM (SELECT 1 FROM metrics WHERE run = ?1 AND key = ?2 "
        "AND is_nan = 0 LIMIT ?3) AS capped), "
        "(SELECT step FROM metrics WHERE run = ?1 AND key = ?2 AND is_nan = 0 "
        "ORDER BY step LIMIT 1), "
        "(SELECT step FROM metrics WHERE run = ?1 AND key = ?2 AND is_nan = 0 "
        "ORDER BY step DESC LIMIT 1)";
    struct sq *sq = (struct sq *)s;
    memset(out, 0, sizeof(*out));
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int64_t run;
    int rc = -1;
    sqlite3_stmt *st;
    if (sq_run_lookup(c, run_id, &run, NULL, NULL, err) || !(st = sq_prep(c, sql, err)))
        goto out;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, cap);
    if (sqlite3_step(st) == SQLITE_ROW) {
        out->count = sqlite3_column_int64(st, 0);
        out->first_step = sqlite3_column_int64(st, 1);
        out->last_step = sqlite3_column_int64(st, 2);
        rc = 0;
    } else {
        sq_fail(c, "reading metric history", err);
    }
    sqlite3_reset(st);
out:
    sq_reader_put(sq, c);
    return rc;
}

int sq_metric_scan(struct store *s, const char *run_id, const char *key, store_point_fn fn,
                   void *arg, struct ferr *err)
{
    static const char sql[] = "SELECT step, timestamp, value FROM metrics "
                              "WHERE run = ? AND key = ? AND is_nan = 0 "
                              "ORDER BY step, timestamp, value";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int64_t run;
    int rc = -1, step;
    sqlite3_stmt *st;
    if (sq_run_lookup(c, run_id, &run, NULL, NULL, err) || !(st = sq_prep(c, sql, err)))
        goto out;
    sqlite3_bind_int64(st, 1, run);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        struct metric p = {.value = sqlite3_column_double(st, 2),
                           .timestamp = sqlite3_column_int64(st, 1),
                           .step = sqlite3_column_int64(st, 0)};
        fn(arg, &p);
    }
    sqlite3_reset(st);
    rc = step == SQLITE_DONE ? 0 : sq_fail(c, "reading metric history", err);
out:
    sq_reader_put(sq, c);
    return rc;
}
