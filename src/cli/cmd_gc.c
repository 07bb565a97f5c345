/* SPDX-License-Identifier: MIT
 * `ferry gc`: permanently removes deleted runs and experiments and their
 * artifacts, as `mlflow gc` does -- but the artifacts really go, proxied
 * (mlflow-artifacts:/) and local alike. Each run's rows are purged first,
 * in a transaction that re-checks it is deleted, and its files after: a run
 * restored meanwhile keeps everything, and a purged run cannot be restored
 * onto half its files. Works on the store file directly (the server may
 * keep running), or through a server (an http:// tracking URI), which then
 * collects in its own store and artifact destination (store/collect.h is
 * the one implementation of both). */
#include "cli/cmd.h"
#include "cli/cli.h"
#include "api/gc_ops.h"
#include "artifacts/repo.h"
#include "base/env.h"
#include "base/ftime.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "client/transport.h"
#include "data/data_port.h"
#include "store/collect.h"
#include "store/data_collect.h"
#include "store/monitors.h"
#include "store/predictions.h"
#include "store/store.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry gc [--backend-store-uri URI] [--artifacts-destination DIR]\n"
    "                [--older-than DURATION] [--run-ids ID,ID...] [--dry-run]\n"
    "\n"
    "Permanently removes runs in the deleted state (and runs of deleted experiments),\n"
    "their params, metrics, tags, inputs and artifacts, then the deleted experiments.\n"
    "Active runs and their artifacts are never touched. Also removes the part files of\n"
    "uploads a killed server left in the artifacts destination (untouched for an hour),\n"
    "and the prediction log's days older than each deployment's log retention (30 days\n"
    "for deleted deployments or without a log section), and monitors' window reports\n"
    "older than 90 days. Dataset objects that no dataset version names and that no\n"
    "add touched for an hour (or --older-than, when longer) go too: loose files, and\n"
    "pack files once none of their objects is live (a pack holding a live object\n"
    "stays whole; the report gives its live and dead bytes).\n"
    "\n"
    "  --backend-store-uri URI      the store, or a server's http(s):// URI (default:\n"
    "                               $FERRY_TRACKING_URI or $MLFLOW_TRACKING_URI, else\n"
    "                               ./ferry.db)\n"
    "  --artifacts-destination DIR  where the server keeps proxied artifacts\n"
    "                               (mlflow-artifacts:/ URIs; default ./mlartifacts)\n"
    "                               and datasets (default $FERRY_ARTIFACTS_DESTINATION,\n"
    "                               else mlartifacts beside a SQLite file);\n"
    "                               through a server, the server's own\n"
    "  --older-than DURATION        only what was deleted at least this long ago:\n"
    "                               30d, 12h, 45m, 10s (default: everything deleted)\n"
    "  --run-ids IDS                only these deleted runs (comma-separated)\n"
    "  --dry-run                    print what would be removed, remove nothing\n"
    "  -h, --help                   this help\n";

static int parse_duration(const char *s, int64_t *ms)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    int64_t unit = !strcmp(end, "d")   ? 86400000
                   : !strcmp(end, "h") ? 3600000
                   : !strcmp(end, "m") ? 60000
                   : !strcmp(end, "s") ? 1000
                   : !*end && v == 0   ? 1
                                       : -1;
    if (errno || end == s || v < 0 || unit < 0 || v > INT64_MAX / 86400000)
        return cli_usagef("invalid --older-than '%s': expected e.g. 30d, 12h, 45m or 10s", s);
    *ms = v * unit;
    return 0;
}

/* "a,b,c" -> a NULL-terminated array of pointers into a copy (*buf). */
static const char **split_ids(const char *ids, char **buf, size_t *n)
{
    const char **v;
    *n = 0;
    *buf = NULL;
    if (!ids)
        return NULL;
    *buf = xstrdup(ids);
    v = xcalloc(strlen(ids) + 2, sizeof(*v));
    for (char *p = *buf; *p;) {
        size_t k = strcspn(p, ",");
        char *next = p + k + (p[k] == ',');
        p[k] = '\0';
        if (*p)
            v[(*n)++] = p;
        p = next;
    }
    return v;
}

