/* SPDX-License-Identifier: MIT
 * `ferry experiments create|list|describe|rename|delete|restore`. */
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
    "       ferry experiments list [--view active|deleted|all] [--filter EXPR]\n"
    "                              [--order-by KEY [ASC|DESC] ...] [--max-results N] [--json]\n"
    "       ferry experiments describe (ID | --name NAME) [--json]\n"
    "       ferry experiments rename ID NEW_NAME\n"
    "       ferry experiments delete ID\n"
    "       ferry experiments restore ID\n"
    "\n"
    "Filters use MLflow's experiment search syntax, e.g. \"name LIKE 'prod%'\" or\n"
    "\"tags.team = 'vision'\", plus OR, NOT and parentheses.\n";

struct opts {
    const char *location, *filter, *name, *view;
    const char *order_by[16];
    size_t norder;
    long long max_results;
    int json;
    struct kv_list tags;
};

/* Parses options after the action; leaves positional arguments in argv[optind..]. */
static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"artifact-location", required_argument, NULL, 'a'},
        {"tag", required_argument, NULL, 't'},
        {"view", required_argument, NULL, 'v'},
        {"filter", required_argument, NULL, 'f'},
        {"order-by", required_argument, NULL, 'o'},
        {"max-results", required_argument, NULL, 'n'},
        {"name", required_argument, NULL, 'N'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'a':
            o->location = optarg;
            break;
        case 't': {
            char *eq = strchr(optarg, '=');
            if (!eq)
                return cli_failf("--tag takes KEY=VALUE, got '%s'", optarg) + 1;
            *eq = '\0';
            kv_list_add(&o->tags, optarg, eq + 1);
            break;
        }
        case 'v':
            o->view = optarg;
            break;
        case 'f':
            o->filter = optarg;
            break;
        case 'o':
            if (o->norder == 16)
                return cli_failf("at most 16 --order-by keys") + 1;
            o->order_by[o->norder++] = optarg;
            break;
        case 'n':
            o->max_results = strtoll(optarg, NULL, 10);
            break;
        case 'N':
            o->name = optarg;
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

int cli_parse_view(const char *s, enum view_type *out)
{
    *out = VIEW_ACTIVE_ONLY;
    if (!s || !strcmp(s, "active"))
        return 0;
    if (!strcmp(s, "deleted"))
        *out = VIEW_DELETED_ONLY;
    else if (!strcmp(s, "all"))
        *out = VIEW_ALL;
    else
        return cli_failf("--view takes active, deleted or all, not '%s'", s) + 1;
    return 0;
}

static int list(struct client *c, struct opts *o)
{
    struct experiment_search q = {o->filter, VIEW_ACTIVE_ONLY,
                                  o->max_results ? o->max_results : 1000, o->order_by, o->norder,
                                  NULL};
    struct experiment_list l;
    struct ferr err = FERR_INIT;
    if (cli_parse_view(o->view, &q.view))
        return 2;
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
        static const char *const hdr[] = {"ID", "NAME", "STAGE", "CREATED", "ARTIFACT LOCATION"};
        struct table t;
        table_init(&t, 5, hdr);
        for (size_t i = 0; i < l.n; i++) {
            char ts[32];
            cli_format_time(ts, sizeof(ts), l.v[i].creation_time);
            table_add(&t, l.v[i].experiment_id);
            table_add(&t, l.v[i].name);
            table_add(&t, lifecycle_name(l.v[i].lifecycle_stage));
            table_add(&t, ts);
            table_add(&t, l.v[i].artifact_location);
        }
        table_print(&t);
        table_release(&t);
    }
    experiment_list_release(&l);
    return 0;
}

static int describe(struct client *c, struct opts *o, const char *id)
{
    struct experiment e;
    struct ferr err = FERR_INIT;
    int rc = o->name ? client_get_experiment_by_name(c, o->name, &e, &err)
                     : client_get_experiment(c, id, &e, &err);
    if (rc)
        return cli_fail(&err);
    if (o->json) {
        cli_print_json(json_pack("{s:o}", "experiment", codec_experiment_to_json(&e)));
    } else {
        char ts[32], tu[32];
        cli_format_time(ts, sizeof(ts), e.creation_time);
        cli_format_time(tu, sizeof(tu), e.last_update_time);
        printf("id:                %s\nname:              %s\nlifecycle stage:   %s\n"
               "artifact location: %s\ncreated:           %s\nlast updated:      %s\n",
               e.experiment_id, e.name, lifecycle_name(e.lifecycle_stage), e.artifact_location,
               ts, tu);
        for (size_t i = 0; i < e.tags.n; i++)
            printf("tag:               %s = %s\n", e.tags.v[i].key, e.tags.v[i].value);
    }
    experiment_release(&e);
    return 0;
}

static int act(struct client *c, const char *action, struct opts *o, int npos, char **pos)
{
    struct ferr err = FERR_INIT;
    int rc;
    if (!strcmp(action, "list"))
        return npos ? cli_usage(usage) : list(c, o);
    if (!strcmp(action, "describe"))
        return npos == !o->name ? describe(c, o, npos ? pos[0] : NULL) : cli_usage(usage);
    if (!strcmp(action, "create")) {
        char *id = NULL;
        if (npos != 1)
            return cli_usage(usage);
        if (client_create_experiment(c, pos[0], o->location, &o->tags, &id, &err))
            return cli_fail(&err);
        printf(o->json ? "{\"experiment_id\": \"%s\"}\n" : "created experiment '%s' with id %s\n",
               o->json ? id : pos[0], id);
        free(id);
        return 0;
    }
    if (!strcmp(action, "rename"))
        rc = npos == 2 ? client_rename_experiment(c, pos[0], pos[1], &err) : -2;
    else if (!strcmp(action, "delete"))
        rc = npos == 1 ? client_delete_experiment(c, pos[0], &err) : -2;
    else if (!strcmp(action, "restore"))
        rc = npos == 1 ? client_restore_experiment(c, pos[0], &err) : -2;
    else
        return cli_failf("unknown action '%s' for 'ferry experiments'", action) + 1;
    if (rc == -2)
        return cli_usage(usage);
    return rc ? cli_fail(&err) : 0;
}

int cmd_experiments(int argc, char **argv)
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
    if (rc) {
        kv_list_release(&o.tags);
        return rc < 0 ? 0 : rc;
    }
    struct client *c;
    if (cli_open(&c)) {
        kv_list_release(&o.tags);
        return 1;
    }
    rc = act(c, argv[1], &o, argc - 1 - optind, argv + 1 + optind);
    client_close(c);
    kv_list_release(&o.tags);
    return rc;
}
