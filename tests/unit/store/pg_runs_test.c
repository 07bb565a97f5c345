/* SPDX-License-Identifier: MIT
 * The PostgreSQL backend's runs (store/postgres/pg_runs.c) against the SQLite
 * backend's: the same requests on both stores must give the same answers
 * (results, error codes, messages) and leave the same runs behind; random
 * log-batches probe the latest-metric rule, NaN and infinities, duplicate
 * keys, immutable params and tags. Then what only PostgreSQL has: two
 * stores on one database (two replicas) logging to one run at once.
 *
 * Last, every statement's plan on large tables: no sequential scan.
 *
 * PG_TESTs: each compares a SQLite file in its scratch directory with a
 * fresh PostgreSQL database (test_store_uri). */
#include "../test.h"
#include "fixtures.h"
#include "base/ferr.h"
#include "base/sbuf.h"
#include "store/store.h"

#include <libpq-fe.h>
#include <math.h>
#include <pthread.h>
#include <unistd.h>

static struct store *open_sqlite(int group_commit)
{
    struct sbuf path = SBUF_INIT;
    sbuf_addf(&path, "%s/t.db", test_tmpdir());
    struct store_opts o = STORE_OPTS_INIT;
    o.group_commit = group_commit;
    o.default_artifact_root = "/artifacts";
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_open(path.buf, &o, &s, &err), &err);
    sbuf_release(&path);
    return s;
}

static struct store *open_pg(int group_commit)
{
    struct store_opts o = STORE_OPTS_INIT;
    o.group_commit = group_commit;
    o.default_artifact_root = "/artifacts";
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    char *uri = test_store_uri("runs"); /* the same name, the same database */
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    free(uri);
    return s;
}

/* A new experiment named after what it is for; its id, to free. */
static char *new_experiment(struct store *s, const char *what)
{
    struct sbuf name = SBUF_INIT;
    sbuf_addf(&name, "%s-%ld-%ld", what, (long)getpid(), (long)random());
    char *id = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_create_experiment(s, name.buf, NULL, NULL, &id, &err), &err);
    sbuf_release(&name);
    return id;
}

/* err's message with run_id replaced by "RUN", to compare across stores. */
static char *msg_of(const struct ferr *err, const char *run_id)
{
    struct sbuf sb = SBUF_INIT;
    const char *m = err->msg, *hit;
    size_t n = strlen(run_id);
    while (n && (hit = strstr(m, run_id))) {
        sbuf_add(&sb, m, (size_t)(hit - m));
        sbuf_addstr(&sb, "RUN");
        m = hit + n;
    }
    sbuf_addstr(&sb, m);
    return sbuf_detach(&sb, NULL);
}

/* Both calls fail alike or succeed alike. */
static void same_outcome(int rc_a, const struct ferr *ea, const char *run_a, int rc_b,
                         const struct ferr *eb, const char *run_b, const char *what)
{
    if (rc_a != rc_b)
        FAIL_AT("%s: sqlite %d (%s), postgresql %d (%s)", what, rc_a, rc_a ? ea->msg : "",
                rc_b, rc_b ? eb->msg : "");
    if (!rc_a)
        return;
    char *ma = msg_of(ea, run_a), *mb = msg_of(eb, run_b);
    if (ea->code != eb->code || strcmp(ma, mb))
        FAIL_AT("%s: sqlite %s \"%s\", postgresql %s \"%s\"", what, ferr_code_name(ea->code), ma,
                ferr_code_name(eb->code), mb);
    free(ma);
    free(mb);
}

static int same_double(double a, double b)
{
    return (isnan(a) && isnan(b)) || a == b;
}

static void same_kv(const struct kv_list *a, const struct kv_list *b, const char *what)
{
    if (a->n != b->n)
        FAIL_AT("%s: %zu != %zu entries", what, a->n, b->n);
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->v[i].key, b->v[i].key) || strcmp(a->v[i].value, b->v[i].value))
            FAIL_AT("%s[%zu]: %s=%s != %s=%s", what, i, a->v[i].key, a->v[i].value, b->v[i].key,
                    b->v[i].value);
}

