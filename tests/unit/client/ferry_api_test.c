/* SPDX-License-Identifier: MIT
 * The public libferry API on an embedded store: runs, buffering, search,
 * history, environment attachment and errors. */
#include "../test.h"
#include "ferry/ferry.h"
#include "base/sbuf.h"
#include "client/client.h"

#include <math.h>
#include <pthread.h>

static ferry_client *open_tmp(void)
{
    struct sbuf uri = SBUF_INIT;
    sbuf_addf(&uri, "sqlite://%s/api.db", test_tmpdir());
    ferry_client *c = NULL;
    ASSERT_INT_EQ(ferry_open(uri.buf, &c), FERRY_OK);
    sbuf_release(&uri);
    return c;
}

TEST(api_run_lifecycle_with_buffered_metrics)
{
    unsetenv("FERRY_RUN_ID");
    unsetenv("MLFLOW_RUN_ID");
    ferry_client *c = open_tmp();
    char *exp = NULL, *exp2 = NULL, *run = NULL;
    ASSERT_INT_EQ(ferry_set_experiment(c, "api", &exp), FERRY_OK);
    ASSERT_INT_EQ(ferry_set_experiment(c, "api", &exp2), FERRY_OK);
    ASSERT_STR_EQ(exp, exp2);
    ASSERT_INT_EQ(ferry_start_run(c, exp, "first", NULL, &run), FERRY_OK);
    ASSERT_INT_EQ(ferry_log_param(c, run, "eta", "0.3"), FERRY_OK);
    ASSERT_INT_EQ(ferry_log_param(c, run, "eta", "0.4"), FERRY_EINVAL);
    ASSERT_CONTAINS(ferry_last_error(c), "eta");
    for (int i = 0; i < 2500; i++) /* crosses the 1000-point batch size twice */
        ASSERT_INT_EQ(ferry_log_metric(c, run, "loss", 1.0 / (i + 1), 1000 + i, i), FERRY_OK);
    ASSERT_INT_EQ(ferry_log_metric(c, run, "nan", NAN, 0, 0), FERRY_OK);
    ASSERT_INT_EQ(ferry_log_metric(c, run, "bad/../key", 1, 0, 0), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_set_tag(c, run, "team", "c"), FERRY_OK);
    ferry_metric *pts = NULL;
    size_t n = 0;
    ASSERT_INT_EQ(ferry_get_metric_history(c, run, "loss", &pts, &n), FERRY_OK);
    ASSERT_INT_EQ(n, 2500);
    ASSERT_INT_EQ(pts[2499].step, 2499);
    ferry_free(pts);
    ASSERT_INT_EQ(ferry_end_run(c, run, FERRY_RUN_FINISHED), FERRY_OK);
    const char *ids[] = {exp};
    ferry_runs *r = NULL;
    ASSERT_INT_EQ(
        ferry_search_runs(c, ids, 1, "params.eta = '0.3'", "metrics.loss DESC", 0, NULL, &r),
        FERRY_OK);
    ASSERT_INT_EQ(ferry_runs_count(r), 1);
    ASSERT_STR_EQ(ferry_runs_name(r, 0), "first");
    ASSERT_INT_EQ(ferry_runs_status(r, 0), FERRY_RUN_FINISHED);
    double v = 0;
    ASSERT_INT_EQ(ferry_runs_metric(r, 0, "loss", &v), 1);
    ASSERT(v == 1.0 / 2500);
    ASSERT_INT_EQ(ferry_runs_metric(r, 0, "nan", &v), 1);
    ASSERT(isnan(v));
    ASSERT_INT_EQ(ferry_runs_metric(r, 0, "absent", &v), 0);
    ASSERT_STR_EQ(ferry_runs_tag(r, 0, "mlflow.source.type"), "LOCAL");
    ASSERT(ferry_runs_param(r, 0, "absent") == NULL);
    ASSERT(ferry_runs_next_page_token(r) == NULL);
    ferry_runs_free(r);
    ASSERT_INT_EQ(ferry_search_runs(c, ids, 1, "params.eta >>> 1", NULL, 0, NULL, &r),
                  FERRY_EINVAL);
    ASSERT(r == NULL);
    ferry_free(exp);
    ferry_free(exp2);
    ferry_free(run);
    ASSERT_INT_EQ(ferry_close(c), FERRY_OK);
}

