/* SPDX-License-Identifier: MIT
 * The store's monitors area (issue 18; domain/monitor.h has the spec):
 * monitors and their state, one report per judged window, the alerts the
 * reports open and resolve, and the delivery log of each alert to the
 * monitor's sinks. Same conventions as store.h (0, or -1 with err set and
 * nothing changed).
 *
 * As in deployments.h, every change is decided here, in the front, once
 * for both backends: a backend reads the rows a change needs (locked for
 * its transaction), hands them to the change's decide function and writes
 * what it decided, all in one transaction, under the calling thread's
 * lease fence when one is set (store/leases.h: a write under a stale epoch
 * is refused with INVALID_STATE and nothing of it is written).
 *
 * At most once per window: a report row is unique on (monitor,
 * window_start_ms). store_monitor_report_put inserts it, and only when the
 * insert took (no row of that window existed, on any server, before or
 * after a restart) does the same transaction update the monitor's state,
 * open/update/resolve alerts, write their events and enqueue their
 * deliveries. A second put of a window changes nothing and answers
 * *inserted = 0 (not an error).
 *
 * Alerts: at most one alert per (monitor, condition) is active (open or
 * acknowledged); the database enforces it (a unique partial index). A
 * breach of a condition with an active alert updates that alert
 * (last_window_start_ms, breach_count, message, details, severity); a
 * window that passes the condition resolves it (resolved_by "monitor").
 * Opening, acknowledging and resolving an alert write an event into the
 * events stream (store_events_search in store/deployments.h) in the same
 * transaction: kinds "alert.opened", "alert.acknowledged", "alert.resolved",
 * subject the monitor's name, payload {"alert_id", "monitor", "deployment",
 * "condition", "severity", "state", "message", "window_start_ms"}.
 *
 * Deliveries: opening or resolving an alert (by a window or by a user)
 * enqueues, in the same transaction, one pending delivery per sink of the
 * monitor's spec (next_attempt_ms = now), unique on (alert, sink index,
 * event), so a crash between deciding and sending loses nothing. The
 * sender claims due deliveries (store_deliveries_claim), tries them, and
 * records each attempt (store_delivery_update). */
#ifndef FERRY_STORE_MONITORS_H
#define FERRY_STORE_MONITORS_H

#include "base/ferr.h"
#include "domain/monitor.h"
#include "store/monitor_record.h"
#include "store/store.h"

#include <jansson.h>
#include <stdint.h>

/* ---------- monitors ---------- */

/* Applies spec (a JSON object; domain/monitor.h): its deployment must exist
 * (RESOURCE_DOES_NOT_EXIST). The monitor is created, or gets the next
 * revision (its state, reports and alerts stay); user becomes applied_by.
 * expect_revision: -1 any; 0 the monitor must not exist
 * (RESOURCE_ALREADY_EXISTS); N the current revision must be N (else
 * INVALID_STATE). A spec equal to the current one changes nothing
 * (*changed 0, applied_by unchanged). out and changed may be NULL. */
int store_monitor_apply(struct store *s, json_t *spec, int64_t expect_revision, const char *user,
                        struct monitor *out, int *changed, struct ferr *err) WARN_UNUSED;
int store_monitor_get(struct store *s, const char *name, struct monitor *out,
                      struct ferr *err) WARN_UNUSED;
/* Every monitor by name; deployment NULL: all, else only its monitors. */
int store_monitor_list(struct store *s, const char *deployment, struct monitor_list *out,
                       struct ferr *err) WARN_UNUSED;
/* Deletes the monitor and its reports; its active alerts are resolved
 * (resolved_by "deleted", events written, no deliveries); resolved alerts
 * and deliveries stay as history. RESOURCE_DOES_NOT_EXIST when absent. */
int store_monitor_delete(struct store *s, const char *name, const char *user,
                         struct ferr *err) WARN_UNUSED;

/* The runner's state, outside a report (a run that failed before it had a
 * window, the monitoring run's id once made). A field left as it is:
 * negative numbers, NULL strings. */
