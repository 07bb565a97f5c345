/* SPDX-License-Identifier: MIT
 * `ferry gc`: permanently removes deleted runs and experiments and their
 * artifacts, as `mlflow gc` does -- but the artifacts really go, proxied
 * (mlflow-artifacts:/) and local alike. Each run's rows are purged first,
 * in a transaction that re-checks it is deleted, and its files after: a run
 * restored meanwhile keeps everything, and a purged run cannot be restored
 * onto half its files. Works on the store file directly (the server may
 * keep running). */
#include "cli/cli.h"
#include "base/env.h"
#include "artifacts/repo.h"
#include "base/ftime.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "domain/artifact_uri.h"
#include "store/gc.h"
#include "store/store.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry gc [--backend-store-uri URI] [--artifacts-destination DIR]\n"
    "                [--older-than DURATION] [--run-ids ID,ID...] [--dry-run]\n"
    "\n"
    "Permanently removes runs in the deleted state (and runs of deleted experiments),\n"
    "their params, metrics, tags, inputs and artifacts, then the deleted experiments.\n"
    "Active runs and their artifacts are never touched. Also removes the part files of\n"
    "uploads a killed server left in the artifacts destination (untouched for an hour).\n"
    "\n"
    "  --backend-store-uri URI      the store (default: $FERRY_TRACKING_URI or\n"
    "                               $MLFLOW_TRACKING_URI when a file, else ./ferry.db)\n"
    "  --artifacts-destination DIR  where the server keeps proxied artifacts\n"
    "                               (mlflow-artifacts:/ URIs; default ./mlartifacts)\n"
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

static int wanted(const char *ids, const char *run_id)
{
    if (!ids)
        return 1;
    size_t n = strlen(run_id);
    for (const char *p = ids; *p;) {
        size_t k = strcspn(p, ",");
        if (k == n && !strncmp(p, run_id, n))
            return 1;
        p += k + (p[k] == ',');
    }
    return 0;
}

/* Removes the directory `uri` points at (a run's artifacts or an
 * experiment's location). Proxied URIs are resolved in dest. Returns a word
 * for the report. */
static const char *remove_tree(struct artifact_repo *dest, const char *uri, int only_if_empty,
                               struct ferr *err)
{
    const char *rel = artifact_uri_proxied_path(uri);
    struct artifact_repo *repo = NULL;
    struct sbuf parent = SBUF_INIT;
    const char *name;
    const char *result = "removed";
    if (rel) {
        if (!dest)
            return "none"; /* no destination directory: nothing was ever proxied here */
        repo = dest;
        name = rel;
    } else {
        const char *p = !strncmp(uri, "file://", 7) ? uri + 7 : uri;
        struct stat st;
        if (strstr(p, "://"))
            return "kept (not a local or proxied location)";
        if (stat(p, &st) < 0)
            return "none";
        const char *slash = strrchr(p, '/');
        if (!slash || slash == p)
            return "kept (no parent directory)";
        sbuf_add(&parent, p, (size_t)(slash - p));
        name = slash + 1;
        if (artifact_repo_open(parent.buf, &repo, err)) {
            sbuf_release(&parent);
            return NULL;
        }
    }
    struct artifact_list l = {0};
    if (!*name) {
        result = "kept (the artifact root itself)";
    } else if (only_if_empty && (artifact_list(repo, name, &l, err) || l.n)) {
        result = l.n ? "kept (not empty)" : NULL;
    } else if (artifact_delete(repo, name, err)) {
        result = err->code == FERR_RESOURCE_DOES_NOT_EXIST ? "none" : NULL;
    }
    artifact_list_release(&l);
    if (repo != dest)
        artifact_repo_close(repo);
    sbuf_release(&parent);
    return result;
}

/* "<dest>/<exp>/<run>/artifacts" -> also drop "<exp>/<run>" once empty. */
static void remove_run_dir(struct artifact_repo *dest, const char *uri)
{
    struct sbuf dir = SBUF_INIT;
    struct ferr ignored = FERR_INIT;
    const char *cut = strrchr(uri, '/');
    if (cut && !strcmp(cut, "/artifacts")) {
        sbuf_add(&dir, uri, (size_t)(cut - uri));
        (void)remove_tree(dest, dir.buf, 1, &ignored);
    }
    sbuf_release(&dir);
}

