/* SPDX-License-Identifier: MIT
 * Webhooks in the PostgreSQL backend (store/webhooks.h's contract): the
 * webhooks and webhook_deliveries tables (schema 12). Every write is one
 * statement (an insert that skips what exists, a compare-and-set update),
 * so running it twice (pg_write's retries) has the effect of once; fenced
 * by the thread's lease in pg_conn.c. */
#include "store/postgres/pg_int.h"
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

static int webhook_row(const PGresult *r, int i, struct webhook *w, struct ferr *err)
{
    w->id = pg_get_str(r, i, 0);
    w->name = pg_get_str(r, i, 1);
    w->description = pg_get_str_or_null(r, i, 2);
    w->url = pg_get_str(r, i, 3);
    w->secret = pg_get_str_or_null(r, i, 4);
    w->status = pg_get_str(r, i, 6);
    w->creation_timestamp = pg_get_int(r, i, 7);
    w->last_updated_timestamp = pg_get_int(r, i, 8);
    if (webhook_events_from_text(pg_get_ref(r, i, 5), w, err)) {
        webhook_release(w);
        return -1;
    }
    return 0;
}

static void delivery_row(const PGresult *r, int i, struct webhook_delivery *d)
{
    d->id = pg_get_int(r, i, 0);
    d->webhook_id = pg_get_str(r, i, 1);
    d->event_id = pg_get_int(r, i, 2);
    d->event = pg_get_str(r, i, 3);
    d->payload = pg_get_str(r, i, 4);
    d->state = pg_get_str(r, i, 5);
    d->attempt = pg_get_int(r, i, 6);
    d->next_attempt_ms = pg_get_int(r, i, 7);
    d->http_status = pg_get_int(r, i, 8);
    d->error = pg_get_str_or_null(r, i, 9);
    d->created_ms = pg_get_int(r, i, 10);
    d->updated_ms = pg_get_int(r, i, 11);
}

/* ---------- writes ---------- */

struct put_arg {
    const struct webhook *w;
    int64_t expect_updated; /* -1: create */
};

static int do_put(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char ins[] = "INSERT INTO webhooks (" WEBHOOK_COLS
                              ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    static const char upd[] =
        "UPDATE webhooks SET name = $2, description = $3, url = $4, secret = $5, events = $6, "
        "status = $7, last_updated_timestamp = $9 WHERE id = $1 AND "
        "last_updated_timestamp = $8";
    struct put_arg *a = arg;
    const struct webhook *w = a->w;
    int create = a->expect_updated < 0;
    char *events = webhook_events_text(w);
    struct pg_args args = PG_ARGS_INIT;
    pg_args_text(&args, w->id);
    pg_args_text(&args, w->name);
    pg_args_text(&args, w->description);
    pg_args_text(&args, w->url);
    pg_args_text(&args, w->secret);
    pg_args_text(&args, events);
    pg_args_text(&args, w->status);
    pg_args_int(&args, create ? w->creation_timestamp : a->expect_updated);
    pg_args_int(&args, w->last_updated_timestamp);
    PGresult *r = pg_run(c, create ? ins : upd, &args, "writing a webhook", err);
    pg_args_release(&args);
    free(events);
    if (!r) {
        if (create && pg_unique_violation(c))
            return ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS, "Webhook with ID %s already exists",
                            w->id);
        return -1;
    }
    int64_t n = pg_affected(r);
    PQclear(r);
    if (!create && n != 1)
        return ferr_set(err, FERR_INVALID_STATE,
                        "Webhook with ID %s changed (or was deleted) while it was updated; "
                        "try again",
                        w->id);
    return 0;
}

static int pg_wh_create(struct store *s, const struct webhook *w, struct ferr *err)
{
    struct put_arg a = {w, -1};
    return pg_write_one((struct pg *)s, do_put, &a, err);
}

static int pg_wh_update(struct store *s, const struct webhook *w, int64_t expect_updated,
                        struct ferr *err)
{
    struct put_arg a = {w, expect_updated};
    return pg_write((struct pg *)s, do_put, &a, err);
}

static int do_remove(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char sql[] = "DELETE FROM webhooks WHERE id = $1";
    const char *id = arg;
    struct pg_args args = PG_ARGS_INIT;
    pg_args_text(&args, id);
    PGresult *r = pg_run(c, sql, &args, "deleting a webhook", err);
    pg_args_release(&args);
    if (!r)
        return -1;
    int64_t n = pg_affected(r);
    PQclear(r);
    if (n != 1)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "Webhook with ID %.64s not found.", id);
    return 0;
}

