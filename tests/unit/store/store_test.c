/* SPDX-License-Identifier: MIT
 * The SQLite store against a real database file: experiments, runs, params,
 * metrics, tags, inputs, lifecycle rules, migrations and group commit. */
#include "../test.h"
#include "fixtures.h"
#include "base/ferr.h"
#include "base/sbuf.h"
#include "store/metrics.h"
#include "store/sqlite/schema.h"
#include "store/store.h"

#include <math.h>
#include <unistd.h>
#include <pthread.h>
#include <sqlite3.h>

static struct store *open_store(int group_commit)
{
    struct sbuf path = SBUF_INIT;
    {
        char *uri = test_store_uri("t");
        sbuf_addstr(&path, uri);
        free(uri);
    }
    struct store_opts o = STORE_OPTS_INIT;
    o.group_commit = group_commit;
    o.default_artifact_root = "/artifacts";
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_open(path.buf, &o, &s, &err), &err);
    sbuf_release(&path);
    return s;
}

STORE_TEST(store_default_experiment_exists)
{
    struct store *s = open_store(0);
    struct experiment e;
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_get_experiment(s, "0", &e, &err), &err);
    ASSERT_STR_EQ(e.name, "Default");
    ASSERT_STR_EQ(e.artifact_location, "/artifacts/0");
    experiment_release(&e);
    store_close(s);
}