/* Prints the report as `ferry gc` always has; 1 when anything failed. */
static int print_report(const struct collect_report *r, int dry)
{
    for (size_t i = 0; i < r->n; i++) {
        const struct collect_item *it = &r->v[i];
        const char *what = it->is_experiment ? "experiment" : "run";
        if (it->outcome == COLLECT_WOULD_PURGE && it->is_experiment)
            printf("would purge experiment %s\n", it->id);
        else if (it->outcome == COLLECT_WOULD_PURGE)
            printf("would purge run %s (artifacts %s)\n", it->id, it->location);
        else if (it->outcome == COLLECT_FAILED)
            fprintf(stderr, "ferry: %s %s: %s\n", what, it->id, it->error ? it->error : "failed");
        else if (it->is_experiment)
            printf("purged experiment %s (artifact location: %s)\n", it->id,
                   it->artifacts ? it->artifacts : "kept");
        else {
            if (it->error)
                fprintf(stderr, "ferry: run %s purged, but its artifacts at %s remain: %s\n",
                        it->id, it->location, it->error);
            printf("purged run %s (artifacts: %s)\n", it->id,
                   it->artifacts ? it->artifacts : "kept");
        }
    }
    long long nr = r->runs, ne = r->experiments, nu = r->uploads;
    if (dry && nu)
        printf("would remove %lld unfinished upload%s\n", nu, nu == 1 ? "" : "s");
    if (!dry)
        printf("%lld run%s and %lld experiment%s purged, %lld unfinished upload%s removed\n", nr,
               nr == 1 ? "" : "s", ne, ne == 1 ? "" : "s", nu, nu == 1 ? "" : "s");
    return r->failures ? 1 : 0;
}

static void print_datasets(const struct data_collect_report *d, int dry)
{
    if (d->skipped) {
        printf("datasets: not collected: %s\n", d->skipped);
        return;
    }
    for (size_t i = 0; i < d->npacks; i++) {
        const struct data_collect_pack *p = &d->packs[i];
        if (p->removed)
            printf("%s pack %s (%lld dead bytes)\n", dry ? "would remove" : "removed", p->id,
                   (long long)p->dead_bytes);
        else
            printf("kept pack %s: %lld live bytes in %lld object%s, %lld dead bytes%s\n", p->id,
                   (long long)p->live_bytes, (long long)p->live_objects,
                   p->live_objects == 1 ? "" : "s", (long long)p->dead_bytes,
                   dry ? " (would be)" : "");
    }
    if (d->error)
        fprintf(stderr, "ferry: datasets: %s\n", d->error);
    long long no = d->objects, nl = d->loose_files, np = d->packs_removed;
    printf("datasets: %s%lld object%s (%lld bytes): %lld loose file%s, %lld pack%s\n",
           dry ? "would collect " : "collected ", no, no == 1 ? "" : "s", (long long)d->bytes, nl,
           nl == 1 ? "" : "s", np, np == 1 ? "" : "s");
    if (d->orphan_files)
        printf("datasets: %s%lld file%s no object row names (%lld bytes, left by killed adds)\n",
               dry ? "would remove " : "removed ", (long long)d->orphan_files,
               d->orphan_files == 1 ? "" : "s", (long long)d->orphan_bytes);
}

/* Through a server: it collects in its own store and artifact destination. */
static int collect_remote(const char *uri, const struct rq_gc *q, struct rs_gc *r, struct ferr *err)
{
    struct client *c;
    memset(r, 0, sizeof(*r));
    if (client_open(uri, &c, err))
        return -1;
    int rc = client_call(c, &api_gc, (void *)q, r, err);
    client_close(c);
    return rc;
}

/* Opens dir as a repository when it exists (gc must not create
 * directories); *out NULL otherwise. */
static int open_if_there(const char *dir, struct artifact_repo **out, struct ferr *err)
{
    struct stat st;
    *out = NULL;
    return stat(dir, &st) == 0 ? artifact_repo_open(dir, out, err) : 0;
}

