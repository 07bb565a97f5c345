/* SPDX-License-Identifier: MIT
 * store/monitors on both backends: apply and revisions, a window's report
 * written at most once (twice in a row, and raced from two connections),
 * alerts opened / updated / acknowledged / resolved with their events and
 * deliveries, paging, delivery claims, retention, and writes refused under
 * a stale lease epoch. */
#include "../test.h"
#include "base/ftime.h"
#include "base/yaml_json.h"
#include "domain/registry.h"
#include "store/backend.h"
#include "store/copy.h"
#include "store/deployments.h"
#include "store/leases.h"
#include "store/monitors.h"
#include "store/registry.h"
#include "store/store.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

static struct store *open_mon_store(const char *name)
{
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    char *uri = test_store_uri(name);
    o.default_artifact_root = "/artifacts";
    o.group_commit = 1;
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    free(uri);
    return s;
}

static json_t *doc_of(const char *yaml)
{
    json_t *doc = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(yaml_to_json(yaml, strlen(yaml), &doc, &err), &err);
    return doc;
}

/* Deployment name -> a registered model and a deployment of it. */
static void make_deployment(struct store *s, const char *name)
{
    struct ferr err = FERR_INIT;
    struct reg_write w;
    memset(&w, 0, sizeof(w));
    w.action = REG_CREATE_MODEL;
    w.name = name;
    w.user = "u";
    ASSERT_OK(store_registry_write(s, &w, &err), &err);
    w.action = REG_CREATE_VERSION;
    w.source = "/artifacts/model";
    ASSERT_OK(store_registry_write(s, &w, &err), &err);
    char yaml[256];
    snprintf(yaml, sizeof(yaml), "name: %s\ntargets: [{model: \"models:/%s/1\", weight: 100}]\n",
             name, name);
    json_t *doc = doc_of(yaml);
    ASSERT_OK(store_deployment_apply(s, doc, -1, "alice", NULL, NULL, &err), &err);
    json_decref(doc);
}

static const char spec_yaml[] =
    "name: %s\n"
    "deployment: fraud\n"
    "reference: {run_artifact: \"runs:/abc/reference.csv\"}\n"
    "window: {last: 1h}\n"
    "schedule: {every: 1h}\n"
    "min_rows: %d\n"
    "sinks:\n"
    "  - {webhook: {url: \"https://hooks.example.com/x\", secret_env: HOOK_SECRET}}\n"
    "  - {command: /bin/true}\n";

static int apply(struct store *s, const char *name, int min_rows, int64_t expect,
                 const char *user, struct monitor *out, int *changed, struct ferr *err)
{
    char yaml[1024];
    snprintf(yaml, sizeof(yaml), spec_yaml, name, min_rows);
    json_t *doc = doc_of(yaml);
    int rc = store_monitor_apply(s, doc, expect, user, out, changed, err);
    json_decref(doc);
    return rc;
}

static void setup(struct store *s, const char *monitor)
{
    struct ferr err = FERR_INIT;
    make_deployment(s, "fraud");
    ASSERT_OK(apply(s, monitor, 100, -1, "alice", NULL, NULL, &err), &err);
}

