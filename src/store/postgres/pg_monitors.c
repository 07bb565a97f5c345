/* SPDX-License-Identifier: MIT
 * Monitors in the PostgreSQL backend (store/monitors.h's contract): the
 * tables of schema version 9. Each change is one write transaction that
 * locks the monitor's row and its active alerts (FOR UPDATE), so the
 * runners of several replicas, the CLI and the alert sender follow one
 * another. A report's window is claimed by its insert (ON CONFLICT DO
 * NOTHING on the unique (monitor, window_start_ms)) made under the
 * monitor's lock: a second replica putting the same window waits for the
 * first one's commit and then inserts nothing. A first apply races on the primary key: the loser is
 * run again (as a serialization failure) and finds the winner's row. Due
 * deliveries are claimed with SKIP LOCKED, so two senders take different
 * rows. */
#include "store/postgres/pg_int.h"
#include "store/monitors.h"
#include "base/xalloc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define NOW_MS "(extract(epoch from clock_timestamp()) * 1000)::bigint"

#define MON_COLS                                                                                   \
    "name, revision, spec, created_ms, updated_ms, created_by, applied_by, "                       \
    "last_window_start_ms, last_window_end_ms, last_run_ms, last_status, last_error, run_id"
#define ALERT_COLS                                                                                 \
    "id, monitor, deployment, condition, state, severity, message, details, opened_ms, "           \
    "opened_window_start_ms, last_window_start_ms, breach_count, acked_ms, acked_by, "             \
    "resolved_ms, resolved_by, updated_ms"
#define DELIVERY_COLS                                                                              \
    "id, alert_id, monitor, sink_index, sink_kind, event, attempt, state, http_status, error, "    \
    "created_ms, next_attempt_ms, delivered_ms"
#define REPORT_COLS                                                                                \
    "id, monitor, window_start_ms, window_end_ms, status, n_rows, dataset_drift, "                 \
    "share_of_drifted_columns, figures, error, created_ms"

/* ---------- rows ---------- */

static int load_monitor(const PGresult *r, int i, struct monitor *m, struct ferr *err)
{
    memset(m, 0, sizeof(*m));
    m->name = pg_get_str(r, i, 0);
    m->revision = pg_get_int(r, i, 1);
    m->created_ms = pg_get_int(r, i, 3);
    m->updated_ms = pg_get_int(r, i, 4);
    m->created_by = pg_get_str(r, i, 5);
    m->applied_by = pg_get_str(r, i, 6);
    m->last_window_start_ms = pg_get_int(r, i, 7);
    m->last_window_end_ms = pg_get_int(r, i, 8);
    m->last_run_ms = pg_get_int(r, i, 9);
    m->last_status = pg_get_str(r, i, 10);
    m->last_error = pg_get_str(r, i, 11);
    m->run_id = pg_get_str(r, i, 12);
    if (monitor_from_row(m, pg_get_ref(r, i, 2), err)) {
        monitor_release(m);
        return -1;
    }
    return 0;
}

static const char read_sql[] = "SELECT " MON_COLS " FROM monitors WHERE name = $1";
static const char lock_sql[] = "SELECT " MON_COLS " FROM monitors WHERE name = $1 FOR UPDATE";