TEST(api_nested_runs_and_attach_by_env)
{
    ferry_client *c = open_tmp();
    char *parent = NULL, *child = NULL, *again = NULL;
    unsetenv("FERRY_RUN_ID");
    unsetenv("MLFLOW_RUN_ID");
    setenv("FERRY_EXPERIMENT_NAME", "from-env", 1);
    ASSERT_INT_EQ(ferry_start_run(c, NULL, NULL, NULL, &parent), FERRY_OK);
    ASSERT_INT_EQ(ferry_start_run(c, NULL, "child", parent, &child), FERRY_OK);
    char *exp = NULL;
    ASSERT_INT_EQ(ferry_get_experiment_by_name(c, "from-env", &exp), FERRY_OK);
    const char *ids[] = {exp};
    ferry_runs *r = NULL;
    ASSERT_INT_EQ(ferry_search_runs(c, ids, 1, "tags.mlflow.parentRunId != ''", NULL, 0, NULL, &r),
                  FERRY_OK);
    ASSERT_INT_EQ(ferry_runs_count(r), 1);
    ASSERT_STR_EQ(ferry_runs_tag(r, 0, "mlflow.parentRunId"), parent);
    ferry_runs_free(r);
    setenv("MLFLOW_RUN_ID", child, 1);
    ASSERT_INT_EQ(ferry_start_run(c, NULL, NULL, NULL, &again), FERRY_OK);
    ASSERT_STR_EQ(again, child);
    setenv("MLFLOW_RUN_ID", "0123456789abcdef0123456789abcdef", 1);
    char *none = NULL;
    ASSERT_INT_EQ(ferry_start_run(c, NULL, NULL, NULL, &none), FERRY_ENOTFOUND);
    unsetenv("MLFLOW_RUN_ID");
    unsetenv("FERRY_EXPERIMENT_NAME");
    ferry_free(parent);
    ferry_free(child);
    ferry_free(again);
    ferry_free(exp);
    ASSERT_INT_EQ(ferry_close(c), FERRY_OK);
}

TEST(api_errors_and_unreachable_server)
{
    ferry_client *c = NULL;
    /* a PostgreSQL store that is not there (port 1 refuses at once) */
    ASSERT(ferry_open("postgresql://u:secret-pw@127.0.0.1:1/y", &c) != FERRY_OK);
    ASSERT(c == NULL);
    ASSERT_CONTAINS(ferry_last_error(NULL), "cannot connect to the database");
    ASSERT_CONTAINS(ferry_last_error(NULL), "postgresql://u:***@127.0.0.1:1/y");
    ASSERT_INT_EQ(ferry_open("mysql://x", &c), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_open(NULL, NULL), FERRY_EINVAL);
    setenv("FERRY_HTTP_REQUEST_MAX_RETRIES", "0", 1);
    /* port 1 on loopback: nothing listens, connection refused at once */
    ASSERT_INT_EQ(ferry_open("http://127.0.0.1:1", &c), FERRY_OK);
    ASSERT_STR_EQ(ferry_last_error(c), "");
    char *id = NULL;
    ASSERT_INT_EQ(ferry_create_experiment(c, "x", NULL, &id), FERRY_EIO);
    ASSERT_CONTAINS(ferry_last_error(c), "127.0.0.1:1");
    ASSERT_INT_EQ(ferry_log_metric(c, "0123456789abcdef0123456789abcdef", "m", 1, 0, 0),
                  FERRY_OK); /* buffered */
    ASSERT_STR_EQ(ferry_last_error(c), "");
    ASSERT_INT_EQ(ferry_flush(c), FERRY_EIO);
    ASSERT_INT_EQ(ferry_close(c), FERRY_EIO); /* says the buffered point was lost */
    ASSERT_CONTAINS(ferry_last_error(NULL), "127.0.0.1:1");
    ASSERT_STR_EQ(ferry_strerror(FERRY_ENOTFOUND), "not found");
    ASSERT_STR_EQ(ferry_strerror((ferry_status)99), "unknown status");
    ASSERT_INT_EQ(ferry_close(NULL), FERRY_OK);
    ASSERT(ferry_version()[0] != '\0');
    unsetenv("FERRY_HTTP_REQUEST_MAX_RETRIES");
}

