/* SPDX-License-Identifier: MIT
 * `ferry pipelines run|list|show` (docs/pipelines.md).
 *   run   plans the pipeline (pipelines/plan.h: every spec, param, input
 *         and entry point error is exit 2 before anything is recorded),
 *         then runs it (pipelines/engine.h), which prints a line per step
 *         event and a summary; --dry-run prints the plan instead.
 *   list  the pipeline runs, newest first (the lineage store's executions
 *         with step "").
 *   show  one pipeline run's steps in the spec's order (the spec is the
 *         run's artifact pipeline/pipeline.json): state, duration, the run
 *         a CACHED step reused, outputs with digests (the lineage graph one
 *         hop downstream of each step's run); a step without an execution
 *         never ran: SKIPPED (or PENDING while the pipeline runs). */
#include "cli/cmd.h"
#include "cli/cli.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "api/lineage_ops.h"
#include "client/client_artifacts.h"
#include "client/client_lineage.h"
#include "domain/pipeline_spec.h"
#include "pipelines/engine.h"
#include "pipelines/plan.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry pipelines run FILE|DIR|GIT_URI [--pipeline NAME] [--version V]\n"
    "                           [-P KEY=VALUE ...] [--parallel N] [--no-cache]\n"
    "                           [--from STEP] [--experiment-name NAME]\n"
    "                           [--env-manager local|virtualenv|conda|docker] [--dry-run]\n"
    "   or: ferry pipelines list [--max-results N] [--json]\n"
    "   or: ferry pipelines show RUN_ID [--json]\n"
    "\n"
    "run: runs a pipeline (pipeline.yaml, or an MLproject's pipelines: section)\n"
    "as a run with one child run per step. A step starts when the steps it reads\n"
    "from are done; a step whose code, params, inputs and environment match an\n"
    "earlier successful one is restored from it (CACHED). Spec, parameter and\n"
    "input errors are reported before anything runs or is recorded.\n"
    "list: the pipeline runs, newest first. show: one pipeline run's steps.\n"
    "\n"
    "  --pipeline NAME          which pipeline of an MLproject (or pipeline.yaml's name)\n"
    "  --version V              a git commit, branch or tag (the repository is cloned)\n"
    "  -P, --param KEY=VALUE    a pipeline parameter\n"
    "  --parallel N             steps running at once (1..256, default 4)\n"
    "  --no-cache               run every step (fingerprints are still recorded)\n"
    "  --from STEP              run STEP and its dependants without the cache\n"
    "  --experiment-name NAME   the experiment (default: the pipeline's name; created)\n"
    "  --env-manager M          local, virtualenv, conda or docker; default the project's\n"
    "  --dry-run                print the plan (steps in order, their commands, inputs\n"
    "                           and outputs); run and record nothing\n"
    "  --max-results N          list: at most N pipeline runs (default 100)\n"
    "  --json                   list, show: JSON instead of text\n"
    "  -h, --help               this help\n"
    "\n"
    "Exit status of run: 0 when every step is COMPLETE or CACHED; 1 when a step\n"
    "failed (or ferry did); 2 when the pipeline, its parameters or the options\n"
    "are wrong (nothing ran); 128+N when interrupted by signal N.\n";

struct opts {
    const char *pipeline, *version, *from, *experiment_name, *env_manager;
    struct kv_list params;
    int64_t parallel, max_results;
    int no_cache, dry_run, json;
};

static int parse_param(const char *s, struct kv_list *params)
{
    const char *eq = strchr(s, '=');
    if (!eq || eq == s)
        return cli_usagef("-P takes KEY=VALUE, got '%s'", s);
    struct sbuf k = SBUF_INIT;
    sbuf_add(&k, s, (size_t)(eq - s));
    kv_list_add(params, k.buf, eq + 1);
    sbuf_release(&k);
    return 0;
}

