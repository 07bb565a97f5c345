/* SPDX-License-Identifier: MIT
 * The lineage area's front (store/lineage.h): arguments checked, pages
 * turned into offsets, and the graph walk, level by level over the
 * backend's batched lookups (one per kind of edge per level, one per kind
 * of node for the details). Nodes and edges are deduplicated through
 * jansson objects used as hash sets (node id -> its index). */
#include "store/lineage.h"
#include "base/ids.h"
#include "base/page_token.h"
#include "base/sbuf.h"
#include "base/xalloc.h"
#include "domain/data_version.h"
#include "store/backend.h"
#include "store/datasets.h"
#include "store/import.h"
#include "store/model_uri.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/banned.h"

#define AREA "lineage"

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int check_run_id(const char *run_id, struct ferr *err)
{
    if (!run_id || !*run_id)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "missing value for required parameter 'run_id'");
    if (!lineage_is_run_id(run_id))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value '%.100s' for 'run_id': expected a run id (32 hex digits)",
                        run_id);
    return 0;
}

int store_lineage_execution_put(struct store *s, const struct lineage_execution_in *e,
                                struct ferr *err)
{
    if (!s->lineage)
        return store_lacks(s, AREA, err);
    if (lineage_execution_check(e, err))
        return -1;
    return s->lineage->execution_put(s, e, err);
}

int store_lineage_execution_get(struct store *s, const char *run_id, struct lineage_execution *out,
                                struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->lineage)
        return store_lacks(s, AREA, err);
    if (check_run_id(run_id, err))
        return -1;
    return s->lineage->execution_get(s, run_id, out, err);
}

int store_lineage_events_log(struct store *s, const char *run_id,
                             const struct lineage_event_in *events, size_t n, struct ferr *err)
{
    if (!s->lineage)
        return store_lacks(s, AREA, err);
    if (check_run_id(run_id, err))
        return -1;
    if (n > LINEAGE_EVENTS_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "%zu events in one call: at most %d are allowed", n, LINEAGE_EVENTS_MAX);
    for (size_t i = 0; i < n; i++)
        if (lineage_event_check(&events[i], err)) {
            char msg[sizeof(err->msg)];
            snprintf(msg, sizeof(msg), "%s", err->msg);
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "event %zu: %s", i, msg);
        }
    if (!n)
        return 0;
    return s->lineage->events_log(s, run_id, events, n, now_ms(), err);
}

int store_lineage_cache_lookup(struct store *s, const char *fingerprint, int64_t max_age_ms,
                               struct lineage_cache_hit *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->lineage)
        return store_lacks(s, AREA, err);
    if (!fingerprint || !*fingerprint)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "missing value for required parameter 'fingerprint'");
    if (strlen(fingerprint) > LINEAGE_DIGEST_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "the fingerprint is too long");
    if (max_age_ms < 0)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'max_age_ms': it must not be negative");
    int64_t min_ended = max_age_ms ? now_ms() - max_age_ms : 0;
    return s->lineage->cache_lookup(s, fingerprint, min_ended, out, err);
}

int store_lineage_executions_list(struct store *s, const char *pipeline_run_id, int64_t max,
                                  const char *page_token, struct lineage_execution_list *out,
                                  struct ferr *err)
{
    int64_t off = 0;
    memset(out, 0, sizeof(*out));
    if (!s->lineage)
        return store_lacks(s, AREA, err);
    if (max == 0)
        max = LINEAGE_LIST_DEFAULT;
    if (max < 1 || max > LINEAGE_LIST_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'max_results': expected 1 to %d",
                        LINEAGE_LIST_MAX);
    if (page_token && *page_token && page_token_decode(page_token, &off, err))
        return -1;
    if (pipeline_run_id && !*pipeline_run_id)
        pipeline_run_id = NULL;
    if (pipeline_run_id && !lineage_is_run_id(pipeline_run_id))
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value '%.100s' for 'pipeline_run_id': expected a run id",
                        pipeline_run_id);
    if (s->lineage->executions_list(s, pipeline_run_id, off, max + 1, out, err))
        return -1;
    if (out->n > (size_t)max) {
        lineage_execution_release(&out->v[--out->n]);
        page_token_encode(off + max, &out->next_page_token);
    }
    return 0;
}

/* ---------- the graph walk ---------- */

/* An open-addressing hash table of indexes (into the graph's nodes or
 * edges), keyed by a 64-bit hash; equality is the caller's. */
struct htab {
    long *slot; /* -1: empty */
    uint64_t *hash;
    size_t cap, n;
};

