/* SPDX-License-Identifier: MIT
 * Webhooks in the SQLite backend (store/webhooks.h's contract): the
 * webhooks and webhook_deliveries tables (schema 12), each change one write
 * transaction (fenced by the thread's lease, sqlite_conn.c). */
#include "store/sqlite/sqlite_int.h"
#include "store/webhooks.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define WEBHOOK_COLS                                                                               \
    "id, name, description, url, secret, events, status, creation_timestamp, "                     \
    "last_updated_timestamp"
#define DELIVERY_COLS                                                                              \
    "id, webhook_id, event_id, event, payload, state, attempt, next_attempt_ms, http_status, "     \
    "error, created_ms, updated_ms"

static void bind_opt(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, i);
}

static int webhook_row(sqlite3_stmt *st, struct webhook *w, struct ferr *err)
{
    w->id = sq_col_str(st, 0);
    w->name = sq_col_str(st, 1);
    w->description = sq_col_str_or_null(st, 2);
    w->url = sq_col_str(st, 3);
    w->secret = sq_col_str_or_null(st, 4);
    w->status = sq_col_str(st, 6);
    w->creation_timestamp = sqlite3_column_int64(st, 7);
    w->last_updated_timestamp = sqlite3_column_int64(st, 8);
    if (webhook_events_from_text((const char *)sqlite3_column_text(st, 5), w, err)) {
        webhook_release(w);
        return -1;
    }
    return 0;
}

static void delivery_row(sqlite3_stmt *st, struct webhook_delivery *d)
{
    d->id = sqlite3_column_int64(st, 0);
    d->webhook_id = sq_col_str(st, 1);
    d->event_id = sqlite3_column_int64(st, 2);
    d->event = sq_col_str(st, 3);
    d->payload = sq_col_str(st, 4);
    d->state = sq_col_str(st, 5);
    d->attempt = sqlite3_column_int64(st, 6);
    d->next_attempt_ms = sqlite3_column_int64(st, 7);
    d->http_status = sqlite3_column_int64(st, 8);
    d->error = sq_col_str_or_null(st, 9);
    d->created_ms = sqlite3_column_int64(st, 10);
    d->updated_ms = sqlite3_column_int64(st, 11);
}

/* ---------- writes ---------- */

struct put_arg {
    const struct webhook *w;
    int64_t expect_updated; /* update: the row's last_updated_timestamp; -1: create */
};

static int do_put(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char ins[] = "INSERT INTO webhooks (" WEBHOOK_COLS
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
    static const char upd[] =
        "UPDATE webhooks SET name = ?2, description = ?3, url = ?4, secret = ?5, events = ?6, "
        "status = ?7, last_updated_timestamp = ?9 WHERE id = ?1 AND last_updated_timestamp = ?10";
    struct put_arg *a = arg;
    const struct webhook *w = a->w;
    int create = a->expect_updated < 0;
    sqlite3_stmt *st = sq_prep(c, create ? ins : upd, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, w->id, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 2, w->name, -1, SQLITE_TRANSIENT);
    bind_opt(st, 3, w->description);
    sqlite3_bind_text(st, 4, w->url, -1, SQLITE_TRANSIENT);
    bind_opt(st, 5, w->secret);
    sqlite3_bind_text(st, 6, webhook_events_text(w), -1, free);
    sqlite3_bind_text(st, 7, w->status, -1, SQLITE_TRANSIENT);
    if (create)
        sqlite3_bind_int64(st, 8, w->creation_timestamp);
    sqlite3_bind_int64(st, 9, w->last_updated_timestamp);
    if (!create)
        sqlite3_bind_int64(st, 10, a->expect_updated);
    int rc = sqlite3_step(st);
    int changed = sqlite3_changes(sqlite3_db_handle(st));
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
    if (rc == SQLITE_CONSTRAINT && create)
        return ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS, "Webhook with ID %s already exists",
                        w->id);
    if (rc != SQLITE_DONE)
        return sq_fail(c, "writing a webhook", err);
    if (!create && !changed)
        return ferr_set(err, FERR_INVALID_STATE,
                        "Webhook with ID %s changed (or was deleted) while it was updated; "
                        "try again",
                        w->id);
    return 0;
}

static int sq_wh_create(struct store *s, const struct webhook *w, struct ferr *err)
{
    struct put_arg a = {w, -1};
    return sq_write((struct sq *)s, do_put, &a, err);
}

