/* SPDX-License-Identifier: MIT
 * Traces on PostgreSQL (store/traces.h's contract): the traces table with
 * its tags and request metadata, the same tables as SQLite's
 * (store/sqlite/sqlite_traces.c, which this file translates: same answers,
 * same messages, same order).
 *
 * Replicas: where SQLite's single writer made a read-then-write safe, the
 * row read is locked: the experiment a trace goes into FOR KEY SHARE (a
 * purge waits for the new trace); the trace being ended or tagged FOR NO
 * KEY UPDATE, before anything else of it is written (its start cannot
 * change under its end, a delete waits for the tag, and two replicas
 * writing one trace's tags wait for each other rather than each holding a
 * tag the other wants: a deadlock; the upsert of a logged trace takes the
 * same lock first). A search page loads its traces with one query per
 * table (id = ANY(...)), inside one REPEATABLE READ snapshot, so that a
 * trace deleted meanwhile cannot tear the page. */
#include "store/postgres/pg_int.h"
#include "store/errors.h"
#include "store/postgres/dialect.h"
#include "store/search_sql.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char tag_upsert[] = "INSERT INTO trace_tags (trace, key, value) VALUES ($1, $2, $3) "
                                 "ON CONFLICT (trace, key) DO UPDATE SET value = excluded.value";
static const char md_upsert[] =
    "INSERT INTO trace_request_metadata (trace, key, value) VALUES ($1, $2, $3) "
    "ON CONFLICT (trace, key) DO UPDATE SET value = excluded.value";

static const char lookup_sql[] = "SELECT id, timestamp_ms FROM traces WHERE request_id = $1";
/* In a write: every write to a trace locks its row first, in one mode, so
 * that writes to one trace wait for each other instead of deadlocking over
 * its tags (see the top). */
static const char lookup_lock_sql[] =
    "SELECT id, timestamp_ms FROM traces WHERE request_id = $1 FOR NO KEY UPDATE";

/* The internal id and the start of request_id's trace (sql: one of the
 * lookups above). */
static int trace_lookup(struct pg_conn *c, const char *sql, const char *request_id, int64_t *id,
                        int64_t *start, struct ferr *err)
{
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, request_id);
    PGresult *r = pg_run(c, sql, &a, "looking up a trace", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int found = PQntuples(r) == 1;
    if (found) {
        *id = pg_get_int(r, 0, 0);
        if (start)
            *start = pg_get_int(r, 0, 1);
    }
    PQclear(r);
    return found ? 0 : store_err_trace_not_found(err, request_id);
}

/* Where each id of a page goes: the rows of a batched load come ordered by
 * id, the page in its own order. */
struct slot {
    int64_t id;
    size_t at;
};

static int slot_cmp(const void *a, const void *b)
{
    const struct slot *x = a, *y = b;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The index into the page of the row's id (column 0), or n when not found. */
static size_t slot_of(const struct slot *slots, size_t n, const PGresult *r, int row)
{
    struct slot key = {pg_get_int(r, row, 0), 0};
    const struct slot *s = bsearch(&key, slots, n, sizeof(*slots), slot_cmp);
    return s ? s->at : n;
}

static PGresult *run_ids(struct pg_conn *c, const char *sql, const char *ids, struct ferr *err)
{
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, ids);
    PGresult *r = pg_run(c, sql, &a, "reading a trace", err);
    pg_args_release(&a);
    return r;
}

/* Metadata or tags (trace, key, value rows by trace, key) into the traces. */
static int load_kv(struct pg_conn *c, const char *sql, const char *ids, const struct slot *slots,
                   size_t n, struct trace_info *out, int tags, struct ferr *err)
{
    PGresult *r = run_ids(c, sql, ids, err);
    if (!r)
        return -1;
    for (int i = 0, rows = PQntuples(r); i < rows; i++) {
        size_t at = slot_of(slots, n, r, i);
        if (at < n)
            kv_list_add(tags ? &out[at].tags : &out[at].request_metadata, pg_get_ref(r, i, 1),
                        pg_get_ref(r, i, 2));
    }
    PQclear(r);
    return 0;
}

