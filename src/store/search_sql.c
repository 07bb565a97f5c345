/* SPDX-License-Identifier: MIT
 * Filter and order_by ASTs -> one SELECT with bound parameters; user text
 * only ever reaches the database as a bound value. Shared by the SQL
 * backends: what their SQL writes differently (placeholders, LIKE, where
 * NULLs sort) comes from the dialect of the frag being written
 * (store/sql_dialect.h); the rest is common SQL over the schema every SQL
 * backend creates (store/sqlite/schema.c).
 *
 * Filters. Each comparison on a metric, param, tag or dataset becomes an
 * EXISTS over the child table keyed by (run, key), so a missing key never
 * matches, not even "!=" (as MLflow). Metrics compare the latest value; NaN
 * latest values match no comparison. LIKE is case-sensitive, ILIKE is not;
 * both take % and _ as wildcards and a backslash to escape the next
 * character (the dialect writes them: in SQLite LIKE is GLOB and ILIKE is
 * LIKE, case-insensitive for ASCII). NOT is pushed down to the comparisons
 * (De Morgan) and chains of one operator are written flat, so SQL nesting
 * only grows where AND and OR alternate; that nesting is capped because
 * SQLite's parser stack is finite. A NOT over a comparison on a nullable
 * column (end_time) is true when the column is NULL, so every comparison is
 * two-valued, like MLflow's.
 *
 * Ordering. Sort keys on metrics, params and tags are LEFT JOINs; missing
 * values sort last in both directions and NaN metrics just before them; the
 * order always ends in a unique key, so offset paging is stable. A
 * comparison ANDed at the filter's top on a sort key goes into that key's
 * join, which becomes an inner one (merge_into_order).
 *
 * Plan. In SQLite the query is driven from runs_by_experiment
 * (experiment_id, ...): correlated EXISTS subqueries and LEFT JOINs cannot
 * become the outer loop, and the dialect's inner join (CROSS JOIN) keeps
 * the order as written, so the cost is linear in the runs of the searched
 * experiments, whatever else the database holds (5,000 runs, "metrics.acc
 * > 0.5 and params.lr = '0.01'" by metrics.acc DESC, 100 results: the
 * SELECT takes ~3 ms, the embedded search ~4.3 ms and REST ~5.9 ms).
 * Driving from the sort metric's index (key, experiment_id, value, run),
 * in its order and stopping at the page (run_order_terms), is far faster
 * when the filter leaves many runs: 3.3 against 90 ms for 100,000 runs,
 * 0.5 against 3.2 for 5,000. But SQLite has no statistics and takes that
 * plan as well when another filter matches few runs, or several
 * experiments are searched, and then fetches the run of every entry: 839
 * against 146 ms, 756 against 173. PostgreSQL knows its tables'
 * statistics, and its inner join is free to start from the sort key's
 * index: the same 100,000-run search takes ~3 ms instead of ~150 (its
 * backend plans each search with its values, pg_runs.c says why), and
 * the two others cost it what they did. The experiment in the key-value
 * indexes is what makes its filters cheap (RUN_ROW_LINK). */
#include "store/search_sql.h"
#include "base/json.h"
#include "store/filter.h"
#include "base/xalloc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

#define MAX_SQL_NESTING     32    /* nested AND/OR groups in the SQL text */
#define MAX_ORDER_KEYS      16    /* order_by clauses (each may be a join) */
#define MAX_EXPERIMENT_IDS  10000 /* bound values stay well under SQLite's limit */
#define DATASET_CONTEXT_TAG "mlflow.data.context"

/* A run's row of params, tags or latest_metrics. The experiment is there
 * for the planner: the tables carry their run's experiment (schema 14) and
 * lead their key-value indexes with it after the key (and value), so a
 * search that starts from such an index reads only its experiments'
 * entries. Always true for the rows that match. alias is the row's table
 * alias as a string literal ("x"), or a format of one ("o%zu"). */
#define RUN_ROW_LINK(alias) alias ".run = r.id AND " alias ".experiment_id = r.experiment_id"

struct compiler {
    struct sql_frag *f;
    enum filter_domain dom;
    const struct logged_model_search *lm; /* FILTER_LOGGED_MODELS: its datasets */
    int saw_metric;                       /* a metric comparison was compiled */
};

/* ---------- comparisons ---------- */

static void bind_value(struct sql_frag *f, const struct fvalue *v)
{
    if (v->is_num)
        sql_frag_real(f, v->num);
    else
        sql_frag_text(f, v->str);
}

/* "<col> <op> <value(s)>" */
static void compile_op(struct sql_frag *f, const char *col, const struct fnode *n)
{
    static const char *const sym[] = {"=", "!=", ">", ">=", "<", "<="};
    sbuf_addf(&f->sql, "%s ", col);
    switch (n->op) {
    case FOP_LIKE:
    case FOP_ILIKE:
        f->dialect->like(f, n->values[0].str, n->op == FOP_ILIKE);
        return;
    case FOP_IN:
    case FOP_NOT_IN:
        sbuf_addstr(&f->sql, n->op == FOP_IN ? "IN (" : "NOT IN (");
        for (size_t i = 0; i < n->nvalues; i++) {
            sbuf_addstr(&f->sql, i ? ", " : "");
            bind_value(f, &n->values[i]);
        }
        sbuf_addch(&f->sql, ')');
        return;
    default:
        sbuf_addf(&f->sql, "%s ", sym[n->op]);
        bind_value(f, &n->values[0]);
    }
}

struct colmap {
    const char *attr, *col;
    int nullable;
};