TEST(api_null_arguments_are_einval_not_crashes)
{
    ferry_client *c = open_tmp();
    char *s = NULL;
    ferry_metric *pts = NULL;
    size_t n = 0;
    ferry_runs *r = NULL;
    ASSERT_INT_EQ(ferry_log_param(NULL, "r", "k", "v"), FERRY_EINVAL);
    ASSERT_CONTAINS(ferry_last_error(NULL), "NULL");
    ASSERT_INT_EQ(ferry_create_experiment(c, NULL, NULL, &s), FERRY_EINVAL);
    ASSERT_CONTAINS(ferry_last_error(c), "name");
    ASSERT_INT_EQ(ferry_set_experiment(c, "e", NULL), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_start_run(c, NULL, NULL, NULL, NULL), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_end_run(c, NULL, FERRY_RUN_FINISHED), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_log_param(c, NULL, "k", "v"), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_set_tag(c, "0123456789abcdef0123456789abcdef", "k", NULL), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_delete_tag(c, NULL, NULL), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_log_metric(c, NULL, "k", 1, 0, 0), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_log_metric(c, "not/a/run/id", "k", 1, 0, 0), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_search_runs(c, NULL, 0, NULL, NULL, 0, NULL, NULL), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_get_metric_history(c, NULL, "k", &pts, &n), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_get_metric_history(c, "0123456789abcdef0123456789abcdef", "k", NULL, &n),
                  FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_search_runs(c, NULL, 0, NULL, NULL, 0, NULL, &r), FERRY_OK);
    ASSERT_INT_EQ(ferry_runs_count(r), 0); /* experiment 0, empty */
    ASSERT(ferry_runs_id(r, 0) == NULL && ferry_runs_name(r, 5) == NULL);
    ASSERT(ferry_runs_param(NULL, 0, "k") == NULL && ferry_runs_tag(r, 0, NULL) == NULL);
    ASSERT_INT_EQ(ferry_runs_metric(r, 0, "k", NULL), 0);
    ASSERT_INT_EQ(ferry_runs_status(r, 3), 0);
    ASSERT_INT_EQ(ferry_runs_count(NULL), 0);
    ferry_runs_free(r);
    ferry_runs_free(NULL);
    ferry_free(NULL);
    ASSERT_INT_EQ(ferry_close(c), FERRY_OK);
}