static uint64_t hash_str(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static uint64_t hash_int(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h * 1099511628211ULL;
}

static void htab_release(struct htab *t)
{
    free(t->slot);
    free(t->hash);
    memset(t, 0, sizeof(*t));
}

static void htab_put_raw(struct htab *t, uint64_t h, long v)
{
    size_t m = t->cap - 1, i = (size_t)h & m;
    while (t->slot[i] >= 0)
        i = (i + 1) & m;
    t->slot[i] = v;
    t->hash[i] = h;
    t->n++;
}

static void htab_put(struct htab *t, uint64_t h, long v)
{
    if ((t->n + 1) * 2 > t->cap) {
        struct htab old = *t;
        t->cap = old.cap ? old.cap * 2 : 1024;
        t->slot = xmalloc(t->cap * sizeof(*t->slot));
        t->hash = xmalloc(t->cap * sizeof(*t->hash));
        t->n = 0;
        for (size_t i = 0; i < t->cap; i++)
            t->slot[i] = -1;
        for (size_t i = 0; i < old.cap; i++)
            if (old.slot[i] >= 0)
                htab_put_raw(t, old.hash[i], old.slot[i]);
        htab_release(&old);
    }
    htab_put_raw(t, h, v);
}

/* The value whose hash is h and for which eq(arg, value) holds, or -1. */
static long htab_get(const struct htab *t, uint64_t h, int (*eq)(const void *, long),
                     const void *arg)
{
    if (!t->cap)
        return -1;
    size_t m = t->cap - 1;
    for (size_t i = (size_t)h & m; t->slot[i] >= 0; i = (i + 1) & m)
        if (t->hash[i] == h && eq(arg, t->slot[i]))
            return t->slot[i];
    return -1;
}

struct walk {
    struct store *s;
    enum lineage_direction dir;
    int64_t max_nodes;
    struct lineage_graph *g;
    struct htab nodes; /* node id -> its index */
    struct htab edges; /* (source, target, kind, name) -> the edge's index */
    long (*ends)[2];   /* each edge's source and target node indexes */
    size_t ends_alloc;
    const char *want; /* the key being looked up (node_eq) */
    long src, dst;    /* the edge being looked up (edge_eq) */
    const char *kind, *name;
    /* A level's lookups go to the backend together: expand and describe
     * first run collecting (query records what it would ask and answers
     * nothing), the batch is asked, then they run again and query hands
     * out the answers (pre[q], ready[q]). */
    int collecting;
    struct lineage_call *calls;
    size_t ncalls, calls_alloc;
    struct lineage_rows pre[LQ_COUNT];
    int ready[LQ_COUNT];
};

#define HASH_SEED 14695981039346656037ULL

static int node_eq(const void *arg, long i)
{
    const struct walk *w = arg;
    return !strcmp(w->g->nodes[i].id, w->want);
}

/* The index of node id, or -1. */
static long node_index(struct walk *w, const char *id)
{
    w->want = id;
    return htab_get(&w->nodes, hash_str(HASH_SEED, id), node_eq, w);
}

static int edge_eq(const void *arg, long i)
{
    const struct walk *w = arg;
    const struct lineage_edge *e = &w->g->edges[i];
    return w->ends[i][0] == w->src && w->ends[i][1] == w->dst && !strcmp(e->kind, w->kind) &&
           !strcmp(e->name, w->name);
}

/* "runs:/<id>" in buf (of RUN_URI_MAX bytes; a longer id is cut). */
#define RUN_URI_MAX 128
static const char *run_node(char *buf, const char *run_id)
{
    size_t n = strlen(run_id);
    if (n > RUN_URI_MAX - 7)
        n = RUN_URI_MAX - 7;
    memcpy(buf, "runs:/", 6);
    memcpy(buf + 6, run_id, n);
    buf[6 + n] = '\0';
    return buf;
}

static char *dup0(const char *s)
{
    return xstrdup(s ? s : "");
}

/* The kind of node a uri reached by an edge is, and for a run its id. */
static enum lineage_node_kind node_kind_of(const char *uri)
{
    if (!strncmp(uri, "runs:/", 6) && lineage_is_run_id(uri + 6))
        return LINEAGE_NODE_EXECUTION;
    if (!strncmp(uri, "models:/", 8)) {
        const char *p = uri + 8, *slash = strchr(p, '/');
        if (!slash && !strchr(p, '@') && *p)
            return LINEAGE_NODE_LOGGED_MODEL;
        if (slash && slash > p && slash[1] && strspn(slash + 1, "0123456789") == strlen(slash + 1))
            return LINEAGE_NODE_MODEL_VERSION;
        return LINEAGE_NODE_ARTIFACT;
    }
    if (!strncmp(uri, "data:", 5)) {
        struct data_ref r = DATA_REF_INIT;
        struct ferr e = FERR_INIT;
        int dv = !data_uri_parse(uri, &r, &e) && r.kind == DATA_REF_VERSION && !r.path;
        data_ref_release(&r);
        return dv ? LINEAGE_NODE_DATASET_VERSION : LINEAGE_NODE_ARTIFACT;
    }
    return LINEAGE_NODE_ARTIFACT;
}

/* A model version's or dataset version's name and number from its id. */
static void split_nv(const char *id, size_t prefix, char **name, int64_t *num)
{
    const char *p = id + prefix, *slash = strrchr(p, '/');
    *name = slash ? xstrndup(p, (size_t)(slash - p)) : xstrdup(p);
    *num = slash ? strtoll(slash + 1, NULL, 10) : 0;
}

/* Adds the node id (of kind) when new; its index, or -1 when the graph is
 * full (truncated set). */
static long add_node(struct walk *w, const char *id, enum lineage_node_kind kind, int depth,
                     const char *type, const char *digest)
{
    uint64_t h = hash_str(HASH_SEED, id);
    w->want = id;
    long have = htab_get(&w->nodes, h, node_eq, w);
    if (have >= 0)
        return have;
    if ((int64_t)w->g->nnodes >= w->max_nodes) {
        w->g->truncated = 1;
        return -1;
    }
    struct lineage_graph *g = w->g;
    ALLOC_GROW(g->nodes, g->nnodes + 1, g->nodes_alloc);
    struct lineage_node *n = &g->nodes[g->nnodes];
    memset(n, 0, sizeof(*n));
    n->id = xstrdup(id);
    n->kind = kind;
    n->depth = depth;
    n->type = dup0(type);
    n->digest = dup0(digest);
    if (kind == LINEAGE_NODE_MODEL_VERSION)
        split_nv(id, 8, &n->name, &n->version);
    else if (kind == LINEAGE_NODE_DATASET_VERSION)
        split_nv(id, 6, &n->name, &n->version);
    else
        n->name = xstrdup("");
    if (kind == LINEAGE_NODE_EXECUTION)
        n->run_id = xstrdup(id + 6);
    if (kind == LINEAGE_NODE_DATASET_VERSION && !*n->type) {
        free(n->type);
        n->type = xstrdup(LINEAGE_TYPE_DATASET);
    }
    if ((kind == LINEAGE_NODE_MODEL_VERSION || kind == LINEAGE_NODE_LOGGED_MODEL) && !*n->type) {
        free(n->type);
        n->type = xstrdup(LINEAGE_TYPE_MODEL);
    }
    n->state = xstrdup("");
    if (!n->run_id)
        n->run_id = xstrdup("");
    n->experiment_id = xstrdup("");
    n->step = xstrdup("");
    n->pipeline = xstrdup("");
    n->pipeline_run_id = xstrdup("");
    htab_put(&w->nodes, h, (long)g->nnodes);
    return (long)g->nnodes++;
}

static void add_edge(struct walk *w, long src, long dst, const char *kind, const char *name)
{
    struct lineage_graph *g = w->g;
    name = name ? name : "";
    uint64_t h =
        hash_str(hash_str(hash_int(hash_int(HASH_SEED, (uint64_t)src), (uint64_t)dst), kind), name);
    w->src = src;
    w->dst = dst;
    w->kind = kind;
    w->name = name;
    if (htab_get(&w->edges, h, edge_eq, w) >= 0)
        return;
    ALLOC_GROW(g->edges, g->nedges + 1, g->edges_alloc);
    ALLOC_GROW(w->ends, g->nedges + 1, w->ends_alloc);
    struct lineage_edge *e = &g->edges[g->nedges];
    e->source = xstrdup(g->nodes[src].id);
    e->target = xstrdup(g->nodes[dst].id);
    e->kind = xstrdup(kind);
    e->name = xstrdup(name);
    w->ends[g->nedges][0] = src;
    w->ends[g->nedges][1] = dst;
    htab_put(&w->edges, h, (long)g->nedges++);
}

/* From the frontier node `from` the walk reaches `to` over an edge of kind
 * (named name) that points from -> to when down, else to -> from. */
static void reach(struct walk *w, const char *from, const char *to, const char *kind,
                  const char *name, int depth, const char *type, const char *digest)
{
    if (!to || !*to)
        return;
    long f = node_index(w, from);
    if (f < 0)
        return;
    long i = add_node(w, to, node_kind_of(to), depth, type, digest);
    if (i < 0)
        return;
    struct lineage_node *n = &w->g->nodes[i];
    if (type && *type && !*n->type) {
        free(n->type);
        n->type = xstrdup(type);
    }
    if (digest && *digest && !*n->digest) {
        free(n->digest);
        n->digest = xstrdup(digest);
    }
    if (w->dir == LINEAGE_DOWNSTREAM)
        add_edge(w, f, i, kind, name);
    else
        add_edge(w, i, f, kind, name);
}

/* The uri a dataset input's source names: the "uri" (or "url", "path") of
 * a JSON object, else the text itself. A new string. */
static char *source_uri(const char *source)
{
    if (source && *source == '{') {
        json_t *j = json_loads(source, 0, NULL);
        const char *keys[] = {"uri", "url", "path"};
        for (size_t i = 0; j && i < 3; i++) {
            const char *u = json_string_value(json_object_get(j, keys[i]));
            if (u && *u) {
                char *r = xstrdup(u);
                json_decref(j);
                return r;
            }
        }
        json_decref(j);
    }
    return dup0(source);
}

/* Keys of one kind gathered from the frontier. */
struct keys {
    const char **v;
    int64_t *nums;
    char **owned; /* what v points at, when the walk made it */
    size_t n, alloc, nalloc, oalloc;
};

static void keys_add(struct keys *k, const char *key, int64_t num, int own)
{
    ALLOC_GROW(k->v, k->n + 1, k->alloc);
    ALLOC_GROW(k->nums, k->n + 1, k->nalloc);
    if (own) {
        ALLOC_GROW(k->owned, k->n + 1, k->oalloc);
        k->owned[k->n] = (char *)key;
    }
    k->v[k->n] = key;
    k->nums[k->n++] = num;
}

static void keys_release(struct keys *k, int owned)
{
    if (owned)
        for (size_t i = 0; i < k->n; i++)
            free(k->owned[i]);
    free(k->v);
    free(k->nums);
    free(k->owned);
    memset(k, 0, sizeof(*k));
}

static void calls_release(struct walk *w)
{
    for (size_t i = 0; i < w->ncalls; i++) {
        struct lineage_call *c = &w->calls[i];
        for (size_t k = 0; k < c->n; k++)
            free((char *)c->keys[k]);
        free((void *)c->keys);
        free((void *)c->nums);
        lineage_rows_release(&c->rows);
    }
    w->ncalls = 0;
    for (int q = 0; q < LQ_COUNT; q++) {
        lineage_rows_release(&w->pre[q]);
        w->ready[q] = 0;
    }
}

static int query(struct walk *w, enum lineage_query q, const struct keys *k,
                 struct lineage_rows *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!k->n)
        return 0;
    if (w->collecting) { /* record a copy of what is asked */
        ALLOC_GROW(w->calls, w->ncalls + 1, w->calls_alloc);
        struct lineage_call *c = &w->calls[w->ncalls++];
        char **keys = xmalloc(k->n * sizeof(*keys));
        int64_t *nums = xmalloc(k->n * sizeof(*nums));
        for (size_t i = 0; i < k->n; i++) {
            keys[i] = xstrdup(k->v[i]);
            nums[i] = k->nums[i];
        }
        memset(c, 0, sizeof(*c));
        c->q = q;
        c->keys = (const char *const *)keys;
        c->nums = nums;
        c->n = k->n;
        return 0;
    }
    if (w->ready[q]) { /* asked with the level's batch */
        *out = w->pre[q];
        memset(&w->pre[q], 0, sizeof(w->pre[q]));
        w->ready[q] = 0;
        return 0;
    }
    if (w->s->lineage->query(w->s, q, k->v, k->nums, k->n, out, err)) {
        lineage_rows_release(out);
        return -1;
    }
    return 0;
}