/* Two runs hold the same (ids, experiment and artifact URI aside). */
static void same_run(const struct run *a, const struct run *b)
{
    ASSERT_STR_EQ(a->info.run_name, b->info.run_name);
    ASSERT_STR_EQ(a->info.user_id, b->info.user_id);
    ASSERT_INT_EQ(a->info.status, b->info.status);
    ASSERT_INT_EQ(a->info.start_time, b->info.start_time);
    ASSERT_INT_EQ(a->info.end_time, b->info.end_time);
    ASSERT_INT_EQ(a->info.lifecycle_stage, b->info.lifecycle_stage);
    same_kv(&a->params, &b->params, "params");
    same_kv(&a->tags, &b->tags, "tags");
    ASSERT_INT_EQ(a->metrics.n, b->metrics.n);
    for (size_t i = 0; i < a->metrics.n; i++) {
        const struct metric *x = &a->metrics.v[i], *y = &b->metrics.v[i];
        if (strcmp(x->key, y->key) || !same_double(x->value, y->value) ||
            x->timestamp != y->timestamp || x->step != y->step)
            FAIL_AT("metric %zu: %s=%.17g@%" PRId64 "/%" PRId64 " != %s=%.17g@%" PRId64
                    "/%" PRId64,
                    i, x->key, x->value, x->step, x->timestamp, y->key, y->value, y->step,
                    y->timestamp);
    }
    ASSERT_INT_EQ(a->ninputs, b->ninputs);
    for (size_t i = 0; i < a->ninputs; i++) {
        const struct dataset *x = &a->inputs[i].dataset, *y = &b->inputs[i].dataset;
        ASSERT_STR_EQ(x->name, y->name);
        ASSERT_STR_EQ(x->digest, y->digest);
        ASSERT_STR_EQ(x->source_type, y->source_type);
        ASSERT_STR_EQ(x->source, y->source);
        ASSERT((x->schema == NULL) == (y->schema == NULL));
        ASSERT((x->profile == NULL) == (y->profile == NULL));
        same_kv(&a->inputs[i].tags, &b->inputs[i].tags, "input tags");
    }
}

static void same_stored_run(struct store *a, const char *ra, struct store *b, const char *rb)
{
    struct run x, y;
    struct ferr ea = FERR_INIT, eb = FERR_INIT;
    ASSERT_OK(store_get_run(a, ra, &x, &ea), &ea);
    ASSERT_OK(store_get_run(b, rb, &y, &eb), &eb);
    same_run(&x, &y);
    run_release(&x);
    run_release(&y);
}

/* A random batch over few keys, steps and timestamps, so that ties,
 * repeats and NaN-versus-0 comparisons come up often. */
static void random_batch(unsigned *seed, struct metric_list *m, struct kv_list *p,
                         struct kv_list *t)
{
    static const char *const keys[] = {"a", "b c", "d/e", "f.g-h"};
    static const double values[] = {0, 1, -1, 0.1, 1e300, 5e-324, -0.0, 2.5};
    static const char *const tkeys[] = {"t1", "t2", "mlflow.runName", "x:y z"};
    static const char *const tvals[] = {"x", "y", "", "naïve \"q\" \\ {a,b}"};
    int nm = rand_r(seed) % 16, np = rand_r(seed) % 4 ? 0 : 1 + rand_r(seed) % 2,
        nt = rand_r(seed) % 4;
    for (int i = 0; i < nm; i++) {
        double v;
        int r = rand_r(seed) % 12;
        if (r < 8)
            v = values[r];
        else if (r == 8)
            v = NAN;
        else if (r == 9)
            v = INFINITY;
        else if (r == 10)
            v = -INFINITY;
        else
            v = (double)rand_r(seed) / 7.0;
        metric_list_add(m, keys[rand_r(seed) % 4], v, rand_r(seed) % 2, rand_r(seed) % 2);
    }
    int first = rand_r(seed) % 6;
    for (int i = 0; i < np; i++) { /* distinct keys: the front refuses repeats */
        char key[8];
        snprintf(key, sizeof(key), "p%d", (first + i) % 6);
        kv_list_add(p, key, rand_r(seed) % 6 ? "v \"{q}\"" : "w");
    }
    for (int i = 0; i < nt; i++)
        kv_list_add(t, tkeys[rand_r(seed) % 4], tvals[rand_r(seed) % 4]);
}

PG_TEST(pg_runs_random_batches_match_sqlite)
{
    struct store *sq = open_sqlite(0), *pg = open_pg(0);
    char *eid = new_experiment(pg, "batches");
    unsigned seed = 12345;
    int failed = 0, total = 0;
    for (int run = 0; run < 24; run++) {
        char *ra = fixture_new_run(sq, "0", "r", 1000), *rb = fixture_new_run(pg, eid, "r", 1000);
        for (int i = 0; i < 10; i++) {
            struct metric_list m = {0};
            struct kv_list p = {0}, t = {0};
            random_batch(&seed, &m, &p, &t);
            struct ferr ea = FERR_INIT, eb = FERR_INIT;
            int a = store_log_batch(sq, ra, &m, &p, &t, &ea);
            int b = store_log_batch(pg, rb, &m, &p, &t, &eb);
            same_outcome(a, &ea, ra, b, &eb, rb, "log_batch");
            failed += a != 0;
            total++;
            same_stored_run(sq, ra, pg, rb); /* after each: early ties decide */
            metric_list_release(&m);
            kv_list_release(&p);
            kv_list_release(&t);
        }
        same_stored_run(sq, ra, pg, rb);
        free(ra);
        free(rb);
    }
    ASSERT(failed > 0 && failed < total / 4); /* changed params came up, not too often */
    free(eid);
    store_close(sq);
    store_close(pg);
}