/* 0, -1 after --help (exit 0), or the usage status 2. */
static int parse(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"pipeline", required_argument, NULL, 'p'},
        {"version", required_argument, NULL, 'v'},
        {"param", required_argument, NULL, 'P'},
        {"parallel", required_argument, NULL, 'j'},
        {"no-cache", no_argument, NULL, 'C'},
        {"from", required_argument, NULL, 'f'},
        {"experiment-name", required_argument, NULL, 'n'},
        {"env-manager", required_argument, NULL, 'm'},
        {"dry-run", no_argument, NULL, 'd'},
        {"max-results", required_argument, NULL, 'M'},
        {"json", no_argument, NULL, 'J'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":hP:", longopts, NULL)) != -1) {
        switch (c) {
        case 'p':
            o->pipeline = optarg;
            break;
        case 'v':
            o->version = optarg;
            break;
        case 'P':
            if (parse_param(optarg, &o->params))
                return 2;
            break;
        case 'j':
            if (cli_parse_int64("--parallel", optarg, 1, 256, &o->parallel))
                return 2;
            break;
        case 'C':
            o->no_cache = 1;
            break;
        case 'f':
            o->from = optarg;
            break;
        case 'n':
            o->experiment_name = optarg;
            break;
        case 'm':
            o->env_manager = optarg;
            break;
        case 'd':
            o->dry_run = 1;
            break;
        case 'M':
            if (cli_parse_int64("--max-results", optarg, 1, 1000000, &o->max_results))
                return 2;
            break;
        case 'J':
            o->json = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            return cli_bad_option("pipelines", argv, c, usage);
        }
    }
    return 0;
}

/* "850ms", "2.1s", "3m04s", "1h02m": a step's duration for people. */
static void fmt_ms(char *buf, size_t n, int64_t ms)
{
    if (ms < 0)
        snprintf(buf, n, "-");
    else if (ms < 1000)
        snprintf(buf, n, "%" PRId64 "ms", ms);
    else if (ms < 60000)
        snprintf(buf, n, "%.1fs", (double)ms / 1000);
    else if (ms < 3600000)
        snprintf(buf, n, "%" PRId64 "m%02" PRId64 "s", ms / 60000, ms / 1000 % 60);
    else
        snprintf(buf, n, "%" PRId64 "h%02" PRId64 "m", ms / 3600000, ms / 60000 % 60);
}

/* A plan error is the user's (exit 2); anything else is ferry's (1). */
static int plan_failed(const struct ferr *err)
{
    cli_fail(err);
    return err->code == FERR_INVALID_PARAMETER_VALUE || err->code == FERR_RESOURCE_DOES_NOT_EXIST
               ? 2
               : 1;
}

/* ---------------------------------------------------------------- run */

/* --dry-run: the plan as plan.h describes it (each step in order with its
 * command, inputs and outputs; what only a run knows as placeholders). */
static int print_plan(const struct pipe_plan *p)
{
    struct sbuf out = SBUF_INIT;
    struct ferr err = FERR_INIT;
    int rc = 0;
    if (pipe_plan_describe(p, &out, &err))
        rc = plan_failed(&err);
    else
        fputs(out.buf, stdout);
    sbuf_release(&out);
    return rc;
}

static int do_run(struct client *cl, const struct opts *o, const char *uri)
{
    struct pipe_plan_opts po = {
        .uri = uri,
        .version = o->version,
        .pipeline = o->pipeline,
        .params = &o->params,
        .from_step = o->from,
        .env_manager = o->env_manager,
        .dry_run = o->dry_run,
    };
    struct pipe_plan plan;
    struct ferr err = FERR_INIT;
    memset(&plan, 0, sizeof(plan));
    if (pipe_plan_load(cl, &po, &plan, &err))
        return plan_failed(&err);
    int rc;
    if (o->dry_run) {
        rc = print_plan(&plan);
    } else {
        /* the engine prints a line per step event and the summary */
        struct pipe_run_opts eo = PIPE_RUN_OPTS_INIT;
        eo.parallel = o->parallel ? (int)o->parallel : 4;
        eo.no_cache = o->no_cache;
        eo.experiment_name = o->experiment_name;
        fflush(stdout); /* the steps write to the same terminal from other processes */
        rc = pipeline_run(cl, &plan, &eo, &err);
        if (err.code != FERR_OK)
            cli_fail(&err);
    }
    pipe_plan_release(&plan);
    return rc;
}

/* ---------------------------------------------------------------- list */