static int pg_wh_remove(struct store *s, const char *id, struct ferr *err)
{
    return pg_write((struct pg *)s, do_remove, (void *)id, err);
}

struct enqueue_arg {
    const char *webhook_id, *event, *payload;
    int64_t event_id, now_ms;
    int *inserted;
};

static int do_enqueue(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char sql[] =
        "INSERT INTO webhook_deliveries (webhook_id, event_id, event, payload, state, attempt, "
        "next_attempt_ms, http_status, error, created_ms, updated_ms) VALUES ($1, $2, $3, $4, "
        "'pending', 0, $5, NULL, NULL, $5, $5) ON CONFLICT (webhook_id, event_id) DO NOTHING";
    struct enqueue_arg *a = arg;
    struct pg_args args = PG_ARGS_INIT;
    pg_args_text(&args, a->webhook_id);
    pg_args_int(&args, a->event_id);
    pg_args_text(&args, a->event);
    pg_args_text(&args, a->payload);
    pg_args_int(&args, a->now_ms);
    PGresult *r = pg_run(c, sql, &args, "enqueueing a webhook delivery", err);
    pg_args_release(&args);
    if (!r)
        return -1;
    *a->inserted = pg_affected(r) > 0;
    PQclear(r);
    return 0;
}

static int pg_wh_enqueue(struct store *s, const char *webhook_id, int64_t event_id,
                         const char *event, const char *payload, int64_t now_ms, int *inserted,
                         struct ferr *err)
{
    struct enqueue_arg a = {webhook_id, event, payload, event_id, now_ms, inserted};
    return pg_write((struct pg *)s, do_enqueue, &a, err);
}

struct attempt_arg {
    int64_t id, prev, next_ms, status, now_ms;
    const char *state, *error;
};

static int do_attempt(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char sql[] =
        "UPDATE webhook_deliveries SET attempt = attempt + 1, state = $3, next_attempt_ms = $4, "
        "http_status = $5, error = $6, updated_ms = $7 WHERE id = $1 AND attempt = $2 AND "
        "state = 'pending'";
    struct attempt_arg *a = arg;
    struct pg_args args = PG_ARGS_INIT;
    pg_args_int(&args, a->id);
    pg_args_int(&args, a->prev);
    pg_args_text(&args, a->state);
    pg_args_int(&args, a->next_ms);
    if (a->status > 0)
        pg_args_int(&args, a->status);
    else
        pg_args_null(&args);
    pg_args_text(&args, a->error);
    pg_args_int(&args, a->now_ms);
    PGresult *r = pg_run(c, sql, &args, "recording a webhook delivery attempt", err);
    pg_args_release(&args);
    if (!r)
        return -1;
    int64_t n = pg_affected(r);
    PQclear(r);
    if (n != 1)
        return ferr_set(err, FERR_INVALID_STATE,
                        "webhook delivery %lld is not pending at attempt %lld",
                        (long long)a->id, (long long)a->prev);
    return 0;
}

static int pg_wh_attempt(struct store *s, int64_t id, int64_t prev_attempt, const char *state,
                         int64_t next_attempt_ms, int64_t http_status, const char *error,
                         int64_t now_ms, struct ferr *err)
{
    struct attempt_arg a = {id, prev_attempt, next_attempt_ms, http_status, now_ms, state, error};
    return pg_write((struct pg *)s, do_attempt, &a, err);
}

/* ---------- reads ---------- */

static PGresult *read_rows(struct store *s, const char *sql, struct pg_args *args,
                           const char *what, struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    PGresult *r = c ? pg_run(c, sql, args, what, err) : NULL;
    if (c)
        pg_reader_put(pg, c);
    pg_args_release(args);
    return r;
}

static int pg_wh_get(struct store *s, const char *id, struct webhook *out, struct ferr *err)
{
    static const char sql[] = "SELECT " WEBHOOK_COLS " FROM webhooks WHERE id = $1";
    struct pg_args args = PG_ARGS_INIT;
    pg_args_text(&args, id);
    PGresult *r = read_rows(s, sql, &args, "reading a webhook", err);
    if (!r)
        return -1;
    int rc = PQntuples(r) == 1 ? webhook_row(r, 0, out, err)
                               : ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                                          "Webhook with ID %.64s not found.", id);
    PQclear(r);
    return rc;
}

