/* SPDX-License-Identifier: MIT
 * Deployments in the SQLite backend (store/deployments.h's contract): the
 * tables of schema.c's migration 6; each change one write transaction
 * (SQLite's writes are one at a time, so the row read is the row changed). */
#include "store/sqlite/sqlite_int.h"
#include "store/deployment_record.h"
#include "store/deployments.h"
#include "base/ftime.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define ROW_COLS                                                                                   \
    "name, revision, change, spec, status, created_ms, updated_ms, created_by, updated_by"

static int load_row(sqlite3_stmt *st, struct deployment *out, struct ferr *err)
{
    return deployment_from_row(
        (const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1),
        sqlite3_column_int64(st, 2), (const char *)sqlite3_column_text(st, 3),
        (const char *)sqlite3_column_text(st, 4), sqlite3_column_int64(st, 5),
        sqlite3_column_int64(st, 6), (const char *)sqlite3_column_text(st, 7),
        (const char *)sqlite3_column_text(st, 8), out, err);
}

/* name's row into out; *found 0 when there is none. */
static int read_row(struct sq_conn *c, const char *name, struct deployment *out, int *found,
                    struct ferr *err)
{
    static const char sql[] = "SELECT " ROW_COLS " FROM deployments WHERE name = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    int ret = rc == SQLITE_ROW    ? load_row(st, out, err)
              : rc == SQLITE_DONE ? 0
                                  : sq_fail(c, "reading a deployment", err);
    sqlite3_reset(st);
    return ret;
}

/* Steps st (prepared and bound) through its rows on a reader, calling
 * row(arg, st) for each; the statement is reset. -1 on a failed step or
 * when row fails. */
static int each_row(struct sq_conn *c, sqlite3_stmt *st, int (*row)(void *arg, sqlite3_stmt *st),
                    void *arg, const char *what, struct ferr *err)
{
    int rc = 0;
    for (;;) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE)
            break;
        if (step != SQLITE_ROW) {
            rc = sq_fail(c, what, err);
            break;
        }
        if (row(arg, st)) {
            rc = -1;
            break;
        }
    }
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
    return rc;
}

struct change_arg {
    const char *name, *user;
    deployment_decide_fn decide;
    void *arg;
};

static int put_row(struct sq_conn *c, const struct deployment *d, struct ferr *err)
{
    static const char sql[] =
        "INSERT INTO deployments (" ROW_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
        "ON CONFLICT (name) DO UPDATE SET revision = excluded.revision, change = excluded.change, "
        "spec = excluded.spec, status = excluded.status, updated_ms = excluded.updated_ms, "
        "updated_by = excluded.updated_by";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    char *spec = deployment_spec_text(d), *status = deployment_status_text(d);
    sqlite3_bind_text(st, 1, d->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, d->revision);
    sqlite3_bind_int64(st, 3, d->change);
    sqlite3_bind_text(st, 4, spec, -1, free);
    sqlite3_bind_text(st, 5, status, -1, free);
    sqlite3_bind_int64(st, 6, d->created_ms);
    sqlite3_bind_int64(st, 7, d->updated_ms);
    sqlite3_bind_text(st, 8, d->created_by, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, d->updated_by, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, "writing a deployment", err);
}

static int put_change(struct sq_conn *c, const struct deployment *d,
                      const struct deployment_write *w, const char *user, struct ferr *err)
{
    static const char sql[] =
        "INSERT INTO deployment_changes (name, change, revision, action, user_id, time_ms, reason, "
        "spec, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, d->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, d->change);
    sqlite3_bind_int64(st, 3, d->revision);
    sqlite3_bind_text(st, 4, w->action, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, user ? user : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, d->updated_ms);
    sqlite3_bind_text(st, 7, w->reason ? w->reason : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, deployment_spec_text(d), -1, free);
    sqlite3_bind_text(st, 9, deployment_status_text(d), -1, free);
    int rc = sqlite3_step(st);
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, "writing a deployment's history", err);
}

static int put_event(struct sq_conn *c, const char *name, const struct deployment_write *w,
                     const char *user, struct ferr *err)
{
    static const char sql[] =
        "INSERT INTO events (time_ms, kind, subject, user_id, payload) VALUES (?, ?, ?, ?, ?)";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    char *payload = fjson_dumps(w->event_payload, JSON_COMPACT);
    sqlite3_bind_int64(st, 1, ftime_now_ms());
    sqlite3_bind_text(st, 2, w->event_kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, user ? user : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, payload, -1, free);
    int rc = sqlite3_step(st);
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, "writing an event", err);
}

