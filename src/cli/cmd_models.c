/* SPDX-License-Identifier: MIT
 * `ferry models ...`: the model registry from the shell, over either
 * transport. */
#include "cli/cli.h"
#include "cli/cli_data.h"
#include "cli/cmd.h"
#include "cli/models_run.h"
#include "base/env.h"
#include "api/codec_registry.h"
#include "client/client_registry.h"
#include "base/sbuf.h"
#include "domain/artifact_uri.h"
#include "models/model_files.h"
#include "models/model_log.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry models log DIR [--artifact-path PATH] [--run-id ID]\n"
    "       ferry models register SOURCE --name NAME [--description TEXT] [--tag KEY=VALUE ...]\n"
    "       ferry models list [--filter EXPR] [--max-results N] [--json]\n"
    "       ferry models describe NAME [--json]\n"
    "       ferry models versions NAME [--json]\n"
    "       ferry models transition NAME VERSION STAGE [--archive-existing]\n"
    "       ferry models alias NAME ALIAS VERSION\n"
    "       ferry models alias NAME ALIAS --delete\n"
    "       ferry models tag NAME [VERSION] KEY=VALUE\n"
    "       ferry models tag NAME [VERSION] KEY --delete\n"
    "       ferry models delete NAME [VERSION]\n"
    "       ferry models history NAME [--json]\n"
    "       ferry models resolve URI\n"
    "       ferry models serve -m URI [--host HOST] [--port PORT] [--workers N] [LIMITS]\n"

    "       ferry models predict -m URI -i INPUT.csv|INPUT.json|data:/... [-o OUTPUT.json]\n"
    "OUTPUT.json]\n"
    "       ferry models validate -m URI\n"
    "\n"
    "  log         a model directory (with its MLmodel) to a run as MLflow's log_model does:\n"
    "              files under PATH (default \"model\"), mlflow.log-model.history; the run\n"
    "              is --run-id, else $FERRY_RUN_ID, else $MLFLOW_RUN_ID\n"
    "  register    a new version of NAME from SOURCE (runs:/<run_id>/<path>, a directory or an\n"
    "              object-store URI); creates the registered model when it does not exist\n"
    "  transition  to None, Staging, Production or Archived; --archive-existing archives\n"
    "              the other versions in that stage\n"
    "  history     every change to the model: who, when, what (ferry servers only)\n"
    "  resolve     where models:/NAME/VERSION|STAGE|latest, models:/NAME@ALIAS or runs:/...\n"
    "              points to\n"
    "  serve       MLflow's scoring protocol for a model (a directory, runs:/ or models:/ URI):\n"
    "              /invocations, /explain (SHAP), /ping, /health, /metrics, /v2/...\n"
    "  predict     batch scoring in-process; CSV is read in chunks of 10,000 rows\n"
    "  validate    starts a scoring server as production would, sends the model's input\n"
    "              example, checks the answer against the signature, reports start and\n"
    "              latency; exits 1 on any failure (gate promotions on it in CI)\n"
    "\n"
    "  --filter EXPR     MLflow's registry search syntax: \"name LIKE 'fraud%' AND tags.team =\n"
    "                    'risk'\"\n"
    "  --json            MLflow's JSON instead of a table\n"
    "  -h, --help        this help\n"
    "\n"
    "serve's LIMITS, what one client and all of them may hold:\n" CLI_HTTP_LIMITS_HELP
    "serve's authentication (on by default on any address but loopback):\n"
    "  --auth                 ask every request but the health checks for credentials\n"
    "                         (HTTP basic auth or an API token of `ferry server`'s users);\n"
    "                         scoring a models:/ URI needs USE on the registered model\n"
    "  --no-auth              serve without (behind a gateway or proxy that checks)\n"
    "  --auth-store URI       the database holding the users (default: the tracking URI,\n"
    "                         which must then be a database, not a server)\n"
    "  --default-permission P on models where a user has none (default READ)\n"
    "  --tls-cert FILE        serve HTTPS with this PEM certificate (and chain)\n"
    "  --tls-key FILE         ... and this unencrypted PEM private key\n"
    "  --log-predictions      log each request to the store (docs/deployments.md);\n"
    "  --log-queue N          rows queued at most (50000)\n";