static const struct colmap run_cols[] = {
    {"run_id", "r.run_uuid", 0},
    {"run_name", "r.name", 0},
    {"status", "r.status", 0},
    {"user_id", "r.user_id", 0},
    {"artifact_uri", "r.artifact_uri", 0},
    {"lifecycle_stage", "r.lifecycle_stage", 0},
    {"start_time", "r.start_time", 1},
    {"end_time", "r.end_time", 1},
    {NULL, NULL, 0},
};

static const struct colmap experiment_cols[] = {
    {"name", "e.name", 0},
    {"experiment_id", "e.experiment_id", 0},
    {"creation_time", "e.creation_time", 0},
    {"last_update_time", "e.last_update_time", 0},
    {NULL, NULL, 0},
};

static const struct colmap model_cols[] = {
    {"name", "m.name", 0},
    {"creation_timestamp", "m.creation_time", 0},
    {"last_updated_timestamp", "m.last_updated_time", 0},
    {NULL, NULL, 0},
};

static const struct colmap version_cols[] = {
    {"name", "m.name", 0},
    {"version_number", "v.version", 0},
    {"run_id", "v.run_id", 1},
    {"source_path", "v.source", 0},
    {"current_stage", "v.current_stage", 0},
    {"creation_timestamp", "v.creation_time", 0},
    {"last_updated_timestamp", "v.last_updated_time", 0},
    {NULL, NULL, 0},
};

static const struct colmap logged_model_cols[] = {
    {"name", "lm.name", 0},
    {"model_id", "lm.model_id", 0},
    {"model_type", "lm.model_type", 1},
    {"status", "lm.status", 0},
    {"status_message", "lm.status_message", 1},
    {"source_run_id", "lm.source_run_id", 1},
    {"experiment_id", "lm.experiment_id", 0},
    {"artifact_location", "lm.artifact_location", 0},
    {"creation_timestamp", "lm.creation_time", 0},
    {"last_updated_timestamp", "lm.last_updated_time", 0},
    {NULL, NULL, 0},
};

/* A trace's end is its start plus its execution time (NULL while unknown). */
static const struct colmap trace_cols[] = {
    {"request_id", "t.request_id", 0},
    {"timestamp_ms", "t.timestamp_ms", 0},
    {"execution_time_ms", "t.execution_time_ms", 1},
    {"end_time_ms", "(t.timestamp_ms + t.execution_time_ms)", 1},
    {"status", "t.status", 0},
    {"client_request_id", "t.client_request_id", 1},
    {"experiment_id", "t.experiment_id", 0},
    {NULL, NULL, 0},
};

static const struct colmap *column(enum filter_domain dom, const char *attr)
{
    const struct colmap *m = dom == FILTER_RUNS            ? run_cols
                             : dom == FILTER_EXPERIMENTS   ? experiment_cols
                             : dom == FILTER_MODELS        ? model_cols
                             : dom == FILTER_LOGGED_MODELS ? logged_model_cols
                             : dom == FILTER_TRACES        ? trace_cols
                                                           : version_cols;
    for (; m->attr; m++)
        if (!strcmp(m->attr, attr))
            return m;
    abort(); /* the parser only lets known attributes through */
}

/* [NOT ]EXISTS (SELECT 1 FROM <from> WHERE <link> AND x.key = ?<extra> AND <cmp>) */
static void compile_exists(struct sql_frag *f, int neg, const char *from, const char *link,
                           const char *key, const char *extra, const struct fnode *n)
{
    sbuf_addf(&f->sql, "%sEXISTS (SELECT 1 FROM %s WHERE %s AND x.key = ", neg ? "NOT " : "", from,
              link);
    sql_frag_text(f, key);
    sbuf_addf(&f->sql, "%s AND ", extra);
    compile_op(f, "x.value", n);
    sbuf_addch(&f->sql, ')');
}

static void compile_attr(struct sql_frag *f, int neg, const struct fnode *n, enum filter_domain dom)
{
    const struct colmap *c = column(dom, n->key);
    if (!neg) {
        compile_op(f, c->col, n);
        return;
    }
    /* NOT over NULL stays NULL: make the comparison false first */
    sbuf_addstr(&f->sql, c->nullable ? "NOT coalesce(" : "NOT (");
    compile_op(f, c->col, n);
    sbuf_addstr(&f->sql, c->nullable ? ", FALSE)" : ")");
}

static void compile_dataset(struct sql_frag *f, int neg, const struct fnode *n)
{
    if (!strcmp(n->key, "context")) {
        compile_exists(f, neg, "input_tags x", "x.run = r.id", DATASET_CONTEXT_TAG, "", n);
        return;
    }
    sbuf_addf(&f->sql,
              "%sEXISTS (SELECT 1 FROM run_inputs i JOIN datasets d ON d.id = i.dataset"
              " WHERE i.run = r.id AND ",
              neg ? "NOT " : "");
    compile_op(f, !strcmp(n->key, "name") ? "d.name" : "d.digest", n);
    sbuf_addch(&f->sql, ')');
}

/* " AND (x.dataset_name = ? [AND x.dataset_digest = ?] OR ...)" for a
 * logged-model search restricted to datasets; nothing otherwise. */
static void logged_model_datasets(struct sql_frag *f, const struct logged_model_search *q)
{
    if (!q || !q->ndatasets)
        return;
    sbuf_addstr(&f->sql, " AND (");
    for (size_t i = 0; i < q->ndatasets; i++) {
        sbuf_addstr(&f->sql, i ? " OR (x.dataset_name = " : "(x.dataset_name = ");
        sql_frag_text(f, q->datasets[i].dataset_name);
        if (q->datasets[i].dataset_digest) {
            sbuf_addstr(&f->sql, " AND x.dataset_digest = ");
            sql_frag_text(f, q->datasets[i].dataset_digest);
        }
        sbuf_addch(&f->sql, ')');
    }
    sbuf_addch(&f->sql, ')');
}

