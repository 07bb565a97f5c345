/* SPDX-License-Identifier: MIT
 * monitor/alert_sink.h: the signature (against Python's hmac), the backoff
 * schedule, the command sink (input, environment, exit status, time
 * limit), refusals that never send; monitor/monitor_metrics.h's text. The
 * webhook's wire is tested end to end (tests/e2e/test_alerts.py). */
#include "monitor/alert_sink.h"
#include "monitor/monitor_metrics.h"
#include "base/sbuf.h"
#include "../test.h"

#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/banned.h"

TEST(alert_sign_matches_python_hmac)
{
    char hex[65];
    /* hmac.new(b"Jefe", b"1700000000.what do ya want for nothing?", sha256) */
    const char *body = "what do ya want for nothing?";
    ASSERT_INT_EQ(alert_sign("Jefe", 4, 1700000000, body, strlen(body), hex), 0);
    ASSERT_STR_EQ(hex, "1cdd0650c8be1cb0974b1788d458b1e781206cfef59b85faafc582d2e182c57e");
    body = "{\"event\":\"alert.opened\"}";
    ASSERT_INT_EQ(alert_sign("whsec_test", 10, 1700000000, body, strlen(body), hex), 0);
    ASSERT_STR_EQ(hex, "190337ada36a0065c515393bb99c41e7a5fd3c550e2596fe1943f37a3801d3c7");
    /* the timestamp is signed: another one, another signature */
    char other[65];
    ASSERT_INT_EQ(alert_sign("whsec_test", 10, 1700000001, body, strlen(body), other), 0);
    ASSERT(strcmp(hex, other) != 0);
}

TEST(alert_backoff_doubles_up_to_the_cap)
{
    ASSERT_INT_EQ(alert_backoff_ms(1, 1000, 60000), 1000);
    ASSERT_INT_EQ(alert_backoff_ms(2, 1000, 60000), 2000);
    ASSERT_INT_EQ(alert_backoff_ms(3, 1000, 60000), 4000);
    ASSERT_INT_EQ(alert_backoff_ms(6, 1000, 60000), 32000);
    ASSERT_INT_EQ(alert_backoff_ms(7, 1000, 60000), 60000);
    ASSERT_INT_EQ(alert_backoff_ms(100, 1000, 60000), 60000);
    ASSERT_INT_EQ(alert_backoff_ms(1, 0, 60000), 1); /* never zero */
    ASSERT_INT_EQ(alert_backoff_ms(3, 50, 120), 120);
}

static const char *script(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof(path), "%s/%s", test_tmpdir(), name);
    FILE *f = fopen(path, "w");
    ASSERT(f != NULL);
    fputs(text, f);
    ASSERT(fclose(f) == 0);
    ASSERT(chmod(path, 0755) == 0);
    ASSERT(chmod(test_tmpdir(), 0755) == 0); /* reachable by nobody when run as root */
    return path;
}

static struct alert_message message(const char *body)
{
    struct alert_message m = {"alert.opened", "d-1",  "a-7", "mon",        "dep",
                              "drift",        "open", body,  strlen(body), 0};
    return m;
}

TEST(alert_command_reads_the_body_and_the_environment)
{
    signal(SIGPIPE, SIG_IGN);
    struct alert_outcome o;
    struct alert_message m = message("{\"a\":1}");
    const char *p = script(
        "ok.sh", "#!/bin/sh\nread -r x\n[ \"$x\" = '{\"a\":1}' ] || exit 3\n"
                 "[ \"$FERRY_ALERT_ID\" = a-7 ] && [ \"$FERRY_ALERT_EVENT\" = alert.opened ] "
                 "&& [ \"$FERRY_DELIVERY_ID\" = d-1 ] && [ \"$FERRY_ALERT_MONITOR\" = mon ] "
                 "|| exit 4\n[ -z \"$FERRY_TRACKING_URI\" ] || exit 5\nexit 0\n");
    struct alert_command c = {p, NULL, 0, NULL, 1, 5000};
    ASSERT_INT_EQ(alert_sink_command(&c, &m, &o), 0);
    ASSERT_INT_EQ(o.delivered, 1);
    ASSERT_INT_EQ(o.code, 0);
}