STORE_TEST(store_experiment_create_duplicate_and_rename)
{
    struct store *s = open_store(0);
    struct ferr err = FERR_INIT;
    char *id = NULL;
    ASSERT_OK(store_create_experiment(s, "exp", NULL, NULL, &id, &err), &err);
    ASSERT_STR_EQ(id, "1");
    ASSERT_FAILS(store_create_experiment(s, "exp", NULL, NULL, NULL, &err), &err,
                 FERR_RESOURCE_ALREADY_EXISTS);
    ASSERT_FAILS(store_create_experiment(s, "", NULL, NULL, NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_OK(store_rename_experiment(s, id, "exp2", &err), &err);
    ASSERT_FAILS(store_rename_experiment(s, id, "Default", &err), &err,
                 FERR_RESOURCE_ALREADY_EXISTS);
    ASSERT_FAILS(store_rename_experiment(s, "99", "x", &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    struct experiment e;
    ASSERT_OK(store_get_experiment_by_name(s, "exp2", &e, &err), &err);
    ASSERT_STR_EQ(e.experiment_id, "1");
    experiment_release(&e);
    ASSERT_FAILS(store_get_experiment_by_name(s, "exp", &e, &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_get_experiment(s, "abc", &e, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    free(id);
    store_close(s);
}

STORE_TEST(store_experiment_delete_restore_cascades_to_runs)
{
    struct store *s = open_store(0);
    struct ferr err = FERR_INIT;
    char *id = NULL;
    ASSERT_OK(store_create_experiment(s, "e", NULL, NULL, &id, &err), &err);
    char *r1 = fixture_new_run(s, id, NULL, TIME_NONE), *r2 = fixture_new_run(s, id, NULL, TIME_NONE);
    ASSERT_OK(store_delete_run(s, r2, &err), &err); /* deleted on its own, earlier */
    usleep(2000);
    ASSERT_OK(store_delete_experiment(s, id, &err), &err);
    struct run r;
    ASSERT_OK(store_get_run(s, r1, &r, &err), &err);
    ASSERT_INT_EQ(r.info.lifecycle_stage, LIFECYCLE_DELETED);
    run_release(&r);
    /* no new runs in a deleted experiment, no second delete */
    struct run_create rc = {id, NULL, NULL, TIME_NONE, {0}};
    ASSERT_FAILS(store_create_run(s, &rc, &r, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_delete_experiment(s, id, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_create_experiment(s, "e", NULL, NULL, NULL, &err), &err,
                 FERR_RESOURCE_ALREADY_EXISTS);
    ASSERT_OK(store_restore_experiment(s, id, &err), &err);
    ASSERT_OK(store_get_run(s, r1, &r, &err), &err);
    ASSERT_INT_EQ(r.info.lifecycle_stage, LIFECYCLE_ACTIVE);
    run_release(&r);
    ASSERT_OK(store_get_run(s, r2, &r, &err), &err); /* stays deleted */
    ASSERT_INT_EQ(r.info.lifecycle_stage, LIFECYCLE_DELETED);
    run_release(&r);
    ASSERT_FAILS(store_delete_experiment(s, "0", &err), &err, FERR_INVALID_PARAMETER_VALUE);
    free(id);
    free(r1);
    free(r2);
    store_close(s);
}

STORE_TEST(store_experiment_tags)
{
    struct store *s = open_store(0);
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_set_experiment_tag(s, "0", "team", "ml", &err), &err);
    ASSERT_OK(store_set_experiment_tag(s, "0", "team", "infra", &err), &err);
    struct experiment e;
    ASSERT_OK(store_get_experiment(s, "0", &e, &err), &err);
    ASSERT_STR_EQ(kv_list_get(&e.tags, "team"), "infra");
    experiment_release(&e);
    ASSERT_OK(store_delete_experiment_tag(s, "0", "team", &err), &err);
    ASSERT_FAILS(store_delete_experiment_tag(s, "0", "team", &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    ASSERT_FAILS(store_set_experiment_tag(s, "7", "k", "v", &err), &err,
                 FERR_RESOURCE_DOES_NOT_EXIST);
    store_close(s);
}

STORE_TEST(store_run_create_names_and_tags)
{
    struct store *s = open_store(0);
    struct ferr err = FERR_INIT;
    struct kv_list tags = {0};
    kv_list_add(&tags, "mlflow.user", "bob");
    kv_list_add(&tags, "mlflow.runName", "named");
    struct run_create rc = {"0", NULL, NULL, 1234, tags};
    struct run r;
    ASSERT_OK(store_create_run(s, &rc, &r, &err), &err);
    ASSERT_STR_EQ(r.info.run_name, "named");
    ASSERT_STR_EQ(r.info.user_id, "bob");
    ASSERT_INT_EQ(r.info.start_time, 1234);
    ASSERT_INT_EQ(r.info.status, RUN_RUNNING);
    ASSERT_INT_EQ(strlen(r.info.run_id), 32);
    ASSERT(r.info.end_time == TIME_NONE);
    struct sbuf uri = SBUF_INIT;
    sbuf_addf(&uri, "/artifacts/0/%s/artifacts", r.info.run_id);
    ASSERT_STR_EQ(r.info.artifact_uri, uri.buf);
    sbuf_release(&uri);
    run_release(&r);
    /* conflicting run_name and tag */
    rc.run_name = "other";
    ASSERT_FAILS(store_create_run(s, &rc, &r, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    kv_list_release(&tags);
    /* generated name: adjective-noun-number, mirrored in the tag */
    struct run_create plain = {"0", NULL, NULL, TIME_NONE, {0}};
    ASSERT_OK(store_create_run(s, &plain, &r, &err), &err);
    ASSERT(strchr(r.info.run_name, '-') != NULL);
    ASSERT_STR_EQ(kv_list_get(&r.tags, "mlflow.runName"), r.info.run_name);
    run_release(&r);
    struct run_create bad = {"42", NULL, NULL, TIME_NONE, {0}};
    ASSERT_FAILS(store_create_run(s, &bad, &r, &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    store_close(s);
}

STORE_TEST(store_params_are_immutable_and_batch_is_atomic)
{
    struct store *s = open_store(0);
    struct ferr err = FERR_INIT;
    char *id = fixture_new_run(s, "0", NULL, TIME_NONE);
    struct kv_list p = {0};
    kv_list_add(&p, "lr", "0.1");
    ASSERT_OK(store_log_batch(s, id, NULL, &p, NULL, &err), &err);
    ASSERT_OK(store_log_batch(s, id, NULL, &p, NULL, &err), &err); /* same value again */
    struct metric_list m = {0};
    metric_list_add(&m, "loss", 1.0, 10, 0);
    struct kv_list p2 = {0};
    kv_list_add(&p2, "lr", "0.2");
    ASSERT_FAILS(store_log_batch(s, id, &m, &p2, NULL, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "lr");
    struct run r;
    ASSERT_OK(store_get_run(s, id, &r, &err), &err);
    ASSERT_STR_EQ(kv_list_get(&r.params, "lr"), "0.1");
    ASSERT_INT_EQ(r.metrics.n, 0); /* the metric in the failed batch was not stored */
    run_release(&r);
    kv_list_release(&p);
    kv_list_release(&p2);
    metric_list_release(&m);
    free(id);
    store_close(s);
}

STORE_TEST(store_batch_limits)
{
    struct store *s = open_store(0);
    struct ferr err = FERR_INIT;
    char *id = fixture_new_run(s, "0", NULL, TIME_NONE);
    struct metric_list m = {0};
    for (int i = 0; i < 1001; i++)
        metric_list_add(&m, "k", i, 1, i);
    ASSERT_FAILS(store_log_batch(s, id, &m, NULL, NULL, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    metric_list_release(&m);
    struct kv_list p = {0};
    char key[16];
    for (int i = 0; i < 101; i++) {
        snprintf(key, sizeof(key), "p%d", i);
        kv_list_add(&p, key, "v");
    }
    ASSERT_FAILS(store_log_batch(s, id, NULL, &p, NULL, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_log_batch(s, id, NULL, NULL, &p, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    kv_list_release(&p);
    struct run r;
    ASSERT_OK(store_get_run(s, id, &r, &err), &err);
    ASSERT_INT_EQ(r.params.n, 0);
    run_release(&r);
    free(id);
    store_close(s);
}

STORE_TEST(store_metrics_latest_history_and_special_values)
{
    struct store *s = open_store(0);
    struct ferr err = FERR_INIT;
    char *id = fixture_new_run(s, "0", NULL, TIME_NONE);
    struct metric_list m = {0};
    metric_list_add(&m, "x", 3.0, 100, 5);
    metric_list_add(&m, "x", 1.0, 200, 2); /* older step: not the latest */
    metric_list_add(&m, "x", NAN, 50, 7);  /* greatest step: latest, even if NaN */
    metric_list_add(&m, "inf", INFINITY, 1, 0);
    metric_list_add(&m, "ninf", -INFINITY, 1, 0);
    metric_list_add(&m, "x", 3.0, 100, 5); /* exact duplicate: stored once */
    ASSERT_OK(store_log_batch(s, id, &m, NULL, NULL, &err), &err);
    metric_list_release(&m);
    struct run r;
    ASSERT_OK(store_get_run(s, id, &r, &err), &err);
    ASSERT_INT_EQ(r.metrics.n, 3);
    for (size_t i = 0; i < r.metrics.n; i++) {
        const struct metric *x = &r.metrics.v[i];
        if (!strcmp(x->key, "x")) {
            ASSERT(isnan(x->value));
            ASSERT_INT_EQ(x->step, 7);
        } else if (!strcmp(x->key, "inf")) {
            ASSERT(isinf(x->value) && x->value > 0);
        } else {
            ASSERT(isinf(x->value) && x->value < 0);
        }
    }
    run_release(&r);
    struct metric_list h;
    char *next = NULL;
    ASSERT_OK(store_get_metric_history(s, id, "x", 0, NULL, &h, &next, &err), &err);
    ASSERT_INT_EQ(h.n, 3);
    ASSERT_INT_EQ(h.v[0].step, 2);
    ASSERT_INT_EQ(h.v[1].step, 5);
    ASSERT(isnan(h.v[2].value));
    ASSERT(next == NULL);
    metric_list_release(&h);
    ASSERT_FAILS(store_get_metric_history(s, "0123456789abcdef0123456789abcdef", "x", 0, NULL, &h,
                                          NULL, &err),
                 &err, FERR_RESOURCE_DOES_NOT_EXIST);
    free(id);
    store_close(s);
}

/* Every point of a history comes back exactly as logged: values to the
 * last bit (PostgreSQL sends them in binary), steps at the ends of their
 * range, timestamps up to 7/8 of theirs. */
STORE_TEST(store_history_values_exact)
{
    static const double values[] = {0.1,      -0.0,     1e-300,    -1.7976931348623157e308,
                                    4.9e-324, INFINITY, -INFINITY, 1.0 / 3.0};
    static const int64_t steps[] = {INT64_MIN + 1, -5,       0, 1, 2, 1LL << 40,
                                    INT64_MAX - 1, INT64_MAX};
    struct store *s = open_store(0);
    struct ferr err = FERR_INIT;
    char *id = fixture_new_run(s, "0", NULL, TIME_NONE);
    struct metric_list m = {0};
    for (size_t i = 0; i < 8; i++)
        metric_list_add(&m, "v", values[i], (int64_t)i * (INT64_MAX / 8), steps[i]);
    ASSERT_OK(store_log_batch(s, id, &m, NULL, NULL, &err), &err);
    metric_list_release(&m);
    struct metric_list h;
    ASSERT_OK(store_get_metric_history(s, id, "v", 0, NULL, &h, NULL, &err), &err);
    ASSERT_INT_EQ(h.n, 8);
    for (size_t i = 0; i < h.n; i++) {
        ASSERT_INT_EQ(h.v[i].step, steps[i]);
        ASSERT_INT_EQ(h.v[i].timestamp, (int64_t)i * (INT64_MAX / 8));
        ASSERT(!memcmp(&h.v[i].value, &values[i], sizeof(double)) ||
               (values[i] == 0 && h.v[i].value == 0)); /* -0.0 may come back as 0 */
        ASSERT(!strcmp(h.v[i].key, "v"));
    }
    metric_list_release(&h);
    free(id);
    store_close(s);
}

/* Every key reads back its own history (PostgreSQL sends a history by
 * COPY, whose SQL carries the key escaped, not bound): keys with the
 * punctuation a key may hold, and asked-for keys a key may not hold
 * (quotes, backslashes, SQL) answer an empty history and harm nothing;
 * pages of one point each. */
STORE_TEST(store_history_keys_needing_quotes)
{
    static const char *const keys[] = {"a b", "x/y:z", "-.-_", "E"};
    static const char *const unlogged[] = {
        "it's", "back\\slash", "a\"quote", "'; DROP TABLE metrics; --", "caf\xc3\xa9", "E'x'"};
    size_t nkeys = sizeof(keys) / sizeof(*keys);
    struct store *s = open_store(0);
    struct ferr err = FERR_INIT;
    char *id = fixture_new_run(s, "0", NULL, TIME_NONE);
    struct metric_list m = {0}, h;
    for (size_t k = 0; k < nkeys; k++)
        for (int i = 0; i < 3; i++)
            metric_list_add(&m, keys[k], (double)k + i / 10.0, 100 + i, i);
    ASSERT_OK(store_log_batch(s, id, &m, NULL, NULL, &err), &err);
    metric_list_release(&m);
    char *next = NULL;
    for (size_t k = 0; k < sizeof(unlogged) / sizeof(*unlogged); k++) {
        ASSERT_OK(store_get_metric_history(s, id, unlogged[k], 0, NULL, &h, &next, &err), &err);
        ASSERT_INT_EQ(h.n, 0);
        ASSERT(next == NULL);
        metric_list_release(&h);
    }
    for (size_t k = 0; k < nkeys; k++) {
        ASSERT_OK(store_get_metric_history(s, id, keys[k], 0, NULL, &h, NULL, &err), &err);
        ASSERT_INT_EQ(h.n, 3);
        for (size_t i = 0; i < h.n; i++) {
            ASSERT_STR_EQ(h.v[i].key, keys[k]);
            ASSERT(h.v[i].value == (double)k + (double)i / 10.0);
        }
        metric_list_release(&h);
    }
    char *token = NULL;
    int seen = 0;
    do {
        ASSERT_OK(store_get_metric_history(s, id, "a b", 1, token, &h, &next, &err), &err);
        ASSERT_INT_EQ(h.n, 1);
        ASSERT_INT_EQ(h.v[0].step, seen++);
        metric_list_release(&h);
        free(token);
        token = next;
    } while (token);
    ASSERT_INT_EQ(seen, 3);
    free(id);
    store_close(s);
}

STORE_TEST(store_history_pages)
{
    struct store *s = open_store(0);
    struct ferr err = FERR_INIT;
    char *id = fixture_new_run(s, "0", NULL, TIME_NONE);
    struct metric_list m = {0};
    for (int i = 0; i < 250; i++)
        metric_list_add(&m, "loss", 1.0 / (i + 1), 1000 + i, i);
    ASSERT_OK(store_log_batch(s, id, &m, NULL, NULL, &err), &err);
    metric_list_release(&m);
    int seen = 0, pages = 0;
    char *token = NULL;
    do {
        struct metric_list h;
        char *next = NULL;
        ASSERT_OK(store_get_metric_history(s, id, "loss", 100, token, &h, &next, &err), &err);
        for (size_t i = 0; i < h.n; i++)
            ASSERT_INT_EQ(h.v[i].step, seen++);
        metric_list_release(&h);
        free(token);
        token = next;
        pages++;
    } while (token);
    ASSERT_INT_EQ(seen, 250);
    ASSERT_INT_EQ(pages, 3);
    struct metric_list h;
    ASSERT_FAILS(store_get_metric_history(s, id, "loss", 10, "garbage!", &h, NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    free(id);
    store_close(s);
}

STORE_TEST(store_bulk_interval_samples_keep_ends)
{
    struct store *s = open_store(0);
    struct ferr err = FERR_INIT;
    char *a = fixture_new_run(s, "0", NULL, TIME_NONE), *b = fixture_new_run(s, "0", NULL, TIME_NONE);
    struct metric_list m = {0};
    for (int i = 0; i < 1000; i++)
        metric_list_add(&m, "acc", i, 1, i);
    ASSERT_OK(store_log_batch(s, a, &m, NULL, NULL, &err), &err);
    ASSERT_OK(store_log_batch(s, b, &m, NULL, NULL, &err), &err);
    metric_list_release(&m);
    const char *ids[] = {a, b};
    struct metric_list out;
    ASSERT_OK(store_get_metric_history_bulk_interval(s, ids, 2, "acc", TIME_NONE, TIME_NONE, 10,
                                                     &out, &err),
              &err);
    /* MLflow's sampling: every 100th of the shared steps, plus the last. */
    ASSERT_INT_EQ(out.n, 22);
    ASSERT_INT_EQ(out.v[0].step, 0);
    ASSERT_INT_EQ(out.v[1].step, 100);
    ASSERT_INT_EQ(out.v[10].step, 999);
    ASSERT_STR_EQ(out.v[11].run_id, b);
    ASSERT_INT_EQ(out.v[11].step, 0);
    metric_list_release(&out);
    ASSERT_OK(store_get_metric_history_bulk_interval(s, ids, 1, "acc", 100, 199, 1000, &out, &err),
              &err);
    ASSERT_INT_EQ(out.n, 100);
    metric_list_release(&out);
    free(a);
    free(b);
    store_close(s);
}

STORE_TEST(store_deleted_run_rejects_writes)
{
    struct store *s = open_store(0);
    struct ferr err = FERR_INIT;
    char *id = fixture_new_run(s, "0", NULL, TIME_NONE);
    ASSERT_OK(store_delete_run(s, id, &err), &err);
    struct kv_list t = {0};
    kv_list_add(&t, "k", "v");
    ASSERT_FAILS(store_log_batch(s, id, NULL, NULL, &t, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_update_run(s, id, RUN_FINISHED, 5, NULL, NULL, &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_OK(store_restore_run(s, id, &err), &err);
    ASSERT_OK(store_log_batch(s, id, NULL, NULL, &t, &err), &err);
    struct run_info ri;
    ASSERT_OK(store_update_run(s, id, RUN_FINISHED, 5, "renamed", &ri, &err), &err);
    ASSERT_INT_EQ(ri.status, RUN_FINISHED);
    ASSERT_INT_EQ(ri.end_time, 5);
    ASSERT_STR_EQ(ri.run_name, "renamed");
    run_info_release(&ri);
    ASSERT_OK(store_delete_tag(s, id, "k", &err), &err);
    ASSERT_FAILS(store_delete_tag(s, id, "k", &err), &err, FERR_RESOURCE_DOES_NOT_EXIST);
    kv_list_release(&t);
    free(id);
    store_close(s);
}

STORE_TEST(store_set_run_name_tag_renames_run)
{
    struct store *s = open_store(0);
    struct ferr err = FERR_INIT;
    char *id = fixture_new_run(s, "0", NULL, TIME_NONE);
    struct kv_list t = {0};
    kv_list_add(&t, "mlflow.runName", "new-name");
    ASSERT_OK(store_log_batch(s, id, NULL, NULL, &t, &err), &err);
    struct run r;
    ASSERT_OK(store_get_run(s, id, &r, &err), &err);
    ASSERT_STR_EQ(r.info.run_name, "new-name");
    run_release(&r);
    kv_list_release(&t);
    free(id);
    store_close(s);
}

STORE_TEST(store_inputs_stored_once_per_digest)
{
    struct store *s = open_store(0);
    struct ferr err = FERR_INIT;
    char *a = fixture_new_run(s, "0", NULL, TIME_NONE), *b = fixture_new_run(s, "0", NULL, TIME_NONE);
    struct dataset_input di = {0};
    char name[] = "iris", digest[] = "abc123", st[] = "local", src[] = "/data/iris.csv";
    di.dataset.name = name;
    di.dataset.digest = digest;
    di.dataset.source_type = st;
    di.dataset.source = src;
    kv_list_add(&di.tags, "mlflow.data.context", "training");
    ASSERT_OK(store_log_inputs(s, a, &di, 1, &err), &err);
    ASSERT_OK(store_log_inputs(s, a, &di, 1, &err), &err);
    ASSERT_OK(store_log_inputs(s, b, &di, 1, &err), &err);
    struct run r;
    ASSERT_OK(store_get_run(s, a, &r, &err), &err);
    ASSERT_INT_EQ(r.ninputs, 1);
    ASSERT_STR_EQ(r.inputs[0].dataset.digest, "abc123");
    ASSERT_STR_EQ(kv_list_get(&r.inputs[0].tags, "mlflow.data.context"), "training");
    ASSERT(r.inputs[0].dataset.schema == NULL);
    run_release(&r);
    kv_list_release(&di.tags);
    di.dataset.digest = NULL;
    ASSERT_FAILS(store_log_inputs(s, a, &di, 1, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    free(a);
    free(b);
    store_close(s);
}

STORE_TEST(store_log_model_appends_history)
{
    struct store *s = open_store(0);
    struct ferr err = FERR_INIT;
    char *id = fixture_new_run(s, "0", NULL, TIME_NONE);
    static const char fmt[] = "{\"artifact_path\": \"%s\", \"run_id\": \"%s\", "
                              "\"utc_time_created\": \"2024-05-01 10:00:00.000000\", "
                              "\"flavors\": {\"python_function\": {}}}";
    char doc[512];
    snprintf(doc, sizeof(doc), fmt, "m1", id);
    ASSERT_OK(store_log_model(s, id, doc, &err), &err);
    snprintf(doc, sizeof(doc), fmt, "m2", id);
    ASSERT_OK(store_log_model(s, id, doc, &err), &err);
    ASSERT_FAILS(store_log_model(s, id, "[1]", &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_log_model(s, id, "{\"artifact_path\": \"m3\"}", &err), &err,
                 FERR_INVALID_PARAMETER_VALUE);
    ASSERT_CONTAINS(err.msg, "flavors");
    struct run r;
    ASSERT_OK(store_get_run(s, id, &r, &err), &err);
    const char *h = kv_list_get(&r.tags, "mlflow.log-model.history");
    ASSERT_CONTAINS(h, "m1");
    ASSERT_CONTAINS(h, "m2");
    run_release(&r);
    free(id);
    store_close(s);
}

struct writer_arg {
    struct store *s;
    const char *run_id;
    int thread;
};

static void *writer(void *p)
{
    struct writer_arg *a = p;
    char key[32];
    snprintf(key, sizeof(key), "t%d", a->thread);
    for (int i = 0; i < 200; i++) {
        struct metric_list m = {0};
        struct ferr err = FERR_INIT;
        metric_list_add(&m, key, i, 1, i);
        if (store_log_batch(a->s, a->run_id, &m, NULL, NULL, &err))
            abort();
        metric_list_release(&m);
    }
    return NULL;
}

STORE_TEST(store_group_commit_concurrent_writers)
{
    struct store *s = open_store(1);
    char *id = fixture_new_run(s, "0", NULL, TIME_NONE);
    pthread_t th[8];
    struct writer_arg args[8];
    for (int i = 0; i < 8; i++) {
        args[i] = (struct writer_arg){s, id, i};
        ASSERT(pthread_create(&th[i], NULL, writer, &args[i]) == 0);
    }
    for (int i = 0; i < 8; i++)
        pthread_join(th[i], NULL);
    struct ferr err = FERR_INIT;
    for (int i = 0; i < 8; i++) {
        char key[32];
        snprintf(key, sizeof(key), "t%d", i);
        struct metric_list h;
        ASSERT_OK(store_get_metric_history(s, id, key, 0, NULL, &h, NULL, &err), &err);
        ASSERT_INT_EQ(h.n, 200);
        metric_list_release(&h);
    }
    /* a failing op inside a group does not take the others down */
    struct kv_list p = {0};
    kv_list_add(&p, "p", "1");
    ASSERT_OK(store_log_batch(s, id, NULL, &p, NULL, &err), &err);
    kv_list_set(&p, "p", "2");
    ASSERT_FAILS(store_log_batch(s, id, NULL, &p, NULL, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    kv_list_release(&p);
    free(id);
    store_close(s);
}

STORE_TEST(store_reopen_keeps_data_and_schema_version)
{
    struct store *s = open_store(1);
    char *id = fixture_new_run(s, "0", NULL, TIME_NONE);
    store_close(s);
    s = open_store(0);
    struct run r;
    struct ferr err = FERR_INIT;
    ASSERT_OK(store_get_run(s, id, &r, &err), &err);
    run_release(&r);
    ASSERT_INT_EQ(store_schema_version(s), SCHEMA_VERSION);
    store_close(s);
    free(id);
}

TEST(store_refuses_newer_schema)
{
    struct sbuf path = SBUF_INIT;
    sbuf_addf(&path, "%s/new.db", test_tmpdir());
    sqlite3 *db;
    ASSERT(sqlite3_open(path.buf, &db) == SQLITE_OK);
    ASSERT(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_FAILS(store_open(path.buf, NULL, &s, &err), &err, FERR_INTERNAL_ERROR);
    ASSERT_CONTAINS(err.msg, "newer");
    sbuf_release(&path);
}

/* A database as schema 13 left it, with params, tags and latest metrics in
 * two experiments: opening it fills their runs' experiments, later rows
 * written without one get it from the run, and searches find them. */
TEST(store_schema_13_database_migrates_to_14)
{
    struct sbuf path = SBUF_INIT;
    sbuf_addf(&path, "%s/v13.db", test_tmpdir());
    struct ferr err = FERR_INIT;
    struct store *s = NULL;
    ASSERT_OK(store_open(path.buf, NULL, &s, &err), &err);
    store_close(s);
    sqlite3 *db;
    ASSERT(sqlite3_open(path.buf, &db) == SQLITE_OK);
    ASSERT(sqlite3_exec(db, fixture_sqlite_schema_13, NULL, NULL, NULL) == SQLITE_OK);
    ASSERT(sqlite3_exec(db,
                        "INSERT INTO experiments (experiment_id, name, artifact_location, "
                        "creation_time, last_update_time) VALUES (8, 'other', '/a/8', 1, 1);"
                        "INSERT INTO runs (id, run_uuid, name, experiment_id, status, "
                        "artifact_uri, start_time) VALUES "
                        "(4, 'r4', 'four', 0, 'RUNNING', '/a/0/r4', 4),"
                        "(5, 'r5', 'five', 8, 'RUNNING', '/a/8/r5', 5);"
                        "INSERT INTO params VALUES (4, 'lr', '0.1'), (5, 'lr', '0.1');"
                        "INSERT INTO tags VALUES (4, 'team', 'a'), (5, 'team', 'a');"
                        "INSERT INTO latest_metrics (run, key, value, timestamp, step) VALUES "
                        "(4, 'acc', 0.5, 1, 0), (5, 'acc', 0.5, 1, 0);",
                        NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    ASSERT_OK(store_open(path.buf, NULL, &s, &err), &err);
    ASSERT_INT_EQ(store_schema_version(s), 14);
    ASSERT(sqlite3_open(path.buf, &db) == SQLITE_OK);
    ASSERT(sqlite3_exec(db,
                        "INSERT INTO params (run, key, value) VALUES (5, 'batch', '32');"
                        "INSERT INTO tags (run, key, value) VALUES (5, 'note', 'n');"
                        "INSERT INTO latest_metrics (run, key, value, timestamp, step) VALUES "
                        "(5, 'loss', 0.1, 1, 0);",
                        NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_stmt *st;
    ASSERT(sqlite3_prepare_v2(
               db,
               "SELECT group_concat(t || ':' || run || '=' || ifnull(experiment_id, 'null'), ' ') "
               "FROM (SELECT * FROM (SELECT 'p' t, run, key, experiment_id FROM params UNION ALL "
               "SELECT 't', run, key, experiment_id FROM tags UNION ALL "
               "SELECT 'm', run, key, experiment_id FROM latest_metrics) ORDER BY t, run, key)",
               -1, &st, NULL) == SQLITE_OK);
    ASSERT(sqlite3_step(st) == SQLITE_ROW);
    ASSERT_STR_EQ((const char *)sqlite3_column_text(st, 0),
                  "m:4=0 m:5=8 m:5=8 p:4=0 p:5=8 p:5=8 t:4=0 t:5=8 t:5=8");
    sqlite3_finalize(st);
    sqlite3_close(db);
    fixture_assert_migrated_search(s);
    store_close(s);
    sbuf_release(&path);
}

TEST(store_migrates_empty_database_from_version_zero)
{
    struct sbuf path = SBUF_INIT;
    sbuf_addf(&path, "%s/v0.db", test_tmpdir());
    sqlite3 *db;
    ASSERT(sqlite3_open(path.buf, &db) == SQLITE_OK);
    int from = -1;
    struct ferr err = FERR_INIT;
    ASSERT_OK(schema_migrate(db, &from, &err), &err);
    ASSERT_INT_EQ(from, 0);
    ASSERT_OK(schema_migrate(db, &from, &err), &err); /* idempotent */
    ASSERT_INT_EQ(from, SCHEMA_VERSION);
    sqlite3_close(db);
    sbuf_release(&path);
}

TEST(store_open_rejects_unknown_uri)
{
    struct store *s = NULL;
    struct ferr err = FERR_INIT;
    ASSERT_FAILS(store_open("mysql://x", NULL, &s, &err), &err, FERR_INVALID_PARAMETER_VALUE);
    ASSERT_FAILS(store_open("/nonexistent-dir/x/y.db", NULL, &s, &err), &err, FERR_INTERNAL_ERROR);
}

/* Fault injection with SQLite's own machinery: a trigger makes the metric
 * insert fail for one key, in the middle of a batch and of a commit group. */
static void inject_metric_fault(const char *key)
{
    struct sbuf path = SBUF_INIT, sql = SBUF_INIT;
    sbuf_addf(&path, "%s/t.db", test_tmpdir());
    sbuf_addf(&sql,
              "CREATE TRIGGER inject BEFORE INSERT ON metrics WHEN NEW.key = '%s' "
              "BEGIN SELECT RAISE(ABORT, 'injected fault'); END",
              key);
    sqlite3 *db;
    ASSERT(sqlite3_open(path.buf, &db) == SQLITE_OK);
    ASSERT(sqlite3_exec(db, sql.buf, NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    sbuf_release(&path);
    sbuf_release(&sql);
}

static void *boom_writer(void *p)
{
    struct writer_arg *a = p;
    for (int i = 0; i < 100; i++) {
        struct metric_list m = {0};
        struct kv_list t = {0};
        struct ferr err = FERR_INIT;
        char tag[32];
        snprintf(tag, sizeof(tag), "boom-%d-%d", a->thread, i);
        kv_list_add(&t, tag, "x");
        metric_list_add(&m, "ok", i, 1, a->thread * 1000 + i);
        metric_list_add(&m, "boom", 1, 1, i);
        if (store_log_batch(a->s, a->run_id, &m, NULL, &t, &err) == 0 ||
            err.code != FERR_INTERNAL_ERROR)
            abort();
        metric_list_release(&m);
        kv_list_release(&t);
        metric_list_add(&m, "ok", i, 2, a->thread * 1000 + i);
        if (store_log_batch(a->s, a->run_id, &m, NULL, NULL, &err))
            abort();
        metric_list_release(&m);
    }
    return NULL;
}

TEST(store_fault_mid_batch_leaves_nothing_and_spares_the_group)
{
    struct store *s = open_store(1);
    char *id = fixture_new_run(s, "0", NULL, TIME_NONE);
    store_close(s);
    inject_metric_fault("boom");
    s = open_store(1);
    pthread_t th[4];
    struct writer_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (struct writer_arg){s, id, i};
        ASSERT(pthread_create(&th[i], NULL, boom_writer, &args[i]) == 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    struct ferr err = FERR_INIT;
    struct metric_list h;
    ASSERT_OK(store_get_metric_history(s, id, "ok", 0, NULL, &h, NULL, &err), &err);
    ASSERT_INT_EQ(h.n, 400); /* only the good writes, each once */
    for (size_t i = 0; i < h.n; i++)
        ASSERT_INT_EQ(h.v[i].timestamp, 2);
    metric_list_release(&h);
    struct run r;
    ASSERT_OK(store_get_run(s, id, &r, &err), &err);
    ASSERT_INT_EQ(r.tags.n, 1); /* just mlflow.runName: no tag of a failed batch */
    ASSERT_CONTAINS(kv_list_get(&r.tags, "mlflow.runName"), "-");
    run_release(&r);
    free(id);
    store_close(s);
}

/* The idle server drops SQLite's caches; the store must work on unchanged. */
STORE_TEST(store_release_memory_keeps_working)
{
    struct store *s = open_store(1);
    struct ferr err = FERR_INIT;
    char *id = fixture_new_run(s, "0", NULL, TIME_NONE);
    struct metric_list m = {0};
    for (int i = 0; i < 100; i++)
        metric_list_add(&m, "loss", i, 1, i);
    ASSERT_OK(store_log_batch(s, id, &m, NULL, NULL, &err), &err);
    metric_list_release(&m);
    store_release_memory(s);
    struct metric_list out;
    ASSERT_OK(store_get_metric_history(s, id, "loss", 0, NULL, &out, NULL, &err), &err);
    ASSERT_INT_EQ(out.n, 100);
    metric_list_release(&out);
    store_release_memory(s);
    metric_list_add(&m, "loss", 7, 1, 100);
    ASSERT_OK(store_log_batch(s, id, &m, NULL, NULL, &err), &err);
    metric_list_release(&m);
    free(id);
    store_close(s);
}