static int read_monitor(struct pg_conn *c, const char *sql, const char *name, struct monitor *out,
                        int *found, struct ferr *err)
{
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    PGresult *r = pg_run(c, sql, &a, "reading a monitor", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    *found = PQntuples(r) == 1;
    int rc = *found ? load_monitor(r, 0, out, err) : 0;
    PQclear(r);
    return rc;
}

static void load_alert(const PGresult *r, int i, struct monitor_alert *a)
{
    memset(a, 0, sizeof(*a));
    a->id = pg_get_int(r, i, 0);
    a->monitor = pg_get_str(r, i, 1);
    a->deployment = pg_get_str(r, i, 2);
    a->condition = pg_get_str(r, i, 3);
    if (alert_state_parse(pg_get_ref(r, i, 4), &a->state))
        a->state = ALERT_OPEN;
    if (alert_severity_parse(pg_get_ref(r, i, 5), &a->severity))
        a->severity = ALERT_WARNING;
    a->message = pg_get_str(r, i, 6);
    a->details = pg_get_str(r, i, 7);
    a->opened_ms = pg_get_int(r, i, 8);
    a->opened_window_start_ms = pg_get_int(r, i, 9);
    a->last_window_start_ms = pg_get_int(r, i, 10);
    a->breach_count = pg_get_int(r, i, 11);
    a->acked_ms = pg_get_int(r, i, 12);
    a->acked_by = pg_get_str(r, i, 13);
    a->resolved_ms = pg_get_int(r, i, 14);
    a->resolved_by = pg_get_str(r, i, 15);
    a->updated_ms = pg_get_int(r, i, 16);
}

static void load_alerts(const PGresult *r, struct monitor_alert_list *out)
{
    int n = PQntuples(r);
    out->v = xcalloc((size_t)n + 1, sizeof(*out->v));
    out->alloc = (size_t)n + 1;
    for (int i = 0; i < n; i++)
        load_alert(r, i, &out->v[out->n++]);
}

static int read_active(struct pg_conn *c, const char *monitor, struct monitor_alert_list *out,
                       struct ferr *err)
{
    static const char sql[] = "SELECT " ALERT_COLS " FROM monitor_alerts WHERE monitor = $1 AND "
                              "state <> 'resolved' ORDER BY id FOR UPDATE";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, monitor);
    PGresult *r = pg_run(c, sql, &a, "reading a monitor's alerts", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    load_alerts(r, out);
    PQclear(r);
    return 0;
}

static void load_delivery(const PGresult *r, int i, struct alert_delivery *d)
{
    memset(d, 0, sizeof(*d));
    d->id = pg_get_int(r, i, 0);
    d->alert_id = pg_get_int(r, i, 1);
    d->monitor = pg_get_str(r, i, 2);
    d->sink_index = (int)pg_get_int(r, i, 3);
    d->sink_kind = pg_get_str(r, i, 4);
    if (delivery_event_parse(pg_get_ref(r, i, 5), &d->event))
        d->event = DELIVERY_OPENED;
    d->attempt = pg_get_int(r, i, 6);
    if (delivery_state_parse(pg_get_ref(r, i, 7), &d->state))
        d->state = DELIVERY_FAILED;
    d->http_status = (int)pg_get_int(r, i, 8);
    d->error = pg_get_str(r, i, 9);
    d->created_ms = pg_get_int(r, i, 10);
    d->next_attempt_ms = pg_get_int(r, i, 11);
    d->delivered_ms = pg_get_int(r, i, 12);
}

static void load_deliveries(const PGresult *r, struct alert_delivery_list *out)
{
    int n = PQntuples(r);
    out->v = xcalloc((size_t)n + 1, sizeof(*out->v));
    out->alloc = (size_t)n + 1;
    for (int i = 0; i < n; i++)
        load_delivery(r, i, &out->v[out->n++]);
}

/* ---------- writes ---------- */

/* A conflict with another replica's write: pg_write runs the op again. */
static int conflict(struct pg_conn *c, const char *what, const char *name, struct ferr *err)
{
    snprintf(c->sqlstate, sizeof(c->sqlstate), "40001");
    return ferr_set(err, FERR_TEMPORARILY_UNAVAILABLE, "%s '%.130s' changed meanwhile", what, name);
}

static int put_monitor(struct pg_conn *c, const struct monitor *m, int exists, struct ferr *err)
{
    static const char insert[] =
        "INSERT INTO monitors (" MON_COLS ", deployment) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
        "$9, $10, $11, $12, $13, $14) ON CONFLICT (name) DO NOTHING";
    static const char update[] =
        "UPDATE monitors SET revision = $2, spec = $3, created_ms = $4, updated_ms = $5, "
        "created_by = $6, applied_by = $7, last_window_start_ms = $8, last_window_end_ms = $9, "
        "last_run_ms = $10, last_status = $11, last_error = $12, run_id = $13, deployment = $14 "
        "WHERE name = $1";
    char *spec = monitor_spec_text(m);
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, m->name);
    pg_args_int(&a, m->revision);
    pg_args_text(&a, spec);
    pg_args_int(&a, m->created_ms);
    pg_args_int(&a, m->updated_ms);
    pg_args_text(&a, m->created_by ? m->created_by : "");
    pg_args_text(&a, m->applied_by ? m->applied_by : "");
    pg_args_int(&a, m->last_window_start_ms);
    pg_args_int(&a, m->last_window_end_ms);
    pg_args_int(&a, m->last_run_ms);
    pg_args_text(&a, m->last_status ? m->last_status : "");
    pg_args_text(&a, m->last_error ? m->last_error : "");
    pg_args_text(&a, m->run_id ? m->run_id : "");
    pg_args_text(&a, m->spec.deployment);
    PGresult *r = pg_run(c, exists ? update : insert, &a, "writing a monitor", err);
    pg_args_release(&a);
    free(spec);
    if (!r)
        return -1;
    int64_t n = pg_affected(r);
    PQclear(r);
    return n == 1 ? 0 : conflict(c, "monitor", m->name, err);
}

