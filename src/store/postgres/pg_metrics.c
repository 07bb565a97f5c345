/* SPDX-License-Identifier: MIT
 * Metric history reads in the PostgreSQL backend (store/metrics.h's
 * backend contract): one page of one key's history, a key's steps and its
 * points at chosen steps (for the bulk interval read), and a key's span and
 * full scan (for the downsampled read). What to sample is decided by the
 * front (store/metrics.c). The translation of store/sqlite/sqlite_metrics.c:
 * the same order, paging and errors.
 *
 * Speed: histories run to 100,000 steps and more. Every statement here
 * reads one (run, key) range of the metrics primary key (run, key, step,
 * timestamp, value, is_nan) in key order, so PostgreSQL walks the index
 * and never sorts the history; LIMITs stop the walk early. Each op is
 * one statement after the run lookup (points at many steps included: one
 * array of steps, not a statement per step). */
#include "store/postgres/pg_int.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* Appends the points r holds (step, timestamp, value, is_nan), at most
 * limit of them (0: all); *more says whether r had more. */
static void read_points(const PGresult *r, const char *key, const char *run_id, int64_t limit,
                        struct metric_list *out, int *more)
{
    int64_t n = PQntuples(r);
    *more = limit && n > limit;
    if (*more)
        n = limit;
    for (int i = 0; i < (int)n; i++) {
        metric_list_add(out, key, pg_get_real(r, i, 2, 3), pg_get_int(r, i, 1),
                        pg_get_int(r, i, 0));
        if (run_id)
            out->v[out->n - 1].run_id = xstrdup(run_id);
    }
}

/* The internal id of run_id, on a reader taken for the op: *c is set (put
 * it back with pg_reader_put, NULL is fine) and -1 with err set on failure. */
static int open_run(struct pg *pg, const char *run_id, struct pg_conn **c, int64_t *run,
                    struct ferr *err)
{
    *c = pg_reader_get(pg, err);
    if (!*c)
        return -1;
    return pg_run_lookup(*c, run_id, run, NULL, NULL, err);
}

static int pg_metric_history(struct store *s, const char *run_id, const char *key,
                             struct store_page *page, struct metric_list *out, struct ferr *err)
{
    /* Primary-key order: one range scan of the index. LIMIT NULL is no
     * limit. */
    static const char sql[] = "SELECT step, timestamp, value, is_nan FROM metrics "
                              "WHERE run = $1 AND key = $2 ORDER BY step, timestamp, value, is_nan "
                              "LIMIT $3 OFFSET $4";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c;
    int64_t run;
    int rc = -1;
    if (open_run(pg, run_id, &c, &run, err))
        goto out;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, run);
    pg_args_text(&a, key);
    if (page->limit)
        pg_args_int(&a, page->limit + 1);
    else
        pg_args_null(&a);
    pg_args_int(&a, page->offset);
    PGresult *r = pg_run(c, sql, &a, "reading metric history", err);
    pg_args_release(&a);
    if (r) {
        read_points(r, key, NULL, page->limit, out, &page->more);
        PQclear(r);
        rc = 0;
    }
out:
    pg_reader_put(pg, c);
    if (rc)
        metric_list_release(out);
    return rc;
}

static int pg_metric_steps(struct store *s, const char *run_id, const char *key, int64_t lo,
                           int64_t hi, struct store_steps *out, struct ferr *err)
{
    /* The range's rows in key order; a step logged more than once comes in
     * consecutive rows and is kept once, here rather than by a DISTINCT
     * the planner might hash and sort. */
    static const char sql[] = "SELECT step FROM metrics WHERE run = $1 AND key = $2 "
                              "AND step BETWEEN $3 AND $4 ORDER BY step";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c;
    int64_t run;
    int rc = -1;
    if (open_run(pg, run_id, &c, &run, err))
        goto out;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, run);
    pg_args_text(&a, key);
    pg_args_int(&a, lo);
    pg_args_int(&a, hi);
    PGresult *r = pg_run(c, sql, &a, "reading metric steps", err);
    pg_args_release(&a);
    if (r) {
        for (int i = 0, n = PQntuples(r); i < n; i++) {
            int64_t step = pg_get_int(r, i, 0);
            if (i && step == pg_get_int(r, i - 1, 0))
                continue;
            ALLOC_GROW(out->v, out->n + 1, out->alloc);
            out->v[out->n++] = step;
        }
        PQclear(r);
        rc = 0;
    }
out:
    pg_reader_put(pg, c);
    return rc;
}

