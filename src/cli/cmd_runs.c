/* SPDX-License-Identifier: MIT
 * `ferry runs list|describe|delete|restore`. */
#include "cli/cli.h"
#include "api/codec.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry runs list [--experiment-id ID ...] [--experiment-name NAME]\n"
    "                       [--filter EXPR] [--order-by \"KEY [ASC|DESC]\" ...]\n"
    "                       [--max-results N] [--page-token TOKEN]\n"
    "                       [--view active|deleted|all] [--json]\n"
    "       ferry runs describe RUN_ID [--json]\n"
    "       ferry runs delete RUN_ID\n"
    "       ferry runs restore RUN_ID\n"
    "\n"
    "Without an experiment, lists experiment 0 (or $FERRY_EXPERIMENT_NAME).\n"
    "Filters use MLflow's run search syntax plus OR, NOT and parentheses, e.g.\n"
    "  --filter \"metrics.acc > 0.9 AND (params.lr = '0.1' OR tags.team = 'nlp')\"\n"
    "Order keys: metrics.<k>, params.<k>, tags.<k>, or an attribute (start_time,\n"
    "end_time, run_name, status, ...); keys with spaces in backquotes.\n";

#define MAX_MULTI 64

struct opts {
    const char *exp_ids[MAX_MULTI];
    size_t nexp;
    const char *exp_name, *filter, *view, *page_token;
    const char *order_by[MAX_MULTI];
    size_t norder;
    long long max_results;
    int json;
};

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"experiment-id", required_argument, NULL, 'e'},
        {"experiment-name", required_argument, NULL, 'E'},
        {"filter", required_argument, NULL, 'f'},
        {"order-by", required_argument, NULL, 'o'},
        {"max-results", required_argument, NULL, 'n'},
        {"page-token", required_argument, NULL, 'p'},
        {"view", required_argument, NULL, 'v'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'e':
            if (o->nexp == MAX_MULTI)
                return cli_failf("too many --experiment-id options") + 1;
            o->exp_ids[o->nexp++] = optarg;
            break;
        case 'E':
            o->exp_name = optarg;
            break;
        case 'f':
            o->filter = optarg;
            break;
        case 'o':
            if (o->norder == MAX_MULTI)
                return cli_failf("too many --order-by options") + 1;
            o->order_by[o->norder++] = optarg;
            break;
        case 'n':
            o->max_results = strtoll(optarg, NULL, 10);
            break;
        case 'p':
            o->page_token = optarg;
            break;
        case 'v':
            o->view = optarg;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            return cli_usage(usage);
        }
    }
    return 0;
}

static void fmt_duration(char *buf, size_t n, const struct run_info *ri)
{
    if (ri->start_time == TIME_NONE || ri->end_time == TIME_NONE) {
        snprintf(buf, n, "-");
        return;
    }
    double s = (double)(ri->end_time - ri->start_time) / 1000.0;
    if (s < 60)
        snprintf(buf, n, "%.1fs", s);
    else if (s < 3600)
        snprintf(buf, n, "%.1fmin", s / 60);
    else
        snprintf(buf, n, "%.1fh", s / 3600);
}

static void print_table(const struct run_list *l)
{
    static const char *const hdr[] = {"RUN ID", "NAME", "STATUS", "STARTED", "DURATION",
                                      "USER", "METRICS"};
    struct table t;
    table_init(&t, 7, hdr);
    for (size_t i = 0; i < l->n; i++) {
        const struct run *r = &l->v[i];
        char ts[32], dur[32];
        cli_format_time(ts, sizeof(ts), r->info.start_time);
        fmt_duration(dur, sizeof(dur), &r->info);
        table_add(&t, r->info.run_id);
        table_add(&t, r->info.run_name);
        table_add(&t, run_status_name(r->info.status));
        table_add(&t, ts);
        table_add(&t, dur);
        table_add(&t, r->info.user_id);
        struct sbuf m = SBUF_INIT;
        for (size_t k = 0; k < r->metrics.n && k < 4; k++)
            sbuf_addf(&m, "%s%s=%.4g", k ? " " : "", r->metrics.v[k].key, r->metrics.v[k].value);
        if (r->metrics.n > 4)
            sbuf_addf(&m, " (+%zu)", r->metrics.n - 4);
        table_add(&t, m.buf);
        sbuf_release(&m);
    }
    table_print(&t);
    table_release(&t);
    if (l->next_page_token)
        printf("(more runs: --page-token %s)\n", l->next_page_token);
}