STORE_TEST(monitor_apply_revise_state_and_delete)
{
    struct store *s = open_mon_store("mon_apply");
    struct ferr err = FERR_INIT;
    struct monitor m;
    int changed = -1;
    /* the deployment must exist */
    ASSERT_FAILS(apply(s, "fd", 100, -1, "alice", &m, &changed, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, "no deployment named 'fraud'");
    make_deployment(s, "fraud");
    ASSERT_OK(apply(s, "fd", 100, 0, "alice", &m, &changed, &err), &err);
    ASSERT_INT_EQ(changed, 1);
    ASSERT_INT_EQ(m.revision, 1);
    ASSERT_STR_EQ(m.applied_by, "alice");
    ASSERT_STR_EQ(m.created_by, "alice");
    ASSERT_STR_EQ(m.spec.deployment, "fraud");
    ASSERT_INT_EQ(m.spec.nsinks, 2);
    ASSERT_STR_EQ(m.last_status, "");
    monitor_release(&m);
    /* the same spec: nothing changes */
    ASSERT_OK(apply(s, "fd", 100, -1, "bob", &m, &changed, &err), &err);
    ASSERT_INT_EQ(changed, 0);
    ASSERT_INT_EQ(m.revision, 1);
    ASSERT_STR_EQ(m.applied_by, "alice");
    monitor_release(&m);
    ASSERT_FAILS(apply(s, "fd", 200, 0, "bob", &m, &changed, &err), &err,
                 FERR_RESOURCE_ALREADY_EXISTS);
    ASSERT_FAILS(apply(s, "fd", 200, 7, "bob", &m, &changed, &err), &err, FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, "is at revision 1, not 7");
    ASSERT_FAILS(apply(s, "nope", 200, 3, "bob", &m, &changed, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    /* the runner's state survives a revision */
    struct monitor_state st = MONITOR_STATE_KEEP;
    st.last_window_start_ms = 1000;
    st.last_window_end_ms = 2000;
    st.last_status = "ok";
    st.run_id = "r1";
    ASSERT_OK(store_monitor_state_put(s, "fd", &st, &err), &err);
    ASSERT_OK(apply(s, "fd", 200, 1, "bob", &m, &changed, &err), &err);
    ASSERT_INT_EQ(changed, 1);
    ASSERT_INT_EQ(m.revision, 2);
    ASSERT_STR_EQ(m.applied_by, "bob");
    ASSERT_STR_EQ(m.created_by, "alice");
    ASSERT_INT_EQ(m.spec.min_rows, 200);
    ASSERT_INT_EQ(m.last_window_end_ms, 2000);
    ASSERT_STR_EQ(m.run_id, "r1");
    monitor_release(&m);
    struct monitor_state keep = MONITOR_STATE_KEEP;
    keep.last_error = "boom";
    ASSERT_OK(store_monitor_state_put(s, "fd", &keep, &err), &err);
    ASSERT_OK(store_monitor_get(s, "fd", &m, &err), &err);
    ASSERT_STR_EQ(m.last_error, "boom");
    ASSERT_STR_EQ(m.last_status, "ok");
    ASSERT_INT_EQ(m.last_window_start_ms, 1000);
    monitor_release(&m);
    st.last_status = "fine";
    ASSERT_FAILS(store_monitor_state_put(s, "fd", &st, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_monitor_state_put(s, "ghost", &keep, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    /* list, all and by deployment */
    make_deployment(s, "other");
    json_t *doc = doc_of("name: od\ndeployment: other\nreference: {window: {last: 7d}}\n"
                         "window: {last_rows: 100}\n");
    ASSERT_OK(store_monitor_apply(s, doc, -1, "carol", NULL, NULL, &err), &err);
    json_decref(doc);
    struct monitor_list l;
    ASSERT_OK(store_monitor_list(s, NULL, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    ASSERT_STR_EQ(l.v[0].name, "fd");
    ASSERT_STR_EQ(l.v[1].name, "od");
    monitor_list_release(&l);
    ASSERT_OK(store_monitor_list(s, "other", &l, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_STR_EQ(l.v[0].name, "od");
    monitor_list_release(&l);
    ASSERT_OK(store_monitor_delete(s, "od", "carol", &err), &err);
    ASSERT_FAILS(store_monitor_get(s, "od", &m, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_monitor_delete(s, "od", "carol", &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_monitor_get(s, "bad/name", &m, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    store_close(s);
}

static struct monitor_report_new window(const char *monitor, int64_t start,
                                        const struct monitor_check *checks, size_t n)
{
    struct monitor_report_new r;
    memset(&r, 0, sizeof(r));
    r.monitor = monitor;
    r.window_start_ms = start;
    r.window_end_ms = start + 3600000;
    r.status = MON_STATUS_OK;
    r.n_rows = 1000;
    r.dataset_drift = checks && n && checks[0].breached;
    r.share_of_drifted_columns = 0.25;
    r.checks = checks;
    r.nchecks = n;
    return r;
}

static int64_t count_events(struct store *s, const char *kind)
{
    struct store_event_list l;
    struct ferr err = FERR_INIT;
    const char *kinds[] = {kind};
    memset(&l, 0, sizeof(l));
    ASSERT_OK(store_events_search(s, 0, kinds, 1, 1000, &l, &err), &err);
    int64_t n = (int64_t)l.n;
    store_event_list_release(&l);
    return n;
}

#define H 3600000LL

STORE_TEST(monitor_report_once_per_window_and_alert_lifecycle)
{
    struct store *s = open_mon_store("mon_alerts");
    struct ferr err = FERR_INIT;
    struct monitor m;
    struct alert_change_list ch;
    int inserted = -1;
    setup(s, "fd");
    json_t *details = json_pack("{s:f}", "share", 0.75);
    struct monitor_check checks[] = {
        {"drift", 1, ALERT_CRITICAL, "3 of 4 columns drifted", details},
        {"decay:f1", 0, ALERT_WARNING, NULL, NULL},
    };
    struct monitor_report_new r = window("fd", 10 * H, checks, 2);
    json_t *fig = json_pack("{s:f}", "drift_share", 0.75);
    r.figures = fig;
    ASSERT_OK(store_monitor_report_put(s, &r, &inserted, &ch, &err), &err);
    ASSERT_INT_EQ(inserted, 1);
    ASSERT_INT_EQ(ch.n, 1);
    ASSERT_INT_EQ(ch.v[0].kind, ALERT_CHANGE_OPENED);
    struct monitor_alert a = ch.v[0].alert;
    int64_t first_id = a.id;
    ASSERT(first_id > 0);
    ASSERT_STR_EQ(a.condition, "drift");
    ASSERT_STR_EQ(a.deployment, "fraud");
    ASSERT_INT_EQ(a.state, ALERT_OPEN);
    ASSERT_INT_EQ(a.severity, ALERT_CRITICAL);
    ASSERT_INT_EQ(a.breach_count, 1);
    ASSERT_INT_EQ(a.opened_window_start_ms, 10 * H);
    ASSERT_CONTAINS(a.details, "0.75");
    alert_change_list_release(&ch);
    ASSERT_OK(store_monitor_get(s, "fd", &m, &err), &err);
    ASSERT_INT_EQ(m.last_window_start_ms, 10 * H);
    ASSERT_INT_EQ(m.last_window_end_ms, 11 * H);
    ASSERT_STR_EQ(m.last_status, "ok");
    int64_t last_run = m.last_run_ms;
    ASSERT(last_run > 0);
    monitor_release(&m);
    ASSERT_INT_EQ(count_events(s, "alert.opened"), 1);
    /* the event names the alert */
    {
        struct store_event_list l;
        const char *kinds[] = {"alert.*"};
        memset(&l, 0, sizeof(l));
        ASSERT_OK(store_events_search(s, 0, kinds, 1, 10, &l, &err), &err);
        ASSERT_INT_EQ(l.n, 1);
        ASSERT_STR_EQ(l.v[0].subject, "fd");
        ASSERT_STR_EQ(l.v[0].user_id, "alice");
        char want[64];
        snprintf(want, sizeof(want), "\"alert_id\":%lld", (long long)first_id);
        ASSERT_CONTAINS(l.v[0].payload, want);
        ASSERT_CONTAINS(l.v[0].payload, "\"condition\":\"drift\"");
        store_event_list_release(&l);
    }
    /* a delivery per sink, pending now */
    struct alert_delivery_list dl;
    ASSERT_OK(store_deliveries_of_alert(s, first_id, &dl, &err), &err);
    ASSERT_INT_EQ(dl.n, 2);
    ASSERT_STR_EQ(dl.v[0].sink_kind, "webhook");
    ASSERT_STR_EQ(dl.v[1].sink_kind, "command");
    ASSERT_INT_EQ(dl.v[1].sink_index, 1);
    ASSERT_INT_EQ(dl.v[0].event, DELIVERY_OPENED);
    ASSERT_INT_EQ(dl.v[0].state, DELIVERY_PENDING);
    ASSERT_STR_EQ(dl.v[0].monitor, "fd");
    alert_delivery_list_release(&dl);

    /* the same window again: nothing changes */
    ASSERT_OK(store_monitor_report_put(s, &r, &inserted, &ch, &err), &err);
    ASSERT_INT_EQ(inserted, 0);
    ASSERT_INT_EQ(ch.n, 0);
    alert_change_list_release(&ch);
    ASSERT_OK(store_monitor_get(s, "fd", &m, &err), &err);
    ASSERT_INT_EQ(m.last_run_ms, last_run);
    monitor_release(&m);
    ASSERT_INT_EQ(count_events(s, "alert.opened"), 1);

    /* the next window breaches again: the same alert, counted */
    r = window("fd", 11 * H, checks, 2);
    checks[0].message = "2 of 4 columns drifted";
    checks[0].severity = ALERT_WARNING;
    ASSERT_OK(store_monitor_report_put(s, &r, &inserted, &ch, &err), &err);
    ASSERT_INT_EQ(inserted, 1);
    ASSERT_INT_EQ(ch.n, 1);
    ASSERT_INT_EQ(ch.v[0].kind, ALERT_CHANGE_UPDATED);
    ASSERT_INT_EQ(ch.v[0].alert.id, first_id);
    ASSERT_INT_EQ(ch.v[0].alert.breach_count, 2);
    ASSERT_INT_EQ(ch.v[0].alert.last_window_start_ms, 11 * H);
    ASSERT_INT_EQ(ch.v[0].alert.opened_window_start_ms, 10 * H);
    alert_change_list_release(&ch);
    ASSERT_OK(store_alert_get(s, first_id, &a, &err), &err);
    ASSERT_STR_EQ(a.message, "2 of 4 columns drifted");
    ASSERT_INT_EQ(a.severity, ALERT_WARNING);
    monitor_alert_release(&a);

    /* acknowledged by a user; not twice */
    ASSERT_OK(store_alert_ack(s, first_id, "carol", &a, &err), &err);
    ASSERT_INT_EQ(a.state, ALERT_ACKNOWLEDGED);
    ASSERT_STR_EQ(a.acked_by, "carol");
    ASSERT(a.acked_ms > 0);
    monitor_alert_release(&a);
    ASSERT_FAILS(store_alert_ack(s, first_id, "carol", &a, &err), &err, FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, "it is acknowledged");
    ASSERT_INT_EQ(count_events(s, "alert.acknowledged"), 1);

    /* an acknowledged alert still counts breaches */
    r = window("fd", 12 * H, checks, 1);
    ASSERT_OK(store_monitor_report_put(s, &r, &inserted, &ch, &err), &err);
    ASSERT_INT_EQ(ch.n, 1);
    ASSERT_INT_EQ(ch.v[0].alert.state, ALERT_ACKNOWLEDGED);
    ASSERT_INT_EQ(ch.v[0].alert.breach_count, 3);
    alert_change_list_release(&ch);

    /* a window that passes resolves it */
    checks[0].breached = 0;
    r = window("fd", 13 * H, checks, 1);
    ASSERT_OK(store_monitor_report_put(s, &r, &inserted, &ch, &err), &err);
    ASSERT_INT_EQ(ch.n, 1);
    ASSERT_INT_EQ(ch.v[0].kind, ALERT_CHANGE_RESOLVED);
    ASSERT_STR_EQ(ch.v[0].alert.resolved_by, "monitor");
    alert_change_list_release(&ch);
    ASSERT_INT_EQ(count_events(s, "alert.resolved"), 1);
    ASSERT_OK(store_deliveries_of_alert(s, first_id, &dl, &err), &err);
    ASSERT_INT_EQ(dl.n, 4);
    ASSERT_INT_EQ(dl.v[2].event, DELIVERY_RESOLVED);
    alert_delivery_list_release(&dl);
    ASSERT_FAILS(store_alert_resolve(s, first_id, "carol", &a, &err), &err, FERR_INVALID_STATE);
    ASSERT_FAILS(store_alert_ack(s, first_id, "carol", &a, &err), &err, FERR_INVALID_STATE);

    /* a later breach opens a new alert; a user resolves it */
    checks[0].breached = 1;
    r = window("fd", 14 * H, checks, 1);
    ASSERT_OK(store_monitor_report_put(s, &r, &inserted, &ch, &err), &err);
    ASSERT_INT_EQ(ch.n, 1);
    ASSERT_INT_EQ(ch.v[0].kind, ALERT_CHANGE_OPENED);
    int64_t second_id = ch.v[0].alert.id;
    ASSERT(second_id != first_id);
    alert_change_list_release(&ch);
    ASSERT_OK(store_alert_resolve(s, second_id, "dave", &a, &err), &err);
    ASSERT_INT_EQ(a.state, ALERT_RESOLVED);
    ASSERT_STR_EQ(a.resolved_by, "dave");
    monitor_alert_release(&a);
    ASSERT_INT_EQ(count_events(s, "alert.resolved"), 2);
    ASSERT_OK(store_deliveries_of_alert(s, second_id, &dl, &err), &err);
    ASSERT_INT_EQ(dl.n, 4); /* opened and resolved, to both sinks */
    alert_delivery_list_release(&dl);

    /* an insufficient window judges nothing: alerts stay, state moves */
    r = window("fd", 15 * H, checks, 1);
    ASSERT_OK(store_monitor_report_put(s, &r, &inserted, &ch, &err), &err);
    int64_t third_id = ch.v[0].alert.id;
    alert_change_list_release(&ch);
    r = window("fd", 16 * H, NULL, 0);
    r.status = MON_STATUS_INSUFFICIENT;
    r.n_rows = 3;
    r.dataset_drift = -1;
    r.share_of_drifted_columns = NAN;
    ASSERT_OK(store_monitor_report_put(s, &r, &inserted, &ch, &err), &err);
    ASSERT_INT_EQ(inserted, 1);
    ASSERT_INT_EQ(ch.n, 0);
    alert_change_list_release(&ch);
    ASSERT_OK(store_alert_get(s, third_id, &a, &err), &err);
    ASSERT_INT_EQ(a.state, ALERT_OPEN);
    monitor_alert_release(&a);
    ASSERT_OK(store_monitor_get(s, "fd", &m, &err), &err);
    ASSERT_STR_EQ(m.last_status, "insufficient");
    ASSERT_INT_EQ(m.last_window_start_ms, 16 * H);
    monitor_release(&m);
    struct monitor_report rep;
    ASSERT_OK(store_monitor_report_get(s, "fd", 16 * H, &rep, &err), &err);
    ASSERT_INT_EQ(rep.status, MON_STATUS_INSUFFICIENT);
    ASSERT_INT_EQ(rep.dataset_drift, -1);
    ASSERT(isnan(rep.share_of_drifted_columns));
    ASSERT_INT_EQ(rep.n_rows, 3);
    monitor_report_release(&rep);
    ASSERT_OK(store_monitor_report_get(s, "fd", 10 * H, &rep, &err), &err);
    ASSERT_INT_EQ(rep.dataset_drift, 1);
    ASSERT(fabs(rep.share_of_drifted_columns - 0.25) < 1e-15);
    ASSERT_CONTAINS(rep.figures, "drift_share");
    ASSERT_STR_EQ(rep.report, "{}");
    monitor_report_release(&rep);

    /* an older window's report does not move the state back */
    r = window("fd", 2 * H, NULL, 0);
    ASSERT_OK(store_monitor_report_put(s, &r, &inserted, &ch, &err), &err);
    ASSERT_INT_EQ(inserted, 1);
    alert_change_list_release(&ch);
    ASSERT_OK(store_monitor_get(s, "fd", &m, &err), &err);
    ASSERT_INT_EQ(m.last_window_start_ms, 16 * H);
    monitor_release(&m);

    /* a report of a monitor that does not exist: nothing written */
    r = window("ghost", 10 * H, NULL, 0);
    ASSERT_FAILS(store_monitor_report_put(s, &r, &inserted, &ch, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_INT_EQ(inserted, 0);
    ASSERT_FAILS(store_monitor_report_get(s, "ghost", 10 * H, &rep, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    /* a condition judged twice in one report is refused */
    struct monitor_check twice[] = {{"drift", 1, ALERT_WARNING, "x", NULL},
                                    {"drift", 0, ALERT_WARNING, NULL, NULL}};
    r = window("fd", 20 * H, twice, 2);
    ASSERT_FAILS(store_monitor_report_put(s, &r, &inserted, &ch, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    r = window("fd", 20 * H, NULL, 0);
    r.window_end_ms = r.window_start_ms - 1;
    ASSERT_FAILS(store_monitor_report_put(s, &r, &inserted, &ch, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);

    /* deleting the monitor resolves its active alerts and drops its reports */
    ASSERT_OK(store_monitor_delete(s, "fd", "erin", &err), &err);
    ASSERT_OK(store_alert_get(s, third_id, &a, &err), &err);
    ASSERT_INT_EQ(a.state, ALERT_RESOLVED);
    ASSERT_STR_EQ(a.resolved_by, "deleted");
    monitor_alert_release(&a);
    ASSERT_FAILS(store_monitor_report_get(s, "fd", 10 * H, &rep, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    json_decref(details);
    json_decref(fig);
    store_close(s);
}

STORE_TEST(monitor_reports_and_alerts_page_newest_first)
{
    struct store *s = open_mon_store("mon_paging");
    struct ferr err = FERR_INIT;
    struct monitor_report_list l;
    char *next = NULL;
    int inserted;
    setup(s, "fd");
    ASSERT_OK(apply(s, "fd2", 100, -1, "bob", NULL, NULL, &err), &err);
    for (int i = 0; i < 5; i++) {
        struct monitor_check c = {"drift", 1, ALERT_WARNING, "x", NULL};
        struct monitor_report_new r = window("fd", (int64_t)i * H, &c, i % 2 == 0);
        json_t *rep = json_pack("{s:i}", "window", i);
        r.report = rep;
        ASSERT_OK(store_monitor_report_put(s, &r, &inserted, NULL, &err), &err);
        json_decref(rep);
        ASSERT_INT_EQ(inserted, 1);
    }
    ASSERT_OK(store_monitor_reports(s, "fd", 2, 0, NULL, 0, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    ASSERT_INT_EQ(l.v[0].window_start_ms, 4 * H);
    ASSERT_INT_EQ(l.v[1].window_start_ms, 3 * H);
    ASSERT(l.v[0].report == NULL);
    ASSERT(next != NULL);
    monitor_report_list_release(&l);
    char *tok = next;
    ASSERT_OK(store_monitor_reports(s, "fd", 2, 0, tok, 1, &l, &next, &err), &err);
    free(tok);
    ASSERT_INT_EQ(l.n, 2);
    ASSERT_INT_EQ(l.v[0].window_start_ms, 2 * H);
    ASSERT_CONTAINS(l.v[0].report, "\"window\":2");
    monitor_report_list_release(&l);
    tok = next;
    ASSERT_OK(store_monitor_reports(s, "fd", 2, 0, tok, 0, &l, &next, &err), &err);
    free(tok);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_INT_EQ(l.v[0].window_start_ms, 0);
    ASSERT(next == NULL);
    monitor_report_list_release(&l);
    ASSERT_OK(store_monitor_reports(s, "fd", 0, 3 * H, NULL, 0, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 3);
    ASSERT_INT_EQ(l.v[0].window_start_ms, 2 * H);
    monitor_report_list_release(&l);
    ASSERT_FAILS(store_monitor_reports(s, "fd", 1001, 0, NULL, 0, &l, &next, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_monitor_reports(s, "fd", 10, 0, "junk", 0, &l, &next, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_monitor_reports(s, "ghost", 10, 0, NULL, 0, &l, &next, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);

    /* alerts: fd's drift opened at 0, updated at 2 and 4; fd2 gets three */
    const char *conds[] = {"drift", "decay:f1", "quality:missing:amount"};
    for (int i = 0; i < 3; i++) {
        struct monitor_check c = {conds[i], 1, ALERT_WARNING, "x", NULL};
        struct monitor_report_new r = window("fd2", (int64_t)i * H, &c, 1);
        ASSERT_OK(store_monitor_report_put(s, &r, &inserted, NULL, &err), &err);
    }
    struct monitor_alert_list al;
    struct alert_query q;
    memset(&q, 0, sizeof(q));
    ASSERT_OK(store_alerts_list(s, &q, &al, &next, &err), &err);
    ASSERT_INT_EQ(al.n, 4);
    ASSERT(next == NULL);
    ASSERT_STR_EQ(al.v[0].condition, "quality:missing:amount");
    ASSERT(al.v[0].id > al.v[1].id && al.v[1].id > al.v[2].id);
    int64_t fd2_first = al.v[2].id;
    monitor_alert_list_release(&al);
    q.monitor = "fd2";
    q.max = 2;
    ASSERT_OK(store_alerts_list(s, &q, &al, &next, &err), &err);
    ASSERT_INT_EQ(al.n, 2);
    ASSERT(next != NULL);
    monitor_alert_list_release(&al);
    q.page_token = next;
    ASSERT_OK(store_alerts_list(s, &q, &al, &next, &err), &err);
    free((char *)q.page_token);
    ASSERT_INT_EQ(al.n, 1);
    ASSERT_INT_EQ(al.v[0].id, fd2_first);
    ASSERT(next == NULL);
    monitor_alert_list_release(&al);
    ASSERT_OK(store_alert_ack(s, fd2_first, "x", NULL, &err), &err);
    memset(&q, 0, sizeof(q));
    q.states = ALERT_F_ACKNOWLEDGED;
    ASSERT_OK(store_alerts_list(s, &q, &al, &next, &err), &err);
    ASSERT_INT_EQ(al.n, 1);
    ASSERT_INT_EQ(al.v[0].id, fd2_first);
    monitor_alert_list_release(&al);
    q.states = ALERT_F_OPEN;
    q.deployment = "fraud";
    ASSERT_OK(store_alerts_list(s, &q, &al, &next, &err), &err);
    ASSERT_INT_EQ(al.n, 3);
    monitor_alert_list_release(&al);
    q.deployment = "elsewhere";
    ASSERT_OK(store_alerts_list(s, &q, &al, &next, &err), &err);
    ASSERT_INT_EQ(al.n, 0);
    monitor_alert_list_release(&al);
    q.deployment = NULL;
    q.states = ALERT_F_RESOLVED;
    ASSERT_OK(store_alerts_list(s, &q, &al, &next, &err), &err);
    ASSERT_INT_EQ(al.n, 0);
    monitor_alert_list_release(&al);
    q.states = 64;
    ASSERT_FAILS(store_alerts_list(s, &q, &al, &next, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    struct monitor_alert a;
    ASSERT_FAILS(store_alert_get(s, 999999, &a, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_alert_ack(s, 999999, "x", &a, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_alert_get(s, 0, &a, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    store_close(s);
}

STORE_TEST(monitor_deliveries_put_update_due_and_claim)
{
    struct store *s = open_mon_store("mon_deliveries");
    struct ferr err = FERR_INIT;
    struct alert_change_list ch;
    int inserted;
    setup(s, "fd");
    struct monitor_check c = {"drift", 1, ALERT_WARNING, "x", NULL};
    struct monitor_report_new r = window("fd", 0, &c, 1);
    ASSERT_OK(store_monitor_report_put(s, &r, &inserted, &ch, &err), &err);
    int64_t alert = ch.v[0].alert.id;
    alert_change_list_release(&ch);
    int64_t now = ftime_now_ms();
    /* the two enqueued with the alert are due now */
    struct alert_delivery_list due;
    ASSERT_OK(store_deliveries_due(s, now + 1000, 10, &due, &err), &err);
    ASSERT_INT_EQ(due.n, 2);
    alert_delivery_list_release(&due);
    ASSERT_OK(store_deliveries_due(s, now - 60000, 10, &due, &err), &err);
    ASSERT_INT_EQ(due.n, 0);
    alert_delivery_list_release(&due);
    /* claimed: not due again until the claim runs out */
    ASSERT_OK(store_deliveries_claim(s, now + 1000, 30000, 1, &due, &err), &err);
    ASSERT_INT_EQ(due.n, 1);
    struct alert_delivery d = due.v[0];
    memset(&due.v[0], 0, sizeof(due.v[0]));
    alert_delivery_list_release(&due);
    ASSERT_OK(store_deliveries_claim(s, now + 1000, 30000, 10, &due, &err), &err);
    ASSERT_INT_EQ(due.n, 1);
    ASSERT(due.v[0].id != d.id);
    alert_delivery_list_release(&due);
    ASSERT_OK(store_deliveries_due(s, now + 1000, 10, &due, &err), &err);
    ASSERT_INT_EQ(due.n, 0);
    alert_delivery_list_release(&due);
    ASSERT_OK(store_deliveries_due(s, now + 32000, 10, &due, &err), &err);
    ASSERT_INT_EQ(due.n, 2);
    alert_delivery_list_release(&due);
    /* an attempt failed with a retry later, then delivered */
    d.attempt = 1;
    d.http_status = 503;
    free(d.error);
    d.error = strdup("Service Unavailable");
    d.next_attempt_ms = now + 5000;
    ASSERT_OK(store_delivery_update(s, &d, &err), &err);
    d.attempt = 2;
    d.http_status = 200;
    d.state = DELIVERY_DELIVERED;
    d.delivered_ms = now + 6000;
    free(d.error);
    d.error = strdup("");
    ASSERT_OK(store_delivery_update(s, &d, &err), &err);
    struct alert_delivery_list l;
    ASSERT_OK(store_deliveries_of_alert(s, alert, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    for (size_t i = 0; i < l.n; i++)
        if (l.v[i].id == d.id) {
            ASSERT_INT_EQ(l.v[i].state, DELIVERY_DELIVERED);
            ASSERT_INT_EQ(l.v[i].attempt, 2);
            ASSERT_INT_EQ(l.v[i].http_status, 200);
            ASSERT_INT_EQ(l.v[i].delivered_ms, now + 6000);
        }
    alert_delivery_list_release(&l);
    /* a delivery put by hand; its key again gives the existing row */
    struct alert_delivery n;
    memset(&n, 0, sizeof(n));
    n.alert_id = alert;
    n.monitor = strdup("fd");
    n.sink_index = 5;
    n.sink_kind = strdup("command");
    n.event = DELIVERY_RESOLVED;
    n.state = DELIVERY_PENDING;
    ASSERT_OK(store_delivery_put(s, &n, &inserted, &err), &err);
    ASSERT_INT_EQ(inserted, 1);
    int64_t nid = n.id;
    ASSERT(nid > 0 && n.next_attempt_ms > 0);
    n.id = 0;
    n.attempt = 9;
    ASSERT_OK(store_delivery_put(s, &n, &inserted, &err), &err);
    ASSERT_INT_EQ(inserted, 0);
    ASSERT_INT_EQ(n.id, nid);
    ASSERT_INT_EQ(n.attempt, 0);
    n.alert_id = 987654;
    ASSERT_FAILS(store_delivery_put(s, &n, &inserted, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    n.alert_id = alert;
    n.id = 987654;
    ASSERT_FAILS(store_delivery_update(s, &n, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    free(n.sink_kind);
    n.sink_kind = strdup("email");
    ASSERT_FAILS(store_delivery_put(s, &n, &inserted, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    alert_delivery_release(&n);
    alert_delivery_release(&d);
    ASSERT_FAILS(store_deliveries_claim(s, now, 0, 10, &due, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    store_close(s);
}

struct racer {
    struct store *s;
    int inserted, failed;
    int64_t opened;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    struct ferr err = FERR_INIT;
    struct alert_change_list ch;
    struct monitor_check c = {"drift", 1, ALERT_WARNING, "x", NULL};
    struct monitor_report_new rep = window("fd", 5 * H, &c, 1);
    r->failed = store_monitor_report_put(r->s, &rep, &r->inserted, &ch, &err) != 0;
    if (r->failed)
        fprintf(stderr, "    race: %s\n", err.msg);
    for (size_t i = 0; i < ch.n; i++)
        r->opened += ch.v[i].kind == ALERT_CHANGE_OPENED;
    alert_change_list_release(&ch);
    return NULL;
}

/* Eight writers on two connections (two store handles on one database, as
 * two servers have) put the same window at once: one report, one alert. */
STORE_TEST(monitor_report_raced_from_two_connections_lands_once)
{
    struct store *s1 = open_mon_store("mon_race");
    struct store *s2 = open_mon_store("mon_race");
    setup(s1, "fd");
    struct racer r[8];
    pthread_t t[8];
    memset(r, 0, sizeof(r));
    for (int i = 0; i < 8; i++) {
        r[i].s = i % 2 ? s2 : s1;
        ASSERT(pthread_create(&t[i], NULL, race, &r[i]) == 0);
    }
    int inserted = 0, opened = 0;
    for (int i = 0; i < 8; i++) {
        ASSERT(pthread_join(t[i], NULL) == 0);
        ASSERT_INT_EQ(r[i].failed, 0);
        inserted += r[i].inserted;
        opened += (int)r[i].opened;
    }
    ASSERT_INT_EQ(inserted, 1);
    ASSERT_INT_EQ(opened, 1);
    struct ferr err = FERR_INIT;
    struct monitor_report_list l;
    char *next;
    ASSERT_OK(store_monitor_reports(s2, "fd", 10, 0, NULL, 0, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    monitor_report_list_release(&l);
    struct monitor_alert_list al;
    struct alert_query q;
    memset(&q, 0, sizeof(q));
    ASSERT_OK(store_alerts_list(s2, &q, &al, &next, &err), &err);
    ASSERT_INT_EQ(al.n, 1);
    ASSERT_INT_EQ(al.v[0].breach_count, 1);
    monitor_alert_list_release(&al);
    store_close(s2);
    store_close(s1);
}

STORE_TEST(monitor_writes_refused_under_a_stale_lease_epoch)
{
    struct store *s = open_mon_store("mon_fence");
    struct ferr err = FERR_INIT;
    struct lease l;
    int inserted = -1;
    memset(&l, 0, sizeof(l));
    setup(s, "fd");
    ASSERT_OK(store_lease_acquire(s, "monitors", "a", 10000, &l, &err), &err);
    lease_release(&l);
    ASSERT_OK(store_lease_release(s, "monitors", "a", 1, &err), &err);
    ASSERT_OK(store_lease_acquire(s, "monitors", "b", 10000, &l, &err), &err);
    lease_release(&l);
    struct monitor_check c = {"drift", 1, ALERT_WARNING, "x", NULL};
    struct monitor_report_new r = window("fd", 0, &c, 1);
    struct lease_fence stale = {"monitors", "a", 1}, current = {"monitors", "b", 2};
    ASSERT_OK(store_fence_set(&stale, &err), &err);
    ASSERT_FAILS(store_monitor_report_put(s, &r, &inserted, NULL, &err), &err,
                 FERR_INVALID_STATE);
    ASSERT_CONTAINS(err.msg, "is stale");
    ASSERT_INT_EQ(inserted, 0);
    struct monitor_state st = MONITOR_STATE_KEEP;
    st.last_error = "x";
    ASSERT_FAILS(store_monitor_state_put(s, "fd", &st, &err), &err, FERR_INVALID_STATE);
    store_fence_clear();
    struct monitor_report rep;
    ASSERT_FAILS(store_monitor_report_get(s, "fd", 0, &rep, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_INT_EQ(count_events(s, "alert.opened"), 0);
    /* the current epoch writes */
    ASSERT_OK(store_fence_set(&current, &err), &err);
    ASSERT_OK(store_monitor_report_put(s, &r, &inserted, NULL, &err), &err);
    ASSERT_INT_EQ(inserted, 1);
    store_fence_clear();
    ASSERT_INT_EQ(count_events(s, "alert.opened"), 1);
    store_close(s);
}

STORE_TEST(monitor_reports_past_retention_dropped)
{
    struct store *s = open_mon_store("mon_gc");
    struct ferr err = FERR_INIT;
    int inserted;
    int64_t dropped = -1;
    setup(s, "fd");
    int64_t now = ftime_now_ms();
    for (int i = 0; i < 4; i++) {
        struct monitor_report_new r = window("fd", now - (int64_t)(100 - i * 40) * 86400000, NULL, 0);
        ASSERT_OK(store_monitor_report_put(s, &r, &inserted, NULL, &err), &err);
    }
    /* windows that ended 100 and 60 days ago (and a bit): 90 days drops one */
    ASSERT_OK(store_monitor_reports_gc(s, now, 0, &dropped, &err), &err);
    ASSERT_INT_EQ(dropped, 1);
    ASSERT_OK(store_monitor_reports_gc(s, now, 30LL * 86400000, &dropped, &err), &err);
    ASSERT_INT_EQ(dropped, 1);
    struct monitor_report_list l;
    char *next;
    ASSERT_OK(store_monitor_reports(s, "fd", 10, 0, NULL, 0, &l, &next, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    monitor_report_list_release(&l);
    /* the state keeps the last window: a dropped window is not run again */
    struct monitor m;
    ASSERT_OK(store_monitor_get(s, "fd", &m, &err), &err);
    ASSERT_INT_EQ(m.last_window_start_ms, now + 20LL * 86400000);
    monitor_release(&m);
    store_close(s);
}

/* `ferry db copy` takes the monitors' tables along: values as they were
 * (a window not judged keeps its NULLs), ids kept, new ids after them. */
PG_TEST(monitor_tables_copied_from_sqlite_to_postgres)
{
    struct ferr err = FERR_INIT;
    char src_uri[600];
    snprintf(src_uri, sizeof(src_uri), "%s/mon_copy_src.db", test_tmpdir());
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    int inserted;
    o.default_artifact_root = "/artifacts";
    ASSERT_OK(store_open(src_uri, &o, &s, &err), &err);
    setup(s, "fd");
    struct monitor_check c = {"drift", 1, ALERT_CRITICAL, "tab\there", NULL};
    struct monitor_report_new r = window("fd", 0, &c, 1);
    ASSERT_OK(store_monitor_report_put(s, &r, &inserted, NULL, &err), &err);
    r = window("fd", H, NULL, 0);
    r.status = MON_STATUS_INSUFFICIENT;
    r.dataset_drift = -1;
    r.share_of_drifted_columns = NAN;
    ASSERT_OK(store_monitor_report_put(s, &r, &inserted, NULL, &err), &err);
    store_close(s);

    char *dst_uri = test_store_uri("mon_copy_dst");
    struct store_copy_report rep;
    ASSERT_OK(store_copy(src_uri, dst_uri, &rep, &err), &err);
    int seen = 0;
    for (size_t i = 0; i < rep.ntables; i++)
        if (!strcmp(rep.t[i].table, "monitor_reports") || !strcmp(rep.t[i].table, "monitors") ||
            !strcmp(rep.t[i].table, "monitor_alerts") ||
            !strcmp(rep.t[i].table, "alert_deliveries")) {
            seen++;
            ASSERT(rep.t[i].rows >= 1);
        }
    ASSERT_INT_EQ(seen, 4);
    s = NULL;
    ASSERT_OK(store_open(dst_uri, &o, &s, &err), &err);
    free(dst_uri);
    struct monitor m;
    ASSERT_OK(store_monitor_get(s, "fd", &m, &err), &err);
    ASSERT_INT_EQ(m.spec.nsinks, 2);
    ASSERT_STR_EQ(m.last_status, "insufficient");
    monitor_release(&m);
    struct monitor_report mr;
    ASSERT_OK(store_monitor_report_get(s, "fd", H, &mr, &err), &err);
    ASSERT_INT_EQ(mr.dataset_drift, -1);
    ASSERT(isnan(mr.share_of_drifted_columns));
    monitor_report_release(&mr);
    ASSERT_OK(store_monitor_report_get(s, "fd", 0, &mr, &err), &err);
    ASSERT(fabs(mr.share_of_drifted_columns - 0.25) < 1e-15);
    monitor_report_release(&mr);
    struct monitor_alert_list al;
    struct alert_query q;
    char *next;
    memset(&q, 0, sizeof(q));
    ASSERT_OK(store_alerts_list(s, &q, &al, &next, &err), &err);
    ASSERT_INT_EQ(al.n, 1);
    ASSERT_STR_EQ(al.v[0].message, "tab\there");
    int64_t id = al.v[0].id;
    monitor_alert_list_release(&al);
    struct alert_delivery_list dl;
    ASSERT_OK(store_deliveries_of_alert(s, id, &dl, &err), &err);
    ASSERT_INT_EQ(dl.n, 2);
    alert_delivery_list_release(&dl);
    /* the window copied is not judged again; a new alert gets a new id */
    r = window("fd", 0, &c, 1);
    ASSERT_OK(store_monitor_report_put(s, &r, &inserted, NULL, &err), &err);
    ASSERT_INT_EQ(inserted, 0);
    ASSERT_OK(store_alert_resolve(s, id, "x", NULL, &err), &err);
    struct alert_change_list ch;
    r = window("fd", 2 * H, &c, 1);
    ASSERT_OK(store_monitor_report_put(s, &r, &inserted, &ch, &err), &err);
    ASSERT_INT_EQ(ch.n, 1);
    ASSERT(ch.v[0].alert.id > id);
    alert_change_list_release(&ch);
    store_close(s);
}

static void bare_close(struct store *s)
{
    (void)s;
}

static const struct store_backend_ops bare_ops = {.name = "bare", .close = bare_close};

/* A backend without the area: NOT_IMPLEMENTED, outputs empty; retention
 * has nothing to drop. */
TEST(monitor_area_missing_is_not_implemented)
{
    struct store s = {.ops = &bare_ops};
    struct ferr err = FERR_INIT;
    struct monitor m;
    struct monitor_list ml;
    struct monitor_alert_list al;
    struct alert_delivery_list dl;
    struct alert_query q;
    char *next = (char *)"x";
    int inserted = -1;
    int64_t dropped = -1;
    memset(&q, 0, sizeof(q));
    ASSERT_FAILS(store_monitor_get(&s, "m", &m, &err), &err, FERR_NOT_IMPLEMENTED);
    ASSERT_STR_EQ(err.msg, "the bare store does not implement monitors");
    ASSERT_FAILS(store_monitor_list(&s, NULL, &ml, &err), &err, FERR_NOT_IMPLEMENTED);
    ASSERT_FAILS(store_alerts_list(&s, &q, &al, &next, &err), &err, FERR_NOT_IMPLEMENTED);
    ASSERT(next == NULL && al.n == 0);
    struct monitor_report_new r = window("m", 0, NULL, 0);
    ASSERT_FAILS(store_monitor_report_put(&s, &r, &inserted, NULL, &err), &err,
                 FERR_NOT_IMPLEMENTED);
    ASSERT_INT_EQ(inserted, 0);
    ASSERT_FAILS(store_deliveries_due(&s, 0, 10, &dl, &err), &err, FERR_NOT_IMPLEMENTED);
    ASSERT_OK(store_monitor_reports_gc(&s, 0, 0, &dropped, &err), &err);
    ASSERT_INT_EQ(dropped, 0);
}