static int delete_row(struct sq_conn *c, const char *name, struct ferr *err)
{
    static const char *const sql[] = {"DELETE FROM deployments WHERE name = ?",
                                      "DELETE FROM deployment_changes WHERE name = ?",
                                      "DELETE FROM deploy_stats WHERE deployment = ?"};
    for (size_t i = 0; i < sizeof(sql) / sizeof(*sql); i++) {
        sqlite3_stmt *st = sq_prep(c, sql[i], err);
        if (!st)
            return -1;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return sq_fail(c, "deleting a deployment", err);
    }
    return 0;
}

static int do_change(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    struct change_arg *a = arg;
    struct deployment cur;
    struct deployment_write w;
    int found;
    memset(&w, 0, sizeof(w));
    if (read_row(c, a->name, &cur, &found, err))
        return -1;
    int rc = a->decide(a->arg, found ? &cur : NULL, &w, err);
    if (rc == 0) {
        if (w.row ? put_row(c, w.row, err) : delete_row(c, a->name, err))
            rc = -1;
        else if (w.row && w.action && put_change(c, w.row, &w, a->user, err))
            rc = -1;
        else if (w.event_kind && put_event(c, a->name, &w, a->user, err))
            rc = -1;
    }
    if (found)
        deployment_release(&cur);
    return rc < 0 ? -1 : 0;
}

static int sq_deploy_change(struct store *s, const char *name, deployment_decide_fn decide,
                            void *arg, const char *user, struct ferr *err)
{
    struct change_arg a = {name, user, decide, arg};
    return sq_write((struct sq *)s, do_change, &a, err);
}

static int sq_deploy_get(struct store *s, const char *name, struct deployment *out,
                         struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    int found = 0;
    if (!c)
        return -1;
    int rc = read_row(c, name, out, &found, err);
    sq_reader_put(sq, c);
    if (!rc && !found)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No deployment named '%.100s'", name);
    return rc;
}

struct list_arg {
    struct deployment_list *out;
    struct ferr *err;
};

static int list_row(void *arg, sqlite3_stmt *st)
{
    struct list_arg *a = arg;
    ALLOC_GROW(a->out->v, a->out->n + 1, a->out->alloc);
    if (load_row(st, &a->out->v[a->out->n], a->err))
        return -1;
    a->out->n++;
    return 0;
}

static int sq_deploy_list(struct store *s, struct deployment_list *out, struct ferr *err)
{
    static const char sql[] = "SELECT " ROW_COLS " FROM deployments ORDER BY name";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    struct list_arg a = {out, err};
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc = st ? each_row(c, st, list_row, &a, "listing deployments", err) : -1;
    sq_reader_put(sq, c);
    if (rc)
        deployment_list_release(out);
    return rc;
}

static int history_row(void *arg, sqlite3_stmt *st)
{
    struct deployment_change_list *out = arg;
    ALLOC_GROW(out->v, out->n + 1, out->alloc);
    struct deployment_change *h = &out->v[out->n++];
    h->change = sqlite3_column_int64(st, 0);
    h->revision = sqlite3_column_int64(st, 1);
    h->action = sq_col_str(st, 2);
    h->user_id = sq_col_str(st, 3);
    h->time_ms = sqlite3_column_int64(st, 4);
    h->reason = sq_col_str(st, 5);
    h->spec_json = sq_col_str(st, 6);
    h->status_json = sq_col_str(st, 7);
    return 0;
}

static int sq_deploy_history(struct store *s, const char *name, struct deployment_change_list *out,
                             struct ferr *err)
{
    static const char sql[] = "SELECT change, revision, action, user_id, time_ms, reason, spec, "
                              "status FROM deployment_changes WHERE name = ? ORDER BY change";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc = -1;
    if (st) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        rc = each_row(c, st, history_row, out, "reading a deployment's history", err);
    }
    sq_reader_put(sq, c);
    if (rc)
        deployment_change_list_release(out);
    else if (out->n == 0) /* every deployment has its apply in the history */
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No deployment named '%.100s'", name);
    return rc;
}

static int event_row(void *arg, sqlite3_stmt *st)
{
    struct store_event_list *out = arg;
    ALLOC_GROW(out->v, out->n + 1, out->alloc);
    struct store_event *e = &out->v[out->n++];
    e->id = sqlite3_column_int64(st, 0);
    e->time_ms = sqlite3_column_int64(st, 1);
    e->kind = sq_col_str(st, 2);
    e->subject = sq_col_str(st, 3);
    e->user_id = sq_col_str(st, 4);
    e->payload = sq_col_str(st, 5);
    return 0;
}

