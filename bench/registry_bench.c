/* SPDX-License-Identifier: MIT
 * Model-registry benchmark (issue 4): seeds MODELS registered models with
 * VERSIONS versions each (tags, stages, a "champion" alias per model)
 * through the store, starts `ferry server` on that database, and times over
 * REST on one keep-alive connection:
 *   registered-models/search, first page of 100 with latest versions   <= 10 ms
 *   registered-models/search with a name and a tag filter               <= 10 ms
 *   model-versions/search for one model's versions
 *   registered-models/alias (resolution by alias)                        <= 1 ms
 *   /api/2.0/ferry/models/resolve of models:/<name>@champion
 * Medians (and p90) of many requests; every answer is checked. Ends with
 * one JSON line of the figures.
 *
 * --backend-store-uri names the store instead of a fresh SQLite file (a
 * PostgreSQL database, say); it is seeded unless it already holds the
 * models (its last model exists: an earlier run or `ferry db copy` seeded
 * it). --url measures the server(s) at URL instead of starting one; they
 * must serve a seeded store (--backend-store-uri seeds it first if needed).
 *
 *   make bench && build/bench/registry_bench [--models N] [--versions N] [--ferry PATH]
 *                                            [--backend-store-uri URI] [--url URL]
 */
#include "base/ftime.h"
#include "base/sbuf.h"
#include "store/registry.h"
#include "store/store.h"

#include <curl/curl.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile(double *v, size_t n, double q)
{
    qsort(v, n, sizeof(*v), cmp_double);
    return v[(size_t)(q * (double)(n - 1))];
}

