/* SPDX-License-Identifier: MIT
 * The prediction log in the PostgreSQL backend (store/predictions.h's
 * backend contract; the tables are schema version 8, store/postgres/
 * schema.c).
 *
 * Layout. One table, pred_rows, partitioned by LIST (dep), a deployment's
 * integer id (pred_deployments), and each deployment's partition by RANGE
 * (rid), one leaf per UTC day ([the smallest UUIDv7 of the day's first ms,
 * that of the next day's)). Why two levels rather than one RANGE on (dep,
 * rid): the DDL of a deployment's days (ATTACH when a day starts, DROP at
 * retention) locks only that deployment's partition, never the root, so
 * one deployment's retention never stalls another's logging or reads; a
 * deployment's queries plan against its own partition only; and the leaf
 * bounds are a day's rids, so the key (rid, ix, shadow) orders a leaf by
 * time and a search's ORDER BY rid, ix, shadow is an ordered walk of the
 * leaves' unique
 * index. Rows are placed by their rid (a UUIDv7 carries its ms), so an id
 * alone names its day, as feedback needs. Each leaf has a unique index on
 * (rid, ix, shadow) (a retried batch logs once: ON CONFLICT DO NOTHING; a
 * shadow's answer to a request is a row of its own beside the answer) and a
 * partial index on caller_id (feedback naming a caller's X-Request-Id).
 *
 * Leaves are made on demand by ferry_pred_prepare (schema.c): a standalone
 * CREATE TABLE, its indexes, then ATTACH PARTITION, which takes SHARE
 * UPDATE EXCLUSIVE on the deployment's partition (concurrent inserts and
 * reads go on) where CREATE TABLE ... PARTITION OF would take ACCESS
 * EXCLUSIVE; replicas making the same leaf take turns on an advisory lock
 * held only when the leaf is missing (pred_partitions says which exist).
 *
 * A row is compact: its key, times, status, its target as an integer into
 * the day's dictionary (pred_targets: deployment revision, model version,
 * shadow, column and class names, keyed by an md5 of those fields), its
 * inputs and outputs as the codec's bytes (bytea); never rewritten: its
 * label is its (dep, rid, ix)'s newest change (pred_label_changes, keyed
 * in the same order, merged with the rows on read). Aggregates
 * (pred_hours), dirty hours (pred_dirty) and the labels' history
 * (pred_label_changes) are plain tables keyed by deployment and time;
 * retention (ferry_pred_drop_before) drops the day's leaf and deletes
 * their rows of the day in the same transaction.
 *
 * Batches. A put is three statements whatever its size (up to 1,000 rows a
 * statement): the deployments and leaves (ferry_pred_prepare), the targets
 * (an upsert returning their ids), the rows (INSERT ... SELECT FROM
 * unnest(arrays) ON CONFLICT DO NOTHING, with the hours marked dirty in
 * the same statement). A label batch is one statement (plus the
 * deployment's id): rows found by key or caller id (read, never written),
 * their labels' changes appended, their hours marked dirty. Values travel as
 * array literals (pg_int.h's parameters are text), blobs in hex.
 *
 * Reads. A search or a scan reads the deployment's dictionary once and
 * its rows alone (no join per row), in binary, a row at a time, in pages
 * of the key's order inside one snapshot, each page planned for its own
 * values and never sorted (read_begin says why). Each page's labels are
 * read first, in the same order, and merged with its rows in C
 * (read_page_labels); the labeled filter is the merge's.
 *
 * Dirty hours carry a generation from a sequence (never reused, even after
 * the mark is cleared), so an hour's aggregates are replaced only when no
 * write dirtied it after the refresher read its generation. */
#include "store/postgres/pg_int.h"
#include "store/predictions.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define DAY_MS  86400000LL
#define HOUR_MS 3600000LL
#define CHUNK   1000 /* rows or labels a statement */

/* ---------- ids and times ---------- */

static int64_t rid_ms(const unsigned char *rid)
{
    int64_t v = 0;
    for (int i = 0; i < 6; i++)
        v = v << 8 | rid[i];
    return v;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return a % b < 0 ? q - 1 : q;
}

static void rid_text(const unsigned char *rid, char out[37])
{
    static const char hex[] = "0123456789abcdef";
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[rid[i] >> 4];
        *p++ = hex[rid[i] & 15];
    }
    *p = '\0';
}

/* The smallest rid of ms (clamped to UUIDv7's 48 bits). */
static void rid_min_text(int64_t ms, char out[37])
{
    unsigned char rid[16] = {0};
    if (ms < 0)
        ms = 0;
    if (ms > 0xffffffffffffLL) {
        memset(rid, 0xff, sizeof(rid));
    } else {
        for (int i = 5; i >= 0; i--, ms >>= 8)
            rid[i] = (unsigned char)(ms & 0xff);
    }
    rid_text(rid, out);
}

/* The rid bounds of [start_ms, end_ms) (0: unbounded). */
static void rid_range(int64_t start_ms, int64_t end_ms, char lo[37], char hi[37])
{
    rid_min_text(start_ms > 0 ? start_ms : 0, lo);
    rid_min_text(end_ms > 0 ? end_ms : INT64_MAX, hi);
}

/* ---------- array literals ---------- */

static void arr_open(struct sbuf *b)
{
    sbuf_reset(b);
    sbuf_addch(b, '{');
}

static void arr_next(struct sbuf *b)
{
    if (b->len > 1)
        sbuf_addch(b, ',');
}

static void arr_null(struct sbuf *b)
{
    arr_next(b);
    sbuf_addstr(b, "NULL");
}

static void arr_int(struct sbuf *b, int64_t v)
{
    arr_next(b);
    sbuf_addf(b, "%" PRId64, v);
}

static void arr_str(struct sbuf *b, const char *s)
{
    if (!s) {
        arr_null(b);
        return;
    }
    arr_next(b);
    sbuf_addch(b, '"');
    for (const char *p = s; *p; p++) {
        size_t run = strcspn(p, "\"\\");
        sbuf_add(b, p, run);
        p += run;
        if (!*p)
            break;
        sbuf_addch(b, '\\');
        sbuf_addch(b, *p);
    }
    sbuf_addch(b, '"');
}

/* Bytes as hex text (decode(x, 'hex') in SQL); NULL: SQL NULL. */
static void arr_hex(struct sbuf *b, const unsigned char *p, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    if (!p) {
        arr_null(b);
        return;
    }
    arr_next(b);
    if (n == 0) {
        sbuf_addstr(b, "\"\"");
        return;
    }
    sbuf_grow(b, 2 * n);
    char *o = b->buf + b->len;
    for (size_t i = 0; i < n; i++) {
        *o++ = hex[p[i] >> 4];
        *o++ = hex[p[i] & 15];
    }
    sbuf_setlen(b, b->len + 2 * n);
}

static void arr_close(struct sbuf *b)
{
    sbuf_addch(b, '}');
}

/* An integer array's text ("{1,2}") into out[n]; -1 when it has not n. */
static int parse_int_array(const char *s, int32_t *out, size_t n)
{
    size_t got = 0;
    if (*s++ != '{')
        return -1;
    while (*s && *s != '}') {
        char *end;
        long long v = strtoll(s, &end, 10);
        if (end == s || got == n)
            return -1;
        out[got++] = (int32_t)v;
        s = *end == ',' ? end + 1 : end;
    }
    return got == n ? 0 : -1;
}

/* ---------- lookups ---------- */

