/* SPDX-License-Identifier: MIT
 * Lineage graph benchmark (issue 20): writes a generated pipeline-shaped
 * graph of NODES nodes into a fresh store (store_lineage_generate: levels
 * of step runs each reading two outputs of the level before, then one run
 * reading the whole last level and writing the root artifact), then times
 * the whole upstream graph of that root:
 *   - in-process, store_lineage_graph (depth 100, max_nodes NODES + 100);
 *   - over REST, GET /api/2.0/ferry/lineage/graph on one keep-alive
 *     connection to a `ferry server` on that database (the JSON encoding
 *     and the transfer included);
 *   - the default query (depth 20, max_nodes 10,000), in-process.
 * Medians of RUNS queries after one warm-up; every answer is checked (the
 * node count). Prints `KEY VALUE` lines (for bench/pipeline_bench.sh) and
 * a readable table on stderr.
 *
 *   make bench && build/bench/lineage_bench [--nodes N] [--runs N] [--width N]
 *                                          [--db PATH|URI] [--ferry PATH] [--no-rest]
 */
#include "base/fs_tree.h"
#include "base/ftime.h"
#include "base/sbuf.h"
#include "domain/lineage.h"
#include "store/lineage.h"
#include "store/store.h"

#include <curl/curl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/banned.h"

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
    fprintf(stderr, "lineage_bench: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

/* Times RUNS upstream walks from root; *nodes gets the last answer's node count. */
static double time_store(struct store *s, const char *root, int depth, int64_t max_nodes, int runs,
                         size_t *nodes, int *truncated)
{
    double *v = calloc((size_t)runs, sizeof(*v));
    struct ferr err = FERR_INIT;
    if (!v)
        exit(1);
    for (int i = -1; i < runs; i++) {
        struct lineage_graph g = {0};
        int64_t t0 = ftime_mono_ns();
        if (store_lineage_graph(s, root, LINEAGE_UPSTREAM, depth, max_nodes, &g, &err))
            die("store_lineage_graph", &err);
        double ms = (double)(ftime_mono_ns() - t0) / 1e6;
        if (i >= 0)
            v[i] = ms;
        *nodes = g.nnodes;
        *truncated = g.truncated;
        lineage_graph_release(&g);
    }
    double med = quantile(v, (size_t)runs, 0.5);
    free(v);
    return med;
}

static pid_t start_server(const char *ferry, const char *db, char *url, size_t n)
{
    int fds[2];
    if (pipe(fds) < 0)
        exit(1);
    pid_t pid = fork();
    if (pid < 0)
        exit(1);
    if (pid == 0) {
        dup2(fds[1], STDOUT_FILENO);
        close(fds[0]);
        execl(ferry, ferry, "server", "--host", "127.0.0.1", "--port", "0", "--backend-store-uri",
              db, "--quiet", (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    char line[256] = "";
    if (!f || !fgets(line, sizeof(line), f) || !strstr(line, "listening on ")) {
        fprintf(stderr, "lineage_bench: the server did not start\n");
        kill(pid, SIGKILL);
        exit(1);
    }
    snprintf(url, n, "%s", strstr(line, "http://"));
    url[strcspn(url, "\n")] = '\0';
    fclose(f);
    return pid;
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *arg)
{
    sbuf_add((struct sbuf *)arg, p, size * nmemb);
    return size * nmemb;
}

/* Times RUNS GETs of url on one connection; *bytes gets the answer's size. */
static double time_rest(const char *url, int runs, size_t *bytes)
{
    CURL *h = curl_easy_init();
    double *v = calloc((size_t)runs, sizeof(*v));
    if (!h || !v)
        exit(1);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
    for (int i = -1; i < runs; i++) {
        struct sbuf body = SBUF_INIT;
        long status = 0;
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
        int64_t t0 = ftime_mono_ns();
        CURLcode rc = curl_easy_perform(h);
        double ms = (double)(ftime_mono_ns() - t0) / 1e6;
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
        if (rc != CURLE_OK || status != 200 || !strstr(body.buf, "\"nodes\"")) {
            fprintf(stderr, "lineage_bench: GET %s -> %ld %.300s\n", url, status,
                    rc != CURLE_OK ? curl_easy_strerror(rc) : body.buf);
            exit(1);
        }
        if (i >= 0)
            v[i] = ms;
        *bytes = body.len;
        sbuf_release(&body);
    }
    curl_easy_cleanup(h);
    double med = quantile(v, (size_t)runs, 0.5);
    free(v);
    return med;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"nodes", required_argument, NULL, 'n'},
                                         {"runs", required_argument, NULL, 'r'},
                                         {"width", required_argument, NULL, 'w'},
                                         {"db", required_argument, NULL, 'd'},
                                         {"ferry", required_argument, NULL, 'f'},
                                         {"no-rest", no_argument, NULL, 'x'},
                                         {NULL, 0, NULL, 0}};
    int64_t nodes = 10000, width = 0;
    int runs = 15, rest = 1, c;
    const char *db = NULL, *ferry = "build/ferry";
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'n')
            nodes = strtoll(optarg, NULL, 10);
        else if (c == 'r')
            runs = (int)strtol(optarg, NULL, 10);
        else if (c == 'w')
            width = strtoll(optarg, NULL, 10);
        else if (c == 'd')
            db = optarg;
        else if (c == 'f')
            ferry = optarg;
        else if (c == 'x')
            rest = 0;
        else
            return 2;
    }
    if (nodes < 10 || nodes > 1000000 || runs < 1 || width < 0) {
        fprintf(stderr, "usage: lineage_bench [--nodes 10..1000000] [--runs N] [--width N] "
                        "[--db PATH] [--ferry PATH] [--no-rest]\n");
        return 2;
    }
    char dir[] = "/tmp/ferry-lineage-bench-XXXXXX", path[1100];
    if (!db) {
        if (!mkdtemp(dir))
            return 1;
        snprintf(path, sizeof(path), "%s/ferry.db", dir);
        db = path;
    }
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s;
    struct ferr err = FERR_INIT;
    char *exp = NULL, *root = NULL;
    int64_t made = 0;
    if (store_open(db, &o, &s, &err))
        die("opening the store", &err);
    if (store_create_experiment(s, "lineage-bench", NULL, NULL, &exp, &err))
        die("creating the experiment", &err);
    int64_t t0 = ftime_mono_ns();
    if (store_lineage_generate(s, strtoll(exp, NULL, 10), nodes, width, &root, &made, &err))
        die("generating the graph", &err);
    double gen_s = (double)(ftime_mono_ns() - t0) / 1e9;
    size_t got = 0, got_default = 0;
    int trunc = 0, trunc_default = 0;
    double full = time_store(s, root, LINEAGE_DEPTH_MAX, made + 100, runs, &got, &trunc);
    double dflt = time_store(s, root, 0, 0, runs, &got_default, &trunc_default);
    if (trunc || (int64_t)got < made * 9 / 10) {
        fprintf(stderr, "lineage_bench: the walk found %zu of %" PRId64 " nodes%s\n", got, made,
                trunc ? " (truncated)" : "");
        return 1;
    }
    store_close(s);
    double rest_ms = 0;
    size_t bytes = 0;
    if (rest) {
        char url[512], u[4096];
        pid_t pid = start_server(ferry, db, url, sizeof(url));
        char *q = curl_easy_escape(NULL, root, 0);
        snprintf(u, sizeof(u),
                 "%s/api/2.0/ferry/lineage/graph?uri=%s&direction=upstream"
                 "&depth=%d&max_nodes=%" PRId64,
                 url, q, LINEAGE_DEPTH_MAX, made + 100);
        curl_free(q);
        rest_ms = time_rest(u, runs, &bytes);
        kill(pid, SIGTERM);
        int st = 0;
        waitpid(pid, &st, 0);
    }
    printf("nodes_made %" PRId64 "\n", made);
    printf("generate_s %.2f\n", gen_s);
    printf("nodes_returned %zu\n", got);
    printf("median_ms %.3f\n", full);
    printf("default_nodes %zu\n", got_default);
    printf("default_median_ms %.3f\n", dflt);
    if (rest) {
        printf("rest_median_ms %.3f\n", rest_ms);
        printf("rest_bytes %zu\n", bytes);
    }
    fprintf(stderr,
            "# lineage %" PRId64 " nodes (generated in %.1f s): whole upstream graph %zu nodes "
            "%.2f ms in-process%s; default query (depth 20, 10,000 nodes) %zu nodes %.2f ms\n",
            made, gen_s, got, full, rest ? "" : " (no REST)", got_default, dflt);
    if (rest)
        fprintf(stderr, "# over REST: %.2f ms for %zu bytes\n", rest_ms, bytes);
    free(exp);
    free(root);
    /* the temporary directory made here (a --db given stays) */
    if (db == path && fs_remove_tree(dir))
        fprintf(stderr, "lineage_bench: cannot remove %s\n", dir);
    return 0;
}
