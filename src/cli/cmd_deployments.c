/* SPDX-License-Identifier: MIT
 * `ferry deployments ...`: named endpoints splitting traffic across model
 * versions (store/deployments.h), from the shell, over either transport. */
#include "api/deployments_ops.h"
#include "base/duration.h"
#include "base/json.h"
#include "base/sbuf.h"
#include "cli/cli.h"
#include "gateway/deploy_check.h"
#include "cli/cmd.h"
#include "client/client_deployments.h"
#include "client/client_predictions.h"
#include "cli/cli_time.h"
#include "base/ftime.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry deployments apply -f SPEC.yaml [--revision N] [--no-check]\n"
    "       ferry deployments list [--json]\n"
    "       ferry deployments get NAME [--json]\n"
    "       ferry deployments history NAME [--json]\n"
    "       ferry deployments status NAME [--window DURATION] [--json]\n"
    "       ferry deployments promote|rollback|pause|resume NAME [--reason TEXT]\n"
    "       ferry deployments delete NAME\n"
    "       ferry deployments loop NAME [--since T] [--until T] [--max-results N] [--json]\n"
    "       ferry deployments events [--after ID] [--kinds KIND,...] [--max-results N] [--json]\n"
    "       ferry deployments performance NAME [--bucket 1h] [--since T] [--until T]\n"
    "                                     [--slice tag:KEY|column:NAME] [--exact] [--json]\n"
    "\n"
    "  apply     a deployment's spec (YAML or JSON; docs/deployments.md): creates it, or\n"
    "            makes its next revision; model URIs are resolved to versions now\n"
    "  list      every deployment: revision, phase, targets with their live weights\n"
    "  get       one deployment: its spec and the controller's status\n"
    "  history   every change: who, when, what and why\n"
    "  status    the live weights and per-target figures every gateway reported:\n"
    "            requests per second, error rate, p99 latency\n"
    "  promote   the rollout's candidate becomes the only target (and the spec's\n"
    "            promote_alias moves to it)\n"
    "  rollback  the candidate's weight to 0\n"
    "  pause     a rollout holds its step; resume goes on (a rolled back one starts over)\n"
    "  delete    the deployment (its history stays in the events stream)\n"
    "  loop      the closed loop on one time axis, oldest first: alerts of its monitors,\n"
    "            trigger firings and their pipeline runs, gate verdicts, versions\n"
    "            registered, rollout steps, promotions and rollbacks (--json: JSON lines)\n"
    "  events    the events stream (deployment changes, ...), oldest first\n"
    "  performance  model quality per target from the prediction log and its labels:\n"
    "            accuracy, precision, recall, F1, ROC AUC, log loss (classifiers) or\n"
    "            RMSE, MAE, R^2 (regressors), latency and errors; per time bucket and\n"
    "            per slice; each target against the first with 95% intervals and\n"
    "            p-values (A/B)\n"
    "\n"
    "  -f, --file FILE      the spec (\"-\": standard input)\n"
    "  --revision N         apply only if the current revision is N (0: only if the\n"
    "                       deployment does not exist yet); a stale one is refused\n"
    "  --no-check           apply without loading the versions first (by default each\n"
    "                       target and shadow is fetched and loaded here, as a gateway\n"
    "                       would, and answering targets must take the same inputs)\n"
    "  --reason TEXT        why, for the history\n"
    "  --window DURATION    the figures' window (default 60s; e.g. 30s, 5m)\n"
    "  --after ID           events after this id (default 0: from the start)\n"
    "  --kinds K,...        only these kinds (exact, or \"deployment.*\")\n"
    "  --max-results N      at most N events (events: default 100, at most 1000; loop:\n"
    "                       default 1000, at most 10000, the newest kept)\n"
    "  --bucket DURATION    performance per time bucket (e.g. 1h, 1d; finer than an\n"
    "                       hour needs --exact)\n"
    "  --since T, --until T the window [since, until) (default: the last 24 hours; loop:\n"
    "                       everything, until inclusive): ms\n"
    "                       since the epoch, a UTC date (2026-12-03T08:00) or a\n"
    "                       duration ago (2h, 7d)\n"
    "  --slice S            performance per value of a request tag (tag:region) or of\n"
    "                       an input column (column:country, needs --exact)\n"
    "  --exact              from every row of the window (exact ROC AUC, bootstrap\n"
    "                       intervals for F1 and AUC) instead of the hourly aggregates\n"
    "  --json               JSON instead of a table or summary\n"
    "  -h, --help           this help\n";

