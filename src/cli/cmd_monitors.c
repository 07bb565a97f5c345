/* SPDX-License-Identifier: MIT
 * `ferry monitors ...`: drift, decay and data-quality monitors over a
 * deployment's prediction log (store/monitors.h, monitor/monitor_run.h),
 * from the shell, over either transport. On the store itself (an
 * in-process client) `run` judges the window here; over REST the server
 * does. */
#include "api/monitors_ops.h"
#include "base/ftime.h"
#include "base/sbuf.h"
#include "cli/cli.h"
#include "cli/cli_time.h"
#include "cli/cmd.h"
#include "client/client_monitors.h"
#include "monitor/monitor_run.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry monitors apply -f MONITOR.yaml [--revision N]\n"
    "   or: ferry monitors list [--deployment NAME] [--json]\n"
    "   or: ferry monitors get NAME [--json]\n"
    "   or: ferry monitors run NAME [--end T] [--json]\n"
    "   or: ferry monitors reports NAME [--max-results N] [--before T] [--full] [--json]\n"
    "   or: ferry monitors delete NAME\n"
    "\n"
    "Monitors watch a deployment's prediction log window by window: data drift against\n"
    "a reference (Evidently's default tests), decay of the model's metrics from the\n"
    "feedback labels, data quality. A breach opens an alert (`ferry alerts`).\n"
    "\n"
    "  apply     a monitor's spec (YAML or JSON; docs/monitors.md): creates it, or\n"
    "            the next revision\n"
    "  list      the monitors and their last window\n"
    "  get       one monitor: its spec and state\n"
    "  run       judge the window ending now (or at --end) and store its report\n"
    "            (a window is judged once: a second run answers the stored report)\n"
    "  reports   the stored windows, newest first\n"
    "  delete    the monitor and its reports (its open alerts are resolved)\n"
    "\n"
    "  -f, --file FILE      the spec (\"-\": standard input)\n"
    "  --revision N         apply only if the current revision is N (0: only if new)\n"
    "  --deployment NAME    only that deployment's monitors\n"
    "  --end T              the window's end: ms since the epoch, a UTC date\n"
    "                       (2026-12-03T08:00) or a duration ago (1h)\n"
    "  --before T           reports of windows starting before T\n"
    "  --max-results N      at most N reports (default 20, at most 1000)\n"
    "  --full               with each report's body (--json)\n"
    "  --json               JSON instead of a table\n"
    "  -h, --help           this help\n";

