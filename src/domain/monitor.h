/* SPDX-License-Identifier: MIT
 * Monitors (issue 18): a deployment's prediction log watched window by
 * window for data drift, decay of the model's metrics against what its
 * training run scored, and data quality; breaches become alerts delivered
 * to the monitor's sinks. This file is the one place the spec's schema
 * lives in code (store/monitors.h stores it; monitor/ runs it).
 *
 * Spec JSON (the CLI turns monitor.yaml into it; numbers may arrive as
 * strings, as YAML gives them). Unknown keys are refused.
 *   name         1..128 of [A-Za-z0-9._-]
 *   deployment   a deployment's name (domain/deployment.h's rule)
 *   reference    exactly one of
 *                  {run_artifact: "runs:/<run_id>/<path>"}  a CSV artifact of a run
 *                  {dataset: "data:/NAME/VERSION[/F.csv]"} a CSV file of a dataset
 *                                                          version (or @ALIAS, latest; the
 *                                                          file may be left out when the
 *                                                          version is one file)
 *                  {window: {from: T, to: T}}               a fixed past span of the log;
 *                                                          T: ms since the epoch or RFC 3339
 *                  {window: {last: 7d, ending: 1d}}         a span of the log relative to
 *                                                          each judged window's end: it ends
 *                                                          `ending` (default 0) before it and
 *                                                          lasts `last`
 *   columns      optional list (<= 256) of column names; absent: the
 *                inputs the window logs that the reference also has, and
 *                the prediction
 *   column_kinds optional {column: "num" | "cat"}: overrides the inferred kind
 *   window       {last: DURATION} or {last_rows: N} (1..100,000,000)
 *   schedule     optional {every: DURATION}; absent: runs only on demand
 *   drift        optional {drift_share: 0..1 (default 0.5),
 *                  stattest: {column: NAME}, default_stattest: NAME,
 *                  threshold: {column: x}, default_threshold: x}
 *                NAME: ks, chisquare, z, wasserstein, jensenshannon, psi,
 *                kl_div, hellinger (Evidently's names)
 *   decay        optional {METRIC: {min: x, max: x, max_drop: x, max_rise: x}}
 *                (at least one bound each; <= 16 metrics). METRIC: what the
 *                performance endpoint gives (f1, accuracy, precision, recall,
 *                roc_auc, log_loss, mae, rmse, r2, ...: [a-z0-9_], 1..64).
 *                max_drop: at most that much below, max_rise: at most that
 *                much above, the metric of the same name the model version's
 *                training run logged.
 *   quality      optional {max_missing_share: 0..1, max_out_of_range_share: 0..1,
 *                  new_categories: bool (default false), schema: bool (default true)}:
 *                which data-quality findings are breaches ("schema": a column
 *                missing or of another type)
 *   min_rows     optional, default 100: a window with fewer rows is reported
 *                "insufficient", not judged
 *   sinks        optional list (<= 8) of
 *                  {webhook: {url: "http(s)://...", secret_env: ENV_NAME,
 *                             headers: {Name: value}, timeout: DURATION}}
 *                  {command: "/absolute/path"}  (or {command: {path: "/abs", args: [..]}})
 * DURATION as base/duration.h writes them ("30s", "5m", "1h", "7d") or a
 * number of seconds. */
#ifndef FERRY_DOMAIN_MONITOR_H
#define FERRY_DOMAIN_MONITOR_H

#include "base/ferr.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define MONITOR_NAME_MAX    128
#define MONITOR_MAX_COLUMNS 256
#define MONITOR_MAX_DECAY   16
#define MONITOR_MAX_SINKS   8
#define MONITOR_MAX_HEADERS 16
#define MONITOR_MAX_ARGS    16

enum monitor_ref_kind {
    MON_REF_RUN_ARTIFACT,    /* uri "runs:/<run_id>/<path>": run_id and path split out */
    MON_REF_DATASET,         /* uri "data:/NAME/VERSION[/PATH]" (domain/data_version.h) */
    MON_REF_WINDOW_FIXED,    /* [from_ms, to_ms) of the log */
    MON_REF_WINDOW_RELATIVE, /* [end - ending_ms - last_ms, end - ending_ms) for a judged
                              * window ending at end */
};

struct monitor_reference {
    enum monitor_ref_kind kind;
    char *uri;                  /* run_artifact and dataset: as given; else NULL */
    char *run_id, *path;        /* run_artifact only */
    int64_t from_ms, to_ms;     /* fixed window */
    int64_t last_ms, ending_ms; /* relative window */
};

/* A per-column setting (column_kinds, drift.stattest, drift.threshold). */
struct monitor_col_opt {
    char *column;
    char *text;   /* column_kinds: "num" | "cat"; stattest: the test's name */
    double value; /* threshold */
};

/* A decay guard; a bound is off when its has_ flag is 0. */
struct monitor_decay {
    char *metric;
    int has_min, has_max, has_max_drop, has_max_rise;
    double min, max, max_drop, max_rise;
};

struct monitor_quality {
    double max_missing_share;      /* < 0: off (default) */
    double max_out_of_range_share; /* < 0: off (default) */
    int new_categories;            /* a category new in the window is a breach (default 0) */
    int schema;                    /* a column missing or of another type is a breach (default 1) */
};