/* Each step on both stores, the outcome and the run compared after it. */
PG_TEST(pg_runs_lifecycle_and_errors_match_sqlite)
{
    struct store *sq = open_sqlite(0), *pg = open_pg(0);
    char *eid = new_experiment(pg, "lifecycle");
    struct kv_list tags = {0};
    kv_list_add(&tags, "mlflow.user", "bob");
    kv_list_add(&tags, "k", "1");
    kv_list_add(&tags, "k", "2");
    struct run_create rca = {"0", NULL, NULL, 77, tags}, rcb = {eid, NULL, NULL, 77, tags};
    struct run x, y;
    struct ferr ea = FERR_INIT, eb = FERR_INIT;
    ASSERT_OK(store_create_run(sq, &rca, &x, &ea), &ea);
    ASSERT_OK(store_create_run(pg, &rcb, &y, &eb), &eb);
    ASSERT_STR_EQ(kv_list_get(&y.tags, "k"), "2");
    ASSERT_STR_EQ(y.info.user_id, "bob");
    struct sbuf uri = SBUF_INIT;
    sbuf_addf(&uri, "/artifacts/%s/%s/artifacts", eid, y.info.run_id);
    ASSERT_STR_EQ(y.info.artifact_uri, uri.buf);
    sbuf_release(&uri);
    char *ra = strdup(x.info.run_id), *rb = strdup(y.info.run_id);
    kv_list_set(&x.tags, TAG_RUN_NAME, "-"); /* generated names differ */
    kv_list_set(&y.tags, TAG_RUN_NAME, "-");
    free(x.info.run_name);
    free(y.info.run_name);
    x.info.run_name = strdup("-");
    y.info.run_name = strdup("-");
    same_run(&x, &y);
    run_release(&x);
    run_release(&y);
    kv_list_release(&tags);
    int a, b;
#define BOTH(call_a, call_b, what)                                                                 \
    do {                                                                                           \
        ferr_clear(&ea);                                                                           \
        ferr_clear(&eb);                                                                           \
        a = (call_a);                                                                              \
        b = (call_b);                                                                              \
        same_outcome(a, &ea, ra, b, &eb, rb, what);                                                \
    } while (0)
    struct run_info ia, ib;
    BOTH(store_update_run(sq, ra, RUN_FINISHED, 99, "renamed", &ia, &ea),
         store_update_run(pg, rb, RUN_FINISHED, 99, "renamed", &ib, &eb), "update");
    ASSERT_STR_EQ(ib.run_name, "renamed");
    ASSERT_INT_EQ(ib.end_time, 99);
    ASSERT_INT_EQ(ib.status, RUN_FINISHED);
    run_info_release(&ia);
    run_info_release(&ib);
    BOTH(store_update_run(sq, ra, RUN_STATUS_NONE, TIME_NONE, NULL, NULL, &ea),
         store_update_run(pg, rb, RUN_STATUS_NONE, TIME_NONE, NULL, NULL, &eb), "update none");
    same_stored_run(sq, ra, pg, rb);
    BOTH(store_delete_tag(sq, ra, "k", &ea), store_delete_tag(pg, rb, "k", &eb), "delete tag");
    BOTH(store_delete_tag(sq, ra, "k", &ea), store_delete_tag(pg, rb, "k", &eb), "delete again");
    ASSERT_INT_EQ(eb.code, FERR_RESOURCE_DOES_NOT_EXIST);
    static const char fmt[] = "{\"artifact_path\": \"%s\", \"run_id\": \"RUN\", "
                              "\"utc_time_created\": \"2024-05-01 10:00:00.000000\", "
                              "\"flavors\": {\"python_function\": {}}}";
    char doc[512];
    for (int i = 0; i < 3; i++) {
        snprintf(doc, sizeof(doc), fmt, i ? "m2" : "m1");
        BOTH(store_log_model(sq, ra, doc, &ea), store_log_model(pg, rb, doc, &eb), "log model");
    }
    BOTH(store_delete_run(sq, ra, &ea), store_delete_run(pg, rb, &eb), "delete");
    same_stored_run(sq, ra, pg, rb);
    struct kv_list t = {0};
    kv_list_add(&t, "t", "v");
    struct metric_list m = {0};
    metric_list_add(&m, "x", 1, 1, 1);
    BOTH(store_log_batch(sq, ra, &m, NULL, NULL, &ea), store_log_batch(pg, rb, &m, NULL, NULL, &eb),
         "metric to a deleted run");
    BOTH(store_log_batch(sq, ra, NULL, NULL, &t, &ea), store_log_batch(pg, rb, NULL, NULL, &t, &eb),
         "tag to a deleted run");
    BOTH(store_log_model(sq, ra, doc, &ea), store_log_model(pg, rb, doc, &eb), "model, deleted");
    BOTH(store_delete_tag(sq, ra, "t", &ea), store_delete_tag(pg, rb, "t", &eb), "untag, deleted");
    BOTH(store_update_run(sq, ra, RUN_FAILED, 5, NULL, NULL, &ea),
         store_update_run(pg, rb, RUN_FAILED, 5, NULL, NULL, &eb), "update, deleted");
    BOTH(store_restore_run(sq, ra, &ea), store_restore_run(pg, rb, &eb), "restore");
    BOTH(store_log_batch(sq, ra, &m, NULL, &t, &ea), store_log_batch(pg, rb, &m, NULL, &t, &eb),
         "log after restore");
    same_stored_run(sq, ra, pg, rb);
    /* unknown runs, every write and read */
    static const char none[] = "0123456789abcdef0123456789abcdef";
    struct run r;
    ferr_clear(&ea);
    ferr_clear(&eb);
    a = store_log_batch(sq, none, &m, NULL, NULL, &ea);
    b = store_log_batch(pg, none, &m, NULL, NULL, &eb);
    same_outcome(a, &ea, none, b, &eb, none, "metric, unknown run");
    a = store_log_batch(sq, none, NULL, NULL, &t, &ea);
    b = store_log_batch(pg, none, NULL, NULL, &t, &eb);
    same_outcome(a, &ea, none, b, &eb, none, "tag, unknown run");
    a = store_get_run(sq, none, &r, &ea);
    b = store_get_run(pg, none, &r, &eb);
    same_outcome(a, &ea, none, b, &eb, none, "get, unknown run");
    a = store_delete_run(sq, none, &ea);
    b = store_delete_run(pg, none, &eb);
    same_outcome(a, &ea, none, b, &eb, none, "delete, unknown run");
    char *exp = NULL;
    a = store_run_experiment(sq, none, &exp, &ea);
    b = store_run_experiment(pg, none, &exp, &eb);
    same_outcome(a, &ea, none, b, &eb, none, "experiment, unknown run");
    ASSERT_OK(store_run_experiment(pg, rb, &exp, &eb), &eb);
    ASSERT_STR_EQ(exp, eid);
    free(exp);
    /* a run in a deleted experiment cannot be restored; none can be made */
    BOTH(store_delete_run(sq, ra, &ea), store_delete_run(pg, rb, &eb), "delete");
    char *gone = new_experiment(pg, "gone");
    char *rg = fixture_new_run(pg, gone, "g", 5);
    ASSERT_OK(store_delete_experiment(pg, gone, &eb), &eb);
    ASSERT_FAILS(store_restore_run(pg, rg, &eb), &eb, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(eb.msg, "is deleted");
    struct run_create in_gone = {gone, NULL, NULL, 5, {0}};
    ASSERT_FAILS(store_create_run(pg, &in_gone, &r, &eb), &eb, FERR_INVALID_PARAMETER_VALUE);
    struct run_create in_none = {"987654321", NULL, NULL, 5, {0}};
    ASSERT_FAILS(store_create_run(pg, &in_none, &r, &eb), &eb, FERR_RESOURCE_DOES_NOT_EXIST);
#undef BOTH
    kv_list_release(&t);
    metric_list_release(&m);
    free(gone);
    free(rg);
    free(ra);
    free(rb);
    free(eid);
    store_close(sq);
    store_close(pg);
}

static void add_input(struct store *s, const char *run, const char *name, const char *digest,
                      const char *context, int with_schema)
{
    struct dataset_input di = {0};
    di.dataset.name = (char *)name;
    di.dataset.digest = (char *)digest;
    di.dataset.source_type = (char *)"local";
    di.dataset.source = (char *)"/data/x.csv";
    di.dataset.schema = with_schema ? (char *)"{\"a\": 1}" : NULL;
    if (context)
        kv_list_add(&di.tags, "mlflow.data.context", context);
    kv_list_add(&di.tags, "b\"k", "v\\");
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_log_inputs(s, run, &di, 1, &err), &err);
    kv_list_release(&di.tags);
}

