/* SPDX-License-Identifier: MIT
 * server/alert_dispatch on both backends, in-process: an alert's pending
 * deliveries sent to command sinks, one delivered at once, one failing
 * until its attempts run out (each attempt recorded), the lease given up
 * at the stop; on PostgreSQL, an idle dispatcher writes nothing between
 * its lease's renewals. The webhook's wire and restarts:
 * tests/e2e/test_alerts.py. */
#include "../test.h"
#include "base/ftime.h"
#include "base/yaml_json.h"
#include "domain/registry.h"
#include "server/alert_dispatch.h"
#include "store/deployments.h"
#include "store/leases.h"
#include "store/monitors.h"
#include "store/registry.h"
#include "store/store.h"

#include <libpq-fe.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/banned.h"

static struct store *open_store(void)
{
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    char *uri = test_store_uri("dispatch");
    o.default_artifact_root = "/artifacts";
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    free(uri);
    return s;
}

static void apply_yaml(struct store *s, const char *yaml, int monitor)
{
    struct ferr err = FERR_INIT;
    json_t *doc = NULL;
    ASSERT_OK(yaml_to_json(yaml, strlen(yaml), &doc, &err), &err);
    if (monitor)
        ASSERT_OK(store_monitor_apply(s, doc, -1, "alice", NULL, NULL, &err), &err);
    else
        ASSERT_OK(store_deployment_apply(s, doc, -1, "alice", NULL, NULL, &err), &err);
    json_decref(doc);
}

static void setup(struct store *s)
{
    struct ferr err = FERR_INIT;
    struct reg_write w;
    memset(&w, 0, sizeof(w));
    w.action = REG_CREATE_MODEL;
    w.name = "fraud";
    w.user = "u";
    ASSERT_OK(store_registry_write(s, &w, &err), &err);
    w.action = REG_CREATE_VERSION;
    w.source = "/artifacts/model";
    ASSERT_OK(store_registry_write(s, &w, &err), &err);
    apply_yaml(s, "name: fraud\ntargets: [{model: \"models:/fraud/1\", weight: 100}]\n", 0);
    apply_yaml(s,
               "name: watch\ndeployment: fraud\nreference: {window: {last: 7d, ending: 1d}}\n"
               "window: {last: 1h}\nsinks:\n  - {command: /bin/true}\n"
               "  - {command: /bin/false}\n",
               1);
}

static int64_t open_alert(struct store *s)
{
    struct ferr err = FERR_INIT;
    struct monitor_check check = {"drift", 1, ALERT_CRITICAL, "drifted", NULL};
    struct monitor_report_new r = {"watch", 3600000, 7200000, MON_STATUS_OK, 100,    1,
                                   0.6,     NULL,    NULL,    NULL,          &check, 1};
    struct alert_change_list changes = {NULL, 0, 0};
    int inserted = 0;
    ASSERT_OK(store_monitor_report_put(s, &r, &inserted, &changes, &err), &err);
    ASSERT_INT_EQ(inserted, 1);
    ASSERT_INT_EQ(changes.n, 1);
    int64_t id = changes.v[0].alert.id;
    alert_change_list_release(&changes);
    return id;
}

static void pause_ms(long ms)
{
    struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}

STORE_TEST(alert_dispatch_delivers_and_gives_up_after_max_attempts)
{
    struct ferr err = FERR_INIT;
    signal(SIGPIPE, SIG_IGN);
    setenv("FERRY_ALERT_RETRY_BASE_MS", "20", 1);
    setenv("FERRY_ALERT_RETRY_MAX_MS", "40", 1);
    setenv("FERRY_ALERT_MAX_ATTEMPTS", "3", 1);
    struct store *s = open_store();
    setup(s);
    int64_t id = open_alert(s);
    struct alert_dispatch *d = NULL;
    struct alert_dispatch_opts o = {s, 1, NULL};
    ASSERT_OK(alert_dispatch_start(&o, &d, &err), &err);
    struct alert_delivery_list l = {NULL, 0, 0};
    int64_t deadline = ftime_now_ms() + 20000;
    for (;;) {
        ASSERT_OK(store_deliveries_of_alert(s, id, &l, &err), &err);
        ASSERT_INT_EQ(l.n, 2);
        if ((l.v[0].state != DELIVERY_PENDING && l.v[1].state != DELIVERY_PENDING) ||
            ftime_now_ms() > deadline)
            break;
        alert_delivery_list_release(&l);
        pause_ms(20);
    }
    alert_dispatch_stop(d);
    const struct alert_delivery *ok = l.v[0].sink_index == 0 ? &l.v[0] : &l.v[1];
    const struct alert_delivery *bad = l.v[0].sink_index == 0 ? &l.v[1] : &l.v[0];
    ASSERT_INT_EQ(ok->state, DELIVERY_DELIVERED);
    ASSERT_INT_EQ(ok->attempt, 1);
    ASSERT(ok->delivered_ms > 0);
    ASSERT_INT_EQ(bad->state, DELIVERY_FAILED);
    ASSERT_INT_EQ(bad->attempt, 3);
    ASSERT_CONTAINS(bad->error, "exit status 1");
    alert_delivery_list_release(&l);
    /* the lease was given up: another server sends at once */
    struct lease le;
    ASSERT_OK(store_lease_get(s, ALERT_DISPATCH_LEASE, &le, &err), &err);
    ASSERT(le.expires_ms <= le.now_ms);
    lease_release(&le);
    store_close(s);
}

