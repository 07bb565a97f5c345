/* SPDX-License-Identifier: MIT
 * Monitors in the SQLite backend (store/monitors.h's contract): the tables
 * of schema.c's migration 9; each change one write transaction (SQLite's
 * writes are one at a time, across processes too: BEGIN IMMEDIATE, so the
 * rows read are the rows changed). A report's window is claimed by its
 * insert (ON CONFLICT DO NOTHING on the unique (monitor, window_start_ms)). */
#include "store/sqlite/sqlite_int.h"
#include "store/monitors.h"
#include "base/ftime.h"
#include "base/xalloc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

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

/* Steps st through its rows, calling row(arg, st, err) for each; resets st. */
static int each_row(struct sq_conn *c, sqlite3_stmt *st,
                    int (*row)(void *arg, sqlite3_stmt *st, struct ferr *err), void *arg,
                    const char *what, struct ferr *err)
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
        if (row(arg, st, err)) {
            rc = -1;
            break;
        }
    }
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
    return rc;
}

static int step_done(struct sq_conn *c, sqlite3_stmt *st, const char *what, struct ferr *err)
{
    int rc = sqlite3_step(st);
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : sq_fail(c, what, err);
}

/* ---------- rows ---------- */

static int load_monitor(sqlite3_stmt *st, struct monitor *m, struct ferr *err)
{
    memset(m, 0, sizeof(*m));
    m->name = sq_col_str(st, 0);
    m->revision = sqlite3_column_int64(st, 1);
    m->created_ms = sqlite3_column_int64(st, 3);
    m->updated_ms = sqlite3_column_int64(st, 4);
    m->created_by = sq_col_str(st, 5);
    m->applied_by = sq_col_str(st, 6);
    m->last_window_start_ms = sqlite3_column_int64(st, 7);
    m->last_window_end_ms = sqlite3_column_int64(st, 8);
    m->last_run_ms = sqlite3_column_int64(st, 9);
    m->last_status = sq_col_str(st, 10);
    m->last_error = sq_col_str(st, 11);
    m->run_id = sq_col_str(st, 12);
    if (monitor_from_row(m, (const char *)sqlite3_column_text(st, 2), err)) {
        monitor_release(m);
        return -1;
    }
    return 0;
}

static int read_monitor(struct sq_conn *c, const char *name, struct monitor *out, int *found,
                        struct ferr *err)
{
    static const char sql[] = "SELECT " MON_COLS " FROM monitors WHERE name = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    int ret = rc == SQLITE_ROW    ? load_monitor(st, out, err)
              : rc == SQLITE_DONE ? 0
                                  : sq_fail(c, "reading a monitor", err);
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
    return ret;
}

static void load_alert(sqlite3_stmt *st, struct monitor_alert *a)
{
    memset(a, 0, sizeof(*a));
    a->id = sqlite3_column_int64(st, 0);
    a->monitor = sq_col_str(st, 1);
    a->deployment = sq_col_str(st, 2);
    a->condition = sq_col_str(st, 3);
    if (alert_state_parse((const char *)sqlite3_column_text(st, 4), &a->state))
        a->state = ALERT_OPEN;
    if (alert_severity_parse((const char *)sqlite3_column_text(st, 5), &a->severity))
        a->severity = ALERT_WARNING;
    a->message = sq_col_str(st, 6);
    a->details = sq_col_str(st, 7);
    a->opened_ms = sqlite3_column_int64(st, 8);
    a->opened_window_start_ms = sqlite3_column_int64(st, 9);
    a->last_window_start_ms = sqlite3_column_int64(st, 10);
    a->breach_count = sqlite3_column_int64(st, 11);
    a->acked_ms = sqlite3_column_int64(st, 12);
    a->acked_by = sq_col_str(st, 13);
    a->resolved_ms = sqlite3_column_int64(st, 14);
    a->resolved_by = sq_col_str(st, 15);
    a->updated_ms = sqlite3_column_int64(st, 16);
}

static int alert_row(void *arg, sqlite3_stmt *st, struct ferr *err)
{
    (void)err;
    struct monitor_alert_list *l = arg;
    ALLOC_GROW(l->v, l->n + 1, l->alloc);
    load_alert(st, &l->v[l->n++]);
    return 0;
}

