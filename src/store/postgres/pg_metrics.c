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
 * array of steps, not a statement per step). The points come back a row
 * at a time and in binary: no result of megabytes held, no number parsed
 * from text. A page of history comes by COPY (pg_copy_rows: no PGresult
 * a row), the other reads in single-row mode (pg_run_rows). */
#include "store/postgres/pg_int.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* Points as their rows arrive (pg_run_rows: step, timestamp, value,
 * is_nan, binary), at most limit of them (0: all); more is set when there
 * was another. */
struct points {
    struct metric_list *out;
    const char *key;
    const char *run_id; /* each point's run_id, or NULL */
    int64_t limit, n;
    int more;
};

static void add_point(void *arg, const PGresult *r, int row)
{
    struct points *p = arg;
    if (p->limit && p->n == p->limit) {
        p->more = 1;
        return;
    }
    p->n++;
    metric_list_add_point(p->out, p->key, pg_bin_real(r, row, 2, 3), pg_bin_int(r, row, 1),
                          pg_bin_int(r, row, 0));
    if (p->run_id)
        p->out->v[p->out->n - 1].run_id = xstrdup(p->run_id);
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

/* add_point for a row of COPY (pg_copy_rows). */
static void copy_point(void *arg, const struct pg_copy_row *row)
{
    struct points *p = arg;
    if (row->n != 4 || !row->v[0] || !row->v[1] || !row->v[2] || !row->v[3])
        return; /* the columns are NOT NULL: never */
    if (p->limit && p->n == p->limit) {
        p->more = 1;
        return;
    }
    p->n++;
    double v = pg_be_int(row->v[3], row->len[3]) ? NAN : pg_be_real(row->v[2], row->len[2]);
    metric_list_add_point(p->out, p->key, v, pg_be_int(row->v[1], row->len[1]),
                          pg_be_int(row->v[0], row->len[0]));
}

static int pg_metric_history(struct store *s, const char *run_id, const char *key,
                             struct store_page *page, struct metric_list *out, struct ferr *err)
{
    /* Primary-key order: one range scan of the index, sent by COPY (the
     * whole history in one stream, no PGresult a row). COPY takes no
     * parameters: the run and the numbers are formatted, the key escaped
     * by libpq for this connection. */
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c;
    struct sbuf sql = SBUF_INIT;
    int64_t run;
    int rc = -1;
    if (open_run(pg, run_id, &c, &run, err))
        goto out;
    char *lit = PQescapeLiteral(c->conn, key, strlen(key));
    if (!lit) {
        rc = pg_fail(c, "reading metric history", err);
        goto out;
    }
    sbuf_addf(&sql,
              "COPY (SELECT step, timestamp, value, is_nan FROM metrics WHERE run = %" PRId64
              " AND key = %s ORDER BY step, timestamp, value, is_nan",
              run, lit);
    PQfreemem(lit);
    if (page->limit)
        sbuf_addf(&sql, " LIMIT %" PRId64, page->limit + 1);
    sbuf_addf(&sql, " OFFSET %" PRId64 ") TO STDOUT (FORMAT binary)", page->offset);
    struct points p = {out, key, NULL, page->limit, 0, 0};
    rc = pg_copy_rows(c, sql.buf, copy_point, &p, "reading metric history", err);
    page->more = p.more;
out:
    sbuf_release(&sql);
    pg_reader_put(pg, c);
    if (rc)
        metric_list_release(out);
    return rc;
}

/* Steps as their rows arrive, in order; a step's repeats are dropped. */
struct steps {
    struct store_steps *out;
    size_t first; /* out's steps before these */
};

static void add_step(void *arg, const PGresult *r, int row)
{
    struct steps *st = arg;
    struct store_steps *out = st->out;
    int64_t step = pg_bin_int(r, row, 0);
    if (out->n > st->first && out->v[out->n - 1] == step)
        return;
    ALLOC_GROW(out->v, out->n + 1, out->alloc);
    out->v[out->n++] = step;
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
    size_t first = out->n;
    struct steps st = {out, first};
    rc = pg_run_rows(c, sql, &a, add_step, &st, "reading metric steps", err);
    pg_args_release(&a);
    if (rc)
        out->n = first;
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
    int rc = -1;
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
    struct points p = {out, key, run_id, 0, 0, 0};
    rc = pg_run_rows(c, sql, &a, add_point, &p, "reading metric history", err);
    pg_args_release(&a);
    sbuf_release(&arr);
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

/* The scan's points as their rows arrive (step, timestamp, value). */
struct scan {
    store_point_fn fn;
    void *arg;
};

static void scan_point(void *arg, const PGresult *r, int row)
{
    struct scan *sc = arg;
    struct metric p = {.value = pg_bin_real(r, row, 2, -1),
                       .timestamp = pg_bin_int(r, row, 1),
                       .step = pg_bin_int(r, row, 0)};
    sc->fn(sc->arg, &p);
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
    struct scan sc = {fn, arg};
    rc = pg_run_rows(c, sql, &a, scan_point, &sc, "reading metric history", err);
    pg_args_release(&a);
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