/* Asks the collected calls (in one batch when the backend can) and makes
 * their answers ready for query. */
static int ask_calls(struct walk *w, struct ferr *err)
{
    const struct store_lineage_ops *ops = w->s->lineage;
    int rc = 0;
    if (ops->query_many && w->ncalls > 1) {
        rc = ops->query_many(w->s, w->calls, w->ncalls, err);
    } else {
        for (size_t i = 0; i < w->ncalls && !rc; i++) {
            struct lineage_call *c = &w->calls[i];
            int pairs = c->q == LQ_VERSION_SOURCES_NV || c->q == LQ_VERSIONS_NV ||
                        c->q == LQ_DATA_VERSIONS_NV;
            rc = ops->query(w->s, c->q, c->keys, pairs ? c->nums : NULL, c->n, &c->rows, err);
        }
    }
    for (size_t i = 0; i < w->ncalls && !rc; i++) {
        struct lineage_call *c = &w->calls[i];
        lineage_rows_release(&w->pre[c->q]);
        w->pre[c->q] = c->rows;
        memset(&c->rows, 0, sizeof(c->rows));
        w->ready[c->q] = 1;
    }
    return rc;
}

static char *nv_id(const char *prefix, const char *name, const char *num)
{
    struct sbuf b = SBUF_INIT;
    sbuf_addf(&b, "%s%s/%s", prefix, name, num);
    return sbuf_detach(&b, NULL);
}