/* Deployment name's id, 0 when it has logged nothing. */
static int dep_id(struct pg_conn *c, const char *name, int32_t *id, struct ferr *err)
{
    static const char sql[] = "SELECT id FROM pred_deployments WHERE name = $1";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    PGresult *r = pg_run(c, sql, &a, "reading the prediction log's deployments", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    *id = PQntuples(r) ? (int32_t)pg_get_int(r, 0, 0) : 0;
    PQclear(r);
    return 0;
}

/* ---------- put ---------- */

static int same_str(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

static int same_target(const struct pred_target *a, const struct pred_target *b)
{
    return a->revision == b->revision && a->version == b->version && !!a->shadow == !!b->shadow &&
           same_str(a->deployment, b->deployment) && same_str(a->model, b->model) &&
           same_str(a->columns, b->columns) && same_str(a->classes, b->classes) &&
           same_str(a->task, b->task);
}

struct part { /* a (deployment, day) the batch touches */
    const char *name;
    int32_t day;
    int32_t dep; /* its id, from ferry_pred_prepare */
};

struct tgt { /* a distinct target of a part */
    const struct pred_target *t;
    size_t part;
    int32_t id;
};

struct put_state {
    const struct pred_row *rows;
    size_t n;
    struct part *parts;
    size_t nparts;
    struct tgt *tgts;
    size_t ntgts;
    size_t *row_part, *row_tgt;
};

static int32_t row_day(const struct pred_row *r)
{
    return (int32_t)floor_div(rid_ms(r->rid), DAY_MS);
}

/* Groups the rows by part and by target (rows of a batch share a few). */
static void put_group(struct put_state *st)
{
    st->parts = xcalloc(st->n + 1, sizeof(*st->parts));
    st->tgts = xcalloc(st->n + 1, sizeof(*st->tgts));
    st->row_part = xcalloc(st->n + 1, sizeof(*st->row_part));
    st->row_tgt = xcalloc(st->n + 1, sizeof(*st->row_tgt));
    size_t lp = 0, lt = 0;
    for (size_t i = 0; i < st->n; i++) {
        const struct pred_row *r = &st->rows[i];
        const char *name = r->target.deployment ? r->target.deployment : "";
        int32_t day = row_day(r);
        size_t p = lp;
        if (!(p < st->nparts && st->parts[p].day == day && !strcmp(st->parts[p].name, name))) {
            for (p = 0; p < st->nparts; p++)
                if (st->parts[p].day == day && !strcmp(st->parts[p].name, name))
                    break;
            if (p == st->nparts)
                st->parts[st->nparts++] = (struct part){name, day, 0};
        }
        size_t t = lt;
        if (!(t < st->ntgts && st->tgts[t].part == p && same_target(st->tgts[t].t, &r->target))) {
            for (t = 0; t < st->ntgts; t++)
                if (st->tgts[t].part == p && same_target(st->tgts[t].t, &r->target))
                    break;
            if (t == st->ntgts)
                st->tgts[st->ntgts++] = (struct tgt){&r->target, p, 0};
        }
        st->row_part[i] = lp = p;
        st->row_tgt[i] = lt = t;
    }
}

static void put_state_release(struct put_state *st)
{
    free(st->parts);
    free(st->tgts);
    free(st->row_part);
    free(st->row_tgt);
}

/* The parts' deployment ids, their leaves made. */
static int put_prepare(struct pg_conn *c, struct put_state *st, struct ferr *err)
{
    static const char sql[] = "SELECT ferry_pred_prepare($1::text[], $2::integer[])";
    struct sbuf names = SBUF_INIT, days = SBUF_INIT;
    arr_open(&names);
    arr_open(&days);
    for (size_t i = 0; i < st->nparts; i++) {
        arr_str(&names, st->parts[i].name);
        arr_int(&days, st->parts[i].day);
    }
    arr_close(&names);
    arr_close(&days);
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, names.buf);
    pg_args_text(&a, days.buf);
    PGresult *r = pg_run(c, sql, &a, "making the prediction log's partitions", err);
    pg_args_release(&a);
    sbuf_release(&names);
    sbuf_release(&days);
    if (!r)
        return -1;
    int32_t *ids = xcalloc(st->nparts + 1, sizeof(*ids));
    int rc = parse_int_array(pg_get_ref(r, 0, 0), ids, st->nparts);
    PQclear(r);
    for (size_t i = 0; rc == 0 && i < st->nparts; i++)
        st->parts[i].dep = ids[i];
    free(ids);
    if (rc)
        return ferr_set(err, FERR_INTERNAL_ERROR, "the prediction log's partitions: bad answer");
    return 0;
}

/* The targets' ids in their days' dictionaries (added when new). A target
 * another replica adds at the same moment is not in this statement's
 * snapshot: the statement runs again, and then sees it. */
static int put_targets(struct pg_conn *c, struct put_state *st, struct ferr *err)
{
    static const char sql[] =
        "WITH x AS (SELECT * FROM unnest($1::integer[], $2::integer[], $3::bigint[], "
        "  $4::text[], $5::bigint[], $6::smallint[], $7::text[], $8::text[], $9::text[]) "
        "  WITH ORDINALITY AS x(dep, day, revision, model, version, shadow, columns, classes, "
        "  task, ord)), "
        "y AS (SELECT x.*, md5(json_build_array(revision, model, version, shadow, columns, "
        "  classes, task)::text) AS fp FROM x), "
        "ins AS (INSERT INTO pred_targets (dep, day, fp, revision, model, version, shadow, "
        "  columns, classes, task) SELECT dep, day, fp, revision, model, version, shadow, "
        "  columns, classes, task FROM y ON CONFLICT (dep, day, fp) DO NOTHING "
        "  RETURNING id, dep, day, fp) "
        "SELECT coalesce(ins.id, t.id) FROM y "
        "LEFT JOIN ins ON ins.dep = y.dep AND ins.day = y.day AND ins.fp = y.fp "
        "LEFT JOIN pred_targets t ON t.dep = y.dep AND t.day = y.day AND t.fp = y.fp "
        "ORDER BY y.ord";
    struct sbuf v[9];
    for (int k = 0; k < 9; k++) {
        v[k] = (struct sbuf)SBUF_INIT;
        arr_open(&v[k]);
    }
    for (size_t i = 0; i < st->ntgts; i++) {
        const struct pred_target *t = st->tgts[i].t;
        const struct part *p = &st->parts[st->tgts[i].part];
        arr_int(&v[0], p->dep);
        arr_int(&v[1], p->day);
        arr_int(&v[2], t->revision);
        arr_str(&v[3], t->model ? t->model : "");
        arr_int(&v[4], t->version);
        arr_int(&v[5], t->shadow ? 1 : 0);
        arr_str(&v[6], t->columns ? t->columns : "[]");
        arr_str(&v[7], t->classes ? t->classes : "[]");
        arr_str(&v[8], t->task ? t->task : "");
    }
    struct pg_args a = PG_ARGS_INIT;
    for (int k = 0; k < 9; k++) {
        arr_close(&v[k]);
        pg_args_text(&a, v[k].buf);
    }
    int rc = -1;
    for (int attempt = 0; attempt < 3 && rc; attempt++) {
        PGresult *r = pg_run(c, sql, &a, "writing the prediction log's targets", err);
        if (!r)
            break;
        if ((size_t)PQntuples(r) == st->ntgts) {
            rc = 0;
            for (size_t i = 0; i < st->ntgts; i++) {
                if (pg_get_null(r, (int)i, 0))
                    rc = -1;
                else
                    st->tgts[i].id = (int32_t)pg_get_int(r, (int)i, 0);
            }
        }
        PQclear(r);
        if (rc && attempt == 2)
            ferr_set(err, FERR_TEMPORARILY_UNAVAILABLE,
                     "the prediction log's targets changed meanwhile");
    }
    pg_args_release(&a);
    for (int k = 0; k < 9; k++)
        sbuf_release(&v[k]);
    return rc;
}

#define ROW_ARRAYS 14

static int put_chunk(struct pg_conn *c, struct put_state *st, size_t from, size_t to,
                     struct ferr *err)
{
    static const char sql[] =
        "WITH r AS (SELECT * FROM unnest($1::integer[], $2::uuid[], $3::integer[], "
        "  $4::integer[], $5::bigint[], $6::integer[], $7::text[], $8::text[], $9::integer[], "
        "  $10::smallint[], $11::text[], $12::text[], $13::bigint[], $14::smallint[]) "
        "  AS r(dep, rid, ix, nrows, time_ms, target, caller_id, tags, latency_us, status, "
        "  inputs, outputs, hour_ms, shadow)), "
        "ins AS (INSERT INTO pred_rows (dep, rid, ix, nrows, time_ms, target, caller_id, tags, "
        "  latency_us, status, shadow, inputs, outputs) SELECT dep, rid, ix, nrows, time_ms, "
        "  target, caller_id, tags, latency_us, status, shadow, decode(inputs, 'hex'), "
        "  decode(outputs, 'hex') FROM r ON CONFLICT DO NOTHING) "
        "INSERT INTO pred_dirty (dep, hour_ms, gen) SELECT dep, hour_ms, nextval('pred_seq') "
        "FROM (SELECT DISTINCT dep, hour_ms FROM r ORDER BY 1, 2) h "
        "ON CONFLICT (dep, hour_ms) DO UPDATE SET gen = excluded.gen";
    struct sbuf v[ROW_ARRAYS];
    for (int k = 0; k < ROW_ARRAYS; k++) {
        v[k] = (struct sbuf)SBUF_INIT;
        arr_open(&v[k]);
    }
    for (size_t i = from; i < to; i++) {
        const struct pred_row *r = &st->rows[i];
        char rid[37];
        rid_text(r->rid, rid);
        arr_int(&v[0], st->parts[st->row_part[i]].dep);
        arr_next(&v[1]);
        sbuf_addstr(&v[1], rid);
        arr_int(&v[2], r->row);
        arr_int(&v[3], r->nrows);
        arr_int(&v[4], r->time_ms);
        arr_int(&v[5], st->tgts[st->row_tgt[i]].id);
        arr_str(&v[6], r->caller_id);
        arr_str(&v[7], r->tags);
        arr_int(&v[8], r->latency_us > INT32_MAX ? INT32_MAX : (int64_t)r->latency_us);
        arr_int(&v[9], r->status);
        arr_hex(&v[10], r->inputs ? r->inputs : (const unsigned char *)"", r->ninputs);
        arr_hex(&v[11], r->outputs, r->noutputs);
        arr_int(&v[12], floor_div(rid_ms(r->rid), HOUR_MS) * HOUR_MS);
        arr_int(&v[13], r->target.shadow ? 1 : 0);
    }
    struct pg_args a = PG_ARGS_INIT;
    for (int k = 0; k < ROW_ARRAYS; k++) {
        arr_close(&v[k]);
        pg_args_text(&a, v[k].buf);
    }
    int rc = pg_do(c, sql, &a, "writing the prediction log", err);
    if (rc && !strcmp(c->sqlstate, "23514")) {
        /* A leaf that retention dropped between the prepare and the
         * insert: the write runs again from the start (and makes it). */
        snprintf(c->sqlstate, sizeof(c->sqlstate), "40001");
        ferr_set(err, FERR_TEMPORARILY_UNAVAILABLE, "a prediction log partition was dropped");
    }
    pg_args_release(&a);
    for (int k = 0; k < ROW_ARRAYS; k++)
        sbuf_release(&v[k]);
    return rc;
}

static int do_put(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    struct put_state *st = arg;
    if (put_prepare(c, st, err) || put_targets(c, st, err))
        return -1;
    for (size_t from = 0; from < st->n; from += CHUNK) {
        size_t to = st->n - from > CHUNK ? from + CHUNK : st->n;
        if (put_chunk(c, st, from, to, err))
            return -1;
    }
    return 0;
}

static int pg_pred_put(struct store *s, const struct pred_row *rows, size_t n, struct ferr *err)
{
    if (n == 0)
        return 0;
    struct put_state st = {0};
    st.rows = rows;
    st.n = n;
    put_group(&st);
    int rc = pg_write((struct pg *)s, do_put, &st, err);
    put_state_release(&st);
    return rc;
}

/* ---------- labels ---------- */

/* One statement: the rows the labels name (by key, or the latest request
 * with the caller's id) are looked up, never written; every label is one
 * entry of the history (pred_label_changes, in the batch's order); the
 * hours marked dirty. An entry's previous is not stored: it is the entry
 * before it (load_history), so a label reads nothing of the history. A row's label, for the answer
 * and its shadows, is its newest entry (highest seq): a label is one narrow insert, where setting
 * it on the wide rows wrote a new version of each (and, on a full page,
 * their index entries), 2.5x the cost. Answers the indexes of the labels
 * that found a row.
 *
 * Two replicas labeling one row at once both insert; the higher seq is the
 * row's label and the other's entry its previous. */
#define LABEL_SQL(DEP)                                                                             \
    "WITH l AS (SELECT * FROM unnest($2::integer[], $3::uuid[], $4::integer[], $5::text[], "       \
    "  $6::text[], $7::bigint[]) AS l(i, rid, ix, caller, label, ms)), "                           \
    "hit AS (SELECT l.i, l.label, l.ms, x.dep, x.rid, x.ix FROM l "                                \
    "  CROSS JOIN LATERAL (SELECT p.dep, p.rid, p.ix FROM pred_rows p "                            \
    "  WHERE p.rid = l.rid AND p.ix = l.ix AND " DEP " LIMIT 1) x " /* any of its rows */          \
    "  WHERE l.rid IS NOT NULL), "                                                                 \
    "hitc AS (SELECT l.i, l.label, l.ms, x.dep, x.rid, x.ix FROM l "                               \
    "  CROSS JOIN LATERAL (SELECT p.dep, p.rid, p.ix FROM pred_rows p "                            \
    "  WHERE p.caller_id = l.caller AND p.ix = l.ix AND " DEP                                      \
    " ORDER BY p.rid DESC, p.shadow LIMIT 1) x "                                                   \
    "  WHERE l.rid IS NULL), "                                                                     \
    "s AS (SELECT * FROM hit UNION ALL SELECT * FROM hitc), "                                      \
    "hist AS (INSERT INTO pred_label_changes (dep, rid, ix, time_ms, label, user_id) "             \
    "  SELECT dep, rid, ix, ms, label, $8 FROM s ORDER BY i), "                                    \
    "d AS (INSERT INTO pred_dirty (dep, hour_ms, gen) SELECT dep, hour_ms, nextval('pred_seq') "   \
    "  FROM (SELECT DISTINCT dep, ferry_rid_ms(rid) / 3600000 * 3600000 AS hour_ms FROM s "        \
    "  ORDER BY 1, 2) x ON CONFLICT (dep, hour_ms) DO UPDATE SET gen = excluded.gen) "             \
    "SELECT i FROM s"

struct label_arg {
    const char *deployment;
    const struct feedback_label *labels;
    const unsigned char (*rid)[PRED_RID_BYTES];
    const uint32_t *row;
    const unsigned char *is_rid;
    size_t n;
    const char *user;
    int64_t now_ms;
    const unsigned char *found; /* the caller's: labels already applied */
    unsigned char *hit;         /* this write's: set only once it commits */
};

static int label_chunk(struct pg_conn *c, struct label_arg *la, int32_t dep, size_t from, size_t to,
                       struct ferr *err)
{
    static const char by_dep[] = LABEL_SQL("p.dep = $1");
    static const char any[] = LABEL_SQL("$1::integer IS NULL");
    struct sbuf v[6];
    for (int k = 0; k < 6; k++) {
        v[k] = (struct sbuf)SBUF_INIT;
        arr_open(&v[k]);
    }
    size_t count = 0;
    for (size_t i = from; i < to; i++) {
        if (la->found[i])
            continue;
        const struct feedback_label *l = &la->labels[i];
        arr_int(&v[0], (int64_t)i);
        if (la->is_rid[i]) {
            char rid[37];
            rid_text(la->rid[i], rid);
            arr_next(&v[1]);
            sbuf_addstr(&v[1], rid);
            arr_null(&v[3]);
        } else {
            arr_null(&v[1]);
            arr_str(&v[3], l->id);
        }
        arr_int(&v[2], la->row[i]);
        arr_str(&v[4], l->label ? l->label : "");
        arr_int(&v[5], l->time_ms ? l->time_ms : la->now_ms);
        count++;
    }
    int rc = 0;
    if (count) {
        struct pg_args a = PG_ARGS_INIT;
        if (dep)
            pg_args_int(&a, dep);
        else
            pg_args_null(&a);
        for (int k = 0; k < 6; k++) {
            arr_close(&v[k]);
            pg_args_text(&a, v[k].buf);
        }
        pg_args_text(&a, la->user ? la->user : "");
        PGresult *r = pg_run(c, dep ? by_dep : any, &a, "labeling predictions", err);
        pg_args_release(&a);
        if (!r) {
            rc = -1;
        } else {
            for (int i = 0, nr = PQntuples(r); i < nr; i++) {
                int64_t k = pg_get_int(r, i, 0);
                if (k >= (int64_t)from && k < (int64_t)to)
                    la->hit[k] = 1;
            }
            PQclear(r);
        }
    }
    for (int k = 0; k < 6; k++)
        sbuf_release(&v[k]);
    return rc;
}

static int do_label(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    struct label_arg *la = arg;
    memset(la->hit, 0, la->n);
    int32_t dep = 0;
    if (la->deployment) {
        if (dep_id(c, la->deployment, &dep, err))
            return -1;
        if (!dep)
            return 0; /* nothing logged for it: every id is unknown */
    }
    for (size_t from = 0; from < la->n; from += CHUNK) {
        size_t to = la->n - from > CHUNK ? from + CHUNK : la->n;
        if (label_chunk(c, la, dep, from, to, err))
            return -1;
    }
    return 0;
}

static int pg_pred_label(struct store *s, const char *deployment,
                         const struct feedback_label *labels,
                         const unsigned char (*rid)[PRED_RID_BYTES], const uint32_t *row,
                         const unsigned char *is_rid, size_t n, const char *user, int64_t now_ms,
                         unsigned char *found, struct ferr *err)
{
    if (n == 0)
        return 0;
    struct label_arg la = {deployment, labels, rid, row, is_rid, n, user, now_ms, found, NULL};
    la.hit = xcalloc(n, 1);
    int rc = pg_write((struct pg *)s, do_label, &la, err);
    if (rc == 0)
        for (size_t i = 0; i < n; i++)
            if (la.hit[i])
                found[i] = 1;
    free(la.hit);
    return rc;
}

/* ---------- rows read back ---------- */

/* A deployment's dictionary of targets, as rows name them. A row read is
 * its own columns alone (no join per row): its target comes from here,
 * loaded once per read, in the read's snapshot. */
struct dict_entry {
    int32_t id;
    struct pred_target t;
};

struct dict {
    int64_t dep;
    const char *name; /* the deployment's (borrowed) */
    struct dict_entry *v;
    size_t n;
};

static void dict_release(struct dict *d)
{
    for (size_t i = 0; i < d->n; i++) {
        d->v[i].t.deployment = NULL; /* borrowed */
        pred_target_release(&d->v[i].t);
    }
    free(d->v);
    d->v = NULL;
    d->n = 0;
}

static int dict_load(struct pg_conn *c, struct dict *d, struct ferr *err)
{
    static const char sql[] = "SELECT id, revision, model, version, shadow, columns, classes, "
                              "task FROM pred_targets WHERE dep = $1 ORDER BY id";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, d->dep);
    PGresult *r = pg_run(c, sql, &a, "reading the prediction log's targets", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    dict_release(d);
    int n = PQntuples(r);
    d->v = xcalloc((size_t)n + 1, sizeof(*d->v));
    for (int i = 0; i < n; i++) {
        struct dict_entry *e = &d->v[i];
        e->id = (int32_t)pg_get_int(r, i, 0);
        e->t.deployment = (char *)d->name;
        e->t.revision = pg_get_int(r, i, 1);
        e->t.model = pg_get_str(r, i, 2);
        e->t.version = pg_get_int(r, i, 3);
        e->t.shadow = (int)pg_get_int(r, i, 4);
        e->t.columns = pg_get_str(r, i, 5);
        e->t.classes = pg_get_str(r, i, 6);
        e->t.task = pg_get_str(r, i, 7);
    }
    d->n = (size_t)n;
    PQclear(r);
    return 0;
}

static const struct pred_target *dict_find(const struct dict *d, int32_t id)
{
    size_t lo = 0, hi = d->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (d->v[mid].id == id)
            return &d->v[mid].t;
        if (d->v[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* The columns every row read selects, in the order fill_row reads them. */
#define ROW_COLS                                                                                   \
    "p.rid, p.ix, p.nrows, p.time_ms, p.caller_id, p.tags, p.latency_us, p.status, p.inputs, "     \
    "p.outputs, p.target, p.dep, p.shadow FROM pred_rows p "
#define COL_TARGET 10
#define COL_DEP    11
#define COL_SHADOW 12

/* A text cell: borrowed (pointing into r) or a copy; NULL for NULL. */
static char *cell_str(const PGresult *r, int i, int col, int borrow)
{
    if (PQgetisnull(r, i, col))
        return NULL;
    char *v = PQgetvalue(r, i, col);
    return borrow ? v : xstrdup(v);
}

static unsigned char *cell_bytes(const PGresult *r, int i, int col, int borrow, size_t *n)
{
    *n = 0;
    if (PQgetisnull(r, i, col))
        return NULL;
    int len = PQgetlength(r, i, col);
    char *v = PQgetvalue(r, i, col);
    *n = (size_t)len;
    if (borrow)
        return (unsigned char *)v;
    unsigned char *out = xmalloc((size_t)len + 1);
    memcpy(out, v, (size_t)len);
    out[len] = 0;
    return out;
}

/* Row i of a binary result of ROW_COLS and its target t into out: its
 * strings and blobs copies, or (borrow) pointers into r and t, valid while
 * they live. */
static void fill_row(const PGresult *r, int i, const struct pred_target *t, struct pred_row *out,
                     int borrow)
{
    memset(out, 0, sizeof(*out));
    if (PQgetlength(r, i, 0) == PRED_RID_BYTES)
        memcpy(out->rid, PQgetvalue(r, i, 0), PRED_RID_BYTES);
    out->row = (uint32_t)pg_bin_int(r, i, 1);
    out->nrows = (uint32_t)pg_bin_int(r, i, 2);
    out->time_ms = pg_bin_int(r, i, 3);
    out->caller_id = cell_str(r, i, 4, borrow);
    out->tags = cell_str(r, i, 5, borrow);
    out->latency_us = (uint32_t)pg_bin_int(r, i, 6);
    out->status = (int)pg_bin_int(r, i, 7);
    out->inputs = cell_bytes(r, i, 8, borrow, &out->ninputs);
    out->outputs = cell_bytes(r, i, 9, borrow, &out->noutputs);
    if (borrow)
        out->target = *t;
    else
        pred_target_copy(t, &out->target);
}

/* A target no dictionary entry has (a row of a day retention is dropping)
 * stands as an empty one rather than losing the row. */
static const struct pred_target no_target = {
    (char *)"", 0, (char *)"", 0, 0, (char *)"[]", (char *)"[]", (char *)""};

/* A page's labels: the newest of each (rid, ix), in key order. */
struct page_label {
    unsigned char rid[PRED_RID_BYTES];
    int64_t ix;
    char *label;
    int64_t ms;
};

/* A read's pages of rows (scan or search). */
struct page_arg {
    const struct dict *d;
    struct ferr *err;
    /* scan: fn per row (borrowed); search: out (copies) */
    pred_row_fn fn;
    void *arg;
    struct pred_row_list *out;
    size_t want; /* search: rows wanted in out */
    int labeled; /* the labeled filter (-1: any) */
    int rc;
    size_t got;
    unsigned char last_rid[PRED_RID_BYTES]; /* the page's last row */
    uint32_t last_ix;
    int last_shadow;
    /* the page's labels, merged with its rows (both in key order) */
    struct page_label *labels;
    size_t nlabels, alloc, at;
    size_t lgot; /* changes the labels' query gave */
};

static int key_cmp(const unsigned char *a, int64_t aix, const unsigned char *b, int64_t bix)
{
    int d = memcmp(a, b, PRED_RID_BYTES);
    return d ? d : (aix > bix) - (aix < bix);
}

static void labels_clear(struct page_arg *pa)
{
    for (size_t i = 0; i < pa->nlabels; i++)
        free(pa->labels[i].label);
    pa->nlabels = 0;
    pa->at = 0;
}

/* A change of a page's labels query (key order, oldest first): a key's
 * later change replaces its earlier. */
static void label_row(void *arg, const PGresult *r, int i)
{
    struct page_arg *pa = arg;
    if (PQgetlength(r, i, 0) != PRED_RID_BYTES)
        return;
    const unsigned char *rid = (const unsigned char *)PQgetvalue(r, i, 0);
    int64_t ix = pg_bin_int(r, i, 1);
    pa->lgot++;
    struct page_label *l = pa->nlabels ? &pa->labels[pa->nlabels - 1] : NULL;
    if (!l || key_cmp(l->rid, l->ix, rid, ix)) {
        ALLOC_GROW(pa->labels, pa->nlabels + 1, pa->alloc);
        l = &pa->labels[pa->nlabels++];
        memcpy(l->rid, rid, PRED_RID_BYTES);
        l->ix = ix;
        l->label = NULL;
    }
    free(l->label);
    l->label = xstrdup(PQgetvalue(r, i, 2));
    l->ms = pg_bin_int(r, i, 3);
}

/* The label of (rid, ix) from the page's labels (asked in key order). */
static const struct page_label *label_find(struct page_arg *pa, const unsigned char *rid,
                                           int64_t ix)
{
    int d = 1;
    while (pa->at < pa->nlabels &&
           (d = key_cmp(pa->labels[pa->at].rid, pa->labels[pa->at].ix, rid, ix)) < 0)
        pa->at++;
    return pa->at < pa->nlabels && !d ? &pa->labels[pa->at] : NULL;
}

static void page_row(void *arg, const PGresult *r, int i)
{
    struct page_arg *pa = arg;
    pa->got++;
    if (PQgetlength(r, i, 0) == PRED_RID_BYTES)
        memcpy(pa->last_rid, PQgetvalue(r, i, 0), PRED_RID_BYTES);
    pa->last_ix = (uint32_t)pg_bin_int(r, i, 1);
    pa->last_shadow = (int)pg_bin_int(r, i, COL_SHADOW);
    if (pa->rc || (pa->out && pa->out->n >= pa->want))
        return; /* stopped, or the search's page is full: the rest stream past */
    const struct page_label *lab = label_find(pa, pa->last_rid, pa->last_ix);
    if (pa->labeled >= 0 && !lab == !!pa->labeled)
        return;
    /* The dictionary was read in the rows' snapshot: every target is in it. */
    const struct pred_target *t = dict_find(pa->d, (int32_t)pg_bin_int(r, i, COL_TARGET));
    if (!t)
        t = &no_target;
    if (pa->out) {
        struct pred_row_list *l = pa->out;
        if (l->n == l->alloc) {
            l->alloc = l->alloc ? 2 * l->alloc : 16;
            l->v = xrealloc(l->v, l->alloc * sizeof(*l->v));
        }
        struct pred_row *row = &l->v[l->n++];
        fill_row(r, i, t, row, 0);
        if (lab) {
            row->label = xstrdup(lab->label);
            row->label_ms = lab->ms;
        }
    } else {
        struct pred_row row;
        fill_row(r, i, t, &row, 1);
        if (lab) {
            row.label = lab->label;
            row.label_ms = lab->ms;
        }
        pa->rc = pa->fn(pa->arg, &row, pa->err) ? -1 : 0;
    }
}

/* "name/version" -> name (a copy) and version; -1 when it is not one. */
static int split_model(const char *model, char **name, int64_t *version)
{
    const char *slash = strrchr(model, '/');
    if (!slash || slash == model || !slash[1])
        return -1;
    char *end;
    long long v = strtoll(slash + 1, &end, 10);
    if (*end)
        return -1;
    *name = xstrndup(model, (size_t)(slash - model));
    *version = v;
    return 0;
}

/* The target ids of d q's model and shadow filters allow, as an array
 * literal into b; 0 when any target is allowed (no filter). */
static int allowed_targets(const struct dict *d, const struct prediction_query *q, struct sbuf *b)
{
    char *model = NULL;
    int64_t version = 0;
    if (!q->model && q->shadow < 0)
        return 0;
    int ok = !q->model || !split_model(q->model, &model, &version);
    arr_open(b);
    for (size_t i = 0; ok && i < d->n; i++) {
        const struct pred_target *t = &d->v[i].t;
        if (model && (strcmp(t->model, model) || t->version != version))
            continue;
        if (q->shadow >= 0 && !!t->shadow != !!q->shadow)
            continue;
        arr_int(b, d->v[i].id);
    }
    arr_close(b);
    free(model);
    return 1;
}

/* A page of a deployment's rows after (rid, ix, shadow) and up to (rid,
 * ix) $7, $11 in key order, filtered. The row comparisons find the page's
 * start and end in the leaves' index; the plain bounds on rid prune the
 * leaves. */
static const char page_sql[] =
    "SELECT " ROW_COLS "WHERE p.dep = $1 AND p.rid >= $2::uuid AND p.rid < $3::uuid "
    "AND (p.rid, p.ix, p.shadow) > ($4::uuid, $5::integer, $10::smallint) "
    "AND (p.rid, p.ix) <= ($7::uuid, $11::integer) "
    "AND ($6::integer[] IS NULL OR p.target = ANY ($6::integer[])) "
    "AND ($8::integer = 0 OR (p.status BETWEEN 200 AND 299) = ($8::integer = 1)) "
    "ORDER BY p.rid, p.ix, p.shadow LIMIT $9";

/* The labels' changes from (rid, ix) on, in key order (the index's): the
 * page's labels, read before its rows and merged with them in C (one
 * ordered index walk each, no probe per row). */
static const char page_labels_sql[] =
    "SELECT rid, ix, label, time_ms FROM pred_label_changes WHERE dep = $1 "
    "AND (rid, ix) >= ($2::uuid, $3::integer) AND rid < $4::uuid ORDER BY rid, ix, seq LIMIT $5";

/* A key's newest change: the last key of a full page of changes may have
 * more past the page. */
static const char newest_label_sql[] =
    "SELECT label, time_ms FROM pred_label_changes WHERE dep = $1 AND rid = $2::uuid "
    "AND ix = $3 ORDER BY seq DESC LIMIT 1";

struct newest_arg {
    char *label;
    int64_t ms;
};

static void newest_row(void *arg, const PGresult *r, int i)
{
    struct newest_arg *na = arg;
    free(na->label);
    na->label = xstrdup(PQgetvalue(r, i, 0));
    na->ms = pg_bin_int(r, i, 1);
}

/* The page's labels from (from, from_ix) into pa; *bounded 1 with the last
 * key in (end, *end_ix) when the page is full (rows past it wait for the
 * next page), else 0. */
static int read_page_labels(struct pg_conn *c, int64_t dep, const char *from, int64_t from_ix,
                            const char *hi, size_t limit, struct page_arg *pa, int *bounded,
                            char end[37], int64_t *end_ix, struct ferr *err)
{
    labels_clear(pa);
    *bounded = 0;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, dep);
    pg_args_text(&a, from);
    pg_args_int(&a, from_ix);
    pg_args_text(&a, hi);
    pg_args_int(&a, (int64_t)limit);
    pa->lgot = 0;
    int rc = pg_run_rows(c, page_labels_sql, &a, label_row, pa, "reading labels", err);
    pg_args_release(&a);
    if (rc || pa->lgot < limit || !pa->nlabels)
        return rc;
    struct page_label *last = &pa->labels[pa->nlabels - 1];
    *bounded = 1;
    rid_text(last->rid, end);
    *end_ix = last->ix;
    struct newest_arg na = {NULL, 0};
    a = (struct pg_args)PG_ARGS_INIT;
    pg_args_int(&a, dep);
    pg_args_text(&a, end);
    pg_args_int(&a, last->ix);
    rc = pg_run_rows(c, newest_label_sql, &a, newest_row, &na, "reading labels", err);
    pg_args_release(&a);
    if (!rc && na.label) {
        free(last->label);
        last->label = na.label;
        last->ms = na.ms;
    } else {
        free(na.label);
    }
    return rc;
}

struct page_query {
    int64_t dep;
    int64_t start_ms, end_ms;
    const char *targets; /* array literal or NULL */
    int labeled, status;
    size_t limit;
};

/* Reads pages of q after (after, after_pos) (NULL: from the start; a
 * position is ix * 2 + shadow, store/predictions.h) into pa
 * until one comes back short (scan), or one page of q->limit rows (once:
 * search). */
static int read_pages(struct pg_conn *c, const struct page_query *q, const unsigned char *after,
                      uint32_t after_pos, int once, struct page_arg *pa, struct ferr *err)
{
    char lo[37], hi[37], from[37];
    rid_range(q->start_ms, q->end_ms, lo, hi);
    int64_t from_ix = -1, from_shadow = 0;
    if (after) {
        rid_text(after, from);
        from_ix = after_pos >> 1;
        from_shadow = after_pos & 1;
    } else {
        memcpy(from, lo, sizeof(from));
    }
    struct pg_args a = PG_ARGS_INIT;
    int rc = 0;
    pa->labeled = q->labeled;
    pa->want = q->limit;
    for (;;) {
        char end[37];
        int64_t end_ix = -1;
        int bounded;
        rc = read_page_labels(c, q->dep, from, from_ix, hi, q->limit, pa, &bounded, end, &end_ix,
                              err);
        if (rc)
            break;
        if (!bounded)
            memcpy(end, hi, sizeof(end)); /* (hi, -1): every rid below hi */
        pg_args_clear(&a);
        pg_args_int(&a, q->dep);
        pg_args_text(&a, lo);
        pg_args_text(&a, hi);
        pg_args_text(&a, from);
        pg_args_int(&a, from_ix);
        pg_args_text(&a, q->targets);
        pg_args_text(&a, end);
        pg_args_int(&a, q->status);
        pg_args_int(&a, (int64_t)q->limit);
        pg_args_int(&a, from_shadow);
        pg_args_int(&a, end_ix);
        pa->got = 0;
        rc = pg_run_rows(c, page_sql, &a, page_row, pa, "reading predictions", err);
        if (rc == 0)
            rc = pa->rc;
        if (rc || (once && pa->out->n >= pa->want))
            break;
        if (pa->got == q->limit) { /* a full page: on after its last row */
            rid_text(pa->last_rid, from);
            from_ix = pa->last_ix;
            from_shadow = pa->last_shadow;
        } else if (bounded) { /* every row up to the labels' last key read */
            memcpy(from, end, sizeof(from));
            from_ix = end_ix;
            from_shadow = 32767;
        } else {
            break;
        }
    }
    pg_args_release(&a);
    labels_clear(pa);
    free(pa->labels);
    pa->labels = NULL;
    return rc;
}

/* A reader for a search or a scan: one snapshot for all its statements
 * (the dictionary, the pages), in which (SET LOCAL, undone when the read
 * ends) each page is planned for its own values, so only the leaves of its
 * range are planned and locked, and never sorted: a leaf that autovacuum
 * has not analyzed yet (a day's first minutes) looks like a few rows, and
 * the plan sorted the whole range for every page (45 ms a page of 5,000
 * in a leaf of 100,000 rows, against 7 ms for the index's order). */
static struct pg_conn *read_begin(struct pg *pg, struct ferr *err)
{
    struct pg_conn *c = pg_snapshot_get(pg, err);
    if (c) {
        pg_defer(c, "SET LOCAL plan_cache_mode = force_custom_plan");
        pg_defer(c, "SET LOCAL enable_sort = off");
    }
    return c;
}

static int pg_pred_search(struct store *s, const struct prediction_query *q,
                          const unsigned char *after_rid, uint32_t after_pos, size_t limit,
                          struct pred_row_list *out, struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = read_begin(pg, err);
    if (!c)
        return -1;
    int32_t dep = 0;
    struct dict d = {0, q->deployment, NULL, 0};
    struct sbuf targets = SBUF_INIT;
    int rc = dep_id(c, q->deployment, &dep, err);
    if (rc == 0 && dep) {
        d.dep = dep;
        rc = dict_load(c, &d, err);
    }
    if (rc == 0 && dep) {
        int filtered = allowed_targets(&d, q, &targets);
        struct page_query pq = {dep,        q->start_ms, q->end_ms, filtered ? targets.buf : NULL,
                                q->labeled, q->status,   limit};
        struct page_arg pa = {0};
        pa.d = &d;
        pa.err = err;
        pa.out = out;
        rc = read_pages(c, &pq, after_rid, after_pos, 1, &pa, err);
    }
    pg_snapshot_put(pg, c);
    dict_release(&d);
    sbuf_release(&targets);
    if (rc)
        pred_row_list_release(out);
    return rc;
}

#define SCAN_PAGE 5000

static int pg_pred_scan(struct store *s, const char *deployment, int64_t start_ms, int64_t end_ms,
                        pred_row_fn fn, void *arg, struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = read_begin(pg, err);
    if (!c)
        return -1;
    int32_t dep = 0;
    struct dict d = {0, deployment, NULL, 0};
    int rc = dep_id(c, deployment, &dep, err);
    if (rc == 0 && dep) {
        d.dep = dep;
        rc = dict_load(c, &d, err);
    }
    if (rc == 0 && dep) {
        struct page_query pq = {dep, start_ms, end_ms, NULL, -1, 0, SCAN_PAGE};
        struct page_arg pa = {0};
        pa.d = &d;
        pa.err = err;
        pa.fn = fn;
        pa.arg = arg;
        rc = read_pages(c, &pq, NULL, 0, 0, &pa, err);
    }
    pg_snapshot_put(pg, c);
    dict_release(&d);
    return rc;
}

/* ---------- one row and its labels' history ---------- */

static int load_history(struct pg_conn *c, int64_t dep, const unsigned char *rid, uint32_t row,
                        struct label_change_list *out, struct ferr *err)
{
    static const char sql[] = "SELECT label, lag(label) OVER (ORDER BY seq), user_id, time_ms "
                              "FROM pred_label_changes "
                              "WHERE dep = $1 AND rid = $2::uuid AND ix = $3 ORDER BY seq";
    char text[37];
    rid_text(rid, text);
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, dep);
    pg_args_text(&a, text);
    pg_args_int(&a, row);
    PGresult *r = pg_run(c, sql, &a, "reading a prediction's labels", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int n = PQntuples(r);
    out->v = xcalloc((size_t)n + 1, sizeof(*out->v));
    out->alloc = (size_t)n + 1;
    out->n = (size_t)n;
    for (int i = 0; i < n; i++) {
        struct label_change *h = &out->v[i];
        h->label = pg_get_str(r, i, 0);
        h->previous = pg_get_str_or_null(r, i, 1);
        h->user_id = pg_get_str(r, i, 2);
        h->time_ms = pg_get_int(r, i, 3);
    }
    PQclear(r);
    return 0;
}

/* The row get found: its result kept (one row) until its target is read. */
struct get_arg {
    PGresult *r;
};

static void get_row(void *arg, const PGresult *r, int i)
{
    struct get_arg *ga = arg;
    if (!ga->r && i == 0)
        ga->r = PQcopyResult(r, PG_COPYRES_ATTRS | PG_COPYRES_TUPLES);
}

/* The target id's entry (and its deployment's name) into t. */
static int load_target(struct pg_conn *c, int64_t id, struct pred_target *t, struct ferr *err)
{
    static const char sql[] =
        "SELECT x.name, t.revision, t.model, t.version, t.shadow, t.columns, t.classes, t.task "
        "FROM pred_targets t JOIN pred_deployments x ON x.id = t.dep WHERE t.id = $1";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, id);
    PGresult *r = pg_run(c, sql, &a, "reading a prediction's target", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    memset(t, 0, sizeof(*t));
    int n = PQntuples(r);
    t->deployment = n ? pg_get_str(r, 0, 0) : xstrdup("");
    t->revision = n ? pg_get_int(r, 0, 1) : 0;
    t->model = n ? pg_get_str(r, 0, 2) : xstrdup("");
    t->version = n ? pg_get_int(r, 0, 3) : 0;
    t->shadow = n ? (int)pg_get_int(r, 0, 4) : 0;
    t->columns = n ? pg_get_str(r, 0, 5) : xstrdup("[]");
    t->classes = n ? pg_get_str(r, 0, 6) : xstrdup("[]");
    t->task = n ? pg_get_str(r, 0, 7) : xstrdup("");
    PQclear(r);
    return 0;
}

static int pg_pred_get(struct store *s, const char *deployment, const unsigned char *rid,
                       uint32_t row, const char *caller_id, struct pred_row *out,
                       struct label_change_list *history, struct ferr *err)
{
    static const char by_rid[] =
        "SELECT " ROW_COLS "WHERE ($1::integer IS NULL OR p.dep = $1) AND p.rid = $2::uuid "
        "AND p.ix = $3 ORDER BY p.shadow LIMIT 1";
    static const char by_caller[] =
        "SELECT " ROW_COLS "WHERE ($1::integer IS NULL OR p.dep = $1) AND p.caller_id = $2 "
        "AND p.ix = $3 ORDER BY p.rid DESC, p.shadow LIMIT 1";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    char text[37];
    if (rid)
        rid_text(rid, text);
    int32_t dep = 0;
    struct get_arg ga = {NULL};
    struct pred_target t = {0};
    int rc = deployment ? dep_id(c, deployment, &dep, err) : 0;
    if (rc == 0 && (!deployment || dep)) {
        struct pg_args a = PG_ARGS_INIT;
        if (dep)
            pg_args_int(&a, dep);
        else
            pg_args_null(&a);
        pg_args_text(&a, rid ? text : caller_id ? caller_id : "");
        pg_args_int(&a, row);
        rc =
            pg_run_rows(c, rid ? by_rid : by_caller, &a, get_row, &ga, "reading a prediction", err);
        pg_args_release(&a);
    }
    if (rc == 0 && !ga.r)
        rc = ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "no logged prediction '%.100s'",
                      rid         ? text
                      : caller_id ? caller_id
                                  : "");
    if (rc == 0)
        rc = load_target(c, pg_bin_int(ga.r, 0, COL_TARGET), &t, err);
    unsigned char found[PRED_RID_BYTES] = {0};
    struct newest_arg na = {NULL, 0};
    if (rc == 0) { /* its label: its newest change */
        if (PQgetlength(ga.r, 0, 0) == PRED_RID_BYTES)
            memcpy(found, PQgetvalue(ga.r, 0, 0), PRED_RID_BYTES);
        char ftext[37];
        rid_text(found, ftext);
        struct pg_args a = PG_ARGS_INIT;
        pg_args_int(&a, pg_bin_int(ga.r, 0, COL_DEP));
        pg_args_text(&a, ftext);
        pg_args_int(&a, row);
        rc = pg_run_rows(c, newest_label_sql, &a, newest_row, &na, "reading a prediction's label",
                         err);
        pg_args_release(&a);
    }
    if (rc == 0 && history)
        rc = load_history(c, pg_bin_int(ga.r, 0, COL_DEP), found, row, history, err);
    if (rc == 0) {
        fill_row(ga.r, 0, &no_target, out, 0);
        pred_target_release(&out->target);
        out->target = t;       /* taken */
        out->label = na.label; /* taken */
        out->label_ms = na.ms;
    } else {
        free(na.label);
        pred_target_release(&t);
    }
    PQclear(ga.r);
    pg_reader_put(pg, c);
    return rc;
}

/* ---------- hourly aggregates ---------- */

static int pg_pred_dirty(struct store *s, const char *deployment, int64_t start_ms, int64_t end_ms,
                         struct pred_dirty_hour **out, size_t *n, struct ferr *err)
{
    static const char sql[] =
        "SELECT d.hour_ms, d.gen FROM pred_dirty d JOIN pred_deployments x ON x.id = d.dep "
        "WHERE x.name = $1 AND d.hour_ms >= $2::bigint AND ($3::bigint = 0 OR d.hour_ms < "
        "$3::bigint) "
        "ORDER BY d.hour_ms";
    struct pg *pg = (struct pg *)s;
    *out = NULL;
    *n = 0;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, deployment);
    pg_args_int(&a, start_ms > 0 ? floor_div(start_ms, HOUR_MS) * HOUR_MS : INT64_MIN);
    pg_args_int(&a, end_ms);
    PGresult *r = pg_run(c, sql, &a, "reading the prediction log's dirty hours", err);
    pg_args_release(&a);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    int nr = PQntuples(r);
    *out = xcalloc((size_t)nr + 1, sizeof(**out));
    for (int i = 0; i < nr; i++) {
        (*out)[i].hour_ms = pg_get_int(r, i, 0);
        (*out)[i].gen = pg_get_int(r, i, 1);
    }
    *n = (size_t)nr;
    PQclear(r);
    return 0;
}

struct replace_arg {
    const char *deployment;
    const struct pred_dirty_hour *h;
    const struct pred_hour *rows;
    size_t n;
};

#define HOUR_ARRAYS 15

static int do_replace(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char clear[] =
        "DELETE FROM pred_dirty WHERE dep = (SELECT id FROM pred_deployments WHERE name = $1) "
        "AND hour_ms = $2 AND gen = $3";
    static const char drop[] =
        "DELETE FROM pred_hours WHERE dep = (SELECT id FROM pred_deployments WHERE name = $1) "
        "AND hour_ms = $2";
    static const char put[] =
        "INSERT INTO pred_hours (dep, hour_ms, ord, revision, model, version, shadow, columns, "
        "classes, task, slice_key, slice_value, count, failed, labeled, latency, stats) "
        "SELECT (SELECT id FROM pred_deployments WHERE name = $1), $2, u.* FROM "
        "unnest($3::integer[], $4::bigint[], $5::text[], $6::bigint[], $7::smallint[], "
        "$8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::bigint[], "
        "$14::bigint[], $15::bigint[], $16::text[], $17::text[]) AS u";
    struct replace_arg *ra = arg;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, ra->deployment);
    pg_args_int(&a, ra->h->hour_ms);
    pg_args_int(&a, ra->h->gen);
    PGresult *r = pg_run(c, clear, &a, "clearing a dirty hour", err);
    if (!r || pg_affected(r) != 1) { /* dirtied again (or refreshed) meanwhile */
        PQclear(r);
        pg_args_release(&a);
        return r ? 0 : -1;
    }
    PQclear(r);
    pg_args_clear(&a); /* $1, $2: the deployment and the hour, then the rows */
    pg_args_text(&a, ra->deployment);
    pg_args_int(&a, ra->h->hour_ms);
    struct pg_args two = PG_ARGS_INIT;
    pg_args_text(&two, ra->deployment);
    pg_args_int(&two, ra->h->hour_ms);
    int rc = pg_do(c, drop, &two, "replacing an hour's aggregates", err);
    pg_args_release(&two);
    if (rc == 0 && ra->n) {
        struct sbuf v[HOUR_ARRAYS];
        for (int k = 0; k < HOUR_ARRAYS; k++) {
            v[k] = (struct sbuf)SBUF_INIT;
            arr_open(&v[k]);
        }
        for (size_t i = 0; i < ra->n; i++) {
            const struct pred_hour *h = &ra->rows[i];
            arr_int(&v[0], (int64_t)i);
            arr_int(&v[1], h->target.revision);
            arr_str(&v[2], h->target.model ? h->target.model : "");
            arr_int(&v[3], h->target.version);
            arr_int(&v[4], h->target.shadow ? 1 : 0);
            arr_str(&v[5], h->target.columns ? h->target.columns : "[]");
            arr_str(&v[6], h->target.classes ? h->target.classes : "[]");
            arr_str(&v[7], h->target.task ? h->target.task : "");
            arr_str(&v[8], h->slice_key ? h->slice_key : "");
            arr_str(&v[9], h->slice_value ? h->slice_value : "");
            arr_int(&v[10], h->count);
            arr_int(&v[11], h->failed);
            arr_int(&v[12], h->labeled);
            arr_str(&v[13], h->latency ? h->latency : "");
            arr_str(&v[14], h->stats ? h->stats : "");
        }
        for (int k = 0; k < HOUR_ARRAYS; k++) {
            arr_close(&v[k]);
            pg_args_text(&a, v[k].buf);
        }
        rc = pg_do(c, put, &a, "replacing an hour's aggregates", err);
        for (int k = 0; k < HOUR_ARRAYS; k++)
            sbuf_release(&v[k]);
    }
    pg_args_release(&a);
    return rc;
}