/* The traces of ids[0..n) into out[0..n) (zeroed), in that order; on
 * failure out's traces are released. */
static int load_traces(struct pg_conn *c, const int64_t *ids, size_t n, struct trace_info *out,
                       struct ferr *err)
{
    static const char sql[] =
        "SELECT id, request_id, experiment_id, timestamp_ms, execution_time_ms, status, "
        "client_request_id, request_preview, response_preview FROM traces "
        "WHERE id = ANY($1::bigint[])";
    static const char tags[] = "SELECT trace, key, value FROM trace_tags "
                               "WHERE trace = ANY($1::bigint[]) ORDER BY trace, key";
    static const char md[] = "SELECT trace, key, value FROM trace_request_metadata "
                             "WHERE trace = ANY($1::bigint[]) ORDER BY trace, key";
    if (!n)
        return 0;
    struct slot *slots = xmalloc(n * sizeof(*slots));
    struct sbuf arr = SBUF_INIT;
    int rc = -1;
    sbuf_addch(&arr, '{');
    for (size_t i = 0; i < n; i++) {
        slots[i] = (struct slot){ids[i], i};
        sbuf_addf(&arr, "%s%" PRId64, i ? "," : "", ids[i]);
    }
    sbuf_addch(&arr, '}');
    qsort(slots, n, sizeof(*slots), slot_cmp);
    PGresult *r = run_ids(c, sql, arr.buf, err);
    if (!r)
        goto out;
    for (int i = 0, rows = PQntuples(r); i < rows; i++) {
        size_t at = slot_of(slots, n, r, i);
        if (at == n)
            continue;
        struct trace_info *t = &out[at];
        t->request_id = pg_get_str(r, i, 1);
        t->experiment_id = pg_get_str(r, i, 2);
        t->timestamp_ms = pg_get_int(r, i, 3);
        t->execution_time_ms = pg_get_null(r, i, 4) ? TIME_NONE : pg_get_int(r, i, 4);
        if (trace_status_parse(pg_get_ref(r, i, 5), &t->status))
            t->status = TRACE_STATUS_UNSPECIFIED;
        t->client_request_id = pg_get_str_or_null(r, i, 6);
        t->request_preview = pg_get_str_or_null(r, i, 7);
        t->response_preview = pg_get_str_or_null(r, i, 8);
    }
    PQclear(r);
    for (size_t i = 0; i < n; i++) {
        if (!out[i].request_id) {
            ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "trace %" PRId64 " vanished", ids[i]);
            goto out;
        }
    }
    if (load_kv(c, md, arr.buf, slots, n, out, 0, err) ||
        load_kv(c, tags, arr.buf, slots, n, out, 1, err))
        goto out;
    rc = 0;
out:
    if (rc)
        for (size_t i = 0; i < n; i++)
            trace_info_release(&out[i]);
    free(slots);
    sbuf_release(&arr);
    return rc;
}

static int put_kv(struct pg_conn *c, const char *sql, int64_t id, const char *key,
                  const char *value, struct ferr *err)
{
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, id);
    pg_args_text(&a, key);
    pg_args_text(&a, value ? value : "");
    int rc = pg_do(c, sql, &a, "writing a trace's tags", err);
    pg_args_release(&a);
    return rc;
}

/* Metadata and tags merged into the trace's; the artifact location tag is
 * the server's (location NULL: leave it). */