struct monitor_state {
    int64_t last_window_start_ms, last_window_end_ms, last_run_ms;
    const char *last_status; /* "ok" | "insufficient" | "failed" */
    const char *last_error;
    const char *run_id;
};
#define MONITOR_STATE_KEEP                                                                         \
    {                                                                                              \
        -1, -1, -1, NULL, NULL, NULL                                                               \
    }
int store_monitor_state_put(struct store *s, const char *name, const struct monitor_state *st,
                            struct ferr *err) WARN_UNUSED;

/* ---------- reports (one per window) ---------- */

/* A condition judged in a window. */
struct monitor_check {
    const char *condition;        /* "drift", "decay:f1", "quality:missing:amount" */
    int breached;                 /* 1: breach (opens or updates); 0: passed (resolves) */
    enum alert_severity severity; /* for a breach */
    const char *message;          /* one line, for a breach */
    json_t *details;              /* borrowed; NULL: {} */
};

struct monitor_report_new {
    const char *monitor;
    int64_t window_start_ms, window_end_ms; /* start < end, or equal for an empty window */
    enum monitor_status status;
    int64_t n_rows;
    int dataset_drift;               /* 1, 0, or -1 when not judged */
    double share_of_drifted_columns; /* NaN when not judged */
    json_t *figures;                 /* borrowed; NULL: {} */
    json_t *report;                  /* borrowed; NULL: {} */
    const char *error;               /* failed: why; else NULL */
    /* Only conditions listed are touched: an insufficient or failed window
     * lists none (its alerts stay as they are). */
    const struct monitor_check *checks;
    size_t nchecks;
};

/* Inserts the window's report (see the top: at most once per window). When
 * it was inserted (*inserted 1): the monitor's state moves to this window
 * (only forward: a window ending before last_window_end_ms leaves the
 * state's window as it is) with last_run_ms now, the checks open, update or
 * resolve alerts (changes, when not NULL, gets each: opened / updated /
 * resolved, as written), their events are written and their deliveries
 * enqueued. When a report of that window exists: *inserted 0, nothing
 * changed, changes empty. RESOURCE_DOES_NOT_EXIST without the monitor;
 * INVALID_STATE under a stale lease fence. */
int store_monitor_report_put(struct store *s, const struct monitor_report_new *r, int *inserted,
                             struct alert_change_list *changes, struct ferr *err) WARN_UNUSED;

/* A monitor's reports, newest window first, one page: at most max (1..1000;
 * 0: 100), windows starting before before_ms (0: no bound), from page_token
 * on (NULL or "": the first page; else a token this returned);
 * *next_page_token (a new string) NULL at the end. with_report 0 leaves
 * each report's body NULL (figures only). RESOURCE_DOES_NOT_EXIST without
 * the monitor. */
int store_monitor_reports(struct store *s, const char *monitor, int64_t max, int64_t before_ms,
                          const char *page_token, int with_report, struct monitor_report_list *out,
                          char **next_page_token, struct ferr *err) WARN_UNUSED;
/* The report of monitor's window starting at window_start_ms, with its body. */
int store_monitor_report_get(struct store *s, const char *monitor, int64_t window_start_ms,
                             struct monitor_report *out, struct ferr *err) WARN_UNUSED;

/* ---------- alerts ---------- */

/* Alert state filter bits; 0: every state. */
#define ALERT_F_OPEN         (1 << ALERT_OPEN)
#define ALERT_F_ACKNOWLEDGED (1 << ALERT_ACKNOWLEDGED)
#define ALERT_F_RESOLVED     (1 << ALERT_RESOLVED)
#define ALERT_F_ACTIVE       (ALERT_F_OPEN | ALERT_F_ACKNOWLEDGED)

struct alert_query {
    const char *monitor;    /* NULL: any */
    const char *deployment; /* NULL: any */
    int states;             /* ALERT_F_* bits; 0: any */
    int64_t max;            /* 1..1000; 0: 100 */
    const char *page_token; /* NULL or "": the first page */
};
/* Alerts newest first (by id), one page; *next_page_token NULL at the end. */
int store_alerts_list(struct store *s, const struct alert_query *q, struct monitor_alert_list *out,
                      char **next_page_token, struct ferr *err) WARN_UNUSED;
