/* SPDX-License-Identifier: MIT
 * Filter and order_by ASTs -> one SELECT with bound parameters.
 *
 * Each comparison on a metric, param, tag or dataset becomes an EXISTS over
 * the child table keyed by (run, key), so AND/OR/NOT compose by plain SQL
 * logic and a missing key never matches (not even "!=", as in MLflow).
 * Metrics compare the latest value; NaN latest values match nothing.
 * LIKE is case-sensitive (translated to GLOB), ILIKE is SQLite's LIKE.
 * Sort keys are LEFT JOINs; missing values sort last in both directions and
 * NaN just before them; the order always ends in a unique key, so offset
 * paging is stable. */
#include "store/search_sql.h"
#include "store/filter.h"
#include "base/xalloc.h"
#include "domain/validate.h"

#include <stdlib.h>
#include <string.h>

#include "base/banned.h"

/* A LIKE pattern as a GLOB pattern: % -> *, _ -> ?, GLOB's own specials
 * escaped by brackets, and \x (LIKE escape) taken literally. */
static char *like_to_glob(const char *s)
{
    struct sbuf sb = SBUF_INIT;
    for (; *s; s++) {
        if (*s == '\\' && s[1]) {
            s++;
            if (*s == '*' || *s == '?' || *s == '[')
                sbuf_addf(&sb, "[%c]", *s);
            else
                sbuf_addch(&sb, *s);
        } else if (*s == '%') {
            sbuf_addch(&sb, '*');
        } else if (*s == '_') {
            sbuf_addch(&sb, '?');
        } else if (*s == '*' || *s == '?' || *s == '[') {
            sbuf_addf(&sb, "[%c]", *s);
        } else {
            sbuf_addch(&sb, *s);
        }
    }
    return sbuf_detach(&sb, NULL);
}

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
    case FOP_LIKE: {
        char *g = like_to_glob(n->values[0].str);
        sbuf_addstr(&f->sql, "GLOB ");
        sql_frag_text(f, g);
        free(g);
        return;
    }
    case FOP_ILIKE:
        sbuf_addstr(&f->sql, "LIKE ");
        sql_frag_text(f, n->values[0].str);
        sbuf_addstr(&f->sql, " ESCAPE '\\'");
        return;
    case FOP_IN:
    case FOP_NOT_IN:
        sbuf_addstr(&f->sql, n->op == FOP_IN ? "IN (" : "NOT IN (");
        for (size_t i = 0; i < n->nvalues; i++) {
            if (i)
                sbuf_addstr(&f->sql, ", ");
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
};

static const struct colmap run_cols[] = {
    {"run_id", "r.run_uuid"},       {"run_name", "r.name"},         {"status", "r.status"},
    {"user_id", "r.user_id"},       {"artifact_uri", "r.artifact_uri"},
    {"lifecycle_stage", "r.lifecycle_stage"}, {"start_time", "r.start_time"},
    {"end_time", "r.end_time"},     {NULL, NULL},
};

static const struct colmap experiment_cols[] = {
    {"name", "e.name"},
    {"experiment_id", "e.experiment_id"},
    {"creation_time", "e.creation_time"},
    {"last_update_time", "e.last_update_time"},
    {NULL, NULL},
};

static const char *column(const struct colmap *m, const char *attr)
{
    for (; m->attr; m++)
        if (!strcmp(m->attr, attr))
            return m->col;
    return NULL; /* the parser only lets known attributes through */
}

/* EXISTS (SELECT 1 FROM <table> x WHERE x.<owner> = <outer> AND x.key = ? AND <cmp>) */
static void compile_exists(struct sql_frag *f, const char *from, const char *link,
                           const char *key, const char *extra, const struct fnode *n,
                           const char *col)
{
    sbuf_addf(&f->sql, "EXISTS (SELECT 1 FROM %s WHERE %s AND x.key = ", from, link);
    sql_frag_text(f, key);
    sbuf_addf(&f->sql, "%s AND ", extra);
    compile_op(f, col, n);
    sbuf_addch(&f->sql, ')');
}