static int64_t exec_duration(const struct lineage_execution *e)
{
    return e->started_ms > 0 && e->ended_ms >= e->started_ms ? e->ended_ms - e->started_ms : -1;
}

static int do_list(struct client *cl, const struct opts *o)
{
    int64_t want = o->max_results ? o->max_results : 100;
    struct lineage_execution_list all;
    struct ferr err = FERR_INIT;
    char *token = NULL;
    int rc = 0;
    memset(&all, 0, sizeof(all));
    while ((int64_t)all.n < want) {
        struct lineage_execution_list page;
        memset(&page, 0, sizeof(page));
        int64_t ask = want - (int64_t)all.n;
        if (client_lineage_executions_list(
                cl, NULL, ask > LINEAGE_LIST_MAX ? LINEAGE_LIST_MAX : ask, token, &page, &err)) {
            rc = cli_fail(&err);
            lineage_execution_list_release(&page);
            break;
        }
        for (size_t i = 0; i < page.n; i++) { /* move each row into all */
            ALLOC_GROW(all.v, all.n + 1, all.alloc);
            all.v[all.n++] = page.v[i];
        }
        page.n = 0;
        free(token);
        token = page.next_page_token;
        page.next_page_token = NULL;
        lineage_execution_list_release(&page);
        if (!token)
            break;
    }
    free(token);
    if (!rc && o->json) {
        json_t *a = json_array();
        for (size_t i = 0; i < all.n; i++)
            json_array_append_new(a, api_lineage_execution_to_json(&all.v[i]));
        cli_print_json(json_pack("{s:o}", "executions", a));
    } else if (!rc) {
        static const char *const h[] = {"RUN_ID", "PIPELINE", "STATE", "STARTED", "DURATION"};
        struct table t;
        table_init(&t, 5, h);
        for (size_t i = 0; i < all.n; i++) {
            const struct lineage_execution *e = &all.v[i];
            char start[32], dur[32];
            cli_format_time(start, sizeof(start), e->started_ms);
            fmt_ms(dur, sizeof(dur), exec_duration(e));
            table_add(&t, e->run_id);
            table_add(&t, e->pipeline);
            table_add(&t, e->state);
            table_add(&t, start);
            table_add(&t, dur);
        }
        table_print(&t);
        table_release(&t);
    }
    lineage_execution_list_release(&all);
    return rc;
}

/* ---------------------------------------------------------------- show */

/* One step as show prints it. */
struct shown {
    const char *name;
    const struct pipe_step *st;        /* its spec; NULL without one */
    const struct lineage_execution *e; /* NULL: never ran */
    const char *state;                 /* e->state, SKIPPED or PENDING */
    char reason[PIPE_IDENT_MAX + 32];  /* SKIPPED: "train failed" */
    struct lineage_graph out;          /* one hop downstream of e's run */
};

/* The spec logged as the pipeline run's pipeline/pipeline.json, parsed;
 * 0 with *s, or -1 when the run has none (or it does not parse). */
static int load_spec(struct client *cl, const char *run_id, struct pipeline_spec *s)
{
    char dir[4096];
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/ferry-show-XXXXXX", t && *t == '/' ? t : "/tmp");
    if (!mkdtemp(dir))
        return -1;
    struct ferr err = FERR_INIT;
    int rc = -1;
    char path[4200];
    snprintf(path, sizeof(path), "%s/pipeline.json", dir);
    if (!client_download_artifacts(cl, run_id, "pipeline/pipeline.json", dir, NULL, NULL, &err)) {
        json_t *doc = json_load_file(path, 0, NULL);
        if (doc && !pipeline_spec_parse(doc, NULL, s, &err))
            rc = 0;
        json_decref(doc);
    }
    if (unlink(path) && errno != ENOENT)
        fprintf(stderr, "ferry: cannot remove %s\n", path);
    if (rmdir(dir))
        fprintf(stderr, "ferry: cannot remove %s\n", dir);
    return rc;
}