static int pg_pred_hour_replace(struct store *s, const char *deployment,
                                const struct pred_dirty_hour *h, const struct pred_hour *rows,
                                size_t n, struct ferr *err)
{
    struct replace_arg ra = {deployment, h, rows, n};
    return pg_write((struct pg *)s, do_replace, &ra, err);
}

static int pg_pred_hours(struct store *s, const char *deployment, int64_t start_ms, int64_t end_ms,
                         struct pred_hour_list *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT h.hour_ms, h.revision, h.model, h.version, h.shadow, h.columns, h.classes, "
        "h.task, h.slice_key, h.slice_value, h.count, h.failed, h.labeled, h.latency, h.stats "
        "FROM pred_hours h JOIN pred_deployments x ON x.id = h.dep WHERE x.name = $1 "
        "AND h.hour_ms >= $2::bigint AND ($3::bigint = 0 OR h.hour_ms < $3::bigint) ORDER BY "
        "h.hour_ms, h.ord";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, deployment);
    pg_args_int(&a, start_ms > 0 ? start_ms : INT64_MIN);
    pg_args_int(&a, end_ms);
    PGresult *r = pg_run(c, sql, &a, "reading the prediction log's hours", err);
    pg_args_release(&a);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    int n = PQntuples(r);
    out->v = xcalloc((size_t)n + 1, sizeof(*out->v));
    out->alloc = (size_t)n + 1;
    out->n = (size_t)n;
    for (int i = 0; i < n; i++) {
        struct pred_hour *h = &out->v[i];
        h->hour_ms = pg_get_int(r, i, 0);
        h->target.deployment = xstrdup(deployment);
        h->target.revision = pg_get_int(r, i, 1);
        h->target.model = pg_get_str(r, i, 2);
        h->target.version = pg_get_int(r, i, 3);
        h->target.shadow = (int)pg_get_int(r, i, 4);
        h->target.columns = pg_get_str(r, i, 5);
        h->target.classes = pg_get_str(r, i, 6);
        h->target.task = pg_get_str(r, i, 7);
        h->slice_key = pg_get_str(r, i, 8);
        h->slice_value = pg_get_str(r, i, 9);
        h->count = pg_get_int(r, i, 10);
        h->failed = pg_get_int(r, i, 11);
        h->labeled = pg_get_int(r, i, 12);
        h->latency = pg_get_str(r, i, 13);
        h->stats = pg_get_str(r, i, 14);
    }
    PQclear(r);
    return 0;
}