static int read_active(struct sq_conn *c, const char *monitor, struct monitor_alert_list *out,
                       struct ferr *err)
{
    static const char sql[] = "SELECT " ALERT_COLS " FROM monitor_alerts WHERE monitor = ? AND "
                              "state <> 'resolved' ORDER BY id";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, monitor, -1, SQLITE_STATIC);
    return each_row(c, st, alert_row, out, "reading a monitor's alerts", err);
}

static void load_delivery(sqlite3_stmt *st, struct alert_delivery *d)
{
    memset(d, 0, sizeof(*d));
    d->id = sqlite3_column_int64(st, 0);
    d->alert_id = sqlite3_column_int64(st, 1);
    d->monitor = sq_col_str(st, 2);
    d->sink_index = sqlite3_column_int(st, 3);
    d->sink_kind = sq_col_str(st, 4);
    if (delivery_event_parse((const char *)sqlite3_column_text(st, 5), &d->event))
        d->event = DELIVERY_OPENED;
    d->attempt = sqlite3_column_int64(st, 6);
    if (delivery_state_parse((const char *)sqlite3_column_text(st, 7), &d->state))
        d->state = DELIVERY_FAILED;
    d->http_status = sqlite3_column_int(st, 8);
    d->error = sq_col_str(st, 9);
    d->created_ms = sqlite3_column_int64(st, 10);
    d->next_attempt_ms = sqlite3_column_int64(st, 11);
    d->delivered_ms = sqlite3_column_int64(st, 12);
}

static int delivery_row(void *arg, sqlite3_stmt *st, struct ferr *err)
{
    (void)err;
    struct alert_delivery_list *l = arg;
    ALLOC_GROW(l->v, l->n + 1, l->alloc);
    load_delivery(st, &l->v[l->n++]);
    return 0;
}

/* ---------- writes ---------- */

static int put_monitor(struct sq_conn *c, const struct monitor *m, struct ferr *err)
{
    static const char sql[] =
        "INSERT INTO monitors (" MON_COLS ", deployment) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, "
        "?9, ?10, ?11, ?12, ?13, ?14) ON CONFLICT (name) DO UPDATE SET "
        "revision = excluded.revision, spec = excluded.spec, updated_ms = excluded.updated_ms, "
        "applied_by = excluded.applied_by, last_window_start_ms = excluded.last_window_start_ms, "
        "last_window_end_ms = excluded.last_window_end_ms, last_run_ms = excluded.last_run_ms, "
        "last_status = excluded.last_status, last_error = excluded.last_error, "
        "run_id = excluded.run_id, deployment = excluded.deployment";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, m->name, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, m->revision);
    sqlite3_bind_text(st, 3, monitor_spec_text(m), -1, free);
    sqlite3_bind_int64(st, 4, m->created_ms);
    sqlite3_bind_int64(st, 5, m->updated_ms);
    sqlite3_bind_text(st, 6, m->created_by ? m->created_by : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, m->applied_by ? m->applied_by : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, m->last_window_start_ms);
    sqlite3_bind_int64(st, 9, m->last_window_end_ms);
    sqlite3_bind_int64(st, 10, m->last_run_ms);
    sqlite3_bind_text(st, 11, m->last_status ? m->last_status : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 12, m->last_error ? m->last_error : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 13, m->run_id ? m->run_id : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 14, m->spec.deployment, -1, SQLITE_STATIC);
    return step_done(c, st, "writing a monitor", err);
}

static int delete_monitor(struct sq_conn *c, const char *name, struct ferr *err)
{
    static const char *const sql[] = {"DELETE FROM monitors WHERE name = ?",
                                      "DELETE FROM monitor_reports WHERE monitor = ?"};
    for (size_t i = 0; i < sizeof(sql) / sizeof(*sql); i++) {
        sqlite3_stmt *st = sq_prep(c, sql[i], err);
        if (!st)
            return -1;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        if (step_done(c, st, "deleting a monitor", err))
            return -1;
    }
    return 0;
}

static void bind_alert_fields(sqlite3_stmt *st, const struct monitor_alert *a)
{
    /* ?1 .. ?16: every column but id */
    sqlite3_bind_text(st, 1, a->monitor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, a->deployment, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, a->condition, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, alert_state_name(a->state), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, alert_severity_name(a->severity), -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, a->message ? a->message : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, a->details ? a->details : "{}", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, a->opened_ms);
    sqlite3_bind_int64(st, 9, a->opened_window_start_ms);
    sqlite3_bind_int64(st, 10, a->last_window_start_ms);
    sqlite3_bind_int64(st, 11, a->breach_count);
    sqlite3_bind_int64(st, 12, a->acked_ms);
    sqlite3_bind_text(st, 13, a->acked_by ? a->acked_by : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 14, a->resolved_ms);
    sqlite3_bind_text(st, 15, a->resolved_by ? a->resolved_by : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 16, a->updated_ms);
}

