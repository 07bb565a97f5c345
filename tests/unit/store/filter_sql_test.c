/* SPDX-License-Identifier: MIT
 * The search-filter parser and SQL compiler against a real SQLite database:
 * runs and experiments are inserted with plain SQL, filters and order_by
 * clauses are compiled with search_sql_runs / search_sql_experiments, and the
 * tests check exactly which rows come back and in which order. Malformed
 * input must fail with INVALID_PARAMETER_VALUE and a message that names the
 * problem, stays valid UTF-8 and holds no SQL. */
#include "../test.h"
#include "base/sbuf.h"
#include "store/filter.h"
#include "store/sqlite/dialect.h"
#include "store/sqlite/schema.h"
#include "store/search_sql.h"

#include <math.h>
#include <sqlite3.h>

static sqlite3 *db;

static void exec(const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        FAIL_AT("%s: %s", sql, msg ? msg : "?");
}

/* Experiments 0..3 and runs a..g (g deleted, f in experiment 2):
 *
 *   run exp start end  status   user acc  train loss lr    model.kind team
 *   a   1   100   150  FINISHED ana  0.9  1.0        0.01  xgb        Vision
 *   b   1   200   -    RUNNING  bob  0.4  0.5        0.1   XGB        vision
 *   c   1   300   350  FAILED   ana  NaN  0.25       0.01  rf         nlp
 *   d   1   400   -    RUNNING  cy   0.7  0.001      0.5   lin reg    -
 *   e   1   500   900  FINISHED bob  -    -inf       -     -          nlp
 *   f   2   600   650  FINISHED ana  0.95 -          0.01  -          vision
 *   g   1   700   750  KILLED   ana  0.99 -          0.01  -          vision (deleted)
 */
static void seed(void)
{
    struct sbuf path = SBUF_INIT;
    struct ferr err = FERR_INIT;
    sbuf_addf(&path, "%s/filter.db", test_tmpdir());
    ASSERT_INT_EQ(sqlite3_open(path.buf, &db), SQLITE_OK);
    sbuf_release(&path);
    ASSERT_OK(schema_migrate(db, NULL, &err), &err);
    exec("INSERT INTO experiments VALUES (0, 'Default', 'x', 'active', 10, 10),"
         " (1, 'one', 'x', 'active', 20, 25), (2, 'two', 'x', 'active', 30, 35),"
         " (3, 'Gone', 'x', 'deleted', 40, 45);"
         "INSERT INTO experiment_tags VALUES (1, 'owner', 'ana'), (2, 'owner', 'Bob'),"
         " (2, 'team', 'x y');"
         "INSERT INTO runs (id, run_uuid, name, experiment_id, user_id, status, start_time,"
         " end_time, artifact_uri, lifecycle_stage) VALUES"
         " (1, '00000000000000000000000000000001', 'a', 1, 'ana', 'FINISHED', 100, 150,"
         "  's3://b/1/a', 'active'),"
         " (2, '00000000000000000000000000000002', 'b', 1, 'bob', 'RUNNING', 200, NULL,"
         "  's3://b/1/b', 'active'),"
         " (3, '00000000000000000000000000000003', 'c', 1, 'ana', 'FAILED', 300, 350,"
         "  '/tmp/c', 'active'),"
         " (4, '00000000000000000000000000000004', 'd', 1, 'cy', 'RUNNING', 400, NULL,"
         "  's3://b/1/d', 'active'),"
         " (5, '00000000000000000000000000000005', 'e', 1, 'bob', 'FINISHED', 500, 900,"
         "  's3://b/1/e', 'active'),"
         " (6, '00000000000000000000000000000006', 'f', 2, 'ana', 'FINISHED', 600, 650,"
         "  's3://b/2/f', 'active'),"
         " (7, '00000000000000000000000000000007', 'g', 1, 'ana', 'KILLED', 700, 750,"
         "  's3://b/1/g', 'deleted');"
         "INSERT INTO latest_metrics (run, key, value, is_nan, timestamp, step) VALUES"
         " (1, 'acc', 0.9, 0, 1, 0), (2, 'acc', 0.4, 0, 1, 0), (3, 'acc', 0, 1, 1, 0),"
         " (4, 'acc', 0.7, 0, 1, 0), (6, 'acc', 0.95, 0, 1, 0), (7, 'acc', 0.99, 0, 1, 0),"
         " (1, 'train loss', 1.0, 0, 1, 0), (2, 'train loss', 0.5, 0, 1, 0),"
         " (3, 'train loss', 0.25, 0, 1, 0), (4, 'train loss', 0.001, 0, 1, 0),"
         " (5, 'train loss', -9e999, 0, 1, 0), (1, 'val.loss', -2, 0, 1, 0);"
         /* no experiment_id: the schema's triggers fill it from the run */
         "INSERT INTO params (run, key, value) VALUES (1, 'lr', '0.01'), (2, 'lr', '0.1'), (3, 'lr', '0.01'),"
         " (4, 'lr', '0.5'), (6, 'lr', '0.01'), (7, 'lr', '0.01'), (1, 'model.kind', 'xgb'),"
         " (2, 'model.kind', 'XGB'), (3, 'model.kind', 'rf'), (4, 'model.kind', 'lin reg'),"
         " (1, 'batch', '32');"
         "INSERT INTO tags (run, key, value) VALUES (1, 'team', 'Vision'), (2, 'team', 'vision'),"
         " (3, 'team', 'nlp'), (5, 'team', 'nlp'), (6, 'team', 'vision'), (7, 'team', 'vision'),"
         " (1, 'odd key', 'x*y?[z]'), (2, 'odd key', 'x%y_z'), (4, 'odd key', 'x\\y'),"
         " (3, 'note', 'it''s'), (1, 'mlflow.runName', 'a');"
         "INSERT INTO datasets VALUES (1, 1, 'train-ds', 'd1', 'local', 's', NULL, NULL),"
         " (2, 1, 'eval', 'd2', 'local', 's', NULL, NULL);"
         "INSERT INTO run_inputs VALUES (1, 1, 0), (2, 2, 0), (3, 1, 0), (3, 2, 1);"
         "INSERT INTO input_tags VALUES (1, 1, 'mlflow.data.context', 'training'),"
         " (2, 2, 'mlflow.data.context', 'eval'), (3, 1, 'mlflow.data.context', 'training'),"
         " (3, 2, 'mlflow.data.context', 'eval');");
}

static void bind_frag(sqlite3_stmt *st, const struct sql_frag *f)
{
    ASSERT_INT_EQ(sqlite3_bind_parameter_count(st), f->n);
    for (size_t i = 0; i < f->n; i++) {
        const struct sql_bind *b = &f->binds[i];
        int k = (int)i + 1, rc;
        if (b->type == SQL_BIND_TEXT)
            rc = sqlite3_bind_text(st, k, b->text, -1, SQLITE_STATIC);
        else if (b->type == SQL_BIND_INT)
            rc = sqlite3_bind_int64(st, k, b->i);
        else
            rc = sqlite3_bind_double(st, k, b->d);
        ASSERT_INT_EQ(rc, SQLITE_OK);
    }
}