static int delete_monitor(struct pg_conn *c, const char *name, struct ferr *err)
{
    static const char rows[] = "DELETE FROM monitors WHERE name = $1";
    static const char reports[] = "DELETE FROM monitor_reports WHERE monitor = $1";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    int rc = pg_do(c, rows, &a, "deleting a monitor", err) ||
                     pg_do(c, reports, &a, "deleting a monitor's reports", err)
                 ? -1
                 : 0;
    pg_args_release(&a);
    return rc;
}

static int put_alert(struct pg_conn *c, struct monitor_alert *a, struct ferr *err)
{
    static const char insert[] =
        "INSERT INTO monitor_alerts (monitor, deployment, condition, state, severity, message, "
        "details, opened_ms, opened_window_start_ms, last_window_start_ms, breach_count, "
        "acked_ms, acked_by, resolved_ms, resolved_by, updated_ms) VALUES ($1, $2, $3, $4, $5, "
        "$6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16) RETURNING id";
    static const char update[] =
        "UPDATE monitor_alerts SET state = $4, severity = $5, message = $6, details = $7, "
        "last_window_start_ms = $10, breach_count = $11, acked_ms = $12, acked_by = $13, "
        "resolved_ms = $14, resolved_by = $15, updated_ms = $16 WHERE id = $17 AND "
        "monitor = $1 AND deployment = $2 AND condition = $3 AND opened_ms = $8 AND "
        "opened_window_start_ms = $9 RETURNING id";
    struct pg_args args = PG_ARGS_INIT;
    pg_args_text(&args, a->monitor);
    pg_args_text(&args, a->deployment);
    pg_args_text(&args, a->condition);
    pg_args_text(&args, alert_state_name(a->state));
    pg_args_text(&args, alert_severity_name(a->severity));
    pg_args_text(&args, a->message ? a->message : "");
    pg_args_text(&args, a->details ? a->details : "{}");
    pg_args_int(&args, a->opened_ms);
    pg_args_int(&args, a->opened_window_start_ms);
    pg_args_int(&args, a->last_window_start_ms);
    pg_args_int(&args, a->breach_count);
    pg_args_int(&args, a->acked_ms);
    pg_args_text(&args, a->acked_by ? a->acked_by : "");
    pg_args_int(&args, a->resolved_ms);
    pg_args_text(&args, a->resolved_by ? a->resolved_by : "");
    pg_args_int(&args, a->updated_ms);
    if (a->id)
        pg_args_int(&args, a->id);
    PGresult *r = pg_run(c, a->id ? update : insert, &args, "writing an alert", err);
    pg_args_release(&args);
    if (!r) {
        if (pg_unique_violation(c))
            return ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS,
                            "monitor '%.130s' already has an active alert on '%.100s'", a->monitor,
                            a->condition);
        return -1;
    }
    int n = PQntuples(r);
    if (n == 1 && !a->id)
        a->id = pg_get_int(r, 0, 0);
    PQclear(r);
    if (n != 1)
        return ferr_set(err, FERR_INTERNAL_ERROR, "alert %lld changed under its write",
                        (long long)a->id);
    return 0;
}

static int put_event(struct pg_conn *c, const struct monitor_alert *al, const char *kind,
                     const char *user, struct ferr *err)
{
    static const char sql[] = "INSERT INTO events (time_ms, kind, subject, user_id, payload) "
                              "VALUES (" NOW_MS ", $1, $2, $3, $4)";
    char *payload = monitor_alert_event_payload(al);
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, kind);
    pg_args_text(&a, al->monitor);
    pg_args_text(&a, user ? user : "");
    pg_args_text(&a, payload);
    int rc = pg_do(c, sql, &a, "writing an alert's event", err);
    pg_args_release(&a);
    free(payload);
    return rc;
}