static int pg_wh_list(struct store *s, int64_t offset, int64_t max, struct webhook_list *out,
                      int *more, struct ferr *err)
{
    static const char sql[] = "SELECT " WEBHOOK_COLS " FROM webhooks ORDER BY creation_timestamp "
                              "DESC, id DESC LIMIT $1 OFFSET $2";
    struct pg_args args = PG_ARGS_INIT;
    pg_args_int(&args, max + 1);
    pg_args_int(&args, offset);
    PGresult *r = read_rows(s, sql, &args, "listing webhooks", err);
    if (!r)
        return -1;
    int n = PQntuples(r), rc = 0;
    for (int i = 0; i < n && !rc; i++) {
        if ((int64_t)out->n == max) {
            *more = 1;
            break;
        }
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        memset(&out->v[out->n], 0, sizeof(out->v[out->n]));
        rc = webhook_row(r, i, &out->v[out->n], err);
        if (!rc)
            out->n++;
    }
    PQclear(r);
    if (rc)
        webhook_list_release(out);
    return rc;
}

static int deliveries_of(PGresult *r, int64_t limit, struct webhook_delivery_list *out, int *more)
{
    if (!r)
        return -1;
    int n = PQntuples(r);
    for (int i = 0; i < n; i++) {
        if ((int64_t)out->n == limit) {
            if (more)
                *more = 1;
            break;
        }
        ALLOC_GROW(out->v, out->n + 1, out->alloc);
        delivery_row(r, i, &out->v[out->n++]);
    }
    PQclear(r);
    return 0;
}

static int pg_wh_due(struct store *s, int64_t now_ms, size_t max,
                     struct webhook_delivery_list *out, struct ferr *err)
{
    static const char sql[] = "SELECT " DELIVERY_COLS " FROM webhook_deliveries WHERE state = "
                              "'pending' AND next_attempt_ms <= $1 ORDER BY next_attempt_ms, id "
                              "LIMIT $2";
    struct pg_args args = PG_ARGS_INIT;
    pg_args_int(&args, now_ms);
    pg_args_int(&args, (int64_t)max);
    return deliveries_of(read_rows(s, sql, &args, "reading due webhook deliveries", err),
                         (int64_t)max, out, NULL);
}

static int pg_wh_deliveries(struct store *s, const char *webhook_id, int64_t offset, int64_t max,
                            struct webhook_delivery_list *out, int *more, struct ferr *err)
{
    static const char sql[] = "SELECT " DELIVERY_COLS " FROM webhook_deliveries WHERE "
                              "($1::text IS NULL OR webhook_id = $1) ORDER BY id DESC LIMIT $2 "
                              "OFFSET $3";
    struct pg_args args = PG_ARGS_INIT;
    pg_args_text(&args, webhook_id);
    pg_args_int(&args, max + 1);
    pg_args_int(&args, offset);
    return deliveries_of(read_rows(s, sql, &args, "reading webhook deliveries", err), max, out,
                         more);
}

static int pg_wh_delivery_get(struct store *s, int64_t id, struct webhook_delivery *out,
                              struct ferr *err)
{
    static const char sql[] = "SELECT " DELIVERY_COLS " FROM webhook_deliveries WHERE id = $1";
    struct pg_args args = PG_ARGS_INIT;
    pg_args_int(&args, id);
    PGresult *r = read_rows(s, sql, &args, "reading a webhook delivery", err);
    if (!r)
        return -1;
    int rc = 0;
    if (PQntuples(r) == 1)
        delivery_row(r, 0, out);
    else
        rc = ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No webhook delivery %lld",
                      (long long)id);
    PQclear(r);
    return rc;
}

const struct store_webhook_ops pg_webhooks = {
    .create = pg_wh_create,
    .get = pg_wh_get,
    .list = pg_wh_list,
    .update = pg_wh_update,
    .remove = pg_wh_remove,
    .enqueue = pg_wh_enqueue,
    .due = pg_wh_due,
    .attempt = pg_wh_attempt,
    .deliveries = pg_wh_deliveries,
    .delivery_get = pg_wh_delivery_get,
};