static int sq_wh_update(struct store *s, const struct webhook *w, int64_t expect_updated,
                        struct ferr *err)
{
    struct put_arg a = {w, expect_updated};
    return sq_write((struct sq *)s, do_put, &a, err);
}

static int do_remove(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    const char *id = arg;
    sqlite3_stmt *st = sq_prep(c, "DELETE FROM webhooks WHERE id = ?", err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    int changed = sqlite3_changes(sqlite3_db_handle(st));
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return sq_fail(c, "deleting a webhook", err);
    if (!changed)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "Webhook with ID %.64s not found.", id);
    return 0;
}

static int sq_wh_remove(struct store *s, const char *id, struct ferr *err)
{
    return sq_write((struct sq *)s, do_remove, (void *)id, err);
}

struct enqueue_arg {
    const char *webhook_id, *event, *payload;
    int64_t event_id, now_ms;
    int *inserted;
};

static int do_enqueue(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char sql[] =
        "INSERT INTO webhook_deliveries (webhook_id, event_id, event, payload, state, attempt, "
        "next_attempt_ms, http_status, error, created_ms, updated_ms) VALUES (?1, ?2, ?3, ?4, "
        "'pending', 0, ?5, NULL, NULL, ?5, ?5) ON CONFLICT (webhook_id, event_id) DO NOTHING";
    struct enqueue_arg *a = arg;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, a->webhook_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, a->event_id);
    sqlite3_bind_text(st, 3, a->event, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, a->payload, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, a->now_ms);
    int rc = sqlite3_step(st);
    *a->inserted = sqlite3_changes(sqlite3_db_handle(st)) > 0;
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, "enqueueing a webhook delivery", err);
}

static int sq_wh_enqueue(struct store *s, const char *webhook_id, int64_t event_id,
                         const char *event, const char *payload, int64_t now_ms, int *inserted,
                         struct ferr *err)
{
    struct enqueue_arg a = {webhook_id, event, payload, event_id, now_ms, inserted};
    return sq_write((struct sq *)s, do_enqueue, &a, err);
}

struct attempt_arg {
    int64_t id, prev, next_ms, status, now_ms;
    const char *state, *error;
};

static int do_attempt(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char sql[] =
        "UPDATE webhook_deliveries SET attempt = attempt + 1, state = ?3, next_attempt_ms = ?4, "
        "http_status = ?5, error = ?6, updated_ms = ?7 WHERE id = ?1 AND attempt = ?2 AND "
        "state = 'pending'";
    struct attempt_arg *a = arg;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, a->id);
    sqlite3_bind_int64(st, 2, a->prev);
    sqlite3_bind_text(st, 3, a->state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, a->next_ms);
    if (a->status > 0)
        sqlite3_bind_int64(st, 5, a->status);
    else
        sqlite3_bind_null(st, 5);
    bind_opt(st, 6, a->error);
    sqlite3_bind_int64(st, 7, a->now_ms);
    int rc = sqlite3_step(st);
    int changed = sqlite3_changes(sqlite3_db_handle(st));
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return sq_fail(c, "recording a webhook delivery attempt", err);
    if (!changed)
        return ferr_set(err, FERR_INVALID_STATE,
                        "webhook delivery %lld is not pending at attempt %lld",
                        (long long)a->id, (long long)a->prev);
    return 0;
}

static int sq_wh_attempt(struct store *s, int64_t id, int64_t prev_attempt, const char *state,
                         int64_t next_attempt_ms, int64_t http_status, const char *error,
                         int64_t now_ms, struct ferr *err)
{
    struct attempt_arg a = {id, prev_attempt, next_attempt_ms, http_status, now_ms, state, error};
    return sq_write((struct sq *)s, do_attempt, &a, err);
}

/* ---------- reads ---------- */

static int sq_wh_get(struct store *s, const char *id, struct webhook *out, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = sq_prep(c, "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id = ?", err);
    int rc = -1;
    if (st) {
        sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            rc = webhook_row(st, out, err);
        else if (step == SQLITE_DONE)
            ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "Webhook with ID %.64s not found.", id);
        else
            sq_fail(c, "reading a webhook", err);
        sqlite3_reset(st);
    }
    sq_reader_put(sq, c);
    return rc;
}