/* Inserts d unless its (alert, sink, event) exists; *inserted says which. */
static int insert_delivery(struct pg_conn *c, struct alert_delivery *d, int *inserted,
                           struct ferr *err)
{
    static const char sql[] =
        "INSERT INTO alert_deliveries (alert_id, monitor, sink_index, sink_kind, event, attempt, "
        "state, http_status, error, created_ms, next_attempt_ms, delivered_ms) VALUES ($1, $2, "
        "$3, $4, $5, $6, $7, $8, $9, $10, $11, $12) ON CONFLICT (alert_id, sink_index, event) "
        "DO NOTHING RETURNING id";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, d->alert_id);
    pg_args_text(&a, d->monitor ? d->monitor : "");
    pg_args_int(&a, d->sink_index);
    pg_args_text(&a, d->sink_kind);
    pg_args_text(&a, delivery_event_name(d->event));
    pg_args_int(&a, d->attempt);
    pg_args_text(&a, delivery_state_name(d->state));
    pg_args_int(&a, d->http_status);
    pg_args_text(&a, d->error ? d->error : "");
    pg_args_int(&a, d->created_ms);
    pg_args_int(&a, d->next_attempt_ms);
    pg_args_int(&a, d->delivered_ms);
    PGresult *r = pg_run(c, sql, &a, "writing a delivery", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    *inserted = PQntuples(r) == 1;
    if (*inserted)
        d->id = pg_get_int(r, 0, 0);
    PQclear(r);
    return 0;
}

static int write_alerts(struct pg_conn *c, const struct monitor_write *w, struct ferr *err)
{
    for (size_t i = 0; i < w->nalerts; i++) {
        const struct alert_write *aw = &w->alerts[i];
        if (put_alert(c, aw->a, err) ||
            (aw->event_kind && put_event(c, aw->a, aw->event_kind, w->user, err)))
            return -1;
        struct alert_delivery_list dl;
        monitor_alert_deliveries(w->sinks, aw->a, aw->deliver, w->now_ms, &dl);
        int rc = 0, ins;
        for (size_t j = 0; j < dl.n && rc == 0; j++)
            rc = insert_delivery(c, &dl.v[j], &ins, err);
        alert_delivery_list_release(&dl);
        if (rc)
            return -1;
    }
    return 0;
}

/* Inserts the window's report unless the window has one; *took says which. */
static int insert_report(struct pg_conn *c, const struct monitor_report_row *row, int *took,
                         struct ferr *err)
{
    static const char sql[] =
        "INSERT INTO monitor_reports (monitor, window_start_ms, window_end_ms, status, n_rows, "
        "dataset_drift, share_of_drifted_columns, figures, report, error, created_ms) VALUES "
        "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (monitor, window_start_ms) "
        "DO NOTHING RETURNING id";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, row->monitor);
    pg_args_int(&a, row->window_start_ms);
    pg_args_int(&a, row->window_end_ms);
    pg_args_text(&a, row->status);
    pg_args_int(&a, row->n_rows);
    if (row->dataset_drift < 0)
        pg_args_null(&a);
    else
        pg_args_int(&a, row->dataset_drift);
    if (isnan(row->share))
        pg_args_null(&a);
    else
        pg_args_real(&a, row->share);
    pg_args_text(&a, row->figures);
    pg_args_text(&a, row->report);
    pg_args_text(&a, row->error ? row->error : "");
    pg_args_int(&a, row->created_ms);
    PGresult *r = pg_run(c, sql, &a, "writing a monitor's report", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    *took = PQntuples(r) == 1;
    PQclear(r);
    return 0;
}

/* Reads the monitor and its active alerts (locked), decides, writes. With
 * report: the window's report is inserted first, once the monitor's row is
 * locked (every writer of a monitor's rows locks that row first: one lock
 * order, so replicas do not deadlock), and when the window has one already
 * nothing else happens (*inserted 0). */