/* Every step execution of the pipeline run, all pages. */
static int load_steps(struct client *cl, const char *run_id, struct lineage_execution_list *all,
                      struct ferr *err)
{
    char *token = NULL;
    do {
        struct lineage_execution_list page;
        memset(&page, 0, sizeof(page));
        if (client_lineage_executions_list(cl, run_id, LINEAGE_LIST_MAX, token, &page, err)) {
            lineage_execution_list_release(&page);
            free(token);
            return -1;
        }
        for (size_t i = 0; i < page.n; i++) {
            ALLOC_GROW(all->v, all->n + 1, all->alloc);
            all->v[all->n++] = page.v[i];
        }
        page.n = 0;
        free(token);
        token = page.next_page_token;
        page.next_page_token = NULL;
        lineage_execution_list_release(&page);
    } while (token);
    return 0;
}

static const struct lineage_execution *find_exec(const struct lineage_execution_list *l,
                                                 const char *step)
{
    const struct lineage_execution *last = NULL;
    for (size_t i = 0; i < l->n; i++) /* the latest row of the step, should there be two */
        if (!strcmp(l->v[i].step, step) && *step)
            last = &l->v[i];
    return last;
}

/* The steps in show's order: the spec's (upstream first), else start
 * order; states of the steps that never ran worked out upstream first. */
static struct shown *collect(const struct pipeline_spec *s, int have_spec,
                             const struct lineage_execution_list *ex, int running, size_t *n)
{
    struct shown *v;
    if (have_spec) {
        *n = s->nsteps;
        v = xcalloc(*n ? *n : 1, sizeof(*v));
        for (size_t k = 0; k < s->nsteps; k++) {
            size_t i = s->order[k];
            v[k].name = s->steps[i].name;
            v[k].st = &s->steps[i];
            v[k].e = find_exec(ex, v[k].name);
            v[k].state = v[k].e ? v[k].e->state : NULL;
        }
        for (size_t k = 0; k < s->nsteps; k++) {
            const struct pipe_step *st = &s->steps[s->order[k]];
            if (v[k].state)
                continue;
            v[k].state = running ? "PENDING" : "SKIPPED";
            for (size_t u = 0; u < st->nupstream && !running; u++) {
                const char *un = s->steps[st->upstream[u]].name, *us = NULL;
                for (size_t j = 0; j < k; j++)
                    if (!strcmp(v[j].name, un))
                        us = v[j].state;
                if (us &&
                    (!strcmp(us, "FAILED") || !strcmp(us, "KILLED") || !strcmp(us, "SKIPPED"))) {
                    snprintf(v[k].reason, sizeof(v[k].reason), "%s %s", un,
                             !strcmp(us, "FAILED")   ? "failed"
                             : !strcmp(us, "KILLED") ? "was killed"
                                                     : "was skipped");
                    break;
                }
            }
        }
        return v;
    }
    *n = 0;
    v = xcalloc(ex->n ? ex->n : 1, sizeof(*v));
    for (size_t i = 0; i < ex->n; i++)
        if (*ex->v[i].step) {
            v[*n].name = ex->v[i].step;
            v[*n].e = &ex->v[i];
            v[*n].state = ex->v[i].state;
            (*n)++;
        }
    return v;
}

/* Where edge e's name comes in the step's `outputs:` (others after). */
static size_t output_rank(const struct shown *sh, const struct lineage_edge *e)
{
    for (size_t i = 0; sh->st && i < sh->st->noutputs; i++)
        if (!strcmp(sh->st->outputs[i].name, e->name))
            return i;
    return (size_t)-1;
}

/* The step's output edges in its spec's order (a few: insertion sort). */
static void sort_outputs(struct shown *sh)
{
    struct lineage_edge *v = sh->out.edges;
    for (size_t i = 1; i < sh->out.nedges; i++)
        for (size_t j = i; j > 0 && output_rank(sh, &v[j - 1]) > output_rank(sh, &v[j]); j--) {
            struct lineage_edge t = v[j - 1];
            v[j - 1] = v[j];
            v[j] = t;
        }
}

/* The output edges of a step's run: graph one hop downstream. */
static void load_outputs(struct client *cl, struct shown *sh)
{
    if (!sh->e)
        return;
    char *uri = lineage_run_uri(sh->e->run_id);
    struct ferr err = FERR_INIT;
    if (client_lineage_graph(cl, uri, LINEAGE_DOWNSTREAM, 1, 0, &sh->out, &err))
        fprintf(stderr, "ferry: outputs of step %s: %s\n", sh->name, err.msg);
    else
        sort_outputs(sh);
    free(uri);
}