/* On the database file: the artifact destination is opened only when it
 * exists (gc must not create directories). The prediction log's expired
 * days go too (r->log_partitions; not in a dry run), as the server's gc does;
 * and, on a full collection, the unreferenced dataset objects of the data
 * root (data_dir; NULL: the one beside the store). */
static int collect_local(const char *uri, const char *dest_dir, const char *data_dir,
                         const struct rq_gc *q, struct rs_gc *g, struct ferr *err)
{
    struct store_opts so = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct artifact_repo *dest = NULL, *data = NULL;
    struct collect_report *r = &g->report;
    char *root = data_dir ? xstrdup(data_dir) : data_port_root_dir(uri);
    struct collect_opts o = {ftime_now_ms() - q->older_than_ms, q->run_ids, q->nrun_ids, q->dry_run,
                             NULL};
    memset(g, 0, sizeof(*g));
    int rc = store_open(uri, &so, &s, err) || open_if_there(dest_dir, &dest, err) ||
                     store_collect(s, dest, &o, r, err)
                 ? -1
                 : 0;
    if (!rc) {
        r->log_partitions = -1;
        if ((!q->nrun_ids &&
             (open_if_there(root, &data, err) ||
              store_data_collect(s, data, api_gc_data_cutoff(ftime_now_ms(), q->older_than_ms),
                                 q->dry_run, &g->datasets, err))) ||
            (!q->dry_run && !q->nrun_ids &&
             (store_predictions_gc(s, ftime_now_ms(), &r->log_partitions, err) ||
              store_monitor_reports_gc(s, ftime_now_ms(), 0, NULL, err)))) {
            rs_gc_release(g);
            rc = -1;
        }
    }
    free(root);
    artifact_repo_close(data);
    artifact_repo_close(dest);
    store_close(s);
    return rc;
}

int cmd_gc(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"backend-store-uri", required_argument, NULL, 'b'},
        {"artifacts-destination", required_argument, NULL, 'a'},
        {"older-than", required_argument, NULL, 'o'},
        {"run-ids", required_argument, NULL, 'r'},
        {"dry-run", no_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *uri = env_get("TRACKING_URI"), *dest_dir = "mlartifacts", *ids = NULL;
    int64_t older = 0;
    int dry = 0, dest_given = 0, c;
    if (cli_tracking_uri)
        uri = cli_tracking_uri;
    if (!uri)
        uri = "ferry.db";
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'b':
            uri = optarg;
            break;
        case 'a':
            dest_dir = optarg;
            dest_given = 1;
            break;
        case 'o':
            if (parse_duration(optarg, &older))
                return 2;
            break;
        case 'r':
            ids = optarg;
            break;
        case 'n':
            dry = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            return cli_bad_option("gc", argv, c, usage);
        }
    }
    if (optind < argc)
        return cli_usagef("unexpected argument '%s'\n%s", argv[optind], usage);
    int remote = !strncmp(uri, "http://", 7) || !strncmp(uri, "https://", 8);
    if (remote && dest_given)
        return cli_usagef("--artifacts-destination is the server's own when gc runs through %s",
                          uri);
    struct ferr err = FERR_INIT;
    struct rs_gc r;
    char *idbuf;
    struct rq_gc q = {older, NULL, 0, dry};
    q.run_ids = split_ids(ids, &idbuf, &q.nrun_ids);
    int rc = remote ? collect_remote(uri, &q, &r, &err)
                    : collect_local(uri, dest_dir, dest_given ? dest_dir : NULL, &q, &r, &err);
    free(q.run_ids);
    free(idbuf);
    if (rc)
        return cli_fail(&err);
    rc = print_report(&r.report, dry);
    if (r.report.log_partitions >= 0)
        printf("%lld prediction log partition%s dropped\n", (long long)r.report.log_partitions,
               r.report.log_partitions == 1 ? "" : "s");
    if (!q.nrun_ids)
        print_datasets(&r.datasets, dry);
    if (r.datasets.failures)
        rc = 1;
    rs_gc_release(&r);
    return rc;
}