/* Runs f; returns the first column of each row as names (runs: the run
 * name; experiments: the id), joined by ",". */
static char *run_frag(const struct sql_frag *f, int runs)
{
    sqlite3_stmt *st, *name;
    struct sbuf sb = SBUF_INIT;
    if (sqlite3_prepare_v2(db, f->sql.buf, -1, &st, NULL) != SQLITE_OK)
        FAIL_AT("prepare failed: %s\n    %s", sqlite3_errmsg(db), f->sql.buf);
    ASSERT_INT_EQ(sqlite3_prepare_v2(db, "SELECT name FROM runs WHERE id = ?", -1, &name, NULL),
                  SQLITE_OK);
    bind_frag(st, f);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sbuf_addstr(&sb, sb.len ? "," : "");
        if (!runs) {
            sbuf_addf(&sb, "%lld", (long long)sqlite3_column_int64(st, 0));
            continue;
        }
        sqlite3_bind_int64(name, 1, sqlite3_column_int64(st, 0));
        ASSERT_INT_EQ(sqlite3_step(name), SQLITE_ROW);
        sbuf_addstr(&sb, (const char *)sqlite3_column_text(name, 0));
        sqlite3_reset(name);
    }
    if (rc != SQLITE_DONE)
        FAIL_AT("step failed: %s\n    %s", sqlite3_errmsg(db), f->sql.buf);
    sqlite3_finalize(st);
    sqlite3_finalize(name);
    return sbuf_detach(&sb, NULL);
}

struct query {
    const char *filter;
    const char *order[4];
    enum view_type view;
    const char *exps[3]; /* default {"1"} */
    int64_t limit, offset;
};

static int compile_runs(const struct query *qq, struct sql_frag *f, struct ferr *err)
{
    static const char *const one[] = {"1"};
    size_t nexp = 0, norder = 0;
    while (nexp < 3 && qq->exps[nexp])
        nexp++;
    while (norder < 4 && qq->order[norder])
        norder++;
    struct run_search q = {nexp ? (const char **)qq->exps : (const char **)one,
                           nexp ? nexp : 1,
                           qq->filter,
                           qq->view ? qq->view : VIEW_ACTIVE_ONLY,
                           100,
                           (const char **)qq->order,
                           norder,
                           NULL};
    sql_frag_init(f, &sqlite_dialect);
    return search_sql_runs(&q, qq->limit ? qq->limit : 100, qq->offset, f, err);
}

static char *find_q(const struct query *qq)
{
    struct sql_frag f;
    struct ferr err = FERR_INIT;
    if (compile_runs(qq, &f, &err))
        FAIL_AT("filter [%s] failed: %s", qq->filter ? qq->filter : "(null)", err.msg);
    char *got = run_frag(&f, 1);
    sql_frag_release(&f);
    return got;
}

#define EXPECT_Q(want, ...)                                                                        \
    do {                                                                                           \
        struct query q_ = {__VA_ARGS__};                                                           \
        char *got_ = find_q(&q_);                                                                  \
        if (strcmp(got_, want))                                                                    \
            FAIL_AT("filter [%s] order [%s]: got \"%s\", want \"%s\"",                             \
                    q_.filter ? q_.filter : "(null)", q_.order[0] ? q_.order[0] : "", got_, want); \
        free(got_);                                                                                \
    } while (0)

/* Runs of experiment 1 matching filter, by name. */
#define EXPECT(f, want) EXPECT_Q(want, .filter = f, .order = {"attributes.run_name"})

struct filter_case {
    const char *filter, *want;
};

static void expect_all(const struct filter_case *c, size_t n)
{
    for (size_t i = 0; i < n; i++)
        EXPECT(c[i].filter, c[i].want);
}

#define EXPECT_ALL(cases) expect_all(cases, sizeof(cases) / sizeof(*(cases)))

/* ---------- good filters ---------- */

TEST(filter_sql_metric_comparators)
{
    static const struct filter_case cases[] = {
        {"metrics.acc > 0.5", "a,d"},
        {"metrics.acc >= 0.7", "a,d"},
        {"metrics.acc < 0.7", "b"},
        {"metrics.acc <= 0.7", "b,d"},
        {"metrics.acc = 0.4", "b"},
        {"metrics.acc != 0.4", "a,d"}, /* c is NaN, e has no acc */
        {"metric.acc > -1e3", "a,b,d"},
        {"metrics.acc>.5", "a,d"},
        {"metrics.acc > +0.5", "a,d"},
        {"metrics.acc > 5E-1", "a,d"},
        {"metrics.acc > 0.95", ""}, /* g is deleted, f in another experiment */
        {"metrics.`train loss` < 0.3", "c,d,e"},
        {"metrics.\"train loss\" = 1", "a"},
        {"metrics.`train loss` >= -1E+2", "a,b,c,d"}, /* e is -inf */
        {"metrics.val.loss < 0", "a"},
        {"`metrics`.acc = 0.9", "a"},
        {"`metrics`.`acc` = 0.9", "a"},
        {"metrics.missing > 0", ""},
        {"metrics.acc > 0 AND metrics.acc < 0.8", "b,d"},
    };
    seed();
    EXPECT_ALL(cases);
    sqlite3_close(db);
}

TEST(filter_sql_params_and_tags)
{
    static const struct filter_case cases[] = {
        {"params.lr = '0.01'", "a,c"},
        {"params.lr != '0.01'", "b,d"}, /* e has no lr */
        {"params.model.kind = 'lin reg'", "d"},
        {"params.`model.kind` LIKE 'x%'", "a"},
        {"params.`model.kind` ILIKE 'x%'", "a,b"},
        {"params.lr IN ('0.1', '0.5')", "b,d"},
        {"params.lr NOT IN ('0.1', '0.5')", "a,c"},
        {"param.lr = \"0.5\"", "d"},
        {"parameters.lr = '0.5'", "d"},
        {"parameter.'lr' = '0.5'", "d"},
        {"params.lr LIKE '0._'", "b,d"},
        {"params.lr LIKE '%1'", "a,b,c"},
        {"params.batch = '32'", "a"},
        {"params.lr = ''", ""},
        {"tags.team = 'vision'", "b"},
        {"tags.team != 'nlp'", "a,b"}, /* d has no team */
        {"tag.team IN ('nlp', 'Vision')", "a,c,e"},
        {"tags.team NOT IN ('nlp')", "a,b"},
        {"tags.mlflow.runName = 'a'", "a"},
        {"tags.note = 'it''s'", "c"},
        {"tags.note = 'it\\'s'", "c"},
        {"tags.note = \"it's\"", "c"},
        {"tags.`odd key` = 'x\\\\y'", "d"},
        {"tags.`odd key` = 'x*y?[z]'", "a"},
    };
    seed();
    EXPECT_ALL(cases);
    sqlite3_close(db);
}