static int change_monitor(struct pg_conn *c, const char *name,
                          const struct monitor_report_row *report, int *inserted,
                          monitor_decide_fn decide, void *arg, struct ferr *err)
{
    struct monitor cur;
    struct monitor_alert_list active;
    struct monitor_write w;
    int found = 0;
    memset(&cur, 0, sizeof(cur));
    memset(&active, 0, sizeof(active));
    memset(&w, 0, sizeof(w));
    if (read_monitor(c, lock_sql, name, &cur, &found, err))
        return -1;
    int rc = found ? read_active(c, name, &active, err) : 0, took = 1;
    if (rc == 0 && found && report && insert_report(c, report, &took, err))
        rc = -1;
    if (rc == 0 && !took) { /* the window has its report: nothing else happens */
        monitor_release(&cur);
        monitor_alert_list_release(&active);
        return 0;
    }
    if (rc == 0)
        rc = decide(arg, found ? &cur : NULL, &active, &w, err);
    if (rc == 0) {
        if (w.delete_row ? delete_monitor(c, name, err)
            : w.row      ? put_monitor(c, w.row, found, err)
                         : 0)
            rc = -1;
        else if (write_alerts(c, &w, err))
            rc = -1;
    }
    monitor_release(&cur);
    monitor_alert_list_release(&active);
    if (rc == 0 && report && inserted)
        *inserted = 1;
    return rc < 0 ? -1 : 0;
}

struct change_arg {
    const char *name;
    monitor_decide_fn decide;
    void *arg;
};

static int do_change(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    struct change_arg *a = arg;
    return change_monitor(c, a->name, NULL, NULL, a->decide, a->arg, err);
}

static int pg_mon_change(struct store *s, const char *name, monitor_decide_fn decide, void *arg,
                         struct ferr *err)
{
    struct change_arg a = {name, decide, arg};
    return pg_write((struct pg *)s, do_change, &a, err);
}

struct report_arg {
    const struct monitor_report_row *row;
    monitor_decide_fn decide;
    void *arg;
    int *inserted;
};

static int do_report_put(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    struct report_arg *a = arg;
    *a->inserted = 0;
    return change_monitor(c, a->row->monitor, a->row, a->inserted, a->decide, a->arg, err);
}

static int pg_mon_report_put(struct store *s, const struct monitor_report_row *row,
                             monitor_decide_fn decide, void *arg, int *inserted, struct ferr *err)
{
    struct report_arg a = {row, decide, arg, inserted};
    int rc = pg_write((struct pg *)s, do_report_put, &a, err);
    if (rc)
        *inserted = 0;
    return rc;
}

static int read_alert(struct pg_conn *c, int64_t id, int lock, struct monitor_alert *out,
                      int *found, struct ferr *err)
{
    static const char read[] = "SELECT " ALERT_COLS " FROM monitor_alerts WHERE id = $1";
    static const char locked[] =
        "SELECT " ALERT_COLS " FROM monitor_alerts WHERE id = $1 FOR UPDATE";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, id);
    PGresult *r = pg_run(c, lock ? locked : read, &a, "reading an alert", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    *found = PQntuples(r) == 1;
    if (*found)
        load_alert(r, 0, out);
    PQclear(r);
    return 0;
}

static int no_alert(int64_t id, struct ferr *err)
{
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No alert with id %lld", (long long)id);
}

struct alert_arg {
    int64_t id;
    alert_decide_fn decide;
    void *arg;
};

static int do_alert_change(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    struct alert_arg *a = arg;
    struct monitor_alert cur;
    struct monitor mon;
    struct monitor_write w;
    int found = 0, mfound = 0;
    memset(&cur, 0, sizeof(cur));
    memset(&mon, 0, sizeof(mon));
    memset(&w, 0, sizeof(w));
    if (read_alert(c, a->id, 1, &cur, &found, err))
        return -1;
    if (!found)
        return no_alert(a->id, err);
    int rc = read_monitor(c, read_sql, cur.monitor, &mon, &mfound, err);
    if (rc == 0)
        rc = a->decide(a->arg, &cur, mfound ? &mon : NULL, &w, err);
    if (rc == 0 && write_alerts(c, &w, err))
        rc = -1;
    monitor_alert_release(&cur);
    monitor_release(&mon);
    return rc < 0 ? -1 : 0;
}

static int pg_mon_alert_change(struct store *s, int64_t id, alert_decide_fn decide, void *arg,
                               struct ferr *err)
{
    struct alert_arg a = {id, decide, arg};
    return pg_write((struct pg *)s, do_alert_change, &a, err);
}

/* ---------- reads ---------- */

