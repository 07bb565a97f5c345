/* SPDX-License-Identifier: MIT */
#include "client/client_monitors.h"
#include "api/monitors_ops.h"
#include "client/transport.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static int need_name(const char *name, struct ferr *err)
{
    return name && *name
               ? 0
               : ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "missing the monitor's name");
}

int client_monitor_apply(struct client *c, json_t *spec, int64_t revision, struct monitor *out,
                         int *changed, struct ferr *err)
{
    struct rq_monitor_apply q = {spec, NULL, revision};
    struct rs_monitor_apply r;
    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    if (!json_is_object(spec))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "a monitor spec is a JSON object");
    if (client_call(c, &api_monitors_apply, &q, &r, err))
        return -1;
    *out = r.monitor;
    if (changed)
        *changed = r.changed;
    return 0;
}

int client_monitor_get(struct client *c, const char *name, struct monitor *out, struct ferr *err)
{
    struct rq_monitor_name q = {name};
    struct rs_monitor r;
    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    if (need_name(name, err) || client_call(c, &api_monitors_get, &q, &r, err))
        return -1;
    *out = r.monitor;
    return 0;
}

int client_monitor_list(struct client *c, const char *deployment, struct monitor_list *out,
                        struct ferr *err)
{
    struct rq_monitor_list q = {deployment};
    memset(out, 0, sizeof(*out));
    return client_call(c, &api_monitors_list, &q, out, err);
}

int client_monitor_delete(struct client *c, const char *name, struct ferr *err)
{
    struct rq_monitor_name q = {name};
    if (need_name(name, err))
        return -1;
    return client_call(c, &api_monitors_delete, &q, NULL, err);
}

int client_monitor_run(struct client *c, const char *name, int64_t end_ms,
                       struct monitor_report *out, int *inserted, struct ferr *err)
{
    struct rq_monitor_run q = {name, end_ms};
    struct rs_monitor_run r;
    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    if (need_name(name, err) || client_call(c, &api_monitors_run, &q, &r, err))
        return -1;
    *out = r.report;
    if (inserted)
        *inserted = r.inserted;
    return 0;
}

int client_monitor_reports(struct client *c, const char *name, int64_t max, int64_t before_ms,
                           const char *page_token, int with_report, struct monitor_report_list *out,
                           char **next_page_token, struct ferr *err)
{
    struct rq_monitor_reports q = {name, max, before_ms, page_token, with_report};
    struct rs_monitor_reports r;
    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    *next_page_token = NULL;
    if (need_name(name, err) || client_call(c, &api_monitors_reports, &q, &r, err))
        return -1;
    *out = r.reports;
    *next_page_token = r.next_page_token;
    return 0;
}

int client_monitor_report(struct client *c, const char *name, int64_t window_start_ms,
                          struct monitor_report *out, struct ferr *err)
{
    struct rq_monitor_report q = {name, window_start_ms};
    struct rs_monitor_report r;
    memset(out, 0, sizeof(*out));
    memset(&r, 0, sizeof(r));
    if (need_name(name, err) || client_call(c, &api_monitors_report, &q, &r, err))
        return -1;
    *out = r.report;
    return 0;
}
