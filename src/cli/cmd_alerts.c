/* SPDX-License-Identifier: MIT
 * `ferry alerts ...`: monitors' alerts (store/monitors.h) from the shell,
 * over either transport: list, get, acknowledge, resolve, and an alert's
 * delivery log. */
#include "api/alerts_ops.h"
#include "cli/cli.h"
#include "cli/cmd.h"
#include "client/client_alerts.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry alerts list [--monitor NAME] [--deployment NAME] [--state STATE,...]\n"
    "                         [--max-results N] [--json]\n"
    "       ferry alerts get ID [--json]\n"
    "       ferry alerts ack ID\n"
    "       ferry alerts resolve ID\n"
    "       ferry alerts deliveries ID [--json]\n"
    "\n"
    "  list        alerts, newest first: id, state, monitor, condition, severity,\n"
    "              when opened, the message\n"
    "  get         one alert\n"
    "  ack         acknowledge an open alert (it stays active until resolved)\n"
    "  resolve     resolve an open or acknowledged alert (its sinks are told)\n"
    "  deliveries  the alert's deliveries to its monitor's sinks: each event, sink,\n"
    "              attempts, state and the last attempt's outcome\n"
    "\n"
    "  --monitor NAME       only this monitor's alerts\n"
    "  --deployment NAME    only alerts of this deployment's monitors\n"
    "  --state S,...        open, acknowledged, resolved, or active (open and\n"
    "                       acknowledged); default: any\n"
    "  --max-results N      at most N alerts (default 100, at most 1000)\n"
    "  --json               JSON instead of a table\n"
    "  -h, --help           this help\n";

struct opts {
    const char *monitor, *deployment, *state;
    int64_t max_results;
    int json;
};

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"monitor", required_argument, NULL, 'm'},
        {"deployment", required_argument, NULL, 'd'},
        {"state", required_argument, NULL, 's'},
        {"max-results", required_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    opterr = 0;
    o->max_results = 100;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'm':
            o->monitor = optarg;
            break;
        case 'd':
            o->deployment = optarg;
            break;
        case 's':
            o->state = optarg;
            break;
        case 'n':
            if (cli_parse_int64("--max-results", optarg, 1, 1000, &o->max_results))
                return 2;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            return cli_bad_option("alerts", argv, c, usage);
        }
    }
    return 0;
}

static int do_list(struct client *c, const struct opts *o)
{
    struct monitor_alert_list l;
    struct ferr err = FERR_INIT;
    char *next = NULL;
    if (client_alerts_list(c, o->monitor, o->deployment, o->state, o->max_results, NULL, &l, &next,
                           &err))
        return cli_fail(&err);
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(a, api_alert_to_json(&l.v[i]));
        json_t *doc = json_pack("{s:o}", "alerts", a);
        if (next)
            json_object_set_new(doc, "next_page_token", json_string(next));
        cli_print_json(doc);
    } else {
        static const char *const headers[] = {"ID",       "STATE",  "MONITOR", "CONDITION",
                                              "SEVERITY", "OPENED", "MESSAGE"};
        struct table t;
        char when[32];
        table_init(&t, 7, headers);
        for (size_t i = 0; i < l.n; i++) {
            const struct monitor_alert *a = &l.v[i];
            cli_format_time(when, sizeof(when), a->opened_ms);
            table_addf(&t, "%" PRId64, a->id);
            table_add(&t, alert_state_name(a->state));
            table_add(&t, a->monitor);
            table_add(&t, a->condition);
            table_add(&t, alert_severity_name(a->severity));
            table_add(&t, when);
            table_add(&t, a->message);
        }
        table_print(&t);
        table_release(&t);
        if (next)
            fprintf(stderr, "(more alerts: raise --max-results, or narrow with --state)\n");
    }
    free(next);
    monitor_alert_list_release(&l);
    return 0;
}

