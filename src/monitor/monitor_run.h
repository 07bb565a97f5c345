/* SPDX-License-Identifier: MIT
 * One monitor window judged (issue 18): the window's rows read from the
 * prediction log (monitor_window.h), the reference read (a CSV artifact of
 * a run, or a past window of the log), the drift report with its data
 * quality (drift_report.h), decay from the joined labels through the
 * performance computation deployments/performance uses
 * (store/prediction_performance.h, exact mode), the conditions decided,
 * the report stored at most once (store_monitor_report_put, which opens and
 * resolves the alerts in its transaction) and its figures logged as
 * metrics of the monitor's monitoring run.
 *
 * Windows. A window ends at end_ms and is keyed by its start: end - last
 * for a time window; for a row window (last_rows) end - every when
 * scheduled, else end - 1 (the rows themselves reach back as far as
 * needed). The scheduler aligns end on multiples of every; a run on demand
 * ends now.
 *
 * Conditions (the alert's names):
 *   drift              breached when the dataset drifts (share of drifted
 *                      columns >= drift_share), passed otherwise
 *   decay:<metric>     per answering target with at least min_rows labeled
 *                      rows: the metric against the guard's bounds (min,
 *                      max; max_drop, max_rise against the metric the model
 *                      version's training run logged, registry -> version
 *                      -> run). Breached when a target breaches; passed when
 *                      at least one target was judged and none breached;
 *                      otherwise not judged (its alert stays as it is:
 *                      labels come late).
 *   quality:missing:<col>, quality:out_of_range:<col>,
 *   quality:new_categories:<col>, quality:schema:<col>
 *                      the spec's quality bounds per watched column
 *                      (schema: the column missing on a side, or numbers on
 *                      one side and text on the other).
 * A window with fewer than min_rows rows is "insufficient" and judges
 * nothing; a run that fails after reading (a reference that cannot be
 * read) stores a "failed" report, so the window is not retried forever.
 *
 * Metrics: one MLflow run per monitor (name "<monitor>", in the experiment
 * "monitor/<monitor>", made on first use and kept in the monitor's state),
 * step and timestamp = the window's end (ms): n_rows, dataset_drift (0/1),
 * share_of_drifted_columns, number_of_drifted_columns, drift.<column> (the
 * test's score: p-value or distance), and per decay guard <metric> (the
 * first answering target judged) — so the ordinary run charts show them. */
#ifndef FERRY_MONITOR_MONITOR_RUN_H
#define FERRY_MONITOR_MONITOR_RUN_H

#include "base/ferr.h"
#include "domain/monitor.h"
#include "store/monitors.h"
#include "store/store.h"

#include <stddef.h>
#include <stdint.h>

struct artifact_repo;
struct artifact_roots;

/* Where a run reads: the store, and how artifact URIs are reached
 * (artifacts/place.h: the server's proxied repository and roots; both NULL
 * in process). */
struct monitor_env {
    struct store *store;
    struct artifact_repo *artifacts;
    const struct artifact_roots *roots;
};

/* The key (start) of the window of spec ending at end_ms. */
int64_t monitor_window_start(const struct monitor_spec *spec, int64_t end_ms);

/* Judges m's window ending at end_ms (> 0). When the window has a report
 * already, nothing is computed: out gets it and *inserted 0. Else the
 * report is computed and put: out gets it as stored (with its body),
 * *inserted 1 (0 when another server stored the window meanwhile; out is
 * then the other's). The metrics are logged only by the put that
 * inserted. -1 for what stores nothing (the store failing, a stale lease). */
int monitor_run_window(const struct monitor_env *env, const struct monitor *m, int64_t end_ms,
                       struct monitor_report *out, int *inserted, struct ferr *err) WARN_UNUSED;

/* The same by name, ending at end_ms (0: now): the REST row's runner. */
int monitor_run_named(const struct monitor_env *env, const char *name, int64_t end_ms,
                      struct monitor_report *out, int *inserted, struct ferr *err) WARN_UNUSED;

/* Before a spec is applied: its columns (and the columns its per-column
 * options name) must be inputs the deployment logs, columns of the
 * reference CSV, or "prediction" (INVALID_PARAMETER_VALUE naming the
 * column); a run_artifact reference must be readable. What cannot be known
 * yet (nothing logged, a window reference) is not refused. */
int monitor_spec_check(const struct monitor_env *env, const struct monitor_spec *spec,
                       struct ferr *err) WARN_UNUSED;

/* The REST rows' runner (api/monitors_ops.h): monitor_run_named and
 * monitor_spec_check on the row's store and artifact places. A process
 * that serves or calls the monitors rows in process installs it with
 * api_monitors_set_runner(&monitor_api_runner). */
struct api_monitor_runner;
extern const struct api_monitor_runner monitor_api_runner;

/* ---------- decisions (pure; for the unit tests) ---------- */

enum monitor_verdict { MONITOR_PASS, MONITOR_BREACH, MONITOR_PENDING };
const char *monitor_verdict_name(enum monitor_verdict v); /* "pass", "breach", "pending" */

/* A decay guard's bounds against value (NAN: the metric was not computed)
 * and baseline (the training run's metric; NAN: none). Breach when a bound
 * is crossed (value < min, value > max, baseline - value > max_drop, value
 * - baseline > max_rise); pending when no value, or a bound needing the
 * baseline has none and no other bound is crossed; else pass. why (n
 * bytes) gets one line saying which bound and the figures. */
enum monitor_verdict monitor_decay_judge(const struct monitor_decay *g, double value,
                                         double baseline, char *why, size_t n);

/* The verdicts of several targets into one: breach when any breaches;
 * pass when at least one passes and none breaches; else pending. */
enum monitor_verdict monitor_verdict_merge(const enum monitor_verdict *v, size_t n);

/* A condition name from parts, made safe for alert_condition_check
 * (spaces and non-printable bytes become '_', cut at 300): "quality:" kind
 * ":" column. */
void monitor_condition_name(char *out, size_t n, const char *prefix, const char *column);

#endif