static void compile_cmp(struct sql_frag *f, const struct fnode *n, enum filter_domain dom)
{
    if (dom == FILTER_EXPERIMENTS) {
        if (n->entity == FE_TAG)
            compile_exists(f, "experiment_tags x", "x.experiment_id = e.experiment_id", n->key,
                           "", n, "x.value");
        else
            compile_op(f, column(experiment_cols, n->key), n);
        return;
    }
    switch (n->entity) {
    case FE_METRIC:
        compile_exists(f, "latest_metrics x", "x.run = r.id", n->key, " AND x.is_nan = 0", n,
                       "x.value");
        break;
    case FE_PARAM:
        compile_exists(f, "params x", "x.run = r.id", n->key, "", n, "x.value");
        break;
    case FE_TAG:
        compile_exists(f, "tags x", "x.run = r.id", n->key, "", n, "x.value");
        break;
    case FE_DATASET:
        if (!strcmp(n->key, "context")) {
            compile_exists(f, "input_tags x", "x.run = r.id", "mlflow.data.context", "", n,
                           "x.value");
        } else {
            sbuf_addstr(&f->sql, "EXISTS (SELECT 1 FROM run_inputs i JOIN datasets d "
                                 "ON d.id = i.dataset WHERE i.run = r.id AND ");
            compile_op(f, !strcmp(n->key, "name") ? "d.name" : "d.digest", n);
            sbuf_addch(&f->sql, ')');
        }
        break;
    default:
        compile_op(f, column(run_cols, n->key), n);
    }
}

static void compile_node(struct sql_frag *f, const struct fnode *n, enum filter_domain dom)
{
    switch (n->kind) {
    case FN_AND:
    case FN_OR:
        sbuf_addch(&f->sql, '(');
        compile_node(f, n->left, dom);
        sbuf_addstr(&f->sql, n->kind == FN_AND ? " AND " : " OR ");
        compile_node(f, n->right, dom);
        sbuf_addch(&f->sql, ')');
        break;
    case FN_NOT:
        sbuf_addstr(&f->sql, "NOT (");
        compile_node(f, n->left, dom);
        sbuf_addch(&f->sql, ')');
        break;
    default:
        compile_cmp(f, n, dom);
    }
}

/* Appends " AND (<filter>)" for a non-empty filter. */
static int compile_filter(struct sql_frag *f, const char *filter, enum filter_domain dom,
                          struct ferr *err)
{
    struct fnode *ast;
    if (filter_parse(filter, dom, &ast, err))
        return -1;
    if (ast) {
        sbuf_addstr(&f->sql, " AND ");
        compile_node(f, ast, dom);
    }
    fnode_free(ast);
    return 0;
}

/* One run sort key: a join (for metrics, params, tags) and the ORDER BY terms. */
static void run_order_key(const struct forder *o, int idx, struct sql_frag *joins,
                          struct sbuf *order)
{
    const char *dir = o->descending ? "DESC" : "ASC";
    static const char *const tables[] = {[FE_METRIC] = "latest_metrics", [FE_PARAM] = "params",
                                         [FE_TAG] = "tags"};
    if (o->entity == FE_ATTR) {
        const char *col = column(run_cols, o->key);
        sbuf_addf(order, "%s IS NULL, %s %s, ", col, col, dir);
        return;
    }
    sbuf_addf(&joins->sql, " LEFT JOIN %s o%d ON o%d.run = r.id AND o%d.key = ", tables[o->entity],
              idx, idx, idx);
    sql_frag_text(joins, o->key);
    if (o->entity == FE_METRIC)
        sbuf_addf(order, "o%d.run IS NULL, o%d.is_nan, o%d.value %s, ", idx, idx, idx, dir);
    else
        sbuf_addf(order, "o%d.value IS NULL, o%d.value %s, ", idx, idx, dir);
}

