/* SPDX-License-Identifier: MIT
 * `ferry triggers ...`: triggers (a pipeline run started by a schedule or
 * an event; docs/triggers.md) from the shell, over either transport
 * (client/client_triggers.h). On a local store the commands reach the
 * store itself: `fire` records the firing, which a `ferry server` on that
 * store runs (its trigger scheduler); through a server the server does. */
#include "api/triggers_ops.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/cmd.h"
#include "client/client_triggers.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry triggers apply -f TRIGGER.yaml [--revision N]\n"
    "   or: ferry triggers list [--json]\n"
    "   or: ferry triggers get NAME\n"
    "   or: ferry triggers history NAME [--max N] [--json]\n"
    "   or: ferry triggers fire NAME [-P KEY=VALUE]...\n"
    "   or: ferry triggers delete NAME\n"
    "\n"
    "A trigger starts a pipeline run by itself: on a schedule (cron, UTC), when a\n"
    "monitor opens an alert, when a dataset gets a new version or an alias moves, or\n"
    "when the model registry changes (docs/triggers.md). A `ferry server` runs the\n"
    "firings, at most once per event, on behalf of the user who applied the trigger.\n"
    "\n"
    "  apply     a trigger's spec (YAML or JSON): creates it, or the next revision.\n"
    "            A local pipeline path is made absolute (from the current directory)\n"
    "  list      the triggers and their last firing\n"
    "  get       one trigger as JSON: its spec and state\n"
    "  history   the trigger's firings, newest first\n"
    "  fire      fire the trigger now, by hand: -P event.X=V gives an event field of\n"
    "            its kind, -P KEY=V overrides a param\n"
    "  delete    the trigger (its firings stay in the history)\n"
    "\n"
    "  -f, --file FILE        the spec (\"-\": standard input)\n"
    "  --revision N           apply only if the current revision is N (0: only if new)\n"
    "  -P, --param KEY=VALUE  fire: an event field (event.X) or a param\n"
    "  --max N                history: at most N firings (default 20, at most 1000)\n"
    "  --json                 JSON instead of a table\n"
    "  -h, --help             this help\n"
    "\n"
    "Exit status: 0; 1 when the request fails; 2 on bad usage.\n";