PG_TEST(pg_runs_inputs_and_datasets_search_match_sqlite)
{
    struct store *sq = open_sqlite(0), *pg = open_pg(0);
    char *eid = new_experiment(pg, "inputs");
    char *ra = fixture_new_run(sq, "0", "a", 1), *rb = fixture_new_run(pg, eid, "a", 1);
    char *ra2 = fixture_new_run(sq, "0", "b", 2), *rb2 = fixture_new_run(pg, eid, "b", 2);
    struct store *s[2] = {sq, pg};
    const char *r1[2] = {ra, rb}, *r2[2] = {ra2, rb2};
    for (int i = 0; i < 2; i++) {
        add_input(s[i], r1[i], "zeta", "d1", "training", 1);
        add_input(s[i], r1[i], "alpha", "d2", NULL, 0);
        add_input(s[i], r1[i], "zeta", "d1", "eval", 0); /* again: the first record stays */
        add_input(s[i], r2[i], "zeta", "d1", "eval", 0);
        add_input(s[i], r2[i], "mid", "d3", "training", 0);
    }
    same_stored_run(sq, ra, pg, rb);
    same_stored_run(sq, ra2, pg, rb2);
    const char *ida[] = {"0"}, *idb[] = {eid};
    struct dataset_summary_list da, db;
    struct ferr ea = FERR_INIT, eb = FERR_INIT;
    ASSERT_OK(store_search_datasets(sq, ida, 1, &da, &ea), &ea);
    ASSERT_OK(store_search_datasets(pg, idb, 1, &db, &eb), &eb);
    ASSERT_INT_EQ(da.n, db.n);
    ASSERT_INT_EQ(db.n, 4);
    for (size_t i = 0; i < da.n; i++) {
        ASSERT_STR_EQ(db.v[i].experiment_id, eid);
        ASSERT_STR_EQ(da.v[i].name, db.v[i].name);
        ASSERT_STR_EQ(da.v[i].digest, db.v[i].digest);
        ASSERT((da.v[i].context == NULL) == (db.v[i].context == NULL));
        if (da.v[i].context)
            ASSERT_STR_EQ(da.v[i].context, db.v[i].context);
    }
    ASSERT(db.v[0].context == NULL); /* NULL first, as SQLite sorts it */
    dataset_summary_list_release(&da);
    dataset_summary_list_release(&db);
    free(ra);
    free(rb);
    free(ra2);
    free(rb2);
    free(eid);
    store_close(sq);
    store_close(pg);
}