TEST(alert_command_failures_say_why)
{
    signal(SIGPIPE, SIG_IGN);
    struct alert_outcome o;
    struct alert_message m = message("{}");
    const char *p = script("fail.sh", "#!/bin/sh\necho no receiver >&2\nexit 7\n");
    struct alert_command c = {p, NULL, 0, NULL, 1, 5000};
    ASSERT_INT_EQ(alert_sink_command(&c, &m, &o), -1);
    ASSERT_INT_EQ(o.code, 7);
    ASSERT_CONTAINS(o.detail, "exit status 7: no receiver");
    p = script("slow.sh", "#!/bin/sh\nexec sleep 5\n");
    struct alert_command slow = {p, NULL, 0, NULL, 1, 300};
    ASSERT_INT_EQ(alert_sink_command(&slow, &m, &o), -1);
    ASSERT_INT_EQ(o.code, -1);
    ASSERT_CONTAINS(o.detail, "timed out");
    struct alert_command off = {p, NULL, 0, NULL, 0, 300};
    ASSERT_INT_EQ(alert_sink_command(&off, &m, &o), -1);
    ASSERT_CONTAINS(o.detail, "--no-execute");
    struct alert_command relative = {"notify.sh", NULL, 0, NULL, 1, 300};
    ASSERT_INT_EQ(alert_sink_command(&relative, &m, &o), -1);
    ASSERT_CONTAINS(o.detail, "absolute path");
}

/* A command that times out is killed with what it started: a background
 * child left running would hold its pipe and outlive the delivery. */
TEST(alert_command_timeout_kills_its_children)
{
    signal(SIGPIPE, SIG_IGN);
    struct alert_outcome o;
    struct alert_message m = message("{}");
    char pidfile[512];
    snprintf(pidfile, sizeof(pidfile), "%s/child.pid", test_tmpdir());
    char text[1200];
    snprintf(text, sizeof(text),
             "#!/bin/sh\nsleep 30 &\necho $! > %s\nwait\n", pidfile);
    const char *p = script("spawn.sh", text);
    ASSERT(chmod(test_tmpdir(), 0777) == 0); /* the pid file, written by nobody under root */
    struct alert_command c = {p, NULL, 0, NULL, 1, 500};
    ASSERT_INT_EQ(alert_sink_command(&c, &m, &o), -1);
    ASSERT_CONTAINS(o.detail, "timed out");
    FILE *f = fopen(pidfile, "r");
    ASSERT(f != NULL);
    long child = 0;
    ASSERT_INT_EQ(fscanf(f, "%ld", &child), 1);
    ASSERT(fclose(f) == 0);
    ASSERT(child > 1);
    /* SIGKILL is delivered at once, but the child is reaped by init: wait
     * (bounded) until it is no longer there or is a zombie */
    int gone = 0;
    for (int i = 0; i < 200 && !gone; i++) {
        char stat[64], buf[256] = "";
        snprintf(stat, sizeof(stat), "/proc/%ld/stat", child);
        FILE *sf = fopen(stat, "r");
        if (!sf) {
            gone = 1;
            break;
        }
        size_t n = fread(buf, 1, sizeof(buf) - 1, sf);
        (void)fclose(sf);
        buf[n] = 0;
        const char *rp = strrchr(buf, ')');
        if (rp && rp[1] == ' ' && rp[2] == 'Z')
            gone = 1;
        else
            nanosleep(&(struct timespec){0, 10000000}, NULL);
    }
    ASSERT(gone);
}

TEST(alert_webhook_refuses_before_sending)
{
    struct alert_outcome o;
    struct alert_message m = message("{}");
    struct alert_webhook w = {"ftp://example.com/x", NULL, NULL, NULL, 0, 1000};
    ASSERT_INT_EQ(alert_sink_webhook(&w, &m, &o), -1);
    ASSERT_CONTAINS(o.detail, "http(s)");
    /* a secret that is not there: never sent unsigned */
    w.url = "http://127.0.0.1:9/hook";
    w.secret_env = "FERRY_TEST_NO_SUCH_SECRET_VARIABLE";
    ASSERT_INT_EQ(alert_sink_webhook(&w, &m, &o), -1);
    ASSERT_CONTAINS(o.detail, "FERRY_TEST_NO_SUCH_SECRET_VARIABLE");
    /* headers that would forge ferry's or split the request */
    static const char *const names[] = {"X-Ferry-Signature"}, *const values[] = {"sha256=0"};
    static const char *const names2[] = {"X-Team"}, *const values2[] = {"a\r\nHost: evil"};
    struct alert_webhook forge = {"http://127.0.0.1:9/hook", NULL, names, values, 1, 1000};
    ASSERT_INT_EQ(alert_sink_webhook(&forge, &m, &o), -1);
    ASSERT_CONTAINS(o.detail, "cannot be sent");
    struct alert_webhook split = {"http://127.0.0.1:9/hook", NULL, names2, values2, 1, 1000};
    ASSERT_INT_EQ(alert_sink_webhook(&split, &m, &o), -1);
    ASSERT_CONTAINS(o.detail, "cannot be sent");
}