#define MAX_TAGS 64

struct opts {
    const char *name, *description, *filter, *model_uri, *host, *input, *output;
    const char *artifact_path, *run_id;
    int64_t port, workers;
    const char *tags[MAX_TAGS];
    size_t ntags;
    int64_t max_results;
    int json, archive, del;
    struct http_limits limits; /* serve */
    int auth;                  /* serve: 1 on, 0 off, -1 on unless loopback */
    const char *auth_store, *default_permission;
    const char *tls_cert, *tls_key;
    int log_predictions; /* serve */
    int64_t log_queue;
};

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"name", required_argument, NULL, 'n'},
        {"description", required_argument, NULL, 'd'},
        {"tag", required_argument, NULL, 't'},
        {"filter", required_argument, NULL, 'f'},
        {"max-results", required_argument, NULL, 'r'},
        {"json", no_argument, NULL, 'j'},
        {"archive-existing", no_argument, NULL, 'a'},
        {"delete", no_argument, NULL, 'x'},
        {"model-uri", required_argument, NULL, 'M'},
        {"input", required_argument, NULL, 'i'},
        {"output", required_argument, NULL, 'o'},
        {"host", required_argument, NULL, 'H'},
        {"port", required_argument, NULL, 'p'},
        {"workers", required_argument, NULL, 'w'},
        {"artifact-path", required_argument, NULL, 'A'},
        {"run-id", required_argument, NULL, 'R'},
        CLI_HTTP_LIMIT_OPTIONS,
        {"auth", no_argument, NULL, 'U'},
        {"no-auth", no_argument, NULL, 'N'},
        {"auth-store", required_argument, NULL, 'S'},
        {"default-permission", required_argument, NULL, 'P'},
        {"tls-cert", required_argument, NULL, 'C'},
        {"tls-key", required_argument, NULL, 'K'},
        {"log-predictions", no_argument, NULL, 0x3001},
        {"log-queue", required_argument, NULL, 0x3002},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    opterr = 0;
    o->port = 5000;
    o->limits = (struct http_limits)HTTP_LIMITS_INIT;
    o->auth = -1;
    while ((c = getopt_long(argc, argv, ":hm:i:o:", longopts, NULL)) != -1) {
        switch (c) {
        case 'n':
            o->name = optarg;
            break;
        case 'd':
            o->description = optarg;
            break;
        case 't':
            if (o->ntags == MAX_TAGS)
                return cli_usagef("at most %d --tag options", MAX_TAGS);
            o->tags[o->ntags++] = optarg;
            break;
        case 'f':
            o->filter = optarg;
            break;
        case 'r':
            if (cli_parse_int64("--max-results", optarg, 1, 200000, &o->max_results))
                return 2;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'a':
            o->archive = 1;
            break;
        case 'x':
            o->del = 1;
            break;
        case 'm':
        case 'M':
            o->model_uri = optarg;
            break;
        case 'H':
            o->host = optarg;
            break;
        case 'i':
            o->input = optarg;
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'p':
            if (cli_parse_int64("--port", optarg, 0, 65535, &o->port))
                return 2;
            break;
        case 'w':
            if (cli_parse_int64("--workers", optarg, 0, 1024, &o->workers))
                return 2;
            break;
        case 'A':
            o->artifact_path = optarg;
            break;
        case 'R':
            o->run_id = optarg;
            break;
        case 'U':
            o->auth = 1;
            break;
        case 'N':
            o->auth = 0;
            break;
        case 'S':
            o->auth_store = optarg;
            break;
        case 'P':
            o->default_permission = optarg;
            break;
        case 'C':
            o->tls_cert = optarg;
            break;
        case 'K':
            o->tls_key = optarg;
            break;
        case 0x3001:
            o->log_predictions = 1;
            break;
        case 0x3002:
            if (cli_parse_int64("--log-queue", optarg, 1, 100000000, &o->log_queue))
                return 2;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default: {
            int handled = cli_parse_http_limit(c, optarg, &o->limits);
            if (handled == 1)
                break;
            if (handled)
                return handled;
            return cli_bad_option("models", argv, c, usage);
        }
        }
    }
    return 0;
}

