/* SPDX-License-Identifier: MIT
 * Traces in the SQLite backend (store/traces.h's contract): the traces
 * table with its tags and request metadata (schema.c, migration 3). */
#include "store/sqlite/sqlite_int.h"
#include "store/errors.h"
#include "store/sqlite/dialect.h"
#include "store/search_sql.h"
#include "base/sbuf.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char tag_upsert[] = "INSERT INTO trace_tags (trace, key, value) VALUES (?, ?, ?) "
                                 "ON CONFLICT (trace, key) DO UPDATE SET value = excluded.value";
static const char md_upsert[] =
    "INSERT INTO trace_request_metadata (trace, key, value) VALUES (?, ?, ?) "
    "ON CONFLICT (trace, key) DO UPDATE SET value = excluded.value";

/* The internal id and the start of request_id's trace. */
static int trace_lookup(struct sq_conn *c, const char *request_id, int64_t *id, int64_t *start,
                        struct ferr *err)
{
    static const char sql[] = "SELECT id, timestamp_ms FROM traces WHERE request_id = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, request_id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        if (start)
            *start = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return store_err_trace_not_found(err, request_id);
    return rc == SQLITE_ROW ? 0 : sq_fail(c, "looking up a trace", err);
}

static int load_kv(struct sq_conn *c, const char *sql, int64_t id, struct kv_list *out,
                   struct ferr *err)
{
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc;
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        kv_list_add(out, (const char *)sqlite3_column_text(st, 0),
                    (const char *)sqlite3_column_text(st, 1));
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, "reading a trace", err);
}

static int load_trace(struct sq_conn *c, int64_t id, struct trace_info *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT request_id, experiment_id, timestamp_ms, execution_time_ms, status, "
        "client_request_id, request_preview, response_preview FROM traces WHERE id = ?";
    static const char tags[] = "SELECT key, value FROM trace_tags WHERE trace = ? ORDER BY key";
    static const char md[] =
        "SELECT key, value FROM trace_request_metadata WHERE trace = ? ORDER BY key";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        char eid[24];
        out->request_id = sq_col_str(st, 0);
        snprintf(eid, sizeof(eid), "%" PRId64, (int64_t)sqlite3_column_int64(st, 1));
        out->experiment_id = xstrdup(eid);
        out->timestamp_ms = sqlite3_column_int64(st, 2);
        out->execution_time_ms =
            sqlite3_column_type(st, 3) == SQLITE_NULL ? TIME_NONE : sqlite3_column_int64(st, 3);
        if (trace_status_parse((const char *)sqlite3_column_text(st, 4), &out->status))
            out->status = TRACE_STATUS_UNSPECIFIED;
        out->client_request_id = sq_col_str_or_null(st, 5);
        out->request_preview = sq_col_str_or_null(st, 6);
        out->response_preview = sq_col_str_or_null(st, 7);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return sq_fail(c, "reading a trace", err);
    return load_kv(c, md, id, &out->request_metadata, err) || load_kv(c, tags, id, &out->tags, err)
               ? -1
               : 0;
}

static int put_kv(struct sq_conn *c, const char *sql, int64_t id, const char *key,
                  const char *value, struct ferr *err)
{
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, value ? value : "", -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "writing a trace's tags", err);
    return 0;
}

/* Metadata and tags merged into the trace's; the artifact location tag is
 * the server's (location NULL: leave it). */