static void print_alert(const struct monitor_alert *a)
{
    char when[32];
    printf("id:         %" PRId64 "\n", a->id);
    printf("state:      %s\n", alert_state_name(a->state));
    printf("monitor:    %s (deployment %s)\n", a->monitor, a->deployment);
    printf("condition:  %s (%s)\n", a->condition, alert_severity_name(a->severity));
    printf("message:    %s\n", a->message);
    cli_format_time(when, sizeof(when), a->opened_ms);
    printf("opened:     %s\n", when);
    printf("breaches:   %" PRId64 "\n", a->breach_count);
    if (a->acked_ms) {
        cli_format_time(when, sizeof(when), a->acked_ms);
        printf("acked:      %s by %s\n", when, *a->acked_by ? a->acked_by : "-");
    }
    if (a->resolved_ms) {
        cli_format_time(when, sizeof(when), a->resolved_ms);
        printf("resolved:   %s by %s\n", when, *a->resolved_by ? a->resolved_by : "-");
    }
    printf("details:    %s\n", a->details && *a->details ? a->details : "{}");
}

/* get (0), ack (1), resolve (2). */
static int do_one(struct client *c, const struct opts *o, int what, int64_t id)
{
    struct monitor_alert a;
    struct ferr err = FERR_INIT;
    int rc = what == 1   ? client_alert_ack(c, id, &a, &err)
             : what == 2 ? client_alert_resolve(c, id, &a, &err)
                         : client_alert_get(c, id, &a, &err);
    if (rc)
        return cli_fail(&err);
    if (o->json)
        cli_print_json(json_pack("{s:o}", "alert", api_alert_to_json(&a)));
    else if (what)
        printf("alert %" PRId64 " %s\n", a.id, alert_state_name(a.state));
    else
        print_alert(&a);
    monitor_alert_release(&a);
    return 0;
}

static int do_deliveries(struct client *c, const struct opts *o, int64_t id)
{
    struct alert_delivery_list l;
    struct ferr err = FERR_INIT;
    if (client_alert_deliveries(c, id, &l, &err))
        return cli_fail(&err);
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(a, api_delivery_to_json(&l.v[i]));
        cli_print_json(json_pack("{s:o}", "deliveries", a));
    } else {
        static const char *const headers[] = {"ID",       "EVENT", "SINK",     "STATE",
                                              "ATTEMPTS", "LAST",  "NEXT/DONE"};
        struct table t;
        char when[32];
        table_init(&t, 7, headers);
        for (size_t i = 0; i < l.n; i++) {
            const struct alert_delivery *d = &l.v[i];
            table_addf(&t, "%" PRId64, d->id);
            table_add(&t, delivery_event_name(d->event));
            table_addf(&t, "%d:%s", d->sink_index, d->sink_kind);
            table_add(&t, delivery_state_name(d->state));
            table_addf(&t, "%" PRId64, d->attempt);
            if (d->error && *d->error)
                table_add(&t, d->error);
            else if (d->http_status)
                table_addf(&t, "HTTP %d", d->http_status);
            else
                table_add(&t, "-");
            cli_format_time(when, sizeof(when),
                            d->state == DELIVERY_DELIVERED ? d->delivered_ms
                            : d->state == DELIVERY_PENDING ? d->next_attempt_ms
                                                           : 0);
            table_add(&t, when);
        }
        table_print(&t);
        table_release(&t);
    }
    alert_delivery_list_release(&l);
    return 0;
}

int cmd_alerts(int argc, char **argv)
{
    struct opts o;
    memset(&o, 0, sizeof(o));
    if (argc < 2)
        return cli_usage(usage);
    const char *action = argv[1];
    if (!strcmp(action, "-h") || !strcmp(action, "--help")) {
        fputs(usage, stdout);
        return 0;
    }
    static const char *const actions[] = {"list", "get", "ack", "resolve", "deliveries"};
    size_t k = 0;
    while (k < sizeof(actions) / sizeof(actions[0]) && strcmp(action, actions[k]))
        k++;
    if (k == sizeof(actions) / sizeof(actions[0]))
        return cli_usagef("unknown action '%s'; see 'ferry alerts --help'", action);
    int prc = parse(argc - 1, argv + 1, &o);
    if (prc)
        return prc < 0 ? 0 : prc;
    char **pos = argv + 1 + optind;
    int npos = argc - 1 - optind;
    if (npos != (k == 0 ? 0 : 1))
        return cli_usage(usage);
    int64_t id = 0;
    if (k && cli_parse_int64("alert id", pos[0], 1, INT64_MAX, &id))
        return 2;
    struct client *c = NULL;
    if (cli_open(&c))
        return 1;
    int rc = k == 0   ? do_list(c, &o)
             : k == 4 ? do_deliveries(c, &o, id)
                      : do_one(c, &o, (int)k - 1, id);
    client_close(c);
    return rc;
}