TEST(filter_sql_like_is_case_sensitive_ilike_is_not)
{
    static const struct filter_case cases[] = {
        {"tags.team LIKE 'v%'", "b"},
        {"tags.team LIKE 'V%'", "a"},
        {"tags.team ILIKE 'V%'", "a,b"},
        {"tags.team ILIKE 'VISION'", "a,b"},
        {"tags.team LIKE 'vision'", "b"},
        {"tags.team LIKE '_lp'", "c,e"},
        {"tags.team LIKE '%'", "a,b,c,e"},
        {"attributes.run_name LIKE 'A'", ""},
        {"attributes.run_name ILIKE 'A'", "a"},
        /* GLOB's own specials are literal in LIKE */
        {"tags.`odd key` LIKE 'x*y%'", "a"},
        {"tags.`odd key` LIKE 'x?y%'", ""},
        {"tags.`odd key` LIKE '%[z]'", "a"},
        {"tags.`odd key` LIKE 'x_y%'", "a,b,d"},
        /* a backslash escapes % and _ */
        {"tags.`odd key` LIKE 'x\\%y%'", "b"},
        {"tags.`odd key` LIKE 'x%y\\_z'", "b"},
        {"tags.`odd key` ILIKE 'X\\%Y%'", "b"},
        {"tags.`odd key` LIKE 'x\\\\\\\\y'", "d"},
        {"tags.`odd key` ILIKE 'x\\\\\\\\y'", "d"},
        {"tags.`odd key` LIKE 'x\\\\'", ""},
        {"tags.`odd key` ILIKE 'x\\\\'", ""},
    };
    seed();
    EXPECT_ALL(cases);
    sqlite3_close(db);
}

TEST(filter_sql_attributes)
{
    static const struct filter_case cases[] = {
        {"attributes.run_name = 'c'", "c"},
        {"attributes.`Run name` = 'c'", "c"},
        {"attributes.\"run name\" = 'c'", "c"},
        {"`Run Name` = 'c'", "c"},
        {"run_name = 'c'", "c"},
        {"attributes.status = 'FINISHED'", "a,e"},
        {"attribute.status != 'FINISHED'", "b,c,d"},
        {"attr.status IN ('FAILED', 'RUNNING')", "b,c,d"},
        {"run.status NOT IN ('RUNNING')", "a,c,e"},
        {"run.start_time >= 400", "d,e"},
        {"attributes.created < '300'", "a,b"},
        {"Created = 300", "c"},
        {"attributes.start_time != 300", "a,b,d,e"},
        {"attributes.end_time > 0", "a,c,e"},
        {"attributes.end_time != 150", "c,e"},      /* NULL end_time never matches */
        {"NOT attributes.end_time > 200", "a,b,d"}, /* ...but NOT of it does */
        {"attributes.run_id = '00000000000000000000000000000003'", "c"},
        {"attributes.run_id IN ('00000000000000000000000000000001', "
         "'00000000000000000000000000000005', 'zz')",
         "a,e"},
        {"attributes.user_id = 'bob'", "b,e"},
        {"attributes.artifact_uri LIKE 's3://%'", "a,b,d,e"},
        {"attributes.lifecycle_stage = 'active'", "a,b,c,d,e"},
    };
    seed();
    EXPECT_ALL(cases);
    sqlite3_close(db);
}

TEST(filter_sql_datasets)
{
    static const struct filter_case cases[] = {
        {"datasets.name = 'eval'", "b,c"},
        {"dataset.digest IN ('d1')", "a,c"},
        {"datasets.context = 'training'", "a,c"},
        {"datasets.name != 'eval'", "a,c"},
        {"datasets.name LIKE 'train%' AND datasets.context = 'eval'", "c"},
        {"NOT datasets.name = 'eval'", "a,d,e"},
        {"datasets.digest NOT IN ('d2')", "a,c"},
        {"datasets.name ILIKE 'EVAL'", "b,c"},
    };
    seed();
    EXPECT_ALL(cases);
    sqlite3_close(db);
}

TEST(filter_sql_or_not_parentheses)
{
    static const struct filter_case cases[] = {
        {"metrics.acc > 0.8 OR params.lr = '0.5'", "a,d"},
        {"NOT metrics.acc > 0.5", "b,c,e"},
        {"NOT NOT metrics.acc > 0.5", "a,d"},
        {"params.lr = '0.01' AND (tags.team = 'nlp' OR metrics.acc > 0.8)", "a,c"},
        /* AND binds tighter than OR */
        {"tags.team = 'nlp' OR params.lr = '0.01' AND metrics.acc > 0.8", "a,c,e"},
        {"(tags.team = 'nlp' OR params.lr = '0.01') AND metrics.acc > 0.8", "a"},
        {"not (params.lr = '0.01' or params.lr = '0.1') and run_name != 'e'", "d"},
        {"NOT (metrics.acc > 0.5 AND NOT tags.team = 'nlp')", "b,c,e"},
        {"NOT (attributes.end_time > 200 OR attributes.end_time < 200)", "b,d"},
        {"((((metrics.acc > 0.5))))", "a,d"},
        {"metrics.acc > 0.5 and params.lr = '0.01' or tags.team ilike 'NLP'", "a,c,e"},
        {"metrics.acc > 0 AnD params.lr LiKe '0.0%'", "a"},
        {"tags.team in ('nlp') Or attributes.status = 'RUNNING'", "b,c,d,e"},
        {"params.lr not in ('0.01') and not tags.team = 'vision'", "d"},
    };
    seed();
    EXPECT_ALL(cases);
    EXPECT_Q("e,d,c,b,a", .filter = "");
    EXPECT_Q("e,d,c,b,a", .filter = " \t\n ");
    EXPECT_Q("e,d,c,b,a", .filter = NULL, .limit = 100);
    sqlite3_close(db);
}

/* ---------- ordering, views, experiments, paging ---------- */

TEST(filter_sql_order_by)
{
    seed();
    EXPECT_Q("e,d,c,b,a", .filter = NULL, .limit = 100);  /* start_time DESC */
    EXPECT_Q("a,d,b,c,e", .order = {"metrics.acc DESC"}); /* NaN, then missing, last */
    EXPECT_Q("b,d,a,c,e", .order = {"metrics.acc ASC"});
    EXPECT_Q("b,d,a,c,e", .order = {"metrics.acc"});
    EXPECT_Q("a,b,c,d,e", .order = {"metrics.`train loss` DESC"});
    EXPECT_Q("e,d,c,b,a", .order = {"metric.\"train loss\" asc"});
    EXPECT_Q("c,a,b,d,e", .order = {"params.lr"}); /* ties by start_time DESC */
    EXPECT_Q("d,b,c,a,e", .order = {"params.lr DESC"});
    EXPECT_Q("a,e,c,b,d", .order = {"tags.team ASC"});
    EXPECT_Q("b,e,c,a,d", .order = {"tags.team DESC"});
    EXPECT_Q("a,b,c,d,e", .order = {"attributes.start_time ASC"});
    EXPECT_Q("a,b,c,d,e", .order = {"created"});
    EXPECT_Q("e,d,c,b,a", .order = {"run_name DESC"});
    EXPECT_Q("e,d,c,b,a", .order = {"attributes.run_id DESC"});
    EXPECT_Q("a,c,e,d,b", .order = {"attributes.end_time ASC"}); /* NULLs last both ways */
    EXPECT_Q("e,c,a,d,b", .order = {"attributes.end_time DESC"});
    EXPECT_Q("c,e,a,d,b", .order = {"status", "run_name DESC"});
    EXPECT_Q("a,c,b,d,e", .order = {"params.lr", "metrics.acc DESC"});
    EXPECT_Q("a,d,b,c,e", .order = {"metrics.acc DESC", "metrics.acc ASC"});
    EXPECT_Q("a,c,d,b,e", .order = {"params.`model.kind` DESC"}); /* binary: x > r > l > X */
    EXPECT_Q("a", .filter = "metrics.acc > 0 and params.lr = '0.01'",
             .order = {"metrics.acc DESC"});
    EXPECT_Q("d,a", .filter = "metrics.acc > 0.5", .order = {"metrics.acc ASC"});
    EXPECT_Q("f,a,d,b,c,e", .order = {"metrics.acc DESC"}, .exps = {"1", "2"});
    EXPECT_Q("f,e,d,c,b,a", .exps = {"2", "1"});
    sqlite3_close(db);
}