static int merge_kv(struct pg_conn *c, int64_t id, const struct kv_list *md,
                    const struct kv_list *tags, const char *location, struct ferr *err)
{
    for (size_t i = 0; i < md->n; i++)
        if (put_kv(c, md_upsert, id, md->v[i].key, md->v[i].value, err))
            return -1;
    for (size_t i = 0; i < tags->n; i++)
        if ((!location || strcmp(tags->v[i].key, TRACE_TAG_ARTIFACT_LOCATION)) &&
            put_kv(c, tag_upsert, id, tags->v[i].key, tags->v[i].value, err))
            return -1;
    return location ? put_kv(c, tag_upsert, id, TRACE_TAG_ARTIFACT_LOCATION, location, err) : 0;
}

/* The experiment's artifact location, if it exists and is active; its row
 * stays until the transaction ends (see the top). */
static int active_experiment(struct pg_conn *c, int64_t eid, struct sbuf *location,
                             struct ferr *err)
{
    static const char sql[] = "SELECT lifecycle_stage, artifact_location FROM experiments "
                              "WHERE experiment_id = $1 FOR KEY SHARE";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, eid);
    PGresult *r = pg_run(c, sql, &a, "reading an experiment", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int found = PQntuples(r) == 1, deleted = 0;
    if (found) {
        deleted = !strcmp(pg_get_ref(r, 0, 0), "deleted");
        sbuf_addstr(location, pg_get_ref(r, 0, 1));
    }
    PQclear(r);
    if (!found)
        return store_err_experiment_not_found(err, eid);
    if (deleted)
        return store_err_experiment_not_active(err, eid);
    return 0;
}

struct create_arg {
    const struct trace_info *t;
    int64_t experiment_id;
    int replace;
    int64_t id; /* out */
};

static int insert_trace(struct pg_conn *c, struct create_arg *a, struct ferr *err)
{
    static const char ins[] =
        "INSERT INTO traces (request_id, experiment_id, timestamp_ms, execution_time_ms, "
        "status, client_request_id, request_preview, response_preview) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
    static const char upsert[] =
        "INSERT INTO traces (request_id, experiment_id, timestamp_ms, execution_time_ms, "
        "status, client_request_id, request_preview, response_preview) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (request_id) DO UPDATE SET "
        "experiment_id = excluded.experiment_id, timestamp_ms = excluded.timestamp_ms, "
        "execution_time_ms = excluded.execution_time_ms, status = excluded.status, "
        "client_request_id = excluded.client_request_id, "
        "request_preview = excluded.request_preview, "
        "response_preview = excluded.response_preview RETURNING id";
    const struct trace_info *t = a->t;
    struct pg_args args = PG_ARGS_INIT;
    pg_args_text(&args, t->request_id);
    pg_args_int(&args, a->experiment_id);
    pg_args_int(&args, t->timestamp_ms);
    if (t->execution_time_ms != TIME_NONE)
        pg_args_int(&args, t->execution_time_ms);
    else
        pg_args_null(&args);
    pg_args_text(&args, trace_status_name(t->status));
    pg_args_text(&args, t->client_request_id);
    pg_args_text(&args, t->request_preview);
    pg_args_text(&args, t->response_preview);
    PGresult *r = pg_run(c, a->replace ? upsert : ins, &args, "creating a trace", err);
    pg_args_release(&args);
    if (!r)
        return -1;
    a->id = pg_get_int(r, 0, 0);
    PQclear(r);
    return 0;
}

static int do_create(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    struct create_arg *a = arg;
    struct sbuf exp_loc = SBUF_INIT, loc = SBUF_INIT;
    int rc = -1;
    if (active_experiment(c, a->experiment_id, &exp_loc, err) || insert_trace(c, a, err))
        goto out;
    trace_artifact_location(&loc, exp_loc.buf, a->t->request_id);
    rc = merge_kv(c, a->id, &a->t->request_metadata, &a->t->tags, loc.buf, err);
out:
    sbuf_release(&exp_loc);
    sbuf_release(&loc);
    return rc;
}

/* Reads trace id into out after a write (out may be NULL). */
static int read_back(struct pg *pg, int64_t id, struct trace_info *out, struct ferr *err)
{
    if (!out)
        return 0;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    int rc = load_traces(c, &id, 1, out, err);
    pg_reader_put(pg, c);
    return rc;
}