/* Every page of a search, as the run names in order, one string. */
static char *search_names(struct store *s, const char *exp, const char *filter,
                          const char *order, enum view_type view, int64_t page_size,
                          struct ferr *err, int *rc)
{
    const char *ids[] = {exp};
    const char *ob[] = {order};
    struct sbuf out = SBUF_INIT;
    char *token = NULL;
    int pages = 0;
    *rc = 0;
    do {
        if (++pages > 50)
            FAIL_AT("search %s / %s: more than 50 pages: %s", filter ? filter : "-",
                    order ? order : "-", out.buf);
        struct run_search q = {ids, 1, filter, view, page_size, order ? ob : NULL, order ? 1 : 0,
                               token};
        struct run_list l;
        if (store_search_runs(s, &q, &l, err)) {
            *rc = -1;
            break;
        }
        for (size_t i = 0; i < l.n; i++)
            sbuf_addf(&out, "%s,", l.v[i].info.run_name);
        sbuf_addch(&out, '|');
        free(token);
        token = l.next_page_token ? strdup(l.next_page_token) : NULL;
        run_list_release(&l);
    } while (token);
    free(token);
    return sbuf_detach(&out, NULL);
}

PG_TEST(pg_runs_search_matches_sqlite)
{
    struct store *sq = open_sqlite(0), *pg = open_pg(0);
    char *ea_id = new_experiment(sq, "search"), *eb_id = new_experiment(pg, "search");
    struct store *s[2] = {sq, pg};
    const char *e[2] = {ea_id, eb_id};
    for (int k = 0; k < 2; k++) {
        for (int i = 0; i < 23; i++) {
            char name[16], v[16];
            snprintf(name, sizeof(name), "run%02d", i);
            /* distinct start times: the tiebreak after them is the random run id */
            char *id = fixture_new_run(s[k], e[k], name, 1000 + (i * 7) % 23);
            struct metric_list m = {0};
            struct kv_list p = {0}, t = {0};
            if (i % 3)
                metric_list_add(&m, "acc", i % 4 == 0 ? NAN : i / 7.0, 1, i % 2);
            if (i % 4 == 1)
                metric_list_add(&m, "loss", i % 8 == 1 ? INFINITY : -i, 1, 0);
            snprintf(v, sizeof(v), "%d", i % 6);
            kv_list_add(&p, "lr", v);
            if (i % 2)
                kv_list_add(&t, "team", i % 3 ? "Core" : "core");
            struct ferr err = FERR_INIT;
            ASSERT_OK(store_log_batch(s[k], id, &m, &p, &t, &err), &err);
            if (i % 5 == 2)
                ASSERT_OK(store_update_run(s[k], id, RUN_FINISHED, 2000 + i, NULL, NULL, &err),
                          &err);
            if (i % 7 == 3)
                ASSERT_OK(store_delete_run(s[k], id, &err), &err);
            metric_list_release(&m);
            kv_list_release(&p);
            kv_list_release(&t);
            free(id);
        }
    }
    static const struct {
        const char *filter, *order;
        enum view_type view;
    } qs[] = {
        {NULL, NULL, VIEW_ACTIVE_ONLY},
        {NULL, NULL, VIEW_ALL},
        {NULL, NULL, VIEW_DELETED_ONLY},
        {NULL, "metrics.acc DESC", VIEW_ALL},
        {NULL, "metrics.acc", VIEW_ALL},
        {NULL, "metrics.loss ASC", VIEW_ACTIVE_ONLY},
        {NULL, "params.lr DESC", VIEW_ALL},
        {NULL, "tags.team", VIEW_ALL},
        {NULL, "attributes.end_time DESC", VIEW_ALL},
        {NULL, "attributes.run_name DESC", VIEW_ALL},
        {"metrics.acc > 0.5", NULL, VIEW_ALL},
        {"metrics.acc >= 0", "metrics.acc ASC", VIEW_ALL},
        {"metrics.loss < 0", NULL, VIEW_ALL},
        {"params.lr = '3'", NULL, VIEW_ALL},
        {"params.lr != '3'", "params.lr", VIEW_ALL},
        {"tags.team = 'core'", NULL, VIEW_ALL},
        {"tags.team LIKE 'C%'", NULL, VIEW_ALL},
        {"tags.team ILIKE 'c%'", NULL, VIEW_ALL},
        {"attributes.status = 'FINISHED'", NULL, VIEW_ALL},
        {"attributes.run_name LIKE 'run1%'", "attributes.start_time", VIEW_ALL},
        {"metrics.acc > 0.5 AND params.lr = '4'", NULL, VIEW_ALL},
        {"metrics.acc > ", NULL, VIEW_ALL},
    };
    for (size_t i = 0; i < sizeof(qs) / sizeof(*qs); i++) {
        for (int64_t size = 4; size <= 100; size += 96) {
            struct ferr ea = FERR_INIT, eb = FERR_INIT;
            int a, b;
            char *na = search_names(sq, ea_id, qs[i].filter, qs[i].order, qs[i].view, size, &ea, &a);
            char *nb = search_names(pg, eb_id, qs[i].filter, qs[i].order, qs[i].view, size, &eb, &b);
            char what[160];
            snprintf(what, sizeof(what), "search %s / %s", qs[i].filter ? qs[i].filter : "-",
                     qs[i].order ? qs[i].order : "-");
            same_outcome(a, &ea, "", b, &eb, "", what);
            if (strcmp(na, nb))
                FAIL_AT("%s (pages of %lld):\n sqlite     %s\n postgresql %s", what,
                        (long long)size, na, nb);
            free(na);
            free(nb);
        }
    }
    /* the runs a search returns, whole */
    const char *ids[2][1] = {{ea_id}, {eb_id}};
    struct run_list la, lb;
    struct ferr ea = FERR_INIT, eb = FERR_INIT;
    struct run_search qa = {ids[0], 1, NULL, VIEW_ALL, 1000, NULL, 0, NULL};
    struct run_search qb = {ids[1], 1, NULL, VIEW_ALL, 1000, NULL, 0, NULL};
    ASSERT_OK(store_search_runs(sq, &qa, &la, &ea), &ea);
    ASSERT_OK(store_search_runs(pg, &qb, &lb, &eb), &eb);
    ASSERT_INT_EQ(la.n, lb.n);
    for (size_t i = 0; i < la.n; i++)
        same_run(&la.v[i], &lb.v[i]);
    run_list_release(&la);
    run_list_release(&lb);
    free(ea_id);
    free(eb_id);
    store_close(sq);
    store_close(pg);
}