/* ---------- retention ---------- */

struct drop_arg {
    const char *deployment;
    int64_t before_ms;
    int64_t dropped;
};

static int do_drop(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char sql[] = "SELECT ferry_pred_drop_before($1, $2)";
    struct drop_arg *da = arg;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, da->deployment);
    pg_args_int(&a, da->before_ms);
    PGresult *r = pg_run(c, sql, &a, "dropping old predictions", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    da->dropped = pg_get_int(r, 0, 0);
    PQclear(r);
    return 0;
}

static int pg_pred_drop_before(struct store *s, const char *deployment, int64_t before_ms,
                               int64_t *dropped, struct ferr *err)
{
    struct drop_arg da = {deployment, before_ms, 0};
    int rc = pg_write((struct pg *)s, do_drop, &da, err);
    if (dropped)
        *dropped = rc ? 0 : da.dropped;
    return rc;
}

static int pg_pred_deployments(struct store *s, char ***names, size_t *n, struct ferr *err)
{
    static const char sql[] = "SELECT x.name FROM pred_deployments x WHERE EXISTS "
                              "(SELECT 1 FROM pred_partitions p WHERE p.dep = x.id) ORDER BY 1";
    struct pg *pg = (struct pg *)s;
    *names = NULL;
    *n = 0;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    PGresult *r = pg_run(c, sql, NULL, "listing the prediction log's deployments", err);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    int nr = PQntuples(r);
    *names = xcalloc((size_t)nr + 1, sizeof(**names));
    for (int i = 0; i < nr; i++)
        (*names)[i] = pg_get_str(r, i, 0);
    *n = (size_t)nr;
    PQclear(r);
    return 0;
}

const struct store_prediction_ops pg_predictions = {
    .put = pg_pred_put,
    .label = pg_pred_label,
    .search = pg_pred_search,
    .scan = pg_pred_scan,
    .get = pg_pred_get,
    .dirty = pg_pred_dirty,
    .hour_replace = pg_pred_hour_replace,
    .hours = pg_pred_hours,
    .drop_before = pg_pred_drop_before,
    .deployments = pg_pred_deployments,
};