static int pg_create_trace(struct store *s, const struct trace_info *t, int64_t experiment_id,
                           int replace, struct trace_info *out, struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    struct create_arg a = {t, experiment_id, replace, -1};
    if (pg_write(pg, do_create, &a, err))
        return -1;
    return read_back(pg, a.id, out, err);
}

struct end_arg {
    const char *request_id;
    int64_t end_ms;
    enum trace_status status;
    const struct kv_list *md, *tags;
    int64_t id; /* out */
};

static int do_end(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char sql[] = "UPDATE traces SET execution_time_ms = $1, status = $2 WHERE id = $3";
    struct end_arg *a = arg;
    int64_t start;
    if (trace_lookup(c, lookup_lock_sql, a->request_id, &a->id, &start, err))
        return -1;
    if (a->end_ms < start)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid timestamp_ms %" PRId64 ": the trace started later, at %" PRId64,
                        a->end_ms, start);
    struct pg_args args = PG_ARGS_INIT;
    pg_args_int(&args, a->end_ms - start);
    pg_args_text(&args, trace_status_name(a->status));
    pg_args_int(&args, a->id);
    int rc = pg_do(c, sql, &args, "ending a trace", err);
    pg_args_release(&args);
    return rc ? -1 : merge_kv(c, a->id, a->md, a->tags, NULL, err);
}

static int pg_end_trace(struct store *s, const char *request_id, int64_t end_ms,
                        enum trace_status status, const struct kv_list *request_metadata,
                        const struct kv_list *tags, struct trace_info *out, struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    struct end_arg a = {request_id, end_ms, status, request_metadata, tags, -1};
    if (pg_write(pg, do_end, &a, err))
        return -1;
    return read_back(pg, a.id, out, err);
}

static int pg_get_trace(struct store *s, const char *request_id, struct trace_info *out,
                        struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    int64_t id;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    int rc =
        trace_lookup(c, lookup_sql, request_id, &id, NULL, err) || load_traces(c, &id, 1, out, err)
            ? -1
            : 0;
    pg_reader_put(pg, c);
    return rc;
}

static int pg_search_traces(struct store *s, const struct trace_search *q, struct store_page *page,
                            struct trace_info_list *out, struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    struct sql_frag f;
    struct pg_args args = PG_ARGS_INIT;
    struct pg_conn *c = NULL;
    PGresult *r = NULL;
    int64_t *ids = NULL;
    size_t n = 0;
    int rc = -1;
    sql_frag_init(&f, &pg_dialect);
    if (search_sql_traces(q, page->limit + 1, page->offset, &f, err) ||
        !(c = pg_snapshot_get(pg, err)))
        goto out;
    pg_args_frag(&args, &f);
    if (!(r = pg_run_text(c, f.sql.buf, &args, "searching traces", err)))
        goto out;
    n = (size_t)PQntuples(r);
    if ((int64_t)n > page->limit) {
        page->more = 1;
        n = (size_t)page->limit;
    }
    ids = xmalloc((n ? n : 1) * sizeof(*ids));
    for (size_t i = 0; i < n; i++)
        ids[i] = pg_get_int(r, (int)i, 0);
    ALLOC_GROW(out->v, n, out->alloc);
    if (n)
        memset(out->v, 0, n * sizeof(*out->v));
    if (load_traces(c, ids, n, out->v, err))
        goto out;
    out->n = n;
    rc = 0;
out:
    PQclear(r);
    pg_snapshot_put(pg, c);
    pg_args_release(&args);
    sql_frag_release(&f);
    free(ids);
    if (rc)
        trace_info_list_release(out);
    return rc;
}

struct delete_arg {
    int64_t experiment_id;
    const struct trace_delete *q;
    int64_t deleted; /* out */
};