struct logger {
    struct store *s;
    const char *run_id;
    int thread;
    int64_t best_step; /* out: the greatest step it logged to key "shared" */
};

static void *logger(void *p)
{
    struct logger *l = p;
    char key[32];
    unsigned seed = (unsigned)l->thread * 7919u + 1;
    snprintf(key, sizeof(key), "own%d", l->thread);
    for (int i = 0; i < 100; i++) {
        struct metric_list m = {0};
        struct kv_list t = {0};
        struct ferr err = FERR_INIT;
        int64_t step = rand_r(&seed) % 1000;
        if (step > l->best_step)
            l->best_step = step;
        metric_list_add(&m, key, i, 1, i);
        metric_list_add(&m, "shared", (double)step, 5, step);
        metric_list_add(&m, "shared", (double)(step / 2), 5, step / 2);
        kv_list_add(&t, "shared", key);
        if (store_log_batch(l->s, l->run_id, &m, NULL, &t, &err)) {
            fprintf(stderr, "log_batch: %s\n", err.msg);
            abort();
        }
        metric_list_release(&m);
        kv_list_release(&t);
    }
    return NULL;
}

/* Two stores on one database, as two replicas, each with group commit and
 * four writers, all logging to one run: nothing lost, the latest value of
 * a key written by all is the greatest. */
