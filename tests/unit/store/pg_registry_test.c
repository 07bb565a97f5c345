/* SPDX-License-Identifier: MIT
 * The model registry (store/registry.h) on the store under test, and
 * replicas on PostgreSQL. The reads check (STORE_TEST: on SQLite, and on
 * PostgreSQL with FERRY_TEST_STORE=postgres) holds both backends to the
 * same answers: tags and aliases in key order, latest versions in the
 * order their stage first came, pages, errors, the audit trail.
 *
 * Replicas (PG_TEST): two store handles on one database, standing for two
 * ferry servers, with threads in each, create versions of one model at
 * once (the numbers must be exactly 1..N), move one alias (each event's
 * old version must be the previous event's new one) and transition
 * versions to Production with archive_existing (one must be left there). */
#include "../test.h"
#include "base/sbuf.h"
#include "store/registry.h"
#include "store/store.h"

#include <pthread.h>
#include <string.h>

/* A store on uri's database, grouping its commits or not. */
static struct store *open_uri(const char *uri, int group_commit)
{
    struct store_opts o = STORE_OPTS_INIT;
    o.default_artifact_root = "/artifacts";
    o.group_commit = group_commit;
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_open(uri, &o, &s, &err), &err);
    return s;
}

/* ---------- writes ---------- */

static void create_model(struct store *s, const char *name, const struct kv_list *tags)
{
    struct reg_write w = {.action = REG_CREATE_MODEL, .name = name, .user = "u"};
    struct ferr err = FERR_INIT;
    if (tags)
        w.tags = *tags;
    ASSERT_OK(store_registry_write(s, &w, &err), &err);
}

static int create_version(struct store *s, const char *name, int64_t *v, struct ferr *err)
{
    struct reg_write w = {.action = REG_CREATE_VERSION, .name = name, .user = "u"};
    w.source = "/artifacts/model";
    int rc = store_registry_write(s, &w, err);
    *v = w.created_version;
    return rc;
}

static int transition(struct store *s, const char *name, int64_t v, const char *stage, int archive,
                      struct ferr *err)
{
    struct reg_write w = {.action = REG_TRANSITION, .name = name, .user = "u"};
    w.version = v;
    w.stage = stage;
    w.archive_existing = archive;
    return store_registry_write(s, &w, err);
}

static int set_alias(struct store *s, const char *name, const char *alias, int64_t v,
                     struct ferr *err)
{
    struct reg_write w = {.action = REG_SET_ALIAS, .name = name, .user = "u"};
    w.alias = alias;
    w.version = v;
    return store_registry_write(s, &w, err);
}

static void write_ok(struct store *s, struct reg_write *w)
{
    struct ferr err = FERR_INIT;
    if (!w->user)
        w->user = "u";
    ASSERT_OK(store_registry_write(s, w, &err), &err);
}

/* ---------- the reads, on both backends ---------- */

static void assert_version_stage(const struct model_version *v, int64_t n, const char *stage)
{
    ASSERT_INT_EQ(v->version, n);
    ASSERT_STR_EQ(v->current_stage, stage);
}