/* One level's edges from the frontier nodes [from, to) of the graph. */
static int expand(struct walk *w, size_t from, size_t to, int depth, struct ferr *err)
{
    struct keys runs = {0}, uris = {0}, mvs = {0}, lms = {0}, sources = {0};
    struct lineage_rows r = {0};
    char rb[RUN_URI_MAX];
    int down = w->dir == LINEAGE_DOWNSTREAM, rc = -1;
    for (size_t i = from; i < to; i++) {
        /* the graph's nodes array may move while rows are added: keys are
         * copies */
        const struct lineage_node *n = &w->g->nodes[i];
        switch (n->kind) {
        case LINEAGE_NODE_EXECUTION:
            keys_add(&runs, xstrdup(n->run_id), 0, 1);
            continue;
        case LINEAGE_NODE_MODEL_VERSION:
            keys_add(&mvs, xstrdup(n->name), n->version, 1);
            break;
        case LINEAGE_NODE_LOGGED_MODEL:
            keys_add(&lms, xstrdup(n->id + 8), 0, 1);
            break;
        default:
            break;
        }
        keys_add(&uris, xstrdup(n->id), 0, 1);
        if (down && n->kind != LINEAGE_NODE_MODEL_VERSION) {
            keys_add(&sources, xstrdup(n->id), 0, 1);
            struct sbuf j = SBUF_INIT;
            json_t *u = json_string(n->id);
            char *q = json_dumps(u, JSON_ENCODE_ANY);
            json_decref(u);
            if (q) {
                sbuf_addf(&j, "{\"uri\": %s}", q);
                keys_add(&sources, sbuf_detach(&j, NULL), 0, 1);
                sbuf_addf(&j, "{\"uri\":%s}", q);
                keys_add(&sources, sbuf_detach(&j, NULL), 0, 1);
                free(q);
            }
            sbuf_release(&j);
        }
    }
    if (!down) {
        /* runs <- their input artifacts and dataset inputs */
        if (query(w, LQ_RUN_EVENTS_IN, &runs, &r, err))
            goto out;
        for (size_t i = 0; i < r.n; i++) {
            reach(w, run_node(rb, r.v[i].c[0]), r.v[i].c[1], LINEAGE_INPUT, r.v[i].c[2], depth,
                  r.v[i].c[3], r.v[i].c[4]);
        }
        lineage_rows_release(&r);
        if (query(w, LQ_RUN_DATASETS, &runs, &r, err))
            goto out;
        for (size_t i = 0; i < r.n; i++) {
            char *f = lineage_run_uri(r.v[i].c[0]), *u = source_uri(r.v[i].c[1]);
            reach(w, f, u, LINEAGE_INPUT, r.v[i].c[2], depth, LINEAGE_TYPE_DATASET, r.v[i].c[4]);
            free(f);
            free(u);
        }
        lineage_rows_release(&r);
        /* artifacts <- the runs that output them */
        if (query(w, LQ_URI_EVENTS_OUT, &uris, &r, err))
            goto out;
        for (size_t i = 0; i < r.n; i++) {
            reach(w, r.v[i].c[0], run_node(rb, r.v[i].c[1]), LINEAGE_OUTPUT, r.v[i].c[2], depth,
                  NULL, NULL);
        }
        lineage_rows_release(&r);
        /* model versions <- their run, logged model, source artifact */
        if (query(w, LQ_VERSION_SOURCES_NV, &mvs, &r, err))
            goto out;
        for (size_t i = 0; i < r.n; i++) {
            const char *const *c = (const char *const *)r.v[i].c;
            char *f = nv_id("models:/", c[0], c[1]);
            if (*c[2]) {
                char *t = lineage_run_uri(c[2]);
                reach(w, f, t, LINEAGE_REGISTERED, "", depth, NULL, NULL);
                free(t);
            }
            if (*c[4]) {
                struct sbuf t = SBUF_INIT;
                sbuf_addf(&t, "models:/%s", c[4]);
                reach(w, f, t.buf, LINEAGE_REGISTERED, "", depth, NULL, NULL);
                sbuf_release(&t);
            } else if (node_kind_of(c[3]) == LINEAGE_NODE_LOGGED_MODEL || !strcmp(c[5], "1")) {
                reach(w, f, c[3], LINEAGE_REGISTERED, "", depth, NULL, NULL);
            }
            free(f);
        }
        lineage_rows_release(&r);
        /* logged models <- their source run */
        if (query(w, LQ_LOGGED_MODEL_RUNS, &lms, &r, err))
            goto out;
        for (size_t i = 0; i < r.n; i++) {
            if (!*r.v[i].c[1])
                continue;
            char *t = lineage_run_uri(r.v[i].c[1]);
            struct sbuf f = SBUF_INIT;
            sbuf_addf(&f, "models:/%s", r.v[i].c[0]);
            reach(w, f.buf, t, LINEAGE_OUTPUT, "", depth, NULL, NULL);
            sbuf_release(&f);
            free(t);
        }
    } else {
        /* runs -> their outputs, logged models, registered versions */
        if (query(w, LQ_RUN_EVENTS_OUT, &runs, &r, err))
            goto out;
        for (size_t i = 0; i < r.n; i++) {
            reach(w, run_node(rb, r.v[i].c[0]), r.v[i].c[1], LINEAGE_OUTPUT, r.v[i].c[2], depth,
                  r.v[i].c[3], r.v[i].c[4]);
        }
        lineage_rows_release(&r);
        if (query(w, LQ_RUN_LOGGED_MODELS, &runs, &r, err))
            goto out;
        for (size_t i = 0; i < r.n; i++) {
            char *f = lineage_run_uri(r.v[i].c[0]);
            struct sbuf t = SBUF_INIT;
            sbuf_addf(&t, "models:/%s", r.v[i].c[1]);
            reach(w, f, t.buf, LINEAGE_OUTPUT, "", depth, NULL, NULL);
            sbuf_release(&t);
            free(f);
        }
        lineage_rows_release(&r);
        if (query(w, LQ_RUN_VERSIONS, &runs, &r, err))
            goto out;
        for (size_t i = 0; i < r.n; i++) {
            char *f = lineage_run_uri(r.v[i].c[0]),
                 *t = nv_id("models:/", r.v[i].c[1], r.v[i].c[2]);
            reach(w, f, t, LINEAGE_REGISTERED, "", depth, NULL, NULL);
            free(f);
            free(t);
        }
        lineage_rows_release(&r);
        /* artifacts -> the runs they are inputs of (events, dataset inputs),
         * the versions registered from them */
        if (query(w, LQ_URI_EVENTS_IN, &uris, &r, err))
            goto out;
        for (size_t i = 0; i < r.n; i++) {
            reach(w, r.v[i].c[0], run_node(rb, r.v[i].c[1]), LINEAGE_INPUT, r.v[i].c[2], depth,
                  NULL, NULL);
        }
        lineage_rows_release(&r);
        if (query(w, LQ_SOURCE_RUNS, &sources, &r, err))
            goto out;
        for (size_t i = 0; i < r.n; i++) {
            char *f = source_uri(r.v[i].c[0]), *t = lineage_run_uri(r.v[i].c[1]);
            if (node_index(w, f) >= 0)
                reach(w, f, t, LINEAGE_INPUT, r.v[i].c[2], depth, NULL, NULL);
            free(f);
            free(t);
        }
        lineage_rows_release(&r);
        if (query(w, LQ_SOURCE_VERSIONS, &uris, &r, err))
            goto out;
        for (size_t i = 0; i < r.n; i++) {
            char *t = nv_id("models:/", r.v[i].c[1], r.v[i].c[2]);
            reach(w, r.v[i].c[0], t, LINEAGE_REGISTERED, "", depth, NULL, NULL);
            free(t);
        }
        lineage_rows_release(&r);
        if (query(w, LQ_LOGGED_MODEL_VERSIONS, &lms, &r, err))
            goto out;
        for (size_t i = 0; i < r.n; i++) {
            struct sbuf f = SBUF_INIT;
            sbuf_addf(&f, "models:/%s", r.v[i].c[0]);
            char *t = nv_id("models:/", r.v[i].c[1], r.v[i].c[2]);
            reach(w, f.buf, t, LINEAGE_REGISTERED, "", depth, NULL, NULL);
            sbuf_release(&f);
            free(t);
        }
    }
    rc = 0;
out:
    lineage_rows_release(&r);
    keys_release(&runs, 1);
    keys_release(&uris, 1);
    keys_release(&mvs, 1);
    keys_release(&lms, 1);
    keys_release(&sources, 1);
    return rc;
}