/* Runs a read on a reader: the result, or NULL with err set. */
static PGresult *read_rows(struct store *s, const char *sql, const struct pg_args *a,
                           const char *what, struct ferr *err)
{
    struct pg *pg = (struct pg *)s;
    struct pg_conn *c = pg_reader_get(pg, err);
    if (!c)
        return NULL;
    PGresult *r = pg_run(c, sql, a, what, err);
    pg_reader_put(pg, c);
    return r;
}

static int pg_mon_get(struct store *s, const char *name, struct monitor *out, struct ferr *err)
{
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, name);
    PGresult *r = read_rows(s, read_sql, &a, "reading a monitor", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int rc = PQntuples(r) == 1
                 ? load_monitor(r, 0, out, err)
                 : ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No monitor named '%.130s'", name);
    PQclear(r);
    return rc;
}

static int pg_mon_list(struct store *s, const char *deployment, struct monitor_list *out,
                       struct ferr *err)
{
    static const char sql[] = "SELECT " MON_COLS " FROM monitors WHERE $1::text IS NULL OR "
                              "deployment = $1 ORDER BY name";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, deployment);
    PGresult *r = read_rows(s, sql, &a, "listing monitors", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int rc = 0, n = PQntuples(r);
    out->v = xcalloc((size_t)n + 1, sizeof(*out->v));
    out->alloc = (size_t)n + 1;
    for (int i = 0; i < n && rc == 0; i++)
        if (load_monitor(r, i, &out->v[out->n], err))
            rc = -1;
        else
            out->n++;
    PQclear(r);
    if (rc)
        monitor_list_release(out);
    return rc;
}

static void load_report(const PGresult *r, int i, struct monitor_report *rep, int body_col)
{
    memset(rep, 0, sizeof(*rep));
    rep->id = pg_get_int(r, i, 0);
    rep->monitor = pg_get_str(r, i, 1);
    rep->window_start_ms = pg_get_int(r, i, 2);
    rep->window_end_ms = pg_get_int(r, i, 3);
    if (monitor_status_parse(pg_get_ref(r, i, 4), &rep->status))
        rep->status = MON_STATUS_FAILED;
    rep->n_rows = pg_get_int(r, i, 5);
    rep->dataset_drift = pg_get_null(r, i, 6) ? -1 : pg_get_int(r, i, 6) != 0;
    rep->share_of_drifted_columns = pg_get_null(r, i, 7) ? NAN : pg_get_real(r, i, 7, -1);
    rep->figures = pg_get_str(r, i, 8);
    rep->error = pg_get_str(r, i, 9);
    rep->created_ms = pg_get_int(r, i, 10);
    if (body_col >= 0 && !pg_get_null(r, i, body_col))
        rep->report = pg_get_str(r, i, body_col);
}

static int pg_mon_reports(struct store *s, const char *monitor, int64_t before, int64_t limit,
                          int with_report, struct monitor_report_list *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT " REPORT_COLS ", CASE WHEN $4 THEN report END FROM monitor_reports "
        "WHERE monitor = $1 AND window_start_ms < $2 ORDER BY window_start_ms DESC LIMIT $3";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, monitor);
    pg_args_int(&a, before);
    pg_args_int(&a, limit);
    pg_args_text(&a, with_report ? "true" : "false");
    PGresult *r = read_rows(s, sql, &a, "reading a monitor's reports", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int n = PQntuples(r);
    out->v = xcalloc((size_t)n + 1, sizeof(*out->v));
    out->alloc = (size_t)n + 1;
    for (int i = 0; i < n; i++)
        load_report(r, i, &out->v[out->n++], with_report ? 11 : -1);
    PQclear(r);
    return 0;
}

static int pg_mon_report_get(struct store *s, const char *monitor, int64_t window_start_ms,
                             struct monitor_report *out, struct ferr *err)
{
    static const char sql[] = "SELECT " REPORT_COLS ", report FROM monitor_reports "
                              "WHERE monitor = $1 AND window_start_ms = $2";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_text(&a, monitor);
    pg_args_int(&a, window_start_ms);
    PGresult *r = read_rows(s, sql, &a, "reading a monitor's report", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int rc = 0;
    if (PQntuples(r) == 1)
        load_report(r, 0, out, 11);
    else
        rc = ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                      "monitor '%.130s' has no report of the window starting at %lld", monitor,
                      (long long)window_start_ms);
    PQclear(r);
    return rc;
}