PG_TEST(pg_runs_replicas_log_to_one_run)
{
    struct store *s1 = open_pg(1), *s2 = open_pg(1);
    char *eid = new_experiment(s1, "replicas");
    char *id = fixture_new_run(s1, eid, "busy", 1);
    pthread_t th[8];
    struct logger args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (struct logger){i % 2 ? s2 : s1, id, i, -1};
        ASSERT(pthread_create(&th[i], NULL, logger, &args[i]) == 0);
    }
    int64_t best = -1;
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        if (args[i].best_step > best)
            best = args[i].best_step;
    }
    struct run r;
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_get_run(s2, id, &r, &err), &err);
    ASSERT_INT_EQ(r.metrics.n, 9);
    for (size_t i = 0; i < r.metrics.n; i++) {
        const struct metric *m = &r.metrics.v[i];
        if (!strcmp(m->key, "shared")) {
            ASSERT_INT_EQ(m->step, best);
            ASSERT(m->value == (double)best);
        } else {
            ASSERT_INT_EQ(m->step, 99);
        }
    }
    ASSERT_CONTAINS(kv_list_get(&r.tags, "shared"), "own");
    run_release(&r);
    free(id);
    free(eid);
    store_close(s1);
    store_close(s2);
}

/* Runs each of sql (NULL-terminated) on uri's database, in one session
 * whose statistics are flushed before they are reset at the end, so that
 * they count nothing of the filling (a session's counts otherwise reach the
 * server when it exits, maybe after the reset). */
static void pg_fill(const char *uri, const char *const *sql)
{
    static const char *const last[] = {"SELECT pg_stat_force_next_flush()", "SELECT pg_stat_reset()"};
    PGconn *c = PQconnectdb(uri);
    ASSERT(PQstatus(c) == CONNECTION_OK);
    for (int pass = 0; pass < 2; pass++)
        for (const char *const *q = pass ? last : sql; pass ? q < last + 2 : *q != NULL; q++) {
            PGresult *r = PQexec(c, *q);
            ExecStatusType st = PQresultStatus(r);
            if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
                FAIL_AT("%s: %s", *q, PQerrorMessage(c));
            PQclear(r);
        }
    PQfinish(c);
}

/* The first cell of sql's result on uri's database ("" if none). */
static char *pg_cell(const char *uri, const char *sql)
{
    PGconn *c = PQconnectdb(uri);
    ASSERT(PQstatus(c) == CONNECTION_OK);
    PGresult *r = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(r);
    if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK)
        FAIL_AT("%s: %s", sql, PQerrorMessage(c));
    char *v = strdup(st == PGRES_TUPLES_OK && PQntuples(r) ? PQgetvalue(r, 0, 0) : "");
    PQclear(r);
    PQfinish(c);
    return v;
}

/* Every statement of this file's ops on tables large enough that a missing
 * index shows: PostgreSQL's own statistics count no sequential scan of
 * them. Each op runs ten times, past the five after which PostgreSQL may
 * switch a prepared statement to its generic plan. */