static void set_str(char **dst, const char *v)
{
    free(*dst);
    *dst = dup0(v);
}

static struct lineage_node *node_at(struct walk *w, const char *id)
{
    long i = node_index(w, id);
    return i >= 0 ? &w->g->nodes[i] : NULL;
}

/* The details of nodes [from, to): one query per kind. *found (may be
 * NULL) counts the nodes a query answered. */
static int describe(struct walk *w, size_t from, size_t to, size_t *found, struct ferr *err)
{
    struct keys runs = {0}, arts = {0}, mvs = {0}, lms = {0}, dvs = {0};
    struct lineage_rows r = {0};
    int rc = -1;
    size_t nfound = 0;
    for (size_t i = from; i < to; i++) {
        const struct lineage_node *n = &w->g->nodes[i];
        switch (n->kind) {
        case LINEAGE_NODE_EXECUTION:
            keys_add(&runs, n->run_id, 0, 0);
            break;
        case LINEAGE_NODE_MODEL_VERSION:
            keys_add(&mvs, n->name, n->version, 0);
            break;
        case LINEAGE_NODE_DATASET_VERSION:
            keys_add(&dvs, n->name, n->version, 0);
            break;
        case LINEAGE_NODE_LOGGED_MODEL:
            keys_add(&lms, n->id + 8, 0, 0);
            break;
        default:
            if (!*n->type || !*n->digest)
                keys_add(&arts, n->id, 0, 0);
            break;
        }
    }
    if (query(w, LQ_RUNS, &runs, &r, err))
        goto out;
    for (size_t i = 0; i < r.n; i++) {
        char rb[RUN_URI_MAX];
        struct lineage_node *n = node_at(w, run_node(rb, r.v[i].c[0]));
        if (!n)
            continue;
        nfound++;
        set_str(&n->name, r.v[i].c[1]);
        set_str(&n->state, *r.v[i].c[4] ? r.v[i].c[4] : r.v[i].c[2]);
        set_str(&n->experiment_id, r.v[i].c[3]);
        set_str(&n->step, r.v[i].c[5]);
        set_str(&n->pipeline, r.v[i].c[6]);
        set_str(&n->pipeline_run_id, r.v[i].c[7]);
    }
    lineage_rows_release(&r);
    if (query(w, LQ_ARTIFACTS, &arts, &r, err))
        goto out;
    for (size_t i = 0; i < r.n; i++) {
        struct lineage_node *n = node_at(w, r.v[i].c[0]);
        if (!n)
            continue;
        nfound++;
        if (!*n->type)
            set_str(&n->type, r.v[i].c[1]);
        if (!*n->digest)
            set_str(&n->digest, r.v[i].c[2]);
    }
    lineage_rows_release(&r);
    if (query(w, LQ_VERSIONS_NV, &mvs, &r, err))
        goto out;
    for (size_t i = 0; i < r.n; i++) {
        char *id = nv_id("models:/", r.v[i].c[0], r.v[i].c[1]);
        struct lineage_node *n = node_at(w, id);
        free(id);
        if (!n)
            continue;
        nfound++;
        set_str(&n->state, r.v[i].c[2]);
        set_str(&n->run_id, r.v[i].c[3]);
    }
    lineage_rows_release(&r);
    if (query(w, LQ_DATA_VERSIONS_NV, &dvs, &r, err))
        goto out;
    for (size_t i = 0; i < r.n; i++) {
        char *id = nv_id("data:/", r.v[i].c[0], r.v[i].c[1]);
        struct lineage_node *n = node_at(w, id);
        free(id);
        if (!n)
            continue;
        nfound++;
        set_str(&n->digest, r.v[i].c[2]);
    }
    lineage_rows_release(&r);
    if (query(w, LQ_LOGGED_MODELS, &lms, &r, err))
        goto out;
    for (size_t i = 0; i < r.n; i++) {
        struct sbuf id = SBUF_INIT;
        sbuf_addf(&id, "models:/%s", r.v[i].c[0]);
        struct lineage_node *n = node_at(w, id.buf);
        sbuf_release(&id);
        if (!n)
            continue;
        nfound++;
        set_str(&n->name, r.v[i].c[1]);
        set_str(&n->experiment_id, r.v[i].c[2]);
        set_str(&n->run_id, r.v[i].c[3]);
    }
    rc = 0;
out:
    lineage_rows_release(&r);
    keys_release(&runs, 0);
    keys_release(&arts, 0);
    keys_release(&mvs, 0);
    keys_release(&lms, 0);
    keys_release(&dvs, 0);
    if (found)
        *found = nfound;
    return rc;
}