static int sq_wh_list(struct store *s, int64_t offset, int64_t max, struct webhook_list *out,
                      int *more, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = sq_prep(c,
                               "SELECT " WEBHOOK_COLS " FROM webhooks ORDER BY creation_timestamp "
                               "DESC, id DESC LIMIT ? OFFSET ?",
                               err);
    int rc = st ? 0 : -1, step = SQLITE_DONE;
    if (st) {
        sqlite3_bind_int64(st, 1, max + 1);
        sqlite3_bind_int64(st, 2, offset);
        while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
            if ((int64_t)out->n == max) {
                *more = 1;
                break;
            }
            ALLOC_GROW(out->v, out->n + 1, out->alloc);
            memset(&out->v[out->n], 0, sizeof(out->v[out->n]));
            rc = webhook_row(st, &out->v[out->n], err);
            if (!rc)
                out->n++;
        }
        if (!rc && step != SQLITE_ROW && step != SQLITE_DONE)
            rc = sq_fail(c, "listing webhooks", err);
        sqlite3_reset(st);
    }
    sq_reader_put(sq, c);
    if (rc)
        webhook_list_release(out);
    return rc;
}

/* Runs a deliveries query whose ?1.. are bound by bind; rows into out. */
static int read_deliveries(struct store *s, const char *sql, int64_t a1, const char *a2,
                           int64_t a3, int64_t limit, struct webhook_delivery_list *out, int *more,
                           struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc = st ? 0 : -1, step = SQLITE_DONE;
    if (st) {
        sqlite3_bind_int64(st, 1, a1);
        bind_opt(st, 2, a2);
        sqlite3_bind_int64(st, 3, a3);
        sqlite3_bind_int64(st, 4, limit + (more ? 1 : 0));
        while ((step = sqlite3_step(st)) == SQLITE_ROW) {
            if ((int64_t)out->n == limit) {
                if (more)
                    *more = 1;
                break;
            }
            ALLOC_GROW(out->v, out->n + 1, out->alloc);
            delivery_row(st, &out->v[out->n++]);
        }
        if (step != SQLITE_ROW && step != SQLITE_DONE)
            rc = sq_fail(c, "reading webhook deliveries", err);
        sqlite3_reset(st);
    }
    sq_reader_put(sq, c);
    if (rc)
        webhook_delivery_list_release(out);
    return rc;
}

static int sq_wh_due(struct store *s, int64_t now_ms, size_t max,
                     struct webhook_delivery_list *out, struct ferr *err)
{
    static const char sql[] = "SELECT " DELIVERY_COLS " FROM webhook_deliveries WHERE state = "
                              "'pending' AND next_attempt_ms <= ?1 AND (?2 IS NULL OR 1) AND "
                              "?3 = ?3 ORDER BY next_attempt_ms, id LIMIT ?4";
    return read_deliveries(s, sql, now_ms, NULL, 0, (int64_t)max, out, NULL, err);
}

static int sq_wh_deliveries(struct store *s, const char *webhook_id, int64_t offset, int64_t max,
                            struct webhook_delivery_list *out, int *more, struct ferr *err)
{
    static const char sql[] = "SELECT " DELIVERY_COLS " FROM webhook_deliveries WHERE ?1 = ?1 "
                              "AND (?2 IS NULL OR webhook_id = ?2) ORDER BY id DESC LIMIT ?4 "
                              "OFFSET ?3";
    return read_deliveries(s, sql, 0, webhook_id, offset, max, out, more, err);
}

static int sq_wh_delivery_get(struct store *s, int64_t id, struct webhook_delivery *out,
                              struct ferr *err)
{
    static const char sql[] = "SELECT " DELIVERY_COLS " FROM webhook_deliveries WHERE id = ?1 "
                              "AND (?2 IS NULL OR 1) AND ?3 = ?3 LIMIT ?4";
    struct webhook_delivery_list l = {NULL, 0, 0};
    if (read_deliveries(s, sql, id, NULL, 0, 1, &l, NULL, err))
        return -1;
    if (!l.n) {
        webhook_delivery_list_release(&l);
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No webhook delivery %lld",
                        (long long)id);
    }
    *out = l.v[0];
    free(l.v);
    return 0;
}

const struct store_webhook_ops sqlite_webhooks = {
    .create = sq_wh_create,
    .get = sq_wh_get,
    .list = sq_wh_list,
    .update = sq_wh_update,
    .remove = sq_wh_remove,
    .enqueue = sq_wh_enqueue,
    .due = sq_wh_due,
    .attempt = sq_wh_attempt,
    .deliveries = sq_wh_deliveries,
    .delivery_get = sq_wh_delivery_get,
};