struct opts {
    const char *file, *reason, *kinds, *slice;
    int64_t revision, window_ms, after, max_results, bucket_ms, since, until;
    int json, no_check, exact, max_given;
};

static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"file", required_argument, NULL, 'f'},
        {"revision", required_argument, NULL, 'r'},
        {"reason", required_argument, NULL, 'R'},
        {"window", required_argument, NULL, 'w'},
        {"after", required_argument, NULL, 'a'},
        {"kinds", required_argument, NULL, 'k'},
        {"max-results", required_argument, NULL, 'm'},
        {"json", no_argument, NULL, 'j'},
        {"no-check", no_argument, NULL, 'n'},
        {"bucket", required_argument, NULL, 'b'},
        {"since", required_argument, NULL, 's'},
        {"until", required_argument, NULL, 'u'},
        {"slice", required_argument, NULL, 'S'},
        {"exact", no_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    opterr = 0;
    o->revision = -1;
    o->window_ms = 60000;
    o->max_results = 100;
    while ((c = getopt_long(argc, argv, ":hf:", longopts, NULL)) != -1) {
        switch (c) {
        case 'f':
            o->file = optarg;
            break;
        case 'n':
            o->no_check = 1;
            break;
        case 'r':
            if (cli_parse_int64("--revision", optarg, 0, INT64_MAX, &o->revision))
                return 2;
            break;
        case 'R':
            o->reason = optarg;
            break;
        case 'w':
            if (duration_parse(optarg, &o->window_ms) || o->window_ms < 1000 ||
                o->window_ms > 3600 * 1000)
                return cli_usagef("--window: expected a duration from 1s to 1h, not '%s'", optarg);
            break;
        case 'a':
            if (cli_parse_int64("--after", optarg, 0, INT64_MAX, &o->after))
                return 2;
            break;
        case 'k':
            o->kinds = optarg;
            break;
        case 'm':
            if (cli_parse_int64("--max-results", optarg, 1, LOOP_MAX_EVENTS, &o->max_results))
                return 2;
            o->max_given = 1;
            break;
        case 'j':
            o->json = 1;
            break;
        case 'b':
            if (duration_parse(optarg, &o->bucket_ms) || o->bucket_ms < 1000 || o->bucket_ms % 1000)
                return cli_usagef("--bucket: expected a duration of whole seconds (1h, 15m, "
                                  "1d), not '%s'",
                                  optarg);
            break;
        case 's':
            if (cli_parse_time("--since", optarg, ftime_now_ms(), &o->since))
                return 2;
            break;
        case 'u':
            if (cli_parse_time("--until", optarg, ftime_now_ms(), &o->until))
                return 2;
            break;
        case 'S':
            o->slice = optarg;
            break;
        case 'x':
            o->exact = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            return cli_bad_option("deployments", argv, c, usage);
        }
    }
    return 0;
}

/* "fraud/1" for target i of d (or a shadow). */
static void target_label(const struct deploy_target *t, char *buf, size_t n)
{
    if (t->name && t->version)
        snprintf(buf, n, "%s/%" PRId64, t->name, t->version);
    else
        snprintf(buf, n, "%s", t->model ? t->model : "?");
}

static void live_targets(const struct deployment *d, struct sbuf *out)
{
    char label[300];
    for (size_t i = 0; i < d->spec.ntargets; i++) {
        target_label(&d->spec.targets[i], label, sizeof(label));
        sbuf_addf(out, "%s%s:%d", i ? " " : "", label, d->status.weights[i]);
    }
    for (size_t i = 0; i < d->spec.nshadows; i++) {
        target_label(&d->spec.shadows[i], label, sizeof(label));
        sbuf_addf(out, " shadow:%s", label);
    }
}

