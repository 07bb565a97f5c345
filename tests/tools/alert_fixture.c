/* SPDX-License-Identifier: MIT
 * A test-only way to open and resolve alerts without running a monitor
 * (tests/e2e/test_alerts.py): straight through the store, as the monitor
 * runner does, so the alerts, their events and their pending deliveries
 * are exactly what a judged window writes.
 *   alert_fixture STORE_URI apply SPEC_JSON
 *       applies a monitor (store_monitor_apply)
 *   alert_fixture STORE_URI window MONITOR START_MS END_MS CONDITION breach|pass
 *       puts one window's report with that one check (store_monitor_report_put)
 * Prints what changed as JSON lines: {"alert_id": N, "change": "opened"}. */
#include "store/monitors.h"
#include "store/store.h"
#include "base/json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/banned.h"

static int fail(const struct ferr *err)
{
    fprintf(stderr, "alert_fixture: %s: %s\n", ferr_code_name(err->code), err->msg);
    return 1;
}

static int apply(struct store *s, const char *text)
{
    struct ferr err = FERR_INIT;
    json_error_t je;
    json_t *spec = json_loads(text, 0, &je);
    if (!spec) {
        fprintf(stderr, "alert_fixture: bad JSON: %s\n", je.text);
        return 2;
    }
    int changed = 0, rc = store_monitor_apply(s, spec, -1, "fixture", NULL, &changed, &err);
    json_decref(spec);
    if (rc)
        return fail(&err);
    printf("{\"applied\": %s}\n", changed ? "true" : "false");
    return 0;
}

static int window(struct store *s, char **argv)
{
    struct ferr err = FERR_INIT;
    int64_t start, end;
    if (fjson_parse_int64(argv[1], &start) || fjson_parse_int64(argv[2], &end)) {
        fprintf(stderr, "alert_fixture: bad window bounds\n");
        return 2;
    }
    int breach = !strcmp(argv[4], "breach");
    struct monitor_check check = {argv[3], breach, ALERT_CRITICAL,
                                  breach ? "share of drifted columns 0.6 >= 0.5" : NULL, NULL};
    json_t *details = json_pack("{s:f, s:f}", "share_of_drifted_columns", 0.6, "drift_share", 0.5);
    check.details = details;
    struct monitor_report_new r = {
        argv[0], start, end,  MON_STATUS_OK, 100, breach, breach ? 0.6 : 0.1,
        NULL,    NULL,  NULL, &check,        1};
    struct alert_change_list changes = {NULL, 0, 0};
    int inserted = 0;
    int rc = store_monitor_report_put(s, &r, &inserted, &changes, &err);
    json_decref(details);
    if (rc)
        return fail(&err);
    for (size_t i = 0; i < changes.n; i++)
        printf("{\"alert_id\": %lld, \"change\": \"%s\"}\n", (long long)changes.v[i].alert.id,
               alert_change_kind_name(changes.v[i].kind));
    if (!inserted)
        printf("{\"inserted\": false}\n");
    alert_change_list_release(&changes);
    return 0;
}

int main(int argc, char **argv)
{
    struct store_opts so = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    if (argc < 3 || (strcmp(argv[2], "apply") && strcmp(argv[2], "window")) ||
        (!strcmp(argv[2], "apply") && argc != 4) || (!strcmp(argv[2], "window") && argc != 8)) {
        fprintf(stderr, "usage: alert_fixture URI apply SPEC_JSON\n"
                        "       alert_fixture URI window MONITOR START_MS END_MS CONDITION "
                        "breach|pass\n");
        return 2;
    }
    if (store_open(argv[1], &so, &s, &err))
        return fail(&err);
    int rc = !strcmp(argv[2], "apply") ? apply(s, argv[3]) : window(s, argv + 3);
    store_close(s);
    return rc;
}