/* A logged model's metric, param or tag: any point of the metric matches
 * (as MLflow), on the search's datasets when it names some. */
static void compile_logged_model_cmp(struct compiler *c, const struct fnode *n, int neg)
{
    struct sql_frag *f = c->f;
    const char *from = n->entity == FE_METRIC  ? "logged_model_metrics"
                       : n->entity == FE_PARAM ? "logged_model_params"
                                               : "logged_model_tags";
    sbuf_addf(&f->sql,
              "%sEXISTS (SELECT 1 FROM %s x WHERE x.model = lm.id AND x.key = ", neg ? "NOT " : "",
              from);
    sql_frag_text(f, n->key);
    if (n->entity == FE_METRIC) {
        sbuf_addstr(&f->sql, " AND x.is_nan = 0");
        logged_model_datasets(f, c->lm);
        c->saw_metric = 1;
    }
    sbuf_addstr(&f->sql, " AND ");
    compile_op(f, "x.value", n);
    sbuf_addch(&f->sql, ')');
}

static void compile_cmp(struct compiler *c, const struct fnode *n, int neg)
{
    struct sql_frag *f = c->f;
    if (c->dom == FILTER_LOGGED_MODELS && n->entity != FE_ATTR) {
        compile_logged_model_cmp(c, n, neg);
        return;
    }
    if (c->dom == FILTER_EXPERIMENTS && n->entity == FE_TAG) {
        compile_exists(f, neg, "experiment_tags x", "x.experiment_id = e.experiment_id", n->key, "",
                       n);
        return;
    }
    if (c->dom == FILTER_MODELS && n->entity == FE_TAG) {
        compile_exists(f, neg, "registered_model_tags x", "x.model = m.id", n->key, "", n);
        return;
    }
    if (c->dom == FILTER_TRACES && (n->entity == FE_TAG || n->entity == FE_METADATA)) {
        compile_exists(f, neg, n->entity == FE_TAG ? "trace_tags x" : "trace_request_metadata x",
                       "x.trace = t.id", n->key, "", n);
        return;
    }
    if (c->dom == FILTER_MODEL_VERSIONS && n->entity == FE_TAG) {
        compile_exists(f, neg, "model_version_tags x",
                       "x.model = v.model AND x.version = v.version", n->key, "", n);
        return;
    }
    switch (n->entity) {
    case FE_METRIC:
        compile_exists(f, neg, "latest_metrics x", RUN_ROW_LINK("x"), n->key, " AND x.is_nan = 0",
                       n);
        break;
    case FE_PARAM:
        compile_exists(f, neg, "params x", RUN_ROW_LINK("x"), n->key, "", n);
        break;
    case FE_TAG:
        compile_exists(f, neg, "tags x", RUN_ROW_LINK("x"), n->key, "", n);
        break;
    case FE_DATASET:
        compile_dataset(f, neg, n);
        break;
    case FE_ATTR:
    case FE_METADATA: /* only traces have it, above */
        compile_attr(f, neg, n, c->dom);
        break;
    }
}

/* ---------- AND / OR / NOT ---------- */

struct operand {
    const struct fnode *n;
    int neg;
    int nesting; /* of the SQL it compiles to */
};

struct operands {
    struct operand *v;
    size_t n, alloc;
};

/* Skips NOTs, flipping neg. */
static const struct fnode *skip_not(const struct fnode *n, int *neg)
{
    while (n->kind == FN_NOT) {
        n = n->left;
        *neg = !*neg;
    }
    return n;
}

/* What an AND/OR node is under negation (De Morgan); FN_CMP otherwise. */
static enum fnode_kind acts_as(const struct fnode *n, int neg)
{
    if (n->kind != FN_AND && n->kind != FN_OR)
        return FN_CMP;
    return neg ? (n->kind == FN_AND ? FN_OR : FN_AND) : n->kind;
}

/* The operands of the flat chain of kind rooted at n: a AND (b AND NOT (c OR
 * d)) has the operands a, b, NOT c and NOT d. Depth is bounded by the
 * parser's limits. */
static void collect(const struct fnode *n, int neg, enum fnode_kind kind, struct operands *l)
{
    n = skip_not(n, &neg);
    if (acts_as(n, neg) == kind) {
        collect(n->left, neg, kind, l);
        collect(n->right, neg, kind, l);
        return;
    }
    ALLOC_GROW(l->v, l->n + 1, l->alloc);
    l->v[l->n++] = (struct operand){n, neg, 0};
}

/* How deeply the SQL for n nests parenthesized groups: 0 for a comparison. */
static int nesting(const struct fnode *n, int neg)
{
    struct operands l = {NULL, 0, 0};
    int deepest = 0;
    n = skip_not(n, &neg);
    if (n->kind == FN_CMP)
        return 0;
    collect(n, neg, acts_as(n, neg), &l);
    for (size_t i = 0; i < l.n; i++) {
        int d = nesting(l.v[i].n, l.v[i].neg);
        deepest = d > deepest ? d : deepest;
    }
    free(l.v);
    return deepest + 1;
}

/* The operands of n's group, deepest first: SQLite's parser needs one stack
 * slot per level for "((a OR b) AND c)" but three for "(c AND (a OR b))", and
 * its stack is small. With the deepest group first, a path can only take a
 * later operand about log2(comparisons) times. */
