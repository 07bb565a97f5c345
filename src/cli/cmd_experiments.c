/* SPDX-License-Identifier: MIT
 * `ferry experiments create|list|describe|rename|delete|restore|set-tag|
 * delete-tag`, over either transport. */
#include "cli/cmd.h"
#include "cli/cli.h"
#include "api/codec.h"
#include "domain/validate.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry experiments create NAME [--artifact-location URI] [--tag KEY=VALUE ...]\n"
    "                                [--json]\n"
    "       ferry experiments list [--view active|deleted|all] [--filter EXPR]\n"
    "                              [--order-by \"KEY [ASC|DESC]\" ...] [--max-results N]\n"
    "                              [--page-token TOKEN] [--json]\n"
    "       ferry experiments describe (ID | --name NAME) [--json]\n"
    "       ferry experiments rename ID NEW_NAME\n"
    "       ferry experiments delete ID\n"
    "       ferry experiments restore ID\n"
    "       ferry experiments set-tag ID KEY VALUE\n"
    "       ferry experiments delete-tag ID KEY\n"
    "\n"
    "  --artifact-location URI  where the experiment's runs keep artifacts\n"
    "                           (default: chosen by the store or server)\n"
    "  --tag KEY=VALUE          an experiment tag (repeatable)\n"
    "  --view WHICH             active (default), deleted or all experiments\n"
    "  --filter EXPR            MLflow's experiment search syntax, e.g.\n"
    "                           \"name LIKE 'prod%'\" or \"tags.team = 'vision'\"\n"
    "                           (ferry also takes OR, NOT and parentheses)\n"
    "  --order-by CLAUSE        e.g. \"name ASC\", \"creation_time DESC\" (repeatable)\n"
    "  --max-results N          at most N experiments (default 1000)\n"
    "  --page-token TOKEN       the next page of an earlier list\n"
    "  --name NAME              describe the experiment called NAME\n"
    "  --json                   MLflow's JSON instead of a table\n"
    "  -h, --help               this help\n";

#define MAX_MULTI 64

struct opts {
    const char *location, *filter, *name, *view, *page_token;
    const char *order_by[MAX_MULTI];
    size_t norder;
    int64_t max_results;
    int json;
    enum view_type view_type; /* --view, parsed */
    struct kv_list tags;
};

static int add_tag(struct opts *o, char *arg)
{
    char *eq = strchr(arg, '=');
    if (!eq)
        return cli_usagef("--tag takes KEY=VALUE, not '%s'", arg);
    *eq = '\0';
    kv_list_add(&o->tags, arg, eq + 1);
    *eq = '=';
    return 0;
}

/* Parses options; positional arguments end up in argv[optind..]. Returns 0,
 * 2 on bad usage, or -1 when --help was printed. */
static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"artifact-location", required_argument, NULL, 'a'},
        {"tag", required_argument, NULL, 't'},
        {"view", required_argument, NULL, 'v'},
        {"filter", required_argument, NULL, 'f'},
        {"order-by", required_argument, NULL, 'o'},
        {"max-results", required_argument, NULL, 'n'},
        {"page-token", required_argument, NULL, 'p'},
        {"name", required_argument, NULL, 'N'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, rc = 0;
    optind = 0;
    opterr = 0;
    while (!rc && (c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'a':
            o->location = optarg;
            break;
        case 't':
            rc = add_tag(o, optarg);
            break;
        case 'v':
            o->view = optarg;
            break;
        case 'f':
            o->filter = optarg;
            break;
        case 'p':
            o->page_token = optarg;
            break;
        case 'N':
            o->name = optarg;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'o':
            if (o->norder == MAX_MULTI)
                return cli_usagef("at most %d --order-by clauses", MAX_MULTI);
            o->order_by[o->norder++] = optarg;
            break;
        case 'n':
            rc = cli_parse_int64("--max-results", optarg, 1, MAX_RESULTS_SEARCH_EXPERIMENTS,
                                 &o->max_results);
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            return cli_bad_option("experiments", argv, c, usage);
        }
    }
    return rc;
}

static void print_list_table(const struct experiment_list *l)
{
    static const char *const hdr[] = {"ID", "NAME", "STAGE", "CREATED", "ARTIFACT LOCATION"};
    struct table t;
    table_init(&t, 5, hdr);
    for (size_t i = 0; i < l->n; i++) {
        char ts[32];
        cli_format_time(ts, sizeof(ts), l->v[i].creation_time);
        table_add(&t, l->v[i].experiment_id);
        table_add(&t, l->v[i].name);
        table_add(&t, lifecycle_name(l->v[i].lifecycle_stage));
        table_add(&t, ts);
        table_add(&t, l->v[i].artifact_location);
    }
    table_print(&t);
    table_release(&t);
    if (l->next_page_token)
        printf("(more experiments: --page-token %s)\n", l->next_page_token);
}

