/* SPDX-License-Identifier: MIT
 * `ferry lineage URI [--down] [--depth N] [--json]`: the lineage graph
 * around a node (client/client_lineage.h), printed as a tree, one node per
 * line, indented by distance from the root:
 *
 *   models:/fraud/3
 *     <- train (run 3f2a9c1e.., COMPLETE)  [registered]
 *       <- runs:/9c1b.../outputs/train.csv (file)  [input train]
 *         <- prep (run 9c1b77d0.., CACHED)  [output train]
 *
 * Upstream (the default) a node's children are what it was made from (the
 * sources of the edges into it); --down, what was made from it. A node
 * reached again is printed once more with "(see above)" and not expanded,
 * so a DAG with shared ancestors stays linear in size. --json prints the
 * graph row's shape ({root, nodes, edges, truncated}). */
#include "cli/cmd.h"
#include "cli/cli.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "api/lineage_ops.h"
#include "client/client_lineage.h"

#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

static const char usage[] =
    "usage: ferry lineage URI [--down] [--depth N] [--max-nodes N] [--json]\n"
    "\n"
    "Prints where URI came from (its upstream: the runs, step outputs, dataset\n"
    "versions and models it was made from) as a tree, one node per line; --down\n"
    "prints what was made from it instead. URI is one of\n"
    "  models:/NAME/V, models:/NAME@ALIAS, models:/NAME/Stage, models:/MODEL_ID\n"
    "  data:/NAME/V, data:/NAME@ALIAS, data:/NAME/latest\n"
    "  runs:/RUN_ID, runs:/RUN_ID/outputs/PATH (a pipeline step's output), RUN_ID\n"
    "\n"
    "  --down          downstream: what was made from URI\n"
    "  --depth N       at most N hops from URI (1..100, default 20)\n"
    "  --max-nodes N   stop the walk after N nodes (default 10000)\n"
    "  --json          the graph as JSON: {root, nodes, edges, truncated}\n"
    "  -h, --help      this help\n"
    "\n"
    "Exit status: 0; 1 when URI is unknown or the store fails; 2 on bad usage.\n";

/* ---------------------------------------------------------------- tree */

/* The graph as adjacency lists: node ids sorted for lookup, and for each
 * node the edges to follow from it (CSR: kids[first[i] .. first[i+1])). */
struct tree {
    const struct lineage_graph *g;
    size_t *by_id; /* node indexes sorted by id */
    size_t *first; /* nnodes + 1 */
    size_t *kids;  /* edge indexes, grouped by the node they leave from */
    unsigned char *seen;
    int up;
};

static const struct lineage_graph *cmp_graph;

static int cmp_node_id(const void *a, const void *b)
{
    return strcmp(cmp_graph->nodes[*(const size_t *)a].id, cmp_graph->nodes[*(const size_t *)b].id);
}

