/* SPDX-License-Identifier: MIT
 * `ferry runs list|describe|history|delete|restore`, over either transport. */
#include "cli/cmd.h"
#include "cli/cli.h"
#include "base/env.h"
#include "api/codec.h"
#include "domain/validate.h"

#include <getopt.h>
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
    "       ferry runs history RUN_ID METRIC_KEY [--json]\n"
    "       ferry runs delete RUN_ID\n"
    "       ferry runs restore RUN_ID\n"
    "\n"
    "  --experiment-id ID      search this experiment (repeatable)\n"
    "  --experiment-name NAME  search the experiment called NAME\n"
    "                          (default: $FERRY_EXPERIMENT_NAME, $MLFLOW_EXPERIMENT_NAME,\n"
    "                          $FERRY_EXPERIMENT_ID, $MLFLOW_EXPERIMENT_ID, else 0)\n"
    "  --filter EXPR           MLflow's run search syntax, plus OR, NOT and parentheses:\n"
    "                          \"metrics.acc > 0.9 AND (params.lr = '0.1' OR tags.team = 'nlp')\"\n"
    "  --order-by CLAUSE       metrics.<k>, params.<k>, tags.<k> or an attribute\n"
    "                          (start_time, end_time, run_name, status, ...), then ASC or\n"
    "                          DESC; keys with spaces in backquotes (repeatable)\n"
    "  --max-results N         at most N runs (default 1000, at most 50000)\n"
    "  --page-token TOKEN      the next page of an earlier list\n"
    "  --view WHICH            active (default), deleted or all runs\n"
    "  --json                  MLflow's JSON instead of a table\n"
    "  -h, --help              this help\n"
    "\n"
    "'history' prints every point of one metric, by step.\n";

#define MAX_MULTI 64

struct opts {
    const char *exp_ids[MAX_MULTI + 1]; /* + the one --experiment-name resolves to */
    size_t nexp;
    const char *exp_name, *filter, *view, *page_token;
    const char *order_by[MAX_MULTI];
    size_t norder;
    int64_t max_results;
    int json;
    enum view_type view_type; /* --view, parsed */
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
    int c, rc = 0;
    optind = 0;
    opterr = 0;
    while (!rc && (c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'e':
            if (o->nexp == MAX_MULTI)
                return cli_usagef("at most %d --experiment-id options", MAX_MULTI);
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
                return cli_usagef("at most %d --order-by clauses", MAX_MULTI);
            o->order_by[o->norder++] = optarg;
            break;
        case 'n':
            rc = cli_parse_int64("--max-results", optarg, 1, MAX_RESULTS_SEARCH_RUNS,
                                 &o->max_results);
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
            return cli_bad_option("runs", argv, c, usage);
        }
    }
    return rc;
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
    static const char *const hdr[] = {"RUN ID",   "NAME", "STATUS", "STARTED",
                                      "DURATION", "USER", "METRICS"};
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

/* Adds the experiment of --experiment-name, or of the environment when no
 * experiment was given, or "0". *e receives the looked-up experiment. */
static int resolve_experiment(struct client *c, struct opts *o, struct experiment *e, int *have_exp)
{
    struct ferr err = FERR_INIT;
    const char *name = o->exp_name, *id = NULL;
    if (!name && !o->nexp) {
        name = env_get("EXPERIMENT_NAME");
        id = env_get("EXPERIMENT_ID");
    }
    if (name) {
        if (client_get_experiment_by_name(c, name, e, &err))
            return cli_fail(&err);
        *have_exp = 1;
        o->exp_ids[o->nexp++] = e->experiment_id;
    } else if (!o->nexp) {
        o->exp_ids[o->nexp++] = id ? id : "0";
    }
    return 0;
}

static void print_runs_json(const struct run_list *l)
{
    json_t *a = json_array();
    for (size_t i = 0; i < l->n; i++)
        json_array_append_new(a, codec_run_to_json(&l->v[i]));
    json_t *doc = json_pack("{s:o}", "runs", a);
    if (l->next_page_token)
        json_object_set_new(doc, "next_page_token", json_string(l->next_page_token));
    cli_print_json(doc);
}

static int list(struct client *c, struct opts *o)
{
    struct ferr err = FERR_INIT;
    struct experiment e;
    struct run_list l;
    int have_exp = 0, rc;
    struct run_search q = {NULL,
                           0,
                           o->filter,
                           VIEW_ACTIVE_ONLY,
                           o->max_results ? o->max_results : DEFAULT_RESULTS_SEARCH_RUNS,
                           o->order_by,
                           o->norder,
                           o->page_token};
    q.view = o->view_type;
    if ((rc = resolve_experiment(c, o, &e, &have_exp)))
        goto out;
    q.experiment_ids = o->exp_ids;
    q.nexperiment_ids = o->nexp;
    if (client_search_runs(c, &q, &l, &err)) {
        rc = cli_fail(&err);
        goto out;
    }
    if (o->json)
        print_runs_json(&l);
    else
        print_table(&l);
    run_list_release(&l);
out:
    if (have_exp)
        experiment_release(&e);
    return rc;
}

static int history(struct client *c, const struct opts *o, const char *run_id, const char *key)
{
    struct ferr err = FERR_INIT;
    struct metric_list l;
    if (client_metric_history(c, run_id, key, &l, &err))
        return cli_fail(&err);
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(a, codec_metric_to_json(&l.v[i]));
        cli_print_json(json_pack("{s:o}", "metrics", a));
    } else {
        static const char *const hdr[] = {"STEP", "TIMESTAMP", "VALUE"};
        struct table t;
        table_init(&t, 3, hdr);
        for (size_t i = 0; i < l.n; i++) {
            char ts[32];
            cli_format_time(ts, sizeof(ts), l.v[i].timestamp);
            table_addf(&t, "%lld", (long long)l.v[i].step);
            table_add(&t, ts);
            table_addf(&t, "%.17g", l.v[i].value);
        }
        table_print(&t);
        table_release(&t);
    }
    metric_list_release(&l);
    return 0;
}