static int list(struct client *c, struct opts *o)
{
    struct experiment_search q = {
        o->filter,
        VIEW_ACTIVE_ONLY,
        o->max_results ? o->max_results : DEFAULT_RESULTS_SEARCH_EXPERIMENTS,
        o->order_by,
        o->norder,
        o->page_token};
    struct experiment_list l;
    struct ferr err = FERR_INIT;
    q.view = o->view_type;
    if (client_search_experiments(c, &q, &l, &err))
        return cli_fail(&err);
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(a, codec_experiment_to_json(&l.v[i]));
        json_t *doc = json_pack("{s:o}", "experiments", a);
        if (l.next_page_token)
            json_object_set_new(doc, "next_page_token", json_string(l.next_page_token));
        cli_print_json(doc);
    } else {
        print_list_table(&l);
    }
    experiment_list_release(&l);
    return 0;
}

static void print_experiment(const struct experiment *e)
{
    char ts[32], tu[32];
    cli_format_time(ts, sizeof(ts), e->creation_time);
    cli_format_time(tu, sizeof(tu), e->last_update_time);
    printf("id:                %s\nname:              %s\nlifecycle stage:   %s\n"
           "artifact location: %s\ncreated:           %s\nlast updated:      %s\n",
           e->experiment_id ? e->experiment_id : "", e->name ? e->name : "",
           lifecycle_name(e->lifecycle_stage), e->artifact_location ? e->artifact_location : "", ts,
           tu);
    if (e->tags.n)
        puts("tags:");
    for (size_t i = 0; i < e->tags.n; i++)
        printf("  %s = %s\n", e->tags.v[i].key, e->tags.v[i].value);
}

static int describe(struct client *c, struct opts *o, const char *id)
{
    struct experiment e;
    struct ferr err = FERR_INIT;
    int rc = o->name ? client_get_experiment_by_name(c, o->name, &e, &err)
                     : client_get_experiment(c, id, &e, &err);
    if (rc)
        return cli_fail(&err);
    if (o->json)
        cli_print_json(json_pack("{s:o}", "experiment", codec_experiment_to_json(&e)));
    else
        print_experiment(&e);
    experiment_release(&e);
    return 0;
}

static int create(struct client *c, struct opts *o, const char *name)
{
    struct ferr err = FERR_INIT;
    char *id = NULL;
    if (client_create_experiment(c, name, o->location, &o->tags, &id, &err))
        return cli_fail(&err);
    if (o->json)
        cli_print_json(json_pack("{s:s}", "experiment_id", id));
    else
        printf("created experiment '%s' with id %s\n", name, id);
    free(id);
    return 0;
}

/* {action, positional arguments} in the order act() dispatches on. */
static const struct {
    const char *name;
    int npos;
} actions[] = {{"list", 0},   {"describe", 1}, {"create", 1},  {"rename", 2},
               {"delete", 1}, {"restore", 1},  {"set-tag", 3}, {"delete-tag", 2}};

#define NACTIONS (sizeof(actions) / sizeof(*actions))

static int act(struct client *c, size_t k, struct opts *o, char **pos)
{
    struct ferr err = FERR_INIT;
    int rc;
    switch (k) {
    case 0:
        return list(c, o);
    case 1:
        return describe(c, o, o->name ? NULL : pos[0]);
    case 2:
        return create(c, o, pos[0]);
    case 3:
        rc = client_rename_experiment(c, pos[0], pos[1], &err);
        break;
    case 4:
        rc = client_delete_experiment(c, pos[0], &err);
        break;
    case 5:
        rc = client_restore_experiment(c, pos[0], &err);
        break;
    case 6:
        rc = client_set_experiment_tag(c, pos[0], pos[1], pos[2], &err);
        break;
    default:
        rc = client_delete_experiment_tag(c, pos[0], pos[1], &err);
        break;
    }
    return rc ? cli_fail(&err) : 0;
}

int cmd_experiments(int argc, char **argv)
{
    struct opts o;
    struct client *c;
    size_t k = 0;
    memset(&o, 0, sizeof(o));
    if (argc < 2)
        return cli_usage(usage);
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        fputs(usage, stdout);
        return 0;
    }
    while (k < NACTIONS && strcmp(argv[1], actions[k].name))
        k++;
    /* Usage is checked before opening: a typo must not create ./ferry.db. */
    if (k == NACTIONS)
        return cli_usagef("unknown action '%s' for 'ferry experiments'; see --help", argv[1]);
    int rc = parse(argc - 1, argv + 1, &o);
    int npos = argc - 1 - optind;
    if (!rc && npos != actions[k].npos - (k == 1 && o.name))
        rc = cli_usage(usage);
    if (!rc)
        rc = cli_parse_view(o.view, &o.view_type);
    if (!rc && cli_open(&c))
        rc = 1;
    else if (!rc) {
        rc = act(c, k, &o, argv + 1 + optind);
        client_close(c);
    }
    kv_list_release(&o.tags);
    return rc < 0 ? 0 : rc;
}