TEST(filter_sql_view_types_and_paging)
{
    seed();
    EXPECT_Q("a,c", .filter = "params.lr = '0.01'", .order = {"run_name"},
             .view = VIEW_ACTIVE_ONLY);
    EXPECT_Q("g", .filter = "params.lr = '0.01'", .order = {"run_name"}, .view = VIEW_DELETED_ONLY);
    EXPECT_Q("a,c,g", .filter = "params.lr = '0.01'", .order = {"run_name"}, .view = VIEW_ALL);
    EXPECT_Q("g,e,d,c,b,a", .view = VIEW_ALL);
    EXPECT_Q("", .filter = "params.lr = '0.01'", .view = VIEW_ALL, .exps = {"0"});
    EXPECT_Q("a,c,f,g", .filter = "params.lr = '0.01'", .order = {"run_name"}, .view = VIEW_ALL,
             .exps = {"1", "2", "0"});
    EXPECT_Q("e,d", .limit = 2);
    EXPECT_Q("c,b", .limit = 2, .offset = 2);
    EXPECT_Q("a", .limit = 2, .offset = 4);
    EXPECT_Q("", .limit = 2, .offset = 6);
    sqlite3_close(db);
}

static char *find_experiments(const char *filter, const char *order, enum view_type view)
{
    const char *orders[] = {order};
    struct experiment_search q = {
        filter, view ? view : VIEW_ACTIVE_ONLY, 100, orders, order ? 1 : 0, NULL};
    struct sql_frag f;
    struct ferr err = FERR_INIT;
    sql_frag_init(&f, &sqlite_dialect);
    if (search_sql_experiments(&q, 100, 0, &f, &err))
        FAIL_AT("experiments filter [%s] failed: %s", filter ? filter : "", err.msg);
    char *got = run_frag(&f, 0);
    sql_frag_release(&f);
    return got;
}

#define EXPECT_EXP(filter, order, view, want)                                                      \
    do {                                                                                           \
        char *got_ = find_experiments(filter, order, view);                                        \
        if (strcmp(got_, want))                                                                    \
            FAIL_AT("experiments [%s] [%s]: got \"%s\", want \"%s\"", filter ? filter : "",        \
                    order ? order : "", got_, want);                                               \
        free(got_);                                                                                \
    } while (0)

TEST(filter_sql_experiments)
{
    seed();
    EXPECT_EXP(NULL, NULL, 0, "2,1,0"); /* creation_time DESC */
    EXPECT_EXP(NULL, NULL, VIEW_DELETED_ONLY, "3");
    EXPECT_EXP(NULL, NULL, VIEW_ALL, "3,2,1,0");
    EXPECT_EXP("name = 'one'", NULL, 0, "1");
    EXPECT_EXP("name LIKE '%o%'", NULL, 0, "2,1");
    EXPECT_EXP("name ILIKE 'd%'", NULL, 0, "0");
    EXPECT_EXP("attribute.name != 'Default'", NULL, 0, "2,1");
    EXPECT_EXP("attributes.name IN ('one', 'two', 'Gone')", NULL, VIEW_ALL, "3,2,1");
    EXPECT_EXP("creation_time > 15 AND last_update_time < 30", NULL, 0, "1");
    EXPECT_EXP("creation_time >= '20'", NULL, 0, "2,1");
    EXPECT_EXP("tags.owner = 'ana'", NULL, 0, "1");
    EXPECT_EXP("tags.owner ILIKE 'b%'", NULL, 0, "2");
    EXPECT_EXP("tag.`team` = 'x y'", NULL, 0, "2");
    EXPECT_EXP("NOT tags.owner = 'ana'", NULL, 0, "2,0");
    EXPECT_EXP("tags.owner = 'ana' OR name = 'Default'", NULL, 0, "1,0");
    EXPECT_EXP(NULL, "name", 0, "0,1,2");
    EXPECT_EXP(NULL, "name DESC", 0, "2,1,0");
    EXPECT_EXP(NULL, "experiment_id DESC", 0, "2,1,0");
    EXPECT_EXP(NULL, "attributes.last_update_time", 0, "0,1,2");
    EXPECT_EXP(NULL, "attribute.creation_time ASC", VIEW_ALL, "0,1,2,3");
    sqlite3_close(db);
}

/* ---------- the AST ---------- */

TEST(filter_parse_ast_shape)
{
    struct fnode *n = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(filter_parse("metrics.a > 1 or not params.b = 'x' and tags.`c d` ilike '%'",
                           FILTER_RUNS, &n, &err),
              &err);
    ASSERT_INT_EQ(n->kind, FN_OR);
    ASSERT_INT_EQ(n->left->entity, FE_METRIC);
    ASSERT_INT_EQ(n->left->numeric, 1);
    ASSERT(n->left->values[0].is_num && n->left->values[0].num == 1.0);
    ASSERT_INT_EQ(n->right->kind, FN_AND);
    ASSERT_INT_EQ(n->right->left->kind, FN_NOT);
    ASSERT_STR_EQ(n->right->left->left->key, "b");
    ASSERT_STR_EQ(n->right->right->key, "c d");
    ASSERT_INT_EQ(n->right->right->op, FOP_ILIKE);
    ASSERT_INT_EQ(n->right->right->pos, 41);
    fnode_free(n);

    /* chains are left-deep; IN lists keep their order */
    ASSERT_OK(filter_parse("run_id IN ('x', \"y\") AND Created > 5 AND datasets.context = 'z'",
                           FILTER_RUNS, &n, &err),
              &err);
    ASSERT_INT_EQ(n->kind, FN_AND);
    ASSERT_INT_EQ(n->left->kind, FN_AND);
    ASSERT_STR_EQ(n->left->left->key, "run_id");
    ASSERT_INT_EQ(n->left->left->nvalues, 2);
    ASSERT_STR_EQ(n->left->left->values[1].str, "y");
    ASSERT_STR_EQ(n->left->right->key, "start_time");
    ASSERT_INT_EQ(n->right->entity, FE_DATASET);
    fnode_free(n);

    ASSERT_OK(filter_parse("", FILTER_RUNS, &n, &err), &err);
    ASSERT(n == NULL);
    ASSERT_OK(filter_parse(NULL, FILTER_EXPERIMENTS, &n, &err), &err);
    ASSERT(n == NULL);
    fnode_free(NULL);
}