static void sorted_operands(const struct fnode *n, int neg, struct operands *l)
{
    collect(n, neg, acts_as(n, neg), l);
    for (size_t i = 0; i < l->n; i++) {
        struct operand op = l->v[i];
        size_t k = i;
        op.nesting = nesting(op.n, op.neg);
        for (; k > 0 && l->v[k - 1].nesting < op.nesting; k--)
            l->v[k] = l->v[k - 1];
        l->v[k] = op;
    }
}

static void compile_node(struct compiler *c, const struct fnode *n, int neg)
{
    struct operands l = {NULL, 0, 0};
    n = skip_not(n, &neg);
    if (n->kind == FN_CMP) {
        compile_cmp(c, n, neg);
        return;
    }
    sorted_operands(n, neg, &l);
    sbuf_addch(&c->f->sql, '(');
    for (size_t i = 0; i < l.n; i++) {
        if (i)
            sbuf_addstr(&c->f->sql, acts_as(n, neg) == FN_AND ? " AND " : " OR ");
        compile_node(c, l.v[i].n, l.v[i].neg);
    }
    sbuf_addch(&c->f->sql, ')');
    free(l.v);
}

/* Parses a filter (NULL or empty: *ast NULL) and checks that its SQL stays
 * within MAX_SQL_NESTING: 0, or -1 with err set. */
static int filter_ast(const char *filter, enum filter_domain dom, struct fnode **ast,
                      struct ferr *err)
{
    if (filter_parse(filter, dom, ast, err))
        return -1;
    if (*ast && nesting(*ast, 0) > MAX_SQL_NESTING) {
        fnode_free(*ast);
        *ast = NULL;
        return filter_fail(err, "filter", filter,
                           "expression nested too deeply (at most 32 levels of alternating AND "
                           "and OR)");
    }
    return 0;
}

struct run_order;
static int merge_into_order(struct run_order *o, const struct fnode *n, int neg);

/* Appends " AND <ast>" (nothing for a NULL ast). With merge (a runs
 * search's order keys), each operand of a top-level AND is either merged
 * into an order key's join or appended as " AND <operand>". */
static void compile_ast(struct compiler *c, const struct fnode *ast, struct run_order *merge)
{
    if (!ast)
        return;
    if (!merge) {
        sbuf_addstr(&c->f->sql, " AND ");
        compile_node(c, ast, 0);
        return;
    }
    int neg = 0;
    const struct fnode *top = skip_not(ast, &neg);
    struct operands l = {NULL, 0, 0};
    if (acts_as(top, neg) == FN_AND) {
        sorted_operands(top, neg, &l);
    } else {
        ALLOC_GROW(l.v, 1, l.alloc);
        l.v[l.n++] = (struct operand){top, neg, 0};
    }
    for (size_t i = 0; i < l.n; i++) {
        if (merge_into_order(merge, l.v[i].n, l.v[i].neg))
            continue;
        sbuf_addstr(&c->f->sql, " AND ");
        compile_node(c, l.v[i].n, l.v[i].neg);
    }
    free(l.v);
}

/* Appends " AND <filter>" for a non-empty filter. */
static int compile_filter_lm(struct sql_frag *f, const char *filter, enum filter_domain dom,
                             const struct logged_model_search *lm, int *saw_metric,
                             struct ferr *err)
{
    struct fnode *ast;
    struct compiler c = {f, dom, lm, 0};
    if (filter_ast(filter, dom, &ast, err))
        return -1;
    compile_ast(&c, ast, NULL);
    fnode_free(ast);
    if (saw_metric)
        *saw_metric = c.saw_metric;
    return 0;
}

static int compile_filter(struct sql_frag *f, const char *filter, enum filter_domain dom,
                          struct ferr *err)
{
    return compile_filter_lm(f, filter, dom, NULL, NULL, err);
}

/* ---------- ordering ---------- */

/* Appends "<term(s) ordering col>, " as the dialect writes them. */
static void order_term(struct sbuf *terms, const struct sql_dialect *d, const char *col,
                       int descending, int nulls_last)
{
    d->order(terms, col, descending, nulls_last);
    sbuf_addstr(terms, ", ");
}

/* ---------- runs ---------- */

/* One order_by clause: an attribute's column, or a joined key's alias. */
struct order_clause {
    const struct colmap *col; /* the attribute's, or NULL for a join */
    size_t alias;             /* the join's number (o<alias>) */
    enum fentity entity;
    int descending;
};

struct run_order {
    const struct sql_dialect *dialect;
    struct sql_frag on[MAX_ORDER_KEYS]; /* each join's ON condition */
    int inner[MAX_ORDER_KEYS];          /* 1: the filter requires its row */
    struct forder keys[MAX_ORDER_KEYS]; /* each join's key */
    size_t nkeys;
    struct order_clause clauses[MAX_ORDER_KEYS]; /* in the order_by's order */
    size_t nclauses;
    int has_start, has_uuid;
};

static const char *const order_tables[] = {
    [FE_METRIC] = "latest_metrics", [FE_PARAM] = "params", [FE_TAG] = "tags"};

/* The alias number of the join for (entity, key), adding it if new. */
static size_t order_join(struct run_order *o, const struct forder *k)
{
    for (size_t i = 0; i < o->nkeys; i++)
        if (o->keys[i].entity == k->entity && !strcmp(o->keys[i].key, k->key))
            return i;
    size_t a = o->nkeys;
    o->keys[o->nkeys++] = (struct forder){k->entity, xstrdup(k->key), 0};
    sql_frag_init(&o->on[a], o->dialect);
    sbuf_addf(&o->on[a].sql, RUN_ROW_LINK("o%zu") " AND o%zu.key = ", a, a, a);
    sql_frag_text(&o->on[a], k->key);
    return a;
}

