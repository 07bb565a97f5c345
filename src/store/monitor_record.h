/* SPDX-License-Identifier: MIT
 * The monitors area's records as the store hands them out
 * (store/monitors.h has the operations): a monitor with the runner's
 * state, a window's report, an alert, an alert's delivery, their lists
 * and release functions, and the conversions a backend needs between them
 * and its rows. */
#ifndef FERRY_STORE_MONITOR_RECORD_H
#define FERRY_STORE_MONITOR_RECORD_H

#include "base/ferr.h"
#include "domain/monitor.h"

#include <stddef.h>
#include <stdint.h>

struct monitor {
    char *name;
    int64_t revision; /* +1 per apply that changes the spec */
    struct monitor_spec spec;
    int64_t created_ms, updated_ms;
    char *created_by;
    char *applied_by; /* the user of the last apply: the monitor runs on their behalf */
    /* state, the runner's (store_monitor_report_put / store_monitor_state_put) */
    int64_t last_window_start_ms, last_window_end_ms; /* 0: no window yet */
    int64_t last_run_ms;                              /* 0: never run */
    char *last_status; /* "ok" | "insufficient" | "failed"; "" never run */
    char *last_error;  /* "" when none */
    char *run_id;      /* the monitoring run its figures are logged to; "" none yet */
};
void monitor_release(struct monitor *m);
int monitor_copy(const struct monitor *from, struct monitor *to);

struct monitor_list {
    struct monitor *v;
    size_t n, alloc;
};
void monitor_list_release(struct monitor_list *l);

struct monitor_report {
    int64_t id;
    char *monitor;
    int64_t window_start_ms, window_end_ms;
    enum monitor_status status;
    int64_t n_rows;
    int dataset_drift;               /* 1, 0, or -1 when not judged */
    double share_of_drifted_columns; /* NaN when not judged */
    char *figures;                   /* JSON object text: the headline figures */
    char *report;                    /* JSON object text: the full report; NULL when not read */
    char *error;                     /* "" unless failed */
    int64_t created_ms;
};
void monitor_report_release(struct monitor_report *r);

struct monitor_report_list {
    struct monitor_report *v;
    size_t n, alloc;
};
void monitor_report_list_release(struct monitor_report_list *l);

struct monitor_alert {
    int64_t id;
    char *monitor, *deployment, *condition;
    enum alert_state state;
    enum alert_severity severity;
    char *message; /* one line */
    char *details; /* JSON object text */
    int64_t opened_ms, opened_window_start_ms, last_window_start_ms;
    int64_t breach_count; /* windows that breached while it was active */
    int64_t acked_ms;     /* 0: not acknowledged */
    char *acked_by;       /* "" */
    int64_t resolved_ms;  /* 0: not resolved */
    char *resolved_by;    /* "" ; "monitor" when a window passed, "deleted" with its monitor */
    int64_t updated_ms;
};
void monitor_alert_release(struct monitor_alert *a);
int monitor_alert_copy(const struct monitor_alert *from, struct monitor_alert *to);

struct monitor_alert_list {
    struct monitor_alert *v;
    size_t n, alloc;
};
void monitor_alert_list_release(struct monitor_alert_list *l);

/* What a report put did to an alert. */
enum alert_change_kind { ALERT_CHANGE_OPENED, ALERT_CHANGE_UPDATED, ALERT_CHANGE_RESOLVED };
const char *alert_change_kind_name(enum alert_change_kind k); /* "opened", "updated", "resolved" */
struct alert_change {
    enum alert_change_kind kind;
    struct monitor_alert alert; /* as written */
};
struct alert_change_list {
    struct alert_change *v;
    size_t n, alloc;
};
void alert_change_list_release(struct alert_change_list *l);

/* One alert's delivery of one event to one sink, through its attempts. */
struct alert_delivery {
    int64_t id;
    int64_t alert_id;
    char *monitor;
    int sink_index;  /* into the monitor spec's sinks */
    char *sink_kind; /* "webhook" | "command" */
    enum delivery_event event;
    int64_t attempt; /* attempts made so far */
    enum delivery_state state;
    int http_status;                                   /* of the last attempt; 0 none */
    char *error;                                       /* of the last attempt; "" none */
    int64_t created_ms, next_attempt_ms, delivered_ms; /* delivered_ms 0 until delivered */
};
void alert_delivery_release(struct alert_delivery *d);

struct alert_delivery_list {
    struct alert_delivery *v;
    size_t n, alloc;
};
void alert_delivery_list_release(struct alert_delivery_list *l);

/* For backends: an alert's event payload (a new string). */
char *monitor_alert_event_payload(const struct monitor_alert *a);
/* For backends: the pending deliveries of event (an enum delivery_event;
 * DELIVER_NONE: none) of alert a (a->id set), one per sink of sinks (NULL:
 * none), created and due at now_ms; to insert, skipping what exists. */
enum { DELIVER_NONE = -1 };
void monitor_alert_deliveries(const struct monitor_spec *sinks, const struct monitor_alert *a,
                              int event, int64_t now_ms, struct alert_delivery_list *out);
/* For backends: the spec's text to store; a row back (m's other fields
 * filled by the backend, m->name first) from the stored spec's text. */
char *monitor_spec_text(const struct monitor *m);
int monitor_from_row(struct monitor *m, const char *spec_json, struct ferr *err);

#endif