TEST(api_resume_deleted_experiments_and_end_states)
{
    ferry_client *c = open_tmp();
    char *exp = NULL, *run = NULL, *again = NULL, *id = NULL;
    unsetenv("FERRY_RUN_ID");
    unsetenv("MLFLOW_RUN_ID");
    ASSERT_INT_EQ(ferry_create_experiment(c, "gone", NULL, &exp), FERRY_OK);
    ASSERT_INT_EQ(ferry_create_experiment(c, "gone", NULL, NULL), FERRY_EEXIST);
    ASSERT_INT_EQ(ferry_start_run(c, exp, "r", NULL, &run), FERRY_OK);
    ASSERT_INT_EQ(ferry_end_run(c, run, (ferry_run_status)9), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_end_run(c, run, FERRY_RUN_KILLED), FERRY_OK);
    /* resuming through the environment makes it RUNNING again */
    setenv("MLFLOW_RUN_ID", run, 1);
    ASSERT_INT_EQ(ferry_start_run(c, NULL, NULL, NULL, &again), FERRY_OK);
    ASSERT_STR_EQ(again, run);
    const char *ids[] = {exp};
    ferry_runs *r = NULL;
    ASSERT_INT_EQ(ferry_search_runs(c, ids, 1, NULL, NULL, 0, NULL, &r), FERRY_OK);
    ASSERT_INT_EQ(ferry_runs_status(r, 0), FERRY_RUN_RUNNING);
    ferry_runs_free(r);
    unsetenv("MLFLOW_RUN_ID");
    /* a deleted experiment: set_experiment refuses it, get_by_name finds it */
    ASSERT_INT_EQ(ferry_get_experiment_by_name(c, "nope", &id), FERRY_ENOTFOUND);
    char *gone = NULL, *found = NULL;
    ASSERT_INT_EQ(ferry_create_experiment(c, "deleted-one", NULL, &gone), FERRY_OK);
    struct sbuf uri = SBUF_INIT;
    struct client *raw = NULL;
    struct ferr err = FERR_INIT;
    sbuf_addf(&uri, "sqlite://%s/api.db", test_tmpdir());
    ASSERT_OK(client_open(uri.buf, &raw, &err), &err);
    ASSERT_OK(client_delete_experiment(raw, gone, &err), &err);
    client_close(raw);
    sbuf_release(&uri);
    ASSERT_INT_EQ(ferry_set_experiment(c, "deleted-one", &found), FERRY_ESTATE);
    ASSERT_CONTAINS(ferry_last_error(c), "deleted");
    ASSERT_INT_EQ(ferry_get_experiment_by_name(c, "deleted-one", &found), FERRY_OK);
    ASSERT_STR_EQ(found, gone);
    ferry_free(found);
    ferry_free(gone);
    setenv("FERRY_EXPERIMENT_ID", exp, 1);
    char *viaid = NULL;
    ASSERT_INT_EQ(ferry_start_run(c, NULL, NULL, NULL, &viaid), FERRY_OK);
    ASSERT_INT_EQ(ferry_search_runs(c, NULL, 0, NULL, NULL, 0, NULL, &r), FERRY_OK);
    ASSERT_INT_EQ(ferry_runs_count(r), 2); /* the default search uses the same experiment */
    ferry_runs_free(r);
    unsetenv("FERRY_EXPERIMENT_ID");
    ferry_metric *pts = (ferry_metric *)1;
    size_t n = 7;
    ASSERT_INT_EQ(ferry_get_metric_history(c, run, "none", &pts, &n), FERRY_OK);
    ASSERT(pts == NULL && n == 0);
    ferry_free(exp);
    ferry_free(run);
    ferry_free(again);
    ferry_free(viaid);
    ASSERT_INT_EQ(ferry_close(c), FERRY_OK);
}

struct worker {
    ferry_client *c;
    const char *run;
    char key[16];
};

static void *log_many(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 1500; i++)
        if (ferry_log_metric(w->c, w->run, w->key, i, 1000 + i, i) != FERRY_OK)
            return (void *)1;
    /* a failure on another thread must not show here */
    if (ferry_last_error(w->c)[0] != '\0')
        return (void *)1;
    return NULL;
}