struct opts {
    const char *file;
    int64_t revision, max;
    json_t *params; /* -P: {KEY: VALUE} */
    int json;
};

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"file", required_argument, NULL, 'f'},
        {"revision", required_argument, NULL, 'r'},
        {"param", required_argument, NULL, 'P'},
        {"max", required_argument, NULL, 'm'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    opterr = 0;
    o->revision = -1;
    o->max = 20;
    while ((c = getopt_long(argc, argv, ":hf:P:", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            o->file = optarg;
            break;
        case 'r':
            if (cli_parse_int64("--revision", optarg, 0, INT64_MAX, &o->revision))
                return 2;
            break;
        case 'm':
            if (cli_parse_int64("--max", optarg, 1, TRIGGER_HISTORY_MAX, &o->max))
                return 2;
            break;
        case 'P': {
            const char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg)
                return cli_usagef("-P takes KEY=VALUE, not '%s'", optarg);
            json_t *v = json_string(eq + 1);
            if (!v)
                return cli_usagef("-P %s: the value is not UTF-8", optarg);
            if (!o->params)
                o->params = json_object();
            char *key = xstrndup(optarg, (size_t)(eq - optarg));
            json_object_set_new(o->params, key, v);
            free(key);
            break;
        }
        case 'j':
            o->json = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            return cli_bad_option("triggers", argv, c, usage);
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

/* A local pipeline path made absolute (the server runs it from elsewhere):
 * 0; 1 when it does not exist (said on stderr). A git URL stays. */
static int absolute_pipeline(json_t *doc)
{
    json_t *pipeline = json_object_get(doc, "pipeline");
    const char *uri = json_string_value(json_object_get(pipeline, "uri"));
    if (!uri || !*uri || strstr(uri, "://") || !strncmp(uri, "git@", 4) || uri[0] == '/')
        return 0;
    size_t len = strcspn(uri, "#");
    char *path = xstrndup(uri, len);
    char *abs = realpath(path, NULL);
    if (!abs) {
        fprintf(stderr, "error: pipeline.uri '%s': %s\n", path, strerror(errno));
        free(path);
        return 1;
    }
    struct sbuf sb = SBUF_INIT;
    sbuf_addf(&sb, "%s%s", abs, uri + len);
    json_object_set_new(pipeline, "uri", json_string(sb.buf));
    sbuf_release(&sb);
    free(abs);
    free(path);
    return 0;
}

static int do_apply(struct client *c, struct opts *o)
{
    struct api_trigger t;
    struct ferr err = FERR_INIT;
    json_t *doc = NULL;
    int changed = 0;
    if (!o->file)
        return cli_usagef("apply needs the spec: -f FILE");
    int rc = cli_read_yaml_spec(o->file, &doc, &err);
    if (rc > 0)
        return 1;
    if (rc < 0)
        return cli_fail(&err);
    if (!json_is_object(doc)) {
        json_decref(doc);
        return cli_failf("%s: a trigger spec is a mapping", o->file);
    }
    if (absolute_pipeline(doc)) {
        json_decref(doc);
        return 1;
    }
    rc = client_trigger_apply(c, doc, o->revision, &t, &changed, &err);
    json_decref(doc);
    if (rc)
        return cli_fail(&err);
    printf("trigger %s revision %" PRId64 " %s\n", t.t.name, t.t.revision,
           changed ? "applied" : "unchanged");
    api_trigger_release(&t);
    return 0;
}

/* "schedule 0 3 * * *", "alert fraud-drift", ... from the stored spec. */
static void what_fires(const struct trigger *t, struct sbuf *out)
{
    json_t *spec = json_loads(t->spec ? t->spec : "", 0, NULL);
    json_t *on = json_object_get(json_object_get(spec, "on"), t->kind);
    sbuf_addstr(out, t->kind);
    if (json_is_string(on)) {
        sbuf_addf(out, " %s", json_string_value(on));
    } else if (json_is_object(on)) {
        const char *k;
        json_t *v;
        json_object_foreach(on, k, v)
        {
            if (json_is_string(v))
                sbuf_addf(out, " %s=%s", k, json_string_value(v));
        }
    }
    json_decref(spec);
}

static int do_list(struct client *c, struct opts *o)
{
    struct api_trigger_list l;
    struct ferr err = FERR_INIT;
    if (client_trigger_list(c, &l, &err))
        return cli_fail(&err);
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(a, api_trigger_to_json(&l.v[i]));
        cli_print_json(json_pack("{s:o}", "triggers", a));
    } else if (!l.n) {
        puts("no triggers");
    } else {
        static const char *const headers[] = {"NAME",     "ON",    "ENABLED",
                                              "REVISION", "OWNER", "LAST FIRING"};
        struct table tb;
        table_init(&tb, 6, headers);
        for (size_t i = 0; i < l.n; i++) {
            const struct api_trigger *a = &l.v[i];
            struct sbuf on = SBUF_INIT;
            char when[40];
            what_fires(&a->t, &on);
            table_add(&tb, a->t.name);
            table_add(&tb, on.buf);
            table_add(&tb, a->t.enabled ? "yes" : "no");
            table_addf(&tb, "%" PRId64, a->t.revision);
            table_add(&tb, *a->t.owner ? a->t.owner : "-");
            if (a->last_firing) {
                fmt_time(when, sizeof(when), a->last_firing->created_ms);
                table_addf(&tb, "%s %s", when, firing_state_name(a->last_firing->state));
            } else {
                table_add(&tb, "-");
            }
            sbuf_release(&on);
        }
        table_print(&tb);
        table_release(&tb);
    }
    api_trigger_list_release(&l);
    return 0;
}

static int do_get(struct client *c, const char *name)
{
    struct api_trigger t;
    struct ferr err = FERR_INIT;
    if (client_trigger_get(c, name, &t, &err))
        return cli_fail(&err);
    cli_print_json(api_trigger_to_json(&t));
    api_trigger_release(&t);
    return 0;
}

static int do_history(struct client *c, struct opts *o, const char *name)
{
    struct trigger_firing_list l;
    struct ferr err = FERR_INIT;
    char *next = NULL;
    if (client_trigger_history(c, name, o->max, NULL, &l, &next, &err))
        return cli_fail(&err);
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(a, api_trigger_firing_to_json(&l.v[i]));
        json_t *doc = json_pack("{s:o}", "firings", a);
        if (next)
            json_object_set_new(doc, "next_page_token", json_string(next));
        cli_print_json(doc);
    } else if (!l.n) {
        printf("no firings of %s\n", name);
    } else {
        static const char *const headers[] = {"ID",  "CREATED", "STATE", "EVENT",
                                              "RUN", "USER",    "DETAIL"};
        struct table tb;
        table_init(&tb, 7, headers);
        for (size_t i = 0; i < l.n; i++) {
            const struct trigger_firing *f = &l.v[i];
            char when[40];
            fmt_time(when, sizeof(when), f->created_ms);
            table_addf(&tb, "%" PRId64, f->id);
            table_add(&tb, when);
            table_add(&tb, firing_state_name(f->state));
            table_add(&tb, f->event_key);
            table_add(&tb, f->run_id && *f->run_id ? f->run_id : "-");
            table_add(&tb, f->user_id && *f->user_id ? f->user_id : "-");
            table_add(&tb, f->detail && *f->detail ? f->detail : "");
        }
        table_print(&tb);
        table_release(&tb);
        if (next)
            printf("(more: --max %d shows up to %d)\n", TRIGGER_HISTORY_MAX, TRIGGER_HISTORY_MAX);
    }
    free(next);
    trigger_firing_list_release(&l);
    return 0;
}

static int do_fire(struct client *c, struct opts *o, const char *name)
{
    struct trigger_firing f;
    struct ferr err = FERR_INIT;
    if (client_trigger_fire(c, name, o->params, &f, &err))
        return cli_fail(&err);
    printf("trigger %s fired: firing %" PRId64 " %s (%s)\n", name, f.id, firing_state_name(f.state),
           f.event_key);
    if (!client_is_remote(c))
        puts("a ferry server on this store runs it (its trigger scheduler)");
    trigger_firing_release(&f);
    return 0;
}

static int do_delete(struct client *c, const char *name)
{
    struct ferr err = FERR_INIT;
    if (client_trigger_delete(c, name, &err))
        return cli_fail(&err);
    printf("trigger %s deleted\n", name);
    return 0;
}

int cmd_triggers(int argc, char **argv)
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
    static const char *const actions[] = {"apply", "list", "get", "history", "fire", "delete"};
    size_t k = 0;
    while (k < sizeof(actions) / sizeof(actions[0]) && strcmp(action, actions[k]))
        k++;
    if (k == sizeof(actions) / sizeof(actions[0]))
        return cli_usagef("unknown action '%s'; see 'ferry triggers --help'", action);
    int rc = parse(argc - 1, argv + 1, &o);
    if (rc) {
        json_decref(o.params);
        return rc < 0 ? 0 : rc;
    }
    char **pos = argv + 1 + optind;
    int npos = argc - 1 - optind;
    int takes_name = strcmp(action, "apply") && strcmp(action, "list");
    if (npos != (takes_name ? 1 : 0) || (o.params && strcmp(action, "fire"))) {
        json_decref(o.params);
        return cli_usage(usage);
    }
    struct client *c = NULL;
    if (cli_open(&c)) {
        json_decref(o.params);
        return 1;
    }
    if (!strcmp(action, "apply"))
        rc = do_apply(c, &o);
    else if (!strcmp(action, "list"))
        rc = do_list(c, &o);
    else if (!strcmp(action, "get"))
        rc = do_get(c, pos[0]);
    else if (!strcmp(action, "history"))
        rc = do_history(c, &o, pos[0]);
    else if (!strcmp(action, "fire"))
        rc = do_fire(c, &o, pos[0]);
    else
        rc = do_delete(c, pos[0]);
    client_close(c);
    json_decref(o.params);
    return rc;
}