static void print_version_row(struct table *t, const struct model_version *v)
{
    char when[32];
    struct sbuf aliases = SBUF_INIT;
    cli_format_time(when, sizeof(when), v->creation_time);
    for (size_t i = 0; i < v->aliases.n; i++)
        sbuf_addf(&aliases, "%s@%s", i ? " " : "", v->aliases.v[i].key);
    table_addf(t, "%" PRId64, v->version);
    table_add(t, v->current_stage);
    table_add(t, aliases.len ? aliases.buf : "-");
    table_add(t, when);
    table_add(t, v->run_id ? v->run_id : "-");
    table_add(t, v->source);
    sbuf_release(&aliases);
}

static int do_log(struct client *c, struct opts *o, char **pos, int npos)
{
    struct ferr err = FERR_INIT;
    const char *run = o->run_id ? o->run_id : env_get("RUN_ID");
    if (npos != 1)
        return cli_usagef("log takes one model directory\n%s", usage);
    if (!run)
        return cli_usagef("no run: pass --run-id or set FERRY_RUN_ID");
    const char *path = o->artifact_path ? o->artifact_path : "model";
    if (model_log_dir(c, run, pos[0], path, &err))
        return cli_fail(&err);
    printf("logged %s to run %s as %s\n", pos[0], run, path);
    return 0;
}

static int do_register(struct client *c, struct opts *o, char **pos, int npos)
{
    struct ferr err = FERR_INIT;
    struct kv_list tags = {0};
    char run_id[33] = "";
    int rc = 1;
    if (npos != 1 || !o->name)
        return cli_usagef("register takes SOURCE and --name NAME\n%s", usage);
    for (size_t i = 0; i < o->ntags; i++) {
        const char *eq = strchr(o->tags[i], '=');
        if (!eq || eq == o->tags[i]) {
            kv_list_release(&tags);
            return cli_usagef("--tag takes KEY=VALUE, got '%s'", o->tags[i]);
        }
        struct sbuf key = SBUF_INIT;
        sbuf_add(&key, o->tags[i], (size_t)(eq - o->tags[i]));
        kv_list_add(&tags, key.buf, eq + 1);
        sbuf_release(&key);
    }
    /* runs:/<id>/... names its run, as mlflow.register_model reads it */
    if (!strncmp(pos[0], "runs:/", 6))
        snprintf(run_id, sizeof(run_id), "%.*s", (int)strcspn(pos[0] + 6, "/"), pos[0] + 6);
    struct reg_write cm = {.action = REG_CREATE_MODEL, .name = o->name};
    if (client_registry_write(c, &cm, &err) && err.code != FERR_RESOURCE_ALREADY_EXISTS) {
        rc = cli_fail(&err);
        goto out;
    }
    ferr_clear(&err);
    struct reg_write cv = {.action = REG_CREATE_VERSION,
                           .name = o->name,
                           .source = pos[0],
                           .run_id = *run_id ? run_id : NULL,
                           .description = o->description,
                           .tags = tags};
    if (client_registry_write(c, &cv, &err)) {
        rc = cli_fail(&err);
        goto out;
    }
    printf("registered %s version %" PRId64 "\n", o->name, cv.created_version);
    rc = 0;
out:
    kv_list_release(&tags);
    return rc;
}

