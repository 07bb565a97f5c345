/* SPDX-License-Identifier: MIT
 * Lineage graph benchmark (issue 20): generates a pipeline-shaped graph of
 * about --nodes nodes in a store (store/lineage.h store_lineage_generate:
 * levels of --width step runs, each reading two outputs of the level
 * before and writing one, then a run reading the whole last level), then
 * times store_lineage_graph upstream from the final artifact (the whole
 * graph) and downstream from one first-level output, in-process: the
 * median and the best of --repeat walks. Ends with one JSON line of the
 * figures, with the root URI (to ask a server over REST:
 * GET /api/2.0/ferry/lineage/graph?uri=ROOT&depth=100&max_nodes=...).
 *
 * --backend-store-uri names the store (a fresh PostgreSQL database, say);
 * default a new SQLite file in a temporary directory (removed at the end
 * unless --keep). --root URI with --backend-store-uri walks a store
 * generated before (by a run with --keep) without generating again.
 *
 *   make bench && build/bench/lineage_bench [--nodes 10000] [--width W] [--repeat 5]
 *                                           [--backend-store-uri URI] [--keep]
 *                                           [--root URI]
 */
#include "base/sbuf.h"
#include "store/lineage.h"
#include "store/store.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void die(const char *what, const struct ferr *err)
{
    fprintf(stderr, "lineage_bench: %s: %s\n", what, err ? err->msg : "failed");
    exit(1);
}

static double clock_ms(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static double now_ms(void)
{
    return clock_ms(CLOCK_MONOTONIC);
}

/* The best CPU time of this process's walks (the machine may be busy:
 * the CPU time is what the walk costs whatever else runs). */
static double best_cpu = 1e18;

/* Median and best of repeat walks; *nodes the size of the answer. */
static void walk(struct store *s, const char *uri, enum lineage_direction d, int64_t max_nodes,
                 int repeat, double *median, double *best, size_t *nodes)
{
    double *t = calloc((size_t)repeat, sizeof(*t));
    struct ferr err = FERR_INIT;
    if (!t)
        die("out of memory", NULL);
    for (int i = 0; i < repeat; i++) {
        struct lineage_graph g;
        double t0 = now_ms(), c0 = clock_ms(CLOCK_PROCESS_CPUTIME_ID);
        if (store_lineage_graph(s, uri, d, LINEAGE_DEPTH_MAX, max_nodes, &g, &err))
            die("walking the graph", &err);
        t[i] = now_ms() - t0;
        double cpu = clock_ms(CLOCK_PROCESS_CPUTIME_ID) - c0;
        best_cpu = cpu < best_cpu ? cpu : best_cpu;
        *nodes = g.nnodes;
        lineage_graph_release(&g);
    }
    qsort(t, (size_t)repeat, sizeof(*t), cmp_double);
    *median = t[repeat / 2];
    *best = t[0];
    free(t);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"nodes", required_argument, NULL, 'n'},
                                         {"width", required_argument, NULL, 'w'},
                                         {"repeat", required_argument, NULL, 'r'},
                                         {"backend-store-uri", required_argument, NULL, 'u'},
                                         {"keep", no_argument, NULL, 'k'},
                                         {"root", required_argument, NULL, 'R'},
                                         {NULL, 0, NULL, 0}};
    long long nodes = 10000, width = 0;
    int repeat = 5, keep = 0, c;
    const char *uri = NULL, *given_root = NULL;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            nodes = strtoll(optarg, NULL, 10);
            break;
        case 'w':
            width = strtoll(optarg, NULL, 10);
            break;
        case 'r':
            repeat = (int)strtol(optarg, NULL, 10);
            break;
        case 'u':
            uri = optarg;
            break;
        case 'k':
            keep = 1;
            break;
        case 'R':
            given_root = optarg;
            break;
        default:
            fprintf(stderr, "usage: lineage_bench [--nodes N] [--width W] [--repeat R] "
                            "[--backend-store-uri URI] [--keep]\n");
            return 2;
        }
    }
    if (repeat < 1)
        repeat = 1;
    char dir[] = "/tmp/lineage-bench-XXXXXX";
    struct sbuf db = SBUF_INIT;
    if (!uri) {
        if (!mkdtemp(dir))
            die("mkdtemp", NULL);
        sbuf_addf(&db, "sqlite:///%s/mlflow.db", dir);
        uri = db.buf;
    }
    struct store_opts o = STORE_OPTS_INIT;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    o.default_artifact_root = "/tmp/lineage-bench-artifacts";
    o.group_commit = 0; /* the generator's runs go in one import transaction */
    if (store_open(uri, &o, &s, &err))
        die("opening the store", &err);
    char *root = NULL;
    int64_t made = 0;
    double t0 = now_ms();
    if (given_root) { /* a store generated before (--keep) */
        root = strdup(given_root);
        made = nodes;
    } else if (store_lineage_generate(s, 0, nodes, width, &root, &made, &err)) {
        die("generating the graph", &err);
    }
    double gen = now_ms() - t0;
    fprintf(stderr, "lineage_bench: generated %lld nodes in %.1f s\n", (long long)made, gen / 1e3);
    double up_med, up_best, down_med, down_best;
    size_t up_n, down_n;
    walk(s, root, LINEAGE_UPSTREAM, made + 10, repeat, &up_med, &up_best, &up_n);
    double up_cpu = best_cpu;
    fprintf(stderr,
            "lineage_bench: upstream, %zu nodes: median %.1f ms, best %.1f ms (CPU %.1f ms)\n",
            up_n, up_med, up_best, up_cpu);
    /* downstream from the root's farthest ancestor: a first-level output
     * (found as the last node of the upstream walk, the deepest) */
    struct lineage_graph g;
    if (store_lineage_graph(s, root, LINEAGE_UPSTREAM, LINEAGE_DEPTH_MAX, made + 10, &g, &err))
        die("walking the graph", &err);
    char *far = strdup(g.nodes[g.nnodes - 1].id);
    lineage_graph_release(&g);
    walk(s, far, LINEAGE_DOWNSTREAM, made + 10, repeat, &down_med, &down_best, &down_n);
    fprintf(stderr, "lineage_bench: downstream of %s, %zu nodes: median %.1f ms, best %.1f ms\n",
            far, down_n, down_med, down_best);
    printf("{\"bench\": \"lineage\", \"store\": \"%s\", \"nodes\": %lld, \"generate_s\": %.1f, "
           "\"upstream_nodes\": %zu, \"upstream_ms\": %.1f, \"upstream_best_ms\": %.1f, "
           "\"upstream_cpu_ms\": %.1f, "
           "\"downstream_nodes\": %zu, \"downstream_ms\": %.1f, \"downstream_best_ms\": %.1f, "
           "\"root\": \"%s\"}\n",
           strncmp(uri, "postgres", 8) ? "sqlite" : "postgres", (long long)made, gen / 1e3, up_n,
           up_med, up_best, up_cpu, down_n, down_med, down_best, root);
    free(far);
    free(root);
    store_close(s);
    if (db.len && !keep) {
        struct sbuf cmd = SBUF_INIT;
        sbuf_addf(&cmd, "rm -rf '%s'", dir);
        if (system(cmd.buf) != 0)
            fprintf(stderr, "lineage_bench: could not remove %s\n", dir);
        sbuf_release(&cmd);
    }
    sbuf_release(&db);
    return 0;
}