static int merge_kv(struct sq_conn *c, int64_t id, const struct kv_list *md,
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

/* The experiment's artifact location, if it exists and is active. */
static int active_experiment(struct sq_conn *c, int64_t eid, struct sbuf *location,
                             struct ferr *err)
{
    static const char sql[] =
        "SELECT lifecycle_stage, artifact_location FROM experiments WHERE experiment_id = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, eid);
    int rc = sqlite3_step(st), deleted = 0;
    if (rc == SQLITE_ROW) {
        deleted = !strcmp((const char *)sqlite3_column_text(st, 0), "deleted");
        sbuf_addstr(location, (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_reset(st);
    if (rc == SQLITE_DONE)
        return store_err_experiment_not_found(err, eid);
    if (rc != SQLITE_ROW)
        return sq_fail(c, "reading an experiment", err);
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

static int insert_trace(struct sq_conn *c, struct create_arg *a, struct ferr *err)
{
    static const char ins[] =
        "INSERT INTO traces (request_id, experiment_id, timestamp_ms, execution_time_ms, "
        "status, client_request_id, request_preview, response_preview) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
    static const char upsert[] =
        "INSERT INTO traces (request_id, experiment_id, timestamp_ms, execution_time_ms, "
        "status, client_request_id, request_preview, response_preview) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (request_id) DO UPDATE SET "
        "experiment_id = excluded.experiment_id, timestamp_ms = excluded.timestamp_ms, "
        "execution_time_ms = excluded.execution_time_ms, status = excluded.status, "
        "client_request_id = excluded.client_request_id, "
        "request_preview = excluded.request_preview, "
        "response_preview = excluded.response_preview RETURNING id";
    const struct trace_info *t = a->t;
    sqlite3_stmt *st = sq_prep(c, a->replace ? upsert : ins, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, t->request_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, a->experiment_id);
    sqlite3_bind_int64(st, 3, t->timestamp_ms);
    if (t->execution_time_ms != TIME_NONE)
        sqlite3_bind_int64(st, 4, t->execution_time_ms);
    sqlite3_bind_text(st, 5, trace_status_name(t->status), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, t->client_request_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, t->request_preview, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, t->response_preview, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (a->replace && rc == SQLITE_ROW)
        a->id = sqlite3_column_int64(st, 0);
    else if (rc == SQLITE_DONE)
        a->id = sqlite3_last_insert_rowid(c->db);
    sqlite3_reset(st);
    if (rc != (a->replace ? SQLITE_ROW : SQLITE_DONE))
        return sq_fail(c, "creating a trace", err);
    return 0;
}

static int do_create(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
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
static int read_back(struct sq *sq, int64_t id, struct trace_info *out, struct ferr *err)
{
    if (!out)
        return 0;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int rc = load_trace(c, id, out, err);
    sq_reader_put(sq, c);
    if (rc)
        trace_info_release(out);
    return rc;
}

int sq_create_trace(struct store *s, const struct trace_info *t, int64_t experiment_id, int replace,
                    struct trace_info *out, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct create_arg a = {t, experiment_id, replace, -1};
    if (sq_write(sq, do_create, &a, err))
        return -1;
    return read_back(sq, a.id, out, err);
}

struct end_arg {
    const char *request_id;
    int64_t end_ms;
    enum trace_status status;
    const struct kv_list *md, *tags;
    int64_t id; /* out */
};

static int do_end(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char sql[] = "UPDATE traces SET execution_time_ms = ?, status = ? WHERE id = ?";
    struct end_arg *a = arg;
    int64_t start;
    if (trace_lookup(c, a->request_id, &a->id, &start, err))
        return -1;
    if (a->end_ms < start)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid timestamp_ms %" PRId64 ": the trace started later, at %" PRId64,
                        a->end_ms, start);
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, a->end_ms - start);
    sqlite3_bind_text(st, 2, trace_status_name(a->status), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, a->id);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "ending a trace", err);
    return merge_kv(c, a->id, a->md, a->tags, NULL, err);
}

int sq_end_trace(struct store *s, const char *request_id, int64_t end_ms, enum trace_status status,
                 const struct kv_list *request_metadata, const struct kv_list *tags,
                 struct trace_info *out, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct end_arg a = {request_id, end_ms, status, request_metadata, tags, -1};
    if (sq_write(sq, do_end, &a, err))
        return -1;
    return read_back(sq, a.id, out, err);
}

int sq_get_trace(struct store *s, const char *request_id, struct trace_info *out, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    int64_t id;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    int rc = trace_lookup(c, request_id, &id, NULL, err) || load_trace(c, id, out, err) ? -1 : 0;
    sq_reader_put(sq, c);
    if (rc)
        trace_info_release(out);
    return rc;
}

int sq_search_traces(struct store *s, const struct trace_search *q, struct store_page *page,
                     struct trace_info_list *out, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct sql_frag f;
    sqlite3_stmt *st = NULL;
    struct sq_conn *c = NULL;
    int rc = -1, step;
    sql_frag_init(&f, &sqlite_dialect);
    if (search_sql_traces(q, page->limit + 1, page->offset, &f, err) ||
        !(c = sq_reader_get(sq, err)))
        goto out;
    if (sqlite3_prepare_v2(c->db, f.sql.buf, (int)f.sql.len, &st, NULL) != SQLITE_OK ||
        sq_bind_frag(st, &f)) {
        sq_fail(c, "searching traces", err);
        goto out;
    }
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if ((int64_t)out->n == page->limit) {
            page->more = 1;
            break;
        }
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        memset(&out->v[out->n], 0, sizeof(*out->v));
        out->n++; /* released with the list if loading fails */
        if (load_trace(c, sqlite3_column_int64(st, 0), &out->v[out->n - 1], err))
            goto out;
    }
    if (step != SQLITE_ROW && step != SQLITE_DONE) {
        sq_fail(c, "searching traces", err);
        goto out;
    }
    rc = 0;
out:
    sqlite3_finalize(st);
    if (c)
        sq_reader_put(sq, c);
    sql_frag_release(&f);
    if (rc)
        trace_info_list_release(out);
    return rc;
}

struct delete_arg {
    int64_t experiment_id;
    const struct trace_delete *q;
    int64_t deleted; /* out */
};

static int do_delete(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char by_id[] = "DELETE FROM traces WHERE experiment_id = ? AND request_id = ?";
    static const char by_time[] =
        "DELETE FROM traces WHERE experiment_id = ? AND timestamp_ms <= ?";
    /* the oldest first, as MLflow */
    static const char oldest[] =
        "DELETE FROM traces WHERE id IN (SELECT id FROM traces WHERE experiment_id = ? AND "
        "timestamp_ms <= ? ORDER BY timestamp_ms, request_id LIMIT ?)";
    struct delete_arg *a = arg;
    const struct trace_delete *q = a->q;
    size_t n = q->nrequest_ids ? q->nrequest_ids : 1;
    for (size_t i = 0; i < n; i++) {
        const char *sql = q->nrequest_ids ? by_id : q->max_traces != TIME_NONE ? oldest : by_time;
        sqlite3_stmt *st = sq_prep(c, sql, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, a->experiment_id);
        if (q->nrequest_ids) {
            sqlite3_bind_text(st, 2, q->request_ids[i], -1, SQLITE_STATIC);
        } else {
            sqlite3_bind_int64(st, 2, q->max_timestamp_millis);
            if (q->max_traces != TIME_NONE)
                sqlite3_bind_int64(st, 3, q->max_traces);
        }
        if (sqlite3_step(st) != SQLITE_DONE)
            return sq_fail(c, "deleting traces", err);
        a->deleted += sqlite3_changes(c->db);
    }
    return 0;
}

int sq_delete_traces(struct store *s, int64_t experiment_id, const struct trace_delete *q,
                     int64_t *deleted, struct ferr *err)
{
    struct delete_arg a = {experiment_id, q, 0};
    if (sq_write((struct sq *)s, do_delete, &a, err))
        return -1;
    *deleted = a.deleted;
    return 0;
}

struct tag_arg {
    const char *request_id, *key, *value;
};

static int do_set_tag(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char del[] = "DELETE FROM trace_tags WHERE trace = ? AND key = ?";
    struct tag_arg *a = arg;
    int64_t id;
    if (trace_lookup(c, a->request_id, &id, NULL, err))
        return -1;
    if (a->value)
        return put_kv(c, tag_upsert, id, a->key, a->value, err);
    sqlite3_stmt *st = sq_prep(c, del, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, a->key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        return sq_fail(c, "deleting a trace tag", err);
    if (!sqlite3_changes(c->db))
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                        "No trace tag with key '%.100s' for trace with request_id '%.100s'", a->key,
                        a->request_id);
    return 0;
}

int sq_set_trace_tag(struct store *s, const char *request_id, const char *key, const char *value,
                     struct ferr *err)
{
    struct tag_arg a = {request_id, key, value};
    return sq_write((struct sq *)s, do_set_tag, &a, err);
}