static int do_list(struct client *c, struct opts *o)
{
    struct ferr err = FERR_INIT;
    struct registry_search q = {.filter = o->filter, .max_results = o->max_results};
    struct registered_model_list l;
    if (client_search_registered_models(c, &q, &l, &err))
        return cli_fail(&err);
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(a, codec_registered_model_to_json(&l.v[i]));
        cli_print_json(json_pack("{s:o}", "registered_models", a));
    } else {
        static const char *const headers[] = {"NAME", "LATEST", "ALIASES", "UPDATED"};
        struct table t;
        table_init(&t, 4, headers);
        for (size_t i = 0; i < l.n; i++) {
            const struct registered_model *m = &l.v[i];
            int64_t latest = 0;
            char when[32];
            struct sbuf al = SBUF_INIT;
            for (size_t k = 0; k < m->latest_versions.n; k++)
                if (m->latest_versions.v[k].version > latest)
                    latest = m->latest_versions.v[k].version;
            for (size_t k = 0; k < m->aliases.n; k++)
                sbuf_addf(&al, "%s@%s=%s", k ? " " : "", m->aliases.v[k].key,
                          m->aliases.v[k].value);
            cli_format_time(when, sizeof(when), m->last_updated_time);
            table_add(&t, m->name);
            if (latest)
                table_addf(&t, "%" PRId64, latest);
            else
                table_add(&t, "-");
            table_add(&t, al.len ? al.buf : "-");
            table_add(&t, when);
            sbuf_release(&al);
        }
        table_print(&t);
        table_release(&t);
    }
    if (l.next_page_token)
        fprintf(stderr, "more: --filter with a narrower expression, or --max-results\n");
    registered_model_list_release(&l);
    return 0;
}

static int do_versions(struct client *c, struct opts *o, const char *name)
{
    struct ferr err = FERR_INIT;
    struct sbuf filter = SBUF_INIT;
    sbuf_addstr(&filter, "name = '");
    for (const char *p = name; *p; p++)
        sbuf_add(&filter, *p == '\'' ? "''" : p, *p == '\'' ? 2 : 1);
    sbuf_addch(&filter, '\'');
    const char *order[] = {"version_number DESC"};
    struct registry_search q = {.filter = filter.buf, .order_by = order, .norder_by = 1};
    struct model_version_list l;
    int rc = client_search_model_versions(c, &q, &l, &err);
    sbuf_release(&filter);
    if (rc)
        return cli_fail(&err);
    if (o->json) {
        cli_print_json(json_pack("{s:o}", "model_versions", codec_model_version_list_to_json(&l)));
    } else {
        static const char *const headers[] = {"VERSION", "STAGE", "ALIASES",
                                              "CREATED", "RUN",   "SOURCE"};
        struct table t;
        table_init(&t, 6, headers);
        for (size_t i = 0; i < l.n; i++)
            print_version_row(&t, &l.v[i]);
        table_print(&t);
        table_release(&t);
    }
    model_version_list_release(&l);
    return 0;
}

static int do_describe(struct client *c, struct opts *o, const char *name)
{
    struct ferr err = FERR_INIT;
    struct registered_model m;
    if (client_get_registered_model(c, name, &m, &err))
        return cli_fail(&err);
    if (o->json) {
        cli_print_json(json_pack("{s:o}", "registered_model", codec_registered_model_to_json(&m)));
    } else {
        char when[32];
        cli_format_time(when, sizeof(when), m.creation_time);
        printf("name:         %s\ncreated:      %s\n", m.name, when);
        cli_format_time(when, sizeof(when), m.last_updated_time);
        printf("updated:      %s\ndescription:  %s\n", when, m.description ? m.description : "-");
        for (size_t i = 0; i < m.tags.n; i++)
            printf("tag:          %s=%s\n", m.tags.v[i].key, m.tags.v[i].value);
        for (size_t i = 0; i < m.aliases.n; i++)
            printf("alias:        @%s -> version %s\n", m.aliases.v[i].key, m.aliases.v[i].value);
        for (size_t i = 0; i < m.latest_versions.n; i++)
            printf("latest %-10s version %" PRId64 "\n", m.latest_versions.v[i].current_stage,
                   m.latest_versions.v[i].version);
    }
    registered_model_release(&m);
    return 0;
}