/* Fields a server may leave out arrive as NULL. */
static const char *str(const char *s)
{
    return s ? s : "";
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
           str(r->info.run_id), str(r->info.run_name), str(r->info.experiment_id),
           run_status_name(r->info.status), str(r->info.user_id), ts, te, dur,
           lifecycle_name(r->info.lifecycle_stage), str(r->info.artifact_uri));
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
        printf("input: %s (digest %s, source %s)\n", str(r->inputs[i].dataset.name),
               str(r->inputs[i].dataset.digest), str(r->inputs[i].dataset.source_type));
}

static int describe(struct client *c, const struct opts *o, const char *run_id)
{
    struct ferr err = FERR_INIT;
    struct run r;
    if (client_get_run(c, run_id, &r, &err))
        return cli_fail(&err);
    if (o->json)
        cli_print_json(json_pack("{s:o}", "run", codec_run_to_json(&r)));
    else
        print_run(&r);
    run_release(&r);
    return 0;
}

/* {action, positional arguments it takes}. */
static const struct {
    const char *name;
    int npos;
} actions[] = {{"list", 0}, {"describe", 1}, {"history", 2}, {"delete", 1}, {"restore", 1}};

#define NACTIONS (sizeof(actions) / sizeof(*actions))

static size_t find_action(const char *name)
{
    size_t k = 0;
    while (k < NACTIONS && strcmp(name, actions[k].name))
        k++;
    return k;
}

static int act(struct client *c, size_t k, struct opts *o, char **pos)
{
    struct ferr err = FERR_INIT;
    switch (k) {
    case 0:
        return list(c, o);
    case 1:
        return describe(c, o, pos[0]);
    case 2:
        return history(c, o, pos[0], pos[1]);
    case 3:
        return client_delete_run(c, pos[0], &err) ? cli_fail(&err) : 0;
    default:
        return client_restore_run(c, pos[0], &err) ? cli_fail(&err) : 0;
    }
}

int cmd_runs(int argc, char **argv)
{
    struct opts o;
    struct client *c;
    memset(&o, 0, sizeof(o));
    if (argc < 2)
        return cli_usage(usage);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, stdout);
        return 0;
    }
    /* Usage is checked before opening: a typo must not create ./ferry.db. */
    size_t k = find_action(argv[1]);
    if (k == NACTIONS)
        return cli_usagef("unknown action '%s' for 'ferry runs'; see --help", argv[1]);
    int rc = parse(argc - 1, argv + 1, &o);
    if (!rc && argc - 1 - optind != actions[k].npos)
        rc = cli_usage(usage);
    if (!rc)
        rc = cli_parse_view(o.view, &o.view_type);
    if (rc)
        return rc < 0 ? 0 : rc;
    if (cli_open(&c))
        return 1;
    rc = act(c, k, &o, argv + 1 + optind);
    client_close(c);
    return rc;
}