static int do_apply(struct client *c, struct opts *o)
{
    struct deployment d;
    struct ferr err = FERR_INIT;
    int changed = 0;
    if (!o->file)
        return cli_usagef("apply needs the spec: -f FILE");
    json_t *doc = NULL;
    struct deployment_spec spec;
    int rc = cli_read_yaml_spec(o->file, &doc, &err);
    if (rc > 0)
        return 1;
    /* the spec's own rules first (the store checks them again), then
     * whether its versions load, before anything is applied */
    if (rc == 0 && !o->no_check) {
        rc = deployment_spec_parse(doc, &spec, &err);
        if (rc == 0) {
            rc = deploy_check(c, &spec, &err);
            deployment_spec_release(&spec);
        }
    }
    if (rc == 0)
        rc = (o->no_check ? client_deployment_apply_unchecked
                          : client_deployment_apply)(c, doc, o->revision, &d, &changed, &err);
    json_decref(doc);
    if (rc)
        return cli_fail(&err);
    printf("deployment %s revision %" PRId64 " %s\n", d.name, d.revision,
           changed ? "applied" : "unchanged");
    deployment_release(&d);
    return 0;
}

static int do_list(struct client *c, struct opts *o)
{
    struct deployment_list l;
    struct ferr err = FERR_INIT;
    if (client_deployment_list(c, &l, &err))
        return cli_fail(&err);
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(a, api_deployment_to_json(&l.v[i]));
        cli_print_json(json_pack("{s:o}", "deployments", a));
    } else {
        static const char *const headers[] = {"NAME", "REVISION", "PHASE", "TARGETS"};
        struct table t;
        table_init(&t, 4, headers);
        for (size_t i = 0; i < l.n; i++) {
            struct sbuf targets = SBUF_INIT;
            live_targets(&l.v[i], &targets);
            table_add(&t, l.v[i].name);
            table_addf(&t, "%" PRId64, l.v[i].revision);
            table_add(&t, deploy_phase_name(l.v[i].status.phase));
            table_add(&t, targets.buf ? targets.buf : "");
            sbuf_release(&targets);
        }
        table_print(&t);
        table_release(&t);
    }
    deployment_list_release(&l);
    return 0;
}

static void print_summary(const struct deployment *d)
{
    char when[32], label[300], dur[24];
    const struct deployment_spec *s = &d->spec;
    const struct deployment_status *st = &d->status;
    printf("name:       %s\n", d->name);
    printf("revision:   %" PRId64 " (change %" PRId64 ")\n", d->revision, d->change);
    printf("phase:      %s", deploy_phase_name(st->phase));
    if (s->rollout.present && st->step >= 0 && (size_t)st->step < s->rollout.nsteps)
        printf(" (step %d of %zu: %d%%)", st->step + 1, s->rollout.nsteps,
               s->rollout.steps[st->step]);
    putchar('\n');
    if (st->reason && *st->reason)
        printf("reason:     %s\n", st->reason);
    cli_format_time(when, sizeof(when), d->updated_ms);
    printf("updated:    %s by %s\n", when, d->updated_by && *d->updated_by ? d->updated_by : "-");
    printf("targets:\n");
    for (size_t i = 0; i < s->ntargets; i++) {
        target_label(&s->targets[i], label, sizeof(label));
        char spec_weight[24];
        if (s->targets[i].weight < 0)
            snprintf(spec_weight, sizeof(spec_weight), "the rollout's");
        else
            snprintf(spec_weight, sizeof(spec_weight), "%d", s->targets[i].weight);
        printf("  %-30s weight %3d  (spec: %s)  %s\n", label, st->weights[i], spec_weight,
               s->targets[i].model ? s->targets[i].model : "");
    }
    if (s->nshadows) {
        printf("shadow (sample %g):\n", s->shadow_sample);
        for (size_t i = 0; i < s->nshadows; i++) {
            target_label(&s->shadows[i], label, sizeof(label));
            printf("  %-30s %s\n", label, s->shadows[i].model ? s->shadows[i].model : "");
        }
    }
    if (s->routing_key)
        printf("routing:    %s\n", s->routing_key);
    if (s->rollout.present) {
        printf("rollout:    steps");
        for (size_t i = 0; i < s->rollout.nsteps; i++)
            printf("%s%d", i ? "," : " ", s->rollout.steps[i]);
        duration_format(s->rollout.interval_ms, dur);
        printf(", interval %s, min_requests %" PRId64 ", failure_limit %d\n", dur,
               s->rollout.min_requests, s->rollout.failure_limit);
    }
    if (s->promote_alias)
        printf("promote:    @%s\n", s->promote_alias);
}