TEST(filter_parse_order_clauses)
{
    struct forder o;
    struct ferr err = FERR_INIT;
    ASSERT_OK(filter_parse_order("metrics.`val loss` desc", FILTER_RUNS, &o, &err), &err);
    ASSERT_INT_EQ(o.entity, FE_METRIC);
    ASSERT_STR_EQ(o.key, "val loss");
    ASSERT_INT_EQ(o.descending, 1);
    forder_release(&o);
    ASSERT_OK(filter_parse_order("Created", FILTER_RUNS, &o, &err), &err);
    ASSERT_INT_EQ(o.entity, FE_ATTR);
    ASSERT_STR_EQ(o.key, "start_time");
    ASSERT_INT_EQ(o.descending, 0);
    forder_release(&o);
    ASSERT_OK(filter_parse_order("tags.a.b ASC", FILTER_RUNS, &o, &err), &err);
    ASSERT_STR_EQ(o.key, "a.b");
    forder_release(&o);
    ASSERT_OK(filter_parse_order("experiment_id", FILTER_EXPERIMENTS, &o, &err), &err);
    forder_release(&o);
    forder_release(NULL);
}

/* ---------- bad input ---------- */

/* A message must be valid UTF-8, fit in struct ferr and hold no SQL. */
static void check_message(const char *msg)
{
    const unsigned char *s = (const unsigned char *)msg;
    ASSERT(strlen(msg) < sizeof(((struct ferr *)0)->msg));
    for (size_t i = 0; s[i];) {
        size_t len = s[i] < 0x80 ? 1 : s[i] >= 0xF0 ? 4 : s[i] >= 0xE0 ? 3 : 2;
        if (s[i] >= 0x80 && s[i] < 0xC2)
            FAIL_AT("invalid UTF-8 in \"%s\"", msg);
        for (size_t k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80)
                FAIL_AT("invalid UTF-8 in \"%s\"", msg);
        i += len;
    }
    if (strstr(msg, "SELECT") || strstr(msg, "EXISTS") || strstr(msg, "r.id"))
        FAIL_AT("SQL in \"%s\"", msg);
}

static void expect_bad(const struct query *q, const char *needle)
{
    struct sql_frag f;
    struct ferr err = FERR_INIT;
    int rc = compile_runs(q, &f, &err);
    sql_frag_release(&f);
    if (!rc)
        FAIL_AT("filter [%s] order [%s] was accepted", q->filter ? q->filter : "(null)",
                q->order[0] ? q->order[0] : "");
    if (err.code != FERR_INVALID_PARAMETER_VALUE || !strstr(err.msg, needle))
        FAIL_AT("filter [%s] order [%s]: %s: \"%s\" lacks \"%s\"", q->filter ? q->filter : "(null)",
                q->order[0] ? q->order[0] : "", ferr_code_name(err.code), err.msg, needle);
    check_message(err.msg);
}

#define EXPECT_BAD(needle, ...)                                                                    \
    do {                                                                                           \
        struct query q_ = {__VA_ARGS__};                                                           \
        expect_bad(&q_, needle);                                                                   \
    } while (0)

struct bad_case {
    const char *input, *needle;
};