/* The request ids as a PostgreSQL text array literal, each quoted. */
static void text_array(struct sbuf *sb, const char *const *v, size_t n)
{
    sbuf_addch(sb, '{');
    for (size_t i = 0; i < n; i++) {
        sbuf_addstr(sb, i ? ",\"" : "\"");
        for (const char *p = v[i]; *p; p++) {
            if (*p == '"' || *p == '\\')
                sbuf_addch(sb, '\\');
            sbuf_addch(sb, *p);
        }
        sbuf_addch(sb, '"');
    }
    sbuf_addch(sb, '}');
}

static int do_delete(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    /* every named trace in one statement (SQLite: one each); an id named
     * twice is deleted and counted once either way */
    static const char by_ids[] =
        "DELETE FROM traces WHERE experiment_id = $1 AND request_id = ANY($2::text[])";
    static const char by_time[] =
        "DELETE FROM traces WHERE experiment_id = $1 AND timestamp_ms <= $2";
    /* the oldest first, as MLflow */
    static const char oldest[] =
        "DELETE FROM traces WHERE id IN (SELECT id FROM traces WHERE experiment_id = $1 AND "
        "timestamp_ms <= $2 ORDER BY timestamp_ms, request_id LIMIT $3)";
    struct delete_arg *a = arg;
    const struct trace_delete *q = a->q;
    struct pg_args args = PG_ARGS_INIT;
    struct sbuf ids = SBUF_INIT;
    const char *sql = q->nrequest_ids ? by_ids : q->max_traces != TIME_NONE ? oldest : by_time;
    pg_args_int(&args, a->experiment_id);
    if (q->nrequest_ids) {
        text_array(&ids, q->request_ids, q->nrequest_ids);
        pg_args_text(&args, ids.buf);
    } else {
        pg_args_int(&args, q->max_timestamp_millis);
        if (q->max_traces != TIME_NONE)
            pg_args_int(&args, q->max_traces);
    }
    PGresult *r = pg_run(c, sql, &args, "deleting traces", err);
    pg_args_release(&args);
    sbuf_release(&ids);
    if (!r)
        return -1;
    a->deleted += pg_affected(r);
    PQclear(r);
    return 0;
}

static int pg_delete_traces(struct store *s, int64_t experiment_id, const struct trace_delete *q,
                            int64_t *deleted, struct ferr *err)
{
    struct delete_arg a = {experiment_id, q, 0};
    if (pg_write((struct pg *)s, do_delete, &a, err))
        return -1;
    *deleted = a.deleted;
    return 0;
}

struct tag_arg {
    const char *request_id, *key, *value;
};

static int do_set_tag(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char del[] = "DELETE FROM trace_tags WHERE trace = $1 AND key = $2";
    struct tag_arg *a = arg;
    int64_t id;
    if (trace_lookup(c, lookup_lock_sql, a->request_id, &id, NULL, err))
        return -1;
    if (a->value)
        return put_kv(c, tag_upsert, id, a->key, a->value, err);
    struct pg_args args = PG_ARGS_INIT;
    pg_args_int(&args, id);
    pg_args_text(&args, a->key);
    PGresult *r = pg_run(c, del, &args, "deleting a trace tag", err);
    pg_args_release(&args);
    if (!r)
        return -1;
    int64_t gone = pg_affected(r);
    PQclear(r);
    if (!gone)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                        "No trace tag with key '%.100s' for trace with request_id '%.100s'", a->key,
                        a->request_id);
    return 0;
}

static int pg_set_trace_tag(struct store *s, const char *request_id, const char *key,
                            const char *value, struct ferr *err)
{
    struct tag_arg a = {request_id, key, value};
    return pg_write((struct pg *)s, do_set_tag, &a, err);
}

const struct store_traces_ops pg_traces = {
    .create = pg_create_trace,
    .end = pg_end_trace,
    .get = pg_get_trace,
    .search = pg_search_traces,
    .delete_traces = pg_delete_traces,
    .set_tag = pg_set_trace_tag,
};