static int do_history(struct client *c, struct opts *o, const char *name)
{
    struct ferr err = FERR_INIT;
    struct registry_event_list l;
    if (client_registry_events(c, name, &l, &err))
        return cli_fail(&err);
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(a, codec_registry_event_to_json(&l.v[i]));
        cli_print_json(json_pack("{s:s, s:o}", "name", name, "events", a));
    } else {
        static const char *const headers[] = {"WHEN", "WHO", "ACTION", "VERSION", "DETAIL"};
        struct table t;
        table_init(&t, 5, headers);
        for (size_t i = 0; i < l.n; i++) {
            char when[32];
            cli_format_time(when, sizeof(when), l.v[i].time);
            table_add(&t, when);
            table_add(&t, *l.v[i].user_id ? l.v[i].user_id : "-");
            table_add(&t, l.v[i].action);
            if (l.v[i].version)
                table_addf(&t, "%" PRId64, l.v[i].version);
            else
                table_add(&t, "-");
            table_add(&t, l.v[i].detail);
        }
        table_print(&t);
        table_release(&t);
    }
    registry_event_list_release(&l);
    return 0;
}

/* transition, alias, tag, delete: one write each. */
static int do_write(struct client *c, struct opts *o, const char *action, char **pos, int npos)
{
    struct ferr err = FERR_INIT;
    struct reg_write w = {.name = pos[0]};
    const char *kv = NULL;
    if (!strcmp(action, "transition")) {
        if (npos != 3)
            return cli_usage(usage);
        w.action = REG_TRANSITION;
        w.stage = pos[2];
        w.archive_existing = o->archive;
    } else if (!strcmp(action, "alias")) {
        if (npos != (o->del ? 2 : 3))
            return cli_usage(usage);
        w.action = o->del ? REG_DELETE_ALIAS : REG_SET_ALIAS;
        w.alias = pos[1];
    } else if (!strcmp(action, "tag")) {
        if (npos != 2 && npos != 3)
            return cli_usage(usage);
        kv = pos[npos - 1];
        w.action = npos == 3 ? (o->del ? REG_DELETE_VERSION_TAG : REG_SET_VERSION_TAG)
                             : (o->del ? REG_DELETE_MODEL_TAG : REG_SET_MODEL_TAG);
    } else { /* delete */
        if (npos != 1 && npos != 2)
            return cli_usage(usage);
        w.action = npos == 2 ? REG_DELETE_VERSION : REG_DELETE_MODEL;
    }
    /* the version, where the action takes one */
    const char *ver = !strcmp(action, "transition") || (!strcmp(action, "delete") && npos == 2)
                          ? pos[1]
                      : !strcmp(action, "alias") && !o->del ? pos[2]
                      : !strcmp(action, "tag") && npos == 3 ? pos[1]
                                                            : NULL;
    if (ver && registry_parse_version(ver, &w.version, &err))
        return cli_fail(&err);
    struct sbuf key = SBUF_INIT;
    if (kv) {
        const char *eq = strchr(kv, '=');
        if (!o->del && (!eq || eq == kv))
            return cli_usagef("tag takes KEY=VALUE, got '%s'", kv);
        sbuf_add(&key, kv, eq && !o->del ? (size_t)(eq - kv) : strlen(kv));
        w.key = key.buf;
        w.value = eq && !o->del ? eq + 1 : NULL;
    }
    int rc = client_registry_write(c, &w, &err) ? cli_fail(&err) : 0;
    sbuf_release(&key);
    return rc;
}

static int do_resolve(struct client *c, const char *uri)
{
    struct ferr err = FERR_INIT;
    char *where;
    struct model_version v;
    if (client_resolve_model_uri(c, uri, &where, &v, &err))
        return cli_fail(&err);
    if (v.name)
        printf("%s (%s version %" PRId64 ", %s)\n", where, v.name, v.version, v.current_stage);
    else
        printf("%s\n", where);
    model_version_release(&v);
    free(where);
    return 0;
}