/* Appends the order keys' joins to f: LEFT JOINs, each an inner join where
 * the filter requires its row (merge_into_order). */
static void run_order_joins(struct sql_frag *f, const struct run_order *o)
{
    for (size_t i = 0; i < o->nkeys; i++) {
        sbuf_addf(&f->sql, " %s %s o%zu ON ", o->inner[i] ? f->dialect->inner_join : "LEFT JOIN",
                  order_tables[o->keys[i].entity], i);
        sql_frag_append(f, &o->on[i]);
    }
}

/* A filter's comparison n (negated when neg) on a metric, param or tag that
 * is also an order key, at the filter's top level (ANDed with the rest),
 * goes into that key's join instead of an EXISTS: the table holds one row
 * per (run, key), so "a row of the key exists and matches" is "the joined
 * row matches", and the join becomes an inner one. The sort key's row is
 * then read once per run instead of twice, and PostgreSQL can drive a large
 * experiment's search from the key's index (100,000 runs: 127 -> 58 ms).
 * 1 when merged; 0 leaves n to the WHERE clause. A negated comparison stays
 * there: it also matches runs without the key. */
static int merge_into_order(struct run_order *o, const struct fnode *n, int neg)
{
    if (!o || neg || n->kind != FN_CMP ||
        (n->entity != FE_METRIC && n->entity != FE_PARAM && n->entity != FE_TAG))
        return 0;
    for (size_t i = 0; i < o->nkeys; i++) {
        if (o->keys[i].entity != n->entity || strcmp(o->keys[i].key, n->key))
            continue;
        char col[32];
        snprintf(col, sizeof(col), "o%zu.value", i);
        if (n->entity == FE_METRIC) /* as compile_cmp's EXISTS: NaN matches nothing */
            sbuf_addf(&o->on[i].sql, " AND o%zu.is_nan = 0", i);
        sbuf_addstr(&o->on[i].sql, " AND ");
        compile_op(&o->on[i], col, n);
        o->inner[i] = 1;
        return 1;
    }
    return 0;
}

static void run_order_key(struct run_order *o, const struct forder *k)
{
    struct order_clause *c = &o->clauses[o->nclauses++];
    *c = (struct order_clause){NULL, 0, k->entity, k->descending};
    if (k->entity == FE_ATTR) {
        c->col = column(FILTER_RUNS, k->key);
        o->has_start |= !strcmp(k->key, "start_time");
        o->has_uuid |= !strcmp(k->key, "run_id");
        return;
    }
    c->alias = order_join(o, k);
}

/* Parses the order_by clauses into o: the joins they need, the clauses
 * for run_order_terms. */
static int run_order_parse(const struct run_search *q, struct run_order *o, struct ferr *err)
{
    if (q->norder_by > MAX_ORDER_KEYS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "too many order_by clauses (%zu, at most %d)", q->norder_by,
                        MAX_ORDER_KEYS);
    for (size_t i = 0; i < q->norder_by; i++) {
        struct forder k;
        if (filter_parse_order(q->order_by[i], FILTER_RUNS, &k, err))
            return -1;
        run_order_key(o, &k);
        forder_release(&k);
    }
    return 0;
}

/* Appends the ORDER BY's terms to sql, once the filter was merged into the
 * joins (merge_into_order). A LEFT JOIN's key sorts runs without the key
 * last (and NaN metrics just before them); an inner join has no such runs,
 * nor NaN (its ON excludes them), so its key is its value alone. Same
 * order, and a sort PostgreSQL can take from the key's index, (key,
 * experiment_id, value, run): the planner may then walk it and stop at the
 * page instead of sorting every match. The order always ends in a unique
 * key (run_uuid), so offset paging is stable. */
static void run_order_terms(const struct run_order *o, struct sbuf *sql)
{
    for (size_t i = 0; i < o->nclauses; i++) {
        const struct order_clause *c = &o->clauses[i];
        const char *dir = c->descending ? "DESC" : "ASC";
        size_t a = c->alias;
        if (c->col) /* missing values (end_time) last in both directions */
            order_term(sql, o->dialect, c->col->col, c->descending, c->col->nullable);
        else if (o->inner[a])
            sbuf_addf(sql, "o%zu.value %s, ", a, dir);
        else if (c->entity == FE_METRIC)
            sbuf_addf(sql, "o%zu.run IS NULL, o%zu.is_nan, o%zu.value %s, ", a, a, a, dir);
        else
            sbuf_addf(sql, "o%zu.value IS NULL, o%zu.value %s, ", a, a, dir);
    }
    if (!o->has_uuid && !o->has_start)
        order_term(sql, o->dialect, "r.start_time", 1, 1);
    if (!o->has_uuid)
        sbuf_addstr(sql, "r.run_uuid ASC, ");
    sbuf_setlen(sql, sql->len - 2); /* the last ", " */
}

static void run_order_release(struct run_order *o)
{
    for (size_t i = 0; i < o->nkeys; i++) {
        sql_frag_release(&o->on[i]);
        forder_release(&o->keys[i]);
    }
}