static int put_alert(struct sq_conn *c, struct monitor_alert *a, struct ferr *err)
{
    static const char insert[] =
        "INSERT INTO monitor_alerts (monitor, deployment, condition, state, severity, message, "
        "details, opened_ms, opened_window_start_ms, last_window_start_ms, breach_count, "
        "acked_ms, acked_by, resolved_ms, resolved_by, updated_ms) VALUES (?1, ?2, ?3, ?4, ?5, "
        "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)";
    static const char update[] =
        "UPDATE monitor_alerts SET state = ?4, severity = ?5, message = ?6, details = ?7, "
        "last_window_start_ms = ?10, breach_count = ?11, acked_ms = ?12, acked_by = ?13, "
        "resolved_ms = ?14, resolved_by = ?15, updated_ms = ?16 WHERE id = ?17 AND "
        "monitor = ?1 AND deployment = ?2 AND condition = ?3 AND opened_ms = ?8 AND "
        "opened_window_start_ms = ?9";
    sqlite3_stmt *st = sq_prep(c, a->id ? update : insert, err);
    if (!st)
        return -1;
    bind_alert_fields(st, a);
    if (a->id)
        sqlite3_bind_int64(st, 17, a->id);
    int rc = sqlite3_step(st);
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        if (sqlite3_extended_errcode(c->db) == SQLITE_CONSTRAINT_UNIQUE)
            return ferr_set(err, FERR_RESOURCE_ALREADY_EXISTS,
                            "monitor '%.130s' already has an active alert on '%.100s'", a->monitor,
                            a->condition);
        return sq_fail(c, "writing an alert", err);
    }
    if (!a->id)
        a->id = sqlite3_last_insert_rowid(c->db);
    else if (sqlite3_changes(c->db) != 1)
        return ferr_set(err, FERR_INTERNAL_ERROR, "alert %lld changed under its write",
                        (long long)a->id);
    return 0;
}

static int put_event(struct sq_conn *c, const struct monitor_alert *a, const char *kind,
                     const char *user, struct ferr *err)
{
    static const char sql[] =
        "INSERT INTO events (time_ms, kind, subject, user_id, payload) VALUES (?, ?, ?, ?, ?)";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ftime_now_ms());
    sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, a->monitor, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, user ? user : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, monitor_alert_event_payload(a), -1, free);
    return step_done(c, st, "writing an alert's event", err);
}

/* Inserts d unless its (alert, sink, event) exists; *inserted says which. */
static int insert_delivery(struct sq_conn *c, struct alert_delivery *d, int *inserted,
                           struct ferr *err)
{
    static const char sql[] =
        "INSERT INTO alert_deliveries (alert_id, monitor, sink_index, sink_kind, event, attempt, "
        "state, http_status, error, created_ms, next_attempt_ms, delivered_ms) VALUES (?, ?, ?, "
        "?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (alert_id, sink_index, event) DO NOTHING";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, d->alert_id);
    sqlite3_bind_text(st, 2, d->monitor ? d->monitor : "", -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, d->sink_index);
    sqlite3_bind_text(st, 4, d->sink_kind, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, delivery_event_name(d->event), -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, d->attempt);
    sqlite3_bind_text(st, 7, delivery_state_name(d->state), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 8, d->http_status);
    sqlite3_bind_text(st, 9, d->error ? d->error : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, d->created_ms);
    sqlite3_bind_int64(st, 11, d->next_attempt_ms);
    sqlite3_bind_int64(st, 12, d->delivered_ms);
    if (step_done(c, st, "writing a delivery", err))
        return -1;
    *inserted = sqlite3_changes(c->db) == 1;
    if (*inserted)
        d->id = sqlite3_last_insert_rowid(c->db);
    return 0;
}