/* predict -i takes a dataset version too (data:/NAME/V[/FILE]). */
static int predict(struct client *c, const struct opts *o)
{
    struct sbuf in = SBUF_INIT;
    struct ferr err = FERR_INIT;
    int rc;
    if (o->input && cli_local_path(o->input, &in, &err))
        rc = cli_usagef("%s", err.msg);
    else
        rc = models_predict(c, o->model_uri, o->input ? in.buf : NULL, o->output);
    sbuf_release(&in);
    return rc;
}

int cmd_models(int argc, char **argv)
{
    struct opts o = {0};
    if (argc < 2)
        return cli_usage(usage);
    const char *action = argv[1];
    if (!strcmp(action, "-h") || !strcmp(action, "--help")) {
        fputs(usage, stdout);
        return 0;
    }
    static const char *const actions[] = {
        "register", "list",    "describe", "versions", "transition", "alias",    "tag",
        "delete",   "history", "resolve",  "serve",    "predict",    "validate", "log"};
    size_t k = 0;
    while (k < sizeof(actions) / sizeof(actions[0]) && strcmp(action, actions[k]))
        k++;
    if (k == sizeof(actions) / sizeof(actions[0]))
        return cli_usagef("unknown action '%s'; see 'ferry models --help'", action);
    int prc = parse(argc - 1, argv + 1, &o);
    if (prc)
        return prc < 0 ? 0 : prc;
    char **pos = argv + 1 + optind;
    int npos = argc - 1 - optind;
    int needs_name = strcmp(action, "list") && strcmp(action, "register") &&
                     strcmp(action, "log") && strcmp(action, "serve") &&
                     strcmp(action, "predict") && strcmp(action, "validate");
    if (needs_name && npos < 1)
        return cli_usage(usage);
    if ((!strcmp(action, "describe") || !strcmp(action, "versions") || !strcmp(action, "history") ||
         !strcmp(action, "resolve")) &&
        npos != 1)
        return cli_usage(usage);
    /* A model read from a directory needs no store: serving ./dir must not
     * open (or create) ./ferry.db, and works in a read-only directory. */
    int runs_model =
        !strcmp(action, "serve") || !strcmp(action, "predict") || !strcmp(action, "validate");
    struct client *c = NULL;
    if ((!(runs_model && o.model_uri && model_files_local(o.model_uri)) || o.log_predictions) &&
        cli_open(&c))
        return 1;
    int rc;
    if (!strcmp(action, "register"))
        rc = do_register(c, &o, pos, npos);
    else if (!strcmp(action, "log"))
        rc = do_log(c, &o, pos, npos);
    else if (!strcmp(action, "list"))
        rc = npos ? cli_usage(usage) : do_list(c, &o);
    else if (!strcmp(action, "describe"))
        rc = do_describe(c, &o, pos[0]);
    else if (!strcmp(action, "versions"))
        rc = do_versions(c, &o, pos[0]);
    else if (!strcmp(action, "history"))
        rc = do_history(c, &o, pos[0]);
    else if (!strcmp(action, "resolve"))
        rc = do_resolve(c, pos[0]);
    else if (!strcmp(action, "serve"))
        rc = npos ? cli_usage(usage)
                  : models_serve(c, o.model_uri,
                                 &(struct models_serve_opts){
                                     o.host, (int)o.port, (int)o.workers, o.limits, o.auth,
                                     o.auth_store, o.default_permission, o.tls_cert, o.tls_key,
                                     o.log_predictions, (size_t)o.log_queue});
    else if (!strcmp(action, "predict"))
        rc = npos ? cli_usage(usage) : predict(c, &o);
    else if (!strcmp(action, "validate"))
        rc = npos ? cli_usage(usage) : models_validate(c, o.model_uri);
    else
        rc = do_write(c, &o, action, pos, npos);
    client_close(c);
    return rc;
}