/* "<alias>.experiment_id IN (?, ...)", each id a decimal integer. */
static int experiment_ids_clause(const char *const *ids, size_t nids, const char *alias,
                                 struct sql_frag *f, struct ferr *err)
{
    if (!nids)
        return fjson_missing(err, "experiment_ids");
    if (nids > MAX_EXPERIMENT_IDS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "too many experiment_ids (%zu, at most %d)", nids, MAX_EXPERIMENT_IDS);
    sbuf_addf(&f->sql, "%s.experiment_id IN (", alias);
    for (size_t i = 0; i < nids; i++) {
        const char *id = ids[i] ? ids[i] : "";
        size_t n = strspn(id, "0123456789");
        if (!n || id[n] || n > 18) {
            struct sbuf sb = SBUF_INIT;
            sbuf_addstr(&sb, "invalid experiment id '");
            filter_add_snippet(&sb, id, strlen(id), 40);
            sbuf_addstr(&sb, "' in experiment_ids: expected a decimal integer");
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "%s", sb.buf);
            sbuf_release(&sb);
            return -1;
        }
        sbuf_addstr(&f->sql, i ? ", " : "");
        sql_frag_int(f, strtoll(id, NULL, 10));
    }
    sbuf_addch(&f->sql, ')');
    return 0;
}

static void view_clause(struct sbuf *sql, enum view_type v, const char *alias)
{
    if (v == VIEW_DELETED_ONLY)
        sbuf_addf(sql, " AND %s.lifecycle_stage = 'deleted'", alias);
    else if (v != VIEW_ALL)
        sbuf_addf(sql, " AND %s.lifecycle_stage = 'active'", alias);
}

static void limit_clause(struct sql_frag *f, int64_t limit, int64_t offset)
{
    sbuf_addstr(&f->sql, " LIMIT ");
    sql_frag_int(f, limit);
    sbuf_addstr(&f->sql, " OFFSET ");
    sql_frag_int(f, offset);
}

int search_sql_runs(const struct run_search *q, int64_t limit, int64_t offset, struct sql_frag *out,
                    struct ferr *err)
{
    struct run_order o;
    struct sql_frag where;
    struct fnode *ast = NULL;
    int rc = -1;
    memset(&o, 0, sizeof(o));
    o.dialect = out->dialect;
    sql_frag_init(&where, out->dialect);
    if (experiment_ids_clause(q->experiment_ids, q->nexperiment_ids, "r", &where, err))
        goto out;
    view_clause(&where.sql, q->view, "r");
    /* the filter's errors first; its comparisons after the order keys,
     * which they may join (merge_into_order) */
    if (filter_ast(q->filter, FILTER_RUNS, &ast, err) || run_order_parse(q, &o, err))
        goto out;
    struct compiler c = {&where, FILTER_RUNS, NULL, 0};
    compile_ast(&c, ast, &o);
    sbuf_addstr(&out->sql, "SELECT r.id FROM runs r");
    run_order_joins(out, &o);
    sbuf_addstr(&out->sql, " WHERE ");
    sql_frag_append(out, &where);
    sbuf_addstr(&out->sql, " ORDER BY ");
    run_order_terms(&o, &out->sql);
    limit_clause(out, limit, offset);
    rc = 0;
out:
    fnode_free(ast);
    run_order_release(&o);
    sql_frag_release(&where);
    return rc;
}

/* ---------- experiments ---------- */

static int experiment_order(const struct experiment_search *q, const struct sql_dialect *d,
                            struct sbuf *terms, struct ferr *err)
{
    int has_id = 0;
    if (q->norder_by > MAX_ORDER_KEYS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "too many order_by clauses (%zu, at most %d)", q->norder_by,
                        MAX_ORDER_KEYS);
    for (size_t i = 0; i < q->norder_by; i++) {
        struct forder k;
        if (filter_parse_order(q->order_by[i], FILTER_EXPERIMENTS, &k, err))
            return -1;
        has_id |= !strcmp(k.key, "experiment_id");
        order_term(terms, d, column(FILTER_EXPERIMENTS, k.key)->col, k.descending, 0);
        forder_release(&k);
    }
    if (!q->norder_by) /* MLflow's default */
        sbuf_addstr(terms, "e.creation_time DESC, ");
    if (!has_id)
        sbuf_addstr(terms, "e.experiment_id ASC, ");
    sbuf_setlen(terms, terms->len - 2);
    return 0;
}

int search_sql_experiments(const struct experiment_search *q, int64_t limit, int64_t offset,
                           struct sql_frag *out, struct ferr *err)
{
    struct sql_frag where;
    struct sbuf terms = SBUF_INIT;
    int rc = -1;
    sql_frag_init(&where, out->dialect);
    sbuf_addstr(&where.sql, "TRUE");
    view_clause(&where.sql, q->view, "e");
    if (compile_filter(&where, q->filter, FILTER_EXPERIMENTS, err) ||
        experiment_order(q, out->dialect, &terms, err))
        goto out;
    sbuf_addstr(&out->sql, "SELECT e.experiment_id FROM experiments e WHERE ");
    sql_frag_append(out, &where);
    sbuf_addf(&out->sql, " ORDER BY %s", terms.buf);
    limit_clause(out, limit, offset);
    rc = 0;
out:
    sql_frag_release(&where);
    sbuf_release(&terms);
    return rc;
}

/* ---------- the model registry ---------- */