/* w's alerts, their events and deliveries. */
static int write_alerts(struct sq_conn *c, const struct monitor_write *w, struct ferr *err)
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
static int insert_report(struct sq_conn *c, const struct monitor_report_row *r, int *took,
                         struct ferr *err)
{
    static const char sql[] =
        "INSERT INTO monitor_reports (monitor, window_start_ms, window_end_ms, status, n_rows, "
        "dataset_drift, share_of_drifted_columns, figures, report, error, created_ms) VALUES "
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (monitor, window_start_ms) DO NOTHING";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_text(st, 1, r->monitor, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, r->window_start_ms);
    sqlite3_bind_int64(st, 3, r->window_end_ms);
    sqlite3_bind_text(st, 4, r->status, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, r->n_rows);
    if (r->dataset_drift < 0)
        sqlite3_bind_null(st, 6);
    else
        sqlite3_bind_int(st, 6, r->dataset_drift);
    if (isnan(r->share))
        sqlite3_bind_null(st, 7);
    else
        sqlite3_bind_double(st, 7, r->share);
    sqlite3_bind_text(st, 8, r->figures, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, r->report, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 10, r->error ? r->error : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 11, r->created_ms);
    if (step_done(c, st, "writing a monitor's report", err))
        return -1;
    *took = sqlite3_changes(c->db) == 1;
    return 0;
}

/* Reads the monitor and its active alerts, decides, writes. With report:
 * the window's report is inserted first (once the monitor is read), and
 * when the window has one already nothing else happens (*inserted 0). */