struct opts {
    const char *file, *deployment;
    int64_t revision, end, before, max_results;
    int json, full;
};

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"file", required_argument, NULL, 'f'},
        {"revision", required_argument, NULL, 'r'},
        {"deployment", required_argument, NULL, 'd'},
        {"end", required_argument, NULL, 'e'},
        {"before", required_argument, NULL, 'b'},
        {"max-results", required_argument, NULL, 'm'},
        {"full", no_argument, NULL, 'F'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    opterr = 0;
    o->revision = -1;
    o->max_results = 20;
    while ((c = getopt_long(argc, argv, ":hf:d:", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            o->file = optarg;
            break;
        case 'd':
            o->deployment = optarg;
            break;
        case 'r':
            if (cli_parse_int64("--revision", optarg, 0, INT64_MAX, &o->revision))
                return 2;
            break;
        case 'e':
            if (cli_parse_time("--end", optarg, ftime_now_ms(), &o->end))
                return 2;
            break;
        case 'b':
            if (cli_parse_time("--before", optarg, ftime_now_ms(), &o->before))
                return 2;
            break;
        case 'm':
            if (cli_parse_int64("--max-results", optarg, 1, 1000, &o->max_results))
                return 2;
            break;
        case 'F':
            o->full = 1;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            return cli_bad_option("monitors", argv, c, usage);
        }
    }
    return 0;
}

static void fmt_time(char *buf, size_t n, int64_t ms)
{
    if (ms > 0)
        cli_format_time(buf, n, ms);
    else
        snprintf(buf, n, "-");
}

/* "1h", "10000 rows" */
static void window_text(const struct monitor_spec *s, char *buf, size_t n)
{
    if (s->window_rows > 0)
        snprintf(buf, n, "%" PRId64 " rows", s->window_rows);
    else if (s->window_ms % 3600000 == 0)
        snprintf(buf, n, "%" PRId64 "h", s->window_ms / 3600000);
    else if (s->window_ms % 60000 == 0)
        snprintf(buf, n, "%" PRId64 "m", s->window_ms / 60000);
    else
        snprintf(buf, n, "%" PRId64 "s", s->window_ms / 1000);
}

static void every_text(int64_t ms, char *buf, size_t n)
{
    if (ms <= 0)
        snprintf(buf, n, "on demand");
    else if (ms % 3600000 == 0)
        snprintf(buf, n, "%" PRId64 "h", ms / 3600000);
    else if (ms % 60000 == 0)
        snprintf(buf, n, "%" PRId64 "m", ms / 60000);
    else
        snprintf(buf, n, "%" PRId64 "s", ms / 1000);
}

static int do_apply(struct client *c, struct opts *o)
{
    struct monitor m;
    struct ferr err = FERR_INIT;
    int changed = 0;
    json_t *doc = NULL;
    if (!o->file)
        return cli_usagef("apply needs the spec: -f FILE");
    int rc = cli_read_yaml_spec(o->file, &doc, &err);
    if (rc > 0)
        return 1;
    if (!rc && !json_is_object(doc))
        rc = ferr_set(&err, FERR_INVALID_PARAMETER_VALUE, "%s: a monitor spec is a mapping",
                      o->file);
    if (!rc)
        rc = client_monitor_apply(c, doc, o->revision, &m, &changed, &err);
    json_decref(doc);
    if (rc)
        return cli_fail(&err);
    printf("monitor %s revision %" PRId64 " %s\n", m.name, m.revision,
           changed ? "applied" : "unchanged");
    monitor_release(&m);
    return 0;
}

static int do_list(struct client *c, struct opts *o)
{
    struct monitor_list l;
    struct ferr err = FERR_INIT;
    if (client_monitor_list(c, o->deployment, &l, &err))
        return cli_fail(&err);
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(a, api_monitor_to_json(&l.v[i]));
        cli_print_json(json_pack("{s:o}", "monitors", a));
        monitor_list_release(&l);
        return 0;
    }
    static const char *const head[] = {"NAME",        "DEPLOYMENT", "WINDOW", "EVERY",
                                       "LAST WINDOW", "STATUS",     "ERROR"};
    struct table t;
    table_init(&t, 7, head);
    for (size_t i = 0; i < l.n; i++) {
        const struct monitor *m = &l.v[i];
        char w[64], e[64], last[64];
        window_text(&m->spec, w, sizeof(w));
        every_text(m->spec.every_ms, e, sizeof(e));
        fmt_time(last, sizeof(last), m->last_window_end_ms);
        table_add(&t, m->name);
        table_add(&t, m->spec.deployment);
        table_add(&t, w);
        table_add(&t, e);
        table_add(&t, last);
        table_add(&t, m->last_status && *m->last_status ? m->last_status : "-");
        table_add(&t, m->last_error && *m->last_error ? m->last_error : "");
    }
    table_print(&t);
    table_release(&t);
    monitor_list_release(&l);
    return 0;
}

static int do_get(struct client *c, struct opts *o, const char *name)
{
    struct monitor m;
    struct ferr err = FERR_INIT;
    if (client_monitor_get(c, name, &m, &err))
        return cli_fail(&err);
    json_t *j = api_monitor_to_json(&m);
    if (o->json) {
        cli_print_json(j);
    } else {
        char w[64], e[64], last[64], run[64];
        window_text(&m.spec, w, sizeof(w));
        every_text(m.spec.every_ms, e, sizeof(e));
        fmt_time(last, sizeof(last), m.last_window_end_ms);
        fmt_time(run, sizeof(run), m.last_run_ms);
        printf("monitor     %s (revision %" PRId64 ")\n", m.name, m.revision);
        printf("deployment  %s\n", m.spec.deployment);
        printf("window      %s, every %s, min_rows %" PRId64 "\n", w, e, m.spec.min_rows);
        printf("last window %s (run %s): %s%s%s\n", last, run,
               m.last_status && *m.last_status ? m.last_status : "never run",
               m.last_error && *m.last_error ? ": " : "", m.last_error ? m.last_error : "");
        if (m.run_id && *m.run_id)
            printf("figures     run %s (experiment monitor/%s)\n", m.run_id, m.name);
        printf("spec:\n");
        cli_print_json(json_incref(json_object_get(j, "spec")));
        json_decref(j);
    }
    monitor_release(&m);
    return 0;
}