PG_TEST(pg_runs_ops_use_indexes_on_large_tables)
{
    store_close(open_pg(1)); /* the schema, by a session that ends before the counting */
    char *uri = test_store_uri("runs");
    static const char *const fill[] = {
        "INSERT INTO experiments (experiment_id, name, artifact_location, creation_time, "
        "last_update_time) SELECT e, 'exp' || e, '/a/' || e, e, e FROM generate_series(1, 20) e",
        "INSERT INTO runs (id, run_uuid, name, experiment_id, status, start_time, artifact_uri) "
        "SELECT i, md5(i::text), 'r' || i, 1 + i % 20, 'FINISHED', i, '/a/r' "
        "FROM generate_series(1, 20000) i",
        "SELECT setval(pg_get_serial_sequence('runs', 'id'), 20000)",
        "INSERT INTO params (run, key, value) SELECT i, 'lr', '0.1' FROM generate_series(1, 20000) i",
        "INSERT INTO tags (run, key, value) SELECT i, k, 'v' FROM generate_series(1, 20000) i, "
        "unnest(ARRAY['mlflow.runName', 'a', 'b']) k",
        "INSERT INTO latest_metrics (run, key, value, timestamp, step) SELECT i, 'acc', 0.5, i, 0 "
        "FROM generate_series(1, 20000) i",
        "INSERT INTO metrics (run, key, step, timestamp, value) SELECT 1 + i % 50, 'loss', i, i, 1 "
        "FROM generate_series(1, 100000) i",
        /* ten datasets per experiment, each read by a hundred runs of it */
        "INSERT INTO datasets (id, experiment_id, name, digest, source_type, source) "
        "SELECT i, 1 + i % 20, 'd' || i, 'x', 'local', '/d' FROM generate_series(1, 200) i",
        "SELECT setval(pg_get_serial_sequence('datasets', 'id'), 200)",
        "INSERT INTO run_inputs (run, dataset, position) SELECT i, 1 + i % 200, 0 "
        "FROM generate_series(1, 20000) i",
        "INSERT INTO input_tags (run, dataset, key, value) SELECT i, 1 + i % 200, "
        "'mlflow.data.context', 'training' FROM generate_series(1, 20000) i",
        "INSERT INTO run_model_refs (run, output, model_id, step) SELECT i, 1, 'm-' || i, 0 "
        "FROM generate_series(1, 20000) i",
        "ANALYZE",
        NULL,
    };
    pg_fill(uri, fill);
    struct store *s = open_pg(1);
    char *exp = strdup("7");
    struct ferr err = FERR_INIT;
    for (int i = 0; i < 10; i++) {
        char *rid = fixture_new_run(s, exp, "hot", 5);
        char *old = pg_cell(uri, "SELECT md5('507')");
        struct metric_list m = {0};
        struct kv_list p = {0}, t = {0};
        metric_list_add(&m, "acc", 0.9, 1, i);
        metric_list_add(&m, "loss", 0.1, 1, i);
        kv_list_add(&p, "lr", "0.1");
        kv_list_add(&t, "a", "w");
        kv_list_add(&t, "mlflow.runName", "renamed");
        ASSERT_OK(store_log_batch(s, rid, &m, &p, &t, &err), &err);
        ASSERT_OK(store_log_batch(s, old, &m, &p, NULL, &err), &err); /* a param present already */
        kv_list_set(&p, "lr", "0.2");
        ASSERT_FAILS(store_log_batch(s, old, NULL, &p, NULL, &err), &err,
                     FERR_INVALID_PARAMETER_VALUE);
        ASSERT_OK(store_log_batch(s, old, NULL, NULL, &t, &err), &err);
        ASSERT_OK(store_delete_tag(s, old, "b", &err), &err);
        kv_list_add(&t, "b", "v");
        ASSERT_OK(store_log_batch(s, old, NULL, NULL, &t, &err), &err);
        add_input(s, rid, "d27", "x", "eval", 0); /* an existing dataset of the experiment */
        add_input(s, old, "fresh", "y", NULL, 0);
        static const char doc[] = "{\"artifact_path\": \"m\", \"run_id\": \"r\", "
                                  "\"utc_time_created\": \"2024-05-01 10:00:00.000000\", "
                                  "\"flavors\": {\"python_function\": {}}}";
        ASSERT_OK(store_log_model(s, old, doc, &err), &err);
        struct run_info ri;
        ASSERT_OK(store_update_run(s, old, RUN_FINISHED, 9, "again", &ri, &err), &err);
        run_info_release(&ri);
        ASSERT_OK(store_delete_run(s, old, &err), &err);
        ASSERT_OK(store_restore_run(s, old, &err), &err);
        char *e = NULL;
        ASSERT_OK(store_run_experiment(s, old, &e, &err), &err);
        free(e);
        struct run r;
        ASSERT_OK(store_get_run(s, old, &r, &err), &err);
        ASSERT_INT_EQ(r.ninputs, 2);
        ASSERT_INT_EQ(r.model_outputs.n, 1);
        run_release(&r);
        const char *exps[] = {exp};
        struct dataset_summary_list dl;
        ASSERT_OK(store_search_datasets(s, exps, 1, &dl, &err), &err);
        dataset_summary_list_release(&dl);
        struct run_search q = {exps, 1, NULL, VIEW_ACTIVE_ONLY, 50, NULL, 0, NULL};
        struct run_list rl;
        ASSERT_OK(store_search_runs(s, &q, &rl, &err), &err);
        ASSERT_INT_EQ(rl.n, 50);
        run_list_release(&rl);
        /* a filter on the sort key: its join becomes an inner one */
        const char *by_acc[] = {"metrics.acc DESC"};
        struct run_search fq = {
            exps, 1, "metrics.acc > 0.7 and params.lr = '0.1'", VIEW_ACTIVE_ONLY, 50, by_acc, 1,
            NULL};
        ASSERT_OK(store_search_runs(s, &fq, &rl, &err), &err);
        ASSERT(rl.n >= 1);
        run_list_release(&rl);
        metric_list_release(&m);
        kv_list_release(&p);
        kv_list_release(&t);
        free(old);
        free(rid);
    }
    store_close(s); /* its sessions end: their statistics are flushed */
    char *scans = pg_cell(uri, "SELECT coalesce(string_agg(relname || ':' || seq_scan, ' '), '') "
                               "FROM pg_stat_user_tables WHERE seq_scan > 0 AND relname IN "
                               "('runs', 'params', 'tags', 'latest_metrics', 'metrics', "
                               "'run_inputs', 'input_tags', 'run_model_refs')");
    if (*scans)
        FAIL_AT("sequential scans of large tables (a hot query lacks an index): %s", scans);
    free(scans);
    free(exp);
    free(uri);
}
