/* SPDX-License-Identifier: MIT
 * Search filters and order_by through the real store: which runs come back,
 * in which order, and what a malformed expression says. */
#include "../test.h"
#include "base/sbuf.h"
#include "store/filter.h"
#include "store/store.h"

#include <math.h>

static struct store *st;

/* Runs a..e in experiment 1 (f in experiment 2), with distinct values. */
static void seed(void)
{
    struct sbuf path = SBUF_INIT;
    {
        char *uri = test_store_uri("f");
        sbuf_addstr(&path, uri);
        free(uri);
    }
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_open(path.buf, NULL, &st, &err), &err);
    sbuf_release(&path);
    ASSERT_OK(store_create_experiment(st, "one", NULL, NULL, NULL, &err), &err);
    ASSERT_OK(store_create_experiment(st, "two", NULL, NULL, NULL, &err), &err);
    static const struct {
        const char *name, *exp, *lr, *model, *team;
        double acc;
        int64_t start;
    } rows[] = {
        {"a", "1", "0.01", "xgb", "Vision", 0.9, 100},
        {"b", "1", "0.1", "xgb", "vision", 0.4, 200},
        {"c", "1", "0.01", "rf", "nlp", NAN, 300},
        {"d", "1", "0.5", "lin reg", NULL, 0.7, 400},
        {"e", "1", NULL, NULL, "nlp", -1, 500},
        {"f", "2", "0.01", "xgb", "vision", 0.95, 600},
    };
    for (size_t i = 0; i < sizeof(rows) / sizeof(*rows); i++) {
        struct run_create rc = {rows[i].exp, "u", rows[i].name, rows[i].start, {0}};
        struct run r;
        ASSERT_OK(store_create_run(st, &rc, &r, &err), &err);
        struct metric_list m = {0};
        struct kv_list p = {0}, t = {0};
        if (rows[i].acc != -1)
            metric_list_add(&m, "acc", rows[i].acc, 1, 0);
        metric_list_add(&m, "train loss", 1.0 / (double)(i + 1), 1, 0);
        if (rows[i].lr)
            kv_list_add(&p, "lr", rows[i].lr);
        if (rows[i].model)
            kv_list_add(&p, "model.kind", rows[i].model);
        if (rows[i].team)
            kv_list_add(&t, "team", rows[i].team);
        ASSERT_OK(store_log_batch(st, r.info.run_id, &m, &p, &t, &err), &err);
        if (!strcmp(rows[i].name, "e"))
            ASSERT_OK(store_update_run(st, r.info.run_id, RUN_FINISHED, 900, NULL, NULL, &err),
                      &err);
        metric_list_release(&m);
        kv_list_release(&p);
        kv_list_release(&t);
        run_release(&r);
    }
}

/* The names of the runs found, in order, joined: "a,b". */
static char *find(const char *filter, const char *order, const char *exps)
{
    const char *e1[] = {"1"}, *e12[] = {"1", "2"};
    const char *orders[] = {order};
    struct run_search q = {exps ? e12 : e1, exps ? 2 : 1, filter, VIEW_ALL, 100,
                           order ? orders : NULL, order ? 1 : 0, NULL};
    struct run_list l;
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_search_runs(st, &q, &l, &err), &err);
    struct sbuf sb = SBUF_INIT;
    for (size_t i = 0; i < l.n; i++)
        sbuf_addf(&sb, "%s%s", i ? "," : "", l.v[i].info.run_name);
    run_list_release(&l);
    return sbuf_detach(&sb, NULL);
}

#define EXPECT(filter, order, want)                                                                \
    do {                                                                                           \
        char *got_ = find(filter, order, NULL);                                                    \
        if (strcmp(got_, want))                                                                    \
            FAIL_AT("filter [%s] order [%s]: got \"%s\", want \"%s\"", filter ? filter : "",       \
                    order ? order : "", got_, want);                                               \
        free(got_);                                                                                \
    } while (0)