enum monitor_sink_kind { MON_SINK_WEBHOOK, MON_SINK_COMMAND };
const char *monitor_sink_kind_name(enum monitor_sink_kind k); /* "webhook", "command" */

struct monitor_sink {
    enum monitor_sink_kind kind;
    /* webhook */
    char *url;
    char *secret_env;                        /* NULL: unsigned */
    char *header_names[MONITOR_MAX_HEADERS]; /* extra headers, in the spec's order */
    char *header_values[MONITOR_MAX_HEADERS];
    size_t nheaders;
    int64_t timeout_ms; /* default 10 s */
    /* command */
    char *path;                   /* absolute */
    char *args[MONITOR_MAX_ARGS]; /* after the path */
    size_t nargs;
};

struct monitor_spec {
    char *name;
    char *deployment;
    struct monitor_reference reference;
    char **columns; /* NULL / 0: the logged inputs the reference has, and the prediction */
    size_t ncolumns;
    struct monitor_col_opt *column_kinds;
    size_t nkinds;
    int64_t window_ms;   /* window: {last}; 0 when by rows */
    int64_t window_rows; /* window: {last_rows}; 0 when by time */
    int64_t every_ms;    /* schedule; 0: on demand only */
    /* drift */
    double drift_share; /* default 0.5 */
    struct monitor_col_opt *stattests;
    size_t nstattests;
    char *default_stattest; /* NULL: Evidently's choice per column */
    struct monitor_col_opt *thresholds;
    size_t nthresholds;
    int has_default_threshold;
    double default_threshold;
    /* decay, quality */
    struct monitor_decay decay[MONITOR_MAX_DECAY];
    size_t ndecay;
    struct monitor_quality quality;
    int64_t min_rows; /* default 100 */
    struct monitor_sink sinks[MONITOR_MAX_SINKS];
    size_t nsinks;
};

/* Parses and checks a spec. 0, or -1 with INVALID_PARAMETER_VALUE naming
 * the field ("monitor spec: 'drift.threshold.amount' must be ...") and *out
 * left empty. */
int monitor_spec_parse(json_t *doc, struct monitor_spec *out, struct ferr *err) WARN_UNUSED;
/* The spec as JSON, every default written out (a new reference); parsing it
 * gives the same spec. */
json_t *monitor_spec_to_json(const struct monitor_spec *s);
void monitor_spec_release(struct monitor_spec *s);
/* A deep copy (to is overwritten). */
void monitor_spec_copy(const struct monitor_spec *from, struct monitor_spec *to);
/* 1 when a and b are the same spec. */
int monitor_spec_equal(const struct monitor_spec *a, const struct monitor_spec *b);
/* INVALID_PARAMETER_VALUE unless name is 1..128 of [A-Za-z0-9._-]. */
int monitor_name_check(const char *name, struct ferr *err) WARN_UNUSED;

/* The spec's setting for column, or NULL / 0 when it has none. */
const char *monitor_spec_column_kind(const struct monitor_spec *s, const char *column);
const char *monitor_spec_stattest(const struct monitor_spec *s, const char *column);
int monitor_spec_threshold(const struct monitor_spec *s, const char *column, double *out);

/* 1 when name is one of Evidently's test names listed above. */
int monitor_stattest_known(const char *name);

/* ---------- what the store records of runs and alerts ---------- */

/* A window's outcome. */
enum monitor_status {
    MON_STATUS_OK,           /* judged */
    MON_STATUS_INSUFFICIENT, /* fewer than min_rows rows: not judged */
    MON_STATUS_FAILED,       /* the run failed (error says why) */
};
const char *monitor_status_name(enum monitor_status s); /* "ok", "insufficient", "failed" */
int monitor_status_parse(const char *s, enum monitor_status *out); /* 0, or -1 */

/* An alert's life: open -> acknowledged -> resolved (open -> resolved too). */
enum alert_state { ALERT_OPEN, ALERT_ACKNOWLEDGED, ALERT_RESOLVED };
const char *alert_state_name(enum alert_state s); /* "open", "acknowledged", "resolved" */
int alert_state_parse(const char *s, enum alert_state *out);

enum alert_severity { ALERT_WARNING, ALERT_CRITICAL };
const char *alert_severity_name(enum alert_severity s); /* "warning", "critical" */
int alert_severity_parse(const char *s, enum alert_severity *out);

/* What a delivery tells a sink. */
enum delivery_event { DELIVERY_OPENED, DELIVERY_RESOLVED };
const char *delivery_event_name(enum delivery_event e); /* "opened", "resolved" */
int delivery_event_parse(const char *s, enum delivery_event *out);

/* pending: to be (re)tried at next_attempt_ms; delivered; failed: given up. */
enum delivery_state { DELIVERY_PENDING, DELIVERY_DELIVERED, DELIVERY_FAILED };
const char *delivery_state_name(enum delivery_state s); /* "pending", "delivered", "failed" */
int delivery_state_parse(const char *s, enum delivery_state *out);

/* A condition an alert is about: "drift", "decay:<metric>",
 * "quality:<finding>:<column>" ... : 1..400 characters without control
 * characters (a column's name may have spaces). INVALID_PARAMETER_VALUE
 * otherwise. */
int alert_condition_check(const char *condition, struct ferr *err) WARN_UNUSED;

#endif