static int do_get(struct client *c, struct opts *o, const char *name)
{
    struct deployment d;
    struct ferr err = FERR_INIT;
    if (client_deployment_get(c, name, &d, &err))
        return cli_fail(&err);
    if (o->json)
        cli_print_json(json_pack("{s:o}", "deployment", api_deployment_to_json(&d)));
    else
        print_summary(&d);
    deployment_release(&d);
    return 0;
}

static int do_history(struct client *c, struct opts *o, const char *name)
{
    struct deployment_change_list l;
    struct ferr err = FERR_INIT;
    if (client_deployment_history(c, name, &l, &err))
        return cli_fail(&err);
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++)
            json_array_append_new(a, json_pack("{s:I, s:I, s:s, s:s, s:I, s:s}", "change",
                                               (json_int_t)l.v[i].change, "revision",
                                               (json_int_t)l.v[i].revision, "action", l.v[i].action,
                                               "user_id", l.v[i].user_id ? l.v[i].user_id : "",
                                               "time_ms", (json_int_t)l.v[i].time_ms, "reason",
                                               l.v[i].reason ? l.v[i].reason : ""));
        cli_print_json(json_pack("{s:s, s:o}", "name", name, "changes", a));
    } else {
        static const char *const headers[] = {"CHANGE", "REVISION", "TIME",
                                              "USER",   "ACTION",   "REASON"};
        struct table t;
        table_init(&t, 6, headers);
        for (size_t i = 0; i < l.n; i++) {
            char when[32];
            cli_format_time(when, sizeof(when), l.v[i].time_ms);
            table_addf(&t, "%" PRId64, l.v[i].change);
            table_addf(&t, "%" PRId64, l.v[i].revision);
            table_add(&t, when);
            table_add(&t, l.v[i].user_id && *l.v[i].user_id ? l.v[i].user_id : "-");
            table_add(&t, l.v[i].action);
            table_add(&t, l.v[i].reason && *l.v[i].reason ? l.v[i].reason : "-");
        }
        table_print(&t);
        table_release(&t);
    }
    deployment_change_list_release(&l);
    return 0;
}

static int do_act(struct client *c, struct opts *o, enum deploy_action act, const char *name)
{
    struct deployment d;
    struct ferr err = FERR_INIT, alias = FERR_INIT;
    if (client_deployment_act(c, name, act, -1, o->reason, &d, &alias, &err))
        return cli_fail(&err);
    printf("deployment %s: %s (revision %" PRId64 ", change %" PRId64 ", phase %s)\n", d.name,
           deploy_action_name(act), d.revision, d.change, deploy_phase_name(d.status.phase));
    deployment_release(&d);
    if (alias.code != FERR_OK)
        fprintf(stderr, "ferry: warning: the alias was not moved: %s\n", alias.msg);
    return 0;
}

static int do_delete(struct client *c, const char *name)
{
    struct ferr err = FERR_INIT;
    if (client_deployment_delete(c, name, &err))
        return cli_fail(&err);
    printf("deployment %s deleted\n", name);
    return 0;
}

static void cell_ms(struct table *t, double v)
{
    if (isnan(v))
        table_add(t, "-");
    else
        table_addf(t, "%.1f", v);
}