int store_alert_get(struct store *s, int64_t id, struct monitor_alert *out,
                    struct ferr *err) WARN_UNUSED;
/* open -> acknowledged by user (event "alert.acknowledged"); INVALID_STATE
 * unless open. out may be NULL. */
int store_alert_ack(struct store *s, int64_t id, const char *user, struct monitor_alert *out,
                    struct ferr *err) WARN_UNUSED;
/* open or acknowledged -> resolved by user (event "alert.resolved",
 * deliveries of "resolved" enqueued); INVALID_STATE when already resolved.
 * A later breach opens a new alert. */
int store_alert_resolve(struct store *s, int64_t id, const char *user, struct monitor_alert *out,
                        struct ferr *err) WARN_UNUSED;

/* ---------- deliveries ---------- */

/* Adds a delivery (d->id, created_ms set on return; state and times as
 * given; created_ms 0: now). Unique on (alert_id, sink_index, event): when
 * one exists, *inserted 0 and d gets the existing row. RESOURCE_DOES_NOT_EXIST
 * without the alert. inserted may be NULL. */
int store_delivery_put(struct store *s, struct alert_delivery *d, int *inserted,
                       struct ferr *err) WARN_UNUSED;
/* Records an attempt: d's attempt, state, http_status, error,
 * next_attempt_ms and delivered_ms replace the row's (by d->id).
 * RESOURCE_DOES_NOT_EXIST when absent. */
int store_delivery_update(struct store *s, const struct alert_delivery *d,
                          struct ferr *err) WARN_UNUSED;
/* An alert's deliveries, oldest first. */
int store_deliveries_of_alert(struct store *s, int64_t alert_id, struct alert_delivery_list *out,
                              struct ferr *err) WARN_UNUSED;
/* Pending deliveries with next_attempt_ms <= now_ms, oldest due first, at
 * most max (1..1000); no change. */
int store_deliveries_due(struct store *s, int64_t now_ms, int64_t max,
                         struct alert_delivery_list *out, struct ferr *err) WARN_UNUSED;
/* As store_deliveries_due, and in the same transaction moves each row's
 * next_attempt_ms to now_ms + claim_ms (1 ms .. 1 day), so another sender
 * (server) does not take it meanwhile; out has the rows as they were
 * before the claim. The sender then records the attempt's outcome. */
int store_deliveries_claim(struct store *s, int64_t now_ms, int64_t claim_ms, int64_t max,
                           struct alert_delivery_list *out, struct ferr *err) WARN_UNUSED;

/* ---------- retention ---------- */

#define MONITOR_REPORT_RETENTION_MS (90LL * 86400000)
/* Drops reports whose window ended before now_ms - retention_ms (0: the
 * default 90 days), and the deliveries no longer pending of alerts resolved
 * before then; *dropped (may be NULL) gets the reports dropped. A monitor's
 * state keeps its last window, so a dropped window is never run again. A
 * store without this area has nothing to drop (0). */
int store_monitor_reports_gc(struct store *s, int64_t now_ms, int64_t retention_ms,
                             int64_t *dropped, struct ferr *err) WARN_UNUSED;

/* ---------- the backend contract (see store/backend.h) ---------- */

/* One alert to write: id 0 inserts it (the backend sets a->id), else every
 * mutable field replaces the row's (by id). event_kind: NULL none, else an
 * event with monitor_alert_event_payload(a). deliver: DELIVER_NONE, or the
 * event whose pending deliveries go to each sink of w->sinks. */
struct alert_write {
    struct monitor_alert *a; /* the decide function's */
    const char *event_kind;
    int deliver; /* DELIVER_NONE or an enum delivery_event */
};