TEST(monitor_metrics_text)
{
    struct sbuf sb = SBUF_INIT;
    monitor_metrics_reset();
    monitor_metrics_alert_opened();
    monitor_metrics_alert_opened();
    monitor_metrics_alert_resolved();
    monitor_metrics_delivery("delivered");
    monitor_metrics_delivery("retry");
    monitor_metrics_delivery("retry");
    monitor_metrics_window("drift");
    monitor_metrics_window("bad\"label");
    monitor_metrics_write(&sb);
    ASSERT_CONTAINS(sb.buf, "\nferry_alerts_opened_total 2\n");
    ASSERT_CONTAINS(sb.buf, "\nferry_alerts_resolved_total 1\n");
    ASSERT_CONTAINS(sb.buf, "ferry_alert_deliveries_total{result=\"retry\"} 2\n");
    ASSERT_CONTAINS(sb.buf, "ferry_monitor_windows_total{status=\"drift\"} 1\n");
    ASSERT_CONTAINS(sb.buf, "ferry_monitor_windows_total{status=\"other\"} 1\n");
    sbuf_release(&sb);
}

TEST(alert_body_carries_the_alert_and_its_window)
{
    char monitor[] = "fraud-drift", dep[] = "fraud", cond[] = "drift", msg[] = "share 0.6",
         details[] = "{\"drift_share\":0.5}", empty[] = "";
    struct monitor_alert a;
    memset(&a, 0, sizeof(a));
    a.id = 42;
    a.monitor = monitor;
    a.deployment = dep;
    a.condition = cond;
    a.state = ALERT_OPEN;
    a.severity = ALERT_CRITICAL;
    a.message = msg;
    a.details = details;
    a.opened_ms = 1000;
    a.opened_window_start_ms = 3600000;
    a.last_window_start_ms = 7200000;
    a.breach_count = 2;
    a.acked_by = a.resolved_by = empty;
    size_t len = 0;
    char *body = alert_body(&a, DELIVERY_OPENED, 17, 10800000, &len);
    ASSERT_INT_EQ(len, strlen(body));
    json_t *j = json_loads(body, 0, NULL);
    ASSERT(j != NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "event")), "alert.opened");
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "delivery_id")), "17");
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "monitor")), "fraud-drift");
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "deployment")), "fraud");
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "condition")), "drift");
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "severity")), "critical");
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "state")), "open");
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "message")), "share 0.6");
    ASSERT(json_real_value(json_object_get(json_object_get(j, "details"), "drift_share")) == 0.5);
    json_t *w = json_object_get(j, "window");
    ASSERT_INT_EQ(json_integer_value(json_object_get(w, "start_ms")), 7200000);
    ASSERT_INT_EQ(json_integer_value(json_object_get(w, "end_ms")), 10800000);
    ASSERT_INT_EQ(json_integer_value(json_object_get(w, "opened_window_start_ms")), 3600000);
    json_t *al = json_object_get(j, "alert");
    ASSERT_INT_EQ(json_integer_value(json_object_get(al, "id")), 42);
    ASSERT_INT_EQ(json_integer_value(json_object_get(al, "breach_count")), 2);
    json_decref(j);
    free(body);
    /* resolved, window end unknown: null */
    a.state = ALERT_RESOLVED;
    body = alert_body(&a, DELIVERY_RESOLVED, 18, 0, &len);
    j = json_loads(body, 0, NULL);
    ASSERT_STR_EQ(json_string_value(json_object_get(j, "event")), "alert.resolved");
    ASSERT(json_is_null(json_object_get(json_object_get(j, "window"), "end_ms")));
    json_decref(j);
    free(body);
}