static int pg_metric_points_at_steps(struct store *s, const char *run_id, const char *key,
                                     const struct store_steps *steps, int64_t max,
                                     struct metric_list *out, struct ferr *err)
{
    /* Every chosen step in one statement: the index is probed once per
     * array element, and the sort is of the points found (as many as the
     * steps asked for, give or take), never of the history. */
    static const char sql[] = "SELECT step, timestamp, value, is_nan FROM metrics "
                              "WHERE run = $1 AND key = $2 AND step = ANY($3::bigint[]) "
                              "ORDER BY step, timestamp, value, is_nan LIMIT $4";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c;
    int64_t run;
    int rc = -1, more;
    if (open_run(pg, run_id, &c, &run, err))
        goto out;
    rc = 0;
    if (!steps->n || max <= 0)
        goto out;
    struct sbuf arr = SBUF_INIT;
    sbuf_addch(&arr, '{');
    for (size_t i = 0; i < steps->n; i++)
        sbuf_addf(&arr, "%s%" PRId64, i ? "," : "", steps->v[i]);
    sbuf_addch(&arr, '}');
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, run);
    pg_args_text(&a, key);
    pg_args_text(&a, arr.buf);
    pg_args_int(&a, max);
    PGresult *r = pg_run(c, sql, &a, "reading metric history", err);
    pg_args_release(&a);
    sbuf_release(&arr);
    if (r) {
        read_points(r, key, run_id, 0, out, &more);
        PQclear(r);
    } else {
        rc = -1;
    }
out:
    pg_reader_put(pg, c);
    return rc;
}

static int pg_metric_span(struct store *s, const char *run_id, const char *key, int64_t cap,
                          struct store_metric_span *out, struct ferr *err)
{
    /* From the primary key alone: the first and last steps, and whether
     * there are more than cap points (counting stops there). The count's
     * ORDER BY step holds the planner to the key range: without it, on a
     * table that is mostly this key, it would rather scan the table. */
    static const char sql[] =
        "SELECT (SELECT count(*) FROM (SELECT 1 FROM metrics WHERE run = $1 AND key = $2 "
        "AND is_nan = 0 ORDER BY step LIMIT $3) AS capped), "
        "(SELECT step FROM metrics WHERE run = $1 AND key = $2 AND is_nan = 0 "
        "ORDER BY step LIMIT 1), "
        "(SELECT step FROM metrics WHERE run = $1 AND key = $2 AND is_nan = 0 "
        "ORDER BY step DESC LIMIT 1)";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c;
    int64_t run;
    int rc = -1;
    memset(out, 0, sizeof(*out));
    if (open_run(pg, run_id, &c, &run, err))
        goto out;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, run);
    pg_args_text(&a, key);
    pg_args_int(&a, cap);
    PGresult *r = pg_run(c, sql, &a, "reading metric history", err);
    pg_args_release(&a);
    if (r) {
        out->count = pg_get_int(r, 0, 0);
        out->first_step = pg_get_int(r, 0, 1); /* NULL (no point): 0 */
        out->last_step = pg_get_int(r, 0, 2);
        PQclear(r);
        rc = 0;
    }
out:
    pg_reader_put(pg, c);
    return rc;
}

static int pg_metric_scan(struct store *s, const char *run_id, const char *key, store_point_fn fn,
                          void *arg, struct ferr *err)
{
    static const char sql[] = "SELECT step, timestamp, value FROM metrics "
                              "WHERE run = $1 AND key = $2 AND is_nan = 0 "
                              "ORDER BY step, timestamp, value";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c;
    int64_t run;
    int rc = -1;
    if (open_run(pg, run_id, &c, &run, err))
        goto out;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, run);
    pg_args_text(&a, key);
    PGresult *r = pg_run(c, sql, &a, "reading metric history", err);
    pg_args_release(&a);
    if (r) {
        for (int i = 0, n = PQntuples(r); i < n; i++) {
            struct metric p = {.value = pg_get_real(r, i, 2, -1),
                               .timestamp = pg_get_int(r, i, 1),
                               .step = pg_get_int(r, i, 0)};
            fn(arg, &p);
        }
        PQclear(r);
        rc = 0;
    }
out:
    pg_reader_put(pg, c);
    return rc;
}

const struct store_metrics_ops pg_metrics = {
    .history = pg_metric_history,
    .steps = pg_metric_steps,
    .points_at_steps = pg_metric_points_at_steps,
    .span = pg_metric_span,
    .scan = pg_metric_scan,
};