static void expect_error(const char *filter, const char *order, const char *needle)
{
    const char *e1[] = {"1"}, *orders[] = {order};
    struct run_search q = {e1, 1, filter, VIEW_ALL, 100, order ? orders : NULL, order ? 1 : 0,
                           NULL};
    struct run_list l;
    struct ferr err = FERR_INIT;
    if (!store_search_runs(st, &q, &l, &err))
        FAIL_AT("filter [%s] order [%s] was accepted", filter ? filter : "", order ? order : "");
    if (err.code != FERR_INVALID_PARAMETER_VALUE || !strstr(err.msg, needle))
        FAIL_AT("filter [%s]: %s: \"%s\" lacks \"%s\"", filter ? filter : "",
                ferr_code_name(err.code), err.msg, needle);
    if (strstr(err.msg, "SELECT") || strstr(err.msg, "EXISTS"))
        FAIL_AT("SQL leaked into \"%s\"", err.msg);
}

STORE_TEST(filter_metric_comparators)
{
    seed();
    EXPECT("metrics.acc > 0.5", "run_name", "a,d");
    EXPECT("metrics.acc >= 0.7", "run_name", "a,d");
    EXPECT("metrics.acc < 0.7", "run_name", "b");
    EXPECT("metrics.acc <= 0.7", "run_name", "b,d");
    EXPECT("metrics.acc = 0.4", NULL, "b");
    EXPECT("metrics.acc != 0.4", "run_name", "a,d"); /* c is NaN, e has no acc */
    EXPECT("metric.acc > -1e3", "run_name", "a,b,d");
    EXPECT("metrics.`train loss` < 0.3", "run_name", "d,e");
    EXPECT("metrics.\"train loss\" = 1", NULL, "a");
    store_close(st);
}

STORE_TEST(filter_params_tags_like_in)
{
    seed();
    EXPECT("params.lr = '0.01'", "run_name", "a,c");
    EXPECT("params.lr != '0.01'", "run_name", "b,d"); /* e has no lr */
    EXPECT("params.model.kind = 'lin reg'", NULL, "d");
    EXPECT("params.\"model.kind\" LIKE 'x%'", "run_name", "a,b");
    EXPECT("tags.team LIKE 'v%'", NULL, "b");        /* case-sensitive */
    EXPECT("tags.team ILIKE 'v%'", "run_name", "a,b");
    EXPECT("tags.team LIKE '_lp'", "run_name", "c,e");
    EXPECT("params.lr IN ('0.1', '0.5')", "run_name", "b,d");
    EXPECT("params.lr NOT IN ('0.1', '0.5')", "run_name", "a,c");
    EXPECT("param.lr = \"0.5\"", NULL, "d");
    EXPECT("tags.team = 'it''s'", NULL, "");
    store_close(st);
}

STORE_TEST(filter_attributes)
{
    seed();
    EXPECT("attributes.run_name = 'c'", NULL, "c");
    EXPECT("attributes.status = 'FINISHED'", NULL, "e");
    EXPECT("attribute.status != 'FINISHED'", "run_name", "a,b,c,d");
    EXPECT("run.start_time >= 400", "run_name", "d,e");
    EXPECT("attributes.created < '300'", "run_name", "a,b");
    EXPECT("attributes.end_time > 0", NULL, "e");
    EXPECT("attributes.run_name LIKE '%'", "run_name", "a,b,c,d,e");
    EXPECT("attributes.run_name IN ('a', 'e', 'zz')", "run_name", "a,e");
    EXPECT("start_time = 100", NULL, "a"); /* bare attribute */
    store_close(st);
}

STORE_TEST(filter_or_not_parentheses)
{
    seed();
    EXPECT("metrics.acc > 0.8 OR params.lr = '0.5'", "run_name", "a,d");
    EXPECT("NOT metrics.acc > 0.5", "run_name", "b,c,e");
    EXPECT("params.lr = '0.01' AND (tags.team = 'nlp' OR metrics.acc > 0.8)", "run_name", "a,c");
    /* AND binds tighter than OR */
    EXPECT("tags.team = 'nlp' OR params.lr = '0.01' AND metrics.acc > 0.8", "run_name", "a,c,e");
    EXPECT("(tags.team = 'nlp' OR params.lr = '0.01') AND metrics.acc > 0.8", NULL, "a");
    EXPECT("not (params.lr = '0.01' or params.lr = '0.1') and run_name != 'e'", NULL, "d");
    EXPECT("", NULL, "e,d,c,b,a");
    EXPECT("   ", NULL, "e,d,c,b,a");
    store_close(st);
}