static void check_reads(struct store *s)
{
    struct ferr err = FERR_INIT;
    struct kv_list tags = {0};
    kv_list_add(&tags, "b", "2");
    kv_list_add(&tags, "a", "1");
    create_model(s, "m", &tags);
    kv_list_release(&tags);
    for (int64_t i = 1, v; i <= 4; i++) {
        ASSERT_OK(create_version(s, "m", &v, &err), &err);
        ASSERT_INT_EQ(v, i);
    }
    struct reg_write w = {.action = REG_SET_VERSION_TAG, .name = "m", .version = 2};
    w.key = "z";
    w.value = "1";
    write_ok(s, &w);
    w.key = "y";
    w.value = "2";
    write_ok(s, &w);
    ASSERT_OK(transition(s, "m", 1, "staging", 0, &err), &err);
    ASSERT_OK(transition(s, "m", 2, "Production", 0, &err), &err);
    ASSERT_OK(transition(s, "m", 3, "production", 1, &err), &err);
    ASSERT_FAILS(transition(s, "m", 4, "Archived", 1, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_OK(set_alias(s, "m", "champ", 3, &err), &err);
    ASSERT_OK(set_alias(s, "m", "old", 2, &err), &err);
    ASSERT_OK(set_alias(s, "m", "champ", 4, &err), &err);
    ASSERT_FAILS(set_alias(s, "m", "x", 9, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);

    /* the model: tags and aliases in key order, latest per stage in the
     * order each stage's first version came, without aliases */
    struct registered_model m;
    memset(&m, 0, sizeof(m));
    ASSERT_OK(store_get_registered_model(s, "m", &m, &err), &err);
    ASSERT_STR_EQ(m.name, "m");
    ASSERT_INT_EQ(m.tags.n, 2);
    ASSERT_STR_EQ(m.tags.v[0].key, "a");
    ASSERT_STR_EQ(m.tags.v[1].value, "2");
    ASSERT_INT_EQ(m.aliases.n, 2);
    ASSERT_STR_EQ(m.aliases.v[0].key, "champ");
    ASSERT_STR_EQ(m.aliases.v[0].value, "4");
    ASSERT_STR_EQ(m.aliases.v[1].key, "old");
    ASSERT_STR_EQ(m.aliases.v[1].value, "2");
    ASSERT_INT_EQ(m.latest_versions.n, 4);
    assert_version_stage(&m.latest_versions.v[0], 1, "Staging");
    assert_version_stage(&m.latest_versions.v[1], 2, "Archived");
    assert_version_stage(&m.latest_versions.v[2], 3, "Production");
    assert_version_stage(&m.latest_versions.v[3], 4, "None");
    ASSERT_INT_EQ(m.latest_versions.v[1].tags.n, 2);
    ASSERT_STR_EQ(m.latest_versions.v[1].tags.v[0].key, "y");
    ASSERT_INT_EQ(m.latest_versions.v[1].aliases.n, 0);
    registered_model_release(&m);
    ASSERT_FAILS(store_get_registered_model(s, "nope", &m, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);

    struct model_version_list l = {0};
    const char *stages[] = {"None", "production"};
    ASSERT_OK(store_get_latest_versions(s, "m", stages, 2, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    assert_version_stage(&l.v[0], 3, "Production");
    assert_version_stage(&l.v[1], 4, "None");
    model_version_list_release(&l);
    const char *bad[] = {"Prod"};
    ASSERT_FAILS(store_get_latest_versions(s, "m", bad, 1, &l, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_get_latest_versions(s, "nope", bad, 1, &l, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);

    struct model_version v;
    memset(&v, 0, sizeof(v));
    ASSERT_OK(store_get_model_version(s, "m", 2, &v, &err), &err);
    ASSERT_STR_EQ(v.name, "m");
    ASSERT_STR_EQ(v.source, "/artifacts/model");
    ASSERT_STR_EQ(v.status, "READY");
    ASSERT(v.run_id == NULL && v.description == NULL);
    ASSERT_INT_EQ(v.tags.n, 2);
    ASSERT_STR_EQ(v.tags.v[0].key, "y");
    ASSERT_STR_EQ(v.tags.v[1].key, "z");
    ASSERT_INT_EQ(v.aliases.n, 1);
    ASSERT_STR_EQ(v.aliases.v[0].key, "old");
    model_version_release(&v);
    ASSERT_FAILS(store_get_model_version(s, "m", 9, &v, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, "version=9");
    ASSERT_OK(store_get_version_by_alias(s, "m", "champ", &v, &err), &err);
    ASSERT_INT_EQ(v.version, 4);
    ASSERT_STR_EQ(v.aliases.v[0].key, "champ");
    model_version_release(&v);
    ASSERT_FAILS(store_get_version_by_alias(s, "m", "gone", &v, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "alias gone not found");
    ASSERT_FAILS(store_get_version_by_alias(s, "nope", "champ", &v, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_get_model_version(s, "nope", 1, &v, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_CONTAINS(err.msg, "Registered Model with name=nope not found");

    /* a name that needs quoting wherever it goes (arrays of names) */
    static const char odd[] = "q\"\\,{x} y";
    int64_t ov;
    create_model(s, odd, NULL);
    ASSERT_OK(create_version(s, odd, &ov, &err), &err);
    struct reg_write otag = {.action = REG_SET_VERSION_TAG, .name = odd, .version = 1};
    otag.key = "k";
    otag.value = "v";
    write_ok(s, &otag);
    struct registry_search oq = {0};
    oq.filter = "name LIKE 'q%'";
    ASSERT_OK(store_search_model_versions(s, &oq, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_STR_EQ(l.v[0].name, odd);
    ASSERT_STR_EQ(l.v[0].tags.v[0].value, "v");
    model_version_list_release(&l);
    struct reg_write odel = {.action = REG_DELETE_MODEL, .name = odd};
    write_ok(s, &odel);

    /* a search's pages: newest update first, then by version, descending */
    struct registry_search q = {0};
    q.filter = "name = 'm'";
    q.max_results = 3;
    ASSERT_OK(store_search_model_versions(s, &q, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 3);
    ASSERT(l.next_page_token != NULL);
    int seen[5] = {0};
    for (size_t i = 0; i < l.n; i++)
        seen[l.v[i].version]++;
    struct model_version_list l2 = {0};
    q.page_token = l.next_page_token;
    ASSERT_OK(store_search_model_versions(s, &q, &l2, &err), &err);
    ASSERT_INT_EQ(l2.n, 1);
    ASSERT(l2.next_page_token == NULL);
    seen[l2.v[0].version]++;
    for (int i = 1; i <= 4; i++)
        ASSERT_INT_EQ(seen[i], 1);
    model_version_list_release(&l);
    model_version_list_release(&l2);
    struct registry_search byv = {0};
    const char *order[] = {"version_number ASC"};
    byv.filter = "tags.y = '2' OR current_stage = 'Production'";
    byv.order_by = order;
    byv.norder_by = 1;
    ASSERT_OK(store_search_model_versions(s, &byv, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 2);
    ASSERT_INT_EQ(l.v[0].version, 2);
    ASSERT_STR_EQ(l.v[0].tags.v[1].key, "z");
    ASSERT_STR_EQ(l.v[0].aliases.v[0].key, "old");
    ASSERT_INT_EQ(l.v[1].version, 3);
    model_version_list_release(&l);

    create_model(s, "m3", NULL);
    create_model(s, "m2", NULL);
    struct registered_model_list ml = {0}, ml2 = {0};
    struct registry_search mq = {0};
    mq.max_results = 2;
    ASSERT_OK(store_search_registered_models(s, &mq, &ml, &err), &err);
    ASSERT_INT_EQ(ml.n, 2);
    ASSERT_STR_EQ(ml.v[0].name, "m");
    ASSERT_STR_EQ(ml.v[1].name, "m2");
    ASSERT_INT_EQ(ml.v[0].latest_versions.n, 4);
    ASSERT_INT_EQ(ml.v[0].tags.n, 2);
    ASSERT_INT_EQ(ml.v[1].latest_versions.n, 0);
    mq.page_token = ml.next_page_token;
    ASSERT_OK(store_search_registered_models(s, &mq, &ml2, &err), &err);
    ASSERT_INT_EQ(ml2.n, 1);
    ASSERT_STR_EQ(ml2.v[0].name, "m3");
    registered_model_list_release(&ml);
    registered_model_list_release(&ml2);
    mq.page_token = NULL;
    mq.filter = "name LIKE 'nothing%'";
    ASSERT_OK(store_search_registered_models(s, &mq, &ml, &err), &err);
    ASSERT_INT_EQ(ml.n, 0);
    registered_model_list_release(&ml);

    /* errors in MLflow's words */
    struct reg_write dup = {.action = REG_CREATE_MODEL, .name = "m2"};
    ASSERT_FAILS(store_registry_write(s, &dup, &err), &err, FERR_RESOURCE_ALREADY_EXISTS);
    struct reg_write ren = {.action = REG_RENAME_MODEL, .name = "m", .new_name = "m2"};
    ASSERT_FAILS(store_registry_write(s, &ren, &err), &err, FERR_RESOURCE_ALREADY_EXISTS);
    ASSERT_CONTAINS(err.msg, "m2");
    struct reg_write untag = {.action = REG_DELETE_VERSION_TAG, .name = "m", .version = 2};
    untag.key = "nope";
    ASSERT_FAILS(store_registry_write(s, &untag, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    struct reg_write unalias = {.action = REG_DELETE_ALIAS, .name = "m", .alias = "nope"};
    write_ok(s, &unalias); /* not there: not an error, as MLflow */

    /* the trail follows a rename */
    ren.new_name = "renamed";
    write_ok(s, &ren);
    ASSERT_FAILS(store_get_registered_model(s, "m", &m, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    struct registry_event_list ev = {0};
    ASSERT_OK(store_registry_events(s, "renamed", &ev, &err), &err);
    static const char *const actions[] = {
        "create_model", "create_version", "create_version", "create_version", "create_version",
        "set_tag",      "set_tag",        "transition",     "transition",     "transition",
        "transition",   "set_alias",      "set_alias",      "set_alias",      "rename"};
    ASSERT_INT_EQ(ev.n, sizeof(actions) / sizeof(*actions));
    for (size_t i = 0; i < ev.n; i++)
        ASSERT_STR_EQ(ev.v[i].action, actions[i]);
    ASSERT_STR_EQ(ev.v[9].detail, "None -> Production");
    ASSERT_STR_EQ(ev.v[10].detail, "Production -> Archived (archive_existing_versions)");
    ASSERT_INT_EQ(ev.v[10].version, 2);
    ASSERT_STR_EQ(ev.v[13].detail, "@champ: 3 -> 4");
    ASSERT_STR_EQ(ev.v[14].detail, "m -> renamed");
    ASSERT_INT_EQ(ev.v[0].version, 0);
    ASSERT_STR_EQ(ev.v[0].user_id, "u");
    registry_event_list_release(&ev);

    struct reg_write del = {.action = REG_DELETE_MODEL, .name = "renamed"};
    write_ok(s, &del);
    ASSERT_OK(store_registry_events(s, "renamed", &ev, &err), &err);
    ASSERT_STR_EQ(ev.v[ev.n - 1].action, "delete_model");
    registry_event_list_release(&ev);
}

STORE_TEST(registry_reads_writes_and_errors)
{
    char *uri = test_store_uri("registry");
    struct store *s = open_uri(uri, 1);
    check_reads(s);
    store_close(s);
    free(uri);
}

/* ---------- replicas ---------- */

#define THREADS  4 /* per replica */
#define PER_TASK 25

struct task {
    struct store *s;
    int64_t got[PER_TASK];
    int64_t other; /* the alias test: the version this thread sets */
    int failed;
    char msg[256];
};

static void task_fail(struct task *t, const struct ferr *err)
{
    t->failed = 1;
    snprintf(t->msg, sizeof(t->msg), "%.40s: %.200s", ferr_code_name(err->code), err->msg);
}

static void *create_versions(void *arg)
{
    struct task *t = arg;
    struct ferr err = FERR_INIT;
    for (int i = 0; i < PER_TASK && !t->failed; i++)
        if (create_version(t->s, "race", &t->got[i], &err))
            task_fail(t, &err);
    return NULL;
}

/* Runs fn in THREADS threads on each of the two stores; fails on any error. */
static void run_tasks(struct store *a, struct store *b, void *(*fn)(void *),
                      struct task tasks[2 * THREADS])
{
    pthread_t th[2 * THREADS];
    for (int i = 0; i < 2 * THREADS; i++) {
        tasks[i].s = i % 2 ? b : a;
        ASSERT(pthread_create(&th[i], NULL, fn, &tasks[i]) == 0);
    }
    for (int i = 0; i < 2 * THREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 2 * THREADS; i++)
        if (tasks[i].failed)
            FAIL_AT("task %d: %s", i, tasks[i].msg);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

PG_TEST(pg_registry_replicas_number_versions_gap_free)
{
    char *uri = test_store_uri("numbers");
    /* one replica groups its commits, the other writes one at a time */
    struct store *a = open_uri(uri, 1), *b = open_uri(uri, 0);
    create_model(a, "race", NULL);
    static struct task tasks[2 * THREADS];
    memset(tasks, 0, sizeof(tasks));
    run_tasks(a, b, create_versions, tasks);
    enum { N = 2 * THREADS * PER_TASK };
    int64_t all[N];
    size_t n = 0;
    for (int i = 0; i < 2 * THREADS; i++)
        for (int k = 0; k < PER_TASK; k++)
            all[n++] = tasks[i].got[k];
    qsort(all, n, sizeof(*all), cmp_i64);
    for (size_t i = 0; i < n; i++)
        if (all[i] != (int64_t)i + 1)
            FAIL_AT("version numbers are not 1..%d: #%zu is %lld", N, i, (long long)all[i]);
    /* and the database agrees, seen from either replica */
    struct registry_search q = {0};
    const char *order[] = {"version_number ASC"};
    q.filter = "name = 'race'";
    q.order_by = order;
    q.norder_by = 1;
    struct model_version_list l = {0};
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_search_model_versions(b, &q, &l, &err), &err);
    ASSERT_INT_EQ(l.n, N);
    for (size_t i = 0; i < l.n; i++)
        ASSERT_INT_EQ(l.v[i].version, (int64_t)i + 1);
    model_version_list_release(&l);
    int64_t next;
    ASSERT_OK(create_version(b, "race", &next, &err), &err);
    ASSERT_INT_EQ(next, N + 1);
    struct registry_event_list ev = {0};
    ASSERT_OK(store_registry_events(a, "race", &ev, &err), &err);
    ASSERT_INT_EQ(ev.n, N + 2); /* create_model and every version */
    registry_event_list_release(&ev);
    store_close(a);
    store_close(b);
    free(uri);
}

static void *move_alias(void *arg)
{
    struct task *t = arg;
    struct ferr err = FERR_INIT;
    for (int i = 0; i < 10 && !t->failed; i++)
        if (set_alias(t->s, "race", "champ", t->other, &err))
            task_fail(t, &err);
    return NULL;
}

static void *promote(void *arg)
{
    struct task *t = arg;
    struct ferr err = FERR_INIT;
    for (int i = 0; i < 5 && !t->failed; i++)
        if (transition(t->s, "race", t->other, "Production", 1, &err))
            task_fail(t, &err);
    return NULL;
}

PG_TEST(pg_registry_replicas_serialise_aliases_and_stages)
{
    char *uri = test_store_uri("serialise");
    struct store *a = open_uri(uri, 1), *b = open_uri(uri, 1);
    struct ferr err = FERR_INIT;
    create_model(a, "race", NULL);
    for (int i = 0; i < 2 * THREADS; i++) {
        int64_t v;
        ASSERT_OK(create_version(a, "race", &v, &err), &err);
    }
    static struct task tasks[2 * THREADS];
    memset(tasks, 0, sizeof(tasks));
    for (int i = 0; i < 2 * THREADS; i++)
        tasks[i].other = i + 1;
    run_tasks(a, b, move_alias, tasks);
    /* each move's event names the version the previous move set */
    struct registry_event_list ev = {0};
    ASSERT_OK(store_registry_events(b, "race", &ev, &err), &err);
    int64_t prev = 0;
    size_t moves = 0;
    for (size_t i = 0; i < ev.n; i++) {
        if (strcmp(ev.v[i].action, "set_alias"))
            continue;
        struct sbuf want = SBUF_INIT;
        if (prev)
            sbuf_addf(&want, "@champ: %lld -> %lld", (long long)prev, (long long)ev.v[i].version);
        else
            sbuf_addf(&want, "@champ -> %lld", (long long)ev.v[i].version);
        ASSERT_STR_EQ(ev.v[i].detail, want.buf);
        sbuf_release(&want);
        prev = ev.v[i].version;
        moves++;
    }
    ASSERT_INT_EQ(moves, 2 * THREADS * 10);
    registry_event_list_release(&ev);
    struct model_version v;
    memset(&v, 0, sizeof(v));
    ASSERT_OK(store_get_version_by_alias(a, "race", "champ", &v, &err), &err);
    ASSERT_INT_EQ(v.version, prev);
    model_version_release(&v);

    /* promotions with archive_existing: whoever is last, one is left */
    memset(tasks, 0, sizeof(tasks));
    for (int i = 0; i < 2 * THREADS; i++)
        tasks[i].other = i + 1;
    run_tasks(a, b, promote, tasks);
    struct model_version_list l = {0};
    const char *prod[] = {"Production"};
    struct registry_search q = {0};
    q.filter = "name = 'race' AND current_stage = 'Production'";
    ASSERT_OK(store_search_model_versions(b, &q, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    int64_t winner = l.v[0].version;
    model_version_list_release(&l);
    ASSERT_OK(store_get_latest_versions(a, "race", prod, 1, &l, &err), &err);
    ASSERT_INT_EQ(l.n, 1);
    ASSERT_INT_EQ(l.v[0].version, winner);
    model_version_list_release(&l);
    store_close(a);
    store_close(b);
    free(uri);
}