static const char *opt_bool(int v)
{
    return v < 0 ? "-" : v ? "yes" : "no";
}

static void print_report(const struct monitor_report *r)
{
    char start[64], end[64];
    json_t *body = r->report ? json_loads(r->report, 0, NULL) : NULL;
    /* a window of the last N rows starts at its first row */
    json_int_t first =
        json_integer_value(json_object_get(json_object_get(body, "window"), "first_row_ms"));
    fmt_time(start, sizeof(start), first > 0 ? first : r->window_start_ms);
    fmt_time(end, sizeof(end), r->window_end_ms);
    printf("monitor %s window [%s, %s): %s, %" PRId64 " rows\n", r->monitor, start, end,
           monitor_status_name(r->status), r->n_rows);
    if (r->error && *r->error)
        printf("error: %s\n", r->error);
    json_t *drift = json_object_get(body, "drift"), *cols = json_object_get(drift, "columns");
    if (json_array_size(cols)) {
        static const char *const head[] = {"COLUMN",  "KIND",      "TEST",   "STATISTIC",
                                           "P-VALUE", "THRESHOLD", "DRIFTED"};
        struct table t;
        json_t *col;
        size_t i;
        table_init(&t, 7, head);
        json_array_foreach(cols, i, col)
        {
            json_t *p = json_object_get(col, "p_value"), *st = json_object_get(col, "statistic");
            table_add(&t, json_string_value(json_object_get(col, "name")));
            table_add(&t, json_string_value(json_object_get(col, "kind")));
            table_add(&t, json_string_value(json_object_get(col, "stattest")));
            if (json_is_number(st))
                table_addf(&t, "%.6g", json_number_value(st));
            else
                table_add(&t, "inf");
            if (json_is_number(p))
                table_addf(&t, "%.6g", json_number_value(p));
            else
                table_add(&t, "-");
            table_addf(&t, "%.6g", json_number_value(json_object_get(col, "threshold")));
            table_add(&t, json_is_true(json_object_get(col, "drifted")) ? "yes" : "no");
        }
        table_print(&t);
        table_release(&t);
        printf("dataset drift: %s (%" JSON_INTEGER_FORMAT " of %" JSON_INTEGER_FORMAT
               " columns drifted, share %.3g, threshold %.3g)\n",
               opt_bool(r->dataset_drift),
               json_integer_value(json_object_get(drift, "number_of_drifted_columns")),
               json_integer_value(json_object_get(drift, "number_of_columns")),
               r->share_of_drifted_columns,
               json_number_value(json_object_get(drift, "drift_share")));
    }
    json_t *conds = json_object_get(body, "conditions"), *cd;
    size_t i;
    json_array_foreach(conds, i, cd)
    {
        printf("%-8s %s: %s\n", json_string_value(json_object_get(cd, "verdict")),
               json_string_value(json_object_get(cd, "condition")),
               json_string_value(json_object_get(cd, "message")));
    }
    json_decref(body);
}

static int do_run(struct client *c, struct opts *o, const char *name)
{
    struct monitor_report r;
    struct ferr err = FERR_INIT;
    int inserted = 0;
    if (client_monitor_run(c, name, o->end, &r, &inserted, &err))
        return cli_fail(&err);
    if (o->json) {
        cli_print_json(json_pack("{s:o, s:b}", "report", api_monitor_report_to_json(&r), "inserted",
                                 inserted));
    } else {
        print_report(&r);
        if (!inserted)
            printf("(this window had been judged already: its stored report)\n");
    }
    monitor_report_release(&r);
    return 0;
}