static const struct bad_case bad_filters[] = {
    {"metrics.acc >>> 0.5", "unexpected '>' at position 14"},
    {"foo.acc > 0.5", "unknown entity type 'foo' at position 1"},
    {"params.lr = '0.01", "unterminated quoted string at position 13"},
    {"metrics.`acc > 0.5", "unterminated"},
    {"params.\"lr = '1'", "unterminated"},
    {"metrics.acc LIKE '0.5'", "comparator 'LIKE' is not allowed for metrics"},
    {"metrics.acc ILIKE '1'", "comparator 'ILIKE' is not allowed for metrics"},
    {"metrics.acc IN (0.5)", "comparator 'IN' is not allowed for metrics"},
    {"metrics.acc NOT IN (0.5)", "'NOT IN' is not allowed"},
    {"params.lr > '0.1'", "comparator '>' is not allowed for params"},
    {"tags.t <= 'x'", "comparator '<=' is not allowed for tags"},
    {"attributes.status > 'A'", "not allowed for attribute 'status'"},
    {"attributes.start_time LIKE '1%'", "'LIKE' is not allowed for attribute 'start_time'"},
    {"datasets.name > 'x'", "comparator '>' is not allowed for datasets"},
    {"metrics.acc > 'high'", "metric 'acc' takes a number, not 'high'"},
    {"metrics.acc = '0.5'", "'0.5'"},
    {"attributes.start_time > 'x'", "attribute 'start_time' takes a number"},
    {"attributes.end_time > '1.5'", "takes a number"},
    {"params.lr = 0.01", "param 'lr' takes a quoted string, not '0.01'"},
    {"tags.t IN ('a', 1)", "takes a quoted string"},
    {"attributes.run_name = 5", "takes a quoted string"},
    {"attributes.colour = 'red'", "unknown attribute 'colour'"},
    {"attributes.RUN_NAME = 'x'", "unknown attribute 'RUN_NAME'"},
    {"hello", "unknown attribute 'hello'"},
    {"datasets.size = 'x'", "unknown dataset attribute 'size'"},
    {"metrics.acc > 0.5 AND", "unexpected end of input at position 22"},
    {"metrics.acc > 0.5 OR", "end of input"},
    {"metrics.acc > 0.5 params.lr = '1'", "unexpected 'params.lr' at position 19"},
    {"(metrics.acc > 0.5", "expected ')'"},
    {"metrics.acc > 0.5)", "unexpected ')'"},
    {"metrics.acc <> 1", "unsupported comparator '<>'"},
    {"metrics.acc == 1", "unsupported comparator '=='"},
    {"params.lr ~ '1'", "unexpected character '~'"},
    {"params.lr IN ()", "empty IN list"},
    {"params.lr IN '1'", "expected '(' after IN"},
    {"params.lr IN ('a',)", "unexpected ')'"},
    {"params.lr IN ('a' 'b')", "expected ',' or ')'"},
    {"params.lr IN ('a'", "end of input"},
    {"metrics. > 1", "expected a name after 'metrics.'"},
    {"tags. = 'x'", "after 'tags.'"},
    {"metrics.`` > 1", "empty key name"},
    {"metrics.acc", "expected a comparator"},
    {"metrics.acc 0.5", "expected a comparator"},
    {"metrics.acc >", "expected a number or a quoted string"},
    {"params.lr LIKE", "end of input"},
    {"= 1", "expected a key"},
    {"AND metrics.acc > 0", "unexpected 'AND'"},
    {"metrics.acc > 0 AND AND params.lr = '1'", "unexpected 'AND' at position 21"},
    {"metrics.acc > 1e999", "out-of-range number '1e999'"},
    {"metrics.acc > 1e", "invalid number '1e'"},
    {"metrics.acc > 0x10", "invalid number '0x10'"},
    {"metrics.acc > 1.2.3", "invalid number"},
    {"metrics.acc > --1", "unexpected character '-'"},
    {"metrics.acc > NaN", "unexpected 'NaN'"},
    {"metrics.acc > -inf", "unexpected character '-'"},
    {"tags.x = 'a' ; DROP TABLE runs", "unexpected character ';'"},
    {"params.lr = 'a' 'b'", "unexpected 'b' at position 17"},
    {"NOT", "end of input"},
    {"()", "unexpected ')'"},
    {"params.lr NOT LIKE 'x'", "unexpected 'NOT'"},
    {"metrics.acc < 1 ORDER BY x", "unexpected 'ORDER'"},
    {"tags.`a` = 'b' extra", "unexpected 'extra'"},
    {"met rics.acc > 1", "unknown attribute 'met'"},
    {"params.lr = 'x' AND NOT", "end of input"},
    {"metrics.acc > 0 OR OR metrics.acc < 1", "unexpected 'OR'"},
    {"params.lr IN (('a'))", "unexpected '('"},
    {"metrics.acc > (1)", "unexpected '('"},
    {"params.lr = \"a\" = \"b\"", "unexpected '='"},
    {"params.lr = `a`", "unexpected `a`"},
    {"'lr' = 'x'", "expected a key"},
    {"1 = 1", "expected a key"},
    {"metrics.acc > 1 AND 1 = 1", "expected a key"},
    {"run.acc = 'x'", "unknown attribute 'acc'"},
    {"params.`%s%n` = 1", "param '%s%n' takes a quoted string, not '1'"},
    {"metrics.acc >= 'x'", "metric 'acc' takes a number, not 'x'"},
    {"metrics.acc != \"0.5\"", "takes a number, not \"0.5\""},
    {"metrics.acc = NULL", "unexpected 'NULL'"},
    {"metrics.acc IS NULL", "unexpected 'IS'"},
    {"metrics.acc BETWEEN 1 AND 2", "unexpected 'BETWEEN'"},
    {"params.lr = 'a' AND OR tags.x = 'b'", "unexpected 'OR'"},
    {"params.lr = 'a' OR AND tags.x = 'b'", "unexpected 'AND'"},
    {"NOT NOT", "end of input"},
    {"NOT ()", "unexpected ')'"},
    {"(())", "unexpected ')'"},
    {"(metrics.acc > 1))", "unexpected ')' at position 18"},
    {")(", "unexpected ')'"},
    {"metrics.acc > 1 (", "unexpected '('"},
    {"params.lr IN ('a', 'b'", "end of input"},
    {"params.lr IN ('a', , 'b')", "unexpected ','"},
    {"params.lr IN [ 'a' ]", "unexpected character '['"},
    {"params.lr IN 'a', 'b'", "expected '(' after IN"},
    {"params.lr NOT ('a')", "unexpected 'NOT'"},
    {"params.lr NOT", "unexpected 'NOT'"},
    {"params.lr IN", "end of input"},
    {"tags.x LIKE 5", "tag 'x' takes a quoted string"},
    {"tags.x ILIKE", "end of input"},
    {"attributes.status IN ('A', 5)", "takes a quoted string, not '5'"},
    {"attributes.start_time IN (1, 2)",
     "comparator 'IN' is not allowed for attribute 'start_time'"},
    {"attributes.start_time = '1e5'", "takes a number"},
    {"attributes.start_time = ''", "takes a number"},
    {"attributes.end_time >= 'now'", "attribute 'end_time' takes a number"},
    {"attributes. = 'x'", "expected a name after 'attributes.'"},
    {"attributes.`` = 'x'", "empty key name"},
    {"datasets.`` = 'x'", "empty key name"},
    {"datasets.name = 5", "takes a quoted string"},
    {"datasets.context < 'a'", "not allowed for datasets"},
    {"datasets = 'x'", "unknown attribute 'datasets'"},
    {"metrics = 1", "unknown attribute 'metrics'"},
    {"`foo`.acc > 1", "unknown entity type 'foo'"},
    {"metrics.acc > 1 AND `", "unterminated"},
    {"metrics.acc > 1 AND \"", "unterminated"},
    {"'", "unterminated"},
    {"metrics.acc \xe2\x89\xa5 1", "unexpected '\xe2\x89\xa5'"},
    {"metrics.acc > \xef\xbc\x95", "unexpected '\xef\xbc\x95'"},
    {"metrics.acc > 1_000", "invalid number '1_000'"},
    {"metrics.acc > 1e+", "invalid number '1e'"},
    {"metrics.acc > .", "unexpected character '.'"},
    {"metrics.acc > -", "unexpected character '-'"},
    {"metrics.acc !> 1", "unexpected character '!'"},
    {"metrics.acc => 1", "unexpected '>'"},
    {"metrics.acc =< 1", "unexpected '<'"},
    {"metrics.acc >= = 1", "unexpected '='"},
    {"tags.x = 'a' AND tags.y = 'b' AND", "end of input"},
    {"tags.x = 'a';", "unexpected character ';'"},
    {"tags.x = 'a' --", "unexpected character '-'"},
    {"tags.x = 'a' /* c */", "unexpected character '/'"},
    {"tags.x = 'a' # c", "unexpected character '#'"},
    {"tags.x = 'a'\n OR \n", "end of input"},
    {"tags.x = $1", "unexpected character '$'"},
    {"tags.x = ?", "unexpected character '?'"},
    {"tags.x = :name", "unexpected character ':'"},
    {"tags.x = @v", "unexpected character '@'"},
    {"tags.x = x'00'", "unexpected 'x'"},
    {"tags.x = TRUE", "unexpected 'TRUE'"},
    {"params.lr = 'a' || 'b'", "unexpected character '|'"},
    {"params.lr = 'a' + 'b'", "unexpected character '+'"},
    {"LIKE 'x'", "unexpected 'LIKE'"},
    {"IN ('a')", "unexpected 'IN'"},
    {"OR metrics.acc > 1", "unexpected 'OR'"},
    {"metrics.acc > 0 \x01", "unexpected character '?'"},
    {"params.`模型` = 'ünï", "unterminated"},
};

TEST(filter_bad_filters)
{
    seed();
    for (size_t i = 0; i < sizeof(bad_filters) / sizeof(*bad_filters); i++)
        EXPECT_BAD(bad_filters[i].needle, .filter = bad_filters[i].input);
    sqlite3_close(db);
}