static int list(struct client *c, struct opts *o)
{
    struct ferr err = FERR_INIT;
    struct experiment e;
    int have_exp = 0, rc = 1;
    const char *name = o->exp_name;
    if (!name && !o->nexp) {
        name = getenv("FERRY_EXPERIMENT_NAME");
        if (!name || !*name)
            name = getenv("MLFLOW_EXPERIMENT_NAME");
        if (name && !*name)
            name = NULL;
    }
    if (name) {
        if (client_get_experiment_by_name(c, name, &e, &err))
            return cli_fail(&err);
        have_exp = 1;
        o->exp_ids[o->nexp++] = e.experiment_id;
    } else if (!o->nexp) {
        o->exp_ids[o->nexp++] = "0";
    }
    struct run_search q = {o->exp_ids, o->nexp, o->filter, VIEW_ACTIVE_ONLY,
                           o->max_results ? o->max_results : 1000, o->order_by, o->norder,
                           o->page_token};
    struct run_list l;
    if (cli_parse_view(o->view, &q.view)) {
        rc = 2;
        goto out;
    }
    if (client_search_runs(c, &q, &l, &err)) {
        cli_fail(&err);
        goto out;
    }
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(a, codec_run_to_json(&l.v[i]));
        json_t *doc = json_pack("{s:o}", "runs", a);
        if (l.next_page_token)
            json_object_set_new(doc, "next_page_token", json_string(l.next_page_token));
        cli_print_json(doc);
    } else {
        print_table(&l);
    }
    run_list_release(&l);
    rc = 0;
out:
    if (have_exp)
        experiment_release(&e);
    return rc;
}

static void print_run(const struct run *r)
{
    char ts[32], te[32], dur[32];
    cli_format_time(ts, sizeof(ts), r->info.start_time);
    cli_format_time(te, sizeof(te), r->info.end_time);
    fmt_duration(dur, sizeof(dur), &r->info);
    printf("run id:          %s\nname:            %s\nexperiment id:   %s\nstatus:          %s\n"
           "user:            %s\nstarted:         %s\nended:           %s\nduration:        %s\n"
           "lifecycle stage: %s\nartifact uri:    %s\n",
           r->info.run_id, r->info.run_name, r->info.experiment_id,
           run_status_name(r->info.status), r->info.user_id, ts, te, dur,
           lifecycle_name(r->info.lifecycle_stage), r->info.artifact_uri);
    struct {
        const char *title;
        const struct kv_list *l;
    } sections[] = {{"params", &r->params}, {"tags", &r->tags}};
    for (size_t s = 0; s < 2; s++) {
        if (sections[s].l->n)
            printf("%s:\n", sections[s].title);
        for (size_t i = 0; i < sections[s].l->n; i++)
            printf("  %s = %s\n", sections[s].l->v[i].key, sections[s].l->v[i].value);
    }
    if (r->metrics.n)
        puts("metrics (latest):");
    for (size_t i = 0; i < r->metrics.n; i++)
        printf("  %s = %.10g (step %lld)\n", r->metrics.v[i].key, r->metrics.v[i].value,
               (long long)r->metrics.v[i].step);
    for (size_t i = 0; i < r->ninputs; i++)
        printf("input: %s (digest %s, source %s)\n", r->inputs[i].dataset.name,
               r->inputs[i].dataset.digest, r->inputs[i].dataset.source_type);
}

static int act(struct client *c, const char *action, struct opts *o, int npos, char **pos)
{
    struct ferr err = FERR_INIT;
    if (!strcmp(action, "list"))
        return npos ? cli_usage(usage) : list(c, o);
    if (npos != 1)
        return strcmp(action, "describe") && strcmp(action, "delete") && strcmp(action, "restore")
                   ? cli_failf("unknown action '%s' for 'ferry runs'", action) + 1
                   : cli_usage(usage);
    if (!strcmp(action, "describe")) {
        struct run r;
        if (client_get_run(c, pos[0], &r, &err))
            return cli_fail(&err);
        if (o->json)
            cli_print_json(json_pack("{s:o}", "run", codec_run_to_json(&r)));
        else
            print_run(&r);
        run_release(&r);
        return 0;
    }
    int rc;
    if (!strcmp(action, "delete"))
        rc = client_delete_run(c, pos[0], &err);
    else if (!strcmp(action, "restore"))
        rc = client_restore_run(c, pos[0], &err);
    else
        return cli_failf("unknown action '%s' for 'ferry runs'", action) + 1;
    return rc ? cli_fail(&err) : 0;
}

int cmd_runs(int argc, char **argv)
{
    struct opts o;
    memset(&o, 0, sizeof(o));
    if (argc < 2)
        return cli_usage(usage);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, stdout);
        return 0;
    }
    int rc = parse(argc - 1, argv + 1, &o);
    if (rc)
        return rc < 0 ? 0 : rc;
    struct client *c;
    if (cli_open(&c))
        return 1;
    rc = act(c, argv[1], &o, argc - 1 - optind, argv + 1 + optind);
    client_close(c);
    return rc;
}