static int not_found(const char *what, const char *uri, struct ferr *err)
{
    return ferr_set(err, FERR_RESOURCE_DOES_NOT_EXIST, "%s '%.300s' not found", what, uri);
}

/* Whether an artifact uri is known beyond the artifacts table: a dataset
 * input's source or a model version's source names it. */
static int uri_used(struct walk *w, const char *uri, int *used, struct ferr *err)
{
    struct keys k = {0};
    struct lineage_rows r = {0};
    keys_add(&k, uri, 0, 0);
    *used = 0;
    int rc = query(w, LQ_SOURCE_VERSIONS, &k, &r, err);
    *used = r.n > 0;
    lineage_rows_release(&r);
    if (!rc && !*used) {
        json_t *u = json_string(uri);
        char *q = json_dumps(u, JSON_ENCODE_ANY);
        json_decref(u);
        struct sbuf a = SBUF_INIT, b = SBUF_INIT;
        sbuf_addf(&a, "{\"uri\": %s}", q ? q : "\"\"");
        sbuf_addf(&b, "{\"uri\":%s}", q ? q : "\"\"");
        free(q);
        keys_add(&k, a.buf, 0, 0);
        keys_add(&k, b.buf, 0, 0);
        rc = query(w, LQ_SOURCE_RUNS, &k, &r, err);
        *used = r.n > 0;
        lineage_rows_release(&r);
        sbuf_release(&a);
        sbuf_release(&b);
    }
    keys_release(&k, 0);
    return rc;
}