static const struct lineage_node *graph_node(const struct lineage_graph *g, const char *id)
{
    for (size_t i = 0; i < g->nnodes; i++)
        if (!strcmp(g->nodes[i].id, id))
            return &g->nodes[i];
    return NULL;
}

static json_t *show_json(const struct run *pr, const struct shown *v, size_t n)
{
    json_t *steps = json_array();
    for (size_t k = 0; k < n; k++) {
        const struct shown *sh = &v[k];
        json_t *o = json_pack("{s:s, s:s}", "name", sh->name, "state", sh->state);
        if (sh->reason[0])
            json_object_set_new(o, "reason", json_string(sh->reason));
        if (sh->e) {
            json_object_set_new(o, "run_id", json_string(sh->e->run_id));
            json_object_set_new(o, "started_ms", json_integer(sh->e->started_ms));
            json_object_set_new(o, "ended_ms", json_integer(sh->e->ended_ms));
            if (exec_duration(sh->e) >= 0)
                json_object_set_new(o, "duration_ms", json_integer(exec_duration(sh->e)));
            if (*sh->e->cached_from)
                json_object_set_new(o, "cached_from", json_string(sh->e->cached_from));
            json_object_set_new(o, "fingerprint", json_string(sh->e->fingerprint));
            json_t *outs = json_array();
            for (size_t j = 0; j < sh->out.nedges; j++) {
                const struct lineage_edge *ed = &sh->out.edges[j];
                const struct lineage_node *nd = graph_node(&sh->out, ed->target);
                if (strcmp(ed->kind, LINEAGE_OUTPUT) || !nd)
                    continue;
                json_array_append_new(outs,
                                      json_pack("{s:s, s:s, s:s, s:s}", "name", ed->name, "uri",
                                                nd->id, "type", nd->type, "digest", nd->digest));
            }
            json_object_set_new(o, "outputs", outs);
        }
        json_array_append_new(steps, o);
    }
    const char *pname = kv_list_get(&pr->tags, "ferry.pipeline.name");
    json_t *run =
        json_pack("{s:s, s:s, s:s, s:s}", "run_id", pr->info.run_id, "pipeline",
                  pname ? pname : pr->info.run_name, "status", run_status_name(pr->info.status),
                  "experiment_id", pr->info.experiment_id);
    if (pr->info.start_time != TIME_NONE)
        json_object_set_new(run, "start_time", json_integer(pr->info.start_time));
    if (pr->info.end_time != TIME_NONE)
        json_object_set_new(run, "end_time", json_integer(pr->info.end_time));
    return json_pack("{s:o, s:o}", "pipeline_run", run, "steps", steps);
}

static void show_text(const struct run *pr, const struct shown *v, size_t n)
{
    const char *pname = kv_list_get(&pr->tags, "ferry.pipeline.name");
    char start[32], dur[32];
    cli_format_time(start, sizeof(start), pr->info.start_time);
    fmt_ms(dur, sizeof(dur),
           pr->info.start_time != TIME_NONE && pr->info.end_time != TIME_NONE
               ? pr->info.end_time - pr->info.start_time
               : -1);
    printf("pipeline %s  run %s  %s  started %s  %s  (experiment %s)\n",
           pname ? pname : pr->info.run_name, pr->info.run_id, run_status_name(pr->info.status),
           start, dur, pr->info.experiment_id);
    int w = 4;
    for (size_t k = 0; k < n; k++)
        if ((int)strlen(v[k].name) > w)
            w = (int)strlen(v[k].name);
    for (size_t k = 0; k < n; k++) {
        const struct shown *sh = &v[k];
        printf("%-*s  %-8s", w, sh->name, sh->state);
        if (!sh->e) {
            if (sh->reason[0])
                printf("  (%s)", sh->reason);
            putchar('\n');
            continue;
        }
        if (*sh->e->cached_from) {
            printf("  from %s  (run %s)\n", sh->e->cached_from, sh->e->run_id);
        } else {
            fmt_ms(dur, sizeof(dur), exec_duration(sh->e));
            printf("  %-7s  run %s\n", dur, sh->e->run_id);
        }
        for (size_t j = 0; j < sh->out.nedges; j++) {
            const struct lineage_edge *ed = &sh->out.edges[j];
            const struct lineage_node *nd = graph_node(&sh->out, ed->target);
            if (strcmp(ed->kind, LINEAGE_OUTPUT) || !nd)
                continue;
            printf("%-*s  output %s (%s) %.16s%s  %s\n", w, "", ed->name, nd->type, nd->digest,
                   strlen(nd->digest) > 16 ? ".." : "", nd->id);
        }
    }
}