/* Four threads share one client: every point lands, per key. */
TEST(api_client_shared_by_threads)
{
    ferry_client *c = open_tmp();
    char *run = NULL;
    unsetenv("FERRY_RUN_ID");
    unsetenv("MLFLOW_RUN_ID");
    ASSERT_INT_EQ(ferry_start_run(c, "0", "threads", NULL, &run), FERRY_OK);
    struct worker w[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        w[i].c = c;
        w[i].run = run;
        snprintf(w[i].key, sizeof(w[i].key), "k%d", i);
        ASSERT(pthread_create(&th[i], NULL, log_many, &w[i]) == 0);
    }
    ASSERT_INT_EQ(ferry_log_param(c, "bad", "k", "v"), FERRY_ENOTFOUND); /* meanwhile */
    for (int i = 0; i < 4; i++) {
        void *ret = NULL;
        pthread_join(th[i], &ret);
        ASSERT(ret == NULL);
    }
    for (int i = 0; i < 4; i++) {
        ferry_metric *pts = NULL;
        size_t n = 0;
        ASSERT_INT_EQ(ferry_get_metric_history(c, run, w[i].key, &pts, &n), FERRY_OK);
        ASSERT_INT_EQ(n, 1500);
        ASSERT(pts[1499].value == 1499);
        ferry_free(pts);
    }
    ferry_free(run);
    ASSERT_INT_EQ(ferry_close(c), FERRY_OK);
}

TEST(api_model_registry_embedded)
{
    ferry_client *c = open_tmp();
    char *run = NULL, *where = NULL;
    int64_t v = 0;
    ASSERT_INT_EQ(ferry_start_run(c, NULL, "trainer", NULL, &run), FERRY_OK);
    struct sbuf src = SBUF_INIT;
    sbuf_addf(&src, "runs:/%s/model", run);
    ASSERT_INT_EQ(ferry_register_model(c, src.buf, "fraud", &v), FERRY_OK);
    ASSERT_INT_EQ(v, 1);
    ASSERT_INT_EQ(ferry_register_model(c, "s3://bucket/m2", "fraud", &v), FERRY_OK);
    ASSERT_INT_EQ(v, 2);
    ASSERT_INT_EQ(ferry_transition_model_version(c, "fraud", 2, "production", 1), FERRY_OK);
    ASSERT_INT_EQ(ferry_set_model_alias(c, "fraud", "champion", 1), FERRY_OK);
    ASSERT_INT_EQ(ferry_resolve_model_uri(c, "models:/fraud/Production", &where), FERRY_OK);
    ASSERT_STR_EQ(where, "s3://bucket/m2");
    ferry_free(where);
    ASSERT_INT_EQ(ferry_resolve_model_uri(c, "models:/fraud@champion", &where), FERRY_OK);
    ASSERT_CONTAINS(where, "/artifacts/model");
    ASSERT_CONTAINS(where, run);
    ferry_free(where);
    /* errors: named statuses and messages, nothing changed */
    ASSERT_INT_EQ(ferry_transition_model_version(c, "fraud", 2, "Prod", 0), FERRY_EINVAL);
    ASSERT_CONTAINS(ferry_last_error(c), "stage");
    ASSERT_INT_EQ(ferry_set_model_alias(c, "fraud", "champion", 9), FERRY_ENOTFOUND);
    ASSERT_INT_EQ(ferry_register_model(c, "/srv/../etc", "fraud", &v), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_register_model(c, "runs:/0123456789abcdef0123456789abcdef/m", "fraud", &v),
                  FERRY_ENOTFOUND);
    ASSERT_INT_EQ(ferry_resolve_model_uri(c, "models:/fraud@champion", &where), FERRY_OK);
    ASSERT_CONTAINS(where, run); /* the alias did not move */
    ferry_free(where);
    ASSERT_INT_EQ(ferry_set_model_alias(c, "fraud", "champion", 0), FERRY_OK);
    /* a missing alias is INVALID_PARAMETER_VALUE, as MLflow answers it */
    ASSERT_INT_EQ(ferry_resolve_model_uri(c, "models:/fraud@champion", &where), FERRY_EINVAL);
    ASSERT_INT_EQ(ferry_resolve_model_uri(c, NULL, &where), FERRY_EINVAL);
    sbuf_release(&src);
    ferry_free(run);
    ASSERT_INT_EQ(ferry_close(c), FERRY_OK);
}