static void die(const char *what, const struct ferr *err)
{
    fprintf(stderr, "registry_bench: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

static void seed(const char *db, int models, int versions)
{
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s;
    struct ferr err = FERR_INIT;
    char name[64], team[8];
    struct registered_model last;
    if (store_open(db, &o, &s, &err))
        die("opening the store", &err);
    snprintf(name, sizeof(name), "model-%d", models - 1);
    if (!store_get_registered_model(s, name, &last, &err)) {
        registered_model_release(&last);
        printf("# the store holds the models already\n");
        store_close(s);
        return;
    }
    ferr_clear(&err);
    int64_t t0 = ftime_mono_ns();
    for (int i = 0; i < models; i++) {
        struct kv_list tags = {0};
        snprintf(name, sizeof(name), "model-%d", i);
        snprintf(team, sizeof(team), "%d", i % 10);
        kv_list_add(&tags, "team", team);
        struct reg_write w = {.action = REG_CREATE_MODEL, .name = name, .tags = tags};
        if (store_registry_write(s, &w, &err))
            die("creating a model", &err);
        kv_list_release(&tags);
        for (int v = 1; v <= versions; v++) {
            struct reg_write cv = {.action = REG_CREATE_VERSION, .name = name,
                                   .source = "s3://bucket/models/m"};
            if (store_registry_write(s, &cv, &err))
                die("creating a version", &err);
        }
        struct reg_write tr = {.action = REG_TRANSITION, .name = name, .version = versions,
                               .stage = "Production"};
        struct reg_write al = {.action = REG_SET_ALIAS, .name = name, .version = versions,
                               .alias = "champion"};
        if (store_registry_write(s, &tr, &err) || store_registry_write(s, &al, &err))
            die("staging a version", &err);
    }
    printf("# seeded %d models x %d versions in %.1f s\n", models, versions,
           (double)(ftime_mono_ns() - t0) / 1e9);
    store_close(s);
}

static pid_t start_server(const char *ferry, const char *db, char *url, size_t n)
{
    int fds[2];
    if (pipe(fds) < 0)
        exit(1);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        execl(ferry, ferry, "server", "--host", "127.0.0.1", "--port", "0",
              "--backend-store-uri", db, "--quiet", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[256] = "";
    if (!f || !fgets(line, sizeof(line), f) || !strstr(line, "listening on ")) {
        fprintf(stderr, "registry_bench: the server did not start\n");
        exit(1);
    }
    snprintf(url, n, "%s", strstr(line, "http://"));
    url[strcspn(url, "\n")] = '\0';
    return pid;
}

struct resp {
    struct sbuf body;
};

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
    sbuf_add(&((struct resp *)arg)->body, p, size * nmemb);
    return size * nmemb;
}

/* One GET; returns the time in ms; the body must contain `expect`. */
static double timed_get(CURL *h, const char *url, const char *expect)
{
    struct resp r = {SBUF_INIT};
    long status = 0;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &r);
    int64_t t0 = ftime_mono_ns();
    CURLcode rc = curl_easy_perform(h);
    double ms = (double)(ftime_mono_ns() - t0) / 1e6;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (rc != CURLE_OK || status != 200 || !r.body.buf || !strstr(r.body.buf, expect)) {
        fprintf(stderr, "registry_bench: GET %s -> %ld %.300s\n", url, status,
                r.body.buf ? r.body.buf : curl_easy_strerror(rc));
        exit(1);
    }
    sbuf_release(&r.body);
    return ms;
}

static json_t *figures; /* the final JSON line's */

static void figure(const char *name, double *v, size_t n, double target)
{
    double p90 = quantile(v, n, 0.9), med = quantile(v, n, 0.5);
    printf("%-58s %8.3f ms  p90 %8.3f", name, med, p90);
    if (target > 0)
        printf("  target <= %g  %s", target, med <= target ? "ok" : "MISSED");
    printf("\n");
    json_array_append_new(figures, json_pack("{s:s,s:f,s:f,s:s}", "name", name, "value", med,
                                             "p90", p90, "unit", "ms"));
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"models", required_argument, NULL, 'm'},
                                         {"versions", required_argument, NULL, 'v'},
                                         {"ferry", required_argument, NULL, 'f'},
                                         {"backend-store-uri", required_argument, NULL, 's'},
                                         {"url", required_argument, NULL, 'u'},
                                         {NULL, 0, NULL, 0}};
    int models = 10000, versions = 10, c;
    const char *ferry = "build/ferry", *store = NULL, *at = NULL;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'm')
            models = (int)strtol(optarg, NULL, 10);
        else if (c == 'v')
            versions = (int)strtol(optarg, NULL, 10);
        else if (c == 'f')
            ferry = optarg;
        else if (c == 's')
            store = optarg;
        else if (c == 'u')
            at = optarg;
        else
            return 2;
    }
    if (models < 10 || versions < 1)
        return 2;
    char dir[] = "/tmp/ferry-registry-bench-XXXXXX", db[1024], url[1024], u[1536];
    if (!mkdtemp(dir))
        return 1;
    snprintf(db, sizeof(db), "%s/bench.db", dir);
    if (store)
        snprintf(db, sizeof(db), "%s", store);
    if (store || !at)
        seed(db, models, versions);
    pid_t pid = 0;
    if (at)
        snprintf(url, sizeof(url), "%s", at);
    else
        pid = start_server(ferry, db, url, sizeof(url));
    figures = json_array();
    curl_global_init(CURL_GLOBAL_DEFAULT);
    CURL *h = curl_easy_init();
    enum { N_SEARCH = 50, N_ALIAS = 2000 };
    double t[N_ALIAS];
    printf("# %s, %d models x %d versions, one keep-alive connection\n", url, models, versions);
    snprintf(u, sizeof(u), "%s/api/2.0/mlflow/registered-models/search?max_results=100", url);
    for (int i = 0; i < N_SEARCH; i++)
        t[i] = timed_get(h, u, "\"latest_versions\"");
    figure("registered-models/search, first 100 (with latest versions)", t, N_SEARCH, 10);
    snprintf(u, sizeof(u),
             "%s/api/2.0/mlflow/registered-models/search?max_results=100&filter=name%%20LIKE%%20"
             "%%27model-1%%25%%27%%20AND%%20tags.team%%20%%3D%%20%%273%%27",
             url);
    for (int i = 0; i < N_SEARCH; i++)
        t[i] = timed_get(h, u, "\"model-13\"");
    figure("registered-models/search, name LIKE + tag filter", t, N_SEARCH, 10);
    for (int i = 0; i < N_SEARCH; i++) {
        snprintf(u, sizeof(u),
                 "%s/api/2.0/mlflow/model-versions/search?filter=name%%3D%%27model-%d%%27", url,
                 (i * 7919) % models);
        t[i] = timed_get(h, u, "\"model_versions\"");
    }
    figure("model-versions/search, one model's versions", t, N_SEARCH, 0);
    for (int i = 0; i < N_ALIAS; i++) {
        snprintf(u, sizeof(u),
                 "%s/api/2.0/mlflow/registered-models/alias?name=model-%d&alias=champion", url,
                 (i * 7919) % models);
        t[i] = timed_get(h, u, "\"champion\"");
    }
    figure("registered-models/alias (resolve an alias)", t, N_ALIAS, 1);
    for (int i = 0; i < N_ALIAS; i++) {
        snprintf(u, sizeof(u), "%s/api/2.0/ferry/models/resolve?uri=models:/model-%d@champion",
                 url, (i * 7919) % models);
        t[i] = timed_get(h, u, "\"artifact_uri\"");
    }
    figure("ferry/models/resolve models:/<name>@champion", t, N_ALIAS, 1);
    curl_easy_cleanup(h);
    curl_global_cleanup();
    json_t *doc = json_pack("{s:s,s:s,s:i,s:i,s:o}", "bench", "ferry-registry", "url", url,
                            "models", models, "versions", versions, "figures", figures);
    char *line = json_dumps(doc, JSON_COMPACT | JSON_REAL_PRECISION(6));
    printf("%s\n", line ? line : "{}");
    free(line);
    json_decref(doc);
    int st = 0;
    if (pid) {
        kill(pid, SIGTERM);
        waitpid(pid, &st, 0);
    }
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "registry_bench: could not remove %s\n", dir);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 1;
}
