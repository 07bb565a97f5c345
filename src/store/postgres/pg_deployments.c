/* SPDX-License-Identifier: MIT
 * Deployments in the PostgreSQL backend (store/deployments.h's contract):
 * each change one write transaction that locks the deployment's row (FOR
 * UPDATE), so changes from several replicas, the CLI and the controller
 * follow one another. A first apply races on the primary key: the loser
 * is run again (as a serialization failure) and finds the winner's row. */
#include "store/postgres/pg_int.h"
#include "store/deployment_record.h"
#include "store/deployments.h"
#include "base/sbuf.h"
#include "base/json.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define ROW_COLS                                                                                   \
    "name, revision, change, spec, status, created_ms, updated_ms, created_by, updated_by"

static int load_row(const PGresult *r, int i, struct deployment *out, struct ferr *err)
{
    return deployment_from_row(pg_get_ref(r, i, 0), pg_get_int(r, i, 1), pg_get_int(r, i, 2),
                               pg_get_ref(r, i, 3), pg_get_ref(r, i, 4), pg_get_int(r, i, 5),
                               pg_get_int(r, i, 6), pg_get_ref(r, i, 7), pg_get_ref(r, i, 8), out,
                               err);
}

static const char read_sql[] = "SELECT " ROW_COLS " FROM deployments WHERE name = $1";
static const char lock_sql[] = "SELECT " ROW_COLS " FROM deployments WHERE name = $1 FOR UPDATE";

static int read_row(struct pg_conn *c, const char *sql, const char *name, struct deployment *out,
                    int *found, struct ferr *err)
{
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    PGresult *r = pg_run(c, sql, &a, "reading a deployment", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    *found = PQntuples(r) == 1;
    int rc = *found ? load_row(r, 0, out, err) : 0;
    PQclear(r);
    return rc;
}

struct change_arg {
    const char *name, *user;
    deployment_decide_fn decide;
    void *arg;
};

static int put_row(struct pg_conn *c, const struct deployment *d, int exists, struct ferr *err)
{
    static const char insert[] =
        "INSERT INTO deployments (" ROW_COLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
        "ON CONFLICT (name) DO NOTHING";
    static const char update[] =
        "UPDATE deployments SET revision = $2, change = $3, spec = $4, status = $5, "
        "created_ms = $6, updated_ms = $7, created_by = $8, updated_by = $9 WHERE name = $1";
    char *spec = deployment_spec_text(d), *status = deployment_status_text(d);
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, d->name);
    pg_args_int(&a, d->revision);
    pg_args_int(&a, d->change);
    pg_args_text(&a, spec);
    pg_args_text(&a, status);
    pg_args_int(&a, d->created_ms);
    pg_args_int(&a, d->updated_ms);
    pg_args_text(&a, d->created_by);
    pg_args_text(&a, d->updated_by);
    PGresult *r = pg_run(c, exists ? update : insert, &a, "writing a deployment", err);
    pg_args_release(&a);
    free(spec);
    free(status);
    if (!r)
        return -1;
    int64_t n = pg_affected(r);
    PQclear(r);
    if (n != 1) { /* another replica created it meanwhile: run again */
        snprintf(c->sqlstate, sizeof(c->sqlstate), "40001");
        return ferr_set(err, FERR_TEMPORARILY_UNAVAILABLE, "deployment '%.100s' changed meanwhile",
                        d->name);
    }
    return 0;
}

static int put_change(struct pg_conn *c, const struct deployment *d,
                      const struct deployment_write *w, const char *user, struct ferr *err)
{
    static const char sql[] =
        "INSERT INTO deployment_changes (name, change, revision, action, user_id, time_ms, reason, "
        "spec, status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
    char *spec = deployment_spec_text(d), *status = deployment_status_text(d);
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, d->name);
    pg_args_int(&a, d->change);
    pg_args_int(&a, d->revision);
    pg_args_text(&a, w->action);
    pg_args_text(&a, user ? user : "");
    pg_args_int(&a, d->updated_ms);
    pg_args_text(&a, w->reason ? w->reason : "");
    pg_args_text(&a, spec);
    pg_args_text(&a, status);
    int rc = pg_do(c, sql, &a, "writing a deployment's history", err);
    pg_args_release(&a);
    free(spec);
    free(status);
    return rc;
}