static int pg_mon_alerts(struct store *s, const struct alert_query *q, int64_t before_id,
                         int64_t limit, struct monitor_alert_list *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT " ALERT_COLS " FROM monitor_alerts WHERE id < $1 AND "
        "($2::text IS NULL OR monitor = $2) AND ($3::text IS NULL OR deployment = $3) AND "
        "($4::int = 0 OR ($4::int & CASE state WHEN 'open' THEN 1 WHEN 'acknowledged' THEN 2 "
        "ELSE 4 END) <> 0) ORDER BY id DESC LIMIT $5";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, before_id);
    pg_args_text(&a, q->monitor);
    pg_args_text(&a, q->deployment);
    pg_args_int(&a, q->states);
    pg_args_int(&a, limit);
    PGresult *r = read_rows(s, sql, &a, "listing alerts", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    load_alerts(r, out);
    PQclear(r);
    return 0;
}

static int pg_mon_alert_get(struct store *s, int64_t id, struct monitor_alert *out,
                            struct ferr *err)
{
    static const char sql[] = "SELECT " ALERT_COLS " FROM monitor_alerts WHERE id = $1";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, id);
    PGresult *r = read_rows(s, sql, &a, "reading an alert", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int rc = 0;
    if (PQntuples(r) == 1)
        load_alert(r, 0, out);
    else
        rc = no_alert(id, err);
    PQclear(r);
    return rc;
}

/* ---------- deliveries ---------- */

struct delivery_arg {
    struct alert_delivery *d;
    int *inserted;
};

static int do_delivery_put(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char by_key[] = "SELECT " DELIVERY_COLS " FROM alert_deliveries WHERE "
                                 "alert_id = $1 AND sink_index = $2 AND event = $3";
    struct delivery_arg *a = arg;
    struct monitor_alert al;
    int found = 0;
    memset(&al, 0, sizeof(al));
    *a->inserted = 0;
    if (read_alert(c, a->d->alert_id, 0, &al, &found, err))
        return -1;
    monitor_alert_release(&al);
    if (!found)
        return no_alert(a->d->alert_id, err);
    if (insert_delivery(c, a->d, a->inserted, err))
        return -1;
    if (*a->inserted)
        return 0;
    struct pg_args args = PG_ARGS_INIT;
    pg_args_int(&args, a->d->alert_id);
    pg_args_int(&args, a->d->sink_index);
    pg_args_text(&args, delivery_event_name(a->d->event));
    PGresult *r = pg_run(c, by_key, &args, "reading a delivery", err);
    pg_args_release(&args);
    if (!r)
        return -1;
    if (PQntuples(r) == 1) {
        alert_delivery_release(a->d);
        load_delivery(r, 0, a->d);
    }
    PQclear(r);
    return 0;
}

static int pg_mon_delivery_put(struct store *s, struct alert_delivery *d, int *inserted,
                               struct ferr *err)
{
    struct delivery_arg a = {d, inserted};
    return pg_write((struct pg *)s, do_delivery_put, &a, err);
}

static int do_delivery_update(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char sql[] =
        "UPDATE alert_deliveries SET attempt = $1, state = $2, http_status = $3, error = $4, "
        "next_attempt_ms = $5, delivered_ms = $6 WHERE id = $7";
    const struct alert_delivery *d = arg;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, d->attempt);
    pg_args_text(&a, delivery_state_name(d->state));
    pg_args_int(&a, d->http_status);
    pg_args_text(&a, d->error ? d->error : "");
    pg_args_int(&a, d->next_attempt_ms);
    pg_args_int(&a, d->delivered_ms);
    pg_args_int(&a, d->id);
    PGresult *r = pg_run(c, sql, &a, "recording a delivery", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    int64_t n = pg_affected(r);
    PQclear(r);
    if (n != 1)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No delivery with id %lld",
                        (long long)d->id);
    return 0;
}

static int pg_mon_delivery_update(struct store *s, const struct alert_delivery *d, struct ferr *err)
{
    /* one statement, the same effect when run twice */
    return pg_write_one((struct pg *)s, do_delivery_update, (void *)d, err);
}