/* Resolves uri to the root node (nodes[0]). */
static int add_root(struct walk *w, const char *uri, struct ferr *err)
{
    enum lineage_uri_kind k;
    char *id = NULL;
    int rc = -1;
    struct sbuf b = SBUF_INIT;
    if (lineage_uri_classify(uri, &k, &id, err))
        return -1;
    switch (k) {
    case LINEAGE_URI_RUN: {
        if (!lineage_is_run_id(id)) {
            not_found("run", id, err);
            goto out;
        }
        char *r = lineage_run_uri(id);
        add_node(w, r, LINEAGE_NODE_EXECUTION, 0, NULL, NULL);
        free(r);
        break;
    }
    case LINEAGE_URI_MODEL: {
        struct model_version mv;
        memset(&mv, 0, sizeof(mv));
        if (store_find_model_version(w->s, uri, &mv, err))
            goto out;
        sbuf_addf(&b, "models:/%s/%lld", mv.name, (long long)mv.version);
        model_version_release(&mv);
        add_node(w, b.buf, LINEAGE_NODE_MODEL_VERSION, 0, NULL, NULL);
        break;
    }
    case LINEAGE_URI_LOGGED_MODEL:
        add_node(w, uri, LINEAGE_NODE_LOGGED_MODEL, 0, NULL, NULL);
        break;
    case LINEAGE_URI_DATA: {
        struct data_ref ref = DATA_REF_INIT;
        struct data_version v;
        memset(&v, 0, sizeof(v));
        if (data_uri_parse(uri, &ref, err))
            goto out;
        if (ref.path) {
            data_ref_release(&ref);
            add_node(w, uri, LINEAGE_NODE_ARTIFACT, 0, NULL, NULL);
            break;
        }
        int bad = store_data_version_get(w->s, &ref, 0, &v, err);
        data_ref_release(&ref);
        if (bad)
            goto out;
        sbuf_addf(&b, "data:/%s/%lld", v.name, (long long)v.version);
        data_version_release(&v);
        add_node(w, b.buf, LINEAGE_NODE_DATASET_VERSION, 0, NULL, NULL);
        break;
    }
    default:
        add_node(w, uri, LINEAGE_NODE_ARTIFACT, 0, NULL, NULL);
        break;
    }
    size_t found;
    if (describe(w, 0, 1, &found, err))
        goto out;
    if (!found) {
        const struct lineage_node *n = &w->g->nodes[0];
        if (n->kind == LINEAGE_NODE_EXECUTION) {
            not_found("run", n->run_id, err);
            goto out;
        }
        if (n->kind == LINEAGE_NODE_LOGGED_MODEL) {
            not_found("logged model", n->id + 8, err);
            goto out;
        }
        if (n->kind == LINEAGE_NODE_ARTIFACT) {
            int used;
            if (uri_used(w, n->id, &used, err))
                goto out;
            if (!used) {
                not_found("artifact", n->id, err);
                goto out;
            }
        }
    }
    rc = 0;
out:
    free(id);
    sbuf_release(&b);
    return rc;
}

int store_lineage_graph(struct store *s, const char *uri, enum lineage_direction direction,
                        int depth, int64_t max_nodes, struct lineage_graph *out, struct ferr *err)
{
    memset(out, 0, sizeof(*out));
    if (!s->lineage)
        return store_lacks(s, AREA, err);
    if (depth == 0)
        depth = LINEAGE_DEPTH_DEFAULT;
    if (depth < 1 || depth > LINEAGE_DEPTH_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'depth': expected 1 to %d", LINEAGE_DEPTH_MAX);
    if (max_nodes == 0)
        max_nodes = LINEAGE_NODES_DEFAULT;
    if (max_nodes < 1 || max_nodes > LINEAGE_NODES_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'max_nodes': expected 1 to %d",
                        LINEAGE_NODES_MAX);
    if (direction != LINEAGE_UPSTREAM && direction != LINEAGE_DOWNSTREAM)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "invalid value for parameter 'direction'");
    struct walk w;
    memset(&w, 0, sizeof(w));
    w.s = s;
    w.dir = direction;
    w.max_nodes = max_nodes;
    w.g = out;
    int rc = -1;
    if (add_root(&w, uri, err))
        goto out;
    out->root = xstrdup(out->nodes[0].id);
    /* Each level asks in one batch: the details of its nodes (the root's
     * were asked above) and the edges from them. */
    size_t from = 0, to = 1, described = 1;
    for (int d = 1; d <= depth && from < to; d++) {
        int with_details = from >= described;
        for (int pass = 0; pass < 2; pass++) {
            w.collecting = pass == 0;
            if ((with_details && describe(&w, from, to, NULL, err)) || expand(&w, from, to, d, err))
                goto out;
            if (pass == 0 && ask_calls(&w, err))
                goto out;
        }
        calls_release(&w);
        if (with_details)
            described = to;
        from = to;
        to = out->nnodes;
    }
    if (described < out->nnodes && describe(&w, described, out->nnodes, NULL, err))
        goto out;
    rc = 0;
out:
    calls_release(&w);
    free(w.calls);
    htab_release(&w.nodes);
    htab_release(&w.edges);
    free(w.ends);
    if (rc)
        lineage_graph_release(out);
    return rc;
}

/* ---------- a generated graph ---------- */

/* The generated runs: one import transaction when the store takes one,
 * else a create each. ids[i] gets run i's id (names[i] its name). */