static int put_event(struct pg_conn *c, const char *name, const struct deployment_write *w,
                     const char *user, struct ferr *err)
{
    static const char sql[] =
        "INSERT INTO events (time_ms, kind, subject, user_id, payload) VALUES "
        "((extract(epoch from clock_timestamp()) * 1000)::bigint, $1, $2, $3, $4)";
    char *payload = fjson_dumps(w->event_payload, JSON_COMPACT);
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, w->event_kind);
    pg_args_text(&a, name);
    pg_args_text(&a, user ? user : "");
    pg_args_text(&a, payload);
    int rc = pg_do(c, sql, &a, "writing an event", err);
    pg_args_release(&a);
    free(payload);
    return rc;
}

static int delete_row(struct pg_conn *c, const char *name, struct ferr *err)
{
    static const char rows[] = "DELETE FROM deployments WHERE name = $1";
    static const char changes[] = "DELETE FROM deployment_changes WHERE name = $1";
    static const char stats[] = "DELETE FROM deploy_stats WHERE deployment = $1";
    const char *const sql[] = {rows, changes, stats};
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof(sql) / sizeof(*sql); i++)
        rc = pg_do(c, sql[i], &a, "deleting a deployment", err);
    pg_args_release(&a);
    return rc;
}

static int do_change(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    struct change_arg *a = arg;
    struct deployment cur;
    struct deployment_write w;
    int found = 0;
    memset(&w, 0, sizeof(w));
    memset(&cur, 0, sizeof(cur));
    if (read_row(c, lock_sql, a->name, &cur, &found, err))
        return -1;
    int rc = a->decide(a->arg, found ? &cur : NULL, &w, err);
    if (rc == 0) {
        if (w.row ? put_row(c, w.row, found, err) : delete_row(c, a->name, err))
            rc = -1;
        else if (w.row && w.action && put_change(c, w.row, &w, a->user, err))
            rc = -1;
        else if (w.event_kind && put_event(c, a->name, &w, a->user, err))
            rc = -1;
    }
    deployment_release(&cur);
    return rc < 0 ? -1 : 0;
}

static int pg_deploy_change(struct store *s, const char *name, deployment_decide_fn decide,
                            void *arg, const char *user, struct ferr *err)
{
    struct change_arg a = {name, user, decide, arg};
    return pg_write((struct pg *)s, do_change, &a, err);
}

static int pg_deploy_get(struct store *s, const char *name, struct deployment *out,
                         struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    int found = 0;
    if (!c)
        return -1;
    int rc = read_row(c, read_sql, name, out, &found, err);
    pg_reader_put(pg, c);
    if (!rc && !found)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No deployment named '%.100s'", name);
    return rc;
}

static int pg_deploy_list(struct store *s, struct deployment_list *out, struct ferr *err)
{
    static const char sql[] = "SELECT " ROW_COLS " FROM deployments ORDER BY name";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    PGresult *r = pg_run(c, sql, NULL, "listing deployments", err);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    int rc = 0, n = PQntuples(r);
    out->v = xcalloc((size_t)n + 1, sizeof(*out->v));
    out->alloc = (size_t)n + 1;
    for (int i = 0; i < n && rc == 0; i++)
        if (load_row(r, i, &out->v[out->n], err))
            rc = -1;
        else
            out->n++;
    PQclear(r);
    if (rc)
        deployment_list_release(out);
    return rc;
}

static int pg_deploy_history(struct store *s, const char *name, struct deployment_change_list *out,
                             struct ferr *err)
{
    static const char sql[] =
        "SELECT change, revision, action, user_id, time_ms, reason, spec, status, "
        "EXISTS (SELECT 1 FROM deployments WHERE name = $1) FROM deployment_changes "
        "WHERE name = $1 ORDER BY change";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    PGresult *r = pg_run(c, sql, &a, "reading a deployment's history", err);
    pg_args_release(&a);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    int n = PQntuples(r);
    if (n == 0 || strcmp(pg_get_ref(r, 0, 8), "t")) {
        PQclear(r);
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No deployment named '%.100s'", name);
    }
    out->v = xcalloc((size_t)n, sizeof(*out->v));
    out->alloc = out->n = (size_t)n;
    for (int i = 0; i < n; i++) {
        struct deployment_change *h = &out->v[i];
        h->change = pg_get_int(r, i, 0);
        h->revision = pg_get_int(r, i, 1);
        h->action = pg_get_str(r, i, 2);
        h->user_id = pg_get_str(r, i, 3);
        h->time_ms = pg_get_int(r, i, 4);
        h->reason = pg_get_str(r, i, 5);
        h->spec_json = pg_get_str(r, i, 6);
        h->status_json = pg_get_str(r, i, 7);
    }
    PQclear(r);
    return 0;
}