static int change_monitor(struct sq_conn *c, const char *name,
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
    if (read_monitor(c, name, &cur, &found, err))
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
        if (w.delete_row ? delete_monitor(c, name, err) : w.row ? put_monitor(c, w.row, err) : 0)
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

static int do_change(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    struct change_arg *a = arg;
    return change_monitor(c, a->name, NULL, NULL, a->decide, a->arg, err);
}

static int sq_mon_change(struct store *s, const char *name, monitor_decide_fn decide, void *arg,
                         struct ferr *err)
{
    struct change_arg a = {name, decide, arg};
    return sq_write((struct sq *)s, do_change, &a, err);
}

struct report_arg {
    const struct monitor_report_row *row;
    monitor_decide_fn decide;
    void *arg;
    int *inserted;
};

static int do_report_put(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    struct report_arg *a = arg;
    *a->inserted = 0;
    return change_monitor(c, a->row->monitor, a->row, a->inserted, a->decide, a->arg, err);
}

static int sq_mon_report_put(struct store *s, const struct monitor_report_row *row,
                             monitor_decide_fn decide, void *arg, int *inserted, struct ferr *err)
{
    struct report_arg a = {row, decide, arg, inserted};
    int rc = sq_write((struct sq *)s, do_report_put, &a, err);
    if (rc)
        *inserted = 0;
    return rc;
}

static int read_alert(struct sq_conn *c, int64_t id, struct monitor_alert *out, int *found,
                      struct ferr *err)
{
    static const char sql[] = "SELECT " ALERT_COLS " FROM monitor_alerts WHERE id = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    *found = rc == SQLITE_ROW;
    if (rc == SQLITE_ROW)
        load_alert(st, out);
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sq_fail(c, "reading an alert", err);
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

static int do_alert_change(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    struct alert_arg *a = arg;
    struct monitor_alert cur;
    struct monitor mon;
    struct monitor_write w;
    int found = 0, mfound = 0;
    memset(&cur, 0, sizeof(cur));
    memset(&mon, 0, sizeof(mon));
    memset(&w, 0, sizeof(w));
    if (read_alert(c, a->id, &cur, &found, err))
        return -1;
    if (!found)
        return no_alert(a->id, err);
    int rc = read_monitor(c, cur.monitor, &mon, &mfound, err);
    if (rc == 0)
        rc = a->decide(a->arg, &cur, mfound ? &mon : NULL, &w, err);
    if (rc == 0 && write_alerts(c, &w, err))
        rc = -1;
    monitor_alert_release(&cur);
    monitor_release(&mon);
    return rc < 0 ? -1 : 0;
}

static int sq_mon_alert_change(struct store *s, int64_t id, alert_decide_fn decide, void *arg,
                               struct ferr *err)
{
    struct alert_arg a = {id, decide, arg};
    return sq_write((struct sq *)s, do_alert_change, &a, err);
}

/* ---------- reads ---------- */

static int sq_mon_get(struct store *s, const char *name, struct monitor *out, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    int found = 0;
    if (!c)
        return -1;
    int rc = read_monitor(c, name, out, &found, err);
    sq_reader_put(sq, c);
    if (!rc && !found)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No monitor named '%.130s'", name);
    return rc;
}

static int monitor_row(void *arg, sqlite3_stmt *st, struct ferr *err)
{
    struct monitor_list *l = arg;
    ALLOC_GROW(l->v, l->n + 1, l->alloc);
    if (load_monitor(st, &l->v[l->n], err))
        return -1;
    l->n++;
    return 0;
}

static int sq_mon_list(struct store *s, const char *deployment, struct monitor_list *out,
                       struct ferr *err)
{
    static const char sql[] =
        "SELECT " MON_COLS " FROM monitors WHERE ?1 IS NULL OR deployment = ?1 ORDER BY name";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc = -1;
    if (st) {
        if (deployment)
            sqlite3_bind_text(st, 1, deployment, -1, SQLITE_STATIC);
        rc = each_row(c, st, monitor_row, out, "listing monitors", err);
    }
    sq_reader_put(sq, c);
    if (rc)
        monitor_list_release(out);
    return rc;
}

static void load_report(sqlite3_stmt *st, struct monitor_report *r, int body_col)
{
    memset(r, 0, sizeof(*r));
    r->id = sqlite3_column_int64(st, 0);
    r->monitor = sq_col_str(st, 1);
    r->window_start_ms = sqlite3_column_int64(st, 2);
    r->window_end_ms = sqlite3_column_int64(st, 3);
    if (monitor_status_parse((const char *)sqlite3_column_text(st, 4), &r->status))
        r->status = MON_STATUS_FAILED;
    r->n_rows = sqlite3_column_int64(st, 5);
    r->dataset_drift =
        sqlite3_column_type(st, 6) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 6) != 0;
    r->share_of_drifted_columns =
        sqlite3_column_type(st, 7) == SQLITE_NULL ? NAN : sqlite3_column_double(st, 7);
    r->figures = sq_col_str(st, 8);
    r->error = sq_col_str(st, 9);
    r->created_ms = sqlite3_column_int64(st, 10);
    if (body_col >= 0 && sqlite3_column_type(st, body_col) != SQLITE_NULL)
        r->report = sq_col_str(st, body_col);
}

struct reports_arg {
    struct monitor_report_list *out;
    int body_col;
};

static int report_row(void *arg, sqlite3_stmt *st, struct ferr *err)
{
    (void)err;
    struct reports_arg *a = arg;
    ALLOC_GROW(a->out->v, a->out->n + 1, a->out->alloc);
    load_report(st, &a->out->v[a->out->n++], a->body_col);
    return 0;
}

static int sq_mon_reports(struct store *s, const char *monitor, int64_t before, int64_t limit,
                          int with_report, struct monitor_report_list *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT " REPORT_COLS ", CASE WHEN ?4 THEN report END FROM monitor_reports "
        "WHERE monitor = ?1 AND window_start_ms < ?2 ORDER BY window_start_ms DESC LIMIT ?3";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    struct reports_arg a = {out, with_report ? 11 : -1};
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc = -1;
    if (st) {
        sqlite3_bind_text(st, 1, monitor, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, before);
        sqlite3_bind_int64(st, 3, limit);
        sqlite3_bind_int(st, 4, with_report != 0);
        rc = each_row(c, st, report_row, &a, "reading a monitor's reports", err);
    }
    sq_reader_put(sq, c);
    if (rc)
        monitor_report_list_release(out);
    return rc;
}

static int sq_mon_report_get(struct store *s, const char *monitor, int64_t window_start_ms,
                             struct monitor_report *out, struct ferr *err)
{
    static const char sql[] = "SELECT " REPORT_COLS ", report FROM monitor_reports "
                              "WHERE monitor = ? AND window_start_ms = ?";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc = -1;
    if (st) {
        sqlite3_bind_text(st, 1, monitor, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, window_start_ms);
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            load_report(st, out, 11);
            rc = 0;
        } else if (step == SQLITE_DONE) {
            rc = ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST,
                          "monitor '%.130s' has no report of the window starting at %lld", monitor,
                          (long long)window_start_ms);
        } else {
            rc = sq_fail(c, "reading a monitor's report", err);
        }
        sqlite3_clear_bindings(st);
        sqlite3_reset(st);
    }
    sq_reader_put(sq, c);
    return rc;
}