static int gen_runs(struct store *s, int64_t experiment_id, char **names, size_t n, char **ids,
                    struct ferr *err)
{
    struct store_import *tx = NULL;
    char exp[24];
    snprintf(exp, sizeof(exp), "%lld", (long long)experiment_id);
    if (s->import && !store_import_begin(s, &tx, err)) {
        for (size_t i = 0; i < n; i++) {
            char id[RUN_ID_LEN + 1];
            ids_new_run_id(id);
            struct import_run r = {id,
                                   experiment_id,
                                   names[i],
                                   "",
                                   RUN_FINISHED,
                                   1000 + (int64_t)i,
                                   2000 + (int64_t)i,
                                   TIME_NONE,
                                   "file:///tmp/ferry-lineage-generated",
                                   LIFECYCLE_ACTIVE};
            enum import_outcome o;
            if (store_import_run(tx, &r, &o, err) || store_import_run_done(tx, err)) {
                store_import_abort(tx);
                return -1;
            }
            ids[i] = xstrdup(id);
        }
        return store_import_commit(tx, err);
    }
    ferr_clear(err);
    for (size_t i = 0; i < n; i++) {
        struct run_create rc;
        struct run r;
        memset(&rc, 0, sizeof(rc));
        memset(&r, 0, sizeof(r));
        rc.experiment_id = exp;
        rc.run_name = names[i];
        rc.start_time = TIME_NONE;
        if (store_create_run(s, &rc, &r, err))
            return -1;
        ids[i] = xstrdup(r.info.run_id);
        run_release(&r);
    }
    return 0;
}

#define GEN_BATCH 5000 /* events in one bulk transaction */

int store_lineage_generate(struct store *s, int64_t experiment_id, int64_t nodes, int64_t width,
                           char **root, int64_t *made, struct ferr *err)
{
    *root = NULL;
    if (made)
        *made = 0;
    if (!s->lineage)
        return store_lacks(s, AREA, err);
    if (!s->lineage->bulk)
        return ferr_set(err, FERR_NOT_IMPLEMENTED, "this store cannot generate a graph");
    if (nodes < 10 || nodes > LINEAGE_NODES_MAX)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "nodes: expected 10 to %d",
                        LINEAGE_NODES_MAX);
    if (width <= 0)
        width = nodes / 40 > 0 ? nodes / 40 : 1;
    int64_t levels = (nodes - 2 + width) / (2 * width); /* the nearest */
    if (levels < 1)
        levels = 1;
    /* runs: the pipeline run, levels x width steps, the final one */
    size_t nruns = (size_t)(levels * width) + 2;
    char **names = xcalloc(nruns, sizeof(char *)), **ids = xcalloc(nruns, sizeof(char *));
    char **outs = xcalloc(nruns, sizeof(char *));
    names[0] = xstrdup("generated-pipeline");
    for (int64_t l = 0; l < levels; l++)
        for (int64_t i = 0; i < width; i++) {
            struct sbuf b = SBUF_INIT;
            sbuf_addf(&b, "s%lld_%lld", (long long)l, (long long)i);
            names[1 + l * width + i] = sbuf_detach(&b, NULL);
        }
    names[nruns - 1] = xstrdup("final");
    struct lineage_execution_in *ex = xcalloc(nruns, sizeof(*ex));
    const char **evrun = xcalloc(GEN_BATCH + (size_t)width + 1, sizeof(*evrun));
    struct lineage_event_in *ev = xcalloc(GEN_BATCH + (size_t)width + 1, sizeof(*ev));
    size_t nev = 0, done_ex = 0;
    int rc = -1;
    if (gen_runs(s, experiment_id, names, nruns, ids, err))
        goto out;
    for (size_t r = 1; r < nruns; r++) {
        struct sbuf b = SBUF_INIT;
        sbuf_addf(&b, "runs:/%s/outputs/%s", ids[r], r == nruns - 1 ? "model" : "o");
        outs[r] = sbuf_detach(&b, NULL);
        ex[r - 1] = (struct lineage_execution_in){
            ids[r], "generated", ids[0], names[r], LINEAGE_COMPLETE, "", "", 1000, 2000};
    }
    for (size_t r = 1; r < nruns; r++) {
        int64_t l = (int64_t)(r - 1) / width, i = (int64_t)(r - 1) % width;
        if (r == nruns - 1) {
            for (int64_t k = 0; k < width; k++) {
                evrun[nev] = ids[r];
                ev[nev++] = (struct lineage_event_in){
                    LINEAGE_INPUT, "in", outs[1 + (levels - 1) * width + k], "file", "d", NULL};
            }
        } else if (l > 0) {
            size_t a = (size_t)(1 + (l - 1) * width + i),
                   b = (size_t)(1 + (l - 1) * width + (i + 1) % width);
            evrun[nev] = ids[r];
            ev[nev++] = (struct lineage_event_in){LINEAGE_INPUT, "a", outs[a], "file", "d", NULL};
            evrun[nev] = ids[r];
            ev[nev++] = (struct lineage_event_in){LINEAGE_INPUT, "b", outs[b], "file", "d", NULL};
        }
        evrun[nev] = ids[r];
        ev[nev++] = (struct lineage_event_in){LINEAGE_OUTPUT,
                                              r == nruns - 1 ? "model" : "o",
                                              outs[r],
                                              r == nruns - 1 ? "model" : "file",
                                              "d",
                                              NULL};
        if (nev >= GEN_BATCH || r == nruns - 1) {
            /* the executions of the runs whose events go now */
            if (s->lineage->bulk(s, ex + done_ex, r - done_ex, evrun, ev, nev, 1000, err))
                goto out;
            done_ex = r;
            nev = 0;
        }
    }
    *root = xstrdup(outs[nruns - 1]);
    if (made)
        *made = (int64_t)(nruns - 1) * 2;
    rc = 0;
out:
    for (size_t r = 0; r < nruns; r++) {
        free(names[r]);
        free(ids[r]);
        free(outs[r]);
    }
    free(names);
    free(ids);
    free(outs);
    free(ex);
    free(evrun);
    free(ev);
    return rc;
}