/* What a change writes. */
struct monitor_write {
    struct monitor *row;        /* NULL: the monitor's row stays as it is */
    int delete_row;             /* delete the monitor and its reports */
    struct alert_write *alerts; /* in order; the decide function's */
    size_t nalerts;
    const struct monitor_spec *sinks; /* whose sinks get the deliveries; NULL: none */
    const char *user;                 /* the events' user ("" none) */
    int64_t now_ms;                   /* deliveries' created_ms and next_attempt_ms */
};

/* Decides a change from the monitor's row (NULL when there is none) and
 * its active alerts (locked too): 0 with w filled, 1 when there is nothing
 * to write, -1 with err. May run more than once (PostgreSQL retries a
 * transaction after a conflict): start afresh each time. */
typedef int (*monitor_decide_fn)(void *arg, const struct monitor *cur,
                                 const struct monitor_alert_list *active, struct monitor_write *w,
                                 struct ferr *err);
/* Decides an alert's change from its row (locked) and its monitor's row
 * (NULL when the monitor is gone; not locked). */
typedef int (*alert_decide_fn)(void *arg, const struct monitor_alert *cur,
                               const struct monitor *mon, struct monitor_write *w,
                               struct ferr *err);

/* A report row as the backend inserts it (texts ready). */
struct monitor_report_row {
    const char *monitor;
    int64_t window_start_ms, window_end_ms;
    const char *status;
    int64_t n_rows;
    int dataset_drift; /* -1: NULL */
    double share;      /* NaN: NULL */
    const char *figures, *report, *error;
    int64_t created_ms;
};

struct store_monitor_ops {
    /* Reads name's row (locked) and active alerts, calls decide, writes. */
    int (*change)(struct store *s, const char *name, monitor_decide_fn decide, void *arg,
                  struct ferr *err);
    /* As change on row->monitor, with row inserted once the monitor's row
     * is read (locked) and before decide: when its window has a report
     * already, nothing else is done (*inserted 0, decide not called). A
     * missing monitor: decide's RESOURCE_DOES_NOT_EXIST, nothing inserted. */
    int (*report_put)(struct store *s, const struct monitor_report_row *row,
                      monitor_decide_fn decide, void *arg, int *inserted, struct ferr *err);
    /* Reads alert id (locked; RESOURCE_DOES_NOT_EXIST) and its monitor,
     * calls decide, writes. */
    int (*alert_change)(struct store *s, int64_t id, alert_decide_fn decide, void *arg,
                        struct ferr *err);
    int (*get)(struct store *s, const char *name, struct monitor *out, struct ferr *err);
    int (*list)(struct store *s, const char *deployment, struct monitor_list *out,
                struct ferr *err);
    /* Windows starting before before (INT64_MAX: all), newest first, at
     * most limit rows. */
    int (*reports)(struct store *s, const char *monitor, int64_t before, int64_t limit,
                   int with_report, struct monitor_report_list *out, struct ferr *err);
    int (*report_get)(struct store *s, const char *monitor, int64_t window_start_ms,
                      struct monitor_report *out, struct ferr *err);
    /* Ids below before_id (INT64_MAX: all), newest first, at most limit. */
    int (*alerts)(struct store *s, const struct alert_query *q, int64_t before_id, int64_t limit,
                  struct monitor_alert_list *out, struct ferr *err);
    int (*alert_get)(struct store *s, int64_t id, struct monitor_alert *out, struct ferr *err);
    int (*delivery_put)(struct store *s, struct alert_delivery *d, int *inserted, struct ferr *err);
    int (*delivery_update)(struct store *s, const struct alert_delivery *d, struct ferr *err);
    int (*deliveries)(struct store *s, int64_t alert_id, struct alert_delivery_list *out,
                      struct ferr *err);
    /* claim_ms 0: read only. */
    int (*deliveries_due)(struct store *s, int64_t now_ms, int64_t claim_ms, int64_t max,
                          struct alert_delivery_list *out, struct ferr *err);
    int (*gc)(struct store *s, int64_t before_ms, int64_t *dropped, struct ferr *err);
};

#endif