static int sq_mon_alerts(struct store *s, const struct alert_query *q, int64_t before_id,
                         int64_t limit, struct monitor_alert_list *out, struct ferr *err)
{
    static const char sql[] =
        "SELECT " ALERT_COLS " FROM monitor_alerts WHERE id < ?1 AND "
        "(?2 IS NULL OR monitor = ?2) AND (?3 IS NULL OR deployment = ?3) AND "
        "(?4 = 0 OR (?4 & CASE state WHEN 'open' THEN 1 WHEN 'acknowledged' THEN 2 ELSE 4 END) "
        "<> 0) ORDER BY id DESC LIMIT ?5";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc = -1;
    if (st) {
        sqlite3_bind_int64(st, 1, before_id);
        if (q->monitor)
            sqlite3_bind_text(st, 2, q->monitor, -1, SQLITE_STATIC);
        if (q->deployment)
            sqlite3_bind_text(st, 3, q->deployment, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, q->states);
        sqlite3_bind_int64(st, 5, limit);
        rc = each_row(c, st, alert_row, out, "listing alerts", err);
    }
    sq_reader_put(sq, c);
    if (rc)
        monitor_alert_list_release(out);
    return rc;
}

static int sq_mon_alert_get(struct store *s, int64_t id, struct monitor_alert *out,
                            struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    int found = 0;
    if (!c)
        return -1;
    int rc = read_alert(c, id, out, &found, err);
    sq_reader_put(sq, c);
    if (!rc && !found)
        return no_alert(id, err);
    return rc;
}

/* ---------- deliveries ---------- */

static int read_delivery_by_key(struct sq_conn *c, struct alert_delivery *d, struct ferr *err)
{
    static const char sql[] = "SELECT " DELIVERY_COLS " FROM alert_deliveries WHERE "
                              "alert_id = ? AND sink_index = ? AND event = ?";
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, d->alert_id);
    sqlite3_bind_int(st, 2, d->sink_index);
    sqlite3_bind_text(st, 3, delivery_event_name(d->event), -1, SQLITE_STATIC);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        alert_delivery_release(d);
        load_delivery(st, d);
    }
    sqlite3_clear_bindings(st);
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : sq_fail(c, "reading a delivery", err);
}

struct delivery_arg {
    struct alert_delivery *d;
    int *inserted;
};

static int do_delivery_put(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    struct delivery_arg *a = arg;
    struct monitor_alert al;
    int found = 0;
    memset(&al, 0, sizeof(al));
    if (read_alert(c, a->d->alert_id, &al, &found, err))
        return -1;
    monitor_alert_release(&al);
    if (!found)
        return no_alert(a->d->alert_id, err);
    if (insert_delivery(c, a->d, a->inserted, err))
        return -1;
    return *a->inserted ? 0 : read_delivery_by_key(c, a->d, err);
}

static int sq_mon_delivery_put(struct store *s, struct alert_delivery *d, int *inserted,
                               struct ferr *err)
{
    struct delivery_arg a = {d, inserted};
    return sq_write((struct sq *)s, do_delivery_put, &a, err);
}

static int do_delivery_update(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char sql[] =
        "UPDATE alert_deliveries SET attempt = ?, state = ?, http_status = ?, error = ?, "
        "next_attempt_ms = ?, delivered_ms = ? WHERE id = ?";
    const struct alert_delivery *d = arg;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, d->attempt);
    sqlite3_bind_text(st, 2, delivery_state_name(d->state), -1, SQLITE_STATIC);
    sqlite3_bind_int(st, 3, d->http_status);
    sqlite3_bind_text(st, 4, d->error ? d->error : "", -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 5, d->next_attempt_ms);
    sqlite3_bind_int64(st, 6, d->delivered_ms);
    sqlite3_bind_int64(st, 7, d->id);
    if (step_done(c, st, "recording a delivery", err))
        return -1;
    if (sqlite3_changes(c->db) != 1)
        return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "No delivery with id %lld",
                        (long long)d->id);
    return 0;
}

static int sq_mon_delivery_update(struct store *s, const struct alert_delivery *d, struct ferr *err)
{
    return sq_write((struct sq *)s, do_delivery_update, (void *)d, err);
}