/* The index of the node with id, or (size_t)-1. */
static size_t node_find(const struct tree *t, const char *id)
{
    size_t lo = 0, hi = t->g->nnodes;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(t->g->nodes[t->by_id[mid]].id, id);
        if (!c)
            return t->by_id[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (size_t)-1;
}

static void tree_init(struct tree *t, const struct lineage_graph *g, int up)
{
    size_t n = g->nnodes;
    memset(t, 0, sizeof(*t));
    t->g = g;
    t->up = up;
    t->by_id = xcalloc(n ? n : 1, sizeof(size_t));
    for (size_t i = 0; i < n; i++)
        t->by_id[i] = i;
    cmp_graph = g;
    qsort(t->by_id, n, sizeof(size_t), cmp_node_id);
    t->first = xcalloc(n + 1, sizeof(size_t));
    t->kids = xcalloc(g->nedges ? g->nedges : 1, sizeof(size_t));
    t->seen = xcalloc(n ? n : 1, 1);
    /* upstream, a node's children are the sources of edges into it */
    size_t *from = xcalloc(g->nedges ? g->nedges : 1, sizeof(size_t));
    for (size_t e = 0; e < g->nedges; e++) {
        from[e] = node_find(t, up ? g->edges[e].target : g->edges[e].source);
        if (from[e] != (size_t)-1)
            t->first[from[e] + 1]++;
    }
    for (size_t i = 0; i < n; i++)
        t->first[i + 1] += t->first[i];
    size_t *fill = xcalloc(n ? n : 1, sizeof(size_t));
    for (size_t e = 0; e < g->nedges; e++)
        if (from[e] != (size_t)-1)
            t->kids[t->first[from[e]] + fill[from[e]]++] = e;
    free(fill);
    free(from);
}

static void tree_release(struct tree *t)
{
    free(t->by_id);
    free(t->first);
    free(t->kids);
    free(t->seen);
}

/* "train (run 3f2a9c1e.., COMPLETE)", "runs:/.../outputs/m (model)", ... */
static void node_label(const struct lineage_node *n, struct sbuf *out)
{
    switch (n->kind) {
    case LINEAGE_NODE_EXECUTION: {
        const char *what = n->step && *n->step ? n->step : n->name && *n->name ? n->name : "run";
        const char *id = n->run_id && *n->run_id ? n->run_id : n->id;
        sbuf_addf(out, "%s (run %.8s%s", what, id, strlen(id) > 8 ? ".." : "");
        if (n->state && *n->state)
            sbuf_addf(out, ", %s", n->state);
        sbuf_addch(out, ')');
        break;
    }
    case LINEAGE_NODE_MODEL_VERSION:
        sbuf_addstr(out, n->id);
        if (n->state && *n->state && strcmp(n->state, "None"))
            sbuf_addf(out, " (%s)", n->state);
        break;
    case LINEAGE_NODE_LOGGED_MODEL:
        sbuf_addstr(out, n->id);
        if (n->name && *n->name)
            sbuf_addf(out, " (logged model %s)", n->name);
        break;
    case LINEAGE_NODE_DATASET_VERSION:
        sbuf_addstr(out, n->id);
        break;
    default:
        sbuf_addstr(out, n->id);
        if (n->type && *n->type)
            sbuf_addf(out, " (%s)", n->type);
        break;
    }
}

/* Prints node i at depth (its edge from the parent: e, or NULL for the
 * root), then its children. Depth is bounded by the walk (<= 100). */
static void tree_print(struct tree *t, size_t i, const struct lineage_edge *e, int depth)
{
    struct sbuf line = SBUF_INIT;
    for (int k = 0; k < depth; k++)
        sbuf_addstr(&line, "  ");
    if (e)
        sbuf_addstr(&line, t->up ? "<- " : "-> ");
    node_label(&t->g->nodes[i], &line);
    if (e)
        sbuf_addf(&line, "  [%s%s%s]", e->kind, e->name && *e->name ? " " : "",
                  e->name ? e->name : "");
    if (t->seen[i])
        sbuf_addstr(&line, " (see above)");
    puts(line.buf);
    sbuf_release(&line);
    if (t->seen[i])
        return;
    t->seen[i] = 1;
    for (size_t k = t->first[i]; k < t->first[i + 1]; k++) {
        const struct lineage_edge *ke = &t->g->edges[t->kids[k]];
        size_t j = node_find(t, t->up ? ke->source : ke->target);
        if (j != (size_t)-1)
            tree_print(t, j, ke, depth + 1);
    }
}

static void print_tree(const struct lineage_graph *g, int up)
{
    struct tree t;
    tree_init(&t, g, up);
    size_t root = node_find(&t, g->root);
    if (root == (size_t)-1 && g->nnodes)
        root = 0;
    if (root != (size_t)-1)
        tree_print(&t, root, NULL, 0);
    if (g->nnodes <= 1)
        printf("  (nothing %s)\n", up ? "upstream: nothing was recorded as its input"
                                      : "downstream: nothing used it yet");
    if (g->truncated)
        puts("  (more: the walk stopped at --max-nodes)");
    tree_release(&t);
}

int cmd_lineage(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"down", no_argument, NULL, 'd'},
        {"depth", required_argument, NULL, 'D'},
        {"max-nodes", required_argument, NULL, 'N'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    int c, down = 0, json = 0;
    int64_t depth = 0, max_nodes = 0;
    optind = 0;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd':
            down = 1;
            break;
        case 'D':
            if (cli_parse_int64("--depth", optarg, 1, LINEAGE_DEPTH_MAX, &depth))
                return 2;
            break;
        case 'N':
            if (cli_parse_int64("--max-nodes", optarg, 1, LINEAGE_NODES_MAX, &max_nodes))
                return 2;
            break;
        case 'j':
            json = 1;
            break;
        case 'h':
            fputs(usage, stdout);
            return 0;
        default:
            return cli_bad_option("lineage", argv, c, usage);
        }
    }
    if (argc - optind != 1)
        return cli_usage(usage);
    struct client *cl;
    if (cli_open(&cl))
        return 1;
    struct lineage_graph g;
    struct ferr err = FERR_INIT;
    memset(&g, 0, sizeof(g));
    int rc = 0;
    if (client_lineage_graph(cl, argv[optind], down ? LINEAGE_DOWNSTREAM : LINEAGE_UPSTREAM,
                             (int)depth, max_nodes, &g, &err))
        rc = cli_fail(&err);
    else if (json)
        cli_print_json(api_lineage_graph_to_json(&g));
    else
        print_tree(&g, !down);
    lineage_graph_release(&g);
    client_close(cl);
    return rc;
}