/* Upload part files untouched this long are what a killed server left. */
#define PART_STALE_SECONDS 3600

/* Removes the .ferry-part-* files below fd (closed here) not written to
 * for PART_STALE_SECONDS, never following links; an upload in progress keeps
 * its part file fresh. Returns how many (that would be) removed. */
static size_t sweep_parts(int fd, int depth, time_t cutoff, int dry)
{
    DIR *d = fdopendir(fd);
    size_t n = 0;
    if (!d) {
        close(fd);
        return 0;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        struct stat st;
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
            fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISDIR(st.st_mode) && depth < 64) {
            int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                n += sweep_parts(sub, depth + 1, cutoff, dry);
        } else if (S_ISREG(st.st_mode) && !strncmp(e->d_name, ".ferry-part-", 12) &&
                   st.st_mtime < cutoff && (dry || unlinkat(dirfd(d), e->d_name, 0) == 0)) {
            n++;
        }
    }
    closedir(d);
    return n;
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
    int dry = 0, c;
    if (cli_tracking_uri)
        uri = cli_tracking_uri;
    if (!uri || !strncmp(uri, "http://", 7) || !strncmp(uri, "https://", 8))
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
    if (!strncmp(uri, "http://", 7) || !strncmp(uri, "https://", 8))
        return cli_usagef("gc works on the store itself: give --backend-store-uri a database");
    struct ferr err = FERR_INIT;
    struct store_opts so = STORE_OPTS_INIT;
    struct store *s;
    struct artifact_repo *dest = NULL;
    struct kv_list runs, exps;
    if (store_open(uri, &so, &s, &err))
        return cli_fail(&err);
    int rc = 0;
    size_t nruns = 0, nexps = 0;
    struct stat st;
    /* Opened only when it exists: gc must not create directories. */
    if ((stat(dest_dir, &st) == 0 && artifact_repo_open(dest_dir, &dest, &err)) ||
        store_gc_candidates(s, ftime_now_ms() - older, &runs, &exps, &err)) {
        rc = cli_fail(&err);
        goto out;
    }
    for (size_t i = 0; i < runs.n; i++) {
        const char *id = runs.v[i].key, *auri = runs.v[i].value;
        if (!wanted(ids, id))
            continue;
        if (dry) {
            printf("would purge run %s (artifacts %s)\n", id, auri);
            continue;
        }
        ferr_clear(&err);
        if (store_purge_run(s, id, &err)) {
            fprintf(stderr, "ferry: run %s: %s\n", id, err.msg);
            rc = 1;
            continue;
        }
        const char *what = remove_tree(dest, auri, 0, &err);
        if (!what) {
            fprintf(stderr, "ferry: run %s purged, but its artifacts at %s remain: %s\n", id, auri,
                    err.msg);
            rc = 1;
            what = "kept (error)";
        }
        remove_run_dir(dest, auri);
        printf("purged run %s (artifacts: %s)\n", id, what);
        nruns++;
    }
    for (size_t i = 0; !ids && i < exps.n; i++) {
        const char *id = exps.v[i].key;
        if (dry) {
            printf("would purge experiment %s\n", id);
            continue;
        }
        ferr_clear(&err);
        if (store_purge_experiment(s, id, &err)) {
            fprintf(stderr, "ferry: experiment %s: %s\n", id, err.msg);
            rc = 1;
            continue;
        }
        const char *what = remove_tree(dest, exps.v[i].value, 1, &err);
        printf("purged experiment %s (artifact location: %s)\n", id, what ? what : "kept");
        nexps++;
    }
    int root = open(dest_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    size_t parts =
        root >= 0 && !ids ? sweep_parts(root, 0, time(NULL) - PART_STALE_SECONDS, dry) : 0;
    if (root >= 0 && ids)
        close(root);
    if (dry && parts)
        printf("would remove %zu unfinished upload%s\n", parts, parts == 1 ? "" : "s");
    if (!dry)
        printf("%zu run%s and %zu experiment%s purged, %zu unfinished upload%s removed\n", nruns,
               nruns == 1 ? "" : "s", nexps, nexps == 1 ? "" : "s", parts, parts == 1 ? "" : "s");
    kv_list_release(&runs);
    kv_list_release(&exps);
out:
    artifact_repo_close(dest);
    store_close(s);
    return rc;
}
