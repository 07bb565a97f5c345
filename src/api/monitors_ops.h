/* SPDX-License-Identifier: MIT
 * The monitors area's rows (store/monitors.h, domain/monitor.h) under
 * /api/2.0/ferry/:
 *   POST monitors/apply     {spec | spec_yaml, revision?} -> {monitor, changed}
 *   GET  monitors/get       {name} -> {monitor}
 *   GET  monitors/list      {deployment?} -> {monitors}
 *   POST monitors/delete    {name} -> {}
 *   POST monitors/run       {name, end_time?} -> {report, inserted}: one window
 *                           ending now (or at end_time), judged and stored
 *                           at most once
 *   GET  monitors/reports   {name, max_results?, page_token?, before_time?,
 *                            with_report?} -> {reports, next_page_token}
 *                           (newest window first)
 *   GET  monitors/report    {name, window_start} -> {report} (with its body)
 *
 * Permissions follow deployments_ops.h: reads are READ on no particular
 * resource; apply, delete and run change what the deployment's alerts say
 * and are EDIT on no particular resource (an admin's with auth on, as the
 * deployments' changes), moving with deployments when they gain
 * permissions of their own.
 *
 * Running a window is monitor/'s work (a higher layer): the row calls the
 * runner the process installed (api_monitors_set_runner: `ferry server`
 * and the CLI's in-process client do); without one the row answers
 * NOT_IMPLEMENTED. The same runner checks a spec before it is applied
 * (columns the deployment does not log), when it has a check. */
#ifndef FERRY_API_MONITORS_OPS_H
#define FERRY_API_MONITORS_OPS_H

#include "api/op.h"
#include "store/monitors.h"

#include <jansson.h>

extern const struct api_area api_monitors_area;

struct rq_monitor_apply {
    json_t *spec; /* borrowed */
    const char *spec_yaml;
    int64_t revision; /* -1 any; 0 must not exist; N the current must be N */
};
struct rs_monitor_apply {
    struct monitor monitor;
    int changed;
};
struct rq_monitor_name {
    const char *name;
};
struct rs_monitor {
    struct monitor monitor;
};
struct rq_monitor_list {
    const char *deployment; /* NULL: every monitor */
};
struct rq_monitor_run {
    const char *name;
    int64_t end_time; /* 0: now */
};
struct rs_monitor_run {
    struct monitor_report report;
    int inserted; /* 0: the window had a report already (this is it) */
};
struct rq_monitor_reports {
    const char *name;
    int64_t max_results, before_time;
    const char *page_token;
    int with_report;
};
struct rs_monitor_reports {
    struct monitor_report_list reports;
    char *next_page_token;
};
struct rq_monitor_report {
    const char *name;
    int64_t window_start;
};
struct rs_monitor_report {
    struct monitor_report report;
};

/* What runs a window, installed by the process (see the top). Both take
 * the row's environment (its store and artifact places). */
struct api_monitor_runner {
    /* Judges monitor name's window ending at end_ms (0: now) and stores
     * its report at most once: out gets the report as stored (with its
     * body), *inserted 0 when the window had one already. */
    int (*run)(const struct api_env *env, const char *name, int64_t end_ms,
               struct monitor_report *out, int *inserted, struct ferr *err);
    /* May be NULL: checks a parsed spec against what it watches before it
     * is applied (INVALID_PARAMETER_VALUE naming the field). */
    int (*check)(const struct api_env *env, const struct monitor_spec *spec, struct ferr *err);
};
/* Installs r (static storage; NULL: none) for every later row. Call at
 * start-up, before any request. */
void api_monitors_set_runner(const struct api_monitor_runner *r);

extern const struct api_op api_monitors_apply, api_monitors_get, api_monitors_list,
    api_monitors_delete, api_monitors_run, api_monitors_reports, api_monitors_report;

/* JSON shapes, for the CLI's --json. */
json_t *api_monitor_to_json(const struct monitor *m);
json_t *api_monitor_report_to_json(const struct monitor_report *r);

#endif