static int sq_events(struct store *s, int64_t after_id, const char *kinds, int64_t max,
                     struct store_event_list *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT id, time_ms, kind, subject, user_id, payload FROM events WHERE id > ?1 AND "
        "(?2 = ',' OR instr(?2, ',' || kind || ',') > 0 OR "
        " instr(?2, ',' || substr(kind, 1, instr(kind, '.')) || '*,') > 0) "
        "ORDER BY id LIMIT ?3";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc = -1;
    if (st) {
        sqlite3_bind_int64(st, 1, after_id);
        sqlite3_bind_text(st, 2, kinds, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 3, max);
        rc = each_row(c, st, event_row, out, "reading events", err);
    }
    sq_reader_put(sq, c);
    if (rc)
        store_event_list_release(out);
    return rc;
}

struct stats_arg {
    const struct deploy_stats *rows;
    size_t n;
};

/* Figures older than this are dropped as new ones arrive. */
#define STATS_KEEP_MS (3600 * 1000)

static int do_stats_put(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char put[] =
        "INSERT INTO deploy_stats (deployment, revision, gateway, target, second_ms, requests, "
        "errors, client_errors, hist) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE "
        "SET requests = excluded.requests, errors = excluded.errors, "
        "client_errors = excluded.client_errors, hist = excluded.hist";
    static const char prune[] = "DELETE FROM deploy_stats WHERE second_ms < ?";
    struct stats_arg *a = arg;
    for (size_t i = 0; i < a->n; i++) {
        const struct deploy_stats *r = &a->rows[i];
        sqlite3_stmt *st = sq_prep(c, put, err);
        if (!st)
            return -1;
        sqlite3_bind_text(st, 1, r->deployment, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, r->revision);
        sqlite3_bind_text(st, 3, r->gateway, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, r->target, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, r->second_ms);
        sqlite3_bind_int64(st, 6, r->requests);
        sqlite3_bind_int64(st, 7, r->errors);
        sqlite3_bind_int64(st, 8, r->client_errors);
        sqlite3_bind_text(st, 9, r->hist, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        sqlite3_reset(st);
        if (rc != SQLITE_DONE)
            return sq_fail(c, "writing traffic figures", err);
    }
    sqlite3_stmt *st = sq_prep(c, prune, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ftime_now_ms() - STATS_KEEP_MS);
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, "dropping old traffic figures", err);
}

static int sq_stats_put(struct store *s, const struct deploy_stats *rows, size_t n,
                        struct ferr *err)
{
    struct stats_arg a = {rows, n};
    return sq_write((struct sq *)s, do_stats_put, &a, err);
}

struct stats_read_arg {
    struct deploy_stats_list *out;
    const char *name;
    int64_t revision;
};

static int stats_row(void *arg, sqlite3_stmt *st)
{
    struct stats_read_arg *a = arg;
    ALLOC_GROW(a->out->v, a->out->n + 1, a->out->alloc);
    struct deploy_stats *r = &a->out->v[a->out->n++];
    r->deployment = xstrdup(a->name);
    r->revision = a->revision;
    r->gateway = sq_col_str(st, 0);
    r->target = sq_col_str(st, 1);
    r->second_ms = sqlite3_column_int64(st, 2);
    r->requests = sqlite3_column_int64(st, 3);
    r->errors = sqlite3_column_int64(st, 4);
    r->client_errors = sqlite3_column_int64(st, 5);
    r->hist = sq_col_str(st, 6);
    return 0;
}

static int sq_stats_read(struct store *s, const char *name, int64_t revision, int64_t since_ms,
                         struct deploy_stats_list *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT gateway, target, second_ms, requests, errors, client_errors, hist FROM "
        "deploy_stats WHERE deployment = ? AND revision = ? AND second_ms >= ? "
        "ORDER BY second_ms, gateway, target";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    struct stats_read_arg a = {out, name, revision};
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc = -1;
    if (st) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, revision);
        sqlite3_bind_int64(st, 3, since_ms);
        rc = each_row(c, st, stats_row, &a, "reading traffic figures", err);
    }
    sq_reader_put(sq, c);
    if (rc)
        deploy_stats_list_release(out);
    return rc;
}

const struct store_deployment_ops sqlite_deployments = {
    .change = sq_deploy_change,
    .get = sq_deploy_get,
    .list = sq_deploy_list,
    .history = sq_deploy_history,
    .events = sq_events,
    .stats_put = sq_stats_put,
    .stats_read = sq_stats_read,
};