STORE_TEST(filter_order_by)
{
    seed();
    EXPECT(NULL, NULL, "e,d,c,b,a");                 /* start_time DESC */
    EXPECT(NULL, "metrics.acc DESC", "a,d,b,c,e");   /* NaN, then missing, last */
    EXPECT(NULL, "metrics.acc ASC", "b,d,a,c,e");
    EXPECT(NULL, "params.lr", "c,a,b,d,e");          /* ties by start_time DESC */
    EXPECT(NULL, "params.lr DESC", "d,b,c,a,e");
    EXPECT(NULL, "tags.team ASC", "a,e,c,b,d");
    EXPECT(NULL, "attributes.start_time ASC", "a,b,c,d,e");
    EXPECT(NULL, "run_name DESC", "e,d,c,b,a");
    EXPECT("metrics.acc > 0 and params.lr = '0.01'", "metrics.acc DESC", "a");
    char *both = find(NULL, "metrics.acc DESC", "1,2");
    ASSERT_STR_EQ(both, "f,a,d,b,c,e");
    free(both);
    store_close(st);
}

/* A comparison on a sort key joins that key's row (search_sql.c's
 * merge_into_order) when it is ANDed at the top: the same runs as its
 * EXISTS. NaN and missing values match no comparison, not even "!="; a
 * negated one or one under OR stays apart and matches missing keys. */
STORE_TEST(filter_on_the_sort_key)
{
    seed();
    EXPECT("metrics.acc > 0.5", "metrics.acc DESC", "a,d");
    EXPECT("metrics.acc != 0.4", "metrics.acc ASC", "d,a");
    EXPECT("metrics.acc > 0.1 and metrics.acc < 0.8", "metrics.acc DESC", "d,b");
    EXPECT("metrics.acc >= 0.4 and params.lr != '0.5'", "metrics.acc DESC", "a,b");
    EXPECT("not metrics.acc > 0.5", "metrics.acc DESC", "b,c,e");
    EXPECT("metrics.acc > 0.5 or params.lr = '0.1'", "metrics.acc DESC", "a,d,b");
    EXPECT("params.lr = '0.01' and metrics.acc > 0", "params.lr", "a");
    EXPECT("params.lr = '0.01'", "params.lr DESC", "c,a"); /* ties by start_time DESC */
    EXPECT("params.lr != '0.01'", "params.lr", "b,d");
    EXPECT("not params.lr = '0.01'", "params.lr", "b,d,e");
    EXPECT("tags.team LIKE '%ision'", "tags.team ASC", "a,b");
    EXPECT("tags.team ILIKE 'VISION'", "tags.team DESC", "b,a");
    EXPECT("tags.team IN ('nlp', 'x')", "tags.team", "e,c");
    store_close(st);
}

STORE_TEST(filter_paging_is_stable_and_complete)
{
    seed();
    const char *e1[] = {"1"};
    struct run_search q = {e1, 1, NULL, VIEW_ALL, 2, NULL, 0, NULL};
    struct sbuf seen = SBUF_INIT;
    char *token = NULL;
    int pages = 0;
    struct ferr err = FERR_INIT;
    do {
        struct run_list l;
        q.page_token = token;
        ASSERT_OK(store_search_runs(st, &q, &l, &err), &err);
        for (size_t i = 0; i < l.n; i++)
            sbuf_addstr(&seen, l.v[i].info.run_name);
        free(token);
        token = l.next_page_token;
        l.next_page_token = NULL;
        run_list_release(&l);
        pages++;
    } while (token);
    ASSERT_STR_EQ(seen.buf, "edcba");
    ASSERT_INT_EQ(pages, 3);
    sbuf_release(&seen);
    store_close(st);
}