static int do_status(struct client *c, struct opts *o, const char *name)
{
    struct deployment d;
    struct target_figures_list f;
    struct ferr err = FERR_INIT;
    if (client_deployment_status(c, name, o->window_ms, &d, &f, &err))
        return cli_fail(&err);
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < f.n; i++)
            json_array_append_new(a, api_target_figures_to_json(&f.v[i]));
        cli_print_json(
            json_pack("{s:o, s:o}", "deployment", api_deployment_to_json(&d), "targets", a));
    } else {
        char dur[24];
        duration_format(o->window_ms, dur);
        printf("deployment %s revision %" PRId64 ", %s, over the last %s:\n", d.name, d.revision,
               deploy_phase_name(d.status.phase), dur);
        static const char *const headers[] = {"TARGET",     "WEIGHT", "REQ/S", "REQUESTS",
                                              "ERROR RATE", "P50 MS", "P99 MS"};
        struct table t;
        table_init(&t, 7, headers);
        for (size_t i = 0; i < f.n; i++) {
            table_add(&t, f.v[i].target);
            if (f.v[i].shadow)
                table_add(&t, "shadow");
            else
                table_addf(&t, "%d", f.v[i].weight);
            table_addf(&t, "%.2f", f.v[i].rps);
            table_addf(&t, "%" PRId64, f.v[i].requests);
            table_addf(&t, "%.2f%%", f.v[i].error_rate * 100);
            cell_ms(&t, f.v[i].p50_ms);
            cell_ms(&t, f.v[i].p99_ms);
        }
        table_print(&t);
        table_release(&t);
    }
    target_figures_list_release(&f);
    deployment_release(&d);
    return 0;
}

static int do_events(struct client *c, struct opts *o)
{
    struct store_event_list l;
    struct ferr err = FERR_INIT;
    const char *kinds[1] = {o->kinds};
    if (client_events_search(c, o->after, o->kinds ? kinds : NULL, o->kinds ? 1 : 0, o->max_results,
                             &l, &err))
        return cli_fail(&err);
    if (o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < l.n; i++) {
            json_t *payload = json_loads(l.v[i].payload ? l.v[i].payload : "{}", 0, NULL);
            json_array_append_new(a, json_pack("{s:I, s:I, s:s, s:s, s:s, s:o}", "id",
                                               (json_int_t)l.v[i].id, "time_ms",
                                               (json_int_t)l.v[i].time_ms, "kind", l.v[i].kind,
                                               "subject", l.v[i].subject ? l.v[i].subject : "",
                                               "user_id", l.v[i].user_id ? l.v[i].user_id : "",
                                               "payload", payload ? payload : json_object()));
        }
        cli_print_json(json_pack("{s:o}", "events", a));
    } else {
        static const char *const headers[] = {"ID", "TIME", "KIND", "SUBJECT", "USER"};
        struct table t;
        table_init(&t, 5, headers);
        for (size_t i = 0; i < l.n; i++) {
            char when[32];
            cli_format_time(when, sizeof(when), l.v[i].time_ms);
            table_addf(&t, "%" PRId64, l.v[i].id);
            table_add(&t, when);
            table_add(&t, l.v[i].kind);
            table_add(&t, l.v[i].subject);
            table_add(&t, l.v[i].user_id && *l.v[i].user_id ? l.v[i].user_id : "-");
        }
        table_print(&t);
        table_release(&t);
    }
    store_event_list_release(&l);
    return 0;
}

/* ---------- performance ---------- */

/* A metric as a table cell: 4 decimals, "-" when absent. */
static void cell_metric(struct table *t, json_t *metrics, const char *name)
{
    json_t *v = json_object_get(metrics, name);
    if (json_is_number(v))
        table_addf(t, "%.4f", json_number_value(v));
    else
        table_add(t, "-");
}

static const char *const class_metrics[] = {"accuracy", "precision", "recall",
                                            "f1",       "roc_auc",   "log_loss"};
static const char *const reg_metrics[] = {"rmse", "mae", "r2"};