static int registry_order(const struct registry_search *q, enum filter_domain dom,
                          const struct sql_dialect *d, struct sbuf *terms, struct ferr *err)
{
    if (q->norder_by > MAX_ORDER_KEYS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "too many order_by clauses (%zu, at most %d)", q->norder_by,
                        MAX_ORDER_KEYS);
    /* MLflow's default for versions: the last updated first. */
    if (!q->norder_by && dom == FILTER_MODEL_VERSIONS)
        order_term(terms, d, "v.last_updated_time", 1, 0);
    for (size_t i = 0; i < q->norder_by; i++) {
        struct forder k;
        if (filter_parse_order(q->order_by[i], dom, &k, err))
            return -1;
        /* a version's missing run_id sorts below every run id */
        order_term(terms, d, column(dom, k.key)->col, k.descending, 0);
        forder_release(&k);
    }
    /* MLflow's tie-breaks: by name, then newest version first. */
    sbuf_addstr(terms, dom == FILTER_MODELS ? "m.name ASC" : "m.name ASC, v.version DESC");
    return 0;
}

int search_sql_registry(const struct registry_search *q, enum filter_domain dom, int64_t limit,
                        int64_t offset, struct sql_frag *out, struct ferr *err)
{
    struct sql_frag where;
    struct sbuf terms = SBUF_INIT;
    int rc = -1;
    sql_frag_init(&where, out->dialect);
    sbuf_addstr(&where.sql, "TRUE");
    if (compile_filter(&where, q->filter, dom, err) ||
        registry_order(q, dom, out->dialect, &terms, err))
        goto out;
    sbuf_addstr(&out->sql, dom == FILTER_MODELS
                               ? "SELECT m.id FROM registered_models m WHERE "
                               : "SELECT m.name, v.version FROM model_versions v "
                                 "JOIN registered_models m ON m.id = v.model WHERE ");
    sql_frag_append(out, &where);
    sbuf_addf(&out->sql, " ORDER BY %s", terms.buf);
    limit_clause(out, limit, offset);
    rc = 0;
out:
    sql_frag_release(&where);
    sbuf_release(&terms);
    return rc;
}

/* ---------- logged models ---------- */

/* MLflow's order_by field names for logged models: a column or an alias. */
static const struct {
    const char *name, *col;
} logged_model_order_cols[] = {
    {"name", "lm.name"},
    {"model_id", "lm.model_id"},
    {"model_type", "lm.model_type"},
    {"status", "lm.status"},
    {"status_message", "lm.status_message"},
    {"source_run_id", "lm.source_run_id"},
    {"experiment_id", "lm.experiment_id"},
    {"artifact_location", "lm.artifact_location"},
    {"creation_timestamp_ms", "lm.creation_time"},
    {"creation_timestamp", "lm.creation_time"},
    {"creation_time", "lm.creation_time"},
    {"last_updated_timestamp_ms", "lm.last_updated_time"},
    {"last_updated_timestamp", "lm.last_updated_time"},
};

static int bad_order_field(const char *name, const char *why, struct ferr *err)
{
    struct sbuf sb = SBUF_INIT;
    filter_add_snippet(&sb, name, strlen(name), 200);
    ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "Invalid order by field name: %s%s", sb.buf, why);
    sbuf_release(&sb);
    return -1;
}

/* One order_by clause: a column term, or a LEFT JOIN of each model's latest
 * point of a metric (by timestamp, then step; on the clause's dataset) and
 * its term. Missing values sort last both ways, as MLflow. */
static int logged_model_order_key(const struct logged_model_order *o, size_t i,
                                  struct sql_frag *joins, struct sbuf *terms, int *by_creation,
                                  struct ferr *err)
{
    const struct sql_dialect *d = joins->dialect;
    const char *name = o->field_name ? o->field_name : "";
    const char *dot = strchr(name, '.');
    if (!dot) {
        for (size_t k = 0; k < sizeof(logged_model_order_cols) / sizeof(*logged_model_order_cols);
             k++) {
            if (!strcmp(name, logged_model_order_cols[k].name)) {
                *by_creation |= !strcmp(logged_model_order_cols[k].col, "lm.creation_time");
                order_term(terms, d, logged_model_order_cols[k].col, !o->ascending, 1);
                return 0;
            }
        }
        return bad_order_field(name, "", err);
    }
    if ((size_t)(dot - name) != 7 || strncmp(name, "metrics", 7) || !dot[1])
        return bad_order_field(name, ". Only metrics are supported.", err);
    sbuf_addf(&joins->sql,
              " LEFT JOIN (SELECT t.model, t.value FROM (SELECT x.model, CASE WHEN x.is_nan = 0 "
              "THEN x.value END AS value, row_number() OVER (PARTITION BY x.model ORDER BY "
              "x.timestamp DESC, x.step DESC, x.value DESC) AS rn FROM logged_model_metrics x "
              "WHERE x.key = ");
    sql_frag_text(joins, dot + 1);
    if (o->dataset_name) {
        sbuf_addstr(&joins->sql, " AND x.dataset_name = ");
        sql_frag_text(joins, o->dataset_name);
    }
    if (o->dataset_digest) {
        sbuf_addstr(&joins->sql, " AND x.dataset_digest = ");
        sql_frag_text(joins, o->dataset_digest);
    }
    sbuf_addf(&joins->sql, ") t WHERE t.rn = 1) o%zu ON o%zu.model = lm.id", i, i);
    char col[32];
    snprintf(col, sizeof(col), "o%zu.value", i);
    order_term(terms, d, col, !o->ascending, 1);
    return 0;
}