STORE_TEST(filter_view_types_and_experiments)
{
    seed();
    const char *e1[] = {"1"};
    struct run_search q = {e1, 1, "params.lr = '0.01'", VIEW_ACTIVE_ONLY, 100, NULL, 0, NULL};
    struct run_list l;
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_search_runs(st, &q, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    ASSERT_OK(store_delete_run(st, l.v[0].info.run_id, &err), &err);
    run_list_release(&l);
    ASSERT_OK(store_search_runs(st, &q, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    run_list_release(&l);
    q.view = VIEW_DELETED_ONLY;
    ASSERT_OK(store_search_runs(st, &q, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    run_list_release(&l);
    const char *bad[] = {"1 OR 1=1"};
    q.experiment_ids = bad;
    ASSERT_FAILS(store_search_runs(st, &q, &l, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    q.nexperiment_ids = 0;
    ASSERT_FAILS(store_search_runs(st, &q, &l, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    store_close(st);
}

STORE_TEST(filter_malformed_is_invalid_parameter_value)
{
    seed();
    expect_error("metrics.acc >>> 0.5", NULL, "position 14");
    expect_error("foo.acc > 0.5", NULL, "unknown entity type 'foo'");
    expect_error("params.lr = '0.01", NULL, "unterminated");
    expect_error("metrics.acc LIKE '0.5'", NULL, "LIKE");
    expect_error("params.lr > '0.1'", NULL, ">");
    expect_error("metrics.acc > 'high'", NULL, "number");
    expect_error("params.lr = 0.01", NULL, "quoted string");
    expect_error("attributes.colour = 'red'", NULL, "unknown attribute 'colour'");
    expect_error("metrics.acc > 0.5 AND", NULL, "end of input");
    expect_error("metrics.acc > 0.5 params.lr = '1'", NULL, "params.lr");
    expect_error("(metrics.acc > 0.5", NULL, "')'");
    expect_error("metrics.acc <> 1", NULL, "<>");
    expect_error("params.lr IN ()", NULL, "value");
    expect_error("params.lr IN '1'", NULL, "'('");
    expect_error("metrics. > 1", NULL, "name");
    expect_error("metrics.acc", NULL, "comparator");
    expect_error("= 1", NULL, "key");
    expect_error("metrics.acc > 1e999", NULL, "number");
    expect_error("tags.x = 'a' ; DROP TABLE runs", NULL, ";");
    expect_error("datasets.size = 'x'", NULL, "dataset attribute");
    expect_error(NULL, "metrics.acc SIDEWAYS", "SIDEWAYS");
    expect_error(NULL, "colour", "unknown attribute");
    expect_error(NULL, "datasets.name", "dataset");
    struct sbuf deep = SBUF_INIT;
    for (int i = 0; i < 200; i++)
        sbuf_addch(&deep, '(');
    expect_error(deep.buf, NULL, "nested too deeply");
    sbuf_release(&deep);
    /* the store is untouched by all of it */
    EXPECT(NULL, NULL, "e,d,c,b,a");
    store_close(st);
}

TEST(filter_ast_shape)
{
    struct fnode *n = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(filter_parse("metrics.a > 1 or not params.b = 'x' and tags.`c d` ilike '%'",
                           FILTER_RUNS, &n, &err),
              &err);
    ASSERT_INT_EQ(n->kind, FN_OR);
    ASSERT_INT_EQ(n->left->entity, FE_METRIC);
    ASSERT_INT_EQ(n->right->kind, FN_AND);
    ASSERT_INT_EQ(n->right->left->kind, FN_NOT);
    ASSERT_STR_EQ(n->right->right->key, "c d");
    ASSERT_INT_EQ(n->right->right->op, FOP_ILIKE);
    fnode_free(n);
    ASSERT_OK(filter_parse("", FILTER_RUNS, &n, &err), &err);
    ASSERT(n == NULL);
}

STORE_TEST(filter_experiments)
{
    seed();
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_set_experiment_tag(st, "2", "owner", "ana", &err), &err);
    const char *orders[] = {"name DESC"};
    struct experiment_search q = {"name LIKE '%o%' OR tags.owner = 'ana'", VIEW_ACTIVE_ONLY, 10,
                                  orders, 1, NULL};
    struct experiment_list l;
    ASSERT_OK(store_search_experiments(st, &q, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    ASSERT_STR_EQ(l.v[0].name, "two");
    ASSERT_STR_EQ(l.v[1].name, "one");
    experiment_list_release(&l);
    q.filter = "attributes.creation_time > 0 AND name != 'Default'";
    q.norder_by = 0;
    ASSERT_OK(store_search_experiments(st, &q, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    experiment_list_release(&l);
    q.filter = "metrics.acc > 1";
    ASSERT_FAILS(store_search_experiments(st, &q, &l, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    q.filter = NULL;
    orders[0] = "tags.owner";
    q.norder_by = 1;
    ASSERT_FAILS(store_search_experiments(st, &q, &l, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    q.norder_by = 0;
    q.max_results = 1;
    ASSERT_OK(store_search_experiments(st, &q, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT(l.next_page_token != NULL);
    experiment_list_release(&l);
    store_close(st);
}