TEST(filter_bad_message_format)
{
    struct fnode *n = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_FAILS(filter_parse("metrics.acc >>> 0.5", FILTER_RUNS, &n, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_STR_EQ(err.msg, "invalid filter 'metrics.acc >>> 0.5': unexpected '>' at position 14 "
                           "(expected a number or a quoted string)");
    ASSERT(n == NULL);
    ASSERT_FAILS(filter_parse("foo.acc > 0.5", FILTER_RUNS, &n, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_STR_EQ(err.msg, "invalid filter 'foo.acc > 0.5': unknown entity type 'foo' at "
                           "position 1 (expected metrics, params, tags, attributes or datasets)");
    /* long inputs and long multi-byte tokens are cut at character boundaries */
    struct sbuf sb = SBUF_INIT;
    sbuf_addstr(&sb, "params.`");
    for (int i = 0; i < 100; i++)
        sbuf_addstr(&sb, "é✓");
    sbuf_addstr(&sb, "` > '1'");
    ASSERT_FAILS(filter_parse(sb.buf, FILTER_RUNS, &n, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    check_message(err.msg);
    ASSERT_CONTAINS(err.msg, "...");
    ASSERT_CONTAINS(err.msg, "comparator '>' is not allowed for param");
    sbuf_release(&sb);
    /* invalid UTF-8 and control characters never reach the message */
    ASSERT_FAILS(filter_parse("tags.\xff\xfe\x80 = \x01", FILTER_RUNS, &n, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    check_message(err.msg);
    ASSERT_CONTAINS(err.msg, "tags.??? = ?");
}

static const struct bad_case bad_orders[] = {
    {"metrics.", "expected a name after 'metrics.'"},
    {"attributes.colour", "unknown attribute 'colour'"},
    {"params.lr ASC DESC", "unexpected 'DESC'"},
    {"", "expected a key"},
    {"   ", "expected a key"},
    {"tags.`unterminated", "unterminated"},
    {"RANDOM()", "unknown attribute 'RANDOM'"},
    {"metrics.acc DESC; DROP TABLE runs", "unexpected character ';'"},
    {"foo.bar", "unknown entity type 'foo'"},
    {"datasets.name", "cannot order by a dataset attribute"},
    {"metrics.acc SIDEWAYS", "unexpected 'SIDEWAYS'"},
    {"ASC", "expected a key"},
    {"metrics.acc, params.lr", "unexpected ','"},
    {"params.lr DESC NULLS LAST", "unexpected 'NULLS'"},
    {"metrics.acc > 1", "unexpected '>'"},
    {"'start_time'", "expected a key"},
    {"metrics.acc ASC ASC", "unexpected 'ASC' at position 17"},
    {"metrics.acc DESC DESC", "unexpected 'DESC'"},
    {"ASC metrics.acc", "unexpected 'ASC'"},
    {"metrics.`acc` DESC extra", "unexpected 'extra'"},
    {"run_name ASC;", "unexpected character ';'"},
    {"(run_name)", "unexpected '('"},
    {"run_name, start_time", "unexpected ','"},
    {"params.lr asc limit 1", "unexpected 'limit'"},
    {"tags.", "expected a name after 'tags.'"},
    {"attributes.end_time NULLS", "unexpected 'NULLS'"},
    {"datasets.digest DESC", "cannot order by a dataset attribute"},
    {"Run name", "unknown attribute 'Run'"},
    {"-start_time", "unexpected character '-'"},
    {"start_time DESC LIMIT", "unexpected 'LIMIT'"},
    {"metrics.acc >", "unexpected '>'"},
    {"params.`lr", "unterminated"},
};

TEST(filter_bad_order_by)
{
    seed();
    for (size_t i = 0; i < sizeof(bad_orders) / sizeof(*bad_orders); i++)
        EXPECT_BAD(bad_orders[i].needle, .order = {bad_orders[i].input});
    EXPECT_BAD("invalid order_by clause 'colour'", .order = {"run_name", "colour"});
    sqlite3_close(db);
}

TEST(filter_bad_order_by_count)
{
    const char *orders[17];
    const char *one[] = {"1"};
    for (int i = 0; i < 17; i++)
        orders[i] = "metrics.acc";
    struct run_search q = {one, 1, NULL, VIEW_ALL, 10, orders, 17, NULL};
    struct sql_frag f;
    struct ferr err = FERR_INIT;
    sql_frag_init(&f, &sqlite_dialect);
    ASSERT_FAILS(search_sql_runs(&q, 10, 0, &f, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "too many order_by clauses (17, at most 16)");
    q.norder_by = 16;
    ASSERT_OK(search_sql_runs(&q, 10, 0, &f, &err), &err);
    sql_frag_release(&f);
}

TEST(filter_bad_experiment_ids)
{
    static const char *const bad[] = {
        "1 OR 1=1", "",   "-1",  "abc",      "1234567890123456789", " 1", "1.0", "0x1", "１",
        "+1",       "1 ", "01x", "\xd9\xa3", "9223372036854775808", "1;", "\xff"};
    struct sql_frag f;
    struct ferr err = FERR_INIT;
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        const char *ids[] = {"1", bad[i]};
        struct run_search q = {ids, 2, NULL, VIEW_ALL, 10, NULL, 0, NULL};
        sql_frag_init(&f, &sqlite_dialect);
        ASSERT_FAILS(search_sql_runs(&q, 10, 0, &f, &err), &err, FERR_INVALID_PARAMETER_VALUE);
        ASSERT_CONTAINS(err.msg, "invalid experiment id");
        check_message(err.msg);
        sql_frag_release(&f);
    }
    struct run_search q = {NULL, 0, NULL, VIEW_ALL, 10, NULL, 0, NULL};
    sql_frag_init(&f, &sqlite_dialect);
    ASSERT_FAILS(search_sql_runs(&q, 10, 0, &f, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "experiment_ids");
    sql_frag_release(&f);
}

static void expect_bad_experiments(const char *filter, const char *order, const char *needle)
{
    const char *orders[] = {order};
    struct experiment_search q = {filter, VIEW_ALL, 10, orders, order ? 1 : 0, NULL};
    struct sql_frag f;
    struct ferr err = FERR_INIT;
    sql_frag_init(&f, &sqlite_dialect);
    if (!search_sql_experiments(&q, 10, 0, &f, &err))
        FAIL_AT("experiments [%s] [%s] was accepted", filter ? filter : "", order ? order : "");
    if (err.code != FERR_INVALID_PARAMETER_VALUE || !strstr(err.msg, needle))
        FAIL_AT("experiments [%s] [%s]: \"%s\" lacks \"%s\"", filter ? filter : "",
                order ? order : "", err.msg, needle);
    check_message(err.msg);
    sql_frag_release(&f);
}

TEST(filter_bad_experiments)
{
    static const struct bad_case filters[] = {
        {"metrics.acc > 1", "unknown entity type 'metrics' at position 1 (expected tags or "
                            "attributes)"},
        {"params.x = 'a'", "unknown entity type 'params'"},
        {"datasets.name = 'x'", "unknown entity type 'datasets'"},
        {"run.name = 'x'", "unknown entity type 'run'"},
        {"experiment_id = 1", "unknown attribute 'experiment_id'"},
        {"run_name = 'x'", "unknown attribute 'run_name'"},
        {"name > 'a'", "comparator '>' is not allowed for attribute 'name'"},
        {"creation_time = 'x'", "takes a number"},
        {"creation_time LIKE '1%'", "not allowed"},
        {"tags.owner > 'a'", "not allowed for tags"},
        {"tags.owner = 1", "takes a quoted string"},
        {"name = 'a' AND", "end of input"},
        {"name", "expected a comparator"},
        {"last_update_time > 'soon'", "attribute 'last_update_time' takes a number"},
        {"attribute.experiment_id = '1'", "unknown attribute 'experiment_id'"},
        {"tag.owner LIKE", "end of input"},
        {"lifecycle_stage = 'active'", "unknown attribute 'lifecycle_stage'"},
        {"artifact_location = 'x'", "unknown attribute 'artifact_location'"},
        {"name = 'a' OR OR name = 'b'", "unexpected 'OR'"},
        {"(name = 'a'", "expected ')'"},
    };
    static const struct bad_case orders[] = {
        {"tags.owner", "experiments cannot be ordered by tags"},
        {"start_time", "unknown attribute 'start_time'"},
        {"metrics.acc", "unknown entity type 'metrics'"},
        {"name UP", "unexpected 'UP'"},
        {"name ASC DESC", "unexpected 'DESC'"},
        {"tags.owner DESC", "experiments cannot be ordered by tags"},
        {"creation_time DESC;", "unexpected character ';'"},
        {"attributes.artifact_location", "unknown attribute 'artifact_location'"},
        {"last_update_time ASCENDING", "unexpected 'ASCENDING'"},
        {"datasets.name", "unknown entity type 'datasets'"},
        {"", "expected a key"},
    };
    for (size_t i = 0; i < sizeof(filters) / sizeof(*filters); i++)
        expect_bad_experiments(filters[i].input, NULL, filters[i].needle);
    for (size_t i = 0; i < sizeof(orders) / sizeof(*orders); i++)
        expect_bad_experiments(NULL, orders[i].input, orders[i].needle);
}

/* ---------- limits: rejected in time, and what is accepted still runs ---------- */

static char *repeat(const char *head, const char *part, const char *sep, int n, const char *tail)
{
    struct sbuf sb = SBUF_INIT;
    sbuf_addstr(&sb, head);
    for (int i = 0; i < n; i++)
        sbuf_addf(&sb, "%s%s", i ? sep : "", part);
    sbuf_addstr(&sb, tail);
    return sbuf_detach(&sb, NULL);
}

TEST(filter_limits)
{
    struct fnode *n = NULL;
    struct ferr err = FERR_INIT;
    seed();
    char *s = repeat("", "(", "", 99, "metrics.acc > 0.5");
    char *t = repeat(s, ")", "", 99, "");
    EXPECT_Q("a,d", .filter = t, .order = {"run_name"}); /* 99 parentheses: fine */
    free(s);
    free(t);
    s = repeat("", "(", "", 100, "metrics.acc > 0.5");
    EXPECT_BAD("expression nested too deeply", .filter = s);
    ASSERT_FAILS(filter_parse(s, FILTER_RUNS, &n, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    free(s);
    s = repeat("", "NOT", " ", 98, " metrics.acc > 0.5");
    EXPECT_Q("a,d", .filter = s, .order = {"run_name"});
    free(s);
    s = repeat("", "NOT", " ", 4000, " metrics.acc > 0.5");
    EXPECT_BAD("nested too deeply", .filter = s);
    free(s);
    s = repeat("", "params.lr = '0.1'", " AND ", 100, " AND metrics.acc < 0.5");
    EXPECT_Q("b", .filter = s, .order = {"run_name"});
    free(s);
    s = repeat("", "metrics.acc = 3", " OR ", 199, " OR metrics.acc > 0.8");
    EXPECT_Q("a", .filter = s, .order = {"run_name"});
    free(s);
    s = repeat("", "metrics.acc = 3", " OR ", 200, " OR metrics.acc > 0.8");
    EXPECT_BAD("too many comparisons", .filter = s);
    free(s);
    s = repeat("params.lr IN (", "'0.5'", ",", 10000, ")");
    EXPECT_Q("d", .filter = s, .order = {"run_name"});
    free(s);
    s = repeat("params.lr IN (", "'0.5'", ",", 10001, ")");
    EXPECT_BAD("too many values", .filter = s);
    free(s);
    s = repeat("tags.x = '", "y", "", FILTER_MAX_LEN, "'");
    EXPECT_BAD("too long (65547 bytes, at most 65536)", .filter = s);
    free(s);
    sqlite3_close(db);
}

/* ((((a OR b) AND c) OR d) ...): the deepest SQL the compiler writes. */
static char *alternating(int levels)
{
    struct sbuf sb = SBUF_INIT;
    for (int i = 0; i < levels; i++)
        sbuf_addch(&sb, '(');
    sbuf_addstr(&sb, "tags.team = 'nlp' OR attributes.end_time = 1");
    for (int i = 0; i < levels; i++)
        sbuf_addf(&sb, ") %s NOT %s", i % 2 ? "OR" : "AND",
                  i % 2 ? "metrics.acc > 0.8" : "attributes.end_time > 600");
    return sbuf_detach(&sb, NULL);
}

TEST(filter_limits_sql_nesting)
{
    seed();
    char *s = alternating(31); /* 32 groups: SQLite must still parse it */
    EXPECT_Q("b,c,d", .filter = s,
             .order = {"run_name", "metrics.acc DESC", "params.lr", "tags.team"});
    free(s);
    s = alternating(32);
    EXPECT_BAD("expression nested too deeply (at most 32 levels", .filter = s);
    free(s);
    /* a small group before the deep one at every level: still parses */
    struct sbuf sb = SBUF_INIT;
    for (int i = 0; i < 31; i++)
        sbuf_addf(&sb, "(metrics.acc > %d %s params.lr = 'x') %s (", i, i % 2 ? "AND" : "OR",
                  i % 2 ? "OR" : "AND");
    sbuf_addstr(&sb, "tags.team = 'nlp' OR attributes.end_time = 1");
    for (int i = 0; i < 31; i++)
        sbuf_addch(&sb, ')');
    EXPECT_Q("", .filter = sb.buf); /* S_0 AND (S_1 OR (S_2 AND ...)) with S_i>0 false */
    sbuf_release(&sb);
    /* NOT (a AND NOT (b AND NOT ...)) is a flat OR: 33 levels, one group */
    s = repeat("", "NOT (metrics.acc != 3 AND NOT ", "", 33, "metrics.acc > 0.8");
    char *t = repeat(s, ")", "", 33, "");
    EXPECT_Q("a,c,e", .filter = t, .order = {"run_name"});
    free(s);
    free(t);
    sqlite3_close(db);
}

TEST(filter_sql_user_text_is_bound)
{
    static const char *const hostile[] = {
        "tags.`x'; DROP TABLE runs; --` = 'y'",
        "params.lr = '0.01'' OR ''1''=''1'",
        "attributes.run_name = 'r1\" OR \"1\"=\"1'",
        "params.lr LIKE '%'' OR 1=1 --'",
    };
    seed();
    for (size_t i = 0; i < sizeof(hostile) / sizeof(*hostile); i++) {
        struct query q = {hostile[i], {NULL}, 0, {NULL}, 0, 0};
        struct sql_frag f;
        struct ferr err = FERR_INIT;
        ASSERT_OK(compile_runs(&q, &f, &err), &err);
        ASSERT(!strstr(f.sql.buf, "DROP") && !strstr(f.sql.buf, "1=1") && !strstr(f.sql.buf, "r1"));
        sql_frag_release(&f);
        EXPECT_Q("", .filter = hostile[i]);
    }
    EXPECT_Q("a,b,c,d,e", .order = {"run_name"});
    sqlite3_close(db);
}