static int do_reports(struct client *c, struct opts *o, const char *name)
{
    struct monitor_report_list l;
    struct ferr err = FERR_INIT;
    char *next = NULL;
    if (client_monitor_reports(c, name, o->max_results, o->before, NULL, o->full, &l, &next, &err))
        return cli_fail(&err);
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(a, api_monitor_report_to_json(&l.v[i]));
        json_t *doc = json_pack("{s:o}", "reports", a);
        if (next)
            json_object_set_new(doc, "next_page_token", json_string(next));
        cli_print_json(doc);
    } else {
        static const char *const head[] = {"WINDOW START", "WINDOW END", "STATUS",  "ROWS",
                                           "DRIFT",        "SHARE",      "BREACHED"};
        struct table t;
        table_init(&t, 7, head);
        for (size_t i = 0; i < l.n; i++) {
            const struct monitor_report *r = &l.v[i];
            char s[64], e[64];
            struct sbuf br = SBUF_INIT;
            json_t *f = json_loads(r->figures ? r->figures : "{}", 0, NULL), *b;
            size_t k;
            json_array_foreach(json_object_get(f, "breached"), k, b)
            {
                sbuf_addf(&br, "%s%s", k ? " " : "", json_string_value(b));
            }
            /* a window of the last N rows starts at its first row */
            json_int_t first = json_integer_value(json_object_get(f, "first_row_ms"));
            json_decref(f);
            fmt_time(s, sizeof(s), first > 0 ? first : r->window_start_ms);
            fmt_time(e, sizeof(e), r->window_end_ms);
            table_add(&t, s);
            table_add(&t, e);
            table_add(&t, monitor_status_name(r->status));
            table_addf(&t, "%" PRId64, r->n_rows);
            table_add(&t, opt_bool(r->dataset_drift));
            if (isfinite(r->share_of_drifted_columns))
                table_addf(&t, "%.3g", r->share_of_drifted_columns);
            else
                table_add(&t, "-");
            table_add(&t, br.len ? br.buf : "-");
            sbuf_release(&br);
        }
        table_print(&t);
        table_release(&t);
        if (next)
            printf("(more: --before %" PRId64 ")\n", l.v[l.n - 1].window_start_ms);
    }
    free(next);
    monitor_report_list_release(&l);
    return 0;
}

static int do_delete(struct client *c, const char *name)
{
    struct ferr err = FERR_INIT;
    if (client_monitor_delete(c, name, &err))
        return cli_fail(&err);
    printf("monitor %s deleted\n", name);
    return 0;
}

int cmd_monitors(int argc, char **argv)
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
    static const char *const actions[] = {"apply", "list", "get", "run", "reports", "delete"};
    size_t k = 0;
    while (k < sizeof(actions) / sizeof(actions[0]) && strcmp(action, actions[k]))
        k++;
    if (k == sizeof(actions) / sizeof(actions[0]))
        return cli_usagef("unknown action '%s'; see 'ferry monitors --help'", action);
    int prc = parse(argc - 1, argv + 1, &o);
    if (prc)
        return prc < 0 ? 0 : prc;
    char **pos = argv + 1 + optind;
    int npos = argc - 1 - optind;
    int takes_name = strcmp(action, "apply") && strcmp(action, "list");
    if (npos != (takes_name ? 1 : 0))
        return cli_usage(usage);
    /* on the store itself, windows are judged here */
    api_monitors_set_runner(&monitor_api_runner);
    struct client *c = NULL;
    if (cli_open(&c))
        return 1;
    int rc;
    if (!strcmp(action, "apply"))
        rc = do_apply(c, &o);
    else if (!strcmp(action, "list"))
        rc = do_list(c, &o);
    else if (!strcmp(action, "get"))
        rc = do_get(c, &o, pos[0]);
    else if (!strcmp(action, "run"))
        rc = do_run(c, &o, pos[0]);
    else if (!strcmp(action, "reports"))
        rc = do_reports(c, &o, pos[0]);
    else
        rc = do_delete(c, pos[0]);
    client_close(c);
    return rc;
}