static int do_show(struct client *cl, const struct opts *o, const char *run_id)
{
    struct run pr;
    struct ferr err = FERR_INIT;
    memset(&pr, 0, sizeof(pr));
    if (client_get_run(cl, run_id, &pr, &err))
        return cli_fail(&err);
    struct lineage_execution_list ex;
    memset(&ex, 0, sizeof(ex));
    struct pipeline_spec spec;
    memset(&spec, 0, sizeof(spec));
    int rc = 0;
    if (load_steps(cl, run_id, &ex, &err)) {
        rc = cli_fail(&err);
        goto out;
    }
    int have_spec = !load_spec(cl, run_id, &spec);
    const char *parent = kv_list_get(&pr.tags, "ferry.pipeline.runId");
    if (!have_spec && !ex.n && parent && strcmp(parent, run_id)) {
        const char *step = kv_list_get(&pr.tags, "ferry.pipeline.step");
        rc = cli_failf("run '%s' is step '%s' of pipeline run '%s': show that one", run_id,
                       step ? step : "?", parent);
        goto out;
    }
    if (!have_spec && !ex.n) {
        rc = cli_failf("run '%s' is not a pipeline run (no pipeline/pipeline.json, no steps)",
                       run_id);
        goto out;
    }
    size_t n;
    struct shown *v = collect(&spec, have_spec, &ex, pr.info.status == RUN_RUNNING, &n);
    for (size_t k = 0; k < n; k++)
        load_outputs(cl, &v[k]);
    if (o->json)
        cli_print_json(show_json(&pr, v, n));
    else
        show_text(&pr, v, n);
    for (size_t k = 0; k < n; k++)
        lineage_graph_release(&v[k].out);
    free(v);
out:
    pipeline_spec_release(&spec);
    lineage_execution_list_release(&ex);
    run_release(&pr);
    return rc;
}

/* ---------------------------------------------------------------- main */

int cmd_pipelines(int argc, char **argv)
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
    int want; /* positional arguments */
    if (!strcmp(action, "run") || !strcmp(action, "show"))
        want = 1;
    else if (!strcmp(action, "list"))
        want = 0;
    else
        return cli_usagef("unknown action '%s'; see 'ferry pipelines --help'", action);
    int rc = parse(argc - 1, argv + 1, &o);
    if (rc) {
        kv_list_release(&o.params);
        return rc < 0 ? 0 : rc;
    }
    char **pos = argv + 1 + optind;
    int run_only = o.pipeline || o.version || o.params.n || o.parallel || o.no_cache || o.from ||
                   o.experiment_name || o.env_manager || o.dry_run;
    const char *bad = NULL;
    if (strcmp(action, "run") && run_only)
        bad = "--pipeline, --version, -P, --parallel, --no-cache, --from, --experiment-name, "
              "--env-manager and --dry-run are options of 'run'";
    else if (strcmp(action, "list") && o.max_results)
        bad = "--max-results is an option of 'list'";
    else if (!strcmp(action, "run") && o.json)
        bad = "--json is an option of 'list' and 'show'";
    if (bad || argc - 1 - optind != want) {
        kv_list_release(&o.params);
        return bad ? cli_usagef("%s", bad) : cli_usage(usage);
    }
    struct client *cl;
    if (cli_open(&cl)) {
        kv_list_release(&o.params);
        return 1;
    }
    if (!strcmp(action, "run"))
        rc = do_run(cl, &o, pos[0]);
    else if (!strcmp(action, "list"))
        rc = do_list(cl, &o);
    else
        rc = do_show(cl, &o, pos[0]);
    client_close(cl);
    kv_list_release(&o.params);
    return rc;
}