/* One table of groups (targets, buckets or slices), its first column
 * named first and given by label(). */
static void perf_table(const char *first, json_t *groups, int regression, const char *key,
                       const char *prefix)
{
    const char *const *names = regression ? reg_metrics : class_metrics;
    size_t nm = regression ? 3 : 6, i;
    const char *headers[16];
    size_t nh = 0;
    headers[nh++] = first;
    headers[nh++] = "ROWS";
    headers[nh++] = "LABELED";
    static const char *const upper_c[] = {"ACCURACY", "PRECISION", "RECALL",
                                          "F1",       "ROC AUC",   "LOG LOSS"};
    static const char *const upper_r[] = {"RMSE", "MAE", "R2"};
    for (size_t k = 0; k < nm; k++)
        headers[nh++] = regression ? upper_r[k] : upper_c[k];
    headers[nh++] = "ERRORS";
    headers[nh++] = "P99 MS";
    struct table t;
    table_init(&t, nh, headers);
    json_t *g;
    json_array_foreach(groups, i, g)
    {
        json_t *k = json_object_get(g, key), *m = json_object_get(g, "metrics");
        json_t *f = json_object_get(g, "figures");
        if (json_is_integer(k)) {
            char when[32];
            cli_format_time(when, sizeof(when), json_integer_value(k));
            table_add(&t, when);
        } else {
            table_addf(&t, "%s%s%s", prefix ? prefix : "", json_string_value(k),
                       json_is_true(json_object_get(g, "shadow")) ? " (shadow)" : "");
        }
        table_addf(&t, "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(g, "count")));
        table_addf(&t, "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(g, "labeled")));
        for (size_t x = 0; x < nm; x++)
            cell_metric(&t, m, names[x]);
        json_t *er = json_object_get(f, "error_rate"), *p99 = json_object_get(f, "p99_ms");
        if (json_is_number(er))
            table_addf(&t, "%.2f%%", json_number_value(er) * 100);
        else
            table_add(&t, "-");
        if (json_is_number(p99))
            table_addf(&t, "%.1f", json_number_value(p99));
        else
            table_add(&t, "-");
    }
    table_print(&t);
    table_release(&t);
}

/* "0.0123 [0.0010, 0.0250]" (sign shown for differences) */
static void cell_interval(struct table *t, json_t *v, json_t *iv, int sign)
{
    json_t *lo = json_array_get(iv, 0), *hi = json_array_get(iv, 1);
    if (!json_is_number(v))
        table_add(t, "-");
    else if (json_is_number(lo) && json_is_number(hi) && sign)
        table_addf(t, "%+.4f [%+.4f, %+.4f]", json_number_value(v), json_number_value(lo),
                   json_number_value(hi));
    else if (json_is_number(lo) && json_is_number(hi))
        table_addf(t, "%.4f [%.4f, %.4f]", json_number_value(v), json_number_value(lo),
                   json_number_value(hi));
    else if (sign)
        table_addf(t, "%+.4f", json_number_value(v));
    else
        table_addf(t, "%.4f", json_number_value(v));
}

static void ab_table(json_t *ab)
{
    static const char *const headers[] = {"TARGET",         "BASELINE",      "METRIC",
                                          "VALUE [95% CI]", "BASE [95% CI]", "DELTA [95% CI]",
                                          "P-VALUE",        "N / BASE N"};
    static const char *const metrics[] = {"accuracy", "precision", "recall", "f1",
                                          "roc_auc",  "mae",       "mse"};
    struct table t;
    size_t i;
    json_t *e;
    table_init(&t, 8, headers);
    json_array_foreach(ab, i, e)
    {
        for (size_t k = 0; k < sizeof(metrics) / sizeof(*metrics); k++) {
            json_t *m = json_object_get(e, metrics[k]);
            if (!m)
                continue;
            json_t *p = json_object_get(m, "p_value");
            table_add(&t, json_string_value(json_object_get(e, "model")));
            table_add(&t, json_string_value(json_object_get(e, "baseline")));
            table_add(&t, metrics[k]);
            cell_interval(&t, json_object_get(m, "value"), json_object_get(m, "interval"), 0);
            cell_interval(&t, json_object_get(m, "baseline"),
                          json_object_get(m, "baseline_interval"), 0);
            cell_interval(&t, json_object_get(m, "delta"), json_object_get(m, "delta_interval"), 1);
            if (json_is_number(p))
                table_addf(&t, "%.4g", json_number_value(p));
            else
                table_add(&t, "-");
            json_t *n = json_object_get(m, "n"), *bn = json_object_get(m, "baseline_n");
            if (!n) {
                n = json_object_get(e, "n");
                bn = json_object_get(e, "baseline_n");
            }
            table_addf(&t, "%" JSON_INTEGER_FORMAT " / %" JSON_INTEGER_FORMAT,
                       json_integer_value(n), json_integer_value(bn));
        }
    }
    table_print(&t);
    table_release(&t);
}

static int do_performance(struct client *c, struct opts *o, const char *name)
{
    struct perf_query q;
    struct ferr err = FERR_INIT;
    json_t *a = NULL;
    memset(&q, 0, sizeof(q));
    q.deployment = name;
    q.start_ms = o->since;
    q.end_ms = o->until;
    q.bucket_ms = o->bucket_ms;
    q.slice = o->slice;
    q.exact = o->exact;
    if (client_deployment_performance(c, &q, &a, &err))
        return cli_fail(&err);
    if (o->json) {
        cli_print_json(a);
        return 0;
    }
    char from[32], to[32];
    cli_format_time(from, sizeof(from), json_integer_value(json_object_get(a, "start_time")));
    cli_format_time(to, sizeof(to), json_integer_value(json_object_get(a, "end_time")));
    printf("deployment %s, %s to %s UTC, %s:\n", name, from, to,
           json_is_true(json_object_get(a, "exact")) ? "exact, from the rows"
                                                     : "from the hourly aggregates");
    json_t *targets = json_object_get(a, "targets"), *tg;
    size_t i;
    int any_reg = 0, any_class = 0;
    json_array_foreach(targets, i, tg)
    {
        const char *task = json_string_value(json_object_get(tg, "task"));
        any_reg |= task && !strcmp(task, "regression");
        any_class |= !task || strcmp(task, "regression");
    }
    if (any_class || !any_reg)
        perf_table("TARGET", targets, 0, "model", NULL);
    if (any_reg)
        perf_table("TARGET", targets, 1, "model", NULL);
    json_array_foreach(targets, i, tg)
    {
        const char *task = json_string_value(json_object_get(tg, "task"));
        int reg = task && !strcmp(task, "regression");
        const char *model = json_string_value(json_object_get(tg, "model"));
        json_t *b = json_object_get(tg, "buckets"), *s = json_object_get(tg, "slices");
        if (json_array_size(b)) {
            printf("\n%s%s by %s:\n", model,
                   json_is_true(json_object_get(tg, "shadow")) ? " (shadow)" : "", "bucket");
            perf_table("BUCKET", b, reg, "start_time", NULL);
        }
        if (json_array_size(s)) {
            printf("\n%s%s by %s:\n", model,
                   json_is_true(json_object_get(tg, "shadow")) ? " (shadow)" : "",
                   json_string_value(json_object_get(a, "slice")));
            perf_table("VALUE", s, reg, "value", NULL);
            json_int_t other = json_integer_value(json_object_get(tg, "slices_other"));
            if (other)
                printf("(%" JSON_INTEGER_FORMAT " rows of further values not shown)\n", other);
        }
    }
    json_t *ab = json_object_get(a, "ab");
    if (json_array_size(ab)) {
        printf("\nA/B against %s (delta = target - baseline; 95%% intervals: Wilson and "
               "Newcombe for proportions, Welch for errors, a seeded bootstrap for F1 and AUC "
               "with --exact):\n",
               json_string_value(json_object_get(json_array_get(targets, 0), "model")));
        ab_table(ab);
    }
    json_decref(a);
    return 0;
}

/* A value as one word of a loop line: quoted as JSON quotes when it holds
 * a space or a quote. */
static void loop_value(json_t *v)
{
    if (json_is_integer(v)) {
        printf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return;
    }
    const char *s = json_string_value(v);
    if (!s)
        s = "";
    if (*s && !strpbrk(s, " \t\n\""))
        fputs(s, stdout);
    else {
        char *q = fjson_dumps(v, JSON_ENCODE_ANY); /* JSON's quoting */
        fputs(q, stdout);
        free(q);
    }
}

static int do_loop(struct client *c, struct opts *o, const char *name)
{
    struct loop_query q = {name, o->since, o->until, o->max_given ? o->max_results : 1000};
    struct loop_event_list l;
    int truncated;
    struct ferr err = FERR_INIT;
    if (client_deployment_loop(c, &q, &l, &truncated, &err))
        return cli_fail(&err);
    for (size_t i = 0; i < l.n; i++) {
        if (o->json) {
            json_t *j = api_loop_event_to_json(&l.v[i]);
            char *line = fjson_dumps(j, JSON_COMPACT);
            puts(line);
            free(line);
            json_decref(j);
            continue;
        }
        json_t *j = api_loop_event_to_json(&l.v[i]);
        const char *key;
        json_t *v;
        printf("%s  %-18s", json_string_value(json_object_get(j, "time")),
               loop_kind_name(l.v[i].kind));
        json_object_foreach(j, key, v)
        {
            if (!strcmp(key, "time") || !strcmp(key, "event") || !strcmp(key, "time_ms"))
                continue;
            if (json_is_string(v) && !*json_string_value(v))
                continue; /* an empty field says nothing */
            printf(" %s=", key);
            loop_value(v);
        }
        putchar('\n');
        json_decref(j);
    }
    if (truncated)
        fprintf(stderr, "ferry: only the newest %zu events are shown (--max-results, --since)\n",
                l.n);
    loop_event_list_release(&l);
    return 0;
}

int cmd_deployments(int argc, char **argv)
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
    static const char *const actions[] = {"apply",   "list",        "get",   "history", "status",
                                          "promote", "rollback",    "pause", "resume",  "delete",
                                          "events",  "performance", "loop"};
    size_t k = 0;
    while (k < sizeof(actions) / sizeof(actions[0]) && strcmp(action, actions[k]))
        k++;
    if (k == sizeof(actions) / sizeof(actions[0]))
        return cli_usagef("unknown action '%s'; see 'ferry deployments --help'", action);
    int prc = parse(argc - 1, argv + 1, &o);
    if (prc)
        return prc < 0 ? 0 : prc;
    char **pos = argv + 1 + optind;
    int npos = argc - 1 - optind;
    int takes_name = strcmp(action, "apply") && strcmp(action, "list") && strcmp(action, "events");
    if (npos != (takes_name ? 1 : 0))
        return cli_usage(usage);
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
    else if (!strcmp(action, "history"))
        rc = do_history(c, &o, pos[0]);
    else if (!strcmp(action, "status"))
        rc = do_status(c, &o, pos[0]);
    else if (!strcmp(action, "promote"))
        rc = do_act(c, &o, DEPLOY_ACT_PROMOTE, pos[0]);
    else if (!strcmp(action, "rollback"))
        rc = do_act(c, &o, DEPLOY_ACT_ROLLBACK, pos[0]);
    else if (!strcmp(action, "pause"))
        rc = do_act(c, &o, DEPLOY_ACT_PAUSE, pos[0]);
    else if (!strcmp(action, "resume"))
        rc = do_act(c, &o, DEPLOY_ACT_RESUME, pos[0]);
    else if (!strcmp(action, "delete"))
        rc = do_delete(c, pos[0]);
    else if (!strcmp(action, "performance"))
        rc = do_performance(c, &o, pos[0]);
    else if (!strcmp(action, "loop"))
        rc = do_loop(c, &o, pos[0]);
    else
        rc = do_events(c, &o);
    client_close(c);
    return rc;
}