static int sq_mon_deliveries(struct store *s, int64_t alert_id, struct alert_delivery_list *out,
                             struct ferr *err)
{
    static const char sql[] =
        "SELECT " DELIVERY_COLS " FROM alert_deliveries WHERE alert_id = ? ORDER BY id";
    struct sq *sq = (struct sq *)s;
    struct sq_conn *c = sq_reader_get(sq, err);
    if (!c)
        return -1;
    sqlite3_stmt *st = sq_prep(c, sql, err);
    int rc = -1;
    if (st) {
        sqlite3_bind_int64(st, 1, alert_id);
        rc = each_row(c, st, delivery_row, out, "reading an alert's deliveries", err);
    }
    sq_reader_put(sq, c);
    if (rc)
        alert_delivery_list_release(out);
    return rc;
}

static const char due_sql[] =
    "SELECT " DELIVERY_COLS " FROM alert_deliveries WHERE state = 'pending' AND "
    "next_attempt_ms <= ? ORDER BY next_attempt_ms, id LIMIT ?";

static int read_due(struct sq_conn *c, int64_t now_ms, int64_t max, struct alert_delivery_list *out,
                    struct ferr *err)
{
    sqlite3_stmt *st = sq_prep(c, due_sql, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, now_ms);
    sqlite3_bind_int64(st, 2, max);
    return each_row(c, st, delivery_row, out, "reading due deliveries", err);
}

struct claim_arg {
    int64_t now_ms, claim_ms, max;
    struct alert_delivery_list *out;
};

static int do_claim(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char sql[] = "UPDATE alert_deliveries SET next_attempt_ms = ? WHERE id = ?";
    struct claim_arg *a = arg;
    if (read_due(c, a->now_ms, a->max, a->out, err))
        return -1;
    for (size_t i = 0; i < a->out->n; i++) {
        sqlite3_stmt *st = sq_prep(c, sql, err);
        if (!st)
            return -1;
        sqlite3_bind_int64(st, 1, a->now_ms + a->claim_ms);
        sqlite3_bind_int64(st, 2, a->out->v[i].id);
        if (step_done(c, st, "claiming a delivery", err))
            return -1;
    }
    return 0;
}

static int sq_mon_deliveries_due(struct store *s, int64_t now_ms, int64_t claim_ms, int64_t max,
                                 struct alert_delivery_list *out, struct ferr *err)
{
    struct sq *sq = (struct sq *)s;
    int rc;
    if (claim_ms > 0) {
        struct claim_arg a = {now_ms, claim_ms, max, out};
        rc = sq_write(sq, do_claim, &a, err);
    } else {
        struct sq_conn *c = sq_reader_get(sq, err);
        if (!c)
            return -1;
        rc = read_due(c, now_ms, max, out, err);
        sq_reader_put(sq, c);
    }
    if (rc)
        alert_delivery_list_release(out);
    return rc;
}

struct gc_arg {
    int64_t before_ms;
    int64_t *dropped;
};

static int do_gc(struct sq *sq, struct sq_conn *c, void *arg, struct ferr *err)
{
    (void)sq;
    static const char reports[] = "DELETE FROM monitor_reports WHERE window_end_ms < ?";
    static const char deliveries[] =
        "DELETE FROM alert_deliveries WHERE state <> 'pending' AND alert_id IN "
        "(SELECT id FROM monitor_alerts WHERE state = 'resolved' AND resolved_ms < ?)";
    struct gc_arg *a = arg;
    sqlite3_stmt *st = sq_prep(c, reports, err);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, a->before_ms);
    if (step_done(c, st, "dropping old reports", err))
        return -1;
    *a->dropped = sqlite3_changes(c->db);
    if (!(st = sq_prep(c, deliveries, err)))
        return -1;
    sqlite3_bind_int64(st, 1, a->before_ms);
    return step_done(c, st, "dropping old deliveries", err);
}

static int sq_mon_gc(struct store *s, int64_t before_ms, int64_t *dropped, struct ferr *err)
{
    struct gc_arg a = {before_ms, dropped};
    return sq_write((struct sq *)s, do_gc, &a, err);
}

const struct store_monitor_ops sqlite_monitors = {
    .change = sq_mon_change,
    .report_put = sq_mon_report_put,
    .alert_change = sq_mon_alert_change,
    .get = sq_mon_get,
    .list = sq_mon_list,
    .reports = sq_mon_reports,
    .report_get = sq_mon_report_get,
    .alerts = sq_mon_alerts,
    .alert_get = sq_mon_alert_get,
    .delivery_put = sq_mon_delivery_put,
    .delivery_update = sq_mon_delivery_update,
    .deliveries = sq_mon_deliveries,
    .deliveries_due = sq_mon_deliveries_due,
    .gc = sq_mon_gc,
};