static int pg_mon_deliveries(struct store *s, int64_t alert_id, struct alert_delivery_list *out,
                             struct ferr *err)
{
    static const char sql[] =
        "SELECT " DELIVERY_COLS " FROM alert_deliveries WHERE alert_id = $1 ORDER BY id";
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, alert_id);
    PGresult *r = read_rows(s, sql, &a, "reading an alert's deliveries", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    load_deliveries(r, out);
    PQclear(r);
    return 0;
}

struct claim_arg {
    int64_t now_ms, claim_ms, max;
    struct alert_delivery_list *out;
};

static int do_claim(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    /* SKIP LOCKED: a sender on another replica claiming now takes others */
    static const char sql[] =
        "WITH due AS (SELECT " DELIVERY_COLS " FROM alert_deliveries WHERE state = 'pending' AND "
        "next_attempt_ms <= $1 ORDER BY next_attempt_ms, id LIMIT $2 FOR UPDATE SKIP LOCKED), "
        "claimed AS (UPDATE alert_deliveries d SET next_attempt_ms = $3 FROM due "
        "WHERE d.id = due.id) SELECT * FROM due ORDER BY next_attempt_ms, id";
    struct claim_arg *ca = arg;
    alert_delivery_list_release(ca->out); /* run again after a conflict: afresh */
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, ca->now_ms);
    pg_args_int(&a, ca->max);
    pg_args_int(&a, ca->now_ms + ca->claim_ms);
    PGresult *r = pg_run(c, sql, &a, "claiming due deliveries", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    load_deliveries(r, ca->out);
    PQclear(r);
    return 0;
}

static int pg_mon_deliveries_due(struct store *s, int64_t now_ms, int64_t claim_ms, int64_t max,
                                 struct alert_delivery_list *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT " DELIVERY_COLS " FROM alert_deliveries WHERE state = 'pending' AND "
        "next_attempt_ms <= $1 ORDER BY next_attempt_ms, id LIMIT $2";
    if (claim_ms > 0) {
        struct claim_arg ca = {now_ms, claim_ms, max, out};
        int rc = pg_write((struct pg *)s, do_claim, &ca, err);
        if (rc)
            alert_delivery_list_release(out);
        return rc;
    }
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, now_ms);
    pg_args_int(&a, max);
    PGresult *r = read_rows(s, sql, &a, "reading due deliveries", err);
    pg_args_release(&a);
    if (!r)
        return -1;
    load_deliveries(r, out);
    PQclear(r);
    return 0;
}

struct gc_arg {
    int64_t before_ms;
    int64_t *dropped;
};

static int do_gc(struct pg *pg, struct pg_conn *c, void *arg, struct ferr *err)
{
    (void)pg;
    static const char reports[] = "DELETE FROM monitor_reports WHERE window_end_ms < $1";
    static const char deliveries[] =
        "DELETE FROM alert_deliveries WHERE state <> 'pending' AND alert_id IN "
        "(SELECT id FROM monitor_alerts WHERE state = 'resolved' AND resolved_ms < $1)";
    struct gc_arg *ga = arg;
    struct pg_args a = PG_ARGS_INIT;
    pg_args_int(&a, ga->before_ms);
    PGresult *r = pg_run(c, reports, &a, "dropping old reports", err);
    int rc = -1;
    if (r) {
        *ga->dropped = pg_affected(r);
        PQclear(r);
        rc = pg_do(c, deliveries, &a, "dropping old deliveries", err);
    }
    pg_args_release(&a);
    return rc;
}

static int pg_mon_gc(struct store *s, int64_t before_ms, int64_t *dropped, struct ferr *err)
{
    struct gc_arg a = {before_ms, dropped};
    return pg_write((struct pg *)s, do_gc, &a, err);
}

const struct store_monitor_ops pg_monitors = {
    .change = pg_mon_change,
    .report_put = pg_mon_report_put,
    .alert_change = pg_mon_alert_change,
    .get = pg_mon_get,
    .list = pg_mon_list,
    .reports = pg_mon_reports,
    .report_get = pg_mon_report_get,
    .alerts = pg_mon_alerts,
    .alert_get = pg_mon_alert_get,
    .delivery_put = pg_mon_delivery_put,
    .delivery_update = pg_mon_delivery_update,
    .deliveries = pg_mon_deliveries,
    .deliveries_due = pg_mon_deliveries_due,
    .gc = pg_mon_gc,
};