/* An alert's pending deliveries when its monitor is deleted and applied
 * again under the same name: the new monitor's sinks are not the alert's,
 * so they fail at once, without retries, and nothing is run. */
STORE_TEST(alert_dispatch_fails_deliveries_of_a_deleted_monitor_at_once)
{
    struct ferr err = FERR_INIT;
    signal(SIGPIPE, SIG_IGN);
    setenv("FERRY_ALERT_RETRY_BASE_MS", "20", 1);
    setenv("FERRY_ALERT_RETRY_MAX_MS", "40", 1);
    setenv("FERRY_ALERT_MAX_ATTEMPTS", "3", 1);
    struct store *s = open_store();
    setup(s);
    int64_t id = open_alert(s);
    ASSERT_OK(store_monitor_delete(s, "watch", "alice", &err), &err);
    pause_ms(5); /* the new monitor is created after the alert opened */
    apply_yaml(s,
               "name: watch\ndeployment: fraud\nreference: {window: {last: 7d, ending: 1d}}\n"
               "window: {last: 1h}\nsinks:\n  - {command: /bin/true}\n"
               "  - {command: /bin/true}\n",
               1);
    struct alert_dispatch *d = NULL;
    struct alert_dispatch_opts o = {s, 1, NULL};
    ASSERT_OK(alert_dispatch_start(&o, &d, &err), &err);
    struct alert_delivery_list l = {NULL, 0, 0};
    int64_t deadline = ftime_now_ms() + 20000;
    for (;;) {
        ASSERT_OK(store_deliveries_of_alert(s, id, &l, &err), &err);
        ASSERT_INT_EQ(l.n, 2);
        if ((l.v[0].state != DELIVERY_PENDING && l.v[1].state != DELIVERY_PENDING) ||
            ftime_now_ms() > deadline)
            break;
        alert_delivery_list_release(&l);
        pause_ms(20);
    }
    alert_dispatch_stop(d);
    for (size_t i = 0; i < 2; i++) {
        ASSERT_INT_EQ(l.v[i].state, DELIVERY_FAILED);
        ASSERT_INT_EQ(l.v[i].attempt, 1);
        ASSERT_CONTAINS(l.v[i].error, "was deleted");
    }
    alert_delivery_list_release(&l);
    store_close(s);
}

/* The alert lease's row as "xmin xmax": a renewal writes a new version of
 * it (xmin), a claim's fence locks it (xmax), both as transaction ids. */
static void lease_row_versions(PGconn *c, char *out, size_t n)
{
    PGresult *r =
        PQexec(c, "SELECT xmin::text || ' ' || xmax::text FROM leases WHERE name = '" ALERT_DISPATCH_LEASE "'");
    ASSERT(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1);
    snprintf(out, n, "%s", PQgetvalue(r, 0, 0));
    PQclear(r);
}

/* Idle, the dispatcher writes nothing between its lease's renewals (every
 * 10 s): a tick with nothing due reads, where it used to claim, a fenced
 * write that locked the lease's row (a WAL record and a flushed commit on
 * PostgreSQL, twice a second). Then an alert's deliveries are still
 * claimed and sent. */
PG_TEST(alert_dispatch_idle_writes_nothing)
{
    struct ferr err = FERR_INIT;
    signal(SIGPIPE, SIG_IGN);
    setenv("FERRY_ALERT_RETRY_BASE_MS", "100", 1); /* a tick every 50 ms */
    struct store *s = open_store();
    setup(s);
    struct alert_dispatch *d = NULL;
    struct alert_dispatch_opts o = {s, 1, NULL};
    ASSERT_OK(alert_dispatch_start(&o, &d, &err), &err);
    struct lease le;
    int64_t deadline = ftime_now_ms() + 10000;
    for (;;) { /* no lease row until the dispatcher first takes it */
        memset(&le, 0, sizeof(le));
        int held = !store_lease_get(s, ALERT_DISPATCH_LEASE, &le, &err) && le.holder &&
                   *le.holder && le.expires_ms > le.now_ms;
        lease_release(&le);
        err = (struct ferr)FERR_INIT;
        if (held || ftime_now_ms() > deadline)
            break;
        pause_ms(20);
    }
    char *uri = test_store_uri("dispatch"); /* the store's database */
    PGconn *c = PQconnectdb(uri);
    free(uri);
    ASSERT(PQstatus(c) == CONNECTION_OK);
    char before[64], after[64];
    lease_row_versions(c, before, sizeof(before));
    pause_ms(1000); /* 20 ticks */
    lease_row_versions(c, after, sizeof(after));
    ASSERT_STR_EQ(after, before);
    PQfinish(c);

    int64_t id = open_alert(s);
    struct alert_delivery_list l = {NULL, 0, 0};
    deadline = ftime_now_ms() + 20000;
    int delivered = 0;
    while (!delivered && ftime_now_ms() < deadline) {
        ASSERT_OK(store_deliveries_of_alert(s, id, &l, &err), &err);
        for (size_t i = 0; i < l.n; i++)
            delivered |= l.v[i].sink_index == 0 && l.v[i].state == DELIVERY_DELIVERED;
        alert_delivery_list_release(&l);
        if (!delivered)
            pause_ms(20);
    }
    alert_dispatch_stop(d);
    ASSERT(delivered);
    store_close(s);
}