static int pg_events(struct store *s, int64_t after_id, const char *kinds, int64_t max,
                     struct store_event_list *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT id, time_ms, kind, subject, user_id, payload FROM events WHERE id > $1 AND "
        "($2 = ',' OR strpos($2, ',' || kind || ',') > 0 OR "
        " strpos($2, ',' || split_part(kind, '.', 1) || '.*,') > 0) ORDER BY id LIMIT $3";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, after_id);
    pg_args_text(&a, kinds);
    pg_args_int(&a, max);
    PGresult *r = pg_run(c, sql, &a, "reading events", err);
    pg_args_release(&a);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    int n = PQntuples(r);
    out->v = xcalloc((size_t)n + 1, sizeof(*out->v));
    out->alloc = (size_t)n + 1;
    out->n = (size_t)n;
    for (int i = 0; i < n; i++) {
        struct store_event *e = &out->v[i];
        e->id = pg_get_int(r, i, 0);
        e->time_ms = pg_get_int(r, i, 1);
        e->kind = pg_get_str(r, i, 2);
        e->subject = pg_get_str(r, i, 3);
        e->user_id = pg_get_str(r, i, 4);
        e->payload = pg_get_str(r, i, 5);
    }
    PQclear(r);
    return 0;
}

struct stats_arg {
    const struct deploy_stats *rows;
    size_t n;
};

/* Figures older than this are dropped as new ones arrive. */
#define STATS_KEEP_MS "3600000"

static int do_stats_put(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char put[] =
        "INSERT INTO deploy_stats (deployment, revision, gateway, target, second_ms, requests, "
        "errors, client_errors, hist) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) "
        "ON CONFLICT (deployment, revision, second_ms, gateway, target) DO UPDATE "
        "SET requests = excluded.requests, errors = excluded.errors, "
        "client_errors = excluded.client_errors, hist = excluded.hist";
    static const char prune[] =
        "DELETE FROM deploy_stats WHERE second_ms < "
        "(extract(epoch from clock_timestamp()) * 1000)::bigint - " STATS_KEEP_MS;
    struct stats_arg *sa = arg;
    struct pg_args a = PG_ARGS_INIT;
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sa->n; i++) {
        const struct deploy_stats *r = &sa->rows[i];
        pg_args_clear(&a);
        pg_args_text(&a, r->deployment);
        pg_args_int(&a, r->revision);
        pg_args_text(&a, r->gateway);
        pg_args_text(&a, r->target);
        pg_args_int(&a, r->second_ms);
        pg_args_int(&a, r->requests);
        pg_args_int(&a, r->errors);
        pg_args_int(&a, r->client_errors);
        pg_args_text(&a, r->hist);
        rc = pg_do(c, put, &a, "writing traffic figures", err);
    }
    pg_args_release(&a);
    return rc ? -1 : pg_do(c, prune, NULL, "dropping old traffic figures", err);
}

static int pg_stats_put(struct store *s, const struct deploy_stats *rows, size_t n,
                        struct ferr *err)
{
    struct stats_arg a = {rows, n};
    return pg_write((struct pg *)s, do_stats_put, &a, err);
}

static int pg_stats_read(struct store *s, const char *name, int64_t revision, int64_t since_ms,
                         struct deploy_stats_list *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT gateway, target, second_ms, requests, errors, client_errors, hist FROM "
        "deploy_stats WHERE deployment = $1 AND revision = $2 AND second_ms >= $3 "
        "ORDER BY second_ms, gateway, target";
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return -1;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    pg_args_int(&a, revision);
    pg_args_int(&a, since_ms);
    PGresult *r = pg_run(c, sql, &a, "reading traffic figures", err);
    pg_args_release(&a);
    pg_reader_put(pg, c);
    if (!r)
        return -1;
    int n = PQntuples(r);
    out->v = xcalloc((size_t)n + 1, sizeof(*out->v));
    out->alloc = (size_t)n + 1;
    out->n = (size_t)n;
    for (int i = 0; i < n; i++) {
        struct deploy_stats *d = &out->v[i];
        d->deployment = xstrdup(name);
        d->revision = revision;
        d->gateway = pg_get_str(r, i, 0);
        d->target = pg_get_str(r, i, 1);
        d->second_ms = pg_get_int(r, i, 2);
        d->requests = pg_get_int(r, i, 3);
        d->errors = pg_get_int(r, i, 4);
        d->client_errors = pg_get_int(r, i, 5);
        d->hist = pg_get_str(r, i, 6);
    }
    PQclear(r);
    return 0;
}

const struct store_deployment_ops pg_deployments = {
    .change = pg_deploy_change,
    .get = pg_deploy_get,
    .list = pg_deploy_list,
    .history = pg_deploy_history,
    .events = pg_events,
    .stats_put = pg_stats_put,
    .stats_read = pg_stats_read,
};