int search_sql_logged_models(const struct logged_model_search *q, int64_t limit, int64_t offset,
                             struct sql_frag *out, struct ferr *err)
{
    struct sql_frag where, joins;
    struct sbuf terms = SBUF_INIT;
    int rc = -1, by_creation = 0, saw_metric = 0;
    sql_frag_init(&where, out->dialect);
    sql_frag_init(&joins, out->dialect);
    if (q->norder_by > MAX_ORDER_KEYS) {
        ferr_set(err, FERR_INVALID_PARAMETER_VALUE, "too many order_by clauses (%zu, at most %d)",
                 q->norder_by, MAX_ORDER_KEYS);
        goto out;
    }
    if (experiment_ids_clause(q->experiment_ids, q->nexperiment_ids, "lm", &where, err))
        goto out;
    sbuf_addstr(&where.sql, " AND lm.lifecycle_stage = 'active'");
    if (compile_filter_lm(&where, q->filter, FILTER_LOGGED_MODELS, q, &saw_metric, err))
        goto out;
    /* datasets without a metric clause: the models measured on them */
    if (q->ndatasets && !saw_metric) {
        sbuf_addstr(&where.sql,
                    " AND EXISTS (SELECT 1 FROM logged_model_metrics x WHERE x.model = lm.id");
        logged_model_datasets(&where, q);
        sbuf_addch(&where.sql, ')');
    }
    for (size_t i = 0; i < q->norder_by; i++)
        if (logged_model_order_key(&q->order_by[i], i, &joins, &terms, &by_creation, err))
            goto out;
    if (!by_creation)
        order_term(&terms, out->dialect, "lm.creation_time", 1, 0);
    sbuf_addstr(&terms, "lm.model_id ASC");
    sbuf_addstr(&out->sql, "SELECT lm.id FROM logged_models lm");
    sql_frag_append(out, &joins);
    sbuf_addstr(&out->sql, " WHERE ");
    sql_frag_append(out, &where);
    sbuf_addf(&out->sql, " ORDER BY %s", terms.buf);
    limit_clause(out, limit, offset);
    rc = 0;
out:
    sql_frag_release(&where);
    sql_frag_release(&joins);
    sbuf_release(&terms);
    return rc;
}

/* ---------- traces ---------- */

struct trace_order {
    struct sql_frag joins; /* LEFT JOINs for tag and metadata keys */
    struct sbuf terms;     /* "<term>, " each */
    struct forder seen[MAX_ORDER_KEYS];
    size_t nseen, njoins;
    int has_time, has_id;
};

static int trace_order_key(struct trace_order *o, struct forder *k, struct ferr *err)
{
    for (size_t i = 0; i < o->nseen; i++)
        if (o->seen[i].entity == k->entity && !strcmp(o->seen[i].key, k->key))
            return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                            "`order_by` contains duplicate fields: '%.100s'", k->key);
    o->seen[o->nseen++] = *k; /* takes the key */
    if (k->entity == FE_ATTR) {
        const struct colmap *c = column(FILTER_TRACES, k->key);
        o->has_time |= !strcmp(k->key, "timestamp_ms");
        o->has_id |= !strcmp(k->key, "request_id");
        order_term(&o->terms, o->joins.dialect, c->col, k->descending, c->nullable);
        return 0;
    }
    size_t a = o->njoins++;
    sbuf_addf(&o->joins.sql, " LEFT JOIN %s o%zu ON o%zu.trace = t.id AND o%zu.key = ",
              k->entity == FE_TAG ? "trace_tags" : "trace_request_metadata", a, a, a);
    sql_frag_text(&o->joins, k->key);
    /* missing values last in both directions, as MLflow */
    sbuf_addf(&o->terms, "o%zu.value IS NULL, o%zu.value %s, ", a, a,
              k->descending ? "DESC" : "ASC");
    return 0;
}

static int trace_order_parse(const struct trace_search *q, struct trace_order *o, struct ferr *err)
{
    if (q->norder_by > MAX_ORDER_KEYS)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "too many order_by clauses (%zu, at most %d)", q->norder_by,
                        MAX_ORDER_KEYS);
    for (size_t i = 0; i < q->norder_by; i++) {
        struct forder k;
        if (filter_parse_order(q->order_by[i], FILTER_TRACES, &k, err))
            return -1;
        if (trace_order_key(o, &k, err)) {
            forder_release(&k);
            return -1;
        }
    }
    /* MLflow's default and tie-breaks: newest first, then by id */
    if (!o->has_time)
        sbuf_addstr(&o->terms, "t.timestamp_ms DESC, ");
    if (!o->has_id)
        sbuf_addstr(&o->terms, "t.request_id ASC, ");
    sbuf_setlen(&o->terms, o->terms.len - 2);
    return 0;
}

int search_sql_traces(const struct trace_search *q, int64_t limit, int64_t offset,
                      struct sql_frag *out, struct ferr *err)
{
    struct trace_order o;
    struct sql_frag where;
    int rc = -1;
    memset(&o, 0, sizeof(o));
    sql_frag_init(&o.joins, out->dialect);
    sbuf_init(&o.terms, 0);
    sql_frag_init(&where, out->dialect);
    if (experiment_ids_clause(q->experiment_ids, q->nexperiment_ids, "t", &where, err) ||
        compile_filter(&where, q->filter, FILTER_TRACES, err) || trace_order_parse(q, &o, err))
        goto out;
    sbuf_addstr(&out->sql, "SELECT t.id FROM traces t");
    sql_frag_append(out, &o.joins);
    sbuf_addstr(&out->sql, " WHERE ");
    sql_frag_append(out, &where);
    sbuf_addf(&out->sql, " ORDER BY %s", o.terms.buf);
    limit_clause(out, limit, offset);
    rc = 0;
out:
    sql_frag_release(&o.joins);
    sql_frag_release(&where);
    sbuf_release(&o.terms);
    for (size_t i = 0; i < o.nseen; i++)
        forder_release(&o.seen[i]);
    return rc;
}