static int experiment_ids_clause(const struct run_search *q, struct sql_frag *f,
                                 struct ferr *err)
{
    if (!q->nexperiment_ids)
        return ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                        "missing value for required parameter 'experiment_ids'");
    sbuf_addstr(&f->sql, "r.experiment_id IN (");
    for (size_t i = 0; i < q->nexperiment_ids; i++) {
        if (validate_experiment_id(q->experiment_ids[i], err))
            return -1;
        if (i)
            sbuf_addstr(&f->sql, ", ");
        sql_frag_int(f, strtoll(q->experiment_ids[i], NULL, 10));
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

int search_sql_runs(const struct run_search *q, int64_t limit, int64_t offset,
                    struct sql_frag *out, struct ferr *err)
{
    struct sql_frag joins, where;
    struct sbuf order = SBUF_INIT;
    int rc = -1;
    sql_frag_init(&joins);
    sql_frag_init(&where);
    if (experiment_ids_clause(q, &where, err))
        goto out;
    view_clause(&where.sql, q->view, "r");
    if (compile_filter(&where, q->filter, FILTER_RUNS, err))
        goto out;
    for (size_t i = 0; i < q->norder_by; i++) {
        struct forder o;
        if (filter_parse_order(q->order_by[i], FILTER_RUNS, &o, err))
            goto out;
        run_order_key(&o, (int)i, &joins, &order);
        forder_release(&o);
    }
    sbuf_addstr(&out->sql, "SELECT r.id FROM runs r");
    sql_frag_append(out, &joins);
    sbuf_addstr(&out->sql, " WHERE ");
    sql_frag_append(out, &where);
    sbuf_addf(&out->sql, " ORDER BY %sr.start_time DESC, r.run_uuid ASC LIMIT ", order.buf);
    sql_frag_int(out, limit);
    sbuf_addstr(&out->sql, " OFFSET ");
    sql_frag_int(out, offset);
    rc = 0;
out:
    sql_frag_release(&joins);
    sql_frag_release(&where);
    sbuf_release(&order);
    return rc;
}

int search_sql_experiments(const struct experiment_search *q, int64_t limit, int64_t offset,
                           struct sql_frag *out, struct ferr *err)
{
    struct sql_frag where;
    struct sbuf order = SBUF_INIT;
    int rc = -1, has_id = 0;
    sql_frag_init(&where);
    sbuf_addstr(&where.sql, "1");
    view_clause(&where.sql, q->view, "e");
    if (compile_filter(&where, q->filter, FILTER_EXPERIMENTS, err))
        goto out;
    for (size_t i = 0; i < q->norder_by; i++) {
        struct forder o;
        if (filter_parse_order(q->order_by[i], FILTER_EXPERIMENTS, &o, err))
            goto out;
        if (o.entity != FE_ATTR) {
            forder_release(&o);
            ferr_set(err, FERR_INVALID_PARAMETER_VALUE,
                     "invalid order_by clause '%.100s': experiments can be ordered by name, "
                     "experiment_id, creation_time or last_update_time",
                     q->order_by[i]);
            goto out;
        }
        const char *col = column(experiment_cols, o.key);
        has_id |= !strcmp(o.key, "experiment_id");
        sbuf_addf(&order, "%s %s, ", col, o.descending ? "DESC" : "ASC");
        forder_release(&o);
    }
    if (!q->norder_by) { /* MLflow's default */
        sbuf_addstr(&order, "e.creation_time DESC, e.experiment_id ASC, ");
        has_id = 1;
    }
    if (!has_id)
        sbuf_addstr(&order, "e.experiment_id ASC, ");
    sbuf_setlen(&order, order.len - 2); /* the last ", " */
    sbuf_addstr(&out->sql, "SELECT e.experiment_id FROM experiments e WHERE ");
    sql_frag_append(out, &where);
    sbuf_addf(&out->sql, " ORDER BY %s LIMIT ", order.buf);
    sql_frag_int(out, limit);
    sbuf_addstr(&out->sql, " OFFSET ");
    sql_frag_int(out, offset);
    rc = 0;
out:
    sql_frag_release(&where);
    sbuf_release(&order);
    return rc;
}
